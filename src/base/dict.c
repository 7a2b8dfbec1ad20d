#include "base/dict.h"

#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/siphash.h"

#define DICT_INITIAL_SIZE 4
/* Each mutation moves one bucket, visiting at most this many empty ones. */
#define DICT_REHASH_EMPTY_VISITS 10
/* Shrink when fewer than 1/DICT_SHRINK_RATIO of the buckets are used. */
#define DICT_SHRINK_RATIO 8

void dict_init(dict *d, const dict_type *type, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->type = type;
    d->rehash_index = -1;
    uint64_t a = rng_mix64(seed), b = rng_mix64(a);
    memcpy(d->seed, &a, 8);
    memcpy(d->seed + 8, &b, 8);
}

void dict_free(dict *d)
{
    mem_free(d->table[0]);
    mem_free(d->table[1]);
    const dict_type *type = d->type;
    uint8_t seed[16];
    memcpy(seed, d->seed, 16);
    memset(d, 0, sizeof *d);
    d->type = type;
    d->rehash_index = -1;
    memcpy(d->seed, seed, 16);
}

void dict_clear(dict *d)
{
    dict_free(d);
}

uint64_t dict_hash(const dict *d, const void *key, size_t len)
{
    return siphash13(key, len, d->seed);
}

static inline bool node_has_key(const dict *d, const dict_node *n, const void *key,
                                size_t len)
{
    size_t nlen;
    const char *nkey = d->type->key(n, &nlen);
    return nlen == len && memcmp(nkey, key, len) == 0;
}

static size_t next_power(size_t n)
{
    size_t size = DICT_INITIAL_SIZE;
    while (size < n) size *= 2;
    return size;
}

/* Moves one non-empty bucket of table 0 into table 1. */
static void rehash_step(dict *d)
{
    if (!dict_is_rehashing(d) || d->pause_rehash > 0) return;
    size_t empty_visits = DICT_REHASH_EMPTY_VISITS;
    while (d->used[0] > 0) {
        PASSERT((size_t)d->rehash_index < d->size[0]);
        dict_node *n = d->table[0][d->rehash_index];
        if (n == NULL) {
            d->rehash_index++;
            if (--empty_visits == 0) return;
            continue;
        }
        while (n != NULL) {
            dict_node *next = n->next;
            size_t klen;
            const char *k = d->type->key(n, &klen);
            size_t i = dict_hash(d, k, klen) & (d->size[1] - 1);
            n->next = d->table[1][i];
            d->table[1][i] = n;
            d->used[0]--;
            d->used[1]++;
            n = next;
        }
        d->table[0][d->rehash_index] = NULL;
        d->rehash_index++;
        break;
    }
    if (d->used[0] == 0) {
        mem_free(d->table[0]);
        d->table[0] = d->table[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        d->table[1] = NULL;
        d->size[1] = 0;
        d->used[1] = 0;
        d->rehash_index = -1;
    }
}

void dict_rehash(dict *d, size_t n)
{
    while (n-- > 0 && dict_is_rehashing(d)) rehash_step(d);
}

/* Starts moving to a table of `size` buckets. */
static void resize_to(dict *d, size_t size)
{
    if (dict_is_rehashing(d) || size == d->size[0]) return;
    dict_node **t = mem_calloc(size, sizeof *t);
    if (d->table[0] == NULL) {
        d->table[0] = t;
        d->size[0] = size;
        return;
    }
    d->table[1] = t;
    d->size[1] = size;
    d->rehash_index = 0;
}

static void maybe_grow(dict *d)
{
    if (dict_is_rehashing(d)) return;
    if (d->size[0] == 0) {
        resize_to(d, DICT_INITIAL_SIZE);
    } else if (d->used[0] >= d->size[0] && d->pause_rehash == 0) {
        resize_to(d, next_power(d->used[0] + 1));
    }
}

static void maybe_shrink(dict *d)
{
    if (dict_is_rehashing(d) || d->pause_rehash > 0) return;
    if (d->size[0] > DICT_INITIAL_SIZE && d->used[0] * DICT_SHRINK_RATIO < d->size[0])
        resize_to(d, next_power(d->used[0]));
}

dict_node *dict_find_h(const dict *d, const void *key, size_t len, uint64_t hash)
{
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        for (dict_node *n = d->table[t][hash & (d->size[t] - 1)]; n; n = n->next)
            if (node_has_key(d, n, key, len)) return n;
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

dict_node *dict_find(const dict *d, const void *key, size_t len)
{
    if (dict_size(d) == 0) return NULL;
    return dict_find_h(d, key, len, dict_hash(d, key, len));
}

dict_node **dict_find_link(dict *d, const void *key, size_t len)
{
    if (dict_size(d) == 0) return NULL;
    uint64_t hash = dict_hash(d, key, len);
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        for (dict_node **link = &d->table[t][hash & (d->size[t] - 1)]; *link;
             link = &(*link)->next)
            if (node_has_key(d, *link, key, len)) return link;
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

void dict_relink(dict_node **link, dict_node *node)
{
    node->next = (*link)->next;
    *link = node;
}

void dict_add_h(dict *d, dict_node *node, uint64_t hash)
{
    rehash_step(d);
    maybe_grow(d);
    int t = dict_is_rehashing(d) ? 1 : 0;
    size_t i = hash & (d->size[t] - 1);
    node->next = d->table[t][i];
    d->table[t][i] = node;
    d->used[t]++;
}

void dict_add(dict *d, dict_node *node)
{
    size_t len;
    const char *key = d->type->key(node, &len);
    dict_add_h(d, node, dict_hash(d, key, len));
}

dict_node *dict_remove(dict *d, const void *key, size_t len)
{
    if (dict_size(d) == 0) return NULL;
    rehash_step(d);
    uint64_t hash = dict_hash(d, key, len);
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        for (dict_node **link = &d->table[t][hash & (d->size[t] - 1)]; *link;
             link = &(*link)->next) {
            dict_node *n = *link;
            if (!node_has_key(d, n, key, len)) continue;
            *link = n->next;
            n->next = NULL;
            d->used[t]--;
            maybe_shrink(d);
            return n;
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

dict_node *dict_random(const dict *d, rng *r)
{
    if (dict_size(d) == 0) return NULL;
    dict_node *head = NULL;
    if (dict_is_rehashing(d)) {
        /* Buckets of table 0 below rehash_index are empty: skip them. */
        size_t lo = (size_t)d->rehash_index;
        size_t span = d->size[0] + d->size[1] - lo;
        do {
            size_t i = lo + rng_below(r, span);
            head = i >= d->size[0] ? d->table[1][i - d->size[0]] : d->table[0][i];
        } while (head == NULL);
    } else {
        do {
            head = d->table[0][rng_below(r, d->size[0])];
        } while (head == NULL);
    }
    size_t chain = 0;
    for (dict_node *n = head; n; n = n->next) chain++;
    size_t pick = rng_below(r, chain);
    while (pick-- > 0) head = head->next;
    return head;
}

static inline uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(v);
}

static void scan_bucket(dict_node *n, dict_scan_fn *fn, void *priv)
{
    while (n != NULL) {
        dict_node *next = n->next;
        fn(priv, n);
        n = next;
    }
}

uint64_t dict_scan(const dict *d, uint64_t v, dict_scan_fn *fn, void *priv)
{
    if (dict_size(d) == 0) return 0;
    if (!dict_is_rehashing(d)) {
        uint64_t m0 = d->size[0] - 1;
        scan_bucket(d->table[0][v & m0], fn, priv);
        v |= ~m0;
        v = rev64(v);
        v++;
        return rev64(v);
    }
    /* Visit the smaller table's bucket, then every bucket of the larger
     * table that it expands to. */
    int small = d->size[0] <= d->size[1] ? 0 : 1;
    int large = 1 - small;
    uint64_t m0 = d->size[small] - 1, m1 = d->size[large] - 1;
    scan_bucket(d->table[small][v & m0], fn, priv);
    do {
        scan_bucket(d->table[large][v & m1], fn, priv);
        v |= ~m1;
        v = rev64(v);
        v++;
        v = rev64(v);
    } while (v & (m0 ^ m1));
    return v;
}

void dict_iter_start(dict_iter *it, dict *d)
{
    it->d = d;
    it->table = 0;
    it->bucket = 0;
    it->next = NULL;
    d->pause_rehash++;
}

dict_node *dict_iter_next(dict_iter *it)
{
    dict *d = it->d;
    while (it->next == NULL) {
        if (it->bucket >= d->size[it->table]) {
            if (it->table == 1 || !dict_is_rehashing(d)) return NULL;
            it->table = 1;
            it->bucket = 0;
            continue;
        }
        it->next = d->table[it->table][it->bucket++];
    }
    dict_node *n = it->next;
    it->next = n->next;
    return n;
}

void dict_iter_end(dict_iter *it)
{
    PASSERT(it->d->pause_rehash > 0);
    it->d->pause_rehash--;
}
