"""Differential test: one seeded random stream of string and keyspace
commands is sent to the server under test and to a real redis-server; every
raw RESP reply must be byte-identical.

Seed: env POLIS_DIFF_SEED (default below). Length: env POLIS_DIFF_COUNT
(default 20,000 commands over RESP2, plus a fifth of that over RESP3;
`make difftest N=200000 SEED=7` runs more). On a
mismatch the failure shows the seed, the command index, the command, both
replies and the 20 commands before it; rerun with the same seed to replay.

The key space is small (20 keys, some with spaces, newlines, NUL bytes, and
the empty key) so commands collide on the same keys often.

Replies that legitimately differ between two correct servers are normalized,
and only these:

  KEYS          order is unspecified: compared as sorted lists.
  SCAN          cursors and batches depend on the hash table: each SCAN with
                cursor 0 is looped to completion on both servers and the sets
                of keys compared. Only cursor 0 or invalid cursors are sent (a
                non-zero cursor is meaningful only to the server that gave it).
                Error replies are compared exactly.
  RANDOMKEY     both null, or both a key that EXISTS on its own server.
  TTL PTTL EXPIRETIME PEXPIRETIME
                the two servers receive each command a moment apart, so a
                relative TTL may differ slightly: non-negative results may
                differ by up to TTL_TOLERANCE (s) / PTTL_TOLERANCE (ms);
                -1/-2 and errors must match exactly.
  TIME INFO     excluded (never sent).
  OBJECT ENCODING  must match exactly (not normalized).

To keep timing out of the comparison, no TTL in the stream can expire while
the test runs: relative TTLs are at least 100000 s and grow with the command
index (so EXPIRE ... GT/LT comparisons never tie), absolute times are either
in the past (immediate deletion, deterministic) or far from every relative
one. Short TTLs are tested in test_keys.py instead.

SET ... EXAT/PXAT never gets a time in the past: Redis 7.0 then stores a key
that is already expired, which reads cannot see but DBSIZE counts until the
active expiry cycle reclaims it at a moment no test controls. (EXPIREAT and
GETEX with a past time delete at once, so they do get past times.)
"""

import os
import random
import time

import pytest

from resp_raw import RawClient, decode

# The value types' parts of the stream, one module each (diff_<type>.py):
#   COMMANDS  [(weight, fn(stream) -> command)]
#   COMPARE   {COMMAND NAME: fn(a_raw, b_raw) -> (ok, why)} for replies whose
#             order or choice Redis leaves unspecified (documented there)
#   STATE     fn(key, type_name) -> [command] whose replies must match in the
#             periodic full state check, for keys of that type
#   ARITY_NAMES  command names for the junk-argument generator
TYPE_MODULES = []
import diff_hash  # noqa: E402
TYPE_MODULES.append(diff_hash)
import diff_list  # noqa: E402
TYPE_MODULES.append(diff_list)
import diff_set  # noqa: E402
TYPE_MODULES.append(diff_set)
import diff_zset  # noqa: E402
TYPE_MODULES.append(diff_zset)

SEED = int(os.environ.get("POLIS_DIFF_SEED", "1337"))
COUNT = int(os.environ.get("POLIS_DIFF_COUNT", "20000"))
TTL_TOLERANCE_S = 2
PTTL_TOLERANCE_MS = 2000
HISTORY = 20
SCAN_CALLS_MAX = 1000
STATE_CHECK_EVERY = 250

KEYS = [b"k%d" % i for i in range(14)] + [
    b"key with space", b"new\nline", b"\x00bin\xff", b"", b"{tag}k", b"crlf\r\nkey"]
assert len(KEYS) == 20

VALUES = [
    b"", b"0", b"1", b"-1", b"42", b"123456", b"9223372036854775807",
    b"-9223372036854775808", b"9223372036854775808", b"3.14", b"1e3", b"-0", b"+1",
    b" 7", b"007", b"0x1f", b"abc", b"hello world", b"x" * 44, b"x" * 45, b"y" * 300,
    b"line\r\nbreak", b"\x00\xff\xfe", b"inf", b"nan", b"1.5e308", b"10.50", b"-.5",
]
INT_ARGS = [
    b"0", b"1", b"-1", b"7", b"-7", b"100", b"-100", b"1000000", b"9223372036854775807",
    b"-9223372036854775808", b"9223372036854775808", b"-9223372036854775809",
    b"99999999999999999999", b"abc", b"", b"1.5", b" 5", b"5 ", b"+5", b"0x10", b"1e3", b"007",
]
FLOAT_ARGS = [
    b"0", b"1", b"-1", b"0.1", b"1.5", b"-2.25", b"3.0", b"1e3", b"5.0e-3", b"1e308", b"-1e308",
    b"1e400", b"inf", b"-inf", b"+inf", b"nan", b"abc", b"", b" 1", b"1 ", b"0x10", b"1e",
    b".5", b"-0", b"123456789012345678901234567890", b"0.0000001",
]
RANGE_ARGS = [
    b"0", b"1", b"2", b"5", b"-1", b"-2", b"-5", b"10", b"100", b"-100", b"1000",
    b"9223372036854775807", b"-9223372036854775808", b"99999999999999999999", b"abc", b"",
]
# SETRANGE offsets: small ones, and ones whose result exceeds 512 MB (never
# one that would allocate up to the limit).
SETRANGE_OFFSETS = [
    b"0", b"1", b"3", b"10", b"100", b"1000", b"4096", b"-1", b"-100", b"abc", b"",
    b"536870912", b"536870913", b"9223372036854775807", b"99999999999999999999",
]
PATTERNS = [
    b"*", b"k*", b"k?", b"k1*", b"*e*", b"[kn]*", b"k[0-5]", b"k[^1]*", b"\\**", b"nomatch",
    b"* *", b"*\n*", b"[", b"k\\", b"?", b"", b"{tag}*", b"\x00*", b"*[a-c]*",
]
JUNK = [
    b"NX", b"XX", b"GT", b"LT", b"EX", b"PX", b"EXAT", b"PXAT", b"GET", b"KEEPTTL", b"PERSIST",
    b"MATCH", b"COUNT", b"TYPE", b"abc", b"", b"0", b"-1", b"9223372036854775807", b"x" * 200,
]


class Stream(object):
    """Generates command i of the stream from a seeded RNG."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.t0_s = int(time.time())
        self.i = 0

    # ---- argument generators -------------------------------------------------

    def key(self):
        return self.rng.choice(KEYS)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.rng.randint(lo, hi))]

    def value(self):
        if self.rng.random() < 0.1:
            return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 64)))
        return self.rng.choice(VALUES)

    def ttl_s(self):
        """A relative TTL in seconds that cannot expire during the test and
        grows with the command index."""
        return 100000 + self.i * 1000

    def rel_seconds(self):
        roll = self.rng.random()
        if roll < 0.7:
            return b"%d" % self.ttl_s()
        return self.rng.choice([b"0", b"-1", b"-100", b"abc", b"1.5", b"", b"9223372036854775807",
                                b"-9223372036854775808", b"4611686018427387904"])

    def rel_ms(self):
        roll = self.rng.random()
        if roll < 0.7:
            return b"%d" % (self.ttl_s() * 1000 + self.rng.randint(0, 999))
        return self.rng.choice([b"0", b"-1", b"-5000", b"abc", b"", b"9223372036854775807",
                                b"-9223372036854775808"])

    def abs_seconds(self, past=True):
        roll = self.rng.random()
        if not past and roll >= 0.7:
            roll = 0.0
        if roll < 0.35:
            return b"%d" % (self.t0_s + 50000)  # before every relative TTL
        if roll < 0.7:
            return b"%d" % (self.t0_s + 1000000000 + self.rng.randint(0, 1000))  # after
        return self.rng.choice([b"1", b"0", b"-1", b"%d" % (self.t0_s - 100), b"abc",
                                b"9223372036854775807", b"-9223372036854775808"])

    def abs_ms(self, past=True):
        roll = self.rng.random()
        if not past and roll >= 0.7:
            roll = 0.0
        if roll < 0.35:
            return b"%d" % ((self.t0_s + 50000) * 1000 + self.rng.randint(0, 999))
        if roll < 0.7:
            return b"%d" % ((self.t0_s + 1000000000) * 1000 + self.rng.randint(0, 999999))
        return self.rng.choice([b"1", b"0", b"-1", b"%d" % ((self.t0_s - 100) * 1000), b"abc",
                                b"9223372036854775807"])

    def set_options(self):
        opts = []
        for _ in range(self.rng.choice([0, 0, 1, 1, 1, 2, 2, 3])):
            kind = self.rng.choice(["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "BAD"])
            if kind == "EX":
                opts += [b"EX", self.rel_seconds()]
            elif kind == "PX":
                opts += [b"PX", self.rel_ms()]
            elif kind == "EXAT":
                opts += [b"EXAT", self.abs_seconds(past=False)]
            elif kind == "PXAT":
                opts += [b"PXAT", self.abs_ms(past=False)]
            elif kind == "BAD":
                opts.append(self.rng.choice([b"FOO", b"EX", b"", b"nx"]))
            else:
                opts.append(kind.encode() if self.rng.random() < 0.8 else kind.lower().encode())
        return opts

    def getex_options(self):
        kind = self.rng.choice(["", "", "EX", "PX", "EXAT", "PXAT", "PERSIST", "BAD", "TWO"])
        if kind == "EX":
            return [b"EX", self.rel_seconds()]
        if kind == "PX":
            return [b"PX", self.rel_ms()]
        if kind == "EXAT":
            return [b"EXAT", self.abs_seconds()]
        if kind == "PXAT":
            return [b"PXAT", self.abs_ms()]
        if kind == "PERSIST":
            return [b"PERSIST"]
        if kind == "BAD":
            return [self.rng.choice([b"FOO", b"EX", b"PERSIST", b"KEEPTTL"]),
                    self.rng.choice([b"1", b"x"])][:self.rng.randint(1, 2)]
        if kind == "TWO":
            return [b"EX", self.rel_seconds(), b"PERSIST"]
        return []

    def expire_flags(self):
        """NX XX GT LT, sometimes in incompatible combinations or unknown.
        GT/LT are deterministic here because no two expiry times in the
        stream can be close (see the file comment)."""
        flags = [b"NX", b"XX", b"GT", b"LT", b"nx", b"gt", b"FOO"]
        n = self.rng.choice([0, 0, 0, 1, 1, 2])
        return [self.rng.choice(flags) for _ in range(n)]

    # ---- commands ------------------------------------------------------------

    def next(self):
        self.i += 1
        rng = self.rng
        r = rng.random()
        choices = self.COMMANDS
        total = self.WEIGHT_TOTAL
        x = r * total
        for weight, fn in choices:
            if x < weight:
                cmd = fn(self)
                break
            x -= weight
        else:
            cmd = choices[-1][1](self)
        if rng.random() < 0.15:
            cmd = [self.recase(cmd[0])] + cmd[1:]
        return cmd

    def recase(self, name):
        return bytes(c ^ 0x20 if 65 <= (c & ~0x20) <= 90 and self.rng.random() < 0.5 else c
                     for c in name)

    def c_get(self):
        return [b"GET", self.key()]

    def c_set(self):
        return [b"SET", self.key(), self.value()] + self.set_options()

    def c_setnx(self):
        return [b"SETNX", self.key(), self.value()]

    def c_setex(self):
        if self.rng.random() < 0.5:
            return [b"SETEX", self.key(), self.rel_seconds(), self.value()]
        return [b"PSETEX", self.key(), self.rel_ms(), self.value()]

    def c_getset(self):
        return [b"GETSET", self.key(), self.value()]

    def c_getdel(self):
        return [b"GETDEL", self.key()]

    def c_getex(self):
        return [b"GETEX", self.key()] + self.getex_options()

    def c_mget(self):
        return [b"MGET"] + self.keys(1, 5)

    def c_mset(self):
        args = []
        for k in self.keys(1, 4):
            args += [k, self.value()]
        if self.rng.random() < 0.05:
            args.append(self.key())  # odd argument count
        return [self.rng.choice([b"MSET", b"MSET", b"MSETNX"])] + args

    def c_incr(self):
        name = self.rng.choice([b"INCR", b"DECR", b"INCRBY", b"DECRBY"])
        if name in (b"INCR", b"DECR"):
            return [name, self.key()]
        return [name, self.key(), self.rng.choice(INT_ARGS)]

    def c_incrbyfloat(self):
        return [b"INCRBYFLOAT", self.key(), self.rng.choice(FLOAT_ARGS)]

    def c_append(self):
        return [b"APPEND", self.key(), self.value()]

    def c_strlen(self):
        return [b"STRLEN", self.key()]

    def c_getrange(self):
        return [b"GETRANGE", self.key(), self.rng.choice(RANGE_ARGS), self.rng.choice(RANGE_ARGS)]

    def c_setrange(self):
        offset = self.rng.choice(SETRANGE_OFFSETS)
        value = self.value()
        return [b"SETRANGE", self.key(), offset, value]

    def c_del(self):
        return [self.rng.choice([b"DEL", b"UNLINK"])] + self.keys(1, 3)

    def c_exists(self):
        return [b"EXISTS"] + self.keys(1, 4)

    def c_type(self):
        return [b"TYPE", self.key()]

    def c_rename(self):
        return [self.rng.choice([b"RENAME", b"RENAMENX"]), self.key(), self.key()]

    def c_keys(self):
        return [b"KEYS", self.rng.choice(PATTERNS)]

    def c_scan(self):
        cmd = [b"SCAN", b"0" if self.rng.random() < 0.9 else
               self.rng.choice([b"abc", b"1.5", b"", b"18446744073709551616"])]
        for _ in range(self.rng.randint(0, 3)):
            kind = self.rng.choice(["MATCH", "COUNT", "TYPE", "BAD"])
            if kind == "MATCH":
                cmd += [b"MATCH", self.rng.choice(PATTERNS)]
            elif kind == "COUNT":
                cmd += [b"COUNT", self.rng.choice([b"1", b"3", b"10", b"1000", b"0", b"-1", b"abc"])]
            elif kind == "TYPE":
                cmd += [b"TYPE", self.rng.choice([b"string", b"STRING", b"list", b"none"])]
            else:
                cmd.append(self.rng.choice([b"MATCH", b"FOO"]))
        return cmd

    def c_randomkey(self):
        return [b"RANDOMKEY"]

    def c_expire(self):
        kind = self.rng.choice([b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"])
        when = {b"EXPIRE": self.rel_seconds, b"PEXPIRE": self.rel_ms,
                b"EXPIREAT": self.abs_seconds, b"PEXPIREAT": self.abs_ms}[kind]()
        return [kind, self.key(), when] + self.expire_flags()

    def c_ttl(self):
        return [self.rng.choice([b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"]), self.key()]

    def c_persist(self):
        return [b"PERSIST", self.key()]

    def c_object(self):
        return [b"OBJECT", b"ENCODING", self.key()]

    def c_misc(self):
        return self.rng.choice([
            [b"DBSIZE"], [b"PING"], [b"PING", self.value()], [b"ECHO", self.value()],
            [b"EXISTS", self.key(), self.key()],
        ])

    def c_flush(self):
        return [self.rng.choice([b"FLUSHDB", b"FLUSHALL"])]

    def c_unknown(self):
        return [self.rng.choice([b"NOSUCHCMD", b"GETT", b"SETT", b"x" * 200, b"\x00\xff"])] + \
            [self.rng.choice(JUNK + KEYS) for _ in range(self.rng.randint(0, 4))]

    ARITY_NAMES = [b"GET", b"SET", b"SETNX", b"SETEX", b"PSETEX", b"GETSET", b"GETDEL", b"GETEX",
                   b"MGET", b"MSET", b"MSETNX", b"INCR", b"DECR", b"INCRBY", b"DECRBY",
                   b"INCRBYFLOAT", b"APPEND", b"STRLEN", b"GETRANGE", b"SETRANGE", b"DEL",
                   b"UNLINK", b"EXISTS", b"TYPE", b"RENAME", b"RENAMENX", b"KEYS", b"SCAN",
                   b"RANDOMKEY", b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT", b"TTL", b"PTTL",
                   b"PERSIST", b"EXPIRETIME", b"PEXPIRETIME", b"OBJECT", b"DBSIZE", b"ECHO",
                   b"PING"]

    def c_arity(self):
        """Any command with a random number of junk arguments: mostly arity
        and syntax errors. JUNK has no small positive number, so no short TTL
        can be set this way."""
        name = self.rng.choice(self.ARITY_NAMES + TYPE_ARITY_NAMES)
        args = [self.rng.choice(JUNK + KEYS) for _ in range(self.rng.randint(0, 5))]
        if name == b"SCAN" and args:
            # Only cursor 0 or an invalid cursor (see the file comment).
            args[0] = self.rng.choice([b"0", b"abc", b"", b"k1"])
        return [name] + args

    COMMANDS = [
        (10, c_get), (12, c_set), (2, c_setnx), (3, c_setex), (2, c_getset), (2, c_getdel),
        (4, c_getex), (3, c_mget), (3, c_mset), (6, c_incr), (5, c_incrbyfloat), (4, c_append),
        (2, c_strlen), (4, c_getrange), (4, c_setrange), (3, c_del), (2, c_exists), (2, c_type),
        (3, c_rename), (2, c_keys), (2, c_scan), (1, c_randomkey), (6, c_expire), (4, c_ttl),
        (2, c_persist), (4, c_object), (2, c_misc), (0.1, c_flush), (1, c_unknown), (4, c_arity),
    ]
    COMMANDS = COMMANDS + [c for m in TYPE_MODULES for c in m.COMMANDS]
    WEIGHT_TOTAL = sum(w for w, _ in COMMANDS)


TYPE_ARITY_NAMES = [n for m in TYPE_MODULES for n in m.ARITY_NAMES]
TYPE_COMPARE = {}
for _m in TYPE_MODULES:
    TYPE_COMPARE.update(_m.COMPARE)


# ---- comparison ------------------------------------------------------------------------


class Mismatch(Exception):
    pass


def is_int_reply(raw):
    return raw.startswith(b":")


def compare_ttl(name, a, b):
    if not (is_int_reply(a) and is_int_reply(b)):
        return a == b
    x, y = int(a[1:-2]), int(b[1:-2])
    if x < 0 or y < 0:
        return x == y
    tolerance = PTTL_TOLERANCE_MS if name.startswith(b"P") else TTL_TOLERANCE_S
    return abs(x - y) <= tolerance


def compare_sorted_array(a, b):
    if not (a.startswith(b"*") and b.startswith(b"*")):
        return a == b
    return sorted(decode(a)) == sorted(decode(b))


def scan_to_completion(client, cmd, first):
    keys = set()
    reply = first
    for _ in range(SCAN_CALLS_MAX):
        cursor, batch = decode(reply)
        keys.update(batch)
        if cursor == b"0":
            return keys
        reply = client.call(*([cmd[0], cursor] + cmd[2:]))
    raise Mismatch("SCAN did not finish in %d calls" % SCAN_CALLS_MAX)


class Pair(object):
    """The server under test (a) and the reference (b), fed the same stream."""

    def __init__(self, port_a, port_b, seed, protocol=2):
        self.a = RawClient(port_a, timeout_s=30.0)
        self.b = RawClient(port_b, timeout_s=30.0)
        self.seed = seed
        self.protocol = protocol
        self.history = []

    def close(self):
        self.a.close()
        self.b.close()

    def both(self, cmd):
        return self.a.call(*cmd), self.b.call(*cmd)

    def fail(self, index, cmd, got_a, got_b, why):
        lines = ["differential mismatch (%s)" % why,
                 "stream seed=%d, RESP%d, command #%d (replay: POLIS_DIFF_SEED=%d)"
                 % (self.seed, self.protocol, index, SEED),
                 "command:   %r" % (cmd,),
                 "polis:     %r" % (got_a,),
                 "reference: %r" % (got_b,),
                 "previous %d commands (index, command, polis reply):" % len(self.history)]
        for i, c, rep in self.history:
            lines.append("  #%d %r -> %r" % (i, c, rep[:200] if isinstance(rep, bytes) else rep))
        pytest.fail("\n".join(lines), pytrace=False)

    def run(self, index, cmd):
        a, b = self.both(cmd)
        name = cmd[0].upper()
        ok = True
        why = "replies differ"
        if name in (b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"):
            ok = compare_ttl(name, a, b)
        elif name == b"KEYS":
            ok = compare_sorted_array(a, b)
        elif name == b"SCAN" and a.startswith(b"*") and b.startswith(b"*"):
            ka = scan_to_completion(self.a, cmd, a)
            kb = scan_to_completion(self.b, cmd, b)
            ok = ka == kb
            if not ok:
                why = "SCAN key sets differ: only polis %r, only reference %r" % (
                    sorted(ka - kb), sorted(kb - ka))
        elif name in TYPE_COMPARE:
            ok, why = TYPE_COMPARE[name](a, b)
        elif name == b"RANDOMKEY" and a.startswith(b"$") and b.startswith(b"$") \
                and a != b"$-1\r\n" and b != b"$-1\r\n":
            ea = self.a.call(b"EXISTS", decode(a))
            eb = self.b.call(b"EXISTS", decode(b))
            ok = ea == b":1\r\n" and eb == b":1\r\n"
            why = "RANDOMKEY returned a key that does not exist"
        else:
            ok = a == b
        if not ok:
            self.fail(index, cmd, a, b, why)
        self.history.append((index, cmd, a))
        del self.history[:-HISTORY]

    def check_state(self, index):
        """Full comparison of the key space: key sets, values, TTL presence."""
        ka = sorted(decode(self.a.call(b"KEYS", b"*")))
        kb = sorted(decode(self.b.call(b"KEYS", b"*")))
        if ka != kb:
            self.fail(index, [b"KEYS", b"*"], ka, kb, "state check: key sets differ")
        for k in ka:
            for cmd in ([b"GET", k], [b"OBJECT", b"ENCODING", k], [b"TYPE", k]):
                a, b = self.both(cmd)
                if a != b:
                    self.fail(index, cmd, a, b, "state check")
            type_name = decode(self.a.call(b"TYPE", k))
            for m in TYPE_MODULES:
                for cmd in m.STATE(k, type_name):
                    a, b = self.both(cmd)
                    compare = TYPE_COMPARE.get(cmd[0].upper())
                    ok, why = compare(a, b) if compare else (a == b, "replies differ")
                    if not ok:
                        self.fail(index, cmd, a, b, "state check: " + why)
            a, b = self.both([b"PTTL", k])
            if not compare_ttl(b"PTTL", a, b):
                self.fail(index, [b"PTTL", k], a, b, "state check")
        a, b = self.both([b"DBSIZE"])
        if a != b:
            self.fail(index, [b"DBSIZE"], a, b, "state check")


def run_stream(server, redis_ref, seed, count, protocol):
    pair = Pair(server.port, redis_ref.port, seed, protocol)
    try:
        for c in (pair.a, pair.b):
            c.call(b"FLUSHALL")
            if protocol == 3:
                assert c.call(b"HELLO", b"3").startswith(b"%")
        stream = Stream(seed)
        for index in range(count):
            cmd = stream.next()
            pair.run(index, cmd)
            if index % STATE_CHECK_EVERY == STATE_CHECK_EVERY - 1:
                pair.check_state(index)
        pair.check_state(count)
    finally:
        pair.close()


def test_differential_resp2(server, redis_ref):
    run_stream(server, redis_ref, SEED, COUNT, protocol=2)


def test_differential_resp3(server, redis_ref):
    run_stream(server, redis_ref, SEED + 1, max(COUNT // 5, 1), protocol=3)


def test_differential_stream_is_deterministic():
    a, b = Stream(SEED), Stream(SEED)
    b.t0_s = a.t0_s
    for _ in range(200):
        assert a.next() == b.next()


def test_differential_can_fail(server, redis_ref):
    """The checker reports a real difference: a key that exists only on the
    server under test makes the state check fail."""
    pair = Pair(server.port, redis_ref.port, SEED)
    try:
        for c in (pair.a, pair.b):
            c.call(b"FLUSHALL")
        pair.a.call(b"SET", b"only-here", b"1")
        with pytest.raises(pytest.fail.Exception):
            pair.check_state(0)
        with pytest.raises(pytest.fail.Exception):
            pair.run(0, [b"GET", b"only-here"])
    finally:
        for c in (pair.a, pair.b):
            c.call(b"FLUSHALL")
        pair.close()
