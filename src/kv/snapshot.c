/* kv/snapshot.c - keyspace dump and load (the state machine part of a Raft
 * snapshot), and an order-independent digest of a keyspace.
 *
 * Format (all integers little-endian; "varint" is unsigned LEB128):
 *
 *   magic     8 bytes   "PLSKV001"
 *   count     u64       number of key records that follow
 *   records   count x:
 *     type      u8      enum kv_type
 *     encoding  u8      enum kv_encoding, kept so that OBJECT ENCODING
 *                       agrees on every replica
 *     flags     u8      bit 0: has expiry
 *     key_len   varint, then key bytes
 *     revision  u64
 *     expire_at i64     only if flags bit 0 (unix ms)
 *     value     strings: int encoding: i64; embstr/raw: varint length, then
 *               bytes. Other types: written by the type (kv/type.h), the
 *               layout documented in its file (kv/t_<type>.c).
 *   end       8 bytes   "PLSKVEND"
 *
 * Every length is bounded before anything is allocated; a malformed dump is
 * refused with POLIS_ECORRUPT and the keyspace is left empty. Integrity of
 * the bytes themselves (CRC) is the snapshot store's job. */
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/siphash.h"
#include "base/varint.h"
#include "kv/kv.h"
#include "kv/listpack.h"
#include "kv/type.h"

#define DUMP_MAGIC     "PLSKV001"
#define DUMP_END       "PLSKVEND"
#define DUMP_BUF_BYTES (64u * 1024)
#define FLAG_EXPIRE    1u

typedef struct kv_dump_writer writer;
struct kv_dump_writer {
    kv_write_fn *write;
    void *priv;
    uint8_t buf[DUMP_BUF_BYTES];
    size_t len;
    int error;
};

static void w_flush(writer *w)
{
    if (w->len == 0 || w->error) return;
    w->error = w->write(w->priv, w->buf, w->len);
    w->len = 0;
}

static void w_bytes(writer *w, const void *p, size_t n)
{
    const uint8_t *src = p;
    while (n > 0 && !w->error) {
        if (w->len == DUMP_BUF_BYTES) w_flush(w);
        size_t take = DUMP_BUF_BYTES - w->len;
        if (take > n) take = n;
        memcpy(w->buf + w->len, src, take);
        w->len += take;
        src += take;
        n -= take;
    }
}

static void w_u64(writer *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    w_bytes(w, b, 8);
}

static void w_varint(writer *w, uint64_t v)
{
    uint8_t b[VARINT_BYTES_MAX];
    w_bytes(w, b, varint_encode(b, v));
}

void kvd_put_u8(kv_dump_writer *w, uint8_t v)
{
    w_bytes(w, &v, 1);
}

void kvd_put_u64(kv_dump_writer *w, uint64_t v)
{
    w_u64(w, v);
}

void kvd_put_varint(kv_dump_writer *w, uint64_t v)
{
    w_varint(w, v);
}

void kvd_put_double(kv_dump_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    w_u64(w, bits);
}

void kvd_put_str(kv_dump_writer *w, const void *p, size_t len)
{
    w_varint(w, len);
    w_bytes(w, p, len);
}

int kv_dump(const kv_keyspace *ks, kv_write_fn *write, void *priv)
{
    writer *w = mem_alloc(sizeof *w);
    w->write = write;
    w->priv = priv;
    w->len = 0;
    w->error = 0;
    w_bytes(w, DUMP_MAGIC, 8);
    w_u64(w, kv_size(ks));
    kv_iter it;
    kv_iter_start(&it, ks);
    const kv_obj *o;
    while ((o = kv_iter_next(&it)) != NULL && !w->error) {
        int64_t expire_at = kv_obj_expire_at(ks, o);
        uint8_t head[3] = {o->type, o->encoding,
                           (uint8_t)(expire_at != KV_NO_EXPIRE ? FLAG_EXPIRE : 0)};
        w_bytes(w, head, 3);
        w_varint(w, o->key_len);
        w_bytes(w, o->data, o->key_len);
        w_u64(w, o->revision);
        if (expire_at != KV_NO_EXPIRE) w_u64(w, (uint64_t)expire_at);
        if (o->type != KV_STRING) {
            kv_type_ops_of(o->type)->dump(o, w);
        } else if (o->encoding == KV_ENC_INT) {
            w_u64(w, (uint64_t)o->v.i);
        } else {
            char tmp[24];
            size_t len;
            const char *s = kv_string_bytes(o, tmp, &len);
            w_varint(w, len);
            w_bytes(w, s, len);
        }
    }
    kv_iter_end(&it);
    w_bytes(w, DUMP_END, 8);
    w_flush(w);
    int rv = w->error;
    mem_free(w);
    return rv;
}

/* ---- Load ------------------------------------------------------------- */

typedef struct kv_dump_reader reader;
struct kv_dump_reader {
    kv_read_fn *read;
    void *priv;
    int error;
    char *scratch; /* kvd_get_str's buffer */
    size_t scratch_cap;
};

static bool r_bytes(reader *r, void *p, size_t n)
{
    if (r->error) return false;
    if (n > 0 && r->read(r->priv, p, n) != 0) r->error = POLIS_ECORRUPT;
    return !r->error;
}

static bool r_u64(reader *r, uint64_t *v)
{
    uint8_t b[8];
    if (!r_bytes(r, b, 8)) return false;
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)b[i] << (8 * i);
    return true;
}

static bool r_varint(reader *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t byte;
        if (!r_bytes(r, &byte, 1)) return false;
        *v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return true;
    }
    r->error = POLIS_ECORRUPT;
    return false;
}

bool kvd_get_u8(kv_dump_reader *r, uint8_t *v)
{
    return r_bytes(r, v, 1);
}

bool kvd_get_u64(kv_dump_reader *r, uint64_t *v)
{
    return r_u64(r, v);
}

bool kvd_get_varint(kv_dump_reader *r, uint64_t *v)
{
    return r_varint(r, v);
}

bool kvd_get_double(kv_dump_reader *r, double *v)
{
    uint64_t bits;
    if (!r_u64(r, &bits)) return false;
    memcpy(v, &bits, sizeof *v);
    if (*v != *v) { /* NaN: never stored */
        r->error = POLIS_ECORRUPT;
        return false;
    }
    return true;
}

bool kvd_get_str(kv_dump_reader *r, const char **p, size_t *len, size_t max_len)
{
    uint64_t n;
    if (!r_varint(r, &n)) return false;
    if (n > max_len || n > KV_STRING_BYTES_MAX) {
        r->error = POLIS_ECORRUPT;
        return false;
    }
    if (n > r->scratch_cap) {
        r->scratch_cap = n;
        r->scratch = mem_realloc(r->scratch, n);
    }
    if (!r_bytes(r, r->scratch, n)) return false;
    *p = r->scratch;
    *len = n;
    return true;
}

kv_lp *kvd_get_pair_listpack(kv_dump_reader *r, size_t max_bytes,
                             bool (*valid)(const kv_lp *lp))
{
    uint64_t count;
    const char *p;
    size_t len;
    if (!kvd_get_varint(r, &count) || count == 0 || count % 2 != 0 ||
        count >= UINT32_MAX || !kvd_get_str(r, &p, &len, max_bytes))
        return NULL;
    kv_lp *lp = lp_from_bytes(p, len, (uint32_t)count);
    if (lp != NULL && !valid(lp)) {
        lp_free(lp);
        lp = NULL;
    }
    return lp;
}

void kvd_corrupt(kv_dump_reader *r)
{
    r->error = POLIS_ECORRUPT;
}

static kv_obj *load_record(kv_keyspace *ks, reader *r, char **scratch,
                           size_t *scratch_cap)
{
    uint8_t head[3];
    uint64_t key_len, revision, expire = 0, value_len = 0;
    if (!r_bytes(r, head, 3) || !r_varint(r, &key_len)) return NULL;
    bool string = head[0] == KV_STRING;
    if ((string ? head[1] > KV_ENC_RAW
                : kv_type_ops_of(head[0]) == NULL || head[1] < KV_ENC_HASHTABLE ||
                      head[1] >= KV_ENC_COUNT) ||
        (head[2] & ~FLAG_EXPIRE) || key_len > KV_STRING_BYTES_MAX) {
        r->error = POLIS_ECORRUPT;
        return NULL;
    }
    if (key_len > *scratch_cap) {
        *scratch_cap = key_len;
        *scratch = mem_realloc(*scratch, *scratch_cap);
    }
    char *key = *scratch;
    if (!r_bytes(r, key, key_len) || !r_u64(r, &revision)) return NULL;
    if ((head[2] & FLAG_EXPIRE) && !r_u64(r, &expire)) return NULL;
    if (kv_lookup_any(ks, key, key_len) != NULL) { /* duplicate key */
        r->error = POLIS_ECORRUPT;
        return NULL;
    }
    kv_obj *o;
    if (!string) {
        o = kv_obj_new_value(key, key_len, head[0], head[1], NULL);
        if (!kv_type_ops_of(head[0])->load(o, r) || r->error) {
            r->error = POLIS_ECORRUPT;
            kv_obj_free(o);
            return NULL;
        }
    } else if (head[1] == KV_ENC_INT) {
        uint64_t v;
        if (!r_u64(r, &v)) return NULL;
        o = kv_obj_new_int(key, key_len, (int64_t)v);
    } else {
        if (!r_varint(r, &value_len)) return NULL;
        if (value_len > KV_STRING_BYTES_MAX ||
            (head[1] == KV_ENC_EMBSTR && value_len > KV_EMBSTR_BYTES_MAX)) {
            r->error = POLIS_ECORRUPT;
            return NULL;
        }
        if (head[1] == KV_ENC_EMBSTR) {
            char value[KV_EMBSTR_BYTES_MAX];
            if (!r_bytes(r, value, value_len)) return NULL;
            o = kv_obj_new_plain(key, key_len, value, value_len);
        } else {
            o = kv_obj_new_raw(key, key_len, NULL, 0, value_len);
            if (!r_bytes(r, o->v.raw->data, value_len)) {
                kv_obj_free(o);
                return NULL;
            }
            o->v.raw->len = value_len;
        }
    }
    o->revision = revision;
    kv_insert(ks, o);
    if (head[2] & FLAG_EXPIRE) kv_set_expire(ks, o, (int64_t)expire);
    return o;
}

int kv_load(kv_keyspace *ks, kv_read_fn *read, void *priv)
{
    reader r = {read, priv, 0, NULL, 0};
    char magic[8];
    uint64_t count;
    kv_flush(ks);
    if (!r_bytes(&r, magic, 8) || memcmp(magic, DUMP_MAGIC, 8) != 0 || !r_u64(&r, &count))
        return POLIS_ECORRUPT;
    char *scratch = NULL;
    size_t scratch_cap = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (load_record(ks, &r, &scratch, &scratch_cap) == NULL) break;
    }
    mem_free(scratch);
    mem_free(r.scratch);
    char end[8];
    if (r.error || !r_bytes(&r, end, 8) || memcmp(end, DUMP_END, 8) != 0) {
        kv_flush(ks);
        return POLIS_ECORRUPT;
    }
    return 0;
}

/* ---- Digest ---------------------------------------------------------------- */

uint64_t kv_digest(const kv_keyspace *ks, int64_t now_ms)
{
    static const uint8_t key[16] = "polis-kv-digest";
    uint64_t digest = 0;
    kv_iter it;
    kv_iter_start(&it, ks);
    const kv_obj *o;
    while ((o = kv_iter_next(&it)) != NULL) {
        if (kv_obj_expired(ks, o, now_ms)) continue;
        uint64_t value_digest;
        if (o->type == KV_STRING) {
            char tmp[24];
            size_t len;
            const char *val = kv_string_bytes(o, tmp, &len);
            value_digest = siphash13(val, len, key);
        } else {
            value_digest = kv_type_ops_of(o->type)->digest(o);
        }
        int64_t expire_at = kv_obj_expire_at(ks, o);
        uint64_t h = siphash13(o->data, o->key_len, key);
        h ^= value_digest * 0x9e3779b97f4a7c15ull;
        h ^= (uint64_t)expire_at * 0xbf58476d1ce4e5b9ull + o->type;
        /* Addition is order-independent, so replicas with different table
         * layouts agree. */
        digest += h;
    }
    kv_iter_end(&it);
    return digest;
}
