#include "node/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "base/util.h"
#include "kv/evict.h"

enum config_kind { CK_STRING, CK_INT, CK_BYTES, CK_BOOL, CK_LOGLEVEL, CK_EVICT };

typedef struct config_row {
    const char *name;
    enum config_kind kind;
    size_t offset;
    int64_t min, max;
    bool mutable_;
    const char *help;
} config_row;

#define OFF(f) offsetof(node_config, f)
#define GIB    (1024ll * 1024 * 1024)

static const config_row rows[] = {
    {"bind", CK_STRING, OFF(bind), 0, 0, false, "address to listen on (127.0.0.1)"},
    {"port", CK_INT, OFF(port), 0, 65535, false, "client port (7379)"},
    {"dir", CK_STRING, OFF(dir), 0, 0, false, "data directory (.)"},
    {"requirepass", CK_STRING, OFF(requirepass), 0, 0, true,
     "password clients must AUTH with (none)"},
    {"logfile", CK_STRING, OFF(logfile), 0, 0, false, "log file; empty = stderr"},
    {"pidfile", CK_STRING, OFF(pidfile), 0, 0, false, "write the pid here (none)"},
    {"loglevel", CK_LOGLEVEL, OFF(loglevel), 0, 3, true,
     "debug, verbose, notice or warning (notice)"},
    {"maxclients", CK_INT, OFF(maxclients), 1, 1000000, true,
     "most client connections at once (10000)"},
    {"timeout", CK_INT, OFF(timeout_s), 0, INT32_MAX, true,
     "close clients idle this many seconds; 0 = never (0)"},
    {"tcp-backlog", CK_INT, OFF(tcp_backlog), 1, 65535, false, "listen backlog (511)"},
    {"tcp-keepalive", CK_INT, OFF(tcp_keepalive_s), 0, INT32_MAX, true,
     "TCP keepalive seconds; 0 = off (300)"},
    {"hz", CK_INT, OFF(hz), 1, 500, true, "background task frequency (10)"},
    {"databases", CK_INT, OFF(databases), 1, 1, false, "always 1: SELECT 0 only"},
    {"proto-max-bulk-len", CK_BYTES, OFF(proto_max_bulk_len), 1024 * 1024, INT64_MAX,
     true, "largest bulk string a client may send (512mb)"},
    {"proto-max-args", CK_INT, OFF(proto_max_args), 1, INT32_MAX, true,
     "most arguments in one request (1048576)"},
    {"proto-inline-max-size", CK_BYTES, OFF(proto_inline_max_bytes), 1024,
     64 * 1024 * 1024, true, "longest inline request (64kb)"},
    {"client-query-buffer-limit", CK_BYTES, OFF(client_query_buffer_limit), 1024 * 1024,
     INT64_MAX, true, "most unprocessed input per client (1gb)"},
    {"client-output-buffer-limit", CK_BYTES, OFF(client_output_buffer_limit), 0,
     INT64_MAX, true, "most pending output per client; 0 = unlimited (1gb)"},
    {"client-output-pause-bytes", CK_BYTES, OFF(client_output_pause_bytes), 1024,
     INT64_MAX, true,
     "stop reading a client while its pending output exceeds this (64mb)"},
    {"active-expire-enabled", CK_BOOL, OFF(active_expire_enabled), 0, 1, true,
     "delete expired keys in the background (yes)"},
    {"save", CK_STRING, OFF(save), 0, 0, false,
     "RDB snapshots: not offered; always empty (\"\")"},
    {"appendonly", CK_BOOL, OFF(appendonly), 0, 0, false,
     "AOF: not offered; always no (the Raft log will make data durable)"},
    {"node-id", CK_INT, OFF(node_id), 0, INT32_MAX, false,
     "this node's id in the cluster; 0 = standalone, not replicated (0)"},
    {"peers", CK_STRING, OFF(peers), 0, 0, false,
     "cluster members: id=ip:port,... (peer ports, this node included)"},
    {"cluster-id", CK_INT, OFF(cluster_id), 0, INT64_MAX, false,
     "cluster id checked by peers; 0 = derived from --peers (0)"},
    {"cluster-leader-wait-ms", CK_INT, OFF(cluster_leader_wait_ms), 0, 600000, true,
     "how long a request waits for a leader before -CLUSTERDOWN (2000)"},
    {"cluster-shards", CK_INT, OFF(cluster_shards), 0, 4096, false,
     "shards (Raft groups over the 16384 slots) created when the cluster first forms; "
     "0 = wait for CLUSTER CREATE (1)"},
    {"cluster-replicas", CK_INT, OFF(cluster_replicas), 1, 7, false,
     "replicas per shard, capped by the number of nodes (3)"},
    {"cluster-redirect", CK_BOOL, OFF(cluster_redirect), 0, 1, true,
     "answer -MOVED slot host:port for a slot led elsewhere instead of forwarding (no)"},
    {"cluster-join", CK_BOOL, OFF(cluster_join), 0, 1, false,
     "join a running cluster instead of founding one: the node waits for CLUSTER ADDNODE "
     "(needs that cluster's cluster-id) (no)"},
    {"zone", CK_STRING, OFF(zone), 0, 0, false,
     "this node's zone label; replicas of a shard go to distinct zones (\"\")"},
    {"raft-snapshot-entries", CK_INT, OFF(raft_snapshot_entries), 10, INT64_MAX, false,
     "snapshot the keyspace after this many applied writes (100000)"},
    {"raft-tick-ms", CK_INT, OFF(raft_tick_ms), 5, 1000, false,
     "raft clock tick; leader election after 10-20 ticks (50)"},
    {"maxmemory", CK_BYTES, OFF(maxmemory), 0, INT64_MAX, true,
     "memory limit; past it keys are evicted by maxmemory-policy (0 = none)"},
    {"maxmemory-policy", CK_EVICT, OFF(maxmemory_policy), 0, KV_EVICT_POLICY_COUNT - 1,
     true,
     "noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, "
     "volatile-random or volatile-ttl (noeviction)"},
    {"maxmemory-samples", CK_INT, OFF(maxmemory_samples), 1, 64, true,
     "keys sampled per eviction choice (5)"},
    {"lfu-log-factor", CK_INT, OFF(lfu_log_factor), 0, INT32_MAX, true,
     "LFU counter growth: higher = slower (10)"},
    {"lfu-decay-time", CK_INT, OFF(lfu_decay_time), 0, INT32_MAX, true,
     "minutes per LFU counter decrement (1)"},
    {"debug-unsafe-local-reads", CK_BOOL, OFF(debug_unsafe_local_reads), 0, 1, true,
     "TEST ONLY, breaks linearizability: serve reads without ReadIndex (no)"},
    {"hash-max-listpack-entries", CK_INT, OFF(hash_max_listpack_entries), 0, INT32_MAX,
     true, "hashes with more fields use a hash table (512)"},
    {"hash-max-listpack-value", CK_INT, OFF(hash_max_listpack_value), 0, INT32_MAX, true,
     "hashes with a longer field or value use a hash table (64)"},
    {"set-max-intset-entries", CK_INT, OFF(set_max_intset_entries), 0, INT32_MAX, true,
     "integer sets with more members use a hash table (512)"},
    {"zset-max-listpack-entries", CK_INT, OFF(zset_max_listpack_entries), 0, INT32_MAX,
     true, "sorted sets with more members use a skiplist (128)"},
    {"zset-max-listpack-value", CK_INT, OFF(zset_max_listpack_value), 0, INT32_MAX, true,
     "sorted sets with a longer member use a skiplist (64)"},
    {"list-max-listpack-size", CK_INT, OFF(list_max_listpack_size), -5, INT32_MAX, true,
     "list node size: -1..-5 = 4..64 KiB, N > 0 = N entries (-2)"},
};
#define ROW_COUNT (sizeof rows / sizeof rows[0])

void config_cmd_limits(const node_config *cfg, cmd_limits *out)
{
    *out = (cmd_limits){
        .string_bytes_max = (uint64_t)cfg->proto_max_bulk_len,
        .hash_max_listpack_entries = (uint32_t)cfg->hash_max_listpack_entries,
        .hash_max_listpack_value = (uint32_t)cfg->hash_max_listpack_value,
        .set_max_intset_entries = (uint32_t)cfg->set_max_intset_entries,
        .zset_max_listpack_entries = (uint32_t)cfg->zset_max_listpack_entries,
        .zset_max_listpack_value = (uint32_t)cfg->zset_max_listpack_value,
        .list_max_listpack_size = (int32_t)cfg->list_max_listpack_size,
    };
}

void config_defaults(node_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->bind, "127.0.0.1");
    cfg->port = 7379;
    strcpy(cfg->dir, ".");
    cfg->loglevel = LOG_NOTICE;
    cfg->maxclients = 10000;
    cfg->tcp_backlog = 511;
    cfg->tcp_keepalive_s = 300;
    cfg->hz = 10;
    cfg->databases = 1;
    cfg->proto_max_bulk_len = 512ll * 1024 * 1024;
    cfg->proto_max_args = 1024 * 1024;
    cfg->proto_inline_max_bytes = 64 * 1024;
    cfg->client_query_buffer_limit = GIB;
    cfg->client_output_buffer_limit = GIB;
    cfg->client_output_pause_bytes = 64ll * 1024 * 1024;
    cfg->active_expire_enabled = 1;
    cfg->cluster_leader_wait_ms = 2000;
    cfg->cluster_shards = 1;
    cfg->cluster_replicas = 3;
    cfg->raft_snapshot_entries = 100000;
    cfg->maxmemory_policy = KV_EVICT_NOEVICTION;
    cfg->maxmemory_samples = 5;
    cfg->lfu_log_factor = 10;
    cfg->lfu_decay_time = 1;
    cmd_limits l;
    cmd_limits_defaults(&l);
    cfg->hash_max_listpack_entries = l.hash_max_listpack_entries;
    cfg->hash_max_listpack_value = l.hash_max_listpack_value;
    cfg->set_max_intset_entries = l.set_max_intset_entries;
    cfg->zset_max_listpack_entries = l.zset_max_listpack_entries;
    cfg->zset_max_listpack_value = l.zset_max_listpack_value;
    cfg->list_max_listpack_size = l.list_max_listpack_size;
    cfg->raft_tick_ms = 50;
}

static const config_row *find_row(const char *name)
{
    for (size_t i = 0; i < ROW_COUNT; i++)
        if (strcasecmp(rows[i].name, name) == 0) return &rows[i];
    return NULL;
}

int config_set(node_config *cfg, const char *name, const char *value, bool at_runtime,
               buf *err)
{
    const config_row *row = find_row(name);
    if (row == NULL) return POLIS_ENOTFOUND;
    if (at_runtime && !row->mutable_) {
        buf_append_str(err, "can't set immutable config");
        return POLIS_EBUSY;
    }
    char *field = (char *)cfg + row->offset;
    int64_t v = 0;
    uint64_t u;
    switch (row->kind) {
    case CK_STRING:
        if (strlen(value) >= CONFIG_STRING_BYTES_MAX) {
            buf_append_str(err, "argument is too long");
            return POLIS_EINVAL;
        }
        strcpy(field, value);
        return 0;
    case CK_INT:
        if (!str_to_i64(value, strlen(value), &v)) {
            buf_append_str(err, "argument couldn't be parsed into an integer");
            return POLIS_EINVAL;
        }
        break;
    case CK_BYTES:
        if (!str_to_bytes(value, strlen(value), &u) || u > INT64_MAX) {
            buf_append_str(err, "argument must be a memory value");
            return POLIS_EINVAL;
        }
        v = (int64_t)u;
        break;
    case CK_BOOL:
        if (strcasecmp(value, "yes") == 0)
            v = 1;
        else if (strcasecmp(value, "no") == 0)
            v = 0;
        else {
            buf_append_str(err, "argument must be 'yes' or 'no'");
            return POLIS_EINVAL;
        }
        break;
    case CK_EVICT:
        v = kv_evict_policy_parse(value);
        if (v < 0) {
            buf_append_str(err,
                           "argument(s) must be one of the following: volatile-lru, "
                           "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "
                           "allkeys-lfu, allkeys-random, noeviction");
            return POLIS_EINVAL;
        }
        break;
    case CK_LOGLEVEL:
        v = log_level_parse(value);
        if (v < 0) {
            buf_append_str(err,
                           "argument(s) must be one of the following: debug, verbose, "
                           "notice, warning");
            return POLIS_EINVAL;
        }
        break;
    }
    if (v < row->min || v > row->max) {
        buf_append_fmt(err, "argument must be between %lld and %lld inclusive",
                       (long long)row->min, (long long)row->max);
        return POLIS_EINVAL;
    }
    memcpy(field, &v, sizeof v);
    return 0;
}

static void format_value(const node_config *cfg, const config_row *row, char *out,
                         size_t cap)
{
    const char *field = (const char *)cfg + row->offset;
    int64_t v;
    if (row->kind == CK_STRING) {
        snprintf(out, cap, "%s", field);
        return;
    }
    memcpy(&v, field, sizeof v);
    switch (row->kind) {
    case CK_BOOL:
        snprintf(out, cap, "%s", v ? "yes" : "no");
        break;
    case CK_LOGLEVEL:
        snprintf(out, cap, "%s", log_level_name((enum log_level)v));
        break;
    case CK_EVICT:
        snprintf(out, cap, "%s", kv_evict_policy_name((int)v));
        break;
    default:
        snprintf(out, cap, "%lld", (long long)v);
        break;
    }
}

size_t config_get_matching(const node_config *cfg, const char *pattern, size_t len,
                           config_visit_fn *fn, void *priv)
{
    size_t n = 0;
    char value[CONFIG_STRING_BYTES_MAX + 32];
    for (size_t i = 0; i < ROW_COUNT; i++) {
        if (!glob_match(pattern, len, rows[i].name, strlen(rows[i].name), true)) continue;
        format_value(cfg, &rows[i], value, sizeof value);
        fn(priv, rows[i].name, value);
        n++;
    }
    return n;
}

/* Splits a config line into at most 3 words, honoring "..." and '...'. */
static int split_line(char *line, char *words[3])
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#') break;
        if (n == 3) return -1;
        char quote = (*p == '"' || *p == '\'') ? *p++ : 0;
        words[n++] = p;
        if (quote) {
            char *end = strchr(p, quote);
            if (end == NULL) return -1;
            *end = '\0';
            p = end + 1;
        } else {
            while (*p && !isspace((unsigned char)*p))
                p++;
            if (*p) *p++ = '\0';
        }
    }
    return n;
}

int config_load_file(node_config *cfg, const char *path, buf *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        buf_append_fmt(err, "cannot open config file '%s'", path);
        return POLIS_ECONFIG;
    }
    char line[4096];
    int lineno = 0, rv = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *words[3];
        int n = split_line(line, words);
        if (n == 0) continue;
        if (n != 2) {
            buf_append_fmt(err, "%s:%d: expected 'name value'", path, lineno);
            rv = POLIS_ECONFIG;
            break;
        }
        buf why = BUF_INIT;
        int r = config_set(cfg, words[0], words[1], false, &why);
        if (r == POLIS_ENOTFOUND) {
            buf_append_fmt(err, "%s:%d: unknown setting '%s'", path, lineno, words[0]);
        } else if (r != 0) {
            buf_append_fmt(err, "%s:%d: bad value for '%s': %.*s", path, lineno, words[0],
                           (int)why.len, why.data);
        }
        buf_free(&why);
        if (r != 0) {
            rv = POLIS_ECONFIG;
            break;
        }
    }
    fclose(f);
    if (rv == 0) snprintf(cfg->config_file, sizeof cfg->config_file, "%s", path);
    return rv;
}

void config_usage(buf *out)
{
    for (size_t i = 0; i < ROW_COUNT; i++) {
        if (strcmp(rows[i].name, "databases") == 0) continue;
        buf_append_fmt(out, "  --%-28s %s%s\n", rows[i].name, rows[i].help,
                       rows[i].mutable_ ? "" : " [not changeable at run time]");
    }
}
