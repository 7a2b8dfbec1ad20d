/* tests/unit/test_wire.c - the peer protocol codec (node/wire).
 *
 * Three properties, checked over seeded random values for every frame type
 * and every raft message type:
 *
 *   round trip     decode(encode(x)) == x, field by field, and the decoded
 *                  value re-encodes to the same bytes;
 *   truncation     every proper prefix of an encoding is rejected (payload
 *                  decoders) or "needs more" (the frame parser);
 *   corruption     any bit flip is rejected, or decodes to a value that
 *                  re-encodes to exactly the flipped bytes (canonical
 *                  encodings: no two byte strings mean the same thing).
 *
 * Then one test per validation rule, each proving the decoder can refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/rng.h"
#include "node/wire.h"
#include "wal/crc32c.h"

#define SEED        0x77697265u /* "wire" */
#define POOL_BYTES  4096
#define MSGS_MAX    8
#define ENTRIES_MAX 6

static uint8_t pool[POOL_BYTES];
static wire_limits limits;

static int setup(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED);
    for (size_t i = 0; i < POOL_BYTES; i++)
        pool[i] = (uint8_t)rng_next(&r);
    wire_limits_default(&limits);
    return 0;
}

/* ---- Random values ------------------------------------------------------- */

/* Zero a quarter of the time (zero fields change the encoding: the
 * snapshot section is sent only when non-empty), small or any 64 bits
 * otherwise. */
static uint64_t rand_u64(rng *r)
{
    switch (rng_below(r, 4)) {
    case 0:
        return 0;
    case 1:
        return rng_below(r, 100);
    default:
        return rng_next(r);
    }
}

static const uint8_t *rand_bytes(rng *r, uint32_t *len, uint32_t max)
{
    *len = (uint32_t)rng_below(r, max + 1);
    return *len ? pool + rng_below(r, POOL_BYTES - *len + 1) : NULL;
}

static void rand_ids(rng *r, raft_id *ids, uint8_t *count)
{
    *count = rng_below(r, 3) == 0 ? 0 : (uint8_t)rng_below(r, RAFT_NODES_MAX + 1);
    for (uint8_t i = 0; i < *count; i++)
        ids[i] = rand_u64(r);
}

/* A random message of `type`; entries go into `entries` (ENTRIES_MAX). */
static void rand_msg(rng *r, uint8_t type, raft_msg *m, raft_entry *entries)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    m->reject = rng_below(r, 2);
    m->transfer = rng_below(r, 2);
    m->last = rng_below(r, 2);
    m->group = rand_u64(r);
    m->from = rand_u64(r);
    m->to = rand_u64(r);
    m->term = rand_u64(r);
    m->index = rand_u64(r);
    m->log_term = rand_u64(r);
    m->commit = rand_u64(r);
    m->hint_index = rand_u64(r);
    m->hint_term = rand_u64(r);
    m->ctx = rand_u64(r);
    if (rng_below(r, 2)) {
        m->entry_count = (uint32_t)rng_below(r, ENTRIES_MAX + 1);
        m->entries = m->entry_count ? entries : NULL;
        for (uint32_t i = 0; i < m->entry_count; i++) {
            raft_entry *e = &entries[i];
            e->term = rand_u64(r);
            e->index = rand_u64(r);
            e->type = (uint8_t)rng_below(r, 2);
            e->data = (uint8_t *)(uintptr_t)rand_bytes(r, &e->len, 64);
        }
    }
    if (rng_below(r, 2)) {
        m->snap.index = rand_u64(r);
        m->snap.term = rand_u64(r);
        m->snap.size_bytes = rand_u64(r);
        rand_ids(r, m->snap.conf.voters, &m->snap.conf.voter_count);
        rand_ids(r, m->snap.conf.voters_outgoing, &m->snap.conf.voter_outgoing_count);
        rand_ids(r, m->snap.conf.learners, &m->snap.conf.learner_count);
        m->offset = rand_u64(r) >> 1; /* offset + len must not overflow */
        m->data = rand_bytes(r, &m->len, 200);
    }
}

/* ---- Comparisons --------------------------------------------------------- */

static void assert_bytes_equal(const void *a, const void *b, size_t len)
{
    if (len > 0) assert_memory_equal(a, b, len);
}

static void assert_ids_equal(const raft_id *a, uint8_t na, const raft_id *b, uint8_t nb)
{
    assert_int_equal(na, nb);
    for (uint8_t i = 0; i < na; i++)
        assert_true(a[i] == b[i]);
}

static void assert_msg_equal(const raft_msg *a, const raft_msg *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->reject, b->reject);
    assert_int_equal(a->transfer, b->transfer);
    assert_int_equal(a->last, b->last);
    assert_true(a->group == b->group);
    assert_true(a->from == b->from);
    assert_true(a->to == b->to);
    assert_true(a->term == b->term);
    assert_true(a->index == b->index);
    assert_true(a->log_term == b->log_term);
    assert_true(a->commit == b->commit);
    assert_true(a->hint_index == b->hint_index);
    assert_true(a->hint_term == b->hint_term);
    assert_true(a->ctx == b->ctx);
    assert_int_equal(a->entry_count, b->entry_count);
    for (uint32_t i = 0; i < a->entry_count; i++) {
        const raft_entry *x = &a->entries[i], *y = &b->entries[i];
        assert_true(x->term == y->term);
        assert_true(x->index == y->index);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->len, y->len);
        assert_bytes_equal(x->data, y->data, x->len);
    }
    assert_true(a->snap.index == b->snap.index);
    assert_true(a->snap.term == b->snap.term);
    assert_true(a->snap.size_bytes == b->snap.size_bytes);
    const raft_conf *ca = &a->snap.conf, *cb = &b->snap.conf;
    assert_ids_equal(ca->voters, ca->voter_count, cb->voters, cb->voter_count);
    assert_ids_equal(ca->voters_outgoing, ca->voter_outgoing_count, cb->voters_outgoing,
                     cb->voter_outgoing_count);
    assert_ids_equal(ca->learners, ca->learner_count, cb->learners, cb->learner_count);
    assert_true(a->offset == b->offset);
    assert_int_equal(a->len, b->len);
    assert_bytes_equal(a->data, b->data, a->len);
}

static bool points_into(const void *p, const void *base, size_t len)
{
    const uint8_t *q = p, *b = base;
    return q >= b && q <= b + len;
}

/* ---- Decoders under one signature, for the generic property checks ------- */

/* Decodes p[0, len) as the payload of `type` and re-encodes what it got
 * into *out. Returns the decoder's result (0 or POLIS_EPROTO). */
static int decode_reencode(uint8_t type, const uint8_t *p, size_t len, buf *out)
{
    wire_error err = {0};
    wire_scratch s = WIRE_SCRATCH_INIT;
    int rv = POLIS_EPROTO;
    switch (type) {
    case WIRE_HANDSHAKE: {
        wire_handshake h;
        rv = wire_decode_handshake(p, len, &h, &err);
        if (rv == 0) wire_encode_handshake(out, &h);
        break;
    }
    case WIRE_HANDSHAKE_ACK: {
        wire_handshake_ack a;
        rv = wire_decode_handshake_ack(p, len, &a, &err);
        if (rv == 0) wire_encode_handshake_ack(out, &a);
        break;
    }
    case WIRE_HANDSHAKE_REJECT: {
        wire_handshake_reject r;
        rv = wire_decode_handshake_reject(p, len, &r, &err);
        if (rv == 0) wire_encode_handshake_reject(out, &r);
        break;
    }
    case WIRE_PING:
    case WIRE_PONG: {
        uint64_t nonce;
        rv = wire_decode_ping(p, len, &nonce, &err);
        if (rv == 0) wire_encode_ping(out, nonce);
        break;
    }
    case WIRE_RAFT: {
        /* Each message is re-encoded as soon as it is decoded, before the
         * next one reuses the scratch. */
        wire_raft_iter it;
        rv = wire_raft_iter_init(&it, p, len, &err);
        if (rv == 0) {
            uint32_t count = it.msg_count;
            uint8_t le[4] = {(uint8_t)count, (uint8_t)(count >> 8),
                             (uint8_t)(count >> 16), (uint8_t)(count >> 24)};
            buf_append(out, le, 4);
        }
        while (rv == 0) {
            raft_msg m;
            int got = wire_raft_iter_next(&it, &limits, &s, &m, &err);
            if (got <= 0) {
                rv = got;
                break;
            }
            wire_encode_raft_msg(out, &m);
        }
        break;
    }
    case WIRE_FORWARD: {
        wire_forward f;
        rv = wire_decode_forward(p, len, &limits, &s, &f, &err);
        if (rv == 0) {
            for (uint32_t i = 0; i < f.argc; i++)
                assert_true(points_into(f.argv[i].ptr, p, len));
            wire_encode_forward(out, &f);
        }
        break;
    }
    case WIRE_REPLY: {
        wire_reply r;
        rv = wire_decode_reply(p, len, &r, &err);
        if (rv == 0) wire_encode_reply(out, r.request_id, r.resp_bytes, r.len);
        break;
    }
    case WIRE_LEADERS: {
        const wire_leader *l;
        uint32_t n;
        rv = wire_decode_leaders(p, len, &s, &l, &n, &err);
        if (rv == 0) wire_encode_leaders(out, l, n);
        break;
    }
    default:
        fail_msg("no decoder for type %u", type);
    }
    if (rv != 0) {
        assert_int_equal(rv, POLIS_EPROTO);
        assert_non_null(err.reason);
        assert_true(err.offset <= len);
    }
    wire_scratch_free(&s);
    return rv;
}

/* A random valid payload of each frame type. */
static void rand_payload(rng *r, uint8_t type, buf *out)
{
    switch (type) {
    case WIRE_HANDSHAKE: {
        wire_handshake h = {(uint16_t)rand_u64(r), (uint16_t)rand_u64(r), rand_u64(r),
                            rand_u64(r), rand_u64(r)};
        wire_encode_handshake(out, &h);
        break;
    }
    case WIRE_HANDSHAKE_ACK: {
        wire_handshake_ack a = {(uint16_t)rand_u64(r), rand_u64(r), rand_u64(r)};
        wire_encode_handshake_ack(out, &a);
        break;
    }
    case WIRE_HANDSHAKE_REJECT: {
        uint32_t len;
        const uint8_t *text = rand_bytes(r, &len, WIRE_REASON_BYTES_MAX);
        wire_handshake_reject rj = {(uint8_t)rand_u64(r), (uint8_t)len,
                                    (const char *)text};
        wire_encode_handshake_reject(out, &rj);
        break;
    }
    case WIRE_PING:
    case WIRE_PONG:
        wire_encode_ping(out, rand_u64(r));
        break;
    case WIRE_RAFT: {
        raft_msg msgs[MSGS_MAX];
        raft_entry entries[MSGS_MAX][ENTRIES_MAX];
        size_t n = 1 + rng_below(r, 3);
        for (size_t i = 0; i < n; i++)
            rand_msg(r, (uint8_t)(1 + rng_below(r, RAFT_MSG_TYPE_MAX_ - 1)), &msgs[i],
                     entries[i]);
        wire_encode_raft(out, msgs, n);
        break;
    }
    case WIRE_FORWARD: {
        cmd_arg argv[5];
        wire_forward f = {.request_id = rand_u64(r),
                          .trace_id = rand_u64(r),
                          .resp = (uint8_t)(2 + rng_below(r, 2)),
                          .flags = (uint32_t)rand_u64(r),
                          .group = rand_u64(r),
                          .epoch = rand_u64(r),
                          .argv = argv,
                          .argc = (uint32_t)(1 + rng_below(r, 5))};
        for (uint32_t i = 0; i < f.argc; i++) {
            uint32_t len;
            const uint8_t *p = rand_bytes(r, &len, 40);
            argv[i].ptr = p ? (const char *)p : "";
            argv[i].len = len;
        }
        wire_encode_forward(out, &f);
        break;
    }
    case WIRE_REPLY: {
        uint32_t len;
        const uint8_t *p = rand_bytes(r, &len, 100);
        wire_encode_reply(out, rand_u64(r), p, len);
        break;
    }
    case WIRE_LEADERS: {
        wire_leader l[4];
        uint32_t n = (uint32_t)rng_below(r, 5);
        for (uint32_t i = 0; i < n; i++)
            l[i] = (wire_leader){rand_u64(r), rand_u64(r), rand_u64(r), rand_u64(r)};
        wire_encode_leaders(out, l, n);
        break;
    }
    default:
        fail_msg("no generator for type %u", type);
    }
}

static const uint8_t frame_types[] = {
#define FRAME_TYPE_CODE(name, code, is_data, text) code,
    WIRE_FRAME_TYPES(FRAME_TYPE_CODE)
#undef FRAME_TYPE_CODE
};
#define FRAME_TYPE_COUNT (sizeof frame_types / sizeof frame_types[0])

/* ---- Frames -------------------------------------------------------------- */

static void test_frame_types_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < FRAME_TYPE_COUNT; i++) {
        assert_true(wire_frame_type_known(frame_types[i]));
        assert_string_not_equal(wire_frame_type_name(frame_types[i]), "unknown");
    }
    size_t known = 0;
    for (unsigned t = 0; t < 256; t++)
        known += wire_frame_type_known(t);
    assert_int_equal(known, FRAME_TYPE_COUNT);
    assert_true(wire_frame_type_is_data(WIRE_RAFT));
    assert_true(wire_frame_type_is_data(WIRE_FORWARD));
    assert_true(wire_frame_type_is_data(WIRE_REPLY));
    assert_false(wire_frame_type_is_data(WIRE_HANDSHAKE));
    assert_false(wire_frame_type_is_data(WIRE_PING));
    assert_string_equal(wire_frame_type_name(0), "unknown");
    assert_string_equal(wire_reject_reason_text(WIRE_REJECT_WRONG_CLUSTER),
                        "wrong cluster id");
    assert_string_equal(wire_reject_reason_text(0), "unknown reason");
}

/* The frame layout, byte by byte, as docs/formats.md shows it. */
static void test_frame_layout(void **state)
{
    (void)state;
    /* The checksum is the standard CRC32C (check value of "123456789"). */
    assert_int_equal(wal_crc32c(0, "123456789", 9), 0xE3069283u);
    buf b = BUF_INIT;
    wire_encode_frame(&b, WIRE_PING, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_int_equal(b.len, 17);
    const uint8_t *p = (const uint8_t *)b.data;
    static const uint8_t length[] = {13, 0, 0, 0}; /* crc + type + 8 */
    assert_memory_equal(p, length, 4);
    uint32_t crc = wal_crc32c(0, p + 8, 9);
    uint8_t crc_le[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                         (uint8_t)(crc >> 24)};
    assert_memory_equal(p + 4, crc_le, 4);
    assert_int_equal(p[8], WIRE_PING);
    assert_memory_equal(p + 9, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    /* The example frame of docs/formats.md. */
    static const uint8_t doc_example[] = {0x0d, 0x00, 0x00, 0x00, 0x9b, 0x07,
                                          0x8b, 0xaf, 0x04, 0x01, 0x02, 0x03,
                                          0x04, 0x05, 0x06, 0x07, 0x08};
    assert_memory_equal(p, doc_example, sizeof doc_example);
    buf_free(&b);
}

static void test_frame_round_trip_every_type(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 1);
    for (int round = 0; round < 200; round++) {
        for (size_t t = 0; t < FRAME_TYPE_COUNT; t++) {
            buf payload = BUF_INIT, frame = BUF_INIT, again = BUF_INIT;
            rand_payload(&r, frame_types[t], &payload);
            wire_encode_frame(&frame, frame_types[t], payload.data, payload.len);
            assert_int_equal(frame.len, WIRE_FRAME_HEADER_BYTES + payload.len);
            wire_frame f;
            size_t consumed = 0, need = 0;
            wire_error err = {0};
            int rv =
                wire_frame_parse(frame.data, frame.len, limits.frame_payload_bytes_max,
                                 &f, &consumed, &need, &err);
            assert_int_equal(rv, WIRE_PARSE_FRAME);
            assert_int_equal(consumed, frame.len);
            assert_int_equal(f.type, frame_types[t]);
            assert_int_equal(f.len, payload.len);
            assert_bytes_equal(f.payload, payload.data, payload.len);
            assert_true(points_into(f.payload, frame.data, frame.len));
            /* The payload decodes and re-encodes to the same bytes. */
            assert_int_equal(decode_reencode(f.type, f.payload, f.len, &again), 0);
            assert_int_equal(again.len, payload.len);
            assert_bytes_equal(again.data, payload.data, payload.len);
            buf_free(&payload);
            buf_free(&frame);
            buf_free(&again);
        }
    }
}

/* Every prefix of a frame "needs more", with need_bytes telling how much. */
static void test_frame_truncation_needs_more(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 2);
    for (size_t t = 0; t < FRAME_TYPE_COUNT; t++) {
        buf payload = BUF_INIT, frame = BUF_INIT;
        rand_payload(&r, frame_types[t], &payload);
        wire_encode_frame(&frame, frame_types[t], payload.data, payload.len);
        for (size_t cut = 0; cut < frame.len; cut++) {
            /* A fresh copy of exactly `cut` bytes: ASan catches any read
             * past the end. */
            uint8_t *copy = malloc(cut ? cut : 1);
            if (cut) memcpy(copy, frame.data, cut);
            wire_frame f;
            size_t consumed = 0, need = 0;
            int rv = wire_frame_parse(copy, cut, limits.frame_payload_bytes_max, &f,
                                      &consumed, &need, NULL);
            assert_int_equal(rv, WIRE_PARSE_MORE);
            assert_int_equal(consumed, 0);
            assert_int_equal(need, cut < 4 ? WIRE_FRAME_HEADER_BYTES : frame.len);
            free(copy);
        }
        buf_free(&payload);
        buf_free(&frame);
    }
}

/* A stream of frames cut into random pieces parses to the same frames, as
 * a connection's reader would see them. */
static void test_frame_stream_any_cuts(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 3);
    buf stream = BUF_INIT;
    uint8_t types[300];
    size_t lens[300];
    for (size_t i = 0; i < 300; i++) {
        buf payload = BUF_INIT;
        types[i] = frame_types[rng_below(&r, FRAME_TYPE_COUNT)];
        rand_payload(&r, types[i], &payload);
        lens[i] = payload.len;
        wire_encode_frame(&stream, types[i], payload.data, payload.len);
        buf_free(&payload);
    }
    for (int round = 0; round < 20; round++) {
        buf pending = BUF_INIT;
        size_t fed = 0, got = 0;
        while (fed < stream.len) {
            size_t piece = 1 + rng_below(&r, round < 5 ? 3 : 400);
            if (piece > stream.len - fed) piece = stream.len - fed;
            buf_append(&pending, stream.data + fed, piece);
            fed += piece;
            size_t off = 0;
            for (;;) {
                wire_frame f;
                size_t consumed = 0;
                wire_error err = {0};
                int rv = wire_frame_parse(pending.data + off, pending.len - off,
                                          limits.frame_payload_bytes_max, &f, &consumed,
                                          NULL, &err);
                assert_true(rv >= 0);
                if (rv == WIRE_PARSE_MORE) break;
                assert_true(got < 300);
                assert_int_equal(f.type, types[got]);
                assert_int_equal(f.len, lens[got]);
                got++;
                off += consumed;
            }
            buf_consume(&pending, off);
        }
        assert_int_equal(got, 300);
        assert_int_equal(pending.len, 0);
        buf_free(&pending);
    }
    buf_free(&stream);
}

static void test_frame_rejects(void **state)
{
    (void)state;
    wire_frame f;
    size_t consumed, need;
    wire_error err = {0};
    buf b = BUF_INIT;
    wire_encode_frame(&b, WIRE_REPLY, "12345678+OK\r\n", 13);

    /* Length below the crc + type it must cover. */
    uint8_t tiny[9] = {4, 0, 0, 0};
    assert_int_equal(wire_frame_parse(tiny, 4, 1024, &f, &consumed, &need, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "frame length below 5");

    /* Over the limit: refused from the 4 length bytes alone, before any
     * payload is buffered. */
    assert_int_equal(wire_frame_parse(b.data, 4, 12, &f, &consumed, &need, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "frame payload over the limit");
    assert_int_equal(wire_frame_parse(b.data, b.len, 13, &f, &consumed, &need, &err),
                     WIRE_PARSE_FRAME);
    /* "*3\r\n$3\r\nSET": what redis-cli sends to a peer port by mistake. */
    assert_int_equal(wire_frame_parse("*3\r\n$3\r\nSET", 11,
                                      WIRE_CONTROL_PAYLOAD_BYTES_MAX, &f, &consumed,
                                      &need, &err),
                     POLIS_EPROTO);

    /* Unknown type: refused from the 9-byte header. */
    uint8_t *p = (uint8_t *)b.data;
    p[8] = 99;
    assert_int_equal(wire_frame_parse(b.data, 9, 1024, &f, &consumed, &need, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "unknown frame type");
    p[8] = WIRE_REPLY;

    /* A flipped payload bit: CRC mismatch. */
    p[12] ^= 0x10;
    assert_int_equal(wire_frame_parse(b.data, b.len, 1024, &f, &consumed, &need, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "frame CRC mismatch");
    p[12] ^= 0x10;
    /* A flipped CRC bit too. */
    p[5] ^= 0x01;
    assert_int_equal(wire_frame_parse(b.data, b.len, 1024, &f, &consumed, &need, &err),
                     POLIS_EPROTO);
    buf_free(&b);
}

/* Every single-bit flip of a frame is rejected or needs more bytes (a
 * larger length): the CRC covers type and payload, the limit the length. */
static void test_frame_bit_flips_rejected(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 4);
    for (size_t t = 0; t < FRAME_TYPE_COUNT; t++) {
        buf payload = BUF_INIT, frame = BUF_INIT;
        rand_payload(&r, frame_types[t], &payload);
        wire_encode_frame(&frame, frame_types[t], payload.data, payload.len);
        for (size_t bit = 0; bit < frame.len * 8; bit++) {
            uint8_t *p = (uint8_t *)frame.data;
            p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            wire_frame f;
            size_t consumed = 0;
            int rv =
                wire_frame_parse(frame.data, frame.len, limits.frame_payload_bytes_max,
                                 &f, &consumed, NULL, NULL);
            assert_true(rv == POLIS_EPROTO || rv == WIRE_PARSE_MORE);
            p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        buf_free(&payload);
        buf_free(&frame);
    }
}

static void test_frame_end_limit_rolls_back(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    wire_encode_frame(&b, WIRE_PING, "abcdefgh", 8);
    size_t before = b.len;
    size_t start = wire_frame_begin(&b, WIRE_REPLY);
    buf_append(&b, pool, 100);
    assert_int_equal(wire_frame_end(&b, start, 99), POLIS_ELIMIT);
    assert_int_equal(b.len, before);
    start = wire_frame_begin(&b, WIRE_REPLY);
    buf_append(&b, pool, 100);
    assert_int_equal(wire_frame_end(&b, start, 100), 0);
    assert_int_equal(b.len, before + WIRE_FRAME_HEADER_BYTES + 100);
    buf_free(&b);
}

/* ---- Payloads: generic properties ---------------------------------------- */

/* Every proper prefix of every payload type is rejected. */
static void test_payload_truncation_rejected(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 5);
    for (int round = 0; round < 30; round++) {
        for (size_t t = 0; t < FRAME_TYPE_COUNT; t++) {
            /* A reply is "the rest of the payload": only its header can
             * be cut short. */
            buf payload = BUF_INIT;
            rand_payload(&r, frame_types[t], &payload);
            size_t cut_max =
                frame_types[t] == WIRE_REPLY ? WIRE_REPLY_HEADER_BYTES : payload.len;
            for (size_t cut = 0; cut < cut_max; cut++) {
                uint8_t *copy = malloc(cut ? cut : 1);
                if (cut) memcpy(copy, payload.data, cut);
                buf again = BUF_INIT;
                assert_int_equal(decode_reencode(frame_types[t], copy, cut, &again),
                                 POLIS_EPROTO);
                buf_free(&again);
                free(copy);
            }
            buf_free(&payload);
        }
    }
}

/* Any bit flip in a payload is rejected, or decodes to a value whose
 * encoding is exactly the flipped bytes. */
static void test_payload_bit_flips(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 6);
    size_t rejected = 0, accepted = 0;
    for (int round = 0; round < 20; round++) {
        for (size_t t = 0; t < FRAME_TYPE_COUNT; t++) {
            buf payload = BUF_INIT;
            rand_payload(&r, frame_types[t], &payload);
            for (size_t bit = 0; bit < payload.len * 8; bit++) {
                uint8_t *copy = malloc(payload.len);
                memcpy(copy, payload.data, payload.len);
                copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                buf again = BUF_INIT;
                if (decode_reencode(frame_types[t], copy, payload.len, &again) == 0) {
                    assert_int_equal(again.len, payload.len);
                    assert_memory_equal(again.data, copy, payload.len);
                    accepted++;
                } else {
                    rejected++;
                }
                buf_free(&again);
                free(copy);
            }
            buf_free(&payload);
        }
    }
    /* Both outcomes occur: most fields are free values, counts are not. */
    assert_true(accepted > 0);
    assert_true(rejected > 0);
}

/* Random multi-bit damage, also to the length fields that decide the
 * layout; no crash, and the same rule. */
static void test_payload_random_damage(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 7);
    for (int round = 0; round < 3000; round++) {
        uint8_t type = frame_types[rng_below(&r, FRAME_TYPE_COUNT)];
        buf payload = BUF_INIT;
        rand_payload(&r, type, &payload);
        if (payload.len == 0) {
            buf_free(&payload);
            continue;
        }
        uint8_t *copy = malloc(payload.len);
        memcpy(copy, payload.data, payload.len);
        size_t flips = 1 + rng_below(&r, 8);
        for (size_t i = 0; i < flips; i++)
            copy[rng_below(&r, payload.len)] = (uint8_t)rng_next(&r);
        buf again = BUF_INIT;
        if (decode_reencode(type, copy, payload.len, &again) == 0) {
            assert_int_equal(again.len, payload.len);
            assert_memory_equal(again.data, copy, payload.len);
        }
        buf_free(&again);
        free(copy);
        buf_free(&payload);
    }
}

/* ---- RAFT ---------------------------------------------------------------- */

/* Every message type, many random field sets, batches of 1-8. */
static void test_raft_round_trip_every_msg_type(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, SEED + 8);
    wire_scratch s = WIRE_SCRATCH_INIT;
    for (int round = 0; round < 300; round++) {
        for (uint8_t type = 1; type < RAFT_MSG_TYPE_MAX_; type++) {
            raft_msg msgs[MSGS_MAX];
            raft_entry entries[MSGS_MAX][ENTRIES_MAX];
            size_t n = 1 + rng_below(&r, MSGS_MAX);
            for (size_t i = 0; i < n; i++)
                rand_msg(&r, type, &msgs[i], entries[i]);
            buf b = BUF_INIT;
            wire_encode_raft(&b, msgs, n);
            assert_int_equal(b.len, wire_raft_bytes(msgs, n));
            wire_raft_iter it;
            wire_error err = {0};
            assert_int_equal(wire_raft_iter_init(&it, b.data, b.len, &err), 0);
            buf again = BUF_INIT;
            buf_append(&again, b.data, 4);
            for (size_t i = 0; i < n; i++) {
                raft_msg m;
                assert_int_equal(wire_raft_iter_next(&it, &limits, &s, &m, &err), 1);
                assert_msg_equal(&msgs[i], &m);
                /* Zero copy: entry and chunk data point into the payload. */
                for (uint32_t k = 0; k < m.entry_count; k++)
                    if (m.entries[k].len)
                        assert_true(points_into(m.entries[k].data, b.data, b.len));
                if (m.len)
                    assert_true(points_into(m.data, b.data, b.len));
                else
                    assert_null(m.data);
                wire_encode_raft_msg(&again, &m);
            }
            raft_msg end;
            assert_int_equal(wire_raft_iter_next(&it, &limits, &s, &end, &err), 0);
            assert_int_equal(again.len, b.len);
            assert_memory_equal(again.data, b.data, b.len);
            buf_free(&again);
            buf_free(&b);
        }
    }
    wire_scratch_free(&s);
}

/* What raft actually sends: a heartbeat skips the snapshot section (86
 * bytes); a snapshot chunk carries it. */
static void test_raft_sizes(void **state)
{
    (void)state;
    raft_msg hb = {.type = RAFT_MSG_HEARTBEAT,
                   .group = 1,
                   .from = 1,
                   .to = 2,
                   .term = 5,
                   .commit = 10,
                   .ctx = 3};
    assert_int_equal(wire_raft_msg_bytes(&hb), WIRE_RAFT_MSG_MIN_BYTES);
    static const uint8_t chunk[10] = "0123456789";
    raft_msg snap = {.type = RAFT_MSG_SNAPSHOT,
                     .group = 1,
                     .from = 1,
                     .to = 2,
                     .term = 5,
                     .snap = {.index = 100,
                              .term = 4,
                              .size_bytes = 10,
                              .conf = {.voters = {1, 2, 3}, .voter_count = 3}},
                     .offset = 0,
                     .len = 10,
                     .data = chunk,
                     .last = true};
    assert_int_equal(wire_raft_msg_bytes(&snap), 86 + 24 + 3 + 24 + 12 + 10);
    buf b = BUF_INIT;
    wire_encode_raft(&b, (raft_msg[]){hb, snap}, 2);
    assert_int_equal(b.len, 4 + 86 + 159);
    wire_raft_iter it;
    wire_scratch s = WIRE_SCRATCH_INIT;
    raft_msg m;
    assert_int_equal(wire_raft_iter_init(&it, b.data, b.len, NULL), 0);
    assert_int_equal(wire_raft_iter_next(&it, &limits, &s, &m, NULL), 1);
    assert_msg_equal(&hb, &m);
    assert_int_equal(wire_raft_iter_next(&it, &limits, &s, &m, NULL), 1);
    assert_msg_equal(&snap, &m);
    assert_int_equal(wire_raft_iter_next(&it, &limits, &s, &m, NULL), 0);
    wire_scratch_free(&s);
    buf_free(&b);
}

/* Decodes a one-message batch; returns the iterator's result for it. */
static int decode_one(const buf *b, const wire_limits *lim, wire_error *err)
{
    wire_raft_iter it;
    wire_scratch s = WIRE_SCRATCH_INIT;
    raft_msg m;
    int rv = wire_raft_iter_init(&it, b->data, b->len, err);
    if (rv == 0) rv = wire_raft_iter_next(&it, lim, &s, &m, err);
    if (rv == 1) rv = wire_raft_iter_next(&it, lim, &s, &m, err);
    wire_scratch_free(&s);
    return rv;
}

static void put_le(buf *b, size_t at, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        b->data[at + i] = (char)(v >> (8 * i));
}

static void expect_raft_reject(buf *b, const char *reason)
{
    wire_error err = {0};
    assert_int_equal(decode_one(b, &limits, &err), POLIS_EPROTO);
    assert_string_equal(err.reason, reason);
}

static void test_raft_rejects(void **state)
{
    (void)state;
    uint8_t data[4] = {1, 2, 3, 4};
    raft_entry e = {
        .term = 1, .index = 2, .type = RAFT_ENTRY_NORMAL, .len = 4, .data = data};
    raft_msg app = {.type = RAFT_MSG_APPEND,
                    .group = 1,
                    .from = 1,
                    .to = 2,
                    .term = 1,
                    .entries = &e,
                    .entry_count = 1};
    buf b = BUF_INIT;
    wire_error err = {0};
    wire_encode_raft(&b, &app, 1);
    assert_int_equal(decode_one(&b, &limits, &err), 0);
    const size_t msg = 4; /* offset of the message in the batch */

    put_le(&b, 0, 0, 4);
    expect_raft_reject(&b, "raft batch of 0 messages");
    put_le(&b, 0, 2, 4);
    expect_raft_reject(&b, "raft message count exceeds the payload");
    put_le(&b, 0, 1, 4);

    b.data[msg] = 0;
    expect_raft_reject(&b, "unknown raft message type");
    b.data[msg] = RAFT_MSG_TYPE_MAX_;
    expect_raft_reject(&b, "unknown raft message type");
    b.data[msg] = RAFT_MSG_APPEND;

    b.data[msg + 1] = 0x10;
    expect_raft_reject(&b, "unknown raft message flags");
    b.data[msg + 1] = 0;

    put_le(&b, msg + 82, 2, 4);
    expect_raft_reject(&b, "entry count exceeds the payload");
    wire_limits tight = limits;
    tight.raft_entries_per_msg_max = 0;
    put_le(&b, msg + 82, 1, 4);
    assert_int_equal(decode_one(&b, &tight, &err), POLIS_EPROTO);
    assert_string_equal(err.reason, "entry count over the limit");

    b.data[msg + 86 + 16] = 2; /* entry type */
    expect_raft_reject(&b, "unknown entry type");
    b.data[msg + 86 + 16] = RAFT_ENTRY_CONF;
    put_le(&b, msg + 86 + 17, 5, 4); /* entry len past the end */
    expect_raft_reject(&b, "entry data truncated");
    put_le(&b, msg + 86 + 17, 4, 4);
    assert_int_equal(decode_one(&b, &limits, &err), 0);

    buf_append(&b, "x", 1);
    expect_raft_reject(&b, "trailing bytes after the payload");
    buf_free(&b);
}

static void test_raft_snapshot_rejects(void **state)
{
    (void)state;
    raft_msg sr = {.type = RAFT_MSG_SNAPSHOT_RESP,
                   .group = 1,
                   .from = 2,
                   .to = 1,
                   .snap = {.index = 7, .term = 2},
                   .offset = 5};
    buf b = BUF_INIT;
    wire_encode_raft(&b, &sr, 1);
    wire_error err = {0};
    assert_int_equal(decode_one(&b, &limits, &err), 0);
    const size_t sec = 4 + 86; /* the snapshot section */

    /* Present but empty: a second encoding of "no section". */
    put_le(&b, sec, 0, 8);
    put_le(&b, sec + 8, 0, 8);
    put_le(&b, sec + 27, 0, 8);
    expect_raft_reject(&b, "empty snapshot section (non-canonical)");
    put_le(&b, sec, 7, 8);

    b.data[sec + 24] = RAFT_NODES_MAX + 1;
    expect_raft_reject(&b, "snapshot conf with too many nodes");
    b.data[sec + 24] = RAFT_NODES_MAX; /* 16 voter ids: 128 bytes, 14 left */
    expect_raft_reject(&b, "snapshot conf truncated");
    b.data[sec + 24] = 1; /* one id: eats the other counts and the offset */
    expect_raft_reject(&b, "snapshot chunk header truncated");
    b.data[sec + 24] = 0;

    put_le(&b, sec + 27, UINT64_MAX, 8);
    put_le(&b, sec + 35, 1, 4);
    expect_raft_reject(&b, "snapshot offset + len overflows");
    put_le(&b, sec + 27, 0, 8);
    expect_raft_reject(&b, "snapshot chunk data truncated");
    buf_free(&b);
}

/* The iterator reuses its scratch across messages and grows it. */
static void test_raft_scratch_reuse(void **state)
{
    (void)state;
    raft_entry entries[100];
    for (uint32_t i = 0; i < 100; i++)
        entries[i] = (raft_entry){.term = 1, .index = i + 1, .len = 1, .data = pool + i};
    raft_msg msgs[3] = {
        {.type = RAFT_MSG_APPEND, .entries = entries, .entry_count = 3},
        {.type = RAFT_MSG_APPEND, .entries = entries, .entry_count = 100},
        {.type = RAFT_MSG_APPEND, .entries = entries + 50, .entry_count = 2},
    };
    buf b = BUF_INIT;
    wire_encode_raft(&b, msgs, 3);
    wire_scratch s = WIRE_SCRATCH_INIT;
    wire_raft_iter it;
    assert_int_equal(wire_raft_iter_init(&it, b.data, b.len, NULL), 0);
    for (int i = 0; i < 3; i++) {
        raft_msg m;
        assert_int_equal(wire_raft_iter_next(&it, &limits, &s, &m, NULL), 1);
        assert_msg_equal(&msgs[i], &m);
        assert_ptr_equal(m.entries, s.entries);
    }
    assert_true(s.entries_cap >= 100);
    wire_scratch_free(&s);
    assert_null(s.entries);
    buf_free(&b);
}

/* ---- Control, FORWARD, REPLY --------------------------------------------- */

static void test_handshake_layout_and_rejects(void **state)
{
    (void)state;
    wire_handshake h = {1, 1, 0x0102030405060708ull, 2, 3};
    buf b = BUF_INIT;
    wire_encode_handshake(&b, &h);
    assert_int_equal(b.len, WIRE_HANDSHAKE_BYTES);
    assert_memory_equal(b.data,
                        "POLISPEER\x01\x00\x01\x00\x08\x07\x06\x05\x04\x03\x02\x01", 21);
    wire_handshake d;
    wire_error err = {0};
    assert_int_equal(wire_decode_handshake(b.data, b.len, &d, &err), 0);
    assert_true(d.cluster_id == h.cluster_id && d.node_id == 2 && d.to_node_id == 3);
    b.data[0] = 'p';
    assert_int_equal(wire_decode_handshake(b.data, b.len, &d, &err), POLIS_EPROTO);
    assert_string_equal(err.reason, "handshake without the POLISPEER magic");
    b.data[0] = 'P';
    buf_append_char(&b, 0);
    assert_int_equal(wire_decode_handshake(b.data, b.len, &d, &err), POLIS_EPROTO);
    assert_string_equal(err.reason, "handshake of the wrong size");
    buf_free(&b);

    wire_handshake_reject r = {WIRE_REJECT_WRONG_CLUSTER, 5, "hello"}, rd;
    wire_encode_handshake_reject(&b, &r);
    assert_int_equal(wire_decode_handshake_reject(b.data, b.len, &rd, &err), 0);
    assert_int_equal(rd.text_len, 5);
    assert_memory_equal(rd.text, "hello", 5);
    b.data[1] = 6;
    assert_int_equal(wire_decode_handshake_reject(b.data, b.len, &rd, &err),
                     POLIS_EPROTO);
    buf_free(&b);
}

static void test_leaders_round_trip_and_rejects(void **state)
{
    (void)state;
    wire_leader l[3] = {{1, 7, 100, 3}, {2, 8, 0, 0}, {UINT64_MAX, 1, 5, 5}};
    buf b = BUF_INIT;
    wire_encode_leaders(&b, l, 3);
    assert_int_equal(b.len, 4 + 3 * 32);
    wire_scratch s = WIRE_SCRATCH_INIT;
    wire_error err = {0};
    const wire_leader *d;
    uint32_t n;
    assert_int_equal(wire_decode_leaders(b.data, b.len, &s, &d, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_true(d[0].group == 1 && d[0].term == 7 && d[2].group == UINT64_MAX);
    assert_true(d[0].keys == 100 && d[0].expires == 3 && d[2].keys == 5);
    assert_int_equal(wire_decode_leaders(b.data, b.len - 1, &s, &d, &n, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "leaders count disagrees with the payload");
    assert_int_equal(wire_decode_leaders(b.data, 3, &s, &d, &n, &err), POLIS_EPROTO);
    assert_string_equal(err.reason, "leaders header truncated");
    put_le(&b, 0, WIRE_LEADERS_MAX + 1, 4);
    assert_int_equal(wire_decode_leaders(b.data, b.len, &s, &d, &n, &err), POLIS_EPROTO);
    assert_string_equal(err.reason, "leaders count over the limit");
    buf_clear(&b);
    wire_encode_leaders(&b, l, 0);
    assert_int_equal(wire_decode_leaders(b.data, b.len, &s, &d, &n, &err), 0);
    assert_int_equal(n, 0);
    wire_scratch_free(&s);
    buf_free(&b);
}

static void test_forward_round_trip_and_rejects(void **state)
{
    (void)state;
    cmd_arg argv[3] = {{"SET", 3}, {"key", 3}, {"", 0}};
    wire_forward f = {.request_id = 42,
                      .trace_id = 7,
                      .resp = 3,
                      .flags = 0x80000001u,
                      .group = 9,
                      .epoch = 1234567,
                      .argv = argv,
                      .argc = 3};
    buf b = BUF_INIT;
    wire_encode_forward(&b, &f);
    assert_int_equal(b.len, wire_forward_bytes(&f));
    assert_int_equal(b.len, 41 + 4 + 3 + 4 + 3 + 4);
    wire_scratch s = WIRE_SCRATCH_INIT;
    wire_forward d;
    wire_error err = {0};
    assert_int_equal(wire_decode_forward(b.data, b.len, &limits, &s, &d, &err), 0);
    assert_true(d.request_id == 42 && d.trace_id == 7 && d.resp == 3);
    assert_int_equal(d.flags, 0x80000001u);
    assert_true(d.group == 9 && d.epoch == 1234567);
    assert_int_equal(d.argc, 3);
    assert_memory_equal(d.argv[0].ptr, "SET", 3);
    assert_memory_equal(d.argv[1].ptr, "key", 3);
    assert_int_equal(d.argv[2].len, 0);
    assert_non_null(d.argv[2].ptr); /* memcmp-safe */

    b.data[16] = 4;
    assert_int_equal(wire_decode_forward(b.data, b.len, &limits, &s, &d, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "forward RESP version not 2 or 3");
    b.data[16] = 2;
    put_le(&b, 37, 0, 4);
    assert_int_equal(wire_decode_forward(b.data, b.len, &limits, &s, &d, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "forward without arguments");
    put_le(&b, 37, 1000, 4);
    assert_int_equal(wire_decode_forward(b.data, b.len, &limits, &s, &d, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "forward argc exceeds the payload");
    wire_limits tight = limits;
    tight.forward_args_max = 2;
    put_le(&b, 37, 3, 4);
    assert_int_equal(wire_decode_forward(b.data, b.len, &tight, &s, &d, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "forward argc over the limit");
    put_le(&b, 37, 2, 4);
    assert_int_equal(wire_decode_forward(b.data, b.len, &limits, &s, &d, &err),
                     POLIS_EPROTO);
    assert_string_equal(err.reason, "trailing bytes after the payload");
    wire_scratch_free(&s);
    buf_free(&b);
}

static void test_reply_round_trip(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    wire_encode_reply(&b, 9, "+OK\r\n", 5);
    wire_reply r;
    assert_int_equal(wire_decode_reply(b.data, b.len, &r, NULL), 0);
    assert_true(r.request_id == 9);
    assert_int_equal(r.len, 5);
    assert_memory_equal(r.resp_bytes, "+OK\r\n", 5);
    buf_clear(&b);
    wire_encode_reply(&b, 10, NULL, 0);
    assert_int_equal(wire_decode_reply(b.data, b.len, &r, NULL), 0);
    assert_int_equal(r.len, 0);
    assert_null(r.resp_bytes);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_types_table),
        cmocka_unit_test(test_frame_layout),
        cmocka_unit_test(test_frame_round_trip_every_type),
        cmocka_unit_test(test_frame_truncation_needs_more),
        cmocka_unit_test(test_frame_stream_any_cuts),
        cmocka_unit_test(test_frame_rejects),
        cmocka_unit_test(test_frame_bit_flips_rejected),
        cmocka_unit_test(test_frame_end_limit_rolls_back),
        cmocka_unit_test(test_payload_truncation_rejected),
        cmocka_unit_test(test_payload_bit_flips),
        cmocka_unit_test(test_payload_random_damage),
        cmocka_unit_test(test_raft_round_trip_every_msg_type),
        cmocka_unit_test(test_raft_sizes),
        cmocka_unit_test(test_raft_rejects),
        cmocka_unit_test(test_raft_snapshot_rejects),
        cmocka_unit_test(test_raft_scratch_reuse),
        cmocka_unit_test(test_handshake_layout_and_rejects),
        cmocka_unit_test(test_forward_round_trip_and_rejects),
        cmocka_unit_test(test_leaders_round_trip_and_rejects),
        cmocka_unit_test(test_reply_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
