/* node/shards.c - the shards' placement on the running cluster (see
 * cluster_int.h and docs/design/009-partitioning.md).
 *
 * The meta state says where each shard's replicas should be; the groups
 * follow it in three loops, each driven by the cluster timer:
 *   - every node runs the groups the map gives it (a founding replica
 *     starts with the shard's first configuration, a replica added later
 *     starts empty and is filled by its leader: log or snapshot), retires
 *     the ones the map took away once its group has let it go, and keeps a
 *     peer link to every node of the map;
 *   - the leader of each shard changes its group's membership toward the
 *     map, one Raft configuration change at a time: add the new replica as
 *     a learner, record in the map that it caught up (META_LEARNER_PROMOTE),
 *     make it a voter, then remove the replica the map dropped (handing
 *     leadership away first if it is that replica);
 *   - the meta leader runs the planner (cluster/placement.c) and proposes
 *     its next change once the last one applied, and keeps the meta group
 *     itself on up to five up nodes (the others its learners).
 * Every node also evens out leadership: a node leading more shards than its
 * share hands one to a less loaded voter (placement_leader_move), at most
 * one per second.
 *
 * Splits (docs/design/009-partitioning.md, "Split"): the meta leader
 * records one (META_SHARD_SPLIT: on CLUSTER SPLIT, or when a shard's
 * leader reports more keys than split_keys); the parent's leader then
 * proposes the split entry in the parent's log, which makes the child on
 * every parent replica (node/group.c); once the child has a leader, it
 * records the split done (META_SPLIT_DONE). A node that holds the parent
 * never starts the child empty while its parent still serves the child's
 * slots: the parent's log will make it. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "cluster/placement.h"
#include "node/cluster_int.h"

#define META_GROUP_VOTERS 5
/* A learner within this many entries of the leader's log has caught up. */
#define CAUGHT_UP_ENTRIES 64
/* A replica the map dropped is retired this long after its group's
 * configuration no longer has it (time for the change to commit with its
 * acknowledgement), or this long after the map dropped it at the latest. */
#define RETIRE_GRACE_MS         2000
#define RETIRE_LATEST_MS        30000
#define PROMOTE_RETRY_MS        1000
#define SPLIT_RETRY_MS          1000
#define SPLIT_CHECK_EVERY_MS    1000
#define LEADER_BALANCE_EVERY_MS 1000
#define SWEEP_EVERY_MS          500

static bool has(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

static bool conf_has(const raft_id *ids, uint8_t n, raft_id id)
{
    for (uint8_t i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

static bool in_conf(const raft_conf *rc, raft_id id)
{
    return conf_has(rc->voters, rc->voter_count, id) ||
           conf_has(rc->voters_outgoing, rc->voter_outgoing_count, id) ||
           conf_has(rc->learners, rc->learner_count, id);
}

static bool is_replica(const meta_shard *s, uint64_t node)
{
    return has(s->voters, s->voter_count, node) ||
           has(s->learners, s->learner_count, node);
}

/* ---- Local groups and peer links ----------------------------------------------- */

static void link_nodes(node_cluster *c, const meta_state *m)
{
    for (size_t i = 0; i < m->node_count; i++) {
        const meta_node *n = &m->nodes[i];
        if (n->id == c->node_id || n->state == META_NODE_REMOVED) continue;
        bool known = false;
        for (size_t k = 0; k < c->peer_count && !known; k++)
            known = c->peer_ids[k] == n->id;
        if (known || c->peer_count == CLUSTER_PEERS_MAX) continue;
        c->peer_ids[c->peer_count] = n->id;
        snprintf(c->peer_addr[c->peer_count], sizeof c->peer_addr[0], "%s", n->peer_addr);
        c->peer_count++;
        peer_net_add(c->net, n->id, n->peer_addr);
        log_notice("node %llu joined the map (%s)", (unsigned long long)n->id,
                   n->peer_addr);
    }
}

static void slots_of(const meta_shard *s, slot_set *out)
{
    slot_set_clear(out);
    for (uint32_t r = 0; r < s->range_count; r++)
        slot_set_add_range(out, s->ranges[r].first, s->ranges[r].last);
}

/* A split's child is made here by its parent's log, if this node holds the
 * parent and the parent still serves the child's slots. */
static bool made_by_parent(node_cluster *c, const meta_shard *s)
{
    if (s->split_from == 0) return false;
    node_group *p = group_find(c->host, s->split_from);
    if (p == NULL) return false;
    slot_set slots;
    slots_of(s, &slots);
    return group_serves_any(p, &slots);
}

void shards_reconcile(node_cluster *c)
{
    const meta_state *m = cluster_map(c);
    c->sweep_due = true;
    link_nodes(c, m);
    for (size_t i = 0; i < m->shard_count; i++) {
        const meta_shard *s = &m->shards[i];
        if (!is_replica(s, c->node_id) || group_find(c->host, s->id)) continue;
        if (made_by_parent(c, s)) continue;
        /* A shard as created: its founding voters start it with the same
         * first configuration. A replica added since, or a split's child
         * on a node that will not apply the split, starts empty. */
        bool founding = s->epoch == 1 && s->split_from == 0 &&
                        has(s->voters, s->voter_count, c->node_id);
        raft_conf conf = {0};
        for (uint32_t v = 0; founding && v < s->voter_count && v < RAFT_NODES_MAX; v++)
            conf.voters[conf.voter_count++] = s->voters[v];
        int rv = group_create(c->host, s->id, founding ? &conf : NULL);
        if (rv != 0 && rv != POLIS_EEXISTS)
            log_warning("shard %llu: cannot start its group: %s",
                        (unsigned long long)s->id, polis_strerror(rv));
        else
            log_notice("shard %llu: replica started (%s)", (unsigned long long)s->id,
                       founding ? "founding" : "joining, filled by the leader");
        /* The layout rotates the first voter over the nodes: it stands
         * first, so that new shards' leaders start out spread. */
        node_group *g = founding && rv == 0 && s->voters[0] == c->node_id
                            ? group_find(c->host, s->id)
                            : NULL;
        if (g) group_campaign(g);
    }
}

/* Retires the groups whose shard the map no longer places here. */
static void retire_groups(node_cluster *c, uint64_t now)
{
    const meta_state *m = cluster_map(c);
    for (size_t i = 0; i < group_host_count(c->host); i++) {
        node_group *g = group_host_at(c->host, i);
        uint64_t id = group_id(g);
        if (group_meta(g)) continue;
        const meta_shard *s = meta_shard_find(m, id);
        leader_hint *h = id < c->hint_cap ? &c->hints[id] : NULL;
        if (s && is_replica(s, c->node_id)) {
            if (h) h->dropped_ms = h->released_ms = 0;
            continue;
        }
        if (m->shard_count == 0 || h == NULL) continue; /* map not applied yet */
        if (h->dropped_ms == 0) h->dropped_ms = now;
        const raft_conf *rc = raft_conf_of(group_raft(g));
        bool released = !conf_has(rc->voters, rc->voter_count, c->node_id) &&
                        !conf_has(rc->learners, rc->learner_count, c->node_id);
        if (released && h->released_ms == 0) h->released_ms = now;
        bool done = (released && now - h->released_ms >= RETIRE_GRACE_MS) ||
                    now - h->dropped_ms >= RETIRE_LATEST_MS;
        if (!done) continue;
        log_notice("shard %llu: replica retired from this node", (unsigned long long)id);
        h->dropped_ms = h->released_ms = 0;
        group_retire(c->host, id);
        i--; /* the host's array closed over it */
    }
}

/* ---- A shard leader's membership changes --------------------------------------- */

static bool caught_up(node_group *g, raft_id node)
{
    raft *r = group_raft(g);
    raft_progress_info prs[RAFT_NODES_MAX * 3];
    size_t n = raft_progress(r, prs, RAFT_NODES_MAX * 3);
    for (size_t i = 0; i < n && i < RAFT_NODES_MAX * 3; i++)
        if (prs[i].id == node)
            return prs[i].state == 1 &&
                   prs[i].match + CAUGHT_UP_ENTRIES >= raft_last_index(r);
    return false;
}

static int propose_change(node_group *g, uint8_t type, raft_id node)
{
    raft_conf_change ch = {type, node};
    int rv = group_propose_conf(g, &ch, 1);
    if (rv == 0)
        log_notice("group %llu: proposing %s node %llu", (unsigned long long)group_id(g),
                   type == RAFT_CONF_ADD_VOTER     ? "voter"
                   : type == RAFT_CONF_ADD_LEARNER ? "learner"
                                                   : "removal of",
                   (unsigned long long)node);
    return rv;
}

/* The best voter to hand leadership to: in the map's voters, caught up. */
static raft_id successor(node_cluster *c, node_group *g, const uint64_t *voters, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (voters[i] != c->node_id && caught_up(g, voters[i])) return voters[i];
    return 0;
}

static void promote_done(void *arg, const char *reply, size_t len)
{
    (void)arg;
    cluster_log_refusal(LOG_VERBOSE, "learner promotion refused", reply, len);
}

/* One step of a group this node leads toward the map's replicas: V voters
 * and L learners (the meta group passes its own targets). */
static void conform(node_cluster *c, node_group *g, const uint64_t *V, size_t nv,
                    const uint64_t *L, size_t nl, uint64_t now)
{
    const raft_conf *rc = raft_conf_of(group_raft(g));
    if (rc->voter_outgoing_count > 0) return; /* a change is still being made */
    for (size_t i = 0; i < nv + nl; i++) {
        uint64_t x = i < nv ? V[i] : L[i - nv];
        if (!in_conf(rc, x)) {
            propose_change(g, RAFT_CONF_ADD_LEARNER, x);
            return;
        }
    }
    for (size_t i = 0; i < nv; i++) {
        if (conf_has(rc->learners, rc->learner_count, V[i])) {
            propose_change(g, RAFT_CONF_ADD_VOTER, V[i]);
            return;
        }
    }
    for (uint8_t i = 0; i < rc->voter_count; i++) {
        raft_id x = rc->voters[i];
        if (has(V, nv, x)) continue;
        if (has(L, nl, x)) {
            propose_change(g, RAFT_CONF_ADD_LEARNER, x); /* demote */
            return;
        }
        if (x == c->node_id) {
            /* The leader itself leaves: hand over first. */
            raft_id to = successor(c, g, V, nv);
            if (to) group_transfer_to(g, to);
            return;
        }
        propose_change(g, RAFT_CONF_REMOVE, x);
        return;
    }
    for (uint8_t i = 0; i < rc->learner_count; i++) {
        if (!has(V, nv, rc->learners[i]) && !has(L, nl, rc->learners[i])) {
            propose_change(g, RAFT_CONF_REMOVE, rc->learners[i]);
            return;
        }
    }
    (void)now;
}

static void conform_shard(node_cluster *c, node_group *g, const meta_shard *s,
                          uint64_t now)
{
    conform(c, g, s->voters, s->voter_count, s->learners, s->learner_count, now);
    /* A learner that caught up is recorded in the map as ready: the planner
     * then makes it a voter and drops the replica it replaces. */
    const raft_conf *rc = raft_conf_of(group_raft(g));
    leader_hint *h = hint_at(c, s->id);
    for (uint32_t i = 0; i < s->learner_count && h; i++) {
        uint64_t x = s->learners[i];
        if (!conf_has(rc->learners, rc->learner_count, x) || !caught_up(g, x)) continue;
        if (now - h->promote_ms < PROMOTE_RETRY_MS) continue;
        h->promote_ms = now;
        meta_cmd mc = {
            .op = META_LEARNER_PROMOTE, .shard = s->id, .epoch = s->epoch, .node = x};
        cluster_meta_submit(c, &mc, 2, promote_done, c);
    }
}

/* ---- The meta group's own membership --------------------------------------------- */

/* Voters: the current ones that are up, then other up nodes by id, up to
 * five; learners: every other node of the map that is not removed. */
static void conform_meta(node_cluster *c, const meta_state *m, uint64_t now)
{
    if (m->node_count == 0) return;
    node_group *g = c->meta;
    const raft_conf *rc = raft_conf_of(group_raft(g));
    /* Founding nodes that have not registered yet keep their seat: the
     * map does not know them, which does not make them gone. */
    for (uint8_t i = 0; i < rc->voter_count; i++)
        if (meta_node_find(m, rc->voters[i]) == NULL) return;
    uint64_t V[META_GROUP_VOTERS], L[CLUSTER_PEERS_MAX];
    size_t nv = 0, nl = 0;
    for (uint8_t i = 0; i < rc->voter_count && nv < META_GROUP_VOTERS; i++) {
        const meta_node *n = meta_node_find(m, rc->voters[i]);
        if (n && n->state == META_NODE_UP) V[nv++] = n->id;
    }
    for (size_t i = 0; i < m->node_count; i++) {
        const meta_node *n = &m->nodes[i];
        if (n->state == META_NODE_REMOVED || has(V, nv, n->id)) continue;
        /* A new voter must have caught up first (it is a learner now). */
        bool ready = n->state == META_NODE_UP &&
                     conf_has(rc->learners, rc->learner_count, n->id) &&
                     caught_up(g, n->id);
        if (ready && nv < META_GROUP_VOTERS)
            V[nv++] = n->id;
        else if (nl < CLUSTER_PEERS_MAX)
            L[nl++] = n->id;
    }
    if (nv == 0) return;
    conform(c, g, V, nv, L, nl, now);
}

/* ---- The placement driver (meta leader) ---------------------------------------- */

static bool never_caught_up(void *priv, uint64_t shard, uint64_t node)
{
    /* Catch-up is reported by the shard's leader (META_LEARNER_PROMOTE). */
    (void)priv;
    (void)shard;
    (void)node;
    return false;
}

static void placement_done(void *arg, const char *reply, size_t len)
{
    node_cluster *c = arg;
    c->placing = false;
    cluster_log_refusal(LOG_NOTICE, "placement change refused", reply, len);
}

static void drive_placement(node_cluster *c, const meta_state *m)
{
    if (c->placing || m->shard_count == 0) return;
    meta_cmd mc;
    if (!placement_next(m, never_caught_up, c, &mc)) return;
    c->placing = true;
    cluster_meta_submit(c, &mc, 2, placement_done, c);
}

/* ---- Splits ------------------------------------------------------------------------ */

static void split_entry_done(void *arg, int status, const char *reply, size_t len)
{
    (void)arg;
    (void)status;
    cluster_log_refusal(LOG_VERBOSE, "split entry not applied", reply, len);
}

static void split_done_done(void *arg, const char *reply, size_t len)
{
    (void)arg;
    cluster_log_refusal(LOG_VERBOSE, "split completion refused", reply, len);
}

/* For each split under way: the parent's leader here proposes its entry
 * (again, after a leader change: applying it twice moves nothing), the
 * child's leader here records it done. */
static void drive_splits(node_cluster *c, const meta_state *m, uint64_t now)
{
    for (size_t i = 0; i < m->shard_count; i++) {
        const meta_shard *s = &m->shards[i];
        leader_hint *h = s->split_from ? hint_at(c, s->id) : NULL;
        if (h == NULL) continue;
        node_group *child = group_find(c->host, s->id);
        if (child && !group_unborn(child) &&
            raft_role_of(group_raft(child)) == RAFT_LEADER) {
            if (now - h->done_ms < SPLIT_RETRY_MS) continue;
            h->done_ms = now;
            meta_cmd mc = {.op = META_SPLIT_DONE, .shard = s->id, .epoch = s->epoch};
            cluster_meta_submit(c, &mc, 2, split_done_done, c);
            continue;
        }
        node_group *parent = group_find(c->host, s->split_from);
        if (parent == NULL || raft_role_of(group_raft(parent)) != RAFT_LEADER) continue;
        cmd_split sp = {.child = s->id};
        slots_of(s, &sp.slots);
        if (!group_serves_any(parent, &sp.slots) || now - h->split_ms < SPLIT_RETRY_MS)
            continue;
        h->split_ms = now;
        for (uint32_t v = 0; v < s->voter_count && v < RAFT_NODES_MAX; v++)
            sp.voters[sp.voter_count++] = s->voters[v];
        if (group_propose_split(parent, &sp, split_entry_done, c) == 0)
            log_notice("shard %llu: proposing its split into shard %llu",
                       (unsigned long long)s->split_from, (unsigned long long)s->id);
    }
}

/* Automatic splits, decided where the data is: every SIZE_CHECK_EVERY_MS a
 * shard's leader weighs its shard (keys, and bytes estimated from
 * SIZE_SAMPLES random keys) against the split thresholds in the map and,
 * past one, asks the meta group to split it at the slot where its keys
 * per slot come closest to half on each side. */
#define SIZE_CHECK_EVERY_MS 2000
#define SIZE_SAMPLES        64

static void size_split_done(void *arg, const char *reply, size_t len)
{
    node_cluster *c = arg;
    c->sizing = false;
    cluster_log_refusal(LOG_VERBOSE, "automatic split refused", reply, len);
}

static void check_size(node_cluster *c, const meta_state *m, node_group *g,
                       const meta_shard *s, uint64_t now)
{
    if ((m->split_keys == 0 && m->split_bytes == 0) || c->sizing) return;
    leader_hint *h = hint_at(c, s->id);
    if (h == NULL || now - h->sized_ms < SIZE_CHECK_EVERY_MS) return;
    h->sized_ms = now;
    const kv_keyspace *ks = group_keyspace(g);
    placement_shard_size sz = {.shard = s->id, .keys = kv_size(ks)};
    if (m->split_bytes) sz.bytes = kv_estimate_bytes(ks, &c->server->rng, SIZE_SAMPLES);
    if (!(m->split_keys && sz.keys > m->split_keys) &&
        !(m->split_bytes && sz.bytes > m->split_bytes))
        return;
    uint32_t *slot_keys = mem_calloc(CLUSTER_SLOTS, sizeof *slot_keys);
    for (uint32_t r = 0; r < s->range_count; r++)
        for (uint32_t slot = s->ranges[r].first; slot <= s->ranges[r].last; slot++)
            slot_keys[slot] = (uint32_t)kv_slot_size(ks, (uint16_t)slot);
    sz.slot_keys = slot_keys;
    meta_cmd mc;
    bool found = placement_split(m, &sz, 1, &mc);
    mem_free(slot_keys);
    if (!found) return;
    log_notice("shard %llu: %llu keys, about %llu bytes, over the split threshold: "
               "splitting at slot %u into shard %llu",
               (unsigned long long)s->id, (unsigned long long)sz.keys,
               (unsigned long long)sz.bytes, mc.split_at, (unsigned long long)mc.new_shard);
    c->sizing = true;
    cluster_meta_submit(c, &mc, 2, size_split_done, c);
}

bool shards_plan_split(node_cluster *c, uint64_t shard, uint32_t slot, meta_cmd *out,
                       const char **err)
{
    const meta_state *m = cluster_map(c);
    const meta_shard *s = meta_shard_find(m, shard);
    *err = NULL;
    if (s == NULL)
        *err = "ERR no such shard";
    else if (slot >= CLUSTER_SLOTS)
        *err = "ERR slot out of range";
    if (*err) return false;
    uint32_t total = 0, seen = 0;
    for (uint32_t r = 0; r < s->range_count; r++)
        total += s->ranges[r].last - s->ranges[r].first + 1u;
    /* Without a slot: where half of its slots are below. */
    for (uint32_t r = 0; r < s->range_count && slot == 0 && total >= 2; r++)
        for (uint32_t x = s->ranges[r].first; x <= s->ranges[r].last && slot == 0; x++)
            if (++seen > total / 2) slot = x;
    if (slot == 0) {
        *err = "ERR the shard has a single slot";
        return false;
    }
    memset(out, 0, sizeof *out);
    out->op = META_SHARD_SPLIT;
    out->shard = shard;
    out->epoch = s->epoch;
    out->new_shard = meta_next_shard_id(m);
    out->split_at = (uint16_t)slot;
    return true;
}

/* ---- Leader balance -------------------------------------------------------------- */

static uint64_t leader_fn(void *priv, uint64_t shard)
{
    return cluster_leader_of(priv, shard);
}

/* Up to LEADER_MOVES_PER_ROUND transfers are planned per round, each
 * against the leaders as they will be once the ones before it are done;
 * every node plans the same round from the same announcements and starts
 * the transfers of the shards it leads. */
#define LEADER_MOVES_PER_ROUND 16

typedef struct leader_plan {
    node_cluster *c;
    size_t n;
    uint64_t shard[LEADER_MOVES_PER_ROUND], to[LEADER_MOVES_PER_ROUND];
} leader_plan;

static uint64_t planned_leader_fn(void *priv, uint64_t shard)
{
    leader_plan *p = priv;
    for (size_t i = p->n; i-- > 0;)
        if (p->shard[i] == shard) return p->to[i];
    return cluster_leader_of(p->c, shard);
}

static void balance_leaders(node_cluster *c, const meta_state *m, uint64_t now)
{
    if (now - c->balanced_ms < LEADER_BALANCE_EVERY_MS || m->shard_count == 0) return;
    c->balanced_ms = now;
    leader_plan p = {.c = c};
    uint64_t shard, to;
    while (p.n < LEADER_MOVES_PER_ROUND &&
           placement_leader_move(m, planned_leader_fn, &p, &shard, &to)) {
        bool again = false;
        for (size_t i = 0; i < p.n && !again; i++)
            again = p.shard[i] == shard;
        if (again) break; /* one move per shard per round */
        p.shard[p.n] = shard;
        p.to[p.n++] = to;
        node_group *g = group_find(c->host, shard);
        if (g == NULL || raft_role_of(group_raft(g)) != RAFT_LEADER || !caught_up(g, to))
            continue;
        if (group_transfer_to(g, to) == RAFT_OK)
            log_verbose("shard %llu: leadership to node %llu (balance)",
                        (unsigned long long)shard, (unsigned long long)to);
    }
}

void shards_tick(node_cluster *c, uint64_t now)
{
    const meta_state *m = cluster_map(c);
    /* Hibernating groups (and the placement driver, whose steps each
     * change the map) are looked at when the map changes and every
     * SWEEP_EVERY_MS, awake groups every tick: a thousand idle groups cost
     * next to nothing between sweeps. */
    bool sweep = c->sweep_due || now - c->swept_ms >= SWEEP_EVERY_MS;
    if (sweep) {
        c->sweep_due = false;
        c->swept_ms = now;
        retire_groups(c, now);
    }
    drive_splits(c, m, now);
    /* A child whose parent here stopped serving its slots without making it
     * (a later snapshot of the parent) is started empty by reconcile. */
    if (now - c->splits_ms >= SPLIT_CHECK_EVERY_MS) {
        c->splits_ms = now;
        for (size_t i = 0; i < m->shard_count; i++)
            if (m->shards[i].split_from != 0) {
                shards_reconcile(c);
                break;
            }
    }
    for (size_t i = 0; i < group_host_count(c->host); i++) {
        node_group *g = group_host_at(c->host, i);
        if (!sweep && group_hibernating(g)) continue;
        if (group_meta(g) || raft_role_of(group_raft(g)) != RAFT_LEADER) continue;
        const meta_shard *s = meta_shard_find(m, group_id(g));
        if (s == NULL) continue;
        conform_shard(c, g, s, now);
        check_size(c, m, g, s, now);
    }
    if (sweep && raft_role_of(group_raft(c->meta)) == RAFT_LEADER) {
        conform_meta(c, m, now);
        drive_placement(c, m);
    }
    balance_leaders(c, m, now);
}

void shards_balance_report(node_cluster *c, buf *out)
{
    const meta_state *m = cluster_map(c);
    meta_cmd mc;
    uint64_t shard, to;
    bool moving = m->shard_count == 0 || placement_next(m, never_caught_up, c, &mc);
    for (size_t i = 0; i < m->shard_count && !moving; i++)
        moving =
            m->shards[i].learner_count > 0 || m->shards[i].voter_count != m->replicas;
    bool leaders = !moving && placement_leader_move(m, leader_fn, c, &shard, &to);
    /* a shard whose leader nobody here knows (an election, a group not
     * announced yet) is not settled either */
    for (size_t i = 0; i < m->shard_count && !moving && !leaders; i++)
        leaders = cluster_leader_of(c, m->shards[i].id) == 0;
    buf_append_fmt(out, "state:%s\r\n",
                   moving    ? "moving"
                   : leaders ? "leaders"
                             : "balanced");
    for (size_t i = 0; i < m->node_count; i++) {
        const meta_node *n = &m->nodes[i];
        if (n->state == META_NODE_REMOVED) continue;
        size_t led = 0;
        for (size_t k = 0; k < m->shard_count; k++)
            led += cluster_leader_of(c, m->shards[k].id) == n->id;
        buf_append_fmt(out, "node_%llu:state=%s,replicas=%zu,leaders=%zu\r\n",
                       (unsigned long long)n->id,
                       n->state == META_NODE_UP ? "up" : "draining",
                       meta_node_replicas(m, n->id), led);
    }
}
