/* node/cluster.c - cluster mode (see cluster.h). */
#include "node/cluster.h"
#include "node/cluster_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/siphash.h"
#include "base/util.h"
#include "cluster/slot.h"
#include "cluster/topology.h"
#include "node/evict.h"
#include "node/group.h"
#include "node/peer.h"
#include "node/server.h"
#include "node/wire.h"
#include "wal/wal.h"

#define CLUSTER_CONF_FILE "cluster.conf"
/* The largest replicated command (its arguments, encoded). */
#define CLUSTER_ENTRY_BYTES_MAX (32u << 20)
#define STOP_WAIT_MS            1000
/* The meta group runs on the first this many nodes; the others follow its
 * log as learners (so every node holds the shard map). */
#define META_VOTERS_MAX 5
/* A node announces the groups it leads this often even when nothing
 * changed (a peer that reconnected learns them within this). */
#define LEADERS_REFRESH_MS 1000
/* How often a node checks it is registered in the meta state, and the
 * meta leader whether the initial shards are to be created. */
#define REGISTER_EVERY_MS 200

/* A forwarded request refused before anything was proposed: clients (and
 * the chaos checkers) may count such writes as certainly not applied. */
#define ERR_FWD_NO_REPLICA  "TRYAGAIN this node holds no replica of the shard; not applied"
#define ERR_FWD_MAP_CHANGED "TRYAGAIN the shard map changed; not applied"
#define ERR_FWD_NOT_LEADER                                                               \
    "TRYAGAIN the leader changed before the request arrived; not applied"
#define ERR_FWD_BUSY  "TRYAGAIN the leader is busy; not applied"
#define ERR_CROSSSLOT "CROSSSLOT Keys in request don't hash to the same slot"
#define ERR_NO_SHARDS "CLUSTERDOWN the cluster has no shards yet"

static bool dispatch(node_cluster *c, request *r);
static void route(node_cluster *c, request *r);
static int create_shards(node_cluster *c, uint32_t shards, uint32_t replicas, int proto,
                         void (*done)(void *arg, const char *reply, size_t len),
                         void *arg);

/* ---- Configuration --------------------------------------------------------- */

/* Parses "1=127.0.0.1:7391,2=127.0.0.1:7392". */
static int parse_peers(node_cluster *c, const char *spec)
{
    char copy[CONFIG_STRING_BYTES_MAX];
    snprintf(copy, sizeof copy, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
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
    fprintf(f,
            "cluster-shards %lld\ncluster-replicas %lld\ncluster-join %s\nzone \"%s\"\n",
            (long long)cfg->cluster_shards, (long long)cfg->cluster_replicas,
            cfg->cluster_join ? "yes" : "no", cfg->zone);
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
        node_group *g = group_find(c->host, m->group);
        if (g) raft_report_unreachable(group_raft(g), m->to);
    }
}

/* ---- The shard map ------------------------------------------------------------- */

const meta_state *cluster_map(const node_cluster *c)
{
    return group_meta(c->meta);
}

leader_hint *hint_at(node_cluster *c, uint64_t group)
{
    if (group >= c->hint_cap) {
        if (group > (1u << 24)) return NULL; /* not a group id we hand out */
        size_t cap = c->hint_cap ? c->hint_cap : 64;
        while (cap <= group)
            cap *= 2;
        c->hints = mem_realloc(c->hints, cap * sizeof *c->hints);
        memset(c->hints + c->hint_cap, 0, (cap - c->hint_cap) * sizeof *c->hints);
        c->hint_cap = cap;
    }
    return &c->hints[group];
}

/* The node leading a group as far as this node knows, 0 if unknown. */
raft_id cluster_leader_of(node_cluster *c, uint64_t group)
{
    /* A replica here knows best: when it knows no leader (an election, a
     * minority), requests wait for one rather than chase an older leader
     * another node announced, whose answer could only be "unknown".
     * A replica the map no longer places here (its node was removed from
     * the group while it was down, say) may never hear of a leader again:
     * the announcements decide for it, as they do when they name a leader
     * of a later term than the replica has seen. */
    node_group *g = group_find(c->host, group);
    leader_hint *h = hint_at(c, group);
    if (g != NULL) {
        const meta_shard *s =
            group_meta(g) ? NULL : meta_shard_find(cluster_map(c), group);
        bool placed = s == NULL || meta_shard_has_replica(s, c->node_id);
        raft_id local = group_leader(g);
        bool newer = h && h->leader && h->term > raft_term_of(group_raft(g));
        if (placed && (local != 0 || !newer)) return local;
    }
    return h ? h->leader : 0;
}

static uint64_t topo_leader(void *priv, uint64_t shard)
{
    return cluster_leader_of(priv, shard);
}

static topo_view view_of(node_cluster *c)
{
    return (topo_view){cluster_map(c), c->node_id, topo_leader, c};
}

static const char *node_addr(const node_cluster *c, uint64_t id)
{
    const meta_node *n = meta_node_find(cluster_map(c), id);
    return n ? n->addr : NULL;
}

/* ---- Requests ------------------------------------------------------------------ */

static request *request_new(node_cluster *c, cmd_def *d, int proto, int64_t now_ms,
                            const cmd_arg *argv, size_t argc, req_done_fn *done,
                            void *arg)
{
    request *r = mem_calloc(1, sizeof *r);
    r->c = c;
    r->cmd = d;
    r->group = UINT64_MAX;
    r->kind = d && (d->flags & CMD_WRITE) ? REQ_WRITE : REQ_READ;
    r->resp_proto = proto;
    r->now_ms = now_ms;
    r->done = done;
    r->arg = arg;
    r->deadline_ms = uv_now(c->loop) + (uint64_t)c->server->cfg.cluster_leader_wait_ms;
    r->argc = argc;
    r->argv = mem_alloc((argc ? argc : 1) * sizeof *r->argv);
    size_t total = 0;
    for (size_t i = 0; i < argc; i++)
        total += argv[i].len;
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

/* Completes a request with an error reply and frees it. */
static void finish_error(request *r, const char *error)
{
    buf b = BUF_INIT;
    resp_writer w = {&b, r->resp_proto};
    resp_error_cstr(&w, error);
    r->done(r->arg, b.data, b.len);
    buf_free(&b);
    request_free(r);
}

static void finish(request *r, const char *reply, size_t len)
{
    r->done(r->arg, reply, len);
    request_free(r);
}

static void slot_done(void *arg, const char *reply, size_t len)
{
    node_reply_fill(arg, reply, len);
}

static void forward_reply(void *arg, const char *reply, size_t len);

/* ---- Slots that split away ------------------------------------------------------
 *
 * A group that split refuses requests for the slots it gave its child
 * (GROUP_ERR_SLOT_MOVED_FMT: before proposing, at apply for entries
 * proposed before the split, and for reads after their barrier). The node
 * whose client asked routes such a request again, by its map, while the
 * client's wait lasts (its map may be the stale one: then it waits for the
 * newer map); a node serving a forwarded request sends the refusal back
 * to the forwarder, which does the same. */

static bool says_slot_moved(const char *reply, size_t len)
{
    static const char mark[] = GROUP_ERR_SLOT_MOVED_MARK;
    if (len < 10 || memcmp(reply, "-TRYAGAIN ", 10) != 0) return false;
    for (size_t i = 10; i + sizeof mark - 1 <= len; i++)
        if (memcmp(reply + i, mark, sizeof mark - 1) == 0) return true;
    return false;
}

static void wait_for_route(node_cluster *c, request *r);

/* Routes a request the group refused again, if it is ours to route and the
 * client's wait lasts; true if it will be. */
static bool reroute(request *r)
{
    if (r->done == forward_reply || uv_now(r->c->loop) >= r->deadline_ms) return false;
    r->group = UINT64_MAX;
    r->forwarded = false;
    wait_for_route(r->c, r);
    return true;
}

/* Refuses a request for a slot the local group no longer serves (or routes
 * it again); true if it did. */
static bool refuse_unowned(request *r, node_group *g)
{
    int slot = group_unowned_slot(g, r->argv, r->argc);
    if (slot < 0 || r->kind == REQ_META) return false;
    if (reroute(r)) return true;
    char msg[128];
    snprintf(msg, sizeof msg, GROUP_ERR_SLOT_MOVED_FMT, slot);
    finish_error(r, msg);
    return true;
}

static void proposal_done(void *arg, int status, const char *reply, size_t len)
{
    (void)status; /* errors come as RESP error replies */
    if (says_slot_moved(reply, len) && reroute(arg)) return;
    finish(arg, reply, len);
}

/* Runs a read on a local replica's keyspace and completes the request. */
static void run_read(node_cluster *c, node_group *g, request *r)
{
    buf out = BUF_INIT;
    resp_writer w = {&out, r->resp_proto};
    node_server *s = c->server;
    cmd_ctx cc = {
        .argv = r->argv,
        .argc = r->argc,
        .cmd = r->cmd,
        .ks = group_keyspace(g),
        .w = &w,
        .now_ms = node_now_ms(),
        .rand_seed = rng_next(&s->rng),
        .server = s,
        .no_block = true,
    };
    config_cmd_limits(&s->cfg, &cc.limits);
    node_access_mode(s, cc.ks);
    r->cmd->proc(&cc);
    finish(r, out.data, out.len);
    buf_free(&out);
}

static void barrier_done(void *arg, int status, const char *reply, size_t len)
{
    request *r = arg;
    if (status != 0) {
        finish(r, reply, len);
        return;
    }
    /* The barrier passed: the replica has applied everything committed
     * before the read arrived. */
    node_group *g = group_find(r->c->host, r->group);
    if (g == NULL) {
        finish_error(r, "TRYAGAIN the shard left this node during the read");
        return;
    }
    if (refuse_unowned(r, g)) return;
    run_read(r->c, g, r);
}

static int propose_meta(node_group *g, request *r)
{
    meta_cmd mc;
    if (meta_decode(r->argv[0].ptr, r->argv[0].len, &mc) != 0) return POLIS_ECORRUPT;
    return group_propose_meta(g, &mc, r->resp_proto, proposal_done, r);
}

/* Sends a request to another node. */
static bool forward(node_cluster *c, request *r, raft_id to)
{
    r->id = ++c->next_request_id;
    uint32_t flags = r->kind == REQ_READ ? FWD_READ : r->kind == REQ_META ? FWD_META : 0;
    wire_forward f = {.request_id = r->id,
                      .resp = (uint8_t)r->resp_proto,
                      .flags = flags,
                      .group = r->group,
                      .epoch = cluster_map(c)->epoch,
                      .argv = r->argv,
                      .argc = (uint32_t)r->argc};
    if (peer_send_forward(c->net, to, &f) != 0) return false;
    r->forwarded = true;
    r->to = to;
    r->next = c->forwarded;
    c->forwarded = r;
    return true;
}

/* A request waiting for a split's child waits for its parent: the child is
 * made by the parent's log, so the parent's replica here must not
 * hibernate while its leader may be gone. */
static void wake_parent(node_cluster *c, uint64_t group)
{
    const meta_shard *s = meta_shard_find(cluster_map(c), group);
    node_group *p = s && s->split_from ? group_find(c->host, s->split_from) : NULL;
    if (p != NULL) group_wake(p);
}

/* Tries to get a routed request going now: a local replica reads or
 * proposes it, or it goes to the group's leader (a read to any replica).
 * Returns false if it must wait (no leader known, link down, busy). */
static bool dispatch(node_cluster *c, request *r)
{
    node_group *g = group_find(c->host, r->group);
    if (g != NULL && refuse_unowned(r, g)) return true;
    if (r->kind == REQ_READ && g != NULL) {
        if (r->stale_ok)
            run_read(c, g, r);
        else
            group_read_barrier(g, barrier_done, r);
        return true;
    }
    if (g != NULL) {
        int rv = r->kind == REQ_META ? propose_meta(g, r)
                                     : group_propose(g, r->argv, r->argc, r->resp_proto,
                                                     r->now_ms, proposal_done, r);
        if (rv == 0) return true;
        if (rv == RAFT_E_TOO_BIG) {
            finish_error(r, "ERR the command is larger than a log entry may be");
            return true;
        }
        if (rv == POLIS_ECORRUPT) {
            finish_error(r, "ERR malformed meta command");
            return true;
        }
        if (rv != RAFT_E_NOT_LEADER) return false;
    }
    raft_id to = cluster_leader_of(c, r->group);
    if (to == 0 && r->kind == REQ_READ) {
        /* Any replica can serve a linearizable read. */
        const meta_shard *s = meta_shard_find(cluster_map(c), r->group);
        if (s && s->voter_count) to = s->voters[0];
    }
    if (g != NULL) group_wake(g); /* its leader must answer, or be replaced */
    wake_parent(c, r->group);
    if (to == 0 || to == c->node_id) return false;
    return forward(c, r, to);
}

static void wait_for_route(node_cluster *c, request *r)
{
    r->next = c->waiting;
    c->waiting = r;
}

static void submit(node_cluster *c, request *r)
{
    if (!dispatch(c, r)) wait_for_route(c, r);
}

/* ---- Fan-out: one command over several shards, replies merged -------------------- */

enum gather_kind {
    GATHER_SUM,    /* integer replies added (DEL, EXISTS, DBSIZE...) */
    GATHER_MGET,   /* arrays put back in key order */
    GATHER_CONCAT, /* arrays concatenated (KEYS) */
    GATHER_OK,     /* +OK once every part said so (FLUSHALL) */
    GATHER_RANDOM, /* one non-null reply, picked at random (RANDOMKEY) */
    GATHER_DIGEST, /* 64-bit hex digests added (DIGEST: additive) */
};

typedef struct gather {
    node_cluster *c;
    uint8_t kind;
    int resp_proto;
    size_t parts, pending;
    buf *replies;       /* per part */
    size_t key_count;   /* GATHER_MGET: keys of the command */
    uint32_t *key_part; /* GATHER_MGET: the part each key went to */
    req_done_fn *done;
    void *arg;
} gather;

typedef struct gather_part {
    gather *g;
    size_t index;
} gather_part;

/* The length of one RESP element of the kinds the merged commands return
 * (bulk, null, integer, simple string, error); 0 if malformed. */
static size_t elem_len(const char *p, size_t len)
{
    const char *crlf = len ? memchr(p, '\n', len) : NULL;
    if (crlf == NULL) return 0;
    size_t head = (size_t)(crlf - p) + 1;
    if (p[0] != '$') return head;
    if (head >= 4 && p[1] == '-') return head; /* $-1 */
    uint64_t n;
    if (!str_to_u64(p + 1, head - 3, &n) || n > len - head || len - head - n < 2)
        return 0;
    return head + (size_t)n + 2;
}

/* Parses an array header "*n\r\n" (or a RESP3 set/push header). */
static bool array_head(const char *p, size_t len, uint64_t *n, size_t *head)
{
    const char *crlf = len ? memchr(p, '\n', len) : NULL;
    if (crlf == NULL || (p[0] != '*' && p[0] != '~')) return false;
    *head = (size_t)(crlf - p) + 1;
    return str_to_u64(p + 1, *head - 3, n);
}

static bool parse_int_reply(const buf *b, int64_t *v)
{
    return b->len >= 4 && b->data[0] == ':' && str_to_i64(b->data + 1, b->len - 3, v);
}

static void gather_merge(gather *g, buf *out)
{
    resp_writer w = {out, g->resp_proto};
    for (size_t i = 0; i < g->parts; i++) {
        if (g->replies[i].len > 0 && g->replies[i].data[0] == '-') {
            buf_append(out, g->replies[i].data, g->replies[i].len);
            return;
        }
    }
    switch (g->kind) {
    case GATHER_SUM: {
        int64_t total = 0;
        for (size_t i = 0; i < g->parts; i++) {
            int64_t v;
            if (!parse_int_reply(&g->replies[i], &v)) goto malformed;
            total += v;
        }
        resp_int(&w, total);
        return;
    }
    case GATHER_OK:
        resp_ok(&w);
        return;
    case GATHER_DIGEST: {
        uint64_t total = 0;
        for (size_t i = 0; i < g->parts; i++) {
            const buf *b = &g->replies[i];
            const char *nl = b->len >= 4 ? memchr(b->data, '\n', b->len) : NULL;
            size_t at = nl ? (size_t)(nl - b->data) + 1 : 0;
            if (at == 0 || b->len < at + 16 + 2) goto malformed;
            uint64_t v = 0;
            for (size_t k = 0; k < 16; k++) {
                char ch = b->data[at + k];
                v = v << 4 | (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
            }
            total += v;
        }
        char hex[17];
        for (int i = 0; i < 16; i++)
            hex[15 - i] = "0123456789abcdef"[(total >> (4 * i)) & 15];
        resp_bulk(&w, hex, 16);
        return;
    }
    case GATHER_RANDOM: {
        size_t live = 0, pick = SIZE_MAX;
        for (size_t i = 0; i < g->parts; i++) {
            const buf *b = &g->replies[i];
            bool null = b->len == 0 || b->data[0] == '_' ||
                        (b->len >= 3 && memcmp(b->data, "$-1", 3) == 0);
            if (!null && rng_below(&g->c->server->rng, ++live) == 0) pick = i;
        }
        if (pick == SIZE_MAX)
            resp_null(&w);
        else
            buf_append(out, g->replies[pick].data, g->replies[pick].len);
        return;
    }
    case GATHER_CONCAT: {
        uint64_t total = 0;
        for (size_t i = 0; i < g->parts; i++) {
            uint64_t n;
            size_t head;
            if (!array_head(g->replies[i].data, g->replies[i].len, &n, &head))
                goto malformed;
            total += n;
        }
        resp_array(&w, (size_t)total);
        for (size_t i = 0; i < g->parts; i++) {
            uint64_t n;
            size_t head;
            array_head(g->replies[i].data, g->replies[i].len, &n, &head);
            buf_append(out, g->replies[i].data + head, g->replies[i].len - head);
        }
        return;
    }
    case GATHER_MGET: {
        size_t *at = mem_calloc(g->parts, sizeof *at);
        for (size_t i = 0; i < g->parts; i++) {
            uint64_t n;
            if (!array_head(g->replies[i].data, g->replies[i].len, &n, &at[i])) {
                mem_free(at);
                goto malformed;
            }
        }
        size_t mark = out->len;
        resp_array(&w, g->key_count);
        for (size_t k = 0; k < g->key_count; k++) {
            buf *b = &g->replies[g->key_part[k]];
            size_t *off = &at[g->key_part[k]];
            size_t n = *off < b->len ? elem_len(b->data + *off, b->len - *off) : 0;
            if (n == 0) {
                mem_free(at);
                out->len = mark;
                goto malformed;
            }
            buf_append(out, b->data + *off, n);
            *off += n;
        }
        mem_free(at);
        return;
    }
    }
malformed:
    resp_error_cstr(&w, "ERR a shard's reply could not be merged");
}

static void gather_part_done(void *arg, const char *reply, size_t len)
{
    gather_part *p = arg;
    gather *g = p->g;
    buf_append(&g->replies[p->index], reply, len);
    mem_free(p);
    if (--g->pending > 0) return;
    buf out = BUF_INIT;
    gather_merge(g, &out);
    g->done(g->arg, out.data, out.len);
    buf_free(&out);
    for (size_t i = 0; i < g->parts; i++)
        buf_free(&g->replies[i]);
    mem_free(g->replies);
    mem_free(g->key_part);
    mem_free(g);
}

static gather *gather_new(node_cluster *c, uint8_t kind, int proto, size_t parts,
                          req_done_fn *done, void *arg)
{
    gather *g = mem_calloc(1, sizeof *g);
    g->c = c;
    g->kind = kind;
    g->resp_proto = proto;
    g->parts = g->pending = parts;
    g->replies = mem_calloc(parts, sizeof *g->replies);
    g->done = done;
    g->arg = arg;
    return g;
}

/* Sends part i of a gather: the command with argv to one group. */
static void gather_send(gather *g, size_t i, const request *tmpl, uint64_t group,
                        const cmd_arg *argv, size_t argc)
{
    gather_part *p = mem_alloc(sizeof *p);
    *p = (gather_part){g, i};
    request *r = request_new(g->c, tmpl->cmd, tmpl->resp_proto, tmpl->now_ms, argv, argc,
                             gather_part_done, p);
    r->stale_ok = tmpl->stale_ok;
    r->group = group;
    r->deadline_ms = tmpl->deadline_ms;
    submit(g->c, r);
}

/* The same command on every shard (KEYS, DBSIZE, FLUSHALL...). */
static void fan_out_all(node_cluster *c, request *r, uint8_t kind)
{
    const meta_state *m = cluster_map(c);
    gather *g = gather_new(c, kind, r->resp_proto, m->shard_count, r->done, r->arg);
    /* The map may change while parts are out: take the ids first. */
    size_t n = m->shard_count;
    uint64_t *ids = mem_alloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = m->shards[i].id;
    for (size_t i = 0; i < n; i++)
        gather_send(g, i, r, ids[i], r->argv, r->argc);
    mem_free(ids);
    request_free(r);
}

/* A command whose arguments after the name are all keys (MGET, DEL,
 * EXISTS, UNLINK, TOUCH), split by shard. */
static void fan_out_keys(node_cluster *c, request *r, const uint64_t *shard_of_key)
{
    size_t nkeys = r->argc - 1;
    uint64_t *parts = mem_alloc(nkeys * sizeof *parts);
    size_t nparts = 0;
    uint32_t *key_part = mem_alloc(nkeys * sizeof *key_part);
    for (size_t k = 0; k < nkeys; k++) {
        size_t p = 0;
        while (p < nparts && parts[p] != shard_of_key[k])
            p++;
        if (p == nparts) parts[nparts++] = shard_of_key[k];
        key_part[k] = (uint32_t)p;
    }
    bool mget = strcmp(r->cmd->name, "mget") == 0;
    gather *g = gather_new(c, mget ? GATHER_MGET : GATHER_SUM, r->resp_proto, nparts,
                           r->done, r->arg);
    g->key_count = nkeys;
    g->key_part = key_part;
    cmd_arg *argv = mem_alloc((nkeys + 1) * sizeof *argv);
    for (size_t p = 0; p < nparts; p++) {
        size_t argc = 0;
        argv[argc++] = r->argv[0];
        for (size_t k = 0; k < nkeys; k++)
            if (key_part[k] == p) argv[argc++] = r->argv[k + 1];
        gather_send(g, p, r, parts[p], argv, argc);
    }
    mem_free(argv);
    mem_free(parts);
    request_free(r);
}

/* ---- SCAN over every shard ---------------------------------------------------------
 *
 * The cursor carries the slot in its low 14 bits (kv_scan_keys): a scan goes
 * to the shard owning that slot, and the cursor it returns is held to that
 * shard's run of slots: once it leaves the run (or ends), it continues at
 * the first slot after the run, which may belong to another shard. A shard
 * whose scan ran into its next run returns keys that come again later:
 * SCAN allows repeats, never omissions. */

typedef struct scan_ctx {
    node_cluster *c;
    uint16_t run_last; /* the last slot of the run the scan started in */
    req_done_fn *done;
    void *arg;
    int resp_proto;
} scan_ctx;

static void scan_done(void *arg, const char *reply, size_t len)
{
    scan_ctx *s = arg;
    uint64_t n, cursor;
    size_t head, el;
    if (len > 0 && reply[0] != '-' && array_head(reply, len, &n, &head) && n == 2 &&
        (el = elem_len(reply + head, len - head)) > 0 && reply[head] == '$') {
        const char *digits = memchr(reply + head, '\n', el);
        size_t dlen = el - (size_t)(digits + 1 - (reply + head)) - 2;
        if (digits && str_to_u64(digits + 1, dlen, &cursor)) {
            uint64_t slot = cursor & (CLUSTER_SLOTS - 1);
            if (cursor == 0 || slot > s->run_last)
                cursor = s->run_last + 1u >= CLUSTER_SLOTS ? 0 : s->run_last + 1u;
            buf out = BUF_INIT;
            resp_writer w = {&out, s->resp_proto};
            resp_array(&w, 2);
            char num[24];
            resp_bulk(&w, num, fmt_u64(num, cursor));
            buf_append(&out, reply + head + el, len - head - el);
            s->done(s->arg, out.data, out.len);
            buf_free(&out);
            mem_free(s);
            return;
        }
    }
    s->done(s->arg, reply, len);
    mem_free(s);
}

static void route_scan(node_cluster *c, request *r)
{
    const meta_state *m = cluster_map(c);
    uint64_t cursor = 0;
    if (!str_to_u64(r->argv[1].ptr, r->argv[1].len, &cursor))
        cursor = 0; /* the shard replies */
    uint16_t slot = (uint16_t)(cursor & (CLUSTER_SLOTS - 1));
    uint64_t shard = m->owner[slot];
    uint16_t last = slot;
    while (last + 1u < CLUSTER_SLOTS && m->owner[last + 1] == shard)
        last++;
    scan_ctx *s = mem_alloc(sizeof *s);
    *s = (scan_ctx){c, last, r->done, r->arg, r->resp_proto};
    r->done = scan_done;
    r->arg = s;
    r->group = shard;
    submit(c, r);
}

/* ---- Routing ------------------------------------------------------------------------
 */

static bool is_named(const cmd_def *d, const char *name)
{
    return strcmp(d->name, name) == 0;
}

/* Commands whose arguments are all keys and whose result merges. */
static bool fans_out(const cmd_def *d)
{
    return is_named(d, "mget") || is_named(d, "exists") || is_named(d, "del") ||
           is_named(d, "unlink") || is_named(d, "touch");
}

static void reply_moved(request *r, uint16_t slot, uint64_t node)
{
    const char *addr = node_addr(r->c, node);
    char msg[128];
    snprintf(msg, sizeof msg, "MOVED %u %s", (unsigned)slot, addr ? addr : "?");
    finish_error(r, msg);
}

/* Routes a request by the shard map: to one shard, to several (fan-out),
 * or refused; waits while the map has no shards yet. */
static void route(node_cluster *c, request *r)
{
    const meta_state *m = cluster_map(c);
    if (m->shard_count == 0) {
        if (uv_now(c->loop) >= r->deadline_ms)
            finish_error(r, ERR_NO_SHARDS);
        else
            wait_for_route(c, r);
        return;
    }
    cmd_def *d = r->cmd;
    size_t stack_pos[16];
    size_t *pos = r->argc <= 16 ? stack_pos : mem_alloc(r->argc * sizeof *pos);
    int nk = cmd_get_keys(d, r->argv, r->argc, pos);
    if (nk <= 0) {
        if (pos != stack_pos) mem_free(pos);
        if (is_named(d, "dbsize"))
            fan_out_all(c, r, GATHER_SUM);
        else if (is_named(d, "keys"))
            fan_out_all(c, r, GATHER_CONCAT);
        else if (is_named(d, "flushall") || is_named(d, "flushdb"))
            fan_out_all(c, r, GATHER_OK);
        else if (is_named(d, "randomkey"))
            fan_out_all(c, r, GATHER_RANDOM);
        else if (is_named(d, "digest"))
            fan_out_all(c, r, GATHER_DIGEST);
        else if (is_named(d, "scan"))
            route_scan(c, r);
        else {
            /* CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT name a slot; any
             * other keyless command runs on the shard of slot 0. */
            uint64_t slot = 0;
            if (d->parent && is_named(d->parent, "cluster") && r->argc >= 3 &&
                (!str_to_u64(r->argv[2].ptr, r->argv[2].len, &slot) ||
                 slot >= CLUSTER_SLOTS))
                slot = 0;
            r->group = m->owner[slot];
            submit(c, r);
        }
        return;
    }
    uint64_t stack_shards[16];
    uint64_t *shard_of =
        (size_t)nk <= 16 ? stack_shards : mem_alloc((size_t)nk * sizeof *shard_of);
    bool one = true;
    uint16_t first_slot = 0;
    for (int i = 0; i < nk; i++) {
        uint16_t slot = slot_of_key(r->argv[pos[i]].ptr, r->argv[pos[i]].len);
        if (i == 0) first_slot = slot;
        shard_of[i] = m->owner[slot];
        if (shard_of[i] != shard_of[0]) one = false;
    }
    if (one) {
        r->group = shard_of[0];
        if (r->redirect) {
            const meta_shard *s = meta_shard_find(m, r->group);
            topo_view v = view_of(c);
            uint64_t serving = s ? topo_serving_node(&v, s) : 0;
            bool local_read = r->stale_ok && group_find(c->host, r->group) != NULL;
            if (serving != c->node_id && serving != 0 && !local_read) {
                reply_moved(r, first_slot, serving);
                goto out;
            }
        }
        submit(c, r);
    } else if (fans_out(d) && !r->redirect && (size_t)nk == r->argc - 1) {
        fan_out_keys(c, r, shard_of);
    } else {
        finish_error(r, ERR_CROSSSLOT);
    }
out:
    if (shard_of != stack_shards) mem_free(shard_of);
    if (pos != stack_pos) mem_free(pos);
}

/* CLUSTER CREATE shards [replicas]: the first layout of a cluster whose
 * nodes were started with cluster-shards 0. */
static void cluster_create(node_cluster *c, node_client *cl, const cmd_arg *argv,
                           size_t argc)
{
    node_reply_slot *slot = node_client_defer(cl);
    uint64_t shards, replicas = (uint64_t)c->server->cfg.cluster_replicas;
    const char *error = NULL;
    if (argc > 4 || !str_to_u64(argv[2].ptr, argv[2].len, &shards) || shards == 0 ||
        shards > CLUSTER_SLOTS ||
        (argc == 4 && (!str_to_u64(argv[3].ptr, argv[3].len, &replicas) ||
                       replicas == 0 || replicas > META_MAX_REPLICAS)))
        error = "ERR usage: CLUSTER CREATE <shards 1..16384> [<replicas 1..7>]";
    else if (!group_meta(c->meta) || group_leader(c->meta) == 0)
        error = "CLUSTERDOWN the meta group has no leader yet";
    if (error == NULL) {
        int rv = create_shards(c, (uint32_t)shards, (uint32_t)replicas, cl->resp,
                               slot_done, slot);
        if (rv == 0) return;
        error = rv == POLIS_EEXISTS ? "ERR the cluster has shards already"
                                    : "TRYAGAIN no node has registered yet";
    }
    buf b = BUF_INIT;
    resp_writer w = {&b, cl->resp};
    resp_error_cstr(&w, error);
    node_reply_fill(slot, b.data, b.len);
    buf_free(&b);
}

static void reply_now(node_reply_slot *slot, int proto, const char *error)
{
    buf b = BUF_INIT;
    resp_writer w = {&b, proto};
    resp_error_cstr(&w, error);
    node_reply_fill(slot, b.data, b.len);
    buf_free(&b);
}

static bool arg_copy(char *dst, size_t cap, const cmd_arg *a)
{
    if (a->len == 0 || a->len >= cap || memchr(a->ptr, ' ', a->len)) return false;
    memcpy(dst, a->ptr, a->len);
    dst[a->len] = '\0';
    return true;
}

/* CLUSTER ADDNODE id client-addr peer-addr [zone]: a node started with
 * cluster-join yes enters the map; its replicas come with the balancer.
 * CLUSTER REMOVENODE id: the node is drained (its replicas move away),
 * then marked removed. Both answer once the map changed. */
static void cluster_membership(node_cluster *c, node_client *cl, cmd_def *d,
                               const cmd_arg *argv, size_t argc)
{
    node_reply_slot *slot = node_client_defer(cl);
    uint64_t id;
    meta_cmd mc = {0};
    if (!str_to_u64(argv[2].ptr, argv[2].len, &id) || id == 0 || id > INT32_MAX) {
        reply_now(slot, cl->resp, "ERR invalid node id");
        return;
    }
    mc.node = id;
    if (is_named(d, "addnode")) {
        mc.op = META_NODE_ADD;
        if (argc < 5 || argc > 6 || !arg_copy(mc.addr, sizeof mc.addr, &argv[3]) ||
            !arg_copy(mc.peer_addr, sizeof mc.peer_addr, &argv[4]) ||
            (argc == 6 && argv[5].len > 0 &&
             !arg_copy(mc.zone, sizeof mc.zone, &argv[5]))) {
            reply_now(
                slot, cl->resp,
                "ERR usage: CLUSTER ADDNODE <id> <host:port> <peer-host:port> [<zone>]");
            return;
        }
        /* Asked again (an answer that said its fate was unknown, say): the
         * same node with the same addresses is already in, which is done. */
        const meta_node *n = meta_node_find(cluster_map(c), id);
        if (n && n->state != META_NODE_REMOVED && strcmp(n->addr, mc.addr) == 0 &&
            strcmp(n->peer_addr, mc.peer_addr) == 0 && strcmp(n->zone, mc.zone) == 0) {
            node_reply_fill(slot, "+OK\r\n", 5);
            return;
        }
    } else {
        if (argc != 3) {
            reply_now(slot, cl->resp, "ERR usage: CLUSTER REMOVENODE <id>");
            return;
        }
        const meta_node *n = meta_node_find(cluster_map(c), id);
        if (n && n->state == META_NODE_REMOVED) {
            node_reply_fill(slot, "+OK\r\n", 5); /* done already */
            return;
        }
        /* The planner moves its replicas away, then marks it removed. */
        mc.op = n && n->state == META_NODE_DRAINING ? META_NODE_REMOVE : META_NODE_DRAIN;
        if (mc.op == META_NODE_REMOVE && meta_node_replicas(cluster_map(c), id) > 0) {
            node_reply_fill(slot, "+OK\r\n", 5); /* draining */
            return;
        }
    }
    cluster_meta_submit(c, &mc, cl->resp, slot_done, slot);
}

typedef struct split_ctx {
    node_reply_slot *slot;
    int proto;
    uint64_t new_shard;
} split_ctx;

static void split_recorded(void *arg, const char *reply, size_t len)
{
    split_ctx *s = arg;
    if (len > 0 && reply[0] == '+') {
        char num[32];
        int n = snprintf(num, sizeof num, ":%llu\r\n", (unsigned long long)s->new_shard);
        node_reply_fill(s->slot, num, (size_t)n);
    } else {
        node_reply_fill(s->slot, reply, len);
    }
    mem_free(s);
}

/* CLUSTER SPLIT shard [slot]: the shard's slots from `slot` (by default
 * the middle one) go to a new shard on the same replicas; answers the new
 * shard's id once the map has it (the data follows through the parent's
 * log). CLUSTER SETSPLIT keys [bytes]: the automatic split thresholds
 * (0: never). */
static void cluster_split(node_cluster *c, node_client *cl, cmd_def *d,
                          const cmd_arg *argv, size_t argc)
{
    node_reply_slot *slot = node_client_defer(cl);
    meta_cmd mc = {0};
    if (is_named(d, "setsplit")) {
        uint64_t keys, bytes = cluster_map(c)->split_bytes;
        if (argc > 4 || !str_to_u64(argv[2].ptr, argv[2].len, &keys) ||
            (argc == 4 && !str_to_u64(argv[3].ptr, argv[3].len, &bytes))) {
            reply_now(slot, cl->resp, "ERR usage: CLUSTER SETSPLIT <keys> [<bytes>]");
            return;
        }
        mc.op = META_SET_SPLIT;
        mc.split_keys = keys;
        mc.split_bytes = bytes;
        cluster_meta_submit(c, &mc, cl->resp, slot_done, slot);
        return;
    }
    uint64_t shard, at = 0;
    const char *err = NULL;
    if (argc > 4 || !str_to_u64(argv[2].ptr, argv[2].len, &shard) ||
        (argc == 4 &&
         (!str_to_u64(argv[3].ptr, argv[3].len, &at) || at == 0 || at >= CLUSTER_SLOTS)))
        err = "ERR usage: CLUSTER SPLIT <shard> [<slot 1..16383>]";
    if (err || !shards_plan_split(c, shard, (uint32_t)at, &mc, &err)) {
        reply_now(slot, cl->resp, err);
        return;
    }
    split_ctx *s = mem_alloc(sizeof *s);
    *s = (split_ctx){slot, cl->resp, mc.new_shard};
    cluster_meta_submit(c, &mc, cl->resp, split_recorded, s);
}

void cluster_topology(node_cluster *c, const char *what, resp_writer *w)
{
    topo_view v = view_of(c);
    if (strcmp(what, "slots") == 0) {
        topo_cluster_slots(&v, w);
    } else if (strcmp(what, "shards") == 0) {
        topo_cluster_shards(&v, w);
    } else if (strcmp(what, "rebalance") == 0) {
        buf text = BUF_INIT;
        shards_balance_report(c, &text);
        resp_verbatim(w, "txt", text.data, text.len);
        buf_free(&text);
    } else if (strcmp(what, "myid") == 0) {
        char name[TOPO_NODE_NAME_LEN + 1];
        topo_node_name(c->node_id, name);
        resp_bulk(w, name, TOPO_NODE_NAME_LEN);
    } else {
        buf text = BUF_INIT;
        if (strcmp(what, "nodes") == 0) {
            topo_cluster_nodes(&v, &text);
        } else {
            topo_cluster_info(&v, &text);
            /* What a node joining this cluster needs (cluster-id). */
            buf_append_fmt(&text, "cluster_id:%llu\r\n",
                           (unsigned long long)c->cluster_id);
        }
        resp_verbatim(w, "txt", text.data, text.len);
        buf_free(&text);
    }
}

bool cluster_route(node_cluster *c, node_client *cl, cmd_def *d, const cmd_arg *argv,
                   size_t argc, int64_t now_ms)
{
    if (d->parent && is_named(d->parent, "cluster")) {
        if (is_named(d, "create")) {
            cluster_create(c, cl, argv, argc);
            return true;
        }
        if (is_named(d, "addnode") || is_named(d, "removenode")) {
            cluster_membership(c, cl, d, argv, argc);
            return true;
        }
        if (is_named(d, "split") || is_named(d, "setsplit")) {
            cluster_split(c, cl, d, argv, argc);
            return true;
        }
    }
    if (d->flags & CMD_SERVER) return false;
    node_reply_slot *slot = node_client_defer(cl);
    request *r = request_new(c, d, cl->resp, now_ms, argv, argc, slot_done, slot);
    bool write = r->kind == REQ_WRITE;
    /* READONLY connections read their local replica, possibly stale; the
     * test knob makes every read do so (a deliberate bug for the chaos
     * checkers). */
    r->stale_ok = !write && ((cl->flags & CLIENT_READONLY) ||
                             c->server->cfg.debug_unsafe_local_reads);
    r->redirect = c->server->cfg.cluster_redirect != 0;
    if (write && (d->flags & CMD_DENYOOM) && node_over_maxmemory(c->server) &&
        c->server->cfg.maxmemory_policy == KV_EVICT_NOEVICTION) {
        finish_error(r, OOM_ERROR);
        return true;
    }
    route(c, r);
    return true;
}

/* ---- Peer frames ---------------------------------------------------------------- */

static void forward_reply(void *arg, const char *reply, size_t len)
{
    forward_ctx *f = arg;
    peer_send_reply(f->c->net, f->from, f->request_id, reply, len);
    mem_free(f);
}

static void forward_refuse(node_cluster *c, uint64_t from, const wire_forward *f,
                           const char *error)
{
    buf err = BUF_INIT;
    resp_writer w = {&err, f->resp == 3 ? 3 : 2};
    resp_error_cstr(&w, error);
    peer_send_reply(c->net, from, f->request_id, err.data, err.len);
    buf_free(&err);
}

/* Whether every key of a forwarded command belongs to the group in this
 * node's map (a forwarder with an older map may have routed it wrong). */
static bool keys_owned(node_cluster *c, cmd_def *d, const wire_forward *f)
{
    const meta_state *m = cluster_map(c);
    size_t stack_pos[16];
    size_t *pos = f->argc <= 16 ? stack_pos : mem_alloc(f->argc * sizeof *pos);
    int nk = cmd_get_keys(d, f->argv, f->argc, pos);
    bool ok = true;
    for (int i = 0; i < nk && ok; i++)
        ok = m->owner[slot_of_key(f->argv[pos[i]].ptr, f->argv[pos[i]].len)] == f->group;
    if (pos != stack_pos) mem_free(pos);
    return ok;
}

static void on_forward(node_cluster *c, uint64_t from, const wire_forward *f)
{
    node_group *g = group_find(c->host, f->group);
    if (g == NULL) {
        forward_refuse(c, from, f, ERR_FWD_NO_REPLICA);
        return;
    }
    cmd_def *d = NULL;
    uint8_t kind = REQ_META;
    if (!(f->flags & FWD_META)) {
        bool unknown_sub;
        d = cmd_lookup(f->argv, f->argc, &unknown_sub);
        bool write = d && (d->flags & CMD_WRITE);
        kind = (f->flags & FWD_READ) ? REQ_READ : REQ_WRITE;
        if (d == NULL || !cmd_arity_ok(d, f->argc) || (d->flags & CMD_SERVER) ||
            write != (kind == REQ_WRITE)) {
            forward_refuse(c, from, f,
                           "ERR the forwarded request is not a valid command");
            return;
        }
        if (!keys_owned(c, d, f)) {
            forward_refuse(c, from, f, ERR_FWD_MAP_CHANGED);
            return;
        }
        int unowned = group_unowned_slot(g, f->argv, f->argc);
        if (unowned >= 0) {
            char msg[128];
            snprintf(msg, sizeof msg, GROUP_ERR_SLOT_MOVED_FMT, unowned);
            forward_refuse(c, from, f, msg);
            return;
        }
    } else if (f->group != GROUP_META || f->argc != 1) {
        forward_refuse(c, from, f,
                       "ERR the forwarded request is not a valid meta change");
        return;
    }
    forward_ctx *ctx = mem_alloc(sizeof *ctx);
    *ctx = (forward_ctx){c, from, f->request_id};
    request *r = request_new(c, d, f->resp == 3 ? 3 : 2, node_now_ms(), f->argv, f->argc,
                             forward_reply, ctx);
    r->kind = kind;
    r->group = f->group;
    if (kind == REQ_READ) {
        group_read_barrier(g, barrier_done, r);
        return;
    }
    int rv = kind == REQ_META ? propose_meta(g, r)
                              : group_propose(g, r->argv, r->argc, r->resp_proto,
                                              r->now_ms, proposal_done, r);
    if (rv == 0) return;
    finish_error(r, rv == RAFT_E_NOT_LEADER ? ERR_FWD_NOT_LEADER
                    : rv == POLIS_ECORRUPT  ? "ERR malformed meta command"
                                            : ERR_FWD_BUSY);
}

/* A refusal that says the request was certainly not applied (nothing was
 * proposed, or the entry was overtaken): it is sent again, while the
 * client's wait lasts, once a leader is known. */
static bool retry_safe(const char *reply, size_t len)
{
    static const char mark[] = "not applied";
    if (len < 10 || memcmp(reply, "-TRYAGAIN ", 10) != 0) return false;
    for (size_t i = 10; i + sizeof mark - 1 <= len; i++)
        if (memcmp(reply + i, mark, sizeof mark - 1) == 0) return true;
    return false;
}

static void on_reply(node_cluster *c, const wire_reply *r)
{
    for (request **link = &c->forwarded; *link; link = &(*link)->next) {
        request *q = *link;
        if (q->id != r->request_id) continue;
        *link = q->next;
        const char *reply = (const char *)r->resp_bytes;
        if (retry_safe(reply, r->len) && uv_now(c->loop) < q->deadline_ms) {
            q->forwarded = false;
            /* A slot that split away (or a map that changed): route again. */
            if (says_slot_moved(reply, r->len) ||
                (r->len > sizeof ERR_FWD_MAP_CHANGED &&
                 memcmp(reply + 1, ERR_FWD_MAP_CHANGED, sizeof ERR_FWD_MAP_CHANGED - 1) ==
                     0))
                q->group = UINT64_MAX;
            wait_for_route(c, q);
            return;
        }
        finish(q, reply, r->len);
        return;
    }
}

static void on_leaders(node_cluster *c, uint64_t from, const wire_leader *l, uint32_t n)
{
    /* Groups it no longer lists are no longer led by it. */
    for (size_t i = 0; i < c->hint_cap; i++)
        if (c->hints[i].leader == from) c->hints[i].leader = 0;
    for (uint32_t i = 0; i < n; i++) {
        leader_hint *h = hint_at(c, l[i].group);
        if (h && l[i].term >= h->term) {
            h->term = l[i].term;
            h->leader = (raft_id)from;
            h->keys = l[i].keys;
            h->expires = l[i].expires;
        }
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
        while (rv == 0 &&
               (rv = wire_raft_iter_next(&it, &c->limits, &c->scratch, &m, &err)) == 1) {
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
    if (type == WIRE_LEADERS) {
        const wire_leader *l;
        uint32_t n;
        int rv = wire_decode_leaders(payload, len, &c->scratch, &l, &n, &err);
        if (rv != 0) return rv;
        on_leaders(c, from, l, n);
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
        finish_error(q,
                     q->kind == REQ_READ
                         ? "TRYAGAIN the link to the replica broke before it answered"
                         : "TRYAGAIN the link to the leader broke; the write may or may "
                           "not have been applied");
    }
}

static void on_link(void *priv, uint64_t node_id, bool up)
{
    node_cluster *c = priv;
    if (up || c->host == NULL) return;
    group_host_wake_all(c->host); /* a hibernating group's leader may be gone */
    for (size_t i = 0; i < group_host_count(c->host); i++)
        raft_report_unreachable(group_raft(group_host_at(c->host, i)), node_id);
    for (size_t i = 0; i < c->hint_cap; i++)
        if (c->hints[i].leader == node_id) c->hints[i].leader = 0;
    fail_forwarded_to(c, node_id);
}

/* ---- The meta group: registration, initial shards, local groups ---------------------
 */

void cluster_log_refusal(enum log_level level, const char *what, const char *reply,
                         size_t len)
{
    if (len > 0 && reply[0] == '-')
        log_msg(level, "%s: %.*s", what, (int)(len > 2 ? len - 2 : len), reply);
}

static void meta_request_done(void *arg, const char *reply, size_t len)
{
    (void)arg;
    cluster_log_refusal(LOG_VERBOSE, "meta change refused", reply, len);
}

/* Proposes a meta change through the meta leader. done(arg, reply) gets
 * +OK or the refusal. */
void cluster_meta_submit(node_cluster *c, const meta_cmd *mc, int proto,
                         req_done_fn *done, void *arg)
{
    buf enc = BUF_INIT;
    meta_encode(mc, &enc);
    cmd_arg a = {enc.data, enc.len};
    request *r = request_new(c, NULL, proto, node_now_ms(), &a, 1, done, arg);
    buf_free(&enc);
    r->kind = REQ_META;
    r->group = GROUP_META;
    submit(c, r);
}

/* The layout of a new cluster: `shards` shards with equal slot ranges,
 * replicas on consecutive nodes (by id) so that every node gets the same
 * number of replicas; R capped at the number of nodes. Fills cmds (room
 * for shards + 1) and returns how many. */
static size_t plan_layout(const meta_state *m, uint32_t shards, uint32_t replicas,
                          meta_cmd *cmds)
{
    uint64_t nodes[CLUSTER_PEERS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < m->node_count && n < CLUSTER_PEERS_MAX; i++)
        if (m->nodes[i].state == META_NODE_UP) nodes[n++] = m->nodes[i].id;
    if (n == 0 || shards == 0) return 0;
    if (replicas > n) replicas = (uint32_t)n;
    if (replicas > META_MAX_REPLICAS) replicas = META_MAX_REPLICAS;
    size_t k = 0;
    cmds[k++] = (meta_cmd){.op = META_SET_REPLICAS, .replicas = replicas};
    uint64_t base = meta_next_shard_id(m);
    for (uint32_t i = 0; i < shards; i++) {
        meta_cmd *mc = &cmds[k++];
        *mc = (meta_cmd){.op = META_SHARD_CREATE, .shard = base + i, .range_count = 1};
        mc->ranges[0].first = (uint16_t)((uint64_t)i * CLUSTER_SLOTS / shards);
        mc->ranges[0].last = (uint16_t)((uint64_t)(i + 1) * CLUSTER_SLOTS / shards - 1);
        mc->voter_count = replicas;
        for (uint32_t j = 0; j < replicas; j++)
            mc->voters[j] = nodes[(i + j) % n];
    }
    return k;
}

/* CLUSTER CREATE and the automatic first layout: one gather of meta
 * proposals, answered +OK once all applied (or with the first refusal). */
static int create_shards(node_cluster *c, uint32_t shards, uint32_t replicas, int proto,
                         req_done_fn *done, void *arg)
{
    const meta_state *m = cluster_map(c);
    if (m->shard_count > 0) return POLIS_EEXISTS;
    meta_cmd *cmds = mem_alloc((shards + 1) * sizeof *cmds);
    size_t n = plan_layout(m, shards, replicas, cmds);
    if (n == 0) {
        mem_free(cmds);
        return POLIS_EBUSY;
    }
    gather *g = gather_new(c, GATHER_OK, proto, n, done, arg);
    for (size_t i = 0; i < n; i++) {
        gather_part *p = mem_alloc(sizeof *p);
        *p = (gather_part){g, i};
        cluster_meta_submit(c, &cmds[i], proto, gather_part_done, p);
    }
    mem_free(cmds);
    return 0;
}

static void created(void *arg, const char *reply, size_t len)
{
    node_cluster *c = arg;
    c->creating = false;
    cluster_log_refusal(LOG_NOTICE, "initial shards not created", reply, len);
}

/* Every node makes sure the meta state knows it; the meta leader creates
 * the first shards once every node of the peer list has registered. */
static void maintain_meta(node_cluster *c, uint64_t now)
{
    if (now - c->register_ms < REGISTER_EVERY_MS) return;
    c->register_ms = now;
    const meta_state *m = cluster_map(c);
    raft_id meta_leader = group_leader(c->meta);
    if (meta_leader == 0) return;
    if (meta_node_find(m, c->node_id) == NULL) {
        meta_cmd mc = {.op = META_NODE_ADD, .node = c->node_id};
        snprintf(mc.addr, sizeof mc.addr, "%s", c->client_addr);
        snprintf(mc.peer_addr, sizeof mc.peer_addr, "%s", c->peer_addr[0]);
        for (size_t i = 0; i < c->peer_count; i++)
            if (c->peer_ids[i] == c->node_id)
                snprintf(mc.peer_addr, sizeof mc.peer_addr, "%s", c->peer_addr[i]);
        snprintf(mc.zone, sizeof mc.zone, "%.*s", (int)META_ZONE_MAX,
                 c->server->cfg.zone);
        cluster_meta_submit(c, &mc, 2, meta_request_done, c);
        return;
    }
    int64_t shards = c->server->cfg.cluster_shards;
    if (meta_leader != c->node_id || m->shard_count > 0 || shards == 0 || c->creating)
        return;
    for (size_t i = 0; i < c->initial_peers; i++)
        if (meta_node_find(m, c->peer_ids[i]) == NULL) return; /* not everyone yet */
    if (create_shards(c, (uint32_t)shards, (uint32_t)c->server->cfg.cluster_replicas, 2,
                      created, c) == 0)
        c->creating = true;
}

/* Tells every peer which groups this node leads: when that changed, and
 * every LEADERS_REFRESH_MS. */
static void announce_leaders(node_cluster *c, uint64_t now)
{
    uint64_t gen = group_host_leadership_gen(c->host);
    if (gen == c->leaders_gen && now - c->leaders_sent_ms < LEADERS_REFRESH_MS) return;
    c->leaders_gen = gen;
    size_t n = group_host_count(c->host);
    wire_leader *l = mem_alloc((n ? n : 1) * sizeof *l);
    uint32_t count = 0;
    uint64_t sig = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        node_group *g = group_host_at(c->host, i);
        raft *r = group_raft(g);
        if (raft_role_of(r) != RAFT_LEADER) continue;
        const kv_keyspace *ks = group_meta(g) ? NULL : group_keyspace(g);
        l[count++] = (wire_leader){group_id(g), raft_term_of(r), ks ? kv_size(ks) : 0,
                                   ks ? ks->volatile_count : 0};
        sig = rng_mix64(sig ^ group_id(g) ^ (raft_term_of(r) << 20));
    }
    if (sig != c->leaders_sig || now - c->leaders_sent_ms >= LEADERS_REFRESH_MS) {
        buf b = BUF_INIT;
        wire_encode_leaders(&b, l, count);
        for (size_t i = 0; i < c->peer_count; i++)
            if (c->peer_ids[i] != c->node_id)
                peer_send(c->net, c->peer_ids[i], WIRE_LEADERS, b.data, b.len);
        buf_free(&b);
        c->leaders_sig = sig;
        c->leaders_sent_ms = now;
    }
    mem_free(l);
}

/* ---- The cluster timer: waiting requests, forwarded timeouts, stopping ------------ */

static void retry_waiting(node_cluster *c, uint64_t now)
{
    request *list = c->waiting;
    c->waiting = NULL;
    while (list) {
        request *r = list;
        list = r->next;
        if (r->group == UINT64_MAX) {
            route(c, r); /* waits again or times out there */
        } else if (now >= r->deadline_ms) {
            finish_error(r, "CLUSTERDOWN The cluster is down (no leader)");
        } else if (!dispatch(c, r)) {
            wait_for_route(c, r);
        }
    }
}

/* Forwarded requests whose receiver never answered, or whose leader lost
 * its leadership. */
static void expire_forwarded(node_cluster *c, uint64_t now)
{
    for (request **link = &c->forwarded; *link;) {
        request *q = *link;
        uint64_t limit = q->deadline_ms + c->server->cfg.cluster_leader_wait_ms * 2u;
        /* The leader it went to lost its leadership (or we lost it): the
         * answer may never come; say so now rather than at the deadline. */
        raft_id leader = cluster_leader_of(c, q->group);
        bool moved = q->kind != REQ_READ && leader != 0 && leader != q->to;
        if (now < limit && !moved) {
            link = &q->next;
            continue;
        }
        *link = q->next;
        finish_error(q,
                     q->kind == REQ_READ
                         ? "TRYAGAIN the replica did not answer in time"
                         : "TRYAGAIN the leader did not answer in time; the write may or "
                           "may not have been applied");
    }
}

/* The leader of each shard evicts by proposing deletes (followers never
 * evict), from the groups this node leads in turn. */
static void evict(node_cluster *c)
{
    node_server *s = c->server;
    if (!node_over_maxmemory(s) || s->cfg.maxmemory_policy == KV_EVICT_NOEVICTION) return;
    size_t n = group_host_count(c->host);
    for (size_t i = 0; i < n; i++) {
        node_group *g = group_host_at(c->host, i);
        if (group_meta(g) || raft_role_of(group_raft(g)) != RAFT_LEADER) continue;
        node_access_mode(s, group_keyspace(g));
        if (node_evict_propose(s, g, node_now_ms(), 200) > 0) break;
    }
}

static bool leads_any(node_cluster *c)
{
    for (size_t i = 0; i < group_host_count(c->host); i++)
        if (raft_role_of(group_raft(group_host_at(c->host, i))) == RAFT_LEADER)
            return true;
    return false;
}

static void on_timer(uv_timer_t *t)
{
    node_cluster *c = t->data;
    uint64_t now = uv_now(c->loop);
    if (group_host_meta_changed(c->host)) shards_reconcile(c);
    maintain_meta(c, now);
    shards_tick(c, now);
    announce_leaders(c, now);
    retry_waiting(c, now);
    expire_forwarded(c, now);
    evict(c);
    if (c->stop_done) {
        /* Hand over every group this node leads, then stop. */
        for (size_t i = 0; i < group_host_count(c->host); i++)
            group_transfer_leadership(group_host_at(c->host, i));
        if (!leads_any(c) || now >= c->stop_deadline) {
            void (*done)(void *) = c->stop_done;
            c->stop_done = NULL;
            done(c->stop_arg);
        }
    }
}

/* Runs every loop iteration before the group host's pass (started after
 * it), so that requests waiting for a leader or a map go out in the
 * iteration that learned of one, not at the next timer tick. */
static void on_wake(uv_check_t *h)
{
    node_cluster *c = h->data;
    if (group_host_meta_changed(c->host)) shards_reconcile(c);
    if (c->waiting) retry_waiting(c, uv_now(c->loop));
}

/* ---- Lifecycle ------------------------------------------------------------------------
 */

int cluster_start(node_server *s, node_cluster **out)
{
    node_config *cfg = &s->cfg;
    node_cluster *c = mem_calloc(1, sizeof *c);
    c->server = s;
    c->loop = s->loop;
    c->node_id = (raft_id)cfg->node_id;
    wire_limits_default(&c->limits);
    int rv = parse_peers(c, cfg->peers);
    c->initial_peers = c->peer_count;
    const char *self = rv == 0 ? addr_of(c, c->node_id) : NULL;
    if (rv != 0 || self == NULL) {
        log_warning(
            "bad --peers '%s': expected id=ip:port,... including this node (%lld)",
            cfg->peers, (long long)cfg->node_id);
        mem_free(c);
        return POLIS_ECONFIG;
    }
    c->cluster_id =
        cfg->cluster_id ? (uint64_t)cfg->cluster_id : derive_cluster_id(cfg->peers);
    write_cluster_conf(cfg, c->cluster_id);
    /* The address clients reach this node at (CLUSTER SLOTS, -MOVED). */
    char host[64];
    size_t hl = strcspn(cfg->bind, " ,");
    snprintf(host, sizeof host, "%.*s", (int)(hl < sizeof host ? hl : sizeof host - 1),
             cfg->bind);
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        snprintf(host, sizeof host, "127.0.0.1");
    snprintf(c->client_addr, sizeof c->client_addr,
             strchr(host, ':') ? "[%s]:%lld" : "%s:%lld", host, (long long)cfg->port);

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
                    werr.path[0] ? " in " : "", werr.path,
                    (unsigned long long)werr.offset, werr.reason);
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
        if (c->peer_ids[i] != c->node_id)
            peer_net_add(c->net, c->peer_ids[i], c->peer_addr[i]);

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
    if (rv == 0 && cfg->cluster_join) {
        /* Joining a running cluster: the meta group's leader fills this
         * replica once the node is in the map (CLUSTER ADDNODE). */
        rv = group_create(c->host, GROUP_META, NULL);
        if (rv == POLIS_EEXISTS) rv = 0;
    } else if (rv == 0) {
        /* The meta group: voters on the first META_VOTERS_MAX nodes by id,
         * the others learners. */
        raft_conf meta = {0};
        raft_id ids[RAFT_NODES_MAX];
        memcpy(ids, c->peer_ids, c->peer_count * sizeof ids[0]);
        for (size_t i = 1; i < c->peer_count; i++)
            for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
                raft_id t = ids[j];
                ids[j] = ids[j - 1];
                ids[j - 1] = t;
            }
        for (size_t i = 0; i < c->peer_count; i++) {
            if (i < META_VOTERS_MAX)
                meta.voters[meta.voter_count++] = ids[i];
            else
                meta.learners[meta.learner_count++] = ids[i];
        }
        rv = group_create(c->host, GROUP_META, &meta);
        if (rv == POLIS_EEXISTS) rv = 0;
    }
    if (rv != 0) {
        log_warning("cannot start the meta group: %s", polis_strerror(rv));
        return rv; /* the caller stops the node */
    }
    c->meta = group_find(c->host, GROUP_META);
    kv_init(&c->empty, 1);
    /* Shards recovered from the WAL run already; the map (recovered with
     * the meta group) may name more. */
    shards_reconcile(c);
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
    bool handing_over = false;
    for (size_t i = 0; i < group_host_count(c->host); i++)
        handing_over |= group_transfer_leadership(group_host_at(c->host, i));
    if (!handing_over) {
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
    kv_destroy(&c->empty);
    mem_free(c->hints);
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
        finish_error(r, "CLUSTERDOWN the node is shutting down");
    }
    while (c->forwarded) {
        /* Sent to the leader: it may still commit it. */
        request *r = c->forwarded;
        c->forwarded = r->next;
        finish_error(r, r->kind == REQ_READ
                            ? "TRYAGAIN the node is shutting down"
                            : "TRYAGAIN the node is shutting down; the write "
                              "may or may not have been applied");
    }
    c->closing_parts = 4;
    group_host_close(c->host);
    uv_close((uv_handle_t *)&c->timer, handle_closed);
    uv_close((uv_handle_t *)&c->wake, handle_closed);
    peer_net_close(c->net, net_closed);
    wal_close(c->w, wal_closed, c);
}

/* The first shard's group this node holds (lowest id), NULL if none. */
static node_group *first_shard(node_cluster *c)
{
    node_group *best = NULL;
    for (size_t i = 0; i < group_host_count(c->host); i++) {
        node_group *g = group_host_at(c->host, i);
        if (group_meta(g) == NULL && (best == NULL || group_id(g) < group_id(best)))
            best = g;
    }
    return best;
}

kv_keyspace *cluster_keyspace(node_cluster *c)
{
    node_group *g = first_shard(c);
    return g ? group_keyspace(g) : &c->empty;
}

/* Every shard of the map: its replica here if there is one, else what its
 * leader last announced (at most LEADERS_REFRESH_MS old). */
void cluster_keyspace_totals(node_cluster *c, size_t *keys, size_t *expires)
{
    *keys = *expires = 0;
    const meta_state *m = cluster_map(c);
    for (size_t i = 0; i < m->shard_count; i++) {
        node_group *g = group_find(c->host, m->shards[i].id);
        if (g != NULL) {
            *keys += kv_size(group_keyspace(g));
            *expires += group_keyspace(g)->volatile_count;
        } else if (m->shards[i].id < c->hint_cap) {
            *keys += (size_t)c->hints[m->shards[i].id].keys;
            *expires += (size_t)c->hints[m->shards[i].id].expires;
        }
    }
}

static void info_group(node_cluster *c, node_group *g, buf *out)
{
    raft *r = group_raft(g);
    const char *role =
        raft_role_of(r) == RAFT_LEADER ? "leader" : raft_role_name(raft_role_of(r));
    buf_append_fmt(out,
                   "role:%s\r\n"
                   "node_id:%llu\r\n"
                   "group:%llu\r\n"
                   "term:%llu\r\n"
                   "leader:%llu\r\n"
                   "commit_index:%llu\r\n"
                   "applied_index:%llu\r\n"
                   "last_index:%llu\r\n",
                   raft_role_of(r) == RAFT_LEADER ? "master" : "slave",
                   (unsigned long long)c->node_id, (unsigned long long)group_id(g),
                   (unsigned long long)raft_term_of(r),
                   (unsigned long long)raft_leader(r),
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
        buf_append_fmt(
            out, "follower_%llu:match=%llu,lag=%llu,state=%s,last_contact_ms=%lld\r\n",
            (unsigned long long)prs[i].id, (unsigned long long)prs[i].match,
            (unsigned long long)(raft_last_index(r) - prs[i].match),
            prs[i].state == 0   ? "probe"
            : prs[i].state == 1 ? "replicate"
                                : "snapshot",
            ago);
    }
}

/* INFO replication: the first shard's group as the node's "replication"
 * (what single-shard tools read), then one line per group it holds. */
void cluster_info_replication(node_cluster *c, buf *out)
{
    buf_append_str(out, "# Replication\r\n");
    node_group *first = first_shard(c);
    if (first) {
        info_group(c, first, out);
    } else {
        /* No shard here yet: no data leader to report. */
        buf_append_fmt(out,
                       "role:slave\r\nnode_id:%llu\r\ngroup:0\r\nterm:0\r\nleader:0\r\n"
                       "commit_index:0\r\napplied_index:0\r\nlast_index:0\r\n"
                       "raft_role:none\r\n",
                       (unsigned long long)c->node_id);
    }
    const meta_state *m = cluster_map(c);
    buf_append_fmt(out, "meta_leader:%llu\r\nmeta_epoch:%llu\r\nshards:%zu\r\n",
                   (unsigned long long)group_leader(c->meta),
                   (unsigned long long)m->epoch, m->shard_count);
    for (size_t i = 0; i < group_host_count(c->host); i++) {
        node_group *g = group_host_at(c->host, i);
        raft *r = group_raft(g);
        buf_append_fmt(
            out,
            "group_%llu:role=%s,leader=%llu,term=%llu,commit=%llu,applied=%llu,keys=%zu,"
            "hibernating=%d\r\n",
            (unsigned long long)group_id(g),
            raft_role_of(r) == RAFT_LEADER ? "leader" : raft_role_name(raft_role_of(r)),
            (unsigned long long)raft_leader(r), (unsigned long long)raft_term_of(r),
            (unsigned long long)raft_commit_index(r),
            (unsigned long long)raft_applied_index(r),
            group_meta(g) ? (size_t)0 : kv_size(group_keyspace(g)),
            group_hibernating(g) ? 1 : 0);
    }
}

size_t cluster_log_bytes(node_cluster *c)
{
    wal_stats st;
    wal_stats_get(c->w, &st);
    size_t raft_bytes = 0;
    for (size_t i = 0; i < group_host_count(c->host); i++)
        raft_bytes += raft_log_bytes(group_raft(group_host_at(c->host, i)));
    return raft_bytes + (size_t)(st.cache_bytes + st.index_bytes);
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
                   (unsigned long long)st.queued_bytes,
                   (unsigned long long)st.segment_count);
}
