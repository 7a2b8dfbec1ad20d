/* tests/sim/sim_check.c - the safety invariants, checked as the run goes.
 *
 * Each property is checked incrementally, at the event that could break it,
 * so that a violation is reported at the step that caused it:
 *
 *  election safety      at most one leader per term (Raft §5.2): after every
 *                       event, every node that leads is recorded by term.
 *  log matching         (§5.3) every entry a node writes is recorded by
 *                       (index, term) with its content and its predecessor's
 *                       term; two writes of the same (index, term) must
 *                       agree on both, which by induction makes the logs
 *                       identical up to there.
 *  leader completeness  (§5.4) an entry committed in term t is in the log of
 *                       every leader of a later term: checked when a node
 *                       becomes leader, and when an entry is first committed.
 *                       "Committed in" is bounded by the term of the first
 *                       node that applied it, which can only be later.
 *  state machine safety (§5.4.3) every node applies the same entry at each
 *                       index and reaches the same state; installed
 *                       snapshots hold the state of their index.
 *  durability           committed entries are never lost: after every crash
 *                       each one is still durable on some node (in its log,
 *                       or under its durable snapshot).
 *  persistence contract a message that promises durability (a vote grant,
 *                       a vote request, an append acknowledgement) only
 *                       leaves once what it promises is durable - checked
 *                       against the simulated disk as the message leaves.
 */
#include <stdarg.h>
#include <string.h>

#include "base/mem.h"
#include "sim.h"

void sim_fail(sim *s, const char *fmt, ...)
{
    if (s->failed) return;
    s->failed = true;
    s->failed_step = s->step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->failure, sizeof s->failure, fmt, ap);
    va_end(ap);
    TRACE(s, "VIOLATION: %s", s->failure);
}

static sim_index_rec *rec_at(sim *s, raft_index x)
{
    if (x >= s->idx_cap) {
        size_t cap = s->idx_cap ? s->idx_cap : 1024;
        while (cap <= x)
            cap *= 2;
        s->idx = mem_realloc(s->idx, cap * sizeof *s->idx);
        memset(s->idx + s->idx_cap, 0, (cap - s->idx_cap) * sizeof *s->idx);
        s->idx_cap = cap;
    }
    return &s->idx[x];
}

uint64_t sim_entry_hash(const raft_entry *e)
{
    uint64_t h = 1469598103934665603ull ^ e->type;
    for (uint32_t k = 0; k < e->len; k++)
        h = (h ^ e->data[k]) * 1099511628211ull;
    return rng_mix64(h ^ e->len);
}

raft_index sim_durable_last(const sim_disk *d)
{
    raft_index last = d->log.first + d->log.count - 1;
    return last > d->snap.meta.index ? last : d->snap.meta.index;
}

#define ID(x) ((unsigned long long)(x))

/* ---- Leaders -------------------------------------------------------------- */

/* Every entry committed before term `term` must be in this leader's log
 * (or under its snapshot). */
static void check_leader_has_committed(sim *s, int i, raft_term term)
{
    const raft *r = s->nodes[i].r;
    raft_index from = raft_first_index(r) - 1; /* the snapshot's own index has a term */
    if (from == 0) from = 1;
    for (raft_index x = from; x <= s->max_applied && !s->failed; x++) {
        const sim_index_rec *rec = rec_at(s, x);
        if (!rec->applied || rec->seen_term >= term) continue;
        raft_term has = raft_term_at(r, x);
        if (has != rec->term)
            sim_fail(s,
                     "leader completeness: n%llu leads term %llu, but its log has %s at "
                     "index %llu, where an entry of term %llu was committed by term %llu",
                     ID(s->nodes[i].id), ID(term), has ? "another entry" : "nothing",
                     ID(x), ID(rec->term), ID(rec->seen_term));
    }
}

void sim_check_step(sim *s)
{
    for (int i = 0; i < s->node_count && !s->failed; i++) {
        sim_node *n = &s->nodes[i];
        if (!n->up) continue;
        enum raft_role role = raft_role_of(n->r);
        raft_term term = raft_term_of(n->r);
        if (role != n->seen_role || term != n->seen_term) {
            TRACE(s, "n%llu is %s in term %llu", ID(n->id), raft_role_name(role),
                  ID(term));
            n->seen_role = role;
            n->seen_term = term;
        }
        if (role != RAFT_LEADER) continue;
        if (term >= s->leader_of_term_cap) {
            size_t cap = s->leader_of_term_cap ? s->leader_of_term_cap : 256;
            while (cap <= term)
                cap *= 2;
            s->leader_of_term = mem_realloc(s->leader_of_term, cap * sizeof(raft_id));
            memset(s->leader_of_term + s->leader_of_term_cap, 0,
                   (cap - s->leader_of_term_cap) * sizeof(raft_id));
            s->leader_of_term_cap = cap;
        }
        raft_id *leader = &s->leader_of_term[term];
        if (*leader == 0) {
            *leader = n->id;
            s->elections++;
            sim_on_new_leader(s, i);
        } else if (*leader != n->id) {
            sim_fail(s, "election safety: n%llu and n%llu are both leaders of term %llu",
                     ID(*leader), ID(n->id), ID(term));
            return;
        }
        if (n->checked_leader_term != term) {
            n->checked_leader_term = term;
            check_leader_has_committed(s, i, term);
        }
    }
}

/* ---- Logs ----------------------------------------------------------------- */

void sim_check_written(sim *s, int i, const raft_entry *entries, size_t count)
{
    const sim_node *n = &s->nodes[i];
    for (size_t k = 0; k < count && !s->failed; k++) {
        const raft_entry *e = &entries[k];
        raft_term prev = k > 0 ? entries[k - 1].term
                               : (e->index > 1 ? raft_term_at(n->r, e->index - 1) : 0);
        if (prev > e->term) {
            sim_fail(s,
                     "log: n%llu writes entry %llu of term %llu after one of term %llu",
                     ID(n->id), ID(e->index), ID(e->term), ID(prev));
            return;
        }
        sim_index_rec *rec = rec_at(s, e->index);
        uint64_t h = sim_entry_hash(e);
        sim_written *w = NULL;
        for (size_t q = 0; q < rec->written_count; q++)
            if (rec->written[q].term == e->term) w = &rec->written[q];
        if (w == NULL) {
            rec->written =
                mem_realloc(rec->written, (rec->written_count + 1) * sizeof *w);
            rec->written[rec->written_count++] = (sim_written){e->term, prev, h};
            continue;
        }
        if (w->hash != h)
            sim_fail(s,
                     "log matching: n%llu writes an entry at index %llu, term %llu that "
                     "differs from another node's",
                     ID(n->id), ID(e->index), ID(e->term));
        else if (w->prev_term != 0 && prev != 0 && w->prev_term != prev)
            sim_fail(
                s,
                "log matching: at index %llu, term %llu follows an entry of term %llu "
                "on n%llu but of term %llu on another node",
                ID(e->index), ID(e->term), ID(prev), ID(n->id), ID(w->prev_term));
        else if (w->prev_term == 0)
            w->prev_term = prev;
    }
}

/* ---- State machines ------------------------------------------------------- */

bool sim_check_applied(sim *s, int i, const raft_entry *e)
{
    const sim_node *n = &s->nodes[i];
    sim_index_rec *rec = rec_at(s, e->index);
    uint64_t h = sim_entry_hash(e);
    uint64_t state = sim_kv_hash(n->kv);
    TRACE(s, "n%llu applies %llu (term %llu%s)", ID(n->id), ID(e->index), ID(e->term),
          e->type == RAFT_ENTRY_CONF ? ", conf"
          : e->len == 0              ? ", no-op"
                                     : "");
    if (rec->applied) {
        if (rec->term != e->term || rec->entry_hash != h)
            sim_fail(s,
                     "state machine safety: n%llu applies an entry of term %llu at index "
                     "%llu, where n%llu applied %s entry of term %llu",
                     ID(n->id), ID(e->term), ID(e->index), ID(rec->first_node),
                     rec->term == e->term ? "another" : "an", ID(rec->term));
        else if (rec->state_hash != state)
            sim_fail(s,
                     "state machine safety: n%llu's state after index %llu differs from "
                     "n%llu's",
                     ID(n->id), ID(e->index), ID(rec->first_node));
        return false;
    }
    rec->applied = true;
    rec->term = e->term;
    rec->entry_hash = h;
    rec->state_hash = state;
    rec->seen_term = raft_term_of(n->r);
    rec->first_node = n->id;
    if (e->index > s->max_applied) s->max_applied = e->index;
    /* Newly known committed: every current leader of a later term has it. */
    for (int j = 0; j < s->node_count && !s->failed; j++) {
        const sim_node *l = &s->nodes[j];
        if (!l->up || raft_role_of(l->r) != RAFT_LEADER) continue;
        raft_term lt = raft_term_of(l->r);
        if (lt <= rec->seen_term || e->index + 1 < raft_first_index(l->r)) continue;
        if (raft_term_at(l->r, e->index) != e->term)
            sim_fail(s,
                     "leader completeness: n%llu leads term %llu without entry %llu "
                     "(term %llu), committed by term %llu",
                     ID(l->id), ID(lt), ID(e->index), ID(e->term), ID(rec->seen_term));
    }
    return true;
}

void sim_check_installed(sim *s, int i, const raft_snapshot_meta *meta)
{
    const sim_node *n = &s->nodes[i];
    const sim_index_rec *rec = rec_at(s, meta->index);
    if (!rec->applied)
        sim_fail(s, "n%llu installs a snapshot at index %llu, which no node applied",
                 ID(n->id), ID(meta->index));
    else if (rec->term != meta->term)
        sim_fail(s,
                 "state machine safety: n%llu installs a snapshot at index %llu of term "
                 "%llu, where an entry of term %llu was applied",
                 ID(n->id), ID(meta->index), ID(meta->term), ID(rec->term));
    else if (rec->state_hash != sim_kv_hash(n->kv))
        sim_fail(s,
                 "state machine safety: the snapshot n%llu installs at %llu differs from "
                 "the state n%llu reached there",
                 ID(n->id), ID(meta->index), ID(rec->first_node));
}

/* ---- Durability ----------------------------------------------------------- */

void sim_check_durability(sim *s)
{
    for (raft_index x = 1; x <= s->max_applied && !s->failed; x++) {
        const sim_index_rec *rec = rec_at(s, x);
        if (!rec->applied) continue;
        bool durable = false;
        for (int j = 0; j < s->node_count && !durable; j++) {
            const sim_node *n = &s->nodes[j];
            const sim_log *l = &n->disk.log;
            if (!n->exists || n->retired) continue;
            if (n->disk.snap.meta.index >= x)
                durable = true;
            else if (x >= l->first && x < l->first + l->count)
                durable = l->v[x - l->first].term == rec->term;
        }
        if (!durable)
            sim_fail(s,
                     "durability: committed entry %llu (term %llu) is durable on no node",
                     ID(x), ID(rec->term));
    }
}

/* ---- The persistence contract --------------------------------------------- */

static bool vote_durable(const sim_disk *d, raft_term term, raft_id for_whom)
{
    return d->hs.term > term || (d->hs.term == term && d->hs.vote == for_whom);
}

static void check_promise(sim *s, int i, const raft_msg *m, const char *when)
{
    const sim_node *n = &s->nodes[i];
    const sim_disk *d = &n->disk;
    if (s->opt.no_contract) return;
    switch (m->type) {
    case RAFT_MSG_VOTE_RESP:
        if (!m->reject && !vote_durable(d, m->term, m->to))
            sim_fail(s,
                     "persistence contract: n%llu grants its vote to n%llu for term %llu "
                     "%s, but its durable hard state says term %llu, vote %llu",
                     ID(n->id), ID(m->to), ID(m->term), when, ID(d->hs.term),
                     ID(d->hs.vote));
        break;
    case RAFT_MSG_VOTE:
        if (!vote_durable(d, m->term, n->id))
            sim_fail(
                s,
                "persistence contract: n%llu asks for votes in term %llu %s, but its "
                "durable hard state says term %llu, vote %llu",
                ID(n->id), ID(m->term), when, ID(d->hs.term), ID(d->hs.vote));
        break;
    case RAFT_MSG_APPEND_RESP:
        if (!m->reject && m->index > sim_durable_last(d))
            sim_fail(
                s,
                "persistence contract: n%llu acknowledges entries up to %llu %s, but "
                "only %llu are durable",
                ID(n->id), ID(m->index), when, ID(sim_durable_last(d)));
        break;
    default:
        break;
    }
}

void sim_check_send_now(sim *s, int i, const raft_msg *m)
{
    check_promise(s, i, m, "in a message sent before its write");
}

void sim_check_send_after(sim *s, int i, const raft_msg *m)
{
    check_promise(s, i, m, "after its write");
}

void sim_check_free(sim *s)
{
    for (size_t x = 0; x < s->idx_cap; x++)
        mem_free(s->idx[x].written);
    mem_free(s->idx);
    mem_free(s->leader_of_term);
}
