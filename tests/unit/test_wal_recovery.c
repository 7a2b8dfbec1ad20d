/* Recovery tests on real files.
 *
 * Crash: the last segment is cut at every byte offset inside its last
 * batches (and, separately, single 512-byte sectors are zeroed, as a torn
 * write leaves them); recovery must always give a valid prefix: exactly
 * the state after the last batch that survived whole.
 * Corruption: bits are flipped at random offsets of every segment of a log
 * whose every batch was acknowledged; recovery must refuse to start, naming
 * the file and an offset at or before the flip, except for flips in the
 * unused zeroed space of the last segment, which hold nothing acknowledged
 * and are cleared. A test-only switch that skips CRC checks must make this
 * checker report misses: it can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "test_wal_util.h"
#include "wal/format.h"

#define FLUSHES 48

typedef struct rfix {
    char dir[64];
    uv_loop_t loop;
    wal_options opts;
    model states[FLUSHES];
    uint64_t batches_after[FLUSHES]; /* batches written once flush k was durable */
    uint64_t seg_count;
    uint64_t seg_last; /* sequence number of the last segment */
} rfix;

static int setup(void **state)
{
    rfix *f = calloc(1, sizeof *f);
    tmpdir_make(f->dir, sizeof f->dir);
    uv_loop_init(&f->loop);
    wal_options_defaults(&f->opts);
    f->opts.segment_bytes = 8 << 10;
    f->opts.batch_bytes_max = 4 << 10;
    f->opts.entry_bytes_max = 1 << 10;
    for (int i = 0; i < FLUSHES; i++)
        model_init(&f->states[i]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    rfix *f = *state;
    for (int i = 0; i < FLUSHES; i++)
        model_free(&f->states[i]);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static void seg_path(const rfix *f, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%016lx.wal", f->dir, (unsigned long)seq);
}

static uint8_t *file_read(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *size = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *p = malloc(*size ? *size : 1);
    assert_int_equal(fread(p, 1, *size, fp), *size);
    fclose(fp);
    return p;
}

static void file_write(const char *path, const uint8_t *p, size_t size)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, size, fp), size);
    fclose(fp);
}

/* Ends of the batches of a segment image, in order; returns their count. */
static size_t batch_ends(const uint8_t *p, size_t size, uint64_t *ends, size_t cap)
{
    size_t n = 0;
    uint64_t pos = WAL_SEGMENT_HEADER_BYTES;
    while (pos + WAL_BATCH_HEADER_BYTES <= size && wal_get_u32(p + pos) != 0 && n < cap) {
        pos += wal_get_u32(p + pos + WAL_RECORD_HEADER_BYTES);
        ends[n++] = pos;
    }
    return n;
}

/* Writes FLUSHES flushes of appends (some overwriting a suffix at a newer
 * term), hard states and compactions across 4 groups, waiting for each to
 * be durable and keeping the model after each. */
static void build_log(rfix *f, uint64_t seed)
{
    wal *w;
    assert_int_equal(wal_open(f->dir, &f->opts, &f->loop, &w, NULL), 0);
    rng r;
    rng_seed(&r, seed);
    model m;
    model_init(&m);
    uint64_t term[4] = {1, 1, 1, 1};
    for (int k = 0; k < FLUSHES; k++) {
        uint64_t g = rng_below(&r, 4);
        mgroup *mg = &m.g[g];
        uint64_t next = mg->exists && mg->log_known ? mg->last + 1 : 1;
        if (rng_below(&r, 5) == 0 && next > mg->first + 1) {
            next -= 1 + rng_below(&r, next - mg->first - 1);
            term[g]++;
        }
        int n = 1 + (int)rng_below(&r, 3);
        for (int i = 0; i < n; i++, next++) {
            assert_int_equal(wal_append_one(w, g, next, term[g]), 0);
            model_append(&m, g, next, term[g]);
        }
        if (rng_below(&r, 2) == 0) {
            raft_hard_state hs = {.term = term[g], .vote = g + 1, .commit = next - 2};
            assert_int_equal(wal_set_hard_state(w, g, &hs), 0);
            model_hard_state(&m, g, hs);
        }
        if (rng_below(&r, 8) == 0 && mg->last > mg->first + 2) {
            assert_int_equal(wal_compact(w, g, mg->first + 2, 0), 0);
            model_compact(&m, g, mg->first + 2, 0);
        }
        assert_int_equal(wal_sync_wait(w, &f->loop), 0);
        model_copy(&f->states[k], &m);
        wal_stats st;
        wal_stats_get(w, &st);
        f->batches_after[k] = st.batches;
        f->seg_count = st.segment_count;
    }
    char why[256];
    assert_true(model_matches(&m, w, why, sizeof why));
    model_free(&m);
    wal_close_wait(w, &f->loop, false);
    /* The segments present: the highest sequence number is the last. */
    for (uint64_t seq = 1;; seq++) {
        char path[128];
        struct stat st;
        seg_path(f, seq, path, sizeof path);
        if (stat(path, &st) == 0)
            f->seg_last = seq;
        else if (f->seg_last != 0)
            break;
        if (seq > 1000) fail();
    }
    assert_true(f->seg_count >= 3);
}

/* The model state after `batches` batches, or NULL if no flush ended there. */
static const model *state_at(const rfix *f, uint64_t batches)
{
    for (int k = 0; k < FLUSHES; k++)
        if (f->batches_after[k] == batches) return &f->states[k];
    return NULL;
}

static void expect_recovers_to(rfix *f, const model *m, const char *what, uint64_t at)
{
    wal *w = NULL;
    wal_open_error err;
    int rv = wal_open(f->dir, &f->opts, &f->loop, &w, &err);
    if (rv != 0)
        fail_msg("%s %lu: open failed %d: %s at %s:%lu", what, (unsigned long)at, rv,
                 err.reason, err.path, (unsigned long)err.offset);
    char why[256];
    if (!model_matches(m, w, why, sizeof why))
        fail_msg("%s %lu: recovered state differs: %s", what, (unsigned long)at, why);
    wal_close_wait(w, &f->loop, true);
}

/* Cuts the last segment at every byte offset inside its last batches. */
static void test_cut_at_every_byte(void **state)
{
    rfix *f = *state;
    build_log(f, 11);
    char path[128];
    seg_path(f, f->seg_last, path, sizeof path);
    size_t size;
    uint8_t *orig = file_read(path, &size);
    uint64_t ends[512];
    size_t n = batch_ends(orig, size, ends, 512);
    assert_true(n >= 3);
    uint64_t total = f->batches_after[FLUSHES - 1];
    uint64_t base = total - n; /* batches before the last segment */
    /* From the end of the last segment's first batch (which may be the
     * second half of a flush split across segments) to the end of data. */
    uint64_t from = n > 6 ? ends[n - 6] : ends[0];
    size_t cuts = 0;
    for (uint64_t cut = from; cut <= ends[n - 1]; cut++, cuts++) {
        file_write(path, orig, (size_t)cut);
        size_t whole = 0;
        while (whole < n && ends[whole] <= cut)
            whole++;
        const model *m = state_at(f, base + whole);
        assert_non_null(m);
        expect_recovers_to(f, m, "cut at", cut);
    }
    assert_true(cuts > 500);
    /* What was acknowledged is intact after all that. */
    file_write(path, orig, size);
    expect_recovers_to(f, &f->states[FLUSHES - 1], "uncut", 0);
    free(orig);
}

/* A torn write loses whole sectors: zero each sector of the last batches,
 * alone and together with everything after it. */
static void test_torn_sectors(void **state)
{
    rfix *f = *state;
    build_log(f, 12);
    char path[128];
    seg_path(f, f->seg_last, path, sizeof path);
    size_t size;
    uint8_t *orig = file_read(path, &size);
    uint8_t *img = malloc(size);
    uint64_t ends[512];
    size_t n = batch_ends(orig, size, ends, 512);
    assert_true(n >= 3);
    uint64_t base = f->batches_after[FLUSHES - 1] - n;
    uint64_t from = n > 6 ? ends[n - 6] : ends[0];
    for (uint64_t s = from / WAL_SECTOR_BYTES * WAL_SECTOR_BYTES; s < ends[n - 1];
         s += WAL_SECTOR_BYTES) {
        for (int to_end = 0; to_end < 2; to_end++) {
            memcpy(img, orig, size);
            uint64_t hi = to_end ? size : s + WAL_SECTOR_BYTES;
            memset(img + s, 0, (size_t)(hi - s));
            /* The first batch whose bytes changed is lost, with all after it. */
            size_t whole = 0;
            uint64_t start = WAL_SEGMENT_HEADER_BYTES;
            while (whole < n &&
                   memcmp(img + start, orig + start, ends[whole] - start) == 0)
                start = ends[whole++];
            if (whole < n && ends[whole] <= from) continue; /* an earlier, whole flush */
            file_write(path, img, size);
            const model *m = state_at(f, base + whole);
            assert_non_null(m);
            expect_recovers_to(f, m, to_end ? "zeroed from sector" : "zeroed sector", s);
        }
    }
    free(img);
    free(orig);
}

/* Flips one bit at a time across every segment; returns how many flips
 * recovery did not handle as required (0 for a correct WAL). */
static int flip_trials(rfix *f, uint64_t seed, int per_segment)
{
    rng r;
    rng_seed(&r, seed);
    int misses = 0, trials = 0;
    uint64_t first = f->seg_last - f->seg_count + 1;
    for (uint64_t seq = first; seq <= f->seg_last; seq++) {
        char path[128];
        seg_path(f, seq, path, sizeof path);
        bool last = seq == f->seg_last;
        size_t size;
        uint8_t *orig = file_read(path, &size);
        uint64_t ends[512];
        size_t n = batch_ends(orig, size, ends, 512);
        uint64_t data_end = n ? ends[n - 1] : WAL_SEGMENT_HEADER_BYTES;
        for (int t = 0; t < per_segment; t++, trials++) {
            uint64_t off;
            if (t < 4)
                off = (uint64_t[]){0, data_end - 1, data_end, data_end + 20}[t];
            else if (t % 5 == 0)
                off = data_end + rng_below(&r, size - data_end);
            else
                off = rng_below(&r, data_end);
            if (off >= size) off = size - 1;
            uint8_t bit = (uint8_t)(1u << rng_below(&r, 8));
            orig[off] ^= bit;
            file_write(path, orig, size);
            orig[off] ^= bit;
            wal *w = NULL;
            wal_open_error err;
            memset(&err, 0, sizeof err);
            int rv = wal_open(f->dir, &f->opts, &f->loop, &w, &err);
            bool ok;
            if (off >= data_end && last) {
                char why[256];
                ok =
                    rv == 0 && model_matches(&f->states[FLUSHES - 1], w, why, sizeof why);
            } else if (off >= data_end) {
                /* Reported where non-zero data starts: the flipped byte,
                 * or the batch header it would be part of. */
                ok = rv == POLIS_ECORRUPT && strcmp(err.path, path) == 0 &&
                     err.offset <= off && err.offset >= data_end;
            } else {
                uint64_t start = 0;
                for (size_t i = 0; i < n && ends[i] <= off; i++)
                    start = ends[i];
                if (off < WAL_SEGMENT_HEADER_BYTES) start = 0;
                ok = rv == POLIS_ECORRUPT && strcmp(err.path, path) == 0 &&
                     err.offset <= off && err.offset >= start;
            }
            if (!ok) {
                if (misses < 5)
                    print_message("flip at %s:%lu bit %u: rv %d, error at %s:%lu\n", path,
                                  (unsigned long)off, bit, rv, err.path,
                                  (unsigned long)err.offset);
                misses++;
            }
            if (w != NULL) wal_close_wait(w, &f->loop, true);
        }
        file_write(path, orig, size);
        free(orig);
    }
    print_message("%d flips, %d misses\n", trials, misses);
    return misses;
}

static void test_bit_flips_detected(void **state)
{
    rfix *f = *state;
    build_log(f, 13);
    assert_int_equal(flip_trials(f, 99, 160), 0);
    /* Everything restored: it opens as it was. */
    expect_recovers_to(f, &f->states[FLUSHES - 1], "restored", 0);
}

/* The checker can fail: with CRC checks skipped it must see misses. */
static void test_bit_flip_checker_catches_skipped_crc(void **state)
{
    rfix *f = *state;
    build_log(f, 13);
    f->opts.bugs = WAL_BUG_SKIP_CRC;
    assert_true(flip_trials(f, 99, 60) > 0);
}

static void test_missing_segment(void **state)
{
    rfix *f = *state;
    build_log(f, 14);
    char path[128];
    seg_path(f, f->seg_last - 1, path, sizeof path);
    assert_int_equal(unlink(path), 0);
    wal *w = NULL;
    wal_open_error err;
    assert_int_equal(wal_open(f->dir, &f->opts, &f->loop, &w, &err), POLIS_ECORRUPT);
    assert_string_equal(err.path, path);
}

/* A crash while a new segment was being created leaves an empty file:
 * recovery removes it and goes on; it is created again when needed. */
static void test_interrupted_segment_creation(void **state)
{
    rfix *f = *state;
    build_log(f, 15);
    char path[128];
    seg_path(f, f->seg_last + 1, path, sizeof path);
    uint8_t zeros[4096] = {0};
    for (size_t len = 0; len <= sizeof zeros; len += 4096 / 2) {
        file_write(path, zeros, len);
        expect_recovers_to(f, &f->states[FLUSHES - 1], "empty new segment", len);
        struct stat st;
        assert_int_equal(stat(path, &st), -1);
    }
    /* With data after a bad header it is corruption, not a new file. */
    zeros[100] = 1;
    file_write(path, zeros, sizeof zeros);
    wal *w = NULL;
    wal_open_error err;
    assert_int_equal(wal_open(f->dir, &f->opts, &f->loop, &w, &err), POLIS_ECORRUPT);
    assert_int_equal(err.offset, 0);
    unlink(path);
    /* Appending still works, across new segments. */
    assert_int_equal(wal_open(f->dir, &f->opts, &f->loop, &w, &err), 0);
    model m;
    model_init(&m);
    model_copy(&m, &f->states[FLUSHES - 1]);
    uint64_t next = m.g[0].exists ? m.g[0].last + 1 : 1;
    for (int i = 0; i < 40; i++, next++) {
        assert_int_equal(wal_append_one(w, 0, next, 50), 0);
        model_append(&m, 0, next, 50);
        assert_int_equal(wal_sync_wait(w, &f->loop), 0);
    }
    wal_close_wait(w, &f->loop, false);
    expect_recovers_to(f, &m, "appended", 0);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cut_at_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_sectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_flips_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_flip_checker_catches_skipped_crc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_segment_creation, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
