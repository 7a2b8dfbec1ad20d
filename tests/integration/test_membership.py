"""Nodes joining and leaving a running cluster: replicas move (learner,
catch-up, promote, remove), leaders rebalance, and writes keep flowing
(docs/design/009-partitioning.md). Real processes on loopback; the writers
are bounded in count and time and stop by themselves."""

import random
import threading
import time

import pytest

from cluster_util import err_text, is_error, wait_until
from resp_raw import ConnectionClosed, RawClient

pytestmark = pytest.mark.polis_only

SHARDS = 8
RETRYABLE = ("TRYAGAIN", "MOVED")


def groups_of(node):
    """{group id: role} of the shards' groups a node runs."""
    out = {}
    for k, v in node.info().items():
        if k.startswith("group_") and k != "group_0":
            out[int(k[len("group_"):])] = dict(f.split("=", 1) for f in v.split(","))["role"]
    return out


def placement(cluster):
    return {n.node_id: groups_of(n) for n in cluster.running()}


def balanced(cluster, shards=SHARDS, replicas=3):
    """Every shard on `replicas` nodes, replica counts within one, every
    node leading at least one shard when there are enough shards."""
    p = placement(cluster)
    counts = [len(g) for g in p.values()]
    if sum(counts) != shards * replicas or max(counts) - min(counts) > 1:
        return False
    leaders = [sum(1 for r in g.values() if r == "leader") for g in p.values()]
    if sum(leaders) != shards:
        return False
    return min(leaders) >= 1 if shards >= len(p) else True


class Writer(threading.Thread):
    """SETs unique keys through every node in turn until stopped (or
    `limit` writes); records what was acknowledged and every error."""

    def __init__(self, cluster, tag, limit=20000):
        super().__init__(daemon=True)
        self.cluster, self.tag, self.limit = cluster, tag, limit
        self.acked = {}
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        clients = {}
        rng = random.Random(self.tag)
        i = 0
        while not self.stop.is_set() and i < self.limit:
            nodes = [n for n in self.cluster.running() if n.node_id not in self.avoid]
            if not nodes:
                time.sleep(0.05)
                continue
            n = rng.choice(nodes)
            key, value = "%s:%d" % (self.tag, i), "v%d" % i
            i += 1
            self.attempted = i
            try:
                c = clients.get(n.node_id)
                if c is None:
                    c = clients[n.node_id] = RawClient(n.port, timeout_s=20)
                reply = c.value("SET", key, value)
            except (OSError, ConnectionClosed):
                clients.pop(n.node_id, None)
                continue
            if reply == b"OK":
                self.acked[key] = value.encode()
            elif is_error(reply):
                self.errors.append(err_text(reply))
        for c in clients.values():
            c.close()

    avoid = ()
    attempted = 0

    def finish(self):
        self.stop.set()
        self.join(60)
        assert not self.is_alive()
        bad = [e for e in self.errors if not e.startswith(RETRYABLE)]
        assert not bad, bad[:5]
        assert len(self.acked) > 100, "too few writes went through: %d" % len(self.acked)

    def verify(self, node):
        c = node.raw(timeout_s=30)
        keys = sorted(self.acked)
        for at in range(0, len(keys), 200):
            batch = keys[at:at + 200]
            got = c.value("MGET", *batch)
            for k, v in zip(batch, got):
                assert v == self.acked[k], "acknowledged %s=%r lost (got %r)" % (
                    k, self.acked[k], v)


def digests_agree(cluster):
    """Every node's view of the whole keyspace (DIGEST over every shard,
    each shard read on the node's own replica where it has one) agrees."""
    d = set(n.local("DIGEST") for n in cluster.running())
    return len(d) == 1


def test_adding_two_nodes_under_load_moves_replicas_and_leaders(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS, raft_snapshot_entries=500)
    w = Writer(cl, "add")
    w.start()
    time.sleep(1.0)
    cl.add_node()
    wait_until(lambda: balanced(cl), 60, interval_s=0.3, what="4 nodes balanced")
    n5 = cl.add_node()
    wait_until(lambda: balanced(cl), 60, interval_s=0.3, what="5 nodes balanced")
    time.sleep(0.5)
    w.finish()
    assert len(groups_of(n5)) >= 4
    for n in cl.running():
        w.verify(n)
    wait_until(lambda: digests_agree(cl), 30, what="replicas to agree")


def test_removing_a_node_under_load_moves_its_replicas_first(cluster_factory):
    cl = cluster_factory(wait="shards", size=4, cluster_shards=SHARDS)
    wait_until(lambda: balanced(cl), 30, interval_s=0.3, what="4 nodes balanced")
    gone = cl.node(2)
    w = Writer(cl, "rm")
    w.start()
    time.sleep(0.5)
    assert cl.node(1).cmd("CLUSTER", "REMOVENODE", 2) == b"OK"
    wait_until(lambda: not groups_of(gone), 60, interval_s=0.3, what="node 2 drained")
    # every shard kept three replicas on the other nodes
    p = placement(cl)
    assert all(len(p[n]) == SHARDS for n in (1, 3, 4)), p
    # drained, it is marked removed (asking again is harmless)
    wait_until(lambda: len(cl.node(1).cmd("CLUSTER", "NODES").decode().strip().split("\n")) == 3,
               10, what="node 2 removed from the map")
    assert cl.node(3).cmd("CLUSTER", "REMOVENODE", 2) == b"OK"
    w.avoid = (2,)
    gone.stop()
    time.sleep(0.5)
    w.finish()
    for n in cl.running():
        w.verify(n)
    wait_until(lambda: digests_agree(cl), 30, what="replicas to agree")


@pytest.mark.parametrize("victim", [1, 4])
def test_kill9_during_a_move_finishes_it(cluster_factory, victim):
    """A node killed mid-move (an old replica, or the new node itself) and
    restarted: the cluster finishes the move and keeps every write."""
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS, raft_snapshot_entries=300)
    c = cl.node(1).raw()
    for at in range(0, 4000, 500):
        assert c.value("MSET", *sum((["{b%d}:%d" % (at, i), "x" * 50]
                                     for i in range(at, at + 500)), [])) == b"OK"
    w = Writer(cl, "k9", limit=3000)
    w.start()
    cl.add_node()
    # mid-move: some replica of node 4 exists but the placement is not done
    wait_until(lambda: groups_of(cl.node(4)), 30, interval_s=0.02, what="a move to start")
    v = cl.node(victim)
    v.kill9()
    w.avoid = (victim,)
    time.sleep(1.0)
    v.start()
    w.avoid = ()
    wait_until(lambda: balanced(cl), 90, interval_s=0.3, what="the moves to finish")
    w.finish()
    # acknowledged writes are all there; one cut off by the kill (no answer,
    # or an answer saying its fate is unknown) may be there too
    assert 4000 + len(w.acked) <= cl.node(2).cmd("DBSIZE") <= 4000 + w.attempted
    for n in cl.running():
        w.verify(n)
    wait_until(lambda: digests_agree(cl), 30, what="replicas to agree")


def test_replicas_stay_in_distinct_zones(cluster_factory):
    """Nodes in zones a, b, c, then a fourth in zone a: replicas move to it
    only from the other zone-a node, so every shard keeps one replica per
    zone, and the two zone-a nodes share their zone's replicas evenly."""
    cl = cluster_factory(wait="shards", zones=["a", "b", "c"], cluster_shards=SHARDS)
    w = Writer(cl, "zone", limit=2000)
    w.start()
    n4 = cl.add_node(zone="a")
    zone = {1: "a", 2: "b", 3: "c", 4: "a"}
    # asked again (its first answer lost, say): the same node is already in
    again = ["CLUSTER", "ADDNODE", 4, "127.0.0.1:%d" % n4.port, "127.0.0.1:%d" % n4.peer_port]
    assert cl.node(2).cmd(*again + ["a"]) == b"OK"
    assert "exists" in err_text(cl.node(2).cmd(*again + ["b"]))  # not the same node

    def settled():
        p = placement(cl)
        if len(p.get(4, {})) < SHARDS // 2 - 1 or not balanced_leaders(p):
            return None
        if sum(len(g) for g in p.values()) != SHARDS * 3:
            return None  # a moved replica not yet retired
        return p

    def balanced_leaders(p):
        return sum(1 for g in p.values() for r in g.values() if r == "leader") == SHARDS

    p = wait_until(lambda: settled() if cl.node(1).cmd("CLUSTER", "REBALANCE")
                   .decode().startswith("state:balanced") else None,
                   60, interval_s=0.3, what="zone-aware balance")
    w.finish()
    shards = {}
    for node, groups in p.items():
        for gid in groups:
            shards.setdefault(gid, []).append(zone[node])
    assert len(shards) == SHARDS
    for gid, zones in shards.items():
        assert sorted(zones) == ["a", "b", "c"], (gid, zones)
    assert len(p[2]) == SHARDS and len(p[3]) == SHARDS, p
    assert abs(len(p[1]) - len(p[4])) <= 1, p
    for n in cl.running():
        w.verify(n)
