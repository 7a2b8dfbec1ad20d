/* node/info.c - INFO sections and CLIENT LIST lines, in Redis's field
 * names so that tools reading them (redis-cli, exporters) work. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/util.h"
#include "kv/evict.h"
#include "node/cluster.h"
#include "node/evict.h"
#include "node/server.h"

/* The Redis version polis is compatible with, for tools that check it. */
#define POLIS_REDIS_COMPAT_VERSION "7.0.15"

void node_client_describe(const node_client *c, buf *out)
{
    int64_t now = node_now_ms();
    const char *cmd = c->last_cmd ? c->last_cmd->fullname : "NULL";
    char flags[8] = "N";
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) strcpy(flags, "c");
    buf_append_fmt(out,
                   "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s "
                   "db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu "
                   "argv-mem=0 multi-mem=0 rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu "
                   "tot-mem=%zu events=r%s cmd=%s user=default redir=-1 resp=%d\n",
                   (unsigned long long)c->id, c->addr, c->laddr, c->fd,
                   c->name ? c->name : "", (long long)((now - c->ctime_ms) / 1000),
                   (long long)((now - c->last_interaction_ms) / 1000), flags,
                   c->query.len, c->query.cap - c->query.len, c->query.cap, c->query.len,
                   c->out.len, c->inflight.len,
                   sizeof *c + c->query.cap + c->out.cap + c->inflight.cap,
                   c->writing || c->out.len ? "w" : "", cmd, c->resp);
}

static void bytes_human(char *out, size_t cap, double n)
{
    const char *units = "BKMGTP";
    int i = 0;
    while (n >= 1024 && i < 5) {
        n /= 1024;
        i++;
    }
    if (i == 0)
        snprintf(out, cap, "%.0fB", n);
    else
        snprintf(out, cap, "%.2f%c", n, units[i]);
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return 0;
    unsigned long pages_total = 0, pages_rss = 0;
    int n = fscanf(f, "%lu %lu", &pages_total, &pages_rss);
    fclose(f);
    return n == 2 ? pages_rss * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

static void section_server(node_server *s, buf *out)
{
    struct utsname u;
    uname(&u);
    int64_t now = node_now_ms();
    int64_t uptime = (now - s->start_ms) / 1000;
    buf_append_fmt(out,
                   "# Server\r\n"
                   "redis_version:%s\r\n"
                   "polis_version:%s\r\n"
                   "redis_mode:standalone\r\n"
                   "os:%s %s %s\r\n"
                   "arch_bits:%d\r\n"
                   "multiplexing_api:libuv %s\r\n"
                   "gcc_version:%d.%d.%d\r\n"
                   "process_id:%d\r\n"
                   "run_id:%s\r\n"
                   "tcp_port:%lld\r\n"
                   "server_time_usec:%lld\r\n"
                   "uptime_in_seconds:%lld\r\n"
                   "uptime_in_days:%lld\r\n"
                   "hz:%lld\r\n"
                   "configured_hz:%lld\r\n"
                   "config_file:%s\r\n",
                   POLIS_REDIS_COMPAT_VERSION, POLIS_VERSION, u.sysname, u.release,
                   u.machine, (int)sizeof(void *) * 8, uv_version_string(), __GNUC__,
                   __GNUC_MINOR__, __GNUC_PATCHLEVEL__, (int)getpid(), s->run_id,
                   (long long)s->cfg.port, (long long)node_now_us(), (long long)uptime,
                   (long long)(uptime / 86400), (long long)s->cfg.hz,
                   (long long)s->cfg.hz, s->cfg.config_file);
}

static void section_clients(node_server *s, buf *out)
{
    size_t max_in = 0, max_out = 0;
    for (node_client *c = s->clients; c; c = c->next) {
        if (c->query.cap > max_in) max_in = c->query.cap;
        if (c->out.cap + c->inflight.cap > max_out)
            max_out = c->out.cap + c->inflight.cap;
    }
    buf_append_fmt(out,
                   "# Clients\r\n"
                   "connected_clients:%zu\r\n"
                   "cluster_connections:0\r\n"
                   "maxclients:%lld\r\n"
                   "client_recent_max_input_buffer:%zu\r\n"
                   "client_recent_max_output_buffer:%zu\r\n"
                   "blocked_clients:%zu\r\n"
                   "tracking_clients:0\r\n"
                   "clients_in_timeout_table:0\r\n",
                   s->client_count, (long long)s->cfg.maxclients, max_in, max_out,
                   s->blocked_count);
}

/* Bytes the allocator has handed out and not taken back, for comparison
 * with used_memory, which counts polis's own allocations (the tests check
 * they agree within 10%). Under ASan the sanitizer's allocator is the one
 * in use and glibc's counters stay at zero. */
#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void); /* the ASan runtime's */
#endif

static size_t allocator_allocated(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

static void section_memory(node_server *s, buf *out)
{
    size_t used = mem_used_bytes(), rss = rss_bytes();
    static size_t peak;
    if (used > peak) peak = used;
    char used_h[32], rss_h[32], peak_h[32], max_h[32];
    bytes_human(used_h, sizeof used_h, (double)used);
    bytes_human(rss_h, sizeof rss_h, (double)rss);
    bytes_human(peak_h, sizeof peak_h, (double)peak);
    bytes_human(max_h, sizeof max_h, (double)s->cfg.maxmemory);
    buf_append_fmt(out,
                   "# Memory\r\n"
                   "used_memory:%zu\r\n"
                   "used_memory_human:%s\r\n"
                   "used_memory_rss:%zu\r\n"
                   "used_memory_rss_human:%s\r\n"
                   "used_memory_peak:%zu\r\n"
                   "used_memory_peak_human:%s\r\n"
                   "maxmemory:%lld\r\n"
                   "maxmemory_human:%s\r\n"
                   "maxmemory_policy:%s\r\n"
                   "mem_not_counted_for_evict:%zu\r\n"
                   "allocator_allocated:%zu\r\n"
                   "mem_fragmentation_ratio:%.2f\r\n"
                   "mem_allocator:libc\r\n",
                   used, used_h, rss, rss_h, peak, peak_h, (long long)s->cfg.maxmemory,
                   max_h, kv_evict_policy_name((int)s->cfg.maxmemory_policy),
                   used - node_counted_memory(s), allocator_allocated(),
                   used ? (double)rss / (double)used : 0.0);
}

static uint64_t instantaneous_ops(const node_stats *st)
{
    size_t newest = st->ops_sample_index, oldest = (newest + 1) % 16;
    if (st->ops_sample_ms[oldest] == 0 ||
        st->ops_sample_ms[newest] <= st->ops_sample_ms[oldest])
        return 0;
    uint64_t ops = st->ops_samples[newest] - st->ops_samples[oldest];
    int64_t ms = st->ops_sample_ms[newest] - st->ops_sample_ms[oldest];
    return ops * 1000 / (uint64_t)ms;
}

static void section_stats(node_server *s, buf *out)
{
    const node_stats *st = &s->stats;
    buf_append_fmt(out,
                   "# Stats\r\n"
                   "total_connections_received:%llu\r\n"
                   "total_commands_processed:%llu\r\n"
                   "instantaneous_ops_per_sec:%llu\r\n"
                   "total_net_input_bytes:%llu\r\n"
                   "total_net_output_bytes:%llu\r\n"
                   "rejected_connections:%llu\r\n"
                   "expired_keys:%llu\r\n"
                   "evicted_keys:%llu\r\n"
                   "keyspace_hits:%llu\r\n"
                   "keyspace_misses:%llu\r\n"
                   "total_error_replies:%llu\r\n",
                   (unsigned long long)st->connections_received,
                   (unsigned long long)st->commands_processed,
                   (unsigned long long)instantaneous_ops(st),
                   (unsigned long long)st->net_input_bytes,
                   (unsigned long long)st->net_output_bytes,
                   (unsigned long long)st->rejected_connections,
                   (unsigned long long)s->ks.stats.expired_keys,
                   (unsigned long long)st->evicted_keys,
                   (unsigned long long)s->ks.stats.keyspace_hits,
                   (unsigned long long)s->ks.stats.keyspace_misses,
                   (unsigned long long)st->error_replies);
}

static void section_replication(node_server *s, buf *out)
{
    if (s->cluster) {
        cluster_info_replication(s->cluster, out);
        return;
    }
    buf_append_str(out, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
}

static void section_persistence(node_server *s, buf *out)
{
    if (s->cluster) {
        cluster_info_persistence(s->cluster, out);
        return;
    }
    buf_append_str(out, "# Persistence\r\nwal_enabled:0\r\n");
}

static void section_cpu(node_server *s, buf *out)
{
    (void)s;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    buf_append_fmt(out, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n",
                   (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
                   (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
}

static void stat_line(buf *out, const cmd_def *d)
{
    if (d->stats.calls == 0 && d->stats.rejected_calls == 0 && d->stats.failed_calls == 0)
        return;
    double per_call = d->stats.calls ? (double)d->stats.usec / (double)d->stats.calls : 0;
    buf_append_fmt(
        out,
        "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
        "failed_calls=%llu\r\n",
        d->fullname, (unsigned long long)d->stats.calls,
        (unsigned long long)d->stats.usec, per_call,
        (unsigned long long)d->stats.rejected_calls,
        (unsigned long long)d->stats.failed_calls);
}

static void section_commandstats(node_server *s, buf *out)
{
    (void)s;
    buf_append_str(out, "# Commandstats\r\n");
    for (const cmd_def *d = cmd_table(); d->name; d++) {
        stat_line(out, d);
        for (const cmd_def *sub = d->subcommands; sub && sub->name; sub++)
            stat_line(out, sub);
    }
}

/* Cluster clients (redis-py's RedisCluster) check cluster_enabled. */
static void section_cluster(node_server *s, buf *out)
{
    buf_append_fmt(out, "# Cluster\r\ncluster_enabled:%d\r\n", s->cluster ? 1 : 0);
}

static void section_keyspace(node_server *s, buf *out)
{
    size_t keys = kv_size(&s->ks), expires = s->ks.volatile_count;
    if (s->cluster) cluster_keyspace_totals(s->cluster, &keys, &expires);
    buf_append_str(out, "# Keyspace\r\n");
    if (keys > 0)
        buf_append_fmt(out, "db0:keys=%zu,expires=%zu,avg_ttl=0\r\n", keys, expires);
}

typedef void section_fn(node_server *s, buf *out);

static const struct {
    const char *name;
    section_fn *fn;
    bool in_default;
} sections[] = {
    {"server", section_server, true},   {"clients", section_clients, true},
    {"memory", section_memory, true},   {"persistence", section_persistence, true},
    {"stats", section_stats, true},     {"replication", section_replication, true},
    {"cpu", section_cpu, true},         {"commandstats", section_commandstats, false},
    {"cluster", section_cluster, true}, {"keyspace", section_keyspace, true},
};
#define SECTION_COUNT (sizeof sections / sizeof sections[0])

void node_info(node_server *s, const cmd_arg *args, size_t count, buf *out)
{
    bool want[SECTION_COUNT] = {0};
    if (count == 0) {
        for (size_t i = 0; i < SECTION_COUNT; i++)
            want[i] = sections[i].in_default;
    }
    for (size_t a = 0; a < count; a++) {
        bool all = str_eq_nocase(args[a].ptr, args[a].len, "all") ||
                   str_eq_nocase(args[a].ptr, args[a].len, "everything");
        bool def = str_eq_nocase(args[a].ptr, args[a].len, "default");
        for (size_t i = 0; i < SECTION_COUNT; i++) {
            if (all || (def && sections[i].in_default) ||
                str_eq_nocase(args[a].ptr, args[a].len, sections[i].name))
                want[i] = true;
        }
    }
    bool first = true;
    for (size_t i = 0; i < SECTION_COUNT; i++) {
        if (!want[i]) continue;
        if (!first) buf_append_str(out, "\r\n");
        first = false;
        sections[i].fn(s, out);
    }
}
