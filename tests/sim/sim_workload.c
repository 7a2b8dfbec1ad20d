/* tests/sim/sim_workload.c - the replicated state machine, its snapshots,
 * and the clients whose history is checked for linearizability.
 *
 * The state machine is SIM_KEYS registers. A command is a put or a
 * compare-and-set carrying the client operation's id, and every write
 * writes its own (unique) id, so a read names the write it saw. A write is
 * acknowledged when the node it was proposed on applies *that* operation at
 * the index the proposal got; another entry at that index means it failed
 * for certain; a crash, a snapshot that jumps over it or a timeout leave it
 * unknown. Reads go through raft_read_index() on any node and are answered
 * from that node's state machine once it has applied the read index. */
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "sim.h"

/* ---- Commands ----------------------------------------------------------------
 *
 * Entry data of a command, little endian, 26 bytes:
 *   0  u8   kind (OP_PUT, OP_CAS)
 *   1  u8   key
 *   2  u64  client operation id
 *   10 i64  value written
 *   18 i64  expected value (OP_CAS)
 * An empty NORMAL entry is a leader's no-op. */
#define CMD_BYTES 26

typedef struct cmd {
    uint8_t kind;
    int key;
    uint64_t op_id;
    int64_t value, expected;
} cmd;

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (uint8_t)(v >> (8 * b));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)p[b] << (8 * b);
    return v;
}

uint32_t sim_encode_cmd(uint8_t kind, int key, uint64_t op_id, int64_t value,
                        int64_t expected, uint8_t *out)
{
    out[0] = kind;
    out[1] = (uint8_t)key;
    put_u64(out + 2, op_id);
    put_u64(out + 10, (uint64_t)value);
    put_u64(out + 18, (uint64_t)expected);
    return CMD_BYTES;
}

static bool cmd_decode(const raft_entry *e, cmd *c)
{
    if (e->type != RAFT_ENTRY_NORMAL || e->len != CMD_BYTES) return false;
    c->kind = e->data[0];
    c->key = e->data[1];
    c->op_id = get_u64(e->data + 2);
    c->value = (int64_t)get_u64(e->data + 10);
    c->expected = (int64_t)get_u64(e->data + 18);
    return (c->kind == OP_PUT || c->kind == OP_CAS) && c->key < SIM_KEYS;
}

uint64_t sim_kv_hash(const int64_t kv[SIM_KEYS])
{
    uint64_t h = 1469598103934665603ull;
    for (int k = 0; k < SIM_KEYS; k++)
        h = rng_mix64(h ^ (uint64_t)kv[k]);
    return h;
}

/* ---- Snapshots ---------------------------------------------------------------
 *
 * Snapshot bytes, little endian:
 *   0       4 bytes  magic "PSIM"
 *   4       u64      index, 12 u64 term
 *   20      u32      key count K
 *   24      K x i64  register values
 *   24+8K   u32      padding length P (makes transfers span many chunks)
 *   28+8K   P bytes  (index * 131 + i * 7) mod 256
 *   28+8K+P u64      FNV-1a of everything before */

static uint64_t fnv(const uint8_t *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

void sim_snapshot_encode(sim *s, int i, sim_snapshot *out)
{
    const sim_node *n = &s->nodes[i];
    uint32_t pad = s->snapshot_pad_bytes;
    size_t size = 28 + 8 * SIM_KEYS + pad + 8;
    uint8_t *b = mem_alloc(size);
    memcpy(b, "PSIM", 4);
    put_u64(b + 4, n->applied);
    put_u64(b + 12, n->applied_term);
    b[20] = SIM_KEYS;
    b[21] = b[22] = b[23] = 0;
    for (int k = 0; k < SIM_KEYS; k++)
        put_u64(b + 24 + 8 * k, (uint64_t)n->kv[k]);
    size_t at = 24 + 8 * SIM_KEYS;
    for (int q = 0; q < 4; q++)
        b[at + (size_t)q] = (uint8_t)(pad >> (8 * q));
    at += 4;
    for (uint32_t j = 0; j < pad; j++)
        b[at + j] = (uint8_t)(n->applied * 131 + j * 7);
    at += pad;
    put_u64(b + at, fnv(b, at));
    memset(out, 0, sizeof *out);
    out->meta.index = n->applied;
    out->meta.term = n->applied_term;
    out->meta.size_bytes = size;
    out->bytes = b;
}

bool sim_snapshot_decode(const sim_snapshot *sn, int64_t kv[SIM_KEYS])
{
    const uint8_t *b = sn->bytes;
    uint64_t size = sn->meta.size_bytes;
    size_t fixed = 28 + 8 * SIM_KEYS + 8;
    if (size < fixed || memcmp(b, "PSIM", 4) != 0 || b[20] != SIM_KEYS) return false;
    if (get_u64(b + 4) != sn->meta.index || get_u64(b + 12) != sn->meta.term)
        return false;
    size_t at = 24 + 8 * SIM_KEYS;
    uint32_t pad = 0;
    for (int q = 0; q < 4; q++)
        pad |= (uint32_t)b[at + (size_t)q] << (8 * q);
    if (size != fixed + pad) return false;
    if (get_u64(b + size - 8) != fnv(b, size - 8)) return false;
    for (int k = 0; k < SIM_KEYS; k++)
        kv[k] = (int64_t)get_u64(b + 24 + 8 * k);
    return true;
}

/* ---- Operations ----------------------------------------------------------- */

const char *sim_op_kind_name(int kind)
{
    static const char *const names[] = {"read", "put", "cas"};
    return kind >= 0 && kind <= OP_CAS ? names[kind] : "?";
}

static const char *op_state_name(int state)
{
    static const char *const names[] = {"pending", "ok", "FAIL", "unknown"};
    return names[state];
}

static sim_op *op_new(sim *s, int client, uint8_t kind, int key)
{
    if (s->op_count == s->op_cap) {
        s->op_cap = s->op_cap ? s->op_cap * 2 : 256;
        s->ops = mem_realloc(s->ops, s->op_cap * sizeof *s->ops);
    }
    sim_op *op = &s->ops[s->op_count];
    memset(op, 0, sizeof *op);
    op->id = ++s->op_count; /* ids start at 1: s->ops[id - 1] */
    op->client = client;
    op->kind = kind;
    op->key = key;
    op->node = -1;
    op->invoke_step = s->step;
    op->invoke_us = s->now;
    return op;
}

/* The pending operations: each client's current one, and the liveness
 * phase's marker write. */
static sim_op *pending_op(sim *s, int slot)
{
    size_t k;
    if (slot < s->clients) {
        if (!s->client[slot].busy) return NULL;
        k = s->client[slot].op;
    } else {
        if (s->marker_op == 0) return NULL;
        k = s->marker_op - 1;
    }
    sim_op *op = &s->ops[k];
    return op->state == OPS_PENDING ? op : NULL;
}

/* A register value as traces print it. */
static const char *value_str(int64_t v, char *buf, size_t cap)
{
    if (v == LINCHECK_NIL) return "nil";
    snprintf(buf, cap, "%lld", (long long)v);
    return buf;
}

static void op_complete(sim *s, sim_op *op, uint8_t state)
{
    op->state = state;
    op->complete_step = s->step;
    op->complete_us = s->now;
    char buf[24];
    if (op->kind == OP_READ && state == OPS_OK)
        TRACE(s, "client %d op %llu: read k%d -> %s", op->client,
              (unsigned long long)op->id, op->key, value_str(op->value, buf, sizeof buf));
    else if (op->kind == OP_CAS && state == OPS_OK)
        TRACE(s, "client %d op %llu: ok (%s)", op->client, (unsigned long long)op->id,
              op->swapped ? "swapped" : "not swapped");
    else
        TRACE(s, "client %d op %llu: %s", op->client, (unsigned long long)op->id,
              op_state_name(state));
    if (op->client < 0) return;
    sim_client *c = &s->client[op->client];
    if (state == OPS_OK)
        c->seen[op->key] =
            op->kind == OP_CAS && !op->swapped ? c->seen[op->key] : op->value;
    c->busy = false;
    if (s->phase == PHASE_CHAOS && s->ops_started < s->opt.steps)
        sim_schedule(s, s->now + rng_below(&s->rng, 40000), EV_CLIENT, -1,
                     (uint64_t)op->client, NULL);
}

/* Where a client sends an operation: usually where it sent the last one
 * (its connection), else a random live node; writes, and half of the
 * reads, then follow the leader that node names (the redirect a real client
 * follows). A client keeps talking to a deposed leader that still believes
 * it leads - which is when stale reads would show. */
static int choose_node(sim *s, sim_client *c, uint8_t kind)
{
    int n = -1;
    if (c->node >= 0 && s->nodes[c->node].up && rng_below(&s->rng, 10) < 7) {
        n = c->node;
    } else {
        int live[SIM_NODES_MAX], count = 0;
        for (int i = 0; i < s->node_count; i++)
            if (s->nodes[i].up) live[count++] = i;
        if (count == 0) return -1;
        n = live[rng_below(&s->rng, (uint64_t)count)];
    }
    bool follow =
        kind == OP_READ ? rng_below(&s->rng, 2) == 0 : rng_below(&s->rng, 10) < 8;
    if (follow) {
        int l = sim_node_index(s, raft_leader(s->nodes[n].r));
        if (l >= 0 && s->nodes[l].up) n = l;
    }
    c->node = n;
    return n;
}

static void trace_submit(sim *s, const sim_op *op, raft_id node, int rc)
{
    char what[64];
    if (op->kind == OP_READ)
        snprintf(what, sizeof what, "read k%d", op->key);
    else if (op->kind == OP_PUT)
        snprintf(what, sizeof what, "put k%d=%lld", op->key, (long long)op->value);
    else {
        char expected[24];
        snprintf(what, sizeof what, "cas k%d %s->%lld", op->key,
                 value_str(op->expected, expected, sizeof expected),
                 (long long)op->value);
    }
    static const char *const refusals[] = {"",     "not leader", "too big",
                                           "busy", "invalid",    "stale"};
    if (rc != 0)
        sim_trace(s, "client %d op %llu: %s on n%llu -> refused (%s)", op->client,
                  (unsigned long long)op->id, what, (unsigned long long)node,
                  rc < 0 && rc >= -5 ? refusals[-rc] : "?");
    else if (op->kind == OP_READ)
        sim_trace(s, "client %d op %llu: %s on n%llu -> read index requested", op->client,
                  (unsigned long long)op->id, what, (unsigned long long)node);
    else
        sim_trace(s, "client %d op %llu: %s on n%llu -> proposed at %llu, term %llu",
                  op->client, (unsigned long long)op->id, what, (unsigned long long)node,
                  (unsigned long long)op->index, (unsigned long long)op->term);
}

/* Sends op to node n: a proposal or a ReadIndex request. */
static void op_submit(sim *s, sim_op *op, int n)
{
    op->node = n;
    if (n < 0) {
        op_complete(s, op, OPS_FAIL);
        return;
    }
    sim_node *node = &s->nodes[n];
    op->incarnation = node->incarnation;
    int rc;
    if (op->kind == OP_READ) {
        rc = raft_read_index(node->r, op->id);
    } else {
        uint8_t buf[CMD_BYTES];
        uint32_t len =
            sim_encode_cmd(op->kind, op->key, op->id, op->value, op->expected, buf);
        rc = raft_propose(node->r, buf, len, &op->index);
        op->term = raft_term_of(node->r);
    }
    if (s->tracing) trace_submit(s, op, node->id, rc);
    if (rc != 0) {
        op_complete(s, op, OPS_FAIL); /* refused synchronously: no effect */
        return;
    }
    sim_pump(s, n);
}

void sim_client_start(sim *s, int c)
{
    sim_client *cl = &s->client[c];
    if (s->phase != PHASE_CHAOS || s->ops_started >= s->opt.steps || cl->busy) return;
    s->ops_started++;
    uint64_t roll = rng_below(&s->rng, 100);
    uint8_t kind = roll < 45 ? OP_READ : roll < 80 ? OP_PUT : OP_CAS;
    sim_op *op = op_new(s, c, kind, (int)rng_below(&s->rng, SIM_KEYS));
    cl->busy = true;
    cl->op = op->id - 1;
    if (kind != OP_READ) op->value = (int64_t)op->id;
    if (kind == OP_CAS) {
        /* Usually the value this client last saw, so that some succeed. */
        uint64_t pick = rng_below(&s->rng, 4);
        op->expected = pick < 3 ? cl->seen[op->key] : LINCHECK_NIL;
    }
    sim_schedule(s, s->now + s->client_timeout_us, EV_CLIENT_TIMEOUT, -1, op->id - 1,
                 NULL);
    op_submit(s, op, choose_node(s, cl, kind));
}

void sim_client_timeout(sim *s, uint64_t op_index)
{
    sim_op *op = &s->ops[op_index];
    if (op->state != OPS_PENDING) return;
    TRACE(s, "client %d op %llu: timed out", op->client, (unsigned long long)op->id);
    op_complete(s, op, OPS_UNKNOWN);
}

/* The liveness phase's write: proposed on the leader, retried until it is
 * committed. */
void sim_marker_propose(sim *s, int leader)
{
    sim_op *op = op_new(s, -1, OP_PUT, 0);
    op->value = (int64_t)op->id;
    s->marker_op = op->id;
    op_submit(s, op, leader);
}

/* ---- Applying ------------------------------------------------------------- */

void sim_apply_entry(sim *s, int i, const raft_entry *e)
{
    sim_node *n = &s->nodes[i];
    if (e->index != n->applied + 1) {
        sim_fail(s, "n%llu is handed entry %llu to apply after %llu",
                 (unsigned long long)n->id, (unsigned long long)e->index,
                 (unsigned long long)n->applied);
        return;
    }
    cmd c = {0};
    bool is_cmd = cmd_decode(e, &c);
    if (is_cmd && (c.op_id == 0 || c.op_id > s->op_count)) {
        sim_fail(s, "n%llu applies entry %llu for an operation never issued",
                 (unsigned long long)n->id, (unsigned long long)e->index);
        return;
    }
    bool swapped = false;
    if (is_cmd && (c.kind == OP_PUT || n->kv[c.key] == c.expected)) {
        n->kv[c.key] = c.value;
        swapped = true;
    }
    n->applied = e->index;
    n->applied_term = e->term;
    bool first = sim_check_applied(s, i, e);
    if (first && is_cmd) {
        sim_op *op = &s->ops[c.op_id - 1];
        if (op->committed_index != 0)
            sim_fail(s, "operation %llu committed twice: at %llu and %llu",
                     (unsigned long long)op->id, (unsigned long long)op->committed_index,
                     (unsigned long long)e->index);
        op->committed_index = e->index;
    }
    for (int slot = 0; slot <= s->clients; slot++) {
        sim_op *op = pending_op(s, slot);
        if (op == NULL || op->kind == OP_READ || op->node != i ||
            op->incarnation != n->incarnation || op->index != e->index)
            continue;
        /* Our proposal's index holds another entry: it can never commit. */
        if (!is_cmd || c.op_id != op->id) {
            op_complete(s, op, OPS_FAIL);
            continue;
        }
        op->swapped = swapped;
        op_complete(s, op, OPS_OK);
    }
    sim_reads_release(s, i);
}

/* ---- Reads ---------------------------------------------------------------- */

void sim_reads_arrive(sim *s, int i, const raft_read_state *rs, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        TRACE(s, "n%llu read %llu released at index %llu",
              (unsigned long long)s->nodes[i].id, (unsigned long long)rs[k].ctx,
              (unsigned long long)rs[k].index);
        for (int slot = 0; slot < s->clients; slot++) {
            sim_op *op = pending_op(s, slot);
            if (op == NULL || op->kind != OP_READ || op->id != rs[k].ctx ||
                op->node != i || op->incarnation != s->nodes[i].incarnation)
                continue;
            op->read_released = true;
            op->read_index = rs[k].index;
        }
    }
    sim_reads_release(s, i);
}

void sim_reads_release(sim *s, int i)
{
    const sim_node *n = &s->nodes[i];
    for (int slot = 0; slot < s->clients; slot++) {
        sim_op *op = pending_op(s, slot);
        if (op == NULL || op->kind != OP_READ || op->node != i || !op->read_released ||
            op->incarnation != n->incarnation || n->applied < op->read_index)
            continue;
        op->value = n->kv[op->key];
        op_complete(s, op, OPS_OK);
    }
}

/* Node i crashed: its clients learn nothing more about their operations. */
void sim_node_lost(sim *s, int i)
{
    for (int slot = 0; slot <= s->clients; slot++) {
        sim_op *op = pending_op(s, slot);
        if (op != NULL && op->node == i) op_complete(s, op, OPS_UNKNOWN);
    }
}

void sim_node_skipped(sim *s, int i, raft_index upto)
{
    for (int slot = 0; slot <= s->clients; slot++) {
        sim_op *op = pending_op(s, slot);
        if (op != NULL && op->node == i && op->kind != OP_READ && op->index <= upto)
            op_complete(s, op, OPS_UNKNOWN);
    }
}

bool sim_clients_done(const sim *s)
{
    if (s->ops_started < s->opt.steps) return false;
    for (int c = 0; c < s->clients; c++)
        if (s->client[c].busy) return false;
    return true;
}

void sim_op_abandon(sim *s, sim_op *op)
{
    if (op->state == OPS_PENDING) op_complete(s, op, OPS_UNKNOWN);
}

/* The end of the history: whatever is still open has an unknown outcome. */
void sim_history_close(sim *s)
{
    for (size_t k = 0; k < s->op_count; k++)
        if (s->ops[k].state == OPS_PENDING) op_complete(s, &s->ops[k], OPS_UNKNOWN);
}

/* ---- Checking the history ------------------------------------------------- */

static bool outcomes_agree_with_log(sim *s)
{
    for (size_t k = 0; k < s->op_count; k++) {
        const sim_op *op = &s->ops[k];
        if (op->kind == OP_READ) continue;
        if (op->state == OPS_FAIL && op->committed_index != 0) {
            sim_fail(s, "operation %llu was reported failed but committed at %llu",
                     (unsigned long long)op->id, (unsigned long long)op->committed_index);
            return false;
        }
        if (op->state == OPS_OK && op->committed_index != op->index) {
            sim_fail(s, "operation %llu was acknowledged at %llu but committed at %llu",
                     (unsigned long long)op->id, (unsigned long long)op->index,
                     (unsigned long long)op->committed_index);
            return false;
        }
    }
    return true;
}

int sim_history_check(sim *s)
{
    if (!outcomes_agree_with_log(s)) return -1;
    lincheck_history *h = lincheck_history_new();
    static const uint8_t kinds[] = {LINCHECK_READ, LINCHECK_WRITE, LINCHECK_CAS};
    static const uint8_t outcomes[] = {LINCHECK_UNKNOWN, LINCHECK_OK, LINCHECK_FAIL,
                                       LINCHECK_UNKNOWN};
    for (size_t k = 0; k < s->op_count; k++) {
        const sim_op *op = &s->ops[k];
        lincheck_op lo = {.id = op->id,
                          .client = op->client < 0 ? 99 : (uint64_t)op->client,
                          .key = (uint64_t)op->key,
                          .kind = kinds[op->kind],
                          .outcome = outcomes[op->state],
                          .swapped = op->swapped,
                          .value = op->value,
                          .expected = op->expected,
                          .invoke_ts = op->invoke_step,
                          .complete_ts = op->complete_step};
        PASSERT(lincheck_add(h, &lo) == 0);
    }
    lincheck_result res;
    FILE *report = s->tracing ? s->opt.out : NULL;
    enum lincheck_verdict v = lincheck_check(h, NULL, report, &res);
    lincheck_history_free(h);
    if (v == LINCHECK_VIOLATION) {
        const sim_op *bad = res.culprit_id ? &s->ops[res.culprit_id - 1] : NULL;
        if (bad) s->culprit_step = bad->complete_step;
        sim_fail(s,
                 "linearizability: the history of key k%llu is not linearizable: "
                 "%s %llu (client %d, %.3f .. %.3f ms) cannot take effect",
                 (unsigned long long)res.bad_key,
                 bad ? sim_op_kind_name(bad->kind) : "op",
                 (unsigned long long)res.culprit_id, bad ? bad->client : -1,
                 bad ? (double)bad->invoke_us / 1000.0 : 0.0,
                 bad ? (double)bad->complete_us / 1000.0 : 0.0);
        return -1;
    }
    if (v == LINCHECK_INCONCLUSIVE) s->lincheck_inconclusive = true;
    return 0;
}
