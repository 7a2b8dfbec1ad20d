"""Blocking commands on a standalone node (node/blocking.c): a client blocked
by BLPOP, BLMOVE or BZPOPMIN is served when another client's write gives it
something, in the order clients blocked, or gets its null reply at the
timeout; its later pipelined requests wait for it; a client that
disconnects while blocked is forgotten. These tests pass against
redis-server 7.0 too.
"""

import socket
import threading
import time

import pytest
import redis

from resp_raw import RawClient


class Waiter(threading.Thread):
    """Runs one blocking command on its own connection."""

    def __init__(self, server, *cmd):
        super().__init__(daemon=True)
        self.client = server.client()
        self.cmd = cmd
        self.result = None
        self.error = None
        self.elapsed = None

    def run(self):
        t0 = time.monotonic()
        try:
            self.result = self.client.execute_command(*self.cmd)
        except Exception as e:  # reported by the test
            self.error = e
        self.elapsed = time.monotonic() - t0


def blocked_clients(r):
    return r.info("clients").get("blocked_clients")


def start_waiter(server, r, *cmd):
    w = Waiter(server, *cmd)
    before = blocked_clients(r)
    w.start()
    # Wait until it is blocked (INFO blocked_clients), or a short time if the
    # server does not report it.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        now = blocked_clients(r)
        if before is not None and now is not None and now > before:
            break
        if before is None:
            time.sleep(0.2)
            break
        time.sleep(0.01)
    return w


def finish(w, timeout=5):
    w.join(timeout)
    assert not w.is_alive(), "the blocked command never returned"
    assert w.error is None, w.error
    return w.result


def test_blpop_is_served_by_a_later_push(server, r):
    w = start_waiter(server, r, "BLPOP", "q1", "q2", "5")
    assert w.is_alive()
    r.rpush("q2", "a", "b")
    assert tuple(finish(w)) == (b"q2", b"a")
    assert r.lrange("q2", 0, -1) == [b"b"]


def test_blpop_times_out_with_null(server, r):
    t0 = time.monotonic()
    assert r.execute_command("BLPOP", "nothing", "0.3") is None
    assert time.monotonic() - t0 >= 0.28
    assert r.execute_command("BRPOP", "nothing", "0.1") is None


def test_waiters_are_served_in_the_order_they_blocked(server, r):
    first = start_waiter(server, r, "BLPOP", "q", "5")
    second = start_waiter(server, r, "BLPOP", "q", "5")
    r.rpush("q", "x")
    assert tuple(finish(first)) == (b"q", b"x")
    assert second.is_alive()  # nothing for it yet
    r.rpush("q", "y")
    assert tuple(finish(second)) == (b"q", b"y")


def test_a_move_wakes_a_waiter_on_its_destination(server, r):
    on_dst = start_waiter(server, r, "BLPOP", "dst", "5")
    mover = start_waiter(server, r, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "5")
    r.rpush("src", "v")
    assert finish(mover) == b"v"
    assert tuple(finish(on_dst)) == (b"dst", b"v")
    assert r.exists("src", "dst") == 0


def test_pipelined_requests_wait_for_the_blocked_one(server, r):
    c = RawClient(server.port, timeout_s=5)
    try:
        c.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\np\r\n$1\r\n5\r\n*1\r\n$4\r\nPING\r\n")
        with pytest.raises(socket.timeout):
            c.read_reply(timeout_s=0.3)
        r.lpush("p", "v")
        assert c.read_reply() == b"*2\r\n$1\r\np\r\n$1\r\nv\r\n"
        assert c.read_reply() == b"+PONG\r\n"
    finally:
        c.close()


def test_a_client_gone_while_blocked_takes_nothing(server, r):
    c = RawClient(server.port, timeout_s=5)
    c.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\ng\r\n$1\r\n0\r\n")
    time.sleep(0.2)
    c.close()
    time.sleep(0.2)
    r.lpush("g", "kept")
    assert r.lrange("g", 0, -1) == [b"kept"]


def test_bzpopmin_is_served_by_a_later_zadd(server, r):
    w = start_waiter(server, r, "BZPOPMIN", "z", "5")
    r.zadd("z", {"b": 2, "a": 1})
    assert tuple(finish(w)) == (b"z", b"a", 1.0)
    assert r.zrange("z", 0, -1) == [b"b"]


def test_blocking_timeout_errors(r):
    with pytest.raises(redis.ResponseError, match="timeout is not a float or out of range"):
        r.execute_command("BLPOP", "q", "abc")
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        r.execute_command("BLPOP", "q", "-1")


def test_a_key_overwritten_by_another_type_keeps_waiters_blocked(server, r):
    w = start_waiter(server, r, "BLPOP", "k", "0.5")
    r.set("k", "a string")  # not a list: the waiter stays blocked
    assert finish(w) is None  # and times out with null, not WRONGTYPE
    assert w.elapsed >= 0.45
