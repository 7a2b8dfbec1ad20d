/* base/log.h - leveled, timestamped logging to stderr or a file.
 *
 * Format: "<pid>:<role> DD Mon YYYY HH:MM:SS.mmm <level-char> message", the
 * shape of Redis's log lines. Logging reads the wall clock itself: log lines
 * are diagnostics, never replicated state, so this is the one clock read
 * allowed outside node/. */
#ifndef POLIS_BASE_LOG_H
#define POLIS_BASE_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug", "verbose", "notice", "warning"; returns -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);
/* Redirects output to a file (appending); NULL or "" means stderr. Returns 0
 * or POLIS_EIO. */
int log_set_file(const char *path);
void log_set_role(char role);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
