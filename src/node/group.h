/* node/group.h - the group host: every Raft group this node hosts, glued to
 * the node's WAL and to each group's keyspace (ARCHITECTURE §2, §4-§6).
 *
 * Each loop iteration, for every group with output:
 *   - queue its entries and hard state in the WAL (one flush, one fdatasync
 *     for all groups: the WAL's group commit), send the messages that may
 *     leave at once, apply committed entries to the keyspace and answer the
 *     proposer's waiting request, serve reads whose index is applied;
 *   - when the WAL reports the batch durable (a wal_sync barrier per group),
 *     send the messages that promise durability and advance the group.
 * Ticks drive every group's timers. Snapshots of a keyspace are written
 * through the WAL's snapshot store; received snapshots are assembled from
 * chunks and installed.
 *
 * Owns: the groups (raft + keyspace + pending requests).
 * May call: raft/, wal/, kv/, cmd/, base/, libuv (timers, loop handles).
 * Must never: send bytes itself (the transport callback does), block the
 * loop (the WAL does disk work on its threads). */
#ifndef POLIS_NODE_GROUP_H
#define POLIS_NODE_GROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cluster/meta.h"
#include "cluster/slotset.h"
#include "cmd/cmd.h"
#include "cmd/entry.h"
#include "kv/kv.h"
#include "raft/raft.h"
#include "wal/wal.h"

/* Group 0 is the meta group: its state machine is the cluster's shape
 * (cluster/meta.h), its entries encoded meta commands; every other group
 * is a shard, its state machine a keyspace. */
#define GROUP_META 0

typedef struct group_host group_host;
typedef struct node_group node_group;

/* Sends one raft message to its destination node. The message (and its
 * entries and data) is borrowed for the call. */
typedef void group_send_fn(void *arg, const raft_msg *m);

/* A request's completion. status 0: reply holds the RESP reply (in the
 * protocol version the request asked for). status < 0: the request failed
 * before or without a known outcome; reply holds a RESP error for the
 * client. Both are borrowed for the call. */
typedef void group_done_fn(void *arg, int status, const char *reply, size_t len);

typedef struct group_host_config {
    raft_id node_id;
    raft_config raft; /* template: id, group and seed are filled in */
    uint32_t tick_ms; /* length of one raft tick (50) */
    cmd_limits limits;
    uint64_t snapshot_entries;   /* applied entries between snapshots (100000) */
    raft_index snapshot_keep;    /* entries kept after one, for slow followers */
    uint32_t request_timeout_ms; /* a proposal or read not done by then fails */
    uint32_t pipeline_depth;     /* a group's batches waiting for the WAL at once (8);
                                    1: each batch waits for the previous fsync */
    uint64_t seed;
} group_host_config;

void group_host_config_defaults(group_host_config *cfg);

/* Opens the host over a recovered WAL: every group found in it is restarted
 * from its snapshot and log. `send` carries raft messages to peers. */
int group_host_open(uv_loop_t *loop, const group_host_config *cfg, wal *w,
                    group_send_fn *send, void *send_arg, group_host **out);
/* Stops ticking and releases the groups (the WAL is the caller's). */
void group_host_close(group_host *h);

/* Creates a new group with its founding configuration (a no-op returning
 * POLIS_EEXISTS if the group already exists, e.g. after a restart). */
int group_create(group_host *h, uint64_t group, const raft_conf *conf);
node_group *group_find(group_host *h, uint64_t group);
/* The group left this node (its replica moved elsewhere): pending requests
 * fail, its WAL records and snapshots are dropped, and it is freed once no
 * WAL callback is due. Not for the meta group. */
int group_retire(group_host *h, uint64_t group);
/* Proposes a membership change of the group (leader only; one at a time:
 * raft refuses a second while one is pending). */
int group_propose_conf(node_group *g, const raft_conf_change *changes, size_t count);
/* A message from a peer for one of our groups (unknown groups are dropped). */
void group_host_step(group_host *h, const raft_msg *m);

/* Proposes a write (already validated: known command, right arity). When
 * the entry is applied on this node with the term it was proposed in, done
 * gets the command's reply; if another entry took its place, or the request
 * times out, done gets an error. POLIS_EBUSY/-NOTLEADER style failures are
 * reported synchronously as a negative return (done is not called):
 * RAFT_E_NOT_LEADER (see group_leader), RAFT_E_BUSY, RAFT_E_TOO_BIG. */
int group_propose(node_group *g, const cmd_arg *argv, size_t argc, int resp_proto,
                  int64_t now_ms, group_done_fn *done, void *arg);

/* Proposes a change of the meta state (the meta group only); done gets +OK
 * once it applied, or -ERR with the reason meta_apply refused it. Failures
 * as for group_propose. */
int group_propose_meta(node_group *g, const meta_cmd *mc, int resp_proto,
                       group_done_fn *done, void *arg);
/* The meta state as this replica applied it (NULL for a shard's group). */
const meta_state *group_meta(const node_group *g);
/* Whether a meta entry was applied since the last call (clears the flag). */
bool group_host_meta_changed(group_host *h);
size_t group_host_count(const group_host *h);
/* Wakes every hibernating group (a peer link went down: its leader may be
 * gone). See group.c for hibernation. */
void group_host_wake_all(group_host *h);
bool group_hibernating(const node_group *g);
/* Makes a hibernating group tick again (e.g. a request for it went to its
 * leader elsewhere: if that leader is silent, this replica must notice). */
void group_wake(node_group *g);
/* Asks the group's leader (this node) to hand leadership to `to`. */
int group_transfer_to(node_group *g, raft_id to);
/* Changes whenever a group here gains or loses leadership or changes
 * term (as seen by the loop's passes). */
uint64_t group_host_leadership_gen(const group_host *h);
/* Starts an election now (without waiting for the election timer). */
void group_campaign(node_group *g);
node_group *group_host_at(group_host *h, size_t i);

/* A linearizable read: done(arg, 0, NULL, 0) is called once this node has
 * applied everything committed before the read arrived (ReadIndex, on the
 * leader or through it); the caller then executes the read locally. */
int group_read_barrier(node_group *g, group_done_fn *done, void *arg);

/* Fails every pending request of every group with the given error (used at
 * shutdown). */
void group_host_fail_all(group_host *h, const char *error);

kv_keyspace *group_keyspace(node_group *g);
raft *group_raft(node_group *g);
raft_id group_leader(const node_group *g);
uint64_t group_id(const node_group *g);

/* Asks the group's leader (if this node) to hand leadership to the most
 * up-to-date peer; returns false if this node does not lead it. */
bool group_transfer_leadership(node_group *g);

/* ---- Splits (group.c, "Splits") ---- */

/* The refusal of a request for a slot the group no longer serves (it went
 * to a split's child): certainly not applied, so the forwarder routes it
 * again with a newer map. The marker is what node/cluster.c looks for. */
#define GROUP_ERR_SLOT_MOVED_MARK "is not served by this shard"
#define GROUP_ERR_SLOT_MOVED_FMT                                                         \
    "TRYAGAIN slot %d " GROUP_ERR_SLOT_MOVED_MARK " (it split); not applied"

/* The first slot of a command's keys that the group does not serve, -1 if
 * it serves them all. */
int group_unowned_slot(const node_group *g, const cmd_arg *argv, size_t argc);
/* Whether the group serves every slot / any slot of the set. */
bool group_serves_slots(const node_group *g, const slot_set *slots);
bool group_serves_any(const node_group *g, const slot_set *slots);
/* Whether the group, born of a split here, is not yet durable (it does not
 * run until it is). */
bool group_unborn(const node_group *g);
/* Proposes a split entry (the leader of the parent only); done gets +OK
 * once it applied (also when it moved nothing: the split was applied
 * already). Failures as for group_propose. */
int group_propose_split(node_group *g, const cmd_split *sp, group_done_fn *done,
                        void *arg);

#endif
