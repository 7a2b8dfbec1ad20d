#include "base/buf.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

#define BUF_DOUBLE_LIMIT_BYTES (1u << 20)

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(buf *b)
{
    mem_free(b->data);
    buf_init(b);
}

void buf_reserve(buf *b, size_t extra)
{
    PASSERT(b->len <= b->cap);
    if (b->cap - b->len >= extra) return;
    size_t need = b->len + extra;
    PASSERT(need >= b->len); /* no overflow */
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap < BUF_DOUBLE_LIMIT_BYTES) cap *= 2;
        else cap = need + BUF_DOUBLE_LIMIT_BYTES;
    }
    b->data = mem_realloc(b->data, cap);
    b->cap = cap;
}

void buf_append(buf *b, const void *p, size_t n)
{
    if (n == 0) return;
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_append_char(buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void buf_append_str(buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_append_vfmt(buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    PASSERT(n >= 0);
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n + 1);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_append_fmt(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_append_vfmt(b, fmt, ap);
    va_end(ap);
}

size_t fmt_u64(char *dst, uint64_t v)
{
    char tmp[21];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    return n;
}

size_t fmt_i64(char *dst, int64_t v)
{
    if (v >= 0) return fmt_u64(dst, (uint64_t)v);
    dst[0] = '-';
    /* -(v + 1) + 1 avoids overflow on INT64_MIN. */
    return 1 + fmt_u64(dst + 1, (uint64_t)(-(v + 1)) + 1);
}

void buf_append_i64(buf *b, int64_t v)
{
    buf_reserve(b, 21);
    b->len += fmt_i64(b->data + b->len, v);
}

void buf_append_u64(buf *b, uint64_t v)
{
    buf_reserve(b, 21);
    b->len += fmt_u64(b->data + b->len, v);
}

void buf_insert(buf *b, size_t at, const void *p, size_t n)
{
    PASSERT(at <= b->len);
    buf_reserve(b, n);
    memmove(b->data + at + n, b->data + at, b->len - at);
    memcpy(b->data + at, p, n);
    b->len += n;
}

void buf_consume(buf *b, size_t n)
{
    PASSERT(n <= b->len);
    if (n == b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_clear(buf *b)
{
    b->len = 0;
}

void buf_shrink_if_idle(buf *b, size_t keep_bytes)
{
    if (b->len == 0 && b->cap > keep_bytes) buf_free(b);
}
