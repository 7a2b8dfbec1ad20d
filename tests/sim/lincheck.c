/* tests/sim/lincheck.c - Wing-Gong/Lowe linearizability search over
 * per-key register histories. See lincheck.h for the method and the text
 * format. */
#include "lincheck.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

/* The register value "anything": the initial value of a shrunk history,
 * whose writes before the window were removed. */
#define STATE_ANY (LINCHECK_NIL + 1)

#define STATES_MAX_DEFAULT (4u * 1000 * 1000)
/* Shrinking re-runs the search many times; each run gets a smaller budget
 * and counts as "still failing" only if it proves a violation. */
#define SHRINK_STATES_MAX (200u * 1000)
/* The memo of one key never grows past this; a key that needs more is
 * inconclusive. */
#define MEMO_BYTES_MAX (512ull << 20)
/* Keys with more operations than this are reported unshrunk. */
#define SHRINK_OPS_MAX 2000
/* Reports list at most this many operations. */
#define REPORT_OPS_MAX 200

/* ---- Names ---------------------------------------------------------------- */

/* An interning table: token -> dense id, and id -> token. */
typedef struct names {
    char **by_id;
    size_t count, cap;
    uint32_t *slots; /* open addressing: id + 1, 0 = empty */
    size_t slot_count;
} names;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void names_grow(names *n)
{
    size_t slot_count = n->slot_count ? n->slot_count * 2 : 64;
    uint32_t *slots = mem_calloc(slot_count, sizeof *slots);
    for (size_t id = 0; id < n->count; id++) {
        size_t i = str_hash(n->by_id[id]) & (slot_count - 1);
        while (slots[i])
            i = (i + 1) & (slot_count - 1);
        slots[i] = (uint32_t)(id + 1);
    }
    mem_free(n->slots);
    n->slots = slots;
    n->slot_count = slot_count;
}

static uint64_t names_intern(names *n, const char *token)
{
    if ((n->count + 1) * 2 > n->slot_count) names_grow(n);
    size_t i = str_hash(token) & (n->slot_count - 1);
    while (n->slots[i]) {
        uint32_t id = n->slots[i] - 1;
        if (strcmp(n->by_id[id], token) == 0) return id;
        i = (i + 1) & (n->slot_count - 1);
    }
    if (n->count == n->cap) {
        n->cap = n->cap ? n->cap * 2 : 64;
        n->by_id = mem_realloc(n->by_id, n->cap * sizeof *n->by_id);
    }
    n->by_id[n->count] = mem_strndup(token, strlen(token));
    n->slots[i] = (uint32_t)(n->count + 1);
    return n->count++;
}

static const char *names_get(const names *n, uint64_t id)
{
    return id < n->count ? n->by_id[id] : NULL;
}

static void names_free(names *n)
{
    for (size_t i = 0; i < n->count; i++)
        mem_free(n->by_id[i]);
    mem_free(n->by_id);
    mem_free(n->slots);
}

/* ---- History -------------------------------------------------------------- */

struct lincheck_history {
    lincheck_op *ops;
    size_t count, cap;
    names keys, values, clients;
};

lincheck_history *lincheck_history_new(void)
{
    return mem_calloc(1, sizeof(lincheck_history));
}

void lincheck_history_free(lincheck_history *h)
{
    if (h == NULL) return;
    mem_free(h->ops);
    names_free(&h->keys);
    names_free(&h->values);
    names_free(&h->clients);
    mem_free(h);
}

int lincheck_add(lincheck_history *h, const lincheck_op *op)
{
    if (op->kind > LINCHECK_CAS || op->outcome > LINCHECK_UNKNOWN) return -1;
    if (op->outcome != LINCHECK_UNKNOWN && op->complete_ts < op->invoke_ts) return -1;
    if (op->value == STATE_ANY || op->expected == STATE_ANY) return -1;
    if (h->count == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->ops = mem_realloc(h->ops, h->cap * sizeof *h->ops);
    }
    h->ops[h->count++] = *op;
    return 0;
}

size_t lincheck_op_count(const lincheck_history *h)
{
    return h->count;
}

uint64_t lincheck_intern_key(lincheck_history *h, const char *token)
{
    return names_intern(&h->keys, token);
}

int64_t lincheck_intern_value(lincheck_history *h, const char *token)
{
    if (strcmp(token, "nil") == 0) return LINCHECK_NIL;
    return (int64_t)names_intern(&h->values, token);
}

uint64_t lincheck_intern_client(lincheck_history *h, const char *token)
{
    return names_intern(&h->clients, token);
}

/* ---- Text format ---------------------------------------------------------- */

#define FIELDS_MAX 10

static bool parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = v;
    return true;
}

static int parse_outcome(const char *s)
{
    if (strcmp(s, "ok") == 0) return LINCHECK_OK;
    if (strcmp(s, "fail") == 0) return LINCHECK_FAIL;
    if (strcmp(s, "unknown") == 0) return LINCHECK_UNKNOWN;
    return -1;
}

static int parse_kind(const char *s)
{
    if (strcmp(s, "read") == 0) return LINCHECK_READ;
    if (strcmp(s, "write") == 0) return LINCHECK_WRITE;
    if (strcmp(s, "cas") == 0) return LINCHECK_CAS;
    return -1;
}

/* Fills op from the fields of one line; returns NULL or what is wrong. */
static const char *parse_fields(lincheck_history *h, char **f, int n, lincheck_op *op)
{
    if (n < 6) return "expected CLIENT INVOKE COMPLETE OUTCOME OP KEY ARGS...";
    int outcome = parse_outcome(f[3]);
    int kind = parse_kind(f[4]);
    if (outcome < 0) return "OUTCOME must be ok, fail or unknown";
    if (kind < 0) return "OP must be read, write or cas";
    op->client = lincheck_intern_client(h, f[0]);
    op->outcome = (uint8_t)outcome;
    op->kind = (uint8_t)kind;
    op->key = lincheck_intern_key(h, f[5]);
    if (!parse_u64(f[1], &op->invoke_ts)) return "INVOKE must be an unsigned integer";
    if (strcmp(f[2], "-") == 0) {
        if (outcome != LINCHECK_UNKNOWN) return "COMPLETE '-' only for unknown outcomes";
        op->complete_ts = UINT64_MAX;
    } else if (!parse_u64(f[2], &op->complete_ts)) {
        return "COMPLETE must be an unsigned integer or '-'";
    }
    bool done = outcome == LINCHECK_OK;
    switch (kind) {
    case LINCHECK_READ:
        if (n > 7) return "read takes KEY VALUE";
        if (done && n != 7) return "an ok read needs the VALUE it read";
        if (done) op->value = lincheck_intern_value(h, f[6]);
        break;
    case LINCHECK_WRITE:
        if (n != 7) return "write takes KEY VALUE";
        op->value = lincheck_intern_value(h, f[6]);
        break;
    default:
        if (n < 8 || n > 9) return "cas takes KEY OLD NEW RESULT";
        op->expected = lincheck_intern_value(h, f[6]);
        op->value = lincheck_intern_value(h, f[7]);
        if (done) {
            if (n != 9) return "an ok cas needs RESULT true or false";
            if (strcmp(f[8], "true") == 0)
                op->swapped = true;
            else if (strcmp(f[8], "false") != 0)
                return "RESULT must be true or false";
        }
        break;
    }
    return NULL;
}

int lincheck_read(lincheck_history *h, FILE *in, char *err, size_t err_cap)
{
    char *line = NULL;
    size_t line_cap = 0;
    uint64_t line_no = 0;
    int rv = 0;
    while (getline(&line, &line_cap, in) >= 0) {
        line_no++;
        char *f[FIELDS_MAX + 1];
        int n = 0;
        for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t;
             t = strtok_r(NULL, " \t\r\n", &save)) {
            if (n == 0 && t[0] == '#') break;
            if (n <= FIELDS_MAX) f[n] = t;
            n++;
        }
        if (n == 0) continue;
        lincheck_op op = {.id = line_no};
        const char *why = n > FIELDS_MAX ? "too many fields" : parse_fields(h, f, n, &op);
        if (why == NULL && lincheck_add(h, &op) != 0) why = "COMPLETE is before INVOKE";
        if (why != NULL) {
            snprintf(err, err_cap, "line %llu: %s", (unsigned long long)line_no, why);
            rv = -1;
            break;
        }
    }
    free(line); /* allocated by getline */
    return rv;
}

/* ---- The register model --------------------------------------------------- */

static bool constrains(const lincheck_op *op)
{
    if (op->outcome == LINCHECK_FAIL) return false;
    /* An unknown read returned nothing to anyone: it constrains nothing. */
    return !(op->outcome == LINCHECK_UNKNOWN && op->kind == LINCHECK_READ);
}

/* One sequential step of the register from `s`. An unknown op is only ever
 * linearized as "took effect"; not taking effect is never linearizing it. */
static bool model_step(int64_t s, const lincheck_op *op, int64_t *next)
{
    switch (op->kind) {
    case LINCHECK_READ:
        if (s != STATE_ANY && s != op->value) return false;
        *next = op->value;
        return true;
    case LINCHECK_WRITE:
        *next = op->value;
        return true;
    default:
        if (op->outcome == LINCHECK_UNKNOWN || op->swapped) {
            if (s != STATE_ANY && s != op->expected) return false;
            *next = op->value;
            return true;
        }
        /* A cas that saw another value: the register did not hold OLD.
         * From "any", stay "any" (slightly permissive, only when shrinking). */
        if (s == op->expected) return false;
        *next = s;
        return true;
    }
}

/* ---- The search ----------------------------------------------------------- */

typedef struct ev {
    struct ev *prev, *next, *match;
    uint64_t ts;
    uint32_t op;
    bool call;
} ev;

static int ev_cmp(const void *pa, const void *pb)
{
    const ev *a = pa, *b = pb;
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    /* At equal times calls come first: the operations overlap, which is
     * the permissive reading of a coarse clock. */
    if (a->call != b->call) return a->call ? -1 : 1;
    return a->op < b->op ? -1 : (a->op > b->op);
}

static void lift(ev *e)
{
    e->prev->next = e->next;
    if (e->next) e->next->prev = e->prev;
    ev *m = e->match;
    m->prev->next = m->next;
    if (m->next) m->next->prev = m->prev;
}

static void unlift(ev *e)
{
    ev *m = e->match;
    m->prev->next = m;
    if (m->next) m->next->prev = m;
    e->prev->next = e;
    if (e->next) e->next->prev = e;
}

/* Memo of visited (linearized set, state): open addressing over a bitset
 * arena. The set's hash is a running XOR of per-op keys (Zobrist). */
typedef struct memo {
    size_t words;
    uint64_t *arena; /* per entry: state, then `words` bitset words */
    size_t count, arena_cap;
    uint64_t *slot_hash;
    uint32_t *slot_entry; /* entry + 1, 0 = empty */
    size_t slot_count;
} memo;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint64_t *memo_entry(const memo *m, size_t i)
{
    return m->arena + i * (m->words + 1);
}

static void memo_rehash(memo *m)
{
    size_t slot_count = m->slot_count ? m->slot_count * 2 : 1024;
    uint64_t *hashes = mem_alloc(slot_count * sizeof *hashes);
    uint32_t *entries = mem_calloc(slot_count, sizeof *entries);
    for (size_t s = 0; s < m->slot_count; s++) {
        if (!m->slot_entry[s]) continue;
        size_t i = m->slot_hash[s] & (slot_count - 1);
        while (entries[i])
            i = (i + 1) & (slot_count - 1);
        hashes[i] = m->slot_hash[s];
        entries[i] = m->slot_entry[s];
    }
    mem_free(m->slot_hash);
    mem_free(m->slot_entry);
    m->slot_hash = hashes;
    m->slot_entry = entries;
    m->slot_count = slot_count;
}

/* Returns true if (bits, state) was new (and records it). */
static bool memo_insert(memo *m, const uint64_t *bits, uint64_t set_hash, int64_t state)
{
    if ((m->count + 1) * 2 > m->slot_count) memo_rehash(m);
    uint64_t h = set_hash ^ mix((uint64_t)state + 0x9e3779b97f4a7c15ull);
    size_t i = h & (m->slot_count - 1);
    for (; m->slot_entry[i]; i = (i + 1) & (m->slot_count - 1)) {
        if (m->slot_hash[i] != h) continue;
        const uint64_t *e = memo_entry(m, m->slot_entry[i] - 1);
        if ((int64_t)e[0] == state && memcmp(e + 1, bits, m->words * 8) == 0)
            return false;
    }
    size_t need = (m->count + 1) * (m->words + 1);
    if (need > m->arena_cap) {
        m->arena_cap = need * 2;
        m->arena = mem_realloc(m->arena, m->arena_cap * sizeof *m->arena);
    }
    uint64_t *e = memo_entry(m, m->count);
    e[0] = (uint64_t)state;
    memcpy(e + 1, bits, m->words * 8);
    m->slot_hash[i] = h;
    m->slot_entry[i] = (uint32_t)(++m->count);
    return true;
}

static void memo_free(memo *m)
{
    mem_free(m->arena);
    mem_free(m->slot_hash);
    mem_free(m->slot_entry);
}

enum search_result { SEARCH_OK = 0, SEARCH_VIOLATION, SEARCH_INCONCLUSIVE };

/* Where the search got furthest: the linearization it had built when it
 * first met a return it could not get past. */
typedef struct search_fail {
    uint32_t *order; /* op positions, in linearization order */
    size_t order_len;
    int64_t state;
    uint32_t blocked; /* the op whose return could not be passed */
    bool have;
} search_fail;

typedef struct search {
    const lincheck_op *const *ops;
    size_t n;
    ev *evs;
    ev head;
    uint64_t *bits;
    uint64_t *zobrist;
    struct {
        ev *call;
        int64_t state;
    } * stack;
    size_t sp;
    memo memo;
} search;

static void search_build(search *s, const lincheck_op *const *ops, size_t n)
{
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->n = n;
    s->evs = mem_alloc(2 * n * sizeof *s->evs + 1);
    for (size_t i = 0; i < n; i++) {
        bool unknown = ops[i]->outcome == LINCHECK_UNKNOWN;
        s->evs[2 * i] = (ev){.ts = ops[i]->invoke_ts, .op = (uint32_t)i, .call = true};
        s->evs[2 * i + 1] =
            (ev){.ts = unknown ? UINT64_MAX : ops[i]->complete_ts, .op = (uint32_t)i};
    }
    qsort(s->evs, 2 * n, sizeof *s->evs, ev_cmp);
    /* Sorting moved the events: pair them up again through the op. */
    ev **call_of = mem_alloc(n * sizeof *call_of + 1);
    for (size_t i = 0; i < 2 * n; i++)
        if (s->evs[i].call) call_of[s->evs[i].op] = &s->evs[i];
    for (size_t i = 0; i < 2 * n; i++) {
        ev *e = &s->evs[i];
        if (e->call) continue;
        e->match = call_of[e->op];
        call_of[e->op]->match = e;
    }
    mem_free(call_of);
    ev *prev = &s->head;
    for (size_t i = 0; i < 2 * n; i++) {
        prev->next = &s->evs[i];
        s->evs[i].prev = prev;
        prev = &s->evs[i];
    }
    prev->next = NULL;
    s->memo.words = (n + 63) / 64;
    s->bits = mem_calloc(s->memo.words + 1, sizeof *s->bits);
    s->zobrist = mem_alloc(n * sizeof *s->zobrist + 1);
    for (size_t i = 0; i < n; i++)
        s->zobrist[i] = mix(i + 1);
    s->stack = mem_alloc(n * sizeof *s->stack + 1);
}

static void search_free(search *s)
{
    mem_free(s->evs);
    mem_free(s->bits);
    mem_free(s->zobrist);
    mem_free(s->stack);
    memo_free(&s->memo);
}

static void note_fail(search *s, uint32_t blocked, int64_t state, search_fail *fail)
{
    if (fail == NULL || (fail->have && s->sp <= fail->order_len)) return;
    fail->have = true;
    fail->order = mem_realloc(fail->order, (s->sp + 1) * sizeof *fail->order);
    for (size_t i = 0; i < s->sp; i++)
        fail->order[i] = s->stack[i].call->op;
    fail->order_len = s->sp;
    fail->state = state;
    fail->blocked = blocked;
}

static enum search_result search_run(search *s, int64_t init, uint64_t states_max,
                                     search_fail *fail)
{
    size_t ok_left = 0;
    for (size_t i = 0; i < s->n; i++)
        ok_left += s->ops[i]->outcome == LINCHECK_OK;
    int64_t state = init;
    uint64_t set_hash = 0;
    ev *e = s->head.next;
    for (;;) {
        if (ok_left == 0) return SEARCH_OK;
        if (e != NULL && e->call) {
            uint32_t i = e->op;
            int64_t next;
            if (model_step(state, s->ops[i], &next)) {
                s->bits[i / 64] |= 1ull << (i % 64);
                if (memo_insert(&s->memo, s->bits, set_hash ^ s->zobrist[i], next)) {
                    if (s->memo.count >= states_max) return SEARCH_INCONCLUSIVE;
                    s->stack[s->sp].call = e;
                    s->stack[s->sp].state = state;
                    s->sp++;
                    set_hash ^= s->zobrist[i];
                    state = next;
                    lift(e);
                    ok_left -= s->ops[i]->outcome == LINCHECK_OK;
                    e = s->head.next;
                    continue;
                }
                s->bits[i / 64] &= ~(1ull << (i % 64));
            }
            e = e->next;
            continue;
        }
        if (e != NULL && s->ops[e->op]->outcome == LINCHECK_UNKNOWN) {
            e = e->next; /* an unknown op never has to take effect */
            continue;
        }
        /* A return whose call is not linearized (or the end): backtrack. */
        if (e != NULL) note_fail(s, e->op, state, fail);
        if (s->sp == 0) return SEARCH_VIOLATION;
        s->sp--;
        ev *call = s->stack[s->sp].call;
        uint32_t i = call->op;
        state = s->stack[s->sp].state;
        s->bits[i / 64] &= ~(1ull << (i % 64));
        set_hash ^= s->zobrist[i];
        unlift(call);
        ok_left += s->ops[i]->outcome == LINCHECK_OK;
        e = call->next;
    }
}

static enum search_result check_ops(const lincheck_op *const *ops, size_t n, int64_t init,
                                    uint64_t states_max, uint64_t *states,
                                    search_fail *fail)
{
    search s;
    search_build(&s, ops, n);
    uint64_t entry_bytes = (s.memo.words + 1) * 8 + 16;
    if (states_max > MEMO_BYTES_MAX / entry_bytes)
        states_max = MEMO_BYTES_MAX / entry_bytes;
    enum search_result r = search_run(&s, init, states_max, fail);
    if (states) *states += s.memo.count;
    search_free(&s);
    return r;
}

/* ---- Shrinking ---------------------------------------------------------------
 *
 * Removes chunks of operations, halving the chunk size, keeping a removal
 * whenever the rest still provably fails. If the key's history fails even
 * from an arbitrary initial value, shrink in that mode: otherwise removing
 * the write a read observed would "explain" every failure as a read of a
 * value never written. */

static size_t shrink(const lincheck_op **ops, size_t n, int64_t init)
{
    const lincheck_op **trial = mem_alloc(n * sizeof *trial + 1);
    for (size_t chunk = n / 2 ? n / 2 : 1;; chunk /= 2) {
        for (size_t at = 0; at < n && n > 1;) {
            size_t cut = at + chunk <= n ? chunk : n - at;
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (i < at || i >= at + cut) trial[m++] = ops[i];
            if (m > 0 && check_ops(trial, m, init, SHRINK_STATES_MAX, NULL, NULL) ==
                             SEARCH_VIOLATION) {
                memcpy(ops, trial, m * sizeof *ops);
                n = m;
            } else {
                at += cut;
            }
        }
        if (chunk <= 1) break;
    }
    mem_free(trial);
    return n;
}

/* ---- Focusing ---------------------------------------------------------------
 *
 * Before shrinking, cut a long history down to where it fails. The search
 * got stuck at the return of ops[culprit] (time T), so the prefix - the ops
 * invoked by T, those still running at T turned unknown (unfinished reads
 * dropped) - fails too: any linearization of the whole history, restricted
 * to it, would be one of the prefix. Then the shortest tail of that prefix
 * that still fails from an arbitrary initial value, if there is one. */

static int op_time_cmp(const void *pa, const void *pb);

static size_t focus(const lincheck_op **ops, size_t n, size_t culprit, lincheck_op *buf,
                    const lincheck_op **out, int64_t *init)
{
    uint64_t t = ops[culprit]->complete_ts;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[i]->invoke_ts > t) continue;
        buf[m] = *ops[i];
        if (i != culprit && buf[m].outcome == LINCHECK_OK && buf[m].complete_ts > t)
            buf[m].outcome = LINCHECK_UNKNOWN;
        if (buf[m].outcome == LINCHECK_UNKNOWN && buf[m].kind == LINCHECK_READ) continue;
        out[m] = &buf[m];
        m++;
    }
    qsort(out, m, sizeof *out, op_time_cmp);
    for (size_t w = 8; w < m; w *= 2) {
        if (check_ops(out + (m - w), w, STATE_ANY, SHRINK_STATES_MAX, NULL, NULL) !=
            SEARCH_VIOLATION)
            continue;
        memmove(out, out + (m - w), w * sizeof *out);
        *init = STATE_ANY;
        return w;
    }
    *init =
        check_ops(out, m, STATE_ANY, SHRINK_STATES_MAX, NULL, NULL) == SEARCH_VIOLATION
            ? STATE_ANY
            : LINCHECK_NIL;
    return m;
}

/* ---- Reports -------------------------------------------------------------- */

static void put_value(FILE *f, const lincheck_history *h, int64_t v)
{
    const char *name = v >= 0 ? names_get(&h->values, (uint64_t)v) : NULL;
    if (v == LINCHECK_NIL)
        fputs("nil", f);
    else if (v == STATE_ANY)
        fputs("(any)", f);
    else if (name)
        fputs(name, f);
    else
        fprintf(f, "%lld", (long long)v);
}

static void put_key(FILE *f, const lincheck_history *h, uint64_t key)
{
    const char *name = names_get(&h->keys, key);
    if (name)
        fputs(name, f);
    else
        fprintf(f, "k%llu", (unsigned long long)key);
}

static void put_op(FILE *f, const lincheck_history *h, const lincheck_op *op)
{
    const char *client = names_get(&h->clients, op->client);
    fprintf(f, "#%-6llu ", (unsigned long long)op->id);
    if (client)
        fprintf(f, "%-6s ", client);
    else
        fprintf(f, "c%-5llu ", (unsigned long long)op->client);
    fprintf(f, "[%llu .. ", (unsigned long long)op->invoke_ts);
    if (op->outcome == LINCHECK_UNKNOWN)
        fputs("?]  ", f);
    else
        fprintf(f, "%llu]  ", (unsigned long long)op->complete_ts);
    static const char *const kind_names[] = {"read", "write", "cas"};
    fprintf(f, "%s ", kind_names[op->kind]);
    put_key(f, h, op->key);
    if (op->kind == LINCHECK_READ) {
        fputs(" -> ", f);
        put_value(f, h, op->value);
    } else if (op->kind == LINCHECK_WRITE) {
        fputc(' ', f);
        put_value(f, h, op->value);
    } else {
        fputc(' ', f);
        put_value(f, h, op->expected);
        fputs(" -> ", f);
        put_value(f, h, op->value);
        if (op->outcome == LINCHECK_OK)
            fputs(op->swapped ? " (swapped)" : " (not swapped)", f);
    }
    if (op->outcome == LINCHECK_UNKNOWN) fputs("   (outcome unknown)", f);
    fputc('\n', f);
}

static int op_time_cmp(const void *pa, const void *pb)
{
    const lincheck_op *a = *(const lincheck_op *const *)pa;
    const lincheck_op *b = *(const lincheck_op *const *)pb;
    if (a->invoke_ts != b->invoke_ts) return a->invoke_ts < b->invoke_ts ? -1 : 1;
    return a->id < b->id ? -1 : (a->id > b->id);
}

/* The op at which the search of ops[0..n) got stuck, and the longest
 * linearization it found before that. */
static uint64_t find_culprit(const lincheck_op **ops, size_t n, uint64_t states_max,
                             search_fail *fail)
{
    if (check_ops(ops, n, LINCHECK_NIL, states_max, NULL, fail) != SEARCH_VIOLATION ||
        !fail->have)
        return 0;
    return ops[fail->blocked]->id;
}

/* Explains why a key's history (all n_key ops) is not linearizable, with a
 * failing sub-history of n ops. */
static void report_violation(FILE *f, const lincheck_history *h, const lincheck_op **ops,
                             size_t n, size_t n_key, int64_t init,
                             const lincheck_op **all, const search_fail *fail)
{
    qsort(ops, n, sizeof *ops, op_time_cmp);
    fputs("lincheck: key ", f);
    put_key(f, h, ops[0]->key);
    fprintf(f, " is not linearizable (%zu operations on the key", n_key);
    if (n < n_key) fprintf(f, "; a failing sub-history of %zu follows", n);
    fputs(")\n", f);
    if (init == STATE_ANY) fputs("  (the key's value before this sub-history: any)\n", f);
    for (size_t i = 0; i < n && i < REPORT_OPS_MAX; i++) {
        fputs("  ", f);
        put_op(f, h, ops[i]);
    }
    if (n > REPORT_OPS_MAX) fprintf(f, "  ... %zu more\n", n - REPORT_OPS_MAX);
    if (!fail->have) return;
    fprintf(f,
            "  in the whole history of the key, the longest linearization found orders "
            "%zu operations",
            fail->order_len);
    size_t from = fail->order_len > 8 ? fail->order_len - 8 : 0;
    fputs(from ? " (... " : " (", f);
    for (size_t i = from; i < fail->order_len; i++)
        fprintf(f, "%s#%llu", i > from ? " " : "",
                (unsigned long long)all[fail->order[i]]->id);
    fputs("), leaving ", f);
    put_key(f, h, ops[0]->key);
    fputs(" = ", f);
    put_value(f, h, fail->state);
    fputs(
        ";\n  then this operation completed, and it cannot take effect right after that\n"
        "  nor after any operation still pending then:\n    ",
        f);
    put_op(f, h, all[fail->blocked]);
}

/* ---- Driver --------------------------------------------------------------- */

static int key_cmp(const void *pa, const void *pb)
{
    const lincheck_op *a = *(const lincheck_op *const *)pa;
    const lincheck_op *b = *(const lincheck_op *const *)pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return op_time_cmp(pa, pb);
}

/* Checks one key's operations; reports a violation or an inconclusive key. */
static enum search_result check_key(const lincheck_history *h, const lincheck_op **ops,
                                    size_t n, const lincheck_options *opt, FILE *report,
                                    lincheck_result *res)
{
    uint64_t states_max = opt && opt->states_max ? opt->states_max : STATES_MAX_DEFAULT;
    enum search_result r =
        check_ops(ops, n, LINCHECK_NIL, states_max, &res->states, NULL);
    if (r == SEARCH_INCONCLUSIVE && report) {
        fputs("lincheck: key ", report);
        put_key(report, h, ops[0]->key);
        fprintf(report, ": inconclusive after %llu states (%zu operations)\n",
                (unsigned long long)states_max, n);
    }
    if (r != SEARCH_VIOLATION) return r;
    search_fail fail = {0};
    res->culprit_id = find_culprit(ops, n, states_max, &fail);
    if (report != NULL) {
        lincheck_op *buf = mem_alloc(n * sizeof *buf);
        const lincheck_op **sub = mem_alloc(n * sizeof *sub);
        int64_t init = LINCHECK_NIL;
        size_t m = n;
        memcpy(sub, ops, n * sizeof *sub);
        if (!(opt && opt->no_shrink) && fail.have) {
            m = focus(ops, n, fail.blocked, buf, sub, &init);
            if (m <= SHRINK_OPS_MAX) m = shrink(sub, m, init);
        }
        report_violation(report, h, sub, m, n, init, ops, &fail);
        mem_free(sub);
        mem_free(buf);
    }
    mem_free(fail.order);
    return r;
}

enum lincheck_verdict lincheck_check(const lincheck_history *h,
                                     const lincheck_options *opt, FILE *report,
                                     lincheck_result *result)
{
    lincheck_result res = {.verdict = LINCHECK_LINEARIZABLE};
    const lincheck_op **ops = mem_alloc(h->count * sizeof *ops + 1);
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++)
        if (constrains(&h->ops[i])) ops[n++] = &h->ops[i];
    res.ops_checked = n;
    qsort(ops, n, sizeof *ops, key_cmp);
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && ops[hi]->key == ops[lo]->key;)
            hi++;
        res.keys++;
        enum search_result r = check_key(h, ops + lo, hi - lo, opt, report, &res);
        if (r == SEARCH_OK) continue;
        if (res.verdict == LINCHECK_LINEARIZABLE) res.bad_key = ops[lo]->key;
        if (r == SEARCH_VIOLATION) {
            res.verdict = LINCHECK_VIOLATION;
            res.bad_key = ops[lo]->key;
            break;
        }
        res.verdict = LINCHECK_INCONCLUSIVE;
    }
    mem_free(ops);
    if (result) *result = res;
    return res.verdict;
}

const char *lincheck_verdict_name(enum lincheck_verdict v)
{
    switch (v) {
    case LINCHECK_LINEARIZABLE:
        return "linearizable";
    case LINCHECK_VIOLATION:
        return "not linearizable";
    default:
        return "inconclusive";
    }
}
