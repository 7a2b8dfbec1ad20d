/* resp/resp.h - the RESP2/RESP3 protocol: a request parser and a reply
 * writer. Pure: no I/O, no clock, no globals. The parser reads bytes a
 * connection has buffered; the writer appends encoded replies to a buf.
 *
 * Owns: the parse state of one connection's current request.
 * May call: base/ (buf, mem, assert).
 * Must never: do I/O, allocate per byte, trust a length it has not bounded.
 *
 * Parsing model (zero copy). The caller keeps the connection's unconsumed
 * input in one contiguous buffer whose first byte is the first byte of the
 * current request. resp_parse_request() scans it; when a whole request is
 * present it reports argv as (offset, length) pairs relative to that buffer
 * and how many bytes the request took. The caller executes the command,
 * advances past `consumed` bytes and calls again (pipelining). When the
 * request is incomplete the parser keeps its position, so a request split at
 * any byte boundary is scanned once overall, not once per arrival; the caller
 * must then keep the partial bytes at the front of its buffer (it may move
 * them, offsets are relative) and call again with more appended.
 *
 * Two request forms, as Redis: multibulk ("*<n>\r\n$<len>\r\n<bytes>\r\n...")
 * and inline (a line of space-separated words with "..." and '...' quoting,
 * ended by "\n" or "\r\n"), so that telnet and nc work. */
#ifndef POLIS_RESP_RESP_H
#define POLIS_RESP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* ---- Parser ------------------------------------------------------------ */

typedef struct resp_limits {
    size_t bulk_bytes_max;   /* proto-max-bulk-len, default 512 MiB */
    size_t args_max;         /* proto-max-args, default 1,048,576 */
    size_t inline_bytes_max; /* longest inline request or length line, 64 KiB */
} resp_limits;

#define RESP_BULK_BYTES_MAX_DEFAULT (512ull * 1024 * 1024)
#define RESP_ARGS_MAX_DEFAULT (1024ull * 1024)
#define RESP_INLINE_BYTES_MAX_DEFAULT (64ull * 1024)

typedef struct resp_arg {
    size_t off; /* from the start of the buffer passed to resp_parse_request */
    size_t len;
} resp_arg;

enum resp_parse_result {
    RESP_PARSE_DONE = 0,  /* a whole request: argv/argc/consumed are set */
    RESP_PARSE_MORE = 1,  /* incomplete: append more bytes and call again */
    RESP_PARSE_ERROR = -1 /* protocol error: p->error says what; close */
};

typedef struct resp_parser {
    resp_limits limits;
    /* Output of a DONE parse; valid until the next call. argc may be 0 (an
     * empty inline line, "*0\r\n" or "*-1\r\n"): the caller skips it. */
    resp_arg *argv;
    size_t argc;
    size_t consumed;
    /* When MORE is returned while reading a bulk payload, the total number of
     * buffer bytes needed to finish that payload (0 if unknown), so the caller
     * can reserve once instead of growing repeatedly for a 100 MB value. */
    size_t need_bytes;
    /* On ERROR: a static message in Redis's words, without the "-ERR "
     * prefix, e.g. "Protocol error: invalid bulk length". */
    const char *error;
    /* Inline parsing writes unescaped arguments here (inline arguments may
     * contain escapes, so they cannot point into the input). When
     * `inline_args` is true, argv offsets refer to `inline_buf.data` instead
     * of the input buffer. */
    bool inline_args;
    buf inline_buf;
    /* Private resumable state. */
    size_t argv_cap;
    size_t pos;           /* bytes of the current request scanned so far */
    int64_t multibulk_left;
    int64_t bulk_len;     /* -1 when not inside a bulk payload */
    int kind;             /* 0 = not started, 1 = multibulk, 2 = inline */
    size_t scan_pos;      /* where the search for the current line end resumes */
    char errbuf[64];      /* `error` for messages that quote a byte */
} resp_parser;

void resp_parser_init(resp_parser *p, const resp_limits *limits);
void resp_parser_free(resp_parser *p);
/* Forgets a partial request (the caller dropped its input). */
void resp_parser_reset(resp_parser *p);
enum resp_parse_result resp_parse_request(resp_parser *p, const char *input,
                                          size_t len);
/* The bytes of argument i of a DONE parse, given the same input pointer. */
static inline const char *resp_arg_ptr(const resp_parser *p, const char *input,
                                       size_t i)
{
    return (p->inline_args ? p->inline_buf.data : input) + p->argv[i].off;
}

/* ---- Writer ------------------------------------------------------------ */

/* Appends replies to `out` in protocol version `proto` (2 or 3). RESP3-only
 * types degrade to their RESP2 forms exactly as Redis 7 does: map -> flat
 * array of 2n, set -> array, double -> bulk string, null -> $-1 (or *-1 for
 * a null array), boolean -> integer 1/0, verbatim -> bulk string,
 * push -> array. */
typedef struct resp_writer {
    buf *out;
    int proto;
} resp_writer;

void resp_simple(resp_writer *w, const char *s, size_t len);  /* +s */
void resp_simple_cstr(resp_writer *w, const char *s);
/* -s: s holds the code and message ("ERR syntax error"); any \r or \n in it
 * is replaced by a space, so a reply can never break framing. */
void resp_error(resp_writer *w, const char *s, size_t len);
void resp_error_cstr(resp_writer *w, const char *s);
void resp_errorf(resp_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void resp_ok(resp_writer *w);                                  /* +OK */
void resp_int(resp_writer *w, int64_t v);                      /* :v */
void resp_bulk(resp_writer *w, const void *p, size_t len);     /* $len */
void resp_bulk_cstr(resp_writer *w, const char *s);
void resp_bulk_i64(resp_writer *w, int64_t v);                 /* as text */
void resp_null(resp_writer *w);        /* RESP3 _ ; RESP2 $-1 */
void resp_null_array(resp_writer *w);  /* RESP3 _ ; RESP2 *-1 */
void resp_array(resp_writer *w, size_t n);                     /* *n */
void resp_map(resp_writer *w, size_t n_pairs);   /* %n ; RESP2 *2n */
void resp_set(resp_writer *w, size_t n);         /* ~n ; RESP2 *n */
void resp_push(resp_writer *w, size_t n);        /* >n ; RESP2 *n */
/* RESP3 ,<repr> with inf/-inf/nan; RESP2 a bulk string of the same repr.
 * The repr is "%.17g" (Redis 7.0), "inf", "-inf" or "nan". */
void resp_double(resp_writer *w, double d);
void resp_bool(resp_writer *w, bool b);          /* #t/#f ; RESP2 :1/:0 */
/* RESP3 =len\r\n<fmt3>:<text> ; RESP2 a bulk string of text. fmt3 is the
 * three-letter format, "txt" or "mkd". */
void resp_verbatim(resp_writer *w, const char *fmt3, const char *text, size_t len);

/* Deferred aggregate lengths, for replies whose element count is known only
 * after they are written (KEYS, SCAN). resp_defer() remembers the position;
 * resp_defer_array()/resp_defer_map()/resp_defer_set() insert the header
 * there. Deferrals may nest; finish the innermost first. */
size_t resp_defer(resp_writer *w);
void resp_defer_array(resp_writer *w, size_t mark, size_t n);
void resp_defer_map(resp_writer *w, size_t mark, size_t n_pairs);
void resp_defer_set(resp_writer *w, size_t mark, size_t n);

#endif
