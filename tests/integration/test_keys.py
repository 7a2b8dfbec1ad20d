"""Keyspace commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX KEYS SCAN
RANDOMKEY OBJECT ENCODING, and expiry: EXPIRE PEXPIRE EXPIREAT PEXPIREAT
(NX XX GT LT) TTL PTTL PERSIST EXPIRETIME PEXPIRETIME, lazy and active
expiry."""

import time

import pytest
import redis

ERR_NOT_INT = b"-ERR value is not an integer or out of range\r\n"
ERR_SYNTAX = b"-ERR syntax error\r\n"
ERR_NX_XX = b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
ERR_GT_LT = b"-ERR GT and LT options at the same time are not compatible\r\n"
ERR_NO_KEY = b"-ERR no such key\r\n"


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd


def bad_expire(cmd):
    return b"-ERR invalid expire time in '%s' command\r\n" % cmd


@pytest.fixture
def c(server):
    return server.raw()


def wait_until(predicate, timeout_s, interval_s=0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


# ---- DEL UNLINK EXISTS TYPE ---------------------------------------------------------


def test_del_unlink(c):
    c.call("MSET", "a", "1", "b", "2", "c", "3", "d", "4")
    assert c.call("DEL", "a", "b", "missing") == b":2\r\n"
    assert c.call("DEL", "a") == b":0\r\n"
    assert c.call("UNLINK", "c", "c", "missing") == b":1\r\n"
    assert c.call("DEL", "d", "d") == b":1\r\n"
    assert c.call("DBSIZE") == b":0\r\n"
    assert c.call("DEL") == arity(b"del")
    assert c.call("UNLINK") == arity(b"unlink")


def test_exists_counts_repeats(c):
    c.call("SET", "a", "1")
    assert c.call("EXISTS", "a") == b":1\r\n"
    assert c.call("EXISTS", "a", "a", "missing", "a") == b":3\r\n"
    assert c.call("EXISTS", "missing") == b":0\r\n"
    assert c.call("EXISTS") == arity(b"exists")


def test_type(c):
    c.call("SET", "s", "x")
    assert c.call("TYPE", "s") == b"+string\r\n"
    assert c.call("TYPE", "missing") == b"+none\r\n"
    assert c.call("TYPE") == arity(b"type")


# ---- RENAME RENAMENX ----------------------------------------------------------------


def test_rename(r, c):
    c.call("SET", "a", "1")
    assert c.call("RENAME", "a", "b") == b"+OK\r\n"
    assert c.call("EXISTS", "a") == b":0\r\n"
    assert c.call("GET", "b") == b"$1\r\n1\r\n"
    assert c.call("RENAME", "a", "b") == ERR_NO_KEY
    assert c.call("RENAME", "b", "b") == b"+OK\r\n"
    assert c.call("GET", "b") == b"$1\r\n1\r\n"
    assert c.call("RENAME", "b") == arity(b"rename")


def test_rename_overwrites_and_moves_ttl(r, c):
    r.set(b"src", b"s", ex=100)
    r.set(b"dst", b"d", ex=5000)
    assert c.call("RENAME", "src", "dst") == b"+OK\r\n"
    assert r.get(b"dst") == b"s"
    assert 98 <= r.ttl(b"dst") <= 100
    r.set(b"plain", b"p")
    assert c.call("RENAME", "plain", "dst") == b"+OK\r\n"
    assert r.ttl(b"dst") == -1


def test_renamenx(c):
    c.call("MSET", "a", "1", "b", "2")
    assert c.call("RENAMENX", "a", "b") == b":0\r\n"
    assert c.call("RENAMENX", "a", "c") == b":1\r\n"
    assert c.call("RENAMENX", "c", "c") == b":0\r\n"
    assert c.call("RENAMENX", "missing", "x") == ERR_NO_KEY
    assert c.call("GET", "c") == b"$1\r\n1\r\n"


# ---- KEYS SCAN RANDOMKEY -----------------------------------------------------------


KEYS_SET = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h*llo", b"world",
            b"with space", b"new\nline", b"\x00\xffbin"]


def test_keys_patterns(r):
    for k in KEYS_SET:
        r.set(k, b"v")
    cases = {
        b"*": set(KEYS_SET),
        b"h?llo": {b"hello", b"hallo", b"hxllo", b"h*llo"},
        b"h*llo": {b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h*llo"},
        b"h[ae]llo": {b"hello", b"hallo"},
        b"h[^e]llo": {b"hallo", b"hxllo", b"h*llo"},
        b"h[a-b]llo": {b"hallo"},
        b"h\\*llo": {b"h*llo"},
        b"world": {b"world"},
        b"nomatch*": set(),
        b"* *": {b"with space"},
        b"new\nline": {b"new\nline"},
        b"\x00*": {b"\x00\xffbin"},
    }
    for pattern, expected in cases.items():
        got = r.keys(pattern)
        assert len(got) == len(set(got)), pattern
        assert set(got) == expected, pattern


def test_keys_empty(c):
    assert c.call("KEYS", "*") == b"*0\r\n"


def scan_all(r, **kw):
    seen = []
    cursor = 0
    for _ in range(10000):
        cursor, keys = r.scan(cursor, **kw)
        seen.extend(keys)
        if cursor == 0:
            return seen
    raise AssertionError("SCAN did not finish in 10000 calls")


def test_scan_full_iteration(r):
    keys = {b"key:%d" % i for i in range(500)}
    r.mset({k: b"v" for k in keys})
    assert set(scan_all(r, count=7)) == keys
    assert set(scan_all(r)) == keys
    assert set(scan_all(r, count=1000)) == keys


def test_scan_match_and_type(r):
    r.mset({b"user:%d" % i: b"v" for i in range(50)})
    r.mset({b"item:%d" % i: b"v" for i in range(50)})
    assert set(scan_all(r, match=b"user:*", count=10)) == {b"user:%d" % i for i in range(50)}
    assert set(scan_all(r, match=b"item:1?")) == {b"item:%d" % i for i in range(10, 20)}
    assert len(set(scan_all(r, _type=b"string"))) == 100
    assert scan_all(r, _type=b"list") == []
    assert scan_all(r, match=b"none*") == []


def test_scan_errors(r, c):
    r.set(b"k", b"v")
    assert c.call("SCAN", "abc") == b"-ERR invalid cursor\r\n"
    assert c.call("SCAN", "1.5") == b"-ERR invalid cursor\r\n"
    assert c.call("SCAN", "18446744073709551616") == b"-ERR invalid cursor\r\n"
    assert c.call("SCAN", "0", "COUNT", "0") == ERR_SYNTAX
    assert c.call("SCAN", "0", "COUNT", "x") == ERR_NOT_INT
    assert c.call("SCAN", "0", "FOO") == ERR_SYNTAX
    assert c.call("SCAN", "0", "MATCH") == ERR_SYNTAX
    assert c.call("SCAN") == arity(b"scan")


def test_scan_reply_shape(c):
    c.call("SET", "only", "v")
    assert c.call("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*1\r\n$4\r\nonly\r\n"


def test_randomkey(r, c):
    assert c.call("RANDOMKEY") == b"$-1\r\n"
    keys = {b"a", b"b", b"c"}
    for k in keys:
        r.set(k, b"v")
    for _ in range(20):
        assert r.randomkey() in keys


# ---- EXPIRE family ------------------------------------------------------------------


def test_ttl_pttl_missing_and_persistent(c):
    assert c.call("TTL", "missing") == b":-2\r\n"
    assert c.call("PTTL", "missing") == b":-2\r\n"
    assert c.call("EXPIRETIME", "missing") == b":-2\r\n"
    assert c.call("PEXPIRETIME", "missing") == b":-2\r\n"
    c.call("SET", "k", "v")
    assert c.call("TTL", "k") == b":-1\r\n"
    assert c.call("PTTL", "k") == b":-1\r\n"
    assert c.call("EXPIRETIME", "k") == b":-1\r\n"
    assert c.call("PEXPIRETIME", "k") == b":-1\r\n"


def test_expire_and_ttl(r, c):
    r.set(b"k", b"v")
    assert c.call("EXPIRE", "k", "100") == b":1\r\n"
    assert 98 <= r.ttl(b"k") <= 100
    assert 98000 <= r.pttl(b"k") <= 100000
    assert c.call("PEXPIRE", "k", "50000") == b":1\r\n"
    assert 48 <= r.ttl(b"k") <= 50
    now = time.time()
    assert abs(c.value("EXPIRETIME", "k") - (now + 50)) <= 2
    assert abs(c.value("PEXPIRETIME", "k") - (now + 50) * 1000) <= 2000
    assert c.call("EXPIRE", "missing", "100") == b":0\r\n"
    assert c.call("PEXPIRE", "missing", "100") == b":0\r\n"


def test_expireat_pexpireat(c):
    c.call("SET", "k", "v")
    at = int(time.time()) + 3600
    assert c.call("EXPIREAT", "k", str(at)) == b":1\r\n"
    assert c.value("EXPIRETIME", "k") == at
    assert c.value("PEXPIRETIME", "k") == at * 1000
    assert c.call("PEXPIREAT", "k", str(at * 1000 + 999)) == b":1\r\n"
    assert c.value("PEXPIRETIME", "k") == at * 1000 + 999
    # EXPIRETIME and TTL round to the nearest second, as Redis does.
    assert c.value("EXPIRETIME", "k") == at + 1
    assert c.call("PEXPIREAT", "k", str(at * 1000 + 499)) == b":1\r\n"
    assert c.value("EXPIRETIME", "k") == at
    assert c.call("EXPIREAT", "missing", str(at)) == b":0\r\n"


def test_expire_in_past_deletes(c):
    for cmd, arg in [("EXPIRE", "0"), ("EXPIRE", "-10"), ("PEXPIRE", "-1"),
                     ("EXPIREAT", "1"), ("PEXPIREAT", "1000")]:
        c.call("SET", "k", "v")
        assert c.call(cmd, "k", arg) == b":1\r\n", cmd
        assert c.call("EXISTS", "k") == b":0\r\n", cmd
        assert c.call("TTL", "k") == b":-2\r\n", cmd


def test_expire_nx_xx(c):
    c.call("SET", "k", "v")
    assert c.call("EXPIRE", "k", "100", "XX") == b":0\r\n"
    assert c.call("TTL", "k") == b":-1\r\n"
    assert c.call("EXPIRE", "k", "100", "NX") == b":1\r\n"
    assert c.call("EXPIRE", "k", "200", "NX") == b":0\r\n"
    assert c.call("EXPIRE", "k", "300", "XX") == b":1\r\n"
    assert 298 <= c.value("TTL", "k") <= 300
    assert c.call("EXPIRE", "missing", "100", "NX") == b":0\r\n"


def test_expire_gt_lt(c):
    c.call("SET", "k", "v")
    # A key without a TTL counts as an infinite TTL.
    assert c.call("EXPIRE", "k", "100", "GT") == b":0\r\n"
    assert c.call("TTL", "k") == b":-1\r\n"
    assert c.call("EXPIRE", "k", "1000", "LT") == b":1\r\n"
    assert c.call("EXPIRE", "k", "2000", "LT") == b":0\r\n"
    assert c.call("EXPIRE", "k", "500", "LT") == b":1\r\n"
    assert c.call("EXPIRE", "k", "100", "GT") == b":0\r\n"
    assert c.call("EXPIRE", "k", "3000", "GT") == b":1\r\n"
    assert 2998 <= c.value("TTL", "k") <= 3000
    assert c.call("PEXPIRE", "k", "4000000", "XX", "GT") == b":1\r\n"
    at = int(time.time()) + 10
    assert c.call("EXPIREAT", "k", str(at), "GT") == b":0\r\n"
    assert c.call("EXPIREAT", "k", str(at), "LT") == b":1\r\n"
    assert c.value("EXPIRETIME", "k") == at
    # GT with a time in the past is not greater: the key stays.
    assert c.call("EXPIRE", "k", "-1", "GT") == b":0\r\n"
    assert c.call("EXISTS", "k") == b":1\r\n"
    assert c.call("EXPIRE", "k", "-1", "LT") == b":1\r\n"
    assert c.call("EXISTS", "k") == b":0\r\n"


def test_expire_option_errors(c):
    c.call("SET", "k", "v")
    assert c.call("EXPIRE", "k", "100", "NX", "XX") == ERR_NX_XX
    assert c.call("EXPIRE", "k", "100", "NX", "GT") == ERR_NX_XX
    assert c.call("PEXPIRE", "k", "100", "LT", "NX") == ERR_NX_XX
    assert c.call("EXPIRE", "k", "100", "GT", "LT") == ERR_GT_LT
    assert c.call("EXPIRE", "k", "100", "FOO") == b"-ERR Unsupported option FOO\r\n"
    assert c.call("EXPIRE", "k", "100", "nx", "bar") == b"-ERR Unsupported option bar\r\n"
    assert c.call("EXPIRE", "k", "abc") == ERR_NOT_INT
    assert c.call("EXPIRE", "k", "1.5") == ERR_NOT_INT
    assert c.call("EXPIRE", "k", "9223372036854775807") == bad_expire(b"expire")
    assert c.call("EXPIRE", "k", "-9223372036854775808") == bad_expire(b"expire")
    assert c.call("PEXPIRE", "k", "9223372036854775807") == bad_expire(b"pexpire")
    assert c.call("EXPIREAT", "k", "9223372036854775807") == bad_expire(b"expireat")
    assert c.call("EXPIRE", "k") == arity(b"expire")
    assert c.call("TTL", "k") == b":-1\r\n"
    assert c.call("EXISTS", "k") == b":1\r\n"


def test_ttl_rounds_to_nearest_second(c):
    """TTL and EXPIRETIME round milliseconds to the nearest second, as Redis
    does ((ms + 500) / 1000), rather than truncating."""
    c.call("SET", "k", "v")
    c.call("PEXPIRE", "k", "10900")
    assert c.call("TTL", "k") == b":11\r\n"
    c.call("PEXPIRE", "k", "10300")
    assert c.call("TTL", "k") == b":10\r\n"


def test_persist(c):
    c.call("SET", "k", "v", "EX", "100")
    assert c.call("PERSIST", "k") == b":1\r\n"
    assert c.call("TTL", "k") == b":-1\r\n"
    assert c.call("PERSIST", "k") == b":0\r\n"
    assert c.call("PERSIST", "missing") == b":0\r\n"


def test_lazy_expiry(r):
    r.set(b"keep", b"v")
    t0 = time.monotonic()
    r.set(b"k", b"v", px=500)
    value = r.get(b"k")
    if time.monotonic() - t0 < 0.4:  # only meaningful if we were not stalled
        assert value == b"v"
    time.sleep(0.7)
    assert r.get(b"k") is None
    assert r.exists(b"k") == 0
    assert r.ttl(b"k") == -2
    assert r.get(b"keep") == b"v"


def test_expired_key_invisible_to_all_reads(r):
    r.mset({b"a": b"1", b"b": b"2"})
    r.pexpire(b"a", 100)
    time.sleep(0.3)
    assert r.mget(b"a", b"b") == [None, b"2"]
    assert r.type(b"a") == b"none"
    assert set(r.keys(b"*")) == {b"b"}
    assert r.incr(b"a") == 1  # an expired key is recreated fresh
    assert r.ttl(b"a") == -1


def test_active_expiry_drops_dbsize(r):
    """Keys with a short TTL disappear without being accessed: DBSIZE (which
    does not touch keys) drops to the number of persistent keys."""
    with r.pipeline(transaction=False) as p:
        for i in range(200):
            p.set(b"tmp:%d" % i, b"v", px=200)
        p.set(b"persistent", b"v")
        p.execute()
    assert r.dbsize() >= 1
    assert wait_until(lambda: r.dbsize() == 1, timeout_s=10.0), r.dbsize()
    assert r.get(b"persistent") == b"v"


# ---- OBJECT --------------------------------------------------------------------------


def test_object_encoding_errors(c):
    assert c.call("OBJECT", "ENCODING", "missing") == b"$-1\r\n"
    assert c.call("OBJECT", "ENCODING") == arity(b"object|encoding")


def test_memory_usage(r):
    assert r.memory_usage("missing") is None
    r.set("small", "x")
    r.set("big", "x" * 10000)
    small, big = r.memory_usage("small"), r.memory_usage("big")
    assert 0 < small < 200
    assert 10000 < big < 12000
    assert r.execute_command("MEMORY", "USAGE", "big", "SAMPLES", "0") == big
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("MEMORY", "USAGE", "big", "FOO", "1")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.execute_command("MEMORY", "USAGE", "big", "SAMPLES", "x")
    assert any("USAGE" in line for line in
               [x.decode() for x in r.execute_command("MEMORY", "HELP")])
