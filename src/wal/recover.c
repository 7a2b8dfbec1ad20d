/* wal/recover.c - recovery: read every segment, check every record, replay.
 *
 * Segments are read whole, in sequence order, and must be consecutive. In
 * each, batches follow the header back to back; a batch is replayed only if
 * all of it is valid (it was one write, so it is all or nothing). Where the
 * data ends, the 52 bytes a batch header would take are zero, and so is
 * every byte after them.
 *
 * What a bad batch means depends on where it is (docs/formats.md,
 * "Recovery"). In any segment but the last, nothing may be bad: each was
 * fdatasynced before the next was created, so no write to it was ever torn;
 * damage there is corruption and stops the node (POLIS_ECORRUPT with file
 * and offset). In the last segment, the final batch may be torn: the write
 * that was in progress at a crash, never acknowledged because its fdatasync
 * never returned. A torn write leaves whole sectors unwritten, which read
 * as zeros in a preallocated file, or cuts the file short, or (a write
 * that stopped part way and whose pages later reached the disk) leaves the
 * batch's end zero. So a bad batch in the last segment is torn, and cut
 * off, when:
 *   - it extends past the end of the file, or
 *   - its last byte is zero (the trailer's last byte is 'D'; for a bad
 *     header, the last byte of the header, the magic's 'H'): no bit flip of
 *     a complete batch makes it zero, or
 *   - its bytes within a 512-byte sector (at or after the first bad byte)
 *     are all zero: that sector never reached the disk (see
 *     overlaps_unwritten() for why a complete batch has no such part), or
 *   - its header has at most WAL_NOISE_BITS_MAX set bits: that is not a
 *     damaged header (which keeps most of its 22-bit magic) but a flipped
 *     bit in the zeroed space after the last batch.
 * Otherwise it is corruption of acknowledged data and the node stops.
 * Non-zero bytes after the end of the data in the last segment are what a
 * torn write left when the sector with its header was lost (or noise); they
 * are zeroed. After the end of any other segment they are corruption. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "wal/wal_int.h"

void wal_open_error_set(wal_open_error *err, const char *path, uint64_t offset,
                        const char *fmt, ...)
{
    char reason[sizeof err->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    log_warning("wal: %s at offset %" PRIu64 " of %s", reason, offset, path);
    if (err == NULL) return;
    snprintf(err->path, sizeof err->path, "%s", path);
    err->offset = offset;
    snprintf(err->reason, sizeof err->reason, "%s", reason);
}

void wal_seg_path(const wal *w, uint64_t seq, char *out)
{
    snprintf(out, WAL_PATH_MAX, "%s/%016" PRIx64 ".wal", w->dir, seq);
}

int wal_fsync_dir(const wal_file_ops *ops, const char *dir)
{
    int fd = ops->open(ops->ctx, dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return fd;
    int rv = ops->fsync(ops->ctx, fd);
    ops->close(ops->ctx, fd);
    return rv;
}

/* ---- Listing ----------------------------------------------------------------------- */

typedef struct seq_list {
    uint64_t *seqs;
    size_t count, cap;
} seq_list;

/* Segment names are exactly 16 lowercase hex digits and ".wal". */
static int collect_segment(void *arg, const char *name)
{
    seq_list *l = arg;
    if (strlen(name) != 20 || strcmp(name + 16, ".wal") != 0) return 0;
    uint64_t seq = 0;
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return 0;
        seq = seq << 4 | (uint64_t)d;
    }
    if (seq == 0 || seq > UINT32_MAX) return 0;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->seqs = mem_realloc(l->seqs, l->cap * sizeof *l->seqs);
    }
    l->seqs[l->count++] = seq;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- Byte-level checks ---------------------------------------------------------------
 */

/* Offset of the first non-zero byte in [lo, hi), or hi. */
static uint64_t first_nonzero(const uint8_t *p, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++)
        if (p[i] != 0) return i;
    return hi;
}

/* True if, in some 512-byte sector overlapping [lo, hi) and ending after
 * `from`, the bytes of [lo, hi) read as never written: all zeros, or past
 * the end of the file. A torn write loses whole sectors, and a lost sector
 * keeps its old content, which for bytes this batch was writing is zeros.
 * No complete batch has such a part: its first part starts with the
 * header's non-zero length byte, its last ends with the trailer's 'D', and
 * a part in between is a whole sector (512 zero bytes of payload would be
 * needed; see docs/formats.md). */
static bool overlaps_unwritten(const uint8_t *p, uint64_t size, uint64_t lo, uint64_t hi,
                               uint64_t from)
{
    if (hi > size) return true;
    for (uint64_t s = lo / WAL_SECTOR_BYTES * WAL_SECTOR_BYTES; s < hi;
         s += WAL_SECTOR_BYTES) {
        if (s + WAL_SECTOR_BYTES <= from) continue;
        uint64_t a = s > lo ? s : lo;
        uint64_t b = s + WAL_SECTOR_BYTES < hi ? s + WAL_SECTOR_BYTES : hi;
        if (first_nonzero(p, a, b) == b) return true;
    }
    return false;
}

static unsigned popcount_range(const uint8_t *p, uint64_t lo, uint64_t hi)
{
    unsigned bits = 0;
    for (uint64_t i = lo; i < hi; i++)
        bits += (unsigned)__builtin_popcount(p[i]);
    return bits;
}

/* ---- One segment
 * ------------------------------------------------------------------------- */

typedef struct scan {
    wal *w;
    wal_open_error *err;
    char path[WAL_PATH_MAX];
    uint64_t seq;
    bool last;
    const uint8_t *p;
    uint64_t size;
    uint64_t end; /* where valid data ends (the tail, for the last segment) */
    bool torn;    /* the last segment needs its tail zeroed */
} scan;

static int corrupt(scan *s, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int corrupt(scan *s, uint64_t offset, const char *fmt, ...)
{
    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    wal_open_error_set(s->err, s->path, offset, "%s", reason);
    return POLIS_ECORRUPT;
}

/* ---- Replay
 * ----------------------------------------------------------------------------
 *
 * Old segments are deleted once no group needs them, so the retained log
 * may begin in the middle of a group's history: its records can refer to
 * entries that lived in deleted segments. Those entries are always ones a
 * later record discards (a compaction past them or a truncation at or
 * below them); otherwise the group would still have needed them and their
 * segment would still be there. Replay therefore tracks, per group, a run
 * of missing entries [gap_lo, gap_hi) just before the known part of the
 * log (which starts at first == gap_hi), and fails the recovery if a gap
 * is still open at the end: entries a group needs are missing.
 *
 * Gaps appear when an entry jumps past an empty log (its predecessors are
 * gone), or when a COMPACT is below the first entry seen (compaction points
 * only grow within a log, so the entries between are gone). */

static void gap_open(wal_group *g, raft_index lo, raft_index hi, raft_term prev_term,
                     uint64_t seg, uint64_t off)
{
    if (g->gap_hi == 0) {
        g->gap_lo = lo;
        g->gap_prev_term = prev_term;
        g->gap_seg = (uint32_t)seg;
        g->gap_off = (uint32_t)off;
    }
    g->gap_hi = hi;
}

static int replay_entry(scan *s, wal_group *g, const wal_rec *r, uint64_t off)
{
    wal *w = s->w;
    raft_entry e = {.term = r->term,
                    .index = r->index,
                    .type = r->flags,
                    .len = r->payload_len,
                    .data = (uint8_t *)(uintptr_t)r->payload};
    if (r->payload_len > w->opts.entry_bytes_max)
        return corrupt(s, off, "entry larger than entry_bytes_max");
    if (g->log_known && r->index > g->last + 1) {
        /* Only an empty log may be followed by a jump: entries after
         * retained entries are retained too (segments go oldest first). */
        if (g->last >= g->first)
            return corrupt(s, off,
                           "entry %" PRIu64 " of group %" PRIu64
                           " leaves a gap after index %" PRIu64,
                           r->index, r->group, g->last);
        gap_open(g, g->first, r->index, g->prev_term, s->seq, off);
        wal_group_log_reset(w, g, r->index, 0);
    }
    if (wal_group_apply_entry(w, g, &e, (uint32_t)s->seq, (uint32_t)off, 0, true) != 0)
        return corrupt(s, off,
                       "entry %" PRIu64 " of group %" PRIu64 " overwrites index %" PRIu64
                       " without a truncation",
                       r->index, r->group, g->last);
    return 0;
}

static void replay_truncate(wal *w, wal_group *g, raft_index from)
{
    if (!g->log_known || from <= g->last) wal_group_apply_truncate(w, g, from);
    if (g->gap_hi == 0 || from > g->gap_hi) return;
    if (from <= g->gap_lo) {
        /* The missing entries are gone too: the log is the empty one from
         * before the gap, cut at `from`. */
        g->gap_hi = 0;
        if (from == g->gap_lo) g->prev_term = g->gap_prev_term;
    } else {
        g->gap_hi = from; /* [gap_lo, from) is still missing */
    }
}

static void replay_compact(wal *w, wal_group *g, raft_index first, raft_term term,
                           uint64_t seg, uint64_t off)
{
    if (g->log_known && first < g->first) {
        /* Below the first entry seen: those between are missing. */
        if (g->gap_hi == 0) {
            gap_open(g, first, g->first, term, seg, off);
        } else if (first > g->gap_lo) {
            g->gap_lo = first;
            g->gap_prev_term = term;
        }
        g->compact_seg = (uint32_t)seg;
        return;
    }
    wal_group_apply_compact(w, g, first, term, (uint32_t)seg);
    g->gap_hi = 0; /* whatever was missing is discarded */
}

/* Replays one record of a validated batch into the groups. */
static int replay(scan *s, const wal_rec *r, uint64_t off)
{
    wal *w = s->w;
    wal_group *g = NULL;
    if (r->type == WAL_REC_DROP) {
        g = wal_group_find(w, r->group);
        if (g != NULL) wal_group_remove(w, g);
        return 0;
    }
    if (wal_group_get(w, r->group, &g) != 0) {
        wal_open_error_set(s->err, s->path, off, "more groups than groups_max");
        return POLIS_ELIMIT;
    }
    switch (r->type) {
    case WAL_REC_ENTRY:
        return replay_entry(s, g, r, off);
    case WAL_REC_HARD_STATE:
        if (r->payload_len != WAL_HARD_STATE_PAYLOAD_BYTES)
            return corrupt(s, off, "bad hard state record");
        g->has_hs = true;
        g->hs = (raft_hard_state){
            .term = r->term, .vote = wal_get_u64(r->payload), .commit = r->index};
        g->hs_seg = (uint32_t)s->seq;
        return 0;
    case WAL_REC_TRUNCATE:
        replay_truncate(w, g, r->index);
        return 0;
    case WAL_REC_COMPACT:
        replay_compact(w, g, r->index, r->term, s->seq, off);
        return 0;
    }
    return corrupt(s, off, "unexpected record type %u", r->type);
}

/* Checks the batch at pos. Returns 0 and its length, or the offset of the
 * first bad byte (*bad_at) and why (*why), with *header_bad when the batch
 * header itself is bad (then the length is unknown). */
static bool check_batch(scan *s, uint64_t pos, uint64_t expect_seq, uint64_t *length,
                        uint64_t *bad_at, const char **why, bool *header_bad)
{
    bool skip_crc = s->w->opts.bugs & WAL_BUG_SKIP_CRC;
    wal_rec r;
    *header_bad = true;
    *bad_at = pos;
    enum wal_rec_status st = wal_rec_decode(s->p + pos, s->size - pos, skip_crc, &r);
    if (st != WAL_REC_OK) {
        *why = wal_rec_status_str(st);
        return false;
    }
    uint32_t batch_bytes =
        r.payload_len == WAL_BATCH_PAYLOAD_BYTES ? wal_get_u32(r.payload) : 0;
    if (r.type != WAL_REC_BATCH || r.length != WAL_BATCH_HEADER_BYTES ||
        wal_get_u64(r.payload + 8) != WAL_BATCH_MAGIC ||
        batch_bytes < WAL_BATCH_OVERHEAD_BYTES) {
        *why = "bad batch header";
        return false;
    }
    *header_bad = false;
    if (expect_seq != 0 && r.index != expect_seq) {
        *why = "batch out of sequence";
        return false;
    }
    *length = batch_bytes;
    uint64_t end = pos + batch_bytes;
    if (end > s->size) {
        *bad_at = s->size;
        *why = "batch extends past the end of the file";
        return false;
    }
    uint64_t records_end = end - WAL_BATCH_TRAILER_BYTES;
    uint64_t off = pos + WAL_BATCH_HEADER_BYTES;
    uint32_t count = wal_get_u32(r.payload + 4);
    for (uint32_t i = 0; i < count; i++) {
        wal_rec x;
        *bad_at = off;
        st = off <= records_end
                 ? wal_rec_decode(s->p + off, records_end - off, skip_crc, &x)
                 : WAL_REC_SHORT;
        if (st != WAL_REC_OK || x.type == WAL_REC_BATCH) {
            *why =
                st != WAL_REC_OK ? wal_rec_status_str(st) : "batch header inside a batch";
            return false;
        }
        off += x.length;
    }
    *bad_at = off;
    if (off != records_end) {
        *why = "records do not fill their batch";
        return false;
    }
    if (!wal_batch_trailer_ok(s->p + records_end, r.index)) {
        *why = "bad batch trailer";
        return false;
    }
    return true;
}

static int replay_batch(scan *s, uint64_t pos)
{
    wal_rec r;
    enum wal_rec_status st = wal_rec_decode(s->p + pos, s->size - pos, true, &r);
    PASSERT(st == WAL_REC_OK); /* check_batch passed */
    uint32_t count = wal_get_u32(r.payload + 4);
    uint64_t off = pos + WAL_BATCH_HEADER_BYTES;
    for (uint32_t i = 0; i < count; i++) {
        wal_rec x;
        st = wal_rec_decode(s->p + off, s->size - off, true, &x);
        PASSERT(st == WAL_REC_OK);
        int rv = replay(s, &x, off);
        if (rv != 0) return rv;
        off += x.length;
    }
    s->w->next_batch_seq = r.index + 1;
    s->w->stats.batches++;
    return 0;
}

/* Decides about a bad batch at pos (see the top of the file). */
static int bad_batch(scan *s, uint64_t pos, uint64_t length, uint64_t bad_at,
                     const char *why, bool header_bad)
{
    if (s->last) {
        uint64_t hdr_end = pos + WAL_BATCH_HEADER_BYTES;
        uint64_t hdr_avail = hdr_end < s->size ? hdr_end : s->size;
        bool torn;
        if (header_bad)
            torn = overlaps_unwritten(s->p, s->size, pos, hdr_end, pos) ||
                   s->p[hdr_end - 1] == 0 ||
                   popcount_range(s->p, pos, hdr_avail) <= WAL_NOISE_BITS_MAX;
        else if (strcmp(why, "batch out of sequence") == 0)
            torn = false; /* a valid header from another time: not a torn write */
        else
            torn = overlaps_unwritten(s->p, s->size, pos, pos + length, bad_at) ||
                   s->p[pos + length - 1] == 0;
        if (torn) {
            log_warning("wal: torn batch at offset %" PRIu64 " of %s (%s): never "
                        "acknowledged, cutting it off",
                        pos, s->path, why);
            s->end = pos;
            s->torn = true;
            return 0;
        }
    }
    return corrupt(s, bad_at, "%s", why);
}

static int scan_batches(scan *s)
{
    uint64_t pos = WAL_SEGMENT_HEADER_BYTES;
    for (;;) {
        uint64_t probe = pos + WAL_BATCH_HEADER_BYTES < s->size
                             ? pos + WAL_BATCH_HEADER_BYTES
                             : s->size;
        if (first_nonzero(s->p, pos, probe) == probe) break; /* end of data */
        uint64_t length = 0, bad_at = pos;
        const char *why = NULL;
        bool header_bad = false;
        /* The first batch found may have any number (older segments may
         * have been deleted); each later one must be the next. */
        uint64_t expect = s->w->stats.batches > 0 ? s->w->next_batch_seq : 0;
        if (!check_batch(s, pos, expect, &length, &bad_at, &why, &header_bad))
            return bad_batch(s, pos, length, bad_at, why, header_bad);
        int rv = replay_batch(s, pos);
        if (rv != 0) return rv;
        pos += length;
    }
    s->end = pos;
    uint64_t junk = first_nonzero(s->p, pos, s->size);
    if (junk == s->size) return 0;
    if (!s->last) return corrupt(s, junk, "non-zero bytes after the end of the data");
    log_warning("wal: non-zero bytes at offset %" PRIu64 " of %s after the last batch "
                "(at %" PRIu64 "): left by a torn write, zeroing them",
                junk, s->path, pos);
    s->torn = true;
    return 0;
}

/* Zeroes [from, size) where it is not zero, restores the preallocated size,
 * and makes that durable before anything is appended after it. */
static int repair_tail(scan *s, int fd)
{
    const wal_file_ops *ops = s->w->ops;
    uint64_t junk_end = s->size;
    while (junk_end > s->end && s->p[junk_end - 1] == 0)
        junk_end--;
    static const uint8_t zeros[4096];
    for (uint64_t off = s->end; off < junk_end;) {
        size_t n =
            junk_end - off < sizeof zeros ? (size_t)(junk_end - off) : sizeof zeros;
        int rv = wal_pwrite_full(ops, fd, zeros, n, off);
        if (rv != 0) return rv;
        off += n;
    }
    if (s->size < s->w->opts.segment_bytes) {
        int rv =
            ops->fallocate(ops->ctx, fd, s->size, s->w->opts.segment_bytes - s->size);
        if (rv != 0) return rv;
    }
    return ops->fdatasync(ops->ctx, fd);
}

static int read_segment(scan *s, int fd, uint8_t **data)
{
    const wal_file_ops *ops = s->w->ops;
    int rv = ops->size(ops->ctx, fd, &s->size);
    if (rv != 0) return rv;
    if (s->size > WAL_SEGMENT_BYTES_LIMIT) return corrupt(s, 0, "segment file too large");
    *data = mem_alloc(s->size ? s->size : 1);
    s->p = *data;
    return wal_pread_full(ops, fd, *data, s->size, 0);
}

/* True if segment `seq` is an empty file whose creation a crash interrupted:
 * its header is not valid and nothing was ever written after it (batches
 * are written only once the header is durable). */
static int creation_interrupted(wal *w, uint64_t seq, bool *interrupted)
{
    const wal_file_ops *ops = w->ops;
    scan s = {.w = w, .seq = seq};
    wal_seg_path(w, seq, s.path);
    *interrupted = false;
    int fd = ops->open(ops->ctx, s.path, O_RDONLY, 0);
    if (fd < 0) return fd;
    uint8_t *data = NULL;
    int rv = read_segment(&s, fd, &data);
    ops->close(ops->ctx, fd);
    if (rv == 0 &&
        (s.size < WAL_SEGMENT_HEADER_BYTES || !wal_segment_header_ok(s.p, seq))) {
        uint64_t from =
            s.size < WAL_SEGMENT_HEADER_BYTES ? s.size : WAL_SEGMENT_HEADER_BYTES;
        *interrupted = first_nonzero(s.p, from, s.size) == s.size;
    }
    mem_free(data);
    return rv;
}

/* Recovers one segment: checks, replays, and for the last one repairs the
 * tail and hands its descriptor to the writer. */
static int recover_segment(wal *w, uint64_t seq, bool last, wal_open_error *err)
{
    const wal_file_ops *ops = w->ops;
    scan s = {.w = w, .err = err, .seq = seq, .last = last};
    wal_seg_path(w, seq, s.path);
    int fd = ops->open(ops->ctx, s.path, last ? O_RDWR : O_RDONLY, 0);
    if (fd < 0) {
        wal_open_error_set(err, s.path, 0, "cannot open: %s", strerror(-fd));
        return POLIS_EIO;
    }
    uint8_t *data = NULL;
    int rv = read_segment(&s, fd, &data);
    if (rv < 0 && rv > POLIS_E_FIRST_) {
        wal_open_error_set(err, s.path, 0, "cannot read: %s", strerror(-rv));
        rv = POLIS_EIO;
    }
    if (rv != 0) goto out;
    if (s.size < WAL_SEGMENT_HEADER_BYTES || !wal_segment_header_ok(s.p, seq)) {
        rv = corrupt(&s, 0, "bad segment header");
        goto out;
    }
    rv = scan_batches(&s);
    if (rv != 0 || !last) goto out;
    /* What recovery read may still be only in the page cache (after a
     * process crash, an unsynced write survives until the machine goes
     * down): make it durable before anything is built on it. */
    rv = s.torn || s.size < w->opts.segment_bytes ? repair_tail(&s, fd)
                                                  : ops->fdatasync(ops->ctx, fd);
    if (rv != 0) {
        wal_open_error_set(err, s.path, s.end, "cannot repair or sync the tail: %s",
                           strerror(-rv));
        rv = POLIS_EIO;
        goto out;
    }
    w->io.fd = fd;
    w->io.seg = seq;
    w->io.end = w->io.zeroed = s.end;
    fd = -1;
    w->cur_seg = seq;
    w->cur_off = s.end;
out:
    if (fd >= 0) ops->close(ops->ctx, fd);
    mem_free(data);
    return rv;
}

/* A gap in a group's entries that no later compaction covered: entries
 * the group still needs are missing. */
static int check_gaps(wal *w, wal_open_error *err)
{
    int rv = 0;
    dict_iter it;
    dict_iter_start(&it, &w->groups);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL && rv == 0) {
        wal_group *g = (wal_group *)n;
        if (g->gap_hi == 0) continue;
        char path[WAL_PATH_MAX];
        wal_seg_path(w, g->gap_seg, path);
        wal_open_error_set(err, path, g->gap_off,
                           "entries %" PRIu64 "..%" PRIu64 " of group %" PRIu64
                           " are missing",
                           g->gap_lo, g->gap_hi - 1, g->id);
        rv = POLIS_ECORRUPT;
    }
    dict_iter_end(&it);
    return rv;
}

int wal_recover(wal *w, wal_open_error *err)
{
    seq_list l = {0};
    int rv = w->ops->list(w->ops->ctx, w->dir, collect_segment, &l);
    if (rv != 0) {
        wal_open_error_set(err, w->dir, 0, "cannot list: %s", strerror(-rv));
        goto out;
    }
    if (l.count > 1) qsort(l.seqs, l.count, sizeof *l.seqs, cmp_u64);
    for (size_t i = 1; i < l.count; i++) {
        if (l.seqs[i] == l.seqs[i - 1] + 1) continue;
        char path[WAL_PATH_MAX];
        wal_seg_path(w, l.seqs[i - 1] + 1, path);
        wal_open_error_set(err, path, 0, "segment missing (the log has a gap)");
        rv = POLIS_ECORRUPT;
        goto out;
    }
    uint64_t next_seq = l.count ? l.seqs[l.count - 1] + 1 : 1;
    if (l.count > 0) {
        bool interrupted = false;
        char path[WAL_PATH_MAX];
        wal_seg_path(w, l.seqs[l.count - 1], path);
        rv = creation_interrupted(w, l.seqs[l.count - 1], &interrupted);
        if (rv == 0 && interrupted) {
            log_warning("wal: removing %s: its creation never completed", path);
            next_seq = l.seqs[--l.count];
            rv = w->ops->unlink(w->ops->ctx, path);
            if (rv == 0) rv = wal_fsync_dir(w->ops, w->dir);
        }
        if (rv != 0) {
            wal_open_error_set(err, path, 0, "cannot read or remove: %s", strerror(-rv));
            rv = POLIS_EIO;
            goto out;
        }
    }
    /* Without a segment, the first batch creates segment next_seq. */
    w->seg_first = l.count ? l.seqs[0] : next_seq;
    w->seg_last = w->seg_first - 1;
    w->cur_seg = next_seq - 1;
    w->cur_off = w->opts.segment_bytes;
    w->next_batch_seq = 1;
    for (size_t i = 0; i < l.count && rv == 0; i++) {
        rv = recover_segment(w, l.seqs[i], i + 1 == l.count, err);
        if (rv == 0) w->seg_last = l.seqs[i];
    }
    if (rv == 0 && l.count > 0) {
        /* The names too: the last segment's creation may not have reached
         * its directory fsync before a crash. */
        rv = wal_fsync_dir(w->ops, w->dir);
        if (rv != 0) {
            wal_open_error_set(err, w->dir, 0, "cannot fsync: %s", strerror(-rv));
            rv = POLIS_EIO;
        }
    }
    if (rv == 0) rv = check_gaps(w, err);
    if (rv == 0 && w->seg_last >= w->seg_first) {
        /* Read descriptors of the recovered segments open on demand. */
        w->read_fd_cap = (size_t)(w->seg_last - w->seg_first + 1);
        w->read_fds = mem_alloc(w->read_fd_cap * sizeof *w->read_fds);
        for (size_t i = 0; i < w->read_fd_cap; i++)
            w->read_fds[i] = -1;
    }
out:
    mem_free(l.seqs);
    return rv;
}
