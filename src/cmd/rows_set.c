/* cmd/rows_set.c - the rows of the set commands (cmd/rows.h notation).
 *
 * Arity, flags and key positions are Redis 7.0's (COMMAND INFO). SINTERCARD
 * names its keys through numkeys, which a key range cannot express: as in
 * Redis, its legacy key positions are 0 0 0 (Redis adds "movablekeys").
 * SPOP, SRANDMEMBER and SSCAN carry CMD_RANDOM: their replies depend on the
 * entry's random seed or on the table's layout. */
#include "cmd/rows.h"
#include "kv/t_set.h"

#define RND CMD_RANDOM
#define UNION_CX "O(N) where N is the total number of elements in all given sets."
#define INTER_CX                                                                   \
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the " \
    "number of sets."

cmd_def cmd_rows_set[] = {
    ROW("sadd", -3, W | D | F, 1, 1, 1, kvcmd_sadd, "set",
        "Add one or more members to a set", "1.0.0",
        "O(1) for each element added, so O(N) to add N elements when the command is "
        "called with multiple arguments."),
    ROW("scard", 2, R | F, 1, 1, 1, kvcmd_scard, "set",
        "Get the number of members in a set", "1.0.0", "O(1)"),
    ROW("sdiff", -2, R, 1, -1, 1, kvcmd_sdiff, "set", "Subtract multiple sets", "1.0.0",
        UNION_CX),
    ROW("sdiffstore", -3, W | D, 1, -1, 1, kvcmd_sdiffstore, "set",
        "Subtract multiple sets and store the resulting set in a key", "1.0.0", UNION_CX),
    ROW("sinter", -2, R, 1, -1, 1, kvcmd_sinter, "set", "Intersect multiple sets",
        "1.0.0", INTER_CX),
    ROW("sintercard", -3, R, 0, 0, 0, kvcmd_sintercard, "set",
        "Intersect multiple sets and return the cardinality of the result", "7.0.0",
        INTER_CX),
    ROW("sinterstore", -3, W | D, 1, -1, 1, kvcmd_sinterstore, "set",
        "Intersect multiple sets and store the resulting set in a key", "1.0.0",
        INTER_CX),
    ROW("sismember", 3, R | F, 1, 1, 1, kvcmd_sismember, "set",
        "Determine if a given value is a member of a set", "1.0.0", "O(1)"),
    ROW("smembers", 2, R, 1, 1, 1, kvcmd_smembers, "set", "Get all the members in a set",
        "1.0.0", "O(N) where N is the set cardinality."),
    ROW("smismember", -3, R | F, 1, 1, 1, kvcmd_smismember, "set",
        "Returns the membership associated with the given elements for a set", "6.2.0",
        "O(N) where N is the number of elements being checked for membership"),
    ROW("smove", 4, W | F, 1, 2, 1, kvcmd_smove, "set",
        "Move a member from one set to another", "1.0.0", "O(1)"),
    ROW("spop", -2, W | F | RND, 1, 1, 1, kvcmd_spop, "set",
        "Remove and return one or multiple random members from a set", "1.0.0",
        "Without the count argument O(1), otherwise O(N) where N is the value of the "
        "passed count."),
    ROW("srandmember", -2, R | RND, 1, 1, 1, kvcmd_srandmember, "set",
        "Get one or multiple random members from a set", "1.0.0",
        "Without the count argument O(1), otherwise O(N) where N is the absolute "
        "value of the passed count."),
    ROW("srem", -3, W | F, 1, 1, 1, kvcmd_srem, "set",
        "Remove one or more members from a set", "1.0.0",
        "O(N) where N is the number of members to be removed."),
    ROW("sscan", -3, R | RND, 1, 1, 1, kvcmd_sscan, "set",
        "Incrementally iterate Set elements", "2.8.0",
        "O(1) for every call. O(N) for a complete iteration, including enough command "
        "calls for the cursor to return back to 0. N is the number of elements inside "
        "the collection.."),
    ROW("sunion", -2, R, 1, -1, 1, kvcmd_sunion, "set", "Add multiple sets", "1.0.0",
        UNION_CX),
    ROW("sunionstore", -3, W | D, 1, -1, 1, kvcmd_sunionstore, "set",
        "Add multiple sets and store the resulting set in a key", "1.0.0", UNION_CX),
    END,
};
