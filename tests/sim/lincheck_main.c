/* tests/sim/lincheck_main.c - polis-lincheck: checks a history file.
 *
 *   polis-lincheck [--states-max N] [--no-shrink] FILE     ('-' = stdin)
 *
 * The format is described in lincheck.h. Exit status: 0 linearizable,
 * 1 not linearizable (the report on stdout says why), 2 inconclusive (the
 * search budget ran out), 3 bad usage or a malformed history. The chaos
 * tests call this on the histories they record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lincheck.h"

static int usage(void)
{
    fputs("usage: polis-lincheck [--states-max N] [--no-shrink] FILE|-\n", stderr);
    return 3;
}

int main(int argc, char **argv)
{
    lincheck_options opt = {0};
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--states-max") == 0 && i + 1 < argc) {
            opt.states_max = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--no-shrink") == 0) {
            opt.no_shrink = true;
        } else if (path == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
            path = argv[i];
        } else {
            return usage();
        }
    }
    if (path == NULL) return usage();
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (in == NULL) {
        perror(path);
        return 3;
    }
    lincheck_history *h = lincheck_history_new();
    char err[256];
    int rv = lincheck_read(h, in, err, sizeof err);
    if (in != stdin) fclose(in);
    if (rv != 0) {
        fprintf(stderr, "polis-lincheck: %s: %s\n", path, err);
        lincheck_history_free(h);
        return 3;
    }
    lincheck_result res;
    enum lincheck_verdict v = lincheck_check(h, &opt, stdout, &res);
    printf(
        "%s: %zu operations (%zu constraining), %zu keys checked, %llu states searched\n",
        lincheck_verdict_name(v), lincheck_op_count(h), res.ops_checked, res.keys,
        (unsigned long long)res.states);
    lincheck_history_free(h);
    return v == LINCHECK_LINEARIZABLE ? 0 : v == LINCHECK_VIOLATION ? 1 : 2;
}
