/* node/cluster.h - cluster mode of a node: the WAL, the peer links and the
 * group host, and the routing of client commands through them.
 *
 * A node runs in cluster mode when it has a node id and a peer list
 * (`--node-id N --peers 1=ip:port,2=...`, or the cluster.conf it wrote in
 * its directory on first start). Every node accepts every command:
 *   - server commands (CLIENT, INFO, CONFIG...) run locally;
 *   - writes are proposed to the data group's leader: here if this node
 *     leads, else forwarded over the peer link, the reply relayed back;
 *   - reads wait for a ReadIndex barrier (linearizable), then run on the
 *     local replica; a READONLY connection reads the local replica at once;
 *   - with no leader, requests wait up to cluster-leader-wait-ms, then get
 *     -CLUSTERDOWN.
 * Owns: the WAL, peer_net and group_host of the node, forwarded requests.
 * May call: node/group, node/peer, node/wire, wal/, raft/, cmd/. */
#ifndef POLIS_NODE_CLUSTER_H
#define POLIS_NODE_CLUSTER_H

#include <stdbool.h>

#include "cmd/cmd.h"

struct node_server;
struct node_client;
typedef struct node_cluster node_cluster;

/* Starts cluster mode from the server's configuration; writes cluster.conf
 * on first start. Returns 0 or a POLIS_E... code (logged). */
int cluster_start(struct node_server *s, node_cluster **out);
/* Begins a graceful stop: a leader first hands leadership to a caught-up
 * follower (waiting up to ~1 s); then done(arg) runs and cluster_close may
 * be called. */
void cluster_prepare_stop(node_cluster *c, void (*done)(void *arg), void *arg);
/* Closes everything; cb(arg) once all handles are closed. */
void cluster_close(node_cluster *c, void (*cb)(void *arg), void *arg);

/* Routes a command; returns true if cluster mode took it (its reply comes
 * later through a reply slot), false if it runs locally as usual. */
bool cluster_route(node_cluster *c, struct node_client *cl, cmd_def *d,
                   const cmd_arg *argv, size_t argc, int64_t now_ms);
/* The keyspace local commands should see (the data group's replica). */
kv_keyspace *cluster_keyspace(node_cluster *c);
/* CLUSTER SLOTS, SHARDS, NODES, INFO or MYID (by subcommand name). */
void cluster_topology(node_cluster *c, const char *what, resp_writer *w);
/* Keys and keys with a TTL over every shard: counted on the replica here,
 * or as the shard's leader last announced it (at most a second old). */
void cluster_keyspace_totals(node_cluster *c, size_t *keys, size_t *expires);
/* Appends the INFO "replication" section. */
void cluster_info_replication(node_cluster *c, buf *out);
/* INFO persistence: the WAL's flush and fsync counters. */
void cluster_info_persistence(node_cluster *c, buf *out);
/* Heap bytes of the replication log in memory (Raft logs, the WAL's entry
 * cache and index). */
size_t cluster_log_bytes(node_cluster *c);

#endif
