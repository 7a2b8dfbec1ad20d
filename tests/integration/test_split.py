"""Shard splits: a shard's upper slots become a new shard on the same
replicas through one entry in the parent's log (no key copied), on
CLUSTER SPLIT or past the split threshold; keys stay readable throughout,
a kill -9 mid-split leaves a cluster that finishes it, and the new shard
moves like any other (docs/design/009-partitioning.md, "Split").

Real processes on loopback; writers and readers are bounded in count and
time and stop by themselves."""

import random
import threading
import time

import pytest

from cluster_util import err_text, is_error, wait_until
from resp_raw import ConnectionClosed, RawClient
from test_membership import Writer, balanced, digests_agree, groups_of

pytestmark = pytest.mark.polis_only

RETRYABLE = ("TRYAGAIN", "MOVED")
PRELOAD = 3000


def slot_ranges(node):
    """CLUSTER SLOTS as sorted [(first, last)]."""
    return sorted((e[0], e[1]) for e in node.cmd("CLUSTER", "SLOTS"))


def preload(node, tag, count=PRELOAD):
    c = node.raw()
    keys = {}
    for at in range(0, count, 250):
        batch = ["%s:%d" % (tag, i) for i in range(at, min(count, at + 250))]
        for k in batch:
            keys[k] = ("p" + k).encode()
        # MSET keys of many slots: one command per key keeps it single-shard
        for k in batch:
            assert c.value("SET", k, keys[k]) == b"OK"
    return keys


class Reader(threading.Thread):
    """GETs preloaded keys through every node in turn until stopped: every
    answer is the key's value or a retryable error, never nil."""

    def __init__(self, cluster, keys):
        super().__init__(daemon=True)
        self.cluster, self.keys = cluster, sorted(keys.items())
        self.reads, self.errors, self.wrong = 0, [], []
        self.stop = threading.Event()
        self.avoid = ()

    def run(self):
        clients = {}
        rng = random.Random(7)
        while not self.stop.is_set() and self.reads < 50000:
            nodes = [n for n in self.cluster.running() if n.node_id not in self.avoid]
            if not nodes:
                time.sleep(0.05)
                continue
            n = rng.choice(nodes)
            k, v = rng.choice(self.keys)
            try:
                c = clients.get(n.node_id)
                if c is None:
                    c = clients[n.node_id] = RawClient(n.port, timeout_s=20)
                got = c.value("GET", k)
            except (OSError, ConnectionClosed):
                clients.pop(n.node_id, None)
                continue
            self.reads += 1
            if is_error(got):
                self.errors.append(err_text(got))
            elif got != v:
                self.wrong.append((k, v, got))
        for c in clients.values():
            c.close()

    def finish(self):
        self.stop.set()
        self.join(60)
        assert not self.is_alive()
        assert not self.wrong, self.wrong[:5]
        bad = [e for e in self.errors if not e.startswith(RETRYABLE)]
        assert not bad, bad[:5]
        assert self.reads > 100, "too few reads: %d" % self.reads


def verify(node, keys):
    c = node.raw(timeout_s=30)
    names = sorted(keys)
    for at in range(0, len(names), 200):
        batch = names[at:at + 200]
        got = c.value("MGET", *batch)
        for k, v in zip(batch, got):
            assert v == keys[k], "%s=%r lost (got %r)" % (k, keys[k], v)


def split_done(cluster, child, shards):
    """Every running node runs the child's group with a leader, and the
    map has `shards` shards."""
    for n in cluster.running():
        if len(slot_ranges(n)) != shards:
            return False
        info = n.info()
        v = info.get("group_%d" % child)
        if v is None or ",leader=0," in "," + v + ",":
            return False
    return True


def group_keys(node, group):
    v = node.info().get("group_%d" % group)
    return int(dict(f.split("=", 1) for f in v.split(","))["keys"]) if v else None


def test_split_under_load_keeps_keys_readable(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=2)
    n1 = cl.node(1)
    keys = preload(n1, "pre")
    before = slot_ranges(n1)
    assert before == [(0, 8191), (8192, 16383)]
    w = Writer(cl, "sw", limit=6000)
    r = Reader(cl, keys)
    w.start()
    r.start()
    time.sleep(0.5)
    child = n1.cmd("CLUSTER", "SPLIT", 1)
    assert child == 3
    wait_until(lambda: split_done(cl, 3, 3), 30, interval_s=0.1, what="the split to finish")
    assert slot_ranges(n1) == [(0, 4095), (4096, 8191), (8192, 16383)]
    time.sleep(0.5)
    w.finish()
    r.finish()
    # both halves serve: writes to keys of each land in their own group
    c = n1.raw()
    low = next(k for k in ("x%d" % i for i in range(1000))
               if c.value("CLUSTER", "KEYSLOT", k) < 4096)
    high = next(k for k in ("x%d" % i for i in range(1000))
                if 4096 <= c.value("CLUSTER", "KEYSLOT", k) < 8192)
    assert c.value("SET", low, "l") == b"OK" and c.value("SET", high, "h") == b"OK"
    assert c.value("GET", low) == b"l" and c.value("GET", high) == b"h"
    # the child holds keys, no replica lost any, the halves add up
    wait_until(lambda: group_keys(n1, 3) and group_keys(n1, 1), 10, what="both halves")
    # writes answered "may or may not have been applied" may be there too
    total = PRELOAD + len(w.acked) + 2
    maybe = sum(1 for e in w.errors if "may or may not" in e)
    assert total <= n1.cmd("DBSIZE") <= total + maybe
    for n in cl.running():
        verify(n, keys)
        w.verify(n)
    wait_until(lambda: digests_agree(cl), 30, what="replicas to agree")
    # CLUSTER SHARDS lists the new shard
    assert len(n1.cmd("CLUSTER", "SHARDS")) == 3


def test_auto_split_past_the_key_threshold(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=1)
    n2 = cl.node(2)
    assert n2.cmd("CLUSTER", "SETSPLIT", 1500) == b"OK"
    keys = preload(n2, "auto", count=2000)
    wait_until(lambda: len(slot_ranges(n2)) >= 2, 20, interval_s=0.1, what="an automatic split")
    wait_until(lambda: split_done(cl, 2, len(slot_ranges(n2))), 30, interval_s=0.1,
               what="the split to finish")
    # each half is under the threshold: no further split
    assert n2.cmd("CLUSTER", "SETSPLIT", 0) == b"OK"
    for n in cl.running():
        verify(n, keys)
    assert n2.cmd("DBSIZE") == len(keys)
    wait_until(lambda: digests_agree(cl), 30, what="replicas to agree")


def test_auto_split_past_the_byte_threshold_halves_the_keys(cluster_factory):
    """Keys only in the lowest quarter of the slots, 1 KiB values: past the
    byte threshold (estimated from sampled keys) the shard splits where its
    keys are halved, not its slots, so both halves hold keys."""
    cl = cluster_factory(wait="shards", cluster_shards=1)
    n2 = cl.node(2)
    c = n2.raw()
    keys, i = {}, 0
    while len(keys) < 1500:
        k = "bytes:%d" % i
        i += 1
        if c.value("CLUSTER", "KEYSLOT", k) < 4096:
            keys[k] = ("v%d" % i).encode() * (1024 // len("v%d" % i) + 1)
            assert c.value("SET", k, keys[k]) == b"OK"
    assert n2.cmd("CLUSTER", "SETSPLIT", 0, 1 << 20) == b"OK"  # 1 MiB; ~1.5 MiB here
    wait_until(lambda: len(slot_ranges(n2)) == 2, 20, interval_s=0.1, what="an automatic split")
    assert n2.cmd("CLUSTER", "SETSPLIT", 0, 0) == b"OK"
    wait_until(lambda: split_done(cl, 2, 2), 30, interval_s=0.1, what="the split to finish")
    (lo, hi) = slot_ranges(n2)
    assert lo[0] == 0 and hi[1] == 16383 and 0 < hi[0] < 4096, (lo, hi)
    wait_until(lambda: group_keys(n2, 1) is not None and group_keys(n2, 2) is not None, 10,
               what="both shards here")
    k1, k2 = group_keys(n2, 1), group_keys(n2, 2)
    assert k1 + k2 == len(keys) and min(k1, k2) > len(keys) // 4, (k1, k2)
    for n in cl.running():
        verify(n, keys)


def born_on(node, child):
    return "group %d: born of" % child in node.log_text()


@pytest.mark.parametrize("who", ["replica", "leader", "replica-after-birth"])
def test_kill9_right_after_a_split_is_requested(cluster_factory, who):
    """A replica or the parent's leader killed as the split is requested,
    or a replica killed once it made the child: restarted, the split
    finishes everywhere and every write is there."""
    # a write to the child's slots may wait for two elections: the parent's
    # (its leader died) and then the child's
    cl = cluster_factory(wait="shards", cluster_shards=2, raft_snapshot_entries=400,
                         cluster_leader_wait_ms=5000)
    n1 = cl.node(1)
    keys = preload(n1, "k9", count=2000)
    w = Writer(cl, "k9w", limit=4000)
    w.start()
    time.sleep(0.3)
    leader = next(n for n in cl.running() if groups_of(n).get(1) == "leader")
    victim = leader if who == "leader" else next(n for n in cl.running() if n is not leader)
    asker = next(n for n in cl.running() if n is not victim)
    child = asker.cmd("CLUSTER", "SPLIT", 1)
    assert child == 3
    if who == "replica-after-birth":
        wait_until(lambda: born_on(victim, 3), 10, interval_s=0.01, what="the child here")
    victim.kill9()
    w.avoid = (victim.node_id,)
    time.sleep(1.0)
    victim.start()
    w.avoid = ()
    wait_until(lambda: split_done(cl, 3, 3), 45, interval_s=0.2, what="the split to finish")
    time.sleep(0.3)
    w.finish()
    for n in cl.running():
        verify(n, keys)
        w.verify(n)
    # acknowledged writes are there; unacknowledged ones (to the node that
    # died, or "may or may not have been applied") may be
    assert n1.cmd("DBSIZE") >= len(keys) + len(w.acked)
    wait_until(lambda: digests_agree(cl), 30, what="replicas to agree")
    # the parent kept nothing of the child's slots on any replica
    for n in cl.running():
        assert n.local("CLUSTER", "COUNTKEYSINSLOT", 5000) == n1.cmd(
            "CLUSTER", "COUNTKEYSINSLOT", 5000)


def test_the_new_shard_moves_to_a_new_node(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=2)
    n1 = cl.node(1)
    keys = preload(n1, "mv", count=1500)
    assert n1.cmd("CLUSTER", "SPLIT", 2) == 3
    wait_until(lambda: split_done(cl, 3, 3), 30, interval_s=0.1, what="the split to finish")
    n4 = cl.add_node()
    wait_until(lambda: balanced(cl, shards=3), 60, interval_s=0.3, what="4 nodes balanced")
    # node 1 leaves: every shard it holds, the new one included, moves to 4
    assert n1.cmd("CLUSTER", "REMOVENODE", 1) == b"OK"
    wait_until(lambda: not groups_of(n1), 60, interval_s=0.3, what="node 1 drained")
    assert 3 in groups_of(n4), groups_of(n4)
    n1.stop()
    for n in cl.running():
        verify(n, keys)
    wait_until(lambda: digests_agree(cl), 30, what="replicas to agree")
