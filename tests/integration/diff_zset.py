"""Sorted set commands for the differential test (test_differential.py).

Every ZSET command is generated with its options, edge cases and errors:
empty and missing keys, keys of another type, negative and huge ranks and
counts, exclusive and infinite score bounds, lex bounds, bad numbers (NaN,
overflow, spaces, empty strings, embedded NUL bytes), members that are
integers, empty, binary or long (65 bytes: past zset-max-listpack-value),
and bulk ZADDs of up to 150 members (past zset-max-listpack-entries), so
both encodings, conversions and stored results (*STORE) are compared,
OBJECT ENCODING included (the state check does that for every key).

Replies are compared byte for byte except where Redis leaves the choice or
the order unspecified (COMPARE):

  ZRANDMEMBER  which members are picked, and their order, come from each
               server's random source. The generator records the command
               it made (_LAST), so the comparison knows the count: equal
               replies pass; otherwise both must have the shape asked for
               (null or bulk without a count; an array of the same length,
               flat pairs in RESP2 and nested in RESP3 with WITHSCORES),
               distinct members for a positive count, the whole set (same
               pairs) when a positive count returned fewer members than
               asked, and the same score for a member both picked. Whether
               picks are members at all is covered by the state check.
  ZSCAN        a skiplist is scanned in its hash table's order, which
               differs between servers: replies that finish the scan
               (cursor 0) are compared as sets of (member, score) pairs;
               unfinished ones (COUNT too small for the set) must agree on
               the scores of the members both returned, and a finished scan
               must hold every pair the other server returned, since their
               batches depend on the table layout. The stream sends only
               cursor 0 or invalid cursors (a valid non-zero cursor means
               something only to the server that gave it), and mostly
               COUNTs large enough to finish. Errors are compared exactly.

Lex ranges (ZRANGEBYLEX and friends) are defined over equal scores only:
over mixed scores a skiplist's answer depends on its node levels, random
in Redis, so it is unspecified. They go to keys of their own (LKEYS) that
only ever hold score 0.

Blocking commands: BZPOPMIN/BZPOPMAX/BZMPOP are sent with short timeouts
(0.01 s to 0.05 s), so on empty keys both servers block for a moment and
answer null; on keys with members they are served at once. With
POLIS_DIFF_BLOCKING=0 (a server without blocking support) only the forms
that fail before reading a key are sent. Their junk-argument forms are not
generated at all: a junk timeout such as "0" would block for ever.
"""

import os

from resp_raw import decode

BLOCKING = os.environ.get("POLIS_DIFF_BLOCKING", "1") != "0"

# The last ZRANDMEMBER generated, for its comparison (see the file comment).
_LAST = {}

BULK_MEMBERS = [b"m%d" % i for i in range(300)]
MEMBERS = [
    b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"aa", b"ab", b"1", b"2", b"10", b"-3",
    b"007", b"1.5", b"", b"with space", b"new\nline", b"\x00\xff", b"x" * 64, b"y" * 65,
    b"m1", b"m42",
]
SCORES = [
    b"0", b"1", b"2", b"3", b"-1", b"-2", b"10", b"100", b"1.5", b"-2.25", b"0.1", b"0.2", b"1e3",
    b"5.0e-3", b"1e300", b"-1e300", b"inf", b"-inf", b"+inf", b"-0", b"4611686018427387904",
    b"9007199254740993", b"3.0", b".5", b"0x10",
]
BAD_SCORES = [b"nan", b"abc", b"", b" 1", b"1 ", b"1e400", b"1\x002", b"--1", b"inf1"]
INCRS = [b"1", b"-1", b"0.1", b"2.5", b"-0.5", b"inf", b"-inf", b"1e308", b"0"]
SCORE_BOUNDS = [
    b"-inf", b"+inf", b"inf", b"0", b"1", b"(1", b"2", b"(2", b"2.5", b"(2.5", b"10", b"(10",
    b"-1", b"(-1", b"1e300", b"(inf", b"(-inf", b"3", b"100",
]
BAD_BOUNDS = [b"abc", b"", b"(", b"nan", b"(nan", b"1e400", b" 1", b"1 ", b"1\x00x", b"[1", b"((1"]
LEX_BOUNDS = [
    b"-", b"+", b"[a", b"(a", b"[b", b"(c", b"[d", b"[m1", b"(m5", b"[z", b"[", b"(", b"[aa",
    b"(1", b"[10",
]
BAD_LEX = [b"a", b"", b"+x", b"-a", b"{a", b"+\x00x"]
RANKS = [
    b"0", b"1", b"2", b"3", b"-1", b"-2", b"-3", b"5", b"10", b"-10", b"100", b"-100",
    b"9223372036854775807", b"-9223372036854775808",
]
BAD_INTS = [b"abc", b"", b"1.5", b" 1", b"99999999999999999999", b"+1", b"0x10"]
COUNTS = [b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"-1", b"-2", b"-5", b"-50"]
TIMEOUTS_BAD = [b"-1", b"-0.5", b"abc", b"", b"inf", b"1e20", b"nan", b" 1", b"-inf"]


# Sorted sets live mostly under keys of their own, so that they grow (and
# become skiplists) instead of being overwritten by the string commands at
# once; a fifth of the time a key of the shared pool is used, which brings
# WRONGTYPE and cross-type RENAME/DEL/EXPIRE interactions.
ZKEYS = [b"zs:%d" % i for i in range(6)] + [b"zs:with space", b"zs:\x00bin"]


# Keys for the lex commands, which only ever receive score 0 (see the file
# comment).
LKEYS = [b"zl:0", b"zl:1", b"zl:2"]


def zkey(s):
    return s.key() if maybe(s, 0.2) else pick(s, ZKEYS)


def lkey(s):
    return pick(s, LKEYS)


def pick(s, pool):
    return s.rng.choice(pool)


def maybe(s, p):
    return s.rng.random() < p


def member(s):
    if maybe(s, 0.3):
        return pick(s, BULK_MEMBERS[:40])
    return pick(s, MEMBERS)


def score(s, bad=0.05):
    if maybe(s, bad):
        return pick(s, BAD_SCORES)
    if maybe(s, 0.3):
        return b"%d" % s.rng.randint(-20, 20)
    return pick(s, SCORES)


def rank(s):
    return pick(s, BAD_INTS) if maybe(s, 0.04) else pick(s, RANKS)


def bound(s):
    return pick(s, BAD_BOUNDS) if maybe(s, 0.05) else pick(s, SCORE_BOUNDS)


def lex(s):
    return pick(s, BAD_LEX) if maybe(s, 0.05) else pick(s, LEX_BOUNDS)


def keys(s, lo, hi):
    return [zkey(s) for _ in range(s.rng.randint(lo, hi))]


def limit(s):
    if maybe(s, 0.05):
        return [b"LIMIT", pick(s, RANKS + BAD_INTS)][: s.rng.randint(1, 2)]
    return [b"LIMIT", pick(s, RANKS + [b"0", b"1"] * 3), pick(s, RANKS + [b"-1"] * 3)]


# ---- writes -------------------------------------------------------------------------


def c_zadd(s):
    opts = []
    for _ in range(s.rng.choice([0, 0, 0, 1, 1, 2, 3])):
        opt = pick(s, [b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"ch", b"gt", b"xx"])
        opts.append(opt)
    n = 1 if (b"INCR" in opts and maybe(s, 0.9)) else s.rng.randint(1, 5)
    pairs = []
    for _ in range(n):
        pairs += [score(s), member(s)]
    if maybe(s, 0.03):
        pairs = pairs[:-1]  # odd count: syntax error
    return [b"ZADD", zkey(s)] + opts + pairs


def c_zadd_bulk(s):
    """Many members at once: past 128 members a set becomes a skiplist."""
    n = s.rng.randint(20, 150)
    args = [b"ZADD", zkey(s)]
    for _ in range(n):
        args += [b"%d" % s.rng.randint(-50, 50) if maybe(s, 0.8) else pick(s, SCORES),
                 pick(s, BULK_MEMBERS)]
    return args


def c_zincrby(s):
    incr = pick(s, BAD_SCORES) if maybe(s, 0.05) else pick(s, INCRS + SCORES[:8])
    return [b"ZINCRBY", zkey(s), incr, member(s)]


def c_zrem(s):
    return [b"ZREM", zkey(s)] + [member(s) for _ in range(s.rng.randint(1, 4))]


def c_zpop(s):
    cmd = [pick(s, [b"ZPOPMIN", b"ZPOPMAX"]), zkey(s)]
    if maybe(s, 0.6):
        cmd.append(pick(s, COUNTS + BAD_INTS[:2]))
    if maybe(s, 0.02):
        cmd.append(b"1")
    return cmd


def c_zmpop(s):
    ks = keys(s, 1, 3)
    numkeys = b"%d" % len(ks)
    if maybe(s, 0.08):
        numkeys = pick(s, [b"0", b"-1", b"abc", b"%d" % (len(ks) + 1), b"9223372036854775807"])
    cmd = [b"ZMPOP", numkeys] + ks + [pick(s, [b"MIN", b"MAX", b"min", b"max"])]
    if maybe(s, 0.05):
        cmd[-1] = pick(s, [b"FOO", b"COUNT"])
    if maybe(s, 0.5):
        cmd += [b"COUNT", pick(s, [b"1", b"2", b"3", b"10", b"1000", b"0", b"-1", b"abc"])]
    if maybe(s, 0.03):
        cmd += pick(s, [[b"COUNT", b"1"], [b"FOO"], [b"COUNT"]])
    return cmd


def c_zrangestore(s):
    mode = range_mode(s)
    if mode == b"BYLEX":
        return [b"ZRANGESTORE", lkey(s), lkey(s)] + range_tail(s, mode, store=True)
    return [b"ZRANGESTORE", zkey(s), zkey(s)] + range_tail(s, mode, store=True)


def c_zremrange(s):
    kind = pick(s, [b"ZREMRANGEBYRANK", b"ZREMRANGEBYSCORE", b"ZREMRANGEBYLEX"])
    if kind == b"ZREMRANGEBYLEX":
        return [kind, lkey(s), lex(s), lex(s)]
    gen = rank if kind == b"ZREMRANGEBYRANK" else bound
    return [kind, zkey(s), gen(s), gen(s)]


def c_lex_write(s):
    """Score-0 members for the lex keys; sometimes enough for a skiplist."""
    if maybe(s, 0.3):
        return [b"ZREM", lkey(s)] + [member(s) for _ in range(s.rng.randint(1, 3))]
    n = s.rng.randint(1, 4) if maybe(s, 0.9) else s.rng.randint(30, 150)
    args = [b"ZADD", lkey(s)]
    for _ in range(n):
        args += [b"0", member(s) if n < 5 else pick(s, BULK_MEMBERS)]
    return args


def c_setop_store(s):
    name = pick(s, [b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE"])
    return [name, zkey(s)] + setop_tail(s, name, store=True)


# ---- reads --------------------------------------------------------------------------


def c_zscore(s):
    return [b"ZSCORE", zkey(s), member(s)]


def c_zmscore(s):
    return [b"ZMSCORE", zkey(s)] + [member(s) for _ in range(s.rng.randint(1, 4))]


def c_zcard(s):
    return [b"ZCARD", zkey(s)]


def c_zrank(s):
    return [pick(s, [b"ZRANK", b"ZREVRANK"]), zkey(s), member(s)]


def c_zcount(s):
    if maybe(s, 0.5):
        return [b"ZCOUNT", zkey(s), bound(s), bound(s)]
    return [b"ZLEXCOUNT", lkey(s), lex(s), lex(s)]


def range_mode(s):
    return pick(s, [b"", b"", b"BYSCORE", b"BYLEX"])


def range_tail(s, mode, store=False):
    """<min> <max> and options for ZRANGE / ZRANGESTORE."""
    gen = {b"": rank, b"BYSCORE": bound, b"BYLEX": lex}[mode]
    tail = [gen(s), gen(s)]
    opts = []
    if mode:
        opts.append(mode)
    if maybe(s, 0.4):
        opts.append(b"REV")
    if maybe(s, 0.4 if mode else 0.05):
        opts += limit(s)
    if maybe(s, 0.5 if not store else 0.03):
        opts.append(b"WITHSCORES")
    if maybe(s, 0.04):
        # A second mode is a syntax error, found before any key is read.
        opts.append(pick(s, [b"BYSCORE", b"BYLEX", b"REV", b"FOO", b"LIMIT"]))
    s.rng.shuffle(opts)
    return tail + opts


def c_zrange(s):
    mode = range_mode(s)
    return [b"ZRANGE", lkey(s) if mode == b"BYLEX" else zkey(s)] + range_tail(s, mode)


def c_zrange_legacy(s):
    name = pick(s, [b"ZREVRANGE", b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE", b"ZRANGEBYLEX",
                    b"ZREVRANGEBYLEX"])
    is_lex = name.endswith(b"LEX")
    gen = rank if name == b"ZREVRANGE" else lex if is_lex else bound
    cmd = [name, lkey(s) if is_lex else zkey(s), gen(s), gen(s)]
    if maybe(s, 0.4 if not is_lex else 0.05):
        cmd.append(b"WITHSCORES")
    if maybe(s, 0.3 if name != b"ZREVRANGE" else 0.05):
        cmd += limit(s)
    if maybe(s, 0.03):
        cmd.append(pick(s, [b"REV", b"BYSCORE", b"BYLEX", b"FOO"]))
    return cmd


def setop_tail(s, name, store=False):
    ks = keys(s, 1, 4)
    numkeys = b"%d" % len(ks)
    if maybe(s, 0.06):
        numkeys = pick(s, [b"0", b"-1", b"abc", b"%d" % (len(ks) + 1), b"9223372036854775807"])
    tail = [numkeys] + ks
    weighted = name not in (b"ZDIFF", b"ZDIFFSTORE", b"ZINTERCARD")
    if (weighted or maybe(s, 0.05)) and maybe(s, 0.4):
        w = [pick(s, [b"1", b"2", b"0.5", b"-1", b"0", b"inf", b"-inf", b"1.5", b"3"])
             for _ in ks]
        if maybe(s, 0.05):
            w = w[:-1] if maybe(s, 0.5) else w + [b"1"]
        if w and maybe(s, 0.04):
            w[0] = pick(s, BAD_SCORES)
        tail += [b"WEIGHTS"] + w
    if (weighted or maybe(s, 0.05)) and maybe(s, 0.4):
        tail += [b"AGGREGATE", pick(s, [b"SUM", b"MIN", b"MAX", b"min", b"max", b"AVG"])]
    if name == b"ZINTERCARD" and maybe(s, 0.5):
        tail += [b"LIMIT", pick(s, [b"0", b"1", b"2", b"5", b"-1", b"abc"])]
    if (not store and name != b"ZINTERCARD" and maybe(s, 0.5)) or maybe(s, 0.02):
        tail.append(b"WITHSCORES")
    if maybe(s, 0.02):
        tail.append(pick(s, [b"FOO", b"WEIGHTS", b"AGGREGATE", b"LIMIT"]))
    return tail


def c_setop(s):
    name = pick(s, [b"ZUNION", b"ZINTER", b"ZDIFF", b"ZINTERCARD"])
    return [name] + setop_tail(s, name)


def c_zrandmember(s):
    cmd = [b"ZRANDMEMBER", zkey(s)]
    if maybe(s, 0.8):
        cmd.append(pick(s, COUNTS + [b"-1000", b"1000"] + BAD_INTS[:2] +
                        [b"-9223372036854775808", b"4611686018427387904"]))
        if maybe(s, 0.5):
            cmd.append(b"WITHSCORES" if maybe(s, 0.95) else b"FOO")
    _LAST[b"ZRANDMEMBER"] = cmd
    return cmd


def c_zscan(s):
    # Cursor 0 ("" reads as 0) or an invalid one: a scan started elsewhere
    # would be meaningful only to the server that gave the cursor.
    cursor = b"0" if maybe(s, 0.9) else pick(s, [b"abc", b"", b" 1", b"1x", b"18446744073709551616"])
    cmd = [b"ZSCAN", zkey(s), cursor]
    if maybe(s, 0.5):
        cmd += [b"MATCH", pick(s, [b"*", b"m1*", b"[ab]*", b"*a*", b"?", b"", b"\x00*"])]
    if maybe(s, 0.8):
        cmd += [b"COUNT", pick(s, [b"1000", b"100000"] * 6 + [b"0", b"-1", b"abc", b"1"])]
    if maybe(s, 0.03):
        cmd += pick(s, [[b"TYPE", b"zset"], [b"FOO"], [b"COUNT"]])
    return cmd


# ---- blocking -------------------------------------------------------------------------


def c_bzpop(s):
    name = pick(s, [b"BZPOPMIN", b"BZPOPMAX", b"BZMPOP"])
    if name == b"BZMPOP":
        if not BLOCKING:
            # Errors found before any key is read: numkeys, MIN|MAX, COUNT,
            # then (only then) the timeout.
            ks = keys(s, 1, 2)
            return pick(s, [
                [b"BZMPOP", pick(s, TIMEOUTS_BAD), b"%d" % len(ks)] + ks + [b"MIN"],
                [b"BZMPOP", b"0", pick(s, [b"0", b"-1", b"abc"])] + ks + [b"MAX"],
                [b"BZMPOP", b"0", b"%d" % len(ks)] + ks + [b"FOO"],
                [b"BZMPOP", b"0", b"%d" % len(ks)] + ks + [b"MIN", b"COUNT", b"0"],
                [b"BZMPOP", b"abc", b"%d" % len(ks)] + ks + [b"MIN", b"COUNT", b"1", b"X"],
            ])
        ks = keys(s, 1, 3)
        cmd = [b"BZMPOP", pick(s, [b"0.01", b"0.02", b"0.05"]), b"%d" % len(ks)] + ks
        cmd.append(pick(s, [b"MIN", b"MAX"]))
        if maybe(s, 0.5):
            cmd += [b"COUNT", pick(s, [b"1", b"2", b"10"])]
        return cmd
    if not BLOCKING:
        return [name] + keys(s, 1, 3) + [pick(s, TIMEOUTS_BAD)]
    return [name] + keys(s, 1, 3) + [pick(s, [b"0.01", b"0.02", b"0.05"])]


COMMANDS = [
    (8, c_zadd), (1.2, c_zadd_bulk), (3, c_zincrby), (3, c_zrem), (3, c_zpop), (1.5, c_zmpop),
    (1.5, c_zrangestore), (2.5, c_zremrange), (2, c_setop_store), (3, c_zscore), (1.5, c_zmscore),
    (1.5, c_zcard), (2, c_zrank), (3, c_zcount), (5, c_zrange), (4, c_zrange_legacy),
    (2.5, c_setop), (2.5, c_zrandmember), (1.5, c_zscan), (1, c_bzpop), (3, c_lex_write),
]

ARITY_NAMES = [
    b"ZADD", b"ZINCRBY", b"ZREM", b"ZSCORE", b"ZMSCORE", b"ZCARD", b"ZCOUNT", b"ZLEXCOUNT",
    b"ZRANGE", b"ZRANGESTORE", b"ZREVRANGE", b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE",
    b"ZRANGEBYLEX", b"ZREVRANGEBYLEX", b"ZRANK", b"ZREVRANK", b"ZPOPMIN", b"ZPOPMAX", b"ZMPOP",
    b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE", b"ZUNION", b"ZINTER",
    b"ZDIFF", b"ZINTERCARD", b"ZREMRANGEBYRANK", b"ZREMRANGEBYSCORE", b"ZREMRANGEBYLEX",
    b"ZSCAN",
]
# Left out of the junk-argument generator: BZPOPMIN/BZPOPMAX/BZMPOP (see the
# file comment), and ZRANDMEMBER, whose comparison reads the command its
# own generator made.


# ---- comparisons -----------------------------------------------------------------------


def _is_error(raw):
    return raw[:1] == b"-"


def _picks(reply, withscores):
    """[(member, score or None)] of a decoded ZRANDMEMBER array reply, or None
    if it is not shaped as the command asks (RESP3 nests WITHSCORES pairs)."""
    if not withscores:
        return [(m, None) for m in reply] if all(isinstance(m, bytes) for m in reply) else None
    if reply and isinstance(reply[0], list):
        if not all(isinstance(p, list) and len(p) == 2 for p in reply):
            return None
        return [(m, float(sc)) for m, sc in reply]
    if len(reply) % 2 or not all(isinstance(x, bytes) for x in reply):
        return None
    try:
        return [(m, float(sc)) for m, sc in zip(reply[0::2], reply[1::2])]
    except ValueError:
        return None


def compare_zrandmember(a, b):
    if a == b:
        return True, ""
    if _is_error(a) or _is_error(b) or a[:1] != b[:1]:
        return False, "ZRANDMEMBER replies differ in kind"
    cmd = _LAST.get(b"ZRANDMEMBER")
    da, db = decode(a), decode(b)
    if cmd is None or len(cmd) < 3:
        return (isinstance(da, bytes) and isinstance(db, bytes),
                "ZRANDMEMBER single picks differ in kind")
    count, withscores = int(cmd[2]), len(cmd) == 4
    if not (isinstance(da, list) and isinstance(db, list)) or len(da) != len(db):
        return False, "ZRANDMEMBER replies differ in length"
    pa, pb = _picks(da, withscores), _picks(db, withscores)
    if pa is None or pb is None:
        return False, "ZRANDMEMBER reply is not shaped as the command asks"
    if count > 0:
        for picks in (pa, pb):
            if len({m for m, _ in picks}) != len(picks):
                return False, "ZRANDMEMBER with a positive count repeated a member"
        if len(pa) < count and dict(pa) != dict(pb):
            return False, "ZRANDMEMBER whole-set replies differ"
    if withscores:
        sa, sb = dict(pa), dict(pb)
        for m in sa.keys() & sb.keys():
            if sa[m] != sb[m]:
                return False, "ZRANDMEMBER gave member %r two scores" % (m,)
    return True, ""


def compare_zscan(a, b):
    if a == b:
        return True, ""
    if _is_error(a) or _is_error(b) or a[:1] != b[:1]:
        return False, "ZSCAN replies differ"
    (ca, ia), (cb, ib) = decode(a), decode(b)
    if len(ia) % 2 or len(ib) % 2:
        return False, "ZSCAN returned an odd number of items"
    pa, pb = list(zip(ia[0::2], ia[1::2])), list(zip(ib[0::2], ib[1::2]))
    da, db = dict(pa), dict(pb)
    if len(da) != len(pa) or len(db) != len(pb):
        return False, "ZSCAN repeated a member within one reply"
    for m in da.keys() & db.keys():
        if da[m] != db[m]:
            return False, "ZSCAN gave member %r two scores" % (m,)
    if ca == cb == b"0":
        return da == db, "ZSCAN (member, score) sets differ"
    if ca == b"0" and not db.keys() <= da.keys():
        return False, "ZSCAN: the reference saw members a full polis scan did not"
    if cb == b"0" and not da.keys() <= db.keys():
        return False, "ZSCAN: polis saw members a full reference scan did not"
    return True, ""


COMPARE = {
    b"ZRANDMEMBER": compare_zrandmember,
    b"ZSCAN": compare_zscan,
}


def STATE(key, type_name):
    if type_name != b"zset":
        return []
    return [
        [b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"],
        [b"ZCARD", key],
        [b"ZSCAN", key, b"0", b"COUNT", b"100000"],
    ]
