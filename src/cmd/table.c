/* cmd/table.c - the command table: one row per command.
 *
 * Columns: name, arity, flags, first key, last key, key step, handler,
 * group, summary, since, complexity. Arity and key positions follow Redis
 * 7.0 exactly, so COMMAND output and client-side key routing agree. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/dict.h"
#include "base/mem.h"
#include "cmd/cmd.h"
#include "cmd/rows.h"
#include "kv/cmds.h"
#include "kv/t_hash.h"
#include "kv/t_list.h"
#include "kv/t_zset.h"
#include "node/servercmds.h"

static cmd_def object_subcommands[] = {
    ROW("encoding", 3, R, 2, 2, 1, kvcmd_object_encoding, "generic",
        "Returns the internal encoding of a key's value.", "2.2.3", "O(1)"),
    ROW("freq", 3, R, 2, 2, 1, kvcmd_object_freq, "generic",
        "Returns the logarithmic access frequency counter of a key.", "4.0.0", "O(1)"),
    ROW("idletime", 3, R, 2, 2, 1, kvcmd_object_idletime, "generic",
        "Returns the time since the last access to a key.", "2.2.3", "O(1)"),
    ROW("refcount", 3, R, 2, 2, 1, kvcmd_object_refcount, "generic",
        "Returns the reference count of a value of a key.", "2.2.3", "O(1)"),
    ROW("help", 2, LS | S, 0, 0, 0, nodecmd_object_help, "generic",
        "Returns helpful text about the different subcommands.", "6.2.0", "O(1)"),
    END,
};

static cmd_def memory_subcommands[] = {
    ROW("help", 2, LS | S, 0, 0, 0, nodecmd_memory_help, "server",
        "Returns helpful text about the different subcommands.", "4.0.0", "O(1)"),
    ROW("usage", -3, R, 2, 2, 1, kvcmd_memory_usage, "server",
        "Estimates the memory usage of a key.", "4.0.0",
        "O(N) where N is the number of samples."),
    END,
};

static cmd_def cluster_subcommands[] = {
    /* read the keyspace: linearizable reads in a cluster (no CMD_SERVER) */
    ROW("countkeysinslot", 3, CMD_STALE, 0, 0, 0, kvcmd_cluster_countkeysinslot,
        "cluster", "Returns the number of keys in a hash slot.", "3.0.0", "O(1)"),
    ROW("getkeysinslot", 4, CMD_STALE, 0, 0, 0, kvcmd_cluster_getkeysinslot, "cluster",
        "Returns the key names in a hash slot.", "3.0.0",
        "O(N) where N is the number of requested keys"),
    ROW("addnode", -5, S | CMD_ADMIN, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Adds a node started with cluster-join to the cluster's map.", "polis", "O(1)"),
    /* forms the first shards (the cluster routes it to the meta leader) */
    ROW("create", -3, S | CMD_ADMIN, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Creates the first shards of a cluster: CREATE shards [replicas].", "polis",
        "O(N) where N is the number of shards"),
    ROW("help", 2, LS | S, 0, 0, 0, nodecmd_cluster_help, "cluster",
        "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"),
    ROW("info", 2, LS | S, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Returns information about the state of a node.", "3.0.0", "O(1)"),
    ROW("keyslot", 3, S | CMD_STALE, 0, 0, 0, nodecmd_cluster_keyslot, "cluster",
        "Returns the hash slot for a key.", "3.0.0",
        "O(N) where N is the number of bytes in the key"),
    ROW("myid", 2, LS | S, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Returns the ID of a node.", "3.0.0", "O(1)"),
    ROW("nodes", 2, LS | S, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Returns the cluster configuration for a node.", "3.0.0",
        "O(N) where N is the total number of Cluster nodes"),
    ROW("rebalance", 2, LS | S, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Reports whether replicas and leaders are balanced (the planner balances them "
        "continuously).",
        "polis", "O(N) where N is the number of shards"),
    ROW("removenode", 3, S | CMD_ADMIN, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Drains a node (its replicas move away), then removes it from the map.", "polis",
        "O(1)"),
    ROW("setsplit", -3, S | CMD_ADMIN, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Sets the automatic split thresholds: SETSPLIT keys [bytes] (0: never).", "polis",
        "O(1)"),
    ROW("shards", 2, LS | S, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Returns the mapping of cluster slots to shards.", "7.0.0",
        "O(N) where N is the total number of cluster nodes"),
    ROW("slots", 2, LS | S, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Returns the mapping of cluster slots to nodes.", "3.0.0",
        "O(N) where N is the total number of Cluster nodes"),
    ROW("split", -3, S | CMD_ADMIN, 0, 0, 0, nodecmd_cluster_topology, "cluster",
        "Splits a shard's slots from a slot on into a new shard on the same replicas.",
        "polis", "O(N) where N is the number of slot tables moved"),
    END,
};

static cmd_def client_subcommands[] = {
    ROW("getname", 2, S | LS | NA, 0, 0, 0, nodecmd_client_getname, "connection",
        "Returns the name of the connection.", "2.6.9", "O(1)"),
    ROW("help", 2, S | LS, 0, 0, 0, nodecmd_client_help, "connection",
        "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"),
    ROW("id", 2, S | LS, 0, 0, 0, nodecmd_client_id, "connection",
        "Returns the unique client ID of the connection.", "5.0.0", "O(1)"),
    ROW("info", 2, S | LS, 0, 0, 0, nodecmd_client_info, "connection",
        "Returns information about the connection.", "6.2.0", "O(1)"),
    ROW("kill", -3, S | A | LS, 0, 0, 0, nodecmd_client_kill, "connection",
        "Terminates open connections.", "2.4.0",
        "O(N) where N is the number of client connections"),
    ROW("list", -2, S | A | LS, 0, 0, 0, nodecmd_client_list, "connection",
        "Lists open connections.", "2.4.0",
        "O(N) where N is the number of client connections"),
    ROW("setname", 3, S | LS | NA, 0, 0, 0, nodecmd_client_setname, "connection",
        "Sets the connection name.", "2.6.9", "O(1)"),
    END,
};

static cmd_def config_subcommands[] = {
    ROW("get", -3, S | A | LS, 0, 0, 0, nodecmd_config_get, "server",
        "Returns the effective values of configuration parameters.", "2.0.0",
        "O(N) when N is the number of configuration parameters provided"),
    ROW("help", 2, S | LS, 0, 0, 0, nodecmd_config_help, "server",
        "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"),
    ROW("resetstat", 2, S | A | LS, 0, 0, 0, nodecmd_config_resetstat, "server",
        "Resets the server's statistics.", "2.0.0", "O(1)"),
    ROW("rewrite", 2, S | A | LS, 0, 0, 0, nodecmd_config_rewrite, "server",
        "Persists the effective configuration to file.", "2.8.0", "O(1)"),
    ROW("set", -4, S | A | LS, 0, 0, 0, nodecmd_config_set, "server",
        "Sets configuration parameters in-flight.", "2.0.0",
        "O(N) when N is the number of configuration parameters provided"),
    END,
};

static cmd_def command_subcommands[] = {
    ROW("count", 2, S | LS, 0, 0, 0, cmdcmd_command_count, "server",
        "Returns a count of commands.", "2.8.13", "O(1)"),
    ROW("docs", -2, S | LS, 0, 0, 0, cmdcmd_command_docs, "server",
        "Returns documentary information about one, multiple or all commands.", "7.0.0",
        "O(N) where N is the number of commands to look up"),
    ROW("getkeys", -4, S | LS, 0, 0, 0, cmdcmd_command_getkeys, "server",
        "Extracts the key names from an arbitrary command.", "2.8.13",
        "O(N) where N is the number of arguments to the command"),
    ROW("help", 2, S | LS, 0, 0, 0, cmdcmd_command_help, "server",
        "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"),
    ROW("info", -2, S | LS, 0, 0, 0, cmdcmd_command_info, "server",
        "Returns information about one, multiple or all commands.", "2.8.13",
        "O(N) where N is the number of commands to look up"),
    ROW("list", -2, S | LS, 0, 0, 0, cmdcmd_command_list, "server",
        "Returns a list of command names.", "7.0.0",
        "O(N) where N is the total number of Redis commands"),
    END,
};

static cmd_def commands[] = {
    /* strings */
    ROW("append", 3, W | D, 1, 1, 1, kvcmd_append, "string",
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        "2.0.0", "O(1)"),
    ROW("decr", 2, W | D | F, 1, 1, 1, kvcmd_decr, "string",
        "Decrements the integer value of a key by one.", "1.0.0", "O(1)"),
    ROW("decrby", 3, W | D | F, 1, 1, 1, kvcmd_decrby, "string",
        "Decrements a number from the integer value of a key.", "1.0.0", "O(1)"),
    ROW("get", 2, R | F, 1, 1, 1, kvcmd_get, "string",
        "Returns the string value of a key.", "1.0.0", "O(1)"),
    ROW("getdel", 2, W | F, 1, 1, 1, kvcmd_getdel, "string",
        "Returns the string value of a key after deleting the key.", "6.2.0", "O(1)"),
    ROW("getex", -2, W | F, 1, 1, 1, kvcmd_getex, "string",
        "Returns the string value of a key after setting its expiration time.", "6.2.0",
        "O(1)"),
    ROW("getrange", 4, R, 1, 1, 1, kvcmd_getrange, "string",
        "Returns a substring of the string stored at a key.", "2.4.0",
        "O(N) where N is the length of the returned string."),
    ROW("getset", 3, W | D | F, 1, 1, 1, kvcmd_getset, "string",
        "Returns the previous string value of a key after setting it to a new value.",
        "1.0.0", "O(1)"),
    ROW("incr", 2, W | D | F, 1, 1, 1, kvcmd_incr, "string",
        "Increments the integer value of a key by one.", "1.0.0", "O(1)"),
    ROW("incrby", 3, W | D | F, 1, 1, 1, kvcmd_incrby, "string",
        "Increments the integer value of a key by a number.", "1.0.0", "O(1)"),
    ROW("incrbyfloat", 3, W | D | F, 1, 1, 1, kvcmd_incrbyfloat, "string",
        "Increment the floating point value of a key by a number.", "2.6.0", "O(1)"),
    ROW("mget", -2, R | F, 1, -1, 1, kvcmd_mget, "string",
        "Atomically returns the string values of one or more keys.", "1.0.0",
        "O(N) where N is the number of keys to retrieve."),
    ROW("mset", -3, W | D, 1, -1, 2, kvcmd_mset, "string",
        "Atomically creates or modifies the string values of one or more keys.", "1.0.1",
        "O(N) where N is the number of keys to set."),
    ROW("msetnx", -3, W | D, 1, -1, 2, kvcmd_msetnx, "string",
        "Atomically modifies the string values of one or more keys only when all keys "
        "don't exist.",
        "1.0.1", "O(N) where N is the number of keys to set."),
    ROW("psetex", 4, W | D, 1, 1, 1, kvcmd_psetex, "string",
        "Sets both string value and expiration time in milliseconds of a key.", "2.6.0",
        "O(1)"),
    ROW("set", -3, W | D, 1, 1, 1, kvcmd_set, "string",
        "Sets the string value of a key, ignoring its type.", "1.0.0", "O(1)"),
    ROW("setex", 4, W | D, 1, 1, 1, kvcmd_setex, "string",
        "Sets the string value and expiration time of a key.", "2.0.0", "O(1)"),
    ROW("setnx", 3, W | D | F, 1, 1, 1, kvcmd_setnx, "string",
        "Set the string value of a key only when the key doesn't exist.", "1.0.0",
        "O(1)"),
    ROW("setrange", 4, W | D, 1, 1, 1, kvcmd_setrange, "string",
        "Overwrites a part of a string value with another by an offset.", "2.2.0",
        "O(1), not counting the time taken to copy the new string in place."),
    ROW("strlen", 2, R | F, 1, 1, 1, kvcmd_strlen, "string",
        "Returns the length of a string value.", "2.2.0", "O(1)"),
    ROW("substr", 4, R, 1, 1, 1, kvcmd_getrange, "string",
        "Returns a substring from a string value.", "1.0.0",
        "O(N) where N is the length of the returned string."),
    /* keys */
    ROW("del", -2, W, 1, -1, 1, kvcmd_del, "generic", "Deletes one or more keys.",
        "1.0.0", "O(N) where N is the number of keys that will be removed."),
    ROW("exists", -2, R | F, 1, -1, 1, kvcmd_exists, "generic",
        "Determines whether one or more keys exist.", "1.0.0",
        "O(N) where N is the number of keys to check."),
    ROW("expire", -3, W | F, 1, 1, 1, kvcmd_expire, "generic",
        "Sets the expiration time of a key in seconds.", "1.0.0", "O(1)"),
    ROW("expireat", -3, W | F, 1, 1, 1, kvcmd_expireat, "generic",
        "Sets the expiration time of a key to a Unix timestamp.", "1.2.0", "O(1)"),
    ROW("expiretime", 2, R | F, 1, 1, 1, kvcmd_expiretime, "generic",
        "Returns the expiration time of a key as a Unix timestamp.", "7.0.0", "O(1)"),
    ROW("keys", 2, R, 0, 0, 0, kvcmd_keys, "generic",
        "Returns all key names that match a pattern.", "1.0.0",
        "O(N) with N being the number of keys in the database"),
    ROW("object", -2, 0 | CMD_CONTAINER, 0, 0, 0, NULL, "generic",
        "A container for object introspection commands.", "2.2.3",
        "Depends on subcommand."),
    ROW("memory", -2, 0 | CMD_CONTAINER, 0, 0, 0, NULL, "server",
        "A container for memory diagnostics commands.", "4.0.0",
        "Depends on subcommand."),
    ROW("persist", 2, W | F, 1, 1, 1, kvcmd_persist, "generic",
        "Removes the expiration time of a key.", "2.2.0", "O(1)"),
    ROW("pexpire", -3, W | F, 1, 1, 1, kvcmd_pexpire, "generic",
        "Sets the expiration time of a key in milliseconds.", "2.6.0", "O(1)"),
    ROW("pexpireat", -3, W | F, 1, 1, 1, kvcmd_pexpireat, "generic",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0",
        "O(1)"),
    ROW("pexpiretime", 2, R | F, 1, 1, 1, kvcmd_pexpiretime, "generic",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0",
        "O(1)"),
    ROW("pttl", 2, R | F, 1, 1, 1, kvcmd_pttl, "generic",
        "Returns the expiration time in milliseconds of a key.", "2.6.0", "O(1)"),
    ROW("randomkey", 1, R | CMD_RANDOM, 0, 0, 0, kvcmd_randomkey, "generic",
        "Returns a random key name from the database.", "1.0.0", "O(1)"),
    ROW("rename", 3, W, 1, 2, 1, kvcmd_rename, "generic",
        "Renames a key and overwrites the destination.", "1.0.0", "O(1)"),
    ROW("renamenx", 3, W | F, 1, 2, 1, kvcmd_renamenx, "generic",
        "Renames a key only when the target key name doesn't exist.", "1.0.0", "O(1)"),
    ROW("scan", -2, R | CMD_RANDOM, 0, 0, 0, kvcmd_scan, "generic",
        "Iterates over the key names in the database.", "2.8.0",
        "O(1) for every call. O(N) for a complete iteration."),
    ROW("touch", -2, R | F, 1, -1, 1, kvcmd_touch, "generic",
        "Returns the number of existing keys out of those specified after updating the "
        "time they were last accessed.",
        "3.2.1", "O(N) where N is the number of keys that will be touched."),
    ROW("ttl", 2, R | F, 1, 1, 1, kvcmd_ttl, "generic",
        "Returns the expiration time in seconds of a key.", "1.0.0", "O(1)"),
    ROW("type", 2, R | F, 1, 1, 1, kvcmd_type, "generic",
        "Determines the type of value stored at a key.", "1.0.0", "O(1)"),
    ROW("unlink", -2, W | F, 1, -1, 1, kvcmd_del, "generic",
        "Asynchronously deletes one or more keys.", "4.0.0",
        "O(1) for each key removed regardless of its size."),
    /* server and connection */
    ROW("auth", -2, S | NA | LS | F | CMD_NOSCRIPT, 0, 0, 0, nodecmd_auth, "connection",
        "Authenticates the connection.", "1.0.0",
        "O(N) where N is the number of passwords defined for the user"),
    ROW("client", -2, S | CMD_CONTAINER, 0, 0, 0, NULL, "connection",
        "A container for client connection commands.", "2.4.0", "Depends on subcommand."),
    ROW("cluster", -2, CMD_CONTAINER, 0, 0, 0, NULL, "cluster",
        "A container for Redis Cluster commands.", "3.0.0", "Depends on subcommand."),
    ROW("command", -1, S | LS, 0, 0, 0, cmdcmd_command, "server",
        "Returns detailed information about all commands.", "2.8.13",
        "O(N) where N is the total number of Redis commands"),
    ROW("config", -2, S | CMD_CONTAINER, 0, 0, 0, NULL, "server",
        "A container for server configuration commands.", "2.0.0",
        "Depends on subcommand."),
    ROW("dbsize", 1, R | F, 0, 0, 0, kvcmd_dbsize, "server",
        "Returns the number of keys in the database.", "1.0.0", "O(1)"),
    ROW("digest", 1, R, 0, 0, 0, kvcmd_digest, "server",
        "Returns a digest of the keyspace, equal on replicas that agree (polis).",
        "0.1.0", "O(N) where N is the number of keys"),
    ROW("echo", 2, S | F | LS, 0, 0, 0, nodecmd_echo, "connection",
        "Returns the given string.", "1.0.0", "O(1)"),
    ROW("flushall", -1, W, 0, 0, 0, nodecmd_flushall, "server",
        "Removes all keys from all databases.", "1.0.0",
        "O(N) where N is the total number of keys in all databases"),
    ROW("flushdb", -1, W, 0, 0, 0, kvcmd_flushdb, "server",
        "Remove all keys from the current database.", "1.0.0",
        "O(N) where N is the number of keys in the selected database"),
    ROW("hello", -1, S | NA | LS | F | CMD_NOSCRIPT, 0, 0, 0, nodecmd_hello, "connection",
        "Handshakes with the Redis server.", "6.0.0", "O(1)"),
    ROW("info", -1, S | LS, 0, 0, 0, nodecmd_info, "server",
        "Returns information and statistics about the server.", "1.0.0", "O(1)"),
    ROW("ping", -1, S | F, 0, 0, 0, nodecmd_ping, "connection",
        "Returns the server's liveliness response.", "1.0.0", "O(1)"),
    ROW("quit", -1, S | NA | LS | F | CMD_ALLOW_BUSY | CMD_NOSCRIPT, 0, 0, 0,
        nodecmd_quit, "connection", "Closes the connection.", "1.0.0", "O(1)"),
    ROW("readonly", 1, S | LS | F, 0, 0, 0, nodecmd_readonly, "cluster",
        "Enables read-only queries for a connection to a Redis Cluster replica node.",
        "3.0.0", "O(1)"),
    ROW("readwrite", 1, S | LS | F, 0, 0, 0, nodecmd_readwrite, "cluster",
        "Enables read-write queries for a connection to a Redis Cluster replica node.",
        "3.0.0", "O(1)"),
    ROW("select", 2, S | LS | F, 0, 0, 0, nodecmd_select, "connection",
        "Changes the selected database.", "1.0.0", "O(1)"),
    ROW("shutdown", -1, S | A | LS | CMD_NO_MULTI, 0, 0, 0, nodecmd_shutdown, "server",
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        "1.0.0",
        "O(N) when saving, where N is the total number of keys in all databases"),
    ROW("time", 1, S | F | LS | CMD_RANDOM, 0, 0, 0, nodecmd_time, "server",
        "Returns the server time.", "2.6.0", "O(1)"),
    END,
};

/* The rows of the value types, each in its own file (cmd/rows_<type>.c),
 * appended to the core rows at start-up. */
extern cmd_def cmd_rows_set[];
static cmd_def *const type_rows[] = {
    cmd_rows_hash, cmd_rows_list, cmd_rows_set, cmd_rows_zset, NULL,
};

static cmd_def *all_commands; /* core rows, then type rows, then END */
static dict command_index;
static size_t command_count;

typedef struct index_node {
    dict_node node;
    cmd_def *def;
} index_node;

static const char *index_key(const dict_node *n, size_t *len)
{
    const cmd_def *d = ((const index_node *)n)->def;
    *len = strlen(d->name);
    return d->name;
}

static const dict_type index_type = {index_key};
static index_node *index_nodes;

static size_t rows_in(const cmd_def *rows)
{
    size_t n = 0;
    while (rows[n].name)
        n++;
    return n;
}

static void init_subcommands(cmd_def *parent, cmd_def *subs)
{
    parent->subcommands = subs;
    for (cmd_def *s = subs; s->name; s++) {
        s->parent = parent;
        snprintf(s->fullname, sizeof s->fullname, "%s|%s", parent->name, s->name);
    }
}

void cmd_table_init(void)
{
    if (command_count > 0) return;
    size_t total = rows_in(commands);
    for (size_t t = 0; type_rows[t]; t++)
        total += rows_in(type_rows[t]);
    all_commands = mem_calloc(total + 1, sizeof *all_commands); /* + END */
    size_t k = 0;
    for (size_t i = 0; commands[i].name; i++)
        all_commands[k++] = commands[i];
    for (size_t t = 0; type_rows[t]; t++)
        for (size_t i = 0; type_rows[t][i].name; i++)
            all_commands[k++] = type_rows[t][i];
    index_nodes = mem_calloc(total, sizeof *index_nodes);
    dict_init(&command_index, &index_type, 0x706f6c6973ull);
    for (cmd_def *d = all_commands; d->name; d++) {
        PASSERT(strlen(d->name) < sizeof d->fullname);
        snprintf(d->fullname, sizeof d->fullname, "%s", d->name);
        if (strcmp(d->name, "object") == 0) init_subcommands(d, object_subcommands);
        if (strcmp(d->name, "memory") == 0) init_subcommands(d, memory_subcommands);
        if (strcmp(d->name, "client") == 0) init_subcommands(d, client_subcommands);
        if (strcmp(d->name, "cluster") == 0) init_subcommands(d, cluster_subcommands);
        if (strcmp(d->name, "config") == 0) init_subcommands(d, config_subcommands);
        if (strcmp(d->name, "command") == 0) {
            init_subcommands(d, command_subcommands);
            d->flags |= CMD_CONTAINER;
        }
        PASSERT(!(d->flags & CMD_CONTAINER) || d->subcommands != NULL);
        PASSERT(cmd_find(d->name, strlen(d->name)) == NULL); /* one row a name */
        index_nodes[command_count].def = d;
        dict_add(&command_index, &index_nodes[command_count].node);
        command_count++;
    }
}

cmd_def *cmd_table(void)
{
    return all_commands;
}

size_t cmd_count(void)
{
    return command_count;
}

#define CMD_NAME_BYTES_MAX 32

cmd_def *cmd_find(const char *name, size_t len)
{
    char lower[CMD_NAME_BYTES_MAX];
    if (len == 0 || len >= sizeof lower) return NULL;
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    dict_node *n = dict_find(&command_index, lower, len);
    return n ? ((index_node *)n)->def : NULL;
}

static cmd_def *find_sub(cmd_def *parent, const char *name, size_t len)
{
    for (cmd_def *s = parent->subcommands; s->name; s++)
        if (str_eq_nocase(name, len, s->name)) return s;
    return NULL;
}

cmd_def *cmd_lookup(const cmd_arg *argv, size_t argc, bool *unknown_sub)
{
    *unknown_sub = false;
    cmd_def *d = cmd_find(argv[0].ptr, argv[0].len);
    if (d == NULL || argc < 2 || !(d->flags & CMD_CONTAINER)) return d;
    cmd_def *sub = find_sub(d, argv[1].ptr, argv[1].len);
    /* COMMAND is also a command of its own: "COMMAND foo" is an unknown
     * subcommand, plain "COMMAND" runs the parent. */
    if (sub == NULL) *unknown_sub = true;
    return sub;
}

int cmd_get_keys(const cmd_def *d, const cmd_arg *argv, size_t argc, size_t *out)
{
    if (d->getkeys) {
        int n = d->getkeys(argv, argc, out);
        return n > 0 ? n : -1;
    }
    if (d->first_key <= 0) return -1;
    int last = d->last_key >= 0 ? d->last_key : (int)argc + d->last_key;
    int n = 0;
    for (int i = d->first_key; i <= last && i < (int)argc; i += d->key_step)
        out[n++] = (size_t)i;
    return n;
}

void cmd_limits_defaults(cmd_limits *l)
{
    *l = (cmd_limits){
        .string_bytes_max = 512ull << 20,
        .hash_max_listpack_entries = 512,
        .hash_max_listpack_value = 64,
        .set_max_intset_entries = 512,
        .zset_max_listpack_entries = 128,
        .zset_max_listpack_value = 64,
        .list_max_listpack_size = -2,
    };
}
