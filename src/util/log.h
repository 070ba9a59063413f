/* log: one line per record to stderr: time, level, module, request id, key=value fields.
 */
#ifndef TG_LOG_H
#define TG_LOG_H

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* Set before threads start. Returns -1 for an unknown name. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level lvl);
int log_enabled(enum log_level lvl);
/* The current thread's request id ("-" when none); the string is copied. */
void log_set_request_id(const char *rid);

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(mod, ...)                                                              \
    do {                                                                                 \
        if (log_enabled(LOG_LVL_DEBUG))                                                  \
            log_write(LOG_LVL_DEBUG, (mod), __VA_ARGS__);                                \
    } while (0)
#define log_info(mod, ...)                                                               \
    do {                                                                                 \
        if (log_enabled(LOG_LVL_INFO))                                                   \
            log_write(LOG_LVL_INFO, (mod), __VA_ARGS__);                                 \
    } while (0)
#define log_warn(mod, ...)  log_write(LOG_LVL_WARN, (mod), __VA_ARGS__)
#define log_error(mod, ...) log_write(LOG_LVL_ERROR, (mod), __VA_ARGS__)

#endif
