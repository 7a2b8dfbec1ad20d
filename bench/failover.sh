#!/usr/bin/env bash
# bench/failover.sh - how long a 3-node polis cluster takes to accept writes
# again after kill -9 of its leader, with default settings.
#
#   bench/failover.sh <path-to-polis>
#
# Starts 3 nodes (`polis server --port P --dir D --node-id i --peers ...`, no
# other setting: 50 ms raft tick, election after 10-20 ticks) on loopback
# ports, then runs TRIALS trials (default 20). Each trial:
#
#   1. waits until all three nodes agree on a leader and every node has
#      applied the leader's commit index;
#   2. runs the writer (bench/kv-load.c `failover`, compiled here with cc into
#      build/bench/kv-load) against the two other nodes: a SET to each every
#      WRITE_INTERVAL_US (default 1000) on an idle connection (a new one if all
#      are waiting), plus one closed-loop connection per node; after 300 ms of
#      successful writes it sends SIGKILL to the leader itself and measures,
#      from the instant before kill(2):
#        first ok  the first successful write sent after the kill (either node)
#                  - the failover time;
#        all ok    the time by which both surviving nodes had accepted one;
#        naive     the same for the closed-loop connections: a simple client
#                  with one write in flight and no timeout;
#        in-flight writes sent before the kill and unanswered at it, and when
#                  the last of them got its answer;
#   3. restarts the killed node with no cluster flags (`polis server --port P
#      --dir D`: cluster.conf in its directory) and waits until it has caught
#      up (applied the new leader's commit index).
#
# Prints every trial, then the median and max of each measure, and the target
# (max first-ok < 1 s). Environment: TRIALS, WRITE_INTERVAL_US, KEEP_WORK (1:
# keep data and logs). Benchmarks only print.
set -euo pipefail

usage() { echo "usage: $0 <path-to-polis>" >&2; exit 2; }
[ $# -eq 1 ] || usage

POLIS_BIN=$1
TRIALS=${TRIALS:-20}
WRITE_INTERVAL_US=${WRITE_INTERVAL_US:-1000}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LOAD="$ROOT/build/bench/kv-load"
START_TIMEOUT_S=20
CATCHUP_TIMEOUT_S=60
STOP_TIMEOUT_S=15

[ -x "$POLIS_BIN" ] || { echo "$0: $POLIS_BIN is not an executable" >&2; exit 1; }
for tool in redis-cli cc; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "$0: $PY not found" >&2; exit 1; }
case $TRIALS in ''|*[!0-9]*|0) echo "$0: TRIALS must be a positive integer" >&2; exit 2;; esac

mkdir -p "$ROOT/build/bench"
cc -std=gnu17 -O2 -g -Wall -Wextra -Werror "$HERE/kv-load.c" -o "$LOAD"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/polis-failover.XXXXXX")
declare -A PID=()

stop_node() {
    local i=$1 pid=${PID[$1]:-} t
    [ -n "$pid" ] || return 0
    unset "PID[$i]"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((t = 0; t < STOP_TIMEOUT_S * 10; t++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    echo "$0: node $i (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local i
    for i in "${!PID[@]}"; do stop_node "$i"; done
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        echo "data and logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mapfile -t P < <("$PY" - <<'EOF'
import socket
socks = []
for _ in range(6):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
)
PORT=("" "${P[0]}" "${P[1]}" "${P[2]}")
PEERS="1=127.0.0.1:${P[3]},2=127.0.0.1:${P[4]},3=127.0.0.1:${P[5]}"

info() { # info NODE FIELD: a field of INFO replication, empty if unreachable
    redis-cli -h 127.0.0.1 -p "${PORT[$1]}" INFO replication 2>/dev/null | tr -d '\r' |
        awk -F: -v f="$2" '$1 == f { print $2 }'
}

check_alive() {
    local i
    for i in 1 2 3; do
        if [ -n "${PID[$i]:-}" ] && ! kill -0 "${PID[$i]}" 2>/dev/null; then
            echo "$0: node $i exited unexpectedly; its log:" >&2
            tail -50 "$WORK/n$i.log" >&2
            unset "PID[$i]"
            KEEP_WORK=1
            exit 1
        fi
    done
}

# settled: prints the leader id when all three nodes agree on it and each has
# applied the leader's commit index.
settled() {
    local i leader="" l commit applied
    for i in 1 2 3; do
        l=$(info "$i" leader)
        [ -n "$l" ] && [ "$l" != 0 ] || return 1
        [ -z "$leader" ] || [ "$leader" = "$l" ] || return 1
        leader=$l
    done
    [ "$(info "$leader" raft_role)" = leader ] || return 1
    commit=$(info "$leader" commit_index)
    for i in 1 2 3; do
        applied=$(info "$i" applied_index)
        [ -n "$applied" ] && [ "$applied" -ge "$commit" ] || return 1
    done
    echo "$leader"
}

wait_settled() { # wait_settled TIMEOUT_S: sets LEADER
    local t
    for ((t = 0; t < $1 * 20; t++)); do
        check_alive
        if LEADER=$(settled); then return 0; fi
        sleep 0.05
    done
    echo "$0: the cluster did not settle within $1 s; logs in $WORK" >&2
    KEEP_WORK=1
    exit 1
}

now_ms() { date +%s%3N; }

field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# ---- run -------------------------------------------------------------------------------

echo "polis failover: kill -9 of the leader of a 3-node cluster, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  polis:     $POLIS_BIN ($("$POLIS_BIN" version 2>/dev/null | head -1)), default settings"
echo "  cpu:       $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores online"
echo "  kernel:    $(uname -sr)"
echo "  writer:    build/bench/kv-load failover, a SET every ${WRITE_INTERVAL_US} us to each survivor"
echo "  trials:    $TRIALS"
echo "  load avg:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo

for i in 1 2 3; do
    mkdir -p "$WORK/n$i"
    "$POLIS_BIN" server --port "${PORT[$i]}" --bind 127.0.0.1 --dir "$WORK/n$i" --node-id "$i" \
        --peers "$PEERS" >"$WORK/n$i.log" 2>&1 &
    PID[$i]=$!
done
wait_settled "$START_TIMEOUT_S"

RESULTS="$WORK/trials.tsv"
: >"$RESULTS"
printf '| trial | killed | new leader | first ok ms | all ok ms | naive ms | in-flight | in-flight answered ms | errors | catch-up ms |\n'
printf '|------:|-------:|-----------:|------------:|----------:|---------:|----------:|----------------------:|-------:|------------:|\n'
for ((trial = 1; trial <= TRIALS; trial++)); do
    wait_settled "$CATCHUP_TIMEOUT_S"
    old=$LEADER
    survivors=""
    for i in 1 2 3; do [ "$i" = "$old" ] || survivors="$survivors${survivors:+,}${PORT[$i]}"; done
    out=$("$LOAD" failover --ports "$survivors" --kill-pid "${PID[$old]}" \
              --interval-us "$WRITE_INTERVAL_US" --seed "$trial") ||
        { echo "$0: the writer failed in trial $trial: $out" >&2; KEEP_WORK=1; exit 1; }
    wait "${PID[$old]}" 2>/dev/null || true
    unset "PID[$old]"

    # restart with no cluster flags; time until it has caught up
    t0=$(now_ms)
    "$POLIS_BIN" server --port "${PORT[$old]}" --dir "$WORK/n$old" >>"$WORK/n$old.log" 2>&1 &
    PID[$old]=$!
    wait_settled "$CATCHUP_TIMEOUT_S"
    catchup=$(($(now_ms) - t0))

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$trial" "$old" "$LEADER" \
        "$(field "$out" first_ok_ms)" "$(field "$out" all_ok_ms)" "$(field "$out" naive_ms)" \
        "$(field "$out" inflight)" "$(field "$out" inflight_max_ms)" "$(field "$out" errors)" \
        "$catchup" >>"$RESULTS"
    printf '| %d | n%s | n%s | %s | %s | %s | %s | %s | %s | %s |\n' "$trial" "$old" "$LEADER" \
        "$(field "$out" first_ok_ms)" "$(field "$out" all_ok_ms)" "$(field "$out" naive_ms)" \
        "$(field "$out" inflight)" "$(field "$out" inflight_max_ms)" "$(field "$out" errors)" \
        "$catchup"
    echo "trial $trial: $out" >"$WORK/writer-$trial.out"
    errkinds=$(printf '%s\n' "$out" | grep -o 'error[0-9]="[^"]*"' || true)
    [ -z "$errkinds" ] || printf '%s\n' "$errkinds" | sed "s/^/    trial $trial: /" >&2
done
check_alive
echo
echo "load avg at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "polis node logs: warnings and errors (other than refused peer connects, expected while a node is down)"
for i in 1 2 3; do
    grep -E ' # | ! ' "$WORK/n$i.log" | grep -v 'connect: connection refused' |
        grep -v 'connection reset by peer\|connection closed by the peer' |
        sed "s/^/  n$i: /" | head -20 || true
done | grep . || echo "  (none)"
echo

"$PY" - "$RESULTS" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
cols = {"first ok (failover time)": 3, "all ok (both survivors)": 4,
        "naive closed-loop client": 5, "in-flight writes answered": 7, "restart to caught up": 9}
print("Over %d trials, ms from kill -9 of the leader (-1 = never within the writer's 15 s):" % len(rows))
print()
print("| measure | median ms | max ms | min ms |")
print("|---------|----------:|-------:|-------:|")
for name, i in cols.items():
    xs = [float(r[i]) for r in rows]
    bad = any(x < 0 for x in xs)
    print("| %s | %.0f | %s | %.0f |" % (name, statistics.median(xs),
          "never" if bad else "%.0f" % max(xs), min(xs)))
print()
first = [float(r[3]) for r in rows]
mx = max(first) if all(x >= 0 for x in first) else float("inf")
print("Target: max failover (first ok) < 1000 ms with default settings: %s (max %.0f ms, median %.0f ms)."
      % ("met" if mx < 1000 else "MISSED", mx, statistics.median(first)))
EOF
