/* kv/keys.c - commands on keys of any type: DEL, EXISTS, TYPE, RENAME,
 * KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB, OBJECT, TOUCH. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/util.h"
#include "kv/cmds.h"
#include "kv/evict.h"
#include "kv/scan.h"

void kvcmd_del(cmd_ctx *c)
{
    int64_t deleted = 0;
    for (size_t i = 1; i < c->argc; i++) {
        /* A key that has expired is deleted silently and not counted. */
        if (kv_lookup_write(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms) &&
            kv_delete(c->ks, c->argv[i].ptr, c->argv[i].len))
            deleted++;
    }
    resp_int(c->w, deleted);
}

void kvcmd_exists(cmd_ctx *c)
{
    int64_t count = 0;
    for (size_t i = 1; i < c->argc; i++)
        if (kv_lookup_notouch(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms)) count++;
    resp_int(c->w, count);
}

/* TOUCH counts existing keys; access clocks are leader-local (eviction). */
void kvcmd_touch(cmd_ctx *c)
{
    kvcmd_exists(c);
}

void kvcmd_type(cmd_ctx *c)
{
    kv_obj *o = kv_lookup_notouch(c->ks, c->argv[1].ptr, c->argv[1].len, c->now_ms);
    resp_simple_cstr(c->w, o ? kv_type_name(o->type) : "none");
}

static void rename_generic(cmd_ctx *c, bool nx)
{
    const cmd_arg *src = &c->argv[1], *dst = &c->argv[2];
    bool same = src->len == dst->len && memcmp(src->ptr, dst->ptr, src->len) == 0;
    kv_obj *o = kv_lookup_write(c->ks, src->ptr, src->len, c->now_ms);
    if (o == NULL) {
        cmd_error(c, CMD_ERR_NO_SUCH_KEY);
        return;
    }
    if (same) {
        if (nx)
            resp_int(c->w, 0);
        else
            resp_ok(c->w);
        return;
    }
    if (kv_lookup_write(c->ks, dst->ptr, dst->len, c->now_ms)) {
        if (nx) {
            resp_int(c->w, 0);
            return;
        }
        kv_delete(c->ks, dst->ptr, dst->len);
    }
    o = kv_rename(c->ks, o, dst->ptr, dst->len);
    kv_touch(c->ks, o, c->revision);
    if (nx)
        resp_int(c->w, 1);
    else
        resp_ok(c->w);
}

void kvcmd_rename(cmd_ctx *c)
{
    rename_generic(c, false);
}

void kvcmd_renamenx(cmd_ctx *c)
{
    rename_generic(c, true);
}

void kvcmd_keys(cmd_ctx *c)
{
    const cmd_arg *pat = &c->argv[1];
    bool all = pat->len == 1 && pat->ptr[0] == '*';
    size_t mark = resp_defer(c->w);
    size_t n = 0;
    kv_iter it;
    kv_iter_start(&it, c->ks);
    kv_obj *o;
    while ((o = kv_iter_next(&it)) != NULL) {
        if (kv_obj_expired(c->ks, o, c->now_ms)) continue;
        if (!all && !glob_match(pat->ptr, pat->len, o->data, o->key_len, false)) continue;
        resp_bulk(c->w, o->data, o->key_len);
        n++;
    }
    kv_iter_end(&it);
    resp_defer_array(c->w, mark, n);
}

typedef struct scan_state {
    cmd_ctx *c;
    const cmd_arg *pattern; /* NULL: no filter */
    const cmd_arg *type;    /* NULL: no filter */
    kv_obj **found;
    size_t count;
    size_t cap;
} scan_state;

static void scan_collect(void *priv, dict_node *node)
{
    scan_state *st = priv;
    kv_obj *o = (kv_obj *)node;
    if (st->count == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->found = mem_realloc(st->found, st->cap * sizeof *st->found);
    }
    st->found[st->count++] = o;
}

void kvcmd_scan(cmd_ctx *c)
{
    uint64_t cursor;
    if (!kv_scan_cursor_or_reply(c, 1, &cursor)) return;
    int64_t count = 10;
    scan_state st = {c, NULL, NULL, NULL, 0, 0};
    for (size_t i = 2; i < c->argc;) {
        size_t left = c->argc - i;
        if (cmd_arg_is(c, i, "count") && left >= 2) {
            if (!cmd_arg_i64_or_reply(c, i + 1, &count, NULL)) return;
            if (count < 1) {
                cmd_error(c, CMD_ERR_SYNTAX);
                return;
            }
            i += 2;
        } else if (cmd_arg_is(c, i, "match") && left >= 2) {
            const cmd_arg *p = &c->argv[i + 1];
            st.pattern = (p->len == 1 && p->ptr[0] == '*') ? NULL : p;
            i += 2;
        } else if (cmd_arg_is(c, i, "type") && left >= 2) {
            st.type = &c->argv[i + 1];
            i += 2;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
    }
    /* As Redis: visit buckets until `count` keys are collected or 10x count
     * buckets were visited, so a sparse table cannot stall the server. */
    uint64_t budget = (uint64_t)count * 10;
    do {
        cursor = kv_scan_keys(c->ks, cursor, scan_collect, &st);
    } while (cursor != 0 && budget-- > 0 && st.count < (size_t)count);

    resp_array(c->w, 2);
    char digits[24];
    resp_bulk(c->w, digits, fmt_u64(digits, cursor));
    size_t mark = resp_defer(c->w);
    size_t n = 0;
    for (size_t i = 0; i < st.count; i++) {
        kv_obj *o = st.found[i];
        if (st.pattern &&
            !glob_match(st.pattern->ptr, st.pattern->len, o->data, o->key_len, false))
            continue;
        if (kv_obj_expired(c->ks, o, c->now_ms)) continue;
        if (st.type && !str_eq_nocase(st.type->ptr, st.type->len, kv_type_name(o->type)))
            continue;
        resp_bulk(c->w, o->data, o->key_len);
        n++;
    }
    resp_defer_array(c->w, mark, n);
    mem_free(st.found);
}

void kvcmd_randomkey(cmd_ctx *c)
{
    rng r;
    rng_seed(&r, c->rand_seed);
    /* Expired keys read as absent: retry a few random picks, then fall back
     * to a walk so a keyspace of mostly expired keys still answers right. */
    for (int tries = 0; tries < 100; tries++) {
        kv_obj *o = kv_random_key(c->ks, &r);
        if (o == NULL) break;
        if (!kv_obj_expired(c->ks, o, c->now_ms)) {
            resp_bulk(c->w, o->data, o->key_len);
            return;
        }
    }
    kv_iter it;
    kv_iter_start(&it, c->ks);
    kv_obj *o, *live = NULL;
    while ((o = kv_iter_next(&it)) != NULL) {
        if (!kv_obj_expired(c->ks, o, c->now_ms)) {
            live = o;
            break;
        }
    }
    kv_iter_end(&it);
    if (live)
        resp_bulk(c->w, live->data, live->key_len);
    else
        resp_null(c->w);
}

/* CLUSTER COUNTKEYSINSLOT slot: the keys held in the slot (as Redis, keys
 * past their expiry that are not deleted yet count). */
void kvcmd_cluster_countkeysinslot(cmd_ctx *c)
{
    int64_t slot;
    if (!cmd_arg_i64_or_reply(c, 2, &slot, NULL)) return;
    if (slot < 0 || slot >= (int64_t)CLUSTER_SLOTS) {
        cmd_error(c, "ERR Invalid slot");
        return;
    }
    resp_int(c->w, (int64_t)kv_slot_size(c->ks, (uint16_t)slot));
}

/* CLUSTER GETKEYSINSLOT slot count: up to `count` keys of the slot. */
void kvcmd_cluster_getkeysinslot(cmd_ctx *c)
{
    int64_t slot, max;
    if (!cmd_arg_i64_or_reply(c, 3, &max, NULL)) return;
    if (!cmd_arg_i64_or_reply(c, 2, &slot, NULL)) return;
    if (slot < 0 || slot >= (int64_t)CLUSTER_SLOTS || max < 0) {
        cmd_error(c, "ERR Invalid slot or number of keys");
        return;
    }
    size_t n = kv_slot_size(c->ks, (uint16_t)slot);
    if ((uint64_t)max < n) n = (size_t)max;
    resp_array(c->w, n);
    kv_iter it;
    kv_iter_slot_start(&it, c->ks, (uint16_t)slot);
    kv_obj *o;
    for (size_t i = 0; i < n && (o = kv_iter_next(&it)) != NULL; i++)
        resp_bulk(c->w, o->data, o->key_len);
    kv_iter_end(&it);
}

void kvcmd_dbsize(cmd_ctx *c)
{
    resp_int(c->w, (int64_t)kv_size(c->ks));
}

void kvcmd_flushdb(cmd_ctx *c)
{
    if (c->argc > 2 ||
        (c->argc == 2 && !cmd_arg_is(c, 1, "sync") && !cmd_arg_is(c, 1, "async"))) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    kv_flush(c->ks);
    resp_ok(c->w);
}

static kv_obj *object_lookup(cmd_ctx *c)
{
    kv_obj *o = kv_lookup_notouch(c->ks, c->argv[2].ptr, c->argv[2].len, c->now_ms);
    if (o == NULL) resp_null(c->w);
    return o;
}

void kvcmd_object_encoding(cmd_ctx *c)
{
    kv_obj *o = object_lookup(c);
    if (o) resp_bulk_cstr(c->w, kv_encoding_name(o));
}

void kvcmd_object_refcount(cmd_ctx *c)
{
    /* Objects are never shared in polis. */
    if (object_lookup(c)) resp_int(c->w, 1);
}

/* Access clocks are this node's own bookkeeping (kv/evict.h): on a cluster
 * follower they show only the reads it served. */
void kvcmd_object_idletime(cmd_ctx *c)
{
    kv_obj *o = object_lookup(c);
    if (o == NULL) return;
    if (c->ks->access.lfu) {
        cmd_error(c,
                  "ERR An LFU maxmemory policy is selected, idle time not tracked. "
                  "Please note that when switching between policies at runtime LRU and "
                  "LFU data will take some time to adjust.");
        return;
    }
    resp_int(c->w, kv_idle_seconds(o, c->now_ms));
}

void kvcmd_object_freq(cmd_ctx *c)
{
    kv_obj *o = object_lookup(c);
    if (o == NULL) return;
    if (!c->ks->access.lfu) {
        cmd_error(c, "ERR An LFU maxmemory policy is not selected, access frequency "
                     "not tracked. Please note that when switching between policies at "
                     "runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    resp_int(c->w, kv_lfu_frequency(c->ks, o, c->now_ms));
}

/* MEMORY USAGE key [SAMPLES count]: the bytes the key and its value hold
 * (exact: SAMPLES is accepted and not needed), plus its share of the
 * keyspace's table (one bucket pointer). */
void kvcmd_memory_usage(cmd_ctx *c)
{
    for (size_t j = 3; j < c->argc; j += 2) {
        int64_t samples;
        if (!cmd_arg_is(c, j, "samples") || j + 1 >= c->argc) {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
        if (!cmd_arg_i64_or_reply(c, j + 1, &samples, NULL)) return;
        if (samples < 0) {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
    }
    kv_obj *o = kv_lookup_notouch(c->ks, c->argv[2].ptr, c->argv[2].len, c->now_ms);
    if (o == NULL) {
        resp_null(c->w);
        return;
    }
    resp_int(c->w, (int64_t)(kv_obj_bytes(o) + sizeof(void *)));
}

/* DIGEST: a hex digest of the live keyspace (kv_digest). Replicas that
 * agree report the same value, whatever their table layout; with READONLY
 * it reads the local replica, which is how tests compare replicas. */
void kvcmd_digest(cmd_ctx *c)
{
    char hex[17];
    uint64_t d = kv_digest(c->ks, c->now_ms);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        hex[15 - i] = digits[(d >> (4 * i)) & 15];
    hex[16] = '\0';
    resp_bulk(c->w, hex, 16);
}
