/* cmd/rows_list.c - the list commands' rows (notation: cmd/rows.h). Arity,
 * flags, key positions, summaries and complexities as Redis 7.0.15's
 * COMMAND INFO and COMMAND DOCS report them. */
#include "cmd/rows.h"
#include "kv/t_list.h"

#define B  CMD_BLOCKING
#define NS CMD_NOSCRIPT
#define PUSH_CX                                                                          \
    "O(1) for each element added, so O(N) to add N elements when the command is called " \
    "with multiple arguments."

cmd_def cmd_rows_list[] = {
    ROW("blmove", 6, W | D | NS | B, 1, 2, 1, kvcmd_blmove, "list",
        "Pop an element from a list, push it to another list and return it; or block "
        "until one is available",
        "6.2.0", "O(1)"),
    ROWK("blmpop", -5, W | B, cmd_keys_numkeys_at_2, kvcmd_blmpop, "list",
         "Pop elements from a list, or block until one is available", "7.0.0",
         "O(N+M) where N is the number of provided keys and M is the number of elements "
         "returned."),
    ROW("blpop", -3, W | NS | B, 1, -2, 1, kvcmd_blpop, "list",
        "Remove and get the first element in a list, or block until one is available",
        "2.0.0", "O(N) where N is the number of provided keys."),
    ROW("brpop", -3, W | NS | B, 1, -2, 1, kvcmd_brpop, "list",
        "Remove and get the last element in a list, or block until one is available",
        "2.0.0", "O(N) where N is the number of provided keys."),
    ROW("brpoplpush", 4, W | D | NS | B, 1, 2, 1, kvcmd_brpoplpush, "list",
        "Pop an element from a list, push it to another list and return it; or block "
        "until one is available",
        "2.2.0", "O(1)"),
    ROW("lindex", 3, R, 1, 1, 1, kvcmd_lindex, "list",
        "Get an element from a list by its index", "1.0.0",
        "O(N) where N is the number of elements to traverse to get to the element at "
        "index. This makes asking for the first or the last element of the list O(1)."),
    ROW("linsert", 5, W | D, 1, 1, 1, kvcmd_linsert, "list",
        "Insert an element before or after another element in a list", "2.2.0",
        "O(N) where N is the number of elements to traverse before seeing the value "
        "pivot. This means that inserting somewhere on the left end on the list (head) "
        "can be considered O(1) and inserting somewhere on the right end (tail) is "
        "O(N)."),
    ROW("llen", 2, R | F, 1, 1, 1, kvcmd_llen, "list", "Get the length of a list",
        "1.0.0", "O(1)"),
    ROW("lmove", 5, W | D, 1, 2, 1, kvcmd_lmove, "list",
        "Pop an element from a list, push it to another list and return it", "6.2.0",
        "O(1)"),
    ROWK("lmpop", -4, W, cmd_keys_numkeys_at_1, kvcmd_lmpop, "list",
         "Pop elements from a list", "7.0.0",
         "O(N+M) where N is the number of provided keys and M is the number of elements "
         "returned."),
    ROW("lpop", -2, W | F, 1, 1, 1, kvcmd_lpop, "list",
        "Remove and get the first elements in a list", "1.0.0",
        "O(N) where N is the number of elements returned"),
    ROW("lpos", -3, R, 1, 1, 1, kvcmd_lpos, "list",
        "Return the index of matching elements on a list", "6.0.6",
        "O(N) where N is the number of elements in the list, for the average case. When "
        "searching for elements near the head or the tail of the list, or when the "
        "MAXLEN "
        "option is provided, the command may run in constant time."),
    ROW("lpush", -3, W | D | F, 1, 1, 1, kvcmd_lpush, "list",
        "Prepend one or multiple elements to a list", "1.0.0", PUSH_CX),
    ROW("lpushx", -3, W | D | F, 1, 1, 1, kvcmd_lpushx, "list",
        "Prepend an element to a list, only if the list exists", "2.2.0", PUSH_CX),
    ROW("lrange", 4, R, 1, 1, 1, kvcmd_lrange, "list",
        "Get a range of elements from a list", "1.0.0",
        "O(S+N) where S is the distance of start offset from HEAD for small lists, from "
        "nearest end (HEAD or TAIL) for large lists; and N is the number of elements in "
        "the specified range."),
    ROW("lrem", 4, W, 1, 1, 1, kvcmd_lrem, "list", "Remove elements from a list", "1.0.0",
        "O(N+M) where N is the length of the list and M is the number of elements "
        "removed."),
    ROW("lset", 4, W | D, 1, 1, 1, kvcmd_lset, "list",
        "Set the value of an element in a list by its index", "1.0.0",
        "O(N) where N is the length of the list. Setting either the first or the last "
        "element of the list is O(1)."),
    ROW("ltrim", 4, W, 1, 1, 1, kvcmd_ltrim, "list", "Trim a list to the specified range",
        "1.0.0",
        "O(N) where N is the number of elements to be removed by the operation."),
    ROW("rpop", -2, W | F, 1, 1, 1, kvcmd_rpop, "list",
        "Remove and get the last elements in a list", "1.0.0",
        "O(N) where N is the number of elements returned"),
    ROW("rpoplpush", 3, W | D, 1, 2, 1, kvcmd_rpoplpush, "list",
        "Remove the last element in a list, prepend it to another list and return it",
        "1.2.0", "O(1)"),
    ROW("rpush", -3, W | D | F, 1, 1, 1, kvcmd_rpush, "list",
        "Append one or multiple elements to a list", "1.0.0", PUSH_CX),
    ROW("rpushx", -3, W | D | F, 1, 1, 1, kvcmd_rpushx, "list",
        "Append an element to a list, only if the list exists", "2.2.0", PUSH_CX),
    END,
};
