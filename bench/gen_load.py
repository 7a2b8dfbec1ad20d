#!/usr/bin/python3
"""Writes a RESP stream of SET commands for `redis-cli --pipe`.

    gen_load.py COUNT VALUE_BYTES > load.resp

Key i is "key:%010d", its value is VALUE_BYTES bytes ("v" then the key
number, padded). Written in large blocks so 1,000,000 commands take about a
second.
"""

import sys


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: gen_load.py COUNT VALUE_BYTES\n")
        return 2
    count = int(sys.argv[1])
    value_bytes = int(sys.argv[2])
    if count < 0 or value_bytes < 1:
        sys.stderr.write("gen_load.py: COUNT must be >= 0 and VALUE_BYTES >= 1\n")
        return 2
    out = sys.stdout.buffer
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
