/* kv/intset.h - a sorted array of distinct integers, the compact encoding of
 * sets whose members are all integers ("intset" in OBJECT ENCODING).
 *
 * Layout, as Redis's intset: one allocation holding a header (element width
 * in bytes, element count) followed by the elements in ascending order, all
 * of the same width: 2, 4 or 8 bytes. Inserting a value that does not fit
 * the current width upgrades every element to the wider one; removing never
 * downgrades (Redis does not either, and MEMORY USAGE and dumps keep the
 * width). Lookup is a binary search, insertion and removal move the tail.
 * Elements are stored in host byte order; dumps write them explicitly.
 *
 * Owns: its one allocation (base/mem). Functions that may reallocate return
 * the new pointer; the old one is invalid afterwards.
 * May call: base/. Must never: read clocks, draw unseeded randomness. */
#ifndef POLIS_KV_INTSET_H
#define POLIS_KV_INTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

/* Element widths in bytes (Redis's INTSET_ENC_INT16/32/64). */
#define INTSET_WIDTH_16 2u
#define INTSET_WIDTH_32 4u
#define INTSET_WIDTH_64 8u

typedef struct intset {
    uint32_t width;  /* bytes per element: 2, 4 or 8 */
    uint32_t length; /* number of elements */
    uint8_t contents[];
} intset;

/* An empty intset of width 2. */
intset *intset_new(void);
/* An empty intset of `width` with room for `capacity` elements, for loads
 * that append in order (intset_append). */
intset *intset_new_sized(uint32_t width, uint32_t capacity);
void intset_free(intset *is);

/* Inserts v if absent; *added says whether it was. */
intset *intset_add(intset *is, int64_t v, bool *added);
/* Removes v if present; *removed says whether it was. */
intset *intset_remove(intset *is, int64_t v, bool *removed);
bool intset_find(const intset *is, int64_t v);

static inline uint32_t intset_len(const intset *is)
{
    return is->length;
}
/* The element at pos (< length), in ascending order. */
int64_t intset_get(const intset *is, uint32_t pos);
/* A uniformly random element of a non-empty intset. */
int64_t intset_random(const intset *is, rng *r);
/* Bytes of the header and elements (not the allocator's rounding). */
size_t intset_blob_bytes(const intset *is);
/* The smallest width that holds v. */
uint32_t intset_width_of(int64_t v);

/* Grows (or shrinks) the allocation to hold `capacity` elements
 * (>= length), for intset_append. */
intset *intset_reserve(intset *is, uint32_t capacity);
/* Appends v after the last element of an intset made by intset_new_sized,
 * within its capacity. For loads: the caller checks first that v is
 * greater than the last element and fits the width. */
void intset_append(intset *is, int64_t v);

#endif
