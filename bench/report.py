#!/usr/bin/python3
"""Prints the tables of bench/vs-redis.sh from its raw result files.

    report.py THROUGHPUT_TSV MEMORY_TSV

THROUGHPUT_TSV lines: run <TAB> mode <TAB> test <TAB> server <TAB> ops_per_s
MEMORY_TSV lines:     server <TAB> kind <TAB> metric <TAB> bytes
where server is "polis" or "redis". Throughput is the median over runs; the
ratio is the ratio of the medians, and each run's own ratio is listed too.
"""

import os
import statistics
import sys


def human_bytes(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d B" % n


def ratio(a, b):
    return "%.2f" % (a / b) if b else "n/a"


def throughput(path):
    samples = {}  # (mode, test) -> {run: {server: ops}}
    order = []
    with open(path) as f:
        for line in f:
            run, mode, test, server, ops = line.rstrip("\n").split("\t")
            key = (mode, test)
            if key not in samples:
                samples[key] = {}
                order.append(key)
            samples[key].setdefault(run, {})[server] = float(ops)
    runs = {run for per_run in samples.values() for run in per_run}
    print("Throughput, ops/s: median of %d runs; per-run ratios show the run-to-run noise"
          % len(runs))
    print()
    print("| test | pipeline | polis | redis | polis/redis | per-run ratios |")
    print("|------|----------|------:|------:|------------:|----------------|")
    for mode, test in order:
        per_run = [samples[(mode, test)][run] for run in sorted(samples[(mode, test)], key=int)]
        p = statistics.median(x["polis"] for x in per_run)
        r = statistics.median(x["redis"] for x in per_run)
        ratios = " ".join(ratio(x["polis"], x["redis"]) for x in per_run)
        print("| %s | %s | %.0f | %.0f | %s | %s |" % (test, mode, p, r, ratio(p, r), ratios))
    print()


def memory(path):
    values = {}  # (server, kind, metric) -> bytes
    kinds = []
    with open(path) as f:
        for line in f:
            server, kind, metric, value = line.rstrip("\n").split("\t")
            values[(server, kind, metric)] = int(value)
            if kind not in kinds:
                kinds.append(kind)
    metrics = [
        ("used_memory", "used_memory after load (INFO memory)"),
        ("used_memory_delta", "used_memory growth from load"),
        ("rss_delta", "VmRSS growth from load (/proc/PID/status)"),
    ]
    n = "{:,}".format(int(os.environ.get("MEM_KEYS", "1000000")))
    labels = {"string": "%s keys with 16-byte values" % n,
              "hash": "one hash of %s fields (16-byte values)" % n,
              "set": "one set of %s members" % n, "zset": "one sorted set of %s members" % n,
              "list": "one list of %s 16-byte elements" % n}
    print("Memory (fresh servers for each kind)")
    print()
    print("| value | metric | polis | redis | polis/redis |")
    print("|-------|--------|------:|------:|------------:|")
    for kind in kinds:
        for metric, label in metrics:
            p = values.get(("polis", kind, metric))
            r = values.get(("redis", kind, metric))
            if p is None or r is None:
                continue
            print("| %s | %s | %s | %s | %s |" % (labels.get(kind, kind), label, human_bytes(p),
                                                human_bytes(r), ratio(p, r)))
    print()


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: report.py THROUGHPUT_TSV MEMORY_TSV\n")
        return 2
    throughput(sys.argv[1])
    memory(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
