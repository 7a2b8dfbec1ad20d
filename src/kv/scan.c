/* kv/scan.c - see scan.h. */
#include "kv/scan.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/util.h"

bool kv_scan_cursor_or_reply(cmd_ctx *c, size_t arg, uint64_t *cursor)
{
    const cmd_arg *a = &c->argv[arg];
    char tmp[128];
    bool ok = a->len < sizeof tmp;
    if (ok) {
        memcpy(tmp, a->ptr, a->len);
        tmp[a->len] = '\0';
        char *end;
        errno = 0;
        unsigned long long v = strtoull(tmp, &end, 10);
        ok = !isspace((unsigned char)tmp[0]) && end[0] == '\0' && errno != ERANGE;
        *cursor = v;
    }
    if (!ok) cmd_error(c, "ERR invalid cursor");
    return ok;
}

bool kv_scan_options_or_reply(cmd_ctx *c, size_t from, kv_scan_opts *opts)
{
    opts->count = 10;
    opts->pattern = NULL;
    for (size_t i = from; i < c->argc; i += 2) {
        bool has_value = i + 1 < c->argc;
        if (cmd_arg_is(c, i, "count") && has_value) {
            if (!cmd_arg_i64_or_reply(c, i + 1, &opts->count, NULL)) return false;
            if (opts->count < 1) {
                cmd_error(c, CMD_ERR_SYNTAX);
                return false;
            }
        } else if (cmd_arg_is(c, i, "match") && has_value) {
            const cmd_arg *p = &c->argv[i + 1];
            /* "*" matches everything: the same as no pattern. */
            opts->pattern = (p->len == 1 && p->ptr[0] == '*') ? NULL : p;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

bool kv_scan_match(const kv_scan_opts *opts, const char *p, size_t len)
{
    return opts->pattern == NULL ||
           glob_match(opts->pattern->ptr, opts->pattern->len, p, len, false);
}

void kv_scan_collect(void *priv, dict_node *node)
{
    kv_scan_batch *b = priv;
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->found = mem_realloc(b->found, b->cap * sizeof *b->found);
    }
    b->found[b->count++] = node;
}

void kv_scan_batch_free(kv_scan_batch *b)
{
    mem_free(b->found);
    b->found = NULL;
    b->count = b->cap = 0;
}

uint64_t kv_scan_dict(const dict *d, uint64_t cursor, uint64_t count,
                      unsigned elems_per_node, kv_scan_batch *b)
{
    uint64_t budget = count * 10;
    do {
        cursor = dict_scan(d, cursor, kv_scan_collect, b);
    } while (cursor != 0 && budget-- != 0 && (uint64_t)b->count * elems_per_node < count);
    return cursor;
}
