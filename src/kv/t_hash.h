/* kv/t_hash.h - the hash type: field -> value maps (HSET, HGET, HSCAN...).
 *
 * Owns: the values of hash keys in their two encodings, "listpack" (field,
 * value, field, value... in one kv_lp) and "hashtable" (a base/dict of
 * intrusive nodes carrying field and value bytes inline), and the
 * conversion between them at Redis 7.0's thresholds (cmd_limits).
 * May call: base/, kv/ (keyspace, listpack), resp/ through cmd_ctx.
 * Must never: read clocks or draw unseeded random numbers (HRANDFIELD uses
 * cmd_ctx.rand_seed; tables are seeded from kv_keyspace.hash_seed). */
#ifndef POLIS_KV_T_HASH_H
#define POLIS_KV_T_HASH_H

#include "cmd/cmd.h"
#include "kv/type.h"

extern const kv_type_ops kv_hash_ops;

/* The hash commands' rows, appended to the command table (cmd/table.c). */
extern cmd_def cmd_rows_hash[];

cmd_proc kvcmd_hset, kvcmd_hmset, kvcmd_hsetnx, kvcmd_hget, kvcmd_hmget, kvcmd_hdel,
    kvcmd_hexists, kvcmd_hlen, kvcmd_hstrlen, kvcmd_hkeys, kvcmd_hvals, kvcmd_hgetall,
    kvcmd_hincrby, kvcmd_hincrbyfloat, kvcmd_hrandfield, kvcmd_hscan;

#endif
