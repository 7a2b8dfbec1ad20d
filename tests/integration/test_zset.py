"""Sorted set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT
ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) ZRANGESTORE ZREVRANGE
ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZRANK ZREVRANK
ZPOPMIN ZPOPMAX ZMPOP BZPOPMIN BZPOPMAX BZMPOP ZRANDMEMBER ZUNION ZINTER ZDIFF
(and their STORE forms) ZINTERCARD ZREMRANGEBYRANK ZREMRANGEBYSCORE
ZREMRANGEBYLEX ZSCAN.

Replies and error texts are Redis 7.0's, checked byte for byte over a raw
socket where the text matters; encodings and their conversion points are
Redis 7.0's. Everything here passes against redis-server 7.0.15 as well,
except the cluster test at the end (polis_only): replicas, including one
that catches up by snapshot, must agree on every sorted set's contents and
encoding. Tests with set inputs (ZUNION of a set and a sorted set) are
skipped where SADD is an unknown command (a polis build without sets)."""

import random
import threading
import time

import pytest

from cluster_util import catch_up_by_snapshot

ERR_SYNTAX = b"-ERR syntax error\r\n"
ERR_NOT_INT = b"-ERR value is not an integer or out of range\r\n"
ERR_NOT_FLOAT = b"-ERR value is not a valid float\r\n"
ERR_WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
ERR_MINMAX = b"-ERR min or max is not a float\r\n"
ERR_LEX = b"-ERR min or max not valid string range item\r\n"
ERR_NAN = b"-ERR resulting score is not a number (NaN)\r\n"
ERR_CURSOR = b"-ERR invalid cursor\r\n"
EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd


def bulk(s):
    return b"$%d\r\n%s\r\n" % (len(s), s)


def array(*items):
    return b"*%d\r\n" % len(items) + b"".join(bulk(i) for i in items)


@pytest.fixture
def c(server):
    return server.raw()


def encoding(c, key):
    return c.value("OBJECT", "ENCODING", key)


def fill(r, key, n, score=lambda i: i, member=lambda i: b"m%d" % i):
    """ZADD key score(i) member(i) for i in [0, n), pipelined."""
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.zadd(key, {member(i): score(i)})
    p.execute()


def have_sets(c):
    return not c.call("SADD", "probe:set", "x").startswith(b"-ERR unknown command")


# ---- ZADD and scores --------------------------------------------------------------


def test_zadd_zscore_roundtrip(r):
    assert r.zadd(b"z", {b"a": 1, b"b": 2.5}) == 2
    assert r.zadd(b"z", {b"a": 3}) == 0
    assert r.zscore(b"z", b"a") == 3.0
    assert r.zscore(b"z", b"nope") is None
    assert r.zscore(b"missing", b"a") is None
    assert r.zmscore(b"z", [b"b", b"nope", b"a"]) == [2.5, None, 3.0]
    assert r.zcard(b"z") == 2
    assert r.zcard(b"missing") == 0
    assert r.type(b"z") == b"zset"


def test_zadd_raw_replies(c):
    assert c.call("ZADD", "z", "1", "a", "2", "b") == b":2\r\n"
    assert c.call("ZADD", "z", "CH", "5", "a", "2", "b", "3", "c") == b":2\r\n"
    assert c.call("ZADD", "z", "NX", "9", "a", "4", "d") == b":1\r\n"
    assert c.call("ZADD", "z", "XX", "9", "a", "4", "e") == b":0\r\n"
    assert c.call("ZADD", "z", "GT", "CH", "1", "a", "10", "b") == b":1\r\n"
    assert c.call("ZADD", "z", "LT", "CH", "1", "a", "100", "b") == b":1\r\n"
    assert c.call("ZADD", "z", "INCR", "1.5", "a") == bulk(b"2.5")
    assert c.call("ZADD", "z", "INCR", "NX", "1", "a") == b"$-1\r\n"
    assert c.call("ZADD", "z", "INCR", "GT", "-1", "a") == b"$-1\r\n"
    assert c.call("ZINCRBY", "z", "0.1", "a") == bulk(b"2.6000000000000001")
    assert c.call("ZADD", "z", "NX", "XX", "1", "a") == \
        b"-ERR XX and NX options at the same time are not compatible\r\n"
    assert c.call("ZADD", "z", "GT", "LT", "1", "a") == \
        b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
    assert c.call("ZADD", "z", "INCR", "1", "a", "2", "b") == \
        b"-ERR INCR option supports a single increment-element pair\r\n"
    assert c.call("ZADD", "z", "1", "a", "2") == ERR_SYNTAX
    assert c.call("ZADD", "z", "NX", "1") == ERR_SYNTAX
    assert c.call("ZADD", "z", "1", "a", "x", "b") == ERR_NOT_FLOAT
    assert c.call("ZADD", "z") == arity(b"zadd")
    assert c.call("ZINCRBY", "z", "nx", "a") == ERR_SYNTAX  # "nx" is taken as NX


def test_score_parsing_and_formatting(c):
    assert c.call("ZADD", "z", "1.1", "a", "inf", "b", "-inf", "c", "1e20", "d",
                  "0x10", "e", ".5", "f", "+inf", "g") == b":7\r\n"
    assert c.call("ZSCORE", "z", "a") == bulk(b"1.1000000000000001")
    assert c.call("ZSCORE", "z", "b") == bulk(b"inf")
    assert c.call("ZSCORE", "z", "c") == bulk(b"-inf")
    assert c.call("ZSCORE", "z", "d") == bulk(b"1e+20")
    assert c.call("ZSCORE", "z", "e") == bulk(b"16")
    assert c.call("ZSCORE", "z", "f") == bulk(b"0.5")
    for bad in ("nan", "abc", "", " 1", "1 ", "1e400", "1\x002", "--1"):
        assert c.call("ZADD", "z", bad, "x") == ERR_NOT_FLOAT, bad
    assert c.call("ZINCRBY", "z", "-inf", "b") == ERR_NAN
    assert c.call("ZADD", "z", "INCR", "+inf", "c") == ERR_NAN
    assert c.call("ZSCORE", "z", "b") == bulk(b"inf")  # unchanged


def test_negative_zero_as_each_encoding_stores_it(c):
    # A listpack stores integral scores as integers (-0 becomes 0); a
    # skiplist keeps the double.
    c.call("ZADD", "lp", "-0", "a")
    assert c.call("ZSCORE", "lp", "a") == bulk(b"0")
    c.call("ZADD", "sk", "1", b"y" * 65)
    assert encoding(c, "sk") == b"skiplist"
    c.call("ZADD", "sk", "-0", "a")
    assert c.call("ZSCORE", "sk", "a") == bulk(b"-0")


def test_wrongtype_and_missing_keys(c):
    c.call("SET", "s", "x")
    for cmd in (("ZADD", "s", "1", "a"), ("ZSCORE", "s", "a"), ("ZCARD", "s"),
                ("ZRANGE", "s", "0", "1"), ("ZPOPMIN", "s"), ("ZREM", "s", "a"),
                ("ZRANK", "s", "a"), ("ZSCAN", "s", "0"), ("ZRANDMEMBER", "s"),
                ("ZUNION", "2", "nokey", "s"), ("ZMPOP", "1", "s", "MIN"),
                ("ZCOUNT", "s", "0", "1"), ("ZMSCORE", "s", "a")):
        assert c.call(*cmd) == ERR_WRONGTYPE, cmd
    # Argument errors come before the type check where Redis parses first.
    assert c.call("ZCOUNT", "s", "x", "1") == ERR_MINMAX
    assert c.call("ZRANGE", "s", "a", "1") == ERR_NOT_INT
    assert c.call("ZADD", "s", "x", "a") == ERR_NOT_FLOAT
    assert c.call("ZRANGE", "nokey", "0", "-1") == b"*0\r\n"
    assert c.call("ZRANK", "nokey", "a") == b"$-1\r\n"
    assert c.call("ZPOPMIN", "nokey") == b"*0\r\n"
    assert c.call("ZMPOP", "1", "nokey", "MIN") == b"*-1\r\n"
    assert c.call("ZSCAN", "nokey", "0") == EMPTY_SCAN
    assert c.call("ZREM", "nokey", "a") == b":0\r\n"


def test_empty_set_is_deleted_in_both_encodings(r):
    r.zadd(b"lp", {b"a": 1})
    assert r.zrem(b"lp", b"a") == 1
    assert r.exists(b"lp") == 0
    fill(r, b"sk", 200)
    assert r.object("encoding", b"sk") == b"skiplist"
    assert r.zremrangebyrank(b"sk", 0, -1) == 200
    assert r.exists(b"sk") == 0


def test_ttl_is_kept_and_store_replaces_it(r):
    r.zadd(b"z", {b"a": 1})
    r.expire(b"z", 100)
    r.zadd(b"z", {b"b": 2})
    r.zincrby(b"z", 1, b"a")
    assert 0 < r.ttl(b"z") <= 100
    r.set(b"dst", b"v", ex=100)
    assert r.zunionstore(b"dst", [b"z"]) == 2
    assert r.ttl(b"dst") == -1
    assert r.type(b"dst") == b"zset"
    r.pexpire(b"z", 1)
    time.sleep(0.05)
    assert r.zcard(b"z") == 0
    assert r.zadd(b"z", {b"c": 3}) == 1  # an expired key is created afresh
    assert r.zrange(b"z", 0, -1) == [b"c"]


# ---- ranges ------------------------------------------------------------------------


def test_zrange_by_rank_score_and_lex(c):
    c.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    assert c.call("ZRANGE", "z", "0", "-1") == array(b"a", b"b", b"c", b"d", b"e")
    assert c.call("ZRANGE", "z", "-2", "100", "WITHSCORES") == \
        array(b"d", b"4", b"e", b"5")
    assert c.call("ZRANGE", "z", "0", "1", "REV") == array(b"e", b"d")
    assert c.call("ZREVRANGE", "z", "0", "0", "WITHSCORES") == array(b"e", b"5")
    assert c.call("ZRANGE", "z", "3", "1") == b"*0\r\n"
    assert c.call("ZRANGE", "z", "(1", "3", "BYSCORE") == array(b"b", b"c")
    assert c.call("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2") == \
        array(b"d", b"c")
    assert c.call("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2") == b"*0\r\n"
    assert c.call("ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "1", "-1") == array(b"c", b"d")
    assert c.call("ZREVRANGEBYSCORE", "z", "4", "(2") == array(b"d", b"c")
    assert c.call("ZRANGEBYSCORE", "z", "1e999", "inf") == b"*0\r\n"
    c.call("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d")
    assert c.call("ZRANGEBYLEX", "lex", "[b", "(d") == array(b"b", b"c")
    assert c.call("ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "1", "2") == array(b"c", b"b")
    assert c.call("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "0", "1") == array(b"a")
    assert c.call("ZLEXCOUNT", "lex", "(a", "+") == b":3\r\n"
    assert c.call("ZCOUNT", "z", "(1", "(5") == b":3\r\n"


def test_zrange_errors(c):
    c.call("ZADD", "z", "1", "a")
    assert c.call("ZRANGE", "z", "0", "1", "LIMIT", "0", "1") == \
        b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE " \
        b"or BYLEX\r\n"
    assert c.call("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == \
        b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
    assert c.call("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX") == ERR_SYNTAX
    assert c.call("ZRANGEBYSCORE", "z", "0", "1", "REV") == ERR_SYNTAX
    assert c.call("ZRANGE", "z", "0", "1", "LIMIT", "x", "1") == ERR_NOT_INT
    assert c.call("ZRANGEBYSCORE", "z", "x", "1") == ERR_MINMAX
    assert c.call("ZRANGEBYSCORE", "z", "nan", "1") == ERR_MINMAX
    assert c.call("ZRANGEBYLEX", "z", "a", "+") == ERR_LEX
    assert c.call("ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES") == ERR_SYNTAX
    assert c.call("ZRANGE", "z", "0") == arity(b"zrange")


def test_zrangestore(c):
    c.call("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert c.call("ZRANGESTORE", "d", "z", "0", "1") == b":2\r\n"
    assert c.call("ZRANGE", "d", "0", "-1", "WITHSCORES") == array(b"a", b"1", b"b", b"2")
    assert c.call("ZRANGESTORE", "d", "z", "+inf", "(1", "BYSCORE", "REV") == b":2\r\n"
    assert c.call("ZRANGE", "d", "0", "-1") == array(b"b", b"c")
    assert c.call("ZRANGESTORE", "d", "z", "5", "9") == b":0\r\n"
    assert c.call("EXISTS", "d") == b":0\r\n"
    assert c.call("ZRANGESTORE", "z", "z", "0", "0") == b":1\r\n"
    assert c.call("ZRANGE", "z", "0", "-1") == array(b"a")


def test_zrank_zrem_zremrange(c):
    c.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f")
    assert c.call("ZRANK", "z", "c") == b":2\r\n"
    assert c.call("ZREVRANK", "z", "c") == b":3\r\n"
    assert c.call("ZRANK", "z", "nope") == b"$-1\r\n"
    assert c.call("ZREM", "z", "a", "nope", "a") == b":1\r\n"
    assert c.call("ZREMRANGEBYRANK", "z", "-1", "-1") == b":1\r\n"
    assert c.call("ZREMRANGEBYSCORE", "z", "(2", "4") == b":2\r\n"
    assert c.call("ZRANGE", "z", "0", "-1") == array(b"b", b"e")
    c.call("ZADD", "lex", "0", "a", "0", "b", "0", "c")
    assert c.call("ZREMRANGEBYLEX", "lex", "[a", "(c") == b":2\r\n"
    assert c.call("ZREMRANGEBYRANK", "z", "a", "1") == ERR_NOT_INT
    assert c.call("ZREMRANGEBYLEX", "lex", "a", "b") == ERR_LEX


# ---- pops and blocking pops ------------------------------------------------------------


def test_pops(c):
    c.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert c.call("ZPOPMIN", "z") == array(b"a", b"1")
    assert c.call("ZPOPMAX", "z", "2") == array(b"d", b"4", b"c", b"3")
    assert c.call("ZPOPMIN", "z", "0") == b"*0\r\n"
    assert c.call("ZPOPMIN", "z", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert c.call("ZPOPMIN", "z", "10") == array(b"b", b"2")
    assert c.call("EXISTS", "z") == b":0\r\n"
    c.call("ZADD", "z2", "1", "a", "2", "b")
    assert c.call("ZMPOP", "2", "nokey", "z2", "MAX", "COUNT", "5") == \
        b"*2\r\n" + bulk(b"z2") + b"*2\r\n" + array(b"b", b"2") + array(b"a", b"1")
    assert c.call("ZMPOP", "0", "z2", "MIN") == b"-ERR numkeys should be greater than 0\r\n"
    assert c.call("ZMPOP", "1", "z2", "MIN", "COUNT", "0") == \
        b"-ERR count should be greater than 0\r\n"
    assert c.call("ZMPOP", "1", "z2", "FOO") == ERR_SYNTAX


def test_blocking_pops_served_at_once(c):
    c.call("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert c.call("BZPOPMIN", "nokey", "z", "0") == array(b"z", b"a", b"1")
    assert c.call("BZPOPMAX", "z", "0") == array(b"z", b"c", b"3")
    assert c.call("BZMPOP", "0", "1", "z", "MIN", "COUNT", "9") == \
        b"*2\r\n" + bulk(b"z") + b"*1\r\n" + array(b"b", b"2")
    assert c.call("BZPOPMIN", "z", "-1") == b"-ERR timeout is negative\r\n"
    assert c.call("BZPOPMIN", "z", "abc") == \
        b"-ERR timeout is not a float or out of range\r\n"
    assert c.call("BZPOPMIN", "z", "inf") == b"-ERR timeout is negative\r\n"
    assert c.call("BZMPOP", "x", "0", "z", "MIN") == \
        b"-ERR numkeys should be greater than 0\r\n"


def test_blocking_pops_time_out_with_null(server, c):
    t0 = time.monotonic()
    assert c.call("BZPOPMIN", "nokey", "0.2") == b"*-1\r\n"
    assert c.call("BZMPOP", "0.1", "1", "nokey", "MIN") == b"*-1\r\n"
    assert time.monotonic() - t0 >= 0.25
    r3 = server.raw()
    assert r3.call("HELLO", "3").startswith(b"%")
    assert r3.call("BZPOPMAX", "nokey", "0.05") == b"_\r\n"


def test_bzmpop_is_served_by_a_later_zadd(server, r):
    result = {}
    client = server.client()

    def wait():
        result["reply"] = client.execute_command("BZMPOP", "5", "2", "x", "y", "MAX",
                                                 "COUNT", "2")

    t = threading.Thread(target=wait, daemon=True)
    t.start()
    time.sleep(0.3)
    r.zadd(b"y", {b"a": 1, b"b": 2, b"c": 3})
    t.join(10)
    assert result["reply"] == [b"y", [[b"c", b"3"], [b"b", b"2"]]]
    assert r.zrange(b"y", 0, -1) == [b"a"]


# ---- set operations ---------------------------------------------------------------------


def test_union_inter_diff(c):
    c.call("ZADD", "a", "1", "x", "2", "y", "3", "z")
    c.call("ZADD", "b", "10", "y", "20", "z", "30", "w")
    assert c.call("ZUNION", "2", "a", "b", "WITHSCORES") == \
        array(b"x", b"1", b"y", b"12", b"z", b"23", b"w", b"30")
    assert c.call("ZINTER", "2", "a", "b", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX",
                  "WITHSCORES") == array(b"y", b"5", b"z", b"10")
    assert c.call("ZDIFF", "2", "a", "b", "WITHSCORES") == array(b"x", b"1")
    assert c.call("ZINTERCARD", "2", "a", "b", "LIMIT", "1") == b":1\r\n"
    assert c.call("ZUNIONSTORE", "d", "2", "a", "b", "AGGREGATE", "MIN") == b":4\r\n"
    assert c.call("ZRANGE", "d", "0", "-1", "WITHSCORES") == \
        array(b"x", b"1", b"y", b"2", b"z", b"3", b"w", b"30")
    assert c.call("ZINTERSTORE", "d", "2", "a", "nokey") == b":0\r\n"
    assert c.call("EXISTS", "d") == b":0\r\n"
    assert c.call("ZDIFFSTORE", "d", "1", "a") == b":3\r\n"
    # +inf plus -inf sums to 0, as Redis defines it.
    c.call("ZADD", "p", "inf", "m")
    c.call("ZADD", "n", "-inf", "m")
    assert c.call("ZUNION", "2", "p", "n", "WITHSCORES") == array(b"m", b"0")


def test_setop_errors(c):
    c.call("ZADD", "a", "1", "x")
    assert c.call("ZUNION", "0", "a") == \
        b"-ERR at least 1 input key is needed for 'zunion' command\r\n"
    assert c.call("ZUNIONSTORE", "d", "0", "a") == \
        b"-ERR at least 1 input key is needed for 'zunionstore' command\r\n"
    assert c.call("ZUNION", "2", "a") == ERR_SYNTAX
    assert c.call("ZUNION", "x", "a") == ERR_NOT_INT
    assert c.call("ZUNION", "1", "a", "WEIGHTS", "x") == \
        b"-ERR weight value is not a float\r\n"
    assert c.call("ZUNION", "1", "a", "AGGREGATE", "AVG") == ERR_SYNTAX
    assert c.call("ZDIFF", "1", "a", "WEIGHTS", "1") == ERR_SYNTAX
    assert c.call("ZUNIONSTORE", "d", "1", "a", "WITHSCORES") == ERR_SYNTAX
    assert c.call("ZINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"
    c.call("SET", "s", "v")
    # Keys are type-checked before the options are parsed.
    assert c.call("ZUNION", "2", "a", "s", "WEIGHTS", "x", "y") == ERR_WRONGTYPE


def test_set_inputs_count_as_score_one(c):
    if not have_sets(c):
        pytest.skip("no set type in this build (SADD is unknown)")
    c.call("SADD", "s", "x", "q")
    c.call("ZADD", "a", "5", "x", "2", "y")
    assert c.call("ZUNION", "2", "a", "s", "WITHSCORES") == \
        array(b"q", b"1", b"y", b"2", b"x", b"6")
    assert c.call("ZINTER", "2", "s", "a", "WEIGHTS", "3", "1", "WITHSCORES") == \
        array(b"x", b"8")
    assert c.call("ZDIFF", "2", "s", "a") == array(b"q")
    assert c.call("ZINTERCARD", "2", "a", "s") == b":1\r\n"
    assert c.call("ZUNIONSTORE", "d", "1", "s") == b":2\r\n"
    assert encoding(c, "d") == b"listpack"


def test_stable_order_of_equal_sized_inputs(c):
    # Inputs are sorted by size, ties kept in command-line order (Redis's
    # qsort is glibc's stable merge sort); the order decides SUM's rounding.
    vals = ["0.1", "0.2", "0.3", "0.7", "1.1", "2.3", "0.001", "5.5"]
    for i, v in enumerate(vals):
        c.call("ZADD", "k%d" % i, v, "x")
    c.call("ZADD", "big", "0.5", "x", "1", "y")
    keys = ["k%d" % i for i in range(len(vals))]
    assert c.call("ZUNION", "9", *keys, "big", "WITHSCORES") == \
        array(b"y", b"1", b"x", b"10.701000000000001")
    assert c.call("ZUNION", "9", *reversed(keys), "big", "WITHSCORES") == \
        array(b"y", b"1", b"x", b"10.700999999999999")


# ---- encodings -----------------------------------------------------------------------------


def test_encoding_default_thresholds(r, c):
    fill(r, b"z", 128)
    assert encoding(c, "z") == b"listpack"
    r.zadd(b"z", {b"one-more": 1})
    assert encoding(c, "z") == b"skiplist"
    r.zadd(b"long", {b"x" * 64: 1})
    assert encoding(c, "long") == b"listpack"
    r.zadd(b"long", {b"y" * 65: 1})
    assert encoding(c, "long") == b"skiplist"
    r.zrem(b"long", b"y" * 65)
    assert encoding(c, "long") == b"skiplist"  # never converts back


@pytest.mark.server_config(zset_max_listpack_entries=4, zset_max_listpack_value=8)
def test_encoding_lowered_thresholds_and_stored_results(c):
    c.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert encoding(c, "z") == b"listpack"
    c.call("ZADD", "z", "5", "e")
    assert encoding(c, "z") == b"skiplist"
    # Stored results are compact when they fit, as Redis makes them.
    assert c.call("ZRANGESTORE", "d", "z", "0", "3") == b":4\r\n"
    assert encoding(c, "d") == b"listpack"
    assert c.call("ZUNIONSTORE", "d", "1", "z") == b":5\r\n"
    assert encoding(c, "d") == b"skiplist"
    assert c.call("ZINTERSTORE", "d", "2", "z", "z") == b":5\r\n"
    assert encoding(c, "d") == b"skiplist"
    c.call("ZREM", "z", "e")
    assert c.call("ZDIFFSTORE", "d", "1", "z") == b":4\r\n"
    assert encoding(c, "d") == b"listpack"
    c.call("ZADD", "w", "1", "abcdefghi")
    assert encoding(c, "w") == b"skiplist"
    c.call("ZADD", "v", "XX", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    assert c.call("EXISTS", "v") == b":0\r\n"


@pytest.mark.server_config(zset_max_listpack_entries=0)
def test_encoding_zero_entries(c):
    c.call("ZADD", "z", "1", "a")
    assert encoding(c, "z") == b"skiplist"
    assert c.call("ZRANGESTORE", "d", "z", "0", "0") == b":1\r\n"
    assert encoding(c, "d") == b"skiplist"


def test_large_set_ranks_and_ranges(r, c):
    n = 2000
    fill(r, b"big", n, score=lambda i: i // 2)
    assert encoding(c, "big") == b"skiplist"
    assert r.zcard(b"big") == n
    assert r.zrank(b"big", b"m1500") == 1500
    assert r.zrevrank(b"big", b"m0") == n - 1
    assert r.zrange(b"big", 1000, 1002) == [b"m1000", b"m1001", b"m1002"]
    assert r.zcount(b"big", 100, 199) == 200
    assert r.zrangebyscore(b"big", 500, "+inf", start=3, num=2) == [b"m1003", b"m1004"]
    assert r.zremrangebyscore(b"big", 0, 99) == 200
    assert r.zrange(b"big", 0, 0) == [b"m200"]
    assert c.call("ZRANGE", "big", "0", "9223372036854775807", "REV", "BYSCORE", "LIMIT",
                  "0", "1") == b"*0\r\n"


# ---- RESP3 -----------------------------------------------------------------------------------


def test_resp3_shapes(c):
    assert c.call("HELLO", "3").startswith(b"%")
    c.call("ZADD", "z", "1", "a", "2.5", "b")
    assert c.call("ZSCORE", "z", "b") == b",2.5\r\n"
    assert c.call("ZSCORE", "z", "nope") == b"_\r\n"
    assert c.call("ZMSCORE", "z", "a", "nope") == b"*2\r\n,1\r\n_\r\n"
    assert c.call("ZRANGE", "z", "0", "-1", "WITHSCORES") == \
        b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    assert c.call("ZINCRBY", "z", "1", "a") == b",2\r\n"
    assert c.call("ZRANK", "z", "nope") == b"_\r\n"
    assert c.call("ZPOPMIN", "z") == b"*2\r\n$1\r\na\r\n,2\r\n"
    assert c.call("ZPOPMIN", "z", "1") == b"*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    assert c.call("ZRANDMEMBER", "nokey") == b"_\r\n"
    assert c.call("ZMPOP", "1", "nokey", "MIN") == b"_\r\n"
    c.call("ZADD", "z", "3", "c")
    assert c.call("ZUNION", "1", "z", "WITHSCORES") == b"*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"
    assert c.call("ZSCAN", "z", "0") == b"*2\r\n$1\r\n0\r\n" + array(b"c", b"3")


# ---- ZRANDMEMBER and ZSCAN --------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 1000])
def test_zrandmember_cases(r, c, size):
    fill(r, b"z", size, score=lambda i: i % 7)
    members = {b"m%d" % i: float(i % 7) for i in range(size)}
    one = r.zrandmember(b"z")
    assert one in members
    for count in (1, 3, size // 2, size - 1):
        picks = r.zrandmember(b"z", count)
        assert len(picks) == count and len(set(picks)) == count
        assert set(picks) <= set(members)
    assert r.zrandmember(b"z", -50) and len(r.zrandmember(b"z", -50)) == 50
    pairs = c.value("ZRANDMEMBER", "z", "-20", "WITHSCORES")
    assert len(pairs) == 40
    for m, s in zip(pairs[0::2], pairs[1::2]):
        assert members[m] == float(s)
    # A count reaching the size answers the whole set, highest score first.
    assert c.value("ZRANDMEMBER", "z", str(size)) == c.value("ZREVRANGE", "z", "0", "-1")
    assert c.call("ZRANDMEMBER", "z", "0") == b"*0\r\n"


def test_zrandmember_errors(c):
    c.call("ZADD", "z", "1", "a")
    assert c.call("ZRANDMEMBER", "z", "abc") == ERR_NOT_INT
    assert c.call("ZRANDMEMBER", "nokey", "abc") == ERR_NOT_INT  # count checked first
    assert c.call("ZRANDMEMBER", "z", "1", "FOO") == ERR_SYNTAX
    assert c.call("ZRANDMEMBER", "z", "-9223372036854775808") == \
        b"-ERR value is out of range, value must between -9223372036854775807 and " \
        b"9223372036854775807\r\n"
    assert c.call("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES") == \
        b"-ERR value is out of range\r\n"
    assert c.call("ZRANDMEMBER", "nokey", "5") == b"*0\r\n"


@pytest.mark.parametrize("size", [5, 1000])
def test_zscan_full_iteration(r, size):
    fill(r, b"z", size, score=lambda i: i / 4)
    seen = {}
    cursor = 0
    for _ in range(10000):
        cursor, batch = r.zscan(b"z", cursor, count=25)
        for m, s in batch:
            seen[m] = s
        if cursor == 0:
            break
    assert cursor == 0
    assert seen == {b"m%d" % i: i / 4 for i in range(size)}
    got = dict(r.zscan(b"z", 0, match=b"m1*", count=100000)[1])
    assert set(got) == {m for m in seen if m.startswith(b"m1")}


def test_zscan_errors(c):
    c.call("ZADD", "z", "1", "a", "2.5", "b")
    assert c.call("ZSCAN", "z", "0") == b"*2\r\n$1\r\n0\r\n" + array(b"a", b"1", b"b", b"2.5")
    assert c.call("ZSCAN", "z", "abc") == ERR_CURSOR
    assert c.call("ZSCAN", "z", "0", "COUNT", "0") == ERR_SYNTAX
    assert c.call("ZSCAN", "z", "0", "TYPE", "zset") == ERR_SYNTAX
    assert c.call("ZSCAN", "z", "0", "MATCH") == ERR_SYNTAX
    assert c.call("ZSCAN", "nokey", "0", "FOO") == EMPTY_SCAN


# ---- command table -----------------------------------------------------------------------------

COMMAND_ROWS = {
    b"zadd": (-4, [b"write", b"denyoom", b"fast"], [1, 1, 1]),
    b"zrange": (-4, [b"readonly"], [1, 1, 1]),
    b"zrangestore": (-5, [b"write", b"denyoom"], [1, 2, 1]),
    b"zunionstore": (-4, [b"write", b"denyoom", b"movablekeys"], [1, 1, 1]),
    b"zunion": (-3, [b"readonly", b"movablekeys"], [0, 0, 0]),
    b"zmpop": (-4, [b"write", b"movablekeys"], [0, 0, 0]),
    b"bzpopmin": (-3, [b"write", b"noscript", b"blocking", b"fast"], [1, -2, 1]),
    b"bzmpop": (-5, [b"write", b"blocking", b"movablekeys"], [0, 0, 0]),
    b"zscan": (-3, [b"readonly"], [1, 1, 1]),
}


def test_command_info_rows(c):
    infos = c.value("COMMAND", "INFO", *COMMAND_ROWS)
    for info, (name, (arity_n, flags, keys)) in zip(infos, COMMAND_ROWS.items()):
        assert info[0] == name
        assert info[1] == arity_n, name
        assert info[2] == flags, name
        assert info[3:6] == keys, name
    assert c.value("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b") == [b"d", b"a", b"b"]
    assert c.value("COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN") == [b"a", b"b"]
    assert c.value("COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "0") == [b"a", b"b"]


# ---- cluster (polis only) ------------------------------------------------------------------------


def zset_workload(rng, n):
    """n sorted set writes over 30 keys; those ending in 7 grow past 100
    members (the cluster runs with zset-max-listpack-entries 100), those
    ending in 3 get long members, the rest stay listpacks."""
    cmds = []
    for i in range(n):
        key = "z:%d" % rng.randrange(30)
        member = "m%d" % rng.randrange(180 if key.endswith("7") else 40)
        roll = rng.random()
        if roll < 0.5:
            score = rng.choice(["%d" % rng.randrange(-100, 100), "%.3f" % rng.uniform(-5, 5),
                                "inf", "-inf"])
            if key.endswith("3") and rng.random() < 0.2:
                member = "x" * 65
            cmds.append(("ZADD", key, score, member))
        elif roll < 0.65:
            cmds.append(("ZINCRBY", key, "%.2f" % rng.uniform(-3, 3), member))
        elif roll < 0.8:
            cmds.append(("ZREM", key, member))
        elif roll < 0.85:
            cmds.append(("ZPOPMIN", key, "2"))
        elif roll < 0.9:
            cmds.append(("ZREMRANGEBYSCORE", key, "(0", "1"))
        elif roll < 0.95:
            cmds.append(("ZUNIONSTORE", "z:u%d" % rng.randrange(3), "2", key,
                         "z:%d" % rng.randrange(30), "WEIGHTS", "2", "1"))
        else:
            cmds.append(("ZRANGESTORE", "z:r%d" % rng.randrange(3), key, "0", "20"))
    return cmds


def zset_state(node):
    """Each sorted set's (encoding, members with scores) on this node's own
    replica: the order by (score, member) is the same in both encodings."""
    ro = node.raw(readonly=True)
    return {key: (ro.value("OBJECT", "ENCODING", key),
                  ro.value("ZRANGE", key, "0", "-1", "WITHSCORES"))
            for key in sorted(ro.value("KEYS", "z:*"))}


@pytest.mark.polis_only
def test_cluster_replicas_agree_on_sorted_sets(cluster_factory):
    """Three nodes; one is down while sorted sets change and the leader
    snapshots, so it catches up from a snapshot holding both encodings.
    Every replica must end with the same digest, contents and encodings."""
    cluster = cluster_factory(raft_snapshot_entries=300, zset_max_listpack_entries=100,
                              loglevel="verbose")
    rng = random.Random(777)
    # (a ZINCRBY that would make a NaN is refused: not a failure here)
    catch_up_by_snapshot(cluster, zset_workload(rng, 1500), zset_workload(rng, 3000), 3,
                         tolerated=lambda reply: b"NaN" in reply.text)
    cluster.assert_replicas_agree(timeout_s=60)
    states = [zset_state(n) for n in cluster.nodes]
    assert states[0] == states[1] == states[2]
    encodings = {enc for enc, _ in states[0].values()}
    assert encodings == {b"listpack", b"skiplist"}, encodings


# ---- the differential test's sorted set comparisons can fail ------------------------------------


def test_diff_zset_comparisons_can_fail():
    import diff_zset as d

    d._LAST[b"ZRANDMEMBER"] = [b"ZRANDMEMBER", b"z", b"2", b"WITHSCORES"]
    assert d.compare_zrandmember(array(b"a", b"1", b"b", b"2"), array(b"c", b"3", b"a", b"1"))[0]
    assert not d.compare_zrandmember(array(b"a", b"1", b"a", b"1"),
                                     array(b"c", b"3", b"a", b"1"))[0]
    assert not d.compare_zrandmember(array(b"a", b"9", b"b", b"2"),
                                     array(b"c", b"3", b"a", b"1"))[0]
    assert not d.compare_zrandmember(array(b"a", b"1"), array(b"c", b"3", b"a", b"1"))[0]
    nested = b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    assert not d.compare_zrandmember(nested, array(b"a", b"1"))[0]
    d._LAST[b"ZRANDMEMBER"] = [b"ZRANDMEMBER", b"z", b"5"]  # the whole set: 2 members
    assert d.compare_zrandmember(array(b"a", b"b"), array(b"b", b"a"))[0]
    assert not d.compare_zrandmember(array(b"a", b"b"), array(b"b", b"c"))[0]
    d._LAST[b"ZRANDMEMBER"] = [b"ZRANDMEMBER", b"z", b"-3"]
    assert d.compare_zrandmember(array(b"a", b"a", b"a"), array(b"b", b"c", b"b"))[0]
    d._LAST[b"ZRANDMEMBER"] = [b"ZRANDMEMBER", b"z"]
    assert not d.compare_zrandmember(b"$-1\r\n", bulk(b"a"))[0]
    assert not d.compare_zrandmember(ERR_SYNTAX, bulk(b"a"))[0]

    def scan(cursor, *items):
        return b"*2\r\n" + bulk(cursor) + array(*items)

    assert d.compare_zscan(scan(b"0", b"a", b"1", b"b", b"2"), scan(b"0", b"b", b"2", b"a", b"1"))[0]
    assert not d.compare_zscan(scan(b"0", b"a", b"1"), scan(b"0", b"a", b"1", b"b", b"2"))[0]
    assert not d.compare_zscan(scan(b"3", b"a", b"9"), scan(b"5", b"a", b"1"))[0]
    assert not d.compare_zscan(scan(b"3", b"a", b"1", b"a", b"1"), scan(b"5", b"a", b"1"))[0]
    assert not d.compare_zscan(scan(b"0", b"a", b"1"), scan(b"4", b"c", b"1"))[0]
    assert d.compare_zscan(scan(b"0", b"a", b"1", b"c", b"1"), scan(b"4", b"c", b"1"))[0]
    assert not d.compare_zscan(ERR_CURSOR, scan(b"0"))[0]
