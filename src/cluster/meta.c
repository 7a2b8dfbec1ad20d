/* cluster/meta.c - the meta group's state machine (meta.h). */
#include "cluster/meta.h"

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/varint.h"

bool meta_debug_allow_under_replication;

#define META_FORMAT_VERSION 1u
/* Version 1 dumps have no split_from per shard (loaded as 0). */
#define META_DUMP_MAGIC_V1 "PLSMETA1"
#define META_DUMP_MAGIC    "PLSMETA2"

void meta_init(meta_state *m, uint32_t replicas)
{
    memset(m, 0, sizeof *m);
    m->replicas = replicas;
    m->split_keys = META_SPLIT_KEYS_DEFAULT;
    m->split_bytes = META_SPLIT_BYTES_DEFAULT;
}

void meta_destroy(meta_state *m)
{
    for (size_t i = 0; i < m->shard_count; i++)
        mem_free(m->shards[i].ranges);
    mem_free(m->shards);
    mem_free(m->nodes);
    memset(m, 0, sizeof *m);
}

/* ---- Lookups ---------------------------------------------------------------- */

/* Nodes and shards are kept sorted by id: binary searches (a map with a
 * thousand shards is looked up on every routed request). */
/* The element of an array sorted by id (a uint64_t first member) with this
 * id, or NULL: nodes and shards are both kept that way. */
static void *find_by_id(void *base, size_t count, size_t size, uint64_t id)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t at;
        memcpy(&at, (char *)base + mid * size, sizeof at);
        if (at < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == count) return NULL;
    uint64_t at;
    memcpy(&at, (char *)base + lo * size, sizeof at);
    return at == id ? (char *)base + lo * size : NULL;
}

_Static_assert(offsetof(meta_node, id) == 0, "find_by_id reads the id first");
_Static_assert(offsetof(meta_shard, id) == 0, "find_by_id reads the id first");

static meta_node *node_find(const meta_state *m, uint64_t id)
{
    return find_by_id(m->nodes, m->node_count, sizeof *m->nodes, id);
}

static meta_shard *shard_find(const meta_state *m, uint64_t id)
{
    return find_by_id(m->shards, m->shard_count, sizeof *m->shards, id);
}

const meta_node *meta_node_find(const meta_state *m, uint64_t id)
{
    return node_find(m, id);
}

const meta_shard *meta_shard_find(const meta_state *m, uint64_t id)
{
    return shard_find(m, id);
}

static bool id_in(const uint64_t *ids, uint32_t n, uint64_t id)
{
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

bool meta_shard_has_voter(const meta_shard *s, uint64_t node)
{
    return id_in(s->voters, s->voter_count, node);
}

bool meta_shard_has_replica(const meta_shard *s, uint64_t node)
{
    return id_in(s->voters, s->voter_count, node) ||
           id_in(s->learners, s->learner_count, node);
}

uint64_t meta_next_shard_id(const meta_state *m)
{
    /* shards are sorted by id */
    return m->shard_count ? m->shards[m->shard_count - 1].id + 1 : 1;
}

bool meta_shard_splitting(const meta_state *m, const meta_shard *s)
{
    if (s->split_from != 0) return true;
    for (size_t i = 0; i < m->shard_count; i++)
        if (m->shards[i].split_from == s->id) return true;
    return false;
}

size_t meta_node_replicas(const meta_state *m, uint64_t node)
{
    size_t n = 0;
    for (size_t i = 0; i < m->shard_count; i++)
        n += meta_shard_has_replica(&m->shards[i], node);
    return n;
}

static void remove_id(uint64_t *ids, uint32_t *n, uint64_t id)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (ids[i] != id) continue;
        memmove(&ids[i], &ids[i + 1], (*n - i - 1) * sizeof ids[0]);
        (*n)--;
        return;
    }
}

/* ---- Apply ---------------------------------------------------------------------- */

/* Writes a reason into out (a refusal for the operator, or the invariant
 * meta_check found broken). */
__attribute__((format(printf, 3, 4))) static void say(char *out, size_t len,
                                                      const char *fmt, ...)
{
    if (len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

#define refuse(err, len, ...)    (say(err, len, __VA_ARGS__), POLIS_EINVAL)
#define violation(why, len, ...) (say(why, len, __VA_ARGS__), false)

static bool ranges_valid(const meta_range *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (r[i].first > r[i].last || r[i].last >= CLUSTER_SLOTS) return false;
        if (i > 0 && r[i].first <= r[i - 1].last) return false; /* sorted, disjoint */
    }
    return true;
}

/* The shard's ranges, recomputed from the slot map (sorted, merged). */
static void ranges_from_owner(meta_state *m, meta_shard *s)
{
    uint32_t n = 0;
    for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++)
        if (m->owner[slot] == s->id && (slot == 0 || m->owner[slot - 1] != s->id)) n++;
    mem_free(s->ranges);
    s->ranges = n ? mem_alloc(n * sizeof *s->ranges) : NULL;
    s->range_count = 0;
    for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++) {
        if (m->owner[slot] != s->id) continue;
        if (slot == 0 || m->owner[slot - 1] != s->id)
            s->ranges[s->range_count++] = (meta_range){(uint16_t)slot, (uint16_t)slot};
        else
            s->ranges[s->range_count - 1].last = (uint16_t)slot;
    }
}

static meta_shard *shard_insert(meta_state *m, uint64_t id)
{
    size_t at = 0;
    while (at < m->shard_count && m->shards[at].id < id)
        at++;
    m->shards = mem_realloc(m->shards, (m->shard_count + 1) * sizeof *m->shards);
    memmove(&m->shards[at + 1], &m->shards[at],
            (m->shard_count - at) * sizeof *m->shards);
    m->shard_count++;
    memset(&m->shards[at], 0, sizeof m->shards[at]);
    m->shards[at].id = id;
    return &m->shards[at];
}

static int apply_node_add(meta_state *m, const meta_cmd *c, char *err, size_t el)
{
    if (c->node == 0) return refuse(err, el, "node id 0 is reserved");
    if (node_find(m, c->node))
        return refuse(err, el, "node %llu exists", (unsigned long long)c->node);
    if (c->addr[0] == '\0' || c->peer_addr[0] == '\0')
        return refuse(err, el, "a node needs a client and a peer address");
    size_t at = 0;
    while (at < m->node_count && m->nodes[at].id < c->node)
        at++;
    m->nodes = mem_realloc(m->nodes, (m->node_count + 1) * sizeof *m->nodes);
    memmove(&m->nodes[at + 1], &m->nodes[at], (m->node_count - at) * sizeof *m->nodes);
    m->node_count++;
    meta_node *n = &m->nodes[at];
    memset(n, 0, sizeof *n);
    n->id = c->node;
    n->state = META_NODE_UP;
    memcpy(n->addr, c->addr, sizeof n->addr);
    memcpy(n->peer_addr, c->peer_addr, sizeof n->peer_addr);
    memcpy(n->zone, c->zone, sizeof n->zone);
    return 0;
}

static int apply_shard_create(meta_state *m, const meta_cmd *c, char *err, size_t el)
{
    if (c->shard == 0) return refuse(err, el, "shard id 0 is the meta group");
    if (shard_find(m, c->shard))
        return refuse(err, el, "shard %llu exists", (unsigned long long)c->shard);
    if (c->range_count == 0 || !ranges_valid(c->ranges, c->range_count))
        return refuse(err, el, "slot ranges must be sorted, disjoint and within 0-16383");
    if (c->voter_count != m->replicas)
        return refuse(err, el, "a shard is created with %u voters", m->replicas);
    for (uint32_t i = 0; i < c->voter_count; i++) {
        const meta_node *n = node_find(m, c->voters[i]);
        if (n == NULL || n->state != META_NODE_UP)
            return refuse(err, el, "voter %llu is not an up node",
                          (unsigned long long)c->voters[i]);
        if (id_in(c->voters, i, c->voters[i]))
            return refuse(err, el, "voters must be distinct");
    }
    for (uint32_t i = 0; i < c->range_count; i++)
        for (uint32_t s = c->ranges[i].first; s <= c->ranges[i].last; s++)
            if (m->owner[s] != 0)
                return refuse(err, el, "slot %u is already assigned", s);
    meta_shard *sh = shard_insert(m, c->shard);
    sh->epoch = 1;
    sh->voter_count = c->voter_count;
    memcpy(sh->voters, c->voters, c->voter_count * sizeof c->voters[0]);
    for (uint32_t i = 0; i < c->range_count; i++)
        for (uint32_t s = c->ranges[i].first; s <= c->ranges[i].last; s++)
            m->owner[s] = c->shard;
    ranges_from_owner(m, sh);
    return 0;
}

/* Common checks of the replica changes: the shard exists, was not changed
 * since the plan was made, and the node exists. */
static int replica_change_target(meta_state *m, const meta_cmd *c, meta_shard **sh,
                                 meta_node **n, char *err, size_t el)
{
    *sh = shard_find(m, c->shard);
    if (*sh == NULL)
        return refuse(err, el, "no shard %llu", (unsigned long long)c->shard);
    if (c->epoch != (*sh)->epoch)
        return refuse(err, el, "shard %llu is at epoch %llu, not %llu (stale plan)",
                      (unsigned long long)c->shard, (unsigned long long)(*sh)->epoch,
                      (unsigned long long)c->epoch);
    *n = node_find(m, c->node);
    if (*n == NULL) return refuse(err, el, "no node %llu", (unsigned long long)c->node);
    return 0;
}

static int apply_replica_change(meta_state *m, const meta_cmd *c, char *err, size_t el)
{
    meta_shard *sh;
    meta_node *n;
    int rv = replica_change_target(m, c, &sh, &n, err, el);
    if (rv != 0) return rv;
    if (meta_shard_splitting(m, sh))
        return refuse(err, el, "shard %llu is being split", (unsigned long long)sh->id);
    switch (c->op) {
    case META_LEARNER_ADD:
        if (n->state != META_NODE_UP)
            return refuse(err, el, "node %llu is not up", (unsigned long long)n->id);
        if (meta_shard_has_replica(sh, n->id))
            return refuse(err, el, "node %llu already holds shard %llu",
                          (unsigned long long)n->id, (unsigned long long)sh->id);
        if (sh->learner_count >= META_MAX_LEARNERS || sh->voter_count > m->replicas)
            return refuse(err, el, "shard %llu is already moving a replica",
                          (unsigned long long)sh->id);
        sh->learners[sh->learner_count++] = n->id;
        break;
    case META_LEARNER_PROMOTE:
        if (!id_in(sh->learners, sh->learner_count, n->id))
            return refuse(err, el, "node %llu is not a learner of shard %llu",
                          (unsigned long long)n->id, (unsigned long long)sh->id);
        if (sh->voter_count >= META_MAX_VOTERS) return refuse(err, el, "too many voters");
        remove_id(sh->learners, &sh->learner_count, n->id);
        sh->voters[sh->voter_count++] = n->id;
        break;
    case META_VOTER_REMOVE:
        if (!meta_shard_has_voter(sh, n->id))
            return refuse(err, el, "node %llu is not a voter of shard %llu",
                          (unsigned long long)n->id, (unsigned long long)sh->id);
        if (sh->voter_count <= m->replicas && !meta_debug_allow_under_replication)
            return refuse(err, el, "shard %llu would have fewer than %u voters",
                          (unsigned long long)sh->id, m->replicas);
        remove_id(sh->voters, &sh->voter_count, n->id);
        break;
    default:
        return refuse(err, el, "not a replica change");
    }
    sh->epoch++;
    return 0;
}

static int apply_split(meta_state *m, const meta_cmd *c, char *err, size_t el)
{
    meta_shard *parent = shard_find(m, c->shard);
    if (parent == NULL)
        return refuse(err, el, "no shard %llu", (unsigned long long)c->shard);
    if (c->epoch != parent->epoch)
        return refuse(err, el, "stale plan: shard %llu changed",
                      (unsigned long long)c->shard);
    if (parent->learner_count > 0 || parent->voter_count != m->replicas)
        return refuse(err, el, "shard %llu is moving a replica",
                      (unsigned long long)c->shard);
    if (meta_shard_splitting(m, parent))
        return refuse(err, el, "shard %llu is being split", (unsigned long long)c->shard);
    if (c->new_shard == 0 || shard_find(m, c->new_shard))
        return refuse(err, el, "shard %llu exists", (unsigned long long)c->new_shard);
    /* Groups are created in id order on every host: the child sorts after
     * the parent whose log creates it (node/group.c). */
    if (c->new_shard <= c->shard)
        return refuse(err, el, "the new shard's id must be above %llu",
                      (unsigned long long)c->shard);
    if (c->split_at >= CLUSTER_SLOTS || m->owner[c->split_at] != parent->id)
        return refuse(err, el, "slot %u is not in shard %llu", c->split_at,
                      (unsigned long long)c->shard);
    bool below = false;
    for (uint32_t s = 0; s < c->split_at && !below; s++)
        below = m->owner[s] == parent->id;
    if (!below)
        return refuse(err, el, "the split would leave shard %llu no slot",
                      (unsigned long long)c->shard);
    uint64_t voters[META_MAX_VOTERS];
    uint32_t voter_count = parent->voter_count;
    memcpy(voters, parent->voters, sizeof voters);
    uint64_t parent_id = parent->id;
    meta_shard *child = shard_insert(m, c->new_shard); /* may move `parent` */
    child->epoch = 1;
    child->split_from = parent_id;
    child->voter_count = voter_count;
    memcpy(child->voters, voters, sizeof voters);
    for (uint32_t s = c->split_at; s < CLUSTER_SLOTS; s++)
        if (m->owner[s] == parent_id) m->owner[s] = c->new_shard;
    parent = shard_find(m, parent_id);
    parent->epoch++;
    ranges_from_owner(m, parent);
    ranges_from_owner(m, child);
    return 0;
}

static int apply_split_done(meta_state *m, const meta_cmd *c, char *err, size_t el)
{
    meta_shard *child = shard_find(m, c->shard);
    if (child == NULL)
        return refuse(err, el, "no shard %llu", (unsigned long long)c->shard);
    if (child->split_from == 0)
        return refuse(err, el, "shard %llu is not being split",
                      (unsigned long long)c->shard);
    if (c->epoch != child->epoch)
        return refuse(err, el, "stale plan: shard %llu changed",
                      (unsigned long long)c->shard);
    child->split_from = 0;
    child->epoch++;
    return 0;
}

int meta_apply(meta_state *m, const meta_cmd *c, char *err, size_t err_len)
{
    if (err_len > 0) err[0] = '\0';
    int rv;
    meta_node *n;
    switch (c->op) {
    case META_SET_REPLICAS:
        if (c->replicas < 1 || c->replicas > META_MAX_REPLICAS)
            return refuse(err, err_len, "replicas must be 1-%u", META_MAX_REPLICAS);
        if (m->shard_count > 0 && c->replicas != m->replicas)
            return refuse(err, err_len, "replicas cannot change once shards exist");
        m->replicas = c->replicas;
        rv = 0;
        break;
    case META_SET_SPLIT:
        m->split_keys = c->split_keys;
        m->split_bytes = c->split_bytes;
        rv = 0;
        break;
    case META_NODE_ADD:
        rv = apply_node_add(m, c, err, err_len);
        break;
    case META_NODE_DRAIN:
        n = node_find(m, c->node);
        if (n == NULL || n->state == META_NODE_REMOVED)
            return refuse(err, err_len, "no node %llu", (unsigned long long)c->node);
        n->state = META_NODE_DRAINING;
        rv = 0;
        break;
    case META_NODE_REMOVE:
        n = node_find(m, c->node);
        if (n == NULL || n->state == META_NODE_REMOVED)
            return refuse(err, err_len, "no node %llu", (unsigned long long)c->node);
        if (meta_node_replicas(m, c->node) > 0)
            return refuse(err, err_len, "node %llu still holds replicas: drain it first",
                          (unsigned long long)c->node);
        n->state = META_NODE_REMOVED;
        rv = 0;
        break;
    case META_SHARD_CREATE:
        rv = apply_shard_create(m, c, err, err_len);
        break;
    case META_LEARNER_ADD:
    case META_LEARNER_PROMOTE:
    case META_VOTER_REMOVE:
        rv = apply_replica_change(m, c, err, err_len);
        break;
    case META_SHARD_SPLIT:
        rv = apply_split(m, c, err, err_len);
        break;
    case META_SPLIT_DONE:
        rv = apply_split_done(m, c, err, err_len);
        break;
    default:
        return refuse(err, err_len, "unknown meta command %u", c->op);
    }
    if (rv == 0) m->epoch++;
    return rv;
}

/* ---- Encoding ------------------------------------------------------------------- */

static void put_varint(buf *out, uint64_t v)
{
    uint8_t tmp[VARINT_BYTES_MAX];
    buf_append(out, tmp, varint_encode(tmp, v));
}

static void put_str(buf *out, const char *s)
{
    size_t n = strlen(s);
    put_varint(out, n);
    buf_append(out, s, n);
}

typedef struct reader {
    const uint8_t *p, *end;
    bool bad;
} reader;

/* A varint no larger than max, in its shortest form (so that every command
 * has exactly one encoding). */
static uint64_t get_varint(reader *r, uint64_t max)
{
    uint64_t v = 0;
    const uint8_t *start = r->p;
    uint8_t tmp[VARINT_BYTES_MAX];
    if (r->bad || !varint_decode(&r->p, r->end, &v) || v > max ||
        (size_t)(r->p - start) != varint_encode(tmp, v))
        r->bad = true;
    return r->bad ? 0 : v;
}

static void get_str(reader *r, char *dst, size_t max)
{
    size_t n = (size_t)get_varint(r, max);
    if (r->bad || (size_t)(r->end - r->p) < n || memchr(r->p, '\0', n)) {
        r->bad = true;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, r->p, n);
    dst[n] = '\0';
    r->p += n;
}

void meta_encode(const meta_cmd *c, buf *out)
{
    put_varint(out, META_FORMAT_VERSION);
    put_varint(out, c->op);
    put_varint(out, c->node);
    put_varint(out, c->shard);
    put_varint(out, c->epoch);
    put_varint(out, c->new_shard);
    put_varint(out, c->split_at);
    put_varint(out, c->replicas);
    put_varint(out, c->split_keys);
    put_varint(out, c->split_bytes);
    put_str(out, c->addr);
    put_str(out, c->peer_addr);
    put_str(out, c->zone);
    put_varint(out, c->range_count);
    for (uint32_t i = 0; i < c->range_count; i++) {
        put_varint(out, c->ranges[i].first);
        put_varint(out, c->ranges[i].last);
    }
    put_varint(out, c->voter_count);
    for (uint32_t i = 0; i < c->voter_count; i++)
        put_varint(out, c->voters[i]);
}

int meta_decode(const void *data, size_t len, meta_cmd *c)
{
    reader r = {data, (const uint8_t *)data + len, false};
    memset(c, 0, sizeof *c);
    if (get_varint(&r, UINT64_MAX) != META_FORMAT_VERSION) return POLIS_ECORRUPT;
    c->op = (uint8_t)get_varint(&r, META_OP_LAST_ - 1);
    c->node = get_varint(&r, UINT64_MAX);
    c->shard = get_varint(&r, UINT64_MAX);
    c->epoch = get_varint(&r, UINT64_MAX);
    c->new_shard = get_varint(&r, UINT64_MAX);
    c->split_at = (uint16_t)get_varint(&r, CLUSTER_SLOTS - 1);
    c->replicas = (uint32_t)get_varint(&r, META_MAX_REPLICAS);
    c->split_keys = get_varint(&r, UINT64_MAX);
    c->split_bytes = get_varint(&r, UINT64_MAX);
    get_str(&r, c->addr, META_ADDR_MAX);
    get_str(&r, c->peer_addr, META_ADDR_MAX);
    get_str(&r, c->zone, META_ZONE_MAX);
    c->range_count = (uint32_t)get_varint(&r, META_MAX_CMD_RANGES);
    for (uint32_t i = 0; i < c->range_count && !r.bad; i++) {
        c->ranges[i].first = (uint16_t)get_varint(&r, CLUSTER_SLOTS - 1);
        c->ranges[i].last = (uint16_t)get_varint(&r, CLUSTER_SLOTS - 1);
    }
    c->voter_count = (uint32_t)get_varint(&r, META_MAX_REPLICAS);
    for (uint32_t i = 0; i < c->voter_count && !r.bad; i++)
        c->voters[i] = get_varint(&r, UINT64_MAX);
    if (r.bad || r.p != r.end || c->op == 0) return POLIS_ECORRUPT;
    return 0;
}

/* ---- Snapshot ------------------------------------------------------------------- */

void meta_dump(const meta_state *m, buf *out)
{
    buf_append(out, META_DUMP_MAGIC, 8);
    put_varint(out, m->epoch);
    put_varint(out, m->replicas);
    put_varint(out, m->split_keys);
    put_varint(out, m->split_bytes);
    put_varint(out, m->node_count);
    for (size_t i = 0; i < m->node_count; i++) {
        const meta_node *n = &m->nodes[i];
        put_varint(out, n->id);
        put_varint(out, n->state);
        put_str(out, n->addr);
        put_str(out, n->peer_addr);
        put_str(out, n->zone);
    }
    put_varint(out, m->shard_count);
    for (size_t i = 0; i < m->shard_count; i++) {
        const meta_shard *s = &m->shards[i];
        put_varint(out, s->id);
        put_varint(out, s->epoch);
        put_varint(out, s->range_count);
        for (uint32_t j = 0; j < s->range_count; j++) {
            put_varint(out, s->ranges[j].first);
            put_varint(out, s->ranges[j].last);
        }
        put_varint(out, s->voter_count);
        for (uint32_t j = 0; j < s->voter_count; j++)
            put_varint(out, s->voters[j]);
        put_varint(out, s->learner_count);
        for (uint32_t j = 0; j < s->learner_count; j++)
            put_varint(out, s->learners[j]);
        put_varint(out, s->split_from);
    }
}

int meta_load(meta_state *m, const void *data, size_t len)
{
    meta_state fresh;
    meta_init(&fresh, 0);
    reader r = {data, (const uint8_t *)data + len, false};
    if (len < 8) return POLIS_ECORRUPT;
    bool v1 = memcmp(data, META_DUMP_MAGIC_V1, 8) == 0;
    if (!v1 && memcmp(data, META_DUMP_MAGIC, 8) != 0) return POLIS_ECORRUPT;
    r.p += 8;
    fresh.epoch = get_varint(&r, UINT64_MAX);
    fresh.replicas = (uint32_t)get_varint(&r, META_MAX_REPLICAS);
    fresh.split_keys = get_varint(&r, UINT64_MAX);
    fresh.split_bytes = get_varint(&r, UINT64_MAX);
    /* counts are bounded by the bytes left: every record takes >= 1 byte */
    size_t nodes = (size_t)get_varint(&r, (uint64_t)(r.end - r.p));
    for (size_t i = 0; i < nodes && !r.bad; i++) {
        meta_cmd add = {.op = META_NODE_ADD};
        add.node = get_varint(&r, UINT64_MAX);
        uint8_t state = (uint8_t)get_varint(&r, META_NODE_REMOVED);
        get_str(&r, add.addr, META_ADDR_MAX);
        get_str(&r, add.peer_addr, META_ADDR_MAX);
        get_str(&r, add.zone, META_ZONE_MAX);
        if (r.bad || state == 0 || apply_node_add(&fresh, &add, NULL, 0) != 0)
            r.bad = true;
        else
            node_find(&fresh, add.node)->state = state;
    }
    size_t shards = (size_t)get_varint(&r, (uint64_t)(r.end - r.p));
    for (size_t i = 0; i < shards && !r.bad; i++) {
        uint64_t id = get_varint(&r, UINT64_MAX);
        uint64_t epoch = get_varint(&r, UINT64_MAX);
        if (r.bad || id == 0 || shard_find(&fresh, id)) {
            r.bad = true;
            break;
        }
        meta_shard *s = shard_insert(&fresh, id);
        s->epoch = epoch;
        uint32_t ranges = (uint32_t)get_varint(&r, CLUSTER_SLOTS);
        for (uint32_t j = 0; j < ranges && !r.bad; j++) {
            uint32_t first = (uint32_t)get_varint(&r, CLUSTER_SLOTS - 1);
            uint32_t last = (uint32_t)get_varint(&r, CLUSTER_SLOTS - 1);
            if (r.bad || first > last) {
                r.bad = true;
                break;
            }
            for (uint32_t slot = first; slot <= last; slot++) {
                if (fresh.owner[slot] != 0) r.bad = true;
                fresh.owner[slot] = id;
            }
        }
        s->voter_count = (uint32_t)get_varint(&r, META_MAX_VOTERS);
        for (uint32_t j = 0; j < s->voter_count && !r.bad; j++)
            s->voters[j] = get_varint(&r, UINT64_MAX);
        s->learner_count = (uint32_t)get_varint(&r, META_MAX_LEARNERS);
        for (uint32_t j = 0; j < s->learner_count && !r.bad; j++)
            s->learners[j] = get_varint(&r, UINT64_MAX);
        if (!v1) s->split_from = get_varint(&r, UINT64_MAX);
        if (!r.bad) ranges_from_owner(&fresh, s);
    }
    char why[128];
    if (r.bad || r.p != r.end || !meta_check(&fresh, why, sizeof why)) {
        meta_destroy(&fresh);
        return POLIS_ECORRUPT;
    }
    meta_destroy(m);
    *m = fresh;
    return 0;
}

/* ---- Invariants ----------------------------------------------------------------- */

bool meta_check(const meta_state *m, char *why, size_t why_len)
{
    for (size_t i = 1; i < m->node_count; i++)
        if (m->nodes[i - 1].id >= m->nodes[i].id)
            return violation(why, why_len, "nodes out of order");
    uint32_t owned = 0;
    for (size_t i = 0; i < m->shard_count; i++) {
        const meta_shard *s = &m->shards[i];
        unsigned long long id = (unsigned long long)s->id;
        if (i > 0 && m->shards[i - 1].id >= s->id)
            return violation(why, why_len, "shards out of order");
        if (!ranges_valid(s->ranges, s->range_count))
            return violation(why, why_len, "shard %llu: bad ranges", id);
        for (uint32_t j = 0; j < s->range_count; j++) {
            if (j > 0 && s->ranges[j].first == s->ranges[j - 1].last + 1)
                return violation(why, why_len, "shard %llu: adjacent ranges not merged",
                                 id);
            for (uint32_t slot = s->ranges[j].first; slot <= s->ranges[j].last; slot++) {
                if (m->owner[slot] != s->id)
                    return violation(why, why_len,
                                     "slot %u: map says %llu, shard %llu lists it", slot,
                                     (unsigned long long)m->owner[slot], id);
                owned++;
            }
        }
        if (s->split_from != 0 &&
            (s->split_from >= s->id || !shard_find(m, s->split_from)))
            return violation(why, why_len, "shard %llu: split from a missing shard", id);
        if (s->voter_count < m->replicas)
            return violation(why, why_len, "shard %llu: %u voters, fewer than R=%u", id,
                             s->voter_count, m->replicas);
        for (uint32_t j = 0; j < s->voter_count + s->learner_count; j++) {
            uint64_t nid =
                j < s->voter_count ? s->voters[j] : s->learners[j - s->voter_count];
            const meta_node *n = node_find(m, nid);
            if (n == NULL || n->state == META_NODE_REMOVED)
                return violation(why, why_len,
                                 "shard %llu: replica on missing or removed node %llu",
                                 id, (unsigned long long)nid);
            for (uint32_t k = 0; k < j; k++) {
                uint64_t other =
                    k < s->voter_count ? s->voters[k] : s->learners[k - s->voter_count];
                if (other == nid)
                    return violation(why, why_len, "shard %llu: node %llu listed twice",
                                     id, (unsigned long long)nid);
            }
        }
    }
    uint32_t mapped = 0;
    for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++) {
        if (m->owner[slot] == 0) continue;
        if (shard_find(m, m->owner[slot]) == NULL)
            return violation(why, why_len, "slot %u maps to unknown shard %llu", slot,
                             (unsigned long long)m->owner[slot]);
        mapped++;
    }
    if (mapped != owned) return violation(why, why_len, "slot map and ranges disagree");
    return true;
}
