/* tests/unit/test_resp.c - the RESP request parser and reply writer.
 *
 * Parser tests read as "these bytes give this log". A simulated connection
 * does what node/conn does (append what arrived, parse, consume, repeat) and
 * logs one line per finished request:
 *
 *   <consumed>:[arg][arg]...      a request (no brackets: argc 0)
 *   ERROR <message>               a protocol error; the connection closes
 *   pending <bytes>               left over, waiting for more input
 *
 * with bytes outside printable ASCII (and [ ] \) written as \xHH. Since a
 * log states the whole outcome of an input, expect_parse() can check that
 * every way of cutting the input into pieces (each single cut, each pair of
 * cuts, byte by byte) gives the same log as the whole buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "resp/resp.h"

/* ---- A simulated connection ------------------------------------------ */

typedef struct conn_sim {
    resp_parser parser;
    buf pending; /* the connection's unconsumed input */
    buf log;
    bool closed;
} conn_sim;

static void log_bytes(buf *log, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '[' && c != ']' && c != '\\') {
            buf_append_char(log, (char)c);
        } else {
            buf_append_fmt(log, "\\x%02x", c);
        }
    }
}

/* Invariants of every DONE parse, whatever the input. */
static void check_done(const resp_parser *p, size_t len)
{
    assert_true(p->consumed > 0);
    assert_true(p->consumed <= len);
    assert_true(p->argc <= p->limits.args_max);
    assert_true(p->argc <= p->argv_cap || p->argc == 0);
    size_t limit = p->inline_args ? p->inline_buf.len : p->consumed;
    for (size_t i = 0; i < p->argc; i++) {
        assert_true(p->argv[i].off <= limit);
        assert_true(p->argv[i].len <= limit - p->argv[i].off);
    }
}

static void sim_receive(conn_sim *c, const char *bytes, size_t n)
{
    if (c->closed) return;
    buf_append(&c->pending, bytes, n);
    for (;;) {
        /* A fresh copy for every call: the parser must keep offsets, never
         * pointers, since a real connection's buffer moves when it grows.
         * ASan reports any stale pointer into a freed copy. */
        size_t len = c->pending.len;
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        if (len > 0) memcpy(copy, c->pending.data, len);
        enum resp_parse_result rv = resp_parse_request(&c->parser, copy, len);
        if (rv == RESP_PARSE_DONE) {
            check_done(&c->parser, len);
            buf_append_fmt(&c->log, "%zu:", c->parser.consumed);
            for (size_t i = 0; i < c->parser.argc; i++) {
                buf_append_char(&c->log, '[');
                log_bytes(&c->log, resp_arg_ptr(&c->parser, copy, i),
                          c->parser.argv[i].len);
                buf_append_char(&c->log, ']');
            }
            buf_append_char(&c->log, '\n');
            buf_consume(&c->pending, c->parser.consumed);
        } else if (rv == RESP_PARSE_ERROR) {
            assert_non_null(c->parser.error);
            buf_append_str(&c->log, "ERROR ");
            log_bytes(&c->log, c->parser.error, strlen(c->parser.error));
            buf_append_char(&c->log, '\n');
            c->closed = true;
        } else {
            assert_int_equal(rv, RESP_PARSE_MORE);
            assert_true(c->parser.pos <= len);
            assert_true(c->parser.need_bytes == 0 || c->parser.need_bytes > len);
        }
        free(copy);
        if (rv != RESP_PARSE_DONE) return;
    }
}

/* Parses in[0..len) delivered in pieces cut at the sorted offsets cuts[];
 * returns the log (free() it). */
static char *parse_cut(const char *in, size_t len, const size_t *cuts, size_t cut_count,
                       const resp_limits *limits)
{
    conn_sim c = {.closed = false};
    resp_parser_init(&c.parser, limits);
    buf_init(&c.pending);
    buf_init(&c.log);
    size_t from = 0;
    for (size_t i = 0; i <= cut_count; i++) {
        size_t to = i < cut_count ? cuts[i] : len;
        assert_true(from <= to && to <= len);
        sim_receive(&c, in + from, to - from);
        from = to;
    }
    if (!c.closed && c.pending.len > 0) {
        buf_append_fmt(&c.log, "pending %zu\n", c.pending.len);
    }
    buf_append_char(&c.log, '\0');
    char *log = strdup(c.log.data);
    assert_non_null(log);
    buf_free(&c.log);
    buf_free(&c.pending);
    resp_parser_free(&c.parser);
    return log;
}

static char *parse_whole(const char *in, size_t len, const resp_limits *limits)
{
    return parse_cut(in, len, NULL, 0, limits);
}

static char *parse_bytewise(const char *in, size_t len, const resp_limits *limits)
{
    size_t *cuts = calloc(len + 1, sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i;
    char *log = parse_cut(in, len, cuts, len, limits);
    free(cuts);
    return log;
}

/* The log of in[0..len) is `expected`, however the input is cut. */
static void expect_parse_limits(const char *in, size_t len, const char *expected,
                                const resp_limits *limits)
{
    char *log = parse_whole(in, len, limits);
    assert_string_equal(log, expected);
    free(log);

    log = parse_bytewise(in, len, limits);
    assert_string_equal(log, expected);
    free(log);

    for (size_t a = 0; a <= len; a++) {
        for (size_t b = a; b <= len; b++) {
            size_t cuts[2] = {a, b};
            log = parse_cut(in, len, cuts, 2, limits);
            if (strcmp(log, expected) != 0) {
                print_error("cut at %zu and %zu\n", a, b);
                assert_string_equal(log, expected);
            }
            free(log);
        }
    }
}

#define EXPECT_PARSE(in, expected)                                                       \
    expect_parse_limits((in), sizeof(in) - 1, (expected), NULL)
#define EXPECT_PARSE_LIMITS(in, expected, limits)                                        \
    expect_parse_limits((in), sizeof(in) - 1, (expected), (limits))

/* Small limits, so that each one is easy to cross. */
static const resp_limits small_limits = {
    .bulk_bytes_max = 4,
    .args_max = 3,
    .inline_bytes_max = 8,
};

/* ---- The harness itself ---------------------------------------------- */

static void test_harness_can_fail(void **state)
{
    (void)state;
    /* The split tests compare logs: prove that different inputs give
     * different logs, and that an unfinished request shows up. */
    char *ping = parse_whole("PING\r\n", 6, NULL);
    char *pong = parse_whole("PONG\r\n", 6, NULL);
    char *partial = parse_whole("PING\r", 5, NULL);
    assert_string_not_equal(ping, pong);
    assert_string_equal(partial, "pending 5\n");
    free(ping);
    free(pong);
    free(partial);
}

/* ---- Multibulk ------------------------------------------------------- */

static void test_multibulk_requests(void **state)
{
    (void)state;
    EXPECT_PARSE("*1\r\n$4\r\nPING\r\n", "14:[PING]\n");
    EXPECT_PARSE("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", "26:[SET][k][]\n");
    EXPECT_PARSE("*1\r\n$4\r\n\r\n\r\n\r\n", "14:[\\x0d\\x0a\\x0d\\x0a]\n");
    EXPECT_PARSE("*1\r\n$10\r\n0123456789\r\n", "21:[0123456789]\n");
    /* A length line must end in CRLF (Redis would skip the byte unchecked). */
    EXPECT_PARSE("*1\rX$1\r\na\r\n", "ERROR Protocol error: invalid multibulk length\n");
    EXPECT_PARSE("*1\r\n$1\rYa\r\n", "ERROR Protocol error: invalid bulk length\n");
    /* A payload may hold anything, including what looks like protocol. */
    EXPECT_PARSE("*2\r\n$4\r\n*1\r\n\r\n$2\r\n$0\r\n", "22:[*1\\x0d\\x0a][$0]\n");
}

static void test_multibulk_empty_requests(void **state)
{
    (void)state;
    EXPECT_PARSE("*0\r\n", "4:\n");
    EXPECT_PARSE("*-1\r\n", "5:\n");
    EXPECT_PARSE("*-5\r\n", "5:\n");
    EXPECT_PARSE("*-9223372036854775808\r\n", "23:\n");
    EXPECT_PARSE("*0\r\n*1\r\n$1\r\nx\r\n", "4:\n11:[x]\n");
}

static void test_multibulk_count_errors(void **state)
{
    (void)state;
    const char *invalid = "ERROR Protocol error: invalid multibulk length\n";
    EXPECT_PARSE("*abc\r\n", invalid);
    EXPECT_PARSE("*\r\n", invalid);
    EXPECT_PARSE("*-\r\n", invalid);
    EXPECT_PARSE("*+1\r\n", invalid);
    EXPECT_PARSE("* 1\r\n", invalid);
    EXPECT_PARSE("*1 \r\n", invalid);
    EXPECT_PARSE("*01\r\n", invalid);
    EXPECT_PARSE("*00\r\n", invalid);
    EXPECT_PARSE("*-0\r\n", invalid);
    EXPECT_PARSE("*1x\r\n", invalid);
    EXPECT_PARSE("*9223372036854775808\r\n", invalid);
    EXPECT_PARSE("*-9223372036854775809\r\n", invalid);
    EXPECT_PARSE("*99999999999999999999\r\n", invalid);
    EXPECT_PARSE("*123456789012345678901\r\n", invalid);
    EXPECT_PARSE("*1048577\r\n", invalid); /* RESP_ARGS_MAX_DEFAULT + 1 */
    EXPECT_PARSE("*1048576\r\n", "pending 10\n");

    /* INT_MAX bounds the count even when args_max does not. */
    resp_limits huge = {RESP_BULK_BYTES_MAX_DEFAULT, SIZE_MAX, 64};
    EXPECT_PARSE_LIMITS("*2147483648\r\n", invalid, &huge);
    EXPECT_PARSE_LIMITS("*2147483647\r\n", "pending 13\n", &huge);
}

static void test_multibulk_bulk_errors(void **state)
{
    (void)state;
    const char *invalid = "ERROR Protocol error: invalid bulk length\n";
    EXPECT_PARSE("*1\r\n$-1\r\n", invalid);
    EXPECT_PARSE("*1\r\n$abc\r\n", invalid);
    EXPECT_PARSE("*1\r\n$\r\n", invalid);
    EXPECT_PARSE("*1\r\n$+1\r\n", invalid);
    EXPECT_PARSE("*1\r\n$01\r\n", invalid);
    EXPECT_PARSE("*1\r\n$ 1\r\n", invalid);
    EXPECT_PARSE("*1\r\n$536870913\r\n", invalid); /* 512 MiB + 1 */
    EXPECT_PARSE("*1\r\n$99999999999999999999\r\n", invalid);
    EXPECT_PARSE("*1\r\n$536870912\r\n", "pending 16\n");

    EXPECT_PARSE("*1\r\nX\r\n", "ERROR Protocol error: expected '$', got 'X'\n");
    EXPECT_PARSE("*2\r\n$1\r\na\r\n:1\r\n",
                 "ERROR Protocol error: expected '$', got ':'\n");
    EXPECT_PARSE("*1\r\n\r\n", "ERROR Protocol error: expected '$', got '\\x0d'\n");
    /* Redis looks at the '$' only once the line is complete. */
    EXPECT_PARSE("*1\r\nX", "pending 5\n");
    EXPECT_PARSE("*1\r\nX\r", "pending 6\n");

    const char *no_crlf = "ERROR Protocol error: expected CRLF after bulk payload\n";
    EXPECT_PARSE("*1\r\n$3\r\nfooXY", no_crlf);
    EXPECT_PARSE("*1\r\n$3\r\nfoo\rX", no_crlf);
    EXPECT_PARSE("*1\r\n$3\r\nfoo\n\r", no_crlf);
    EXPECT_PARSE("*1\r\n$0\r\n\n\n", no_crlf);
    EXPECT_PARSE("*1\r\n$3\r\nfoo\r", "pending 12\n");
}

static void test_multibulk_limits(void **state)
{
    (void)state;
    const resp_limits *l = &small_limits;
    /* A line must end within inline_bytes_max (8) bytes of its start: the
     * '\r' at offset 8 is in, at offset 9 is out. */
    EXPECT_PARSE_LIMITS("*123456789\r\n",
                        "ERROR Protocol error: too big mbulk count string\n", l);
    EXPECT_PARSE_LIMITS("*123456789",
                        "ERROR Protocol error: too big mbulk count string\n", l);
    EXPECT_PARSE_LIMITS("*1234567\r\n",
                        "ERROR Protocol error: invalid multibulk length\n", l);
    EXPECT_PARSE_LIMITS("*1234567\r", "pending 9\n", l);
    EXPECT_PARSE_LIMITS("*1\r\n$12345678\r\n",
                        "ERROR Protocol error: too big bulk count string\n", l);
    EXPECT_PARSE_LIMITS("*1\r\nXXXXXXXXX",
                        "ERROR Protocol error: too big bulk count string\n", l);
    EXPECT_PARSE_LIMITS("*1\r\n$1234567\r\n",
                        "ERROR Protocol error: invalid bulk length\n", l);
    EXPECT_PARSE_LIMITS("*1\r\n$0000001\r\n",
                        "ERROR Protocol error: invalid bulk length\n", l);
    /* bulk_bytes_max (4) and args_max (3). */
    EXPECT_PARSE_LIMITS("*1\r\n$5\r\n", "ERROR Protocol error: invalid bulk length\n", l);
    EXPECT_PARSE_LIMITS("*1\r\n$4\r\nabcd\r\n", "14:[abcd]\n", l);
    EXPECT_PARSE_LIMITS("*4\r\n", "ERROR Protocol error: invalid multibulk length\n", l);
    EXPECT_PARSE_LIMITS("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "25:[a][b][c]\n", l);

    /* The defaults: a length line of more than 64 KiB. */
    size_t len = RESP_INLINE_BYTES_MAX_DEFAULT + 1;
    char *in = malloc(len);
    assert_non_null(in);
    memset(in, '1', len);
    in[0] = '*';
    char *log = parse_whole(in, len, NULL);
    assert_string_equal(log, "ERROR Protocol error: too big mbulk count string\n");
    free(log);
    log = parse_whole(in, len - 1, NULL);
    assert_string_equal(log, "pending 65536\n");
    free(log);
    free(in);
}

static void test_need_bytes(void **state)
{
    (void)state;
    resp_parser p;
    resp_parser_init(&p, NULL);
    const char in[] = "*2\r\n$3\r\nfoo\r\n$10\r\nabc";
    size_t len = sizeof in - 1;
    assert_int_equal(resp_parse_request(&p, in, len), RESP_PARSE_MORE);
    /* 13 bytes for the header and foo, 5 for "$10\r\n", 10 + 2 payload. */
    assert_int_equal(p.need_bytes, 13 + 5 + 12);
    /* Unknown while a length line is incomplete. */
    resp_parser_reset(&p);
    assert_int_equal(resp_parse_request(&p, in, 15), RESP_PARSE_MORE);
    assert_int_equal(p.need_bytes, 0);
    resp_parser_free(&p);
}

/* After MORE the parser resumes where it stopped: what it parsed stays
 * parsed (argv holds it), and a length line is not searched again. */
static void test_resumes_without_rescanning(void **state)
{
    (void)state;
    resp_parser p;
    resp_parser_init(&p, NULL);
    const char in[] = "*2\r\n$3\r\nfoo\r\n$5\r\nhello\r\n";
    assert_int_equal(resp_parse_request(&p, in, 20), RESP_PARSE_MORE);
    assert_int_equal(p.pos, 17); /* the second payload */
    assert_int_equal(p.argc, 1);
    assert_int_equal(p.bulk_len, 5);
    assert_int_equal(p.multibulk_left, 1);

    /* A long line a byte at a time: the search goes on from where it was. */
    resp_parser_reset(&p);
    char line[64] = "*1\r\n$";
    memset(line + 5, '7', 40);
    for (size_t len = 1; len <= 45; len++) {
        assert_int_equal(resp_parse_request(&p, line, len), RESP_PARSE_MORE);
        assert_true(p.scan_pos == len || len <= 4);
    }
    resp_parser_free(&p);
}

/* ---- argv growth ----------------------------------------------------- */

static void test_huge_count_does_not_preallocate(void **state)
{
    (void)state;
    resp_parser p;
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parse_request(&p, "*1000000\r\n", 10), RESP_PARSE_MORE);
    assert_true(p.argv_cap <= 16);
    assert_int_equal(resp_parse_request(&p, "*1000000\r\n$1\r\na\r\n", 17),
                     RESP_PARSE_MORE);
    assert_int_equal(p.argc, 1);
    assert_true(p.argv_cap <= 16);
    resp_parser_free(&p);
}

static void test_argv_grows_and_is_released(void **state)
{
    (void)state;
    const size_t count = 100000;
    buf in = BUF_INIT;
    buf_append_fmt(&in, "*%zu\r\n", count);
    for (size_t i = 0; i < count; i++)
        buf_append_str(&in, "$1\r\nx\r\n");
    size_t big = in.len;
    buf_append_str(&in, "*1\r\n$4\r\nPING\r\n");

    resp_parser p;
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parse_request(&p, in.data, in.len), RESP_PARSE_DONE);
    assert_int_equal(p.argc, count);
    assert_int_equal(p.consumed, big);
    assert_true(p.argv_cap >= count && p.argv_cap < 2 * count);
    assert_int_equal(p.argv[count - 1].off, big - 3);

    /* The next request gives the big argv back. */
    assert_int_equal(resp_parse_request(&p, in.data + big, in.len - big),
                     RESP_PARSE_DONE);
    assert_int_equal(p.argc, 1);
    assert_true(p.argv_cap <= 16);
    resp_parser_free(&p);
    buf_free(&in);
}

/* ---- Inline ---------------------------------------------------------- */

static void test_inline_requests(void **state)
{
    (void)state;
    EXPECT_PARSE("PING\r\n", "6:[PING]\n");
    EXPECT_PARSE("PING\n", "5:[PING]\n");
    EXPECT_PARSE("set k v\r\n", "9:[set][k][v]\n");
    EXPECT_PARSE("  set \t k   v  \r\n", "17:[set][k][v]\n");
    EXPECT_PARSE("a\tb c\td\n", "8:[a][b][c][d]\n");
    EXPECT_PARSE("\r\n", "2:\n");
    EXPECT_PARSE("\n", "1:\n");
    EXPECT_PARSE("   \t \r\n", "7:\n");
    EXPECT_PARSE("\r\r\n", "3:\n");
    /* Only the '\r' right before the '\n' belongs to the line end; another
     * one ends an argument as a blank. */
    EXPECT_PARSE("a\rb\r\n", "5:[a][b]\n");
    /* \v and \f are skipped between arguments but do not end one. */
    EXPECT_PARSE("\v\fa\vb c\n", "8:[a\\x0bb][c]\n");
    EXPECT_PARSE("PING", "pending 4\n");
    EXPECT_PARSE("PING\r", "pending 5\n");
}

static void test_inline_quotes(void **state)
{
    (void)state;
    EXPECT_PARSE("set \"a b\" 'c d'\n", "16:[set][a b][c d]\n");
    EXPECT_PARSE("\"\" ''\n", "6:[][]\n");
    EXPECT_PARSE("\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"\n",
                 "19:[\\x0a\\x0d\\x09\\x08\\x07\\x5c\"q]\n");
    EXPECT_PARSE("\"\\x41\\x4a\\xff\\x00z\"\n", "20:[AJ\\xff\\x00z]\n");
    /* \x without two hex digits is an ordinary escape of 'x'. */
    EXPECT_PARSE("\"\\x4\" \"\\xg1\"\n", "13:[x4][xg1]\n");
    EXPECT_PARSE("'it\\'s' 'a\\nb' 'c\\\\d'\n", "22:[it's][a\\x5cnb][c\\x5c\\x5cd]\n");
    /* In single quotes \\ is two bytes, so \\' still escapes the quote. */
    EXPECT_PARSE("'c\\\\'\n", "ERROR Protocol error: unbalanced quotes in request\n");
    /* A quote may open mid-argument. */
    EXPECT_PARSE("ab\"c d\"\n", "8:[abc d]\n");
    EXPECT_PARSE("ab'c d'\n", "8:[abc d]\n");
    /* A closing quote followed by a blank other than space. */
    EXPECT_PARSE("\"a\"\tb\n", "6:[a][b]\n");
    EXPECT_PARSE("\"a\"\r\n", "5:[a]\n");
    EXPECT_PARSE("\"a\"\rb\r\n", "7:[a][b]\n");
    /* sdssplitargs() reads a C string: a NUL ends the line. */
    EXPECT_PARSE("get a\0b c\n", "10:[get][a]\n");
    EXPECT_PARSE("\0 xyz\n", "6:\n");
}

static void test_inline_errors(void **state)
{
    (void)state;
    const char *unbalanced = "ERROR Protocol error: unbalanced quotes in request\n";
    EXPECT_PARSE("set \"a\n", unbalanced);
    EXPECT_PARSE("set 'a\n", unbalanced);
    EXPECT_PARSE("set \"a\"b\n", unbalanced);
    EXPECT_PARSE("set 'a'b\n", unbalanced);
    EXPECT_PARSE("\"a\\\"\n", unbalanced);
    EXPECT_PARSE("\"a\\\n", unbalanced);
    EXPECT_PARSE("'a\\'\n", unbalanced);
    EXPECT_PARSE("\"a\0\"\n", unbalanced);
    EXPECT_PARSE("\"\"\"\"\n", unbalanced);
    EXPECT_PARSE("PING\r\n\"\n",
                 "6:[PING]\nERROR Protocol error: unbalanced quotes in request\n");

    const resp_limits *l = &small_limits;
    EXPECT_PARSE_LIMITS("abcdefghi\n", "ERROR Protocol error: too big inline request\n",
                        l);
    EXPECT_PARSE_LIMITS("abcdefghi", "ERROR Protocol error: too big inline request\n", l);
    EXPECT_PARSE_LIMITS("abcdefgh\n", "9:[abcdefgh]\n", l);
    EXPECT_PARSE_LIMITS("abcdefg\r\n", "9:[abcdefg]\n", l);
    EXPECT_PARSE_LIMITS("abcdefgh", "pending 8\n", l);
    EXPECT_PARSE_LIMITS("a b c d\n", "ERROR Protocol error: invalid multibulk length\n",
                        l);
    EXPECT_PARSE_LIMITS("a b c\n", "6:[a][b][c]\n", l);
}

static void test_inline_args_point_into_inline_buf(void **state)
{
    (void)state;
    resp_parser p;
    resp_parser_init(&p, NULL);
    const char in[] = "set \"k\\x21\" v\r\n*1\r\n$1\r\nx\r\n";
    assert_int_equal(resp_parse_request(&p, in, sizeof in - 1), RESP_PARSE_DONE);
    assert_true(p.inline_args);
    assert_int_equal(p.argc, 3);
    assert_memory_equal(resp_arg_ptr(&p, in, 1), "k!", 2);
    assert_int_equal(p.argv[1].len, 2);

    size_t off = p.consumed;
    assert_int_equal(resp_parse_request(&p, in + off, sizeof in - 1 - off),
                     RESP_PARSE_DONE);
    assert_false(p.inline_args);
    assert_int_equal(p.argv[0].off, 8);
    resp_parser_free(&p);
}

/* ---- Splits, resets -------------------------------------------------- */

/* A pipeline of varied requests: an empty argument, "\r\n" and binary bytes
 * inside payloads, inline requests with quotes and escapes, argc-0 requests
 * of every form, a payload that looks like protocol, and a partial request
 * at the end. */
static const char PIPELINE[] = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$6\r\na\r\nb\r\n\r\n"
                               "PING\r\n"
                               "*0\r\n"
                               "  set \"a\\x41\\n\\\"\" 'it\\'s'\t x\r\n"
                               "*-1\r\n"
                               "\r\n"
                               "*2\r\n$4\r\n\x00\xff\r\n\r\n$1\r\n*\r\n"
                               "\n"
                               "GET k\n"
                               "*1\r\n$13\r\n*1\r\n$3\r\nfoo\r\n\r\n"
                               "echo \"\" ''\r\n"
                               "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
                               "*1\r\n$3\r\nGE";

static const char PIPELINE_LOG[] = "31:[SET][][a\\x0d\\x0ab\\x0d\\x0a]\n"
                                   "6:[PING]\n"
                                   "4:\n"
                                   "30:[set][aA\\x0a\"][it's][x]\n"
                                   "5:\n"
                                   "2:\n"
                                   "21:[\\x00\\xff\\x0d\\x0a][*]\n"
                                   "1:\n"
                                   "6:[GET][k]\n"
                                   "24:[*1\\x0d\\x0a$3\\x0d\\x0afoo\\x0d\\x0a]\n"
                                   "12:[echo][][]\n"
                                   "22:[HELLO][3]\n"
                                   "pending 10\n";

static void test_pipeline_split_anywhere(void **state)
{
    (void)state;
    EXPECT_PARSE(PIPELINE, PIPELINE_LOG);
}

static void test_pipeline_ending_in_error_split_anywhere(void **state)
{
    (void)state;
    EXPECT_PARSE("PING\r\n*1\r\n$2\r\nok\r\n*1\r\n$1\r\nabc\r\nPING\r\n",
                 "6:[PING]\n12:[ok]\n"
                 "ERROR Protocol error: expected CRLF after bulk payload\n");
    EXPECT_PARSE_LIMITS("*1\r\n$2\r\nok\r\nabc d\nx 'y z'\n*9\r\n",
                        "12:[ok]\n6:[abc][d]\n8:[x][y z]\n"
                        "ERROR Protocol error: invalid multibulk length\n",
                        &small_limits);
}

static void test_reset_forgets_partial_request(void **state)
{
    (void)state;
    resp_parser p;
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parse_request(&p, "*2\r\n$3\r\nfoo\r\n", 13), RESP_PARSE_MORE);
    resp_parser_reset(&p);
    assert_int_equal(p.pos, 0);
    assert_int_equal(resp_parse_request(&p, "PING\n", 5), RESP_PARSE_DONE);
    assert_int_equal(p.argc, 1);
    assert_int_equal(p.consumed, 5);
    assert_int_equal(resp_parse_request(&p, "", 0), RESP_PARSE_MORE);
    resp_parser_free(&p);
}

static void test_default_limits(void **state)
{
    (void)state;
    resp_parser p;
    resp_parser_init(&p, NULL);
    assert_int_equal(p.limits.bulk_bytes_max, RESP_BULK_BYTES_MAX_DEFAULT);
    assert_int_equal(p.limits.args_max, RESP_ARGS_MAX_DEFAULT);
    assert_int_equal(p.limits.inline_bytes_max, RESP_INLINE_BYTES_MAX_DEFAULT);
    resp_parser_free(&p);
}

/* ---- Writer ---------------------------------------------------------- */

static void expect_bytes(const buf *out, const char *expected, size_t len)
{
    if (out->len != len || memcmp(out->data, expected, len) != 0) {
        buf shown = BUF_INIT;
        log_bytes(&shown, out->data, out->len);
        buf_append_char(&shown, '\0');
        print_error("got \"%s\"\n", shown.data);
        buf_free(&shown);
        fail();
    }
}

/* Runs `calls` (which use `w`) in protocol `proto` and compares the bytes. */
#define EXPECT_REPLY(proto, expected, calls)                                             \
    do {                                                                                 \
        buf out_ = BUF_INIT;                                                             \
        resp_writer w_ = {&out_, (proto)};                                               \
        resp_writer *w = &w_;                                                            \
        calls;                                                                           \
        expect_bytes(&out_, (expected), sizeof(expected) - 1);                           \
        buf_free(&out_);                                                                 \
    } while (0)

#define EXPECT_REPLY_BOTH(expected, calls)                                               \
    do {                                                                                 \
        EXPECT_REPLY(2, expected, calls);                                                \
        EXPECT_REPLY(3, expected, calls);                                                \
    } while (0)

static void test_writer_simple_and_errors(void **state)
{
    (void)state;
    EXPECT_REPLY_BOTH("+OK\r\n", resp_ok(w));
    EXPECT_REPLY_BOTH("+PONG\r\n", resp_simple_cstr(w, "PONG"));
    EXPECT_REPLY_BOTH("+QUEUED\r\n", resp_simple(w, "QUEUEDxx", 6));
    EXPECT_REPLY_BOTH("+\r\n", resp_simple(w, NULL, 0));
    EXPECT_REPLY_BOTH("-ERR syntax error\r\n", resp_error_cstr(w, "ERR syntax error"));
    EXPECT_REPLY_BOTH("-ERR a  b c \r\n", resp_error(w, "ERR a\r\nb\nc\r", 11));
    EXPECT_REPLY_BOTH("-WRONGTYPE xy\r\n", resp_error(w, "WRONGTYPE xyz", 12));
    EXPECT_REPLY_BOTH("-ERR unknown command 'a  b', with args\r\n",
                      resp_errorf(w, "ERR unknown command '%s', with args", "a\r\nb"));
    EXPECT_REPLY_BOTH("-ERR bad   \r\n", resp_errorf(w, "ERR bad %s", "\n\r"));
    /* Longer than buf_append_vfmt's stack buffer. */
    char big[400];
    memset(big, '\n', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf out = BUF_INIT;
    resp_writer wr = {&out, 3};
    resp_errorf(&wr, "ERR %s!", big);
    assert_int_equal(out.len, 1 + 4 + 399 + 1 + 2);
    assert_null(memchr(out.data, '\n', out.len - 1));
    assert_memory_equal(out.data + out.len - 3, "!\r\n", 3);
    buf_free(&out);
}

static void test_writer_integers_and_bulks(void **state)
{
    (void)state;
    EXPECT_REPLY_BOTH(":0\r\n", resp_int(w, 0));
    EXPECT_REPLY_BOTH(":-42\r\n", resp_int(w, -42));
    EXPECT_REPLY_BOTH(":9223372036854775807\r\n", resp_int(w, INT64_MAX));
    EXPECT_REPLY_BOTH(":-9223372036854775808\r\n", resp_int(w, INT64_MIN));
    EXPECT_REPLY_BOTH("$5\r\nhello\r\n", resp_bulk(w, "hello", 5));
    EXPECT_REPLY_BOTH("$0\r\n\r\n", resp_bulk(w, "", 0));
    EXPECT_REPLY_BOTH("$0\r\n\r\n", resp_bulk(w, NULL, 0));
    EXPECT_REPLY_BOTH("$4\r\n\r\n\0\xff\r\n", resp_bulk(w, "\r\n\0\xff", 4));
    EXPECT_REPLY_BOTH("$3\r\nabc\r\n", resp_bulk_cstr(w, "abc"));
    EXPECT_REPLY_BOTH("$1\r\n0\r\n", resp_bulk_i64(w, 0));
    EXPECT_REPLY_BOTH("$4\r\n-123\r\n", resp_bulk_i64(w, -123));
    EXPECT_REPLY_BOTH("$20\r\n-9223372036854775808\r\n", resp_bulk_i64(w, INT64_MIN));

    /* A bulk larger than the buffer's first growth steps. */
    size_t len = 100000;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, 'v', len);
    buf out = BUF_INIT;
    resp_writer wr = {&out, 2};
    resp_bulk(&wr, big, len);
    assert_int_equal(out.len, 9 + len + 2);
    assert_memory_equal(out.data, "$100000\r\n", 9);
    assert_memory_equal(out.data + 9, big, len);
    free(big);
    buf_free(&out);
}

static void test_writer_nulls_and_aggregates(void **state)
{
    (void)state;
    EXPECT_REPLY(2, "$-1\r\n", resp_null(w));
    EXPECT_REPLY(3, "_\r\n", resp_null(w));
    EXPECT_REPLY(2, "*-1\r\n", resp_null_array(w));
    EXPECT_REPLY(3, "_\r\n", resp_null_array(w));
    EXPECT_REPLY_BOTH("*0\r\n", resp_array(w, 0));
    EXPECT_REPLY_BOTH("*3\r\n", resp_array(w, 3));
    EXPECT_REPLY(2, "*4\r\n", resp_map(w, 2));
    EXPECT_REPLY(3, "%2\r\n", resp_map(w, 2));
    EXPECT_REPLY(2, "*0\r\n", resp_map(w, 0));
    EXPECT_REPLY(3, "%0\r\n", resp_map(w, 0));
    EXPECT_REPLY(2, "*5\r\n", resp_set(w, 5));
    EXPECT_REPLY(3, "~5\r\n", resp_set(w, 5));
    EXPECT_REPLY(2, "*3\r\n", resp_push(w, 3));
    EXPECT_REPLY(3, ">3\r\n", resp_push(w, 3));
    EXPECT_REPLY(2, ":1\r\n:0\r\n", (resp_bool(w, true), resp_bool(w, false)));
    EXPECT_REPLY(3, "#t\r\n#f\r\n", (resp_bool(w, true), resp_bool(w, false)));
    EXPECT_REPLY(3, "*2\r\n$1\r\na\r\n_\r\n",
                 (resp_array(w, 2), resp_bulk_cstr(w, "a"), resp_null(w)));
}

static void test_writer_doubles(void **state)
{
    (void)state;
    EXPECT_REPLY(3, ",1.5\r\n", resp_double(w, 1.5));
    EXPECT_REPLY(2, "$3\r\n1.5\r\n", resp_double(w, 1.5));
    EXPECT_REPLY(3, ",0\r\n", resp_double(w, 0.0));
    EXPECT_REPLY(3, ",-0\r\n", resp_double(w, -0.0));
    EXPECT_REPLY(3, ",10\r\n", resp_double(w, 10.0));
    /* "%.17g" shows the binary value, as Redis 7.0 does. */
    EXPECT_REPLY(3, ",0.10000000000000001\r\n", resp_double(w, 0.1));
    EXPECT_REPLY(2, "$19\r\n0.10000000000000001\r\n", resp_double(w, 0.1));
    EXPECT_REPLY(3, ",1e+100\r\n", resp_double(w, 1e100));
    EXPECT_REPLY(3, ",-2.2250738585072014e-308\r\n",
                 resp_double(w, -2.2250738585072014e-308));
    EXPECT_REPLY(3, ",inf\r\n", resp_double(w, INFINITY));
    EXPECT_REPLY(3, ",-inf\r\n", resp_double(w, -INFINITY));
    EXPECT_REPLY(2, "$3\r\ninf\r\n", resp_double(w, INFINITY));
    EXPECT_REPLY(2, "$4\r\n-inf\r\n", resp_double(w, -INFINITY));
    EXPECT_REPLY(3, ",nan\r\n", resp_double(w, NAN));
    EXPECT_REPLY(3, ",nan\r\n", resp_double(w, -NAN));
    EXPECT_REPLY(2, "$3\r\nnan\r\n", resp_double(w, NAN));
}

static void test_writer_verbatim(void **state)
{
    (void)state;
    EXPECT_REPLY(3, "=9\r\ntxt:hello\r\n", resp_verbatim(w, "txt", "hello", 5));
    EXPECT_REPLY(3, "=6\r\nmkd:#x\r\n", resp_verbatim(w, "mkd", "#x", 2));
    EXPECT_REPLY(3, "=4\r\ntxt:\r\n", resp_verbatim(w, "txt", "", 0));
    /* Redis pads a short format with spaces and uses at most three bytes. */
    EXPECT_REPLY(3, "=5\r\nx  :a\r\n", resp_verbatim(w, "x", "a", 1));
    EXPECT_REPLY(3, "=5\r\nabc:a\r\n", resp_verbatim(w, "abcd", "a", 1));
    EXPECT_REPLY(2, "$5\r\nhello\r\n", resp_verbatim(w, "txt", "hello", 5));
    EXPECT_REPLY(2, "$2\r\n\r\n\r\n", resp_verbatim(w, "txt", "\r\n", 2));
}

static void test_writer_deferred(void **state)
{
    (void)state;
    /* A map of string -> array, both lengths deferred, the inner one
     * finished first. */
#define DEFERRED_REPLY                                                                   \
    do {                                                                                 \
        size_t outer = resp_defer(w);                                                    \
        resp_bulk_cstr(w, "k");                                                          \
        size_t inner = resp_defer(w);                                                    \
        resp_int(w, 1);                                                                  \
        resp_int(w, 2);                                                                  \
        resp_defer_array(w, inner, 2);                                                   \
        resp_defer_map(w, outer, 1);                                                     \
    } while (0)
    EXPECT_REPLY(2, "*2\r\n$1\r\nk\r\n*2\r\n:1\r\n:2\r\n", DEFERRED_REPLY);
    EXPECT_REPLY(3, "%1\r\n$1\r\nk\r\n*2\r\n:1\r\n:2\r\n", DEFERRED_REPLY);
#undef DEFERRED_REPLY

    EXPECT_REPLY(3, "+a\r\n*1\r\n~0\r\n", {
        resp_simple_cstr(w, "a");
        size_t outer = resp_defer(w);
        size_t inner = resp_defer(w);
        resp_defer_set(w, inner, 0);
        resp_defer_array(w, outer, 1);
    });
    EXPECT_REPLY(2, "*0\r\n", resp_defer_set(w, resp_defer(w), 0));
    EXPECT_REPLY(3, "~2\r\n:1\r\n:2\r\n", {
        size_t mark = resp_defer(w);
        resp_int(w, 1);
        resp_int(w, 2);
        resp_defer_set(w, mark, 2);
    });
    EXPECT_REPLY(2, "*2\r\n:1\r\n:2\r\n", {
        size_t mark = resp_defer(w);
        resp_int(w, 1);
        resp_int(w, 2);
        resp_defer_set(w, mark, 2);
    });
    EXPECT_REPLY(3, "%0\r\n", resp_defer_map(w, resp_defer(w), 0));
    EXPECT_REPLY(2, "*0\r\n", resp_defer_map(w, resp_defer(w), 0));
    /* A deferred length of many digits. */
    EXPECT_REPLY(3, "*1234567890\r\n", resp_defer_array(w, resp_defer(w), 1234567890));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harness_can_fail),
        cmocka_unit_test(test_multibulk_requests),
        cmocka_unit_test(test_multibulk_empty_requests),
        cmocka_unit_test(test_multibulk_count_errors),
        cmocka_unit_test(test_multibulk_bulk_errors),
        cmocka_unit_test(test_multibulk_limits),
        cmocka_unit_test(test_need_bytes),
        cmocka_unit_test(test_resumes_without_rescanning),
        cmocka_unit_test(test_huge_count_does_not_preallocate),
        cmocka_unit_test(test_argv_grows_and_is_released),
        cmocka_unit_test(test_inline_requests),
        cmocka_unit_test(test_inline_quotes),
        cmocka_unit_test(test_inline_errors),
        cmocka_unit_test(test_inline_args_point_into_inline_buf),
        cmocka_unit_test(test_pipeline_split_anywhere),
        cmocka_unit_test(test_pipeline_ending_in_error_split_anywhere),
        cmocka_unit_test(test_reset_forgets_partial_request),
        cmocka_unit_test(test_default_limits),
        cmocka_unit_test(test_writer_simple_and_errors),
        cmocka_unit_test(test_writer_integers_and_bulks),
        cmocka_unit_test(test_writer_nulls_and_aggregates),
        cmocka_unit_test(test_writer_doubles),
        cmocka_unit_test(test_writer_verbatim),
        cmocka_unit_test(test_writer_deferred),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
