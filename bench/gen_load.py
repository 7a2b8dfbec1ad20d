#!/usr/bin/python3
"""Writes a RESP stream for `redis-cli --pipe`.

    gen_load.py COUNT VALUE_BYTES [string|hash|set|zset|list] > load.resp

string (default): COUNT keys "key:%010d", each SET to VALUE_BYTES bytes ("v"
then the key number, padded). The other kinds build ONE value of COUNT
elements under the key "big", 1,000 elements per command:
    hash  HSET big f:%010d <value> ...
    set   SADD big m:%010d ...
    zset  ZADD big <i> m:%010d ...
    list  RPUSH big <value> ...
Written in large blocks so 1,000,000 elements take about a second.
"""

import sys


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def elements(kind, count, value_bytes):
    """The commands that build one `kind` value of count elements."""
    value_fmt = b"v%%0%dd" % (value_bytes - 1)
    per_command = 1000
    for start in range(0, count, per_command):
        args = []
        for i in range(start, min(count, start + per_command)):
            if kind == "hash":
                args += [b"f:%010d" % i, (value_fmt % i)[-value_bytes:]]
            elif kind == "set":
                args.append(b"m:%010d" % i)
            elif kind == "zset":
                args += [b"%d" % i, b"m:%010d" % i]
            else:
                args.append((value_fmt % i)[-value_bytes:])
        name = {"hash": b"HSET", "set": b"SADD", "zset": b"ZADD", "list": b"RPUSH"}[kind]
        words = [name, b"big"] + args
        yield b"*%d\r\n" % len(words) + b"".join(bulk(w) for w in words)


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: gen_load.py COUNT VALUE_BYTES [string|hash|set|zset|list]\n")
        return 2
    count = int(sys.argv[1])
    value_bytes = int(sys.argv[2])
    kind = sys.argv[3] if len(sys.argv) == 4 else "string"
    if kind not in ("string", "hash", "set", "zset", "list"):
        sys.stderr.write("gen_load.py: unknown kind %s\n" % kind)
        return 2
    if count < 0 or value_bytes < 1:
        sys.stderr.write("gen_load.py: COUNT must be >= 0 and VALUE_BYTES >= 1\n")
        return 2
    out = sys.stdout.buffer
    if kind != "string":
        block = []
        for cmd in elements(kind, count, value_bytes):
            block.append(cmd)
            if len(block) == 100:
                out.write(b"".join(block))
                block = []
        out.write(b"".join(block))
        out.flush()
        return 0
    head = b"*3\r\n$3\r\nSET\r\n$14\r\n"
    mid = b"\r\n$%d\r\n" % value_bytes
    value_fmt = b"v%%0%dd" % (value_bytes - 1)
    block = []
    for i in range(count):
        value = (value_fmt % i)[-value_bytes:]
        block.append(head + b"key:%010d" % i + mid + value + b"\r\n")
        if len(block) == 10000:
            out.write(b"".join(block))
            block = []
    out.write(b"".join(block))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
