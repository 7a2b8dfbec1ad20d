/* wal/wal.c - opening, group commit and closing.
 *
 * Group commit: records queued during a loop iteration accumulate in the
 * pending flush. Lazy records (wal_set_hard_state_lazy) join it without
 * asking for one: a pending flush of only lazy records is not started
 * until something else needs durability, or the WAL closes. A uv_prepare handle, which libuv runs once per iteration
 * just before it blocks for I/O, hands the pending flush to the I/O thread
 * if none is in flight; otherwise it keeps accumulating while the previous
 * one syncs, so under load each fdatasync carries everything that arrived
 * during the previous one. The I/O thread's completion comes back through a
 * uv_async; the loop then reports what became durable, releases wal_sync
 * barriers and recycles the buffers.
 *
 * Keeping the loop alive: the prepare handle is unreferenced; the async
 * handle is referenced exactly while work is outstanding (records queued or
 * in flight, barriers waiting, snapshot jobs), so uv_run returns once the
 * WAL is idle, as a libuv handle should. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "wal/wal_int.h"

void wal_options_defaults(wal_options *o)
{
    *o = (wal_options){
        .segment_bytes = 64ull << 20,
        .batch_bytes_max = 16u << 20,
        .entry_bytes_max = 8u << 20,
        .queued_bytes_max = 64ull << 20,
        .cache_bytes_per_group = 256u << 10,
        .cache_bytes_max = 256ull << 20,
        .groups_max = 100000,
        .snapshots_keep = 2,
        .snapshot_queued_bytes_max = 16ull << 20,
        .zero_ahead_bytes = 256u << 10,
    };
}

static bool options_ok(const wal_options *o)
{
    uint64_t min_batch =
        (uint64_t)WAL_BATCH_OVERHEAD_BYTES + WAL_RECORD_HEADER_BYTES + o->entry_bytes_max;
    return o->segment_bytes >= 4096 && o->segment_bytes <= WAL_SEGMENT_BYTES_LIMIT &&
           o->batch_bytes_max >= min_batch &&
           o->batch_bytes_max <= o->segment_bytes - WAL_SEGMENT_HEADER_BYTES &&
           o->queued_bytes_max >= o->batch_bytes_max && o->groups_max > 0 &&
           o->snapshots_keep > 0 && o->snapshot_queued_bytes_max > 0;
}

void wal_fail(wal *w, int status, const char *what, int sys_errno)
{
    if (w->failed == 0) {
        w->failed = status;
        log_warning("wal: %s failed: %s; the log is failed and the node must stop "
                    "(nothing is retried)",
                    what, sys_errno ? strerror(sys_errno) : polis_strerror(status));
    }
}

/* ---- Barriers and references
 * ----------------------------------------------------------- */

static void deliver_syncs(wal *w, int status)
{
    while (w->sync_head != NULL) {
        wal_sync_req *req = w->sync_head;
        int st = status ? status : w->failed;
        if (st == 0 && req->flush_seq_ > w->flush_done_seq) return;
        w->sync_head = req->next_;
        if (w->sync_head == NULL) w->sync_tail = NULL;
        req->cb_(req, st);
    }
}

int wal_sync(wal *w, wal_sync_req *req, wal_sync_cb *cb)
{
    if (w->failed) return w->failed;
    if (w->closing) return POLIS_ECLOSED;
    req->cb_ = cb;
    req->next_ = NULL;
    if (w->pending) w->pending->urgent = true;
    req->flush_seq_ = w->pending    ? w->pending->seq
                      : w->inflight ? w->inflight->seq
                                    : w->flush_done_seq;
    if (w->sync_tail)
        w->sync_tail->next_ = req;
    else
        w->sync_head = req;
    w->sync_tail = req;
    wal_update_ref(w);
    return 0;
}

void wal_update_ref(wal *w)
{
    if (w->handles_open < 2 || w->finalizing) return;
    bool busy = (w->pending != NULL && w->pending->urgent) || w->inflight != NULL ||
                w->sync_head != NULL ||
                w->snap_jobs > 0 || w->closing;
    if (busy)
        uv_ref((uv_handle_t *)&w->async);
    else
        uv_unref((uv_handle_t *)&w->async);
}

/* ---- Handing a flush to the I/O thread
 * -------------------------------------------------- */

static void drop_pending(wal *w)
{
    wal_flush *f = w->pending;
    if (f == NULL) return;
    w->queued_bytes -= f->data.len;
    w->pending = NULL;
    w->frame_open = false;
    if (w->spare == NULL) {
        w->spare = f;
        return;
    }
    buf_free(&f->data);
    mem_free(f->extents);
    mem_free(f->touched);
    mem_free(f->dropped);
    mem_free(f->report);
    mem_free(f);
}

static void flush_free(wal_flush *f)
{
    buf_free(&f->data);
    mem_free(f->extents);
    mem_free(f->touched);
    mem_free(f->dropped);
    mem_free(f->report);
    mem_free(f);
}

/* Segments older than every group's oldest needed record go, after this
 * flush's fdatasync has made the records that released them durable. */
static void plan_deletions(wal *w, wal_flush *f)
{
    if (!w->pins_dirty) return;
    w->pins_dirty = false;
    uint64_t min_pin = w->cur_seg;
    dict_iter it;
    dict_iter_start(&it, &w->groups);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) {
        uint64_t pin = wal_group_pin((wal_group *)n);
        if (pin < min_pin) min_pin = pin;
    }
    dict_iter_end(&it);
    if (min_pin <= w->seg_first) return;
    f->delete_lo = w->seg_first;
    f->delete_hi = min_pin;
    for (uint64_t seq = w->seg_first; seq < min_pin; seq++) {
        int fd = w->read_fds[seq - w->seg_first];
        if (fd >= 0) w->ops->close(w->ops->ctx, fd);
    }
    size_t gone = (size_t)(min_pin - w->seg_first);
    size_t left = (size_t)(w->seg_last - min_pin + 1);
    memmove(w->read_fds, w->read_fds + gone, left * sizeof *w->read_fds);
    w->seg_first = min_pin;
}

static void build_report(wal *w, wal_flush *f)
{
    size_t need = f->touched_count + f->dropped_count;
    if (need > f->report_cap) {
        f->report_cap = need;
        f->report = mem_realloc(f->report, need * sizeof *f->report);
    }
    /* Drops first: a group dropped and then created again in the same
     * flush is reported dropped, then with its new records. (One created
     * and then dropped has no touched slot left, only the drop.) */
    size_t k = 0;
    for (size_t i = 0; i < f->dropped_count; i++)
        f->report[k++] = (wal_durable){.group = f->dropped[i], .dropped = true};
    for (size_t i = 0; i < f->touched_count; i++) {
        wal_group *g = f->touched[i];
        if (g == NULL) continue;
        wal_durable *d = &f->report[k++];
        *d = (wal_durable){.group = g->id, .last_index = g->last};
        if (g->flush_appended && g->last >= g->flush_lo && g->last >= g->first) {
            d->lo = g->flush_lo > g->first ? g->flush_lo : g->first;
            d->hi = g->last;
        }
        if (g->flush_hs) {
            d->has_hard_state = true;
            d->hard_state = g->hs;
        }
    }
    f->report_count = k;
    (void)w;
}

static void flush_done(wal_job *job);

static void flush_start(wal *w)
{
    if (w->inflight != NULL || w->pending == NULL || w->failed) return;
    /* Lazy records alone wait for the next flush someone needs (or close). */
    if (!w->pending->urgent && !w->closing) return;
    if (w->rolled) {
        w->rolled = false;
        wal_rewrite_meta(w);
    }
    wal_frame_close(w);
    wal_flush *f = w->pending;
    plan_deletions(w, f);
    build_report(w, f);
    w->pending = NULL;
    w->inflight = f;
    f->start_ns = uv_hrtime();
    f->job.w = w;
    f->job.run = wal_flush_run;
    f->job.done = flush_done;
    wal_worker_post(&w->io_worker, &f->job);
}

static void flush_done(wal_job *job)
{
    wal_flush *f = (wal_flush *)job;
    wal *w = job->w;
    PASSERT(w->inflight == f);
    w->inflight = NULL;
    w->queued_bytes -= f->data.len;
    w->stats.fsyncs += f->fsyncs;
    w->stats.fsync_us += f->fsync_ns / 1000;
    w->stats.flush_us += (uv_hrtime() - f->start_ns) / 1000;
    w->stats.segments_created += f->segments_created;
    w->stats.segments_deleted += f->segments_deleted;
    if (f->status != 0) {
        wal_fail(w, f->status, f->what, f->sys_errno);
        drop_pending(w); /* can never be written now */
        if (w->opts.on_durable)
            w->opts.on_durable(w->opts.on_durable_arg, NULL, 0, f->status);
    } else {
        w->flush_done_seq = f->seq;
        w->stats.flushes++;
        w->stats.batches += f->batches;
        w->stats.records += f->records;
        w->stats.bytes_written += f->data.len;
        if (w->opts.on_durable && f->report_count > 0)
            w->opts.on_durable(w->opts.on_durable_arg, f->report, f->report_count, 0);
    }
    deliver_syncs(w, 0);
    if (w->spare == NULL)
        w->spare = f;
    else
        flush_free(f);
    wal_update_ref(w);
    wal_maybe_finish_close(w);
}

/* ---- Loop handles
 * ---------------------------------------------------------------------------- */

static void on_prepare(uv_prepare_t *h)
{
    wal *w = h->data;
    deliver_syncs(w, 0);
    flush_start(w);
    wal_update_ref(w);
    wal_maybe_finish_close(w);
}

static void on_async(uv_async_t *h)
{
    wal *w = h->data;
    wal_jobs_drain(w);
    wal_update_ref(w);
    wal_maybe_finish_close(w);
}

/* ---- Opening
 * ----------------------------------------------------------------------------------- */

/* Creates dir if missing and makes its name durable in its parent. */
static int ensure_dir(const wal_file_ops *ops, const char *dir)
{
    int rv = ops->mkdir(ops->ctx, dir, 0755);
    if (rv == -EEXIST) return 0;
    if (rv != 0) return rv;
    char parent[WAL_PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash == NULL)
        snprintf(parent, sizeof parent, ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    return wal_fsync_dir(ops, parent);
}

static void wal_free(wal *w)
{
    if (w->io.fd >= 0) w->ops->close(w->ops->ctx, w->io.fd);
    for (uint64_t seq = w->seg_first; seq <= w->seg_last && w->read_fds; seq++) {
        int fd = w->read_fds[seq - w->seg_first];
        if (fd >= 0) w->ops->close(w->ops->ctx, fd);
    }
    mem_free(w->read_fds);
    wal_groups_free(w);
    if (w->pending) flush_free(w->pending);
    if (w->spare) flush_free(w->spare);
    mem_free(w->writers);
    mem_free(w);
}

int wal_open(const char *dir, const wal_options *opts, uv_loop_t *loop, wal **out,
             wal_open_error *err)
{
    *out = NULL;
    if (err) memset(err, 0, sizeof *err);
    if (!options_ok(opts) || strlen(dir) >= WAL_DIR_MAX) return POLIS_ECONFIG;
    wal *w = mem_calloc(1, sizeof *w);
    w->loop = loop;
    w->opts = *opts;
    w->ops = opts->file_ops ? opts->file_ops : wal_posix_file_ops();
    w->io.fd = -1;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    snprintf(w->snap_dir, sizeof w->snap_dir, "%s/%s", dir, WAL_SNAP_DIR);
    wal_groups_init(w);
    w->next_flush_seq = 1;
    int rv = ensure_dir(w->ops, w->dir);
    if (rv == 0) rv = ensure_dir(w->ops, w->snap_dir);
    if (rv != 0) {
        wal_open_error_set(err, w->dir, 0, "cannot create: %s", strerror(-rv));
        rv = POLIS_EIO;
        goto err;
    }
    rv = wal_recover(w, err);
    if (rv != 0) goto err;
    w->stats.batches = 0;
    rv = wal_snap_recover(w);
    if (rv != 0) goto err;
    if (uv_mutex_init(&w->done_mu) != 0) {
        rv = POLIS_EIO;
        goto err;
    }
    rv = wal_worker_start(w, &w->io_worker);
    if (rv == 0) rv = wal_worker_start(w, &w->snap_worker);
    if (rv == 0 && uv_async_init(loop, &w->async, on_async) != 0) rv = POLIS_EIO;
    if (rv != 0) {
        wal_worker_stop(&w->io_worker);
        wal_worker_stop(&w->snap_worker);
        uv_mutex_destroy(&w->done_mu);
        goto err;
    }
    uv_prepare_init(loop, &w->prepare);
    w->async.data = w->prepare.data = w;
    uv_prepare_start(&w->prepare, on_prepare);
    uv_unref((uv_handle_t *)&w->prepare);
    w->handles_open = 2;
    wal_update_ref(w);
    *out = w;
    return 0;
err:
    wal_free(w);
    return rv;
}

/* ---- Closing
 * ------------------------------------------------------------------------------------ */

static void on_handle_closed(uv_handle_t *h)
{
    wal *w = h->data;
    if (--w->handles_open > 0) return;
    wal_close_cb *cb = w->close_cb;
    void *arg = w->close_arg;
    uv_mutex_destroy(&w->done_mu);
    wal_free(w);
    if (cb) cb(arg);
}

void wal_maybe_finish_close(wal *w)
{
    if (!w->closing || w->finalizing) return;
    if (w->pending != NULL && !w->failed && !w->abandoning) return; /* flush first */
    if (w->inflight != NULL || w->snap_jobs > 0) return;
    drop_pending(w);
    deliver_syncs(w, w->failed ? w->failed : POLIS_ECLOSED);
    wal_worker_stop(&w->io_worker);
    wal_worker_stop(&w->snap_worker);
    w->finalizing = true; /* from here on only the close callbacks run */
    uv_close((uv_handle_t *)&w->prepare, on_handle_closed);
    uv_close((uv_handle_t *)&w->async, on_handle_closed);
}

static void close_start(wal *w, wal_close_cb *cb, void *arg, bool abandon)
{
    PASSERT(!w->closing);
    w->closing = true;
    w->abandoning = abandon;
    w->close_cb = cb;
    w->close_arg = arg;
    if (abandon) drop_pending(w);
    wal_snap_abort_all(w);
    wal_update_ref(w);
    wal_maybe_finish_close(w);
}

void wal_close(wal *w, wal_close_cb *cb, void *arg)
{
    close_start(w, cb, arg, false);
}

void wal_abandon(wal *w, wal_close_cb *cb, void *arg)
{
    close_start(w, cb, arg, true);
}

/* ---- Queries
 * ---------------------------------------------------------------------------------------
 */

int wal_failed(const wal *w)
{
    return w->failed;
}

size_t wal_group_count(const wal *w)
{
    return w->group_count;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t wal_group_list(const wal *w, uint64_t *ids, size_t cap)
{
    uint64_t *all = mem_alloc((w->group_count ? w->group_count : 1) * sizeof *all);
    size_t n = 0;
    dict_iter it;
    dict_iter_start(&it, (dict *)(uintptr_t)&w->groups);
    dict_node *node;
    while ((node = dict_iter_next(&it)) != NULL)
        all[n++] = ((wal_group *)node)->id;
    dict_iter_end(&it);
    if (n > 1) qsort(all, n, sizeof *all, cmp_u64);
    memcpy(ids, all, (n < cap ? n : cap) * sizeof *ids);
    mem_free(all);
    return n;
}

int wal_group_info_get(const wal *w, uint64_t group, wal_group_info *out)
{
    const wal_group *g = wal_group_find(w, group);
    if (g == NULL) return POLIS_ENOTFOUND;
    *out = (wal_group_info){
        .group = g->id,
        .has_hard_state = g->has_hs,
        .hard_state = g->hs,
        .first_index = g->first,
        .last_index = g->last,
        .prev_term = g->prev_term,
        .durable_index = wal_group_durable_index(w, g),
    };
    if (g->snap_count > 0) {
        out->has_snapshot = true;
        out->snapshot = g->snaps[g->snap_count - 1].meta;
    }
    return 0;
}

void wal_stats_get(const wal *w, wal_stats *out)
{
    *out = w->stats;
    out->segment_count = w->seg_last >= w->seg_first ? w->seg_last - w->seg_first + 1 : 0;
    out->queued_bytes = w->queued_bytes;
    out->cache_bytes = w->cache_bytes;
    out->index_bytes = 0;
    dict_iter it;
    dict_iter_start(&it, (dict *)(uintptr_t)&w->groups);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL)
        out->index_bytes += ((const wal_group *)n)->ents_cap * sizeof(wal_ent);
    dict_iter_end(&it);
}
