/* cluster/meta.h - the meta group's state machine: the cluster's shape.
 *
 * Owns: the nodes (id, client and peer addresses, zone label, state), the
 * shards (id = the shard's Raft group id, slot ranges, voters, learners,
 * epoch), the replication factor R, the slot -> shard map, and the map's
 * epoch. Every change is a meta_cmd, encoded into one entry of the meta
 * group's log (group 0) and applied by every replica of that group in log
 * order; meta_apply validates each one against the state it meets, so a
 * stale or conflicting change (an operator and the placement driver at once,
 * a driver that lost leadership) is refused identically everywhere instead
 * of corrupting the map (docs/design/009-partitioning.md).
 *
 * Settings: R (fixed once a shard exists) and the split thresholds.
 *
 * Rules enforced on apply:
 *   - slot ranges of shards are disjoint; a shard is created with exactly
 *     R voters on distinct nodes that are up;
 *   - a replica change names the shard epoch it was planned against and is
 *     refused if the shard changed since; each bumps the shard's epoch;
 *   - one move at a time per shard: a learner is added only to a shard with
 *     none; a voter is removed only while the shard has more than R voters
 *     (never fewer than R: the new replica joins before the old one leaves);
 *   - a split gives the new shard (an id above the parent's) the parent's
 *     slots from `split_at` up, on the parent's voters, and only while the
 *     parent has no learner and is in no other split; until the split is
 *     done neither shard changes replicas;
 *   - a node is removed only once it holds no replica.
 *
 * Pure: no clock, no I/O, no allocation failure handling beyond mem_*.
 * May call: base/, cluster/slot.h. */
#ifndef POLIS_CLUSTER_META_H
#define POLIS_CLUSTER_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cluster/slot.h"

#define META_MAX_REPLICAS   7u  /* R at most */
#define META_MAX_VOTERS     8u  /* R + 1 while a move is between promote and remove */
#define META_MAX_LEARNERS   1u  /* one move at a time per shard */
#define META_ADDR_MAX       63u /* host:port */
#define META_ZONE_MAX       31u
#define META_MAX_CMD_RANGES 64u

enum meta_node_state { META_NODE_UP = 1, META_NODE_DRAINING, META_NODE_REMOVED };

typedef struct meta_node {
    uint64_t id;
    uint8_t state;
    char addr[META_ADDR_MAX + 1];
    char peer_addr[META_ADDR_MAX + 1];
    char zone[META_ZONE_MAX + 1]; /* "" when unlabelled */
} meta_node;

typedef struct meta_range {
    uint16_t first, last; /* inclusive */
} meta_range;

typedef struct meta_shard {
    uint64_t id;
    uint64_t epoch; /* bumped by every change to this shard */
    uint32_t range_count;
    meta_range *ranges; /* sorted, disjoint, not adjacent */
    uint32_t voter_count;
    uint32_t learner_count;
    uint64_t voters[META_MAX_VOTERS];
    uint64_t learners[META_MAX_LEARNERS];
    /* A shard born of a split: its parent's id until the split is done
     * (META_SPLIT_DONE, once the new group elected a leader), 0 otherwise.
     * While it is set the child is made from its parent's log, not
     * started empty, and neither shard moves a replica or splits again. */
    uint64_t split_from;
} meta_shard;

#define META_SPLIT_KEYS_DEFAULT  4000000ull      /* keys in a shard before it splits */
#define META_SPLIT_BYTES_DEFAULT (2048ull << 20) /* bytes in a shard before it splits */

typedef struct meta_state {
    uint64_t epoch;       /* bumped by every applied change */
    uint32_t replicas;    /* R: voters per shard */
    uint64_t split_keys;  /* a shard past this many keys is split (0: never) */
    uint64_t split_bytes; /* ... or past this many bytes (0: never) */
    size_t node_count;
    meta_node *nodes; /* by id, ascending */
    size_t shard_count;
    meta_shard *shards;            /* by id, ascending */
    uint64_t owner[CLUSTER_SLOTS]; /* shard id per slot, 0 = none */
} meta_state;

enum meta_op {
    META_SET_REPLICAS = 1, /* replicas */
    META_NODE_ADD,         /* node, addr, peer_addr, zone */
    META_NODE_DRAIN,       /* node: its replicas are to move away */
    META_NODE_REMOVE,      /* node: holds no replica any more */
    META_SHARD_CREATE,     /* shard, ranges, voters */
    META_LEARNER_ADD,      /* shard, epoch, node */
    META_LEARNER_PROMOTE,  /* shard, epoch, node */
    META_VOTER_REMOVE,     /* shard, epoch, node */
    META_SHARD_SPLIT,      /* shard, epoch, new_shard, split_at */
    META_SET_SPLIT,        /* split_keys, split_bytes */
    META_SPLIT_DONE,       /* shard (a split's child), epoch: the split finished */
    META_OP_LAST_
};

typedef struct meta_cmd {
    uint8_t op;
    uint64_t node;
    uint64_t shard;
    uint64_t epoch; /* the shard's epoch the change was planned against */
    uint64_t new_shard;
    uint16_t split_at;
    uint32_t replicas;
    uint64_t split_keys;
    uint64_t split_bytes;
    char addr[META_ADDR_MAX + 1];
    char peer_addr[META_ADDR_MAX + 1];
    char zone[META_ZONE_MAX + 1];
    uint32_t range_count;
    meta_range ranges[META_MAX_CMD_RANGES];
    uint32_t voter_count;
    uint64_t voters[META_MAX_REPLICAS];
} meta_cmd;

void meta_init(meta_state *m, uint32_t replicas);
void meta_destroy(meta_state *m);

const meta_node *meta_node_find(const meta_state *m, uint64_t id);
const meta_shard *meta_shard_find(const meta_state *m, uint64_t id);
bool meta_shard_has_voter(const meta_shard *s, uint64_t node);
bool meta_shard_has_replica(const meta_shard *s, uint64_t node);
/* The id the next new shard gets: one above every shard id so far. */
uint64_t meta_next_shard_id(const meta_state *m);
/* Whether the shard is in a split not yet done: as the child (split_from)
 * or as the parent of such a child. */
bool meta_shard_splitting(const meta_state *m, const meta_shard *s);
/* Replicas (voters and learners) on a node. */
size_t meta_node_replicas(const meta_state *m, uint64_t node);

/* Applies a command: 0, or POLIS_EINVAL with the reason in err (for the
 * log line and the operator's reply); a refused command changes nothing. */
int meta_apply(meta_state *m, const meta_cmd *c, char *err, size_t err_len);

/* The log entry form: version byte, then the fields. Decoding checks every
 * length and value range: POLIS_ECORRUPT on anything malformed. */
void meta_encode(const meta_cmd *c, buf *out);
int meta_decode(const void *data, size_t len, meta_cmd *c);

/* Snapshot of the whole state (the meta group's Raft snapshot). */
void meta_dump(const meta_state *m, buf *out);
int meta_load(meta_state *m, const void *data, size_t len);

/* Checks the state's invariants independently of meta_apply (slot map
 * agrees with the ranges, ranges disjoint, every shard has >= R voters on
 * distinct live nodes, voters and learners disjoint, no replica on a
 * removed node); false with the first violation in why. */
bool meta_check(const meta_state *m, char *why, size_t why_len);

/* Test knob: lets META_VOTER_REMOVE drop a shard below R voters, so that
 * the tests can prove meta_check (and the placement simulation) notice. */
extern bool meta_debug_allow_under_replication;

#endif
