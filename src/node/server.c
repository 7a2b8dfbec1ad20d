#include "node/server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "node/blocking.h"
#include "node/cluster.h"
#include "node/evict.h"

/* Buffers above this size are released when they empty, so one large
 * reply or request does not pin memory for the life of a connection. */
#define CLIENT_BUF_KEEP_BYTES     (64u * 1024)
#define CLIENT_READ_BYTES         (16u * 1024)
#define CLIENT_READ_BIG_BYTES_MAX (16u * 1024 * 1024)
/* Active expiry, as Redis: sample this many keys per round and keep going
 * while more than 10% of a sample had expired, within 25% of a cron tick. */
#define EXPIRE_SAMPLE_KEYS        20
#define EXPIRE_STALE_PERCENT      10
#define EXPIRE_CYCLE_TIME_PERCENT 25

static void process_input(node_client *c);
static void flush_client(node_client *c);
static void resume_read(node_client *c);

int64_t node_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t node_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- Output -------------------------------------------------------------- */

static size_t pending_output(const node_client *c)
{
    return c->out.len + (c->inflight.len - c->inflight_sent);
}

static void mark_pending_write(node_client *c)
{
    if (c->flags & (CLIENT_PENDING_WRITE | CLIENT_CLOSING)) return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pending_next = c->server->pending_writes;
    c->server->pending_writes = c;
}

static void output_drained(node_client *c)
{
    node_server *s = c->server;
    if ((c->flags & CLIENT_READ_PAUSED) &&
        pending_output(c) < (size_t)s->cfg.client_output_pause_bytes) {
        c->flags &= ~CLIENT_READ_PAUSED;
        process_input(c); /* requests buffered while paused */
        if (!(c->flags &
              (CLIENT_READ_PAUSED | CLIENT_CLOSING | CLIENT_CLOSE_AFTER_REPLY)))
            resume_read(c);
    }
    if ((c->flags & CLIENT_CLOSE_AFTER_REPLY) && pending_output(c) == 0 && !c->writing)
        node_client_close(c);
}

static void on_write(uv_write_t *req, int status)
{
    node_client *c = req->data;
    c->writing = false;
    if (c->flags & CLIENT_CLOSING) return;
    if (status < 0) {
        log_verbose("client %llu: write error: %s", (unsigned long long)c->id,
                    uv_strerror(status));
        node_client_close(c);
        return;
    }
    size_t sent = c->inflight.len - c->inflight_sent;
    c->net_output_bytes += sent;
    c->server->stats.net_output_bytes += sent;
    c->inflight.len = 0;
    c->inflight_sent = 0;
    buf_shrink_if_idle(&c->inflight, CLIENT_BUF_KEEP_BYTES);
    flush_client(c);
    if (!(c->flags & CLIENT_CLOSING)) output_drained(c);
}

static void flush_client(node_client *c)
{
    if (c->writing || (c->flags & CLIENT_CLOSING)) return;
    if (c->out.len == 0) {
        output_drained(c);
        return;
    }
    uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
    if (n < 0) {
        log_verbose("client %llu: write error: %s", (unsigned long long)c->id,
                    uv_strerror(n));
        node_client_close(c);
        return;
    }
    c->net_output_bytes += (size_t)n;
    c->server->stats.net_output_bytes += (size_t)n;
    if ((size_t)n == c->out.len) {
        c->out.len = 0;
        buf_shrink_if_idle(&c->out, CLIENT_BUF_KEEP_BYTES);
        output_drained(c);
        return;
    }
    /* The socket took part of it: hand the rest to libuv and collect new
     * replies in the other buffer until the write completes. */
    buf tmp = c->inflight;
    c->inflight = c->out;
    c->out = tmp;
    c->out.len = 0;
    c->inflight_sent = (size_t)n;
    uv_buf_t rest =
        uv_buf_init(c->inflight.data + n, (unsigned)(c->inflight.len - (size_t)n));
    c->write_req.data = c;
    c->writing = true;
    int rv = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &rest, 1, on_write);
    if (rv != 0) {
        c->writing = false;
        node_client_close(c);
    }
}

static void on_check(uv_check_t *h)
{
    node_server *s = h->data;
    blocking_resume(s);
    while (s->pending_writes) {
        node_client *c = s->pending_writes;
        s->pending_writes = c->pending_next;
        c->pending_next = NULL;
        c->flags &= ~CLIENT_PENDING_WRITE;
        if (!(c->flags & CLIENT_CLOSING)) flush_client(c);
    }
}

/* ---- Closing ------------------------------------------------------------- */

static void on_client_closed(uv_handle_t *h)
{
    node_client *c = h->data;
    for (node_reply_slot *sl = c->slots_head, *next; sl; sl = next) {
        next = sl->next;
        if (sl->done) {
            buf_free(&sl->data);
            mem_free(sl);
        } else {
            sl->client = NULL; /* freed by whoever fills it */
            sl->next = NULL;
        }
    }
    buf_free(&c->query);
    buf_free(&c->out);
    buf_free(&c->inflight);
    resp_parser_free(&c->parser);
    mem_free(c->argv);
    mem_free(c->name);
    mem_free(c);
}

void node_client_close(node_client *c)
{
    if (c->flags & CLIENT_CLOSING) return;
    c->flags |= CLIENT_CLOSING;
    blocking_forget(c);
    node_server *s = c->server;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    s->client_count--;
    /* If c is on the pending-write list it stays there until the next flush
     * pass, which skips closing clients; memory is freed only in the close
     * callback, after that pass. */
    uv_close((uv_handle_t *)&c->tcp, on_client_closed);
}

/* ---- Input and execution --------------------------------------------------- */

static void reply_protocol_error(node_client *c, const char *msg)
{
    resp_writer w = {&c->out, c->resp};
    resp_errorf(&w, "ERR %s", msg);
    c->server->stats.error_replies++;
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    log_verbose("client %llu (%s): %s", (unsigned long long)c->id, c->addr, msg);
}

node_reply_slot *node_client_defer(node_client *c)
{
    node_reply_slot *sl = mem_calloc(1, sizeof *sl);
    sl->client = c;
    if (c->slots_tail)
        c->slots_tail->next = sl;
    else
        c->slots_head = sl;
    c->slots_tail = sl;
    c->slot_count++;
    return sl;
}

static void drain_slots(node_client *c)
{
    while (c->slots_head && c->slots_head->done) {
        node_reply_slot *sl = c->slots_head;
        c->slots_head = sl->next;
        if (c->slots_head == NULL) c->slots_tail = NULL;
        c->slot_count--;
        buf_append(&c->out, sl->data.data, sl->data.len);
        buf_free(&sl->data);
        mem_free(sl);
    }
    mark_pending_write(c);
}

void node_reply_fill(node_reply_slot *sl, const char *data, size_t len)
{
    node_client *c = sl->client;
    if (c == NULL) {
        buf_free(&sl->data);
        mem_free(sl);
        return;
    }
    buf_append(&sl->data, data, len);
    sl->done = true;
    if (sl != c->slots_head) return;
    bool was_full = c->slot_count >= CLIENT_SLOTS_MAX;
    drain_slots(c);
    /* Requests held back while too many replies were pending. */
    if (was_full && !(c->flags & CLIENT_CLOSING)) process_input(c);
}

/* One wall-clock read per batch of pipelined requests; each command then
 * costs one monotonic read, which both times it (commandstats) and advances
 * the batch's notion of now. */
typedef struct batch_clock {
    int64_t wall_ms; /* wall clock at the start of the batch */
    uint64_t mono_start;
    uint64_t mono_last;
} batch_clock;

static void batch_clock_start(batch_clock *bc)
{
    bc->wall_ms = node_now_ms();
    bc->mono_start = bc->mono_last = uv_hrtime();
}

static int64_t batch_clock_now_ms(const batch_clock *bc)
{
    return bc->wall_ms + (int64_t)((bc->mono_last - bc->mono_start) / 1000000);
}

/* The writer for a reply produced now: straight to the output, or, if an
 * earlier reply of this client is still pending, into a slot behind it. */
static void sync_writer(node_client *c, resp_writer *w)
{
    w->proto = c->resp;
    w->out = &c->out;
    if (c->slots_head != NULL) {
        node_reply_slot *sl = node_client_defer(c);
        sl->done = true;
        w->out = &sl->data;
    }
}

/* Standalone, over maxmemory: evicts as the policy says; false if the
 * command may grow memory and there is still no room (Redis's -OOM). */
static bool make_room(node_server *s, const cmd_def *d, int64_t now_ms)
{
    if (!node_over_maxmemory(s)) return true;
    node_access_mode(s, &s->ks);
    bool ok = node_evict_now(s, &s->ks, now_ms);
    return ok || !(d->flags & CMD_DENYOOM);
}

static void execute(node_client *c, const cmd_arg *argv, size_t argc, batch_clock *bc)
{
    node_server *s = c->server;
    resp_writer w;
    bool unknown_sub;
    cmd_def *d = cmd_lookup(argv, argc, &unknown_sub);
    if (d == NULL) {
        sync_writer(c, &w);
        cmd_reply_unknown(&w, argv, argc, unknown_sub);
        s->stats.error_replies++;
        return;
    }
    if (!cmd_arity_ok(d, argc)) {
        sync_writer(c, &w);
        cmd_reply_arity(&w, d);
        d->stats.rejected_calls++;
        s->stats.error_replies++;
        return;
    }
    if (!c->authenticated && !(d->flags & CMD_NO_AUTH)) {
        sync_writer(c, &w);
        resp_error_cstr(&w, "NOAUTH Authentication required.");
        d->stats.rejected_calls++;
        s->stats.error_replies++;
        return;
    }
    PASSERT(d->proc != NULL);
    c->last_cmd = d;
    if (s->cluster == NULL && s->cfg.maxmemory > 0 &&
        !make_room(s, d, batch_clock_now_ms(bc))) {
        sync_writer(c, &w);
        resp_error_cstr(&w, OOM_ERROR);
        d->stats.rejected_calls++;
        s->stats.error_replies++;
        return;
    }
    if (s->cluster != NULL &&
        cluster_route(s->cluster, c, d, argv, argc, batch_clock_now_ms(bc))) {
        /* Answered later, through a reply slot. */
        d->stats.calls++;
        s->stats.commands_processed++;
        return;
    }
    sync_writer(c, &w);
    cmd_ctx ctx = {
        .argv = argv,
        .argc = argc,
        .cmd = d,
        .ks = s->cluster ? cluster_keyspace(s->cluster) : &s->ks,
        .w = &w,
        .now_ms = batch_clock_now_ms(bc),
        .rand_seed = rng_next(&s->rng),
        .revision = ++s->revision,
        .server = s,
        .client = c,
    };
    config_cmd_limits(&s->cfg, &ctx.limits);
    node_access_mode(s, ctx.ks);
    d->proc(&ctx);
    uint64_t t1 = uv_hrtime();
    d->stats.usec += (t1 - bc->mono_last) / 1000;
    bc->mono_last = t1;
    d->stats.calls++;
    if (ctx.failed) {
        d->stats.failed_calls++;
        s->stats.error_replies++;
    }
    s->stats.commands_processed++;
    if (ctx.block) {
        blocking_park(s, c, d, argv, argc, ctx.block_timeout_ms);
    } else if ((d->flags & CMD_WRITE) && !ctx.failed) {
        blocking_touched(s, d, argv, argc);
    }
}

bool node_run_parked(node_client *c, cmd_def *d, const cmd_arg *argv, size_t argc,
                     bool timed_out)
{
    node_server *s = c->server;
    resp_writer w;
    sync_writer(c, &w);
    cmd_ctx ctx = {
        .argv = argv,
        .argc = argc,
        .cmd = d,
        .ks = &s->ks,
        .w = &w,
        .now_ms = node_now_ms(),
        .rand_seed = rng_next(&s->rng),
        .revision = ++s->revision,
        .server = s,
        .client = c,
        .timed_out = timed_out,
    };
    config_cmd_limits(&s->cfg, &ctx.limits);
    d->proc(&ctx);
    PASSERT(!(timed_out && ctx.block));
    if (ctx.block) return true;
    if (ctx.failed) s->stats.error_replies++;
    c->last_interaction_ms = ctx.now_ms;
    mark_pending_write(c);
    return false;
}

void node_client_resume(node_client *c)
{
    if (c->query.len > 0) process_input(c);
}

static void build_argv(node_client *c, const char *input)
{
    resp_parser *p = &c->parser;
    if (p->argc > c->argv_cap) {
        c->argv_cap = p->argc < 16 ? 16 : p->argc;
        c->argv = mem_realloc(c->argv, c->argv_cap * sizeof *c->argv);
    }
    for (size_t i = 0; i < p->argc; i++) {
        c->argv[i].ptr = resp_arg_ptr(p, input, i);
        c->argv[i].len = p->argv[i].len;
    }
}

static void process_input(node_client *c)
{
    node_server *s = c->server;
    size_t off = 0;
    batch_clock bc;
    batch_clock_start(&bc);
    while (off < c->query.len && c->blocked == NULL &&
           !(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSING))) {
        if (c->slot_count >= CLIENT_SLOTS_MAX) break; /* resumed by node_reply_fill */
        if (pending_output(c) >= (size_t)s->cfg.client_output_pause_bytes) {
            if (!(c->flags & CLIENT_READ_PAUSED)) {
                c->flags |= CLIENT_READ_PAUSED;
                uv_read_stop((uv_stream_t *)&c->tcp);
            }
            break;
        }
        const char *input = c->query.data + off;
        enum resp_parse_result r =
            resp_parse_request(&c->parser, input, c->query.len - off);
        if (r == RESP_PARSE_MORE) break;
        if (r == RESP_PARSE_ERROR) {
            reply_protocol_error(c, c->parser.error);
            off = c->query.len;
            break;
        }
        if (c->parser.argc > 0) {
            build_argv(c, input);
            execute(c, c->argv, c->parser.argc, &bc);
            c->last_interaction_ms = bc.wall_ms;
        }
        off += c->parser.consumed;
        int64_t limit = s->cfg.client_output_buffer_limit;
        if (limit > 0 && pending_output(c) > (size_t)limit) {
            log_warning("client %llu (%s) closed: output buffer over %lld bytes",
                        (unsigned long long)c->id, c->addr, (long long)limit);
            node_client_close(c);
            return;
        }
    }
    if (c->flags & CLIENT_CLOSING) return;
    if (c->query.len - off > (size_t)s->cfg.client_query_buffer_limit) {
        log_warning("client %llu (%s) closed: query buffer over %lld bytes",
                    (unsigned long long)c->id, c->addr,
                    (long long)s->cfg.client_query_buffer_limit);
        reply_protocol_error(c, "Protocol error: query buffer limit exceeded");
    }
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
        /* Nothing more will be executed: stop reading and drop the rest. */
        uv_read_stop((uv_stream_t *)&c->tcp);
        off = c->query.len;
        resp_parser_reset(&c->parser);
    }
    buf_consume(&c->query, off);
    if (c->query.len == 0) buf_shrink_if_idle(&c->query, CLIENT_BUF_KEEP_BYTES);
    if (c->out.len > 0 || (c->flags & CLIENT_CLOSE_AFTER_REPLY)) mark_pending_write(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)suggested;
    node_client *c = h->data;
    size_t want = CLIENT_READ_BYTES;
    /* Reading a large bulk: take big bites so a 100 MB value is not read
     * 16 KiB at a time, but never reserve what the client merely announced. */
    if (c->parser.need_bytes > c->query.len) {
        size_t missing = c->parser.need_bytes - c->query.len;
        if (missing > want)
            want =
                missing < CLIENT_READ_BIG_BYTES_MAX ? missing : CLIENT_READ_BIG_BYTES_MAX;
    }
    buf_reserve(&c->query, want);
    *out = uv_buf_init(c->query.data + c->query.len,
                       (unsigned)(c->query.cap - c->query.len));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    (void)b;
    node_client *c = stream->data;
    if (nread < 0) {
        if (nread != UV_EOF)
            log_verbose("client %llu: read error: %s", (unsigned long long)c->id,
                        uv_strerror((int)nread));
        node_client_close(c);
        return;
    }
    if (nread == 0) return;
    c->query.len += (size_t)nread;
    c->net_input_bytes += (size_t)nread;
    c->server->stats.net_input_bytes += (size_t)nread;
    process_input(c);
}

/* Re-arms reading for a client whose output drained (see output_drained). */
static void resume_read(node_client *c)
{
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---- Accepting --------------------------------------------------------------- */

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
    snprintf(out, cap, "%s:%d", ip, port);
}

static void on_rejected_closed(uv_handle_t *h)
{
    mem_free(h->data);
}

static void on_connection(uv_stream_t *listener, int status)
{
    node_server *s = listener->data;
    if (status < 0) {
        log_warning("accept error: %s", uv_strerror(status));
        return;
    }
    node_client *c = mem_calloc(1, sizeof *c);
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_rejected_closed);
        return;
    }
    s->stats.connections_received++;
    if (s->client_count >= (size_t)s->cfg.maxclients) {
        static const char msg[] = "-ERR max number of clients reached\r\n";
        uv_buf_t b = uv_buf_init((char *)(uintptr_t)msg, sizeof msg - 1);
        uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        s->stats.rejected_connections++;
        uv_close((uv_handle_t *)&c->tcp, on_rejected_closed);
        return;
    }
    c->server = s;
    c->id = ++s->next_client_id;
    c->resp = 2;
    c->authenticated = s->cfg.requirepass[0] == '\0';
    c->ctime_ms = c->last_interaction_ms = node_now_ms();
    resp_limits limits = {
        .bulk_bytes_max = (size_t)s->cfg.proto_max_bulk_len,
        .args_max = (size_t)s->cfg.proto_max_args,
        .inline_bytes_max = (size_t)s->cfg.proto_inline_max_bytes,
    };
    resp_parser_init(&c->parser, &limits);
    uv_tcp_nodelay(&c->tcp, 1);
    if (s->cfg.tcp_keepalive_s > 0)
        uv_tcp_keepalive(&c->tcp, 1, (unsigned)s->cfg.tcp_keepalive_s);
    struct sockaddr_storage sa;
    int len = sizeof sa;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) == 0)
        format_addr(&sa, c->addr, sizeof c->addr);
    len = sizeof sa;
    if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&sa, &len) == 0)
        format_addr(&sa, c->laddr, sizeof c->laddr);
    uv_os_fd_t fd;
    c->fd = uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 ? fd : -1;
    c->next = s->clients;
    if (s->clients) s->clients->prev = c;
    s->clients = c;
    s->client_count++;
    resume_read(c);
}

/* ---- Background tasks -------------------------------------------------------- */

static void active_expire_cycle(node_server *s)
{
    int64_t budget_us = 1000000 * EXPIRE_CYCLE_TIME_PERCENT / s->cfg.hz / 100;
    uint64_t start = uv_hrtime();
    kv_obj *expired[EXPIRE_SAMPLE_KEYS];
    for (int round = 0;; round++) {
        int64_t now = node_now_ms();
        size_t found;
        size_t sampled =
            kv_expire_sample(&s->ks, now, &s->rng, EXPIRE_SAMPLE_KEYS, expired, &found);
        for (size_t i = 0; i < found; i++) {
            kv_delete(&s->ks, expired[i]->data, expired[i]->key_len);
            s->ks.stats.expired_keys++;
        }
        if (sampled == 0 || found * 100 <= sampled * EXPIRE_STALE_PERCENT) break;
        if ((round & 15) == 15 && (int64_t)((uv_hrtime() - start) / 1000) > budget_us)
            break;
    }
    s->stats.expire_cycles++;
}

static void close_idle_clients(node_server *s, int64_t now)
{
    if (s->cfg.timeout_s <= 0) return;
    for (node_client *c = s->clients, *next; c; c = next) {
        next = c->next;
        if (now - c->last_interaction_ms > s->cfg.timeout_s * 1000 && !c->writing &&
            pending_output(c) == 0) {
            log_verbose("closing idle client %llu", (unsigned long long)c->id);
            node_client_close(c);
        }
    }
}

static void on_cron(uv_timer_t *t)
{
    node_server *s = t->data;
    int64_t now = node_now_ms();
    /* In cluster mode only the data group's leader expires keys, by
     * proposing deletes (node/group.c); followers never delete. */
    if (s->cfg.active_expire_enabled && s->cluster == NULL) active_expire_cycle(s);
    close_idle_clients(s, now);
    node_stats *st = &s->stats;
    st->ops_sample_index = (st->ops_sample_index + 1) % 16;
    st->ops_samples[st->ops_sample_index] = st->commands_processed;
    st->ops_sample_ms[st->ops_sample_index] = now;
    uint64_t period = (uint64_t)(1000 / s->cfg.hz);
    if (uv_timer_get_repeat(t) != period) uv_timer_set_repeat(t, period);
}

/* ---- Lifecycle -------------------------------------------------------------- */

static void on_signal(uv_signal_t *h, int signum)
{
    node_server *s = h->data;
    log_warning("received %s, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    node_server_shutdown(s);
}

static void finish_shutdown(void *arg)
{
    node_server *s = arg;
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_close((uv_handle_t *)&s->cron, NULL);
    uv_close((uv_handle_t *)&s->flush, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
    while (s->clients)
        node_client_close(s->clients);
    blocking_close(s);
    if (s->cluster) {
        cluster_close(s->cluster, NULL, NULL);
        s->cluster = NULL;
    }
}

void node_server_shutdown(node_server *s)
{
    if (s->shutting_down) return;
    s->shutting_down = true;
    /* A leader hands over first, so writes continue elsewhere at once. */
    if (s->cluster)
        cluster_prepare_stop(s->cluster, finish_shutdown, s);
    else
        finish_shutdown(s);
}

static void raise_fd_limit(int64_t maxclients)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    rlim_t want = (rlim_t)maxclients + 64;
    if (lim.rlim_cur >= want) return;
    lim.rlim_cur = want < lim.rlim_max ? want : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < want)
        log_warning("open files limit is %llu: fewer than maxclients %lld can connect",
                    (unsigned long long)lim.rlim_cur, (long long)maxclients);
}

static int prepare_dir(const char *dir)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        log_warning("cannot create dir '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (chdir(dir) != 0) {
        log_warning("cannot use dir '%s': %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int start_listening(node_server *s)
{
    struct sockaddr_storage addr;
    int rv = uv_ip4_addr(s->cfg.bind, (int)s->cfg.port, (struct sockaddr_in *)&addr);
    if (rv != 0)
        rv = uv_ip6_addr(s->cfg.bind, (int)s->cfg.port, (struct sockaddr_in6 *)&addr);
    if (rv != 0) {
        log_warning("bad bind address '%s'", s->cfg.bind);
        return -1;
    }
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    rv = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
    if (rv == 0)
        rv = uv_listen((uv_stream_t *)&s->listener, (int)s->cfg.tcp_backlog,
                       on_connection);
    if (rv != 0) {
        log_warning("cannot listen on %s:%lld: %s", s->cfg.bind, (long long)s->cfg.port,
                    uv_strerror(rv));
        uv_close((uv_handle_t *)&s->listener, NULL);
        return -1;
    }
    return 0;
}

static void make_run_id(node_server *s)
{
    uint64_t seed = (uint64_t)node_now_us() ^ ((uint64_t)getpid() << 32);
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&seed, sizeof seed, 1, f) != 1) seed ^= (uint64_t)clock();
        fclose(f);
    }
    rng_seed(&s->rng, seed);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 40; i++)
        s->run_id[i] = hex[rng_next(&s->rng) & 15];
    s->run_id[40] = '\0';
}

static void write_pidfile(const char *path)
{
    if (path[0] == '\0') return;
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        log_warning("cannot write pidfile '%s': %s", path, strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

int node_server_run(const node_config *cfg)
{
    node_server *s = mem_calloc(1, sizeof *s);
    s->cfg = *cfg;
    s->loop = mem_alloc(sizeof *s->loop);
    uv_loop_init(s->loop);
    log_set_level((enum log_level)cfg->loglevel);
    if (cfg->logfile[0] && log_set_file(cfg->logfile) != 0)
        fprintf(stderr, "polis: cannot open logfile '%s'\n", cfg->logfile);
    signal(SIGPIPE, SIG_IGN);
    cmd_table_init();
    make_run_id(s);
    kv_init(&s->ks, rng_next(&s->rng));
    s->start_ms = node_now_ms();
    raise_fd_limit(cfg->maxclients);

    int code = 1;
    if (prepare_dir(cfg->dir) != 0) goto out;
    /* A node restarted without flags finds its cluster identity here. */
    if (s->cfg.node_id == 0 && access("cluster.conf", R_OK) == 0) {
        buf err = BUF_INIT;
        if (config_load_file(&s->cfg, "cluster.conf", &err) != 0) {
            log_warning("%.*s", (int)err.len, err.data);
            buf_free(&err);
            goto out;
        }
        buf_free(&err);
    }
    if (start_listening(s) != 0) goto out;
    /* libuv runs check handles newest first: starting the reply flush before
     * the cluster's handles makes it run after them, so replies completed
     * in the group host's pass leave in the same loop iteration instead of
     * waiting for the next wake-up (up to a raft tick). */
    uv_check_init(s->loop, &s->flush);
    s->flush.data = s;
    uv_check_start(&s->flush, on_check);
    blocking_init(s);
    kv_evict_pool_init(&s->evict_pool);
    if (s->cfg.node_id > 0 && cluster_start(s, &s->cluster) != 0) goto out;
    write_pidfile(cfg->pidfile);

    uv_timer_init(s->loop, &s->cron);
    s->cron.data = s;
    uint64_t period = (uint64_t)(1000 / cfg->hz);
    uv_timer_start(&s->cron, on_cron, period, period);
    uv_signal_init(s->loop, &s->sigterm);
    s->sigterm.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_init(s->loop, &s->sigint);
    s->sigint.data = s;
    uv_signal_start(&s->sigint, on_signal, SIGINT);

    log_notice("polis %s (pid %d) listening on %s:%lld, dir %s", POLIS_VERSION,
               (int)getpid(), cfg->bind, (long long)cfg->port, cfg->dir);
    log_notice("Ready to accept connections");
    uv_run(s->loop, UV_RUN_DEFAULT);
    code = s->exit_code;
    log_notice("polis is now ready to exit, bye bye...");
    if (cfg->pidfile[0]) unlink(cfg->pidfile);
out:
    if (!s->shutting_down) {
        /* Start-up failed: close whatever was opened and drain the loop. */
        uv_walk(s->loop, close_any, NULL);
    }
    uv_run(s->loop, UV_RUN_DEFAULT);
    uv_loop_close(s->loop);
    kv_destroy(&s->ks);
    kv_evict_pool_free(&s->evict_pool);
    mem_free(s->loop);
    mem_free(s);
    log_set_file(NULL);
    return code;
}
