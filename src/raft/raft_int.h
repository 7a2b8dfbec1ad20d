/* raft/raft_int.h - the core's internal state, shared by its files:
 * log.c (the in-memory log), conf.c (configurations and quorums),
 * raft.c (roles, messages, replication), ready.c (output batches).
 * Nothing outside src/raft includes this. */
#ifndef POLIS_RAFT_INT_H
#define POLIS_RAFT_INT_H

#include "base/assert.h"
#include "base/rng.h"
#include "raft/raft.h"

#define RAFT_PEERS_MAX (RAFT_NODES_MAX * 3)
/* Heartbeat sequence numbers remembered for lease reads (a power of 2). */
#define RAFT_HB_RING 256

enum { PR_PROBE = 0, PR_REPLICATE = 1, PR_SNAPSHOT = 2 };

/* In-flight appends to one follower (a ring of last indexes and sizes). */
typedef struct inflights {
    raft_index *last;
    uint64_t *bytes;
    uint32_t start, count, cap;
    uint64_t total_bytes;
} inflights;

typedef struct progress {
    raft_id id;
    raft_index match;
    raft_index next;
    uint8_t state;
    bool probe_sent;    /* PROBE: one append outstanding, wait */
    bool recent_active; /* heard from since the last check-quorum */
    bool learner;
    inflights infl;
    /* Snapshot transfer (state PR_SNAPSHOT). */
    raft_snapshot_meta snap;
    uint64_t snap_sent;   /* bytes handed out in chunks */
    uint64_t snap_acked;  /* bytes the follower confirmed */
    uint32_t snap_idle_ticks;
    raft_index pending_snapshot;
    /* Highest heartbeat sequence this peer acknowledged. */
    uint64_t acked_seq;
} progress;

typedef struct msgbuf {
    raft_msg *v;
    size_t count, cap;
} msgbuf;

/* A read waiting for confirmation that this node still leads. seq is the
 * heartbeat round that confirms it (0: waiting for the leader to commit
 * an entry of its term first). */
typedef struct read_req {
    uint64_t ctx;
    raft_id from;
    raft_index index;
    uint64_t seq;
} read_req;

/* A handed-out batch waiting to be durable: what its persistence makes
 * stable. `trunc` is the lowest index truncated (or reset away) since the
 * batch was taken: entries from there on were replaced in memory before
 * this write finished, so they do not count as stable. */
typedef struct persist_rec {
    uint64_t id;
    raft_index last;          /* last entry index written (0: none) */
    raft_index trunc;         /* 0: nothing truncated since */
    raft_index install_index; /* snapshot installed by the batch (0: none) */
} persist_rec;

struct raft {
    raft_config cfg;
    uint32_t bugs;
    rng rng;

    /* Persistent state (and what the host last persisted of it). */
    raft_term term;
    raft_id vote;
    raft_hard_state persisted;

    /* Volatile state. */
    enum raft_role role;
    raft_id leader;

    /* The log: entries [snap_index + 1, snap_index + log_count] live in
     * log[log_head .. log_head + log_count). */
    raft_entry *log;
    size_t log_head, log_count, log_cap;
    raft_index snap_index;
    raft_term snap_term;
    raft_index committed;
    raft_index stable;       /* persisted by the host */
    raft_index persist_from; /* first index not yet handed out to persist */
    raft_index handed;       /* last index handed out to apply */

    /* Configuration as of `handed`, and per-peer progress (leader). */
    raft_conf conf;
    progress prs[RAFT_PEERS_MAX];
    size_t pr_count;

    /* Timers, in ticks. */
    uint64_t ticks;
    uint32_t election_elapsed;
    uint32_t heartbeat_elapsed;
    uint32_t randomized_timeout;

    /* Elections. */
    raft_id votes_from[RAFT_PEERS_MAX];
    bool votes_granted[RAFT_PEERS_MAX];
    size_t vote_count;

    /* Leader state. */
    raft_id transferee;
    bool lease_off; /* TimeoutNow sent this term: no more lease reads */
    uint32_t transfer_elapsed;
    raft_index pending_conf_index;
    uint64_t uncommitted_bytes;
    uint64_t hb_seq;
    uint64_t hb_tick[RAFT_HB_RING];
    read_req *reads;
    size_t read_count, read_cap;

    /* Follower side of a snapshot transfer. */
    bool receiving;
    raft_snapshot_meta recv_meta;
    uint64_t recv_offset;
    bool install_pending;

    /* The leader's snapshot to send (registered by raft_snapshot_taken). */
    raft_snapshot_meta snapshot;

    /* Outputs accumulating for the next batch. */
    msgbuf msgs;
    msgbuf after;
    raft_read_state *read_states;
    size_t read_state_count, read_state_cap;
    raft_snapshot_chunk *chunks; /* data owned (copied from the message) */
    size_t chunk_count, chunk_cap;

    /* The outstanding batch (between raft_ready_get and raft_advance). */
    bool outstanding;
    msgbuf out_msgs;
    msgbuf out_after;
    raft_entry *out_entries;
    size_t out_entries_cap;
    raft_entry *out_committed;
    size_t out_committed_cap;
    raft_read_state *out_reads;
    size_t out_read_count, out_read_cap;
    raft_snapshot_chunk *out_chunks;
    size_t out_chunk_count, out_chunk_cap;

    /* Batches handed out whose durability the host has not yet confirmed
     * (raft_persisted), oldest first: a ring. */
    persist_rec inflight[RAFT_PERSIST_INFLIGHT_MAX];
    size_t inflight_head, inflight_count;
    uint64_t persist_seq; /* the last persist id handed out */

    /* Entry data freed while a batch is outstanding waits here: the host may
     * still be writing it. Released on raft_advance. */
    void **grave;
    size_t grave_count, grave_cap;
    uint64_t log_data_bytes; /* heap bytes of the entries' data in the log */
};

/* ---- log.c ----------------------------------------------------------------- */

raft_index log_last_index(const raft *r);
raft_term log_last_term(const raft *r);
/* Term of entry i; 0 if i is beyond the log or compacted away. */
raft_term log_term(const raft *r, raft_index i);
/* Whether entry i is in memory (snap_index < i <= last). */
bool log_has(const raft *r, raft_index i);
raft_entry *log_at(const raft *r, raft_index i);
/* Appends a copy of e (data copied) with the given index/term. */
void log_append(raft *r, const raft_entry *e);
/* Removes entries >= from (a conflicting suffix). */
void log_truncate(raft *r, raft_index from);
/* Drops entries <= upto (they are in a snapshot); term of `upto` kept. */
void log_compact(raft *r, raft_index upto, raft_term upto_term);
/* Resets the log to empty after snapshot (index, term). */
void log_reset(raft *r, raft_index index, raft_term term);
/* Frees entry data now, or on raft_advance if a batch or a pending message
 * may still point at it. */
void log_free_data(raft *r, void *data);
void raft_chunk_free(raft_snapshot_chunk *c);
void log_release_grave(raft *r);
void log_destroy(raft *r);
/* Raft §5.4.1: is (term, index) at least as up to date as our log? */
bool log_up_to_date(const raft *r, raft_term term, raft_index index);
/* Fast backtracking: the largest index <= index whose term <= term. */
raft_index log_find_conflict_by_term(const raft *r, raft_index index, raft_term term);

/* ---- conf.c ------------------------------------------------------------------ */

bool conf_is_voter(const raft_conf *c, raft_id id);  /* incoming or outgoing */
bool conf_is_learner(const raft_conf *c, raft_id id);
bool conf_has(const raft_conf *c, raft_id id);
bool conf_is_joint(const raft_conf *c);
/* Applies changes to `in`, producing `out`; voter changes make a joint
 * configuration. Returns RAFT_OK or RAFT_E_INVALID. */
int conf_apply_changes(const raft_conf *in, const raft_conf_change *changes, size_t count,
                       raft_conf *out);
/* Encodes/decodes changes as entry data: count x (type u8, node u64 LE). */
uint32_t conf_encode(const raft_conf_change *changes, size_t count, uint8_t *out,
                     size_t cap);
size_t conf_decode(const uint8_t *data, uint32_t len, raft_conf_change *out, size_t cap);

/* Vote tally over a (possibly joint) configuration. */
enum vote_result { VOTE_PENDING = 0, VOTE_WON, VOTE_LOST };
enum vote_result conf_tally(const raft_conf *c, const raft_id *from, const bool *granted,
                            size_t count);
/* The largest index a quorum has matched, given match(id). */
typedef raft_index match_fn(const raft *r, raft_id id);
raft_index conf_committed_index(const raft *r, const raft_conf *c, match_fn *match);
/* Whether a quorum of the configuration satisfies pred(id). */
typedef bool pred_fn(const raft *r, raft_id id, uint64_t arg);
bool conf_quorum(const raft *r, const raft_conf *c, pred_fn *pred, uint64_t arg);

/* ---- raft.c ------------------------------------------------------------------ */

progress *raft_progress_of(raft *r, raft_id id);
void raft_send(raft *r, raft_msg *m, bool after_persist);
void raft_apply_conf_entry(raft *r, const raft_entry *e);
void raft_after_install(raft *r, const raft_snapshot_meta *meta);
void raft_on_stable(raft *r);
/* Leader: sends what each follower is missing (batched per ready). */
void raft_flush_appends(raft *r);

#endif
