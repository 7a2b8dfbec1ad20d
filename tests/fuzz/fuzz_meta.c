/* tests/fuzz/fuzz_meta.c - libFuzzer target for the meta state machine
 * (cluster/meta.c): its command codec, its snapshot loader and meta_apply.
 *
 * Input layout:
 *
 *   byte 0     bit 0 clear: a sequence of commands; set: a snapshot
 *   then       commands: records of (u8 length, that many bytes), each a
 *              candidate encoded meta_cmd; a snapshot: the rest of the input
 *
 * Commands: every record that decodes must re-encode to the same bytes
 * (one encoding per command); it is then applied to a state that starts as
 * 4 nodes and 2 shards over all slots, and whether meta_apply accepts or
 * refuses it, meta_check must hold afterwards: no sequence of commands can
 * break the cluster map's invariants. A refused command must leave the
 * state's dump unchanged. Snapshots: a load that succeeds gives a state
 * that passes meta_check and dumps back to the same bytes; one that fails
 * leaves the previous state intact. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cluster/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                         \
    do {                                                                                 \
        if (!(x)) {                                                                      \
            fprintf(stderr, "fuzz_meta: check failed: %s (%s:%d)\n", #x, __FILE__,       \
                    __LINE__);                                                           \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static void start_state(meta_state *m)
{
    char err[128];
    meta_init(m, 3);
    for (uint64_t id = 1; id <= 4; id++) {
        meta_cmd c = {.op = META_NODE_ADD, .node = id};
        snprintf(c.addr, sizeof c.addr, "127.0.0.%u:7379", (unsigned)id);
        snprintf(c.peer_addr, sizeof c.peer_addr, "127.0.0.%u:17379", (unsigned)id);
        snprintf(c.zone, sizeof c.zone, "z%u", (unsigned)(id % 3));
        CHECK(meta_apply(m, &c, err, sizeof err) == 0);
    }
    for (uint64_t s = 1; s <= 2; s++) {
        meta_cmd c = {
            .op = META_SHARD_CREATE, .shard = s, .range_count = 1, .voter_count = 3};
        c.ranges[0] = (meta_range){(uint16_t)(s == 1 ? 0 : 8192),
                                   (uint16_t)(s == 1 ? 8191 : 16383)};
        for (uint32_t i = 0; i < 3; i++)
            c.voters[i] = (s + i - 1) % 4 + 1;
        CHECK(meta_apply(m, &c, err, sizeof err) == 0);
    }
}

static void commands(const uint8_t *p, size_t n)
{
    meta_state *m = malloc(sizeof *m);
    CHECK(m != NULL);
    start_state(m);
    char why[256], err[256];
    buf before = BUF_INIT, after = BUF_INIT, again = BUF_INIT;
    while (n > 0) {
        size_t len = p[0];
        p++;
        n--;
        if (len > n) len = n;
        meta_cmd c;
        if (meta_decode(p, len, &c) == 0) {
            buf_clear(&again);
            meta_encode(&c, &again);
            CHECK(again.len == len && memcmp(again.data, p, len) == 0);
            buf_clear(&before);
            meta_dump(m, &before);
            if (meta_apply(m, &c, err, sizeof err) != 0) {
                buf_clear(&after);
                meta_dump(m, &after);
                CHECK(after.len == before.len &&
                      memcmp(after.data, before.data, before.len) == 0);
            }
            if (!meta_check(m, why, sizeof why)) {
                fprintf(stderr, "fuzz_meta: invariant broken: %s\n", why);
                abort();
            }
        }
        p += len;
        n -= len;
    }
    buf_free(&before);
    buf_free(&after);
    buf_free(&again);
    meta_destroy(m);
    free(m);
}

static void snapshot(const uint8_t *p, size_t n)
{
    meta_state *m = malloc(sizeof *m);
    CHECK(m != NULL);
    start_state(m);
    buf before = BUF_INIT, after = BUF_INIT;
    meta_dump(m, &before);
    char why[256];
    if (meta_load(m, p, n) == 0) {
        CHECK(meta_check(m, why, sizeof why));
        meta_dump(m, &after);
        CHECK(after.len == n && memcmp(after.data, p, n) == 0);
    } else {
        meta_dump(m, &after);
        CHECK(after.len == before.len &&
              memcmp(after.data, before.data, before.len) == 0);
    }
    buf_free(&before);
    buf_free(&after);
    meta_destroy(m);
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    if (data[0] & 1)
        snapshot(data + 1, size - 1);
    else
        commands(data + 1, size - 1);
    return 0;
}
