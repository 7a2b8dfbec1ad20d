/* base/siphash.h - SipHash-1-3, a keyed hash for hash tables.
 *
 * Keyed so that clients cannot choose keys that all collide (hash flooding).
 * Hand-written: it is ~40 lines and on the hot path of every lookup; the
 * Debian libraries that offer SipHash (libsodium) expose only 2-4, which is
 * slower. See docs/design/001-foundation.md. */
#ifndef POLIS_BASE_SIPHASH_H
#define POLIS_BASE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash13(const void *data, size_t len, const uint8_t key[16]);

#endif
