/* kv/listpack.h - a compact sequence of strings and integers in one block:
 * the "listpack" encoding of small hashes (field, value, field, value...),
 * small sorted sets (member, score, ...) and the nodes of a quicklist.
 *
 * Layout: a header (total bytes, entry count) and the entries back to back.
 * An entry is a header byte (or two) giving its kind and length, its data,
 * and its own size written backwards ("backlen"), so the sequence can be
 * walked in both directions:
 *
 *   0xxxxxxx                 integer 0..127                       1 byte
 *   10LLLLLL + L bytes       string of 0..63 bytes
 *   110iiiii iiiiiiii        integer -4096..4095 (13 bits, two's complement)
 *   1110LLLL LLLLLLLL + L    string of 64..4095 bytes
 *   11110000 + u32 L + L     string of 4096.. bytes
 *   11110001 + 2 bytes       integer (int16, little-endian)
 *   11110010 + 3 bytes       integer (int24)
 *   11110011 + 4 bytes       integer (int32)
 *   11110100 + 8 bytes       integer (int64)
 *   then backlen: the entry's size so far, 1-5 bytes of 7 bits, the most
 *   significant group first, each byte but the first with its high bit set
 *   (read from its last byte backwards).
 *
 * A string that is an integer in canonical form (Redis's string2ll: no
 * leading zeros or '+', fits in int64) is stored as an integer and read
 * back as the same digits. Positions are byte offsets of an entry, stable
 * until the next insert or delete; LP_NONE means "no entry". Functions that
 * change the listpack may move it and take a pointer to the pointer.
 *
 * Owns: its block. May call: base/. Must never: do I/O. */
#ifndef POLIS_KV_LISTPACK_H
#define POLIS_KV_LISTPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kv_lp {
    uint32_t bytes; /* of the entries */
    uint32_t count;
    uint8_t data[];
} kv_lp;

#define LP_NONE UINT32_MAX
/* Room for the digits of any integer entry (lp_get's tmp). */
#define LP_INT_BUF_BYTES 24

typedef struct lp_entry {
    bool is_int;
    int64_t i;     /* is_int */
    const char *s; /* !is_int: points into the listpack */
    size_t len;
} lp_entry;

kv_lp *lp_new(void);
void lp_free(kv_lp *lp);
static inline uint32_t lp_count(const kv_lp *lp)
{
    return lp->count;
}
/* Heap bytes of the block (MEMORY USAGE). */
size_t lp_alloc_bytes(const kv_lp *lp);

uint32_t lp_first(const kv_lp *lp);
uint32_t lp_last(const kv_lp *lp);
uint32_t lp_next(const kv_lp *lp, uint32_t pos);
uint32_t lp_prev(const kv_lp *lp, uint32_t pos);
/* The entry at index (negative: from the end, -1 = last), or LP_NONE. */
uint32_t lp_seek(const kv_lp *lp, int64_t index);

void lp_get(const kv_lp *lp, uint32_t pos, lp_entry *e);
/* The entry as bytes; integers are formatted into tmp. */
const char *lp_get_str(const kv_lp *lp, uint32_t pos, char tmp[LP_INT_BUF_BYTES],
                       size_t *len);
bool lp_eq(const kv_lp *lp, uint32_t pos, const char *s, size_t len);
/* The first entry equal to s at pos, pos + skip + 1, ... (skip 1 visits
 * every other entry: the fields of a hash). LP_NONE if none. */
uint32_t lp_find(const kv_lp *lp, uint32_t pos, const char *s, size_t len, uint32_t skip);

/* Inserts before pos (LP_NONE: appends); returns the new entry's position. */
uint32_t lp_insert(kv_lp **lpp, uint32_t pos, const char *s, size_t len);
uint32_t lp_insert_int(kv_lp **lpp, uint32_t pos, int64_t v);
static inline uint32_t lp_append(kv_lp **lpp, const char *s, size_t len)
{
    return lp_insert(lpp, LP_NONE, s, len);
}
/* Replaces the entry at pos; returns its (same) position. */
uint32_t lp_replace(kv_lp **lpp, uint32_t pos, const char *s, size_t len);
uint32_t lp_replace_int(kv_lp **lpp, uint32_t pos, int64_t v);
/* Deletes count entries from pos; returns the position of the entry that
 * followed them (LP_NONE at the end). */
uint32_t lp_delete(kv_lp **lpp, uint32_t pos, uint32_t count);

/* Checks the structure (headers, lengths, backlens, count) of a listpack
 * read from a dump; false if it is malformed. */
bool lp_valid(const kv_lp *lp);
/* A listpack from raw bytes (bytes of entries, count), or NULL if they do
 * not form a valid one. */
kv_lp *lp_from_bytes(const void *data, size_t bytes, uint32_t count);

#endif
