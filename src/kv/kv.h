/* kv/kv.h - the shard state machine: a keyspace of typed objects.
 *
 * Owns: keys, values, expiry times and per-key modification revisions of
 * one shard. Execution is a pure function of (keyspace, argv, now_ms,
 * rand_seed): nothing here reads a clock, draws an unseeded random number or
 * does I/O, so every replica that applies the same entries reaches the same
 * state (ARCHITECTURE §6).
 * May call: base/, cluster/slot.h (the slot function).
 * Must never: read the clock, log per command, touch sockets or files.
 *
 * Memory layout. One allocation per key (kv_obj): hash-chain link, revision,
 * type/encoding, key bytes, and for short strings the value bytes too (the
 * "embstr" encoding). Values that are integers in canonical form are stored
 * as int64 ("int"); long or modified strings in a separate growable block
 * ("raw"). This mirrors Redis's encodings so OBJECT ENCODING agrees.
 *
 * Slots. Keys are kept in one hash table per hash slot (cluster/slot.h),
 * allocated with the slot's first key and freed with its last, found
 * through a two-level table (KV_SLOT_BLOCKS blocks of KV_SLOTS_PER_BLOCK
 * slots, a block allocated while any of its slots has a key): a keyspace
 * that owns a few slots pays for a few tables. Per-slot tables give key
 * counts per slot, the keys of one slot without a scan, and splits that hand
 * whole slots to another keyspace (docs/design/009-partitioning.md).
 *
 * Expiry. Keys with a TTL are also listed in a dense array of
 * (object, expire_at_ms) pairs; the object remembers its slot. Reads treat a
 * key whose expire_at_ms <= now_ms as absent but do not delete it (a read on
 * a replica must not change state). Writes that find such a key delete it
 * first, deterministically. The active expiry cycle samples the array. */
#ifndef POLIS_KV_KV_H
#define POLIS_KV_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/dict.h"
#include "cluster/slot.h"
#include "base/rng.h"

enum kv_type {
    KV_STRING = 0,
    KV_LIST,
    KV_SET,
    KV_ZSET,
    KV_HASH,
    KV_STREAM,
    KV_TYPE_COUNT
};
/* Strings: int, embstr, raw. Containers (kv/type.h): the rest, named as
 * Redis 7.0 names them in OBJECT ENCODING. */
enum kv_encoding {
    KV_ENC_INT = 0,
    KV_ENC_EMBSTR,
    KV_ENC_RAW,
    KV_ENC_HASHTABLE,
    KV_ENC_LISTPACK,
    KV_ENC_QUICKLIST,
    KV_ENC_INTSET,
    KV_ENC_SKIPLIST,
    KV_ENC_COUNT
};

/* Strings up to this many bytes live inside the object (Redis's limit). */
#define KV_EMBSTR_BYTES_MAX 44
/* Largest string value (Redis's proto-max-bulk-len default; SETRANGE and
 * APPEND check against it). */
#define KV_STRING_BYTES_MAX (512ull * 1024 * 1024)
#define KV_NO_EXPIRE        INT64_MIN
#define KV_VOLATILE_NONE    UINT32_MAX

typedef struct kv_raw {
    size_t len;
    size_t cap;
    char data[];
} kv_raw;

typedef struct kv_obj {
    dict_node node;    /* must stay first: the dict links objects */
    uint64_t revision; /* log index (or counter) of the last change */
    uint32_t key_len;
    uint32_t volatile_index; /* slot in keyspace.volatile_keys or NONE */
    uint8_t type;
    uint8_t encoding;
    uint16_t flags;
    uint32_t access_clock : 24; /* leader-local LRU/LFU clock (eviction) */
    uint32_t inline_len : 8;    /* value bytes after the key, for embstr */
    union {
        int64_t i;
        kv_raw *raw;
        void *ptr;
    } v;
    char data[]; /* key bytes, then embstr value bytes */
} kv_obj;

typedef struct kv_volatile {
    kv_obj *obj;
    int64_t expire_at_ms;
} kv_volatile;

typedef struct kv_stats {
    uint64_t expired_keys;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
} kv_stats;

#define KV_SLOTS_PER_BLOCK 128u
#define KV_SLOT_BLOCKS     (CLUSTER_SLOTS / KV_SLOTS_PER_BLOCK)

typedef struct kv_slot_block {
    size_t keys;                    /* keys in the block's slots */
    dict *slot[KV_SLOTS_PER_BLOCK]; /* NULL while the slot has no key */
} kv_slot_block;

typedef struct kv_keyspace {
    kv_slot_block *blocks[KV_SLOT_BLOCKS]; /* NULL while no slot of it has a key */
    size_t key_count;
    /* Seed for the keyspace's hash tables and for the values' own (hashes,
     * sets): the same on every replica of a shard, so layouts, and with
     * them SCAN cursors and random picks, agree. */
    uint64_t hash_seed;
    kv_volatile *volatile_keys;
    size_t volatile_count;
    size_t volatile_cap;
    uint64_t dirty; /* changes since start (INFO, snapshots later) */
    kv_stats stats;
    /* Access clocks for eviction (kv/evict.h): leader-local, not state. */
    struct {
        bool lfu;
        uint32_t lfu_log_factor;
        uint32_t lfu_decay_minutes;
        int64_t last_now_ms; /* the latest lookup's now: stamps new keys */
        rng rng;             /* LFU counter increments */
    } access;
} kv_keyspace;

void kv_init(kv_keyspace *ks, uint64_t hash_seed);
void kv_destroy(kv_keyspace *ks);
/* Deletes every key. */
void kv_flush(kv_keyspace *ks);
static inline size_t kv_size(const kv_keyspace *ks)
{
    return ks->key_count;
}
/* Keys in one slot (expired ones included, as kv_size). */
size_t kv_slot_size(const kv_keyspace *ks, uint16_t slot);

/* A random key (expired ones included), or NULL if the keyspace is empty:
 * a slot chosen with probability proportional to its key count, then a
 * random key of its table (dict_random). */
kv_obj *kv_random_key(const kv_keyspace *ks, rng *r);
/* An estimate of the memory the keyspace's keys and values use: the mean
 * kv_obj_bytes of `samples` random keys times the key count (exact sum
 * when there are no more keys than samples would be as costly as this). */
uint64_t kv_estimate_bytes(const kv_keyspace *ks, rng *r, uint32_t samples);

/* SCAN over the whole keyspace. The cursor carries the slot in its low 14
 * bits and the slot table's reverse-binary cursor above them; each call
 * visits one bucket (calling fn for its keys) or skips empty slots, and
 * returns the next cursor, 0 when done. Every key present for the whole scan
 * is visited at least once. fn must not modify the keyspace. */
uint64_t kv_scan_keys(const kv_keyspace *ks, uint64_t cursor, dict_scan_fn *fn,
                      void *priv);

/* Moves every key of slots first..last (inclusive), with its value, expiry
 * and revision, from `from` into `to`, which holds no key in those slots
 * and has the same hash seed (so the moved tables and the ones `to` creates
 * later are laid out as on every other replica). Whole slot tables change
 * hands: O(slots in the range + keys with a TTL in `from`), no key is
 * copied. This is how a shard split hands slots to the new group. */
void kv_move_slots(kv_keyspace *from, kv_keyspace *to, uint16_t first, uint16_t last);

/* Iteration over every key (kv_iter_start) or the keys of one slot
 * (kv_iter_slot_start), slot by slot. The keyspace must not be modified
 * until kv_iter_end(). */
typedef struct kv_iter {
    const kv_keyspace *ks;
    uint32_t slot;     /* the slot being walked */
    uint32_t end_slot; /* one past the last slot to walk */
    bool active;       /* `it` walks slot `slot` */
    dict_iter it;
} kv_iter;
void kv_iter_start(kv_iter *it, const kv_keyspace *ks);
void kv_iter_slot_start(kv_iter *it, const kv_keyspace *ks, uint16_t slot);
kv_obj *kv_iter_next(kv_iter *it);
void kv_iter_end(kv_iter *it);

static inline const char *kv_obj_key(const kv_obj *o)
{
    return o->data;
}
int64_t kv_obj_expire_at(const kv_keyspace *ks, const kv_obj *o);
static inline bool kv_obj_expired(const kv_keyspace *ks, const kv_obj *o, int64_t now_ms)
{
    int64_t at = kv_obj_expire_at(ks, o);
    return at != KV_NO_EXPIRE && at <= now_ms;
}

/* Read lookup: the live object or NULL (expired keys read as absent). It
 * counts as an access (eviction clocks); kv_lookup_notouch does not (TYPE,
 * EXISTS, TTL, OBJECT: Redis's LOOKUP_NOTOUCH). */
kv_obj *kv_lookup_read(kv_keyspace *ks, const char *key, size_t len, int64_t now_ms);
kv_obj *kv_lookup_notouch(kv_keyspace *ks, const char *key, size_t len, int64_t now_ms);
/* Write lookup: deletes the key first if it has expired, so the caller sees
 * NULL and may create it afresh. */
kv_obj *kv_lookup_write(kv_keyspace *ks, const char *key, size_t len, int64_t now_ms);
/* Raw lookup: ignores expiry (for expiry itself and tests). */
kv_obj *kv_lookup_any(const kv_keyspace *ks, const char *key, size_t len);

/* Inserts a new object (the key must be absent) and returns it. */
void kv_insert(kv_keyspace *ks, kv_obj *o);
/* Deletes the key if present; returns true if it existed (even expired). */
bool kv_delete(kv_keyspace *ks, const char *key, size_t len);
/* Replaces `old` (in the keyspace) by `fresh` with the same key: relinks the
 * dict and the volatile slot, frees `old`. Expiry moves to `fresh`. */
void kv_replace(kv_keyspace *ks, kv_obj *old, kv_obj *fresh);
/* Moves an object to another key name; returns the new object (the old
 * pointer is invalid afterwards). The target key must be absent. */
kv_obj *kv_rename(kv_keyspace *ks, kv_obj *o, const char *key, size_t len);

void kv_set_expire(kv_keyspace *ks, kv_obj *o, int64_t expire_at_ms);
/* Returns true if the object had an expiry. */
bool kv_persist(kv_keyspace *ks, kv_obj *o);

/* Marks a key as modified at `revision` (WATCH, dirty counter). */
void kv_touch(kv_keyspace *ks, kv_obj *o, uint64_t revision);

/* ---- Objects ----------------------------------------------------------- */

/* A string object for key/value, encoded as Redis's tryObjectEncoding would
 * (int / embstr / raw). */
kv_obj *kv_obj_new_string(const char *key, size_t key_len, const char *val,
                          size_t val_len);
/* A string object that is "embstr" up to 44 bytes, else "raw" (Redis's
 * createStringObject: computed values such as INCRBYFLOAT results). */
kv_obj *kv_obj_new_plain(const char *key, size_t key_len, const char *val,
                         size_t val_len);
/* A string object that is always "raw" (APPEND/SETRANGE results). */
kv_obj *kv_obj_new_raw(const char *key, size_t key_len, const char *val, size_t val_len,
                       size_t cap);
kv_obj *kv_obj_new_int(const char *key, size_t key_len, int64_t v);
void kv_obj_free(kv_obj *o);
/* Bytes the object occupies (MEMORY USAGE, eviction). */
size_t kv_obj_bytes(const kv_obj *o);

/* A string value as bytes. For "int" objects the digits are written into
 * tmp (>= 21 bytes). */
const char *kv_string_bytes(const kv_obj *o, char *tmp, size_t *len);
const char *kv_type_name(int type);
const char *kv_encoding_name(const kv_obj *o);

/* ---- Expiry ------------------------------------------------------------ */

/* Samples up to `sample_count` keys with a TTL (uniformly, with the given
 * rng) and stores those already expired at now_ms in out[0..*out_count)
 * (out has room for sample_count). The objects stay in the keyspace: this
 * only decides. The caller deletes them (the single node directly; the
 * cluster by proposing conditional deletes). Returns how many were sampled;
 * the expired/sampled ratio drives the adaptive cycle, as in Redis. */
size_t kv_expire_sample(kv_keyspace *ks, int64_t now_ms, rng *r, size_t sample_count,
                        kv_obj **out, size_t *out_count);

/* ---- Snapshots (kv/snapshot.c) ------------------------------------------ */

/* Sinks and sources for dumps: return 0, or a negative POLIS_E... code that
 * aborts the dump. A read must deliver exactly len bytes or fail. */
typedef int kv_write_fn(void *priv, const void *data, size_t len);
typedef int kv_read_fn(void *priv, void *data, size_t len);

/* Serializes every key (expired ones too: expiry is decided by replicated
 * deletes, not by the dump) in the format documented in kv/snapshot.c and
 * docs/formats.md. Returns 0 or the writer's error. */
int kv_dump(const kv_keyspace *ks, kv_write_fn *write, void *priv);
/* Replaces the keyspace's contents with a dump. On malformed input returns
 * POLIS_ECORRUPT and leaves the keyspace empty. */
int kv_load(kv_keyspace *ks, kv_read_fn *read, void *priv);
/* An order-independent digest of the live keys at now_ms (key, value,
 * type, expiry): replicas that agree have equal digests. */
uint64_t kv_digest(const kv_keyspace *ks, int64_t now_ms);

#endif
