#!/bin/sh
# tests/fuzz/run_meta.sh - builds the meta state machine fuzzer and runs it.
#
# Usage: tests/fuzz/run_meta.sh [seconds]     (default 30)
#
# Builds straight from the sources it needs (src/cluster, src/base) with
# clang's libFuzzer + ASan + UBSan. The corpus lives in build/fuzz/corpus_meta
# and grows from run to run; crashes are written to build/fuzz/ as
# crash-<sha1>, and `build/fuzz/fuzz_meta build/fuzz/crash-...` replays one.
# See fuzz_meta.c for the input layout.
set -eu

cd "$(dirname "$0")/../.."
seconds=${1:-30}
out=build/fuzz
corpus=$out/corpus_meta
bin=$out/fuzz_meta

mkdir -p "$corpus"
clang -std=gnu17 -g -O1 -Wall -Wextra \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -I src \
    src/cluster/*.c src/base/*.c tests/fuzz/fuzz_meta.c -luv -o "$bin"

# Seeds: valid commands of each kind against the starting state (4 nodes,
# shards 1 and 2 at epoch 1), and a snapshot of a small state; written by
# the seed generator built into the unit tests' encoding (varints, version 1).
if [ -z "$(ls -A "$corpus")" ]; then
    python3 - "$corpus" <<'PY'
import os, sys
out = sys.argv[1]

def varint(v):
    b = bytearray()
    while True:
        byte = v & 0x7f
        v >>= 7
        b.append(byte | (0x80 if v else 0))
        if not v:
            return bytes(b)

def s(text):
    return varint(len(text)) + text.encode()

def cmd(op, node=0, shard=0, epoch=0, new_shard=0, split_at=0, replicas=0,
        split_keys=0, split_bytes=0, addr="", peer="", zone="", ranges=(), voters=()):
    b = varint(1) + varint(op) + varint(node) + varint(shard) + varint(epoch)
    b += varint(new_shard) + varint(split_at) + varint(replicas)
    b += varint(split_keys) + varint(split_bytes)
    b += s(addr) + s(peer) + s(zone) + varint(len(ranges))
    for first, last in ranges:
        b += varint(first) + varint(last)
    b += varint(len(voters)) + b"".join(varint(v) for v in voters)
    return b

def record(c):
    return bytes([len(c)]) + c

seqs = {
    "move": [cmd(6, node=4, shard=1, epoch=1), cmd(7, node=4, shard=1, epoch=2),
             cmd(8, node=1, shard=1, epoch=3)],
    "drain": [cmd(3, node=2), cmd(2, node=5, addr="127.0.0.5:7379", peer="127.0.0.5:17379", zone="z2"),
              cmd(6, node=5, shard=1, epoch=1), cmd(4, node=2)],
    "split": [cmd(9, shard=1, epoch=1, new_shard=3, split_at=4096),
              cmd(5, shard=4, ranges=[(0, 10)], voters=[1, 2, 3])],
    "refused": [cmd(8, node=1, shard=1, epoch=1), cmd(1, replicas=2), cmd(4, node=1)],
    "settings": [cmd(10, split_keys=1000, split_bytes=1 << 20)],
}
for name, cmds in seqs.items():
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(b"\x00" + b"".join(record(c) for c in cmds))
snap = b"PLSMETA1" + varint(5) + varint(1) + varint(4000000) + varint(2048 << 20) + varint(1)
snap += varint(1) + varint(1) + s("127.0.0.1:7379") + s("127.0.0.1:17379") + s("")
snap += varint(1) + varint(1) + varint(1) + varint(1) + varint(0) + varint(16383)
snap += varint(1) + varint(1) + varint(0)
with open(os.path.join(out, "seed-snapshot"), "wb") as f:
    f.write(b"\x01" + snap)
PY
fi

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 \
    -artifact_prefix="$out/" "$corpus"
