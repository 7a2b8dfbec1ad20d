/* base/error.h - the one list of internal error codes.
 *
 * Internal calls return 0 on success or a negative POLIS_E... code. The list
 * is an X-macro so that the enum and polis_strerror() can never disagree.
 * Client-facing replies (-ERR, -WRONGTYPE...) are not these codes: they are
 * written by the command handlers in Redis's exact words. */
#ifndef POLIS_BASE_ERROR_H
#define POLIS_BASE_ERROR_H

#define POLIS_ERRORS(X)                                                        \
    X(NOMEM, "out of memory")                                                  \
    X(INVAL, "invalid argument")                                               \
    X(PROTO, "protocol error")                                                 \
    X(LIMIT, "limit exceeded")                                                 \
    X(IO, "input/output error")                                                \
    X(NOTFOUND, "not found")                                                   \
    X(EXISTS, "already exists")                                                \
    X(CONFIG, "bad configuration")                                             \
    X(CORRUPT, "corrupt data")                                                 \
    X(BUSY, "busy")                                                            \
    X(CLOSED, "closed")

enum {
    POLIS_OK = 0,
#define POLIS_ERROR_ENUM(name, text) POLIS_E##name,
    POLIS_E_FIRST_ = -100,
    POLIS_ERRORS(POLIS_ERROR_ENUM)
#undef POLIS_ERROR_ENUM
    POLIS_E_LAST_
};

/* Returns a static description of a POLIS_E... code (or "unknown error"). */
const char *polis_strerror(int code);

#endif
