/* node/peer.h - links between the nodes of a cluster, on libuv.
 *
 * A peer_net listens on the peer port, dials every peer it knows, and moves
 * frames (node/wire.h) between them: the group host hands it raft batches,
 * forwarded requests and replies to send, and receives what peers send
 * through one callback. What the frames mean is the host's business.
 *
 * Owns: the listener, one outbound and at most one inbound connection per
 * peer, their buffers, timers and counters.
 * May call: base/, node/wire, libuv.
 * Must never: block, interpret a data frame, retry a data frame (raft
 * retransmits; a queue that outlived its link would only deliver stale
 * messages), crash on anything a peer sends.
 *
 * ---- Links ----------------------------------------------------------------
 *
 * Each node dials each peer it knows and sends its data frames only on that
 * outbound connection; it receives data frames only on inbound connections.
 * So between two nodes there are two TCP connections, one per direction,
 * and no tie-break is needed when both dial at once: nothing is ever a
 * duplicate pair. The reverse direction of a connection carries only the
 * link's control frames (HANDSHAKE_ACK/REJECT, PONG).
 *
 *   dialer                                    acceptor
 *     TCP connect  --------------------------->
 *     HANDSHAKE (cluster, my id, your id,
 *                versions)  ------------------>  checks them
 *                 <----------------------------  HANDSHAKE_ACK (version)
 *                                                or HANDSHAKE_REJECT + close
 *     RAFT / FORWARD / REPLY / PING ---------->  on_frame() / PONG
 *
 * A link that fails (refused, reset, rejected, handshake not done within
 * handshake_timeout_ms, silent for idle_timeout_ms) is closed, its queue
 * dropped and counted, and the peer redialed after an exponential backoff
 * between reconnect_delay_ms_min and _max with jitter ("equal jitter": half
 * the delay fixed, half random from cfg.seed). The dialer pings every
 * ping_interval_ms; the acceptor answers. A new inbound connection from a
 * node replaces an older one (the old one is a restarted or half-open
 * peer's), so a peer that rebooted is heard at once.
 *
 * ---- Sending ----------------------------------------------------------------
 *
 * peer_send*() append one frame to the peer's outbound queue and return at
 * once. Frames queued during one loop iteration leave in one write: the net
 * flushes every queue from a uv_check handle (after I/O callbacks) and a
 * uv_prepare handle (after timers, before the loop may block), or when the
 * host calls peer_net_flush(). Each flush tries uv_try_write first and
 * hands only what the socket did not take to uv_write, collecting new
 * frames in a second buffer meanwhile (as node/server.c does for clients).
 *
 * Results of peer_send*(): 0 queued; POLIS_ECLOSED the link is not up (the
 * frame is dropped and counted; raft retransmits, the host may call
 * raft_report_unreachable); POLIS_EBUSY the peer's queue holds
 * queue_bytes_max, with this frame (backpressure: nothing was queued; try
 * later, see peer_writable()); POLIS_ELIMIT the frame is over frame_payload_bytes_max;
 * POLIS_ENOTFOUND unknown peer. A frame is accepted into an empty queue
 * whatever its size (up to the frame limit), so a large entry always gets
 * through eventually.
 *
 * ---- Receiving ----------------------------------------------------------------
 *
 * Each connection reads into its own buffer, bounded by the frame limit
 * (a 9-byte header announces the size; nothing is reserved beyond what has
 * arrived and 16 MiB), and parses frames as they complete. Data frames from
 * a handshaken peer go to on_frame(); a frame that fails to parse, a frame
 * the connection's state does not allow, or an on_frame() that returns an
 * error closes that one connection with a log_warning line. */
#ifndef POLIS_NODE_PEER_H
#define POLIS_NODE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "node/wire.h"
#include "raft/raft.h"

typedef struct peer_net peer_net;

typedef struct peer_config {
    uint64_t node_id; /* this node; nonzero */
    uint64_t cluster_id;
    const char *listen_addr;          /* "ip:port" or "[ipv6]:port"; port 0
                                         picks a free one (tests); copied */
    uint64_t queue_bytes_max;         /* unsent bytes per peer (16 MiB,
                                         at most 1 GiB) */
    uint32_t frame_payload_bytes_max; /* WIRE_FRAME_PAYLOAD_BYTES_MAX_DEFAULT */
    uint32_t reconnect_delay_ms_min;  /* first redial delay (50) */
    uint32_t reconnect_delay_ms_max;  /* backoff cap (5000) */
    uint32_t handshake_timeout_ms;    /* connect + handshake (3000) */
    uint32_t ping_interval_ms;        /* dialer's pings (1000) */
    uint32_t idle_timeout_ms;         /* close a link silent this long (10000);
                                         must exceed every peer's
                                         ping_interval_ms */
    uint32_t inbound_conns_max;       /* inbound connections, any state (1024) */
    uint32_t tcp_backlog;             /* listen backlog (511) */
    uint32_t tcp_keepalive_s;         /* 0: off (60) */
    bool accept_unknown_peers;        /* inbound from ids not added (false):
                                         lets a joining node hear the
                                         leader before it knows the cluster */
    uint64_t seed;                    /* reconnect jitter */
} peer_config;

/* Fills in the defaults above; the caller sets node_id, cluster_id,
 * listen_addr and seed. */
void peer_config_defaults(peer_config *cfg);

typedef struct peer_callbacks {
    void *priv;
    /* A data frame (WIRE_RAFT, WIRE_FORWARD, WIRE_REPLY) from handshaken
     * peer `from`. The payload is valid only during the call. Return 0, or
     * a negative POLIS_E... code to close the connection it came on (a
     * payload that does not decode). May call any peer_* function,
     * including peer_net_remove() and peer_net_close(). Required. */
    int (*on_frame)(void *priv, uint64_t from, uint8_t type, const uint8_t *payload,
                    size_t len);
    /* Our outbound link to `node_id` came up (handshake acknowledged) or
     * went down. Not called for peer_net_remove() or peer_net_close().
     * Optional. */
    void (*on_link)(void *priv, uint64_t node_id, bool up);
} peer_callbacks;

/* Starts listening and returns the net in *out. Returns 0, POLIS_EINVAL
 * (bad configuration or address) or POLIS_EIO (cannot listen: the error is
 * logged). On POLIS_EIO a handle was opened and is closing: the caller
 * must run the loop once more before closing it (as it must anyway). */
int peer_net_init(uv_loop_t *loop, const peer_config *cfg, const peer_callbacks *cb,
                  peer_net **out);
/* The port the listener is bound to (useful with port 0). */
int peer_net_port(const peer_net *net);

/* Adds a peer and starts dialing it. addr is a numeric "ip:port" or
 * "[ipv6]:port". Returns 0, POLIS_EEXISTS, POLIS_EINVAL (bad address, or
 * node_id 0 or our own), POLIS_ECLOSED (net closing). */
int peer_net_add(peer_net *net, uint64_t node_id, const char *addr);
/* Forgets a peer: closes both its links (dropping what was queued) and
 * refuses its inbound connections from now on. POLIS_ENOTFOUND if unknown. */
int peer_net_remove(peer_net *net, uint64_t node_id);

/* Queues one data frame whose payload the caller encoded (copied). */
int peer_send(peer_net *net, uint64_t node_id, uint8_t type, const void *payload,
              size_t len);
/* Queues one RAFT frame carrying msgs[0, count), encoded straight into the
 * queue. Messages and entry data are only read during the call. */
int peer_send_raft(peer_net *net, uint64_t node_id, const raft_msg *msgs, size_t count);
/* Queues a FORWARD frame (encoded straight into the queue). */
int peer_send_forward(peer_net *net, uint64_t node_id, const wire_forward *f);
/* Queues a REPLY frame: request_id and raw RESP bytes. */
int peer_send_reply(peer_net *net, uint64_t node_id, uint64_t request_id,
                    const void *resp_bytes, size_t len);

/* True if a data frame with a payload_bytes payload would be queued for
 * node_id now (the link is up and the frame fits the queue limit, or the
 * queue is empty): the same rule peer_send*() apply. */
bool peer_writable(const peer_net *net, uint64_t node_id, size_t payload_bytes);
/* Writes every queue to its socket now (the net also does so by itself
 * once per loop iteration). */
void peer_net_flush(peer_net *net);

typedef struct peer_stats {
    bool connected;           /* our outbound link is handshaken */
    bool inbound_connected;   /* the peer's link to us is handshaken */
    uint64_t last_contact_ms; /* uv_now() when the peer last sent us bytes on
                                 either link; 0: never */
    uint64_t last_rtt_us;     /* last ping round trip; 0: none yet */
    uint64_t queued_bytes;    /* unsent on the outbound link */
    uint64_t frames_out;      /* data frames queued (accepted by peer_send) */
    uint64_t bytes_out;       /* their bytes, frame headers included */
    uint64_t frames_in;       /* data frames delivered to on_frame */
    uint64_t bytes_in;
    uint64_t writes;      /* batches handed to the outbound socket */
    uint64_t drops;       /* data frames lost: link down when sent, or
                             still queued when it closed */
    uint64_t busy;        /* sends refused with POLIS_EBUSY */
    uint64_t connects;    /* outbound handshakes completed */
    uint64_t reconnects;  /* dials after the first */
    char last_error[128]; /* why the outbound link last failed, or "" */
} peer_stats;

/* Fills *out for node_id; POLIS_ENOTFOUND if it is not a peer. */
int peer_net_stats(const peer_net *net, uint64_t node_id, peer_stats *out);

typedef struct peer_net_counters {
    uint64_t accepted;            /* inbound TCP connections */
    uint64_t refused;             /* closed at once: over inbound_conns_max */
    uint64_t handshakes_rejected; /* inbound handshakes answered with REJECT */
    uint64_t protocol_errors;     /* connections closed for a bad frame */
    uint32_t conns_open;          /* connections, both directions, any state */
    uint32_t peer_count;
} peer_net_counters;

void peer_net_counters_get(const peer_net *net, peer_net_counters *out);

/* Closes every connection, timer and the listener; queued frames are
 * dropped. Once the loop has run the close callbacks, cb(priv) is called
 * (if not NULL) and the net is freed. No other peer_* call is allowed
 * after this one, except from callbacks already running. */
void peer_net_close(peer_net *net, void (*cb)(void *priv));

#endif
