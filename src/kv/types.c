/* kv/types.c - the registry of value types (kv/type.h). Strings are not in
 * it: their values live inside the object and the keyspace handles them
 * directly. */
#include "kv/type.h"

#include <stddef.h>

#include "base/siphash.h"
#include "kv/t_hash.h"
#include "kv/t_list.h"
#include "kv/t_set.h"
#include "kv/t_zset.h"

static const kv_type_ops *const registry[KV_TYPE_COUNT] = {
    [KV_STRING] = NULL,       [KV_LIST] = &kv_list_ops, [KV_SET] = &kv_set_ops,
    [KV_ZSET] = &kv_zset_ops, [KV_HASH] = &kv_hash_ops,
};

const kv_type_ops *kv_type_ops_of(int type)
{
    if (type < 0 || type >= KV_TYPE_COUNT) return NULL;
    return registry[type];
}

uint64_t kv_digest_bytes(const void *p, size_t len)
{
    static const uint8_t key[16] = "polis-kv-values";
    return siphash13(p, len, key);
}
