/* cluster/placement.c - the placement planner (placement.h). */
#include "cluster/placement.h"

#include <stdint.h>
#include <string.h>

#include "base/mem.h"

static bool node_up(const meta_state *m, uint64_t id)
{
    const meta_node *n = meta_node_find(m, id);
    return n != NULL && n->state == META_NODE_UP;
}

static const char *zone_of(const meta_state *m, uint64_t id)
{
    const meta_node *n = meta_node_find(m, id);
    return n ? n->zone : "";
}

/* Voters of the shard other than `except` that are in `zone`. */
static uint32_t zone_uses(const meta_state *m, const meta_shard *s, const char *zone,
                          uint64_t except)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->voter_count; i++)
        if (s->voters[i] != except && strcmp(zone_of(m, s->voters[i]), zone) == 0) n++;
    return n;
}

/* The best up node to receive a replica of the shard: not holding it, in a
 * zone the shard's voters (other than `leaving`) do not use when such a
 * node exists, then fewest replicas, then lowest id. 0 if none. */
static uint64_t best_target(const meta_state *m, const meta_shard *s, uint64_t leaving)
{
    uint64_t best = 0;
    bool best_new_zone = false;
    size_t best_load = 0;
    for (size_t i = 0; i < m->node_count; i++) {
        const meta_node *n = &m->nodes[i];
        if (n->state != META_NODE_UP || meta_shard_has_replica(s, n->id)) continue;
        bool new_zone = zone_uses(m, s, n->zone, leaving) == 0;
        size_t load = meta_node_replicas(m, n->id);
        if (best == 0 || (new_zone && !best_new_zone) ||
            (new_zone == best_new_zone && load < best_load)) {
            best = n->id;
            best_new_zone = new_zone;
            best_load = load;
        }
    }
    return best;
}

static void cmd_for(meta_cmd *out, uint8_t op, const meta_shard *s, uint64_t node)
{
    memset(out, 0, sizeof *out);
    out->op = op;
    out->shard = s->id;
    out->epoch = s->epoch;
    out->node = node;
}

static size_t distinct_up_zones(const meta_state *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->node_count; i++) {
        if (m->nodes[i].state != META_NODE_UP) continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = m->nodes[j].state == META_NODE_UP &&
                   strcmp(m->nodes[j].zone, m->nodes[i].zone) == 0;
        n += !seen;
    }
    return n;
}

/* Goal 1: a shard in the middle of a move. */
static bool finish_move(const meta_state *m, const meta_shard *s,
                        placement_caught_up_fn *caught_up, void *priv, meta_cmd *out)
{
    if (s->learner_count > 0) {
        if (!caught_up(priv, s->id, s->learners[0])) return false;
        cmd_for(out, META_LEARNER_PROMOTE, s, s->learners[0]);
        return true;
    }
    if (s->voter_count <= m->replicas) return false;
    /* R + 1 voters: remove one. A voter on a node that is not up first;
     * then (when there are zones enough to spread over) one whose zone
     * another voter shares; then the most loaded. */
    bool zones_matter = distinct_up_zones(m) >= m->replicas;
    uint64_t victim = 0;
    int victim_rank = -1;
    size_t victim_load = 0;
    for (uint32_t i = 0; i < s->voter_count; i++) {
        uint64_t v = s->voters[i];
        int rank = !node_up(m, v)                                          ? 2
                   : zones_matter && zone_uses(m, s, zone_of(m, v), v) > 0 ? 1
                                                                           : 0;
        size_t load = meta_node_replicas(m, v);
        if (rank > victim_rank || (rank == victim_rank && load > victim_load)) {
            victim = v;
            victim_rank = rank;
            victim_load = load;
        }
    }
    cmd_for(out, META_VOTER_REMOVE, s, victim);
    return true;
}

/* Whether any split is not yet done (cheap test before the per-shard one). */
static bool any_split(const meta_state *m)
{
    for (size_t i = 0; i < m->shard_count; i++)
        if (m->shards[i].split_from != 0) return true;
    return false;
}

/* A shard that may not start a move: one is under way, or it is in a split
 * (the child is being made on the parent's replicas). */
static bool busy(const meta_state *m, const meta_shard *s, bool splits)
{
    return s->learner_count > 0 || (splits && meta_shard_splitting(m, s));
}

bool placement_next(const meta_state *m, placement_caught_up_fn *caught_up, void *priv,
                    meta_cmd *out)
{
    bool splits = any_split(m);
    /* 1. moves in progress */
    for (size_t i = 0; i < m->shard_count; i++)
        if (finish_move(m, &m->shards[i], caught_up, priv, out)) return true;

    /* 2. replicas on draining nodes */
    for (size_t i = 0; i < m->shard_count; i++) {
        const meta_shard *s = &m->shards[i];
        if (busy(m, s, splits)) continue;
        for (uint32_t j = 0; j < s->voter_count; j++) {
            if (node_up(m, s->voters[j])) continue;
            uint64_t target = best_target(m, s, s->voters[j]);
            if (target == 0) break; /* nowhere to go: the drain waits for a node */
            cmd_for(out, META_LEARNER_ADD, s, target);
            return true;
        }
    }

    /* 3. drained nodes */
    for (size_t i = 0; i < m->node_count; i++) {
        const meta_node *n = &m->nodes[i];
        if (n->state == META_NODE_DRAINING && meta_node_replicas(m, n->id) == 0) {
            memset(out, 0, sizeof *out);
            out->op = META_NODE_REMOVE;
            out->node = n->id;
            return true;
        }
    }

    /* 4. zone spread, when there are enough zones for it */
    bool zones_matter = distinct_up_zones(m) >= m->replicas;
    if (zones_matter) {
        for (size_t i = 0; i < m->shard_count; i++) {
            const meta_shard *s = &m->shards[i];
            if (busy(m, s, splits)) continue;
            bool doubled = false;
            for (uint32_t j = 0; j < s->voter_count && !doubled; j++)
                doubled = zone_uses(m, s, zone_of(m, s->voters[j]), s->voters[j]) > 0;
            if (!doubled) continue;
            uint64_t target = best_target(m, s, 0);
            if (target == 0 || zone_uses(m, s, zone_of(m, target), 0) > 0) continue;
            cmd_for(out, META_LEARNER_ADD, s, target);
            return true;
        }
    }

    /* 5. replica count balance over up nodes: the most loaded donor and
     * least loaded receiver, 2+ apart, that can trade a shard (zones may
     * pin a node's replicas: then the next pair) */
    size_t best_gap = 0;
    const meta_shard *best_shard = NULL;
    uint64_t best_to = 0;
    for (size_t d = 0; d < m->node_count; d++) {
        const meta_node *donor = &m->nodes[d];
        if (donor->state != META_NODE_UP) continue;
        size_t donor_load = meta_node_replicas(m, donor->id);
        for (size_t r = 0; r < m->node_count; r++) {
            const meta_node *to = &m->nodes[r];
            if (to->state != META_NODE_UP) continue;
            size_t to_load = meta_node_replicas(m, to->id);
            if (donor_load < to_load + 2 || donor_load - to_load <= best_gap) continue;
            for (size_t i = 0; i < m->shard_count; i++) {
                const meta_shard *s = &m->shards[i];
                if (busy(m, s, splits) || !meta_shard_has_voter(s, donor->id) ||
                    meta_shard_has_replica(s, to->id))
                    continue;
                /* never trade zone spread for balance: the receiver's zone
                 * must be free in the shard once the donor leaves */
                if (zones_matter && zone_uses(m, s, to->zone, donor->id) > 0 &&
                    zone_uses(m, s, donor->zone, donor->id) == 0)
                    continue;
                best_gap = donor_load - to_load;
                best_shard = s;
                best_to = to->id;
                break;
            }
        }
    }
    if (best_shard == NULL) return false;
    cmd_for(out, META_LEARNER_ADD, best_shard, best_to);
    return true;
}

/* ---- Splits ---------------------------------------------------------------- */

bool placement_split(const meta_state *m, const placement_shard_size *sizes, size_t n,
                     meta_cmd *out)
{
    for (size_t i = 0; i < n; i++) {
        const placement_shard_size *sz = &sizes[i];
        const meta_shard *s = meta_shard_find(m, sz->shard);
        if (s == NULL || s->learner_count > 0 || s->voter_count != m->replicas ||
            meta_shard_splitting(m, s))
            continue;
        bool big = (m->split_keys && sz->keys > m->split_keys) ||
                   (m->split_bytes && sz->bytes > m->split_bytes);
        if (!big) continue;
        /* weigh each slot of the shard: its keys, or 1 without counts */
        uint64_t total = 0, slots = 0;
        for (uint32_t r = 0; r < s->range_count; r++)
            for (uint32_t slot = s->ranges[r].first; slot <= s->ranges[r].last; slot++) {
                total += sz->slot_keys ? sz->slot_keys[slot] : 1;
                slots++;
            }
        if (slots < 2) continue; /* one hot slot: nothing to split */
        /* the slot (never the first) that starts the upper part with the
         * weights below it closest to half */
        uint64_t below = 0, best_below = 0, best_diff = UINT64_MAX;
        uint32_t split_at = CLUSTER_SLOTS, first_slot = s->ranges[0].first;
        for (uint32_t r = 0; r < s->range_count; r++)
            for (uint32_t slot = s->ranges[r].first; slot <= s->ranges[r].last; slot++) {
                uint64_t diff = below * 2 > total ? below * 2 - total : total - below * 2;
                if (slot != first_slot && diff < best_diff) {
                    best_diff = diff;
                    best_below = below;
                    split_at = slot;
                }
                below += sz->slot_keys ? sz->slot_keys[slot] : 1;
            }
        /* all the weight on one side (one hot slot): splitting cannot help */
        if (split_at == CLUSTER_SLOTS || best_below == 0 || best_below == total) continue;
        memset(out, 0, sizeof *out);
        out->op = META_SHARD_SPLIT;
        out->shard = s->id;
        out->epoch = s->epoch;
        out->new_shard = meta_next_shard_id(m);
        out->split_at = (uint16_t)split_at;
        return true;
    }
    return false;
}

/* ---- Leaders ---------------------------------------------------------------- */

bool placement_leader_move(const meta_state *m, placement_leader_fn *leader_of,
                           void *priv, uint64_t *shard, uint64_t *to)
{
    /* leaders per node, by index into m->nodes */
    size_t *led = mem_calloc(m->node_count + 1, sizeof *led);
    uint64_t *leader = mem_calloc(m->shard_count + 1, sizeof *leader);
    bool found = false;
    for (size_t i = 0; i < m->shard_count; i++) {
        leader[i] = leader_of(priv, m->shards[i].id);
        for (size_t j = 0; j < m->node_count; j++)
            if (m->nodes[j].id == leader[i]) led[j]++;
    }
    /* first, leadership on a node that is not up moves to the voter on an
     * up node that leads the fewest */
    for (size_t i = 0; i < m->shard_count && !found; i++) {
        if (leader[i] == 0 || node_up(m, leader[i])) continue;
        size_t best_led = SIZE_MAX;
        for (size_t j = 0; j < m->node_count; j++) {
            if (m->nodes[j].state != META_NODE_UP ||
                !meta_shard_has_voter(&m->shards[i], m->nodes[j].id))
                continue;
            if (led[j] < best_led) {
                best_led = led[j];
                *shard = m->shards[i].id;
                *to = m->nodes[j].id;
                found = true;
            }
        }
    }
    /* then balance: the pair of up nodes furthest apart that can trade */
    size_t best_gap = 1;
    for (size_t d = 0; d < m->node_count && !found; d++) {
        if (m->nodes[d].state != META_NODE_UP) continue;
        for (size_t r = 0; r < m->node_count; r++) {
            if (m->nodes[r].state != META_NODE_UP || led[d] < led[r] + 2 ||
                led[d] - led[r] <= best_gap)
                continue;
            for (size_t i = 0; i < m->shard_count; i++) {
                if (leader[i] != m->nodes[d].id ||
                    !meta_shard_has_voter(&m->shards[i], m->nodes[r].id))
                    continue;
                best_gap = led[d] - led[r];
                *shard = m->shards[i].id;
                *to = m->nodes[r].id;
                break;
            }
        }
    }
    found = found || best_gap > 1;
    mem_free(led);
    mem_free(leader);
    return found;
}
