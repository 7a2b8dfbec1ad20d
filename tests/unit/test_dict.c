/* Unit tests for base/dict: lookups during incremental rehash, SCAN
 * guarantees across resizes, random picks, iteration with deletion, and a
 * model-based random test against a simple array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/dict.h"
#include "base/mem.h"
#include "base/rng.h"

typedef struct item {
    dict_node node;
    char key[24];
    size_t len;
    int seen;
} item;

static const char *item_key(const dict_node *n, size_t *len)
{
    const item *it = (const item *)n;
    *len = it->len;
    return it->key;
}

static const dict_type item_type = {item_key};

static item *item_new(int i)
{
    item *it = mem_calloc(1, sizeof *it);
    it->len = (size_t)snprintf(it->key, sizeof it->key, "key:%d", i);
    return it;
}

static item *find(dict *d, int i)
{
    char k[24];
    int n = snprintf(k, sizeof k, "key:%d", i);
    return (item *)dict_find(d, k, (size_t)n);
}

static void free_all(dict *d)
{
    dict_iter it;
    dict_iter_start(&it, d);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) mem_free(n);
    dict_iter_end(&it);
    dict_free(d);
}

static void test_add_find_remove(void **state)
{
    (void)state;
    dict d;
    dict_init(&d, &item_type, 1);
    for (int i = 0; i < 1000; i++) {
        dict_add(&d, &item_new(i)->node);
        /* Every key added so far is findable, rehashing or not. */
        if (i % 97 == 0)
            for (int j = 0; j <= i; j++) assert_non_null(find(&d, j));
    }
    assert_int_equal(dict_size(&d), 1000);
    assert_null(find(&d, 1000));
    for (int i = 0; i < 1000; i += 2) {
        char k[24];
        int n = snprintf(k, sizeof k, "key:%d", i);
        dict_node *removed = dict_remove(&d, k, (size_t)n);
        assert_non_null(removed);
        mem_free(removed);
    }
    assert_int_equal(dict_size(&d), 500);
    for (int i = 0; i < 1000; i++) {
        if (i % 2) assert_non_null(find(&d, i));
        else assert_null(find(&d, i));
    }
    free_all(&d);
}

static void test_lookup_during_rehash(void **state)
{
    (void)state;
    dict d;
    dict_init(&d, &item_type, 2);
    int added = 0;
    /* Grow until a rehash is in progress, then check every key at each
     * step of it. */
    while (!dict_is_rehashing(&d)) dict_add(&d, &item_new(added++)->node);
    int steps = 0;
    while (dict_is_rehashing(&d)) {
        for (int j = 0; j < added; j++) assert_non_null(find(&d, j));
        dict_rehash(&d, 1);
        steps++;
    }
    assert_true(steps > 0);
    for (int j = 0; j < added; j++) assert_non_null(find(&d, j));
    free_all(&d);
}

static void mark_seen(void *priv, dict_node *n)
{
    (void)priv;
    ((item *)n)->seen++;
}

/* SCAN: every element present for the whole scan is returned at least once,
 * while the table grows and shrinks between calls. */
static void test_scan_across_resizes(void **state)
{
    (void)state;
    dict d;
    dict_init(&d, &item_type, 3);
    item *stable[300];
    for (int i = 0; i < 300; i++) {
        stable[i] = item_new(i);
        dict_add(&d, &stable[i]->node);
    }
    uint64_t cursor = 0;
    int next = 300, calls = 0;
    do {
        cursor = dict_scan(&d, cursor, mark_seen, NULL);
        calls++;
        /* Grow during the first half, then shrink by removing the extras. */
        if (calls < 40) {
            for (int k = 0; k < 50; k++) dict_add(&d, &item_new(next++)->node);
        } else {
            for (int k = 0; k < 60 && next > 300; k++) {
                next--;
                char key[24];
                int n = snprintf(key, sizeof key, "key:%d", next);
                mem_free(dict_remove(&d, key, (size_t)n));
            }
        }
        assert_true(calls < 100000);
    } while (cursor != 0);
    for (int i = 0; i < 300; i++) assert_true(stable[i]->seen >= 1);
    free_all(&d);
}

static void test_random_covers_all(void **state)
{
    (void)state;
    dict d;
    dict_init(&d, &item_type, 4);
    item *items[20];
    for (int i = 0; i < 20; i++) {
        items[i] = item_new(i);
        dict_add(&d, &items[i]->node);
    }
    rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < 2000; i++) ((item *)dict_random(&d, &r))->seen++;
    for (int i = 0; i < 20; i++) assert_true(items[i]->seen > 0);
    /* Same seed, same table: same picks (replicas depend on this). */
    rng a, b;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    for (int i = 0; i < 100; i++) assert_ptr_equal(dict_random(&d, &a), dict_random(&d, &b));
    free_all(&d);
}

static void test_iterate_and_delete(void **state)
{
    (void)state;
    dict d;
    dict_init(&d, &item_type, 5);
    for (int i = 0; i < 500; i++) dict_add(&d, &item_new(i)->node);
    dict_iter it;
    dict_iter_start(&it, &d);
    dict_node *n;
    int visited = 0;
    while ((n = dict_iter_next(&it)) != NULL) {
        visited++;
        item *x = (item *)n;
        if (x->key[x->len - 1] % 2 == 0) mem_free(dict_remove(&d, x->key, x->len));
    }
    dict_iter_end(&it);
    assert_int_equal(visited, 500);
    assert_int_equal(dict_size(&d), 250);
    free_all(&d);
}

/* Model-based: random adds and removes checked against a presence array. */
static void test_random_model(void **state)
{
    (void)state;
    enum { KEYS = 2000, OPS = 50000 };
    static bool present[KEYS];
    memset(present, 0, sizeof present);
    dict d;
    dict_init(&d, &item_type, 6);
    rng r;
    rng_seed(&r, 1234);
    size_t count = 0;
    for (int op = 0; op < OPS; op++) {
        int k = (int)rng_below(&r, KEYS);
        if (rng_below(&r, 3) != 0 && !present[k]) {
            dict_add(&d, &item_new(k)->node);
            present[k] = true;
            count++;
        } else if (present[k]) {
            char key[24];
            int n = snprintf(key, sizeof key, "key:%d", k);
            mem_free(dict_remove(&d, key, (size_t)n));
            present[k] = false;
            count--;
        }
        assert_int_equal(dict_size(&d), count);
        int probe = (int)rng_below(&r, KEYS);
        assert_int_equal(find(&d, probe) != NULL, present[probe]);
    }
    free_all(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_remove),   cmocka_unit_test(test_lookup_during_rehash),
        cmocka_unit_test(test_scan_across_resizes), cmocka_unit_test(test_random_covers_all),
        cmocka_unit_test(test_iterate_and_delete), cmocka_unit_test(test_random_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
