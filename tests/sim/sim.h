/* tests/sim/sim.h - the deterministic simulator of the Raft core (polis-sim).
 *
 * One run hosts 3, 5 or 7 instances of the real core (src/raft) on a
 * simulated network, simulated disks and a simulated clock, drives a
 * key-value workload through them while a nemesis crashes nodes, cuts the
 * network, moves leadership, changes membership and compacts logs, and
 * checks the Raft safety properties after every event. Everything random
 * comes from one PRNG seeded with the run's seed, and events are ordered by
 * (time, sequence number), so a seed replays exactly. See
 * docs/design/003-raft-simulator.md.
 *
 * Files: sim_cluster.c (events, network, disks, the host loop of each node,
 * crashes), sim_workload.c (the state machine, clients, history),
 * sim_nemesis.c (faults and the run's phases), sim_check.c (invariants),
 * sim_trace.c (the readable trace), sim_main.c (the command line).
 *
 * Owns: everything of one run; a run is freed as a whole by sim_free.
 * May call: raft/ (only through raft.h), base/, lincheck.
 * Must never: read a clock or any randomness but s->rng; iterate anything
 * whose order depends on addresses. */
#ifndef POLIS_TESTS_SIM_SIM_H
#define POLIS_TESTS_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/rng.h"
#include "lincheck.h"
#include "raft/raft.h"

/* ---- Limits --------------------------------------------------------------- */

#define SIM_NODES_MAX        12 /* 7 founders + nodes added by the nemesis */
#define SIM_KEYS             3  /* the workload's registers */
#define SIM_CLIENTS_MAX      6
#define SIM_SNAPSHOTS_KEPT   3 /* snapshots a node can still serve chunks of */
#define SIM_READY_LOOP_MAX   10000
#define SIM_EVENTS_MAX       (4u << 20) /* a run that queues more is a bug */
#define SIM_TRACE_LINE_BYTES 256

typedef uint64_t sim_us; /* simulated time, in microseconds */

/* ---- Run options (the command line's; the seed decides the rest) ----------- */

typedef struct sim_options {
    uint64_t seed;
    int nodes;        /* founding voters: 3, 5 or 7 */
    int steps;        /* client operations in the chaos phase */
    uint32_t bugs;    /* raft_set_bugs() switches for every node */
    bool no_contract; /* skip the persistence-contract checks */
    int pipeline;     /* host write pipeline depth; 0: chosen per boot by the seed */
    bool lease_reads; /* allow runs with lease reads (a third of check-quorum runs) */
    bool trace;       /* print every trace line as it happens */
    bool record;      /* keep the last trace_tail lines (the replay) */
    uint64_t record_until; /* ... stop keeping them after this event (0: never) */
    int trace_tail;        /* on failure: trace lines kept for the report */
    FILE *out;             /* where traces and reports go */
} sim_options;

/* ---- Durable and pending disk state --------------------------------------- */

typedef struct sim_log {
    raft_entry *v; /* entries [first, first + count), data owned */
    size_t count, cap;
    raft_index first;
} sim_log;

typedef struct sim_snapshot {
    raft_snapshot_meta meta; /* index 0: none */
    uint8_t *bytes;          /* meta.size_bytes of them, owned */
} sim_snapshot;

/* What survives a crash. */
typedef struct sim_disk {
    raft_hard_state hs;
    sim_snapshot snap;
    sim_log log; /* entries after snap.meta.index */
} sim_disk;

/* A ready batch's persistence work, copied out of the batch, waiting for
 * the disk to complete it. */
typedef struct sim_write {
    bool has_snapshot;
    sim_snapshot snap;
    bool has_hs;
    raft_hard_state hs;
    raft_entry *entries; /* deep copies */
    size_t entry_count;
} sim_write;

/* One batch's durability work: its write, and the messages that wait for it. */
typedef struct sim_pending {
    sim_write write;
    raft_msg *after; /* deep copies of msgs_after_persist */
    size_t after_count;
    uint64_t persist_id;
} sim_pending;

/* ---- Nodes ---------------------------------------------------------------- */

typedef struct sim_node {
    raft_id id;
    bool exists; /* created (founder or added by a membership change) */
    bool up;
    bool retired; /* removed from the configuration, stopped for good */
    bool was_member;
    uint32_t incarnation;
    sim_us tick_us; /* this node's tick period: its clock drifts */
    raft *r;
    sim_disk disk;

    /* Ready batches waiting for the disk, oldest first. With pipeline == 1
     * the host is synchronous: one batch outstanding (taken, not advanced)
     * until its write completes, then raft_advance(). With pipeline > 1 it
     * releases each batch at once (raft_release) and lets up to `pipeline`
     * writes wait for the disk, which completes them in order; each one
     * ends with raft_persisted() (raft.h, "Pipelined persistence"). */
    uint32_t pipeline;
    bool outstanding; /* synchronous host: pend[0]'s batch is not advanced */
    raft_ready rd;
    sim_pending *pend;
    size_t pend_count, pend_cap;
    sim_us disk_free_at; /* when the last pending write completes */
    bool has_lazy_hs;    /* a commit-only hard state waiting for the next write */
    raft_hard_state lazy_hs;

    /* Volatile host state: the state machine and what it serves. */
    int64_t kv[SIM_KEYS];
    raft_index applied;
    raft_term applied_term;
    sim_snapshot served[SIM_SNAPSHOTS_KEPT]; /* for sending chunks */
    raft_index snap_index;                   /* newest snapshot known here */
    uint8_t *recv;                           /* snapshot being received */
    uint64_t recv_len, recv_cap;
    raft_snapshot_meta recv_meta;

    /* What the checker last saw of this node. */
    enum raft_role seen_role;
    raft_term seen_term;
    raft_term checked_leader_term; /* leader completeness checked for */
} sim_node;

/* ---- Messages and events -------------------------------------------------- */

enum sim_event_type {
    EV_TICK = 0,
    EV_DELIVER,
    EV_DISK,
    EV_CLIENT,         /* a client starts its next operation */
    EV_CLIENT_TIMEOUT, /* a client gives up on its operation */
    EV_NEMESIS,
    EV_RESTART,
    EV_HEAL,
    EV_LIVENESS, /* the liveness phase's periodic probe */
    EV_STRIKE,   /* an adversary's fault aimed at one node (enum sim_strike) */
};

enum sim_strike {
    STRIKE_CRASH_BRIEFLY = 0, /* crash, restart within 20 ms */
    STRIKE_CRASH,             /* crash, restart within 300 ms */
    STRIKE_ISOLATE,           /* cut off from everyone (if it still leads) */
};

typedef struct sim_event {
    sim_us at;
    uint64_t seq;
    uint8_t type;
    uint8_t node; /* index into s->nodes */
    uint32_t incarnation;
    uint64_t arg;
    raft_msg *msg; /* EV_DELIVER: a deep copy, owned by the event */
} sim_event;

/* ---- Clients and history -------------------------------------------------- */

enum sim_op_kind { OP_READ = 0, OP_PUT, OP_CAS };
enum sim_op_state { OPS_PENDING = 0, OPS_OK, OPS_FAIL, OPS_UNKNOWN };

typedef struct sim_op {
    uint64_t id; /* also the value a write writes: unique */
    int client;
    uint8_t kind;
    uint8_t state;
    int key;
    int64_t value;    /* PUT/CAS: written; READ: read */
    int64_t expected; /* CAS */
    bool swapped;
    uint64_t invoke_step, complete_step; /* the history's clock: event order */
    sim_us invoke_us, complete_us;
    int node; /* where it was sent */
    uint32_t incarnation;
    raft_index index;      /* PUT/CAS: where the proposal went */
    raft_term term;        /* ... and in which term */
    raft_index read_index; /* READ: released at */
    bool read_released;
    raft_index committed_index; /* PUT/CAS: where it was committed (0: not) */
} sim_op;

typedef struct sim_client {
    bool busy;
    size_t op;              /* index into s->ops */
    int64_t seen[SIM_KEYS]; /* the newest value it saw per key (for CAS) */
    int node;               /* the node it talked to last (its connection) */
} sim_client;

/* ---- The checker's memory ------------------------------------------------- */

/* Per log index: what was applied there first, and the (term, content) pairs
 * seen written there. */
typedef struct sim_written {
    raft_term term;
    raft_term prev_term; /* 0: unknown */
    uint64_t hash;
} sim_written;

typedef struct sim_index_rec {
    bool applied;
    raft_term term; /* of the entry applied here */
    uint64_t entry_hash;
    uint64_t state_hash; /* the state machine after applying it */
    raft_term seen_term; /* the applier's term when first applied */
    raft_id first_node;  /* who applied it first */
    sim_written *written;
    size_t written_count;
} sim_index_rec;

/* ---- A run ---------------------------------------------------------------- */

enum sim_phase { PHASE_CHAOS = 0, PHASE_HEAL, PHASE_DONE };

typedef struct sim {
    sim_options opt;
    rng rng;
    sim_us now;
    uint64_t step;     /* events processed: the history's clock */
    uint64_t next_seq; /* event tie-breaker */

    /* Cluster configuration drawn from the seed. */
    raft_config cfg;
    int node_count; /* slots in use */
    int founders;
    double drop_p, dup_p;
    sim_us latency_us_base;
    int snapshot_every;
    raft_index keep_entries;
    uint32_t snapshot_pad_bytes;
    double vote_crash_p;   /* crash a voter right after it grants a vote */
    double leader_fault_p; /* strike a new leader, a catching-up leader */
    int clients;
    sim_us client_timeout_us;

    sim_node nodes[SIM_NODES_MAX];
    bool blocked[SIM_NODES_MAX][SIM_NODES_MAX]; /* from -> to cut */
    uint64_t partition_id;
    raft_conf conf;        /* the newest committed configuration seen ... */
    raft_index conf_index; /* ... and the applied index it was seen at */

    /* Event queue: a binary heap on (at, seq). */
    sim_event *heap;
    size_t heap_count, heap_cap;

    /* Workload. */
    sim_client client[SIM_CLIENTS_MAX];
    sim_op *ops;
    size_t op_count, op_cap;
    int ops_started;

    /* Phases. */
    enum sim_phase phase;
    sim_us heal_at;
    sim_us chaos_end_us;
    uint64_t marker_op; /* the liveness phase's write (op index + 1) */

    /* Invariants. */
    raft_id *leader_of_term; /* by term */
    size_t leader_of_term_cap;
    sim_index_rec *idx;
    size_t idx_cap;
    raft_index max_applied;
    bool failed;
    uint64_t failed_step;
    char failure[1024];
    bool lincheck_inconclusive;
    uint64_t culprit_step; /* linearizability: the bad operation completed here */

    /* Statistics for the summary line. */
    uint64_t msgs_sent, msgs_dropped, crashes, elections, snapshots_sent, conf_changes;
    uint64_t transfers, partitions, snapshots_taken, snapshots_installed;

    /* Trace: a ring of the newest lines. */
    bool tracing;
    char (*trace_ring)[SIM_TRACE_LINE_BYTES];
    size_t trace_count;
} sim;

/* sim_nemesis.c: a whole run. Returns 0, or -1 with s->failure set. */
sim *sim_new(const sim_options *opt);
int sim_run(sim *s);
void sim_free(sim *s);
void sim_summary(const sim *s, FILE *f);
/* The deliberate bugs by name: "commit-old-term", "forget-vote",
 * "vote-stale-log", "read-no-quorum", "stable-on-release", comma separated. -1 if unknown. */
int64_t sim_parse_bugs(const char *list);
/* The adversaries hear of moments worth striking at: a vote granted, a
 * new leader, a leader catching a follower up with old-term entries. */
void sim_on_vote_granted(sim *s, int n);
void sim_on_new_leader(sim *s, int n);
void sim_on_catch_up(sim *s, int leader);

/* sim_cluster.c */
void sim_schedule(sim *s, sim_us at, uint8_t type, int node, uint64_t arg, raft_msg *msg);
bool sim_pop(sim *s, sim_event *ev);
void sim_dispatch(sim *s, sim_event *ev);
void sim_node_start(sim *s, int n, bool founder);
void sim_crash(sim *s, int n, const char *why);
void sim_restart(sim *s, int n);
void sim_pump(sim *s, int n);
int sim_node_index(const sim *s, raft_id id);
bool sim_take_snapshot(sim *s, int n);
void sim_event_free(sim_event *ev);
void sim_node_free(sim_node *node);

/* sim_workload.c */
uint32_t sim_encode_cmd(uint8_t kind, int key, uint64_t op_id, int64_t value,
                        int64_t expected, uint8_t *out);
void sim_apply_entry(sim *s, int n, const raft_entry *e);
uint64_t sim_kv_hash(const int64_t kv[SIM_KEYS]);
void sim_snapshot_encode(sim *s, int n, sim_snapshot *out);
bool sim_snapshot_decode(const sim_snapshot *snap, int64_t kv[SIM_KEYS]);
void sim_client_start(sim *s, int c);
void sim_client_timeout(sim *s, uint64_t op_index);
void sim_marker_propose(sim *s, int leader);
void sim_reads_release(sim *s, int n);
void sim_reads_arrive(sim *s, int n, const raft_read_state *rs, size_t count);
void sim_node_lost(sim *s, int n);
void sim_node_skipped(sim *s, int n, raft_index upto);
bool sim_clients_done(const sim *s);
void sim_history_close(sim *s);
void sim_op_abandon(sim *s, sim_op *op);
int sim_history_check(sim *s);

/* sim_check.c */
void sim_fail(sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_check_step(sim *s);
void sim_check_written(sim *s, int n, const raft_entry *entries, size_t count);
bool sim_check_applied(sim *s, int n, const raft_entry *e);
void sim_check_installed(sim *s, int n, const raft_snapshot_meta *meta);
void sim_check_send_now(sim *s, int n, const raft_msg *m);
void sim_check_send_after(sim *s, int n, const raft_msg *m);
void sim_check_durability(sim *s);
void sim_check_free(sim *s);
uint64_t sim_entry_hash(const raft_entry *e);
raft_index sim_durable_last(const sim_disk *d);

/* sim_trace.c */
void sim_trace(sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define TRACE(s, ...)                                                                    \
    do {                                                                                 \
        if ((s)->tracing) sim_trace((s), __VA_ARGS__);                                   \
    } while (0)
void sim_trace_msg(sim *s, const char *what, const raft_msg *m);
void sim_trace_dump(const sim *s, FILE *f);
const char *sim_op_kind_name(int kind);

#endif
