/* kv/expire.c - EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL,
 * EXPIRETIME, PEXPIRETIME, PERSIST: Redis 7.0's expireGenericCommand and
 * ttlGenericCommand, with now_ms from the context. */
#include <stdio.h>

#include "kv/cmds.h"

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static bool parse_expire_flags(cmd_ctx *c, int *flags)
{
    *flags = 0;
    for (size_t j = 3; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "nx")) *flags |= EXP_NX;
        else if (cmd_arg_is(c, j, "xx")) *flags |= EXP_XX;
        else if (cmd_arg_is(c, j, "gt")) *flags |= EXP_GT;
        else if (cmd_arg_is(c, j, "lt")) *flags |= EXP_LT;
        else {
            char tmp[256];
            cmd_errorf(c, "ERR Unsupported option %s", cmd_arg_cstr(c, j, tmp, sizeof tmp));
            return false;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        cmd_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return false;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        cmd_error(c, "ERR GT and LT options at the same time are not compatible");
        return false;
    }
    return true;
}

static void expire_generic(cmd_ctx *c, int64_t basetime, bool seconds)
{
    int flags;
    if (!parse_expire_flags(c, &flags)) return;
    int64_t when;
    if (!cmd_arg_i64_or_reply(c, 2, &when, NULL)) return;
    if (seconds) {
        if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
            cmd_error_expire_time(c);
            return;
        }
        when *= 1000;
    }
    if (when > INT64_MAX - basetime) {
        cmd_error_expire_time(c);
        return;
    }
    when += basetime;

    const cmd_arg *key = &c->argv[1];
    kv_obj *o = kv_lookup_write(c->ks, key->ptr, key->len, c->now_ms);
    if (o == NULL) {
        resp_int(c->w, 0);
        return;
    }
    int64_t current = kv_obj_expire_at(c->ks, o);
    bool has_ttl = current != KV_NO_EXPIRE;
    if (((flags & EXP_NX) && has_ttl) || ((flags & EXP_XX) && !has_ttl) ||
        ((flags & EXP_GT) && (!has_ttl || when <= current)) ||
        ((flags & EXP_LT) && has_ttl && when >= current)) {
        resp_int(c->w, 0);
        return;
    }
    if (when <= c->now_ms) {
        kv_delete(c->ks, key->ptr, key->len);
    } else {
        kv_set_expire(c->ks, o, when);
        kv_touch(c->ks, o, c->revision);
    }
    resp_int(c->w, 1);
}

void kvcmd_expire(cmd_ctx *c)
{
    expire_generic(c, c->now_ms, true);
}

void kvcmd_pexpire(cmd_ctx *c)
{
    expire_generic(c, c->now_ms, false);
}

void kvcmd_expireat(cmd_ctx *c)
{
    expire_generic(c, 0, true);
}

void kvcmd_pexpireat(cmd_ctx *c)
{
    expire_generic(c, 0, false);
}

static void ttl_generic(cmd_ctx *c, bool ms, bool absolute)
{
    kv_obj *o = kv_lookup_notouch(c->ks, c->argv[1].ptr, c->argv[1].len, c->now_ms);
    if (o == NULL) {
        resp_int(c->w, -2);
        return;
    }
    int64_t at = kv_obj_expire_at(c->ks, o);
    if (at == KV_NO_EXPIRE) {
        resp_int(c->w, -1);
        return;
    }
    int64_t ttl = absolute ? at : at - c->now_ms;
    if (ttl < 0) ttl = 0;
    /* Rounded to the nearest second as Redis does, without overflowing
     * at the largest expiry times (PEXPIREAT k 9223372036854775807). */
    resp_int(c->w, ms ? ttl : ttl / 1000 + (ttl % 1000 >= 500));
}

void kvcmd_ttl(cmd_ctx *c)
{
    ttl_generic(c, false, false);
}

void kvcmd_pttl(cmd_ctx *c)
{
    ttl_generic(c, true, false);
}

void kvcmd_expiretime(cmd_ctx *c)
{
    ttl_generic(c, false, true);
}

void kvcmd_pexpiretime(cmd_ctx *c)
{
    ttl_generic(c, true, true);
}

void kvcmd_persist(cmd_ctx *c)
{
    kv_obj *o = kv_lookup_write(c->ks, c->argv[1].ptr, c->argv[1].len, c->now_ms);
    if (o && kv_persist(c->ks, o)) {
        kv_touch(c->ks, o, c->revision);
        resp_int(c->w, 1);
    } else {
        resp_int(c->w, 0);
    }
}
