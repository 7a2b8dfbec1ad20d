/* kv/t_set.h - the set type: its command handlers, its command rows and its
 * kv_type_ops (kv/type.h).
 *
 * Owns: set values, in Redis 7.0's two encodings: "intset" (kv/intset.h)
 * while every member is an integer in canonical form and there are at most
 * set-max-intset-entries of them, else "hashtable" (a base/dict of
 * intrusive member nodes). Other types read sets only through
 * kv_set_ops.length and .foreach.
 * May call: base/, kv/, resp/. Must never: read clocks, draw randomness
 * other than from cmd_ctx.rand_seed, do I/O. */
#ifndef POLIS_KV_T_SET_H
#define POLIS_KV_T_SET_H

#include "cmd/cmd.h"
#include "kv/type.h"

extern const kv_type_ops kv_set_ops;
/* The rows of the set commands (cmd/rows_set.c), appended to the command
 * table at start-up. */
extern cmd_def cmd_rows_set[];

cmd_proc kvcmd_sadd, kvcmd_srem, kvcmd_smembers, kvcmd_sismember, kvcmd_smismember,
    kvcmd_scard, kvcmd_spop, kvcmd_srandmember, kvcmd_smove, kvcmd_sinter,
    kvcmd_sintercard, kvcmd_sunion, kvcmd_sdiff, kvcmd_sinterstore, kvcmd_sunionstore,
    kvcmd_sdiffstore, kvcmd_sscan;

#endif
