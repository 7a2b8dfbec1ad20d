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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_and_drain),
        cmocka_unit_test(test_random_histories),
        cmocka_unit_test(test_catches_removal_before_replacement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
