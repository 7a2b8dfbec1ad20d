/* kv/t_zset.c - sorted sets: encodings, kv_type_ops and commands, with
 * Redis 7.0's exact replies. Argument checks run in Redis's order (which
 * error a client sees depends on it), and each handler says where that
 * order is not the obvious one.
 *
 * Scores. Parsed as Redis: member scores and weights with string2d (strtod
 * over the whole argument, no leading space, NaN and overflow refused);
 * range bounds with zslParseRange (strtod over the argument as a C string,
 * "(" for exclusive, overflow to +-inf allowed, "" meaning 0). Replies
 * format them with resp_double ("%.17g", inf spelled out). In a listpack a
 * score is stored as Redis stores it: an integer entry when it is integral
 * and within +-2^62 (so -0 becomes 0 there, as in Redis), else its "%.17g"
 * text ("inf", "-inf"); ZSCAN shows those stored bytes.
 *
 * Dump layout (kv_type_ops.dump/load; the keyspace writes type, encoding,
 * key and expiry first, see kv/snapshot.c; all integers little-endian):
 *
 *   listpack encoding:
 *     count     varint   entries in the listpack: 2 per member, > 0
 *     bytes     varint   bytes of the entries
 *     entries   bytes    the listpack entries (kv/listpack.h): member, score,
 *                        member, score... ascending by (score, member)
 *   skiplist encoding:
 *     seed      u64      seed of the member table
 *     count     varint   members, > 0
 *     count x   member   varint length + bytes
 *               score    u64, IEEE 754 bits, never NaN
 *               ascending by (score, member)
 *
 * Load checks everything the structures rely on: the listpack's own
 * framing (lp_from_bytes), an even count, scores that parse, are not NaN
 * and are in the canonical form written above, strict (score, member)
 * order and unique members. A value never holds zero members. */
#include "kv/t_zset.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/rng.h"
#include "base/util.h"
#include "kv/listpack.h"
#include "kv/scan.h"
#include "kv/zskiplist.h"

/* Salt mixed into the keyspace's hash seed for the member tables. */
#define ZSET_SEED_SALT 0x7a7365742d736c31ull
/* "%.17g" of any finite double fits ("-2.2250738585072014e-308"). */
#define SCORE_STR_BYTES_MAX 32
/* Redis lpSafeToAdd: a listpack never grows past 1 GiB. */
#define ZSET_LISTPACK_BYTES_SAFE (1ull << 30)
/* Arguments longer than this are parsed from a heap copy. */
#define NUM_STACK_BYTES 128

#define ERR_MINMAX_FLOAT "ERR min or max is not a float"
#define ERR_MINMAX_LEX   "ERR min or max not valid string range item"
#define ERR_NAN_SCORE    "ERR resulting score is not a number (NaN)"
#define ERR_POSITIVE     "ERR value is out of range, must be positive"

/* ---- Parsing ------------------------------------------------------------------- */

/* A NUL-terminated copy of an argument: in stack (cap bytes) when it fits,
 * else on the heap (the caller frees it when it differs from stack). */
static char *arg_cstr(const cmd_arg *a, char *stack, size_t cap)
{
    char *s = a->len < cap ? stack : mem_alloc(a->len + 1);
    memcpy(s, a->ptr, a->len);
    s[a->len] = '\0';
    return s;
}

/* Redis string2d: strtod over the whole string, no leading space, no NaN,
 * no overflow (a result that underflows to a denormal is kept). */
static bool parse_double(const cmd_arg *a, double *out)
{
    if (a->len == 0 || isspace((unsigned char)a->ptr[0])) return false;
    char stack[NUM_STACK_BYTES];
    char *s = arg_cstr(a, stack, sizeof stack);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    bool ok = (size_t)(end - s) == a->len && !isnan(v) &&
              !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0));
    if (s != stack) mem_free(s);
    if (ok) *out = v;
    return ok;
}

static bool arg_double_or_reply(cmd_ctx *c, size_t i, double *out, const char *err)
{
    if (parse_double(&c->argv[i], out)) return true;
    cmd_error(c, err ? err : CMD_ERR_NOT_FLOAT);
    return false;
}

/* One end of a score range, as Redis zslParseRange reads it: the argument
 * as a C string (it ends at a NUL byte), an optional "(", then strtod that
 * must consume the rest. "" and "(" read as 0; "1e999" as inf. */
static bool parse_range_item(const cmd_arg *a, double *v, bool *ex)
{
    char stack[NUM_STACK_BYTES];
    char *s = arg_cstr(a, stack, sizeof stack);
    const char *p = s;
    *ex = p[0] == '(';
    if (*ex) p++;
    char *end;
    *v = strtod(p, &end);
    bool ok = end[0] == '\0' && !isnan(*v);
    if (s != stack) mem_free(s);
    return ok;
}

static bool parse_range(const cmd_arg *min, const cmd_arg *max, zsl_range *r)
{
    return parse_range_item(min, &r->min, &r->minex) &&
           parse_range_item(max, &r->max, &r->maxex);
}

/* One end of a lex range (Redis zslParseLexRangeItem): "+" and "-" alone
 * (the C string, so "+\0..." counts), or "[" / "(" and the member. */
static bool parse_lex_item(const cmd_arg *a, zsl_lex_bound *b)
{
    if (a->len == 0) return false;
    *b = (zsl_lex_bound){.s = a->ptr + 1, .len = a->len - 1, .kind = ZSL_LEX_STR};
    switch (a->ptr[0]) {
    case '+':
    case '-':
        if (a->len > 1 && a->ptr[1] != '\0') return false;
        b->kind = a->ptr[0] == '+' ? ZSL_LEX_MAX : ZSL_LEX_MIN;
        b->ex = true;
        b->s = NULL;
        b->len = 0;
        return true;
    case '(':
        b->ex = true;
        return true;
    case '[':
        b->ex = false;
        return true;
    default:
        return false;
    }
}

static bool parse_lexrange(const cmd_arg *min, const cmd_arg *max, zsl_lexrange *r)
{
    return parse_lex_item(min, &r->min) && parse_lex_item(max, &r->max);
}

/* Redis getTimeoutFromObjectOrReply in seconds: a long double, times 1000,
 * truncated to an integer the way x86-64 converts (an out-of-range value
 * becomes INT64_MIN, hence "inf" and "1e20" are "negative"). 0 = forever. */
static bool timeout_or_reply(cmd_ctx *c, size_t i, int64_t *out_ms)
{
    long double v;
    if (!str_to_ld(c->argv[i].ptr, c->argv[i].len, &v)) {
        cmd_error(c, "ERR timeout is not a float or out of range");
        return false;
    }
    long double ms = v * 1000.0L;
    int64_t t = INT64_MIN;
    if (ms > -9223372036854775808.0L && ms < 9223372036854775808.0L) t = (int64_t)ms;
    if (t < 0) {
        cmd_error(c, "ERR timeout is negative");
        return false;
    }
    *out_ms = t;
    return true;
}

/* Redis getRangeLongFromObjectOrReply: err (if given) answers both a
 * non-integer and an integer out of [min, max]. */
static bool arg_range_or_reply(cmd_ctx *c, size_t i, int64_t min, int64_t max,
                               int64_t *out, const char *err)
{
    if (!cmd_arg_i64_or_reply(c, i, out, err)) return false;
    if (*out >= min && *out <= max) return true;
    if (err)
        cmd_error(c, err);
    else
        cmd_errorf(c, "ERR value is out of range, value must between %lld and %lld",
                   (long long)min, (long long)max);
    return false;
}

/* Redis getPositiveLongFromObjectOrReply: one message for both failures. */
static bool arg_positive_or_reply(cmd_ctx *c, size_t i, int64_t *out, const char *err)
{
    return arg_range_or_reply(c, i, 0, INT64_MAX, out, err ? err : ERR_POSITIVE);
}

/* ---- Scores in a listpack ------------------------------------------------------ */

/* Redis double2ll: integral scores within +-2^62 are stored as integers. */
static bool score_as_int(double d, int64_t *out)
{
    if (d < -(double)(INT64_MAX / 2) || d > (double)(INT64_MAX / 2)) return false;
    int64_t v = (int64_t)d;
    if ((double)v != d) return false;
    *out = v;
    return true;
}

/* The text of a score that is not stored as an integer (Redis d2string). */
static size_t score_text(double d, char text[SCORE_STR_BYTES_MAX])
{
    if (isinf(d)) {
        memcpy(text, d > 0 ? "inf" : "-inf", d > 0 ? 3 : 4);
        return d > 0 ? 3 : 4;
    }
    int n = snprintf(text, SCORE_STR_BYTES_MAX, "%.17g", d);
    PASSERT(n > 0 && n < SCORE_STR_BYTES_MAX);
    return (size_t)n;
}

static uint32_t lp_put_score(kv_lp **lpp, uint32_t pos, double score)
{
    int64_t v;
    if (score_as_int(score, &v)) return lp_insert_int(lpp, pos, v);
    char text[SCORE_STR_BYTES_MAX];
    size_t n = score_text(score, text);
    return lp_insert(lpp, pos, text, n);
}

/* Parses a score entry's text; false if it is not a number. */
static bool score_from_text(const char *s, size_t len, double *out)
{
    char tmp[SCORE_STR_BYTES_MAX + 1];
    if (len == 0 || len > SCORE_STR_BYTES_MAX) return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    *out = strtod(tmp, &end);
    return (size_t)(end - tmp) == len && !isnan(*out);
}

static double zzl_score(const kv_lp *lp, uint32_t spos)
{
    lp_entry e;
    lp_get(lp, spos, &e);
    if (e.is_int) return (double)e.i;
    double d = 0;
    bool ok = score_from_text(e.s, e.len, &d);
    PASSERT(ok); /* written by lp_put_score or checked by load */
    return d;
}

/* Whether a score entry is exactly what lp_put_score writes for its value. */
static bool zzl_score_canonical(const kv_lp *lp, uint32_t spos)
{
    lp_entry e;
    lp_get(lp, spos, &e);
    int64_t v;
    if (e.is_int) return score_as_int((double)e.i, &v) && v == e.i;
    double d;
    if (!score_from_text(e.s, e.len, &d) || score_as_int(d, &v)) return false;
    char text[SCORE_STR_BYTES_MAX];
    size_t n = score_text(d, text);
    return n == e.len && memcmp(text, e.s, n) == 0;
}

/* The member entry at mpos compared with m. */
static int zzl_member_cmp(const kv_lp *lp, uint32_t mpos, const char *m, size_t len)
{
    char tmp[LP_INT_BUF_BYTES];
    size_t elen;
    const char *e = lp_get_str(lp, mpos, tmp, &elen);
    return zsl_member_cmp(e, elen, m, len);
}

/* The member's entry, or LP_NONE; *score set when found. */
static uint32_t zzl_find(const kv_lp *lp, const char *m, size_t len, double *score)
{
    uint32_t pos = lp_find(lp, lp_first(lp), m, len, 1);
    if (pos != LP_NONE) *score = zzl_score(lp, lp_next(lp, pos));
    return pos;
}

/* Inserts (member, score) at its place (Redis zzlInsert); m must not point
 * into the listpack. */
static void zzl_insert(kv_lp **lpp, const char *m, size_t len, double score)
{
    const kv_lp *lp = *lpp;
    uint32_t pos = lp_first(lp);
    while (pos != LP_NONE) {
        uint32_t spos = lp_next(lp, pos);
        double s = zzl_score(lp, spos);
        if (s > score || (s == score && zzl_member_cmp(lp, pos, m, len) > 0)) break;
        pos = lp_next(lp, spos);
    }
    uint32_t at = lp_insert(lpp, pos, m, len);
    lp_put_score(lpp, lp_next(*lpp, at), score);
}

/* ---- Values of either encoding ---------------------------------------------- */

/* What a command needs to create or grow a value: the encoding limits and
 * the member-table seed (from the keyspace's). */
typedef struct zset_env {
    uint32_t entries_max;
    uint32_t value_max;
    uint64_t seed;
} zset_env;

static zset_env env_of(const cmd_ctx *c)
{
    return (zset_env){c->limits.zset_max_listpack_entries,
                      c->limits.zset_max_listpack_value,
                      rng_mix64(c->ks->hash_seed ^ ZSET_SEED_SALT)};
}

static kv_lp *zlp(const kv_obj *o)
{
    PASSERT(o->encoding == KV_ENC_LISTPACK);
    return o->v.ptr;
}

static zsl *zskl(const kv_obj *o)
{
    PASSERT(o->encoding == KV_ENC_SKIPLIST);
    return o->v.ptr;
}

static size_t zset_length(const kv_obj *o)
{
    if (o->encoding == KV_ENC_LISTPACK) return lp_count(zlp(o)) / 2;
    return zskl(o)->length;
}

/* Redis zsetTypeCreate for ZADD (7.0): a listpack unless the limits allow
 * none or the first member is already too long. */
static kv_obj *zset_new_obj(const cmd_arg *key, const zset_env *env, size_t first_len)
{
    if (env->entries_max == 0 || first_len > env->value_max)
        return kv_obj_new_value(key->ptr, key->len, KV_ZSET, KV_ENC_SKIPLIST,
                                zsl_new(env->seed));
    return kv_obj_new_value(key->ptr, key->len, KV_ZSET, KV_ENC_LISTPACK, lp_new());
}

static void zset_to_skiplist(kv_obj *o, uint64_t seed)
{
    kv_lp *lp = zlp(o);
    zsl *z = zsl_new(seed);
    for (uint32_t pos = lp_first(lp); pos != LP_NONE;) {
        char tmp[LP_INT_BUF_BYTES];
        size_t len;
        const char *m = lp_get_str(lp, pos, tmp, &len);
        uint32_t spos = lp_next(lp, pos);
        zsl_insert(z, zzl_score(lp, spos), m, len);
        pos = lp_next(lp, spos);
    }
    lp_free(lp);
    o->v.ptr = z;
    o->encoding = KV_ENC_SKIPLIST;
}

static void zset_to_listpack(kv_obj *o)
{
    zsl *z = zskl(o);
    kv_lp *lp = lp_new();
    for (const zsl_node *n = zsl_first(z); n; n = zsl_next(n)) {
        size_t len;
        const char *m = zsl_member(n, &len);
        lp_insert(&lp, LP_NONE, m, len);
        lp_put_score(&lp, LP_NONE, n->score);
    }
    zsl_free(z);
    o->v.ptr = lp;
    o->encoding = KV_ENC_LISTPACK;
}

/* Redis zsetConvertToListpackIfNeeded, for stored results. */
static void zset_compact_if_fits(kv_obj *o, const zset_env *env)
{
    if (o->encoding != KV_ENC_SKIPLIST || zset_length(o) > env->entries_max) return;
    size_t total = 0;
    for (const zsl_node *n = zsl_first(zskl(o)); n; n = zsl_next(n)) {
        if (n->member_len > env->value_max) return;
        total += n->member_len;
    }
    if (total > ZSET_LISTPACK_BYTES_SAFE) return;
    zset_to_listpack(o);
}

static bool zset_score(const kv_obj *o, const char *m, size_t len, double *score)
{
    if (o->encoding == KV_ENC_LISTPACK) return zzl_find(zlp(o), m, len, score) != LP_NONE;
    const zsl_node *n = zsl_find(zskl(o), m, len);
    if (n) *score = n->score;
    return n != NULL;
}

static bool zset_delete(kv_obj *o, const char *m, size_t len)
{
    if (o->encoding == KV_ENC_LISTPACK) {
        kv_lp *lp = zlp(o);
        uint32_t pos = lp_find(lp, lp_first(lp), m, len, 1);
        if (pos == LP_NONE) return false;
        lp_delete(&lp, pos, 2);
        o->v.ptr = lp;
        return true;
    }
    zsl_node *n = zsl_find(zskl(o), m, len);
    if (n) zsl_remove(zskl(o), n);
    return n != NULL;
}

/* 0-based rank of a member, -1 if absent. */
static int64_t zset_rank(const kv_obj *o, const char *m, size_t len, bool reverse)
{
    size_t n = zset_length(o), rank = 0;
    if (o->encoding == KV_ENC_LISTPACK) {
        const kv_lp *lp = zlp(o);
        uint32_t pos = lp_first(lp);
        while (pos != LP_NONE && !lp_eq(lp, pos, m, len)) {
            pos = lp_next(lp, lp_next(lp, pos));
            rank++;
        }
        if (pos == LP_NONE) return -1;
    } else {
        const zsl_node *node = zsl_find(zskl(o), m, len);
        if (node == NULL) return -1;
        rank = zsl_rank(zskl(o), node) - 1;
    }
    return (int64_t)(reverse ? n - 1 - rank : rank);
}

enum zadd_in { ZADD_INCR = 1, ZADD_NX = 2, ZADD_XX = 4, ZADD_GT = 8, ZADD_LT = 16 };
enum zadd_out { ZADD_NOP = 1, ZADD_ADDED = 2, ZADD_UPDATED = 4 };

/* The score after INCR and the GT/LT test: false with *out NOP when the
 * existing member stays as it is, NaN reported through *nan. */
static bool zadd_new_score(int flags, double cur, double *score, int *out, bool *nan)
{
    if (flags & ZADD_NX) {
        *out = ZADD_NOP;
        return false;
    }
    if (flags & ZADD_INCR) {
        *score += cur;
        if (isnan(*score)) {
            *nan = true;
            return false;
        }
    }
    if (((flags & ZADD_LT) && *score >= cur) || ((flags & ZADD_GT) && *score <= cur)) {
        *out = ZADD_NOP;
        return false;
    }
    return true;
}

static bool zadd_listpack(const zset_env *env, kv_obj *o, double *score, const char *m,
                          size_t len, int flags, int *out, bool *nan)
{
    kv_lp *lp = zlp(o);
    double cur;
    uint32_t pos = zzl_find(lp, m, len, &cur);
    if (pos != LP_NONE) {
        if (!zadd_new_score(flags, cur, score, out, nan)) return true;
        if (*score != cur) {
            lp_delete(&lp, pos, 2);
            zzl_insert(&lp, m, len, *score);
            o->v.ptr = lp;
            *out = ZADD_UPDATED;
        }
        return true;
    }
    if (flags & ZADD_XX) {
        *out = ZADD_NOP;
        return true;
    }
    if (lp_count(lp) / 2 + 1 > env->entries_max || len > env->value_max ||
        (uint64_t)lp->bytes + len + 16 > ZSET_LISTPACK_BYTES_SAFE) {
        zset_to_skiplist(o, env->seed);
        return false; /* continue in the skiplist */
    }
    zzl_insert(&lp, m, len, *score);
    o->v.ptr = lp;
    *out = ZADD_ADDED;
    return true;
}

/* Redis zsetAdd. Returns false (and changes nothing) when the new score
 * would be NaN. *out says what happened; *score becomes the member's score
 * (for INCR replies) unless nothing was done. */
static bool zset_add(const zset_env *env, kv_obj *o, double *score, const char *m,
                     size_t len, int flags, int *out)
{
    bool nan = false;
    *out = 0;
    PASSERT(!isnan(*score));
    if (o->encoding == KV_ENC_LISTPACK &&
        zadd_listpack(env, o, score, m, len, flags, out, &nan))
        return !nan;
    zsl *z = zskl(o);
    uint64_t hash = zsl_hash(z, m, len);
    zsl_node *n = zsl_find_h(z, m, len, hash);
    if (n != NULL) {
        if (!zadd_new_score(flags, n->score, score, out, &nan)) return !nan;
        if (*score != n->score) {
            zsl_update_score(z, n, *score);
            *out = ZADD_UPDATED;
        }
        return true;
    }
    if (flags & ZADD_XX) {
        *out = ZADD_NOP;
        return true;
    }
    zsl_insert_h(z, *score, m, len, hash);
    *out = ZADD_ADDED;
    return true;
}

/* ---- Positions: walking either encoding in order ------------------------------ */

/* A position in a sorted set: a member entry of a listpack or a node. */
typedef struct zit {
    const kv_lp *lp; /* NULL for a skiplist */
    uint32_t pos;    /* listpack: the member entry, LP_NONE past the ends */
    zsl_node *node;  /* skiplist: NULL past the ends */
} zit;

static zit zit_none(const kv_obj *o)
{
    if (o->encoding == KV_ENC_LISTPACK) return (zit){zlp(o), LP_NONE, NULL};
    return (zit){NULL, LP_NONE, NULL};
}

static bool zit_ok(const zit *it)
{
    return it->lp ? it->pos != LP_NONE : it->node != NULL;
}

static void zit_next(zit *it)
{
    if (it->lp)
        it->pos = lp_next(it->lp, lp_next(it->lp, it->pos));
    else
        it->node = zsl_next(it->node);
}

static void zit_prev(zit *it)
{
    if (it->lp)
        it->pos = it->pos == 0 ? LP_NONE : lp_prev(it->lp, lp_prev(it->lp, it->pos));
    else
        it->node = zsl_prev(it->node);
}

static void zit_step(zit *it, bool reverse)
{
    if (reverse)
        zit_prev(it);
    else
        zit_next(it);
}

static const char *zit_member(const zit *it, char tmp[LP_INT_BUF_BYTES], size_t *len)
{
    if (it->lp) return lp_get_str(it->lp, it->pos, tmp, len);
    return zsl_member(it->node, len);
}

static double zit_score(const zit *it)
{
    return it->lp ? zzl_score(it->lp, lp_next(it->lp, it->pos)) : it->node->score;
}

/* The element at a 0-based rank (rank < length). */
static zit zit_at(const kv_obj *o, size_t rank)
{
    zit it = zit_none(o);
    if (it.lp)
        it.pos = lp_seek(it.lp, (int64_t)rank * 2);
    else
        it.node = zsl_at_rank(zskl(o), rank + 1);
    PASSERT(zit_ok(&it));
    return it;
}

static bool zit_gte_min(const zit *it, const zsl_range *r, const zsl_lexrange *lex)
{
    if (r) return zsl_gte_min(zit_score(it), r);
    char tmp[LP_INT_BUF_BYTES];
    size_t len;
    const char *m = zit_member(it, tmp, &len);
    return zsl_lex_gte_min(m, len, lex);
}

static bool zit_lte_max(const zit *it, const zsl_range *r, const zsl_lexrange *lex)
{
    if (r) return zsl_lte_max(zit_score(it), r);
    char tmp[LP_INT_BUF_BYTES];
    size_t len;
    const char *m = zit_member(it, tmp, &len);
    return zsl_lex_lte_max(m, len, lex);
}

/* Redis zzlIsInRange and zzlIsInLexRange: whether the range may hold
 * anything, judged from its ends and the set's first and last elements
 * only (with mixed scores a lex range can thus look empty, as in Redis). */
static bool zzl_may_hold(const kv_obj *o, const zsl_range *r, const zsl_lexrange *lex)
{
    if (r ? zsl_range_empty(r) : zsl_lexrange_empty(lex)) return false;
    zit last = zit_at(o, zset_length(o) - 1), first = zit_at(o, 0);
    return zit_gte_min(&last, r, lex) && zit_lte_max(&first, r, lex);
}

/* The first element in a score range (r) or lex range (lex), or the last
 * one when reverse; none if the range holds nothing. A listpack is walked
 * (Redis zzlFirstInRange and friends), a skiplist searched. */
static zit zit_range_start(const kv_obj *o, const zsl_range *r, const zsl_lexrange *lex,
                           bool reverse)
{
    zit it = zit_none(o);
    if (!it.lp) {
        const zsl *z = zskl(o);
        if (r)
            it.node = reverse ? zsl_last_in_range(z, r) : zsl_first_in_range(z, r);
        else
            it.node =
                reverse ? zsl_last_in_lexrange(z, lex) : zsl_first_in_lexrange(z, lex);
        return it;
    }
    if (!zzl_may_hold(o, r, lex)) return it;
    it = zit_at(o, reverse ? zset_length(o) - 1 : 0);
    while (zit_ok(&it)) {
        bool inside = reverse ? zit_lte_max(&it, r, lex) : zit_gte_min(&it, r, lex);
        if (inside) break;
        zit_step(&it, reverse);
    }
    if (zit_ok(&it) && !(reverse ? zit_gte_min(&it, r, lex) : zit_lte_max(&it, r, lex)))
        it.pos = LP_NONE;
    return it;
}

/* ZCOUNT and ZLEXCOUNT. A skiplist counts by ranks (Redis subtracts them
 * in unsigned arithmetic and replies the result as signed: a lex range
 * over mixed scores can come out negative there, and here too). */
static int64_t zset_count_range(const kv_obj *o, const zsl_range *r,
                                const zsl_lexrange *lex)
{
    zit first = zit_range_start(o, r, lex, false);
    if (!zit_ok(&first)) return 0;
    if (first.lp == NULL) {
        const zsl *z = zskl(o);
        int64_t len = (int64_t)z->length;
        int64_t count = len - ((int64_t)zsl_rank(z, first.node) - 1);
        zit last = zit_range_start(o, r, lex, true);
        if (zit_ok(&last)) count -= len - (int64_t)zsl_rank(z, last.node);
        return count;
    }
    int64_t n = 0;
    for (zit it = first; zit_ok(&it) && zit_lte_max(&it, r, lex); zit_next(&it))
        n++;
    return n;
}

/* Deletes the members in a score or lex range; returns how many. */
static size_t zset_delete_range(kv_obj *o, const zsl_range *r, const zsl_lexrange *lex)
{
    if (o->encoding == KV_ENC_SKIPLIST)
        return r ? zsl_delete_range(zskl(o), r) : zsl_delete_lexrange(zskl(o), lex);
    zit first = zit_range_start(o, r, lex, false);
    if (!zit_ok(&first)) return 0;
    size_t n = 0;
    for (zit it = first; zit_ok(&it) && zit_lte_max(&it, r, lex); zit_next(&it))
        n++;
    kv_lp *lp = zlp(o);
    lp_delete(&lp, first.pos, (uint32_t)(n * 2));
    o->v.ptr = lp;
    return n;
}

/* Deletes the members of 0-based ranks start..end (valid, inclusive). */
static size_t zset_delete_ranks(kv_obj *o, size_t start, size_t end)
{
    if (o->encoding == KV_ENC_SKIPLIST)
        return zsl_delete_ranks(zskl(o), start + 1, end + 1);
    kv_lp *lp = zlp(o);
    lp_delete(&lp, lp_seek(lp, (int64_t)start * 2), (uint32_t)((end - start + 1) * 2));
    o->v.ptr = lp;
    return end - start + 1;
}

/* ---- kv_type_ops ---------------------------------------------------------------- */

static void zset_free_value(kv_obj *o)
{
    if (o->encoding == KV_ENC_LISTPACK)
        lp_free(o->v.ptr);
    else
        zsl_free(o->v.ptr);
    o->v.ptr = NULL;
}

static size_t zset_value_bytes(const kv_obj *o)
{
    if (o->encoding == KV_ENC_LISTPACK) return lp_alloc_bytes(zlp(o));
    return zsl_bytes(zskl(o));
}

static size_t zset_ops_length(const kv_obj *o)
{
    return zset_length(o);
}

static void zset_foreach(const kv_obj *o, kv_foreach_fn *fn, void *arg)
{
    for (zit it = zit_at(o, 0); zit_ok(&it); zit_next(&it)) {
        char tmp[LP_INT_BUF_BYTES];
        size_t len;
        const char *m = zit_member(&it, tmp, &len);
        fn(arg, m, len, zit_score(&it));
    }
}

static void digest_one(void *arg, const char *m, size_t len, double score)
{
    uint64_t bits;
    memcpy(&bits, &score, sizeof bits);
    /* A sum of per-member terms: the same whatever the order or encoding. */
    *(uint64_t *)arg += rng_mix64(kv_digest_bytes(m, len) ^ rng_mix64(bits));
}

static uint64_t zset_digest(const kv_obj *o)
{
    uint64_t sum = 0;
    zset_foreach(o, digest_one, &sum);
    return kv_digest_chain(sum, zset_length(o));
}

static void zset_dump(const kv_obj *o, kv_dump_writer *w)
{
    if (o->encoding == KV_ENC_LISTPACK) {
        const kv_lp *lp = zlp(o);
        kvd_put_varint(w, lp->count);
        kvd_put_str(w, lp->data, lp->bytes);
        return;
    }
    const zsl *z = zskl(o);
    kvd_put_u64(w, z->seed);
    kvd_put_varint(w, z->length);
    for (const zsl_node *n = zsl_first(z); n; n = zsl_next(n)) {
        size_t len;
        const char *m = zsl_member(n, &len);
        kvd_put_str(w, m, len);
        kvd_put_double(w, n->score);
    }
}

static int member_cmp_qsort(const void *a, const void *b)
{
    const lp_entry *x = a, *y = b;
    return zsl_member_cmp(x->s, x->len, y->s, y->len);
}

/* Members of a listpack as (s, len) entries; integers are formatted into
 * digits (room for them after the entries). */
static lp_entry *lp_members(const kv_lp *lp, size_t n)
{
    lp_entry *all = mem_alloc(n * (sizeof(lp_entry) + LP_INT_BUF_BYTES));
    char *digits = (char *)(all + n);
    uint32_t pos = lp_first(lp);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *m = lp_get_str(lp, pos, digits + i * LP_INT_BUF_BYTES, &len);
        all[i] = (lp_entry){.s = m, .len = len};
        pos = lp_next(lp, lp_next(lp, pos));
    }
    return all;
}

/* Scores canonical and in (score, member) order, members unique. */
static bool zzl_valid(const kv_lp *lp)
{
    size_t n = lp_count(lp) / 2;
    zit prev = {lp, LP_NONE, NULL};
    for (zit it = {lp, lp_first(lp), NULL}; zit_ok(&it); zit_next(&it)) {
        if (!zzl_score_canonical(lp, lp_next(lp, it.pos))) return false;
        if (zit_ok(&prev)) {
            double a = zit_score(&prev), b = zit_score(&it);
            char tmp[LP_INT_BUF_BYTES];
            size_t len;
            const char *m = zit_member(&it, tmp, &len);
            if (a > b || (a == b && zzl_member_cmp(lp, prev.pos, m, len) >= 0))
                return false;
        }
        prev = it;
    }
    lp_entry *members = lp_members(lp, n);
    qsort(members, n, sizeof *members, member_cmp_qsort);
    bool unique = true;
    for (size_t i = 1; i < n && unique; i++)
        unique = member_cmp_qsort(&members[i - 1], &members[i]) != 0;
    mem_free(members);
    return unique;
}

static bool load_listpack(kv_obj *o, kv_dump_reader *r)
{
    kv_lp *lp = kvd_get_pair_listpack(r, ZSET_LISTPACK_BYTES_SAFE, zzl_valid);
    o->v.ptr = lp;
    return lp != NULL;
}

static bool load_skiplist(kv_obj *o, kv_dump_reader *r)
{
    uint64_t seed, count;
    if (!kvd_get_u64(r, &seed) || !kvd_get_varint(r, &count) || count == 0) return false;
    zsl *z = zsl_new(seed);
    o->v.ptr = z;
    for (uint64_t i = 0; i < count; i++) {
        const char *m;
        size_t len;
        double score;
        if (!kvd_get_str(r, &m, &len, ZSL_MEMBER_BYTES_MAX) || !kvd_get_double(r, &score))
            return false;
        if (m == NULL) m = ""; /* an empty member */
        const zsl_node *last = zsl_last(z);
        if (last) {
            size_t llen;
            const char *lm = zsl_member(last, &llen);
            if (last->score > score ||
                (last->score == score && zsl_member_cmp(lm, llen, m, len) >= 0))
                return false;
        }
        if (zsl_find(z, m, len) != NULL) return false;
        zsl_insert(z, score, m, len);
    }
    return true;
}

static bool zset_load(kv_obj *o, kv_dump_reader *r)
{
    bool ok = false;
    if (o->encoding == KV_ENC_LISTPACK)
        ok = load_listpack(o, r);
    else if (o->encoding == KV_ENC_SKIPLIST)
        ok = load_skiplist(o, r);
    if (!ok) {
        kvd_corrupt(r);
        if (o->v.ptr) zset_free_value(o);
    }
    return ok;
}

const kv_type_ops kv_zset_ops = {
    .free_value = zset_free_value,
    .value_bytes = zset_value_bytes,
    .dump = zset_dump,
    .load = zset_load,
    .digest = zset_digest,
    .length = zset_ops_length,
    .foreach = zset_foreach,
};

/* ---- Command helpers ---------------------------------------------------------- */

/* Looks a key up for reading; replies WRONGTYPE and returns false for
 * another type. *out is NULL for a missing key. */
static bool lookup_read(cmd_ctx *c, size_t i, kv_obj **out)
{
    *out = kv_lookup_read(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms);
    if (*out != NULL && (*out)->type != KV_ZSET) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

static bool lookup_write(cmd_ctx *c, size_t i, kv_obj **out)
{
    *out = kv_lookup_write(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms);
    if (*out != NULL && (*out)->type != KV_ZSET) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

/* After a change: deletes the key if its set became empty (Redis never
 * keeps an empty collection), else stamps the revision. */
static void changed(cmd_ctx *c, kv_obj *o)
{
    if (zset_length(o) == 0)
        kv_delete(c->ks, o->data, o->key_len);
    else
        kv_touch(c->ks, o, c->revision);
}

/* Redis setKey for a computed result: replaces whatever the key held (and
 * its TTL), or, for an empty result (fresh == NULL), deletes the key. */
static void store_result(cmd_ctx *c, size_t key_arg, kv_obj *fresh)
{
    const cmd_arg *key = &c->argv[key_arg];
    kv_obj *old = kv_lookup_write(c->ks, key->ptr, key->len, c->now_ms);
    if (fresh == NULL) {
        if (old) kv_delete(c->ks, key->ptr, key->len);
        return;
    }
    fresh->revision = c->revision;
    if (old) {
        kv_persist(c->ks, old);
        kv_replace(c->ks, old, fresh);
    } else {
        kv_insert(c->ks, fresh);
    }
}

static bool is_resp3(const cmd_ctx *c)
{
    return c->w->proto == 3;
}

/* One member of a reply that may carry scores: RESP3 nests each pair. */
static void reply_member(cmd_ctx *c, const char *m, size_t len, double score,
                         bool withscores)
{
    if (withscores && is_resp3(c)) resp_array(c->w, 2);
    resp_bulk(c->w, m, len);
    if (withscores) resp_double(c->w, score);
}

/* The array header for n members (flat pairs in RESP2 with scores). */
static void reply_members_header(cmd_ctx *c, size_t n, bool withscores)
{
    resp_array(c->w, withscores && !is_resp3(c) ? n * 2 : n);
}

/* ---- ZADD ZINCRBY ----------------------------------------------------------------- */

/* Redis zaddGenericCommand's option prefix; returns the index of the first
 * score. */
static size_t zadd_options(cmd_ctx *c, int *flags, bool *ch)
{
    size_t i = 2;
    for (; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "nx"))
            *flags |= ZADD_NX;
        else if (cmd_arg_is(c, i, "xx"))
            *flags |= ZADD_XX;
        else if (cmd_arg_is(c, i, "ch"))
            *ch = true;
        else if (cmd_arg_is(c, i, "incr"))
            *flags |= ZADD_INCR;
        else if (cmd_arg_is(c, i, "gt"))
            *flags |= ZADD_GT;
        else if (cmd_arg_is(c, i, "lt"))
            *flags |= ZADD_LT;
        else
            break;
    }
    return i;
}

static bool zadd_check_flags_or_reply(cmd_ctx *c, int flags, size_t pairs)
{
    if ((flags & ZADD_NX) && (flags & ZADD_XX)) {
        cmd_error(c, "ERR XX and NX options at the same time are not compatible");
        return false;
    }
    if (((flags & ZADD_GT) && (flags & ZADD_NX)) ||
        ((flags & ZADD_LT) && (flags & ZADD_NX)) ||
        ((flags & ZADD_GT) && (flags & ZADD_LT))) {
        cmd_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return false;
    }
    if ((flags & ZADD_INCR) && pairs > 1) {
        cmd_error(c, "ERR INCR option supports a single increment-element pair");
        return false;
    }
    return true;
}

typedef struct zadd_result {
    size_t added, updated, processed;
    double score; /* the last processed member's score (INCR) */
    bool nan;
} zadd_result;

static void zadd_apply(cmd_ctx *c, kv_obj *o, size_t first, const double *scores,
                       size_t pairs, int flags, zadd_result *res)
{
    zset_env env = env_of(c);
    for (size_t j = 0; j < pairs; j++) {
        const cmd_arg *m = &c->argv[first + 1 + j * 2];
        double score = scores[j];
        int out;
        if (!zset_add(&env, o, &score, m->ptr, m->len, flags, &out)) {
            res->nan = true;
            return;
        }
        if (out & ZADD_ADDED) res->added++;
        if (out & ZADD_UPDATED) res->updated++;
        if (!(out & ZADD_NOP)) {
            res->processed++;
            res->score = score;
        }
    }
}

/* Redis zaddGenericCommand: options, pairing, option conflicts, every score
 * parsed, then the key looked up; all or nothing. */
static void zadd_generic(cmd_ctx *c, int flags)
{
    bool ch = false;
    size_t first = zadd_options(c, &flags, &ch);
    size_t elements = c->argc - first;
    if (elements == 0 || elements % 2 != 0) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    size_t pairs = elements / 2;
    if (!zadd_check_flags_or_reply(c, flags, pairs)) return;
    double stack_scores[16];
    double *scores = pairs <= 16 ? stack_scores : mem_alloc(pairs * sizeof *scores);
    kv_obj *o = NULL;
    zadd_result res = {0, 0, 0, 0, false};
    for (size_t j = 0; j < pairs; j++)
        if (!arg_double_or_reply(c, first + j * 2, &scores[j], NULL)) goto done;
    if (!lookup_write(c, 1, &o)) goto done;
    if (o == NULL && !(flags & ZADD_XX)) {
        zset_env env = env_of(c);
        o = zset_new_obj(&c->argv[1], &env, c->argv[first + 1].len);
        o->revision = c->revision;
        kv_insert(c->ks, o);
    }
    if (o != NULL) zadd_apply(c, o, first, scores, pairs, flags, &res);
    if (o != NULL && (res.added || res.updated || zset_length(o) == 0)) changed(c, o);
    if (res.nan)
        cmd_error(c, ERR_NAN_SCORE);
    else if (!(flags & ZADD_INCR))
        resp_int(c->w, (int64_t)(ch ? res.added + res.updated : res.added));
    else if (res.processed)
        resp_double(c->w, res.score);
    else
        resp_null(c->w);
done:
    if (scores != stack_scores) mem_free(scores);
}

void kvcmd_zadd(cmd_ctx *c)
{
    zadd_generic(c, 0);
}

void kvcmd_zincrby(cmd_ctx *c)
{
    zadd_generic(c, ZADD_INCR);
}

/* ---- ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK --------------------------------
 */

void kvcmd_zrem(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_write(c, 1, &o)) return;
    int64_t deleted = 0;
    for (size_t i = 2; o != NULL && i < c->argc; i++) {
        if (zset_delete(o, c->argv[i].ptr, c->argv[i].len)) deleted++;
        if (zset_length(o) == 0) break;
    }
    if (deleted) changed(c, o);
    resp_int(c->w, deleted);
}

void kvcmd_zscore(cmd_ctx *c)
{
    kv_obj *o;
    double score;
    if (!lookup_read(c, 1, &o)) return;
    if (o && zset_score(o, c->argv[2].ptr, c->argv[2].len, &score))
        resp_double(c->w, score);
    else
        resp_null(c->w);
}

void kvcmd_zmscore(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_read(c, 1, &o)) return;
    resp_array(c->w, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        double score;
        if (o && zset_score(o, c->argv[i].ptr, c->argv[i].len, &score))
            resp_double(c->w, score);
        else
            resp_null(c->w);
    }
}

void kvcmd_zcard(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_read(c, 1, &o)) return;
    resp_int(c->w, o ? (int64_t)zset_length(o) : 0);
}

/* The range is parsed before the key is looked up, as Redis. */
void kvcmd_zcount(cmd_ctx *c)
{
    zsl_range r;
    if (!parse_range(&c->argv[2], &c->argv[3], &r)) {
        cmd_error(c, ERR_MINMAX_FLOAT);
        return;
    }
    kv_obj *o;
    if (!lookup_read(c, 1, &o)) return;
    resp_int(c->w, o ? zset_count_range(o, &r, NULL) : 0);
}

void kvcmd_zlexcount(cmd_ctx *c)
{
    zsl_lexrange r;
    if (!parse_lexrange(&c->argv[2], &c->argv[3], &r)) {
        cmd_error(c, ERR_MINMAX_LEX);
        return;
    }
    kv_obj *o;
    if (!lookup_read(c, 1, &o)) return;
    resp_int(c->w, o ? zset_count_range(o, NULL, &r) : 0);
}

static void zrank_generic(cmd_ctx *c, bool reverse)
{
    kv_obj *o;
    if (!lookup_read(c, 1, &o)) return;
    int64_t rank = o ? zset_rank(o, c->argv[2].ptr, c->argv[2].len, reverse) : -1;
    if (rank >= 0)
        resp_int(c->w, rank);
    else
        resp_null(c->w);
}

void kvcmd_zrank(cmd_ctx *c)
{
    zrank_generic(c, false);
}

void kvcmd_zrevrank(cmd_ctx *c)
{
    zrank_generic(c, true);
}

/* ---- ZRANGE and friends -------------------------------------------------------------
 */

enum zrange_kind { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum zrange_dir { ZD_AUTO, ZD_FORWARD, ZD_REVERSE };

typedef struct zrange_req {
    size_t dst_arg; /* ZRANGESTORE's destination; 0 replies to the client */
    size_t src_arg;
    int kind, dir;
    bool withscores;
    int64_t offset, limit; /* limit -1: no limit */
    int64_t start, end;    /* ZR_RANK */
    zsl_range range;       /* ZR_SCORE */
    zsl_lexrange lex;      /* ZR_LEX */
} zrange_req;

/* Where a range goes: to the client (an array, its length deferred when
 * not known up front) or into a new value for ZRANGESTORE. */
typedef struct zsink {
    cmd_ctx *c;
    const zrange_req *q;
    zset_env env;
    kv_obj *dst; /* store: the value being built */
    size_t count;
    size_t mark;
    bool deferred;
} zsink;

static void zsink_begin(zsink *s, int64_t length)
{
    cmd_ctx *c = s->c;
    s->count = 0;
    s->deferred = false;
    if (s->q->dst_arg) {
        /* Redis zrangeResultBeginStore: a skiplist up front when the count
         * is known to exceed the limit (a listpack would turn -0 into 0
         * before converting), else a listpack that converts as it grows. */
        const cmd_arg *key = &c->argv[s->q->dst_arg];
        if (length > (int64_t)s->env.entries_max)
            s->dst = kv_obj_new_value(key->ptr, key->len, KV_ZSET, KV_ENC_SKIPLIST,
                                      zsl_new(s->env.seed));
        else
            s->dst = zset_new_obj(key, &s->env, 0);
    } else if (length >= 0) {
        reply_members_header(c, (size_t)length, s->q->withscores);
    } else {
        s->mark = resp_defer(c->w);
        s->deferred = true;
    }
}

static void zsink_emit(zsink *s, const zit *it)
{
    char tmp[LP_INT_BUF_BYTES];
    size_t len;
    const char *m = zit_member(it, tmp, &len);
    double score = zit_score(it);
    s->count++;
    if (s->dst == NULL) {
        reply_member(s->c, m, len, score, s->q->withscores);
        return;
    }
    int out;
    bool ok = zset_add(&s->env, s->dst, &score, m, len, 0, &out);
    PASSERT(ok && out == ZADD_ADDED);
}

static void zsink_end(zsink *s)
{
    cmd_ctx *c = s->c;
    if (s->dst != NULL) {
        if (s->count == 0) {
            kv_obj_free(s->dst);
            s->dst = NULL;
        }
        store_result(c, s->q->dst_arg, s->dst);
        resp_int(c->w, (int64_t)s->count);
    } else if (s->deferred) {
        bool flat = s->q->withscores && !is_resp3(c);
        resp_defer_array(c->w, s->mark, flat ? s->count * 2 : s->count);
    }
}

/* Redis genericZrangebyrankCommand. */
static void zrange_rank(zsink *s, const kv_obj *o)
{
    const zrange_req *q = s->q;
    int64_t llen = (int64_t)zset_length(o), start = q->start, end = q->end;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
        zsink_begin(s, 0);
        zsink_end(s);
        return;
    }
    if (end >= llen) end = llen - 1;
    int64_t n = end - start + 1;
    bool reverse = q->dir == ZD_REVERSE;
    zsink_begin(s, n);
    zit it = zit_at(o, (size_t)(reverse ? llen - 1 - start : start));
    for (int64_t i = 0; i < n; i++, zit_step(&it, reverse))
        zsink_emit(s, &it);
    zsink_end(s);
}

/* Redis genericZrangebyscoreCommand and genericZrangebylexCommand: a
 * negative offset walks off the end (an empty result), a negative limit
 * means no limit. */
static void zrange_by(zsink *s, const kv_obj *o)
{
    const zrange_req *q = s->q;
    const zsl_range *r = q->kind == ZR_SCORE ? &q->range : NULL;
    const zsl_lexrange *lex = q->kind == ZR_LEX ? &q->lex : NULL;
    bool reverse = q->dir == ZD_REVERSE;
    zsink_begin(s, -1);
    int64_t offset = q->offset, limit = q->limit;
    if ((offset > 0 && offset >= (int64_t)zset_length(o)) || offset < 0) {
        zsink_end(s);
        return;
    }
    zit it = zit_range_start(o, r, lex, reverse);
    while (zit_ok(&it) && offset-- > 0)
        zit_step(&it, reverse);
    bool unlimited = limit < 0;
    while (zit_ok(&it) && (unlimited || limit-- > 0)) {
        if (reverse ? !zit_gte_min(&it, r, lex) : !zit_lte_max(&it, r, lex)) break;
        zsink_emit(s, &it);
        zit_step(&it, reverse);
    }
    zsink_end(s);
}

/* Step 1 of Redis zrangeGenericCommand: the options after <src> <min> <max>. */
static bool zrange_options(cmd_ctx *c, zrange_req *q)
{
    for (size_t j = q->src_arg + 3; j < c->argc; j++) {
        size_t left = c->argc - j - 1;
        if (!q->dst_arg && cmd_arg_is(c, j, "withscores")) {
            q->withscores = true;
        } else if (cmd_arg_is(c, j, "limit") && left >= 2) {
            if (!cmd_arg_i64_or_reply(c, j + 1, &q->offset, NULL) ||
                !cmd_arg_i64_or_reply(c, j + 2, &q->limit, NULL))
                return false;
            j += 2;
        } else if (q->dir == ZD_AUTO && cmd_arg_is(c, j, "rev")) {
            q->dir = ZD_REVERSE;
        } else if (q->kind == ZR_AUTO && cmd_arg_is(c, j, "bylex")) {
            q->kind = ZR_LEX;
        } else if (q->kind == ZR_AUTO && cmd_arg_is(c, j, "byscore")) {
            q->kind = ZR_SCORE;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

/* Steps 1 and 2: options, conflicts, then the range ([max, min] when
 * reversed by score or lex). */
static bool zrange_parse(cmd_ctx *c, zrange_req *q)
{
    if (!zrange_options(c, q)) return false;
    if (q->dir == ZD_AUTO) q->dir = ZD_FORWARD;
    if (q->kind == ZR_AUTO) q->kind = ZR_RANK;
    if (q->limit != -1 && q->kind == ZR_RANK) {
        cmd_error(c,
                  "ERR syntax error, LIMIT is only supported in combination with either "
                  "BYSCORE or BYLEX");
        return false;
    }
    if (q->withscores && q->kind == ZR_LEX) {
        cmd_error(c,
                  "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return false;
    }
    size_t min = q->src_arg + 1, max = q->src_arg + 2;
    if (q->dir == ZD_REVERSE && q->kind != ZR_RANK) {
        min = q->src_arg + 2;
        max = q->src_arg + 1;
    }
    if (q->kind == ZR_RANK)
        return cmd_arg_i64_or_reply(c, min, &q->start, NULL) &&
               cmd_arg_i64_or_reply(c, max, &q->end, NULL);
    if (q->kind == ZR_SCORE && !parse_range(&c->argv[min], &c->argv[max], &q->range)) {
        cmd_error(c, ERR_MINMAX_FLOAT);
        return false;
    }
    if (q->kind == ZR_LEX && !parse_lexrange(&c->argv[min], &c->argv[max], &q->lex)) {
        cmd_error(c, ERR_MINMAX_LEX);
        return false;
    }
    return true;
}

static void zrange_generic(cmd_ctx *c, size_t dst_arg, int kind, int dir)
{
    zrange_req q = {.dst_arg = dst_arg,
                    .src_arg = dst_arg ? 2 : 1,
                    .kind = kind,
                    .dir = dir,
                    .limit = -1};
    if (!zrange_parse(c, &q)) return;
    zsink s = {.c = c, .q = &q, .env = env_of(c)};
    kv_obj *o =
        kv_lookup_read(c->ks, c->argv[q.src_arg].ptr, c->argv[q.src_arg].len, c->now_ms);
    if (o == NULL) {
        if (dst_arg) {
            zsink_begin(&s, -1);
            zsink_end(&s);
        } else {
            resp_array(c->w, 0);
        }
        return;
    }
    if (o->type != KV_ZSET) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return;
    }
    if (q.kind == ZR_RANK)
        zrange_rank(&s, o);
    else
        zrange_by(&s, o);
}

void kvcmd_zrange(cmd_ctx *c)
{
    zrange_generic(c, 0, ZR_AUTO, ZD_AUTO);
}

void kvcmd_zrangestore(cmd_ctx *c)
{
    zrange_generic(c, 1, ZR_AUTO, ZD_AUTO);
}

void kvcmd_zrevrange(cmd_ctx *c)
{
    zrange_generic(c, 0, ZR_RANK, ZD_REVERSE);
}

void kvcmd_zrangebyscore(cmd_ctx *c)
{
    zrange_generic(c, 0, ZR_SCORE, ZD_FORWARD);
}

void kvcmd_zrevrangebyscore(cmd_ctx *c)
{
    zrange_generic(c, 0, ZR_SCORE, ZD_REVERSE);
}

void kvcmd_zrangebylex(cmd_ctx *c)
{
    zrange_generic(c, 0, ZR_LEX, ZD_FORWARD);
}

void kvcmd_zrevrangebylex(cmd_ctx *c)
{
    zrange_generic(c, 0, ZR_LEX, ZD_REVERSE);
}

/* ---- ZPOPMIN ZPOPMAX ZMPOP and the blocking forms ------------------------------------
 */

enum pop_shape {
    POP_FLAT,   /* member, score, ... (ZPOPMIN/ZPOPMAX in RESP2 or without a count) */
    POP_NESTED, /* [member, score], ... (ZPOPMIN/ZPOPMAX with a count in RESP3) */
    POP_KEYED,  /* key, member, score (BZPOPMIN/BZPOPMAX) */
    POP_MULTI,  /* [key, [[member, score], ...]] (ZMPOP/BZMPOP) */
};

/* Pops up to count (>= 1) members from the live set o at argv[key_arg] and
 * replies in the given shape (Redis genericZpopCommand's serving part). */
static void zpop_serve(cmd_ctx *c, kv_obj *o, size_t key_arg, bool max, int64_t count,
                       int shape)
{
    size_t len = zset_length(o);
    size_t n = (uint64_t)count > len ? len : (size_t)count;
    const cmd_arg *key = &c->argv[key_arg];
    if (shape == POP_FLAT) {
        resp_array(c->w, n * 2);
    } else if (shape == POP_NESTED) {
        resp_array(c->w, n);
    } else if (shape == POP_KEYED) {
        resp_array(c->w, n * 2 + 1);
        resp_bulk(c->w, key->ptr, key->len);
    } else {
        resp_array(c->w, 2);
        resp_bulk(c->w, key->ptr, key->len);
        resp_array(c->w, n);
    }
    for (size_t i = 0; i < n; i++) {
        zit it = zit_at(o, max ? zset_length(o) - 1 : 0);
        char tmp[LP_INT_BUF_BYTES];
        size_t mlen;
        const char *m = zit_member(&it, tmp, &mlen);
        if (shape == POP_NESTED || shape == POP_MULTI) resp_array(c->w, 2);
        resp_bulk(c->w, m, mlen);
        resp_double(c->w, zit_score(&it));
        if (it.lp) {
            kv_lp *lp = zlp(o);
            lp_delete(&lp, it.pos, 2);
            o->v.ptr = lp;
        } else {
            zsl_remove(zskl(o), it.node);
        }
    }
    changed(c, o);
}

/* Redis genericZpopCommand: the first key that exists is popped (a key of
 * another type before it is an error); none answers empty or null. */
static void zpop_generic(cmd_ctx *c, size_t first_key, size_t nkeys, bool max,
                         int64_t count, int shape, bool null_when_empty)
{
    kv_obj *o = NULL;
    size_t i = 0;
    for (; i < nkeys && o == NULL; i++)
        if (!lookup_write(c, first_key + i, &o)) return;
    if (o == NULL) {
        if (null_when_empty)
            resp_null_array(c->w);
        else
            resp_array(c->w, 0);
        return;
    }
    if (count == 0) {
        resp_array(c->w, 0);
        return;
    }
    zpop_serve(c, o, first_key + i - 1, max, count == -1 ? 1 : count, shape);
}

static void zpop_command(cmd_ctx *c, bool max)
{
    if (c->argc > 3) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    int64_t count = -1; /* plain single pop */
    if (c->argc == 3 && !arg_positive_or_reply(c, 2, &count, NULL)) return;
    int shape = is_resp3(c) && count != -1 ? POP_NESTED : POP_FLAT;
    zpop_generic(c, 1, 1, max, count, shape, false);
}

void kvcmd_zpopmin(cmd_ctx *c)
{
    zpop_command(c, false);
}

void kvcmd_zpopmax(cmd_ctx *c)
{
    zpop_command(c, true);
}

/* Redis blockingGenericZpopCommand: the timeout is parsed first; the first
 * key holding members is served; with none the client blocks (the server
 * parks it) or, where it cannot, gets the timeout reply (a null array). */
static void bzpop_generic(cmd_ctx *c, size_t first_key, size_t nkeys, size_t timeout_arg,
                          bool max, int64_t count, int shape)
{
    int64_t timeout_ms;
    if (!timeout_or_reply(c, timeout_arg, &timeout_ms)) return;
    for (size_t i = 0; i < nkeys; i++) {
        const cmd_arg *key = &c->argv[first_key + i];
        kv_obj *o = kv_lookup_write(c->ks, key->ptr, key->len, c->now_ms);
        /* At the deadline Redis answers null whatever the keys hold now: a
         * key that became another type while the client waited is skipped
         * (it is an error only when the command first runs). */
        if (o != NULL && o->type != KV_ZSET && c->timed_out) continue;
        if (o != NULL && o->type != KV_ZSET) {
            cmd_error(c, CMD_ERR_WRONGTYPE);
            return;
        }
        if (o == NULL || zset_length(o) == 0) continue;
        zpop_serve(c, o, first_key + i, max, count == -1 ? 1 : count, shape);
        return;
    }
    if (c->timed_out || c->no_block) {
        resp_null_array(c->w);
        return;
    }
    c->block = true;
    c->block_timeout_ms = timeout_ms;
}

void kvcmd_bzpopmin(cmd_ctx *c)
{
    bzpop_generic(c, 1, c->argc - 2, c->argc - 1, false, -1, POP_KEYED);
}

void kvcmd_bzpopmax(cmd_ctx *c)
{
    bzpop_generic(c, 1, c->argc - 2, c->argc - 1, true, -1, POP_KEYED);
}

/* Redis zmpopGenericCommand: numkeys, then MIN|MAX, then COUNT (once);
 * the blocking form parses its timeout only after all of these. */
static void zmpop_generic(cmd_ctx *c, size_t numkeys_arg, bool block)
{
    int64_t numkeys, count = -1;
    if (!arg_range_or_reply(c, numkeys_arg, 1, INT64_MAX, &numkeys,
                            "ERR numkeys should be greater than 0"))
        return;
    if ((uint64_t)numkeys >= c->argc - numkeys_arg - 1) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    size_t where = numkeys_arg + (size_t)numkeys + 1;
    bool max = cmd_arg_is(c, where, "max");
    if (!max && !cmd_arg_is(c, where, "min")) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    for (size_t j = where + 1; j < c->argc; j++) {
        if (count == -1 && cmd_arg_is(c, j, "count") && j + 1 < c->argc) {
            if (!arg_range_or_reply(c, ++j, 1, INT64_MAX, &count,
                                    "ERR count should be greater than 0"))
                return;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    if (block)
        bzpop_generic(c, numkeys_arg + 1, (size_t)numkeys, 1, max, count, POP_MULTI);
    else
        zpop_generic(c, numkeys_arg + 1, (size_t)numkeys, max, count, POP_MULTI, true);
}

void kvcmd_zmpop(cmd_ctx *c)
{
    zmpop_generic(c, 1, false);
}

void kvcmd_bzmpop(cmd_ctx *c)
{
    zmpop_generic(c, 2, true);
}

/* ---- ZRANDMEMBER
 * ------------------------------------------------------------------------ */

/* Random access by rank: a listpack's member offsets gathered once, a
 * skiplist searched by rank. */
typedef struct zpicker {
    const kv_obj *o;
    uint32_t *pos; /* listpack member offsets, or NULL */
    size_t n;
} zpicker;

static void zpicker_init(zpicker *p, const kv_obj *o)
{
    p->o = o;
    p->n = zset_length(o);
    p->pos = NULL;
    if (o->encoding != KV_ENC_LISTPACK) return;
    const kv_lp *lp = zlp(o);
    p->pos = mem_alloc(p->n * sizeof *p->pos);
    uint32_t at = lp_first(lp);
    for (size_t i = 0; i < p->n; i++) {
        p->pos[i] = at;
        at = lp_next(lp, lp_next(lp, at));
    }
}

static zit zpicker_at(const zpicker *p, size_t rank)
{
    if (p->pos == NULL) return zit_at(p->o, rank);
    return (zit){zlp(p->o), p->pos[rank], NULL};
}

static void reply_zit(cmd_ctx *c, const zit *it, bool withscores)
{
    char tmp[LP_INT_BUF_BYTES];
    size_t len;
    const char *m = zit_member(it, tmp, &len);
    reply_member(c, m, len, withscores ? zit_score(it) : 0, withscores);
}

/* count distinct ranks out of n (count < n), as an open-addressing set of
 * rank + 1 (0 = empty), replied in the order they were drawn. */
static void randmember_distinct(cmd_ctx *c, const zpicker *p, size_t count,
                                bool withscores, rng *r)
{
    size_t cap = 4;
    while (cap < count * 2)
        cap *= 2;
    uint64_t *seen = mem_calloc(cap, sizeof *seen);
    for (size_t got = 0; got < count;) {
        uint64_t rank = rng_below(r, p->n);
        size_t h = (size_t)rng_mix64(rank) & (cap - 1);
        while (seen[h] != 0 && seen[h] != rank + 1)
            h = (h + 1) & (cap - 1);
        if (seen[h] != 0) continue;
        seen[h] = rank + 1;
        zit it = zpicker_at(p, (size_t)rank);
        reply_zit(c, &it, withscores);
        got++;
    }
    mem_free(seen);
}

/* count distinct members out of n (count < n): selection sampling (Knuth's
 * algorithm S) when many are wanted, random draws when few are. Which
 * members, and their order, is unspecified (Redis's depend on its own
 * random source). */
static void randmember_unique(cmd_ctx *c, const zpicker *p, size_t count, bool withscores,
                              rng *r)
{
    if (count * 3 <= p->n) {
        randmember_distinct(c, p, count, withscores, r);
        return;
    }
    size_t needed = count;
    zit it = zit_at(p->o, 0);
    for (size_t left = p->n; needed > 0; left--, zit_next(&it)) {
        if (rng_below(r, left) >= needed) continue;
        reply_zit(c, &it, withscores);
        needed--;
    }
}

static void randmember_with_count(cmd_ctx *c, const kv_obj *o, int64_t l, bool withscores)
{
    bool unique = l >= 0;
    uint64_t count = unique ? (uint64_t)l : (uint64_t)-l;
    size_t size = zset_length(o);
    rng r;
    rng_seed(&r, c->rand_seed);
    if (!unique && count > ZSET_RANDMEMBER_REPEAT_MAX) {
        /* The set type (SRANDMEMBER) words its limit the same way. */
        cmd_errorf(c,
                   "ERR value is out of range, value must between %lld and "
                   "9223372036854775807",
                   -(long long)ZSET_RANDMEMBER_REPEAT_MAX);
        return;
    }
    if (unique && count >= size) {
        /* The whole set, as Redis replies it: its set iterator walks a
         * sorted set from the highest score down. */
        reply_members_header(c, size, withscores);
        for (zit it = zit_at(o, size - 1); zit_ok(&it); zit_prev(&it))
            reply_zit(c, &it, withscores);
        return;
    }
    reply_members_header(c, (size_t)count, withscores);
    zpicker p;
    zpicker_init(&p, o);
    if (!unique || count == 1) {
        for (uint64_t i = 0; i < count; i++) {
            zit it = zpicker_at(&p, (size_t)rng_below(&r, size));
            reply_zit(c, &it, withscores);
        }
    } else {
        randmember_unique(c, &p, (size_t)count, withscores, &r);
    }
    mem_free(p.pos);
}

/* Redis zrandmemberWithCountCommand checks the count, the option and the
 * WITHSCORES range before it looks the key up. */
void kvcmd_zrandmember(cmd_ctx *c)
{
    kv_obj *o;
    if (c->argc == 2) {
        if (!lookup_read(c, 1, &o)) return;
        if (o == NULL) {
            resp_null(c->w);
            return;
        }
        rng r;
        rng_seed(&r, c->rand_seed);
        zit it = zit_at(o, (size_t)rng_below(&r, zset_length(o)));
        reply_zit(c, &it, false);
        return;
    }
    int64_t l;
    if (!arg_range_or_reply(c, 2, -INT64_MAX, INT64_MAX, &l, NULL)) return;
    bool withscores = c->argc == 4;
    if (c->argc > 4 || (withscores && !cmd_arg_is(c, 3, "withscores"))) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    if (withscores && (l < -INT64_MAX / 2 || l > INT64_MAX / 2)) {
        cmd_error(c, "ERR value is out of range");
        return;
    }
    if (!lookup_read(c, 1, &o)) return;
    if (o == NULL || l == 0) {
        resp_array(c->w, 0);
        return;
    }
    randmember_with_count(c, o, l, withscores);
}

/* ---- ZUNION ZINTER ZDIFF (STORE) ZINTERCARD -------------------------------------------
 */

enum zsetop { ZOP_UNION, ZOP_INTER, ZOP_DIFF };
enum zaggregate { ZAGG_SUM, ZAGG_MIN, ZAGG_MAX };

/* One input: a sorted set, a set read through its kv_type_ops (copied into
 * a temporary sorted set with score 1, so lookups work the same), or a
 * missing key (o == NULL, empty). */
typedef struct zsrc {
    const kv_obj *o;
    kv_obj *copy; /* the temporary for a set input, freed at the end */
    size_t length;
    size_t index; /* position on the command line: ties keep it */
    double weight;
} zsrc;

typedef struct zsetop_req {
    size_t dst_arg; /* *STORE: destination; 0 otherwise */
    size_t numkeys_arg;
    int op;
    bool card_only; /* ZINTERCARD */
    zsrc *src;
    size_t n;
    int aggregate;
    bool withscores;
    int64_t limit; /* ZINTERCARD; 0: none */
} zsetop_req;

static void copy_member(void *arg, const char *m, size_t len, double score)
{
    zsl *z = arg;
    if (zsl_find(z, m, len) == NULL) zsl_insert(z, score, m, len);
}

/* Step 2 of Redis zunionInterDiffGenericCommand: every key is looked up
 * (and type-checked) before any option is parsed. */
static bool zsetop_lookup(cmd_ctx *c, zsetop_req *q)
{
    for (size_t i = 0; i < q->n; i++) {
        const cmd_arg *key = &c->argv[q->numkeys_arg + 1 + i];
        kv_obj *o = kv_lookup_read(c->ks, key->ptr, key->len, c->now_ms);
        if (o != NULL && o->type != KV_ZSET && o->type != KV_SET) {
            cmd_error(c, CMD_ERR_WRONGTYPE);
            return false;
        }
        q->src[i] = (zsrc){o, NULL, 0, i, 1.0};
    }
    return true;
}

static bool zsetop_weights(cmd_ctx *c, zsetop_req *q, size_t *j)
{
    for (size_t i = 0; i < q->n; i++, (*j)++)
        if (!arg_double_or_reply(c, *j, &q->src[i].weight,
                                 "ERR weight value is not a float"))
            return false;
    return true;
}

static bool zsetop_options(cmd_ctx *c, zsetop_req *q)
{
    bool weighted = q->op != ZOP_DIFF && !q->card_only;
    for (size_t j = q->numkeys_arg + 1 + q->n; j < c->argc;) {
        size_t left = c->argc - j;
        if (weighted && left >= q->n + 1 && cmd_arg_is(c, j, "weights")) {
            j++;
            if (!zsetop_weights(c, q, &j)) return false;
        } else if (weighted && left >= 2 && cmd_arg_is(c, j, "aggregate")) {
            if (cmd_arg_is(c, j + 1, "sum"))
                q->aggregate = ZAGG_SUM;
            else if (cmd_arg_is(c, j + 1, "min"))
                q->aggregate = ZAGG_MIN;
            else if (cmd_arg_is(c, j + 1, "max"))
                q->aggregate = ZAGG_MAX;
            else
                goto syntax;
            j += 2;
        } else if (!q->dst_arg && !q->card_only && cmd_arg_is(c, j, "withscores")) {
            q->withscores = true;
            j++;
        } else if (q->card_only && left >= 2 && cmd_arg_is(c, j, "limit")) {
            if (!arg_positive_or_reply(c, j + 1, &q->limit,
                                       "ERR LIMIT can't be negative"))
                return false;
            j += 2;
        } else {
            goto syntax;
        }
    }
    return true;
syntax:
    cmd_error(c, CMD_ERR_SYNTAX);
    return false;
}

/* Set inputs become temporary sorted sets; lengths are taken. */
static void zsetop_prepare(cmd_ctx *c, zsetop_req *q)
{
    for (size_t i = 0; i < q->n; i++) {
        zsrc *s = &q->src[i];
        if (s->o != NULL && s->o->type == KV_SET) {
            const kv_type_ops *ops = kv_type_ops_of(KV_SET);
            PASSERT(ops != NULL && ops->foreach != NULL);
            zsl *z = zsl_new(env_of(c).seed);
            ops->foreach (s->o, copy_member, z);
            s->copy = kv_obj_new_value("", 0, KV_ZSET, KV_ENC_SKIPLIST, z);
            s->o = z->length ? s->copy : NULL;
        }
        s->length = s->o ? zset_length(s->o) : 0;
    }
}

/* Smallest first, ties in command-line order: Redis sorts with glibc's
 * qsort, a stable merge sort, and the order decides the rounding of SUM. */
static int zsrc_cmp(const void *a, const void *b)
{
    const zsrc *x = a, *y = b;
    if (x->length != y->length) return x->length < y->length ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Redis zunionInterAggregate: SUM of +inf and -inf is 0, and a NaN value
 * (0 * inf) leaves MIN and MAX unchanged. */
static void aggregate(double *target, double val, int how)
{
    if (how == ZAGG_SUM) {
        *target += val;
        if (isnan(*target)) *target = 0.0;
    } else if (how == ZAGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

/* Intersection of the sorted inputs, or its size (card_only). */
static size_t zsetop_inter(const zsetop_req *q, zsl *out)
{
    size_t card = 0;
    if (q->src[0].length == 0) return 0;
    for (zit it = zit_at(q->src[0].o, 0); zit_ok(&it); zit_next(&it)) {
        char tmp[LP_INT_BUF_BYTES];
        size_t len;
        const char *m = zit_member(&it, tmp, &len);
        double s0 = zit_score(&it), score = q->src[0].weight * s0, value;
        if (isnan(score)) score = 0;
        size_t j = 1;
        for (; j < q->n; j++) {
            if (q->src[j].o == q->src[0].o)
                value = s0;
            else if (!zset_score(q->src[j].o, m, len, &value))
                break;
            aggregate(&score, value * q->src[j].weight, q->aggregate);
        }
        if (j < q->n) continue;
        card++;
        if (out) zsl_insert(out, score, m, len);
        if (!out && q->limit && card >= (uint64_t)q->limit) break;
    }
    return card;
}

static void zsetop_union(const zsetop_req *q, zsl *out)
{
    for (size_t i = 0; i < q->n; i++) {
        if (q->src[i].length == 0) continue;
        for (zit it = zit_at(q->src[i].o, 0); zit_ok(&it); zit_next(&it)) {
            char tmp[LP_INT_BUF_BYTES];
            size_t len;
            const char *m = zit_member(&it, tmp, &len);
            double score = q->src[i].weight * zit_score(&it);
            if (isnan(score)) score = 0;
            zsl_node *n = zsl_find(out, m, len);
            if (n == NULL) {
                zsl_insert(out, score, m, len);
                continue;
            }
            double acc = n->score;
            aggregate(&acc, score, q->aggregate);
            zsl_update_score(out, n, acc);
        }
    }
}

/* Members of the first input found in no other, with their own scores. */
static void zsetop_diff(const zsetop_req *q, zsl *out)
{
    if (q->src[0].length == 0) return;
    for (zit it = zit_at(q->src[0].o, 0); zit_ok(&it); zit_next(&it)) {
        char tmp[LP_INT_BUF_BYTES];
        size_t len;
        const char *m = zit_member(&it, tmp, &len);
        double ignored;
        size_t j = 1;
        while (j < q->n && !(q->src[j].o && zset_score(q->src[j].o, m, len, &ignored)))
            j++;
        if (j == q->n) zsl_insert(out, zit_score(&it), m, len);
    }
}

static void zsetop_reply(cmd_ctx *c, const zsetop_req *q, zsl *z)
{
    if (q->dst_arg) {
        size_t n = z->length;
        kv_obj *fresh = NULL;
        if (n > 0) {
            const cmd_arg *key = &c->argv[q->dst_arg];
            fresh = kv_obj_new_value(key->ptr, key->len, KV_ZSET, KV_ENC_SKIPLIST, z);
            zset_env env = env_of(c);
            zset_compact_if_fits(fresh, &env);
        } else {
            zsl_free(z);
        }
        store_result(c, q->dst_arg, fresh);
        resp_int(c->w, (int64_t)n);
        return;
    }
    reply_members_header(c, z->length, q->withscores);
    for (const zsl_node *n = zsl_first(z); n; n = zsl_next(n)) {
        size_t len;
        const char *m = zsl_member(n, &len);
        reply_member(c, m, len, n->score, q->withscores);
    }
    zsl_free(z);
}

static void zsetop_run(cmd_ctx *c, zsetop_req *q)
{
    zsetop_prepare(c, q);
    if (q->op != ZOP_DIFF) qsort(q->src, q->n, sizeof *q->src, zsrc_cmp);
    if (q->card_only) {
        resp_int(c->w, (int64_t)zsetop_inter(q, NULL));
        return;
    }
    zsl *z = zsl_new(env_of(c).seed);
    if (q->op == ZOP_INTER)
        zsetop_inter(q, z);
    else if (q->op == ZOP_UNION)
        zsetop_union(q, z);
    else
        zsetop_diff(q, z);
    zsetop_reply(c, q, z);
}

/* Redis zunionInterDiffGenericCommand: numkeys, the keys (looked up and
 * type-checked), then the options. */
static void zsetop_generic(cmd_ctx *c, size_t dst_arg, int op, bool card_only)
{
    zsetop_req q = {.dst_arg = dst_arg,
                    .numkeys_arg = dst_arg ? 2 : 1,
                    .op = op,
                    .card_only = card_only,
                    .aggregate = ZAGG_SUM};
    int64_t numkeys;
    if (!cmd_arg_i64_or_reply(c, q.numkeys_arg, &numkeys, NULL)) return;
    if (numkeys < 1) {
        cmd_errorf(c, "ERR at least 1 input key is needed for '%s' command",
                   c->cmd->fullname);
        return;
    }
    if ((uint64_t)numkeys > c->argc - q.numkeys_arg - 1) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    q.n = (size_t)numkeys;
    q.src = mem_calloc(q.n, sizeof *q.src);
    if (zsetop_lookup(c, &q) && zsetop_options(c, &q)) zsetop_run(c, &q);
    for (size_t i = 0; i < q.n; i++)
        kv_obj_free(q.src[i].copy);
    mem_free(q.src);
}

void kvcmd_zunionstore(cmd_ctx *c)
{
    zsetop_generic(c, 1, ZOP_UNION, false);
}

void kvcmd_zinterstore(cmd_ctx *c)
{
    zsetop_generic(c, 1, ZOP_INTER, false);
}

void kvcmd_zdiffstore(cmd_ctx *c)
{
    zsetop_generic(c, 1, ZOP_DIFF, false);
}

void kvcmd_zunion(cmd_ctx *c)
{
    zsetop_generic(c, 0, ZOP_UNION, false);
}

void kvcmd_zinter(cmd_ctx *c)
{
    zsetop_generic(c, 0, ZOP_INTER, false);
}

void kvcmd_zdiff(cmd_ctx *c)
{
    zsetop_generic(c, 0, ZOP_DIFF, false);
}

void kvcmd_zintercard(cmd_ctx *c)
{
    zsetop_generic(c, 0, ZOP_INTER, true);
}

/* ---- ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ----------------------------------
 */

/* Redis zremrangeGenericCommand: the range is parsed before the key is
 * looked up. */
static void zremrange_generic(cmd_ctx *c, int kind)
{
    int64_t start = 0, end = 0;
    zsl_range r;
    zsl_lexrange lex;
    if (kind == ZR_RANK) {
        if (!cmd_arg_i64_or_reply(c, 2, &start, NULL) ||
            !cmd_arg_i64_or_reply(c, 3, &end, NULL))
            return;
    } else if (kind == ZR_SCORE && !parse_range(&c->argv[2], &c->argv[3], &r)) {
        cmd_error(c, ERR_MINMAX_FLOAT);
        return;
    } else if (kind == ZR_LEX && !parse_lexrange(&c->argv[2], &c->argv[3], &lex)) {
        cmd_error(c, ERR_MINMAX_LEX);
        return;
    }
    kv_obj *o;
    if (!lookup_write(c, 1, &o)) return;
    size_t deleted = 0;
    if (o != NULL && kind == ZR_RANK) {
        int64_t llen = (int64_t)zset_length(o);
        if (start < 0) start = llen + start;
        if (end < 0) end = llen + end;
        if (start < 0) start = 0;
        if (end >= llen) end = llen - 1;
        if (start <= end && start < llen)
            deleted = zset_delete_ranks(o, (size_t)start, (size_t)end);
    } else if (o != NULL) {
        deleted = zset_delete_range(o, kind == ZR_SCORE ? &r : NULL,
                                    kind == ZR_LEX ? &lex : NULL);
    }
    if (deleted) changed(c, o);
    resp_int(c->w, (int64_t)deleted);
}

void kvcmd_zremrangebyrank(cmd_ctx *c)
{
    zremrange_generic(c, ZR_RANK);
}

void kvcmd_zremrangebyscore(cmd_ctx *c)
{
    zremrange_generic(c, ZR_SCORE);
}

void kvcmd_zremrangebylex(cmd_ctx *c)
{
    zremrange_generic(c, ZR_LEX);
}

/* ---- ZSCAN ----------------------------------------------------------------------------
 */

/* A skiplist is scanned through its member table like SCAN (Redis doubles
 * COUNT for member-score pairs: about COUNT members per call, at most 20 x
 * COUNT buckets visited; its arithmetic wraps for huge counts, and so does
 * this); a listpack is returned whole with cursor 0, its scores as stored. */
static void zscan_table(cmd_ctx *c, const zsl *z, uint64_t cursor,
                        const kv_scan_opts *opts)
{
    kv_scan_batch st = {NULL, 0, 0};
    cursor = kv_scan_dict(&z->members, cursor, (uint64_t)opts->count * 2, 2, &st);
    resp_array(c->w, 2);
    char digits[LP_INT_BUF_BYTES];
    resp_bulk(c->w, digits, fmt_u64(digits, cursor));
    size_t mark = resp_defer(c->w), n = 0;
    for (size_t i = 0; i < st.count; i++) {
        const zsl_node *node = (const zsl_node *)st.found[i];
        size_t len;
        const char *m = zsl_member(node, &len);
        if (!kv_scan_match(opts, m, len)) continue;
        char text[SCORE_STR_BYTES_MAX];
        resp_bulk(c->w, m, len);
        resp_bulk(c->w, text, score_text(node->score, text));
        n += 2;
    }
    resp_defer_array(c->w, mark, n);
    kv_scan_batch_free(&st);
}

static void zscan_listpack(cmd_ctx *c, const kv_lp *lp, const kv_scan_opts *opts)
{
    resp_array(c->w, 2);
    resp_bulk(c->w, "0", 1);
    size_t mark = resp_defer(c->w), n = 0;
    for (uint32_t pos = lp_first(lp); pos != LP_NONE;
         pos = lp_next(lp, lp_next(lp, pos))) {
        char tmp[LP_INT_BUF_BYTES], stmp[LP_INT_BUF_BYTES];
        size_t len, slen;
        const char *m = lp_get_str(lp, pos, tmp, &len);
        if (!kv_scan_match(opts, m, len)) continue;
        const char *s = lp_get_str(lp, lp_next(lp, pos), stmp, &slen);
        resp_bulk(c->w, m, len);
        resp_bulk(c->w, s, slen);
        n += 2;
    }
    resp_defer_array(c->w, mark, n);
}

/* Redis zscanCommand: the cursor first, then the key, then the options. */
void kvcmd_zscan(cmd_ctx *c)
{
    uint64_t cursor;
    if (!kv_scan_cursor_or_reply(c, 2, &cursor)) return;
    kv_obj *o;
    if (!lookup_read(c, 1, &o)) return;
    if (o == NULL) {
        resp_array(c->w, 2);
        resp_bulk(c->w, "0", 1);
        resp_array(c->w, 0);
        return;
    }
    kv_scan_opts opts;
    if (!kv_scan_options_or_reply(c, 3, &opts)) return;
    if (o->encoding == KV_ENC_LISTPACK)
        zscan_listpack(c, zlp(o), &opts);
    else
        zscan_table(c, zskl(o), cursor, &opts);
}
