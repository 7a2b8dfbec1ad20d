/* node/group.c - the group host (see group.h for the flow). */
#include "node/group.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/error.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/meta.h"
#include "cluster/slotset.h"
#include "cmd/entry.h"
#include "node/server.h"

/* Reads that arrive in one loop iteration share one ReadIndex round; a round
 * not answered within this long is asked again (the leader may have
 * changed and dropped it). */
#define READ_RETRY_MS 300
/* Largest chunk read from a snapshot file per message (raft's chunk size
 * decides; this bounds the stack buffer). */
#define SNAPSHOT_CHUNK_BYTES_MAX (1u << 20)
#define EXPIRE_SAMPLE_KEYS       20
#define GROUP_DATA_SEED          0x8f1bbcdc706f6c69ull

/* Replies to a write that did not complete. Clients (and the chaos tests'
 * histories) tell "certainly not applied" from "may have been". */
#define ERR_NOT_APPLIED "TRYAGAIN the write was overtaken by a new leader and not applied"
#define ERR_MAYBE_APPLIED                                                                \
    "TRYAGAIN leadership changed; the write may or may not have been applied"

typedef struct pending {
    struct pending *next;
    raft_index index;      /* proposal: the entry's index; read: the read index */
    raft_term term;        /* proposal: the term it was proposed in */
    uint64_t ctx;          /* read: the ReadIndex round */
    bool released;         /* read: its read index is known */
    uint64_t submitted_ms; /* read: when its round was last asked (0: never) */
    int resp_proto;
    uint64_t deadline_ms; /* loop time */
    group_done_fn *done;
    void *arg;
} pending;

typedef struct pending_list {
    pending *head, *tail;
    size_t count;
} pending_list;

struct node_group {
    group_host *host;
    uint64_t id;
    raft *r;
    bool is_meta; /* group 0: the meta state machine instead of a keyspace */
    bool retired; /* left this node: freed once no WAL callback is due */
    /* Hibernation: a group with nothing to do stops ticking (no heartbeats
     * from its leader, no election timer on its followers). */
    bool hibernating;
    bool stepped;    /* hibernating, it took a message: the next pass sends the answer */
    bool seen_leads; /* leadership as of the last process() */
    raft_term seen_term;
    uint32_t quiet_ticks;
    kv_keyspace ks;
    meta_state *meta; /* the meta group's only (128 KiB of slot owners) */
    /* The ready batch being consumed (taken, not yet released: only while a
     * received snapshot is being saved does this last beyond one call). */
    bool outstanding;
    raft_ready rd;
    /* Released batches whose WAL writes are not yet durable (pipelined
     * persistence, raft.h): up to pipeline_depth of them. */
    uint32_t inflight;
    pending_list proposals; /* in index order */
    pending_list reads;     /* in arrival order */
    uint64_t round;         /* the ReadIndex round new reads join */
    raft_index applied;
    /* Snapshots. */
    raft_index last_snapshot;
    bool snapshotting;
    buf recv;                  /* a snapshot being received from the leader */
    raft_index expire_pending; /* index of the last expiry proposal */
    struct snap_job *job;      /* the snapshot being taken or saved */
    buf scratch;
    /* Splits (see "Splits" below). The slots the state machine serves:
     * NULL while it serves every slot the map gives it. */
    slot_set *owned;
    bool unborn;     /* born of a split here, first snapshot not yet durable */
    uint64_t parent; /* unborn: the group whose log made it */
    uint32_t births; /* its children still unborn: its snapshots wait */
};

struct group_host {
    uv_loop_t *loop;
    group_host_config cfg;
    wal *w;
    group_send_fn *send;
    void *send_arg;
    node_group **groups;
    size_t count, cap;
    node_group **retired; /* waiting for their last WAL callbacks */
    size_t retired_count;
    uv_timer_t tick;
    uv_check_t pass;
    rng rng;
    bool closing;
    bool meta_changed;       /* a meta entry applied since group_host_meta_changed */
    uint64_t leadership_gen; /* bumped when a group's leadership or term changes */
    size_t jobs;             /* WAL syncs and snapshot jobs still to call back */
    int handles_open;        /* tick and pass, until their close callbacks */
};

static void process(node_group *g);
static void apply_split_entry(node_group *g, const raft_entry *e, pending *mine);
static int entry_unowned_slot(const node_group *g, const cmd_entry *ce);
static void dump_and_exit(const node_group *g, int fd);
static bool snap_fork(node_group *g, struct snap_job *job);
static int load_header(node_group *g, const char *data, size_t len, size_t *used);
static void maybe_free_host(group_host *h);
static bool free_if_idle(node_group *g);
static void destroy_host(group_host *h);

void group_host_config_defaults(group_host_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    raft_config_defaults(&cfg->raft);
    /* Failover in under a second: 50 ms ticks, election after 10-20 ticks. */
    cfg->tick_ms = 50;
    cfg->raft.election_ticks = 10;
    cfg->raft.heartbeat_ticks = 2;
    cfg->raft.max_entry_bytes = 8u << 20;
    cmd_limits_defaults(&cfg->limits);
    cfg->snapshot_entries = 100000;
    cfg->snapshot_keep = 10000;
    cfg->request_timeout_ms = 5000;
    cfg->pipeline_depth = 8;
}

/* ---- Hibernation -----------------------------------------------------------
 *
 * A group whose log is fully replicated, committed and applied, with no
 * request pending, stops ticking after a while of quiet: its followers
 * after HIBERNATE_FOLLOWER_TICKS (they still answer the leader's
 * heartbeats), its leader after HIBERNATE_LEADER_TICKS (no more
 * heartbeats). So an idle node's groups cost nothing per tick but a flag
 * check. Anything that may need the group wakes it: a proposal, a read, a
 * membership or leadership change, a raft message other than a plain
 * heartbeat, and the loss of a peer link (group_host_wake_all), which is
 * how a follower learns its hibernating leader is gone (a dead process
 * closes the link at once; a silent one after the link's idle timeout).
 * Safety never depends on timers, only liveness does. A leader with keys
 * that may expire keeps ticking (its expiry cycle runs on ticks). */
#define HIBERNATE_FOLLOWER_TICKS 5
#define HIBERNATE_LEADER_TICKS   40

static void wake(node_group *g)
{
    g->hibernating = false;
    g->quiet_ticks = 0;
}

static bool is_quiet(node_group *g)
{
    raft *r = g->r;
    if (g->proposals.count || g->reads.count || g->outstanding || g->inflight || g->job ||
        raft_has_ready(r))
        return false;
    raft_index last = raft_last_index(r);
    if (raft_commit_index(r) != last || g->applied != last) return false;
    enum raft_role role = raft_role_of(r);
    /* A follower sleeps only while its leader is heard from: woken by a
     * request while the leader is silent (stopped, cut off), it keeps
     * ticking until its election timer finds out. */
    if (role == RAFT_FOLLOWER)
        return raft_leader(r) != 0 &&
               raft_leader_silence(r) <= g->host->cfg.raft.heartbeat_ticks;
    if (role != RAFT_LEADER || raft_conf_of(r)->voter_outgoing_count > 0) return false;
    if (!g->is_meta && g->ks.volatile_count > 0) return false;
    raft_progress_info prs[RAFT_NODES_MAX * 3];
    size_t n = raft_progress(r, prs, RAFT_NODES_MAX * 3);
    for (size_t i = 0; i < n && i < RAFT_NODES_MAX * 3; i++)
        if (prs[i].match != last) return false;
    return true;
}

/* After the group's tick: counts quiet ticks, hibernates when enough. */
static void maybe_hibernate(node_group *g)
{
    if (!is_quiet(g)) {
        g->quiet_ticks = 0;
        return;
    }
    g->quiet_ticks++;
    uint32_t need = raft_role_of(g->r) == RAFT_LEADER ? HIBERNATE_LEADER_TICKS
                                                      : HIBERNATE_FOLLOWER_TICKS;
    if (g->quiet_ticks >= need) g->hibernating = true;
}

/* ---- Pending requests ---------------------------------------------------- */

static void list_push(pending_list *l, pending *p)
{
    p->next = NULL;
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->count++;
}

static pending *list_pop(pending_list *l)
{
    pending *p = l->head;
    if (p == NULL) return NULL;
    l->head = p->next;
    if (l->head == NULL) l->tail = NULL;
    l->count--;
    return p;
}

static void fail(pending *p, const char *error)
{
    buf reply = BUF_INIT;
    resp_writer w = {&reply, p->resp_proto};
    resp_error_cstr(&w, error);
    p->done(p->arg, POLIS_EIO, reply.data, reply.len);
    buf_free(&reply);
    mem_free(p);
}

static void fail_list(pending_list *l, const char *error)
{
    pending *p;
    while ((p = list_pop(l)) != NULL)
        fail(p, error);
}

/* ---- Applying committed entries --------------------------------------------- */

/* Answers the proposal of a meta or split entry once it applied: +OK, or
 * `error` (a full error line without the '-'); a proposal whose entry was
 * replaced by another leader's learns it was not applied. */
static void answer_admin(node_group *g, const raft_entry *e, pending *mine,
                         const char *error)
{
    if (mine == NULL) return;
    if (mine->term != e->term) {
        fail(mine, ERR_NOT_APPLIED);
        return;
    }
    buf_clear(&g->scratch);
    resp_writer w = {&g->scratch, mine->resp_proto};
    if (error)
        resp_error_cstr(&w, error);
    else
        resp_ok(&w);
    mine->done(mine->arg, 0, g->scratch.data, g->scratch.len);
    mem_free(mine);
}

/* A meta entry: one meta_cmd, validated by meta_apply against the state it
 * meets (a refused one changes nothing, identically on every replica). */
static void apply_meta_entry(node_group *g, const raft_entry *e, pending *mine)
{
    meta_cmd mc;
    char why[160] = "";
    int rv = meta_decode(e->data, e->len, &mc);
    if (rv != 0) {
        log_warning("group %llu: undecodable meta entry at index %llu skipped",
                    (unsigned long long)g->id, (unsigned long long)e->index);
        snprintf(why, sizeof why, "the meta entry is malformed");
    } else {
        rv = meta_apply(g->meta, &mc, why, sizeof why);
        if (rv != 0)
            log_verbose("group %llu: meta change at %llu refused: %s",
                        (unsigned long long)g->id, (unsigned long long)e->index, why);
        else
            g->host->meta_changed = true;
    }
    char error[sizeof why + 4];
    snprintf(error, sizeof error, "ERR %s", why);
    answer_admin(g, e, mine, rv == 0 ? NULL : error);
}

static void apply_entry(node_group *g, const raft_entry *e)
{
    g->applied = e->index;
    /* Proposals whose index passed without being applied here were lost
     * (cannot happen while indexes are contiguous; kept as a guard). */
    while (g->proposals.head && g->proposals.head->index < e->index)
        fail(list_pop(&g->proposals), ERR_MAYBE_APPLIED);
    pending *mine = g->proposals.head && g->proposals.head->index == e->index
                        ? list_pop(&g->proposals)
                        : NULL;
    if (e->type != RAFT_ENTRY_NORMAL || e->len == 0) {
        /* A configuration change or a leader's no-op took the index. */
        if (mine) fail(mine, ERR_NOT_APPLIED);
        return;
    }
    if (g->is_meta) {
        apply_meta_entry(g, e, mine);
        return;
    }
    if (cmd_entry_kind(e->data, e->len) == CMD_ENTRY_SPLIT) {
        apply_split_entry(g, e, mine);
        return;
    }
    cmd_entry ce;
    if (cmd_entry_decode(e->data, e->len, &ce) != 0) {
        /* Every replica skips the same bad entry; the log itself is
         * CRC-checked, so this is a bug worth a loud line. */
        log_warning("group %llu: undecodable entry at index %llu skipped",
                    (unsigned long long)g->id, (unsigned long long)e->index);
        if (mine) fail(mine, "ERR internal error: bad log entry");
        return;
    }
    buf_clear(&g->scratch);
    resp_writer w = {&g->scratch, mine ? mine->resp_proto : 2};
    int unowned = entry_unowned_slot(g, &ce);
    if (unowned >= 0)
        resp_errorf(&w, GROUP_ERR_SLOT_MOVED_FMT, unowned);
    else
        cmd_entry_apply(&g->ks, &ce, e->term, e->index, &g->host->cfg.limits, &w);
    cmd_entry_free(&ce);
    if (mine == NULL) return;
    if (mine->term == e->term) {
        mine->done(mine->arg, 0, g->scratch.data, g->scratch.len);
        mem_free(mine);
    } else {
        fail(mine, ERR_NOT_APPLIED);
    }
}

static void serve_reads(node_group *g)
{
    /* Reads are released in round order, so the list is in index order
     * among released ones; serve the released prefix whose index is
     * applied. */
    while (g->reads.head && g->reads.head->released &&
           g->reads.head->index <= g->applied) {
        pending *p = list_pop(&g->reads);
        p->done(p->arg, 0, NULL, 0);
        mem_free(p);
    }
}

static void release_reads(node_group *g, const raft_read_state *rs)
{
    for (pending *p = g->reads.head; p; p = p->next) {
        if (p->ctx == rs->ctx && !p->released) {
            p->released = true;
            p->index = rs->index;
        }
    }
}

/* ---- Snapshots ------------------------------------------------------------------
 *
 * Taking one: the node forks; the child dumps the keyspace (a copy-on-write
 * image of the moment of the fork) into a pipe and exits, while the parent
 * keeps serving and feeds the pipe's bytes to the WAL's snapshot writer,
 * pausing the pipe when the writer's queue is full. Large datasets thus
 * never stop the loop (docs/design/006-cluster.md).
 *
 * Saving a received one: its bytes are in memory (assembled from chunks);
 * they are written in pieces the same way, and the rest of the ready batch
 * waits until the file is durable, because the log it replaces is
 * compacted away. */

#define SNAPSHOT_PIECE_BYTES (1u << 20)

typedef struct snap_job snap_job;
struct snap_job {
    node_group *g;
    raft_snapshot_meta meta;
    wal_snapshot_writer *sw;
    uint64_t size;
    /* Fork side. */
    uv_pipe_t pipe;
    pid_t child;
    bool pipe_open;
    buf held; /* bytes read from the pipe the writer had no room for */
    int error;
    bool waiting;   /* a wal_snapshot_wait callback is still to come */
    bool pipe_done; /* the pipe closed while waiting: finish in the callback */
    /* Memory side (a received snapshot, or the meta state's dump). */
    buf owned;
    const char *data;
    size_t len, off;
    void (*finished)(snap_job *job, int status);
};

static void snap_sealed(wal_snapshot_writer *sw, int status, void *arg)
{
    (void)sw;
    snap_job *job = arg;
    job->finished(job, status);
}

/* Aborts the job's snapshot file, once; the writer handle is the WAL's
 * again afterwards (it frees it), so the job forgets it. group_host_close
 * does this for every job while the WAL is still open: callbacks that
 * arrive later (a pipe closing) must not touch a writer the WAL's close
 * has freed. */
static void snap_abort(snap_job *job)
{
    if (job->sw == NULL) return;
    wal_snapshot_abort(job->sw);
    job->sw = NULL;
}

static void snap_seal(snap_job *job)
{
    job->meta.size_bytes = job->size;
    if (job->sw == NULL) {
        job->finished(job, POLIS_ECLOSED);
        return;
    }
    wal_snapshot_writer *sw = job->sw;
    job->sw = NULL; /* the WAL frees it once sealed */
    if (wal_snapshot_finish(sw, snap_sealed, job) != 0) {
        wal_snapshot_abort(sw);
        job->finished(job, POLIS_EIO);
    }
}

/* -- memory-fed -- */
static void snap_feed(wal_snapshot_writer *sw, int status, void *arg)
{
    (void)sw;
    snap_job *job = arg;
    if (status == 0 && (job->g->host->closing || job->sw == NULL)) status = POLIS_ECLOSED;
    if (status != 0) {
        snap_abort(job);
        job->finished(job, status);
        return;
    }
    while (job->off < job->len) {
        size_t n = job->len - job->off;
        if (n > SNAPSHOT_PIECE_BYTES) n = SNAPSHOT_PIECE_BYTES;
        int rv = wal_snapshot_write(job->sw, job->data + job->off, n);
        if (rv == POLIS_EBUSY) {
            if (wal_snapshot_wait(job->sw, snap_feed, job) == 0) return;
            rv = POLIS_EIO;
        }
        if (rv != 0) {
            snap_abort(job);
            job->finished(job, rv);
            return;
        }
        job->off += n;
        job->size += n;
    }
    snap_seal(job);
}

/* -- fork-fed -- */
static void pipe_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    b->base = mem_alloc(suggested);
    b->len = suggested;
}

static void pipe_finish(snap_job *job);

static void pipe_closed(uv_handle_t *h)
{
    snap_job *job = h->data;
    job->pipe_open = false;
    if (job->waiting) {
        job->pipe_done = true; /* the wait callback still holds the job */
        return;
    }
    pipe_finish(job);
}

static void pipe_finish(snap_job *job)
{
    buf_free(&job->held);
    int status = 0;
    /* The child closed its end and is exiting (or was killed). */
    bool child_ok = waitpid(job->child, &status, 0) == job->child && WIFEXITED(status) &&
                    WEXITSTATUS(status) == 0;
    if (job->error != 0 || !child_ok) {
        snap_abort(job);
        job->finished(job, job->error ? job->error : POLIS_EIO);
        return;
    }
    snap_seal(job);
}

static void pipe_stop(snap_job *job, int error)
{
    if (!job->pipe_open || uv_is_closing((uv_handle_t *)&job->pipe)) return;
    job->error = error;
    kill(job->child, SIGKILL);
    uv_close((uv_handle_t *)&job->pipe, pipe_closed);
}

static void pipe_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b);

/* The writer drained: write the bytes held back, then read on. */
static void pipe_resume(wal_snapshot_writer *sw, int status, void *arg)
{
    (void)sw;
    snap_job *job = arg;
    job->waiting = false;
    if (job->pipe_done) {
        pipe_finish(job);
        return;
    }
    /* Stopping (an error, or the host closing, which also took the writer
     * back): no more writes; the pipe is already closing. */
    if (status == 0 && (job->error != 0 || job->sw == NULL || job->g->host->closing))
        status = job->error ? job->error : POLIS_ECLOSED;
    if (status == 0 && job->held.len > 0) {
        status = wal_snapshot_write(job->sw, job->held.data, job->held.len);
        if (status == POLIS_EBUSY && wal_snapshot_wait(job->sw, pipe_resume, job) == 0) {
            job->waiting = true;
            return;
        }
        if (status == 0) {
            job->size += job->held.len;
            buf_clear(&job->held);
        }
    }
    if (status != 0) {
        pipe_stop(job, status);
        return;
    }
    uv_read_start((uv_stream_t *)&job->pipe, pipe_alloc, pipe_read);
}

static void pipe_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    snap_job *job = stream->data;
    if (nread > 0 && job->sw == NULL) {
        pipe_stop(job, POLIS_ECLOSED); /* (the pipe is closing already) */
    } else if (nread > 0) {
        int rv = wal_snapshot_write(job->sw, b->base, (size_t)nread);
        if (rv == 0) {
            job->size += (uint64_t)nread;
        } else if (rv == POLIS_EBUSY) {
            /* Not queued: hold the bytes and stop reading until the writer
             * has room (the child then blocks on the full pipe). */
            uv_read_stop(stream);
            buf_append(&job->held, b->base, (size_t)nread);
            if (wal_snapshot_wait(job->sw, pipe_resume, job) == 0)
                job->waiting = true;
            else
                pipe_stop(job, POLIS_EIO);
        } else {
            pipe_stop(job, rv);
        }
    } else if (nread < 0) {
        uv_close((uv_handle_t *)&job->pipe, pipe_closed);
    }
    mem_free(b->base);
}

/* A job's callback for a group that is going away: frees what can be
 * freed (the host once closing and idle, a retired group once idle) and
 * returns true; false if the callback is to do its work. */
static bool left_behind(node_group *g)
{
    if (g->host->closing) {
        maybe_free_host(g->host);
        return true;
    }
    if (g->retired) {
        free_if_idle(g);
        return true;
    }
    return false;
}

static void snapshot_taken(snap_job *job, int status)
{
    node_group *g = job->g;
    buf_free(&job->owned);
    g->snapshotting = false;
    g->job = NULL;
    g->host->jobs--;
    if (left_behind(g)) {
        mem_free(job);
        return;
    }
    if (status != 0) {
        log_warning("group %llu: snapshot at %llu failed: %s", (unsigned long long)g->id,
                    (unsigned long long)job->meta.index, polis_strerror(status));
    } else if (!g->host->closing) {
        raft_index keep = g->host->cfg.snapshot_keep;
        raft_snapshot_taken(g->r, &job->meta, keep);
        g->last_snapshot = job->meta.index;
        if (job->meta.index > keep) {
            raft_index first = job->meta.index - keep + 1;
            wal_compact(g->host->w, g->id, first, raft_term_at(g->r, first - 1));
        }
        log_verbose("group %llu: snapshot at index %llu, %llu bytes",
                    (unsigned long long)g->id, (unsigned long long)job->meta.index,
                    (unsigned long long)job->size);
    }
    mem_free(job);
}

static int write_fd(void *priv, const void *data, size_t len)
{
    int fd = *(int *)priv;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return POLIS_EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void take_snapshot(node_group *g)
{
    raft_index index = g->applied;
    if (g->snapshotting || index == 0 || index <= g->last_snapshot) return;
    /* A split entry is forgotten by the snapshot covering it: not before
     * the child it made here is durable on its own. */
    if (g->births > 0) return;
    snap_job *job = mem_calloc(1, sizeof *job);
    job->g = g;
    job->finished = snapshot_taken;
    job->meta.index = index;
    job->meta.term = raft_term_at(g->r, index);
    job->meta.conf = *raft_conf_of(g->r);
    if (g->is_meta) {
        /* The meta state is small: dumped in memory, written like a
         * received snapshot. */
        if (job->meta.term == 0 ||
            wal_snapshot_begin(g->host->w, g->id, &job->meta, &job->sw) != 0) {
            mem_free(job);
            return;
        }
        meta_dump(g->meta, &job->owned);
        job->data = job->owned.data;
        job->len = job->owned.len;
        g->job = job;
        g->host->jobs++;
        g->snapshotting = true;
        snap_feed(job->sw, 0, job);
        return;
    }
    snap_fork(g, job);
}

/* Forks a child that writes the group's state (header and keyspace) into
 * the job's snapshot file. False (the job freed) if it could not start. */
static bool snap_fork(node_group *g, snap_job *job)
{
    int fds[2];
    if (job->meta.term == 0 || pipe(fds) != 0) {
        mem_free(job);
        return false;
    }
    if (wal_snapshot_begin(g->host->w, g->id, &job->meta, &job->sw) != 0) {
        close(fds[0]);
        close(fds[1]);
        mem_free(job);
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dump_and_exit(g, fds[1]);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snap_abort(job);
        mem_free(job);
        return false;
    }
    job->child = pid;
    g->job = job;
    g->host->jobs++;
    uv_pipe_init(g->host->loop, &job->pipe, 0);
    job->pipe.data = job;
    uv_pipe_open(&job->pipe, fds[0]);
    job->pipe_open = true;
    g->snapshotting = true;
    uv_read_start((uv_stream_t *)&job->pipe, pipe_alloc, pipe_read);
    return true;
}

typedef struct mem_reader {
    const char *data;
    size_t len, off;
} mem_reader;

static int read_mem(void *priv, void *dst, size_t len)
{
    mem_reader *m = priv;
    if (m->len - m->off < len) return POLIS_ECORRUPT;
    memcpy(dst, m->data + m->off, len);
    m->off += len;
    return 0;
}

/* Replaces the group's state machine with a snapshot's. */
static int load_state(node_group *g, mem_reader *src)
{
    if (g->is_meta) return meta_load(g->meta, src->data, src->len);
    size_t used = 0;
    int rv = load_header(g, src->data, src->len, &used);
    if (rv != 0) return rv;
    src->off += used;
    return kv_load(&g->ks, read_mem, src);
}

/* ---- Ready batches ---------------------------------------------------------------- */

static void send_msg(node_group *g, const raft_msg *m)
{
    if (m->type != RAFT_MSG_SNAPSHOT || m->len == 0) {
        g->host->send(g->host->send_arg, m);
        return;
    }
    /* Fill the chunk's bytes from our snapshot file. */
    static uint8_t chunk[SNAPSHOT_CHUNK_BYTES_MAX];
    size_t nread = 0;
    if (m->len > sizeof chunk ||
        wal_snapshot_read(g->host->w, g->id, m->snap.index, m->offset, chunk, m->len,
                          &nread) != 0 ||
        nread != m->len) {
        raft_report_unreachable(g->r, m->to);
        return;
    }
    raft_msg copy = *m;
    copy.data = chunk;
    g->host->send(g->host->send_arg, &copy);
}

/* A released batch waiting for the WAL: its persist id and the messages
 * that may only leave once its writes (and all earlier ones) are durable. */
typedef struct persist_req {
    wal_sync_req sync;
    node_group *g;
    uint64_t id;
    size_t after_count;
    raft_msg after[]; /* copies: such messages carry no entries or data */
} persist_req;

static void on_synced(wal_sync_req *req, int status)
{
    persist_req *p = req->data;
    node_group *g = p->g;
    g->host->jobs--;
    if (g->host->closing) {
        mem_free(p);
        maybe_free_host(g->host);
        return;
    }
    if (g->retired) {
        g->inflight--;
        mem_free(p);
        free_if_idle(g);
        return;
    }
    if (status != 0) {
        /* A failed fsync is fatal: nothing may be assumed durable. */
        log_warning("group %llu: WAL flush failed (%s): stopping",
                    (unsigned long long)g->id, polis_strerror(status));
        abort();
    }
    /* WAL barriers complete in order, so batches become durable in order. */
    for (size_t i = 0; i < p->after_count; i++)
        send_msg(g, &p->after[i]);
    raft_persisted(g->r, p->id);
    g->inflight--;
    mem_free(p);
    process(g);
}

/* The batch is consumed: release it, and wait for its writes (if any) on a
 * WAL barrier while the next batches proceed. */
static void release_batch(node_group *g)
{
    const raft_ready *rd = &g->rd;
    persist_req *p = NULL;
    if (rd->persist_id != 0) {
        size_t n = rd->msg_after_persist_count;
        p = mem_alloc(sizeof *p + n * sizeof p->after[0]);
        p->g = g;
        p->id = rd->persist_id;
        p->after_count = n;
        for (size_t i = 0; i < n; i++) {
            PASSERT(rd->msgs_after_persist[i].entry_count == 0 &&
                    rd->msgs_after_persist[i].data == NULL);
            p->after[i] = rd->msgs_after_persist[i];
        }
    }
    raft_release(g->r, rd);
    g->outstanding = false;
    if (p == NULL) return;
    /* Counted like a job so that the group outlives it at shutdown. */
    p->sync.data = p;
    g->inflight++;
    g->host->jobs++;
    if (wal_sync(g->host->w, &p->sync, on_synced) != 0) {
        log_warning("group %llu: WAL sync refused: stopping", (unsigned long long)g->id);
        abort();
    }
}

static void continue_batch(node_group *g);

static void snapshot_saved(snap_job *job, int status)
{
    node_group *g = job->g;
    raft_snapshot_meta meta = job->meta;
    g->job = NULL;
    mem_free(job);
    g->host->jobs--;
    if (left_behind(g)) return;
    if (status != 0) {
        /* The log it replaces may not be dropped without it. */
        log_warning("group %llu: cannot save the received snapshot: %s",
                    (unsigned long long)g->id, polis_strerror(status));
        abort();
    }
    /* The core's log is empty after the snapshot (raft.h): so is ours. */
    wal_group_info info;
    if (wal_group_info_get(g->host->w, g->id, &info) == 0 &&
        info.last_index > meta.index && info.first_index <= meta.index + 1)
        wal_truncate(g->host->w, g->id, meta.index + 1);
    wal_compact(g->host->w, g->id, meta.index + 1, meta.term);
    buf_free(&g->recv);
    continue_batch(g);
}

/* A snapshot received from the leader replaces the keyspace now; the rest
 * of the batch continues once its file is durable. */
static bool install_snapshot(node_group *g, const raft_snapshot_meta *meta)
{
    mem_reader src = {g->recv.data, g->recv.len, 0};
    if (g->recv.len != meta->size_bytes || load_state(g, &src) != 0) {
        log_warning("group %llu: received snapshot at %llu is damaged",
                    (unsigned long long)g->id, (unsigned long long)meta->index);
        abort(); /* the state machine is no longer trustworthy */
    }
    g->applied = meta->index;
    g->last_snapshot = meta->index;
    /* The snapshot may or may not hold them: another leader committed its
     * own entries at some of these indexes, or ours. */
    while (g->proposals.head && g->proposals.head->index <= meta->index)
        fail(list_pop(&g->proposals), ERR_MAYBE_APPLIED);
    snap_job *job = mem_calloc(1, sizeof *job);
    job->g = g;
    job->meta = *meta;
    job->data = g->recv.data;
    job->len = g->recv.len;
    job->finished = snapshot_saved;
    if (wal_snapshot_begin(g->host->w, g->id, meta, &job->sw) != 0) {
        mem_free(job);
        log_warning("group %llu: cannot save the received snapshot",
                    (unsigned long long)g->id);
        abort();
    }
    g->job = job;
    g->host->jobs++;
    snap_feed(job->sw, 0, job);
    return true;
}

static void handle_ready(node_group *g)
{
    raft_ready *rd = &g->rd;
    raft_ready_get(g->r, rd);
    g->outstanding = true;
    for (size_t i = 0; i < rd->snapshot_chunk_count; i++) {
        const raft_snapshot_chunk *c = &rd->snapshot_chunks[i];
        if (c->offset == 0) buf_clear(&g->recv);
        buf_append(&g->recv, c->data, c->len);
    }
    if (rd->has_snapshot) {
        install_snapshot(g, &rd->snapshot);
        return;
    }
    continue_batch(g);
}

static void continue_batch(node_group *g)
{
    raft_ready *rd = &g->rd;
    if (rd->entry_count > 0) {
        int rv = wal_append(g->host->w, g->id, rd->entries, rd->entry_count);
        if (rv != 0) {
            log_warning("group %llu: WAL append failed: %s", (unsigned long long)g->id,
                        polis_strerror(rv));
            abort();
        }
    }
    if (rd->has_hard_state) {
        /* Only a new commit index when nothing in the batch waits for the
         * disk: written with the next flush, not synced for itself. */
        int rv = rd->persist_id != 0
                     ? wal_set_hard_state(g->host->w, g->id, &rd->hard_state)
                     : wal_set_hard_state_lazy(g->host->w, g->id, &rd->hard_state);
        if (rv != 0) {
            log_warning("group %llu: WAL hard state failed: %s",
                        (unsigned long long)g->id, polis_strerror(rv));
            abort();
        }
    }
    for (size_t i = 0; i < rd->msg_count; i++)
        send_msg(g, &rd->msgs[i]);
    for (size_t i = 0; i < rd->committed_count; i++)
        apply_entry(g, &rd->committed[i]);
    for (size_t i = 0; i < rd->read_count; i++)
        release_reads(g, &rd->reads[i]);
    serve_reads(g);
    release_batch(g);
}

/* Starts the ReadIndex round of the reads that arrived since the last one,
 * and asks again for rounds left unanswered (a leader change drops them).
 * Asking again is safe: the answer can only be a later commit index, still
 * at least the one current when the read arrived. */
static void submit_reads(node_group *g, uint64_t now_ms)
{
    uint64_t retried = 0;
    for (pending *p = g->reads.head; p; p = p->next) {
        if (p->released) continue;
        bool fresh = p->ctx == g->round && p->submitted_ms == 0;
        bool stale = p->ctx != retried && p->submitted_ms != 0 &&
                     now_ms - p->submitted_ms >= READ_RETRY_MS;
        if (!fresh && !stale) continue;
        if (raft_read_index(g->r, p->ctx) != RAFT_OK) return; /* no leader yet */
        retried = p->ctx;
        for (pending *q = p; q && q->ctx == p->ctx; q = q->next)
            q->submitted_ms = now_ms;
        if (p->ctx == g->round) g->round++; /* later reads need a later round */
    }
}

/* Whether the next batch may be taken now: none is being consumed, fewer
 * than pipeline_depth wait for the disk, and the WAL has room for its
 * entries (an append refused for lack of room would be fatal). */
static bool can_take(const node_group *g)
{
    if (g->outstanding || g->inflight >= g->host->cfg.pipeline_depth) return false;
    uint64_t entries, bytes;
    raft_unpersisted(g->r, &entries, &bytes);
    return entries == 0 || wal_has_room(g->host->w, entries, bytes);
}

static void process(node_group *g)
{
    if (g->host->closing || g->unborn) return;
    while (can_take(g) && raft_has_ready(g->r))
        handle_ready(g);
    if (g->applied >= g->last_snapshot + g->host->cfg.snapshot_entries) take_snapshot(g);
    /* who leads what changed: the cluster layer announces it */
    bool leads = raft_role_of(g->r) == RAFT_LEADER;
    raft_term term = raft_term_of(g->r);
    if (leads != g->seen_leads || term != g->seen_term) {
        g->seen_leads = leads;
        g->seen_term = term;
        g->host->leadership_gen++;
    }
}

static void on_pass(uv_check_t *h)
{
    group_host *host = h->data;
    uint64_t now = uv_now(host->loop);
    for (size_t i = 0; i < host->count; i++) {
        node_group *g = host->groups[i];
        /* asleep, a group has nothing to do unless it took a message */
        if (g->hibernating && !g->stepped) continue;
        g->stepped = false;
        submit_reads(g, now);
        process(g);
    }
}

/* ---- Ticks: timers, timeouts, expiry ------------------------------------------------
 */

static void expire_timeouts(pending_list *l, uint64_t now, const char *error)
{
    pending **link = &l->head, *prev = NULL;
    while (*link) {
        pending *p = *link;
        if (p->deadline_ms > now) {
            prev = p;
            link = &p->next;
            continue;
        }
        *link = p->next;
        if (l->tail == p) l->tail = prev;
        l->count--;
        fail(p, error);
    }
}

/* The leader's active expiry: sample keys with a TTL and propose a
 * conditional delete for each expired one (followers never delete on their
 * own: ARCHITECTURE §6). One batch in flight at a time. */
static void expire_cycle(node_group *g)
{
    if (g->is_meta || raft_role_of(g->r) != RAFT_LEADER || g->applied < g->expire_pending)
        return;
    int64_t now = node_now_ms();
    kv_obj *expired[EXPIRE_SAMPLE_KEYS];
    size_t found;
    kv_expire_sample(&g->ks, now, &g->host->rng, EXPIRE_SAMPLE_KEYS, expired, &found);
    for (size_t i = 0; i < found; i++) {
        char at[24];
        size_t at_len = fmt_i64(at, kv_obj_expire_at(&g->ks, expired[i]));
        cmd_arg argv[2] = {{expired[i]->data, expired[i]->key_len}, {at, at_len}};
        buf_clear(&g->scratch);
        cmd_entry_encode(&g->scratch, CMD_ENTRY_EXPIRE, now, argv, 2);
        raft_index idx;
        if (raft_propose(g->r, g->scratch.data, (uint32_t)g->scratch.len, &idx) !=
            RAFT_OK)
            break;
        g->expire_pending = idx;
    }
}

static void on_tick(uv_timer_t *t)
{
    group_host *host = t->data;
    uint64_t now = uv_now(host->loop);
    for (size_t i = 0; i < host->count; i++) {
        node_group *g = host->groups[i];
        if (g->hibernating || g->unborn) continue; /* nothing pending, nothing to time */
        raft_tick(g->r);
        expire_timeouts(&g->proposals, now,
                        "TRYAGAIN the write was not confirmed in time; it may or may not "
                        "have been applied");
        expire_timeouts(&g->reads, now,
                        "CLUSTERDOWN no leader confirmed the read in time");
        expire_cycle(g);
        process(g);
        maybe_hibernate(g);
    }
}

/* ---- Groups ----------------------------------------------------------------------- */

static node_group *group_alloc(group_host *h, uint64_t id)
{
    node_group *g = mem_calloc(1, sizeof *g);
    g->host = h;
    g->id = id;
    g->is_meta = id == GROUP_META;
    /* One hash seed for every data group: a split hands slot tables from a
     * parent's keyspace to its child's (kv_move_slots), which needs both
     * laid out alike, on every replica. */
    kv_init(&g->ks, GROUP_DATA_SEED);
    if (g->is_meta) {
        g->meta = mem_alloc(sizeof *g->meta);
        meta_init(g->meta, 3);
    }
    g->round = 1;
    if (h->count == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->groups = mem_realloc(h->groups, h->cap * sizeof *h->groups);
    }
    /* Kept sorted by id (group_find searches; never called while the host
     * walks its groups). */
    size_t at = h->count;
    while (at > 0 && h->groups[at - 1]->id > id)
        at--;
    memmove(&h->groups[at + 1], &h->groups[at], (h->count - at) * sizeof *h->groups);
    h->groups[at] = g;
    h->count++;
    return g;
}

static raft_config group_raft_config(const group_host *h, uint64_t id)
{
    raft_config cfg = h->cfg.raft;
    cfg.id = h->cfg.node_id;
    cfg.group = id;
    cfg.seed = rng_mix64(h->cfg.seed ^ id);
    return cfg;
}

/* A snapshot file is made durable on its own thread, not in the WAL's
 * order, so a crash can leave it next to log records written before it that
 * it replaced: entries of a branch a new leader overwrote (the overwrite
 * was still queued), or a log an installed snapshot discards (its
 * compaction record was still queued). The WAL's entry at the snapshot's
 * index then has another term (log matching: the suffix after it is of the
 * same stale branch); such a suffix was never committed, and raft_new
 * would rightly refuse it as a continuation of the snapshot. Drop it, and
 * start the log after the snapshot. */
static int drop_stale_suffix(group_host *h, uint64_t id, const raft_snapshot_meta *snap)
{
    raft_term term = 0;
    int rv = wal_term(h->w, id, snap->index, &term);
    if (rv == 0 && term == snap->term) return 0;
    log_warning("group %llu: log entries after snapshot %llu belong to a replaced branch "
                "(term %llu there, snapshot term %llu): dropped",
                (unsigned long long)id, (unsigned long long)snap->index,
                (unsigned long long)term, (unsigned long long)snap->term);
    /* The stale entry at the snapshot's index goes too (if still there), so
     * that the compaction records the snapshot's term before what follows. */
    wal_group_info info;
    if ((rv = wal_group_info_get(h->w, id, &info)) != 0) return rv;
    raft_index from = snap->index < info.first_index ? info.first_index : snap->index;
    rv = wal_truncate(h->w, id, from);
    if (rv == 0) rv = wal_compact(h->w, id, snap->index + 1, snap->term);
    return rv;
}

/* Restarts a group from the WAL: its newest snapshot (state machine) and
 * the entries after it (the raft log). */
static int group_recover(group_host *h, uint64_t id)
{
    wal_group_info info;
    int rv = wal_group_info_get(h->w, id, &info);
    if (rv != 0) return rv;
    node_group *g = group_alloc(h, id);
    raft_snapshot_meta snap = {0};
    if (info.has_snapshot) {
        snap = info.snapshot;
        buf data = BUF_INIT;
        buf_reserve(&data, (size_t)snap.size_bytes);
        size_t nread = 0;
        rv = wal_snapshot_read(h->w, id, snap.index, 0, data.data,
                               (size_t)snap.size_bytes, &nread);
        mem_reader src = {data.data, nread, 0};
        if (rv == 0 && nread == snap.size_bytes)
            rv = load_state(g, &src);
        else if (rv == 0)
            rv = POLIS_ECORRUPT;
        buf_free(&data);
        if (rv != 0) return rv;
        g->applied = snap.index;
        g->last_snapshot = snap.index;
    }
    if (info.has_snapshot && info.last_index > snap.index) {
        rv = drop_stale_suffix(h, id, &snap);
        if (rv != 0) return rv;
        if ((rv = wal_group_info_get(h->w, id, &info)) != 0) return rv;
    }
    raft_index lo = info.first_index, hi = info.last_index + 1;
    if (info.has_snapshot && lo <= snap.index) lo = snap.index + 1;
    size_t count = (size_t)(hi > lo ? hi - lo : 0);
    raft_entry *entries = mem_alloc((count ? count : 1) * sizeof *entries);
    buf data = BUF_INIT;
    size_t got = 0;
    while (got < count) {
        size_t n = 0;
        rv = wal_entries(h->w, id, lo + got, hi, UINT64_MAX, entries + got, count - got,
                         &n, &data);
        if (rv != 0 || n == 0) break;
        got += n;
    }
    /* data may have moved while growing: re-point every entry. */
    size_t off = 0;
    for (size_t i = 0; i < got; i++) {
        entries[i].data = entries[i].len ? (uint8_t *)data.data + off : NULL;
        off += entries[i].len;
    }
    raft_config cfg = group_raft_config(h, id);
    raft_hard_state hs = info.hard_state;
    g->r = raft_new(&cfg, info.has_hard_state ? &hs : NULL, &snap, entries, got, NULL);
    mem_free(entries);
    buf_free(&data);
    if (rv != 0 || got != count || g->r == NULL) return rv ? rv : POLIS_ECORRUPT;
    g->applied = raft_applied_index(g->r);
    log_notice("group %llu: recovered at term %llu, entries %llu..%llu, snapshot %llu",
               (unsigned long long)id, (unsigned long long)hs.term,
               (unsigned long long)lo, (unsigned long long)(hi - 1),
               (unsigned long long)snap.index);
    return 0;
}

int group_create(group_host *h, uint64_t id, const raft_conf *conf)
{
    if (group_find(h, id)) return POLIS_EEXISTS;
    node_group *g = group_alloc(h, id);
    raft_config cfg = group_raft_config(h, id);
    g->r = raft_new(&cfg, NULL, NULL, NULL, 0, conf);
    if (g->r == NULL) return POLIS_ECONFIG;
    g->applied = raft_applied_index(g->r);
    return 0;
}

node_group *group_find(group_host *h, uint64_t id)
{
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->groups[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->count && h->groups[lo]->id == id ? h->groups[lo] : NULL;
}

void group_host_step(group_host *h, const raft_msg *m)
{
    node_group *g = group_find(h, m->group);
    /* An unborn group steps messages too (votes for its first leader among
     * them); what it answers waits in its ready batch until it is born. */
    if (g == NULL || h->closing) return;
    raft_term term = raft_term_of(g->r);
    raft_step(g->r, m);
    if (raft_term_of(g->r) != term) {
        wake(g); /* a new term (a heartbeat from a new leader, say) */
        return;
    }
    /* A plain heartbeat is answered without waking a hibernating follower,
     * and its answer does not wake the leader (or it never would sleep:
     * it heartbeats until it does); anything else may start work. Either
     * way what the step produced goes out on the next pass. */
    if (m->type != RAFT_MSG_HEARTBEAT && m->type != RAFT_MSG_HEARTBEAT_RESP)
        wake(g);
    else
        g->stepped = true;
}

int group_host_open(uv_loop_t *loop, const group_host_config *cfg, wal *w,
                    group_send_fn *send, void *send_arg, group_host **out)
{
    cmd_table_init(); /* applying entries dispatches through it */
    group_host *h = mem_calloc(1, sizeof *h);
    h->loop = loop;
    h->cfg = *cfg;
    h->w = w;
    h->send = send;
    h->send_arg = send_arg;
    rng_seed(&h->rng, cfg->seed);
    size_t n = wal_group_count(w);
    uint64_t *ids = mem_alloc((n ? n : 1) * sizeof *ids);
    wal_group_list(w, ids, n);
    for (size_t i = 0; i < n; i++) {
        int rv = group_recover(h, ids[i]);
        if (rv != 0) {
            log_warning("group %llu: cannot recover: %s", (unsigned long long)ids[i],
                        polis_strerror(rv));
            mem_free(ids);
            destroy_host(h);
            return rv;
        }
    }
    mem_free(ids);
    uv_timer_init(loop, &h->tick);
    h->tick.data = h;
    uv_timer_start(&h->tick, on_tick, cfg->tick_ms, cfg->tick_ms);
    uv_check_init(loop, &h->pass);
    h->pass.data = h;
    uv_check_start(&h->pass, on_pass);
    h->handles_open = 2;
    *out = h;
    return 0;
}

static void group_free(node_group *g)
{
    raft_free(g->r);
    kv_destroy(&g->ks);
    if (g->meta) {
        meta_destroy(g->meta);
        mem_free(g->meta);
    }
    buf_free(&g->recv);
    buf_free(&g->scratch);
    mem_free(g->owned);
    mem_free(g);
}

static void destroy_host(group_host *h)
{
    for (size_t i = 0; i < h->count; i++)
        group_free(h->groups[i]);
    for (size_t i = 0; i < h->retired_count; i++)
        group_free(h->retired[i]);
    mem_free(h->groups);
    mem_free(h->retired);
    mem_free(h);
}

/* A retired group is freed once no WAL callback points at it. */
static bool free_if_idle(node_group *g)
{
    group_host *h = g->host;
    if (!g->retired || g->inflight > 0 || g->job != NULL) return false;
    for (size_t i = 0; i < h->retired_count; i++) {
        if (h->retired[i] != g) continue;
        h->retired[i] = h->retired[--h->retired_count];
        break;
    }
    group_free(g);
    return true;
}

int group_retire(group_host *h, uint64_t id)
{
    size_t i = 0;
    while (i < h->count && h->groups[i]->id != id)
        i++;
    if (i == h->count || id == GROUP_META) return POLIS_ENOTFOUND;
    node_group *g = h->groups[i];
    memmove(&h->groups[i], &h->groups[i + 1], (h->count - i - 1) * sizeof *h->groups);
    h->count--;
    fail_list(&g->proposals,
              "TRYAGAIN the shard left this node; the write may or may not "
              "have been applied");
    fail_list(&g->reads, "TRYAGAIN the shard left this node");
    g->retired = true;
    if (g->job) {
        if (g->job->pipe_open) pipe_stop(g->job, POLIS_ECLOSED);
        snap_abort(g->job);
    }
    int rv = wal_drop_group(h->w, id);
    h->retired = mem_realloc(h->retired, (h->retired_count + 1) * sizeof *h->retired);
    h->retired[h->retired_count++] = g;
    free_if_idle(g);
    return rv;
}

int group_propose_conf(node_group *g, const raft_conf_change *changes, size_t count)
{
    wake(g);
    raft_index index;
    return raft_propose_conf_change(g->r, changes, count, &index);
}

/* The host is freed once its handles closed and no WAL callback (a sync or
 * a snapshot job, which point at a group) is still to come. */
static void maybe_free_host(group_host *h)
{
    if (h->closing && h->jobs == 0 && h->handles_open == 0) destroy_host(h);
}

static void handle_closed(uv_handle_t *handle)
{
    group_host *h = handle->data;
    h->handles_open--;
    maybe_free_host(h);
}

void group_host_close(group_host *h)
{
    group_host_fail_all(h, "CLUSTERDOWN the node is shutting down");
    h->closing = true;
    for (size_t i = 0; i < h->count; i++) {
        snap_job *job = h->groups[i]->job;
        if (job == NULL) continue;
        if (job->pipe_open) pipe_stop(job, POLIS_ECLOSED);
        snap_abort(job);
    }
    uv_close((uv_handle_t *)&h->tick, handle_closed);
    uv_close((uv_handle_t *)&h->pass, handle_closed);
}

void group_host_fail_all(group_host *h, const char *error)
{
    for (size_t i = 0; i < h->count; i++) {
        fail_list(&h->groups[i]->proposals, error);
        fail_list(&h->groups[i]->reads, error);
    }
}

/* ---- Requests ------------------------------------------------------------------------
 */

/* Proposes the entry encoded in g->scratch; its pending request answers
 * `done` once the entry applies (or fails). */
static int propose_scratch(node_group *g, int resp_proto, group_done_fn *done, void *arg)
{
    raft_index index;
    int rv = raft_propose(g->r, g->scratch.data, (uint32_t)g->scratch.len, &index);
    if (rv != RAFT_OK) return rv;
    pending *p = mem_calloc(1, sizeof *p);
    p->index = index;
    p->term = raft_term_of(g->r);
    p->resp_proto = resp_proto;
    p->deadline_ms = uv_now(g->host->loop) + g->host->cfg.request_timeout_ms;
    p->done = done;
    p->arg = arg;
    list_push(&g->proposals, p);
    return 0;
}

int group_propose(node_group *g, const cmd_arg *argv, size_t argc, int resp_proto,
                  int64_t now_ms, group_done_fn *done, void *arg)
{
    if (g->is_meta || raft_role_of(g->r) != RAFT_LEADER) return RAFT_E_NOT_LEADER;
    wake(g);
    buf_clear(&g->scratch);
    cmd_entry_encode(&g->scratch, CMD_ENTRY_COMMAND, now_ms, argv, argc);
    return propose_scratch(g, resp_proto, done, arg);
}

int group_propose_meta(node_group *g, const meta_cmd *mc, int resp_proto,
                       group_done_fn *done, void *arg)
{
    if (!g->is_meta) return RAFT_E_NOT_LEADER;
    if (raft_role_of(g->r) != RAFT_LEADER) return RAFT_E_NOT_LEADER;
    wake(g);
    buf_clear(&g->scratch);
    meta_encode(mc, &g->scratch);
    return propose_scratch(g, resp_proto, done, arg);
}

const meta_state *group_meta(const node_group *g)
{
    return g->meta;
}

bool group_host_meta_changed(group_host *h)
{
    bool changed = h->meta_changed;
    h->meta_changed = false;
    return changed;
}

void group_wake(node_group *g)
{
    wake(g);
}

void group_host_wake_all(group_host *h)
{
    for (size_t i = 0; i < h->count; i++)
        wake(h->groups[i]);
}

bool group_hibernating(const node_group *g)
{
    return g->hibernating;
}

int group_transfer_to(node_group *g, raft_id to)
{
    wake(g);
    return raft_transfer_leader(g->r, to);
}

uint64_t group_host_leadership_gen(const group_host *h)
{
    return h->leadership_gen;
}

void group_campaign(node_group *g)
{
    wake(g);
    raft_campaign(g->r);
}

size_t group_host_count(const group_host *h)
{
    return h->count;
}

node_group *group_host_at(group_host *h, size_t i)
{
    return i < h->count ? h->groups[i] : NULL;
}

int group_read_barrier(node_group *g, group_done_fn *done, void *arg)
{
    wake(g);
    pending *p = mem_calloc(1, sizeof *p);
    p->ctx = g->round;
    p->resp_proto = 2;
    p->deadline_ms = uv_now(g->host->loop) + g->host->cfg.request_timeout_ms;
    p->done = done;
    p->arg = arg;
    list_push(&g->reads, p);
    return 0;
}

kv_keyspace *group_keyspace(node_group *g)
{
    return &g->ks;
}

raft *group_raft(node_group *g)
{
    return g->r;
}

raft_id group_leader(const node_group *g)
{
    return raft_leader(g->r);
}

uint64_t group_id(const node_group *g)
{
    return g->id;
}

bool group_transfer_leadership(node_group *g)
{
    if (raft_role_of(g->r) != RAFT_LEADER) return false;
    wake(g);
    raft_progress_info prs[RAFT_NODES_MAX * 3];
    size_t n = raft_progress(g->r, prs, RAFT_NODES_MAX * 3);
    raft_id best = 0;
    raft_index best_match = 0;
    for (size_t i = 0; i < n && i < RAFT_NODES_MAX * 3; i++) {
        if (prs[i].id == raft_leader(g->r) || prs[i].learner) continue;
        if (best == 0 || prs[i].match > best_match) {
            best = prs[i].id;
            best_match = prs[i].match;
        }
    }
    return best != 0 && raft_transfer_leader(g->r, best) == RAFT_OK;
}

/* ---- Splits ---------------------------------------------------------------------
 *
 * A split is one entry in the parent's log (CMD_ENTRY_SPLIT: the child's
 * id, voters and slots). Every replica of the parent applies it at the same
 * index: the slot tables of the child's slots move from the parent's
 * keyspace into a new group's (kv_move_slots: no key is copied), the
 * parent stops serving those slots (its `owned` set, part of its
 * snapshots), and the child starts with a snapshot at index 1, term 1 and
 * its voters as configuration, the same on every replica. The child stays
 * unborn (no ticks; nothing of its ready batches written or sent: what it
 * steps is answered once it is born) until that snapshot is durable; until then the
 * parent takes no snapshot, so that its log still holds the split entry: a crash before
 * the child is durable replays the entry and makes the child again. Replaying it when the
 * child exists (it was durable) only drops the slots from the parent. A node whose map
 * says it holds no replica of the child drops them too (the child moved away); one that
 * never applies the entry (it caught up from a later snapshot of the parent) gets the
 * child like any new replica, from its leader (node/shards.c). The state header that
 * precedes the keyspace in a data group's snapshot (docs/formats.md): magic "PLSGRP01" |
 * flags varint (bit 0: serves a subset of the slots) | if bit 0: the slots
 * (cluster/slotset.h) | the keyspace dump. A snapshot that starts with the keyspace's own
 * magic is an older one: it serves every slot. */

#define STATE_MAGIC       "PLSGRP01"
#define STATE_FLAG_SUBSET 1u
#define SPLIT_CHILD_INDEX 1 /* a child's first snapshot: index 1, term 1 */

static void dump_and_exit(const node_group *g, int fd)
{
    buf head = BUF_INIT;
    buf_append(&head, STATE_MAGIC, 8);
    uint8_t flags = g->owned ? STATE_FLAG_SUBSET : 0;
    buf_append(&head, &flags, 1);
    if (g->owned) slot_set_encode(g->owned, &head);
    int rv = write_fd(&fd, head.data, head.len);
    if (rv == 0) rv = kv_dump(&g->ks, write_fd, &fd);
    _exit(rv == 0 ? 0 : 1);
}

static int load_header(node_group *g, const char *data, size_t len, size_t *used)
{
    mem_free(g->owned);
    g->owned = NULL;
    *used = 0;
    if (len < 8 || memcmp(data, STATE_MAGIC, 8) != 0) return 0; /* older: every slot */
    const uint8_t *p = (const uint8_t *)data + 8, *end = (const uint8_t *)data + len;
    if (p == end || (*p & ~STATE_FLAG_SUBSET) != 0) return POLIS_ECORRUPT;
    uint8_t flags = *p++;
    if (flags & STATE_FLAG_SUBSET) {
        g->owned = mem_alloc(sizeof *g->owned);
        if (slot_set_decode(&p, end, g->owned) != 0) return POLIS_ECORRUPT;
    }
    *used = (size_t)(p - (const uint8_t *)data);
    return 0;
}

static int first_unowned(const node_group *g, const cmd_arg *argv, size_t argc)
{
    if (g->owned == NULL || argc == 0) return -1;
    bool unknown_sub;
    cmd_def *d = cmd_lookup(argv, argc, &unknown_sub);
    if (d == NULL || !cmd_arity_ok(d, argc)) return -1;
    size_t stack_pos[16];
    size_t *pos = argc <= 16 ? stack_pos : mem_alloc(argc * sizeof *pos);
    int nk = cmd_get_keys(d, argv, argc, pos);
    int slot = -1;
    for (int i = 0; i < nk && slot < 0; i++) {
        uint16_t s = slot_of_key(argv[pos[i]].ptr, argv[pos[i]].len);
        if (!slot_set_has(g->owned, s)) slot = s;
    }
    if (pos != stack_pos) mem_free(pos);
    return slot;
}

int group_unowned_slot(const node_group *g, const cmd_arg *argv, size_t argc)
{
    return g->is_meta ? -1 : first_unowned(g, argv, argc);
}

static int entry_unowned_slot(const node_group *g, const cmd_entry *ce)
{
    if (g->owned == NULL) return -1;
    if (ce->kind == CMD_ENTRY_EXPIRE) {
        uint16_t s = slot_of_key(ce->argv[0].ptr, ce->argv[0].len);
        return slot_set_has(g->owned, s) ? -1 : s;
    }
    return first_unowned(g, ce->argv, ce->argc);
}

bool group_unborn(const node_group *g)
{
    return g->unborn;
}

/* Whether this node should make the child: not if the map (as this node
 * has applied it) knows the child and places no replica of it here. */
static bool child_wanted(group_host *h, uint64_t child)
{
    node_group *meta = group_find(h, GROUP_META);
    const meta_shard *s = meta ? meta_shard_find(meta->meta, child) : NULL;
    return s == NULL || meta_shard_has_replica(s, h->cfg.node_id);
}

static void child_born(snap_job *job, int status)
{
    node_group *g = job->g;
    group_host *h = g->host;
    raft_snapshot_meta meta = job->meta;
    g->snapshotting = false;
    g->job = NULL;
    h->jobs--;
    mem_free(job);
    node_group *parent = h->closing ? NULL : group_find(h, g->parent);
    if (parent && parent->births > 0) parent->births--;
    if (left_behind(g)) return;
    if (status != 0) {
        /* Restarting replays the parent's split entry and tries again. */
        log_warning("group %llu: cannot save its first snapshot: %s",
                    (unsigned long long)g->id, polis_strerror(status));
        abort();
    }
    /* The core's first snapshot now has its size (it may have to send it). */
    raft_snapshot_sized(g->r, meta.size_bytes);
    wal_compact(h->w, g->id, meta.index + 1, meta.term);
    g->unborn = false;
    log_notice("group %llu: born of group %llu's split, %zu keys, durable",
               (unsigned long long)g->id, (unsigned long long)g->parent, kv_size(&g->ks));
    /* The parent's leader stands first: its slots are unserved until the
     * child has a leader (the others time out as usual if it loses). */
    if (parent && raft_role_of(parent->r) == RAFT_LEADER) raft_campaign(g->r);
    process(g);
}

/* Makes the child group here from the slots just taken from its parent. */
static void give_birth(node_group *parent, node_group *child, const cmd_split *sp)
{
    group_host *h = parent->host;
    snap_job *job = mem_calloc(1, sizeof *job);
    job->g = child;
    job->finished = child_born;
    job->meta.index = SPLIT_CHILD_INDEX;
    job->meta.term = 1;
    for (uint32_t i = 0; i < sp->voter_count; i++)
        job->meta.conf.voters[job->meta.conf.voter_count++] = sp->voters[i];
    raft_config cfg = group_raft_config(h, child->id);
    child->r = raft_new(&cfg, NULL, &job->meta, NULL, 0, NULL);
    PASSERT(child->r != NULL);
    child->applied = child->last_snapshot = SPLIT_CHILD_INDEX;
    child->unborn = true;
    child->parent = parent->id;
    parent->births++;
    if (!snap_fork(child, job)) {
        log_warning("group %llu: cannot write its first snapshot",
                    (unsigned long long)child->id);
        abort(); /* as child_born: a restart replays the split */
    }
}

/* The parent's half of a split, at the entry's index on every replica. */
static void split_off(node_group *g, const cmd_split *sp)
{
    group_host *h = g->host;
    /* Only slots the group still serves move: a split proposed again (a
     * new leader) or replayed after it was applied moves nothing. */
    slot_set moving = sp->slots;
    for (size_t i = 0; g->owned && i < CLUSTER_SLOTS / 64; i++)
        moving.bits[i] &= g->owned->bits[i];
    if (slot_set_count(&moving) == 0) return;
    node_group *child = group_find(h, sp->child);
    bool make = child == NULL && child_wanted(h, sp->child);
    kv_keyspace dropped;
    kv_init(&dropped, GROUP_DATA_SEED);
    if (make) child = group_alloc(h, sp->child); /* sorts after g: ids grow */
    kv_keyspace *to = make ? &child->ks : &dropped;
    size_t before = kv_size(&g->ks);
    for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++) {
        if (!slot_set_has(&moving, (uint16_t)slot)) continue;
        uint32_t last = slot;
        while (last + 1 < CLUSTER_SLOTS && slot_set_has(&moving, (uint16_t)(last + 1)))
            last++;
        kv_move_slots(&g->ks, to, (uint16_t)slot, (uint16_t)last);
        slot = last;
    }
    if (g->owned == NULL) {
        g->owned = mem_alloc(sizeof *g->owned);
        slot_set_fill(g->owned);
    }
    for (size_t i = 0; i < CLUSTER_SLOTS / 64; i++)
        g->owned->bits[i] &= ~moving.bits[i];
    log_notice("group %llu: split: %u slots, %zu keys to group %llu%s",
               (unsigned long long)g->id, slot_set_count(&moving),
               before - kv_size(&g->ks), (unsigned long long)sp->child,
               make ? "" : " (made elsewhere: dropped here)");
    kv_destroy(&dropped);
    if (!make) return;
    child->owned = mem_alloc(sizeof *child->owned);
    *child->owned = moving;
    give_birth(g, child, sp);
}

static void apply_split_entry(node_group *g, const raft_entry *e, pending *mine)
{
    cmd_split sp;
    const char *error = NULL;
    if (cmd_split_decode(e->data, e->len, &sp) != 0) {
        log_warning("group %llu: undecodable split entry at index %llu skipped",
                    (unsigned long long)g->id, (unsigned long long)e->index);
        error = "ERR malformed split entry";
    } else if (sp.child <= g->id) {
        error = "ERR a split's new group must have a higher id";
    } else {
        split_off(g, &sp);
    }
    answer_admin(g, e, mine, error);
}

int group_propose_split(node_group *g, const cmd_split *sp, group_done_fn *done,
                        void *arg)
{
    if (g->is_meta || g->unborn || raft_role_of(g->r) != RAFT_LEADER)
        return RAFT_E_NOT_LEADER;
    wake(g);
    buf_clear(&g->scratch);
    cmd_split_encode(&g->scratch, node_now_ms(), sp);
    return propose_scratch(g, 2, done, arg);
}

bool group_serves_slots(const node_group *g, const slot_set *slots)
{
    if (g->is_meta) return false;
    if (g->owned == NULL) return true;
    for (size_t i = 0; i < CLUSTER_SLOTS / 64; i++)
        if (slots->bits[i] & ~g->owned->bits[i]) return false;
    return true;
}

bool group_serves_any(const node_group *g, const slot_set *slots)
{
    if (g->is_meta) return false;
    if (g->owned == NULL) return true;
    for (size_t i = 0; i < CLUSTER_SLOTS / 64; i++)
        if (slots->bits[i] & g->owned->bits[i]) return true;
    return false;
}
