/* wal/append.c - queueing records and reading entries back.
 *
 * The loop thread decides the layout: it knows where the next batch goes
 * (segment, offset), so every record's position is final when it is
 * queued, the index can point at it at once, and the I/O thread only
 * copies bytes to where it is told. A record is encoded straight into the
 * pending flush's buffer: one memcpy of the payload, one CRC.
 *
 * A batch ("frame" while open) grows until the flush is handed off, until
 * it would pass batch_bytes_max, or until it would not fit in the rest of
 * the segment; then it is closed (header and trailer filled in) and the
 * next one starts, in a new segment if needed. */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "wal/crc32c.h"
#include "wal/wal_int.h"

/* ---- Layout planning ----------------------------------------------------------------
 */

static wal_flush *pending_get(wal *w)
{
    if (w->pending != NULL) {
        if (!w->lazy_emit) w->pending->urgent = true;
        return w->pending;
    }
    wal_flush *f = w->spare;
    w->spare = NULL;
    if (f == NULL) f = mem_calloc(1, sizeof *f);
    f->seq = w->next_flush_seq++;
    f->data.len = 0;
    f->extent_count = f->touched_count = f->dropped_count = f->report_count = 0;
    f->records = f->batches = 0;
    f->delete_lo = f->delete_hi = 0;
    f->status = 0;
    f->sys_errno = 0;
    f->what[0] = '\0';
    f->fsyncs = f->segments_created = f->segments_deleted = 0;
    f->start_ns = f->fsync_ns = 0;
    f->urgent = !w->lazy_emit;
    w->pending = f;
    wal_update_ref(w); /* keeps the loop running until this is flushed */
    return f;
}

static void segs_append(wal *w, uint64_t seq)
{
    PASSERT(seq == w->seg_last + 1);
    w->seg_last = seq;
    size_t count = (size_t)(w->seg_last - w->seg_first + 1);
    if (count > w->read_fd_cap) {
        size_t cap = w->read_fd_cap ? 2 * w->read_fd_cap : 16;
        while (cap < count)
            cap *= 2;
        w->read_fds = mem_realloc(w->read_fds, cap * sizeof *w->read_fds);
        w->read_fd_cap = cap;
    }
    w->read_fds[count - 1] = -1;
}

static void frame_open(wal *w, wal_flush *f, uint32_t rec_len)
{
    bool create = false;
    if (w->cur_off + WAL_BATCH_OVERHEAD_BYTES + rec_len > w->opts.segment_bytes) {
        w->cur_seg++;
        w->cur_off = WAL_SEGMENT_HEADER_BYTES;
        segs_append(w, w->cur_seg);
        w->rolled = true;
        w->pins_dirty = true;
        create = true;
    }
    PASSERT(w->cur_off + WAL_BATCH_OVERHEAD_BYTES + rec_len <= w->opts.segment_bytes);
    wal_extent *last = f->extent_count ? &f->extents[f->extent_count - 1] : NULL;
    if (last == NULL || last->seg != w->cur_seg || create) {
        if (f->extent_count == f->extent_cap) {
            f->extent_cap = f->extent_cap ? 2 * f->extent_cap : 4;
            f->extents = mem_realloc(f->extents, f->extent_cap * sizeof *f->extents);
        }
        f->extents[f->extent_count++] = (wal_extent){.seg = w->cur_seg,
                                                     .file_off = w->cur_off,
                                                     .buf_off = f->data.len,
                                                     .len = 0,
                                                     .create = create};
    }
    w->frame_buf_off = f->data.len;
    w->frame_file_off = w->cur_off;
    w->frame_records = 0;
    buf_reserve(&f->data, WAL_BATCH_HEADER_BYTES);
    memset(f->data.data + f->data.len, 0, WAL_BATCH_HEADER_BYTES);
    f->data.len += WAL_BATCH_HEADER_BYTES;
    w->queued_bytes += WAL_BATCH_HEADER_BYTES;
    w->frame_open = true;
}

void wal_frame_close(wal *w)
{
    if (!w->frame_open) return;
    wal_flush *f = w->pending;
    PASSERT(f != NULL && f->extent_count > 0);
    buf_reserve(&f->data, WAL_BATCH_TRAILER_BYTES);
    wal_batch_trailer_encode((uint8_t *)f->data.data + f->data.len, w->next_batch_seq);
    f->data.len += WAL_BATCH_TRAILER_BYTES;
    w->queued_bytes += WAL_BATCH_TRAILER_BYTES;
    size_t batch_bytes = f->data.len - w->frame_buf_off;
    PASSERT(batch_bytes <= w->opts.batch_bytes_max);
    wal_batch_header_encode((uint8_t *)f->data.data + w->frame_buf_off, w->next_batch_seq,
                            (uint32_t)batch_bytes, w->frame_records);
    f->extents[f->extent_count - 1].len += batch_bytes;
    w->cur_off += batch_bytes;
    PASSERT(w->cur_off <= w->opts.segment_bytes);
    w->next_batch_seq++;
    f->batches++;
    w->frame_open = false;
}

/* Reserves rec_len bytes for a record in the open batch. Returns where to
 * encode it; *seg and *off get its place on disk. The pointer is valid
 * until the next reservation. */
static uint8_t *reserve(wal *w, uint32_t rec_len, uint32_t *seg, uint32_t *off)
{
    wal_flush *f = pending_get(w);
    if (w->frame_open) {
        uint64_t need =
            f->data.len - w->frame_buf_off + rec_len + WAL_BATCH_TRAILER_BYTES;
        if (need > w->opts.batch_bytes_max ||
            w->frame_file_off + need > w->opts.segment_bytes)
            wal_frame_close(w);
    }
    if (!w->frame_open) frame_open(w, f, rec_len);
    *seg = (uint32_t)w->cur_seg;
    *off = (uint32_t)(w->frame_file_off + (f->data.len - w->frame_buf_off));
    buf_reserve(&f->data, rec_len);
    uint8_t *p = (uint8_t *)f->data.data + f->data.len;
    f->data.len += rec_len;
    w->queued_bytes += rec_len;
    w->frame_records++;
    f->records++;
    return p;
}

/* Notes that the group has records in the pending flush (for the report). */
static void touch(wal *w, wal_group *g)
{
    wal_flush *f = w->pending;
    if (g->touched_seq == f->seq) return;
    if (f->touched_count == f->touched_cap) {
        f->touched_cap = f->touched_cap ? 2 * f->touched_cap : 64;
        f->touched = mem_realloc(f->touched, f->touched_cap * sizeof *f->touched);
    }
    g->touched_seq = f->seq;
    g->touched_slot = f->touched_count;
    f->touched[f->touched_count++] = g;
    g->flush_appended = false;
    g->flush_lo = 0;
    g->flush_hs = false;
}

/* ---- Records
 * --------------------------------------------------------------------------- */

static int usable(const wal *w)
{
    if (w->failed) return w->failed;
    if (w->closing) return POLIS_ECLOSED;
    return 0;
}

static bool over_limit(const wal *w, uint64_t bytes)
{
    return w->queued_bytes > 0 && w->queued_bytes + bytes > w->opts.queued_bytes_max;
}

bool wal_has_room(const wal *w, uint64_t entries, uint64_t bytes)
{
    return !over_limit(w, (entries + 4) * WAL_RECORD_HEADER_BYTES + WAL_HARD_STATE_PAYLOAD_BYTES +
                              bytes);
}

static void emit_simple(wal *w, wal_group *g, uint8_t type, raft_term term,
                        raft_index index, uint32_t *seg)
{
    uint32_t off;
    uint8_t *p = reserve(w, WAL_RECORD_HEADER_BYTES, seg, &off);
    wal_rec_encode(p, type, 0, g->id, term, index, NULL, 0);
    touch(w, g);
}

static void emit_compact(wal *w, wal_group *g, raft_index first, raft_term prev_term)
{
    uint32_t seg;
    emit_simple(w, g, WAL_REC_COMPACT, prev_term, first, &seg);
    wal_group_apply_compact(w, g, first, prev_term, seg);
    w->pins_dirty = true;
}

static void emit_truncate(wal *w, wal_group *g, raft_index from)
{
    uint32_t seg;
    emit_simple(w, g, WAL_REC_TRUNCATE, 0, from, &seg);
    wal_group_apply_truncate(w, g, from);
    /* An empty log must still say where it stands once the segments with
     * its entries and this truncation are gone: a COMPACT at its first
     * index records that (and, as meta, is kept or rewritten). */
    if (g->last < g->first) emit_compact(w, g, g->first, g->prev_term);
}

static void emit_hard_state(wal *w, wal_group *g, const raft_hard_state *hs)
{
    uint8_t payload[WAL_HARD_STATE_PAYLOAD_BYTES];
    wal_put_u64(payload, hs->vote);
    wal_flush *f = w->pending;
    /* Only the newest hard state of a batch matters, and a batch is
     * recovered whole or not at all, so rewriting the record in place is
     * invisible; across batches it would not be (a torn flush could then
     * recover a commit index ahead of the entries it covers). */
    if (f != NULL && g->touched_seq == f->seq && g->flush_hs && w->frame_open &&
        g->flush_hs_off >= w->frame_buf_off) {
        wal_rec_encode((uint8_t *)f->data.data + g->flush_hs_off, WAL_REC_HARD_STATE, 0,
                       g->id, hs->term, hs->commit, payload, sizeof payload);
    } else {
        uint32_t seg, off;
        uint8_t *p = reserve(w, WAL_RECORD_HEADER_BYTES + sizeof payload, &seg, &off);
        wal_rec_encode(p, WAL_REC_HARD_STATE, 0, g->id, hs->term, hs->commit, payload,
                       sizeof payload);
        touch(w, g);
        g->flush_hs = true;
        g->flush_hs_off = (size_t)(p - (uint8_t *)w->pending->data.data);
        g->hs_seg = seg;
    }
    g->has_hs = true;
    g->hs = *hs;
}

int wal_append(wal *w, uint64_t group, const raft_entry *entries, size_t count)
{
    int rv = usable(w);
    if (rv != 0 || count == 0) return rv;
    uint64_t bytes = 0;
    for (size_t i = 0; i < count; i++) {
        if (entries[i].len > w->opts.entry_bytes_max) return POLIS_ELIMIT;
        if (entries[i].len > 0 && entries[i].data == NULL) return POLIS_EINVAL;
        if (i > 0 && entries[i].index != entries[i - 1].index + 1) return POLIS_EINVAL;
        bytes += WAL_RECORD_HEADER_BYTES + entries[i].len;
    }
    if (entries[0].index == 0) return POLIS_EINVAL;
    wal_group *g = wal_group_find(w, group);
    if (g != NULL && g->log_known &&
        (entries[0].index < g->first || entries[0].index > g->last + 1))
        return POLIS_EINVAL;
    if (over_limit(w, bytes)) return POLIS_EBUSY;
    if (g == NULL && (rv = wal_group_get(w, group, &g)) != 0) return rv;
    if (g->log_known && entries[0].index <= g->last)
        emit_truncate(w, g, entries[0].index);
    bool was_empty = !g->log_known || g->last < g->first;
    for (size_t i = 0; i < count; i++) {
        const raft_entry *e = &entries[i];
        uint32_t seg, off;
        uint8_t *p = reserve(w, WAL_RECORD_HEADER_BYTES + e->len, &seg, &off);
        wal_rec_encode(p, WAL_REC_ENTRY, e->type, group, e->term, e->index, e->data,
                       e->len);
        rv = wal_group_apply_entry(w, g, e, seg, off, w->pending->seq, true);
        PASSERT(rv == 0); /* checked above */
        touch(w, g);
        if (!g->flush_appended || e->index < g->flush_lo) g->flush_lo = e->index;
        g->flush_appended = true;
    }
    if (was_empty) w->pins_dirty = true;
    return 0;
}

int wal_set_hard_state(wal *w, uint64_t group, const raft_hard_state *hs)
{
    int rv = usable(w);
    if (rv != 0) return rv;
    wal_group *g;
    if ((rv = wal_group_get(w, group, &g)) != 0) return rv;
    emit_hard_state(w, g, hs);
    return 0;
}

int wal_set_hard_state_lazy(wal *w, uint64_t group, const raft_hard_state *hs)
{
    w->lazy_emit = true;
    int rv = wal_set_hard_state(w, group, hs);
    w->lazy_emit = false;
    return rv;
}

int wal_truncate(wal *w, uint64_t group, raft_index from_index)
{
    int rv = usable(w);
    if (rv != 0) return rv;
    wal_group *g = wal_group_find(w, group);
    if (g == NULL || !g->log_known || from_index > g->last) return 0;
    if (from_index < g->first) return POLIS_EINVAL;
    if (over_limit(w, WAL_RECORD_HEADER_BYTES)) return POLIS_EBUSY;
    emit_truncate(w, g, from_index);
    return 0;
}

int wal_compact(wal *w, uint64_t group, raft_index first_index, raft_term prev_term)
{
    int rv = usable(w);
    if (rv != 0) return rv;
    if (first_index == 0) return POLIS_EINVAL;
    wal_group *g = wal_group_find(w, group);
    if (g != NULL && g->log_known && first_index <= g->first) return 0;
    if (g != NULL && g->log_known && first_index - 1 >= g->first &&
        first_index - 1 <= g->last) {
        /* The entry is in the log: its term is authoritative. */
        raft_term t = wal_group_ent(g, first_index - 1)->term;
        if (prev_term != 0 && prev_term != t) return POLIS_EINVAL;
        prev_term = t;
    }
    if (over_limit(w, WAL_RECORD_HEADER_BYTES)) return POLIS_EBUSY;
    if (g == NULL && (rv = wal_group_get(w, group, &g)) != 0) return rv;
    emit_compact(w, g, first_index, prev_term);
    return 0;
}

int wal_drop_group(wal *w, uint64_t group)
{
    int rv = usable(w);
    if (rv != 0) return rv;
    wal_group *g = wal_group_find(w, group);
    if (g == NULL) return 0;
    if (g->snap_writers > 0) return POLIS_EBUSY;
    uint32_t seg;
    emit_simple(w, g, WAL_REC_DROP, 0, 0, &seg);
    wal_flush *f = w->pending;
    f->touched[g->touched_slot] = NULL;
    if (f->dropped_count == f->dropped_cap) {
        f->dropped_cap = f->dropped_cap ? 2 * f->dropped_cap : 8;
        f->dropped = mem_realloc(f->dropped, f->dropped_cap * sizeof *f->dropped);
    }
    f->dropped[f->dropped_count++] = group;
    wal_snap_drop_group(w, g);
    wal_group_remove(w, g);
    w->pins_dirty = true;
    return 0;
}

/* When a new segment was planned: groups whose only hold on the oldest
 * segment is their hard state or compaction record get those records
 * written again, so that the oldest segment can go once the others let it.
 * Without this one idle group would keep every segment forever. */
void wal_rewrite_meta(wal *w)
{
    dict_iter it;
    dict_iter_start(&it, &w->groups);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) {
        wal_group *g = (wal_group *)n;
        uint64_t entries_pin = g->log_known && g->last >= g->first
                                   ? wal_group_ent(g, g->first)->seg
                                   : UINT64_MAX;
        uint64_t meta_pin = g->has_hs ? g->hs_seg : UINT64_MAX;
        if (g->compact_seg != 0 && g->compact_seg < meta_pin) meta_pin = g->compact_seg;
        if (meta_pin > w->seg_first || meta_pin >= entries_pin || meta_pin >= w->cur_seg)
            continue;
        if (g->has_hs) {
            raft_hard_state hs = g->hs;
            emit_hard_state(w, g, &hs);
        }
        if (g->compact_seg != 0) emit_compact(w, g, g->first, g->prev_term);
    }
    dict_iter_end(&it);
}

/* ---- Reading
 * --------------------------------------------------------------------------- */

static int read_fd(wal *w, uint32_t seg, int *fd)
{
    PASSERT(seg >= w->seg_first && seg <= w->seg_last);
    int *slot = &w->read_fds[seg - w->seg_first];
    if (*slot < 0) {
        char path[WAL_PATH_MAX];
        wal_seg_path(w, seg, path);
        int rv = w->ops->open(w->ops->ctx, path, O_RDONLY, 0);
        if (rv < 0) return POLIS_EIO;
        *slot = rv;
    }
    *fd = *slot;
    return 0;
}

/* Copies the payload of a queued (not yet durable) entry from its flush. */
static void read_queued(const wal *w, const wal_ent *e, uint8_t *dst)
{
    const wal_flush *f =
        w->pending && w->pending->seq == e->flush_seq ? w->pending : w->inflight;
    PASSERT(f != NULL && f->seq == e->flush_seq);
    for (size_t i = 0; i < f->extent_count; i++) {
        const wal_extent *x = &f->extents[i];
        size_t end = i + 1 < f->extent_count ? f->extents[i + 1].buf_off : f->data.len;
        if (x->seg != e->seg || e->off < x->file_off) continue;
        size_t at = x->buf_off + (size_t)(e->off - x->file_off);
        if (at + WAL_RECORD_HEADER_BYTES + e->len > end) continue;
        memcpy(dst, f->data.data + at + WAL_RECORD_HEADER_BYTES, e->len);
        return;
    }
    PASSERT(!"queued entry not found in its flush");
}

/* Reads a durable entry's record from its segment and checks it again. */
static int read_disk(wal *w, const wal_group *g, raft_index index, const wal_ent *e,
                     uint8_t *dst)
{
    int fd;
    int rv = read_fd(w, e->seg, &fd);
    if (rv != 0) return rv;
    uint8_t hdr[WAL_RECORD_HEADER_BYTES];
    rv = wal_pread_full(w->ops, fd, hdr, sizeof hdr, e->off);
    if (rv == 0) rv = wal_pread_full(w->ops, fd, dst, e->len, e->off + sizeof hdr);
    if (rv != 0) return POLIS_EIO;
    uint32_t crc = wal_crc32c(0, hdr, 4);
    crc = wal_crc32c(crc, hdr + 8, sizeof hdr - 8);
    crc = wal_crc32c(crc, dst, e->len);
    if (wal_get_u32(hdr) != WAL_RECORD_HEADER_BYTES + e->len ||
        wal_get_u32(hdr + 4) != crc || hdr[8] != WAL_REC_ENTRY ||
        wal_get_u64(hdr + 12) != g->id || wal_get_u64(hdr + 20) != e->term ||
        wal_get_u64(hdr + 28) != index) {
        char path[WAL_PATH_MAX];
        wal_seg_path(w, e->seg, path);
        wal_open_error_set(NULL, path, e->off,
                           "entry %" PRIu64 " of group %" PRIu64 " reads back damaged",
                           index, g->id);
        return POLIS_ECORRUPT;
    }
    return 0;
}

int wal_entries(wal *w, uint64_t group, raft_index lo, raft_index hi, uint64_t bytes_max,
                raft_entry *out, size_t cap, size_t *count, buf *data)
{
    *count = 0;
    const wal_group *g = wal_group_find(w, group);
    if (g == NULL) return POLIS_ENOTFOUND;
    if (lo > hi || hi > g->last + 1) return POLIS_EINVAL;
    if (lo < g->first && lo < hi) return POLIS_ENOTFOUND;
    /* Size first, so that data is reserved once and the pointers handed
     * out stay valid. */
    size_t n = 0;
    uint64_t bytes = 0;
    for (raft_index i = lo; i < hi && n < cap; i++, n++) {
        const wal_ent *e = wal_group_ent(g, i);
        if (n > 0 && bytes + e->len > bytes_max) break;
        bytes += e->len;
    }
    buf_reserve(data, (size_t)bytes);
    size_t base = data->len;
    for (size_t k = 0; k < n; k++) {
        raft_index i = lo + k;
        const wal_ent *e = wal_group_ent(g, i);
        uint8_t *dst = (uint8_t *)data->data + data->len;
        if (e->cached) {
            if (e->len > 0) memcpy(dst, e->data, e->len);
        } else if (e->flush_seq > w->flush_done_seq) {
            read_queued(w, e, dst);
        } else {
            int rv = read_disk(w, g, i, e, dst);
            if (rv != 0) {
                data->len = base;
                return rv;
            }
        }
        out[k] = (raft_entry){
            .term = e->term, .index = i, .type = e->type, .len = e->len, .data = dst};
        data->len += e->len;
    }
    *count = n;
    return 0;
}

int wal_term(const wal *w, uint64_t group, raft_index index, raft_term *term)
{
    const wal_group *g = wal_group_find(w, group);
    if (g == NULL || !g->log_known || index + 1 < g->first || index > g->last)
        return POLIS_ENOTFOUND;
    *term = index + 1 == g->first ? g->prev_term : wal_group_ent(g, index)->term;
    return 0;
}
