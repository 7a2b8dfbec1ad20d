/* base/assert.h - assertions that stay on in every build.
 *
 * PASSERT(x): a programmer error if false; crash with file and line. These
 * are never compiled out: a broken invariant must stop the process before it
 * can corrupt replicated state.
 * ALWAYS(x) / NEVER(x): defensive checks whose failure is also handled by the
 * caller. They evaluate to the condition, log once when it is violated, and
 * in test builds (POLIS_SANITIZE) abort so that the tests notice. */
#ifndef POLIS_BASE_ASSERT_H
#define POLIS_BASE_ASSERT_H

#include <stdbool.h>

_Noreturn void polis_assert_fail(const char *expr, const char *file, int line);
bool polis_check_fail(const char *expr, const char *file, int line);

#define PASSERT(x)                                                             \
    ((x) ? (void)0 : polis_assert_fail(#x, __FILE__, __LINE__))
#define ALWAYS(x) ((x) ? true : polis_check_fail(#x, __FILE__, __LINE__))
#define NEVER(x) ((x) ? !polis_check_fail("!(" #x ")", __FILE__, __LINE__) : false)

#endif
