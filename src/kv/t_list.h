/* kv/t_list.h - the list type: its commands (Redis 7.0 semantics and
 * replies), its kv_type_ops and its command rows (cmd/rows_list.c).
 *
 * Values are quicklists (kv/quicklist.h), OBJECT ENCODING "quicklist".
 * Handlers are pure functions of their cmd_ctx (kv/kv.h); the blocking ones
 * follow the contract of cmd_ctx.block (cmd/cmd.h): serve at once if a key
 * has elements, else reply "nothing" when timed out or not allowed to
 * block, else ask the server to park the client.
 *
 * May call: base/, kv/, cmd/ (context and reply helpers). Must never: do
 * I/O, read clocks. */
#ifndef POLIS_KV_T_LIST_H
#define POLIS_KV_T_LIST_H

#include "cmd/cmd.h"
#include "kv/type.h"

extern const kv_type_ops kv_list_ops;
extern cmd_def cmd_rows_list[];

cmd_proc kvcmd_lpush, kvcmd_rpush, kvcmd_lpushx, kvcmd_rpushx, kvcmd_lpop, kvcmd_rpop,
    kvcmd_llen, kvcmd_lrange, kvcmd_lindex, kvcmd_lset, kvcmd_linsert, kvcmd_lrem,
    kvcmd_ltrim, kvcmd_lpos, kvcmd_lmove, kvcmd_rpoplpush, kvcmd_lmpop, kvcmd_blpop,
    kvcmd_brpop, kvcmd_blmove, kvcmd_brpoplpush, kvcmd_blmpop;

#endif
