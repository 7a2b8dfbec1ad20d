/* Unit tests for the list commands, run through the real command table
 * against a keyspace with a controlled clock: replies are compared byte for
 * byte with what Redis 7.0.15 sends (RESP2, and RESP3 where the shapes
 * differ). Also: the blocking handlers' contract in its three modes, node
 * layout under lowered list-max-listpack-size, dump/load round trips,
 * digests that ignore layout, and malformed dumps refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kv_dump_util.h"

#include "kv_world.h"

#include "base/error.h"
#include "kv/quicklist.h"
#include "kv/type.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
#define NOT_INT   "-ERR value is not an integer or out of range\r\n"
#define POSITIVE  "-ERR value is out of range, must be positive\r\n"
#define SYNTAX    "-ERR syntax error\r\n"

/* ---- A runner with the protocol version and blocking flags ---------------- */

typedef struct call_opts {
    int proto;
    bool timed_out;
    bool no_block;
} call_opts;

typedef struct call_result {
    const char *reply;
    bool block;
    int64_t block_timeout_ms;
} call_result;

static call_result run_opts(call_opts opts, const char *first, ...)
{
    cmd_arg argv[WORLD_ARGS_MAX];
    va_list ap;
    va_start(ap, first);
    size_t argc = world_words(first, ap, argv);
    va_end(ap);
    world_call o = {
        .proto = opts.proto, .timed_out = opts.timed_out, .no_block = opts.no_block};
    const char *reply = run_argv_with(o, argv, argc);
    return (call_result){reply, W_last.block, W_last.block_timeout_ms};
}

static quicklist *list_at(const char *key)
{
    kv_obj *o = kv_lookup_any(&W.ks, key, strlen(key));
    assert_non_null(o);
    assert_int_equal(o->type, KV_LIST);
    return o->v.ptr;
}

/* ---- Push, pop, length ------------------------------------------------------- */

static void test_push_and_length(void **state)
{
    (void)state;
    EXPECT(":3\r\n", "RPUSH", "l", "a", "b", "c");
    EXPECT(":5\r\n", "LPUSH", "l", "y", "z");
    EXPECT("*5\r\n$1\r\nz\r\n$1\r\ny\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "l",
           "0", "-1");
    EXPECT(":5\r\n", "LLEN", "l");
    EXPECT(":0\r\n", "LLEN", "missing");
    EXPECT(":0\r\n", "LPUSHX", "missing", "a");
    EXPECT(":0\r\n", "RPUSHX", "missing", "a", "b");
    EXPECT(":0\r\n", "EXISTS", "missing");
    EXPECT(":7\r\n", "RPUSHX", "l", "1", "2");
    EXPECT(":8\r\n", "LPUSHX", "l", "0");
    EXPECT("$9\r\nquicklist\r\n", "OBJECT", "ENCODING", "l");
    EXPECT("+list\r\n", "TYPE", "l");
    run("SET", "s", "x", NULL);
    EXPECT(WRONGTYPE, "LPUSH", "s", "a");
    EXPECT(WRONGTYPE, "RPUSHX", "s", "a");
    EXPECT(WRONGTYPE, "LLEN", "s");
    EXPECT("-ERR wrong number of arguments for 'lpush' command\r\n", "LPUSH", "l");
    EXPECT("-ERR wrong number of arguments for 'rpushx' command\r\n", "RPUSHX", "l");
    /* One element is a quicklist too (Redis 7.0). */
    EXPECT(":1\r\n", "LPUSH", "one", "");
    EXPECT("$9\r\nquicklist\r\n", "OBJECT", "ENCODING", "one");
    EXPECT("*1\r\n$0\r\n\r\n", "LRANGE", "one", "0", "0");
}

static void test_pop_with_and_without_count(void **state)
{
    (void)state;
    run("RPUSH", "l", "a", "b", "c", "d", "e", "42", NULL);
    EXPECT("$1\r\na\r\n", "LPOP", "l");
    EXPECT("$2\r\n42\r\n", "RPOP", "l");
    EXPECT("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "LPOP", "l", "2");
    EXPECT("*0\r\n", "LPOP", "l", "0");
    EXPECT("*2\r\n$1\r\ne\r\n$1\r\nd\r\n", "RPOP", "l", "9223372036854775807");
    EXPECT(":0\r\n", "EXISTS", "l");
    EXPECT("$-1\r\n", "LPOP", "l");
    EXPECT("*-1\r\n", "LPOP", "l", "1");
    EXPECT("*-1\r\n", "RPOP", "l", "0");
    EXPECT(POSITIVE, "LPOP", "l", "-1");
    EXPECT(POSITIVE, "RPOP", "l", "abc");
    EXPECT("-ERR wrong number of arguments for 'lpop' command\r\n", "LPOP", "l", "1",
           "2");
    run("SET", "s", "x", NULL);
    EXPECT(WRONGTYPE, "LPOP", "s");
    EXPECT(WRONGTYPE, "RPOP", "s", "0");
    EXPECT(POSITIVE, "RPOP", "s", "-5"); /* the count is parsed first */
    /* RESP3: nulls are "_", arrays as in RESP2. */
    EXPECT3("_\r\n", "LPOP", "l");
    EXPECT3("_\r\n", "LPOP", "l", "3");
    run("RPUSH", "l", "x", NULL);
    EXPECT3("*0\r\n", "LPOP", "l", "0");
    EXPECT3("*1\r\n$1\r\nx\r\n", "RPOP", "l", "5");
}

/* ---- Reads ----------------------------------------------------------------- */

static void test_lrange_and_lindex(void **state)
{
    (void)state;
    run("RPUSH", "l", "a", "b", "c", "-1", "7", NULL);
    EXPECT("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "l", "1", "2");
    EXPECT("*2\r\n$2\r\n-1\r\n$1\r\n7\r\n", "LRANGE", "l", "-2", "100");
    EXPECT("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$2\r\n-1\r\n$1\r\n7\r\n", "LRANGE",
           "l", "-9223372036854775808", "9223372036854775807");
    EXPECT("*0\r\n", "LRANGE", "l", "3", "2");
    EXPECT("*0\r\n", "LRANGE", "l", "5", "10");
    EXPECT("*0\r\n", "LRANGE", "l", "0", "-6");
    EXPECT("*1\r\n$1\r\na\r\n", "LRANGE", "l", "-100", "0");
    EXPECT("*0\r\n", "LRANGE", "missing", "0", "-1");
    EXPECT(NOT_INT, "LRANGE", "missing", "x", "1");
    EXPECT(NOT_INT, "LRANGE", "l", "0", "1.5");
    run("SET", "s", "x", NULL);
    EXPECT(NOT_INT, "LRANGE", "s", "a", "0");
    EXPECT(WRONGTYPE, "LRANGE", "s", "0", "0");
    EXPECT("$1\r\na\r\n", "LINDEX", "l", "0");
    EXPECT("$1\r\n7\r\n", "LINDEX", "l", "-1");
    EXPECT("$2\r\n-1\r\n", "LINDEX", "l", "3");
    EXPECT("$-1\r\n", "LINDEX", "l", "5");
    EXPECT("$-1\r\n", "LINDEX", "l", "-6");
    EXPECT("$-1\r\n", "LINDEX", "l", "-9223372036854775808");
    EXPECT(NOT_INT, "LINDEX", "l", "x");
    /* Redis looks the key up before parsing the index. */
    EXPECT("$-1\r\n", "LINDEX", "missing", "x");
    EXPECT(WRONGTYPE, "LINDEX", "s", "x");
    EXPECT3("_\r\n", "LINDEX", "missing", "0");
}

static void test_lpos(void **state)
{
    (void)state;
    run("RPUSH", "l", "a", "b", "a", "c", "a", "1", NULL);
    EXPECT(":0\r\n", "LPOS", "l", "a");
    EXPECT(":5\r\n", "LPOS", "l", "1");
    EXPECT(":2\r\n", "LPOS", "l", "a", "RANK", "2");
    EXPECT(":4\r\n", "LPOS", "l", "a", "RANK", "-1");
    EXPECT(":2\r\n", "LPOS", "l", "a", "RANK", "-2");
    EXPECT("$-1\r\n", "LPOS", "l", "a", "RANK", "4");
    EXPECT("*3\r\n:0\r\n:2\r\n:4\r\n", "LPOS", "l", "a", "COUNT", "0");
    EXPECT("*2\r\n:0\r\n:2\r\n", "LPOS", "l", "a", "COUNT", "2");
    EXPECT("*2\r\n:2\r\n:0\r\n", "LPOS", "l", "a", "RANK", "-2", "COUNT", "0");
    EXPECT("*1\r\n:0\r\n", "LPOS", "l", "a", "MAXLEN", "2", "COUNT", "0");
    EXPECT("$-1\r\n", "LPOS", "l", "c", "MAXLEN", "3");
    EXPECT(":3\r\n", "LPOS", "l", "c", "MAXLEN", "4");
    EXPECT("*0\r\n", "LPOS", "l", "zz", "COUNT", "0");
    EXPECT("$-1\r\n", "LPOS", "l", "zz");
    EXPECT(":4\r\n", "LPOS", "l", "a", "rank", "1", "RANK", "3"); /* the last wins */
    EXPECT("*2\r\n:0\r\n:2\r\n", "LPOS", "l", "a", "COUNT", "1", "count", "2");
    /* RANK -2^63: Redis's negation overflows, every match counts and COUNT
     * never stops the scan. */
    EXPECT(":4\r\n", "LPOS", "l", "a", "RANK", "-9223372036854775808");
    EXPECT("*3\r\n:4\r\n:2\r\n:0\r\n", "LPOS", "l", "a", "RANK", "-9223372036854775808",
           "COUNT", "1");
    EXPECT("$-1\r\n", "LPOS", "l", "a", "RANK", "9223372036854775807");
    EXPECT("-ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
           "second ... or use negative to start from the end of the list\r\n",
           "LPOS", "l", "a", "RANK", "0");
    EXPECT(NOT_INT, "LPOS", "l", "a", "RANK", "x");
    EXPECT("-ERR COUNT can't be negative\r\n", "LPOS", "l", "a", "COUNT", "-1");
    EXPECT("-ERR COUNT can't be negative\r\n", "LPOS", "l", "a", "COUNT", "x");
    EXPECT("-ERR MAXLEN can't be negative\r\n", "LPOS", "l", "a", "MAXLEN", "-1");
    EXPECT(SYNTAX, "LPOS", "l", "a", "RANK");
    EXPECT(SYNTAX, "LPOS", "l", "a", "FIRST", "1");
    /* Options are checked before the key. */
    EXPECT(SYNTAX, "LPOS", "missing", "a", "BAD");
    EXPECT("*0\r\n", "LPOS", "missing", "a", "COUNT", "3");
    EXPECT("$-1\r\n", "LPOS", "missing", "a");
    run("SET", "s", "x", NULL);
    EXPECT(WRONGTYPE, "LPOS", "s", "a");
    EXPECT3("_\r\n", "LPOS", "missing", "a");
}

/* ---- Changes in place ---------------------------------------------------------- */

static void test_lset_and_linsert(void **state)
{
    (void)state;
    run("RPUSH", "l", "a", "b", "c", NULL);
    EXPECT("+OK\r\n", "LSET", "l", "1", "B");
    EXPECT("+OK\r\n", "LSET", "l", "-1", "100");
    EXPECT("*3\r\n$1\r\na\r\n$1\r\nB\r\n$3\r\n100\r\n", "LRANGE", "l", "0", "-1");
    EXPECT("-ERR index out of range\r\n", "LSET", "l", "3", "x");
    EXPECT("-ERR index out of range\r\n", "LSET", "l", "-4", "x");
    EXPECT(NOT_INT, "LSET", "l", "x", "x");
    EXPECT("-ERR no such key\r\n", "LSET", "missing", "x", "x");
    run("SET", "s", "x", NULL);
    EXPECT(WRONGTYPE, "LSET", "s", "x", "x");
    EXPECT(":4\r\n", "LINSERT", "l", "BEFORE", "a", "first");
    EXPECT(":5\r\n", "LINSERT", "l", "after", "100", "last");
    EXPECT(":6\r\n", "LINSERT", "l", "AFTER", "B", "mid");
    EXPECT(":-1\r\n", "LINSERT", "l", "AFTER", "zz", "x");
    EXPECT("*6\r\n$5\r\nfirst\r\n$1\r\na\r\n$1\r\nB\r\n$3\r\nmid\r\n$3\r\n100\r\n$"
           "4\r\nlast\r\n",
           "LRANGE", "l", "0", "-1");
    EXPECT(SYNTAX, "LINSERT", "l", "MIDDLE", "a", "x");
    EXPECT(SYNTAX, "LINSERT", "missing", "MIDDLE", "a", "x");
    EXPECT(":0\r\n", "LINSERT", "missing", "BEFORE", "a", "x");
    EXPECT(WRONGTYPE, "LINSERT", "s", "BEFORE", "a", "x");
    /* An integer pivot matches an integer element. */
    EXPECT(":7\r\n", "LINSERT", "l", "BEFORE", "100", "99");
    EXPECT("$2\r\n99\r\n", "LINDEX", "l", "4");
}

static void test_lrem_and_ltrim(void **state)
{
    (void)state;
    run("RPUSH", "l", "x", "a", "x", "b", "x", "c", "x", NULL);
    EXPECT(":2\r\n", "LREM", "l", "2", "x");
    EXPECT("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\nc\r\n$1\r\nx\r\n", "LRANGE", "l",
           "0", "-1");
    EXPECT(":1\r\n", "LREM", "l", "-1", "x");
    EXPECT("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\nc\r\n", "LRANGE", "l", "0",
           "-1");
    EXPECT(":0\r\n", "LREM", "l", "0", "zz");
    run("RPUSH", "l", "x", "x", NULL);
    EXPECT(":3\r\n", "LREM", "l", "0", "x");
    EXPECT(":1\r\n", "LREM", "l", "-9223372036854775808", "a");
    EXPECT(NOT_INT, "LREM", "l", "x", "a");
    EXPECT(NOT_INT, "LREM", "missing", "x", "a");
    EXPECT(":0\r\n", "LREM", "missing", "0", "a");
    EXPECT(":1\r\n", "LREM", "l", "0", "b");
    EXPECT(":1\r\n", "LREM", "l", "1", "c");
    EXPECT(":0\r\n", "EXISTS", "l"); /* emptied: deleted */
    run("SET", "s", "x", NULL);
    EXPECT(WRONGTYPE, "LREM", "s", "0", "x");

    run("RPUSH", "t", "0", "1", "2", "3", "4", "5", NULL);
    EXPECT("+OK\r\n", "LTRIM", "t", "1", "-2");
    EXPECT("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n", "LRANGE", "t", "0",
           "-1");
    EXPECT("+OK\r\n", "LTRIM", "t", "-100", "100");
    EXPECT(":4\r\n", "LLEN", "t");
    EXPECT("+OK\r\n", "LTRIM", "t", "1", "1");
    EXPECT("*1\r\n$1\r\n2\r\n", "LRANGE", "t", "0", "-1");
    EXPECT("+OK\r\n", "LTRIM", "t", "2", "1");
    EXPECT(":0\r\n", "EXISTS", "t");
    EXPECT("+OK\r\n", "LTRIM", "missing", "0", "1");
    EXPECT(NOT_INT, "LTRIM", "missing", "a", "1");
    EXPECT(WRONGTYPE, "LTRIM", "s", "0", "1");
}

/* ---- Moves --------------------------------------------------------------------- */

static void test_lmove_and_rpoplpush(void **state)
{
    (void)state;
    run("RPUSH", "src", "a", "b", "c", "12", NULL);
    EXPECT("$2\r\n12\r\n", "RPOPLPUSH", "src", "dst");
    EXPECT("$1\r\na\r\n", "LMOVE", "src", "dst", "LEFT", "RIGHT");
    EXPECT("*2\r\n$2\r\n12\r\n$1\r\na\r\n", "LRANGE", "dst", "0", "-1");
    /* Rotation on one key, both directions. */
    EXPECT("$1\r\nb\r\n", "LMOVE", "src", "src", "left", "right");
    EXPECT("*2\r\n$1\r\nc\r\n$1\r\nb\r\n", "LRANGE", "src", "0", "-1");
    EXPECT("$1\r\nb\r\n", "RPOPLPUSH", "src", "src");
    EXPECT("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "src", "0", "-1");
    EXPECT("$1\r\nb\r\n", "LMOVE", "src", "src", "LEFT", "LEFT");
    EXPECT("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "src", "0", "-1");
    /* The source disappears with its last element. */
    run("RPUSH", "one", "x", NULL);
    EXPECT("$1\r\nx\r\n", "LMOVE", "one", "dst", "RIGHT", "LEFT");
    EXPECT(":0\r\n", "EXISTS", "one");
    EXPECT("$1\r\nx\r\n", "LINDEX", "dst", "0");
    run("RPUSH", "self", "only", NULL);
    EXPECT("$4\r\nonly\r\n", "RPOPLPUSH", "self", "self");
    EXPECT(":1\r\n", "LLEN", "self");
    run("SET", "s", "x", NULL);
    EXPECT("$-1\r\n", "LMOVE", "missing", "s", "LEFT", "LEFT");
    EXPECT("$-1\r\n", "RPOPLPUSH", "missing", "dst");
    EXPECT(WRONGTYPE, "LMOVE", "src", "s", "LEFT", "LEFT");
    EXPECT(WRONGTYPE, "RPOPLPUSH", "s", "src");
    EXPECT("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "src", "0", "-1"); /* untouched */
    EXPECT(SYNTAX, "LMOVE", "src", "dst", "MIDDLE", "LEFT");
    EXPECT(SYNTAX, "LMOVE", "missing", "dst", "LEFT", "UP");
    EXPECT3("_\r\n", "LMOVE", "missing", "dst", "LEFT", "LEFT");
}

static void test_lmpop(void **state)
{
    (void)state;
    run("RPUSH", "a", "1", "2", "3", NULL);
    run("RPUSH", "b", "x", NULL);
    EXPECT("*2\r\n$1\r\na\r\n*1\r\n$1\r\n1\r\n", "LMPOP", "2", "missing", "a", "LEFT");
    EXPECT("*2\r\n$1\r\na\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n", "LMPOP", "2", "a", "b",
           "RIGHT", "COUNT", "10");
    EXPECT(":0\r\n", "EXISTS", "a");
    EXPECT("*2\r\n$1\r\nb\r\n*1\r\n$1\r\nx\r\n", "LMPOP", "1", "b", "left", "count", "1");
    EXPECT("*-1\r\n", "LMPOP", "2", "a", "b", "LEFT");
    EXPECT3("_\r\n", "LMPOP", "1", "a", "LEFT");
    EXPECT("-ERR numkeys should be greater than 0\r\n", "LMPOP", "0", "a", "LEFT");
    EXPECT("-ERR numkeys should be greater than 0\r\n", "LMPOP", "x", "a", "LEFT");
    EXPECT("-ERR numkeys should be greater than 0\r\n", "LMPOP", "-1", "a", "LEFT");
    EXPECT(SYNTAX, "LMPOP", "2", "a", "LEFT");
    EXPECT(SYNTAX, "LMPOP", "9223372036854775807", "a", "LEFT");
    EXPECT(SYNTAX, "LMPOP", "1", "a", "UP");
    EXPECT(SYNTAX, "LMPOP", "1", "a", "LEFT", "COUNT");
    EXPECT(SYNTAX, "LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1");
    EXPECT(SYNTAX, "LMPOP", "1", "a", "LEFT", "FOO");
    EXPECT("-ERR count should be greater than 0\r\n", "LMPOP", "1", "a", "LEFT", "COUNT",
           "0");
    EXPECT("-ERR count should be greater than 0\r\n", "LMPOP", "1", "a", "LEFT", "COUNT",
           "x");
    EXPECT("-ERR wrong number of arguments for 'lmpop' command\r\n", "LMPOP", "1", "a");
    run("SET", "s", "x", NULL);
    run("RPUSH", "c", "z", NULL);
    EXPECT(WRONGTYPE, "LMPOP", "2", "s", "c", "LEFT");
    EXPECT("*2\r\n$1\r\nc\r\n*1\r\n$1\r\nz\r\n", "LMPOP", "2", "c", "s", "LEFT");
    /* Key positions (movable keys). */
    EXPECT("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "COMMAND", "GETKEYS", "LMPOP", "2", "a", "b",
           "LEFT");
    EXPECT("*1\r\n$1\r\nk\r\n", "COMMAND", "GETKEYS", "BLMPOP", "0", "1", "k", "LEFT");
}

/* ---- Blocking commands ------------------------------------------------------------ */

static const call_opts plain = {.proto = 2};
static const call_opts timed_out = {.proto = 2, .timed_out = true};
static const call_opts no_block = {.proto = 2, .no_block = true};

static void expect_blocks(const char *cmd, int64_t timeout_ms, call_result r)
{
    (void)cmd;
    assert_string_equal(r.reply, "");
    assert_true(r.block);
    assert_int_equal(r.block_timeout_ms, timeout_ms);
}

/* With data a plain or no-block call serves at once; without, the handler
 * blocks, or replies nothing-found when not allowed to block. A timed-out
 * call answers the null array without looking at the keys (Redis's
 * replyToBlockedClientTimedOut; a key may hold another type by then). */
static void test_blocking_contract(void **state)
{
    (void)state;
    call_result r;
    run("RPUSH", "l", "a", "b", "c", "d", "e", "f", NULL);
    r = run_opts(plain, "BLPOP", "missing", "l", "0", NULL);
    assert_string_equal(r.reply, "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
    assert_false(r.block);
    r = run_opts(timed_out, "BRPOP", "l", "1", NULL);
    assert_string_equal(r.reply, "*-1\r\n");
    r = run_opts(plain, "BRPOP", "l", "1", NULL);
    assert_string_equal(r.reply, "*2\r\n$1\r\nl\r\n$1\r\nf\r\n");
    r = run_opts(no_block, "BLMOVE", "l", "dst", "LEFT", "RIGHT", "0", NULL);
    assert_string_equal(r.reply, "$1\r\nb\r\n");
    r = run_opts(plain, "BRPOPLPUSH", "l", "dst", "0", NULL);
    assert_string_equal(r.reply, "$1\r\ne\r\n");
    r = run_opts(plain, "BLMPOP", "0", "2", "missing", "l", "LEFT", "COUNT", "5", NULL);
    assert_string_equal(r.reply, "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nd\r\n");
    EXPECT(":0\r\n", "EXISTS", "l");

    expect_blocks("BLPOP", 0, run_opts(plain, "BLPOP", "l", "m", "0", NULL));
    expect_blocks("BRPOP", 1500, run_opts(plain, "BRPOP", "l", "1.5", NULL));
    expect_blocks("BLMOVE", 100,
                  run_opts(plain, "BLMOVE", "l", "d", "LEFT", "LEFT", "0.1", NULL));
    expect_blocks("BRPOPLPUSH", 16000,
                  run_opts(plain, "BRPOPLPUSH", "l", "d", "0x10", NULL));
    expect_blocks("BLMPOP", 2000,
                  run_opts(plain, "BLMPOP", "2", "1", "l", "RIGHT", NULL));
    /* Sub-millisecond timeouts truncate to 0: block forever, as Redis. */
    expect_blocks("BLPOP", 0, run_opts(plain, "BLPOP", "l", "0.0009", NULL));
    expect_blocks("BLPOP", 0, run_opts(plain, "BLPOP", "l", "-0.0001", NULL));

    /* Timed out: a null array from every list command (Redis's
     * replyToBlockedClientTimedOut), BLMOVE and BRPOPLPUSH included. */
    assert_string_equal(run_opts(timed_out, "BLPOP", "l", "1", NULL).reply, "*-1\r\n");
    assert_string_equal(run_opts(timed_out, "BRPOP", "l", "1", NULL).reply, "*-1\r\n");
    assert_string_equal(
        run_opts(timed_out, "BLMOVE", "l", "d", "LEFT", "LEFT", "1", NULL).reply,
        "*-1\r\n");
    assert_string_equal(run_opts(timed_out, "BRPOPLPUSH", "l", "d", "1", NULL).reply,
                        "*-1\r\n");
    assert_string_equal(run_opts(timed_out, "BLMPOP", "1", "1", "l", "LEFT", NULL).reply,
                        "*-1\r\n");
    /* Not allowed to block (MULTI in Redis, replicated entries here): BLMOVE
     * and BRPOPLPUSH answer a null bulk, the others a null array. */
    r = run_opts(no_block, "BLPOP", "l", "0", NULL);
    assert_string_equal(r.reply, "*-1\r\n");
    assert_false(r.block);
    assert_string_equal(run_opts(no_block, "BRPOP", "l", "0", NULL).reply, "*-1\r\n");
    assert_string_equal(
        run_opts(no_block, "BLMOVE", "l", "d", "LEFT", "LEFT", "0", NULL).reply,
        "$-1\r\n");
    assert_string_equal(run_opts(no_block, "BRPOPLPUSH", "l", "d", "0", NULL).reply,
                        "$-1\r\n");
    assert_string_equal(run_opts(no_block, "BLMPOP", "0", "1", "l", "LEFT", NULL).reply,
                        "*-1\r\n");
    /* RESP3: every one of them is "_". */
    call_opts no_block3 = {.proto = 3, .no_block = true};
    call_opts timed_out3 = {.proto = 3, .timed_out = true};
    assert_string_equal(run_opts(no_block3, "BLPOP", "l", "0", NULL).reply, "_\r\n");
    assert_string_equal(run_opts(no_block3, "BRPOPLPUSH", "l", "d", "0", NULL).reply,
                        "_\r\n");
    assert_string_equal(
        run_opts(timed_out3, "BLMOVE", "l", "d", "LEFT", "LEFT", "1", NULL).reply,
        "_\r\n");
    assert_string_equal(run_opts(timed_out3, "BLMPOP", "1", "1", "l", "LEFT", NULL).reply,
                        "_\r\n");
}

static void test_blocking_errors(void **state)
{
    (void)state;
    const char *not_float = "-ERR timeout is not a float or out of range\r\n";
    const char *negative = "-ERR timeout is negative\r\n";
    run("SET", "s", "x", NULL);
    run("RPUSH", "l", "a", "b", "c", NULL);
    EXPECT(not_float, "BLPOP", "l", "abc");
    EXPECT(not_float, "BLPOP", "l", "nan");
    EXPECT(not_float, "BLPOP", "l", " 1");
    EXPECT(not_float, "BLPOP", "l", "1e-5000");
    EXPECT(negative, "BLPOP", "l", "-1");
    /* Out of the int64 range after * 1000: Redis's cast gives INT64_MIN. */
    EXPECT(negative, "BRPOP", "l", "inf");
    EXPECT(negative, "BRPOP", "l", "1e400");
    EXPECT(negative, "BRPOP", "l", "9223372036854775807");
    EXPECT(negative, "BRPOPLPUSH", "l", "d", "-inf");
    EXPECT(not_float, "BLMOVE", "l", "d", "LEFT", "LEFT", "x");
    EXPECT(SYNTAX, "BLMOVE", "l", "d", "LEFT", "UP", "x"); /* directions first */
    EXPECT(negative, "BLMPOP", "-1", "1", "l", "LEFT");
    EXPECT(not_float, "BLMPOP", "x", "1", "l", "LEFT");
    /* BLMPOP checks numkeys, the direction and COUNT before the timeout. */
    EXPECT("-ERR numkeys should be greater than 0\r\n", "BLMPOP", "x", "0", "l", "LEFT");
    EXPECT(SYNTAX, "BLMPOP", "x", "1", "l", "UP");
    EXPECT("-ERR count should be greater than 0\r\n", "BLMPOP", "x", "1", "l", "LEFT",
           "COUNT", "0");
    /* WRONGTYPE stops the scan only if no earlier key has elements. */
    EXPECT(WRONGTYPE, "BLPOP", "missing", "s", "l", "0");
    EXPECT("*2\r\n$1\r\nl\r\n$1\r\na\r\n", "BLPOP", "l", "s", "0");
    EXPECT(WRONGTYPE, "BRPOPLPUSH", "s", "d", "0");
    EXPECT(WRONGTYPE, "BLMOVE", "l", "s", "LEFT", "LEFT", "0");
    EXPECT(WRONGTYPE, "BLMPOP", "0", "2", "missing", "s", "LEFT");
    /* A missing source blocks whatever the destination holds. */
    call_result r = run_opts(plain, "BLMOVE", "missing", "s", "LEFT", "LEFT", "0", NULL);
    assert_true(r.block);
    assert_string_equal(
        run_opts(no_block, "BLMOVE", "missing", "s", "LEFT", "LEFT", "0", NULL).reply,
        "$-1\r\n");
    EXPECT("*2\r\n$1\r\nl\r\n*1\r\n$1\r\nc\r\n", "BLMPOP", "1.5", "1", "l", "RIGHT");
    EXPECT("-ERR wrong number of arguments for 'blmpop' command\r\n", "BLMPOP", "0", "1",
           "l");
    EXPECT("-ERR wrong number of arguments for 'blpop' command\r\n", "BLPOP", "l");
}

/* ---- Keys, expiry, revisions ------------------------------------------------------ */

static void test_expired_lists_read_as_absent(void **state)
{
    (void)state;
    run("RPUSH", "l", "a", "b", NULL);
    run("PEXPIRE", "l", "100", NULL);
    W.now_ms += 100;
    EXPECT(":0\r\n", "LLEN", "l");
    EXPECT("*0\r\n", "LRANGE", "l", "0", "-1");
    EXPECT(":0\r\n", "RPUSHX", "l", "c");
    EXPECT(":1\r\n", "RPUSH", "l", "c");
    EXPECT(":-1\r\n", "PTTL", "l");
    EXPECT("*1\r\n$1\r\nc\r\n", "LRANGE", "l", "0", "-1");
    /* Writes keep the TTL. */
    run("EXPIRE", "l", "50", NULL);
    run("LPUSH", "l", "z", NULL);
    run("LPOP", "l", NULL);
    EXPECT(":50\r\n", "TTL", "l");
}

static void test_writes_stamp_the_revision(void **state)
{
    (void)state;
    run("RPUSH", "l", "a", "b", NULL);
    kv_obj *o = kv_lookup_any(&W.ks, "l", 1);
    assert_int_equal(o->revision, W.revision);
    uint64_t written = W.revision;
    uint64_t dirty = W.ks.dirty;
    run("LRANGE", "l", "0", "-1", NULL);
    run("LPOS", "l", "a", NULL);
    run("LINSERT", "l", "BEFORE", "zz", "x", NULL); /* no pivot: no change */
    assert_int_equal(o->revision, written);
    assert_int_equal(W.ks.dirty, dirty);
    run("LSET", "l", "0", "A", NULL);
    assert_int_equal(o->revision, W.revision);
    assert_true(W.ks.dirty > dirty);
    run("RPUSH", "d", "x", NULL);
    run("LMOVE", "l", "d", "LEFT", "LEFT", NULL);
    assert_int_equal(o->revision, W.revision);
    assert_int_equal(kv_lookup_any(&W.ks, "d", 1)->revision, W.revision);
}

/* ---- Node layout under list-max-listpack-size ------------------------------------- */

static void test_nodes_follow_list_max_listpack_size(void **state)
{
    (void)state;
    W.limits.list_max_listpack_size = 3;
    for (int i = 0; i < 10; i++)
        run("RPUSH", "l", "e", NULL);
    assert_int_equal(list_at("l")->node_count, 4);
    EXPECT("$9\r\nquicklist\r\n", "OBJECT", "ENCODING", "l");
    /* The setting applies to later writes on existing lists too. */
    W.limits.list_max_listpack_size = -2;
    for (int i = 0; i < 10; i++)
        run("LPUSH", "l", "e", NULL);
    assert_int_equal(list_at("l")->node_count, 4);
    assert_int_equal(list_at("l")->head->lp->count, 13);
    /* LINSERT into a full node splits it; LREM merges what shrank. */
    W.limits.list_max_listpack_size = 2;
    for (int i = 0; i < 8; i++)
        run("RPUSH", "m", i % 2 ? "x" : "y", NULL);
    assert_int_equal(list_at("m")->node_count, 4);
    EXPECT(":9\r\n", "LINSERT", "m", "AFTER", "y", "new");
    assert_true(ql_valid(list_at("m")));
    EXPECT("*9\r\n$1\r\ny\r\n$3\r\nnew\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\ny\r\n$"
           "1\r\nx\r\n"
           "$1\r\ny\r\n$1\r\nx\r\n",
           "LRANGE", "m", "0", "-1");
    EXPECT(":4\r\n", "LREM", "m", "0", "x");
    assert_true(ql_valid(list_at("m")));
    assert_int_equal(list_at("m")->node_count, 3);
    EXPECT("*5\r\n$1\r\ny\r\n$3\r\nnew\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n", "LRANGE",
           "m", "0", "-1");
    /* A 10 KB element takes a node of its own under the default size. */
    W.limits.list_max_listpack_size = -2;
    static char big[10001];
    memset(big, 'b', 10000);
    run("RPUSH", "b", "a", NULL);
    run("RPUSH", "b", big, NULL);
    run("RPUSH", "b", "c", NULL);
    assert_int_equal(list_at("b")->node_count, 3);
    EXPECT(":3\r\n", "LLEN", "b");
}

/* ---- Dumps and digests --------------------------------------------------------------
 */

static int load_bytes(kv_keyspace *ks, const char *data, size_t len)
{
    source src = {data, len, 0};
    return kv_load(ks, from_source, &src);
}

/* Lists of several shapes: small, many nodes, big elements, integers. */
static void build_lists(void)
{
    static char big[70001];
    memset(big, 'q', 70000);
    char v[32];
    W.limits.list_max_listpack_size = 5;
    for (int i = 0; i < 100; i++) {
        snprintf(v, sizeof v, "%d", i * 37 - 500);
        run("RPUSH", "ints", v, NULL);
    }
    W.limits.list_max_listpack_size = -2;
    for (int i = 0; i < 3000; i++) {
        snprintf(v, sizeof v, "member:%d", i);
        run(i % 3 ? "RPUSH" : "LPUSH", "long", v, NULL);
    }
    run("RPUSH", "bigs", "a", big, "b", NULL);
    run("LSET", "bigs", "0", big, NULL);
    run("RPUSH", "one", "", NULL);
    run("SET", "str", "x", NULL);
    run("PEXPIRE", "long", "100000", NULL);
}

static void expect_same_list(kv_keyspace *a, kv_keyspace *b, const char *key)
{
    kv_obj *oa = kv_lookup_any(a, key, strlen(key));
    kv_obj *ob = kv_lookup_any(b, key, strlen(key));
    assert_non_null(oa);
    assert_non_null(ob);
    assert_int_equal(ob->encoding, KV_ENC_QUICKLIST);
    assert_int_equal(oa->revision, ob->revision);
    const quicklist *qa = oa->v.ptr;
    const quicklist *qb = ob->v.ptr;
    assert_true(ql_valid(qb));
    assert_int_equal(qa->count, qb->count);
    assert_int_equal(qa->node_count, qb->node_count);
    for (const ql_node *na = qa->head, *nb = qb->head; na; na = na->next, nb = nb->next) {
        assert_int_equal(na->lp->count, nb->lp->count);
        assert_int_equal(na->lp->bytes, nb->lp->bytes);
        assert_memory_equal(na->lp->data, nb->lp->data, na->lp->bytes);
    }
    const kv_type_ops *ops = kv_type_ops_of(KV_LIST);
    assert_int_equal(ops->digest(oa), ops->digest(ob));
    assert_int_equal(ops->length(ob), qa->count);
}

static void test_dump_load_round_trip(void **state)
{
    (void)state;
    build_lists();
    buf out = BUF_INIT;
    assert_int_equal(kv_dump(&W.ks, to_buf, &out), 0);
    kv_keyspace copy;
    kv_init(&copy, 12345);
    assert_int_equal(load_bytes(&copy, out.data, out.len), 0);
    assert_int_equal(kv_size(&copy), kv_size(&W.ks));
    const char *keys[] = {"ints", "long", "bigs", "one"};
    for (size_t i = 0; i < 4; i++)
        expect_same_list(&W.ks, &copy, keys[i]);
    assert_int_equal(kv_digest(&copy, W.now_ms), kv_digest(&W.ks, W.now_ms));
    assert_int_equal(kv_obj_expire_at(&copy, kv_lookup_any(&copy, "long", 4)),
                     W.now_ms + 100000);
    /* The loaded lists work: commands on the copy answer as on the source. */
    kv_keyspace saved = W.ks;
    W.ks = copy;
    EXPECT("$11\r\nmember:2999\r\n", "RPOP", "long");
    EXPECT(":9\r\n", "LPOS", "ints", "-167");
    EXPECT("$9\r\nquicklist\r\n", "OBJECT", "ENCODING", "bigs");
    copy = W.ks;
    W.ks = saved;
    kv_destroy(&copy);
    buf_free(&out);
}

static void test_digest_ignores_layout(void **state)
{
    (void)state;
    char v[16];
    /* The same contents through different histories and node sizes. */
    W.limits.list_max_listpack_size = 1;
    for (int i = 0; i < 50; i++) {
        snprintf(v, sizeof v, "%d", i);
        run("RPUSH", "a", v, NULL);
    }
    W.limits.list_max_listpack_size = -2;
    for (int i = 49; i >= 0; i--) {
        snprintf(v, sizeof v, "%d", i);
        run("LPUSH", "b", v, NULL);
    }
    W.limits.list_max_listpack_size = 4;
    run("RPUSH", "c", "0", "49", NULL);
    for (int i = 48; i >= 1; i--) {
        snprintf(v, sizeof v, "%d", i);
        run("LINSERT", "c", "AFTER", "0", v, NULL);
    }
    const kv_type_ops *ops = kv_type_ops_of(KV_LIST);
    kv_obj *a = kv_lookup_any(&W.ks, "a", 1);
    kv_obj *b = kv_lookup_any(&W.ks, "b", 1);
    kv_obj *c = kv_lookup_any(&W.ks, "c", 1);
    assert_true(((quicklist *)a->v.ptr)->node_count !=
                ((quicklist *)b->v.ptr)->node_count);
    assert_int_equal(ops->digest(a), ops->digest(b));
    assert_int_equal(ops->digest(a), ops->digest(c));
    /* Order matters: a list is a sequence. */
    run("LSET", "c", "0", "1", NULL);
    run("LSET", "c", "1", "0", NULL);
    assert_int_not_equal(ops->digest(a), ops->digest(c));
    /* An element stored as an integer digests as its digits. */
    run("RPUSH", "x", "12", NULL);
    run("RPUSH", "y", "1", NULL);
    run("LSET", "y", "0", "12", NULL);
    assert_int_equal(ops->digest(kv_lookup_any(&W.ks, "x", 1)),
                     ops->digest(kv_lookup_any(&W.ks, "y", 1)));
}

/* A dump of one list key "k" whose value bytes are given. */
static void dump_with_value(buf *out, const void *value, size_t len)
{
    buf_init(out);
    buf_append(out, "PLSKV001", 8);
    uint8_t u64[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    buf_append(out, u64, 8);
    uint8_t head[4] = {KV_LIST, KV_ENC_QUICKLIST, 0, 1};
    buf_append(out, head, 4);
    buf_append(out, "k", 1);
    memset(u64, 0, 8);
    buf_append(out, u64, 8); /* revision */
    buf_append(out, value, len);
    buf_append(out, "PLSKVEND", 8);
}

static void expect_refused(const void *value, size_t len)
{
    buf out;
    dump_with_value(&out, value, len);
    kv_keyspace ks;
    kv_init(&ks, 1);
    assert_int_equal(load_bytes(&ks, out.data, out.len), POLIS_ECORRUPT);
    assert_int_equal(kv_size(&ks), 0);
    kv_destroy(&ks);
    buf_free(&out);
}

static void test_malformed_dumps_refused(void **state)
{
    (void)state;
    /* The well-formed reference: one node, two entries "a" (0x81 'a' 2)
     * and 7 (0x07 1). */
    const uint8_t good[] = {1, 2, 5, 5, 0x81, 'a', 2, 0x07, 1};
    buf out;
    dump_with_value(&out, good, sizeof good);
    kv_keyspace ks;
    kv_init(&ks, 1);
    assert_int_equal(load_bytes(&ks, out.data, out.len), 0);
    kv_keyspace saved = W.ks;
    W.ks = ks;
    EXPECT("*2\r\n$1\r\na\r\n$1\r\n7\r\n", "LRANGE", "k", "0", "-1");
    ks = W.ks;
    W.ks = saved;
    kv_destroy(&ks);
    /* Cut anywhere: refused. */
    for (size_t cut = 0; cut < out.len; cut++) {
        kv_init(&ks, 1);
        assert_int_equal(load_bytes(&ks, out.data, cut), POLIS_ECORRUPT);
        assert_int_equal(kv_size(&ks), 0);
        kv_destroy(&ks);
    }
    buf_free(&out);
    const uint8_t no_nodes[] = {0};
    const uint8_t empty_node[] = {1, 0, 0, 0};
    const uint8_t short_bytes[] = {1, 2, 3, 3, 0x81, 'a', 2};
    const uint8_t count_mismatch[] = {1, 3, 6, 6, 0x81, 'a', 2, 0x07, 1, 0};
    const uint8_t bad_backlen[] = {1, 2, 5, 5, 0x81, 'a', 3, 0x07, 1};
    const uint8_t bad_header[] = {1, 2, 5, 5, 0xff, 'a', 2, 0x07, 1};
    const uint8_t chunk_too_short[] = {1, 2, 5, 4, 0x81, 'a', 2, 0x07};
    const uint8_t chunk_too_long[] = {1, 2, 5, 6, 0x81, 'a', 2, 0x07, 1, 0};
    const uint8_t huge_bytes[] = {1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f};
    const uint8_t missing_node[] = {2, 2, 5, 5, 0x81, 'a', 2, 0x07, 1};
    expect_refused(no_nodes, sizeof no_nodes);
    expect_refused(empty_node, sizeof empty_node);
    expect_refused(short_bytes, sizeof short_bytes);
    expect_refused(count_mismatch, sizeof count_mismatch);
    expect_refused(bad_backlen, sizeof bad_backlen);
    expect_refused(bad_header, sizeof bad_header);
    expect_refused(chunk_too_short, sizeof chunk_too_short);
    expect_refused(chunk_too_long, sizeof chunk_too_long);
    expect_refused(huge_bytes, sizeof huge_bytes);
    expect_refused(missing_node, sizeof missing_node);
}

/* A node larger than one dump chunk (64 KiB) round-trips through chunks. */
static void test_dump_chunks_big_nodes(void **state)
{
    (void)state;
    static char big[200001];
    for (size_t i = 0; i < 200000; i++)
        big[i] = (char)('a' + i % 26);
    run("RPUSH", "k", big, NULL);
    buf out = BUF_INIT;
    assert_int_equal(kv_dump(&W.ks, to_buf, &out), 0);
    kv_keyspace copy;
    kv_init(&copy, 3);
    assert_int_equal(load_bytes(&copy, out.data, out.len), 0);
    expect_same_list(&W.ks, &copy, "k");
    kv_destroy(&copy);
    buf_free(&out);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_push_and_length),
        T(test_pop_with_and_without_count),
        T(test_lrange_and_lindex),
        T(test_lpos),
        T(test_lset_and_linsert),
        T(test_lrem_and_ltrim),
        T(test_lmove_and_rpoplpush),
        T(test_lmpop),
        T(test_blocking_contract),
        T(test_blocking_errors),
        T(test_expired_lists_read_as_absent),
        T(test_writes_stamp_the_revision),
        T(test_nodes_follow_list_max_listpack_size),
        T(test_dump_load_round_trip),
        T(test_digest_ignores_layout),
        T(test_malformed_dumps_refused),
        T(test_dump_chunks_big_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
