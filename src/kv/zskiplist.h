/* kv/zskiplist.h - the "skiplist" encoding of sorted sets: a skiplist ordered
 * by (score, member) with span counts, so ranks cost O(log N), and a hash
 * table from member to node, so score lookups cost O(1).
 *
 * Memory layout. One allocation per member (zsl_node): the hash-chain link
 * (the node *is* the dict node), the score, the backward link, the node's
 * levels (forward pointer and span each) and then the member bytes. Redis
 * spends three allocations per member (node, sds, dict entry); this layout
 * keeps a 1M-member set within its footprint with the glibc allocator.
 *
 * Determinism. The table is seeded by the caller (from the keyspace's hash
 * seed), and a node's level is drawn from the member's keyed hash rather
 * than from a random generator: replicas that apply the same commands build
 * identical structures, and no unseeded randomness is ever used. Levels
 * follow Redis's distribution (p = 1/4, at most ZSL_LEVEL_MAX).
 *
 * Ranges. zsl_range (scores, "(" exclusive) and zsl_lexrange (members,
 * "[" "(" "-" "+") are shared with the listpack encoding in t_zset.c, which
 * uses the same comparison helpers so both encodings agree bit for bit.
 *
 * Owns: its nodes, header and table. May call: base/.
 * Must never: do I/O, read clocks, or call rand(). */
#ifndef POLIS_KV_ZSKIPLIST_H
#define POLIS_KV_ZSKIPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/dict.h"

/* Enough for 4^32 elements (Redis's limit). */
#define ZSL_LEVEL_MAX 32
/* Longest member a node can hold (its length is a u32). */
#define ZSL_MEMBER_BYTES_MAX UINT32_MAX

typedef struct zsl_node zsl_node;

typedef struct zsl_level {
    zsl_node *forward;
    size_t span; /* elements crossed by following `forward` */
} zsl_level;

struct zsl_node {
    dict_node hnode; /* must stay first: the member table links nodes */
    double score;
    zsl_node *backward;
    uint32_t member_len;
    uint32_t level;
    zsl_level lv[]; /* `level` of them, then the member bytes */
};

typedef struct zsl {
    dict members;
    zsl_node *header; /* ZSL_LEVEL_MAX levels, no member */
    zsl_node *tail;
    size_t length;
    uint32_t level;    /* levels in use */
    size_t node_bytes; /* mem_usable of every node, for value_bytes */
    uint64_t seed;     /* of the member table, kept for dumps */
} zsl;

/* ---- Ranges ------------------------------------------------------------ */

typedef struct zsl_range {
    double min, max;
    bool minex, maxex; /* "(" given: the bound itself is excluded */
} zsl_range;

/* A lex bound: "-" (below everything), "+" (above everything), or a string
 * with "[" (inclusive) or "(" (exclusive). */
enum zsl_lex_kind { ZSL_LEX_STR = 0, ZSL_LEX_MIN, ZSL_LEX_MAX };

typedef struct zsl_lex_bound {
    const char *s; /* ZSL_LEX_STR: points into the caller's argument */
    size_t len;
    uint8_t kind;
    bool ex;
} zsl_lex_bound;

typedef struct zsl_lexrange {
    zsl_lex_bound min, max;
} zsl_lexrange;

/* Binary comparison of members: memcmp, then the shorter first. */
static inline int zsl_member_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static inline bool zsl_gte_min(double v, const zsl_range *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

static inline bool zsl_lte_max(double v, const zsl_range *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

/* True when no score can be in the range (Redis zslIsInRange's first test). */
static inline bool zsl_range_empty(const zsl_range *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

bool zsl_lex_gte_min(const char *s, size_t len, const zsl_lexrange *r);
bool zsl_lex_lte_max(const char *s, size_t len, const zsl_lexrange *r);
/* True when no member can be in the range (Redis zslIsInLexRange). */
bool zsl_lexrange_empty(const zsl_lexrange *r);

/* ---- The structure ----------------------------------------------------- */

zsl *zsl_new(uint64_t seed);
void zsl_free(zsl *z);
/* Heap bytes: the struct, header, nodes and bucket arrays. */
size_t zsl_bytes(const zsl *z);

static inline const char *zsl_member(const zsl_node *n, size_t *len)
{
    *len = n->member_len;
    return (const char *)(n->lv + n->level);
}

static inline zsl_node *zsl_first(const zsl *z)
{
    return z->header->lv[0].forward;
}

static inline zsl_node *zsl_last(const zsl *z)
{
    return z->tail;
}

static inline zsl_node *zsl_next(const zsl_node *n)
{
    return n->lv[0].forward;
}

static inline zsl_node *zsl_prev(const zsl_node *n)
{
    return n->backward;
}

zsl_node *zsl_find(const zsl *z, const char *member, size_t len);
/* Inserts a member that is not present (the caller checked); score is not
 * NaN. Returns the new node. */
zsl_node *zsl_insert(zsl *z, double score, const char *member, size_t len);
/* The same with the member's hash computed once (zsl_hash) for both: a
 * lookup followed by an insert, as ZADD does. */
static inline uint64_t zsl_hash(const zsl *z, const char *member, size_t len)
{
    return dict_hash(&z->members, member, len);
}
zsl_node *zsl_find_h(const zsl *z, const char *member, size_t len, uint64_t hash);
zsl_node *zsl_insert_h(zsl *z, double score, const char *member, size_t len, uint64_t hash);
/* Unlinks n from the list and the table and frees it. */
void zsl_remove(zsl *z, zsl_node *n);
/* Changes n's score, moving it if its place changes; n stays valid. */
void zsl_update_score(zsl *z, zsl_node *n, double score);

/* 1-based rank of a node in the set. */
size_t zsl_rank(const zsl *z, const zsl_node *n);
/* The node at a 1-based rank, or NULL past the end. */
zsl_node *zsl_at_rank(const zsl *z, size_t rank);

zsl_node *zsl_first_in_range(const zsl *z, const zsl_range *r);
zsl_node *zsl_last_in_range(const zsl *z, const zsl_range *r);
zsl_node *zsl_first_in_lexrange(const zsl *z, const zsl_lexrange *r);
zsl_node *zsl_last_in_lexrange(const zsl *z, const zsl_lexrange *r);

/* Range deletions; each returns how many members it removed. Ranks are
 * 1-based and inclusive. */
size_t zsl_delete_range(zsl *z, const zsl_range *r);
size_t zsl_delete_lexrange(zsl *z, const zsl_lexrange *r);
size_t zsl_delete_ranks(zsl *z, size_t start, size_t end);

/* Checks the structural invariants (order, spans, backward links, table);
 * for tests. */
bool zsl_check(const zsl *z);

#endif
