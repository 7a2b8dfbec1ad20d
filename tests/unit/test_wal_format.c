/* Unit tests for the WAL's byte formats: CRC32C against the published
 * test vectors (RFC 3720 B.4) and a bitwise reference, record encoding and
 * decoding with every single-bit flip detected, batch, segment and
 * snapshot headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/rng.h"
#include "wal/crc32c.h"
#include "wal/format.h"

/* Bit-at-a-time CRC32C: slow, obviously right. */
static uint32_t crc32c_ref(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static void test_crc32c_vectors(void **state)
{
    (void)state;
    assert_int_equal(wal_crc32c(0, "123456789", 9), 0xE3069283u);
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    assert_int_equal(wal_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    assert_int_equal(wal_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(wal_crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(wal_crc32c(0, buf, 32), 0x113FDB5Cu);
    assert_int_equal(wal_crc32c(0, NULL, 0), 0);
}

static void test_crc32c_matches_reference_and_chains(void **state)
{
    (void)state;
    static uint8_t data[5000];
    rng r;
    rng_seed(&r, 1);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)rng_next(&r);
    for (size_t n = 0; n < sizeof data; n += 1 + n / 8) {
        assert_int_equal(wal_crc32c(0, data, n), crc32c_ref(0, data, n));
        size_t cut = n / 3;
        assert_int_equal(wal_crc32c(wal_crc32c(0, data, cut), data + cut, n - cut),
                         wal_crc32c(0, data, n));
    }
}

static void test_record_roundtrip_and_every_bit_flip(void **state)
{
    (void)state;
    uint8_t payload[40], rec[WAL_RECORD_HEADER_BYTES + sizeof payload];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    uint32_t n =
        wal_rec_encode(rec, WAL_REC_ENTRY, 1, 42, 7, 99, payload, sizeof payload);
    assert_int_equal(n, sizeof rec);
    wal_rec r;
    assert_int_equal(wal_rec_decode(rec, sizeof rec, false, &r), WAL_REC_OK);
    assert_int_equal(r.type, WAL_REC_ENTRY);
    assert_int_equal(r.flags, 1);
    assert_int_equal(r.group, 42);
    assert_int_equal(r.term, 7);
    assert_int_equal(r.index, 99);
    assert_int_equal(r.payload_len, sizeof payload);
    assert_memory_equal(r.payload, payload, sizeof payload);
    /* Byte layout as documented: length, CRC, type, flags, reserved... */
    assert_int_equal(wal_get_u32(rec), sizeof rec);
    assert_int_equal(rec[8], WAL_REC_ENTRY);
    assert_int_equal(wal_get_u64(rec + 12), 42);
    assert_int_equal(wal_get_u64(rec + 28), 99);
    for (size_t bit = 0; bit < 8 * sizeof rec; bit++) {
        rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(wal_rec_decode(rec, sizeof rec, false, &r), WAL_REC_OK);
        rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Framing errors. */
    assert_int_equal(wal_rec_decode(rec, 35, false, &r), WAL_REC_SHORT);
    assert_int_equal(wal_rec_decode(rec, sizeof rec - 1, false, &r), WAL_REC_SHORT);
    uint8_t empty[WAL_RECORD_HEADER_BYTES];
    wal_rec_encode(empty, WAL_REC_TRUNCATE, 0, 1, 0, 5, NULL, 0);
    assert_int_equal(wal_rec_decode(empty, sizeof empty, false, &r), WAL_REC_OK);
    assert_int_equal(r.payload_len, 0);
    wal_put_u32(empty, 20);
    assert_int_equal(wal_rec_decode(empty, sizeof empty, false, &r), WAL_REC_BAD_LENGTH);
}

static void test_batch_and_segment_headers(void **state)
{
    (void)state;
    uint8_t h[WAL_BATCH_HEADER_BYTES], t[WAL_BATCH_TRAILER_BYTES];
    wal_batch_header_encode(h, 77, 500, 3);
    wal_rec r;
    assert_int_equal(wal_rec_decode(h, sizeof h, false, &r), WAL_REC_OK);
    assert_int_equal(r.type, WAL_REC_BATCH);
    assert_int_equal(r.index, 77);
    assert_int_equal(wal_get_u32(r.payload), 500);
    assert_int_equal(wal_get_u32(r.payload + 4), 3);
    assert_memory_equal(r.payload + 8, "PLWBATCH", 8);
    assert_int_not_equal(h[sizeof h - 1], 0);
    wal_batch_trailer_encode(t, 77);
    assert_true(wal_batch_trailer_ok(t, 77));
    assert_false(wal_batch_trailer_ok(t, 78));
    assert_memory_equal(t + 4, "BEND", 4);
    uint8_t s[WAL_SEGMENT_HEADER_BYTES];
    wal_segment_header_encode(s, 12);
    assert_memory_equal(s, "POLISWAL", 8);
    assert_true(wal_segment_header_ok(s, 12));
    assert_false(wal_segment_header_ok(s, 13));
    for (size_t bit = 0; bit < 8 * sizeof s; bit++) {
        s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_false(wal_segment_header_ok(s, 12));
        s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

static void test_snapshot_header(void **state)
{
    (void)state;
    uint64_t ids[] = {1, 2, 3, 4, 9};
    wal_snap_header h = {.group = 5,
                         .index = 100,
                         .term = 6,
                         .data_bytes = 12345,
                         .data_crc = 0xabcdef01,
                         .voter_count = 3,
                         .outgoing_count = 1,
                         .learner_count = 1};
    uint8_t buf[WAL_SNAPSHOT_HEADER_BYTES_MAX];
    uint32_t n = wal_snap_header_encode(buf, &h, ids);
    assert_int_equal(n, 60 + 8 * 5 + 4);
    wal_snap_header d;
    uint32_t hb;
    assert_true(wal_snap_header_decode(buf, n, &d, &hb));
    assert_int_equal(hb, n);
    assert_int_equal(d.group, 5);
    assert_int_equal(d.index, 100);
    assert_int_equal(d.term, 6);
    assert_int_equal(d.data_bytes, 12345);
    assert_int_equal(d.data_crc, 0xabcdef01);
    assert_int_equal(wal_get_u64(d.ids + 8 * 4), 9);
    assert_false(wal_snap_header_decode(buf, n - 1, &d, &hb));
    for (size_t bit = 0; bit < 8 * n; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_false(wal_snap_header_decode(buf, n, &d, &hb));
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_crc32c_matches_reference_and_chains),
        cmocka_unit_test(test_record_roundtrip_and_every_bit_flip),
        cmocka_unit_test(test_batch_and_segment_headers),
        cmocka_unit_test(test_snapshot_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
