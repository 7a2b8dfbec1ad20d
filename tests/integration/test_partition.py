"""Partitioning: 16384 slots over many shards (Raft groups), the meta group,
routing on any node, fan-out, CROSSSLOT, cluster-aware clients.

Real polis processes on loopback; redis-py's RedisCluster and redis-cli -c
as the cluster-aware clients (docs/design/009-partitioning.md)."""

import random
import shutil
import subprocess

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster

from cluster_util import err_text, parse_info, wait_until
from resp_raw import RespError

pytestmark = pytest.mark.polis_only

SHARDS = 8


def shard_keys(node):
    """{group id: keys} of the shards' groups a node holds (INFO replication)."""
    out = {}
    for k, v in node.info().items():
        if k.startswith("group_") and k != "group_0":
            fields = dict(f.split("=", 1) for f in v.split(","))
            out[int(k[len("group_"):])] = int(fields["keys"])
    return out


def slot_map(client):
    """CLUSTER SLOTS as [(first, last, serving port)], sorted."""
    return sorted((e[0], e[1], e[2][1]) for e in client.value("CLUSTER", "SLOTS"))


def keys_in_distinct_shards(client, count):
    """`count` keys whose slots belong to distinct shards."""
    ranges = slot_map(client)
    picked, used = [], set()
    i = 0
    while len(picked) < count:
        key = "key:%d" % i
        i += 1
        slot = client.value("CLUSTER", "KEYSLOT", key)
        shard = next(n for n, (a, b, _) in enumerate(ranges) if a <= slot <= b)
        if shard not in used:
            used.add(shard)
            picked.append(key)
    return picked


@pytest.fixture
def sharded(cluster_factory):
    return cluster_factory(wait="shards", cluster_shards=SHARDS)


def test_slots_cover_the_keyspace_once(sharded):
    """CLUSTER SLOTS: SHARDS ranges, contiguous from 0 to 16383, each with
    every node (R = 3 on 3 nodes) and agreeing on every node."""
    maps = [slot_map(n.raw()) for n in sharded.nodes]
    ranges = [(a, b) for a, b, _ in maps[0]]
    assert len(ranges) == SHARDS
    assert ranges[0][0] == 0 and ranges[-1][1] == 16383
    for (a1, b1), (a2, b2) in zip(ranges, ranges[1:]):
        assert a2 == b1 + 1
    for m in maps[1:]:
        assert [(a, b) for a, b, _ in m] == ranges
    entry = sharded.nodes[0].raw().value("CLUSTER", "SLOTS")[0]
    ports = sorted(e[1] for e in entry[2:])
    assert ports == sorted(n.port for n in sharded.nodes)
    info = parse_info(sharded.nodes[1].cmd("CLUSTER", "INFO"))
    assert info["cluster_state"] == "ok" and info["cluster_slots_assigned"] == "16384"
    assert info["cluster_shards"] == str(SHARDS) and info["cluster_known_nodes"] == "3"


def test_myid_nodes_and_shards_describe_the_same_cluster(sharded):
    ids = [n.cmd("CLUSTER", "MYID") for n in sharded.nodes]
    assert len(set(ids)) == 3 and all(len(i) == 40 for i in ids)
    lines = sharded.nodes[0].cmd("CLUSTER", "NODES").decode().strip().split("\n")
    assert len(lines) == 3
    served = 0
    for line in lines:
        f = line.split(" ")
        assert f[0].encode() in ids
        assert ("myself" in f[2]) == (f[0].encode() == ids[0])
        for r in f[8:]:
            a, _, b = r.partition("-")
            served += int(b or a) - int(a) + 1
    assert served == 16384  # every slot shown once, at its serving node
    shards = sharded.nodes[2].cmd("CLUSTER", "SHARDS")
    assert len(shards) == SHARDS
    for s in shards:
        d = dict(zip(s[::2], s[1::2]))
        roles = sorted(dict(zip(n[::2], n[1::2]))[b"role"] for n in d[b"nodes"])
        assert roles == [b"master", b"replica", b"replica"]


def test_data_spreads_over_every_shard_and_any_node_serves_any_key(sharded):
    writers = [n.raw() for n in sharded.nodes]
    for i in range(400):
        assert writers[i % 3].value("SET", "user:%d" % i, "v%d" % i) == b"OK"
    for n in sharded.nodes:
        c = n.raw()
        for i in random.Random(7).sample(range(400), 60):
            assert c.value("GET", "user:%d" % i) == b"v%d" % i
        assert c.value("DBSIZE") == 400
    wait_until(lambda: all(sum(shard_keys(n).values()) == 400 for n in sharded.nodes), 10,
               what="every replica to apply")
    per_shard = shard_keys(sharded.nodes[0])
    assert len(per_shard) == SHARDS
    assert all(k > 0 for k in per_shard.values()), per_shard


def test_multi_key_commands_fan_out_or_refuse(sharded):
    c = sharded.nodes[1].raw()
    keys = keys_in_distinct_shards(c, 4)
    for k in keys:
        assert c.value("SET", k, k.upper()) == b"OK"
    assert c.value("MGET", keys[2], "missing", keys[0], keys[3], keys[1]) == [
        keys[2].upper().encode(), None, keys[0].upper().encode(), keys[3].upper().encode(),
        keys[1].upper().encode()]
    assert c.value("EXISTS", *keys, keys[0], "missing") == 5
    assert c.value("TOUCH", *keys) == 4
    # atomic multi-key commands across shards are refused...
    err = c.value("MSET", keys[0], "a", keys[1], "b")
    assert isinstance(err, RespError) and err_text(err).startswith("CROSSSLOT")
    assert isinstance(c.value("RENAME", keys[0], keys[1]), RespError)
    assert c.value("MGET", keys[0], keys[1]) == [keys[0].upper().encode(),
                                                  keys[1].upper().encode()]
    # ...and work within one slot (hash tags)
    assert c.value("MSET", "{t}a", "1", "{t}b", "2") == b"OK"
    assert c.value("MGET", "{t}a", "{t}b") == [b"1", b"2"]
    assert c.value("DEL", keys[0], keys[1], "missing") == 2
    assert c.value("UNLINK", keys[2], keys[3], "{t}a") == 3
    assert c.value("DBSIZE") == 1


def test_keys_scan_dbsize_flushall_cover_every_shard(sharded):
    c = sharded.nodes[2].raw()
    names = ["s:%d" % i for i in range(300)]
    for k in names:
        assert c.value("SET", k, "x") == b"OK"
    assert sorted(c.value("KEYS", "s:*")) == sorted(k.encode() for k in names)
    seen, cursor, rounds = set(), b"0", 0
    while True:
        cursor, batch = c.value("SCAN", cursor, "COUNT", "7")
        seen.update(batch)
        rounds += 1
        assert rounds < 2000
        if cursor == b"0":
            break
    assert seen == set(k.encode() for k in names)
    assert c.value("RANDOMKEY") in seen
    assert c.value("DBSIZE") == 300
    info = parse_info(c.value("INFO", "keyspace"))
    assert info["db0"].startswith("keys=300,")
    assert c.value("FLUSHALL") == b"OK"
    assert c.value("DBSIZE") == 0
    assert c.value("KEYS", "*") == []
    assert c.value("RANDOMKEY") is None
    assert c.value("SCAN", "0")[1] == []


def test_counts_per_slot_on_any_node(sharded):
    c = sharded.nodes[0].raw()
    for i in range(50):
        assert c.value("SET", "{slot}:%d" % i, "x") == b"OK"
    slot = c.value("CLUSTER", "KEYSLOT", "{slot}")
    for n in sharded.nodes:
        assert n.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 50
        assert len(n.cmd("CLUSTER", "GETKEYSINSLOT", slot, 100)) == 50


def test_redis_py_cluster_client_end_to_end(cluster_factory):
    """redis-py's RedisCluster against the shard leaders, with -MOVED
    redirects on: it reads CLUSTER SLOTS, sends each command to the slot's
    node and follows redirects."""
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS, cluster_redirect="yes")
    rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", cl.nodes[0].port)],
                      socket_timeout=15)
    try:
        for i in range(300):
            assert rc.set("rc:%d" % i, i)
        assert [int(v) for v in rc.mget_nonatomic(["rc:%d" % i for i in range(300)])] == \
            list(range(300))
        assert rc.incr("rc:7") == 8
        assert rc.hset("rc:h", mapping={"a": 1, "b": 2}) == 2
        assert rc.hgetall("rc:h") == {b"a": b"1", b"b": b"2"}
        pipe = rc.pipeline()
        for i in range(20):
            pipe.get("rc:%d" % i)
        assert [int(v) for v in pipe.execute()] == [i if i != 7 else 8 for i in range(20)]
        assert rc.dbsize() == 301
        assert sum(1 for _ in rc.scan_iter("rc:*", count=50)) == 301
        assert rc.delete("rc:0") == 1 and rc.get("rc:0") is None
    finally:
        rc.close()


def test_redirect_mode_answers_moved_to_the_serving_node(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS, cluster_redirect="yes")
    c = cl.nodes[0].raw()
    ranges = slot_map(c)
    me = cl.nodes[0].port
    # a key in a range served by another node gets -MOVED; one served here runs
    moved = served = 0
    for i in range(200):
        key = "m:%d" % i
        slot = c.value("CLUSTER", "KEYSLOT", key)
        port = next(p for a, b, p in ranges if a <= slot <= b)
        reply = c.value("SET", key, "v")
        if port == me:
            assert reply == b"OK"
            served += 1
        else:
            assert isinstance(reply, RespError)
            assert err_text(reply) == "MOVED %d 127.0.0.1:%d" % (slot, port)
            moved += 1
    assert served > 0 and moved > 0


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli not installed")
def test_redis_cli_follows_moved(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS, cluster_redirect="yes")
    port = str(cl.nodes[0].port)
    for i in range(20):
        out = subprocess.run(["redis-cli", "-c", "-p", port, "SET", "cli:%d" % i, str(i)],
                             capture_output=True, timeout=30, check=True).stdout
        assert out.strip() == b"OK"
    for i in range(20):
        out = subprocess.run(["redis-cli", "-c", "-p", port, "GET", "cli:%d" % i],
                             capture_output=True, timeout=30, check=True).stdout
        assert out.strip() == str(i).encode()


def test_five_nodes_three_replicas_route_to_shards_elsewhere(cluster_factory):
    """With R = 3 on 5 nodes every node lacks some shards: it forwards
    writes to their leaders and reads to a replica."""
    cl = cluster_factory(wait="shards", size=5, cluster_shards=10, cluster_replicas=3)
    held = {n.node_id: set(shard_keys(n)) for n in cl.nodes}
    assert all(len(h) == 6 for h in held.values()), held  # 10 shards x 3 / 5
    for n in cl.nodes:
        c = n.raw()
        for i in range(60):
            assert c.value("SET", "f:%d:%d" % (n.node_id, i), i) == b"OK"
    for n in cl.nodes:
        c = n.raw()
        assert c.value("DBSIZE") == 300
        for m in cl.nodes:
            assert c.value("GET", "f:%d:17" % m.node_id) == b"17"
        assert len(c.value("KEYS", "f:*")) == 300


def test_shards_survive_a_full_restart(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=4)
    c = cl.nodes[0].raw()
    for i in range(200):
        assert c.value("SET", "d:%d" % i, i) == b"OK"
    before = slot_map(c)
    for n in cl.nodes:
        n.kill9()
    for n in cl.nodes:
        n.start()
    cl.wait_shards(30)
    c = cl.nodes[1].raw()
    assert [(a, b) for a, b, _ in slot_map(c)] == [(a, b) for a, b, _ in before]
    assert c.value("DBSIZE") == 200
    for i in range(0, 200, 13):
        assert c.value("GET", "d:%d" % i) == str(i).encode()


def test_a_leader_lost_moves_every_shard_it_led(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS)
    c = cl.nodes[0].raw()
    for i in range(100):
        assert c.value("SET", "x:%d" % i, i) == b"OK"
    victim = max(cl.nodes, key=lambda n: sum(1 for v in n.info().values()
                                             if "role=leader" in v))
    victim.kill9()
    rest = [n for n in cl.nodes if n is not victim]
    cl.wait_shards(20, nodes=rest)
    c = rest[0].raw()
    for i in range(100):
        assert c.value("INCR", "x:%d" % i) == i + 1
    assert rest[1].cmd("DBSIZE") == 100


def test_cluster_create_forms_the_shards_on_command(cluster_factory):
    cl = cluster_factory(wait=None, cluster_shards=0, cluster_leader_wait_ms=300)
    c = cl.nodes[0].raw()
    err = c.value("SET", "k", "v")
    assert isinstance(err, RespError) and "no shards" in err_text(err)
    assert parse_info(c.value("CLUSTER", "INFO"))["cluster_state"] == "fail"
    bad = c.value("CLUSTER", "CREATE", "0")
    assert isinstance(bad, RespError) and "usage" in err_text(bad)
    wait_until(lambda: "3" == parse_info(c.value("CLUSTER", "INFO"))["cluster_known_nodes"],
               10, what="every node registered")
    assert cl.nodes[2].cmd("CLUSTER", "CREATE", "6", "2") == b"OK"
    again = c.value("CLUSTER", "CREATE", "6")
    # refused: by the receiving node, or by the meta state if its map lags
    assert isinstance(again, RespError) and "shards" in err_text(again)
    cl.wait_shards(20)
    entries = c.value("CLUSTER", "SLOTS")
    assert len(entries) == 6 and all(len(e) == 4 for e in entries)  # R = 2
    assert c.value("SET", "k", "v") == b"OK"
    assert cl.nodes[1].cmd("GET", "k") == b"v"


def test_standalone_node_has_no_cluster_topology(r):
    for sub in ("SLOTS", "SHARDS", "NODES", "INFO", "MYID"):
        with pytest.raises(redis.ResponseError, match="cluster support disabled"):
            r.execute_command("CLUSTER", sub)
