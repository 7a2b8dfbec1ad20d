/* wal/wal_int.h - internal structures of wal/, shared by its files:
 * group.c (per-group index, cache and state changes), recover.c (scan and
 * replay), io.c (threads and the flush job), snapshot.c (snapshot store),
 * wal.c (the public API, batching and completions). Not for other modules.
 *
 * Threads: the loop thread owns everything here except `wal_io` (the log
 * writer's file, touched only by the I/O thread once it runs) and a job
 * while it is queued or running on a worker. Workers allocate nothing with
 * mem_alloc (its counter is not thread-safe). */
#ifndef POLIS_WAL_WAL_INT_H
#define POLIS_WAL_WAL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/dict.h"
#include "wal/format.h"
#include "wal/wal.h"

#define WAL_PATH_MAX 512
/* Room left in a path for the names the WAL puts in its directory. */
#define WAL_DIR_MAX  440
#define WAL_SNAP_DIR "snap"

/* One entry of a group's log: where its record is and, maybe, its payload. */
typedef struct wal_ent {
    raft_term term;
    uint64_t flush_seq; /* the flush carrying its record; durable once
                           <= wal.flush_done_seq (0 = recovered) */
    uint8_t *data;      /* cached payload (mem_alloc), NULL if not cached */
    uint32_t seg;       /* segment sequence number */
    uint32_t off;       /* offset of the record in the segment */
    uint32_t len;       /* payload bytes */
    uint8_t type;       /* raft entry type */
    bool cached;
} wal_ent;

/* One snapshot file of a group. */
typedef struct wal_snap {
    raft_snapshot_meta meta;
    uint32_t header_bytes;
} wal_snap;

typedef struct wal_group {
    dict_node node; /* first: the dict hands back this pointer */
    uint8_t key[8]; /* the id, little-endian, as the dict key */
    uint64_t id;

    bool has_hs;
    raft_hard_state hs;
    uint32_t hs_seg; /* segment of the newest hard-state record */

    /* The log: entries [first, last]; empty when last == first - 1. Until
     * log_known, no entry, truncation or compaction fixed `first` (a group
     * known only by its hard state or snapshot): the next entry may then
     * start at any index. */
    bool log_known;
    raft_index first, last;
    raft_term prev_term;  /* term of entry first - 1, 0 if unknown */
    uint32_t compact_seg; /* segment of the newest COMPACT record, 0 if none */
    wal_ent *ents;        /* ring: entry i at ents[(head + i - first) & (cap - 1)] */
    size_t ents_cap;      /* a power of two, or 0 */
    size_t head;

    /* Cache: entries >= cache_scan may be cached (eviction starts there). */
    raft_index cache_scan;
    uint64_t cache_bytes;

    /* Part of the pending flush (touched_seq == pending flush's seq). */
    uint64_t touched_seq;
    size_t touched_slot;
    bool flush_appended;
    raft_index flush_lo;
    bool flush_hs;
    size_t flush_hs_off; /* offset of its HARD_STATE record in the buffer */

    /* Recovery only: entries [gap_lo, gap_hi) are missing (the log jumped
     * at the record at (gap_seg, gap_off)); legitimate only if a later
     * record discards them, else corruption (see recover.c). gap_hi = 0:
     * no gap. */
    raft_index gap_lo, gap_hi;
    raft_term gap_prev_term; /* term of entry gap_lo - 1 */
    uint32_t gap_seg, gap_off;

    wal_snap *snaps; /* ascending by index */
    size_t snap_count;
    int snap_writers;
} wal_group;

/* ---- Jobs and workers -------------------------------------------------------- */

typedef struct wal_job wal_job;
struct wal_job {
    wal_job *next;
    wal *w;
    void (*run)(wal_job *job);  /* on the worker thread */
    void (*done)(wal_job *job); /* then on the loop thread */
};

typedef struct wal_worker {
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    wal_job *head, *tail;
    bool stop;
    bool started;
    wal *w;
} wal_worker;

/* A part of a flush: bytes of the buffer written at an offset of one segment
 * (which the I/O thread creates first if `create`). */
typedef struct wal_extent {
    uint64_t seg;
    uint64_t file_off;
    size_t buf_off;
    size_t len;
    bool create;
} wal_extent;

/* One round of group commit: the records queued during one loop iteration,
 * written with one write per segment touched and one fdatasync. */
typedef struct wal_flush {
    wal_job job; /* first */
    uint64_t seq;
    buf data;
    wal_extent *extents;
    size_t extent_count, extent_cap;
    uint64_t delete_lo, delete_hi; /* segments [lo, hi) to delete after the sync */
    wal_group **touched;           /* groups with records in it (NULL: dropped) */
    size_t touched_count, touched_cap;
    uint64_t *dropped;
    size_t dropped_count, dropped_cap;
    wal_durable *report;
    size_t report_count, report_cap;
    uint64_t records, batches;
    uint64_t start_ns, fsync_ns; /* for wal_stats */
    bool urgent; /* something waits for it; else only lazy records: not started */
    /* Results, set by the I/O thread. */
    int status;
    int sys_errno;
    char what[WAL_PATH_MAX + 32];
    uint32_t fsyncs;
    uint32_t segments_created;
    uint32_t segments_deleted;
} wal_flush;

/* The log writer's state, owned by the I/O thread once it runs. */
typedef struct wal_io {
    int fd;       /* the segment being written, or -1 */
    uint64_t seg; /* its sequence number */
    bool dirty;   /* written since the last fdatasync */
    uint64_t end;    /* where the log's bytes in it end */
    uint64_t zeroed; /* zeros were written up to here (zero_ahead_bytes) */
} wal_io;

struct wal {
    bool lazy_emit; /* records being queued do not by themselves ask for a flush */
    uv_loop_t *loop;
    wal_options opts;
    const wal_file_ops *ops;
    char dir[WAL_DIR_MAX];
    char snap_dir[WAL_DIR_MAX + 8];
    int failed;

    dict groups;
    size_t group_count;

    /* Segments on disk or planned: [seg_first, seg_last]; read_fds[i] is a
     * read-only descriptor of segment seg_first + i (-1 until needed). */
    uint64_t seg_first, seg_last;
    int *read_fds;
    size_t read_fd_cap;

    /* Layout planning: where the next batch goes. */
    uint64_t cur_seg, cur_off;
    uint64_t next_batch_seq;
    bool frame_open;
    size_t frame_buf_off;
    uint64_t frame_file_off;
    uint32_t frame_records;
    bool rolled;     /* a new segment was planned: rewrite pinning meta */
    bool pins_dirty; /* a change may let old segments go */

    wal_flush *pending;  /* being filled */
    wal_flush *inflight; /* on the I/O thread (at most one) */
    wal_flush *spare;    /* a finished flush kept for its buffers */
    uint64_t next_flush_seq;
    uint64_t flush_done_seq;
    uint64_t queued_bytes;
    uint64_t cache_bytes;
    wal_sync_req *sync_head, *sync_tail;

    uv_prepare_t prepare;
    uv_async_t async;
    bool closing, abandoning, finalizing;
    int handles_open;
    wal_close_cb *close_cb;
    void *close_arg;

    wal_worker io_worker, snap_worker;
    wal_io io;
    uv_mutex_t done_mu;
    wal_job *done_head, *done_tail;
    int snap_jobs; /* snapshot jobs queued or running */
    struct wal_snapshot_writer **writers;
    size_t writer_count, writer_cap;

    wal_stats stats;
};

/* ---- group.c ------------------------------------------------------------------- */

void wal_groups_init(wal *w);
void wal_groups_free(wal *w);
wal_group *wal_group_find(const wal *w, uint64_t id);
/* Finds or creates; POLIS_ELIMIT beyond groups_max. */
int wal_group_get(wal *w, uint64_t id, wal_group **out);
void wal_group_remove(wal *w, wal_group *g);
wal_ent *wal_group_ent(const wal_group *g, raft_index index);
/* The oldest segment the group still needs (UINT64_MAX: none). */
uint64_t wal_group_pin(const wal_group *g);
raft_index wal_group_durable_index(const wal *w, const wal_group *g);

/* State changes, shared by the API and by recovery's replay so that both
 * agree by construction. Positions (seg, off) are the record's. */
int wal_group_apply_entry(wal *w, wal_group *g, const raft_entry *e, uint32_t seg,
                          uint32_t off, uint64_t flush_seq, bool cache);
void wal_group_apply_truncate(wal *w, wal_group *g, raft_index from);
void wal_group_apply_compact(wal *w, wal_group *g, raft_index first, raft_term prev_term,
                             uint32_t seg);
void wal_group_cache_trim(wal *w, wal_group *g);
/* Empties the log; it continues at `first`. */
void wal_group_log_reset(wal *w, wal_group *g, raft_index first, raft_term prev_term);

/* ---- recover.c ----------------------------------------------------------------- */

int wal_recover(wal *w, wal_open_error *err);
void wal_seg_path(const wal *w, uint64_t seq, char *out);
/* fsync of a directory through the ops. */
int wal_fsync_dir(const wal_file_ops *ops, const char *dir);
void wal_open_error_set(wal_open_error *err, const char *path, uint64_t offset,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- io.c ------------------------------------------------------------------------ */

int wal_worker_start(wal *w, wal_worker *wk);
void wal_worker_stop(wal_worker *wk);
void wal_worker_post(wal_worker *wk, wal_job *job);
/* Runs on the loop: finishes the jobs the workers completed. */
void wal_jobs_drain(wal *w);
void wal_flush_run(wal_job *job);
/* Writes all of len bytes (looping on short writes); 0 or -errno. */
int wal_pwrite_full(const wal_file_ops *ops, int fd, const void *src, size_t len,
                    uint64_t off);
int wal_pread_full(const wal_file_ops *ops, int fd, void *dst, size_t len, uint64_t off);

/* ---- snapshot.c ------------------------------------------------------------------- */

int wal_snap_recover(wal *w);
void wal_snap_drop_group(wal *w, wal_group *g);
void wal_snap_abort_all(wal *w);

/* ---- append.c
 * ---------------------------------------------------------------------------- */

void wal_frame_close(wal *w);
void wal_rewrite_meta(wal *w);

/* ---- wal.c ----------------------------------------------------------------------------
 */

/* Marks the WAL failed for good (first error wins) and logs why. */
void wal_fail(wal *w, int status, const char *what, int sys_errno);
void wal_update_ref(wal *w);
void wal_maybe_finish_close(wal *w);

#endif
