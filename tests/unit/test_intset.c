/* Unit tests for kv/intset.c: sorted order, width upgrades at both ends,
 * removal without downgrade, and a long random run against a plain sorted
 * array as the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "base/rng.h"
#include "kv/intset.h"

static intset *add(intset *is, int64_t v, bool expect_added)
{
    bool added;
    is = intset_add(is, v, &added);
    assert_int_equal(added, expect_added);
    return is;
}

static void expect_contents(const intset *is, const int64_t *want, uint32_t n)
{
    assert_int_equal(intset_len(is), n);
    for (uint32_t i = 0; i < n; i++) assert_int_equal(intset_get(is, i), want[i]);
    assert_int_equal(intset_blob_bytes(is), 8 + (size_t)n * is->width);
}

static void test_sorted_and_distinct(void **state)
{
    (void)state;
    intset *is = intset_new();
    assert_int_equal(is->width, INTSET_WIDTH_16);
    is = add(is, 5, true);
    is = add(is, 1, true);
    is = add(is, 3, true);
    is = add(is, 3, false);
    is = add(is, -7, true);
    const int64_t want[] = {-7, 1, 3, 5};
    expect_contents(is, want, 4);
    assert_true(intset_find(is, 3));
    assert_false(intset_find(is, 4));
    assert_false(intset_find(is, 1ll << 40)); /* wider than the set: absent */
    intset_free(is);
}

static void test_upgrades_keep_order(void **state)
{
    (void)state;
    intset *is = intset_new();
    is = add(is, 10, true);
    is = add(is, -20, true);
    is = add(is, 70000, true); /* int32, goes last */
    assert_int_equal(is->width, INTSET_WIDTH_32);
    const int64_t want32[] = {-20, 10, 70000};
    expect_contents(is, want32, 3);
    is = add(is, -5000000000ll, true); /* int64, goes first */
    assert_int_equal(is->width, INTSET_WIDTH_64);
    const int64_t want64[] = {-5000000000ll, -20, 10, 70000};
    expect_contents(is, want64, 4);
    is = add(is, INT64_MAX, true);
    is = add(is, INT64_MIN, true);
    assert_int_equal(intset_get(is, 0), INT64_MIN);
    assert_int_equal(intset_get(is, 5), INT64_MAX);
    intset_free(is);
}

static void test_remove_keeps_width(void **state)
{
    (void)state;
    intset *is = intset_new();
    is = add(is, 1, true);
    is = add(is, 1ll << 33, true);
    bool removed;
    is = intset_remove(is, 1ll << 33, &removed);
    assert_true(removed);
    is = intset_remove(is, 99, &removed);
    assert_false(removed);
    is = intset_remove(is, 1ll << 50, &removed);
    assert_false(removed);
    assert_int_equal(is->width, INTSET_WIDTH_64); /* no downgrade, as Redis */
    const int64_t want[] = {1};
    expect_contents(is, want, 1);
    is = intset_remove(is, 1, &removed);
    assert_true(removed);
    assert_int_equal(intset_len(is), 0);
    intset_free(is);
}

static void test_widths(void **state)
{
    (void)state;
    assert_int_equal(intset_width_of(INT16_MAX), INTSET_WIDTH_16);
    assert_int_equal(intset_width_of(INT16_MIN), INTSET_WIDTH_16);
    assert_int_equal(intset_width_of(INT16_MAX + 1), INTSET_WIDTH_32);
    assert_int_equal(intset_width_of(INT16_MIN - 1), INTSET_WIDTH_32);
    assert_int_equal(intset_width_of(INT32_MAX), INTSET_WIDTH_32);
    assert_int_equal(intset_width_of((int64_t)INT32_MAX + 1), INTSET_WIDTH_64);
    assert_int_equal(intset_width_of((int64_t)INT32_MIN - 1), INTSET_WIDTH_64);
}

static void test_append_and_reserve(void **state)
{
    (void)state;
    intset *is = intset_new_sized(INTSET_WIDTH_32, 2);
    intset_append(is, -100000);
    intset_append(is, 7);
    is = intset_reserve(is, 3);
    intset_append(is, 100000);
    const int64_t want[] = {-100000, 7, 100000};
    expect_contents(is, want, 3);
    assert_true(intset_find(is, 7));
    intset_free(is);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Values from every width, so upgrades happen at random points. */
static int64_t random_value(rng *r)
{
    switch (rng_below(r, 4)) {
    case 0: return (int64_t)rng_below(r, 200) - 100;
    case 1: return (int64_t)rng_below(r, 200000) - 100000;
    case 2: return (int64_t)rng_next(r);
    default: return (int64_t)rng_below(r, 65536) - 32768;
    }
}

static void test_random_against_model(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 12345);
    for (int round = 0; round < 20; round++) {
        intset *is = intset_new();
        int64_t model[600];
        size_t n = 0;
        for (int op = 0; op < 2000; op++) {
            int64_t v = n > 0 && rng_below(&r, 3) == 0 ? model[rng_below(&r, n)] : random_value(&r);
            void *hit = n > 0 ? bsearch(&v, model, n, sizeof v, cmp_i64) : NULL;
            bool changed;
            if (rng_below(&r, 2) == 0 && n < 600) {
                is = intset_add(is, v, &changed);
                assert_int_equal(changed, hit == NULL);
                if (!hit) {
                    model[n++] = v;
                    qsort(model, n, sizeof v, cmp_i64);
                }
            } else {
                is = intset_remove(is, v, &changed);
                assert_int_equal(changed, hit != NULL);
                if (hit) {
                    size_t at = (size_t)((int64_t *)hit - model);
                    memmove(model + at, model + at + 1, (n - at - 1) * sizeof v);
                    n--;
                }
            }
            assert_int_equal(intset_find(is, v), intset_len(is) == n && bsearch(&v, model, n, sizeof v, cmp_i64) != NULL);
        }
        expect_contents(is, model, (uint32_t)n);
        if (n > 0) assert_non_null(bsearch(&(int64_t){intset_random(is, &r)}, model, n, 8, cmp_i64));
        intset_free(is);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_and_distinct), cmocka_unit_test(test_upgrades_keep_order),
        cmocka_unit_test(test_remove_keeps_width),  cmocka_unit_test(test_widths),
        cmocka_unit_test(test_append_and_reserve),  cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
