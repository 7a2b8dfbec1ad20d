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
            "                       start a local demo and print how to connect\n"
            "  polis version        print the version\n"
            "  polis --help         this help\n"
            "\n"
            "Today a node is a single, non-replicated server; the replicated cluster\n"
            "is being built (see README.md).\n",
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
            fprintf(stderr, "Usage: polis demo [--dir DIR] [--port N]\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 1;
        }
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
    char node_dir[PATH_MAX + 8], logfile[PATH_MAX + 16], port_s[16];
    snprintf(node_dir, sizeof node_dir, "%s/n1", dir);
    snprintf(logfile, sizeof logfile, "%s/n1.log", dir);
    snprintf(port_s, sizeof port_s, "%d", port);

    signal(SIGINT, demo_on_signal);
    signal(SIGTERM, demo_on_signal);
    pid_t pid = fork();
    if (pid < 0) {
        perror("polis demo: fork");
        return 1;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_IGN); /* the parent decides when to stop */
        execl(self, self, "server", "--port", port_s, "--dir", node_dir, "--logfile",
              logfile, (char *)NULL);
        _exit(127);
    }
    bool up = false;
    for (int tries = 0; tries < 100 && !up && !demo_stop; tries++) {
        if (ping_port(port) == 0) up = true;
        else usleep(100000);
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "polis demo: the node exited; see %s\n", logfile);
            return 1;
        }
    }
    if (!up) {
        fprintf(stderr, "polis demo: the node did not answer on port %d; see %s\n", port,
                logfile);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return 1;
    }
    printf("polis demo: 1 node up on 127.0.0.1:%d (pid %d)\n"
           "  redis-cli -p %d set hello world\n"
           "  redis-cli -p %d get hello\n"
           "data and log in %s. Ctrl-C stops the node.\n"
           "(A single node for now: the 3-node replicated cluster comes with Raft.)\n",
           port, (int)pid, port, port, dir);
    fflush(stdout);
    int status = 0;
    while (!demo_stop) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            fprintf(stderr, "polis demo: the node exited (status %d); see %s\n", status,
                    logfile);
            return 1;
        }
        usleep(100000);
    }
    printf("\npolis demo: stopping\n");
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
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
    fprintf(stderr, "polis: unknown command '%s'\n\n", argv[1]);
    usage_main(stderr);
    return 1;
}
