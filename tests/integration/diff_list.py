"""The list commands' part of the differential stream (test_differential.py).

Every list command is generated with its options, edge cases and bad
arguments: empty and missing lists, negative and huge indexes and counts,
integers and strings that look like integers (they are stored as integers
in a listpack and must read back as the same bytes), elements of 64+ and
300 bytes (longer listpack headers), occasional long pushes (lists of many
quicklist nodes) and LTRIMs that cut them back, and keys that hold strings
(WRONGTYPE). List commands mostly use keys of their own (LIST_KEYS) so
lists live long enough to grow, and sometimes the keys the string commands
use, for WRONGTYPE in both directions and type changes (SET over a list).

COMPARE is empty: every list reply is fully determined by the state (no
random choices, no unordered collections), so all replies are compared
byte for byte.

Blocking commands. BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP are sent with
short timeouts (10-20 ms): with elements they are served at once, without
they time out on both servers with the same null reply (a null array, for
BLMOVE and BRPOPLPUSH too), at the cost of a few milliseconds each. Never
with a timeout of 0 (or below 1 ms, which truncates to 0): that would wait
forever. Some get a timeout that is always rejected (negative, not a
number, or out of range once multiplied by 1000), which checks which error
comes first (BLMOVE's directions, BLMPOP's numkeys/direction/COUNT are
checked before the timeout). They are not in ARITY_NAMES: junk arguments
could form a timeout of "0". Blocking until another client writes is
covered by test_list.py and test_blocking.py.
"""

# Keys only the list commands use (most of the time), so that lists live
# long enough to grow; the shared keys give WRONGTYPE and type changes.
LIST_KEYS = [b"list:%d" % i for i in range(6)] + [b"list with space", b"list\x00bin"]

SMALL = [b"a", b"b", b"c", b"1", b"2", b"-1", b"100", b"", b"x"]
ODD = [
    b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"12345678",
    b"-4096", b"4095", b"007", b"+1", b"-0", b"1.5", b" 1", b"\x00\xff", b"line\r\nbreak",
    b"z" * 63, b"z" * 64, b"w" * 300,
]
INDEXES = [
    b"0", b"1", b"2", b"3", b"-1", b"-2", b"-3", b"5", b"-5", b"10", b"-10", b"100", b"-100",
    b"9223372036854775807", b"-9223372036854775808", b"99999999999999999999", b"abc", b"",
    b"1.5", b" 1",
]
COUNTS = [
    b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"9223372036854775807", b"-1", b"abc", b"",
    b"1.5", b"-9223372036854775808",
]
# Timeouts short enough to wait on (never 0, see the file comment).
SHORT_TIMEOUTS = [b"0.01", b"0.02", b"0.015", b"1e-2"]
# Timeouts every blocking command rejects.
BAD_TIMEOUTS = [
    b"-1", b"-0.5", b"abc", b"", b"nan", b"inf", b"-inf", b"1e400", b"9223372036854775807",
    b" 1", b"1x", b"0x",
]
SIDES = [b"LEFT", b"RIGHT", b"left", b"Right"]
BAD_SIDES = [b"UP", b"", b"LEFTT"]


def key(s):
    return s.rng.choice(LIST_KEYS) if s.rng.random() < 0.65 else s.key()


def index(s):
    """Mostly a small index that may hit an element, sometimes anything."""
    if s.rng.random() < 0.85:
        return b"%d" % s.rng.randint(-12, 12)
    return s.rng.choice(INDEXES)


def element(s):
    roll = s.rng.random()
    if roll < 0.75:
        return s.rng.choice(SMALL)
    if roll < 0.93:
        return s.rng.choice(ODD)
    return s.value()


def elements(s, low, high):
    return [element(s) for _ in range(s.rng.randint(low, high))]


def side(s):
    return s.rng.choice(SIDES) if s.rng.random() < 0.95 else s.rng.choice(BAD_SIDES)


def c_push(s):
    name = s.rng.choice([b"LPUSH", b"RPUSH", b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX"])
    return [name, key(s)] + elements(s, 1, 5)


def c_push_many(s):
    """Long pushes make lists of many quicklist nodes."""
    name = s.rng.choice([b"LPUSH", b"RPUSH"])
    n = s.rng.randint(50, 400)
    return [name, key(s)] + [b"e%d" % s.rng.randint(0, 20) for _ in range(n)]


def c_pop(s):
    cmd = [s.rng.choice([b"LPOP", b"RPOP"]), key(s)]
    roll = s.rng.random()
    if roll < 0.5:
        cmd.append(s.rng.choice(COUNTS) if s.rng.random() < 0.3 else b"%d" % s.rng.randint(0, 4))
    if roll < 0.03:
        cmd.append(b"1")  # too many arguments
    return cmd


def c_llen(s):
    return [b"LLEN", key(s)]


def c_lrange(s):
    return [b"LRANGE", key(s), index(s), index(s)]


def c_lindex(s):
    return [b"LINDEX", key(s), index(s)]


def c_lset(s):
    return [b"LSET", key(s), index(s), element(s)]


def c_linsert(s):
    where = s.rng.choice([b"BEFORE", b"AFTER", b"before", b"after", b"MIDDLE"])
    return [b"LINSERT", key(s), where, element(s), element(s)]


def c_lrem(s):
    count = s.rng.choice([b"0", b"1", b"2", b"-1", b"-2", b"5", b"-9223372036854775808",
                          b"abc", b""])
    return [b"LREM", key(s), count, element(s)]


def c_ltrim(s):
    roll = s.rng.random()
    if roll < 0.5:
        # Keep lists from growing without bound.
        return [b"LTRIM", key(s), s.rng.choice([b"0", b"1", b"-20", b"5"]),
                s.rng.choice([b"20", b"-2", b"50", b"-1"])]
    return [b"LTRIM", key(s), index(s), index(s)]


def c_lpos(s):
    cmd = [b"LPOS", key(s), element(s)]
    for _ in range(s.rng.choice([0, 0, 1, 1, 2, 3])):
        kind = s.rng.choice(["RANK", "RANK", "COUNT", "COUNT", "MAXLEN", "BAD"])
        if kind == "RANK":
            cmd += [s.rng.choice([b"RANK", b"rank"]),
                    s.rng.choice([b"1", b"2", b"3", b"-1", b"-2", b"-3", b"1", b"-1", b"10",
                                  b"0", b"abc", b"-9223372036854775808",
                                  b"9223372036854775807"])]
        elif kind == "COUNT":
            cmd += [b"COUNT", s.rng.choice([b"0", b"1", b"2", b"5", b"0", b"1", b"-1", b"abc"])]
        elif kind == "MAXLEN":
            cmd += [b"MAXLEN", s.rng.choice([b"0", b"1", b"2", b"4", b"10", b"-1", b"abc"])]
        else:
            cmd += s.rng.choice([[b"FIRST", b"1"], [b"RANK"], [b"COUNT"], [b"FOO"]])
    return cmd


def c_move(s):
    roll = s.rng.random()
    src, dst = key(s), key(s)
    if roll < 0.2:
        dst = src  # rotation
    if s.rng.random() < 0.3:
        return [b"RPOPLPUSH", src, dst]
    return [b"LMOVE", src, dst, side(s), side(s)]


def mpop_tail(s):
    """numkeys key... direction [COUNT n], sometimes malformed."""
    n = s.rng.randint(1, 3)
    keys = [key(s) for _ in range(n)]
    roll = s.rng.random()
    numkeys = b"%d" % n
    if roll < 0.08:
        numkeys = s.rng.choice([b"0", b"-1", b"abc", b"", b"%d" % (n + 1),
                                b"9223372036854775807"])
    tail = [numkeys] + keys + [side(s)]
    roll = s.rng.random()
    if roll < 0.4:
        tail += [b"COUNT", s.rng.choice([b"1", b"2", b"5", b"100", b"0", b"-1", b"abc"])]
    elif roll < 0.45:
        tail += s.rng.choice([[b"COUNT"], [b"FOO"], [b"COUNT", b"1", b"COUNT", b"2"]])
    return tail


def c_lmpop(s):
    return [b"LMPOP"] + mpop_tail(s)


def c_blocking(s):
    """Blocking commands with a short or an always rejected timeout."""
    if s.rng.random() < 0.65:
        timeout = s.rng.choice(SHORT_TIMEOUTS)
    else:
        timeout = s.rng.choice(BAD_TIMEOUTS)
    kind = s.rng.choice(["BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP"])
    if kind in ("BLPOP", "BRPOP"):
        return [kind.encode()] + [key(s) for _ in range(s.rng.randint(1, 3))] + [timeout]
    if kind == "BRPOPLPUSH":
        return [b"BRPOPLPUSH", key(s), key(s), timeout]
    if kind == "BLMOVE":
        return [b"BLMOVE", key(s), key(s), side(s), side(s), timeout]
    return [b"BLMPOP", timeout] + mpop_tail(s)


COMMANDS = [
    (12, c_push), (0.4, c_push_many), (6, c_pop), (2, c_llen), (5, c_lrange), (3, c_lindex),
    (3, c_lset), (3, c_linsert), (3, c_lrem), (2, c_ltrim), (4, c_lpos), (4, c_move),
    (3, c_lmpop), (2, c_blocking),
]

COMPARE = {}


def STATE(key, type_name):
    if type_name != b"list":
        return []
    return [[b"LRANGE", key, b"0", b"-1"], [b"LLEN", key], [b"LINDEX", key, b"-1"]]


# No blocking command here (see the file comment).
ARITY_NAMES = [
    b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX", b"LPOP", b"RPOP", b"LLEN", b"LRANGE", b"LINDEX",
    b"LSET", b"LINSERT", b"LREM", b"LTRIM", b"LPOS", b"LMOVE", b"RPOPLPUSH", b"LMPOP",
]
