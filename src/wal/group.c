/* wal/group.c - per-group state: the index of the log (index -> segment,
 * offset, term), the cache of recent payloads, hard state and the pins that
 * keep old segments alive.
 *
 * The apply functions are the single definition of what a record does to a
 * group. The API calls them when it queues a record and recovery calls them
 * when it replays one, so the state rebuilt from disk is the state the
 * writer had, by construction. */
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "wal/wal_int.h"

static const char *group_key(const dict_node *node, size_t *len)
{
    const wal_group *g = (const wal_group *)node;
    *len = sizeof g->key;
    return (const char *)g->key;
}

static const dict_type group_dict_type = {group_key};

void wal_groups_init(wal *w)
{
    /* The seed only spreads group ids over buckets; any constant works. */
    dict_init(&w->groups, &group_dict_type, 0x77616c67726f7570ull);
}

static void group_free(wal *w, wal_group *g)
{
    if (g->log_known) {
        for (raft_index i = g->first; i <= g->last; i++) {
            wal_ent *e = wal_group_ent(g, i);
            if (e->data != NULL) mem_free(e->data);
        }
    }
    w->cache_bytes -= g->cache_bytes;
    mem_free(g->ents);
    mem_free(g->snaps);
    mem_free(g);
}

void wal_groups_free(wal *w)
{
    dict_iter it;
    dict_iter_start(&it, &w->groups);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL)
        group_free(w, (wal_group *)n);
    dict_iter_end(&it);
    dict_free(&w->groups);
    w->group_count = 0;
}

wal_group *wal_group_find(const wal *w, uint64_t id)
{
    uint8_t key[8];
    wal_put_u64(key, id);
    return (wal_group *)dict_find(&w->groups, key, sizeof key);
}

int wal_group_get(wal *w, uint64_t id, wal_group **out)
{
    wal_group *g = wal_group_find(w, id);
    if (g == NULL) {
        if (w->group_count >= w->opts.groups_max) return POLIS_ELIMIT;
        g = mem_calloc(1, sizeof *g);
        g->id = id;
        wal_put_u64(g->key, id);
        g->first = 1;
        g->last = 0;
        g->cache_scan = 1;
        dict_add(&w->groups, &g->node);
        w->group_count++;
    }
    *out = g;
    return 0;
}

void wal_group_remove(wal *w, wal_group *g)
{
    dict_node *n = dict_remove(&w->groups, g->key, sizeof g->key);
    PASSERT(n == &g->node);
    w->group_count--;
    group_free(w, g);
}

wal_ent *wal_group_ent(const wal_group *g, raft_index index)
{
    PASSERT(index >= g->first && index <= g->last);
    return &g->ents[(g->head + (size_t)(index - g->first)) & (g->ents_cap - 1)];
}

uint64_t wal_group_pin(const wal_group *g)
{
    uint64_t pin = UINT64_MAX;
    if (g->log_known && g->last >= g->first) pin = wal_group_ent(g, g->first)->seg;
    if (g->has_hs && g->hs_seg < pin) pin = g->hs_seg;
    if (g->compact_seg != 0 && g->compact_seg < pin) pin = g->compact_seg;
    return pin;
}

raft_index wal_group_durable_index(const wal *w, const wal_group *g)
{
    raft_index i = g->last;
    while (g->log_known && i >= g->first &&
           wal_group_ent(g, i)->flush_seq > w->flush_done_seq)
        i--;
    return i;
}

/* ---- The entry ring -------------------------------------------------------------- */

static size_t ent_count(const wal_group *g)
{
    return g->log_known ? (size_t)(g->last + 1 - g->first) : 0;
}

static void ents_grow(wal_group *g)
{
    size_t count = ent_count(g);
    size_t cap = g->ents_cap ? g->ents_cap * 2 : 16;
    wal_ent *ents = mem_alloc(cap * sizeof *ents);
    for (size_t i = 0; i < count; i++)
        ents[i] = g->ents[(g->head + i) & (g->ents_cap - 1)];
    mem_free(g->ents);
    g->ents = ents;
    g->ents_cap = cap;
    g->head = 0;
}

/* Returns memory when a long log was compacted down to a short one. */
static void ents_maybe_shrink(wal_group *g)
{
    size_t count = ent_count(g);
    if (g->ents_cap <= 64 || count * 8 > g->ents_cap) return;
    size_t cap = g->ents_cap;
    while (cap > 16 && count * 4 <= cap / 2)
        cap /= 2;
    wal_ent *ents = mem_alloc(cap * sizeof *ents);
    for (size_t i = 0; i < count; i++)
        ents[i] = g->ents[(g->head + i) & (g->ents_cap - 1)];
    mem_free(g->ents);
    g->ents = ents;
    g->ents_cap = cap;
    g->head = 0;
}

static void ent_uncache(wal *w, wal_group *g, wal_ent *e)
{
    if (!e->cached) return;
    if (e->data != NULL) mem_free(e->data);
    e->data = NULL;
    e->cached = false;
    g->cache_bytes -= e->len;
    w->cache_bytes -= e->len;
}

void wal_group_log_reset(wal *w, wal_group *g, raft_index first, raft_term prev_term)
{
    for (raft_index i = g->first; g->log_known && i <= g->last; i++)
        ent_uncache(w, g, wal_group_ent(g, i));
    g->log_known = true;
    g->first = first;
    g->last = first - 1;
    g->prev_term = prev_term;
    g->head = 0;
    g->cache_scan = first;
    ents_maybe_shrink(g);
}

int wal_group_apply_entry(wal *w, wal_group *g, const raft_entry *e, uint32_t seg,
                          uint32_t off, uint64_t flush_seq, bool cache)
{
    if (!g->log_known) wal_group_log_reset(w, g, e->index, 0);
    if (e->index != g->last + 1) return POLIS_ECORRUPT;
    if (ent_count(g) == g->ents_cap) ents_grow(g);
    g->last++;
    wal_ent *x = wal_group_ent(g, g->last);
    *x = (wal_ent){.term = e->term,
                   .flush_seq = flush_seq,
                   .data = NULL,
                   .seg = seg,
                   .off = off,
                   .len = e->len,
                   .type = e->type,
                   .cached = false};
    bool room = w->opts.cache_bytes_per_group > 0 &&
                w->cache_bytes + e->len <= w->opts.cache_bytes_max;
    if (cache && room) {
        if (e->len > 0) {
            x->data = mem_alloc(e->len);
            memcpy(x->data, e->data, e->len);
        }
        x->cached = true;
        g->cache_bytes += e->len;
        w->cache_bytes += e->len;
        wal_group_cache_trim(w, g);
    }
    return 0;
}

void wal_group_apply_truncate(wal *w, wal_group *g, raft_index from)
{
    if (!g->log_known || from < g->first) {
        /* Only in replay: the truncated entries were in segments deleted
         * since (a compaction passed them), so the log restarts here. */
        wal_group_log_reset(w, g, from, 0);
        return;
    }
    while (g->last >= from) {
        ent_uncache(w, g, wal_group_ent(g, g->last));
        g->last--;
    }
    if (g->cache_scan > g->last + 1) g->cache_scan = g->last + 1;
}

void wal_group_apply_compact(wal *w, wal_group *g, raft_index first, raft_term prev_term,
                             uint32_t seg)
{
    g->compact_seg = seg;
    if (!g->log_known || first > g->last + 1) {
        wal_group_log_reset(w, g, first, prev_term);
        return;
    }
    if (first < g->first) return; /* stale: already compacted further */
    while (g->first < first) {
        ent_uncache(w, g, wal_group_ent(g, g->first));
        g->head = (g->head + 1) & (g->ents_cap - 1);
        g->first++;
    }
    g->prev_term = prev_term;
    if (g->cache_scan < g->first) g->cache_scan = g->first;
    ents_maybe_shrink(g);
}

void wal_group_cache_trim(wal *w, wal_group *g)
{
    while (g->cache_bytes > w->opts.cache_bytes_per_group && g->cache_scan <= g->last) {
        if (g->cache_scan >= g->first) ent_uncache(w, g, wal_group_ent(g, g->cache_scan));
        g->cache_scan++;
    }
}
