/* cluster/slot.h - the hash slot of a key.
 *
 * 16384 slots, as Redis Cluster: CRC16 (XMODEM: polynomial 0x1021, initial
 * value 0, no reflection) of the key modulo 16384. When the key contains a
 * "{...}" with at least one byte between the first '{' and the first '}'
 * after it, only those bytes are hashed, so {user1}.a and {user1}.b share a
 * slot. The same function as Redis's, so cluster-aware clients route keys
 * the way polis places them. */
#ifndef POLIS_CLUSTER_SLOT_H
#define POLIS_CLUSTER_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SLOTS 16384u

uint16_t slot_crc16(const void *data, size_t len);

/* The bytes that decide the slot: the hash tag if the key has one, else the
 * whole key. */
void slot_hash_part(const char *key, size_t len, const char **part, size_t *part_len);

/* The key's slot, 0..16383. */
uint16_t slot_of_key(const char *key, size_t len);

#endif
