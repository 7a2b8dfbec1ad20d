"""Cluster mode (Raft): three real nodes on 127.0.0.1.

Covers linearizable reads and write forwarding, failover under load with no
lost acknowledged write, catch-up by snapshot, a full-cluster restart, a
minority that must neither acknowledge writes nor serve stale linearizable
reads, and replicated expiry. Replicas are compared with DIGEST on READONLY
connections once every node has applied the leader's commit index.

Helpers are in cluster_util.py. All tests are polis_only.
"""

import random
import threading
import time

import pytest

from cluster_util import err_text, is_error, parse_info, wait_until
from resp_raw import ConnectionClosed, RawClient, decode, encode_command

pytestmark = pytest.mark.polis_only

LEADER_WAIT_MS = 1000


@pytest.fixture
def cluster(cluster_factory):
    return cluster_factory()


def mget_all(client, keys, chunk=500):
    out = []
    for i in range(0, len(keys), chunk):
        reply = client.value("MGET", *keys[i:i + chunk])
        assert not is_error(reply), reply
        out += reply
    return out


def retry_write(node, *args, timeout_s=15.0):
    """Sends a write until it gets a non-TRYAGAIN/CLUSTERDOWN reply (the
    cluster may still be electing). Returns the decoded reply."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            reply = node.cmd(*args)
        except (OSError, ConnectionClosed):
            reply = None
        if reply is not None and not (is_error(reply) and reply.text.split(b" ")[0]
                                      in (b"TRYAGAIN", b"CLUSTERDOWN")):
            return reply
        assert time.monotonic() < deadline, "write %r kept failing: %r" % (args, reply)
        time.sleep(0.1)


# ---- 1. linearizable reads and forwarding --------------------------------------


def test_write_on_one_node_read_on_the_others(cluster):
    lead, followers = cluster.followers()
    nodes = cluster.nodes
    # Persistent connections: a read on another node right after the write's
    # reply must already see it.
    conns = {n.node_id: n.raw() for n in nodes}
    for rnd in range(3):
        for w in nodes:
            key = "k:%d" % w.node_id
            val = ("v-%d-%d" % (w.node_id, rnd)).encode()
            assert conns[w.node_id].value("SET", key, val) == b"OK"
            for r in nodes:
                assert conns[r.node_id].value("GET", key) == val, (
                    "read on node %d after a write on node %d (leader %d)"
                    % (r.node_id, w.node_id, lead.node_id))
    # Fresh connections too.
    for r in nodes:
        assert r.cmd("MGET", "k:1", "k:2", "k:3") == [b"v-1-2", b"v-2-2", b"v-3-2"]


def test_writes_forwarded_by_a_follower_get_the_right_replies(cluster):
    lead, followers = cluster.followers()
    f = followers[0]
    c = f.raw()
    assert c.call("SET", "s", "a") == b"+OK\r\n"
    assert c.call("SET", "s", "b", "NX") == b"$-1\r\n"
    assert c.call("SET", "s", "c", "GET") == b"$1\r\na\r\n"
    assert c.call("INCR", "n") == b":1\r\n"
    assert c.call("INCRBY", "n", "41") == b":42\r\n"
    assert c.call("INCRBYFLOAT", "fl", "1.5") == b"$3\r\n1.5\r\n"
    assert c.call("APPEND", "s", "xyz") == b":4\r\n"
    assert c.call("INCR", "s") == b"-ERR value is not an integer or out of range\r\n"
    assert c.call("MSET", "m1", "1", "m2", "2") == b"+OK\r\n"
    assert c.call("DEL", "m1", "m2", "nosuch") == b":2\r\n"
    assert c.call("EXPIRE", "nosuch", "100") == b":0\r\n"
    # Pipelined forwarded writes are answered in order.
    c.send(b"".join(b"*2\r\n$4\r\nINCR\r\n$1\r\np\r\n" for _ in range(50)))
    assert c.read_replies(50) == [b":%d\r\n" % i for i in range(1, 51)]
    # The follower relays RESP3 replies in RESP3.
    c3 = f.raw()
    assert isinstance(c3.value("HELLO", "3"), dict)
    assert c3.call("SET", "s", "zz", "NX") == b"_\r\n"
    assert c3.call("INCR", "n") == b":43\r\n"
    # Everything is visible on the leader and the other follower.
    for n in [lead] + followers:
        assert n.cmd("MGET", "s", "n", "fl", "p", "m1") == [b"cxyz", b"43", b"1.5", b"50", None]
    cluster.assert_replicas_agree()


# ---- 2. kill -9 the leader under load -------------------------------------------


class Writer(threading.Thread):
    """Its own INCR counter and SET key sequence; records what was attempted
    and what was acknowledged."""

    def __init__(self, tid, cluster, stop):
        super().__init__(name="writer-%d" % tid, daemon=True)
        self.tid = tid
        self.cluster = cluster
        self.stop_event = stop
        self.ctr = "ctr:%d" % tid
        self.incr_attempted = 0
        self.incr_replies = []   # acknowledged INCR results, in order
        self.set_attempted = 0   # SET s:<tid>:<i> i for i < set_attempted
        self.set_acked = []
        self.acks = []           # (send time, ack time, node id)
        self.errors = {}
        self.failure = None
        self.started_at = time.monotonic()
        self.finished_at = None

    def skey(self, i):
        return "s:%d:%d" % (self.tid, i)

    def _note(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the test
            self.failure = repr(e)

    def _run(self):
        nodes = self.cluster.nodes
        idx = self.tid % len(nodes)
        conn = None
        node = None
        deadline = time.monotonic() + 90
        op = 0
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            if conn is None:
                node = nodes[idx % len(nodes)]
                try:
                    conn = RawClient(node.port, timeout_s=20.0)
                except OSError:
                    idx += 1
                    self._note("connect")
                    time.sleep(0.02)
                    continue
            if op % 2 == 0:
                self.incr_attempted += 1
                args = ("INCR", self.ctr)
            else:
                i = self.set_attempted
                self.set_attempted += 1
                args = ("SET", self.skey(i), str(i))
            sent = time.monotonic()
            try:
                reply = decode(conn.call(*args))
            except (OSError, ConnectionClosed):
                self._note("connection")
                conn.close()
                conn = None
                idx += 1
                op += 1
                continue
            now = time.monotonic()
            if is_error(reply):
                self._note(reply.text.split(b" ")[0].decode())
            elif op % 2 == 0:
                assert isinstance(reply, int), reply
                self.incr_replies.append(reply)
                self.acks.append((sent, now, node.node_id))
            else:
                assert reply == b"OK", reply
                self.set_acked.append(i)
                self.acks.append((sent, now, node.node_id))
            op += 1
        if conn is not None:
            conn.close()
        self.finished_at = time.monotonic()


def check_writers(writers, client, where):
    for w in writers:
        raw = client.value("GET", w.ctr)
        assert not is_error(raw), (where, raw)
        counter = int(raw or 0)
        acked = len(w.incr_replies)
        assert acked <= counter <= w.incr_attempted, (
            "%s: %s = %d, acknowledged INCRs %d, attempted %d"
            % (where, w.ctr, counter, acked, w.incr_attempted))
        if w.incr_replies:
            assert counter >= w.incr_replies[-1], (where, w.ctr, counter, w.incr_replies[-1])
        keys = [w.skey(i) for i in range(w.set_attempted)]
        values = mget_all(client, keys)
        acked_set = set(w.set_acked)
        for i, v in enumerate(values):
            if i in acked_set:
                assert v == str(i).encode(), (
                    "%s: acknowledged SET %s = %d reads %r" % (where, keys[i], i, v))
            else:
                assert v in (None, str(i).encode()), (where, keys[i], v)


PROBE_TIMEOUT_S = 0.3


def probe_first_write(nodes, deadline_s):
    """Sends SET probe:<n> on fresh connections to nodes in turn until one is
    acknowledged; returns (the ack time, probes sent)."""
    deadline = time.monotonic() + deadline_s
    n = 0
    while time.monotonic() < deadline:
        node = nodes[n % len(nodes)]
        n += 1
        try:
            with RawClient(node.port, timeout_s=PROBE_TIMEOUT_S) as c:
                reply = decode(c.call("SET", "probe:%d" % n, "1"))
            if reply == b"OK":
                return time.monotonic(), n
        except (OSError, ConnectionClosed):
            pass
        time.sleep(0.01)
    raise AssertionError("no write acknowledged within %.0f s of the leader's death"
                         % deadline_s)


def test_kill_leader_under_write_load_loses_no_acknowledged_write(cluster):
    lead = cluster.wait_leader()
    stop = threading.Event()
    writers = [Writer(t, cluster, stop) for t in range(4)]
    for w in writers:
        w.start()
    try:
        # Steady load first.
        wait_until(lambda: all(len(w.acks) >= 30 for w in writers), 20,
                   what="every writer to get 30 acknowledgements")
        time.sleep(0.5)
        killed_at = time.monotonic()
        lead.kill9()
        survivors = [n for n in cluster.nodes if n is not lead]
        # The failover time: a probe client sends fresh writes to the
        # survivors, giving up on each after PROBE_TIMEOUT_S (a write
        # forwarded to the dead leader hangs; see the writers' stalls).
        first, probes = probe_first_write(survivors, deadline_s=20)
        failover_s = first - killed_at
        # Keep writing until every writer has had a write sent after the
        # kill acknowledged (a writer whose write was forwarded to the dead
        # leader waits for its TRYAGAIN first), then a little longer.
        wait_until(lambda: all(any(snt >= killed_at for (snt, _a, _n) in list(w.acks))
                               for w in writers), 20, interval_s=0.05,
                   what="every writer to get a write acknowledged after the kill")
        time.sleep(1.0)
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=60)
    for w in writers:
        assert not w.is_alive(), "%s did not stop" % w.name
        assert w.failure is None, (w.name, w.failure)
    new_lead = cluster.wait_leader()
    writer_acks = [a for w in writers for (snt, a, _n) in w.acks if snt >= killed_at]
    print("\nfailover: leader node %d killed; first probe write acknowledged %.3f s later "
          "(%d probes); first writer write sent after the kill acknowledged %s; "
          "new leader node %d"
          % (lead.node_id, failover_s, probes,
             "%.3f s later" % (min(writer_acks) - killed_at) if writer_acks else "never",
             new_lead.node_id))
    for w in writers:
        ack_times = [w.started_at] + [a for (_s, a, _n) in w.acks] + [w.finished_at]
        stall = max((b - a for a, b in zip(ack_times, ack_times[1:])), default=0.0)
        print("  %s: INCR acked %d/%d, SET acked %d/%d, errors %r, longest stall %.2f s"
              % (w.name, len(w.incr_replies), w.incr_attempted, len(w.set_acked),
                 w.set_attempted, w.errors, stall))
    assert failover_s < 5.0, "failover took %.3f s" % failover_s
    assert new_lead is not lead
    # One thread, one key: acknowledged INCR results strictly increase.
    for w in writers:
        r = w.incr_replies
        assert all(a < b for a, b in zip(r, r[1:])), (w.name, r)

    # The survivors (linearizable reads) before the killed node returns.
    for n in cluster.running():
        check_writers(writers, n.raw(), "node %d (linearizable, killed node down)" % n.node_id)

    lead.restart()
    cluster.assert_replicas_agree(timeout_s=30)
    for n in cluster.nodes:
        check_writers(writers, n.raw(readonly=True), "node %d (READONLY)" % n.node_id)
        check_writers(writers, n.raw(), "node %d (linearizable)" % n.node_id)


# ---- 3. catch-up by snapshot --------------------------------------------------


def test_follower_catches_up_by_snapshot(cluster_factory):
    # Verbose logging: a node logs "snapshot at index" for each snapshot it
    # makes itself (there is no log line for installing a received one).
    cluster = cluster_factory(raft_snapshot_entries=20000, loglevel="verbose")
    lead, followers = cluster.followers()
    lag, other = followers
    assert lead.cmd("SET", "before", "1") == b"OK"
    cluster.wait_converged()
    assert lag.stop() is None, "the follower did not exit cleanly"
    lead_mark = len(lead.log_text())

    rng = random.Random(6006)
    expected = {"before": b"1"}
    c = lead.raw(timeout_s=60)
    batch = []
    # 100,000 writes while it is down: new keys, overwrites and deletes.
    for i in range(100000):
        key = "snap:%d" % rng.randrange(60000)
        if i % 10 == 9:
            batch.append(("DEL", key))
            expected.pop(key, None)
        else:
            val = b"%d-%d" % (i, rng.randrange(1 << 30))
            batch.append(("SET", key, val))
            expected[key] = val
    for start in range(0, len(batch), 1000):
        part = batch[start:start + 1000]
        c.send(b"".join(encode_command(*cmd) for cmd in part))
        replies = [decode(r) for r in c.read_replies(len(part), timeout_s=60)]
        assert not any(is_error(r) for r in replies), [r for r in replies if is_error(r)][:3]
    assert other.cmd("SET", "after", "2") == b"OK"
    expected["after"] = b"2"

    # The leader snapshotted (and so compacted its log) while the follower
    # was down: the follower cannot catch up from the log alone.
    lead_snaps = lead.log_text()[lead_mark:].count("snapshot at index")
    assert lead_snaps >= 3, "the leader made %d snapshots" % lead_snaps
    lag_mark = len(lag.log_text())
    lag.restart()
    saw_snapshot_state = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        li = lead.info()
        if "state=snapshot" in li.get("follower_%d" % lag.node_id, ""):
            saw_snapshot_state = True
        if cluster.converged() is not None:
            break
        time.sleep(0.02)
    digest = cluster.assert_replicas_agree(timeout_s=30)
    lag_snaps = lag.log_text()[lag_mark:].count("snapshot at index")
    print("\nsnapshot catch-up: digest %r; leader made %d snapshots while the follower was "
          "down; the follower made %d of its own while catching up; leader reported "
          "state=snapshot for it: %s" % (digest, lead_snaps, lag_snaps, saw_snapshot_state))
    keys = sorted(expected)
    ro = lag.raw(readonly=True)
    assert mget_all(ro, keys) == [expected[k] for k in keys]
    assert lag.cmd("DBSIZE") == len(expected)


# ---- 4. full-cluster restart ----------------------------------------------------


def test_full_cluster_restart_keeps_all_data(cluster):
    lead, followers = cluster.followers()
    expected = {}
    for i, n in enumerate(cluster.nodes * 40):
        key = "r:%d" % i
        assert n.cmd("SET", key, "val-%d" % i) == b"OK"
        expected[key] = b"val-%d" % i
    assert followers[0].cmd("MSET", "m:a", "A", "m:b", "B") == b"OK"
    expected.update({"m:a": b"A", "m:b": b"B"})
    for _ in range(7):
        followers[1].cmd("INCR", "cnt")
    expected["cnt"] = b"7"
    assert lead.cmd("DEL", "r:0", "r:1") == 2
    del expected["r:0"], expected["r:1"]
    assert followers[0].cmd("SET", "ttl", "t", "EX", "100000") == b"OK"
    expected["ttl"] = b"t"
    digest = cluster.assert_replicas_agree()

    # The leader first (it hands leadership over), then the other two.
    assert lead.stop() is None
    problems = [n.stop() for n in followers]
    assert problems == [None, None], problems

    for n in cluster.nodes:
        n.start()
    new_lead = cluster.wait_leader(timeout_s=20)
    print("\nafter the full restart node %d leads" % new_lead.node_id)
    keys = sorted(expected)
    for n in cluster.nodes:
        assert mget_all(n.raw(), keys) == [expected[k] for k in keys], n.name
        ttl = n.cmd("TTL", "ttl")
        assert 99000 < ttl <= 100000, ttl
    assert cluster.assert_replicas_agree() == digest
    # And the cluster takes writes again.
    assert retry_write(cluster.nodes[0], "SET", "post", "1") == b"OK"
    for n in cluster.nodes:
        assert n.cmd("GET", "post") == b"1"


# ---- 5. a minority acknowledges nothing ------------------------------------------


@pytest.mark.parametrize("survivor_role", ["follower", "leader"])
def test_minority_cannot_write_or_read_linearizably(cluster_factory, survivor_role):
    cluster = cluster_factory(cluster_leader_wait_ms=LEADER_WAIT_MS)
    lead, followers = cluster.followers()
    survivor = lead if survivor_role == "leader" else followers[0]
    frozen = [n for n in cluster.nodes if n is not survivor]
    assert survivor.cmd("SET", "k", "old") == b"OK"
    cluster.wait_converged()

    early = survivor.raw(timeout_s=30)
    writer = survivor.raw(timeout_s=30)
    reader = survivor.raw(timeout_s=30)
    ro = survivor.raw(timeout_s=30, readonly=True)

    for n in frozen:
        n.sigstop()
    stopped_at = time.monotonic()
    # A write sent at once, while the survivor still believes in a leader
    # (or is one): it may enter a log, so only TRYAGAIN (unknown outcome)
    # or CLUSTERDOWN are acceptable, and never OK.
    early.send_command("SET", "k", "early")

    # Once the survivor has noticed it has no leader, a write waits
    # cluster-leader-wait-ms and fails.
    def no_leader():
        i = survivor.info()
        return i["raft_role"] != "leader" and i["leader"] == "0"
    wait_until(no_leader, 10, what="the survivor to lose its leader")
    noticed_s = time.monotonic() - stopped_at
    t0 = time.monotonic()
    reply = decode(writer.call("SET", "k", "new", timeout_s=30))
    write_s = time.monotonic() - t0
    assert is_error(reply), "a minority acknowledged a write: %r" % reply
    assert write_s < LEADER_WAIT_MS / 1000.0 + 2.0, write_s

    # A linearizable read must fail, not return (possibly stale) data; a
    # READONLY read is local and returns the old value.
    t0 = time.monotonic()
    reader.send_command("GET", "k")
    assert ro.value("GET", "k") == b"old"
    read_reply = decode(reader.read_reply(timeout_s=30))
    read_s = time.monotonic() - t0
    assert is_error(read_reply), "a minority served a linearizable read: %r" % read_reply
    early_reply = decode(early.read_reply(timeout_s=30))
    assert is_error(early_reply), "a minority acknowledged a write: %r" % early_reply
    print("\n%s survivor: lost its leader after %.2f s; write failed after %.2f s with %r; "
          "read failed after %.2f s with %r; early write got %r"
          % (survivor_role, noticed_s, write_s, err_text(reply), read_s, err_text(read_reply),
             err_text(early_reply)))

    for n in frozen:
        n.cont()
    cluster.wait_leader(timeout_s=20)
    assert retry_write(survivor, "SET", "k2", "after") == b"OK"

    allowed = {b"old"}
    for r, val in ((reply, b"new"), (early_reply, b"early")):
        code = r.text.split(b" ")[0]
        assert code in (b"CLUSTERDOWN", b"TRYAGAIN"), r
        if code == b"TRYAGAIN":
            allowed.add(val)  # outcome unknown: either is fine
    seen = set()
    for n in cluster.nodes:
        v = n.cmd("GET", "k")
        assert v in allowed, "node %d reads k=%r; allowed %r (replies: write %r, early %r)" % (
            n.node_id, v, allowed, reply, early_reply)
        seen.add(v)
        assert n.cmd("GET", "k2") == b"after"
    assert len(seen) == 1, seen
    cluster.assert_replicas_agree()


# ---- 6. expiry -------------------------------------------------------------------


def test_expiry_is_consistent_across_nodes(cluster):
    nodes = cluster.nodes
    for i in range(5):
        assert nodes[i % 3].cmd("SET", "keep:%d" % i, "v") == b"OK"
    t_first = time.monotonic()
    for i in range(12):
        assert nodes[i % 3].cmd("SET", "exp:%d" % i, "v", "PX", "500") == b"OK"
    set_s = time.monotonic() - t_first
    exp_keys = ["exp:%d" % i for i in range(12)]
    if set_s < 0.25:
        assert nodes[1].cmd("EXISTS", *exp_keys) == 12
    wait_until(lambda: time.monotonic() - t_first >= 1.5 + set_s, 5)
    for n in nodes:
        for ro in (False, True):
            c = n.raw(readonly=ro)
            assert c.value("EXISTS", *exp_keys) == 0, (n.name, ro)
            assert mget_all(c, exp_keys) == [None] * 12, (n.name, ro)
            assert c.value("EXISTS", *["keep:%d" % i for i in range(5)]) == 5
    cluster.assert_replicas_agree()
    # The leader's active expiry deletes them on every replica.

    def all_deleted():
        return all(n.local("DBSIZE") == 5 for n in nodes)
    wait_until(all_deleted, 15, interval_s=0.1, what="expired keys to be deleted everywhere")
    cluster.assert_replicas_agree()


# ---- 6. maxmemory: the leader evicts through the log ----------------------------


def used_memory(node):
    """The memory maxmemory applies to: used_memory less the replication
    log kept in memory (mem_not_counted_for_evict, as in Redis)."""
    info = parse_info(node.cmd("INFO", "memory"))
    return int(info["used_memory"]) - int(info["mem_not_counted_for_evict"])


def test_leader_evicts_through_the_log_and_replicas_agree(cluster):
    lead, followers = cluster.followers()
    limit = used_memory(lead) + 2 * 1024 * 1024
    for n in cluster.nodes:
        assert n.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru") == b"OK"
        assert n.cmd("CONFIG", "SET", "maxmemory", str(limit)) == b"OK"
    c = lead.raw(timeout_s=60)
    value = b"v" * 200
    for start in range(0, 30000, 500):
        c.send(b"".join(encode_command("SET", "e:%d" % i, value)
                        for i in range(start, start + 500)))
        replies = [decode(x) for x in c.read_replies(500, timeout_s=60)]
        assert all(x == b"OK" for x in replies), [x for x in replies if x != b"OK"][:3]

    def evicted():
        return int(parse_info(lead.cmd("INFO", "stats"))["evicted_keys"])
    wait_until(lambda: evicted() > 0 and used_memory(lead) <= limit + 512 * 1024, 30,
               interval_s=0.2, what="the leader to evict down to maxmemory")
    # Eviction goes on until the leader is under the limit: wait until it
    # has stopped, so that the sizes below are read at one state.
    seen = {"n": evicted()}

    def stopped():
        time.sleep(0.5)
        n = evicted()
        done = n == seen["n"]
        seen["n"] = n
        return done
    wait_until(stopped, 30, interval_s=0.1, what="eviction to stop")
    # Evictions are replicated deletes: every replica lost the same keys.
    cluster.assert_replicas_agree()
    sizes = {n.name: n.local("DBSIZE") for n in cluster.nodes}
    assert len(set(sizes.values())) == 1 and 0 < sizes[lead.name] < 30000, sizes
    # Followers never evicted on their own.
    for f in followers:
        assert int(parse_info(f.cmd("INFO", "stats"))["evicted_keys"]) == 0


def test_noeviction_refuses_writes_in_a_cluster(cluster):
    lead, followers = cluster.followers()
    for n in cluster.nodes:
        limit = used_memory(n) + 256 * 1024
        assert n.cmd("CONFIG", "SET", "maxmemory", str(limit)) == b"OK"
    refused = None
    for i in range(20000):
        reply = followers[0].cmd("SET", "n:%d" % i, b"v" * 200)
        if is_error(reply):
            refused = err_text(reply)
            break
    assert refused == "OOM command not allowed when used memory > 'maxmemory'.", refused
    assert followers[0].cmd("GET", "n:0") == b"v" * 200  # reads still work
