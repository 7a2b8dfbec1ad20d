/* kv/type.h - what each value type (string, hash, list, set, zset) gives the
 * keyspace: how to free, measure, dump, load and digest its values.
 *
 * A value type lives in one file (kv/t_<type>.c) with its commands; the
 * keyspace, snapshots, DIGEST and MEMORY USAGE reach it only through its
 * kv_type_ops, registered in kv/types.c. A container value hangs off
 * kv_obj.v.ptr; kv_obj.encoding says which representation it has (the
 * names OBJECT ENCODING prints are Redis 7.0's).
 *
 * Dump streams. A type writes its value with the kvd_put_* functions and
 * reads it back with kvd_get_*, which bound every length against the
 * caller's limit and the bytes left (a malformed dump fails the load with
 * POLIS_ECORRUPT; it never allocates what it has not checked). The byte
 * layout of each type is documented in its file and in docs/formats.md.
 *
 * May call: base/. Must never: read clocks, do I/O (the sinks do it). */
#ifndef POLIS_KV_TYPE_H
#define POLIS_KV_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv/kv.h"

typedef struct kv_dump_writer kv_dump_writer;
typedef struct kv_dump_reader kv_dump_reader;

void kvd_put_u8(kv_dump_writer *w, uint8_t v);
void kvd_put_u64(kv_dump_writer *w, uint64_t v);
void kvd_put_varint(kv_dump_writer *w, uint64_t v);
void kvd_put_double(kv_dump_writer *w, double v); /* IEEE 754 bits, u64 */
/* A length (varint) followed by the bytes. */
void kvd_put_str(kv_dump_writer *w, const void *p, size_t len);

bool kvd_get_u8(kv_dump_reader *r, uint8_t *v);
bool kvd_get_u64(kv_dump_reader *r, uint64_t *v);
bool kvd_get_varint(kv_dump_reader *r, uint64_t *v);
bool kvd_get_double(kv_dump_reader *r, double *v); /* refuses NaN */
/* A string written by kvd_put_str, at most max_len bytes; *p points into a
 * buffer owned by the reader, valid until the next kvd_get_str. */
bool kvd_get_str(kv_dump_reader *r, const char **p, size_t *len, size_t max_len);
/* The listpack form of the pair-encoded types (hash fields and values,
 * sorted set members and scores): a varint entry count (even, > 0), then
 * the entries' bytes as a string of at most max_bytes, which must also pass
 * the type's own check `valid`. NULL if malformed. */
struct kv_lp *kvd_get_pair_listpack(kv_dump_reader *r, size_t max_bytes,
                                    bool (*valid)(const struct kv_lp *lp));
/* Marks the stream corrupt (a type found an impossible value); every later
 * get fails. */
void kvd_corrupt(kv_dump_reader *r);

/* Called for each element by kv_type_ops.foreach: sets give score 1.0,
 * sorted sets the member's score. */
typedef void kv_foreach_fn(void *arg, const char *elem, size_t len, double score);

typedef struct kv_type_ops {
    /* Frees the value (not the object). */
    void (*free_value)(kv_obj *o);
    /* Heap bytes of the value (not the object itself): MEMORY USAGE and
     * eviction. */
    size_t (*value_bytes)(const kv_obj *o);
    /* Writes the value; kv_obj.type, .encoding, key and expiry are written
     * by the keyspace. */
    void (*dump)(const kv_obj *o, kv_dump_writer *w);
    /* Reads a value written by dump into o (type and encoding already set
     * from the stream; the type checks the encoding is one of its own).
     * Returns false on malformed input, with o's value freed or empty. */
    bool (*load)(kv_obj *o, kv_dump_reader *r);
    /* A digest of the value that depends on content only, not on layout:
     * equal values (whatever their encoding history) digest equal. */
    uint64_t (*digest)(const kv_obj *o);
    /* Number of elements (fields, members, items). */
    size_t (*length)(const kv_obj *o);
    /* Visits every element, in the value's own order; how one type reads
     * another without linking to it (ZUNIONSTORE and friends take sets as
     * inputs). Required of sets and sorted sets; may be NULL elsewhere. */
    void (*foreach)(const kv_obj *o, kv_foreach_fn *fn, void *arg);
} kv_type_ops;

/* The ops of a type (enum kv_type), or NULL for one not built yet. */
const kv_type_ops *kv_type_ops_of(int type);

/* A new object for key holding a container value. */
kv_obj *kv_obj_new_value(const char *key, size_t key_len, uint8_t type, uint8_t encoding,
                         void *value);

/* Digest helpers: a keyed hash of bytes, and an order-independent combiner
 * (sum) for sets of elements; ordered values mix with kv_digest_chain. */
uint64_t kv_digest_bytes(const void *p, size_t len);
static inline uint64_t kv_digest_chain(uint64_t acc, uint64_t h)
{
    return (acc ^ h) * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
}

#endif
