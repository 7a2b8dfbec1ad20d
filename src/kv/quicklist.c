/* kv/quicklist.c - see quicklist.h. The node size rules, the insert cases
 * and the merge of neighbours follow Redis 7.0's quicklist.c
 * (_quicklistNodeAllowInsert, _quicklistNodeAllowMerge, _quicklistInsert,
 * _quicklistSplitNode, _quicklistMergeNodes) so that nodes fill and split
 * where Redis's do and memory per element matches. */
#include "kv/quicklist.h"

#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/util.h"

/* Redis's optimization_level: the node byte limits of fills -1..-5. */
static const size_t node_bytes_max[] = {4096, 8192, 16384, 32768, 65536};

/* ---- Node sizes ---------------------------------------------------------- */

static size_t node_sz(const ql_node *n)
{
    return (size_t)n->lp->bytes + QL_LP_OVERHEAD_BYTES;
}

/* Whether a node of sz bytes (Redis's measure) and count elements is
 * within the fill: a byte limit for negative fills, an element count under
 * the safety limit for positive ones (a fill of 0 allows one element). */
static bool fits(int32_t fill, size_t sz, uint64_t count)
{
    if (fill < 0) return sz <= node_bytes_max[-fill - 1];
    return sz <= QL_SIZE_SAFETY_BYTES && count <= (uint64_t)fill;
}

/* Redis's estimate of what an element of len bytes adds to a node: the
 * data, a backlen and a string header (an overestimate for integers). */
static size_t entry_estimate(size_t len)
{
    size_t overhead = len < 254 ? 1 : 5;
    overhead += len < 64 ? 1 : len < 16384 ? 2 : 5;
    return len + overhead;
}

static bool allow_insert(const ql_node *n, int32_t fill, size_t len)
{
    if (n == NULL) return false;
    return fits(fill, node_sz(n) + entry_estimate(len), (uint64_t)n->lp->count + 1);
}

static bool allow_merge(const ql_node *a, const ql_node *b, int32_t fill)
{
    if (a == NULL || b == NULL) return false;
    /* One listpack header and terminator go away in the merge. */
    size_t sz = node_sz(a) + node_sz(b) - QL_LP_OVERHEAD_BYTES;
    return fits(fill, sz, (uint64_t)a->lp->count + b->lp->count);
}

/* ---- Nodes and links ----------------------------------------------------- */

static ql_node *node_new(kv_lp *lp)
{
    ql_node *n = mem_alloc(sizeof *n);
    n->prev = NULL;
    n->next = NULL;
    n->lp = lp;
    return n;
}

/* Links fresh after (or before) old; old NULL: the list is empty. */
static void link_node(quicklist *ql, ql_node *old, ql_node *fresh, bool after)
{
    if (old == NULL) {
        PASSERT(ql->head == NULL && ql->tail == NULL);
        ql->head = fresh;
        ql->tail = fresh;
    } else if (after) {
        fresh->prev = old;
        fresh->next = old->next;
        if (old->next)
            old->next->prev = fresh;
        else
            ql->tail = fresh;
        old->next = fresh;
    } else {
        fresh->next = old;
        fresh->prev = old->prev;
        if (old->prev)
            old->prev->next = fresh;
        else
            ql->head = fresh;
        old->prev = fresh;
    }
    ql->node_count++;
}

/* Unlinks and frees a node; the caller adjusts ql->count. */
static void unlink_free(quicklist *ql, ql_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        ql->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        ql->tail = n->prev;
    ql->node_count--;
    lp_free(n->lp);
    mem_free(n);
}

/* The node holding element index (0 <= index < count) and the element's
 * index inside it, walking whole nodes from the nearer end. */
static ql_node *locate(const quicklist *ql, uint64_t index, uint32_t *in_node)
{
    PASSERT(index < ql->count);
    if (index < ql->count / 2) {
        ql_node *n = ql->head;
        while (index >= n->lp->count) {
            index -= n->lp->count;
            n = n->next;
        }
        *in_node = (uint32_t)index;
        return n;
    }
    uint64_t from_end = ql->count - 1 - index; /* 0: the last element */
    ql_node *n = ql->tail;
    while (from_end >= n->lp->count) {
        from_end -= n->lp->count;
        n = n->prev;
    }
    *in_node = n->lp->count - 1 - (uint32_t)from_end;
    return n;
}

/* ---- Splitting and merging ----------------------------------------------- */

/* The byte offset just past the entry at pos. */
static uint32_t entry_end(const kv_lp *lp, uint32_t pos)
{
    uint32_t next = lp_next(lp, pos);
    return next == LP_NONE ? lp->bytes : next;
}

static uint32_t entries_before(const kv_lp *lp, uint32_t cut)
{
    uint32_t n = 0;
    for (uint32_t p = lp_first(lp); p != LP_NONE && p < cut; p = lp_next(lp, p))
        n++;
    return n;
}

/* A new listpack of the bytes [from, to) of lp: count whole entries. */
static kv_lp *lp_slice(const kv_lp *lp, uint32_t from, uint32_t to, uint32_t count)
{
    kv_lp *s = mem_alloc(sizeof *s + (to - from));
    s->bytes = to - from;
    s->count = count;
    if (to > from) memcpy(s->data, lp->data + from, to - from);
    return s;
}

/* Cuts a listpack down to its bytes [from, to): count whole entries. */
static void lp_keep(kv_lp **lpp, uint32_t from, uint32_t to, uint32_t count)
{
    kv_lp *lp = *lpp;
    if (from > 0) memmove(lp->data, lp->data + from, to - from);
    lp->bytes = to - from;
    lp->count = count;
    *lpp = mem_realloc(lp, sizeof *lp + lp->bytes);
}

/* Redis _quicklistSplitNode: after, n keeps its entries up to and including
 * the one at offset and the new node (not linked) gets the rest; before, the
 * new node gets the entries before offset and n keeps the rest. Either part
 * may be empty. */
static ql_node *split_node(ql_node *n, uint32_t offset, bool after)
{
    kv_lp *lp = n->lp;
    uint32_t cut = after ? entry_end(lp, offset) : offset;
    uint32_t bytes = lp->bytes;
    uint32_t head_count = entries_before(lp, cut);
    uint32_t tail_count = lp->count - head_count;
    kv_lp *part;
    if (after) {
        part = lp_slice(lp, cut, bytes, tail_count);
        lp_keep(&n->lp, 0, cut, head_count);
    } else {
        part = lp_slice(lp, 0, cut, head_count);
        lp_keep(&n->lp, cut, bytes, tail_count);
    }
    return node_new(part);
}

/* Merges b (a's successor) with a into the larger of the two blocks, so the
 * smaller one is copied; returns the node that remains. */
static ql_node *merge_nodes(quicklist *ql, ql_node *a, ql_node *b)
{
    PASSERT(a->next == b);
    kv_lp *la = a->lp;
    kv_lp *lb = b->lp;
    uint64_t bytes = (uint64_t)la->bytes + lb->bytes;
    PASSERT(bytes < UINT32_MAX);
    if (la->bytes >= lb->bytes) {
        la = mem_realloc(la, sizeof *la + bytes);
        memcpy(la->data + la->bytes, lb->data, lb->bytes);
        la->bytes = (uint32_t)bytes;
        la->count += lb->count;
        a->lp = la;
        unlink_free(ql, b);
        return a;
    }
    lb = mem_realloc(lb, sizeof *lb + bytes);
    memmove(lb->data + la->bytes, lb->data, lb->bytes);
    memcpy(lb->data, la->data, la->bytes);
    lb->bytes = (uint32_t)bytes;
    lb->count += la->count;
    b->lp = lb;
    unlink_free(ql, a);
    return b;
}

/* Redis _quicklistMergeNodes: merges the two nodes before center, the two
 * after it, then center with its neighbours, wherever the result fits. */
static void merge_around(quicklist *ql, ql_node *center)
{
    int32_t fill = ql->fill;
    ql_node *prev = center->prev;
    ql_node *next = center->next;
    ql_node *prev_prev = prev ? prev->prev : NULL;
    ql_node *next_next = next ? next->next : NULL;
    if (allow_merge(prev_prev, prev, fill)) merge_nodes(ql, prev_prev, prev);
    if (allow_merge(next, next_next, fill)) merge_nodes(ql, next, next_next);
    ql_node *target = center;
    if (allow_merge(center->prev, center, fill))
        target = merge_nodes(ql, center->prev, center);
    if (allow_merge(target, target->next, fill)) merge_nodes(ql, target, target->next);
}

/* ---- The list ------------------------------------------------------------ */

quicklist *ql_new(int32_t fill)
{
    quicklist *ql = mem_alloc(sizeof *ql);
    *ql = (quicklist){0};
    ql_set_fill(ql, fill);
    return ql;
}

void ql_free(quicklist *ql)
{
    ql_node *n = ql->head;
    while (n != NULL) {
        ql_node *next = n->next;
        lp_free(n->lp);
        mem_free(n);
        n = next;
    }
    mem_free(ql);
}

void ql_set_fill(quicklist *ql, int32_t fill)
{
    if (fill < QL_FILL_MIN) fill = QL_FILL_MIN;
    if (fill > QL_FILL_MAX) fill = QL_FILL_MAX;
    ql->fill = fill;
}

size_t ql_alloc_bytes(const quicklist *ql)
{
    size_t bytes = mem_usable(ql);
    for (const ql_node *n = ql->head; n != NULL; n = n->next)
        bytes += mem_usable(n) + lp_alloc_bytes(n->lp);
    return bytes;
}

void ql_push(quicklist *ql, bool tail, const char *s, size_t len)
{
    PASSERT(len <= QL_ELEMENT_BYTES_MAX);
    ql_node *n = tail ? ql->tail : ql->head;
    if (allow_insert(n, ql->fill, len)) {
        lp_insert(&n->lp, tail ? LP_NONE : 0, s, len);
    } else {
        ql_node *fresh = node_new(lp_new());
        lp_append(&fresh->lp, s, len);
        link_node(ql, n, fresh, tail);
    }
    ql->count++;
}

void ql_pop(quicklist *ql, bool tail)
{
    ql_node *n = tail ? ql->tail : ql->head;
    PASSERT(n != NULL);
    if (n->lp->count == 1)
        unlink_free(ql, n);
    else
        lp_delete(&n->lp, tail ? lp_last(n->lp) : 0, 1);
    ql->count--;
}

bool ql_index(const quicklist *ql, int64_t index, ql_pos *pos)
{
    PASSERT(ql->count <= INT64_MAX);
    if (index < 0) index += (int64_t)ql->count;
    if (index < 0 || (uint64_t)index >= ql->count) return false;
    uint32_t in_node;
    pos->node = locate(ql, (uint64_t)index, &in_node);
    pos->offset = lp_seek(pos->node->lp, in_node);
    PASSERT(pos->offset != LP_NONE);
    return true;
}

void ql_replace(quicklist *ql, const ql_pos *pos, const char *s, size_t len)
{
    PASSERT(len <= QL_ELEMENT_BYTES_MAX);
    ql_node *n = pos->node;
    uint32_t end = entry_end(n->lp, pos->offset);
    size_t sz = node_sz(n) - (end - pos->offset) + entry_estimate(len);
    if (n->lp->count == 1 || fits(ql->fill, sz, n->lp->count)) {
        lp_replace(&n->lp, pos->offset, s, len);
        return;
    }
    /* The node would outgrow its limit: the new value goes into a node of
     * its own between the element's predecessors and successors. */
    ql_node *rest = end == n->lp->bytes ? NULL : split_node(n, pos->offset, true);
    ql_node *fresh = node_new(lp_new());
    lp_append(&fresh->lp, s, len);
    link_node(ql, n, fresh, true);
    if (rest) link_node(ql, fresh, rest, true);
    /* The replaced element is now n's last. */
    if (n->lp->count == 1)
        unlink_free(ql, n);
    else
        lp_delete(&n->lp, lp_last(n->lp), 1);
    merge_around(ql, fresh);
}

void ql_insert(quicklist *ql, const ql_pos *pos, bool after, const char *s, size_t len)
{
    PASSERT(len <= QL_ELEMENT_BYTES_MAX);
    ql_node *n = pos->node;
    int32_t fill = ql->fill;
    uint32_t next = lp_next(n->lp, pos->offset);
    bool full = !allow_insert(n, fill, len);
    bool at_tail = after && next == LP_NONE;
    bool at_head = !after && pos->offset == 0;
    if (!full) {
        lp_insert(&n->lp, after ? next : pos->offset, s, len);
    } else if (at_tail && allow_insert(n->next, fill, len)) {
        lp_insert(&n->next->lp, 0, s, len);
    } else if (at_head && allow_insert(n->prev, fill, len)) {
        lp_append(&n->prev->lp, s, len);
    } else if ((at_tail && n->next == NULL) || (at_head && n->prev == NULL)) {
        ql_node *fresh = node_new(lp_new());
        lp_append(&fresh->lp, s, len);
        link_node(ql, n, fresh, after);
    } else {
        ql_node *fresh = split_node(n, pos->offset, after);
        lp_insert(&fresh->lp, after ? lp_first(fresh->lp) : LP_NONE, s, len);
        link_node(ql, n, fresh, after);
        merge_around(ql, n);
    }
    ql->count++;
}

void ql_delete_range(quicklist *ql, uint64_t start, uint64_t count)
{
    PASSERT(start <= ql->count && count <= ql->count - start);
    if (count == 0) return;
    uint32_t in_node;
    ql_node *n = locate(ql, start, &in_node);
    while (count > 0) {
        ql_node *next = n->next;
        uint32_t avail = n->lp->count - in_node;
        uint32_t take = count < avail ? (uint32_t)count : avail;
        if (take == n->lp->count)
            unlink_free(ql, n);
        else
            lp_delete(&n->lp, lp_seek(n->lp, in_node), take);
        ql->count -= take;
        count -= take;
        in_node = 0;
        n = next;
    }
}

void ql_append_node(quicklist *ql, kv_lp *lp)
{
    PASSERT(lp->count > 0);
    link_node(ql, ql->tail, node_new(lp), true);
    ql->count += lp->count;
}

bool ql_valid(const quicklist *ql)
{
    uint64_t count = 0, nodes = 0;
    const ql_node *prev = NULL;
    for (const ql_node *n = ql->head; n != NULL; n = n->next) {
        if (n->prev != prev || n->lp->count == 0 || !lp_valid(n->lp)) return false;
        count += n->lp->count;
        nodes++;
        prev = n;
    }
    return prev == ql->tail && count == ql->count && nodes == ql->node_count;
}

/* ---- Iteration ----------------------------------------------------------- */

void ql_iter_init(ql_iter *it, quicklist *ql, uint64_t index, bool forward)
{
    uint32_t in_node;
    it->ql = ql;
    it->forward = forward;
    it->shrunk = false;
    it->node = locate(ql, index, &in_node);
    it->offset = lp_seek(it->node->lp, in_node);
    it->current = (ql_pos){NULL, LP_NONE};
}

static uint32_t node_start(const ql_node *n, bool forward)
{
    return forward ? lp_first(n->lp) : lp_last(n->lp);
}

/* A node the walk leaves after deleting from it merges with the node
 * behind it (already walked) if both fit in one. */
static void merge_behind(ql_iter *it, ql_node *n)
{
    int32_t fill = it->ql->fill;
    if (it->forward && allow_merge(n->prev, n, fill))
        merge_nodes(it->ql, n->prev, n);
    else if (!it->forward && allow_merge(n, n->next, fill))
        merge_nodes(it->ql, n, n->next);
}

bool ql_iter_next(ql_iter *it, lp_entry *e)
{
    while (it->node != NULL && it->offset == LP_NONE) {
        ql_node *n = it->node;
        ql_node *ahead = it->forward ? n->next : n->prev;
        if (it->shrunk) merge_behind(it, n);
        it->shrunk = false;
        it->node = ahead;
        if (ahead) it->offset = node_start(ahead, it->forward);
    }
    if (it->node == NULL) return false;
    kv_lp *lp = it->node->lp;
    it->current = (ql_pos){it->node, it->offset};
    lp_get(lp, it->offset, e);
    it->offset = it->forward ? lp_next(lp, it->offset) : lp_prev(lp, it->offset);
    return true;
}

void ql_iter_delete(ql_iter *it)
{
    ql_pos cur = it->current;
    PASSERT(cur.node != NULL && cur.node == it->node);
    it->current.node = NULL;
    it->ql->count--;
    if (cur.node->lp->count == 1) {
        ql_node *ahead = it->forward ? cur.node->next : cur.node->prev;
        unlink_free(it->ql, cur.node);
        it->node = ahead;
        it->shrunk = false;
        it->offset = ahead ? node_start(ahead, it->forward) : LP_NONE;
        return;
    }
    uint32_t following = lp_delete(&cur.node->lp, cur.offset, 1);
    /* Walking backwards, the next element precedes the deleted one and
     * keeps its offset. */
    if (it->forward) it->offset = following;
    it->shrunk = true;
}

void ql_iter_finish(ql_iter *it)
{
    ql_node *n = it->node;
    if (it->shrunk && n != NULL) {
        int32_t fill = it->ql->fill;
        if (allow_merge(n->prev, n, fill)) n = merge_nodes(it->ql, n->prev, n);
        if (allow_merge(n, n->next, fill)) merge_nodes(it->ql, n, n->next);
    }
    it->node = NULL;
    it->shrunk = false;
}

/* ---- Element comparison -------------------------------------------------- */

void ql_needle_init(ql_needle *n, const char *s, size_t len)
{
    n->s = s;
    n->len = len;
    n->i = 0;
    n->is_int = len <= 20 && str_to_i64(s, len, &n->i);
}

bool ql_needle_eq(const ql_needle *n, const lp_entry *e)
{
    if (e->is_int) return n->is_int && n->i == e->i;
    return e->len == n->len && (n->len == 0 || memcmp(e->s, n->s, n->len) == 0);
}
