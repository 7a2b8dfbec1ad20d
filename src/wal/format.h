/* wal/format.h - the on-disk format of segments, records, batches and
 * snapshot files: constants, encoders and decoders. Internal to wal/.
 *
 * Pure functions over byte arrays (no I/O), shared by the writer, the
 * recovery scanner, the snapshot store and the fuzz targets. Every integer
 * is little-endian and unaligned. docs/formats.md holds the same tables.
 * Owns: nothing. May call: wal/crc32c. Must never: read past `avail`
 * (the bytes come from a disk and may be anything), allocate. 
 *
 * Segment file "<seq:016x>.wal", preallocated to segment_bytes:
 *
 *   off  size  field
 *   0    8     magic "POLISWAL"
 *   8    4     format version (1)
 *   12   4     header bytes (32)
 *   16   8     segment sequence number (equals the one in the file name)
 *   24   4     reserved, 0
 *   28   4     CRC32C of bytes [0, 28)
 *   32   ...   batches, back to back; then zeros up to the end of the file
 *
 * Record (every piece of data in a batch, the batch header included):
 *
 *   off  size  field
 *   0    4     length: bytes of the whole record, header included (>= 36)
 *   4    4     CRC32C of bytes [0, 4) followed by bytes [8, length)
 *   8    1     type (enum wal_rec_type)
 *   9    1     flags: the raft entry type for ENTRY records, else 0
 *   10   2     reserved, 0
 *   12   8     group id
 *   20   8     term
 *   28   8     index
 *   36   ...   payload (length - 36 bytes)
 *
 * Batch: the unit one write puts on disk, and the unit recovery keeps or
 * drops as a whole:
 *
 *   BATCH record (52 bytes: group 0, term 0, index = batch sequence number)
 *     payload: 0 u32 batch bytes (the BATCH record through the trailer)
 *              4 u32 number of records after the BATCH record
 *              8 u64 magic "PLWBATCH" (gives a damaged header many set bits)
 *   records...
 *   trailer (8 bytes): u32 low 32 bits of the batch sequence number, then
 *              the 4 bytes "BEND". It ends in a non-zero byte, so the last
 *              512-byte sector a batch touches is never all zeros.
 */
#ifndef POLIS_WAL_FORMAT_H
#define POLIS_WAL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WAL_FORMAT_VERSION 1u

#define WAL_SEGMENT_MAGIC        "POLISWAL"
#define WAL_SEGMENT_HEADER_BYTES 32u

#define WAL_RECORD_HEADER_BYTES      36u
#define WAL_BATCH_PAYLOAD_BYTES      16u
#define WAL_BATCH_HEADER_BYTES       (WAL_RECORD_HEADER_BYTES + WAL_BATCH_PAYLOAD_BYTES)
#define WAL_BATCH_TRAILER_BYTES      8u
#define WAL_BATCH_OVERHEAD_BYTES     (WAL_BATCH_HEADER_BYTES + WAL_BATCH_TRAILER_BYTES)
#define WAL_BATCH_MAGIC              0x4843544142574c50ull /* "PLWBATCH" little-endian */
#define WAL_BATCH_END_MAGIC          0x444e4542u           /* "BEND" little-endian */
#define WAL_HARD_STATE_PAYLOAD_BYTES 8u

/* Recovery's unit of "was this ever written": a torn write leaves whole
 * 512-byte sectors unwritten (zeros in a preallocated file). */
#define WAL_SECTOR_BYTES 512u
/* A batch header with fewer set bits than this cannot be a damaged real one
 * (the magic alone has 22 and the type, length, CRC and sequence add more):
 * it is noise in the zeroed space after the last batch. */
#define WAL_NOISE_BITS_MAX 15u

/* Hard upper bound on a segment, whatever the options say: offsets inside
 * a segment are u32 in the in-memory index. */
#define WAL_SEGMENT_BYTES_LIMIT (1ull << 31)

enum wal_rec_type {
    WAL_REC_BATCH = 1,
    WAL_REC_ENTRY = 2,
    WAL_REC_HARD_STATE = 3, /* term = hs.term, index = hs.commit, payload u64 vote */
    WAL_REC_TRUNCATE = 4,   /* index = first index removed; entries >= it go */
    WAL_REC_COMPACT = 5,    /* index = new first index, term = term of index-1 */
    WAL_REC_DROP = 6,       /* the group leaves this node: all its state goes */
    WAL_REC_TYPE_MAX_
};

typedef struct wal_rec {
    uint32_t length;
    uint32_t crc;
    uint8_t type;
    uint8_t flags;
    uint64_t group;
    uint64_t term;
    uint64_t index;
    const uint8_t *payload; /* points into the decoded bytes */
    uint32_t payload_len;
} wal_rec;

/* ---- Little-endian helpers ---------------------------------------------- */

static inline void wal_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void wal_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wal_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t wal_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t wal_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t wal_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- Records ------------------------------------------------------------- */

/* Writes a record header and copies the payload after it into dst (which
 * has room for WAL_RECORD_HEADER_BYTES + payload_len), computing the CRC
 * once. Returns the record length. */
uint32_t wal_rec_encode(uint8_t *dst, uint8_t type, uint8_t flags, uint64_t group,
                        uint64_t term, uint64_t index, const void *payload,
                        uint32_t payload_len);
/* The CRC a record of `length` bytes at p must carry. */
uint32_t wal_rec_crc(const uint8_t *p, uint32_t length);

enum wal_rec_status {
    WAL_REC_OK = 0,
    WAL_REC_SHORT, /* fewer than 36 bytes, or length beyond `avail` */
    WAL_REC_BAD_LENGTH,
    WAL_REC_BAD_CRC,
    WAL_REC_BAD_TYPE, /* unknown type, non-zero reserved bytes */
};

/* Decodes the record at p, with `avail` bytes readable. Checks the framing,
 * the CRC (unless skip_crc: a test-only switch) and the type. */
enum wal_rec_status wal_rec_decode(const uint8_t *p, size_t avail, bool skip_crc,
                                   wal_rec *out);
const char *wal_rec_status_str(enum wal_rec_status st);

/* ---- Batches ------------------------------------------------------------- */

/* Fills the 52-byte BATCH record at dst. */
void wal_batch_header_encode(uint8_t *dst, uint64_t seq, uint32_t batch_bytes,
                             uint32_t record_count);
void wal_batch_trailer_encode(uint8_t *dst, uint64_t seq);
bool wal_batch_trailer_ok(const uint8_t *p, uint64_t seq);

/* ---- Segment header -------------------------------------------------------- */

void wal_segment_header_encode(uint8_t *dst, uint64_t seq);
/* True if the 32 bytes at p are a valid header of segment `seq`. */
bool wal_segment_header_ok(const uint8_t *p, uint64_t seq);

/* ---- Snapshot file header ---------------------------------------------------
 *
 * Snapshot file "snap/<group:016x>-<index:016x>.snap":
 *
 *   off  size  field
 *   0    8     magic "POLISSNP"
 *   8    4     format version (1)
 *   12   4     header bytes H = 64 + 8 * (voters + outgoing + learners)
 *   16   8     group id
 *   24   8     snapshot index (last entry it covers)
 *   32   8     snapshot term
 *   40   8     data bytes
 *   48   4     CRC32C of the data bytes
 *   52   1     voter count, 53 outgoing voter count, 54 learner count
 *   55   5     reserved, 0
 *   60   ...   voter ids, then outgoing voter ids, then learner ids (u64 each)
 *   H-4  4     CRC32C of bytes [0, H-4)
 *   H    ...   data
 */
#define WAL_SNAPSHOT_MAGIC            "POLISSNP"
#define WAL_SNAPSHOT_FIXED_BYTES      60u
#define WAL_SNAPSHOT_HEADER_BYTES_MAX (WAL_SNAPSHOT_FIXED_BYTES + 8u * 3u * 255u + 4u)

typedef struct wal_snap_header {
    uint64_t group;
    uint64_t index;
    uint64_t term;
    uint64_t data_bytes;
    uint32_t data_crc;
    uint8_t voter_count, outgoing_count, learner_count;
    const uint8_t *ids; /* decode: points into the header bytes */
} wal_snap_header;

uint32_t wal_snap_header_bytes(uint8_t voters, uint8_t outgoing, uint8_t learners);
/* Encodes into dst (room for wal_snap_header_bytes()); ids are voters,
 * outgoing voters, learners in that order. Returns the header length. */
uint32_t wal_snap_header_encode(uint8_t *dst, const wal_snap_header *h,
                                const uint64_t *ids);
/* Decodes a header from `avail` bytes; false if it is not a valid one. */
bool wal_snap_header_decode(const uint8_t *p, size_t avail, wal_snap_header *out,
                            uint32_t *header_bytes);

#endif
