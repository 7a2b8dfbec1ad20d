/* base/dict.h - an intrusive chained hash table with incremental rehashing.
 *
 * Nodes are embedded in the caller's objects (the first field of a kv
 * object is its dict_node), so a key costs one pointer in its bucket and no
 * separate entry allocation. The table never owns nodes: removing a node
 * returns it to the caller, who frees it.
 *
 * Rehashing is incremental (as Redis's dict): when the table grows or
 * shrinks, a second table is allocated and each *mutation* moves a few
 * buckets. Reads never rehash. This is deliberate: the table's layout is then
 * a function of the sequence of mutations alone, so replicas that apply the
 * same log have identical layouts and random choices by bucket (SPOP,
 * RANDOMKEY driven by a replicated seed) agree. The hash seed is given at
 * creation for the same reason.
 *
 * Lookups compare keys through dict_type.key(), which returns a node's key
 * bytes. Owns: its bucket arrays. Must never: allocate or free nodes. */
#ifndef POLIS_BASE_DICT_H
#define POLIS_BASE_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

typedef struct dict_node {
    struct dict_node *next;
} dict_node;

typedef struct dict_type {
    /* Returns the key bytes of a node and stores its length. */
    const char *(*key)(const dict_node *node, size_t *len);
} dict_type;

typedef struct dict {
    const dict_type *type;
    dict_node **table[2];
    size_t size[2];        /* bucket count, a power of two, or 0 */
    size_t used[2];        /* nodes in each table */
    int64_t rehash_index;  /* next bucket of table[0] to move; -1 if idle */
    uint32_t pause_rehash; /* > 0 while an iterator may be deleting nodes */
    uint8_t seed[16];
} dict;

typedef struct dict_iter {
    dict *d;
    int table;
    size_t bucket;
    dict_node *next;
} dict_iter;

void dict_init(dict *d, const dict_type *type, uint64_t seed);
/* Frees the bucket arrays only; the caller frees nodes first (dict_iter). */
void dict_free(dict *d);
static inline size_t dict_size(const dict *d)
{
    return d->used[0] + d->used[1];
}
static inline bool dict_is_rehashing(const dict *d)
{
    return d->rehash_index != -1;
}
uint64_t dict_hash(const dict *d, const void *key, size_t len);

dict_node *dict_find(const dict *d, const void *key, size_t len);
dict_node *dict_find_h(const dict *d, const void *key, size_t len, uint64_t hash);
/* Returns the link that points at the node with this key (so the caller can
 * swap in a moved node with dict_relink), or NULL if absent. */
dict_node **dict_find_link(dict *d, const void *key, size_t len);
/* Replaces the node *link points at by `node` (same key, e.g. after realloc). */
void dict_relink(dict_node **link, dict_node *node);

/* Adds a node whose key is not present (the caller checked). */
void dict_add(dict *d, dict_node *node);
void dict_add_h(dict *d, dict_node *node, uint64_t hash);
/* Unlinks and returns the node with this key, or NULL. */
dict_node *dict_remove(dict *d, const void *key, size_t len);

/* A random node, or NULL if empty: a random non-empty bucket, then a random
 * node of its chain (as Redis dictGetRandomKey). */
dict_node *dict_random(const dict *d, rng *r);

/* Reverse-binary cursor scan (Redis dictScan): every node present for the
 * whole scan is visited at least once, even across resizes. Calls fn for the
 * nodes of one bucket (of each table) and returns the next cursor, 0 when
 * done. fn must not modify the table. */
typedef void dict_scan_fn(void *priv, dict_node *node);
uint64_t dict_scan(const dict *d, uint64_t cursor, dict_scan_fn *fn, void *priv);

/* Iteration over all nodes. The node returned last may be removed (and
 * freed) by the caller before the next call; no other mutation is allowed
 * until dict_iter_end(). */
void dict_iter_start(dict_iter *it, dict *d);
dict_node *dict_iter_next(dict_iter *it);
void dict_iter_end(dict_iter *it);

/* Performs up to n rehash steps (for tests and deterministic maintenance). */
void dict_rehash(dict *d, size_t n);
/* Removes every node from the table without touching them. */
void dict_clear(dict *d);

#endif
