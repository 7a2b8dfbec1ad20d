/* tests/fuzz/fuzz_resp_request.c - libFuzzer target for resp_parse_request().
 *
 * Input layout:
 *
 *   byte 0     bit 7: default limits, else small limits from bytes 0 and 1;
 *              bit 6: also deliver the stream one byte at a time
 *   byte 1     inline_bytes_max for small limits
 *   byte 2     number of cuts (mod 16)
 *   byte 3     seed for where the cuts fall
 *   byte 4...  the request stream
 *
 * The stream is parsed as a connection would (append, parse, consume,
 * repeat), once whole and once cut into pieces, and the two outcomes must be
 * identical: the same requests with the same arguments, the same error, the
 * same bytes left over. Each call gets a fresh copy of the connection's
 * buffer, so a pointer kept across calls is a use after free for ASan. Every
 * finished request is also re-encoded as canonical multibulk and parsed
 * again, which must give back the same arguments. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "resp/resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_BYTES       4
#define CUTS_MAX           16
#define BYTEWISE_BYTES_MAX 512

#define CHECK(x)                                                                         \
    do {                                                                                 \
        if (!(x)) {                                                                      \
            fprintf(stderr, "fuzz_resp_request: check failed: %s (%s:%d)\n", #x,         \
                    __FILE__, __LINE__);                                                 \
            abort();                                                                     \
        }                                                                                \
    } while (0)

typedef struct conn_sim {
    resp_parser parser;
    buf pending;
    buf log; /* binary: what the parse produced, for comparison */
    bool closed;
} conn_sim;

static void log_size(buf *log, size_t v)
{
    buf_append(log, &v, sizeof v);
}

/* Re-encodes argv as canonical multibulk and checks that it parses back to
 * the same arguments. */
static void check_round_trip(const resp_parser *p, const char *input)
{
    buf encoded = BUF_INIT;
    buf_append_fmt(&encoded, "*%zu\r\n", p->argc);
    for (size_t i = 0; i < p->argc; i++) {
        buf_append_fmt(&encoded, "$%zu\r\n", p->argv[i].len);
        buf_append(&encoded, resp_arg_ptr(p, input, i), p->argv[i].len);
        buf_append(&encoded, "\r\n", 2);
    }
    resp_parser again;
    resp_parser_init(&again, NULL);
    CHECK(resp_parse_request(&again, encoded.data, encoded.len) == RESP_PARSE_DONE);
    CHECK(again.consumed == encoded.len);
    CHECK(again.argc == p->argc);
    CHECK(!again.inline_args);
    for (size_t i = 0; i < p->argc; i++) {
        CHECK(again.argv[i].len == p->argv[i].len);
        CHECK(memcmp(resp_arg_ptr(&again, encoded.data, i), resp_arg_ptr(p, input, i),
                     p->argv[i].len) == 0);
    }
    resp_parser_free(&again);
    buf_free(&encoded);
}

static void check_done(const resp_parser *p, const char *input, size_t len)
{
    CHECK(p->consumed > 0);
    CHECK(p->consumed <= len);
    CHECK(p->error == NULL);
    CHECK(p->argc <= p->limits.args_max);
    CHECK(p->argc == 0 || p->argc <= p->argv_cap);
    if (p->inline_args) CHECK(p->consumed <= p->limits.inline_bytes_max + 1);
    size_t limit = p->inline_args ? p->inline_buf.len : p->consumed;
    for (size_t i = 0; i < p->argc; i++) {
        CHECK(p->argv[i].off <= limit);
        CHECK(p->argv[i].len <= limit - p->argv[i].off);
        if (!p->inline_args) CHECK(p->argv[i].len <= p->limits.bulk_bytes_max);
    }
    check_round_trip(p, input);
}

static void sim_receive(conn_sim *c, const char *bytes, size_t n)
{
    if (c->closed) return;
    buf_append(&c->pending, bytes, n);
    for (;;) {
        size_t len = c->pending.len;
        char *copy = malloc(len ? len : 1);
        CHECK(copy != NULL);
        if (len > 0) memcpy(copy, c->pending.data, len);
        enum resp_parse_result rv = resp_parse_request(&c->parser, copy, len);
        if (rv == RESP_PARSE_DONE) {
            check_done(&c->parser, copy, len);
            buf_append_char(&c->log, 'D');
            log_size(&c->log, c->parser.consumed);
            log_size(&c->log, c->parser.argc);
            for (size_t i = 0; i < c->parser.argc; i++) {
                log_size(&c->log, c->parser.argv[i].len);
                buf_append(&c->log, resp_arg_ptr(&c->parser, copy, i),
                           c->parser.argv[i].len);
            }
            buf_consume(&c->pending, c->parser.consumed);
        } else if (rv == RESP_PARSE_ERROR) {
            CHECK(c->parser.error != NULL);
            CHECK(strncmp(c->parser.error, "Protocol error: ", 16) == 0);
            buf_append_char(&c->log, 'E');
            buf_append_str(&c->log, c->parser.error);
            c->closed = true;
        } else {
            CHECK(rv == RESP_PARSE_MORE);
            CHECK(c->parser.pos <= len);
            CHECK(c->parser.scan_pos <= len);
            CHECK(c->parser.need_bytes == 0 || c->parser.need_bytes > len);
        }
        free(copy);
        if (rv != RESP_PARSE_DONE) return;
    }
}

/* Parses the stream delivered in pieces ending at cuts[] (sorted); the log
 * goes to *log (the caller frees it). */
static void parse_cut(const char *in, size_t len, const size_t *cuts, size_t cut_count,
                      const resp_limits *limits, buf *log)
{
    conn_sim c;
    memset(&c, 0, sizeof c);
    resp_parser_init(&c.parser, limits);
    size_t from = 0;
    for (size_t i = 0; i <= cut_count; i++) {
        size_t to = i < cut_count ? cuts[i] : len;
        CHECK(from <= to && to <= len);
        sim_receive(&c, in + from, to - from);
        from = to;
    }
    if (!c.closed) {
        buf_append_char(&c.log, 'P');
        log_size(&c.log, c.pending.len);
    }
    *log = c.log;
    buf_free(&c.pending);
    resp_parser_free(&c.parser);
}

static void expect_same(const buf *whole, const buf *split, const char *how)
{
    if (whole->len == split->len && memcmp(whole->data, split->data, whole->len) == 0) {
        return;
    }
    size_t i = 0;
    while (i < whole->len && i < split->len && whole->data[i] == split->data[i])
        i++;
    fprintf(stderr, "fuzz_resp_request: %s parse differs from whole at log byte %zu\n",
            how, i);
    abort();
}

static uint32_t xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

static void sort_sizes(size_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_BYTES) return 0;
    const char *in = (const char *)data + HEADER_BYTES;
    size_t len = size - HEADER_BYTES;

    resp_limits limits = {RESP_BULK_BYTES_MAX_DEFAULT, RESP_ARGS_MAX_DEFAULT,
                          RESP_INLINE_BYTES_MAX_DEFAULT};
    if (!(data[0] & 0x80)) {
        limits.bulk_bytes_max = data[0] & 0x0f;
        limits.args_max = 1 + ((data[0] >> 4) & 0x03);
        limits.inline_bytes_max = 1 + data[1];
    }

    buf whole;
    parse_cut(in, len, NULL, 0, &limits, &whole);

    size_t cuts[CUTS_MAX];
    size_t cut_count = data[2] % CUTS_MAX;
    uint32_t seed = (uint32_t)data[3] * 2654435761u + (uint32_t)len + 1;
    for (size_t i = 0; i < cut_count; i++) {
        cuts[i] = len ? xorshift32(&seed) % (len + 1) : 0;
    }
    sort_sizes(cuts, cut_count);
    buf split;
    parse_cut(in, len, cuts, cut_count, &limits, &split);
    expect_same(&whole, &split, "cut");
    buf_free(&split);

    if ((data[0] & 0x40) && len <= BYTEWISE_BYTES_MAX) {
        size_t *every = malloc((len + 1) * sizeof *every);
        CHECK(every != NULL);
        for (size_t i = 0; i < len; i++)
            every[i] = i;
        parse_cut(in, len, every, len, &limits, &split);
        expect_same(&whole, &split, "bytewise");
        buf_free(&split);
        free(every);
    }
    buf_free(&whole);
    return 0;
}
