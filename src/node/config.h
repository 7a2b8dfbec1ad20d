/* node/config.h - the server's settings, one table for all three ways to set
 * them: a redis.conf-style file (`name value` per line, # comments, quoted
 * values), `--name value` flags that override the file, and CONFIG GET/SET
 * at run time (for the settings marked mutable).
 *
 * Owns: node_config values and their parsing/validation. */
#ifndef POLIS_NODE_CONFIG_H
#define POLIS_NODE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cmd/cmd.h"

#define CONFIG_STRING_BYTES_MAX 256

typedef struct node_config {
    char bind[CONFIG_STRING_BYTES_MAX];
    int64_t port;
    char dir[CONFIG_STRING_BYTES_MAX];
    char requirepass[CONFIG_STRING_BYTES_MAX];
    char logfile[CONFIG_STRING_BYTES_MAX];
    char pidfile[CONFIG_STRING_BYTES_MAX];
    int64_t loglevel; /* enum log_level */
    int64_t maxclients;
    int64_t timeout_s; /* idle client timeout, 0 = never */
    int64_t tcp_backlog;
    int64_t tcp_keepalive_s;
    int64_t hz;                 /* background task frequency */
    int64_t databases;          /* always 1: SELECT 0 only */
    int64_t proto_max_bulk_len; /* bytes */
    int64_t proto_max_args;
    int64_t proto_inline_max_bytes;
    int64_t client_query_buffer_limit;  /* bytes per client */
    int64_t client_output_buffer_limit; /* bytes per client, 0 = unlimited */
    int64_t client_output_pause_bytes;  /* stop reading a client above this */
    int64_t active_expire_enabled;      /* bool */
    int64_t maxmemory;                  /* bytes; 0 = no limit */
    int64_t maxmemory_policy;           /* enum kv_evict_policy */
    int64_t maxmemory_samples;
    int64_t lfu_log_factor;
    int64_t lfu_decay_time; /* minutes */
    char config_file[CONFIG_STRING_BYTES_MAX];
    /* Reported for tools that ask (redis-benchmark): a single node keeps no
     * data on disk yet, so "save" is empty and "appendonly" is no. */
    char save[CONFIG_STRING_BYTES_MAX];
    int64_t appendonly;
    /* Cluster mode (node/cluster.h): this node's id (0: a standalone,
     * in-memory node) and every member's peer address. */
    int64_t node_id;
    char peers[CONFIG_STRING_BYTES_MAX];
    int64_t cluster_id;             /* 0: derived from the peer list */
    int64_t cluster_leader_wait_ms; /* requests wait this long for a leader */
    int64_t
        cluster_shards; /* shards created when the cluster forms (0: wait for CREATE) */
    int64_t cluster_replicas; /* R: replicas per shard, capped by the node count */
    int64_t
        cluster_redirect; /* bool: -MOVED to the slot's leader instead of forwarding */
    int64_t cluster_join; /* bool: joins a running cluster (CLUSTER ADDNODE) */
    char zone[CONFIG_STRING_BYTES_MAX]; /* this node's zone label ("" = none) */
    int64_t raft_snapshot_entries;      /* applied entries between snapshots */
    int64_t raft_tick_ms;               /* raft clock tick; elections after 10-20 */
    /* A deliberate safety bug for the chaos tests (bool): every node serves
     * reads from its own replica without a ReadIndex round, so reads may
     * be stale. The chaos harness must report it. Never set it otherwise. */
    int64_t debug_unsafe_local_reads;
    /* Compact encodings (Redis's settings; cmd_limits). In a cluster every
     * node must use the same values; they are read at start-up there. */
    int64_t hash_max_listpack_entries;
    int64_t hash_max_listpack_value;
    int64_t set_max_intset_entries;
    int64_t zset_max_listpack_entries;
    int64_t zset_max_listpack_value;
    int64_t list_max_listpack_size;
} node_config;

/* The limits commands run under, from the settings. */
void config_cmd_limits(const node_config *cfg, cmd_limits *out);

void config_defaults(node_config *cfg);
/* Loads a config file. On error returns POLIS_ECONFIG and writes a message
 * naming the file, line and problem to err. */
int config_load_file(node_config *cfg, const char *path, buf *err);
/* Sets one setting from text (file, flag or CONFIG SET). `at_runtime`
 * refuses immutable settings. Returns 0, or POLIS_ENOTFOUND (unknown name),
 * POLIS_EINVAL (bad value; err says why) or POLIS_EBUSY (immutable). */
int config_set(node_config *cfg, const char *name, const char *value, bool at_runtime,
               buf *err);
/* Appends (name, value) pairs whose names match the glob to out_names and
 * out_values (each entry NUL-separated, i.e. strings), returns how many. */
typedef void config_visit_fn(void *priv, const char *name, const char *value);
size_t config_get_matching(const node_config *cfg, const char *pattern, size_t len,
                           config_visit_fn *fn, void *priv);
/* Writes the usage lines for `polis server --help`. */
void config_usage(buf *out);

#endif
