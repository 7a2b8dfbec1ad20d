/* kv/zskiplist.c - see zskiplist.h. The algorithms are Pugh's skiplist as
 * Redis extends it (t_zset.c): repeated scores ordered by member, spans for
 * ranks, backward links at level 0. Search, insertion and deletion keep
 * Redis's update[]/rank[] bookkeeping so spans agree with it exactly. */
#include "kv/zskiplist.h"

#include "base/assert.h"
#include "base/mem.h"
#include "base/rng.h"

/* ---- Lex ranges ----------------------------------------------------------- */

/* Redis sdscmplex(value, bound) for a member against a bound: "-" is below
 * every member and "+" above. */
static int lex_cmp_value(const char *s, size_t len, const zsl_lex_bound *b)
{
    if (b->kind == ZSL_LEX_MIN) return 1;
    if (b->kind == ZSL_LEX_MAX) return -1;
    return zsl_member_cmp(s, len, b->s, b->len);
}

bool zsl_lex_gte_min(const char *s, size_t len, const zsl_lexrange *r)
{
    int c = lex_cmp_value(s, len, &r->min);
    return r->min.ex ? c > 0 : c >= 0;
}

bool zsl_lex_lte_max(const char *s, size_t len, const zsl_lexrange *r)
{
    int c = lex_cmp_value(s, len, &r->max);
    return r->max.ex ? c < 0 : c <= 0;
}

/* Redis sdscmplex(min, max): the sentinels are shared objects there, so
 * "-" equals "-" and "+" equals "+" (and "- -" is then empty: both ends
 * are exclusive). */
static int lex_cmp_bounds(const zsl_lex_bound *a, const zsl_lex_bound *b)
{
    if (a->kind != ZSL_LEX_STR && a->kind == b->kind) return 0;
    if (a->kind == ZSL_LEX_MIN || b->kind == ZSL_LEX_MAX) return -1;
    if (a->kind == ZSL_LEX_MAX || b->kind == ZSL_LEX_MIN) return 1;
    return zsl_member_cmp(a->s, a->len, b->s, b->len);
}

bool zsl_lexrange_empty(const zsl_lexrange *r)
{
    int c = lex_cmp_bounds(&r->min, &r->max);
    return c > 0 || (c == 0 && (r->min.ex || r->max.ex));
}

/* ---- Nodes ------------------------------------------------------------------ */

static const char *node_key(const dict_node *n, size_t *len)
{
    return zsl_member((const zsl_node *)n, len);
}

static const dict_type zsl_dict_type = {node_key};

/* A node's level from its member's keyed hash: p = 1/4 per extra level, as
 * Redis's zslRandomLevel, but the same on every replica. The bucket index
 * uses the hash's low bits; mixing first keeps the two independent. */
static uint32_t level_of(uint64_t hash)
{
    uint64_t bits = rng_mix64(hash);
    uint32_t level = 1;
    while (level < ZSL_LEVEL_MAX && (bits & 3) == 0) {
        level++;
        bits >>= 2;
    }
    return level;
}

static zsl_node *node_new(uint32_t level, double score, const char *member, size_t len)
{
    PASSERT(level >= 1 && level <= ZSL_LEVEL_MAX);
    PASSERT(len <= ZSL_MEMBER_BYTES_MAX);
    zsl_node *n = mem_alloc(sizeof *n + level * sizeof(zsl_level) + len);
    n->hnode.next = NULL;
    n->score = score;
    n->backward = NULL;
    n->member_len = (uint32_t)len;
    n->level = level;
    for (uint32_t i = 0; i < level; i++)
        n->lv[i] = (zsl_level){NULL, 0};
    if (len) memcpy((char *)(n->lv + level), member, len);
    return n;
}

/* Whether node x sorts before (score, member). */
static bool node_before(const zsl_node *x, double score, const char *m, size_t len)
{
    if (x->score != score) return x->score < score;
    size_t xl;
    const char *xm = zsl_member(x, &xl);
    return zsl_member_cmp(xm, xl, m, len) < 0;
}

/* Whether node x sorts before or at (score, member). */
static bool node_before_or_at(const zsl_node *x, double score, const char *m, size_t len)
{
    if (x->score != score) return x->score < score;
    size_t xl;
    const char *xm = zsl_member(x, &xl);
    return zsl_member_cmp(xm, xl, m, len) <= 0;
}

zsl *zsl_new(uint64_t seed)
{
    zsl *z = mem_alloc(sizeof *z);
    dict_init(&z->members, &zsl_dict_type, seed);
    z->header = node_new(ZSL_LEVEL_MAX, 0, NULL, 0);
    z->tail = NULL;
    z->length = 0;
    z->level = 1;
    z->node_bytes = 0;
    z->seed = seed;
    return z;
}

void zsl_free(zsl *z)
{
    if (z == NULL) return;
    zsl_node *n = zsl_first(z);
    while (n != NULL) {
        zsl_node *next = n->lv[0].forward;
        mem_free(n);
        n = next;
    }
    mem_free(z->header);
    dict_clear(&z->members);
    mem_free(z);
}

size_t zsl_bytes(const zsl *z)
{
    size_t bytes = mem_usable(z) + mem_usable(z->header) + z->node_bytes;
    if (z->members.table[0]) bytes += mem_usable(z->members.table[0]);
    if (z->members.table[1]) bytes += mem_usable(z->members.table[1]);
    return bytes;
}

zsl_node *zsl_find(const zsl *z, const char *member, size_t len)
{
    return (zsl_node *)dict_find(&z->members, member, len);
}

/* Links x (not in the list) at its place by (score, member), Redis
 * zslInsert's bookkeeping. */
static void link_node(zsl *z, zsl_node *x)
{
    zsl_node *update[ZSL_LEVEL_MAX];
    size_t rank[ZSL_LEVEL_MAX];
    size_t len;
    const char *m = zsl_member(x, &len);
    zsl_node *p = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--) {
        rank[i] = i == (int)z->level - 1 ? 0 : rank[i + 1];
        while (p->lv[i].forward && node_before(p->lv[i].forward, x->score, m, len)) {
            rank[i] += p->lv[i].span;
            p = p->lv[i].forward;
        }
        update[i] = p;
    }
    if (x->level > z->level) {
        for (uint32_t i = z->level; i < x->level; i++) {
            rank[i] = 0;
            update[i] = z->header;
            update[i]->lv[i].span = z->length;
        }
        z->level = x->level;
    }
    for (uint32_t i = 0; i < x->level; i++) {
        x->lv[i].forward = update[i]->lv[i].forward;
        update[i]->lv[i].forward = x;
        x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (uint32_t i = x->level; i < z->level; i++)
        update[i]->lv[i].span++;
    x->backward = update[0] == z->header ? NULL : update[0];
    if (x->lv[0].forward)
        x->lv[0].forward->backward = x;
    else
        z->tail = x;
    z->length++;
}

/* Redis zslDeleteNode: unlinks x given its predecessors at every level.
 * Spans of links that end the list are not maintained (never read). */
static void unlink_node(zsl *z, zsl_node *x, zsl_node **update)
{
    for (uint32_t i = 0; i < z->level; i++) {
        if (update[i]->lv[i].forward == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].forward = x->lv[i].forward;
        } else {
            update[i]->lv[i].span -= 1;
        }
    }
    if (x->lv[0].forward)
        x->lv[0].forward->backward = x->backward;
    else
        z->tail = x->backward;
    while (z->level > 1 && z->header->lv[z->level - 1].forward == NULL)
        z->level--;
    z->length--;
}

/* Fills update[] with n's predecessors at every level. */
static void find_update(const zsl *z, const zsl_node *n, zsl_node **update)
{
    size_t len;
    const char *m = zsl_member(n, &len);
    zsl_node *p = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--) {
        while (p->lv[i].forward && node_before(p->lv[i].forward, n->score, m, len))
            p = p->lv[i].forward;
        update[i] = p;
    }
    PASSERT(update[0]->lv[0].forward == n);
}

zsl_node *zsl_find_h(const zsl *z, const char *member, size_t len, uint64_t hash)
{
    if (dict_size(&z->members) == 0) return NULL;
    return (zsl_node *)dict_find_h(&z->members, member, len, hash);
}

zsl_node *zsl_insert(zsl *z, double score, const char *member, size_t len)
{
    return zsl_insert_h(z, score, member, len, zsl_hash(z, member, len));
}

zsl_node *zsl_insert_h(zsl *z, double score, const char *member, size_t len, uint64_t hash)
{
    PASSERT(score == score); /* never NaN */
    zsl_node *x = node_new(level_of(hash), score, member, len);
    link_node(z, x);
    dict_add_h(&z->members, &x->hnode, hash);
    z->node_bytes += mem_usable(x);
    return x;
}

/* Frees a node already unlinked from the list; removes it from the table. */
static void drop_node(zsl *z, zsl_node *x)
{
    size_t len;
    const char *m = zsl_member(x, &len);
    dict_node *removed = dict_remove(&z->members, m, len);
    PASSERT(removed == &x->hnode);
    z->node_bytes -= mem_usable(x);
    mem_free(x);
}

void zsl_remove(zsl *z, zsl_node *n)
{
    zsl_node *update[ZSL_LEVEL_MAX];
    find_update(z, n, update);
    unlink_node(z, n, update);
    drop_node(z, n);
}

void zsl_update_score(zsl *z, zsl_node *n, double score)
{
    PASSERT(score == score);
    /* Still in place (Redis zslUpdateScore): just change the score. */
    if ((n->backward == NULL || n->backward->score < score) &&
        (n->lv[0].forward == NULL || n->lv[0].forward->score > score)) {
        n->score = score;
        return;
    }
    zsl_node *update[ZSL_LEVEL_MAX];
    find_update(z, n, update);
    unlink_node(z, n, update);
    n->score = score;
    link_node(z, n);
}

size_t zsl_rank(const zsl *z, const zsl_node *n)
{
    size_t len;
    const char *m = zsl_member(n, &len);
    size_t rank = 0;
    const zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--) {
        while (x->lv[i].forward &&
               node_before_or_at(x->lv[i].forward, n->score, m, len)) {
            rank += x->lv[i].span;
            x = x->lv[i].forward;
        }
        if (x == n) return rank;
    }
    PASSERT(false && "node not in its skiplist");
    return 0;
}

zsl_node *zsl_at_rank(const zsl *z, size_t rank)
{
    size_t traversed = 0;
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && traversed + x->lv[i].span <= rank) {
            traversed += x->lv[i].span;
            x = x->lv[i].forward;
        }
        if (traversed == rank) return x == z->header ? NULL : x;
    }
    return NULL;
}

/* ---- Score and lex ranges --------------------------------------------------- */

static bool in_range(const zsl *z, const zsl_range *r)
{
    if (zsl_range_empty(r)) return false;
    if (z->tail == NULL || !zsl_gte_min(z->tail->score, r)) return false;
    return zsl_lte_max(zsl_first(z)->score, r);
}

zsl_node *zsl_first_in_range(const zsl *z, const zsl_range *r)
{
    if (!in_range(z, r)) return NULL;
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--)
        while (x->lv[i].forward && !zsl_gte_min(x->lv[i].forward->score, r))
            x = x->lv[i].forward;
    x = x->lv[0].forward;
    PASSERT(x != NULL);
    return zsl_lte_max(x->score, r) ? x : NULL;
}

zsl_node *zsl_last_in_range(const zsl *z, const zsl_range *r)
{
    if (!in_range(z, r)) return NULL;
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--)
        while (x->lv[i].forward && zsl_lte_max(x->lv[i].forward->score, r))
            x = x->lv[i].forward;
    PASSERT(x != z->header);
    return zsl_gte_min(x->score, r) ? x : NULL;
}

static bool node_gte_lex(const zsl_node *n, const zsl_lexrange *r)
{
    size_t len;
    const char *m = zsl_member(n, &len);
    return zsl_lex_gte_min(m, len, r);
}

static bool node_lte_lex(const zsl_node *n, const zsl_lexrange *r)
{
    size_t len;
    const char *m = zsl_member(n, &len);
    return zsl_lex_lte_max(m, len, r);
}

static bool in_lexrange(const zsl *z, const zsl_lexrange *r)
{
    if (zsl_lexrange_empty(r)) return false;
    if (z->tail == NULL || !node_gte_lex(z->tail, r)) return false;
    return node_lte_lex(zsl_first(z), r);
}

zsl_node *zsl_first_in_lexrange(const zsl *z, const zsl_lexrange *r)
{
    if (!in_lexrange(z, r)) return NULL;
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--)
        while (x->lv[i].forward && !node_gte_lex(x->lv[i].forward, r))
            x = x->lv[i].forward;
    x = x->lv[0].forward;
    PASSERT(x != NULL);
    return node_lte_lex(x, r) ? x : NULL;
}

zsl_node *zsl_last_in_lexrange(const zsl *z, const zsl_lexrange *r)
{
    if (!in_lexrange(z, r)) return NULL;
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--)
        while (x->lv[i].forward && node_lte_lex(x->lv[i].forward, r))
            x = x->lv[i].forward;
    PASSERT(x != z->header);
    return node_gte_lex(x, r) ? x : NULL;
}

size_t zsl_delete_range(zsl *z, const zsl_range *r)
{
    zsl_node *update[ZSL_LEVEL_MAX];
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && !zsl_gte_min(x->lv[i].forward->score, r))
            x = x->lv[i].forward;
        update[i] = x;
    }
    size_t removed = 0;
    x = x->lv[0].forward;
    while (x && zsl_lte_max(x->score, r)) {
        zsl_node *next = x->lv[0].forward;
        unlink_node(z, x, update);
        drop_node(z, x);
        removed++;
        x = next;
    }
    return removed;
}

size_t zsl_delete_lexrange(zsl *z, const zsl_lexrange *r)
{
    zsl_node *update[ZSL_LEVEL_MAX];
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && !node_gte_lex(x->lv[i].forward, r))
            x = x->lv[i].forward;
        update[i] = x;
    }
    size_t removed = 0;
    x = x->lv[0].forward;
    while (x && node_lte_lex(x, r)) {
        zsl_node *next = x->lv[0].forward;
        unlink_node(z, x, update);
        drop_node(z, x);
        removed++;
        x = next;
    }
    return removed;
}

size_t zsl_delete_ranks(zsl *z, size_t start, size_t end)
{
    zsl_node *update[ZSL_LEVEL_MAX];
    size_t traversed = 0, removed = 0;
    zsl_node *x = z->header;
    for (int i = (int)z->level - 1; i >= 0; i--) {
        while (x->lv[i].forward && traversed + x->lv[i].span < start) {
            traversed += x->lv[i].span;
            x = x->lv[i].forward;
        }
        update[i] = x;
    }
    traversed++;
    x = x->lv[0].forward;
    while (x && traversed <= end) {
        zsl_node *next = x->lv[0].forward;
        unlink_node(z, x, update);
        drop_node(z, x);
        removed++;
        traversed++;
        x = next;
    }
    return removed;
}

/* ---- Invariants ------------------------------------------------------------- */

/* Level i's links: each span equals the rank distance it crosses. */
static bool check_level(const zsl *z, uint32_t i)
{
    size_t rank = 0;
    const zsl_node *x = z->header;
    while (x->lv[i].forward) {
        const zsl_node *next = x->lv[i].forward;
        if (next->level <= i) return false;
        rank += x->lv[i].span;
        if (zsl_rank(z, next) != rank) return false;
        x = next;
    }
    return true;
}

bool zsl_check(const zsl *z)
{
    size_t count = 0, bytes = 0;
    const zsl_node *prev = NULL;
    for (const zsl_node *x = zsl_first(z); x; x = x->lv[0].forward) {
        size_t len, plen;
        const char *m = zsl_member(x, &len);
        if (x->backward != prev || x->score != x->score) return false;
        if (prev && !node_before(prev, x->score, m, len)) return false;
        const char *pm = prev ? zsl_member(prev, &plen) : NULL;
        if (prev && zsl_member_cmp(pm, plen, m, len) == 0) return false;
        if (zsl_find(z, m, len) != x) return false;
        bytes += mem_usable(x);
        prev = x;
        count++;
    }
    if (prev != z->tail || count != z->length || dict_size(&z->members) != count)
        return false;
    if (bytes != z->node_bytes || z->level < 1 || z->level > ZSL_LEVEL_MAX) return false;
    for (uint32_t i = 0; i < z->level; i++)
        if (!check_level(z, i)) return false;
    for (uint32_t i = z->level; i < ZSL_LEVEL_MAX; i++)
        if (i > 0 && z->header->lv[i].forward != NULL) return false;
    return true;
}
