/* Unit tests for the hash type (kv/t_hash.c), run through the real command
 * table: replies byte for byte as Redis 7.0 sends them, the listpack ->
 * hashtable conversion points (with lowered thresholds), HRANDFIELD's case
 * analysis and determinism, HSCAN over both encodings, dump/load round
 * trips, malformed dumps, the digest and memory accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv_dump_util.h"

#include "kv_world.h"

#include "base/error.h"
#include "base/varint.h"
#include "kv/listpack.h"
#include "kv/t_hash.h"
#include "kv/type.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
#define NOT_INT   "-ERR value is not an integer or out of range\r\n"
#define NOT_FLOAT "-ERR value is not a valid float\r\n"
#define SYNTAX    "-ERR syntax error\r\n"
#define LISTPACK  "$8\r\nlistpack\r\n"
#define HASHTABLE "$9\r\nhashtable\r\n"

/* ---- Helpers -------------------------------------------------------------- */

/* Runs HSET key with n generated pairs "f<i>" -> "v<i>" from `from`. */
static void hset_many(const char *key, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char f[32], v[32];
        snprintf(f, sizeof f, "f%d", i);
        snprintf(v, sizeof v, "v%d", i);
        run("HSET", key, f, v, NULL);
    }
}

/* The bulk strings of a reply, flattened (arrays nest for RESP3 pairs).
 * Returns the number of bulks; fails the test on anything else. */
#define BULKS_MAX 4096
typedef struct bulks {
    size_t n;
    char *s[BULKS_MAX];
    size_t len[BULKS_MAX];
} bulks;

static void bulks_free(bulks *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->s[i]);
    b->n = 0;
}

static const char *parse_bulks_at(const char *p, bulks *b)
{
    char *end;
    if (*p == '*' || *p == '%') {
        long n = strtol(p + 1, &end, 10);
        if (*p == '%') n *= 2;
        p = end + 2;
        for (long i = 0; i < n; i++)
            p = parse_bulks_at(p, b);
        return p;
    }
    assert_int_equal(*p, '$');
    long len = strtol(p + 1, &end, 10);
    assert_true(len >= 0 && b->n < BULKS_MAX);
    p = end + 2;
    b->s[b->n] = malloc((size_t)len + 1);
    memcpy(b->s[b->n], p, (size_t)len);
    b->s[b->n][len] = '\0';
    b->len[b->n] = (size_t)len;
    b->n++;
    return p + len + 2;
}

static void parse_bulks(const char *reply, bulks *b)
{
    b->n = 0;
    const char *end = parse_bulks_at(reply, b);
    assert_int_equal(*end, '\0');
}

static size_t header_count(const char *reply)
{
    assert_true(reply[0] == '*' || reply[0] == '%');
    return (size_t)strtoul(reply + 1, NULL, 10);
}

/* ---- Basic commands ------------------------------------------------------- */

static void test_hset_hget(void **state)
{
    (void)state;
    EXPECT(":2\r\n", "HSET", "h", "a", "1", "b", "2");
    EXPECT(":1\r\n", "HSET", "h", "a", "10", "c", "3");
    EXPECT("$2\r\n10\r\n", "HGET", "h", "a");
    EXPECT("$-1\r\n", "HGET", "h", "nope");
    EXPECT("$-1\r\n", "HGET", "missing", "a");
    EXPECT("+OK\r\n", "HMSET", "h", "d", "4");
    EXPECT("*3\r\n$1\r\n2\r\n$-1\r\n$1\r\n4\r\n", "HMGET", "h", "b", "x", "d");
    EXPECT("*2\r\n$-1\r\n$-1\r\n", "HMGET", "missing", "a", "b");
    EXPECT(":0\r\n", "HSETNX", "h", "a", "x");
    EXPECT(":1\r\n", "HSETNX", "h", "e", "5");
    EXPECT(":1\r\n", "HSETNX", "new", "f", "v");
    EXPECT(":5\r\n", "HLEN", "h");
    EXPECT(":0\r\n", "HLEN", "missing");
    EXPECT(":1\r\n", "HEXISTS", "h", "a");
    EXPECT(":0\r\n", "HEXISTS", "h", "z");
    EXPECT(":0\r\n", "HEXISTS", "missing", "a");
    EXPECT(":2\r\n", "HSTRLEN", "h", "a");
    EXPECT(":0\r\n", "HSTRLEN", "h", "z");
    EXPECT(":0\r\n", "HSTRLEN", "missing", "z");
    /* Empty field names and values are ordinary. */
    EXPECT(":1\r\n", "HSET", "h", "", "");
    EXPECT("$0\r\n\r\n", "HGET", "h", "");
    EXPECT("+hash\r\n", "TYPE", "h");
}

static void test_integer_values_read_back(void **state)
{
    (void)state;
    /* Canonical integers are listpack integers; they read back as digits,
     * and non-canonical ones stay strings. */
    run("HSET", "h", "i", "-9223372036854775808", "j", "007", "k", "12", "l", "-0", NULL);
    EXPECT("$20\r\n-9223372036854775808\r\n", "HGET", "h", "i");
    EXPECT(":20\r\n", "HSTRLEN", "h", "i");
    EXPECT("$3\r\n007\r\n", "HGET", "h", "j");
    EXPECT(":2\r\n", "HSTRLEN", "h", "k");
    EXPECT("$2\r\n-0\r\n", "HGET", "h", "l");
    run("HSET", "h", "12", "x", NULL);
    EXPECT("$1\r\nx\r\n", "HGET", "h", "12");
    EXPECT(":1\r\n", "HEXISTS", "h", "12");
    EXPECT(":0\r\n", "HEXISTS", "h", "012");
}

static void test_hdel(void **state)
{
    (void)state;
    run("HSET", "h", "a", "1", "b", "2", "c", "3", NULL);
    EXPECT(":0\r\n", "HDEL", "missing", "a");
    EXPECT(":2\r\n", "HDEL", "h", "a", "x", "b", "a");
    EXPECT(":1\r\n", "HLEN", "h");
    /* The last field deletes the key; later arguments are not looked at. */
    EXPECT(":1\r\n", "HDEL", "h", "c", "c");
    EXPECT(":0\r\n", "EXISTS", "h");
    /* Same in the hashtable encoding. */
    W.limits.hash_max_listpack_entries = 1;
    run("HSET", "t", "a", "1", "b", "2", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "t");
    EXPECT(":2\r\n", "HDEL", "t", "a", "b", "x");
    EXPECT(":0\r\n", "EXISTS", "t");
}

static void test_getall_keys_vals(void **state)
{
    (void)state;
    EXPECT("*0\r\n", "HGETALL", "missing");
    EXPECT("*0\r\n", "HKEYS", "missing");
    EXPECT("*0\r\n", "HVALS", "missing");
    EXPECT3("%0\r\n", "HGETALL", "missing");
    EXPECT3("*0\r\n", "HKEYS", "missing");
    run("HSET", "h", "z", "1", "a", "two", "m", "3", NULL);
    /* A listpack keeps insertion order; a replaced value keeps its place. */
    run("HSET", "h", "z", "one", NULL);
    EXPECT("*6\r\n$1\r\nz\r\n$3\r\none\r\n$1\r\na\r\n$3\r\ntwo\r\n$1\r\nm\r\n$1\r\n3\r\n",
           "HGETALL", "h");
    EXPECT3(
        "%3\r\n$1\r\nz\r\n$3\r\none\r\n$1\r\na\r\n$3\r\ntwo\r\n$1\r\nm\r\n$1\r\n3\r\n",
        "HGETALL", "h");
    EXPECT("*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nm\r\n", "HKEYS", "h");
    EXPECT("*3\r\n$3\r\none\r\n$3\r\ntwo\r\n$1\r\n3\r\n", "HVALS", "h");
    /* A deleted field leaves; a re-added one goes to the end. */
    run("HDEL", "h", "z", NULL);
    run("HSET", "h", "z", "again", NULL);
    EXPECT("*3\r\n$1\r\na\r\n$1\r\nm\r\n$1\r\nz\r\n", "HKEYS", "h");
    /* The hashtable returns everything once, in its own order. */
    W.limits.hash_max_listpack_entries = 2;
    hset_many("t", 0, 50);
    bulks b;
    parse_bulks(run("HGETALL", "t", NULL), &b);
    assert_int_equal(b.n, 100);
    int seen[50] = {0};
    for (size_t i = 0; i < b.n; i += 2) {
        int k = atoi(b.s[i] + 1);
        assert_true(k >= 0 && k < 50);
        assert_int_equal(atoi(b.s[i + 1] + 1), k);
        seen[k]++;
    }
    for (int k = 0; k < 50; k++)
        assert_int_equal(seen[k], 1);
    bulks_free(&b);
    assert_int_equal(header_count(run("HKEYS", "t", NULL)), 50);
    assert_int_equal(header_count(run("HVALS", "t", NULL)), 50);
}

static void test_wrongtype_and_arity(void **state)
{
    (void)state;
    run("SET", "s", "x", NULL);
    EXPECT(WRONGTYPE, "HSET", "s", "a", "1");
    EXPECT(WRONGTYPE, "HMSET", "s", "a", "1");
    EXPECT(WRONGTYPE, "HSETNX", "s", "a", "1");
    EXPECT(WRONGTYPE, "HGET", "s", "a");
    EXPECT(WRONGTYPE, "HMGET", "s", "a");
    EXPECT(WRONGTYPE, "HDEL", "s", "a");
    EXPECT(WRONGTYPE, "HLEN", "s");
    EXPECT(WRONGTYPE, "HEXISTS", "s", "a");
    EXPECT(WRONGTYPE, "HSTRLEN", "s", "a");
    EXPECT(WRONGTYPE, "HKEYS", "s");
    EXPECT(WRONGTYPE, "HVALS", "s");
    EXPECT(WRONGTYPE, "HGETALL", "s");
    EXPECT(WRONGTYPE, "HINCRBY", "s", "a", "1");
    EXPECT(WRONGTYPE, "HINCRBYFLOAT", "s", "a", "1");
    EXPECT(WRONGTYPE, "HRANDFIELD", "s");
    EXPECT(WRONGTYPE, "HRANDFIELD", "s", "0");
    EXPECT(WRONGTYPE, "HSCAN", "s", "0");
    EXPECT(WRONGTYPE, "HSCAN", "s", "0", "BAD");
    run("HSET", "h", "a", "1", NULL);
    EXPECT("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
           "GET", "h");
    /* Odd pairs: an arity error, before the type is looked at. */
    EXPECT("-ERR wrong number of arguments for 'hset' command\r\n", "HSET", "s", "a", "1",
           "b");
    EXPECT("-ERR wrong number of arguments for 'hmset' command\r\n", "HMSET", "h", "a",
           "1", "b");
    EXPECT("-ERR wrong number of arguments for 'hset' command\r\n", "HSET", "h", "a");
    EXPECT("-ERR wrong number of arguments for 'hget' command\r\n", "HGET", "h");
    EXPECT("-ERR wrong number of arguments for 'hdel' command\r\n", "HDEL", "h");
    EXPECT("-ERR wrong number of arguments for 'hmget' command\r\n", "HMGET", "h");
    EXPECT("-ERR wrong number of arguments for 'hsetnx' command\r\n", "HSETNX", "h", "a");
    EXPECT("-ERR wrong number of arguments for 'hincrby' command\r\n", "HINCRBY", "h",
           "a");
    EXPECT("-ERR wrong number of arguments for 'hrandfield' command\r\n", "HRANDFIELD");
    EXPECT("-ERR wrong number of arguments for 'hscan' command\r\n", "HSCAN", "h");
    EXPECT("-ERR wrong number of arguments for 'hlen' command\r\n", "HLEN", "h", "x");
    EXPECT(":1\r\n", "HLEN", "h");
}

static void test_expired_and_ttl(void **state)
{
    (void)state;
    run("HSET", "h", "a", "1", NULL);
    run("PEXPIRE", "h", "100", NULL);
    /* Writes keep the TTL. */
    run("HSET", "h", "b", "2", NULL);
    run("HINCRBY", "h", "c", "1", NULL);
    EXPECT(":100\r\n", "PTTL", "h");
    W.now_ms += 100;
    EXPECT("$-1\r\n", "HGET", "h", "a");
    EXPECT(":0\r\n", "HLEN", "h");
    EXPECT("*0\r\n", "HGETALL", "h");
    EXPECT(":0\r\n", "HDEL", "h", "a");
    /* A write finds it gone and starts afresh. */
    EXPECT(":1\r\n", "HSET", "h", "z", "9");
    EXPECT(":-1\r\n", "PTTL", "h");
    EXPECT("*2\r\n$1\r\nz\r\n$1\r\n9\r\n", "HGETALL", "h");
}

/* ---- Counters ------------------------------------------------------------- */

static void test_hincrby(void **state)
{
    (void)state;
    EXPECT(":5\r\n", "HINCRBY", "h", "n", "5");
    EXPECT(":-5\r\n", "HINCRBY", "h", "n", "-10");
    EXPECT("$2\r\n-5\r\n", "HGET", "h", "n");
    EXPECT(NOT_INT, "HINCRBY", "h", "n", "1.5");
    EXPECT(NOT_INT, "HINCRBY", "h", "n", " 1");
    EXPECT(NOT_INT, "HINCRBY", "h", "n", "9223372036854775808");
    EXPECT(NOT_INT, "HINCRBY", "missing", "n", "x");
    EXPECT(":0\r\n", "EXISTS", "missing");
    run("HSET", "h", "s", "abc", "z", "007", "big", "9223372036854775807", NULL);
    EXPECT("-ERR hash value is not an integer\r\n", "HINCRBY", "h", "s", "1");
    EXPECT("-ERR hash value is not an integer\r\n", "HINCRBY", "h", "z", "1");
    EXPECT("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "big", "1");
    EXPECT(":-1\r\n", "HINCRBY", "h", "big", "-9223372036854775808");
    EXPECT("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "big",
           "-9223372036854775808");
    EXPECT(":-9223372036854775808\r\n", "HINCRBY", "h", "min", "-9223372036854775808");
    EXPECT("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "min", "-1");
    /* The type is checked after the increment is parsed. */
    run("SET", "str", "1", NULL);
    EXPECT(NOT_INT, "HINCRBY", "str", "f", "x");
    EXPECT(WRONGTYPE, "HINCRBY", "str", "f", "1");
}

static void test_hincrbyfloat(void **state)
{
    (void)state;
    EXPECT("$4\r\n10.5\r\n", "HINCRBYFLOAT", "h", "f", "10.5");
    EXPECT("$3\r\n5.1\r\n", "HINCRBYFLOAT", "h", "f", "-5.4");
    EXPECT("$1\r\n0\r\n", "HINCRBYFLOAT", "h", "g", "-0");
    EXPECT("$2\r\n16\r\n", "HINCRBYFLOAT", "h", "x", "0x10");
    EXPECT("$3\r\n0.3\r\n", "HINCRBYFLOAT", "h", "y", "0.3");
    EXPECT("$1\r\n0\r\n", "HINCRBYFLOAT", "h", "y", "-0.3");
    EXPECT(NOT_FLOAT, "HINCRBYFLOAT", "h", "f", "abc");
    EXPECT(NOT_FLOAT, "HINCRBYFLOAT", "h", "f", "nan");
    EXPECT(NOT_FLOAT, "HINCRBYFLOAT", "h", "f", "");
    EXPECT(NOT_FLOAT, "HINCRBYFLOAT", "h", "f", " 1");
    EXPECT(NOT_FLOAT, "HINCRBYFLOAT", "h", "f", "1e");
    EXPECT("-ERR value is NaN or Infinity\r\n", "HINCRBYFLOAT", "h", "f", "inf");
    EXPECT("-ERR value is NaN or Infinity\r\n", "HINCRBYFLOAT", "h", "f", "-inf");
    EXPECT("-ERR value is NaN or Infinity\r\n", "HINCRBYFLOAT", "missing", "f", "inf");
    EXPECT(":0\r\n", "EXISTS", "missing");
    run("HSET", "h", "s", "abc", "i", "-9223372036854775808", "inf", "inf", "e", "1e3",
        NULL);
    EXPECT("-ERR hash value is not a float\r\n", "HINCRBYFLOAT", "h", "s", "1");
    EXPECT("$20\r\n-9223372036854775809\r\n", "HINCRBYFLOAT", "h", "i", "-1");
    EXPECT("$4\r\n1001\r\n", "HINCRBYFLOAT", "h", "e", "1");
    EXPECT("-ERR increment would produce NaN or Infinity\r\n", "HINCRBYFLOAT", "h", "inf",
           "1");
    /* Long doubles reach past double's range. */
    EXPECT(":1\r\n", "HSET", "h", "huge", "1.5e4931");
    const char *r = run("HINCRBYFLOAT", "h", "huge", "1e4931", NULL);
    assert_memory_equal(r, "$4932\r\n25000", 12);
    EXPECT("-ERR increment would produce NaN or Infinity\r\n", "HINCRBYFLOAT", "h",
           "huge", "1e4932");
    run("SET", "str", "1", NULL);
    EXPECT(NOT_FLOAT, "HINCRBYFLOAT", "str", "f", "x");
    EXPECT("-ERR value is NaN or Infinity\r\n", "HINCRBYFLOAT", "str", "f", "inf");
    EXPECT(WRONGTYPE, "HINCRBYFLOAT", "str", "f", "1");
}

/* ---- Encodings ------------------------------------------------------------ */

static void test_conversion_by_entries(void **state)
{
    (void)state;
    /* Redis 7.0's default is 512 fields. */
    hset_many("h", 0, 512);
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "h");
    hset_many("h", 0, 512); /* updates do not count */
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "h");
    hset_many("h", 512, 1);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "h");
    EXPECT(":513\r\n", "HLEN", "h");
    EXPECT("$4\r\nv512\r\n", "HGET", "h", "f512");
    /* Never back, even down to one field. */
    for (int i = 0; i < 512; i++) {
        char f[16];
        snprintf(f, sizeof f, "f%d", i);
        run("HDEL", "h", f, NULL);
    }
    EXPECT(":1\r\n", "HLEN", "h");
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "h");
    /* Lowered: the conversion happens in the middle of one HSET. */
    W.limits.hash_max_listpack_entries = 2;
    EXPECT(":4\r\n", "HSET", "m", "a", "1", "b", "2", "c", "3", "d", "4");
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "m");
    EXPECT("$1\r\n4\r\n", "HGET", "m", "d");
    /* Repeated fields are counted once (Redis 7.0 does not pre-size). */
    EXPECT(":1\r\n", "HSET", "dup", "a", "1", "a", "2", "a", "3", "a", "4");
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "dup");
    EXPECT("$1\r\n4\r\n", "HGET", "dup", "a");
    /* Entries 0: the first field converts. */
    W.limits.hash_max_listpack_entries = 0;
    run("HSET", "z", "a", "1", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "z");
}

static void test_conversion_by_value(void **state)
{
    (void)state;
    /* at and one past hash-max-listpack-value (64 by default) */
    char v64[65], v65[66];
    memset(v64, 'a', 64);
    v64[64] = '\0';
    memset(v65, 'b', 65);
    v65[65] = '\0';
    run("HSET", "h", v64, v64, NULL);
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "h");
    run("HSET", "h", "a", v65, NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "h");
    run("HSET", "k", v65, "1", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "k");
    EXPECT("$1\r\n1\r\n", "HGET", "k", v65);

    W.limits.hash_max_listpack_value = 8;
    /* Replacing an existing field's value converts too: the lengths of all
     * arguments are checked before any write. */
    run("HSET", "t", "a", "1", NULL);
    run("HSET", "t", "a", "123456789", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "t");
    /* Reads and deletes with long fields do not convert. */
    run("HSET", "r", "a", "12345678", NULL);
    EXPECT("$-1\r\n", "HGET", "r", "123456789");
    EXPECT(":0\r\n", "HDEL", "r", "123456789");
    EXPECT(":0\r\n", "HEXISTS", "r", "123456789");
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "r");
    /* HSETNX checks only when it writes. */
    EXPECT(":0\r\n", "HSETNX", "r", "a", "123456789");
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "r");
    EXPECT(":1\r\n", "HSETNX", "r", "b", "123456789");
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "r");
    /* HINCRBY and HINCRBYFLOAT convert on a long field or result. */
    run("HINCRBY", "i", "123456789", "1", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "i");
    run("HINCRBY", "j", "f", "99999999", NULL);
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "j");
    run("HINCRBY", "j", "f", "1", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "j");
    EXPECT("$11\r\n15000000000\r\n", "HINCRBYFLOAT", "k2", "f", "1.5e10");
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "k2");
    /* Value 0: any non-empty string converts. */
    W.limits.hash_max_listpack_value = 0;
    run("HSET", "e", "", "", NULL);
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "e");
    run("HSET", "e", "a", "", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "e");
}

static void test_hashtable_updates(void **state)
{
    (void)state;
    W.limits.hash_max_listpack_entries = 1;
    hset_many("h", 0, 200);
    /* Values grow and shrink in place of their nodes. */
    char big[1000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 200; i += 3) {
        char f[16];
        snprintf(f, sizeof f, "f%d", i);
        EXPECT(":0\r\n", "HSET", "h", f, big);
        EXPECT(":999\r\n", "HSTRLEN", "h", f);
        EXPECT(":0\r\n", "HSET", "h", f, "");
        EXPECT("$0\r\n\r\n", "HGET", "h", f);
        EXPECT(":0\r\n", "HSET", "h", f, big);
    }
    EXPECT(":200\r\n", "HLEN", "h");
    EXPECT("-ERR hash value is not an integer\r\n", "HINCRBY", "h", "f1", "7");
    EXPECT(":7\r\n", "HINCRBY", "h", "n", "7");
    EXPECT(":8\r\n", "HINCRBY", "h", "n", "1");
    EXPECT("$3\r\n8.5\r\n", "HINCRBYFLOAT", "h", "n", "0.5");
    EXPECT(":1\r\n", "HDEL", "h", "n");
    EXPECT("$2\r\nv2\r\n", "HGET", "h", "f2");
    for (int i = 0; i < 200; i++) {
        char f[16];
        snprintf(f, sizeof f, "f%d", i);
        EXPECT(":1\r\n", "HDEL", "h", f);
    }
    EXPECT(":0\r\n", "EXISTS", "h");
}

/* ---- HRANDFIELD ----------------------------------------------------------- */

static bool is_member(const char *field)
{
    return field[0] == 'f' && atoi(field + 1) >= 0 && atoi(field + 1) < 1000;
}

/* Checks a HRANDFIELD reply: `expect` elements (fields, or fields and
 * values), all members with their values, distinct if `unique`. */
static void check_picks(const char *reply, size_t expect, bool withvalues, bool unique)
{
    bulks b;
    parse_bulks(reply, &b);
    size_t step = withvalues ? 2 : 1;
    assert_int_equal(b.n, expect * step);
    for (size_t i = 0; i < b.n; i += step) {
        assert_true(is_member(b.s[i]));
        if (withvalues) assert_int_equal(atoi(b.s[i + 1] + 1), atoi(b.s[i] + 1));
        for (size_t j = 0; unique && j < i; j += step)
            assert_string_not_equal(b.s[i], b.s[j]);
    }
    bulks_free(&b);
}

static void check_hrandfield_cases(const char *key, size_t size)
{
    char n[32];
    /* CASE 1: negative counts repeat; any count. */
    check_picks(run("HRANDFIELD", key, "-5", NULL), 5, false, false);
    check_picks(run("HRANDFIELD", key, "-1000", "WITHVALUES", NULL), 1000, true, false);
    check_picks(run("HRANDFIELD", key, "1", NULL), 1, false, true);
    /* CASE 2: the whole hash. */
    snprintf(n, sizeof n, "%zu", size);
    check_picks(run("HRANDFIELD", key, n, NULL), size, false, true);
    check_picks(run("HRANDFIELD", key, "100000", "withvalues", NULL), size, true, true);
    /* CASE 2.5 / 3: close to the size; CASE 4: small against it. */
    snprintf(n, sizeof n, "%zu", size - 1);
    check_picks(run("HRANDFIELD", key, n, "WITHVALUES", NULL), size - 1, true, true);
    snprintf(n, sizeof n, "%zu", size / 2);
    check_picks(run("HRANDFIELD", key, n, NULL), size / 2, false, true);
    check_picks(run("HRANDFIELD", key, "2", "WITHVALUES", NULL), 2, true, true);
    /* Deterministic from the seed. */
    char first[8192];
    snprintf(first, sizeof first, "%s", run("HRANDFIELD", key, "-20", NULL));
    assert_string_equal(run("HRANDFIELD", key, "-20", NULL), first);
    W.rand_seed++;
    assert_string_not_equal(run("HRANDFIELD", key, "-20", NULL), first);
    const char *one = run("HRANDFIELD", key, NULL);
    assert_int_equal(one[0], '$');
}

static void test_hrandfield(void **state)
{
    (void)state;
    hset_many("lp", 0, 10);
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "lp");
    check_hrandfield_cases("lp", 10);
    W.limits.hash_max_listpack_entries = 4;
    hset_many("ht", 0, 300);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "ht");
    check_hrandfield_cases("ht", 300);
    /* The whole hash comes back in the value's own order. */
    run("HSET", "one", "a", "1", NULL);
    EXPECT("*2\r\n$1\r\na\r\n$1\r\n1\r\n", "HRANDFIELD", "one", "5", "WITHVALUES");
    EXPECT("*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n", "HRANDFIELD", "one", "-3");
    EXPECT("$1\r\na\r\n", "HRANDFIELD", "one");
}

static void test_hrandfield_errors_and_resp3(void **state)
{
    (void)state;
    EXPECT("$-1\r\n", "HRANDFIELD", "missing");
    EXPECT("*0\r\n", "HRANDFIELD", "missing", "5");
    EXPECT("*0\r\n", "HRANDFIELD", "missing", "-5", "WITHVALUES");
    EXPECT3("_\r\n", "HRANDFIELD", "missing");
    EXPECT3("*0\r\n", "HRANDFIELD", "missing", "5");
    run("HSET", "h", "a", "1", NULL);
    EXPECT("*0\r\n", "HRANDFIELD", "h", "0");
    EXPECT("*0\r\n", "HRANDFIELD", "h", "0", "WITHVALUES");
    EXPECT(NOT_INT, "HRANDFIELD", "h", "abc");
    EXPECT(NOT_INT, "HRANDFIELD", "h", "1.5");
    EXPECT("-ERR value is out of range, value must between -9223372036854775807 and "
           "9223372036854775807\r\n",
           "HRANDFIELD", "h", "-9223372036854775808");
    EXPECT(SYNTAX, "HRANDFIELD", "h", "1", "WITHVALUE");
    EXPECT(SYNTAX, "HRANDFIELD", "h", "1", "WITHVALUES", "x");
    EXPECT(SYNTAX, "HRANDFIELD", "missing", "1", "bad");
    EXPECT("-ERR value is out of range\r\n", "HRANDFIELD", "h", "4611686018427387904",
           "WITHVALUES");
    EXPECT("-ERR value is out of range\r\n", "HRANDFIELD", "missing",
           "-4611686018427387904", "WITHVALUES");
    EXPECT("*1\r\n$1\r\na\r\n", "HRANDFIELD", "h", "4611686018427387904");
    /* The count is parsed before the type is checked. */
    run("SET", "s", "x", NULL);
    EXPECT(NOT_INT, "HRANDFIELD", "s", "x");
    EXPECT(WRONGTYPE, "HRANDFIELD", "s", "1");
    /* RESP3: pairs nest when values are asked for. */
    EXPECT3("*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "HRANDFIELD", "h", "3", "WITHVALUES");
    EXPECT3("*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            "HRANDFIELD", "h", "-2", "WITHVALUES");
    EXPECT3("*2\r\n$1\r\na\r\n$1\r\na\r\n", "HRANDFIELD", "h", "-2");
    W.limits.hash_max_listpack_entries = 1;
    hset_many("t", 0, 30);
    const char *r = RUN3("HRANDFIELD", "t", "-4", "WITHVALUES");
    assert_memory_equal(r, "*4\r\n*2\r\n", 8);
    r = RUN3("HRANDFIELD", "t", "20", "WITHVALUES");
    assert_memory_equal(r, "*20\r\n*2\r\n", 9);
    r = RUN3("HRANDFIELD", "t", "3", "WITHVALUES");
    assert_memory_equal(r, "*3\r\n*2\r\n", 8);
}

/* ---- HSCAN ---------------------------------------------------------------- */

static void test_hscan_listpack(void **state)
{
    (void)state;
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", "HSCAN", "missing", "0");
    /* A missing key answers before the options are read. */
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", "HSCAN", "missing", "0", "BAD");
    EXPECT("-ERR invalid cursor\r\n", "HSCAN", "missing", "x");
    run("HSET", "h", "a1", "1", "b1", "2", "a2", "3", NULL);
    const char *all =
        "*2\r\n$1\r\n0\r\n*6\r\n$2\r\na1\r\n$1\r\n1\r\n$2\r\nb1\r\n$1\r\n2\r\n"
        "$2\r\na2\r\n$1\r\n3\r\n";
    EXPECT(all, "HSCAN", "h", "0");
    /* Any cursor, any COUNT: everything at once, cursor 0. */
    EXPECT(all, "HSCAN", "h", "123", "COUNT", "1");
    EXPECT(all, "HSCAN", "h", "-1");
    EXPECT(all, "HSCAN", "h", "");
    EXPECT(all, "HSCAN", "h", "0", "MATCH", "*");
    EXPECT("*2\r\n$1\r\n0\r\n*4\r\n$2\r\na1\r\n$1\r\n1\r\n$2\r\na2\r\n$1\r\n3\r\n",
           "HSCAN", "h", "0", "match", "a*", "count", "100");
    /* MATCH sees fields only. */
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", "HSCAN", "h", "0", "MATCH", "3");
    EXPECT("-ERR invalid cursor\r\n", "HSCAN", "h", " 1");
    EXPECT("-ERR invalid cursor\r\n", "HSCAN", "h", "1x");
    EXPECT("-ERR invalid cursor\r\n", "HSCAN", "h", "18446744073709551616");
    EXPECT(SYNTAX, "HSCAN", "h", "0", "COUNT", "0");
    EXPECT(SYNTAX, "HSCAN", "h", "0", "COUNT", "-1");
    EXPECT(NOT_INT, "HSCAN", "h", "0", "COUNT", "x");
    EXPECT(SYNTAX, "HSCAN", "h", "0", "MATCH");
    EXPECT(SYNTAX, "HSCAN", "h", "0", "TYPE", "hash");
    EXPECT(SYNTAX, "HSCAN", "h", "0", "NOVALUES");
    /* Integers come back as digits. */
    run("HSET", "i", "1", "-2", NULL);
    EXPECT("*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$2\r\n-2\r\n", "HSCAN", "i", "0");
}

/* Scans key from cursor 0 to the end with the given options; checks each
 * field 0..n-1 (f<i> -> v<i>) that matches `prefix` is seen exactly once. */
static void scan_all(const char *key, int n, const char *count, const char *pattern)
{
    int *seen = calloc((size_t)n, sizeof *seen);
    char cursor[32] = "0";
    int calls = 0;
    do {
        const char *r =
            pattern ? run("HSCAN", key, cursor, "COUNT", count, "MATCH", pattern, NULL)
                    : run("HSCAN", key, cursor, "COUNT", count, NULL);
        bulks b;
        parse_bulks(r, &b);
        assert_true(b.n % 2 == 1);
        snprintf(cursor, sizeof cursor, "%s", b.s[0]);
        for (size_t i = 1; i < b.n; i += 2) {
            int k = atoi(b.s[i] + 1);
            assert_true(k >= 0 && k < n);
            assert_int_equal(atoi(b.s[i + 1] + 1), k);
            seen[k]++;
        }
        bulks_free(&b);
        assert_true(++calls < 10000);
    } while (strcmp(cursor, "0") != 0);
    for (int k = 0; k < n; k++) {
        char f[16];
        snprintf(f, sizeof f, "f%d", k);
        bool match = pattern == NULL || strncmp(f, pattern, strlen(pattern) - 1) == 0;
        assert_int_equal(seen[k], match ? 1 : 0);
    }
    free(seen);
}

static void test_hscan_hashtable(void **state)
{
    (void)state;
    W.limits.hash_max_listpack_entries = 8;
    hset_many("h", 0, 500);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "h");
    scan_all("h", 500, "1", NULL);
    scan_all("h", 500, "10", NULL);
    scan_all("h", 500, "1000", NULL);
    scan_all("h", 500, "7", "f1*");
    /* A huge COUNT scans everything in one call. */
    const char *r = run("HSCAN", "h", "0", "COUNT", "9223372036854775807", NULL);
    assert_memory_equal(r, "*2\r\n$1\r\n0\r\n*1000\r\n", 18);
    /* COUNT 1 on a dense table: a few fields and a cursor to go on. */
    r = run("HSCAN", "h", "0", "COUNT", "1", NULL);
    assert_true(strncmp(r, "*2\r\n$1\r\n0\r\n", 11) != 0);
    /* After deletions have shrunk the table. */
    for (int i = 250; i < 500; i++) {
        char f[16];
        snprintf(f, sizeof f, "f%d", i);
        run("HDEL", "h", f, NULL);
    }
    scan_all("h", 250, "3", NULL);
}

/* ---- Dumps ---------------------------------------------------------------- */

static int load_from(const buf *b)
{
    source s = {b->data, b->len, 0};
    return kv_load(&W.ks, from_source, &s);
}

static void test_dump_load_round_trip(void **state)
{
    (void)state;
    run("HSET", "lp", "a", "1", "b", "-77", "c", "hello", "", "", NULL);
    W.limits.hash_max_listpack_entries = 4;
    hset_many("ht", 0, 100);
    run("HSET", "ht", "bin\r\n\x01", "", NULL);
    run("EXPIRE", "ht", "1000", NULL);
    run("HSET", "big", "x", "y", NULL);
    char lp_all[512];
    snprintf(lp_all, sizeof lp_all, "%s", run("HGETALL", "lp", NULL));
    uint64_t digest = kv_digest(&W.ks, W.now_ms);
    buf b;
    buf_init(&b);
    assert_int_equal(kv_dump(&W.ks, to_buf, &b), 0);
    kv_flush(&W.ks);
    assert_int_equal(load_from(&b), 0);
    assert_int_equal(kv_size(&W.ks), 3);
    assert_int_equal(kv_digest(&W.ks, W.now_ms), digest);
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "lp");
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "ht");
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "big");
    assert_string_equal(run("HGETALL", "lp", NULL), lp_all);
    EXPECT(":101\r\n", "HLEN", "ht");
    for (int i = 0; i < 100; i++) {
        char f[16], reply[32];
        snprintf(f, sizeof f, "f%d", i);
        snprintf(reply, sizeof reply, "$%d\r\nv%d\r\n", i < 10 ? 2 : 3, i);
        EXPECT(reply, "HGET", "ht", f);
    }
    EXPECT("$0\r\n\r\n", "HGET", "ht", "bin\r\n\x01");
    EXPECT(":1000\r\n", "TTL", "ht");
    /* Loaded values work as before: writes, conversions, deletes. */
    run("HSET", "big", "p", "1", "q", "2", "r", "3", "s", "4", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "big");
    EXPECT(":0\r\n", "HSET", "ht", "f1", "new");
    EXPECT(":1\r\n", "HDEL", "lp", "a");
    /* Every prefix of the dump is refused and leaves nothing behind. */
    for (size_t cut = 0; cut < b.len; cut++) {
        buf part = {b.data, cut, cut};
        assert_int_equal(load_from(&part), POLIS_ECORRUPT);
        assert_int_equal(kv_size(&W.ks), 0);
    }
    buf_free(&b);
}

/* A dump of one hash key "h" with the given encoding; the caller writes
 * the value into b, then dump_end. */
static void dump_begin(buf *b, uint8_t encoding)
{
    buf_init(b);
    buf_append(b, "PLSKV001", 8);
    uint64_t one = 1;
    buf_append(b, &one, 8); /* little-endian host */
    uint8_t head[3] = {KV_HASH, encoding, 0};
    buf_append(b, head, 3);
    buf_append(b, "\x01h", 2);
    uint64_t revision = 5;
    buf_append(b, &revision, 8);
}

static void put_varint(buf *b, uint64_t v)
{
    uint8_t tmp[VARINT_BYTES_MAX];
    buf_append(b, tmp, varint_encode(tmp, v));
}

static void put_str(buf *b, const char *s)
{
    put_varint(b, strlen(s));
    buf_append(b, s, strlen(s));
}

/* Listpack value from NULL-terminated entries; count_delta skews the
 * announced count. */
static void put_listpack(buf *b, int count_delta, ...)
{
    kv_lp *lp = lp_new();
    va_list ap;
    va_start(ap, count_delta);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        lp_append(&lp, s, strlen(s));
    va_end(ap);
    put_varint(b, (uint64_t)((int64_t)lp_count(lp) + count_delta));
    put_varint(b, lp->bytes);
    buf_append(b, lp->data, lp->bytes);
    lp_free(lp);
}

static void put_table(buf *b, uint64_t count, ...)
{
    uint64_t seed = 42;
    buf_append(b, &seed, 8);
    put_varint(b, count);
    va_list ap;
    va_start(ap, count);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        put_str(b, s);
    va_end(ap);
}

static void expect_load(buf *b, int rv)
{
    buf_append(b, "PLSKVEND", 8);
    assert_int_equal(load_from(b), rv);
    assert_int_equal(kv_size(&W.ks), rv == 0 ? 1 : 0);
    buf_free(b);
}

static void test_malformed_dumps(void **state)
{
    (void)state;
    buf b;
    /* Well-formed hand-made dumps load (the builders are right). */
    dump_begin(&b, KV_ENC_LISTPACK);
    put_listpack(&b, 0, "a", "1", "b", "2", NULL);
    expect_load(&b, 0);
    EXPECT("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL", "h");
    dump_begin(&b, KV_ENC_HASHTABLE);
    put_table(&b, 2, "a", "1", "b", "2", NULL);
    expect_load(&b, 0);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "h");
    EXPECT("$1\r\n2\r\n", "HGET", "h", "b");
    /* Empty, odd, miscounted, repeated, garbage. */
    dump_begin(&b, KV_ENC_LISTPACK);
    put_listpack(&b, 0, NULL);
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_LISTPACK);
    put_listpack(&b, 0, "a", "1", "b", NULL);
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_LISTPACK);
    put_listpack(&b, 2, "a", "1", NULL);
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_LISTPACK);
    put_listpack(&b, 0, "a", "1", "b", "2", "a", "3", NULL);
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_LISTPACK);
    put_listpack(&b, 0, "12", "1", "12", "2", NULL); /* integer fields */
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_LISTPACK);
    put_varint(&b, 2);
    put_str(&b, "\xff\xff\xff");
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_HASHTABLE);
    put_table(&b, 0, NULL);
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_HASHTABLE);
    put_table(&b, 2, "a", "1", "a", "2", NULL);
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_HASHTABLE);
    put_table(&b, 3, "a", "1", "b", "2", NULL); /* runs into the end marker */
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_HASHTABLE);
    put_table(&b, UINT64_MAX, "a", "1", NULL);
    expect_load(&b, POLIS_ECORRUPT);
    /* Encodings that are not a hash's. */
    dump_begin(&b, KV_ENC_INTSET);
    put_listpack(&b, 0, "a", "1", NULL);
    expect_load(&b, POLIS_ECORRUPT);
    dump_begin(&b, KV_ENC_SKIPLIST);
    put_table(&b, 1, "a", "1", NULL);
    expect_load(&b, POLIS_ECORRUPT);
}

/* ---- Digest and memory ---------------------------------------------------- */

static void test_digest_ignores_encoding(void **state)
{
    (void)state;
    run("HSET", "h", "a", "1", "b", "2", "c", "three", NULL);
    EXPECT(LISTPACK, "OBJECT", "ENCODING", "h");
    uint64_t listpack = kv_digest(&W.ks, W.now_ms);
    kv_flush(&W.ks);
    W.limits.hash_max_listpack_entries = 1;
    run("HSET", "h", "c", "three", "b", "2", "a", "1", NULL);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "h");
    assert_int_equal(kv_digest(&W.ks, W.now_ms), listpack);
    /* Every change shows. */
    run("HSET", "h", "c", "four", NULL);
    assert_int_not_equal(kv_digest(&W.ks, W.now_ms), listpack);
    run("HSET", "h", "c", "three", NULL);
    assert_int_equal(kv_digest(&W.ks, W.now_ms), listpack);
    run("HDEL", "h", "a", NULL);
    run("HSET", "h", "1", "a", NULL); /* field and value swapped */
    assert_int_not_equal(kv_digest(&W.ks, W.now_ms), listpack);
    const kv_obj *o = kv_lookup_any(&W.ks, "h", 1);
    assert_int_equal(kv_hash_ops.length(o), 3);
}

/* value_bytes must account for every block: the keyspace's growth by a
 * hash equals the object's size (mem_used_bytes counts every allocation). */
static void expect_accounted(const char *key, size_t before)
{
    const kv_obj *o = kv_lookup_any(&W.ks, key, strlen(key));
    assert_non_null(o);
    assert_int_equal(mem_used_bytes() - before, kv_obj_bytes(o));
}

static void test_memory_accounting(void **state)
{
    (void)state;
    /* a key in h's slot: its table exists before h is measured */
    run("SET", "{h}other", "x", NULL);
    buf_reserve(&W.out, 1 << 16); /* replies must not allocate while measuring */
    size_t before = mem_used_bytes();
    run("HSET", "h", "a", "1", "b", "two", NULL);
    expect_accounted("h", before);
    W.limits.hash_max_listpack_entries = 4;
    hset_many("h", 0, 300);
    EXPECT(HASHTABLE, "OBJECT", "ENCODING", "h");
    expect_accounted("h", before);
    char big[300];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    run("HSET", "h", "f7", big, NULL);
    run("HINCRBY", "h", "n", "5", NULL);
    expect_accounted("h", before);
    /* Shrinking a value reallocates the node; a value that fits stays. */
    run("HSET", "h", "f7", "small", NULL);
    expect_accounted("h", before);
    run("HSET", "h", "f7", "smal", NULL);
    run("HINCRBY", "h", "n", "100", NULL);
    expect_accounted("h", before);
    EXPECT("$4\r\nsmal\r\n", "HGET", "h", "f7");
    EXPECT("$3\r\n105\r\n", "HGET", "h", "n");
    for (int i = 0; i < 290; i++) {
        char f[16];
        snprintf(f, sizeof f, "f%d", i);
        run("HDEL", "h", f, NULL);
    }
    expect_accounted("h", before);
    const kv_obj *o = kv_lookup_any(&W.ks, "h", 1);
    assert_true(kv_hash_ops.value_bytes(o) > 12 * 16);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_hset_hget),
        T(test_integer_values_read_back),
        T(test_hdel),
        T(test_getall_keys_vals),
        T(test_wrongtype_and_arity),
        T(test_expired_and_ttl),
        T(test_hincrby),
        T(test_hincrbyfloat),
        T(test_conversion_by_entries),
        T(test_conversion_by_value),
        T(test_hashtable_updates),
        T(test_hrandfield),
        T(test_hrandfield_errors_and_resp3),
        T(test_hscan_listpack),
        T(test_hscan_hashtable),
        T(test_dump_load_round_trip),
        T(test_malformed_dumps),
        T(test_digest_ignores_encoding),
        T(test_memory_accounting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
