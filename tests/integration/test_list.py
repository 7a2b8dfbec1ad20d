"""List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, and BLPOP BRPOP BLMOVE
BRPOPLPUSH BLMPOP: served at once, argument errors, timeouts and a waiter
served by a push (parking itself is node/blocking.c's, tested in
test_blocking.py). Replies and error texts are Redis 7.0's; exact bytes are
checked over a raw socket where they matter. Large lists (many quicklist
nodes) are checked against a Python model."""

import random
import time

import pytest

from resp_raw import decode

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
ERR_SYNTAX = b"-ERR syntax error\r\n"
ERR_NOT_INT = b"-ERR value is not an integer or out of range\r\n"
ERR_POSITIVE = b"-ERR value is out of range, must be positive\r\n"
ERR_TIMEOUT = b"-ERR timeout is not a float or out of range\r\n"
ERR_TIMEOUT_NEGATIVE = b"-ERR timeout is negative\r\n"


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd


def bulk_array(*items):
    return b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%s\r\n" % (len(i), i) for i in items)


@pytest.fixture
def c(server):
    return server.raw()


# ---- Push, pop, length -------------------------------------------------------


def test_push_range_len(r):
    assert r.rpush(b"l", b"a", b"b", b"c") == 3
    assert r.lpush(b"l", b"z") == 4
    assert r.lrange(b"l", 0, -1) == [b"z", b"a", b"b", b"c"]
    assert r.llen(b"l") == 4
    assert r.llen(b"missing") == 0
    assert r.lpushx(b"missing", b"a") == 0
    assert r.rpushx(b"missing", b"a") == 0
    assert r.exists(b"missing") == 0
    assert r.execute_command("RPUSHX", b"l", b"d", b"e") == 6
    assert r.type(b"l") == b"list"
    assert r.object("encoding", b"l") == b"quicklist"


def test_binary_and_empty_elements(r):
    values = [b"", b"\x00\r\n\xff", bytes(range(256)), b"12", b"-0", b"007", b"x" * 70000]
    r.rpush(b"bin\x00key", *values)
    assert r.lrange(b"bin\x00key", 0, -1) == values
    assert r.lindex(b"bin\x00key", -1) == b"x" * 70000
    assert r.lpos(b"bin\x00key", b"") == 0
    assert r.lpos(b"bin\x00key", b"12") == 3


def test_pop_shapes(c):
    c.call("RPUSH", "l", "a", "b", "c", "d", "e")
    assert c.call("LPOP", "l") == b"$1\r\na\r\n"
    assert c.call("RPOP", "l") == b"$1\r\ne\r\n"
    assert c.call("LPOP", "l", "2") == bulk_array(b"b", b"c")
    assert c.call("RPOP", "l", "0") == b"*0\r\n"
    assert c.call("RPOP", "l", "10") == bulk_array(b"d")
    assert c.call("EXISTS", "l") == b":0\r\n"
    assert c.call("LPOP", "l") == b"$-1\r\n"
    assert c.call("LPOP", "l", "1") == b"*-1\r\n"
    assert c.call("LPOP", "l", "-1") == ERR_POSITIVE
    assert c.call("LPOP", "l", "x") == ERR_POSITIVE
    assert c.call("LPOP", "l", "1", "2") == arity(b"lpop")
    assert c.call("LPUSH", "l") == arity(b"lpush")
    c.call("SET", "s", "v")
    assert c.call("LPOP", "s") == WRONGTYPE
    assert c.call("RPUSH", "s", "x") == WRONGTYPE
    assert c.call("LLEN", "s") == WRONGTYPE


def test_resp3_nulls(c):
    assert c.call("HELLO", "3").startswith(b"%")
    assert c.call("LPOP", "missing") == b"_\r\n"
    assert c.call("LPOP", "missing", "2") == b"_\r\n"
    assert c.call("LINDEX", "missing", "0") == b"_\r\n"
    assert c.call("LPOS", "missing", "a") == b"_\r\n"
    assert c.call("LMPOP", "1", "missing", "LEFT") == b"_\r\n"
    assert c.call("RPOPLPUSH", "missing", "d") == b"_\r\n"
    c.call("RPUSH", "l", "a")
    assert c.call("LPOP", "l", "0") == b"*0\r\n"
    assert c.call("LMPOP", "1", "l", "LEFT") == b"*2\r\n$1\r\nl\r\n" + bulk_array(b"a")


# ---- Reads ---------------------------------------------------------------------


def test_lrange_lindex_edges(c):
    c.call("RPUSH", "l", "a", "b", "c")
    assert c.call("LRANGE", "l", "-100", "100") == bulk_array(b"a", b"b", b"c")
    assert c.call("LRANGE", "l", "2", "1") == b"*0\r\n"
    assert c.call("LRANGE", "l", "-9223372036854775808", "9223372036854775807") == \
        bulk_array(b"a", b"b", b"c")
    assert c.call("LRANGE", "l", "x", "1") == ERR_NOT_INT
    assert c.call("LRANGE", "missing", "x", "1") == ERR_NOT_INT
    assert c.call("LINDEX", "l", "-3") == b"$1\r\na\r\n"
    assert c.call("LINDEX", "l", "3") == b"$-1\r\n"
    assert c.call("LINDEX", "l", "x") == ERR_NOT_INT
    assert c.call("LINDEX", "missing", "x") == b"$-1\r\n"


def test_lpos_options(c):
    c.call("RPUSH", "l", "a", "b", "a", "c", "a")
    assert c.call("LPOS", "l", "a") == b":0\r\n"
    assert c.call("LPOS", "l", "a", "RANK", "-1") == b":4\r\n"
    assert c.call("LPOS", "l", "a", "COUNT", "0") == b"*3\r\n:0\r\n:2\r\n:4\r\n"
    assert c.call("LPOS", "l", "a", "RANK", "2", "COUNT", "5") == b"*2\r\n:2\r\n:4\r\n"
    assert c.call("LPOS", "l", "a", "MAXLEN", "2", "COUNT", "0") == b"*1\r\n:0\r\n"
    assert c.call("LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1") == \
        b"*3\r\n:4\r\n:2\r\n:0\r\n"
    assert c.call("LPOS", "l", "z", "COUNT", "0") == b"*0\r\n"
    assert c.call("LPOS", "l", "a", "RANK", "0").startswith(b"-ERR RANK can't be zero")
    assert c.call("LPOS", "l", "a", "COUNT", "-1") == b"-ERR COUNT can't be negative\r\n"
    assert c.call("LPOS", "l", "a", "MAXLEN", "x") == b"-ERR MAXLEN can't be negative\r\n"
    assert c.call("LPOS", "l", "a", "RANK") == ERR_SYNTAX


# ---- Changes in place -------------------------------------------------------------


def test_lset_linsert_lrem_ltrim(c):
    c.call("RPUSH", "l", "a", "b", "c", "b")
    assert c.call("LSET", "l", "-1", "B") == b"+OK\r\n"
    assert c.call("LSET", "l", "4", "x") == b"-ERR index out of range\r\n"
    assert c.call("LSET", "missing", "0", "x") == b"-ERR no such key\r\n"
    assert c.call("LINSERT", "l", "BEFORE", "b", "1") == b":5\r\n"
    assert c.call("LINSERT", "l", "after", "B", "end") == b":6\r\n"
    assert c.call("LINSERT", "l", "AFTER", "zz", "x") == b":-1\r\n"
    assert c.call("LINSERT", "missing", "AFTER", "a", "x") == b":0\r\n"
    assert c.call("LINSERT", "l", "UP", "a", "x") == ERR_SYNTAX
    assert c.call("LRANGE", "l", "0", "-1") == bulk_array(b"a", b"1", b"b", b"c", b"B", b"end")
    assert c.call("LREM", "l", "-1", "b") == b":1\r\n"
    assert c.call("LREM", "l", "x", "b") == ERR_NOT_INT
    assert c.call("LTRIM", "l", "1", "-2") == b"+OK\r\n"
    assert c.call("LRANGE", "l", "0", "-1") == bulk_array(b"1", b"c", b"B")
    assert c.call("LTRIM", "l", "5", "1") == b"+OK\r\n"
    assert c.call("EXISTS", "l") == b":0\r\n"


# ---- Moves ---------------------------------------------------------------------------


def test_lmove_rpoplpush_lmpop(c):
    c.call("RPUSH", "a", "1", "2", "3")
    assert c.call("LMOVE", "a", "b", "LEFT", "RIGHT") == b"$1\r\n1\r\n"
    assert c.call("RPOPLPUSH", "a", "b") == b"$1\r\n3\r\n"
    assert c.call("LRANGE", "b", "0", "-1") == bulk_array(b"3", b"1")
    assert c.call("LMOVE", "b", "b", "RIGHT", "LEFT") == b"$1\r\n1\r\n"
    assert c.call("LRANGE", "b", "0", "-1") == bulk_array(b"1", b"3")
    assert c.call("LMOVE", "a", "b", "RIGHT", "RIGHT") == b"$1\r\n2\r\n"
    assert c.call("EXISTS", "a") == b":0\r\n"
    assert c.call("LMOVE", "a", "b", "LEFT", "LEFT") == b"$-1\r\n"
    assert c.call("LMOVE", "a", "b", "UP", "LEFT") == ERR_SYNTAX
    c.call("SET", "s", "v")
    assert c.call("LMOVE", "b", "s", "LEFT", "LEFT") == WRONGTYPE
    assert c.call("LMPOP", "3", "a", "s", "b", "LEFT") == WRONGTYPE
    assert c.call("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2") == \
        b"*2\r\n$1\r\nb\r\n" + bulk_array(b"2", b"3")
    assert c.call("LMPOP", "1", "a", "LEFT") == b"*-1\r\n"
    assert c.call("LMPOP", "0", "a", "LEFT") == b"-ERR numkeys should be greater than 0\r\n"
    assert c.call("LMPOP", "2", "a", "LEFT") == ERR_SYNTAX
    assert c.call("LMPOP", "1", "a", "LEFT", "COUNT", "0") == \
        b"-ERR count should be greater than 0\r\n"
    assert c.call("LMPOP", "1", "a") == arity(b"lmpop")


# ---- Blocking commands, non-blocking paths ----------------------------------------------


def test_blocking_commands_serve_at_once(c):
    c.call("RPUSH", "l", "a", "b", "c", "d", "e", "f")
    assert c.call("BLPOP", "missing", "l", "0") == bulk_array(b"l", b"a")
    assert c.call("BRPOP", "l", "missing", "1") == bulk_array(b"l", b"f")
    assert c.call("BLMOVE", "l", "d", "LEFT", "RIGHT", "0") == b"$1\r\nb\r\n"
    assert c.call("BRPOPLPUSH", "l", "d", "0.5") == b"$1\r\ne\r\n"
    assert c.call("BLMPOP", "0", "2", "missing", "l", "LEFT", "COUNT", "9") == \
        b"*2\r\n$1\r\nl\r\n" + bulk_array(b"c", b"d")
    assert c.call("EXISTS", "l") == b":0\r\n"
    assert c.call("LRANGE", "d", "0", "-1") == bulk_array(b"e", b"b")


def test_blocking_argument_errors(c):
    c.call("RPUSH", "l", "a")
    c.call("SET", "s", "v")
    assert c.call("BLPOP", "l", "abc") == ERR_TIMEOUT
    assert c.call("BLPOP", "l", "-1") == ERR_TIMEOUT_NEGATIVE
    assert c.call("BRPOP", "l", "inf") == ERR_TIMEOUT_NEGATIVE
    assert c.call("BRPOP", "l", "nan") == ERR_TIMEOUT
    assert c.call("BRPOPLPUSH", "l", "d", "1e400") == ERR_TIMEOUT_NEGATIVE
    assert c.call("BLMOVE", "l", "d", "LEFT", "UP", "x") == ERR_SYNTAX
    assert c.call("BLMOVE", "l", "d", "LEFT", "LEFT", "x") == ERR_TIMEOUT
    assert c.call("BLMPOP", "x", "0", "l", "LEFT") == b"-ERR numkeys should be greater than 0\r\n"
    assert c.call("BLMPOP", "x", "1", "l", "LEFT") == ERR_TIMEOUT
    assert c.call("BLMPOP", "-1", "1", "l", "LEFT") == ERR_TIMEOUT_NEGATIVE
    assert c.call("BLPOP", "missing", "s", "l", "0") == WRONGTYPE
    assert c.call("BLPOP", "l", "s", "0") == bulk_array(b"l", b"a")
    assert c.call("BLPOP", "l") == arity(b"blpop")


def test_blocking_timeouts_reply_null_arrays(c):
    """Redis answers a timed-out BLMOVE/BRPOPLPUSH with a null array too
    (RESP2 *-1, RESP3 _), unlike their null bulk where blocking is not
    allowed."""
    assert c.call("BLPOP", "missing", "0.05") == b"*-1\r\n"
    assert c.call("BRPOPLPUSH", "missing", "d", "0.05") == b"*-1\r\n"
    assert c.call("BLMOVE", "missing", "d", "LEFT", "LEFT", "0.05") == b"*-1\r\n"
    assert c.call("BLMPOP", "0.05", "1", "missing", "LEFT") == b"*-1\r\n"
    assert c.call("HELLO", "3").startswith(b"%")
    assert c.call("BLMOVE", "missing", "d", "LEFT", "LEFT", "0.05") == b"_\r\n"
    assert c.call("BLPOP", "missing", "0.05") == b"_\r\n"


def test_blocked_clients_are_served_by_pushes(server):
    waiter = server.raw()
    mover = server.raw()
    multi = server.raw()
    pusher = server.raw()
    waiter.send_command("BLPOP", "q", "5")
    time.sleep(0.1)
    assert pusher.call("RPUSH", "q", "job") == b":1\r\n"
    assert waiter.read_reply() == bulk_array(b"q", b"job")
    # BLMPOP takes up to COUNT from the key that got elements.
    multi.send_command("BLMPOP", "5", "2", "a", "b", "RIGHT", "COUNT", "2")
    mover.send_command("BRPOPLPUSH", "src", "dst", "5")
    time.sleep(0.1)
    assert pusher.call("RPUSH", "b", "1", "2", "3") == b":3\r\n"
    assert multi.read_reply() == b"*2\r\n$1\r\nb\r\n" + bulk_array(b"3", b"2")
    assert pusher.call("LPUSH", "src", "x") == b":1\r\n"
    assert mover.read_reply() == b"$1\r\nx\r\n"
    assert pusher.call("LRANGE", "dst", "0", "-1") == bulk_array(b"x")
    assert pusher.call("EXISTS", "src") == b":0\r\n"


# ---- Expiry, large lists, node sizes -----------------------------------------------------


def test_expired_list_reads_as_absent(r):
    r.rpush(b"l", b"a", b"b")
    r.pexpire(b"l", 100)
    r.lpush(b"l", b"c")  # a write keeps the TTL
    assert 0 < r.pttl(b"l") <= 100
    time.sleep(0.2)
    assert r.llen(b"l") == 0
    assert r.rpushx(b"l", b"x") == 0
    assert r.rpush(b"l", b"x") == 1
    assert r.pttl(b"l") == -1


def redis_slice(model, start, end):
    """The elements LRANGE start end names (Redis's index rules)."""
    n = len(model)
    start = start + n if start < 0 else start
    end = end + n if end < 0 else end
    start = max(start, 0)
    if start > end or start >= n:
        return []
    return model[start:min(end, n - 1) + 1]


def run_model_workload(r, seed, rounds):
    """Random list operations on one key, checked against a Python list."""
    rng = random.Random(seed)
    model = []
    values = [b"a", b"b", b"1", b"-5", b"", b"x" * 100, b"y" * 5000, b"12345678901"]
    for step in range(rounds):
        op = rng.randrange(10)
        v = rng.choice(values)
        if op < 3 or not model:
            n = rng.randint(1, 60)
            vals = [rng.choice(values) for _ in range(n)]
            if rng.random() < 0.5:
                r.rpush(b"m", *vals)
                model.extend(vals)
            else:
                r.lpush(b"m", *vals)
                model[:0] = list(reversed(vals))
        elif op == 3:
            i = rng.randrange(len(model))
            pivot = model[i]
            where = rng.choice(["BEFORE", "AFTER"])
            first = model.index(pivot)
            assert r.linsert(b"m", where, pivot, v) == len(model) + 1
            model.insert(first + (where == "AFTER"), v)
        elif op == 4:
            i = rng.randrange(-len(model), len(model))
            r.lset(b"m", i, v)
            model[i] = v
        elif op == 5:
            count = rng.choice([0, 1, 2, -1, -3])
            removed = r.lrem(b"m", count, v)
            expect = 0
            if count >= 0:
                out, left = [], count or len(model)
                for e in model:
                    if e == v and left > 0:
                        left -= 1
                        expect += 1
                    else:
                        out.append(e)
                model = out
            else:
                out, left = [], -count
                for e in reversed(model):
                    if e == v and left > 0:
                        left -= 1
                        expect += 1
                    else:
                        out.append(e)
                model = list(reversed(out))
            assert removed == expect
        elif op == 6:
            n = rng.randint(1, 20)
            got = r.lpop(b"m", n) if rng.random() < 0.5 else None
            if got is not None:
                assert got == model[:n]
                model = model[n:]
            else:
                got = r.rpop(b"m", n)
                assert got == list(reversed(model[-n:]))
                model = model[:-n]
        elif op == 7:
            a, b = rng.randint(-50, 50), rng.randint(-50, 400)
            r.ltrim(b"m", a, b)
            model = redis_slice(model, a, b)
        elif op == 8:
            i = rng.randrange(-len(model), len(model))
            assert r.lindex(b"m", i) == model[i]
        else:
            a, b = rng.randint(-30, 300), rng.randint(-30, 300)
            assert r.lrange(b"m", a, b) == redis_slice(model, a, b)
        if step % 25 == 0:
            assert r.lrange(b"m", 0, -1) == model
            assert r.llen(b"m") == len(model)
    assert r.lrange(b"m", 0, -1) == model
    return model


def test_large_list_against_model(r):
    run_model_workload(r, 1, 400)


@pytest.mark.server_config(list_max_listpack_size=1)
def test_one_element_nodes_same_replies(r):
    run_model_workload(r, 2, 200)
    assert r.object("encoding", b"m") in (b"quicklist", None)


@pytest.mark.server_config(list_max_listpack_size=-5)
def test_64k_nodes_same_replies(r):
    run_model_workload(r, 3, 200)


def test_long_list_ends_and_middle(r):
    n = 20000
    r.rpush(b"big", *[b"%d" % i for i in range(n)])
    assert r.llen(b"big") == n
    assert r.lindex(b"big", n // 2) == b"%d" % (n // 2)
    assert r.lindex(b"big", -3) == b"%d" % (n - 3)
    assert r.lrange(b"big", 9990, 10009) == [b"%d" % i for i in range(9990, 10010)]
    assert r.lpos(b"big", b"15000") == 15000
    assert r.lpos(b"big", b"15000", rank=-1) == 15000
    assert r.lpos(b"big", b"15000", maxlen=100) is None
    r.lset(b"big", 12345, b"changed")
    assert r.lindex(b"big", 12345) == b"changed"
    assert r.linsert(b"big", "AFTER", b"changed", b"new") == n + 1
    assert r.lrange(b"big", 12344, 12347) == [b"12344", b"changed", b"new", b"12346"]
    assert r.lrem(b"big", 0, b"new") == 1
    r.ltrim(b"big", 100, -101)
    assert r.llen(b"big") == n - 200
    assert r.lpop(b"big") == b"100"
    assert r.rpop(b"big") == b"%d" % (n - 101)


# ---- Command table --------------------------------------------------------------------------

# Redis 7.0.15's COMMAND INFO: name, arity, flags, first key, last key, step,
# ACL categories (flags and categories compared as sets).
COMMAND_INFO = {
    b"lpush": (-3, {b"write", b"denyoom", b"fast"}, 1, 1, 1, {b"@write", b"@list", b"@fast"}),
    b"rpushx": (-3, {b"write", b"denyoom", b"fast"}, 1, 1, 1, {b"@write", b"@list", b"@fast"}),
    b"lpop": (-2, {b"write", b"fast"}, 1, 1, 1, {b"@write", b"@list", b"@fast"}),
    b"llen": (2, {b"readonly", b"fast"}, 1, 1, 1, {b"@read", b"@list", b"@fast"}),
    b"lrange": (4, {b"readonly"}, 1, 1, 1, {b"@read", b"@list", b"@slow"}),
    b"lpos": (-3, {b"readonly"}, 1, 1, 1, {b"@read", b"@list", b"@slow"}),
    b"lset": (4, {b"write", b"denyoom"}, 1, 1, 1, {b"@write", b"@list", b"@slow"}),
    b"lrem": (4, {b"write"}, 1, 1, 1, {b"@write", b"@list", b"@slow"}),
    b"lmove": (5, {b"write", b"denyoom"}, 1, 2, 1, {b"@write", b"@list", b"@slow"}),
    b"lmpop": (-4, {b"write", b"movablekeys"}, 0, 0, 0, {b"@write", b"@list", b"@slow"}),
    b"blpop": (-3, {b"write", b"noscript", b"blocking"}, 1, -2, 1,
               {b"@write", b"@list", b"@slow", b"@blocking"}),
    b"blmove": (6, {b"write", b"denyoom", b"noscript", b"blocking"}, 1, 2, 1,
                {b"@write", b"@list", b"@slow", b"@blocking"}),
    b"brpoplpush": (4, {b"write", b"denyoom", b"noscript", b"blocking"}, 1, 2, 1,
                    {b"@write", b"@list", b"@slow", b"@blocking"}),
    b"blmpop": (-5, {b"write", b"blocking", b"movablekeys"}, 0, 0, 0,
                {b"@write", b"@list", b"@slow", b"@blocking"}),
}


def test_command_info_rows(c):
    for name, (ar, flags, first, last, step, cats) in COMMAND_INFO.items():
        info = decode(c.call("COMMAND", "INFO", name))[0]
        assert info[0] == name
        assert info[1] == ar, name
        assert set(info[2]) == flags, name
        assert (info[3], info[4], info[5]) == (first, last, step), name
        assert set(info[6]) == cats, name


def test_command_getkeys_movable(c):
    def keys(*cmd):
        return decode(c.call("COMMAND", "GETKEYS", *cmd))
    assert keys("LMPOP", "2", "a", "b", "LEFT") == [b"a", b"b"]
    assert keys("BLMPOP", "0", "1", "k", "RIGHT") == [b"k"]
    assert keys("BLPOP", "a", "b", "0") == [b"a", b"b"]
    assert keys("LMOVE", "a", "b", "LEFT", "LEFT") == [b"a", b"b"]
