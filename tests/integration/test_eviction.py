"""maxmemory and eviction on a standalone node: each policy evicts the keys it
should and keeps memory bounded; noeviction refuses writes that may grow
memory with -OOM; INFO's used_memory tracks the allocator.

The limits are set relative to the memory the server uses when the test
starts (INFO used_memory), so they do not depend on the build (ASan or not).
These tests also pass against redis-server 7.0 except where marked
polis_only (allocator_allocated is polis's own INFO field).
"""

import time

import pytest
import redis

VALUE = b"v" * 200
LIMIT_EXTRA = 2 * 1024 * 1024  # bytes above the starting usage


def used(r):
    return r.info("memory")["used_memory"]


def set_limit(r, policy, extra=LIMIT_EXTRA):
    limit = used(r) + extra
    r.config_set("maxmemory-policy", policy)
    r.config_set("maxmemory", str(limit))
    return limit


def fill(r, prefix, count, ttl=None, pipeline_size=200):
    """Writes count keys; returns how many writes were refused with OOM."""
    refused = 0
    for start in range(0, count, pipeline_size):
        p = r.pipeline(transaction=False)
        for i in range(start, min(count, start + pipeline_size)):
            if ttl is None:
                p.set(b"%s:%d" % (prefix, i), VALUE)
            else:
                p.set(b"%s:%d" % (prefix, i), VALUE, ex=ttl)
        for res in p.execute(raise_on_error=False):
            if isinstance(res, redis.ResponseError):
                assert str(res).startswith("OOM command not allowed"), res
                refused += 1
    return refused


def evicted(r):
    return r.info("stats")["evicted_keys"]


def fill_no_eviction(r, prefix, count, ttl=None):
    ev = evicted(r)
    assert fill(r, prefix, count, ttl) == 0
    assert evicted(r) == ev, "the limit is too low for the test's first keys"


def fill_until_evicted(r, prefix, evictions, ttl=None, batch=100):
    """Writes new keys until `evictions` more keys have been evicted."""
    target = evicted(r) + evictions
    i = 0
    while evicted(r) < target:
        p = r.pipeline(transaction=False)
        for _ in range(batch):
            p.set(b"%s:%d" % (prefix, i), VALUE, ex=ttl)
            i += 1
        assert not any(isinstance(x, redis.ResponseError) for x in p.execute(raise_on_error=False))
        assert i < 10000000


def surviving(r, prefix, count):
    p = r.pipeline(transaction=False)
    for i in range(count):
        p.exists(b"%s:%d" % (prefix, i))
    return sum(p.execute())


def test_noeviction_refuses_writes_that_grow_memory(r):
    limit = set_limit(r, "noeviction")
    refused = fill(r, b"k", 30000)
    assert refused > 0
    assert evicted(r) == 0
    with pytest.raises(redis.ResponseError, match="^OOM command not allowed when used memory > 'maxmemory'.$"):
        r.set(b"one-more", VALUE)
    # Reads, and writes that free memory, still work.
    assert r.get(b"k:0") == VALUE
    assert r.delete(b"k:0") == 1
    assert used(r) <= limit + 64 * 1024
    r.config_set("maxmemory", "0")
    assert r.set(b"one-more", VALUE)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_keep_memory_bounded(r, policy):
    limit = set_limit(r, policy)
    assert fill(r, b"k", 40000) == 0  # evictions make room: nothing refused
    assert evicted(r) > 0
    assert used(r) <= limit + 64 * 1024
    assert 0 < r.dbsize() < 40000


# The next three tests write old keys, make half of them valuable (recent,
# frequent, or long-lived), set a limit just above what they use, then write
# new keys until three quarters as many keys as there are non-valuable ones
# have been evicted: a policy that works evicts those and keeps nearly all
# valuable ones.
JUST_ABOVE = 256 * 1024


def test_allkeys_lru_evicts_the_least_recently_used(r):
    r.config_set("maxmemory-samples", "10")
    fill_no_eviction(r, b"cold", 2000)
    fill_no_eviction(r, b"hot", 2000)
    time.sleep(2.2)  # the LRU clock has a resolution of one second
    for i in range(2000):
        r.get(b"hot:%d" % i)
    set_limit(r, "allkeys-lru", extra=JUST_ABOVE)
    fill_until_evicted(r, b"new", 1500)
    cold, hot = surviving(r, b"cold", 2000), surviving(r, b"hot", 2000)
    assert evicted(r) > 0
    assert hot > 0.9 * 2000, (cold, hot)
    assert cold < hot / 2, (cold, hot)


def test_allkeys_lfu_evicts_the_least_frequently_used(r):
    r.config_set("lfu-log-factor", "0")  # every access counts: deterministic
    r.config_set("maxmemory-samples", "10")
    r.config_set("maxmemory-policy", "allkeys-lfu")  # LFU counting from the start
    fill_no_eviction(r, b"rare", 2000)
    fill_no_eviction(r, b"often", 2000)
    for _ in range(20):
        p = r.pipeline(transaction=False)
        for i in range(2000):
            p.get(b"often:%d" % i)
        p.execute()
    assert r.object("freq", b"often:1") > r.object("freq", b"rare:1")
    set_limit(r, "allkeys-lfu", extra=JUST_ABOVE)
    fill_until_evicted(r, b"new", 1500)
    # New keys start as infrequent as the rare ones (as in Redis), so the
    # evictions fall on both; the frequent keys must all but survive.
    rare, often = surviving(r, b"rare", 2000), surviving(r, b"often", 2000)
    assert often > 0.95 * 2000, (rare, often)
    assert rare < 0.8 * 2000, (rare, often)


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random"])
def test_volatile_policies_evict_only_keys_with_a_ttl(r, policy):
    set_limit(r, policy)
    assert fill(r, b"keep", 3000) == 0
    refused = fill(r, b"temp", 40000, ttl=100000)
    assert evicted(r) > 0
    assert surviving(r, b"keep", 3000) == 3000  # never evicted
    # Once only keys without a TTL are left, writes are refused.
    assert refused > 0 or surviving(r, b"temp", 40000) > 0


def test_volatile_ttl_evicts_the_soonest_to_expire_first(r):
    r.config_set("maxmemory-samples", "10")
    fill_no_eviction(r, b"soon", 2000, ttl=1000)
    fill_no_eviction(r, b"late", 2000, ttl=1000000)
    set_limit(r, "volatile-ttl", extra=JUST_ABOVE)
    fill_until_evicted(r, b"more", 1500, ttl=500000)
    soon, late = surviving(r, b"soon", 2000), surviving(r, b"late", 2000)
    assert evicted(r) > 0
    assert late > 0.9 * 2000, (soon, late)
    assert soon < late / 2, (soon, late)


def test_config_rejects_an_unknown_policy(r):
    with pytest.raises(redis.ResponseError):
        r.config_set("maxmemory-policy", "most-recently-used")
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}


@pytest.mark.polis_only
def test_used_memory_tracks_the_allocator(r):
    """INFO used_memory counts polis's own allocations; it must stay within
    10% of what the C library's allocator has handed out (allocator_allocated)
    once data dominates the heap."""
    for size, count in ((16, 100000), (100, 50000), (1000, 10000), (20000, 200)):
        p = r.pipeline(transaction=False)
        for i in range(count):
            p.set(b"m%d:%d" % (size, i), b"x" * size)
            if len(p) >= 1000:
                p.execute()
        p.execute()
        mem = r.info("memory")
        ratio = mem["used_memory"] / max(1, mem["allocator_allocated"])
        assert 0.9 <= ratio <= 1.1, (size, count, mem["used_memory"], mem["allocator_allocated"])
