/* Unit tests for cluster/meta.c: each rule meta_apply enforces (refusals
 * leave the state unchanged), the command codec (round trip; every
 * truncation and a sweep of byte flips refused or decoded to something
 * valid), snapshot dump/load, and meta_check catching a violation that the
 * test knob lets through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/mem.h"
#include "cluster/meta.h"

static char err[256];

static int apply(meta_state *m, const meta_cmd *c)
{
    return meta_apply(m, c, err, sizeof err);
}

static meta_cmd node_add(uint64_t id, const char *zone)
{
    meta_cmd c = {.op = META_NODE_ADD, .node = id};
    snprintf(c.addr, sizeof c.addr, "127.0.0.%llu:7379", (unsigned long long)id);
    snprintf(c.peer_addr, sizeof c.peer_addr, "127.0.0.%llu:17379",
             (unsigned long long)id);
    snprintf(c.zone, sizeof c.zone, "%s", zone);
    return c;
}

static meta_cmd shard_create(uint64_t id, uint16_t first, uint16_t last, uint64_t a,
                             uint64_t b, uint64_t c3)
{
    meta_cmd c = {
        .op = META_SHARD_CREATE, .shard = id, .range_count = 1, .voter_count = 3};
    c.ranges[0] = (meta_range){first, last};
    c.voters[0] = a;
    c.voters[1] = b;
    c.voters[2] = c3;
    return c;
}

static meta_cmd replica(uint8_t op, const meta_state *m, uint64_t shard, uint64_t node)
{
    meta_cmd c = {.op = op, .shard = shard, .node = node};
    c.epoch = meta_shard_find(m, shard)->epoch;
    return c;
}

/* 3 nodes, 2 shards covering every slot. */
static void three_nodes_two_shards(meta_state *m)
{
    meta_init(m, 3);
    for (uint64_t id = 1; id <= 3; id++) {
        meta_cmd c = node_add(id, id == 1 ? "a" : id == 2 ? "b" : "c");
        assert_int_equal(apply(m, &c), 0);
    }
    meta_cmd s1 = shard_create(1, 0, 8191, 1, 2, 3);
    meta_cmd s2 = shard_create(2, 8192, 16383, 3, 2, 1);
    assert_int_equal(apply(m, &s1), 0);
    assert_int_equal(apply(m, &s2), 0);
}

static void expect_refused(meta_state *m, const meta_cmd *c, const char *why_part)
{
    uint64_t epoch = m->epoch;
    buf before = BUF_INIT, after = BUF_INIT;
    meta_dump(m, &before);
    assert_int_equal(apply(m, c), POLIS_EINVAL);
    if (strstr(err, why_part) == NULL)
        fail_msg("refusal '%s' does not mention '%s'", err, why_part);
    meta_dump(m, &after);
    assert_int_equal(m->epoch, epoch);
    assert_int_equal(before.len, after.len);
    assert_memory_equal(before.data, after.data, before.len);
    buf_free(&before);
    buf_free(&after);
}

static void test_create_and_refusals(void **state)
{
    (void)state;
    meta_state m;
    three_nodes_two_shards(&m);
    char why[128];
    assert_true(meta_check(&m, why, sizeof why));
    assert_int_equal(m.owner[0], 1);
    assert_int_equal(m.owner[16383], 2);
    assert_int_equal(meta_node_replicas(&m, 2), 2);

    meta_cmd dup = node_add(2, "x");
    expect_refused(&m, &dup, "exists");
    meta_cmd zero = node_add(0, "x");
    expect_refused(&m, &zero, "reserved");
    meta_cmd overlap = shard_create(3, 100, 200, 1, 2, 3);
    expect_refused(&m, &overlap, "already assigned");
    meta_cmd replicas = {.op = META_SET_REPLICAS, .replicas = 2};
    expect_refused(&m, &replicas, "cannot change");
    meta_cmd bad_range = shard_create(3, 300, 200, 1, 2, 3);
    expect_refused(&m, &bad_range, "ranges");
    meta_cmd unknown = {.op = 99};
    expect_refused(&m, &unknown, "unknown");
    meta_destroy(&m);

    /* voters: exactly R, distinct, on up nodes */
    meta_init(&m, 3);
    for (uint64_t id = 1; id <= 3; id++) {
        meta_cmd c = node_add(id, "");
        assert_int_equal(apply(&m, &c), 0);
    }
    meta_cmd two_voters = shard_create(3, 100, 200, 1, 2, 3);
    two_voters.voter_count = 2;
    expect_refused(&m, &two_voters, "3 voters");
    meta_cmd same_voter = shard_create(3, 100, 200, 1, 1, 2);
    expect_refused(&m, &same_voter, "distinct");
    meta_cmd unknown_voter = shard_create(3, 100, 200, 1, 2, 9);
    expect_refused(&m, &unknown_voter, "not an up node");
    meta_cmd no_addr = node_add(4, "");
    no_addr.peer_addr[0] = '\0';
    expect_refused(&m, &no_addr, "address");
    meta_cmd r0 = {.op = META_SET_REPLICAS, .replicas = 0};
    expect_refused(&m, &r0, "replicas must be");
    meta_cmd r5 = {.op = META_SET_REPLICAS, .replicas = 5};
    assert_int_equal(apply(&m, &r5), 0);
    assert_int_equal(m.replicas, 5);
    meta_destroy(&m);
}

static void test_move_rules(void **state)
{
    (void)state;
    meta_state m;
    three_nodes_two_shards(&m);
    meta_cmd n4 = node_add(4, "a");
    assert_int_equal(apply(&m, &n4), 0);

    /* never below R: a voter cannot leave before a new one joins */
    meta_cmd early = replica(META_VOTER_REMOVE, &m, 1, 3);
    expect_refused(&m, &early, "fewer than 3");
    /* a plan made against an older epoch is refused */
    meta_cmd add = replica(META_LEARNER_ADD, &m, 1, 4);
    meta_cmd stale = add;
    assert_int_equal(apply(&m, &add), 0);
    expect_refused(&m, &stale, "stale plan");
    /* one move at a time */
    meta_cmd n5 = node_add(5, "b");
    assert_int_equal(apply(&m, &n5), 0);
    meta_cmd second = replica(META_LEARNER_ADD, &m, 1, 5);
    expect_refused(&m, &second, "already moving");
    meta_cmd not_learner = replica(META_LEARNER_PROMOTE, &m, 1, 5);
    expect_refused(&m, &not_learner, "not a learner");
    meta_cmd promote = replica(META_LEARNER_PROMOTE, &m, 1, 4);
    assert_int_equal(apply(&m, &promote), 0);
    assert_int_equal(meta_shard_find(&m, 1)->voter_count, 4);
    meta_cmd remove = replica(META_VOTER_REMOVE, &m, 1, 1);
    assert_int_equal(apply(&m, &remove), 0);
    assert_int_equal(meta_shard_find(&m, 1)->voter_count, 3);
    assert_false(meta_shard_has_replica(meta_shard_find(&m, 1), 1));
    char why[128];
    assert_true(meta_check(&m, why, sizeof why));

    /* a node that holds replicas is drained, not removed */
    meta_cmd rm2 = {.op = META_NODE_REMOVE, .node = 2};
    expect_refused(&m, &rm2, "drain it first");
    meta_cmd drain5 = {.op = META_NODE_DRAIN, .node = 5};
    assert_int_equal(apply(&m, &drain5), 0);
    meta_cmd to5 = replica(META_LEARNER_ADD, &m, 2, 5);
    expect_refused(&m, &to5, "not up");
    meta_cmd rm5 = {.op = META_NODE_REMOVE, .node = 5};
    assert_int_equal(apply(&m, &rm5), 0);
    assert_int_equal(meta_node_find(&m, 5)->state, META_NODE_REMOVED);
    meta_destroy(&m);
}

static void test_split(void **state)
{
    (void)state;
    meta_state m;
    three_nodes_two_shards(&m);
    meta_cmd split = {
        .op = META_SHARD_SPLIT, .shard = 1, .new_shard = 7, .split_at = 4096};
    split.epoch = meta_shard_find(&m, 1)->epoch;
    meta_cmd at_first = split;
    at_first.split_at = 0;
    expect_refused(&m, &at_first, "no slot");
    meta_cmd outside = split;
    outside.split_at = 9000;
    expect_refused(&m, &outside, "not in shard");
    assert_int_equal(apply(&m, &split), 0);
    const meta_shard *parent = meta_shard_find(&m, 1), *child = meta_shard_find(&m, 7);
    assert_int_equal(parent->range_count, 1);
    assert_int_equal(parent->ranges[0].last, 4095);
    assert_int_equal(child->ranges[0].first, 4096);
    assert_int_equal(child->ranges[0].last, 8191);
    assert_int_equal(child->voter_count, 3);
    assert_true(meta_shard_has_voter(child, 1) && meta_shard_has_voter(child, 3));
    assert_int_equal(m.owner[5000], 7);
    char why[128];
    assert_true(meta_check(&m, why, sizeof why));
    /* no split while a replica moves */
    meta_cmd n4 = node_add(4, "d");
    assert_int_equal(apply(&m, &n4), 0);
    meta_cmd add = replica(META_LEARNER_ADD, &m, 2, 4);
    assert_int_equal(apply(&m, &add), 0);
    meta_cmd busy = {
        .op = META_SHARD_SPLIT, .shard = 2, .new_shard = 8, .split_at = 12000};
    busy.epoch = meta_shard_find(&m, 2)->epoch;
    expect_refused(&m, &busy, "moving");
    meta_destroy(&m);
}

static void test_codec(void **state)
{
    (void)state;
    meta_cmd c = shard_create(42, 10, 20, 7, 8, 9);
    c.range_count = 2;
    c.ranges[1] = (meta_range){100, 16383};
    c.epoch = 1ull << 40;
    snprintf(c.zone, sizeof c.zone, "zone-x");
    snprintf(c.addr, sizeof c.addr, "127.0.0.5:7000");
    buf b = BUF_INIT;
    meta_encode(&c, &b);
    meta_cmd d;
    assert_int_equal(meta_decode(b.data, b.len, &d), 0);
    assert_memory_equal(&c, &d, sizeof c);
    for (size_t cut = 0; cut < b.len; cut++)
        assert_int_equal(meta_decode(b.data, cut, &d), POLIS_ECORRUPT);
    /* flipped bytes: refused, or a command that re-encodes to those bytes */
    for (size_t i = 0; i < b.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            ((uint8_t *)b.data)[i] ^= (uint8_t)(1u << bit);
            if (meta_decode(b.data, b.len, &d) == 0) {
                buf again = BUF_INIT;
                meta_encode(&d, &again);
                assert_int_equal(again.len, b.len);
                assert_memory_equal(again.data, b.data, b.len);
                buf_free(&again);
            }
            ((uint8_t *)b.data)[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* trailing bytes, another version */
    buf_append_char(&b, 0);
    assert_int_equal(meta_decode(b.data, b.len, &d), POLIS_ECORRUPT);
    b.data[0] = 2;
    assert_int_equal(meta_decode(b.data, b.len - 1, &d), POLIS_ECORRUPT);
    buf_free(&b);
}

static void test_dump_load(void **state)
{
    (void)state;
    meta_state m, n;
    three_nodes_two_shards(&m);
    meta_cmd n4 = node_add(4, "d");
    assert_int_equal(apply(&m, &n4), 0);
    meta_cmd add = replica(META_LEARNER_ADD, &m, 2, 4);
    assert_int_equal(apply(&m, &add), 0);
    meta_cmd split = {
        .op = META_SHARD_SPLIT, .shard = 1, .new_shard = 9, .split_at = 100};
    split.epoch = meta_shard_find(&m, 1)->epoch;
    assert_int_equal(apply(&m, &split), 0);
    buf d = BUF_INIT, again = BUF_INIT;
    meta_dump(&m, &d);
    meta_init(&n, 0);
    assert_int_equal(meta_load(&n, d.data, d.len), 0);
    meta_dump(&n, &again);
    assert_int_equal(again.len, d.len);
    assert_memory_equal(again.data, d.data, d.len);
    assert_memory_equal(m.owner, n.owner, sizeof m.owner);
    assert_int_equal(n.epoch, m.epoch);
    for (size_t cut = 0; cut < d.len; cut++)
        assert_int_equal(meta_load(&n, d.data, cut), POLIS_ECORRUPT);
    /* the failed loads left the loaded state alone */
    buf_clear(&again);
    meta_dump(&n, &again);
    assert_memory_equal(again.data, d.data, d.len);
    buf_free(&d);
    buf_free(&again);
    meta_destroy(&m);
    meta_destroy(&n);
}

/* A split under way: the child records its parent until META_SPLIT_DONE;
 * meanwhile neither shard moves a replica or splits again. */
static void test_split_lifecycle(void **state)
{
    (void)state;
    meta_state m;
    three_nodes_two_shards(&m);
    meta_cmd n4 = node_add(4, "d");
    assert_int_equal(apply(&m, &n4), 0);
    meta_cmd split = {
        .op = META_SHARD_SPLIT, .shard = 2, .new_shard = 5, .split_at = 9000};
    split.epoch = meta_shard_find(&m, 2)->epoch;
    assert_int_equal(apply(&m, &split), 0);
    const meta_shard *child = meta_shard_find(&m, 5);
    assert_int_equal(child->split_from, 2);
    assert_int_equal(child->epoch, 1);
    assert_true(meta_shard_splitting(&m, child));
    assert_true(meta_shard_splitting(&m, meta_shard_find(&m, 2)));
    assert_false(meta_shard_splitting(&m, meta_shard_find(&m, 1)));
    /* no move of either shard, no second split, while it is under way */
    meta_cmd add_child = replica(META_LEARNER_ADD, &m, 5, 4);
    expect_refused(&m, &add_child, "being split");
    meta_cmd add_parent = replica(META_LEARNER_ADD, &m, 2, 4);
    expect_refused(&m, &add_parent, "being split");
    meta_cmd again = {
        .op = META_SHARD_SPLIT, .shard = 2, .new_shard = 4, .split_at = 8500};
    again.epoch = meta_shard_find(&m, 2)->epoch;
    expect_refused(&m, &again, "being split");
    meta_cmd child_split = {
        .op = META_SHARD_SPLIT, .shard = 5, .new_shard = 6, .split_at = 12000};
    child_split.epoch = 1;
    expect_refused(&m, &child_split, "being split");
    /* the other shard is free to move */
    meta_cmd add_other = replica(META_LEARNER_ADD, &m, 1, 4);
    assert_int_equal(apply(&m, &add_other), 0);
    /* done: only for a child, at its epoch */
    meta_cmd done = {.op = META_SPLIT_DONE, .shard = 5, .epoch = 7};
    expect_refused(&m, &done, "stale");
    done.shard = 2;
    done.epoch = meta_shard_find(&m, 2)->epoch;
    expect_refused(&m, &done, "not being split");
    done.shard = 5;
    done.epoch = 1;
    assert_int_equal(apply(&m, &done), 0);
    child = meta_shard_find(&m, 5);
    assert_int_equal(child->split_from, 0);
    assert_int_equal(child->epoch, 2); /* never again taken for a founding shard */
    expect_refused(&m, &done, "not being split");
    add_child = replica(META_LEARNER_ADD, &m, 5, 2);
    expect_refused(&m, &add_child, "already holds");
    /* a child's id is above its parent's (groups are made in id order) */
    meta_cmd low = {
        .op = META_SHARD_SPLIT, .shard = 5, .new_shard = 3, .split_at = 12000};
    low.epoch = meta_shard_find(&m, 5)->epoch;
    expect_refused(&m, &low, "above");
    char why[128];
    assert_true(meta_check(&m, why, sizeof why));
    /* a dangling parent is caught */
    for (size_t i = 0; i < m.shard_count; i++)
        if (m.shards[i].id == 5) m.shards[i].split_from = 4;
    assert_false(meta_check(&m, why, sizeof why));
    assert_non_null(strstr(why, "split from"));
    meta_destroy(&m);
}

/* Version 1 dumps (before splits were tracked) still load. */
static void test_load_version_1(void **state)
{
    (void)state;
    meta_state m, n;
    meta_init(&m, 3);
    for (uint64_t id = 1; id <= 3; id++) {
        meta_cmd c = node_add(id, "");
        assert_int_equal(apply(&m, &c), 0);
    }
    meta_cmd s1 = shard_create(1, 0, 16383, 1, 2, 3);
    assert_int_equal(apply(&m, &s1), 0);
    buf d = BUF_INIT;
    meta_dump(&m, &d);
    /* version 1: its magic, and no split_from (the one shard's last byte) */
    assert_memory_equal(d.data, "PLSMETA2", 8);
    assert_int_equal(((uint8_t *)d.data)[d.len - 1], 0);
    memcpy(d.data, "PLSMETA1", 8);
    meta_init(&n, 0);
    assert_int_equal(meta_load(&n, d.data, d.len - 1), 0);
    assert_int_equal(n.shard_count, 1);
    assert_int_equal(n.shards[0].split_from, 0);
    assert_int_equal(meta_load(&n, d.data, d.len), POLIS_ECORRUPT);
    buf_free(&d);
    meta_destroy(&m);
    meta_destroy(&n);
}

/* The knob lets a voter leave a shard with R voters; meta_check must say so. */
static void test_check_catches_under_replication(void **state)
{
    (void)state;
    meta_state m;
    three_nodes_two_shards(&m);
    meta_debug_allow_under_replication = true;
    meta_cmd remove = replica(META_VOTER_REMOVE, &m, 2, 2);
    assert_int_equal(apply(&m, &remove), 0);
    meta_debug_allow_under_replication = false;
    char why[128];
    assert_false(meta_check(&m, why, sizeof why));
    assert_non_null(strstr(why, "fewer than R=3"));
    /* and a snapshot of such a state is refused on load */
    buf d = BUF_INIT;
    meta_dump(&m, &d);
    meta_state n;
    meta_init(&n, 0);
    assert_int_equal(meta_load(&n, d.data, d.len), POLIS_ECORRUPT);
    buf_free(&d);
    meta_destroy(&n);
    /* a slot map that disagrees with the ranges is caught too */
    m.owner[5] = 2;
    assert_false(meta_check(&m, why, sizeof why));
    meta_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_refusals),
        cmocka_unit_test(test_move_rules),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_codec),
        cmocka_unit_test(test_dump_load),
        cmocka_unit_test(test_split_lifecycle),
        cmocka_unit_test(test_load_version_1),
        cmocka_unit_test(test_check_catches_under_replication),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
