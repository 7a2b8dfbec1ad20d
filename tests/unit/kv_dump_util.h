/* tests/unit/kv_dump_util.h - keyspace dumps in memory, for the tests of
 * kv_dump/kv_load and of the value types' dump formats. */
#ifndef POLIS_TESTS_UNIT_KV_DUMP_UTIL_H
#define POLIS_TESTS_UNIT_KV_DUMP_UTIL_H

#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "kv/kv.h"

/* kv_write_fn appending to a buf. */
static inline int to_buf(void *priv, const void *data, size_t len)
{
    buf_append(priv, data, len);
    return 0;
}

/* A dump being read back. */
typedef struct source {
    const char *data;
    size_t len, off;
} source;

/* kv_read_fn over a source: a short read is corruption. */
static inline int from_source(void *priv, void *data, size_t len)
{
    source *s = priv;
    if (s->len - s->off < len) return POLIS_ECORRUPT;
    memcpy(data, s->data + s->off, len);
    s->off += len;
    return 0;
}

/* Loads `len` bytes of dump into ks; kv_load's result. */
static inline int load_dump(kv_keyspace *ks, const void *data, size_t len)
{
    source s = {data, len, 0};
    return kv_load(ks, from_source, &s);
}

#endif
