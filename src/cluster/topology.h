/* cluster/topology.h - Redis Cluster's client-facing topology replies
 * (CLUSTER SLOTS, SHARDS, NODES, INFO, MYID) from the meta state.
 *
 * Owns: nothing beyond one call. It maps polis's multi-raft shape onto
 * Redis Cluster's master/replica picture so that cluster clients route
 * keys to the node that can serve them: redis-py's RedisCluster reads
 * CLUSTER SLOTS, redis-cli --cluster and redis-benchmark --cluster read
 * CLUSTER NODES, newer clients read CLUSTER SHARDS.
 *
 * The mapping (docs/design/009-partitioning.md). Each shard is one Raft
 * group; the node serving it (topo_serving_node: its leader, else its first
 * voter) is shown as the shard's master and its other voters as replicas.
 * A node leads some shards and follows others, so in CLUSTER NODES every
 * node is a master, holding the slots of the shards it serves; in CLUSTER
 * SLOTS and SHARDS a node appears once per shard it holds a voter of.
 * Learners (replicas still catching up) are not shown. Node names are the
 * node ids, written as 40 hex digits (topo_node_name).
 *
 * Addresses: meta_node.addr ("host:port" or "[v6]:port") is the address
 * clients connect to; the port of peer_addr is shown as the cluster bus
 * port. An IPv6 host is written without brackets, as Redis does. A node
 * whose client address does not parse is left out of SLOTS and SHARDS and
 * shown with the noaddr flag in NODES.
 *
 * Pure: no clock, no I/O; allocation through mem_* only for scratch that is
 * freed before returning. The leader function is called at most once per
 * shard range, during the call.
 * May call: cluster/meta.h, resp/resp.h, base/.
 * Must never: change the meta state, or keep pointers into it. */
#ifndef POLIS_CLUSTER_TOPOLOGY_H
#define POLIS_CLUSTER_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cluster/meta.h"
#include "resp/resp.h"

#define TOPO_NODE_NAME_LEN 40u /* Redis's CLUSTER_NAMELEN */

/* The node leading the shard's group now, 0 if unknown. */
typedef uint64_t topo_leader_fn(void *priv, uint64_t shard);

/* What the replies are made from; the caller owns all of it and keeps it
 * unchanged during a call. */
typedef struct topo_view {
    const meta_state *m;
    uint64_t self;             /* this node's id */
    topo_leader_fn *leader_of; /* may be NULL: leader unknown everywhere */
    void *priv;
} topo_view;

/* A node's 40-hex-digit cluster name, derived from its numeric id (stable,
 * unique, lowercase hex: 24 zeros, then the id in 16 digits, so that the
 * name ends in the id an operator knows), into out[41], NUL-terminated. */
void topo_node_name(uint64_t id, char out[TOPO_NODE_NAME_LEN + 1]);

/* Parses a node name back to its id: exactly 40 lowercase hex digits, as
 * topo_node_name writes them (names are compared exactly, as Redis does).
 * False if malformed, wider than 64 bits, or 0 (no node has id 0). */
bool topo_node_id(const char *name, size_t len, uint64_t *id);

/* The whole CLUSTER SLOTS reply: one entry per slot range of every shard,
 * sorted by first slot: first, last, then [host, port, name, {}] for the
 * serving node and for each other voter (Redis 7's four elements; the map
 * of extra networking metadata is empty). */
void topo_cluster_slots(const topo_view *v, resp_writer *w);

/* The whole CLUSTER SHARDS reply: per shard (in id order) a map "slots" ->
 * [first, last, ...], "nodes" -> one map per voter, serving node first:
 * id, port, ip, endpoint, role, replication-offset, health. */
void topo_cluster_shards(const topo_view *v, resp_writer *w);

/* The CLUSTER NODES text, one "\n"-terminated line per node that is not
 * removed, appended to out; the caller sends it as a verbatim ("txt")
 * string, as Redis does. */
void topo_cluster_nodes(const topo_view *v, buf *out);

/* The CLUSTER INFO text, "field:value\r\n" lines, appended to out; sent
 * as a verbatim ("txt") string as well. */
void topo_cluster_info(const topo_view *v, buf *out);

/* The node that should serve a shard: its leader if known and still a
 * voter, else the shard's first voter; 0 if the shard has none. */
uint64_t topo_serving_node(const topo_view *v, const meta_shard *s);

#endif
