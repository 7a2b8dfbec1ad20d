#include "cmd/entry.h"

#include <string.h>

#include "base/assert.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/rng.h"
#include "base/util.h"
#include "base/varint.h"

static void put_varint(buf *out, uint64_t v)
{
    uint8_t b[VARINT_BYTES_MAX];
    buf_append(out, b, varint_encode(b, v));
}

void cmd_entry_encode(buf *out, uint8_t kind, int64_t now_ms, const cmd_arg *argv,
                      size_t argc)
{
    uint8_t head[10] = {1, kind};
    for (int i = 0; i < 8; i++)
        head[2 + i] = (uint8_t)((uint64_t)now_ms >> (8 * i));
    buf_append(out, head, sizeof head);
    put_varint(out, argc);
    for (size_t i = 0; i < argc; i++) {
        put_varint(out, argv[i].len);
        buf_append(out, argv[i].ptr, argv[i].len);
    }
}

int cmd_entry_decode(const void *data, size_t len, cmd_entry *e)
{
    memset(e, 0, sizeof *e);
    const uint8_t *p = data, *end = p + len;
    if (len < 10 || p[0] != 1 || (p[1] != CMD_ENTRY_COMMAND && p[1] != CMD_ENTRY_EXPIRE))
        return POLIS_ECORRUPT;
    e->kind = p[1];
    uint64_t ts = 0;
    for (int i = 0; i < 8; i++)
        ts |= (uint64_t)p[2 + i] << (8 * i);
    e->now_ms = (int64_t)ts;
    p += 10;
    uint64_t argc;
    /* Every argument takes at least one byte: a count beyond the bytes left
     * is corrupt, and is rejected before anything is allocated. */
    if (!varint_decode(&p, end, &argc) || argc == 0 || argc > CMD_ENTRY_ARGS_MAX ||
        argc > (uint64_t)(end - p))
        return POLIS_ECORRUPT;
    e->argv = mem_alloc(argc * sizeof *e->argv);
    for (uint64_t i = 0; i < argc; i++) {
        uint64_t n;
        if (!varint_decode(&p, end, &n) || n > (uint64_t)(end - p)) {
            cmd_entry_free(e);
            return POLIS_ECORRUPT;
        }
        e->argv[i].ptr = (const char *)p;
        e->argv[i].len = n;
        p += n;
    }
    if (p != end) {
        cmd_entry_free(e);
        return POLIS_ECORRUPT;
    }
    e->argc = argc;
    return 0;
}

void cmd_entry_free(cmd_entry *e)
{
    mem_free(e->argv);
    e->argv = NULL;
    e->argc = 0;
}

uint8_t cmd_entry_kind(const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len < 10 || p[0] != 1) return 0;
    return p[1] == CMD_ENTRY_COMMAND || p[1] == CMD_ENTRY_EXPIRE ||
                   p[1] == CMD_ENTRY_SPLIT
               ? p[1]
               : 0;
}

void cmd_split_encode(buf *out, int64_t now_ms, const cmd_split *s)
{
    PASSERT(s->voter_count >= 1 && s->voter_count <= RAFT_NODES_MAX);
    uint8_t head[10] = {1, CMD_ENTRY_SPLIT};
    for (int i = 0; i < 8; i++)
        head[2 + i] = (uint8_t)((uint64_t)now_ms >> (8 * i));
    buf_append(out, head, sizeof head);
    put_varint(out, s->child);
    put_varint(out, s->voter_count);
    for (uint32_t i = 0; i < s->voter_count; i++)
        put_varint(out, s->voters[i]);
    slot_set_encode(&s->slots, out);
}

/* A varint <= max in its shortest form (one encoding per entry). */
static bool get_canonical(const uint8_t **p, const uint8_t *end, uint64_t max,
                          uint64_t *v)
{
    const uint8_t *start = *p;
    uint8_t tmp[VARINT_BYTES_MAX];
    return varint_decode(p, end, v) && *v <= max &&
           (size_t)(*p - start) == varint_encode(tmp, *v);
}

int cmd_split_decode(const void *data, size_t len, cmd_split *s)
{
    memset(s, 0, sizeof *s);
    if (cmd_entry_kind(data, len) != CMD_ENTRY_SPLIT) return POLIS_ECORRUPT;
    const uint8_t *p = (const uint8_t *)data + 10, *end = (const uint8_t *)data + len;
    uint64_t count;
    if (!get_canonical(&p, end, UINT64_MAX, &s->child) || s->child == 0 ||
        !get_canonical(&p, end, RAFT_NODES_MAX, &count) || count == 0)
        return POLIS_ECORRUPT;
    s->voter_count = (uint32_t)count;
    for (uint32_t i = 0; i < s->voter_count; i++)
        if (!get_canonical(&p, end, UINT64_MAX, &s->voters[i]) || s->voters[i] == 0)
            return POLIS_ECORRUPT;
    if (slot_set_decode(&p, end, &s->slots) != 0 || p != end ||
        slot_set_count(&s->slots) == 0)
        return POLIS_ECORRUPT;
    return 0;
}

static void apply_expire(kv_keyspace *ks, const cmd_entry *e, resp_writer *w)
{
    int64_t expect;
    if (e->argc != 2 || !str_to_i64(e->argv[1].ptr, e->argv[1].len, &expect)) {
        resp_error_cstr(w, "ERR malformed expire entry");
        return;
    }
    kv_obj *o = kv_lookup_any(ks, e->argv[0].ptr, e->argv[0].len);
    /* Conditional: the key may have been rewritten (or given another TTL)
     * between the leader's decision and this entry. */
    if (o && kv_obj_expire_at(ks, o) == expect && expect <= e->now_ms) {
        kv_delete(ks, e->argv[0].ptr, e->argv[0].len);
        ks->stats.expired_keys++;
        resp_int(w, 1);
    } else {
        resp_int(w, 0);
    }
}

void cmd_entry_apply(kv_keyspace *ks, const cmd_entry *e, raft_term term,
                     raft_index index, const cmd_limits *limits, resp_writer *w)
{
    if (e->kind == CMD_ENTRY_EXPIRE) {
        apply_expire(ks, e, w);
        return;
    }
    bool unknown_sub;
    cmd_def *d = cmd_lookup(e->argv, e->argc, &unknown_sub);
    /* The proposer validated the command; a replica running a different
     * version could still disagree, and must then do nothing, the same way
     * on every replica. */
    if (d == NULL || d->proc == NULL || !cmd_arity_ok(d, e->argc) ||
        (d->flags & CMD_SERVER)) {
        resp_error_cstr(w, "ERR command not applicable on this replica");
        return;
    }
    cmd_ctx ctx = {
        .argv = e->argv,
        .argc = e->argc,
        .cmd = d,
        .ks = ks,
        .w = w,
        .now_ms = e->now_ms,
        .rand_seed = rng_mix64(term * 0x9e3779b97f4a7c15ull ^ index),
        .revision = index,
        .limits = *limits,
        .no_block = true, /* an entry is applied at once on every replica */
    };
    d->proc(&ctx);
}
