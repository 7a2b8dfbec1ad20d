/* resp/writer.c - the reply writer, byte for byte as Redis 7.0 writes.
 *
 * Wire forms (RESP2 | RESP3), each ending in "\r\n":
 *
 *   simple      +<text>                 | same
 *   error       -<CODE message>         | same
 *   integer     :<decimal>              | same
 *   bulk        $<len>\r\n<bytes>       | same
 *   null        $-1                     | _
 *   null array  *-1                     | _
 *   array       *<n>                    | same
 *   map         *<2n>                   | %<n>
 *   set         *<n>                    | ~<n>
 *   push        *<n>                    | ><n>
 *   double      $<len>\r\n<repr>        | ,<repr>
 *   boolean     :1 / :0                 | #t / #f
 *   verbatim    $<len>\r\n<text>        | =<len+4>\r\n<fmt>:<text>
 *
 * Integers go through fmt_i64()/fmt_u64(): replies are the hot path and
 * printf is several times slower. Only doubles use snprintf, since "%.17g"
 * is the repr Redis 7.0 promises. */
#include "resp/resp.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"

/* A prefix byte, up to 20 digits and a sign, "\r\n"; fmt_i64 wants 21 bytes
 * of room. */
#define HEADER_BYTES_MAX 24
/* "%.17g" of a finite double is at most 24 bytes ("-2.2250738585072014e-308"). */
#define DOUBLE_REPR_BYTES_MAX 32

static bool is_resp3(const resp_writer *w)
{
    PASSERT(w->proto == 2 || w->proto == 3);
    return w->proto == 3;
}

static size_t format_header_u64(char *dst, char prefix, uint64_t n)
{
    dst[0] = prefix;
    size_t k = 1 + fmt_u64(dst + 1, n);
    dst[k] = '\r';
    dst[k + 1] = '\n';
    return k + 2;
}

/* Writes "<prefix><n>\r\n", the header of every length-prefixed type. */
static void put_header_u64(buf *out, char prefix, uint64_t n)
{
    buf_reserve(out, HEADER_BYTES_MAX);
    out->len += format_header_u64(out->data + out->len, prefix, n);
}

static void put_header_i64(buf *out, char prefix, int64_t n)
{
    buf_reserve(out, HEADER_BYTES_MAX);
    char *d = out->data + out->len;
    d[0] = prefix;
    size_t k = 1 + fmt_i64(d + 1, n);
    d[k] = '\r';
    d[k + 1] = '\n';
    out->len += k + 2;
}

static void put_literal(buf *out, const char *s, size_t len)
{
    buf_append(out, s, len);
}

/* Only for string literals: sizeof of a pointer would be wrong. */
#define PUT_LITERAL(out, s) put_literal((out), "" s "", sizeof(s) - 1)

void resp_simple(resp_writer *w, const char *s, size_t len)
{
    buf *out = w->out;
    buf_reserve(out, len + 3);
    char *d = out->data + out->len;
    d[0] = '+';
    if (len > 0) memcpy(d + 1, s, len);
    d[len + 1] = '\r';
    d[len + 2] = '\n';
    out->len += len + 3;
}

void resp_simple_cstr(resp_writer *w, const char *s)
{
    resp_simple(w, s, strlen(s));
}

/* Replaces '\r' and '\n' by spaces in place: a client error message may echo
 * client bytes, and a line break in it would end the reply early and let the
 * rest be read as another reply. */
static void sanitize_error(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r' || s[i] == '\n') s[i] = ' ';
    }
}

void resp_error(resp_writer *w, const char *s, size_t len)
{
    buf *out = w->out;
    buf_reserve(out, len + 3);
    char *d = out->data + out->len;
    d[0] = '-';
    if (len > 0) memcpy(d + 1, s, len);
    sanitize_error(d + 1, len);
    d[len + 1] = '\r';
    d[len + 2] = '\n';
    out->len += len + 3;
}

void resp_error_cstr(resp_writer *w, const char *s)
{
    resp_error(w, s, strlen(s));
}

void resp_errorf(resp_writer *w, const char *fmt, ...)
{
    buf *out = w->out;
    buf_append_char(out, '-');
    size_t start = out->len;
    va_list ap;
    va_start(ap, fmt);
    buf_append_vfmt(out, fmt, ap);
    va_end(ap);
    sanitize_error(out->data + start, out->len - start);
    PUT_LITERAL(out, "\r\n");
}

void resp_ok(resp_writer *w)
{
    PUT_LITERAL(w->out, "+OK\r\n");
}

void resp_int(resp_writer *w, int64_t v)
{
    put_header_i64(w->out, ':', v);
}

void resp_bulk(resp_writer *w, const void *p, size_t len)
{
    buf *out = w->out;
    PASSERT(p != NULL || len == 0);
    buf_reserve(out, HEADER_BYTES_MAX + len + 2);
    out->len += format_header_u64(out->data + out->len, '$', len);
    if (len > 0) memcpy(out->data + out->len, p, len);
    out->len += len;
    out->data[out->len] = '\r';
    out->data[out->len + 1] = '\n';
    out->len += 2;
}

void resp_bulk_cstr(resp_writer *w, const char *s)
{
    resp_bulk(w, s, strlen(s));
}

void resp_bulk_i64(resp_writer *w, int64_t v)
{
    char digits[21];
    size_t n = fmt_i64(digits, v);
    resp_bulk(w, digits, n);
}

void resp_null(resp_writer *w)
{
    if (is_resp3(w))
        PUT_LITERAL(w->out, "_\r\n");
    else
        PUT_LITERAL(w->out, "$-1\r\n");
}

void resp_null_array(resp_writer *w)
{
    if (is_resp3(w))
        PUT_LITERAL(w->out, "_\r\n");
    else
        PUT_LITERAL(w->out, "*-1\r\n");
}

void resp_array(resp_writer *w, size_t n)
{
    put_header_u64(w->out, '*', n);
}

/* RESP2 has no map: Redis sends the pairs as a flat array of keys and
 * values. */
static uint64_t map_flat_count(size_t n_pairs)
{
    PASSERT(n_pairs <= SIZE_MAX / 2);
    return (uint64_t)n_pairs * 2;
}

void resp_map(resp_writer *w, size_t n_pairs)
{
    if (is_resp3(w))
        put_header_u64(w->out, '%', n_pairs);
    else
        put_header_u64(w->out, '*', map_flat_count(n_pairs));
}

void resp_set(resp_writer *w, size_t n)
{
    put_header_u64(w->out, is_resp3(w) ? '~' : '*', n);
}

void resp_push(resp_writer *w, size_t n)
{
    put_header_u64(w->out, is_resp3(w) ? '>' : '*', n);
}

/* Redis 7.0's addReplyDouble(): "%.17g" for finite values, and inf/-inf
 * spelled out since libcs disagree on them. NaN is spelled "nan" whatever
 * its sign bit, where glibc's printf would say "-nan". */
void resp_double(resp_writer *w, double d)
{
    char repr[DOUBLE_REPR_BYTES_MAX];
    size_t len;
    if (isnan(d)) {
        len = 3;
        memcpy(repr, "nan", len);
    } else if (isinf(d)) {
        len = d > 0 ? 3 : 4;
        memcpy(repr, d > 0 ? "inf" : "-inf", len);
    } else {
        int n = snprintf(repr, sizeof repr, "%.17g", d);
        PASSERT(n > 0 && (size_t)n < sizeof repr);
        len = (size_t)n;
    }
    if (!is_resp3(w)) {
        resp_bulk(w, repr, len);
        return;
    }
    buf *out = w->out;
    buf_reserve(out, len + 3);
    out->data[out->len] = ',';
    memcpy(out->data + out->len + 1, repr, len);
    out->data[out->len + 1 + len] = '\r';
    out->data[out->len + 2 + len] = '\n';
    out->len += len + 3;
}

void resp_bool(resp_writer *w, bool b)
{
    /* Every form is four bytes. */
    const char *reply =
        is_resp3(w) ? (b ? "#t\r\n" : "#f\r\n") : (b ? ":1\r\n" : ":0\r\n");
    put_literal(w->out, reply, 4);
}

/* Redis's addReplyVerbatim(): the format is always three bytes, padded with
 * spaces if shorter, and the length counts it and the ':'. */
void resp_verbatim(resp_writer *w, const char *fmt3, const char *text, size_t len)
{
    PASSERT(fmt3 != NULL);
    if (!is_resp3(w)) {
        resp_bulk(w, text, len);
        return;
    }
    PASSERT(text != NULL || len == 0);
    buf *out = w->out;
    put_header_u64(out, '=', (uint64_t)len + 4);
    char prefix[4];
    for (size_t i = 0; i < 3; i++) {
        prefix[i] = *fmt3 == '\0' ? ' ' : *fmt3++;
    }
    prefix[3] = ':';
    buf_append(out, prefix, sizeof prefix);
    buf_append(out, text, len);
    PUT_LITERAL(out, "\r\n");
}

/* ---- Deferred aggregate lengths ------------------------------------- */

size_t resp_defer(resp_writer *w)
{
    return w->out->len;
}

/* Inserts the header at the mark, moving what was written after it. Redis
 * keeps a separate reply node instead; a move costs the bytes of the
 * deferred reply, which the caller has just written anyway. */
static void defer_finish(resp_writer *w, size_t mark, char prefix, uint64_t n)
{
    PASSERT(mark <= w->out->len);
    char header[HEADER_BYTES_MAX];
    size_t len = format_header_u64(header, prefix, n);
    buf_insert(w->out, mark, header, len);
}

void resp_defer_array(resp_writer *w, size_t mark, size_t n)
{
    defer_finish(w, mark, '*', n);
}

void resp_defer_map(resp_writer *w, size_t mark, size_t n_pairs)
{
    if (is_resp3(w))
        defer_finish(w, mark, '%', n_pairs);
    else
        defer_finish(w, mark, '*', map_flat_count(n_pairs));
}

void resp_defer_set(resp_writer *w, size_t mark, size_t n)
{
    defer_finish(w, mark, is_resp3(w) ? '~' : '*', n);
}
