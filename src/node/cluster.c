/* node/cluster.c - cluster mode (see cluster.h). */
#include "node/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/siphash.h"
#include "base/util.h"
#include "node/evict.h"
#include "node/group.h"
#include "node/peer.h"
#include "node/server.h"
#include "node/wire.h"
#include "wal/wal.h"

#define CLUSTER_CONF_FILE "cluster.conf"
/* The largest replicated command (its arguments, encoded). */
#define CLUSTER_ENTRY_BYTES_MAX (32u << 20)
#define STOP_WAIT_MS 1000

/* A request waiting for a leader, or forwarded to one. argv is a private
 * copy: the client's buffer moves on. */
typedef struct request {
    struct request *next;
    uint64_t id;          /* forwarded: the id the leader echoes */
    raft_id to;           /* forwarded: the leader it was sent to */
    node_reply_slot *slot;
    cmd_def *cmd;
    int resp_proto;
    int64_t now_ms;
    uint64_t deadline_ms; /* loop time */
    bool forwarded;
    buf args;
    cmd_arg *argv;
    size_t argc;
} request;

/* The leader's side of a forwarded write. */
typedef struct forward_ctx {
    node_cluster *c;
    uint64_t from;
    uint64_t request_id;
} forward_ctx;

/* A linearizable read waiting for its barrier. */
typedef struct read_ctx {
    node_cluster *c;
    node_reply_slot *slot;
    cmd_def *cmd;
    int resp_proto;
    buf args;
    cmd_arg *argv;
    size_t argc;
} read_ctx;

struct node_cluster {
    node_server *server;
    uv_loop_t *loop;
    wal *w;
    peer_net *net;
    group_host *host;
    node_group *group;
    raft_id node_id;
    uint64_t cluster_id;
    raft_conf conf;
    char peer_addr[RAFT_NODES_MAX][64];
    raft_id peer_ids[RAFT_NODES_MAX];
    size_t peer_count;
    request *waiting;   /* for a leader */
    request *forwarded; /* sent to the leader, reply pending */
    uint64_t next_request_id;
    uv_timer_t timer;
    uv_check_t wake; /* retries waiting writes as soon as a leader is known */
    wire_scratch scratch;
    wire_limits limits;
    /* Stopping. */
    void (*stop_done)(void *arg);
    void *stop_arg;
    uint64_t stop_deadline;
    void (*close_cb)(void *arg);
    void *close_arg;
    int closing_parts;
};

/* ---- Configuration --------------------------------------------------------- */

/* Parses "1=127.0.0.1:7391,2=127.0.0.1:7392". */
static int parse_peers(node_cluster *c, const char *spec)
{
    char copy[CONFIG_STRING_BYTES_MAX];
    snprintf(copy, sizeof copy, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        uint64_t id;
        if (eq == NULL || !str_to_u64(item, (size_t)(eq - item), &id) || id == 0 ||
            c->peer_count == RAFT_NODES_MAX || strlen(eq + 1) >= sizeof c->peer_addr[0])
            return POLIS_ECONFIG;
        for (size_t i = 0; i < c->peer_count; i++)
            if (c->peer_ids[i] == id) return POLIS_ECONFIG;
        c->peer_ids[c->peer_count] = id;
        snprintf(c->peer_addr[c->peer_count], sizeof c->peer_addr[0], "%s", eq + 1);
        c->conf.voters[c->conf.voter_count++] = id;
        c->peer_count++;
    }
    return c->peer_count > 0 ? 0 : POLIS_ECONFIG;
}

static const char *addr_of(const node_cluster *c, raft_id id)
{
    for (size_t i = 0; i < c->peer_count; i++)
        if (c->peer_ids[i] == id) return c->peer_addr[i];
    return NULL;
}

/* The cluster id: given, or derived from the peer list so that every node
 * started with the same list agrees without another flag. */
static uint64_t derive_cluster_id(const char *peers)
{
    static const uint8_t key[16] = "polis-cluster-id";
    /* 63 bits: cluster.conf is read back through the signed config parser
     * (found by the cluster tests: half of all ids failed to restart). */
    uint64_t id = siphash13(peers, strlen(peers), key) & (uint64_t)INT64_MAX;
    return id ? id : 1;
}

static void write_cluster_conf(const node_config *cfg, uint64_t cluster_id)
{
    FILE *f = fopen(CLUSTER_CONF_FILE ".tmp", "w");
    if (f == NULL) return;
    fprintf(f, "# written by polis on first start; a restart needs no flags\n");
    fprintf(f, "node-id %lld\npeers \"%s\"\ncluster-id %llu\n", (long long)cfg->node_id,
            cfg->peers, (unsigned long long)cluster_id);
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (ok) rename(CLUSTER_CONF_FILE ".tmp", CLUSTER_CONF_FILE);
}

/* ---- Sending raft messages --------------------------------------------------- */

static void send_raft(void *arg, const raft_msg *m)
{
    node_cluster *c = arg;
    int rv = peer_send_raft(c->net, m->to, m, 1);
    if (rv == POLIS_EBUSY && m->type == RAFT_MSG_APPEND) {
        /* The link is backed up: let raft probe again later instead of
         * assuming this append arrived. */
        raft_report_unreachable(group_raft(c->group), m->to);
    }
}

/* ---- Requests ------------------------------------------------------------------ */

static request *request_new(cmd_def *d, int proto, int64_t now_ms, const cmd_arg *argv,
                            size_t argc, node_reply_slot *slot, uint64_t deadline)
{
    request *r = mem_calloc(1, sizeof *r);
    r->cmd = d;
    r->resp_proto = proto;
    r->now_ms = now_ms;
    r->slot = slot;
    r->deadline_ms = deadline;
    r->argc = argc;
    r->argv = mem_alloc(argc * sizeof *r->argv);
    size_t total = 0;
    for (size_t i = 0; i < argc; i++) total += argv[i].len;
    buf_reserve(&r->args, total ? total : 1);
    size_t off = 0;
    for (size_t i = 0; i < argc; i++) {
        buf_append(&r->args, argv[i].ptr, argv[i].len);
        r->argv[i].len = argv[i].len;
        r->argv[i].ptr = r->args.data + off;
        off += argv[i].len;
    }
    return r;
}

static void request_free(request *r)
{
    buf_free(&r->args);
    mem_free(r->argv);
    mem_free(r);
}

static void reply_error(node_reply_slot *slot, int proto, const char *error)
{
    buf b = BUF_INIT;
    resp_writer w = {&b, proto};
    resp_error_cstr(&w, error);
    node_reply_fill(slot, b.data, b.len);
    buf_free(&b);
}

static void write_done(void *arg, int status, const char *reply, size_t len)
{
    (void)status; /* errors come as RESP error replies */
    node_reply_fill(arg, reply, len);
}

/* Tries to get a write to the leader now. Returns false if there is no
 * leader to send it to (the caller keeps it waiting). */
static bool dispatch_write(node_cluster *c, request *r)
{
    int rv = group_propose(c->group, r->argv, r->argc, r->resp_proto, r->now_ms, write_done,
                           r->slot);
    if (rv == 0) {
        request_free(r);
        return true;
    }
    if (rv == RAFT_E_TOO_BIG) {
        reply_error(r->slot, r->resp_proto, "ERR the command is larger than a log entry may be");
        request_free(r);
        return true;
    }
    raft_id leader = group_leader(c->group);
    if (rv != RAFT_E_NOT_LEADER || leader == 0 || leader == c->node_id) return false;
    r->id = ++c->next_request_id;
    wire_forward f = {.request_id = r->id, .resp = (uint8_t)r->resp_proto, .argv = r->argv,
                      .argc = (uint32_t)r->argc};
    if (peer_send_forward(c->net, leader, &f) != 0) return false;
    r->forwarded = true;
    r->to = leader;
    r->next = c->forwarded;
    c->forwarded = r;
    return true;
}

static void read_done(void *arg, int status, const char *reply, size_t len)
{
    read_ctx *ctx = arg;
    if (status != 0) {
        node_reply_fill(ctx->slot, reply, len);
    } else {
        /* The barrier passed: run the read on the local replica. */
        buf out = BUF_INIT;
        resp_writer w = {&out, ctx->resp_proto};
        node_server *s = ctx->c->server;
        cmd_ctx cc = {
            .argv = ctx->argv,
            .argc = ctx->argc,
            .cmd = ctx->cmd,
            .ks = cluster_keyspace(ctx->c),
            .w = &w,
            .now_ms = node_now_ms(),
            .rand_seed = rng_next(&s->rng),
            .server = s,
        };
        config_cmd_limits(&s->cfg, &cc.limits);
        ctx->cmd->proc(&cc);
        node_reply_fill(ctx->slot, out.data, out.len);
        buf_free(&out);
    }
    buf_free(&ctx->args);
    mem_free(ctx->argv);
    mem_free(ctx);
}

bool cluster_route(node_cluster *c, node_client *cl, cmd_def *d, const cmd_arg *argv,
                   size_t argc, int64_t now_ms)
{
    if (d->flags & CMD_SERVER) return false;
    bool write = (d->flags & CMD_WRITE) != 0;
    if (!write && (cl->flags & CLIENT_READONLY)) return false; /* stale reads allowed */
    if (!write && c->server->cfg.debug_unsafe_local_reads) return false; /* test knob */
    node_reply_slot *slot = node_client_defer(cl);
    if (!write) {
        read_ctx *ctx = mem_calloc(1, sizeof *ctx);
        request *copy = request_new(d, cl->resp, now_ms, argv, argc, slot, 0);
        ctx->c = c;
        ctx->slot = slot;
        ctx->cmd = d;
        ctx->resp_proto = cl->resp;
        ctx->args = copy->args;
        ctx->argv = copy->argv;
        ctx->argc = argc;
        mem_free(copy); /* its buffers now belong to ctx */
        group_read_barrier(c->group, read_done, ctx);
        return true;
    }
    if ((d->flags & CMD_DENYOOM) && node_over_maxmemory(c->server) &&
        c->server->cfg.maxmemory_policy == KV_EVICT_NOEVICTION) {
        reply_error(slot, cl->resp, OOM_ERROR);
        return true;
    }
    uint64_t deadline = uv_now(c->loop) + (uint64_t)c->server->cfg.cluster_leader_wait_ms;
    request *r = request_new(d, cl->resp, now_ms, argv, argc, slot, deadline);
    if (!dispatch_write(c, r)) {
        r->next = c->waiting;
        c->waiting = r;
    }
    return true;
}

/* ---- Peer frames ---------------------------------------------------------------- */

static void forward_done(void *arg, int status, const char *reply, size_t len)
{
    (void)status;
    forward_ctx *f = arg;
    peer_send_reply(f->c->net, f->from, f->request_id, reply, len);
    mem_free(f);
}

static void on_forward(node_cluster *c, uint64_t from, const wire_forward *f)
{
    buf err = BUF_INIT;
    resp_writer w = {&err, f->resp == 3 ? 3 : 2};
    bool unknown_sub;
    cmd_def *d = f->argc ? cmd_lookup(f->argv, f->argc, &unknown_sub) : NULL;
    if (d == NULL || !cmd_arity_ok(d, f->argc) || !(d->flags & CMD_WRITE)) {
        resp_error_cstr(&w, "ERR the forwarded request is not a valid write");
    } else {
        forward_ctx *ctx = mem_alloc(sizeof *ctx);
        *ctx = (forward_ctx){c, from, f->request_id};
        int rv = group_propose(c->group, f->argv, f->argc, w.proto, node_now_ms(),
                               forward_done, ctx);
        if (rv == 0) {
            buf_free(&err);
            return;
        }
        mem_free(ctx);
        resp_error_cstr(&w, rv == RAFT_E_NOT_LEADER
                                ? "TRYAGAIN the leader changed while the request was forwarded"
                                : "TRYAGAIN the leader is busy");
    }
    peer_send_reply(c->net, from, f->request_id, err.data, err.len);
    buf_free(&err);
}

static void on_reply(node_cluster *c, const wire_reply *r)
{
    for (request **link = &c->forwarded; *link; link = &(*link)->next) {
        request *q = *link;
        if (q->id != r->request_id) continue;
        *link = q->next;
        node_reply_fill(q->slot, (const char *)r->resp_bytes, r->len);
        request_free(q);
        return;
    }
}

static int on_frame(void *priv, uint64_t from, uint8_t type, const uint8_t *payload,
                    size_t len)
{
    node_cluster *c = priv;
    wire_error err;
    if (type == WIRE_RAFT) {
        wire_raft_iter it;
        int rv = wire_raft_iter_init(&it, payload, len, &err);
        raft_msg m;
        while (rv == 0 && (rv = wire_raft_iter_next(&it, &c->limits, &c->scratch, &m, &err)) == 1) {
            if (m.from != from) return POLIS_EPROTO; /* a peer speaks for itself */
            group_host_step(c->host, &m);
        }
        return rv < 0 ? rv : 0;
    }
    if (type == WIRE_FORWARD) {
        wire_forward f;
        int rv = wire_decode_forward(payload, len, &c->limits, &c->scratch, &f, &err);
        if (rv != 0) return rv;
        on_forward(c, from, &f);
        return 0;
    }
    if (type == WIRE_REPLY) {
        wire_reply r;
        int rv = wire_decode_reply(payload, len, &r, &err);
        if (rv != 0) return rv;
        on_reply(c, &r);
        return 0;
    }
    return 0;
}

static void fail_forwarded_to(node_cluster *c, raft_id to)
{
    for (request **link = &c->forwarded; *link;) {
        request *q = *link;
        if (q->to != to) {
            link = &q->next;
            continue;
        }
        *link = q->next;
        reply_error(q->slot, q->resp_proto,
                    "TRYAGAIN the link to the leader broke; the write may or may not have "
                    "been applied");
        request_free(q);
    }
}

static void on_link(void *priv, uint64_t node_id, bool up)
{
    node_cluster *c = priv;
    if (up || c->group == NULL) return;
    raft_report_unreachable(group_raft(c->group), node_id);
    fail_forwarded_to(c, node_id);
}

/* ---- The cluster timer: waiting requests, forwarded timeouts, stopping ------------ */

static void retry_waiting(node_cluster *c, uint64_t now)
{
    request *list = c->waiting;
    c->waiting = NULL;
    while (list) {
        request *r = list;
        list = r->next;
        if (now >= r->deadline_ms) {
            reply_error(r->slot, r->resp_proto, "CLUSTERDOWN The cluster is down (no leader)");
            request_free(r);
        } else if (!dispatch_write(c, r)) {
            r->next = c->waiting;
            c->waiting = r;
        }
    }
}

/* Forwarded writes whose leader lost its leadership or never answered. */
static void expire_forwarded(node_cluster *c, uint64_t now)
{
    raft_id leader = group_leader(c->group);
    for (request **link = &c->forwarded; *link;) {
        request *q = *link;
        uint64_t limit = q->deadline_ms + c->server->cfg.cluster_leader_wait_ms * 2u;
        /* The leader it went to lost its leadership (or we lost it): the
         * answer may never come; say so now rather than at the deadline. */
        if (now < limit && q->to == leader) {
            link = &q->next;
            continue;
        }
        *link = q->next;
        reply_error(q->slot, q->resp_proto,
                    "TRYAGAIN the leader did not answer in time; the write may or may not "
                    "have been applied");
        request_free(q);
    }
}

static void on_timer(uv_timer_t *t)
{
    node_cluster *c = t->data;
    uint64_t now = uv_now(c->loop);
    retry_waiting(c, now);
    expire_forwarded(c, now);
    /* The leader evicts by proposing deletes (followers never evict). */
    node_access_mode(c->server, group_keyspace(c->group));
    if (node_over_maxmemory(c->server) &&
        c->server->cfg.maxmemory_policy != KV_EVICT_NOEVICTION &&
        raft_role_of(group_raft(c->group)) == RAFT_LEADER) {
        node_evict_propose(c->server, c->group, node_now_ms(), 200);
    }
    if (c->stop_done && (raft_role_of(group_raft(c->group)) != RAFT_LEADER ||
                         now >= c->stop_deadline)) {
        void (*done)(void *) = c->stop_done;
        c->stop_done = NULL;
        done(c->stop_arg);
    }
}

/* Runs every loop iteration before the group host's pass (started after
 * it), so that writes waiting for a leader go out in the iteration that
 * learned of one, not at the next timer tick. */
static void on_wake(uv_check_t *h)
{
    node_cluster *c = h->data;
    if (c->waiting && group_leader(c->group) != 0) retry_waiting(c, uv_now(c->loop));
}

/* ---- Lifecycle ------------------------------------------------------------------------ */

int cluster_start(node_server *s, node_cluster **out)
{
    node_config *cfg = &s->cfg;
    node_cluster *c = mem_calloc(1, sizeof *c);
    c->server = s;
    c->loop = s->loop;
    c->node_id = (raft_id)cfg->node_id;
    wire_limits_default(&c->limits);
    int rv = parse_peers(c, cfg->peers);
    const char *self = rv == 0 ? addr_of(c, c->node_id) : NULL;
    if (rv != 0 || self == NULL) {
        log_warning("bad --peers '%s': expected id=ip:port,... including this node (%lld)",
                    cfg->peers, (long long)cfg->node_id);
        mem_free(c);
        return POLIS_ECONFIG;
    }
    c->cluster_id = cfg->cluster_id ? (uint64_t)cfg->cluster_id : derive_cluster_id(cfg->peers);
    write_cluster_conf(cfg, c->cluster_id);

    /* A replicated command is one log entry; entries are bounded so that a
     * batch fits a segment (docs/design/006-cluster.md). */
    wal_options wopts;
    wal_options_defaults(&wopts);
    wopts.entry_bytes_max = CLUSTER_ENTRY_BYTES_MAX;
    wopts.batch_bytes_max = CLUSTER_ENTRY_BYTES_MAX + (1u << 20);
    wal_open_error werr = {0};
    rv = wal_open("wal", &wopts, c->loop, &c->w, &werr);
    if (rv != 0) {
        log_warning("cannot open the WAL: %s%s%s at offset %llu: %s", polis_strerror(rv),
                    werr.path[0] ? " in " : "", werr.path, (unsigned long long)werr.offset,
                    werr.reason);
        mem_free(c);
        return rv;
    }
    peer_config pcfg;
    peer_config_defaults(&pcfg);
    pcfg.node_id = c->node_id;
    pcfg.cluster_id = c->cluster_id;
    pcfg.listen_addr = self;
    pcfg.seed = rng_next(&s->rng);
    peer_callbacks cbs = {.priv = c, .on_frame = on_frame, .on_link = on_link};
    rv = peer_net_init(c->loop, &pcfg, &cbs, &c->net);
    if (rv != 0) {
        log_warning("cannot listen for peers on %s: %s", self, polis_strerror(rv));
        wal_abandon(c->w, NULL, NULL);
        mem_free(c);
        return rv;
    }
    for (size_t i = 0; i < c->peer_count; i++)
        if (c->peer_ids[i] != c->node_id) peer_net_add(c->net, c->peer_ids[i], c->peer_addr[i]);

    group_host_config gcfg;
    group_host_config_defaults(&gcfg);
    gcfg.node_id = c->node_id;
    gcfg.seed = rng_next(&s->rng);
    config_cmd_limits(cfg, &gcfg.limits);
    gcfg.raft.max_entry_bytes = wopts.entry_bytes_max;
    gcfg.snapshot_entries = (uint64_t)cfg->raft_snapshot_entries;
    gcfg.snapshot_keep = gcfg.snapshot_entries / 10 + 1;
    gcfg.tick_ms = (uint32_t)cfg->raft_tick_ms;
    /* A proposal or read that cannot complete (a minority, a lost leader)
     * fails on the same scale as a request waiting for a leader. */
    uint64_t wait = (uint64_t)cfg->cluster_leader_wait_ms;
    gcfg.request_timeout_ms = (uint32_t)(wait < 500 ? 1000 : 2 * wait);
    rv = group_host_open(c->loop, &gcfg, c->w, send_raft, c, &c->host);
    if (rv == 0) {
        rv = group_create(c->host, CLUSTER_DATA_GROUP, &c->conf);
        if (rv == POLIS_EEXISTS) rv = 0;
    }
    if (rv != 0) {
        log_warning("cannot start the data group: %s", polis_strerror(rv));
        return rv; /* the caller stops the node */
    }
    c->group = group_find(c->host, CLUSTER_DATA_GROUP);
    uv_timer_init(c->loop, &c->timer);
    c->timer.data = c;
    uv_timer_start(&c->timer, on_timer, 50, 50);
    uv_check_init(c->loop, &c->wake);
    c->wake.data = c;
    uv_check_start(&c->wake, on_wake);
    uv_unref((uv_handle_t *)&c->wake);
    log_notice("cluster mode: node %llu of %zu, cluster id %016llx, peers on %s",
               (unsigned long long)c->node_id, c->peer_count,
               (unsigned long long)c->cluster_id, self);
    *out = c;
    return 0;
}

void cluster_prepare_stop(node_cluster *c, void (*done)(void *arg), void *arg)
{
    c->stop_done = done;
    c->stop_arg = arg;
    c->stop_deadline = uv_now(c->loop) + STOP_WAIT_MS;
    if (!group_transfer_leadership(c->group)) {
        c->stop_done = NULL;
        done(arg);
    }
}

static void part_closed(node_cluster *c)
{
    if (--c->closing_parts > 0) return;
    void (*cb)(void *) = c->close_cb;
    void *arg = c->close_arg;
    wire_scratch_free(&c->scratch);
    mem_free(c);
    if (cb) cb(arg);
}

static void handle_closed(uv_handle_t *h)
{
    part_closed(h->data);
}

static void net_closed(void *arg)
{
    part_closed(arg);
}

static void wal_closed(void *arg)
{
    part_closed(arg);
}

void cluster_close(node_cluster *c, void (*cb)(void *arg), void *arg)
{
    c->close_cb = cb;
    c->close_arg = arg;
    while (c->waiting) {
        request *r = c->waiting;
        c->waiting = r->next;
        reply_error(r->slot, r->resp_proto, "CLUSTERDOWN the node is shutting down");
        request_free(r);
    }
    while (c->forwarded) {
        /* Sent to the leader: it may still commit it. */
        request *r = c->forwarded;
        c->forwarded = r->next;
        reply_error(r->slot, r->resp_proto,
                    "TRYAGAIN the node is shutting down; the write may or may not have been "
                    "applied");
        request_free(r);
    }
    c->closing_parts = 4;
    group_host_close(c->host);
    uv_close((uv_handle_t *)&c->timer, handle_closed);
    uv_close((uv_handle_t *)&c->wake, handle_closed);
    peer_net_close(c->net, net_closed);
    wal_close(c->w, wal_closed, c);
}

kv_keyspace *cluster_keyspace(node_cluster *c)
{
    return group_keyspace(c->group);
}

void cluster_info_replication(node_cluster *c, buf *out)
{
    raft *r = group_raft(c->group);
    const char *role = raft_role_of(r) == RAFT_LEADER ? "leader" : raft_role_name(raft_role_of(r));
    buf_append_fmt(out,
                   "# Replication\r\n"
                   "role:%s\r\n"
                   "node_id:%llu\r\n"
                   "group:%d\r\n"
                   "term:%llu\r\n"
                   "leader:%llu\r\n"
                   "commit_index:%llu\r\n"
                   "applied_index:%llu\r\n"
                   "last_index:%llu\r\n",
                   raft_role_of(r) == RAFT_LEADER ? "master" : "slave",
                   (unsigned long long)c->node_id, CLUSTER_DATA_GROUP,
                   (unsigned long long)raft_term_of(r), (unsigned long long)raft_leader(r),
                   (unsigned long long)raft_commit_index(r),
                   (unsigned long long)raft_applied_index(r),
                   (unsigned long long)raft_last_index(r));
    buf_append_fmt(out, "raft_role:%s\r\n", role);
    raft_progress_info prs[RAFT_NODES_MAX * 3];
    size_t n = raft_progress(r, prs, RAFT_NODES_MAX * 3);
    for (size_t i = 0; i < n && i < RAFT_NODES_MAX * 3; i++) {
        if (prs[i].id == c->node_id) continue;
        peer_stats ps = {0};
        peer_net_stats(c->net, prs[i].id, &ps);
        uint64_t now = uv_now(c->loop);
        long long ago = ps.last_contact_ms ? (long long)(now - ps.last_contact_ms) : -1;
        buf_append_fmt(out, "follower_%llu:match=%llu,lag=%llu,state=%s,last_contact_ms=%lld\r\n",
                       (unsigned long long)prs[i].id, (unsigned long long)prs[i].match,
                       (unsigned long long)(raft_last_index(r) - prs[i].match),
                       prs[i].state == 0 ? "probe" : prs[i].state == 1 ? "replicate" : "snapshot",
                       ago);
    }
}

size_t cluster_log_bytes(node_cluster *c)
{
    wal_stats st;
    wal_stats_get(c->w, &st);
    return (size_t)(raft_log_bytes(group_raft(c->group)) + st.cache_bytes + st.index_bytes);
}

void cluster_info_persistence(node_cluster *c, buf *out)
{
    wal_stats st;
    wal_stats_get(c->w, &st);
    buf_append_fmt(out,
                   "# Persistence\r\n"
                   "wal_enabled:1\r\n"
                   "wal_flushes:%llu\r\n"
                   "wal_fsyncs:%llu\r\n"
                   "wal_fsync_us:%llu\r\n"
                   "wal_flush_us:%llu\r\n"
                   "wal_records:%llu\r\n"
                   "wal_bytes_written:%llu\r\n"
                   "wal_queued_bytes:%llu\r\n"
                   "wal_segments:%llu\r\n",
                   (unsigned long long)st.flushes, (unsigned long long)st.fsyncs,
                   (unsigned long long)st.fsync_us, (unsigned long long)st.flush_us,
                   (unsigned long long)st.records, (unsigned long long)st.bytes_written,
                   (unsigned long long)st.queued_bytes, (unsigned long long)st.segment_count);
}
