"""Chaos workloads: concurrent clients whose every operation is recorded
with its invoke and complete times (one monotonic clock, nanoseconds since
the run started) and its outcome:

    ok       the reply says it took effect (and what it returned);
    fail     it certainly took no effect (an error polis gives only for a
             write that never entered the log, or any error to a read);
    unknown  it may or may not take effect, at any time up to the end of
             the history: a timeout, a broken connection, or an error that
             says so ("may or may not have been applied").

The workloads (each client a thread with one connection to one node, moving
to another node when its connection breaks):

    register  GET, SET and compare-and-set on a few keys. CAS is
              `SET key new IFEQ old` (Redis 8.4), or `SET key new NX` when
              the client believes the key absent. Values are unique, and
              every few seconds the clients move to fresh keys, which keeps
              each key's history small for the linearizability checker.
    set       unique adds to one set, as `APPEND key " <element>"`; the
              final read must hold every acknowledged add, no element twice
              and nothing never added.
    counter   `INCRBY key d` (d in 1..5); the final value must lie between
              the sum of acknowledged increments and that plus the unknown
              ones.
"""

import random
import socket
import threading
import time

from resp_raw import ConnectionClosed, RawClient, RespError

from chaos_cluster import CLIENT_PORT

# Errors after which a write certainly did not take effect. Any other error
# to a write is "unknown" (the conservative reading).
DEFINITE_WRITE_FAILURES = (
    "CLUSTERDOWN The cluster is down (no leader)",
    "CLUSTERDOWN the node is shutting down",
    "TRYAGAIN the write was overtaken by a new leader and not applied",
    # a forwarded write refused before it was proposed
    "TRYAGAIN this node holds no replica of the shard; not applied",
    "TRYAGAIN the shard map changed; not applied",
    "TRYAGAIN the leader changed before the request arrived; not applied",
    "TRYAGAIN the leader is busy; not applied",
    "CLUSTERDOWN the cluster has no shards yet",
)

SET_KEY = "chaos:set"
COUNTER_KEY = "chaos:counter"


class History(object):
    """Operations of all clients; thread-safe appends."""

    def __init__(self):
        self.t0 = time.monotonic_ns()
        self.ops = []
        self.lock = threading.Lock()

    def now(self):
        return time.monotonic_ns() - self.t0

    def add(self, op):
        with self.lock:
            op["id"] = len(self.ops) + 1
            self.ops.append(op)

    def of(self, workload):
        with self.lock:
            return [op for op in self.ops if op["workload"] == workload]


class Client(object):
    """One connection at a time to one node of the cluster."""

    def __init__(self, name, cluster, history, rng, op_timeout_s):
        self.name = name
        self.cluster = cluster
        self.history = history
        self.rng = rng
        self.op_timeout_s = op_timeout_s
        self.conn = None
        self.node = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def connect(self, stop):
        """Connects to a random node; retries until connected or stopped.
        Connecting sends nothing, so a failed attempt is not an operation."""
        while self.conn is None and not stop.is_set():
            node = self.rng.choice(self.cluster.nodes)
            try:
                self.conn = RawClient(CLIENT_PORT, host=node.addr, timeout_s=1.0)
                self.conn.timeout_s = self.op_timeout_s
                self.node = node.id
            except OSError:
                self.conn = None
                stop.wait(0.05)
        return self.conn is not None

    def call(self, is_write, *args):
        """Sends one command; returns (outcome, reply, complete_ns)."""
        try:
            reply = self.conn.value(*args)
        except (OSError, socket.timeout, ConnectionClosed, ValueError):
            self.close()
            return "unknown", None, None
        done = self.history.now()
        if isinstance(reply, RespError):
            text = reply.text.decode("utf-8", "replace")
            if not is_write or text.startswith(DEFINITE_WRITE_FAILURES) or \
                    text.startswith(("ERR ", "WRONGTYPE")):
                return "fail", text, done
            return "unknown", text, done
        return "ok", reply, done

    def record(self, workload, f, key, outcome, invoke, complete, **fields):
        op = {"client": self.name, "node": self.node, "workload": workload, "f": f,
              "key": key, "invoke": invoke,
              "complete": complete if outcome != "unknown" else None, "outcome": outcome}
        op.update(fields)
        self.history.add(op)
        return op


def _text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


class Worker(threading.Thread):
    """Runs `step` until stopped; `think_ms` between operations."""

    def __init__(self, client, stop, think_ms):
        super().__init__(name=client.name, daemon=True)
        self.client = client
        self.stop = stop
        self.think_ms = think_ms
        self.error = None
        self.seq = 0

    def unique(self):
        self.seq += 1
        return "%s-%d" % (self.client.name, self.seq)

    def run(self):
        try:
            while not self.stop.is_set():
                if not self.client.connect(self.stop):
                    break
                self.step()
                if self.think_ms:
                    self.stop.wait(self.client.rng.uniform(0, self.think_ms) / 1000.0)
        except Exception as e:  # a harness bug must fail the run, not vanish
            self.error = "%s: %r" % (self.client.name, e)
        finally:
            self.client.close()


class RegisterWorker(Worker):
    def __init__(self, client, stop, think_ms, keys, key_period_s):
        super().__init__(client, stop, think_ms)
        self.keys = keys
        self.key_period_s = key_period_s
        self.believed = {}  # key -> last value this client saw (for CAS)

    def step(self):
        c = self.client
        epoch = int(c.history.now() / 1e9 / self.key_period_s)
        key = "chaos:r%d-%d" % (epoch, c.rng.randrange(self.keys))
        dice = c.rng.random()
        invoke = c.history.now()
        if dice < 0.5:
            outcome, reply, done = c.call(False, "GET", key)
            if outcome == "ok":
                value = "nil" if reply is None else _text(reply)
                self.believed[key] = value
                c.record("register", "read", key, "ok", invoke, done, value=value)
            else:
                c.record("register", "read", key, outcome, invoke, done, error=_text(reply))
        elif dice < 0.75:
            value = self.unique()
            outcome, reply, done = c.call(True, "SET", key, value)
            if outcome == "ok" and reply != b"OK":
                outcome = "unknown"  # cannot happen; never guess
            if outcome == "ok":
                self.believed[key] = value
            c.record("register", "write", key, outcome, invoke, done, value=value,
                     error=None if outcome == "ok" else _text(reply))
        else:
            old = self.believed.get(key, "nil")
            new = self.unique()
            if old == "nil":
                outcome, reply, done = c.call(True, "SET", key, new, "NX")
            else:
                outcome, reply, done = c.call(True, "SET", key, new, "IFEQ", old)
            fields = {"old": old, "new": new}
            if outcome == "ok":
                if reply == b"OK":
                    fields["swapped"] = True
                    self.believed[key] = new
                elif reply is None:
                    fields["swapped"] = False
                else:
                    outcome = "unknown"
            if outcome != "ok":
                fields["error"] = _text(reply)
            c.record("register", "cas", key, outcome, invoke, done, **fields)


class SetWorker(Worker):
    def step(self):
        c = self.client
        elem = self.unique()
        invoke = c.history.now()
        outcome, reply, done = c.call(True, "APPEND", SET_KEY, " " + elem)
        if outcome == "ok" and not isinstance(reply, int):
            outcome = "unknown"
        c.record("set", "add", SET_KEY, outcome, invoke, done, value=elem,
                 error=None if outcome == "ok" else _text(reply))


class CounterWorker(Worker):
    def step(self):
        c = self.client
        d = c.rng.randrange(1, 6)
        invoke = c.history.now()
        outcome, reply, done = c.call(True, "INCRBY", COUNTER_KEY, d)
        if outcome == "ok" and not isinstance(reply, int):
            outcome = "unknown"
        c.record("counter", "incr", COUNTER_KEY, outcome, invoke, done, value=d,
                 result=reply if outcome == "ok" else None,
                 error=None if outcome == "ok" else _text(reply))


def start_workers(cluster, history, rng, stop, counts, op_timeout_s, think_ms, register_keys,
                  key_period_s):
    """counts: {"register": n, "set": n, "counter": n}. Returns the threads."""
    workers = []
    for kind, n in counts.items():
        for i in range(n):
            client = Client("%s%d" % (kind[0], i + 1), cluster, history,
                            random.Random(rng.getrandbits(64)), op_timeout_s)
            if kind == "register":
                w = RegisterWorker(client, stop, think_ms, register_keys, key_period_s)
            elif kind == "set":
                w = SetWorker(client, stop, think_ms)
            elif kind == "counter":
                w = CounterWorker(client, stop, think_ms)
            else:
                raise ValueError("unknown workload %r" % kind)
            workers.append(w)
    for w in workers:
        w.start()
    return workers


def final_read(cluster, key, deadline_s=30.0):
    """A linearizable GET of `key` through any node, retried until it
    succeeds; returns the value (None if absent)."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        for n in cluster.nodes:
            try:
                with RawClient(CLIENT_PORT, host=n.addr, timeout_s=5.0) as c:
                    reply = c.value("GET", key)
                if not isinstance(reply, RespError):
                    return reply
                last = reply
            except (OSError, ConnectionClosed, ValueError) as e:
                last = e
        time.sleep(0.1)
    raise RuntimeError("final read of %s failed until the deadline: %r" % (key, last))
