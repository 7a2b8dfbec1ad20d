/* node/evict.c - acting on eviction choices (see evict.h). */
#include "node/evict.h"

#include "base/mem.h"
#include "cmd/cmd.h"
#include "kv/evict.h"
#include "node/cluster.h"
#include "node/group.h"
#include "node/server.h"

size_t node_counted_memory(const node_server *s)
{
    size_t used = mem_used_bytes();
    size_t log = s->cluster ? cluster_log_bytes(s->cluster) : 0;
    return used > log ? used - log : 0;
}

bool node_over_maxmemory(const node_server *s)
{
    return s->cfg.maxmemory > 0 && node_counted_memory(s) > (size_t)s->cfg.maxmemory;
}

void node_access_mode(const node_server *s, kv_keyspace *ks)
{
    kv_access_mode(ks, (int)s->cfg.maxmemory_policy, (uint32_t)s->cfg.lfu_log_factor,
                   (uint32_t)s->cfg.lfu_decay_time);
}

bool node_evict_now(node_server *s, kv_keyspace *ks, int64_t now_ms)
{
    buf key = BUF_INIT;
    for (int i = 0; i < EVICT_KEYS_PER_PASS && node_over_maxmemory(s); i++) {
        if (!kv_evict_pick(ks, &s->evict_pool, (int)s->cfg.maxmemory_policy, now_ms,
                           &s->rng, (uint32_t)s->cfg.maxmemory_samples, &key))
            break;
        kv_delete(ks, key.data, key.len);
        s->stats.evicted_keys++;
    }
    buf_free(&key);
    return !node_over_maxmemory(s);
}

static void proposal_done(void *arg, int status, const char *reply, size_t len)
{
    (void)status;
    (void)reply;
    (void)len;
    node_server *s = arg;
    s->evict_inflight--;
}

uint32_t node_evict_propose(node_server *s, node_group *g, int64_t now_ms, uint32_t max)
{
    kv_keyspace *ks = group_keyspace(g);
    /* One round in flight: until it is applied, the keys it deletes still
     * count, and choosing again would pick them again. */
    if (s->evict_inflight > 0) return 0;
    buf key = BUF_INIT;
    uint32_t n = 0;
    /* Propose distinct keys: what was proposed is still in the keyspace
     * until applied, so take the pool's next choices, not the same one. */
    kv_evict_pool_free(&s->evict_pool);
    kv_evict_pool_init(&s->evict_pool);
    while (n < max &&
           kv_evict_pick(ks, &s->evict_pool, (int)s->cfg.maxmemory_policy, now_ms,
                         &s->rng, (uint32_t)s->cfg.maxmemory_samples, &key)) {
        cmd_arg argv[2] = {{"DEL", 3}, {key.data, key.len}};
        if (group_propose(g, argv, 2, 2, now_ms, proposal_done, s) != 0) break;
        s->evict_inflight++;
        s->stats.evicted_keys++;
        n++;
    }
    buf_free(&key);
    return n;
}
