/* cluster/slot.c - CRC16-XMODEM and the key -> slot function (slot.h). */
#include "cluster/slot.h"

#include <string.h>

/* CRC16 with polynomial 0x1021, one table lookup per byte. The table is
 * built from the polynomial when the program loads (before any thread
 * exists), rather than written out. */
static uint16_t crc_table[256];

__attribute__((constructor)) static void crc_table_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint16_t crc = (uint16_t)(i << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (uint16_t)(((unsigned)crc << 1) ^ ((crc & 0x8000u) ? 0x1021u : 0u));
        crc_table[i] = crc;
    }
}

uint16_t slot_crc16(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ p[i]) & 0xffu]);
    return crc;
}

void slot_hash_part(const char *key, size_t len, const char **part, size_t *part_len)
{
    *part = key;
    *part_len = len;
    const char *open = len ? memchr(key, '{', len) : NULL;
    if (open == NULL) return;
    size_t after = (size_t)(open - key) + 1;
    const char *close = memchr(open + 1, '}', len - after);
    if (close == NULL || close == open + 1) return; /* no '}', or "{}": the whole key */
    *part = open + 1;
    *part_len = (size_t)(close - open - 1);
}

uint16_t slot_of_key(const char *key, size_t len)
{
    const char *part;
    size_t part_len;
    slot_hash_part(key, len, &part, &part_len);
    return (uint16_t)(slot_crc16(part, part_len) & (CLUSTER_SLOTS - 1));
}
