/* tests/unit/kv_world.h - a keyspace driven through the real command table
 * with a controlled clock, for the data type unit tests: run() sends one
 * command and returns its reply as RESP2 text, EXPECT compares it byte for
 * byte (the bytes Redis 7.0 sends). Include once per test file (it defines
 * static state and functions) after cmocka.h. */
#ifndef POLIS_TESTS_UNIT_KV_WORLD_H
#define POLIS_TESTS_UNIT_KV_WORLD_H

#include <stdarg.h>
#include <string.h>

#include "base/mem.h"
#include "cmd/cmd.h"
#include "kv/kv.h"

typedef struct world {
    kv_keyspace ks;
    int64_t now_ms;
    uint64_t revision;
    uint64_t rand_seed;
    cmd_limits limits; /* tests may lower thresholds to force conversions */
    buf out;
} world;

static world W;

static int setup(void **state)
{
    (void)state;
    cmd_table_init();
    kv_init(&W.ks, 99);
    W.now_ms = 1700000000000;
    W.revision = 0;
    W.rand_seed = 7;
    cmd_limits_defaults(&W.limits);
    buf_init(&W.out);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kv_destroy(&W.ks);
    buf_free(&W.out);
    return 0;
}

/* Runs argv through the table; the reply as a NUL-terminated string valid
 * until the next call. */
static const char *run_argv(const cmd_arg *argv, size_t argc)
{
    buf_clear(&W.out);
    resp_writer w = {&W.out, 2};
    bool unknown_sub;
    cmd_def *d = cmd_lookup(argv, argc, &unknown_sub);
    if (d == NULL) {
        cmd_reply_unknown(&w, argv, argc, unknown_sub);
    } else if (!cmd_arity_ok(d, argc)) {
        cmd_reply_arity(&w, d);
    } else {
        cmd_ctx c = {.argv = argv,
                     .argc = argc,
                     .cmd = d,
                     .ks = &W.ks,
                     .w = &w,
                     .now_ms = W.now_ms,
                     .rand_seed = W.rand_seed,
                     .revision = ++W.revision,
                     .limits = W.limits};
        d->proc(&c);
    }
    buf_append_char(&W.out, '\0');
    return W.out.data;
}

/* Runs one command given as NULL-terminated words. */
static const char *run(const char *first, ...)
{
    cmd_arg argv[64];
    size_t argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 64; a = va_arg(ap, const char *)) {
        argv[argc].ptr = a;
        argv[argc].len = strlen(a);
        argc++;
    }
    va_end(ap);
    return run_argv(argv, argc);
}

#define EXPECT(reply, ...) assert_string_equal(run(__VA_ARGS__, NULL), reply)

#endif
