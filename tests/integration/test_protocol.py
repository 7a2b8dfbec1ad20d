"""The wire protocol: pipelining, big values, many connections, inline
commands, RESP3, malformed input and requests split at every byte.

Malformed input must get Redis's exact "-ERR Protocol error: ..." reply and
the offending connection closed, while other clients keep being served."""

import os
import threading
import time

import pytest

from resp_raw import RawClient, decode, encode_command


def assert_server_healthy(server, observer=None):
    """A client connected the whole time and a fresh one both get correct
    replies, and the process is still running."""
    assert server.alive(), server.log_tail()
    clients = [server.raw()] + ([observer] if observer is not None else [])
    for i, cl in enumerate(clients):
        key = "health:%d:%d" % (i, time.monotonic_ns())
        assert cl.call("SET", key, "ok") == b"+OK\r\n"
        assert cl.call("GET", key) == b"$2\r\nok\r\n"
        assert cl.call("PING") == b"+PONG\r\n"


# ---- pipelining ---------------------------------------------------------------------


def test_pipeline_10000_commands(server):
    c = server.raw(timeout_s=60.0)
    commands = []
    expected = []
    counter = 0
    for i in range(10000):
        kind = i % 4
        if kind == 0:
            commands.append(encode_command("SET", "key:%d" % i, "value:%d" % i))
            expected.append(b"+OK\r\n")
        elif kind == 1:
            counter += 1
            commands.append(encode_command("INCR", "counter"))
            expected.append(b":%d\r\n" % counter)
        elif kind == 2:
            v = b"value:%d" % (i - 2)
            commands.append(encode_command("GET", "key:%d" % (i - 2)))
            expected.append(b"$%d\r\n%s\r\n" % (len(v), v))
        else:
            commands.append(b"PING\r\n" if i % 8 == 3 else encode_command("ECHO", "e%d" % i))
            expected.append(b"+PONG\r\n" if i % 8 == 3 else b"$%d\r\ne%d\r\n" % (len(str(i)) + 1, i))
    payload = b"".join(commands)

    # Send from another thread so that a server that stops reading while its
    # output is unread cannot deadlock the test.
    errors = []

    def sender():
        try:
            c.send(payload)
        except OSError as e:
            errors.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    replies = c.read_replies(len(expected), timeout_s=60.0)
    t.join(timeout=30.0)
    assert not errors
    for i, (got, want) in enumerate(zip(replies, expected)):
        assert got == want, "reply %d" % i
    assert c.call("GET", "counter") == b"$4\r\n2500\r\n"


def test_pipeline_with_errors_in_between(server):
    c = server.raw()
    c.send(encode_command("SET", "a", "1") + encode_command("NOSUCH") +
           encode_command("GET") + encode_command("INCR", "a") + encode_command("SET", "b", "x") +
           encode_command("INCR", "b") + encode_command("GET", "a"))
    assert c.read_replies(7) == [
        b"+OK\r\n",
        b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
        b"-ERR wrong number of arguments for 'get' command\r\n",
        b":2\r\n",
        b"+OK\r\n",
        b"-ERR value is not an integer or out of range\r\n",
        b"$1\r\n2\r\n",
    ]


def test_empty_and_negative_multibulk_are_ignored(server):
    """As in Redis, "*0" and a negative multibulk count are empty requests:
    no reply, the connection stays open."""
    c = server.raw()
    c.send(b"*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n")
    assert c.read_reply() == b"+PONG\r\n"
    assert c.call("ECHO", "still") == b"$5\r\nstill\r\n"


def test_many_arguments(server):
    c = server.raw()
    args = []
    for i in range(5000):
        args += ["mk:%d" % i, "v%d" % i]
    assert c.call("MSET", *args) == b"+OK\r\n"
    got = decode(c.call("MGET", *["mk:%d" % i for i in range(5000)]))
    assert got == [b"v%d" % i for i in range(5000)]


# ---- big values -----------------------------------------------------------------------


def test_100mb_value(server):
    size = 100 * 1024 * 1024
    value = os.urandom(1 << 20) * 100
    assert len(value) == size
    c = server.raw(timeout_s=120.0)
    c.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % size)
    c.send(value)
    c.send(b"\r\n")
    assert c.read_reply(timeout_s=120.0) == b"+OK\r\n"
    assert c.call("STRLEN", "big") == b":%d\r\n" % size
    reply = c.call("GET", "big", timeout_s=120.0)
    header = b"$%d\r\n" % size
    assert reply[:len(header)] == header
    assert len(reply) == len(header) + size + 2
    assert reply[len(header):-2] == value
    assert reply[-2:] == b"\r\n"
    assert c.call("GETRANGE", "big", str(size - 5), "-1") == b"$5\r\n%s\r\n" % value[-5:]
    assert c.call("DEL", "big") == b":1\r\n"


# ---- many connections ---------------------------------------------------------------


def test_1000_concurrent_connections(server):
    clients = []
    try:
        for i in range(1000):
            clients.append(RawClient(server.port, timeout_s=30.0))
        for i, cl in enumerate(clients):
            cl.send_command("SET", "conn:%d" % i, "value-%d" % i)
        for cl in clients:
            assert cl.read_reply() == b"+OK\r\n"
        for i, cl in enumerate(clients):
            cl.send_command("GET", "conn:%d" % i)
        for i, cl in enumerate(clients):
            v = b"value-%d" % i
            assert cl.read_reply() == b"$%d\r\n%s\r\n" % (len(v), v)
        text = clients[0].value("INFO", "clients").decode()
        connected = int(text.split("connected_clients:")[1].split("\r\n")[0])
        assert connected >= 1000
        assert clients[-1].call("DBSIZE") == b":1000\r\n"
    finally:
        for cl in clients:
            cl.close()
    assert_server_healthy(server)


def test_concurrent_clients_threads(server):
    """50 threads each doing 200 INCRs on a shared counter: none is lost."""
    errors = []

    def worker(n):
        try:
            with RawClient(server.port, timeout_s=30.0) as cl:
                for j in range(200):
                    reply = cl.call("INCR", "shared")
                    assert reply.startswith(b":"), reply
                    cl.call("SET", "t:%d" % n, str(j))
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60.0)
    assert not errors, errors[:3]
    assert server.raw().call("GET", "shared") == b"$5\r\n10000\r\n"


# ---- inline commands ----------------------------------------------------------------


def test_inline_commands(server):
    c = server.raw()
    c.send(b"SET k \"hello world\"\r\n")
    assert c.read_reply() == b"+OK\r\n"
    c.send(b"GET k\r\n")
    assert c.read_reply() == b"$11\r\nhello world\r\n"
    c.send(b"PING\n")  # a bare LF ends an inline command too
    assert c.read_reply() == b"+PONG\r\n"
    c.send(b"   ECHO    spaced    \r\n")
    assert c.read_reply() == b"$6\r\nspaced\r\n"
    c.send(b"ECHO 'single \\'quoted\\' \"x\"'\r\n")
    assert c.read_reply() == b"$19\r\nsingle 'quoted' \"x\"\r\n"
    c.send(b"ECHO \"esc\\x41\\n\\t\\\\\\\"\"\r\n")
    assert c.read_reply() == b"$8\r\nescA\n\t\\\"\r\n"
    c.send(b"ECHO \"\"\r\n")
    assert c.read_reply() == b"$0\r\n\r\n"
    c.send(b"\r\n\r\n\n")  # empty lines are ignored
    c.send(b"set lower case\r\nget lower\r\n")
    assert c.read_replies(2) == [b"+OK\r\n", b"$4\r\ncase\r\n"]
    c.send(b"GET\r\n")
    assert c.read_reply() == b"-ERR wrong number of arguments for 'get' command\r\n"
    c.send(b"NOSUCH a b\r\n")
    assert c.read_reply() == b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n"
    # Inline and multibulk mix freely on one connection.
    c.send(b"INCR n\r\n" + encode_command("INCR", "n") + b"INCR n\n")
    assert c.read_replies(3) == [b":1\r\n", b":2\r\n", b":3\r\n"]


@pytest.mark.parametrize("line", [
    b"SET k \"unterminated\r\n",
    b"SET k 'unterminated\r\n",
    b"SET k \"closed\"glued\r\n",
    b"ECHO 'a'b\r\n",
])
def test_inline_unbalanced_quotes(server, line):
    observer = server.raw()
    assert observer.call("PING") == b"+PONG\r\n"
    c = server.raw()
    c.send(line)
    assert c.read_until_closed() == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    assert_server_healthy(server, observer)


# ---- RESP3 ----------------------------------------------------------------------------


def test_resp3_raw(server):
    c = server.raw()
    c.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
    hello = c.read_reply()
    assert hello.startswith(b"%7\r\n")
    assert decode(hello)[b"proto"] == 3
    assert c.call("GET", "missing") == b"_\r\n"
    assert c.call("SET", "a", "1") == b"+OK\r\n"
    assert c.call("SET", "a", "2", "NX") == b"_\r\n"
    assert c.call("MGET", "a", "missing") == b"*2\r\n$1\r\n1\r\n_\r\n"
    assert c.call("CONFIG", "GET", "maxclients") == b"%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    assert c.call("OBJECT", "ENCODING", "missing") == b"_\r\n"
    assert c.call("CLIENT", "GETNAME") == b"_\r\n"
    assert c.call("TTL", "a") == b":-1\r\n"
    assert c.call("COMMAND", "INFO", "nosuchcommand") == b"*1\r\n_\r\n"
    assert c.call("KEYS", "a") == b"*1\r\n$1\r\na\r\n"
    assert c.call("INCRBYFLOAT", "f", "1.5") == b"$3\r\n1.5\r\n"
    assert c.call("NOSUCH") == b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    info = c.call("INFO", "server")
    assert info.startswith(b"=") and b"\r\ntxt:# Server\r\n" in info
    me = c.call("CLIENT", "INFO")
    assert me.startswith(b"=") and b"\r\ntxt:id=" in me
    # Back to RESP2 on the same connection.
    assert c.call("HELLO", "2").startswith(b"*14\r\n")
    assert c.call("GET", "missing") == b"$-1\r\n"
    assert c.call("CONFIG", "GET", "maxclients") == b"*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"


def test_resp3_inline_hello(server):
    c = server.raw()
    c.send(b"HELLO 3\r\n")
    assert c.read_reply().startswith(b"%7\r\n")
    c.send(b"GET nothing\r\n")
    assert c.read_reply() == b"_\r\n"


# ---- malformed input ------------------------------------------------------------------

MALFORMED = [
    ("garbage-count", b"*garbage\r\n", b"invalid multibulk length"),
    ("huge-count", b"*99999999999\r\n", b"invalid multibulk length"),
    ("count-overflow", b"*99999999999999999999999\r\n", b"invalid multibulk length"),
    ("plus-count", b"*+1\r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    ("space-count", b"*1 \r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    ("negative-bulk", b"*1\r\n$-1\r\n", b"invalid bulk length"),
    ("negative-bulk-5", b"*2\r\n$3\r\nGET\r\n$-5\r\n", b"invalid bulk length"),
    ("huge-bulk", b"*1\r\n$99999999999\r\n", b"invalid bulk length"),
    ("garbage-bulk", b"*1\r\n$abc\r\n", b"invalid bulk length"),
    ("bulk-trailing", b"*1\r\n$4x\r\nPING\r\n", b"invalid bulk length"),
    ("bad-dollar", b"*1\r\nx\r\n", b"expected '$', got 'x'"),
    ("bad-dollar-colon", b"*2\r\n$3\r\nGET\r\n:1\r\n", b"expected '$', got ':'"),
    ("too-big-inline", b"x" * (64 * 1024 + 500), b"too big inline request"),
    ("too-big-mbulk-count", b"*" + b"1" * (64 * 1024 + 500), b"too big mbulk count string"),
    ("too-big-bulk-count", b"*1\r\n$" + b"1" * (64 * 1024 + 500), b"too big bulk count string"),
    ("unbalanced-quotes", b"ECHO \"abc\r\n", b"unbalanced quotes in request"),
]


@pytest.mark.parametrize("name,data,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input(server, name, data, message):
    observer = server.raw()
    assert observer.call("SET", "before", "1") == b"+OK\r\n"
    c = server.raw()
    c.send(data)
    got = c.read_until_closed(timeout_s=10.0)
    assert got == b"-ERR Protocol error: " + message + b"\r\n"
    assert_server_healthy(server, observer)
    assert observer.call("GET", "before") == b"$1\r\n1\r\n"


def test_malformed_after_valid_pipeline(server):
    """Replies to the valid requests before the bad one are sent first."""
    observer = server.raw()
    c = server.raw()
    c.send(encode_command("SET", "a", "1") + encode_command("GET", "a") + b"*1\r\n$-7\r\n" +
           encode_command("SET", "never", "x"))
    got = c.read_until_closed()
    assert got == b"+OK\r\n$1\r\n1\r\n-ERR Protocol error: invalid bulk length\r\n"
    assert observer.call("EXISTS", "never") == b":0\r\n"
    assert_server_healthy(server, observer)


def test_malformed_many_in_a_row(server):
    observer = server.raw()
    for _, data, message in MALFORMED[:12]:
        c = server.raw()
        c.send(data)
        assert c.read_until_closed() == b"-ERR Protocol error: " + message + b"\r\n"
        c.close()
        assert observer.call("PING") == b"+PONG\r\n"
    assert_server_healthy(server, observer)


@pytest.mark.polis_only
def test_bulk_payload_not_followed_by_crlf(server):
    observer = server.raw()
    c = server.raw()
    c.send(b"*1\r\n$4\r\nPINGxx")
    assert c.read_until_closed() == b"-ERR Protocol error: expected CRLF after bulk payload\r\n"
    assert_server_healthy(server, observer)


@pytest.mark.polis_only
@pytest.mark.server_config(proto_max_args=8)
def test_too_many_arguments(server):
    observer = server.raw()
    ok = server.raw()
    assert ok.call("MSET", "a", "1", "b", "2", "c", "3") == b"+OK\r\n"  # 7 arguments
    c = server.raw()
    c.send(b"*9\r\n")
    assert c.read_until_closed() == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert_server_healthy(server, observer)


@pytest.mark.server_config(client_query_buffer_limit="1mb")
def test_query_buffer_limit_closes_connection(server):
    observer = server.raw()
    c = server.raw(timeout_s=10.0)
    c.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$3000000\r\n")
    chunk = b"x" * 65536
    try:
        for _ in range(40):  # 2.6 MB, more than the limit
            c.send(chunk)
    except OSError:
        pass  # the server closed the connection while we were sending
    try:
        got = c.read_until_closed(timeout_s=10.0)
    except OSError:
        got = b""
    # Redis closes silently; polis may first send a protocol error.
    assert got == b"" or got.startswith(b"-ERR Protocol error"), got[:200]
    assert observer.call("EXISTS", "big") == b":0\r\n"
    assert_server_healthy(server, observer)


def test_client_closing_mid_request(server):
    """Half-sent requests from clients that disconnect are dropped cleanly."""
    observer = server.raw()
    for data in (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc", b"*2\r\n$3\r\nGE", b"SET k v",
                 b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n" + b"y" * 100000):
        c = RawClient(server.port)
        c.send(data)
        c.close()
    assert observer.call("EXISTS", "k") == b":0\r\n"
    assert_server_healthy(server, observer)


# ---- split requests -------------------------------------------------------------------

SPLIT_PAYLOAD = (
    encode_command("SET", "split", "va\r\nlue") +
    b"PING\r\n" +
    encode_command("GET", "split") +
    b"ECHO \"in line\"\n" +
    encode_command("APPEND", "split", "") +
    encode_command("MSET", "a", "x" * 40, "b", "") +
    b"*0\r\n" +
    encode_command("MGET", "a", "b", "nokey")
)
SPLIT_EXPECTED = [
    b"+OK\r\n",
    b"+PONG\r\n",
    b"$7\r\nva\r\nlue\r\n",
    b"$7\r\nin line\r\n",
    b":7\r\n",
    b"+OK\r\n",
    b"*3\r\n$40\r\n" + b"x" * 40 + b"\r\n$0\r\n\r\n$-1\r\n",
]


def test_split_at_every_byte_boundary(server):
    """For each cut point the pipelined buffer is sent as two segments with a
    pause between them, so the server sees a request end mid-token."""
    c = server.raw()
    for cut in range(1, len(SPLIT_PAYLOAD)):
        c.send(SPLIT_PAYLOAD[:cut])
        time.sleep(0.002)
        c.send(SPLIT_PAYLOAD[cut:])
        assert c.read_replies(len(SPLIT_EXPECTED)) == SPLIT_EXPECTED, "cut at %d" % cut
        assert c.call("DEL", "split", "a", "b") == b":3\r\n"


def test_split_byte_by_byte(server):
    c = server.raw()
    for i in range(len(SPLIT_PAYLOAD)):
        c.send(SPLIT_PAYLOAD[i:i + 1])
        if i % 8 == 0:
            time.sleep(0.001)
    assert c.read_replies(len(SPLIT_EXPECTED)) == SPLIT_EXPECTED


def test_split_three_ways(server):
    c = server.raw()
    n = len(SPLIT_PAYLOAD)
    for a in range(1, n, 7):
        for b in range(a + 1, n, 11):
            c.send(SPLIT_PAYLOAD[:a])
            c.send(SPLIT_PAYLOAD[a:b])
            time.sleep(0.001)
            c.send(SPLIT_PAYLOAD[b:])
            assert c.read_replies(len(SPLIT_EXPECTED)) == SPLIT_EXPECTED, (a, b)
            c.call("DEL", "split", "a", "b")


def test_split_big_bulk(server):
    """A bulk payload arriving in many uneven pieces."""
    value = bytes(range(256)) * 2000
    data = encode_command("SET", "bb", value) + encode_command("STRLEN", "bb")
    c = server.raw()
    pos, step = 0, 1
    while pos < len(data):
        c.send(data[pos:pos + step])
        pos += step
        step = step * 3 + 1 if step < 40000 else 7
    assert c.read_replies(2) == [b"+OK\r\n", b":%d\r\n" % len(value)]
    assert c.call("GET", "bb") == b"$%d\r\n%s\r\n" % (len(value), value)
