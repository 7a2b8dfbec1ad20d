/* raft/log.c - the in-memory log of one group.
 *
 * Entries after the last compaction point (snap_index) are kept in an array
 * with a moving head, so compaction is O(1) amortized and appends never copy
 * the log. Entry data is owned by the core: one allocation per entry,
 * freed on truncation or compaction - unless a ready batch is outstanding,
 * in which case the host may still be reading it and it is freed on
 * raft_release/raft_advance instead (the "grave"). */
#include <string.h>

#include "base/mem.h"
#include "raft/raft_int.h"

raft_index log_last_index(const raft *r)
{
    return r->snap_index + r->log_count;
}

raft_term log_last_term(const raft *r)
{
    return r->log_count ? r->log[r->log_head + r->log_count - 1].term : r->snap_term;
}

bool log_has(const raft *r, raft_index i)
{
    return i > r->snap_index && i <= log_last_index(r);
}

raft_entry *log_at(const raft *r, raft_index i)
{
    PASSERT(log_has(r, i));
    return &r->log[r->log_head + (i - r->snap_index - 1)];
}

raft_term log_term(const raft *r, raft_index i)
{
    if (i == r->snap_index) return r->snap_term;
    if (!log_has(r, i)) return 0;
    return log_at(r, i)->term;
}

void log_free_data(raft *r, void *data)
{
    if (data == NULL) return;
    r->log_data_bytes -= mem_usable(data);
    if (!r->outstanding && r->msgs.count == 0) {
        mem_free(data);
        return;
    }
    if (r->grave_count == r->grave_cap) {
        r->grave_cap = r->grave_cap ? r->grave_cap * 2 : 64;
        r->grave = mem_realloc(r->grave, r->grave_cap * sizeof *r->grave);
    }
    r->grave[r->grave_count++] = data;
}

void log_release_grave(raft *r)
{
    for (size_t i = 0; i < r->grave_count; i++) mem_free(r->grave[i]);
    r->grave_count = 0;
}

void log_append(raft *r, const raft_entry *e)
{
    PASSERT(e->index == log_last_index(r) + 1);
    PASSERT(e->term >= log_last_term(r));
    if (r->log_head + r->log_count == r->log_cap) {
        if (r->log_head > r->log_cap / 2) {
            /* Mostly compacted: slide down instead of growing. */
            memmove(r->log, r->log + r->log_head, r->log_count * sizeof *r->log);
            r->log_head = 0;
        } else {
            r->log_cap = r->log_cap ? r->log_cap * 2 : 64;
            r->log = mem_realloc(r->log, r->log_cap * sizeof *r->log);
        }
    }
    raft_entry *dst = &r->log[r->log_head + r->log_count];
    *dst = *e;
    if (e->len > 0) {
        dst->data = mem_alloc(e->len);
        memcpy(dst->data, e->data, e->len);
        r->log_data_bytes += mem_usable(dst->data);
    } else {
        dst->data = NULL;
    }
    r->log_count++;
}

/* Batches still being written that hold entries >= from: those entries are
 * being replaced, so their write must not make them count as stable. */
static void log_inflight_truncated(raft *r, raft_index from)
{
    for (size_t k = 0; k < r->inflight_count; k++) {
        persist_rec *p = &r->inflight[(r->inflight_head + k) % RAFT_PERSIST_INFLIGHT_MAX];
        if (p->last >= from && (p->trunc == 0 || from < p->trunc)) p->trunc = from;
    }
}

void log_truncate(raft *r, raft_index from)
{
    PASSERT(from > r->snap_index);
    /* Raft §5.3: only uncommitted entries are ever replaced. */
    PASSERT(from > r->committed);
    raft_index last = log_last_index(r);
    for (raft_index i = from; i <= last; i++) log_free_data(r, log_at(r, i)->data);
    r->log_count = from - r->snap_index - 1;
    /* Acknowledgements queued for entries that are now gone must not leave:
     * they would promise a leader durability of entries this node dropped
     * (found by polis-sim --seed 7374 --nodes 7). */
    size_t kept = 0;
    for (size_t i = 0; i < r->after.count; i++) {
        const raft_msg *m = &r->after.v[i];
        if (m->type == RAFT_MSG_APPEND_RESP && !m->reject && m->index >= from) continue;
        r->after.v[kept++] = *m;
    }
    r->after.count = kept;
    if (from < r->persist_from) r->persist_from = from;
    if (r->stable >= from) r->stable = from - 1;
    log_inflight_truncated(r, from);
}

void log_compact(raft *r, raft_index upto, raft_term upto_term)
{
    if (upto <= r->snap_index) return;
    PASSERT(upto <= log_last_index(r));
    PASSERT(log_term(r, upto) == upto_term);
    size_t drop = upto - r->snap_index;
    for (size_t k = 0; k < drop; k++) log_free_data(r, r->log[r->log_head + k].data);
    r->log_head += drop;
    r->log_count -= drop;
    r->snap_index = upto;
    r->snap_term = upto_term;
    if (r->log_count == 0) r->log_head = 0;
}

void log_reset(raft *r, raft_index index, raft_term term)
{
    raft_index last = log_last_index(r);
    for (raft_index i = r->snap_index + 1; i <= last; i++) log_free_data(r, log_at(r, i)->data);
    r->log_head = 0;
    r->log_count = 0;
    r->snap_index = index;
    r->snap_term = term;
    r->persist_from = index + 1;
    r->stable = index;
    log_inflight_truncated(r, index + 1);
}

void log_destroy(raft *r)
{
    raft_index last = log_last_index(r);
    for (raft_index i = r->snap_index + 1; i <= last; i++) mem_free(log_at(r, i)->data);
    r->log_data_bytes = 0;
    mem_free(r->log);
    r->log = NULL;
    r->log_count = r->log_cap = r->log_head = 0;
    log_release_grave(r);
    mem_free(r->grave);
    r->grave = NULL;
}

bool log_up_to_date(const raft *r, raft_term term, raft_index index)
{
    raft_term last_term = log_last_term(r);
    return term > last_term || (term == last_term && index >= log_last_index(r));
}

raft_index log_find_conflict_by_term(const raft *r, raft_index index, raft_term term)
{
    raft_index last = log_last_index(r);
    if (index > last) index = last;
    while (index > r->snap_index) {
        raft_term t = log_term(r, index);
        if (t <= term) break;
        index--;
    }
    return index;
}
