/* base/buf.h - a growable byte buffer.
 *
 * Owns its memory (from mem_alloc). `len` bytes at `data` are valid; `cap`
 * is the allocation. Growth doubles up to 1 MiB and then grows by 1 MiB
 * steps plus the request, so appending n bytes is amortized O(n) without
 * doubling huge buffers. A buf is not NUL-terminated unless the caller
 * appends one. */
#ifndef POLIS_BASE_BUF_H
#define POLIS_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf;

#define BUF_INIT {NULL, 0, 0}

void buf_init(buf *b);
void buf_free(buf *b);                     /* releases memory, len = cap = 0 */
void buf_reserve(buf *b, size_t extra);    /* cap >= len + extra afterwards */
void buf_append(buf *b, const void *p, size_t n);
void buf_append_char(buf *b, char c);
void buf_append_str(buf *b, const char *s); /* NUL-terminated source */
void buf_append_fmt(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_append_vfmt(buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void buf_append_i64(buf *b, int64_t v);    /* decimal, fast path */
void buf_append_u64(buf *b, uint64_t v);
/* Inserts n bytes at offset `at`, moving the tail right. */
void buf_insert(buf *b, size_t at, const void *p, size_t n);
/* Drops the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(buf *b, size_t n);
void buf_clear(buf *b);                    /* len = 0, keeps capacity */
/* Frees the allocation if it is empty and larger than keep_bytes. */
void buf_shrink_if_idle(buf *b, size_t keep_bytes);

/* Formats v as decimal into dst (>= 21 bytes); returns the length. */
size_t fmt_i64(char *dst, int64_t v);
size_t fmt_u64(char *dst, uint64_t v);

#endif
