/* cluster/placement.h - the placement driver's planner: given the meta
 * state, the next replica change that moves the cluster toward its goal.
 *
 * The meta leader calls placement_next repeatedly, proposes the command it
 * returns through the meta log, and waits for it to apply (and, for a
 * learner, for its catch-up) before asking again. The planner is a pure
 * function of the state and of which learners have caught up, so it can be
 * driven by a simulation in the tests.
 *
 * Goals, in order (the first that applies gives the command):
 *   1. finish moves: promote a learner that has caught up; remove the extra
 *      voter of a shard that has R + 1 (the one on a draining node, else
 *      the one whose zone is doubled, else the one on the most loaded node);
 *   2. replace replicas on draining nodes: add a learner on the best node;
 *   3. finish drains: mark a draining node that holds nothing as removed;
 *   4. spread zones: a shard with two voters in one zone while a zone with
 *      an up node is unused by it gets a learner there;
 *   5. balance: while the most loaded up node holds 2+ more replicas than
 *      the least loaded, move one replica from the former to the latter.
 * A shard with a learner that has not caught up is left alone (one move at
 * a time per shard), and so is a shard in a split not yet done (the child
 * is being made on the parent's replicas). "Best node": up, not holding the shard, in a
 * zone the shard does not use when possible, fewest replicas, lowest id.
 *
 * Leader balance (TimeoutNow transfers) needs leadership facts the meta
 * state does not hold; it comes with the driver in the server.
 * May call: cluster/meta.h, base/mem.h. */
#ifndef POLIS_CLUSTER_PLACEMENT_H
#define POLIS_CLUSTER_PLACEMENT_H

#include <stdbool.h>

#include "cluster/meta.h"

/* Whether the learner `node` of `shard` has caught up (received the
 * snapshot and is close to the leader's log). */
typedef bool placement_caught_up_fn(void *priv, uint64_t shard, uint64_t node);

/* Fills *out with the next command and returns true, or returns false when
 * nothing is to be done (or everything to be done waits for catch-up). */
bool placement_next(const meta_state *m, placement_caught_up_fn *caught_up, void *priv,
                    meta_cmd *out);

/* ---- Splits ---------------------------------------------------------------- */

/* What a shard's leader reports of its size. slot_keys, if not NULL, has
 * CLUSTER_SLOTS entries: keys per slot (kv_slot_size). */
typedef struct placement_shard_size {
    uint64_t shard;
    uint64_t keys;
    uint64_t bytes;
    const uint32_t *slot_keys;
} placement_shard_size;

/* The split of the first shard (in the order given) that is past the meta
 * state's split_keys or split_bytes, not moving a replica, and holds more
 * than one slot: at the slot where its keys (per slot_keys; by slot count
 * without them) first reach half, so each side gets about half; the new
 * shard takes the next free id. False if no shard needs or allows one. */
bool placement_split(const meta_state *m, const placement_shard_size *sizes, size_t n,
                     meta_cmd *out);

/* ---- Leaders ---------------------------------------------------------------- */

/* The node leading a shard's group now, 0 if unknown. */
typedef uint64_t placement_leader_fn(void *priv, uint64_t shard);

/* A leadership transfer that evens out leaders over up nodes: while the
 * node leading the most shards leads 2+ more than the one leading the
 * fewest, a shard led by the former that has a voter on the latter moves
 * its leadership there (by the pair furthest apart that can trade). Also
 * moves leadership off a node that is not up. False when balanced. */
bool placement_leader_move(const meta_state *m, placement_leader_fn *leader_of,
                           void *priv, uint64_t *shard, uint64_t *to);

#endif
