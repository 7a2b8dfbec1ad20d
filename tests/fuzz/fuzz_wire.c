/* tests/fuzz/fuzz_wire.c - libFuzzer target for the peer protocol codec
 * (node/wire.c).
 *
 * Input layout:
 *
 *   byte 0   bit 7: stream mode, else payload mode
 *            bit 6: stream mode: fix up every frame's CRC before parsing,
 *                   so that the fuzzer reaches the payload decoders
 *            bit 5: tight limits (4 entries per message, 4 arguments,
 *                   payloads of 64 KiB), else the defaults
 *            bits 0-2: payload mode: the frame type (index into
 *                   WIRE_FRAME_TYPES)
 *   byte 1   stream mode: seed for where the stream is cut
 *   byte 2.. the bytes
 *
 * Payload mode decodes the bytes as that type's payload. Stream mode reads
 * frames as a connection does (append, parse, consume), once whole and once
 * cut into pieces; both must give the same frames and the same outcome, and
 * each frame's payload is decoded as in payload mode. Whatever a decoder
 * accepts must re-encode to exactly its input (encodings are canonical),
 * and every pointer it returns must point into its input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "node/wire.h"
#include "wal/crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_BYTES 2
#define CUTS_MAX     8

#define CHECK(x)                                                                         \
    do {                                                                                 \
        if (!(x)) {                                                                      \
            fprintf(stderr, "fuzz_wire: check failed: %s (%s:%d)\n", #x, __FILE__,       \
                    __LINE__);                                                           \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static const uint8_t frame_types[] = {
#define FRAME_TYPE_CODE(name, code, is_data, text) code,
    WIRE_FRAME_TYPES(FRAME_TYPE_CODE)
#undef FRAME_TYPE_CODE
};
#define FRAME_TYPE_COUNT (sizeof frame_types / sizeof frame_types[0])

static bool inside(const void *p, const uint8_t *base, size_t len)
{
    const uint8_t *q = p;
    return q >= base && q <= base + len;
}

/* Decodes p[0, len) as a `type` payload; if accepted, checks that it
 * re-encodes to the same bytes. */
static void check_payload(uint8_t type, const uint8_t *p, size_t len,
                          const wire_limits *limits)
{
    buf out = BUF_INIT;
    wire_error err = {0};
    wire_scratch s = WIRE_SCRATCH_INIT;
    int rv = POLIS_EPROTO;
    switch (type) {
    case WIRE_HANDSHAKE: {
        wire_handshake h;
        if ((rv = wire_decode_handshake(p, len, &h, &err)) == 0)
            wire_encode_handshake(&out, &h);
        break;
    }
    case WIRE_HANDSHAKE_ACK: {
        wire_handshake_ack a;
        if ((rv = wire_decode_handshake_ack(p, len, &a, &err)) == 0)
            wire_encode_handshake_ack(&out, &a);
        break;
    }
    case WIRE_HANDSHAKE_REJECT: {
        wire_handshake_reject r;
        if ((rv = wire_decode_handshake_reject(p, len, &r, &err)) == 0) {
            CHECK(r.text_len == 0 || inside(r.text, p, len));
            wire_encode_handshake_reject(&out, &r);
        }
        break;
    }
    case WIRE_PING:
    case WIRE_PONG: {
        uint64_t nonce;
        if ((rv = wire_decode_ping(p, len, &nonce, &err)) == 0)
            wire_encode_ping(&out, nonce);
        break;
    }
    case WIRE_RAFT: {
        wire_raft_iter it;
        rv = wire_raft_iter_init(&it, p, len, &err);
        if (rv == 0) buf_append(&out, p, 4); /* the count, checked by the iterator */
        while (rv == 0) {
            raft_msg m;
            int got = wire_raft_iter_next(&it, limits, &s, &m, &err);
            if (got <= 0) {
                rv = got;
                break;
            }
            CHECK(m.entry_count <= limits->raft_entries_per_msg_max);
            for (uint32_t i = 0; i < m.entry_count; i++)
                CHECK(m.entries[i].len == 0 || inside(m.entries[i].data, p, len));
            CHECK(m.len == 0 || inside(m.data, p, len));
            CHECK(m.offset <= UINT64_MAX - m.len);
            wire_encode_raft_msg(&out, &m);
        }
        break;
    }
    case WIRE_FORWARD: {
        wire_forward f;
        if ((rv = wire_decode_forward(p, len, limits, &s, &f, &err)) == 0) {
            CHECK(f.argc >= 1 && f.argc <= limits->forward_args_max);
            for (uint32_t i = 0; i < f.argc; i++)
                CHECK(inside(f.argv[i].ptr, p, len));
            wire_encode_forward(&out, &f);
        }
        break;
    }
    case WIRE_REPLY: {
        wire_reply r;
        if ((rv = wire_decode_reply(p, len, &r, &err)) == 0)
            wire_encode_reply(&out, r.request_id, r.resp_bytes, r.len);
        break;
    }
    default:
        CHECK(!"unknown frame type");
    }
    if (rv == 0) {
        CHECK(out.len == len);
        CHECK(len == 0 || memcmp(out.data, p, len) == 0);
    } else {
        CHECK(rv == POLIS_EPROTO);
        CHECK(err.reason != NULL);
        CHECK(err.offset <= len);
    }
    wire_scratch_free(&s);
    buf_free(&out);
}

/* Rewrites the CRC of every frame whose header can be found. */
static void fix_crcs(uint8_t *p, size_t len)
{
    size_t off = 0;
    while (len - off >= WIRE_FRAME_HEADER_BYTES) {
        uint32_t length = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
                          (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
        if (length < 5 || length - 4 > len - off - 8) return;
        uint32_t crc = wal_crc32c(0, p + off + 8, length - 4);
        for (int i = 0; i < 4; i++)
            p[off + 4 + i] = (uint8_t)(crc >> (8 * i));
        off += 4 + (size_t)length;
    }
}

/* Feeds the stream in pieces ending at cuts[0..ncuts) (then the rest) and
 * logs each frame (type, len, payload hash) and the final outcome. */
static void run_stream(const uint8_t *p, size_t len, const size_t *cuts, size_t ncuts,
                       const wire_limits *limits, buf *log)
{
    buf pending = BUF_INIT;
    size_t fed = 0;
    int outcome = WIRE_PARSE_MORE;
    for (size_t k = 0; k <= ncuts && outcome >= 0; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        if (to < fed) continue;
        buf_append(&pending, p + fed, to - fed);
        fed = to;
        size_t off = 0;
        for (;;) {
            /* A fresh copy per call: the reader must keep nothing across. */
            size_t n = pending.len - off;
            uint8_t *copy = malloc(n ? n : 1);
            CHECK(copy != NULL);
            if (n) memcpy(copy, pending.data + off, n);
            wire_frame f;
            size_t consumed = 0, need = 0;
            wire_error err = {0};
            outcome = wire_frame_parse(copy, n, limits->frame_payload_bytes_max, &f,
                                       &consumed, &need, &err);
            if (outcome == WIRE_PARSE_FRAME) {
                CHECK(consumed == WIRE_FRAME_HEADER_BYTES + (size_t)f.len &&
                      consumed <= n);
                CHECK(wire_frame_type_known(f.type));
                check_payload(f.type, f.payload, f.len, limits);
                uint32_t h = wal_crc32c(0, f.payload, f.len);
                buf_append(log, &f.type, 1);
                buf_append(log, &f.len, sizeof f.len);
                buf_append(log, &h, sizeof h);
                off += consumed;
            } else if (outcome == WIRE_PARSE_MORE) {
                CHECK(need > n);
                CHECK(need <=
                      WIRE_FRAME_HEADER_BYTES + (size_t)limits->frame_payload_bytes_max);
            } else {
                CHECK(outcome == POLIS_EPROTO && err.reason != NULL);
            }
            free(copy);
            if (outcome != WIRE_PARSE_FRAME) break;
        }
        buf_consume(&pending, off);
    }
    buf_append(log, &outcome, sizeof outcome);
    if (outcome == WIRE_PARSE_MORE) buf_append(log, &pending.len, sizeof pending.len);
    buf_free(&pending);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_BYTES) return 0;
    uint8_t mode = data[0];
    wire_limits limits;
    wire_limits_default(&limits);
    if (mode & 0x20) {
        limits.raft_entries_per_msg_max = 4;
        limits.forward_args_max = 4;
        limits.frame_payload_bytes_max = 64u << 10;
    }
    const uint8_t *body = data + HEADER_BYTES;
    size_t len = size - HEADER_BYTES;
    /* A private copy, exactly as long as the input: ASan catches any read
     * past its end. */
    uint8_t *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    if (len) memcpy(copy, body, len);

    if (!(mode & 0x80)) {
        check_payload(frame_types[(mode & 7) % FRAME_TYPE_COUNT], copy, len, &limits);
        free(copy);
        return 0;
    }
    if (mode & 0x40) fix_crcs(copy, len);
    size_t cuts[CUTS_MAX];
    size_t ncuts = len > 0 ? (data[1] % CUTS_MAX) : 0;
    uint64_t x = data[1] * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < ncuts; i++) {
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        cuts[i] = (size_t)(x % (len + 1));
    }
    /* Cuts in increasing order (insertion sort: at most 8). */
    for (size_t i = 1; i < ncuts; i++)
        for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    buf whole = BUF_INIT, pieces = BUF_INIT;
    run_stream(copy, len, NULL, 0, &limits, &whole);
    run_stream(copy, len, cuts, ncuts, &limits, &pieces);
    CHECK(whole.len == pieces.len);
    CHECK(whole.len == 0 || memcmp(whole.data, pieces.data, whole.len) == 0);
    buf_free(&whole);
    buf_free(&pieces);
    free(copy);
    return 0;
}
