/* Fault injection on the file layer, through the simfs hook: short writes
 * (the WAL completes them), ENOSPC on preallocation and on write, EIO on
 * fdatasync and on a directory fsync, EIO on a snapshot's fsync. Each error
 * must surface (durable callback with an error, barriers failing, every
 * later call failing), a failed fsync must never be retried, and after a
 * power loss everything acknowledged before the fault must be there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_wal_util.h"

typedef struct inject {
    enum wal_simfs_op op;
    int error; /* returned once armed */
    int after; /* let this many matching calls pass first */
    bool armed;
    size_t short_max; /* cap on every write's length (0: none) */
    uint64_t calls[WAL_SIMFS_LIST + 1];
    uint64_t calls_after_fault[WAL_SIMFS_LIST + 1];
    bool fired;
} inject;

static int inject_hook(void *arg, enum wal_simfs_op op, const char *path, size_t *len)
{
    (void)path;
    inject *in = arg;
    in->calls[op]++;
    if (in->fired) in->calls_after_fault[op]++;
    if (op == WAL_SIMFS_PWRITE && in->short_max && *len > in->short_max)
        *len = in->short_max;
    if (!in->armed || op != in->op) return 0;
    if (in->after > 0) {
        in->after--;
        return 0;
    }
    in->armed = false;
    in->fired = true;
    return in->error;
}

typedef struct ffix {
    wal_simfs *fs;
    inject in;
    uv_loop_t loop;
    wal_options opts;
    tracker t;
    wal *w;
    model acked, cur;
    model since[64]; /* states after each append since the last ack */
    size_t since_count;
    uint64_t next[4];
} ffix;

static int setup(void **state)
{
    ffix *f = calloc(1, sizeof *f);
    f->fs = wal_simfs_new(7);
    wal_simfs_set_hook(f->fs, inject_hook, &f->in);
    uv_loop_init(&f->loop);
    wal_options_defaults(&f->opts);
    f->opts.segment_bytes = 8 << 10;
    f->opts.batch_bytes_max = 4 << 10;
    f->opts.entry_bytes_max = 1 << 10;
    f->opts.file_ops = wal_simfs_ops(f->fs);
    f->opts.on_durable = tracker_cb;
    f->opts.on_durable_arg = &f->t;
    model_init(&f->acked);
    model_init(&f->cur);
    for (int g = 0; g < 4; g++)
        f->next[g] = 1;
    assert_int_equal(wal_open("/wal", &f->opts, &f->loop, &f->w, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    ffix *f = *state;
    if (f->w) wal_close_wait(f->w, &f->loop, true);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    model_free(&f->acked);
    model_free(&f->cur);
    for (size_t i = 0; i < f->since_count; i++)
        model_free(&f->since[i]);
    wal_simfs_free(f->fs);
    free(f);
    return 0;
}

/* Appends `count` entries round-robin over 4 groups (queued only). */
static int append_some(ffix *f, int count)
{
    for (int i = 0; i < count; i++) {
        uint64_t g = (uint64_t)i % 4;
        int rv = wal_append_one(f->w, g, f->next[g], 1);
        if (rv != 0) return rv;
        model_append(&f->cur, g, f->next[g]++, 1);
        if (f->since_count < 64) {
            model_init(&f->since[f->since_count]);
            model_copy(&f->since[f->since_count++], &f->cur);
        }
    }
    return 0;
}

/* Waits for a barrier; on success what was queued is acknowledged. */
static int sync_ack(ffix *f)
{
    int rv = wal_sync_wait(f->w, &f->loop);
    if (rv != 0) return rv;
    model_copy(&f->acked, &f->cur);
    for (size_t i = 0; i < f->since_count; i++)
        model_free(&f->since[i]);
    f->since_count = 0;
    return 0;
}

/* Power loss, reopen without faults: what was acknowledged must be there;
 * of the failed flush, a prefix may be (a part that reached a segment
 * synced before a new one was created). */
static void expect_acked_survives(ffix *f)
{
    wal_close_wait(f->w, &f->loop, true);
    f->w = NULL;
    f->in.armed = false;
    f->in.short_max = 0;
    wal_simfs_crash(f->fs, WAL_SIMFS_CRASH_POWER);
    assert_int_equal(wal_open("/wal", &f->opts, &f->loop, &f->w, NULL), 0);
    char why[256], ignored[256];
    bool ok = model_matches(&f->acked, f->w, why, sizeof why);
    for (size_t i = 0; i < f->since_count && !ok; i++)
        ok = model_matches(&f->since[i], f->w, ignored, sizeof ignored);
    if (!ok) fail_msg("acknowledged data lost: %s", why);
}

static void expect_failed_for_good(ffix *f)
{
    assert_int_equal(wal_failed(f->w), POLIS_EIO);
    assert_int_not_equal(f->t.status, 0);
    raft_hard_state hs = {1, 1, 1};
    assert_int_equal(wal_set_hard_state(f->w, 0, &hs), POLIS_EIO);
    assert_int_equal(wal_append_one(f->w, 0, f->next[0], 1), POLIS_EIO);
    wal_sync_req req;
    assert_int_equal(wal_sync(f->w, &req, NULL), POLIS_EIO);
}

static void test_short_writes_are_completed(void **state)
{
    ffix *f = *state;
    f->in.short_max = 7;
    for (int round = 0; round < 20; round++) {
        assert_int_equal(append_some(f, 9), 0);
        assert_int_equal(sync_ack(f), 0);
    }
    assert_true(f->in.calls[WAL_SIMFS_PWRITE] > 1000);
    assert_int_equal(wal_failed(f->w), 0);
    expect_acked_survives(f);
}

static void test_enospc_on_preallocation(void **state)
{
    ffix *f = *state;
    assert_int_equal(append_some(f, 8), 0);
    assert_int_equal(sync_ack(f), 0);
    /* The next segment cannot be preallocated. */
    f->in = (inject){.op = WAL_SIMFS_FALLOCATE, .error = -ENOSPC, .armed = true};
    int rv = 0;
    for (int round = 0; round < 50 && rv == 0; round++) {
        rv = append_some(f, 8);
        if (rv == 0) rv = sync_ack(f);
    }
    assert_true(f->in.fired);
    assert_int_equal(rv, POLIS_EIO);
    expect_failed_for_good(f);
    expect_acked_survives(f);
}

static void test_enospc_on_write(void **state)
{
    ffix *f = *state;
    assert_int_equal(append_some(f, 8), 0);
    assert_int_equal(sync_ack(f), 0);
    f->in = (inject){
        .op = WAL_SIMFS_PWRITE, .error = -ENOSPC, .armed = true, .short_max = 100};
    assert_int_equal(append_some(f, 12), 0);
    assert_int_equal(sync_ack(f), POLIS_EIO);
    expect_failed_for_good(f);
    expect_acked_survives(f);
}

/* fsyncgate: after a failed fdatasync, never another one, never an ack. */
static void test_eio_on_fdatasync_is_fatal_and_not_retried(void **state)
{
    ffix *f = *state;
    assert_int_equal(append_some(f, 8), 0);
    assert_int_equal(sync_ack(f), 0);
    uint64_t reports = f->t.reports;
    f->in = (inject){.op = WAL_SIMFS_FDATASYNC, .error = -EIO, .armed = true};
    assert_int_equal(append_some(f, 8), 0);
    assert_int_equal(sync_ack(f), POLIS_EIO);
    assert_int_equal(f->t.reports, reports + 1); /* one report: the failure */
    assert_int_equal(f->t.status, POLIS_EIO);
    expect_failed_for_good(f);
    for (int i = 0; i < 10; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->in.calls_after_fault[WAL_SIMFS_FDATASYNC], 0);
    assert_int_equal(f->in.calls_after_fault[WAL_SIMFS_PWRITE], 0);
    expect_acked_survives(f);
}

static void test_eio_on_directory_fsync(void **state)
{
    ffix *f = *state;
    assert_int_equal(append_some(f, 4), 0);
    assert_int_equal(sync_ack(f), 0);
    /* A new segment's name cannot be made durable. */
    f->in = (inject){.op = WAL_SIMFS_FSYNC, .error = -EIO, .armed = true};
    int rv = 0;
    for (int round = 0; round < 50 && rv == 0; round++) {
        rv = append_some(f, 8);
        if (rv == 0) rv = sync_ack(f);
    }
    assert_true(f->in.fired);
    assert_int_equal(rv, POLIS_EIO);
    expect_failed_for_good(f);
    expect_acked_survives(f);
}

static void on_snap_done(wal_snapshot_writer *sw, int status, void *arg)
{
    (void)sw;
    int *out = arg;
    *out = status;
}

static void test_eio_on_snapshot_fsync_is_fatal(void **state)
{
    ffix *f = *state;
    assert_int_equal(append_some(f, 4), 0);
    assert_int_equal(sync_ack(f), 0);
    f->in = (inject){.op = WAL_SIMFS_FSYNC, .error = -EIO, .armed = true};
    raft_snapshot_meta meta = {.index = 3, .term = 1};
    meta.conf.voter_count = 1;
    meta.conf.voters[0] = 1;
    wal_snapshot_writer *sw;
    assert_int_equal(wal_snapshot_begin(f->w, 1, &meta, &sw), 0);
    assert_int_equal(wal_snapshot_write(sw, "state", 5), 0);
    int status = 1;
    assert_int_equal(wal_snapshot_finish(sw, on_snap_done, &status), 0);
    for (int i = 0; i < 1000 && status == 1; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(status, POLIS_EIO);
    assert_int_equal(wal_failed(f->w), POLIS_EIO);
    raft_snapshot_meta newest;
    assert_int_equal(wal_snapshot_newest(f->w, 1, &newest), POLIS_ENOTFOUND);
    expect_acked_survives(f);
    assert_int_equal(wal_snapshot_newest(f->w, 1, &newest), POLIS_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_short_writes_are_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_on_preallocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_on_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eio_on_fdatasync_is_fatal_and_not_retried,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_eio_on_directory_fsync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eio_on_snapshot_fsync_is_fatal, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
