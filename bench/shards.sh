#!/usr/bin/env bash
# bench/shards.sh - how throughput and CPU scale with the number of shards of a
# 3-node polis cluster, measured in the same run on the same machine.
#
#   bench/shards.sh <path-to-polis>
#
# For each shard count in SHARDS_LEVELS (default "1 4 16") it starts a fresh
# 3-node cluster (`polis server --node-id i --peers ... --cluster-shards S
# --cluster-replicas 3 --cluster-redirect yes`: every node holds a replica of
# every shard, and a node answers -MOVED for a slot whose shard it does not
# lead), waits for `cluster_state:ok` on every node and for `CLUSTER
# REBALANCE` to report `state:balanced` (leaders spread over the nodes), and
# then, RUNS times (default 3), runs
#
#   redis-benchmark --cluster -p <node 1> -t set -n N -c CLIENTS -r KEYSPACE --csv
#
# and the same with -t get, so that each request goes straight to its
# shard's leader. SETs are durable (on a majority's disk before +OK), GETs
# linearizable (ReadIndex). Around each redis-benchmark the script reads the
# CPU time of each node from /proc/PID/stat (utime + stime, plus cutime +
# cstime: snapshot children once reaped) and the machine's busy time from
# /proc/stat. It prints, per shard count, the median ops/s of SET and GET, the
# ratio to the 1-shard cluster (the first level) measured in the same run,
# the server CPU-seconds (all three nodes) per 100,000 requests, the CPU
# each node used per second of the run, the server CPU per shard, and how
# busy the machine was.
#
# On a 2-core machine the CPU is the limit: redis-benchmark and the three
# servers share two cores, so more shards can only spread the leaders' work
# over the nodes (with 1 shard one node leads everything), not add cores.
# The "machine busy" column shows how close to 200% of 2 cores a run was.
# Servers are not pinned by default, unlike vs-redis.sh and vs-etcd.sh:
# pinning all three nodes to one core would hide exactly what more shards
# buy. BENCH_PIN=1 pins the servers to CPU 0 and redis-benchmark to the
# other CPUs.
#
# Environment: SHARDS_LEVELS, RUNS, N (200000 requests per test), CLIENTS
# (50), KEYSPACE (100000), BENCH_PIN (0), START_TIMEOUT_S (60, per cluster:
# until cluster_state:ok and state:balanced), BENCH_TIMEOUT_S (300, per
# redis-benchmark), KEEP_WORK (0: keep data dirs and logs). Benchmarks only
# print.
set -euo pipefail

usage() { echo "usage: $0 <path-to-polis>" >&2; exit 2; }
[ $# -eq 1 ] || usage

POLIS_BIN=$1
SHARDS_LEVELS=${SHARDS_LEVELS:-1 4 16}
RUNS=${RUNS:-3}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
START_TIMEOUT_S=${START_TIMEOUT_S:-60}
BENCH_TIMEOUT_S=${BENCH_TIMEOUT_S:-300}
STOP_TIMEOUT_S=15
PY=/usr/bin/python3
CLK_TCK=$(getconf CLK_TCK)

SERVER_PIN=()
CLIENT_PIN=()
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    SERVER_PIN=(taskset -c 0)
    CLIENT_PIN=(taskset -c "1-$(($(nproc) - 1))")
fi

[ -x "$POLIS_BIN" ] || { echo "$0: $POLIS_BIN is not an executable" >&2; exit 1; }
for tool in redis-benchmark redis-cli timeout; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install redis-tools)" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "$0: $PY not found" >&2; exit 1; }
for v in RUNS N CLIENTS KEYSPACE START_TIMEOUT_S BENCH_TIMEOUT_S; do
    case ${!v} in ''|*[!0-9]*|0) echo "$0: $v must be a positive integer" >&2; exit 2;; esac
done
for s in $SHARDS_LEVELS; do
    case $s in ''|*[!0-9]*|0) echo "$0: SHARDS_LEVELS must list positive integers" >&2; exit 2;; esac
done

HERE=${HERE:-$(cd "$(dirname "$0")" && pwd)}
. "$HERE/lib.sh"
bench_work polis-shards

stop_cluster() { local i; for i in 1 2 3; do stop_proc "$1-n$i"; done; }

# wait_ready LABEL SHARDS: cluster_state:ok on all nodes, then state:balanced
# with a leader for every shard. Sets BALANCE (the balance report's node
# lines) and LEADING (the ids of the nodes that lead a shard).
wait_ready() {
    local label=$1 shards=$2 i t ok report led
    for ((t = 0; t < START_TIMEOUT_S * 5; t++)); do
        for i in 1 2 3; do check_alive "$label-n$i"; done
        ok=0
        for i in 1 2 3; do
            # not grep -q: with pipefail, its early exit could fail the pipe
            # shellcheck disable=SC2143
            [ -n "$(cli "$i" CLUSTER INFO | grep -x 'cluster_state:ok')" ] && ok=$((ok + 1))
        done
        if [ "$ok" = 3 ]; then
            report=$(cli 1 CLUSTER REBALANCE)
            # "balanced" counts only known leaders: wait until every shard has one
            led=$(printf '%s\n' "$report" | sed -nE 's/^node_[0-9]+:.*leaders=([0-9]+).*/\1/p' |
                  awk '{ n += $1 } END { print n + 0 }')
            if [ "${report%%$'\n'*}" = state:balanced ] && [ "$led" = "$shards" ]; then
                BALANCE=$(printf '%s\n' "$report" | grep '^node_' | tr '\n' ' ')
                # Nodes that lead a shard, as "i i ...".
                LEADING=$(printf '%s\n' "$report" |
                          sed -nE 's/^node_([0-9]+):.*leaders=([1-9][0-9]*).*/\1/p' | tr '\n' ' ')
                return 0
            fi
        fi
        sleep 0.2
    done
    echo "$0: $label: not ok and balanced within ${START_TIMEOUT_S}s" \
         "(CLUSTER REBALANCE: $(cli 1 CLUSTER REBALANCE | tr '\n' ' ')); logs in $WORK" >&2
    KEEP_WORK=1
    exit 1
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# bench LABEL SHARDS RUN TEST: one redis-benchmark, with CPU around it.
bench() {
    local label=$1 shards=$2 run=$3 test=$4 i out line ops masters t0 t1 m0 m1
    local -a c0=() c1=()
    for i in 1 2 3; do c0[i]=$(cpu_ticks "${PID[$label-n$i]}"); done
    read -r m0 mt0 < <(machine_ticks)
    t0=$(date +%s.%N)
    local -a target=(--cluster -p "${PORT[1]}")
    [ "$MODE" = cluster ] || target=(-p "${PORT[${MODE#direct:}]}")
    if ! out=$("${CLIENT_PIN[@]}" timeout "$BENCH_TIMEOUT_S" redis-benchmark -h 127.0.0.1 \
                   "${target[@]}" -t "$test" -n "$N" -c "$CLIENTS" -r "$KEYSPACE" --csv 2>&1); then
        echo "$0: redis-benchmark ${target[*]} ($test, $shards shards) failed or timed out:" >&2
        printf '%s\n' "$out" | tr '\r' '\n' | grep -v 'rps=' | tail -20 >&2
        KEEP_WORK=1
        exit 1
    fi
    t1=$(date +%s.%N)
    read -r m1 mt1 < <(machine_ticks)
    for i in 1 2 3; do c1[i]=$(cpu_ticks "${PID[$label-n$i]}"); done
    out=$(printf '%s\n' "$out" | tr '\r' '\n' | grep -v 'rps=')
    printf '%s\n' "$out" >>"$WORK/redis-benchmark.log"
    line=$(printf '%s\n' "$out" | tr -d '"' | awk -F, -v t="${test^^}" '$1 == t')
    [ -n "$line" ] || { echo "$0: redis-benchmark gave no $test result: $out" >&2; exit 1; }
    if printf '%s\n' "$out" | grep -qiE 'error|moved|ask '; then
        echo "  redis-benchmark ($test, $shards shards) reported:" >&2
        printf '%s\n' "$out" | grep -iE 'error|moved|ask ' | sort | uniq -c | head -5 >&2
    fi
    ops=$(cut -d, -f2 <<<"$line")
    if [ "$MODE" = cluster ]; then
        # masters with slots (those without are skipped with a warning)
        masters=$(printf '%s\n' "$out" | sed -nE 's/^Cluster has ([0-9]+) master nodes.*/\1/p')
    else
        masters="1 (direct to n${MODE#direct:}, no --cluster)"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shards" "$run" "${test^^}" "$ops" \
        "$(echo "$t1 - $t0" | bc -l)" "$((c1[1] - c0[1]))" "$((c1[2] - c0[2]))" \
        "$((c1[3] - c0[3]))" "$((m1 - m0))" "$((mt1 - mt0))" "${masters:-?}" >>"$RESULTS"
    printf 'shards %-3s run %s/%s %-3s %9.0f ops/s  server CPU %5.2f s (n1 %s, n2 %s, n3 %s ticks)  masters seen %s\n' \
        "$shards" "$run" "$RUNS" "${test^^}" "$ops" \
        "$(echo "(${c1[1]} - ${c0[1]} + ${c1[2]} - ${c0[2]} + ${c1[3]} - ${c0[3]}) / $CLK_TCK" | bc -l)" \
        "$((c1[1] - c0[1]))" "$((c1[2] - c0[2]))" "$((c1[3] - c0[3]))" "${masters:-?}" >&2
}

command -v bc >/dev/null || { echo "$0: bc not found" >&2; exit 1; }

# ---- machine ---------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "polis shard scaling, 3 nodes, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  polis:      $POLIS_BIN ($("$POLIS_BIN" version 2>/dev/null | head -1)), 3 replicas per shard, --cluster-redirect yes"
echo "  load:       redis-benchmark $(redis-benchmark --version | awk '{ print $2 }') --cluster, -t set and -t get separately"
echo "  cpu:        ${cpu_model:-unknown}, $(nproc) cores online (clients and the 3 servers share them)"
echo "  kernel:     $(uname -sr)"
echo "  settings:   RUNS=$RUNS shards=\"$SHARDS_LEVELS\" n=$N clients=$CLIENTS keyspace=$KEYSPACE"
echo "  pinning:    ${SERVER_PIN[*]:-none} (servers), ${CLIENT_PIN[*]:-none} (redis-benchmark)"
echo "  load avg:   $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise)"
echo

for shards in $SHARDS_LEVELS; do
    label="s$shards"
    start_cluster "$shards" "$label" --cluster-redirect yes
    t0=$SECONDS
    wait_ready "$label" "$shards"
    # redis-benchmark --cluster refuses a cluster where one node holds all
    # the slots ("Invalid cluster: 1 node(s).", after "Master node ... has no
    # slots, skipping..." for the others), which is every 1-shard cluster.
    # Then it is run without --cluster against that node, the shard's
    # leader: the requests --cluster would send, to the node it would send
    # them to.
    read -r -a leading <<<"$LEADING"
    if [ "${#leading[@]}" -ge 2 ]; then MODE=cluster; else MODE="direct:${leading[0]}"; fi
    echo "$shards shards: ok and balanced $((SECONDS - t0)) s after the start: $BALANCE" >&2
    for ((run = 1; run <= RUNS; run++)); do
        for test in set get; do
            bench "$label" "$shards" "$run" "$test"
        done
    done
    for i in 1 2 3; do check_alive "$label-n$i"; done
    after=$(cli 1 CLUSTER REBALANCE | head -1)
    [ "$after" = state:balanced ] || echo "  after the runs CLUSTER REBALANCE says $after" >&2
    # Anything that looks wrong in the node logs (warnings after startup).
    for i in 1 2 3; do
        grep -E ' # | ! ' "$WORK/$label-n$i.log" |
            grep -vE 'connect: connection refused|received SIGTERM' |
            sed "s/^/  $label n$i: /" | head -10 || true
    done >&2
    stop_cluster "$label"
done

echo
echo "load avg at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$PY" - "$RESULTS" "$CLK_TCK" "$N" "$(nproc)" <<'EOF'
import statistics, sys
path, clk, n, ncpu = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = {}  # (shards, test) -> [dict per run]
levels = []
for line in open(path):
    s, run, test, ops, secs, c1, c2, c3, mbusy, mtotal, masters = line.rstrip("\n").split("\t")
    s = int(s)
    if s not in levels: levels.append(s)
    cpu = [int(c1) / clk, int(c2) / clk, int(c3) / clk]
    rows.setdefault((s, test), []).append(dict(
        ops=float(ops), secs=float(secs), cpu=cpu, busy=int(mbusy) / max(int(mtotal), 1) * ncpu,
        masters=masters))

def med(s, test, f):
    return statistics.median(f(r) for r in rows[(s, test)])

base = levels[0]
nruns = max(len(v) for v in rows.values())
print("SET and GET through redis-benchmark --cluster: median of %d runs of %d requests" % (nruns, n))
print()
print("| shards | SET ops/s | GET ops/s | SET ratio | GET ratio | server CPU-s per 100k SET | per 100k GET | CPU-s per shard (SET+GET run) | nodes targeted |")
print("|-------:|----------:|----------:|----------:|----------:|--------------------------:|-------------:|------------------------------:|----------------|")
for s in levels:
    set_ops, get_ops = med(s, "SET", lambda r: r["ops"]), med(s, "GET", lambda r: r["ops"])
    b_set, b_get = med(base, "SET", lambda r: r["ops"]), med(base, "GET", lambda r: r["ops"])
    per = {t: med(s, t, lambda r: sum(r["cpu"]) / n * 100000) for t in ("SET", "GET")}
    run_cpu = statistics.median(sum(a["cpu"]) + sum(b["cpu"])
                                for a, b in zip(rows[(s, "SET")], rows[(s, "GET")]))
    masters = "/".join(sorted({r["masters"] for t in ("SET", "GET") for r in rows[(s, t)]}))
    print("| %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |" % (
        s, set_ops, get_ops, set_ops / b_set, get_ops / b_get, per["SET"], per["GET"],
        run_cpu / s, masters))
print()
print("Per node: CPU used per second of the benchmark (100% = one core; medians), and how busy")
print("the whole machine was (all processes, %d cores = %d%%)" % (ncpu, 100 * ncpu))
print()
print("| shards | test | n1 CPU | n2 CPU | n3 CPU | servers | machine busy | per-run ops/s |")
print("|-------:|------|-------:|-------:|-------:|--------:|-------------:|---------------|")
for s in levels:
    for t in ("SET", "GET"):
        node = [med(s, t, lambda r, i=i: r["cpu"][i] / r["secs"] * 100) for i in range(3)]
        print("| %d | %s | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %s |" % (
            s, t, node[0], node[1], node[2], med(s, t, lambda r: sum(r["cpu"]) / r["secs"] * 100),
            med(s, t, lambda r: r["busy"] * 100), " ".join("%.0f" % r["ops"] for r in rows[(s, t)])))
EOF
