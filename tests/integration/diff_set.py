"""The set commands' part of the differential test (test_differential.py).

COMMANDS generate every set command with its options and edge cases on the
stream's 20 keys, shared with the other types (so WRONGTYPE comes up
often). Members come from small pools so that sets overlap: canonical
integers of every intset width, strings that look like integers but are not
canonical ("007", "+1", "-0", " 1", 2^63), empty, binary, 64 bytes. Half of
the SADDs use integers only, so intsets are common, and an occasional SADD
of hundreds of integers crosses set-max-intset-entries (512). Counts include
0, negative, huge and malformed ones; SINTERCARD gets bad numkeys and LIMIT
forms; SSCAN gets bad cursors and options.

Random commands. SPOP changes the set by a random choice, so on the 20
shared keys it is sent only in forms whose effect is determined: a count at
least any set's size (everything popped), 0, or invalid. Random pops are
exercised on three keys of their own (POP_KEYS), in episodes: "fill" (DEL,
then SADD/SREM/SISMEMBER while both servers hold the same set), then "pop"
(SPOP with and without count, SRANDMEMBER, SMEMBERS, SCARD, SSCAN) until
the next DEL. After the first pop the two servers legitimately hold
different members (of the same count), so each server's replies are checked
against a model of what that server holds, updated from its own replies:
SPOP must return min(count, size) distinct members of the set and remove
exactly those (the next SMEMBERS shows it), SRANDMEMBER must return members
of the set, distinct for a positive count. Each pop key has members of one
kind only (integers, or strings), so its encoding after a pop is determined
(SPOP keeping few members builds a fresh set: an intset exactly when all
members are integers and few), and the core state check compares OBJECT
ENCODING exactly. A FLUSHALL from the core stream empties a pop key behind
the model's back: the reference's reply then contradicts its model, and the
model is dropped until the next DEL (only Redis's side may drop it; the
checks on polis's side are then the loose ones below).

SPOP is kept out of ARITY_NAMES (the junk-argument generator would send
"SPOP key", a random pop on a shared key); its arity and syntax errors are
generated here.

Comparisons (COMPARE), loosened only where Redis leaves the reply to its
hash table or to chance, and errors always compared exactly:

  SMEMBERS SINTER SUNION SDIFF
      A hashtable's order is its bucket order (Redis's per-process random
      seed): compared as multisets, with the same aggregate type (RESP3 set).
      An intset's order (ascending) is checked exactly by the unit tests.
  SPOP (shared keys)
      Only whole-set pops: compared as multisets.
  SPOP SRANDMEMBER SMEMBERS SCARD SISMEMBER SMISMEMBER SADD SREM SSCAN
  (pop keys)
      Against each server's model, as described above.
  SRANDMEMBER (shared keys)
      Same reply type; with a count, same length (|count| when negative);
      distinct members for a positive count; a reply shorter than a
      positive count is the whole set: equal as multisets.
  SSCAN (shared keys)
      The cursor walks the bucket order. A scan from cursor 0 with a COUNT
      of 10,000 (more than any set here has members, and ten times that in
      buckets) must finish in one call on both, with equal members; any
      other scan from 0 that finishes on both must give equal members;
      otherwise both must be [cursor, distinct members].

The comparisons of SRANDMEMBER, SSCAN and the pop keys need the command;
the generators record it in _CTX with the stream and its index, and a
comparison uses it only if the stream has not moved on (test_differential
sends each command right after generating it). The same names sent by the
junk generator get the loose comparison.

STATE compares each set key's whole value: SCARD, SMEMBERS (as multisets)
and a complete SSCAN. For a pop key only SCARD (the members differ after a
pop, by design).
"""

from resp_raw import decode

INT_MEMBERS = [
    b"0", b"1", b"2", b"3", b"5", b"7", b"-1", b"-2", b"42", b"100", b"-100", b"1000",
    b"32767", b"32768", b"-32769", b"65536", b"2147483647", b"2147483648", b"-2147483649",
    b"9223372036854775807", b"-9223372036854775808",
]
STR_MEMBERS = [
    b"a", b"b", b"c", b"hello", b"", b"007", b"+1", b"-0", b" 1", b"1.5",
    b"9223372036854775808", b"x" * 64, b"\x00\xff", b"new\nline", b"member with space",
]
BIG_INT_RANGE = 700  # big SADDs draw from range(700): up to 700 members
# SRANDMEMBER counts. Not -9223372036854775807: Redis would try to send
# that many members (polis refuses it; test_set.py covers that).
COUNT_ARGS = [b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"1000", b"-1", b"-3", b"-10",
              b"-100", b"9223372036854775807", b"-9223372036854775808",
              b"9223372036854775808", b"abc", b"", b"1.5", b" 1"]
SPOP_WHOLE_COUNTS = [b"100000", b"9223372036854775807"]
SPOP_BAD_COUNTS = [b"0", b"-1", b"-9223372036854775808", b"9223372036854775808", b"abc", b"",
                   b"1.5", b" 1", b"+1"]
PATTERNS = [b"*", b"1*", b"*1", b"?", b"[0-3]*", b"a*", b"*e*", b"-*", b"", b"nomatch", b"[",
            b"\\*", b"x*"]
SCAN_COMPLETE_COUNT = 10000

POP_KEYS = [b"pop:ints", b"pop:strs", b"pop:many"]
POP_POOLS = {
    b"pop:ints": [b"%d" % i for i in range(-20, 40)],
    b"pop:strs": [b"p%d" % i for i in range(60)],
    b"pop:many": [b"%d" % i for i in range(1500)],  # beyond 512: hashtables of integers
}
POP_COUNTS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 400, 600, 1000, 5000]

_CTX = None        # the command just generated (see the file comment)
_LAST_STREAM = None


def _remember(s, kind, **info):
    global _CTX, _LAST_STREAM
    _LAST_STREAM = s
    _CTX = dict(info, kind=kind, stream=s, i=s.i)


def _ctx():
    """The context of the command being compared, or None if it was not
    made by one of this module's generators."""
    if _CTX is None or _CTX["stream"].i != _CTX["i"]:
        return None
    return _CTX


# ---- generators: shared keys --------------------------------------------------------


def member(s, ints_only=False):
    if ints_only or s.rng.random() < 0.6:
        return s.rng.choice(INT_MEMBERS)
    return s.rng.choice(STR_MEMBERS)


def members(s, lo=1, hi=6, ints_only=False):
    return [member(s, ints_only) for _ in range(s.rng.randint(lo, hi))]


def c_sadd(s):
    return [b"SADD", s.key()] + members(s, ints_only=s.rng.random() < 0.5)


def c_sadd_many(s):
    """Hundreds of integers: crosses the 512-member intset limit, or not."""
    n = s.rng.randint(100, 600)
    args = [b"%d" % i for i in s.rng.sample(range(BIG_INT_RANGE), n)]
    if s.rng.random() < 0.2:
        args.append(s.rng.choice(STR_MEMBERS))
    return [b"SADD", s.key()] + args


def c_srem(s):
    return [b"SREM", s.key()] + members(s, 1, 8)


def c_sismember(s):
    if s.rng.random() < 0.5:
        return [b"SISMEMBER", s.key(), member(s)]
    return [b"SMISMEMBER", s.key()] + members(s, 1, 6)


def c_scard(s):
    return [b"SCARD", s.key()]


def c_smembers(s):
    return [b"SMEMBERS", s.key()]


def c_smove(s):
    return [b"SMOVE", s.key(), s.key(), member(s)]


def c_algebra(s):
    return [s.rng.choice([b"SINTER", b"SUNION", b"SDIFF"])] + s.keys(1, 4)


def c_store(s):
    return [s.rng.choice([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]), s.key()] + s.keys(1, 4)


def c_sintercard(s):
    keys = s.keys(1, 4)
    roll = s.rng.random()
    if roll < 0.8:
        numkeys = b"%d" % len(keys)
    elif roll < 0.9:
        numkeys = b"%d" % (len(keys) + s.rng.randint(1, 3))  # more than given
    else:
        numkeys = s.rng.choice([b"0", b"-1", b"abc", b"", b"9223372036854775808", b"01"])
    opts = []
    for _ in range(s.rng.choice([0, 0, 1, 1, 2])):
        kind = s.rng.choice(["LIMIT", "LIMIT", "LIMIT", "BARE", "FOO"])
        if kind == "LIMIT":
            opts += [s.rng.choice([b"LIMIT", b"limit"]),
                     s.rng.choice([b"0", b"1", b"2", b"5", b"-1", b"abc", b"", b"100"])]
        elif kind == "BARE":
            opts.append(b"LIMIT")
        else:
            opts.append(b"FOO")
    return [b"SINTERCARD", numkeys] + keys + opts


def c_spop_shared(s):
    """SPOP on shared keys only where the result does not depend on chance."""
    key = s.key()
    roll = s.rng.random()
    if roll < 0.5:
        cmd = [b"SPOP", key, s.rng.choice(SPOP_WHOLE_COUNTS)]
    elif roll < 0.85:
        cmd = [b"SPOP", key, s.rng.choice(SPOP_BAD_COUNTS)]
    elif roll < 0.95:
        cmd = [b"SPOP", key, b"1", s.rng.choice([b"2", b"COUNT", b""])]  # syntax error
    else:
        cmd = [b"SPOP"]  # arity error
    _remember(s, "shared")
    return cmd


def c_srandmember(s):
    key = s.key()
    if s.rng.random() < 0.2:
        _remember(s, "shared", count=None)
        return [b"SRANDMEMBER", key]
    count = s.rng.choice(COUNT_ARGS)
    extra = [b"x"] if s.rng.random() < 0.03 else []
    try:
        n = int(count) if count.strip() == count and count[:1] != b"+" else None
    except ValueError:
        n = None
    _remember(s, "shared", count=n)
    return [b"SRANDMEMBER", key, count] + extra


def c_sscan(s):
    roll = s.rng.random()
    cursor = b"0" if roll < 0.85 else s.rng.choice([b"abc", b"", b"1.5", b" 0",
                                                    b"18446744073709551616"])
    cmd = [b"SSCAN", s.key(), cursor]
    count = 10
    for _ in range(s.rng.choice([0, 1, 1, 2, 2])):
        kind = s.rng.choice(["COUNT", "COUNT", "MATCH", "MATCH", "BAD"])
        if kind == "COUNT":
            value = s.rng.choice([b"%d" % SCAN_COMPLETE_COUNT] * 3 +
                                 [b"1", b"3", b"10", b"0", b"-1", b"abc"])
            cmd += [b"COUNT", value]
            count = int(value) if value.lstrip(b"-").isdigit() else count
        elif kind == "MATCH":
            cmd += [b"MATCH", s.rng.choice(PATTERNS)]
        else:
            cmd += s.rng.choice([[b"FOO", b"1"], [b"TYPE", b"set"], [b"MATCH"], [b"COUNT"]])
    _remember(s, "shared", from_zero=cursor in (b"0", b""), count=count)
    return cmd


# ---- generators: pop keys ------------------------------------------------------------


class PopState(object):
    """Per stream: each pop key's phase (generator side) and each server's
    model of its members (updated by the comparisons), or None when a
    FLUSHALL made the model unknown."""

    def __init__(self):
        self.phase = {k: "fill" for k in POP_KEYS}
        self.model = {k: [set(), set()] for k in POP_KEYS}  # [polis, reference]


def _pop_state(s):
    st = getattr(s, "set_pop_state", None)
    if st is None:
        st = s.set_pop_state = PopState()
    return st


def _pop_members(s, key, lo, hi):
    pool = POP_POOLS[key]
    return [s.rng.choice(pool) for _ in range(s.rng.randint(lo, min(hi, len(pool))))]


def _pop_fill(s, st, key):
    roll = s.rng.random()
    if roll < 0.55:
        hi = 400 if key == b"pop:many" else 30
        cmd = [b"SADD", key] + _pop_members(s, key, 1, hi)
    elif roll < 0.7:
        cmd = [b"SREM", key] + _pop_members(s, key, 1, 10)
    elif roll < 0.85:
        cmd = [b"SISMEMBER", key, s.rng.choice(POP_POOLS[key])]
    else:
        cmd = [b"SMISMEMBER", key] + _pop_members(s, key, 1, 5)
    _remember(s, "pop", key=key, state=st, args=cmd[2:])
    return cmd


def _pop_pop(s, st, key):
    roll = s.rng.random()
    if roll < 0.3:
        cmd = [b"SPOP", key]
    elif roll < 0.65:
        cmd = [b"SPOP", key, b"%d" % s.rng.choice(POP_COUNTS)]
    elif roll < 0.8:
        count = s.rng.choice(POP_COUNTS) * s.rng.choice([1, -1])
        cmd = [b"SRANDMEMBER", key] + ([b"%d" % count] if s.rng.random() < 0.8 else [])
    elif roll < 0.9:
        cmd = [b"SMEMBERS", key]
    elif roll < 0.95:
        cmd = [b"SCARD", key]
    else:
        cmd = [b"SSCAN", key, b"0", b"COUNT", b"%d" % SCAN_COMPLETE_COUNT]
    if cmd[0] == b"SPOP":
        st.phase[key] = "pop"
    _remember(s, "pop", key=key, state=st, args=cmd[2:])
    return cmd


def c_pop(s):
    st = _pop_state(s)
    key = s.rng.choice(POP_KEYS)
    if st.phase[key] == "pop" and s.rng.random() < 0.12:
        st.phase[key] = "fill"
        st.model[key] = [set(), set()]
        _remember(s, "none")
        return [b"DEL", key]
    if st.phase[key] == "fill" and s.rng.random() < 0.6:
        return _pop_fill(s, st, key)
    return _pop_pop(s, st, key)


COMMANDS = [
    (10, c_sadd), (0.4, c_sadd_many), (5, c_srem), (3, c_sismember), (2, c_scard),
    (3, c_smembers), (3, c_smove), (6, c_algebra), (4, c_store), (3, c_sintercard),
    (2, c_spop_shared), (3, c_srandmember), (3, c_sscan), (8, c_pop),
]

# SPOP is left out: "SPOP key" from the junk generator would pop at random
# on a shared key (its errors are generated by c_spop_shared).
ARITY_NAMES = [b"SADD", b"SREM", b"SMEMBERS", b"SISMEMBER", b"SMISMEMBER", b"SCARD",
               b"SRANDMEMBER", b"SMOVE", b"SINTER", b"SINTERCARD", b"SUNION", b"SDIFF",
               b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE", b"SSCAN"]


# ---- comparisons: shared keys ---------------------------------------------------------


def _is_error(raw):
    return raw.startswith(b"-") or raw.startswith(b"!")


def _is_aggregate(raw):
    return raw[:1] in (b"*", b"~")


def cmp_multiset(a, b):
    if _is_error(a) or _is_error(b) or not (_is_aggregate(a) and _is_aggregate(b)):
        return a == b, "replies differ"
    if a[:1] != b[:1]:
        return False, "aggregate types differ"
    da, db = decode(a), decode(b)
    return sorted(da) == sorted(db), "members differ"


def _distinct(items):
    return len(set(items)) == len(items)


def cmp_srandmember_shared(a, b, count):
    if _is_error(a) or _is_error(b):
        return a == b, "replies differ"
    if a[:1] != b[:1]:
        return False, "reply types differ"
    da, db = decode(a), decode(b)
    if not isinstance(da, list):  # one member or null
        return (da is None) == (db is None), "one side null"
    if len(da) != len(db):
        return False, "lengths differ"
    if count is None:
        return True, ""
    if count < 0:
        return len(da) in (0, -count), "length is not |count|"
    if not (_distinct(da) and _distinct(db)):
        return False, "a positive count repeated a member"
    if len(da) < count:
        return sorted(da) == sorted(db), "the whole set differs"
    return len(da) == count, "length is not count"


def cmp_sscan_shared(a, b, ctx):
    if _is_error(a) or _is_error(b):
        return a == b, "replies differ"
    (ca, ia), (cb, ib) = decode(a), decode(b)
    if not (_distinct(ia) and _distinct(ib)):
        return False, "a batch repeated a member"
    if ctx is not None and ctx.get("from_zero"):
        if ctx.get("count", 10) >= SCAN_COMPLETE_COUNT and not (ca == cb == b"0"):
            return False, "a scan with COUNT %d did not finish in one call" % SCAN_COMPLETE_COUNT
        if ca == cb == b"0":
            return sorted(ia) == sorted(ib), "complete scans differ"
    return True, ""


# ---- comparisons: pop keys (models) -----------------------------------------------------


def _check_pop(name, ctx, raw, model):
    """Whether one server's reply to a pop-key command agrees with its model
    (the set it must hold); returns (ok, new model)."""
    args = ctx["args"]
    if _is_error(raw):
        return False, model
    v = decode(raw)
    if name == b"SADD":
        return v == len(set(args) - model), model | set(args)
    if name == b"SREM":
        return v == len(set(args) & model), model - set(args)
    if name == b"SCARD":
        return v == len(model), model
    if name == b"SISMEMBER":
        return v == int(args[0] in model), model
    if name == b"SMISMEMBER":
        return v == [int(m in model) for m in args], model
    if name == b"SMEMBERS":
        return _distinct(v) and set(v) == model, model
    if name == b"SSCAN":
        return v[0] == b"0" and _distinct(v[1]) and set(v[1]) == model, model
    if name == b"SPOP" and not args:
        if not model:
            return v is None, model
        return v in model, model - {v}
    if name == b"SPOP":
        ok = len(v) == min(int(args[0]), len(model)) and _distinct(v) and set(v) <= model
        return ok, model - set(v)
    if name == b"SRANDMEMBER" and not args:
        return (v is None) if not model else v in model, model
    if name == b"SRANDMEMBER":
        count = int(args[0])
        want = -count if count < 0 else min(count, len(model))
        ok = len(v) == (want if model else 0) and set(v) <= model
        return ok and (count < 0 or _distinct(v)), model
    raise AssertionError("no model check for %r" % name)


def cmp_pop(name, a, b, ctx):
    st, key = ctx["state"], ctx["key"]
    models = st.model[key]
    if models is None:  # unknown after a FLUSHALL: same reply shape only
        return a[:1] == b[:1], "reply types differ"
    ok_b, new_b = _check_pop(name, ctx, b, models[1])
    if not ok_b:
        # Only something outside the pop episode (a FLUSHALL) can make the
        # reference disagree with its model: drop both until the next DEL.
        st.model[key] = None
        return a[:1] == b[:1], "reply types differ"
    ok_a, new_a = _check_pop(name, ctx, a, models[0])
    st.model[key] = [new_a, new_b]
    return ok_a, "polis's reply does not fit the members it holds (%d)" % len(models[0])


# ---- dispatch ------------------------------------------------------------------------


def _compare(name, loose):
    def compare(a, b):
        global _CTX
        ctx = _ctx()
        if ctx is not None and ctx["kind"] == "pop":
            return cmp_pop(name, a, b, ctx)
        if ctx is not None and ctx["kind"] == "state" and name == b"SSCAN":
            _CTX = None  # made for the one state-check scan (see STATE)
        return loose(a, b, ctx)
    return compare


def _exact(a, b, ctx):
    return a == b, "replies differ"


def _multiset(a, b, ctx):
    return cmp_multiset(a, b)


def _srandmember(a, b, ctx):
    return cmp_srandmember_shared(a, b, ctx.get("count") if ctx else None)


def _sscan(a, b, ctx):
    return cmp_sscan_shared(a, b, ctx)


COMPARE = {
    b"SMEMBERS": _compare(b"SMEMBERS", _multiset),
    b"SINTER": _compare(b"SINTER", _multiset),
    b"SUNION": _compare(b"SUNION", _multiset),
    b"SDIFF": _compare(b"SDIFF", _multiset),
    b"SPOP": _compare(b"SPOP", _multiset),
    b"SRANDMEMBER": _compare(b"SRANDMEMBER", _srandmember),
    b"SSCAN": _compare(b"SSCAN", _sscan),
    b"SADD": _compare(b"SADD", _exact),
    b"SREM": _compare(b"SREM", _exact),
    b"SCARD": _compare(b"SCARD", _exact),
    b"SISMEMBER": _compare(b"SISMEMBER", _exact),
    b"SMISMEMBER": _compare(b"SMISMEMBER", _exact),
}


def STATE(key, type_name):
    global _CTX
    if type_name != b"set":
        return []
    if key in POP_KEYS:
        _CTX = None
        return [[b"SCARD", key]]
    # A complete scan from 0 (see cmp_sscan_shared) for the state check.
    _CTX = None if _LAST_STREAM is None else dict(
        kind="state", stream=_LAST_STREAM, i=_LAST_STREAM.i, from_zero=True,
        count=SCAN_COMPLETE_COUNT)
    return [[b"SCARD", key], [b"SMEMBERS", key],
            [b"SSCAN", key, b"0", b"COUNT", b"%d" % SCAN_COMPLETE_COUNT]]
