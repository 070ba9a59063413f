/* billing: reservations, settlements, usage rows and the reaper of stale reservations. */
#include <stdio.h>
#include <string.h>

#include "store/billing.h"
#include "util/log.h"

/* A reservation is two autocommit statements, so no transaction holds the user's row (the
 * hottest row: every call of the user takes it) across a network round trip:
 *  1. the request's ledger row, inserted as 'released' with amount 0 (a row that holds
 *     nothing: if the process dies right after, it changes no balance), then
 *  2. one conditional multi-table UPDATE that takes the amount from the user and from the
 *     key's cap and flips the row to 'reserved', all or nothing.
 * Settling is one multi-table UPDATE as well, guarded by state = 'reserved'. Every
 * statement names ledger, users, api_keys in that order, so they lock rows in the same
 * order and cannot deadlock each other. */
static const char SQL_LEDGER_RESERVE[] =
    "INSERT INTO ledger (user_id, key_id, kind, request_id, reserved, amount, state, worker) "
    "VALUES (?, NULLIF(?, 0), 'charge', ?, ?, 0, 'released', ?)";
static const char SQL_RESERVE[] =
    "UPDATE ledger l STRAIGHT_JOIN users u ON u.id = l.user_id "
    "LEFT JOIN api_keys k ON k.id = l.key_id "
    "SET u.quota = u.quota - l.reserved, k.quota_used = k.quota_used + l.reserved, "
    "l.state = 'reserved' "
    "WHERE l.request_id = ? AND l.state = 'released' AND l.amount = 0 "
    "AND u.quota >= l.reserved AND u.status = 'active' "
    "AND (k.id IS NULL OR k.quota_limit IS NULL OR k.quota_used + l.reserved <= k.quota_limit)";
static const char SQL_RESERVE_UNDO[] =
    "DELETE FROM ledger WHERE request_id = ? AND state = 'released' AND amount = 0";
static const char SQL_USER_COVERS[] =
    "SELECT COUNT(*) FROM users WHERE id = ? AND quota >= ? AND status = 'active'";
static const char SQL_SETTLE[] =
    "UPDATE ledger l STRAIGHT_JOIN users u ON u.id = l.user_id "
    "LEFT JOIN api_keys k ON k.id = l.key_id "
    "SET u.quota = u.quota + l.reserved - LEAST(?, l.reserved), "
    "u.used_quota = u.used_quota + LEAST(?, l.reserved), "
    "u.request_count = u.request_count + ?, "
    "k.quota_used = k.quota_used - l.reserved + LEAST(?, l.reserved), "
    "k.request_count = k.request_count + ?, k.last_used_at = CURRENT_TIMESTAMP(3), "
    "l.amount = -LEAST(?, l.reserved), l.state = ?, l.settled_at = CURRENT_TIMESTAMP(3) "
    "WHERE l.request_id = ? AND l.state = 'reserved'";
static const char SQL_USAGE_INSERT[] =
    "INSERT IGNORE INTO usage_logs (request_id, user_id, key_id, channel_id, service, model, "
    "endpoint, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, quota, "
    "duration_ms, ttfb_ms, is_stream, status, estimated, error_class, client_ip) "
    "VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "NULLIF(?, ''), ?)";
static const char SQL_STALE[] =
    "SELECT request_id FROM ledger WHERE state = 'reserved' "
    "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND LIMIT 200";

/* Tries for a statement that met a deadlock or a lock wait timeout (it changed nothing). */
#define LOCK_TRIES 3

/* store_exec, again while the database answers busy. */
static int64_t exec_retry(struct store_conn *c, const char *sql, struct tg_err *err,
                          const char *request_id)
{
    int64_t n = -1;

    for (int i = 0; i < LOCK_TRIES; i++) {
        n = store_exec(c, sql, err, "s", request_id);
        if (n >= 0 || err->code != TG_EUNAVAIL)
            break;
    }
    return n;
}

int store_reserve(struct store_conn *c, int64_t user_id, int64_t key_id,
                  const char *request_id, int64_t amount, const char *worker,
                  struct tg_err *err)
{
    int64_t n, covers = 0;

    if (amount <= 0) /* a zero update reads "0 rows": never reserve 0 */
        return err_set(err, TG_EINTERNAL, "bad reservation");
    if (store_exec(c, SQL_LEDGER_RESERVE, err, "iisis", user_id, key_id > 0 ? key_id : 0,
                   request_id, amount, worker) != 1)
        return -1;
    n = exec_retry(c, SQL_RESERVE, err, request_id);
    if (n > 0)
        return 1;
    /* Refused (or failed): the placeholder row goes, so nothing is left behind. */
    {
        struct tg_err e2 = {0};
        if (store_exec(c, SQL_RESERVE_UNDO, &e2, "s", request_id) < 0)
            log_warn("billing", "event=reserve_undo_failed request=%s", request_id);
    }
    if (n < 0)
        return -1;
    if (store_query_i64(c, SQL_USER_COVERS, &covers, err, "ii", user_id, amount) < 0)
        return -1;
    return covers > 0 && key_id > 0 ? 2 : 0;
}

int store_settle(struct store_conn *c, const char *request_id, int64_t charge, int released,
                 struct tg_err *err)
{
    int64_t n = -1;
    int count = released ? 0 : 1;
    const char *state = released && charge == 0 ? "released" : "settled";

    if (charge < 0)
        charge = 0;
    for (int i = 0; i < LOCK_TRIES; i++) {
        n = store_exec(c, SQL_SETTLE, err, "iiuiuiss", charge, charge, count, charge, count,
                       charge, state, request_id);
        if (n >= 0 || err->code != TG_EUNAVAIL)
            break;
    }
    return n < 0 ? -1 : n > 0;
}

int store_usage_insert(struct store_conn *c, const struct usage_log *rows, int n,
                       struct tg_err *err)
{
    if (n > 1 && store_begin(c, err) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const struct usage_log *u = &rows[i];

        if (store_exec(c, SQL_USAGE_INSERT, err, "siiisssiiiiiuuuuuss", u->request_id,
                       u->user_id, u->key_id, u->channel_id, u->service, u->model,
                       u->endpoint, u->input, u->output, u->cache_read, u->cache_write,
                       u->quota, u->duration_ms, u->ttfb_ms, u->is_stream, u->status,
                       u->estimated, u->error_class, u->client_ip) < 0) {
            if (n > 1)
                store_rollback(c);
            return -1;
        }
    }
    return n > 1 ? store_commit(c, err) : 0;
}

int store_reap_reservations(struct store_conn *c, int max_age_s, struct tg_err *err)
{
    char ids[200][40];
    struct store_res *r = store_query(c, SQL_STALE, err, "u", max_age_s);
    int n = 0, done = 0, rc;

    if (!r)
        return -1;
    while (n < 200 && (rc = store_next(r)) == 1)
        snprintf(ids[n++], sizeof(ids[0]), "%s", store_col_str(r, 0));
    store_res_free(r);
    for (int i = 0; i < n; i++) {
        if (store_settle(c, ids[i], 0, 1, err) == 1) {
            log_warn("billing", "event=reservation_reaped request=%s", ids[i]);
            done++;
        }
    }
    return done;
}
