/* Unit tests for kv/snapshot.c: dump/load round trips keep every key,
 * value, encoding, expiry and revision; a dump cut short anywhere or with a
 * bad header is refused and leaves the keyspace empty; the digest ignores
 * insertion order but sees every difference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kv_dump_util.h"

#include "base/buf.h"
#include "base/error.h"
#include "base/rng.h"
#include "kv/kv.h"

static void fill(kv_keyspace *ks, uint64_t seed, int count)
{
    rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < count; i++) {
        char key[32], val[200];
        int klen = snprintf(key, sizeof key, "key:%d", i);
        size_t vlen;
        kv_obj *o;
        switch (rng_below(&r, 3)) {
        case 0:
            o = kv_obj_new_int(key, (size_t)klen, (int64_t)rng_next(&r));
            break;
        case 1:
            vlen = rng_below(&r, 45);
            for (size_t k = 0; k < vlen; k++)
                val[k] = (char)rng_below(&r, 256);
            o = kv_obj_new_plain(key, (size_t)klen, val, vlen);
            break;
        default:
            vlen = rng_below(&r, 200);
            for (size_t k = 0; k < vlen; k++)
                val[k] = (char)rng_below(&r, 256);
            o = kv_obj_new_raw(key, (size_t)klen, val, vlen, vlen);
            break;
        }
        o->revision = rng_next(&r);
        kv_insert(ks, o);
        if (rng_below(&r, 2))
            kv_set_expire(ks, o, 1700000000000 + (int64_t)rng_below(&r, 1000000));
    }
}

static void dump(const kv_keyspace *ks, buf *out)
{
    buf_init(out);
    assert_int_equal(kv_dump(ks, to_buf, out), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    kv_keyspace a, b;
    kv_init(&a, 1);
    kv_init(&b, 2); /* another hash seed: another table layout */
    fill(&a, 42, 500);
    buf d;
    dump(&a, &d);
    source src = {d.data, d.len, 0};
    assert_int_equal(kv_load(&b, from_source, &src), 0);
    assert_int_equal(kv_size(&b), kv_size(&a));
    assert_int_equal(kv_digest(&a, 0), kv_digest(&b, 0));
    kv_iter it;
    kv_iter_start(&it, &a);
    kv_obj *x;
    while ((x = kv_iter_next(&it)) != NULL) {
        kv_obj *y = kv_lookup_any(&b, x->data, x->key_len);
        assert_non_null(y);
        assert_int_equal(x->encoding, y->encoding);
        assert_int_equal(x->revision, y->revision);
        assert_int_equal(kv_obj_expire_at(&a, x), kv_obj_expire_at(&b, y));
        char t1[24], t2[24];
        size_t l1, l2;
        const char *v1 = kv_string_bytes(x, t1, &l1), *v2 = kv_string_bytes(y, t2, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(v1, v2, l1);
    }
    kv_iter_end(&it);
    buf_free(&d);
    kv_destroy(&a);
    kv_destroy(&b);
}

static void test_truncated_or_garbled_dump_is_refused(void **state)
{
    (void)state;
    kv_keyspace a, b;
    kv_init(&a, 1);
    kv_init(&b, 1);
    fill(&a, 7, 20);
    buf d;
    dump(&a, &d);
    for (size_t cut = 0; cut < d.len; cut++) {
        source src = {d.data, cut, 0};
        assert_int_equal(kv_load(&b, from_source, &src), POLIS_ECORRUPT);
        assert_int_equal(kv_size(&b), 0);
    }
    d.data[0] ^= 1; /* bad magic */
    source src = {d.data, d.len, 0};
    assert_int_equal(kv_load(&b, from_source, &src), POLIS_ECORRUPT);
    d.data[0] ^= 1;
    d.data[d.len - 1] ^= 1; /* bad end marker */
    src.off = 0;
    assert_int_equal(kv_load(&b, from_source, &src), POLIS_ECORRUPT);
    assert_int_equal(kv_size(&b), 0);
    buf_free(&d);
    kv_destroy(&a);
    kv_destroy(&b);
}

static void test_digest(void **state)
{
    (void)state;
    kv_keyspace a, b;
    kv_init(&a, 1);
    kv_init(&b, 9);
    kv_insert(&a, kv_obj_new_string("x", 1, "1", 1));
    kv_insert(&a, kv_obj_new_string("y", 1, "2", 1));
    kv_insert(&b, kv_obj_new_string("y", 1, "2", 1));
    kv_insert(&b, kv_obj_new_string("x", 1, "1", 1));
    assert_int_equal(kv_digest(&a, 0), kv_digest(&b, 0));
    kv_set_expire(&b, kv_lookup_any(&b, "x", 1), 5000);
    assert_int_not_equal(kv_digest(&a, 0), kv_digest(&b, 0));
    /* Expired keys do not count: at time 5000, b lacks x. */
    kv_delete(&a, "x", 1);
    assert_int_equal(kv_digest(&a, 5000), kv_digest(&b, 5000));
    kv_destroy(&a);
    kv_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated_or_garbled_dump_is_refused),
        cmocka_unit_test(test_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
