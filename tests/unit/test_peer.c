/* tests/unit/test_peer.c - peer links (node/peer) on a real libuv loop.
 *
 * Up to four peer_nets run in this process on 127.0.0.1, each on a port the
 * kernel picks, all on one loop; raw sockets play broken or hostile peers.
 * Tests read as a small language:
 *
 *   cluster_start(3);  expect_links_up();
 *   send_frames(1, 2, 100);  run_until(received(2) == 100);
 *   node_stop(2);  node_restart(2);  run_until(connected(1, 2));
 *
 * Timeouts and backoffs are scaled down (tens of ms) so the whole file
 * runs in a few seconds; every wait has a deadline that fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/mem.h"
#include "node/peer.h"
#include "node/wire.h"

#define NODES_MAX 4
#define RECV_MAX  4096
#define CLUSTER   0xC1u
#define WAIT_MS   3000
#define TICK_MS   2

typedef struct node {
    uint64_t id;
    peer_net *net;
    int port;
    bool running;
    peer_config cfg;
    /* What on_frame saw, in order. */
    size_t received;
    uint64_t from[RECV_MAX];
    uint8_t type[RECV_MAX];
    uint32_t seq[RECV_MAX];
    size_t len[RECV_MAX];
    size_t bad_payloads;
    size_t raft_msgs;
    size_t forwards;
    size_t replies;
    int links_up;
    int links_down;
    /* Test knobs for the callback. */
    uint64_t remove_on_frame; /* remove this peer from inside on_frame */
    bool close_on_frame;      /* close the whole net from inside on_frame */
} node;

static uv_loop_t loop;
static uv_timer_t tick;
static node nodes[NODES_MAX + 1]; /* by id: nodes[1] .. nodes[4] */
static int closed_count;

/* ---- Payloads: a sequence number and bytes derived from it --------------- */

static uint8_t payload_byte(uint32_t seq, size_t i)
{
    return (uint8_t)(seq * 31u + i * 7u);
}

static void make_payload(buf *b, uint32_t seq, size_t len)
{
    buf_clear(b);
    uint8_t head[4] = {(uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16),
                       (uint8_t)(seq >> 24)};
    buf_append(b, head, 4);
    for (size_t i = 4; i < len; i++)
        buf_append_char(b, (char)payload_byte(seq, i));
}

static bool payload_ok(const uint8_t *p, size_t len, uint32_t *seq)
{
    if (len < 4) return false;
    *seq = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
    for (size_t i = 4; i < len; i++)
        if (p[i] != payload_byte(*seq, i)) return false;
    return true;
}

/* ---- Callbacks ----------------------------------------------------------- */

static int decode_raft(node *n, const uint8_t *payload, size_t len)
{
    wire_limits limits;
    wire_limits_default(&limits);
    wire_scratch s = WIRE_SCRATCH_INIT;
    wire_raft_iter it;
    int rv = wire_raft_iter_init(&it, payload, len, NULL);
    while (rv == 0) {
        raft_msg m;
        int got = wire_raft_iter_next(&it, &limits, &s, &m, NULL);
        if (got <= 0) {
            rv = got;
            break;
        }
        n->raft_msgs++;
    }
    wire_scratch_free(&s);
    return rv;
}

static int on_frame(void *priv, uint64_t from, uint8_t type, const uint8_t *payload,
                    size_t len)
{
    node *n = priv;
    if (n->close_on_frame) {
        n->close_on_frame = false;
        n->running = false;
        peer_net_close(n->net, NULL);
        closed_count--; /* no callback to count */
        return 0;
    }
    if (n->remove_on_frame == from) {
        n->remove_on_frame = 0;
        assert_int_equal(peer_net_remove(n->net, from), 0);
        return 0;
    }
    size_t i = n->received++;
    assert_true(i < RECV_MAX);
    n->from[i] = from;
    n->type[i] = type;
    n->len[i] = len;
    n->seq[i] = 0;
    if (type == WIRE_RAFT) return decode_raft(n, payload, len);
    if (type == WIRE_FORWARD) {
        wire_limits limits;
        wire_limits_default(&limits);
        wire_scratch s = WIRE_SCRATCH_INIT;
        wire_forward f;
        int rv = wire_decode_forward(payload, len, &limits, &s, &f, NULL);
        if (rv == 0 && f.argc == 2 && memcmp(f.argv[0].ptr, "GET", 3) == 0) n->forwards++;
        wire_scratch_free(&s);
        return rv;
    }
    if (len >= 8 && type == WIRE_REPLY && memcmp(payload + 8, "+OK\r\n", 5) == 0) {
        n->replies++;
        return 0;
    }
    if (!payload_ok(payload, len, &n->seq[i])) n->bad_payloads++;
    return 0;
}

static void on_link(void *priv, uint64_t id, bool up)
{
    node *n = priv;
    (void)id;
    if (up)
        n->links_up++;
    else
        n->links_down++;
}

static void on_closed(void *priv)
{
    (void)priv;
    closed_count--;
}

/* ---- The loop ------------------------------------------------------------ */

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

static uint64_t now(void)
{
    uv_update_time(&loop);
    return uv_now(&loop);
}

/* One loop iteration; the tick timer keeps it from blocking long. */
static void step(void)
{
    uv_run(&loop, UV_RUN_ONCE);
}

#define run_until(cond)                                                                  \
    do {                                                                                 \
        uint64_t deadline_ = now() + WAIT_MS;                                            \
        while (!(cond)) {                                                                \
            if (now() > deadline_) fail_msg("timed out waiting for %s", #cond);          \
            step();                                                                      \
        }                                                                                \
    } while (0)

static void run_for_ms(uint64_t ms)
{
    uint64_t end = now() + ms;
    while (now() < end)
        step();
}

static int setup(void **state)
{
    (void)state;
    memset(nodes, 0, sizeof nodes);
    closed_count = 0;
    assert_int_equal(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, TICK_MS, TICK_MS);
    return 0;
}

static void node_stop(uint64_t id);

static int teardown(void **state)
{
    (void)state;
    for (uint64_t id = 1; id <= NODES_MAX; id++)
        if (nodes[id].running) node_stop(id);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* ---- Nodes --------------------------------------------------------------- */

static void node_config(uint64_t id, uint64_t cluster)
{
    node *n = &nodes[id];
    n->id = id;
    peer_config_defaults(&n->cfg);
    n->cfg.node_id = id;
    n->cfg.cluster_id = cluster;
    n->cfg.listen_addr = "127.0.0.1:0";
    n->cfg.reconnect_delay_ms_min = 20;
    n->cfg.reconnect_delay_ms_max = 160;
    n->cfg.handshake_timeout_ms = 500;
    /* No pings unless a test asks: they would add writes to the counts. */
    n->cfg.ping_interval_ms = 60000;
    n->cfg.idle_timeout_ms = 120000;
    n->cfg.seed = id;
}

/* Starts node `id` (configured by node_config) on `port` (0: any). */
static void node_start_on(uint64_t id, int port)
{
    node *n = &nodes[id];
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    n->cfg.listen_addr = addr;
    peer_callbacks cb = {.priv = n, .on_frame = on_frame, .on_link = on_link};
    assert_int_equal(peer_net_init(&loop, &n->cfg, &cb, &n->net), 0);
    n->port = peer_net_port(n->net);
    assert_true(n->port > 0);
    n->running = true;
    closed_count++;
}

static void node_start(uint64_t id, uint64_t cluster)
{
    node_config(id, cluster);
    node_start_on(id, 0);
}

static void node_stop(uint64_t id)
{
    node *n = &nodes[id];
    assert_true(n->running);
    n->running = false;
    int before = closed_count;
    peer_net_close(n->net, on_closed);
    n->net = NULL;
    run_until(closed_count == before - 1);
}

static void add_peer(uint64_t at, uint64_t peer_id)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", nodes[peer_id].port);
    assert_int_equal(peer_net_add(nodes[at].net, peer_id, addr), 0);
}

static peer_stats stats_of(uint64_t at, uint64_t peer_id)
{
    peer_stats st;
    assert_int_equal(peer_net_stats(nodes[at].net, peer_id, &st), 0);
    return st;
}

static bool connected(uint64_t at, uint64_t peer_id)
{
    peer_stats st;
    return peer_net_stats(nodes[at].net, peer_id, &st) == 0 && st.connected;
}

static bool inbound_connected(uint64_t at, uint64_t peer_id)
{
    peer_stats st;
    return peer_net_stats(nodes[at].net, peer_id, &st) == 0 && st.inbound_connected;
}

static peer_net_counters counters_of(uint64_t id)
{
    peer_net_counters c;
    peer_net_counters_get(nodes[id].net, &c);
    return c;
}

static void cluster_start(size_t count)
{
    for (uint64_t id = 1; id <= count; id++)
        node_start(id, CLUSTER);
    for (uint64_t a = 1; a <= count; a++)
        for (uint64_t b = 1; b <= count; b++)
            if (a != b) add_peer(a, b);
}

static bool all_links_up(size_t count)
{
    for (uint64_t a = 1; a <= count; a++)
        for (uint64_t b = 1; b <= count; b++)
            if (a != b && (!connected(a, b) || !inbound_connected(a, b))) return false;
    return true;
}

/* Queues `count` frames of `len` bytes from -> to, numbered from `first`;
 * returns how many were accepted (stops at the first refusal). */
static size_t send_frames(uint64_t from, uint64_t to, uint32_t first, size_t count,
                          size_t len, int *last_rv)
{
    buf b = BUF_INIT;
    size_t sent = 0;
    *last_rv = 0;
    for (size_t i = 0; i < count; i++) {
        make_payload(&b, first + (uint32_t)i, len);
        int rv = peer_send(nodes[from].net, to, WIRE_REPLY, b.data, b.len);
        if (rv != 0) {
            *last_rv = rv;
            break;
        }
        sent++;
    }
    buf_free(&b);
    return sent;
}

/* The frames node `at` received from `from` are first..first+count-1, in
 * order, intact. */
static void expect_in_order(uint64_t at, uint64_t from, uint32_t first, size_t count)
{
    node *n = &nodes[at];
    uint32_t next = first;
    size_t seen = 0;
    for (size_t i = 0; i < n->received; i++) {
        if (n->from[i] != from || n->type[i] != WIRE_REPLY) continue;
        assert_int_equal(n->seq[i], next);
        next++;
        seen++;
    }
    assert_int_equal(seen, count);
    assert_int_equal(n->bad_payloads, 0);
}

/* ---- Raw sockets: hostile or broken peers -------------------------------- */

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void raw_send(int fd, const void *p, size_t len)
{
    assert_int_equal(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* True once the other side has closed fd (EOF or reset); drains input. */
static bool raw_closed(int fd)
{
    char b[4096];
    for (;;) {
        ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
        if (n == 0) return true;
        if (n < 0) return errno == ECONNRESET;
    }
}

static void raw_handshake(int fd, uint64_t as_id, uint64_t to_id)
{
    buf payload = BUF_INIT, frame = BUF_INIT;
    wire_handshake h = {WIRE_VERSION_MIN, WIRE_VERSION_MAX, CLUSTER, as_id, to_id};
    wire_encode_handshake(&payload, &h);
    wire_encode_frame(&frame, WIRE_HANDSHAKE, payload.data, payload.len);
    raw_send(fd, frame.data, frame.len);
    buf_free(&payload);
    buf_free(&frame);
}

/* ---- Tests --------------------------------------------------------------- */

static void test_handshake_links_up(void **state)
{
    (void)state;
    cluster_start(3);
    run_until(all_links_up(3));
    for (uint64_t id = 1; id <= 3; id++) {
        assert_int_equal(nodes[id].links_up, 2);
        assert_int_equal(nodes[id].links_down, 0);
        peer_net_counters c = counters_of(id);
        assert_int_equal(c.peer_count, 2);
        assert_int_equal(c.conns_open, 4); /* one out, one in, per peer */
        assert_int_equal(c.handshakes_rejected, 0);
        assert_int_equal(c.protocol_errors, 0);
    }
    peer_stats st = stats_of(1, 2);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.reconnects, 0);
    assert_string_equal(st.last_error, "");
    assert_true(st.last_contact_ms > 0);
}

static void test_wrong_cluster_rejected(void **state)
{
    (void)state;
    node_start(1, CLUSTER);
    node_start(2, CLUSTER + 1);
    add_peer(1, 2);
    add_peer(2, 1);
    /* Each refuses the other; both keep redialing, neither link opens. */
    run_until(counters_of(1).handshakes_rejected >= 2 &&
              counters_of(2).handshakes_rejected >= 2);
    assert_false(connected(1, 2));
    assert_false(connected(2, 1));
    assert_false(inbound_connected(1, 2));
    peer_stats st = stats_of(2, 1);
    assert_non_null(strstr(st.last_error, "wrong cluster id"));
    assert_true(st.reconnects >= 1);
    assert_int_equal(st.connects, 0);
    assert_int_equal(nodes[1].links_up, 0);
    int rv;
    assert_int_equal(send_frames(2, 1, 0, 1, 16, &rv), 0);
    assert_int_equal(rv, POLIS_ECLOSED);
}

static void test_unknown_and_wrong_node_rejected(void **state)
{
    (void)state;
    node_start(1, CLUSTER);
    node_start(2, CLUSTER);
    node_start(3, CLUSTER);
    /* 2 dials 1, which does not know 2. */
    add_peer(2, 1);
    run_until(stats_of(2, 1).reconnects >= 1);
    assert_non_null(strstr(stats_of(2, 1).last_error, "unknown node id"));
    /* 1 believes node 3 listens where node 2 does. */
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", nodes[2].port);
    assert_int_equal(peer_net_add(nodes[1].net, 3, addr), 0);
    run_until(strstr(stats_of(1, 3).last_error, "dialed a different node id") != NULL);
    /* A node claiming our own id. */
    int fd = raw_connect(nodes[3].port);
    raw_handshake(fd, 3, 3);
    run_until(raw_closed(fd));
    close(fd);
    assert_int_equal(counters_of(3).handshakes_rejected, 1);
    assert_false(connected(1, 3));
}

static void test_frames_in_order_and_batched(void **state)
{
    (void)state;
    cluster_start(3);
    run_until(all_links_up(3));
    peer_stats before = stats_of(1, 2);
    int rv;
    /* 100 frames queued in one iteration leave in one write. */
    assert_int_equal(send_frames(1, 2, 1000, 100, 200, &rv), 100);
    assert_int_equal(send_frames(1, 3, 5000, 10, 50, &rv), 10);
    assert_true(stats_of(1, 2).queued_bytes == 100 * (200 + WIRE_FRAME_HEADER_BYTES));
    run_until(nodes[2].received == 100 && nodes[3].received == 10);
    peer_stats after = stats_of(1, 2);
    assert_int_equal(after.writes - before.writes, 1);
    assert_int_equal(after.frames_out - before.frames_out, 100);
    assert_int_equal(after.bytes_out - before.bytes_out,
                     100 * (200 + WIRE_FRAME_HEADER_BYTES));
    assert_int_equal(after.queued_bytes, 0);
    assert_int_equal(stats_of(2, 1).frames_in, 100);
    expect_in_order(2, 1, 1000, 100);
    expect_in_order(3, 1, 5000, 10);
    /* An explicit flush writes at once, without waiting for the loop. */
    assert_int_equal(send_frames(1, 2, 1100, 5, 20, &rv), 5);
    peer_net_flush(nodes[1].net);
    assert_int_equal(stats_of(1, 2).queued_bytes, 0);
    assert_int_equal(stats_of(1, 2).writes - after.writes, 1);
    run_until(nodes[2].received == 105);
    expect_in_order(2, 1, 1000, 105);
}

static void test_typed_sends(void **state)
{
    (void)state;
    cluster_start(2);
    run_until(all_links_up(2));
    uint8_t data[3] = {1, 2, 3};
    raft_entry e = {.term = 2, .index = 8, .len = 3, .data = data};
    raft_msg msgs[3] = {
        {.type = RAFT_MSG_HEARTBEAT, .group = 1, .from = 1, .to = 2, .term = 2},
        {.type = RAFT_MSG_APPEND,
         .group = 1,
         .from = 1,
         .to = 2,
         .term = 2,
         .index = 7,
         .log_term = 2,
         .entries = &e,
         .entry_count = 1},
        {.type = RAFT_MSG_HEARTBEAT, .group = 2, .from = 1, .to = 2, .term = 9},
    };
    assert_int_equal(peer_send_raft(nodes[1].net, 2, msgs, 3), 0);
    cmd_arg argv[2] = {{"GET", 3}, {"k", 1}};
    wire_forward f = {.request_id = 5, .resp = 2, .argv = argv, .argc = 2};
    assert_int_equal(peer_send_forward(nodes[1].net, 2, &f), 0);
    assert_int_equal(peer_send_reply(nodes[2].net, 1, 5, "+OK\r\n", 5), 0);
    run_until(nodes[2].received == 2 && nodes[1].received == 1);
    assert_int_equal(nodes[2].raft_msgs, 3);
    assert_int_equal(nodes[2].forwards, 1);
    assert_int_equal(nodes[1].replies, 1);
    assert_int_equal(nodes[2].type[0], WIRE_RAFT);
    assert_int_equal(nodes[2].type[1], WIRE_FORWARD);
}

/* Frames of several MiB: the socket takes part, uv_write the rest, and
 * the reader assembles them across many reads. */
static void test_large_frames(void **state)
{
    (void)state;
    cluster_start(2);
    run_until(all_links_up(2));
    int rv;
    assert_int_equal(send_frames(1, 2, 1, 3, 4u << 20, &rv), 3);
    assert_int_equal(send_frames(1, 2, 4, 1, 10, &rv), 1);
    run_until(nodes[2].received == 4);
    expect_in_order(2, 1, 1, 4);
    assert_int_equal(nodes[2].len[0], 4u << 20);
    /* Over the frame limit: refused whole. */
    buf big = BUF_INIT;
    buf_reserve(&big, (size_t)nodes[1].cfg.frame_payload_bytes_max + 1);
    big.len = (size_t)nodes[1].cfg.frame_payload_bytes_max + 1; /* never read */
    assert_int_equal(peer_send(nodes[1].net, 2, WIRE_REPLY, big.data, big.len),
                     POLIS_ELIMIT);
    buf_free(&big);
}

static void test_queue_limit_busy(void **state)
{
    (void)state;
    node_config(1, CLUSTER);
    nodes[1].cfg.queue_bytes_max = 64u << 10;
    node_start_on(1, 0);
    node_start(2, CLUSTER);
    add_peer(1, 2);
    add_peer(2, 1);
    run_until(all_links_up(2));
    /* Without running the loop nothing drains: fill up to the limit. */
    int rv;
    size_t sent = send_frames(1, 2, 0, 1000, 4096, &rv);
    assert_int_equal(rv, POLIS_EBUSY);
    assert_int_equal(sent, (64u << 10) / (4096 + WIRE_FRAME_HEADER_BYTES));
    assert_false(peer_writable(nodes[1].net, 2, 4096));
    assert_true(peer_writable(nodes[1].net, 2, 64)); /* a small one still fits */
    peer_stats st = stats_of(1, 2);
    assert_int_equal(st.busy, 1);
    assert_true(st.queued_bytes <= 64u << 10);
    /* Draining makes room again, and nothing accepted was lost. */
    run_until(stats_of(1, 2).queued_bytes == 0);
    assert_true(peer_writable(nodes[1].net, 2, 4096));
    run_until(nodes[2].received == sent);
    expect_in_order(2, 1, 0, sent);
    /* An empty queue takes a frame larger than the limit. */
    assert_int_equal(send_frames(1, 2, (uint32_t)sent, 1, 200u << 10, &rv), 1);
    assert_int_equal(send_frames(1, 2, (uint32_t)sent + 1, 1, 16, &rv), 0);
    assert_int_equal(rv, POLIS_EBUSY);
    run_until(nodes[2].received == sent + 1);
}

static void test_send_errors_and_drops(void **state)
{
    (void)state;
    node_start(1, CLUSTER);
    node_start(2, CLUSTER);
    int rv;
    assert_int_equal(send_frames(1, 9, 0, 1, 8, &rv), 0);
    assert_int_equal(rv, POLIS_ENOTFOUND);
    add_peer(1, 2);
    /* Not connected yet (2 does not know 1, so it never will be). */
    assert_int_equal(send_frames(1, 2, 0, 1, 8, &rv), 0);
    assert_int_equal(rv, POLIS_ECLOSED);
    assert_int_equal(stats_of(1, 2).drops, 1);
    assert_false(peer_writable(nodes[1].net, 2, 0));
    assert_int_equal(peer_net_add(nodes[1].net, 2, "127.0.0.1:1"), POLIS_EEXISTS);
    assert_int_equal(peer_net_add(nodes[1].net, 1, "127.0.0.1:1"), POLIS_EINVAL);
    assert_int_equal(peer_net_add(nodes[1].net, 0, "127.0.0.1:1"), POLIS_EINVAL);
    assert_int_equal(peer_net_add(nodes[1].net, 5, "localhost:1"), POLIS_EINVAL);
    assert_int_equal(peer_net_add(nodes[1].net, 5, "127.0.0.1:70000"), POLIS_EINVAL);
    assert_int_equal(peer_net_add(nodes[1].net, 5, "127.0.0.1"), POLIS_EINVAL);
    assert_int_equal(peer_net_add(nodes[1].net, 5, "[::1]:7380"), 0);
    assert_int_equal(peer_net_remove(nodes[1].net, 5), 0);
    assert_int_equal(peer_net_remove(nodes[1].net, 5), POLIS_ENOTFOUND);
    /* A second net on a port in use fails cleanly. */
    peer_config cfg = nodes[2].cfg;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", nodes[2].port);
    cfg.listen_addr = addr;
    cfg.node_id = 7;
    peer_callbacks cb = {.on_frame = on_frame};
    peer_net *net = NULL;
    assert_int_equal(peer_net_init(&loop, &cfg, &cb, &net), POLIS_EIO);
    assert_null(net);
    cfg.listen_addr = "nonsense";
    assert_int_equal(peer_net_init(&loop, &cfg, &cb, &net), POLIS_EINVAL);
    step(); /* releases the failed listener */
}

/* A restarted peer is redialed with backoff and traffic resumes. */
static void test_restart_reconnects(void **state)
{
    (void)state;
    cluster_start(3);
    run_until(all_links_up(3));
    int port2 = nodes[2].port;
    node_stop(2);
    run_until(!connected(1, 2) && !inbound_connected(1, 2));
    assert_int_equal(nodes[1].links_down, 1);
    int rv;
    assert_int_equal(send_frames(1, 2, 0, 1, 8, &rv), 0);
    assert_int_equal(rv, POLIS_ECLOSED);
    /* Down for a while: several failed redials, spaced by the backoff. */
    run_for_ms(300);
    uint64_t redials = stats_of(1, 2).reconnects;
    assert_true(redials >= 2);
    assert_true(redials <= 12);   /* 20 ms doubling to 160 ms, with jitter */
    assert_true(connected(1, 3)); /* the others are unaffected */
    /* Back on the same port. */
    memset(&nodes[2], 0, sizeof nodes[2]);
    node_config(2, CLUSTER);
    node_start_on(2, port2);
    add_peer(2, 1);
    add_peer(2, 3);
    run_until(all_links_up(3));
    assert_int_equal(stats_of(1, 2).connects, 2);
    assert_int_equal(nodes[1].links_up, 3);
    assert_int_equal(send_frames(1, 2, 100, 20, 64, &rv), 20);
    run_until(nodes[2].received == 20);
    expect_in_order(2, 1, 100, 20);
}

/* Hostile or broken connections are closed; the node keeps serving. */
static void test_garbage_disconnected(void **state)
{
    (void)state;
    cluster_start(2);
    run_until(all_links_up(2));
    /* Not our protocol at all. */
    int http = raw_connect(nodes[1].port);
    raw_send(http, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    /* Announces a 4 GiB frame: refused from its header, nothing reserved. */
    int huge = raw_connect(nodes[1].port);
    raw_send(huge, "\xf0\xff\xff\xff\0\0\0\0\x01", 9);
    /* A good handshake as node 2... then a data frame with a bad CRC. */
    int liar = raw_connect(nodes[1].port);
    raw_handshake(liar, 2, 1);
    /* Says nothing at all: closed at the handshake deadline. */
    int mute = raw_connect(nodes[1].port);
    run_until(raw_closed(http) && raw_closed(huge));
    buf frame = BUF_INIT;
    wire_encode_frame(&frame, WIRE_REPLY, "12345678abc", 11);
    frame.data[12] ^= 1;
    raw_send(liar, frame.data, frame.len);
    buf_free(&frame);
    run_until(raw_closed(liar));
    run_until(raw_closed(mute));
    close(http);
    close(huge);
    close(liar);
    close(mute);
    peer_net_counters c = counters_of(1);
    assert_int_equal(c.protocol_errors, 3);
    assert_true(c.accepted >= 5); /* node 2's links and the four */
    assert_int_equal(nodes[1].received, 0);
    /* The liar replaced node 2's real link for a moment; node 2's own
     * outbound link was closed and redialed, and traffic flows again. */
    run_until(all_links_up(2));
    int rv;
    assert_int_equal(send_frames(2, 1, 1, 10, 32, &rv), 10);
    assert_int_equal(send_frames(1, 2, 1, 10, 32, &rv), 10);
    run_until(nodes[1].received == 10 && nodes[2].received == 10);
    expect_in_order(1, 2, 1, 10);
}

/* Pings measure the round trip; a link that goes silent is closed. */
static void test_ping_and_idle_timeout(void **state)
{
    (void)state;
    node_config(1, CLUSTER);
    nodes[1].cfg.ping_interval_ms = 20;
    nodes[1].cfg.idle_timeout_ms = 200;
    node_start_on(1, 0);
    node_config(2, CLUSTER);
    nodes[2].cfg.ping_interval_ms = 20;
    nodes[2].cfg.idle_timeout_ms = 200;
    node_start_on(2, 0);
    add_peer(1, 2);
    add_peer(2, 1);
    run_until(all_links_up(2));
    run_until(stats_of(1, 2).last_rtt_us > 0);
    run_for_ms(300); /* pings keep the links open past the idle timeout */
    assert_int_equal(stats_of(1, 2).connects, 1);
    /* A peer that handshakes and then says nothing (node 1 knows a node 3,
     * at an address where nothing listens). */
    assert_int_equal(peer_net_add(nodes[1].net, 3, "127.0.0.1:1"), 0);
    int fd = raw_connect(nodes[1].port);
    raw_handshake(fd, 3, 1);
    uint64_t t0 = now();
    run_until(inbound_connected(1, 3));
    run_until(raw_closed(fd));
    close(fd);
    assert_true(now() - t0 >= 150);
    assert_false(inbound_connected(1, 3));
}

/* on_frame may remove the sender or close the whole net. */
static void test_callbacks_may_remove_and_close(void **state)
{
    (void)state;
    cluster_start(3);
    run_until(all_links_up(3));
    nodes[2].remove_on_frame = 1;
    int rv;
    assert_int_equal(send_frames(1, 2, 0, 5, 16, &rv), 5);
    run_until(!inbound_connected(1, 2) && !connected(1, 2));
    assert_int_equal(nodes[2].received, 0); /* the rest went with the link */
    assert_int_equal(peer_net_stats(nodes[2].net, 1, &(peer_stats){0}), POLIS_ENOTFOUND);
    /* Node 1 redials node 2 and is refused now. */
    run_until(strstr(stats_of(1, 2).last_error, "unknown node id") != NULL);
    nodes[3].close_on_frame = true;
    assert_int_equal(send_frames(1, 3, 0, 5, 16, &rv), 5);
    run_until(!nodes[3].running && !connected(1, 3));
    /* Node 1 carries on: its link to node 3 redials into a refused port. */
    run_until(stats_of(1, 3).reconnects >= 1);
}

/* A joining node accepts links from peers it does not know yet. */
static void test_accept_unknown_peers(void **state)
{
    (void)state;
    node_config(1, CLUSTER);
    nodes[1].cfg.accept_unknown_peers = true;
    node_start_on(1, 0);
    node_start(2, CLUSTER);
    add_peer(2, 1);
    run_until(connected(2, 1));
    int rv;
    assert_int_equal(send_frames(2, 1, 7, 3, 16, &rv), 3);
    run_until(nodes[1].received == 3);
    expect_in_order(1, 2, 7, 3);
    /* Once added, the existing inbound link counts for the peer. */
    add_peer(1, 2);
    run_until(all_links_up(2));
    assert_int_equal(send_frames(2, 1, 10, 1, 16, &rv), 1);
    run_until(nodes[1].received == 4);
    assert_int_equal(stats_of(1, 2).frames_in, 1);
}

/* A node dials from the IP it listens on, so that the peer sees the
 * address it knows the node by, and firewall rules between node addresses
 * (the chaos tests' partitions) apply to its outbound links. */
static void test_dials_from_its_own_address(void **state)
{
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.32", &a.sin_addr);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);

    node_config(1, CLUSTER);
    node *n = &nodes[1];
    n->cfg.listen_addr = "127.0.0.31:0";
    peer_callbacks cb = {.priv = n, .on_frame = on_frame, .on_link = on_link};
    assert_int_equal(peer_net_init(&loop, &n->cfg, &cb, &n->net), 0);
    n->running = true;
    closed_count++;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.32:%d", ntohs(a.sin_port));
    assert_int_equal(peer_net_add(n->net, 2, addr), 0);

    int fd = -1;
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    for (int i = 0; i < 1000 && fd < 0; i++) {
        step();
        fd = accept(lfd, (struct sockaddr *)&from, &flen);
    }
    assert_true(fd >= 0);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.31");
    close(fd);
    close(lfd);
}

int main(void)
{
    log_set_level(LOG_WARNING);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_links_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_cluster_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_wrong_node_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_frames_in_order_and_batched, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_typed_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_limit_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_errors_and_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_reconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_disconnected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_and_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callbacks_may_remove_and_close, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accept_unknown_peers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dials_from_its_own_address, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
