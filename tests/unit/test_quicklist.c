/* Unit tests for kv/quicklist.c: node filling by size and by count, big
 * elements in nodes of their own, splits on insert and replace, merges after
 * deletes, range deletes, iteration in both directions, and long random
 * sequences of every operation checked against a plain array (and the
 * structure's invariants) after every step, for every fill. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/rng.h"
#include "kv/quicklist.h"

/* ---- A plain model: an array of strings ------------------------------------ */

typedef struct model {
    char **s;
    size_t *len;
    size_t count;
    size_t cap;
} model;

static void model_insert(model *m, size_t at, const char *s, size_t len)
{
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->s = realloc(m->s, m->cap * sizeof *m->s);
        m->len = realloc(m->len, m->cap * sizeof *m->len);
    }
    memmove(m->s + at + 1, m->s + at, (m->count - at) * sizeof *m->s);
    memmove(m->len + at + 1, m->len + at, (m->count - at) * sizeof *m->len);
    m->s[at] = malloc(len + 1);
    memcpy(m->s[at], s, len);
    m->len[at] = len;
    m->count++;
}

static void model_delete(model *m, size_t at, size_t n)
{
    for (size_t i = at; i < at + n; i++)
        free(m->s[i]);
    memmove(m->s + at, m->s + at + n, (m->count - at - n) * sizeof *m->s);
    memmove(m->len + at, m->len + at + n, (m->count - at - n) * sizeof *m->len);
    m->count -= n;
}

static void model_set(model *m, size_t at, const char *s, size_t len)
{
    free(m->s[at]);
    m->s[at] = malloc(len + 1);
    memcpy(m->s[at], s, len);
    m->len[at] = len;
}

static void model_free(model *m)
{
    model_delete(m, 0, m->count);
    free(m->s);
    free(m->len);
}

/* ---- Helpers -------------------------------------------------------------- */

static const char *entry_str(const lp_entry *e, char tmp[LP_INT_BUF_BYTES], size_t *len)
{
    if (!e->is_int) {
        *len = e->len;
        return e->s;
    }
    *len = fmt_i64(tmp, e->i);
    return tmp;
}

static void expect_index(const quicklist *ql, int64_t index, const char *s, size_t len)
{
    ql_pos pos;
    assert_true(ql_index(ql, index, &pos));
    lp_entry e;
    ql_get(&pos, &e);
    char tmp[LP_INT_BUF_BYTES];
    size_t n;
    const char *v = entry_str(&e, tmp, &n);
    assert_int_equal(n, len);
    assert_memory_equal(v, s, len);
}

/* The whole list against the model, walking both ways. */
static void expect_model(quicklist *ql, const model *m)
{
    assert_true(ql_valid(ql));
    assert_int_equal(ql_count(ql), m->count);
    if (m->count == 0) {
        assert_null(ql->head);
        return;
    }
    for (int dir = 0; dir < 2; dir++) {
        bool forward = dir == 0;
        ql_iter it;
        lp_entry e;
        ql_iter_init(&it, ql, forward ? 0 : m->count - 1, forward);
        size_t seen = 0;
        while (ql_iter_next(&it, &e)) {
            size_t i = forward ? seen : m->count - 1 - seen;
            char tmp[LP_INT_BUF_BYTES];
            size_t n;
            const char *v = entry_str(&e, tmp, &n);
            assert_int_equal(n, m->len[i]);
            assert_memory_equal(v, m->s[i], n);
            seen++;
        }
        ql_iter_finish(&it);
        assert_int_equal(seen, m->count);
    }
}

static void push_str(quicklist *ql, bool tail, const char *s)
{
    ql_push(ql, tail, s, strlen(s));
}

static char big[70000];

static void fill_big(void)
{
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('A' + i % 23);
}

/* ---- Focused cases ---------------------------------------------------------- */

static void test_push_pop_both_ends(void **state)
{
    (void)state;
    quicklist *ql = ql_new(QL_FILL_DEFAULT);
    push_str(ql, true, "b");
    push_str(ql, false, "a");
    push_str(ql, true, "123");
    push_str(ql, true, "-7");
    assert_int_equal(ql_count(ql), 4);
    assert_int_equal(ql->node_count, 1);
    expect_index(ql, 0, "a", 1);
    expect_index(ql, -1, "-7", 2);
    expect_index(ql, 2, "123", 3);
    ql_pos pos;
    assert_false(ql_index(ql, 4, &pos));
    assert_false(ql_index(ql, -5, &pos));
    ql_pop(ql, false);
    ql_pop(ql, true);
    expect_index(ql, 0, "b", 1);
    expect_index(ql, 1, "123", 3);
    ql_pop(ql, true);
    ql_pop(ql, true);
    assert_int_equal(ql_count(ql), 0);
    assert_null(ql->head);
    assert_null(ql->tail);
    assert_int_equal(ql->node_count, 0);
    assert_true(ql_valid(ql));
    ql_free(ql);
}

/* fill N > 0 caps elements per node; fill -k caps the node's bytes at
 * 4 KiB << (k-1), measured as Redis measures (entries + 7). */
static void test_fill_by_count_and_by_size(void **state)
{
    (void)state;
    quicklist *ql = ql_new(3);
    for (int i = 0; i < 10; i++)
        push_str(ql, true, "x");
    assert_int_equal(ql->node_count, 4);
    for (const ql_node *n = ql->head; n; n = n->next)
        assert_true(n->lp->count <= 3);
    ql_free(ql);

    /* 100-byte strings take 100 + 2 (header) + 1 (backlen) = 103 bytes;
     * Redis's estimate of one more is 100 + 1 + 2. With -1 (4096 bytes) a
     * node takes (4096 - 7) / 103 = 39 elements. */
    ql = ql_new(-1);
    char s[100];
    memset(s, 's', sizeof s);
    for (int i = 0; i < 100; i++)
        ql_push(ql, true, s, sizeof s);
    assert_int_equal(ql->head->lp->count, 39);
    assert_true(ql->head->lp->bytes + QL_LP_OVERHEAD_BYTES <= 4096);
    assert_int_equal(ql->node_count, 3);
    ql_free(ql);

    /* A positive fill still stops at 8 KiB. */
    ql = ql_new(1000);
    for (int i = 0; i < 200; i++)
        ql_push(ql, true, s, sizeof s);
    assert_int_equal(ql->head->lp->count, (8192 - 7) / 103);
    ql_free(ql);

    /* Fill 0 allows one element per node; fills are clamped to -5..32767. */
    ql = ql_new(0);
    for (int i = 0; i < 5; i++)
        push_str(ql, false, "y");
    assert_int_equal(ql->node_count, 5);
    ql_set_fill(ql, -100);
    assert_int_equal(ql->fill, -5);
    ql_set_fill(ql, 1 << 30);
    assert_int_equal(ql->fill, QL_FILL_MAX);
    ql_free(ql);
}

static void test_big_elements_get_their_own_node(void **state)
{
    (void)state;
    fill_big();
    quicklist *ql = ql_new(QL_FILL_DEFAULT);
    push_str(ql, true, "a");
    ql_push(ql, true, big, 10000);
    push_str(ql, true, "b");
    push_str(ql, false, "z");
    assert_int_equal(ql->node_count, 3);
    assert_int_equal(ql->head->lp->count, 2);
    assert_int_equal(ql->head->next->lp->count, 1);
    expect_index(ql, 2, big, 10000);
    expect_index(ql, 3, "b", 1);
    ql_free(ql);
}

static void test_insert_splits_a_full_node(void **state)
{
    (void)state;
    model m = {0};
    quicklist *ql = ql_new(4);
    const char *v[] = {"0", "1", "2", "3", "4", "5", "6", "7"};
    for (int i = 0; i < 8; i++) {
        push_str(ql, true, v[i]);
        model_insert(&m, m.count, v[i], 1);
    }
    assert_int_equal(ql->node_count, 2);
    /* Middle of a full node: split, then the halves and neighbours merge
     * where they fit. */
    ql_pos pos;
    assert_true(ql_index(ql, 1, &pos));
    ql_insert(ql, &pos, true, "after1", 6);
    model_insert(&m, 2, "after1", 6);
    expect_model(ql, &m);
    assert_true(ql_index(ql, 5, &pos));
    ql_insert(ql, &pos, false, "before", 6);
    model_insert(&m, 5, "before", 6);
    expect_model(ql, &m);
    /* Tail of a full node whose next node has room: goes to its head. */
    for (int i = 0; i < 20; i++) {
        assert_true(ql_index(ql, (int64_t)(i * 7 % (int)m.count), &pos));
        bool after = i % 2 == 0;
        size_t at = (size_t)(i * 7 % (int)m.count) + (after ? 1 : 0);
        ql_insert(ql, &pos, after, v[i % 8], 1);
        model_insert(&m, at, v[i % 8], 1);
        expect_model(ql, &m);
    }
    for (const ql_node *n = ql->head; n; n = n->next)
        assert_true(n->lp->count <= 5);
    /* At the very ends of full end nodes: a new node. */
    assert_true(ql_index(ql, 0, &pos));
    uint64_t nodes = ql->node_count;
    ql_insert(ql, &pos, false, "first", 5);
    model_insert(&m, 0, "first", 5);
    assert_true(ql_index(ql, -1, &pos));
    ql_insert(ql, &pos, true, "last", 4);
    model_insert(&m, m.count, "last", 4);
    expect_model(ql, &m);
    assert_true(ql->node_count >= nodes);
    ql_free(ql);
    model_free(&m);
}

static void test_replace_in_place_or_split(void **state)
{
    (void)state;
    fill_big();
    model m = {0};
    quicklist *ql = ql_new(QL_FILL_DEFAULT);
    char name[16];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "e%d", i);
        push_str(ql, true, name);
        model_insert(&m, m.count, name, strlen(name));
    }
    assert_int_equal(ql->node_count, 1);
    ql_pos pos;
    assert_true(ql_index(ql, 10, &pos));
    ql_replace(ql, &pos, "42", 2);
    model_set(&m, 10, "42", 2);
    expect_model(ql, &m);
    assert_int_equal(ql->node_count, 1);
    /* A value that does not fit gets a node between the two halves. */
    assert_true(ql_index(ql, 20, &pos));
    ql_replace(ql, &pos, big, 20000);
    model_set(&m, 20, big, 20000);
    expect_model(ql, &m);
    assert_int_equal(ql->node_count, 3);
    assert_int_equal(ql->head->next->lp->count, 1);
    /* A node of one element takes any value in place. */
    assert_true(ql_index(ql, 20, &pos));
    ql_replace(ql, &pos, "small", 5);
    model_set(&m, 20, "small", 5);
    expect_model(ql, &m);
    assert_int_equal(ql->node_count, 3);
    /* The last element of a node: nothing to split off; the new node's
     * neighbours merge ("small" with the node after it). */
    assert_true(ql_index(ql, -1, &pos));
    ql_replace(ql, &pos, big, 9000);
    model_set(&m, m.count - 1, big, 9000);
    expect_model(ql, &m);
    assert_int_equal(ql->node_count, 3);
    assert_int_equal(ql->tail->lp->count, 1);
    assert_int_equal(ql->tail->prev->lp->count, 29);
    ql_free(ql);
    model_free(&m);
}

static void test_delete_range_across_nodes(void **state)
{
    (void)state;
    model m = {0};
    quicklist *ql = ql_new(5);
    char name[16];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "v%d", i);
        push_str(ql, true, name);
        model_insert(&m, m.count, name, strlen(name));
    }
    ql_delete_range(ql, 3, 14);
    model_delete(&m, 3, 14);
    expect_model(ql, &m);
    ql_delete_range(ql, 0, 5);
    model_delete(&m, 0, 5);
    expect_model(ql, &m);
    ql_delete_range(ql, m.count - 7, 7);
    model_delete(&m, m.count - 7, 7);
    expect_model(ql, &m);
    ql_delete_range(ql, 2, 0);
    expect_model(ql, &m);
    ql_delete_range(ql, 0, m.count);
    model_delete(&m, 0, m.count);
    expect_model(ql, &m);
    assert_int_equal(ql->node_count, 0);
    ql_free(ql);
    model_free(&m);
}

/* Deleting most elements through an iterator (LREM) leaves nodes that
 * merge with their neighbours: memory stays proportional to the contents. */
static void test_iterator_deletes_merge_nodes(void **state)
{
    (void)state;
    for (int dir = 0; dir < 2; dir++) {
        bool forward = dir == 0;
        model m = {0};
        quicklist *ql = ql_new(-1);
        char name[32];
        for (int i = 0; i < 4000; i++) {
            snprintf(name, sizeof name, "%s-%d", i % 4 ? "drop" : "keep", i);
            push_str(ql, true, name);
            model_insert(&m, m.count, name, strlen(name));
        }
        uint64_t nodes_before = ql->node_count;
        ql_iter it;
        lp_entry e;
        ql_iter_init(&it, ql, forward ? 0 : ql_count(ql) - 1, forward);
        while (ql_iter_next(&it, &e))
            if (!e.is_int && e.len > 4 && memcmp(e.s, "drop", 4) == 0)
                ql_iter_delete(&it);
        ql_iter_finish(&it);
        for (size_t i = m.count; i-- > 0;)
            if (memcmp(m.s[i], "drop", 4) == 0) model_delete(&m, i, 1);
        expect_model(ql, &m);
        assert_true(ql->node_count * 3 <= nodes_before);
        ql_free(ql);
        model_free(&m);
    }
}

static void test_iterator_delete_empties_nodes(void **state)
{
    (void)state;
    quicklist *ql = ql_new(2);
    for (int i = 0; i < 9; i++)
        push_str(ql, true, "x");
    for (int dir = 0; dir < 2; dir++) {
        ql_iter it;
        lp_entry e;
        bool forward = dir == 0;
        ql_iter_init(&it, ql, forward ? 0 : ql_count(ql) - 1, forward);
        int n = 0;
        while (ql_iter_next(&it, &e) && n < 4) {
            ql_iter_delete(&it);
            n++;
        }
        ql_iter_finish(&it);
        assert_true(ql_valid(ql));
    }
    assert_int_equal(ql_count(ql), 1);
    ql_iter it;
    lp_entry e;
    ql_iter_init(&it, ql, 0, true);
    assert_true(ql_iter_next(&it, &e));
    ql_iter_delete(&it);
    assert_false(ql_iter_next(&it, &e));
    ql_iter_finish(&it);
    assert_int_equal(ql_count(ql), 0);
    assert_true(ql_valid(ql));
    ql_free(ql);
}

static void test_needle_matches_like_redis(void **state)
{
    (void)state;
    quicklist *ql = ql_new(QL_FILL_DEFAULT);
    const char *v[] = {
        "12", "012", "-0", "", "abc", "9223372036854775807", "9223372036854775808"};
    for (size_t i = 0; i < 7; i++)
        push_str(ql, true, v[i]);
    for (size_t i = 0; i < 7; i++) {
        ql_needle n;
        ql_needle_init(&n, v[i], strlen(v[i]));
        ql_iter it;
        lp_entry e;
        ql_iter_init(&it, ql, 0, true);
        size_t at = 0, hits = 0, hit_at = 99;
        while (ql_iter_next(&it, &e)) {
            if (ql_needle_eq(&n, &e)) {
                hits++;
                hit_at = at;
            }
            at++;
        }
        ql_iter_finish(&it);
        assert_int_equal(hits, 1);
        assert_int_equal(hit_at, i);
    }
    ql_needle n;
    ql_needle_init(&n, "+12", 3);
    ql_pos pos;
    assert_true(ql_index(ql, 0, &pos));
    lp_entry e;
    ql_get(&pos, &e);
    assert_true(e.is_int);
    assert_false(ql_needle_eq(&n, &e));
    ql_free(ql);
}

static void test_alloc_bytes_counts_every_block(void **state)
{
    (void)state;
    size_t before = mem_used_bytes();
    quicklist *ql = ql_new(-1);
    for (int i = 0; i < 5000; i++)
        push_str(ql, i % 2, "element");
    assert_int_equal(ql_alloc_bytes(ql), mem_used_bytes() - before);
    ql_free(ql);
    assert_int_equal(mem_used_bytes(), before);
}

/* ---- Random operations against the model ---------------------------------------- */

static size_t random_value(rng *r, char *out)
{
    uint64_t kind = rng_below(r, 100);
    if (kind < 30)
        return (size_t)snprintf(out, 32, "%lld", (long long)rng_below(r, 20000) - 10000);
    if (kind < 80)
        return (size_t)snprintf(out, 32, "v%llu", (unsigned long long)rng_below(r, 50));
    size_t len =
        kind < 97 ? (size_t)rng_below(r, 300) : 4000 + (size_t)rng_below(r, 9000);
    memcpy(out, big, len);
    out[0] = (char)('a' + rng_below(r, 3));
    return len;
}

static void random_step(rng *r, quicklist *ql, model *m, char *val)
{
    uint64_t op = rng_below(r, 100);
    size_t len = random_value(r, val);
    if (op < 42 || m->count == 0) {
        bool tail = rng_below(r, 2);
        ql_push(ql, tail, val, len);
        model_insert(m, tail ? m->count : 0, val, len);
    } else if (op < 50) {
        bool tail = rng_below(r, 2);
        ql_pop(ql, tail);
        model_delete(m, tail ? m->count - 1 : 0, 1);
    } else if (op < 65) {
        size_t at = (size_t)rng_below(r, m->count);
        bool after = rng_below(r, 2);
        ql_pos pos;
        assert_true(ql_index(ql, (int64_t)at, &pos));
        ql_insert(ql, &pos, after, val, len);
        model_insert(m, at + after, val, len);
    } else if (op < 77) {
        size_t at = (size_t)rng_below(r, m->count);
        ql_pos pos;
        assert_true(ql_index(ql, (int64_t)at - (int64_t)m->count, &pos));
        ql_replace(ql, &pos, val, len);
        model_set(m, at, val, len);
    } else if (op < 85) {
        size_t at = (size_t)rng_below(r, m->count);
        size_t n = (size_t)rng_below(r, m->count - at + 1);
        if (n > 4) n = 4;
        ql_delete_range(ql, at, n);
        model_delete(m, at, n);
    } else {
        /* LREM-like: delete up to k copies of a value from either end. */
        bool forward = rng_below(r, 2);
        size_t limit = (size_t)rng_below(r, 4);
        ql_needle needle;
        ql_needle_init(&needle, val, len);
        ql_iter it;
        lp_entry e;
        size_t removed = 0;
        ql_iter_init(&it, ql, forward ? 0 : m->count - 1, forward);
        while (ql_iter_next(&it, &e)) {
            if (!ql_needle_eq(&needle, &e)) continue;
            ql_iter_delete(&it);
            if (++removed == limit) break;
        }
        ql_iter_finish(&it);
        size_t done = 0;
        for (size_t k = 0; k < m->count && (limit == 0 || done < limit);) {
            size_t i = forward ? k : m->count - 1 - k;
            if (m->len[i] == len && memcmp(m->s[i], val, len) == 0) {
                /* The next candidate takes index k from either end. */
                model_delete(m, i, 1);
                done++;
            } else {
                k++;
            }
        }
        assert_int_equal(done, removed);
    }
}

static void test_random_against_model(void **state)
{
    (void)state;
    fill_big();
    const int32_t fills[] = {-5, -2, -1, 0, 1, 2, 7, 128};
    char *val = mem_alloc(sizeof big);
    for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++) {
        rng r;
        rng_seed(&r, 1000 + f);
        quicklist *ql = ql_new(fills[f]);
        model m = {0};
        for (int step = 0; step < 4000; step++) {
            random_step(&r, ql, &m, val);
            if (step % 20 == 0 || m.count < 20) expect_model(ql, &m);
            /* A fill change applies from the next change on. */
            if (step == 2000) ql_set_fill(ql, fills[(f + 3) % 8]);
        }
        expect_model(ql, &m);
        ql_free(ql);
        model_free(&m);
    }
    mem_free(val);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_pop_both_ends),
        cmocka_unit_test(test_fill_by_count_and_by_size),
        cmocka_unit_test(test_big_elements_get_their_own_node),
        cmocka_unit_test(test_insert_splits_a_full_node),
        cmocka_unit_test(test_replace_in_place_or_split),
        cmocka_unit_test(test_delete_range_across_nodes),
        cmocka_unit_test(test_iterator_deletes_merge_nodes),
        cmocka_unit_test(test_iterator_delete_empties_nodes),
        cmocka_unit_test(test_needle_matches_like_redis),
        cmocka_unit_test(test_alloc_bytes_counts_every_block),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
