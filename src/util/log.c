/* log: line-oriented logging to stderr with the thread's request id. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/str.h"

static enum log_level log_level = LOG_LVL_INFO;
static __thread char log_rid[40] = "-";

/* Per thread: the formatted second, so a record needs no strftime. */
static __thread struct {
    time_t sec;
    char ts[32];
} log_cache;

int log_set_level_name(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};

    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            log_level = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_level(enum log_level lvl)
{
    log_level = lvl;
}

int log_enabled(enum log_level lvl)
{
    return lvl >= log_level;
}

void log_set_request_id(const char *rid)
{
    snprintf(log_rid, sizeof(log_rid), "%s", rid && *rid ? rid : "-");
}

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
{
    static const char *const tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char line[2048];
    struct timespec now;
    struct tm tm;
    va_list ap;
    int n, m;

    clock_gettime(CLOCK_REALTIME, &now);
    if (log_cache.sec != now.tv_sec || !log_cache.ts[0]) {
        gmtime_r(&now.tv_sec, &tm);
        strftime(log_cache.ts, sizeof(log_cache.ts), "%Y-%m-%dT%H:%M:%S", &tm);
        log_cache.sec = now.tv_sec;
    }
    n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s pid=%d rid=%s ", log_cache.ts,
                 now.tv_nsec / 1000000, tags[lvl], module, str_pid(), log_rid);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    /* One write per record keeps lines from different processes whole. */
    for (int i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nowhere left to report it */
    }
}
