/* Unit tests for cluster/slotset.c: the set of slots a group serves, and
 * its range encoding (one encoding per set; every damage refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "base/rng.h"
#include "cluster/slotset.h"

static int decode(const buf *b, slot_set *s)
{
    const uint8_t *p = (const uint8_t *)b->data, *end = p + b->len;
    int rv = slot_set_decode(&p, end, s);
    return rv == 0 && p != end ? POLIS_ECORRUPT : rv;
}

static void test_ranges(void **state)
{
    (void)state;
    slot_set s;
    slot_set_clear(&s);
    assert_int_equal(slot_set_count(&s), 0);
    slot_set_add_range(&s, 0, 99);
    slot_set_add_range(&s, 16000, 16383);
    assert_int_equal(slot_set_count(&s), 100 + 384);
    assert_true(slot_set_has(&s, 99) && !slot_set_has(&s, 100));
    assert_true(slot_set_has_any(&s, 50, 15000));
    assert_false(slot_set_has_any(&s, 100, 15999));
    slot_set_remove_range(&s, 50, 16100);
    assert_int_equal(slot_set_count(&s), 50 + 283);
    slot_set_fill(&s);
    assert_int_equal(slot_set_count(&s), CLUSTER_SLOTS);
}

static void test_codec_round_trip(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 42);
    for (int round = 0; round < 200; round++) {
        slot_set s, back;
        slot_set_clear(&s);
        int ranges = (int)(rng_next(&r) % 20);
        for (int i = 0; i < ranges; i++) {
            uint16_t a = (uint16_t)(rng_next(&r) % CLUSTER_SLOTS);
            uint16_t len = (uint16_t)(rng_next(&r) % 300);
            uint16_t b =
                a + len < CLUSTER_SLOTS ? (uint16_t)(a + len) : CLUSTER_SLOTS - 1;
            slot_set_add_range(&s, a, b);
        }
        buf e = BUF_INIT, again = BUF_INIT;
        slot_set_encode(&s, &e);
        assert_int_equal(decode(&e, &back), 0);
        assert_memory_equal(&s, &back, sizeof s);
        slot_set_encode(&back, &again);
        assert_int_equal(e.len, again.len);
        assert_memory_equal(e.data, again.data, e.len);
        for (size_t cut = 0; cut < e.len; cut++) {
            buf part = BUF_INIT;
            buf_append(&part, e.data, cut);
            assert_int_equal(decode(&part, &back), POLIS_ECORRUPT);
            buf_free(&part);
        }
        buf_free(&e);
        buf_free(&again);
    }
    /* every slot, and none */
    slot_set all, back;
    slot_set_fill(&all);
    buf e = BUF_INIT;
    slot_set_encode(&all, &e);
    assert_int_equal(decode(&e, &back), 0);
    assert_int_equal(slot_set_count(&back), CLUSTER_SLOTS);
    buf_free(&e);
}

/* Only the canonical form: sorted, disjoint, not adjacent, in range. */
static void test_codec_refuses_other_forms(void **state)
{
    (void)state;
    static const uint8_t adjacent[] = {2, 1, 2, 3, 4};      /* 1-2, 3-4 */
    static const uint8_t unsorted[] = {2, 10, 12, 1, 2};    /* 10-12, 1-2 */
    static const uint8_t reversed[] = {1, 5, 4};            /* 5-4 */
    static const uint8_t long_zero[] = {0x80, 0x00};        /* 0 in two bytes */
    static const uint8_t too_far[] = {1, 0, 0x80, 0x80, 1}; /* last 16384 */
    const struct {
        const uint8_t *p;
        size_t len;
    } bad[] = {{adjacent, sizeof adjacent},
               {unsorted, sizeof unsorted},
               {reversed, sizeof reversed},
               {long_zero, sizeof long_zero},
               {too_far, sizeof too_far}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf b = BUF_INIT;
        buf_append(&b, bad[i].p, bad[i].len);
        slot_set s;
        assert_int_equal(decode(&b, &s), POLIS_ECORRUPT);
        buf_free(&b);
    }
    static const uint8_t ok[] = {2, 1, 2, 4, 4}; /* 1-2, 4 */
    buf b = BUF_INIT;
    buf_append(&b, ok, sizeof ok);
    slot_set s;
    assert_int_equal(decode(&b, &s), 0);
    assert_int_equal(slot_set_count(&s), 3);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_codec_refuses_other_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
