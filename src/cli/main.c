/* cli/main.c - the polis command line: `polis server`, `polis demo`,
 * `polis version`, `polis --help`. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "node/config.h"
#include "node/server.h"

static void usage_main(FILE *out)
{
    fprintf(out,
            "polis %s - a distributed data platform that speaks the Redis protocol\n"
            "\n"
            "Usage:\n"
            "  polis server [--config FILE] [--<setting> VALUE ...]\n"
            "                       run a node (see `polis server --help`)\n"
            "  polis demo [--dir DIR] [--port N]\n"
            "                       start a local 3-node cluster and print how to connect\n"
            "  polis cluster status [--nodes ip:port,...]\n"
            "                       role, term, leader, indexes and lag of each node\n"
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
    fprintf(out,
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
            fprintf(stderr, "polis: unknown setting '--%s' (see polis server --help)\n", name);
        } else if (rv != 0) {
            fprintf(stderr, "polis: bad value for --%s: %.*s\n", name, (int)err.len, err.data);
        }
        if (rv != 0) {
            buf_free(&err);
            return 1;
        }
    }
    buf_free(&err);
    return node_server_run(&cfg);
}

/* ---- demo ------------------------------------------------------------------ */

static volatile sig_atomic_t demo_stop;

static void demo_on_signal(int sig)
{
    (void)sig;
    demo_stop = 1;
}

static int ping_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int ok = -1;
    char reply[16] = {0};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, "PING\r\n", 6) == 6 && read(fd, reply, sizeof reply - 1) > 0 &&
        strncmp(reply, "+PONG", 5) == 0)
        ok = 0;
    close(fd);
    return ok;
}

#define DEMO_NODES 3

/* Asks a node for INFO replication and returns its leader id (0: none). */
static int leader_of(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct timeval tv = {0, 300000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    char reply[4096] = {0};
    int leader = 0;
    static const char req[] = "INFO replication\r\n";
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1) &&
        read(fd, reply, sizeof reply - 1) > 0) {
        const char *p = strstr(reply, "\nleader:");
        if (p) leader = atoi(p + 8);
    }
    close(fd);
    return leader;
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
        execl(self, self, "server", "--port", port_s, "--dir", node_dir, "--logfile", logfile,
              "--node-id", id_s, "--peers", peers, (char *)NULL);
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
            fprintf(stderr, "Usage: polis demo [--dir DIR] [--port N]\n"
                            "Starts a 3-node cluster on client ports N, N+1, N+2 (peer ports\n"
                            "N+10000...) in DIR (default: a new temporary directory).\n");
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
    char peers[256] = "";
    for (int i = 1; i <= DEMO_NODES; i++) {
        size_t len = strlen(peers);
        snprintf(peers + len, sizeof peers - len, "%s%d=127.0.0.1:%d", i > 1 ? "," : "", i,
                 port + i - 1 + 10000);
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
    int leader = 0;
    for (int tries = 0; tries < 100 && !demo_stop && leader == 0; tries++) {
        bool all_up = true;
        for (int i = 0; i < DEMO_NODES; i++) all_up &= ping_port(port + i) == 0;
        if (all_up) leader = leader_of(port);
        for (int i = 0; i < DEMO_NODES; i++) {
            if (waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
                fprintf(stderr, "polis demo: node %d exited; see %s/n%d.log\n", i + 1, dir,
                        i + 1);
                pids[i] = 0;
                stop_nodes(pids, DEMO_NODES);
                return 1;
            }
        }
        if (leader == 0) usleep(100000);
    }
    if (leader == 0) {
        fprintf(stderr, "polis demo: no leader was elected; see the logs in %s\n", dir);
        stop_nodes(pids, DEMO_NODES);
        return 1;
    }
    printf("polis demo: %d nodes up, leader n%d\n", DEMO_NODES, leader);
    for (int i = 0; i < DEMO_NODES; i++)
        printf("  redis-cli -p %d        # node n%d (pid %d)\n", port + i, i + 1, (int)pids[i]);
    printf("Try: redis-cli -p %d set hello world; redis-cli -p %d get hello\n"
           "Any node serves any key; writes are on a majority's disk before OK.\n"
           "kill -9 the leader's pid: writes continue within a second.\n"
           "Data and logs in %s. Ctrl-C stops all nodes.\n",
           port, port + 1, dir);
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

/* ---- cluster status ------------------------------------------------------ */

/* Sends an inline command and reads one bulk-string reply into out. */
static int fetch_bulk(const char *host, int port, const char *cmd, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
        close(fd);
        return -1;
    }
    size_t len = 0;
    long want = -1;
    while (len + 1 < cap) {
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        out[len] = '\0';
        char *crlf = strstr(out, "\r\n");
        if (want < 0 && crlf && out[0] == '$') want = atol(out + 1) + (crlf - out) + 4;
        if (want >= 0 && (long)len >= want) break;
    }
    close(fd);
    if (len == 0 || out[0] != '$') return -1;
    char *body = strstr(out, "\r\n");
    memmove(out, body + 2, strlen(body + 2) + 1);
    return 0;
}

static void print_field(const char *info, const char *name, int width)
{
    char key[64];
    snprintf(key, sizeof key, "\n%s:", name);
    const char *p = strstr(info, key);
    char value[64] = "-";
    if (p) {
        p += strlen(key);
        size_t n = strcspn(p, "\r\n");
        if (n >= sizeof value) n = sizeof value - 1;
        memcpy(value, p, n);
        value[n] = '\0';
    }
    printf(" %-*s", width, value);
}

static int cmd_cluster(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "status") != 0) {
        fprintf(stderr, "Usage: polis cluster status [--nodes ip:port,...]\n"
                        "Shows each node's role, term, leader, commit and applied index,\n"
                        "and, from the leader, each follower's match index, lag and last\n"
                        "contact (default nodes: 127.0.0.1:7379,7380,7381).\n");
        return argc >= 1 && strcmp(argv[0], "--help") == 0 ? 0 : 1;
    }
    char nodes[1024] = "127.0.0.1:7379,127.0.0.1:7380,127.0.0.1:7381";
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--nodes") == 0) snprintf(nodes, sizeof nodes, "%s", argv[i + 1]);
    printf("%-22s %-7s %-10s %-6s %-7s %-9s %-9s\n", "node", "id", "role", "term", "leader",
           "commit", "applied");
    int unreachable = 0;
    char *save = NULL;
    static char info[65536];
    for (char *addr = strtok_r(nodes, ",", &save); addr; addr = strtok_r(NULL, ",", &save)) {
        char host[64];
        char *colon = strrchr(addr, ':');
        if (colon == NULL || (size_t)(colon - addr) >= sizeof host) {
            fprintf(stderr, "polis cluster status: bad address '%s'\n", addr);
            return 1;
        }
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        printf("%-22s", addr);
        if (fetch_bulk(host, atoi(colon + 1), "INFO replication\r\n", info, sizeof info) != 0) {
            printf(" unreachable\n");
            unreachable++;
            continue;
        }
        print_field(info, "node_id", 6);
        print_field(info, "raft_role", 10);
        print_field(info, "term", 6);
        print_field(info, "leader", 7);
        print_field(info, "commit_index", 9);
        print_field(info, "applied_index", 9);
        printf("\n");
        for (const char *p = strstr(info, "\nfollower_"); p; p = strstr(p + 1, "\nfollower_")) {
            size_t n = strcspn(p + 1, "\r\n");
            printf("    %.*s\n", (int)n, p + 1);
        }
    }
    return unreachable ? 2 : 0;
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
