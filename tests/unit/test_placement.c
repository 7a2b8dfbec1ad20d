/* Simulation of the placement driver (cluster/placement.c) over the meta
 * state machine: the planner proposes, meta_apply applies, learners catch
 * up a few rounds later, and nodes join or drain at random. After every
 * applied command meta_check must hold (never fewer than R voters, slot map
 * intact...) and the planner must never propose something meta_apply
 * refuses. At the end the cluster must have converged: nothing on drained
 * nodes, replica counts within one of each other when zones do not
 * constrain, every shard spread over distinct zones when there are enough.
 * A run with the under-replication knob and a planner that removes before
 * adding shows the simulation catches the violation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "base/rng.h"
#include "cluster/meta.h"
#include "cluster/placement.h"

#define MAX_ROUNDS      20000
#define CATCH_UP_ROUNDS 2

typedef struct sim {
    meta_state m;
    rng r;
    uint64_t next_node;
    uint64_t learner_shard[64], learner_node[64];
    uint32_t learner_age[64];
    size_t learners;
    size_t applied;
    bool broken_planner; /* removes a voter before adding one */
    char why[256];
    bool violated;
} sim;

static bool caught_up(void *priv, uint64_t shard, uint64_t node)
{
    sim *s = priv;
    for (size_t i = 0; i < s->learners; i++)
        if (s->learner_shard[i] == shard && s->learner_node[i] == node)
            return s->learner_age[i] >= CATCH_UP_ROUNDS;
    /* first sight of this learner: start its catch-up */
    assert_true(s->learners < 64);
    s->learner_shard[s->learners] = shard;
    s->learner_node[s->learners] = node;
    s->learner_age[s->learners++] = 0;
    return false;
}

static void age_learners(sim *s)
{
    for (size_t i = 0; i < s->learners;) {
        const meta_shard *sh = meta_shard_find(&s->m, s->learner_shard[i]);
        bool still = sh && sh->learner_count && sh->learners[0] == s->learner_node[i];
        if (!still) {
            s->learners--;
            s->learner_shard[i] = s->learner_shard[s->learners];
            s->learner_node[i] = s->learner_node[s->learners];
            s->learner_age[i] = s->learner_age[s->learners];
            continue;
        }
        s->learner_age[i]++;
        i++;
    }
}

static void apply_ok(sim *s, const meta_cmd *c)
{
    char err[256];
    int rv = meta_apply(&s->m, c, err, sizeof err);
    if (rv != 0)
        fail_msg("the planner proposed a refused command (op %u): %s", c->op, err);
    s->applied++;
    if (!s->violated && !meta_check(&s->m, s->why, sizeof s->why)) s->violated = true;
}

static void add_node(sim *s, const char *zone)
{
    meta_cmd c = {.op = META_NODE_ADD, .node = s->next_node++};
    snprintf(c.addr, sizeof c.addr, "127.0.1.%llu:7379", (unsigned long long)c.node);
    snprintf(c.peer_addr, sizeof c.peer_addr, "127.0.1.%llu:17379",
             (unsigned long long)c.node);
    snprintf(c.zone, sizeof c.zone, "%s", zone);
    apply_ok(s, &c);
}

/* n shards of equal slot ranges on the first R nodes, rotated. */
static void create_shards(sim *s, uint32_t shards)
{
    uint32_t per = 16384 / shards;
    for (uint32_t i = 0; i < shards; i++) {
        meta_cmd c = {.op = META_SHARD_CREATE, .shard = 100 + i, .range_count = 1};
        c.ranges[0].first = (uint16_t)(i * per);
        c.ranges[0].last = (uint16_t)(i == shards - 1 ? 16383 : (i + 1) * per - 1);
        c.voter_count = s->m.replicas;
        for (uint32_t j = 0; j < s->m.replicas; j++)
            c.voters[j] = s->m.nodes[(i + j) % s->m.replicas].id;
        apply_ok(s, &c);
    }
}

static void sim_init(sim *s, uint32_t replicas, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    meta_init(&s->m, replicas);
    rng_seed(&s->r, seed);
    s->next_node = 1;
}

/* A planner with a deliberate bug: a shard with R voters on a draining
 * node loses that voter before a replacement exists. */
static bool broken_next(sim *s, meta_cmd *out)
{
    for (size_t i = 0; i < s->m.shard_count; i++) {
        const meta_shard *sh = &s->m.shards[i];
        for (uint32_t j = 0; j < sh->voter_count; j++) {
            const meta_node *n = meta_node_find(&s->m, sh->voters[j]);
            if (n->state == META_NODE_UP) continue;
            memset(out, 0, sizeof *out);
            out->op = META_VOTER_REMOVE;
            out->shard = sh->id;
            out->epoch = sh->epoch;
            out->node = n->id;
            return true;
        }
    }
    return false;
}

/* Runs the planner to convergence; false if it did not converge. */
static bool run_planner(sim *s)
{
    for (int round = 0; round < MAX_ROUNDS; round++) {
        meta_cmd c;
        bool any = s->broken_planner ? broken_next(s, &c) : false;
        if (!any) any = placement_next(&s->m, caught_up, s, &c);
        if (any)
            apply_ok(s, &c);
        else if (s->learners == 0)
            return true;
        age_learners(s);
    }
    return false;
}

static void expect_converged(sim *s)
{
    const meta_state *m = &s->m;
    assert_false(s->violated);
    size_t min = SIZE_MAX, max = 0, zones = 0;
    bool zoned = false;
    for (size_t i = 0; i < m->node_count; i++) {
        const meta_node *n = &m->nodes[i];
        if (n->state != META_NODE_UP) {
            assert_int_equal(meta_node_replicas(m, n->id), 0);
            assert_int_equal(n->state, META_NODE_REMOVED);
            continue;
        }
        size_t load = meta_node_replicas(m, n->id);
        if (load < min) min = load;
        if (load > max) max = load;
        if (n->zone[0]) zoned = true;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = m->nodes[j].state == META_NODE_UP &&
                   strcmp(m->nodes[j].zone, n->zone) == 0;
        zones += !seen;
    }
    if (!zoned) assert_true(max <= min + 1);
    for (size_t i = 0; i < m->shard_count; i++) {
        const meta_shard *sh = &m->shards[i];
        assert_int_equal(sh->voter_count, m->replicas);
        assert_int_equal(sh->learner_count, 0);
        if (zones < m->replicas) continue;
        for (uint32_t a = 0; a < sh->voter_count; a++)
            for (uint32_t b = 0; b < a; b++)
                assert_string_not_equal(meta_node_find(m, sh->voters[a])->zone,
                                        meta_node_find(m, sh->voters[b])->zone);
    }
}

/* 3 nodes and 8 shards; a 4th and 5th node join; node 2 drains. */
static void test_grow_and_drain(void **state)
{
    (void)state;
    sim *s = mem_calloc(1, sizeof *s);
    sim_init(s, 3, 1);
    add_node(s, "a");
    add_node(s, "b");
    add_node(s, "c");
    create_shards(s, 8);
    size_t before = s->applied;
    assert_true(run_planner(s));
    assert_int_equal(s->applied, before); /* already balanced */
    add_node(s, "a");
    add_node(s, "b");
    assert_true(run_planner(s));
    expect_converged(s);
    for (uint64_t id = 1; id <= 5; id++)
        assert_true(meta_node_replicas(&s->m, id) >= 4);
    meta_cmd drain = {.op = META_NODE_DRAIN, .node = 2};
    apply_ok(s, &drain);
    assert_true(run_planner(s));
    expect_converged(s);
    assert_int_equal(meta_node_find(&s->m, 2)->state, META_NODE_REMOVED);
    meta_destroy(&s->m);
    mem_free(s);
}

/* Random clusters, zones, replication factors and join/drain sequences. */
static void test_random_histories(void **state)
{
    (void)state;
    static const char *zone_names[] = {"z1", "z2", "z3", "z4"};
    sim *s = mem_calloc(1, sizeof *s);
    for (uint64_t seed = 1; seed <= 300; seed++) {
        rng r;
        rng_seed(&r, seed);
        uint32_t replicas = (uint32_t[]){1, 3, 3, 5}[rng_below(&r, 4)];
        uint32_t zone_count = (uint32_t)rng_below(&r, 5); /* 0: unlabelled */
        sim_init(s, replicas, seed);
        uint32_t nodes = replicas + (uint32_t)rng_below(&r, 3);
        for (uint32_t i = 0; i < nodes; i++)
            add_node(s, zone_count ? zone_names[rng_below(&r, zone_count)] : "");
        create_shards(s, 1 + (uint32_t)rng_below(&r, 16));
        for (int event = 0; event < 6; event++) {
            size_t up = 0;
            for (size_t i = 0; i < s->m.node_count; i++)
                up += s->m.nodes[i].state == META_NODE_UP;
            if (rng_below(&r, 2) == 0 || up <= replicas) {
                add_node(s, zone_count ? zone_names[rng_below(&r, zone_count)] : "");
            } else {
                uint64_t victim;
                do
                    victim = s->m.nodes[rng_below(&r, s->m.node_count)].id;
                while (meta_node_find(&s->m, victim)->state != META_NODE_UP);
                meta_cmd drain = {.op = META_NODE_DRAIN, .node = victim};
                apply_ok(s, &drain);
            }
            /* events also land mid-way through the planner's work */
            for (int k = (int)rng_below(&r, 20); k > 0; k--) {
                meta_cmd c;
                if (placement_next(&s->m, caught_up, s, &c)) apply_ok(s, &c);
                age_learners(s);
            }
            assert_false(s->violated);
        }
        if (!run_planner(s))
            fail_msg("seed %llu did not converge", (unsigned long long)seed);
        expect_converged(s);
        meta_destroy(&s->m);
    }
    mem_free(s);
}

/* The simulation notices a planner that drops a shard below R voters. */
static void test_catches_removal_before_replacement(void **state)
{
    (void)state;
    sim *s = mem_calloc(1, sizeof *s);
    sim_init(s, 3, 7);
    for (int i = 0; i < 4; i++)
        add_node(s, "");
    create_shards(s, 4);
    s->broken_planner = true;
    meta_debug_allow_under_replication = true;
    meta_cmd drain = {.op = META_NODE_DRAIN, .node = 1};
    apply_ok(s, &drain);
    run_planner(s);
    meta_debug_allow_under_replication = false;
    assert_true(s->violated);
    assert_non_null(strstr(s->why, "fewer than R=3"));
    meta_destroy(&s->m);
    mem_free(s);
}

/* ---- Splits ---------------------------------------------------------------- */

static void two_shards(sim *s)
{
    sim_init(s, 3, 1);
    add_node(s, "");
    add_node(s, "");
    add_node(s, "");
    create_shards(s, 2); /* 100: 0-8191, 101: 8192-16383 */
    meta_cmd set = {.op = META_SET_SPLIT, .split_keys = 1000, .split_bytes = 1 << 20};
    apply_ok(s, &set);
}

static void test_split_planning(void **state)
{
    (void)state;
    sim *s = mem_calloc(1, sizeof *s);
    static uint32_t slot_keys[CLUSTER_SLOTS];
    two_shards(s);
    /* shard 101: 100 slots of 10 keys, then one slot of 1,000 */
    memset(slot_keys, 0, sizeof slot_keys);
    for (uint32_t i = 8192; i < 8292; i++)
        slot_keys[i] = 10;
    slot_keys[12000] = 1000;
    placement_shard_size sizes[2] = {{100, 500, 1000, NULL},
                                     {101, 2000, 1000, slot_keys}};
    meta_cmd c;
    assert_true(placement_split(&s->m, sizes, 2, &c));
    assert_int_equal(c.op, META_SHARD_SPLIT);
    assert_int_equal(c.shard, 101);
    assert_int_equal(c.new_shard, 102);
    assert_int_equal(c.split_at, 8292); /* 1,000 keys on each side */
    apply_ok(s, &c);
    assert_int_equal(s->m.owner[8291], 101);
    assert_int_equal(s->m.owner[8292], 102);
    assert_int_equal(s->m.owner[16383], 102);
    /* without per-slot counts: half the slots */
    sizes[1].shard = 100;
    sizes[1].keys = 5000;
    sizes[1].slot_keys = NULL;
    assert_true(placement_split(&s->m, &sizes[1], 1, &c));
    assert_int_equal(c.split_at, 4096);
    /* by bytes alone */
    placement_shard_size by_bytes = {100, 10, 2u << 20, NULL};
    assert_true(placement_split(&s->m, &by_bytes, 1, &c));
    /* one hot slot: no split helps */
    memset(slot_keys, 0, sizeof slot_keys);
    slot_keys[300] = 5000;
    placement_shard_size hot = {100, 5000, 10, slot_keys};
    assert_false(placement_split(&s->m, &hot, 1, &c));
    /* small, or thresholds off: nothing */
    placement_shard_size small = {100, 999, 10, NULL};
    assert_false(placement_split(&s->m, &small, 1, &c));
    meta_cmd off = {.op = META_SET_SPLIT};
    apply_ok(s, &off);
    assert_false(placement_split(&s->m, &sizes[1], 1, &c));
    /* a moving shard waits */
    meta_cmd on = {.op = META_SET_SPLIT, .split_keys = 1000};
    apply_ok(s, &on);
    add_node(s, "");
    meta_cmd learner = {.op = META_LEARNER_ADD, .shard = 100, .node = 4};
    learner.epoch = meta_shard_find(&s->m, 100)->epoch;
    apply_ok(s, &learner);
    assert_false(placement_split(&s->m, &sizes[1], 1, &c));
    meta_destroy(&s->m);
    mem_free(s);
}

/* Keys spread unevenly over all slots; shards split until each is under
 * the threshold or down to one slot, and every split is accepted. */
static void test_split_until_small(void **state)
{
    (void)state;
    sim *s = mem_calloc(1, sizeof *s);
    static uint32_t slot_keys[CLUSTER_SLOTS];
    rng r;
    rng_seed(&r, 3);
    for (uint32_t i = 0; i < CLUSTER_SLOTS; i++)
        slot_keys[i] = (uint32_t)rng_below(&r, i < 2000 ? 400 : 20);
    two_shards(s);
    meta_cmd set = {.op = META_SET_SPLIT, .split_keys = 50000};
    apply_ok(s, &set);
    int splits = 0;
    for (;;) {
        placement_shard_size sizes[512];
        size_t n = s->m.shard_count;
        assert_true(n < 512);
        for (size_t i = 0; i < n; i++) {
            const meta_shard *sh = &s->m.shards[i];
            uint64_t keys = 0;
            for (uint32_t j = 0; j < sh->range_count; j++)
                for (uint32_t slot = sh->ranges[j].first; slot <= sh->ranges[j].last;
                     slot++)
                    keys += slot_keys[slot];
            sizes[i] = (placement_shard_size){sh->id, keys, 0, slot_keys};
        }
        meta_cmd c;
        if (!placement_split(&s->m, sizes, n, &c)) {
            for (size_t i = 0; i < n; i++)
                assert_true(sizes[i].keys <= 50000);
            break;
        }
        apply_ok(s, &c);
        assert_false(s->violated);
        /* until the child has a leader (META_SPLIT_DONE), neither half
         * splits again */
        meta_cmd next;
        if (placement_split(&s->m, sizes, n, &next)) {
            assert_true(next.shard != c.shard);
            assert_true(next.shard != c.new_shard);
        }
        meta_cmd done = {.op = META_SPLIT_DONE, .shard = c.new_shard, .epoch = 1};
        apply_ok(s, &done);
        splits++;
        assert_true(splits < 1000);
    }
    assert_true(splits > 10);
    meta_destroy(&s->m);
    mem_free(s);
}

/* ---- Leaders ---------------------------------------------------------------- */

typedef struct leaders {
    uint64_t shard[64];
    uint64_t node[64];
    size_t n;
} leaders;

static uint64_t leader_of(void *priv, uint64_t shard)
{
    leaders *l = priv;
    for (size_t i = 0; i < l->n; i++)
        if (l->shard[i] == shard) return l->node[i];
    return 0;
}

static void transfer(leaders *l, uint64_t shard, uint64_t to)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->shard[i] == shard) l->node[i] = to;
}

static void balance_leaders(sim *s, leaders *l)
{
    uint64_t shard, to;
    int moves = 0;
    while (placement_leader_move(&s->m, leader_of, l, &shard, &to)) {
        const meta_shard *sh = meta_shard_find(&s->m, shard);
        assert_true(meta_shard_has_voter(sh, to));
        assert_int_equal(meta_node_find(&s->m, to)->state, META_NODE_UP);
        transfer(l, shard, to);
        assert_true(++moves < 100);
    }
}

static void test_leader_balance(void **state)
{
    (void)state;
    sim *s = mem_calloc(1, sizeof *s);
    sim_init(s, 3, 1);
    for (int i = 0; i < 3; i++)
        add_node(s, "");
    create_shards(s, 9);
    leaders l = {.n = 9};
    for (size_t i = 0; i < 9; i++) {
        l.shard[i] = 100 + i;
        l.node[i] = 1; /* every shard led by node 1 */
    }
    balance_leaders(s, &l);
    size_t led[4] = {0};
    for (size_t i = 0; i < 9; i++)
        led[l.node[i]]++;
    assert_int_equal(led[1], 3);
    assert_int_equal(led[2], 3);
    assert_int_equal(led[3], 3);
    /* two more nodes: replicas spread, then leaders follow */
    add_node(s, "");
    add_node(s, "");
    assert_true(run_planner(s));
    for (size_t i = 0; i < 9;
         i++) /* a leader that lost its replica: say the first voter leads */
        if (!meta_shard_has_voter(meta_shard_find(&s->m, l.shard[i]), l.node[i]))
            l.node[i] = meta_shard_find(&s->m, l.shard[i])->voters[0];
    balance_leaders(s, &l);
    size_t min = SIZE_MAX, max = 0;
    for (uint64_t id = 1; id <= 5; id++) {
        size_t n = 0;
        for (size_t i = 0; i < 9; i++)
            n += l.node[i] == id;
        if (n < min) min = n;
        if (n > max) max = n;
    }
    assert_true(max <= min + 1);
    /* a draining node hands its leaderships over first */
    meta_cmd drain = {.op = META_NODE_DRAIN, .node = l.node[0]};
    uint64_t drained = l.node[0];
    apply_ok(s, &drain);
    balance_leaders(s, &l);
    for (size_t i = 0; i < 9; i++)
        assert_true(l.node[i] != drained);
    meta_destroy(&s->m);
    mem_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_and_drain),
        cmocka_unit_test(test_random_histories),
        cmocka_unit_test(test_catches_removal_before_replacement),
        cmocka_unit_test(test_split_planning),
        cmocka_unit_test(test_split_until_small),
        cmocka_unit_test(test_leader_balance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
