/* base/varint.h - unsigned LEB128 integers (7 bits a byte, low first, the
 * high bit set on every byte but the last), used by the log entry and
 * keyspace dump formats. */
#ifndef POLIS_BASE_VARINT_H
#define POLIS_BASE_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VARINT_BYTES_MAX 10

/* Writes v into out (>= VARINT_BYTES_MAX bytes); returns the length. */
static inline size_t varint_encode(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        out[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* Reads a varint at *p (not past end) and advances *p; false if it is cut
 * short or longer than 64 bits. */
static inline bool varint_decode(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        *v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return true;
    }
    return false;
}

#endif
