/* kv/t_list.c - list commands with Redis 7.0's exact semantics, replies and
 * argument-check order (which error a client sees depends on it, so each
 * handler validates in the order Redis's t_list.c does), and the list's
 * kv_type_ops.
 *
 * Values are quicklists (kv/quicklist.h); OBJECT ENCODING is "quicklist"
 * for every list, as in Redis 7.0. A list that becomes empty is deleted.
 *
 * Dump layout (kv_list_ops.dump; the keyspace has already written type,
 * encoding, key, revision and expiry, see kv/snapshot.c). Varints are
 * unsigned LEB128; strings are kvd_put_str (a varint length, the bytes):
 *
 *   node_count  varint   number of quicklist nodes, >= 1 (an empty list is
 *                        never stored)
 *   nodes       node_count x, head first:
 *     count     varint   entries in the node's listpack, 1 .. 2^32-1
 *     bytes     varint   size of the listpack's entries (kv/listpack.h
 *                        format, without kv_lp's header), 2 * count ..
 *                        2^32-2 (an entry takes at least 2 bytes)
 *     chunks    the entry bytes split into strings of LIST_DUMP_CHUNK_BYTES
 *               (64 KiB), the last one shorter; no chunk when bytes is 0
 *
 * Node boundaries are kept so a replica that loads a snapshot has the same
 * layout as the leader. Load reads chunks into a buffer that grows only as
 * bytes arrive, then checks the listpack entry by entry (lp_valid: headers,
 * lengths, backlens, count) and refuses zero counts; any failure makes the
 * whole load fail (POLIS_ECORRUPT). */
#include "kv/t_list.h"

#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/util.h"
#include "kv/quicklist.h"

#define LIST_DUMP_CHUNK_BYTES (64u * 1024)

#define LIST_ERR_POSITIVE  "ERR value is out of range, must be positive"
#define LIST_ERR_INDEX     "ERR index out of range"
#define LIST_ERR_TOO_LARGE "ERR Element too large"
#define LIST_ERR_RANK                                                                    \
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "    \
    "... or use negative to start from the end of the list"
#define LIST_ERR_TIMEOUT          "ERR timeout is not a float or out of range"
#define LIST_ERR_TIMEOUT_NEGATIVE "ERR timeout is negative"

/* ---- Helpers ------------------------------------------------------------- */

static quicklist *list_of(const kv_obj *o)
{
    return o->v.ptr;
}

/* Looks up argv[i] (for writing: an expired key is deleted first); replies
 * WRONGTYPE and returns false for another type. *out is NULL for a missing
 * key. A write lookup applies the current list-max-listpack-size. */
static bool lookup_list(cmd_ctx *c, size_t i, bool write, kv_obj **out)
{
    const cmd_arg *k = &c->argv[i];
    *out = write ? kv_lookup_write(c->ks, k->ptr, k->len, c->now_ms)
                 : kv_lookup_read(c->ks, k->ptr, k->len, c->now_ms);
    if (*out == NULL) return true;
    if ((*out)->type != KV_LIST) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    if (write) ql_set_fill(list_of(*out), c->limits.list_max_listpack_size);
    return true;
}

static kv_obj *list_create(cmd_ctx *c, size_t key_arg)
{
    const cmd_arg *k = &c->argv[key_arg];
    quicklist *ql = ql_new(c->limits.list_max_listpack_size);
    kv_obj *o = kv_obj_new_value(k->ptr, k->len, KV_LIST, KV_ENC_QUICKLIST, ql);
    o->revision = c->revision;
    kv_insert(c->ks, o);
    return o;
}

/* Stamps a change of `elements` elements (Redis adds them to dirty). */
static void list_changed(cmd_ctx *c, kv_obj *o, uint64_t elements)
{
    o->revision = c->revision;
    c->ks->dirty += elements;
}

/* Deletes the list stored at argv[key_arg] if it has become empty. */
static void delete_if_empty(cmd_ctx *c, kv_obj *o, size_t key_arg)
{
    if (ql_count(list_of(o)) > 0) return;
    kv_delete(c->ks, c->argv[key_arg].ptr, c->argv[key_arg].len);
}

static bool elements_fit_or_reply(cmd_ctx *c, size_t from, size_t to)
{
    for (size_t j = from; j < to; j++) {
        if (c->argv[j].len > QL_ELEMENT_BYTES_MAX) {
            cmd_error(c, LIST_ERR_TOO_LARGE);
            return false;
        }
    }
    return true;
}

/* Redis getRangeLongFromObjectOrReply with a message: msg (or Redis's
 * default) for a malformed number and for one out of [min, max]. */
static bool range_or_reply(cmd_ctx *c, size_t i, int64_t min, int64_t max, int64_t *out,
                           const char *msg)
{
    int64_t v;
    if (!str_to_i64(c->argv[i].ptr, c->argv[i].len, &v) || v < min || v > max) {
        cmd_error(c, msg);
        return false;
    }
    *out = v;
    return true;
}

/* LEFT / RIGHT (Redis getListPositionFromObjectOrReply). */
static bool where_or_reply(cmd_ctx *c, size_t i, bool *tail)
{
    if (cmd_arg_is(c, i, "right"))
        *tail = true;
    else if (cmd_arg_is(c, i, "left"))
        *tail = false;
    else {
        cmd_error(c, CMD_ERR_SYNTAX);
        return false;
    }
    return true;
}

static void reply_entry(cmd_ctx *c, const lp_entry *e)
{
    if (e->is_int)
        resp_bulk_i64(c->w, e->i);
    else
        resp_bulk(c->w, e->s, e->len);
}

/* Streams count elements from index start towards the tail, or with
 * reverse towards the head (Redis addListRangeReply). */
static void reply_range(cmd_ctx *c, quicklist *ql, uint64_t start, uint64_t count,
                        bool reverse)
{
    resp_array(c->w, count);
    if (count == 0) return;
    ql_iter it;
    lp_entry e;
    ql_iter_init(&it, ql, start, !reverse);
    for (uint64_t i = 0; i < count && ql_iter_next(&it, &e); i++)
        reply_entry(c, &e);
    ql_iter_finish(&it);
}

/* Pops up to count elements from one end, replying with them in pop order
 * (Redis listPopRangeAndReplyWithKey without the key). */
static void pop_range_reply(cmd_ctx *c, kv_obj *o, size_t key_arg, bool tail,
                            uint64_t count)
{
    quicklist *ql = list_of(o);
    uint64_t llen = ql_count(ql);
    uint64_t n = count < llen ? count : llen;
    reply_range(c, ql, tail ? llen - 1 : 0, n, tail);
    ql_delete_range(ql, tail ? llen - n : 0, n);
    list_changed(c, o, n);
    delete_if_empty(c, o, key_arg);
}

/* Pops one element and replies with it as a bulk string. */
static void pop_one_reply(cmd_ctx *c, kv_obj *o, size_t key_arg, bool tail)
{
    quicklist *ql = list_of(o);
    ql_pos pos;
    lp_entry e;
    bool found = ql_index(ql, tail ? -1 : 0, &pos);
    PASSERT(found);
    ql_get(&pos, &e);
    reply_entry(c, &e);
    ql_pop(ql, tail);
    list_changed(c, o, 1);
    delete_if_empty(c, o, key_arg);
}

/* ---- Push and pop -------------------------------------------------------- */

/* Redis pushGenericCommand; xx: LPUSHX/RPUSHX (only onto an existing list). */
static void push_generic(cmd_ctx *c, bool tail, bool xx)
{
    kv_obj *o;
    if (!lookup_list(c, 1, true, &o)) return;
    if (o == NULL && xx) {
        resp_int(c->w, 0);
        return;
    }
    if (!elements_fit_or_reply(c, 2, c->argc)) return;
    if (o == NULL) o = list_create(c, 1);
    quicklist *ql = list_of(o);
    for (size_t j = 2; j < c->argc; j++)
        ql_push(ql, tail, c->argv[j].ptr, c->argv[j].len);
    list_changed(c, o, c->argc - 2);
    resp_int(c->w, (int64_t)ql_count(ql));
}

void kvcmd_lpush(cmd_ctx *c)
{
    push_generic(c, false, false);
}

void kvcmd_rpush(cmd_ctx *c)
{
    push_generic(c, true, false);
}

void kvcmd_lpushx(cmd_ctx *c)
{
    push_generic(c, false, true);
}

void kvcmd_rpushx(cmd_ctx *c)
{
    push_generic(c, true, true);
}

/* Redis popGenericCommand: without a count a bulk reply, with one an
 * array (a null array for a missing key, an empty one for count 0). */
static void pop_generic(cmd_ctx *c, bool tail)
{
    bool has_count = c->argc == 3;
    int64_t count = 0;
    if (c->argc > 3) {
        cmd_error_arity(c);
        return;
    }
    if (has_count && !range_or_reply(c, 2, 0, INT64_MAX, &count, LIST_ERR_POSITIVE))
        return;
    kv_obj *o;
    if (!lookup_list(c, 1, true, &o)) return;
    if (o == NULL) {
        if (has_count)
            resp_null_array(c->w);
        else
            resp_null(c->w);
        return;
    }
    if (has_count && count == 0) {
        resp_array(c->w, 0);
        return;
    }
    if (has_count)
        pop_range_reply(c, o, 1, tail, (uint64_t)count);
    else
        pop_one_reply(c, o, 1, tail);
}

void kvcmd_lpop(cmd_ctx *c)
{
    pop_generic(c, false);
}

void kvcmd_rpop(cmd_ctx *c)
{
    pop_generic(c, true);
}

/* ---- Reads ----------------------------------------------------------------- */

void kvcmd_llen(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_list(c, 1, false, &o)) return;
    resp_int(c->w, o ? (int64_t)ql_count(list_of(o)) : 0);
}

/* Converts LRANGE/LTRIM indexes as Redis does: negative from the end, start
 * clamped at 0, end at the last element. False if the range is empty. */
static bool normalize_range(int64_t llen, int64_t *start, int64_t *end)
{
    if (*start < 0) *start += llen;
    if (*end < 0) *end += llen;
    if (*start < 0) *start = 0;
    if (*start > *end || *start >= llen) return false;
    if (*end >= llen) *end = llen - 1;
    return true;
}

void kvcmd_lrange(cmd_ctx *c)
{
    int64_t start, end;
    if (!cmd_arg_i64_or_reply(c, 2, &start, NULL) ||
        !cmd_arg_i64_or_reply(c, 3, &end, NULL))
        return;
    kv_obj *o;
    if (!lookup_list(c, 1, false, &o)) return;
    if (o == NULL) {
        resp_array(c->w, 0);
        return;
    }
    quicklist *ql = list_of(o);
    if (!normalize_range((int64_t)ql_count(ql), &start, &end)) {
        resp_array(c->w, 0);
        return;
    }
    reply_range(c, ql, (uint64_t)start, (uint64_t)(end - start + 1), false);
}

void kvcmd_lindex(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_list(c, 1, false, &o)) return;
    if (o == NULL) {
        resp_null(c->w);
        return;
    }
    int64_t index;
    if (!cmd_arg_i64_or_reply(c, 2, &index, NULL)) return;
    ql_pos pos;
    if (!ql_index(list_of(o), index, &pos)) {
        resp_null(c->w);
        return;
    }
    lp_entry e;
    ql_get(&pos, &e);
    reply_entry(c, &e);
}

/* LPOS options (Redis lposCommand). count -1: COUNT not given. */
typedef struct lpos_opts {
    int64_t rank;
    int64_t count;
    int64_t maxlen;
} lpos_opts;

static bool lpos_parse_or_reply(cmd_ctx *c, lpos_opts *opts)
{
    *opts = (lpos_opts){.rank = 1, .count = -1, .maxlen = 0};
    for (size_t j = 3; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        if (cmd_arg_is(c, j, "rank") && more) {
            if (!cmd_arg_i64_or_reply(c, ++j, &opts->rank, NULL)) return false;
            if (opts->rank == 0) {
                cmd_error(c, LIST_ERR_RANK);
                return false;
            }
        } else if (cmd_arg_is(c, j, "count") && more) {
            if (!range_or_reply(c, ++j, 0, INT64_MAX, &opts->count,
                                "ERR COUNT can't be negative"))
                return false;
        } else if (cmd_arg_is(c, j, "maxlen") && more) {
            if (!range_or_reply(c, ++j, 0, INT64_MAX, &opts->maxlen,
                                "ERR MAXLEN can't be negative"))
                return false;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

/* The scan of lposCommand. Redis negates a negative rank in a long, so
 * RANK -9223372036854775808 stays negative there: every match then
 * qualifies and COUNT never stops the scan. The arithmetic below wraps the
 * same way (through uint64) instead of overflowing. */
static void lpos_scan(cmd_ctx *c, quicklist *ql, const lpos_opts *opts)
{
    bool forward = opts->rank > 0;
    int64_t rank = forward ? opts->rank : (int64_t)(0 - (uint64_t)opts->rank);
    int64_t llen = (int64_t)ql_count(ql);
    ql_needle needle;
    ql_needle_init(&needle, c->argv[2].ptr, c->argv[2].len);
    size_t mark = opts->count != -1 ? resp_defer(c->w) : 0;
    int64_t index = 0, matches = 0, match_index = -1, listed = 0;
    ql_iter it;
    lp_entry e;
    ql_iter_init(&it, ql, forward ? 0 : (uint64_t)llen - 1, forward);
    while ((opts->maxlen == 0 || index < opts->maxlen) && ql_iter_next(&it, &e)) {
        if (ql_needle_eq(&needle, &e)) {
            matches++;
            match_index = forward ? index : llen - index - 1;
            if (matches >= rank) {
                if (opts->count == -1) break;
                resp_int(c->w, match_index);
                listed++;
                int64_t past = (int64_t)((uint64_t)matches - (uint64_t)rank + 1);
                if (opts->count != 0 && past >= opts->count) break;
            }
        }
        index++;
        match_index = -1;
    }
    ql_iter_finish(&it);
    if (opts->count != -1)
        resp_defer_array(c->w, mark, (size_t)listed);
    else if (match_index != -1)
        resp_int(c->w, match_index);
    else
        resp_null(c->w);
}

void kvcmd_lpos(cmd_ctx *c)
{
    lpos_opts opts;
    if (!lpos_parse_or_reply(c, &opts)) return;
    kv_obj *o;
    if (!lookup_list(c, 1, false, &o)) return;
    if (o == NULL) {
        if (opts.count != -1)
            resp_array(c->w, 0);
        else
            resp_null(c->w);
        return;
    }
    lpos_scan(c, list_of(o), &opts);
}

/* ---- Changes in place ------------------------------------------------------ */

void kvcmd_lset(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_list(c, 1, true, &o)) return;
    if (o == NULL) {
        cmd_error(c, CMD_ERR_NO_SUCH_KEY);
        return;
    }
    int64_t index;
    if (!cmd_arg_i64_or_reply(c, 2, &index, NULL)) return;
    if (!elements_fit_or_reply(c, 3, 4)) return;
    quicklist *ql = list_of(o);
    ql_pos pos;
    if (!ql_index(ql, index, &pos)) {
        cmd_error(c, LIST_ERR_INDEX);
        return;
    }
    ql_replace(ql, &pos, c->argv[3].ptr, c->argv[3].len);
    list_changed(c, o, 1);
    resp_ok(c->w);
}

void kvcmd_linsert(cmd_ctx *c)
{
    bool after;
    if (cmd_arg_is(c, 2, "after"))
        after = true;
    else if (cmd_arg_is(c, 2, "before"))
        after = false;
    else {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    kv_obj *o;
    if (!lookup_list(c, 1, true, &o)) return;
    if (o == NULL) {
        resp_int(c->w, 0);
        return;
    }
    if (!elements_fit_or_reply(c, 4, 5)) return;
    quicklist *ql = list_of(o);
    ql_needle pivot;
    ql_needle_init(&pivot, c->argv[3].ptr, c->argv[3].len);
    ql_iter it;
    lp_entry e;
    bool found = false;
    ql_iter_init(&it, ql, 0, true);
    while (!found && ql_iter_next(&it, &e))
        found = ql_needle_eq(&pivot, &e);
    ql_pos pos = it.current;
    ql_iter_finish(&it);
    if (!found) {
        resp_int(c->w, -1);
        return;
    }
    ql_insert(ql, &pos, after, c->argv[4].ptr, c->argv[4].len);
    list_changed(c, o, 1);
    resp_int(c->w, (int64_t)ql_count(ql));
}

void kvcmd_lrem(cmd_ctx *c)
{
    int64_t to_remove;
    if (!cmd_arg_i64_or_reply(c, 2, &to_remove, NULL)) return;
    kv_obj *o;
    if (!lookup_list(c, 1, true, &o)) return;
    if (o == NULL) {
        resp_int(c->w, 0);
        return;
    }
    quicklist *ql = list_of(o);
    bool forward = to_remove >= 0;
    /* |INT64_MIN| as uint64: more than any list holds, so "remove all" as
     * Redis's overflowing negation ends up doing. */
    uint64_t limit = forward ? (uint64_t)to_remove : 0 - (uint64_t)to_remove;
    ql_needle needle;
    ql_needle_init(&needle, c->argv[3].ptr, c->argv[3].len);
    uint64_t removed = 0;
    ql_iter it;
    lp_entry e;
    ql_iter_init(&it, ql, forward ? 0 : ql_count(ql) - 1, forward);
    while (ql_iter_next(&it, &e)) {
        if (!ql_needle_eq(&needle, &e)) continue;
        ql_iter_delete(&it);
        removed++;
        if (limit != 0 && removed == limit) break;
    }
    ql_iter_finish(&it);
    if (removed > 0) list_changed(c, o, removed);
    delete_if_empty(c, o, 1);
    resp_int(c->w, (int64_t)removed);
}

void kvcmd_ltrim(cmd_ctx *c)
{
    int64_t start, end;
    if (!cmd_arg_i64_or_reply(c, 2, &start, NULL) ||
        !cmd_arg_i64_or_reply(c, 3, &end, NULL))
        return;
    kv_obj *o;
    if (!lookup_list(c, 1, true, &o)) return;
    if (o == NULL) {
        resp_ok(c->w);
        return;
    }
    quicklist *ql = list_of(o);
    uint64_t llen = ql_count(ql);
    uint64_t ltrim = llen, rtrim = 0;
    if (normalize_range((int64_t)llen, &start, &end)) {
        ltrim = (uint64_t)start;
        rtrim = llen - (uint64_t)end - 1;
    }
    ql_delete_range(ql, 0, ltrim);
    ql_delete_range(ql, ql_count(ql) - rtrim, rtrim);
    /* Redis signals the key as modified even when nothing was removed. */
    list_changed(c, o, ltrim + rtrim);
    delete_if_empty(c, o, 1);
    resp_ok(c->w);
}

/* ---- Moves ----------------------------------------------------------------- */

/* Redis lmoveGenericCommand once the source is known to hold elements:
 * checks the destination's type, moves one element and replies with it. */
static void move_from(cmd_ctx *c, kv_obj *src, bool from_tail, bool to_tail)
{
    kv_obj *dst;
    if (!lookup_list(c, 2, true, &dst)) return;
    quicklist *from = list_of(src);
    ql_pos pos;
    lp_entry e;
    bool found = ql_index(from, from_tail ? -1 : 0, &pos);
    PASSERT(found);
    ql_get(&pos, &e);
    char digits[LP_INT_BUF_BYTES];
    const char *s = e.s;
    size_t len = e.len;
    if (e.is_int) {
        len = fmt_i64(digits, e.i);
        s = digits;
    }
    resp_bulk(c->w, s, len);
    if (dst == src) {
        /* Popping first frees the element's bytes: keep a copy. */
        char *copy = NULL;
        if (!e.is_int) {
            copy = mem_alloc(len + 1);
            memcpy(copy, s, len);
            s = copy;
        }
        ql_pop(from, from_tail);
        ql_push(from, to_tail, s, len);
        mem_free(copy);
        list_changed(c, src, 2);
        return;
    }
    if (dst == NULL) dst = list_create(c, 2);
    /* Another list: push straight from the source's bytes, then pop. */
    ql_push(list_of(dst), to_tail, s, len);
    ql_pop(from, from_tail);
    list_changed(c, dst, 1);
    list_changed(c, src, 1);
    delete_if_empty(c, src, 1);
}

static void move_generic(cmd_ctx *c, bool from_tail, bool to_tail)
{
    kv_obj *src;
    if (!lookup_list(c, 1, true, &src)) return;
    if (src == NULL) {
        resp_null(c->w);
        return;
    }
    move_from(c, src, from_tail, to_tail);
}

void kvcmd_lmove(cmd_ctx *c)
{
    bool from_tail, to_tail;
    if (!where_or_reply(c, 3, &from_tail) || !where_or_reply(c, 4, &to_tail)) return;
    move_generic(c, from_tail, to_tail);
}

void kvcmd_rpoplpush(cmd_ctx *c)
{
    move_generic(c, true, false);
}

/* ---- LMPOP ----------------------------------------------------------------- */

/* Parses "numkeys key... LEFT|RIGHT [COUNT count]" from argv[numkeys_arg]
 * (Redis lmpopGenericCommand); *count is 1 when COUNT is absent. */
static bool mpop_parse_or_reply(cmd_ctx *c, size_t numkeys_arg, size_t *numkeys,
                                bool *tail, int64_t *count)
{
    int64_t n;
    if (!range_or_reply(c, numkeys_arg, 1, INT64_MAX, &n,
                        "ERR numkeys should be greater than 0"))
        return false;
    if ((uint64_t)n >= c->argc - numkeys_arg - 1) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return false;
    }
    *numkeys = (size_t)n;
    size_t where_arg = numkeys_arg + *numkeys + 1;
    if (!where_or_reply(c, where_arg, tail)) return false;
    *count = -1;
    for (size_t j = where_arg + 1; j < c->argc; j++) {
        if (*count == -1 && cmd_arg_is(c, j, "count") && j + 1 < c->argc) {
            if (!range_or_reply(c, ++j, 1, INT64_MAX, count,
                                "ERR count should be greater than 0"))
                return false;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return false;
        }
    }
    if (*count == -1) *count = 1;
    return true;
}

/* Pops from the first non-empty list among numkeys keys from argv[first],
 * replying [key, [elements]]. Returns false (nothing written) when every
 * key is missing, or after a WRONGTYPE reply with *failed set. */
static bool mpop_serve(cmd_ctx *c, size_t first, size_t numkeys, bool tail, int64_t count,
                       bool *failed)
{
    *failed = false;
    for (size_t j = first; j < first + numkeys; j++) {
        kv_obj *o;
        if (!lookup_list(c, j, true, &o)) {
            *failed = true;
            return false;
        }
        if (o == NULL) continue;
        resp_array(c->w, 2);
        resp_bulk(c->w, c->argv[j].ptr, c->argv[j].len);
        pop_range_reply(c, o, j, tail, (uint64_t)count);
        return true;
    }
    return false;
}

void kvcmd_lmpop(cmd_ctx *c)
{
    size_t numkeys;
    bool tail, failed;
    int64_t count;
    if (!mpop_parse_or_reply(c, 1, &numkeys, &tail, &count)) return;
    if (!mpop_serve(c, 2, numkeys, tail, count, &failed) && !failed)
        resp_null_array(c->w);
}

/* ---- Blocking commands ------------------------------------------------------ */

/* Redis getTimeoutFromObjectOrReply in seconds: a long double times 1000,
 * truncated to milliseconds. Redis converts with a plain (long long) cast,
 * which on x86 turns anything out of range (inf, 1e400,
 * 9223372036854775807) into INT64_MIN, reported as "negative": the same
 * result is computed here without the undefined conversion. */
static bool timeout_or_reply(cmd_ctx *c, size_t i, int64_t *timeout_ms)
{
    long double seconds;
    if (!str_to_ld(c->argv[i].ptr, c->argv[i].len, &seconds)) {
        cmd_error(c, LIST_ERR_TIMEOUT);
        return false;
    }
    long double ms = seconds * 1000.0L;
    int64_t v = INT64_MIN;
    if (ms >= -9223372036854775808.0L && ms < 9223372036854775808.0L) v = (int64_t)ms;
    if (v < 0) {
        cmd_error(c, LIST_ERR_TIMEOUT_NEGATIVE);
        return false;
    }
    *timeout_ms = v;
    if (c->timed_out) {
        /* The wait is over: Redis answers a null array without looking at
         * the keys again (one may hold another type by now). */
        resp_null_array(c->w);
        return false;
    }
    return true;
}

/* Nothing to serve: after a timeout Redis replies with a null array
 * (replyToBlockedClientTimedOut, for every list command), where blocking is
 * not allowed BLMOVE/BRPOPLPUSH reply with a null bulk and the others with
 * a null array; otherwise the client blocks. */
static void block_or_reply(cmd_ctx *c, int64_t timeout_ms, bool null_bulk_unblocked)
{
    PASSERT(!c->timed_out); /* answered by timeout_or_reply */
    if (c->no_block) {
        if (null_bulk_unblocked)
            resp_null(c->w);
        else
            resp_null_array(c->w);
    } else {
        c->block = true;
        c->block_timeout_ms = timeout_ms;
    }
}

/* Redis blockingPopGenericCommand for BLPOP/BRPOP: keys argv[1..argc-2]. */
static void blocking_pop(cmd_ctx *c, bool tail)
{
    int64_t timeout_ms;
    if (!timeout_or_reply(c, c->argc - 1, &timeout_ms)) return;
    for (size_t j = 1; j + 1 < c->argc; j++) {
        kv_obj *o;
        if (!lookup_list(c, j, true, &o)) return;
        if (o == NULL) continue;
        resp_array(c->w, 2);
        resp_bulk(c->w, c->argv[j].ptr, c->argv[j].len);
        pop_one_reply(c, o, j, tail);
        return;
    }
    block_or_reply(c, timeout_ms, false);
}

void kvcmd_blpop(cmd_ctx *c)
{
    blocking_pop(c, false);
}

void kvcmd_brpop(cmd_ctx *c)
{
    blocking_pop(c, true);
}

/* Redis blmoveGenericCommand: blocks on a missing source whatever the
 * destination holds. */
static void blocking_move(cmd_ctx *c, bool from_tail, bool to_tail, int64_t timeout_ms)
{
    kv_obj *src;
    if (!lookup_list(c, 1, true, &src)) return;
    if (src != NULL)
        move_from(c, src, from_tail, to_tail);
    else
        block_or_reply(c, timeout_ms, true);
}

void kvcmd_blmove(cmd_ctx *c)
{
    bool from_tail, to_tail;
    int64_t timeout_ms;
    if (!where_or_reply(c, 3, &from_tail) || !where_or_reply(c, 4, &to_tail)) return;
    if (!timeout_or_reply(c, 5, &timeout_ms)) return;
    blocking_move(c, from_tail, to_tail, timeout_ms);
}

void kvcmd_brpoplpush(cmd_ctx *c)
{
    int64_t timeout_ms;
    if (!timeout_or_reply(c, 3, &timeout_ms)) return;
    blocking_move(c, true, false, timeout_ms);
}

/* BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT count]: the timeout is
 * parsed after the rest, as Redis does. */
void kvcmd_blmpop(cmd_ctx *c)
{
    size_t numkeys;
    bool tail, failed;
    int64_t count, timeout_ms;
    if (!mpop_parse_or_reply(c, 2, &numkeys, &tail, &count)) return;
    if (!timeout_or_reply(c, 1, &timeout_ms)) return;
    if (mpop_serve(c, 3, numkeys, tail, count, &failed) || failed) return;
    block_or_reply(c, timeout_ms, false);
}

/* ---- kv_type_ops ----------------------------------------------------------------- */

static void list_free_value(kv_obj *o)
{
    ql_free(o->v.ptr);
    o->v.ptr = NULL;
}

static size_t list_value_bytes(const kv_obj *o)
{
    return ql_alloc_bytes(o->v.ptr);
}

static size_t list_length(const kv_obj *o)
{
    return (size_t)ql_count(o->v.ptr);
}

static void list_dump(const kv_obj *o, kv_dump_writer *w)
{
    const quicklist *ql = o->v.ptr;
    kvd_put_varint(w, ql->node_count);
    for (const ql_node *n = ql->head; n != NULL; n = n->next) {
        const kv_lp *lp = n->lp;
        kvd_put_varint(w, lp->count);
        kvd_put_varint(w, lp->bytes);
        for (uint32_t off = 0; off < lp->bytes; off += LIST_DUMP_CHUNK_BYTES) {
            uint32_t left = lp->bytes - off;
            kvd_put_str(w, lp->data + off,
                        left < LIST_DUMP_CHUNK_BYTES ? left : LIST_DUMP_CHUNK_BYTES);
        }
    }
}

/* Reads one node's listpack (see the layout at the top), or NULL. */
static kv_lp *load_node(kv_dump_reader *r)
{
    uint64_t count, bytes;
    if (!kvd_get_varint(r, &count) || !kvd_get_varint(r, &bytes)) return NULL;
    if (count == 0 || count > UINT32_MAX || bytes < 2 * count ||
        bytes >= UINT32_MAX - 1) {
        kvd_corrupt(r);
        return NULL;
    }
    size_t have = 0, cap = LIST_DUMP_CHUNK_BYTES;
    kv_lp *lp = mem_alloc(sizeof *lp + cap);
    while (have < bytes) {
        size_t want =
            bytes - have < LIST_DUMP_CHUNK_BYTES ? bytes - have : LIST_DUMP_CHUNK_BYTES;
        const char *p;
        size_t len;
        if (!kvd_get_str(r, &p, &len, want) || len != want) goto fail;
        if (have + len > cap) {
            /* Grow by doubling, only as bytes actually arrive. */
            cap = cap * 2 < bytes ? cap * 2 : bytes;
            lp = mem_realloc(lp, sizeof *lp + cap);
        }
        memcpy(lp->data + have, p, len);
        have += len;
    }
    lp->bytes = (uint32_t)bytes;
    lp->count = (uint32_t)count;
    lp = mem_realloc(lp, sizeof *lp + bytes);
    if (lp_valid(lp)) return lp;
fail:
    mem_free(lp);
    kvd_corrupt(r);
    return NULL;
}

static bool list_load(kv_obj *o, kv_dump_reader *r)
{
    uint64_t node_count;
    if (o->encoding != KV_ENC_QUICKLIST || !kvd_get_varint(r, &node_count)) return false;
    if (node_count == 0) {
        kvd_corrupt(r);
        return false;
    }
    quicklist *ql = ql_new(QL_FILL_DEFAULT);
    o->v.ptr = ql;
    for (uint64_t i = 0; i < node_count; i++) {
        kv_lp *lp = load_node(r);
        if (lp == NULL) return false;
        ql_append_node(ql, lp);
    }
    return true;
}

/* Ordered: the elements' digests chained head to tail, whatever the node
 * boundaries or how an element is stored. */
static uint64_t list_digest(const kv_obj *o)
{
    const quicklist *ql = o->v.ptr;
    uint64_t acc = kv_digest_chain(0, ql->count);
    for (const ql_node *n = ql->head; n != NULL; n = n->next) {
        for (uint32_t p = lp_first(n->lp); p != LP_NONE; p = lp_next(n->lp, p)) {
            char tmp[LP_INT_BUF_BYTES];
            size_t len;
            const char *s = lp_get_str(n->lp, p, tmp, &len);
            acc = kv_digest_chain(acc, kv_digest_bytes(s, len));
        }
    }
    return acc;
}

const kv_type_ops kv_list_ops = {
    .free_value = list_free_value,
    .value_bytes = list_value_bytes,
    .dump = list_dump,
    .load = list_load,
    .digest = list_digest,
    .length = list_length,
    .foreach = NULL,
};
