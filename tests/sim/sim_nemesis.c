/* tests/sim/sim_nemesis.c - one run: the cluster a seed draws, the faults
 * injected while clients work, and the phases.
 *
 *  chaos     clients issue `steps` operations; every 50-500 ms the nemesis
 *            crashes a node (restarting it 1 ms to 2 s later), cuts the
 *            network (halves, an isolated or half-deaf leader, a bridge,
 *            random one-way links), heals it, moves leadership, changes
 *            membership (learners added, promoted, demoted, voters removed,
 *            never below 3 voters) or has a node compact its log.
 *  heal      the network is made whole and lossless, every node restarts.
 *  liveness  within LIVENESS_US a single leader must commit a new write
 *            and every member must apply it; then the history is checked.
 *
 * Adversaries (below) aim some faults at protocol-relevant moments. The
 * cluster's parameters (timeouts, flow-control windows, message and chunk
 * sizes, loss, duplication, latency, snapshot frequency, clock drift,
 * pre-vote, check-quorum, lease reads) are drawn from the seed too, so that
 * small windows (one entry per append, one chunk in flight) get exercised. */
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "sim.h"

#define LIVENESS_US         (10u * 1000 * 1000)
#define LIVENESS_PROBE_US   20000
#define MARKER_RETRY_US     (2u * 1000 * 1000)
#define NEMESIS_GAP_US_MIN  50000
#define NEMESIS_GAP_US_SPAN 450000
#define CATCH_UP_STRIKE_P   0.5
#define ID(x)               ((unsigned long long)(x))

static uint64_t pick(sim *s, const uint64_t *choices, size_t count)
{
    return choices[rng_below(&s->rng, count)];
}
#define PICK(s, ...)                                                                     \
    pick((s), (const uint64_t[]){__VA_ARGS__},                                           \
         sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

/* ---- The cluster a seed draws --------------------------------------------- */

static void draw_config(sim *s)
{
    raft_config *c = &s->cfg;
    raft_config_defaults(c);
    c->group = 7;
    c->election_ticks = 10;
    c->heartbeat_ticks = (uint32_t)PICK(s, 1, 1, 2);
    c->pre_vote = rng_below(&s->rng, 5) != 0;
    c->check_quorum = rng_below(&s->rng, 5) != 0;
    if (!c->pre_vote && !c->check_quorum) c->check_quorum = true;
    /* Drawn whether or not lease reads are allowed, so that --no-lease-reads
     * leaves every other choice of the seed as it was. */
    bool lease = rng_below(&s->rng, 3) == 0;
    if (s->opt.lease_reads && c->check_quorum && lease) {
        c->lease_reads = true;
        c->clock_drift_ticks = 2; /* node clocks drift by at most 3% */
    }
    c->max_inflight_msgs = (uint32_t)PICK(s, 1, 4, 256);
    c->max_msg_bytes = PICK(s, 26, 26, 80, 1u << 20); /* 26: one command per append */
    c->max_uncommitted_bytes = PICK(s, 2000, 256u << 20);
    c->snapshot_chunk_bytes = (uint32_t)PICK(s, 16, 64, 1u << 20);
    c->max_snapshot_inflight = (uint32_t)PICK(s, 1, 2, 4);
    c->max_committed_per_ready = (uint32_t)PICK(s, 1, 3, 4096);

    s->drop_p = (double)PICK(s, 0, 1, 5) / 100.0;
    s->dup_p = (double)PICK(s, 0, 2, 5) / 100.0;
    s->latency_us_base = PICK(s, 500, 2000, 5000);
    s->snapshot_every = (int)PICK(s, 5, 20, 100);
    s->keep_entries = PICK(s, 0, 3, 20);
    s->snapshot_pad_bytes = (uint32_t)rng_below(&s->rng, 600);
    s->vote_crash_p = (double)PICK(s, 0, 0, 10, 30) / 100.0;
    s->leader_fault_p = (double)PICK(s, 0, 0, 50, 90) / 100.0;
    s->clients = 3 + (int)rng_below(&s->rng, SIM_CLIENTS_MAX - 2);
    s->client_timeout_us = 200000 + rng_below(&s->rng, 800000);
}

static void node_slot_init(sim *s, int i)
{
    sim_node *n = &s->nodes[i];
    memset(n, 0, sizeof *n);
    n->id = (raft_id)i + 1;
    /* Each clock runs up to 3% fast or slow. */
    n->tick_us = 10000 + rng_below(&s->rng, 601) - 300;
}

sim *sim_new(const sim_options *opt)
{
    PASSERT(opt->nodes >= 1 && opt->nodes <= 7);
    sim *s = mem_calloc(1, sizeof *s);
    s->opt = *opt;
    if (s->opt.out == NULL) s->opt.out = stdout;
    if (s->opt.trace_tail <= 0) s->opt.trace_tail = 50;
    rng_seed(&s->rng, opt->seed);
    s->tracing = opt->trace || opt->record;
    if (opt->record)
        s->trace_ring = mem_calloc((size_t)s->opt.trace_tail, sizeof *s->trace_ring);
    draw_config(s);
    s->founders = opt->nodes;
    s->node_count = opt->nodes;
    for (int i = 0; i < s->node_count; i++)
        node_slot_init(s, i);
    for (int c = 0; c < SIM_CLIENTS_MAX; c++) {
        s->client[c].node = -1;
        for (int k = 0; k < SIM_KEYS; k++)
            s->client[c].seen[k] = LINCHECK_NIL;
    }
    return s;
}

void sim_free(sim *s)
{
    if (s == NULL) return;
    for (int i = 0; i < s->node_count; i++)
        sim_node_free(&s->nodes[i]);
    for (size_t k = 0; k < s->heap_count; k++)
        sim_event_free(&s->heap[k]);
    mem_free(s->heap);
    mem_free(s->ops);
    sim_check_free(s);
    mem_free(s->trace_ring);
    mem_free(s);
}

/* ---- Looking at the cluster ----------------------------------------------- */

/* The live leader of the highest term, or -1. */
static int find_leader(const sim *s)
{
    int best = -1;
    for (int i = 0; i < s->node_count; i++) {
        const sim_node *n = &s->nodes[i];
        if (!n->up || raft_role_of(n->r) != RAFT_LEADER) continue;
        if (best < 0 || raft_term_of(n->r) > raft_term_of(s->nodes[best].r)) best = i;
    }
    return best;
}

static bool conf_lists(const raft_conf *c, raft_id id)
{
    for (int k = 0; k < c->voter_count; k++)
        if (c->voters[k] == id) return true;
    for (int k = 0; k < c->voter_outgoing_count; k++)
        if (c->voters_outgoing[k] == id) return true;
    for (int k = 0; k < c->learner_count; k++)
        if (c->learners[k] == id) return true;
    return false;
}

/* The newest committed configuration: that of the highest applied index
 * ever seen (raft_conf_of is the configuration of the handed-out prefix,
 * which this host applies at once; configurations only move forward along
 * the log). Nodes that are down or lagging do not make it older. */
static const raft_conf *newest_conf(sim *s)
{
    for (int i = 0; i < s->node_count; i++) {
        const sim_node *n = &s->nodes[i];
        if (!n->up || n->applied <= s->conf_index) continue;
        s->conf = *raft_conf_of(n->r);
        s->conf_index = n->applied;
    }
    return s->conf_index > 0 ? &s->conf : NULL;
}

/* Nodes the newest configuration no longer lists are stopped for good
 * (their ids are never reused). */
static void retire_removed(sim *s)
{
    const raft_conf *c = newest_conf(s);
    if (c == NULL) return;
    for (int i = 0; i < s->node_count; i++) {
        sim_node *n = &s->nodes[i];
        if (!n->exists || n->retired) continue;
        if (conf_lists(c, n->id)) {
            n->was_member = true;
        } else if (n->was_member) {
            sim_crash(s, i, "removed from the configuration");
            n->retired = true;
        }
    }
}

/* ---- Faults --------------------------------------------------------------- */

static int random_live(sim *s, bool prefer_leader)
{
    int leader = find_leader(s);
    if (prefer_leader && leader >= 0) return leader;
    int live[SIM_NODES_MAX], count = 0;
    for (int i = 0; i < s->node_count; i++)
        if (s->nodes[i].up) live[count++] = i;
    return count ? live[rng_below(&s->rng, (uint64_t)count)] : -1;
}

static void crash_and_restart(sim *s, int i, const char *why, sim_us down_us)
{
    sim_crash(s, i, why);
    sim_schedule(s, s->now + down_us, EV_RESTART, i, 0, NULL);
}

static void nemesis_crash(sim *s)
{
    int down = 0, alive = 0;
    for (int i = 0; i < s->node_count; i++) {
        if (!s->nodes[i].exists || s->nodes[i].retired) continue;
        if (s->nodes[i].up)
            alive++;
        else
            down++;
    }
    /* Mostly keep a majority up so that the workload makes progress. */
    if (down >= (alive + down - 1) / 2 && rng_below(&s->rng, 10) != 0) return;
    int i = random_live(s, rng_below(&s->rng, 5) < 2);
    if (i < 0) return;
    sim_us down_us = rng_below(&s->rng, 3) == 0 ? 1000 + rng_below(&s->rng, 20000)
                                                : 50000 + rng_below(&s->rng, 2000000);
    crash_and_restart(s, i, "nemesis", down_us);
}

static void cut(sim *s, int a, int b)
{
    s->blocked[a][b] = true;
}

static void shuffle(sim *s, int *v, int count)
{
    for (int k = count - 1; k > 0; k--) {
        int j = (int)rng_below(&s->rng, (uint64_t)k + 1);
        int t = v[k];
        v[k] = v[j];
        v[j] = t;
    }
}

static void nemesis_partition(sim *s)
{
    memset(s->blocked, 0, sizeof s->blocked);
    s->partition_id++;
    s->partitions++;
    int v[SIM_NODES_MAX], count = s->node_count;
    for (int i = 0; i < count; i++)
        v[i] = i;
    shuffle(s, v, count);
    int leader = find_leader(s);
    /* Weights: halves 3, isolated leader 3, one-way leader 2, bridge 1,
     * random one-way links 1. */
    static const int kinds[] = {0, 0, 0, 1, 1, 1, 2, 2, 3, 4};
    int kind = kinds[rng_below(&s->rng, sizeof kinds / sizeof kinds[0])];
    if (leader < 0 && (kind == 1 || kind == 2)) kind = 0;
    int half = 1 + (int)rng_below(&s->rng, (uint64_t)(count / 2 > 0 ? count / 2 : 1));
    switch (kind) {
    case 0: /* two sides, cut both ways */
        for (int a = 0; a < half; a++)
            for (int b = half; b < count; b++) {
                cut(s, v[a], v[b]);
                cut(s, v[b], v[a]);
            }
        TRACE(s, "nemesis: partition into two sides (%d | %d)", half, count - half);
        break;
    case 1: /* the leader alone */
        for (int b = 0; b < count; b++)
            if (b != leader) {
                cut(s, leader, b);
                cut(s, b, leader);
            }
        TRACE(s, "nemesis: isolate leader n%llu", ID(s->nodes[leader].id));
        break;
    case 2: { /* the leader can only talk, or only listen */
        bool deaf = rng_below(&s->rng, 2) == 0;
        for (int b = 0; b < count; b++)
            if (b != leader) {
                if (deaf)
                    cut(s, b, leader);
                else
                    cut(s, leader, b);
            }
        TRACE(s, "nemesis: leader n%llu can only %s", ID(s->nodes[leader].id),
              deaf ? "send" : "receive");
        break;
    }
    case 3: /* two sides joined only through one bridge node */
        for (int a = 1; a < half; a++)
            for (int b = half; b < count; b++) {
                cut(s, v[a], v[b]);
                cut(s, v[b], v[a]);
            }
        TRACE(s, "nemesis: bridge through n%llu", ID(s->nodes[v[0]].id));
        break;
    default: /* random one-way links */
        for (int a = 0; a < count; a++)
            for (int b = 0; b < count; b++)
                if (a != b && rng_below(&s->rng, 4) == 0) cut(s, a, b);
        TRACE(s, "nemesis: random one-way cuts");
        break;
    }
    sim_schedule(s, s->now + 100000 + rng_below(&s->rng, 3000000), EV_HEAL, -1,
                 s->partition_id, NULL);
}

static void heal_network(sim *s, const char *why)
{
    memset(s->blocked, 0, sizeof s->blocked);
    s->partition_id++;
    TRACE(s, "nemesis: network healed (%s)", why);
}

static void nemesis_transfer(sim *s)
{
    int l = find_leader(s);
    if (l < 0) return;
    const raft_conf *c = raft_conf_of(s->nodes[l].r);
    if (c->voter_count < 2) return;
    raft_id to = c->voters[rng_below(&s->rng, c->voter_count)];
    if (to == s->nodes[l].id) return;
    int rc = raft_transfer_leader(s->nodes[l].r, to);
    TRACE(s, "nemesis: transfer leadership n%llu -> n%llu: %d", ID(s->nodes[l].id),
          ID(to), rc);
    if (rc == 0) s->transfers++;
    sim_pump(s, l);
}

/* One membership change through the leader: add a learner, promote, demote
 * or remove; voters never drop below 3. */
static void nemesis_membership(sim *s)
{
    int l = find_leader(s);
    if (l < 0) return;
    raft_conf c = *raft_conf_of(s->nodes[l].r);
    if (c.voter_outgoing_count > 0) return;
    raft_id leader_id = s->nodes[l].id;
    raft_conf_change ch[2];
    size_t count = 1;
    int added = -1;
    raft_id voter = c.voters[rng_below(&s->rng, c.voter_count)];
    raft_id learner =
        c.learner_count ? c.learners[rng_below(&s->rng, c.learner_count)] : 0;
    switch (rng_below(&s->rng, 6)) {
    case 0:
        if (s->node_count >= SIM_NODES_MAX) return;
        added = s->node_count;
        ch[0] = (raft_conf_change){RAFT_CONF_ADD_LEARNER, (raft_id)added + 1};
        break;
    case 1:
        if (!learner) return;
        ch[0] = (raft_conf_change){RAFT_CONF_ADD_VOTER, learner};
        break;
    case 2:
        if (c.voter_count <= 3) return;
        if (voter == leader_id && rng_below(&s->rng, 4) != 0) return;
        ch[0] = (raft_conf_change){RAFT_CONF_REMOVE, voter};
        break;
    case 3:
        if (c.voter_count <= 3 || voter == leader_id) return;
        ch[0] = (raft_conf_change){RAFT_CONF_ADD_LEARNER, voter};
        break;
    case 4:
        if (!learner) return;
        ch[0] = (raft_conf_change){RAFT_CONF_REMOVE, learner};
        break;
    default:
        if (!learner || voter == leader_id) return;
        ch[0] = (raft_conf_change){RAFT_CONF_ADD_VOTER, learner};
        ch[1] = (raft_conf_change){RAFT_CONF_REMOVE, voter};
        count = 2;
        break;
    }
    raft_index index = 0;
    int rc = raft_propose_conf_change(s->nodes[l].r, ch, count, &index);
    static const char *const verbs[] = {"add voter", "add learner", "remove",
                                        "leave joint"};
    TRACE(s, "nemesis: n%llu proposes %s n%llu%s%s%s: %d at %llu", ID(leader_id),
          verbs[ch[0].type], ID(ch[0].node), count > 1 ? ", " : "",
          count > 1 ? verbs[ch[1].type] : "", count > 1 ? " (joint)" : "", rc, ID(index));
    if (rc != 0) return;
    s->conf_changes++;
    if (added >= 0) {
        /* The new node must exist before the leader contacts it. */
        node_slot_init(s, added);
        s->node_count++;
        sim_node_start(s, added, false);
    }
    sim_pump(s, l);
}

static void nemesis(sim *s)
{
    retire_removed(s);
    uint64_t roll = rng_below(&s->rng, 100);
    if (roll < 25)
        nemesis_crash(s);
    else if (roll < 42)
        nemesis_partition(s);
    else if (roll < 50)
        heal_network(s, "nemesis");
    else if (roll < 60)
        nemesis_transfer(s);
    else if (roll < 75)
        nemesis_membership(s);
    else if (roll < 85) {
        int i = random_live(s, false);
        if (i >= 0) sim_take_snapshot(s, i);
    }
}

/* ---- Phases --------------------------------------------------------------- */

static void start_heal(sim *s)
{
    s->phase = PHASE_HEAL;
    s->heal_at = s->now;
    s->drop_p = 0;
    s->dup_p = 0;
    heal_network(s, "end of chaos");
    for (int i = 0; i < s->node_count; i++)
        if (s->nodes[i].exists && !s->nodes[i].retired && !s->nodes[i].up)
            sim_restart(s, i);
    sim_schedule(s, s->now + LIVENESS_PROBE_US, EV_LIVENESS, -1, 0, NULL);
}

/* Is the cluster whole again? Returns NULL when it is, or what is missing. */
static const char *liveness_probe(sim *s, char *why, size_t why_cap)
{
    retire_removed(s);
    int l = find_leader(s);
    if (l < 0) return "no leader";
    sim_op *marker = s->marker_op ? &s->ops[s->marker_op - 1] : NULL;
    bool stale = marker && marker->state == OPS_PENDING &&
                 s->now - marker->invoke_us > MARKER_RETRY_US;
    if (stale) sim_op_abandon(s, marker);
    if (marker == NULL || marker->state == OPS_FAIL || marker->state == OPS_UNKNOWN) {
        sim_marker_propose(s, l);
        return "a write proposed after healing is not committed";
    }
    if (marker->state == OPS_PENDING)
        return "a write proposed after healing is not committed";
    const raft_conf *c = raft_conf_of(s->nodes[l].r);
    for (int i = 0; i < s->node_count; i++) {
        const sim_node *n = &s->nodes[i];
        if (!n->exists || n->retired || !conf_lists(c, n->id)) continue;
        if (!n->up || n->applied < marker->index) {
            snprintf(why, why_cap, "member n%llu has applied %llu of %llu", ID(n->id),
                     ID(n->applied), ID(marker->index));
            return why;
        }
    }
    return NULL;
}

static void liveness(sim *s)
{
    char buf[128];
    const char *missing = liveness_probe(s, buf, sizeof buf);
    if (missing == NULL) {
        TRACE(s, "liveness: leader n%llu, write committed and applied everywhere",
              ID(s->nodes[find_leader(s)].id));
        s->phase = PHASE_DONE;
        return;
    }
    if (s->now - s->heal_at >= LIVENESS_US) {
        sim_fail(s, "liveness: %u ms after the faults healed: %s", LIVENESS_US / 1000,
                 missing);
        return;
    }
    sim_schedule(s, s->now + LIVENESS_PROBE_US, EV_LIVENESS, -1, 0, NULL);
}

/* ---- Adversaries -------------------------------------------------------------
 *
 * Random faults rarely land in the few milliseconds where a protocol rule
 * matters, so some faults are aimed (in a seed's share of runs):
 *
 *  vote-crash   a voter crashes right after its grant left and is back
 *               within 20 ms, while the election still runs: a vote that
 *               was not durable would be given twice.
 *  new leader   a freshly elected leader is cut off or killed at once or
 *               within its first round trips: entries of its term stay on
 *               few nodes.
 *  catch-up     a leader re-replicating entries of older terms is cut off
 *               mid-way; together with the above this builds Raft's
 *               figure 8, where such entries must not have been committed
 *               by counting replicas (§5.4.2).
 *  flapping     the leader that catches healed nodes up after a partition
 *               is struck again soon after. */

static void strike(sim *s, int i, sim_us delay, enum sim_strike kind)
{
    sim_schedule(s, s->now + delay, EV_STRIKE, i, kind, NULL);
}

void sim_on_vote_granted(sim *s, int i)
{
    if (s->phase != PHASE_CHAOS || rng_unit(&s->rng) >= s->vote_crash_p) return;
    strike(s, i, rng_below(&s->rng, 2000), STRIKE_CRASH_BRIEFLY);
}

static enum sim_strike leader_strike(sim *s)
{
    return rng_below(&s->rng, 5) < 4 ? STRIKE_ISOLATE : STRIKE_CRASH;
}

void sim_on_new_leader(sim *s, int i)
{
    if (s->phase != PHASE_CHAOS || rng_unit(&s->rng) >= s->leader_fault_p) return;
    sim_us delay = rng_below(&s->rng, 2) ? 0 : rng_below(&s->rng, 10000);
    strike(s, i, delay, leader_strike(s));
}

void sim_on_catch_up(sim *s, int leader)
{
    /* In every run: catching up with old-term entries is rare enough not
     * to disturb anything else. */
    if (s->phase != PHASE_CHAOS || rng_unit(&s->rng) >= CATCH_UP_STRIKE_P) return;
    strike(s, leader, rng_below(&s->rng, 3000), STRIKE_ISOLATE);
}

static void on_heal(sim *s)
{
    int l = find_leader(s);
    if (l < 0 || rng_unit(&s->rng) >= s->leader_fault_p) return;
    strike(s, l, rng_below(&s->rng, 40000), leader_strike(s));
}

static void isolate(sim *s, int i)
{
    memset(s->blocked, 0, sizeof s->blocked);
    s->partition_id++;
    s->partitions++;
    for (int b = 0; b < s->node_count; b++)
        if (b != i) {
            cut(s, i, b);
            cut(s, b, i);
        }
    TRACE(s, "adversary: isolate leader n%llu", ID(s->nodes[i].id));
    sim_schedule(s, s->now + 30000 + rng_below(&s->rng, 400000), EV_HEAL, -1,
                 s->partition_id, NULL);
}

static void on_strike(sim *s, const sim_event *ev)
{
    sim_node *n = &s->nodes[ev->node];
    if (!n->up || n->incarnation != ev->incarnation || s->phase != PHASE_CHAOS) return;
    switch (ev->arg) {
    case STRIKE_CRASH_BRIEFLY:
        crash_and_restart(s, ev->node, "adversary: right after granting a vote",
                          500 + rng_below(&s->rng, 20000));
        break;
    case STRIKE_CRASH:
        crash_and_restart(s, ev->node, "adversary: a leader",
                          1000 + rng_below(&s->rng, 300000));
        break;
    default:
        if (raft_role_of(n->r) == RAFT_LEADER) isolate(s, ev->node);
        break;
    }
}

static void handle_event(sim *s, sim_event *ev)
{
    switch (ev->type) {
    case EV_CLIENT:
        sim_client_start(s, (int)ev->arg);
        break;
    case EV_CLIENT_TIMEOUT:
        sim_client_timeout(s, ev->arg);
        break;
    case EV_NEMESIS:
        if (s->phase != PHASE_CHAOS) break;
        nemesis(s);
        sim_schedule(
            s, s->now + NEMESIS_GAP_US_MIN + rng_below(&s->rng, NEMESIS_GAP_US_SPAN),
            EV_NEMESIS, -1, 0, NULL);
        break;
    case EV_STRIKE:
        on_strike(s, ev);
        break;
    case EV_HEAL:
        if (ev->arg != s->partition_id) break;
        heal_network(s, "timer");
        on_heal(s);
        break;
    case EV_LIVENESS:
        liveness(s);
        break;
    default:
        sim_dispatch(s, ev);
        break;
    }
}

int sim_run(sim *s)
{
    TRACE(s,
          "seed %llu: %d nodes, %d clients, pre-vote %d, check-quorum %d, lease %d, "
          "inflight %u, msg bytes %llu, chunk %u, drop %.2f, dup %.2f, vote-crash %.2f, "
          "new-leader faults %.2f",
          ID(s->opt.seed), s->founders, s->clients, s->cfg.pre_vote, s->cfg.check_quorum,
          s->cfg.lease_reads, s->cfg.max_inflight_msgs, ID(s->cfg.max_msg_bytes),
          s->cfg.snapshot_chunk_bytes, s->drop_p, s->dup_p, s->vote_crash_p,
          s->leader_fault_p);
    for (int i = 0; i < s->founders; i++)
        sim_node_start(s, i, true);
    for (int c = 0; c < s->clients; c++)
        sim_schedule(s, rng_below(&s->rng, 300000), EV_CLIENT, -1, (uint64_t)c, NULL);
    sim_schedule(s, 300000 + rng_below(&s->rng, 500000), EV_NEMESIS, -1, 0, NULL);
    s->chaos_end_us = 1000000 + (sim_us)s->opt.steps * 60000;
    sim_event ev;
    while (!s->failed && s->phase != PHASE_DONE && sim_pop(s, &ev)) {
        s->now = ev.at;
        s->step++;
        handle_event(s, &ev);
        sim_event_free(&ev);
        if (!s->failed) sim_check_step(s);
        if (s->phase == PHASE_CHAOS && (sim_clients_done(s) || s->now >= s->chaos_end_us))
            start_heal(s);
    }
    if (!s->failed) {
        sim_history_close(s);
        sim_history_check(s);
    }
    return s->failed ? -1 : 0;
}

void sim_summary(const sim *s, FILE *f)
{
    size_t ok = 0, fail = 0, unknown = 0;
    for (size_t k = 0; k < s->op_count; k++) {
        ok += s->ops[k].state == OPS_OK;
        fail += s->ops[k].state == OPS_FAIL;
        unknown += s->ops[k].state == OPS_UNKNOWN;
    }
    fprintf(f,
            "seed %llu: %d nodes, %.1f s simulated, %llu events, %zu ops (%zu ok, %zu "
            "failed, "
            "%zu unknown), %llu leaders, %llu crashes, %llu partitions, %llu transfers, "
            "%llu conf changes, %llu snapshots taken / %llu installed, %llu msgs (%llu "
            "lost), "
            "last index %llu%s\n",
            ID(s->opt.seed), s->founders, (double)s->now / 1e6, ID(s->step), s->op_count,
            ok, fail, unknown, ID(s->elections), ID(s->crashes), ID(s->partitions),
            ID(s->transfers), ID(s->conf_changes), ID(s->snapshots_taken),
            ID(s->snapshots_installed), ID(s->msgs_sent), ID(s->msgs_dropped),
            ID(s->max_applied),
            s->lincheck_inconclusive ? ", lincheck inconclusive" : "");
}

int64_t sim_parse_bugs(const char *list)
{
    static const struct {
        const char *name;
        uint32_t bug;
    } bugs[] = {{"commit-old-term", RAFT_BUG_COMMIT_OLD_TERM},
                {"forget-vote", RAFT_BUG_FORGET_VOTE},
                {"vote-stale-log", RAFT_BUG_VOTE_STALE_LOG},
                {"read-no-quorum", RAFT_BUG_READ_NO_QUORUM},
                {"stable-on-release", RAFT_BUG_STABLE_ON_RELEASE},
                {"none", 0}};
    int64_t mask = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t k = 0;
        for (; k < sizeof bugs / sizeof bugs[0]; k++)
            if (strlen(bugs[k].name) == len && strncmp(bugs[k].name, p, len) == 0) break;
        if (k == sizeof bugs / sizeof bugs[0]) return -1;
        mask |= bugs[k].bug;
        p += len;
        if (*p == ',') p++;
    }
    return mask;
}
