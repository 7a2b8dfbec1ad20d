"""The hash commands' part of the differential test (test_differential.py).

COMMANDS generate every hash command with its options and edge cases on
the stream's 20 keys, shared with the string commands (so WRONGTYPE comes
up often), and on four keys of their own (HASH_KEYS) where hashes live
longer and grow; fields come from a small pool so that they collide (empty, binary,
integer-looking, 64 and 65 bytes long), values include the stream's own
(44, 45 and 300 bytes: the 64-byte listpack limit), counts include huge and
negative ones, and an occasional HSET of hundreds of pairs pushes a hash past
the 512-field listpack limit. Arity and syntax errors come from the shared
junk generator (ARITY_NAMES) and, for HRANDFIELD and HSCAN, from their own
generators (see below).

Comparisons (COMPARE) are loosened only where Redis leaves the reply
unspecified, and say how:

  HGETALL HKEYS HVALS
      A hashtable's order is its bucket order, which depends on Redis's
      per-process random hash seed: compared as multisets (HGETALL as a map).
      A listpack's order is insertion order and is part of the contents; it
      is checked exactly by test_hash.py and the unit tests, against Redis.
      Errors compare exactly.
  HRANDFIELD
      Random picks: compared by properties. Same reply type and length (the
      count rules); with a non-negative count, fields distinct; a field seen
      in both replies with a value has the same value in both; when the count
      reaches the hash's size both replies are the whole hash (same map).
      RESP3 nesting must match. Errors compare exactly.
  HSCAN
      A hashtable's cursor walks its own bucket order: compared by
      properties. Both [cursor, pairs]; fields distinct within a reply; a
      field in both replies has the same value; a scan from cursor 0 that
      ends (cursor 0) on both returns the same map, and one that ends on one
      side only contains the other's fields. Errors compare exactly.

HRANDFIELD and HSCAN comparisons need the command (count, WITHVALUES, start
cursor): the generators record the command they made in _LAST, and the
comparison reads it. That is sound because test_differential sends each
command right after generating it, and these two commands are generated
nowhere else: they are not in ARITY_NAMES and STATE does not use them.

STATE compares each hash key's whole value: HLEN, HGETALL (as a map), HKEYS
and HVALS (as multisets), and HMGET/HSTRLEN over the whole field pool
(exact; the core check already compares OBJECT ENCODING exactly).
"""

from resp_raw import decode

FIELDS = [
    b"f0", b"f1", b"f2", b"f3", b"f4", b"f5", b"f6", b"f7", b"", b"0", b"1", b"-1", b"42",
    b"007", b"1.5", b"a b", b"\x00\xff", b"x" * 64, b"y" * 65, b"field\r\nnl",
    b"9223372036854775807", b"-9223372036854775808", b"99999999999999999999",
]
NUM_FIELDS = [b"n0", b"n1", b"n2"]
HASH_VALUES = [b"0", b"1", b"-5", b"100", b"3.5", b"-0.25", b"1e3", b"abc", b"z" * 64, b"z" * 65,
               b"9223372036854775807", b"-9223372036854775808", b" 1", b"inf"]
INCR_ARGS = [
    b"0", b"1", b"-1", b"7", b"-7", b"1000", b"9223372036854775807", b"-9223372036854775808",
    b"9223372036854775808", b"abc", b"", b"1.5", b" 5", b"+5", b"007",
]
FLOAT_ARGS = [
    b"0", b"1", b"-1", b"0.1", b"1.5", b"-2.25", b"1e3", b"5.0e-3", b"1e308", b"-1e308", b"1e400",
    b"inf", b"-inf", b"nan", b"abc", b"", b" 1", b"0x10", b"1e", b".5", b"-0",
]
RAND_COUNTS = [
    b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"600", b"-1", b"-2", b"-5", b"-30", b"-600",
    b"9223372036854775807", b"4611686018427387903", b"4611686018427387904",
    b"-9223372036854775808", b"abc", b"1.5", b"",
]
# Huge negative counts are sent only with WITHVALUES, where both servers
# refuse them: without it Redis would really try to reply with 2^62 fields.
RAND_HUGE_NEGATIVE = [b"-9223372036854775807", b"-4611686018427387904", b"-4611686018427387905"]
SCAN_PATTERNS = [b"*", b"f*", b"f?", b"[fn]*", b"*1*", b"", b"nomatch", b"\\**", b"x*", b"[", b"?"]
SCAN_COUNTS = [b"1", b"2", b"5", b"10", b"100", b"100000", b"9223372036854775807", b"0", b"-1",
               b"abc"]

# The last HRANDFIELD / HSCAN generated (see the module comment).
_LAST = {}

# Keys mostly left to the hash commands (the string commands overwrite the
# shared ones often, so most hash commands there answer WRONGTYPE).
HASH_KEYS = [b"hash:a", b"hash:b", b"hash:c", b"hash \x00bin"]

# ---- generators ---------------------------------------------------------------------


def hkey(s):
    return s.rng.choice(HASH_KEYS) if s.rng.random() < 0.6 else s.key()


def field(s):
    if s.rng.random() < 0.05:
        return bytes(s.rng.getrandbits(8) for _ in range(s.rng.randint(0, 8)))
    return s.rng.choice(FIELDS)


def fields(s, lo=1, hi=4):
    return [field(s) for _ in range(s.rng.randint(lo, hi))]


def hvalue(s):
    return s.value() if s.rng.random() < 0.5 else s.rng.choice(HASH_VALUES)


def c_hset(s):
    args = []
    for f in fields(s):
        args += [f, hvalue(s)]
    if s.rng.random() < 0.05:
        args.append(field(s))  # odd: an arity error
    return [s.rng.choice([b"HSET", b"HSET", b"HSET", b"HMSET"]), hkey(s)] + args


def c_hset_many(s):
    """Many pairs at once: some hashes grow past 512 fields (hashtable)."""
    n = s.rng.choice([20, 100, 300, 520])
    args = []
    for _ in range(n):
        args += [b"m%d" % s.rng.randrange(700), b"%d" % s.rng.randrange(1000)]
    return [b"HSET", hkey(s)] + args


def c_hsetnx(s):
    return [b"HSETNX", hkey(s), field(s), hvalue(s)]


def c_hget(s):
    return [b"HGET", hkey(s), field(s)]


def c_hmget(s):
    return [b"HMGET", hkey(s)] + fields(s, 1, 5)


def c_hdel(s):
    return [b"HDEL", hkey(s)] + fields(s, 1, 4)


def c_hexists(s):
    return [b"HEXISTS", hkey(s), field(s)]


def c_hlen(s):
    return [b"HLEN", hkey(s)]


def c_hstrlen(s):
    return [b"HSTRLEN", hkey(s), field(s)]


def c_hgetall(s):
    return [s.rng.choice([b"HGETALL", b"HKEYS", b"HVALS"]), hkey(s)]


def c_hincrby(s):
    f = s.rng.choice(NUM_FIELDS) if s.rng.random() < 0.7 else field(s)
    return [b"HINCRBY", hkey(s), f, s.rng.choice(INCR_ARGS)]


def c_hincrbyfloat(s):
    f = s.rng.choice(NUM_FIELDS) if s.rng.random() < 0.7 else field(s)
    return [b"HINCRBYFLOAT", hkey(s), f, s.rng.choice(FLOAT_ARGS)]


def c_hrandfield(s):
    roll = s.rng.random()
    cmd = [b"HRANDFIELD", hkey(s)]
    if roll < 0.2:
        pass
    elif roll < 0.92:
        cmd.append(s.rng.choice(RAND_COUNTS))
        if s.rng.random() < 0.5:
            cmd.append(s.rng.choice([b"WITHVALUES", b"withvalues", b"WITHVALUES", b"VALUES"]))
    elif roll < 0.95:
        cmd += [s.rng.choice(RAND_HUGE_NEGATIVE), b"WITHVALUES"]
    else:
        cmd = [b"HRANDFIELD"] + [s.rng.choice([b"1", b"WITHVALUES", b"x"])
                                 for _ in range(s.rng.choice([0, 3, 4]))]
    _LAST[b"HRANDFIELD"] = cmd
    return cmd


def c_hscan(s):
    if s.rng.random() < 0.05:
        cmd = [b"HSCAN"] + [hkey(s)] * s.rng.choice([0, 1])  # arity errors
        _LAST[b"HSCAN"] = cmd
        return cmd
    cursor = b"0" if s.rng.random() < 0.8 else s.rng.choice(
        [b"1", b"7", b"abc", b"", b"-1", b" 1", b"18446744073709551616"])
    cmd = [b"HSCAN", hkey(s), cursor]
    for _ in range(s.rng.choice([0, 0, 1, 1, 2, 3])):
        kind = s.rng.random()
        if kind < 0.45:
            cmd += [b"MATCH", s.rng.choice(SCAN_PATTERNS)]
        elif kind < 0.9:
            cmd += [b"COUNT", s.rng.choice(SCAN_COUNTS)]
        else:
            cmd.append(s.rng.choice([b"MATCH", b"COUNT", b"TYPE", b"NOVALUES"]))
    _LAST[b"HSCAN"] = cmd
    return cmd


def c_del_hash_key(s):
    """Hashes on HASH_KEYS start over now and then (listpacks again)."""
    return [b"DEL", s.rng.choice(HASH_KEYS)]


COMMANDS = [
    (0.6, c_del_hash_key), (8, c_hset), (0.4, c_hset_many), (2, c_hsetnx), (4, c_hget),
    (2, c_hmget), (4, c_hdel), (1, c_hexists), (1, c_hlen), (1, c_hstrlen), (3, c_hgetall),
    (3, c_hincrby), (3, c_hincrbyfloat), (3, c_hrandfield), (3, c_hscan),
]

ARITY_NAMES = [b"HSET", b"HSETNX", b"HGET", b"HMGET", b"HMSET", b"HDEL", b"HEXISTS", b"HLEN",
               b"HSTRLEN", b"HKEYS", b"HVALS", b"HGETALL", b"HINCRBY", b"HINCRBYFLOAT"]

# ---- comparisons ----------------------------------------------------------------------


def _is_error(raw):
    return raw.startswith(b"-")


def _pairs(flat):
    return list(zip(flat[0::2], flat[1::2]))


def _as_map(reply):
    """HGETALL: a list of alternating fields and values (RESP2) or a dict."""
    return reply if isinstance(reply, dict) else dict(_pairs(reply))


def cmp_hgetall(a, b):
    if a == b:
        return True, ""
    if _is_error(a) or _is_error(b) or a[:1] != b[:1]:
        return False, "replies differ"
    ma, mb = _as_map(decode(a)), _as_map(decode(b))
    return ma == mb, "HGETALL maps differ (compared unordered: hashtable order)"


def cmp_multiset(a, b):
    if a == b:
        return True, ""
    if _is_error(a) or _is_error(b) or a[:1] != b[:1]:
        return False, "replies differ"
    return sorted(decode(a)) == sorted(decode(b)), \
        "element multisets differ (compared unordered: hashtable order)"


def _parse_count(cmd):
    """(count, withvalues) of a well-formed HRANDFIELD with a count."""
    return int(cmd[2]), len(cmd) == 4


def _rand_picks(reply, withvalues):
    """[(field, value or None)] from a decoded HRANDFIELD reply (RESP3 nests
    the pairs), or None if it is not shaped as the command asks."""
    if not withvalues:
        return [(f, None) for f in reply] if all(isinstance(f, bytes) for f in reply) else None
    if reply and isinstance(reply[0], list):
        if not all(isinstance(p, list) and len(p) == 2 for p in reply):
            return None
        return [tuple(p) for p in reply]
    return _pairs(reply) if len(reply) % 2 == 0 else None


def cmp_hrandfield(a, b):
    if a == b:
        return True, ""
    if _is_error(a) or _is_error(b) or a[:1] != b[:1]:
        return False, "replies differ"
    cmd = _LAST.get(b"HRANDFIELD")
    ra, rb = decode(a), decode(b)
    if cmd is None or len(cmd) < 3:
        # No count: one random field (a bulk) on both, or null on both.
        return (isinstance(ra, bytes) and isinstance(rb, bytes),
                "HRANDFIELD single picks differ in kind")
    count, withvalues = _parse_count(cmd)
    if not (isinstance(ra, list) and isinstance(rb, list)):
        return False, "HRANDFIELD replies differ in kind"
    if len(ra) != len(rb):
        return False, "HRANDFIELD reply lengths differ"
    nested_a = bool(ra) and isinstance(ra[0], list)
    nested_b = bool(rb) and isinstance(rb[0], list)
    if nested_a != nested_b:
        return False, "HRANDFIELD reply shapes differ (RESP3 nesting)"
    pa, pb = _rand_picks(ra, withvalues), _rand_picks(rb, withvalues)
    if pa is None or pb is None:
        return False, "HRANDFIELD reply is not shaped as the command asks"
    if count >= 0:
        for picks in (pa, pb):
            if len({f for f, _ in picks}) != len(picks):
                return False, "HRANDFIELD with a positive count repeated a field"
        if len(pa) < count:  # the whole hash on both sides
            return dict(pa) == dict(pb), "HRANDFIELD whole-hash replies differ"
    if withvalues:
        va, vb = dict(pa), dict(pb)
        for f in va.keys() & vb.keys():
            if va[f] != vb[f]:
                return False, "HRANDFIELD gave field %r different values" % (f,)
    return True, ""


def cmp_hscan(a, b):
    if a == b:
        return True, ""
    if _is_error(a) or _is_error(b) or a[:1] != b[:1]:
        return False, "replies differ"
    cmd = _LAST.get(b"HSCAN")
    (ca, ia), (cb, ib) = decode(a), decode(b)
    if len(ia) % 2 or len(ib) % 2:
        return False, "HSCAN returned an odd number of elements"
    pa, pb = _pairs(ia), _pairs(ib)
    da, db = dict(pa), dict(pb)
    if len(da) != len(pa) or len(db) != len(pb):
        return False, "HSCAN repeated a field within one reply"
    for f in da.keys() & db.keys():
        if da[f] != db[f]:
            return False, "HSCAN gave field %r different values" % (f,)
    if cmd is not None and len(cmd) >= 3 and cmd[2] == b"0":
        if ca == cb == b"0":
            return da == db, "HSCAN full scans differ"
        if ca == b"0" and not set(db) <= set(da):
            return False, "HSCAN: the reference saw fields a full polis scan did not"
        if cb == b"0" and not set(da) <= set(db):
            return False, "HSCAN: polis saw fields a full reference scan did not"
    return True, ""


COMPARE = {
    b"HGETALL": cmp_hgetall,
    b"HKEYS": cmp_multiset,
    b"HVALS": cmp_multiset,
    b"HRANDFIELD": cmp_hrandfield,
    b"HSCAN": cmp_hscan,
}

# ---- state check ----------------------------------------------------------------------


def STATE(key, type_name):
    if type_name != b"hash":
        return []
    pool = FIELDS + NUM_FIELDS
    return ([[b"HLEN", key], [b"HGETALL", key], [b"HKEYS", key], [b"HVALS", key],
             [b"HMGET", key] + pool] + [[b"HSTRLEN", key, f] for f in pool[:8]])


assert not set(ARITY_NAMES) & {b"HRANDFIELD", b"HSCAN"}
