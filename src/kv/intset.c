/* kv/intset.c - sorted integer arrays (see intset.h). The algorithms are
 * Redis's: binary search for lookups, a realloc of exactly one element per
 * insertion (intsets stay small: set-max-intset-entries bounds them), and
 * an in-place widening pass, from the end backwards, when a value needs a
 * wider element. */
#include "kv/intset.h"

#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

uint32_t intset_width_of(int64_t v)
{
    if (v < INT32_MIN || v > INT32_MAX) return INTSET_WIDTH_64;
    if (v < INT16_MIN || v > INT16_MAX) return INTSET_WIDTH_32;
    return INTSET_WIDTH_16;
}

/* The element at pos read as `width` bytes (which may differ from
 * is->width while upgrading). */
static int64_t get_width(const intset *is, uint32_t pos, uint32_t width)
{
    const uint8_t *p = is->contents + (size_t)pos * width;
    if (width == INTSET_WIDTH_64) {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    if (width == INTSET_WIDTH_32) {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    int16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void set_at(intset *is, uint32_t pos, int64_t v)
{
    uint8_t *p = is->contents + (size_t)pos * is->width;
    if (is->width == INTSET_WIDTH_64) {
        memcpy(p, &v, sizeof v);
    } else if (is->width == INTSET_WIDTH_32) {
        int32_t v32 = (int32_t)v;
        memcpy(p, &v32, sizeof v32);
    } else {
        int16_t v16 = (int16_t)v;
        memcpy(p, &v16, sizeof v16);
    }
}

int64_t intset_get(const intset *is, uint32_t pos)
{
    PASSERT(pos < is->length);
    return get_width(is, pos, is->width);
}

size_t intset_blob_bytes(const intset *is)
{
    return sizeof *is + (size_t)is->length * is->width;
}

intset *intset_new_sized(uint32_t width, uint32_t capacity)
{
    PASSERT(width == INTSET_WIDTH_16 || width == INTSET_WIDTH_32 ||
            width == INTSET_WIDTH_64);
    intset *is = mem_alloc(sizeof *is + (size_t)capacity * width);
    is->width = width;
    is->length = 0;
    return is;
}

intset *intset_new(void)
{
    return intset_new_sized(INTSET_WIDTH_16, 0);
}

void intset_free(intset *is)
{
    mem_free(is);
}

static intset *resize(intset *is, uint32_t length)
{
    PASSERT(length < UINT32_MAX);
    return mem_realloc(is, sizeof *is + (size_t)length * is->width);
}

/* Binary search: true if found, with *pos its index; otherwise *pos is
 * where v would be inserted. */
static bool search(const intset *is, int64_t v, uint32_t *pos)
{
    if (is->length == 0) {
        *pos = 0;
        return false;
    }
    /* The common appends and prepends skip the search (as Redis). */
    if (v > intset_get(is, is->length - 1)) {
        *pos = is->length;
        return false;
    }
    if (v < intset_get(is, 0)) {
        *pos = 0;
        return false;
    }
    uint32_t lo = 0, hi = is->length - 1;
    while (lo <= hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = intset_get(is, mid);
        if (cur == v) {
            *pos = mid;
            return true;
        }
        if (cur < v) {
            lo = mid + 1;
        } else {
            if (mid == 0) break;
            hi = mid - 1;
        }
    }
    *pos = lo;
    return false;
}

/* Widens every element for v, which does not fit the current width and so
 * is either below or above every element: it goes first or last. */
static intset *upgrade_and_add(intset *is, int64_t v)
{
    uint32_t old_width = is->width;
    uint32_t n = is->length;
    bool prepend = v < 0;
    is->width = intset_width_of(v);
    is = resize(is, n + 1);
    /* Back to front, so no element is overwritten before it is read. */
    uint32_t shift = prepend ? 1 : 0;
    for (uint32_t i = n; i-- > 0;) set_at(is, i + shift, get_width(is, i, old_width));
    set_at(is, prepend ? 0 : n, v);
    is->length = n + 1;
    return is;
}

intset *intset_add(intset *is, int64_t v, bool *added)
{
    *added = true;
    if (intset_width_of(v) > is->width) return upgrade_and_add(is, v);
    uint32_t pos;
    if (search(is, v, &pos)) {
        *added = false;
        return is;
    }
    is = resize(is, is->length + 1);
    if (pos < is->length)
        memmove(is->contents + (size_t)(pos + 1) * is->width,
                is->contents + (size_t)pos * is->width,
                (size_t)(is->length - pos) * is->width);
    set_at(is, pos, v);
    is->length++;
    return is;
}

intset *intset_remove(intset *is, int64_t v, bool *removed)
{
    uint32_t pos;
    *removed = false;
    if (intset_width_of(v) > is->width || !search(is, v, &pos)) return is;
    *removed = true;
    uint32_t tail = is->length - pos - 1;
    if (tail > 0)
        memmove(is->contents + (size_t)pos * is->width,
                is->contents + (size_t)(pos + 1) * is->width, (size_t)tail * is->width);
    is->length--;
    return resize(is, is->length);
}

bool intset_find(const intset *is, int64_t v)
{
    uint32_t pos;
    return intset_width_of(v) <= is->width && search(is, v, &pos);
}

int64_t intset_random(const intset *is, rng *r)
{
    PASSERT(is->length > 0);
    return intset_get(is, (uint32_t)rng_below(r, is->length));
}

intset *intset_reserve(intset *is, uint32_t capacity)
{
    PASSERT(capacity >= is->length);
    return mem_realloc(is, sizeof *is + (size_t)capacity * is->width);
}

void intset_append(intset *is, int64_t v)
{
    PASSERT(intset_width_of(v) <= is->width);
    PASSERT(is->length == 0 || intset_get(is, is->length - 1) < v);
    set_at(is, is->length, v);
    is->length++;
}
