/* wal/io.c - the WAL's threads and the flush job they run.
 *
 * A worker is a thread with a FIFO of jobs. job->run() executes on the
 * thread; the finished job goes on the WAL's done list and a uv_async wakes
 * the loop, which calls job->done(). Two workers: one for the log (flushes,
 * strictly one at a time, so writes reach the file in order and each
 * segment is synced before the next is created) and one for snapshot files
 * (whose large writes and fsyncs must not delay log flushes).
 *
 * A flush writes each extent with one pwrite (looping over short writes),
 * then issues one fdatasync. When an extent starts a new segment, the
 * previous segment is fdatasynced first and the new one is created fully
 * (open, preallocate, header, fdatasync, directory fsync) before a byte of
 * data goes into it: this is why recovery may treat damage in any segment
 * but the last as corruption. Any error ends the flush with that error and
 * the loop fails the WAL: a failed fdatasync is never retried, because the
 * kernel may already have dropped the pages it could not write. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/error.h"
#include "wal/wal_int.h"

int wal_pwrite_full(const wal_file_ops *ops, int fd, const void *src, size_t len,
                    uint64_t off)
{
    const uint8_t *p = src;
    while (len > 0) {
        int64_t n = ops->pwrite(ops->ctx, fd, p, len, off);
        if (n < 0) return (int)n;
        if (n == 0) return -EIO; /* no progress: give up rather than spin */
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

int wal_pread_full(const wal_file_ops *ops, int fd, void *dst, size_t len, uint64_t off)
{
    uint8_t *p = dst;
    while (len > 0) {
        int64_t n = ops->pread(ops->ctx, fd, p, len, off);
        if (n < 0) return (int)n;
        if (n == 0) return -EIO; /* the file is shorter than it should be */
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* ---- Workers ------------------------------------------------------------------------
 */

static void job_finished(wal *w, wal_job *job)
{
    job->next = NULL;
    uv_mutex_lock(&w->done_mu);
    if (w->done_tail)
        w->done_tail->next = job;
    else
        w->done_head = job;
    w->done_tail = job;
    uv_mutex_unlock(&w->done_mu);
    uv_async_send(&w->async);
}

static void worker_main(void *arg)
{
    wal_worker *wk = arg;
    wal *w = wk->w;
    for (;;) {
        uv_mutex_lock(&wk->mu);
        while (wk->head == NULL && !wk->stop)
            uv_cond_wait(&wk->cv, &wk->mu);
        wal_job *job = wk->head;
        if (job != NULL) {
            wk->head = job->next;
            if (wk->head == NULL) wk->tail = NULL;
        }
        uv_mutex_unlock(&wk->mu);
        if (job == NULL) return; /* stopping and drained */
        job->run(job);
        job_finished(w, job);
    }
}

int wal_worker_start(wal *w, wal_worker *wk)
{
    wk->w = w;
    wk->head = wk->tail = NULL;
    wk->stop = false;
    if (w->opts.inline_io) return 0;
    if (uv_mutex_init(&wk->mu) != 0) return POLIS_EIO;
    if (uv_cond_init(&wk->cv) != 0) {
        uv_mutex_destroy(&wk->mu);
        return POLIS_EIO;
    }
    if (uv_thread_create(&wk->thread, worker_main, wk) != 0) {
        uv_cond_destroy(&wk->cv);
        uv_mutex_destroy(&wk->mu);
        return POLIS_EIO;
    }
    wk->started = true;
    return 0;
}

void wal_worker_stop(wal_worker *wk)
{
    if (!wk->started) return;
    uv_mutex_lock(&wk->mu);
    wk->stop = true;
    uv_cond_signal(&wk->cv);
    uv_mutex_unlock(&wk->mu);
    uv_thread_join(&wk->thread);
    uv_cond_destroy(&wk->cv);
    uv_mutex_destroy(&wk->mu);
    wk->started = false;
}

void wal_worker_post(wal_worker *wk, wal_job *job)
{
    if (wk->w->opts.inline_io) {
        job->run(job);
        job_finished(wk->w, job);
        return;
    }
    job->next = NULL;
    uv_mutex_lock(&wk->mu);
    if (wk->tail)
        wk->tail->next = job;
    else
        wk->head = job;
    wk->tail = job;
    uv_cond_signal(&wk->cv);
    uv_mutex_unlock(&wk->mu);
}

void wal_jobs_drain(wal *w)
{
    for (;;) {
        uv_mutex_lock(&w->done_mu);
        wal_job *job = w->done_head;
        w->done_head = w->done_tail = NULL;
        uv_mutex_unlock(&w->done_mu);
        if (job == NULL) return;
        while (job != NULL) {
            wal_job *next = job->next;
            job->done(job);
            job = next;
        }
    }
}

/* ---- The flush job (on the I/O thread) ------------------------------------------------
 */

static int flush_error(wal_flush *f, int rv, const char *op, const char *path)
{
    f->sys_errno = -rv;
    snprintf(f->what, sizeof f->what, "%s %s", op, path);
    f->status = POLIS_EIO;
    return POLIS_EIO;
}

/* fdatasync, timed for wal_stats. */
static int flush_fdatasync(const wal *w, wal_flush *f, int fd)
{
    uint64_t t0 = uv_hrtime();
    int rv = w->ops->fdatasync(w->ops->ctx, fd);
    f->fsync_ns += uv_hrtime() - t0;
    return rv;
}

/* Seals the current segment (fdatasync if written) and creates `seq`. */
static int segment_roll(wal *w, wal_flush *f, uint64_t seq)
{
    const wal_file_ops *ops = w->ops;
    wal_io *io = &w->io;
    char path[WAL_PATH_MAX];
    if (io->fd >= 0) {
        wal_seg_path(w, io->seg, path);
        if (io->dirty) {
            int rv = flush_fdatasync(w, f, io->fd);
            f->fsyncs++;
            if (rv != 0) return flush_error(f, rv, "fdatasync", path);
            io->dirty = false;
        }
        ops->close(ops->ctx, io->fd);
        io->fd = -1;
    }
    wal_seg_path(w, seq, path);
    int fd = ops->open(ops->ctx, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return flush_error(f, fd, "create", path);
    io->fd = fd;
    io->seg = seq;
    io->end = io->zeroed = WAL_SEGMENT_HEADER_BYTES;
    int rv = ops->fallocate(ops->ctx, fd, 0, w->opts.segment_bytes);
    if (rv != 0) return flush_error(f, rv, "preallocate", path);
    uint8_t header[WAL_SEGMENT_HEADER_BYTES];
    wal_segment_header_encode(header, seq);
    rv = wal_pwrite_full(ops, fd, header, sizeof header, 0);
    if (rv != 0) return flush_error(f, rv, "write header of", path);
    rv = flush_fdatasync(w, f, fd);
    if (rv != 0) return flush_error(f, rv, "fdatasync", path);
    rv = wal_fsync_dir(ops, w->dir);
    if (rv != 0) return flush_error(f, rv, "fsync directory", w->dir);
    f->segments_created++;
    return 0;
}

/* Keeps zeros written at least one chunk ahead of the log's end in the
 * current segment (wal_options.zero_ahead_bytes), starting their writeback
 * at once so that a later fdatasync rarely waits for them. Runs on the I/O
 * thread after the flush's own writes, so it never races with them: it only
 * writes beyond every byte of the log, which later flushes overwrite. */
static int zero_ahead(wal *w, wal_flush *f)
{
    static const uint8_t zeros[64u << 10];
    const wal_file_ops *ops = w->ops;
    wal_io *io = &w->io;
    uint64_t chunk = w->opts.zero_ahead_bytes;
    if (chunk == 0 || io->fd < 0 || io->zeroed >= io->end + chunk) return 0;
    /* From the first sector past the end (the rest of the end's sector is
     * zeros already). */
    uint64_t from = (io->end + WAL_SECTOR_BYTES - 1) / WAL_SECTOR_BYTES * WAL_SECTOR_BYTES;
    if (w->opts.bugs & WAL_BUG_ZERO_OVER_LOG) from = io->end - 1; /* test knob */
    if (from < io->zeroed) from = io->zeroed;
    uint64_t to = from + chunk;
    if (to > w->opts.segment_bytes) to = w->opts.segment_bytes;
    for (uint64_t off = from; off < to;) {
        size_t n = to - off < sizeof zeros ? (size_t)(to - off) : sizeof zeros;
        int rv = wal_pwrite_full(ops, io->fd, zeros, n, off);
        if (rv != 0) {
            char path[WAL_PATH_MAX];
            wal_seg_path(w, io->seg, path);
            return flush_error(f, rv, "write zeros ahead in", path);
        }
        off += n;
    }
    if (to > from && ops->writeback) ops->writeback(ops->ctx, io->fd, from, to - from);
    io->zeroed = to > io->zeroed ? to : io->zeroed;
    return 0;
}

static int flush_delete(wal *w, wal_flush *f)
{
    const wal_file_ops *ops = w->ops;
    char path[WAL_PATH_MAX];
    /* Oldest first, so that a crash in between leaves a consecutive run. */
    for (uint64_t seq = f->delete_lo; seq < f->delete_hi; seq++) {
        wal_seg_path(w, seq, path);
        int rv = ops->unlink(ops->ctx, path);
        if (rv != 0 && rv != -ENOENT) return flush_error(f, rv, "delete", path);
        f->segments_deleted++;
    }
    if (f->delete_hi > f->delete_lo) {
        int rv = wal_fsync_dir(ops, w->dir);
        if (rv != 0) return flush_error(f, rv, "fsync directory", w->dir);
    }
    return 0;
}

void wal_flush_run(wal_job *job)
{
    wal_flush *f = (wal_flush *)job;
    wal *w = job->w;
    const wal_file_ops *ops = w->ops;
    wal_io *io = &w->io;
    char path[WAL_PATH_MAX];
    f->status = 0;
    for (size_t i = 0; i < f->extent_count; i++) {
        const wal_extent *e = &f->extents[i];
        if (e->create && segment_roll(w, f, e->seg) != 0) return;
        PASSERT(io->fd >= 0 && io->seg == e->seg);
        int rv =
            wal_pwrite_full(ops, io->fd, f->data.data + e->buf_off, e->len, e->file_off);
        if (rv != 0) {
            wal_seg_path(w, io->seg, path);
            flush_error(f, rv, "write", path);
            return;
        }
        io->dirty = true;
        io->end = e->file_off + e->len;
    }
    if (io->dirty && !(w->opts.bugs & WAL_BUG_SKIP_FSYNC)) {
        int rv = flush_fdatasync(w, f, io->fd);
        f->fsyncs++;
        if (rv != 0) {
            wal_seg_path(w, io->seg, path);
            flush_error(f, rv, "fdatasync", path);
            return;
        }
        io->dirty = false;
    }
    if (zero_ahead(w, f) != 0) return;
    flush_delete(w, f);
}
