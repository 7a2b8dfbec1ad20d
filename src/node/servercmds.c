/* node/servercmds.c - connection and server commands: PING, ECHO, HELLO,
 * AUTH, QUIT, SELECT, TIME, INFO, SHUTDOWN, FLUSHALL, CLIENT, CONFIG,
 * OBJECT HELP. Replies follow Redis 7.0 word for word. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/util.h"
#include "cluster/slot.h"
#include "node/cluster.h"
#include "node/server.h"
#include "node/servercmds.h"
#include "kv/cmds.h"

static void reply_help(cmd_ctx *c, const char *const *lines, size_t n)
{
    resp_array(c->w, n);
    for (size_t i = 0; i < n; i++)
        resp_simple_cstr(c->w, lines[i]);
}

void nodecmd_ping(cmd_ctx *c)
{
    if (c->argc > 2) {
        cmd_error_arity(c);
        return;
    }
    if (c->argc == 1)
        resp_simple_cstr(c->w, "PONG");
    else
        resp_bulk(c->w, c->argv[1].ptr, c->argv[1].len);
}

void nodecmd_echo(cmd_ctx *c)
{
    resp_bulk(c->w, c->argv[1].ptr, c->argv[1].len);
}

/* Checks a password against requirepass (the "default" user). */
static bool password_ok(const node_server *s, const cmd_arg *user, const cmd_arg *pass)
{
    /* User names are case-sensitive; polis has only the default user. */
    if (user->len != 7 || memcmp(user->ptr, "default", 7) != 0) return false;
    const char *want = s->cfg.requirepass;
    if (want[0] == '\0') return true; /* nopass: any password works */
    return pass->len == strlen(want) && memcmp(pass->ptr, want, pass->len) == 0;
}

void nodecmd_auth(cmd_ctx *c)
{
    node_server *s = c->server;
    if (c->argc > 3) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    static const cmd_arg default_user = {"default", 7};
    const cmd_arg *user = &default_user, *pass = &c->argv[1];
    if (c->argc == 2) {
        if (s->cfg.requirepass[0] == '\0') {
            cmd_error(c, "ERR AUTH <password> called without any password configured "
                         "for the default user. Are you sure your configuration is "
                         "correct?");
            return;
        }
    } else {
        user = &c->argv[1];
        pass = &c->argv[2];
    }
    if (password_ok(s, user, pass)) {
        c->client->authenticated = true;
        resp_ok(c->w);
    } else {
        cmd_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
    }
}

void nodecmd_hello(cmd_ctx *c)
{
    node_client *cl = c->client;
    int64_t ver = 0;
    size_t next = 1;
    if (c->argc >= 2) {
        if (!cmd_arg_i64_or_reply(
                c, next++, &ver,
                "ERR Protocol version is not an integer or out of range"))
            return;
        if (ver < 2 || ver > 3) {
            cmd_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    for (size_t j = next; j < c->argc; j++) {
        size_t more = c->argc - 1 - j;
        if (cmd_arg_is(c, j, "auth") && more >= 2) {
            if (!password_ok(c->server, &c->argv[j + 1], &c->argv[j + 2])) {
                cmd_error(
                    c, "WRONGPASS invalid username-password pair or user is disabled.");
                return;
            }
            cl->authenticated = true;
            j += 2;
        } else if (cmd_arg_is(c, j, "setname") && more >= 1) {
            const cmd_arg *name = &c->argv[j + 1];
            for (size_t i = 0; i < name->len; i++) {
                if (name->ptr[i] < '!' || name->ptr[i] > '~') {
                    cmd_error(c, "ERR Client names cannot contain spaces, newlines or "
                                 "special characters.");
                    return;
                }
            }
            mem_free(cl->name);
            cl->name = name->len ? mem_strndup(name->ptr, name->len) : NULL;
            j++;
        } else {
            char tmp[256];
            cmd_errorf(c, "ERR Syntax error in HELLO option '%s'",
                       cmd_arg_cstr(c, j, tmp, sizeof tmp));
            return;
        }
    }
    if (!cl->authenticated) {
        cmd_error(c,
                  "NOAUTH HELLO must be called with the client already authenticated, "
                  "otherwise the HELLO AUTH <user> <pass> option can be used to "
                  "authenticate the client and select the RESP protocol version at the "
                  "same time");
        return;
    }
    if (ver) {
        cl->resp = (int)ver;
        c->w->proto = (int)ver;
    }
    resp_writer *w = c->w;
    resp_map(w, 7);
    resp_bulk_cstr(w, "server");
    resp_bulk_cstr(w, "polis");
    resp_bulk_cstr(w, "version");
    resp_bulk_cstr(w, POLIS_VERSION);
    resp_bulk_cstr(w, "proto");
    resp_int(w, cl->resp);
    resp_bulk_cstr(w, "id");
    resp_int(w, (int64_t)cl->id);
    resp_bulk_cstr(w, "mode");
    resp_bulk_cstr(w, "standalone");
    resp_bulk_cstr(w, "role");
    resp_bulk_cstr(w, "master");
    resp_bulk_cstr(w, "modules");
    resp_array(w, 0);
}

void nodecmd_quit(cmd_ctx *c)
{
    resp_ok(c->w);
    c->client->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

void nodecmd_select(cmd_ctx *c)
{
    int64_t id;
    if (!cmd_arg_i64_or_reply(c, 1, &id, NULL)) return;
    if (id < INT32_MIN || id > INT32_MAX) {
        cmd_error(c, CMD_ERR_NOT_INT);
        return;
    }
    if (id != 0) {
        cmd_error(c, "ERR DB index is out of range");
        return;
    }
    resp_ok(c->w);
}

void nodecmd_time(cmd_ctx *c)
{
    int64_t us = node_now_us();
    resp_array(c->w, 2);
    resp_bulk_i64(c->w, us / 1000000);
    resp_bulk_i64(c->w, us % 1000000);
}

void nodecmd_info(cmd_ctx *c)
{
    buf out = BUF_INIT;
    node_info(c->server, c->argv + 1, c->argc - 1, &out);
    resp_verbatim(c->w, "txt", out.data ? out.data : "", out.len);
    buf_free(&out);
}

void nodecmd_shutdown(cmd_ctx *c)
{
    bool abort = false;
    for (size_t i = 1; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "nosave") || cmd_arg_is(c, i, "save") ||
            cmd_arg_is(c, i, "now") || cmd_arg_is(c, i, "force")) {
            continue;
        } else if (cmd_arg_is(c, i, "abort")) {
            abort = true;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
    }
    if (abort) {
        cmd_error(c, "ERR No shutdown in progress.");
        return;
    }
    log_warning("User requested shutdown...");
    node_server_shutdown(c->server);
}

void nodecmd_flushall(cmd_ctx *c)
{
    kvcmd_flushdb(c);
}

/* ---- CLIENT ------------------------------------------------------------ */

void nodecmd_client_id(cmd_ctx *c)
{
    resp_int(c->w, (int64_t)c->client->id);
}

void nodecmd_client_setname(cmd_ctx *c)
{
    const cmd_arg *name = &c->argv[2];
    for (size_t i = 0; i < name->len; i++) {
        if (name->ptr[i] < '!' || name->ptr[i] > '~') {
            cmd_error(c, "ERR Client names cannot contain spaces, newlines or special "
                         "characters.");
            return;
        }
    }
    mem_free(c->client->name);
    c->client->name = name->len ? mem_strndup(name->ptr, name->len) : NULL;
    resp_ok(c->w);
}

void nodecmd_client_getname(cmd_ctx *c)
{
    if (c->client->name)
        resp_bulk_cstr(c->w, c->client->name);
    else
        resp_null(c->w);
}

void nodecmd_client_info(cmd_ctx *c)
{
    buf line = BUF_INIT;
    node_client_describe(c->client, &line);
    resp_verbatim(c->w, "txt", line.data, line.len);
    buf_free(&line);
}

/* A type filter: polis has only normal clients so far. Returns -1 (error
 * replied), 0 (matches nothing) or 1 (matches normal clients). */
static int client_type_filter(cmd_ctx *c, size_t i)
{
    if (cmd_arg_is(c, i, "normal")) return 1;
    if (cmd_arg_is(c, i, "master") || cmd_arg_is(c, i, "replica") ||
        cmd_arg_is(c, i, "slave") || cmd_arg_is(c, i, "pubsub"))
        return 0;
    char tmp[256];
    cmd_errorf(c, "ERR Unknown client type '%s'", cmd_arg_cstr(c, i, tmp, sizeof tmp));
    return -1;
}

void nodecmd_client_list(cmd_ctx *c)
{
    int type_ok = 1;
    size_t ids_from = 0;
    if (c->argc == 4 && cmd_arg_is(c, 2, "type")) {
        type_ok = client_type_filter(c, 3);
        if (type_ok < 0) return;
    } else if (c->argc >= 4 && cmd_arg_is(c, 2, "id")) {
        ids_from = 3;
        for (size_t i = 3; i < c->argc; i++) {
            int64_t id;
            if (!str_to_i64(c->argv[i].ptr, c->argv[i].len, &id) || id <= 0) {
                cmd_error(c, "ERR Invalid client ID");
                return;
            }
        }
    } else if (c->argc != 2) {
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    buf out = BUF_INIT;
    for (node_client *cl = c->server->clients; cl && type_ok; cl = cl->next) {
        if (ids_from) {
            bool match = false;
            for (size_t i = ids_from; i < c->argc && !match; i++) {
                int64_t id = 0;
                str_to_i64(c->argv[i].ptr, c->argv[i].len, &id);
                match = (uint64_t)id == cl->id;
            }
            if (!match) continue;
        }
        node_client_describe(cl, &out);
    }
    resp_verbatim(c->w, "txt", out.data ? out.data : "", out.len);
    buf_free(&out);
}

void nodecmd_client_kill(cmd_ctx *c)
{
    node_server *s = c->server;
    if (c->argc == 3) { /* old form: CLIENT KILL addr:port */
        for (node_client *cl = s->clients; cl; cl = cl->next) {
            if (strlen(cl->addr) == c->argv[2].len &&
                memcmp(cl->addr, c->argv[2].ptr, c->argv[2].len) == 0) {
                resp_ok(c->w);
                if (cl == c->client)
                    cl->flags |= CLIENT_CLOSE_AFTER_REPLY;
                else
                    node_client_close(cl);
                return;
            }
        }
        cmd_error(c, "ERR No such client");
        return;
    }
    uint64_t id = 0;
    const cmd_arg *addr = NULL, *laddr = NULL, *user = NULL;
    int type_ok = 1;
    bool skipme = true;
    int64_t maxage = 0;
    for (size_t i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
        if (cmd_arg_is(c, i, "id")) {
            int64_t v;
            if (!str_to_i64(c->argv[i + 1].ptr, c->argv[i + 1].len, &v) || v <= 0) {
                cmd_error(c, "ERR client-id should be greater than 0");
                return;
            }
            id = (uint64_t)v;
        } else if (cmd_arg_is(c, i, "addr")) {
            addr = &c->argv[i + 1];
        } else if (cmd_arg_is(c, i, "laddr")) {
            laddr = &c->argv[i + 1];
        } else if (cmd_arg_is(c, i, "user")) {
            user = &c->argv[i + 1];
        } else if (cmd_arg_is(c, i, "type")) {
            type_ok = client_type_filter(c, i + 1);
            if (type_ok < 0) return;
        } else if (cmd_arg_is(c, i, "skipme")) {
            if (cmd_arg_is(c, i + 1, "yes"))
                skipme = true;
            else if (cmd_arg_is(c, i + 1, "no"))
                skipme = false;
            else {
                cmd_error(c, CMD_ERR_SYNTAX);
                return;
            }
        } else if (cmd_arg_is(c, i, "maxage")) {
            if (!cmd_arg_i64_or_reply(c, i + 1, &maxage, NULL)) return;
        } else {
            cmd_error(c, CMD_ERR_SYNTAX);
            return;
        }
    }
    int64_t killed = 0;
    int64_t now = node_now_ms();
    for (node_client *cl = s->clients, *next; cl; cl = next) {
        next = cl->next;
        if (!type_ok || (id && cl->id != id)) continue;
        if (addr &&
            (strlen(cl->addr) != addr->len || memcmp(cl->addr, addr->ptr, addr->len)))
            continue;
        if (laddr && (strlen(cl->laddr) != laddr->len ||
                      memcmp(cl->laddr, laddr->ptr, laddr->len)))
            continue;
        if (user && !(user->len == 7 && memcmp(user->ptr, "default", 7) == 0)) continue;
        if (maxage > 0 && (now - cl->ctime_ms) / 1000 < maxage) continue;
        if (cl == c->client && skipme) continue;
        killed++;
        if (cl == c->client)
            cl->flags |= CLIENT_CLOSE_AFTER_REPLY;
        else
            node_client_close(cl);
    }
    resp_int(c->w, killed);
}

void nodecmd_client_help(cmd_ctx *c)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "HELP",
        "    Print this help.",
    };
    reply_help(c, lines, sizeof lines / sizeof lines[0]);
}

/* ---- CONFIG ------------------------------------------------------------ */

typedef struct config_reply {
    resp_writer *w;
    const char *seen[64];
    size_t seen_count;
    size_t n;
} config_reply;

static void config_emit(void *priv, const char *name, const char *value)
{
    config_reply *r = priv;
    for (size_t i = 0; i < r->seen_count; i++)
        if (r->seen[i] == name) return; /* matched by an earlier pattern */
    if (r->seen_count < 64) r->seen[r->seen_count++] = name;
    resp_bulk_cstr(r->w, name);
    resp_bulk_cstr(r->w, value);
    r->n++;
}

void nodecmd_config_get(cmd_ctx *c)
{
    config_reply r = {.w = c->w};
    size_t mark = resp_defer(c->w);
    for (size_t i = 2; i < c->argc; i++)
        config_get_matching(&c->server->cfg, c->argv[i].ptr, c->argv[i].len, config_emit,
                            &r);
    resp_defer_map(c->w, mark, r.n);
}

static void apply_runtime_config(node_server *s)
{
    log_set_level((enum log_level)s->cfg.loglevel);
    for (node_client *cl = s->clients; cl; cl = cl->next) {
        cl->parser.limits.bulk_bytes_max = (size_t)s->cfg.proto_max_bulk_len;
        cl->parser.limits.args_max = (size_t)s->cfg.proto_max_args;
        cl->parser.limits.inline_bytes_max = (size_t)s->cfg.proto_inline_max_bytes;
    }
}

void nodecmd_config_set(cmd_ctx *c)
{
    if (c->argc % 2 != 0) {
        cmd_error_arity(c);
        return;
    }
    node_server *s = c->server;
    node_config next = s->cfg;
    for (size_t i = 2; i < c->argc; i += 2) {
        char name[128], value[CONFIG_STRING_BYTES_MAX + 1];
        cmd_arg_cstr(c, i, name, sizeof name);
        cmd_arg_cstr(c, i + 1, value, sizeof value);
        buf why = BUF_INIT;
        int rv = config_set(&next, name, value, true, &why);
        if (rv == POLIS_ENOTFOUND) {
            cmd_errorf(c,
                       "ERR Unknown option or number of arguments for CONFIG SET - '%s'",
                       name);
        } else if (rv != 0) {
            cmd_errorf(c,
                       "ERR CONFIG SET failed (possibly related to argument '%s') - %.*s",
                       name, (int)why.len, why.data);
        }
        buf_free(&why);
        if (rv != 0) return; /* nothing applied: all or none */
    }
    s->cfg = next;
    apply_runtime_config(s);
    resp_ok(c->w);
}

void nodecmd_config_resetstat(cmd_ctx *c)
{
    node_server *s = c->server;
    memset(&s->stats, 0, sizeof s->stats);
    memset(&s->ks.stats, 0, sizeof s->ks.stats);
    for (cmd_def *d = cmd_table(); d->name; d++) {
        memset(&d->stats, 0, sizeof d->stats);
        for (cmd_def *sub = d->subcommands; sub && sub->name; sub++)
            memset(&sub->stats, 0, sizeof sub->stats);
    }
    resp_ok(c->w);
}

typedef struct rewrite_state {
    FILE *f;
} rewrite_state;

static void rewrite_line(void *priv, const char *name, const char *value)
{
    rewrite_state *st = priv;
    if (strcmp(name, "databases") == 0) return;
    fprintf(st->f, "%s \"%s\"\n", name, value);
}

void nodecmd_config_rewrite(cmd_ctx *c)
{
    node_server *s = c->server;
    if (s->cfg.config_file[0] == '\0') {
        cmd_error(c, "ERR The server is running without a config file");
        return;
    }
    char tmp[CONFIG_STRING_BYTES_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->cfg.config_file);
    rewrite_state st = {fopen(tmp, "w")};
    if (st.f == NULL) {
        cmd_errorf(c, "ERR Rewriting config file: cannot open %s", tmp);
        return;
    }
    fprintf(st.f, "# polis configuration, rewritten by CONFIG REWRITE\n");
    config_get_matching(&s->cfg, "*", 1, rewrite_line, &st);
    bool ok = fflush(st.f) == 0 && fsync(fileno(st.f)) == 0;
    ok = (fclose(st.f) == 0) && ok;
    if (!ok || rename(tmp, s->cfg.config_file) != 0) {
        unlink(tmp);
        cmd_error(c, "ERR Rewriting config file: write failed");
        return;
    }
    resp_ok(c->w);
}

void nodecmd_config_help(cmd_ctx *c)
{
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Print this help.",
    };
    reply_help(c, lines, sizeof lines / sizeof lines[0]);
}

void nodecmd_object_help(cmd_ctx *c)
{
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Print this help.",
    };
    reply_help(c, lines, sizeof lines / sizeof lines[0]);
}

void nodecmd_memory_help(cmd_ctx *c)
{
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Print this help.",
    };
    reply_help(c, lines, sizeof lines / sizeof lines[0]);
}

/* CLUSTER KEYSLOT key: the key's hash slot (cluster/slot.h). Answered on
 * every node, clustered or not: the slot of a key does not depend on the
 * cluster's state. */
void nodecmd_cluster_keyslot(cmd_ctx *c)
{
    resp_int(c->w, slot_of_key(c->argv[2].ptr, c->argv[2].len));
}

/* CLUSTER SLOTS | SHARDS | NODES | INFO | MYID: the shard map as cluster
 * clients read it (node/cluster.c, cluster/topology.c). CLUSTER CREATE is
 * routed by the cluster and only reaches here on a standalone node. */
void nodecmd_cluster_topology(cmd_ctx *c)
{
    if (c->server->cluster == NULL) {
        cmd_error(c, "ERR This instance has cluster support disabled");
        return;
    }
    cluster_topology(c->server->cluster, c->cmd->name, c->w);
}

void nodecmd_cluster_help(cmd_ctx *c)
{
    static const char *const lines[] = {
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot>.",
        "ADDNODE <id> <host:port> <peer-host:port> [<zone>]",
        "    Add a node started with cluster-join to the map; replicas move to it.",
        "CREATE <shards> [<replicas>]",
        "    Create the first shards of a cluster whose nodes wait for it",
        "    (started with cluster-shards 0).",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by this node in a slot.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "MYID",
        "    Return the node id.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port@bus-port> <flags> <master> <pings> <pongs> <epoch> <link> "
        "<slot> ...",
        "REBALANCE",
        "    Report whether replicas and leaders are where the planner wants them.",
        "REMOVENODE <id>",
        "    Drain a node (its replicas move away), then remove it from the map.",
        "SETSPLIT <keys> [<bytes>]",
        "    Split shards automatically past this many keys (or bytes); 0: never.",
        "SHARDS",
        "    Return information about slot range mappings and the nodes serving them.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "SPLIT <shard> [<slot>]",
        "    Move a shard's slots from <slot> (default: the middle one) on into a",
        "    new shard on the same replicas; returns the new shard's id.",
        "HELP",
        "    Print this help.",
    };
    reply_help(c, lines, sizeof lines / sizeof lines[0]);
}

/* READONLY: this connection's reads are served by the node it talks to,
 * without a ReadIndex round: faster, possibly stale (as Redis Cluster's
 * replica reads). READWRITE restores linearizable reads. */
void nodecmd_readonly(cmd_ctx *c)
{
    c->client->flags |= CLIENT_READONLY;
    resp_ok(c->w);
}

void nodecmd_readwrite(cmd_ctx *c)
{
    c->client->flags &= ~(uint32_t)CLIENT_READONLY;
    resp_ok(c->w);
}
