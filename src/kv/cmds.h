/* kv/cmds.h - handlers of the data commands, named by the table in cmd/.
 * Each is a pure function of its cmd_ctx (see kv/kv.h). */
#ifndef POLIS_KV_CMDS_H
#define POLIS_KV_CMDS_H

#include "cmd/cmd.h"

/* t_string.c */
cmd_proc kvcmd_get, kvcmd_set, kvcmd_setnx, kvcmd_setex, kvcmd_psetex, kvcmd_getset,
    kvcmd_getdel, kvcmd_getex, kvcmd_mget, kvcmd_mset, kvcmd_msetnx, kvcmd_incr,
    kvcmd_decr, kvcmd_incrby, kvcmd_decrby, kvcmd_incrbyfloat, kvcmd_append,
    kvcmd_strlen, kvcmd_getrange, kvcmd_setrange;

/* keys.c */
cmd_proc kvcmd_del, kvcmd_exists, kvcmd_type, kvcmd_rename, kvcmd_renamenx,
    kvcmd_keys, kvcmd_scan, kvcmd_randomkey, kvcmd_dbsize, kvcmd_flushdb,
    kvcmd_object_encoding, kvcmd_object_refcount, kvcmd_object_idletime,
    kvcmd_object_freq, kvcmd_touch, kvcmd_digest, kvcmd_memory_usage,
    kvcmd_cluster_countkeysinslot, kvcmd_cluster_getkeysinslot;

/* expire.c */
cmd_proc kvcmd_expire, kvcmd_pexpire, kvcmd_expireat, kvcmd_pexpireat, kvcmd_ttl,
    kvcmd_pttl, kvcmd_expiretime, kvcmd_pexpiretime, kvcmd_persist;

#endif
