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
    ks->access.lfu_log_factor = 10;
    ks->access.lfu_decay_minutes = 1;
    rng_seed(&ks->access.rng, rng_mix64(hash_seed ^ 0x6c6675ull));
}

/* ---- Slots ------------------------------------------------------------- */

static dict *slot_dict(const kv_keyspace *ks, uint32_t slot)
{
    const kv_slot_block *b = ks->blocks[slot / KV_SLOTS_PER_BLOCK];
    return b ? b->slot[slot % KV_SLOTS_PER_BLOCK] : NULL;
}

static dict *key_dict(const kv_keyspace *ks, const char *key, size_t len)
{
    return slot_dict(ks, slot_of_key(key, len));
}

/* The table of the key's slot, created if the slot had no key. */
static dict *key_dict_create(kv_keyspace *ks, const char *key, size_t len,
                             kv_slot_block **block)
{
    uint32_t slot = slot_of_key(key, len);
    kv_slot_block **bp = &ks->blocks[slot / KV_SLOTS_PER_BLOCK];
    if (*bp == NULL) *bp = mem_calloc(1, sizeof **bp);
    *block = *bp;
    dict **dp = &(*bp)->slot[slot % KV_SLOTS_PER_BLOCK];
    if (*dp == NULL) {
        *dp = mem_alloc(sizeof **dp);
        /* every slot's table has the keyspace's seed: replicas agree */
        dict_init(*dp, &keyspace_dict_type, ks->hash_seed);
    }
    return *dp;
}

/* Counts a removed key; frees the slot's table (and block) once empty. */
static void slot_key_removed(kv_keyspace *ks, uint32_t slot)
{
    kv_slot_block **bp = &ks->blocks[slot / KV_SLOTS_PER_BLOCK];
    dict **dp = &(*bp)->slot[slot % KV_SLOTS_PER_BLOCK];
    ks->key_count--;
    (*bp)->keys--;
    if (dict_size(*dp) == 0) {
        dict_free(*dp);
        mem_free(*dp);
        *dp = NULL;
    }
    if ((*bp)->keys == 0) {
        mem_free(*bp);
        *bp = NULL;
    }
}

size_t kv_slot_size(const kv_keyspace *ks, uint16_t slot)
{
    const dict *d = slot < CLUSTER_SLOTS ? slot_dict(ks, slot) : NULL;
    return d ? dict_size(d) : 0;
}

kv_obj *kv_random_key(const kv_keyspace *ks, rng *r)
{
    if (ks->key_count == 0) return NULL;
    uint64_t pick = rng_below(r, ks->key_count);
    for (uint32_t b = 0; b < KV_SLOT_BLOCKS; b++) {
        const kv_slot_block *block = ks->blocks[b];
        if (block == NULL) continue;
        if (pick >= block->keys) {
            pick -= block->keys;
            continue;
        }
        for (uint32_t i = 0; i < KV_SLOTS_PER_BLOCK; i++) {
            const dict *d = block->slot[i];
            if (d == NULL) continue;
            if (pick < dict_size(d)) {
                /* dict_random draws a layout-dependent number of values:
                 * give it its own generator, so the caller's sequence of
                 * slot choices does not depend on table layouts */
                rng table_rng;
                rng_seed(&table_rng, rng_next(r));
                return (kv_obj *)dict_random(d, &table_rng);
            }
            pick -= dict_size(d);
        }
        PASSERT(!"block key count disagrees with its slots");
    }
    PASSERT(!"key count disagrees with the blocks");
    return NULL;
}

uint64_t kv_estimate_bytes(const kv_keyspace *ks, rng *r, uint32_t samples)
{
    if (ks->key_count == 0 || samples == 0) return 0;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < samples; i++)
        sum += kv_obj_bytes(kv_random_key(ks, r));
    return (uint64_t)((double)sum / samples * (double)ks->key_count);
}

/* The first slot >= from that has a key, or CLUSTER_SLOTS. */
static uint32_t next_used_slot(const kv_keyspace *ks, uint32_t from)
{
    while (from < CLUSTER_SLOTS) {
        const kv_slot_block *b = ks->blocks[from / KV_SLOTS_PER_BLOCK];
        if (b == NULL) {
            from = (from / KV_SLOTS_PER_BLOCK + 1) * KV_SLOTS_PER_BLOCK;
            continue;
        }
        if (b->slot[from % KV_SLOTS_PER_BLOCK] != NULL) return from;
        from++;
    }
    return CLUSTER_SLOTS;
}

#define SCAN_SLOT_BITS 14u

uint64_t kv_scan_keys(const kv_keyspace *ks, uint64_t cursor, dict_scan_fn *fn,
                      void *priv)
{
    uint32_t slot = (uint32_t)(cursor & (CLUSTER_SLOTS - 1));
    uint64_t table_cursor = cursor >> SCAN_SLOT_BITS;
    const dict *d = slot_dict(ks, slot);
    if (d != NULL) {
        table_cursor = dict_scan(d, table_cursor, fn, priv);
        if (table_cursor != 0) return table_cursor << SCAN_SLOT_BITS | slot;
    }
    /* This slot is done (or empty): continue at the next slot with keys. */
    uint32_t next = next_used_slot(ks, slot + 1);
    return next == CLUSTER_SLOTS ? 0 : next;
}

static void volatile_remove(kv_keyspace *ks, kv_obj *o);

void kv_move_slots(kv_keyspace *from, kv_keyspace *to, uint16_t first, uint16_t last)
{
    PASSERT(from != to && first <= last && last < CLUSTER_SLOTS);
    PASSERT(from->hash_seed == to->hash_seed);
    /* Expiry entries first, while the objects' slots are still computable
     * from `from`: each moved key with a TTL leaves from's array for to's. */
    for (size_t i = 0; i < from->volatile_count;) {
        kv_volatile v = from->volatile_keys[i];
        uint16_t slot = slot_of_key(v.obj->data, v.obj->key_len);
        if (slot < first || slot > last) {
            i++;
            continue;
        }
        volatile_remove(from, v.obj); /* moves the last entry into i */
        kv_set_expire(to, v.obj, v.expire_at_ms);
    }
    for (uint32_t slot = first; slot <= last; slot++) {
        kv_slot_block *src = from->blocks[slot / KV_SLOTS_PER_BLOCK];
        if (src == NULL) {
            slot = (slot / KV_SLOTS_PER_BLOCK + 1) * KV_SLOTS_PER_BLOCK - 1;
            continue;
        }
        dict **sp = &src->slot[slot % KV_SLOTS_PER_BLOCK];
        if (*sp == NULL) continue;
        kv_slot_block **dbp = &to->blocks[slot / KV_SLOTS_PER_BLOCK];
        if (*dbp == NULL) *dbp = mem_calloc(1, sizeof **dbp);
        dict **dp = &(*dbp)->slot[slot % KV_SLOTS_PER_BLOCK];
        PASSERT(*dp == NULL); /* `to` must not hold keys in the range */
        size_t n = dict_size(*sp);
        *dp = *sp;
        *sp = NULL;
        (*dbp)->keys += n;
        to->key_count += n;
        to->dirty += n;
        src->keys -= n;
        from->key_count -= n;
        from->dirty += n;
        if (src->keys == 0) {
            mem_free(src);
            from->blocks[slot / KV_SLOTS_PER_BLOCK] = NULL;
            slot = (slot / KV_SLOTS_PER_BLOCK + 1) * KV_SLOTS_PER_BLOCK - 1;
        }
    }
}

static void iter_open(kv_iter *it)
{
    while (!it->active) {
        it->slot = next_used_slot(it->ks, it->slot);
        if (it->slot >= it->end_slot) return;
        dict_iter_start(&it->it, (dict *)(uintptr_t)slot_dict(it->ks, it->slot));
        it->active = true;
    }
}

void kv_iter_start(kv_iter *it, const kv_keyspace *ks)
{
    *it = (kv_iter){.ks = ks, .slot = 0, .end_slot = CLUSTER_SLOTS, .active = false};
}

void kv_iter_slot_start(kv_iter *it, const kv_keyspace *ks, uint16_t slot)
{
    PASSERT(slot < CLUSTER_SLOTS);
    *it = (kv_iter){
        .ks = ks, .slot = slot, .end_slot = (uint32_t)slot + 1, .active = false};
}

kv_obj *kv_iter_next(kv_iter *it)
{
    for (;;) {
        iter_open(it);
        if (!it->active) return NULL;
        dict_node *n = dict_iter_next(&it->it);
        if (n != NULL) return (kv_obj *)n;
        dict_iter_end(&it->it);
        it->active = false;
        it->slot++;
    }
}

void kv_iter_end(kv_iter *it)
{
    if (it->active) dict_iter_end(&it->it);
    it->active = false;
    it->slot = it->end_slot;
}

static void free_all(kv_keyspace *ks)
{
    for (uint32_t b = 0; b < KV_SLOT_BLOCKS; b++) {
        kv_slot_block *block = ks->blocks[b];
        if (block == NULL) continue;
        for (uint32_t i = 0; i < KV_SLOTS_PER_BLOCK; i++) {
            dict *d = block->slot[i];
            if (d == NULL) continue;
            dict_iter it;
            dict_iter_start(&it, d);
            dict_node *n;
            while ((n = dict_iter_next(&it)) != NULL)
                kv_obj_free((kv_obj *)n);
            dict_iter_end(&it);
            dict_free(d);
            mem_free(d);
        }
        mem_free(block);
        ks->blocks[b] = NULL;
    }
    ks->key_count = 0;
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
    const dict *d = key_dict(ks, key, len);
    return d ? (kv_obj *)dict_find(d, key, len) : NULL;
}

kv_obj *kv_lookup_notouch(kv_keyspace *ks, const char *key, size_t len, int64_t now_ms)
{
    kv_obj *o = kv_lookup_any(ks, key, len);
    ks->access.last_now_ms = now_ms;
    if (o != NULL && kv_obj_expired(ks, o, now_ms)) o = NULL;
    if (o)
        ks->stats.keyspace_hits++;
    else
        ks->stats.keyspace_misses++;
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
    kv_slot_block *block;
    dict_add(key_dict_create(ks, o->data, o->key_len, &block), &o->node);
    block->keys++;
    ks->key_count++;
    kv_access(ks, o, ks->access.last_now_ms);
    ks->dirty++;
}

bool kv_delete(kv_keyspace *ks, const char *key, size_t len)
{
    uint32_t slot = slot_of_key(key, len);
    dict *d = slot_dict(ks, slot);
    kv_obj *o = d ? (kv_obj *)dict_remove(d, key, len) : NULL;
    if (o == NULL) return false;
    slot_key_removed(ks, slot);
    volatile_remove(ks, o);
    kv_obj_free(o);
    ks->dirty++;
    return true;
}

void kv_replace(kv_keyspace *ks, kv_obj *old, kv_obj *fresh)
{
    PASSERT(old != fresh);
    PASSERT(old->key_len == fresh->key_len);
    dict *d = key_dict(ks, old->data, old->key_len);
    PASSERT(d != NULL);
    dict_node **link = dict_find_link(d, old->data, old->key_len);
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
