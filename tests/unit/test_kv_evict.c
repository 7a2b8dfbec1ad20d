/* Unit tests for kv/evict.c: policy names, access clocks (LRU seconds, LFU
 * counter and decay) and the choice of victims for every policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kv_world.h"
#include "kv/evict.h"

#define T0 1700000000000

static kv_obj *key(const char *name)
{
    return kv_lookup_any(&W.ks, name, strlen(name));
}

static void test_policy_names(void **state)
{
    (void)state;
    for (int p = 0; p < KV_EVICT_POLICY_COUNT; p++)
        assert_int_equal(kv_evict_policy_parse(kv_evict_policy_name(p)), p);
    assert_int_equal(kv_evict_policy_parse("ALLKEYS-LRU"), KV_EVICT_ALLKEYS_LRU);
    assert_int_equal(kv_evict_policy_parse("lru"), -1);
}

static void test_lru_clock(void **state)
{
    (void)state;
    W.now_ms = T0;
    EXPECT("+OK\r\n", "SET", "a", "1");
    assert_int_equal(kv_idle_seconds(key("a"), T0 + 2500), 2);
    W.now_ms = T0 + 3000;
    EXPECT("$1\r\n1\r\n", "GET", "a"); /* an access */
    assert_int_equal(kv_idle_seconds(key("a"), T0 + 3000), 0);
    W.now_ms = T0 + 5000;
    EXPECT(":2\r\n", "OBJECT", "IDLETIME", "a");
    EXPECT("+string\r\n", "TYPE", "a"); /* TYPE does not touch */
    EXPECT(":2\r\n", "OBJECT", "IDLETIME", "a");
    /* The 24-bit clock wraps: idle time stays right across the wrap. */
    kv_obj *o = key("a");
    o->access_clock = (1u << 24) - 2; /* two seconds before the wrap */
    int64_t wrap_ms = (int64_t)(1u << 24) * 1000 * 3 + 1000; /* one second after it */
    assert_int_equal(kv_idle_seconds(o, wrap_ms), 2);
}

static void test_lfu_counter_and_decay(void **state)
{
    (void)state;
    kv_access_mode(&W.ks, KV_EVICT_ALLKEYS_LFU, 0, 1); /* factor 0: every access counts */
    W.now_ms = T0;
    EXPECT("+OK\r\n", "SET", "f", "1");
    assert_int_equal(kv_lfu_frequency(&W.ks, key("f"), T0), 6); /* 5 to start, +1 */
    for (int i = 0; i < 10; i++)
        EXPECT("$1\r\n1\r\n", "GET", "f");
    EXPECT(":16\r\n", "OBJECT", "FREQ", "f");
    /* One decrement per minute without access. */
    assert_int_equal(kv_lfu_frequency(&W.ks, key("f"), T0 + 3 * 60000), 13);
    assert_int_equal(kv_lfu_frequency(&W.ks, key("f"), T0 + 60 * 60000), 0);
    EXPECT("-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
           "that when switching between policies at runtime LRU and LFU data will take "
           "some time to adjust.\r\n",
           "OBJECT", "IDLETIME", "f");
    kv_access_mode(&W.ks, KV_EVICT_NOEVICTION, 10, 1);
    EXPECT("-ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
           "Please note that when switching between policies at runtime LRU and LFU data "
           "will take some time to adjust.\r\n",
           "OBJECT", "FREQ", "f");
}

static const char *pick(int policy, uint32_t samples)
{
    static buf out;
    static kv_evict_pool pool;
    static bool init;
    if (!init) {
        buf_init(&out);
        init = true;
    }
    kv_evict_pool_init(&pool);
    rng r;
    rng_seed(&r, 5);
    bool ok = kv_evict_pick(&W.ks, &pool, policy, W.now_ms, &r, samples, &out);
    kv_evict_pool_free(&pool);
    if (!ok) return NULL;
    buf_append_char(&out, '\0');
    out.len--;
    return out.data;
}

static void test_victims(void **state)
{
    (void)state;
    assert_null(pick(KV_EVICT_ALLKEYS_LRU, 5)); /* empty */
    W.now_ms = T0;
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "k%d", i);
        run("SET", name, "v", NULL);
        key(name)->access_clock = (uint32_t)(T0 / 1000 - (i == 7 ? 500 : i)) & 0xffffff;
    }
    /* Sampling every key: the oldest access goes first. */
    assert_string_equal(pick(KV_EVICT_ALLKEYS_LRU, 64), "k7");
    assert_null(pick(KV_EVICT_NOEVICTION, 64));
    /* No key has a TTL: nothing for the volatile policies. */
    assert_null(pick(KV_EVICT_VOLATILE_LRU, 64));
    assert_null(pick(KV_EVICT_VOLATILE_TTL, 64));
    assert_null(pick(KV_EVICT_VOLATILE_RANDOM, 64));
    run("EXPIRE", "k3", "100", NULL);
    run("EXPIRE", "k4", "50", NULL);
    run("EXPIRE", "k5", "200", NULL);
    /* (EXPIRE is an access: put the clocks back.) */
    for (int i = 3; i <= 5; i++) {
        snprintf(name, sizeof name, "k%d", i);
        key(name)->access_clock = (uint32_t)(T0 / 1000 - i) & 0xffffff;
    }
    assert_string_equal(pick(KV_EVICT_VOLATILE_TTL, 64), "k4");
    const char *v = pick(KV_EVICT_VOLATILE_RANDOM, 64);
    assert_true(strcmp(v, "k3") == 0 || strcmp(v, "k4") == 0 || strcmp(v, "k5") == 0);
    assert_string_equal(pick(KV_EVICT_VOLATILE_LRU, 64), "k5"); /* idle 5 > 4 > 3 */
    assert_non_null(pick(KV_EVICT_ALLKEYS_RANDOM, 1));
    /* LFU: the lowest counter goes first. */
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "k%d", i);
        key(name)->access_clock =
            (((uint32_t)(T0 / 60000) & 0xffff) << 8 | (uint32_t)(100 - i)) & 0xffffff;
    }
    assert_string_equal(pick(KV_EVICT_ALLKEYS_LFU, 64), "k19");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lru_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lfu_counter_and_decay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_victims, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
