/* Unit tests for wal/: the API on a real directory. Appends and durability
 * reports, group commit (one fdatasync for many groups), truncation of a
 * conflicting suffix, compaction and segment deletion, hard-state
 * coalescing, limits, and the three read paths (cache, queued, disk). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_wal_util.h"
#include "wal/format.h"

typedef struct fixture {
    char dir[64];
    uv_loop_t loop;
    wal_options opts;
    tracker t;
    wal *w;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    tmpdir_make(f->dir, sizeof f->dir);
    uv_loop_init(&f->loop);
    wal_options_defaults(&f->opts);
    f->opts.segment_bytes = 64 << 10;
    f->opts.batch_bytes_max = 32 << 10;
    f->opts.entry_bytes_max = 16 << 10;
    f->opts.on_durable = tracker_cb;
    f->opts.on_durable_arg = &f->t;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->w) wal_close_wait(f->w, &f->loop, false);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static void open_wal(fixture *f)
{
    wal_open_error err;
    int rv = wal_open(f->dir, &f->opts, &f->loop, &f->w, &err);
    if (rv != 0)
        fail_msg("wal_open: %d %s at %s:%lu", rv, err.reason, err.path,
                 (unsigned long)err.offset);
}

static void reopen(fixture *f)
{
    wal_close_wait(f->w, &f->loop, false);
    f->w = NULL;
    memset(&f->t, 0, sizeof f->t);
    open_wal(f);
}

/* Appends entries [lo, hi] of `group` at `term` with reproducible payloads. */
static int append_range(wal *w, uint64_t group, uint64_t lo, uint64_t hi, uint64_t term,
                        size_t len_max)
{
    for (uint64_t i = lo; i <= hi; i++) {
        uint8_t data[16 << 10];
        size_t len = payload_len_of(group, i, len_max);
        payload_fill(data, len, group, i, term);
        raft_entry e = {.term = term,
                        .index = i,
                        .type = (uint8_t)(i % 2),
                        .len = (uint32_t)len,
                        .data = data};
        int rv = wal_append(w, group, &e, 1);
        if (rv != 0) return rv;
    }
    return 0;
}

/* Checks entries [lo, hi] of `group` read back through wal_entries. */
static void expect_range(wal *w, uint64_t group, uint64_t lo, uint64_t hi, uint64_t term,
                         size_t len_max)
{
    raft_entry out[64];
    buf data = BUF_INIT;
    for (uint64_t i = lo; i <= hi;) {
        size_t n = 0;
        buf_clear(&data);
        assert_int_equal(wal_entries(w, group, i, hi + 1, UINT64_MAX, out, 64, &n, &data),
                         0);
        assert_true(n > 0);
        for (size_t k = 0; k < n; k++, i++) {
            uint8_t want[16 << 10];
            size_t len = payload_len_of(group, i, len_max);
            payload_fill(want, len, group, i, term);
            assert_int_equal(out[k].index, i);
            assert_int_equal(out[k].term, term);
            assert_int_equal(out[k].type, i % 2);
            assert_int_equal(out[k].len, len);
            assert_memory_equal(out[k].data, want, len);
        }
    }
    buf_free(&data);
}

static void test_empty_open_reopen(void **state)
{
    fixture *f = *state;
    open_wal(f);
    assert_int_equal(wal_group_count(f->w), 0);
    wal_stats st;
    wal_stats_get(f->w, &st);
    assert_int_equal(st.segment_count, 0);
    reopen(f);
    assert_int_equal(wal_group_count(f->w), 0);
}

static void test_append_durable_reopen(void **state)
{
    fixture *f = *state;
    open_wal(f);
    for (uint64_t g = 1; g <= 3; g++)
        assert_int_equal(append_range(f->w, g, 1, 20, 2, 300), 0);
    raft_hard_state hs = {.term = 2, .vote = 7, .commit = 15};
    assert_int_equal(wal_set_hard_state(f->w, 2, &hs), 0);
    /* Nothing is durable before the loop ran. */
    wal_group_info info;
    assert_int_equal(wal_group_info_get(f->w, 1, &info), 0);
    assert_int_equal(info.durable_index, 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    for (uint64_t g = 1; g <= 3; g++)
        assert_int_equal(f->t.durable_last[g], 20);
    assert_int_equal(wal_group_info_get(f->w, 1, &info), 0);
    assert_int_equal(info.durable_index, 20);
    expect_range(f->w, 3, 1, 20, 2, 300);

    reopen(f);
    uint64_t ids[8];
    assert_int_equal(wal_group_list(f->w, ids, 8), 3);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[2], 3);
    assert_int_equal(wal_group_info_get(f->w, 2, &info), 0);
    assert_true(info.has_hard_state);
    assert_int_equal(info.hard_state.term, 2);
    assert_int_equal(info.hard_state.vote, 7);
    assert_int_equal(info.hard_state.commit, 15);
    assert_int_equal(info.first_index, 1);
    assert_int_equal(info.last_index, 20);
    assert_int_equal(info.durable_index, 20);
    for (uint64_t g = 1; g <= 3; g++)
        expect_range(f->w, g, 1, 20, 2, 300);
}

/* Group commit: one flush, one fdatasync, whatever the number of groups. */
static void test_one_fsync_for_many_groups(void **state)
{
    fixture *f = *state;
    open_wal(f);
    /* The first flush also creates the segment; measure from the second. */
    assert_int_equal(append_range(f->w, 1, 1, 1, 1, 100), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    wal_stats before, after;
    wal_stats_get(f->w, &before);
    for (uint64_t g = 1; g < 60; g++) {
        assert_int_equal(append_range(f->w, g, g == 1 ? 2 : 1, g == 1 ? 2 : 1, 1, 100),
                         0);
        raft_hard_state hs = {.term = 1, .vote = 1, .commit = 1};
        assert_int_equal(wal_set_hard_state(f->w, g, &hs), 0);
    }
    uint64_t reported = f->t.groups_reported;
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    wal_stats_get(f->w, &after);
    assert_int_equal(after.flushes - before.flushes, 1);
    assert_int_equal(after.fsyncs - before.fsyncs, 1);
    assert_int_equal(f->t.groups_reported - reported, 59);
}

static void test_conflicting_suffix_is_truncated(void **state)
{
    fixture *f = *state;
    open_wal(f);
    assert_int_equal(append_range(f->w, 5, 1, 10, 1, 200), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    /* A new leader overwrites 6..8 at term 2: 9 and 10 go too. */
    assert_int_equal(append_range(f->w, 5, 6, 8, 2, 200), 0);
    wal_group_info info;
    assert_int_equal(wal_group_info_get(f->w, 5, &info), 0);
    assert_int_equal(info.last_index, 8);
    assert_int_equal(info.durable_index, 5);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    reopen(f);
    assert_int_equal(wal_group_info_get(f->w, 5, &info), 0);
    assert_int_equal(info.last_index, 8);
    expect_range(f->w, 5, 1, 5, 1, 200);
    expect_range(f->w, 5, 6, 8, 2, 200);
    /* An explicit truncation, then a gap is refused. */
    assert_int_equal(wal_truncate(f->w, 5, 7), 0);
    assert_int_equal(append_range(f->w, 5, 9, 9, 3, 200), POLIS_EINVAL);
    assert_int_equal(wal_truncate(f->w, 5, 0), POLIS_EINVAL);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    reopen(f);
    assert_int_equal(wal_group_info_get(f->w, 5, &info), 0);
    assert_int_equal(info.last_index, 6);
}

static void test_compaction_deletes_segments(void **state)
{
    fixture *f = *state;
    f->opts.segment_bytes = 16 << 10;
    f->opts.batch_bytes_max = 8 << 10;
    f->opts.entry_bytes_max = 1 << 10;
    open_wal(f);
    /* Group 9 writes a hard state once and then stays idle: it must not
     * pin the first segment forever. */
    raft_hard_state hs = {.term = 1, .vote = 3, .commit = 0};
    assert_int_equal(wal_set_hard_state(f->w, 9, &hs), 0);
    for (uint64_t i = 1; i <= 400; i += 20) {
        assert_int_equal(append_range(f->w, 1, i, i + 19, 1, 500), 0);
        assert_int_equal(append_range(f->w, 2, i, i + 19, 1, 500), 0);
        assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    }
    wal_stats st;
    wal_stats_get(f->w, &st);
    assert_true(st.segment_count >= 8);
    uint64_t created = st.segments_created;
    /* Group 1 compacts to 390; group 2 only to 200: segments up to where
     * entry 200 of group 2 lives can go. */
    assert_int_equal(wal_compact(f->w, 1, 390, 0), 0);
    assert_int_equal(wal_compact(f->w, 2, 200, 0), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    /* The idle group's hard state is rewritten once a new segment starts. */
    for (uint64_t i = 401; i <= 700; i += 20) {
        assert_int_equal(append_range(f->w, 1, i, i + 19, 1, 500), 0);
        assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    }
    assert_int_equal(wal_compact(f->w, 1, 690, 0), 0);
    assert_int_equal(wal_compact(f->w, 2, 400, 0), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    wal_stats_get(f->w, &st);
    assert_true(st.segments_deleted > 0);
    assert_true(st.segment_count <= 6);
    assert_true(st.segments_created > created);
    wal_group_info info;
    assert_int_equal(wal_group_info_get(f->w, 1, &info), 0);
    assert_int_equal(info.first_index, 690);
    raft_term term = 0;
    assert_int_equal(wal_term(f->w, 1, 689, &term), 0);
    assert_int_equal(term, 1);
    size_t n;
    raft_entry e;
    buf data = BUF_INIT;
    assert_int_equal(wal_entries(f->w, 1, 100, 101, UINT64_MAX, &e, 1, &n, &data),
                     POLIS_ENOTFOUND);
    buf_free(&data);

    reopen(f);
    assert_int_equal(wal_group_info_get(f->w, 9, &info), 0);
    assert_true(info.has_hard_state);
    assert_int_equal(info.hard_state.vote, 3);
    assert_int_equal(wal_group_info_get(f->w, 1, &info), 0);
    assert_int_equal(info.first_index, 690);
    assert_int_equal(info.last_index, 700);
    assert_int_equal(info.prev_term, 1);
    expect_range(f->w, 1, 690, 700, 1, 500);
    assert_int_equal(wal_group_info_get(f->w, 2, &info), 0);
    assert_int_equal(info.first_index, 400);
    assert_int_equal(info.last_index, 400);
    expect_range(f->w, 2, 400, 400, 1, 500);
    /* Installing a snapshot beyond the log empties it. */
    assert_int_equal(wal_compact(f->w, 2, 1000, 4), 0);
    assert_int_equal(wal_group_info_get(f->w, 2, &info), 0);
    assert_int_equal(info.first_index, 1000);
    assert_int_equal(info.last_index, 999);
    assert_int_equal(append_range(f->w, 2, 1000, 1001, 4, 500), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    reopen(f);
    assert_int_equal(wal_group_info_get(f->w, 2, &info), 0);
    assert_int_equal(info.first_index, 1000);
    assert_int_equal(info.prev_term, 4);
    expect_range(f->w, 2, 1000, 1001, 4, 500);
}

static void test_hard_state_coalesced_within_a_batch(void **state)
{
    fixture *f = *state;
    open_wal(f);
    for (uint64_t c = 1; c <= 5; c++) {
        raft_hard_state hs = {.term = 3, .vote = 2, .commit = c};
        assert_int_equal(wal_set_hard_state(f->w, 4, &hs), 0);
    }
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    wal_stats st;
    wal_stats_get(f->w, &st);
    assert_int_equal(st.records, 1);
    reopen(f);
    wal_group_info info;
    assert_int_equal(wal_group_info_get(f->w, 4, &info), 0);
    assert_int_equal(info.hard_state.commit, 5);
}

static void test_limits(void **state)
{
    fixture *f = *state;
    f->opts.groups_max = 3;
    f->opts.queued_bytes_max = 64 << 10;
    open_wal(f);
    uint8_t big[17 << 10] = {0};
    raft_entry e = {.term = 1, .index = 1, .len = sizeof big, .data = big};
    assert_int_equal(wal_append(f->w, 1, &e, 1), POLIS_ELIMIT);
    e.len = 100;
    e.index = 0;
    assert_int_equal(wal_append(f->w, 1, &e, 1), POLIS_EINVAL);
    e.index = 1;
    for (uint64_t g = 1; g <= 3; g++)
        assert_int_equal(wal_append(f->w, g, &e, 1), 0);
    assert_int_equal(wal_append(f->w, 4, &e, 1), POLIS_ELIMIT);
    /* Queued bytes: appends fail with EBUSY until a flush completes. */
    e.len = 16 << 10;
    int rv = 0;
    uint64_t i = 2;
    for (; i < 100 && rv == 0; i++) {
        e.index = i;
        rv = wal_append(f->w, 1, &e, 1);
    }
    assert_int_equal(rv, POLIS_EBUSY);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    e.index = i - 1;
    assert_int_equal(wal_append(f->w, 1, &e, 1), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
}

static void test_read_paths(void **state)
{
    fixture *f = *state;
    f->opts.cache_bytes_per_group = 0; /* no cache: queued, then disk */
    open_wal(f);
    assert_int_equal(append_range(f->w, 1, 1, 30, 1, 400), 0);
    expect_range(f->w, 1, 1, 30, 1, 400); /* from the queued flush */
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    expect_range(f->w, 1, 1, 30, 1, 400); /* from disk */
    /* bytes_max limits a read but one entry always comes back. */
    raft_entry out[30];
    size_t n;
    buf data = BUF_INIT;
    assert_int_equal(wal_entries(f->w, 1, 1, 31, 1, out, 30, &n, &data), 0);
    assert_int_equal(n, 1);
    assert_int_equal(wal_entries(f->w, 1, 1, 32, 1, out, 30, &n, &data), POLIS_EINVAL);
    buf_free(&data);

    /* With a cache, a second open serves recent entries from memory. */
    f->opts.cache_bytes_per_group = 1 << 20;
    reopen(f);
    wal_stats st;
    wal_stats_get(f->w, &st);
    assert_true(st.cache_bytes > 0);
    expect_range(f->w, 1, 1, 30, 1, 400);
}

/* A durable record damaged under a running WAL is caught when read back. */
static void test_disk_read_rechecks_crc(void **state)
{
    fixture *f = *state;
    f->opts.cache_bytes_per_group = 0;
    open_wal(f);
    assert_int_equal(append_range(f->w, 1, 1, 3, 1, 50), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/0000000000000001.wal", f->dir);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    /* Entry 1's record follows the segment and batch headers. */
    long at = (long)(WAL_SEGMENT_HEADER_BYTES + WAL_BATCH_HEADER_BYTES + 30);
    fseek(fp, at, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, at, SEEK_SET);
    fputc(c ^ 0x10, fp);
    fclose(fp);
    raft_entry out[3];
    size_t n;
    buf data = BUF_INIT;
    assert_int_equal(wal_entries(f->w, 1, 1, 4, UINT64_MAX, out, 3, &n, &data),
                     POLIS_ECORRUPT);
    buf_free(&data);
    wal_close_wait(f->w, &f->loop, false);
    f->w = NULL;
    wal_open_error err;
    assert_int_equal(wal_open(f->dir, &f->opts, &f->loop, &f->w, &err), POLIS_ECORRUPT);
    assert_null(f->w);
    assert_string_equal(err.path, path);
}

static void on_sync_order(wal_sync_req *req, int status)
{
    assert_int_equal(status, 0);
    int *order = req->data;
    (*order)++;
}

/* A barrier with nothing queued still calls back, later, never inline. */
static void test_sync_without_records(void **state)
{
    fixture *f = *state;
    open_wal(f);
    int calls = 0;
    wal_sync_req req = {.data = &calls};
    assert_int_equal(wal_sync(f->w, &req, on_sync_order), 0);
    assert_int_equal(calls, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(calls, 1);
}

static void test_drop_group(void **state)
{
    fixture *f = *state;
    open_wal(f);
    assert_int_equal(append_range(f->w, 1, 1, 5, 1, 50), 0);
    assert_int_equal(append_range(f->w, 2, 1, 5, 1, 50), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    assert_int_equal(wal_drop_group(f->w, 1), 0);
    assert_int_equal(wal_group_count(f->w), 1);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    reopen(f);
    assert_int_equal(wal_group_count(f->w), 1);
    wal_group_info info;
    assert_int_equal(wal_group_info_get(f->w, 1, &info), POLIS_ENOTFOUND);
    /* A dropped group may come back, starting anywhere. */
    assert_int_equal(append_range(f->w, 1, 50, 52, 3, 50), 0);
    assert_int_equal(wal_sync_wait(f->w, &f->loop), 0);
    reopen(f);
    assert_int_equal(wal_group_info_get(f->w, 1, &info), 0);
    assert_int_equal(info.first_index, 50);
    expect_range(f->w, 1, 50, 52, 3, 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_open_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_durable_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_fsync_for_many_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicting_suffix_is_truncated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compaction_deletes_segments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hard_state_coalesced_within_a_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_read_rechecks_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_without_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_group, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
