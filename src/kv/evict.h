/* kv/evict.h - eviction under maxmemory: access clocks and the choice of
 * victims, as Redis approximates LRU, LFU and TTL order by sampling.
 *
 * Deciding is separate from acting: kv_evict_pick only names the key to
 * evict next; a standalone node deletes it at once, a cluster leader
 * proposes its deletion through the log (ARCHITECTURE §6), so replicas
 * never evict on their own.
 *
 * Access clocks (kv_obj.access_clock, 24 bits) are leader-local bookkeeping,
 * not replicated state (not dumped, not digested): the lookups update them
 * from the command's now_ms. Under an LRU (or TTL, random, none) policy the
 * clock is the last access time in seconds (mod 2^24); under an LFU policy
 * it is Redis's pair (last decrement time in minutes: 16 bits, logarithmic
 * access counter: 8 bits). The counter's random increments use the
 * keyspace's own generator, seeded, never the libc one.
 *
 * May call: base/. Must never: read clocks, do I/O. */
#ifndef POLIS_KV_EVICT_H
#define POLIS_KV_EVICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/rng.h"
#include "kv/kv.h"

enum kv_evict_policy {
    KV_EVICT_NOEVICTION = 0,
    KV_EVICT_ALLKEYS_LRU,
    KV_EVICT_ALLKEYS_LFU,
    KV_EVICT_ALLKEYS_RANDOM,
    KV_EVICT_VOLATILE_LRU,
    KV_EVICT_VOLATILE_LFU,
    KV_EVICT_VOLATILE_RANDOM,
    KV_EVICT_VOLATILE_TTL,
    KV_EVICT_POLICY_COUNT
};

/* "allkeys-lru" ... -> policy, or -1. */
int kv_evict_policy_parse(const char *name);
const char *kv_evict_policy_name(int policy);

/* How lookups maintain access clocks (from maxmemory-policy, lfu-log-factor
 * and lfu-decay-time). */
void kv_access_mode(kv_keyspace *ks, int policy, uint32_t lfu_log_factor,
                    uint32_t lfu_decay_minutes);
/* Records an access to o at now_ms (lookups call it). */
void kv_access(kv_keyspace *ks, kv_obj *o, int64_t now_ms);
/* OBJECT IDLETIME (seconds) and OBJECT FREQ from the clock. */
int64_t kv_idle_seconds(const kv_obj *o, int64_t now_ms);
uint32_t kv_lfu_frequency(const kv_keyspace *ks, const kv_obj *o, int64_t now_ms);

/* The best candidates seen so far, best last (Redis's eviction pool). */
#define KV_EVICT_POOL_SIZE 16
typedef struct kv_evict_pool {
    size_t count;
    struct {
        uint64_t score; /* higher: evict sooner */
        buf key;
    } e[KV_EVICT_POOL_SIZE];
} kv_evict_pool;

void kv_evict_pool_init(kv_evict_pool *pool);
void kv_evict_pool_free(kv_evict_pool *pool);

/* Names the key to evict next under `policy`, sampling `samples` keys into
 * the pool (LRU, LFU, TTL) or picking one at random. Returns false if there
 * is nothing to evict (no keys, or no key with a TTL for volatile-*). The
 * key is copied to *key (the caller's buffer). Does not change the
 * keyspace. */
bool kv_evict_pick(kv_keyspace *ks, kv_evict_pool *pool, int policy, int64_t now_ms,
                   rng *r, uint32_t samples, buf *key);

#endif
