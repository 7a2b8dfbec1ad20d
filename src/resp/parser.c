/* resp/parser.c - the request parser: multibulk and inline, resumable.
 *
 * The multibulk rules are Redis 7's processMultibulkBuffer(), the inline rules
 * its processInlineBuffer() and sdssplitargs(), down to the error messages, so
 * that clients see the same replies for the same bad input. Two deliberate
 * differences, both for framing safety:
 *
 * - A bulk payload must be followed by "\r\n"; Redis skips any two bytes.
 * - A line (a length line or an inline request) must end within
 *   limits.inline_bytes_max bytes of its start, however the bytes arrive.
 *   Redis only checks the bytes it has buffered when it finds no line end,
 *   so a long line is accepted or rejected depending on how the network
 *   split it; here the answer depends only on the bytes, which is what lets
 *   the tests and the fuzzer check that splitting never changes a result.
 *
 * Wire format of a multibulk request, byte by byte:
 *
 *   '*' <count> '\r' '\n'                     count: see parse_i64()
 *   count times:
 *     '$' <length> '\r' '\n'                    length: 0..bulk_bytes_max
 *     <length bytes of payload> '\r' '\n'
 *
 * A length line must end in "\r\n" (Redis skips the byte after '\r'
 * unchecked; polis treats anything else as garbage). A count <= 0 is an
 * empty request (argc 0) the caller skips.
 *
 * Resumption: `pos` is the start of the next unparsed item (a length line or
 * a payload) and everything before it has been parsed into argv (as offsets,
 * since the caller may move its buffer). `scan_pos` is how far the search for
 * the current line's end has got, so a long line that arrives a byte at a
 * time is searched once, not once per byte. */
#include "resp/resp.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

_Static_assert(sizeof(size_t) >= sizeof(int64_t),
               "bulk lengths are int64 and must fit in size_t");

enum { KIND_NONE = 0, KIND_MULTIBULK = 1, KIND_INLINE = 2 };

/* argv and inline_buf persist across requests so that steady-state
 * pipelining does not allocate. A request that grew them past these sizes
 * gives the memory back when the next request starts, so one huge MSET does
 * not pin megabytes for the life of the connection. */
#define ARGV_FIRST_COUNT  16
#define ARGV_KEEP_COUNT   1024
#define INLINE_KEEP_BYTES 4096

/* Redis's string2ll() rejects strings of LONG_STR_SIZE (21) bytes or more;
 * "-9223372036854775808" is 20. */
#define INT_TEXT_BYTES_MAX 20
/* The fast path parses at most this many digits, so it cannot overflow. */
#define FAST_DIGITS_MAX 18

static const char ERR_MBULK_LENGTH[] = "Protocol error: invalid multibulk length";
static const char ERR_BULK_LENGTH[] = "Protocol error: invalid bulk length";
static const char ERR_MBULK_TOO_BIG[] = "Protocol error: too big mbulk count string";
static const char ERR_BULK_TOO_BIG[] = "Protocol error: too big bulk count string";
static const char ERR_NO_CRLF[] = "Protocol error: expected CRLF after bulk payload";
static const char ERR_INLINE_TOO_BIG[] = "Protocol error: too big inline request";
static const char ERR_UNBALANCED[] = "Protocol error: unbalanced quotes in request";

static void clear_request_state(resp_parser *p)
{
    p->kind = KIND_NONE;
    p->pos = 0;
    p->scan_pos = 0;
    p->multibulk_left = -1;
    p->bulk_len = -1;
}

void resp_parser_init(resp_parser *p, const resp_limits *limits)
{
    PASSERT(p != NULL);
    memset(p, 0, sizeof *p);
    if (limits != NULL) {
        p->limits = *limits;
    } else {
        p->limits.bulk_bytes_max = RESP_BULK_BYTES_MAX_DEFAULT;
        p->limits.args_max = RESP_ARGS_MAX_DEFAULT;
        p->limits.inline_bytes_max = RESP_INLINE_BYTES_MAX_DEFAULT;
    }
    PASSERT(p->limits.args_max > 0);
    PASSERT(p->limits.inline_bytes_max > 0);
    /* Keeps pos + bulk_len + 2 far from overflowing size_t. */
    PASSERT(p->limits.bulk_bytes_max <= SIZE_MAX / 4);
    buf_init(&p->inline_buf);
    clear_request_state(p);
}

void resp_parser_free(resp_parser *p)
{
    mem_free(p->argv);
    p->argv = NULL;
    p->argv_cap = 0;
    p->argc = 0;
    buf_free(&p->inline_buf);
    clear_request_state(p);
}

void resp_parser_reset(resp_parser *p)
{
    p->argc = 0;
    p->consumed = 0;
    p->need_bytes = 0;
    p->error = NULL;
    p->inline_args = false;
    clear_request_state(p);
}

static enum resp_parse_result finish(resp_parser *p)
{
    PASSERT(p->pos > 0);
    p->consumed = p->pos;
    clear_request_state(p);
    return RESP_PARSE_DONE;
}

static enum resp_parse_result fail(resp_parser *p, const char *message)
{
    p->error = message;
    p->argc = 0;
    clear_request_state(p);
    return RESP_PARSE_ERROR;
}

static void advance(resp_parser *p, size_t pos)
{
    PASSERT(pos > p->pos);
    p->pos = pos;
    p->scan_pos = pos;
}

static void grow_argv(resp_parser *p)
{
    size_t cap = p->argv_cap ? p->argv_cap * 2 : ARGV_FIRST_COUNT;
    PASSERT(cap > p->argv_cap);
    PASSERT(cap <= SIZE_MAX / sizeof *p->argv);
    p->argv = mem_realloc(p->argv, cap * sizeof *p->argv);
    p->argv_cap = cap;
}

static inline void push_arg(resp_parser *p, size_t off, size_t len)
{
    if (p->argc == p->argv_cap) grow_argv(p);
    p->argv[p->argc].off = off;
    p->argv[p->argc].len = len;
    p->argc++;
}

/* ---- Lines and integers ------------------------------------------------ */

/* Parses s[0..n) exactly as Redis's string2ll(): an optional '-', then
 * digits with no leading zero ("0" alone is fine), nothing else (no '+', no
 * spaces), no overflow. Returns false if s is not such a number. */
static bool parse_i64(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > INT_TEXT_BYTES_MAX) return false;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    size_t i = 0;
    bool negative = s[0] == '-';
    if (negative) i++;
    if (i == n || s[i] < '1' || s[i] > '9') return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned digit = (unsigned)(unsigned char)s[i] - '0';
        if (digit > 9) return false;
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    if (negative) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

enum line_status { LINE_FOUND, LINE_MORE, LINE_TOO_LONG };

/* Looks for byte `end` in the line starting at `start`, no further than
 * limits.inline_bytes_max bytes past the start, resuming at scan_pos. The
 * window does not depend on how much input there is, so the outcome is the
 * same however the line was split. */
static enum line_status find_line_end(resp_parser *p, const char *input, size_t len,
                                      size_t start, char end, size_t *at)
{
    PASSERT(start <= len);
    PASSERT(p->scan_pos >= start);
    size_t max = p->limits.inline_bytes_max;
    bool window_full = len - start > max;
    size_t window_end = window_full ? start + max + 1 : len;
    if (p->scan_pos < window_end) {
        const char *hit = memchr(input + p->scan_pos, end, window_end - p->scan_pos);
        if (hit != NULL) {
            *at = (size_t)(hit - input);
            /* The caller may still need the byte after it: find it again
             * at once next time. */
            p->scan_pos = *at;
            return LINE_FOUND;
        }
        p->scan_pos = window_end;
    }
    return window_full ? LINE_TOO_LONG : LINE_MORE;
}

/* The common case, a short well-formed non-negative length such as "$3\r\n":
 * digits are parsed while scanning for the '\r'. Returns false for anything
 * else (a sign, a leading zero, many digits, a line not yet complete, a line
 * past the window), which read_length() then handles by the general rules;
 * for the inputs accepted here both give the same answer. */
static inline bool read_length_fast(const resp_parser *p, const char *input, size_t len,
                                    int64_t *n, size_t *next)
{
    size_t start = p->pos;
    size_t i = start + 1;
    size_t stop = i + FAST_DIGITS_MAX < len ? i + FAST_DIGITS_MAX : len;
    uint64_t v = 0;
    while (i < stop) {
        unsigned digit = (unsigned)(unsigned char)input[i] - '0';
        if (digit > 9) break;
        v = v * 10 + digit;
        i++;
    }
    size_t digits = i - start - 1;
    if (digits == 0 || (digits > 1 && input[start + 1] == '0')) return false;
    if (i + 1 >= len || input[i] != '\r' || input[i + 1] != '\n') return false;
    if (i - start > p->limits.inline_bytes_max) return false;
    *n = (int64_t)v;
    *next = i + 2;
    return true;
}

/* Reads the length line at pos: the count line ("*<n>") when count_line,
 * else a bulk length line ("$<n>"). On DONE, *n is the value and pos is past
 * the line. The order of the checks is Redis's: first a whole line, then the
 * '$', then the number. */
static enum resp_parse_result read_length(resp_parser *p, const char *input, size_t len,
                                          bool count_line, int64_t *n)
{
    size_t start = p->pos;
    size_t next;
    PASSERT(start <= len);
    if (start == len) return RESP_PARSE_MORE;
    if ((count_line || input[start] == '$') &&
        read_length_fast(p, input, len, n, &next)) {
        advance(p, next);
        return RESP_PARSE_DONE;
    }

    size_t cr = 0;
    switch (find_line_end(p, input, len, start, '\r', &cr)) {
    case LINE_TOO_LONG:
        return fail(p, count_line ? ERR_MBULK_TOO_BIG : ERR_BULK_TOO_BIG);
    case LINE_MORE:
        return RESP_PARSE_MORE;
    case LINE_FOUND:
        break;
    }
    /* Redis needs the byte after the '\r' before it looks at the line. */
    if (cr + 1 >= len) return RESP_PARSE_MORE;
    if (!count_line && input[start] != '$') {
        snprintf(p->errbuf, sizeof p->errbuf, "Protocol error: expected '$', got '%c'",
                 input[start]);
        return fail(p, p->errbuf);
    }
    /* Stricter than Redis, which skips the byte after '\r' unchecked: a
     * length line must end in CRLF, so garbage cannot pass as framing. */
    if (input[cr + 1] != '\n' || !parse_i64(input + start + 1, cr - start - 1, n)) {
        return fail(p, count_line ? ERR_MBULK_LENGTH : ERR_BULK_LENGTH);
    }
    advance(p, cr + 2);
    return RESP_PARSE_DONE;
}

/* ---- Multibulk ------------------------------------------------------- */

static enum resp_parse_result parse_multibulk(resp_parser *p, const char *input,
                                              size_t len)
{
    enum resp_parse_result rv;
    int64_t n = 0;
    if (p->multibulk_left < 0) {
        rv = read_length(p, input, len, true, &n);
        if (rv != RESP_PARSE_DONE) return rv;
        if (n <= 0) return finish(p);
        if (n > INT_MAX || (uint64_t)n > p->limits.args_max) {
            return fail(p, ERR_MBULK_LENGTH);
        }
        p->multibulk_left = n;
    }

    while (p->multibulk_left > 0) {
        if (p->bulk_len < 0) {
            rv = read_length(p, input, len, false, &n);
            if (rv != RESP_PARSE_DONE) return rv;
            if (n < 0 || (uint64_t)n > p->limits.bulk_bytes_max) {
                return fail(p, ERR_BULK_LENGTH);
            }
            p->bulk_len = n;
        }
        size_t payload_bytes = (size_t)p->bulk_len;
        size_t need = p->pos + payload_bytes + 2;
        if (len < need) {
            p->need_bytes = need;
            return RESP_PARSE_MORE;
        }
        if (input[need - 2] != '\r' || input[need - 1] != '\n') {
            return fail(p, ERR_NO_CRLF);
        }
        push_arg(p, p->pos, payload_bytes);
        advance(p, need);
        p->bulk_len = -1;
        p->multibulk_left--;
    }
    return finish(p);
}

/* ---- Inline ---------------------------------------------------------- */

/* isspace() in the C locale, which sdssplitargs() uses between arguments. */
static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_value(char c)
{
    if (c >= '0' && c <= '9') return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f') return (unsigned)(c - 'a' + 10);
    return (unsigned)(c - 'A' + 10);
}

/* The byte at i, or '\0' past the end: sdssplitargs() works on a C string,
 * and this is how it sees the end of the line. */
static inline char at(const char *s, size_t n, size_t i)
{
    return i < n ? s[i] : '\0';
}

static inline void put(buf *out, char c)
{
    /* split_inline() reserved the line's length: output never outgrows
     * input, since every step reads at least as many bytes as it writes. */
    PASSERT(out->len < out->cap);
    out->data[out->len++] = c;
}

static char unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* A closing quote must be followed by a blank or the end of the line. */
static bool quote_closes(const char *s, size_t n, size_t i)
{
    char next = at(s, n, i + 1);
    return next == '\0' || is_blank(next);
}

/* Reads one argument starting at s[i] (not a blank) into out, as one pass of
 * sdssplitargs()'s token loop: plain bytes up to ' ', '\t', '\r' or the end;
 * "..." with \n \r \t \b \a \xHH and \<any> escapes; '...' with only \'.
 * Quotes may start mid-argument (a"b c" is the one argument `ab c`). Returns
 * the index after the argument, or SIZE_MAX for unbalanced quotes. */
static size_t split_token(const char *s, size_t n, size_t i, buf *out)
{
    enum { PLAIN, DOUBLE, SINGLE } mode = PLAIN;
    for (;;) {
        char c = at(s, n, i);
        if (mode == DOUBLE) {
            if (c == '\\' && at(s, n, i + 1) == 'x' && is_hex(at(s, n, i + 2)) &&
                is_hex(at(s, n, i + 3))) {
                put(out, (char)(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3])));
                i += 4;
            } else if (c == '\\' && at(s, n, i + 1) != '\0') {
                put(out, unescape(s[i + 1]));
                i += 2;
            } else if (c == '"') {
                return quote_closes(s, n, i) ? i + 1 : SIZE_MAX;
            } else if (c == '\0') {
                return SIZE_MAX;
            } else {
                put(out, c);
                i++;
            }
        } else if (mode == SINGLE) {
            if (c == '\\' && at(s, n, i + 1) == '\'') {
                put(out, '\'');
                i += 2;
            } else if (c == '\'') {
                return quote_closes(s, n, i) ? i + 1 : SIZE_MAX;
            } else if (c == '\0') {
                return SIZE_MAX;
            } else {
                put(out, c);
                i++;
            }
        } else {
            switch (c) {
            case ' ':
            case '\n':
            case '\r':
            case '\t':
            case '\0':
                return i;
            case '"':
                mode = DOUBLE;
                break;
            case '\'':
                mode = SINGLE;
                break;
            default:
                put(out, c);
                break;
            }
            i++;
        }
    }
}

/* Splits s[0..n) into arguments in inline_buf. Returns NULL or an error. */
static const char *split_inline(resp_parser *p, const char *s, size_t n)
{
    buf *out = &p->inline_buf;
    buf_clear(out);
    buf_reserve(out, n);
    size_t i = 0;
    for (;;) {
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n) return NULL;
        if (p->argc >= p->limits.args_max) return ERR_MBULK_LENGTH;
        size_t start = out->len;
        i = split_token(s, n, i, out);
        if (i == SIZE_MAX) return ERR_UNBALANCED;
        PASSERT(i <= n);
        push_arg(p, start, out->len - start);
    }
}

static enum resp_parse_result parse_inline(resp_parser *p, const char *input, size_t len)
{
    size_t newline = 0;
    switch (find_line_end(p, input, len, 0, '\n', &newline)) {
    case LINE_TOO_LONG:
        return fail(p, ERR_INLINE_TOO_BIG);
    case LINE_MORE:
        return RESP_PARSE_MORE;
    case LINE_FOUND:
        break;
    }
    size_t line_bytes = newline;
    if (line_bytes > 0 && input[line_bytes - 1] == '\r') line_bytes--;
    /* sdssplitargs() reads a C string: a NUL ends the line for it. */
    const char *nul = memchr(input, '\0', line_bytes);
    if (nul != NULL) line_bytes = (size_t)(nul - input);

    p->inline_args = true;
    const char *error = split_inline(p, input, line_bytes);
    if (error != NULL) return fail(p, error);
    advance(p, newline + 1);
    return finish(p);
}

/* ---- Entry ----------------------------------------------------------- */

static void start_request(resp_parser *p, char first)
{
    p->argc = 0;
    p->inline_args = false;
    if (p->argv_cap > ARGV_KEEP_COUNT) {
        mem_free(p->argv);
        p->argv = NULL;
        p->argv_cap = 0;
    }
    if (p->inline_buf.cap > INLINE_KEEP_BYTES) buf_free(&p->inline_buf);
    /* Redis's processInputBuffer(): '*' starts a multibulk request, any
     * other byte an inline one. */
    p->kind = first == '*' ? KIND_MULTIBULK : KIND_INLINE;
}

enum resp_parse_result resp_parse_request(resp_parser *p, const char *input, size_t len)
{
    PASSERT(p != NULL);
    PASSERT(input != NULL || len == 0);
    /* The caller must hand back at least the bytes already scanned. */
    PASSERT(len >= p->pos);
    PASSERT(len >= p->scan_pos);
    p->consumed = 0;
    p->need_bytes = 0;
    p->error = NULL;
    if (p->kind == KIND_NONE) {
        if (len == 0) return RESP_PARSE_MORE;
        start_request(p, input[0]);
    }
    if (p->kind == KIND_MULTIBULK) return parse_multibulk(p, input, len);
    PASSERT(p->kind == KIND_INLINE);
    return parse_inline(p, input, len);
}
