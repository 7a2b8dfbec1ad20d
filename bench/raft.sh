#!/bin/sh
# bench/raft.sh - the Raft core micro-benchmark (three in-memory replicas,
# no I/O): entries committed per second and allocations per entry.
#   bench/raft.sh [entries-per-case]     (default 2,000,000)
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/bench
cc -std=gnu17 -O2 -g -Wall -Wextra -Werror -I src -DPOLIS_VERSION='"bench"' \
    src/raft/*.c src/base/*.c bench/raft-bench.c -lm -o build/bench/raft-bench
exec build/bench/raft-bench "$@"
