/* cmd/rows.h - the notation of command table rows (cmd/table.c and the
 * value types' rows in cmd/rows_<type>.c).
 *
 * ROW(name, arity, flags, first key, last key, key step, handler, group,
 *     summary, since, complexity): arity and key positions as Redis 7.0
 * (arity N exact, -N at least N; a negative last key counts from the end).
 * A table ends with END. */
#ifndef POLIS_CMD_ROWS_H
#define POLIS_CMD_ROWS_H

#include "cmd/cmd.h"

#define W  CMD_WRITE
#define R  CMD_READONLY
#define D  CMD_DENYOOM
#define F  CMD_FAST
#define S  CMD_SERVER
#define A  CMD_ADMIN
#define NA CMD_NO_AUTH
#define LS (CMD_LOADING | CMD_STALE)
#define ROW(name, arity, flags, fk, lk, step, proc, group, summary, since, cx)           \
    {                                                                                    \
        name, arity, flags, fk, lk, step, proc, group, summary, since, cx, NULL, NULL,   \
            "", {0}, NULL                                                                \
    }
#define CONTAINER(name, arity, flags, group, summary, since, subs)                       \
    {                                                                                    \
        name, arity, (flags) | CMD_CONTAINER, 0, 0, 0, NULL, group, summary, since, "",  \
            subs, NULL, "", {0}, NULL                                                    \
    }
#define END                                                                              \
    {                                                                                    \
        NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "", {0}, NULL     \
    }
/* A command with movable keys: key positions come from getkeys (first,
 * last and step are 0, as Redis reports them). */
#define ROWK(name, arity, flags, getkeys, proc, group, summary, since, cx)               \
    {                                                                                    \
        name, arity, flags, 0, 0, 0, proc, group, summary, since, cx, NULL, NULL, "",    \
            {0}, getkeys                                                                 \
    }

#endif
