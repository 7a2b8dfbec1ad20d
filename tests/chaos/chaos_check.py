"""Checks of a chaos run's history, and the files a run leaves behind.

    register  linearizability, by polis-lincheck (tests/sim/lincheck.c:
              Wing & Gong's search with Lowe's memoization, per key,
              unknown outcomes allowed; on a violation it prints the
              smallest failing sub-history it finds);
    set       the final read holds every acknowledged add, nothing twice,
              and nothing that was never attempted or certainly failed;
    counter   acknowledged sum <= final value <= acknowledged + unknown.

Each check returns {"ok": bool, ...details}; a harness problem (a missing
final read, a checker that could not decide) is never "ok".
"""

import json
import subprocess


def lincheck_lines(ops):
    """The register operations in polis-lincheck's text format."""
    out = ["# client invoke complete outcome op key args (times in ns)"]
    for op in sorted(ops, key=lambda o: o["invoke"]):
        outcome = op["outcome"]
        done = str(op["complete"]) if outcome != "unknown" else "-"
        head = "%s %d %s %s" % (op["client"], op["invoke"], done, outcome)
        if op["f"] == "read":
            if outcome != "ok":
                continue  # a read that failed or timed out constrains nothing
            out.append("%s read %s %s" % (head, op["key"], op["value"]))
        elif op["f"] == "write":
            out.append("%s write %s %s" % (head, op["key"], op["value"]))
        elif op["f"] == "cas":
            result = ("true" if op["swapped"] else "false") if outcome == "ok" else "-"
            out.append("%s cas %s %s %s %s" % (head, op["key"], op["old"], op["new"], result))
    return out


def check_register(ops, lin_path, report_path, lincheck_bin, timeout_s=600):
    with open(lin_path, "w") as f:
        f.write("\n".join(lincheck_lines(ops)) + "\n")
    try:
        # A budget well above lincheck's default: keys that saw many writes
        # with unknown outcomes (a multi-shard cluster under membership
        # changes has more) need a larger search to conclude.
        p = subprocess.run([lincheck_bin, "--states-max", "32000000", lin_path],
                           capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"ok": False, "verdict": "checker timed out after %d s" % timeout_s}
    report = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    with open(report_path, "w") as f:
        f.write(report)
    last = report.strip().splitlines()[-1] if report.strip() else ""
    verdict = {0: "linearizable", 1: "NOT LINEARIZABLE", 2: "inconclusive"}.get(
        p.returncode, "checker error %d" % p.returncode)
    return {"ok": p.returncode == 0, "verdict": verdict, "summary": last,
            "report": report if p.returncode != 0 else None}


def check_set(ops, final):
    """final: the set key's value (bytes or None) after the run."""
    acked = {op["value"] for op in ops if op["outcome"] == "ok"}
    attempted = {op["value"] for op in ops if op["outcome"] in ("ok", "unknown")}
    failed = {op["value"] for op in ops if op["outcome"] == "fail"}
    tokens = (final or b"").decode("utf-8", "replace").split()
    seen, dups = set(), set()
    for t in tokens:
        (dups if t in seen else seen).add(t)
    lost = sorted(acked - seen)
    unexpected = sorted(seen - attempted)
    out = {"ok": not lost and not dups and not unexpected, "acknowledged": len(acked),
           "unknown": len(attempted - acked), "failed": len(failed), "read": len(seen),
           "unknown_present": len((attempted - acked) & seen)}
    if lost:
        out["lost"] = lost[:20]
        out["lost_count"] = len(lost)
    if dups:
        out["applied_twice"] = sorted(dups)[:20]
    if unexpected:
        out["never_acknowledged_but_present"] = unexpected[:20]
        out["of_which_certainly_failed"] = sorted(set(unexpected) & failed)[:20]
    return out


def check_counter(ops, final):
    lo = sum(op["value"] for op in ops if op["outcome"] == "ok")
    hi = lo + sum(op["value"] for op in ops if op["outcome"] == "unknown")
    try:
        value = int(final or b"0")
    except ValueError:
        return {"ok": False, "final": repr(final), "why": "not an integer"}
    out = {"ok": lo <= value <= hi, "final": value, "acknowledged_sum": lo, "attempted_sum": hi}
    if value < lo:
        out["why"] = "acknowledged increments lost (%d below)" % (lo - value)
    elif value > hi:
        out["why"] = "more than was ever attempted (%d above)" % (value - hi)
    return out


def write_history(ops, path):
    with open(path, "w") as f:
        for op in ops:
            f.write(json.dumps(op, sort_keys=True) + "\n")


def write_timeline(timeline, path):
    with open(path, "w") as f:
        for t, event, text in timeline:
            f.write("%10.3fs %-5s %s\n" % (t / 1e9, event, text))


def outcome_counts(ops):
    out = {}
    for op in ops:
        w = out.setdefault(op["workload"], {})
        w[op["outcome"]] = w.get(op["outcome"], 0) + 1
    return out
