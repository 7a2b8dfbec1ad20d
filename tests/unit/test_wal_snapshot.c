/* Snapshot store tests: writing in chunks and reading back in chunks,
 * keeping the newest N, crash safety (temp file, rename and directory
 * fsync), finding the newest valid snapshot when the newest file is
 * damaged, aborting, back-pressure, and dropping a group. Run on the
 * crashable in-memory file system, so that a power loss can be simulated
 * at each step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_wal_util.h"
#include "wal/format.h"

#define DATA_BYTES (3u * 1024 * 1024 + 123)

typedef struct sfix {
    wal_simfs *fs;
    uv_loop_t loop;
    wal_options opts;
    wal *w;
    uint8_t *data;
} sfix;

static int setup(void **state)
{
    sfix *f = calloc(1, sizeof *f);
    f->fs = wal_simfs_new(3);
    uv_loop_init(&f->loop);
    wal_options_defaults(&f->opts);
    f->opts.segment_bytes = 64 << 10;
    f->opts.batch_bytes_max = 32 << 10;
    f->opts.entry_bytes_max = 16 << 10;
    f->opts.file_ops = wal_simfs_ops(f->fs);
    f->data = malloc(DATA_BYTES);
    payload_fill(f->data, DATA_BYTES, 1, 2, 3);
    assert_int_equal(wal_open("/wal", &f->opts, &f->loop, &f->w, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    sfix *f = *state;
    if (f->w) wal_close_wait(f->w, &f->loop, false);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    wal_simfs_free(f->fs);
    free(f->data);
    free(f);
    return 0;
}

static void reopen(sfix *f, bool power_loss)
{
    wal_close_wait(f->w, &f->loop, power_loss);
    f->w = NULL;
    if (power_loss) wal_simfs_crash(f->fs, WAL_SIMFS_CRASH_POWER);
    assert_int_equal(wal_open("/wal", &f->opts, &f->loop, &f->w, NULL), 0);
}

static raft_snapshot_meta meta_at(raft_index index)
{
    raft_snapshot_meta m = {.index = index, .term = index / 10 + 1};
    m.conf.voter_count = 3;
    for (int i = 0; i < 3; i++)
        m.conf.voters[i] = (raft_id)(i + 1);
    m.conf.learner_count = 1;
    m.conf.learners[0] = 9;
    return m;
}

static void on_done(wal_snapshot_writer *sw, int status, void *arg)
{
    (void)sw;
    *(int *)arg = status;
}

/* Writes a whole snapshot in uneven pieces; does not run the loop past the
 * finish call when `finish` is false. Returns the writer. */
static wal_snapshot_writer *write_snapshot(sfix *f, uint64_t group, raft_index index,
                                           size_t bytes, bool finish)
{
    raft_snapshot_meta m = meta_at(index);
    wal_snapshot_writer *sw;
    assert_int_equal(wal_snapshot_begin(f->w, group, &m, &sw), 0);
    for (size_t off = 0; off < bytes;) {
        size_t n = bytes - off < 70001 ? bytes - off : 70001;
        int rv = wal_snapshot_write(sw, f->data + off, n);
        if (rv == POLIS_EBUSY) {
            int st = 1;
            assert_int_equal(wal_snapshot_wait(sw, on_done, &st), 0);
            for (int i = 0; i < 100000 && st == 1; i++)
                uv_run(&f->loop, UV_RUN_ONCE);
            assert_int_equal(st, 0);
            continue;
        }
        assert_int_equal(rv, 0);
        off += n;
    }
    if (!finish) return sw;
    int st = 1;
    assert_int_equal(wal_snapshot_finish(sw, on_done, &st), 0);
    for (int i = 0; i < 100000 && st == 1; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(st, 0);
    return NULL;
}

static void expect_snapshot(sfix *f, uint64_t group, raft_index index, size_t bytes)
{
    raft_snapshot_meta m;
    assert_int_equal(wal_snapshot_newest(f->w, group, &m), 0);
    assert_int_equal(m.index, index);
    assert_int_equal(m.term, index / 10 + 1);
    assert_int_equal(m.size_bytes, bytes);
    assert_int_equal(m.conf.voter_count, 3);
    assert_int_equal(m.conf.voters[2], 3);
    assert_int_equal(m.conf.learner_count, 1);
    assert_int_equal(m.conf.learners[0], 9);
    uint8_t *chunk = malloc(1 << 20);
    for (uint64_t off = 0; off < bytes;) {
        size_t n;
        assert_int_equal(wal_snapshot_read(f->w, group, index, off, chunk, 1 << 20, &n),
                         0);
        assert_true(n > 0);
        assert_memory_equal(chunk, f->data + off, n);
        off += n;
    }
    size_t n = 1;
    assert_int_equal(wal_snapshot_read(f->w, group, index, bytes, chunk, 10, &n), 0);
    assert_int_equal(n, 0);
    free(chunk);
    wal_group_info info;
    assert_int_equal(wal_group_info_get(f->w, group, &info), 0);
    assert_true(info.has_snapshot);
    assert_int_equal(info.snapshot.index, index);
}

static int count_files(sfix *f, const char *suffix)
{
    int n = 0;
    char path[128];
    for (raft_index i = 1; i < 200; i++) {
        snprintf(path, sizeof path, "/wal/snap/%016x-%016lx.snap%s", 5, (unsigned long)i,
                 suffix);
        uint64_t size;
        uint8_t *p = wal_simfs_read_file(f->fs, path, &size);
        if (p) n++;
        free(p);
    }
    return n;
}

static void test_write_read_reopen_keep(void **state)
{
    sfix *f = *state;
    write_snapshot(f, 5, 10, DATA_BYTES, true);
    expect_snapshot(f, 5, 10, DATA_BYTES);
    reopen(f, true); /* durable once finished: survives a power loss */
    expect_snapshot(f, 5, 10, DATA_BYTES);
    write_snapshot(f, 5, 20, 1000, true);
    write_snapshot(f, 5, 30, 5000, true);
    expect_snapshot(f, 5, 30, 5000);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* let the deletion of the oldest run */
    assert_int_equal(count_files(f, ""), 2);
    /* The one being sent may still be read until it is deleted. */
    size_t n;
    uint8_t b[10];
    assert_int_equal(wal_snapshot_read(f->w, 5, 20, 0, b, 10, &n), 0);
    assert_int_equal(wal_snapshot_read(f->w, 5, 10, 0, b, 10, &n), POLIS_ENOTFOUND);
    raft_snapshot_meta m = meta_at(30);
    wal_snapshot_writer *sw;
    assert_int_equal(wal_snapshot_begin(f->w, 5, &m, &sw), POLIS_EEXISTS);
}

static void test_crash_before_finish_leaves_old(void **state)
{
    sfix *f = *state;
    write_snapshot(f, 5, 10, 2000, true);
    wal_snapshot_writer *sw = write_snapshot(f, 5, 20, DATA_BYTES, false);
    (void)sw; /* never finished: the crash comes first */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    reopen(f, true);
    expect_snapshot(f, 5, 10, 2000);
    assert_int_equal(count_files(f, ".tmp"), 0);
}

/* A power loss between the finish call and its completion: the group has
 * one of its two snapshots, whole, never a half-written one. */
static void test_power_loss_during_finish(void **state)
{
    sfix *f = *state;
    write_snapshot(f, 5, 10, 2000, true);
    wal_snapshot_writer *sw = write_snapshot(f, 5, 20, 3000, false);
    int st = 1;
    assert_int_equal(wal_snapshot_finish(sw, on_done, &st), 0);
    /* No loop run: the finish job may or may not have run (inline or on
     * the thread); either way the newest after a power loss is a valid one. */
    reopen(f, true);
    raft_snapshot_meta m;
    assert_int_equal(wal_snapshot_newest(f->w, 5, &m), 0);
    assert_true(m.index == 10 || m.index == 20);
    expect_snapshot(f, 5, m.index, m.index == 10 ? 2000 : 3000);
}

static void test_damaged_newest_is_passed_over(void **state)
{
    sfix *f = *state;
    write_snapshot(f, 5, 10, 2000, true);
    write_snapshot(f, 5, 20, 3000, true);
    reopen(f, false);
    char path[128];
    snprintf(path, sizeof path, "/wal/snap/%016x-%016x.snap", 5, 20);
    uint64_t size;
    uint8_t *p = wal_simfs_read_file(f->fs, path, &size);
    assert_non_null(p);
    p[size - 100] ^= 4; /* in the data: only the data CRC notices */
    assert_int_equal(wal_simfs_write_file(f->fs, path, p, size), 0);
    free(p);
    reopen(f, false);
    expect_snapshot(f, 5, 10, 2000);
}

static void test_abort_and_drop(void **state)
{
    sfix *f = *state;
    write_snapshot(f, 5, 10, 2000, true);
    wal_snapshot_writer *sw = write_snapshot(f, 5, 20, 3000, false);
    wal_snapshot_abort(sw);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    expect_snapshot(f, 5, 10, 2000);
    assert_int_equal(count_files(f, ".tmp"), 0);
    assert_int_equal(wal_drop_group(f->w, 5), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(count_files(f, ""), 0);
    raft_snapshot_meta m;
    assert_int_equal(wal_snapshot_newest(f->w, 5, &m), POLIS_ENOTFOUND);
    reopen(f, false);
    assert_int_equal(wal_group_count(f->w), 0);
}

static void test_back_pressure(void **state)
{
    sfix *f = *state;
    f->opts.snapshot_queued_bytes_max = 256 << 10;
    reopen(f, false);
    raft_snapshot_meta m = meta_at(40);
    wal_snapshot_writer *sw;
    assert_int_equal(wal_snapshot_begin(f->w, 5, &m, &sw), 0);
    int rv = 0;
    size_t off = 0;
    while (rv == 0 && off < DATA_BYTES) {
        rv = wal_snapshot_write(sw, f->data + off, 100000);
        if (rv == 0) off += 100000;
    }
    assert_int_equal(rv, POLIS_EBUSY);
    wal_snapshot_abort(sw);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    /* The whole write loop with waits (write_snapshot) gets through. */
    write_snapshot(f, 5, 40, DATA_BYTES, true);
    expect_snapshot(f, 5, 40, DATA_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_reopen_keep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_before_finish_leaves_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_power_loss_during_finish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_newest_is_passed_over, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_abort_and_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_back_pressure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
