/* Unit tests for kv/listpack.c: every entry encoding at its boundaries, both
 * directions, and a long random sequence of inserts, replaces and deletes
 * checked against a plain array after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "base/rng.h"
#include "kv/listpack.h"

static const char *str_at(const kv_lp *lp, uint32_t pos, size_t *len)
{
    static char tmp[LP_INT_BUF_BYTES];
    return lp_get_str(lp, pos, tmp, len);
}

static void expect_at(const kv_lp *lp, int64_t index, const char *s, size_t len)
{
    uint32_t pos = lp_seek(lp, index);
    assert_int_not_equal(pos, LP_NONE);
    size_t n;
    const char *v = str_at(lp, pos, &n);
    assert_int_equal(n, len);
    assert_memory_equal(v, s, len);
}

static void test_encodings_round_trip(void **state)
{
    (void)state;
    const char *ints[] = {"0",
                          "127",
                          "128",
                          "-1",
                          "-4096",
                          "4095",
                          "4096",
                          "-4097",
                          "32767",
                          "-32768",
                          "32768",
                          "8388607",
                          "-8388608",
                          "8388608",
                          "2147483647",
                          "-2147483648",
                          "2147483648",
                          "9223372036854775807",
                          "-9223372036854775808"};
    const char *strs[] = {"",
                          "a",
                          "007",
                          "+1",
                          "-0",
                          "1.5",
                          "9223372036854775808",
                          " 1",
                          "12345678901234567890123"};
    kv_lp *lp = lp_new();
    size_t n = 0;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++, n++)
        lp_append(&lp, ints[i], strlen(ints[i]));
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++, n++)
        lp_append(&lp, strs[i], strlen(strs[i]));
    static char big[70000];
    size_t lens[] = {63, 64, 4095, 4096, sizeof big};
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < 5; i++, n++)
        lp_append(&lp, big, lens[i]);
    assert_int_equal(lp_count(lp), n);
    assert_true(lp_valid(lp));
    size_t k = 0;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++, k++) {
        expect_at(lp, (int64_t)k, ints[i], strlen(ints[i]));
        lp_entry e;
        lp_get(lp, lp_seek(lp, (int64_t)k), &e);
        assert_true(e.is_int); /* canonical integers are stored as integers */
    }
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++, k++) {
        expect_at(lp, (int64_t)k, strs[i], strlen(strs[i]));
        lp_entry e;
        lp_get(lp, lp_seek(lp, (int64_t)k), &e);
        assert_false(e.is_int); /* not canonical: kept as the string */
    }
    for (size_t i = 0; i < 5; i++, k++)
        expect_at(lp, (int64_t)k, big, lens[i]);
    /* Backwards: the same entries in reverse. */
    uint32_t pos = lp_last(lp);
    for (int64_t i = (int64_t)n - 1; i >= 0; i--) {
        assert_int_equal(pos, lp_seek(lp, i));
        pos = lp_prev(lp, pos);
    }
    assert_int_equal(pos, LP_NONE);
    expect_at(lp, -1, big, sizeof big);
    assert_int_equal(lp_seek(lp, (int64_t)n), LP_NONE);
    assert_int_equal(lp_seek(lp, -(int64_t)n - 1), LP_NONE);
    lp_free(lp);
}

static void test_find_with_skip(void **state)
{
    (void)state;
    kv_lp *lp = lp_new();
    const char *pairs[] = {"f1", "v1", "v1", "f2", "f3", "10"}; /* hash: field, value */
    for (int i = 0; i < 6; i++)
        lp_append(&lp, pairs[i], strlen(pairs[i]));
    /* Only fields are visited with skip 1: "v1" as a field is absent. */
    assert_int_equal(lp_find(lp, lp_first(lp), "v1", 2, 1), lp_seek(lp, 2));
    assert_int_equal(lp_find(lp, lp_first(lp), "f2", 2, 1), LP_NONE);
    assert_int_equal(lp_find(lp, lp_first(lp), "f3", 2, 1), lp_seek(lp, 4));
    assert_int_equal(lp_find(lp, lp_seek(lp, 1), "10", 2, 1), lp_seek(lp, 5));
    assert_int_equal(lp_find(lp, lp_first(lp), "f2", 2, 0), lp_seek(lp, 3));
    lp_free(lp);
}

static void test_corrupt_input_is_refused(void **state)
{
    (void)state;
    kv_lp *lp = lp_new();
    lp_append(&lp, "hello", 5);
    lp_insert_int(&lp, LP_NONE, 100000);
    kv_lp *copy = lp_from_bytes(lp->data, lp->bytes, lp->count);
    assert_non_null(copy);
    lp_free(copy);
    assert_null(lp_from_bytes(lp->data, lp->bytes, lp->count + 1)); /* count */
    assert_null(lp_from_bytes(lp->data, lp->bytes - 1, lp->count)); /* cut */
    uint8_t bad[64];
    memcpy(bad, lp->data, lp->bytes);
    bad[0] = 0x80 | 40; /* a string longer than the block */
    assert_null(lp_from_bytes(bad, lp->bytes, lp->count));
    memcpy(bad, lp->data, lp->bytes);
    bad[6] ^= 1; /* the first entry's backlen */
    assert_null(lp_from_bytes(bad, lp->bytes, lp->count));
    memcpy(bad, lp->data, lp->bytes);
    bad[7] = 0xf9; /* an unknown header */
    assert_null(lp_from_bytes(bad, lp->bytes, lp->count));
    lp_free(lp);
}

/* The model: an array of strings. */
#define MODEL_MAX 600
static char model[MODEL_MAX][48];
static size_t model_len[MODEL_MAX];
static size_t model_count;

static void random_value(rng *r, char *out, size_t *len)
{
    uint64_t kind = rng_below(r, 4);
    if (kind == 0) {
        *len =
            (size_t)snprintf(out, 48, "%lld", (long long)rng_next(r) >> rng_below(r, 64));
    } else if (kind == 1) {
        *len = (size_t)snprintf(out, 48, "%d", (int)rng_below(r, 9000) - 4500);
    } else {
        *len = rng_below(r, 47);
        for (size_t i = 0; i < *len; i++)
            out[i] = (char)('a' + rng_below(r, 26));
    }
}

static void check_model(const kv_lp *lp)
{
    assert_int_equal(lp_count(lp), model_count);
    assert_true(lp_valid(lp));
    uint32_t pos = lp_first(lp);
    for (size_t i = 0; i < model_count; i++) {
        size_t n;
        const char *v = str_at(lp, pos, &n);
        assert_int_equal(n, model_len[i]);
        assert_memory_equal(v, model[i], n);
        pos = lp_next(lp, pos);
    }
    assert_int_equal(pos, LP_NONE);
}

static void test_random_against_a_model(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 4242);
    kv_lp *lp = lp_new();
    model_count = 0;
    for (int step = 0; step < 20000; step++) {
        uint64_t op = rng_below(&r, 10);
        char v[48];
        size_t len;
        random_value(&r, v, &len);
        if (op < 4 && model_count < MODEL_MAX) {
            size_t at = rng_below(&r, model_count + 1);
            uint32_t pos = at == model_count ? LP_NONE : lp_seek(lp, (int64_t)at);
            lp_insert(&lp, pos, v, len);
            memmove(&model[at + 1], &model[at], (model_count - at) * sizeof model[0]);
            memmove(&model_len[at + 1], &model_len[at],
                    (model_count - at) * sizeof model_len[0]);
            memcpy(model[at], v, len);
            model_len[at] = len;
            model_count++;
        } else if (op < 6 && model_count > 0) {
            size_t at = rng_below(&r, model_count);
            lp_replace(&lp, lp_seek(lp, (int64_t)at), v, len);
            memcpy(model[at], v, len);
            model_len[at] = len;
        } else if (model_count > 0) {
            size_t at = rng_below(&r, model_count);
            size_t n = 1 + rng_below(&r, 3);
            if (n > model_count - at) n = model_count - at;
            uint32_t next = lp_delete(&lp, lp_seek(lp, (int64_t)at), (uint32_t)n);
            assert_int_equal(next,
                             at + n == model_count ? LP_NONE : lp_seek(lp, (int64_t)at));
            memmove(&model[at], &model[at + n], (model_count - at - n) * sizeof model[0]);
            memmove(&model_len[at], &model_len[at + n],
                    (model_count - at - n) * sizeof model_len[0]);
            model_count -= n;
        }
        if (step % 97 == 0 || model_count < 5) check_model(lp);
    }
    check_model(lp);
    lp_free(lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodings_round_trip),
        cmocka_unit_test(test_find_with_skip),
        cmocka_unit_test(test_corrupt_input_is_refused),
        cmocka_unit_test(test_random_against_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
