#include "base/assert.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void polis_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "polis: assertion failed: %s (%s:%d)\n", expr, file, line);
    fflush(stderr);
    abort();
}

/* Returns false so that ALWAYS() yields false; NEVER() negates it. */
bool polis_check_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "polis: check failed: %s (%s:%d)\n", expr, file, line);
#ifdef POLIS_ABORT_ON_CHECK
    abort();
#endif
    return false;
}
