#!/usr/bin/env bash
# bench/idle-groups.sh - what an idle node pays for the Raft groups it hosts.
#
#   bench/idle-groups.sh <path-to-polis>
#
# Starts a 3-node cluster with --cluster-shards IDLE_SHARDS (default 1000;
# --cluster-replicas 3, so every node hosts a replica of every shard, plus
# the meta group 0) and sends it no requests. It waits, each wait bounded:
#
#   1. until every node reports cluster_state:ok (START_TIMEOUT_S, 120);
#   2. until CLUSTER REBALANCE says state:balanced and counts a leader for
#      every shard (BALANCE_WAIT_S, 900):
#      the leader balance moves one leadership per second, so a cluster
#      whose shards were created with unbalanced leaders is busy for minutes
#      (and every transfer wakes a group); 0 skips this wait;
#   3. until at least HIBERNATE_PERCENT (99) percent of the groups report
#      hibernating=1 in INFO replication on every node (HIBERNATE_WAIT_S,
#      120). If that never happens the script goes on and reports how many
#      groups hibernate, by role.
#
# Then, without a single request to the nodes, it measures each node's CPU
# over MEASURE_SECONDS (default 30) from /proc/PID/stat (utime + stime +
# cutime + cstime, all threads; 100% = one core), and its VmRSS from
# /proc/PID/status at the end, together with the CPU the whole machine was
# busy (other work on a shared machine shows there). It prints both per node
# and the median of the three nodes, and does the same for a cluster with
# COMPARE_SHARDS shards (default 1) as the reference. The target (issue): an
# idle node hosting 1,000 groups uses < 1% CPU.
#
# Environment: IDLE_SHARDS (the GROUPS above; bash owns that name),
# COMPARE_SHARDS ("" skips the reference cluster), MEASURE_SECONDS,
# START_TIMEOUT_S, BALANCE_WAIT_S, HIBERNATE_WAIT_S, HIBERNATE_PERCENT, KEEP_WORK (0: keep data dirs and logs). Benchmarks only
# print.
set -euo pipefail

usage() { echo "usage: $0 <path-to-polis>" >&2; exit 2; }
[ $# -eq 1 ] || usage

POLIS_BIN=$1
IDLE_SHARDS=${IDLE_SHARDS:-1000}
COMPARE_SHARDS=${COMPARE_SHARDS-1}
MEASURE_SECONDS=${MEASURE_SECONDS:-30}
START_TIMEOUT_S=${START_TIMEOUT_S:-120}
BALANCE_WAIT_S=${BALANCE_WAIT_S:-900}
HIBERNATE_WAIT_S=${HIBERNATE_WAIT_S:-120}
HIBERNATE_PERCENT=${HIBERNATE_PERCENT:-99}
STOP_TIMEOUT_S=30
PY=/usr/bin/python3
CLK_TCK=$(getconf CLK_TCK)

[ -x "$POLIS_BIN" ] || { echo "$0: $POLIS_BIN is not an executable" >&2; exit 1; }
for tool in redis-cli timeout; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install redis-tools)" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "$0: $PY not found" >&2; exit 1; }
for v in IDLE_SHARDS MEASURE_SECONDS START_TIMEOUT_S HIBERNATE_WAIT_S HIBERNATE_PERCENT; do
    case ${!v} in ''|*[!0-9]*|0) echo "$0: $v must be a positive integer" >&2; exit 2;; esac
done
case $BALANCE_WAIT_S in ''|*[!0-9]*) echo "$0: BALANCE_WAIT_S must be an integer" >&2; exit 2;; esac
case $COMPARE_SHARDS in *[!0-9]*|0) echo "$0: COMPARE_SHARDS must be a positive integer or empty" >&2; exit 2;; esac

HERE=${HERE:-$(cd "$(dirname "$0")" && pwd)}
. "$HERE/lib.sh"
bench_work polis-idle

# groups_of NODE: "total hibernating leaders leaders_hibernating" over the
# group_<id> lines of INFO replication (the meta group included).
groups_of() {
    cli "$1" INFO replication | awk '
        /^group_[0-9]+:/ { t++; h += /hibernating=1/; if (/role=leader/) { l++; lh += /hibernating=1/ } }
        END { print t + 0, h + 0, l + 0, lh + 0 }'
}

# hibernation LABEL: one line per node, "total hibernating leaders leaders_hibernating".
hibernation() {
    local i
    for i in 1 2 3; do check_alive "$1-n$i"; groups_of "$i"; done
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# balance_state SHARDS: the first line of CLUSTER REBALANCE, with " (N of
# SHARDS leaders known)" appended while some shard has no known leader (the
# report counts only known leaders as balanced).
balance_state() {
    local report led
    report=$(cli 1 CLUSTER REBALANCE)
    led=$(printf '%s\n' "$report" | sed -nE 's/^node_[0-9]+:.*leaders=([0-9]+).*/\1/p' |
          awk '{ n += $1 } END { print n + 0 }')
    printf '%s' "${report%%$'\n'*}"
    [ "$led" = "$1" ] || printf ' (%s of %s leaders known)' "$led" "$1"
    echo
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# idle SHARDS: one cluster, waits, then the measurement; appends to RESULTS.
idle() {
    local shards=$1 label="g$1" i t ok state h total need all t0 m0 mt0 m1 mt1 secs
    local -a c0=() c1=()
    start_cluster "$shards" "$label"
    t0=$SECONDS
    for ((t = 0; t < START_TIMEOUT_S * 5; t++)); do
        for i in 1 2 3; do check_alive "$label-n$i"; done
        ok=0
        for i in 1 2 3; do
            # not grep -q: with pipefail, its early exit could fail the pipe
            # shellcheck disable=SC2143
            [ -n "$(cli "$i" CLUSTER INFO | grep -x 'cluster_state:ok')" ] && ok=$((ok + 1))
        done
        [ "$ok" = 3 ] && break
        sleep 0.2
    done
    if [ "$ok" != 3 ]; then
        echo "$0: $shards shards: cluster_state not ok on all nodes within ${START_TIMEOUT_S}s" >&2
        KEEP_WORK=1
        exit 1
    fi
    echo "$shards shards: cluster_state:ok on all nodes after $((SECONDS - t0)) s" >&2

    t0=$SECONDS
    state=$(balance_state "$shards")
    while [ "$BALANCE_WAIT_S" -gt 0 ] && [ "$state" != state:balanced ] &&
          [ $((SECONDS - t0)) -lt "$BALANCE_WAIT_S" ]; do
        for i in 1 2 3; do check_alive "$label-n$i"; done
        sleep 2
        state=$(balance_state "$shards")
    done
    echo "$shards shards: CLUSTER REBALANCE $state after $((SECONDS - t0)) s" \
         "($(cli 1 CLUSTER REBALANCE | grep '^node_' | sed -E 's/:state=up,replicas=[0-9]+,/ /' | tr '\n' ' '))" >&2

    t0=$SECONDS
    while :; do
        h=$(hibernation "$label")
        all=1
        while read -r total hib _ _; do
            need=$(((total * HIBERNATE_PERCENT + 99) / 100))
            [ "$hib" -ge "$need" ] || all=0
        done <<<"$h"
        [ "$all" = 1 ] && break
        [ $((SECONDS - t0)) -lt "$HIBERNATE_WAIT_S" ] || break
        sleep 2
    done
    if [ "$all" = 1 ]; then
        echo "$shards shards: >= $HIBERNATE_PERCENT% of groups hibernating on every node after $((SECONDS - t0)) s" >&2
    else
        echo "$shards shards: WARNING: fewer than $HIBERNATE_PERCENT% of groups hibernating after ${HIBERNATE_WAIT_S}s; measuring anyway" >&2
    fi
    printf '%s\n' "$h" | awk '{ printf "  n%d: %d of %d groups hibernating; leaders %d of %d, followers %d of %d\n",
                                       NR, $2, $1, $4, $3, $2 - $4, $1 - $3 }' >&2

    # The measurement: no requests to the nodes from here to the end.
    for i in 1 2 3; do c0[i]=$(cpu_ticks "${PID[$label-n$i]}"); done
    read -r m0 mt0 < <(machine_ticks)
    t0=$(date +%s.%N)
    sleep "$MEASURE_SECONDS"
    secs=$(echo "$(date +%s.%N) - $t0" | bc -l)
    read -r m1 mt1 < <(machine_ticks)
    for i in 1 2 3; do c1[i]=$(cpu_ticks "${PID[$label-n$i]}"); done

    local h_after state_after
    h_after=$(hibernation "$label")
    state_after=$(balance_state "$shards")
    for i in 1 2 3; do
        read -r total hib leaders leaders_hib <<<"$(sed -n "${i}p" <<<"$h")"
        read -r _ hib_after _ _ <<<"$(sed -n "${i}p" <<<"$h_after")"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shards" "$i" "$total" "$hib" \
            "$leaders" "$leaders_hib" "$hib_after" "$((c1[i] - c0[i]))" "$secs" \
            "$(rss_kib "${PID[$label-n$i]}")" "$((m1 - m0))" "$((mt1 - mt0))" >>"$RESULTS"
    done
    echo "$shards shards: measured ${MEASURE_SECONDS}s; CLUSTER REBALANCE $state_after afterwards" >&2
    for i in 1 2 3; do
        grep -E ' # | ! ' "$WORK/$label-n$i.log" | grep -vE 'connect: connection refused' |
            sed "s/^/  $label n$i: /" | head -10 || true
    done >&2
    for i in 1 2 3; do stop_proc "$label-n$i"; done
}

command -v bc >/dev/null || { echo "$0: bc not found" >&2; exit 1; }

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "polis idle cost of Raft groups, 3 nodes, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  polis:      $POLIS_BIN ($("$POLIS_BIN" version 2>/dev/null | head -1)), 3 replicas per shard"
echo "  cpu:        ${cpu_model:-unknown}, $(nproc) cores online, CLK_TCK $CLK_TCK"
echo "  kernel:     $(uname -sr)"
echo "  settings:   shards=$IDLE_SHARDS (reference: ${COMPARE_SHARDS:-none}) measure=${MEASURE_SECONDS}s hibernate>=${HIBERNATE_PERCENT}%"
echo "  load avg:   $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise)"
echo

idle "$IDLE_SHARDS"
[ -z "$COMPARE_SHARDS" ] || idle "$COMPARE_SHARDS"

echo
echo "load avg at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$PY" - "$RESULTS" "$CLK_TCK" "$(nproc)" "$IDLE_SHARDS" <<'EOF'
import statistics, sys
path, clk, ncpu, target_groups = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = {}
for line in open(path):
    (shards, node, total, hib, leaders, leaders_hib, hib_after, ticks, secs, rss_kib, mbusy,
     mtotal) = line.rstrip("\n").split("\t")
    rows.setdefault(int(shards), []).append(dict(
        node=int(node), total=int(total), hib=int(hib), leaders=int(leaders),
        leaders_hib=int(leaders_hib), hib_after=int(hib_after),
        cpu=int(ticks) / clk / float(secs) * 100, rss=int(rss_kib) / 1024,
        busy=int(mbusy) / max(int(mtotal), 1) * ncpu * 100))
print("Idle nodes: CPU over the measurement (100% = one core) and VmRSS at its end")
print()
print("| shards | node | groups | hibernating (before / after) | leaders hibernating | CPU | RSS MiB | machine busy |")
print("|-------:|-----:|-------:|-----------------------------:|--------------------:|----:|--------:|-------------:|")
for s, rs in rows.items():
    for r in rs:
        print("| %d | n%d | %d | %d / %d | %d of %d | %.2f%% | %.1f | %.0f%% |" % (
            s, r["node"], r["total"], r["hib"], r["hib_after"], r["leaders_hib"], r["leaders"],
            r["cpu"], r["rss"], r["busy"]))
    print("| %d | median | | | | **%.2f%%** | **%.1f** | |" % (
        s, statistics.median(r["cpu"] for r in rs), statistics.median(r["rss"] for r in rs)))
print()
if target_groups in rows:
    cpu = statistics.median(r["cpu"] for r in rows[target_groups])
    worst = max(r["cpu"] for r in rows[target_groups])
    print("Target: an idle node hosting 1,000 groups uses < 1%% CPU. %d shards: median node %.2f%%, "
          "highest %.2f%%: %s%s." % (target_groups, cpu, worst, "met" if worst < 1 else "MISSED",
                                     " (but fewer groups than 1,000)" if target_groups < 1000 else ""))
EOF
