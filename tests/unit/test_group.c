/* Tests for node/group.c: three group hosts in one process on one libuv
 * loop, each over its own WAL in a temporary directory (real files, real
 * fsyncs), connected by an in-memory transport that can cut a node off.
 * They check the whole write path (propose -> WAL group commit -> commit
 * -> apply -> reply), follower reads, restart from the WAL, snapshots with
 * compaction, and catch-up of a lagging node by snapshot. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/mem.h"
#include "node/group.h"

#define NODES 3
#define GROUP 1
#define QUEUE_MAX 200000

typedef struct node {
    wal *w;
    group_host *h;
    bool cut;
    char dir[128];
} node;

typedef struct queued {
    raft_msg m;
    raft_entry *entries;
    uint8_t *data;
} queued;

static uv_loop_t loop;
static node nodes[NODES + 1];
static queued *queue;
static size_t q_len;
static char root[64];
static uint64_t snapshot_entries = 1000000;
static bool inline_wal; /* WAL jobs run on the loop: completions in a known order */

static void send_msg(void *arg, const raft_msg *m)
{
    raft_id from = (raft_id)(uintptr_t)arg;
    if (nodes[from].cut || nodes[m->to].cut || q_len == QUEUE_MAX) return;
    queued *q = &queue[q_len++];
    q->m = *m;
    q->entries = NULL;
    q->data = NULL;
    if (m->entry_count) {
        q->entries = mem_alloc(m->entry_count * sizeof *q->entries);
        for (uint32_t i = 0; i < m->entry_count; i++) {
            q->entries[i] = m->entries[i];
            q->entries[i].data = NULL;
            if (m->entries[i].len) {
                q->entries[i].data = mem_alloc(m->entries[i].len);
                memcpy(q->entries[i].data, m->entries[i].data, m->entries[i].len);
            }
        }
        q->m.entries = q->entries;
    }
    if (m->len) {
        q->data = mem_alloc(m->len);
        memcpy(q->data, m->data, m->len);
        q->m.data = q->data;
    }
}

static void deliver(void)
{
    size_t n = q_len;
    queued *batch = mem_alloc((n ? n : 1) * sizeof *batch);
    memcpy(batch, queue, n * sizeof *batch);
    q_len = 0;
    for (size_t i = 0; i < n; i++) {
        queued *q = &batch[i];
        node *to = &nodes[q->m.to];
        if (to->h && !to->cut && !nodes[q->m.from].cut) group_host_step(to->h, &q->m);
        if (q->entries) {
            for (uint32_t k = 0; k < q->m.entry_count; k++) mem_free(q->entries[k].data);
            mem_free(q->entries);
        }
        mem_free(q->data);
    }
    mem_free(batch);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop until pred() holds or `seconds` pass. */
static bool run_until(bool (*pred)(void), double seconds)
{
    double deadline = now_s() + seconds;
    while (now_s() < deadline) {
        uv_run(&loop, UV_RUN_NOWAIT);
        deliver();
        if (pred && pred()) return true;
        usleep(200);
    }
    return pred ? pred() : true;
}

static void node_open(int id)
{
    node *n = &nodes[id];
    wal_options opts;
    wal_options_defaults(&opts);
    opts.segment_bytes = 32u << 20;
    opts.inline_io = inline_wal;
    wal_open_error err;
    assert_int_equal(wal_open(n->dir, &opts, &loop, &n->w, &err), 0);
    group_host_config cfg;
    group_host_config_defaults(&cfg);
    cfg.node_id = (raft_id)id;
    cfg.seed = (uint64_t)id;
    cfg.tick_ms = 10;
    cfg.snapshot_entries = snapshot_entries;
    cfg.snapshot_keep = 5;
    assert_int_equal(group_host_open(&loop, &cfg, n->w, send_msg, (void *)(uintptr_t)id, &n->h),
                     0);
}

static bool closed_flag;
static void wal_closed(void *arg)
{
    (void)arg;
    closed_flag = true;
}

static bool is_closed(void)
{
    return closed_flag;
}

static void node_close(int id)
{
    node *n = &nodes[id];
    group_host_close(n->h);
    n->h = NULL;
    closed_flag = false;
    wal_close(n->w, wal_closed, NULL);
    assert_true(run_until(is_closed, 10));
    n->w = NULL;
}

static void cluster_start(void)
{
    uv_loop_init(&loop);
    queue = mem_alloc(QUEUE_MAX * sizeof *queue);
    q_len = 0;
    snprintf(root, sizeof root, "/tmp/polis-test-group-XXXXXX");
    assert_non_null(mkdtemp(root));
    raft_conf conf = {.voter_count = NODES};
    for (int id = 1; id <= NODES; id++) conf.voters[id - 1] = (raft_id)id;
    for (int id = 1; id <= NODES; id++) {
        memset(&nodes[id], 0, sizeof nodes[id]);
        snprintf(nodes[id].dir, sizeof nodes[id].dir, "%s/n%d", root, id);
        node_open(id);
        int rv = group_create(nodes[id].h, GROUP, &conf);
        assert_true(rv == 0 || rv == POLIS_EEXISTS);
    }
}

static void cluster_stop(void)
{
    for (int id = 1; id <= NODES; id++)
        if (nodes[id].h) node_close(id);
    deliver();
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
    mem_free(queue);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static int leader(void)
{
    for (int id = 1; id <= NODES; id++) {
        if (!nodes[id].h || nodes[id].cut) continue;
        node_group *g = group_find(nodes[id].h, GROUP);
        if (g && raft_role_of(group_raft(g)) == RAFT_LEADER) return id;
    }
    return 0;
}

static bool has_leader(void)
{
    return leader() != 0;
}

static int step_until_leader(void)
{
    assert_true(run_until(has_leader, 10));
    return leader();
}

/* ---- Requests ----------------------------------------------------------------------- */

typedef struct result {
    bool done;
    int status;
    char reply[256];
} result;

static void on_done(void *arg, int status, const char *reply, size_t len)
{
    result *r = arg;
    r->done = true;
    r->status = status;
    size_t n = len < sizeof r->reply - 1 ? len : sizeof r->reply - 1;
    if (reply) memcpy(r->reply, reply, n);
    r->reply[reply ? n : 0] = '\0';
}

static result *waiting;
static bool request_done(void)
{
    return waiting->done;
}

static result write_cmd(int id, const char *first, ...)
{
    cmd_arg argv[8];
    size_t argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        argv[argc].ptr = a;
        argv[argc].len = strlen(a);
        argc++;
    }
    va_end(ap);
    result r = {0};
    node_group *g = group_find(nodes[id].h, GROUP);
    int rv = group_propose(g, argv, argc, 2, 1700000000000, on_done, &r);
    assert_int_equal(rv, 0);
    waiting = &r;
    assert_true(run_until(request_done, 10));
    return r;
}

static const char *local_get(int id, const char *key)
{
    static char out[128];
    kv_keyspace *ks = group_keyspace(group_find(nodes[id].h, GROUP));
    kv_obj *o = kv_lookup_any(ks, key, strlen(key));
    if (o == NULL) return NULL;
    char tmp[24];
    size_t len;
    const char *s = kv_string_bytes(o, tmp, &len);
    snprintf(out, sizeof out, "%.*s", (int)len, s);
    return out;
}

static const char *expect_key;
static const char *expect_val;
static bool all_have_key(void)
{
    for (int id = 1; id <= NODES; id++) {
        if (!nodes[id].h || nodes[id].cut) continue;
        const char *v = local_get(id, expect_key);
        if (v == NULL || strcmp(v, expect_val) != 0) return false;
    }
    return true;
}

static void expect_everywhere(const char *key, const char *val)
{
    expect_key = key;
    expect_val = val;
    assert_true(run_until(all_have_key, 10));
}

/* ---- Tests -------------------------------------------------------------------------- */

static void test_replicated_write(void **state)
{
    (void)state;
    cluster_start();
    int l = step_until_leader();
    result r = write_cmd(l, "SET", "k", "v", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.reply, "+OK\r\n");
    r = write_cmd(l, "INCR", "n", NULL);
    assert_string_equal(r.reply, ":1\r\n");
    expect_everywhere("k", "v");
    /* A follower refuses to propose (the server forwards instead). */
    int f = l % NODES + 1;
    cmd_arg argv[2] = {{"GET", 3}, {"k", 1}};
    result dummy = {0};
    assert_int_equal(group_propose(group_find(nodes[f].h, GROUP), argv, 2, 2, 0, on_done,
                                   &dummy),
                     RAFT_E_NOT_LEADER);
    /* A follower's read barrier completes once it has applied the write. */
    write_cmd(l, "SET", "k", "w", NULL);
    result rb = {0};
    group_read_barrier(group_find(nodes[f].h, GROUP), on_done, &rb);
    waiting = &rb;
    assert_true(run_until(request_done, 10));
    assert_int_equal(rb.status, 0);
    assert_string_equal(local_get(f, "k"), "w");
    cluster_stop();
}

static void test_restart_recovers_everything(void **state)
{
    (void)state;
    cluster_start();
    int l = step_until_leader();
    for (int i = 0; i < 50; i++) {
        char key[16];
        snprintf(key, sizeof key, "key%d", i);
        assert_int_equal(write_cmd(l, "SET", key, "x", NULL).status, 0);
    }
    write_cmd(l, "SET", "last", "yes", NULL);
    expect_everywhere("last", "yes");
    for (int id = 1; id <= NODES; id++) node_close(id);
    for (int id = 1; id <= NODES; id++) node_open(id);
    l = step_until_leader();
    expect_everywhere("last", "yes");
    expect_everywhere("key49", "x");
    assert_int_equal(write_cmd(l, "SET", "after", "restart", NULL).status, 0);
    expect_everywhere("after", "restart");
    cluster_stop();
}

static void test_snapshot_and_catch_up(void **state)
{
    (void)state;
    snapshot_entries = 40;
    cluster_start();
    int l = step_until_leader();
    int lagging = l % NODES + 1;
    nodes[lagging].cut = true;
    for (int i = 0; i < 300; i++) {
        char key[16];
        snprintf(key, sizeof key, "key%d", i);
        assert_int_equal(write_cmd(l, "SET", key, "v", NULL).status, 0);
    }
    /* Snapshots were taken and the log compacted past what the lagging
     * node has: it can only catch up by a snapshot. */
    raft_snapshot_meta meta;
    bool compacted = false;
    for (int tries = 0; tries < 2000 && !compacted; tries++) {
        run_until(NULL, 0.005);
        compacted = wal_snapshot_newest(nodes[l].w, GROUP, &meta) == 0 &&
                    raft_first_index(group_raft(group_find(nodes[l].h, GROUP))) > 10;
    }
    assert_true(compacted);
    nodes[lagging].cut = false;
    expect_everywhere("key299", "v");
    kv_keyspace *a = group_keyspace(group_find(nodes[l].h, GROUP));
    kv_keyspace *b = group_keyspace(group_find(nodes[lagging].h, GROUP));
    assert_int_equal(kv_digest(a, 0), kv_digest(b, 0));
    /* Restart the caught-up node: it recovers from its own snapshot. */
    node_close(lagging);
    node_open(lagging);
    expect_everywhere("key299", "v");
    assert_int_equal(kv_digest(a, 0),
                     kv_digest(group_keyspace(group_find(nodes[lagging].h, GROUP)), 0));
    cluster_stop();
    snapshot_entries = 1000000;
}

/* A leader cut off right after its followers took a write cannot know
 * whether the write commits. When it later learns the outcome from a
 * snapshot that covers the write's index, it must not tell the client the
 * write was lost: here the write is in fact applied by the new leader. */
static result pending_write;
static raft_index pending_index;
static bool followers_took_it(void)
{
    int got = 0;
    for (int id = 1; id <= NODES; id++) {
        if (nodes[id].cut) continue;
        raft *r = group_raft(group_find(nodes[id].h, GROUP));
        if (raft_role_of(r) != RAFT_LEADER && raft_last_index(r) >= pending_index) got++;
    }
    return got == NODES - 1;
}

static bool pending_done(void)
{
    return pending_write.done;
}

static void test_write_covered_by_a_snapshot_may_have_been_applied(void **state)
{
    (void)state;
    snapshot_entries = 40;
    cluster_start();
    int old = step_until_leader();
    raft *r = group_raft(group_find(nodes[old].h, GROUP));
    pending_index = raft_last_index(r) + 1;
    cmd_arg argv[3] = {{"SET", 3}, {"fate", 4}, {"applied", 7}};
    memset(&pending_write, 0, sizeof pending_write);
    assert_int_equal(group_propose(group_find(nodes[old].h, GROUP), argv, 3, 2, 1700000000000,
                                   on_done, &pending_write),
                     0);
    assert_true(run_until(followers_took_it, 10));
    nodes[old].cut = true; /* their acknowledgements never reach it */
    int lead = step_until_leader();
    assert_int_not_equal(lead, old);
    expect_everywhere("fate", "applied"); /* the new leader committed it */
    for (int i = 0; i < 200; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(write_cmd(lead, "SET", key, "v", NULL).status, 0);
    }
    assert_false(pending_write.done);
    nodes[old].cut = false;
    assert_true(run_until(pending_done, 10));
    assert_int_not_equal(pending_write.status, 0);
    /* Not the timeout's reply: the snapshot's. */
    assert_non_null(strstr(pending_write.reply, "leadership changed; the write may or may not"));
    expect_everywhere("k199", "v");
    assert_string_equal(local_get(old, "fate"), "applied");
    cluster_stop();
    snapshot_entries = 1000000;
}

/* Closing a node while a forked snapshot is being written: the host takes
 * its snapshot writer back before the WAL closes. Found by ASan: the WAL's
 * close aborted and freed the writer, then the snapshot pipe's close
 * callback aborted it again. With the WAL's jobs inline, the WAL's
 * completion always runs first (poll phase) and the pipe's close callback
 * after it (closing phase), so the old code failed every time. */
static int writes_done;
static void on_write_done(void *arg, int status, const char *reply, size_t len)
{
    (void)arg;
    (void)reply;
    (void)len;
    assert_int_equal(status, 0);
    writes_done++;
}

static int writes_wanted;
static bool all_writes_done(void)
{
    return writes_done == writes_wanted;
}

static void test_close_while_a_snapshot_is_being_written(void **state)
{
    (void)state;
    inline_wal = true;
    snapshot_entries = 3000;
    cluster_start();
    int l = step_until_leader();
    static char value[2048];
    memset(value, 'v', sizeof value - 1);
    node_group *g = group_find(nodes[l].h, GROUP);
    writes_done = 0;
    writes_wanted = 3000;
    for (int i = 0; i < writes_wanted; i++) {
        char key[16];
        snprintf(key, sizeof key, "big%d", i);
        cmd_arg argv[3] = {{"SET", 3}, {key, strlen(key)}, {value, sizeof value - 1}};
        assert_int_equal(group_propose(g, argv, 3, 2, 1700000000000, on_write_done, NULL), 0);
    }
    assert_true(run_until(all_writes_done, 30));
    /* The leader has just passed 3,000 applied entries: its snapshot of
     * ~6 MB is being forked and written. Close it now. */
    node_close(l);
    cluster_stop();
    inline_wal = false;
    snapshot_entries = 1000000;
}

/* A crash can leave a durable snapshot next to log records of a branch it
 * replaced (the snapshot file is made durable outside the WAL's order):
 * recovery must drop that suffix instead of refusing to start. Here the WAL
 * of one node is given, from the snapshot's index on, entries of an older
 * term, as a pipelined write queued before the overwrite would leave it. */
static void test_recovery_drops_replaced_suffix(void **state)
{
    (void)state;
    snapshot_entries = 40;
    cluster_start();
    int l = step_until_leader();
    for (int i = 0; i < 120; i++) {
        char key[16];
        snprintf(key, sizeof key, "key%d", i);
        assert_int_equal(write_cmd(l, "SET", key, "v", NULL).status, 0);
    }
    expect_everywhere("key119", "v");
    int victim = l % NODES + 1;
    raft_snapshot_meta meta;
    bool snapped = false;
    /* Its newest snapshot, once no other can follow (fewer than
     * snapshot_entries applied since): one finishing during the close
     * below would compact the log past the index the test writes at. */
    raft *vr = group_raft(group_find(nodes[victim].h, GROUP));
    for (int tries = 0; tries < 2000 && !snapped; tries++) {
        run_until(NULL, 0.005);
        snapped = wal_snapshot_newest(nodes[victim].w, GROUP, &meta) == 0 && meta.term > 1 &&
                  meta.index + snapshot_entries > raft_applied_index(vr);
    }
    assert_true(snapped);
    /* The whole cluster restarts (the entries dropped below were acknowledged
     * by the victim; its peers must not remember that). */
    for (int id = 1; id <= NODES; id++) node_close(id);

    wal_options opts;
    wal_options_defaults(&opts);
    opts.segment_bytes = 32u << 20;
    wal_open_error err;
    wal *w;
    assert_int_equal(wal_open(nodes[victim].dir, &opts, &loop, &w, &err), 0);
    raft_entry stale[4];
    uint8_t junk[8] = "stale!!";
    for (int k = 0; k < 4; k++)
        stale[k] = (raft_entry){.term = meta.term - 1, .index = meta.index + (raft_index)k,
                                .type = RAFT_ENTRY_NORMAL, .len = sizeof junk, .data = junk};
    assert_int_equal(wal_append(w, GROUP, stale, 4), 0);
    closed_flag = false;
    wal_close(w, wal_closed, NULL);
    assert_true(run_until(is_closed, 10));

    for (int id = 1; id <= NODES; id++) node_open(id); /* asserts that each recovered */
    raft *r = group_raft(group_find(nodes[victim].h, GROUP));
    assert_true(raft_last_index(r) <= meta.index || raft_term_at(r, meta.index + 1) >= meta.term);
    l = step_until_leader();
    assert_int_equal(write_cmd(l, "SET", "after", "recovery", NULL).status, 0);
    expect_everywhere("after", "recovery");
    kv_keyspace *a = group_keyspace(group_find(nodes[l].h, GROUP));
    kv_keyspace *b = group_keyspace(group_find(nodes[victim].h, GROUP));
    assert_int_equal(kv_digest(a, 0), kv_digest(b, 0));
    cluster_stop();
    snapshot_entries = 1000000;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replicated_write),
        cmocka_unit_test(test_restart_recovers_everything),
        cmocka_unit_test(test_snapshot_and_catch_up),
        cmocka_unit_test(test_recovery_drops_replaced_suffix),
        cmocka_unit_test(test_write_covered_by_a_snapshot_may_have_been_applied),
        cmocka_unit_test(test_close_while_a_snapshot_is_being_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
