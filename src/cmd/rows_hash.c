/* cmd/rows_hash.c - the hash commands' rows: arity, flags and key positions
 * as Redis 7.0.15's COMMAND INFO, documentation as its COMMAND DOCS.
 * HRANDFIELD and HSCAN are CMD_RANDOM (Redis 7.0 tips them
 * "nondeterministic_output"), as SCAN and RANDOMKEY are here. */
#include "cmd/rows.h"
#include "kv/t_hash.h"

cmd_def cmd_rows_hash[] = {
    ROW("hdel", -3, W | F, 1, 1, 1, kvcmd_hdel, "hash", "Delete one or more hash fields",
        "2.0.0", "O(N) where N is the number of fields to be removed."),
    ROW("hexists", 3, R | F, 1, 1, 1, kvcmd_hexists, "hash",
        "Determine if a hash field exists", "2.0.0", "O(1)"),
    ROW("hget", 3, R | F, 1, 1, 1, kvcmd_hget, "hash", "Get the value of a hash field",
        "2.0.0", "O(1)"),
    ROW("hgetall", 2, R, 1, 1, 1, kvcmd_hgetall, "hash",
        "Get all the fields and values in a hash", "2.0.0",
        "O(N) where N is the size of the hash."),
    ROW("hincrby", 4, W | D | F, 1, 1, 1, kvcmd_hincrby, "hash",
        "Increment the integer value of a hash field by the given number", "2.0.0",
        "O(1)"),
    ROW("hincrbyfloat", 4, W | D | F, 1, 1, 1, kvcmd_hincrbyfloat, "hash",
        "Increment the float value of a hash field by the given amount", "2.6.0", "O(1)"),
    ROW("hkeys", 2, R, 1, 1, 1, kvcmd_hkeys, "hash", "Get all the fields in a hash",
        "2.0.0", "O(N) where N is the size of the hash."),
    ROW("hlen", 2, R | F, 1, 1, 1, kvcmd_hlen, "hash",
        "Get the number of fields in a hash", "2.0.0", "O(1)"),
    ROW("hmget", -3, R | F, 1, 1, 1, kvcmd_hmget, "hash",
        "Get the values of all the given hash fields", "2.0.0",
        "O(N) where N is the number of fields being requested."),
    ROW("hmset", -4, W | D | F, 1, 1, 1, kvcmd_hmset, "hash",
        "Set multiple hash fields to multiple values", "2.0.0",
        "O(N) where N is the number of fields being set."),
    ROW("hrandfield", -2, R | CMD_RANDOM, 1, 1, 1, kvcmd_hrandfield, "hash",
        "Get one or multiple random fields from a hash", "6.2.0",
        "O(N) where N is the number of fields returned"),
    ROW("hscan", -3, R | CMD_RANDOM, 1, 1, 1, kvcmd_hscan, "hash",
        "Incrementally iterate hash fields and associated values", "2.8.0",
        "O(1) for every call. O(N) for a complete iteration, including enough command "
        "calls "
        "for the cursor to return back to 0. N is the number of elements inside the "
        "collection.."),
    ROW("hset", -4, W | D | F, 1, 1, 1, kvcmd_hset, "hash",
        "Set the string value of a hash field", "2.0.0",
        "O(1) for each field/value pair added, so O(N) to add N field/value pairs when "
        "the "
        "command is called with multiple field/value pairs."),
    ROW("hsetnx", 4, W | D | F, 1, 1, 1, kvcmd_hsetnx, "hash",
        "Set the value of a hash field, only if the field does not exist", "2.0.0",
        "O(1)"),
    ROW("hstrlen", 3, R | F, 1, 1, 1, kvcmd_hstrlen, "hash",
        "Get the length of the value of a hash field", "3.2.0", "O(1)"),
    ROW("hvals", 2, R, 1, 1, 1, kvcmd_hvals, "hash", "Get all the values in a hash",
        "2.0.0", "O(N) where N is the size of the hash."),
    END,
};
