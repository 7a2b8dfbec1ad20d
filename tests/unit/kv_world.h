/* tests/unit/kv_world.h - a keyspace driven through the real command table
 * with a controlled clock, for the data type unit tests: run() sends one
 * command and returns its reply as RESP2 text, EXPECT compares it byte for
 * byte (the bytes Redis 7.0 sends); EXPECT3 does the same over RESP3, and
 * run_with() takes the protocol, blocking flags, keyspace and limits. Include once per
 * test file (it defines static state and functions) after cmocka.h. */
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

/* How a command is run: RESP version (2 when 0), the blocking flags, and
 * the keyspace and limits (W's when NULL). */
typedef struct world_call {
    int proto;
    bool timed_out;
    bool no_block;
    kv_keyspace *ks;
    const cmd_limits *limits;
} world_call;

/* The context of the last command run (blocking fields: block,
 * block_timeout_ms). */
static cmd_ctx W_last;

/* Runs argv through the table; the reply as a NUL-terminated string valid
 * until the next call (its length without the NUL in W.out.len - 1). */
static const char *run_argv_with(world_call o, const cmd_arg *argv, size_t argc)
{
    buf_clear(&W.out);
    resp_writer w = {&W.out, o.proto ? o.proto : 2};
    bool unknown_sub;
    cmd_def *d = cmd_lookup(argv, argc, &unknown_sub);
    memset(&W_last, 0, sizeof W_last);
    if (d == NULL) {
        cmd_reply_unknown(&w, argv, argc, unknown_sub);
    } else if (!cmd_arity_ok(d, argc)) {
        cmd_reply_arity(&w, d);
    } else {
        cmd_ctx c = {.argv = argv,
                     .argc = argc,
                     .cmd = d,
                     .ks = o.ks ? o.ks : &W.ks,
                     .w = &w,
                     .now_ms = W.now_ms,
                     .rand_seed = W.rand_seed,
                     .revision = ++W.revision,
                     .limits = o.limits ? *o.limits : W.limits,
                     .timed_out = o.timed_out,
                     .no_block = o.no_block};
        d->proc(&c);
        W_last = c;
    }
    buf_append_char(&W.out, '\0');
    return W.out.data;
}

static const char *run_argv(const cmd_arg *argv, size_t argc)
{
    return run_argv_with((world_call){0}, argv, argc);
}

#define WORLD_ARGS_MAX 1024

/* NULL-terminated words into argv (at most WORLD_ARGS_MAX). */
static size_t world_words(const char *first, va_list ap, cmd_arg *argv)
{
    size_t argc = 0;
    for (const char *a = first; a && argc < WORLD_ARGS_MAX; a = va_arg(ap, const char *))
        argv[argc++] = (cmd_arg){a, strlen(a)};
    return argc;
}

/* Runs one command given as NULL-terminated words, as `o` says. */
__attribute__((unused)) static const char *run_with(world_call o, const char *first, ...)
{
    cmd_arg argv[WORLD_ARGS_MAX];
    va_list ap;
    va_start(ap, first);
    size_t argc = world_words(first, ap, argv);
    va_end(ap);
    return run_argv_with(o, argv, argc);
}

/* Runs one command given as NULL-terminated words. */
static const char *run(const char *first, ...)
{
    cmd_arg argv[WORLD_ARGS_MAX];
    va_list ap;
    va_start(ap, first);
    size_t argc = world_words(first, ap, argv);
    va_end(ap);
    return run_argv(argv, argc);
}

#define EXPECT(reply, ...) assert_string_equal(run(__VA_ARGS__, NULL), reply)
/* The same over RESP3. */
#define RUN3(...)           run_with((world_call){.proto = 3}, __VA_ARGS__, NULL)
#define EXPECT3(reply, ...) assert_string_equal(RUN3(__VA_ARGS__), reply)

#endif
