#!/usr/bin/env python3
"""polis chaos runs: a real cluster under faults, its history checked.

    tests/chaos/chaos_run.py [--runs N] [--seconds S] [--nodes 3|5|3,5]
                             [--nemesis kill,pause,...|all|process|partition]
                             [--seed S] [--out DIR] [--polis BIN]
                             [--lincheck BIN] [--unsafe-local-reads]

One run: start the cluster, run the workloads (register, set, counter) while
the nemesis injects faults for S seconds, heal everything, let the clients
run on briefly, wait for the cluster to converge, read the final set and
counter, compare every replica's DIGEST, stop the nodes (each must exit 0:
under ASan a leak or memory error would not), and check the history. The
run's directory keeps:

    verdict.json     every check and its details, op and fault counts
    history.jsonl    every operation: client, node, times, outcome, reply
    register.lin     the register history in polis-lincheck's format
    lincheck.txt     the checker's report
    nemesis.log      the fault timeline (seconds since the start)
    n1.log ...       node logs (data directories are removed after a run
                     that passed, unless --keep-data)

Exit status: 0 if every run passed, 1 if one failed, 2 on bad usage.
`make chaos` runs a campaign; `make test` runs a short one (test_chaos.py).
"""

import argparse
import json
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))  # resp_raw

from chaos_check import (check_counter, check_register, check_set, outcome_counts,  # noqa: E402
                         write_history, write_timeline)
from chaos_cluster import ChaosError, Cluster, Firewall  # noqa: E402
from chaos_nemesis import NEMESES, PARTITION_NEMESES, PROCESS_NEMESES, Nemesis  # noqa: E402
from chaos_workload import (COUNTER_KEY, SET_KEY, History, final_read,  # noqa: E402
                            start_workers)

DEFAULT_CLIENTS = {"register": 6, "set": 2, "counter": 2}


def default_bin(name):
    for build in ("asan", "release"):
        path = os.path.join(REPO, "build", build, name)
        if os.path.exists(path):
            return path
    return os.path.join(REPO, "build", "asan", name)


def parse_nemeses(text):
    if text == "all":
        return list(NEMESES)
    if text == "process":
        return list(PROCESS_NEMESES)
    if text == "partition":
        return list(PARTITION_NEMESES)
    kinds = [k for k in text.split(",") if k]
    for k in kinds:
        if k not in NEMESES:
            raise ValueError("unknown nemesis %r (known: %s)" % (k, ", ".join(NEMESES)))
    return kinds


def run_once(out_dir, seed, polis_bin, lincheck_bin, nodes=3, seconds=20.0, nemeses=None,
             clients=None, op_timeout_s=3.0, think_ms=2.0, register_keys=4, key_period_s=3.0,
             quiet_s=2.0, recover_s=60.0, config=None, keep_data=False, firewall=None):
    """One chaos run; returns its verdict (also written to verdict.json)."""
    rng = random.Random(seed)
    if os.path.exists(out_dir) and os.listdir(out_dir):
        raise ChaosError("%s is not empty: every run needs a fresh directory" % out_dir)
    os.makedirs(out_dir, exist_ok=True)
    own_firewall = firewall is None
    fw = firewall or Firewall()
    config = dict(config or {})
    # Every node a replica of every shard (as before shards existed), so
    # that 5-node runs exercise 5-way quorums.
    config.setdefault("cluster-replicas", nodes)
    if {"membership", "split"} & set(nemeses or list(NEMESES)):
        config.setdefault("cluster-shards", 4)  # replicas have somewhere to move
    cluster = Cluster(out_dir, polis_bin, nodes, config, rng)
    history = History()
    stop_clients = threading.Event()
    verdict = {"seed": seed, "nodes": nodes, "seconds": seconds, "config": config or {},
               "addresses": {n.name: n.addr for n in cluster.nodes},
               "firewall": "nftables" if fw.available else "unavailable: " + fw.why,
               "checks": {}, "harness_errors": []}
    nemesis = None
    workers = []
    finals = {}
    try:
        cluster.start()
        workers = start_workers(cluster, history, rng, stop_clients, clients or DEFAULT_CLIENTS,
                                op_timeout_s, think_ms, register_keys, key_period_s)
        nemesis = Nemesis(cluster, fw, history, random.Random(rng.getrandbits(64)),
                          nemeses or list(NEMESES))
        verdict["nemeses"] = nemesis.kinds
        nemesis.start()
        time.sleep(seconds)
        nemesis.stop()  # heals everything
        nemesis.log("end", "all faults healed")
        time.sleep(quiet_s)
        try:
            cluster.wait_healthy(recover_s)
            nemesis.log("end", "cluster converged")
        except ChaosError as e:
            verdict["checks"]["recovery"] = {"ok": False, "why": str(e)}
        stop_clients.set()
        for w in workers:
            w.join(timeout=op_timeout_s + 10)
            if w.is_alive():
                verdict["harness_errors"].append("client %s did not stop" % w.name)
            if w.error:
                verdict["harness_errors"].append(w.error)
        if "recovery" not in verdict["checks"]:
            verdict["checks"]["recovery"] = {"ok": True}
            finals["set"] = final_read(cluster, SET_KEY)
            finals["counter"] = final_read(cluster, COUNTER_KEY)
            cluster.wait_healthy(recover_s)
            digests = cluster.digests()
            verdict["checks"]["replicas"] = {
                "ok": len(set(digests.values())) == 1,
                "digests": {"n%d" % k: repr(v) for k, v in digests.items()}}
    except (ChaosError, RuntimeError, OSError) as e:
        verdict["harness_errors"].append("run: %s" % e)
    finally:
        stop_clients.set()
        if nemesis is not None and nemesis.is_alive():
            nemesis.stop()
        problems = cluster.stop()
        if own_firewall:
            fw.close()
        else:
            fw.heal()
    if nemesis is not None:
        if nemesis.error:
            verdict["harness_errors"].append(nemesis.error)
        problems = list(nemesis.crashes) + problems
        verdict["faults"] = nemesis.counts
        write_timeline(nemesis.timeline, os.path.join(out_dir, "nemesis.log"))
    sanitizer = cluster.sanitizer_reports()
    verdict["checks"]["nodes"] = {"ok": not problems and not sanitizer,
                                  "problems": problems, "sanitizer": sanitizer}
    ops = history.ops
    write_history(ops, os.path.join(out_dir, "history.jsonl"))
    verdict["ops"] = outcome_counts(ops)
    verdict["ops_total"] = len(ops)
    reg = history.of("register")
    if reg:
        verdict["checks"]["register"] = check_register(
            reg, os.path.join(out_dir, "register.lin"), os.path.join(out_dir, "lincheck.txt"),
            lincheck_bin)
    if "set" in finals:
        verdict["checks"]["set"] = check_set(history.of("set"), finals["set"])
    if "counter" in finals:
        verdict["checks"]["counter"] = check_counter(history.of("counter"), finals["counter"])
    if not finals and not verdict["harness_errors"] and \
            verdict["checks"].get("recovery", {}).get("ok", True):
        verdict["harness_errors"].append("no final reads")
    verdict["ok"] = not verdict["harness_errors"] and \
        all(c.get("ok") for c in verdict["checks"].values())
    with open(os.path.join(out_dir, "verdict.json"), "w") as f:
        json.dump(verdict, f, indent=2, sort_keys=True, default=str)
    if verdict["ok"] and not keep_data:
        cluster.remove_data()
    return verdict


def summary_line(i, v):
    faults = sum(v.get("faults", {}).values())
    failed = [k for k, c in v["checks"].items() if not c.get("ok")]
    return "run %d seed %d: %s  %d nodes, %d ops, %d faults%s%s" % (
        i, v["seed"], "PASS" if v["ok"] else "FAIL", v["nodes"], v["ops_total"], faults,
        (" — failed: " + ", ".join(failed)) if failed else "",
        (" — harness: " + "; ".join(v["harness_errors"])) if v["harness_errors"] else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--nodes", default="3,5", help="node counts, used in turn")
    ap.add_argument("--nemesis", default="all")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--polis", default=os.environ.get("POLIS_BIN") or default_bin("polis"))
    ap.add_argument("--lincheck", default=default_bin("polis-lincheck"))
    ap.add_argument("--unsafe-local-reads", action="store_true",
                    help="turn on debug-unsafe-local-reads (a deliberate bug the checker "
                         "must report)")
    ap.add_argument("--keep-data", action="store_true")
    a = ap.parse_args(argv)
    try:
        kinds = parse_nemeses(a.nemesis)
        sizes = [int(x) for x in a.nodes.split(",")]
    except ValueError as e:
        ap.error(str(e))
    a.polis, a.lincheck = os.path.abspath(a.polis), os.path.abspath(a.lincheck)
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    # absolute: the nodes run in their own directories
    out = os.path.abspath(a.out) if a.out else os.path.join(REPO, "build", "chaos",
                                time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-%d" % seed)
    config = {"debug-unsafe-local-reads": "yes"} if a.unsafe_local_reads else {}
    print("chaos campaign: %d runs x %.0f s, nodes %s, nemeses %s, seed %d, results in %s"
          % (a.runs, a.seconds, a.nodes, ",".join(kinds), seed, out), flush=True)
    totals = {"ops": 0, "faults": 0, "failed": 0}
    fw = Firewall()
    if not fw.available:
        print("WARNING: no partitions: %s" % fw.why, flush=True)
    try:
        for i in range(1, a.runs + 1):
            run_seed = seed * 1000 + i
            v = run_once(os.path.join(out, "run-%02d" % i), run_seed, a.polis, a.lincheck,
                         nodes=sizes[(i - 1) % len(sizes)], seconds=a.seconds, nemeses=kinds,
                         config=config, keep_data=a.keep_data, firewall=fw)
            totals["ops"] += v["ops_total"]
            totals["faults"] += sum(v.get("faults", {}).values())
            totals["failed"] += 0 if v["ok"] else 1
            print(summary_line(i, v), flush=True)
    finally:
        fw.close()
    print("chaos campaign: %d/%d runs passed, %d operations checked, %d faults injected"
          % (a.runs - totals["failed"], a.runs, totals["ops"], totals["faults"]), flush=True)
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
