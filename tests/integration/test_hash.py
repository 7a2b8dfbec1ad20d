"""Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HEXISTS HLEN HSTRLEN HKEYS
HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN. Replies and error texts
are Redis 7.0's, checked byte for byte over a raw socket where the text
matters; encodings and their conversion points are Redis 7.0's. Everything
here passes against redis-server 7.0.15 as well, except the cluster test at
the end (polis_only): replicas, including one that catches up by snapshot,
must agree on every hash's contents and encoding."""

import random
import time

import pytest

from cluster_util import catch_up_by_snapshot

ERR_SYNTAX = b"-ERR syntax error\r\n"
ERR_NOT_INT = b"-ERR value is not an integer or out of range\r\n"
ERR_NOT_FLOAT = b"-ERR value is not a valid float\r\n"
ERR_WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
ERR_OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
ERR_HASH_NOT_INT = b"-ERR hash value is not an integer\r\n"
ERR_HASH_NOT_FLOAT = b"-ERR hash value is not a float\r\n"
ERR_INCR_NAN_INF = b"-ERR increment would produce NaN or Infinity\r\n"
ERR_ARG_NAN_INF = b"-ERR value is NaN or Infinity\r\n"
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


def fill(r, key, n, start=0):
    """HSET key f<i> v<i> for i in [start, start + n), pipelined."""
    p = r.pipeline(transaction=False)
    for i in range(start, start + n):
        p.hset(key, b"f%d" % i, b"v%d" % i)
    p.execute()


# ---- HSET / HGET and friends ------------------------------------------------


def test_hset_hget_roundtrip(r):
    assert r.hset(b"h", b"a", b"1") == 1
    assert r.hset(b"h", mapping={b"a": b"2", b"b": b"3"}) == 1
    assert r.hget(b"h", b"a") == b"2"
    assert r.hget(b"h", b"zz") is None
    assert r.hget(b"missing", b"a") is None
    assert r.hmget(b"h", [b"b", b"zz", b"a"]) == [b"3", None, b"2"]
    assert r.hlen(b"h") == 2
    assert r.hexists(b"h", b"a") is True
    assert r.hexists(b"h", b"zz") is False
    assert r.type(b"h") == b"hash"


def test_raw_replies(c):
    assert c.call("HSET", "h", "a", "1", "b", "2") == b":2\r\n"
    assert c.call("HSET", "h", "a", "10", "c", "3") == b":1\r\n"
    assert c.call("HMSET", "h", "d", "4") == b"+OK\r\n"
    assert c.call("HGET", "h", "a") == bulk(b"10")
    assert c.call("HGET", "h", "nope") == b"$-1\r\n"
    assert c.call("hget", "missing", "a") == b"$-1\r\n"
    assert c.call("HMGET", "h", "a", "x", "d") == b"*3\r\n$2\r\n10\r\n$-1\r\n$1\r\n4\r\n"
    assert c.call("HMGET", "missing", "a") == b"*1\r\n$-1\r\n"
    assert c.call("HSETNX", "h", "a", "x") == b":0\r\n"
    assert c.call("HSETNX", "h", "e", "5") == b":1\r\n"
    assert c.call("HSETNX", "new", "f", "v") == b":1\r\n"
    assert c.call("HLEN", "h") == b":5\r\n"
    assert c.call("HLEN", "missing") == b":0\r\n"
    assert c.call("HEXISTS", "h", "a") == b":1\r\n"
    assert c.call("HEXISTS", "missing", "a") == b":0\r\n"
    assert c.call("HSTRLEN", "h", "a") == b":2\r\n"
    assert c.call("HSTRLEN", "h", "nope") == b":0\r\n"
    assert c.call("HSTRLEN", "missing", "a") == b":0\r\n"
    assert c.call("HSET", "i", "n", "-9223372036854775808", "z", "007") == b":2\r\n"
    assert c.call("HSTRLEN", "i", "n") == b":20\r\n"
    assert c.call("HGET", "i", "z") == bulk(b"007")


def test_binary_fields_and_values(r):
    fields = [b"", b"\x00", b"a\r\nb", b"\xff\xfe", b"12", b"012", b"-0", b" 1"]
    for i, f in enumerate(fields):
        assert r.hset(b"bin\x00key", f, b"val\x00%d\r\n" % i) == 1
    for i, f in enumerate(fields):
        assert r.hget(b"bin\x00key", f) == b"val\x00%d\r\n" % i
    assert r.hkeys(b"bin\x00key") == fields
    assert r.hstrlen(b"bin\x00key", b"") == 7


def test_hdel(c):
    c.call("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert c.call("HDEL", "missing", "a") == b":0\r\n"
    assert c.call("HDEL", "h", "a", "x", "b", "a") == b":2\r\n"
    assert c.call("HLEN", "h") == b":1\r\n"
    assert c.call("HDEL", "h", "c") == b":1\r\n"
    assert c.call("EXISTS", "h") == b":0\r\n"


def test_empty_hash_is_deleted_in_both_encodings(r):
    fill(r, "big", 600)
    assert r.object("encoding", "big") == b"hashtable"
    assert r.hdel("big", *[b"f%d" % i for i in range(600)]) == 600
    assert r.exists("big") == 0


def test_listpack_order(c):
    c.call("HSET", "h", "z", "1", "a", "two", "m", "3")
    c.call("HSET", "h", "z", "one")
    assert encoding(c, "h") == b"listpack"
    assert c.call("HGETALL", "h") == array(b"z", b"one", b"a", b"two", b"m", b"3")
    assert c.call("HKEYS", "h") == array(b"z", b"a", b"m")
    assert c.call("HVALS", "h") == array(b"one", b"two", b"3")
    c.call("HDEL", "h", "z")
    c.call("HSET", "h", "z", "again")
    assert c.call("HKEYS", "h") == array(b"a", b"m", b"z")
    for cmd in ("HGETALL", "HKEYS", "HVALS"):
        assert c.call(cmd, "missing") == b"*0\r\n"


def test_hashtable_contents(r):
    fill(r, "h", 2000)
    assert r.object("encoding", "h") == b"hashtable"
    expected = {b"f%d" % i: b"v%d" % i for i in range(2000)}
    assert r.hgetall("h") == expected
    keys = r.hkeys("h")
    assert len(keys) == 2000 and set(keys) == set(expected)
    assert sorted(r.hvals("h")) == sorted(expected.values())
    assert r.hlen("h") == 2000


def test_large_values(r):
    big = bytes(range(256)) * 4096  # 1 MiB
    assert r.hset("h", "big", big) == 1
    assert r.hget("h", "big") == big
    assert r.hstrlen("h", "big") == len(big)
    assert r.object("encoding", "h") == b"hashtable"


def test_wrongtype_and_arity(c):
    c.call("SET", "s", "x")
    for cmd in (["HSET", "s", "a", "1"], ["HMSET", "s", "a", "1"], ["HSETNX", "s", "a", "1"],
                ["HGET", "s", "a"], ["HMGET", "s", "a"], ["HDEL", "s", "a"], ["HLEN", "s"],
                ["HEXISTS", "s", "a"], ["HSTRLEN", "s", "a"], ["HKEYS", "s"], ["HVALS", "s"],
                ["HGETALL", "s"], ["HINCRBY", "s", "a", "1"], ["HINCRBYFLOAT", "s", "a", "1"],
                ["HRANDFIELD", "s"], ["HRANDFIELD", "s", "0"], ["HSCAN", "s", "0"],
                ["HSCAN", "s", "0", "BAD"]):
        assert c.call(*cmd) == ERR_WRONGTYPE, cmd
    c.call("HSET", "h", "a", "1")
    assert c.call("GET", "h") == ERR_WRONGTYPE
    assert c.call("HSET", "s", "a", "1", "b") == arity(b"hset")
    assert c.call("HMSET", "h", "a", "1", "b") == arity(b"hmset")
    for cmd, argv in ((b"hset", ["h", "a"]), (b"hget", ["h"]), (b"hdel", ["h"]),
                      (b"hmget", ["h"]), (b"hsetnx", ["h", "a"]), (b"hincrby", ["h", "a"]),
                      (b"hincrbyfloat", ["h", "a", "1", "2"]), (b"hrandfield", []),
                      (b"hscan", ["h"]), (b"hlen", ["h", "x"]), (b"hkeys", []),
                      (b"hvals", ["h", "x"]), (b"hgetall", []), (b"hexists", ["h"]),
                      (b"hstrlen", ["h", "a", "b"])):
        assert c.call(cmd.decode(), *argv) == arity(cmd), cmd


def test_ttl_is_kept_and_expiry_hides(r, c):
    r.hset("h", "a", "1")
    assert r.pexpire("h", 300)
    r.hset("h", "b", "2")
    r.hincrby("h", "n", 1)
    r.hdel("h", "a")
    assert 0 < r.pttl("h") <= 300
    time.sleep(0.5)
    assert c.call("HGET", "h", "b") == b"$-1\r\n"
    assert c.call("HLEN", "h") == b":0\r\n"
    assert c.call("HGETALL", "h") == b"*0\r\n"
    assert c.call("HSET", "h", "z", "9") == b":1\r\n"
    assert c.call("PTTL", "h") == b":-1\r\n"
    assert c.call("HGETALL", "h") == array(b"z", b"9")


# ---- counters -----------------------------------------------------------------


def test_hincrby(c):
    assert c.call("HINCRBY", "h", "n", "5") == b":5\r\n"
    assert c.call("HINCRBY", "h", "n", "-10") == b":-5\r\n"
    assert c.call("HGET", "h", "n") == bulk(b"-5")
    for bad in ("1.5", " 1", "9223372036854775808", "", "abc"):
        assert c.call("HINCRBY", "h", "n", bad) == ERR_NOT_INT, bad
    assert c.call("HINCRBY", "missing", "n", "x") == ERR_NOT_INT
    assert c.call("EXISTS", "missing") == b":0\r\n"
    c.call("HSET", "h", "s", "abc", "z", "007", "big", "9223372036854775807")
    assert c.call("HINCRBY", "h", "s", "1") == ERR_HASH_NOT_INT
    assert c.call("HINCRBY", "h", "z", "1") == ERR_HASH_NOT_INT
    assert c.call("HINCRBY", "h", "big", "1") == ERR_OVERFLOW
    assert c.call("HINCRBY", "h", "big", "-9223372036854775808") == b":-1\r\n"
    assert c.call("HINCRBY", "h", "min", "-9223372036854775808") == b":-9223372036854775808\r\n"
    assert c.call("HINCRBY", "h", "min", "-1") == ERR_OVERFLOW
    c.call("SET", "str", "1")
    assert c.call("HINCRBY", "str", "f", "x") == ERR_NOT_INT
    assert c.call("HINCRBY", "str", "f", "1") == ERR_WRONGTYPE


def test_hincrbyfloat(c):
    assert c.call("HINCRBYFLOAT", "h", "f", "10.5") == bulk(b"10.5")
    assert c.call("HINCRBYFLOAT", "h", "f", "-5.4") == bulk(b"5.1")
    assert c.call("HINCRBYFLOAT", "h", "g", "-0") == bulk(b"0")
    assert c.call("HINCRBYFLOAT", "h", "x", "0x10") == bulk(b"16")
    assert c.call("HINCRBYFLOAT", "h", "y", "0.1") == bulk(b"0.1")
    assert c.call("HINCRBYFLOAT", "h", "y", "0.2") == bulk(b"0.3")
    assert c.call("HINCRBYFLOAT", "h", "y", "-0.3") == bulk(b"0")
    assert c.call("HINCRBYFLOAT", "h", "e", "5.0e3") == bulk(b"5000")
    assert c.call("HINCRBYFLOAT", "h", "e", "1e-3") == bulk(b"5000.00099999999999989")
    for bad in ("abc", "nan", "", " 1", "1 ", "1e"):
        assert c.call("HINCRBYFLOAT", "h", "f", bad) == ERR_NOT_FLOAT, bad
    for bad in ("inf", "-inf", "+inf"):
        assert c.call("HINCRBYFLOAT", "h", "f", bad) == ERR_ARG_NAN_INF, bad
    c.call("HSET", "h", "s", "abc", "i", "-9223372036854775808", "inf", "inf")
    assert c.call("HINCRBYFLOAT", "h", "s", "1") == ERR_HASH_NOT_FLOAT
    assert c.call("HINCRBYFLOAT", "h", "i", "-1") == bulk(b"-9223372036854775809")
    assert c.call("HINCRBYFLOAT", "h", "inf", "1") == ERR_INCR_NAN_INF
    # Long doubles: 1e400 is finite, and 401 digits long.
    reply = c.call("HINCRBYFLOAT", "h", "huge", "1e400")
    assert reply.startswith(b"$401\r\n10000000000000000000281880683947586514586")
    assert c.call("HINCRBYFLOAT", "h", "huge", "1e4932").startswith(b"$4933\r\n10000")
    assert c.call("HINCRBYFLOAT", "h", "huge", "1e4932") == ERR_INCR_NAN_INF
    c.call("SET", "str", "1")
    assert c.call("HINCRBYFLOAT", "str", "f", "x") == ERR_NOT_FLOAT
    assert c.call("HINCRBYFLOAT", "str", "f", "inf") == ERR_ARG_NAN_INF
    assert c.call("HINCRBYFLOAT", "str", "f", "1") == ERR_WRONGTYPE


# ---- encodings ------------------------------------------------------------------


def test_encoding_default_thresholds(r, c):
    # Redis 7.0's defaults: 512 fields, 64 bytes.
    fill(r, "h", 512)
    assert encoding(c, "h") == b"listpack"
    fill(r, "h", 1, start=512)
    assert encoding(c, "h") == b"hashtable"
    r.hdel("h", *[b"f%d" % i for i in range(512)])
    assert encoding(c, "h") == b"hashtable"  # never back
    c.call("HSET", "v", "f", "x" * 64)
    assert encoding(c, "v") == b"listpack"
    c.call("HSET", "v", "g", "x" * 65)
    assert encoding(c, "v") == b"hashtable"
    c.call("HSET", "k", "x" * 65, "1")
    assert encoding(c, "k") == b"hashtable"
    # Repeated fields in one HSET count once.
    c.call("HSET", "dup", *(["f", "v"] * 600))
    assert encoding(c, "dup") == b"listpack"


@pytest.mark.server_config(hash_max_listpack_entries=4, hash_max_listpack_value=8)
def test_encoding_lowered_thresholds(c):
    assert c.call("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4") == b":4\r\n"
    assert encoding(c, "h") == b"listpack"
    assert c.call("HSET", "m", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5") == b":5\r\n"
    assert encoding(c, "m") == b"hashtable"
    # Replacing a value with a long one converts: every argument is checked.
    c.call("HSET", "t", "a", "1")
    c.call("HSET", "t", "a", "123456789")
    assert encoding(c, "t") == b"hashtable"
    # Reads and deletes with long fields do not.
    c.call("HSET", "r", "a", "12345678")
    assert c.call("HGET", "r", "123456789") == b"$-1\r\n"
    assert c.call("HDEL", "r", "123456789") == b":0\r\n"
    assert encoding(c, "r") == b"listpack"
    # HSETNX checks only when it writes.
    assert c.call("HSETNX", "r", "a", "123456789") == b":0\r\n"
    assert encoding(c, "r") == b"listpack"
    assert c.call("HSETNX", "r", "b", "123456789") == b":1\r\n"
    assert encoding(c, "r") == b"hashtable"
    # HINCRBY and HINCRBYFLOAT convert on a long field or a long result.
    c.call("HINCRBY", "i", "123456789", "1")
    assert encoding(c, "i") == b"hashtable"
    c.call("HINCRBY", "j", "f", "99999999")
    assert encoding(c, "j") == b"listpack"
    assert c.call("HINCRBY", "j", "f", "1") == b":100000000\r\n"
    assert encoding(c, "j") == b"hashtable"
    assert c.call("HINCRBYFLOAT", "k", "f", "1.5e10") == bulk(b"15000000000")
    assert encoding(c, "k") == b"hashtable"


@pytest.mark.server_config(hash_max_listpack_entries=0)
def test_encoding_zero_entries(c):
    c.call("HSET", "h", "a", "1")
    assert encoding(c, "h") == b"hashtable"


# ---- RESP3 ----------------------------------------------------------------------


def test_resp3_shapes(c):
    assert c.call("HELLO", "3").startswith(b"%")
    c.call("HSET", "h", "a", "1", "b", "2")
    assert c.call("HGETALL", "h") == b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert c.call("HGETALL", "missing") == b"%0\r\n"
    assert c.call("HKEYS", "missing") == b"*0\r\n"
    assert c.call("HGET", "h", "x") == b"_\r\n"
    assert c.call("HRANDFIELD", "missing") == b"_\r\n"
    assert c.call("HRANDFIELD", "missing", "3") == b"*0\r\n"
    c.call("HSET", "one", "a", "1")
    assert c.call("HRANDFIELD", "one", "5", "WITHVALUES") == b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert c.call("HRANDFIELD", "one", "-2", "WITHVALUES") == \
        b"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert c.call("HRANDFIELD", "one", "-2") == b"*2\r\n$1\r\na\r\n$1\r\na\r\n"
    assert c.call("HSCAN", "one", "0") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"


# ---- HRANDFIELD -------------------------------------------------------------------


def check_picks(reply, expected, count, withvalues, unique):
    """reply: a decoded RESP2 HRANDFIELD reply."""
    if withvalues:
        assert len(reply) == 2 * count
        pairs = list(zip(reply[0::2], reply[1::2]))
        for f, v in pairs:
            assert expected[f] == v
        fields = [f for f, _ in pairs]
    else:
        assert len(reply) == count
        fields = reply
        assert all(f in expected for f in fields)
    if unique:
        assert len(set(fields)) == len(fields)


@pytest.mark.parametrize("size", [10, 1000])
def test_hrandfield_cases(r, c, size):
    fill(r, "h", size)
    assert encoding(c, "h") == (b"listpack" if size <= 512 else b"hashtable")
    expected = {b"f%d" % i: b"v%d" % i for i in range(size)}
    assert c.value("HRANDFIELD", "h") in expected
    for count in (1, 2, size // 4, size // 2, size - 1, size, size + 1, 10 * size):
        for wv in (False, True):
            args = ["HRANDFIELD", "h", count] + (["WITHVALUES"] if wv else [])
            check_picks(c.value(*args), expected, min(count, size), wv, unique=True)
            args[2] = -count
            check_picks(c.value(*args), expected, count, wv, unique=False)
    # Negative counts repeat: 200 picks from 10 fields must.
    if size == 10:
        picks = c.value("HRANDFIELD", "h", -200)
        assert len(picks) == 200 and len(set(picks)) < 200


def test_hrandfield_errors(c):
    assert c.call("HRANDFIELD", "missing") == b"$-1\r\n"
    assert c.call("HRANDFIELD", "missing", "5") == b"*0\r\n"
    assert c.call("HRANDFIELD", "missing", "-5", "WITHVALUES") == b"*0\r\n"
    c.call("HSET", "h", "a", "1")
    assert c.call("HRANDFIELD", "h", "0") == b"*0\r\n"
    assert c.call("HRANDFIELD", "h", "abc") == ERR_NOT_INT
    assert c.call("HRANDFIELD", "h", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and "
        b"9223372036854775807\r\n")
    assert c.call("HRANDFIELD", "h", "1", "WITHVALUE") == ERR_SYNTAX
    assert c.call("HRANDFIELD", "h", "1", "WITHVALUES", "x") == ERR_SYNTAX
    assert c.call("HRANDFIELD", "missing", "1", "bad") == ERR_SYNTAX
    assert c.call("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES") == \
        b"-ERR value is out of range\r\n"
    assert c.call("HRANDFIELD", "h", "-4611686018427387904", "withvalues") == \
        b"-ERR value is out of range\r\n"
    assert c.call("HRANDFIELD", "h", "9223372036854775807") == array(b"a")
    assert c.call("HRANDFIELD", "h", "-3") == array(b"a", b"a", b"a")
    assert c.call("HRANDFIELD", "h", "2", "withvalues") == array(b"a", b"1")
    c.call("SET", "s", "x")
    assert c.call("HRANDFIELD", "s", "x") == ERR_NOT_INT
    assert c.call("HRANDFIELD", "s", "0") == ERR_WRONGTYPE


# ---- HSCAN --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 1000])
def test_hscan_full_iteration(r, size):
    fill(r, "h", size)
    expected = {b"f%d" % i: b"v%d" % i for i in range(size)}
    for count in (1, 10, 5000):
        got = {}
        for f, v in r.hscan_iter("h", count=count):
            assert f not in got
            got[f] = v
        assert got == expected
    matched = dict(r.hscan_iter("h", match=b"f1*", count=7))
    assert matched == {f: v for f, v in expected.items() if f.startswith(b"f1")}


def test_hscan_listpack_returns_everything(c):
    c.call("HSET", "h", "a1", "1", "b1", "2", "a2", "3")
    everything = b"*2\r\n$1\r\n0\r\n" + array(b"a1", b"1", b"b1", b"2", b"a2", b"3")
    assert c.call("HSCAN", "h", "0") == everything
    assert c.call("HSCAN", "h", "123", "COUNT", "1") == everything
    assert c.call("HSCAN", "h", "-1") == everything
    assert c.call("HSCAN", "h", "") == everything
    assert c.call("HSCAN", "h", "0", "MATCH", "a*") == \
        b"*2\r\n$1\r\n0\r\n" + array(b"a1", b"1", b"a2", b"3")
    assert c.call("HSCAN", "h", "0", "MATCH", "3") == EMPTY_SCAN


def test_hscan_hashtable_cursor(r, c):
    fill(r, "h", 1000)
    cursor, items = c.value("HSCAN", "h", "0", "COUNT", "2")
    assert cursor != b"0" and 0 < len(items) and len(items) % 2 == 0
    cursor, items = c.value("HSCAN", "h", "0", "COUNT", "9223372036854775807")
    assert cursor == b"0" and len(items) == 2000


def test_hscan_errors(c):
    assert c.call("HSCAN", "missing", "0") == EMPTY_SCAN
    assert c.call("HSCAN", "missing", "0", "BAD") == EMPTY_SCAN  # before the options
    assert c.call("HSCAN", "missing", "x") == ERR_CURSOR
    c.call("HSET", "h", "a", "1")
    for cursor in (" 1", "1x", "18446744073709551616", "abc"):
        assert c.call("HSCAN", "h", cursor) == ERR_CURSOR, cursor
    assert c.call("HSCAN", "h", "0", "COUNT", "0") == ERR_SYNTAX
    assert c.call("HSCAN", "h", "0", "COUNT", "-1") == ERR_SYNTAX
    assert c.call("HSCAN", "h", "0", "COUNT", "x") == ERR_NOT_INT
    assert c.call("HSCAN", "h", "0", "MATCH") == ERR_SYNTAX
    assert c.call("HSCAN", "h", "0", "TYPE", "hash") == ERR_SYNTAX
    assert c.call("HSCAN", "h", "0", "NOVALUES") == ERR_SYNTAX


# ---- COMMAND INFO -------------------------------------------------------------------

COMMAND_ROWS = {
    b"hdel": (-3, [b"write", b"fast"]),
    b"hexists": (3, [b"readonly", b"fast"]),
    b"hget": (3, [b"readonly", b"fast"]),
    b"hgetall": (2, [b"readonly"]),
    b"hincrby": (4, [b"write", b"denyoom", b"fast"]),
    b"hincrbyfloat": (4, [b"write", b"denyoom", b"fast"]),
    b"hkeys": (2, [b"readonly"]),
    b"hlen": (2, [b"readonly", b"fast"]),
    b"hmget": (-3, [b"readonly", b"fast"]),
    b"hmset": (-4, [b"write", b"denyoom", b"fast"]),
    b"hrandfield": (-2, [b"readonly"]),
    b"hscan": (-3, [b"readonly"]),
    b"hset": (-4, [b"write", b"denyoom", b"fast"]),
    b"hsetnx": (4, [b"write", b"denyoom", b"fast"]),
    b"hstrlen": (3, [b"readonly", b"fast"]),
    b"hvals": (2, [b"readonly"]),
}


def test_command_info_rows(c):
    infos = c.value("COMMAND", "INFO", *COMMAND_ROWS)
    for info, (name, (arity_n, flags)) in zip(infos, COMMAND_ROWS.items()):
        assert info[0] == name
        assert info[1] == arity_n, name
        assert info[2] == flags, name
        assert info[3:6] == [1, 1, 1], name
    assert c.value("COMMAND", "GETKEYS", "HSET", "k", "f", "v") == [b"k"]


# ---- cluster (polis only) ------------------------------------------------------------


def hash_workload(rng, n):
    """n hash writes over 40 keys: some stay listpacks, some convert (the
    cluster runs with hash-max-listpack-entries 100)."""
    cmds = []
    for i in range(n):
        key = "h:%d" % rng.randrange(40)
        roll = rng.random()
        field = "f%d" % rng.randrange(150 if key.endswith("7") else 30)
        if roll < 0.5:
            value = "x" * rng.choice([1, 5, 64, 65]) if rng.random() < 0.1 else str(i)
            cmds.append(("HSET", key, field, value))
        elif roll < 0.7:
            cmds.append(("HINCRBY", key, "n%d" % rng.randrange(5), rng.randrange(-50, 50)))
        elif roll < 0.8:
            cmds.append(("HINCRBYFLOAT", key, "fl", "%.3f" % rng.uniform(-10, 10)))
        elif roll < 0.95:
            cmds.append(("HDEL", key, field, "f%d" % rng.randrange(30)))
        else:
            cmds.append(("HSETNX", key, field, "nx%d" % i))
    return cmds


def hash_state(node):
    """Each hash key's (encoding, contents) on this node's own replica. A
    listpack's order is part of its contents; a hashtable's order is its
    layout, which a replica that loaded a snapshot built in another
    insertion order (as the keyspace's own table), so it compares as a map."""
    ro = node.raw(readonly=True)
    state = {}
    for key in sorted(ro.value("KEYS", "h:*")):
        enc = ro.value("OBJECT", "ENCODING", key)
        flat = ro.value("HGETALL", key)
        if enc == b"hashtable":
            flat = sorted(zip(flat[0::2], flat[1::2]))
        state[key] = (enc, flat)
    return state


@pytest.mark.polis_only
def test_cluster_replicas_agree_on_hashes(cluster_factory):
    """Three nodes; one is down while hashes change and the leader
    snapshots, so it catches up from a snapshot holding both encodings.
    Every replica must end with the same digest, contents and encodings."""
    cluster = cluster_factory(raft_snapshot_entries=300, hash_max_listpack_entries=100,
                              loglevel="verbose")
    rng = random.Random(4242)
    catch_up_by_snapshot(cluster, hash_workload(rng, 1500), hash_workload(rng, 3000), 3)
    cluster.assert_replicas_agree(timeout_s=60)
    states = [hash_state(n) for n in cluster.nodes]
    assert states[0] == states[1] == states[2]
    encodings = {enc for enc, _ in states[0].values()}
    assert encodings == {b"listpack", b"hashtable"}, encodings


# ---- the differential test's hash comparisons can fail ----------------------------


def test_diff_hash_comparisons_can_fail():
    import diff_hash as d

    def flat(*items):
        return array(*items)

    assert d.cmp_hgetall(flat(b"a", b"1", b"b", b"2"), flat(b"b", b"2", b"a", b"1"))[0]
    assert not d.cmp_hgetall(flat(b"a", b"1", b"b", b"2"), flat(b"a", b"2", b"b", b"1"))[0]
    assert not d.cmp_hgetall(flat(b"a", b"1"), ERR_WRONGTYPE)[0]
    assert d.cmp_multiset(flat(b"a", b"b"), flat(b"b", b"a"))[0]
    assert not d.cmp_multiset(flat(b"a", b"b"), flat(b"a", b"a"))[0]

    d._LAST[b"HRANDFIELD"] = [b"HRANDFIELD", b"h", b"2", b"WITHVALUES"]
    assert d.cmp_hrandfield(flat(b"a", b"1", b"b", b"2"), flat(b"c", b"3", b"a", b"1"))[0]
    assert not d.cmp_hrandfield(flat(b"a", b"1", b"a", b"1"), flat(b"c", b"3", b"a", b"1"))[0]
    assert not d.cmp_hrandfield(flat(b"a", b"9", b"b", b"2"), flat(b"c", b"3", b"a", b"1"))[0]
    assert not d.cmp_hrandfield(flat(b"a", b"1"), flat(b"c", b"3", b"a", b"1"))[0]
    nested = b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert not d.cmp_hrandfield(nested, flat(b"a", b"1"))[0]
    d._LAST[b"HRANDFIELD"] = [b"HRANDFIELD", b"h", b"5"]  # the whole hash: 2 fields
    assert d.cmp_hrandfield(flat(b"a", b"b"), flat(b"b", b"a"))[0]
    assert not d.cmp_hrandfield(flat(b"a", b"b"), flat(b"b", b"c"))[0]
    d._LAST[b"HRANDFIELD"] = [b"HRANDFIELD", b"h", b"-3"]
    assert d.cmp_hrandfield(flat(b"a", b"a", b"a"), flat(b"b", b"c", b"b"))[0]
    d._LAST[b"HRANDFIELD"] = [b"HRANDFIELD", b"h"]
    assert not d.cmp_hrandfield(b"$-1\r\n", bulk(b"a"))[0]

    def scan(cursor, *items):
        return b"*2\r\n" + bulk(cursor) + flat(*items)

    d._LAST[b"HSCAN"] = [b"HSCAN", b"h", b"0"]
    assert d.cmp_hscan(scan(b"0", b"a", b"1", b"b", b"2"), scan(b"0", b"b", b"2", b"a", b"1"))[0]
    assert not d.cmp_hscan(scan(b"0", b"a", b"1"), scan(b"0", b"a", b"1", b"b", b"2"))[0]
    assert not d.cmp_hscan(scan(b"3", b"a", b"9"), scan(b"5", b"a", b"1"))[0]
    assert not d.cmp_hscan(scan(b"3", b"a", b"1", b"a", b"1"), scan(b"5", b"a", b"1"))[0]
    assert not d.cmp_hscan(scan(b"0", b"a", b"1"), scan(b"4", b"c", b"1"))[0]
    assert d.cmp_hscan(scan(b"0", b"a", b"1", b"c", b"1"), scan(b"4", b"c", b"1"))[0]
    d._LAST[b"HSCAN"] = [b"HSCAN", b"h", b"7"]  # not from 0: partial scans differ
    assert d.cmp_hscan(scan(b"0", b"a", b"1"), scan(b"0", b"b", b"2"))[0]
