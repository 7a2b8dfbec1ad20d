/* raft/raft.h - the consensus core: one Raft group, I/O-free.
 *
 * This header is the whole public API of raft/. The core never touches a
 * socket, a file, a thread, the clock or a random source: the host feeds it
 * inputs (raft_step, raft_tick, raft_propose, raft_read_index, ...) and
 * carries out what it asks for in a *ready* batch (raft_ready_get): persist
 * these entries and this hard state, send these messages, apply these
 * committed entries, install this snapshot, serve these reads. Randomness
 * (election timeouts) comes from a seed in the config. The deterministic
 * simulator (tests/sim) and the server (node/) are both hosts.
 *
 * Owns: the state of one group on one node: term, vote, log (in memory since
 * the last compaction), commit index, role, configuration, per-peer progress.
 * May call: base/ (allocation, assertions).
 * Must never: do I/O, read a clock, assume one group per process.
 *
 * Implemented: leader election with randomized timeouts, pre-vote (thesis
 * §9.6), check-quorum, log replication with pipelining and flow control
 * (probe/replicate/snapshot per follower, in-flight messages and bytes),
 * fast conflict backtracking, commit only of current-term entries by
 * counting (§5.4.2), a no-op on election, ReadIndex (leader and follower),
 * optional lease reads, leadership transfer (TimeoutNow), chunked snapshot
 * transfer with bounded memory, log compaction, learners, joint consensus
 * with automatic leave.
 *
 * ---- The persistence contract ------------------------------------------
 *
 * A ready batch (raft_ready) lists, in order of obligation:
 *
 *  1. snapshot_chunks, then snapshot (has_snapshot): chunk bytes received
 *     for a snapshot transfer are appended to the host's receive buffer;
 *     when the transfer is complete, has_snapshot asks the host to install
 *     it: replace the state machine with it, make it durable, and discard
 *     its whole persisted log (entries after the snapshot index too: the
 *     core's log now starts empty after it).
 *  2. entries + hard_state: must be durable (fsync) before the batch is
 *     acknowledged with raft_advance(). If entries[0].index is <= the last
 *     index the host has persisted, the host first truncates its log from
 *     entries[0].index (a conflicting suffix being replaced). Exception: a
 *     batch with persist_id == 0 has at most a hard state that only
 *     advances the commit index; the host writes it in order with its other
 *     records but need not sync it (nor wait for it): after a crash a lower
 *     commit index is safe, the leader tells it again.
 *  3. msgs: may be sent at once, before step 2 completes. These are the
 *     leader's appends, heartbeats and snapshot chunks, pre-votes and
 *     their answers, read-index traffic and TimeoutNow: none promises
 *     anything about our disk. The leader may write its log in parallel
 *     with sending it (thesis §10.2.1) because it counts its own copy only
 *     after raft_advance().
 *  4. msgs_after_persist: must not leave before step 2 (and 1) is durable.
 *     These promise durability to a peer: vote grants, append and snapshot
 *     acknowledgements, and a candidate's vote requests for a term whose
 *     vote is in this batch's hard_state.
 *  5. committed: entries to apply to the state machine, in index order.
 *     They are committed on a quorum, so they may be applied before step 2
 *     completes locally.
 *  6. reads: linearizable reads released: serve read `ctx` once the state
 *     machine has applied at least `index`.
 *
 * Chunk acknowledgements go out through msgs_after_persist, so the host must
 * have stored a batch's chunk bytes before those messages leave.
 *
 * The host then calls raft_advance(r, &ready) once everything the batch asks
 * for is done (step 2 durable). Pointers inside a batch stay valid until then.
 *
 * Pipelined persistence. A host whose disk writes complete asynchronously
 * need not wait for one batch's fsync before taking the next (etcd's async
 * storage writes, thesis §10.2.1 on the follower side too). Such a host
 * splits raft_advance in two:
 *
 *   raft_release(r, &rd)        when it has consumed the batch: entries and
 *                               hard state handed to its log (queued, not yet
 *                               durable), msgs sent, committed applied, reads
 *                               and chunks taken, and msgs_after_persist
 *                               *copied* (they have no entries). The batch's
 *                               pointers are invalid afterwards; the next
 *                               batch may be taken at once.
 *   raft_persisted(r, id)       once the writes of every batch with
 *                               persist_id <= id are durable, and only then
 *                               sending those batches' msgs_after_persist.
 *
 * rd.persist_id is non-zero when a batch has anything that waits for
 * durability (a snapshot, entries, a new term or vote, msgs_after_persist), and
 * increases from batch to batch. The host's writes must become durable in
 * batch order (one log, written in order, does that), and each batch's
 * msgs_after_persist leave only after its own and all earlier writes are
 * durable, in batch order. At most RAFT_PERSIST_INFLIGHT_MAX batches wait
 * for raft_persisted; raft_has_ready() is false while that many do, and
 * while a batch is taken but not yet released (or advanced).
 *
 * Snapshot chunks. The core decides what to send (offset, length, last) and
 * tracks acknowledgements; the bytes are the host's: on the sending side the
 * host fills in a RAFT_MSG_SNAPSHOT message's data from the snapshot it
 * registered with raft_snapshot_taken(); on the receiving side the host
 * passes the message with its data to raft_step(), and the core hands the
 * bytes back in snapshot_chunks once it has accepted them. At most
 * max_snapshot_inflight chunks of snapshot_chunk_bytes are in flight per
 * follower, so memory stays bounded whatever the snapshot's size.
 */
#ifndef POLIS_RAFT_RAFT_H
#define POLIS_RAFT_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t raft_id; /* node id; 0 means none */
typedef uint64_t raft_term;
typedef uint64_t raft_index;

enum raft_entry_type {
    RAFT_ENTRY_NORMAL = 0, /* host data; empty data = the leader's no-op */
    RAFT_ENTRY_CONF = 1,   /* a configuration change (raft_conf_change list) */
};

typedef struct raft_entry {
    raft_term term;
    raft_index index;
    uint8_t type;
    uint32_t len;
    uint8_t *data; /* owned by the core until advanced (or by the message) */
} raft_entry;

typedef struct raft_hard_state {
    raft_term term;
    raft_id vote;
    raft_index commit;
} raft_hard_state;

/* ---- Configuration ------------------------------------------------------ */

#define RAFT_NODES_MAX 16

/* A configuration: voters; during joint consensus also the outgoing voters
 * (decisions need a majority of each); learners receive the log but do not
 * vote. auto_leave: the leader leaves the joint configuration by itself once
 * it is committed. */
typedef struct raft_conf {
    raft_id voters[RAFT_NODES_MAX];
    uint8_t voter_count;
    raft_id voters_outgoing[RAFT_NODES_MAX];
    uint8_t voter_outgoing_count; /* 0 unless joint */
    raft_id learners[RAFT_NODES_MAX];
    uint8_t learner_count;
} raft_conf;

enum raft_conf_change_type {
    RAFT_CONF_ADD_VOTER = 0,
    RAFT_CONF_ADD_LEARNER = 1, /* also demotes a voter */
    RAFT_CONF_REMOVE = 2,
    RAFT_CONF_LEAVE_JOINT = 3, /* internal: proposed by the leader */
};

typedef struct raft_conf_change {
    uint8_t type;
    raft_id node;
} raft_conf_change;

typedef struct raft_snapshot_meta {
    raft_index index;
    raft_term term;
    raft_conf conf;
    uint64_t size_bytes; /* total size of the snapshot data */
} raft_snapshot_meta;

/* ---- Messages ------------------------------------------------------------- */

enum raft_msg_type {
    RAFT_MSG_PREVOTE = 1,
    RAFT_MSG_PREVOTE_RESP,
    RAFT_MSG_VOTE,
    RAFT_MSG_VOTE_RESP,
    RAFT_MSG_APPEND,
    RAFT_MSG_APPEND_RESP,
    RAFT_MSG_HEARTBEAT,
    RAFT_MSG_HEARTBEAT_RESP,
    RAFT_MSG_SNAPSHOT,      /* one chunk of a snapshot */
    RAFT_MSG_SNAPSHOT_RESP, /* chunk acknowledgement (or request to restart) */
    RAFT_MSG_TIMEOUT_NOW,   /* leadership transfer: campaign now */
    RAFT_MSG_READ_INDEX,    /* follower -> leader */
    RAFT_MSG_READ_INDEX_RESP,
    RAFT_MSG_TYPE_MAX_
};

typedef struct raft_msg {
    uint8_t type;
    bool reject;
    bool transfer;        /* VOTE/PREVOTE: campaign caused by TimeoutNow */
    bool last;            /* SNAPSHOT: final chunk */
    uint64_t group;
    raft_id from;
    raft_id to;
    raft_term term;
    /* APPEND: index/log_term of the entry before `entries`; APPEND_RESP: the
     * last index now matched (or, on reject, the rejected index);
     * VOTE/PREVOTE: the candidate's last index/term; READ_INDEX_RESP: the
     * read index. */
    raft_index index;
    raft_term log_term;
    raft_index commit;
    /* APPEND_RESP reject hint: the follower's last index and the term of the
     * entry at `index` (or 0), for fast backtracking. */
    raft_index hint_index;
    raft_term hint_term;
    uint64_t ctx; /* HEARTBEAT(_RESP), READ_INDEX(_RESP): read context */
    raft_entry *entries;
    uint32_t entry_count;
    /* SNAPSHOT: meta, offset/len of this chunk, data (host-filled on the
     * sender; borrowed from the caller on raft_step). SNAPSHOT_RESP: offset
     * is the next offset wanted; reject means restart from 0. */
    raft_snapshot_meta snap;
    uint64_t offset;
    uint32_t len;
    const uint8_t *data;
} raft_msg;

/* ---- Ready batches --------------------------------------------------------- */

typedef struct raft_read_state {
    uint64_t ctx;
    raft_index index;
} raft_read_state;

typedef struct raft_snapshot_chunk {
    raft_snapshot_meta meta;
    uint64_t offset;
    uint32_t len;
    const uint8_t *data;
    bool last;
} raft_snapshot_chunk;

enum raft_role { RAFT_FOLLOWER = 0, RAFT_PRECANDIDATE, RAFT_CANDIDATE, RAFT_LEADER };

typedef struct raft_ready {
    bool has_snapshot;
    raft_snapshot_meta snapshot;
    bool has_hard_state;
    raft_hard_state hard_state;
    const raft_entry *entries;
    size_t entry_count;
    const raft_msg *msgs;
    size_t msg_count;
    const raft_msg *msgs_after_persist;
    size_t msg_after_persist_count;
    const raft_entry *committed;
    size_t committed_count;
    const raft_read_state *reads;
    size_t read_count;
    const raft_snapshot_chunk *snapshot_chunks;
    size_t snapshot_chunk_count;
    /* Soft state, for the host's routing: who leads, our role. */
    raft_id leader;
    enum raft_role role;
    raft_term term;
    /* Non-zero when something above waits for durability (see raft_persisted);
 * zero with has_hard_state: only the commit index moved (written lazily). */
    uint64_t persist_id;
} raft_ready;

/* Batches that may wait for raft_persisted() at once (pipelined hosts). */
#define RAFT_PERSIST_INFLIGHT_MAX 64

/* ---- Construction --------------------------------------------------------- */

typedef struct raft_config {
    raft_id id;
    uint64_t group;
    uint64_t seed;                    /* randomizes election timeouts */
    uint32_t election_ticks;          /* base election timeout, in ticks (10) */
    uint32_t heartbeat_ticks;         /* leader heartbeat period (1) */
    bool pre_vote;                    /* thesis §9.6 (true) */
    bool check_quorum;                /* leader steps down without a quorum (true) */
    bool lease_reads;                 /* reads served on the leader's lease; needs
                                         check_quorum and clock_drift_ticks */
    uint32_t clock_drift_ticks;       /* bound on tick-rate drift between nodes */
    uint32_t max_inflight_msgs;       /* appends in flight per follower (256) */
    uint64_t max_inflight_bytes;      /* bytes in flight per follower (8 MiB) */
    uint64_t max_msg_bytes;           /* entry bytes per append message (1 MiB) */
    uint64_t max_entry_bytes;         /* largest proposal accepted (64 MiB) */
    uint64_t max_uncommitted_bytes;   /* leader refuses proposals beyond (256 MiB) */
    uint32_t snapshot_chunk_bytes;    /* snapshot transfer chunk (1 MiB) */
    uint32_t max_snapshot_inflight;   /* chunks in flight per follower (2) */
    uint32_t max_committed_per_ready; /* committed entries per batch (4096) */
} raft_config;

/* Fills in the defaults above; the caller sets id, group and seed. */
void raft_config_defaults(raft_config *cfg);

typedef struct raft raft;

/* Starts a group. `hs`, `snap` and `entries` are what the host recovered
 * from disk (all may be empty for a new node): the newest snapshot's meta
 * (index 0 if none), the hard state, and the log entries after it. The
 * entries must continue the snapshot: a host that snapshots beyond its
 * durable log must first drop a durable suffix that conflicts with the
 * snapshot, or raft_new refuses the log. A brand new group passes its
 * initial configuration in `bootstrap`: the core writes it as entry 1
 * (term 1) and applies it at once, so a founding node is never handed
 * entry 1 to apply. `bootstrap` is NULL on restart and for a node that
 * joins by a configuration change and catches up from the leader. Returns
 * NULL on an invalid configuration (e.g. lease_reads without check_quorum).
 * The core copies what it keeps. */
raft *raft_new(const raft_config *cfg, const raft_hard_state *hs,
               const raft_snapshot_meta *snap, const raft_entry *entries,
               size_t entry_count, const raft_conf *bootstrap);
void raft_free(raft *r);

/* ---- Inputs ------------------------------------------------------------------ */

/* Error codes of the inputs below (negative, as POLIS_E... elsewhere). */
enum {
    RAFT_OK = 0,
    RAFT_E_NOT_LEADER = -1,   /* see raft_leader() for the hint */
    RAFT_E_TOO_BIG = -2,      /* entry over max_entry_bytes */
    RAFT_E_BUSY = -3,         /* uncommitted bytes over the limit, a
                                 configuration change pending, or a
                                 leadership transfer under way */
    RAFT_E_INVALID = -4,      /* bad message or request */
    RAFT_E_STALE = -5,        /* message from an old term or wrong group */
};

/* One logical clock tick (the host decides how long a tick is). */
void raft_tick(raft *r);
/* Processes a message from a peer. The message and its data are only
 * borrowed for the call. */
int raft_step(raft *r, const raft_msg *m);
/* Appends data to the log if this node leads; returns the entry's index via
 * *index. Fails fast with RAFT_E_NOT_LEADER otherwise. */
int raft_propose(raft *r, const void *data, uint32_t len, raft_index *index);
/* Proposes a configuration change. Voter changes go through joint
 * consensus; the leader leaves the joint configuration automatically. */
int raft_propose_conf_change(raft *r, const raft_conf_change *changes, size_t count,
                             raft_index *index);
/* Requests a linearizable read; its read state (ctx, index) appears in a
 * later ready batch once the leader has confirmed it still leads. Works on
 * followers too (asks the leader). */
int raft_read_index(raft *r, uint64_t ctx);
/* Asks the leader to hand leadership to `to` (which must be a voter). */
int raft_transfer_leader(raft *r, raft_id to);
/* Starts an election now (tests, and a host's explicit request). */
void raft_campaign(raft *r);
/* The size of the snapshot the group was started from (raft_new's `snap`),
 * once the host has written it: a group made from another group's state
 * (a shard split) is started before its snapshot file exists. */
void raft_snapshot_sized(raft *r, uint64_t size_bytes);

/* The host took a snapshot of its state machine at `meta->index` (which must
 * be applied); it is the one to send to lagging followers, and the log up to
 * meta->index - keep_entries may now be discarded. */
void raft_snapshot_taken(raft *r, const raft_snapshot_meta *meta, raft_index keep_entries);
/* The host could not provide the snapshot bytes a RAFT_MSG_SNAPSHOT asked
 * for, or the peer is unreachable: restart that transfer later. */
void raft_report_unreachable(raft *r, raft_id peer);

/* ---- Outputs ------------------------------------------------------------------ */

bool raft_has_ready(const raft *r);
void raft_ready_get(raft *r, raft_ready *rd);
/* The batch is done and durable: raft_release() + raft_persisted(). */
void raft_advance(raft *r, const raft_ready *rd);
/* Pipelined hosts (see the persistence contract above). */
void raft_release(raft *r, const raft_ready *rd);
void raft_persisted(raft *r, uint64_t persist_id);
/* Entries (and their data bytes) the next ready batch would ask to persist:
 * a host with a bounded write queue checks for room before taking it. */
void raft_unpersisted(const raft *r, uint64_t *entries, uint64_t *bytes);
/* Heap bytes the in-memory log holds (entries and their data): memory a
 * host does not count against its data limit (maxmemory), as Redis does
 * not count its replication buffers. */
uint64_t raft_log_bytes(const raft *r);

/* ---- Introspection ------------------------------------------------------------ */

raft_id raft_leader(const raft *r);
/* Ticks since a follower last heard from its leader (its election clock);
 * 0 right after a message from the leader. */
uint32_t raft_leader_silence(const raft *r);
enum raft_role raft_role_of(const raft *r);
raft_term raft_term_of(const raft *r);
raft_index raft_commit_index(const raft *r);
raft_index raft_applied_index(const raft *r);
raft_index raft_last_index(const raft *r);
raft_index raft_first_index(const raft *r); /* first entry still in memory */
/* The configuration as of the last entry handed out to apply: what a
 * snapshot taken right after applying that entry must record. */
const raft_conf *raft_conf_of(const raft *r);
raft_hard_state raft_hard_state_of(const raft *r);

typedef struct raft_progress_info {
    raft_id id;
    raft_index match;
    raft_index next;
    uint8_t state; /* 0 probe, 1 replicate, 2 snapshot */
    bool recent_active;
    bool learner;
} raft_progress_info;

/* Leader only: fills up to `cap` entries, returns the number of peers. */
size_t raft_progress(const raft *r, raft_progress_info *out, size_t cap);
/* Reads entries [lo, hi) from the in-memory log (for tests and debugging);
 * returns how many were copied (pointers valid until the next input). */
size_t raft_entries(const raft *r, raft_index lo, raft_index hi, raft_entry *out, size_t cap);
/* Term of entry `index`, or 0 if it is not known. */
raft_term raft_term_at(const raft *r, raft_index index);

/* ---- Test-only switches --------------------------------------------------------
 * Deliberate bugs, one per safety rule, so that the simulator can prove it
 * catches each violation. Never set outside tests. */
enum raft_bug {
    RAFT_BUG_NONE = 0,
    RAFT_BUG_COMMIT_OLD_TERM = 1u << 0,   /* count replicas for old-term entries */
    RAFT_BUG_FORGET_VOTE = 1u << 1,       /* do not persist the vote */
    RAFT_BUG_VOTE_STALE_LOG = 1u << 2,    /* grant votes to stale logs */
    RAFT_BUG_READ_NO_QUORUM = 1u << 3,    /* ReadIndex without confirmation */
    RAFT_BUG_STABLE_ON_RELEASE = 1u << 4, /* count our entries before they are durable */
};
void raft_set_bugs(raft *r, uint32_t bugs);

const char *raft_msg_type_name(int type);
const char *raft_role_name(enum raft_role role);

#endif
