#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

static enum log_level current_level = LOG_NOTICE;
static FILE *log_file;
static char log_role = 'M';

static const char *const level_names[] = {"debug", "verbose", "notice", "warning"};

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

int log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, level_names[i]) == 0) return i;
    return -1;
}

const char *log_level_name(enum log_level level)
{
    return level_names[level];
}

int log_set_file(const char *path)
{
    if (log_file != NULL) {
        fclose(log_file);
        log_file = NULL;
    }
    if (path == NULL || path[0] == '\0') return 0;
    log_file = fopen(path, "a");
    return log_file ? 0 : POLIS_EIO;
}

void log_set_role(char role)
{
    log_role = role;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < current_level) return;
    static const char marks[] = ".-*#";
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char stamp[64];
    size_t off = strftime(stamp, sizeof stamp, "%d %b %Y %H:%M:%S.", &tm);
    snprintf(stamp + off, sizeof stamp - off, "%03d", (int)(tv.tv_usec / 1000));

    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    FILE *out = log_file ? log_file : stderr;
    fprintf(out, "%d:%c %s %c %s\n", (int)getpid(), log_role, stamp, marks[level], msg);
    fflush(out);
}
