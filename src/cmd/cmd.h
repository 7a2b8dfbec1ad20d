/* cmd/cmd.h - the command table and dispatch.
 *
 * Every command is one declarative row (cmd_def): name, arity (N exact, -N
 * at least N, as Redis), flags, key positions, handler, documentation.
 * Container commands (CLIENT, CONFIG, OBJECT, COMMAND) hold a sub-table.
 * cmd_lookup() resolves a request to its row; the caller (node/) checks
 * arity, authentication and flags once, then runs the handler with a
 * cmd_ctx. Handlers for data commands live in kv/ and are pure functions of
 * the context; handlers for server commands live in node/ and may use the
 * server and client the context points at.
 *
 * May call: base/, resp/, kv/ (the table names handlers defined there).
 * Must never: do I/O. */
#ifndef POLIS_CMD_CMD_H
#define POLIS_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "kv/kv.h"
#include "resp/resp.h"

struct node_server;
struct node_client;

enum cmd_flag {
    CMD_WRITE = 1u << 0,    /* may modify the keyspace */
    CMD_READONLY = 1u << 1, /* reads the keyspace only */
    CMD_DENYOOM = 1u << 2,  /* may grow memory: refused under OOM */
    CMD_ADMIN = 1u << 3,
    CMD_NOSCRIPT = 1u << 4,
    CMD_LOADING = 1u << 5, /* allowed while loading */
    CMD_STALE = 1u << 6,
    CMD_FAST = 1u << 7,       /* O(1) or O(log N) */
    CMD_NO_AUTH = 1u << 8,    /* allowed before AUTH */
    CMD_SERVER = 1u << 9,     /* runs on the receiving node, not the shard */
    CMD_CONTAINER = 1u << 10, /* dispatches on its first argument */
    CMD_SKIP_SLOWLOG = 1u << 11,
    CMD_RANDOM = 1u << 12, /* reply may differ between identical calls */
    CMD_ALLOW_BUSY = 1u << 13,
    CMD_NO_MULTI = 1u << 14,
    CMD_BLOCKING = 1u << 15, /* may block the client (BLPOP...) */
};

typedef struct cmd_arg {
    const char *ptr;
    size_t len;
} cmd_arg;

/* Limits and encoding thresholds a command obeys. They are part of the
 * state machine's input: every replica of a shard must apply entries with
 * the same values (they come from the node's config, which the cluster
 * keeps equal; OBJECT ENCODING would otherwise differ between replicas). */
typedef struct cmd_limits {
    uint64_t string_bytes_max; /* proto-max-bulk-len, for APPEND/SETRANGE */
    /* A compact value converts to its general encoding past these (Redis's
     * settings of the same names and defaults). */
    uint32_t hash_max_listpack_entries; /* 512 */
    uint32_t hash_max_listpack_value;   /* 64 bytes */
    uint32_t set_max_intset_entries;    /* 512 */
    uint32_t zset_max_listpack_entries; /* 128 */
    uint32_t zset_max_listpack_value;   /* 64 bytes */
    int32_t list_max_listpack_size;     /* -2: 8 KiB per quicklist node; N > 0: entries */
} cmd_limits;

/* Redis's defaults, string_bytes_max 512 MiB. */
void cmd_limits_defaults(cmd_limits *l);

/* Everything a handler may use. Data handlers read argv, ks, now_ms,
 * rand_seed, revision and limits, and write only to w and ks. */
typedef struct cmd_ctx {
    const cmd_arg *argv;
    size_t argc;
    const struct cmd_def *cmd;
    kv_keyspace *ks;
    resp_writer *w;
    int64_t now_ms;     /* the entry's timestamp (leader clock) */
    uint64_t rand_seed; /* derived from the entry's term and index */
    uint64_t revision;  /* stamped on every key the command changes */
    cmd_limits limits;
    struct node_server *server; /* NULL outside a server (tests) */
    struct node_client *client;
    bool failed; /* set by cmd_error*: counts failed_calls */
    /* Blocking commands (BLPOP, BLMOVE, BZPOPMIN...). A handler that finds
     * nothing to serve sets `block` with the timeout it parsed and writes no
     * reply; the server then parks the client until a write touches one of
     * the command's keys (and runs the handler again, which may block again)
     * or the timeout passes, when it runs the handler once more with
     * `timed_out` set and the handler writes its "nothing" reply (a null
     * array or bulk). Where blocking is not possible (inside a replicated
     * entry, a script) the caller sets `no_block`: the handler then treats
     * an empty result as timed out at once. */
    bool block;
    int64_t block_timeout_ms; /* relative to now_ms; 0 = forever */
    bool timed_out;
    bool no_block;
} cmd_ctx;

typedef void cmd_proc(cmd_ctx *c);
/* Key positions of commands whose keys move (LMPOP numkeys key..., ZUNION,
 * SINTERCARD...): writes them into out (capacity argc) and returns their
 * number, 0 if the arguments name no key (or are malformed). */
typedef int cmd_getkeys_proc(const struct cmd_arg *argv, size_t argc, size_t *out);
/* cmd/getkeys.c: the usual shapes. */
cmd_getkeys_proc cmd_keys_numkeys_at_1, cmd_keys_numkeys_at_2,
    cmd_keys_destination_numkeys;

typedef struct cmd_stats {
    uint64_t calls;
    uint64_t usec;
    uint64_t rejected_calls;
    uint64_t failed_calls;
} cmd_stats;

typedef struct cmd_def {
    const char *name; /* lower case; subcommands without the parent */
    int arity;
    uint32_t flags;
    int first_key; /* 0 if none */
    int last_key;  /* negative: counts from the end (-1 = last arg) */
    int key_step;
    cmd_proc *proc;
    const char *group; /* "string", "generic", "connection", "server" */
    const char *summary;
    const char *since;
    const char *complexity;
    struct cmd_def *subcommands; /* NULL-name terminated, for containers */
    struct cmd_def *parent;      /* set by cmd_table_init */
    char fullname[48];           /* "client|setname", set by cmd_table_init */
    cmd_stats stats;
    /* Movable keys (first_key is then 0, as in Redis's COMMAND INFO). */
    cmd_getkeys_proc *getkeys;
} cmd_def;

/* Builds the lookup index; call once at start-up. */
void cmd_table_init(void);
/* The top-level rows, NULL-name terminated. */
cmd_def *cmd_table(void);
size_t cmd_count(void);
/* Finds a top-level command by name (case-insensitive) or NULL. */
cmd_def *cmd_find(const char *name, size_t len);
/* Resolves argv to a row: a container with argc >= 2 resolves to its
 * subcommand. Sets *unknown_sub when argv[0] is a container and argv[1] is
 * not one of its subcommands. */
cmd_def *cmd_lookup(const cmd_arg *argv, size_t argc, bool *unknown_sub);
static inline bool cmd_arity_ok(const cmd_def *d, size_t argc)
{
    return d->arity > 0 ? (size_t)d->arity == argc : argc >= (size_t)-d->arity;
}
/* Writes the key positions of a request into out (capacity argc); returns
 * the number of keys, or -1 if the command has none (COMMAND GETKEYS). */
int cmd_get_keys(const cmd_def *d, const cmd_arg *argv, size_t argc, size_t *out);

/* Writes Redis's rejection for an unknown command or subcommand. */
void cmd_reply_unknown(resp_writer *w, const cmd_arg *argv, size_t argc,
                       bool unknown_sub);
void cmd_reply_arity(resp_writer *w, const cmd_def *d);

/* ---- Shared replies and argument helpers ------------------------------ */

#define CMD_ERR_SYNTAX    "ERR syntax error"
#define CMD_ERR_NOT_INT   "ERR value is not an integer or out of range"
#define CMD_ERR_NOT_FLOAT "ERR value is not a valid float"
#define CMD_ERR_WRONGTYPE                                                                \
    "WRONGTYPE Operation against a key holding the wrong kind of value"
#define CMD_ERR_NO_SUCH_KEY "ERR no such key"
#define CMD_ERR_OVERFLOW    "ERR increment or decrement would overflow"
#define CMD_ERR_STRING_TOO_BIG                                                           \
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

void cmd_error(cmd_ctx *c, const char *msg);
void cmd_errorf(cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Replies "ERR wrong number of arguments for '<fullname>' command". */
void cmd_error_arity(cmd_ctx *c);
/* Replies "ERR invalid expire time in '<name>' command". */
void cmd_error_expire_time(cmd_ctx *c);

static inline bool cmd_arg_is(const cmd_ctx *c, size_t i, const char *lit)
{
    return str_eq_nocase(c->argv[i].ptr, c->argv[i].len, lit);
}
/* Parses argv[i] as int64; on failure replies `err` (or CMD_ERR_NOT_INT)
 * and returns false. */
bool cmd_arg_i64_or_reply(cmd_ctx *c, size_t i, int64_t *out, const char *err);
/* A NUL-terminated copy of argv[i] truncated to cap-1 bytes, for messages. */
const char *cmd_arg_cstr(const cmd_ctx *c, size_t i, char *tmp, size_t cap);

/* INCRBYFLOAT and HINCRBYFLOAT: value + incr formatted as Redis does into
 * out (CMD_FLOAT_OUT_BYTES), its length in *len; on NaN, infinity or a
 * result that does not format, replies the error and returns false. */
#define CMD_FLOAT_OUT_BYTES 5120
bool cmd_add_float_or_reply(cmd_ctx *c, long double value, long double incr, char *out,
                            size_t *len);

/* Replies with a string object's value as a bulk string. */
void cmd_reply_string_obj(cmd_ctx *c, const kv_obj *o);

#endif
