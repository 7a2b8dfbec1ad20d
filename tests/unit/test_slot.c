/* Unit tests for cluster/slot.c: CRC16-XMODEM check values, the key -> slot
 * values Redis documents, and the hash tag rules (first '{', first '}' after
 * it, an empty tag means the whole key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/rng.h"
#include "cluster/slot.h"

static uint16_t slot_of(const char *key)
{
    return slot_of_key(key, strlen(key));
}

static void test_crc16_check_values(void **state)
{
    (void)state;
    assert_int_equal(slot_crc16("123456789", 9), 0x31c3); /* the XMODEM check value */
    assert_int_equal(slot_crc16("", 0), 0);
    assert_int_equal(slot_crc16("A", 1), 0x58e5);
}

/* A bit-at-a-time CRC, the definition the table-driven one must agree with. */
static uint16_t crc16_bitwise(const unsigned char *p, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(((unsigned)crc << 1) ^ ((crc & 0x8000u) ? 0x1021u : 0u));
    }
    return crc;
}

static void test_crc16_matches_bitwise_definition(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 42);
    unsigned char buf[64];
    for (int round = 0; round < 2000; round++) {
        size_t len = rng_next(&r) % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rng_next(&r);
        assert_int_equal(slot_crc16(buf, len), crc16_bitwise(buf, len));
    }
}

static void test_documented_slots(void **state)
{
    (void)state;
    assert_int_equal(slot_of("somekey"), 11058);
    assert_int_equal(slot_of("foo{hash_tag}"), 2515);
    assert_int_equal(slot_of("bar{hash_tag}"), 2515);
    assert_int_equal(slot_of("foo"), 12182);
    assert_int_equal(slot_of(""), 0);
}

static void test_hash_tags(void **state)
{
    (void)state;
    /* the tag alone decides */
    assert_int_equal(slot_of("{user1000}.following"), slot_of("user1000"));
    assert_int_equal(slot_of("{user1000}.followers"), slot_of("user1000"));
    /* first '{' and the first '}' after it */
    assert_int_equal(slot_of("foo{bar}{zap}"), slot_of("bar"));
    assert_int_equal(slot_of("foo{{bar}}zap"), slot_of("{bar"));
    /* an empty tag, or no closing brace: the whole key */
    assert_int_equal(slot_of("foo{}{bar}"), slot_crc16("foo{}{bar}", 10) & 16383);
    assert_int_equal(slot_of("foo{bar"), slot_crc16("foo{bar", 7) & 16383);
    assert_int_equal(slot_of("}foo{"), slot_crc16("}foo{", 5) & 16383);

    const char *part;
    size_t len;
    slot_hash_part("a{b}c", 5, &part, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(part, "b", 1);
    /* binary keys: a NUL byte is just a byte */
    slot_hash_part("x\0{y}", 5, &part, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(part, "y", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16_check_values),
        cmocka_unit_test(test_crc16_matches_bitwise_definition),
        cmocka_unit_test(test_documented_slots),
        cmocka_unit_test(test_hash_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
