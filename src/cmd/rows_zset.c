/* cmd/rows_zset.c - the sorted set commands (handlers in kv/t_zset.c).
 *
 * Arity, flags and key positions as Redis 7.0's COMMAND INFO. ZUNION,
 * ZINTER, ZDIFF, ZINTERCARD, ZMPOP and BZMPOP find their keys after a count
 * (ROWK: movable keys, first/last/step 0 as Redis reports them); the *STORE
 * forms report their destination as first/last key as Redis does (1 1 1)
 * and find the sources after the count too (ROWSK). */
#include "cmd/rows.h"
#include "kv/t_zset.h"

#define NS CMD_NOSCRIPT
#define BL CMD_BLOCKING
/* A destination at 1, then numkeys and the keys (ZUNIONSTORE and friends). */
#define ROWSK(name, arity, flags, proc, group, summary, since, cx)                       \
    {                                                                                    \
        name, arity, flags, 1, 1, 1, proc, group, summary, since, cx, NULL, NULL, "",    \
            {0}, cmd_keys_destination_numkeys                                            \
    }
#define G    "sorted-set"
#define LOGN "O(log(N)) with N being the number of elements in the sorted set."
#define RANGE_CX                                                                         \
    "O(log(N)+M) with N being the number of elements in the sorted set and M the "       \
    "number "                                                                            \
    "of elements being returned. If M is constant (e.g. always asking for the first 10 " \
    "elements with LIMIT), you can consider it O(log(N))."
#define REMRANGE_CX                                                                      \
    "O(log(N)+M) with N being the number of elements in the sorted set and M the "       \
    "number "                                                                            \
    "of elements removed by the operation."
#define POP_CX                                                                           \
    "O(log(N)*M) with N being the number of elements in the sorted set, and M being "    \
    "the "                                                                               \
    "number of elements popped."
#define MPOP_CX                                                                          \
    "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "  \
    "elements in the sorted set, and M being the number of elements popped."
#define UNION_CX                                                                         \
    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and "  \
    "M "                                                                                 \
    "being the number of elements in the resulting sorted set."
/* ZUNIONSTORE's text differs from ZUNION's by one character in Redis 7.0. */
#define UNIONSTORE_CX                                                                    \
    "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and "  \
    "M "                                                                                 \
    "being the number of elements in the resulting sorted set."
#define INTER_CX                                                                         \
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being " \
    "the number of input sorted sets and M being the number of elements in the "         \
    "resulting sorted set."
#define DIFF_CX                                                                          \
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the "  \
    "sets, N is the size of the first set, and K is the size of the result set."

cmd_def cmd_rows_zset[] = {
    ROW("zadd", -4, W | D | F, 1, 1, 1, kvcmd_zadd, G,
        "Add one or more members to a sorted set, or update its score if it already "
        "exists",
        "1.2.0",
        "O(log(N)) for each item added, where N is the number of elements in the sorted "
        "set."),
    ROW("zcard", 2, R | F, 1, 1, 1, kvcmd_zcard, G,
        "Get the number of members in a sorted set", "1.2.0", "O(1)"),
    ROW("zcount", 4, R | F, 1, 1, 1, kvcmd_zcount, G,
        "Count the members in a sorted set with scores within the given values", "2.0.0",
        LOGN),
    ROWK("zdiff", -3, R, cmd_keys_numkeys_at_1, kvcmd_zdiff, G,
         "Subtract multiple sorted sets", "6.2.0", DIFF_CX),
    ROWSK("zdiffstore", -4, W | D, kvcmd_zdiffstore, G,
          "Subtract multiple sorted sets and store the resulting sorted set in a new key",
          "6.2.0", DIFF_CX),
    ROW("zincrby", 4, W | D | F, 1, 1, 1, kvcmd_zincrby, G,
        "Increment the score of a member in a sorted set", "1.2.0",
        "O(log(N)) where N is the number of elements in the sorted set."),
    ROWK("zinter", -3, R, cmd_keys_numkeys_at_1, kvcmd_zinter, G,
         "Intersect multiple sorted sets", "6.2.0", INTER_CX),
    ROWK("zintercard", -3, R, cmd_keys_numkeys_at_1, kvcmd_zintercard, G,
         "Intersect multiple sorted sets and return the cardinality of the result",
         "7.0.0",
         "O(N*K) worst case with N being the smallest input sorted set, K being the "
         "number "
         "of input sorted sets."),
    ROWSK(
        "zinterstore", -4, W | D, kvcmd_zinterstore, G,
        "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        "2.0.0", INTER_CX),
    ROW("zlexcount", 4, R | F, 1, 1, 1, kvcmd_zlexcount, G,
        "Count the number of members in a sorted set between a given lexicographical "
        "range",
        "2.8.9", LOGN),
    ROWK("zmpop", -4, W, cmd_keys_numkeys_at_1, kvcmd_zmpop, G,
         "Remove and return members with scores in a sorted set", "7.0.0", MPOP_CX),
    ROW("zmscore", -3, R | F, 1, 1, 1, kvcmd_zmscore, G,
        "Get the score associated with the given members in a sorted set", "6.2.0",
        "O(N) where N is the number of members being requested."),
    ROW("zpopmax", -2, W | F, 1, 1, 1, kvcmd_zpopmax, G,
        "Remove and return members with the highest scores in a sorted set", "5.0.0",
        POP_CX),
    ROW("zpopmin", -2, W | F, 1, 1, 1, kvcmd_zpopmin, G,
        "Remove and return members with the lowest scores in a sorted set", "5.0.0",
        POP_CX),
    ROW("zrandmember", -2, R | CMD_RANDOM, 1, 1, 1, kvcmd_zrandmember, G,
        "Get one or multiple random elements from a sorted set", "6.2.0",
        "O(N) where N is the number of elements returned"),
    ROW("zrange", -4, R, 1, 1, 1, kvcmd_zrange, G,
        "Return a range of members in a sorted set", "1.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the "
        "number "
        "of elements returned."),
    ROW("zrangebylex", -4, R, 1, 1, 1, kvcmd_zrangebylex, G,
        "Return a range of members in a sorted set, by lexicographical range", "2.8.9",
        RANGE_CX),
    ROW("zrangebyscore", -4, R, 1, 1, 1, kvcmd_zrangebyscore, G,
        "Return a range of members in a sorted set, by score", "1.0.5", RANGE_CX),
    ROW("zrangestore", -5, W | D, 1, 2, 1, kvcmd_zrangestore, G,
        "Store a range of members from sorted set into another key", "6.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the "
        "number "
        "of elements stored into the destination key."),
    ROW("zrank", 3, R | F, 1, 1, 1, kvcmd_zrank, G,
        "Determine the index of a member in a sorted set", "2.0.0", "O(log(N))"),
    ROW("zrem", -3, W | F, 1, 1, 1, kvcmd_zrem, G,
        "Remove one or more members from a sorted set", "1.2.0",
        "O(M*log(N)) with N being the number of elements in the sorted set and M the "
        "number "
        "of elements to be removed."),
    ROW("zremrangebylex", 4, W, 1, 1, 1, kvcmd_zremrangebylex, G,
        "Remove all members in a sorted set between the given lexicographical range",
        "2.8.9", REMRANGE_CX),
    ROW("zremrangebyrank", 4, W, 1, 1, 1, kvcmd_zremrangebyrank, G,
        "Remove all members in a sorted set within the given indexes", "2.0.0",
        REMRANGE_CX),
    ROW("zremrangebyscore", 4, W, 1, 1, 1, kvcmd_zremrangebyscore, G,
        "Remove all members in a sorted set within the given scores", "1.2.0",
        REMRANGE_CX),
    ROW("zrevrange", -4, R, 1, 1, 1, kvcmd_zrevrange, G,
        "Return a range of members in a sorted set, by index, with scores ordered from "
        "high "
        "to low",
        "1.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the "
        "number "
        "of elements returned."),
    ROW("zrevrangebylex", -4, R, 1, 1, 1, kvcmd_zrevrangebylex, G,
        "Return a range of members in a sorted set, by lexicographical range, ordered "
        "from "
        "higher to lower strings.",
        "2.8.9", RANGE_CX),
    ROW("zrevrangebyscore", -4, R, 1, 1, 1, kvcmd_zrevrangebyscore, G,
        "Return a range of members in a sorted set, by score, with scores ordered from "
        "high "
        "to low",
        "2.2.0", RANGE_CX),
    ROW("zrevrank", 3, R | F, 1, 1, 1, kvcmd_zrevrank, G,
        "Determine the index of a member in a sorted set, with scores ordered from high "
        "to "
        "low",
        "2.0.0", "O(log(N))"),
    ROW("zscan", -3, R | CMD_RANDOM, 1, 1, 1, kvcmd_zscan, G,
        "Incrementally iterate sorted sets elements and associated scores", "2.8.0",
        "O(1) for every call. O(N) for a complete iteration, including enough command "
        "calls "
        "for the cursor to return back to 0. N is the number of elements inside the "
        "collection.."),
    ROW("zscore", 3, R | F, 1, 1, 1, kvcmd_zscore, G,
        "Get the score associated with the given member in a sorted set", "1.2.0",
        "O(1)"),
    ROWK("zunion", -3, R, cmd_keys_numkeys_at_1, kvcmd_zunion, G,
         "Add multiple sorted sets", "6.2.0", UNION_CX),
    ROWSK("zunionstore", -4, W | D, kvcmd_zunionstore, G,
          "Add multiple sorted sets and store the resulting sorted set in a new key",
          "2.0.0", UNIONSTORE_CX),
    ROWK("bzmpop", -5, W | BL, cmd_keys_numkeys_at_2, kvcmd_bzmpop, G,
         "Remove and return members with scores in a sorted set or block until one is "
         "available",
         "7.0.0", MPOP_CX),
    ROW("bzpopmax", -3, W | NS | BL | F, 1, -2, 1, kvcmd_bzpopmax, G,
        "Remove and return the member with the highest score from one or more sorted "
        "sets, "
        "or block until one is available",
        "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."),
    ROW("bzpopmin", -3, W | NS | BL | F, 1, -2, 1, kvcmd_bzpopmin, G,
        "Remove and return the member with the lowest score from one or more sorted "
        "sets, "
        "or block until one is available",
        "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."),
    END,
};
