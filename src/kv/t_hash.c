/* kv/t_hash.c - hash commands with Redis 7.0's exact semantics, and the
 * hash value type (kv_hash_ops).
 *
 * Encodings, as Redis 7.0. A new hash is a "listpack": field, value, field,
 * value... in insertion order. It becomes a "hashtable" for good when it
 * gets more than hash_max_listpack_entries fields, or a field or value
 * longer than hash_max_listpack_value bytes, or when the listpack would
 * grow past HASH_LP_BYTES_MAX. Like Redis, HSET/HMSET/HSETNX check the
 * lengths of all their arguments before writing any (hashTypeTryConversion),
 * and every write checks its own field and value (hashTypeSet), which is how
 * HINCRBY and HINCRBYFLOAT convert. A hashtable never converts back.
 *
 * The hashtable is a base/dict of hash_node: one allocation per field with
 * the field and value bytes inline. A new value is written in place when it
 * fits the node, else the node is reallocated and its new address put in
 * the chain. Tables are seeded from the keyspace's
 * hash_seed, so replicas that apply the same writes have the same layout
 * (HSCAN cursors and HRANDFIELD picks agree). A table loaded from a dump
 * keeps its seed but is rebuilt in dump order, so its layout may differ
 * (as the keyspace's own table): contents, encoding and digest agree, and
 * HSCAN cursors stay valid across it (same hash function, and the reverse
 * binary cursor tolerates other table sizes).
 *
 * Dump layout (after the keyspace's record header, see kv/snapshot.c;
 * varint = unsigned LEB128, str = varint length then bytes, u64 little
 * endian):
 *
 *   listpack:   varint  entry count: 2 x fields, even and > 0
 *               str     the listpack's entry bytes (kv/listpack.h format),
 *                       at most HASH_LP_BYTES_MAX
 *   hashtable:  u64     the table's seed
 *               varint  field count, > 0
 *               count x (str field, str value), each at most 4 GiB - 1
 *
 * Load refuses anything else: an empty hash, an odd listpack, a listpack
 * lp_from_bytes does not accept, a repeated field. */
#include "kv/t_hash.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/dict.h"
#include "base/mem.h"
#include "base/rng.h"
#include "base/util.h"
#include "kv/listpack.h"
#include "kv/scan.h"

/* Redis converts when a listpack would pass 1 GiB (lpSafeToAdd); polis
 * stops at 512 MiB so that a listpack always fits one dump string
 * (kvd_get_str accepts up to KV_STRING_BYTES_MAX). */
#define HASH_LP_BYTES_MAX KV_STRING_BYTES_MAX
/* Redis's lpBytes() counts a 6-byte header and a 1-byte terminator. */
#define HASH_LP_OVERHEAD_BYTES 7
/* An entry's own header and backlen take at most this many bytes. */
#define HASH_LP_ENTRY_OVERHEAD_BYTES 10
/* Fields and values are stored with 32-bit lengths. */
#define HASH_STR_BYTES_MAX UINT32_MAX
/* Mixed into the keyspace's hash_seed for the hashes' own tables. */
#define HASH_SEED_MIX 0x68617368u /* "hash" */
/* HRANDFIELD with a unique count: below this many times the count, the
 * result is the whole hash minus random removals (Redis's
 * HRANDFIELD_SUB_STRATEGY_MUL). */
#define HRANDFIELD_SUB_STRATEGY_MUL 3
/* HRANDFIELD with a huge negative count stops writing past this many reply
 * bytes, as Redis stops once the client is to be closed: the client's
 * output limit (1 GiB by default) then closes it. */
#define HASH_REPLY_BYTES_MAX (1ull << 30)

#define ERR_NOT_INTEGER "ERR hash value is not an integer"
#define ERR_NOT_FLOAT   "ERR hash value is not a float"
#define ERR_TOO_LARGE   "ERR hash field or value is too large"

/* ---- The hashtable encoding --------------------------------------------- */

typedef struct hash_node {
    dict_node link; /* must stay first: the table links nodes */
    uint32_t field_len;
    uint32_t value_len;
    char data[]; /* field bytes, then value bytes */
} hash_node;

typedef struct hash_table {
    dict fields;
    uint64_t seed;     /* the table's seed, kept for dumps */
    size_t node_bytes; /* mem_usable() of every node, for value_bytes */
} hash_table;

static const char *node_key(const dict_node *n, size_t *len)
{
    const hash_node *h = (const hash_node *)n;
    *len = h->field_len;
    return h->data;
}

static const dict_type node_dict_type = {node_key};

static hash_node *node_new(const char *f, size_t flen, const char *v, size_t vlen)
{
    PASSERT(flen <= HASH_STR_BYTES_MAX && vlen <= HASH_STR_BYTES_MAX);
    hash_node *n = mem_alloc(sizeof *n + flen + vlen);
    n->link.next = NULL;
    n->field_len = (uint32_t)flen;
    n->value_len = (uint32_t)vlen;
    memcpy(n->data, f, flen);
    if (vlen) memcpy(n->data + flen, v, vlen);
    return n;
}

static hash_table *table_new(uint64_t seed)
{
    hash_table *t = mem_alloc(sizeof *t);
    dict_init(&t->fields, &node_dict_type, seed);
    t->seed = seed;
    t->node_bytes = 0;
    return t;
}

static void table_add(hash_table *t, hash_node *n)
{
    dict_add(&t->fields, &n->link);
    t->node_bytes += mem_usable(n);
}

static void table_free(hash_table *t)
{
    dict_iter it;
    dict_iter_start(&it, &t->fields);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL)
        mem_free(n);
    dict_iter_end(&it);
    dict_free(&t->fields);
    mem_free(t);
}

/* Replaces a node's value. In place when the new value fits the block
 * without wasting half of it; otherwise the node is reallocated to its new
 * size. realloc keeps the node's bytes, its chain pointer included, so only
 * the pointer that reached it changes (dict_relink would read the old,
 * possibly freed, node). */
static void table_set_value(hash_table *t, hash_node *n, const char *v, size_t vlen)
{
    PASSERT(vlen <= HASH_STR_BYTES_MAX);
    size_t need = sizeof *n + n->field_len + vlen, usable = mem_usable(n);
    if (need > usable || need * 2 < usable) {
        dict_node **link = dict_find_link(&t->fields, n->data, n->field_len);
        PASSERT(link != NULL && *link == &n->link);
        t->node_bytes -= usable;
        n = mem_realloc(n, need);
        *link = &n->link;
        t->node_bytes += mem_usable(n);
    }
    n->value_len = (uint32_t)vlen;
    if (vlen) memcpy(n->data + n->field_len, v, vlen);
}

static bool table_delete(hash_table *t, const char *f, size_t flen)
{
    dict_node *n = dict_remove(&t->fields, f, flen);
    if (n == NULL) return false;
    t->node_bytes -= mem_usable(n);
    mem_free(n);
    return true;
}

/* ---- Encoding-independent access ---------------------------------------- */

/* A field and its value as bytes; integers in a listpack are formatted
 * into the pair's own buffers (so a pair must not be copied). */
typedef struct hash_pair {
    const char *field;
    size_t field_len;
    const char *value;
    size_t value_len;
    char field_tmp[LP_INT_BUF_BYTES];
    char value_tmp[LP_INT_BUF_BYTES];
} hash_pair;

static inline hash_table *table_of(const kv_obj *o)
{
    PASSERT(o->encoding == KV_ENC_HASHTABLE);
    return o->v.ptr;
}

static inline kv_lp *lp_of(const kv_obj *o)
{
    PASSERT(o->encoding == KV_ENC_LISTPACK);
    return o->v.ptr;
}

static size_t hash_length(const kv_obj *o)
{
    if (o->encoding == KV_ENC_LISTPACK) return lp_count(lp_of(o)) / 2;
    return dict_size(&table_of(o)->fields);
}

static void pair_from_lp(const kv_lp *lp, uint32_t field_pos, hash_pair *p)
{
    p->field = lp_get_str(lp, field_pos, p->field_tmp, &p->field_len);
    uint32_t value_pos = lp_next(lp, field_pos);
    PASSERT(value_pos != LP_NONE);
    p->value = lp_get_str(lp, value_pos, p->value_tmp, &p->value_len);
}

static void pair_from_node(const hash_node *n, hash_pair *p)
{
    p->field = n->data;
    p->field_len = n->field_len;
    p->value = n->data + n->field_len;
    p->value_len = n->value_len;
}

/* The position of a field in a listpack, or LP_NONE. Like lp_find over
 * the fields, but an integer entry is compared as an integer with the
 * searched string's integer form (computed once) instead of being
 * formatted: the same answer, since only canonical integer strings are
 * stored as integers. */
static uint32_t lp_find_field(const kv_lp *lp, const char *f, size_t flen)
{
    int64_t iv = 0;
    bool is_int = flen <= 20 && str_to_i64(f, flen, &iv);
    for (uint32_t pos = lp_first(lp); pos != LP_NONE;) {
        lp_entry e;
        lp_get(lp, pos, &e);
        if (e.is_int ? is_int && e.i == iv : e.len == flen && memcmp(e.s, f, flen) == 0)
            return pos;
        pos = lp_next(lp, pos);
        PASSERT(pos != LP_NONE); /* every field has a value */
        pos = lp_next(lp, pos);
    }
    return LP_NONE;
}

/* The value of a field: true and (*v, *vlen) if present; tmp holds the
 * digits of a listpack integer. */
static bool hash_get(const kv_obj *o, const cmd_arg *field, char tmp[LP_INT_BUF_BYTES],
                     const char **v, size_t *vlen)
{
    if (o->encoding == KV_ENC_LISTPACK) {
        const kv_lp *lp = lp_of(o);
        uint32_t pos = lp_find_field(lp, field->ptr, field->len);
        if (pos == LP_NONE) return false;
        *v = lp_get_str(lp, lp_next(lp, pos), tmp, vlen);
        return true;
    }
    const hash_node *n =
        (const hash_node *)dict_find(&table_of(o)->fields, field->ptr, field->len);
    if (n == NULL) return false;
    *v = n->data + n->field_len;
    *vlen = n->value_len;
    return true;
}

static bool hash_exists(const kv_obj *o, const cmd_arg *field)
{
    char tmp[LP_INT_BUF_BYTES];
    const char *v;
    size_t vlen;
    return hash_get(o, field, tmp, &v, &vlen);
}

/* Redis lpSafeToAdd, with polis's bound. */
static bool lp_safe_to_add(const kv_lp *lp, size_t add_bytes)
{
    return (uint64_t)lp->bytes + HASH_LP_OVERHEAD_BYTES + add_bytes <= HASH_LP_BYTES_MAX;
}

/* Listpack -> hashtable (Redis hashTypeConvertListpack). The fields of a
 * listpack are unique (writes keep them so; load checks it). */
static void hash_convert(cmd_ctx *c, kv_obj *o)
{
    kv_lp *lp = lp_of(o);
    hash_table *t = table_new(c->ks->hash_seed ^ HASH_SEED_MIX);
    for (uint32_t pos = lp_first(lp); pos != LP_NONE;) {
        hash_pair p;
        pair_from_lp(lp, pos, &p);
        table_add(t, node_new(p.field, p.field_len, p.value, p.value_len));
        pos = lp_next(lp, lp_next(lp, pos));
    }
    lp_free(lp);
    o->v.ptr = t;
    o->encoding = KV_ENC_HASHTABLE;
}

/* Redis hashTypeTryConversion: before a write of argv[from..to), converts a
 * listpack if any argument is too long for it or the listpack could grow
 * past its bound. */
static void hash_try_conversion(cmd_ctx *c, kv_obj *o, size_t from, size_t to)
{
    if (o->encoding != KV_ENC_LISTPACK) return;
    size_t sum = 0;
    for (size_t i = from; i < to; i++) {
        if (c->argv[i].len > c->limits.hash_max_listpack_value) {
            hash_convert(c, o);
            return;
        }
        sum += c->argv[i].len;
    }
    if (!lp_safe_to_add(lp_of(o), sum)) hash_convert(c, o);
}

/* Redis hashTypeSet: sets field to value; returns true if the field existed
 * (its value was replaced), false if it was added. */
static bool hash_set(cmd_ctx *c, kv_obj *o, const char *f, size_t flen, const char *v,
                     size_t vlen)
{
    /* The entries' own overhead counts here (unlike Redis's argument
     * check), so a listpack never outgrows HASH_LP_BYTES_MAX. */
    if (o->encoding == KV_ENC_LISTPACK &&
        (flen > c->limits.hash_max_listpack_value ||
         vlen > c->limits.hash_max_listpack_value ||
         !lp_safe_to_add(lp_of(o), flen + vlen + 2 * HASH_LP_ENTRY_OVERHEAD_BYTES)))
        hash_convert(c, o);
    if (o->encoding == KV_ENC_HASHTABLE) {
        hash_table *t = table_of(o);
        uint64_t hash = dict_hash(&t->fields, f, flen);
        hash_node *n = (hash_node *)dict_find_h(&t->fields, f, flen, hash);
        if (n != NULL) {
            table_set_value(t, n, v, vlen);
            return true;
        }
        n = node_new(f, flen, v, vlen);
        dict_add_h(&t->fields, &n->link, hash);
        t->node_bytes += mem_usable(n);
        return false;
    }
    kv_lp *lp = lp_of(o);
    uint32_t pos = lp_find_field(lp, f, flen);
    bool update = pos != LP_NONE;
    if (update) {
        lp_replace(&lp, lp_next(lp, pos), v, vlen);
    } else {
        lp_append(&lp, f, flen);
        lp_append(&lp, v, vlen);
    }
    o->v.ptr = lp;
    if (lp_count(lp) / 2 > c->limits.hash_max_listpack_entries) hash_convert(c, o);
    return update;
}

static bool hash_delete(kv_obj *o, const cmd_arg *field)
{
    if (o->encoding == KV_ENC_HASHTABLE)
        return table_delete(table_of(o), field->ptr, field->len);
    kv_lp *lp = lp_of(o);
    uint32_t pos = lp_find_field(lp, field->ptr, field->len);
    if (pos == LP_NONE) return false;
    lp_delete(&lp, pos, 2);
    o->v.ptr = lp;
    return true;
}

/* Iteration over the pairs, in the encoding's own order. */
typedef struct hash_iter {
    const kv_obj *o;
    uint32_t pos; /* listpack: the next field */
    dict_iter it; /* hashtable */
} hash_iter;

static void hash_iter_start(hash_iter *hi, const kv_obj *o)
{
    hi->o = o;
    if (o->encoding == KV_ENC_LISTPACK)
        hi->pos = lp_first(lp_of(o));
    else
        dict_iter_start(&hi->it, &table_of(o)->fields);
}

static bool hash_iter_next(hash_iter *hi, hash_pair *p)
{
    if (hi->o->encoding == KV_ENC_LISTPACK) {
        const kv_lp *lp = lp_of(hi->o);
        if (hi->pos == LP_NONE) return false;
        pair_from_lp(lp, hi->pos, p);
        hi->pos = lp_next(lp, lp_next(lp, hi->pos));
        return true;
    }
    dict_node *n = dict_iter_next(&hi->it);
    if (n == NULL) return false;
    pair_from_node((const hash_node *)n, p);
    return true;
}

static void hash_iter_end(hash_iter *hi)
{
    if (hi->o->encoding == KV_ENC_HASHTABLE) dict_iter_end(&hi->it);
}

/* A set of strings by content, for uniqueness checks (load, HRANDFIELD):
 * probes live in a caller's array and point at bytes that outlive it. */
typedef struct probe {
    dict_node link;
    const char *p;
    size_t len;
    char tmp[LP_INT_BUF_BYTES];
} probe;

static const char *probe_key(const dict_node *n, size_t *len)
{
    const probe *pr = (const probe *)n;
    *len = pr->len;
    return pr->p;
}

static const dict_type probe_dict_type = {probe_key};

/* ---- Lookups ------------------------------------------------------------ */

static bool lookup_read(cmd_ctx *c, kv_obj **out)
{
    *out = kv_lookup_read(c->ks, c->argv[1].ptr, c->argv[1].len, c->now_ms);
    if (*out != NULL && (*out)->type != KV_HASH) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

static bool lookup_write(cmd_ctx *c, kv_obj **out)
{
    *out = kv_lookup_write(c->ks, c->argv[1].ptr, c->argv[1].len, c->now_ms);
    if (*out != NULL && (*out)->type != KV_HASH) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

/* Redis hashTypeLookupWriteOrCreate: the hash at argv[1], created empty
 * (a listpack) if missing. Callers always add a field to a hash they
 * created, so no empty hash is left behind. */
static bool lookup_or_create(cmd_ctx *c, kv_obj **out)
{
    if (!lookup_write(c, out)) return false;
    if (*out == NULL) {
        kv_obj *o = kv_obj_new_value(c->argv[1].ptr, c->argv[1].len, KV_HASH,
                                     KV_ENC_LISTPACK, lp_new());
        o->revision = c->revision;
        kv_insert(c->ks, o);
        *out = o;
    }
    return true;
}

/* Fields and values longer than a node can describe are refused before
 * anything changes (they need proto-max-bulk-len above 4 GiB). */
static bool args_fit_or_reply(cmd_ctx *c, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (c->argv[i].len > HASH_STR_BYTES_MAX) {
            cmd_error(c, ERR_TOO_LARGE);
            return false;
        }
    }
    return true;
}

/* ---- HSET, HSETNX, HMSET, HDEL ------------------------------------------ */

static void hset_generic(cmd_ctx *c, bool hmset)
{
    if (c->argc % 2 == 1) {
        cmd_error_arity(c);
        return;
    }
    if (!args_fit_or_reply(c, 2, c->argc)) return;
    kv_obj *o;
    if (!lookup_or_create(c, &o)) return;
    hash_try_conversion(c, o, 2, c->argc);
    int64_t created = 0;
    for (size_t i = 2; i < c->argc; i += 2) {
        const cmd_arg *f = &c->argv[i], *v = &c->argv[i + 1];
        if (!hash_set(c, o, f->ptr, f->len, v->ptr, v->len)) created++;
    }
    kv_touch(c->ks, o, c->revision);
    if (hmset)
        resp_ok(c->w);
    else
        resp_int(c->w, created);
}

void kvcmd_hset(cmd_ctx *c)
{
    hset_generic(c, false);
}

void kvcmd_hmset(cmd_ctx *c)
{
    hset_generic(c, true);
}

void kvcmd_hsetnx(cmd_ctx *c)
{
    if (!args_fit_or_reply(c, 2, 4)) return;
    kv_obj *o;
    if (!lookup_or_create(c, &o)) return;
    if (hash_exists(o, &c->argv[2])) {
        resp_int(c->w, 0);
        return;
    }
    /* Redis checks the lengths only when it is about to write. */
    hash_try_conversion(c, o, 2, 4);
    hash_set(c, o, c->argv[2].ptr, c->argv[2].len, c->argv[3].ptr, c->argv[3].len);
    kv_touch(c->ks, o, c->revision);
    resp_int(c->w, 1);
}

void kvcmd_hdel(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_write(c, &o)) return;
    if (o == NULL) {
        resp_int(c->w, 0);
        return;
    }
    int64_t deleted = 0;
    bool removed = false;
    for (size_t i = 2; i < c->argc; i++) {
        if (!hash_delete(o, &c->argv[i])) continue;
        deleted++;
        if (hash_length(o) == 0) {
            kv_delete(c->ks, c->argv[1].ptr, c->argv[1].len);
            removed = true;
            break;
        }
    }
    if (deleted > 0 && !removed) kv_touch(c->ks, o, c->revision);
    resp_int(c->w, deleted);
}

/* ---- Reads -------------------------------------------------------------- */

void kvcmd_hget(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    char tmp[LP_INT_BUF_BYTES];
    const char *v;
    size_t vlen;
    if (o != NULL && hash_get(o, &c->argv[2], tmp, &v, &vlen))
        resp_bulk(c->w, v, vlen);
    else
        resp_null(c->w);
}

void kvcmd_hmget(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    resp_array(c->w, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        char tmp[LP_INT_BUF_BYTES];
        const char *v;
        size_t vlen;
        if (o != NULL && hash_get(o, &c->argv[i], tmp, &v, &vlen))
            resp_bulk(c->w, v, vlen);
        else
            resp_null(c->w);
    }
}

void kvcmd_hexists(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    resp_int(c->w, o != NULL && hash_exists(o, &c->argv[2]) ? 1 : 0);
}

void kvcmd_hlen(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    resp_int(c->w, o ? (int64_t)hash_length(o) : 0);
}

void kvcmd_hstrlen(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    char tmp[LP_INT_BUF_BYTES];
    const char *v;
    size_t vlen = 0;
    if (o == NULL || !hash_get(o, &c->argv[2], tmp, &v, &vlen)) vlen = 0;
    resp_int(c->w, (int64_t)vlen);
}

enum { WANT_FIELDS = 1, WANT_VALUES = 2 };

/* Redis genericHgetallCommand: streamed from the value, a map for HGETALL
 * (an empty one for a missing key), flat arrays for HKEYS and HVALS. */
static void getall_generic(cmd_ctx *c, int want)
{
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    bool both = want == (WANT_FIELDS | WANT_VALUES);
    size_t n = o ? hash_length(o) : 0;
    if (both)
        resp_map(c->w, n);
    else
        resp_array(c->w, n);
    if (o == NULL) return;
    hash_iter hi;
    hash_pair p;
    hash_iter_start(&hi, o);
    while (hash_iter_next(&hi, &p)) {
        if (want & WANT_FIELDS) resp_bulk(c->w, p.field, p.field_len);
        if (want & WANT_VALUES) resp_bulk(c->w, p.value, p.value_len);
    }
    hash_iter_end(&hi);
}

void kvcmd_hkeys(cmd_ctx *c)
{
    getall_generic(c, WANT_FIELDS);
}

void kvcmd_hvals(cmd_ctx *c)
{
    getall_generic(c, WANT_VALUES);
}

void kvcmd_hgetall(cmd_ctx *c)
{
    getall_generic(c, WANT_FIELDS | WANT_VALUES);
}

/* ---- HINCRBY, HINCRBYFLOAT ---------------------------------------------- */

void kvcmd_hincrby(cmd_ctx *c)
{
    int64_t incr;
    if (!cmd_arg_i64_or_reply(c, 3, &incr, NULL)) return;
    if (!args_fit_or_reply(c, 2, 3)) return;
    kv_obj *o;
    if (!lookup_or_create(c, &o)) return;
    int64_t value = 0;
    char tmp[LP_INT_BUF_BYTES];
    const char *v;
    size_t vlen;
    if (hash_get(o, &c->argv[2], tmp, &v, &vlen) && !str_to_i64(v, vlen, &value)) {
        cmd_error(c, ERR_NOT_INTEGER);
        return;
    }
    if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
        (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
        cmd_error(c, CMD_ERR_OVERFLOW);
        return;
    }
    value += incr;
    char digits[LP_INT_BUF_BYTES];
    size_t len = fmt_i64(digits, value);
    hash_set(c, o, c->argv[2].ptr, c->argv[2].len, digits, len);
    kv_touch(c->ks, o, c->revision);
    resp_int(c->w, value);
}

void kvcmd_hincrbyfloat(cmd_ctx *c)
{
    long double incr, value = 0;
    if (!str_to_ld(c->argv[3].ptr, c->argv[3].len, &incr)) {
        cmd_error(c, CMD_ERR_NOT_FLOAT);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        cmd_error(c, "ERR value is NaN or Infinity");
        return;
    }
    if (!args_fit_or_reply(c, 2, 3)) return;
    kv_obj *o;
    if (!lookup_or_create(c, &o)) return;
    char tmp[LP_INT_BUF_BYTES];
    const char *v;
    size_t vlen;
    /* A listpack integer reads back as its digits, which strtold converts
     * exactly, as Redis's (long double) cast of the integer. */
    if (hash_get(o, &c->argv[2], tmp, &v, &vlen) && !str_to_ld(v, vlen, &value)) {
        cmd_error(c, ERR_NOT_FLOAT);
        return;
    }
    char out[CMD_FLOAT_OUT_BYTES];
    size_t len;
    if (!cmd_add_float_or_reply(c, value, incr, out, &len)) return;
    hash_set(c, o, c->argv[2].ptr, c->argv[2].len, out, len);
    kv_touch(c->ks, o, c->revision);
    resp_bulk(c->w, out, len);
}

/* ---- HRANDFIELD ----------------------------------------------------------- */

static void reply_pick(cmd_ctx *c, bool withvalues, const hash_pair *p)
{
    if (withvalues && c->w->proto == 3) resp_array(c->w, 2);
    resp_bulk(c->w, p->field, p->field_len);
    if (withvalues) resp_bulk(c->w, p->value, p->value_len);
}

/* The positions of a listpack's fields, for O(1) random picks. */
static uint32_t *lp_field_positions(const kv_lp *lp, size_t *n)
{
    *n = lp_count(lp) / 2;
    uint32_t *pos = mem_alloc(*n * sizeof *pos);
    uint32_t p = lp_first(lp);
    for (size_t i = 0; i < *n; i++) {
        pos[i] = p;
        p = lp_next(lp, lp_next(lp, p));
    }
    return pos;
}

/* CASE 1 of Redis hrandfieldWithCountCommand: a negative count (or 1)
 * draws with repetition, in random order. */
static void rand_with_repeats(cmd_ctx *c, const kv_obj *o, rng *r, uint64_t count,
                              bool withvalues)
{
    resp_array(c->w, withvalues && c->w->proto == 2 ? count * 2 : count);
    size_t n = 0;
    uint32_t *fields = NULL;
    if (o->encoding == KV_ENC_LISTPACK) fields = lp_field_positions(lp_of(o), &n);
    for (uint64_t i = 0; i < count; i++) {
        if (c->w->out->len > HASH_REPLY_BYTES_MAX) break;
        hash_pair p;
        if (fields)
            pair_from_lp(lp_of(o), fields[rng_below(r, n)], &p);
        else
            pair_from_node((const hash_node *)dict_random(&table_of(o)->fields, r), &p);
        reply_pick(c, withvalues, &p);
    }
    mem_free(fields);
}

/* CASE 2.5: count unique fields of a listpack by selection sampling, in
 * listpack order (Redis lpRandomPairsUnique). count < fields. */
static void rand_unique_lp(cmd_ctx *c, const kv_lp *lp, rng *r, uint64_t count,
                           bool withvalues)
{
    uint64_t left = lp_count(lp) / 2;
    uint32_t pos = lp_first(lp);
    while (count > 0) {
        PASSERT(pos != LP_NONE && left >= count);
        if (rng_below(r, left) < count) {
            hash_pair p;
            pair_from_lp(lp, pos, &p);
            reply_pick(c, withvalues, &p);
            count--;
        }
        left--;
        pos = lp_next(lp, lp_next(lp, pos));
    }
}

/* CASE 3: the whole table minus random removals, for a count close to the
 * size. count < size. */
static void rand_by_removal(cmd_ctx *c, hash_table *t, rng *r, uint64_t count,
                            bool withvalues)
{
    size_t size = dict_size(&t->fields);
    const hash_node **all = mem_alloc(size * sizeof *all);
    size_t n = 0;
    dict_iter it;
    dict_iter_start(&it, &t->fields);
    dict_node *node;
    while ((node = dict_iter_next(&it)) != NULL)
        all[n++] = (const hash_node *)node;
    dict_iter_end(&it);
    while (n > count) {
        size_t i = rng_below(r, n);
        all[i] = all[--n];
    }
    for (size_t i = 0; i < n; i++) {
        hash_pair p;
        pair_from_node(all[i], &p);
        reply_pick(c, withvalues, &p);
    }
    mem_free(all);
}

/* CASE 4: random picks until count distinct fields, for a count small
 * against the size (count * HRANDFIELD_SUB_STRATEGY_MUL <= size). */
static void rand_by_picking(cmd_ctx *c, hash_table *t, rng *r, uint64_t count,
                            bool withvalues)
{
    probe *seen = mem_alloc(count * sizeof *seen);
    dict picked;
    dict_init(&picked, &probe_dict_type, t->seed);
    uint64_t added = 0;
    while (added < count) {
        const hash_node *n = (const hash_node *)dict_random(&t->fields, r);
        if (dict_find(&picked, n->data, n->field_len) != NULL) continue;
        seen[added].p = n->data;
        seen[added].len = n->field_len;
        dict_add(&picked, &seen[added].link);
        added++;
        hash_pair p;
        pair_from_node(n, &p);
        reply_pick(c, withvalues, &p);
    }
    dict_free(&picked);
    mem_free(seen);
}

/* Redis hrandfieldWithCountCommand: the case analysis decides the reply's
 * shape (length, repetition, order). */
static void rand_with_count(cmd_ctx *c, int64_t l, bool withvalues)
{
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    uint64_t count = l >= 0 ? (uint64_t)l : (uint64_t)-l;
    if (o == NULL || count == 0) {
        resp_array(c->w, 0);
        return;
    }
    rng r;
    rng_seed(&r, c->rand_seed);
    if (l < 0 || count == 1) {
        rand_with_repeats(c, o, &r, count, withvalues);
        return;
    }
    uint64_t size = hash_length(o);
    uint64_t reply = count < size ? count : size;
    resp_array(c->w, withvalues && c->w->proto == 2 ? reply * 2 : reply);
    if (count >= size) {
        hash_iter hi;
        hash_pair p;
        hash_iter_start(&hi, o);
        while (hash_iter_next(&hi, &p))
            reply_pick(c, withvalues, &p);
        hash_iter_end(&hi);
    } else if (o->encoding == KV_ENC_LISTPACK) {
        rand_unique_lp(c, lp_of(o), &r, count, withvalues);
    } else if (count * HRANDFIELD_SUB_STRATEGY_MUL > size) {
        rand_by_removal(c, table_of(o), &r, count, withvalues);
    } else {
        rand_by_picking(c, table_of(o), &r, count, withvalues);
    }
}

void kvcmd_hrandfield(cmd_ctx *c)
{
    if (c->argc >= 3) {
        int64_t l;
        if (!cmd_arg_i64_or_reply(c, 2, &l, NULL)) return;
        if (l < -INT64_MAX) {
            cmd_error(
                c, "ERR value is out of range, value must between -9223372036854775807 "
                   "and 9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !cmd_arg_is(c, 3, "withvalues"))) {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
        bool withvalues = c->argc == 4;
        /* The reply announces 2 x count elements (RESP2): keep it in range. */
        if (withvalues && (l < -INT64_MAX / 2 || l > INT64_MAX / 2)) {
            cmd_error(c, "ERR value is out of range");
            return;
        }
        rand_with_count(c, l, withvalues);
        return;
    }
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    if (o == NULL) {
        resp_null(c->w);
        return;
    }
    rng r;
    rng_seed(&r, c->rand_seed);
    hash_pair p;
    if (o->encoding == KV_ENC_LISTPACK) {
        const kv_lp *lp = lp_of(o);
        pair_from_lp(lp, lp_seek(lp, (int64_t)rng_below(&r, lp_count(lp) / 2) * 2), &p);
    } else {
        pair_from_node((const hash_node *)dict_random(&table_of(o)->fields, &r), &p);
    }
    resp_bulk(c->w, p.field, p.field_len);
}

/* ---- HSCAN ---------------------------------------------------------------- */

/* Writes the pairs that match; returns how many elements were written. */
static size_t scan_reply_pair(cmd_ctx *c, const kv_scan_opts *opts, const hash_pair *p)
{
    if (!kv_scan_match(opts, p->field, p->field_len)) return 0;
    resp_bulk(c->w, p->field, p->field_len);
    resp_bulk(c->w, p->value, p->value_len);
    return 2;
}

/* A listpack is small: everything in one call, cursor 0 (as Redis). */
static void scan_listpack(cmd_ctx *c, const kv_obj *o, const kv_scan_opts *opts)
{
    resp_array(c->w, 2);
    resp_bulk(c->w, "0", 1);
    size_t mark = resp_defer(c->w), n = 0;
    hash_iter hi;
    hash_pair p;
    hash_iter_start(&hi, o);
    while (hash_iter_next(&hi, &p))
        n += scan_reply_pair(c, opts, &p);
    hash_iter_end(&hi);
    resp_defer_array(c->w, mark, n);
}

static void scan_table(cmd_ctx *c, const hash_table *t, uint64_t cursor,
                       const kv_scan_opts *opts)
{
    kv_scan_batch st = {NULL, 0, 0};
    cursor = kv_scan_dict(&t->fields, cursor, (uint64_t)opts->count * 2, 2, &st);
    resp_array(c->w, 2);
    char digits[LP_INT_BUF_BYTES];
    resp_bulk(c->w, digits, fmt_u64(digits, cursor));
    size_t mark = resp_defer(c->w), n = 0;
    for (size_t i = 0; i < st.count; i++) {
        hash_pair p;
        pair_from_node((const hash_node *)st.found[i], &p);
        n += scan_reply_pair(c, opts, &p);
    }
    resp_defer_array(c->w, mark, n);
    kv_scan_batch_free(&st);
}

void kvcmd_hscan(cmd_ctx *c)
{
    uint64_t cursor;
    if (!kv_scan_cursor_or_reply(c, 2, &cursor)) return;
    kv_obj *o;
    if (!lookup_read(c, &o)) return;
    if (o == NULL) {
        /* Redis answers a missing key before it reads the options. */
        resp_array(c->w, 2);
        resp_bulk(c->w, "0", 1);
        resp_array(c->w, 0);
        return;
    }
    kv_scan_opts opts;
    if (!kv_scan_options_or_reply(c, 3, &opts)) return;
    if (o->encoding == KV_ENC_LISTPACK)
        scan_listpack(c, o, &opts);
    else
        scan_table(c, table_of(o), cursor, &opts);
}

/* ---- The value type (kv/type.h) ----------------------------------------- */

static void hash_free_value(kv_obj *o)
{
    if (o->encoding == KV_ENC_LISTPACK)
        lp_free(o->v.ptr);
    else
        table_free(o->v.ptr);
    o->v.ptr = NULL;
}

static size_t hash_value_bytes(const kv_obj *o)
{
    if (o->encoding == KV_ENC_LISTPACK) return lp_alloc_bytes(lp_of(o));
    const hash_table *t = table_of(o);
    return mem_usable(t) + mem_usable(t->fields.table[0]) +
           mem_usable(t->fields.table[1]) + t->node_bytes;
}

static size_t hash_length_op(const kv_obj *o)
{
    return hash_length(o);
}

static void hash_dump(const kv_obj *o, kv_dump_writer *w)
{
    if (o->encoding == KV_ENC_LISTPACK) {
        const kv_lp *lp = lp_of(o);
        kvd_put_varint(w, lp_count(lp));
        kvd_put_str(w, lp->data, lp->bytes);
        return;
    }
    const hash_table *t = table_of(o);
    kvd_put_u64(w, t->seed);
    kvd_put_varint(w, dict_size(&t->fields));
    hash_iter hi;
    hash_pair p;
    hash_iter_start(&hi, o);
    while (hash_iter_next(&hi, &p)) {
        kvd_put_str(w, p.field, p.field_len);
        kvd_put_str(w, p.value, p.value_len);
    }
    hash_iter_end(&hi);
}

/* True if no field of the listpack appears twice. */
static bool lp_fields_unique(const kv_lp *lp)
{
    size_t n = lp_count(lp) / 2;
    probe *probes = mem_alloc(n * sizeof *probes);
    dict seen;
    dict_init(&seen, &probe_dict_type, HASH_SEED_MIX);
    bool unique = true;
    uint32_t pos = lp_first(lp);
    for (size_t i = 0; i < n && unique; i++) {
        probe *pr = &probes[i];
        pr->p = lp_get_str(lp, pos, pr->tmp, &pr->len);
        if (dict_find(&seen, pr->p, pr->len) != NULL)
            unique = false;
        else
            dict_add(&seen, &pr->link);
        pos = lp_next(lp, lp_next(lp, pos));
    }
    dict_free(&seen);
    mem_free(probes);
    return unique;
}

static bool load_listpack(kv_obj *o, kv_dump_reader *r)
{
    kv_lp *lp = kvd_get_pair_listpack(r, HASH_LP_BYTES_MAX, lp_fields_unique);
    o->v.ptr = lp;
    return lp != NULL;
}

static bool load_table(kv_obj *o, kv_dump_reader *r)
{
    uint64_t seed, count;
    if (!kvd_get_u64(r, &seed) || !kvd_get_varint(r, &count) || count == 0) return false;
    hash_table *t = table_new(seed);
    o->v.ptr = t; /* freed by the caller on failure */
    buf field = BUF_INIT;
    bool ok = true;
    for (uint64_t i = 0; i < count && ok; i++) {
        const char *p;
        size_t len;
        /* The reader's buffer is reused by the next string: keep the field. */
        ok = kvd_get_str(r, &p, &len, HASH_STR_BYTES_MAX);
        if (!ok) break;
        buf_clear(&field);
        buf_append(&field, p, len);
        ok = kvd_get_str(r, &p, &len, HASH_STR_BYTES_MAX) &&
             dict_find(&t->fields, field.data, field.len) == NULL;
        if (ok) table_add(t, node_new(field.data, field.len, p, len));
    }
    buf_free(&field);
    return ok;
}

static bool hash_load(kv_obj *o, kv_dump_reader *r)
{
    if (o->encoding == KV_ENC_LISTPACK) return load_listpack(o, r);
    if (o->encoding == KV_ENC_HASHTABLE) return load_table(o, r);
    return false;
}

/* Order-independent: a sum over pairs of a hash binding field to value, so
 * a listpack and a hashtable with the same contents digest equal. The
 * chain starts from a constant so that it is not symmetric: a -> 1 and
 * 1 -> a differ. */
static uint64_t hash_digest(const kv_obj *o)
{
    uint64_t sum = 0;
    hash_iter hi;
    hash_pair p;
    hash_iter_start(&hi, o);
    while (hash_iter_next(&hi, &p)) {
        uint64_t h =
            kv_digest_chain(HASH_SEED_MIX, kv_digest_bytes(p.field, p.field_len));
        sum += kv_digest_chain(h, kv_digest_bytes(p.value, p.value_len));
    }
    hash_iter_end(&hi);
    return sum;
}

const kv_type_ops kv_hash_ops = {
    .free_value = hash_free_value,
    .value_bytes = hash_value_bytes,
    .dump = hash_dump,
    .load = hash_load,
    .digest = hash_digest,
    .length = hash_length_op,
    .foreach = NULL,
};
