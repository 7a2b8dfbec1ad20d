"""Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP
SRANDMEMBER SMOVE SINTER SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE
SDIFFSTORE SSCAN. Replies, error texts and OBJECT ENCODING are Redis 7.0's;
exact bytes are checked over a raw socket where the text matters. Replies
whose order Redis leaves to its hash table are compared as sets; SPOP and
SRANDMEMBER by their properties (count, membership, distinctness, and that
SPOP removed exactly what it returned).

The tests marked polis_only cover deliberate differences (a bound on
SRANDMEMBER's negative count) and polis's replication: SPOP picks the same
members on every replica, including one that caught up from a snapshot."""

import random
import time

import pytest

from cluster_util import catch_up_by_snapshot, send_batch
from resp_raw import decode, encode_command

ERR_SYNTAX = b"-ERR syntax error\r\n"
ERR_NOT_INT = b"-ERR value is not an integer or out of range\r\n"
ERR_POSITIVE = b"-ERR value is out of range, must be positive\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd


@pytest.fixture
def c(server):
    return server.raw()


def sadd_many(r, key, members, chunk=1000):
    members = list(members)
    for i in range(0, len(members), chunk):
        r.sadd(key, *members[i:i + chunk])


def encoding(r, key):
    return r.object("encoding", key)


# ---- basics -----------------------------------------------------------------------


def test_sadd_srem_members(r):
    assert r.sadd(b"s", b"a", b"b", b"c") == 3
    assert r.sadd(b"s", b"a", b"d") == 1
    assert r.smembers(b"s") == {b"a", b"b", b"c", b"d"}
    assert r.scard(b"s") == 4
    assert r.sismember(b"s", b"a") and not r.sismember(b"s", b"z")
    assert r.smismember(b"s", [b"a", b"z", b"d"]) == [1, 0, 1]
    assert r.srem(b"s", b"a", b"z") == 1
    assert r.srem(b"s", b"b", b"c", b"d") == 3
    assert r.exists(b"s") == 0
    assert r.scard(b"s") == 0
    assert r.smembers(b"s") == set()
    assert r.type(b"s") == b"none"


def test_binary_and_empty_members(r):
    members = [b"", b"\x00", b"a\r\nb", bytes(range(256)), b"x" * 100000]
    assert r.sadd(b"bin\x00key", *members) == len(members)
    assert r.smembers(b"bin\x00key") == set(members)
    for m in members:
        assert r.sismember(b"bin\x00key", m)
    assert not r.sismember(b"bin\x00key", b"x" * 99999)


def test_raw_replies_and_errors(c):
    assert c.call("SADD", "s", "3", "1", "2") == b":3\r\n"
    assert c.call("SMEMBERS", "s") == b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    assert c.call("SMEMBERS", "nokey") == b"*0\r\n"
    assert c.call("SISMEMBER", "nokey", "a") == b":0\r\n"
    assert c.call("SMISMEMBER", "nokey", "a", "b") == b"*2\r\n:0\r\n:0\r\n"
    assert c.call("SET", "str", "v") == b"+OK\r\n"
    for cmd in (["SADD", "str", "a"], ["SREM", "str", "a"], ["SCARD", "str"],
                ["SISMEMBER", "str", "a"], ["SMISMEMBER", "str", "a"], ["SMEMBERS", "str"],
                ["SPOP", "str"], ["SPOP", "str", "0"], ["SRANDMEMBER", "str"],
                ["SRANDMEMBER", "str", "-1"], ["SINTER", "nokey", "str"],
                ["SINTERCARD", "2", "nokey", "str"], ["SUNION", "s", "str"],
                ["SDIFF", "str", "s"], ["SINTERSTORE", "d", "nokey", "str"],
                ["SUNIONSTORE", "d", "str"], ["SDIFFSTORE", "d", "s", "str"],
                ["SSCAN", "str", "0"], ["SMOVE", "s", "str", "1"], ["SMOVE", "str", "s", "a"]):
        assert c.call(*cmd) == WRONGTYPE, cmd
    assert c.call("GET", "str") == b"$1\r\nv\r\n"


def test_arity(c):
    for cmd, args in ((b"sadd", ["s"]), (b"srem", ["s"]), (b"smembers", []),
                      (b"sismember", ["s"]), (b"smismember", ["s"]), (b"scard", []),
                      (b"spop", []), (b"srandmember", []), (b"smove", ["a", "b"]),
                      (b"sinter", []), (b"sintercard", ["1"]), (b"sunion", []),
                      (b"sdiff", []), (b"sinterstore", ["d"]), (b"sunionstore", ["d"]),
                      (b"sdiffstore", ["d"]), (b"sscan", ["s"])):
        assert c.call(cmd.upper(), *args) == arity(cmd), cmd
    assert c.call("SCARD", "a", "b") == arity(b"scard")
    assert c.call("SPOP", "s", "1", "2") == ERR_SYNTAX
    assert c.call("SRANDMEMBER", "s", "1", "2") == ERR_SYNTAX


def test_command_info_rows(c):
    rows = {
        b"sadd": (-3, 1, 1, 1), b"srem": (-3, 1, 1, 1), b"smembers": (2, 1, 1, 1),
        b"sismember": (3, 1, 1, 1), b"smismember": (-3, 1, 1, 1), b"scard": (2, 1, 1, 1),
        b"spop": (-2, 1, 1, 1), b"srandmember": (-2, 1, 1, 1), b"smove": (4, 1, 2, 1),
        b"sinter": (-2, 1, -1, 1), b"sintercard": (-3, 0, 0, 0), b"sunion": (-2, 1, -1, 1),
        b"sdiff": (-2, 1, -1, 1), b"sinterstore": (-3, 1, -1, 1),
        b"sunionstore": (-3, 1, -1, 1), b"sdiffstore": (-3, 1, -1, 1),
        b"sscan": (-3, 1, 1, 1),
    }
    flags = {
        b"sadd": {b"write", b"denyoom", b"fast"}, b"srem": {b"write", b"fast"},
        b"smembers": {b"readonly"}, b"sismember": {b"readonly", b"fast"},
        b"smismember": {b"readonly", b"fast"}, b"scard": {b"readonly", b"fast"},
        b"spop": {b"write", b"fast"}, b"srandmember": {b"readonly"},
        b"smove": {b"write", b"fast"}, b"sinter": {b"readonly"}, b"sintercard": {b"readonly"},
        b"sunion": {b"readonly"}, b"sdiff": {b"readonly"},
        b"sinterstore": {b"write", b"denyoom"}, b"sunionstore": {b"write", b"denyoom"},
        b"sdiffstore": {b"write", b"denyoom"}, b"sscan": {b"readonly"},
    }
    reply = decode(c.call("COMMAND", "INFO", *rows))
    for name, info in zip(rows, reply):
        assert info[0] == name
        assert (info[1], info[3], info[4], info[5]) == rows[name], name
        # Redis also lists "movablekeys" for SINTERCARD (numkeys names its keys).
        assert set(info[2]) - {b"movablekeys"} == flags[name], name
    assert decode(c.call("COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b")) == [
        b"d", b"a", b"b"]
    assert decode(c.call("COMMAND", "GETKEYS", "SMOVE", "a", "b", "m")) == [b"a", b"b"]


# ---- encodings ------------------------------------------------------------------------


def test_intset_until_the_limit(r):
    sadd_many(r, b"s", [str(i) for i in range(512)])
    assert encoding(r, b"s") == b"intset"
    assert r.smembers(b"s") == {str(i).encode() for i in range(512)}
    r.sadd(b"s", 512)
    assert encoding(r, b"s") == b"hashtable"
    r.srem(b"s", 512)
    assert encoding(r, b"s") == b"hashtable"  # never back
    r.sadd(b"t", 1, 2, 3)
    r.sadd(b"t", b"007")  # not canonical: a string
    assert encoding(r, b"t") == b"hashtable"
    r.sadd(b"u", 9223372036854775807, -9223372036854775808)
    assert encoding(r, b"u") == b"intset"
    r.sadd(b"v", b"9223372036854775808")
    assert encoding(r, b"v") == b"hashtable"


@pytest.mark.server_config(set_max_intset_entries=4)
def test_lower_limit_and_store_results(r):
    r.sadd(b"a", 1, 2, 3, 4)
    assert encoding(r, b"a") == b"intset"
    r.sadd(b"a", 5)
    assert encoding(r, b"a") == b"hashtable"
    r.sadd(b"b", 1, 2, 3)
    assert r.sinterstore(b"d", [b"a", b"b"]) == 3
    assert encoding(r, b"d") == b"intset"
    assert r.sunionstore(b"d", [b"a"]) == 5
    assert encoding(r, b"d") == b"hashtable"
    assert r.sdiffstore(b"d", [b"a", b"b"]) == 2
    assert encoding(r, b"d") == b"intset"


def test_sdiffstore_second_algorithm_keeps_a_table(r):
    # With many small sets to subtract, Redis adds the whole first set and
    # removes from it: the result stays a hashtable because the first set
    # had a string in it, even though only integers remain.
    r.sadd(b"big", *range(1, 10), b"y")
    r.sadd(b"r1", b"y")
    r.sadd(b"r2", 100)
    r.sadd(b"r3", 200)
    assert r.sdiffstore(b"d", [b"big", b"r1", b"r2", b"r3"]) == 9
    assert encoding(r, b"d") == b"hashtable"
    assert r.sdiffstore(b"d", [b"big", b"r1"]) == 9
    assert encoding(r, b"d") == b"intset"
    assert r.smembers(b"d") == {str(i).encode() for i in range(1, 10)}


def test_spop_keeping_few_makes_an_intset(r):
    sadd_many(r, b"h", range(600))
    assert encoding(r, b"h") == b"hashtable"
    popped = r.spop(b"h", 590)
    assert len(popped) == 590 and len(set(popped)) == 590
    assert encoding(r, b"h") == b"intset"
    assert r.smembers(b"h") == {str(i).encode() for i in range(600)} - set(popped)


def test_smove_creates_by_first_member(r):
    r.sadd(b"src", 1, 2, b"a")
    assert r.smove(b"src", b"d1", 1)
    assert encoding(r, b"d1") == b"intset"
    assert r.smove(b"src", b"d2", b"a")
    assert encoding(r, b"d2") == b"hashtable"


# ---- SMOVE ---------------------------------------------------------------------------


def test_smove(c):
    c.call("SADD", "src", "a", "b")
    c.call("SET", "str", "x")
    assert c.call("SMOVE", "nokey", "str", "a") == b":0\r\n"
    assert c.call("SMOVE", "src", "src", "a") == b":1\r\n"
    assert c.call("SMOVE", "src", "src", "zz") == b":0\r\n"
    assert c.call("SMOVE", "src", "dst", "zz") == b":0\r\n"
    assert c.call("EXISTS", "dst") == b":0\r\n"
    assert c.call("SMOVE", "src", "dst", "a") == b":1\r\n"
    c.call("EXPIRE", "dst", "100")
    assert c.call("SMOVE", "src", "dst", "b") == b":1\r\n"
    assert c.call("EXISTS", "src") == b":0\r\n"
    assert c.call("TTL", "dst") == b":100\r\n"
    assert c.call("SCARD", "dst") == b":2\r\n"


# ---- intersections, unions, differences ---------------------------------------------


def test_sinter_and_sintercard(r, c):
    r.sadd(b"a", 1, 2, 3, 4, b"x")
    r.sadd(b"b", 2, 3, 4, 5, b"x")
    r.sadd(b"c", 3, 4, 6, b"x")
    assert r.sinter([b"a", b"b", b"c"]) == {b"3", b"4", b"x"}
    assert r.sinter([b"a", b"nokey"]) == set()
    assert r.execute_command("SINTERCARD", 3, b"a", b"b", b"c") == 3
    assert r.execute_command("SINTERCARD", 2, b"a", b"b", b"LIMIT", 2) == 2
    assert r.execute_command("SINTERCARD", 2, b"a", b"b", b"LIMIT", 0) == 4
    assert r.execute_command("SINTERCARD", 2, b"a", b"nokey") == 0
    assert c.call("SINTERCARD", "0", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert c.call("SINTERCARD", "x", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert c.call("SINTERCARD", "3", "a", "b") == (
        b"-ERR Number of keys can't be greater than number of args\r\n")
    assert c.call("SINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"
    assert c.call("SINTERCARD", "1", "a", "LIMIT") == ERR_SYNTAX
    assert c.call("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3") == b":3\r\n"
    assert c.call("SINTER", "c", "c") == c.call("SMEMBERS", "c")


def test_store_commands(r):
    r.sadd(b"a", 1, 2, 3)
    r.sadd(b"b", 3, 4)
    r.set(b"str", b"v")
    assert r.sinterstore(b"str", [b"a", b"b"]) == 1  # overwrites any type
    assert r.type(b"str") == b"set"
    r.expire(b"a", 100)
    assert r.sunionstore(b"a", [b"a", b"b"]) == 4  # a source; its TTL goes
    assert r.ttl(b"a") == -1
    assert r.smembers(b"a") == {b"1", b"2", b"3", b"4"}
    assert r.sdiffstore(b"d", [b"a", b"b"]) == 2
    assert r.smembers(b"d") == {b"1", b"2"}
    assert r.sdiffstore(b"d", [b"a", b"a"]) == 0
    assert r.exists(b"d") == 0
    r.sadd(b"d", b"x")
    assert r.sinterstore(b"d", [b"a", b"nokey"]) == 0
    assert r.exists(b"d") == 0
    assert r.sunionstore(b"d", [b"nokey"]) == 0


def test_sunion_sdiff(r):
    r.sadd(b"a", 1, 2, 3, b"s")
    r.sadd(b"b", 3, b"s", b"t")
    assert r.sunion([b"a", b"b", b"nokey"]) == {b"1", b"2", b"3", b"s", b"t"}
    assert r.sdiff([b"a", b"b"]) == {b"1", b"2"}
    assert r.sdiff([b"b", b"a"]) == {b"t"}
    assert r.sdiff([b"nokey", b"a"]) == set()
    assert r.sdiff([b"a", b"nokey"]) == {b"1", b"2", b"3", b"s"}
    assert r.sdiff([b"a", b"b", b"a"]) == set()


def test_algebra_against_a_model(r):
    rng = random.Random(7)
    model = {}
    keys = [b"k%d" % i for i in range(6)]
    for key in keys:
        members = {rng.choice([str(rng.randrange(50)).encode(), b"m%d" % rng.randrange(50)])
                   for _ in range(rng.randrange(1, 40))}
        r.sadd(key, *members)
        model[key] = members
    for _ in range(200):
        ks = rng.sample(keys + [b"nokey"], rng.randrange(1, 5))
        sets = [model.get(k, set()) for k in ks]
        assert r.sunion(ks) == set().union(*sets)
        assert r.sinter(ks) == set.intersection(*sets)
        assert r.sdiff(ks) == sets[0].difference(*sets[1:])
        assert r.execute_command("SINTERCARD", len(ks), *ks) == len(set.intersection(*sets))


# ---- SPOP and SRANDMEMBER ----------------------------------------------------------


@pytest.mark.parametrize("ints", [True, False])
@pytest.mark.parametrize("size,count", [(100, 1), (100, 10), (100, 83), (100, 84), (100, 99),
                                        (100, 100), (100, 1000), (700, 600)])
def test_spop_removes_exactly_what_it_returns(r, ints, size, count):
    members = [str(i).encode() if ints else b"m%d" % i for i in range(size)]
    sadd_many(r, b"s", members)
    popped = r.spop(b"s", count)
    assert len(popped) == min(count, size)
    assert len(set(popped)) == len(popped)
    assert set(popped) <= set(members)
    assert r.smembers(b"s") == set(members) - set(popped)
    assert r.scard(b"s") == size - len(popped)


def test_spop_single(r, c):
    r.sadd(b"s", b"a", b"b", b"c")
    seen = {r.spop(b"s") for _ in range(3)}
    assert seen == {b"a", b"b", b"c"}
    assert r.exists(b"s") == 0
    assert c.call("SPOP", "s") == b"$-1\r\n"
    assert c.call("SPOP", "s", "0") == b"*0\r\n"
    assert c.call("SPOP", "s", "-1") == ERR_POSITIVE
    assert c.call("SPOP", "s", "x") == ERR_POSITIVE


@pytest.mark.parametrize("count", [1, 2, 5, 10, 33, 34, 40, 99, 100, 200, -1, -7, -300])
def test_srandmember_counts(r, count):
    members = {b"m%d" % i for i in range(50)} | {str(i).encode() for i in range(50)}
    r.sadd(b"s", *members)
    got = r.srandmember(b"s", count)
    if count > 0:
        assert len(got) == min(count, 100)
        assert len(set(got)) == len(got)
    else:
        assert len(got) == -count
    assert set(got) <= members
    assert r.scard(b"s") == 100


def test_srandmember_edges(r, c):
    assert r.srandmember(b"nokey") is None
    assert c.call("SRANDMEMBER", "nokey", "5") == b"*0\r\n"
    assert c.call("SRANDMEMBER", "nokey", "-5") == b"*0\r\n"
    assert c.call("SRANDMEMBER", "nokey", "x") == ERR_NOT_INT
    assert c.call("SRANDMEMBER", "nokey", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and "
        b"9223372036854775807\r\n")
    r.sadd(b"one", b"x")
    assert c.call("SRANDMEMBER", "one", "-3") == b"*3\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\nx\r\n"
    assert c.call("SRANDMEMBER", "one", "0") == b"*0\r\n"
    r.sadd(b"i", 3, 1, 2)
    assert c.call("SRANDMEMBER", "i", "10") == b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"


@pytest.mark.polis_only
def test_srandmember_huge_negative_count_is_refused(r, c):
    # Redis would try to send 2^63 members; polis bounds a reply that may
    # repeat members.
    r.sadd(b"s", b"a", b"b")
    assert c.call("SRANDMEMBER", "s", "-9223372036854775807") == (
        b"-ERR value is out of range, value must between -16777216 and "
        b"9223372036854775807\r\n")
    assert len(r.srandmember(b"s", -100000)) == 100000


# ---- SSCAN ---------------------------------------------------------------------------


def sscan_all(r, key, **kw):
    seen = []
    cursor = 0
    for _ in range(100000):
        cursor, batch = r.sscan(key, cursor, **kw)
        seen += batch
        if cursor == 0:
            return seen
    raise AssertionError("SSCAN did not finish")


def test_sscan_intset_in_one_call(c):
    c.call("SADD", "i", "3", "1", "2")
    assert c.call("SSCAN", "i", "0", "COUNT", "1") == (
        b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n")
    assert c.call("SSCAN", "i", "0", "MATCH", "2") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\n2\r\n"
    assert c.call("SSCAN", "nokey", "0", "BAD", "options") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert c.call("SSCAN", "i", "x") == b"-ERR invalid cursor\r\n"
    assert c.call("SSCAN", "i", "0", "COUNT", "0") == ERR_SYNTAX
    assert c.call("SSCAN", "i", "0", "TYPE", "set") == ERR_SYNTAX
    assert c.call("SSCAN", "i", "0", "COUNT", "x") == ERR_NOT_INT


@pytest.mark.parametrize("count", [1, 10, 1000])
def test_sscan_sees_every_member(r, count):
    members = {b"member:%d" % i for i in range(5000)}
    sadd_many(r, b"s", members)
    seen = sscan_all(r, b"s", count=count)
    assert set(seen) == members
    matched = sscan_all(r, b"s", count=count, match=b"member:1?")
    assert set(matched) == {b"member:1%d" % i for i in range(10)}


def test_sscan_across_changes(r):
    # Members present for the whole scan are seen, even while the table
    # grows and shrinks between calls.
    stable = {b"s%d" % i for i in range(300)}
    r.sadd(b"s", *stable)
    cursor, seen, n = 0, set(), 0
    while True:
        cursor, batch = r.sscan(b"s", cursor, count=20)
        seen.update(batch)
        n += 1
        if n % 2:
            r.sadd(b"s", *[b"t%d-%d" % (n, i) for i in range(200)])
        else:
            r.srem(b"s", *[b"t%d-%d" % (n - 1, i) for i in range(200)])
        if cursor == 0:
            break
    assert stable <= seen


# ---- RESP3 ---------------------------------------------------------------------------


def test_resp3_reply_types(server):
    c = server.raw()
    assert c.call("HELLO", "3").startswith(b"%")
    c.call("SADD", "s", "3", "1", "2")
    assert c.call("SMEMBERS", "s") == b"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    assert c.call("SMEMBERS", "nokey") == b"~0\r\n"
    assert c.call("SUNION", "s").startswith(b"~3\r\n")
    assert c.call("SDIFF", "s", "nokey").startswith(b"~3\r\n")
    assert c.call("SINTER", "s", "nokey") == b"~0\r\n"
    assert c.call("SPOP", "nokey") == b"_\r\n"
    assert c.call("SPOP", "nokey", "2") == b"~0\r\n"
    assert c.call("SRANDMEMBER", "nokey") == b"_\r\n"
    assert c.call("SRANDMEMBER", "nokey", "2") == b"*0\r\n"
    assert c.call("SRANDMEMBER", "s", "2").startswith(b"*2\r\n")
    assert c.call("SRANDMEMBER", "s", "-4").startswith(b"*4\r\n")
    assert c.call("SRANDMEMBER", "s", "9") == b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    assert c.call("SMISMEMBER", "s", "1", "7") == b"*2\r\n:1\r\n:0\r\n"
    assert c.call("SSCAN", "s", "0").startswith(b"*2\r\n$1\r\n0\r\n*3\r\n")
    assert c.call("SPOP", "s", "1").startswith(b"~1\r\n")
    assert c.call("SPOP", "s", "5").startswith(b"~2\r\n")


# ---- expiry and size ------------------------------------------------------------------


def test_expired_set_reads_as_absent(r):
    r.sadd(b"s", b"a")
    r.pexpire(b"s", 50)
    time.sleep(0.15)
    assert r.scard(b"s") == 0
    assert r.smembers(b"s") == set()
    assert r.sadd(b"s", b"b") == 1
    assert r.smembers(b"s") == {b"b"}
    assert r.ttl(b"s") == -1


def test_large_set(r, server):
    c = server.raw(timeout_s=60)
    n = 50000
    batch = [encode_command("SADD", "big", *["m%d" % i for i in range(j, j + 1000)])
             for j in range(0, n, 1000)]
    c.send(b"".join(batch))
    assert [decode(x) for x in c.read_replies(len(batch), timeout_s=60)] == [1000] * len(batch)
    assert r.scard(b"big") == n
    assert r.sismember(b"big", b"m49999")
    assert len(r.smembers(b"big")) == n
    popped = r.spop(b"big", 45000)  # keeps 5000 at random
    assert len(set(popped)) == 45000
    assert r.scard(b"big") == 5000
    assert set(r.smembers(b"big")).isdisjoint(popped)


# ---- replication (polis) ------------------------------------------------------------


def random_set_writes(rng, count, keys):
    cmds = []
    for _ in range(count):
        key = rng.choice(keys)
        roll = rng.random()
        if roll < 0.5:
            cmds.append(("SADD", key) + tuple(
                rng.choice(["%d" % rng.randrange(2000), "m%d" % rng.randrange(3000)])
                for _ in range(rng.randrange(1, 30))))
        elif roll < 0.7:
            cmds.append(("SPOP", key, str(rng.choice([1, 3, 20, 200, 1000]))))
        elif roll < 0.8:
            cmds.append(("SPOP", key))
        elif roll < 0.9:
            cmds.append(("SREM", key) + tuple("m%d" % rng.randrange(3000) for _ in range(10)))
        else:
            cmds.append((rng.choice(["SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE"]), key,
                         rng.choice(keys), rng.choice(keys)))
    return cmds


def assert_sets_agree(cluster, keys):
    cluster.assert_replicas_agree()
    for key in keys:
        views = {n.node_id: (n.local("OBJECT", "ENCODING", key), sorted(n.local("SMEMBERS", key)))
                 for n in cluster.nodes}
        assert len(set(repr(v) for v in views.values())) == 1, (key, views)


@pytest.mark.polis_only
def test_replicas_pop_the_same_members(cluster_factory):
    cluster = cluster_factory()
    lead, _ = cluster.followers()
    rng = random.Random(2024)
    keys = ["set:%d" % i for i in range(8)]
    c = lead.raw(timeout_s=60)
    send_batch(c, random_set_writes(rng, 3000, keys))
    assert_sets_agree(cluster, keys)


@pytest.mark.polis_only
def test_snapshot_caught_up_replica_pops_the_same(cluster_factory):
    # A follower that installs a snapshot must lay out every set exactly as
    # the others did, or its next SPOP picks other members. The leader keeps
    # 10,000 entries past a snapshot: 12,000 writes while the follower is
    # down make it catch up from a snapshot.
    cluster = cluster_factory(raft_snapshot_entries=2000, loglevel="verbose")
    rng = random.Random(99)
    keys = ["set:%d" % i for i in range(8)]
    before = random_set_writes(rng, 300, keys)
    # Growth and removals only: big tables, some mid-rehash. Two snapshots
    # compact the log past the follower (the leader keeps 201 entries
    # behind its newest).
    during = [cmd for _ in range(12) for cmd in random_set_writes(rng, 1000, keys)
              if cmd[0] in ("SADD", "SREM")]
    c, _ = catch_up_by_snapshot(cluster, before, during, 2)
    cluster.wait_converged(timeout_s=60)
    send_batch(c, [("SPOP", rng.choice(keys), str(rng.choice([1, 2, 5])))
                 for _ in range(500)])
    assert_sets_agree(cluster, keys)
