#define _GNU_SOURCE
/* Unit tests for cmd/entry.c: the replicated command format and its
 * deterministic application: two replicas applying the same log agree
 * byte for byte, whatever their hash-table layout; the leader's conditional
 * expiry deletes only what it decided on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "cmd/entry.h"

static buf log_bytes[64];
static size_t log_count;

static void append(uint8_t kind, int64_t now_ms, const char *first, ...)
{
    cmd_arg argv[16];
    size_t argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        argv[argc].ptr = a;
        argv[argc].len = strlen(a);
        argc++;
    }
    va_end(ap);
    buf_init(&log_bytes[log_count]);
    cmd_entry_encode(&log_bytes[log_count++], kind, now_ms, argv, argc);
}

/* Applies the whole log to ks; the replies are concatenated into out. */
static void replay(kv_keyspace *ks, buf *out)
{
    cmd_limits limits;
    cmd_limits_defaults(&limits);
    resp_writer w = {out, 2};
    for (size_t i = 0; i < log_count; i++) {
        cmd_entry e;
        assert_int_equal(cmd_entry_decode(log_bytes[i].data, log_bytes[i].len, &e), 0);
        cmd_entry_apply(ks, &e, 3, (raft_index)(i + 1), &limits, &w);
        cmd_entry_free(&e);
    }
}

static int setup(void **state)
{
    (void)state;
    cmd_table_init();
    log_count = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < log_count; i++)
        buf_free(&log_bytes[i]);
    return 0;
}

static void test_round_trip_and_corruption(void **state)
{
    (void)state;
    append(CMD_ENTRY_COMMAND, 1234, "SET", "k", "v\r\n\0x", "EX", "10", NULL);
    cmd_entry e;
    assert_int_equal(cmd_entry_decode(log_bytes[0].data, log_bytes[0].len, &e), 0);
    assert_int_equal(e.kind, CMD_ENTRY_COMMAND);
    assert_int_equal(e.now_ms, 1234);
    assert_int_equal(e.argc, 5);
    assert_memory_equal(e.argv[1].ptr, "k", 1);
    cmd_entry_free(&e);
    for (size_t cut = 0; cut < log_bytes[0].len; cut++)
        assert_int_equal(cmd_entry_decode(log_bytes[0].data, cut, &e), POLIS_ECORRUPT);
    log_bytes[0].data[0] = 9; /* unknown version */
    assert_int_equal(cmd_entry_decode(log_bytes[0].data, log_bytes[0].len, &e),
                     POLIS_ECORRUPT);
}

static void test_replicas_agree(void **state)
{
    (void)state;
    append(CMD_ENTRY_COMMAND, 1000, "SET", "a", "1", NULL);
    append(CMD_ENTRY_COMMAND, 1000, "SET", "b", "x", "PX", "500", NULL);
    append(CMD_ENTRY_COMMAND, 1001, "INCRBY", "a", "41", NULL);
    append(CMD_ENTRY_COMMAND, 1001, "APPEND", "c", "hello", NULL);
    for (int i = 0; i < 40; i++)
        append(CMD_ENTRY_COMMAND, 1002, "SETNX", "k", "v", NULL);
    append(CMD_ENTRY_COMMAND, 1600, "GET", "b", NULL); /* b expired at 1500 */
    append(CMD_ENTRY_COMMAND, 1600, "RANDOMKEY", NULL);
    kv_keyspace x, y;
    kv_init(&x, 1);
    kv_init(&y, 99);
    buf rx = BUF_INIT, ry = BUF_INIT;
    replay(&x, &rx);
    replay(&y, &ry);
    assert_int_equal(rx.len, ry.len);
    assert_memory_equal(rx.data, ry.data, rx.len);
    assert_int_equal(kv_digest(&x, 1600), kv_digest(&y, 1600));
    /* The expiry used the entry's clock, not the machine's. */
    assert_non_null(memmem(rx.data, rx.len, "$-1\r\n", 5));
    buf_free(&rx);
    buf_free(&ry);
    kv_destroy(&x);
    kv_destroy(&y);
}

static void test_conditional_expire(void **state)
{
    (void)state;
    append(CMD_ENTRY_COMMAND, 1000, "SET", "t", "v", "PXAT", "2000", NULL);
    append(CMD_ENTRY_EXPIRE, 1500, "t", "2000", NULL); /* not yet due */
    append(CMD_ENTRY_COMMAND, 1600, "PEXPIREAT", "t", "3000", NULL);
    append(CMD_ENTRY_EXPIRE, 3500, "t", "2000", NULL); /* stale decision */
    append(CMD_ENTRY_EXPIRE, 3500, "t", "3000", NULL); /* deletes */
    kv_keyspace ks;
    kv_init(&ks, 1);
    buf out = BUF_INIT;
    replay(&ks, &out);
    buf_append_char(&out, '\0');
    assert_string_equal(out.data, "+OK\r\n:0\r\n:1\r\n:0\r\n:1\r\n");
    assert_int_equal(kv_size(&ks), 0);
    assert_int_equal(ks.stats.expired_keys, 1);
    buf_free(&out);
    kv_destroy(&ks);
}

static void test_unknown_command_is_a_noop_everywhere(void **state)
{
    (void)state;
    append(CMD_ENTRY_COMMAND, 1, "NOSUCH", "x", NULL);
    append(CMD_ENTRY_COMMAND, 1, "CLIENT", "ID", NULL); /* a server command */
    kv_keyspace ks;
    kv_init(&ks, 1);
    buf out = BUF_INIT;
    replay(&ks, &out);
    assert_int_equal(kv_size(&ks), 0);
    assert_non_null(memmem(out.data, out.len, "not applicable", 14));
    buf_free(&out);
    kv_destroy(&ks);
}

/* The split entry: one encoding, every damage refused, not a command. */
static void test_split_entry(void **state)
{
    (void)state;
    cmd_split sp = {.child = 300, .voter_count = 3, .voters = {1, 2, 1u << 20}};
    slot_set_add_range(&sp.slots, 4096, 8191);
    slot_set_add_range(&sp.slots, 9000, 9000);
    buf b = BUF_INIT;
    cmd_split_encode(&b, 1234, &sp);
    assert_int_equal(cmd_entry_kind(b.data, b.len), CMD_ENTRY_SPLIT);
    cmd_split got;
    assert_int_equal(cmd_split_decode(b.data, b.len, &got), 0);
    assert_int_equal(got.child, 300);
    assert_int_equal(got.voter_count, 3);
    assert_int_equal(got.voters[2], 1u << 20);
    assert_memory_equal(&got.slots, &sp.slots, sizeof sp.slots);
    cmd_entry e;
    assert_int_equal(cmd_entry_decode(b.data, b.len, &e), POLIS_ECORRUPT);
    for (size_t cut = 0; cut < b.len; cut++)
        assert_int_equal(cmd_split_decode(b.data, cut, &got), POLIS_ECORRUPT);
    buf_append(&b, "", 1);
    assert_int_equal(cmd_split_decode(b.data, b.len, &got), POLIS_ECORRUPT);
    /* no slot, or no voter */
    cmd_split empty = {.child = 3, .voter_count = 1, .voters = {1}};
    buf_clear(&b);
    cmd_split_encode(&b, 0, &empty);
    assert_int_equal(cmd_split_decode(b.data, b.len, &got), POLIS_ECORRUPT);
    slot_set_add_range(&empty.slots, 1, 1);
    buf_clear(&b);
    cmd_split_encode(&b, 0, &empty);
    assert_int_equal(cmd_split_decode(b.data, b.len, &got), 0);
    ((uint8_t *)b.data)[11] = 0; /* voter count */
    assert_int_equal(cmd_split_decode(b.data, b.len, &got), POLIS_ECORRUPT);
    /* a command is not a split */
    buf_clear(&b);
    cmd_arg argv[1] = {{"PING", 4}};
    cmd_entry_encode(&b, CMD_ENTRY_COMMAND, 0, argv, 1);
    assert_int_equal(cmd_entry_kind(b.data, b.len), CMD_ENTRY_COMMAND);
    assert_int_equal(cmd_split_decode(b.data, b.len, &got), POLIS_ECORRUPT);
    buf_free(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_round_trip_and_corruption),
        T(test_replicas_agree),
        T(test_conditional_expire),
        T(test_unknown_command_is_a_noop_everywhere),
        T(test_split_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
