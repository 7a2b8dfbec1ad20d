/* Scenario tests for the Raft core, one rule each, written as a small
 * language over an in-memory cluster: messages are delivered in order
 * unless a partition drops them, persistence is immediate, and the test
 * drives ticks. The deterministic simulator (tests/sim) covers the
 * randomized, faulty side; these pin down each rule by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "raft/raft.h"

#define NODES_MAX 8
#define QUEUE_MAX 100000
#define APPLIED_MAX 4096

typedef struct node {
    raft *r;
    bool up;
    /* Durable state, as the host would keep it. */
    raft_hard_state hs;
    raft_entry *log; /* index i at log[i - first] */
    size_t log_count;
    raft_snapshot_meta snap;
    uint8_t snap_bytes[64];
    /* The state machine: applied entry data, concatenated markers. */
    char applied[APPLIED_MAX][16];
    raft_index applied_index;
    raft_index applied_count;
    uint64_t reads[64];
    raft_index read_index[64];
    size_t read_count;
    uint8_t recv[256];
} node;

typedef struct queued {
    raft_msg m;
    raft_entry *entries;
    uint8_t *data;
} queued;

static node nodes[NODES_MAX + 1];
static int node_count;
static queued queue[QUEUE_MAX];
static size_t q_head, q_tail;
static bool cut[NODES_MAX + 1][NODES_MAX + 1]; /* cut[a][b]: a -> b dropped */
static raft_config base_cfg;

/* ---- The host ------------------------------------------------------------ */

static void enqueue(const raft_msg *m, const node *from)
{
    if (cut[m->from][m->to]) return;
    assert_true(q_tail - q_head < QUEUE_MAX);
    queued *q = &queue[q_tail++ % QUEUE_MAX];
    q->m = *m;
    q->entries = NULL;
    q->data = NULL;
    if (m->entry_count) {
        q->entries = mem_alloc(m->entry_count * sizeof *q->entries);
        for (uint32_t i = 0; i < m->entry_count; i++) {
            q->entries[i] = m->entries[i];
            if (m->entries[i].len) {
                q->entries[i].data = mem_alloc(m->entries[i].len);
                memcpy(q->entries[i].data, m->entries[i].data, m->entries[i].len);
            }
        }
        q->m.entries = q->entries;
    }
    if (m->type == RAFT_MSG_SNAPSHOT && m->len) {
        /* The sending host fills in the chunk bytes from its snapshot. */
        q->data = mem_alloc(m->len);
        memcpy(q->data, from->snap_bytes + m->offset, m->len);
        q->m.data = q->data;
    }
}

static void persist(node *n, const raft_ready *rd)
{
    if (rd->has_snapshot) {
        n->snap = rd->snapshot;
        memcpy(n->snap_bytes, n->recv, rd->snapshot.size_bytes);
        for (size_t i = 0; i < n->log_count; i++) mem_free(n->log[i].data);
        n->log_count = 0;
        n->applied_index = rd->snapshot.index;
    }
    if (rd->has_hard_state) n->hs = rd->hard_state;
    for (size_t i = 0; i < rd->entry_count; i++) {
        const raft_entry *e = &rd->entries[i];
        raft_index first = n->snap.index + 1;
        size_t slot = (size_t)(e->index - first);
        /* Truncate a conflicting suffix, then append. */
        for (size_t k = slot; k < n->log_count; k++) mem_free(n->log[k].data);
        if (slot < n->log_count) n->log_count = slot;
        n->log = mem_realloc(n->log, (n->log_count + 1) * sizeof *n->log);
        n->log[n->log_count] = *e;
        n->log[n->log_count].data = NULL;
        if (e->len) {
            n->log[n->log_count].data = mem_alloc(e->len);
            memcpy(n->log[n->log_count].data, e->data, e->len);
        }
        n->log_count++;
    }
}

static void process_ready(int id)
{
    node *n = &nodes[id];
    while (n->up && raft_has_ready(n->r)) {
        raft_ready rd;
        raft_ready_get(n->r, &rd);
        for (size_t i = 0; i < rd.snapshot_chunk_count; i++) {
            const raft_snapshot_chunk *c = &rd.snapshot_chunks[i];
            memcpy(n->recv + c->offset, c->data, c->len);
        }
        for (size_t i = 0; i < rd.msg_count; i++) enqueue(&rd.msgs[i], n);
        persist(n, &rd);
        for (size_t i = 0; i < rd.msg_after_persist_count; i++)
            enqueue(&rd.msgs_after_persist[i], n);
        for (size_t i = 0; i < rd.committed_count; i++) {
            const raft_entry *e = &rd.committed[i];
            assert_int_equal(e->index, n->applied_index + 1);
            n->applied_index = e->index;
            if (e->type == RAFT_ENTRY_NORMAL && e->len > 0 && n->applied_count < APPLIED_MAX) {
                size_t len = e->len < 15 ? e->len : 15;
                memcpy(n->applied[n->applied_count], e->data, len);
                n->applied[n->applied_count][len] = '\0';
                n->applied_count++;
            }
        }
        for (size_t i = 0; i < rd.read_count && n->read_count < 64; i++) {
            n->reads[n->read_count] = rd.reads[i].ctx;
            n->read_index[n->read_count++] = rd.reads[i].index;
        }
        raft_advance(n->r, &rd);
    }
}

static void free_queued(queued *q)
{
    if (q->entries) {
        for (uint32_t i = 0; i < q->m.entry_count; i++) mem_free(q->entries[i].data);
        mem_free(q->entries);
    }
    mem_free(q->data);
}

/* Delivers messages until the network is quiet. */
static void settle(void)
{
    for (int id = 1; id <= node_count; id++) process_ready(id);
    while (q_head != q_tail) {
        queued *q = &queue[q_head++ % QUEUE_MAX];
        node *to = &nodes[q->m.to];
        if (q->m.to >= 1 && (int)q->m.to <= node_count && to->up && !cut[q->m.from][q->m.to]) {
            raft_step(to->r, &q->m);
            process_ready((int)q->m.to);
        }
        free_queued(q);
    }
}

static void tick_all(int ticks)
{
    for (int t = 0; t < ticks; t++) {
        for (int id = 1; id <= node_count; id++)
            if (nodes[id].up) raft_tick(nodes[id].r);
        settle();
    }
}

static raft *start_node(int id, const raft_conf *bootstrap)
{
    raft_config cfg = base_cfg;
    cfg.id = (raft_id)id;
    cfg.group = 7;
    cfg.seed = 1000 + (uint64_t)id;
    node *n = &nodes[id];
    raft *r = raft_new(&cfg, &n->hs, &n->snap, n->log, n->log_count, bootstrap);
    assert_non_null(r);
    n->r = r;
    n->up = true;
    n->applied_index = raft_applied_index(r);
    return r;
}

/* ---- The small language ------------------------------------------------------ */

static void cluster_start(int count)
{
    memset(nodes, 0, sizeof nodes);
    memset(cut, 0, sizeof cut);
    q_head = q_tail = 0;
    node_count = count;
    raft_conf boot = {0};
    for (int id = 1; id <= count; id++) boot.voters[boot.voter_count++] = (raft_id)id;
    for (int id = 1; id <= count; id++) start_node(id, &boot);
    settle();
}

/* Adds a node that knows nothing yet (it joins by configuration change). */
static void node_start_empty(int id)
{
    if (id > node_count) node_count = id;
    memset(&nodes[id], 0, sizeof nodes[id]);
    start_node(id, NULL);
}

static void cluster_stop(void)
{
    settle();
    for (int id = 1; id <= node_count; id++) {
        node *n = &nodes[id];
        raft_free(n->r);
        for (size_t i = 0; i < n->log_count; i++) mem_free(n->log[i].data);
        mem_free(n->log);
    }
    memset(nodes, 0, sizeof nodes);
}

static int leader_of_cluster(void)
{
    int leader = 0;
    for (int id = 1; id <= node_count; id++) {
        if (!nodes[id].up || raft_role_of(nodes[id].r) != RAFT_LEADER) continue;
        /* §5.2 election safety: one leader per term (checked among live ones). */
        if (leader) assert_int_not_equal(raft_term_of(nodes[id].r), raft_term_of(nodes[leader].r));
        if (!leader || raft_term_of(nodes[id].r) > raft_term_of(nodes[leader].r)) leader = id;
    }
    return leader;
}

static int step_until_leader(void)
{
    for (int t = 0; t < 200; t++) {
        int l = leader_of_cluster();
        if (l && !cut[l][l == 1 ? 2 : 1]) return l;
        tick_all(1);
    }
    fail_msg("no leader within 200 ticks");
    return 0;
}

static void isolate(int id)
{
    for (int o = 1; o <= NODES_MAX; o++) cut[id][o] = cut[o][id] = true;
}

static void heal(void)
{
    memset(cut, 0, sizeof cut);
}

static raft_index propose(int id, const char *text)
{
    raft_index idx = 0;
    assert_int_equal(raft_propose(nodes[id].r, text, (uint32_t)strlen(text), &idx), RAFT_OK);
    settle();
    return idx;
}

static void expect_applied(int id, raft_index count, const char *last)
{
    assert_true(nodes[id].applied_count >= count);
    if (last) assert_string_equal(nodes[id].applied[nodes[id].applied_count - 1], last);
}

static void expect_same_applied(void)
{
    for (int a = 1; a <= node_count; a++) {
        for (int b = a + 1; b <= node_count; b++) {
            raft_index n = nodes[a].applied_count < nodes[b].applied_count
                               ? nodes[a].applied_count
                               : nodes[b].applied_count;
            for (raft_index i = 0; i < n; i++)
                assert_string_equal(nodes[a].applied[i], nodes[b].applied[i]);
        }
    }
}

static int other_than(int a, int b)
{
    for (int id = 1; id <= node_count; id++)
        if (id != a && id != b && nodes[id].up) return id;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    raft_config_defaults(&base_cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cluster_stop();
    return 0;
}

/* ---- Scenarios ---------------------------------------------------------------- */

/* §5.2: a leader is elected; everyone agrees on it and its term. */
static void test_election(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    for (int id = 1; id <= 3; id++) {
        assert_int_equal(raft_leader(nodes[id].r), l);
        assert_int_equal(raft_term_of(nodes[id].r), raft_term_of(nodes[l].r));
    }
}

/* §5.3: entries proposed on the leader are committed and applied in the
 * same order on every node. */
static void test_replication(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    propose(l, "a");
    propose(l, "b");
    propose(l, "c");
    tick_all(2);
    for (int id = 1; id <= 3; id++) expect_applied(id, 3, "c");
    expect_same_applied();
}

/* Proposals on a follower fail fast with the leader as a hint. */
static void test_follower_rejects_proposal(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    int f = other_than(l, 0);
    raft_index idx;
    assert_int_equal(raft_propose(nodes[f].r, "x", 1, &idx), RAFT_E_NOT_LEADER);
    assert_int_equal(raft_leader(nodes[f].r), l);
}

/* §5.2/§6.2: when the leader is cut off, the others elect a new one, and
 * the old leader steps down by check-quorum. */
static void test_leader_isolation(void **state)
{
    (void)state;
    cluster_start(3);
    int old = step_until_leader();
    raft_term t = raft_term_of(nodes[old].r);
    isolate(old);
    tick_all(60);
    int fresh = leader_of_cluster();
    assert_true(fresh != 0 && fresh != old);
    assert_true(raft_term_of(nodes[fresh].r) > t);
    assert_int_not_equal(raft_role_of(nodes[old].r), RAFT_LEADER);
    /* The old leader cannot commit anything on its own. */
    heal();
    tick_all(30);
    propose(leader_of_cluster(), "after");
    tick_all(2);
    for (int id = 1; id <= 3; id++) expect_applied(id, 1, "after");
}

/* §9.6: a follower cut off for long does not inflate its term (pre-vote
 * fails), so rejoining does not depose a healthy leader. */
static void test_prevote_keeps_term(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    int f = other_than(l, 0);
    raft_term t = raft_term_of(nodes[l].r);
    isolate(f);
    tick_all(100);
    assert_int_equal(raft_term_of(nodes[f].r), t);
    heal();
    tick_all(10);
    assert_int_equal(leader_of_cluster(), l);
    assert_int_equal(raft_term_of(nodes[l].r), t);
}

/* §5.4.1: a node with a stale log cannot win an election. */
static void test_stale_log_loses(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    int lagging = other_than(l, 0);
    isolate(lagging);
    propose(l, "x");
    propose(l, "y");
    tick_all(2);
    /* The lagging node campaigns right after rejoining while the leader is
     * down: the third node, whose log is longer, must refuse it. */
    heal();
    isolate(l);
    raft_campaign(nodes[lagging].r);
    settle();
    tick_all(1);
    assert_int_not_equal(raft_role_of(nodes[lagging].r), RAFT_LEADER);
    tick_all(80);
    int now = leader_of_cluster();
    assert_true(now != 0);
    assert_int_not_equal(now, lagging);
    expect_applied(now, 2, "y");
}

/* §6.4: ReadIndex on the leader and (forwarded) on a follower; a leader
 * without a quorum releases no read. */
static void test_read_index(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    propose(l, "v");
    tick_all(1);
    assert_int_equal(raft_read_index(nodes[l].r, 41), RAFT_OK);
    settle();
    assert_int_equal(nodes[l].read_count, 1);
    assert_int_equal(nodes[l].reads[0], 41);
    assert_true(nodes[l].read_index[0] >= raft_commit_index(nodes[l].r) - 0);
    int f = other_than(l, 0);
    assert_int_equal(raft_read_index(nodes[f].r, 42), RAFT_OK);
    settle();
    assert_int_equal(nodes[f].read_count, 1);
    assert_int_equal(nodes[f].reads[0], 42);
    /* Cut off, the leader cannot confirm it still leads. */
    isolate(l);
    raft_read_index(nodes[l].r, 43);
    settle();
    tick_all(3);
    assert_int_equal(nodes[l].read_count, 1);
}

/* §6.4.1: lease reads need check-quorum and a drift bound; with them, the
 * leader answers at once while its lease holds. */
static void test_lease_read_rules(void **state)
{
    (void)state;
    raft_config cfg;
    raft_config_defaults(&cfg);
    cfg.id = 1;
    cfg.lease_reads = true;
    cfg.check_quorum = false;
    assert_null(raft_new(&cfg, NULL, NULL, NULL, 0, NULL));
    cfg.check_quorum = true;
    cfg.clock_drift_ticks = cfg.election_ticks;
    assert_null(raft_new(&cfg, NULL, NULL, NULL, 0, NULL));
    base_cfg.lease_reads = true;
    base_cfg.clock_drift_ticks = 2;
    cluster_start(3);
    int l = step_until_leader();
    tick_all(2);
    size_t before = nodes[l].read_count;
    raft_read_index(nodes[l].r, 7);
    /* No message round needed: the read is released in the next batch. */
    process_ready(l);
    assert_int_equal(nodes[l].read_count, before + 1);
    base_cfg.lease_reads = false;
    base_cfg.clock_drift_ticks = 0;
}

/* §3.10: leadership transfer with TimeoutNow. */
static void test_transfer(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    int target = other_than(l, 0);
    propose(l, "before");
    assert_int_equal(raft_transfer_leader(nodes[l].r, (raft_id)target), RAFT_OK);
    settle();
    tick_all(2);
    assert_int_equal(leader_of_cluster(), target);
    propose(target, "after");
    tick_all(2);
    for (int id = 1; id <= 3; id++) expect_applied(id, 2, "after");
}

/* §4.2.1/§4.3: a learner catches up without voting; promoting it goes
 * through joint consensus, which the leader leaves by itself; removing the
 * leader makes it step down. */
static void test_membership(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    propose(l, "one");
    node_start_empty(4);
    raft_conf_change add = {RAFT_CONF_ADD_LEARNER, 4};
    raft_index idx;
    assert_int_equal(raft_propose_conf_change(nodes[l].r, &add, 1, &idx), RAFT_OK);
    tick_all(5);
    assert_true(raft_conf_of(nodes[l].r)->learner_count == 1);
    expect_applied(4, 1, "one");
    /* A second change waits for the first to be applied. */
    raft_conf_change promote = {RAFT_CONF_ADD_VOTER, 4};
    assert_int_equal(raft_propose_conf_change(nodes[l].r, &promote, 1, &idx), RAFT_OK);
    tick_all(5);
    const raft_conf *c = raft_conf_of(nodes[l].r);
    assert_int_equal(c->voter_count, 4);
    assert_int_equal(c->voter_outgoing_count, 0); /* left the joint config */
    raft_conf_change remove = {RAFT_CONF_REMOVE, (raft_id)l};
    assert_int_equal(raft_propose_conf_change(nodes[l].r, &remove, 1, &idx), RAFT_OK);
    tick_all(40);
    int fresh = leader_of_cluster();
    assert_true(fresh != 0 && fresh != l);
    propose(fresh, "two");
    tick_all(2);
    for (int id = 1; id <= 4; id++)
        if (id != l) expect_applied(id, 2, "two");
}

/* §7: after compaction, a new node catches up by a snapshot sent in small
 * chunks. */
static void test_snapshot_catch_up(void **state)
{
    (void)state;
    base_cfg.snapshot_chunk_bytes = 7;
    cluster_start(3);
    int l = step_until_leader();
    for (int i = 0; i < 20; i++) propose(l, "e");
    tick_all(2);
    node *ln = &nodes[l];
    raft_snapshot_meta meta = {.index = ln->applied_index,
                               .term = raft_term_at(ln->r, ln->applied_index),
                               .conf = *raft_conf_of(ln->r), .size_bytes = 50};
    for (int i = 0; i < 50; i++) ln->snap_bytes[i] = (uint8_t)('a' + i % 26);
    raft_snapshot_taken(ln->r, &meta, 0);
    assert_int_equal(raft_first_index(ln->r), meta.index + 1);
    node_start_empty(4);
    raft_conf_change add = {RAFT_CONF_ADD_LEARNER, 4};
    raft_index idx;
    assert_int_equal(raft_propose_conf_change(ln->r, &add, 1, &idx), RAFT_OK);
    tick_all(10);
    assert_int_equal(nodes[4].snap.index, meta.index);
    assert_memory_equal(nodes[4].snap_bytes, ln->snap_bytes, 50);
    propose(l, "late");
    tick_all(2);
    expect_applied(4, 1, "late");
    base_cfg.snapshot_chunk_bytes = 1u << 20;
}

/* §5.3 with fast backtracking: a follower that missed many entries is
 * brought up to date in a few round trips, and a divergent suffix from an
 * old term is replaced. */
static void test_divergent_log_repaired(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    int f = other_than(l, 0);
    /* The old leader writes entries nobody else gets. */
    isolate(l);
    for (int i = 0; i < 5; i++) {
        raft_index idx;
        raft_propose(nodes[l].r, "lost", 4, &idx);
        settle();
    }
    tick_all(60);
    int fresh = leader_of_cluster();
    assert_true(fresh != 0 && fresh != l);
    for (int i = 0; i < 30; i++) propose(fresh, "kept");
    heal();
    tick_all(20);
    expect_same_applied();
    for (raft_index i = 0; i < nodes[l].applied_count; i++)
        assert_string_not_equal(nodes[l].applied[i], "lost");
    assert_int_equal(raft_last_index(nodes[l].r), raft_last_index(nodes[fresh].r));
    (void)f;
}

/* Limits: oversize entries and too many uncommitted bytes are refused. */
static void test_limits(void **state)
{
    (void)state;
    base_cfg.max_entry_bytes = 8;
    base_cfg.max_uncommitted_bytes = 16;
    cluster_start(3);
    int l = step_until_leader();
    raft_index idx;
    assert_int_equal(raft_propose(nodes[l].r, "123456789", 9, &idx), RAFT_E_TOO_BIG);
    isolate(l); /* nothing commits */
    assert_int_equal(raft_propose(nodes[l].r, "12345678", 8, &idx), RAFT_OK);
    assert_int_equal(raft_propose(nodes[l].r, "12345678", 8, &idx), RAFT_OK);
    assert_int_equal(raft_propose(nodes[l].r, "1", 1, &idx), RAFT_E_BUSY);
    base_cfg.max_entry_bytes = 64u << 20;
    base_cfg.max_uncommitted_bytes = 256u << 20;
}

/* Restart from durable state keeps the log, the term and the vote. */
static void test_restart(void **state)
{
    (void)state;
    cluster_start(3);
    int l = step_until_leader();
    propose(l, "p");
    tick_all(2);
    raft_term t = raft_term_of(nodes[l].r);
    for (int id = 1; id <= 3; id++) {
        raft_free(nodes[id].r);
        nodes[id].applied_count = 0;
        nodes[id].applied_index = 0;
        start_node(id, NULL);
    }
    tick_all(1);
    for (int id = 1; id <= 3; id++) {
        assert_true(raft_term_of(nodes[id].r) >= t);
        expect_applied(id, 1, "p");
    }
    step_until_leader();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_election),          T(test_replication),     T(test_follower_rejects_proposal),
        T(test_leader_isolation),  T(test_prevote_keeps_term), T(test_stale_log_loses),
        T(test_read_index),        T(test_lease_read_rules), T(test_transfer),
        T(test_membership),        T(test_snapshot_catch_up), T(test_divergent_log_repaired),
        T(test_limits),            T(test_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
