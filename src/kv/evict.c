/* kv/evict.c - access clocks and victim choice (see evict.h). The constants
 * and formulas are Redis's (evict.c): a 24-bit LRU clock in seconds, the LFU
 * counter starting at 5 with logarithmic increments and decay by minutes,
 * and a pool of 16 candidates refilled by sampling. */
#include "kv/evict.h"

#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

#define LRU_CLOCK_MAX ((1u << 24) - 1)
#define LFU_INIT_VAL  5

static const char *const policy_names[KV_EVICT_POLICY_COUNT] = {
    "noeviction",   "allkeys-lru",  "allkeys-lfu",     "allkeys-random",
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
};

int kv_evict_policy_parse(const char *name)
{
    for (int i = 0; i < KV_EVICT_POLICY_COUNT; i++)
        if (strcasecmp(name, policy_names[i]) == 0) return i;
    return -1;
}

const char *kv_evict_policy_name(int policy)
{
    PASSERT(policy >= 0 && policy < KV_EVICT_POLICY_COUNT);
    return policy_names[policy];
}

static bool is_lfu(int policy)
{
    return policy == KV_EVICT_ALLKEYS_LFU || policy == KV_EVICT_VOLATILE_LFU;
}

void kv_access_mode(kv_keyspace *ks, int policy, uint32_t lfu_log_factor,
                    uint32_t lfu_decay_minutes)
{
    ks->access.lfu = is_lfu(policy);
    ks->access.lfu_log_factor = lfu_log_factor;
    ks->access.lfu_decay_minutes = lfu_decay_minutes;
}

/* ---- Clocks ------------------------------------------------------------------ */

static uint32_t lru_clock(int64_t now_ms)
{
    return (uint32_t)((uint64_t)(now_ms / 1000) & LRU_CLOCK_MAX);
}

static uint32_t lfu_minutes(int64_t now_ms)
{
    return (uint32_t)((uint64_t)(now_ms / 60000) & 0xffff);
}

/* The counter after decay for the minutes since its last decrement. */
static uint32_t lfu_decayed(const kv_keyspace *ks, const kv_obj *o, int64_t now_ms)
{
    uint32_t last = o->access_clock >> 8, counter = o->access_clock & 255;
    uint32_t now = lfu_minutes(now_ms);
    uint32_t elapsed = now >= last ? now - last : 65535 - last + now;
    uint32_t periods =
        ks->access.lfu_decay_minutes ? elapsed / ks->access.lfu_decay_minutes : 0;
    return periods > counter ? 0 : counter - periods;
}

static uint32_t lfu_incr(kv_keyspace *ks, uint32_t counter)
{
    if (counter == 255) return 255;
    double base = counter > LFU_INIT_VAL ? (double)(counter - LFU_INIT_VAL) : 0.0;
    double p = 1.0 / (base * (double)ks->access.lfu_log_factor + 1.0);
    return rng_unit(&ks->access.rng) < p ? counter + 1 : counter;
}

void kv_access(kv_keyspace *ks, kv_obj *o, int64_t now_ms)
{
    if (!ks->access.lfu) {
        o->access_clock = lru_clock(now_ms) & LRU_CLOCK_MAX;
        return;
    }
    /* A new object (clock 0 and never counted) starts at LFU_INIT_VAL. */
    uint32_t counter = o->access_clock == 0 ? LFU_INIT_VAL : lfu_decayed(ks, o, now_ms);
    counter = lfu_incr(ks, counter);
    o->access_clock = (lfu_minutes(now_ms) << 8 | counter) & LRU_CLOCK_MAX;
}

int64_t kv_idle_seconds(const kv_obj *o, int64_t now_ms)
{
    uint32_t now = lru_clock(now_ms), last = o->access_clock;
    return now >= last ? now - last : (int64_t)now + LRU_CLOCK_MAX - last;
}

uint32_t kv_lfu_frequency(const kv_keyspace *ks, const kv_obj *o, int64_t now_ms)
{
    return lfu_decayed(ks, o, now_ms);
}

/* ---- Victims --------------------------------------------------------------------- */

void kv_evict_pool_init(kv_evict_pool *pool)
{
    memset(pool, 0, sizeof *pool);
    for (size_t i = 0; i < KV_EVICT_POOL_SIZE; i++)
        buf_init(&pool->e[i].key);
}

void kv_evict_pool_free(kv_evict_pool *pool)
{
    for (size_t i = 0; i < KV_EVICT_POOL_SIZE; i++)
        buf_free(&pool->e[i].key);
    pool->count = 0;
}

static bool volatile_policy(int policy)
{
    return policy >= KV_EVICT_VOLATILE_LRU;
}

/* A random key (or random key with a TTL), or NULL. */
static kv_obj *sample_one(kv_keyspace *ks, bool only_volatile, rng *r)
{
    if (only_volatile) {
        if (ks->volatile_count == 0) return NULL;
        return ks->volatile_keys[rng_below(r, ks->volatile_count)].obj;
    }
    return kv_random_key(ks, r);
}

static uint64_t score_of(kv_keyspace *ks, const kv_obj *o, int policy, int64_t now_ms)
{
    if (policy == KV_EVICT_VOLATILE_TTL) /* sooner expiry: evict first */
        return UINT64_MAX - (uint64_t)kv_obj_expire_at(ks, o);
    if (is_lfu(policy)) return 255 - lfu_decayed(ks, o, now_ms);
    return (uint64_t)kv_idle_seconds(o, now_ms);
}

/* Inserts a candidate, keeping the pool sorted by score (best last); a
 * full pool drops its worst entry, or the candidate if it is worse. */
static void pool_insert(kv_evict_pool *pool, const kv_obj *o, uint64_t score)
{
    size_t i = 0;
    while (i < pool->count && pool->e[i].score < score)
        i++;
    for (size_t j = 0; j < pool->count; j++) /* already there */
        if (pool->e[j].key.len == o->key_len &&
            memcmp(pool->e[j].key.data, o->data, o->key_len) == 0)
            return;
    if (pool->count == KV_EVICT_POOL_SIZE) {
        if (i == 0) return; /* worse than everything kept */
        /* Drop the worst (index 0) and shift left up to the slot. */
        buf spare = pool->e[0].key;
        memmove(&pool->e[0], &pool->e[1], (i - 1) * sizeof pool->e[0]);
        i--;
        pool->e[i].key = spare;
    } else {
        buf spare = pool->e[pool->count].key;
        memmove(&pool->e[i + 1], &pool->e[i], (pool->count - i) * sizeof pool->e[0]);
        pool->e[i].key = spare;
        pool->count++;
    }
    pool->e[i].score = score;
    buf_clear(&pool->e[i].key);
    buf_append(&pool->e[i].key, o->data, o->key_len);
}

bool kv_evict_pick(kv_keyspace *ks, kv_evict_pool *pool, int policy, int64_t now_ms,
                   rng *r, uint32_t samples, buf *key)
{
    bool only_volatile = volatile_policy(policy);
    if (policy == KV_EVICT_NOEVICTION) return false;
    if (policy == KV_EVICT_ALLKEYS_RANDOM || policy == KV_EVICT_VOLATILE_RANDOM) {
        kv_obj *o = sample_one(ks, only_volatile, r);
        if (o == NULL) return false;
        buf_clear(key);
        buf_append(key, o->data, o->key_len);
        return true;
    }
    for (;;) {
        size_t present = only_volatile ? ks->volatile_count : kv_size(ks);
        if (present == 0) return false;
        if (present <= samples) {
            /* As many samples as keys: look at every key once (as Redis's
             * dictGetSomeKeys returns distinct keys) rather than draw with
             * repetition and miss some. */
            if (only_volatile) {
                for (size_t i = 0; i < ks->volatile_count; i++) {
                    kv_obj *o = ks->volatile_keys[i].obj;
                    pool_insert(pool, o, score_of(ks, o, policy, now_ms));
                }
            } else {
                kv_iter it;
                kv_iter_start(&it, ks);
                kv_obj *o;
                while ((o = kv_iter_next(&it)) != NULL)
                    pool_insert(pool, o, score_of(ks, o, policy, now_ms));
                kv_iter_end(&it);
            }
        } else {
            for (uint32_t s = 0; s < samples; s++) {
                kv_obj *o = sample_one(ks, only_volatile, r);
                if (o) pool_insert(pool, o, score_of(ks, o, policy, now_ms));
            }
        }
        /* The best candidate that still exists (and, for volatile-*, still
         * has a TTL); stale entries are dropped on the way. */
        while (pool->count > 0) {
            size_t i = --pool->count;
            kv_obj *o = kv_lookup_any(ks, pool->e[i].key.data, pool->e[i].key.len);
            if (o == NULL || (only_volatile && kv_obj_expire_at(ks, o) == KV_NO_EXPIRE))
                continue;
            buf_clear(key);
            buf_append(key, pool->e[i].key.data, pool->e[i].key.len);
            return true;
        }
    }
}
