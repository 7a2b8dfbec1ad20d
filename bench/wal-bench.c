/* polis-wal-bench - durable appends per second through the WAL, against
 * the raw fdatasync rate of the same disk measured in the same run.
 *
 * Reference: one 100-byte pwrite + one fdatasync, in a loop, on a
 * preallocated file in the same directory: the rate a log without group
 * commit would reach with one appender per fsync.
 *
 * WAL: N appenders, each its own Raft group; each appends one 100-byte
 * entry, waits until the WAL reports it durable, and appends the next
 * (a closed loop, like N clients of N shards). Reported: durable appends/s,
 * the ratio to the raw fdatasync rate, the fdatasync calls per flush and
 * the groups per flush.
 *
 * Usage: polis-wal-bench [DIR] [SECONDS] [CONCURRENCY...]
 *        (defaults: a temp dir under /tmp, 3 s, 1 16 256 4096) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "base/mem.h"
#include "wal/wal.h"

#define ENTRY_BYTES 100

static double raw_fdatasync_rate(const char *dir, double seconds)
{
    char path[512];
    snprintf(path, sizeof path, "%s/raw-fdatasync.bench", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || posix_fallocate(fd, 0, 64 << 20) != 0 || fsync(fd) != 0) {
        perror("raw fdatasync file");
        exit(1);
    }
    char entry[ENTRY_BYTES];
    memset(entry, 'x', sizeof entry);
    uint64_t start = uv_hrtime(), n = 0;
    off_t off = 0;
    while (uv_hrtime() - start < (uint64_t)(seconds * 1e9)) {
        if (pwrite(fd, entry, sizeof entry, off) != (ssize_t)sizeof entry ||
            fdatasync(fd) != 0) {
            perror("raw fdatasync");
            exit(1);
        }
        off += (off_t)sizeof entry;
        n++;
    }
    double elapsed = (double)(uv_hrtime() - start) / 1e9;
    close(fd);
    unlink(path);
    return (double)n / elapsed;
}

typedef struct bench {
    wal *w;
    uv_loop_t loop;
    uv_timer_t timer;
    uint64_t *next; /* per appender: its next index */
    size_t appenders;
    bool stopping;
    uint64_t durable; /* appends reported durable while measuring */
    uint64_t groups_reported;
    int status;
    uint8_t payload[ENTRY_BYTES];
} bench;

static void append_next(bench *b, uint64_t g)
{
    raft_entry e = {
        .term = 1, .index = b->next[g], .len = ENTRY_BYTES, .data = b->payload};
    int rv = wal_append(b->w, g, &e, 1);
    if (rv != 0) {
        fprintf(stderr, "wal_append: %s\n", polis_strerror(rv));
        exit(1);
    }
    b->next[g]++;
}

static void on_durable(void *arg, const wal_durable *groups, size_t count, int status)
{
    bench *b = arg;
    if (status != 0) {
        b->status = status;
        return;
    }
    b->groups_reported += count;
    for (size_t i = 0; i < count; i++) {
        if (groups[i].hi == 0) continue;
        b->durable += groups[i].hi - groups[i].lo + 1;
        if (!b->stopping) append_next(b, groups[i].group);
    }
}

static void on_timer(uv_timer_t *t)
{
    bench *b = t->data;
    b->stopping = true;
}

static void on_closed(void *arg)
{
    (void)arg;
}

typedef struct result {
    double appends_per_s;
    double fsyncs_per_flush;
    double groups_per_flush;
    double entries_per_flush;
} result;

static result run_wal(const char *dir, size_t appenders, double seconds)
{
    bench *b = calloc(1, sizeof *b);
    memset(b->payload, 'v', sizeof b->payload);
    b->appenders = appenders;
    b->next = calloc(appenders, sizeof *b->next);
    uv_loop_init(&b->loop);
    wal_options opts;
    wal_options_defaults(&opts);
    opts.on_durable = on_durable;
    opts.on_durable_arg = b;
    int rv = wal_open(dir, &opts, &b->loop, &b->w, NULL);
    if (rv != 0) {
        fprintf(stderr, "wal_open %s: %s\n", dir, polis_strerror(rv));
        exit(1);
    }
    /* Warm-up: create the first segment outside the measurement. */
    for (size_t g = 0; g < appenders; g++) {
        b->next[g] = 1;
        append_next(b, g);
    }
    b->stopping = true;
    uv_run(&b->loop, UV_RUN_DEFAULT);
    b->stopping = false;
    b->durable = b->groups_reported = 0;
    wal_stats before, after;
    wal_stats_get(b->w, &before);
    uint64_t start = uv_hrtime();
    for (size_t g = 0; g < appenders; g++)
        append_next(b, g);
    uv_timer_init(&b->loop, &b->timer);
    b->timer.data = b;
    uv_timer_start(&b->timer, on_timer, (uint64_t)(seconds * 1000), 0);
    uv_run(&b->loop, UV_RUN_DEFAULT); /* ends once the last appends are durable */
    double elapsed = (double)(uv_hrtime() - start) / 1e9;
    wal_stats_get(b->w, &after);
    if (b->status != 0) {
        fprintf(stderr, "wal failed: %s\n", polis_strerror(b->status));
        exit(1);
    }
    double flushes = (double)(after.flushes - before.flushes);
    result r = {
        .appends_per_s = (double)b->durable / elapsed,
        .fsyncs_per_flush = (double)(after.fsyncs - before.fsyncs) / flushes,
        .groups_per_flush = (double)b->groups_reported / flushes,
        .entries_per_flush = (double)(after.records - before.records) / flushes,
    };
    wal_close(b->w, on_closed, NULL);
    uv_close((uv_handle_t *)&b->timer, NULL);
    uv_run(&b->loop, UV_RUN_DEFAULT);
    uv_loop_close(&b->loop);
    free(b->next);
    free(b);
    return r;
}

static void remove_wal_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    char base[256];
    bool own_dir = argc < 2 || argv[1][0] == 0;
    if (own_dir) {
        snprintf(base, sizeof base, "/tmp/polis-wal-bench-XXXXXX");
        if (mkdtemp(base) == NULL) return 1;
    } else {
        snprintf(base, sizeof base, "%s", argv[1]);
        mkdir(base, 0755);
    }
    double seconds = argc >= 3 ? atof(argv[2]) : 3.0;
    size_t levels[16] = {1, 16, 256, 4096};
    size_t level_count = 4;
    if (argc >= 4) {
        level_count = 0;
        for (int i = 3; i < argc && level_count < 16; i++)
            levels[level_count++] = (size_t)strtoul(argv[i], NULL, 10);
    }
    printf("WAL benchmark: %d-byte entries, %.1f s per run, directory %s\n", ENTRY_BYTES,
           seconds, base);
    double raw = raw_fdatasync_rate(base, seconds);
    printf("raw fdatasync rate (100-byte pwrite + fdatasync): %.0f /s\n\n", raw);
    printf("%10s %14s %12s %16s %16s %16s\n", "appenders", "appends/s", "x raw fsync",
           "fsyncs/flush", "groups/flush", "entries/flush");
    for (size_t i = 0; i < level_count; i++) {
        char dir[300];
        snprintf(dir, sizeof dir, "%s/wal-%zu", base, levels[i]);
        remove_wal_dir(dir);
        result r = run_wal(dir, levels[i], seconds);
        printf("%10zu %14.0f %12.1f %16.3f %16.1f %16.1f\n", levels[i], r.appends_per_s,
               r.appends_per_s / raw, r.fsyncs_per_flush, r.groups_per_flush,
               r.entries_per_flush);
        fflush(stdout);
        remove_wal_dir(dir);
    }
    if (own_dir) remove_wal_dir(base);
    return 0;
}
