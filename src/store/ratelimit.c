/* ratelimit: per-key limit rows and login throttle rows in MySQL. */
#include <string.h>

#include "store/ratelimit.h"

static const char SQL_ENSURE_RATE[] =
    "INSERT IGNORE INTO key_rate (key_id, tat) VALUES (?, 0)";
static const char SQL_ENSURE_DAY[] =
    "INSERT IGNORE INTO key_day (key_id, day, n) VALUES (?, ?, 0)";
static const char SQL_DAY_PURGE[] = "DELETE FROM key_day WHERE key_id = ? AND day < ?";
static const char SQL_READ_COMMITTED[] = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
static const char SQL_GCRA[] = "UPDATE key_rate SET tat = GREATEST(tat, ?) + ? "
                               "WHERE key_id = ? AND GREATEST(tat, ?) - ? <= ?";
static const char SQL_TAT[] = "SELECT tat FROM key_rate WHERE key_id = ?";
static const char SQL_LOCK[] = "SELECT tat FROM key_rate WHERE key_id = ? FOR UPDATE";
static const char SQL_DAY_INCR[] =
    "UPDATE key_day SET n = n + 1 WHERE key_id = ? AND day = ? AND n < ?";
static const char SQL_TOKENS[] =
    "SELECT COALESCE(SUM(IF(minute = ?, tokens, 0)), 0), "
    "COALESCE(SUM(IF(minute = ?, tokens, 0)), 0) FROM key_tokens_minute "
    "WHERE key_id = ? AND minute IN (?, ?)";
static const char SQL_TOKENS_ADD[] =
    "INSERT INTO key_tokens_minute (key_id, minute, tokens) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE tokens = tokens + VALUES(tokens)";
static const char SQL_TOKENS_PURGE[] =
    "DELETE FROM key_tokens_minute WHERE key_id = ? AND minute < ?";
static const char SQL_LEASE_PURGE[] =
    "DELETE FROM key_leases WHERE key_id = ? AND expires_at <= ?";
static const char SQL_LEASE_COUNT[] = "SELECT COUNT(*) FROM key_leases WHERE key_id = ?";
static const char SQL_LEASE_TAKE[] =
    "INSERT INTO key_leases (request_id, key_id, expires_at) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)";
static const char SQL_LEASE_DROP[] = "DELETE FROM key_leases WHERE request_id = ?";

static const char SQL_THR_UNTIL[] =
    "SELECT blocked_until FROM throttle WHERE subject = ?";
/* ON DUPLICATE KEY UPDATE assigns left to right and later terms see earlier results:
 * failures restarts at 1 when the window is over, window_start follows that restart, and
 * blocked_until uses the new count. */
static const char SQL_THR_FAIL[] =
    "INSERT INTO throttle (subject, failures, window_start, blocked_until) "
    "VALUES (?, 1, ?, IF(1 >= ?, ? + ?, 0)) ON DUPLICATE KEY UPDATE "
    "failures = IF(window_start <= ? - ?, 1, failures + 1), "
    "window_start = IF(failures = 1, ?, window_start), "
    "blocked_until = IF(failures >= ?, "
    "? + LEAST(?, ? * POW(2, LEAST(failures - ?, 20))), blocked_until)";
static const char SQL_THR_CLEAR[] = "DELETE FROM throttle WHERE subject = ?";
static const char SQL_THR_PURGE[] =
    "DELETE FROM throttle WHERE window_start < ? AND blocked_until < ? LIMIT 500";

int store_rl_ensure_rate(struct store_conn *c, int64_t key_id, struct tg_err *err)
{
    return store_exec(c, SQL_ENSURE_RATE, err, "i", key_id) < 0 ? -1 : 0;
}

int store_rl_ensure_day(struct store_conn *c, int64_t key_id, const char *day,
                        struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_ENSURE_DAY, err, "is", key_id, day);

    if (n < 0)
        return -1;
    if (n > 0 && store_exec(c, SQL_DAY_PURGE, err, "is", key_id, day) < 0)
        return -1;
    return 0;
}

int store_rl_read_committed(struct store_conn *c, struct tg_err *err)
{
    return store_exec(c, SQL_READ_COMMITTED, err, "") < 0 ? -1 : 0;
}

int store_rl_gcra(struct store_conn *c, int64_t key_id, int64_t now_us,
                  int64_t interval_us, int64_t burst_us, int64_t *tat_us,
                  struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_GCRA, err, "iiiiii", now_us, interval_us, key_id,
                           now_us, now_us, burst_us);

    if (n < 0)
        return -1;
    if (n > 0)
        return 1; /* tat always moves forward, so a conforming call changes the row */
    *tat_us = now_us;
    return store_query_i64(c, SQL_TAT, tat_us, err, "i", key_id) < 0 ? -1 : 0;
}

int store_rl_lock(struct store_conn *c, int64_t key_id, struct tg_err *err)
{
    int64_t tat = 0;

    return store_query_i64(c, SQL_LOCK, &tat, err, "i", key_id) < 0 ? -1 : 0;
}

int store_rl_day_incr(struct store_conn *c, int64_t key_id, const char *day, int limit,
                      struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_DAY_INCR, err, "isu", key_id, day, limit);

    return n < 0 ? -1 : n > 0;
}

int store_rl_tokens(struct store_conn *c, int64_t key_id, int64_t minute, int64_t *prev,
                    int64_t *cur, struct tg_err *err)
{
    int64_t v[2];
    int rc = store_query_ints(c, SQL_TOKENS, v, 2, err, "iiiii", minute - 1, minute,
                              key_id, minute - 1, minute);

    *prev = v[0];
    *cur = v[1];
    return rc < 0 ? -1 : 0;
}

int store_rl_tokens_add(struct store_conn *c, int64_t key_id, int64_t minute,
                        int64_t tokens, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_TOKENS_ADD, err, "iii", key_id, minute, tokens);

    if (n < 0)
        return -1;
    /* One changed row means a new minute's row: the key's old minutes can go. */
    if (n == 1 && store_exec(c, SQL_TOKENS_PURGE, err, "ii", key_id, minute - 1) < 0)
        return -1;
    return 0;
}

int store_rl_lease(struct store_conn *c, int64_t key_id, const char *request_id,
                   int64_t now_s, int64_t expires_s, int limit, struct tg_err *err)
{
    int64_t live = 0;

    if (store_exec(c, SQL_LEASE_PURGE, err, "ii", key_id, now_s) < 0 ||
        store_query_i64(c, SQL_LEASE_COUNT, &live, err, "i", key_id) < 0)
        return -1;
    if (live >= limit)
        return 0;
    return store_exec(c, SQL_LEASE_TAKE, err, "sii", request_id, key_id, expires_s) < 0
               ? -1
               : 1;
}

int store_rl_lease_drop(struct store_conn *c, const char *request_id, struct tg_err *err)
{
    return store_exec(c, SQL_LEASE_DROP, err, "s", request_id) < 0 ? -1 : 0;
}

int store_throttle_until(struct store_conn *c, const char *subject, int64_t now_s,
                         int64_t *until, struct tg_err *err)
{
    int64_t v = 0;

    *until = 0;
    if (store_query_i64(c, SQL_THR_UNTIL, &v, err, "s", subject) < 0)
        return -1;
    if (v > now_s)
        *until = v;
    return 0;
}

int store_throttle_fail(struct store_conn *c, const char *subject, int64_t now_s,
                        int window_s, int max_failures, int base_block_s, int max_block_s,
                        struct tg_err *err)
{
    if (store_exec(c, SQL_THR_FAIL, err, "siuiuiuiuiuuu", subject, now_s, max_failures,
                   now_s, base_block_s, now_s, window_s, now_s, max_failures, now_s,
                   max_block_s, base_block_s, max_failures) < 0)
        return -1;
    /* Old rows of subjects that stopped failing are dropped now and then. */
    if (now_s % 16 == 0 &&
        store_exec(c, SQL_THR_PURGE, err, "ii", now_s - 86400, now_s) < 0)
        return -1;
    return 0;
}

int store_throttle_clear(struct store_conn *c, const char *subject, struct tg_err *err)
{
    return store_exec(c, SQL_THR_CLEAR, err, "s", subject) < 0 ? -1 : 0;
}
