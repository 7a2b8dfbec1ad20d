/* Unit tests for the linearizability checker (tests/sim/lincheck.c).
 *
 * Histories are written in the checker's own text format, one operation a
 * line, "CLIENT INVOKE COMPLETE OUTCOME OP KEY ARGS", so each test reads as
 * a timeline. Every kind of violation the simulator and the chaos tests
 * rely on has a test that the checker reports it (stale read, lost write,
 * read of a value never written, failed write that took effect), and every
 * freedom it must allow has one that it does not (concurrent ops in either
 * order, unknown outcomes that did or did not happen). A randomized test
 * builds histories around known linearization points: they must all pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/rng.h"
#include "../sim/lincheck.h"

/* ---- A small language ----------------------------------------------------- */

static lincheck_history *parse(const char *text)
{
    lincheck_history *h = lincheck_history_new();
    FILE *in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
    assert_non_null(in);
    char err[128] = "";
    int rv = lincheck_read(h, in, err, sizeof err);
    fclose(in);
    if (rv != 0) fail_msg("history does not parse: %s", err);
    return h;
}

/* Checks `text`; returns the verdict and, in *report, what was printed. */
static enum lincheck_verdict check(const char *text, char **report)
{
    lincheck_history *h = parse(text);
    size_t len = 0;
    char *out = NULL;
    FILE *f = open_memstream(&out, &len);
    enum lincheck_verdict v = lincheck_check(h, NULL, f, NULL);
    fclose(f);
    lincheck_history_free(h);
    if (report)
        *report = out;
    else
        free(out); /* allocated by open_memstream */
    return v;
}

static void expect_linearizable(const char *text)
{
    char *report;
    enum lincheck_verdict v = check(text, &report);
    if (v != LINCHECK_LINEARIZABLE) fail_msg("expected linearizable, got:\n%s", report);
    free(report);
}

/* Expects a violation whose report mentions each of the NULL-terminated
 * strings that follow. */
static void expect_violation(const char *text, ...)
{
    char *report;
    enum lincheck_verdict v = check(text, &report);
    if (v != LINCHECK_VIOLATION)
        fail_msg("expected a violation, got %s", lincheck_verdict_name(v));
    va_list ap;
    va_start(ap, text);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        if (strstr(report, s) == NULL) fail_msg("report lacks \"%s\":\n%s", s, report);
    va_end(ap);
    free(report);
}

static void expect_parse_error(const char *text, const char *what)
{
    lincheck_history *h = lincheck_history_new();
    FILE *in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
    char err[128] = "";
    assert_int_equal(lincheck_read(h, in, err, sizeof err), -1);
    fclose(in);
    if (strstr(err, what) == NULL) fail_msg("error \"%s\" lacks \"%s\"", err, what);
    lincheck_history_free(h);
}

/* ---- Registers: what must pass -------------------------------------------- */

static void test_sequential_history(void **state)
{
    (void)state;
    expect_linearizable("c1 0  10 ok read  x nil\n"
                        "c1 20 30 ok write x 1\n"
                        "c2 40 50 ok read  x 1\n"
                        "c2 60 70 ok write x 2\n"
                        "c1 80 90 ok read  x 2\n");
}

static void test_concurrent_read_sees_either_value(void **state)
{
    (void)state;
    /* The read overlaps the write: old and new value are both fine. */
    expect_linearizable("c1 0  10 ok write x 1\n"
                        "c1 20 50 ok write x 2\n"
                        "c2 30 40 ok read  x 1\n");
    expect_linearizable("c1 0  10 ok write x 1\n"
                        "c1 20 50 ok write x 2\n"
                        "c2 30 40 ok read  x 2\n");
}

static void test_concurrent_reads_agree_on_an_order(void **state)
{
    (void)state;
    /* Two writes overlap; readers after both may see the later-linearized
     * one, but they must all see the same one. */
    expect_linearizable("c1 0  50 ok write x 1\n"
                        "c2 0  50 ok write x 2\n"
                        "c3 60 70 ok read  x 1\n"
                        "c4 80 90 ok read  x 1\n");
    expect_violation("c1 0  50 ok write x 1\n"
                     "c2 0  50 ok write x 2\n"
                     "c3 60 70 ok read  x 1\n"
                     "c4 80 90 ok read  x 2\n",
                     "key x", NULL);
}

static void test_equal_timestamps_overlap(void **state)
{
    (void)state;
    /* A coarse clock: the read that starts when the write ends may or may
     * not follow it. */
    expect_linearizable("c1 0  10 ok write x 1\n"
                        "c2 10 20 ok read  x nil\n");
}

static void test_keys_are_independent(void **state)
{
    (void)state;
    expect_linearizable("c1 0  10 ok write x 1\n"
                        "c1 20 30 ok write y 2\n"
                        "c2 40 50 ok read  y 2\n"
                        "c2 60 70 ok read  x 1\n");
    expect_violation("c1 0  10 ok write x 1\n"
                     "c1 20 30 ok write y 2\n"
                     "c2 40 50 ok read  y 2\n"
                     "c2 60 70 ok read  x nil\n",
                     "key x", NULL);
}

/* ---- Registers: what must fail -------------------------------------------- */

static void test_stale_read(void **state)
{
    (void)state;
    expect_violation("c1 0  10 ok write x 1\n"
                     "c1 20 30 ok write x 2\n"
                     "c2 40 50 ok read  x 1\n",
                     "key x is not linearizable", "read x -> 1", NULL);
}

static void test_lost_write(void **state)
{
    (void)state;
    /* An acknowledged write that a later read does not see. */
    expect_violation("c1 0  10 ok write x 1\n"
                     "c2 20 30 ok read  x nil\n",
                     "read x -> nil", NULL);
}

static void test_read_of_value_never_written(void **state)
{
    (void)state;
    expect_violation("c1 0  10 ok write x 1\n"
                     "c2 5  30 ok read  x 7\n",
                     "read x -> 7", NULL);
}

static void test_value_cannot_come_back(void **state)
{
    (void)state;
    /* Once 2 overwrote 1, reading 1 again needs another write of 1. */
    expect_violation("c1 0  10 ok write x 1\n"
                     "c2 20 30 ok read  x 1\n"
                     "c1 40 50 ok write x 2\n"
                     "c2 60 70 ok read  x 2\n"
                     "c3 80 90 ok read  x 1\n",
                     NULL);
}

/* ---- Unknown and failed outcomes ------------------------------------------ */

static void test_unknown_write_may_have_happened(void **state)
{
    (void)state;
    expect_linearizable("c1 0  10 ok      write x 1\n"
                        "c2 20 -  unknown write x 2\n"
                        "c3 500 510 ok    read  x 2\n");
}

static void test_unknown_write_may_not_have_happened(void **state)
{
    (void)state;
    expect_linearizable("c1 0  10 ok      write x 1\n"
                        "c2 20 -  unknown write x 2\n"
                        "c3 500 510 ok    read  x 1\n");
}

static void test_unknown_write_happens_late_but_once(void **state)
{
    (void)state;
    /* It may take effect long after the client gave up... */
    expect_linearizable("c2 0  -  unknown write x 2\n"
                        "c1 10 20 ok      write x 1\n"
                        "c3 30 40 ok      read  x 1\n"
                        "c3 50 60 ok      read  x 2\n");
    /* ...but not before it was invoked, and only once. */
    expect_violation("c3 0  10 ok      read  x 2\n"
                     "c2 20 -  unknown write x 2\n",
                     NULL);
    expect_violation("c2 0  -  unknown write x 2\n"
                     "c3 10 20 ok      read  x 2\n"
                     "c1 30 40 ok      write x 3\n"
                     "c3 50 60 ok      read  x 2\n",
                     NULL);
}

static void test_failed_write_has_no_effect(void **state)
{
    (void)state;
    expect_violation("c1 0  10 ok   write x 1\n"
                     "c2 20 30 fail write x 2\n"
                     "c3 40 50 ok   read  x 2\n",
                     NULL);
    /* Unfinished reads constrain nothing. */
    expect_linearizable("c1 0  10 ok      write x 1\n"
                        "c2 20 -  unknown read  x\n"
                        "c3 40 50 fail    read  x -\n");
}

/* ---- Compare-and-set ------------------------------------------------------ */

static void test_cas(void **state)
{
    (void)state;
    expect_linearizable("c1 0  10 ok write x 1\n"
                        "c2 20 30 ok cas   x 1 2 true\n"
                        "c3 40 50 ok cas   x 1 3 false\n"
                        "c1 60 70 ok read  x 2\n");
    /* A swap needs the expected value; a refusal needs a different one. */
    expect_violation("c1 0  10 ok write x 1\n"
                     "c2 20 30 ok cas   x 5 2 true\n",
                     "cas x 5 -> 2 (swapped)", NULL);
    expect_violation("c1 0  10 ok write x 1\n"
                     "c2 20 30 ok cas   x 1 2 false\n",
                     NULL);
    /* Create-if-absent from nil, and an unknown cas that took effect. */
    expect_linearizable("c1 0  10 ok      cas  x nil 1 true\n"
                        "c2 20 -  unknown cas  x 1 4\n"
                        "c3 40 50 ok      read x 4\n");
}

/* ---- Reports and the file format ------------------------------------------ */

/* A history of `pairs` write/read pairs on x, overlapping a little, where
 * the read of pair `stale` returns the value written two pairs before. */
static char *history_with_one_stale_read(int pairs, int stale)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (int i = 0; i < pairs; i++) {
        fprintf(f, "c1 %d %d ok write x %d\n", i * 100, i * 100 + 30, i);
        fprintf(f, "c2 %d %d ok read  x %d\n", i * 100 + 20, i * 100 + 60,
                i == stale ? i - 2 : i);
    }
    fclose(f);
    return text; /* allocated by open_memstream */
}

/* Checks that the report names the stale read and shows a sub-history of
 * at most four operations. */
static void expect_small_report(const char *text, int ops, int stale)
{
    char *report;
    char whole[64], culprit[64];
    snprintf(whole, sizeof whole, "(%d operations on the key", ops);
    snprintf(culprit, sizeof culprit, "read x -> %d", stale - 2);
    assert_int_equal(check(text, &report), LINCHECK_VIOLATION);
    if (strstr(report, whole) == NULL || strstr(report, culprit) == NULL)
        fail_msg("unexpected report:\n%s", report);
    const char *sub = strstr(report, "a failing sub-history of ");
    if (sub == NULL || atoi(sub + strlen("a failing sub-history of ")) > 4)
        fail_msg("report not shrunk:\n%s", report);
    free(report);
}

static void test_report_shrinks_to_the_culprits(void **state)
{
    (void)state;
    /* One stale read hidden among a hundred good operations... */
    char *text = history_with_one_stale_read(50, 30);
    expect_small_report(text, 100, 30);
    free(text);
    /* ... and among 6,000: too many to shrink one by one, so the report is
     * first focused on the prefix where the search got stuck. */
    text = history_with_one_stale_read(3000, 2900);
    expect_small_report(text, 6000, 2900);
    free(text);
}

static void test_text_format_errors(void **state)
{
    (void)state;
    expect_parse_error("c1 0 10 ok write x\n", "line 1: write takes KEY VALUE");
    expect_parse_error("# comment\n\nc1 10 0 ok write x 1\n",
                       "line 3: COMPLETE is before");
    expect_parse_error("c1 0 - ok read x 1\n", "only for unknown");
    expect_parse_error("c1 0 10 maybe read x 1\n", "OUTCOME");
    expect_parse_error("c1 0 10 ok cas x 1 2\n", "RESULT");
    expect_parse_error("c1 zero 10 ok read x 1\n", "INVOKE");
}

static void test_api_rejects_malformed_ops(void **state)
{
    (void)state;
    lincheck_history *h = lincheck_history_new();
    lincheck_op op = {.kind = LINCHECK_WRITE, .invoke_ts = 10, .complete_ts = 5};
    assert_int_equal(lincheck_add(h, &op), -1);
    op.complete_ts = 20;
    op.kind = 7;
    assert_int_equal(lincheck_add(h, &op), -1);
    op.kind = LINCHECK_WRITE;
    assert_int_equal(lincheck_add(h, &op), 0);
    assert_int_equal(lincheck_op_count(h), 1);
    lincheck_history_free(h);
}

/* ---- Randomized: histories built around linearization points pass --------- */

/* Runs a sequential register with `clients` clients: each op takes effect
 * at a point of a global timeline and gets an interval around that point;
 * some ops end up unknown (the client saw nothing) or, when they never took
 * effect, failed. Whatever the overlaps, the history is linearizable. */
static void random_history(rng *g, lincheck_history *h, int ops, int keys, int clients)
{
    int64_t value[8];
    uint64_t busy_until[16] = {0};
    for (int k = 0; k < keys; k++)
        value[k] = LINCHECK_NIL;
    for (int i = 0; i < ops; i++) {
        uint64_t point = (uint64_t)i * 10 + 5;
        int c = (int)rng_below(g, (uint64_t)clients);
        int k = (int)rng_below(g, (uint64_t)keys);
        uint64_t lo = point - rng_below(g, 40 < point ? 40 : point);
        if (lo < busy_until[c]) lo = busy_until[c] > point ? point : busy_until[c];
        lincheck_op op = {.id = (uint64_t)i,
                          .client = (uint64_t)c,
                          .key = (uint64_t)k,
                          .invoke_ts = lo,
                          .complete_ts = point + rng_below(g, 40)};
        busy_until[c] = op.complete_ts + 1;
        int kind = (int)rng_below(g, 3);
        op.kind = (uint8_t)kind;
        if (kind == LINCHECK_READ) {
            op.value = value[k];
        } else if (kind == LINCHECK_WRITE) {
            op.value = i;
            value[k] = i;
        } else {
            op.expected = rng_below(g, 2) ? value[k] : i - 1;
            op.value = i;
            op.swapped = op.expected == value[k];
            if (op.swapped) value[k] = i;
        }
        uint64_t roll = rng_below(g, 10);
        if (roll == 0 && kind != LINCHECK_CAS) op.outcome = LINCHECK_UNKNOWN;
        if (roll == 1 && kind == LINCHECK_CAS && op.swapped)
            op.outcome = LINCHECK_UNKNOWN;
        assert_int_equal(lincheck_add(h, &op), 0);
        /* A write that never took effect: failed, or unknown. */
        if (rng_below(g, 8) == 0) {
            lincheck_op ghost = op;
            ghost.id = (uint64_t)(1000000 + i);
            ghost.kind = LINCHECK_WRITE;
            ghost.value = 1000000 + i;
            ghost.outcome = rng_below(g, 2) ? LINCHECK_FAIL : LINCHECK_UNKNOWN;
            assert_int_equal(lincheck_add(h, &ghost), 0);
        }
    }
}

static void test_random_linearizable_histories(void **state)
{
    (void)state;
    rng g;
    rng_seed(&g, 42);
    for (int round = 0; round < 300; round++) {
        lincheck_history *h = lincheck_history_new();
        random_history(&g, h, 20 + (int)rng_below(&g, 200), 1 + (int)rng_below(&g, 4),
                       1 + (int)rng_below(&g, 8));
        lincheck_result res;
        enum lincheck_verdict v = lincheck_check(h, NULL, stderr, &res);
        if (v != LINCHECK_LINEARIZABLE)
            fail_msg("round %d: %s", round, lincheck_verdict_name(v));
        lincheck_history_free(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential_history),
        cmocka_unit_test(test_concurrent_read_sees_either_value),
        cmocka_unit_test(test_concurrent_reads_agree_on_an_order),
        cmocka_unit_test(test_equal_timestamps_overlap),
        cmocka_unit_test(test_keys_are_independent),
        cmocka_unit_test(test_stale_read),
        cmocka_unit_test(test_lost_write),
        cmocka_unit_test(test_read_of_value_never_written),
        cmocka_unit_test(test_value_cannot_come_back),
        cmocka_unit_test(test_unknown_write_may_have_happened),
        cmocka_unit_test(test_unknown_write_may_not_have_happened),
        cmocka_unit_test(test_unknown_write_happens_late_but_once),
        cmocka_unit_test(test_failed_write_has_no_effect),
        cmocka_unit_test(test_cas),
        cmocka_unit_test(test_report_shrinks_to_the_culprits),
        cmocka_unit_test(test_text_format_errors),
        cmocka_unit_test(test_api_rejects_malformed_ops),
        cmocka_unit_test(test_random_linearizable_histories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
