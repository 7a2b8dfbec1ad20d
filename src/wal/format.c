/* wal/format.c - encoders and decoders of the byte layouts in format.h.
 * Every decoder checks lengths before it reads: the bytes come from a disk
 * and may be anything. */
#include "wal/format.h"

#include "base/assert.h"
#include "wal/crc32c.h"

uint32_t wal_rec_crc(const uint8_t *p, uint32_t length)
{
    PASSERT(length >= WAL_RECORD_HEADER_BYTES);
    /* The CRC covers the length field too, so a damaged length is caught by
     * the CRC of whatever it frames instead of silently reframing. */
    uint32_t crc = wal_crc32c(0, p, 4);
    return wal_crc32c(crc, p + 8, length - 8);
}

uint32_t wal_rec_encode(uint8_t *dst, uint8_t type, uint8_t flags, uint64_t group,
                        uint64_t term, uint64_t index, const void *payload,
                        uint32_t payload_len)
{
    PASSERT(type >= WAL_REC_BATCH && type < WAL_REC_TYPE_MAX_);
    uint32_t length = WAL_RECORD_HEADER_BYTES + payload_len;
    wal_put_u32(dst + 0, length);
    dst[8] = type;
    dst[9] = flags;
    wal_put_u16(dst + 10, 0);
    wal_put_u64(dst + 12, group);
    wal_put_u64(dst + 20, term);
    wal_put_u64(dst + 28, index);
    if (payload_len > 0) memcpy(dst + WAL_RECORD_HEADER_BYTES, payload, payload_len);
    wal_put_u32(dst + 4, wal_rec_crc(dst, length));
    return length;
}

enum wal_rec_status wal_rec_decode(const uint8_t *p, size_t avail, bool skip_crc,
                                   wal_rec *out)
{
    if (avail < WAL_RECORD_HEADER_BYTES) return WAL_REC_SHORT;
    uint32_t length = wal_get_u32(p);
    if (length < WAL_RECORD_HEADER_BYTES) return WAL_REC_BAD_LENGTH;
    if (length > avail) return WAL_REC_SHORT;
    uint32_t crc = wal_get_u32(p + 4);
    if (!skip_crc && crc != wal_rec_crc(p, length)) return WAL_REC_BAD_CRC;
    uint8_t type = p[8];
    if (type < WAL_REC_BATCH || type >= WAL_REC_TYPE_MAX_) return WAL_REC_BAD_TYPE;
    if (wal_get_u16(p + 10) != 0) return WAL_REC_BAD_TYPE;
    out->length = length;
    out->crc = crc;
    out->type = type;
    out->flags = p[9];
    out->group = wal_get_u64(p + 12);
    out->term = wal_get_u64(p + 20);
    out->index = wal_get_u64(p + 28);
    out->payload = p + WAL_RECORD_HEADER_BYTES;
    out->payload_len = length - WAL_RECORD_HEADER_BYTES;
    return WAL_REC_OK;
}

const char *wal_rec_status_str(enum wal_rec_status st)
{
    switch (st) {
    case WAL_REC_OK:
        return "ok";
    case WAL_REC_SHORT:
        return "record extends past the end of its space";
    case WAL_REC_BAD_LENGTH:
        return "bad record length";
    case WAL_REC_BAD_CRC:
        return "record CRC mismatch";
    case WAL_REC_BAD_TYPE:
        return "bad record type";
    }
    return "unknown";
}

void wal_batch_header_encode(uint8_t *dst, uint64_t seq, uint32_t batch_bytes,
                             uint32_t record_count)
{
    uint8_t payload[WAL_BATCH_PAYLOAD_BYTES];
    wal_put_u32(payload + 0, batch_bytes);
    wal_put_u32(payload + 4, record_count);
    wal_put_u64(payload + 8, WAL_BATCH_MAGIC);
    uint32_t n = wal_rec_encode(dst, WAL_REC_BATCH, 0, 0, 0, seq, payload,
                                WAL_BATCH_PAYLOAD_BYTES);
    PASSERT(n == WAL_BATCH_HEADER_BYTES);
}

void wal_batch_trailer_encode(uint8_t *dst, uint64_t seq)
{
    wal_put_u32(dst, (uint32_t)seq);
    wal_put_u32(dst + 4, WAL_BATCH_END_MAGIC);
}

bool wal_batch_trailer_ok(const uint8_t *p, uint64_t seq)
{
    return wal_get_u32(p) == (uint32_t)seq && wal_get_u32(p + 4) == WAL_BATCH_END_MAGIC;
}

void wal_segment_header_encode(uint8_t *dst, uint64_t seq)
{
    memcpy(dst, WAL_SEGMENT_MAGIC, 8);
    wal_put_u32(dst + 8, WAL_FORMAT_VERSION);
    wal_put_u32(dst + 12, WAL_SEGMENT_HEADER_BYTES);
    wal_put_u64(dst + 16, seq);
    wal_put_u32(dst + 24, 0);
    wal_put_u32(dst + 28, wal_crc32c(0, dst, 28));
}

bool wal_segment_header_ok(const uint8_t *p, uint64_t seq)
{
    return memcmp(p, WAL_SEGMENT_MAGIC, 8) == 0 &&
           wal_get_u32(p + 8) == WAL_FORMAT_VERSION &&
           wal_get_u32(p + 12) == WAL_SEGMENT_HEADER_BYTES &&
           wal_get_u64(p + 16) == seq && wal_get_u32(p + 24) == 0 &&
           wal_get_u32(p + 28) == wal_crc32c(0, p, 28);
}

uint32_t wal_snap_header_bytes(uint8_t voters, uint8_t outgoing, uint8_t learners)
{
    return WAL_SNAPSHOT_FIXED_BYTES + 8u * ((uint32_t)voters + outgoing + learners) + 4u;
}

uint32_t wal_snap_header_encode(uint8_t *dst, const wal_snap_header *h,
                                const uint64_t *ids)
{
    uint32_t n =
        wal_snap_header_bytes(h->voter_count, h->outgoing_count, h->learner_count);
    memset(dst, 0, n);
    memcpy(dst, WAL_SNAPSHOT_MAGIC, 8);
    wal_put_u32(dst + 8, WAL_FORMAT_VERSION);
    wal_put_u32(dst + 12, n);
    wal_put_u64(dst + 16, h->group);
    wal_put_u64(dst + 24, h->index);
    wal_put_u64(dst + 32, h->term);
    wal_put_u64(dst + 40, h->data_bytes);
    wal_put_u32(dst + 48, h->data_crc);
    dst[52] = h->voter_count;
    dst[53] = h->outgoing_count;
    dst[54] = h->learner_count;
    uint32_t id_count = (uint32_t)h->voter_count + h->outgoing_count + h->learner_count;
    for (uint32_t i = 0; i < id_count; i++)
        wal_put_u64(dst + WAL_SNAPSHOT_FIXED_BYTES + 8 * i, ids[i]);
    wal_put_u32(dst + n - 4, wal_crc32c(0, dst, n - 4));
    return n;
}

bool wal_snap_header_decode(const uint8_t *p, size_t avail, wal_snap_header *out,
                            uint32_t *header_bytes)
{
    if (avail < WAL_SNAPSHOT_FIXED_BYTES + 4) return false;
    if (memcmp(p, WAL_SNAPSHOT_MAGIC, 8) != 0) return false;
    if (wal_get_u32(p + 8) != WAL_FORMAT_VERSION) return false;
    uint32_t n = wal_get_u32(p + 12);
    if (n != wal_snap_header_bytes(p[52], p[53], p[54]) || n > avail) return false;
    for (int i = 55; i < 60; i++)
        if (p[i] != 0) return false;
    if (wal_get_u32(p + n - 4) != wal_crc32c(0, p, n - 4)) return false;
    out->group = wal_get_u64(p + 16);
    out->index = wal_get_u64(p + 24);
    out->term = wal_get_u64(p + 32);
    out->data_bytes = wal_get_u64(p + 40);
    out->data_crc = wal_get_u32(p + 48);
    out->voter_count = p[52];
    out->outgoing_count = p[53];
    out->learner_count = p[54];
    out->ids = p + WAL_SNAPSHOT_FIXED_BYTES;
    *header_bytes = n;
    return true;
}
