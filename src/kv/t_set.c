/* kv/t_set.c - the set type and its commands, with Redis 7.0's exact
 * semantics: replies, errors, the order in which arguments are checked, and
 * when a value changes encoding.
 *
 * Encodings. A set is an "intset" (kv/intset.h) while every member is an
 * integer in canonical form (string2ll) and there are at most
 * set-max-intset-entries of them; the first member that is not an integer,
 * or one member too many, converts it to a "hashtable" for good (removals
 * never convert back). New sets start as Redis starts them: SADD and SMOVE
 * create an intset if the first member is an integer, else a hashtable; the
 * *STORE commands build their result from an empty intset, adding members
 * one by one, so a small all-integer result is an intset. Two cases need
 * care because they do not follow "all integers and small": SDIFFSTORE with
 * Redis's second algorithm adds the whole first set and then removes, so it
 * ends a hashtable whenever the first set could not be an intset; and SPOP
 * with a count close to the size builds a fresh set from the members that
 * stay, which can turn a hashtable back into an intset.
 *
 * The hashtable is a base/dict of intrusive nodes, one allocation per
 * member: the dict link, a one-byte length (or 255 and an 8-byte length for
 * members of 255 bytes and more) and the member bytes. Tables are seeded
 * from the keyspace's hash_seed, so every replica lays a set out the same
 * way, and random picks (SPOP, SRANDMEMBER), drawn from c->rand_seed, pick
 * the same members everywhere.
 *
 * Dump layout (kv_type_ops.dump, after the keyspace's record header; varint
 * is unsigned LEB128, u64 little-endian):
 *
 *   intset:
 *     width     u8       element width in bytes: 2, 4 or 8
 *     count     varint   number of members, >= 1
 *     values    count x u64   the members as int64, strictly ascending,
 *                              each fitting `width`
 *   hashtable (the exact table layout, so that a replica that installs a
 *   snapshot picks the same random members as one that applied the log):
 *     seed      2 x u64  the table's SipHash key
 *     count     varint   number of members, >= 1
 *     size0     varint   buckets of table 0: a power of two >= 4
 *     size1     varint   buckets of table 1: 0, or a power of two >= 4
 *                        while the table is being rehashed
 *     rehash    varint   while rehashing, buckets of table 0 already moved
 *                        (<= size0); else 0
 *     buckets   size0 + size1 x (varint chain length, then that many
 *                        members as varint length + bytes, in chain order)
 *
 * Loading checks everything the structure relies on: widths, counts, order
 * and range of intset values; sizes, that each member hashes to the bucket
 * it is in, that buckets already moved are empty, that no member appears
 * twice, and that the counts add up. Bucket arrays grow as buckets are read
 * (each costs at least one byte of dump), so a dump cannot make the load
 * allocate more than a small multiple of its own size. */
#include "kv/t_set.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/util.h"
#include "kv/intset.h"
#include "kv/scan.h"

/* Mixed into ks->hash_seed for set tables (the keys' table uses it raw). */
#define SET_SEED_MIX 0x7365742d6d656d73ull /* "set-mems" */
/* Members this long and longer store their length in 8 bytes. */
#define SET_MEMBER_LONG 255u
/* SPOP: build a new set from the members that stay once fewer than one in
 * five of the popped would stay (Redis's SPOP_MOVE_STRATEGY_MUL). */
#define SPOP_MOVE_STRATEGY_MUL 5
/* SRANDMEMBER: copy the set and remove at random when the count is more
 * than a third of it (Redis's SRANDMEMBER_SUB_STRATEGY_MUL). */
#define SRANDMEMBER_SUB_STRATEGY_MUL 3
/* SRANDMEMBER with a negative count may repeat members, so its reply is not
 * bounded by the set: polis refuses counts past this many elements instead
 * of building a reply that cannot fit in memory (Redis would try). */
#define SET_RANDOM_REPLY_COUNT_MAX (1ll << 24)

/* ---- Members and tables ------------------------------------------------- */

typedef struct set_member {
    dict_node node; /* must stay first: the dict links members */
    uint8_t len8;   /* the length, or SET_MEMBER_LONG: a u64 length follows */
    char data[];
} set_member;

typedef struct set_table {
    dict d;
    size_t node_bytes; /* mem_usable() of every member node */
} set_table;

static const char *member_bytes(const set_member *m, size_t *len)
{
    if (m->len8 < SET_MEMBER_LONG) {
        *len = m->len8;
        return m->data;
    }
    uint64_t l;
    memcpy(&l, m->data, sizeof l);
    *len = (size_t)l;
    return m->data + sizeof l;
}

static const char *member_key(const dict_node *n, size_t *len)
{
    return member_bytes((const set_member *)n, len);
}

static const dict_type set_dict_type = {member_key};

static set_member *member_new(const char *p, size_t len)
{
    bool long_len = len >= SET_MEMBER_LONG;
    size_t head = offsetof(set_member, data) + (long_len ? sizeof(uint64_t) : 0);
    set_member *m = mem_alloc(head + len);
    m->node.next = NULL;
    m->len8 = long_len ? SET_MEMBER_LONG : (uint8_t)len;
    if (long_len) {
        uint64_t l = len;
        memcpy(m->data, &l, sizeof l);
    }
    if (len > 0) memcpy((char *)m + head, p, len);
    return m;
}

static set_table *table_new(uint64_t seed)
{
    set_table *t = mem_alloc(sizeof *t);
    dict_init(&t->d, &set_dict_type, seed);
    t->node_bytes = 0;
    return t;
}

static void table_free(set_table *t)
{
    dict_iter it;
    dict_iter_start(&it, &t->d);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) mem_free(n);
    dict_iter_end(&it);
    dict_free(&t->d);
    mem_free(t);
}

/* Adds a member if absent; returns whether it was added. */
static bool table_add(set_table *t, const char *p, size_t len)
{
    uint64_t h = dict_hash(&t->d, p, len);
    if (dict_find_h(&t->d, p, len, h) != NULL) return false;
    set_member *m = member_new(p, len);
    t->node_bytes += mem_usable(m);
    dict_add_h(&t->d, &m->node, h);
    return true;
}

static bool table_remove(set_table *t, const char *p, size_t len)
{
    dict_node *n = dict_remove(&t->d, p, len);
    if (n == NULL) return false;
    t->node_bytes -= mem_usable(n);
    mem_free(n);
    return true;
}

/* ---- Elements ------------------------------------------------------------ */

/* A member as bytes, and as an integer when it is one in canonical form
 * (then it could live in an intset). Members read from an intset point at
 * `digits`. */
typedef struct set_elem {
    const char *ptr;
    size_t len;
    bool is_int;
    int64_t v;
    char digits[24];
} set_elem;

static void elem_from_int(set_elem *e, int64_t v)
{
    e->is_int = true;
    e->v = v;
    e->len = fmt_i64(e->digits, v);
    e->ptr = e->digits;
}

static void elem_from_bytes(set_elem *e, const char *p, size_t len)
{
    e->ptr = p;
    e->len = len;
    e->is_int = str_to_i64(p, len, &e->v);
}

static void elem_from_arg(set_elem *e, const cmd_arg *a)
{
    elem_from_bytes(e, a->ptr, a->len);
}

/* ---- Set values ------------------------------------------------------------ */

/* What creating or growing a set needs from the command's context. */
typedef struct set_env {
    uint64_t seed;         /* for new hash tables */
    uint32_t intset_max;   /* set-max-intset-entries */
} set_env;

static set_env env_of(const cmd_ctx *c)
{
    return (set_env){c->ks->hash_seed ^ SET_SEED_MIX, c->limits.set_max_intset_entries};
}

static bool is_intset(const kv_obj *o)
{
    return o->encoding == KV_ENC_INTSET;
}

static size_t set_size(const kv_obj *o)
{
    if (is_intset(o)) return intset_len(o->v.ptr);
    return dict_size(&((const set_table *)o->v.ptr)->d);
}

/* A new, empty set object: an intset or a hashtable. key may be empty for
 * values that never enter the keyspace (replies under construction). */
static kv_obj *set_new(const char *key, size_t key_len, bool intset_enc,
                       const set_env *env)
{
    if (intset_enc)
        return kv_obj_new_value(key, key_len, KV_SET, KV_ENC_INTSET, intset_new());
    return kv_obj_new_value(key, key_len, KV_SET, KV_ENC_HASHTABLE, table_new(env->seed));
}

static void convert_to_table(kv_obj *o, const set_env *env)
{
    PASSERT(is_intset(o));
    intset *is = o->v.ptr;
    set_table *t = table_new(env->seed);
    for (uint32_t i = 0; i < intset_len(is); i++) {
        set_elem e;
        elem_from_int(&e, intset_get(is, i));
        table_add(t, e.ptr, e.len);
    }
    intset_free(is);
    o->v.ptr = t;
    o->encoding = KV_ENC_HASHTABLE;
}

static bool set_has(const kv_obj *o, const set_elem *e)
{
    if (is_intset(o)) return e->is_int && intset_find(o->v.ptr, e->v);
    const set_table *t = o->v.ptr;
    return dict_find(&t->d, e->ptr, e->len) != NULL;
}

/* Redis setTypeAdd: adds e if absent, converting an intset that cannot
 * hold it (or that grows past intset_max) to a hashtable. */
static bool set_add(kv_obj *o, const set_elem *e, const set_env *env)
{
    if (is_intset(o)) {
        if (e->is_int) {
            bool added;
            o->v.ptr = intset_add(o->v.ptr, e->v, &added);
            if (added && intset_len(o->v.ptr) > env->intset_max) convert_to_table(o, env);
            return added;
        }
        convert_to_table(o, env);
    }
    return table_add(o->v.ptr, e->ptr, e->len);
}

static bool set_remove(kv_obj *o, const set_elem *e)
{
    if (is_intset(o)) {
        bool removed = false;
        if (e->is_int) o->v.ptr = intset_remove(o->v.ptr, e->v, &removed);
        return removed;
    }
    return table_remove(o->v.ptr, e->ptr, e->len);
}

/* A random member of a non-empty set. For a hashtable, e points into the
 * member's node: valid until the member is removed. */
static void set_random(const kv_obj *o, rng *r, set_elem *e)
{
    if (is_intset(o)) {
        elem_from_int(e, intset_random(o->v.ptr, r));
        return;
    }
    const set_table *t = o->v.ptr;
    size_t len;
    const char *p = member_bytes((const set_member *)dict_random(&t->d, r), &len);
    elem_from_bytes(e, p, len);
}

/* Iteration in the value's own order: ascending for an intset, bucket
 * order for a hashtable. The set must not change until set_iter_end(). */
typedef struct set_iter {
    const kv_obj *o;
    uint32_t pos;
    dict_iter it;
} set_iter;

static void set_iter_start(set_iter *si, const kv_obj *o)
{
    si->o = o;
    si->pos = 0;
    if (!is_intset(o)) dict_iter_start(&si->it, &((set_table *)o->v.ptr)->d);
}

static bool set_iter_next(set_iter *si, set_elem *e)
{
    if (is_intset(si->o)) {
        const intset *is = si->o->v.ptr;
        if (si->pos >= intset_len(is)) return false;
        elem_from_int(e, intset_get(is, si->pos++));
        return true;
    }
    dict_node *n = dict_iter_next(&si->it);
    if (n == NULL) return false;
    size_t len;
    const char *p = member_bytes((const set_member *)n, &len);
    elem_from_bytes(e, p, len);
    return true;
}

static void set_iter_end(set_iter *si)
{
    if (!is_intset(si->o)) dict_iter_end(&si->it);
}

/* Replies with every member, as a RESP3 set or an array. */
static void reply_members(cmd_ctx *c, const kv_obj *o, bool as_set)
{
    if (as_set) resp_set(c->w, set_size(o));
    else resp_array(c->w, set_size(o));
    set_iter si;
    set_elem e;
    set_iter_start(&si, o);
    while (set_iter_next(&si, &e)) resp_bulk(c->w, e.ptr, e.len);
    set_iter_end(&si);
}

/* ---- Type operations --------------------------------------------------- */

static void set_free_value(kv_obj *o)
{
    if (is_intset(o)) intset_free(o->v.ptr);
    else table_free(o->v.ptr);
    o->v.ptr = NULL;
}

static size_t set_value_bytes(const kv_obj *o)
{
    if (is_intset(o)) return mem_usable(o->v.ptr);
    const set_table *t = o->v.ptr;
    size_t bytes = mem_usable(t) + t->node_bytes;
    for (int i = 0; i < 2; i++)
        if (t->d.table[i] != NULL) bytes += mem_usable(t->d.table[i]);
    return bytes;
}

static size_t set_length(const kv_obj *o)
{
    return set_size(o);
}

static void set_foreach(const kv_obj *o, kv_foreach_fn *fn, void *arg)
{
    set_iter si;
    set_elem e;
    set_iter_start(&si, o);
    while (set_iter_next(&si, &e)) fn(arg, e.ptr, e.len, 1.0);
    set_iter_end(&si);
}

/* Order-independent: the sum of the members' hashes (as decimal text for
 * intset members, so the encoding does not show), chained with the size. */
static uint64_t set_digest(const kv_obj *o)
{
    uint64_t sum = 0;
    set_iter si;
    set_elem e;
    set_iter_start(&si, o);
    while (set_iter_next(&si, &e)) sum += kv_digest_bytes(e.ptr, e.len);
    set_iter_end(&si);
    return kv_digest_chain(sum, set_size(o));
}

static void dump_intset(const intset *is, kv_dump_writer *w)
{
    kvd_put_u8(w, (uint8_t)is->width);
    kvd_put_varint(w, intset_len(is));
    for (uint32_t i = 0; i < intset_len(is); i++)
        kvd_put_u64(w, (uint64_t)intset_get(is, i));
}

static void dump_table(const set_table *t, kv_dump_writer *w)
{
    const dict *d = &t->d;
    uint64_t seed[2];
    memcpy(seed, d->seed, sizeof seed);
    kvd_put_u64(w, seed[0]);
    kvd_put_u64(w, seed[1]);
    kvd_put_varint(w, dict_size(d));
    kvd_put_varint(w, d->size[0]);
    kvd_put_varint(w, d->size[1]);
    kvd_put_varint(w, dict_is_rehashing(d) ? (uint64_t)d->rehash_index : 0);
    for (int i = 0; i < 2; i++) {
        for (size_t b = 0; b < d->size[i]; b++) {
            uint64_t chain = 0;
            for (const dict_node *n = d->table[i][b]; n; n = n->next) chain++;
            kvd_put_varint(w, chain);
            for (const dict_node *n = d->table[i][b]; n; n = n->next) {
                size_t len;
                const char *p = member_key(n, &len);
                kvd_put_str(w, p, len);
            }
        }
    }
}

static void set_dump(const kv_obj *o, kv_dump_writer *w)
{
    if (is_intset(o)) dump_intset(o->v.ptr, w);
    else dump_table(o->v.ptr, w);
}

static bool load_intset(kv_obj *o, kv_dump_reader *r)
{
    uint8_t width;
    uint64_t count;
    if (!kvd_get_u8(r, &width) || !kvd_get_varint(r, &count)) return false;
    bool width_ok =
        width == INTSET_WIDTH_16 || width == INTSET_WIDTH_32 || width == INTSET_WIDTH_64;
    if (!width_ok || count == 0 || count >= UINT32_MAX)
        return false;
    /* Capacity grows with what was read, never from the count alone. */
    uint32_t cap = count < 256 ? (uint32_t)count : 256;
    intset *is = intset_new_sized(width, cap);
    o->v.ptr = is;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t raw;
        if (!kvd_get_u64(r, &raw)) return false;
        int64_t v = (int64_t)raw;
        if (intset_width_of(v) > width || (i > 0 && intset_get(is, (uint32_t)i - 1) >= v))
            return false;
        if (i == cap) {
            uint64_t want = (uint64_t)cap * 2;
            cap = (uint32_t)(want < count ? want : count);
            is = intset_reserve(is, cap);
            o->v.ptr = is;
        }
        intset_append(is, v);
    }
    return true;
}

/* Reads a chain of members into bucket b of table t, checking each against
 * the bucket its hash names and against duplicates (equal members hash
 * alike: the same bucket here, or while reading table 1, the bucket of
 * table 0 that dict_find_h looks at). */
static bool load_chain(set_table *st, kv_dump_reader *r, int t, size_t b, uint64_t chain)
{
    dict *d = &st->d;
    dict_node **tail = &d->table[t][b];
    for (uint64_t k = 0; k < chain; k++) {
        const char *p;
        size_t len;
        if (!kvd_get_str(r, &p, &len, KV_STRING_BYTES_MAX)) return false;
        uint64_t h = dict_hash(d, p, len);
        if ((h & (d->size[t] - 1)) != b || dict_find_h(d, p, len, h) != NULL)
            return false;
        set_member *m = member_new(p, len);
        st->node_bytes += mem_usable(m);
        *tail = &m->node;
        tail = &m->node.next;
        d->used[t]++;
    }
    return true;
}

/* Reads the d->size[t] buckets of table t. The array grows as buckets
 * arrive (each costs a byte of dump at least); on failure d->size[t] is cut
 * to what was allocated, so the partial table can be freed. */
static bool load_buckets(set_table *st, kv_dump_reader *r, int t)
{
    dict *d = &st->d;
    size_t size = d->size[t], cap = 0;
    bool ok = true;
    for (size_t b = 0; ok && b < size; b++) {
        if (b == cap) {
            cap = cap == 0 ? (size < 64 ? size : 64) : cap * 2;
            d->table[t] = mem_realloc(d->table[t], cap * sizeof *d->table[t]);
            memset(d->table[t] + b, 0, (cap - b) * sizeof *d->table[t]);
        }
        uint64_t chain;
        /* Buckets of table 0 below rehash_index were moved: empty. */
        bool moved = t == 0 && dict_is_rehashing(d) && b < (size_t)d->rehash_index;
        ok = kvd_get_varint(r, &chain) && !(moved && chain > 0) &&
             load_chain(st, r, t, b, chain);
    }
    if (!ok) d->size[t] = cap;
    return ok;
}

static bool table_size_ok(uint64_t size)
{
    return size >= 4 && size <= (1ull << 60) && (size & (size - 1)) == 0;
}

static bool load_table(kv_obj *o, kv_dump_reader *r)
{
    uint64_t seed[2], count, size0, size1, rehash;
    if (!kvd_get_u64(r, &seed[0]) || !kvd_get_u64(r, &seed[1]) ||
        !kvd_get_varint(r, &count) || !kvd_get_varint(r, &size0) ||
        !kvd_get_varint(r, &size1) || !kvd_get_varint(r, &rehash))
        return false;
    if (count == 0 || !table_size_ok(size0) || (size1 != 0 && !table_size_ok(size1)) ||
        (size1 == 0 && rehash != 0) || rehash > size0)
        return false;
    set_table *t = table_new(0);
    o->v.ptr = t;
    memcpy(t->d.seed, seed, sizeof seed);
    /* Table 1 is read second; while table 0 is read its size stays 0, so
     * lookups never reach an array that is not there yet. */
    t->d.size[0] = (size_t)size0;
    t->d.rehash_index = size1 != 0 ? (int64_t)rehash : -1;
    if (!load_buckets(t, r, 0)) return false;
    t->d.size[1] = (size_t)size1;
    if (size1 != 0 && !load_buckets(t, r, 1)) return false;
    return dict_size(&t->d) == count;
}

static bool set_load(kv_obj *o, kv_dump_reader *r)
{
    if (o->encoding == KV_ENC_INTSET) return load_intset(o, r);
    if (o->encoding == KV_ENC_HASHTABLE) return load_table(o, r);
    return false;
}

const kv_type_ops kv_set_ops = {
    .free_value = set_free_value,
    .value_bytes = set_value_bytes,
    .dump = set_dump,
    .load = set_load,
    .digest = set_digest,
    .length = set_length,
    .foreach = set_foreach,
};

/* ---- Command helpers --------------------------------------------------- */

/* Looks up argv[i]; replies WRONGTYPE and returns false if it holds another
 * type. *out is NULL for a missing key. Writes use kv_lookup_write, which
 * deletes an expired key first (as every replica does at the same entry). */
static bool lookup_set(cmd_ctx *c, size_t i, bool write, kv_obj **out)
{
    const cmd_arg *k = &c->argv[i];
    *out = write ? kv_lookup_write(c->ks, k->ptr, k->len, c->now_ms)
                 : kv_lookup_read(c->ks, k->ptr, k->len, c->now_ms);
    if (*out != NULL && (*out)->type != KV_SET) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

/* After removals: deletes the key if the set is empty, else stamps it. */
static void removed_from(cmd_ctx *c, kv_obj *o)
{
    if (set_size(o) == 0) kv_delete(c->ks, o->data, o->key_len);
    else kv_touch(c->ks, o, c->revision);
}

/* Stores a *STORE result under its key (result was made with that key):
 * replaces any value there, TTL included (Redis setKey), or deletes the key
 * when the result is empty. Replies with the result's size. */
static void store_result(cmd_ctx *c, kv_obj *result)
{
    kv_obj *old = kv_lookup_write(c->ks, result->data, result->key_len, c->now_ms);
    size_t n = set_size(result);
    if (n == 0) {
        if (old) kv_delete(c->ks, result->data, result->key_len);
        kv_obj_free(result);
        resp_int(c->w, 0);
        return;
    }
    result->revision = c->revision;
    if (old) {
        kv_persist(c->ks, old);
        kv_replace(c->ks, old, result);
    } else {
        kv_insert(c->ks, result);
    }
    resp_int(c->w, (int64_t)n);
}

/* The sets named by argv[first .. first+n), NULL for missing keys. On
 * WRONGTYPE replies, frees and returns NULL. */
static kv_obj **lookup_sets_or_reply(cmd_ctx *c, size_t first, size_t n, bool write)
{
    kv_obj **sets = mem_alloc(n * sizeof *sets);
    for (size_t j = 0; j < n; j++) {
        if (!lookup_set(c, first + j, write, &sets[j])) {
            mem_free(sets);
            return NULL;
        }
    }
    return sets;
}

/* Sorting sets by size (SINTER: smallest first; SDIFF's first algorithm:
 * largest first). Ties keep the argument order, so the result does not
 * depend on the C library's sort. */
typedef struct sized_set {
    kv_obj *o;
    size_t size;
    size_t index;
} sized_set;

static int cmp_ascending(const void *a, const void *b)
{
    const sized_set *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static int cmp_descending(const void *a, const void *b)
{
    const sized_set *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static void sort_sets(kv_obj **sets, size_t n, bool ascending)
{
    if (n < 2) return;
    sized_set *tmp = mem_alloc(n * sizeof *tmp);
    for (size_t j = 0; j < n; j++)
        tmp[j] = (sized_set){sets[j], sets[j] ? set_size(sets[j]) : 0, j};
    qsort(tmp, n, sizeof *tmp, ascending ? cmp_ascending : cmp_descending);
    for (size_t j = 0; j < n; j++) sets[j] = tmp[j].o;
    mem_free(tmp);
}

/* ---- SADD SREM SISMEMBER SMISMEMBER SCARD SMOVE ------------------------- */

void kvcmd_sadd(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_set(c, 1, true, &o)) return;
    set_env env = env_of(c);
    set_elem e;
    if (o == NULL) {
        /* Redis setTypeCreate: the first member decides the encoding. */
        elem_from_arg(&e, &c->argv[2]);
        o = set_new(c->argv[1].ptr, c->argv[1].len, e.is_int, &env);
        o->revision = c->revision;
        kv_insert(c->ks, o);
    }
    int64_t added = 0;
    for (size_t i = 2; i < c->argc; i++) {
        elem_from_arg(&e, &c->argv[i]);
        if (set_add(o, &e, &env)) added++;
    }
    if (added) kv_touch(c->ks, o, c->revision);
    resp_int(c->w, added);
}

void kvcmd_srem(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_set(c, 1, true, &o)) return;
    int64_t removed = 0;
    for (size_t i = 2; o != NULL && i < c->argc; i++) {
        set_elem e;
        elem_from_arg(&e, &c->argv[i]);
        if (!set_remove(o, &e)) continue;
        removed++;
        if (set_size(o) == 0) break;
    }
    if (removed) removed_from(c, o);
    resp_int(c->w, removed);
}

void kvcmd_sismember(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_set(c, 1, false, &o)) return;
    set_elem e;
    elem_from_arg(&e, &c->argv[2]);
    resp_int(c->w, o != NULL && set_has(o, &e));
}

void kvcmd_smismember(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_set(c, 1, false, &o)) return;
    resp_array(c->w, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        set_elem e;
        elem_from_arg(&e, &c->argv[i]);
        resp_int(c->w, o != NULL && set_has(o, &e));
    }
}

void kvcmd_scard(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_set(c, 1, false, &o)) return;
    resp_int(c->w, o ? (int64_t)set_size(o) : 0);
}

/* Redis smoveCommand: a missing source answers 0 before any type check;
 * the same key as source and destination only tests membership. The
 * destination is stamped even when it had the member already. */
void kvcmd_smove(cmd_ctx *c)
{
    const cmd_arg *dkey = &c->argv[2];
    kv_obj *src = kv_lookup_write(c->ks, c->argv[1].ptr, c->argv[1].len, c->now_ms);
    kv_obj *dst = kv_lookup_write(c->ks, dkey->ptr, dkey->len, c->now_ms);
    if (src == NULL) {
        resp_int(c->w, 0);
        return;
    }
    if (src->type != KV_SET || (dst != NULL && dst->type != KV_SET)) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return;
    }
    set_elem e;
    elem_from_arg(&e, &c->argv[3]);
    if (src == dst) {
        resp_int(c->w, set_has(src, &e));
        return;
    }
    if (!set_remove(src, &e)) {
        resp_int(c->w, 0);
        return;
    }
    removed_from(c, src);
    set_env env = env_of(c);
    if (dst == NULL) {
        dst = set_new(dkey->ptr, dkey->len, e.is_int, &env);
        dst->revision = c->revision;
        kv_insert(c->ks, dst);
    }
    set_add(dst, &e, &env);
    kv_touch(c->ks, dst, c->revision);
    resp_int(c->w, 1);
}

/* ---- SINTER SINTERCARD SINTERSTORE SMEMBERS ------------------------------- */

/* Whether e, a member of sets[0], is in every other set. */
static bool in_all_others(kv_obj *const *sets, size_t n, const set_elem *e)
{
    for (size_t j = 1; j < n; j++) {
        if (sets[j] == sets[0]) continue;
        if (!set_has(sets[j], e)) return false;
    }
    return true;
}

/* The reply for an intersection with a missing (empty) input. */
static void reply_empty_intersection(cmd_ctx *c, const cmd_arg *dst, bool card_only)
{
    if (dst != NULL) {
        if (kv_lookup_write(c->ks, dst->ptr, dst->len, c->now_ms))
            kv_delete(c->ks, dst->ptr, dst->len);
        resp_int(c->w, 0);
    } else if (card_only) {
        resp_int(c->w, 0);
    } else {
        resp_set(c->w, 0);
    }
}

/* Redis 7.0 sinterGenericCommand: every key is type-checked before a
 * missing one short-cuts to the empty result; the smallest set is walked
 * and each member tested against the others. With dst the result is
 * stored; with card_only only counted, up to limit (0: no limit). */
static void sinter_generic(cmd_ctx *c, size_t first, size_t n, const cmd_arg *dst,
                           bool card_only, uint64_t limit)
{
    kv_obj **sets = lookup_sets_or_reply(c, first, n, dst != NULL);
    if (sets == NULL) return;
    for (size_t j = 0; j < n; j++) {
        if (sets[j] == NULL) {
            mem_free(sets);
            reply_empty_intersection(c, dst, card_only);
            return;
        }
    }
    sort_sets(sets, n, true);
    set_env env = env_of(c);
    kv_obj *result = dst ? set_new(dst->ptr, dst->len, true, &env) : NULL;
    size_t mark = (dst == NULL && !card_only) ? resp_defer(c->w) : 0;
    uint64_t card = 0;
    set_iter si;
    set_elem e;
    set_iter_start(&si, sets[0]);
    while (set_iter_next(&si, &e)) {
        if (!in_all_others(sets, n, &e)) continue;
        if (result != NULL) {
            set_add(result, &e, &env);
            continue;
        }
        card++;
        if (card_only && limit != 0 && card >= limit) break;
        if (!card_only) resp_bulk(c->w, e.ptr, e.len);
    }
    set_iter_end(&si);
    mem_free(sets);
    if (card_only) resp_int(c->w, (int64_t)card);
    else if (result != NULL) store_result(c, result);
    else resp_defer_set(c->w, mark, card);
}

void kvcmd_sinter(cmd_ctx *c)
{
    sinter_generic(c, 1, c->argc - 1, NULL, false, 0);
}

/* Redis 7.0 implements SMEMBERS as SINTER of one key. */
void kvcmd_smembers(cmd_ctx *c)
{
    sinter_generic(c, 1, 1, NULL, false, 0);
}

void kvcmd_sinterstore(cmd_ctx *c)
{
    sinter_generic(c, 2, c->argc - 2, &c->argv[1], false, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit]: numkeys first (its own
 * message for any bad value), then the count of keys, then the options,
 * the last LIMIT winning. */
void kvcmd_sintercard(cmd_ctx *c)
{
    int64_t numkeys;
    if (!str_to_i64(c->argv[1].ptr, c->argv[1].len, &numkeys) || numkeys < 1) {
        cmd_error(c, "ERR numkeys should be greater than 0");
        return;
    }
    if ((uint64_t)numkeys > c->argc - 2) {
        cmd_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    int64_t limit = 0;
    for (size_t j = 2 + (size_t)numkeys; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "limit") && j + 1 < c->argc) {
            j++;
            if (!str_to_i64(c->argv[j].ptr, c->argv[j].len, &limit) || limit < 0) {
                cmd_error(c, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
    }
    sinter_generic(c, 2, (size_t)numkeys, NULL, true, (uint64_t)limit);
}

/* ---- SUNION SDIFF and their STORE forms ---------------------------------- */

enum set_op { SET_OP_UNION, SET_OP_DIFF };

static void union_into(kv_obj *result, kv_obj *const *sets, size_t n, const set_env *env)
{
    for (size_t j = 0; j < n; j++) {
        if (sets[j] == NULL) continue; /* a missing key is an empty set */
        set_iter si;
        set_elem e;
        set_iter_start(&si, sets[j]);
        while (set_iter_next(&si, &e)) set_add(result, &e, env);
        set_iter_end(&si);
    }
}

/* Redis's first DIFF algorithm: each member of the first set, unless
 * another set has it. */
static void diff_by_lookup(kv_obj *result, kv_obj *const *sets, size_t n,
                           const set_env *env)
{
    set_iter si;
    set_elem e;
    set_iter_start(&si, sets[0]);
    while (set_iter_next(&si, &e)) {
        size_t j = 1;
        while (j < n && (sets[j] == NULL || !set_has(sets[j], &e))) j++;
        if (j == n) set_add(result, &e, env);
    }
    set_iter_end(&si);
}

/* Redis's second DIFF algorithm: add the whole first set, then remove the
 * others' members. The result keeps the encoding the first set needed. */
static void diff_by_removal(kv_obj *result, kv_obj *const *sets, size_t n,
                            const set_env *env)
{
    for (size_t j = 0; j < n; j++) {
        if (sets[j] == NULL) continue;
        set_iter si;
        set_elem e;
        set_iter_start(&si, sets[j]);
        while (set_iter_next(&si, &e)) {
            if (j == 0) set_add(result, &e, env);
            else set_remove(result, &e);
        }
        set_iter_end(&si);
        if (set_size(result) == 0) break;
    }
}

/* Redis's choice: the first algorithm costs |first| per set, the second
 * the sum of the sizes; the first gets a factor 2 head start. With the
 * first, the sets to subtract are sorted largest first. */
static bool diff_prefers_lookup(kv_obj **sets, size_t n)
{
    uint64_t one = 0, two = 0;
    for (size_t j = 0; j < n; j++) {
        if (sets[j] == NULL) continue;
        one += set_size(sets[0]);
        two += set_size(sets[j]);
    }
    if (one / 2 > two) return false;
    sort_sets(sets + 1, n - 1, false);
    return true;
}

/* Redis 7.0 sunionDiffGenericCommand's computation: a new set object named
 * key (empty for a reply), built from an empty intset by adding. */
static kv_obj *union_diff(kv_obj **sets, size_t n, enum set_op op, const set_env *env,
                          const char *key, size_t key_len)
{
    bool sameset = false;
    for (size_t j = 1; j < n; j++)
        if (sets[j] != NULL && sets[j] == sets[0]) sameset = true;
    kv_obj *result = set_new(key, key_len, true, env);
    if (op == SET_OP_UNION) {
        union_into(result, sets, n, env);
    } else if (sets[0] != NULL && !sameset) {
        /* A set minus itself is empty: nothing to do when sameset. */
        if (diff_prefers_lookup(sets, n)) diff_by_lookup(result, sets, n, env);
        else diff_by_removal(result, sets, n, env);
    }
    return result;
}

static void sunion_diff_command(cmd_ctx *c, size_t first, const cmd_arg *dst,
                                enum set_op op)
{
    size_t n = c->argc - first;
    kv_obj **sets = lookup_sets_or_reply(c, first, n, dst != NULL);
    if (sets == NULL) return;
    set_env env = env_of(c);
    kv_obj *result =
        union_diff(sets, n, op, &env, dst ? dst->ptr : "", dst ? dst->len : 0);
    mem_free(sets);
    if (dst != NULL) {
        store_result(c, result);
        return;
    }
    reply_members(c, result, true);
    kv_obj_free(result);
}

void kvcmd_sunion(cmd_ctx *c)
{
    sunion_diff_command(c, 1, NULL, SET_OP_UNION);
}

void kvcmd_sdiff(cmd_ctx *c)
{
    sunion_diff_command(c, 1, NULL, SET_OP_DIFF);
}

void kvcmd_sunionstore(cmd_ctx *c)
{
    sunion_diff_command(c, 2, &c->argv[1], SET_OP_UNION);
}

void kvcmd_sdiffstore(cmd_ctx *c)
{
    sunion_diff_command(c, 2, &c->argv[1], SET_OP_DIFF);
}

/* ---- SPOP SRANDMEMBER ---------------------------------------------------- */

static void spop_one(cmd_ctx *c, kv_obj *o, rng *r)
{
    set_elem e;
    set_random(o, r, &e);
    /* Reply first: for a hashtable e points into the node removed next. */
    resp_bulk(c->w, e.ptr, e.len);
    set_remove(o, &e);
}

/* SPOP's third case: the members that stay are drawn into a new set, which
 * replaces the value (created as Redis's setTypeCreate would for the first
 * member drawn); what is left of the old one is the reply. */
static void spop_by_keeping(cmd_ctx *c, kv_obj *o, rng *r, size_t remaining)
{
    set_env env = env_of(c);
    kv_obj *keep = NULL;
    while (remaining-- > 0) {
        set_elem e;
        set_random(o, r, &e);
        if (keep == NULL) keep = set_new("", 0, e.is_int, &env);
        set_add(keep, &e, &env); /* copies the member before it goes */
        set_remove(o, &e);
    }
    reply_members(c, o, true);
    set_free_value(o);
    o->encoding = keep->encoding;
    o->v.ptr = keep->v.ptr;
    keep->v.ptr = NULL;
    kv_obj_free(keep);
}

/* Redis spopWithCountCommand: the count is checked before the key; a count
 * at least the size pops everything (the reply built as SUNION would build
 * it), a small one pops at random, a large one keeps at random. */
static void spop_with_count(cmd_ctx *c)
{
    int64_t count;
    if (!str_to_i64(c->argv[2].ptr, c->argv[2].len, &count) || count < 0) {
        cmd_error(c, "ERR value is out of range, must be positive");
        return;
    }
    kv_obj *o;
    if (!lookup_set(c, 1, true, &o)) return;
    if (o == NULL || count == 0) {
        resp_set(c->w, 0);
        return;
    }
    size_t size = set_size(o);
    if ((uint64_t)count >= size) {
        set_env env = env_of(c);
        kv_obj *all = union_diff(&o, 1, SET_OP_UNION, &env, "", 0);
        reply_members(c, all, true);
        kv_obj_free(all);
        kv_delete(c->ks, o->data, o->key_len);
        return;
    }
    rng r;
    rng_seed(&r, c->rand_seed);
    size_t remaining = size - (size_t)count;
    if (remaining * SPOP_MOVE_STRATEGY_MUL > (size_t)count) {
        resp_set(c->w, (size_t)count);
        for (int64_t i = 0; i < count; i++) spop_one(c, o, &r);
    } else {
        spop_by_keeping(c, o, &r, remaining);
    }
    kv_touch(c->ks, o, c->revision);
}

void kvcmd_spop(cmd_ctx *c)
{
    if (c->argc == 3) {
        spop_with_count(c);
        return;
    }
    if (c->argc > 3) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    kv_obj *o;
    if (!lookup_set(c, 1, true, &o)) return;
    if (o == NULL) {
        resp_null(c->w);
        return;
    }
    rng r;
    rng_seed(&r, c->rand_seed);
    spop_one(c, o, &r);
    removed_from(c, o);
}

/* SRANDMEMBER's third and fourth cases build the answer in a scratch
 * hashtable: a copy of the set thinned at random down to count, or count
 * distinct random picks. The reply is in the scratch table's order. */
static void srandmember_distinct(cmd_ctx *c, const kv_obj *o, rng *r, size_t count)
{
    set_env env = env_of(c);
    kv_obj *pick = set_new("", 0, false, &env);
    set_elem e;
    if (count * SRANDMEMBER_SUB_STRATEGY_MUL > set_size(o)) {
        set_iter si;
        set_iter_start(&si, o);
        while (set_iter_next(&si, &e)) set_add(pick, &e, &env);
        set_iter_end(&si);
        while (set_size(pick) > count) {
            set_random(pick, r, &e);
            set_remove(pick, &e);
        }
    } else {
        while (set_size(pick) < count) {
            set_random(o, r, &e);
            set_add(pick, &e, &env);
        }
    }
    reply_members(c, pick, false);
    kv_obj_free(pick);
}

/* Redis 7.0 srandmemberWithCountCommand: a negative count may repeat
 * members (and with a count of 1, order is all there is to randomize);
 * replies are arrays, also in RESP3. */
static void srandmember_with_count(cmd_ctx *c)
{
    int64_t l;
    if (!cmd_arg_i64_or_reply(c, 2, &l, NULL)) return;
    if (l == INT64_MIN) {
        cmd_error(c, "ERR value is out of range, value must between -9223372036854775807 "
                     "and 9223372036854775807");
        return;
    }
    bool uniq = l >= 0;
    size_t count = (size_t)(l < 0 ? -l : l);
    kv_obj *o;
    if (!lookup_set(c, 1, false, &o)) return;
    if (o == NULL || count == 0) {
        resp_array(c->w, 0);
        return;
    }
    rng r;
    rng_seed(&r, c->rand_seed);
    if (!uniq || count == 1) {
        if (l < -SET_RANDOM_REPLY_COUNT_MAX) {
            cmd_errorf(c, "ERR value is out of range, value must between %lld and "
                          "9223372036854775807", -SET_RANDOM_REPLY_COUNT_MAX);
            return;
        }
        resp_array(c->w, count);
        set_elem e;
        for (size_t i = 0; i < count; i++) {
            set_random(o, &r, &e);
            resp_bulk(c->w, e.ptr, e.len);
        }
    } else if (count >= set_size(o)) {
        reply_members(c, o, false);
    } else {
        srandmember_distinct(c, o, &r, count);
    }
}

void kvcmd_srandmember(cmd_ctx *c)
{
    if (c->argc == 3) {
        srandmember_with_count(c);
        return;
    }
    if (c->argc > 3) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    kv_obj *o;
    if (!lookup_set(c, 1, false, &o)) return;
    if (o == NULL) {
        resp_null(c->w);
        return;
    }
    rng r;
    rng_seed(&r, c->rand_seed);
    set_elem e;
    set_random(o, &r, &e);
    resp_bulk(c->w, e.ptr, e.len);
}

/* ---- SSCAN ---------------------------------------------------------------- */

/* Redis sscanCommand: the cursor is checked first, a missing key answers an
 * empty scan before the options are; an intset is returned whole with
 * cursor 0; a hashtable is walked bucket by bucket until COUNT members were
 * seen or 10 x COUNT buckets visited. MATCH filters what was seen. */
void kvcmd_sscan(cmd_ctx *c)
{
    uint64_t cursor;
    if (!kv_scan_cursor_or_reply(c, 2, &cursor)) return;
    kv_obj *o;
    kv_scan_opts opts;
    if (!lookup_set(c, 1, false, &o)) return;
    if (o == NULL) {
        resp_array(c->w, 2);
        resp_bulk(c->w, "0", 1);
        resp_array(c->w, 0);
        return;
    }
    if (!kv_scan_options_or_reply(c, 3, &opts)) return;
    kv_scan_batch b = {NULL, 0, 0};
    if (!is_intset(o)) {
        const dict *d = &((const set_table *)o->v.ptr)->d;
        cursor = kv_scan_dict(d, cursor, (uint64_t)opts.count, 1, &b);
    } else {
        cursor = 0;
    }
    resp_array(c->w, 2);
    char digits[24];
    resp_bulk(c->w, digits, fmt_u64(digits, cursor));
    size_t mark = resp_defer(c->w);
    size_t n = 0;
    set_elem e;
    for (uint32_t i = 0; is_intset(o) && i < intset_len(o->v.ptr); i++) {
        elem_from_int(&e, intset_get(o->v.ptr, i));
        if (!kv_scan_match(&opts, e.ptr, e.len)) continue;
        resp_bulk(c->w, e.ptr, e.len);
        n++;
    }
    for (size_t i = 0; i < b.count; i++) {
        size_t len;
        const char *p = member_bytes((const set_member *)b.found[i], &len);
        if (!kv_scan_match(&opts, p, len)) continue;
        resp_bulk(c->w, p, len);
        n++;
    }
    resp_defer_array(c->w, mark, n);
    kv_scan_batch_free(&b);
}
