/* node/wire.c - encoding and decoding of peer frames (see wire.h for the
 * layout, docs/formats.md for the same text with examples).
 *
 * Decoders share one shape: a cursor over [start, end), a check that the
 * bytes a step needs are there (counts are checked against the remaining
 * bytes before anything is allocated), then unchecked little-endian loads.
 * Every failure names itself in wire_error with the offset it was noticed
 * at, so a log line says what was wrong with a peer's bytes. */
#include "node/wire.h"

#include <string.h>

#include "base/assert.h"
#include "base/error.h"
#include "base/mem.h"
#include "wal/crc32c.h"

#define RAFT_FLAG_REJECT   0x01u
#define RAFT_FLAG_TRANSFER 0x02u
#define RAFT_FLAG_LAST     0x04u
#define RAFT_FLAG_SNAPSHOT 0x08u
#define RAFT_FLAGS_KNOWN   0x0fu

/* Fixed bytes of the snapshot section without ids and data: index, term,
 * size, three counts, offset, len. */
#define SNAP_SECTION_MIN_BYTES (8 + 8 + 8 + 1 + 1 + 1 + 8 + 4)
#define FORWARD_ARG_MIN_BYTES  4

/* ---- Frame types --------------------------------------------------------- */

bool wire_frame_type_known(unsigned type)
{
    switch (type) {
#define WIRE_FRAME_TYPE_CASE(name, code, is_data, text) case code:
        WIRE_FRAME_TYPES(WIRE_FRAME_TYPE_CASE)
#undef WIRE_FRAME_TYPE_CASE
        return true;
    default:
        return false;
    }
}

bool wire_frame_type_is_data(unsigned type)
{
#define WIRE_FRAME_TYPE_DATA(name, code, is_data, text)                                  \
    if (type == (code)) return (is_data);
    WIRE_FRAME_TYPES(WIRE_FRAME_TYPE_DATA)
#undef WIRE_FRAME_TYPE_DATA
    return false;
}

const char *wire_frame_type_name(unsigned type)
{
#define WIRE_FRAME_TYPE_NAME(name, code, is_data, text)                                  \
    if (type == (code)) return (text);
    WIRE_FRAME_TYPES(WIRE_FRAME_TYPE_NAME)
#undef WIRE_FRAME_TYPE_NAME
    return "unknown";
}

const char *wire_reject_reason_text(unsigned reason)
{
#define WIRE_REJECT_TEXT(name, code, text)                                               \
    if (reason == (code)) return (text);
    WIRE_REJECT_REASONS(WIRE_REJECT_TEXT)
#undef WIRE_REJECT_TEXT
    return "unknown reason";
}

void wire_limits_default(wire_limits *limits)
{
    limits->frame_payload_bytes_max = WIRE_FRAME_PAYLOAD_BYTES_MAX_DEFAULT;
    limits->raft_entries_per_msg_max = 1u << 20;
    limits->forward_args_max = 1u << 20;
}

void wire_scratch_free(wire_scratch *s)
{
    mem_free(s->entries);
    mem_free(s->args);
    mem_free(s->leaders);
    *s = (wire_scratch)WIRE_SCRATCH_INIT;
}

/* ---- Little-endian stores and loads -------------------------------------- */

static uint8_t *put_u8(uint8_t *w, uint8_t v)
{
    *w = v;
    return w + 1;
}

static uint8_t *put_u16(uint8_t *w, uint16_t v)
{
    w[0] = (uint8_t)v;
    w[1] = (uint8_t)(v >> 8);
    return w + 2;
}

static uint8_t *put_u32(uint8_t *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w[i] = (uint8_t)(v >> (8 * i));
    return w + 4;
}

static uint8_t *put_u64(uint8_t *w, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        w[i] = (uint8_t)(v >> (8 * i));
    return w + 8;
}

static uint8_t *put_bytes(uint8_t *w, const void *p, size_t n)
{
    if (n > 0) memcpy(w, p, n);
    return w + n;
}

static uint16_t load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const uint8_t *p)
{
    return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

/* Reserves n bytes at the end of b and returns where to write them; the
 * caller writes exactly n bytes and then calls commit(b, w_end). */
static uint8_t *reserve(buf *b, size_t n)
{
    buf_reserve(b, n);
    return (uint8_t *)b->data + b->len;
}

static void commit(buf *b, const uint8_t *w_end, size_t expected)
{
    size_t n = (size_t)(w_end - ((uint8_t *)b->data + b->len));
    PASSERT(n == expected);
    b->len += n;
}

/* ---- The decoding cursor ------------------------------------------------- */

typedef struct cursor {
    const uint8_t *start;
    const uint8_t *pos;
    const uint8_t *end;
    wire_error *err;
} cursor;

static cursor cursor_make(const void *p, size_t len, wire_error *err)
{
    const uint8_t *b = p;
    return (cursor){b, b, b + len, err};
}

static size_t cur_left(const cursor *c)
{
    return (size_t)(c->end - c->pos);
}

static int cur_fail(cursor *c, const char *reason)
{
    if (c->err) {
        c->err->reason = reason;
        c->err->offset = (size_t)(c->pos - c->start);
    }
    return POLIS_EPROTO;
}

static uint8_t take_u8(cursor *c)
{
    return *c->pos++;
}

static uint16_t take_u16(cursor *c)
{
    uint16_t v = load_u16(c->pos);
    c->pos += 2;
    return v;
}

static uint32_t take_u32(cursor *c)
{
    uint32_t v = load_u32(c->pos);
    c->pos += 4;
    return v;
}

static uint64_t take_u64(cursor *c)
{
    uint64_t v = load_u64(c->pos);
    c->pos += 8;
    return v;
}

/* Returns a pointer to the next n bytes (NULL when n is 0: zero-length data
 * is canonically NULL), which the caller has checked are there. */
static const uint8_t *take_bytes(cursor *c, size_t n)
{
    const uint8_t *p = n > 0 ? c->pos : NULL;
    c->pos += n;
    return p;
}

static int cur_expect_end(cursor *c)
{
    return cur_left(c) == 0 ? 0 : cur_fail(c, "trailing bytes after the payload");
}

/* ---- Frames -------------------------------------------------------------- */

size_t wire_frame_begin(buf *b, uint8_t type)
{
    PASSERT(wire_frame_type_known(type));
    size_t start = b->len;
    uint8_t *w = reserve(b, WIRE_FRAME_HEADER_BYTES);
    memset(w, 0, WIRE_FRAME_HEADER_BYTES - 1);
    w[WIRE_FRAME_HEADER_BYTES - 1] = type;
    b->len += WIRE_FRAME_HEADER_BYTES;
    return start;
}

int wire_frame_end(buf *b, size_t start, uint32_t payload_bytes_max)
{
    PASSERT(start <= b->len);
    PASSERT(b->len - start >= WIRE_FRAME_HEADER_BYTES);
    size_t payload = b->len - start - WIRE_FRAME_HEADER_BYTES;
    /* The length field counts crc and type too; keep it within u32. */
    if (payload > payload_bytes_max ||
        payload > (size_t)UINT32_MAX - WIRE_FRAME_LENGTH_OVERHEAD_BYTES) {
        b->len = start;
        return POLIS_ELIMIT;
    }
    uint8_t *f = (uint8_t *)b->data + start;
    put_u32(f, (uint32_t)(payload + WIRE_FRAME_LENGTH_OVERHEAD_BYTES));
    put_u32(f + 4, wal_crc32c(0, f + 8, payload + 1));
    return 0;
}

void wire_encode_frame(buf *b, uint8_t type, const void *payload, size_t len)
{
    PASSERT(len <= (size_t)UINT32_MAX - WIRE_FRAME_LENGTH_OVERHEAD_BYTES);
    size_t start = wire_frame_begin(b, type);
    buf_append(b, payload, len);
    int rv = wire_frame_end(b, start, UINT32_MAX);
    PASSERT(rv == 0);
}

int wire_frame_parse(const void *p, size_t len, uint32_t payload_bytes_max, wire_frame *f,
                     size_t *consumed, size_t *need_bytes, wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    if (need_bytes) *need_bytes = WIRE_FRAME_HEADER_BYTES;
    if (len < 4) return WIRE_PARSE_MORE;
    uint32_t length = take_u32(&c);
    /* Bound the length before anything is buffered for it. */
    if (length < WIRE_FRAME_LENGTH_OVERHEAD_BYTES)
        return cur_fail(&c, "frame length below 5");
    if (length - WIRE_FRAME_LENGTH_OVERHEAD_BYTES > payload_bytes_max)
        return cur_fail(&c, "frame payload over the limit");
    size_t total = 4 + (size_t)length;
    if (need_bytes) *need_bytes = total;
    if (len < WIRE_FRAME_HEADER_BYTES) return WIRE_PARSE_MORE;
    /* Reject an unknown type from the header alone, before the payload. */
    uint32_t crc = take_u32(&c);
    if (!wire_frame_type_known(*c.pos)) return cur_fail(&c, "unknown frame type");
    if (len < total) return WIRE_PARSE_MORE;
    if (wal_crc32c(0, c.pos, length - 4) != crc)
        return cur_fail(&c, "frame CRC mismatch");
    f->type = take_u8(&c);
    f->len = length - WIRE_FRAME_LENGTH_OVERHEAD_BYTES;
    f->payload = c.pos;
    *consumed = total;
    return WIRE_PARSE_FRAME;
}

/* ---- Control payloads ---------------------------------------------------- */

void wire_encode_handshake(buf *b, const wire_handshake *h)
{
    uint8_t *w = reserve(b, WIRE_HANDSHAKE_BYTES);
    uint8_t *p = put_bytes(w, WIRE_MAGIC, WIRE_MAGIC_BYTES);
    p = put_u16(p, h->version_min);
    p = put_u16(p, h->version_max);
    p = put_u64(p, h->cluster_id);
    p = put_u64(p, h->node_id);
    p = put_u64(p, h->to_node_id);
    commit(b, p, WIRE_HANDSHAKE_BYTES);
}

int wire_decode_handshake(const void *p, size_t len, wire_handshake *h, wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    if (len < WIRE_MAGIC_BYTES || memcmp(c.pos, WIRE_MAGIC, WIRE_MAGIC_BYTES) != 0)
        return cur_fail(&c, "handshake without the POLISPEER magic");
    if (len != WIRE_HANDSHAKE_BYTES) return cur_fail(&c, "handshake of the wrong size");
    c.pos += WIRE_MAGIC_BYTES;
    h->version_min = take_u16(&c);
    h->version_max = take_u16(&c);
    h->cluster_id = take_u64(&c);
    h->node_id = take_u64(&c);
    h->to_node_id = take_u64(&c);
    return 0;
}

void wire_encode_handshake_ack(buf *b, const wire_handshake_ack *a)
{
    uint8_t *w = reserve(b, WIRE_HANDSHAKE_ACK_BYTES);
    uint8_t *p = put_u16(w, a->version);
    p = put_u64(p, a->cluster_id);
    p = put_u64(p, a->node_id);
    commit(b, p, WIRE_HANDSHAKE_ACK_BYTES);
}

int wire_decode_handshake_ack(const void *p, size_t len, wire_handshake_ack *a,
                              wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    if (len != WIRE_HANDSHAKE_ACK_BYTES)
        return cur_fail(&c, "handshake ack of the wrong size");
    a->version = take_u16(&c);
    a->cluster_id = take_u64(&c);
    a->node_id = take_u64(&c);
    return 0;
}

void wire_encode_handshake_reject(buf *b, const wire_handshake_reject *r)
{
    PASSERT(r->text_len == 0 || r->text != NULL);
    uint8_t *w = reserve(b, 2u + r->text_len);
    uint8_t *p = put_u8(w, r->reason);
    p = put_u8(p, r->text_len);
    p = put_bytes(p, r->text, r->text_len);
    commit(b, p, 2u + r->text_len);
}

int wire_decode_handshake_reject(const void *p, size_t len, wire_handshake_reject *r,
                                 wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    if (len < 2) return cur_fail(&c, "handshake reject too short");
    r->reason = take_u8(&c);
    r->text_len = take_u8(&c);
    if (cur_left(&c) != r->text_len)
        return cur_fail(&c, "handshake reject text length does not match");
    r->text = (const char *)take_bytes(&c, r->text_len);
    return 0;
}

void wire_encode_ping(buf *b, uint64_t nonce)
{
    uint8_t *w = reserve(b, 8);
    commit(b, put_u64(w, nonce), 8);
}

int wire_decode_ping(const void *p, size_t len, uint64_t *nonce, wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    if (len != 8) return cur_fail(&c, "ping of the wrong size");
    *nonce = take_u64(&c);
    return 0;
}

/* ---- RAFT: encoding ------------------------------------------------------ */

static bool conf_is_empty(const raft_conf *conf)
{
    return conf->voter_count == 0 && conf->voter_outgoing_count == 0 &&
           conf->learner_count == 0;
}

/* The snapshot section is sent exactly when it carries something; the
 * decoder holds the sender to the same rule, so encodings stay canonical. */
static bool needs_snapshot_section(const raft_msg *m)
{
    const raft_snapshot_meta *s = &m->snap;
    return s->index != 0 || s->term != 0 || s->size_bytes != 0 ||
           !conf_is_empty(&s->conf) || m->offset != 0 || m->len != 0;
}

size_t wire_raft_msg_bytes(const raft_msg *m)
{
    size_t n = WIRE_RAFT_MSG_MIN_BYTES;
    for (uint32_t i = 0; i < m->entry_count; i++)
        n += WIRE_RAFT_ENTRY_MIN_BYTES + (size_t)m->entries[i].len;
    if (needs_snapshot_section(m)) {
        const raft_conf *conf = &m->snap.conf;
        n += SNAP_SECTION_MIN_BYTES + (size_t)m->len;
        n += 8u * ((size_t)conf->voter_count + conf->voter_outgoing_count +
                   conf->learner_count);
    }
    return n;
}

static uint8_t *put_ids(uint8_t *w, const raft_id *ids, uint8_t count)
{
    PASSERT(count <= RAFT_NODES_MAX);
    w = put_u8(w, count);
    for (uint8_t i = 0; i < count; i++)
        w = put_u64(w, ids[i]);
    return w;
}

static uint8_t *put_snapshot_section(uint8_t *w, const raft_msg *m)
{
    const raft_snapshot_meta *s = &m->snap;
    PASSERT(m->len == 0 || m->data != NULL);
    PASSERT(m->offset <= UINT64_MAX - m->len);
    w = put_u64(w, s->index);
    w = put_u64(w, s->term);
    w = put_u64(w, s->size_bytes);
    w = put_ids(w, s->conf.voters, s->conf.voter_count);
    w = put_ids(w, s->conf.voters_outgoing, s->conf.voter_outgoing_count);
    w = put_ids(w, s->conf.learners, s->conf.learner_count);
    w = put_u64(w, m->offset);
    w = put_u32(w, m->len);
    return put_bytes(w, m->data, m->len);
}

void wire_encode_raft_msg(buf *b, const raft_msg *m)
{
    /* What the decoder would reject must never leave: check it here too. */
    PASSERT(m->type > 0 && m->type < RAFT_MSG_TYPE_MAX_);
    PASSERT(m->entry_count == 0 || m->entries != NULL);
    size_t n = wire_raft_msg_bytes(m);
    bool snap = needs_snapshot_section(m);
    uint8_t flags =
        (uint8_t)((m->reject ? RAFT_FLAG_REJECT : 0) |
                  (m->transfer ? RAFT_FLAG_TRANSFER : 0) |
                  (m->last ? RAFT_FLAG_LAST : 0) | (snap ? RAFT_FLAG_SNAPSHOT : 0));
    uint8_t *w = reserve(b, n);
    uint8_t *p = put_u8(w, m->type);
    p = put_u8(p, flags);
    p = put_u64(p, m->group);
    p = put_u64(p, m->from);
    p = put_u64(p, m->to);
    p = put_u64(p, m->term);
    p = put_u64(p, m->index);
    p = put_u64(p, m->log_term);
    p = put_u64(p, m->commit);
    p = put_u64(p, m->hint_index);
    p = put_u64(p, m->hint_term);
    p = put_u64(p, m->ctx);
    p = put_u32(p, m->entry_count);
    for (uint32_t i = 0; i < m->entry_count; i++) {
        const raft_entry *e = &m->entries[i];
        PASSERT(e->type <= RAFT_ENTRY_CONF);
        PASSERT(e->len == 0 || e->data != NULL);
        p = put_u64(p, e->term);
        p = put_u64(p, e->index);
        p = put_u8(p, e->type);
        p = put_u32(p, e->len);
        p = put_bytes(p, e->data, e->len);
    }
    if (snap) p = put_snapshot_section(p, m);
    commit(b, p, n);
}

size_t wire_raft_bytes(const raft_msg *msgs, size_t count)
{
    size_t n = 4;
    for (size_t i = 0; i < count; i++)
        n += wire_raft_msg_bytes(&msgs[i]);
    return n;
}

void wire_encode_raft(buf *b, const raft_msg *msgs, size_t count)
{
    PASSERT(count >= 1);
    PASSERT(count <= UINT32_MAX);
    uint8_t *w = reserve(b, 4);
    commit(b, put_u32(w, (uint32_t)count), 4);
    for (size_t i = 0; i < count; i++)
        wire_encode_raft_msg(b, &msgs[i]);
}

/* ---- RAFT: decoding ------------------------------------------------------ */

int wire_raft_iter_init(wire_raft_iter *it, const void *payload, size_t len,
                        wire_error *err)
{
    cursor c = cursor_make(payload, len, err);
    memset(it, 0, sizeof *it);
    if (len < 4) return cur_fail(&c, "raft batch without a message count");
    uint32_t count = take_u32(&c);
    if (count == 0) return cur_fail(&c, "raft batch of 0 messages");
    if ((uint64_t)count * WIRE_RAFT_MSG_MIN_BYTES > cur_left(&c))
        return cur_fail(&c, "raft message count exceeds the payload");
    it->start = c.start;
    it->pos = c.pos;
    it->end = c.end;
    it->msg_count = count;
    return 0;
}

/* Grows an array of `size`-byte elements to hold n (n is bounded by the
 * caller's limit and by the input's size). */
static void *grow(void *array, uint32_t *cap, uint32_t n, size_t size)
{
    if (n <= *cap) return array;
    uint64_t want = (uint64_t)*cap * 2;
    if (want < n) want = n;
    if (want > UINT32_MAX) want = n;
    void *p = mem_realloc(array, (size_t)want * size);
    *cap = (uint32_t)want;
    return p;
}

static int take_ids(cursor *c, raft_id *ids, uint8_t *count)
{
    if (cur_left(c) < 1) return cur_fail(c, "snapshot conf truncated");
    uint8_t n = take_u8(c);
    if (n > RAFT_NODES_MAX) return cur_fail(c, "snapshot conf with too many nodes");
    if (cur_left(c) < 8u * n) return cur_fail(c, "snapshot conf truncated");
    for (uint8_t i = 0; i < n; i++)
        ids[i] = take_u64(c);
    *count = n;
    return 0;
}

static int take_snapshot_section(cursor *c, raft_msg *m)
{
    if (cur_left(c) < 24) return cur_fail(c, "snapshot meta truncated");
    raft_snapshot_meta *s = &m->snap;
    s->index = take_u64(c);
    s->term = take_u64(c);
    s->size_bytes = take_u64(c);
    int rv = take_ids(c, s->conf.voters, &s->conf.voter_count);
    if (rv == 0) rv = take_ids(c, s->conf.voters_outgoing, &s->conf.voter_outgoing_count);
    if (rv == 0) rv = take_ids(c, s->conf.learners, &s->conf.learner_count);
    if (rv != 0) return rv;
    if (cur_left(c) < 12) return cur_fail(c, "snapshot chunk header truncated");
    m->offset = take_u64(c);
    m->len = take_u32(c);
    if (m->offset > UINT64_MAX - m->len)
        return cur_fail(c, "snapshot offset + len overflows");
    if (cur_left(c) < m->len) return cur_fail(c, "snapshot chunk data truncated");
    m->data = take_bytes(c, m->len);
    if (!needs_snapshot_section(m))
        return cur_fail(c, "empty snapshot section (non-canonical)");
    return 0;
}

static int take_entries(cursor *c, const wire_limits *limits, wire_scratch *s,
                        raft_msg *m)
{
    uint32_t count = take_u32(c);
    if (count > limits->raft_entries_per_msg_max)
        return cur_fail(c, "entry count over the limit");
    if ((uint64_t)count * WIRE_RAFT_ENTRY_MIN_BYTES > cur_left(c))
        return cur_fail(c, "entry count exceeds the payload");
    m->entry_count = count;
    m->entries = NULL;
    if (count == 0) return 0;
    s->entries = grow(s->entries, &s->entries_cap, count, sizeof *s->entries);
    m->entries = s->entries;
    for (uint32_t i = 0; i < count; i++) {
        raft_entry *e = &s->entries[i];
        if (cur_left(c) < WIRE_RAFT_ENTRY_MIN_BYTES)
            return cur_fail(c, "entry truncated");
        e->term = take_u64(c);
        e->index = take_u64(c);
        e->type = take_u8(c);
        e->len = take_u32(c);
        if (e->type > RAFT_ENTRY_CONF) return cur_fail(c, "unknown entry type");
        if (cur_left(c) < e->len) return cur_fail(c, "entry data truncated");
        /* raft_entry.data is not const, but raft_step only borrows it. */
        e->data = (uint8_t *)(uintptr_t)take_bytes(c, e->len);
    }
    return 0;
}

int wire_raft_iter_next(wire_raft_iter *it, const wire_limits *limits, wire_scratch *s,
                        raft_msg *m, wire_error *err)
{
    cursor c = {it->start, it->pos, it->end, err};
    if (it->msg_done == it->msg_count) return cur_expect_end(&c);
    memset(m, 0, sizeof *m);
    if (cur_left(&c) < WIRE_RAFT_MSG_MIN_BYTES)
        return cur_fail(&c, "raft message truncated");
    m->type = take_u8(&c);
    if (m->type == 0 || m->type >= RAFT_MSG_TYPE_MAX_)
        return cur_fail(&c, "unknown raft message type");
    uint8_t flags = take_u8(&c);
    if (flags & ~RAFT_FLAGS_KNOWN) return cur_fail(&c, "unknown raft message flags");
    m->reject = flags & RAFT_FLAG_REJECT;
    m->transfer = flags & RAFT_FLAG_TRANSFER;
    m->last = flags & RAFT_FLAG_LAST;
    m->group = take_u64(&c);
    m->from = take_u64(&c);
    m->to = take_u64(&c);
    m->term = take_u64(&c);
    m->index = take_u64(&c);
    m->log_term = take_u64(&c);
    m->commit = take_u64(&c);
    m->hint_index = take_u64(&c);
    m->hint_term = take_u64(&c);
    m->ctx = take_u64(&c);
    int rv = take_entries(&c, limits, s, m);
    if (rv == 0 && (flags & RAFT_FLAG_SNAPSHOT)) rv = take_snapshot_section(&c, m);
    if (rv != 0) return rv;
    it->pos = c.pos;
    it->msg_done++;
    return 1;
}

/* ---- FORWARD and REPLY --------------------------------------------------- */

size_t wire_forward_bytes(const wire_forward *f)
{
    size_t n = WIRE_FORWARD_HEADER_BYTES;
    for (uint32_t i = 0; i < f->argc; i++)
        n += FORWARD_ARG_MIN_BYTES + f->argv[i].len;
    return n;
}

void wire_encode_forward(buf *b, const wire_forward *f)
{
    PASSERT(f->argc >= 1);
    PASSERT(f->resp == 2 || f->resp == 3);
    for (uint32_t i = 0; i < f->argc; i++)
        PASSERT(f->argv[i].len <= UINT32_MAX);
    size_t n = wire_forward_bytes(f);
    uint8_t *w = reserve(b, n);
    uint8_t *p = put_u64(w, f->request_id);
    p = put_u64(p, f->trace_id);
    p = put_u8(p, f->resp);
    p = put_u32(p, f->flags);
    p = put_u64(p, f->group);
    p = put_u64(p, f->epoch);
    p = put_u32(p, f->argc);
    for (uint32_t i = 0; i < f->argc; i++) {
        p = put_u32(p, (uint32_t)f->argv[i].len);
        p = put_bytes(p, f->argv[i].ptr, f->argv[i].len);
    }
    commit(b, p, n);
}

int wire_decode_forward(const void *p, size_t len, const wire_limits *limits,
                        wire_scratch *s, wire_forward *f, wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    memset(f, 0, sizeof *f);
    if (len < WIRE_FORWARD_HEADER_BYTES) return cur_fail(&c, "forward header truncated");
    f->request_id = take_u64(&c);
    f->trace_id = take_u64(&c);
    f->resp = take_u8(&c);
    if (f->resp != 2 && f->resp != 3)
        return cur_fail(&c, "forward RESP version not 2 or 3");
    f->flags = take_u32(&c);
    f->group = take_u64(&c);
    f->epoch = take_u64(&c);
    uint32_t argc = take_u32(&c);
    if (argc == 0) return cur_fail(&c, "forward without arguments");
    if (argc > limits->forward_args_max)
        return cur_fail(&c, "forward argc over the limit");
    if ((uint64_t)argc * FORWARD_ARG_MIN_BYTES > cur_left(&c))
        return cur_fail(&c, "forward argc exceeds the payload");
    s->args = grow(s->args, &s->args_cap, argc, sizeof *s->args);
    for (uint32_t i = 0; i < argc; i++) {
        if (cur_left(&c) < FORWARD_ARG_MIN_BYTES)
            return cur_fail(&c, "forward arg truncated");
        uint32_t n = take_u32(&c);
        if (cur_left(&c) < n) return cur_fail(&c, "forward arg data truncated");
        /* A zero-length argument still points into the input: cmd/ code
         * may compare it with memcmp and a NULL would be undefined. */
        s->args[i].ptr = (const char *)c.pos;
        s->args[i].len = n;
        c.pos += n;
    }
    f->argv = s->args;
    f->argc = argc;
    return cur_expect_end(&c);
}

void wire_encode_leaders(buf *b, const wire_leader *l, uint32_t count)
{
    PASSERT(count <= WIRE_LEADERS_MAX);
    size_t n = 4 + (size_t)count * WIRE_LEADER_BYTES;
    uint8_t *w = reserve(b, n);
    uint8_t *p = put_u32(w, count);
    for (uint32_t i = 0; i < count; i++) {
        p = put_u64(p, l[i].group);
        p = put_u64(p, l[i].term);
        p = put_u64(p, l[i].keys);
        p = put_u64(p, l[i].expires);
    }
    commit(b, p, n);
}

int wire_decode_leaders(const void *p, size_t len, wire_scratch *s,
                        const wire_leader **out, uint32_t *count, wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    if (len < 4) return cur_fail(&c, "leaders header truncated");
    uint32_t n = take_u32(&c);
    if (n > WIRE_LEADERS_MAX) return cur_fail(&c, "leaders count over the limit");
    if ((uint64_t)n * WIRE_LEADER_BYTES != cur_left(&c))
        return cur_fail(&c, "leaders count disagrees with the payload");
    s->leaders = grow(s->leaders, &s->leaders_cap, n ? n : 1, sizeof *s->leaders);
    for (uint32_t i = 0; i < n; i++) {
        s->leaders[i].group = take_u64(&c);
        s->leaders[i].term = take_u64(&c);
        s->leaders[i].keys = take_u64(&c);
        s->leaders[i].expires = take_u64(&c);
    }
    *out = s->leaders;
    *count = n;
    return cur_expect_end(&c);
}

void wire_encode_reply(buf *b, uint64_t request_id, const void *resp_bytes, size_t len)
{
    PASSERT(len == 0 || resp_bytes != NULL);
    uint8_t *w = reserve(b, WIRE_REPLY_HEADER_BYTES + len);
    uint8_t *p = put_u64(w, request_id);
    p = put_bytes(p, resp_bytes, len);
    commit(b, p, WIRE_REPLY_HEADER_BYTES + len);
}

int wire_decode_reply(const void *p, size_t len, wire_reply *r, wire_error *err)
{
    cursor c = cursor_make(p, len, err);
    if (len < WIRE_REPLY_HEADER_BYTES) return cur_fail(&c, "reply header truncated");
    r->request_id = take_u64(&c);
    r->len = cur_left(&c);
    r->resp_bytes = take_bytes(&c, r->len);
    return 0;
}
