/* raft/raft.c - roles, elections, replication, reads, snapshots, membership.
 *
 * The structure follows the Raft thesis and etcd's raft library: a message
 * first passes the term checks (§5.1, with pre-vote §9.6 and the
 * check-quorum leader lease §6.2), then the handler of the node's role. Each
 * rule cites the section it implements. */
#include <string.h>

#include "base/mem.h"
#include "raft/raft_int.h"

enum { CAMPAIGN_PRE = 0, CAMPAIGN_ELECTION, CAMPAIGN_TRANSFER };

void raft_config_defaults(raft_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->election_ticks = 10;
    cfg->heartbeat_ticks = 1;
    cfg->pre_vote = true;
    cfg->check_quorum = true;
    cfg->max_inflight_msgs = 256;
    cfg->max_inflight_bytes = 8u << 20;
    cfg->max_msg_bytes = 1u << 20;
    cfg->max_entry_bytes = 64u << 20;
    cfg->max_uncommitted_bytes = 256u << 20;
    cfg->snapshot_chunk_bytes = 1u << 20;
    cfg->max_snapshot_inflight = 2;
    cfg->max_committed_per_ready = 4096;
}

static raft_id self_id(const raft *r)
{
    return r->cfg.id;
}

/* ---- Progress and in-flight windows ------------------------------------- */

progress *raft_progress_of(raft *r, raft_id id)
{
    for (size_t i = 0; i < r->pr_count; i++)
        if (r->prs[i].id == id) return &r->prs[i];
    return NULL;
}

static void infl_reset(inflights *f)
{
    f->start = f->count = 0;
    f->total_bytes = 0;
}

static bool infl_full(const raft *r, const inflights *f)
{
    return f->count == f->cap || f->total_bytes >= r->cfg.max_inflight_bytes;
}

static void infl_add(inflights *f, raft_index last, uint64_t bytes)
{
    PASSERT(f->count < f->cap);
    uint32_t slot = (f->start + f->count) % f->cap;
    f->last[slot] = last;
    f->bytes[slot] = bytes;
    f->count++;
    f->total_bytes += bytes;
}

/* Frees the in-flight appends acknowledged up to `to`. */
static void infl_free_le(inflights *f, raft_index to)
{
    while (f->count > 0 && f->last[f->start] <= to) {
        f->total_bytes -= f->bytes[f->start];
        f->start = (f->start + 1) % f->cap;
        f->count--;
    }
}

static void infl_free_first(inflights *f)
{
    if (f->count > 0) infl_free_le(f, f->last[f->start]);
}

static bool pr_paused(const raft *r, const progress *pr)
{
    switch (pr->state) {
    case PR_PROBE: return pr->probe_sent;
    case PR_REPLICATE: return infl_full(r, &pr->infl);
    default: return true;
    }
}

static void pr_become_probe(progress *pr)
{
    if (pr->state == PR_SNAPSHOT) {
        raft_index pending = pr->pending_snapshot;
        pr->next = (pr->match + 1 > pending + 1) ? pr->match + 1 : pending + 1;
    } else {
        pr->next = pr->match + 1;
    }
    pr->state = PR_PROBE;
    pr->probe_sent = false;
    pr->pending_snapshot = 0;
    infl_reset(&pr->infl);
}

static void pr_become_replicate(progress *pr)
{
    pr->state = PR_REPLICATE;
    pr->next = pr->match + 1;
    pr->probe_sent = false;
    infl_reset(&pr->infl);
}

/* Records that the follower has index n; returns whether match moved. */
static bool pr_maybe_update(progress *pr, raft_index n)
{
    bool updated = false;
    if (pr->match < n) {
        pr->match = n;
        updated = true;
        pr->probe_sent = false;
    }
    if (pr->next < n + 1) pr->next = n + 1;
    return updated;
}

/* A rejection of the append at `rejected`: back off next (fast
 * backtracking: match_hint is the follower's best guess of agreement). */
static bool pr_maybe_decr(progress *pr, raft_index rejected, raft_index match_hint)
{
    if (pr->state == PR_REPLICATE) {
        if (rejected <= pr->match) return false; /* stale */
        pr->next = pr->match + 1;
        return true;
    }
    if (pr->next == 0 || pr->next - 1 != rejected) return false; /* stale */
    raft_index next = rejected < match_hint + 1 ? rejected : match_hint + 1;
    if (next < pr->match + 1) next = pr->match + 1;
    pr->next = next;
    pr->probe_sent = false;
    return true;
}

static void pr_init(raft *r, progress *pr, raft_id id, bool learner)
{
    memset(pr, 0, sizeof *pr);
    pr->id = id;
    pr->learner = learner;
    pr->next = log_last_index(r) + 1;
    pr->infl.cap = r->cfg.max_inflight_msgs;
    pr->infl.last = mem_alloc(pr->infl.cap * sizeof *pr->infl.last);
    pr->infl.bytes = mem_alloc(pr->infl.cap * sizeof *pr->infl.bytes);
    if (id == self_id(r)) pr->match = r->stable;
}

static void pr_destroy(progress *pr)
{
    mem_free(pr->infl.last);
    mem_free(pr->infl.bytes);
}

/* Makes the progress set match the configuration. */
static void sync_progress(raft *r)
{
    for (size_t i = 0; i < r->pr_count;) {
        if (!conf_has(&r->conf, r->prs[i].id)) {
            pr_destroy(&r->prs[i]);
            r->prs[i] = r->prs[--r->pr_count];
        } else {
            r->prs[i].learner = conf_is_learner(&r->conf, r->prs[i].id);
            i++;
        }
    }
    const raft_conf *c = &r->conf;
    const raft_id *lists[3] = {c->voters, c->voters_outgoing, c->learners};
    uint8_t counts[3] = {c->voter_count, c->voter_outgoing_count, c->learner_count};
    for (int l = 0; l < 3; l++) {
        for (uint8_t k = 0; k < counts[l]; k++) {
            raft_id id = lists[l][k];
            if (raft_progress_of(r, id) != NULL) continue;
            PASSERT(r->pr_count < RAFT_PEERS_MAX);
            pr_init(r, &r->prs[r->pr_count++], id, conf_is_learner(c, id));
        }
    }
}

/* ---- Sending ------------------------------------------------------------ */

static void msgbuf_push(msgbuf *b, const raft_msg *m)
{
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->v = mem_realloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->count++] = *m;
}

void raft_send(raft *r, raft_msg *m, bool after_persist)
{
    m->group = r->cfg.group;
    m->from = self_id(r);
    if (m->term == 0) m->term = r->term;
    msgbuf_push(after_persist ? &r->after : &r->msgs, m);
}

static bool promotable(const raft *r)
{
    return conf_is_voter(&r->conf, self_id(r)) && !conf_is_learner(&r->conf, self_id(r));
}

static void reset_randomized_timeout(raft *r)
{
    r->randomized_timeout =
        r->cfg.election_ticks + (uint32_t)rng_below(&r->rng, r->cfg.election_ticks);
}

static bool send_snapshot_chunks(raft *r, progress *pr);

/* Sends the next append to pr (entries from pr->next, bounded by
 * max_msg_bytes), or a snapshot if those entries were compacted away.
 * Returns whether a message was sent. */
static bool send_append(raft *r, progress *pr, bool send_if_empty)
{
    if (pr->id == self_id(r) || pr_paused(r, pr)) return false;
    raft_index prev = pr->next - 1;
    if (prev < r->snap_index) {
        /* §7: the entries this follower needs are in a snapshot now. */
        if (r->snapshot.index == 0) return false;
        pr->state = PR_SNAPSHOT;
        pr->pending_snapshot = r->snapshot.index;
        pr->snap = r->snapshot;
        pr->snap_sent = pr->snap_acked = 0;
        pr->snap_idle_ticks = 0;
        pr->probe_sent = false; /* reused: the final chunk was sent */
        infl_reset(&pr->infl);
        return send_snapshot_chunks(r, pr);
    }
    raft_index last = log_last_index(r);
    uint32_t count = 0;
    uint64_t bytes = 0;
    for (raft_index i = pr->next; i <= last; i++) {
        uint64_t len = log_at(r, i)->len;
        if (count > 0 && bytes + len > r->cfg.max_msg_bytes) break;
        bytes += len;
        count++;
    }
    if (count == 0 && !send_if_empty) return false;
    raft_msg m = {.type = RAFT_MSG_APPEND, .to = pr->id, .index = prev,
                  .log_term = log_term(r, prev), .commit = r->committed};
    if (count > 0) {
        m.entries = mem_alloc(count * sizeof *m.entries);
        for (uint32_t k = 0; k < count; k++) m.entries[k] = *log_at(r, pr->next + k);
        m.entry_count = count;
        raft_index sent_last = pr->next + count - 1;
        if (pr->state == PR_REPLICATE) {
            pr->next = sent_last + 1; /* optimistic: pipelining */
            infl_add(&pr->infl, sent_last, bytes);
        } else {
            pr->probe_sent = true;
        }
    }
    raft_send(r, &m, false);
    return true;
}

static bool send_snapshot_chunks(raft *r, progress *pr)
{
    bool sent = false;
    uint64_t size = pr->snap.size_bytes;
    uint64_t window = (uint64_t)r->cfg.max_snapshot_inflight * r->cfg.snapshot_chunk_bytes;
    /* pr->probe_sent marks that the final chunk went out. */
    while (!pr->probe_sent && pr->snap_sent - pr->snap_acked < window) {
        uint64_t left = size - pr->snap_sent;
        uint32_t len = left < r->cfg.snapshot_chunk_bytes ? (uint32_t)left
                                                          : r->cfg.snapshot_chunk_bytes;
        raft_msg m = {.type = RAFT_MSG_SNAPSHOT, .to = pr->id, .snap = pr->snap,
                      .offset = pr->snap_sent, .len = len,
                      .last = pr->snap_sent + len == size};
        raft_send(r, &m, false);
        pr->snap_sent += len;
        if (m.last) pr->probe_sent = true;
        sent = true;
    }
    return sent;
}

static void bcast_append(raft *r)
{
    for (size_t i = 0; i < r->pr_count; i++) send_append(r, &r->prs[i], true);
}

/* Sends a heartbeat round; returns its sequence number, which followers
 * echo and which confirms reads registered before it. */
static uint64_t bcast_heartbeat(raft *r)
{
    uint64_t seq = ++r->hb_seq;
    r->hb_tick[seq % RAFT_HB_RING] = r->ticks;
    for (size_t i = 0; i < r->pr_count; i++) {
        progress *pr = &r->prs[i];
        if (pr->id == self_id(r)) continue;
        raft_index commit = pr->match < r->committed ? pr->match : r->committed;
        raft_msg m = {.type = RAFT_MSG_HEARTBEAT, .to = pr->id, .commit = commit, .ctx = seq};
        raft_send(r, &m, false);
    }
    return seq;
}

/* ---- Role changes --------------------------------------------------------- */

static void reset(raft *r, raft_term term)
{
    if (r->term != term) {
        r->term = term;
        r->vote = 0;
    }
    r->leader = 0;
    r->election_elapsed = 0;
    r->heartbeat_elapsed = 0;
    reset_randomized_timeout(r);
    r->transferee = 0;
    r->lease_off = false;
    r->vote_count = 0;
    r->read_count = 0; /* unconfirmed reads die with the leadership */
    r->uncommitted_bytes = 0;
    for (size_t i = 0; i < r->pr_count; i++) {
        progress *pr = &r->prs[i];
        raft_id id = pr->id;
        bool learner = pr->learner;
        inflights infl = pr->infl;
        memset(pr, 0, sizeof *pr);
        pr->id = id;
        pr->learner = learner;
        pr->infl = infl;
        infl_reset(&pr->infl);
        pr->next = log_last_index(r) + 1;
        if (id == self_id(r)) pr->match = r->stable;
    }
}

static void become_follower(raft *r, raft_term term, raft_id leader)
{
    reset(r, term);
    r->role = RAFT_FOLLOWER;
    r->leader = leader;
}

static void become_precandidate(raft *r)
{
    PASSERT(r->role != RAFT_LEADER);
    /* §9.6: a pre-candidate changes neither its term nor its vote. */
    r->role = RAFT_PRECANDIDATE;
    r->leader = 0;
    r->vote_count = 0;
}

static void become_candidate(raft *r)
{
    PASSERT(r->role != RAFT_LEADER);
    reset(r, r->term + 1);
    r->vote = self_id(r);
    r->role = RAFT_CANDIDATE;
}

static void append_leader_entry(raft *r, uint8_t type, const void *data, uint32_t len)
{
    raft_entry e = {.term = r->term, .index = log_last_index(r) + 1, .type = type,
                    .len = len, .data = (uint8_t *)(uintptr_t)data};
    log_append(r, &e);
    r->uncommitted_bytes += len;
}

static void become_leader(raft *r)
{
    PASSERT(r->role == RAFT_CANDIDATE);
    reset(r, r->term);
    r->role = RAFT_LEADER;
    r->leader = self_id(r);
    progress *me = raft_progress_of(r, self_id(r));
    if (me) pr_become_replicate(me);
    if (me) me->match = r->stable;
    /* Entries before the no-op may hold an uncommitted configuration: no new
     * change until everything in the log has been applied (as etcd). */
    r->pending_conf_index = log_last_index(r);
    /* §8: a no-op of the new term lets the leader commit (and learn the
     * commit index of) everything before it. */
    append_leader_entry(r, RAFT_ENTRY_NORMAL, NULL, 0);
    bcast_append(r);
}

static void record_vote(raft *r, raft_id from, bool granted)
{
    for (size_t i = 0; i < r->vote_count; i++)
        if (r->votes_from[i] == from) return; /* first answer counts */
    PASSERT(r->vote_count < RAFT_PEERS_MAX);
    r->votes_from[r->vote_count] = from;
    r->votes_granted[r->vote_count] = granted;
    r->vote_count++;
}

static void campaign(raft *r, int kind)
{
    if (!promotable(r)) return;
    raft_term term;
    uint8_t type;
    if (kind == CAMPAIGN_PRE) {
        become_precandidate(r);
        term = r->term + 1;
        type = RAFT_MSG_PREVOTE;
    } else {
        become_candidate(r);
        term = r->term;
        type = RAFT_MSG_VOTE;
    }
    record_vote(r, self_id(r), true);
    if (conf_tally(&r->conf, r->votes_from, r->votes_granted, r->vote_count) == VOTE_WON) {
        if (kind == CAMPAIGN_PRE) campaign(r, CAMPAIGN_ELECTION);
        else become_leader(r);
        return;
    }
    for (size_t i = 0; i < r->pr_count; i++) {
        raft_id id = r->prs[i].id;
        if (id == self_id(r) || !conf_is_voter(&r->conf, id)) continue;
        raft_msg m = {.type = type, .to = id, .term = term, .index = log_last_index(r),
                      .log_term = log_last_term(r), .transfer = kind == CAMPAIGN_TRANSFER};
        /* A vote request may only leave once our own vote is durable. */
        raft_send(r, &m, type == RAFT_MSG_VOTE);
    }
}

void raft_campaign(raft *r)
{
    if (r->role == RAFT_LEADER) return;
    campaign(r, r->cfg.pre_vote ? CAMPAIGN_PRE : CAMPAIGN_ELECTION);
}

/* ---- Commit and reads -------------------------------------------------------- */

static raft_index match_of(const raft *r, raft_id id)
{
    for (size_t i = 0; i < r->pr_count; i++)
        if (r->prs[i].id == id) return r->prs[i].match;
    return 0;
}

static void release_read(raft *r, uint64_t ctx, raft_id from, raft_index index)
{
    if (from == self_id(r) || from == 0) {
        if (r->read_state_count == r->read_state_cap) {
            r->read_state_cap = r->read_state_cap ? r->read_state_cap * 2 : 16;
            r->read_states =
                mem_realloc(r->read_states, r->read_state_cap * sizeof *r->read_states);
        }
        r->read_states[r->read_state_count++] = (raft_read_state){ctx, index};
        return;
    }
    raft_msg m = {.type = RAFT_MSG_READ_INDEX_RESP, .to = from, .ctx = ctx, .index = index};
    raft_send(r, &m, false);
}

static bool acked_seq(const raft *r, raft_id id, uint64_t seq)
{
    if (id == self_id(r)) return true;
    for (size_t i = 0; i < r->pr_count; i++)
        if (r->prs[i].id == id) return r->prs[i].acked_seq >= seq;
    return false;
}

/* Releases, in order, the reads a quorum has confirmed (§6.4). */
static void release_confirmed_reads(raft *r)
{
    size_t done = 0;
    while (done < r->read_count) {
        read_req *q = &r->reads[done];
        if (q->seq == 0 || !conf_quorum(r, &r->conf, acked_seq, q->seq)) break;
        release_read(r, q->ctx, q->from, q->index);
        done++;
    }
    if (done == 0) return;
    memmove(r->reads, r->reads + done, (r->read_count - done) * sizeof *r->reads);
    r->read_count -= done;
}

static bool committed_in_term(const raft *r)
{
    return log_term(r, r->committed) == r->term;
}

/* Reads that waited for the leader's first commit get their read index
 * and a heartbeat round to confirm them. */
static void start_waiting_reads(raft *r)
{
    bool any = false;
    for (size_t i = 0; i < r->read_count; i++) any |= r->reads[i].seq == 0;
    if (!any) return;
    uint64_t seq = bcast_heartbeat(r);
    for (size_t i = 0; i < r->read_count; i++) {
        if (r->reads[i].seq != 0) continue;
        r->reads[i].seq = seq;
        r->reads[i].index = r->committed;
    }
    release_confirmed_reads(r);
}

static void commit_to(raft *r, raft_index index)
{
    if (index <= r->committed) return;
    raft_index last = log_last_index(r);
    if (!ALWAYS(index <= last)) index = last;
    if (r->role == RAFT_LEADER) {
        for (raft_index i = r->committed + 1; i <= index; i++) {
            uint32_t len = log_has(r, i) ? log_at(r, i)->len : 0;
            r->uncommitted_bytes = r->uncommitted_bytes > len ? r->uncommitted_bytes - len : 0;
        }
    }
    r->committed = index;
}

/* §5.3/§5.4.2: advance the commit index to what a quorum has matched, but
 * only by counting replicas of an entry of the current term. */
static bool maybe_commit(raft *r)
{
    raft_index mci = conf_committed_index(r, &r->conf, match_of);
    if (mci <= r->committed) return false;
    if (!(r->bugs & RAFT_BUG_COMMIT_OLD_TERM) && log_term(r, mci) != r->term) return false;
    commit_to(r, mci);
    if (committed_in_term(r)) start_waiting_reads(r);
    return true;
}

/* Tick of the newest heartbeat round peer `id` acknowledged. */
static raft_index ack_tick(const raft *r, raft_id id)
{
    if (id == self_id(r)) return r->ticks;
    for (size_t i = 0; i < r->pr_count; i++) {
        const progress *pr = &r->prs[i];
        if (pr->id != id) continue;
        if (pr->acked_seq == 0 || r->hb_seq - pr->acked_seq >= RAFT_HB_RING) return 0;
        return r->hb_tick[pr->acked_seq % RAFT_HB_RING];
    }
    return 0;
}

/* §6.4.1: the leader's lease. Followers refuse to vote for
 * election_ticks after hearing from us (check-quorum), so while a quorum
 * acknowledged a heartbeat sent less than election_ticks - drift ago, no
 * other leader can exist. */
static bool lease_valid(const raft *r)
{
    /* A transferee campaigns past the followers' lease check, so once we
     * sent TimeoutNow our lease protects nothing, for the rest of the term
     * (even if the transfer fails: the message may still arrive). Found by
     * polis-sim --seed 23722. ReadIndex with confirmation still works. */
    if (!r->cfg.lease_reads || r->lease_off) return false;
    raft_index start = conf_committed_index(r, &r->conf, ack_tick);
    if (start == 0) return false;
    return r->ticks < start + r->cfg.election_ticks - r->cfg.clock_drift_ticks;
}

static void leader_read(raft *r, uint64_t ctx, raft_id from)
{
    if (r->read_count == r->read_cap) {
        r->read_cap = r->read_cap ? r->read_cap * 2 : 16;
        r->reads = mem_realloc(r->reads, r->read_cap * sizeof *r->reads);
    }
    if (!committed_in_term(r)) {
        /* §6.4 step 1: the commit index is only known to be current once an
         * entry of this term is committed. */
        r->reads[r->read_count++] = (read_req){ctx, from, 0, 0};
        return;
    }
    if ((r->bugs & RAFT_BUG_READ_NO_QUORUM) || lease_valid(r)) {
        release_read(r, ctx, from, r->committed);
        return;
    }
    uint64_t seq = bcast_heartbeat(r);
    r->reads[r->read_count++] = (read_req){ctx, from, r->committed, seq};
    release_confirmed_reads(r);
}

/* ---- Message handlers ------------------------------------------------------ */

static void handle_vote(raft *r, const raft_msg *m)
{
    bool pre = m->type == RAFT_MSG_PREVOTE;
    bool can_vote = r->vote == m->from || (r->vote == 0 && r->leader == 0) ||
                    (pre && m->term > r->term);
    bool up_to_date = log_up_to_date(r, m->log_term, m->index) ||
                      (r->bugs & RAFT_BUG_VOTE_STALE_LOG);
    raft_msg resp = {.type = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP, .to = m->from};
    if (can_vote && up_to_date) {
        /* Grants carry the request's term (for a pre-vote, the future term). */
        resp.term = m->term;
        if (!pre) {
            r->election_elapsed = 0;
            r->vote = m->from;
        }
    } else {
        resp.term = r->term;
        resp.reject = true;
    }
    raft_send(r, &resp, !pre);
}

static void handle_vote_resp(raft *r, const raft_msg *m)
{
    bool mine = (r->role == RAFT_PRECANDIDATE && m->type == RAFT_MSG_PREVOTE_RESP) ||
                (r->role == RAFT_CANDIDATE && m->type == RAFT_MSG_VOTE_RESP);
    if (!mine) return;
    record_vote(r, m->from, !m->reject);
    switch (conf_tally(&r->conf, r->votes_from, r->votes_granted, r->vote_count)) {
    case VOTE_WON:
        if (r->role == RAFT_PRECANDIDATE) campaign(r, CAMPAIGN_ELECTION);
        else become_leader(r);
        break;
    case VOTE_LOST:
        become_follower(r, r->term, 0);
        break;
    default:
        break;
    }
}

static int check_entries(const raft_msg *m)
{
    for (uint32_t k = 0; k < m->entry_count; k++) {
        const raft_entry *e = &m->entries[k];
        if (e->index != m->index + 1 + k || e->term > m->term) return RAFT_E_INVALID;
        if (k > 0 && e->term < m->entries[k - 1].term) return RAFT_E_INVALID;
        if (k == 0 && e->term < m->log_term) return RAFT_E_INVALID;
        if (e->len > 0 && e->data == NULL) return RAFT_E_INVALID;
    }
    return RAFT_OK;
}

static void handle_append(raft *r, const raft_msg *m)
{
    raft_msg resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
    if (m->index < r->committed) {
        resp.index = r->committed;
        raft_send(r, &resp, true);
        return;
    }
    raft_index last = log_last_index(r);
    if (m->index <= last && log_term(r, m->index) == m->log_term) {
        /* §5.3: skip entries we already have; the first conflicting one and
         * everything after it are replaced. Never truncate on a match: an
         * old, reordered append must not undo newer ones. */
        uint32_t k = 0;
        for (; k < m->entry_count; k++) {
            const raft_entry *e = &m->entries[k];
            if (!log_has(r, e->index)) break;
            if (log_term(r, e->index) != e->term) {
                log_truncate(r, e->index);
                break;
            }
        }
        for (; k < m->entry_count; k++) log_append(r, &m->entries[k]);
        raft_index last_new = m->index + m->entry_count;
        commit_to(r, m->commit < last_new ? m->commit : last_new);
        resp.index = last_new;
    } else {
        resp.reject = true;
        resp.index = m->index;
        raft_index hint = m->index < last ? m->index : last;
        hint = log_find_conflict_by_term(r, hint, m->log_term);
        resp.hint_index = hint;
        resp.hint_term = log_term(r, hint);
    }
    raft_send(r, &resp, true);
}

static void handle_append_resp(raft *r, const raft_msg *m)
{
    progress *pr = raft_progress_of(r, m->from);
    if (pr == NULL) return;
    pr->recent_active = true;
    if (m->reject) {
        raft_index next_probe = m->hint_index;
        if (m->hint_term > 0)
            next_probe = log_find_conflict_by_term(r, m->hint_index, m->hint_term);
        if (pr_maybe_decr(pr, m->index, next_probe)) {
            if (pr->state == PR_REPLICATE) pr_become_probe(pr);
            send_append(r, pr, true);
        }
        return;
    }
    bool was_paused = pr_paused(r, pr);
    if (!pr_maybe_update(pr, m->index)) return;
    if (pr->state == PR_PROBE) {
        pr_become_replicate(pr);
    } else if (pr->state == PR_SNAPSHOT && pr->match >= pr->pending_snapshot) {
        pr_become_probe(pr);
        pr_become_replicate(pr);
    } else if (pr->state == PR_REPLICATE) {
        infl_free_le(&pr->infl, m->index);
    }
    if (maybe_commit(r)) bcast_append(r);
    else if (was_paused) send_append(r, pr, true);
    while (send_append(r, pr, false)) {
    }
    if (m->from == r->transferee && pr->match == log_last_index(r)) {
        raft_msg tn = {.type = RAFT_MSG_TIMEOUT_NOW, .to = m->from};
        raft_send(r, &tn, false);
        r->lease_off = true;
    }
}

static void handle_heartbeat(raft *r, const raft_msg *m)
{
    raft_index last = log_last_index(r);
    /* The log is about to be replaced by a snapshot: no commit on it. */
    if (!r->install_pending) commit_to(r, m->commit < last ? m->commit : last);
    raft_msg resp = {.type = RAFT_MSG_HEARTBEAT_RESP, .to = m->from, .ctx = m->ctx};
    raft_send(r, &resp, false);
}

static void handle_heartbeat_resp(raft *r, const raft_msg *m)
{
    progress *pr = raft_progress_of(r, m->from);
    if (pr == NULL) return;
    pr->recent_active = true;
    pr->probe_sent = pr->state == PR_SNAPSHOT ? pr->probe_sent : false;
    if (pr->state == PR_REPLICATE && infl_full(r, &pr->infl)) infl_free_first(&pr->infl);
    if (pr->match < log_last_index(r)) send_append(r, pr, true);
    if (m->ctx > pr->acked_seq && m->ctx <= r->hb_seq) pr->acked_seq = m->ctx;
    release_confirmed_reads(r);
}

static void handle_snapshot(raft *r, const raft_msg *m)
{
    raft_msg resp = {.type = RAFT_MSG_SNAPSHOT_RESP, .to = m->from, .snap = m->snap};
    if (m->snap.index <= r->committed) {
        /* We already have everything it holds. */
        raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .to = m->from, .index = r->committed};
        raft_send(r, &ack, true);
        return;
    }
    if (r->install_pending) return; /* the whole snapshot is being installed */
    bool same = r->receiving && r->recv_meta.index == m->snap.index &&
                r->recv_meta.term == m->snap.term;
    if (!same) {
        if (m->offset != 0) {
            resp.reject = true;
            resp.offset = 0;
            raft_send(r, &resp, false);
            return;
        }
        r->receiving = true;
        r->recv_meta = m->snap;
        r->recv_offset = 0;
    }
    if (m->offset != r->recv_offset) {
        /* A chunk was lost or duplicated: ask for the one we need. */
        resp.reject = true;
        resp.offset = r->recv_offset;
        raft_send(r, &resp, false);
        return;
    }
    if (r->chunk_count == r->chunk_cap) {
        r->chunk_cap = r->chunk_cap ? r->chunk_cap * 2 : 4;
        r->chunks = mem_realloc(r->chunks, r->chunk_cap * sizeof *r->chunks);
    }
    uint8_t *bytes = m->len ? mem_alloc(m->len) : NULL;
    if (m->len) memcpy(bytes, m->data, m->len);
    r->chunks[r->chunk_count++] =
        (raft_snapshot_chunk){m->snap, m->offset, m->len, bytes, m->last};
    r->recv_offset += m->len;
    resp.offset = r->recv_offset;
    raft_send(r, &resp, true);
    if (!m->last) return;
    r->receiving = false;
    if (log_term(r, m->snap.index) == m->snap.term) {
        /* Our log already holds the snapshot's last entry: just commit. */
        commit_to(r, m->snap.index);
        raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .to = m->from,
                        .index = log_last_index(r)};
        raft_send(r, &ack, true);
        return;
    }
    r->install_pending = true;
    r->recv_meta = m->snap;
    r->leader = m->from;
}

static void handle_snapshot_resp(raft *r, const raft_msg *m)
{
    progress *pr = raft_progress_of(r, m->from);
    if (pr == NULL || pr->state != PR_SNAPSHOT) return;
    if (m->snap.index != pr->snap.index || m->snap.term != pr->snap.term) return;
    pr->recent_active = true;
    pr->snap_idle_ticks = 0;
    if (m->reject) {
        /* Resend from what the follower has. */
        pr->snap_sent = pr->snap_acked = m->offset;
        pr->probe_sent = false;
    } else if (m->offset > pr->snap_acked && m->offset <= pr->snap_sent) {
        pr->snap_acked = m->offset;
    }
    send_snapshot_chunks(r, pr);
}

static void step_leader(raft *r, const raft_msg *m)
{
    switch (m->type) {
    case RAFT_MSG_APPEND_RESP: handle_append_resp(r, m); break;
    case RAFT_MSG_HEARTBEAT_RESP: handle_heartbeat_resp(r, m); break;
    case RAFT_MSG_SNAPSHOT_RESP: handle_snapshot_resp(r, m); break;
    case RAFT_MSG_READ_INDEX:
        if (raft_progress_of(r, m->from)) leader_read(r, m->ctx, m->from);
        break;
    default: break;
    }
}

static void step_follower(raft *r, const raft_msg *m)
{
    switch (m->type) {
    case RAFT_MSG_APPEND:
    case RAFT_MSG_HEARTBEAT:
    case RAFT_MSG_SNAPSHOT:
        r->election_elapsed = 0;
        r->leader = m->from;
        /* An append acknowledged now would be wiped by the snapshot install
         * in the next batch: drop it, the leader retries. */
        if (m->type == RAFT_MSG_APPEND && r->install_pending) break;
        if (m->type == RAFT_MSG_APPEND) handle_append(r, m);
        else if (m->type == RAFT_MSG_HEARTBEAT) handle_heartbeat(r, m);
        else handle_snapshot(r, m);
        break;
    case RAFT_MSG_TIMEOUT_NOW:
        /* §3.10: the leader hands over; skip pre-vote and the lease check. */
        campaign(r, CAMPAIGN_TRANSFER);
        break;
    case RAFT_MSG_READ_INDEX_RESP:
        release_read(r, m->ctx, self_id(r), m->index);
        break;
    default: break;
    }
}

int raft_step(raft *r, const raft_msg *m)
{
    if (m->group != r->cfg.group || m->type == 0 || m->type >= RAFT_MSG_TYPE_MAX_)
        return RAFT_E_STALE;
    if (m->from == 0 || m->from == self_id(r)) return RAFT_E_INVALID;
    if (m->type == RAFT_MSG_APPEND && check_entries(m) != RAFT_OK) return RAFT_E_INVALID;
    if (m->type == RAFT_MSG_SNAPSHOT &&
        (m->len > r->cfg.snapshot_chunk_bytes || m->offset + m->len > m->snap.size_bytes ||
         m->last != (m->offset + m->len == m->snap.size_bytes) || (m->len && !m->data)))
        return RAFT_E_INVALID;

    if (m->term > r->term) {
        bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE;
        if (vote_req) {
            /* §4.2.3/§6.2: while we hear from a leader, ignore candidates
             * (a partitioned node rejoining must not depose it), unless the
             * leader itself asked for the election. */
            bool in_lease = r->cfg.check_quorum && r->leader != 0 &&
                            r->election_elapsed < r->cfg.election_ticks;
            if (in_lease && !m->transfer) return RAFT_OK;
        }
        if (m->type == RAFT_MSG_PREVOTE) {
            /* §9.6: a pre-vote never changes our term. */
        } else if (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject) {
            /* Granted for the future term: counted below. */
        } else {
            bool from_leader = m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
                               m->type == RAFT_MSG_SNAPSHOT;
            become_follower(r, m->term, from_leader ? m->from : 0);
        }
    } else if (m->term < r->term) {
        if ((r->cfg.check_quorum || r->cfg.pre_vote) &&
            (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT)) {
            /* A deposed leader (or a node cut off for a while) learns the new
             * term from our reply and steps down. */
            raft_msg resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
            raft_send(r, &resp, false);
        } else if (m->type == RAFT_MSG_PREVOTE) {
            raft_msg resp = {.type = RAFT_MSG_PREVOTE_RESP, .to = m->from, .reject = true};
            raft_send(r, &resp, false);
        }
        return RAFT_E_STALE;
    }

    switch (m->type) {
    case RAFT_MSG_PREVOTE:
    case RAFT_MSG_VOTE:
        handle_vote(r, m);
        return RAFT_OK;
    case RAFT_MSG_PREVOTE_RESP:
    case RAFT_MSG_VOTE_RESP:
        handle_vote_resp(r, m);
        return RAFT_OK;
    default:
        break;
    }
    switch (r->role) {
    case RAFT_LEADER:
        step_leader(r, m);
        break;
    case RAFT_PRECANDIDATE:
    case RAFT_CANDIDATE:
        if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
            m->type == RAFT_MSG_SNAPSHOT) {
            /* §5.2: a leader of our term exists. */
            become_follower(r, r->term, m->from);
            step_follower(r, m);
        }
        break;
    case RAFT_FOLLOWER:
        step_follower(r, m);
        break;
    }
    return RAFT_OK;
}

/* ---- Ticks --------------------------------------------------------------------- */

static bool recently_active(const raft *r, raft_id id, uint64_t arg)
{
    (void)arg;
    if (id == self_id(r)) return true;
    for (size_t i = 0; i < r->pr_count; i++)
        if (r->prs[i].id == id) return r->prs[i].recent_active;
    return false;
}

static void propose_leave_joint(raft *r)
{
    raft_conf_change leave = {RAFT_CONF_LEAVE_JOINT, 0};
    raft_index idx;
    raft_propose_conf_change(r, &leave, 1, &idx);
}

static void tick_leader(raft *r)
{
    r->heartbeat_elapsed++;
    r->election_elapsed++;
    if (r->election_elapsed >= r->cfg.election_ticks) {
        r->election_elapsed = 0;
        if (r->cfg.check_quorum) {
            /* §6.2: a leader that has not heard from a quorum for an election
             * timeout steps down, so clients can find the real leader. */
            if (!conf_quorum(r, &r->conf, recently_active, 0)) {
                become_follower(r, r->term, 0);
                return;
            }
            for (size_t i = 0; i < r->pr_count; i++)
                r->prs[i].recent_active = r->prs[i].id == self_id(r);
        }
        r->transferee = 0; /* a transfer that took this long failed */
    }
    for (size_t i = 0; i < r->pr_count; i++) {
        progress *pr = &r->prs[i];
        if (pr->state != PR_SNAPSHOT) continue;
        if (++pr->snap_idle_ticks >= 2 * r->cfg.election_ticks) {
            /* No word about the transfer: resend from what was confirmed. */
            pr->snap_idle_ticks = 0;
            pr->snap_sent = pr->snap_acked;
            pr->probe_sent = false;
            send_snapshot_chunks(r, pr);
        }
    }
    if (r->heartbeat_elapsed >= r->cfg.heartbeat_ticks) {
        r->heartbeat_elapsed = 0;
        bcast_heartbeat(r);
    }
    if (conf_is_joint(&r->conf) && r->pending_conf_index <= r->handed) propose_leave_joint(r);
}

void raft_tick(raft *r)
{
    r->ticks++;
    if (r->role == RAFT_LEADER) {
        tick_leader(r);
        return;
    }
    r->election_elapsed++;
    if (promotable(r) && r->election_elapsed >= r->randomized_timeout) {
        r->election_elapsed = 0;
        campaign(r, r->cfg.pre_vote ? CAMPAIGN_PRE : CAMPAIGN_ELECTION);
    }
}

/* ---- Client inputs -------------------------------------------------------------- */

uint64_t raft_log_bytes(const raft *r)
{
    return r->log_data_bytes + r->log_cap * sizeof *r->log;
}

void raft_flush_appends(raft *r)
{
    for (size_t i = 0; i < r->pr_count; i++)
        while (send_append(r, &r->prs[i], false)) {
        }
}

int raft_propose(raft *r, const void *data, uint32_t len, raft_index *index)
{
    if (r->role != RAFT_LEADER) return RAFT_E_NOT_LEADER;
    if (r->transferee != 0) return RAFT_E_BUSY;
    if (len > r->cfg.max_entry_bytes) return RAFT_E_TOO_BIG;
    if (r->uncommitted_bytes > 0 && r->uncommitted_bytes + len > r->cfg.max_uncommitted_bytes)
        return RAFT_E_BUSY;
    append_leader_entry(r, RAFT_ENTRY_NORMAL, data, len);
    *index = log_last_index(r);
    /* The append to followers goes out with the next ready batch, so the
     * proposals of one loop iteration share one message per follower. */
    return RAFT_OK;
}

int raft_propose_conf_change(raft *r, const raft_conf_change *changes, size_t count,
                             raft_index *index)
{
    if (r->role != RAFT_LEADER) return RAFT_E_NOT_LEADER;
    if (r->transferee != 0 || r->pending_conf_index > r->handed) return RAFT_E_BUSY;
    if (count == 0 || count > RAFT_NODES_MAX) return RAFT_E_INVALID;
    raft_conf next;
    if (conf_apply_changes(&r->conf, changes, count, &next) != RAFT_OK) return RAFT_E_INVALID;
    uint8_t data[RAFT_NODES_MAX * 9];
    uint32_t len = conf_encode(changes, count, data, sizeof data);
    append_leader_entry(r, RAFT_ENTRY_CONF, data, len);
    *index = log_last_index(r);
    r->pending_conf_index = *index;
    return RAFT_OK;
}

int raft_read_index(raft *r, uint64_t ctx)
{
    if (r->role == RAFT_LEADER) {
        leader_read(r, ctx, self_id(r));
        return RAFT_OK;
    }
    if (r->leader == 0) return RAFT_E_NOT_LEADER;
    raft_msg m = {.type = RAFT_MSG_READ_INDEX, .to = r->leader, .ctx = ctx};
    raft_send(r, &m, false);
    return RAFT_OK;
}

int raft_transfer_leader(raft *r, raft_id to)
{
    if (r->role != RAFT_LEADER) return RAFT_E_NOT_LEADER;
    if (to == self_id(r)) return RAFT_OK;
    progress *pr = raft_progress_of(r, to);
    if (pr == NULL || !conf_is_voter(&r->conf, to) || conf_is_learner(&r->conf, to))
        return RAFT_E_INVALID;
    r->transferee = to;
    r->election_elapsed = 0; /* the transfer must finish within a timeout */
    if (pr->match == log_last_index(r)) {
        raft_msg tn = {.type = RAFT_MSG_TIMEOUT_NOW, .to = to};
        raft_send(r, &tn, false);
        r->lease_off = true;
    } else {
        send_append(r, pr, true);
    }
    return RAFT_OK;
}

void raft_report_unreachable(raft *r, raft_id peer)
{
    progress *pr = raft_progress_of(r, peer);
    if (r->role != RAFT_LEADER || pr == NULL) return;
    if (pr->state == PR_REPLICATE) pr_become_probe(pr);
    else if (pr->state == PR_SNAPSHOT) {
        /* Start over later, with the newest snapshot. */
        pr->pending_snapshot = 0;
        pr->state = PR_PROBE;
        pr->probe_sent = false;
        pr->next = pr->match + 1;
    }
}

void raft_snapshot_sized(raft *r, uint64_t size_bytes)
{
    PASSERT(r->snapshot.index != 0 && r->snapshot.index == r->snap_index);
    r->snapshot.size_bytes = size_bytes;
}

void raft_snapshot_taken(raft *r, const raft_snapshot_meta *meta, raft_index keep_entries)
{
    PASSERT(meta->index <= r->handed);
    if (meta->index <= r->snapshot.index) return;
    PASSERT(meta->index == r->snap_index || log_term(r, meta->index) == meta->term);
    r->snapshot = *meta;
    if (meta->index > keep_entries) {
        raft_index upto = meta->index - keep_entries;
        if (upto > r->snap_index) log_compact(r, upto, log_term(r, upto));
        if (r->persist_from <= upto) r->persist_from = upto + 1;
    }
}

/* ---- Configuration changes, applied as entries are handed out ------------------ */

void raft_apply_conf_entry(raft *r, const raft_entry *e)
{
    raft_conf_change changes[RAFT_NODES_MAX];
    size_t n = conf_decode(e->data, e->len, changes, RAFT_NODES_MAX);
    raft_conf next;
    if (n == 0 || conf_apply_changes(&r->conf, changes, n, &next) != RAFT_OK) {
        /* The leader validated it; a committed entry that no longer applies
         * (e.g. a duplicate leave) is skipped identically on every node. */
        return;
    }
    r->conf = next;
    sync_progress(r);
    if (r->role == RAFT_LEADER) {
        if (!conf_is_voter(&r->conf, self_id(r))) {
            /* §4.2.2: a leader removed from the configuration steps down once
             * the change is committed. */
            become_follower(r, r->term, 0);
            return;
        }
        if (maybe_commit(r)) bcast_append(r);
        else raft_flush_appends(r);
    } else if (!promotable(r) && r->role != RAFT_FOLLOWER) {
        become_follower(r, r->term, 0);
    }
}

void raft_after_install(raft *r, const raft_snapshot_meta *meta)
{
    log_reset(r, meta->index, meta->term);
    r->committed = meta->index;
    r->handed = meta->index;
    r->conf = meta->conf;
    r->snapshot = *meta;
    sync_progress(r);
}

/* The host persisted everything up to r->stable: a leader counts itself. */
void raft_on_stable(raft *r)
{
    if (r->role != RAFT_LEADER) return;
    progress *me = raft_progress_of(r, self_id(r));
    if (me == NULL) return;
    if (pr_maybe_update(me, r->stable) && maybe_commit(r)) bcast_append(r);
}

/* ---- Construction ------------------------------------------------------------- */

raft *raft_new(const raft_config *cfg, const raft_hard_state *hs,
               const raft_snapshot_meta *snap, const raft_entry *entries,
               size_t entry_count, const raft_conf *bootstrap)
{
    if (cfg->id == 0 || cfg->election_ticks < 2 || cfg->heartbeat_ticks == 0 ||
        cfg->heartbeat_ticks >= cfg->election_ticks || cfg->max_inflight_msgs == 0 ||
        cfg->snapshot_chunk_bytes == 0 || cfg->max_snapshot_inflight == 0)
        return NULL;
    /* Lease reads are only safe with check-quorum and a drift bound that
     * leaves part of the election timeout. */
    if (cfg->lease_reads &&
        (!cfg->check_quorum || cfg->clock_drift_ticks >= cfg->election_ticks))
        return NULL;
    raft *r = mem_calloc(1, sizeof *r);
    r->cfg = *cfg;
    rng_seed(&r->rng, cfg->seed ^ (cfg->id * 0x9e3779b97f4a7c15ull) ^ cfg->group);
    r->term = hs ? hs->term : 0;
    r->vote = hs ? hs->vote : 0;
    if (snap && snap->index > 0) {
        r->snap_index = snap->index;
        r->snap_term = snap->term;
        r->conf = snap->conf;
        r->snapshot = *snap;
    }
    for (size_t i = 0; i < entry_count; i++) {
        if (entries[i].index != log_last_index(r) + 1 || entries[i].term < log_last_term(r)) {
            log_destroy(r);
            mem_free(r);
            return NULL;
        }
        log_append(r, &entries[i]);
    }
    r->stable = log_last_index(r);
    r->persist_from = r->stable + 1;
    r->handed = r->snap_index;
    r->committed = r->snap_index;
    if (hs && hs->commit > r->committed) r->committed = hs->commit;
    if (r->committed > log_last_index(r)) r->committed = log_last_index(r);
    r->persisted = (raft_hard_state){r->term, r->vote, r->committed};
    if (bootstrap && log_last_index(r) == 0 && r->snap_index == 0) {
        /* A new group: every founding node writes the same first entry (its
         * configuration) at term 1, so their logs agree from the start. */
        raft_conf_change changes[RAFT_NODES_MAX * 2];
        size_t n = 0;
        for (uint8_t i = 0; i < bootstrap->voter_count; i++)
            changes[n++] = (raft_conf_change){RAFT_CONF_ADD_VOTER, bootstrap->voters[i]};
        for (uint8_t i = 0; i < bootstrap->learner_count && n < RAFT_NODES_MAX; i++)
            changes[n++] = (raft_conf_change){RAFT_CONF_ADD_LEARNER, bootstrap->learners[i]};
        uint8_t data[RAFT_NODES_MAX * 9];
        uint32_t len = conf_encode(changes, n, data, sizeof data);
        raft_entry e = {.term = 1, .index = 1, .type = RAFT_ENTRY_CONF, .len = len, .data = data};
        log_append(r, &e);
        r->term = 1;
        r->committed = 1;
        raft_apply_conf_entry(r, &e);
        r->handed = 1;
    }
    sync_progress(r);
    r->role = RAFT_FOLLOWER;
    reset_randomized_timeout(r);
    return r;
}

void raft_free(raft *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->pr_count; i++) pr_destroy(&r->prs[i]);
    for (size_t i = 0; i < r->msgs.count; i++) mem_free(r->msgs.v[i].entries);
    for (size_t i = 0; i < r->out_msgs.count; i++) mem_free(r->out_msgs.v[i].entries);
    for (size_t i = 0; i < r->chunk_count; i++) raft_chunk_free(&r->chunks[i]);
    for (size_t i = 0; i < r->out_chunk_count; i++) raft_chunk_free(&r->out_chunks[i]);
    mem_free(r->msgs.v);
    mem_free(r->after.v);
    mem_free(r->out_msgs.v);
    mem_free(r->out_after.v);
    mem_free(r->out_entries);
    mem_free(r->out_committed);
    mem_free(r->out_reads);
    mem_free(r->read_states);
    mem_free(r->reads);
    mem_free(r->chunks);
    mem_free(r->out_chunks);
    log_destroy(r);
    mem_free(r);
}

void raft_chunk_free(raft_snapshot_chunk *c)
{
    mem_free((void *)(uintptr_t)c->data);
    c->data = NULL;
}

void raft_set_bugs(raft *r, uint32_t bugs)
{
    r->bugs = bugs;
}

/* ---- Introspection ---------------------------------------------------------------- */

raft_id raft_leader(const raft *r)
{
    return r->leader;
}

uint32_t raft_leader_silence(const raft *r)
{
    return r->election_elapsed;
}

enum raft_role raft_role_of(const raft *r)
{
    return r->role;
}

raft_term raft_term_of(const raft *r)
{
    return r->term;
}

raft_index raft_commit_index(const raft *r)
{
    return r->committed;
}

raft_index raft_applied_index(const raft *r)
{
    return r->handed;
}

raft_index raft_last_index(const raft *r)
{
    return log_last_index(r);
}

raft_index raft_first_index(const raft *r)
{
    return r->snap_index + 1;
}

const raft_conf *raft_conf_of(const raft *r)
{
    return &r->conf;
}

raft_hard_state raft_hard_state_of(const raft *r)
{
    return (raft_hard_state){r->term, r->vote, r->committed};
}

raft_term raft_term_at(const raft *r, raft_index index)
{
    return log_term(r, index);
}

size_t raft_progress(const raft *r, raft_progress_info *out, size_t cap)
{
    if (r->role != RAFT_LEADER) return 0;
    for (size_t i = 0; i < r->pr_count && i < cap; i++) {
        const progress *pr = &r->prs[i];
        out[i] = (raft_progress_info){pr->id, pr->match, pr->next, pr->state,
                                      pr->recent_active, pr->learner};
    }
    return r->pr_count;
}

size_t raft_entries(const raft *r, raft_index lo, raft_index hi, raft_entry *out, size_t cap)
{
    size_t n = 0;
    for (raft_index i = lo; i < hi && n < cap; i++) {
        if (!log_has(r, i)) break;
        out[n++] = *log_at(r, i);
    }
    return n;
}

const char *raft_msg_type_name(int type)
{
    static const char *const names[] = {
        "?",          "PREVOTE",     "PREVOTE_RESP",  "VOTE",
        "VOTE_RESP",  "APPEND",      "APPEND_RESP",   "HEARTBEAT",
        "HB_RESP",    "SNAPSHOT",    "SNAPSHOT_RESP", "TIMEOUT_NOW",
        "READ_INDEX", "READ_INDEX_RESP"};
    return type > 0 && type < RAFT_MSG_TYPE_MAX_ ? names[type] : "?";
}

const char *raft_role_name(enum raft_role role)
{
    static const char *const names[] = {"follower", "precandidate", "candidate", "leader"};
    return names[role];
}
