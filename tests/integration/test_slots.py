"""CLUSTER KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT and HELP, against a
real redis-server started with cluster support and owning every slot (the
reference for the slot function, the counts and the replies), and on a
3-node polis cluster.

polis answers these on every node, clustered or not (a key's slot does not
depend on the cluster's state); redis-server answers them only with
cluster-enabled, so the tests that ask the server under test are polis_only
and the reference is always a cluster-enabled redis-server.
"""

import os
import random
import time

import pytest
import redis

from conftest import REDIS_BIN, Server, ServerError
from polis_env import free_port


@pytest.fixture(scope="module")
def redis_cluster_ref():
    if not os.path.exists(REDIS_BIN):
        pytest.skip("reference %s not installed" % REDIS_BIN)
    # an explicit cluster bus port: the default (port + 10000) may be taken
    # or above 65535
    srv = Server(REDIS_BIN, config={"cluster_enabled": "yes", "cluster_port": free_port()},
                 name="redis-cluster-ref")
    try:
        srv.start()
    except (ServerError, OSError) as e:
        pytest.fail("cannot start the reference %s: %s" % (REDIS_BIN, e), pytrace=False)
    ref = srv.client()
    ref.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
    deadline = time.monotonic() + 10
    while b"cluster_state:ok" not in ref.execute_command("CLUSTER", "INFO"):
        assert time.monotonic() < deadline, "the reference cluster did not come up"
        time.sleep(0.05)
    yield srv
    srv.stop()
    srv.cleanup()


def random_key(rng):
    """Short keys over an alphabet rich in braces, so that tags, empty tags,
    nested and unclosed braces all come up; sometimes arbitrary bytes."""
    if rng.random() < 0.2:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 24)))
    return bytes(rng.choice(b"ab{}{}x\x00") for _ in range(rng.randrange(0, 12)))


def reply_or_error(client, *args):
    try:
        return client.execute_command(*args)
    except redis.ResponseError as e:
        return "error: %s" % e


@pytest.mark.polis_only
def test_keyslot_agrees_with_redis_cluster(r, redis_cluster_ref):
    ref = redis_cluster_ref.client()
    rng = random.Random(1)
    keys = [b"", b"somekey", b"foo{hash_tag}", b"{user1000}.following", b"foo{}{bar}",
            b"foo{{bar}}zap", b"foo{bar}{zap}", b"{", b"}", b"{}", b"}{a}"]
    keys += [random_key(rng) for _ in range(3000)]
    pipe_ours, pipe_ref = r.pipeline(transaction=False), ref.pipeline(transaction=False)
    for k in keys:
        pipe_ours.execute_command("CLUSTER", "KEYSLOT", k)
        pipe_ref.execute_command("CLUSTER", "KEYSLOT", k)
    ours, theirs = pipe_ours.execute(), pipe_ref.execute()
    mismatches = [(k, a, b) for k, a, b in zip(keys, ours, theirs) if a != b]
    assert mismatches == []
    assert all(0 <= s < 16384 for s in ours)


@pytest.mark.polis_only
@pytest.mark.parametrize("args", [
    ("CLUSTER", "COUNTKEYSINSLOT", "x"),
    ("CLUSTER", "COUNTKEYSINSLOT", "-1"),
    ("CLUSTER", "COUNTKEYSINSLOT", "16384"),
    ("CLUSTER", "COUNTKEYSINSLOT", "1.5"),
    ("CLUSTER", "COUNTKEYSINSLOT"),
    ("CLUSTER", "COUNTKEYSINSLOT", "5"),
    ("CLUSTER", "GETKEYSINSLOT", "x", "1"),
    ("CLUSTER", "GETKEYSINSLOT", "1", "x"),
    ("CLUSTER", "GETKEYSINSLOT", "-1", "-1"),
    ("CLUSTER", "GETKEYSINSLOT", "1", "-1"),
    ("CLUSTER", "GETKEYSINSLOT", "16384", "1"),
    ("CLUSTER", "GETKEYSINSLOT", "0", "99999999999999999999"),
    ("CLUSTER", "GETKEYSINSLOT", "0"),
    ("CLUSTER", "KEYSLOT"),
    ("CLUSTER", "KEYSLOT", "a", "b"),
    ("CLUSTER", "NOSUCHSUBCOMMAND"),
    ("CLUSTER",),
])
def test_errors_match_redis_cluster(r, redis_cluster_ref, args):
    ref = redis_cluster_ref.client()
    assert reply_or_error(r, *args) == reply_or_error(ref, *args)


@pytest.mark.polis_only
def test_help_lists_keyslot(r):
    lines = r.execute_command("CLUSTER", "HELP")
    assert lines[0].startswith(b"CLUSTER <subcommand>")
    assert b"KEYSLOT <key>" in lines
    assert b"HELP" in lines


@pytest.mark.polis_only
def test_counts_and_keys_per_slot_agree_with_redis_cluster(r, redis_cluster_ref):
    ref = redis_cluster_ref.client()
    ref.flushall()
    rng = random.Random(2)
    # many keys over few slots (hash tags) and some spread over all slots,
    # with a TTL on some, deletes, and renames (within a slot: a cluster-
    # enabled redis-server refuses cross-slot ones)
    keys = ["{t%d}:%d" % (rng.randrange(20), i) for i in range(1500)]
    keys += ["spread:%d" % i for i in range(1500)]
    for client in (r, ref):
        pipe = client.pipeline(transaction=False)
        for i, k in enumerate(keys):
            pipe.set(k, i)
            if i % 7 == 0:
                pipe.expire(k, 1000)
        for k in keys[::5]:
            pipe.delete(k)
        for i in range(1, 1500, 11):
            if i % 5:
                pipe.rename(keys[i], keys[i] + ":moved")
        pipe.execute()
    slots = sorted({r.execute_command("CLUSTER", "KEYSLOT", k) for k in keys} | {0, 16383})
    replies = []
    for client in (r, ref):
        pipe = client.pipeline(transaction=False)
        for s in slots:
            pipe.execute_command("CLUSTER", "COUNTKEYSINSLOT", s)
            pipe.execute_command("CLUSTER", "GETKEYSINSLOT", s, 100000)
        replies.append(pipe.execute())
    ours, theirs = replies
    assert ours[0::2] == theirs[0::2]  # counts per slot
    assert [sorted(x) for x in ours[1::2]] == [sorted(x) for x in theirs[1::2]]
    assert sum(ours[0::2]) == r.dbsize()
    # a count limits the keys returned
    busy = slots[max(range(len(slots)), key=lambda i: ours[2 * i])]
    assert len(r.execute_command("CLUSTER", "GETKEYSINSLOT", busy, 3)) == 3
    assert r.execute_command("CLUSTER", "GETKEYSINSLOT", busy, 0) == []
    ref.flushall()


@pytest.mark.polis_only
def test_counts_agree_on_every_node_of_a_cluster(cluster_factory):
    cluster = cluster_factory()
    lead = cluster.leader()
    conn = lead.raw()
    for i in range(200):
        assert conn.value("SET", "{user7}:%d" % i, "v") == b"OK"
    conn.value("DEL", "{user7}:0")
    slot = conn.value("CLUSTER", "KEYSLOT", "user7")
    # linearizable reads: every node sees the acknowledged writes at once
    for n in cluster.nodes:
        c = n.raw()
        assert c.value("CLUSTER", "COUNTKEYSINSLOT", slot) == 199
        got = c.value("CLUSTER", "GETKEYSINSLOT", slot, 1000)
        assert sorted(got) == sorted(b"{user7}:%d" % i for i in range(1, 200))


@pytest.mark.polis_only
@pytest.mark.parametrize("name", ["CLUSTER|KEYSLOT", "CLUSTER|HELP", "CLUSTER|COUNTKEYSINSLOT",
                                  "CLUSTER|GETKEYSINSLOT"])
def test_command_info_matches_redis_cluster(r, redis_cluster_ref, name):
    """Everything but the tips (polis does not emit COMMAND INFO tips)."""
    ref = redis_cluster_ref.client()
    ours = r.execute_command("COMMAND", "INFO", name)
    theirs = ref.execute_command("COMMAND", "INFO", name)
    for info in (ours, theirs):
        for doc in info.values():
            doc.pop("tips")
    assert ours == theirs
