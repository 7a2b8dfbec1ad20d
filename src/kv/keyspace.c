#include "kv/kv.h"

#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "kv/evict.h"

static const char *obj_dict_key(const dict_node *n, size_t *len)
{
    const kv_obj *o = (const kv_obj *)n;
    *len = o->key_len;
    return o->data;
}

static const dict_type keyspace_dict_type = {obj_dict_key};

void kv_init(kv_keyspace *ks, uint64_t hash_seed)
{
    memset(ks, 0, sizeof *ks);
    ks->hash_seed = hash_seed;
    dict_init(&ks->keys, &keyspace_dict_type, hash_seed);
    ks->access.lfu_log_factor = 10;
    ks->access.lfu_decay_minutes = 1;
    rng_seed(&ks->access.rng, rng_mix64(hash_seed ^ 0x6c6675ull));
}

static void free_all(kv_keyspace *ks)
{
    dict_iter it;
    dict_iter_start(&it, &ks->keys);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) kv_obj_free((kv_obj *)n);
    dict_iter_end(&it);
    dict_free(&ks->keys);
    mem_free(ks->volatile_keys);
    ks->volatile_keys = NULL;
    ks->volatile_count = 0;
    ks->volatile_cap = 0;
}

void kv_destroy(kv_keyspace *ks)
{
    free_all(ks);
}

void kv_flush(kv_keyspace *ks)
{
    ks->dirty += kv_size(ks);
    free_all(ks);
}

int64_t kv_obj_expire_at(const kv_keyspace *ks, const kv_obj *o)
{
    if (o->volatile_index == KV_VOLATILE_NONE) return KV_NO_EXPIRE;
    PASSERT(o->volatile_index < ks->volatile_count);
    PASSERT(ks->volatile_keys[o->volatile_index].obj == o);
    return ks->volatile_keys[o->volatile_index].expire_at_ms;
}

kv_obj *kv_lookup_any(const kv_keyspace *ks, const char *key, size_t len)
{
    return (kv_obj *)dict_find(&ks->keys, key, len);
}

kv_obj *kv_lookup_notouch(kv_keyspace *ks, const char *key, size_t len, int64_t now_ms)
{
    kv_obj *o = kv_lookup_any(ks, key, len);
    ks->access.last_now_ms = now_ms;
    if (o != NULL && kv_obj_expired(ks, o, now_ms)) o = NULL;
    if (o) ks->stats.keyspace_hits++;
    else ks->stats.keyspace_misses++;
    return o;
}

kv_obj *kv_lookup_read(kv_keyspace *ks, const char *key, size_t len, int64_t now_ms)
{
    kv_obj *o = kv_lookup_notouch(ks, key, len, now_ms);
    if (o) kv_access(ks, o, now_ms);
    return o;
}

kv_obj *kv_lookup_write(kv_keyspace *ks, const char *key, size_t len, int64_t now_ms)
{
    kv_obj *o = kv_lookup_any(ks, key, len);
    ks->access.last_now_ms = now_ms;
    if (o != NULL && kv_obj_expired(ks, o, now_ms)) {
        kv_delete(ks, key, len);
        ks->stats.expired_keys++;
        return NULL;
    }
    if (o) kv_access(ks, o, now_ms);
    return o;
}

/* ---- The volatile array ------------------------------------------------ */

static void volatile_remove(kv_keyspace *ks, kv_obj *o)
{
    uint32_t i = o->volatile_index;
    if (i == KV_VOLATILE_NONE) return;
    PASSERT(i < ks->volatile_count && ks->volatile_keys[i].obj == o);
    size_t last = ks->volatile_count - 1;
    if (i != last) {
        ks->volatile_keys[i] = ks->volatile_keys[last];
        ks->volatile_keys[i].obj->volatile_index = i;
    }
    ks->volatile_count--;
    o->volatile_index = KV_VOLATILE_NONE;
}

void kv_set_expire(kv_keyspace *ks, kv_obj *o, int64_t expire_at_ms)
{
    PASSERT(expire_at_ms != KV_NO_EXPIRE);
    if (o->volatile_index != KV_VOLATILE_NONE) {
        ks->volatile_keys[o->volatile_index].expire_at_ms = expire_at_ms;
        return;
    }
    if (ks->volatile_count == ks->volatile_cap) {
        ks->volatile_cap = ks->volatile_cap ? ks->volatile_cap * 2 : 16;
        PASSERT(ks->volatile_cap < KV_VOLATILE_NONE);
        ks->volatile_keys =
            mem_realloc(ks->volatile_keys, ks->volatile_cap * sizeof *ks->volatile_keys);
    }
    o->volatile_index = (uint32_t)ks->volatile_count;
    ks->volatile_keys[ks->volatile_count++] = (kv_volatile){o, expire_at_ms};
}

bool kv_persist(kv_keyspace *ks, kv_obj *o)
{
    if (o->volatile_index == KV_VOLATILE_NONE) return false;
    volatile_remove(ks, o);
    return true;
}

/* ---- Insert, delete, replace ------------------------------------------ */

void kv_insert(kv_keyspace *ks, kv_obj *o)
{
    PASSERT(o->volatile_index == KV_VOLATILE_NONE);
    dict_add(&ks->keys, &o->node);
    kv_access(ks, o, ks->access.last_now_ms);
    ks->dirty++;
}

bool kv_delete(kv_keyspace *ks, const char *key, size_t len)
{
    kv_obj *o = (kv_obj *)dict_remove(&ks->keys, key, len);
    if (o == NULL) return false;
    volatile_remove(ks, o);
    kv_obj_free(o);
    ks->dirty++;
    return true;
}

void kv_replace(kv_keyspace *ks, kv_obj *old, kv_obj *fresh)
{
    PASSERT(old != fresh);
    PASSERT(old->key_len == fresh->key_len);
    dict_node **link = dict_find_link(&ks->keys, old->data, old->key_len);
    PASSERT(link != NULL && *link == &old->node);
    dict_relink(link, &fresh->node);
    fresh->volatile_index = old->volatile_index;
    if (old->volatile_index != KV_VOLATILE_NONE)
        ks->volatile_keys[old->volatile_index].obj = fresh;
    old->volatile_index = KV_VOLATILE_NONE;
    fresh->access_clock = old->access_clock;
    kv_obj_free(old);
    ks->dirty++;
}

void kv_touch(kv_keyspace *ks, kv_obj *o, uint64_t revision)
{
    o->revision = revision;
    ks->dirty++;
}

/* ---- Expiry sampling --------------------------------------------------- */

size_t kv_expire_sample(kv_keyspace *ks, int64_t now_ms, rng *r, size_t sample_count,
                        kv_obj **out, size_t *out_count)
{
    *out_count = 0;
    if (ks->volatile_count == 0) return 0;
    if (sample_count > ks->volatile_count) sample_count = ks->volatile_count;
    /* Sample a contiguous window at a random start: each key is equally
     * likely to be seen and no key is collected twice in one call. */
    size_t start = rng_below(r, ks->volatile_count);
    for (size_t i = 0; i < sample_count; i++) {
        kv_volatile *v = &ks->volatile_keys[(start + i) % ks->volatile_count];
        if (v->expire_at_ms <= now_ms) out[(*out_count)++] = v->obj;
    }
    return sample_count;
}
