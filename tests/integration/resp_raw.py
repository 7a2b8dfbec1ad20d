"""Raw-socket RESP helpers shared by the integration tests.

These talk bytes, not Python values, so tests can check replies byte for
byte (error texts, RESP3 type markers) and send malformed input that a client
library would refuse to produce.

Every socket has a timeout and every read loop is bounded by a deadline, so a
server that stops answering fails the test instead of hanging it.
"""

import socket
import time

DEFAULT_TIMEOUT_S = 10.0

# Reply types whose payload is one line.
_LINE_TYPES = b"+-:_#,("
# Reply types whose payload is <len>\r\n<bytes>\r\n.
_BLOB_TYPES = b"$!="
# Aggregates: <count>\r\n followed by count (or 2 * count) replies.
_AGG_TYPES = b"*~>"
_PAIR_TYPES = b"%|"


class ConnectionClosed(Exception):
    """The peer closed (FIN or RST) before a whole reply arrived."""

    def __init__(self, partial=b""):
        super().__init__("connection closed by server; partial data %r" % partial[:200])
        self.partial = partial


def encode_command(*args):
    """Encodes a command as a RESP multibulk request. Arguments may be bytes,
    str or int."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n" % len(a))
        out.append(a)
        out.append(b"\r\n")
    return b"".join(out)


def reply_end(buf, pos=0):
    """Returns the offset just past the one whole reply starting at `pos` in
    `buf`, or None if the reply is incomplete. Raises ValueError on bytes that
    are not RESP. Iterative, so deep nesting cannot overflow the stack."""
    pending = 1  # replies still to consume at the current point
    n = len(buf)
    while pending > 0:
        if pos >= n:
            return None
        t = buf[pos : pos + 1]
        nl = buf.find(b"\r\n", pos)
        if nl < 0:
            return None
        line = buf[pos + 1 : nl]
        pos = nl + 2
        pending -= 1
        if t in (b"+", b"-", b":", b"_", b"#", b",", b"("):
            continue
        if t in (b"$", b"!", b"="):
            length = int(line)
            if length < 0:
                continue
            if n < pos + length + 2:
                return None
            pos += length + 2
            continue
        if t in (b"*", b"~", b">"):
            count = int(line)
            if count > 0:
                pending += count
            continue
        if t in (b"%", b"|"):
            count = int(line)
            if count > 0:
                pending += 2 * count
            if t == b"|":
                pending += 1  # an attribute prefixes the reply it annotates
            continue
        raise ValueError("not a RESP type byte %r at %d in %r" % (t, pos, buf[:200]))
    return pos


def decode(raw):
    """Decodes one raw reply into Python values: simple strings and bulk
    strings become bytes, errors become RespError, integers int, nulls None,
    arrays/sets/pushes lists, maps dicts (keys as decoded), doubles float,
    booleans bool, verbatim strings bytes without their 'txt:' prefix."""
    value, end = _decode_at(raw, 0)
    if end != len(raw):
        raise ValueError("trailing bytes after reply: %r" % raw[end:][:100])
    return value


class RespError(object):
    """An error reply, kept distinct from a bulk string with the same text."""

    def __init__(self, text):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, RespError) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return "RespError(%r)" % self.text


def _decode_at(buf, pos):
    t = buf[pos : pos + 1]
    nl = buf.index(b"\r\n", pos)
    line = buf[pos + 1 : nl]
    pos = nl + 2
    if t == b"+":
        return line, pos
    if t == b"-":
        return RespError(line), pos
    if t == b":" or t == b"(":
        return int(line), pos
    if t == b"_":
        return None, pos
    if t == b"#":
        return line == b"t", pos
    if t == b",":
        return float(line), pos
    if t in (b"$", b"!", b"="):
        length = int(line)
        if length < 0:
            return None, pos
        data = buf[pos : pos + length]
        if t == b"=":
            data = data[4:]
        if t == b"!":
            data = RespError(data)
        return data, pos + length + 2
    if t in (b"*", b"~", b">"):
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            v, pos = _decode_at(buf, pos)
            items.append(v)
        return items, pos
    if t == b"%":
        d = {}
        for _ in range(int(line)):
            k, pos = _decode_at(buf, pos)
            v, pos = _decode_at(buf, pos)
            d[k] = v
        return d, pos
    if t == b"|":
        for _ in range(2 * int(line)):
            _, pos = _decode_at(buf, pos)
        return _decode_at(buf, pos)
    raise ValueError("not a RESP type byte %r" % t)


class RawClient(object):
    """One TCP connection speaking raw RESP. Reads are buffered so that replies
    arriving together are split correctly."""

    def __init__(self, port, host="127.0.0.1", timeout_s=DEFAULT_TIMEOUT_S):
        self.timeout_s = timeout_s
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.settimeout(timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed_by_peer = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_command(self, *args):
        self.sock.sendall(encode_command(*args))

    def _fill(self, deadline):
        """Receives more bytes into the buffer. Raises ConnectionClosed on EOF
        or reset and socket.timeout at the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("no complete reply within the deadline; have %r"
                                 % bytes(self.buf[:200]))
        self.sock.settimeout(min(remaining, self.timeout_s))
        try:
            data = self.sock.recv(1 << 20)
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed_by_peer = True
            raise ConnectionClosed(bytes(self.buf))
        self.buf += data

    def read_reply(self, timeout_s=None):
        """Returns the raw bytes of exactly one reply."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            end = reply_end(self.buf, 0) if self.buf else None
            if end is not None:
                out = bytes(self.buf[:end])
                del self.buf[:end]
                return out
            self._fill(deadline)

    def read_replies(self, count, timeout_s=None):
        """Returns a list of `count` raw replies (pipelined responses)."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        out = []
        pos = 0
        while len(out) < count:
            end = reply_end(self.buf, pos) if pos < len(self.buf) else None
            if end is None:
                del self.buf[:pos]
                pos = 0
                self._fill(deadline)
                continue
            out.append(bytes(self.buf[pos:end]))
            pos = end
        del self.buf[:pos]
        return out

    def call(self, *args, timeout_s=None):
        """Sends one command and returns its raw reply."""
        self.send_command(*args)
        return self.read_reply(timeout_s)

    def value(self, *args):
        """Sends one command and returns its decoded reply."""
        return decode(self.call(*args))

    def read_until_closed(self, timeout_s=5.0):
        """Reads until the server closes the connection (EOF or reset) and
        returns every byte received (including any not yet consumed). Raises
        socket.timeout if the connection is still open at the deadline."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._fill(deadline)
            except ConnectionClosed:
                out = bytes(self.buf)
                self.buf.clear()
                return out

    def is_closed(self, timeout_s=5.0):
        """True if the server closes the connection within the timeout
        (discarding anything it sent first)."""
        try:
            self.read_until_closed(timeout_s)
            return True
        except socket.timeout:
            return False
