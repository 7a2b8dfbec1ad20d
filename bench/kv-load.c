/* bench/kv-load.c - one load generator for polis and etcd, so that both sides
 * of bench/vs-etcd.sh are measured by the same code, and the writer of
 * bench/failover.sh.
 *
 *   kv-load bench --proto resp|http|grpc --port P [--clients N] [--conns M]
 *                 [--seconds S] [--warmup S] [--keys K] [--value-bytes V]
 *   kv-load failover --ports P1,P2,... --kill-pid PID [--interval-us U]
 *                 [--pre-ms MS] [--max-ms MS]
 *
 * bench: N closed-loop clients, each with one request in flight (like
 * redis-benchmark without -P): send a write, wait for its reply, send the
 * next. One thread, non-blocking sockets, epoll. A write is a 16-byte value
 * (--value-bytes) under key "key:%012u" with the number uniform over
 * [0, --keys) - redis-benchmark's `-r` key format. The three protocols:
 *
 *   resp  SET key value, reply +OK (polis, redis)
 *   http  etcd v3 gRPC-gateway: POST /v3/kv/put with {"key","value"} in
 *         base64, HTTP/1.1 keep-alive; success is status 200
 *   grpc  etcd v3 native: /etcdserverpb.KV/Put over HTTP/2 (prior
 *         knowledge, h2c), the protocol of etcdctl and etcd's own benchmark
 *         tool; success is a response message followed by the trailers (an
 *         error is a trailers-only response or RST_STREAM). --conns M
 *         spreads the N clients over M connections as concurrent streams (the
 *         default is one connection per client, as for resp and http).
 *
 * The first --warmup seconds are not counted; then for --seconds every write
 * that completes is counted, and its latency (send to reply) recorded. Prints
 * one line: ops=<per second> p50_ms= p99_ms= avg_ms= max_ms= completed=
 * errors= (errors are replies other than success within the window).
 *
 * failover: the writer of bench/failover.sh. For every port (the surviving
 * nodes) it sends a SET every --interval-us (default 1000) on an idle
 * connection - opening another one when all are waiting, so a write stuck on
 * the dead leader never delays the writes after it - plus one "naive"
 * closed-loop connection per port (one write at a time, no timeout: what a
 * simple client sees). After --pre-ms of writes (all ports must have
 * succeeded) it sends SIGKILL to --kill-pid and prints, in ms from the
 * instant before kill(2):
 *   first_ok_ms     first successful write sent after the kill, any port
 *   all_ok_ms       the time by which every port had one (the later port)
 *   naive_ms        the naive connections: first success of a write sent
 *                   after the kill (the later port)
 *   inflight        writes in flight at the kill, and inflight_max_ms the
 *                   time until the last of them was answered (-1: still
 *                   unanswered at --max-ms)
 *   slowest_ms      the longest any write answered after the kill waited
 *   errors          error replies after the kill, with the first of each kind
 * It stops when every port took a write sent after the kill and every write
 * sent before that has been answered, or after --max-ms (default 15000).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum proto { P_RESP, P_HTTP, P_GRPC };

typedef struct conn conn;

typedef struct client {
    conn *c;
    int busy;
    uint64_t t_sent;
    uint32_t stream;      /* grpc: the stream of the write in flight */
    int got_data;         /* grpc: a response message arrived on it */
    struct client *next;  /* grpc: waiting for send window; failover: free list */
    int port_idx;         /* failover */
    int naive;            /* failover */
} client;

struct conn {
    int fd;
    int dead;
    int port;
    int port_idx;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_cap;
    int epollout;
    /* grpc */
    uint32_t next_stream;
    int64_t send_window;
    uint64_t recv_unacked;
    client **cls;
    int ncls;
    client *wait_head, *wait_tail;
    char authority[64];
    /* resp and http: the one client */
    client *cl;
};

static enum proto proto = P_RESP;
static const char *host = "127.0.0.1";
static int epfd;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned keys = 100000;
static int value_bytes = 16;
static char value[4096];
static char value_b64[8192];

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kv-load: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) die("out of memory");
    return p;
}

static size_t b64(const unsigned char *src, size_t n, char *dst)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)src[i] << 16;
        if (i + 1 < n) v |= (unsigned)src[i + 1] << 8;
        if (i + 2 < n) v |= src[i + 2];
        dst[o++] = tbl[(v >> 18) & 63];
        dst[o++] = tbl[(v >> 12) & 63];
        dst[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        dst[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    dst[o] = 0;
    return o;
}

/* ---- connections ---------------------------------------------------------------- */

static void out_append(conn *c, const void *p, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        c->out_cap = (c->out_len + n) * 2 + 256;
        c->out = xrealloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

static void set_events(conn *c, int want_out)
{
    if (c->epollout == want_out) return;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl: %s", strerror(errno));
    c->epollout = want_out;
}

static void conn_flush(conn *c)
{
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t w = write(c->fd, c->out + off, c->out_len - off);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            c->dead = 1;
            c->out_len = 0;
            return;
        }
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    set_events(c, c->out_len > 0);
}

static conn *conn_open(int port)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) die("out of memory");
    c->port = port;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("bad host %s", host);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect to %s:%d: %s", host, port, strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl: %s", strerror(errno));
    snprintf(c->authority, sizeof c->authority, "%s:%d", host, port);
    c->in_cap = 65536;
    c->in = xrealloc(NULL, c->in_cap);
    c->next_stream = 1;
    c->send_window = 65535;
    return c;
}

/* ---- HTTP/2 framing (grpc) ------------------------------------------------------------ */

enum { H2_DATA = 0, H2_HEADERS = 1, H2_RST = 3, H2_SETTINGS = 4, H2_PING = 6, H2_GOAWAY = 7,
       H2_WINDOW = 8 };

static void h2_frame(conn *c, uint8_t type, uint8_t flags, uint32_t stream, const void *p,
                     size_t n)
{
    uint8_t h[9] = {(uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
                    (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
                    (uint8_t)stream};
    out_append(c, h, 9);
    if (n) out_append(c, p, n);
}

static void h2_window_update(conn *c, uint32_t stream, uint32_t inc)
{
    uint8_t p[4] = {(uint8_t)(inc >> 24), (uint8_t)(inc >> 16), (uint8_t)(inc >> 8), (uint8_t)inc};
    h2_frame(c, H2_WINDOW, 0, stream, p, 4);
}

static void h2_start(conn *c)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    out_append(c, preface, sizeof preface - 1);
    /* SETTINGS: ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 1 MiB */
    uint8_t s[12] = {0, 2, 0, 0, 0, 0, 0, 4, 0, 0x10, 0, 0};
    h2_frame(c, H2_SETTINGS, 0, 0, s, sizeof s);
    h2_window_update(c, 0, 1u << 30);
}

/* ---- requests ------------------------------------------------------------------------- */

static int make_key(char *k)
{
    return sprintf(k, "key:%012u", (unsigned)(rng_next() % keys));
}

static int grpc_try_send(conn *c, client *cl);

static void send_request(client *cl)
{
    conn *c = cl->c;
    char key[32], buf[16384];
    cl->busy = 1;
    cl->got_data = 0;
    cl->stream = 0;
    cl->t_sent = now_ns();
    int kl = proto == P_GRPC ? 0 : make_key(key);
    if (proto == P_RESP) {
        int n = snprintf(buf, sizeof buf, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n", kl, key,
                         value_bytes);
        out_append(c, buf, (size_t)n);
        out_append(c, value, (size_t)value_bytes);
        out_append(c, "\r\n", 2);
    } else if (proto == P_HTTP) {
        char kb[64], body[10000];
        b64((const unsigned char *)key, (size_t)kl, kb);
        int bl = snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"%s\"}", kb, value_b64);
        int n = snprintf(buf, sizeof buf,
                         "POST /v3/kv/put HTTP/1.1\r\nHost: %s\r\n"
                         "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
                         c->authority, bl);
        out_append(c, buf, (size_t)n);
        out_append(c, body, (size_t)bl);
    } else {
        if (!grpc_try_send(c, cl)) {
            cl->next = NULL;
            if (c->wait_tail) c->wait_tail->next = cl;
            else c->wait_head = cl;
            c->wait_tail = cl;
            return;
        }
    }
    conn_flush(c);
}

/* grpc: HEADERS + DATA of one Put on a new stream, if the connection's send
 * window has room for the message. */
static int grpc_try_send(conn *c, client *cl)
{
    char key[32];
    int kl = make_key(key);
    uint8_t msg[5 + 4 + 32 + 4096 + 8];
    size_t m = 5;
    msg[m++] = 0x0a; /* PutRequest.key, bytes */
    msg[m++] = (uint8_t)kl;
    memcpy(msg + m, key, (size_t)kl);
    m += (size_t)kl;
    msg[m++] = 0x12; /* PutRequest.value, bytes */
    if (value_bytes < 128) {
        msg[m++] = (uint8_t)value_bytes;
    } else {
        msg[m++] = (uint8_t)(0x80 | (value_bytes & 0x7f));
        msg[m++] = (uint8_t)(value_bytes >> 7);
    }
    memcpy(msg + m, value, (size_t)value_bytes);
    m += (size_t)value_bytes;
    uint32_t plen = (uint32_t)(m - 5);
    msg[0] = 0;
    msg[1] = (uint8_t)(plen >> 24);
    msg[2] = (uint8_t)(plen >> 16);
    msg[3] = (uint8_t)(plen >> 8);
    msg[4] = (uint8_t)plen;
    if (c->send_window < (int64_t)m) return 0;
    c->send_window -= (int64_t)m;

    /* HPACK, no dynamic table, no Huffman: :method POST (static 3), :scheme
     * http (static 6), then literals without indexing. */
    uint8_t hb[256];
    size_t h = 0;
    static const char path[] = "/etcdserverpb.KV/Put";
    size_t al = strlen(c->authority);
    hb[h++] = 0x83;
    hb[h++] = 0x86;
    hb[h++] = 0x04; /* :path */
    hb[h++] = (uint8_t)(sizeof path - 1);
    memcpy(hb + h, path, sizeof path - 1);
    h += sizeof path - 1;
    hb[h++] = 0x01; /* :authority */
    hb[h++] = (uint8_t)al;
    memcpy(hb + h, c->authority, al);
    h += al;
    hb[h++] = 0x0f; /* content-type (static 31) */
    hb[h++] = 0x10;
    hb[h++] = 16;
    memcpy(hb + h, "application/grpc", 16);
    h += 16;
    hb[h++] = 0x00; /* te: trailers (new name) */
    hb[h++] = 2;
    memcpy(hb + h, "te", 2);
    h += 2;
    hb[h++] = 8;
    memcpy(hb + h, "trailers", 8);
    h += 8;

    cl->stream = c->next_stream;
    c->next_stream += 2;
    cl->t_sent = now_ns();
    h2_frame(c, H2_HEADERS, 0x4 /* END_HEADERS */, cl->stream, hb, h);
    h2_frame(c, H2_DATA, 0x1 /* END_STREAM */, cl->stream, msg, m);
    return 1;
}

/* ---- completion ------------------------------------------------------------------------ */

static void (*on_complete)(client *cl, int ok, const char *err, size_t errlen);

static void complete(client *cl, int ok, const char *err, size_t errlen)
{
    cl->busy = 0;
    on_complete(cl, ok, err, errlen);
}

/* ---- parsing replies ------------------------------------------------------------------- */

/* Returns bytes consumed, 0 if incomplete. */
static size_t parse_resp(conn *c)
{
    char *nl = memmem(c->in, c->in_len, "\r\n", 2);
    if (!nl) return 0;
    size_t n = (size_t)(nl - c->in) + 2;
    if (c->in[0] == '$' || c->in[0] == '*' ) {
        /* SET ... GET or an unexpected aggregate: not used here */
        die("unexpected RESP reply type '%c'", c->in[0]);
    }
    client *cl = c->cl;
    if (!cl || !cl->busy) die("RESP reply with no request in flight");
    complete(cl, c->in[0] == '+', c->in, n - 2);
    return n;
}

static size_t parse_http(conn *c)
{
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t hlen = (size_t)(end - c->in) + 4;
    int status = 0;
    if (sscanf(c->in, "HTTP/1.%*d %d", &status) != 1) die("bad HTTP status line");
    long clen = -1;
    int chunked = 0;
    for (char *p = c->in; p < end;) {
        char *e = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
        if (!e) break;
        if ((size_t)(e - p) > 15 && strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtol(p + 15, NULL, 10);
        if ((size_t)(e - p) > 18 && strncasecmp(p, "Transfer-Encoding:", 18) == 0 &&
            memmem(p, (size_t)(e - p), "chunked", 7))
            chunked = 1;
        p = e + 2;
    }
    size_t total;
    if (chunked) {
        size_t off = hlen;
        for (;;) {
            char *e = memmem(c->in + off, c->in_len - off, "\r\n", 2);
            if (!e) return 0;
            unsigned long sz = strtoul(c->in + off, NULL, 16);
            off = (size_t)(e - c->in) + 2 + sz + 2;
            if (off > c->in_len) return 0;
            if (sz == 0) break;
        }
        total = off;
    } else {
        if (clen < 0) die("HTTP reply without Content-Length");
        total = hlen + (size_t)clen;
        if (total > c->in_len) return 0;
    }
    client *cl = c->cl;
    if (!cl || !cl->busy) die("HTTP reply with no request in flight");
    complete(cl, status == 200, c->in + hlen, total - hlen);
    return total;
}

static client *grpc_client_of(conn *c, uint32_t stream)
{
    for (int i = 0; i < c->ncls; i++)
        if (c->cls[i]->busy && c->cls[i]->stream == stream) return c->cls[i];
    return NULL;
}

static size_t parse_h2(conn *c)
{
    if (c->in_len < 9) return 0;
    const uint8_t *p = (const uint8_t *)c->in;
    size_t len = ((size_t)p[0] << 16) | ((size_t)p[1] << 8) | p[2];
    if (c->in_len < 9 + len) return 0;
    uint8_t type = p[3], flags = p[4];
    uint32_t stream = (((uint32_t)p[5] & 0x7f) << 24) | ((uint32_t)p[6] << 16) |
                      ((uint32_t)p[7] << 8) | p[8];
    const uint8_t *pl = p + 9;
    client *cl;
    switch (type) {
    case H2_DATA:
        c->recv_unacked += len;
        if (c->recv_unacked > (1u << 29)) {
            h2_window_update(c, 0, (uint32_t)c->recv_unacked);
            c->recv_unacked = 0;
        }
        cl = grpc_client_of(c, stream);
        if (cl && len >= 5) cl->got_data = 1;
        if (cl && (flags & 0x1)) complete(cl, 0, "DATA with END_STREAM", 20);
        break;
    case H2_HEADERS:
        cl = grpc_client_of(c, stream);
        if (cl && (flags & 0x1)) {
            if (cl->got_data) complete(cl, 1, NULL, 0);
            else complete(cl, 0, "trailers-only response (grpc error)", 35);
        }
        break;
    case H2_RST:
        cl = grpc_client_of(c, stream);
        if (cl) complete(cl, 0, "RST_STREAM", 10);
        break;
    case H2_SETTINGS:
        if (!(flags & 0x1)) h2_frame(c, H2_SETTINGS, 0x1, 0, NULL, 0);
        break;
    case H2_PING:
        if (!(flags & 0x1)) h2_frame(c, H2_PING, 0x1, 0, pl, len);
        break;
    case H2_GOAWAY:
        die("server sent GOAWAY (error %u)", len >= 8 ? ((unsigned)pl[4] << 24 |
                                                          (unsigned)pl[5] << 16 |
                                                          (unsigned)pl[6] << 8 | pl[7])
                                                      : 0u);
    case H2_WINDOW:
        if (stream == 0 && len >= 4) {
            c->send_window += ((int64_t)(pl[0] & 0x7f) << 24) | ((int64_t)pl[1] << 16) |
                              ((int64_t)pl[2] << 8) | pl[3];
            while (c->wait_head && grpc_try_send(c, c->wait_head)) {
                c->wait_head = c->wait_head->next;
                if (!c->wait_head) c->wait_tail = NULL;
            }
        }
        break;
    default:
        break; /* PRIORITY, CONTINUATION, ...: nothing to do */
    }
    return 9 + len;
}

static void conn_readable(conn *c)
{
    for (;;) {
        if (c->in_cap - c->in_len < 16384) {
            c->in_cap *= 2;
            c->in = xrealloc(c->in, c->in_cap);
        }
        ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (r > 0) {
            c->in_len += (size_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            c->dead = 1;
            break;
        }
    }
    for (;;) {
        /* parse from the front; the parsers look at c->in */
        size_t n;
        if (c->in_len == 0) break;
        if (proto == P_RESP) n = parse_resp(c);
        else if (proto == P_HTTP) n = parse_http(c);
        else n = parse_h2(c);
        if (n == 0) break;
        memmove(c->in, c->in + n, c->in_len - n);
        c->in_len -= n;
    }
    if (c->out_len) conn_flush(c);
}

/* ---- bench ----------------------------------------------------------------------------- */

static uint64_t window_begin, window_end;
static uint32_t *lat_us;
static size_t lat_n, lat_cap;
static uint64_t errors_in_window, errors_total;
static char first_error[200];

static void bench_complete(client *cl, int ok, const char *err, size_t errlen)
{
    uint64_t t = now_ns();
    if (t >= window_begin && t < window_end) {
        if (ok) {
            if (lat_n == lat_cap) {
                lat_cap = lat_cap ? lat_cap * 2 : 65536;
                lat_us = xrealloc(lat_us, lat_cap * sizeof *lat_us);
            }
            uint64_t us = (t - cl->t_sent) / 1000;
            lat_us[lat_n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
        } else {
            errors_in_window++;
        }
    }
    if (!ok) {
        errors_total++;
        if (!first_error[0])
            snprintf(first_error, sizeof first_error, "%.*s", (int)(errlen > 150 ? 150 : errlen),
                     err ? err : "");
    }
    if (t < window_end) send_request(cl);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(double p)
{
    if (lat_n == 0) return 0;
    size_t i = (size_t)(p * (double)lat_n + 0.999999);
    if (i < 1) i = 1;
    if (i > lat_n) i = lat_n;
    return lat_us[i - 1] / 1000.0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: kv-load bench --proto resp|http|grpc --port P [--clients N] [--conns M]\n"
            "                     [--seconds S] [--warmup S] [--keys K] [--value-bytes V]\n"
            "       kv-load failover --ports P1,P2,... --kill-pid PID [--interval-us U]\n"
            "                     [--pre-ms MS] [--max-ms MS]\n");
    exit(2);
}

static int run_bench(int port, int nclients, int nconns, double seconds, double warmup)
{
    if (nconns <= 0 || proto != P_GRPC) nconns = nclients;
    if (nconns > nclients) nconns = nclients;
    conn **conns = calloc((size_t)nconns, sizeof *conns);
    client *cls = calloc((size_t)nclients, sizeof *cls);
    for (int i = 0; i < nconns; i++) {
        conns[i] = conn_open(port);
        if (proto == P_GRPC) {
            h2_start(conns[i]);
            conns[i]->cls = calloc((size_t)(nclients / nconns + 1), sizeof(client *));
        }
    }
    for (int i = 0; i < nclients; i++) {
        conn *c = conns[i % nconns];
        cls[i].c = c;
        if (proto == P_GRPC) c->cls[c->ncls++] = &cls[i];
        else c->cl = &cls[i];
    }
    on_complete = bench_complete;
    uint64_t start = now_ns();
    window_begin = start + (uint64_t)(warmup * 1e9);
    window_end = window_begin + (uint64_t)(seconds * 1e9);
    for (int i = 0; i < nclients; i++) send_request(&cls[i]);
    struct epoll_event evs[256];
    for (;;) {
        uint64_t t = now_ns();
        if (t >= window_end) break;
        int timeout = (int)((window_end - t) / 1000000) + 1;
        int n = epoll_wait(epfd, evs, 256, timeout > 100 ? 100 : timeout);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->dead) continue;
            if (evs[i].events & EPOLLOUT) conn_flush(c);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_readable(c);
            if (c->dead) die("the server closed a connection (port %d)", c->port);
        }
    }
    qsort(lat_us, lat_n, sizeof *lat_us, cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < lat_n; i++) sum += lat_us[i];
    printf("ops=%.1f p50_ms=%.3f p99_ms=%.3f avg_ms=%.3f max_ms=%.3f completed=%zu errors=%llu",
           (double)lat_n / seconds, pct(0.50), pct(0.99), lat_n ? sum / (double)lat_n / 1000 : 0,
           lat_n ? lat_us[lat_n - 1] / 1000.0 : 0, lat_n, (unsigned long long)errors_in_window);
    if (first_error[0]) printf(" first_error=\"%s\"", first_error);
    printf("\n");
    return 0;
}

/* ---- failover -------------------------------------------------------------------------- */

#define MAX_PORTS 8
static int nports;
static int ports[MAX_PORTS];
static client *free_list[MAX_PORTS];
static int pool_size[MAX_PORTS];
static client naive_cl[MAX_PORTS];
static uint64_t t_kill;                     /* 0 until the kill */
static uint64_t first_ok[MAX_PORTS];        /* after the kill */
static uint64_t naive_ok[MAX_PORTS];        /* after the kill */
static int pre_ok[MAX_PORTS];
static long inflight_at_kill, inflight_left;
static uint64_t inflight_last;
static long fo_errors;
static uint64_t fo_slowest_ns;   /* the longest wait of a write answered after the kill */
static char fo_errkinds[4][120];
static int fo_nerrkinds;
static client **fo_all;
static size_t fo_nall;

static void fo_note_error(const char *err, size_t len)
{
    fo_errors++;
    char e[120];
    snprintf(e, sizeof e, "%.*s", (int)(len > 100 ? 100 : len), err);
    /* the kind: up to the first space after the first word */
    size_t k = strcspn(e, " ");
    for (int i = 0; i < fo_nerrkinds; i++)
        if (strncmp(fo_errkinds[i], e, k) == 0 && (fo_errkinds[i][k] == ' ' || !fo_errkinds[i][k]))
            return;
    if (fo_nerrkinds < 4) snprintf(fo_errkinds[fo_nerrkinds++], sizeof fo_errkinds[0], "%s", e);
}

static void fo_complete(client *cl, int ok, const char *err, size_t errlen)
{
    uint64_t t = now_ns();
    int p = cl->port_idx;
    if (!t_kill) {
        if (ok) pre_ok[p] = 1;
        else fo_note_error(err, errlen);
    } else {
        if (t - cl->t_sent > fo_slowest_ns) fo_slowest_ns = t - cl->t_sent;
        if (cl->t_sent < t_kill) {
            inflight_left--;
            inflight_last = t;
        } else if (ok) {
            if (cl->naive) {
                if (!naive_ok[p]) naive_ok[p] = t;
            } else if (!first_ok[p]) {
                first_ok[p] = t;
            }
        }
        if (!ok) fo_note_error(err, errlen);
    }
    if (cl->naive) {
        send_request(cl);
    } else {
        cl->next = free_list[p];
        free_list[p] = cl;
    }
}

static client *fo_new_client(int p)
{
    client *cl = calloc(1, sizeof *cl);
    if (!cl) die("out of memory");
    cl->c = conn_open(ports[p]);
    cl->c->cl = cl;
    cl->port_idx = p;
    pool_size[p]++;
    fo_all = xrealloc(fo_all, (fo_nall + 1) * sizeof *fo_all);
    fo_all[fo_nall++] = cl;
    return cl;
}

static double ms_since_kill(uint64_t t)
{
    return t ? (double)(t - t_kill) / 1e6 : -1;
}

static int run_failover(const char *ports_arg, pid_t pid, long interval_us, long pre_ms,
                        long max_ms)
{
    char *s = strdup(ports_arg), *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (nports == MAX_PORTS) die("too many ports");
        ports[nports++] = atoi(t);
    }
    free(s);
    if (nports == 0 || pid <= 1) usage();
    proto = P_RESP;
    on_complete = fo_complete;
    for (int p = 0; p < nports; p++) {
        naive_cl[p].c = conn_open(ports[p]);
        naive_cl[p].c->cl = &naive_cl[p];
        naive_cl[p].port_idx = p;
        naive_cl[p].naive = 1;
        send_request(&naive_cl[p]);
    }
    uint64_t start = now_ns(), next_tick = start;
    uint64_t kill_at = start + (uint64_t)pre_ms * 1000000ull, deadline = 0;
    int total_conns_cap = 4000, total_conns = nports;
    struct epoll_event evs[256];
    for (;;) {
        uint64_t t = now_ns();
        if (!t_kill && t >= kill_at) {
            for (int p = 0; p < nports; p++)
                if (!pre_ok[p])
                    die("no successful write on port %d in %ld ms before the kill", ports[p],
                        pre_ms);
            /* everything sent so far and not answered is in flight */
            for (int p = 0; p < nports; p++) inflight_at_kill += naive_cl[p].busy;
            for (size_t i = 0; i < fo_nall; i++) inflight_at_kill += fo_all[i]->busy;
            inflight_left = inflight_at_kill;
            t_kill = now_ns();
            if (kill(pid, SIGKILL) != 0) die("kill %d: %s", (int)pid, strerror(errno));
            deadline = t_kill + (uint64_t)max_ms * 1000000ull;
        }
        if (t_kill) {
            /* done when every port took a write, and every write sent before
             * the last port recovered has been answered */
            int done = inflight_left == 0;
            uint64_t recovered = 0;
            for (int p = 0; p < nports; p++) {
                if (!first_ok[p] || !naive_ok[p]) done = 0;
                if (first_ok[p] > recovered) recovered = first_ok[p];
                if (naive_ok[p] > recovered) recovered = naive_ok[p];
            }
            for (size_t i = 0; done && i < fo_nall; i++)
                if (fo_all[i]->busy && fo_all[i]->t_sent < recovered) done = 0;
            if (done || t >= deadline) break;
        }
        while (t >= next_tick) {
            for (int p = 0; p < nports; p++) {
                client *cl = free_list[p];
                if (cl) {
                    free_list[p] = cl->next;
                } else {
                    if (total_conns >= total_conns_cap) continue;
                    cl = fo_new_client(p);
                    total_conns++;
                }
                send_request(cl);
            }
            next_tick += (uint64_t)interval_us * 1000ull;
        }
        int n = epoll_wait(epfd, evs, 256, 1);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->dead) continue;
            if (evs[i].events & EPOLLOUT) conn_flush(c);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_readable(c);
            if (c->dead) die("a surviving node closed a client connection (port %d)", c->port);
        }
    }
    /* first: the earliest port; all and naive: the latest port, -1 if one never made it */
    double first = -1, all = 0, naive = 0;
    for (int p = 0; p < nports; p++) {
        double f = ms_since_kill(first_ok[p]), nv = ms_since_kill(naive_ok[p]);
        if (f >= 0 && (first < 0 || f < first)) first = f;
        if (all >= 0) all = f < 0 ? -1 : (f > all ? f : all);
        if (naive >= 0) naive = nv < 0 ? -1 : (nv > naive ? nv : naive);
    }
    printf("first_ok_ms=%.1f all_ok_ms=%.1f naive_ms=%.1f", first, all, naive);
    for (int p = 0; p < nports; p++)
        printf(" port%d_ok_ms=%.1f", ports[p], ms_since_kill(first_ok[p]));
    printf(" inflight=%ld inflight_max_ms=%.1f slowest_ms=%.1f errors=%ld conns=%d",
           inflight_at_kill, inflight_left ? -1.0 : ms_since_kill(inflight_last),
           (double)fo_slowest_ns / 1e6, fo_errors, total_conns);
    if (t_kill && now_ns() >= deadline) printf(" timeout=1");
    for (int i = 0; i < fo_nerrkinds; i++) printf(" error%d=\"%s\"", i + 1, fo_errkinds[i]);
    printf("\n");
    return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    signal(SIGPIPE, SIG_IGN);
    const char *mode = argv[1];
    int port = 0, nclients = 1, nconns = 0;
    double seconds = 3, warmup = 0.5;
    const char *ports_arg = NULL;
    pid_t pid = 0;
    long interval_us = 1000, pre_ms = 300, max_ms = 15000;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--proto")) {
            if (!strcmp(v, "resp")) proto = P_RESP;
            else if (!strcmp(v, "http")) proto = P_HTTP;
            else if (!strcmp(v, "grpc")) proto = P_GRPC;
            else usage();
        } else if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--clients")) nclients = atoi(v);
        else if (!strcmp(a, "--conns")) nconns = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--keys")) keys = (unsigned)atol(v);
        else if (!strcmp(a, "--value-bytes")) value_bytes = atoi(v);
        else if (!strcmp(a, "--ports")) ports_arg = v;
        else if (!strcmp(a, "--kill-pid")) pid = (pid_t)atol(v);
        else if (!strcmp(a, "--interval-us")) interval_us = atol(v);
        else if (!strcmp(a, "--pre-ms")) pre_ms = atol(v);
        else if (!strcmp(a, "--max-ms")) max_ms = atol(v);
        else if (!strcmp(a, "--seed")) rng_state = (uint64_t)atoll(v) | 1;
        else usage();
    }
    if (value_bytes < 1 || value_bytes > 4000 || keys == 0 || interval_us < 10) usage();
    memset(value, 'x', (size_t)value_bytes);
    b64((const unsigned char *)value, (size_t)value_bytes, value_b64);
    epfd = epoll_create1(0);
    if (epfd < 0) die("epoll_create1: %s", strerror(errno));
    if (!strcmp(mode, "bench")) {
        if (port <= 0 || nclients < 1 || seconds <= 0 || warmup < 0) usage();
        return run_bench(port, nclients, nconns, seconds, warmup);
    }
    if (!strcmp(mode, "failover")) {
        if (!ports_arg) usage();
        return run_failover(ports_arg, pid, interval_us, pre_ms, max_ms);
    }
    usage();
}
