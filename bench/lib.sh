# bench/lib.sh: what the cluster bench scripts share. Source it after
# setting PY (a python3) and STOP_TIMEOUT_S, then call bench_work PREFIX.
#
#   PID[name]        processes the script started (stopped on exit)
#   WORK             the temporary directory bench_work made (removed on
#                    exit, kept with KEEP_WORK=1 or when a process died)
#   stop_proc NAME   SIGTERM, then SIGKILL after STOP_TIMEOUT_S
#   free_ports N     N distinct free loopback ports, one per line
#   check_alive NAME exits with the tail of NAME's log ($WORK/NAME.log)
#                    if the process is gone
#   cpu_ticks PID    utime + stime + cutime + cstime of a process
#   machine_ticks    "busy total" clock ticks over all CPUs
#   start_cluster SHARDS LABEL [FLAG...]
#                    three fresh polis nodes ($POLIS_BIN, every one a replica
#                    of every shard, SERVER_PIN before it if set) on new
#                    ports: PORT[1..3], PID[LABEL-n1..3]
#   cli NODE ARGS... a reply of node 1..3, or nothing if it does not answer

declare -A PID=()

stop_proc() {
    local name=$1 pid=${PID[$1]:-} i
    [ -n "$pid" ] || return 0
    unset "PID[$name]"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    echo "$0: $name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
    local name
    for name in "${!PID[@]}"; do stop_proc "$name"; done
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        echo "data and logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}

# bench_work PREFIX: WORK, and the traps that clean up on any exit.
bench_work() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

free_ports() {
    "$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

check_alive() {
    local name=$1
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
        echo "$0: $name exited; the tail of its log:" >&2
        tail -50 "$WORK/$name.log" >&2
        unset "PID[$name]"
        KEEP_WORK=1
        exit 1
    fi
}

# fields 14-17 of stat; the command name in field 2 may contain spaces, so
# count from its ')'
cpu_ticks() {
    sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}

# user nice system idle iowait irq softirq steal (guest time is in user)
machine_ticks() {
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}


cli() {
    local i=$1
    shift
    { timeout 10 redis-cli -h 127.0.0.1 -p "${PORT[$i]}" "$@" 2>/dev/null || true; } | tr -d '\r'
}

start_cluster() {
    local shards=$1 label=$2 i p peers
    shift 2
    mapfile -t p < <(free_ports 6)
    PORT=("" "${p[0]}" "${p[1]}" "${p[2]}")
    peers="1=127.0.0.1:${p[3]},2=127.0.0.1:${p[4]},3=127.0.0.1:${p[5]}"
    for i in 1 2 3; do
        mkdir -p "$WORK/$label-n$i"
        ${SERVER_PIN[@]+"${SERVER_PIN[@]}"} "$POLIS_BIN" server --port "${PORT[$i]}" \
            --bind 127.0.0.1 --dir "$WORK/$label-n$i" --node-id "$i" --peers "$peers" \
            --cluster-shards "$shards" --cluster-replicas 3 "$@" \
            >"$WORK/$label-n$i.log" 2>&1 &
        PID[$label-n$i]=$!
    done
}
