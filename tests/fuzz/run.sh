#!/bin/sh
# tests/fuzz/run.sh - builds the RESP request fuzzer and runs it.
#
# Usage: tests/fuzz/run.sh [seconds]     (default 30)
#
# Builds straight from the sources it needs (src/resp, src/base) with clang's
# libFuzzer + ASan + UBSan, so it works even when other modules do not
# compile. The corpus lives in build/fuzz/corpus_resp_request and grows from
# run to run; crashes are written to build/fuzz/ as crash-<sha1>, and
# `build/fuzz/fuzz_resp_request build/fuzz/crash-...` replays one.
set -eu

cd "$(dirname "$0")/../.."
seconds=${1:-30}
out=build/fuzz
corpus=$out/corpus_resp_request
bin=$out/fuzz_resp_request

mkdir -p "$corpus"
clang -std=gnu17 -g -O1 -Wall -Wextra \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -I src \
    src/resp/*.c src/base/*.c tests/fuzz/fuzz_resp_request.c -o "$bin"

# Seeds: a 4-byte header (limits, bytewise flag, cut count, cut seed; see
# fuzz_resp_request.c), then requests of each kind.
seed() {
    printf "$2" >"$corpus/seed-$1"
}
if [ -z "$(ls -A "$corpus")" ]; then
    seed multibulk '\200\000\003\007*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n'
    seed pipeline '\300\000\005\001*1\r\n$4\r\nPING\r\n*0\r\n*-1\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'
    seed inline '\300\000\004\011set "a\\x41\\n" '"'"'it\\'"'"'s'"'"'\tx\r\n\r\n\nGET k\n'
    seed binary '\200\000\002\003*1\r\n$4\r\n\000\377\r\n\r\n'
    seed small '\024\010\003\005*2\r\n$2\r\nab\r\n$4\r\nabcd\r\nx y\n*9\r\n'
    seed errors '\200\000\001\002*1\r\nX\r\n'
fi

cat >"$out/resp.dict" <<'DICT'
"\x0d\x0a"
"*"
"$"
"*1\x0d\x0a"
"$1\x0d\x0a"
"*-1\x0d\x0a"
"$-1\x0d\x0a"
"\""
"'"
"\\x"
"\\\""
"\\'"
" "
"\x09"
"\x00"
DICT

# Runs one fuzzing job; leaks are errors, as in the unit tests.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 \
    -dict="$out/resp.dict" -artifact_prefix="$out/" "$corpus"

# The peer protocol codec, for as long again.
tests/fuzz/run_wire.sh "$seconds"

# The meta state machine (codec, snapshot loader, apply), for as long again.
tests/fuzz/run_meta.sh "$seconds"
