#!/usr/bin/env bash
# bench/vs-etcd.sh - a 3-node polis cluster against a 3-member etcd cluster,
# durable writes, measured in the same run on the same machine.
#
#   bench/vs-etcd.sh <path-to-polis>
#
# Starts 3 polis nodes (`polis server --node-id i --peers ...`: a write is
# acknowledged after it is on a majority's disk, fdatasync) and 3 etcd members
# (Debian's etcd-server; fsync on, its default: no --unsafe-no-fsync), all on
# loopback ports, data directories on the same file system. Then, for each of
# RUNS runs (default 3) and each client count in CLIENT_LEVELS (default
# "1 50 500"), it measures durable writes (16-byte values over 100,000 keys)
# with closed-loop clients - one write in flight per client, no pipelining,
# against the leader - and prints medians over the runs: ops/s, p50 and p99
# latency, and the polis/etcd ratio.
#
# Both sides are measured by the same load generator, bench/kv-load.c
# (compiled here with cc into build/bench/kv-load): for polis it speaks RESP
# (SET), for etcd the native gRPC API (KV/Put over HTTP/2, the protocol of
# etcdctl and of etcd's own benchmark tool, which Debian does not package).
# etcd is measured in two client layouts, one connection per client and all
# clients multiplexed as streams over one connection (etcd benchmark's
# default --conns 1); the better of the two (by median ops/s) is etcd's
# figure in the ratio. Cross-checks, not used in the ratio: redis-benchmark
# against the polis leader (-t set, no -P), kv-load against a polis follower
# (which forwards to the leader), and etcd's JSON gRPC gateway
# (POST /v3/kv/put, HTTP/1.1 keep-alive) when ETCD_HTTP=1.
#
# Within a run the two systems alternate (polis first in odd runs, etcd first
# in even ones). Before each run etcd's history is compacted (etcd keeps
# every revision; a production cluster auto-compacts), outside the clock.
#
# With 2+ CPUs and taskset available, all six server processes run on CPU 0
# and the load generators on the others (BENCH_PIN=0 turns this off).
#
# Environment: RUNS, BENCH_SECONDS (3, measured per test), BENCH_WARMUP
# (0.5), CLIENT_LEVELS, KEYSPACE (100000), VALUE_BYTES (16), BENCH_PIN,
# FOLLOWER (1), REDIS_BENCHMARK (1), ETCD_HTTP (1), ETCD (/usr/bin/etcd),
# KEEP_WORK (0: keep data dirs and logs). Benchmarks only print.
set -euo pipefail

usage() { echo "usage: $0 <path-to-polis>" >&2; exit 2; }
[ $# -eq 1 ] || usage

POLIS_BIN=$1
ETCD_BIN=${ETCD:-/usr/bin/etcd}
RUNS=${RUNS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-3}
BENCH_WARMUP=${BENCH_WARMUP:-0.5}
CLIENT_LEVELS=${CLIENT_LEVELS:-1 50 500}
KEYSPACE=${KEYSPACE:-100000}
VALUE_BYTES=${VALUE_BYTES:-16}
FOLLOWER=${FOLLOWER:-1}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-1}
ETCD_HTTP=${ETCD_HTTP:-1}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LOAD="$ROOT/build/bench/kv-load"
START_TIMEOUT_S=20
STOP_TIMEOUT_S=15

SERVER_PIN=()
CLIENT_PIN=()
if [ "${BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    SERVER_PIN=(taskset -c 0)
    CLIENT_PIN=(taskset -c "1-$(($(nproc) - 1))")
fi

[ -x "$POLIS_BIN" ] || { echo "$0: $POLIS_BIN is not an executable" >&2; exit 1; }
[ -x "$ETCD_BIN" ] || { echo "$0: $ETCD_BIN not found (apt-get install etcd-server)" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "$0: etcdctl not found (apt-get install etcd-client)" >&2; exit 1; }
for tool in redis-benchmark redis-cli cc; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "$0: $PY not found" >&2; exit 1; }
case $RUNS in ''|*[!0-9]*|0) echo "$0: RUNS must be a positive integer" >&2; exit 2;; esac

mkdir -p "$ROOT/build/bench"
cc -std=gnu17 -O2 -g -Wall -Wextra -Werror "$HERE/kv-load.c" -o "$LOAD"

. "$HERE/lib.sh"
bench_work polis-vs-etcd

mapfile -t P < <(free_ports 12)
POLIS_PORT=("" "${P[0]}" "${P[1]}" "${P[2]}")
POLIS_PEER=("" "${P[3]}" "${P[4]}" "${P[5]}")
ETCD_CLIENT=("" "${P[6]}" "${P[7]}" "${P[8]}")
ETCD_PEER=("" "${P[9]}" "${P[10]}" "${P[11]}")
PEERS="1=127.0.0.1:${POLIS_PEER[1]},2=127.0.0.1:${POLIS_PEER[2]},3=127.0.0.1:${POLIS_PEER[3]}"
ETCD_CLUSTER="e1=http://127.0.0.1:${ETCD_PEER[1]},e2=http://127.0.0.1:${ETCD_PEER[2]},e3=http://127.0.0.1:${ETCD_PEER[3]}"
ETCD_ENDPOINTS="127.0.0.1:${ETCD_CLIENT[1]},127.0.0.1:${ETCD_CLIENT[2]},127.0.0.1:${ETCD_CLIENT[3]}"

start_clusters() {
    local i
    for i in 1 2 3; do
        mkdir -p "$WORK/polis-n$i"
        "${SERVER_PIN[@]}" "$POLIS_BIN" server --port "${POLIS_PORT[$i]}" --bind 127.0.0.1 \
            --dir "$WORK/polis-n$i" --node-id "$i" --peers "$PEERS" >"$WORK/polis-n$i.log" 2>&1 &
        PID[polis-n$i]=$!
    done
    for i in 1 2 3; do
        "${SERVER_PIN[@]}" "$ETCD_BIN" --name "e$i" --data-dir "$WORK/etcd-e$i" \
            --listen-client-urls "http://127.0.0.1:${ETCD_CLIENT[$i]}" \
            --advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT[$i]}" \
            --listen-peer-urls "http://127.0.0.1:${ETCD_PEER[$i]}" \
            --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER[$i]}" \
            --initial-cluster "$ETCD_CLUSTER" --initial-cluster-state new \
            --initial-cluster-token "polis-bench-$$" \
            --logger zap --log-outputs stderr >"$WORK/etcd-e$i.log" 2>&1 &
        PID[etcd-e$i]=$!
    done
}

# polis_leader: prints the leader's node id once all three nodes agree on it.
polis_leader() {
    local i info role leader agreed="" n_followers=0 lid=""
    for i in 1 2 3; do
        info=$(redis-cli -h 127.0.0.1 -p "${POLIS_PORT[$i]}" INFO replication 2>/dev/null | tr -d '\r') || return 1
        role=$(printf '%s\n' "$info" | awk -F: '$1 == "raft_role" { print $2 }')
        leader=$(printf '%s\n' "$info" | awk -F: '$1 == "leader" { print $2 }')
        [ -n "$leader" ] && [ "$leader" != 0 ] || return 1
        [ -z "$agreed" ] || [ "$agreed" = "$leader" ] || return 1
        agreed=$leader
        if [ "$role" = leader ]; then lid=$i; else n_followers=$((n_followers + 1)); fi
    done
    [ -n "$lid" ] && [ "$lid" = "$agreed" ] && [ "$n_followers" = 2 ] || return 1
    echo "$lid"
}

# etcd_status: "ENDPOINT<TAB>is_leader<TAB>revision" per member.
etcd_status() {
    ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" --command-timeout 2s \
        endpoint status -w json 2>/dev/null |
        "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    s = e["Status"]
    print("%s\t%d\t%d" % (e["Endpoint"], s["leader"] == s["header"]["member_id"], s["header"]["revision"]))'
}

etcd_leader_port() {
    local st
    st=$(etcd_status) || return 1
    [ "$(printf '%s\n' "$st" | grep -c .)" = 3 ] || return 1
    printf '%s\n' "$st" | awk -F'\t' '$2 == 1 { n = split($1, a, ":"); print a[n] }' | grep . || return 1
}

wait_leaders() {
    local i name
    for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
        for name in "${!PID[@]}"; do check_alive "$name"; done
        if POLIS_LEADER=$(polis_leader) && ETCD_LEADER_PORT=$(etcd_leader_port); then return 0; fi
        sleep 0.1
    done
    echo "$0: no leader within ${START_TIMEOUT_S}s; logs in $WORK" >&2
    KEEP_WORK=1
    exit 1
}

# Counts of the kind bench/kv-load prints: "k=v k=v ...".
field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# record RUN CLIENTS VARIANT OPS P50 P99 ERRORS
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
    printf 'run %s/%s c=%-3s %-28s %10.0f ops/s  p50 %7.3f ms  p99 %7.3f ms%s\n' \
        "$1" "$RUNS" "$2" "$3" "$4" "$5" "$6" "$([ "$7" = 0 ] || echo "  ERRORS $7")" >&2
}

# load RUN CLIENTS VARIANT kv-load-args...
load() {
    local run=$1 clients=$2 variant=$3 out
    shift 3
    out=$("${CLIENT_PIN[@]}" "$LOAD" bench --clients "$clients" --seconds "$BENCH_SECONDS" \
              --warmup "$BENCH_WARMUP" --keys "$KEYSPACE" --value-bytes "$VALUE_BYTES" \
              --seed "$((run * 1000 + clients))" "$@") ||
        { echo "$0: kv-load failed ($variant, $clients clients): $out" >&2; exit 1; }
    record "$run" "$clients" "$variant" "$(field "$out" ops)" "$(field "$out" p50_ms)" \
        "$(field "$out" p99_ms)" "$(field "$out" errors)"
    [ "$(field "$out" errors)" = 0 ] || echo "  $variant: $out" >&2
    LAST_OPS=$(field "$out" ops)
}

redis_bench() { # RUN CLIENTS PORT OPS_HINT
    local run=$1 clients=$2 port=$3 n out line
    n=$("$PY" -c "import sys; print(max(int(sys.argv[3]) * 2, 1000, int(float(sys.argv[1]) * float(sys.argv[2]))))" \
        "$4" "$BENCH_SECONDS" "$clients")
    out=$("${CLIENT_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -t set -c "$clients" -n "$n" \
              -r "$KEYSPACE" -d "$VALUE_BYTES" --csv 2>/dev/null)
    line=$(printf '%s\n' "$out" | tr -d '"' | awk -F, '$1 == "SET"')
    [ -n "$line" ] || { echo "$0: redis-benchmark gave no SET result: $out" >&2; exit 1; }
    record "$run" "$clients" "polis-redis-benchmark" "$(cut -d, -f2 <<<"$line")" \
        "$(cut -d, -f5 <<<"$line")" "$(cut -d, -f7 <<<"$line")" 0
}

bench_polis() { # RUN CLIENTS
    local run=$1 c=$2 follower
    load "$run" "$c" polis-leader --proto resp --port "${POLIS_PORT[$POLIS_LEADER]}"
    if [ "$REDIS_BENCHMARK" = 1 ]; then
        redis_bench "$run" "$c" "${POLIS_PORT[$POLIS_LEADER]}" "$LAST_OPS"
    fi
    if [ "$FOLLOWER" = 1 ]; then
        follower=$((POLIS_LEADER % 3 + 1))
        load "$run" "$c" polis-follower --proto resp --port "${POLIS_PORT[$follower]}"
    fi
}

bench_etcd() { # RUN CLIENTS
    local run=$1 c=$2
    load "$run" "$c" etcd-grpc-conn-per-client --proto grpc --port "$ETCD_LEADER_PORT" \
        --conns "$c"
    if [ "$c" -gt 1 ]; then
        load "$run" "$c" etcd-grpc-one-conn --proto grpc --port "$ETCD_LEADER_PORT" --conns 1
    fi
    if [ "$ETCD_HTTP" = 1 ]; then
        load "$run" "$c" etcd-http-gateway --proto http --port "$ETCD_LEADER_PORT"
    fi
}

# Drops etcd's old revisions (outside the clock) and waits for it to settle.
etcd_compact() {
    local rev
    rev=$(etcd_status | awk -F'\t' 'NR == 1 { print $3 }')
    [ -n "$rev" ] && [ "$rev" -gt 1 ] || return 0
    ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$ETCD_LEADER_PORT" compact "$rev" --physical \
        >/dev/null 2>&1 || true
}

# ---- machine ---------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
fs_type=$(stat -f -c %T "$WORK")
echo "polis cluster vs etcd cluster, durable writes, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  polis:      $POLIS_BIN ($("$POLIS_BIN" version 2>/dev/null | head -1)), 3 nodes"
echo "  etcd:       $ETCD_BIN ($("$ETCD_BIN" --version | awk '/^etcd Version/ { print $3 }')), 3 members, fsync on"
echo "  load:       build/bench/kv-load (RESP for polis, gRPC KV/Put for etcd); redis-benchmark $(redis-benchmark --version | awk '{ print $2 }') cross-check"
echo "  cpu:        ${cpu_model:-unknown}, $(nproc) cores online"
echo "  kernel:     $(uname -sr)"
echo "  data dirs:  $WORK ($fs_type)"
echo "  settings:   RUNS=$RUNS clients=\"$CLIENT_LEVELS\" seconds=$BENCH_SECONDS (+${BENCH_WARMUP}s warm-up) keyspace=$KEYSPACE value=${VALUE_BYTES}B"
echo "  pinning:    ${SERVER_PIN[*]:-none} (6 servers), ${CLIENT_PIN[*]:-none} (load generators)"
echo "  load avg:   $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise)"
if others=$(pgrep -x etcd); then
    # Debian's etcd-server package enables etcd.service (port 2379) on systemd machines
    echo "  WARNING: etcd already running (pid ${others//$'\n'/ }), not ours: it adds noise" \
         "(systemctl disable --now etcd)" >&2
fi
if [ "$fs_type" = tmpfs ]; then
    echo "  WARNING: $WORK is on tmpfs, where fsync costs nothing; set TMPDIR to a disk" >&2
fi
echo

start_clusters
wait_leaders
echo "leaders: polis n$POLIS_LEADER (port ${POLIS_PORT[$POLIS_LEADER]}), etcd port $ETCD_LEADER_PORT" >&2

for ((run = 1; run <= RUNS; run++)); do
    etcd_compact
    if ((run % 2)); then order="polis etcd"; else order="etcd polis"; fi
    for c in $CLIENT_LEVELS; do
        for sys in $order; do
            # leadership may move (it should not without failures): re-read it
            wait_leaders
            "bench_$sys" "$run" "$c"
        done
    done
done

echo
echo "load avg at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Anything that looks wrong in the node logs (warnings after startup).
echo "polis node logs: warnings and errors (peer links refused during startup are normal)"
for i in 1 2 3; do
    grep -E ' # | ! ' "$WORK/polis-n$i.log" | grep -v 'connect: connection refused' |
        sed "s/^/  n$i: /" | head -20 || true
done | grep . || echo "  (none)"
for i in 1 2 3; do check_alive "polis-n$i"; check_alive "etcd-e$i"; done
for i in 1 2 3; do stop_proc "polis-n$i"; stop_proc "etcd-e$i"; done
echo

"$PY" - "$RESULTS" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
data = {}  # (clients, variant) -> {run: (ops, p50, p99, errors)}
levels, variants = [], []
for run, c, v, ops, p50, p99, err in rows:
    c = int(c)
    if c not in levels: levels.append(c)
    if v not in variants: variants.append(v)
    data.setdefault((c, v), {})[int(run)] = (float(ops), float(p50), float(p99), int(err))

def med(c, v, i):
    d = data.get((c, v))
    return statistics.median(x[i] for x in d.values()) if d else None

def etcd_best(c):
    cands = [v for v in ("etcd-grpc-conn-per-client", "etcd-grpc-one-conn") if (c, v) in data]
    return max(cands, key=lambda v: med(c, v, 0))

nruns = len({int(r[0]) for r in rows})
print("Durable writes/s, 3 nodes each, median of %d runs; etcd = the better gRPC layout" % nruns)
print()
print("| clients | polis ops/s | etcd ops/s | polis/etcd | polis p50/p99 ms | etcd p50/p99 ms | per-run ratios | etcd layout |")
print("|--------:|------------:|-----------:|-----------:|-----------------:|----------------:|----------------|-------------|")
ratios = {}
for c in levels:
    e = etcd_best(c)
    p_ops, e_ops = med(c, "polis-leader", 0), med(c, e, 0)
    ratios[c] = p_ops / e_ops
    pr = " ".join("%.1f" % (data[(c, "polis-leader")][r][0] / data[(c, e)][r][0])
                  for r in sorted(data[(c, "polis-leader")]) if r in data[(c, e)])
    print("| %d | %.0f | %.0f | %.1f | %.2f / %.2f | %.2f / %.2f | %s | %s |" % (
        c, p_ops, e_ops, ratios[c], med(c, "polis-leader", 1), med(c, "polis-leader", 2),
        med(c, e, 1), med(c, e, 2), pr,
        "one connection" if e.endswith("one-conn") else "connection per client"))
print()
print("All measurements (medians; ops/s, p50 ms, p99 ms; errors summed over runs):")
print()
print("| variant | clients | ops/s | p50 ms | p99 ms | errors |")
print("|---------|--------:|------:|-------:|-------:|-------:|")
for v in variants:
    for c in levels:
        if (c, v) in data:
            print("| %s | %d | %.0f | %.2f | %.2f | %d |" % (v, c, med(c, v, 0), med(c, v, 1),
                  med(c, v, 2), sum(x[3] for x in data[(c, v)].values())))
print()
worst = min(ratios.values())
print("Targets: polis/etcd >= 5x now, >= 10x goal. Lowest ratio over the client counts: %.1fx "
      "(%s); now-target %s, goal %s." % (worst, ", ".join("%d clients %.1fx" % (c, r) for c, r in ratios.items()),
      "met" if worst >= 5 else "MISSED", "met" if worst >= 10 else "not met"))
EOF
