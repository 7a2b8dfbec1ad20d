/* kv/t_string.c - string commands, with Redis 7.0's exact semantics: the
 * order in which arguments are validated decides which error a client sees,
 * so each handler follows the order Redis uses and says so where it is not
 * obvious. */
#include <math.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/util.h"
#include "kv/cmds.h"

/* ---- Helpers ----------------------------------------------------------- */

/* Looks up a key for reading; replies WRONGTYPE and returns false if it
 * holds another type. *out is NULL for a missing key. */
static bool lookup_string_read(cmd_ctx *c, size_t i, kv_obj **out)
{
    *out = kv_lookup_read(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms);
    if (*out != NULL && (*out)->type != KV_STRING) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

static bool lookup_string_write(cmd_ctx *c, size_t i, kv_obj **out)
{
    *out = kv_lookup_write(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms);
    if (*out != NULL && (*out)->type != KV_STRING) {
        cmd_error(c, CMD_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

/* Stores `fresh` under its key: replaces an existing object (keeping its TTL
 * only if keep_ttl) or inserts. Stamps the revision. */
static void store(cmd_ctx *c, kv_obj *existing, kv_obj *fresh, bool keep_ttl)
{
    fresh->revision = c->revision;
    if (existing != NULL) {
        if (!keep_ttl) kv_persist(c->ks, existing);
        kv_replace(c->ks, existing, fresh);
    } else {
        kv_insert(c->ks, fresh);
    }
}

static void set_string(cmd_ctx *c, const cmd_arg *key, const cmd_arg *val,
                       kv_obj *existing, bool keep_ttl)
{
    store(c, existing, kv_obj_new_string(key->ptr, key->len, val->ptr, val->len),
          keep_ttl);
}

/* A string value as (ptr, len); tmp holds digits for int encoding. */
static const char *string_of(const kv_obj *o, char tmp[24], size_t *len)
{
    return kv_string_bytes(o, tmp, len);
}

/* Ensures o is "raw" with room for `need` bytes; returns the object now in
 * the keyspace (it may have moved). Growth is greedy (x2 below 1 MiB, then
 * +1 MiB) so repeated APPENDs are amortized O(n), as sdsMakeRoomFor. */
static kv_obj *make_raw(cmd_ctx *c, kv_obj *o, size_t need)
{
    size_t cap = need < (1u << 20) ? need * 2 : need + (1u << 20);
    if (o->encoding == KV_ENC_RAW) {
        if (o->v.raw->cap < need) {
            o->v.raw = mem_realloc(o->v.raw, sizeof(kv_raw) + cap);
            o->v.raw->cap = cap;
        }
        return o;
    }
    char tmp[24];
    size_t len;
    const char *s = string_of(o, tmp, &len);
    if (cap < len) cap = len;
    kv_obj *fresh = kv_obj_new_raw(o->data, o->key_len, s, len, cap);
    fresh->revision = o->revision;
    kv_replace(c->ks, o, fresh); /* keeps the TTL */
    return fresh;
}

/* ---- SET and friends --------------------------------------------------- */

enum {
    SET_NX = 1 << 0,
    SET_XX = 1 << 1,
    SET_GET = 1 << 2,
    SET_KEEPTTL = 1 << 3,
    SET_PERSIST = 1 << 4,
    SET_EX = 1 << 5,
    SET_PX = 1 << 6,
    SET_EXAT = 1 << 7,
    SET_PXAT = 1 << 8,
    SET_IFEQ = 1 << 9,
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* Redis parseExtendedStringArgumentsOrReply: for SET (is_set) or GETEX.
 * IFEQ comparison-value (SET only) is Redis 8.4's compare-and-set; it
 * excludes NX and XX. *ifeq_arg is its value's index (0: not given). */
static bool parse_set_options(cmd_ctx *c, size_t from, bool is_set, int *flags,
                              size_t *expire_arg, size_t *ifeq_arg)
{
    *flags = 0;
    *expire_arg = 0;
    *ifeq_arg = 0;
    for (size_t j = from; j < c->argc; j++) {
        bool has_next = j + 1 < c->argc;
        int f = *flags;
        int expire_flag = 0;
        if (cmd_arg_is(c, j, "nx") && !(f & (SET_XX | SET_IFEQ)) && is_set) {
            *flags |= SET_NX;
        } else if (cmd_arg_is(c, j, "xx") && !(f & (SET_NX | SET_IFEQ)) && is_set) {
            *flags |= SET_XX;
        } else if (cmd_arg_is(c, j, "ifeq") && has_next &&
                   !(f & (SET_NX | SET_XX | SET_IFEQ)) && is_set) {
            *flags |= SET_IFEQ;
            *ifeq_arg = ++j;
        } else if (cmd_arg_is(c, j, "get") && is_set) {
            *flags |= SET_GET;
        } else if (cmd_arg_is(c, j, "keepttl") && !(f & SET_PERSIST) &&
                   !(f & SET_ANY_EXPIRE) && is_set) {
            *flags |= SET_KEEPTTL;
        } else if (cmd_arg_is(c, j, "persist") && !is_set && !(f & SET_ANY_EXPIRE) &&
                   !(f & SET_KEEPTTL)) {
            *flags |= SET_PERSIST;
        } else if (cmd_arg_is(c, j, "ex")) {
            expire_flag = SET_EX;
        } else if (cmd_arg_is(c, j, "px")) {
            expire_flag = SET_PX;
        } else if (cmd_arg_is(c, j, "exat")) {
            expire_flag = SET_EXAT;
        } else if (cmd_arg_is(c, j, "pxat")) {
            expire_flag = SET_PXAT;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return false;
        }
        if (expire_flag == 0) continue;
        /* An expiry option may repeat itself but not follow another one. */
        if ((f & SET_KEEPTTL) || (f & SET_PERSIST) ||
            (f & (SET_ANY_EXPIRE & ~expire_flag)) || !has_next) {
            cmd_error(c, CMD_ERR_SYNTAX);
            return false;
        }
        *flags |= expire_flag;
        *expire_arg = ++j;
    }
    return true;
}

/* Redis getExpireMillisecondsOrReply: the absolute expiry in ms. */
static bool expire_ms_or_reply(cmd_ctx *c, size_t arg, int flags, int64_t *out)
{
    int64_t v;
    if (!cmd_arg_i64_or_reply(c, arg, &v, NULL)) return false;
    bool seconds = (flags & (SET_EX | SET_EXAT)) != 0;
    if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
        cmd_error_expire_time(c);
        return false;
    }
    if (seconds) v *= 1000;
    if (flags & (SET_EX | SET_PX)) {
        if (v > INT64_MAX - c->now_ms) {
            cmd_error_expire_time(c);
            return false;
        }
        v += c->now_ms;
    }
    if (v <= 0) {
        cmd_error_expire_time(c);
        return false;
    }
    *out = v;
    return true;
}

/* IFEQ: whether the key holds exactly the comparison value (a missing key
 * does not); false with a WRONGTYPE reply for another type. */
static bool ifeq_holds_or_reply(cmd_ctx *c, size_t key_arg, size_t ifeq_arg, bool *holds)
{
    kv_obj *cur;
    *holds = false;
    if (!lookup_string_read(c, key_arg, &cur)) return false;
    if (cur == NULL) return true;
    char tmp[24];
    size_t len;
    const char *s = string_of(cur, tmp, &len);
    *holds = len == c->argv[ifeq_arg].len && memcmp(s, c->argv[ifeq_arg].ptr, len) == 0;
    return true;
}

/* Redis setGenericCommand. ok_reply/abort_reply: NULL means +OK / null. */
static void set_generic(cmd_ctx *c, int flags, size_t key_arg, size_t val_arg,
                        size_t expire_arg, size_t ifeq_arg, bool int_replies)
{
    int64_t expire_at = 0;
    if (expire_arg && !expire_ms_or_reply(c, expire_arg, flags, &expire_at)) return;
    const cmd_arg *key = &c->argv[key_arg];
    bool ifeq_holds = true;
    if ((flags & SET_IFEQ) && !ifeq_holds_or_reply(c, key_arg, ifeq_arg, &ifeq_holds))
        return;
    if (flags & SET_GET) {
        kv_obj *old;
        if (!lookup_string_read(c, key_arg, &old)) return;
        if (old)
            cmd_reply_string_obj(c, old);
        else
            resp_null(c->w);
    }
    kv_obj *found = kv_lookup_write(c->ks, key->ptr, key->len, c->now_ms);
    if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found) || !ifeq_holds) {
        if (!(flags & SET_GET)) {
            if (int_replies)
                resp_int(c->w, 0);
            else
                resp_null(c->w);
        }
        return;
    }
    set_string(c, key, &c->argv[val_arg], found, (flags & SET_KEEPTTL) != 0);
    if (expire_arg) {
        kv_obj *o = kv_lookup_any(c->ks, key->ptr, key->len);
        kv_set_expire(c->ks, o, expire_at);
    }
    if (!(flags & SET_GET)) {
        if (int_replies)
            resp_int(c->w, 1);
        else
            resp_ok(c->w);
    }
}

void kvcmd_set(cmd_ctx *c)
{
    int flags;
    size_t expire_arg;
    size_t ifeq_arg;
    if (!parse_set_options(c, 3, true, &flags, &expire_arg, &ifeq_arg)) return;
    set_generic(c, flags, 1, 2, expire_arg, ifeq_arg, false);
}

void kvcmd_setnx(cmd_ctx *c)
{
    set_generic(c, SET_NX, 1, 2, 0, 0, true);
}

void kvcmd_setex(cmd_ctx *c)
{
    set_generic(c, SET_EX, 1, 3, 2, 0, false);
}

void kvcmd_psetex(cmd_ctx *c)
{
    set_generic(c, SET_PX, 1, 3, 2, 0, false);
}

void kvcmd_get(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_string_read(c, 1, &o)) return;
    if (o)
        cmd_reply_string_obj(c, o);
    else
        resp_null(c->w);
}

void kvcmd_getset(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_string_write(c, 1, &o)) return;
    if (o)
        cmd_reply_string_obj(c, o);
    else
        resp_null(c->w);
    set_string(c, &c->argv[1], &c->argv[2], o, false);
}

void kvcmd_getdel(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_string_write(c, 1, &o)) return;
    if (o == NULL) {
        resp_null(c->w);
        return;
    }
    cmd_reply_string_obj(c, o);
    kv_delete(c->ks, c->argv[1].ptr, c->argv[1].len);
}

void kvcmd_getex(cmd_ctx *c)
{
    int flags;
    size_t expire_arg;
    size_t ifeq_arg;
    if (!parse_set_options(c, 2, false, &flags, &expire_arg, &ifeq_arg)) return;
    kv_obj *o;
    /* Redis looks the key up before it validates the expiry: a missing key
     * answers null even when the expiry is invalid. */
    if (!lookup_string_write(c, 1, &o)) return;
    if (o == NULL) {
        resp_null(c->w);
        return;
    }
    int64_t expire_at = 0;
    if (expire_arg && !expire_ms_or_reply(c, expire_arg, flags, &expire_at)) return;
    cmd_reply_string_obj(c, o);
    if ((flags & (SET_EXAT | SET_PXAT)) && expire_at <= c->now_ms) {
        kv_delete(c->ks, c->argv[1].ptr, c->argv[1].len);
    } else if (expire_arg) {
        kv_set_expire(c->ks, o, expire_at);
        kv_touch(c->ks, o, c->revision);
    } else if (flags & SET_PERSIST) {
        if (kv_persist(c->ks, o)) kv_touch(c->ks, o, c->revision);
    }
}

void kvcmd_mget(cmd_ctx *c)
{
    resp_array(c->w, c->argc - 1);
    for (size_t i = 1; i < c->argc; i++) {
        kv_obj *o = kv_lookup_read(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms);
        if (o && o->type == KV_STRING)
            cmd_reply_string_obj(c, o);
        else
            resp_null(c->w);
    }
}

static void mset_generic(cmd_ctx *c, bool nx)
{
    if (c->argc % 2 == 0) {
        cmd_error_arity(c);
        return;
    }
    if (nx) {
        for (size_t i = 1; i < c->argc; i += 2) {
            if (kv_lookup_write(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms)) {
                resp_int(c->w, 0);
                return;
            }
        }
    }
    for (size_t i = 1; i < c->argc; i += 2) {
        kv_obj *o = kv_lookup_write(c->ks, c->argv[i].ptr, c->argv[i].len, c->now_ms);
        set_string(c, &c->argv[i], &c->argv[i + 1], o, false);
    }
    if (nx)
        resp_int(c->w, 1);
    else
        resp_ok(c->w);
}

void kvcmd_mset(cmd_ctx *c)
{
    mset_generic(c, false);
}

void kvcmd_msetnx(cmd_ctx *c)
{
    mset_generic(c, true);
}

/* ---- Counters ---------------------------------------------------------- */

static bool string_as_i64(const kv_obj *o, int64_t *out)
{
    if (o->encoding == KV_ENC_INT) {
        *out = o->v.i;
        return true;
    }
    char tmp[24];
    size_t len;
    const char *s = string_of(o, tmp, &len);
    return str_to_i64(s, len, out);
}

static void incr_generic(cmd_ctx *c, int64_t incr)
{
    kv_obj *o;
    if (!lookup_string_write(c, 1, &o)) return;
    int64_t value = 0;
    if (o && !string_as_i64(o, &value)) {
        cmd_error(c, CMD_ERR_NOT_INT);
        return;
    }
    if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
        (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
        cmd_error(c, CMD_ERR_OVERFLOW);
        return;
    }
    value += incr;
    if (o && o->encoding == KV_ENC_INT) {
        o->v.i = value; /* in place: keeps TTL and position */
        kv_touch(c->ks, o, c->revision);
    } else {
        store(c, o, kv_obj_new_int(c->argv[1].ptr, c->argv[1].len, value), true);
    }
    resp_int(c->w, value);
}

void kvcmd_incr(cmd_ctx *c)
{
    incr_generic(c, 1);
}

void kvcmd_decr(cmd_ctx *c)
{
    incr_generic(c, -1);
}

void kvcmd_incrby(cmd_ctx *c)
{
    int64_t incr;
    if (!cmd_arg_i64_or_reply(c, 2, &incr, NULL)) return;
    incr_generic(c, incr);
}

void kvcmd_decrby(cmd_ctx *c)
{
    int64_t incr;
    if (!cmd_arg_i64_or_reply(c, 2, &incr, NULL)) return;
    if (incr == INT64_MIN) {
        cmd_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -incr);
}

void kvcmd_incrbyfloat(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_string_write(c, 1, &o)) return;
    long double value = 0, incr;
    if (o) {
        if (o->encoding == KV_ENC_INT) {
            value = (long double)o->v.i;
        } else {
            char tmp[24];
            size_t len;
            const char *s = string_of(o, tmp, &len);
            if (!str_to_ld(s, len, &value)) {
                cmd_error(c, CMD_ERR_NOT_FLOAT);
                return;
            }
        }
    }
    if (!str_to_ld(c->argv[2].ptr, c->argv[2].len, &incr)) {
        cmd_error(c, CMD_ERR_NOT_FLOAT);
        return;
    }
    char out[CMD_FLOAT_OUT_BYTES];
    size_t len;
    if (!cmd_add_float_or_reply(c, value, incr, out, &len)) return;
    /* Redis stores the result with createStringObject: never "int". */
    kv_obj *fresh = kv_obj_new_plain(c->argv[1].ptr, c->argv[1].len, out, len);
    store(c, o, fresh, true);
    resp_bulk(c->w, out, len);
}

/* ---- APPEND, STRLEN, GETRANGE, SETRANGE -------------------------------- */

void kvcmd_append(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_string_write(c, 1, &o)) return;
    const cmd_arg *val = &c->argv[2];
    if (o == NULL) {
        set_string(c, &c->argv[1], val, NULL, false);
        resp_int(c->w, (int64_t)val->len);
        return;
    }
    char tmp[24];
    size_t len;
    string_of(o, tmp, &len);
    if (len + val->len > c->limits.string_bytes_max) {
        cmd_error(c, CMD_ERR_STRING_TOO_BIG);
        return;
    }
    o = make_raw(c, o, len + val->len);
    memcpy(o->v.raw->data + o->v.raw->len, val->ptr, val->len);
    o->v.raw->len += val->len;
    kv_touch(c->ks, o, c->revision);
    resp_int(c->w, (int64_t)o->v.raw->len);
}

void kvcmd_strlen(cmd_ctx *c)
{
    kv_obj *o;
    if (!lookup_string_read(c, 1, &o)) return;
    size_t len = 0;
    char tmp[24];
    if (o) string_of(o, tmp, &len);
    resp_int(c->w, (int64_t)len);
}

void kvcmd_getrange(cmd_ctx *c)
{
    int64_t start, end;
    if (!cmd_arg_i64_or_reply(c, 2, &start, NULL)) return;
    if (!cmd_arg_i64_or_reply(c, 3, &end, NULL)) return;
    kv_obj *o;
    if (!lookup_string_read(c, 1, &o)) return;
    if (o == NULL) {
        resp_bulk(c->w, "", 0);
        return;
    }
    char tmp[24];
    size_t len;
    const char *s = string_of(o, tmp, &len);
    if (start < 0 && end < 0 && start > end) {
        resp_bulk(c->w, "", 0);
        return;
    }
    int64_t slen = (int64_t)len;
    if (start < 0) start = slen + start;
    if (end < 0) end = slen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= slen) end = slen - 1;
    if (start > end || len == 0) {
        resp_bulk(c->w, "", 0);
        return;
    }
    resp_bulk(c->w, s + start, (size_t)(end - start + 1));
}

void kvcmd_setrange(cmd_ctx *c)
{
    int64_t offset;
    if (!cmd_arg_i64_or_reply(c, 2, &offset, NULL)) return;
    if (offset < 0) {
        cmd_error(c, "ERR offset is out of range");
        return;
    }
    const cmd_arg *val = &c->argv[3];
    kv_obj *o;
    if (!lookup_string_write(c, 1, &o)) return;
    char tmp[24];
    size_t olen = 0;
    if (o) string_of(o, tmp, &olen);
    if (val->len == 0) {
        resp_int(c->w, (int64_t)olen);
        return;
    }
    if ((uint64_t)offset + val->len > c->limits.string_bytes_max) {
        cmd_error(c, CMD_ERR_STRING_TOO_BIG);
        return;
    }
    size_t need = (size_t)offset + val->len;
    if (o == NULL) {
        o = kv_obj_new_raw(c->argv[1].ptr, c->argv[1].len, NULL, 0, need);
        o->revision = c->revision;
        kv_insert(c->ks, o);
    } else {
        /* Greedy growth only when the string grows (sdsgrowzero). */
        o = make_raw(c, o, need > olen ? need : olen);
    }
    kv_raw *raw = o->v.raw;
    if (raw->len < need) {
        memset(raw->data + raw->len, 0, need - raw->len);
        raw->len = need;
    }
    memcpy(raw->data + offset, val->ptr, val->len);
    kv_touch(c->ks, o, c->revision);
    resp_int(c->w, (int64_t)raw->len);
}
