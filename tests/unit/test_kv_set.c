/* Unit tests for the set type (kv/t_set.c), run through the real command
 * table: replies byte for byte as Redis 7.0.15 sends them (the expected
 * bytes were taken from a real redis-server), encoding conversions at the
 * set-max-intset-entries limit, SPOP and SRANDMEMBER by their properties
 * and their determinism, dump/load round trips that keep the hash table's
 * layout, digests independent of the encoding, and malformed dumps
 * refused. Where Redis leaves the order of a reply to its hash table, the
 * members are compared as a sorted list (expect_members). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv_dump_util.h"

#include "base/error.h"
#include "kv/type.h"
#include "kv_world.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"

/* ---- Reading replies -------------------------------------------------- */

typedef struct members {
    size_t count;
    char *item[4096];
    size_t len[4096];
} members;

static members M; /* the last parsed reply */

static void members_clear(void)
{
    for (size_t i = 0; i < M.count; i++)
        free(M.item[i]);
    M.count = 0;
}

/* Parses a RESP2/RESP3 aggregate of bulk strings ("*n" or "~n") starting at
 * p; returns the position after it. */
static const char *parse_members(const char *p)
{
    members_clear();
    assert_true(p[0] == '*' || p[0] == '~');
    char *end;
    long n = strtol(p + 1, &end, 10);
    assert_true(n >= 0 && n <= 4096);
    p = end + 2;
    for (long i = 0; i < n; i++) {
        assert_int_equal(p[0], '$');
        long len = strtol(p + 1, &end, 10);
        p = end + 2;
        M.item[M.count] = malloc((size_t)len + 1);
        memcpy(M.item[M.count], p, (size_t)len);
        M.item[M.count][len] = '\0';
        M.len[M.count++] = (size_t)len;
        p += len + 2;
    }
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compares an array reply, as a sorted list, with space-separated words. */
static void expect_members(const char *reply, const char *words)
{
    parse_members(reply);
    char *copy = strdup(words), *want[4096], *save = NULL;
    size_t n = 0;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        want[n++] = w;
    assert_int_equal(M.count, n);
    qsort(want, n, sizeof *want, cmp_str);
    char *got[4096];
    memcpy(got, M.item, n * sizeof *got);
    qsort(got, n, sizeof *got, cmp_str);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got[i], want[i]);
    free(copy);
}

static bool is_member(const char *key, const char *m)
{
    return strcmp(run("SISMEMBER", key, m, NULL), ":1\r\n") == 0;
}

static size_t card(const char *key)
{
    return (size_t)strtoul(run("SCARD", key, NULL) + 1, NULL, 10);
}

static const char *encoding(const char *key)
{
    static char enc[32];
    const char *r = run("OBJECT", "ENCODING", key, NULL);
    const char *nl = strstr(r, "\r\n");
    snprintf(enc, sizeof enc, "%.*s", (int)(strlen(nl + 2) - 2), nl + 2);
    return enc;
}

/* SADD key with members "<prefix><i>" for i in [from, to). */
static void sadd_range(const char *key, const char *prefix, int from, int to)
{
    cmd_arg argv[66];
    char names[64][32];
    for (int i = from; i < to;) {
        size_t argc = 2;
        argv[0] = (cmd_arg){"SADD", 4};
        argv[1] = (cmd_arg){key, strlen(key)};
        for (int k = 0; k < 64 && i < to; k++, i++) {
            int len = snprintf(names[k], sizeof names[k], "%s%d", prefix, i);
            argv[argc++] = (cmd_arg){names[k], (size_t)len};
        }
        run_argv(argv, argc);
    }
}

/* ---- Replies, byte for byte -------------------------------------------- */

static void test_sadd_srem_scard(void **state)
{
    (void)state;
    EXPECT(":3\r\n", "SADD", "s", "a", "b", "c");
    EXPECT(":1\r\n", "SADD", "s", "a", "d");
    EXPECT(":0\r\n", "SADD", "s", "a");
    EXPECT(":4\r\n", "SCARD", "s");
    EXPECT(":0\r\n", "SCARD", "nokey");
    EXPECT(":1\r\n", "SISMEMBER", "s", "a");
    EXPECT(":0\r\n", "SISMEMBER", "s", "zz");
    EXPECT(":0\r\n", "SISMEMBER", "nokey", "a");
    EXPECT("*3\r\n:1\r\n:0\r\n:1\r\n", "SMISMEMBER", "s", "a", "zz", "b");
    EXPECT("*2\r\n:0\r\n:0\r\n", "SMISMEMBER", "nokey", "a", "b");
    EXPECT(":1\r\n", "SREM", "s", "a", "zz");
    EXPECT(":0\r\n", "SREM", "s", "zz");
    EXPECT(":0\r\n", "SREM", "nokey", "a");
    EXPECT(":3\r\n", "SREM", "s", "b", "c", "d");
    EXPECT(":0\r\n", "EXISTS", "s");
    EXPECT(":1\r\n", "SADD", "e", "");
    EXPECT("*1\r\n$0\r\n\r\n", "SMEMBERS", "e");
    EXPECT(":1\r\n", "SISMEMBER", "e", "");
    EXPECT("+set\r\n", "TYPE", "e");
    // a set emptied by SREM stops at its last member: later ones are not counted
    run("SADD", "t", "x", "y", NULL);
    EXPECT(":2\r\n", "SREM", "t", "x", "y", "x");
    EXPECT(":0\r\n", "EXISTS", "t");
}

static void test_wrongtype_and_arity(void **state)
{
    (void)state;
    run("SET", "str", "v", NULL);
    EXPECT(WRONGTYPE, "SADD", "str", "a");
    EXPECT(WRONGTYPE, "SREM", "str", "a");
    EXPECT(WRONGTYPE, "SCARD", "str");
    EXPECT(WRONGTYPE, "SISMEMBER", "str", "a");
    EXPECT(WRONGTYPE, "SMISMEMBER", "str", "a");
    EXPECT(WRONGTYPE, "SMEMBERS", "str");
    EXPECT(WRONGTYPE, "SPOP", "str");
    EXPECT(WRONGTYPE, "SPOP", "str", "1");
    EXPECT(WRONGTYPE, "SRANDMEMBER", "str");
    EXPECT(WRONGTYPE, "SRANDMEMBER", "str", "1");
    EXPECT(WRONGTYPE, "SINTER", "str");
    EXPECT(WRONGTYPE, "SINTERCARD", "1", "str");
    EXPECT(WRONGTYPE, "SUNION", "str");
    EXPECT(WRONGTYPE, "SDIFF", "str");
    EXPECT(WRONGTYPE, "SINTERSTORE", "d", "str");
    EXPECT(WRONGTYPE, "SUNIONSTORE", "d", "str");
    EXPECT(WRONGTYPE, "SDIFFSTORE", "d", "str");
    EXPECT(WRONGTYPE, "SSCAN", "str", "0");
    EXPECT(WRONGTYPE, "SMOVE", "str", "d", "a");
    EXPECT("-ERR wrong number of arguments for 'sadd' command\r\n", "SADD");
    EXPECT("-ERR wrong number of arguments for 'sadd' command\r\n", "SADD", "s");
    EXPECT("-ERR wrong number of arguments for 'srem' command\r\n", "SREM", "s");
    EXPECT("-ERR wrong number of arguments for 'scard' command\r\n", "SCARD");
    EXPECT("-ERR wrong number of arguments for 'scard' command\r\n", "SCARD", "s", "x");
    EXPECT("-ERR wrong number of arguments for 'sismember' command\r\n", "SISMEMBER",
           "s");
    EXPECT("-ERR wrong number of arguments for 'smismember' command\r\n", "SMISMEMBER",
           "s");
    EXPECT("-ERR wrong number of arguments for 'smembers' command\r\n", "SMEMBERS");
    EXPECT("-ERR wrong number of arguments for 'spop' command\r\n", "SPOP");
    EXPECT("-ERR wrong number of arguments for 'srandmember' command\r\n", "SRANDMEMBER");
    EXPECT("-ERR wrong number of arguments for 'smove' command\r\n", "SMOVE", "a", "b");
    EXPECT("-ERR wrong number of arguments for 'sinter' command\r\n", "SINTER");
    EXPECT("-ERR wrong number of arguments for 'sintercard' command\r\n", "SINTERCARD",
           "1");
    EXPECT("-ERR wrong number of arguments for 'sinterstore' command\r\n", "SINTERSTORE",
           "d");
    EXPECT("-ERR wrong number of arguments for 'sunionstore' command\r\n", "SUNIONSTORE",
           "d");
    EXPECT("-ERR wrong number of arguments for 'sdiffstore' command\r\n", "SDIFFSTORE",
           "d");
    EXPECT("-ERR wrong number of arguments for 'sscan' command\r\n", "SSCAN", "s");
    EXPECT("$1\r\nv\r\n", "GET", "str");
}

static void test_intset_order_and_encoding(void **state)
{
    (void)state;
    EXPECT(":6\r\n", "SADD", "n", "5", "3", "-1", "100000", "-100000", "10000000000",
           "3");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "n");
    EXPECT("*6\r\n$7\r\n-100000\r\n$2\r\n-1\r\n$1\r\n3\r\n$1\r\n5\r\n$6\r\n100000\r\n$"
           "11\r\n10000000000\r\n",
           "SMEMBERS", "n");
    EXPECT("*2\r\n$1\r\n0\r\n*6\r\n$7\r\n-100000\r\n$2\r\n-1\r\n$1\r\n3\r\n$1\r\n5\r\n$"
           "6\r\n100000\r\n$11\r\n10000000000\r\n",
           "SSCAN", "n", "0");
    EXPECT("*2\r\n$1\r\n0\r\n*2\r\n$6\r\n100000\r\n$11\r\n10000000000\r\n", "SSCAN", "n",
           "0", "MATCH", "1*");
    EXPECT("*2\r\n$1\r\n0\r\n*6\r\n$7\r\n-100000\r\n$2\r\n-1\r\n$1\r\n3\r\n$1\r\n5\r\n$"
           "6\r\n100000\r\n$11\r\n10000000000\r\n",
           "SSCAN", "n", "0", "COUNT", "1");
    EXPECT("*6\r\n$7\r\n-100000\r\n$2\r\n-1\r\n$1\r\n3\r\n$1\r\n5\r\n$6\r\n100000\r\n$"
           "11\r\n10000000000\r\n",
           "SRANDMEMBER", "n", "10");
    EXPECT("*6\r\n$7\r\n-100000\r\n$2\r\n-1\r\n$1\r\n3\r\n$1\r\n5\r\n$6\r\n100000\r\n$"
           "11\r\n10000000000\r\n",
           "SUNION", "n");
    EXPECT(":1\r\n", "SISMEMBER", "n", "10000000000");
    EXPECT(":0\r\n", "SISMEMBER", "n", "010");
    EXPECT(":1\r\n", "SISMEMBER", "n", "3");
    // non-canonical integers are strings: they convert the set
    EXPECT(":2\r\n", "SADD", "z", "1", "2");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "z");
    EXPECT(":1\r\n", "SADD", "z", "007");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "z");
    EXPECT(":0\r\n", "SISMEMBER", "z", "7");
    EXPECT(":1\r\n", "SISMEMBER", "z", "007");
    EXPECT(":2\r\n", "SADD", "p", "1", "+2");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "p");
    EXPECT(":1\r\n", "SADD", "q", "-0");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "q");
    EXPECT(":2\r\n", "SADD", "big", "9223372036854775807", "-9223372036854775808");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "big");
    EXPECT("*2\r\n$20\r\n-9223372036854775808\r\n$19\r\n9223372036854775807\r\n",
           "SMEMBERS", "big");
    EXPECT(":1\r\n", "SADD", "over", "9223372036854775808");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "over");
    // removals never convert back
    EXPECT(":1\r\n", "SREM", "z", "007");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "z");
    EXPECT(":2\r\n", "SADD", "h", "a", "1");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "h");
}

static void test_intset_limit(void **state)
{
    (void)state;
    W.limits.set_max_intset_entries = 3;
    EXPECT(":3\r\n", "SADD", "s", "1", "2", "3");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "s");
    EXPECT(":1\r\n", "SADD", "s", "4");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "s");
    EXPECT(":1\r\n", "SREM", "s", "4");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "s");
    // a batch that crosses the limit converts midway
    EXPECT(":5\r\n", "SADD", "t", "1", "2", "3", "4", "5");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "t");
    EXPECT(":3\r\n", "SADD", "u", "1", "2", "3", "3", "3");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "u");
    // *STORE results are intsets only while small
    run("SADD", "a", "1", "2", "3", "4", NULL);
    run("SADD", "b", "1", "2", "3", NULL);
    EXPECT(":3\r\n", "SINTERSTORE", "r", "a", "b");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "r");
    EXPECT(":3\r\n", "SUNIONSTORE", "r", "b");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "r");
    EXPECT(":4\r\n", "SUNIONSTORE", "r", "a");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "r");
    EXPECT(":1\r\n", "SDIFFSTORE", "r", "a", "b");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "r");
    W.limits.set_max_intset_entries = 0;
    EXPECT(":1\r\n", "SADD", "zero", "1");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "zero");
    EXPECT(":1\r\n", "SUNIONSTORE", "r2", "zero");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "r2");
}

static void test_smove(void **state)
{
    (void)state;
    run("SADD", "src", "1", "2", "a", NULL);
    run("SET", "str", "x", NULL);
    EXPECT(":0\r\n", "SMOVE", "nokey", "str", "a");
    EXPECT(WRONGTYPE, "SMOVE", "src", "str", "a");
    EXPECT(WRONGTYPE, "SMOVE", "str", "src", "a");
    EXPECT(":1\r\n", "SMOVE", "src", "src", "a");
    EXPECT(":0\r\n", "SMOVE", "src", "src", "zz");
    EXPECT(":0\r\n", "SMOVE", "src", "dst", "zz");
    EXPECT(":0\r\n", "EXISTS", "dst");
    EXPECT(":1\r\n", "SMOVE", "src", "dst", "1");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "dst");
    EXPECT(":1\r\n", "SMOVE", "src", "dst2", "a");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "dst2");
    EXPECT(":1\r\n", "SMOVE", "src", "dst", "2");
    EXPECT(":0\r\n", "EXISTS", "src");
    EXPECT("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "SMEMBERS", "dst");
    // moving a member the destination already has still removes it from the source
    run("SADD", "s2", "1", NULL);
    EXPECT(":1\r\n", "SMOVE", "s2", "dst", "1");
    EXPECT(":0\r\n", "EXISTS", "s2");
    EXPECT("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "SMEMBERS", "dst");
    run("SADD", "s3", "x", NULL);
    EXPECT(":1\r\n", "SMOVE", "s3", "dst", "x");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "dst");
    run("EXPIRE", "dst", "100", NULL);
    run("SADD", "s4", "y", NULL);
    EXPECT(":1\r\n", "SMOVE", "s4", "dst", "y");
    EXPECT(":100\r\n", "TTL", "dst");
}

static void test_sinter_family(void **state)
{
    (void)state;
    run("SADD", "a", "1", "2", "3", "4", "x", NULL);
    run("SADD", "b", "2", "3", "4", "5", NULL);
    run("SADD", "c", "3", "4", "6", NULL);
    run("SET", "str", "v", NULL);
    EXPECT("*2\r\n$1\r\n3\r\n$1\r\n4\r\n", "SINTER", "a", "b", "c");
    EXPECT("*2\r\n$1\r\n3\r\n$1\r\n4\r\n", "SINTER", "b", "c");
    EXPECT("*0\r\n", "SINTER", "a", "nokey");
    EXPECT(WRONGTYPE, "SINTER", "nokey", "str");
    EXPECT("*3\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n6\r\n", "SINTER", "c", "c");
    EXPECT(":2\r\n", "SINTERCARD", "3", "a", "b", "c");
    EXPECT(":3\r\n", "SINTERCARD", "2", "a", "b");
    EXPECT(":2\r\n", "SINTERCARD", "2", "a", "b", "LIMIT", "2");
    EXPECT(":3\r\n", "SINTERCARD", "2", "a", "b", "limit", "0");
    EXPECT(":3\r\n", "SINTERCARD", "2", "a", "b", "LIMIT", "10");
    EXPECT(":0\r\n", "SINTERCARD", "2", "a", "nokey");
    EXPECT(WRONGTYPE, "SINTERCARD", "2", "nokey", "str");
    EXPECT("-ERR numkeys should be greater than 0\r\n", "SINTERCARD", "0", "a");
    EXPECT("-ERR numkeys should be greater than 0\r\n", "SINTERCARD", "-1", "a");
    EXPECT("-ERR numkeys should be greater than 0\r\n", "SINTERCARD", "x", "a");
    EXPECT("-ERR Number of keys can't be greater than number of args\r\n", "SINTERCARD",
           "3", "a", "b");
    EXPECT("-ERR syntax error\r\n", "SINTERCARD", "1", "a", "LIMIT");
    EXPECT("-ERR LIMIT can't be negative\r\n", "SINTERCARD", "1", "a", "LIMIT", "-1");
    EXPECT("-ERR LIMIT can't be negative\r\n", "SINTERCARD", "1", "a", "LIMIT", "x");
    EXPECT("-ERR syntax error\r\n", "SINTERCARD", "1", "a", "FOO");
    EXPECT(":3\r\n", "SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3");
    EXPECT(":2\r\n", "SINTERSTORE", "d", "b", "c");
    EXPECT("*2\r\n$1\r\n3\r\n$1\r\n4\r\n", "SMEMBERS", "d");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "d");
    EXPECT(":3\r\n", "SINTERSTORE", "d", "a", "b");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "d");
    EXPECT(":0\r\n", "SINTERSTORE", "d", "a", "nokey");
    EXPECT(":0\r\n", "EXISTS", "d");
    EXPECT(":2\r\n", "SINTERSTORE", "str", "b", "c");
    EXPECT("+set\r\n", "TYPE", "str");
    EXPECT(":0\r\n", "SINTERSTORE", "d2", "nokey", "str");
    run("SET", "str2", "v", NULL);
    EXPECT(":0\r\n", "SINTERSTORE", "str2", "b", "nokey");
    EXPECT(":0\r\n", "EXISTS", "str2");
    // the destination may be a source; its TTL goes
    run("EXPIRE", "b", "100", NULL);
    EXPECT(":2\r\n", "SINTERSTORE", "b", "b", "c");
    EXPECT(":-1\r\n", "TTL", "b");
    EXPECT("*2\r\n$1\r\n3\r\n$1\r\n4\r\n", "SMEMBERS", "b");
}

static void test_sunion_sdiff(void **state)
{
    (void)state;
    run("SADD", "a", "1", "2", "3", "4", NULL);
    run("SADD", "b", "3", "4", "5", NULL);
    run("SADD", "h", "x", "4", NULL);
    run("SET", "str", "v", NULL);
    EXPECT("*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n", "SUNION", "a",
           "b");
    EXPECT("*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n", "SUNION", "a",
           "nokey", "b");
    EXPECT("*0\r\n", "SUNION", "nokey");
    EXPECT(WRONGTYPE, "SUNION", "nokey", "str");
    EXPECT("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "SDIFF", "a", "b");
    EXPECT("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "SDIFF", "a", "b", "h");
    EXPECT("*0\r\n", "SDIFF", "a", "a");
    EXPECT("*0\r\n", "SDIFF", "a", "b", "a");
    EXPECT("*0\r\n", "SDIFF", "nokey", "a");
    EXPECT("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n", "SDIFF", "a", "nokey");
    EXPECT(WRONGTYPE, "SDIFF", "b", "str");
    EXPECT(WRONGTYPE, "SDIFF", "str", "b");
    EXPECT(":5\r\n", "SUNIONSTORE", "u", "a", "b");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "u");
    EXPECT("*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n", "SMEMBERS",
           "u");
    EXPECT(":5\r\n", "SUNIONSTORE", "u", "a", "h");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "u");
    EXPECT(":0\r\n", "SUNIONSTORE", "u", "nokey");
    EXPECT(":0\r\n", "EXISTS", "u");
    EXPECT(":2\r\n", "SDIFFSTORE", "d", "a", "b");
    EXPECT("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "SMEMBERS", "d");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "d");
    EXPECT(":0\r\n", "SDIFFSTORE", "d", "a", "a");
    EXPECT(":0\r\n", "EXISTS", "d");
    EXPECT(":0\r\n", "SDIFFSTORE", "d", "nokey", "a");
    EXPECT(":4\r\n", "SDIFFSTORE", "str", "a");
    EXPECT("+set\r\n", "TYPE", "str");
    // the second algorithm: the first set added whole, then the others removed
    run("SADD", "big", "1", "2", "3", "4", "5", "6", "7", "8", "9", "y", NULL);
    run("SADD", "r1", "y", NULL);
    run("SADD", "r2", "100", NULL);
    run("SADD", "r3", "200", NULL);
    EXPECT(":9\r\n", "SDIFFSTORE", "d", "big", "r1", "r2", "r3");
    EXPECT("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "d");
    EXPECT(":9\r\n", "SDIFFSTORE", "d", "big", "r1");
    EXPECT("$6\r\nintset\r\n", "OBJECT", "ENCODING", "d");
    expect_members(run("SDIFF", "big", "r1", "r2", "r3", NULL), "1 2 3 4 5 6 7 8 9");
}

static void test_spop_srandmember_edges(void **state)
{
    (void)state;
    run("SET", "str", "v", NULL);
    EXPECT("$-1\r\n", "SPOP", "nokey");
    EXPECT("*0\r\n", "SPOP", "nokey", "0");
    EXPECT("*0\r\n", "SPOP", "nokey", "3");
    EXPECT("-ERR value is out of range, must be positive\r\n", "SPOP", "nokey", "-1");
    EXPECT("-ERR value is out of range, must be positive\r\n", "SPOP", "nokey", "x");
    EXPECT("-ERR value is out of range, must be positive\r\n", "SPOP", "str", "-1");
    EXPECT(WRONGTYPE, "SPOP", "str", "0");
    EXPECT("-ERR syntax error\r\n", "SPOP", "s", "1", "2");
    EXPECT("$-1\r\n", "SRANDMEMBER", "nokey");
    EXPECT("*0\r\n", "SRANDMEMBER", "nokey", "0");
    EXPECT("*0\r\n", "SRANDMEMBER", "nokey", "3");
    EXPECT("*0\r\n", "SRANDMEMBER", "nokey", "-3");
    EXPECT("-ERR value is not an integer or out of range\r\n", "SRANDMEMBER", "nokey",
           "x");
    EXPECT("-ERR value is out of range, value must between -9223372036854775807 and "
           "9223372036854775807\r\n",
           "SRANDMEMBER", "nokey", "-9223372036854775808");
    EXPECT("-ERR value is not an integer or out of range\r\n", "SRANDMEMBER", "str", "x");
    EXPECT("-ERR value is out of range, value must between -9223372036854775807 and "
           "9223372036854775807\r\n",
           "SRANDMEMBER", "str", "-9223372036854775808");
    EXPECT("-ERR syntax error\r\n", "SRANDMEMBER", "s", "1", "2");
    run("SADD", "one", "only", NULL);
    EXPECT("*0\r\n", "SPOP", "one", "0");
    EXPECT("$4\r\nonly\r\n", "SRANDMEMBER", "one");
    EXPECT("*1\r\n$4\r\nonly\r\n", "SRANDMEMBER", "one", "1");
    EXPECT("*3\r\n$4\r\nonly\r\n$4\r\nonly\r\n$4\r\nonly\r\n", "SRANDMEMBER", "one",
           "-3");
    EXPECT("*1\r\n$4\r\nonly\r\n", "SRANDMEMBER", "one", "5");
    EXPECT("*0\r\n", "SRANDMEMBER", "one", "0");
    EXPECT("$4\r\nonly\r\n", "SPOP", "one");
    EXPECT(":0\r\n", "EXISTS", "one");
    run("SADD", "i", "3", "1", "2", NULL);
    EXPECT("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SRANDMEMBER", "i", "3");
    EXPECT("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SRANDMEMBER", "i",
           "9223372036854775807");
    EXPECT("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SPOP", "i", "3");
    EXPECT(":0\r\n", "EXISTS", "i");
    run("SADD", "j", "3", "1", "2", NULL);
    EXPECT("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SPOP", "j", "100");
    run("SADD", "k", "1", "2", "z", NULL);
    expect_members(run("SPOP", "k", "9223372036854775807", NULL), "1 2 z");
    EXPECT("-ERR value is out of range, must be positive\r\n", "SPOP", "k",
           "9223372036854775808");
}

static void test_sscan(void **state)
{
    (void)state;
    run("SADD", "i", "1", "2", "3", NULL);
    run("SET", "str", "v", NULL);
    EXPECT("*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SSCAN", "i", "0");
    EXPECT("*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SSCAN", "i", "5");
    EXPECT("*2\r\n$1\r\n0\r\n*1\r\n$1\r\n2\r\n", "SSCAN", "i", "0", "COUNT", "1", "MATCH",
           "2");
    EXPECT("*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SSCAN", "i", "0",
           "MATCH", "*", "COUNT", "1");
    EXPECT("*2\r\n$1\r\n0\r\n*1\r\n$1\r\n3\r\n", "SSCAN", "i", "0", "match", "3");
    EXPECT("-ERR invalid cursor\r\n", "SSCAN", "i", "abc");
    EXPECT("*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SSCAN", "i", "");
    EXPECT("*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SSCAN", "i",
           "-1");
    EXPECT("-ERR invalid cursor\r\n", "SSCAN", "i", " 1");
    EXPECT("-ERR invalid cursor\r\n", "SSCAN", "i", "18446744073709551616");
    EXPECT("-ERR syntax error\r\n", "SSCAN", "i", "0", "COUNT", "0");
    EXPECT("-ERR syntax error\r\n", "SSCAN", "i", "0", "COUNT", "-5");
    EXPECT("-ERR value is not an integer or out of range\r\n", "SSCAN", "i", "0", "COUNT",
           "x");
    EXPECT("-ERR syntax error\r\n", "SSCAN", "i", "0", "MATCH");
    EXPECT("-ERR syntax error\r\n", "SSCAN", "i", "0", "TYPE", "set");
    EXPECT("-ERR syntax error\r\n", "SSCAN", "i", "0", "FOO", "1");
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", "SSCAN", "nokey", "0");
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", "SSCAN", "nokey", "0", "COUNT", "0");
    EXPECT("-ERR invalid cursor\r\n", "SSCAN", "nokey", "x");
    EXPECT(WRONGTYPE, "SSCAN", "str", "0", "COUNT", "0");
    EXPECT("-ERR invalid cursor\r\n", "SSCAN", "str", "x");
    run("SADD", "h", "a", NULL);
    EXPECT("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "SSCAN", "h", "0");
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", "SSCAN", "h", "0", "MATCH", "b*");
}

static void test_resp3_shapes(void **state)
{
    (void)state;
    run("SADD", "n", "3", "1", "2", NULL);
    EXPECT3("~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SMEMBERS", "n");
    EXPECT3("~0\r\n", "SMEMBERS", "nokey");
    EXPECT3("~0\r\n", "SINTER", "n", "nokey");
    EXPECT3("~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SUNION", "n");
    EXPECT3("~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SDIFF", "n", "nokey");
    EXPECT3("~0\r\n", "SPOP", "nokey", "3");
    EXPECT3("_\r\n", "SPOP", "nokey");
    EXPECT3("*0\r\n", "SRANDMEMBER", "nokey", "3");
    EXPECT3("_\r\n", "SRANDMEMBER", "nokey");
    EXPECT3("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SRANDMEMBER", "n", "5");
    EXPECT3("~0\r\n", "SPOP", "n", "0");
    EXPECT3("*2\r\n:1\r\n:0\r\n", "SMISMEMBER", "n", "1", "9");
    EXPECT3("*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SSCAN", "n",
            "0");
    EXPECT3(":3\r\n", "SINTERCARD", "1", "n");
    assert_memory_equal(RUN3("SRANDMEMBER", "n", "2"), "*2\r\n", 4);
    assert_memory_equal(RUN3("SRANDMEMBER", "n", "-5"), "*5\r\n", 4);
    assert_memory_equal(RUN3("SPOP", "n", "1"), "~1\r\n", 4);
    assert_memory_equal(RUN3("SPOP", "n", "5"), "~2\r\n", 4);
}

/* ---- SPOP and SRANDMEMBER by their properties ----------------------------- */

/* Whether word is "<prefix><i>" with 0 <= i < size. */
static bool in_range(const char *word, const char *prefix, int size)
{
    size_t plen = strlen(prefix);
    if (strncmp(word, prefix, plen) != 0) return false;
    char *end;
    long i = strtol(word + plen, &end, 10);
    return *end == '\0' && i >= 0 && i < size;
}

static bool all_distinct(void)
{
    char *sorted[4096];
    memcpy(sorted, M.item, M.count * sizeof *sorted);
    qsort(sorted, M.count, sizeof *sorted, cmp_str);
    for (size_t i = 1; i < M.count; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) return false;
    return true;
}

/* SPOP key count on a set of members prefix0..prefix<size-1>: pops
 * min(count, size) distinct members of the set, and exactly those. */
static void check_spop(const char *prefix, int size, int count, const char *enc_after)
{
    run("DEL", "p", NULL);
    sadd_range("p", prefix, 0, size);
    char n[16];
    snprintf(n, sizeof n, "%d", count);
    const char *reply = run("SPOP", "p", n, NULL);
    parse_members(reply);
    size_t popped = (size_t)(count < size ? count : size);
    assert_int_equal(M.count, popped);
    assert_true(all_distinct());
    for (size_t i = 0; i < M.count; i++)
        assert_true(in_range(M.item[i], prefix, size));
    members pops = M;
    M.count = 0; /* pops owns the strings now */
    assert_int_equal(card("p"), (size_t)size - popped);
    for (size_t i = 0; i < pops.count; i++) {
        assert_false(is_member("p", pops.item[i]));
        free(pops.item[i]);
    }
    if (enc_after)
        assert_string_equal(encoding("p"), enc_after);
    else
        assert_string_equal(run("EXISTS", "p", NULL), ":0\r\n");
}

static void test_spop_cases(void **state)
{
    (void)state;
    /* Few popped: random picks. Most popped: the rest kept in a new set.
     * All popped: the whole set, the key deleted. */
    check_spop("m", 100, 10, "hashtable");
    check_spop("m", 100, 95, "hashtable");
    check_spop("m", 100, 100, NULL);
    check_spop("m", 100, 1000, NULL);
    check_spop("", 100, 10, "intset");
    check_spop("", 100, 95, "intset");
    check_spop("", 100, 100, NULL);
    /* 600 integers are a hashtable; keeping 10 of them makes an intset,
     * as does keeping 100 (100 * 5 is not more than the 500 popped); with
     * 101 kept the members are popped one by one and it stays a table. */
    check_spop("", 600, 590, "intset");
    check_spop("", 600, 500, "intset");
    check_spop("", 600, 499, "hashtable");
    W.limits.set_max_intset_entries = 5;
    check_spop("", 600, 590, "hashtable"); /* 10 kept: more than the limit */
}

static void test_spop_single_and_determinism(void **state)
{
    (void)state;
    sadd_range("a", "m", 0, 50);
    sadd_range("b", "m", 0, 50); /* same seed, same inserts: same layout */
    for (int i = 0; i < 20; i++) {
        W.rand_seed = 1000 + (uint64_t)i;
        char ra[64], rb[64];
        snprintf(ra, sizeof ra, "%s", run("SPOP", "a", NULL));
        snprintf(rb, sizeof rb, "%s", run("SPOP", "b", NULL));
        assert_string_equal(ra, rb);
    }
    assert_int_equal(card("a"), 30);
    EXPECT("*0\r\n", "SDIFF", "a", "b");
    /* Another seed, another pick (over 20 draws, some differ). */
    int differ = 0;
    for (int i = 0; i < 20; i++) {
        char r1[64];
        W.rand_seed = 1 + (uint64_t)i;
        snprintf(r1, sizeof r1, "%s", run("SRANDMEMBER", "a", NULL));
        W.rand_seed = 101 + (uint64_t)i;
        differ += strcmp(r1, run("SRANDMEMBER", "a", NULL)) != 0;
    }
    assert_true(differ > 0);
    run("SADD", "last", "x", NULL);
    EXPECT("$1\r\nx\r\n", "SPOP", "last");
    EXPECT(":0\r\n", "EXISTS", "last");
}

static void check_srandmember(const char *prefix, int size, int count)
{
    char n[16];
    snprintf(n, sizeof n, "%d", count);
    parse_members(run("SRANDMEMBER", "r", n, NULL));
    int abs = count < 0 ? -count : count;
    size_t want = count < 0 ? (size_t)abs : (size_t)(abs < size ? abs : size);
    assert_int_equal(M.count, want);
    if (count > 0) assert_true(all_distinct());
    for (size_t i = 0; i < M.count; i++)
        assert_true(in_range(M.item[i], prefix, size));
    assert_int_equal(card("r"), (size_t)size); /* nothing removed */
}

static void test_srandmember_cases(void **state)
{
    (void)state;
    sadd_range("r", "m", 0, 90);
    const int counts[] = {1, 2, 10, 29, 30, 31, 60, 89, 90, 91, 500, -1, -5, -90, -300};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        check_srandmember("m", 90, counts[i]);
    run("DEL", "r", NULL);
    sadd_range("r", "", 0, 90);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        check_srandmember("", 90, counts[i]);
    /* A negative count's reply is not bounded by the set: polis refuses
     * counts that could not fit in memory (Redis would try to send them). */
    EXPECT("-ERR value is out of range, value must between -16777216 and "
           "9223372036854775807\r\n",
           "SRANDMEMBER", "r", "-16777217");
    EXPECT("-ERR value is out of range, value must between -16777216 and "
           "9223372036854775807\r\n",
           "SRANDMEMBER", "r", "-9223372036854775807");
}

/* ---- Large hashtables and SSCAN ------------------------------------------ */

/* An SSCAN reply: stores the cursor, returns where the batch starts. */
static const char *scan_batch(const char *reply, char cursor[32])
{
    assert_memory_equal(reply, "*2\r\n$", 5);
    const char *p = strstr(reply + 5, "\r\n") + 2;
    const char *end = strstr(p, "\r\n");
    snprintf(cursor, 32, "%.*s", (int)(end - p), p);
    return end + 2;
}

static void test_large_hashtable_and_sscan(void **state)
{
    (void)state;
    sadd_range("big", "member:", 0, 3000);
    assert_int_equal(card("big"), 3000);
    assert_true(is_member("big", "member:2999"));
    assert_false(is_member("big", "member:3000"));
    for (int i = 0; i < 3000; i += 2) {
        char m[32];
        snprintf(m, sizeof m, "member:%d", i);
        assert_string_equal(run("SREM", "big", m, NULL), ":1\r\n");
    }
    assert_int_equal(card("big"), 1500);
    /* A full SSCAN sees every member (at least once), whatever COUNT. */
    const char *counts[] = {"1", "7", "100", "5000"};
    for (size_t k = 0; k < 4; k++) {
        static bool seen[3000];
        memset(seen, 0, sizeof seen);
        char cursor[32] = "0";
        int calls = 0;
        do {
            parse_members(scan_batch(
                run("SSCAN", "big", cursor, "COUNT", counts[k], NULL), cursor));
            for (size_t i = 0; i < M.count; i++) {
                assert_true(in_range(M.item[i], "member:", 3000));
                seen[atoi(M.item[i] + 7)] = true;
            }
            assert_true(++calls < 10000);
        } while (strcmp(cursor, "0") != 0);
        for (int i = 0; i < 3000; i++)
            assert_int_equal(seen[i], i % 2 == 1);
    }
    /* MATCH filters what one call saw. */
    char cursor[32];
    expect_members(
        scan_batch(run("SSCAN", "big", "0", "COUNT", "5000", "MATCH", "member:1?", NULL),
                   cursor),
        "member:11 member:13 member:15 member:17 member:19");
    assert_string_equal(cursor, "0");
    /* Removing every member deletes the key. */
    for (int i = 1; i < 3000; i += 2) {
        char m[32];
        snprintf(m, sizeof m, "member:%d", i);
        run("SREM", "big", m, NULL);
    }
    EXPECT(":0\r\n", "EXISTS", "big");
}

static void test_members_of_any_bytes(void **state)
{
    (void)state;
    char longm[1000];
    memset(longm, 'L', sizeof longm - 1);
    longm[sizeof longm - 1] = '\0';
    const size_t lens[] = {0, 1, 253, 254, 255, 256, 999};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        cmd_arg argv[3] = {{"SADD", 4}, {"s", 1}, {longm, lens[i]}};
        assert_string_equal(run_argv(argv, 3), ":1\r\n");
    }
    cmd_arg bin[3] = {{"SADD", 4}, {"s", 1}, {"a\0b\r\n", 5}};
    assert_string_equal(run_argv(bin, 3), ":1\r\n");
    assert_int_equal(card("s"), 8);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        cmd_arg argv[3] = {{"SISMEMBER", 9}, {"s", 1}, {longm, lens[i]}};
        assert_string_equal(run_argv(argv, 3), ":1\r\n");
    }
    cmd_arg ism[3] = {{"SISMEMBER", 9}, {"s", 1}, {"a\0b\r\n", 5}};
    assert_string_equal(run_argv(ism, 3), ":1\r\n");
    cmd_arg nope[3] = {{"SISMEMBER", 9}, {"s", 1}, {"a\0c\r\n", 5}};
    assert_string_equal(run_argv(nope, 3), ":0\r\n");
    run("SMEMBERS", "s", NULL);
    assert_memory_equal(W.out.data, "*8\r\n", 4);
}

/* ---- Revisions, expiry, memory --------------------------------------------- */

static uint64_t revision_of(const char *key)
{
    kv_obj *o = kv_lookup_any(&W.ks, key, strlen(key));
    assert_non_null(o);
    return o->revision;
}

static void test_revisions_and_expiry(void **state)
{
    (void)state;
    run("SADD", "s", "a", NULL);
    uint64_t r1 = W.revision;
    assert_int_equal(revision_of("s"), r1);
    run("SADD", "s", "a", NULL); /* no change, no stamp */
    assert_int_equal(revision_of("s"), r1);
    run("SREM", "s", "zz", NULL);
    assert_int_equal(revision_of("s"), r1);
    run("SADD", "s", "b", NULL);
    assert_int_equal(revision_of("s"), W.revision);
    run("SADD", "d", "c", NULL);
    run("SMOVE", "s", "d", "b", NULL);
    assert_int_equal(revision_of("s"), W.revision);
    assert_int_equal(revision_of("d"), W.revision);
    run("SPOP", "d", "1", NULL);
    assert_int_equal(revision_of("d"), W.revision);
    /* An expired set reads as absent; a write starts afresh. */
    run("PEXPIRE", "s", "100", NULL);
    W.now_ms += 100;
    EXPECT(":0\r\n", "SCARD", "s");
    EXPECT("*0\r\n", "SMEMBERS", "s");
    EXPECT(":0\r\n", "SISMEMBER", "s", "a");
    EXPECT(":1\r\n", "SADD", "s", "z");
    EXPECT("*1\r\n$1\r\nz\r\n", "SMEMBERS", "s");
    EXPECT(":-1\r\n", "PTTL", "s");
}

static void test_value_bytes_follow_members(void **state)
{
    (void)state;
    run("SADD", "s", "1", NULL);
    kv_obj *o = kv_lookup_any(&W.ks, "s", 1);
    size_t small = kv_obj_bytes(o);
    sadd_range("s", "", 0, 400);
    o = kv_lookup_any(&W.ks, "s", 1);
    size_t ints = kv_obj_bytes(o);
    assert_true(ints > small + 400); /* 2 bytes a member and more */
    sadd_range("s", "member:", 0, 400);
    o = kv_lookup_any(&W.ks, "s", 1);
    size_t table = kv_obj_bytes(o);
    assert_true(table > ints + 800 * 16);
    size_t before = mem_used_bytes();
    run("DEL", "s", NULL);
    assert_true(before - mem_used_bytes() >= table);
}

/* ---- Type operations ------------------------------------------------------- */

typedef struct collected {
    size_t count;
    double score_sum;
    char joined[256];
} collected;

static void collect(void *arg, const char *elem, size_t len, double score)
{
    collected *c = arg;
    c->count++;
    c->score_sum += score;
    strncat(c->joined, elem, len);
    strcat(c->joined, ",");
}

static void test_length_foreach_digest(void **state)
{
    (void)state;
    const kv_type_ops *ops = kv_type_ops_of(KV_SET);
    assert_non_null(ops);
    run("SADD", "i", "3", "1", "2", NULL);
    run("SADD", "h", "x", "1", "2", "3", NULL);
    run("SREM", "h", "x", NULL);
    kv_obj *i = kv_lookup_any(&W.ks, "i", 1), *h = kv_lookup_any(&W.ks, "h", 1);
    assert_int_equal(i->encoding, KV_ENC_INTSET);
    assert_int_equal(h->encoding, KV_ENC_HASHTABLE);
    assert_int_equal(ops->length(i), 3);
    assert_int_equal(ops->length(h), 3);
    collected c = {0, 0, ""};
    ops->foreach (i, collect, &c);
    assert_int_equal(c.count, 3);
    assert_true(c.score_sum == 3.0);
    assert_string_equal(c.joined, "1,2,3,"); /* an intset in ascending order */
    collected d = {0, 0, ""};
    ops->foreach (h, collect, &d);
    assert_int_equal(d.count, 3);
    /* Equal members digest equal in either encoding; any change shows. */
    assert_int_equal(ops->digest(i), ops->digest(h));
    run("SADD", "h", "4", NULL);
    assert_int_not_equal(ops->digest(i), ops->digest(h));
    run("SREM", "h", "4", NULL);
    run("SREM", "h", "3", NULL);
    run("SADD", "h", "03", NULL);
    assert_int_not_equal(ops->digest(i), ops->digest(h));
}

/* ---- Dump and load ----------------------------------------------------------- */

static int load_bytes(kv_keyspace *ks, const char *data, size_t len)
{
    source src = {data, len, 0};
    return kv_load(ks, from_source, &src);
}

/* Sets in every shape: intsets of each width, hashtables small and large,
 * in the middle of a rehash (growing at 5 members, shrinking after mass
 * removal), long and binary members. */
static void fill_sets(void)
{
    run("SADD", "i16", "1", "-2", "3", NULL);
    run("SADD", "i32", "1", "70000", NULL);
    run("SADD", "i64", "-5", "5000000000", NULL);
    run("SREM", "i64", "5000000000", NULL); /* keeps its 8-byte width */
    run("SADD", "h5", "a", "b", "c", "d", "e", NULL);
    sadd_range("h1000", "m", 0, 1000);
    sadd_range("shrunk", "m", 0, 2000);
    for (int k = 0; k < 1900; k++) {
        char m[16];
        snprintf(m, sizeof m, "m%d", k);
        run("SREM", "shrunk", m, NULL);
    }
    char longm[400];
    memset(longm, 'q', sizeof longm);
    cmd_arg argv[5] = {{"SADD", 4}, {"odd", 3}, {longm, 400}, {"", 0}, {"\0\xff", 2}};
    run_argv(argv, 5);
    run("SET", "str", "not a set", NULL);
}

static void test_dump_load_keeps_everything(void **state)
{
    (void)state;
    fill_sets();
    buf d;
    buf_init(&d);
    assert_int_equal(kv_dump(&W.ks, to_buf, &d), 0);
    /* Replicas of a shard share the keyspace's hash seed; the layout of each
     * table (its chains, its rehash) comes from the dump, not from
     * replaying inserts. */
    kv_keyspace other;
    kv_init(&other, W.ks.hash_seed);
    assert_int_equal(load_bytes(&other, d.data, d.len), 0);
    assert_int_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&other, W.now_ms));
    const char *keys[] = {"i16", "i32", "i64", "h5", "h1000", "shrunk", "odd"};
    for (size_t k = 0; k < 7; k++) {
        kv_obj *x = kv_lookup_any(&W.ks, keys[k], strlen(keys[k]));
        kv_obj *y = kv_lookup_any(&other, keys[k], strlen(keys[k]));
        assert_non_null(y);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->encoding, y->encoding);
        assert_int_equal(x->revision, y->revision);
        assert_int_equal(kv_obj_bytes(x), kv_obj_bytes(y));
    }
    /* Same layout: random picks, scan batches and pops agree. */
    kv_keyspace mine = W.ks;
    const char *probes[][6] = {
        {"SRANDMEMBER", "h1000", "-20"},
        {"SRANDMEMBER", "shrunk", "7"},
        {"SSCAN", "h1000", "0", "COUNT", "5"},
        {"SSCAN", "shrunk", "3"},
        {"SPOP", "h5", "2"},
        {"SPOP", "shrunk", "90"},
        {"SPOP", "h1000"},
        {"SADD", "h5", "f", "g"},
        {"SPOP", "h5", "4"},
        {"SMEMBERS", "i64"},
    };
    for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
        for (int seed = 0; seed < 3; seed++) {
            W.rand_seed = 77 + (uint64_t)seed;
            W.ks = mine;
            const char *a = run(probes[p][0], probes[p][1], probes[p][2], probes[p][3],
                                probes[p][4], NULL);
            char *saved = strdup(a);
            mine = W.ks;
            W.ks = other;
            const char *b = run(probes[p][0], probes[p][1], probes[p][2], probes[p][3],
                                probes[p][4], NULL);
            other = W.ks;
            assert_string_equal(saved, b);
            free(saved);
        }
    }
    W.ks = mine;
    assert_int_equal(kv_digest(&W.ks, W.now_ms), kv_digest(&other, W.now_ms));
    kv_destroy(&other);
    buf_free(&d);
}

static void test_truncated_dumps_are_refused(void **state)
{
    (void)state;
    run("SADD", "i", "1", "70000", NULL);
    run("SADD", "h", "a", "b", "c", "d", "e", NULL); /* mid-rehash */
    buf d;
    buf_init(&d);
    assert_int_equal(kv_dump(&W.ks, to_buf, &d), 0);
    kv_keyspace other;
    kv_init(&other, 1);
    for (size_t cut = 0; cut < d.len; cut++) {
        assert_int_equal(load_bytes(&other, d.data, cut), POLIS_ECORRUPT);
        assert_int_equal(kv_size(&other), 0);
    }
    assert_int_equal(load_bytes(&other, d.data, d.len), 0);
    kv_destroy(&other);
    buf_free(&d);
}

/* A dump of one set record "k" with the given encoding and value bytes. */
static void craft(buf *out, uint8_t enc, const uint8_t *value, size_t len)
{
    buf_init(out);
    buf_append(out, "PLSKV001", 8);
    const uint8_t count[8] = {1};
    buf_append(out, count, 8);
    const uint8_t head[5] = {KV_SET, enc, 0, 1, 'k'};
    buf_append(out, head, 5);
    const uint8_t revision[8] = {9};
    buf_append(out, revision, 8);
    buf_append(out, value, len);
    buf_append(out, "PLSKVEND", 8);
}

static int load_crafted(uint8_t enc, const uint8_t *value, size_t len)
{
    buf d;
    craft(&d, enc, value, len);
    kv_keyspace ks;
    kv_init(&ks, 1);
    int rv = load_bytes(&ks, d.data, d.len);
    if (rv == 0) {
        assert_int_equal(kv_size(&ks), 1);
    } else {
        assert_int_equal(kv_size(&ks), 0);
    }
    kv_destroy(&ks);
    buf_free(&d);
    return rv;
}

#define U64(v) (uint8_t)(v), 0, 0, 0, 0, 0, 0, 0

static void test_malformed_intsets_are_refused(void **state)
{
    (void)state;
    const uint8_t good[] = {2, 2, U64(1), U64(2)};
    assert_int_equal(load_crafted(KV_ENC_INTSET, good, sizeof good), 0);
    const uint8_t width3[] = {3, 2, U64(1), U64(2)};
    const uint8_t empty[] = {2, 0};
    const uint8_t unsorted[] = {2, 2, U64(2), U64(1)};
    const uint8_t duplicate[] = {2, 2, U64(1), U64(1)};
    const uint8_t too_wide[] = {2, 1, 0x70, 0x11, 0x01, 0, 0, 0, 0, 0}; /* 70000 */
    const uint8_t huge_count[] = {8, 0xff, 0xff, 0xff, 0xff, 0x07, U64(1)};
    const uint8_t *bad[] = {width3, empty, unsorted, duplicate, too_wide, huge_count};
    const size_t lens[] = {sizeof width3,    sizeof empty,    sizeof unsorted,
                           sizeof duplicate, sizeof too_wide, sizeof huge_count};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(load_crafted(KV_ENC_INTSET, bad[i], lens[i]), POLIS_ECORRUPT);
    /* An encoding sets do not have. */
    assert_int_equal(load_crafted(KV_ENC_LISTPACK, good, sizeof good), POLIS_ECORRUPT);
    assert_int_equal(load_crafted(KV_ENC_SKIPLIST, good, sizeof good), POLIS_ECORRUPT);
}

/* The value bytes of a real one-member hashtable dump of "k": seed (16),
 * count, size0, size1, rehash, then 4 one-byte empty chains but one. */
static size_t one_member_table(uint8_t *out, size_t *bucket)
{
    run("SADD", "k", "member", NULL);
    run("SADD", "k", "x", NULL); /* a hashtable */
    run("SREM", "k", "x", NULL);
    buf d;
    buf_init(&d);
    assert_int_equal(kv_dump(&W.ks, to_buf, &d), 0);
    size_t value_at = 8 + 8 + 5 + 8, len = d.len - value_at - 8;
    memcpy(out, d.data + value_at, len);
    buf_free(&d);
    assert_int_equal(out[16], 1); /* count */
    assert_int_equal(out[17], 4); /* size0 */
    assert_int_equal(out[18], 0); /* size1 */
    assert_int_equal(out[19], 0); /* rehash */
    for (*bucket = 0; out[20 + *bucket] == 0; (*bucket)++) {
    }
    assert_true(*bucket < 4);
    return len;
}

static void test_malformed_tables_are_refused(void **state)
{
    (void)state;
    uint8_t v[64], w[128];
    size_t b, len = one_member_table(v, &b);
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, v, len), 0);
    memcpy(w, v, len);
    w[16] = 2; /* count */
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len), POLIS_ECORRUPT);
    memcpy(w, v, len);
    w[17] = 6; /* not a power of two */
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len), POLIS_ECORRUPT);
    memcpy(w, v, len);
    w[17] =
        8; /* the member is no longer in the bucket its hash names (or data runs out) */
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len), POLIS_ECORRUPT);
    memcpy(w, v, len);
    w[20 + b + 2] ^= 1; /* another member, in the wrong bucket (most likely) */
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len), POLIS_ECORRUPT);
    memcpy(w, v, len);
    w[0] ^= 1; /* another seed: another bucket (most likely) */
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len), POLIS_ECORRUPT);
    memcpy(w, v, len);
    w[19] = 1; /* rehash progress without a second table */
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len), POLIS_ECORRUPT);
    /* Twice the same member in its bucket. */
    size_t m = 20 + b + 1, mlen = 1 + 6;
    memcpy(w, v, m);
    memcpy(w + m, v + m, mlen);
    memcpy(w + m + mlen, v + m, len - m);
    w[16] = 2;
    w[20 + b] = 2;
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len + mlen), POLIS_ECORRUPT);
    /* Mid-rehash into 8 buckets: the member's bucket of table 0 not yet
     * moved is fine; marked as moved it is refused. */
    memcpy(w, v, len);
    memset(w + len, 0, 8);
    w[18] = 8;
    w[19] = (uint8_t)b;
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len + 8), 0);
    w[19] = (uint8_t)(b + 1);
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len + 8), POLIS_ECORRUPT);
    w[19] = 5; /* beyond table 0 */
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, len + 8), POLIS_ECORRUPT);
    /* A huge table claimed by a few bytes fails when they run out. */
    memcpy(w, v, 17);
    const uint8_t huge[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 1, 0};
    memcpy(w + 17, huge, sizeof huge);
    assert_int_equal(load_crafted(KV_ENC_HASHTABLE, w, 17 + sizeof huge), POLIS_ECORRUPT);
}

/* A crafted mid-rehash table goes on working: adds finish the rehash. */
static void test_loaded_rehash_continues(void **state)
{
    (void)state;
    uint8_t v[64], w[128];
    size_t b, len = one_member_table(v, &b);
    memcpy(w, v, len);
    memset(w + len, 0, 8);
    w[18] = 8;
    w[19] = (uint8_t)b;
    buf d;
    craft(&d, KV_ENC_HASHTABLE, w, len + 8);
    kv_keyspace mine = W.ks;
    kv_keyspace other;
    kv_init(&other, 1);
    assert_int_equal(load_bytes(&other, d.data, d.len), 0);
    W.ks = other;
    sadd_range("k", "n", 0, 100);
    assert_int_equal(card("k"), 101);
    assert_true(is_member("k", "member"));
    assert_true(is_member("k", "n99"));
    other = W.ks;
    W.ks = mine;
    kv_destroy(&other);
    buf_free(&d);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_sadd_srem_scard),
        T(test_wrongtype_and_arity),
        T(test_intset_order_and_encoding),
        T(test_intset_limit),
        T(test_smove),
        T(test_sinter_family),
        T(test_sunion_sdiff),
        T(test_spop_srandmember_edges),
        T(test_sscan),
        T(test_resp3_shapes),
        T(test_spop_cases),
        T(test_spop_single_and_determinism),
        T(test_srandmember_cases),
        T(test_large_hashtable_and_sscan),
        T(test_members_of_any_bytes),
        T(test_revisions_and_expiry),
        T(test_value_bytes_follow_members),
        T(test_length_foreach_digest),
        T(test_dump_load_keeps_everything),
        T(test_truncated_dumps_are_refused),
        T(test_malformed_intsets_are_refused),
        T(test_malformed_tables_are_refused),
        T(test_loaded_rehash_continues),
    };
    int rv = cmocka_run_group_tests(tests, NULL, NULL);
    members_clear();
    return rv;
}
