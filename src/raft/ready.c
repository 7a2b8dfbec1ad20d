/* raft/ready.c - output batches: what the host must persist, send, apply.
 *
 * Outputs accumulate in the raft struct as inputs are processed; a batch
 * moves them into the "out" buffers the host reads, where they stay valid
 * until raft_advance(). New outputs produced meanwhile (the host may keep
 * stepping messages while its disk writes) accumulate for the next batch.
 * See the persistence contract in raft.h. */
#include <string.h>

#include "base/mem.h"
#include "raft/raft_int.h"

static bool hard_state_changed(const raft *r)
{
    raft_hard_state hs = raft_hard_state_of(r);
    return hs.term != r->persisted.term || hs.vote != r->persisted.vote ||
           hs.commit != r->persisted.commit;
}

static bool can_hand_out(const raft *r)
{
    return !r->install_pending && r->committed > r->handed;
}

bool raft_has_ready(const raft *r)
{
    if (r->outstanding || r->inflight_count == RAFT_PERSIST_INFLIGHT_MAX) return false;
    return r->install_pending || hard_state_changed(r) ||
           r->persist_from <= log_last_index(r) || r->msgs.count > 0 || r->after.count > 0 ||
           can_hand_out(r) || r->read_state_count > 0 || r->chunk_count > 0;
}

static void swap_msgbuf(msgbuf *a, msgbuf *b)
{
    msgbuf t = *a;
    *a = *b;
    *b = t;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    *cap = c;
    return mem_realloc(p, c * elem);
}

/* Hands out committed entries (applying configuration changes as they go:
 * the configuration is that of the applied prefix). */
static size_t hand_out(raft *r)
{
    if (!can_hand_out(r)) return 0;
    raft_index hi = r->committed;
    if (hi - r->handed > r->cfg.max_committed_per_ready)
        hi = r->handed + r->cfg.max_committed_per_ready;
    size_t n = (size_t)(hi - r->handed);
    r->out_committed =
        grow(r->out_committed, &r->out_committed_cap, n, sizeof *r->out_committed);
    size_t k = 0;
    while (r->handed < hi) {
        raft_index i = r->handed + 1;
        const raft_entry *e = log_at(r, i);
        r->out_committed[k++] = *e;
        r->handed = i;
        if (e->type == RAFT_ENTRY_CONF) raft_apply_conf_entry(r, e);
    }
    return k;
}

void raft_ready_get(raft *r, raft_ready *rd)
{
    PASSERT(!r->outstanding);
    memset(rd, 0, sizeof *rd);
    if (r->role == RAFT_LEADER) raft_flush_appends(r);

    if (r->install_pending) {
        /* The snapshot replaces the log; its chunks are in this batch too, and
         * the host writes them before it installs. */
        r->install_pending = false;
        raft_after_install(r, &r->recv_meta);
        rd->has_snapshot = true;
        rd->snapshot = r->recv_meta;
        raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .to = r->leader, .index = r->snap_index};
        if (ack.to != 0) raft_send(r, &ack, true);
    }

    size_t committed = hand_out(r);
    rd->committed = r->out_committed;
    rd->committed_count = committed;

    raft_index last = log_last_index(r), out_last = 0;
    if (r->persist_from <= last) {
        size_t n = (size_t)(last - r->persist_from + 1);
        r->out_entries = grow(r->out_entries, &r->out_entries_cap, n, sizeof *r->out_entries);
        for (size_t k = 0; k < n; k++) r->out_entries[k] = *log_at(r, r->persist_from + k);
        rd->entries = r->out_entries;
        rd->entry_count = n;
        out_last = last;
        r->persist_from = last + 1;
    }

    /* Term and vote must be durable before anything that depends on them
     * leaves; the commit index need not be (a lower one after a crash is
     * learned again from the leader), so a batch whose hard state only
     * advances the commit index does not wait for the disk (as etcd's
     * MustSync). */
    bool hs_sync = rd->has_snapshot;
    if (hard_state_changed(r) || rd->has_snapshot) {
        raft_hard_state hs = raft_hard_state_of(r);
        hs_sync = hs_sync || hs.term != r->persisted.term || hs.vote != r->persisted.vote;
        rd->has_hard_state = true;
        rd->hard_state = hs;
        if (r->bugs & RAFT_BUG_FORGET_VOTE) rd->hard_state.vote = 0;
        r->persisted = hs;
    }

    swap_msgbuf(&r->msgs, &r->out_msgs);
    swap_msgbuf(&r->after, &r->out_after);
    rd->msgs = r->out_msgs.v;
    rd->msg_count = r->out_msgs.count;
    rd->msgs_after_persist = r->out_after.v;
    rd->msg_after_persist_count = r->out_after.count;

    raft_read_state *reads = r->out_reads;
    size_t read_cap = r->out_read_cap;
    r->out_reads = r->read_states;
    r->out_read_cap = r->read_state_cap;
    r->out_read_count = r->read_state_count;
    r->read_states = reads;
    r->read_state_cap = read_cap;
    r->read_state_count = 0;
    rd->reads = r->out_reads;
    rd->read_count = r->out_read_count;

    raft_snapshot_chunk *chunks = r->out_chunks;
    size_t chunk_cap = r->out_chunk_cap;
    r->out_chunks = r->chunks;
    r->out_chunk_cap = r->chunk_cap;
    r->out_chunk_count = r->chunk_count;
    r->chunks = chunks;
    r->chunk_cap = chunk_cap;
    r->chunk_count = 0;
    rd->snapshot_chunk_count = r->out_chunk_count;
    rd->snapshot_chunks = r->out_chunks;

    rd->leader = r->leader;
    rd->role = r->role;
    rd->term = r->term;
    if (rd->has_snapshot || rd->entry_count > 0 || hs_sync || rd->msg_after_persist_count > 0) {
        PASSERT(r->inflight_count < RAFT_PERSIST_INFLIGHT_MAX);
        persist_rec *p =
            &r->inflight[(r->inflight_head + r->inflight_count) % RAFT_PERSIST_INFLIGHT_MAX];
        r->inflight_count++;
        *p = (persist_rec){.id = ++r->persist_seq,
                           .last = out_last,
                           .install_index = rd->has_snapshot ? rd->snapshot.index : 0};
        rd->persist_id = p->id;
    }
    r->outstanding = true;
}

void raft_unpersisted(const raft *r, uint64_t *entries, uint64_t *bytes)
{
    raft_index last = log_last_index(r);
    *entries = r->persist_from <= last ? last - r->persist_from + 1 : 0;
    *bytes = 0;
    for (raft_index i = r->persist_from; i <= last; i++) *bytes += log_at(r, i)->len;
}

void raft_release(raft *r, const raft_ready *rd)
{
    PASSERT(r->outstanding);
    (void)rd;
    r->outstanding = false;
    for (size_t i = 0; i < r->out_msgs.count; i++) mem_free(r->out_msgs.v[i].entries);
    r->out_msgs.count = 0;
    r->out_after.count = 0;
    r->out_read_count = 0;
    for (size_t i = 0; i < r->out_chunk_count; i++) raft_chunk_free(&r->out_chunks[i]);
    r->out_chunk_count = 0;
    if (r->msgs.count == 0 && r->after.count == 0) log_release_grave(r);
    if ((r->bugs & RAFT_BUG_STABLE_ON_RELEASE) && r->persist_from - 1 > r->stable) {
        r->stable = r->persist_from - 1;
        raft_on_stable(r);
    }
}

void raft_persisted(raft *r, uint64_t persist_id)
{
    PASSERT(persist_id <= r->persist_seq);
    bool moved = false;
    while (r->inflight_count > 0 && r->inflight[r->inflight_head].id <= persist_id) {
        const persist_rec *p = &r->inflight[r->inflight_head];
        r->inflight_head = (r->inflight_head + 1) % RAFT_PERSIST_INFLIGHT_MAX;
        r->inflight_count--;
        raft_index stable = p->last;
        /* Entries truncated after the batch was taken are rewritten by a
         * later batch: only the prefix before the truncation is stable. */
        if (p->trunc != 0 && p->trunc <= stable) stable = p->trunc - 1;
        if (p->install_index > stable) stable = p->install_index;
        /* Never beyond the log as it is now (a reset may have emptied it). */
        if (stable > log_last_index(r)) stable = log_last_index(r);
        if (stable > r->stable) {
            r->stable = stable;
            moved = true;
        }
    }
    if (moved) raft_on_stable(r);
}

void raft_advance(raft *r, const raft_ready *rd)
{
    raft_release(r, rd);
    if (rd->persist_id != 0) raft_persisted(r, rd->persist_id);
}
