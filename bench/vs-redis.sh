#!/usr/bin/env bash
# bench/vs-redis.sh - polis against redis-server, measured in the same run.
#
#   bench/vs-redis.sh <path-to-polis>
#
# Starts the binary under test (`polis server ...`, or a redis-server given
# in its place, which is how the script is calibrated: ratios should then be
# about 1.0) and a reference redis-server (persistence off), each on a free
# loopback port, and prints:
#
#   * throughput: redis-benchmark -q -t TESTS -c 50 -r 100000, without and
#     with -P 16, TESTS (default set,get,lpush,lpop,sadd,spop,hset,zadd,
#     lrange_100); RUNS runs (default 3), each run benchmarks both servers
#     one after the other (the order alternates between runs); median ops/s
#     per test and the polis/redis ratio. -n is chosen so that one test
#     takes about BENCH_SECONDS (default 2) against redis, unless BENCH_N /
#     BENCH_N_PIPELINE are set.
#   * memory: on freshly started servers, MEM_KEYS (default 1,000,000) keys
#     with 16-byte values, then (after FLUSHALL) one hash, set, sorted set
#     and list of MEM_KEYS elements each (MEM_TYPES), loaded through
#     `redis-cli --pipe` (bench/gen_load.py); used_memory from INFO memory
#     and the growth of VmRSS (/proc/PID/status) over the RSS measured before
#     loading, and their ratios.
#
# With 2+ CPUs and taskset available, the servers run pinned to CPU 0 and
# redis-benchmark to the other CPUs (BENCH_PIN=0 turns this off), so the
# client never competes with the server for a core.
#
# Environment: RUNS, BENCH_SECONDS, BENCH_N, BENCH_N_PIPELINE, MEM_KEYS,
# MEM_TYPES (default "string hash set zset list"), TESTS, BENCH_PIN, REDIS_SERVER (default /usr/bin/redis-server). Benchmarks print ratios
# against a reference measured in the same run; nothing here asserts speed.
set -euo pipefail

usage() { echo "usage: $0 <path-to-polis | path-to-redis-server>" >&2; exit 2; }
[ $# -eq 1 ] || usage

POLIS_BIN=$1
REDIS_BIN=${REDIS_SERVER:-/usr/bin/redis-server}
RUNS=${RUNS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-2}
MEM_KEYS=${MEM_KEYS:-1000000}
MEM_VALUE_BYTES=16
MEM_TYPES=${MEM_TYPES:-string hash set zset list}
TESTS=${TESTS:-set,get,lpush,lpop,sadd,spop,hset,zadd,lrange_100}
CLIENTS=50
KEYSPACE=100000
PIPELINE=16
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
START_TIMEOUT_S=10
STOP_TIMEOUT_S=10

SERVER_PIN=()
CLIENT_PIN=()
if [ "${BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    SERVER_PIN=(taskset -c 0)
    CLIENT_PIN=(taskset -c "1-$(($(nproc) - 1))")
fi

for tool in "$POLIS_BIN" "$REDIS_BIN"; do
    [ -x "$tool" ] || { echo "$0: $tool is not an executable" >&2; exit 1; }
done
for tool in redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install redis-tools)" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "$0: $PY not found" >&2; exit 1; }
case $RUNS in ''|*[!0-9]*|0) echo "$0: RUNS must be a positive integer" >&2; exit 2;; esac

. "$HERE/lib.sh"
bench_work polis-bench
declare -A PORT=()

is_redis() { case $(basename "$1") in redis-server*) return 0;; *) return 1;; esac; }

# start_server NAME BINARY: starts it on a free port, waits for PING.
start_server() {
    local name=$1 bin=$2 port dir log i
    port=$(free_ports 1)
    dir="$WORK/$name-data"
    log="$WORK/$name.log"
    mkdir -p "$dir"
    if is_redis "$bin"; then
        "${SERVER_PIN[@]}" "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" \
            --save '' --appendonly no >"$log" 2>&1 &
    else
        "${SERVER_PIN[@]}" "$bin" server --port "$port" --bind 127.0.0.1 --dir "$dir" \
            >"$log" 2>&1 &
    fi
    PID[$name]=$!
    PORT[$name]=$port
    for ((i = 0; i < START_TIMEOUT_S * 20; i++)); do
        if ! kill -0 "${PID[$name]}" 2>/dev/null; then
            echo "$0: $name exited during startup; its log:" >&2
            cat "$log" >&2
            unset "PID[$name]"
            exit 1
        fi
        if [ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = PONG ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "$0: $name did not answer PING within ${START_TIMEOUT_S}s; its log:" >&2
    cat "$log" >&2
    exit 1
}

cli() { local name=$1; shift; redis-cli -h 127.0.0.1 -p "${PORT[$name]}" "$@"; }

info_field() { # info_field NAME SECTION FIELD
    cli "$1" INFO "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'
}

rss_bytes() {
    awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/${PID[$1]}/status"
}

# bench NAME N [extra redis-benchmark args]: prints "TEST<TAB>ops" lines.
bench() {
    local name=$1 n=$2 out
    shift 2
    out=$("${CLIENT_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "${PORT[$name]}" -q -t "$TESTS" -c "$CLIENTS" \
              -n "$n" -r "$KEYSPACE" "$@" 2>&1 | tr '\r' '\n' |
          sed -nE '/needed to benchmark/d; s/^([A-Z_0-9]+)( \([^)]*\))?: ([0-9.]+) requests per second.*/\1\t\3/p')
    local want
    want=$(printf '%s\n' "$TESTS" | tr ',' '\n' | grep -c .)
    if [ "$(printf '%s\n' "$out" | grep -c .)" -ne "$want" ]; then
        echo "$0: redis-benchmark against $name gave $(printf '%s\n' "$out" | grep -c .) of $want results: $out" >&2
        exit 1
    fi
    printf '%s\n' "$out"
}

# calibrate [args]: -n that takes about BENCH_SECONDS per test against redis.
calibrate() {
    local probe_n=$1 min_ops
    shift
    min_ops=$(bench redis "$probe_n" "$@" | awk -F'\t' 'NR == 1 || $2 < m { m = $2 } END { print m }')
    "$PY" -c "import sys; print(max(10000, int(float(sys.argv[1]) * float(sys.argv[2])) // 1000 * 1000))" \
        "$min_ops" "$BENCH_SECONDS"
}

# ---- machine ------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "polis vs redis-server, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  under test: $POLIS_BIN$(is_redis "$POLIS_BIN" && echo ' (a redis-server: calibration run)')"
echo "  reference:  $REDIS_BIN ($("$REDIS_BIN" --version | sed -E 's/.*v=([^ ]+).*/\1/'))"
echo "  cpu:        ${cpu_model:-unknown}, $(nproc) cores online"
echo "  kernel:     $(uname -sr)"
echo "  settings:   RUNS=$RUNS clients=$CLIENTS keyspace=$KEYSPACE pipeline=$PIPELINE"
echo "  pinning:    ${SERVER_PIN[*]:-none} (servers), ${CLIENT_PIN[*]:-none} (redis-benchmark)"
echo "  load avg:   $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise)"
echo

# ---- memory (fresh servers) ---------------------------------------------------------

MEM_TSV="$WORK/memory.tsv"
: >"$MEM_TSV"
for kind in $MEM_TYPES; do
    # Fresh servers for each kind: the RSS a FLUSHALL frees stays with the
    # allocator and would hide the next kind's growth.
    start_server polis "$POLIS_BIN"
    start_server redis "$REDIS_BIN"
    echo "generating $MEM_KEYS elements ($kind) ..." >&2
    "$PY" "$HERE/gen_load.py" "$MEM_KEYS" "$MEM_VALUE_BYTES" "$kind" >"$WORK/load.resp"
    if [ "$kind" = string ]; then replies=$MEM_KEYS; else replies=$(((MEM_KEYS + 999) / 1000)); fi
    for name in polis redis; do
        used_before=$(info_field "$name" memory used_memory)
        rss_before=$(rss_bytes "$name")
        echo "loading into $name ..." >&2
        pipe_out=$(cli "$name" --pipe <"$WORK/load.resp" 2>&1)
        if ! printf '%s\n' "$pipe_out" | grep -q "errors: 0, replies: $replies"; then
            echo "$0: loading $kind into $name failed: $pipe_out" >&2
            exit 1
        fi
        if [ "$kind" = string ]; then
            size=$(cli "$name" DBSIZE)
        else
            size=$(case $kind in hash) cli "$name" HLEN big ;; set) cli "$name" SCARD big ;;
                                 zset) cli "$name" ZCARD big ;; list) cli "$name" LLEN big ;; esac)
        fi
        [ "$size" = "$MEM_KEYS" ] || { echo "$0: $name has $size $kind elements, expected $MEM_KEYS" >&2; exit 1; }
        used_after=$(info_field "$name" memory used_memory)
        rss_after=$(rss_bytes "$name")
        printf '%s\t%s\tused_memory\t%s\n' "$name" "$kind" "$used_after" >>"$MEM_TSV"
        printf '%s\t%s\tused_memory_delta\t%s\n' "$name" "$kind" "$((used_after - used_before))" >>"$MEM_TSV"
        printf '%s\t%s\trss_delta\t%s\n' "$name" "$kind" "$((rss_after - rss_before))" >>"$MEM_TSV"
    done
    stop_proc polis
    stop_proc redis
done
rm -f "$WORK/load.resp"
start_server polis "$POLIS_BIN"
start_server redis "$REDIS_BIN"

# ---- throughput ------------------------------------------------------------------------

TP_TSV="$WORK/throughput.tsv"
: >"$TP_TSV"
n_plain=${BENCH_N:-$(calibrate 100000)}
n_pipe=${BENCH_N_PIPELINE:-$(calibrate 1000000 -P "$PIPELINE")}
echo "requests per test: $n_plain without pipelining, $n_pipe with -P $PIPELINE" >&2

for ((run = 1; run <= RUNS; run++)); do
    if ((run % 2)); then order="polis redis"; else order="redis polis"; fi
    for mode in none "P$PIPELINE"; do
        for name in $order; do
            if [ "$mode" = none ]; then
                results=$(bench "$name" "$n_plain")
            else
                results=$(bench "$name" "$n_pipe" -P "$PIPELINE")
            fi
            while IFS=$'\t' read -r test ops; do
                printf '%s\t%s\t%s\t%s\t%s\n' "$run" "$mode" "$test" "$name" "$ops" >>"$TP_TSV"
                echo "run $run/$RUNS pipeline=$mode $name $test: $ops ops/s" >&2
            done <<<"$results"
        done
    done
done

stop_proc polis
stop_proc redis
echo
MEM_KEYS=$MEM_KEYS "$PY" "$HERE/report.py" "$TP_TSV" "$MEM_TSV"
