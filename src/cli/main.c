/* cli/main.c - the polis command line: `polis server`, `polis demo`,
 * `polis cluster ...`, `polis version`, `polis --help`.
 *
 * The cluster commands are a client of the nodes: a small blocking RESP
 * client (one command per connection, every wait with a deadline) sends the
 * CLUSTER commands the nodes implement and polls them until the cluster
 * reaches the state asked for. Nothing here decides placement; the meta
 * leader's balancer does, and this file only reports on it. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/util.h"
#include "node/config.h"
#include "node/server.h"

static void usage_main(FILE *out)
{
    fprintf(
        out,
        "polis %s - a distributed data platform that speaks the Redis protocol\n"
        "\n"
        "Usage:\n"
        "  polis server [--config FILE] [--<setting> VALUE ...]\n"
        "                       run a node (see `polis server --help`)\n"
        "  polis demo [--dir DIR] [--port N]\n"
        "                       start a local 3-node cluster and print how to connect\n"
        "  polis cluster status [--nodes ip:port,...]\n"
        "                       each node's role, term and indexes; nodes and shards\n"
        "  polis cluster create --shards N [--replicas R] ip:port...\n"
        "                       lay out the shards of a new cluster\n"
        "  polis cluster add-node ip:port [--nodes ip:port] [--no-wait]\n"
        "  polis cluster remove-node ID [--nodes ip:port] [--no-wait]\n"
        "  polis cluster rebalance [--nodes ip:port]\n"
        "                       change membership; wait for the balancer\n"
        "                       (see `polis cluster --help`)\n"
        "  polis version        print the version\n"
        "  polis --help         this help\n"
        "\n"
        "A node started with --node-id and --peers joins a replicated cluster\n"
        "(Raft); without them it is a standalone in-memory server.\n",
        POLIS_VERSION);
}

static void usage_server(FILE *out)
{
    buf settings = BUF_INIT;
    config_usage(&settings);
    fprintf(
        out,
        "Usage: polis server [FILE] [--config FILE] [--<setting> VALUE ...]\n"
        "\n"
        "Runs one polis node. Settings come from a config file in redis.conf style\n"
        "(one `setting value` per line, # comments) and from flags, which override\n"
        "the file. Most can also be changed at run time with CONFIG SET.\n"
        "\n"
        "  --config FILE                  read settings from FILE\n"
        "%.*s"
        "\n"
        "Sizes accept k, kb, m, mb, g, gb suffixes. SIGTERM, SIGINT or SHUTDOWN stop\n"
        "the node cleanly.\n",
        (int)settings.len, settings.data);
    buf_free(&settings);
}

static int cmd_server(int argc, char **argv)
{
    node_config cfg;
    config_defaults(&cfg);
    buf err = BUF_INIT;
    int i = 0;
    /* A config file comes first (positional or --config) so flags win. */
    for (int j = 0; j < argc; j++) {
        if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
            usage_server(stdout);
            return 0;
        }
    }
    const char *config_file = NULL;
    if (argc > 0 && strncmp(argv[0], "--", 2) != 0) config_file = argv[i++];
    for (int j = i; j + 1 < argc; j++)
        if (strcmp(argv[j], "--config") == 0) config_file = argv[j + 1];
    if (config_file && config_load_file(&cfg, config_file, &err) != 0) {
        fprintf(stderr, "polis: %.*s\n", (int)err.len, err.data);
        buf_free(&err);
        return 1;
    }
    for (; i < argc; i += 2) {
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "polis: expected --setting VALUE, got '%s' (see --help)\n",
                    argv[i]);
            return 1;
        }
        const char *name = argv[i] + 2;
        if (strcmp(name, "config") == 0) continue;
        int rv = config_set(&cfg, name, argv[i + 1], false, &err);
        if (rv == POLIS_ENOTFOUND) {
            fprintf(stderr, "polis: unknown setting '--%s' (see polis server --help)\n",
                    name);
        } else if (rv != 0) {
            fprintf(stderr, "polis: bad value for --%s: %.*s\n", name, (int)err.len,
                    err.data);
        }
        if (rv != 0) {
            buf_free(&err);
            return 1;
        }
    }
    buf_free(&err);
    return node_server_run(&cfg);
}

/* ---- a blocking RESP client ------------------------------------------------
 *
 * One command per connection: connect with a timeout, send the command as a
 * RESP array of bulk strings, read until one whole reply is in, and parse
 * it into a tree. RESP2 and the RESP3 types a node may send (verbatim,
 * null, map, set, push, double, boolean, big number) are understood. Every
 * wait has a deadline, every size a limit. IPv4 addresses "a.b.c.d:port"
 * only ("localhost" is taken as 127.0.0.1). */

#define CLI_REPLY_BYTES_MAX    (64u << 20) /* a longer reply is refused */
#define CLI_REPLY_DEPTH_MAX    8           /* nesting of arrays and maps */
#define CLI_REPLY_ITEMS_MAX    (1u << 20)  /* elements of one array or map */
#define CLI_READ_CHUNK_BYTES   16384
#define CLI_CONNECT_TIMEOUT_MS 1000
#define CLI_QUICK_TIMEOUT_MS   3000  /* PING, INFO, CLUSTER INFO...: served locally */
#define CLI_CHANGE_TIMEOUT_MS  15000 /* CREATE, ADDNODE, REMOVENODE: a meta commit */
#define CLI_ARGS_MAX           8
#define CLI_ADDR_BYTES         64
#define CLI_NODES_MAX          256
#define CLI_POLL_INTERVAL_MS   250

typedef struct cli_reply {
    char type;       /* the RESP type byte; every aggregate is '*', a null '_' */
    const char *str; /* NUL-terminated text of every non-aggregate; "" otherwise */
    size_t len;      /* of str */
    int64_t integer; /* the value of ':' */
    struct cli_reply *items; /* of '*'; a map's keys and values alternate */
    size_t item_count;
} cli_reply;

/* One command's outcome. `data` holds the bytes read and is owned by the
 * result; every str in the tree points into it. Free with cli_result_free,
 * whatever cli_call returned. */
typedef struct cli_result {
    char *data;
    cli_reply root;
    char failure[192]; /* why no reply arrived, when cli_call failed */
} cli_result;

/* One element's header line: its type byte, its number (length of $ and
 * =, count of * % ~ >, value of :) and where its line is. */
typedef struct resp_head {
    char type;
    int64_t n;
    size_t line_pos; /* the text after the type byte */
    size_t line_len;
    size_t next; /* the first byte after the line's CRLF */
} resp_head;

/* Scanning state: resumes where the last call stopped, so a reply that
 * arrives in many reads is scanned once, in linear time. */
typedef struct resp_scan {
    size_t pos;                         /* the first byte not scanned yet */
    size_t depth;                       /* aggregates open */
    uint64_t left[CLI_REPLY_DEPTH_MAX]; /* elements still to come in each */
} resp_scan;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool is_aggregate(char type)
{
    return type == '*' || type == '%' || type == '~' || type == '>';
}

/* Returns 1 when the header line at data[pos..len) is complete, 0 when
 * more bytes are needed, -1 when it is malformed. */
static int head_parse(const char *data, size_t len, size_t pos, resp_head *h)
{
    if (pos >= len) return 0;
    const char *nl = memchr(data + pos, '\n', len - pos);
    if (nl == NULL) return 0;
    size_t end = (size_t)(nl - data);
    if (end < pos + 2 || data[end - 1] != '\r') return -1;
    *h = (resp_head){data[pos], 0, pos + 1, end - 1 - (pos + 1), end + 1};
    switch (h->type) {
    case '$':
    case '=':
    case '*':
    case '%':
    case '~':
    case '>':
    case ':':
        if (!str_to_i64(data + h->line_pos, h->line_len, &h->n)) return -1;
        return h->type == ':' || h->n >= -1 ? 1 : -1;
    case '+':
    case '-':
    case '_':
    case ',':
    case '#':
    case '(':
        return 1;
    default:
        return -1;
    }
}

/* Returns 1 once data[0..s->pos) is one whole reply, 0 when more bytes are
 * needed, -1 on a protocol error or a reply past the limits. */
static int scan_reply(resp_scan *s, const char *data, size_t len)
{
    for (;;) {
        resp_head h;
        int rv = head_parse(data, len, s->pos, &h);
        if (rv <= 0) return rv;
        size_t next = h.next;
        uint64_t count = 0;
        if ((h.type == '$' || h.type == '=') && h.n >= 0) {
            if ((uint64_t)h.n > CLI_REPLY_BYTES_MAX) return -1;
            if (len - next < (size_t)h.n + 2) return 0;
            if (data[next + (size_t)h.n] != '\r' || data[next + (size_t)h.n + 1] != '\n')
                return -1;
            next += (size_t)h.n + 2;
        } else if (is_aggregate(h.type) && h.n > 0) {
            if ((uint64_t)h.n > CLI_REPLY_ITEMS_MAX) return -1;
            count = (uint64_t)h.n * (h.type == '%' ? 2 : 1);
        }
        s->pos = next;
        if (count > 0) {
            if (s->depth == CLI_REPLY_DEPTH_MAX) return -1;
            s->left[s->depth++] = count;
            continue;
        }
        /* A complete element: it may complete its aggregate, and so on up. */
        while (s->depth > 0 && --s->left[s->depth - 1] == 0)
            s->depth--;
        if (s->depth == 0) return 1;
    }
}

/* Builds the tree of a reply that scan_reply found whole in data[0..len).
 * A string's text is made a C string by writing a NUL over the '\r' that
 * ends it, which no later header needs. Returns 0, or -1 (the caller frees
 * what was built). */
static int build_reply(char *data, size_t len, size_t *pos, size_t depth, cli_reply *out)
{
    resp_head h;
    *out = (cli_reply){.type = '_', .str = ""};
    if (depth > CLI_REPLY_DEPTH_MAX || head_parse(data, len, *pos, &h) != 1) return -1;
    *pos = h.next;
    if (is_aggregate(h.type)) {
        if (h.n < 0) return 0;
        size_t count = (size_t)h.n * (h.type == '%' ? 2 : 1);
        out->type = '*';
        out->items = count ? mem_calloc(count, sizeof *out->items) : NULL;
        out->item_count = count;
        for (size_t i = 0; i < count; i++)
            if (build_reply(data, len, pos, depth + 1, &out->items[i]) != 0) return -1;
        return 0;
    }
    size_t text_pos = h.line_pos, text_len = h.line_len;
    if (h.type == '$' || h.type == '=') {
        if (h.n < 0) return 0;
        text_pos = h.next;
        text_len = (size_t)h.n;
        if (text_pos + text_len + 2 > len) return -1;
        *pos = text_pos + text_len + 2;
    }
    data[text_pos + text_len] = '\0';
    out->type = h.type;
    out->str = data + text_pos;
    out->len = text_len;
    out->integer = h.type == ':' ? h.n : 0;
    /* A verbatim string starts with its format: "txt:". */
    if (h.type == '=' && out->len >= 4 && out->str[3] == ':') {
        out->str += 4;
        out->len -= 4;
    }
    return 0;
}

static void reply_free_items(cli_reply *r)
{
    for (size_t i = 0; i < r->item_count; i++)
        reply_free_items(&r->items[i]);
    mem_free(r->items);
    r->items = NULL;
    r->item_count = 0;
}

static void cli_result_free(cli_result *res)
{
    reply_free_items(&res->root);
    mem_free(res->data);
    res->data = NULL;
}

/* "a.b.c.d:port" into sa; false if it is not one. */
static bool addr_parse(const char *addr, struct sockaddr_in *sa)
{
    const char *colon = strrchr(addr, ':');
    char host[INET_ADDRSTRLEN];
    uint64_t port;
    if (colon == NULL || colon == addr || (size_t)(colon - addr) >= sizeof host ||
        !str_to_u64(colon + 1, strlen(colon + 1), &port) || port == 0 || port > 65535)
        return false;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    *sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

/* Waits until fd is ready for `events` (or has an error to report); false
 * when the deadline passed first. */
static bool wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left_ms = deadline_ms - now_ms();
        if (left_ms <= 0) return false;
        struct pollfd p = {.fd = fd, .events = events};
        int rv = poll(&p, 1, (int)(left_ms > INT_MAX ? INT_MAX : left_ms));
        if (rv > 0) return true;
        if (rv < 0 && errno != EINTR) return false;
    }
}

/* A non-blocking socket connected to addr, or -1 with res->failure set. */
static int cli_connect(const char *addr, int64_t deadline_ms, cli_result *res)
{
    struct sockaddr_in sa;
    if (!addr_parse(addr, &sa)) {
        snprintf(res->failure, sizeof res->failure, "bad address '%s' (expected ip:port)",
                 addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(res->failure, sizeof res->failure, "socket: %s", strerror(errno));
        return -1;
    }
    int err = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
        int64_t connect_deadline_ms = now_ms() + CLI_CONNECT_TIMEOUT_MS;
        if (connect_deadline_ms > deadline_ms) connect_deadline_ms = deadline_ms;
        socklen_t err_len = sizeof err;
        if (!wait_fd(fd, POLLOUT, connect_deadline_ms))
            err = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
            err = errno;
    }
    if (err != 0) {
        snprintf(res->failure, sizeof res->failure, "cannot connect to %s: %s", addr,
                 strerror(err));
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *p, size_t n, int64_t deadline_ms)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(fd, POLLOUT, deadline_ms)) return false;
        } else {
            return false;
        }
    }
    return true;
}

/* Reads until one whole reply is in and builds its tree. */
static int read_reply(int fd, const char *addr, int64_t deadline_ms, cli_result *res)
{
    size_t len = 0, cap = 0;
    resp_scan scan = {0};
    for (;;) {
        if (cap - len < CLI_READ_CHUNK_BYTES) {
            if (len >= CLI_REPLY_BYTES_MAX) {
                snprintf(res->failure, sizeof res->failure,
                         "reply from %s is longer than %u bytes", addr,
                         CLI_REPLY_BYTES_MAX);
                return -1;
            }
            cap = cap == 0 ? 2 * CLI_READ_CHUNK_BYTES : 2 * cap;
            res->data = mem_realloc(res->data, cap);
        }
        ssize_t n = recv(fd, res->data + len, cap - len, 0);
        if (n > 0) {
            len += (size_t)n;
            int rv = scan_reply(&scan, res->data, len);
            size_t pos = 0;
            if (rv == 1 && build_reply(res->data, scan.pos, &pos, 0, &res->root) == 0)
                return 0;
            if (rv == 0) continue;
            snprintf(res->failure, sizeof res->failure, "protocol error in reply from %s",
                     addr);
            return -1;
        }
        int err = n < 0 ? errno : 0;
        if (err == EINTR) continue;
        bool would_block = err == EAGAIN || err == EWOULDBLOCK;
        if (would_block && wait_fd(fd, POLLIN, deadline_ms)) continue;
        snprintf(res->failure, sizeof res->failure, "%s: %s", addr,
                 n == 0        ? "connection closed before a whole reply"
                 : would_block ? "no reply in time"
                               : strerror(err));
        return -1;
    }
}

/* Sends argv[0..argc) to addr on a new connection and reads the reply into
 * res. Returns 0 when a reply arrived (an error reply too: root.type '-'),
 * -1 with res->failure set when none did. */
static int cli_call(const char *addr, int timeout_ms, cli_result *res, size_t argc,
                    const char *const *argv)
{
    *res = (cli_result){.root = {.type = '_', .str = ""}};
    int64_t deadline_ms = now_ms() + timeout_ms;
    int fd = cli_connect(addr, deadline_ms, res);
    if (fd < 0) return -1;
    buf req = BUF_INIT;
    buf_append_fmt(&req, "*%zu\r\n", argc);
    for (size_t i = 0; i < argc; i++)
        buf_append_fmt(&req, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    int rv = -1;
    if (!send_all(fd, req.data, req.len, deadline_ms))
        snprintf(res->failure, sizeof res->failure, "%s: cannot send: %s", addr,
                 strerror(errno));
    else
        rv = read_reply(fd, addr, deadline_ms, res);
    buf_free(&req);
    close(fd);
    return rv;
}

/* cli_call with the arguments listed, NULL last. The first NULL ends the
 * list, so an optional last argument may be passed as NULL when absent
 * (the replicas of CLUSTER CREATE, the zone of CLUSTER ADDNODE). */
__attribute__((sentinel)) static int cli_cmd(const char *addr, int timeout_ms,
                                             cli_result *res, ...)
{
    const char *argv[CLI_ARGS_MAX];
    size_t argc = 0;
    va_list ap;
    va_start(ap, res);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
        PASSERT(argc < CLI_ARGS_MAX);
        argv[argc++] = a;
    }
    va_end(ap);
    return cli_call(addr, timeout_ms, res, argc, argv);
}

static bool reply_is_text(const cli_reply *r)
{
    return r->type == '+' || r->type == '$' || r->type == '=';
}

/* What went wrong with a call that should have answered with text: the
 * transport failure, the error reply, or an unexpected type. */
static const char *result_problem(const cli_result *res, int rv)
{
    if (rv != 0) return res->failure;
    if (res->root.type == '-') return res->root.str;
    return reply_is_text(&res->root) ? NULL : "unexpected reply type";
}

/* The value after "name:" at the start of a line of text, copied into out
 * (cap bytes, truncated); false if there is no such line. */
static bool text_field(const char *text, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\r\n");
        if (n > name_len && strncmp(line, name, name_len) == 0 && line[name_len] == ':') {
            size_t v = n - name_len - 1 < cap ? n - name_len - 1 : cap - 1;
            memcpy(out, line + name_len + 1, v);
            out[v] = '\0';
            return true;
        }
        line += n;
        line += strspn(line, "\r\n");
    }
    return false;
}

/* The value of `name` in a map (or an array of name, value pairs). */
static const cli_reply *reply_get(const cli_reply *map, const char *name)
{
    if (map->type != '*') return NULL;
    for (size_t i = 0; i + 1 < map->item_count; i += 2)
        if (reply_is_text(&map->items[i]) && strcmp(map->items[i].str, name) == 0)
            return &map->items[i + 1];
    return NULL;
}

/* A node's numeric id from its 40-hex-digit name (24 zeros, then the id in
 * 16 hex digits); 0 when it is not such a name. */
static uint64_t node_id_of_name(const char *name, size_t len)
{
    if (len != 40) return 0;
    uint64_t id = 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0 || (i < 24 && digit != 0)) return 0;
        if (i >= 24) id = id << 4 | (uint64_t)digit;
    }
    return id;
}

static bool answers_ping(const char *addr, int timeout_ms)
{
    cli_result res;
    int rv = cli_cmd(addr, timeout_ms, &res, "PING", NULL);
    bool ok = rv == 0 && res.root.type == '+' && strcmp(res.root.str, "PONG") == 0;
    cli_result_free(&res);
    return ok;
}

/* One text field of a node's INFO-style reply (INFO replication, CLUSTER
 * INFO), into out; false (out says why) when the node did not answer. */
static bool fetch_field(const char *addr, const char *cmd, const char *sub,
                        const char *name, char *out, size_t cap)
{
    cli_result res;
    int rv = cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &res, cmd, sub, NULL);
    const char *problem = result_problem(&res, rv);
    bool ok = problem == NULL && text_field(res.root.str, name, out, cap);
    if (problem) snprintf(out, cap, "%s", problem);
    if (!problem && !ok) snprintf(out, cap, "no %s in %s %s", name, cmd, sub);
    cli_result_free(&res);
    return ok;
}

/* ---- polis cluster ----------------------------------------------------------
 *
 * The subcommands send CLUSTER CREATE / ADDNODE / REMOVENODE to a node and
 * then poll until the change has taken effect: every node has the shard map
 * (CLUSTER INFO cluster_state:ok), the balancer reports balanced (CLUSTER
 * REBALANCE), or the removed node has left the map (CLUSTER NODES). */

#define CLUSTER_CREATE_TIMEOUT_MS  20000  /* CREATE retried on TRYAGAIN/CLUSTERDOWN */
#define CLUSTER_READY_TIMEOUT_MS   30000  /* then every node's cluster_state:ok */
#define CLUSTER_BALANCE_TIMEOUT_MS 120000 /* add-node, remove-node, rebalance */
#define CLUSTER_DEFAULT_NODE       "127.0.0.1:7379"
#define CLUSTER_STATUS_NODES       "127.0.0.1:7379,127.0.0.1:7380,127.0.0.1:7381"
#define CLUSTER_NAME_LEN           40 /* a node's name: 24 zeros, its id in 16 hex digits */

typedef struct addr_list {
    size_t count;
    char addr[CLI_NODES_MAX][CLI_ADDR_BYTES];
} addr_list;

/* Adds the comma-separated addresses of spec; false, with a message after
 * `who`, on a bad one or on too many. */
static bool addr_list_add(addr_list *l, const char *spec, const char *who)
{
    for (const char *p = spec;; p++) {
        size_t n = strcspn(p, ",");
        struct sockaddr_in sa;
        if (l->count == CLI_NODES_MAX) {
            fprintf(stderr, "%s: more than %d addresses\n", who, CLI_NODES_MAX);
            return false;
        }
        char *addr = l->addr[l->count];
        snprintf(addr, CLI_ADDR_BYTES, "%.*s", (int)n, p);
        if (n == 0 || n >= CLI_ADDR_BYTES || !addr_parse(addr, &sa)) {
            fprintf(stderr, "%s: bad address '%.*s' (expected ip:port)\n", who, (int)n,
                    p);
            return false;
        }
        l->count++;
        p += n;
        if (*p == '\0') return true;
    }
}

/* The first address of l that answers PING; NULL (and a message) if none. */
static const char *first_reachable(const addr_list *l, const char *who)
{
    for (size_t i = 0; i < l->count; i++)
        if (answers_ping(l->addr[i], CLI_QUICK_TIMEOUT_MS)) return l->addr[i];
    fprintf(stderr, "%s: no node answers PING (tried %s%s)\n", who, l->addr[0],
            l->count > 1 ? " and the others" : "");
    return NULL;
}

__attribute__((format(printf, 3, 4))) static void str_append(char *dst, size_t cap,
                                                             const char *fmt, ...)
{
    size_t len = strnlen(dst, cap);
    if (len + 1 >= cap) return; /* full: the rest is cut */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + len, cap - len, fmt, ap);
    va_end(ap);
}

/* Whether CLUSTER NODES text has a line for node id; if so, its client
 * address into addr (cap bytes). */
static bool nodes_find(const char *text, uint64_t id, char *addr, size_t cap)
{
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\r\n");
        if (n > CLUSTER_NAME_LEN && line[CLUSTER_NAME_LEN] == ' ' &&
            node_id_of_name(line, CLUSTER_NAME_LEN) == id) {
            const char *a = line + CLUSTER_NAME_LEN + 1;
            snprintf(addr, cap, "%.*s", (int)strcspn(a, " @\r\n"), a);
            return true;
        }
        line += n;
        line += strspn(line, "\r\n");
    }
    return false;
}

/* ---- the balancer's report ---- */

typedef struct balance_node {
    uint64_t id;
    char state[16]; /* up or draining */
    long replicas, leaders;
} balance_node;

typedef struct balance_report {
    char state[16]; /* balanced, moving (replicas) or leaders (leadership) */
    size_t node_count;
    balance_node nodes[CLI_NODES_MAX]; /* the first CLI_NODES_MAX nodes */
} balance_report;

/* CLUSTER REBALANCE on addr into b:
 *   state:balanced|moving|leaders
 *   node_<id>:state=up|draining,replicas=N,leaders=M    (one per node)
 * False, with the reason in why, when it failed. */
static bool balance_fetch(const char *addr, balance_report *b, char *why, size_t why_cap)
{
    cli_result res;
    int rv = cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &res, "CLUSTER", "REBALANCE", NULL);
    const char *problem = result_problem(&res, rv);
    b->node_count = 0;
    if (!problem && !text_field(res.root.str, "state", b->state, sizeof b->state))
        problem = "no state in the CLUSTER REBALANCE reply";
    for (const char *line = problem ? "" : res.root.str; *line;) {
        balance_node *n = &b->nodes[b->node_count];
        if (b->node_count < CLI_NODES_MAX &&
            sscanf(line, "node_%" SCNu64 ":state=%15[a-z],replicas=%ld,leaders=%ld",
                   &n->id, n->state, &n->replicas, &n->leaders) == 4)
            b->node_count++;
        line += strcspn(line, "\r\n");
        line += strspn(line, "\r\n");
    }
    if (problem) snprintf(why, why_cap, "%s", problem);
    cli_result_free(&res);
    return problem == NULL;
}

/* "moving    n1 8/3  n2 8/2  n4 2/0 (draining)": replicas/leaders per node. */
static void balance_format(const balance_report *b, char *out, size_t cap)
{
    snprintf(out, cap, "%-9s", b->state);
    for (size_t i = 0; i < b->node_count; i++) {
        const balance_node *n = &b->nodes[i];
        str_append(out, cap, "  n%" PRIu64 " %ld/%ld%s", n->id, n->replicas, n->leaders,
                   strcmp(n->state, "up") == 0 ? "" : " (draining)");
    }
}

static const balance_node *balance_node_find(const balance_report *b, uint64_t id)
{
    for (size_t i = 0; i < b->node_count; i++)
        if (b->nodes[i].id == id) return &b->nodes[i];
    return NULL;
}

/* When a wait is over: given the node asked, its report, and the node the
 * command was about (0: none). */
typedef bool balance_done_fn(const char *addr, const balance_report *b, uint64_t node);

static bool done_balanced(const char *addr, const balance_report *b, uint64_t node)
{
    (void)addr;
    return strcmp(b->state, "balanced") == 0 && (node == 0 || balance_node_find(b, node));
}

static bool done_node_gone(const char *addr, const balance_report *b, uint64_t node)
{
    (void)b;
    cli_result res;
    int rv = cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &res, "CLUSTER", "NODES", NULL);
    char node_addr[CLI_ADDR_BYTES];
    bool gone = result_problem(&res, rv) == NULL &&
                !nodes_find(res.root.str, node, node_addr, sizeof node_addr);
    cli_result_free(&res);
    return gone;
}

/* Polls CLUSTER REBALANCE on addr until done() holds (0) or timeout_ms
 * passed (1), printing a progress line whenever the report changes. The
 * last report is left in b. */
static int balance_wait(const char *addr, int64_t timeout_ms, balance_done_fn *done,
                        uint64_t node, const char *who, balance_report *b)
{
    int64_t start_ms = now_ms();
    char line[1024], last[1024] = "", why[192];
    printf("waiting up to %d s for the balancer (per node: replicas/leaders)\n",
           (int)(timeout_ms / 1000));
    for (;;) {
        bool fetched = balance_fetch(addr, b, why, sizeof why);
        if (fetched)
            balance_format(b, line, sizeof line);
        else
            snprintf(line, sizeof line, "(%s)", why);
        if (strcmp(line, last) != 0) {
            printf("  %5.1f s  %s\n", (double)(now_ms() - start_ms) / 1000.0, line);
            fflush(stdout);
            memcpy(last, line, sizeof last);
        }
        if (fetched && done(addr, b, node)) return 0;
        if (now_ms() - start_ms >= timeout_ms) {
            fprintf(stderr,
                    "%s: not done after %d s; the balancer keeps working (see `polis "
                    "cluster status`)\n",
                    who, (int)(timeout_ms / 1000));
            return 1;
        }
        sleep_ms(CLI_POLL_INTERVAL_MS);
    }
}

/* ---- status ---- */

static void print_nodes_table(const balance_report *b, const char *nodes_text)
{
    printf("nodes:\n  %-6s %-22s %-9s %-9s %s\n", "id", "address", "state", "replicas",
           "leaders");
    for (size_t i = 0; i < b->node_count; i++) {
        const balance_node *n = &b->nodes[i];
        char addr[CLI_ADDR_BYTES] = "?";
        nodes_find(nodes_text, n->id, addr, sizeof addr);
        printf("  %-6" PRIu64 " %-22s %-9s %-9ld %ld\n", n->id, addr, n->state,
               n->replicas, n->leaders);
    }
}

/* One CLUSTER SHARDS entry's members: "n3" as master, "n1 n2" as
 * replicas, a member not online marked "(fail)". */
static void shard_members(const cli_reply *members, char *master, size_t master_cap,
                          char *replicas, size_t replicas_cap)
{
    for (size_t j = 0; members && members->type == '*' && j < members->item_count; j++) {
        const cli_reply *m = &members->items[j];
        const cli_reply *name = reply_get(m, "id"), *role = reply_get(m, "role"),
                        *health = reply_get(m, "health");
        uint64_t id = name ? node_id_of_name(name->str, name->len) : 0;
        const char *mark = health && strcmp(health->str, "online") != 0 ? "(fail)" : "";
        if (role && strcmp(role->str, "master") == 0)
            snprintf(master, master_cap, "n%" PRIu64 "%s", id, mark);
        else
            str_append(replicas, replicas_cap, "%sn%" PRIu64 "%s", *replicas ? " " : "",
                       id, mark);
    }
}

static void print_shards_table(const cli_reply *shards)
{
    printf("shards:\n  %-4s %-24s %-10s %s\n", "#", "slots", "master", "replicas");
    for (size_t i = 0; shards->type == '*' && i < shards->item_count; i++) {
        const cli_reply *s = &shards->items[i];
        const cli_reply *slots = reply_get(s, "slots");
        char ranges[128] = "", master[32] = "-", replicas[256] = "";
        for (size_t j = 0; slots && slots->type == '*' && j + 1 < slots->item_count;
             j += 2) {
            const char *first = slots->items[j].str, *last = slots->items[j + 1].str;
            str_append(ranges, sizeof ranges, "%s%s", *ranges ? "," : "", first);
            if (strcmp(first, last) != 0) str_append(ranges, sizeof ranges, "-%s", last);
        }
        shard_members(reply_get(s, "nodes"), master, sizeof master, replicas,
                      sizeof replicas);
        printf("  %-4zu %-24s %-10s %s\n", i + 1, *ranges ? ranges : "-", master,
               *replicas ? replicas : "-");
    }
}

/* The cluster as the node at addr sees it: state, the balancer's report,
 * a table of nodes and one of shards. */
static void print_overview(const char *addr)
{
    char state[192], why[192];
    static balance_report b;
    cli_result nodes, shards;
    if (!fetch_field(addr, "CLUSTER", "INFO", "cluster_state", state, sizeof state)) {
        printf("\nno cluster view from %s: %s\n", addr, state);
        return;
    }
    int nodes_rv = cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &nodes, "CLUSTER", "NODES", NULL);
    int shards_rv =
        cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &shards, "CLUSTER", "SHARDS", NULL);
    bool balance = balance_fetch(addr, &b, why, sizeof why);
    printf("\ncluster as %s sees it: cluster_state:%s, balancer: %s\n", addr, state,
           balance ? b.state : why);
    if (balance)
        print_nodes_table(&b, result_problem(&nodes, nodes_rv) ? "" : nodes.root.str);
    if (shards_rv == 0 && shards.root.type == '*')
        print_shards_table(&shards.root);
    else
        printf("shards: %s\n", shards_rv != 0 ? shards.failure : shards.root.str);
    cli_result_free(&nodes);
    cli_result_free(&shards);
}

typedef struct cluster_args {
    addr_list nodes; /* --nodes, or the subcommand's default */
    const char *positional[CLI_NODES_MAX];
    size_t positional_count;
    uint64_t shards, replicas; /* --shards, --replicas; 0: not given */
    bool no_wait;
    const char *who; /* "polis cluster <subcommand>", for messages */
} cluster_args;

static int cluster_status(const cluster_args *a)
{
    static const struct {
        const char *field;
        int width;
    } columns[] = {{"node_id", 6}, {"raft_role", 10},   {"term", 6},
                   {"leader", 7},  {"commit_index", 9}, {"applied_index", 9}};
    printf("%-22s %-7s %-10s %-6s %-7s %-9s %-9s\n", "node", "id", "role", "term",
           "leader", "commit", "applied");
    int unreachable = 0;
    const char *first = NULL;
    for (size_t i = 0; i < a->nodes.count; i++) {
        const char *addr = a->nodes.addr[i];
        cli_result res;
        int rv = cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &res, "INFO", "replication", NULL);
        const char *problem = result_problem(&res, rv);
        printf("%-22s", addr);
        if (problem) {
            printf(" unreachable (%s)\n", problem);
            unreachable++;
            cli_result_free(&res);
            continue;
        }
        for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++) {
            char value[64] = "-";
            text_field(res.root.str, columns[c].field, value, sizeof value);
            printf(" %-*s", columns[c].width, value);
        }
        printf("\n");
        for (const char *line = res.root.str; *line;) {
            size_t n = strcspn(line, "\r\n");
            if (strncmp(line, "follower_", 9) == 0) printf("    %.*s\n", (int)n, line);
            line += n;
            line += strspn(line, "\r\n");
        }
        if (first == NULL) first = addr;
        cli_result_free(&res);
    }
    if (first) print_overview(first);
    return unreachable ? 2 : 0;
}

/* ---- create ---- */

/* One attempt at CLUSTER CREATE on addr once node_count nodes registered:
 * 0 when the layout is in the map, 1 to retry (why says what is missing),
 * -1 when refused for good. */
static int create_try(const char *addr, size_t node_count, const char *shards,
                      const char *replicas, bool sent_before, char *why, size_t why_cap)
{
    char known[192];
    if (!fetch_field(addr, "CLUSTER", "INFO", "cluster_known_nodes", known,
                     sizeof known)) {
        snprintf(why, why_cap, "%s", known);
        return 1;
    }
    if (strtoull(known, NULL, 10) < node_count) {
        snprintf(why, why_cap, "%s of the %zu nodes have registered", known, node_count);
        return 1;
    }
    cli_result res;
    int rv = cli_cmd(addr, CLI_CHANGE_TIMEOUT_MS, &res, "CLUSTER", "CREATE", shards,
                     replicas, NULL);
    const char *problem = result_problem(&res, rv);
    int out = 0;
    if (problem) {
        bool retry = rv != 0 || strncmp(problem, "TRYAGAIN", 8) == 0 ||
                     strncmp(problem, "CLUSTERDOWN", 11) == 0;
        /* An earlier CREATE whose reply was lost may have been applied. */
        bool ours = sent_before && strstr(problem, "has shards already") != NULL;
        out = ours ? 0 : retry ? 1 : -1;
        snprintf(why, why_cap, "%s%s", rv == 0 ? "CLUSTER CREATE: " : "", problem);
    }
    cli_result_free(&res);
    return out;
}

/* Waits until every node reports cluster_state:ok. */
static int create_wait_ready(const addr_list *nodes, const char *who)
{
    int64_t deadline_ms = now_ms() + CLUSTER_READY_TIMEOUT_MS;
    for (size_t i = 0; i < nodes->count;) {
        char state[192];
        bool answered = fetch_field(nodes->addr[i], "CLUSTER", "INFO", "cluster_state",
                                    state, sizeof state);
        if (answered && strcmp(state, "ok") == 0) {
            i++;
            continue;
        }
        if (now_ms() >= deadline_ms) {
            fprintf(stderr, "%s: %s is not ready after %d s (%s%s)\n", who,
                    nodes->addr[i], CLUSTER_READY_TIMEOUT_MS / 1000,
                    answered ? "cluster_state:" : "", state);
            return 1;
        }
        sleep_ms(100);
    }
    return 0;
}

/* Lays out `shards` shards of `replicas` replicas (0: the nodes'
 * cluster-replicas) on the cluster the nodes form: each must answer PING
 * and be a cluster node; CLUSTER CREATE goes to the first, retried until
 * every listed node has registered and the meta group has a leader; then
 * every node must report cluster_state:ok. Prints a summary unless quiet.
 * Returns 0, or 1 with the reason on stderr after `who`. */
static int create_run(const addr_list *nodes, uint64_t shards, uint64_t replicas,
                      bool quiet, const char *who)
{
    PASSERT(nodes->count > 0);
    for (size_t i = 0; i < nodes->count; i++) {
        char state[192];
        if (!answers_ping(nodes->addr[i], CLI_QUICK_TIMEOUT_MS)) {
            fprintf(stderr, "%s: %s does not answer PING\n", who, nodes->addr[i]);
            return 1;
        }
        if (!fetch_field(nodes->addr[i], "CLUSTER", "INFO", "cluster_state", state,
                         sizeof state)) {
            fprintf(stderr, "%s: %s is not a cluster node: %s\n", who, nodes->addr[i],
                    state);
            return 1;
        }
    }
    char shards_s[24], replicas_s[24], why[256] = "";
    snprintf(shards_s, sizeof shards_s, "%" PRIu64, shards);
    snprintf(replicas_s, sizeof replicas_s, "%" PRIu64, replicas);
    int64_t deadline_ms = now_ms() + CLUSTER_CREATE_TIMEOUT_MS;
    for (bool sent = false;; sent = true) {
        int rv = create_try(nodes->addr[0], nodes->count, shards_s,
                            replicas ? replicas_s : NULL, sent, why, sizeof why);
        if (rv == 0) break;
        if (rv < 0 || now_ms() >= deadline_ms) {
            fprintf(stderr, "%s: %s%s\n", who,
                    rv < 0 ? "" : "no cluster after 20 s: ", why);
            return 1;
        }
        sleep_ms(CLI_POLL_INTERVAL_MS);
    }
    if (create_wait_ready(nodes, who) != 0) return 1;
    if (!quiet) {
        printf("cluster created: %s shards over %zu nodes, cluster_state:ok on each\n",
               shards_s, nodes->count);
        print_overview(nodes->addr[0]);
    }
    return 0;
}

static int cluster_create(const cluster_args *a)
{
    static addr_list nodes;
    nodes.count = 0;
    for (size_t i = 0; i < a->positional_count; i++)
        if (!addr_list_add(&nodes, a->positional[i], a->who)) return 1;
    return create_run(&nodes, a->shards, a->replicas, false, a->who);
}

/* ---- add-node, remove-node, rebalance ---- */

/* What CLUSTER ADDNODE needs to know about a node started with
 * cluster-join: its id, its peer address (its own entry in its peers
 * setting), its zone and the cluster id it was given. */
typedef struct joining_node {
    uint64_t id;
    char peer_addr[CLI_ADDR_BYTES];
    char zone[64];
    char cluster_id[32];
} joining_node;

/* CONFIG GET name's value into out; false with the reason in out. */
static bool config_get(const char *addr, const char *name, char *out, size_t cap)
{
    cli_result res;
    int rv = cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &res, "CONFIG", "GET", name, NULL);
    const cli_reply *value = rv == 0 ? reply_get(&res.root, name) : NULL;
    bool ok = value && reply_is_text(value);
    snprintf(out, cap, "%s",
             ok                     ? value->str
             : rv != 0              ? res.failure
             : res.root.type == '-' ? res.root.str
                                    : "no such setting");
    cli_result_free(&res);
    return ok;
}

static bool joining_node_read(const char *addr, joining_node *j, const char *who)
{
    cli_result res;
    char peers[4096], prefix[32];
    int rv = cli_cmd(addr, CLI_QUICK_TIMEOUT_MS, &res, "CLUSTER", "MYID", NULL);
    const char *problem = result_problem(&res, rv);
    j->id = problem ? 0 : node_id_of_name(res.root.str, res.root.len);
    if (j->id == 0)
        fprintf(stderr, "%s: %s is not a cluster node: %s\n", who, addr,
                problem ? problem : "bad CLUSTER MYID reply");
    cli_result_free(&res);
    if (j->id == 0) return false;
    if (!config_get(addr, "peers", peers, sizeof peers) ||
        !config_get(addr, "zone", j->zone, sizeof j->zone) ||
        !fetch_field(addr, "CLUSTER", "INFO", "cluster_id", j->cluster_id,
                     sizeof j->cluster_id)) {
        fprintf(stderr, "%s: cannot read the settings of %s\n", who, addr);
        return false;
    }
    /* peers is "1=ip:port,2=ip:port,...": find "<id>=" at an entry's start. */
    snprintf(prefix, sizeof prefix, "%" PRIu64 "=", j->id);
    for (const char *p = peers; *p; p += strspn(p, ",")) {
        size_t n = strcspn(p, ",");
        if (strncmp(p, prefix, strlen(prefix)) == 0 &&
            n < strlen(prefix) + CLI_ADDR_BYTES) {
            snprintf(j->peer_addr, sizeof j->peer_addr, "%.*s", (int)(n - strlen(prefix)),
                     p + strlen(prefix));
            return true;
        }
        p += n;
    }
    fprintf(stderr,
            "%s: %s (node %" PRIu64 ") has no entry for itself in its peers (%s)\n", who,
            addr, j->id, peers);
    return false;
}

static int cluster_add_node(const cluster_args *a)
{
    const char *addr = a->positional[0], *existing = first_reachable(&a->nodes, a->who);
    joining_node j;
    char cluster_id[192];
    static balance_report b;
    if (existing == NULL) return 1;
    if (strcmp(existing, addr) == 0) {
        fprintf(stderr, "%s: --nodes must name a node of the running cluster, not %s\n",
                a->who, addr);
        return 1;
    }
    if (!joining_node_read(addr, &j, a->who)) return 1;
    if (!fetch_field(existing, "CLUSTER", "INFO", "cluster_id", cluster_id,
                     sizeof cluster_id)) {
        fprintf(stderr, "%s: %s: %s\n", a->who, existing, cluster_id);
        return 1;
    }
    if (strcmp(cluster_id, j.cluster_id) != 0) {
        fprintf(
            stderr,
            "%s: %s has cluster id %s but the cluster at %s has %s; start the new node "
            "with --cluster-id %s --cluster-join yes\n",
            a->who, addr, j.cluster_id, existing, cluster_id, cluster_id);
        return 1;
    }
    char id_s[24];
    snprintf(id_s, sizeof id_s, "%" PRIu64, j.id);
    cli_result res;
    int rv = cli_cmd(existing, CLI_CHANGE_TIMEOUT_MS, &res, "CLUSTER", "ADDNODE", id_s,
                     addr, j.peer_addr, j.zone[0] ? j.zone : NULL, NULL);
    const char *problem = result_problem(&res, rv);
    if (problem)
        fprintf(stderr, "%s: CLUSTER ADDNODE on %s: %s\n", a->who, existing, problem);
    cli_result_free(&res);
    if (problem) return 1;
    printf("node %" PRIu64 " (%s, peer %s%s%s) is in the cluster\n", j.id, addr,
           j.peer_addr, j.zone[0] ? ", zone " : "", j.zone);
    if (a->no_wait) return 0;
    return balance_wait(existing, CLUSTER_BALANCE_TIMEOUT_MS, done_balanced, j.id, a->who,
                        &b);
}

static int cluster_remove_node(const cluster_args *a)
{
    uint64_t id;
    static balance_report b;
    const char *text = a->positional[0];
    if (!str_to_u64(text, strlen(text), &id) || id == 0 || id > INT32_MAX) {
        fprintf(stderr, "%s: bad node id '%s' (a number, as in CLUSTER NODES)\n", a->who,
                text);
        return 1;
    }
    const char *existing = first_reachable(&a->nodes, a->who);
    if (existing == NULL) return 1;
    cli_result res;
    int rv = cli_cmd(existing, CLI_CHANGE_TIMEOUT_MS, &res, "CLUSTER", "REMOVENODE", text,
                     NULL);
    const char *problem = result_problem(&res, rv);
    if (problem)
        fprintf(stderr, "%s: CLUSTER REMOVENODE on %s: %s\n", a->who, existing, problem);
    cli_result_free(&res);
    if (problem) return 1;
    printf("node %" PRIu64 " is draining: its replicas move to the other nodes\n", id);
    if (a->no_wait) return 0;
    if (balance_wait(existing, CLUSTER_BALANCE_TIMEOUT_MS, done_node_gone, id, a->who,
                     &b) != 0)
        return 1;
    printf("node %" PRIu64 " has left the cluster; it can be stopped\n", id);
    return 0;
}

static int cluster_rebalance(const cluster_args *a)
{
    static balance_report b;
    const char *existing = first_reachable(&a->nodes, a->who);
    if (existing == NULL) return 1;
    if (balance_wait(existing, CLUSTER_BALANCE_TIMEOUT_MS, done_balanced, 0, a->who,
                     &b) != 0)
        return 1;
    printf("state:%s\n", b.state);
    for (size_t i = 0; i < b.node_count; i++)
        printf("node_%" PRIu64 ":state=%s,replicas=%ld,leaders=%ld\n", b.nodes[i].id,
               b.nodes[i].state, b.nodes[i].replicas, b.nodes[i].leaders);
    return 0;
}

/* ---- the subcommand table ---- */

enum { OPT_NODES = 1, OPT_SHARDS = 2, OPT_REPLICAS = 4, OPT_NO_WAIT = 8 };

typedef struct cluster_subcommand {
    const char *name;
    int (*run)(const cluster_args *a);
    unsigned options; /* OPT_... accepted */
    size_t positional_min, positional_max;
    const char *default_nodes; /* when --nodes is not given */
    const char *usage;
    const char *help;
} cluster_subcommand;

static const cluster_subcommand cluster_subcommands[] = {
    {"status", cluster_status, OPT_NODES, 0, 0, CLUSTER_STATUS_NODES,
     "status [--nodes ip:port,...]",
     "each node's role, term, leader, commit and applied index (and its followers'\n"
     "lag); then, from the first node that answers, the balancer's state and tables\n"
     "of nodes and shards (default nodes: 127.0.0.1:7379,7380,7381)"},
    {"create", cluster_create, OPT_SHARDS | OPT_REPLICAS, 1, CLI_NODES_MAX, NULL,
     "create --shards N [--replicas R] ip:port...",
     "lays out N shards (R replicas each; default: the nodes' cluster-replicas) on\n"
     "nodes started with --cluster-shards 0, then waits until each listed node\n"
     "reports cluster_state:ok"},
    {"add-node", cluster_add_node, OPT_NODES | OPT_NO_WAIT, 1, 1, CLUSTER_DEFAULT_NODE,
     "add-node ip:port [--nodes ip:port,...] [--no-wait]",
     "adds a node started with --cluster-join yes and the cluster's --cluster-id,\n"
     "then waits (up to 120 s) until the balancer has moved replicas to it"},
    {"remove-node", cluster_remove_node, OPT_NODES | OPT_NO_WAIT, 1, 1,
     CLUSTER_DEFAULT_NODE, "remove-node ID [--nodes ip:port,...] [--no-wait]",
     "drains node ID (its replicas move away), then waits (up to 120 s) until it\n"
     "has left the cluster"},
    {"rebalance", cluster_rebalance, OPT_NODES, 0, 0, CLUSTER_DEFAULT_NODE,
     "rebalance [--nodes ip:port,...]",
     "waits (up to 120 s) until replicas and leaders are balanced (the balancer runs\n"
     "on its own; this reports it)"},
};

#define CLUSTER_SUBCOMMAND_COUNT                                                         \
    (sizeof cluster_subcommands / sizeof cluster_subcommands[0])

static void usage_cluster(FILE *out)
{
    fprintf(out, "Usage: polis cluster <subcommand> ...\n");
    for (size_t i = 0; i < CLUSTER_SUBCOMMAND_COUNT; i++) {
        const cluster_subcommand *s = &cluster_subcommands[i];
        fprintf(out, "\n  polis cluster %s\n    ", s->usage);
        for (const char *p = s->help; *p; p++) {
            fputc(*p, out);
            if (*p == '\n') fputs("    ", out);
        }
        fputc('\n', out);
    }
    fprintf(out,
            "\n--nodes names nodes of the running cluster; the first that answers is\n"
            "asked (default 127.0.0.1:7379).\n");
}

/* Reads one subcommand's arguments into a; false (after a message) on a bad one. */
static bool cluster_args_parse(const cluster_subcommand *s, int argc, char **argv,
                               cluster_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned opt = strcmp(arg, "--nodes") == 0      ? OPT_NODES
                       : strcmp(arg, "--shards") == 0   ? OPT_SHARDS
                       : strcmp(arg, "--replicas") == 0 ? OPT_REPLICAS
                       : strcmp(arg, "--no-wait") == 0  ? OPT_NO_WAIT
                                                        : 0;
        if (opt == 0 && strncmp(arg, "--", 2) != 0) {
            if (a->positional_count == s->positional_max) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", a->who, arg);
                return false;
            }
            a->positional[a->positional_count++] = arg;
            continue;
        }
        if ((opt & s->options) == 0) {
            fprintf(stderr, "%s: unknown option '%s'\n", a->who, arg);
            return false;
        }
        if (opt == OPT_NO_WAIT) {
            a->no_wait = true;
            continue;
        }
        uint64_t n = 0;
        if (value == NULL) {
            fprintf(stderr, "%s: %s needs a value\n", a->who, arg);
            return false;
        }
        i++;
        if (opt == OPT_NODES) {
            if (!addr_list_add(&a->nodes, value, a->who)) return false;
        } else if (!str_to_u64(value, strlen(value), &n) || n == 0 ||
                   n > (opt == OPT_SHARDS ? 16384u : 7u)) {
            fprintf(stderr, "%s: %s must be 1..%d, not '%s'\n", a->who, arg,
                    opt == OPT_SHARDS ? 16384 : 7, value);
            return false;
        } else {
            *(opt == OPT_SHARDS ? &a->shards : &a->replicas) = n;
        }
    }
    if (a->positional_count < s->positional_min) {
        fprintf(stderr, "%s: missing %s\n", a->who,
                strcmp(s->name, "remove-node") == 0 ? "the node id" : "the node address");
        return false;
    }
    if ((s->options & OPT_SHARDS) && a->shards == 0) {
        fprintf(stderr, "%s: --shards N is required\n", a->who);
        return false;
    }
    if (a->nodes.count == 0 && s->default_nodes)
        return addr_list_add(&a->nodes, s->default_nodes, a->who);
    return true;
}

static int cmd_cluster(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
        strcmp(argv[0], "help") == 0) {
        usage_cluster(argc < 1 ? stderr : stdout);
        return argc < 1 ? 1 : 0;
    }
    const cluster_subcommand *s = NULL;
    for (size_t i = 0; i < CLUSTER_SUBCOMMAND_COUNT && s == NULL; i++)
        if (strcmp(argv[0], cluster_subcommands[i].name) == 0)
            s = &cluster_subcommands[i];
    if (s == NULL) {
        fprintf(stderr, "polis cluster: unknown subcommand '%s'\n\n", argv[0]);
        usage_cluster(stderr);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("Usage: polis cluster %s\n", s->usage);
            return 0;
        }
    }
    static cluster_args a; /* 16 KiB of addresses: not on the stack */
    char who[64];
    snprintf(who, sizeof who, "polis cluster %s", s->name);
    memset(&a, 0, sizeof a);
    a.who = who;
    if (!cluster_args_parse(s, argc - 1, argv + 1, &a)) {
        fprintf(stderr, "Usage: polis cluster %s\n", s->usage);
        return 1;
    }
    return s->run(&a);
}

/* ---- demo ------------------------------------------------------------------ */

#define DEMO_NODES           3
#define DEMO_SHARDS          8
#define DEMO_REPLICAS        3
#define DEMO_PING_TIMEOUT_MS 300

static volatile sig_atomic_t demo_stop;

static void demo_on_signal(int sig)
{
    (void)sig;
    demo_stop = 1;
}

/* The leader INFO replication names (of the first shard): 0 if none. */
static int leader_of(const char *addr)
{
    char value[192];
    return fetch_field(addr, "INFO", "replication", "leader", value, sizeof value)
               ? atoi(value)
               : 0;
}

static pid_t start_node(const char *self, const char *dir, int id, int port,
                        const char *peers)
{
    char node_dir[PATH_MAX + 32], logfile[PATH_MAX + 32], port_s[16], id_s[16];
    snprintf(node_dir, sizeof node_dir, "%s/n%d", dir, id);
    snprintf(logfile, sizeof logfile, "%s/n%d.log", dir, id);
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(id_s, sizeof id_s, "%d", id);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_IGN); /* the demo decides when to stop */
        /* No shards yet: the demo lays them out with CLUSTER CREATE, as an
         * operator would with `polis cluster create`. */
        execl(self, self, "server", "--port", port_s, "--dir", node_dir, "--logfile",
              logfile, "--node-id", id_s, "--peers", peers, "--cluster-shards", "0",
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop_nodes(const pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0) kill(pids[i], SIGTERM);
    for (int i = 0; i < n; i++)
        if (pids[i] > 0) waitpid(pids[i], NULL, 0);
}

/* True (after a message, with the nodes stopped) if a node has exited. */
static bool demo_node_exited(pid_t *pids, const char *dir)
{
    for (int i = 0; i < DEMO_NODES; i++) {
        if (waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
            fprintf(stderr, "polis demo: node %d exited; see %s/n%d.log\n", i + 1, dir,
                    i + 1);
            pids[i] = 0;
            stop_nodes(pids, DEMO_NODES);
            return true;
        }
    }
    return false;
}

/* Waits for every node to answer PING, lays out the shards, and waits for
 * the first shard's leader; returns its id, or 0 (nodes stopped). */
static int demo_form_cluster(pid_t *pids, const char *dir, const addr_list *nodes)
{
    bool all_up = false;
    for (int tries = 0; tries < 100 && !demo_stop && !all_up; tries++) {
        all_up = true;
        for (size_t i = 0; i < nodes->count; i++)
            all_up &= answers_ping(nodes->addr[i], DEMO_PING_TIMEOUT_MS);
        if (demo_node_exited(pids, dir)) return 0;
        if (!all_up) usleep(100000);
    }
    if (all_up && !demo_stop &&
        create_run(nodes, DEMO_SHARDS, DEMO_REPLICAS, true, "polis demo") != 0)
        all_up = false;
    int leader = 0;
    for (int tries = 0; tries < 100 && !demo_stop && all_up && leader == 0; tries++) {
        leader = leader_of(nodes->addr[0]);
        if (demo_node_exited(pids, dir)) return 0;
        if (leader == 0) usleep(100000);
    }
    if (leader == 0) {
        fprintf(stderr, "polis demo: the cluster did not form; see the logs in %s\n",
                dir);
        stop_nodes(pids, DEMO_NODES);
    }
    return leader;
}

static int cmd_demo(int argc, char **argv)
{
    char dir[PATH_MAX] = "";
    int port = 7379;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else {
            fprintf(stderr,
                    "Usage: polis demo [--dir DIR] [--port N]\n"
                    "Starts a 3-node cluster on client ports N, N+1, N+2 (peer ports\n"
                    "N+10000...) in DIR (default: a new temporary directory), with 8\n"
                    "shards of 3 replicas.\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 1;
        }
    }
    if (port <= 0 || port + DEMO_NODES - 1 + 10000 > 65535) {
        fprintf(stderr, "polis demo: bad --port\n");
        return 1;
    }
    if (dir[0] == '\0') {
        snprintf(dir, sizeof dir, "/tmp/polis-demo-XXXXXX");
        if (mkdtemp(dir) == NULL) {
            perror("polis demo: mkdtemp");
            return 1;
        }
    } else if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror("polis demo: mkdir");
        return 1;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        perror("polis demo: readlink");
        return 1;
    }
    self[n] = '\0';
    char peers[256] = "", node_list[256] = "";
    static addr_list nodes;
    for (int i = 1; i <= DEMO_NODES; i++) {
        snprintf(nodes.addr[nodes.count++], CLI_ADDR_BYTES, "127.0.0.1:%d", port + i - 1);
        str_append(peers, sizeof peers, "%s%d=127.0.0.1:%d", i > 1 ? "," : "", i,
                   port + i - 1 + 10000);
        str_append(node_list, sizeof node_list, "%s127.0.0.1:%d", i > 1 ? "," : "",
                   port + i - 1);
    }
    signal(SIGINT, demo_on_signal);
    signal(SIGTERM, demo_on_signal);
    pid_t pids[DEMO_NODES] = {0};
    for (int i = 0; i < DEMO_NODES; i++) {
        pids[i] = start_node(self, dir, i + 1, port + i, peers);
        if (pids[i] < 0) {
            perror("polis demo: fork");
            stop_nodes(pids, i);
            return 1;
        }
    }
    int leader = demo_form_cluster(pids, dir, &nodes);
    if (leader == 0) return 1;
    printf("polis demo: %d nodes up, leader n%d\n", DEMO_NODES, leader);
    for (int i = 0; i < DEMO_NODES; i++)
        printf("  redis-cli -p %d        # node n%d (pid %d)\n", port + i, i + 1,
               (int)pids[i]);
    printf("Try: redis-cli -p %d set hello world; redis-cli -p %d get hello\n"
           "%d shards over the 16384 slots, %d replicas each; any node serves any key,\n"
           "and writes are on a majority's disk before OK. Cluster-aware clients work\n"
           "too (redis-cli -c -p %d). The nodes, shards and their leaders:\n"
           "  polis cluster status --nodes %s\n"
           "kill -9 any node's pid: its shards elect new leaders within a second.\n"
           "Data and logs in %s. Ctrl-C stops all nodes.\n",
           port, port + 1, DEMO_SHARDS, DEMO_REPLICAS, port, node_list, dir);
    fflush(stdout);
    while (!demo_stop) {
        for (int i = 0; i < DEMO_NODES; i++) {
            if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
                printf("polis demo: node n%d (pid %d) exited\n", i + 1, (int)pids[i]);
                fflush(stdout);
                pids[i] = 0;
            }
        }
        usleep(100000);
    }
    printf("\npolis demo: stopping\n");
    stop_nodes(pids, DEMO_NODES);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage_main(stdout);
        return argc < 2 ? 1 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("polis %s\n", POLIS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "server") == 0) return cmd_server(argc - 2, argv + 2);
    if (strcmp(argv[1], "demo") == 0) return cmd_demo(argc - 2, argv + 2);
    if (strcmp(argv[1], "cluster") == 0) return cmd_cluster(argc - 2, argv + 2);
    fprintf(stderr, "polis: unknown command '%s'\n\n", argv[1]);
    usage_main(stderr);
    return 1;
}
