/* wal/snapshot.c - the snapshot store: one file per (group, index) in
 * <dir>/snap/, written on the snapshot thread.
 *
 * Writing: data goes to "<name>.snap.tmp" in chunks of up to 1 MiB after
 * room for the header; at finish the header (meta, data size, data CRC32C,
 * header CRC32C) is written at offset 0, the file is fsynced, renamed to
 * "<name>.snap" and the directory fsynced. Only then is the snapshot the
 * group's newest, and only then are older ones beyond snapshots_keep
 * deleted. A crash at any point leaves either the old set of snapshots or
 * the new one, plus maybe a temp file, which the next open deletes.
 *
 * Recovery: for each group, the newest file whose header and data CRC check
 * out is its snapshot; an invalid newer one is reported and passed over.
 * An fsync error on a snapshot fails the whole WAL, as on the log. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "wal/crc32c.h"
#include "wal/wal_int.h"

#define SNAP_CHUNK_BYTES (1u << 20)

struct wal_snapshot_writer {
    wal *w;
    uint64_t group;
    raft_snapshot_meta meta;
    char tmp_path[WAL_PATH_MAX + 8];
    char final_path[WAL_PATH_MAX];
    int fd;         /* used by the snapshot thread only */
    bool io_failed; /* snapshot thread only: an earlier job failed */
    uint32_t header_bytes;
    uint64_t data_bytes;   /* accepted so far */
    uint32_t crc;          /* of the data accepted so far */
    uint64_t queued_bytes; /* handed to the thread, not yet written */
    int jobs;              /* in flight */
    int status;            /* first error */
    bool finishing, aborted;
    wal_snapshot_cb *finish_cb;
    void *finish_arg;
    buf chunk; /* collected, not yet handed over */
};

enum snap_job_kind {
    SNAP_OPEN,
    SNAP_WRITE,
    SNAP_WAIT,
    SNAP_FINISH,
    SNAP_ABORT,
    SNAP_DELETE
};

typedef struct snap_job {
    wal_job job; /* first */
    enum snap_job_kind kind;
    wal_snapshot_writer *sw;
    buf data;
    uint64_t off;
    char (*paths)[WAL_PATH_MAX]; /* SNAP_DELETE */
    size_t path_count;
    wal_snapshot_cb *cb;
    void *cb_arg;
    int status;
    bool fsync_failed;
    int sys_errno;
} snap_job;

static void snap_path(const wal *w, uint64_t group, uint64_t index, char *out)
{
    snprintf(out, WAL_PATH_MAX, "%s/%016" PRIx64 "-%016" PRIx64 ".snap", w->snap_dir,
             group, index);
}

/* ---- Jobs (run on the snapshot thread)
 * ----------------------------------------------------- */

static int job_err(snap_job *j, int rv, bool fsync)
{
    if (j->sw) j->sw->io_failed = true;
    j->status = POLIS_EIO;
    j->sys_errno = -rv;
    j->fsync_failed = fsync;
    return POLIS_EIO;
}

static void snap_run(wal_job *job)
{
    snap_job *j = (snap_job *)job;
    wal *w = job->w;
    const wal_file_ops *ops = w->ops;
    wal_snapshot_writer *sw = j->sw;
    int rv;
    switch (j->kind) {
    case SNAP_OPEN:
        rv = ops->open(ops->ctx, sw->tmp_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (rv < 0) {
            job_err(j, rv, false);
            return;
        }
        sw->fd = rv;
        return;
    case SNAP_WRITE:
        if (sw->io_failed) return; /* reported already */
        rv = wal_pwrite_full(ops, sw->fd, j->data.data, j->data.len, j->off);
        if (rv != 0) job_err(j, rv, false);
        return;
    case SNAP_WAIT:
        return;
    case SNAP_FINISH:
        rv = sw->io_failed ? 0
                           : wal_pwrite_full(ops, sw->fd, j->data.data, j->data.len, 0);
        if (rv != 0) job_err(j, rv, false);
        rv = sw->io_failed ? 0 : ops->fsync(ops->ctx, sw->fd);
        if (rv != 0) job_err(j, rv, true);
        if (sw->fd >= 0) ops->close(ops->ctx, sw->fd);
        sw->fd = -1;
        rv = sw->io_failed ? 0 : ops->rename(ops->ctx, sw->tmp_path, sw->final_path);
        if (rv != 0) job_err(j, rv, false);
        if (sw->io_failed) {
            /* Leave no temp file behind (best effort: open removes it too). */
            ops->unlink(ops->ctx, sw->tmp_path);
            return;
        }
        rv = wal_fsync_dir(ops, w->snap_dir);
        if (rv != 0) job_err(j, rv, true);
        return;
    case SNAP_ABORT:
        if (sw->fd >= 0) ops->close(ops->ctx, sw->fd);
        sw->fd = -1;
        ops->unlink(ops->ctx, sw->tmp_path);
        return;
    case SNAP_DELETE:
        for (size_t i = 0; i < j->path_count; i++) {
            rv = ops->unlink(ops->ctx, j->paths[i]);
            if (rv != 0 && rv != -ENOENT) job_err(j, rv, false);
        }
        /* Not fsynced: a deletion lost in a crash leaves an old snapshot
         * that the next open deletes again. */
        return;
    }
}

/* ---- Jobs (completion on the loop)
 * --------------------------------------------------------------- */

static void writer_forget(wal *w, wal_snapshot_writer *sw)
{
    for (size_t i = 0; i < w->writer_count; i++) {
        if (w->writers[i] != sw) continue;
        w->writers[i] = w->writers[--w->writer_count];
        break;
    }
    wal_group *g = wal_group_find(w, sw->group);
    if (g != NULL) g->snap_writers--;
    buf_free(&sw->chunk);
    mem_free(sw);
}

static void catalog_add(wal_group *g, const wal_snap *s)
{
    g->snaps = mem_realloc(g->snaps, (g->snap_count + 1) * sizeof *g->snaps);
    size_t i = g->snap_count;
    while (i > 0 && g->snaps[i - 1].meta.index > s->meta.index) {
        g->snaps[i] = g->snaps[i - 1];
        i--;
    }
    g->snaps[i] = *s;
    g->snap_count++;
}

static void post(wal *w, snap_job *j);

/* Deletes the group's oldest snapshots beyond snapshots_keep. */
static void catalog_trim(wal *w, wal_group *g)
{
    if (g->snap_count <= w->opts.snapshots_keep) return;
    size_t extra = g->snap_count - w->opts.snapshots_keep;
    snap_job *j = mem_calloc(1, sizeof *j);
    j->kind = SNAP_DELETE;
    j->paths = mem_alloc(extra * sizeof *j->paths);
    for (size_t i = 0; i < extra; i++)
        snap_path(w, g->id, g->snaps[i].meta.index, j->paths[i]);
    j->path_count = extra;
    memmove(g->snaps, g->snaps + extra, w->opts.snapshots_keep * sizeof *g->snaps);
    g->snap_count = w->opts.snapshots_keep;
    post(w, j);
}

static void snap_done(wal_job *job)
{
    snap_job *j = (snap_job *)job;
    wal *w = job->w;
    wal_snapshot_writer *sw = j->sw;
    w->snap_jobs--;
    if (j->status != 0) {
        char what[WAL_PATH_MAX + 32];
        snprintf(what, sizeof what, "snapshot %s", sw ? sw->tmp_path : "deletion");
        if (j->fsync_failed)
            wal_fail(w, POLIS_EIO, what, j->sys_errno);
        else
            log_warning("wal: %s: %s", what, strerror(j->sys_errno));
        if (sw != NULL && sw->status == 0) sw->status = j->status;
    }
    if (sw != NULL) {
        sw->jobs--;
        if (j->kind == SNAP_WRITE) sw->queued_bytes -= j->data.len;
    }
    if (j->kind == SNAP_WAIT && j->cb) j->cb(sw, sw->status, j->cb_arg);
    if (j->kind == SNAP_FINISH) {
        int status = sw->status ? sw->status : w->failed;
        wal_group *g = wal_group_find(w, sw->group);
        if (status == 0 && g != NULL) {
            catalog_add(g,
                        &(wal_snap){.meta = sw->meta, .header_bytes = sw->header_bytes});
            catalog_trim(w, g);
        }
        if (sw->finish_cb) sw->finish_cb(sw, status, sw->finish_arg);
        writer_forget(w, sw);
    }
    if (j->kind == SNAP_ABORT) writer_forget(w, sw);
    buf_free(&j->data);
    mem_free(j->paths);
    mem_free(j);
    wal_update_ref(w);
    wal_maybe_finish_close(w);
}

static void post(wal *w, snap_job *j)
{
    j->job.w = w;
    j->job.run = snap_run;
    j->job.done = snap_done;
    if (j->sw) j->sw->jobs++;
    w->snap_jobs++;
    wal_worker_post(&w->snap_worker, &j->job);
    wal_update_ref(w);
}

static snap_job *job_new(wal_snapshot_writer *sw, enum snap_job_kind kind)
{
    snap_job *j = mem_calloc(1, sizeof *j);
    j->kind = kind;
    j->sw = sw;
    return j;
}

/* Hands the collected chunk to the thread. */
static void chunk_post(wal_snapshot_writer *sw)
{
    if (sw->chunk.len == 0) return;
    snap_job *j = job_new(sw, SNAP_WRITE);
    j->data = sw->chunk;
    j->off = sw->header_bytes + sw->data_bytes - sw->chunk.len;
    sw->queued_bytes += sw->chunk.len;
    buf_init(&sw->chunk);
    post(sw->w, j);
}

/* ---- API
 * ------------------------------------------------------------------------------------------
 */

int wal_snapshot_begin(wal *w, uint64_t group, const raft_snapshot_meta *meta,
                       wal_snapshot_writer **out)
{
    if (w->failed) return w->failed;
    if (w->closing) return POLIS_ECLOSED;
    const raft_conf *c = &meta->conf;
    if (meta->index == 0 || c->voter_count > RAFT_NODES_MAX ||
        c->voter_outgoing_count > RAFT_NODES_MAX || c->learner_count > RAFT_NODES_MAX)
        return POLIS_EINVAL;
    wal_group *g;
    int rv = wal_group_get(w, group, &g);
    if (rv != 0) return rv;
    for (size_t i = 0; i < g->snap_count; i++)
        if (g->snaps[i].meta.index == meta->index) return POLIS_EEXISTS;
    for (size_t i = 0; i < w->writer_count; i++)
        if (w->writers[i]->group == group && w->writers[i]->meta.index == meta->index)
            return POLIS_EBUSY;
    wal_snapshot_writer *sw = mem_calloc(1, sizeof *sw);
    sw->w = w;
    sw->group = group;
    sw->meta = *meta;
    sw->fd = -1;
    sw->header_bytes =
        wal_snap_header_bytes(c->voter_count, c->voter_outgoing_count, c->learner_count);
    snap_path(w, group, meta->index, sw->final_path);
    snprintf(sw->tmp_path, sizeof sw->tmp_path, "%s.tmp", sw->final_path);
    if (w->writer_count == w->writer_cap) {
        w->writer_cap = w->writer_cap ? 2 * w->writer_cap : 4;
        w->writers = mem_realloc(w->writers, w->writer_cap * sizeof *w->writers);
    }
    w->writers[w->writer_count++] = sw;
    g->snap_writers++;
    post(w, job_new(sw, SNAP_OPEN));
    *out = sw;
    return 0;
}

int wal_snapshot_write(wal_snapshot_writer *sw, const void *data, size_t len)
{
    if (sw->status != 0) return sw->status;
    if (sw->finishing || sw->aborted) return POLIS_EINVAL;
    if (sw->queued_bytes + sw->chunk.len + len > sw->w->opts.snapshot_queued_bytes_max &&
        sw->queued_bytes + sw->chunk.len > 0)
        return POLIS_EBUSY;
    sw->crc = wal_crc32c(sw->crc, data, len);
    sw->data_bytes += len;
    buf_append(&sw->chunk, data, len);
    if (sw->chunk.len >= SNAP_CHUNK_BYTES) chunk_post(sw);
    return 0;
}

int wal_snapshot_wait(wal_snapshot_writer *sw, wal_snapshot_cb *cb, void *arg)
{
    if (sw->finishing || sw->aborted) return POLIS_EINVAL;
    chunk_post(sw);
    snap_job *j = job_new(sw, SNAP_WAIT);
    j->cb = cb;
    j->cb_arg = arg;
    post(sw->w, j);
    return 0;
}

static void encode_header(const wal_snapshot_writer *sw, buf *out)
{
    const raft_conf *c = &sw->meta.conf;
    uint64_t ids[3 * RAFT_NODES_MAX];
    size_t n = 0;
    for (size_t i = 0; i < c->voter_count; i++)
        ids[n++] = c->voters[i];
    for (size_t i = 0; i < c->voter_outgoing_count; i++)
        ids[n++] = c->voters_outgoing[i];
    for (size_t i = 0; i < c->learner_count; i++)
        ids[n++] = c->learners[i];
    wal_snap_header h = {.group = sw->group,
                         .index = sw->meta.index,
                         .term = sw->meta.term,
                         .data_bytes = sw->data_bytes,
                         .data_crc = sw->crc,
                         .voter_count = c->voter_count,
                         .outgoing_count = c->voter_outgoing_count,
                         .learner_count = c->learner_count};
    buf_reserve(out, sw->header_bytes);
    out->len = wal_snap_header_encode((uint8_t *)out->data, &h, ids);
    PASSERT(out->len == sw->header_bytes);
}

int wal_snapshot_finish(wal_snapshot_writer *sw, wal_snapshot_cb *cb, void *arg)
{
    if (sw->finishing || sw->aborted) return POLIS_EINVAL;
    if (sw->w->failed) return sw->w->failed;
    chunk_post(sw);
    sw->finishing = true;
    sw->finish_cb = cb;
    sw->finish_arg = arg;
    sw->meta.size_bytes = sw->data_bytes;
    snap_job *j = job_new(sw, SNAP_FINISH);
    encode_header(sw, &j->data);
    post(sw->w, j);
    return 0;
}

void wal_snapshot_abort(wal_snapshot_writer *sw)
{
    if (sw->finishing || sw->aborted) return;
    sw->aborted = true;
    buf_free(&sw->chunk);
    post(sw->w, job_new(sw, SNAP_ABORT));
}

void wal_snap_abort_all(wal *w)
{
    for (size_t i = 0; i < w->writer_count; i++)
        wal_snapshot_abort(w->writers[i]);
}

void wal_snap_drop_group(wal *w, wal_group *g)
{
    if (g->snap_count == 0) return;
    snap_job *j = mem_calloc(1, sizeof *j);
    j->kind = SNAP_DELETE;
    j->paths = mem_alloc(g->snap_count * sizeof *j->paths);
    for (size_t i = 0; i < g->snap_count; i++)
        snap_path(w, g->id, g->snaps[i].meta.index, j->paths[i]);
    j->path_count = g->snap_count;
    g->snap_count = 0;
    post(w, j);
}

int wal_snapshot_newest(const wal *w, uint64_t group, raft_snapshot_meta *meta)
{
    const wal_group *g = wal_group_find(w, group);
    if (g == NULL || g->snap_count == 0) return POLIS_ENOTFOUND;
    *meta = g->snaps[g->snap_count - 1].meta;
    return 0;
}

int wal_snapshot_read(wal *w, uint64_t group, raft_index index, uint64_t offset,
                      void *dst, size_t len, size_t *nread)
{
    *nread = 0;
    const wal_group *g = wal_group_find(w, group);
    const wal_snap *s = NULL;
    for (size_t i = 0; g != NULL && i < g->snap_count; i++)
        if (g->snaps[i].meta.index == index) s = &g->snaps[i];
    if (s == NULL) return POLIS_ENOTFOUND;
    if (offset > s->meta.size_bytes) return POLIS_EINVAL;
    uint64_t left = s->meta.size_bytes - offset;
    size_t n = left < len ? (size_t)left : len;
    char path[WAL_PATH_MAX];
    snap_path(w, group, index, path);
    int fd = w->ops->open(w->ops->ctx, path, O_RDONLY, 0);
    if (fd == -ENOENT) return POLIS_ENOTFOUND;
    if (fd < 0) return POLIS_EIO;
    int rv = wal_pread_full(w->ops, fd, dst, n, s->header_bytes + offset);
    w->ops->close(w->ops->ctx, fd);
    if (rv != 0) return POLIS_EIO;
    *nread = n;
    return 0;
}

/* ---- Recovery
 * -------------------------------------------------------------------------------------
 */

typedef struct snap_file {
    uint64_t group, index;
    bool tmp;
} snap_file;

typedef struct snap_list {
    snap_file *files;
    size_t count, cap;
} snap_list;

static bool parse_hex16(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* "<group:016x>-<index:016x>.snap", optionally followed by ".tmp". */
static int collect_snap(void *arg, const char *name)
{
    snap_list *l = arg;
    size_t len = strlen(name);
    snap_file f = {0};
    if (len == 38 && strcmp(name + 33, ".snap") == 0)
        f.tmp = false;
    else if (len == 42 && strcmp(name + 33, ".snap.tmp") == 0)
        f.tmp = true;
    else
        return 0;
    if (name[16] != '-' || !parse_hex16(name, &f.group) ||
        !parse_hex16(name + 17, &f.index))
        return 0;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->files = mem_realloc(l->files, l->cap * sizeof *l->files);
    }
    l->files[l->count++] = f;
    return 0;
}

/* Newest first within a group. */
static int cmp_snap(const void *a, const void *b)
{
    const snap_file *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    return x->index > y->index ? -1 : x->index < y->index;
}

/* Checks a snapshot file; with `full`, the data CRC too. */
static bool snap_check(wal *w, const char *path, const snap_file *f, bool full,
                       wal_snap *out, const char **why)
{
    const wal_file_ops *ops = w->ops;
    int fd = ops->open(ops->ctx, path, O_RDONLY, 0);
    *why = "cannot open";
    if (fd < 0) return false;
    bool ok = false;
    uint64_t size = 0;
    uint8_t *hdr = mem_alloc(WAL_SNAPSHOT_HEADER_BYTES_MAX);
    uint8_t *chunk = NULL;
    wal_snap_header h;
    uint32_t header_bytes;
    if (ops->size(ops->ctx, fd, &size) != 0) goto out;
    size_t avail = size < WAL_SNAPSHOT_HEADER_BYTES_MAX ? (size_t)size
                                                        : WAL_SNAPSHOT_HEADER_BYTES_MAX;
    *why = "bad header";
    if (wal_pread_full(ops, fd, hdr, avail, 0) != 0) goto out;
    if (!wal_snap_header_decode(hdr, avail, &h, &header_bytes)) goto out;
    if (h.group != f->group || h.index != f->index || h.voter_count > RAFT_NODES_MAX ||
        h.outgoing_count > RAFT_NODES_MAX || h.learner_count > RAFT_NODES_MAX)
        goto out;
    *why = "wrong size";
    if (size != header_bytes + h.data_bytes) goto out;
    if (full) {
        *why = "data CRC mismatch";
        chunk = mem_alloc(SNAP_CHUNK_BYTES);
        uint32_t crc = 0;
        for (uint64_t off = 0; off < h.data_bytes;) {
            size_t n = h.data_bytes - off < SNAP_CHUNK_BYTES
                           ? (size_t)(h.data_bytes - off)
                           : SNAP_CHUNK_BYTES;
            if (wal_pread_full(ops, fd, chunk, n, header_bytes + off) != 0) goto out;
            crc = wal_crc32c(crc, chunk, n);
            off += n;
        }
        if (crc != h.data_crc) goto out;
    }
    *out = (wal_snap){.header_bytes = header_bytes};
    raft_snapshot_meta *m = &out->meta;
    m->index = h.index;
    m->term = h.term;
    m->size_bytes = h.data_bytes;
    m->conf.voter_count = h.voter_count;
    m->conf.voter_outgoing_count = h.outgoing_count;
    m->conf.learner_count = h.learner_count;
    const uint8_t *ids = h.ids;
    for (size_t i = 0; i < h.voter_count; i++, ids += 8)
        m->conf.voters[i] = wal_get_u64(ids);
    for (size_t i = 0; i < h.outgoing_count; i++, ids += 8)
        m->conf.voters_outgoing[i] = wal_get_u64(ids);
    for (size_t i = 0; i < h.learner_count; i++, ids += 8)
        m->conf.learners[i] = wal_get_u64(ids);
    ok = true;
out:
    ops->close(ops->ctx, fd);
    mem_free(hdr);
    mem_free(chunk);
    return ok;
}

int wal_snap_recover(wal *w)
{
    snap_list l = {0};
    int rv = w->ops->list(w->ops->ctx, w->snap_dir, collect_snap, &l);
    if (rv != 0) {
        log_warning("wal: cannot list %s: %s", w->snap_dir, strerror(-rv));
        mem_free(l.files);
        return POLIS_EIO;
    }
    if (l.count > 1) qsort(l.files, l.count, sizeof *l.files, cmp_snap);
    char path[WAL_PATH_MAX];
    bool removed = false;
    for (size_t i = 0; i < l.count && rv == 0; i++) {
        const snap_file *f = &l.files[i];
        snap_path(w, f->group, f->index, path);
        if (f->tmp) {
            /* A snapshot whose writing never finished. */
            strncat(path, ".tmp", sizeof path - strlen(path) - 1);
            w->ops->unlink(w->ops->ctx, path);
            removed = true;
            continue;
        }
        wal_group *g = wal_group_find(w, f->group);
        /* The newest file of a group is checked in full; once one is
         * valid, older ones (kept as fallbacks) only by their header. */
        bool full = g == NULL || g->snap_count == 0;
        size_t kept = g ? g->snap_count : 0;
        wal_snap s;
        const char *why;
        if (!snap_check(w, path, f, full, &s, &why)) {
            log_warning("wal: snapshot %s is not valid (%s): passed over", path, why);
            continue;
        }
        if (kept >= w->opts.snapshots_keep) {
            w->ops->unlink(w->ops->ctx, path);
            removed = true;
            continue;
        }
        if (g == NULL && (rv = wal_group_get(w, f->group, &g)) != 0) break;
        catalog_add(g, &s);
    }
    /* Also when nothing was removed: a rename before a crash may have been
     * seen here without having reached the disk. */
    if (rv == 0) {
        (void)removed;
        rv = wal_fsync_dir(w->ops, w->snap_dir);
        if (rv != 0) rv = POLIS_EIO;
    }
    mem_free(l.files);
    return rv;
}
