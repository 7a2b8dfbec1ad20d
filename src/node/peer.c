/* node/peer.c - peer links: listener, dialer, handshake, framed queues.
 *
 * Structure. A peer (one per node added) owns a reconnect timer and its
 * outbound connection; inbound connections belong to the net and point at
 * the peer they authenticated as. Every handle counts in net->handles_open,
 * and memory is freed only from close callbacks, so a pointer held across
 * a callback (on_frame may close anything) stays valid until the loop's
 * closing phase; code after a callback checks `state == CONN_CLOSED`.
 *
 * Time is uv_now(): the loop's cached monotonic milliseconds. */
#include "node/peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/error.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rng.h"

/* Read sizes: small for connections that may only carry control frames
 * (strangers before their handshake, outbound links), larger for open
 * inbound links, and large bites toward a big announced frame, never more
 * than has arrived plus this. */
#define CONTROL_READ_BYTES  4096u
#define DATA_READ_BYTES     (64u * 1024)
#define BIG_READ_BYTES_MAX  (16u * 1024 * 1024)
#define BUF_KEEP_BYTES      (64u * 1024)
#define HOUSEKEEPING_MS_MIN 10u
#define HOUSEKEEPING_MS_MAX 250u
#define ADDR_TEXT_BYTES     64
/* An inbound link writes only control frames (ACK, PONG); a peer that
 * pings without reading its PONGs is cut off past this backlog. */
#define CONTROL_BACKLOG_BYTES_MAX (64u * 1024)
/* Queues stay addressable by one uv_buf_t (unsigned int length). */
#define QUEUE_BYTES_LIMIT (1ull << 30)

enum conn_dir { CONN_OUTBOUND, CONN_INBOUND };

enum conn_state {
    CONN_CONNECTING,  /* outbound: TCP connect under way */
    CONN_HANDSHAKING, /* outbound: waiting for ACK; inbound: for HANDSHAKE */
    CONN_OPEN,
    CONN_REJECTING, /* inbound: REJECT queued, close once written */
    CONN_CLOSED,    /* uv_close called; freed in its callback */
};

typedef struct peer peer;

typedef struct peer_conn {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    peer_net *net;
    peer *peer;       /* outbound: owner; inbound: the peer it proved to be */
    uint64_t node_id; /* outbound: dialed; inbound: after the handshake */
    enum conn_dir dir;
    enum conn_state state;
    bool writing;
    struct peer_conn *prev, *next;                 /* net->conns */
    struct peer_conn *pending_prev, *pending_next; /* net->pending */
    bool pending;
    buf in;
    size_t in_need_bytes; /* the frame being read needs this many bytes */
    buf out;              /* frames not yet handed to the socket */
    buf inflight;         /* frames uv_write is writing */
    size_t inflight_sent;
    uint32_t out_data_frames;
    uint32_t inflight_data_frames;
    uint64_t deadline_ms;   /* handshake deadline, until CONN_OPEN */
    uint64_t last_alive_ms; /* bytes received, or a uv_write completed */
    uint64_t last_ping_ms;
    uint64_t ping_nonce;
    uint64_t ping_sent_ns;
    char addr[ADDR_TEXT_BYTES];
} peer_conn;

struct peer {
    uint64_t id;
    peer_net *net;
    struct sockaddr_storage addr;
    char addr_text[ADDR_TEXT_BYTES];
    peer_conn *out;
    peer_conn *in;
    uv_timer_t retry;
    uint32_t failures; /* consecutive failed links, for the backoff */
    bool dialed;
    bool removed;
    peer_stats stats; /* connected, queued_bytes, ... filled on demand */
    peer *next;
};

struct peer_net {
    uv_loop_t *loop;
    peer_config cfg;
    char listen_text[ADDR_TEXT_BYTES];
    /* Outbound connections start from the listen address's IP (port 0), so
     * that a peer sees the address it knows us by and firewall rules
     * between node addresses apply; unset for a wildcard address. */
    struct sockaddr_storage source;
    bool bind_source;
    peer_callbacks cb;
    uv_tcp_t listener;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_timer_t housekeeping;
    rng rng;
    peer *peers;
    peer_conn *conns;
    peer_conn *pending;
    uint32_t inbound_count;
    uint32_t handles_open;
    int port;
    bool closing;
    void (*closed_cb)(void *priv);
    peer_net_counters counters;
};

static void conn_flush(peer_conn *c);
static void conn_close(peer_conn *c, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void schedule_redial(peer *p);

void peer_config_defaults(peer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen_addr = "127.0.0.1:7380";
    cfg->queue_bytes_max = 16u << 20;
    cfg->frame_payload_bytes_max = WIRE_FRAME_PAYLOAD_BYTES_MAX_DEFAULT;
    cfg->reconnect_delay_ms_min = 50;
    cfg->reconnect_delay_ms_max = 5000;
    cfg->handshake_timeout_ms = 3000;
    cfg->ping_interval_ms = 1000;
    cfg->idle_timeout_ms = 10000;
    cfg->inbound_conns_max = 1024;
    cfg->tcp_backlog = 511;
    cfg->tcp_keepalive_s = 60;
}

/* ---- Small helpers ------------------------------------------------------- */

static uint64_t now_ms(const peer_net *net)
{
    return uv_now(net->loop);
}

static peer *find_peer(const peer_net *net, uint64_t id)
{
    for (peer *p = net->peers; p; p = p->next)
        if (p->id == id) return p;
    return NULL;
}

/* Parses a numeric "a.b.c.d:port" or "[v6]:port". */
static int parse_addr(const char *text, struct sockaddr_storage *out)
{
    char host[ADDR_TEXT_BYTES];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text) return POLIS_EINVAL;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[') {
        if (hlen < 2 || h[hlen - 1] != ']') return POLIS_EINVAL;
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof host) return POLIS_EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    const char *ps = colon + 1;
    if (*ps == '\0' || strlen(ps) > 5) return POLIS_EINVAL;
    long port = 0;
    for (const char *q = ps; *q; q++) {
        if (*q < '0' || *q > '9') return POLIS_EINVAL;
        port = port * 10 + (*q - '0');
    }
    if (port > 65535) return POLIS_EINVAL;
    memset(out, 0, sizeof *out);
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) == 0) return 0;
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)out) == 0) return 0;
    return POLIS_EINVAL;
}

static void format_addr(const struct sockaddr_storage *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        uv_ip4_name(in, ip, sizeof ip);
        port = ntohs(in->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        uv_ip6_name(in6, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
    }
    snprintf(out, cap, sa->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
}

static const char *dir_name(const peer_conn *c)
{
    return c->dir == CONN_OUTBOUND ? "to" : "from";
}

/* ---- Handle bookkeeping -------------------------------------------------- */

static void net_free_if_done(peer_net *net)
{
    if (!net->closing || net->handles_open > 0) return;
    void (*cb)(void *) = net->closed_cb;
    void *priv = net->cb.priv;
    mem_free(net);
    if (cb) cb(priv);
}

static void on_net_handle_closed(uv_handle_t *h)
{
    peer_net *net = h->data;
    PASSERT(net->handles_open > 0);
    net->handles_open--;
    net_free_if_done(net);
}

/* ---- Connections: lifecycle ---------------------------------------------- */

static peer_conn *conn_new(peer_net *net, enum conn_dir dir)
{
    peer_conn *c = mem_calloc(1, sizeof *c);
    c->net = net;
    c->dir = dir;
    c->deadline_ms = now_ms(net) + net->cfg.handshake_timeout_ms;
    c->last_alive_ms = now_ms(net);
    uv_tcp_init(net->loop, &c->tcp);
    c->tcp.data = c;
    net->handles_open++;
    c->next = net->conns;
    if (net->conns) net->conns->prev = c;
    net->conns = c;
    net->counters.conns_open++;
    if (dir == CONN_INBOUND) net->inbound_count++;
    return c;
}

static void on_conn_closed(uv_handle_t *h)
{
    peer_conn *c = h->data;
    peer_net *net = c->net;
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->inflight);
    mem_free(c);
    PASSERT(net->handles_open > 0);
    net->handles_open--;
    net_free_if_done(net);
}

static void pending_remove(peer_conn *c)
{
    if (!c->pending) return;
    if (c->pending_prev)
        c->pending_prev->pending_next = c->pending_next;
    else
        c->net->pending = c->pending_next;
    if (c->pending_next) c->pending_next->pending_prev = c->pending_prev;
    c->pending_prev = c->pending_next = NULL;
    c->pending = false;
}

static void pending_add(peer_conn *c)
{
    if (c->pending || c->state == CONN_CLOSED) return;
    c->pending = true;
    c->pending_prev = NULL;
    c->pending_next = c->net->pending;
    if (c->net->pending) c->net->pending->pending_prev = c;
    c->net->pending = c;
}

static size_t conn_queued_bytes(const peer_conn *c)
{
    return c->out.len + (c->inflight.len - c->inflight_sent);
}

/* Detaches c from its peer; the peer learns that its link went down. */
static void conn_detach(peer_conn *c, bool was_open)
{
    peer *p = c->peer;
    if (p == NULL) return;
    c->peer = NULL;
    if (c->dir == CONN_INBOUND) {
        if (p->in == c) p->in = NULL;
        return;
    }
    PASSERT(p->out == c);
    p->out = NULL;
    p->stats.drops += (uint64_t)c->out_data_frames + c->inflight_data_frames;
    peer_net *net = c->net;
    if (was_open && !p->removed && !net->closing && net->cb.on_link)
        net->cb.on_link(net->cb.priv, p->id, false);
    /* The callback may have removed the peer or closed the net (p itself
     * lives until its timer's close callback). */
    if (!p->removed && !net->closing) schedule_redial(p);
}

/* Closes c (idempotent). The reason is logged at `level`; for an outbound
 * link it is also kept as the peer's last_error. */
static void conn_close(peer_conn *c, enum log_level level, const char *fmt, ...)
{
    if (c->state == CONN_CLOSED) return;
    peer_net *net = c->net;
    char reason[sizeof((peer_stats *)NULL)->last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (c->dir == CONN_OUTBOUND && c->peer) {
        peer_stats *st = &c->peer->stats;
        /* A peer that stays down would log the same line at every redial:
         * say it once, then only in verbose logs. */
        if (level == LOG_WARNING && strcmp(st->last_error, reason) == 0)
            level = LOG_VERBOSE;
        snprintf(st->last_error, sizeof st->last_error, "%s", reason);
    }
    if (!net->closing && c->node_id != 0)
        log_msg(level, "peer link %s node %llu (%s): closed: %s", dir_name(c),
                (unsigned long long)c->node_id, c->addr, reason);
    else if (!net->closing)
        log_msg(level, "peer link from %s: closed: %s", c->addr, reason);
    bool was_open = c->state == CONN_OPEN;
    c->state = CONN_CLOSED;
    pending_remove(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        net->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    net->counters.conns_open--;
    if (c->dir == CONN_INBOUND) net->inbound_count--;
    /* Closing first: the on_link callback in conn_detach may re-enter
     * (send, remove, close the net) and must find c already closing. A
     * pending connect or write is cancelled and its callback runs (with
     * UV_ECANCELED) before the close callback frees c. */
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    conn_detach(c, was_open);
}

/* ---- Connections: output ------------------------------------------------- */

static void output_drained(peer_conn *c)
{
    if (c->state == CONN_REJECTING && !c->writing && c->out.len == 0)
        conn_close(c, LOG_VERBOSE, "handshake rejected");
}

static void on_write(uv_write_t *req, int status)
{
    peer_conn *c = req->data;
    c->writing = false;
    if (c->state == CONN_CLOSED) return;
    if (status < 0) {
        conn_close(c, LOG_NOTICE, "write error: %s", uv_strerror(status));
        return;
    }
    /* The kernel took a write it could not take at once: the peer is
     * acknowledging bytes, so the link is alive even if its PONG is still
     * queued behind our data. */
    c->last_alive_ms = now_ms(c->net);
    c->inflight.len = 0;
    c->inflight_sent = 0;
    c->inflight_data_frames = 0;
    buf_shrink_if_idle(&c->inflight, BUF_KEEP_BYTES);
    conn_flush(c);
    if (c->state != CONN_CLOSED) output_drained(c);
}

static void conn_flush(peer_conn *c)
{
    if (c->writing || c->state == CONN_CLOSED || c->state == CONN_CONNECTING) return;
    if (c->out.len == 0) {
        output_drained(c);
        return;
    }
    if (c->dir == CONN_OUTBOUND && c->peer) c->peer->stats.writes++;
    uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
    if (n < 0) {
        conn_close(c, LOG_NOTICE, "write error: %s", uv_strerror(n));
        return;
    }
    if ((size_t)n == c->out.len) {
        c->out.len = 0;
        c->out_data_frames = 0;
        buf_shrink_if_idle(&c->out, BUF_KEEP_BYTES);
        output_drained(c);
        return;
    }
    /* The socket took part of it: hand the rest to libuv and collect new
     * frames in the other buffer until the write completes. */
    buf tmp = c->inflight;
    c->inflight = c->out;
    c->out = tmp;
    c->out.len = 0;
    c->inflight_sent = (size_t)n;
    c->inflight_data_frames = c->out_data_frames;
    c->out_data_frames = 0;
    uv_buf_t rest =
        uv_buf_init(c->inflight.data + n, (unsigned)(c->inflight.len - (size_t)n));
    c->write_req.data = c;
    c->writing = true;
    int rv = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &rest, 1, on_write);
    if (rv != 0) {
        c->writing = false;
        conn_close(c, LOG_NOTICE, "write error: %s", uv_strerror(rv));
    }
}

static void flush_pending(peer_net *net)
{
    while (net->pending) {
        peer_conn *c = net->pending;
        pending_remove(c);
        conn_flush(c);
    }
}

static void on_prepare(uv_prepare_t *h)
{
    flush_pending(h->data);
}

static void on_check(uv_check_t *h)
{
    flush_pending(h->data);
}

void peer_net_flush(peer_net *net)
{
    flush_pending(net);
}

/* Queues a control frame (handshake, ack, reject, ping, pong); they are
 * small, bypass the queue limit and are not counted as data. */
static void queue_control(peer_conn *c, uint8_t type, const void *payload, size_t len)
{
    PASSERT(len <= WIRE_CONTROL_PAYLOAD_BYTES_MAX);
    wire_encode_frame(&c->out, type, payload, len);
    pending_add(c);
}

/* ---- Dialing ------------------------------------------------------------- */

/* Equal jitter: a delay in [d/2, d] where d doubles per failure from
 * reconnect_delay_ms_min up to _max, so that nodes restarted together do
 * not redial in lockstep. */
static uint64_t redial_delay_ms(peer *p)
{
    const peer_config *cfg = &p->net->cfg;
    uint64_t d = cfg->reconnect_delay_ms_min;
    for (uint32_t i = 0; i < p->failures && d < cfg->reconnect_delay_ms_max; i++)
        d *= 2;
    if (d > cfg->reconnect_delay_ms_max) d = cfg->reconnect_delay_ms_max;
    return d / 2 + rng_below(&p->net->rng, d - d / 2 + 1);
}

static void on_connect(uv_connect_t *req, int status);

static void dial(peer *p)
{
    peer_net *net = p->net;
    PASSERT(p->out == NULL);
    if (p->dialed) p->stats.reconnects++;
    p->dialed = true;
    peer_conn *c = conn_new(net, CONN_OUTBOUND);
    c->peer = p;
    c->node_id = p->id;
    c->state = CONN_CONNECTING;
    snprintf(c->addr, sizeof c->addr, "%s", p->addr_text);
    p->out = c;
    c->connect_req.data = c;
    int rv = 0;
    if (net->bind_source && net->source.ss_family == p->addr.ss_family)
        rv = uv_tcp_bind(&c->tcp, (const struct sockaddr *)&net->source, 0);
    if (rv == 0)
        rv = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&p->addr,
                            on_connect);
    if (rv != 0) conn_close(c, LOG_WARNING, "connect: %s", uv_strerror(rv));
}

static void on_redial(uv_timer_t *t)
{
    peer *p = t->data;
    if (p->removed || p->net->closing || p->out) return;
    dial(p);
}

static void schedule_redial(peer *p)
{
    uint64_t delay = redial_delay_ms(p);
    p->failures++;
    uv_timer_start(&p->retry, on_redial, delay, 0);
}

static void set_tcp_options(peer_conn *c)
{
    uv_tcp_nodelay(&c->tcp, 1);
    uint32_t keepalive = c->net->cfg.tcp_keepalive_s;
    if (keepalive > 0) uv_tcp_keepalive(&c->tcp, 1, keepalive);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out);
static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b);

static void on_connect(uv_connect_t *req, int status)
{
    peer_conn *c = req->data;
    if (c->state == CONN_CLOSED) return;
    if (status < 0) {
        conn_close(c, LOG_WARNING, "connect: %s", uv_strerror(status));
        return;
    }
    peer_net *net = c->net;
    set_tcp_options(c);
    c->state = CONN_HANDSHAKING;
    c->last_alive_ms = now_ms(net);
    int rv = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rv != 0) {
        conn_close(c, LOG_WARNING, "read: %s", uv_strerror(rv));
        return;
    }
    wire_handshake h = {.version_min = WIRE_VERSION_MIN,
                        .version_max = WIRE_VERSION_MAX,
                        .cluster_id = net->cfg.cluster_id,
                        .node_id = net->cfg.node_id,
                        .to_node_id = c->node_id};
    buf payload = BUF_INIT;
    wire_encode_handshake(&payload, &h);
    queue_control(c, WIRE_HANDSHAKE, payload.data, payload.len);
    buf_free(&payload);
}

/* ---- Handshake ----------------------------------------------------------- */

static void reject(peer_conn *c, uint8_t reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reject(peer_conn *c, uint8_t reason, const char *fmt, ...)
{
    char text[WIRE_REASON_BYTES_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    log_warning("peer link from %s: handshake rejected: %s", c->addr, text);
    c->net->counters.handshakes_rejected++;
    wire_handshake_reject r = {.reason = reason, .text_len = (uint8_t)len, .text = text};
    buf payload = BUF_INIT;
    wire_encode_handshake_reject(&payload, &r);
    queue_control(c, WIRE_HANDSHAKE_REJECT, payload.data, payload.len);
    buf_free(&payload);
    /* Nothing more will be read; the connection closes once the REJECT is
     * written (or at the handshake deadline if the peer does not read). */
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->state = CONN_REJECTING;
}

/* Picks the highest version both sides speak, or 0. */
static uint16_t choose_version(const wire_handshake *h)
{
    uint16_t hi = h->version_max < WIRE_VERSION_MAX ? h->version_max : WIRE_VERSION_MAX;
    uint16_t lo = h->version_min > WIRE_VERSION_MIN ? h->version_min : WIRE_VERSION_MIN;
    return hi >= lo && h->version_min <= h->version_max ? hi : 0;
}

/* A node has one inbound link: a newer connection replaces an older one
 * (the old one belongs to a restarted or half-open peer process). */
static void replace_inbound(peer_conn *c, peer *p)
{
    peer_net *net = c->net;
    for (peer_conn *o = net->conns, *next; o; o = next) {
        next = o->next;
        if (o != c && o->dir == CONN_INBOUND && o->state == CONN_OPEN &&
            o->node_id == c->node_id)
            conn_close(o, LOG_NOTICE, "replaced by a newer connection from the node");
    }
    if (p) {
        p->in = c;
        c->peer = p;
    }
}

static void accept_handshake(peer_conn *c, const uint8_t *payload, size_t len)
{
    peer_net *net = c->net;
    const peer_config *cfg = &net->cfg;
    wire_handshake h;
    wire_error err = {0};
    if (wire_decode_handshake(payload, len, &h, &err) != 0) {
        net->counters.protocol_errors++;
        conn_close(c, LOG_WARNING, "bad handshake: %s", err.reason);
        return;
    }
    c->node_id = h.node_id;
    uint16_t version = choose_version(&h);
    peer *p = find_peer(net, h.node_id);
    if (h.cluster_id != cfg->cluster_id) {
        reject(c, WIRE_REJECT_WRONG_CLUSTER, "node %llu: cluster id %llu, expected %llu",
               (unsigned long long)h.node_id, (unsigned long long)h.cluster_id,
               (unsigned long long)cfg->cluster_id);
    } else if (version == 0) {
        reject(c, WIRE_REJECT_UNSUPPORTED_VERSION,
               "node %llu: protocol versions %u-%u, this node speaks %u-%u",
               (unsigned long long)h.node_id, h.version_min, h.version_max,
               WIRE_VERSION_MIN, WIRE_VERSION_MAX);
    } else if (h.node_id == cfg->node_id) {
        reject(c, WIRE_REJECT_DUPLICATE_NODE, "node id %llu is this node's own",
               (unsigned long long)h.node_id);
    } else if (h.to_node_id != 0 && h.to_node_id != cfg->node_id) {
        reject(c, WIRE_REJECT_WRONG_NODE,
               "node %llu dialed node %llu but reached node %llu",
               (unsigned long long)h.node_id, (unsigned long long)h.to_node_id,
               (unsigned long long)cfg->node_id);
    } else if (h.node_id == 0 || (p == NULL && !cfg->accept_unknown_peers)) {
        reject(c, WIRE_REJECT_UNKNOWN_NODE, "node id %llu is not a peer of node %llu",
               (unsigned long long)h.node_id, (unsigned long long)cfg->node_id);
    } else {
        wire_handshake_ack a = {
            .version = version, .cluster_id = cfg->cluster_id, .node_id = cfg->node_id};
        buf ack = BUF_INIT;
        wire_encode_handshake_ack(&ack, &a);
        queue_control(c, WIRE_HANDSHAKE_ACK, ack.data, ack.len);
        buf_free(&ack);
        c->state = CONN_OPEN;
        replace_inbound(c, p);
        log_verbose("peer link from node %llu (%s): open, protocol %u",
                    (unsigned long long)h.node_id, c->addr, version);
    }
}

static void accept_ack(peer_conn *c, const uint8_t *payload, size_t len)
{
    peer_net *net = c->net;
    peer *p = c->peer;
    wire_handshake_ack a;
    wire_error err = {0};
    if (wire_decode_handshake_ack(payload, len, &a, &err) != 0) {
        net->counters.protocol_errors++;
        conn_close(c, LOG_WARNING, "bad handshake ack: %s", err.reason);
        return;
    }
    if (a.cluster_id != net->cfg.cluster_id || a.node_id != c->node_id) {
        conn_close(c, LOG_WARNING, "acknowledged by node %llu of cluster %llu",
                   (unsigned long long)a.node_id, (unsigned long long)a.cluster_id);
        return;
    }
    if (a.version < WIRE_VERSION_MIN || a.version > WIRE_VERSION_MAX) {
        conn_close(c, LOG_WARNING, "acknowledged with protocol version %u", a.version);
        return;
    }
    c->state = CONN_OPEN;
    c->last_ping_ms = now_ms(net);
    p->failures = 0;
    p->stats.connects++;
    p->stats.last_error[0] = '\0';
    log_verbose("peer link to node %llu (%s): open, protocol %u",
                (unsigned long long)p->id, c->addr, a.version);
    if (net->cb.on_link) net->cb.on_link(net->cb.priv, p->id, true);
}

static void accept_reject(peer_conn *c, const uint8_t *payload, size_t len)
{
    wire_handshake_reject r;
    wire_error err = {0};
    if (wire_decode_handshake_reject(payload, len, &r, &err) != 0) {
        c->net->counters.protocol_errors++;
        conn_close(c, LOG_WARNING, "bad handshake reject: %s", err.reason);
        return;
    }
    /* The text is the peer's: keep control characters out of our log. */
    char text[WIRE_REASON_BYTES_MAX + 1];
    for (size_t i = 0; i < r.text_len; i++)
        text[i] = r.text[i] >= 0x20 && r.text[i] < 0x7f ? r.text[i] : '?';
    text[r.text_len] = '\0';
    conn_close(c, LOG_WARNING, "rejected (%s): %s", wire_reject_reason_text(r.reason),
               text);
}

/* ---- Connections: input -------------------------------------------------- */

static void deliver(peer_conn *c, const wire_frame *f)
{
    peer_net *net = c->net;
    if (c->peer) {
        c->peer->stats.frames_in++;
        c->peer->stats.bytes_in += WIRE_FRAME_HEADER_BYTES + (uint64_t)f->len;
    }
    int rv = net->cb.on_frame(net->cb.priv, c->node_id, f->type, f->payload, f->len);
    if (rv != 0)
        conn_close(c, LOG_WARNING, "%s frame refused: %s", wire_frame_type_name(f->type),
                   polis_strerror(rv));
}

static void handle_pong(peer_conn *c, const wire_frame *f)
{
    uint64_t nonce;
    wire_error err = {0};
    if (wire_decode_ping(f->payload, f->len, &nonce, &err) != 0) {
        c->net->counters.protocol_errors++;
        conn_close(c, LOG_WARNING, "bad pong: %s", err.reason);
        return;
    }
    if (nonce == c->ping_nonce && c->ping_sent_ns != 0 && c->peer) {
        c->peer->stats.last_rtt_us = (uv_hrtime() - c->ping_sent_ns) / 1000;
        c->ping_sent_ns = 0;
    }
}

static void handle_frame(peer_conn *c, const wire_frame *f)
{
    bool inbound = c->dir == CONN_INBOUND;
    if (inbound && c->state == CONN_HANDSHAKING && f->type == WIRE_HANDSHAKE) {
        accept_handshake(c, f->payload, f->len);
    } else if (inbound && c->state == CONN_OPEN && wire_frame_type_is_data(f->type)) {
        deliver(c, f);
    } else if (inbound && c->state == CONN_OPEN && f->type == WIRE_PING) {
        if (f->len != 8) {
            c->net->counters.protocol_errors++;
            conn_close(c, LOG_WARNING, "bad ping");
            return;
        }
        if (conn_queued_bytes(c) > CONTROL_BACKLOG_BYTES_MAX) {
            conn_close(c, LOG_WARNING, "peer does not read its PONGs");
            return;
        }
        queue_control(c, WIRE_PONG, f->payload, f->len);
    } else if (!inbound && c->state == CONN_HANDSHAKING &&
               f->type == WIRE_HANDSHAKE_ACK) {
        accept_ack(c, f->payload, f->len);
    } else if (!inbound && c->state == CONN_HANDSHAKING &&
               f->type == WIRE_HANDSHAKE_REJECT) {
        accept_reject(c, f->payload, f->len);
    } else if (!inbound && c->state == CONN_OPEN && f->type == WIRE_PONG) {
        handle_pong(c, f);
    } else {
        c->net->counters.protocol_errors++;
        conn_close(c, LOG_WARNING, "unexpected %s frame", wire_frame_type_name(f->type));
    }
}

/* Largest payload this connection may receive now: data frames only on an
 * open inbound link, control frames otherwise. */
static uint32_t frame_limit(const peer_conn *c)
{
    if (c->dir == CONN_INBOUND && c->state == CONN_OPEN)
        return c->net->cfg.frame_payload_bytes_max;
    return WIRE_CONTROL_PAYLOAD_BYTES_MAX;
}

static void process_input(peer_conn *c)
{
    size_t off = 0;
    while (c->state != CONN_CLOSED && c->state != CONN_REJECTING) {
        wire_frame f;
        size_t consumed = 0;
        wire_error err = {0};
        int rv = wire_frame_parse(c->in.data + off, c->in.len - off, frame_limit(c), &f,
                                  &consumed, &c->in_need_bytes, &err);
        if (rv == WIRE_PARSE_MORE) break;
        if (rv < 0) {
            c->net->counters.protocol_errors++;
            conn_close(c, LOG_WARNING, "bad frame: %s (at byte %zu of the frame)",
                       err.reason, err.offset);
            return;
        }
        off += consumed;
        /* f points into c->in, which nothing else touches until we return;
         * if the callback closes c, c->in lives on until the close
         * callback. */
        handle_frame(c, &f);
    }
    if (c->state == CONN_CLOSED) return;
    buf_consume(&c->in, off);
    if (c->in.len == 0) buf_shrink_if_idle(&c->in, BUF_KEEP_BYTES);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)suggested;
    peer_conn *c = h->data;
    size_t want = frame_limit(c) > WIRE_CONTROL_PAYLOAD_BYTES_MAX ? DATA_READ_BYTES
                                                                  : CONTROL_READ_BYTES;
    /* Toward a big frame take big bites, but never reserve what the peer
     * merely announced: at most what has arrived plus 16 MiB. */
    if (c->in_need_bytes > c->in.len) {
        size_t missing = c->in_need_bytes - c->in.len;
        if (missing > want)
            want = missing < BIG_READ_BYTES_MAX ? missing : BIG_READ_BYTES_MAX;
    }
    buf_reserve(&c->in, want);
    *out = uv_buf_init(c->in.data + c->in.len, (unsigned)want);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    (void)b;
    peer_conn *c = stream->data;
    if (c->state == CONN_CLOSED) return;
    if (nread < 0) {
        conn_close(c, nread == UV_EOF ? LOG_NOTICE : LOG_WARNING, "%s",
                   nread == UV_EOF ? "connection closed by the peer"
                                   : uv_strerror((int)nread));
        return;
    }
    if (nread == 0) return;
    c->in.len += (size_t)nread;
    c->last_alive_ms = now_ms(c->net);
    if (c->peer) c->peer->stats.last_contact_ms = c->last_alive_ms;
    process_input(c);
}

/* ---- Accepting ----------------------------------------------------------- */

static void on_connection(uv_stream_t *listener, int status)
{
    peer_net *net = listener->data;
    if (status < 0) {
        log_warning("peer listener %s: accept error: %s", net->listen_text,
                    uv_strerror(status));
        return;
    }
    bool full = net->inbound_count >= net->cfg.inbound_conns_max;
    peer_conn *c = conn_new(net, CONN_INBOUND);
    c->state = CONN_HANDSHAKING;
    snprintf(c->addr, sizeof c->addr, "?");
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c, LOG_WARNING, "accept failed");
        return;
    }
    net->counters.accepted++;
    struct sockaddr_storage sa;
    int len = sizeof sa;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) == 0)
        format_addr(&sa, c->addr, sizeof c->addr);
    if (full) {
        net->counters.refused++;
        conn_close(c, LOG_WARNING, "over %u inbound connections",
                   (unsigned)net->cfg.inbound_conns_max);
        return;
    }
    set_tcp_options(c);
    int rv = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rv != 0) conn_close(c, LOG_WARNING, "read: %s", uv_strerror(rv));
}

/* ---- Housekeeping: deadlines, idleness, pings ---------------------------- */

static void send_ping(peer_conn *c, uint64_t now)
{
    uint8_t payload[8];
    c->ping_nonce++;
    for (int i = 0; i < 8; i++)
        payload[i] = (uint8_t)(c->ping_nonce >> (8 * i));
    c->ping_sent_ns = uv_hrtime();
    c->last_ping_ms = now;
    queue_control(c, WIRE_PING, payload, sizeof payload);
}

static void on_housekeeping(uv_timer_t *t)
{
    peer_net *net = t->data;
    const peer_config *cfg = &net->cfg;
    uint64_t now = now_ms(net);
    for (peer_conn *c = net->conns, *next; c; c = next) {
        next = c->next;
        if (c->state != CONN_OPEN) {
            if (now >= c->deadline_ms)
                conn_close(c, LOG_WARNING, "handshake not done within %u ms",
                           (unsigned)cfg->handshake_timeout_ms);
            continue;
        }
        if (now - c->last_alive_ms >= cfg->idle_timeout_ms) {
            conn_close(c, LOG_WARNING, "silent for %llu ms",
                       (unsigned long long)(now - c->last_alive_ms));
            continue;
        }
        if (c->dir == CONN_OUTBOUND && now - c->last_ping_ms >= cfg->ping_interval_ms)
            send_ping(c, now);
    }
}

/* ---- Public API: lifecycle ----------------------------------------------- */

static int check_config(const peer_config *cfg)
{
    if (cfg->node_id == 0 || cfg->listen_addr == NULL) return POLIS_EINVAL;
    if (cfg->reconnect_delay_ms_min == 0 ||
        cfg->reconnect_delay_ms_min > cfg->reconnect_delay_ms_max)
        return POLIS_EINVAL;
    if (cfg->handshake_timeout_ms == 0 || cfg->ping_interval_ms == 0 ||
        cfg->idle_timeout_ms <= cfg->ping_interval_ms)
        return POLIS_EINVAL;
    if (cfg->queue_bytes_max == 0 || cfg->queue_bytes_max > QUEUE_BYTES_LIMIT ||
        cfg->inbound_conns_max == 0)
        return POLIS_EINVAL;
    if (cfg->frame_payload_bytes_max < WIRE_CONTROL_PAYLOAD_BYTES_MAX ||
        cfg->frame_payload_bytes_max > UINT32_MAX - WIRE_FRAME_HEADER_BYTES)
        return POLIS_EINVAL;
    return 0;
}

static void on_init_failed_closed(uv_handle_t *h)
{
    mem_free(h->data);
}

static uint64_t housekeeping_period_ms(const peer_config *cfg)
{
    uint64_t p = cfg->ping_interval_ms;
    if (cfg->handshake_timeout_ms < p) p = cfg->handshake_timeout_ms;
    p /= 4;
    if (p < HOUSEKEEPING_MS_MIN) p = HOUSEKEEPING_MS_MIN;
    if (p > HOUSEKEEPING_MS_MAX) p = HOUSEKEEPING_MS_MAX;
    return p;
}

int peer_net_init(uv_loop_t *loop, const peer_config *cfg, const peer_callbacks *cb,
                  peer_net **out)
{
    *out = NULL;
    struct sockaddr_storage addr;
    if (check_config(cfg) != 0 || cb == NULL || cb->on_frame == NULL) return POLIS_EINVAL;
    if (parse_addr(cfg->listen_addr, &addr) != 0) return POLIS_EINVAL;
    peer_net *net = mem_calloc(1, sizeof *net);
    net->loop = loop;
    net->cfg = *cfg;
    snprintf(net->listen_text, sizeof net->listen_text, "%s", cfg->listen_addr);
    net->cfg.listen_addr = net->listen_text;
    net->cb = *cb;
    rng_seed(&net->rng, cfg->seed);
    net->source = addr;
    if (addr.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&net->source;
        in->sin_port = 0;
        net->bind_source = in->sin_addr.s_addr != htonl(INADDR_ANY);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&net->source;
        in6->sin6_port = 0;
        net->bind_source = memcmp(&in6->sin6_addr, &in6addr_any, sizeof in6addr_any) != 0;
    }

    uv_tcp_init(loop, &net->listener);
    net->listener.data = net;
    int rv = uv_tcp_bind(&net->listener, (const struct sockaddr *)&addr, 0);
    if (rv == 0)
        rv = uv_listen((uv_stream_t *)&net->listener, (int)cfg->tcp_backlog,
                       on_connection);
    if (rv != 0) {
        log_warning("cannot listen for peers on %s: %s", net->listen_text,
                    uv_strerror(rv));
        uv_close((uv_handle_t *)&net->listener, on_init_failed_closed);
        return POLIS_EIO;
    }
    struct sockaddr_storage bound;
    int len = sizeof bound;
    if (uv_tcp_getsockname(&net->listener, (struct sockaddr *)&bound, &len) == 0)
        net->port =
            ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);

    /* The flush and housekeeping handles never keep the loop alive by
     * themselves: the listener does. */
    uv_prepare_init(loop, &net->prepare);
    net->prepare.data = net;
    uv_prepare_start(&net->prepare, on_prepare);
    uv_unref((uv_handle_t *)&net->prepare);
    uv_check_init(loop, &net->check);
    net->check.data = net;
    uv_check_start(&net->check, on_check);
    uv_unref((uv_handle_t *)&net->check);
    uv_timer_init(loop, &net->housekeeping);
    net->housekeeping.data = net;
    uint64_t period = housekeeping_period_ms(cfg);
    uv_timer_start(&net->housekeeping, on_housekeeping, period, period);
    uv_unref((uv_handle_t *)&net->housekeeping);
    net->handles_open = 4;
    log_verbose("peer links: node %llu of cluster %llu listening on port %d",
                (unsigned long long)cfg->node_id, (unsigned long long)cfg->cluster_id,
                net->port);
    *out = net;
    return 0;
}

int peer_net_port(const peer_net *net)
{
    return net->port;
}

static void on_peer_timer_closed(uv_handle_t *h)
{
    peer *p = h->data;
    peer_net *net = p->net;
    mem_free(p);
    PASSERT(net->handles_open > 0);
    net->handles_open--;
    net_free_if_done(net);
}

/* Unlinks p, closes its links and timer; p is freed when the timer has
 * closed. */
static void peer_destroy(peer *p)
{
    peer_net *net = p->net;
    p->removed = true;
    for (peer **pp = &net->peers; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    net->counters.peer_count--;
    if (p->out) conn_close(p->out, LOG_VERBOSE, "peer removed");
    if (p->in) conn_close(p->in, LOG_VERBOSE, "peer removed");
    uv_timer_stop(&p->retry);
    uv_close((uv_handle_t *)&p->retry, on_peer_timer_closed);
}

void peer_net_close(peer_net *net, void (*cb)(void *priv))
{
    PASSERT(!net->closing);
    net->closing = true;
    net->closed_cb = cb;
    while (net->peers)
        peer_destroy(net->peers);
    while (net->conns)
        conn_close(net->conns, LOG_VERBOSE, "shutting down");
    uv_close((uv_handle_t *)&net->listener, on_net_handle_closed);
    uv_close((uv_handle_t *)&net->prepare, on_net_handle_closed);
    uv_close((uv_handle_t *)&net->check, on_net_handle_closed);
    uv_close((uv_handle_t *)&net->housekeeping, on_net_handle_closed);
}

/* ---- Public API: membership ---------------------------------------------- */

int peer_net_add(peer_net *net, uint64_t node_id, const char *addr)
{
    if (net->closing) return POLIS_ECLOSED;
    if (node_id == 0 || node_id == net->cfg.node_id) return POLIS_EINVAL;
    if (find_peer(net, node_id)) return POLIS_EEXISTS;
    struct sockaddr_storage sa;
    if (strlen(addr) >= ADDR_TEXT_BYTES || parse_addr(addr, &sa) != 0)
        return POLIS_EINVAL;
    peer *p = mem_calloc(1, sizeof *p);
    p->id = node_id;
    p->net = net;
    p->addr = sa;
    snprintf(p->addr_text, sizeof p->addr_text, "%s", addr);
    uv_timer_init(net->loop, &p->retry);
    p->retry.data = p;
    net->handles_open++;
    p->next = net->peers;
    net->peers = p;
    net->counters.peer_count++;
    /* An open inbound link from this node (accept_unknown_peers) now has a
     * peer to count for. */
    for (peer_conn *c = net->conns; c; c = c->next)
        if (c->dir == CONN_INBOUND && c->state == CONN_OPEN && c->node_id == node_id)
            replace_inbound(c, p);
    dial(p);
    return 0;
}

int peer_net_remove(peer_net *net, uint64_t node_id)
{
    peer *p = find_peer(net, node_id);
    if (p == NULL) return POLIS_ENOTFOUND;
    peer_destroy(p);
    /* Inbound links from it that were never matched to the peer (opened
     * while it was unknown) go too. */
    for (peer_conn *c = net->conns, *next; c; c = next) {
        next = c->next;
        if (c->dir == CONN_INBOUND && c->node_id == node_id && c->state == CONN_OPEN)
            conn_close(c, LOG_VERBOSE, "peer removed");
    }
    return 0;
}

/* ---- Public API: sending ------------------------------------------------- */

/* Whether a frame with a `payload_bytes` payload fits c's queue. An empty
 * queue takes any frame, so a frame over the queue limit is slow, never
 * stuck. */
static bool queue_has_room(const peer_conn *c, size_t payload_bytes)
{
    size_t queued = conn_queued_bytes(c);
    return queued == 0 || queued + WIRE_FRAME_HEADER_BYTES + payload_bytes <=
                              c->net->cfg.queue_bytes_max;
}

/* Checks that a data frame with a `payload_bytes` payload may be queued
 * for node_id and returns its outbound connection in *out. */
static int send_check(peer_net *net, uint64_t node_id, size_t payload_bytes,
                      peer_conn **out)
{
    if (net->closing) return POLIS_ECLOSED;
    peer *p = find_peer(net, node_id);
    if (p == NULL) return POLIS_ENOTFOUND;
    peer_conn *c = p->out;
    if (payload_bytes > net->cfg.frame_payload_bytes_max) {
        p->stats.drops++;
        return POLIS_ELIMIT;
    }
    if (c == NULL || c->state != CONN_OPEN) {
        p->stats.drops++;
        return POLIS_ECLOSED;
    }
    if (!queue_has_room(c, payload_bytes)) {
        p->stats.busy++;
        return POLIS_EBUSY;
    }
    *out = c;
    return 0;
}

static void send_done(peer_conn *c, size_t start)
{
    int rv = wire_frame_end(&c->out, start, c->net->cfg.frame_payload_bytes_max);
    PASSERT(rv == 0); /* send_check bounded the payload */
    peer *p = c->peer;
    p->stats.frames_out++;
    p->stats.bytes_out += c->out.len - start;
    c->out_data_frames++;
    pending_add(c);
}

int peer_send(peer_net *net, uint64_t node_id, uint8_t type, const void *payload,
              size_t len)
{
    PASSERT(wire_frame_type_is_data(type));
    peer_conn *c;
    int rv = send_check(net, node_id, len, &c);
    if (rv != 0) return rv;
    size_t start = wire_frame_begin(&c->out, type);
    buf_append(&c->out, payload, len);
    send_done(c, start);
    return 0;
}

int peer_send_raft(peer_net *net, uint64_t node_id, const raft_msg *msgs, size_t count)
{
    PASSERT(count >= 1);
    peer_conn *c;
    int rv = send_check(net, node_id, wire_raft_bytes(msgs, count), &c);
    if (rv != 0) return rv;
    size_t start = wire_frame_begin(&c->out, WIRE_RAFT);
    wire_encode_raft(&c->out, msgs, count);
    send_done(c, start);
    return 0;
}

int peer_send_forward(peer_net *net, uint64_t node_id, const wire_forward *f)
{
    peer_conn *c;
    int rv = send_check(net, node_id, wire_forward_bytes(f), &c);
    if (rv != 0) return rv;
    size_t start = wire_frame_begin(&c->out, WIRE_FORWARD);
    wire_encode_forward(&c->out, f);
    send_done(c, start);
    return 0;
}

int peer_send_reply(peer_net *net, uint64_t node_id, uint64_t request_id,
                    const void *resp_bytes, size_t len)
{
    peer_conn *c;
    int rv = send_check(net, node_id, WIRE_REPLY_HEADER_BYTES + len, &c);
    if (rv != 0) return rv;
    size_t start = wire_frame_begin(&c->out, WIRE_REPLY);
    wire_encode_reply(&c->out, request_id, resp_bytes, len);
    send_done(c, start);
    return 0;
}

bool peer_writable(const peer_net *net, uint64_t node_id, size_t payload_bytes)
{
    if (net->closing) return false;
    peer *p = find_peer(net, node_id);
    if (p == NULL || p->out == NULL || p->out->state != CONN_OPEN) return false;
    return payload_bytes <= net->cfg.frame_payload_bytes_max &&
           queue_has_room(p->out, payload_bytes);
}

/* ---- Public API: status -------------------------------------------------- */

int peer_net_stats(const peer_net *net, uint64_t node_id, peer_stats *out)
{
    const peer *p = find_peer(net, node_id);
    if (p == NULL) return POLIS_ENOTFOUND;
    *out = p->stats;
    out->connected = p->out != NULL && p->out->state == CONN_OPEN;
    out->inbound_connected = p->in != NULL && p->in->state == CONN_OPEN;
    out->queued_bytes = p->out ? conn_queued_bytes(p->out) : 0;
    return 0;
}

void peer_net_counters_get(const peer_net *net, peer_net_counters *out)
{
    *out = net->counters;
}
