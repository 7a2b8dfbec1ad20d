/* cluster/slotset.c - sets of hash slots (slotset.h). */
#include "cluster/slotset.h"

#include <string.h>

#include "base/assert.h"
#include "base/error.h"
#include "base/varint.h"

void slot_set_clear(slot_set *s)
{
    memset(s->bits, 0, sizeof s->bits);
}

void slot_set_fill(slot_set *s)
{
    memset(s->bits, 0xff, sizeof s->bits);
}

void slot_set_add_range(slot_set *s, uint16_t first, uint16_t last)
{
    PASSERT(first <= last && last < CLUSTER_SLOTS);
    for (uint32_t slot = first; slot <= last; slot++)
        s->bits[slot / 64] |= 1ull << (slot % 64);
}

void slot_set_remove_range(slot_set *s, uint16_t first, uint16_t last)
{
    PASSERT(first <= last && last < CLUSTER_SLOTS);
    for (uint32_t slot = first; slot <= last; slot++)
        s->bits[slot / 64] &= ~(1ull << (slot % 64));
}

uint32_t slot_set_count(const slot_set *s)
{
    uint32_t n = 0;
    for (size_t i = 0; i < CLUSTER_SLOTS / 64; i++)
        n += (uint32_t)__builtin_popcountll(s->bits[i]);
    return n;
}

bool slot_set_has_any(const slot_set *s, uint16_t first, uint16_t last)
{
    PASSERT(first <= last && last < CLUSTER_SLOTS);
    for (uint32_t slot = first; slot <= last; slot++)
        if (slot_set_has(s, (uint16_t)slot)) return true;
    return false;
}

static void put_varint(buf *out, uint64_t v)
{
    uint8_t tmp[VARINT_BYTES_MAX];
    buf_append(out, tmp, varint_encode(tmp, v));
}

void slot_set_encode(const slot_set *s, buf *out)
{
    uint32_t count = 0;
    for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++)
        if (slot_set_has(s, (uint16_t)slot) &&
            (slot == 0 || !slot_set_has(s, (uint16_t)(slot - 1))))
            count++;
    put_varint(out, count);
    for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++) {
        if (!slot_set_has(s, (uint16_t)slot)) continue;
        uint32_t last = slot;
        while (last + 1 < CLUSTER_SLOTS && slot_set_has(s, (uint16_t)(last + 1)))
            last++;
        put_varint(out, slot);
        put_varint(out, last);
        slot = last;
    }
}

/* A varint <= max in its shortest form. */
static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t max, uint64_t *v)
{
    const uint8_t *start = *p;
    uint8_t tmp[VARINT_BYTES_MAX];
    return varint_decode(p, end, v) && *v <= max &&
           (size_t)(*p - start) == varint_encode(tmp, *v);
}

int slot_set_decode(const uint8_t **p, const uint8_t *end, slot_set *s)
{
    slot_set_clear(s);
    uint64_t count;
    if (!get_varint(p, end, SLOT_SET_RANGES_MAX, &count)) return POLIS_ECORRUPT;
    uint64_t next = 0; /* the lowest slot the next range may start at */
    for (uint64_t i = 0; i < count; i++) {
        uint64_t first, last;
        if (!get_varint(p, end, CLUSTER_SLOTS - 1, &first) ||
            !get_varint(p, end, CLUSTER_SLOTS - 1, &last) || first > last || first < next)
            return POLIS_ECORRUPT;
        slot_set_add_range(s, (uint16_t)first, (uint16_t)last);
        next = last + 2;
    }
    return 0;
}
