/* cluster/topology.c - Redis Cluster's topology replies (topology.h).
 *
 * The reply shapes are Redis 7's (cluster.c: clusterCommandSlots,
 * addNodeToNodeReply, addNodeDetailsToShardReply, clusterGenNodeDescription,
 * genClusterInfoString), field for field and in the same order, because
 * clients index into them by position. */
#include "cluster/topology.h"

#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

/* ---- Names ----------------------------------------------------------------- */

#define NAME_ID_DIGITS  16u /* a uint64_t in hex */
#define NAME_PAD_DIGITS (TOPO_NODE_NAME_LEN - NAME_ID_DIGITS)

void topo_node_name(uint64_t id, char out[TOPO_NODE_NAME_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    memset(out, '0', NAME_PAD_DIGITS);
    for (unsigned i = 0; i < NAME_ID_DIGITS; i++)
        out[TOPO_NODE_NAME_LEN - 1 - i] = hex[(id >> (4 * i)) & 0xf];
    out[TOPO_NODE_NAME_LEN] = '\0';
}

bool topo_node_id(const char *name, size_t len, uint64_t *id)
{
    PASSERT(id != NULL);
    if (name == NULL || len != TOPO_NODE_NAME_LEN) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        unsigned digit;
        if (c >= '0' && c <= '9') {
            digit = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = (unsigned)(c - 'a' + 10);
        } else {
            return false;
        }
        /* The padding must be zeros: one name per id, so that a name
         * parses only if topo_node_name gives it back. */
        if (i < NAME_PAD_DIGITS) {
            if (digit != 0) return false;
            continue;
        }
        v = (v << 4) | digit;
    }
    if (v == 0) return false;
    *id = v;
    return true;
}

/* ---- Addresses ------------------------------------------------------------- */

typedef struct topo_addr {
    char host[META_ADDR_MAX + 1]; /* without brackets */
    uint16_t port;                /* 1..65535 */
} topo_addr;

static bool port_parse(const char *s, uint16_t *port)
{
    size_t len = strlen(s);
    if (len == 0 || len > 5) return false;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v == 0 || v > 65535) return false;
    *port = (uint16_t)v;
    return true;
}

/* Splits "host:port" or "[v6]:port" (an unbracketed v6 host splits at its
 * last colon, as redis-cli reads CLUSTER NODES). The host may be empty:
 * Redis clients then use the address they reached the cluster at. */
static bool addr_split(const char *addr, topo_addr *out)
{
    size_t len = strnlen(addr, META_ADDR_MAX + 1);
    if (len > META_ADDR_MAX) return false;
    const char *host = addr, *colon;
    size_t host_len;
    if (addr[0] == '[') {
        const char *close = memchr(addr, ']', len);
        if (close == NULL || close[1] != ':') return false;
        host = addr + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL) return false;
        host_len = (size_t)(colon - addr);
    }
    if (!port_parse(colon + 1, &out->port)) return false;
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    return true;
}

/* ---- The shape of a shard -------------------------------------------------- */

uint64_t topo_serving_node(const topo_view *v, const meta_shard *s)
{
    PASSERT(v != NULL);
    PASSERT(s != NULL);
    if (s->voter_count == 0) return 0;
    uint64_t leader = v->leader_of ? v->leader_of(v->priv, s->id) : 0;
    /* A leader the meta state no longer lists as a voter (it was removed,
     * or the leader report is older than the state) is not shown: clients
     * would be sent to a node that will only redirect them. */
    if (leader != 0 && meta_shard_has_voter(s, leader)) return leader;
    return s->voters[0];
}

/* A voter as the replies show it; only voters with a parsable address. */
typedef struct topo_member {
    const meta_node *node;
    topo_addr addr;
    char name[TOPO_NODE_NAME_LEN + 1];
} topo_member;

static bool member_of(const meta_state *m, uint64_t id, topo_member *out)
{
    out->node = meta_node_find(m, id);
    if (out->node == NULL || !addr_split(out->node->addr, &out->addr)) return false;
    topo_node_name(id, out->name);
    return true;
}

/* The shard's voters, serving node first, then the others in voter order;
 * nodes missing from the state or without a usable address are skipped.
 * Returns how many were written to out (at most META_MAX_VOTERS). */
static uint32_t shard_members(const topo_view *v, const meta_shard *s,
                              topo_member out[META_MAX_VOTERS], uint64_t *serving)
{
    PASSERT(s->voter_count <= META_MAX_VOTERS);
    *serving = topo_serving_node(v, s);
    uint32_t n = 0;
    if (*serving != 0 && member_of(v->m, *serving, &out[n])) n++;
    for (uint32_t i = 0; i < s->voter_count; i++) {
        if (s->voters[i] == *serving) continue;
        if (member_of(v->m, s->voters[i], &out[n])) n++;
    }
    PASSERT(n <= META_MAX_VOTERS);
    return n;
}

/* The last slot of the run of slots starting at `first` that have the same
 * owner. Since a shard's ranges are neither overlapping nor adjacent, the
 * runs with an owner are exactly the shards' ranges, in slot order. */
static uint32_t owner_run_last(const meta_state *m, uint32_t first)
{
    PASSERT(first < CLUSTER_SLOTS);
    uint32_t last = first;
    while (last + 1 < CLUSTER_SLOTS && m->owner[last + 1] == m->owner[first])
        last++;
    return last;
}

static const meta_shard *owner_shard(const meta_state *m, uint32_t slot)
{
    return m->owner[slot] == 0 ? NULL : meta_shard_find(m, m->owner[slot]);
}

/* ---- CLUSTER SLOTS ---------------------------------------------------------- */

/* One node of an entry, as addNodeToNodeReply writes it with the default
 * cluster-preferred-endpoint-type (ip) and no hostname: ip, port, name,
 * and an empty map of further endpoints (%0 in RESP3, *0 in RESP2). */
static void slots_node(resp_writer *w, const topo_member *mb)
{
    resp_array(w, 4);
    resp_bulk_cstr(w, mb->addr.host);
    resp_int(w, mb->addr.port);
    resp_bulk(w, mb->name, TOPO_NODE_NAME_LEN);
    resp_map(w, 0);
}

void topo_cluster_slots(const topo_view *v, resp_writer *w)
{
    PASSERT(v != NULL && v->m != NULL);
    const meta_state *m = v->m;
    size_t mark = resp_defer(w);
    size_t entry_count = 0;
    for (uint32_t first = 0; first < CLUSTER_SLOTS;) {
        uint32_t last = owner_run_last(m, first);
        const meta_shard *s = owner_shard(m, first);
        topo_member members[META_MAX_VOTERS];
        uint64_t serving;
        uint32_t n = s ? shard_members(v, s, members, &serving) : 0;
        /* A range nobody can serve is left out, as Redis leaves out
         * unassigned slots: clients then see the slots uncovered. */
        if (n > 0) {
            resp_array(w, 2 + (size_t)n);
            resp_int(w, first);
            resp_int(w, last);
            for (uint32_t i = 0; i < n; i++)
                slots_node(w, &members[i]);
            entry_count++;
        }
        first = last + 1;
    }
    resp_defer_array(w, mark, entry_count);
}

/* ---- CLUSTER SHARDS --------------------------------------------------------- */

/* addNodeDetailsToShardReply's fields in its order; "tls-port" and
 * "hostname" are left out as Redis leaves them out when unset. Redis sends
 * health "fail" (not the "failed" its documentation says) for a failed
 * node; a node that is draining or removed is reported so, since it is
 * leaving and clients should move their traffic away from it. Replication
 * offsets are not meaningful across Raft groups: 0. */
static void shards_node(resp_writer *w, const topo_member *mb, bool serving)
{
    resp_map(w, 7);
    resp_bulk_cstr(w, "id");
    resp_bulk(w, mb->name, TOPO_NODE_NAME_LEN);
    resp_bulk_cstr(w, "port");
    resp_int(w, mb->addr.port);
    resp_bulk_cstr(w, "ip");
    resp_bulk_cstr(w, mb->addr.host);
    resp_bulk_cstr(w, "endpoint");
    resp_bulk_cstr(w, mb->addr.host);
    resp_bulk_cstr(w, "role");
    resp_bulk_cstr(w, serving ? "master" : "replica");
    resp_bulk_cstr(w, "replication-offset");
    resp_int(w, 0);
    resp_bulk_cstr(w, "health");
    resp_bulk_cstr(w, mb->node->state == META_NODE_UP ? "online" : "fail");
}

void topo_cluster_shards(const topo_view *v, resp_writer *w)
{
    PASSERT(v != NULL && v->m != NULL);
    const meta_state *m = v->m;
    resp_array(w, m->shard_count);
    for (size_t i = 0; i < m->shard_count; i++) {
        const meta_shard *s = &m->shards[i];
        topo_member members[META_MAX_VOTERS];
        uint64_t serving;
        uint32_t n = shard_members(v, s, members, &serving);
        resp_map(w, 2);
        resp_bulk_cstr(w, "slots");
        resp_array(w, 2 * (size_t)s->range_count);
        for (uint32_t r = 0; r < s->range_count; r++) {
            resp_int(w, s->ranges[r].first);
            resp_int(w, s->ranges[r].last);
        }
        resp_bulk_cstr(w, "nodes");
        resp_array(w, n);
        for (uint32_t j = 0; j < n; j++)
            shards_node(w, &members[j], members[j].node->id == serving);
    }
}

/* ---- CLUSTER NODES ---------------------------------------------------------- */

/* Slots a node serves, merged across shards: Redis prints a node's slots
 * from its slot bitmap, so two adjacent ranges of one node are one. */
typedef struct topo_run {
    uint32_t first, last;
    uint64_t node;
} topo_run;

/* The runs of slots served by one node, in slot order, into a mem_alloc'd
 * array the caller frees; returns how many. */
static size_t serving_runs(const topo_view *v, topo_run **out)
{
    const meta_state *m = v->m;
    size_t cap = 0;
    for (uint32_t first = 0; first < CLUSTER_SLOTS; first = owner_run_last(m, first) + 1)
        cap++;
    topo_run *runs = mem_alloc(cap * sizeof *runs);
    size_t n = 0;
    for (uint32_t first = 0; first < CLUSTER_SLOTS;) {
        uint32_t last = owner_run_last(m, first);
        const meta_shard *s = owner_shard(m, first);
        uint64_t node = s ? topo_serving_node(v, s) : 0;
        if (node != 0 && n > 0 && runs[n - 1].node == node &&
            runs[n - 1].last + 1 == first) {
            runs[n - 1].last = last;
        } else if (node != 0) {
            PASSERT(n < cap);
            runs[n++] = (topo_run){first, last, node};
        }
        first = last + 1;
    }
    *out = runs;
    return n;
}

/* The port of an address, 0 if it has none that parses. */
static uint16_t addr_port(const char *addr)
{
    topo_addr a;
    return addr_split(addr, &a) ? a.port : 0;
}

/* One line in clusterGenNodeDescription's format:
 *   <name> <ip>:<port>@<cport> <flags> <master> <ping-sent> <pong-recv>
 *   <config-epoch> <link-state> <slot-range>...
 * Every node is a master (it leads the groups of the shards it serves, and
 * a node serving nothing is a master without slots, as in Redis), so the
 * master field is "-". A draining node gets no flag of its own: Redis has
 * none that means "leaving, still serving", and clients only need to know
 * where slots are. A node without a usable client address is shown as
 * Redis shows one, with the noaddr flag and ":0". No clock here: the ping
 * and pong times are 0, as Redis shows them for its own line. */
static void nodes_line(const topo_view *v, const meta_node *n, const topo_run *runs,
                       size_t run_count, buf *out)
{
    char name[TOPO_NODE_NAME_LEN + 1];
    topo_node_name(n->id, name);
    topo_addr a;
    bool has_addr = addr_split(n->addr, &a);
    buf_append(out, name, TOPO_NODE_NAME_LEN);
    buf_append_char(out, ' ');
    buf_append_str(out, has_addr ? a.host : "");
    buf_append_char(out, ':');
    buf_append_u64(out, has_addr ? a.port : 0);
    buf_append_char(out, '@');
    buf_append_u64(out, addr_port(n->peer_addr));
    buf_append_str(out, n->id == v->self ? " myself,master" : " master");
    if (!has_addr) buf_append_str(out, ",noaddr");
    buf_append_str(out, " - 0 0 ");
    buf_append_u64(out, v->m->epoch);
    buf_append_str(out, " connected");
    for (size_t i = 0; i < run_count; i++) {
        if (runs[i].node != n->id) continue;
        buf_append_char(out, ' ');
        buf_append_u64(out, runs[i].first);
        if (runs[i].last != runs[i].first) {
            buf_append_char(out, '-');
            buf_append_u64(out, runs[i].last);
        }
    }
    buf_append_char(out, '\n');
}

void topo_cluster_nodes(const topo_view *v, buf *out)
{
    PASSERT(v != NULL && v->m != NULL);
    topo_run *runs;
    size_t run_count = serving_runs(v, &runs);
    for (size_t i = 0; i < v->m->node_count; i++) {
        const meta_node *n = &v->m->nodes[i];
        if (n->state == META_NODE_REMOVED) continue;
        nodes_line(v, n, runs, run_count, out);
    }
    mem_free(runs);
}

/* ---- CLUSTER INFO ----------------------------------------------------------- */

static void info_line(buf *out, const char *field, uint64_t value)
{
    buf_append_str(out, field);
    buf_append_char(out, ':');
    buf_append_u64(out, value);
    buf_append_str(out, "\r\n");
}

/* genClusterInfoString's first nine fields, then polis's own. A slot is
 * ok when its shard has a voter (a group that can elect a leader); slots
 * of a shard without one count as failed. pfail has no equivalent: the
 * meta state decides, not gossip. cluster_size is, as in Redis, the
 * number of shards serving at least one slot; the epochs are the meta
 * state's, the one version of the whole map. */
void topo_cluster_info(const topo_view *v, buf *out)
{
    PASSERT(v != NULL && v->m != NULL);
    const meta_state *m = v->m;
    uint64_t assigned = 0, ok = 0, known = 0, size = 0;
    for (uint32_t first = 0; first < CLUSTER_SLOTS;) {
        uint32_t last = owner_run_last(m, first);
        const meta_shard *s = owner_shard(m, first);
        if (m->owner[first] != 0) assigned += last - first + 1;
        if (s != NULL && s->voter_count > 0) ok += last - first + 1;
        first = last + 1;
    }
    for (size_t i = 0; i < m->node_count; i++)
        if (m->nodes[i].state != META_NODE_REMOVED) known++;
    for (size_t i = 0; i < m->shard_count; i++)
        if (m->shards[i].range_count > 0) size++;
    PASSERT(ok <= assigned);
    buf_append_str(out, ok == CLUSTER_SLOTS ? "cluster_state:ok\r\n"
                                            : "cluster_state:fail\r\n");
    info_line(out, "cluster_slots_assigned", assigned);
    info_line(out, "cluster_slots_ok", ok);
    info_line(out, "cluster_slots_pfail", 0);
    info_line(out, "cluster_slots_fail", assigned - ok);
    info_line(out, "cluster_known_nodes", known);
    info_line(out, "cluster_size", size);
    info_line(out, "cluster_current_epoch", m->epoch);
    info_line(out, "cluster_my_epoch", m->epoch);
    info_line(out, "cluster_shards", m->shard_count);
    info_line(out, "cluster_replicas", m->replicas);
    info_line(out, "cluster_meta_epoch", m->epoch);
}
