#!/usr/bin/env bash
# bench/wal.sh - builds the release tree and runs the WAL benchmark:
# durable 100-byte appends/s with 1, 16, 256 and 4096 concurrent appenders
# against the raw fdatasync rate of the same disk, measured in the same run.
#
#   bench/wal.sh                 # temp dir under /tmp, 3 s per run
#   bench/wal.sh DIR [SECONDS]   # benchmark the disk that holds DIR
#   WAL_BENCH_LEVELS="1 256" bench/wal.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOLIS_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target polis-wal-bench >/dev/null
dir="${1:-}"
seconds="${2:-3}"
# shellcheck disable=SC2086
exec build/release/polis-wal-bench "$dir" "$seconds" ${WAL_BENCH_LEVELS:-1 16 256 4096}
