/* kv/quicklist.h - the "quicklist" encoding of lists: a doubly linked list
 * of nodes, each holding a listpack (kv/listpack.h) of consecutive elements.
 *
 * Redis 7.0 stores every list this way (OBJECT ENCODING says "quicklist"
 * even for one element). A node's size is bounded by the list's fill, which
 * is Redis's list-max-listpack-size: -1..-5 limit a node's listpack to
 * 4/8/16/32/64 KiB, N > 0 to N elements (and never more than 8 KiB). Sizes
 * are counted as Redis counts them (the entries plus a 7-byte listpack
 * header and terminator, QL_LP_OVERHEAD_BYTES) so nodes split where Redis's
 * do. There is no compression (list-compress-depth stays 0) and no "plain"
 * nodes: an element larger than a node's limit gets a node of its own.
 *
 * Complexity: pushes and pops at either end are O(1) amortized (one
 * listpack edit at the end node); index lookups walk whole nodes from the
 * nearer end and then the listpack; range deletes free whole nodes. Inserts
 * in the middle split a full node and merge small neighbours as Redis's
 * _quicklistInsert does; deletes through an iterator (LREM) merge a node
 * that shrank with its neighbour when both fit in one, so a list thinned
 * out in the middle stays compact.
 *
 * Ownership: the quicklist owns its nodes and their listpacks, all from
 * base/mem. Entries returned by lookups point into a listpack and stay
 * valid until the next change to the list.
 *
 * May call: base/, kv/listpack. Must never: do I/O, read clocks. */
#ifndef POLIS_KV_QUICKLIST_H
#define POLIS_KV_QUICKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv/listpack.h"

/* Redis's listpack header (6 bytes) and end byte, added to kv_lp.bytes to
 * measure a node the way Redis's quicklistNode.sz does. */
#define QL_LP_OVERHEAD_BYTES 7
/* Redis's SIZE_SAFETY_LIMIT: a node never grows past this by element count
 * alone (positive fills). */
#define QL_SIZE_SAFETY_BYTES 8192
/* Fills outside [-5, QL_FILL_MAX] are clamped, as quicklistSetFill does. */
#define QL_FILL_MIN     (-5)
#define QL_FILL_MAX     32767
#define QL_FILL_DEFAULT (-2)
/* Largest element a node's listpack can hold (its sizes are 32-bit). */
#define QL_ELEMENT_BYTES_MAX ((size_t)UINT32_MAX - 64)

typedef struct ql_node {
    struct ql_node *prev;
    struct ql_node *next;
    kv_lp *lp; /* never empty while the node is in a list */
} ql_node;

typedef struct quicklist {
    ql_node *head;
    ql_node *tail;
    uint64_t count; /* elements in all nodes */
    uint64_t node_count;
    int32_t fill; /* list-max-listpack-size, clamped */
} quicklist;

/* An element's place: the node and the listpack byte offset. */
typedef struct ql_pos {
    ql_node *node;
    uint32_t offset;
} ql_pos;

quicklist *ql_new(int32_t fill);
void ql_free(quicklist *ql);
/* Sets the node size limit for later changes (existing nodes stay). */
void ql_set_fill(quicklist *ql, int32_t fill);
static inline uint64_t ql_count(const quicklist *ql)
{
    return ql->count;
}
/* Heap bytes of the list: the header, every node and listpack. */
size_t ql_alloc_bytes(const quicklist *ql);

/* Adds an element at the head or the tail (len <= QL_ELEMENT_BYTES_MAX). */
void ql_push(quicklist *ql, bool tail, const char *s, size_t len);
/* Removes the first or the last element (the list must not be empty). */
void ql_pop(quicklist *ql, bool tail);
/* The element at index (negative: from the end), found from the nearer
 * end; false if out of range. */
bool ql_index(const quicklist *ql, int64_t index, ql_pos *pos);
static inline void ql_get(const ql_pos *pos, lp_entry *e)
{
    lp_get(pos->node->lp, pos->offset, e);
}
/* Replaces the element at pos (from ql_index). A node that would outgrow
 * its limit is split around the element, as Redis 7.2's
 * quicklistReplaceEntry does, so one huge value cannot bloat a node. */
void ql_replace(quicklist *ql, const ql_pos *pos, const char *s, size_t len);
/* Inserts before or after the element at pos; pos is invalid afterwards. */
void ql_insert(quicklist *ql, const ql_pos *pos, bool after, const char *s, size_t len);
/* Deletes count elements from index start (0 <= start, start + count <=
 * ql_count). */
void ql_delete_range(quicklist *ql, uint64_t start, uint64_t count);

/* ---- Iteration ---------------------------------------------------------- */

/* Walks elements towards the tail (forward) or the head. The list may be
 * changed during the walk only through ql_iter_delete. */
typedef struct ql_iter {
    quicklist *ql;
    ql_node *node;   /* node of the next element, NULL at the end */
    uint32_t offset; /* next element in node, LP_NONE: move to the next node */
    bool forward;
    bool shrunk;    /* node lost elements: try to merge it on leaving */
    ql_pos current; /* the element last returned */
} ql_iter;

/* Starts at index (0 <= index < ql_count), found from the nearer end. */
void ql_iter_init(ql_iter *it, quicklist *ql, uint64_t index, bool forward);
/* The next element, or false at the end. */
bool ql_iter_next(ql_iter *it, lp_entry *e);
/* Deletes the element last returned by ql_iter_next. */
void ql_iter_delete(ql_iter *it);
/* Ends a walk: merges a node that shrank with its neighbours if they fit. */
void ql_iter_finish(ql_iter *it);

/* ---- Element comparison ------------------------------------------------- */

/* A value to look for (LPOS, LREM, LINSERT). As Redis's lpCompare, an
 * integer entry equals a string that parses to the same integer, a string
 * entry equals the same bytes. */
typedef struct ql_needle {
    const char *s;
    size_t len;
    bool is_int;
    int64_t i;
} ql_needle;

void ql_needle_init(ql_needle *n, const char *s, size_t len);
bool ql_needle_eq(const ql_needle *n, const lp_entry *e);

/* ---- Structure checks (tests, loads) ------------------------------------ */

/* Checks links, counts and that no node is empty. */
bool ql_valid(const quicklist *ql);
/* Appends a ready listpack (not empty) as the new tail node; the list takes
 * ownership. For loading dumps: no size limit is applied. */
void ql_append_node(quicklist *ql, kv_lp *lp);

#endif
