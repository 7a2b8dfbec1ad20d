/* Unit tests for the string and key commands, run through the real command
 * table against a keyspace with a controlled clock: replies are compared
 * byte for byte with what Redis 7.0 sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kv_world.h"

static void test_set_get_and_options(void **state)
{
    (void)state;
    EXPECT("+OK\r\n", "SET", "k", "v");
    EXPECT("$1\r\nv\r\n", "GET", "k");
    EXPECT("$-1\r\n", "GET", "missing");
    EXPECT("$-1\r\n", "SET", "k", "w", "NX");
    EXPECT("+OK\r\n", "SET", "k", "w", "XX");
    EXPECT("$-1\r\n", "SET", "new", "x", "XX");
    EXPECT("$1\r\nw\r\n", "SET", "k", "z", "GET");
    EXPECT("-ERR syntax error\r\n", "SET", "k", "v", "NX", "XX");
    EXPECT("-ERR syntax error\r\n", "SET", "k", "v", "EX", "10", "PX", "100");
    EXPECT("-ERR syntax error\r\n", "SET", "k", "v", "KEEPTTL", "EX", "10");
    EXPECT("-ERR syntax error\r\n", "SET", "k", "v", "EX");
    EXPECT("-ERR value is not an integer or out of range\r\n", "SET", "k", "v", "EX", "x");
    EXPECT("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "0");
    EXPECT("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX",
           "9223372036854775807");
    EXPECT("+OK\r\n", "SET", "k", "v", "EX", "10", "EX", "20"); /* repeats allowed */
    EXPECT(":20\r\n", "TTL", "k");
    EXPECT("+OK\r\n", "SET", "k", "v2", "KEEPTTL");
    EXPECT(":20\r\n", "TTL", "k");
    EXPECT("+OK\r\n", "SET", "k", "v3");
    EXPECT(":-1\r\n", "TTL", "k");
    EXPECT(":1\r\n", "SETNX", "sn", "1");
    EXPECT(":0\r\n", "SETNX", "sn", "2");
    EXPECT("-ERR invalid expire time in 'setex' command\r\n", "SETEX", "k", "-1", "v");
    EXPECT("+OK\r\n", "PSETEX", "k", "1500", "v");
    EXPECT(":1500\r\n", "PTTL", "k");
    EXPECT(":2\r\n", "TTL", "k"); /* rounds like Redis: (1500+500)/1000 */
}

static void test_ttl_at_the_largest_expiry(void **state)
{
    (void)state;
    EXPECT("+OK\r\n", "SET", "far", "v");
    EXPECT(":1\r\n", "PEXPIREAT", "far", "9223372036854775807");
    EXPECT(":9223372036854776\r\n", "EXPIRETIME", "far");
    EXPECT(":9223372036854775807\r\n", "PEXPIRETIME", "far");
}

static void test_expiry_is_driven_by_now(void **state)
{
    (void)state;
    EXPECT("+OK\r\n", "SET", "t", "v", "PX", "100");
    W.now_ms += 99;
    EXPECT("$1\r\nv\r\n", "GET", "t");
    W.now_ms += 1;
    EXPECT("$-1\r\n", "GET", "t");
    EXPECT(":0\r\n", "EXISTS", "t");
    /* A read does not delete; the expired key still occupies the table
     * until a write or the expiry cycle removes it. */
    EXPECT(":1\r\n", "DBSIZE");
    EXPECT("+OK\r\n", "SET", "t", "again", "NX");
    EXPECT(":-1\r\n", "TTL", "t");
    EXPECT(":-2\r\n", "TTL", "nope");
}

static void test_encodings(void **state)
{
    (void)state;
    run("SET", "i", "12345", NULL);
    EXPECT("$3\r\nint\r\n", "OBJECT", "ENCODING", "i");
    run("SET", "z", "0123", NULL);
    EXPECT("$6\r\nembstr\r\n", "OBJECT", "ENCODING", "z");
    run("SET", "neg0", "-0", NULL);
    EXPECT("$6\r\nembstr\r\n", "OBJECT", "ENCODING", "neg0");
    run("SET", "e", "12345678901234567890123456789012345678901234", NULL); /* 44 */
    EXPECT("$6\r\nembstr\r\n", "OBJECT", "ENCODING", "e");
    run("SET", "r", "123456789012345678901234567890123456789012345", NULL); /* 45 */
    EXPECT("$3\r\nraw\r\n", "OBJECT", "ENCODING", "r");
    run("APPEND", "i", "x", NULL);
    EXPECT("$3\r\nraw\r\n", "OBJECT", "ENCODING", "i");
    EXPECT("$6\r\n12345x\r\n", "GET", "i");
    run("INCRBYFLOAT", "f", "3", NULL);
    EXPECT("$6\r\nembstr\r\n", "OBJECT", "ENCODING", "f");
    run("INCR", "f", NULL);
    EXPECT("$3\r\nint\r\n", "OBJECT", "ENCODING", "f");
    EXPECT("$-1\r\n", "OBJECT", "ENCODING", "nokey");
}

static void test_counters(void **state)
{
    (void)state;
    EXPECT(":1\r\n", "INCR", "c");
    EXPECT(":11\r\n", "INCRBY", "c", "10");
    EXPECT(":10\r\n", "DECR", "c");
    EXPECT(":-90\r\n", "DECRBY", "c", "100");
    run("SET", "big", "9223372036854775807", NULL);
    EXPECT("-ERR increment or decrement would overflow\r\n", "INCR", "big");
    EXPECT("-ERR decrement would overflow\r\n", "DECRBY", "c", "-9223372036854775808");
    run("SET", "s", "abc", NULL);
    EXPECT("-ERR value is not an integer or out of range\r\n", "INCR", "s");
    EXPECT("-ERR value is not an integer or out of range\r\n", "INCRBY", "c", "1.5");
    run("SET", "sp", " 1", NULL);
    EXPECT("-ERR value is not an integer or out of range\r\n", "INCR", "sp");
    EXPECT("$4\r\n10.5\r\n", "INCRBYFLOAT", "fl", "10.5");
    EXPECT("$3\r\n5.1\r\n", "INCRBYFLOAT", "fl", "-5.4");
    EXPECT("$28\r\n5000000000000005.10009765625\r\n", "INCRBYFLOAT", "fl", "5.0e15");
    EXPECT("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "fl", "abc");
    EXPECT("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "fl", "inf");
    EXPECT("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "s", "1");
    /* INCR keeps the TTL. */
    run("SET", "ct", "1", "EX", "100", NULL);
    run("INCR", "ct", NULL);
    EXPECT(":100\r\n", "TTL", "ct");
}

static void test_ranges(void **state)
{
    (void)state;
    run("SET", "s", "Hello World", NULL);
    EXPECT("$5\r\nHello\r\n", "GETRANGE", "s", "0", "4");
    EXPECT("$3\r\nrld\r\n", "GETRANGE", "s", "-3", "-1");
    EXPECT("$11\r\nHello World\r\n", "GETRANGE", "s", "0", "100");
    EXPECT("$0\r\n\r\n", "GETRANGE", "s", "-1", "-5");
    EXPECT("$0\r\n\r\n", "GETRANGE", "missing", "0", "1");
    EXPECT("$1\r\nH\r\n", "GETRANGE", "s", "-100", "0");
    EXPECT(":11\r\n", "SETRANGE", "s", "6", "Redis");
    EXPECT("$11\r\nHello Redis\r\n", "GET", "s");
    EXPECT(":8\r\n", "SETRANGE", "pad", "5", "abc");
    assert_memory_equal(run("GET", "pad", NULL), "$8\r\n\0\0\0\0\0abc\r\n", 14);
    EXPECT(":0\r\n", "SETRANGE", "none", "5", "");
    EXPECT(":0\r\n", "EXISTS", "none");
    EXPECT("-ERR offset is out of range\r\n", "SETRANGE", "s", "-1", "x");
    EXPECT("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE",
           "s", "536870912", "x");
    EXPECT(":11\r\n", "STRLEN", "s");
    EXPECT(":0\r\n", "STRLEN", "missing");
}

static void test_multi_key(void **state)
{
    (void)state;
    EXPECT("+OK\r\n", "MSET", "a", "1", "b", "2");
    EXPECT("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n", "MGET", "a", "b", "c");
    EXPECT("-ERR wrong number of arguments for 'mset' command\r\n", "MSET", "a", "1", "b");
    EXPECT(":0\r\n", "MSETNX", "a", "9", "c", "3");
    EXPECT("$-1\r\n", "GET", "c");
    EXPECT(":1\r\n", "MSETNX", "c", "3", "d", "4");
    EXPECT(":3\r\n", "EXISTS", "a", "a", "c");
    EXPECT(":2\r\n", "DEL", "a", "b", "zz");
    EXPECT("$1\r\n3\r\n", "GETDEL", "c");
    EXPECT(":0\r\n", "EXISTS", "c");
    EXPECT("$1\r\n4\r\n", "GETSET", "d", "5");
    EXPECT("$1\r\n5\r\n", "GET", "d");
}

static void test_keys_and_rename(void **state)
{
    (void)state;
    run("MSET", "one", "1", "two", "2", "three", "3", NULL);
    EXPECT("+string\r\n", "TYPE", "one");
    EXPECT("+none\r\n", "TYPE", "zero");
    EXPECT("-ERR no such key\r\n", "RENAME", "zero", "x");
    run("EXPIRE", "one", "100", NULL);
    EXPECT("+OK\r\n", "RENAME", "one", "uno");
    EXPECT(":100\r\n", "TTL", "uno");
    EXPECT(":0\r\n", "RENAMENX", "uno", "two");
    EXPECT(":1\r\n", "RENAMENX", "uno", "eins");
    EXPECT("+OK\r\n", "RENAME", "eins", "eins");
    const char *keys = run("KEYS", "t*", NULL);
    assert_int_equal(keys[0], '*');
    assert_int_equal(keys[1], '2');
    EXPECT("*0\r\n", "KEYS", "nomatch*");
    EXPECT("-ERR invalid cursor\r\n", "SCAN", " 1");
    EXPECT("-ERR invalid cursor\r\n", "SCAN", "1x");
    EXPECT("-ERR syntax error\r\n", "SCAN", "0", "COUNT", "0");
    EXPECT("-ERR syntax error\r\n", "SCAN", "0", "BOGUS", "1");
}

static void test_expire_flags(void **state)
{
    (void)state;
    run("SET", "k", "v", NULL);
    EXPECT(":0\r\n", "EXPIRE", "k", "100", "XX");
    EXPECT(":1\r\n", "EXPIRE", "k", "100", "NX");
    EXPECT(":0\r\n", "EXPIRE", "k", "200", "NX");
    EXPECT(":0\r\n", "EXPIRE", "k", "50", "GT");
    EXPECT(":1\r\n", "EXPIRE", "k", "150", "GT");
    EXPECT(":1\r\n", "EXPIRE", "k", "120", "LT");
    EXPECT(":120\r\n", "TTL", "k");
    EXPECT("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
           "EXPIRE", "k", "1", "NX", "XX");
    EXPECT("-ERR GT and LT options at the same time are not compatible\r\n", "EXPIRE",
           "k", "1", "GT", "LT");
    EXPECT("-ERR Unsupported option foo\r\n", "EXPIRE", "k", "1", "foo");
    EXPECT("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k",
           "9223372036854775807");
    EXPECT(":1\r\n", "PERSIST", "k");
    EXPECT(":0\r\n", "PERSIST", "k");
    EXPECT(":-1\r\n", "EXPIRETIME", "k");
    EXPECT(":1\r\n", "PEXPIREAT", "k", "1800000000000");
    EXPECT(":1800000000000\r\n", "PEXPIRETIME", "k");
    EXPECT(":1800000000\r\n", "EXPIRETIME", "k");
    /* An expiry in the past deletes at once and answers 1. */
    EXPECT(":1\r\n", "EXPIRE", "k", "-1");
    EXPECT(":0\r\n", "DBSIZE");
    EXPECT(":0\r\n", "EXPIRE", "k", "10");
    /* GETEX */
    run("SET", "g", "v", NULL);
    EXPECT("$1\r\nv\r\n", "GETEX", "g", "EX", "30");
    EXPECT(":30\r\n", "TTL", "g");
    EXPECT("$1\r\nv\r\n", "GETEX", "g", "PERSIST");
    EXPECT(":-1\r\n", "TTL", "g");
    EXPECT("$-1\r\n", "GETEX", "nokey", "EX", "-5");
    EXPECT("-ERR invalid expire time in 'getex' command\r\n", "GETEX", "g", "EX", "-5");
    EXPECT("-ERR syntax error\r\n", "GETEX", "g", "NX");
    EXPECT("$1\r\nv\r\n", "GETEX", "g", "PXAT", "1");
    EXPECT(":0\r\n", "EXISTS", "g");
}

static void test_dispatch_errors(void **state)
{
    (void)state;
    EXPECT("-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n", "nosuch",
           "a", "b");
    EXPECT("-ERR wrong number of arguments for 'get' command\r\n", "GET");
    EXPECT("-ERR unknown subcommand 'nope'. Try OBJECT HELP.\r\n", "object", "nope", "k");
    EXPECT("-ERR wrong number of arguments for 'object|encoding' command\r\n", "OBJECT",
           "ENCODING");
    run("SET", "k", "v", NULL);
    run("RENAME", "k", "k2", NULL);
    EXPECT("*2\r\n$1\r\na\r\n$1\r\nc\r\n", "COMMAND", "GETKEYS", "MSET", "a", "b", "c", "d");
    EXPECT("-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "PING", "x");
    EXPECT("-ERR wrong number of arguments for 'command|getkeys' command\r\n", "COMMAND",
           "GETKEYS", "PING");
    EXPECT("-ERR Invalid command specified\r\n", "COMMAND", "GETKEYS", "NOPE", "x");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_set_get_and_options), T(test_expiry_is_driven_by_now), T(test_encodings),
        T(test_counters),            T(test_ranges),                  T(test_multi_key),
        T(test_keys_and_rename),     T(test_expire_flags),            T(test_dispatch_errors),
        T(test_ttl_at_the_largest_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
