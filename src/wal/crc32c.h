/* wal/crc32c.h - CRC32C (Castagnoli), hardware-accelerated through ISA-L.
 *
 * The standard CRC32C as iSCSI, ext4 and LevelDB use it: reflected
 * polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF;
 * "123456789" -> 0xE3069283. ISA-L's crc32_iscsi() does neither the initial
 * nor the final inversion itself (it takes and returns the raw register), so
 * wal_crc32c() inverts on the way in and out. That also makes it chainable:
 * wal_crc32c(wal_crc32c(0, a, n), b, m) == CRC32C of a followed by b.
 *
 * Owns: nothing. May call: ISA-L. Must never: allocate. */
#ifndef POLIS_WAL_CRC32C_H
#define POLIS_WAL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C of `len` bytes at `p`, continuing from `crc` (0 to start). */
uint32_t wal_crc32c(uint32_t crc, const void *p, size_t len);

#endif
