"""String commands: GET SET (and its options) SETNX SETEX PSETEX GETSET GETDEL
GETEX MGET MSET MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN
GETRANGE SETRANGE. Replies and error texts are Redis 7.0's; exact bytes are
checked over a raw socket where the text matters."""

import time

import pytest

ERR_SYNTAX = b"-ERR syntax error\r\n"
ERR_NOT_INT = b"-ERR value is not an integer or out of range\r\n"
ERR_NOT_FLOAT = b"-ERR value is not a valid float\r\n"
ERR_OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
ERR_NAN_INF = b"-ERR increment would produce NaN or Infinity\r\n"
ERR_TOO_BIG = b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd


def bad_expire(cmd):
    return b"-ERR invalid expire time in '%s' command\r\n" % cmd


@pytest.fixture
def c(server):
    return server.raw()


# ---- GET / SET ----------------------------------------------------------------


def test_set_get_roundtrip(r):
    assert r.set(b"k", b"v") is True
    assert r.get(b"k") == b"v"
    assert r.get(b"missing") is None


def test_set_get_binary_and_empty(r):
    value = bytes(range(256)) * 4
    assert r.set(b"bin\x00\r\nkey", value)
    assert r.get(b"bin\x00\r\nkey") == value
    assert r.set(b"", b"")
    assert r.get(b"") == b""
    assert r.strlen(b"") == 0
    assert r.exists(b"") == 1


def test_set_overwrites(r):
    r.set(b"k", b"one")
    r.set(b"k", b"two")
    assert r.get(b"k") == b"two"


def test_raw_replies(c):
    assert c.call("SET", "k", "v") == b"+OK\r\n"
    assert c.call("GET", "k") == b"$1\r\nv\r\n"
    assert c.call("GET", "nope") == b"$-1\r\n"
    assert c.call("get", "k") == b"$1\r\nv\r\n"  # case-insensitive names


def test_set_nx_xx(c):
    assert c.call("SET", "k", "1", "XX") == b"$-1\r\n"
    assert c.call("SET", "k", "1", "NX") == b"+OK\r\n"
    assert c.call("SET", "k", "2", "NX") == b"$-1\r\n"
    assert c.call("SET", "k", "3", "XX") == b"+OK\r\n"
    assert c.call("GET", "k") == b"$1\r\n3\r\n"
    assert c.call("SET", "k", "3", "NX", "XX") == ERR_SYNTAX


def test_set_get_option(c):
    assert c.call("SET", "k", "a", "GET") == b"$-1\r\n"
    assert c.call("SET", "k", "b", "GET") == b"$1\r\na\r\n"
    assert c.call("GET", "k") == b"$1\r\nb\r\n"
    # Redis 7.0 allows GET together with NX and XX.
    assert c.call("SET", "k", "c", "NX", "GET") == b"$1\r\nb\r\n"
    assert c.call("GET", "k") == b"$1\r\nb\r\n"
    assert c.call("SET", "k", "d", "XX", "GET") == b"$1\r\nb\r\n"
    assert c.call("SET", "new", "x", "XX", "GET") == b"$-1\r\n"
    assert c.call("EXISTS", "new") == b":0\r\n"


def test_set_ifeq(r, c):
    """Redis 8.4's compare-and-set: SET key value IFEQ comparison-value."""
    assert c.call("SET", "k", "1", "IFEQ", "1") == b"$-1\r\n"  # a missing key never equals
    assert c.call("EXISTS", "k") == b":0\r\n"
    assert c.call("SET", "k", "1") == b"+OK\r\n"
    assert c.call("SET", "k", "2", "IFEQ", "0") == b"$-1\r\n"
    assert c.call("SET", "k", "2", "IFEQ", "1") == b"+OK\r\n"
    assert c.call("GET", "k") == b"$1\r\n2\r\n"
    # Compared as bytes, whatever the encoding (an integer-encoded "2").
    assert c.call("SET", "k", "3", "ifeq", "2", "GET") == b"$1\r\n2\r\n"
    assert c.call("SET", "k", "4", "IFEQ", "2", "GET") == b"$1\r\n3\r\n"
    assert c.call("GET", "k") == b"$1\r\n3\r\n"
    assert c.call("SET", "k", "", "IFEQ", "3", "EX", "100") == b"+OK\r\n"
    assert 98 <= r.ttl(b"k") <= 100
    assert c.call("SET", "k", "x", "IFEQ", "") == b"+OK\r\n"
    for bad in (("IFEQ",), ("NX", "IFEQ", "x"), ("IFEQ", "x", "XX"), ("IFEQ", "a", "IFEQ", "b")):
        assert c.call("SET", "k", "z", *bad) == ERR_SYNTAX
    assert c.call("GETEX", "k", "IFEQ", "x") == ERR_SYNTAX


def test_set_expire_options(r, c):
    assert c.call("SET", "k", "v", "EX", "100") == b"+OK\r\n"
    assert 98 <= r.ttl(b"k") <= 100
    assert c.call("SET", "k", "v", "PX", "100000") == b"+OK\r\n"
    assert 98000 <= r.pttl(b"k") <= 100000
    at = int(time.time()) + 1000
    assert c.call("SET", "k", "v", "EXAT", str(at)) == b"+OK\r\n"
    assert c.value("EXPIRETIME", "k") == at
    assert c.call("SET", "k", "v", "PXAT", str(at * 1000 + 123)) == b"+OK\r\n"
    assert c.value("PEXPIRETIME", "k") == at * 1000 + 123
    # A plain SET clears the TTL, KEEPTTL keeps it.
    assert c.call("SET", "k", "w", "KEEPTTL") == b"+OK\r\n"
    assert c.value("PEXPIRETIME", "k") == at * 1000 + 123
    assert c.call("SET", "k", "x") == b"+OK\r\n"
    assert c.call("TTL", "k") == b":-1\r\n"


@pytest.mark.parametrize("args", [
    ("EX", "10", "PX", "10"),
    ("EX", "10", "KEEPTTL"),
    ("PX", "10", "EXAT", "10"),
    ("EX",),
    ("NX", "XX"),
    ("FOO",),
    ("GET", "GET", "KEEPTTL", "EX", "5"),
])
def test_set_syntax_errors(c, args):
    assert c.call("SET", "k", "v", *args) == ERR_SYNTAX
    assert c.call("EXISTS", "k") == b":0\r\n"


@pytest.mark.parametrize("opt,val,expected", [
    ("EX", "0", bad_expire(b"set")),
    ("EX", "-1", bad_expire(b"set")),
    ("PX", "0", bad_expire(b"set")),
    ("EXAT", "0", bad_expire(b"set")),
    ("EX", "9223372036854775807", bad_expire(b"set")),
    ("PX", "9223372036854775807", bad_expire(b"set")),
    ("EX", "abc", ERR_NOT_INT),
    ("EX", "1.5", ERR_NOT_INT),
    ("PX", "", ERR_NOT_INT),
])
def test_set_bad_expire(c, opt, val, expected):
    assert c.call("SET", "k", "v", opt, val) == expected
    assert c.call("EXISTS", "k") == b":0\r\n"


def test_set_arity(c):
    assert c.call("SET", "k") == arity(b"set")
    assert c.call("GET") == arity(b"get")
    assert c.call("GET", "a", "b") == arity(b"get")


# ---- SETNX SETEX PSETEX GETSET GETDEL GETEX --------------------------------------


def test_setnx(c):
    assert c.call("SETNX", "k", "1") == b":1\r\n"
    assert c.call("SETNX", "k", "2") == b":0\r\n"
    assert c.call("GET", "k") == b"$1\r\n1\r\n"


def test_setex_psetex(r, c):
    assert c.call("SETEX", "k", "100", "v") == b"+OK\r\n"
    assert 98 <= r.ttl(b"k") <= 100
    assert c.call("PSETEX", "p", "100000", "v") == b"+OK\r\n"
    assert 98000 <= r.pttl(b"p") <= 100000
    assert c.call("SETEX", "k", "0", "v") == bad_expire(b"setex")
    assert c.call("SETEX", "k", "-5", "v") == bad_expire(b"setex")
    assert c.call("PSETEX", "k", "0", "v") == bad_expire(b"psetex")
    assert c.call("SETEX", "k", "x", "v") == ERR_NOT_INT
    assert c.call("SETEX", "k", "10") == arity(b"setex")


def test_getset(c):
    assert c.call("GETSET", "k", "a") == b"$-1\r\n"
    assert c.call("GETSET", "k", "b") == b"$1\r\na\r\n"
    assert c.call("GET", "k") == b"$1\r\nb\r\n"


def test_getset_clears_ttl(r):
    r.set(b"k", b"a", ex=100)
    assert r.getset(b"k", b"b") == b"a"
    assert r.ttl(b"k") == -1


def test_getdel(c):
    c.call("SET", "k", "v")
    assert c.call("GETDEL", "k") == b"$1\r\nv\r\n"
    assert c.call("GETDEL", "k") == b"$-1\r\n"
    assert c.call("EXISTS", "k") == b":0\r\n"


def test_getex(r, c):
    assert c.call("GETEX", "missing") == b"$-1\r\n"
    assert c.call("GETEX", "missing", "EX", "10") == b"$-1\r\n"
    r.set(b"k", b"v")
    assert c.call("GETEX", "k", "EX", "100") == b"$1\r\nv\r\n"
    assert 98 <= r.ttl(b"k") <= 100
    assert c.call("GETEX", "k", "PX", "200000") == b"$1\r\nv\r\n"
    assert 198000 <= r.pttl(b"k") <= 200000
    at = int(time.time()) + 5000
    assert c.call("GETEX", "k", "EXAT", str(at)) == b"$1\r\nv\r\n"
    assert c.value("EXPIRETIME", "k") == at
    assert c.call("GETEX", "k", "PXAT", str(at * 1000 + 7)) == b"$1\r\nv\r\n"
    assert c.value("PEXPIRETIME", "k") == at * 1000 + 7
    assert c.call("GETEX", "k") == b"$1\r\nv\r\n"  # no option: TTL untouched
    assert c.value("PEXPIRETIME", "k") == at * 1000 + 7
    assert c.call("GETEX", "k", "PERSIST") == b"$1\r\nv\r\n"
    assert c.call("TTL", "k") == b":-1\r\n"


def test_getex_errors(r, c):
    r.set(b"k", b"v")
    assert c.call("GETEX", "k", "EX", "0") == bad_expire(b"getex")
    assert c.call("GETEX", "k", "PX", "-1") == bad_expire(b"getex")
    assert c.call("GETEX", "k", "EX", "x") == ERR_NOT_INT
    assert c.call("GETEX", "k", "EX", "10", "PX", "10") == ERR_SYNTAX
    assert c.call("GETEX", "k", "PERSIST", "EX", "10") == ERR_SYNTAX
    assert c.call("GETEX", "k", "FOO") == ERR_SYNTAX
    assert c.call("GETEX", "k", "EX") == ERR_SYNTAX
    assert c.call("GETEX") == arity(b"getex")


def test_getex_past_time_deletes(r, c):
    r.set(b"k", b"v")
    assert c.call("GETEX", "k", "EXAT", "1") == b"$1\r\nv\r\n"
    assert c.call("EXISTS", "k") == b":0\r\n"


# ---- MGET MSET MSETNX ------------------------------------------------------------------


def test_mget_mset(c):
    assert c.call("MSET", "a", "1", "b", "2", "a", "3") == b"+OK\r\n"
    assert c.call("MGET", "a", "b", "c") == b"*3\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n"
    assert c.call("MSET", "a", "1", "b") == arity(b"mset")
    assert c.call("MSET") == arity(b"mset")
    assert c.call("MGET") == arity(b"mget")


def test_msetnx(c):
    assert c.call("MSETNX", "a", "1", "b", "2") == b":1\r\n"
    assert c.call("MSETNX", "b", "x", "c", "3") == b":0\r\n"
    assert c.call("EXISTS", "c") == b":0\r\n"
    assert c.call("GET", "b") == b"$1\r\n2\r\n"
    assert c.call("MSETNX", "a") == arity(b"msetnx")
    assert c.call("MSETNX", "a", "1", "b") == arity(b"msetnx")


def test_mset_clears_ttl(r):
    r.set(b"a", b"1", ex=100)
    r.mset({b"a": b"2"})
    assert r.ttl(b"a") == -1


# ---- INCR family ---------------------------------------------------------------------------


def test_incr_decr(c):
    assert c.call("INCR", "n") == b":1\r\n"
    assert c.call("INCRBY", "n", "41") == b":42\r\n"
    assert c.call("DECR", "n") == b":41\r\n"
    assert c.call("DECRBY", "n", "-9") == b":50\r\n"
    assert c.call("DECRBY", "n", "100") == b":-50\r\n"
    assert c.call("GET", "n") == b"$3\r\n-50\r\n"


def test_incr_keeps_ttl(r):
    r.set(b"n", b"5", ex=100)
    assert r.incr(b"n") == 6
    assert 98 <= r.ttl(b"n") <= 100


@pytest.mark.parametrize("value", [b"abc", b"1.5", b" 1", b"1 ", b"+1", b"", b"0x10",
                                   b"9223372036854775808", b"1e3"])
def test_incr_not_integer(r, c, value):
    r.set(b"n", value)
    assert c.call("INCR", "n") == ERR_NOT_INT
    assert r.get(b"n") == value


def test_incr_overflow(c):
    c.call("SET", "n", "9223372036854775807")
    assert c.call("INCR", "n") == ERR_OVERFLOW
    assert c.call("INCRBY", "n", "1") == ERR_OVERFLOW
    assert c.call("INCRBY", "n", "-9223372036854775807") == b":0\r\n"
    c.call("SET", "n", "-9223372036854775808")
    assert c.call("DECR", "n") == ERR_OVERFLOW
    assert c.call("DECRBY", "n", "9223372036854775807") == ERR_OVERFLOW
    c.call("SET", "m", "0")
    # DECRBY negates its argument: LLONG_MIN cannot be negated.
    assert c.call("DECRBY", "m", "-9223372036854775808") == \
        b"-ERR decrement would overflow\r\n"
    assert c.call("INCRBY", "m", "abc") == ERR_NOT_INT
    assert c.call("INCRBY", "m", "9223372036854775808") == ERR_NOT_INT


def test_incrbyfloat(c):
    assert c.call("INCRBYFLOAT", "f", "10.5") == b"$4\r\n10.5\r\n"
    assert c.call("INCRBYFLOAT", "f", "0.1") == b"$4\r\n10.6\r\n"
    assert c.call("INCRBYFLOAT", "f", "-10.6") == b"$1\r\n0\r\n"
    assert c.call("INCRBYFLOAT", "f", "5.0e3") == b"$4\r\n5000\r\n"
    assert c.call("INCRBYFLOAT", "f", "1") == b"$4\r\n5001\r\n"
    c.call("SET", "g", "3")
    assert c.call("INCRBYFLOAT", "g", "0.25") == b"$4\r\n3.25\r\n"
    assert c.call("INCRBYFLOAT", "g", "abc") == ERR_NOT_FLOAT
    assert c.call("INCRBYFLOAT", "g", "") == ERR_NOT_FLOAT
    assert c.call("INCRBYFLOAT", "g", "nan") == ERR_NOT_FLOAT
    assert c.call("INCRBYFLOAT", "g", "inf") == ERR_NAN_INF
    assert c.call("INCRBYFLOAT", "g", "-inf") == ERR_NAN_INF
    c.call("SET", "s", "hello")
    assert c.call("INCRBYFLOAT", "s", "1") == ERR_NOT_FLOAT
    assert c.call("GET", "g") == b"$4\r\n3.25\r\n"


def test_incrbyfloat_keeps_ttl(r):
    r.set(b"f", b"1", ex=100)
    assert r.incrbyfloat(b"f", 1.5) == 2.5
    assert 98 <= r.ttl(b"f") <= 100


# ---- APPEND STRLEN GETRANGE SETRANGE -------------------------------------------------------


def test_append_strlen(c):
    assert c.call("APPEND", "k", "hello") == b":5\r\n"
    assert c.call("APPEND", "k", " world") == b":11\r\n"
    assert c.call("APPEND", "k", "") == b":11\r\n"
    assert c.call("STRLEN", "k") == b":11\r\n"
    assert c.call("STRLEN", "missing") == b":0\r\n"
    assert c.call("GET", "k") == b"$11\r\nhello world\r\n"
    c.call("SET", "n", "12")
    assert c.call("APPEND", "n", "3") == b":3\r\n"
    assert c.call("INCR", "n") == b":124\r\n"
    assert c.call("STRLEN", "n") == b":3\r\n"


def test_getrange(c):
    c.call("SET", "k", "Hello World")
    cases = [
        (("0", "4"), b"Hello"),
        (("-5", "-1"), b"World"),
        (("0", "-1"), b"Hello World"),
        (("-100", "100"), b"Hello World"),
        (("5", "2"), b""),
        (("100", "200"), b""),
        (("-1", "-5"), b""),
        (("10", "10"), b"d"),
        (("0", "9223372036854775807"), b"Hello World"),
        (("-9223372036854775808", "0"), b"H"),
    ]
    for (start, end), expected in cases:
        assert c.call("GETRANGE", "k", start, end) == b"$%d\r\n%s\r\n" % (len(expected), expected), (start, end)
    assert c.call("GETRANGE", "missing", "0", "-1") == b"$0\r\n\r\n"
    assert c.call("GETRANGE", "k", "a", "1") == ERR_NOT_INT
    assert c.call("GETRANGE", "k", "0", "99999999999999999999") == ERR_NOT_INT
    assert c.call("GETRANGE", "k", "0") == arity(b"getrange")


def test_getrange_integer_encoded(c):
    c.call("SET", "n", "12345")
    assert c.call("GETRANGE", "n", "1", "2") == b"$2\r\n23\r\n"


def test_setrange(c):
    assert c.call("SETRANGE", "k", "0", "Hello") == b":5\r\n"
    assert c.call("SETRANGE", "k", "6", "World") == b":11\r\n"
    assert c.call("GET", "k") == b"$11\r\nHello\x00World\r\n"
    assert c.call("SETRANGE", "k", "0", "J") == b":11\r\n"
    assert c.call("GETRANGE", "k", "0", "4") == b"$5\r\nJello\r\n"
    # An empty value never creates the key or changes its length.
    assert c.call("SETRANGE", "missing", "10", "") == b":0\r\n"
    assert c.call("EXISTS", "missing") == b":0\r\n"
    assert c.call("SETRANGE", "k", "100", "") == b":11\r\n"
    assert c.call("SETRANGE", "pad", "3", "x") == b":4\r\n"
    assert c.call("GET", "pad") == b"$4\r\n\x00\x00\x00x\r\n"


def test_setrange_errors(c):
    c.call("SET", "k", "v")
    assert c.call("SETRANGE", "k", "-1", "x") == b"-ERR offset is out of range\r\n"
    assert c.call("SETRANGE", "k", "536870912", "x") == ERR_TOO_BIG
    assert c.call("SETRANGE", "k", "536870911", "xy") == ERR_TOO_BIG
    assert c.call("SETRANGE", "new", "536870912", "x") == ERR_TOO_BIG
    assert c.call("EXISTS", "new") == b":0\r\n"
    assert c.call("SETRANGE", "k", "x", "y") == ERR_NOT_INT
    assert c.call("SETRANGE", "k", "0") == arity(b"setrange")
    assert c.call("GET", "k") == b"$1\r\nv\r\n"


# ---- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value,encoding", [
    (b"123", b"int"),
    (b"-1", b"int"),
    (b"9223372036854775807", b"int"),
    (b"9223372036854775808", b"embstr"),
    (b"012", b"embstr"),
    (b" 1", b"embstr"),
    (b"hello", b"embstr"),
    (b"", b"embstr"),
    (b"x" * 44, b"embstr"),
    (b"x" * 45, b"raw"),
])
def test_object_encoding_after_set(c, value, encoding):
    c.call("SET", "k", value)
    assert c.call("OBJECT", "ENCODING", "k") == b"$%d\r\n%s\r\n" % (len(encoding), encoding)


def test_object_encoding_after_modification(c):
    c.call("SET", "k", "ab")
    c.call("APPEND", "k", "c")
    assert c.call("OBJECT", "ENCODING", "k") == b"$3\r\nraw\r\n"
    c.call("INCR", "n")
    assert c.call("OBJECT", "ENCODING", "n") == b"$3\r\nint\r\n"
    c.call("SETRANGE", "s", "0", "a")
    assert c.call("OBJECT", "ENCODING", "s") == b"$3\r\nraw\r\n"
    c.call("INCRBYFLOAT", "f", "1.5")
    assert c.call("OBJECT", "ENCODING", "f") == b"$6\r\nembstr\r\n"
    assert c.call("OBJECT", "ENCODING", "missing") == b"$-1\r\n"


def test_large_value_roundtrip(r):
    value = bytes(range(256)) * 4096  # 1 MiB
    r.set(b"big", value)
    assert r.get(b"big") == value
    assert r.strlen(b"big") == len(value)
    assert r.getrange(b"big", 1000, 1999) == value[1000:2000]
