#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/util.h"
#include "kv/kv.h"
#include "kv/type.h"

static kv_obj *obj_alloc(const char *key, size_t key_len, size_t inline_len)
{
    PASSERT(key_len <= UINT32_MAX);
    PASSERT(inline_len <= KV_EMBSTR_BYTES_MAX);
    kv_obj *o = mem_alloc(sizeof *o + key_len + inline_len);
    o->node.next = NULL;
    o->revision = 0;
    o->key_len = (uint32_t)key_len;
    o->volatile_index = KV_VOLATILE_NONE;
    o->type = KV_STRING;
    o->encoding = KV_ENC_RAW;
    o->flags = 0;
    o->access_clock = 0;
    o->inline_len = (uint32_t)inline_len & 0xffu;
    o->v.ptr = NULL;
    memcpy(o->data, key, key_len);
    return o;
}

kv_obj *kv_obj_new_int(const char *key, size_t key_len, int64_t v)
{
    kv_obj *o = obj_alloc(key, key_len, 0);
    o->encoding = KV_ENC_INT;
    o->v.i = v;
    return o;
}

kv_obj *kv_obj_new_raw(const char *key, size_t key_len, const char *val, size_t val_len,
                       size_t cap)
{
    if (cap < val_len) cap = val_len;
    kv_obj *o = obj_alloc(key, key_len, 0);
    o->encoding = KV_ENC_RAW;
    o->v.raw = mem_alloc(sizeof(kv_raw) + cap);
    o->v.raw->len = val_len;
    o->v.raw->cap = cap;
    if (val_len) memcpy(o->v.raw->data, val, val_len);
    return o;
}

kv_obj *kv_obj_new_plain(const char *key, size_t key_len, const char *val,
                         size_t val_len)
{
    if (val_len <= KV_EMBSTR_BYTES_MAX) {
        kv_obj *o = obj_alloc(key, key_len, val_len);
        o->encoding = KV_ENC_EMBSTR;
        if (val_len) memcpy(o->data + key_len, val, val_len);
        return o;
    }
    return kv_obj_new_raw(key, key_len, val, val_len, val_len);
}

/* Redis's tryObjectEncoding: canonical integers (up to 20 chars) become
 * "int", other strings up to 44 bytes "embstr", the rest "raw". */
kv_obj *kv_obj_new_string(const char *key, size_t key_len, const char *val,
                          size_t val_len)
{
    int64_t iv;
    if (val_len <= 20 && str_to_i64(val, val_len, &iv))
        return kv_obj_new_int(key, key_len, iv);
    return kv_obj_new_plain(key, key_len, val, val_len);
}

kv_obj *kv_obj_new_value(const char *key, size_t key_len, uint8_t type, uint8_t encoding,
                         void *value)
{
    PASSERT(type != KV_STRING && type < KV_TYPE_COUNT);
    PASSERT(encoding >= KV_ENC_HASHTABLE && encoding < KV_ENC_COUNT);
    kv_obj *o = obj_alloc(key, key_len, 0);
    o->type = type;
    o->encoding = encoding;
    o->v.ptr = value;
    return o;
}

static void obj_free_value(kv_obj *o)
{
    if (o->type == KV_STRING) {
        if (o->encoding == KV_ENC_RAW) mem_free(o->v.raw);
        return;
    }
    const kv_type_ops *ops = kv_type_ops_of(o->type);
    PASSERT(ops != NULL);
    if (o->v.ptr != NULL) ops->free_value(o);
}

void kv_obj_free(kv_obj *o)
{
    if (o == NULL) return;
    obj_free_value(o);
    mem_free(o);
}

size_t kv_obj_bytes(const kv_obj *o)
{
    size_t bytes = mem_usable(o);
    if (o->type == KV_STRING) {
        if (o->encoding == KV_ENC_RAW) bytes += mem_usable(o->v.raw);
    } else if (o->v.ptr != NULL) {
        bytes += kv_type_ops_of(o->type)->value_bytes(o);
    }
    return bytes;
}

const char *kv_string_bytes(const kv_obj *o, char *tmp, size_t *len)
{
    PASSERT(o->type == KV_STRING);
    switch (o->encoding) {
    case KV_ENC_INT:
        *len = fmt_i64(tmp, o->v.i);
        return tmp;
    case KV_ENC_EMBSTR:
        *len = o->inline_len;
        return o->data + o->key_len;
    default:
        *len = o->v.raw->len;
        return o->v.raw->data;
    }
}

const char *kv_type_name(int type)
{
    static const char *const names[] = {"string", "list", "set", "zset", "hash", "stream"};
    PASSERT(type >= 0 && type <= KV_STREAM);
    return names[type];
}

const char *kv_encoding_name(const kv_obj *o)
{
    static const char *const names[KV_ENC_COUNT] = {
        "int", "embstr", "raw", "hashtable", "listpack", "quicklist", "intset", "skiplist",
    };
    PASSERT(o->encoding < KV_ENC_COUNT);
    return names[o->encoding];
}

kv_obj *kv_rename(kv_keyspace *ks, kv_obj *o, const char *key, size_t len)
{
    PASSERT(kv_lookup_any(ks, key, len) == NULL);
    kv_obj *fresh = obj_alloc(key, len, o->inline_len);
    fresh->revision = o->revision;
    fresh->type = o->type;
    fresh->encoding = o->encoding;
    fresh->flags = o->flags;
    fresh->access_clock = o->access_clock;
    fresh->v = o->v;
    memcpy(fresh->data + len, o->data + o->key_len, o->inline_len);
    int64_t expire_at = kv_obj_expire_at(ks, o);
    /* The value now belongs to `fresh`: detach it before deleting `o`. */
    o->type = KV_STRING;
    o->encoding = KV_ENC_INT;
    kv_delete(ks, o->data, o->key_len);
    kv_insert(ks, fresh);
    if (expire_at != KV_NO_EXPIRE) kv_set_expire(ks, fresh, expire_at);
    return fresh;
}
