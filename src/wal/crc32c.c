/* wal/crc32c.c - CRC32C through ISA-L's crc32_iscsi (SSE4.2 / PCLMUL paths
 * chosen at run time by ISA-L's dispatcher). See crc32c.h for the seed
 * convention. */
#include "wal/crc32c.h"

#include <isa-l/crc.h>
#include <limits.h>

uint32_t wal_crc32c(uint32_t crc, const void *p, size_t len)
{
    /* crc32_iscsi takes a non-const pointer and an int length although it
     * only reads the buffer; feed it at most INT_MAX bytes at a time. */
    unsigned char *bytes = (unsigned char *)(uintptr_t)p;
    unsigned int reg = ~crc;
    while (len > 0) {
        size_t n = len > (size_t)INT_MAX ? (size_t)INT_MAX : len;
        reg = crc32_iscsi(bytes, (int)n, reg);
        bytes += n;
        len -= n;
    }
    return ~reg;
}
