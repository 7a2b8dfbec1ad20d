/* wal/wal.h - the node's write-ahead log and snapshot store.
 *
 * One log per node, shared by every Raft group the node hosts (as TiKV's
 * raft-engine): entries, hard states, truncations, compactions and group
 * drops of all groups are records in one sequence of preallocated segment
 * files. Records queued during one event-loop iteration are written by one
 * write and made durable by one fdatasync on an I/O thread (group commit);
 * a completion callback on the loop then says which (group, index) ranges
 * and hard states are durable. Snapshots are files per group, written on a
 * second thread to a temp file, fsynced, renamed, and the directory fsynced.
 *
 * Owns: the files under its directory (segment files NNN.wal and the snap/ folder), the
 * I/O and snapshot threads, the in-memory index of every group's log (index -> segment,
 * offset, term) and a per-group cache of recent entries. May call: base/, libuv (loop
 * handles, threads), the file operations given in wal_options (POSIX by default), ISA-L
 * (CRC32C). Must never: block the event loop on a write or an fsync (wal_open's recovery,
 * wal_entries' reads of old entries and wal_snapshot_read are the synchronous exceptions:
 * startup, and rare catch-up reads); retry a failed fsync or carry on after one (the log
 * is then failed for good); skip a damaged record silently; acknowledge a record before
 * its fdatasync returned.
 *
 * Threads: every function here is called on the loop thread. Callbacks run
 * on the loop thread. On-disk format: docs/formats.md and wal/format.h.
 * Design: docs/design/002-wal.md.
 *
 * ---- How a Raft host uses it ------------------------------------------------
 *
 *  1. wal_open() recovers; for each group in wal_group_list(), read
 *     wal_group_info() (hard state, first/last index, newest snapshot) and
 *     the entries after the snapshot with wal_entries(), then raft_new().
 *  2. For each ready batch: wal_append(entries), wal_set_hard_state(hs);
 *     send rd.msgs at once. The loop iteration ends, the WAL flushes every
 *     group's records with one write + one fdatasync, and on_durable lists
 *     each group whose records became durable; then send
 *     msgs_after_persist and call raft_advance() for that group.
 *  3. After raft_snapshot_taken(): wal_compact(group, index - keep + 1).
 *     On installing a snapshot received from the leader: write it with
 *     wal_snapshot_begin/write/finish, then wal_compact(group, index + 1,
 *     term), which empties the log up to there.
 */
#ifndef POLIS_WAL_WAL_H
#define POLIS_WAL_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/buf.h"
#include "base/error.h"
#include "raft/raft.h"

typedef struct wal wal;

/* ---- File operations: the seam tests replace ------------------------------
 *
 * Every file access of the WAL goes through this table, so that tests can
 * inject short writes, ENOSPC and EIO, and the simulator can keep a disk in
 * memory that loses unsynced writes on a crash (wal/simfs.h). Functions
 * return >= 0 on success and -errno on failure (libuv style); `flags` and
 * `mode` are POSIX open(2) values. They are called from the loop thread and
 * from the WAL's two threads, so an implementation must be thread-safe. */
typedef int wal_list_fn(void *arg, const char *name);
typedef struct wal_file_ops {
    void *ctx;
    int (*open)(void *ctx, const char *path, int flags, int mode); /* fd */
    int (*close)(void *ctx, int fd);
    int64_t (*pread)(void *ctx, int fd, void *dst, size_t len, uint64_t off);
    /* May write fewer bytes than asked (the WAL writes the rest). */
    int64_t (*pwrite)(void *ctx, int fd, const void *src, size_t len, uint64_t off);
    int (*fdatasync)(void *ctx, int fd);
    int (*fsync)(void *ctx, int fd); /* files and directories */
    int (*ftruncate)(void *ctx, int fd, uint64_t len);
    /* Allocates [off, off + len) zero-filled, extending the file. */
    int (*fallocate)(void *ctx, int fd, uint64_t off, uint64_t len);
    /* Starts writing back [off, off + len) without waiting; may be NULL. */
    int (*writeback)(void *ctx, int fd, uint64_t off, uint64_t len);
    int (*size)(void *ctx, int fd, uint64_t *size);
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*unlink)(void *ctx, const char *path);
    int (*mkdir)(void *ctx, const char *path, int mode); /* -EEXIST if there */
    /* Calls fn(arg, name) for each entry of a directory but "." and ".."; a
     * non-zero return from fn stops the listing and is returned. */
    int (*list)(void *ctx, const char *dir, wal_list_fn *fn, void *arg);
} wal_file_ops;

/* The real file system (open, pwrite, fdatasync, posix_fallocate...). */
const wal_file_ops *wal_posix_file_ops(void);

/* ---- Durability reports ----------------------------------------------------- */

/* What one flush made durable for one group. */
typedef struct wal_durable {
    uint64_t group;
    raft_index lo, hi;     /* entries [lo, hi] appended in this flush are
                              durable; lo = hi = 0 if it appended none */
    raft_index last_index; /* the group's last index once the flush's
                              records apply (after truncations in it) */
    bool has_hard_state;   /* the flush wrote this hard state */
    raft_hard_state hard_state;
    bool dropped; /* the flush wrote the group's drop */
} wal_durable;

/* Called once per flush on the loop thread. status 0: `groups[0..count)`
 * are durable. status < 0: the flush failed (write or fdatasync error);
 * count is 0, nothing in it may be assumed durable, and the WAL is failed:
 * every later call returns the same error. `groups` is valid during the
 * call only. The callback may append, sync or compact. */
typedef void wal_durable_cb(void *arg, const wal_durable *groups, size_t count,
                            int status);

/* ---- Options ------------------------------------------------------------------ */

/* Deliberate bugs that let tests prove their checkers can fail. Never set
 * outside tests. */
enum wal_bug {
    WAL_BUG_NONE = 0,
    WAL_BUG_SKIP_CRC = 1u << 0,   /* recovery does not verify record CRCs */
    WAL_BUG_SKIP_FSYNC = 1u << 1, /* flushes are acknowledged without fdatasync */
    WAL_BUG_ZERO_OVER_LOG = 1u << 2, /* zeroing ahead starts on the log's last byte */
};

typedef struct wal_options {
    uint64_t segment_bytes;             /* segment file size (64 MiB) */
    uint32_t batch_bytes_max;           /* largest batch written as one unit (16 MiB) */
    uint32_t entry_bytes_max;           /* largest entry payload (8 MiB); raft's
                                           max_entry_bytes must not exceed it */
    uint64_t queued_bytes_max;          /* bytes queued + in flight before appends
                                           fail with POLIS_EBUSY (64 MiB) */
    uint64_t cache_bytes_per_group;     /* recent entries kept in memory (256 KiB) */
    uint64_t cache_bytes_max;           /* all groups' caches together (256 MiB) */
    uint32_t groups_max;                /* groups hosted (100000) */
    uint32_t snapshots_keep;            /* snapshot files kept per group (2) */
    uint64_t snapshot_queued_bytes_max; /* per writer, queued for writing (16 MiB) */
    const wal_file_ops *file_ops;       /* NULL: wal_posix_file_ops() */
    wal_durable_cb *on_durable;         /* may be NULL */
    void *on_durable_arg;
    uint32_t bugs; /* enum wal_bug; tests only */
    /* Run the I/O jobs on the loop thread instead of the two threads
     * (completions still arrive through the loop, one iteration later).
     * Blocks the loop on disk: for the deterministic simulator and for
     * tests that must replay from a seed, never for a server. */
    bool inline_io;
    /* Zeros written ahead of the log's end, this many bytes at a time (256
     * KiB; 0: none). A preallocated segment reads as zeros, but on most
     * file systems its blocks are only reserved ("unwritten"): the first
     * write into each block changes the file's block map, and every
     * fdatasync then also writes that metadata. Writing real zeros ahead
     * makes the change once per chunk instead of once per flush. */
    uint32_t zero_ahead_bytes;
} wal_options;

void wal_options_defaults(wal_options *opts);

/* ---- Opening: recovery -------------------------------------------------------- */

/* Where recovery found damage it may not repair (POLIS_ECORRUPT). */
typedef struct wal_open_error {
    char path[512];
    uint64_t offset;
    char reason[160];
} wal_open_error;

/* Opens (creating if needed) the log in `dir` and recovers it: every
 * segment is read and every record's CRC checked; the groups' indexes,
 * hard states and first/last indexes are rebuilt; the newest valid
 * snapshot of each group is found. A torn batch at the end of the last
 * segment (a write that never completed, so was never acknowledged) is
 * cut off and zeroed. Any other damage fails with POLIS_ECORRUPT and fills
 * `err` (may be NULL) with the file, the offset and what is wrong; the node
 * must not start. Other errors: POLIS_EIO, POLIS_ECONFIG (bad options).
 * Blocks: call before serving.
 * `dir` and `opts` are copied. */
int wal_open(const char *dir, const wal_options *opts, uv_loop_t *loop, wal **out,
             wal_open_error *err);

/* Flushes what is queued, waits for it, stops the threads and frees the WAL
 * after its handles closed; then calls cb(arg) (may be NULL). Unfinished
 * snapshot writers are aborted. */
typedef void wal_close_cb(void *arg);
void wal_close(wal *w, wal_close_cb *cb, void *arg);
/* As wal_close, but drops what is queued and not yet handed to the I/O
 * thread, as a crash would (tests, and a node stopping on a fatal error). */
void wal_abandon(wal *w, wal_close_cb *cb, void *arg);

/* ---- Groups --------------------------------------------------------------------- */

typedef struct wal_group_info {
    uint64_t group;
    bool has_hard_state;
    raft_hard_state hard_state;
    raft_index first_index; /* first entry kept; last_index + 1 if empty */
    raft_index last_index;
    raft_term prev_term;      /* term of entry first_index - 1, 0 if unknown */
    raft_index durable_index; /* entries <= this are durable */
    bool has_snapshot;        /* the newest valid snapshot */
    raft_snapshot_meta snapshot;
} wal_group_info;

size_t wal_group_count(const wal *w);
/* Fills up to cap group ids in ascending order; returns the number of groups. */
size_t wal_group_list(const wal *w, uint64_t *ids, size_t cap);
/* POLIS_ENOTFOUND if the WAL holds nothing of the group. */
int wal_group_info_get(const wal *w, uint64_t group, wal_group_info *out);

/* ---- Writing (queued; durable when on_durable or a wal_sync says so) ------------
 *
 * Each call encodes its records into the current batch at once (the data is
 * copied; the caller keeps ownership of what it passed). Errors are
 * synchronous: POLIS_EINVAL (index not contiguous, below the first index),
 * POLIS_ELIMIT (entry over entry_bytes_max, groups over groups_max),
 * POLIS_EBUSY (queued_bytes_max reached: wait for a durable report), or the
 * error that failed the WAL. A group is created by its first record. */

/* Appends entries (consecutive indexes). If entries[0].index <= the group's
 * last index, the conflicting suffix is truncated first (a TRUNCATE record),
 * as the persistence contract of raft.h asks. */
int wal_append(wal *w, uint64_t group, const raft_entry *entries, size_t count);
/* Records the hard state; within one flush only the newest is written. */
int wal_set_hard_state(wal *w, uint64_t group, const raft_hard_state *hs);
/* The same, but the record does not by itself cause a flush: it is written
 * (in order) with the next flush that a record, a barrier or closing asks
 * for, and may be lost in a crash before that. For a hard state that only
 * advances the commit index, which Raft need not sync. */
int wal_set_hard_state_lazy(wal *w, uint64_t group, const raft_hard_state *hs);
/* Removes entries >= from_index (from_index >= first index). */
int wal_truncate(wal *w, uint64_t group, raft_index from_index);
/* Discards entries < first_index. prev_term is the term of entry
 * first_index - 1 (used when that entry is not in the log, i.e. after a
 * snapshot install: then the log becomes empty and continues at
 * first_index). Segments no group needs any more are deleted once the
 * compaction is durable. */
int wal_compact(wal *w, uint64_t group, raft_index first_index, raft_term prev_term);
/* Forgets the group: its log, hard state and snapshot files. */
int wal_drop_group(wal *w, uint64_t group);

/* A barrier: cb(req, status) runs once every record queued before the call
 * is durable (status 0) or can never be (status < 0). The caller owns req
 * until the callback. Never calls back synchronously. */
typedef struct wal_sync_req wal_sync_req;
typedef void wal_sync_cb(wal_sync_req *req, int status);
struct wal_sync_req {
    void *data; /* for the caller */
    /* private */
    wal_sync_req *next_;
    uint64_t flush_seq_;
    wal_sync_cb *cb_;
};
int wal_sync(wal *w, wal_sync_req *req, wal_sync_cb *cb);
/* Whether appending `entries` entries with `bytes` of data (plus a
 * truncation and a hard state) would be accepted now rather than fail with
 * POLIS_EBUSY. */
bool wal_has_room(const wal *w, uint64_t entries, uint64_t bytes);

/* ---- Reading -------------------------------------------------------------------------
 */

/* Reads entries [lo, hi) of a group: from the cache, from queued batches, or
 * from the segment files (a synchronous pread, re-checking the record's CRC
 * and identity). Stops after `cap` entries or once `bytes_max` payload bytes
 * are collected (but returns at least one entry). Payloads are appended to
 * `data` (caller-owned) and out[i].data points into it. *count gets the
 * number read. POLIS_ENOTFOUND if lo < first index (compacted), POLIS_EINVAL
 * if hi > last index + 1 or lo > hi, POLIS_ECORRUPT or POLIS_EIO on a bad
 * read. */
int wal_entries(wal *w, uint64_t group, raft_index lo, raft_index hi, uint64_t bytes_max,
                raft_entry *out, size_t cap, size_t *count, buf *data);
/* Term of an entry in [first_index - 1, last_index]; POLIS_ENOTFOUND else. */
int wal_term(const wal *w, uint64_t group, raft_index index, raft_term *term);

/* ---- Snapshot store ------------------------------------------------------------------
 */

typedef struct wal_snapshot_writer wal_snapshot_writer;
/* Called on the loop thread. For finish: status 0 means the snapshot file is
 * durable and is now the group's newest; the writer is freed after the
 * callback returns. For wait: all data written so far reached the file. */
typedef void wal_snapshot_cb(wal_snapshot_writer *sw, int status, void *arg);

/* Starts writing a snapshot of `group` at meta->index/term/conf. */
int wal_snapshot_begin(wal *w, uint64_t group, const raft_snapshot_meta *meta,
                       wal_snapshot_writer **out);
/* Appends data (copied; written on the snapshot thread). POLIS_EBUSY when
 * more than snapshot_queued_bytes_max would be queued: wal_snapshot_wait(),
 * then write again. */
int wal_snapshot_write(wal_snapshot_writer *sw, const void *data, size_t len);
int wal_snapshot_wait(wal_snapshot_writer *sw, wal_snapshot_cb *cb, void *arg);
/* Seals the file: header (with data size and CRC32C), fsync, rename into
 * place, fsync of the directory; older snapshots beyond snapshots_keep are
 * deleted. The callback always runs (unless this returns an error). */
int wal_snapshot_finish(wal_snapshot_writer *sw, wal_snapshot_cb *cb, void *arg);
/* Discards the snapshot being written; the writer is freed. */
void wal_snapshot_abort(wal_snapshot_writer *sw);

/* Meta of the group's newest valid snapshot; POLIS_ENOTFOUND if none. */
int wal_snapshot_newest(const wal *w, uint64_t group, raft_snapshot_meta *meta);
/* Reads up to len data bytes at `offset` of the group's snapshot at `index`
 * (synchronous pread; for sending chunks to a follower). *nread < len only
 * at the end. POLIS_ENOTFOUND if that snapshot is gone (a newer one
 * replaced it: restart the transfer). */
int wal_snapshot_read(wal *w, uint64_t group, raft_index index, uint64_t offset,
                      void *dst, size_t len, size_t *nread);

/* ---- State and statistics
 * --------------------------------------------------------------- */

/* 0, or the error that failed the WAL for good (after a write or fsync error). */
int wal_failed(const wal *w);

typedef struct wal_stats {
    uint64_t flushes; /* completed write + fdatasync rounds */
    uint64_t fsyncs;  /* fdatasync calls on segments by flushes */
    uint64_t fsync_us; /* time spent in those fdatasync calls */
    uint64_t flush_us; /* time from a flush's start to its completion on the loop */
    uint64_t batches; /* batches written */
    uint64_t records; /* records written (batch headers excluded) */
    uint64_t bytes_written;
    uint64_t segments_created;
    uint64_t segments_deleted;
    uint64_t segment_count; /* segments on disk now */
    uint64_t queued_bytes;  /* queued + in flight */
    uint64_t cache_bytes;
    uint64_t index_bytes; /* the in-memory index of every group's entries */
} wal_stats;
void wal_stats_get(const wal *w, wal_stats *out);

#endif
