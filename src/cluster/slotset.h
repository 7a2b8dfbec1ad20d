/* cluster/slotset.h - a set of hash slots: which slots a shard's group
 * serves, as its state machine knows it (the map, cluster/meta.h, is where
 * the cluster routes; a group that split away some of its slots must refuse
 * requests for them even from a node whose map is older).
 *
 * A bitmap of CLUSTER_SLOTS bits (2 KiB), encoded as sorted ranges:
 *   count varint (<= 8192), then count x (first varint, last varint),
 *   first <= last <= 16383, each range starting above the previous one's
 *   last + 1 (sorted, disjoint, not adjacent: one encoding per set).
 *
 * Pure: no I/O. May call: base/, cluster/slot.h. */
#ifndef POLIS_CLUSTER_SLOTSET_H
#define POLIS_CLUSTER_SLOTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cluster/slot.h"

#define SLOT_SET_RANGES_MAX (CLUSTER_SLOTS / 2)

typedef struct slot_set {
    uint64_t bits[CLUSTER_SLOTS / 64];
} slot_set;

void slot_set_clear(slot_set *s);
void slot_set_fill(slot_set *s);
/* Adds or removes slots first..last (inclusive; first <= last < 16384). */
void slot_set_add_range(slot_set *s, uint16_t first, uint16_t last);
void slot_set_remove_range(slot_set *s, uint16_t first, uint16_t last);
static inline bool slot_set_has(const slot_set *s, uint16_t slot)
{
    return (s->bits[slot / 64] >> (slot % 64)) & 1u;
}
uint32_t slot_set_count(const slot_set *s);
/* Whether any slot of first..last is in the set. */
bool slot_set_has_any(const slot_set *s, uint16_t first, uint16_t last);

/* Appends the range encoding above. */
void slot_set_encode(const slot_set *s, buf *out);
/* Reads one encoded set at *p (not past end), advancing *p: 0, or
 * POLIS_ECORRUPT on anything malformed or not in the one canonical form. */
int slot_set_decode(const uint8_t **p, const uint8_t *end, slot_set *s);

#endif
