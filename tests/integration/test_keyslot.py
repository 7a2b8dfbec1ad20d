"""CLUSTER KEYSLOT and CLUSTER HELP, against a real redis-server started
with cluster support (the reference for the slot function and the replies).

polis answers CLUSTER KEYSLOT on every node, clustered or not (the slot of a
key does not depend on the cluster's state); redis-server answers it only
with cluster-enabled, so the tests that ask the server under test are
polis_only and the reference is always a cluster-enabled redis-server.
"""

import os
import random

import pytest
import redis

from conftest import REDIS_BIN, Server, ServerError


@pytest.fixture(scope="module")
def redis_cluster_ref():
    if not os.path.exists(REDIS_BIN):
        pytest.skip("reference %s not installed" % REDIS_BIN)
    srv = Server(REDIS_BIN, config={"cluster_enabled": "yes"}, name="redis-cluster-ref")
    try:
        srv.start()
    except (ServerError, OSError) as e:
        pytest.fail("cannot start the reference %s: %s" % (REDIS_BIN, e), pytrace=False)
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
@pytest.mark.parametrize("name", ["CLUSTER|KEYSLOT", "CLUSTER|HELP"])
def test_command_info_matches_redis_cluster(r, redis_cluster_ref, name):
    ref = redis_cluster_ref.client()
    ours = r.execute_command("COMMAND", "INFO", name)
    theirs = ref.execute_command("COMMAND", "INFO", name)
    assert ours == theirs
