/* tests/sim/sim_cluster.c - the simulated cluster: event queue, network,
 * disks, and the host loop that drives each raft instance.
 *
 * The host follows raft.h's persistence contract to the letter, because the
 * simulator is also the test that the contract is sufficient: a ready
 * batch's `msgs` leave at once; its entries, hard state and snapshot go to a
 * pending disk write that completes after a simulated latency; only then do
 * they become durable, `msgs_after_persist` leave, and raft_advance() is
 * called. Committed entries are applied when the batch is taken. A crash
 * throws away the raft instance and everything not yet durable. */
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "sim.h"

#define NODE_NONE 0xff

/* ---- The event queue: a binary heap ordered by (time, sequence) ----------- */

static bool ev_before(const sim_event *a, const sim_event *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

void sim_schedule(sim *s, sim_us at, uint8_t type, int node, uint64_t arg, raft_msg *msg)
{
    PASSERT(at >= s->now);
    if (s->heap_count >= SIM_EVENTS_MAX) {
        sim_fail(s, "simulator: more than %u events queued", SIM_EVENTS_MAX);
        return;
    }
    if (s->heap_count == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 1024;
        s->heap = mem_realloc(s->heap, s->heap_cap * sizeof *s->heap);
    }
    sim_event ev = {.at = at,
                    .seq = s->next_seq++,
                    .type = type,
                    .node = node < 0 ? NODE_NONE : (uint8_t)node,
                    .arg = arg,
                    .msg = msg};
    if (node >= 0) ev.incarnation = s->nodes[node].incarnation;
    size_t i = s->heap_count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&ev, &s->heap[parent])) break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = ev;
}

bool sim_pop(sim *s, sim_event *out)
{
    if (s->heap_count == 0) return false;
    *out = s->heap[0];
    sim_event last = s->heap[--s->heap_count];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_count) break;
        if (c + 1 < s->heap_count && ev_before(&s->heap[c + 1], &s->heap[c])) c++;
        if (!ev_before(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->heap_count > 0) s->heap[i] = last;
    return true;
}

/* ---- Messages: deep copies, because a batch's pointers die at advance ----- */

static raft_msg *msg_copy(const raft_msg *m)
{
    raft_msg *c = mem_alloc(sizeof *c);
    *c = *m;
    c->entries = NULL;
    c->data = NULL;
    if (m->entry_count > 0) {
        c->entries = mem_alloc(m->entry_count * sizeof *c->entries);
        for (uint32_t k = 0; k < m->entry_count; k++) {
            c->entries[k] = m->entries[k];
            c->entries[k].data = NULL;
            if (m->entries[k].len > 0) {
                c->entries[k].data = mem_alloc(m->entries[k].len);
                memcpy(c->entries[k].data, m->entries[k].data, m->entries[k].len);
            }
        }
    }
    return c;
}

static void msg_free(raft_msg *m)
{
    if (m == NULL) return;
    for (uint32_t k = 0; k < m->entry_count; k++)
        mem_free(m->entries[k].data);
    mem_free(m->entries);
    mem_free((void *)(uintptr_t)m->data);
    mem_free(m);
}

void sim_event_free(sim_event *ev)
{
    msg_free(ev->msg);
    ev->msg = NULL;
}

int sim_node_index(const sim *s, raft_id id)
{
    for (int i = 0; i < s->node_count; i++)
        if (s->nodes[i].id == id) return i;
    return -1;
}

/* ---- Network -------------------------------------------------------------- */

/* Mostly a LAN, sometimes a slow path, rarely a very late packet: the tail
 * is what reorders messages across elections. */
static sim_us net_latency(sim *s)
{
    double u = rng_unit(&s->rng);
    if (u < 0.90) return 50 + rng_below(&s->rng, s->latency_us_base);
    if (u < 0.99) return 50 + rng_below(&s->rng, 10 * s->latency_us_base);
    return 1000 + rng_below(&s->rng, 150000);
}

static sim_us disk_latency(sim *s)
{
    if (rng_below(&s->rng, 20) == 0) return 1000 + rng_below(&s->rng, 30000);
    return 30 + rng_below(&s->rng, 3000);
}

/* The snapshot bytes are the host's: fill a chunk from a snapshot this node
 * still has (registered, installed or recovered). */
static bool fill_chunk(sim_node *n, raft_msg *c)
{
    for (int k = 0; k < SIM_SNAPSHOTS_KEPT; k++) {
        const sim_snapshot *sn = &n->served[k];
        if (sn->meta.index != c->snap.index || sn->meta.term != c->snap.term) continue;
        if (sn->meta.size_bytes != c->snap.size_bytes ||
            c->offset + c->len > sn->meta.size_bytes)
            return false;
        uint8_t *data = mem_alloc(c->len ? c->len : 1);
        memcpy(data, sn->bytes + c->offset, c->len);
        c->data = data;
        return true;
    }
    return false;
}

/* Sends a copy of m from node `from`; takes ownership of nothing. */
static void net_send(sim *s, int from, const raft_msg *m)
{
    s->msgs_sent++;
    int to = sim_node_index(s, m->to);
    if (to < 0 || to == from) {
        sim_fail(s, "n%llu sent %s to unknown node %llu", (unsigned long long)m->from,
                 raft_msg_type_name(m->type), (unsigned long long)m->to);
        return;
    }
    raft_msg *c = msg_copy(m);
    if (m->type == RAFT_MSG_SNAPSHOT) {
        s->snapshots_sent++;
        if (!fill_chunk(&s->nodes[from], c)) {
            /* We no longer hold that snapshot: tell the core to start over
             * (with the newest one) later. */
            TRACE(s, "n%llu has no snapshot %llu/%llu to send: unreachable n%llu",
                  (unsigned long long)m->from, (unsigned long long)m->snap.index,
                  (unsigned long long)m->snap.term, (unsigned long long)m->to);
            raft_report_unreachable(s->nodes[from].r, m->to);
            msg_free(c);
            return;
        }
    }
    if (rng_unit(&s->rng) < s->drop_p) {
        s->msgs_dropped++;
        if (s->tracing) sim_trace_msg(s, "drop", c);
        msg_free(c);
        return;
    }
    if (rng_unit(&s->rng) < s->dup_p) {
        raft_msg *d = msg_copy(c);
        if (c->data) {
            uint8_t *data = mem_alloc(c->len ? c->len : 1);
            memcpy(data, c->data, c->len);
            d->data = data;
        }
        sim_schedule(s, s->now + net_latency(s), EV_DELIVER, to, 1, d);
    }
    sim_schedule(s, s->now + net_latency(s), EV_DELIVER, to, 0, c);
}

static void net_deliver(sim *s, sim_event *ev)
{
    const raft_msg *m = ev->msg;
    int to = ev->node;
    int from = sim_node_index(s, m->from);
    sim_node *n = &s->nodes[to];
    if (!n->up || (from >= 0 && s->blocked[from][to])) {
        s->msgs_dropped++;
        if (s->tracing) sim_trace_msg(s, n->up ? "cut" : "lost (down)", m);
        return;
    }
    if (s->tracing) sim_trace_msg(s, ev->arg ? "recv dup" : "recv", m);
    if (m->type == RAFT_MSG_APPEND && m->entry_count > 0 &&
        m->entries[m->entry_count - 1].term < m->term && from >= 0)
        sim_on_catch_up(s, from);
    int rc = raft_step(n->r, m);
    if (rc == RAFT_E_INVALID) {
        sim_fail(s, "n%llu rejected a well-formed %s from n%llu as invalid",
                 (unsigned long long)n->id, raft_msg_type_name(m->type),
                 (unsigned long long)m->from);
        return;
    }
    sim_pump(s, to);
}

/* ---- Durable state -------------------------------------------------------- */

static void log_clear(sim_log *l, raft_index first)
{
    for (size_t k = 0; k < l->count; k++)
        mem_free(l->v[k].data);
    l->count = 0;
    l->first = first;
}

static raft_index log_last(const sim_log *l)
{
    return l->first + l->count - 1;
}

static void log_push(sim_log *l, const raft_entry *e)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = mem_realloc(l->v, l->cap * sizeof *l->v);
    }
    raft_entry *d = &l->v[l->count++];
    *d = *e;
    d->data = NULL;
    if (e->len > 0) {
        d->data = mem_alloc(e->len);
        memcpy(d->data, e->data, e->len);
    }
}

/* Drops entries <= upto (they are in the durable snapshot now). */
static void log_compact_to(sim_log *l, raft_index upto)
{
    if (upto < l->first) return;
    size_t drop = upto - l->first + 1;
    if (drop > l->count) drop = l->count;
    for (size_t k = 0; k < drop; k++)
        mem_free(l->v[k].data);
    if (drop < l->count) memmove(l->v, l->v + drop, (l->count - drop) * sizeof *l->v);
    l->count -= drop;
    l->first = upto + 1;
}

static void log_truncate_from(sim_log *l, raft_index from)
{
    while (l->count > 0 && log_last(l) >= from)
        mem_free(l->v[--l->count].data);
}

static void snapshot_free(sim_snapshot *sn)
{
    mem_free(sn->bytes);
    memset(sn, 0, sizeof *sn);
}

static void snapshot_copy(sim_snapshot *dst, const sim_snapshot *src)
{
    dst->meta = src->meta;
    dst->bytes = mem_alloc(src->meta.size_bytes ? src->meta.size_bytes : 1);
    memcpy(dst->bytes, src->bytes, src->meta.size_bytes);
}

/* Remembers a snapshot this node can serve chunks of (newest first). */
static void served_push(sim_node *n, const sim_snapshot *sn)
{
    snapshot_free(&n->served[SIM_SNAPSHOTS_KEPT - 1]);
    memmove(&n->served[1], &n->served[0], (SIM_SNAPSHOTS_KEPT - 1) * sizeof n->served[0]);
    snapshot_copy(&n->served[0], sn);
}

/* The disk finished the write: make it durable, in the contract's order. */
static void disk_complete(sim *s, int i, sim_write *w)
{
    sim_node *n = &s->nodes[i];
    sim_disk *d = &n->disk;
    if (w->has_snapshot && w->snap.meta.index > d->snap.meta.index) {
        snapshot_free(&d->snap);
        d->snap = w->snap;
        w->snap.bytes = NULL;
        /* The installed snapshot replaced the core's whole log. */
        log_clear(&d->log, d->snap.meta.index + 1);
    }
    bool truncated = false;
    for (size_t k = 0; k < w->entry_count; k++) {
        const raft_entry *e = &w->entries[k];
        if (e->index <= d->snap.meta.index) {
            /* Already in the durable snapshot: committed, so identical. */
            if (e->index == d->snap.meta.index && e->term != d->snap.meta.term)
                sim_fail(s,
                         "n%llu persists entry %llu of term %llu over its snapshot "
                         "(term %llu)",
                         (unsigned long long)n->id, (unsigned long long)e->index,
                         (unsigned long long)e->term,
                         (unsigned long long)d->snap.meta.term);
            continue;
        }
        if (!truncated && e->index <= log_last(&d->log)) {
            /* raft.h: a batch starting at or below the persisted last index
             * replaces that suffix. */
            log_truncate_from(&d->log, e->index);
            truncated = true;
        }
        if (e->index != log_last(&d->log) + 1) {
            sim_fail(s, "n%llu: persisted log would have a gap: entry %llu after %llu",
                     (unsigned long long)n->id, (unsigned long long)e->index,
                     (unsigned long long)log_last(&d->log));
            return;
        }
        log_push(&d->log, e);
    }
    if (w->has_hs) d->hs = w->hs;
}

static void write_free(sim_write *w)
{
    snapshot_free(&w->snap);
    for (size_t k = 0; k < w->entry_count; k++)
        mem_free(w->entries[k].data);
    mem_free(w->entries);
    memset(w, 0, sizeof *w);
}

static bool write_empty(const sim_write *w)
{
    return !w->has_snapshot && !w->has_hs && w->entry_count == 0;
}

/* ---- Snapshots ------------------------------------------------------------ */

/* The host snapshots its state machine at its applied index. The file is
 * written (durably) before the core hears of it, as a real host would. */
bool sim_take_snapshot(sim *s, int i)
{
    sim_node *n = &s->nodes[i];
    if (!n->up || n->applied <= n->snap_index) return false;
    /* raft_conf_of() is the configuration of the handed-out prefix, which is
     * what this host has applied. */
    if (n->applied != raft_applied_index(n->r)) return false;
    /* Writes taken before the newest batch may carry a suffix the core has
     * replaced since; a snapshot made durable before them would be followed
     * on disk by entries that do not continue it. This host waits until
     * they are done (the server instead drops such a suffix when it
     * recovers: node/group.c). */
    if (n->pend_count > 1) return false;
    sim_snapshot sn = {0};
    sim_snapshot_encode(s, i, &sn);
    sn.meta.conf = *raft_conf_of(n->r);
    raft_snapshot_taken(n->r, &sn.meta, s->keep_entries);
    served_push(n, &sn);
    snapshot_free(&n->disk.snap);
    n->disk.snap = sn;
    /* The durable log may still hold a suffix the core has already replaced
     * (the replacement is in a pending write): if its entry at the snapshot's
     * index is not the applied one, nothing from there on is part of the
     * log any more. Kept, it would follow the snapshot with older terms. */
    sim_log *l = &n->disk.log;
    if (sn.meta.index >= l->first && sn.meta.index <= log_last(l) &&
        l->v[sn.meta.index - l->first].term != sn.meta.term)
        log_truncate_from(l, sn.meta.index);
    log_compact_to(l, sn.meta.index);
    n->snap_index = sn.meta.index;
    s->snapshots_taken++;
    TRACE(s, "n%llu snapshot at %llu (term %llu, %llu bytes)", (unsigned long long)n->id,
          (unsigned long long)sn.meta.index, (unsigned long long)sn.meta.term,
          (unsigned long long)sn.meta.size_bytes);
    return true;
}

static void recv_chunk(sim *s, int i, const raft_snapshot_chunk *c)
{
    sim_node *n = &s->nodes[i];
    if (c->offset == 0) {
        n->recv_len = 0;
        n->recv_meta = c->meta;
    }
    if (c->meta.index != n->recv_meta.index || c->meta.term != n->recv_meta.term ||
        c->offset != n->recv_len) {
        sim_fail(s,
                 "n%llu: snapshot chunk %llu/%llu at offset %llu does not follow "
                 "%llu bytes of %llu/%llu",
                 (unsigned long long)n->id, (unsigned long long)c->meta.index,
                 (unsigned long long)c->meta.term, (unsigned long long)c->offset,
                 (unsigned long long)n->recv_len, (unsigned long long)n->recv_meta.index,
                 (unsigned long long)n->recv_meta.term);
        return;
    }
    if (n->recv_len + c->len > n->recv_cap) {
        n->recv_cap = (n->recv_len + c->len) * 2;
        n->recv = mem_realloc(n->recv, n->recv_cap);
    }
    memcpy(n->recv + n->recv_len, c->data, c->len);
    n->recv_len += c->len;
}

/* A snapshot from the leader: replace the state machine with it now; it
 * becomes durable with the batch's write. */
static void install(sim *s, int i, const raft_snapshot_meta *meta, sim_write *w)
{
    sim_node *n = &s->nodes[i];
    if (n->recv_meta.index != meta->index || n->recv_meta.term != meta->term ||
        n->recv_len != meta->size_bytes) {
        sim_fail(s,
                 "n%llu installs snapshot %llu/%llu (%llu bytes) but received %llu bytes "
                 "of %llu/%llu",
                 (unsigned long long)n->id, (unsigned long long)meta->index,
                 (unsigned long long)meta->term, (unsigned long long)meta->size_bytes,
                 (unsigned long long)n->recv_len, (unsigned long long)n->recv_meta.index,
                 (unsigned long long)n->recv_meta.term);
        return;
    }
    sim_snapshot sn = {.meta = *meta};
    sn.bytes = mem_alloc(meta->size_bytes ? meta->size_bytes : 1);
    memcpy(sn.bytes, n->recv, meta->size_bytes);
    if (!sim_snapshot_decode(&sn, n->kv)) {
        sim_fail(s, "n%llu: snapshot %llu/%llu is corrupt", (unsigned long long)n->id,
                 (unsigned long long)meta->index, (unsigned long long)meta->term);
        snapshot_free(&sn);
        return;
    }
    n->applied = meta->index;
    n->applied_term = meta->term;
    n->snap_index = meta->index;
    n->recv_len = 0;
    s->snapshots_installed++;
    TRACE(s, "n%llu installs snapshot %llu/%llu", (unsigned long long)n->id,
          (unsigned long long)meta->index, (unsigned long long)meta->term);
    sim_check_installed(s, i, meta);
    served_push(n, &sn);
    w->has_snapshot = true;
    w->snap = sn;
    sim_node_skipped(s, i, meta->index); /* proposals the snapshot jumped over */
    sim_reads_release(s, i);
}

/* ---- The host loop -------------------------------------------------------- */

static void pending_free(sim_pending *p)
{
    write_free(&p->write);
    for (size_t k = 0; k < p->after_count; k++) {
        for (uint32_t e = 0; e < p->after[k].entry_count; e++)
            mem_free(p->after[k].entries[e].data);
        mem_free(p->after[k].entries);
    }
    mem_free(p->after);
    memset(p, 0, sizeof *p);
}

static void pending_clear(sim_node *n)
{
    for (size_t k = 0; k < n->pend_count; k++) pending_free(&n->pend[k]);
    n->pend_count = 0;
    n->outstanding = false;
    n->has_lazy_hs = false;
}

static sim_pending *pending_push(sim_node *n)
{
    if (n->pend_count == n->pend_cap) {
        n->pend_cap = n->pend_cap ? n->pend_cap * 2 : 4;
        n->pend = mem_realloc(n->pend, n->pend_cap * sizeof *n->pend);
    }
    sim_pending *p = &n->pend[n->pend_count++];
    memset(p, 0, sizeof *p);
    return p;
}

/* Takes a batch: its msgs leave, its committed entries are applied, and its
 * durability work is queued as a pending write (the newest in pend). */
static void take_ready(sim *s, int i)
{
    sim_node *n = &s->nodes[i];
    raft_ready *rd = &n->rd;
    raft_ready_get(n->r, rd);
    sim_pending *p = pending_push(n);
    p->persist_id = rd->persist_id;
    sim_write *w = &p->write;

    /* Chunk bytes first: the final chunk arrives in the batch that installs. */
    for (size_t k = 0; k < rd->snapshot_chunk_count && !s->failed; k++)
        recv_chunk(s, i, &rd->snapshot_chunks[k]);
    if (rd->has_snapshot && !s->failed) install(s, i, &rd->snapshot, w);

    sim_check_written(s, i, rd->entries, rd->entry_count);
    if (rd->entry_count > 0) {
        w->entries = mem_alloc(rd->entry_count * sizeof *w->entries);
        for (size_t k = 0; k < rd->entry_count; k++) {
            w->entries[k] = rd->entries[k];
            w->entries[k].data = NULL;
            if (rd->entries[k].len > 0) {
                w->entries[k].data = mem_alloc(rd->entries[k].len);
                memcpy(w->entries[k].data, rd->entries[k].data, rd->entries[k].len);
            }
        }
        w->entry_count = rd->entry_count;
    }
    w->has_hs = rd->has_hard_state;
    w->hs = rd->hard_state;

    for (size_t k = 0; k < rd->msg_count && !s->failed; k++) {
        sim_check_send_now(s, i, &rd->msgs[k]);
        net_send(s, i, &rd->msgs[k]);
    }
    if (rd->msg_after_persist_count > 0) {
        p->after = mem_alloc(rd->msg_after_persist_count * sizeof *p->after);
        for (size_t k = 0; k < rd->msg_after_persist_count; k++) {
            raft_msg *c = msg_copy(&rd->msgs_after_persist[k]);
            p->after[k] = *c;
            mem_free(c);
        }
        p->after_count = rd->msg_after_persist_count;
    }
    for (size_t k = 0; k < rd->committed_count && !s->failed; k++)
        sim_apply_entry(s, i, &rd->committed[k]);
    if (rd->read_count > 0) sim_reads_arrive(s, i, rd->reads, rd->read_count);
    if (rd->committed_count > 0 &&
        n->applied >= n->snap_index + (raft_index)s->snapshot_every)
        sim_take_snapshot(s, i);
}

/* The oldest pending write completed: it is durable, its messages leave,
 * and the core hears of it. */
static void finish_write(sim *s, int i)
{
    sim_node *n = &s->nodes[i];
    PASSERT(n->pend_count > 0);
    sim_pending *p = &n->pend[0];
    disk_complete(s, i, &p->write);
    if (s->tracing && !write_empty(&p->write)) {
        const sim_write *w = &p->write;
        char entries[64] = "";
        if (w->entry_count)
            snprintf(entries, sizeof entries, " entries %llu..%llu,",
                     (unsigned long long)w->entries[0].index,
                     (unsigned long long)w->entries[w->entry_count - 1].index);
        TRACE(s, "n%llu durable:%s%s hs term %llu vote %llu commit %llu",
              (unsigned long long)n->id, w->has_snapshot ? " snapshot," : "", entries,
              (unsigned long long)n->disk.hs.term, (unsigned long long)n->disk.hs.vote,
              (unsigned long long)n->disk.hs.commit);
    }
    for (size_t k = 0; k < p->after_count && !s->failed; k++) {
        raft_msg *m = &p->after[k];
        sim_check_send_after(s, i, m);
        net_send(s, i, m);
        if (m->type == RAFT_MSG_VOTE_RESP && !m->reject) sim_on_vote_granted(s, i);
    }
    uint64_t id = p->persist_id;
    pending_free(p);
    memmove(&n->pend[0], &n->pend[1], (n->pend_count - 1) * sizeof *n->pend);
    n->pend_count--;
    if (n->outstanding) {
        raft_advance(n->r, &n->rd);
        n->outstanding = false;
    } else if (id != 0) {
        raft_persisted(n->r, id);
    }
}

void sim_pump(sim *s, int i)
{
    sim_node *n = &s->nodes[i];
    for (int loops = 0; n->up && !n->outstanding && n->pend_count < n->pipeline &&
                        !s->failed && raft_has_ready(n->r);
         loops++) {
        if (loops >= SIM_READY_LOOP_MAX) {
            sim_fail(s, "n%llu: raft_has_ready() stays true after %d batches",
                     (unsigned long long)n->id, loops);
            return;
        }
        take_ready(s, i);
        sim_pending *p = &n->pend[n->pend_count - 1];
        if (n->pipeline == 1) {
            /* Synchronous: the batch stays outstanding until its write is done. */
            n->outstanding = true;
            if (write_empty(&p->write)) {
                finish_write(s, i);
                continue;
            }
        } else {
            raft_release(n->r, &n->rd);
            if (p->persist_id == 0) {
                /* At most a hard state that only moves the commit index: it
                 * is not synced for itself, but written with the next write
                 * (and lost if the node crashes first). */
                if (p->write.has_hs) {
                    n->lazy_hs = p->write.hs;
                    n->has_lazy_hs = true;
                }
                pending_free(p);
                n->pend_count--;
                continue;
            }
            if (n->has_lazy_hs && !p->write.has_hs) {
                p->write.has_hs = true;
                p->write.hs = n->lazy_hs;
            }
            n->has_lazy_hs = false;
        }
        /* The disk completes writes in order; an empty one (messages only)
         * completes with the writes before it. */
        sim_us at = write_empty(&p->write) ? s->now : s->now + disk_latency(s);
        if (at < n->disk_free_at) at = n->disk_free_at;
        n->disk_free_at = at;
        sim_schedule(s, at, EV_DISK, i, p->persist_id, NULL);
    }
}

/* ---- Node lifecycle ------------------------------------------------------- */

static void node_boot(sim *s, int i, raft *r)
{
    sim_node *n = &s->nodes[i];
    n->r = r;
    raft_set_bugs(r, s->opt.bugs);
    n->up = true;
    for (int k = 0; k < SIM_KEYS; k++)
        n->kv[k] = LINCHECK_NIL;
    n->applied = raft_applied_index(r);
    n->applied_term = raft_term_at(r, n->applied);
    n->snap_index = n->disk.snap.meta.index;
    if (n->disk.snap.meta.index > 0) {
        if (!sim_snapshot_decode(&n->disk.snap, n->kv))
            sim_fail(s, "n%llu: durable snapshot is corrupt", (unsigned long long)n->id);
        n->applied_term = n->disk.snap.meta.term;
        served_push(n, &n->disk.snap);
    }
    n->seen_role = raft_role_of(r);
    n->seen_term = raft_term_of(r);
    n->checked_leader_term = 0;
    n->disk_free_at = s->now;
    /* A third of the boots run the synchronous host, the rest pipeline up
     * to 2..16 writes (or what --pipeline says). */
    if (s->opt.pipeline > 0) n->pipeline = s->opt.pipeline;
    else n->pipeline = rng_below(&s->rng, 3) == 0 ? 1 : 2 + (uint32_t)rng_below(&s->rng, 15);
    sim_schedule(s, s->now + 1 + rng_below(&s->rng, n->tick_us), EV_TICK, i, 0, NULL);
}

static raft_config node_config(const sim *s, const sim_node *n)
{
    raft_config cfg = s->cfg;
    cfg.id = n->id;
    cfg.seed = rng_mix64(s->opt.seed ^ rng_mix64(n->id * 1000003 + n->incarnation));
    return cfg;
}

/* Starts node i for the first time: a founder bootstraps the group's
 * configuration; a node added later starts empty and catches up. */
void sim_node_start(sim *s, int i, bool founder)
{
    sim_node *n = &s->nodes[i];
    n->exists = true;
    n->disk.log.first = 1;
    raft_conf boot = {0};
    for (int k = 0; k < s->founders; k++)
        boot.voters[k] = s->nodes[k].id;
    boot.voter_count = (uint8_t)s->founders;
    raft_config cfg = node_config(s, n);
    raft *r = raft_new(&cfg, NULL, NULL, NULL, 0, founder ? &boot : NULL);
    if (r == NULL) {
        sim_fail(s, "raft_new refused n%llu's configuration", (unsigned long long)n->id);
        return;
    }
    TRACE(s, "n%llu starts%s", (unsigned long long)n->id,
          founder ? " (founder)" : " empty");
    node_boot(s, i, r);
    if (founder) {
        /* The bootstrap entry is applied inside raft_new: record it. */
        raft_entry e;
        if (raft_entries(r, 1, 2, &e, 1) == 1) sim_check_applied(s, i, &e);
    }
}

void sim_restart(sim *s, int i)
{
    sim_node *n = &s->nodes[i];
    if (n->up || n->retired || s->failed) return;
    raft_config cfg = node_config(s, n);
    const sim_disk *d = &n->disk;
    raft *r = raft_new(&cfg, &d->hs, &d->snap.meta, d->log.v, d->log.count, NULL);
    if (r == NULL) {
        char why[160] = "";
        raft_term prev = d->snap.meta.term;
        for (size_t k = 0; k < d->log.count && !why[0]; k++) {
            if (d->log.v[k].index != d->log.first + k)
                snprintf(why, sizeof why, ": entry %llu at position of %llu",
                         (unsigned long long)d->log.v[k].index,
                         (unsigned long long)(d->log.first + k));
            else if (d->log.v[k].term < prev)
                snprintf(why, sizeof why, ": entry %llu has term %llu after term %llu",
                         (unsigned long long)d->log.v[k].index,
                         (unsigned long long)d->log.v[k].term, (unsigned long long)prev);
            prev = d->log.v[k].term;
        }
        sim_fail(
            s,
            "raft_new refused n%llu's durable state (term %llu, vote %llu, commit %llu, "
            "snapshot %llu/%llu, log %llu..%llu)%s",
            (unsigned long long)n->id, (unsigned long long)d->hs.term,
            (unsigned long long)d->hs.vote, (unsigned long long)d->hs.commit,
            (unsigned long long)d->snap.meta.index, (unsigned long long)d->snap.meta.term,
            (unsigned long long)d->log.first,
            (unsigned long long)(d->log.first + d->log.count - 1), why);
        return;
    }
    TRACE(
        s,
        "n%llu restarts: term %llu vote %llu commit %llu, snapshot %llu, log %llu..%llu",
        (unsigned long long)n->id, (unsigned long long)d->hs.term,
        (unsigned long long)d->hs.vote, (unsigned long long)d->hs.commit,
        (unsigned long long)d->snap.meta.index, (unsigned long long)d->log.first,
        (unsigned long long)log_last(&d->log));
    node_boot(s, i, r);
    sim_pump(s, i);
}

/* Drops everything that is not durable. */
void sim_crash(sim *s, int i, const char *why)
{
    sim_node *n = &s->nodes[i];
    if (!n->up) return;
    TRACE(s, "n%llu CRASH (%s)", (unsigned long long)n->id, why);
    raft_free(n->r);
    n->r = NULL;
    n->up = false;
    n->incarnation++;
    pending_clear(n);
    for (int k = 0; k < SIM_SNAPSHOTS_KEPT; k++)
        snapshot_free(&n->served[k]);
    n->recv_len = 0;
    n->applied = 0;
    s->crashes++;
    sim_node_lost(s, i);
    sim_check_durability(s);
}

void sim_node_free(sim_node *n)
{
    if (n->up) raft_free(n->r);
    pending_clear(n);
    mem_free(n->pend);
    for (int k = 0; k < SIM_SNAPSHOTS_KEPT; k++)
        snapshot_free(&n->served[k]);
    snapshot_free(&n->disk.snap);
    log_clear(&n->disk.log, 0);
    mem_free(n->disk.log.v);
    mem_free(n->recv);
}

/* ---- Dispatch ------------------------------------------------------------- */

static bool current(const sim *s, const sim_event *ev)
{
    const sim_node *n = &s->nodes[ev->node];
    return n->up && n->incarnation == ev->incarnation;
}

void sim_dispatch(sim *s, sim_event *ev)
{
    switch (ev->type) {
    case EV_TICK:
        if (!current(s, ev)) break;
        raft_tick(s->nodes[ev->node].r);
        sim_pump(s, ev->node);
        sim_schedule(s, s->now + s->nodes[ev->node].tick_us, EV_TICK, ev->node, 0, NULL);
        break;
    case EV_DELIVER:
        net_deliver(s, ev);
        break;
    case EV_DISK: {
        if (!current(s, ev)) break;
        sim_node *n = &s->nodes[ev->node];
        if (n->pend_count == 0 || n->pend[0].persist_id != ev->arg) break;
        finish_write(s, ev->node);
        sim_pump(s, ev->node);
        break;
    }
    case EV_RESTART:
        if (ev->incarnation == s->nodes[ev->node].incarnation) sim_restart(s, ev->node);
        break;
    default:
        PASSERT(!"event type handled elsewhere");
    }
}
