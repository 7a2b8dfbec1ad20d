/* node/evict.h - acting on eviction choices (kv/evict.h decides).
 *
 * A standalone node deletes the chosen keys itself, before running a
 * command, whenever used memory is over maxmemory; a command that may grow
 * memory (CMD_DENYOOM) is then refused with -OOM if eviction could not get
 * under the limit (always so under noeviction). A cluster leader proposes
 * the deletions through the log from its timer, and followers never evict
 * on their own (ARCHITECTURE §6).
 *
 * May call: kv/, node/server, node/group. */
#ifndef POLIS_NODE_EVICT_H
#define POLIS_NODE_EVICT_H

#include <stdbool.h>
#include <stdint.h>

#include "kv/kv.h"

struct node_server;
struct node_group;

/* Keys evicted per pass at most (the rest waits for the next command or
 * tick), so one command never stalls the loop for long. */
#define EVICT_KEYS_PER_PASS 1000

#define OOM_ERROR "OOM command not allowed when used memory > 'maxmemory'."

/* Memory maxmemory applies to: all of polis's allocations but the
 * replication log in memory (the Raft log and the WAL's entry cache), as
 * Redis leaves its replication buffers out. */
size_t node_counted_memory(const struct node_server *s);
bool node_over_maxmemory(const struct node_server *s);
/* Standalone: evicts from ks until under the limit; returns false if still
 * over it. */
bool node_evict_now(struct node_server *s, kv_keyspace *ks, int64_t now_ms);
/* Cluster leader: proposes the deletion of up to `max` chosen keys of the
 * group's keyspace; returns how many. */
uint32_t node_evict_propose(struct node_server *s, struct node_group *g, int64_t now_ms,
                            uint32_t max);
/* The keyspace's access-clock mode from the settings (every command). */
void node_access_mode(const struct node_server *s, kv_keyspace *ks);

#endif
