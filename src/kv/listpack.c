/* kv/listpack.c - see listpack.h for the format. */
#include "kv/listpack.h"

#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/util.h"

/* Largest entry: a 5-byte string header, the data, a 5-byte backlen. */
#define LP_HEADER_BYTES_MAX  5
#define LP_BACKLEN_BYTES_MAX 5

/* ---- Entry encoding --------------------------------------------------------- */

static size_t backlen_bytes(uint64_t size)
{
    if (size < 128) return 1;
    if (size < 16384) return 2;
    if (size < 2097152) return 3;
    if (size < 268435456) return 4;
    return 5;
}

/* Writes size backwards-readable into out (backlen_bytes(size) bytes). */
static void backlen_encode(uint8_t *out, uint64_t size)
{
    size_t n = backlen_bytes(size);
    for (size_t i = 0; i < n; i++) {
        size_t group = n - 1 - i; /* out[0] holds the most significant group */
        uint8_t b = (uint8_t)((size >> (7 * group)) & 127);
        if (i > 0) b |= 128;
        out[i] = b;
    }
}

/* Reads a backlen whose last byte is at p (p >= lo); 0 if malformed. */
static uint64_t backlen_decode(const uint8_t *p, const uint8_t *lo)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift <= 28; shift += 7) {
        v |= (uint64_t)(*p & 127) << shift;
        if (!(*p & 128)) return v;
        if (p == lo) return 0;
        p--;
    }
    return 0;
}

/* Encodes an integer entry's header and data into out; returns its size. */
static size_t encode_int(uint8_t *out, int64_t v)
{
    if (v >= 0 && v <= 127) {
        out[0] = (uint8_t)v;
        return 1;
    }
    if (v >= -4096 && v <= 4095) {
        uint16_t u = (uint16_t)((uint64_t)v & 0x1fff);
        out[0] = (uint8_t)(0xc0 | (u >> 8));
        out[1] = (uint8_t)(u & 0xff);
        return 2;
    }
    size_t n;
    if (v >= INT16_MIN && v <= INT16_MAX) {
        out[0] = 0xf1;
        n = 2;
    } else if (v >= -8388608 && v <= 8388607) {
        out[0] = 0xf2;
        n = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        out[0] = 0xf3;
        n = 4;
    } else {
        out[0] = 0xf4;
        n = 8;
    }
    uint64_t u = (uint64_t)v;
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(u >> (8 * i));
    return 1 + n;
}

/* Encodes a string entry's header into out; returns the header's size. */
static size_t encode_str_header(uint8_t *out, size_t len)
{
    if (len < 64) {
        out[0] = (uint8_t)(0x80 | len);
        return 1;
    }
    if (len < 4096) {
        out[0] = (uint8_t)(0xe0 | (len >> 8));
        out[1] = (uint8_t)(len & 0xff);
        return 2;
    }
    PASSERT(len <= UINT32_MAX);
    out[0] = 0xf0;
    for (int i = 0; i < 4; i++)
        out[1 + i] = (uint8_t)(len >> (8 * i));
    return 5;
}

/* Decodes the entry at p (at most `room` bytes readable): fills e (if not
 * NULL) and returns the entry's size without its backlen, 0 if malformed. */
static size_t decode(const uint8_t *p, size_t room, lp_entry *e)
{
    lp_entry tmp;
    if (e == NULL) e = &tmp;
    if (room == 0) return 0;
    uint8_t b = p[0];
    if (b < 0x80) {
        *e = (lp_entry){.is_int = true, .i = b};
        return 1;
    }
    if ((b & 0xc0) == 0x80) {
        size_t len = b & 0x3f;
        if (room < 1 + len) return 0;
        *e = (lp_entry){.s = (const char *)p + 1, .len = len};
        return 1 + len;
    }
    if ((b & 0xe0) == 0xc0) {
        if (room < 2) return 0;
        uint16_t u = (uint16_t)(((b & 0x1f) << 8) | p[1]);
        int64_t v = (u & 0x1000) ? (int64_t)u - 0x2000 : (int64_t)u;
        *e = (lp_entry){.is_int = true, .i = v};
        return 2;
    }
    if ((b & 0xf0) == 0xe0) {
        if (room < 2) return 0;
        size_t len = ((size_t)(b & 0x0f) << 8) | p[1];
        if (room < 2 + len) return 0;
        *e = (lp_entry){.s = (const char *)p + 2, .len = len};
        return 2 + len;
    }
    if (b == 0xf0) {
        if (room < 5) return 0;
        size_t len = 0;
        for (int i = 0; i < 4; i++)
            len |= (size_t)p[1 + i] << (8 * i);
        if (room < 5 + len) return 0;
        *e = (lp_entry){.s = (const char *)p + 5, .len = len};
        return 5 + len;
    }
    size_t n = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : b == 0xf4 ? 8 : 0;
    if (n == 0 || room < 1 + n) return 0;
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++)
        u |= (uint64_t)p[1 + i] << (8 * i);
    if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~0ull << (8 * n); /* sign-extend */
    *e = (lp_entry){.is_int = true, .i = (int64_t)u};
    return 1 + n;
}

/* The whole size of the entry at pos (data and backlen). */
static uint32_t entry_size(const kv_lp *lp, uint32_t pos)
{
    size_t n = decode(lp->data + pos, lp->bytes - pos, NULL);
    PASSERT(n > 0);
    return (uint32_t)(n + backlen_bytes(n));
}

/* Encodes a whole entry (with its backlen) into out; returns its size. */
static size_t encode_entry(uint8_t *out, const char *s, size_t len, bool as_int,
                           int64_t v)
{
    size_t n;
    if (as_int) {
        n = encode_int(out, v);
    } else {
        n = encode_str_header(out, len);
        memcpy(out + n, s, len);
        n += len;
    }
    backlen_encode(out + n, n);
    return n + backlen_bytes(n);
}

/* ---- The block -------------------------------------------------------------- */

kv_lp *lp_new(void)
{
    kv_lp *lp = mem_alloc(sizeof *lp);
    lp->bytes = 0;
    lp->count = 0;
    return lp;
}

void lp_free(kv_lp *lp)
{
    mem_free(lp);
}

size_t lp_alloc_bytes(const kv_lp *lp)
{
    return mem_usable(lp);
}

uint32_t lp_first(const kv_lp *lp)
{
    return lp->count ? 0 : LP_NONE;
}

uint32_t lp_next(const kv_lp *lp, uint32_t pos)
{
    PASSERT(pos < lp->bytes);
    uint32_t next = pos + entry_size(lp, pos);
    return next < lp->bytes ? next : LP_NONE;
}

uint32_t lp_prev(const kv_lp *lp, uint32_t pos)
{
    if (pos == LP_NONE) pos = lp->bytes;
    if (pos == 0) return LP_NONE;
    uint64_t n = backlen_decode(lp->data + pos - 1, lp->data);
    uint64_t whole = n + backlen_bytes(n);
    PASSERT(n > 0 && whole <= pos);
    return pos - (uint32_t)whole;
}

uint32_t lp_last(const kv_lp *lp)
{
    return lp->count ? lp_prev(lp, LP_NONE) : LP_NONE;
}

uint32_t lp_seek(const kv_lp *lp, int64_t index)
{
    if (index < 0) index += lp->count;
    if (index < 0 || index >= (int64_t)lp->count) return LP_NONE;
    uint32_t pos;
    if (index < (int64_t)lp->count / 2) {
        pos = lp_first(lp);
        while (index-- > 0)
            pos = lp_next(lp, pos);
    } else {
        pos = lp_last(lp);
        for (int64_t i = lp->count - 1; i > index; i--)
            pos = lp_prev(lp, pos);
    }
    return pos;
}

void lp_get(const kv_lp *lp, uint32_t pos, lp_entry *e)
{
    size_t n = decode(lp->data + pos, lp->bytes - pos, e);
    PASSERT(n > 0);
}

const char *lp_get_str(const kv_lp *lp, uint32_t pos, char tmp[LP_INT_BUF_BYTES],
                       size_t *len)
{
    lp_entry e;
    lp_get(lp, pos, &e);
    if (!e.is_int) {
        *len = e.len;
        return e.s;
    }
    *len = fmt_i64(tmp, e.i);
    return tmp;
}

bool lp_eq(const kv_lp *lp, uint32_t pos, const char *s, size_t len)
{
    char tmp[LP_INT_BUF_BYTES];
    size_t n;
    const char *v = lp_get_str(lp, pos, tmp, &n);
    return n == len && memcmp(v, s, len) == 0;
}

uint32_t lp_find(const kv_lp *lp, uint32_t pos, const char *s, size_t len, uint32_t skip)
{
    while (pos != LP_NONE) {
        if (lp_eq(lp, pos, s, len)) return pos;
        for (uint32_t i = 0; i <= skip && pos != LP_NONE; i++)
            pos = lp_next(lp, pos);
    }
    return LP_NONE;
}

/* Replaces old_bytes at pos by the encoded entry in `entry`. */
/* Slack a shrinking block may keep before it is reallocated smaller. */
#define LP_SHRINK_SLACK_BYTES 64

/* Replaces old_bytes at pos by new_bytes of room and returns the room (to be
 * filled by the caller). The block is reallocated only when it must grow
 * past what its allocation holds, or shrinks by more than the slack: small
 * edits of a listpack then cost no allocator call. */
static uint8_t *reserve(kv_lp **lpp, uint32_t *pos, uint32_t old_bytes, size_t new_bytes)
{
    kv_lp *lp = *lpp;
    if (*pos == LP_NONE) *pos = lp->bytes;
    uint32_t at = *pos;
    PASSERT(at + old_bytes <= lp->bytes);
    uint64_t bytes = (uint64_t)lp->bytes - old_bytes + new_bytes;
    PASSERT(bytes < UINT32_MAX);
    size_t need = sizeof *lp + (size_t)bytes;
    if (need > mem_usable(lp)) lp = mem_realloc(lp, need);
    memmove(lp->data + at + new_bytes, lp->data + at + old_bytes,
            lp->bytes - at - old_bytes);
    if (mem_usable(lp) > need + LP_SHRINK_SLACK_BYTES) lp = mem_realloc(lp, need);
    lp->bytes = (uint32_t)bytes;
    *lpp = lp;
    return lp->data + at;
}

static uint32_t splice(kv_lp **lpp, uint32_t pos, uint32_t old_bytes,
                       const uint8_t *entry, size_t new_bytes)
{
    uint8_t *room = reserve(lpp, &pos, old_bytes, new_bytes);
    if (new_bytes > 0) memcpy(room, entry, new_bytes);
    return pos;
}

static uint32_t put(kv_lp **lpp, uint32_t pos, uint32_t old_bytes, const char *s,
                    size_t len)
{
    int64_t v;
    if (len <= 20 && str_to_i64(s, len, &v)) {
        uint8_t entry[1 + 8 + LP_BACKLEN_BYTES_MAX];
        size_t n = encode_entry(entry, NULL, 0, true, v);
        return splice(lpp, pos, old_bytes, entry, n);
    }
    /* A string is encoded straight into its room: header, bytes, backlen. */
    uint8_t head[LP_HEADER_BYTES_MAX];
    size_t h = encode_str_header(head, len);
    size_t n = h + len;
    uint8_t *room = reserve(lpp, &pos, old_bytes, n + backlen_bytes(n));
    memcpy(room, head, h);
    memcpy(room + h, s, len);
    backlen_encode(room + n, n);
    return pos;
}

uint32_t lp_insert(kv_lp **lpp, uint32_t pos, const char *s, size_t len)
{
    uint32_t at = put(lpp, pos, 0, s, len);
    (*lpp)->count++;
    return at;
}

uint32_t lp_insert_int(kv_lp **lpp, uint32_t pos, int64_t v)
{
    uint8_t entry[1 + 8 + LP_BACKLEN_BYTES_MAX];
    size_t n = encode_entry(entry, NULL, 0, true, v);
    uint32_t at = splice(lpp, pos, 0, entry, n);
    (*lpp)->count++;
    return at;
}

uint32_t lp_replace(kv_lp **lpp, uint32_t pos, const char *s, size_t len)
{
    return put(lpp, pos, entry_size(*lpp, pos), s, len);
}

uint32_t lp_replace_int(kv_lp **lpp, uint32_t pos, int64_t v)
{
    uint8_t entry[1 + 8 + LP_BACKLEN_BYTES_MAX];
    size_t n = encode_entry(entry, NULL, 0, true, v);
    return splice(lpp, pos, entry_size(*lpp, pos), entry, n);
}

uint32_t lp_delete(kv_lp **lpp, uint32_t pos, uint32_t count)
{
    kv_lp *lp = *lpp;
    PASSERT(pos < lp->bytes);
    uint32_t end = pos, removed = 0;
    while (removed < count && end < lp->bytes) {
        end += entry_size(lp, end);
        removed++;
    }
    splice(lpp, pos, end - pos, NULL, 0);
    (*lpp)->count -= removed;
    return pos < (*lpp)->bytes ? pos : LP_NONE;
}

bool lp_valid(const kv_lp *lp)
{
    uint32_t pos = 0, count = 0;
    while (pos < lp->bytes) {
        size_t n = decode(lp->data + pos, lp->bytes - pos, NULL);
        if (n == 0) return false;
        size_t bl = backlen_bytes(n);
        if (pos + n + bl > lp->bytes) return false;
        if (backlen_decode(lp->data + pos + n + bl - 1, lp->data + pos + n) != n)
            return false;
        pos += (uint32_t)(n + bl);
        count++;
    }
    return pos == lp->bytes && count == lp->count;
}

kv_lp *lp_from_bytes(const void *data, size_t bytes, uint32_t count)
{
    if (bytes >= UINT32_MAX) return NULL;
    kv_lp *lp = mem_alloc(sizeof *lp + bytes);
    lp->bytes = (uint32_t)bytes;
    lp->count = count;
    if (bytes) memcpy(lp->data, data, bytes);
    if (!lp_valid(lp)) {
        mem_free(lp);
        return NULL;
    }
    return lp;
}
