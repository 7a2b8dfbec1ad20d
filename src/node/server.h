/* node/server.h - the polis server process: one libuv loop that accepts
 * client connections, parses requests, dispatches them through cmd/, runs
 * them against the keyspace and writes replies back.
 *
 * Owns: sockets, timers, signals, the clock and the keyspace of this node.
 * This is the one layer that does I/O (ARCHITECTURE §2): it reads the wall
 * clock and the random source and passes them to pure code as arguments.
 *
 * Flow of a request: read -> client query buffer -> resp parser -> argv ->
 * cmd_lookup -> arity/auth checks -> handler(cmd_ctx) -> reply buffer. All
 * requests that arrived together are executed in one pass (pipelining), and
 * replies of every client are flushed once per loop iteration (uv_check),
 * with uv_try_write first and an async write only for what the socket did
 * not take. A client whose unsent output exceeds client-output-pause-bytes is
 * not read (and its buffered requests not executed) until it drains. */
#ifndef POLIS_NODE_SERVER_H
#define POLIS_NODE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/buf.h"
#include "base/rng.h"
#include "cmd/cmd.h"
#include "kv/evict.h"
#include "kv/kv.h"
#include "node/config.h"
#include "resp/resp.h"

enum client_flag {
    CLIENT_CLOSE_AFTER_REPLY = 1u << 0, /* QUIT, protocol error */
    CLIENT_CLOSING = 1u << 1,           /* uv_close called */
    CLIENT_PENDING_WRITE = 1u << 2,     /* on the server's pending list */
    CLIENT_READ_PAUSED = 1u << 3,       /* output backpressure */
    CLIENT_READONLY = 1u << 4,          /* READONLY: local, possibly stale reads */
};

/* A reply known only later: a write waiting for consensus, a read waiting
 * for its ReadIndex. A client's replies leave in request order, so a
 * synchronous reply that follows a pending one waits in a slot too. A slot
 * whose client went away is orphaned (client NULL) and freed when filled. */
typedef struct node_reply_slot {
    struct node_reply_slot *next;
    struct node_client *client;
    buf data;
    bool done;
} node_reply_slot;

/* Replies pending per client before its requests stop being executed. */
#define CLIENT_SLOTS_MAX 10000

typedef struct node_client {
    uint64_t id;
    uv_tcp_t tcp;
    uv_write_t write_req;
    struct node_server *server;
    struct node_client *prev, *next;  /* all clients */
    struct node_client *pending_next; /* clients with output to flush */
    uint32_t flags;
    int resp; /* protocol version: 2 or 3 */
    bool authenticated;
    bool writing; /* write_req in flight on `inflight` */
    buf query;    /* unprocessed input */
    resp_parser parser;
    buf out;      /* replies not yet handed to the socket */
    buf inflight; /* replies the socket is writing */
    size_t inflight_sent;
    cmd_arg *argv;
    size_t argv_cap;
    char *name; /* CLIENT SETNAME, NULL if none */
    char addr[64];
    char laddr[64];
    int fd;
    int64_t ctime_ms;
    int64_t last_interaction_ms;
    const cmd_def *last_cmd;
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
    node_reply_slot *slots_head, *slots_tail;
    size_t slot_count;
    struct node_blocked *blocked; /* parked by BLPOP & co (node/blocking.h) */
    bool unblocked;               /* on the server's unblocked list */
    struct node_client *unblocked_next;
} node_client;

typedef struct node_stats {
    uint64_t connections_received;
    uint64_t commands_processed;
    uint64_t rejected_connections;
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
    uint64_t error_replies;
    uint64_t expire_cycles;
    uint64_t evicted_keys;
    /* Instantaneous ops/sec: samples of commands_processed, one per cron. */
    uint64_t ops_samples[16];
    int64_t ops_sample_ms[16];
    size_t ops_sample_index;
} node_stats;

typedef struct node_server {
    uv_loop_t *loop;
    node_config cfg;
    uv_tcp_t listener;
    uv_timer_t cron;
    uv_check_t flush;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    kv_keyspace ks;
    rng rng;
    node_client *clients;
    node_client *pending_writes;
    size_t client_count;
    uint64_t next_client_id;
    uint64_t revision;
    int64_t start_ms;
    char run_id[41];
    node_stats stats;
    bool shutting_down;
    int exit_code;
    struct node_cluster *cluster; /* NULL: standalone */
    /* Blocked clients (node/blocking.c). */
    struct node_blocked *blocked_head, *blocked_tail;
    size_t blocked_count;
    uv_timer_t block_timer;
    buf ready_keys; /* keys written since the last retry pass */
    size_t ready_off;
    bool serving_blocked;
    node_client *unblocked;   /* to resume their input */
    kv_evict_pool evict_pool; /* node/evict.c */
    uint32_t evict_inflight;  /* eviction proposals not yet applied */
} node_server;

/* Runs a server with this configuration until SHUTDOWN or SIGTERM/SIGINT.
 * Returns the process exit code. */
int node_server_run(const node_config *cfg);

/* The wall clock, in ms and us (the one place it is read). */
int64_t node_now_ms(void);
int64_t node_now_us(void);

/* Closes a client (after its in-flight write is cancelled). */
void node_client_close(node_client *c);
/* Begins an orderly shutdown: stop listening, close clients, stop the loop. */
void node_server_shutdown(node_server *s);
/* Reserves the next reply position of c for an asynchronous reply. */
node_reply_slot *node_client_defer(node_client *c);
/* Completes a deferred reply; replies then leave in request order. */
void node_reply_fill(node_reply_slot *s, const char *data, size_t len);
/* Runs a parked client's command again (timed_out: its deadline passed);
 * returns true if it asked to block again. The reply goes to c's output. */
bool node_run_parked(node_client *c, cmd_def *d, const cmd_arg *argv, size_t argc,
                     bool timed_out);
/* Executes c's pending requests (after it was unblocked). */
void node_client_resume(node_client *c);
/* Fills a CLIENT LIST line for c (ends with "\n"). */
void node_client_describe(const node_client *c, buf *out);
/* Appends INFO sections to out; `sections` as given by the client. */
void node_info(node_server *s, const cmd_arg *sections, size_t count, buf *out);

#endif
