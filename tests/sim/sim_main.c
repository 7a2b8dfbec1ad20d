/* tests/sim/sim_main.c - polis-sim: runs seeds, replays failures.
 *
 *   polis-sim [--seed S] [--seeds N] [--nodes 3,5,7] [--steps K] [--pipeline D]
 *             [--bugs LIST] [--trace] [--tail N] [--expect-violation]
 *             [--no-contract] [--no-lease-reads] [--keep-going] [--jobs J]
 *             [--verbose]
 *
 * Runs seeds S .. S+N-1, cycling through the cluster sizes (in J processes
 * with --jobs; seed k always runs the same way). A failing seed
 * is replayed with tracing on: the replay must fail at the same event with
 * the same message (else the run was not deterministic, exit 2), and the
 * last --tail trace lines are printed with the command that reproduces it.
 * Exit status: 0 all seeds passed (with --expect-violation: a violation was
 * found), 1 otherwise, 2 nondeterminism, 3 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim.h"

#define NODE_SIZES_MAX 8
#define JOBS_MAX       64

typedef struct totals {
    uint64_t seeds, events, ops, elections, crashes, partitions, transfers, conf_changes;
    uint64_t snapshots, inconclusive;
    double seconds;
} totals;

static int usage(void)
{
    fputs("usage: polis-sim [--seed S] [--seeds N] [--nodes 3,5,7] [--steps K] [--pipeline D]\n"
          "                 [--bugs "
          "commit-old-term,forget-vote,vote-stale-log,read-no-quorum,\n"
          "                  stable-on-release]\n"
          "                 [--trace] [--tail N] [--expect-violation] [--no-contract]\n"
          "                 [--no-lease-reads] [--keep-going] [--jobs J] [--verbose]\n",
          stderr);
    return 3;
}

static int parse_sizes(const char *list, int *sizes)
{
    int count = 0;
    for (const char *p = list; *p && count < NODE_SIZES_MAX;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 7) return 0;
        sizes[count++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return count;
}

static void add_totals(totals *t, const sim *s)
{
    t->seeds++;
    t->events += s->step;
    t->ops += s->op_count;
    t->elections += s->elections;
    t->crashes += s->crashes;
    t->partitions += s->partitions;
    t->transfers += s->transfers;
    t->conf_changes += s->conf_changes;
    t->snapshots += s->snapshots_installed;
    t->inconclusive += s->lincheck_inconclusive;
    t->seconds += (double)s->now / 1e6;
}

static void print_repro(const sim_options *o, const char *bugs, FILE *f)
{
    char pipeline[32] = "";
    if (o->pipeline > 0) snprintf(pipeline, sizeof pipeline, " --pipeline %d", o->pipeline);
    fprintf(f,
            "reproduce: polis-sim --seed %llu --nodes %d --steps %d%s%s%s%s%s --trace\n",
            (unsigned long long)o->seed, o->nodes, o->steps, bugs ? " --bugs " : "",
            bugs ? bugs : "", o->no_contract ? " --no-contract" : "",
            o->lease_reads ? "" : " --no-lease-reads", pipeline);
}

/* Runs the failing seed again, recording the trace; returns 0 if it failed
 * identically. */
static int replay(const sim_options *base, const sim *failed, FILE *out)
{
    sim_options o = *base;
    o.record = true;
    o.trace = false;
    /* A linearizability violation is found at the end; show the steps that
     * led to the operation that could not take effect. */
    o.record_until = failed->culprit_step;
    sim *s = sim_new(&o);
    sim_run(s);
    int rv = 0;
    if (!s->failed || s->failed_step != failed->failed_step ||
        strcmp(s->failure, failed->failure) != 0) {
        fprintf(out, "NONDETERMINISM: the replay %s at event %llu: %s\n",
                s->failed ? "failed" : "passed", (unsigned long long)s->failed_step,
                s->failed ? s->failure : "");
        rv = -1;
    } else {
        fprintf(
            out,
            "the replay fails identically at event %llu; its last %d trace lines%s:\n",
            (unsigned long long)s->failed_step, o.trace_tail,
            o.record_until ? " up to the operation that cannot take effect" : "");
    }
    sim_trace_dump(s, out);
    sim_free(s);
    return rv;
}

typedef struct campaign {
    sim_options base;
    uint64_t seeds;
    int sizes[NODE_SIZES_MAX];
    int size_count;
    const char *bugs;
    bool expect_violation, verbose, keep_going;
} campaign;

/* What one process of a campaign found. */
typedef struct outcome {
    totals t;
    uint64_t violations;
    uint64_t first_k; /* position of the first violating seed (UINT64_MAX: none) */
    int status;       /* 0, or 2: a replay differed (nondeterminism) */
} outcome;

/* Runs seeds number job, job + jobs, ... of the campaign. Unless keep_going,
 * stops at the first violation, after replaying it. */
static void run_seeds(const campaign *c, uint64_t job, uint64_t jobs, outcome *out)
{
    memset(out, 0, sizeof *out);
    out->first_k = UINT64_MAX;
    for (uint64_t k = job; k < c->seeds; k += jobs) {
        sim_options o = c->base;
        o.seed = c->base.seed + k;
        o.nodes = c->sizes[k % (uint64_t)c->size_count];
        sim *s = sim_new(&o);
        int rc = sim_run(s);
        add_totals(&out->t, s);
        if (c->verbose || c->seeds == 1) sim_summary(s, stdout);
        if (rc != 0) {
            printf("VIOLATION seed %llu (%d nodes, %d steps%s%s): %s\n",
                   (unsigned long long)o.seed, o.nodes, o.steps, c->bugs ? ", bugs " : "",
                   c->bugs ? c->bugs : "", s->failure);
            out->violations++;
            if (k < out->first_k) out->first_k = k;
            if (!c->keep_going) {
                if (!o.trace && replay(&o, s, stdout) != 0) out->status = 2;
                print_repro(&o, c->bugs, stdout);
                sim_free(s);
                break;
            }
        }
        sim_free(s);
    }
    fflush(stdout);
}

/* Runs the campaign in `jobs` processes (seeds dealt round-robin), each
 * reporting its outcome through a pipe. */
static void run_parallel(const campaign *c, uint64_t jobs, outcome *total)
{
    int fds[JOBS_MAX];
    pid_t pids[JOBS_MAX];
    fflush(stdout);
    for (uint64_t j = 0; j < jobs; j++) {
        int p[2];
        if (pipe(p) != 0) {
            perror("pipe");
            exit(3);
        }
        pids[j] = fork();
        if (pids[j] < 0) {
            perror("fork");
            exit(3);
        }
        if (pids[j] == 0) {
            close(p[0]);
            outcome o;
            run_seeds(c, j, jobs, &o);
            ssize_t w = write(p[1], &o, sizeof o);
            _exit(w == (ssize_t)sizeof o ? 0 : 3);
        }
        close(p[1]);
        fds[j] = p[0];
    }
    memset(total, 0, sizeof *total);
    total->first_k = UINT64_MAX;
    for (uint64_t j = 0; j < jobs; j++) {
        outcome o;
        int wstatus = 0;
        ssize_t r = read(fds[j], &o, sizeof o);
        close(fds[j]);
        waitpid(pids[j], &wstatus, 0);
        if (r != (ssize_t)sizeof o || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
            fprintf(stderr, "polis-sim: job %llu died\n", (unsigned long long)j);
            total->status = 3;
            continue;
        }
        totals *t = &total->t;
        t->seeds += o.t.seeds;
        t->events += o.t.events;
        t->ops += o.t.ops;
        t->elections += o.t.elections;
        t->crashes += o.t.crashes;
        t->partitions += o.t.partitions;
        t->transfers += o.t.transfers;
        t->conf_changes += o.t.conf_changes;
        t->snapshots += o.t.snapshots;
        t->inconclusive += o.t.inconclusive;
        t->seconds += o.t.seconds;
        total->violations += o.violations;
        if (o.first_k < total->first_k) total->first_k = o.first_k;
        if (o.status > total->status) total->status = o.status;
    }
}

/* The command line, one row per option. */
enum opt_kind { OPT_U64, OPT_INT, OPT_ON, OPT_OFF, OPT_NODES, OPT_BUGS };

typedef struct opt_row {
    const char *name;
    enum opt_kind kind;
    void *target;
} opt_row;

static bool parse_args(int argc, char **argv, campaign *c, uint64_t *jobs)
{
    const opt_row rows[] = {
        {"--seed", OPT_U64, &c->base.seed},
        {"--seeds", OPT_U64, &c->seeds},
        {"--steps", OPT_INT, &c->base.steps},
        {"--pipeline", OPT_INT, &c->base.pipeline},
        {"--tail", OPT_INT, &c->base.trace_tail},
        {"--jobs", OPT_U64, jobs},
        {"--nodes", OPT_NODES, c},
        {"--bugs", OPT_BUGS, c},
        {"--trace", OPT_ON, &c->base.trace},
        {"--expect-violation", OPT_ON, &c->expect_violation},
        {"--no-contract", OPT_ON, &c->base.no_contract},
        {"--no-lease-reads", OPT_OFF, &c->base.lease_reads},
        {"--verbose", OPT_ON, &c->verbose},
        {"--keep-going", OPT_ON, &c->keep_going},
    };
    for (int i = 1; i < argc; i++) {
        const opt_row *row = NULL;
        for (size_t k = 0; k < sizeof rows / sizeof rows[0] && !row; k++)
            if (strcmp(argv[i], rows[k].name) == 0) row = &rows[k];
        if (row == NULL) return false;
        if (row->kind == OPT_ON || row->kind == OPT_OFF) {
            *(bool *)row->target = row->kind == OPT_ON;
            continue;
        }
        if (i + 1 >= argc) return false;
        const char *v = argv[++i];
        switch (row->kind) {
        case OPT_U64:
            *(uint64_t *)row->target = strtoull(v, NULL, 10);
            break;
        case OPT_INT:
            *(int *)row->target = atoi(v);
            break;
        case OPT_NODES:
            if ((c->size_count = parse_sizes(v, c->sizes)) == 0) return false;
            break;
        default: {
            int64_t mask = sim_parse_bugs(v);
            if (mask < 0) return false;
            c->bugs = v;
            c->base.bugs = (uint32_t)mask;
            break;
        }
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    campaign c = {.base = {.seed = 1,
                           .steps = 400,
                           .lease_reads = true,
                           .trace_tail = 50,
                           .out = stdout},
                  .seeds = 1,
                  .sizes = {3},
                  .size_count = 1};
    uint64_t jobs = 1;
    if (!parse_args(argc, argv, &c, &jobs)) return usage();
    if (c.base.steps < 1 || c.base.trace_tail < 1 || c.seeds < 1 || jobs < 1 ||
        jobs > JOBS_MAX)
        return usage();
    if (jobs > c.seeds) jobs = c.seeds;

    outcome out;
    if (jobs == 1)
        run_seeds(&c, 0, 1, &out);
    else
        run_parallel(&c, jobs, &out);
    const totals *t = &out.t;
    if (out.status != 0) return out.status;
    if (out.violations > 0 && c.expect_violation) {
        printf("polis-sim: as expected, a violation: seed number %llu of the campaign "
               "found it\n",
               (unsigned long long)out.first_k + 1);
        return 0;
    }
    if (out.violations > 0) {
        printf("polis-sim: %llu of %llu seeds failed\n",
               (unsigned long long)out.violations, (unsigned long long)t->seeds);
        return 1;
    }
    printf(
        "polis-sim: %llu seeds passed: %.0f s simulated, %llu events, %llu client ops, "
        "%llu leaders, %llu crashes, %llu partitions, %llu transfers, %llu conf changes, "
        "%llu snapshots installed%s\n",
        (unsigned long long)t->seeds, t->seconds, (unsigned long long)t->events,
        (unsigned long long)t->ops, (unsigned long long)t->elections,
        (unsigned long long)t->crashes, (unsigned long long)t->partitions,
        (unsigned long long)t->transfers, (unsigned long long)t->conf_changes,
        (unsigned long long)t->snapshots,
        t->inconclusive ? " (some lincheck inconclusive)" : "");
    if (c.expect_violation) {
        printf("polis-sim: expected a violation within %llu seeds, found none\n",
               (unsigned long long)c.seeds);
        return 1;
    }
    return 0;
}
