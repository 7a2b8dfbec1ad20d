/* node/cluster_int.h - the cluster's internals shared by node/cluster.c
 * (routing, requests, the meta group's bootstrap) and node/shards.c (the
 * shards' placement: local groups, membership changes, leader balance).
 * Not for other modules: they use node/cluster.h. */
#ifndef POLIS_NODE_CLUSTER_INT_H
#define POLIS_NODE_CLUSTER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/log.h"
#include "cluster/meta.h"
#include "node/cluster.h"
#include "node/group.h"
#include "node/peer.h"
#include "node/server.h"
#include "node/wire.h"
#include "wal/wal.h"

/* FORWARD flags (the codec leaves them to the host). */
#define FWD_READ 1u /* a read: run it on the receiver's replica after a barrier */
#define FWD_META 2u /* argv[0] is an encoded meta command for group 0 */

enum req_kind { REQ_WRITE, REQ_READ, REQ_META };

typedef void req_done_fn(void *arg, const char *reply, size_t len);

/* A request for one group: waiting for a leader or a shard map, proposed,
 * or forwarded. argv is a private copy: the client's buffer moves on. */
typedef struct request {
    struct request *next;
    node_cluster *c;
    uint64_t id;    /* forwarded: the id the leader echoes */
    raft_id to;     /* forwarded: the node it was sent to */
    uint64_t group; /* the shard's group; UINT64_MAX: not routed yet */
    uint8_t kind;   /* enum req_kind */
    bool forwarded;
    bool stale_ok; /* READONLY: the local replica at once, no barrier */
    bool redirect; /* the client asked for -MOVED instead of forwarding */
    req_done_fn *done;
    void *arg;
    cmd_def *cmd;
    int resp_proto;
    int64_t now_ms;
    uint64_t deadline_ms; /* loop time */
    buf args;
    cmd_arg *argv;
    size_t argc;
} request;

/* The receiving side of a forwarded request. */
typedef struct forward_ctx {
    node_cluster *c;
    uint64_t from;
    uint64_t request_id;
} forward_ctx;

/* What a node last heard of a group's leader (its own groups excepted:
 * those it asks raft). Also the leader's key counts, for INFO keyspace and
 * DBSIZE estimates on nodes without a replica. */
typedef struct leader_hint {
    uint64_t term;
    raft_id leader;
    uint64_t keys, expires; /* as its leader last announced */
    /* node/shards.c's bookkeeping for the group's local replica. */
    uint64_t dropped_ms;  /* when the map stopped placing it here */
    uint64_t released_ms; /* when its configuration let it go */
    uint64_t promote_ms;  /* when its leader last reported a learner ready */
    uint64_t split_ms;    /* a split's child: its entry last proposed (parent) */
    uint64_t done_ms;     /* a split's child: META_SPLIT_DONE last proposed */
    uint64_t sized_ms;    /* its leader here last weighed it for a split */
} leader_hint;

#define CLUSTER_PEERS_MAX 64

struct node_cluster {
    node_server *server;
    uv_loop_t *loop;
    wal *w;
    peer_net *net;
    group_host *host;
    node_group *meta; /* group 0: every node holds a replica (voter or learner) */
    raft_id node_id;
    uint64_t cluster_id;
    raft_conf conf; /* the static peer list, as a configuration */
    char peer_addr[CLUSTER_PEERS_MAX][64];
    raft_id peer_ids[CLUSTER_PEERS_MAX];
    size_t peer_count;    /* the peer list, then nodes learned from the map */
    size_t initial_peers; /* how many came from the peer list */
    char client_addr[META_ADDR_MAX + 1];
    request *waiting;   /* for a leader or a shard map */
    request *forwarded; /* sent to another node, reply pending */
    uint64_t next_request_id;
    leader_hint *hints; /* by group id */
    size_t hint_cap;
    uint64_t leaders_sig; /* of the last LEADERS sent */
    uint64_t leaders_gen; /* group_host_leadership_gen when last looked at */
    uint64_t leaders_sent_ms;
    uint64_t register_ms;
    bool creating;        /* initial shards proposed, not yet applied */
    bool placing;         /* a placement change proposed, not yet applied */
    uint64_t balanced_ms; /* last leader balance check */
    uint64_t swept_ms;    /* node/shards.c: last pass over every group */
    bool sweep_due;       /* the map changed: pass over every group at once */
    uint64_t splits_ms;   /* last look at the splits under way */
    bool sizing;          /* a split asked for by a shard leader here is pending */
    uv_timer_t timer;
    uv_check_t wake; /* retries waiting requests as soon as they can go */
    wire_scratch scratch;
    wire_limits limits;
    /* Stopping. */
    void (*stop_done)(void *arg);
    void *stop_arg;
    uint64_t stop_deadline;
    void (*close_cb)(void *arg);
    void *close_arg;
    int closing_parts;
    kv_keyspace empty; /* what local commands see on a node holding no shard */
};

/* The hint slot of a group (grown on demand; NULL for absurd ids). */
leader_hint *hint_at(node_cluster *c, uint64_t group);
/* The shard map this node has applied (its meta group replica). */
const meta_state *cluster_map(const node_cluster *c);
/* The node leading a group as far as this node knows, 0 if unknown. */
raft_id cluster_leader_of(node_cluster *c, uint64_t group);
/* Proposes a meta change through the meta leader; done(arg, reply) gets +OK
 * or the refusal (or a routing error). */
void cluster_meta_submit(node_cluster *c, const meta_cmd *mc, int proto,
                         req_done_fn *done, void *arg);

/* node/shards.c: brings the groups this node runs in line with the map
 * (starts the replicas it gained, retires the ones it lost) and links to
 * every node the map names. */
void shards_reconcile(node_cluster *c);
/* Every cluster timer tick: the meta leader's placement driver, each shard
 * leader's membership changes, leader balance. */
void shards_tick(node_cluster *c, uint64_t now);
/* CLUSTER REBALANCE: whether the placement is where the planner wants it
 * ("state:balanced", or "moving" / "leaders" while replicas or leaders are
 * still to move), then each node's replica and leader counts. */
void shards_balance_report(node_cluster *c, buf *out);
/* CLUSTER SPLIT: the meta change that splits `shard` at `slot` (0: at the
 * middle of its slots), or the reason it cannot in err. */
bool shards_plan_split(node_cluster *c, uint64_t shard, uint32_t slot, meta_cmd *out,
                       const char **err);
/* Logs `what: <error text>` at `level` if a meta or group reply is an
 * error; nothing otherwise. */
void cluster_log_refusal(enum log_level level, const char *what, const char *reply,
                         size_t len);

#endif
