/* Unit tests for cluster/topology.c: the exact bytes of CLUSTER SLOTS,
 * SHARDS (RESP2 and RESP3), NODES and INFO for a state of 3 nodes and 4
 * shards built through meta_apply; the leader report moving a shard's
 * serving node (and merging its slots in NODES); a shard whose leader is
 * unknown, or reported off its voters, served by its first voter; nodes
 * without a usable address; node names round-tripping and malformed ones
 * refused; the cluster state failing while slots are unassigned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "cluster/meta.h"
#include "cluster/topology.h"
#include "resp/resp.h"

static char err[256];

static int apply(meta_state *m, const meta_cmd *c)
{
    return meta_apply(m, c, err, sizeof err);
}

/* ---- The cluster: who is where ------------------------------------------- */

/* Client addresses; node 2 speaks IPv6, written bracketed in the state and
 * bare in the replies. */
static const char *const host_of[] = {"", "127.0.0.1", "::1", "10.0.0.3", "127.0.0.4"};
static const char *const addr_of[] = {"", "127.0.0.1:7001", "[::1]:7002", "10.0.0.3:7003",
                                      "127.0.0.4:7004"};
static const char *const peer_of[] = {"", "127.0.0.1:17001", "[::1]:17002",
                                      "10.0.0.3:17003", "127.0.0.4:17004"};

#define NAME1 "0000000000000000000000000000000000000001"
#define NAME2 "0000000000000000000000000000000000000002"
#define NAME3 "0000000000000000000000000000000000000003"
#define NAME4 "0000000000000000000000000000000000000004"

static void node_add(meta_state *m, uint64_t id, const char *addr, const char *peer)
{
    meta_cmd c = {.op = META_NODE_ADD, .node = id};
    snprintf(c.addr, sizeof c.addr, "%s", addr);
    snprintf(c.peer_addr, sizeof c.peer_addr, "%s", peer);
    snprintf(c.zone, sizeof c.zone, "z%llu", (unsigned long long)id);
    assert_int_equal(apply(m, &c), 0);
}

/* A shard on voters a, b, c (in that order) over one or two ranges. */
static void shard_create(meta_state *m, uint64_t id, uint64_t a, uint64_t b, uint64_t c3,
                         uint16_t first, uint16_t last, uint16_t first2, uint16_t last2)
{
    meta_cmd c = {.op = META_SHARD_CREATE, .shard = id, .voter_count = 3};
    c.voters[0] = a;
    c.voters[1] = b;
    c.voters[2] = c3;
    c.ranges[c.range_count++] = (meta_range){first, last};
    if (last2 != 0) c.ranges[c.range_count++] = (meta_range){first2, last2};
    if (apply(m, &c) != 0) fail_msg("shard create refused: %s", err);
}

static void node_drain(meta_state *m, uint64_t id)
{
    meta_cmd c = {.op = META_NODE_DRAIN, .node = id};
    assert_int_equal(apply(m, &c), 0);
}

/* Nodes 1-3 up, node 4 draining and holding nothing, node 5 removed;
 *   shard 1: 0-4095            voters 1 2 3
 *   shard 2: 4096-8191         voters 2 3 1
 *   shard 3: 8192-12287, 16383 voters 3 1 2
 *   shard 4: 12288-16382       voters 1 3 2 */
static void four_shards(meta_state *m)
{
    meta_init(m, 3);
    for (uint64_t id = 1; id <= 4; id++)
        node_add(m, id, addr_of[id], peer_of[id]);
    node_add(m, 5, "127.0.0.5:7005", "127.0.0.5:17005");
    shard_create(m, 1, 1, 2, 3, 0, 4095, 0, 0);
    shard_create(m, 2, 2, 3, 1, 4096, 8191, 0, 0);
    shard_create(m, 3, 3, 1, 2, 8192, 12287, 16383, 16383);
    shard_create(m, 4, 1, 3, 2, 12288, 16382, 0, 0);
    node_drain(m, 4);
    node_drain(m, 5);
    meta_cmd rm5 = {.op = META_NODE_REMOVE, .node = 5};
    assert_int_equal(apply(m, &rm5), 0);
    char why[128];
    assert_true(meta_check(m, why, sizeof why));
    assert_int_equal(m->epoch, 12);
}

/* Who leads each shard's group, as the host would report it; 0 unknown. */
static uint64_t leaders[8];

static uint64_t leader_of(void *priv, uint64_t shard)
{
    assert_ptr_equal(priv, leaders);
    return shard < 8 ? leaders[shard] : 0;
}

static void leaders_are(uint64_t s1, uint64_t s2, uint64_t s3, uint64_t s4)
{
    memset(leaders, 0, sizeof leaders);
    leaders[1] = s1;
    leaders[2] = s2;
    leaders[3] = s3;
    leaders[4] = s4;
}

static topo_view view(const meta_state *m, uint64_t self)
{
    return (topo_view){.m = m, .self = self, .leader_of = leader_of, .priv = leaders};
}

/* ---- Expectations -------------------------------------------------------- */

static void expect_bytes(const buf *got, const char *want)
{
    size_t len = strlen(want);
    if (got->len != len || (len > 0 && memcmp(got->data, want, len) != 0))
        fail_msg("got (%zu bytes):\n%.*s\nwant (%zu bytes):\n%s", got->len, (int)got->len,
                 got->data, len, want);
}

static void expect_slots(const topo_view *v, int proto, const char *want)
{
    buf out = BUF_INIT;
    resp_writer w = {&out, proto};
    topo_cluster_slots(v, &w);
    expect_bytes(&out, want);
    buf_free(&out);
}

/* CLUSTER NODES, given as its lines without their "\n" (NULL ends them). */
static void expect_nodes(const topo_view *v, const char *const *lines)
{
    buf want = BUF_INIT, out = BUF_INIT;
    for (size_t i = 0; lines[i] != NULL; i++) {
        buf_append_str(&want, lines[i]);
        buf_append_char(&want, '\n');
    }
    buf_append_char(&want, '\0');
    topo_cluster_nodes(v, &out);
    expect_bytes(&out, want.data);
    buf_free(&want);
    buf_free(&out);
}

static void expect_info(const topo_view *v, const char *want)
{
    buf out = BUF_INIT;
    topo_cluster_info(v, &out);
    expect_bytes(&out, want);
    buf_free(&out);
}

/* CLUSTER SLOTS nodes, RESP2: ip, port, name and an empty map (*0). */
#define SLOT_NODE1 "*4\r\n$9\r\n127.0.0.1\r\n:7001\r\n$40\r\n" NAME1 "\r\n*0\r\n"
#define SLOT_NODE2 "*4\r\n$3\r\n::1\r\n:7002\r\n$40\r\n" NAME2 "\r\n*0\r\n"
#define SLOT_NODE3 "*4\r\n$8\r\n10.0.0.3\r\n:7003\r\n$40\r\n" NAME3 "\r\n*0\r\n"

/* One node of a CLUSTER SHARDS reply, written out field by field. */
static void shard_node(buf *e, int proto, uint64_t id, const char *role,
                       const char *health)
{
    buf_append_str(e, proto == 3 ? "%7\r\n" : "*14\r\n");
    buf_append_fmt(e, "$2\r\nid\r\n$40\r\n%024u%016llu\r\n", 0u, (unsigned long long)id);
    buf_append_fmt(e, "$4\r\nport\r\n:%llu\r\n", 7000 + (unsigned long long)id);
    buf_append_fmt(e, "$2\r\nip\r\n$%zu\r\n%s\r\n", strlen(host_of[id]), host_of[id]);
    buf_append_fmt(e, "$8\r\nendpoint\r\n$%zu\r\n%s\r\n", strlen(host_of[id]),
                   host_of[id]);
    buf_append_fmt(e, "$4\r\nrole\r\n$%zu\r\n%s\r\n", strlen(role), role);
    buf_append_str(e, "$18\r\nreplication-offset\r\n:0\r\n");
    buf_append_fmt(e, "$6\r\nhealth\r\n$%zu\r\n%s\r\n", strlen(health), health);
}

/* A shard: its slot pairs, then its nodes, the first one the master. */
static void shard(buf *e, int proto, const char *slots_resp, uint64_t master,
                  uint64_t replica1, uint64_t replica2, const char *health3)
{
    buf_append_str(e, proto == 3 ? "%2\r\n" : "*4\r\n");
    buf_append_str(e, "$5\r\nslots\r\n");
    buf_append_str(e, slots_resp);
    buf_append_str(e, "$5\r\nnodes\r\n*3\r\n");
    uint64_t ids[3] = {master, replica1, replica2};
    for (int i = 0; i < 3; i++)
        shard_node(e, proto, ids[i], i == 0 ? "master" : "replica",
                   ids[i] == 3 ? health3 : "online");
}

static void expect_shards(const topo_view *v, int proto, const char *health3)
{
    buf want = BUF_INIT, out = BUF_INIT;
    buf_append_str(&want, "*4\r\n");
    shard(&want, proto, "*2\r\n:0\r\n:4095\r\n", 1, 2, 3, health3);
    shard(&want, proto, "*2\r\n:4096\r\n:8191\r\n", 2, 3, 1, health3);
    shard(&want, proto, "*4\r\n:8192\r\n:12287\r\n:16383\r\n:16383\r\n", 3, 1, 2,
          health3);
    shard(&want, proto, "*2\r\n:12288\r\n:16382\r\n", 1, 3, 2, health3);
    buf_append_char(&want, '\0');
    resp_writer w = {&out, proto};
    topo_cluster_shards(v, &w);
    expect_bytes(&out, want.data);
    buf_free(&want);
    buf_free(&out);
}

/* ---- Tests ----------------------------------------------------------------- */

static void test_slots(void **state)
{
    (void)state;
    meta_state m;
    four_shards(&m);
    leaders_are(1, 2, 3, 0); /* shard 4: leader unknown, its first voter serves */
    topo_view v = view(&m, 2);
    expect_slots(&v, 2,
                 "*5\r\n"
                 "*5\r\n:0\r\n:4095\r\n" SLOT_NODE1 SLOT_NODE2 SLOT_NODE3
                 "*5\r\n:4096\r\n:8191\r\n" SLOT_NODE2 SLOT_NODE3 SLOT_NODE1
                 "*5\r\n:8192\r\n:12287\r\n" SLOT_NODE3 SLOT_NODE1 SLOT_NODE2
                 "*5\r\n:12288\r\n:16382\r\n" SLOT_NODE1 SLOT_NODE3 SLOT_NODE2
                 "*5\r\n:16383\r\n:16383\r\n" SLOT_NODE3 SLOT_NODE1 SLOT_NODE2);

    /* Leaders moved: shard 1 to node 3, shard 4 to node 2. The serving
     * node comes first, the other voters keep their order. */
    leaders_are(3, 2, 3, 2);
    buf out = BUF_INIT;
    resp_writer w = {&out, 2};
    topo_cluster_slots(&v, &w);
    buf_append_char(&out, '\0');
    assert_non_null(
        strstr(out.data, "*5\r\n:0\r\n:4095\r\n" SLOT_NODE3 SLOT_NODE1 SLOT_NODE2));
    assert_non_null(
        strstr(out.data, "*5\r\n:12288\r\n:16382\r\n" SLOT_NODE2 SLOT_NODE1 SLOT_NODE3));
    buf_free(&out);

    /* RESP3: the metadata map is %0. */
    leaders_are(1, 2, 3, 1);
    out = (buf)BUF_INIT;
    w = (resp_writer){&out, 3};
    topo_cluster_slots(&v, &w);
    buf_append_char(&out, '\0');
    assert_non_null(strstr(out.data,
                           "*5\r\n:0\r\n:4095\r\n*4\r\n$9\r\n127.0.0.1\r\n:7001"
                           "\r\n$40\r\n" NAME1 "\r\n%0\r\n*4\r\n$3\r\n::1\r\n"));
    buf_free(&out);
    meta_destroy(&m);
}

static void test_shards(void **state)
{
    (void)state;
    meta_state m;
    four_shards(&m);
    leaders_are(1, 2, 3, 1);
    topo_view v = view(&m, 1);
    expect_shards(&v, 2, "online");
    expect_shards(&v, 3, "online");

    /* Node 3 leaves: still a voter everywhere, reported as failing, as
     * Redis writes it ("fail"), so that clients move away from it. */
    node_drain(&m, 3);
    expect_shards(&v, 2, "fail");
    meta_destroy(&m);
}

static void test_nodes(void **state)
{
    (void)state;
    meta_state m;
    four_shards(&m);
    leaders_are(1, 2, 3, 0);
    topo_view v = view(&m, 2);
    /* Node 4 drains and holds nothing: a master without slots, no flag of
     * its own. Node 5 is removed: not listed. */
    expect_nodes(
        &v,
        (const char *[]){
            NAME1 " 127.0.0.1:7001@17001 master - 0 0 12 connected 0-4095 12288-16382",
            NAME2 " ::1:7002@17002 myself,master - 0 0 12 connected 4096-8191",
            NAME3 " 10.0.0.3:7003@17003 master - 0 0 12 connected 8192-12287 16383",
            NAME4 " 127.0.0.4:7004@17004 master - 0 0 12 connected", NULL});

    /* Node 1 takes over shard 2: its slots 0-8191 are now one range, as
     * Redis prints a node's slots from its bitmap. A leader that is not a
     * voter of the shard (node 4 for shard 3) is not believed. */
    leaders_are(1, 1, 4, 0);
    v.self = 1;
    expect_nodes(
        &v,
        (const char *[]){
            NAME1
            " 127.0.0.1:7001@17001 myself,master - 0 0 12 connected 0-8191 12288-16382",
            NAME2 " ::1:7002@17002 master - 0 0 12 connected",
            NAME3 " 10.0.0.3:7003@17003 master - 0 0 12 connected 8192-12287 16383",
            NAME4 " 127.0.0.4:7004@17004 master - 0 0 12 connected", NULL});

    /* No leader function at all: every shard on its first voter. */
    v.leader_of = NULL;
    buf out = BUF_INIT;
    topo_cluster_nodes(&v, &out);
    buf_append_char(&out, '\0');
    assert_non_null(strstr(out.data, "connected 0-4095 12288-16382\n"));
    assert_non_null(strstr(out.data, "connected 4096-8191\n"));
    buf_free(&out);
    meta_destroy(&m);
}

static void test_info(void **state)
{
    (void)state;
    meta_state m;
    four_shards(&m);
    topo_view v = view(&m, 1);
    expect_info(&v, "cluster_state:ok\r\n"
                    "cluster_slots_assigned:16384\r\n"
                    "cluster_slots_ok:16384\r\n"
                    "cluster_slots_pfail:0\r\n"
                    "cluster_slots_fail:0\r\n"
                    "cluster_known_nodes:4\r\n"
                    "cluster_size:4\r\n"
                    "cluster_current_epoch:12\r\n"
                    "cluster_my_epoch:12\r\n"
                    "cluster_shards:4\r\n"
                    "cluster_replicas:3\r\n"
                    "cluster_meta_epoch:12\r\n");
    meta_destroy(&m);
}

/* Half the slots unassigned: the state fails, SLOTS lists what is served. */
static void test_unassigned_slots(void **state)
{
    (void)state;
    meta_state m;
    meta_init(&m, 3);
    for (uint64_t id = 1; id <= 3; id++)
        node_add(&m, id, addr_of[id], peer_of[id]);
    shard_create(&m, 1, 1, 2, 3, 100, 8291, 0, 0);
    topo_view v = {.m = &m, .self = 3};
    expect_info(&v, "cluster_state:fail\r\n"
                    "cluster_slots_assigned:8192\r\n"
                    "cluster_slots_ok:8192\r\n"
                    "cluster_slots_pfail:0\r\n"
                    "cluster_slots_fail:0\r\n"
                    "cluster_known_nodes:3\r\n"
                    "cluster_size:1\r\n"
                    "cluster_current_epoch:4\r\n"
                    "cluster_my_epoch:4\r\n"
                    "cluster_shards:1\r\n"
                    "cluster_replicas:3\r\n"
                    "cluster_meta_epoch:4\r\n");
    expect_slots(&v, 2, "*1\r\n*5\r\n:100\r\n:8291\r\n" SLOT_NODE1 SLOT_NODE2 SLOT_NODE3);
    expect_nodes(&v,
                 (const char *[]){
                     NAME1 " 127.0.0.1:7001@17001 master - 0 0 4 connected 100-8291",
                     NAME2 " ::1:7002@17002 master - 0 0 4 connected",
                     NAME3 " 10.0.0.3:7003@17003 myself,master - 0 0 4 connected", NULL});

    /* An empty state: no slots, no nodes. */
    meta_state empty;
    meta_init(&empty, 3);
    v.m = &empty;
    expect_slots(&v, 2, "*0\r\n");
    expect_nodes(&v, (const char *[]){NULL});
    buf out = BUF_INIT;
    topo_cluster_info(&v, &out);
    buf_append_char(&out, '\0');
    assert_non_null(
        strstr(out.data, "cluster_state:fail\r\ncluster_slots_assigned:0\r\n"));
    buf_free(&out);
    meta_destroy(&empty);
    meta_destroy(&m);
}

/* A node whose client address does not parse is left out of SLOTS and
 * SHARDS; NODES shows it with noaddr, as Redis does. */
static void test_unusable_address(void **state)
{
    (void)state;
    meta_state m;
    meta_init(&m, 3);
    node_add(&m, 1, addr_of[1], peer_of[1]);
    node_add(&m, 2, "no-port-here", "peer-without-port");
    node_add(&m, 3, "10.0.0.3:70000", peer_of[3]); /* port out of range */
    shard_create(&m, 1, 2, 1, 3, 0, 16383, 0, 0);
    leaders_are(2, 0, 0, 0);
    topo_view v = view(&m, 1);
    expect_slots(&v, 2, "*1\r\n*3\r\n:0\r\n:16383\r\n" SLOT_NODE1);
    expect_nodes(&v, (const char *[]){
                         NAME1 " 127.0.0.1:7001@17001 myself,master - 0 0 4 connected",
                         NAME2 " :0@0 master,noaddr - 0 0 4 connected 0-16383",
                         NAME3 " :0@17003 master,noaddr - 0 0 4 connected", NULL});
    /* SHARDS: node 2 serves but cannot be reached, so nobody is master. */
    buf out = BUF_INIT;
    resp_writer w = {&out, 2};
    topo_cluster_shards(&v, &w);
    buf_append_char(&out, '\0');
    assert_non_null(
        strstr(out.data, "$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n" NAME1));
    assert_non_null(strstr(out.data, "$4\r\nrole\r\n$7\r\nreplica\r\n"));
    assert_null(strstr(out.data, "master"));
    buf_free(&out);
    meta_destroy(&m);
}

static void test_serving_node(void **state)
{
    (void)state;
    meta_state m;
    four_shards(&m);
    const meta_shard *s2 = meta_shard_find(&m, 2);
    topo_view v = view(&m, 1);
    leaders_are(0, 0, 0, 0);
    assert_int_equal(topo_serving_node(&v, s2), 2); /* unknown: first voter */
    leaders_are(0, 3, 0, 0);
    assert_int_equal(topo_serving_node(&v, s2), 3);
    leaders_are(0, 4, 0, 0); /* not a voter of shard 2 */
    assert_int_equal(topo_serving_node(&v, s2), 2);
    v.leader_of = NULL;
    assert_int_equal(topo_serving_node(&v, s2), 2);
    meta_shard none = {.id = 9};
    assert_int_equal(topo_serving_node(&v, &none), 0);
    meta_destroy(&m);
}

static void test_node_names(void **state)
{
    (void)state;
    const uint64_t ids[] = {1, 2, 42, 0xdeadbeefull, 0x0123456789abcdefull, UINT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char name[TOPO_NODE_NAME_LEN + 1];
        memset(name, 'x', sizeof name);
        topo_node_name(ids[i], name);
        assert_int_equal(strlen(name), 40);
        for (size_t j = 0; j < 40; j++)
            assert_non_null(strchr("0123456789abcdef", name[j]));
        uint64_t back = 0;
        assert_true(topo_node_id(name, 40, &back));
        assert_int_equal(back, ids[i]);
    }
    char name[TOPO_NODE_NAME_LEN + 1];
    topo_node_name(0x0123456789abcdefull, name);
    assert_string_equal(name, "0000000000000000000000000123456789abcdef");
    topo_node_name(3, name);
    assert_string_equal(name, NAME3);

    uint64_t id = 77;
    assert_false(topo_node_id(NAME3, 39, &id));     /* too short */
    assert_false(topo_node_id(NAME3 "0", 41, &id)); /* too long */
    assert_false(topo_node_id(NULL, 40, &id));
    assert_false(topo_node_id("000000000000000000000000000000000000000A", 40, &id));
    assert_false(topo_node_id("000000000000000000000000000000000000000g", 40, &id));
    char spaced[] = NAME1;
    spaced[30] = ' ';
    assert_false(topo_node_id(spaced, 40, &id));
    assert_false(topo_node_id("1000000000000000000000000000000000000001", 40, &id));
    assert_false(topo_node_id("0000000000000000000000000000000000000000", 40, &id));
    assert_false(topo_node_id("a10cf1a08a2ee9a8a2b4b1d4e4e1c3b0f9b7d3e2", 40, &id));
    assert_int_equal(id, 77); /* untouched by a refusal */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_shards),
        cmocka_unit_test(test_nodes),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_unassigned_slots),
        cmocka_unit_test(test_unusable_address),
        cmocka_unit_test(test_serving_node),
        cmocka_unit_test(test_node_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
