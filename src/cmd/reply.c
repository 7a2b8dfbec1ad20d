/* cmd/reply.c - rejections and shared replies, in Redis 7.0's words. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "cmd/cmd.h"

void cmd_reply_unknown(resp_writer *w, const cmd_arg *argv, size_t argc, bool unknown_sub)
{
    buf msg = BUF_INIT;
    /* Redis formats arguments with %s: they end at the first NUL byte. */
    size_t name_len = strnlen(argv[0].ptr, argv[0].len);
    if (name_len > 128) name_len = 128;
    if (unknown_sub) {
        size_t sub_len = strnlen(argv[1].ptr, argv[1].len);
        if (sub_len > 128) sub_len = 128;
        buf_append_str(&msg, "ERR unknown subcommand '");
        buf_append(&msg, argv[1].ptr, sub_len);
        buf_append_str(&msg, "'. Try ");
        for (size_t i = 0; i < name_len; i++) {
            char ch = argv[0].ptr[i];
            buf_append_char(&msg, (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch);
        }
        buf_append_str(&msg, " HELP.");
    } else {
        buf_append_str(&msg, "ERR unknown command '");
        buf_append(&msg, argv[0].ptr, name_len);
        buf_append_str(&msg, "', with args beginning with: ");
        size_t args_len = 0;
        for (size_t i = 1; i < argc && args_len < 128; i++) {
            size_t n = strnlen(argv[i].ptr, argv[i].len);
            if (n > 128 - args_len) n = 128 - args_len;
            buf_append_char(&msg, '\'');
            buf_append(&msg, argv[i].ptr, n);
            buf_append_str(&msg, "' ");
            args_len += n + 3;
        }
    }
    resp_error(w, msg.data, msg.len);
    buf_free(&msg);
}

void cmd_reply_arity(resp_writer *w, const cmd_def *d)
{
    resp_errorf(w, "ERR wrong number of arguments for '%s' command", d->fullname);
}

void cmd_error(cmd_ctx *c, const char *msg)
{
    c->failed = true;
    resp_error_cstr(c->w, msg);
}

void cmd_errorf(cmd_ctx *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cmd_error(c, msg);
}

void cmd_error_arity(cmd_ctx *c)
{
    c->failed = true;
    cmd_reply_arity(c->w, c->cmd);
}

void cmd_error_expire_time(cmd_ctx *c)
{
    cmd_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->fullname);
}

bool cmd_arg_i64_or_reply(cmd_ctx *c, size_t i, int64_t *out, const char *err)
{
    if (str_to_i64(c->argv[i].ptr, c->argv[i].len, out)) return true;
    cmd_error(c, err ? err : CMD_ERR_NOT_INT);
    return false;
}

bool cmd_add_float_or_reply(cmd_ctx *c, long double value, long double incr, char *out,
                            size_t *len)
{
    value += incr;
    if (isnan(value) || isinf(value)) {
        cmd_error(c, "ERR increment would produce NaN or Infinity");
        return false;
    }
    *len = fmt_long_double_human(out, CMD_FLOAT_OUT_BYTES, value);
    if (*len == 0) {
        cmd_error(c, CMD_ERR_NOT_FLOAT);
        return false;
    }
    return true;
}

const char *cmd_arg_cstr(const cmd_ctx *c, size_t i, char *tmp, size_t cap)
{
    size_t n = c->argv[i].len < cap - 1 ? c->argv[i].len : cap - 1;
    memcpy(tmp, c->argv[i].ptr, n);
    tmp[n] = '\0';
    return tmp;
}

void cmd_reply_string_obj(cmd_ctx *c, const kv_obj *o)
{
    char tmp[24];
    size_t len;
    const char *s = kv_string_bytes(o, tmp, &len);
    resp_bulk(c->w, s, len);
}
