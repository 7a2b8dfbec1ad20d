#!/bin/sh
# tests/fuzz/run_wire.sh - builds the peer protocol fuzzer and runs it.
#
# Usage: tests/fuzz/run_wire.sh [seconds]     (default 30)
#
# Builds straight from the sources it needs (src/node/wire.c, src/base,
# src/wal/crc32c.c + ISA-L) with clang's libFuzzer + ASan + UBSan, so it
# works even when other modules do not compile. The corpus lives in
# build/fuzz/corpus_wire and grows from run to run; crashes are written to
# build/fuzz/ as crash-<sha1>, and `build/fuzz/fuzz_wire build/fuzz/crash-...`
# replays one. See fuzz_wire.c for the input layout.
set -eu

cd "$(dirname "$0")/../.."
seconds=${1:-30}
out=build/fuzz
corpus=$out/corpus_wire
bin=$out/fuzz_wire

mkdir -p "$corpus"
clang -std=gnu17 -g -O1 -Wall -Wextra \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -I src \
    src/node/wire.c src/base/*.c src/wal/crc32c.c tests/fuzz/fuzz_wire.c \
    -lisal -o "$bin"

# Seeds: one valid payload of each frame type (payload mode), and framed
# streams of them with real CRCs (stream mode), written by python3.
if [ -z "$(ls -A "$corpus")" ]; then
    python3 - "$corpus" <<'PY'
import struct, sys, os
d = sys.argv[1]

def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xffffffff

def frame(t, p):
    body = bytes([t]) + p
    return struct.pack('<II', len(body) + 4, crc32c(body)) + body

def msg(typ, flags=0, fields=(1, 1, 2, 5, 9, 4, 8, 0, 0, 0), entries=(), snap=None):
    b = struct.pack('<BB10QI', typ, flags | (8 if snap else 0), *fields, len(entries))
    for term, index, etype, data in entries:
        b += struct.pack('<QQBI', term, index, etype, len(data)) + data
    if snap:
        idx, term, size, voters, off, data = snap
        b += struct.pack('<QQQB', idx, term, size, len(voters))
        b += b''.join(struct.pack('<Q', v) for v in voters)
        b += b'\x00\x00' + struct.pack('<QI', off, len(data)) + data
    return b

def batch(*msgs):
    return struct.pack('<I', len(msgs)) + b''.join(msgs)

hs = b'POLISPEER' + struct.pack('<HHQQQ', 1, 1, 7, 1, 2)
ack = struct.pack('<HQQ', 1, 7, 2)
rej = bytes([1, 16]) + b'wrong cluster id'
ping = struct.pack('<Q', 42)
raft = batch(msg(7), msg(5, entries=[(5, 10, 0, b'*1\r\n$4\r\nPING\r\n'), (5, 11, 1, b'')]),
             msg(9, 4, snap=(100, 4, 10, [1, 2, 3], 0, b'0123456789')))
fwd = struct.pack('<QQBII', 9, 0, 2, 0, 3) + b''.join(
    struct.pack('<I', len(a)) + a for a in (b'SET', b'k', b'v'))
rep = struct.pack('<Q', 9) + b'+OK\r\n'
payloads = [(0, 'handshake', hs), (1, 'ack', ack), (2, 'reject', rej), (3, 'ping', ping),
            (4, 'pong', ping), (5, 'raft', raft), (6, 'forward', fwd), (7, 'reply', rep)]
for idx, name, p in payloads:
    open(os.path.join(d, 'seed-' + name), 'wb').write(bytes([idx, 0]) + p)
codes = [1, 2, 3, 4, 5, 16, 17, 18]
stream = b''.join(frame(codes[i], p) for i, _, p in payloads)
open(os.path.join(d, 'seed-stream'), 'wb').write(bytes([0x80, 3]) + stream)
open(os.path.join(d, 'seed-stream-fixcrc'), 'wb').write(bytes([0xc0, 5]) + stream)
open(os.path.join(d, 'seed-stream-tight'), 'wb').write(bytes([0xe0, 7]) + stream)
PY
fi

cat >"$out/wire.dict" <<'DICT'
"POLISPEER"
"\x01\x00"
"\x00\x00\x00\x00"
"\xff\xff\xff\xff"
"\x01\x00\x00\x00"
"\x08"
"\x10"
"\x11"
"\x12"
DICT

# Runs one fuzzing job; leaks are errors, as in the unit tests.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len=8192 \
    -dict="$out/wire.dict" -artifact_prefix="$out/" "$corpus"
