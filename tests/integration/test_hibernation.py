"""Hibernation: idle Raft groups stop ticking (no heartbeats, no election
timers) and wake when something needs them (docs/design/009-partitioning.md).
Real polis processes on loopback."""

import time

import pytest

from cluster_util import wait_until

pytestmark = pytest.mark.polis_only

SHARDS = 8


def groups(node):
    """{group id: fields} of every group a node runs (INFO replication)."""
    out = {}
    for k, v in node.info().items():
        if k.startswith("group_"):
            out[int(k[len("group_"):])] = dict(f.split("=", 1) for f in v.split(","))
    return out


def all_hibernating(cluster):
    for n in cluster.running():
        g = groups(n)
        if not g or any(f["hibernating"] != "1" for f in g.values()):
            return False
    return True


def test_idle_groups_hibernate_leaders_too_and_wake_on_requests(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS)
    c = cl.node(1).raw()
    keys = ["h:%d" % i for i in range(64)]
    for k in keys:
        assert c.value("SET", k, "v" + k) == b"OK"
    # every group on every node, the leaders' included, goes to sleep
    wait_until(lambda: all_hibernating(cl), 30, interval_s=0.2, what="every group asleep")
    leaders = {gid for n in cl.running() for gid, f in groups(n).items()
               if f["role"] == "leader"}
    assert len(leaders) == SHARDS + 1
    # asleep, they still serve: reads and writes wake their shard
    for n in cl.running():
        r = n.raw()
        assert r.value("MGET", *keys) == [("v" + k).encode() for k in keys]
        assert r.value("SET", "h:after:%d" % n.node_id, "x") == b"OK"
    # and go back to sleep without a leader change
    wait_until(lambda: all_hibernating(cl), 30, interval_s=0.2, what="asleep again")
    after = {gid for n in cl.running() for gid, f in groups(n).items()
             if f["role"] == "leader"}
    assert after == leaders
    terms = {(n.node_id, gid): f["term"] for n in cl.running()
             for gid, f in groups(n).items()}
    time.sleep(1.5)  # several election timeouts of quiet: nobody campaigns
    assert terms == {(n.node_id, gid): f["term"] for n in cl.running()
                     for gid, f in groups(n).items()}


def test_a_sleeping_follower_woken_by_a_request_notices_its_leader_is_gone(cluster_factory):
    """The leader's process is stopped (its links stay open, so nothing
    tells the follower): a request wakes the follower, which must find out
    by its election timer, well before the links' idle timeout (10 s)."""
    cl = cluster_factory(cluster_leader_wait_ms=500)
    lead, followers = cl.followers()
    survivor = followers[0]
    assert survivor.cmd("SET", "k", "v") == b"OK"
    cl.wait_converged()
    wait_until(lambda: all_hibernating(cl), 30, interval_s=0.2, what="every group asleep")
    for n in cl.nodes:
        if n is not survivor:
            n.sigstop()
    try:
        c = survivor.raw(timeout_s=10)
        # a write is forwarded to the leader (nothing waits in the group
        # here); it wakes the group, and the leader never answers
        c.send_command("SET", "k", "lost")
        t0 = time.monotonic()
        wait_until(lambda: survivor.info()["leader"] == "0", 5, interval_s=0.05,
                   what="the survivor to lose its leader")
        assert time.monotonic() - t0 < 5
        reply = c.read_reply(timeout_s=10)
        assert reply.startswith((b"-CLUSTERDOWN", b"-TRYAGAIN")), \
            "a minority acknowledged a write: %r" % reply
    finally:
        for n in cl.nodes:
            if n is not survivor:
                n.cont()
    cl.wait_converged()
    assert survivor.cmd("GET", "k") in (b"v", b"lost")  # the write's fate is unknown
