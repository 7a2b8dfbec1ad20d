/* Unit tests for the sorted set type (kv/t_zset.c, kv/zskiplist.c), run
 * through the real command table.
 *
 * The scenario tests (test_zadd_options ... test_set_inputs) compare replies
 * byte for byte with what Redis 7.0.15 sent for the same commands, in RESP2
 * and RESP3 (W_proto), with the encoding thresholds lowered where a
 * scenario calls set_limits(); test_set_inputs reads sets through the set
 * type's kv_type_ops. The rest check what a reply comparison
 * cannot: the blocking contract, random choices, ZSCAN over a skiplist,
 * that both encodings answer alike, dumps, digests, the skiplist's
 * invariants and memory accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv_dump_util.h"
#include "kv_world.h"

#include "base/error.h"
#include "base/rng.h"
#include "kv/listpack.h"
#include "kv/t_zset.h"
#include "kv/type.h"
#include "kv/zskiplist.h"

/* ---- Running commands ------------------------------------------------------ */

static int W_proto = 2;

typedef struct run_flags {
    bool timed_out;
    bool no_block;
} run_flags;

static const char *zrun_in(kv_keyspace *ks, const cmd_limits *limits, run_flags f,
                           const cmd_arg *argv, size_t argc, size_t *len)
{
    world_call o = {.proto = W_proto,
                    .timed_out = f.timed_out,
                    .no_block = f.no_block,
                    .ks = ks,
                    .limits = limits};
    const char *reply = run_argv_with(o, argv, argc);
    *len = W.out.len - 1;
    return reply;
}

/* One command in W's keyspace, with W_proto. */
static const char *zrun(const char *first, ...)
{
    cmd_arg argv[WORLD_ARGS_MAX];
    va_list ap;
    va_start(ap, first);
    size_t argc = world_words(first, ap, argv);
    va_end(ap);
    size_t len;
    return zrun_in(&W.ks, &W.limits, (run_flags){false, false}, argv, argc, &len);
}

static const char *zrun_flags(run_flags f, const char *first, ...)
{
    cmd_arg argv[WORLD_ARGS_MAX];
    va_list ap;
    va_start(ap, first);
    size_t argc = world_words(first, ap, argv);
    va_end(ap);
    size_t len;
    return zrun_in(&W.ks, &W.limits, f, argv, argc, &len);
}

#define ZX(reply, ...) assert_string_equal(zrun(__VA_ARGS__, NULL), reply)
#define ARG(s)                                                                           \
    {                                                                                    \
        s, sizeof(s) - 1                                                                 \
    }

/* For arguments and replies holding NUL bytes. */
static void zx_argv(const char *reply, size_t reply_len, const cmd_arg *argv, size_t argc)
{
    size_t len;
    const char *got =
        zrun_in(&W.ks, &W.limits, (run_flags){false, false}, argv, argc, &len);
    assert_int_equal(len, reply_len);
    assert_memory_equal(got, reply, len);
}

#define ZXA(reply, a) zx_argv(reply, sizeof reply - 1, a, sizeof a / sizeof a[0])

static void set_limits(uint32_t entries, uint32_t value)
{
    W.limits.zset_max_listpack_entries = entries;
    W.limits.zset_max_listpack_value = value;
}

static int zsetup(void **state)
{
    W_proto = 2;
    return setup(state);
}

static kv_obj *key_obj(kv_keyspace *ks, const char *key)
{
    return kv_lookup_any(ks, key, strlen(key));
}

/* ---- A tiny RESP2 reader for replies whose content is random -------------- */

typedef struct item {
    const char *s;
    size_t len;
} item;

/* Reads "*N\r\n" and N bulk strings into items (capacity cap); returns N. */
static size_t read_bulks(const char *reply, item *items, size_t cap)
{
    assert_int_equal(reply[0], '*');
    char *end;
    long n = strtol(reply + 1, &end, 10);
    assert_true(n >= 0 && (size_t)n <= cap);
    const char *p = end + 2;
    for (long i = 0; i < n; i++) {
        assert_int_equal(p[0], '$');
        long len = strtol(p + 1, &end, 10);
        items[i].s = end + 2;
        items[i].len = (size_t)len;
        p = end + 2 + len + 2;
    }
    assert_int_equal(p[0], '\0');
    return (size_t)n;
}

static bool item_is(const item *it, const char *s)
{
    return it->len == strlen(s) && memcmp(it->s, s, it->len) == 0;
}

/* ---- The blocking contract ------------------------------------------------- */

static void test_blocking_contract(void **state)
{
    (void)state;
    run_flags none = {false, false}, timed_out = {true, false}, no_block = {false, true};
    /* Nothing to serve: the handler asks to block and writes nothing. */
    assert_string_equal(zrun_flags(none, "BZPOPMIN", "nokey", "1.5", NULL), "");
    assert_true(W_last.block);
    assert_int_equal(W_last.block_timeout_ms, 1500);
    assert_string_equal(zrun_flags(none, "BZPOPMAX", "a", "b", "0", NULL), "");
    assert_true(W_last.block);
    assert_int_equal(W_last.block_timeout_ms, 0); /* forever */
    /* Redis truncates to whole milliseconds: -0.0001 s is 0, forever. */
    assert_string_equal(zrun_flags(none, "BZPOPMIN", "a", "-0.0001", NULL), "");
    assert_int_equal(W_last.block_timeout_ms, 0);
    assert_string_equal(zrun_flags(none, "BZPOPMIN", "a", "0.0019", NULL), "");
    assert_int_equal(W_last.block_timeout_ms, 1);
    assert_string_equal(zrun_flags(none, "BZMPOP", "2.5", "2", "a", "b", "MIN", NULL),
                        "");
    assert_true(W_last.block);
    assert_int_equal(W_last.block_timeout_ms, 2500);
    /* Timed out, or not allowed to block: a null array. */
    assert_string_equal(zrun_flags(timed_out, "BZPOPMIN", "a", "1", NULL), "*-1\r\n");
    assert_false(W_last.block);
    assert_string_equal(zrun_flags(no_block, "BZPOPMAX", "a", "0", NULL), "*-1\r\n");
    assert_false(W_last.block);
    assert_string_equal(zrun_flags(timed_out, "BZMPOP", "1", "1", "a", "MAX", NULL),
                        "*-1\r\n");
    assert_string_equal(
        zrun_flags(no_block, "BZMPOP", "0", "1", "a", "MIN", "COUNT", "3", NULL),
        "*-1\r\n");
    W_proto = 3;
    assert_string_equal(zrun_flags(timed_out, "BZPOPMIN", "a", "1", NULL), "_\r\n");
    assert_string_equal(zrun_flags(no_block, "BZMPOP", "0", "1", "a", "MIN", NULL),
                        "_\r\n");
    W_proto = 2;
    /* A key with members is served at once, whatever the flags. */
    zrun("ZADD", "a", "1", "x", "2", "y", NULL);
    assert_string_equal(zrun_flags(timed_out, "BZPOPMIN", "nokey", "a", "1", NULL),
                        "*3\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\n1\r\n");
    assert_false(W_last.block);
    assert_string_equal(zrun_flags(none, "BZMPOP", "0", "1", "a", "MAX", NULL),
                        "*2\r\n$1\r\na\r\n*1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n");
    assert_false(W_last.block);
    ZX(":0\r\n", "EXISTS", "a");
    /* At the deadline a key that became another type meanwhile is not an
     * error: Redis answers null. */
    zrun("SET", "changed", "v", NULL);
    assert_string_equal(zrun_flags(timed_out, "BZPOPMIN", "changed", "1", NULL),
                        "*-1\r\n");
    /* Errors never block. */
    zrun("SET", "s", "v", NULL);
    assert_string_equal(
        zrun_flags(none, "BZPOPMIN", "nokey", "s", "1", NULL),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    assert_false(W_last.block);
    assert_string_equal(zrun_flags(none, "BZPOPMIN", "nokey", "-1", NULL),
                        "-ERR timeout is negative\r\n");
    assert_false(W_last.block);
}

/* ---- Random picks ------------------------------------------------------------ */

static void fill_zset(const char *key, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char score[24], member[24];
        snprintf(score, sizeof score, "%zu", i % 7);
        snprintf(member, sizeof member, "m%zu", i);
        zrun("ZADD", key, score, member, NULL);
    }
}

static bool member_of(const item *it, size_t n)
{
    char tmp[32];
    if (it->len >= sizeof tmp) return false;
    memcpy(tmp, it->s, it->len);
    tmp[it->len] = '\0';
    if (tmp[0] != 'm') return false;
    return (size_t)atol(tmp + 1) < n;
}

static void check_random_picks(const char *key, size_t n)
{
    static item items[2048];
    char count[24];
    /* Distinct counts below the size, both sampling methods. */
    const long unique_counts[] = {1, 2, (long)n / 4, (long)n / 2, (long)n - 1};
    for (size_t k = 0; k < sizeof unique_counts / sizeof unique_counts[0]; k++) {
        snprintf(count, sizeof count, "%ld", unique_counts[k]);
        size_t got = read_bulks(zrun("ZRANDMEMBER", key, count, NULL), items, 2048);
        assert_int_equal(got, (size_t)unique_counts[k]);
        for (size_t i = 0; i < got; i++) {
            assert_true(member_of(&items[i], n));
            for (size_t j = 0; j < i; j++)
                assert_false(items[i].len == items[j].len &&
                             memcmp(items[i].s, items[j].s, items[i].len) == 0);
        }
    }
    /* Repeats allowed with a negative count; WITHSCORES pairs each member
     * with its score. */
    size_t got =
        read_bulks(zrun("ZRANDMEMBER", key, "-1000", "WITHSCORES", NULL), items, 2048);
    assert_int_equal(got, 2000);
    for (size_t i = 0; i < got; i += 2) {
        assert_true(member_of(&items[i], n));
        long m = atol(items[i].s + 1);
        char score[24];
        snprintf(score, sizeof score, "%ld", m % 7);
        assert_true(item_is(&items[i + 1], score));
    }
    /* The same seed picks the same members; another seed others. */
    char first[4096];
    snprintf(first, sizeof first, "%s", zrun("ZRANDMEMBER", key, "-20", NULL));
    assert_string_equal(zrun("ZRANDMEMBER", key, "-20", NULL), first);
    W.rand_seed++;
    assert_string_not_equal(zrun("ZRANDMEMBER", key, "-20", NULL), first);
    /* The whole set, highest first (as Redis), when the count reaches its
     * size. */
    snprintf(count, sizeof count, "%zu", n);
    char all[65536];
    snprintf(all, sizeof all, "%s", zrun("ZREVRANGE", key, "0", "-1", NULL));
    assert_string_equal(zrun("ZRANDMEMBER", key, count, NULL), all);
}

static void test_zrandmember_picks(void **state)
{
    (void)state;
    fill_zset("lp", 60);
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "lp");
    check_random_picks("lp", 60);
    fill_zset("sk", 300);
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "sk");
    check_random_picks("sk", 300);
    const char *one = zrun("ZRANDMEMBER", "sk", NULL);
    assert_int_equal(one[0], '$');
    ZX("-ERR value is out of range, value must between -16777216 and "
       "9223372036854775807\r\n",
       "ZRANDMEMBER", "sk", "-16777217");
    ZX("*0\r\n", "ZRANDMEMBER", "nokey", "-16777217");
}

/* ---- ZSCAN over a skiplist ------------------------------------------------------ */

/* Splits a SCAN-style reply: copies the cursor out, returns the array. */
static const char *scan_items(const char *reply, char cursor[32])
{
    assert_memory_equal(reply, "*2\r\n$", 5);
    const char *p = strchr(reply + 4, '\n') + 1;
    size_t clen = (size_t)(strchr(p, '\r') - p);
    assert_true(clen < 32);
    memcpy(cursor, p, clen);
    cursor[clen] = '\0';
    return p + clen + 2;
}

static void test_zscan_skiplist(void **state)
{
    (void)state;
    enum { N = 500 };
    fill_zset("sk", N);
    zrun("ZADD", "sk", "inf", "pinf", "1.5", "half", NULL);
    static bool seen[N];
    static item items[4096];
    bool saw_pinf = false, saw_half = false;
    char cursor[32] = "0";
    size_t calls = 0;
    do {
        const char *array =
            scan_items(zrun("ZSCAN", "sk", cursor, "COUNT", "20", NULL), cursor);
        size_t got = read_bulks(array, items, 4096);
        assert_true(got % 2 == 0);
        for (size_t i = 0; i < got; i += 2) {
            if (item_is(&items[i], "pinf")) {
                saw_pinf = item_is(&items[i + 1], "inf");
                continue;
            }
            if (item_is(&items[i], "half")) {
                saw_half = item_is(&items[i + 1], "1.5");
                continue;
            }
            assert_true(member_of(&items[i], N));
            long m = atol(items[i].s + 1);
            seen[m] = true;
        }
        calls++;
    } while (strcmp(cursor, "0") != 0 && calls < 10000);
    assert_string_equal(cursor, "0");
    assert_true(calls > 1);
    assert_true(saw_pinf && saw_half);
    for (size_t i = 0; i < N; i++)
        assert_true(seen[i]);
    /* MATCH filters members; scores go with them. */
    const char *array = scan_items(
        zrun("ZSCAN", "sk", "0", "MATCH", "half", "COUNT", "1000", NULL), cursor);
    size_t got = read_bulks(array, items, 4096);
    assert_int_equal(got, 2);
    assert_true(item_is(&items[0], "half") && item_is(&items[1], "1.5"));
}

/* ---- Both encodings answer alike ----------------------------------------------- */

static const char *const Z_KEYS[] = {"k1", "k2", "k3"};
static const char *const Z_MEMBERS[] = {"a", "b",  "c",  "d",     "e", "1",
                                        "2", "10", "-3", "xyzzy", ""};
static const char *const Z_SCORES[] = {"0",    "1", "2",  "-1",   "1.5",  "inf",
                                       "-inf", "3", "10", "0.25", "1e300"};
static const char *const Z_RANKS[] = {"0", "1", "-1", "2", "-3", "5", "100"};
static const char *const Z_BOUNDS[] = {"-inf", "+inf", "0", "(1", "1.5", "(2", "3", "10"};
static const char *const Z_LEX[] = {"-",  "+",   "[a", "(b",    "[c",
                                    "(1", "[10", "[",  "(xyzzy"};

#define PICK(r, pool) pool[rng_below(r, sizeof pool / sizeof pool[0])]

static size_t push(cmd_arg *argv, size_t argc, const char *s)
{
    argv[argc].ptr = s;
    argv[argc].len = strlen(s);
    return argc + 1;
}

static size_t random_write(rng *r, cmd_arg *argv, const char *key)
{
    size_t argc = 0;
    if (rng_below(r, 4) != 0) {
        argc = push(argv, argc, "ZADD");
        argc = push(argv, argc, key);
        if (rng_below(r, 4) == 0) argc = push(argv, argc, rng_below(r, 2) ? "GT" : "CH");
        for (uint64_t i = 0, n = 1 + rng_below(r, 4); i < n; i++) {
            argc = push(argv, argc, PICK(r, Z_SCORES));
            argc = push(argv, argc, PICK(r, Z_MEMBERS));
        }
        return argc;
    }
    argc = push(argv, argc, rng_below(r, 2) ? "ZINCRBY" : "ZREM");
    argc = push(argv, argc, key);
    if (argv[0].ptr[1] == 'I') argc = push(argv, argc, PICK(r, Z_SCORES));
    return push(argv, argc, PICK(r, Z_MEMBERS));
}

/* Ranges by rank, score or lex, read or removed. Lex ranges are defined
 * over equal scores only (over mixed ones Redis's encodings disagree with
 * each other), so they go to "lx", which only ever holds score 0. */
static size_t random_range(rng *r, cmd_arg *argv, const char *key)
{
    static const char *const names[] = {
        "ZRANGE",          "ZREVRANGE",        "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
        "ZRANGEBYLEX",     "ZREVRANGEBYLEX",   "ZCOUNT",        "ZLEXCOUNT",
        "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"};
    const char *name = PICK(r, names);
    bool lex = strstr(name, "LEX") != NULL, rank = strstr(name, "BY") == NULL;
    size_t argc = push(argv, 0, name);
    argc = push(argv, argc, lex ? "lx" : key);
    const char *const *pool = lex ? Z_LEX : rank ? Z_RANKS : Z_BOUNDS;
    size_t pool_n = lex ? 9 : rank ? 7 : 8;
    argc = push(argv, argc, pool[rng_below(r, pool_n)]);
    argc = push(argv, argc, pool[rng_below(r, pool_n)]);
    bool reply_range = strncmp(name, "ZREM", 4) != 0 && strcmp(name, "ZCOUNT") != 0;
    if (!lex && reply_range && rng_below(r, 2)) argc = push(argv, argc, "WITHSCORES");
    if (!rank && reply_range && name[1] == 'R' && rng_below(r, 3) == 0) {
        argc = push(argv, argc, "LIMIT");
        argc = push(argv, argc, PICK(r, Z_RANKS));
        argc = push(argv, argc, PICK(r, Z_RANKS));
    }
    return argc;
}

static size_t random_pop_or_pick(rng *r, cmd_arg *argv, const char *key)
{
    size_t argc = 0;
    switch (rng_below(r, 4)) {
    case 0:
        argc = push(argv, argc,
                    PICK(r, ((const char *const[]){"ZSCORE", "ZRANK", "ZREVRANK"})));
        argc = push(argv, argc, key);
        return push(argv, argc, PICK(r, Z_MEMBERS));
    case 1:
        argc = push(argv, argc, rng_below(r, 2) ? "ZPOPMIN" : "ZPOPMAX");
        argc = push(argv, argc, key);
        if (rng_below(r, 2)) argc = push(argv, argc, PICK(r, Z_RANKS));
        return argc;
    case 2:
        argc = push(argv, argc, "ZRANDMEMBER");
        argc = push(argv, argc, key);
        argc = push(argv, argc,
                    PICK(r, ((const char *const[]){"1", "2", "-5", "3", "20", "-1"})));
        if (rng_below(r, 2)) argc = push(argv, argc, "WITHSCORES");
        return argc;
    default:
        argc = push(argv, argc, "ZMPOP");
        argc = push(argv, argc, "2");
        argc = push(argv, argc, key);
        argc = push(argv, argc, PICK(r, Z_KEYS));
        argc = push(argv, argc, rng_below(r, 2) ? "MIN" : "MAX");
        argc = push(argv, argc, "COUNT");
        return push(argv, argc, PICK(r, ((const char *const[]){"1", "2", "7"})));
    }
}

static size_t random_multi(rng *r, cmd_arg *argv, const char *key)
{
    size_t argc = 0;
    switch (rng_below(r, 3)) {
    case 0:
        argc = push(
            argv, argc,
            PICK(r, ((const char *const[]){"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"})));
        argc = push(argv, argc, key);
        argc = push(argv, argc, "2");
        argc = push(argv, argc, PICK(r, Z_KEYS));
        argc = push(argv, argc, PICK(r, Z_KEYS));
        if (argv[0].ptr[1] != 'D' && rng_below(r, 2)) {
            /* Positive finite weights: a negative one could turn a score 0
             * into -0, which a listpack stores as 0 (as Redis does). */
            static const char *const weights[] = {"1", "2", "0.5", "3"};
            argc = push(argv, argc, "WEIGHTS");
            argc = push(argv, argc, PICK(r, weights));
            argc = push(argv, argc, PICK(r, weights));
        }
        return argc;
    case 1:
        argc = push(argv, argc,
                    PICK(r, ((const char *const[]){"ZUNION", "ZINTER", "ZDIFF"})));
        argc = push(argv, argc, "3");
        for (int i = 0; i < 3; i++)
            argc = push(argv, argc, PICK(r, Z_KEYS));
        return push(argv, argc, "WITHSCORES");
    default:
        argc = push(argv, argc, "ZRANGESTORE");
        argc = push(argv, argc, key);
        argc = push(argv, argc, PICK(r, Z_KEYS));
        argc = push(argv, argc, PICK(r, Z_BOUNDS));
        argc = push(argv, argc, PICK(r, Z_BOUNDS));
        return push(argv, argc, "BYSCORE");
    }
}

/* A random sorted set command over a few keys (no OBJECT or ZSCAN: those
 * differ by design between encodings). */
static size_t random_command(rng *r, cmd_arg *argv)
{
    const char *key = PICK(r, Z_KEYS);
    switch (rng_below(r, 6)) {
    case 0:
    case 1:
        return random_write(r, argv, key);
    case 2:
        return random_range(r, argv, key);
    case 3:
        return random_pop_or_pick(r, argv, key);
    case 4:
        return random_multi(r, argv, key);
    default: {
        size_t argc = push(argv, 0, rng_below(r, 3) ? "ZADD" : "ZREM");
        argc = push(argv, argc, "lx");
        if (argv[0].ptr[1] == 'A') argc = push(argv, argc, "0");
        return push(argv, argc, PICK(r, Z_MEMBERS));
    }
    }
}

static void check_skiplists(kv_keyspace *ks)
{
    for (size_t i = 0; i < sizeof Z_KEYS / sizeof Z_KEYS[0]; i++) {
        kv_obj *o = key_obj(ks, Z_KEYS[i]);
        if (o && o->type == KV_ZSET && o->encoding == KV_ENC_SKIPLIST)
            assert_true(zsl_check(o->v.ptr));
    }
}

static void test_encodings_answer_alike(void **state)
{
    (void)state;
    kv_keyspace sk;
    kv_init(&sk, 1234);
    cmd_limits all_skiplist = W.limits;
    all_skiplist.zset_max_listpack_entries = 0;
    rng r;
    rng_seed(&r, 2024);
    static char expect[1 << 16];
    for (int i = 0; i < 4000; i++) {
        cmd_arg argv[32];
        size_t argc = random_command(&r, argv), len;
        W_proto = i % 3 == 0 ? 3 : 2;
        const char *a =
            zrun_in(&W.ks, &W.limits, (run_flags){false, false}, argv, argc, &len);
        assert_true(len < sizeof expect);
        memcpy(expect, a, len + 1);
        const char *b =
            zrun_in(&sk, &all_skiplist, (run_flags){false, false}, argv, argc, &len);
        if (strcmp(expect, b) != 0) {
            fprintf(stderr, "command %d:", i);
            for (size_t k = 0; k < argc; k++)
                fprintf(stderr, " %s", argv[k].ptr);
            fprintf(stderr, "\n");
        }
        assert_string_equal(b, expect);
        if (i % 100 == 0) check_skiplists(&sk);
    }
    check_skiplists(&sk);
    assert_int_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&sk, W.now_ms));
    kv_destroy(&sk);
}

/* ---- Dumps and digests ------------------------------------------------------------ */

/* The same reply from a key in two keyspaces. */
static void expect_same(kv_keyspace *b, const char *cmd, const char *key)
{
    cmd_arg argv[5] = {
        {cmd, strlen(cmd)}, {key, strlen(key)}, {"0", 1}, {"-1", 2}, {"WITHSCORES", 10}};
    size_t argc = strcmp(cmd, "ZRANGE") == 0 ? 5 : 2, len;
    static char want[1 << 17];
    const char *a =
        zrun_in(&W.ks, &W.limits, (run_flags){false, false}, argv, argc, &len);
    assert_true(len < sizeof want);
    memcpy(want, a, len + 1);
    assert_string_equal(
        zrun_in(b, &W.limits, (run_flags){false, false}, argv, argc, &len), want);
}

static void fill_for_dump(void)
{
    zrun("ZADD", "small", "1", "a", "2.5", "b", "inf", "c", "-inf", "123", NULL);
    fill_zset("large", 1000);
    zrun("ZADD", "large", "1.1", "x", "-1e300", "y", NULL);
    set_limits(0, 64);
    zrun("ZADD", "negzero", "-0", "a", "0", "b", NULL);
    ZX("$2\r\n-0\r\n", "ZSCORE", "negzero", "a");
    set_limits(128, 64);
    static const cmd_arg bin[] = {ARG("ZADD"),        ARG("bin"), ARG("1"),
                                  ARG("nul\000byte"), ARG("2"),   ARG("")};
    ZXA(":2\r\n", bin);
    zrun("EXPIRE", "small", "1000", NULL);
    /* More pairs than ZADD keeps on its stack. */
    static char words[80][16];
    cmd_arg argv[82] = {{"ZADD", 4}, {"many", 4}};
    for (size_t i = 0; i < 80; i++) {
        snprintf(words[i], sizeof words[i], i % 2 ? "w%zu" : "%zu.5", i);
        argv[2 + i] = (cmd_arg){words[i], strlen(words[i])};
    }
    size_t len;
    zrun_in(&W.ks, &W.limits, (run_flags){false, false}, argv, 82, &len);
    ZX(":40\r\n", "ZCARD", "many");
}

static void test_dump_load_round_trip(void **state)
{
    (void)state;
    fill_for_dump();
    buf out = BUF_INIT;
    assert_int_equal(kv_dump(&W.ks, to_buf, &out), 0);
    kv_keyspace b;
    kv_init(&b, 77);
    assert_int_equal(load_dump(&b, out.data, out.len), 0);
    assert_int_equal(kv_size(&b), 5);
    const char *keys[] = {"small", "large", "negzero", "bin", "many"};
    for (size_t i = 0; i < 5; i++) {
        kv_obj *x = key_obj(&W.ks, keys[i]), *y = key_obj(&b, keys[i]);
        assert_non_null(y);
        assert_int_equal(x->encoding, y->encoding);
        assert_int_equal(x->revision, y->revision);
        assert_int_equal(kv_zset_ops.digest(x), kv_zset_ops.digest(y));
        assert_int_equal(kv_zset_ops.length(x), kv_zset_ops.length(y));
        if (y->encoding == KV_ENC_SKIPLIST) assert_true(zsl_check(y->v.ptr));
        expect_same(&b, "ZRANGE", keys[i]);
        expect_same(&b, "ZCARD", keys[i]);
    }
    assert_int_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&b, W.now_ms));
    assert_int_equal(kv_obj_expire_at(&b, key_obj(&b, "small")), W.now_ms + 1000000);
    /* A second dump of the loaded copy loads back to the same digest. */
    buf again = BUF_INIT;
    assert_int_equal(kv_dump(&b, to_buf, &again), 0);
    kv_keyspace c;
    kv_init(&c, 78);
    assert_int_equal(load_dump(&c, again.data, again.len), 0);
    assert_int_equal(kv_digest(&c, W.now_ms), kv_digest(&W.ks, W.now_ms));
    /* Every truncation is refused and leaves the keyspace empty. */
    for (size_t cut = 0; cut < out.len; cut += 1 + cut / 64) {
        assert_int_equal(load_dump(&c, out.data, cut), POLIS_ECORRUPT);
        assert_int_equal(kv_size(&c), 0);
    }
    kv_destroy(&c);
    kv_destroy(&b);
    buf_free(&again);
    buf_free(&out);
}

static void test_digest_ignores_encoding(void **state)
{
    (void)state;
    kv_keyspace sk;
    kv_init(&sk, 5);
    cmd_limits all_skiplist = W.limits;
    all_skiplist.zset_max_listpack_entries = 0;
    static const cmd_arg add1[] = {ARG("ZADD"), ARG("k"), ARG("1"), ARG("a"),
                                   ARG("2"),    ARG("b"), ARG("3"), ARG("c")};
    static const cmd_arg add2[] = {ARG("ZADD"), ARG("k"), ARG("3"), ARG("c"),
                                   ARG("1"),    ARG("a"), ARG("2"), ARG("b")};
    size_t len;
    zrun_in(&W.ks, &W.limits, (run_flags){false, false}, add1, 8, &len);
    zrun_in(&sk, &all_skiplist, (run_flags){false, false}, add2, 8, &len);
    assert_int_equal(key_obj(&W.ks, "k")->encoding, KV_ENC_LISTPACK);
    assert_int_equal(key_obj(&sk, "k")->encoding, KV_ENC_SKIPLIST);
    assert_int_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&sk, W.now_ms));
    /* Any change of a score or a member shows. */
    static const cmd_arg incr[] = {ARG("ZINCRBY"), ARG("k"), ARG("0.5"), ARG("b")};
    zrun_in(&sk, &all_skiplist, (run_flags){false, false}, incr, 4, &len);
    assert_int_not_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&sk, W.now_ms));
    static const cmd_arg back[] = {ARG("ZINCRBY"), ARG("k"), ARG("-0.5"), ARG("b")};
    zrun_in(&sk, &all_skiplist, (run_flags){false, false}, back, 4, &len);
    assert_int_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&sk, W.now_ms));
    static const cmd_arg swap[] = {ARG("ZADD"), ARG("k"), ARG("1"),
                                   ARG("b"),    ARG("2"), ARG("a")};
    zrun_in(&sk, &all_skiplist, (run_flags){false, false}, swap, 6, &len);
    assert_int_not_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&sk, W.now_ms));
    kv_destroy(&sk);
}

/* ---- Malformed dumps ----------------------------------------------------------------
 */

static void put_u64(buf *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        buf_append_char(b, (char)(v >> (8 * i)));
}

static void put_varint(buf *b, uint64_t v)
{
    while (v >= 0x80) {
        buf_append_char(b, (char)(v | 0x80));
        v >>= 7;
    }
    buf_append_char(b, (char)v);
}

static void put_str(buf *b, const void *p, size_t len)
{
    put_varint(b, len);
    buf_append(b, p, len);
}

/* A dump of one zset key "k" whose value bytes are `value`. */
static void one_key_dump(buf *b, uint8_t encoding, const buf *value)
{
    buf_init(b);
    buf_append(b, "PLSKV001", 8);
    put_u64(b, 1);
    buf_append_char(b, (char)KV_ZSET);
    buf_append_char(b, (char)encoding);
    buf_append_char(b, 0);
    put_str(b, "k", 1);
    put_u64(b, 1);
    buf_append(b, value->data, value->len);
    buf_append(b, "PLSKVEND", 8);
}

static int load_value(uint8_t encoding, const buf *value)
{
    buf dump;
    one_key_dump(&dump, encoding, value);
    kv_keyspace ks;
    kv_init(&ks, 3);
    int rv = load_dump(&ks, dump.data, dump.len);
    if (rv != 0) assert_int_equal(kv_size(&ks), 0);
    kv_destroy(&ks);
    buf_free(&dump);
    return rv;
}

/* Listpack entries: strings written raw (never turned into integers, so
 * non-canonical scores can be made), integers as the listpack writes them. */
typedef struct lpb {
    buf entries;
    uint32_t count;
} lpb;

static void lpb_str(lpb *l, const char *s)
{
    size_t len = strlen(s);
    assert_true(len < 63);
    buf_append_char(&l->entries, (char)(0x80 | len));
    buf_append(&l->entries, s, len);
    buf_append_char(&l->entries, (char)(1 + len));
    l->count++;
}

static void lpb_int(lpb *l, int64_t v)
{
    kv_lp *lp = lp_new();
    lp_insert_int(&lp, LP_NONE, v);
    buf_append(&l->entries, lp->data, lp->bytes);
    lp_free(lp);
    l->count++;
}

/* The listpack value: count, then the entries as a string. */
static int load_listpack(lpb *l, uint64_t count)
{
    buf value = BUF_INIT;
    put_varint(&value, count);
    put_str(&value, l->entries.data, l->entries.len);
    int rv = load_value(KV_ENC_LISTPACK, &value);
    buf_free(&value);
    buf_free(&l->entries);
    *l = (lpb){BUF_INIT, 0};
    return rv;
}

static void test_malformed_listpack_dumps(void **state)
{
    (void)state;
    lpb l = {BUF_INIT, 0};
    /* Valid: (a, 1) (b, 2.5) (c, inf). */
    lpb_str(&l, "a"), lpb_int(&l, 1), lpb_str(&l, "b"), lpb_str(&l, "2.5"),
        lpb_str(&l, "c");
    lpb_str(&l, "inf");
    assert_int_equal(load_listpack(&l, l.count), 0);
    /* No members, an odd count, a count the entries do not have. */
    assert_int_equal(load_listpack(&l, 0), POLIS_ECORRUPT);
    lpb_str(&l, "a"), lpb_int(&l, 1), lpb_str(&l, "b");
    assert_int_equal(load_listpack(&l, 3), POLIS_ECORRUPT);
    lpb_str(&l, "a"), lpb_int(&l, 1);
    assert_int_equal(load_listpack(&l, 4), POLIS_ECORRUPT);
    /* Out of order by score, or by member among equal scores. */
    lpb_str(&l, "a"), lpb_int(&l, 2), lpb_str(&l, "b"), lpb_int(&l, 1);
    assert_int_equal(load_listpack(&l, 4), POLIS_ECORRUPT);
    lpb_str(&l, "b"), lpb_int(&l, 1), lpb_str(&l, "a"), lpb_int(&l, 1);
    assert_int_equal(load_listpack(&l, 4), POLIS_ECORRUPT);
    lpb_str(&l, "a"), lpb_int(&l, 1), lpb_str(&l, "a"), lpb_int(&l, 1);
    assert_int_equal(load_listpack(&l, 4), POLIS_ECORRUPT);
    /* A member twice with different scores. */
    lpb_str(&l, "a"), lpb_int(&l, 1), lpb_str(&l, "b"), lpb_int(&l, 2), lpb_str(&l, "a");
    lpb_int(&l, 3);
    assert_int_equal(load_listpack(&l, 6), POLIS_ECORRUPT);
    /* Scores that are not numbers, NaN, or not in the form Redis writes. */
    const char *bad[] = {"abc", "nan", "5", "1.0", "1.5 ", "", "+inf", "1e1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lpb_str(&l, "a"), lpb_str(&l, bad[i]);
        assert_int_equal(load_listpack(&l, 2), POLIS_ECORRUPT);
    }
    lpb_str(&l, "a"), lpb_int(&l, (1ll << 62) + 1); /* not a double exactly */
    assert_int_equal(load_listpack(&l, 2), POLIS_ECORRUPT);
    /* Garbage framing. */
    buf_append(&l.entries, "\xff\xff\xff", 3);
    assert_int_equal(load_listpack(&l, 2), POLIS_ECORRUPT);
}

static void put_member(buf *b, const char *m, double score)
{
    put_str(b, m, strlen(m));
    uint64_t bits;
    memcpy(&bits, &score, sizeof bits);
    put_u64(b, bits);
}

static int load_skiplist(const char *const *members, const double *scores, size_t n,
                         uint64_t count)
{
    buf value = BUF_INIT;
    put_u64(&value, 42);
    put_varint(&value, count);
    for (size_t i = 0; i < n; i++)
        put_member(&value, members[i], scores[i]);
    int rv = load_value(KV_ENC_SKIPLIST, &value);
    buf_free(&value);
    return rv;
}

static void test_malformed_skiplist_dumps(void **state)
{
    (void)state;
    const char *ab[] = {"a", "b"}, *ba[] = {"b", "a"}, *aa[] = {"a", "a"};
    const double up[] = {1, 2}, down[] = {2, 1}, same[] = {1, 1};
    assert_int_equal(load_skiplist(ab, up, 2, 2), 0);
    assert_int_equal(load_skiplist(ab, up, 2, 3), POLIS_ECORRUPT); /* records missing */
    assert_int_equal(load_skiplist(ab, up, 0, 0), POLIS_ECORRUPT); /* empty */
    assert_int_equal(load_skiplist(ab, down, 2, 2), POLIS_ECORRUPT);
    assert_int_equal(load_skiplist(ba, same, 2, 2), POLIS_ECORRUPT);
    assert_int_equal(load_skiplist(aa, same, 2, 2), POLIS_ECORRUPT);
    assert_int_equal(load_skiplist(aa, up, 2, 2), POLIS_ECORRUPT); /* a member twice */
    const double nan_score[] = {1, NAN};
    assert_int_equal(load_skiplist(ab, nan_score, 2, 2), POLIS_ECORRUPT);
    /* A member longer than the bytes left. */
    buf value = BUF_INIT;
    put_u64(&value, 42);
    put_varint(&value, 1);
    put_varint(&value, 1000);
    buf_append(&value, "abc", 3);
    assert_int_equal(load_value(KV_ENC_SKIPLIST, &value), POLIS_ECORRUPT);
    /* Encodings that are not a sorted set's. */
    assert_int_equal(load_value(KV_ENC_HASHTABLE, &value), POLIS_ECORRUPT);
    assert_int_equal(load_value(KV_ENC_INTSET, &value), POLIS_ECORRUPT);
    assert_int_equal(load_value(KV_ENC_QUICKLIST, &value), POLIS_ECORRUPT);
    buf_free(&value);
}

/* ---- The skiplist itself ----------------------------------------------------------- */

/* A model: member i has score model[i] (NAN: absent). */
enum { MODEL_N = 300 };

static void member_name(char out[16], size_t i)
{
    snprintf(out, 16, "m%03zu", i);
}

/* Ranks must follow (score, member) order over the model. */
static void check_against_model(const zsl *z, const double *model)
{
    size_t present = 0;
    for (size_t i = 0; i < MODEL_N; i++) {
        char m[16];
        member_name(m, i);
        zsl_node *n = zsl_find(z, m, strlen(m));
        if (isnan(model[i])) {
            assert_null(n);
            continue;
        }
        present++;
        assert_non_null(n);
        assert_true(n->score == model[i]);
        size_t rank = 1;
        for (size_t j = 0; j < MODEL_N; j++)
            if (!isnan(model[j]) &&
                (model[j] < model[i] || (model[j] == model[i] && j < i)))
                rank++;
        assert_int_equal(zsl_rank(z, n), rank);
        assert_ptr_equal(zsl_at_rank(z, rank), n);
    }
    assert_int_equal(z->length, present);
    assert_null(zsl_at_rank(z, present + 1));
    assert_true(zsl_check(z));
}

static void test_skiplist_model(void **state)
{
    (void)state;
    zsl *z = zsl_new(9);
    static double model[MODEL_N];
    for (size_t i = 0; i < MODEL_N; i++)
        model[i] = NAN;
    rng r;
    rng_seed(&r, 11);
    for (int step = 0; step < 20000; step++) {
        size_t i = (size_t)rng_below(&r, MODEL_N);
        char m[16];
        member_name(m, i);
        double score = (double)rng_below(&r, 20) - 5; /* many ties */
        zsl_node *n = zsl_find(z, m, strlen(m));
        if (rng_below(&r, 3) == 0) {
            if (n) zsl_remove(z, n);
            model[i] = NAN;
        } else if (n) {
            zsl_update_score(z, n, score);
            model[i] = score;
        } else {
            zsl_insert(z, score, m, strlen(m));
            model[i] = score;
        }
        if (step % 2000 == 0) check_against_model(z, model);
    }
    check_against_model(z, model);
    /* Range deletions remove exactly what the model says. */
    zsl_range range = {-2, 3, true, false};
    size_t expect = 0;
    for (size_t i = 0; i < MODEL_N; i++)
        if (!isnan(model[i]) && model[i] > -2 && model[i] <= 3) {
            expect++;
            model[i] = NAN;
        }
    assert_int_equal(zsl_delete_range(z, &range), expect);
    check_against_model(z, model);
    /* By lex (meaningful when all scores tie) and by rank, on a fresh set. */
    zsl_lexrange lex = {{"m100", 4, ZSL_LEX_STR, false}, {"m200", 4, ZSL_LEX_STR, true}};
    zsl *t = zsl_new(10);
    for (size_t i = 0; i < MODEL_N; i++) {
        char m[16];
        member_name(m, i);
        zsl_insert(t, 0, m, strlen(m));
    }
    assert_int_equal(zsl_delete_lexrange(t, &lex), 100);
    assert_int_equal(zsl_delete_ranks(t, 1, 10), 10);
    assert_int_equal(t->length, MODEL_N - 110);
    assert_true(zsl_check(t));
    char first[16];
    member_name(first, 10);
    size_t len;
    assert_memory_equal(zsl_member(zsl_first(t), &len), first, 4);
    zsl_free(t);
    zsl_free(z);
}

/* ---- Accounting, revisions, table rows ----------------------------------------------
 */

static void test_value_bytes_track_memory(void **state)
{
    (void)state;
    buf_reserve(&W.out, 1 << 16);
    zrun("ZADD", "k", "1", "first", NULL);
    kv_obj *o = key_obj(&W.ks, "k");
    size_t used = mem_used_bytes(), bytes = kv_obj_bytes(o);
    fill_zset("k", 2000); /* converts to a skiplist on the way */
    assert_int_equal(o->encoding, KV_ENC_SKIPLIST);
    assert_int_equal(mem_used_bytes() - used, kv_obj_bytes(o) - bytes);
    zrun("ZREMRANGEBYRANK", "k", "0", "999", NULL);
    assert_int_equal(mem_used_bytes() - used, kv_obj_bytes(o) - bytes);
    /* Bytes per member stay near Redis's (about 100 with jemalloc). */
    assert_true(kv_obj_bytes(o) / kv_zset_ops.length(o) < 110);
}

static void test_revisions_and_dirty(void **state)
{
    (void)state;
    EXPECT(":1\r\n", "ZADD", "k", "1", "a"); /* kv_world's RESP2 runner */
    kv_obj *o = key_obj(&W.ks, "k");
    assert_int_equal(o->revision, W.revision);
    uint64_t rev = W.revision, dirty = W.ks.dirty;
    zrun("ZADD", "k", "1", "a", NULL);       /* no change */
    zrun("ZADD", "k", "NX", "5", "a", NULL); /* no change */
    zrun("ZREM", "k", "nosuch", NULL);
    zrun("ZRANGE", "k", "0", "-1", NULL);
    zrun("ZREMRANGEBYSCORE", "k", "5", "6", NULL);
    assert_int_equal(o->revision, rev);
    assert_int_equal(W.ks.dirty, dirty);
    zrun("ZINCRBY", "k", "1", "a", NULL);
    assert_int_equal(o->revision, W.revision);
    assert_true(W.ks.dirty > dirty);
    zrun("ZUNIONSTORE", "d", "1", "k", NULL);
    assert_int_equal(key_obj(&W.ks, "d")->revision, W.revision);
}

static void test_command_rows(void **state)
{
    (void)state;
    ZX("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "0");
    ZX("*2\r\n$1\r\nd\r\n$1\r\ns\r\n", "COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0",
       "1");
    ZX("*1\r\n$1\r\nk\r\n", "COMMAND", "GETKEYS", "ZADD", "k", "1", "a");
    ZX("-ERR unknown command 'ZFOO', with args beginning with: 'k' \r\n", "ZFOO", "k");
    const char *info = zrun("COMMAND", "INFO", "zadd", NULL);
    assert_non_null(
        strstr(info, "$4\r\nzadd\r\n:-4\r\n*3\r\n+write\r\n+denyoom\r\n+fast\r\n"));
}

/* ---- Replies compared with Redis 7.0.15 ------------------------------------------- */

static void zadd_options_part1(void)
{
    ZX(":1\r\n", "ZADD", "z", "1", "a");
    ZX(":2\r\n", "ZADD", "z", "2", "b", "3", "c");
    ZX(":0\r\n", "ZADD", "z", "5", "a");
    ZX(":2\r\n", "ZADD", "z", "CH", "6", "a", "7", "d");
    ZX(":1\r\n", "ZADD", "z", "NX", "10", "a", "11", "e");
    ZX(":0\r\n", "ZADD", "z", "XX", "20", "a", "21", "f");
    ZX("$2\r\n20\r\n", "ZSCORE", "z", "a");
    ZX("$-1\r\n", "ZSCORE", "z", "f");
    ZX(":0\r\n", "ZADD", "z", "GT", "1", "a");
    ZX(":1\r\n", "ZADD", "z", "GT", "CH", "30", "a");
    ZX(":2\r\n", "ZADD", "z", "LT", "CH", "1", "a", "100", "g");
    ZX(":1\r\n", "ZADD", "z", "XX", "GT", "CH", "40", "a", "1", "b");
    ZX("*12\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n7\r\n$1\r\n"
       "e\r\n$2\r\n11\r\n$1\r\na\r\n$2\r\n40\r\n$1\r\ng\r\n$3\r\n100\r\n",
       "ZRANGE", "z", "0", "-1", "WITHSCORES");
    ZX("$2\r\n45\r\n", "ZADD", "z", "INCR", "5", "a");
    ZX("$-1\r\n", "ZADD", "z", "INCR", "NX", "5", "a");
    ZX("$-1\r\n", "ZADD", "z", "INCR", "XX", "5", "nosuch");
    ZX("$-1\r\n", "ZADD", "z", "INCR", "GT", "-1", "a");
    ZX("$2\r\n44\r\n", "ZADD", "z", "INCR", "LT", "-1", "a");
    ZX("$2\r\n44\r\n", "ZADD", "z", "INCR", "0", "a");
    ZX(":0\r\n", "ZADD", "new", "XX", "1", "a");
    ZX(":0\r\n", "EXISTS", "new");
    ZX("$-1\r\n", "ZADD", "new", "XX", "INCR", "1", "a");
    ZX("-ERR XX and NX options at the same time are not compatible\r\n", "ZADD", "z",
       "nx", "ch", "xx", "1", "a");
    ZX("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", "ZADD",
       "z", "nx", "gt", "1", "a");
    ZX("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", "ZADD",
       "z", "lt", "nx", "1", "a");
}

static void zadd_options_part2(void)
{
    ZX("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", "ZADD",
       "z", "gt", "lt", "1", "a");
    ZX("-ERR INCR option supports a single increment-element pair\r\n", "ZADD", "z",
       "INCR", "1", "a", "2", "b");
    ZX("-ERR wrong number of arguments for 'zadd' command\r\n", "ZADD", "z", "1");
    ZX("-ERR syntax error\r\n", "ZADD", "z", "1", "a", "2");
    ZX("-ERR wrong number of arguments for 'zadd' command\r\n", "ZADD", "z", "NX");
    ZX("-ERR value is not a valid float\r\n", "ZADD", "z", "abc", "a");
    ZX("-ERR value is not a valid float\r\n", "ZADD", "z", "1", "a", "nan", "b");
    ZX("-ERR value is not a valid float\r\n", "ZADD", "z", "1e400", "a");
    ZX("-ERR syntax error\r\n", "ZADD", "z", "1", "a", "2", "b", "notanumber");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZADD",
       "s", "1", "a");
    ZX("-ERR value is not a valid float\r\n", "ZADD", "s", "abc", "a");
    ZX("-ERR XX and NX options at the same time are not compatible\r\n", "ZADD", "s",
       "XX", "NX", "1", "a");
    ZX(":6\r\n", "ZCARD", "z");
    ZX(":0\r\n", "ZCARD", "nokey");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZCARD",
       "s");
}

static void test_zadd_options(void **state)
{
    (void)state;
    zadd_options_part1();
    zadd_options_part2();
}

static void zadd_scores_part1(void)
{
    ZX(":8\r\n", "ZADD", "z", "1.1", "a", "-2.5", "b", "inf", "c", "-inf", "d", "1e20",
       "e", "0x10", "f", "4611686018427387904", "g", "3.0", "h");
    ZX("*16\r\n$1\r\nd\r\n$4\r\n-inf\r\n$1\r\nb\r\n$4\r\n-2.5\r\n$1\r\na\r\n$18\r\n"
       "1.1000000000000001\r\n$1\r\nh\r\n$1\r\n3\r\n$1\r\nf\r\n$2\r\n16\r\n$1\r\ng\r\n"
       "$22\r\n4.6116860184273879e+18\r\n$1\r\ne\r\n$5\r\n1e+20\r\n$1\r\nc\r\n$3\r\n"
       "inf\r\n",
       "ZRANGE", "z", "0", "-1", "WITHSCORES");
    ZX("*2\r\n$1\r\n0\r\n*16\r\n$1\r\nd\r\n$4\r\n-inf\r\n$1\r\nb\r\n$4\r\n-2.5\r\n$1\r\n"
       "a\r\n$18\r\n1.1000000000000001\r\n$1\r\nh\r\n$1\r\n3\r\n$1\r\nf\r\n$2\r\n16\r\n"
       "$1\r\ng\r\n$19\r\n4611686018427387904\r\n$1\r\ne\r\n$5\r\n1e+20\r\n$1\r\nc\r\n"
       "$3\r\ninf\r\n",
       "ZSCAN", "z", "0");
    ZX(":4\r\n", "ZADD", "z", "+inf", "i", "-0", "j", "1e-310", "k", ".5", "l");
    ZX("$3\r\ninf\r\n", "ZSCORE", "z", "i");
    ZX("$1\r\n0\r\n", "ZSCORE", "z", "j");
    ZX("$23\r\n9.9999999999999694e-311\r\n", "ZSCORE", "z", "k");
    ZX("$3\r\n0.5\r\n", "ZSCORE", "z", "l");
    ZX("-ERR value is not a valid float\r\n", "ZADD", "z", " 1", "m");
    ZX("-ERR value is not a valid float\r\n", "ZADD", "z", "1 ", "m");
    ZX("-ERR value is not a valid float\r\n", "ZADD", "z", "", "m");
    {
        static const cmd_arg a[] = {ARG("ZADD"), ARG("z"), ARG("1\0002"), ARG("m")};
        ZXA("-ERR value is not a valid float\r\n", a);
    }
    ZX("$3\r\ninf\r\n", "ZINCRBY", "z", "1", "c");
    ZX("-ERR resulting score is not a number (NaN)\r\n", "ZINCRBY", "z", "-inf", "c");
    ZX("$18\r\n1.2000000000000002\r\n", "ZINCRBY", "z", "0.1", "a");
    ZX("-ERR value is not a valid float\r\n", "ZINCRBY", "z", "abc", "a");
    ZX("$1\r\n1\r\n", "ZINCRBY", "z", "1", "nx");
    ZX("-ERR syntax error\r\n", "ZINCRBY", "z", "nx", "a");
    ZX("$1\r\n1\r\n", "ZINCRBY", "s", "1", "a");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZINCRBY", "s", "1", "a");
    ZX("$3\r\n2.5\r\n", "ZINCRBY", "newz", "2.5", "m");
    ZX("*3\r\n$18\r\n1.2000000000000002\r\n$-1\r\n$3\r\ninf\r\n", "ZMSCORE", "z", "a",
       "nosuch", "c");
    ZX("*2\r\n$-1\r\n$-1\r\n", "ZMSCORE", "nokey", "a", "b");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZMSCORE", "s", "a");
}

static void zadd_scores_part2(void)
{
    ZX("$-1\r\n", "ZSCORE", "nokey", "a");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZSCORE",
       "s", "a");
}

static void test_zadd_scores(void **state)
{
    (void)state;
    zadd_scores_part1();
    zadd_scores_part2();
}

static void test_negative_zero(void **state)
{
    (void)state;
    ZX(":1\r\n", "ZADD", "lp", "-0", "a");
    ZX("$1\r\n0\r\n", "ZSCORE", "lp", "a");
    ZX("*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n0\r\n", "ZSCAN", "lp", "0");
    set_limits(0, 64);
    ZX(":1\r\n", "ZADD", "sk", "-0", "a");
    ZX("$2\r\n-0\r\n", "ZSCORE", "sk", "a");
    ZX("*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$2\r\n-0\r\n", "ZSCAN", "sk", "0");
    ZX("$1\r\n0\r\n", "ZINCRBY", "sk", "0", "a");
    ZX("$2\r\n-0\r\n", "ZSCORE", "sk", "a");
    ZX(":2\r\n", "ZADD", "sk2", "-0", "a", "0", "b");
    ZX("*4\r\n$1\r\na\r\n$2\r\n-0\r\n$1\r\nb\r\n$1\r\n0\r\n", "ZRANGE", "sk2", "0", "-1",
       "WITHSCORES");
}

static void zrange_rank_part1(void)
{
    ZX(":5\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    ZX("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGE", "z",
       "0", "-1");
    ZX("*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZRANGE", "z", "1", "2",
       "WITHSCORES");
    ZX("*2\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGE", "z", "-2", "-1");
    ZX("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGE", "z",
       "-100", "100");
    ZX("*0\r\n", "ZRANGE", "z", "3", "1");
    ZX("*0\r\n", "ZRANGE", "z", "5", "10");
    ZX("*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n", "ZRANGE", "z",
       "0", "-1", "REV");
    ZX("*2\r\n$1\r\ne\r\n$1\r\n5\r\n", "ZRANGE", "z", "0", "0", "REV", "WITHSCORES");
    ZX("*2\r\n$1\r\ne\r\n$1\r\nd\r\n", "ZREVRANGE", "z", "0", "1");
    ZX("*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n", "ZREVRANGE", "z", "0", "1",
       "WITHSCORES");
    ZX("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGE", "z",
       "-9223372036854775808", "9223372036854775807");
    ZX("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGE", "z",
       "0", "-1", "LIMIT", "0", "-1");
    ZX("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
       "BYLEX\r\n",
       "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1");
    ZX("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
       "BYLEX\r\n",
       "ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANGE", "z", "a", "1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANGE", "z", "0", "1.5");
    ZX("-ERR syntax error\r\n", "ZRANGE", "z", "0", "1", "REV", "REV");
    ZX("-ERR syntax error\r\n", "ZRANGE", "z", "0", "1", "FOO");
    ZX("-ERR syntax error\r\n", "ZRANGE", "z", "0", "1", "LIMIT");
    ZX("-ERR syntax error\r\n", "ZRANGE", "z", "0", "1", "LIMIT", "1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANGE", "z", "0", "1",
       "LIMIT", "x", "1");
    ZX("*0\r\n", "ZRANGE", "nokey", "0", "-1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANGE", "nokey", "a", "b");
    ZX("+OK\r\n", "SET", "s", "x");
}

static void zrange_rank_part2(void)
{
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZRANGE",
       "s", "0", "1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANGE", "s", "a", "1");
    ZX("-ERR syntax error\r\n", "ZREVRANGE", "z", "0", "1", "REV");
    W_proto = 3;
    ZX("*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n", "ZRANGE", "z", "0", "1",
       "WITHSCORES");
    ZX("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "ZRANGE", "z", "0", "1");
    ZX("*1\r\n*2\r\n$1\r\ne\r\n,5\r\n", "ZREVRANGE", "z", "0", "0", "WITHSCORES");
    ZX("*0\r\n", "ZRANGE", "nokey", "0", "1", "WITHSCORES");
}

static void test_zrange_rank(void **state)
{
    (void)state;
    zrange_rank_part1();
    zrange_rank_part2();
}

static void zrange_score_part1(void)
{
    ZX(":7\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf",
       "ninf", "inf", "pinf");
    ZX("*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", "ZRANGEBYSCORE", "z", "2", "4");
    ZX("*2\r\n$1\r\nc\r\n$1\r\nd\r\n", "ZRANGEBYSCORE", "z", "(2", "4");
    ZX("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "ZRANGEBYSCORE", "z", "2", "(4");
    ZX("*1\r\n$1\r\nc\r\n", "ZRANGEBYSCORE", "z", "(2", "(4");
    ZX("*7\r\n$4\r\nninf\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$4\r\n"
       "pinf\r\n",
       "ZRANGEBYSCORE", "z", "-inf", "+inf");
    ZX("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGEBYSCORE",
       "z", "(-inf", "(inf");
    ZX("*0\r\n", "ZRANGEBYSCORE", "z", "4", "2");
    ZX("*0\r\n", "ZRANGEBYSCORE", "z", "(3", "(3");
    ZX("*2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZRANGEBYSCORE", "z", "3", "3", "WITHSCORES");
    ZX("*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", "ZRANGEBYSCORE", "z", "-inf", "inf",
       "LIMIT", "2", "3");
    ZX("*5\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$4\r\npinf\r\n",
       "ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "2", "-1");
    ZX("*0\r\n", "ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "-1", "2");
    ZX("*0\r\n", "ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "7", "1");
    ZX("*1\r\n$4\r\npinf\r\n", "ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "6", "5");
    ZX("*0\r\n", "ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "0", "0");
    ZX("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "ZRANGEBYSCORE", "z", "-inf",
       "inf", "WITHSCORES", "LIMIT", "1", "2");
    ZX("*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n", "ZREVRANGEBYSCORE", "z", "4", "2");
    ZX("*0\r\n", "ZREVRANGEBYSCORE", "z", "2", "4");
    ZX("*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n", "ZREVRANGEBYSCORE", "z",
       "+inf", "-inf", "LIMIT", "1", "2", "WITHSCORES");
    ZX("*2\r\n$1\r\nc\r\n$1\r\nb\r\n", "ZREVRANGEBYSCORE", "z", "(4", "(1");
    ZX("*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", "ZRANGE", "z", "2", "4", "BYSCORE");
    ZX("*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n", "ZRANGE", "z", "4", "2", "BYSCORE",
       "REV");
    ZX("*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n", "ZRANGE", "z", "(1", "+inf",
       "BYSCORE", "LIMIT", "1", "2", "WITHSCORES");
    ZX("-ERR syntax error\r\n", "ZRANGE", "z", "2", "4", "BYSCORE", "BYSCORE");
}

static void zrange_score_part2(void)
{
    ZX("-ERR syntax error\r\n", "ZRANGE", "z", "2", "4", "BYSCORE", "BYLEX");
    ZX("-ERR syntax error\r\n", "ZRANGEBYSCORE", "z", "2", "4", "BYSCORE");
    ZX("-ERR syntax error\r\n", "ZRANGEBYSCORE", "z", "2", "4", "REV");
    ZX("-ERR syntax error\r\n", "ZREVRANGEBYSCORE", "z", "4", "2", "REV");
    ZX("-ERR min or max is not a float\r\n", "ZRANGEBYSCORE", "z", "abc", "4");
    ZX("-ERR min or max is not a float\r\n", "ZRANGEBYSCORE", "z", "1", "nan");
    ZX("*0\r\n", "ZRANGEBYSCORE", "z", "", "(");
    ZX("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "ZRANGEBYSCORE", "z", " 2", "3");
    ZX("-ERR min or max is not a float\r\n", "ZRANGEBYSCORE", "z", "2 ", "3");
    {
        static const cmd_arg a[] = {ARG("ZRANGEBYSCORE"), ARG("z"), ARG("2\000x"),
                                    ARG("3")};
        ZXA("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", a);
    }
    ZX("*1\r\n$4\r\npinf\r\n", "ZRANGEBYSCORE", "z", "1e999", "inf");
    ZX("*1\r\n$4\r\nninf\r\n", "ZRANGEBYSCORE", "z", "-1e999", "0");
    ZX("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "ZRANGEBYSCORE", "z", "0x2", "0x3");
    ZX("-ERR min or max is not a float\r\n", "ZRANGEBYSCORE", "z", "((", "3");
    ZX("-ERR min or max is not a float\r\n", "ZRANGEBYSCORE", "nokey", "a", "b");
    ZX("*0\r\n", "ZRANGEBYSCORE", "nokey", "0", "1");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZRANGEBYSCORE", "s", "0", "1");
    ZX("-ERR min or max is not a float\r\n", "ZRANGEBYSCORE", "s", "a", "1");
    ZX("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGEBYSCORE",
       "z", "0", "10", "LIMIT", "0", "9223372036854775807");
    ZX("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGEBYSCORE",
       "z", "0", "10", "LIMIT", "0", "-9223372036854775808");
    ZX("*0\r\n", "ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "9223372036854775807", "1");
    W_proto = 3;
    ZX("*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n", "ZRANGEBYSCORE", "z", "2",
       "3", "WITHSCORES");
    ZX("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "ZRANGEBYSCORE", "z", "2", "3");
}

static void test_zrange_score(void **state)
{
    (void)state;
    zrange_score_part1();
    zrange_score_part2();
}

static void zrange_lex_part1(void)
{
    ZX(":7\r\n", "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "aa",
       "0", "ab");
    ZX(":1\r\n", "ZADD", "z", "0", "");
    ZX("*8\r\n$0\r\n\r\n$1\r\na\r\n$2\r\naa\r\n$2\r\nab\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\n"
       "d\r\n$1\r\ne\r\n",
       "ZRANGEBYLEX", "z", "-", "+");
    ZX("*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", "ZRANGEBYLEX", "z", "[b", "[d");
    ZX("*1\r\n$1\r\nc\r\n", "ZRANGEBYLEX", "z", "(b", "(d");
    ZX("*3\r\n$1\r\na\r\n$2\r\naa\r\n$2\r\nab\r\n", "ZRANGEBYLEX", "z", "[a", "(b");
    ZX("*5\r\n$0\r\n\r\n$1\r\na\r\n$2\r\naa\r\n$2\r\nab\r\n$1\r\nb\r\n", "ZRANGEBYLEX",
       "z", "-", "(c");
    ZX("*2\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGEBYLEX", "z", "(c", "+");
    ZX("*0\r\n", "ZRANGEBYLEX", "z", "+", "-");
    ZX("*0\r\n", "ZRANGEBYLEX", "z", "-", "-");
    ZX("*0\r\n", "ZRANGEBYLEX", "z", "+", "+");
    ZX("*1\r\n$1\r\nc\r\n", "ZRANGEBYLEX", "z", "[c", "[c");
    ZX("*0\r\n", "ZRANGEBYLEX", "z", "(c", "[c");
    ZX("*0\r\n", "ZRANGEBYLEX", "z", "[d", "[b");
    ZX("*3\r\n$2\r\naa\r\n$2\r\nab\r\n$1\r\nb\r\n", "ZRANGEBYLEX", "z", "-", "+", "LIMIT",
       "2", "3");
    ZX("*0\r\n", "ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "3");
    ZX("*7\r\n$1\r\na\r\n$2\r\naa\r\n$2\r\nab\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\n"
       "e\r\n",
       "ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "-1");
    ZX("*4\r\n$0\r\n\r\n$1\r\na\r\n$2\r\naa\r\n$2\r\nab\r\n", "ZRANGEBYLEX", "z", "[",
       "(b");
    ZX("*8\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$2\r\nab\r\n$2\r\naa\r\n$1\r\n"
       "a\r\n$0\r\n\r\n",
       "ZREVRANGEBYLEX", "z", "+", "-");
    ZX("*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n", "ZREVRANGEBYLEX", "z", "[d", "[b");
    ZX("*2\r\n$1\r\nd\r\n$1\r\nc\r\n", "ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1",
       "2");
    ZX("*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", "ZRANGE", "z", "[b", "[d", "BYLEX");
    ZX("*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n", "ZRANGE", "z", "[d", "[b", "BYLEX",
       "REV");
    ZX("*2\r\n$0\r\n\r\n$1\r\na\r\n", "ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "0",
       "2");
    ZX("-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n",
       "ZRANGEBYLEX", "z", "-", "+", "WITHSCORES");
}

static void zrange_lex_part2(void)
{
    ZX("-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n",
       "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES");
    ZX("-ERR min or max not valid string range item\r\n", "ZRANGEBYLEX", "z", "a", "+");
    ZX("-ERR min or max not valid string range item\r\n", "ZRANGEBYLEX", "z", "-", "b");
    ZX("-ERR min or max not valid string range item\r\n", "ZRANGEBYLEX", "z", "", "+");
    ZX("-ERR min or max not valid string range item\r\n", "ZRANGEBYLEX", "z", "+x", "-");
    {
        static const cmd_arg a[] = {ARG("ZRANGEBYLEX"), ARG("z"), ARG("-\000x"),
                                    ARG("+")};
        ZXA("*8\r\n$0\r\n\r\n$1\r\na\r\n$2\r\naa\r\n$2\r\nab\r\n$1\r\nb\r\n$1\r\nc\r\n"
            "$1\r\nd\r\n$1\r\ne\r\n",
            a);
    }
    ZX("*0\r\n", "ZRANGEBYLEX", "nokey", "-", "+");
    ZX("-ERR min or max not valid string range item\r\n", "ZRANGEBYLEX", "nokey", "a",
       "b");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZRANGEBYLEX", "s", "-", "+");
    ZX("-ERR min or max not valid string range item\r\n", "ZRANGEBYLEX", "s", "a", "b");
    ZX(":8\r\n", "ZLEXCOUNT", "z", "-", "+");
    ZX(":2\r\n", "ZLEXCOUNT", "z", "[b", "(d");
    ZX(":0\r\n", "ZLEXCOUNT", "z", "+", "-");
    ZX("-ERR min or max not valid string range item\r\n", "ZLEXCOUNT", "z", "a", "b");
    ZX(":0\r\n", "ZLEXCOUNT", "nokey", "-", "+");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZLEXCOUNT", "s", "-", "+");
    ZX("-ERR min or max not valid string range item\r\n", "ZLEXCOUNT", "s", "a", "b");
}

static void test_zrange_lex(void **state)
{
    (void)state;
    zrange_lex_part1();
    zrange_lex_part2();
}

static void zrangestore_part1(void)
{
    ZX(":4\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
    ZX(":2\r\n", "ZRANGESTORE", "dst", "z", "0", "1");
    ZX("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "ZRANGE", "dst", "0", "-1",
       "WITHSCORES");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "dst");
    ZX(":2\r\n", "ZRANGESTORE", "dst", "z", "2", "3", "BYSCORE");
    ZX("*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZRANGE", "dst", "0", "-1",
       "WITHSCORES");
    ZX(":1\r\n", "ZRANGESTORE", "dst", "z", "(b", "+", "BYLEX", "LIMIT", "0", "1");
    ZX("*1\r\n$1\r\nc\r\n", "ZRANGE", "dst", "0", "-1");
    ZX(":4\r\n", "ZRANGESTORE", "dst", "z", "0", "-1", "REV");
    ZX("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", "ZRANGE", "dst", "0", "-1");
    ZX("-ERR syntax error\r\n", "ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES");
    ZX(":0\r\n", "ZRANGESTORE", "dst", "z", "5", "10");
    ZX(":0\r\n", "EXISTS", "dst");
    ZX(":1\r\n", "ZADD", "dst", "1", "x");
    ZX(":0\r\n", "ZRANGESTORE", "dst", "nokey", "0", "-1");
    ZX(":0\r\n", "EXISTS", "dst");
    ZX("+OK\r\n", "SET", "str", "v");
    ZX(":1\r\n", "ZRANGESTORE", "str", "z", "0", "0");
    ZX("+zset\r\n", "TYPE", "str");
    ZX("+OK\r\n", "SET", "str", "v");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZRANGESTORE", "dst", "str", "0", "1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANGESTORE", "dst", "z", "a",
       "b");
    ZX(":2\r\n", "ZRANGESTORE", "z", "z", "1", "2");
    ZX("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "ZRANGE", "z", "0", "-1");
    ZX("+OK\r\n", "SET", "ttl", "v", "EX", "100");
}

static void zrangestore_part2(void)
{
    ZX(":2\r\n", "ZRANGESTORE", "ttl", "z", "0", "-1");
    ZX(":-1\r\n", "TTL", "ttl");
    set_limits(1, 64);
    ZX(":2\r\n", "ZRANGESTORE", "dst", "z", "0", "-1");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "dst");
    ZX(":1\r\n", "ZRANGESTORE", "dst", "z", "0", "0");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "dst");
    set_limits(0, 64);
    ZX(":1\r\n", "ZRANGESTORE", "dst", "z", "0", "0");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "dst");
}

static void test_zrangestore(void **state)
{
    (void)state;
    zrangestore_part1();
    zrangestore_part2();
}

static void zcount_zrank_zrem_part1(void)
{
    ZX(":5\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    ZX(":3\r\n", "ZCOUNT", "z", "2", "4");
    ZX(":1\r\n", "ZCOUNT", "z", "(2", "(4");
    ZX(":5\r\n", "ZCOUNT", "z", "-inf", "+inf");
    ZX(":0\r\n", "ZCOUNT", "z", "5", "1");
    ZX("-ERR min or max is not a float\r\n", "ZCOUNT", "z", "abc", "1");
    ZX("-ERR min or max is not a float\r\n", "ZCOUNT", "z", "1", "abc");
    ZX(":0\r\n", "ZCOUNT", "nokey", "0", "1");
    ZX("-ERR min or max is not a float\r\n", "ZCOUNT", "nokey", "a", "b");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZCOUNT",
       "s", "0", "1");
    ZX("-ERR min or max is not a float\r\n", "ZCOUNT", "s", "a", "1");
    ZX(":0\r\n", "ZRANK", "z", "a");
    ZX(":4\r\n", "ZRANK", "z", "e");
    ZX(":4\r\n", "ZREVRANK", "z", "a");
    ZX(":0\r\n", "ZREVRANK", "z", "e");
    ZX("$-1\r\n", "ZRANK", "z", "nosuch");
    ZX("$-1\r\n", "ZRANK", "nokey", "a");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZRANK",
       "s", "a");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZREVRANK", "s", "a");
    ZX(":2\r\n", "ZREM", "z", "a", "nosuch", "b", "b");
    ZX("*3\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGE", "z", "0", "-1");
    ZX(":0\r\n", "ZREM", "z", "nosuch");
    ZX(":0\r\n", "ZREM", "nokey", "a");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZREM",
       "s", "a");
}

static void zcount_zrank_zrem_part2(void)
{
    ZX(":3\r\n", "ZREM", "z", "c", "d", "e", "f");
    ZX(":0\r\n", "EXISTS", "z");
    W_proto = 3;
    ZX("_\r\n", "ZRANK", "nokey", "a");
    ZX("_\r\n", "ZSCORE", "nokey", "a");
}

static void test_zcount_zrank_zrem(void **state)
{
    (void)state;
    zcount_zrank_zrem_part1();
    zcount_zrank_zrem_part2();
}

static void pops_part1(void)
{
    ZX(":5\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    ZX("*2\r\n$1\r\na\r\n$1\r\n1\r\n", "ZPOPMIN", "z");
    ZX("*2\r\n$1\r\ne\r\n$1\r\n5\r\n", "ZPOPMAX", "z");
    ZX("*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZPOPMIN", "z", "2");
    ZX("*0\r\n", "ZPOPMIN", "z", "0");
    ZX("-ERR value is out of range, must be positive\r\n", "ZPOPMIN", "z", "-1");
    ZX("-ERR value is out of range, must be positive\r\n", "ZPOPMIN", "z", "abc");
    ZX("-ERR syntax error\r\n", "ZPOPMIN", "z", "1", "2");
    ZX("*2\r\n$1\r\nd\r\n$1\r\n4\r\n", "ZPOPMAX", "z", "10");
    ZX(":0\r\n", "EXISTS", "z");
    ZX("*0\r\n", "ZPOPMIN", "z");
    ZX("*0\r\n", "ZPOPMIN", "nokey", "5");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZPOPMIN", "s");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZPOPMIN", "s", "0");
    ZX("-ERR value is out of range, must be positive\r\n", "ZPOPMAX", "s", "-1");
    ZX(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c");
    ZX("*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "ZMPOP", "1", "z", "MIN");
    ZX("*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
       "ZMPOP", "1", "z", "MAX", "COUNT", "5");
    ZX("*-1\r\n", "ZMPOP", "1", "z", "MIN");
    ZX(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c");
    ZX("*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
       "ZMPOP", "2", "nokey", "z", "min", "count", "2");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZMPOP",
       "2", "s", "z", "MIN");
    ZX("*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZMPOP", "2", "z", "s",
       "MAX");
    ZX("-ERR numkeys should be greater than 0\r\n", "ZMPOP", "0", "z", "MIN");
}

static void pops_part2(void)
{
    ZX("-ERR numkeys should be greater than 0\r\n", "ZMPOP", "-1", "z", "MIN");
    ZX("-ERR numkeys should be greater than 0\r\n", "ZMPOP", "abc", "z", "MIN");
    ZX("-ERR syntax error\r\n", "ZMPOP", "2", "z", "MIN");
    ZX("-ERR syntax error\r\n", "ZMPOP", "1", "z", "FOO");
    ZX("-ERR syntax error\r\n", "ZMPOP", "1", "z", "MIN", "COUNT");
    ZX("-ERR count should be greater than 0\r\n", "ZMPOP", "1", "z", "MIN", "COUNT", "0");
    ZX("-ERR count should be greater than 0\r\n", "ZMPOP", "1", "z", "MIN", "COUNT",
       "-1");
    ZX("-ERR count should be greater than 0\r\n", "ZMPOP", "1", "z", "MIN", "COUNT",
       "abc");
    ZX("-ERR syntax error\r\n", "ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1");
    ZX("-ERR syntax error\r\n", "ZMPOP", "1", "z", "MIN", "FOO");
    ZX("-ERR syntax error\r\n", "ZMPOP", "9223372036854775807", "z", "MIN");
    ZX("*-1\r\n", "ZMPOP", "1", "nokey", "MIN");
    W_proto = 3;
    ZX(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c");
    ZX("*2\r\n$1\r\na\r\n,1\r\n", "ZPOPMIN", "z");
    ZX("*1\r\n*2\r\n$1\r\nb\r\n,2\r\n", "ZPOPMIN", "z", "1");
    ZX("*1\r\n*2\r\n$1\r\nc\r\n,3\r\n", "ZPOPMAX", "z", "5");
    ZX("*0\r\n", "ZPOPMIN", "nokey");
    ZX("*0\r\n", "ZPOPMIN", "nokey", "1");
    ZX(":1\r\n", "ZADD", "z", "1", "a");
    ZX("*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,1\r\n", "ZMPOP", "1", "z", "MIN");
    ZX("_\r\n", "ZMPOP", "1", "z", "MIN");
}

static void test_pops(void **state)
{
    (void)state;
    pops_part1();
    pops_part2();
}

static void blocking_served_part1(void)
{
    ZX(":2\r\n", "ZADD", "z", "1", "a", "2", "b");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n", "BZPOPMIN", "z", "0");
    ZX("*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n", "BZPOPMAX", "nokey", "z", "1.5");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "BZPOPMIN", "z", "s", "0");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "BZPOPMIN", "s", "z", "0");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "BZPOPMIN", "nokey", "s", "0");
    ZX("-ERR timeout is negative\r\n", "BZPOPMIN", "z", "-1");
    ZX("-ERR timeout is not a float or out of range\r\n", "BZPOPMIN", "z", "abc");
    ZX("-ERR timeout is negative\r\n", "BZPOPMIN", "z", "inf");
    ZX("-ERR timeout is negative\r\n", "BZPOPMIN", "z", "1e20");
    ZX("-ERR timeout is not a float or out of range\r\n", "BZPOPMIN", "z", "nan");
    ZX("-ERR timeout is not a float or out of range\r\n", "BZPOPMIN", "z", "");
    ZX("-ERR timeout is not a float or out of range\r\n", "BZPOPMIN", "z", " 1");
    ZX(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c");
    ZX("*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "BZMPOP", "0", "1", "z",
       "MIN");
    ZX("*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
       "BZMPOP", "0", "2", "nokey", "z", "MAX", "COUNT", "5");
    ZX(":0\r\n", "EXISTS", "z");
    ZX("-ERR numkeys should be greater than 0\r\n", "BZMPOP", "0", "0", "z", "MIN");
    ZX("-ERR timeout is not a float or out of range\r\n", "BZMPOP", "x", "1", "z", "MIN");
    ZX("-ERR timeout is negative\r\n", "BZMPOP", "-1", "1", "z", "MIN");
    ZX("-ERR syntax error\r\n", "BZMPOP", "0", "1", "z", "FOO");
    ZX("-ERR syntax error\r\n", "BZMPOP", "x", "1", "z", "FOO");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "BZMPOP",
       "0", "1", "s", "MIN");
    ZX("-ERR count should be greater than 0\r\n", "BZMPOP", "0", "1", "z", "MIN", "COUNT",
       "0");
}

static void blocking_served_part2(void)
{
    W_proto = 3;
    ZX(":2\r\n", "ZADD", "z", "1", "a", "2", "b");
    ZX("*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n", "BZPOPMIN", "z", "0");
    ZX("*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n", "BZMPOP", "0", "1", "z", "MIN");
}

static void test_blocking_served(void **state)
{
    (void)state;
    blocking_served_part1();
    blocking_served_part2();
}

static void setops_part1(void)
{
    ZX(":3\r\n", "ZADD", "a", "1", "x", "2", "y", "3", "z");
    ZX(":3\r\n", "ZADD", "b", "10", "y", "20", "z", "30", "w");
    ZX(":1\r\n", "ZADD", "c", "100", "z");
    ZX("*4\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nw\r\n", "ZUNION", "2", "a", "b");
    ZX("*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\n"
       "w\r\n$2\r\n30\r\n",
       "ZUNION", "2", "a", "b", "WITHSCORES");
    ZX("*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n22\r\n$1\r\nw\r\n$2\r\n60\r\n$1\r\n"
       "z\r\n$3\r\n343\r\n",
       "ZUNION", "3", "a", "b", "c", "WITHSCORES", "WEIGHTS", "1", "2", "3");
    ZX("*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n3\r\n$1\r\n"
       "w\r\n$2\r\n30\r\n",
       "ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES");
    ZX("*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n10\r\n$1\r\nz\r\n$2\r\n20\r\n$1\r\n"
       "w\r\n$2\r\n30\r\n",
       "ZUNION", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES");
    ZX("*6\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n3\r\n",
       "ZUNION", "2", "a", "nokey", "WITHSCORES");
    ZX("*0\r\n", "ZUNION", "1", "nokey");
    ZX("*4\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n", "ZINTER", "2", "a", "b",
       "WITHSCORES");
    ZX("*2\r\n$1\r\nz\r\n$3\r\n123\r\n", "ZINTER", "3", "a", "b", "c", "WITHSCORES");
    ZX("*4\r\n$1\r\ny\r\n$1\r\n5\r\n$1\r\nz\r\n$2\r\n10\r\n", "ZINTER", "2", "a", "b",
       "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES");
    ZX("*0\r\n", "ZINTER", "2", "a", "nokey");
    ZX("*6\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\ny\r\n$1\r\n4\r\n$1\r\nz\r\n$1\r\n6\r\n",
       "ZINTER", "2", "a", "a", "WITHSCORES");
    ZX("*2\r\n$1\r\nx\r\n$1\r\n1\r\n", "ZDIFF", "2", "a", "b", "WITHSCORES");
    ZX("*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n", "ZDIFF", "1", "a");
    ZX("*0\r\n", "ZDIFF", "2", "nokey", "a");
    ZX("*2\r\n$1\r\nw\r\n$2\r\n30\r\n", "ZDIFF", "3", "b", "a", "c", "WITHSCORES");
    ZX("*0\r\n", "ZDIFF", "2", "a", "a");
    ZX(":2\r\n", "ZINTERCARD", "2", "a", "b");
    ZX(":1\r\n", "ZINTERCARD", "2", "a", "b", "LIMIT", "1");
    ZX(":2\r\n", "ZINTERCARD", "2", "a", "b", "LIMIT", "0");
    ZX(":0\r\n", "ZINTERCARD", "2", "a", "nokey");
    ZX(":2\r\n", "ZINTERCARD", "1", "a", "LIMIT", "2");
}

static void setops_part2(void)
{
    ZX(":4\r\n", "ZUNIONSTORE", "d", "2", "a", "b");
    ZX("*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\n"
       "w\r\n$2\r\n30\r\n",
       "ZRANGE", "d", "0", "-1", "WITHSCORES");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d");
    ZX(":2\r\n", "ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "-1");
    ZX("*4\r\n$1\r\nz\r\n$3\r\n-17\r\n$1\r\ny\r\n$2\r\n-8\r\n", "ZRANGE", "d", "0", "-1",
       "WITHSCORES");
    ZX(":1\r\n", "ZDIFFSTORE", "d", "2", "a", "b");
    ZX("*2\r\n$1\r\nx\r\n$1\r\n1\r\n", "ZRANGE", "d", "0", "-1", "WITHSCORES");
    ZX(":0\r\n", "ZINTERSTORE", "d", "2", "a", "nokey");
    ZX(":0\r\n", "EXISTS", "d");
    ZX("+OK\r\n", "SET", "str", "v", "EX", "100");
    ZX(":3\r\n", "ZUNIONSTORE", "str", "1", "a");
    ZX("+zset\r\n", "TYPE", "str");
    ZX(":-1\r\n", "TTL", "str");
    ZX("+OK\r\n", "SET", "str", "v");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZUNIONSTORE", "d", "2", "a", "str");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZUNION",
       "2", "a", "str", "WEIGHTS", "x", "y");
    ZX(":4\r\n", "ZUNIONSTORE", "a", "2", "a", "b");
    ZX("*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\n"
       "w\r\n$2\r\n30\r\n",
       "ZRANGE", "a", "0", "-1", "WITHSCORES");
    ZX("-ERR value is not an integer or out of range\r\n", "ZUNION", "x", "a");
    ZX("-ERR at least 1 input key is needed for 'zunion' command\r\n", "ZUNION", "0",
       "a");
    ZX("-ERR at least 1 input key is needed for 'zunion' command\r\n", "ZUNION", "-1",
       "a");
    ZX("-ERR at least 1 input key is needed for 'zunionstore' command\r\n", "ZUNIONSTORE",
       "d", "0", "a");
    ZX("-ERR at least 1 input key is needed for 'zintercard' command\r\n", "ZINTERCARD",
       "0", "a");
    ZX("-ERR at least 1 input key is needed for 'zdiff' command\r\n", "ZDIFF", "0", "a");
    ZX("-ERR syntax error\r\n", "ZUNION", "3", "a", "b");
}

static void setops_part3(void)
{
    ZX("-ERR syntax error\r\n", "ZUNION", "2", "a", "b", "WEIGHTS", "1");
    ZX("-ERR weight value is not a float\r\n", "ZUNION", "2", "a", "b", "WEIGHTS", "1",
       "x");
    ZX("-ERR syntax error\r\n", "ZUNION", "2", "a", "b", "WEIGHTS", "1", "2", "3");
    ZX("-ERR syntax error\r\n", "ZUNION", "2", "a", "b", "AGGREGATE");
    ZX("-ERR syntax error\r\n", "ZUNION", "2", "a", "b", "AGGREGATE", "avg");
    ZX("-ERR syntax error\r\n", "ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES");
    ZX("-ERR syntax error\r\n", "ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1");
    ZX("-ERR syntax error\r\n", "ZDIFF", "2", "a", "b", "AGGREGATE", "SUM");
    ZX("-ERR syntax error\r\n", "ZINTERCARD", "2", "a", "b", "WITHSCORES");
    ZX("-ERR syntax error\r\n", "ZINTERCARD", "2", "a", "b", "WEIGHTS", "1", "1");
    ZX("-ERR LIMIT can't be negative\r\n", "ZINTERCARD", "2", "a", "b", "LIMIT", "-1");
    ZX("-ERR LIMIT can't be negative\r\n", "ZINTERCARD", "2", "a", "b", "LIMIT", "x");
    ZX("-ERR syntax error\r\n", "ZINTERCARD", "2", "a", "b", "LIMIT");
    ZX("-ERR syntax error\r\n", "ZINTER", "2", "a", "b", "FOO");
    ZX(":3\r\n", "ZADD", "i1", "inf", "a", "-inf", "b", "1", "c");
    ZX(":3\r\n", "ZADD", "i2", "-inf", "a", "inf", "b", "2", "c");
    ZX("*6\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n3\r\n",
       "ZUNION", "2", "i1", "i2", "WITHSCORES");
    ZX("*6\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n3\r\n",
       "ZINTER", "2", "i1", "i2", "WITHSCORES");
    ZX("*6\r\n$1\r\na\r\n$4\r\n-inf\r\n$1\r\nc\r\n$1\r\n2\r\n$1\r\nb\r\n$3\r\ninf\r\n",
       "ZUNION", "2", "i1", "i2", "WEIGHTS", "0", "1", "WITHSCORES");
    ZX("*6\r\n$1\r\na\r\n$4\r\n-inf\r\n$1\r\nc\r\n$1\r\n2\r\n$1\r\nb\r\n$3\r\ninf\r\n",
       "ZINTER", "2", "i1", "i2", "WEIGHTS", "0", "1", "WITHSCORES");
    ZX("*6\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\nc\r\n$1\r\n0\r\n$1\r\na\r\n$3\r\ninf\r\n",
       "ZINTER", "2", "i1", "i2", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES");
    ZX("*6\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\na\r\n$3\r\ninf\r\n",
       "ZINTER", "2", "i1", "i2", "WEIGHTS", "1", "0", "AGGREGATE", "MAX", "WITHSCORES");
    ZX("*6\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\nc\r\n$3\r\ninf\r\n",
       "ZUNION", "2", "i1", "i2", "WEIGHTS", "inf", "1", "WITHSCORES");
    W_proto = 3;
    ZX("*4\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\ny\r\n,22\r\n*2\r\n$1\r\nz\r\n,43\r\n"
       "*2\r\n$1\r\nw\r\n,60\r\n",
       "ZUNION", "2", "a", "b", "WITHSCORES");
}

static void setops_part4(void)
{
    ZX("*4\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nw\r\n", "ZINTER", "1", "a");
    ZX("*0\r\n", "ZDIFF", "1", "nokey", "WITHSCORES");
}

static void test_setops(void **state)
{
    (void)state;
    setops_part1();
    setops_part2();
    setops_part3();
    setops_part4();
}

static void test_setops_order(void **state)
{
    (void)state;
    ZX(":1\r\n", "ZADD", "k0", "0.1", "x");
    ZX(":1\r\n", "ZADD", "k1", "0.2", "x");
    ZX(":1\r\n", "ZADD", "k2", "0.3", "x");
    ZX(":1\r\n", "ZADD", "k3", "0.7", "x");
    ZX(":1\r\n", "ZADD", "k4", "1.1", "x");
    ZX(":1\r\n", "ZADD", "k5", "2.3", "x");
    ZX(":1\r\n", "ZADD", "k6", "0.001", "x");
    ZX(":1\r\n", "ZADD", "k7", "5.5", "x");
    ZX(":2\r\n", "ZADD", "k8", "0.5", "x", "1", "y");
    ZX("*4\r\n$1\r\ny\r\n$1\r\n1\r\n$1\r\nx\r\n$18\r\n10.701000000000001\r\n", "ZUNION",
       "9", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "WITHSCORES");
    ZX("*4\r\n$1\r\ny\r\n$1\r\n1\r\n$1\r\nx\r\n$18\r\n10.700999999999999\r\n", "ZUNION",
       "9", "k7", "k6", "k5", "k4", "k3", "k2", "k1", "k0", "k8", "WITHSCORES");
    ZX("*4\r\n$1\r\ny\r\n$1\r\n1\r\n$1\r\nx\r\n$18\r\n10.701000000000001\r\n", "ZUNION",
       "9", "k8", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "WITHSCORES");
    ZX("*2\r\n$1\r\nx\r\n$18\r\n10.700999999999999\r\n", "ZINTER", "9", "k8", "k7", "k6",
       "k5", "k4", "k3", "k2", "k1", "k0", "WITHSCORES");
    ZX("*2\r\n$1\r\nx\r\n$18\r\n10.701000000000001\r\n", "ZINTER", "9", "k0", "k1", "k2",
       "k3", "k4", "k5", "k6", "k7", "k8", "WITHSCORES");
}

static void zremrange_part1(void)
{
    ZX(":6\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f");
    ZX(":1\r\n", "ZREMRANGEBYRANK", "z", "0", "0");
    ZX(":1\r\n", "ZREMRANGEBYRANK", "z", "-1", "-1");
    ZX(":0\r\n", "ZREMRANGEBYRANK", "z", "10", "20");
    ZX(":0\r\n", "ZREMRANGEBYRANK", "z", "3", "1");
    ZX("*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "ZRANGE", "z", "0", "-1");
    ZX(":2\r\n", "ZREMRANGEBYSCORE", "z", "(2", "4");
    ZX("*2\r\n$1\r\nb\r\n$1\r\ne\r\n", "ZRANGE", "z", "0", "-1");
    ZX(":0\r\n", "ZREMRANGEBYSCORE", "z", "10", "20");
    ZX(":0\r\n", "ZREMRANGEBYSCORE", "z", "5", "1");
    ZX(":3\r\n", "ZADD", "z", "0", "m", "0", "n", "0", "o");
    ZX(":0\r\n", "ZREMRANGEBYLEX", "z", "[m", "(o");
    ZX("*5\r\n$1\r\nm\r\n$1\r\nn\r\n$1\r\no\r\n$1\r\nb\r\n$1\r\ne\r\n", "ZRANGE", "z",
       "0", "-1");
    ZX(":0\r\n", "ZREMRANGEBYLEX", "z", "+", "-");
    ZX("-ERR value is not an integer or out of range\r\n", "ZREMRANGEBYRANK", "z", "a",
       "1");
    ZX("-ERR min or max is not a float\r\n", "ZREMRANGEBYSCORE", "z", "a", "1");
    ZX("-ERR min or max not valid string range item\r\n", "ZREMRANGEBYLEX", "z", "a",
       "b");
    ZX(":0\r\n", "ZREMRANGEBYRANK", "nokey", "0", "-1");
    ZX("-ERR min or max is not a float\r\n", "ZREMRANGEBYSCORE", "nokey", "a", "1");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZREMRANGEBYRANK", "s", "0", "1");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZREMRANGEBYSCORE", "s", "0", "1");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZREMRANGEBYLEX", "s", "-", "+");
    ZX("-ERR value is not an integer or out of range\r\n", "ZREMRANGEBYRANK", "s", "a",
       "1");
    ZX(":5\r\n", "ZREMRANGEBYRANK", "z", "0", "-1");
}

static void zremrange_part2(void)
{
    ZX(":0\r\n", "EXISTS", "z");
    ZX(":2\r\n", "ZADD", "z", "1", "a", "2", "b");
    ZX(":2\r\n", "ZREMRANGEBYSCORE", "z", "-inf", "+inf");
    ZX(":0\r\n", "EXISTS", "z");
    ZX(":2\r\n", "ZADD", "z", "0", "a", "0", "b");
    ZX(":2\r\n", "ZREMRANGEBYLEX", "z", "-", "+");
    ZX(":0\r\n", "EXISTS", "z");
}

static void test_zremrange(void **state)
{
    (void)state;
    zremrange_part1();
    zremrange_part2();
}

static void test_zscan_listpack(void **state)
{
    (void)state;
    ZX(":5\r\n", "ZADD", "z", "1", "a", "2.5", "b", "3", "c", "1e20", "d", "-inf", "e");
    ZX("*2\r\n$1\r\n0\r\n*10\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n"
       "b\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$5\r\n1e+20\r\n",
       "ZSCAN", "z", "0");
    ZX("*2\r\n$1\r\n0\r\n*10\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n"
       "b\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$5\r\n1e+20\r\n",
       "ZSCAN", "z", "5");
    ZX("*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n", "ZSCAN",
       "z", "0", "MATCH", "[ab]");
    ZX("*2\r\n$1\r\n0\r\n*10\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n"
       "b\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$5\r\n1e+20\r\n",
       "ZSCAN", "z", "0", "COUNT", "1");
    ZX("*2\r\n$1\r\n0\r\n*10\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n"
       "b\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$5\r\n1e+20\r\n",
       "ZSCAN", "z", "0", "MATCH", "*", "COUNT", "100");
    ZX("-ERR syntax error\r\n", "ZSCAN", "z", "0", "COUNT", "0");
    ZX("-ERR syntax error\r\n", "ZSCAN", "z", "0", "COUNT", "-1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZSCAN", "z", "0", "COUNT",
       "x");
    ZX("-ERR syntax error\r\n", "ZSCAN", "z", "0", "MATCH");
    ZX("-ERR syntax error\r\n", "ZSCAN", "z", "0", "TYPE", "zset");
    ZX("-ERR syntax error\r\n", "ZSCAN", "z", "0", "FOO", "bar");
    ZX("-ERR invalid cursor\r\n", "ZSCAN", "z", "abc");
    ZX("*2\r\n$1\r\n0\r\n*10\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n"
       "b\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$5\r\n1e+20\r\n",
       "ZSCAN", "z", "-1");
    ZX("*2\r\n$1\r\n0\r\n*10\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n"
       "b\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$5\r\n1e+20\r\n",
       "ZSCAN", "z", "");
    ZX("-ERR invalid cursor\r\n", "ZSCAN", "z", " 1");
    ZX("-ERR invalid cursor\r\n", "ZSCAN", "z", "18446744073709551616");
    ZX("*2\r\n$1\r\n0\r\n*0\r\n", "ZSCAN", "nokey", "0");
    ZX("-ERR invalid cursor\r\n", "ZSCAN", "nokey", "abc");
    ZX("*2\r\n$1\r\n0\r\n*0\r\n", "ZSCAN", "nokey", "0", "FOO");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZSCAN",
       "s", "0");
    ZX(":3\r\n", "ZADD", "n", "1", "100", "2", "-5", "3", "12345678901");
    ZX("*2\r\n$1\r\n0\r\n*4\r\n$3\r\n100\r\n$1\r\n1\r\n$11\r\n12345678901\r\n$1\r\n3\r\n",
       "ZSCAN", "n", "0", "MATCH", "1*");
}

static void test_zrandmember_errors(void **state)
{
    (void)state;
    ZX(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c");
    ZX("$-1\r\n", "ZRANDMEMBER", "nokey");
    ZX("*0\r\n", "ZRANDMEMBER", "nokey", "5");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANDMEMBER", "nokey", "abc");
    ZX("-ERR syntax error\r\n", "ZRANDMEMBER", "nokey", "1", "x");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANDMEMBER", "z", "abc");
    ZX("-ERR syntax error\r\n", "ZRANDMEMBER", "z", "1", "x");
    ZX("-ERR syntax error\r\n", "ZRANDMEMBER", "z", "1", "WITHSCORES", "x");
    ZX("*0\r\n", "ZRANDMEMBER", "z", "0");
    ZX("*0\r\n", "ZRANDMEMBER", "z", "0", "WITHSCORES");
    ZX("*6\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n",
       "ZRANDMEMBER", "z", "3", "WITHSCORES");
    ZX("*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n", "ZRANDMEMBER", "z", "100");
    ZX("-ERR value is out of range, value must between -9223372036854775807 and "
       "9223372036854775807\r\n",
       "ZRANDMEMBER", "z", "-9223372036854775808");
    ZX("-ERR value is out of range\r\n", "ZRANDMEMBER", "z", "4611686018427387904",
       "WITHSCORES");
    ZX("-ERR value is out of range\r\n", "ZRANDMEMBER", "z", "-4611686018427387904",
       "WITHSCORES");
    ZX("*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n", "ZRANDMEMBER", "z",
       "4611686018427387903");
    ZX("+OK\r\n", "SET", "s", "x");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZRANDMEMBER", "s");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZRANDMEMBER", "s", "1");
    ZX("-ERR value is not an integer or out of range\r\n", "ZRANDMEMBER", "s", "abc");
    W_proto = 3;
    ZX("_\r\n", "ZRANDMEMBER", "nokey");
    ZX("*3\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n",
       "ZRANDMEMBER", "z", "3", "WITHSCORES");
    ZX("*0\r\n", "ZRANDMEMBER", "nokey", "1");
}

static void arity_part1(void)
{
    ZX("-ERR wrong number of arguments for 'zadd' command\r\n", "ZADD", "z");
    ZX("-ERR wrong number of arguments for 'zadd' command\r\n", "ZADD", "z", "1");
    ZX("-ERR wrong number of arguments for 'zrem' command\r\n", "ZREM", "z");
    ZX("-ERR wrong number of arguments for 'zscore' command\r\n", "ZSCORE", "z");
    ZX("-ERR wrong number of arguments for 'zmscore' command\r\n", "ZMSCORE", "z");
    ZX("-ERR wrong number of arguments for 'zincrby' command\r\n", "ZINCRBY", "z", "1");
    ZX("-ERR wrong number of arguments for 'zcard' command\r\n", "ZCARD");
    ZX("-ERR wrong number of arguments for 'zcount' command\r\n", "ZCOUNT", "z", "1");
    ZX("-ERR wrong number of arguments for 'zrange' command\r\n", "ZRANGE", "z", "1");
    ZX("-ERR wrong number of arguments for 'zrangestore' command\r\n", "ZRANGESTORE", "d",
       "z", "1");
    ZX("-ERR wrong number of arguments for 'zrevrange' command\r\n", "ZREVRANGE", "z",
       "1");
    ZX("-ERR wrong number of arguments for 'zrangebyscore' command\r\n", "ZRANGEBYSCORE",
       "z", "1");
    ZX("-ERR wrong number of arguments for 'zrevrangebyscore' command\r\n",
       "ZREVRANGEBYSCORE", "z", "1");
    ZX("-ERR wrong number of arguments for 'zrangebylex' command\r\n", "ZRANGEBYLEX", "z",
       "1");
    ZX("-ERR wrong number of arguments for 'zrevrangebylex' command\r\n",
       "ZREVRANGEBYLEX", "z", "1");
    ZX("-ERR wrong number of arguments for 'zrank' command\r\n", "ZRANK", "z");
    ZX("-ERR wrong number of arguments for 'zrevrank' command\r\n", "ZREVRANK", "z", "a",
       "b");
    ZX("-ERR wrong number of arguments for 'zpopmin' command\r\n", "ZPOPMIN");
    ZX("-ERR wrong number of arguments for 'zpopmax' command\r\n", "ZPOPMAX");
    ZX("-ERR wrong number of arguments for 'zmpop' command\r\n", "ZMPOP", "1", "z");
    ZX("-ERR wrong number of arguments for 'zrandmember' command\r\n", "ZRANDMEMBER");
    ZX("-ERR wrong number of arguments for 'zunionstore' command\r\n", "ZUNIONSTORE", "d",
       "1");
    ZX("-ERR wrong number of arguments for 'zinterstore' command\r\n", "ZINTERSTORE", "d",
       "1");
    ZX("-ERR wrong number of arguments for 'zdiffstore' command\r\n", "ZDIFFSTORE", "d",
       "1");
    ZX("-ERR wrong number of arguments for 'zunion' command\r\n", "ZUNION", "1");
}

static void arity_part2(void)
{
    ZX("-ERR wrong number of arguments for 'zinter' command\r\n", "ZINTER", "1");
    ZX("-ERR wrong number of arguments for 'zdiff' command\r\n", "ZDIFF", "1");
    ZX("-ERR wrong number of arguments for 'zintercard' command\r\n", "ZINTERCARD", "1");
    ZX("-ERR wrong number of arguments for 'zlexcount' command\r\n", "ZLEXCOUNT", "z",
       "a");
    ZX("-ERR wrong number of arguments for 'zremrangebyrank' command\r\n",
       "ZREMRANGEBYRANK", "z", "1");
    ZX("-ERR wrong number of arguments for 'zremrangebyscore' command\r\n",
       "ZREMRANGEBYSCORE", "z", "1");
    ZX("-ERR wrong number of arguments for 'zremrangebylex' command\r\n",
       "ZREMRANGEBYLEX", "z", "1");
    ZX("-ERR wrong number of arguments for 'zscan' command\r\n", "ZSCAN", "z");
    ZX("-ERR wrong number of arguments for 'bzpopmin' command\r\n", "BZPOPMIN", "z");
    ZX("-ERR wrong number of arguments for 'bzpopmax' command\r\n", "BZPOPMAX", "z");
    ZX("-ERR wrong number of arguments for 'bzmpop' command\r\n", "BZMPOP", "0", "1",
       "z");
}

static void test_arity(void **state)
{
    (void)state;
    arity_part1();
    arity_part2();
}

static void encodings_part1(void)
{
    set_limits(4, 8);
    ZX(":4\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "z");
    ZX(":1\r\n", "ZADD", "z", "5", "e");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "z");
    ZX(":4\r\n", "ZREM", "z", "a", "b", "c", "d");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "z");
    ZX(":1\r\n", "ZADD", "y", "1", "a");
    ZX(":1\r\n", "ZADD", "y", "2", "123456789");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "y");
    ZX(":1\r\n", "ZADD", "y", "3", "abcdefghi");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "y");
    ZX(":1\r\n", "ZADD", "x", "1", "abcdefghi");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "x");
    ZX(":1\r\n", "ZADD", "w", "1", "a", "1", "a", "1", "a", "1", "a", "1", "a", "1", "a");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "w");
    ZX(":0\r\n", "ZADD", "v", "XX", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6",
       "f");
    ZX(":2\r\n", "ZADD", "w2", "1", "a", "2", "b");
    ZX(":0\r\n", "ZADD", "w2", "XX", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
       "6", "f");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "w2");
    ZX("$1\r\n1\r\n", "ZINCRBY", "w3", "1", "abcdefghi");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "w3");
    ZX(":6\r\n", "ZADD", "q", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f");
    ZX(":6\r\n", "ZUNIONSTORE", "d", "1", "q");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "d");
}

static void encodings_part2(void)
{
    ZX(":4\r\n", "ZRANGESTORE", "d", "q", "0", "3");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d");
    ZX(":6\r\n", "ZUNIONSTORE", "d", "1", "q", "WEIGHTS", "2");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "d");
    ZX(":1\r\n", "ZINTERSTORE", "d", "2", "q", "z");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d");
    ZX(":5\r\n", "ZRANGESTORE", "d", "q", "0", "4");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "d");
    ZX(":2\r\n", "ZADD", "lng", "1", "abcdefghi", "2", "b");
    ZX(":1\r\n", "ZREM", "lng", "abcdefghi");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "lng");
    ZX(":1\r\n", "ZUNIONSTORE", "d", "1", "lng");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d");
    ZX(":1\r\n", "ZDIFFSTORE", "d", "1", "lng");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d");
    set_limits(0, 8);
    ZX(":1\r\n", "ZADD", "e", "1", "a");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "e");
    ZX(":1\r\n", "ZUNIONSTORE", "d", "1", "lng");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "d");
    set_limits(4, 0);
    ZX(":1\r\n", "ZADD", "f", "1", "a");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "f");
    ZX(":1\r\n", "ZADD", "g", "1", "");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "g");
}

static void encodings_part3(void)
{
    ZX(":1\r\n", "ZADD", "g", "1", "a");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "g");
}

static void test_encodings(void **state)
{
    (void)state;
    encodings_part1();
    encodings_part2();
    encodings_part3();
}

static void set_inputs_part1(void)
{
    ZX(":2\r\n", "SADD", "s", "x", "q");
    ZX(":4\r\n", "SADD", "ints", "1", "2", "3", "10");
    ZX(":600\r\n", "SADD", "bigset", "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
       "m9", "m10", "m11", "m12", "m13", "m14", "m15", "m16", "m17", "m18", "m19", "m20",
       "m21", "m22", "m23", "m24", "m25", "m26", "m27", "m28", "m29", "m30", "m31", "m32",
       "m33", "m34", "m35", "m36", "m37", "m38", "m39", "m40", "m41", "m42", "m43", "m44",
       "m45", "m46", "m47", "m48", "m49", "m50", "m51", "m52", "m53", "m54", "m55", "m56",
       "m57", "m58", "m59", "m60", "m61", "m62", "m63", "m64", "m65", "m66", "m67", "m68",
       "m69", "m70", "m71", "m72", "m73", "m74", "m75", "m76", "m77", "m78", "m79", "m80",
       "m81", "m82", "m83", "m84", "m85", "m86", "m87", "m88", "m89", "m90", "m91", "m92",
       "m93", "m94", "m95", "m96", "m97", "m98", "m99", "m100", "m101", "m102", "m103",
       "m104", "m105", "m106", "m107", "m108", "m109", "m110", "m111", "m112", "m113",
       "m114", "m115", "m116", "m117", "m118", "m119", "m120", "m121", "m122", "m123",
       "m124", "m125", "m126", "m127", "m128", "m129", "m130", "m131", "m132", "m133",
       "m134", "m135", "m136", "m137", "m138", "m139", "m140", "m141", "m142", "m143",
       "m144", "m145", "m146", "m147", "m148", "m149", "m150", "m151", "m152", "m153",
       "m154", "m155", "m156", "m157", "m158", "m159", "m160", "m161", "m162", "m163",
       "m164", "m165", "m166", "m167", "m168", "m169", "m170", "m171", "m172", "m173",
       "m174", "m175", "m176", "m177", "m178", "m179", "m180", "m181", "m182", "m183",
       "m184", "m185", "m186", "m187", "m188", "m189", "m190", "m191", "m192", "m193",
       "m194", "m195", "m196", "m197", "m198", "m199", "m200", "m201", "m202", "m203",
       "m204", "m205", "m206", "m207", "m208", "m209", "m210", "m211", "m212", "m213",
       "m214", "m215", "m216", "m217", "m218", "m219", "m220", "m221", "m222", "m223",
       "m224", "m225", "m226", "m227", "m228", "m229", "m230", "m231", "m232", "m233",
       "m234", "m235", "m236", "m237", "m238", "m239", "m240", "m241", "m242", "m243",
       "m244", "m245", "m246", "m247", "m248", "m249", "m250", "m251", "m252", "m253",
       "m254", "m255", "m256", "m257", "m258", "m259", "m260", "m261", "m262", "m263",
       "m264", "m265", "m266", "m267", "m268", "m269", "m270", "m271", "m272", "m273",
       "m274", "m275", "m276", "m277", "m278", "m279", "m280", "m281", "m282", "m283",
       "m284", "m285", "m286", "m287", "m288", "m289", "m290", "m291", "m292", "m293",
       "m294", "m295", "m296", "m297", "m298", "m299", "m300", "m301", "m302", "m303",
       "m304", "m305", "m306", "m307", "m308", "m309", "m310", "m311", "m312", "m313",
       "m314", "m315", "m316", "m317", "m318", "m319", "m320", "m321", "m322", "m323",
       "m324", "m325", "m326", "m327", "m328", "m329", "m330", "m331", "m332", "m333",
       "m334", "m335", "m336", "m337", "m338", "m339", "m340", "m341", "m342", "m343",
       "m344", "m345", "m346", "m347", "m348", "m349", "m350", "m351", "m352", "m353",
       "m354", "m355", "m356", "m357", "m358", "m359", "m360", "m361", "m362", "m363",
       "m364", "m365", "m366", "m367", "m368", "m369", "m370", "m371", "m372", "m373",
       "m374", "m375", "m376", "m377", "m378", "m379", "m380", "m381", "m382", "m383",
       "m384", "m385", "m386", "m387", "m388", "m389", "m390", "m391", "m392", "m393",
       "m394", "m395", "m396", "m397", "m398", "m399", "m400", "m401", "m402", "m403",
       "m404", "m405", "m406", "m407", "m408", "m409", "m410", "m411", "m412", "m413",
       "m414", "m415", "m416", "m417", "m418", "m419", "m420", "m421", "m422", "m423",
       "m424", "m425", "m426", "m427", "m428", "m429", "m430", "m431", "m432", "m433",
       "m434", "m435", "m436", "m437", "m438", "m439", "m440", "m441", "m442", "m443",
       "m444", "m445", "m446", "m447", "m448", "m449", "m450", "m451", "m452", "m453",
       "m454", "m455", "m456", "m457", "m458", "m459", "m460", "m461", "m462", "m463",
       "m464", "m465", "m466", "m467", "m468", "m469", "m470", "m471", "m472", "m473",
       "m474", "m475", "m476", "m477", "m478", "m479", "m480", "m481", "m482", "m483",
       "m484", "m485", "m486", "m487", "m488", "m489", "m490", "m491", "m492", "m493",
       "m494", "m495", "m496", "m497", "m498", "m499", "m500", "m501", "m502", "m503",
       "m504", "m505", "m506", "m507", "m508", "m509", "m510", "m511", "m512", "m513",
       "m514", "m515", "m516", "m517", "m518", "m519", "m520", "m521", "m522", "m523",
       "m524", "m525", "m526", "m527", "m528", "m529", "m530", "m531", "m532", "m533",
       "m534", "m535", "m536", "m537", "m538", "m539", "m540", "m541", "m542", "m543",
       "m544", "m545", "m546", "m547", "m548", "m549", "m550", "m551", "m552", "m553",
       "m554", "m555", "m556", "m557", "m558", "m559", "m560", "m561", "m562", "m563",
       "m564", "m565", "m566", "m567", "m568", "m569", "m570", "m571", "m572", "m573",
       "m574", "m575", "m576", "m577", "m578", "m579", "m580", "m581", "m582", "m583",
       "m584", "m585", "m586", "m587", "m588", "m589", "m590", "m591", "m592", "m593",
       "m594", "m595", "m596", "m597", "m598", "m599");
    ZX(":4\r\n", "ZADD", "a", "5", "x", "2", "y", "3", "1", "4", "m5");
    ZX("*10\r\n$1\r\nq\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n$2\r\n"
       "m5\r\n$1\r\n4\r\n$1\r\nx\r\n$1\r\n6\r\n",
       "ZUNION", "2", "a", "s", "WITHSCORES");
    ZX("*2\r\n$1\r\nx\r\n$1\r\n8\r\n", "ZINTER", "2", "s", "a", "WEIGHTS", "3", "1",
       "WITHSCORES");
    ZX("*1\r\n$1\r\nq\r\n", "ZDIFF", "2", "s", "a");
    ZX("*6\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n$2\r\nm5\r\n$1\r\n4\r\n",
       "ZDIFF", "2", "a", "s", "WITHSCORES");
    ZX(":1\r\n", "ZINTERCARD", "2", "a", "s");
    ZX("*16\r\n$2\r\n10\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n"
       "q\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n4\r\n$2\r\nm5\r\n$1\r\n"
       "4\r\n$1\r\nx\r\n$1\r\n6\r\n",
       "ZUNION", "3", "a", "ints", "s", "WITHSCORES");
    ZX("*2\r\n$1\r\n1\r\n$1\r\n4\r\n", "ZINTER", "2", "ints", "a", "WITHSCORES");
    ZX(":2\r\n", "ZUNIONSTORE", "d", "1", "s");
    ZX("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d");
    ZX("*4\r\n$1\r\nq\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n1\r\n", "ZRANGE", "d", "0", "-1",
       "WITHSCORES");
    ZX(":1\r\n", "ZINTERSTORE", "d", "2", "bigset", "a", "AGGREGATE", "MAX");
    ZX("*2\r\n$2\r\nm5\r\n$1\r\n4\r\n", "ZRANGE", "d", "0", "-1", "WITHSCORES");
    ZX(":603\r\n", "ZUNIONSTORE", "d", "2", "bigset", "a");
    ZX("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "d");
    ZX(":603\r\n", "ZCARD", "d");
    ZX("$1\r\n5\r\n", "ZSCORE", "d", "m5");
    ZX(":7\r\n", "ZINTERCARD", "2", "bigset", "bigset", "LIMIT", "7");
    ZX("*1198\r\n$2\r\nm0\r\n$1\r\n1\r\n$2\r\nm1\r\n$1\r\n1\r\n$3\r\nm10\r\n$1\r\n1\r\n"
       "$4\r\nm100\r\n$1\r\n1\r\n$4\r\nm101\r\n$1\r\n1\r\n$4\r\nm102\r\n$1\r\n1\r\n$4\r\n"
       "m103\r\n$1\r\n1\r\n$4\r\nm104\r\n$1\r\n1\r\n$4\r\nm105\r\n$1\r\n1\r\n$4\r\n"
       "m106\r\n$1\r\n1\r\n$4\r\nm107\r\n$1\r\n1\r\n$4\r\nm108\r\n$1\r\n1\r\n$4\r\n"
       "m109\r\n$1\r\n1\r\n$3\r\nm11\r\n$1\r\n1\r\n$4\r\nm110\r\n$1\r\n1\r\n$4\r\n"
       "m111\r\n$1\r\n1\r\n$4\r\nm112\r\n$1\r\n1\r\n$4\r\nm113\r\n$1\r\n1\r\n$4\r\n"
       "m114\r\n$1\r\n1\r\n$4\r\nm115\r\n$1\r\n1\r\n$4\r\nm116\r\n$1\r\n1\r\n$4\r\n"
       "m117\r\n$1\r\n1\r\n$4\r\nm118\r\n$1\r\n1\r\n$4\r\nm119\r\n$1\r\n1\r\n$3\r\n"
       "m12\r\n$1\r\n1\r\n$4\r\nm120\r\n$1\r\n1\r\n$4\r\nm121\r\n$1\r\n1\r\n$4\r\n"
       "m122\r\n$1\r\n1\r\n$4\r\nm123\r\n$1\r\n1\r\n$4\r\nm124\r\n$1\r\n1\r\n$4\r\n"
       "m125\r\n$1\r\n1\r\n$4\r\nm126\r\n$1\r\n1\r\n$4\r\nm127\r\n$1\r\n1\r\n$4\r\n"
       "m128\r\n$1\r\n1\r\n$4\r\nm129\r\n$1\r\n1\r\n$3\r\nm13\r\n$1\r\n1\r\n$4\r\n"
       "m130\r\n$1\r\n1\r\n$4\r\nm131\r\n$1\r\n1\r\n$4\r\nm132\r\n$1\r\n1\r\n$4\r\n"
       "m133\r\n$1\r\n1\r\n$4\r\nm134\r\n$1\r\n1\r\n$4\r\nm135\r\n$1\r\n1\r\n$4\r\n"
       "m136\r\n$1\r\n1\r\n$4\r\nm137\r\n$1\r\n1\r\n$4\r\nm138\r\n$1\r\n1\r\n$4\r\n"
       "m139\r\n$1\r\n1\r\n$3\r\nm14\r\n$1\r\n1\r\n$4\r\nm140\r\n$1\r\n1\r\n$4\r\n"
       "m141\r\n$1\r\n1\r\n$4\r\nm142\r\n$1\r\n1\r\n$4\r\nm143\r\n$1\r\n1\r\n$4\r\n"
       "m144\r\n$1\r\n1\r\n$4\r\nm145\r\n$1\r\n1\r\n$4\r\nm146\r\n$1\r\n1\r\n$4\r\n"
       "m147\r\n$1\r\n1\r\n$4\r\nm148\r\n$1\r\n1\r\n$4\r\nm149\r\n$1\r\n1\r\n$3\r\n"
       "m15\r\n$1\r\n1\r\n$4\r\nm150\r\n$1\r\n1\r\n$4\r\nm151\r\n$1\r\n1\r\n$4\r\n"
       "m152\r\n$1\r\n1\r\n$4\r\nm153\r\n$1\r\n1\r\n$4\r\nm154\r\n$1\r\n1\r\n$4\r\n"
       "m155\r\n$1\r\n1\r\n$4\r\nm156\r\n$1\r\n1\r\n$4\r\nm157\r\n$1\r\n1\r\n$4\r\n"
       "m158\r\n$1\r\n1\r\n$4\r\nm159\r\n$1\r\n1\r\n$3\r\nm16\r\n$1\r\n1\r\n$4\r\n"
       "m160\r\n$1\r\n1\r\n$4\r\nm161\r\n$1\r\n1\r\n$4\r\nm162\r\n$1\r\n1\r\n$4\r\n"
       "m163\r\n$1\r\n1\r\n$4\r\nm164\r\n$1\r\n1\r\n$4\r\nm165\r\n$1\r\n1\r\n$4\r\n"
       "m166\r\n$1\r\n1\r\n$4\r\nm167\r\n$1\r\n1\r\n$4\r\nm168\r\n$1\r\n1\r\n$4\r\n"
       "m169\r\n$1\r\n1\r\n$3\r\nm17\r\n$1\r\n1\r\n$4\r\nm170\r\n$1\r\n1\r\n$4\r\n"
       "m171\r\n$1\r\n1\r\n$4\r\nm172\r\n$1\r\n1\r\n$4\r\nm173\r\n$1\r\n1\r\n$4\r\n"
       "m174\r\n$1\r\n1\r\n$4\r\nm175\r\n$1\r\n1\r\n$4\r\nm176\r\n$1\r\n1\r\n$4\r\n"
       "m177\r\n$1\r\n1\r\n$4\r\nm178\r\n$1\r\n1\r\n$4\r\nm179\r\n$1\r\n1\r\n$3\r\n"
       "m18\r\n$1\r\n1\r\n$4\r\nm180\r\n$1\r\n1\r\n$4\r\nm181\r\n$1\r\n1\r\n$4\r\n"
       "m182\r\n$1\r\n1\r\n$4\r\nm183\r\n$1\r\n1\r\n$4\r\nm184\r\n$1\r\n1\r\n$4\r\n"
       "m185\r\n$1\r\n1\r\n$4\r\nm186\r\n$1\r\n1\r\n$4\r\nm187\r\n$1\r\n1\r\n$4\r\n"
       "m188\r\n$1\r\n1\r\n$4\r\nm189\r\n$1\r\n1\r\n$3\r\nm19\r\n$1\r\n1\r\n$4\r\n"
       "m190\r\n$1\r\n1\r\n$4\r\nm191\r\n$1\r\n1\r\n$4\r\nm192\r\n$1\r\n1\r\n$4\r\n"
       "m193\r\n$1\r\n1\r\n$4\r\nm194\r\n$1\r\n1\r\n$4\r\nm195\r\n$1\r\n1\r\n$4\r\n"
       "m196\r\n$1\r\n1\r\n$4\r\nm197\r\n$1\r\n1\r\n$4\r\nm198\r\n$1\r\n1\r\n$4\r\n"
       "m199\r\n$1\r\n1\r\n$2\r\nm2\r\n$1\r\n1\r\n$3\r\nm20\r\n$1\r\n1\r\n$4\r\nm200\r\n"
       "$1\r\n1\r\n$4\r\nm201\r\n$1\r\n1\r\n$4\r\nm202\r\n$1\r\n1\r\n$4\r\nm203\r\n$1\r\n"
       "1\r\n$4\r\nm204\r\n$1\r\n1\r\n$4\r\nm205\r\n$1\r\n1\r\n$4\r\nm206\r\n$1\r\n1\r\n"
       "$4\r\nm207\r\n$1\r\n1\r\n$4\r\nm208\r\n$1\r\n1\r\n$4\r\nm209\r\n$1\r\n1\r\n$3\r\n"
       "m21\r\n$1\r\n1\r\n$4\r\nm210\r\n$1\r\n1\r\n$4\r\nm211\r\n$1\r\n1\r\n$4\r\n"
       "m212\r\n$1\r\n1\r\n$4\r\nm213\r\n$1\r\n1\r\n$4\r\nm214\r\n$1\r\n1\r\n$4\r\n"
       "m215\r\n$1\r\n1\r\n$4\r\nm216\r\n$1\r\n1\r\n$4\r\nm217\r\n$1\r\n1\r\n$4\r\n"
       "m218\r\n$1\r\n1\r\n$4\r\nm219\r\n$1\r\n1\r\n$3\r\nm22\r\n$1\r\n1\r\n$4\r\n"
       "m220\r\n$1\r\n1\r\n$4\r\nm221\r\n$1\r\n1\r\n$4\r\nm222\r\n$1\r\n1\r\n$4\r\n"
       "m223\r\n$1\r\n1\r\n$4\r\nm224\r\n$1\r\n1\r\n$4\r\nm225\r\n$1\r\n1\r\n$4\r\n"
       "m226\r\n$1\r\n1\r\n$4\r\nm227\r\n$1\r\n1\r\n$4\r\nm228\r\n$1\r\n1\r\n$4\r\n"
       "m229\r\n$1\r\n1\r\n$3\r\nm23\r\n$1\r\n1\r\n$4\r\nm230\r\n$1\r\n1\r\n$4\r\n"
       "m231\r\n$1\r\n1\r\n$4\r\nm232\r\n$1\r\n1\r\n$4\r\nm233\r\n$1\r\n1\r\n$4\r\n"
       "m234\r\n$1\r\n1\r\n$4\r\nm235\r\n$1\r\n1\r\n$4\r\nm236\r\n$1\r\n1\r\n$4\r\n"
       "m237\r\n$1\r\n1\r\n$4\r\nm238\r\n$1\r\n1\r\n$4\r\nm239\r\n$1\r\n1\r\n$3\r\n"
       "m24\r\n$1\r\n1\r\n$4\r\nm240\r\n$1\r\n1\r\n$4\r\nm241\r\n$1\r\n1\r\n$4\r\n"
       "m242\r\n$1\r\n1\r\n$4\r\nm243\r\n$1\r\n1\r\n$4\r\nm244\r\n$1\r\n1\r\n$4\r\n"
       "m245\r\n$1\r\n1\r\n$4\r\nm246\r\n$1\r\n1\r\n$4\r\nm247\r\n$1\r\n1\r\n$4\r\n"
       "m248\r\n$1\r\n1\r\n$4\r\nm249\r\n$1\r\n1\r\n$3\r\nm25\r\n$1\r\n1\r\n$4\r\n"
       "m250\r\n$1\r\n1\r\n$4\r\nm251\r\n$1\r\n1\r\n$4\r\nm252\r\n$1\r\n1\r\n$4\r\n"
       "m253\r\n$1\r\n1\r\n$4\r\nm254\r\n$1\r\n1\r\n$4\r\nm255\r\n$1\r\n1\r\n$4\r\n"
       "m256\r\n$1\r\n1\r\n$4\r\nm257\r\n$1\r\n1\r\n$4\r\nm258\r\n$1\r\n1\r\n$4\r\n"
       "m259\r\n$1\r\n1\r\n$3\r\nm26\r\n$1\r\n1\r\n$4\r\nm260\r\n$1\r\n1\r\n$4\r\n"
       "m261\r\n$1\r\n1\r\n$4\r\nm262\r\n$1\r\n1\r\n$4\r\nm263\r\n$1\r\n1\r\n$4\r\n"
       "m264\r\n$1\r\n1\r\n$4\r\nm265\r\n$1\r\n1\r\n$4\r\nm266\r\n$1\r\n1\r\n$4\r\n"
       "m267\r\n$1\r\n1\r\n$4\r\nm268\r\n$1\r\n1\r\n$4\r\nm269\r\n$1\r\n1\r\n$3\r\n"
       "m27\r\n$1\r\n1\r\n$4\r\nm270\r\n$1\r\n1\r\n$4\r\nm271\r\n$1\r\n1\r\n$4\r\n"
       "m272\r\n$1\r\n1\r\n$4\r\nm273\r\n$1\r\n1\r\n$4\r\nm274\r\n$1\r\n1\r\n$4\r\n"
       "m275\r\n$1\r\n1\r\n$4\r\nm276\r\n$1\r\n1\r\n$4\r\nm277\r\n$1\r\n1\r\n$4\r\n"
       "m278\r\n$1\r\n1\r\n$4\r\nm279\r\n$1\r\n1\r\n$3\r\nm28\r\n$1\r\n1\r\n$4\r\n"
       "m280\r\n$1\r\n1\r\n$4\r\nm281\r\n$1\r\n1\r\n$4\r\nm282\r\n$1\r\n1\r\n$4\r\n"
       "m283\r\n$1\r\n1\r\n$4\r\nm284\r\n$1\r\n1\r\n$4\r\nm285\r\n$1\r\n1\r\n$4\r\n"
       "m286\r\n$1\r\n1\r\n$4\r\nm287\r\n$1\r\n1\r\n$4\r\nm288\r\n$1\r\n1\r\n$4\r\n"
       "m289\r\n$1\r\n1\r\n$3\r\nm29\r\n$1\r\n1\r\n$4\r\nm290\r\n$1\r\n1\r\n$4\r\n"
       "m291\r\n$1\r\n1\r\n$4\r\nm292\r\n$1\r\n1\r\n$4\r\nm293\r\n$1\r\n1\r\n$4\r\n"
       "m294\r\n$1\r\n1\r\n$4\r\nm295\r\n$1\r\n1\r\n$4\r\nm296\r\n$1\r\n1\r\n$4\r\n"
       "m297\r\n$1\r\n1\r\n$4\r\nm298\r\n$1\r\n1\r\n$4\r\nm299\r\n$1\r\n1\r\n$2\r\nm3\r\n"
       "$1\r\n1\r\n$3\r\nm30\r\n$1\r\n1\r\n$4\r\nm300\r\n$1\r\n1\r\n$4\r\nm301\r\n$1\r\n"
       "1\r\n$4\r\nm302\r\n$1\r\n1\r\n$4\r\nm303\r\n$1\r\n1\r\n$4\r\nm304\r\n$1\r\n1\r\n"
       "$4\r\nm305\r\n$1\r\n1\r\n$4\r\nm306\r\n$1\r\n1\r\n$4\r\nm307\r\n$1\r\n1\r\n$4\r\n"
       "m308\r\n$1\r\n1\r\n$4\r\nm309\r\n$1\r\n1\r\n$3\r\nm31\r\n$1\r\n1\r\n$4\r\n"
       "m310\r\n$1\r\n1\r\n$4\r\nm311\r\n$1\r\n1\r\n$4\r\nm312\r\n$1\r\n1\r\n$4\r\n"
       "m313\r\n$1\r\n1\r\n$4\r\nm314\r\n$1\r\n1\r\n$4\r\nm315\r\n$1\r\n1\r\n$4\r\n"
       "m316\r\n$1\r\n1\r\n$4\r\nm317\r\n$1\r\n1\r\n$4\r\nm318\r\n$1\r\n1\r\n$4\r\n"
       "m319\r\n$1\r\n1\r\n$3\r\nm32\r\n$1\r\n1\r\n$4\r\nm320\r\n$1\r\n1\r\n$4\r\n"
       "m321\r\n$1\r\n1\r\n$4\r\nm322\r\n$1\r\n1\r\n$4\r\nm323\r\n$1\r\n1\r\n$4\r\n"
       "m324\r\n$1\r\n1\r\n$4\r\nm325\r\n$1\r\n1\r\n$4\r\nm326\r\n$1\r\n1\r\n$4\r\n"
       "m327\r\n$1\r\n1\r\n$4\r\nm328\r\n$1\r\n1\r\n$4\r\nm329\r\n$1\r\n1\r\n$3\r\n"
       "m33\r\n$1\r\n1\r\n$4\r\nm330\r\n$1\r\n1\r\n$4\r\nm331\r\n$1\r\n1\r\n$4\r\n"
       "m332\r\n$1\r\n1\r\n$4\r\nm333\r\n$1\r\n1\r\n$4\r\nm334\r\n$1\r\n1\r\n$4\r\n"
       "m335\r\n$1\r\n1\r\n$4\r\nm336\r\n$1\r\n1\r\n$4\r\nm337\r\n$1\r\n1\r\n$4\r\n"
       "m338\r\n$1\r\n1\r\n$4\r\nm339\r\n$1\r\n1\r\n$3\r\nm34\r\n$1\r\n1\r\n$4\r\n"
       "m340\r\n$1\r\n1\r\n$4\r\nm341\r\n$1\r\n1\r\n$4\r\nm342\r\n$1\r\n1\r\n$4\r\n"
       "m343\r\n$1\r\n1\r\n$4\r\nm344\r\n$1\r\n1\r\n$4\r\nm345\r\n$1\r\n1\r\n$4\r\n"
       "m346\r\n$1\r\n1\r\n$4\r\nm347\r\n$1\r\n1\r\n$4\r\nm348\r\n$1\r\n1\r\n$4\r\n"
       "m349\r\n$1\r\n1\r\n$3\r\nm35\r\n$1\r\n1\r\n$4\r\nm350\r\n$1\r\n1\r\n$4\r\n"
       "m351\r\n$1\r\n1\r\n$4\r\nm352\r\n$1\r\n1\r\n$4\r\nm353\r\n$1\r\n1\r\n$4\r\n"
       "m354\r\n$1\r\n1\r\n$4\r\nm355\r\n$1\r\n1\r\n$4\r\nm356\r\n$1\r\n1\r\n$4\r\n"
       "m357\r\n$1\r\n1\r\n$4\r\nm358\r\n$1\r\n1\r\n$4\r\nm359\r\n$1\r\n1\r\n$3\r\n"
       "m36\r\n$1\r\n1\r\n$4\r\nm360\r\n$1\r\n1\r\n$4\r\nm361\r\n$1\r\n1\r\n$4\r\n"
       "m362\r\n$1\r\n1\r\n$4\r\nm363\r\n$1\r\n1\r\n$4\r\nm364\r\n$1\r\n1\r\n$4\r\n"
       "m365\r\n$1\r\n1\r\n$4\r\nm366\r\n$1\r\n1\r\n$4\r\nm367\r\n$1\r\n1\r\n$4\r\n"
       "m368\r\n$1\r\n1\r\n$4\r\nm369\r\n$1\r\n1\r\n$3\r\nm37\r\n$1\r\n1\r\n$4\r\n"
       "m370\r\n$1\r\n1\r\n$4\r\nm371\r\n$1\r\n1\r\n$4\r\nm372\r\n$1\r\n1\r\n$4\r\n"
       "m373\r\n$1\r\n1\r\n$4\r\nm374\r\n$1\r\n1\r\n$4\r\nm375\r\n$1\r\n1\r\n$4\r\n"
       "m376\r\n$1\r\n1\r\n$4\r\nm377\r\n$1\r\n1\r\n$4\r\nm378\r\n$1\r\n1\r\n$4\r\n"
       "m379\r\n$1\r\n1\r\n$3\r\nm38\r\n$1\r\n1\r\n$4\r\nm380\r\n$1\r\n1\r\n$4\r\n"
       "m381\r\n$1\r\n1\r\n$4\r\nm382\r\n$1\r\n1\r\n$4\r\nm383\r\n$1\r\n1\r\n$4\r\n"
       "m384\r\n$1\r\n1\r\n$4\r\nm385\r\n$1\r\n1\r\n$4\r\nm386\r\n$1\r\n1\r\n$4\r\n"
       "m387\r\n$1\r\n1\r\n$4\r\nm388\r\n$1\r\n1\r\n$4\r\nm389\r\n$1\r\n1\r\n$3\r\n"
       "m39\r\n$1\r\n1\r\n$4\r\nm390\r\n$1\r\n1\r\n$4\r\nm391\r\n$1\r\n1\r\n$4\r\n"
       "m392\r\n$1\r\n1\r\n$4\r\nm393\r\n$1\r\n1\r\n$4\r\nm394\r\n$1\r\n1\r\n$4\r\n"
       "m395\r\n$1\r\n1\r\n$4\r\nm396\r\n$1\r\n1\r\n$4\r\nm397\r\n$1\r\n1\r\n$4\r\n"
       "m398\r\n$1\r\n1\r\n$4\r\nm399\r\n$1\r\n1\r\n$2\r\nm4\r\n$1\r\n1\r\n$3\r\nm40\r\n"
       "$1\r\n1\r\n$4\r\nm400\r\n$1\r\n1\r\n$4\r\nm401\r\n$1\r\n1\r\n$4\r\nm402\r\n$1\r\n"
       "1\r\n$4\r\nm403\r\n$1\r\n1\r\n$4\r\nm404\r\n$1\r\n1\r\n$4\r\nm405\r\n$1\r\n1\r\n"
       "$4\r\nm406\r\n$1\r\n1\r\n$4\r\nm407\r\n$1\r\n1\r\n$4\r\nm408\r\n$1\r\n1\r\n$4\r\n"
       "m409\r\n$1\r\n1\r\n$3\r\nm41\r\n$1\r\n1\r\n$4\r\nm410\r\n$1\r\n1\r\n$4\r\n"
       "m411\r\n$1\r\n1\r\n$4\r\nm412\r\n$1\r\n1\r\n$4\r\nm413\r\n$1\r\n1\r\n$4\r\n"
       "m414\r\n$1\r\n1\r\n$4\r\nm415\r\n$1\r\n1\r\n$4\r\nm416\r\n$1\r\n1\r\n$4\r\n"
       "m417\r\n$1\r\n1\r\n$4\r\nm418\r\n$1\r\n1\r\n$4\r\nm419\r\n$1\r\n1\r\n$3\r\n"
       "m42\r\n$1\r\n1\r\n$4\r\nm420\r\n$1\r\n1\r\n$4\r\nm421\r\n$1\r\n1\r\n$4\r\n"
       "m422\r\n$1\r\n1\r\n$4\r\nm423\r\n$1\r\n1\r\n$4\r\nm424\r\n$1\r\n1\r\n$4\r\n"
       "m425\r\n$1\r\n1\r\n$4\r\nm426\r\n$1\r\n1\r\n$4\r\nm427\r\n$1\r\n1\r\n$4\r\n"
       "m428\r\n$1\r\n1\r\n$4\r\nm429\r\n$1\r\n1\r\n$3\r\nm43\r\n$1\r\n1\r\n$4\r\n"
       "m430\r\n$1\r\n1\r\n$4\r\nm431\r\n$1\r\n1\r\n$4\r\nm432\r\n$1\r\n1\r\n$4\r\n"
       "m433\r\n$1\r\n1\r\n$4\r\nm434\r\n$1\r\n1\r\n$4\r\nm435\r\n$1\r\n1\r\n$4\r\n"
       "m436\r\n$1\r\n1\r\n$4\r\nm437\r\n$1\r\n1\r\n$4\r\nm438\r\n$1\r\n1\r\n$4\r\n"
       "m439\r\n$1\r\n1\r\n$3\r\nm44\r\n$1\r\n1\r\n$4\r\nm440\r\n$1\r\n1\r\n$4\r\n"
       "m441\r\n$1\r\n1\r\n$4\r\nm442\r\n$1\r\n1\r\n$4\r\nm443\r\n$1\r\n1\r\n$4\r\n"
       "m444\r\n$1\r\n1\r\n$4\r\nm445\r\n$1\r\n1\r\n$4\r\nm446\r\n$1\r\n1\r\n$4\r\n"
       "m447\r\n$1\r\n1\r\n$4\r\nm448\r\n$1\r\n1\r\n$4\r\nm449\r\n$1\r\n1\r\n$3\r\n"
       "m45\r\n$1\r\n1\r\n$4\r\nm450\r\n$1\r\n1\r\n$4\r\nm451\r\n$1\r\n1\r\n$4\r\n"
       "m452\r\n$1\r\n1\r\n$4\r\nm453\r\n$1\r\n1\r\n$4\r\nm454\r\n$1\r\n1\r\n$4\r\n"
       "m455\r\n$1\r\n1\r\n$4\r\nm456\r\n$1\r\n1\r\n$4\r\nm457\r\n$1\r\n1\r\n$4\r\n"
       "m458\r\n$1\r\n1\r\n$4\r\nm459\r\n$1\r\n1\r\n$3\r\nm46\r\n$1\r\n1\r\n$4\r\n"
       "m460\r\n$1\r\n1\r\n$4\r\nm461\r\n$1\r\n1\r\n$4\r\nm462\r\n$1\r\n1\r\n$4\r\n"
       "m463\r\n$1\r\n1\r\n$4\r\nm464\r\n$1\r\n1\r\n$4\r\nm465\r\n$1\r\n1\r\n$4\r\n"
       "m466\r\n$1\r\n1\r\n$4\r\nm467\r\n$1\r\n1\r\n$4\r\nm468\r\n$1\r\n1\r\n$4\r\n"
       "m469\r\n$1\r\n1\r\n$3\r\nm47\r\n$1\r\n1\r\n$4\r\nm470\r\n$1\r\n1\r\n$4\r\n"
       "m471\r\n$1\r\n1\r\n$4\r\nm472\r\n$1\r\n1\r\n$4\r\nm473\r\n$1\r\n1\r\n$4\r\n"
       "m474\r\n$1\r\n1\r\n$4\r\nm475\r\n$1\r\n1\r\n$4\r\nm476\r\n$1\r\n1\r\n$4\r\n"
       "m477\r\n$1\r\n1\r\n$4\r\nm478\r\n$1\r\n1\r\n$4\r\nm479\r\n$1\r\n1\r\n$3\r\n"
       "m48\r\n$1\r\n1\r\n$4\r\nm480\r\n$1\r\n1\r\n$4\r\nm481\r\n$1\r\n1\r\n$4\r\n"
       "m482\r\n$1\r\n1\r\n$4\r\nm483\r\n$1\r\n1\r\n$4\r\nm484\r\n$1\r\n1\r\n$4\r\n"
       "m485\r\n$1\r\n1\r\n$4\r\nm486\r\n$1\r\n1\r\n$4\r\nm487\r\n$1\r\n1\r\n$4\r\n"
       "m488\r\n$1\r\n1\r\n$4\r\nm489\r\n$1\r\n1\r\n$3\r\nm49\r\n$1\r\n1\r\n$4\r\n"
       "m490\r\n$1\r\n1\r\n$4\r\nm491\r\n$1\r\n1\r\n$4\r\nm492\r\n$1\r\n1\r\n$4\r\n"
       "m493\r\n$1\r\n1\r\n$4\r\nm494\r\n$1\r\n1\r\n$4\r\nm495\r\n$1\r\n1\r\n$4\r\n"
       "m496\r\n$1\r\n1\r\n$4\r\nm497\r\n$1\r\n1\r\n$4\r\nm498\r\n$1\r\n1\r\n$4\r\n"
       "m499\r\n$1\r\n1\r\n$3\r\nm50\r\n$1\r\n1\r\n$4\r\nm500\r\n$1\r\n1\r\n$4\r\n"
       "m501\r\n$1\r\n1\r\n$4\r\nm502\r\n$1\r\n1\r\n$4\r\nm503\r\n$1\r\n1\r\n$4\r\n"
       "m504\r\n$1\r\n1\r\n$4\r\nm505\r\n$1\r\n1\r\n$4\r\nm506\r\n$1\r\n1\r\n$4\r\n"
       "m507\r\n$1\r\n1\r\n$4\r\nm508\r\n$1\r\n1\r\n$4\r\nm509\r\n$1\r\n1\r\n$3\r\n"
       "m51\r\n$1\r\n1\r\n$4\r\nm510\r\n$1\r\n1\r\n$4\r\nm511\r\n$1\r\n1\r\n$4\r\n"
       "m512\r\n$1\r\n1\r\n$4\r\nm513\r\n$1\r\n1\r\n$4\r\nm514\r\n$1\r\n1\r\n$4\r\n"
       "m515\r\n$1\r\n1\r\n$4\r\nm516\r\n$1\r\n1\r\n$4\r\nm517\r\n$1\r\n1\r\n$4\r\n"
       "m518\r\n$1\r\n1\r\n$4\r\nm519\r\n$1\r\n1\r\n$3\r\nm52\r\n$1\r\n1\r\n$4\r\n"
       "m520\r\n$1\r\n1\r\n$4\r\nm521\r\n$1\r\n1\r\n$4\r\nm522\r\n$1\r\n1\r\n$4\r\n"
       "m523\r\n$1\r\n1\r\n$4\r\nm524\r\n$1\r\n1\r\n$4\r\nm525\r\n$1\r\n1\r\n$4\r\n"
       "m526\r\n$1\r\n1\r\n$4\r\nm527\r\n$1\r\n1\r\n$4\r\nm528\r\n$1\r\n1\r\n$4\r\n"
       "m529\r\n$1\r\n1\r\n$3\r\nm53\r\n$1\r\n1\r\n$4\r\nm530\r\n$1\r\n1\r\n$4\r\n"
       "m531\r\n$1\r\n1\r\n$4\r\nm532\r\n$1\r\n1\r\n$4\r\nm533\r\n$1\r\n1\r\n$4\r\n"
       "m534\r\n$1\r\n1\r\n$4\r\nm535\r\n$1\r\n1\r\n$4\r\nm536\r\n$1\r\n1\r\n$4\r\n"
       "m537\r\n$1\r\n1\r\n$4\r\nm538\r\n$1\r\n1\r\n$4\r\nm539\r\n$1\r\n1\r\n$3\r\n"
       "m54\r\n$1\r\n1\r\n$4\r\nm540\r\n$1\r\n1\r\n$4\r\nm541\r\n$1\r\n1\r\n$4\r\n"
       "m542\r\n$1\r\n1\r\n$4\r\nm543\r\n$1\r\n1\r\n$4\r\nm544\r\n$1\r\n1\r\n$4\r\n"
       "m545\r\n$1\r\n1\r\n$4\r\nm546\r\n$1\r\n1\r\n$4\r\nm547\r\n$1\r\n1\r\n$4\r\n"
       "m548\r\n$1\r\n1\r\n$4\r\nm549\r\n$1\r\n1\r\n$3\r\nm55\r\n$1\r\n1\r\n$4\r\n"
       "m550\r\n$1\r\n1\r\n$4\r\nm551\r\n$1\r\n1\r\n$4\r\nm552\r\n$1\r\n1\r\n$4\r\n"
       "m553\r\n$1\r\n1\r\n$4\r\nm554\r\n$1\r\n1\r\n$4\r\nm555\r\n$1\r\n1\r\n$4\r\n"
       "m556\r\n$1\r\n1\r\n$4\r\nm557\r\n$1\r\n1\r\n$4\r\nm558\r\n$1\r\n1\r\n$4\r\n"
       "m559\r\n$1\r\n1\r\n$3\r\nm56\r\n$1\r\n1\r\n$4\r\nm560\r\n$1\r\n1\r\n$4\r\n"
       "m561\r\n$1\r\n1\r\n$4\r\nm562\r\n$1\r\n1\r\n$4\r\nm563\r\n$1\r\n1\r\n$4\r\n"
       "m564\r\n$1\r\n1\r\n$4\r\nm565\r\n$1\r\n1\r\n$4\r\nm566\r\n$1\r\n1\r\n$4\r\n"
       "m567\r\n$1\r\n1\r\n$4\r\nm568\r\n$1\r\n1\r\n$4\r\nm569\r\n$1\r\n1\r\n$3\r\n"
       "m57\r\n$1\r\n1\r\n$4\r\nm570\r\n$1\r\n1\r\n$4\r\nm571\r\n$1\r\n1\r\n$4\r\n"
       "m572\r\n$1\r\n1\r\n$4\r\nm573\r\n$1\r\n1\r\n$4\r\nm574\r\n$1\r\n1\r\n$4\r\n"
       "m575\r\n$1\r\n1\r\n$4\r\nm576\r\n$1\r\n1\r\n$4\r\nm577\r\n$1\r\n1\r\n$4\r\n"
       "m578\r\n$1\r\n1\r\n$4\r\nm579\r\n$1\r\n1\r\n$3\r\nm58\r\n$1\r\n1\r\n$4\r\n"
       "m580\r\n$1\r\n1\r\n$4\r\nm581\r\n$1\r\n1\r\n$4\r\nm582\r\n$1\r\n1\r\n$4\r\n"
       "m583\r\n$1\r\n1\r\n$4\r\nm584\r\n$1\r\n1\r\n$4\r\nm585\r\n$1\r\n1\r\n$4\r\n"
       "m586\r\n$1\r\n1\r\n$4\r\nm587\r\n$1\r\n1\r\n$4\r\nm588\r\n$1\r\n1\r\n$4\r\n"
       "m589\r\n$1\r\n1\r\n$3\r\nm59\r\n$1\r\n1\r\n$4\r\nm590\r\n$1\r\n1\r\n$4\r\n"
       "m591\r\n$1\r\n1\r\n$4\r\nm592\r\n$1\r\n1\r\n$4\r\nm593\r\n$1\r\n1\r\n$4\r\n"
       "m594\r\n$1\r\n1\r\n$4\r\nm595\r\n$1\r\n1\r\n$4\r\nm596\r\n$1\r\n1\r\n$4\r\n"
       "m597\r\n$1\r\n1\r\n$4\r\nm598\r\n$1\r\n1\r\n$4\r\nm599\r\n$1\r\n1\r\n$2\r\nm6\r\n"
       "$1\r\n1\r\n$3\r\nm60\r\n$1\r\n1\r\n$3\r\nm61\r\n$1\r\n1\r\n$3\r\nm62\r\n$1\r\n"
       "1\r\n$3\r\nm63\r\n$1\r\n1\r\n$3\r\nm64\r\n$1\r\n1\r\n$3\r\nm65\r\n$1\r\n1\r\n"
       "$3\r\nm66\r\n$1\r\n1\r\n$3\r\nm67\r\n$1\r\n1\r\n$3\r\nm68\r\n$1\r\n1\r\n$3\r\n"
       "m69\r\n$1\r\n1\r\n$2\r\nm7\r\n$1\r\n1\r\n$3\r\nm70\r\n$1\r\n1\r\n$3\r\nm71\r\n"
       "$1\r\n1\r\n$3\r\nm72\r\n$1\r\n1\r\n$3\r\nm73\r\n$1\r\n1\r\n$3\r\nm74\r\n$1\r\n"
       "1\r\n$3\r\nm75\r\n$1\r\n1\r\n$3\r\nm76\r\n$1\r\n1\r\n$3\r\nm77\r\n$1\r\n1\r\n"
       "$3\r\nm78\r\n$1\r\n1\r\n$3\r\nm79\r\n$1\r\n1\r\n$2\r\nm8\r\n$1\r\n1\r\n$3\r\n"
       "m80\r\n$1\r\n1\r\n$3\r\nm81\r\n$1\r\n1\r\n$3\r\nm82\r\n$1\r\n1\r\n$3\r\nm83\r\n"
       "$1\r\n1\r\n$3\r\nm84\r\n$1\r\n1\r\n$3\r\nm85\r\n$1\r\n1\r\n$3\r\nm86\r\n$1\r\n"
       "1\r\n$3\r\nm87\r\n$1\r\n1\r\n$3\r\nm88\r\n$1\r\n1\r\n$3\r\nm89\r\n$1\r\n1\r\n"
       "$2\r\nm9\r\n$1\r\n1\r\n$3\r\nm90\r\n$1\r\n1\r\n$3\r\nm91\r\n$1\r\n1\r\n$3\r\n"
       "m92\r\n$1\r\n1\r\n$3\r\nm93\r\n$1\r\n1\r\n$3\r\nm94\r\n$1\r\n1\r\n$3\r\nm95\r\n"
       "$1\r\n1\r\n$3\r\nm96\r\n$1\r\n1\r\n$3\r\nm97\r\n$1\r\n1\r\n$3\r\nm98\r\n$1\r\n"
       "1\r\n$3\r\nm99\r\n$1\r\n1\r\n",
       "ZDIFF", "2", "bigset", "a", "WITHSCORES");
    ZX("*4\r\n$1\r\nq\r\n$3\r\n0.5\r\n$1\r\nx\r\n$3\r\n0.5\r\n", "ZUNION", "1", "s",
       "WEIGHTS", "0.5", "WITHSCORES");
    ZX("*4\r\n$1\r\nq\r\n$1\r\n2\r\n$1\r\nx\r\n$1\r\n2\r\n", "ZINTER", "2", "s", "s",
       "WITHSCORES");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZRANGE",
       "s", "0", "-1");
}

static void set_inputs_part2(void)
{
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZADD",
       "s", "1", "a");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
       "ZRANDMEMBER", "s");
    ZX("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZMPOP",
       "1", "s", "MIN");
}

static void test_set_inputs(void **state)
{
    (void)state;
    set_inputs_part1();
    set_inputs_part2();
}

#define SCENARIO_TESTS                                                                   \
    T(test_zadd_options), T(test_zadd_scores), T(test_negative_zero),                    \
        T(test_zrange_rank), T(test_zrange_score), T(test_zrange_lex),                   \
        T(test_zrangestore), T(test_zcount_zrank_zrem), T(test_pops),                    \
        T(test_blocking_served), T(test_setops), T(test_setops_order),                   \
        T(test_zremrange), T(test_zscan_listpack), T(test_zrandmember_errors),           \
        T(test_arity), T(test_encodings), T(test_set_inputs)

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, zsetup, teardown)
    const struct CMUnitTest tests[] = {
        SCENARIO_TESTS,
        T(test_blocking_contract),
        T(test_zrandmember_picks),
        T(test_zscan_skiplist),
        T(test_encodings_answer_alike),
        T(test_dump_load_round_trip),
        T(test_digest_ignores_encoding),
        T(test_malformed_listpack_dumps),
        T(test_malformed_skiplist_dumps),
        T(test_skiplist_model),
        T(test_value_bytes_track_memory),
        T(test_revisions_and_dirty),
        T(test_command_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
