/* Helpers shared by the WAL tests (tests/unit/test_wal*.c): a temp
 * directory, opening and closing a WAL with a loop, running the loop until
 * a flag is set, deterministic entry payloads, and a durability tracker. */
#ifndef POLIS_TEST_WAL_UTIL_H
#define POLIS_TEST_WAL_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/rng.h"
#include "wal/simfs.h"
#include "wal/wal.h"

/* ---- Temp directories ---------------------------------------------------------- */

static inline void tmpdir_make(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/polis-wal-test-XXXXXX");
    if (mkdtemp(out) == NULL) abort();
}

/* Removes a directory tree (the WAL's: files and one level of folders). */
static inline void tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char path[1024];
        if (strlen(dir) + strlen(de->d_name) + 2 > sizeof path) continue;
        strcpy(path, dir);
        strcat(path, "/");
        strcat(path, de->d_name);
        if (remove(path) != 0) tmpdir_remove(path);
    }
    closedir(d);
    remove(dir);
}

/* ---- Loop helpers ----------------------------------------------------------------- */

/* Runs the loop until *flag (bounded: a hang fails instead of blocking). */
static inline bool run_until(uv_loop_t *loop, const bool *flag)
{
    for (int i = 0; i < 1000000 && !*flag; i++) {
        uv_run(loop, UV_RUN_ONCE);
    }
    return *flag;
}

static inline void on_closed_flag(void *arg)
{
    *(bool *)arg = true;
}

/* Closes (flushing) or abandons the WAL and waits until it is freed. */
static inline void wal_close_wait(wal *w, uv_loop_t *loop, bool abandon)
{
    bool closed = false;
    if (abandon)
        wal_abandon(w, on_closed_flag, &closed);
    else
        wal_close(w, on_closed_flag, &closed);
    if (!run_until(loop, &closed)) abort();
}

typedef struct sync_wait {
    wal_sync_req req;
    bool done;
    int status;
} sync_wait;

static inline void on_sync_wait(wal_sync_req *req, int status)
{
    sync_wait *s = req->data;
    s->done = true;
    s->status = status;
}

/* Waits until everything queued so far is durable; returns the status. */
static inline int wal_sync_wait(wal *w, uv_loop_t *loop)
{
    sync_wait s = {.done = false};
    s.req.data = &s;
    int rv = wal_sync(w, &s.req, on_sync_wait);
    if (rv != 0) return rv;
    if (!run_until(loop, &s.done)) abort();
    return s.status;
}

/* ---- Entries -------------------------------------------------------------------------
 */

/* Payload bytes of (group, index, term): reproducible, so reads can be
 * checked without keeping copies. */
static inline void payload_fill(uint8_t *p, size_t len, uint64_t group, uint64_t index,
                                uint64_t term)
{
    rng r;
    rng_seed(&r, group * 1000003u ^ index * 7919u ^ term * 104729u);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)rng_next(&r);
}

static inline size_t payload_len_of(uint64_t group, uint64_t index, size_t max)
{
    return (size_t)((group * 31 + index * 17) % (max + 1));
}

/* ---- Durability tracker
 * ------------------------------------------------------------------ */

#define TRACK_GROUPS_MAX 64

typedef struct tracker {
    uint64_t durable_last[TRACK_GROUPS_MAX]; /* per group id < TRACK_GROUPS_MAX */
    uint64_t reports;
    uint64_t groups_reported;
    int status;
} tracker;

static inline void tracker_cb(void *arg, const wal_durable *groups, size_t count,
                              int status)
{
    tracker *t = arg;
    t->reports++;
    if (status != 0) t->status = status;
    for (size_t i = 0; i < count; i++) {
        t->groups_reported++;
        if (groups[i].group < TRACK_GROUPS_MAX)
            t->durable_last[groups[i].group] = groups[i].last_index;
    }
}

/* ---- An in-memory model of what the WAL must hold ---------------------------------- *
 *
 * Per group: whether it exists, its hard state, first/last index, the term
 * of entry first - 1 and the term of each entry (payloads follow from
 * (group, index, term) through payload_fill). The operations mirror the
 * documented semantics of wal_append/truncate/compact/drop. */

#define MODEL_GROUPS  8
#define MODEL_LEN_MAX 300 /* payload bytes at most */

typedef struct mgroup {
    bool exists;
    bool has_hs;
    raft_hard_state hs;
    bool log_known;
    uint64_t first, last, prev_term;
    uint64_t *terms; /* terms[i - first] */
    size_t cap;
} mgroup;

typedef struct model {
    mgroup g[MODEL_GROUPS];
} model;

static inline void model_init(model *m)
{
    memset(m, 0, sizeof *m);
}

static inline void mgroup_clear(mgroup *g)
{
    free(g->terms);
    memset(g, 0, sizeof *g);
}

static inline void model_free(model *m)
{
    for (int i = 0; i < MODEL_GROUPS; i++)
        mgroup_clear(&m->g[i]);
}

static inline void model_copy(model *dst, const model *src)
{
    model_free(dst);
    *dst = *src;
    for (int i = 0; i < MODEL_GROUPS; i++) {
        mgroup *g = &dst->g[i];
        g->terms = NULL;
        if (src->g[i].cap == 0) continue;
        g->terms = malloc(g->cap * sizeof *g->terms);
        memcpy(g->terms, src->g[i].terms, g->cap * sizeof *g->terms);
    }
}

static inline void mgroup_touch(mgroup *g)
{
    if (g->exists) return;
    g->exists = true;
    g->first = 1;
    g->last = 0;
}

static inline void mgroup_reset(mgroup *g, uint64_t first, uint64_t prev_term)
{
    g->log_known = true;
    g->first = first;
    g->last = first - 1;
    g->prev_term = prev_term;
}

static inline void model_append(model *m, uint64_t gid, uint64_t index, uint64_t term)
{
    mgroup *g = &m->g[gid];
    mgroup_touch(g);
    if (!g->log_known) mgroup_reset(g, index, 0);
    if (index <= g->last) g->last = index - 1;
    if (index != g->last + 1) abort();
    size_t n = (size_t)(g->last + 1 - g->first);
    if (n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->terms = realloc(g->terms, g->cap * sizeof *g->terms);
    }
    g->terms[n] = term;
    g->last++;
}

static inline void model_hard_state(model *m, uint64_t gid, raft_hard_state hs)
{
    mgroup *g = &m->g[gid];
    mgroup_touch(g);
    g->has_hs = true;
    g->hs = hs;
}

static inline void model_truncate(model *m, uint64_t gid, uint64_t from)
{
    mgroup *g = &m->g[gid];
    if (!g->exists || !g->log_known || from > g->last || from < g->first) return;
    g->last = from - 1;
}

static inline void model_compact(model *m, uint64_t gid, uint64_t first,
                                 uint64_t prev_term)
{
    mgroup *g = &m->g[gid];
    mgroup_touch(g);
    if (g->log_known && first <= g->first) return;
    if (g->log_known && first - 1 >= g->first && first - 1 <= g->last)
        prev_term = g->terms[first - 1 - g->first];
    if (!g->log_known || first > g->last + 1) {
        mgroup_reset(g, first, prev_term);
        return;
    }
    size_t drop = (size_t)(first - g->first);
    size_t n = (size_t)(g->last + 1 - g->first);
    memmove(g->terms, g->terms + drop, (n - drop) * sizeof *g->terms);
    g->first = first;
    g->prev_term = prev_term;
}

static inline void model_drop(model *m, uint64_t gid)
{
    mgroup_clear(&m->g[gid]);
}

/* Compares the WAL with the model; on a difference writes it to why and
 * returns false. Entry payloads are read back through wal_entries. */
static inline bool model_matches(const model *m, wal *w, char *why, size_t why_len)
{
    size_t count = 0;
    buf data = BUF_INIT;
    bool ok = true;
    for (uint64_t gid = 0; gid < MODEL_GROUPS && ok; gid++) {
        const mgroup *g = &m->g[gid];
        wal_group_info info = {0};
        int rv = wal_group_info_get(w, gid, &info);
        if (!g->exists) {
            if (rv != POLIS_ENOTFOUND) {
                snprintf(why, why_len, "group %lu should not exist (%d)",
                         (unsigned long)gid, rv);
                ok = false;
            }
            continue;
        }
        count++;
        if (rv != 0 || info.has_hard_state != g->has_hs ||
            (g->has_hs &&
             (info.hard_state.term != g->hs.term || info.hard_state.vote != g->hs.vote ||
              info.hard_state.commit != g->hs.commit)) ||
            info.first_index != g->first || info.last_index != g->last ||
            (g->log_known && g->first > 1 && info.prev_term != g->prev_term)) {
            snprintf(why, why_len,
                     "group %lu: rv %d hs %d/%lu/%lu first %lu last %lu prev %lu; "
                     "model hs %d/%lu/%lu first %lu last %lu prev %lu",
                     (unsigned long)gid, rv, info.has_hard_state,
                     (unsigned long)info.hard_state.term,
                     (unsigned long)info.hard_state.commit,
                     (unsigned long)info.first_index, (unsigned long)info.last_index,
                     (unsigned long)info.prev_term, g->has_hs, (unsigned long)g->hs.term,
                     (unsigned long)g->hs.commit, (unsigned long)g->first,
                     (unsigned long)g->last, (unsigned long)g->prev_term);
            ok = false;
            break;
        }
        for (uint64_t i = g->first; i <= g->last && ok;) {
            raft_entry out[32];
            size_t n = 0;
            buf_clear(&data);
            rv = wal_entries(w, gid, i, g->last + 1, UINT64_MAX, out, 32, &n, &data);
            if (rv != 0 || n == 0) {
                snprintf(why, why_len, "group %lu: reading %lu: %d", (unsigned long)gid,
                         (unsigned long)i, rv);
                ok = false;
                break;
            }
            for (size_t k = 0; k < n && ok; k++, i++) {
                uint64_t term = g->terms[i - g->first];
                uint8_t want[MODEL_LEN_MAX];
                size_t len = payload_len_of(gid, i, MODEL_LEN_MAX);
                payload_fill(want, len, gid, i, term);
                if (out[k].index != i || out[k].term != term || out[k].len != len ||
                    out[k].type != i % 2 || memcmp(out[k].data, want, len) != 0) {
                    snprintf(
                        why, why_len,
                        "group %lu entry %lu: term %lu len %u, model term %lu len %zu",
                        (unsigned long)gid, (unsigned long)i, (unsigned long)out[k].term,
                        out[k].len, (unsigned long)term, len);
                    ok = false;
                }
            }
        }
    }
    if (ok && count != wal_group_count(w)) {
        snprintf(why, why_len, "%zu groups, model %zu", wal_group_count(w), count);
        ok = false;
    }
    buf_free(&data);
    return ok;
}

/* Appends entry (group, index, term) with its reproducible payload. */
static inline int wal_append_one(wal *w, uint64_t gid, uint64_t index, uint64_t term)
{
    uint8_t data[MODEL_LEN_MAX];
    size_t len = payload_len_of(gid, index, MODEL_LEN_MAX);
    payload_fill(data, len, gid, index, term);
    raft_entry e = {.term = term,
                    .index = index,
                    .type = (uint8_t)(index % 2),
                    .len = (uint32_t)len,
                    .data = data};
    return wal_append(w, gid, &e, 1);
}

#endif
