/* kv/t_zset.h - the sorted set type: its kv_type_ops (registered in
 * kv/types.c) and the handlers of its commands (rows in cmd/rows_zset.c).
 *
 * Encodings, as Redis 7.0: "listpack" (member, score, member, score...
 * sorted by score then member, in one kv_lp) while the set has at most
 * zset-max-listpack-entries members of at most zset-max-listpack-value
 * bytes; "skiplist" (kv/zskiplist.h) beyond. Values never convert back on
 * removal; stored results (ZRANGESTORE, Z*STORE) get the compact encoding
 * when they fit, as Redis gives them.
 *
 * May call: base/, kv/ (keyspace, listpack, skiplist, other types through
 * kv_type_ops only). Must never: do I/O, read clocks, draw unseeded random
 * numbers. */
#ifndef POLIS_KV_T_ZSET_H
#define POLIS_KV_T_ZSET_H

#include "cmd/cmd.h"
#include "kv/type.h"

extern const kv_type_ops kv_zset_ops;

/* Longest reply ZRANDMEMBER with a negative count may produce: Redis would
 * build any size (and run out of memory for absurd counts); polis refuses
 * counts beyond this (on an existing key) with "ERR value is out of range,
 * value must between -16777216 and 9223372036854775807", as SRANDMEMBER. */
#define ZSET_RANDMEMBER_REPEAT_MAX (1u << 24)

cmd_proc kvcmd_zadd, kvcmd_zincrby, kvcmd_zrem, kvcmd_zscore, kvcmd_zmscore, kvcmd_zcard,
    kvcmd_zcount, kvcmd_zlexcount, kvcmd_zrange, kvcmd_zrangestore, kvcmd_zrevrange,
    kvcmd_zrangebyscore, kvcmd_zrevrangebyscore, kvcmd_zrangebylex, kvcmd_zrevrangebylex,
    kvcmd_zrank, kvcmd_zrevrank, kvcmd_zpopmin, kvcmd_zpopmax, kvcmd_bzpopmin,
    kvcmd_bzpopmax, kvcmd_zmpop, kvcmd_bzmpop, kvcmd_zrandmember, kvcmd_zunionstore,
    kvcmd_zinterstore, kvcmd_zdiffstore, kvcmd_zunion, kvcmd_zinter, kvcmd_zdiff,
    kvcmd_zintercard, kvcmd_zremrangebyrank, kvcmd_zremrangebyscore, kvcmd_zremrangebylex,
    kvcmd_zscan;

/* The command rows (cmd/rows_zset.c), appended to the table at start-up. */
extern cmd_def cmd_rows_zset[];

#endif
