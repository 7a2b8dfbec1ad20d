/* tests/sim/lincheck.h - a linearizability checker for key-value histories.
 *
 * A history is a set of client operations on registers (read, write,
 * compare-and-set), each with the time it was invoked, the time its outcome
 * was seen, and that outcome: ok (it took effect and returned what is
 * recorded), fail (it certainly took no effect) or unknown (the client gave
 * up: it may have taken effect at any time after its invocation, or never).
 * The checker decides whether some total order of the operations respects
 * real time (an operation that completed before another was invoked comes
 * first) and the sequential semantics of a register.
 *
 * Method: Wing & Gong's search with Lowe's memoization (G. Lowe, "Testing
 * for linearizability", 2016): walk the history's call/return events in time
 * order, linearize a pending call whenever the model allows it, backtrack at
 * a return whose call could not be linearized, and never revisit a
 * (set of linearized operations, register value) pair. Linearizability is
 * local (Herlihy & Wing), so each key is checked on its own. An unknown
 * operation's return lies at infinity; the search succeeds once every ok
 * operation is linearized, which lets an unknown write either happen (at
 * any point after its call) or not.
 *
 * On a violation the report names the key, shrinks its history greedily to
 * a small sub-history that still fails, and prints it in time order with
 * the longest linearization the search found and the operation that could
 * not follow it.
 *
 * Owns: copies of the operations it is given. May call: libc, base/mem.
 * Must never: read clocks or randomness; it is used by the simulator, the
 * polis-lincheck CLI (chaos tests) and unit tests alike.
 *
 * ---- Text history format (polis-lincheck FILE) ---------------------------
 *
 * One operation per line; blank lines and lines starting with '#' are
 * ignored; fields are separated by spaces or tabs:
 *
 *   CLIENT INVOKE COMPLETE OUTCOME OP KEY ARGS...
 *
 *   CLIENT    a token naming the client (process, connection); informative.
 *   INVOKE    integer time the operation was sent (any unit, one clock).
 *   COMPLETE  integer time its outcome was seen, >= INVOKE; '-' when the
 *             outcome is unknown (the value is ignored for unknown ops).
 *   OUTCOME   ok | fail | unknown   (fail: certainly no effect).
 *   OP KEY ARGS:
 *     read  KEY VALUE            VALUE read; 'nil' = key absent ('-' if
 *                                the read did not complete)
 *     write KEY VALUE
 *     cas   KEY OLD NEW RESULT   RESULT (ok ops): 'true' if it swapped,
 *                                'false' if the key did not hold OLD;
 *                                '-' or omitted for fail/unknown ops.
 *
 * Keys and values are any tokens without whitespace; 'nil' is the value of
 * a key never written (OLD may be 'nil': create-if-absent). Example:
 *
 *   c1 100 150 ok      write x 1
 *   c2 120 180 ok      read  x 1
 *   c3 130 -   unknown write x 2
 *   c2 200 210 ok      cas   x 1 3 true
 */
#ifndef POLIS_TESTS_SIM_LINCHECK_H
#define POLIS_TESTS_SIM_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The value of a key that was never written. LINCHECK_NIL + 1 is reserved
 * too (the checker's "any value"); lincheck_add refuses it. */
#define LINCHECK_NIL INT64_MIN

enum lincheck_kind { LINCHECK_READ = 0, LINCHECK_WRITE, LINCHECK_CAS };
enum lincheck_outcome { LINCHECK_OK = 0, LINCHECK_FAIL, LINCHECK_UNKNOWN };

typedef struct lincheck_op {
    uint64_t id; /* printed in reports (e.g. a line number or request id) */
    uint64_t client;
    uint64_t key;
    uint8_t kind;     /* enum lincheck_kind */
    uint8_t outcome;  /* enum lincheck_outcome */
    bool swapped;     /* CAS with outcome OK: whether it swapped */
    int64_t value;    /* READ: value returned; WRITE, CAS: value written */
    int64_t expected; /* CAS: the value compared against */
    uint64_t invoke_ts;
    uint64_t complete_ts; /* ignored when the outcome is UNKNOWN */
} lincheck_op;

typedef struct lincheck_history lincheck_history;

lincheck_history *lincheck_history_new(void);
void lincheck_history_free(lincheck_history *h);
/* Copies `op` into the history. Returns 0, or -1 if the op is malformed
 * (unknown kind or outcome, completion before invocation). */
int lincheck_add(lincheck_history *h, const lincheck_op *op);
size_t lincheck_op_count(const lincheck_history *h);

/* Names for reports. Interning a token returns its id; the same token
 * always gives the same id, and reports print the token instead of the
 * number. "nil" interns to LINCHECK_NIL as a value. Histories built with
 * plain numbers never call these and are printed with numbers. */
uint64_t lincheck_intern_key(lincheck_history *h, const char *token);
int64_t lincheck_intern_value(lincheck_history *h, const char *token);
uint64_t lincheck_intern_client(lincheck_history *h, const char *token);

/* Parses the text format above, appending to `h`. Returns 0, or -1 with a
 * message naming the line in err. */
int lincheck_read(lincheck_history *h, FILE *in, char *err, size_t err_cap);

enum lincheck_verdict {
    LINCHECK_LINEARIZABLE = 0,
    LINCHECK_VIOLATION,
    LINCHECK_INCONCLUSIVE, /* the search hit states_max on some key */
};

typedef struct lincheck_options {
    /* Bound on memoized states per key (0: a default of 4 million). A key
     * that needs more is reported inconclusive, never as a violation. */
    uint64_t states_max;
    /* Shrink a failing key's history before reporting it (default on). */
    bool no_shrink;
} lincheck_options;

typedef struct lincheck_result {
    enum lincheck_verdict verdict;
    size_t keys;         /* distinct keys checked */
    size_t ops_checked;  /* ops that constrain (ok ops, unknown writes) */
    uint64_t states;     /* memoized states over all keys */
    uint64_t bad_key;    /* first failing (or inconclusive) key */
    uint64_t culprit_id; /* violation: id of the op that could not take
                            effect (in the shrunk history if reported) */
} lincheck_result;

/* Checks the whole history. Writes a readable explanation of the first
 * violation (or of an inconclusive key) to `report` unless it is NULL.
 * `opt` may be NULL for the defaults. */
enum lincheck_verdict lincheck_check(const lincheck_history *h,
                                     const lincheck_options *opt, FILE *report,
                                     lincheck_result *result);

const char *lincheck_verdict_name(enum lincheck_verdict v);

#endif
