/* billing: reservations, settlements, usage rows and the reaper of stale reservations. */
#include <stdio.h>
#include <string.h>

#include "store/billing.h"
#include "util/log.h"

static const char SQL_USER_RESERVE[] =
    "UPDATE users SET quota = quota - ? WHERE id = ? AND quota >= ? AND status = 'active'";
static const char SQL_KEY_RESERVE[] =
    "UPDATE api_keys SET quota_used = quota_used + ? WHERE id = ? "
    "AND (quota_limit IS NULL OR quota_used + ? <= quota_limit)";
static const char SQL_LEDGER_RESERVE[] =
    "INSERT INTO ledger (user_id, key_id, kind, request_id, reserved, amount, state, worker) "
    "VALUES (?, ?, 'charge', ?, ?, 0, 'reserved', ?)";
static const char SQL_LEDGER_LOCK[] =
    "SELECT id, user_id, COALESCE(key_id, 0), reserved FROM ledger "
    "WHERE request_id = ? AND state = 'reserved' FOR UPDATE";
static const char SQL_USER_SETTLE[] =
    "UPDATE users SET quota = quota + ?, used_quota = used_quota + ?, "
    "request_count = request_count + ? WHERE id = ?";
static const char SQL_KEY_SETTLE[] =
    "UPDATE api_keys SET quota_used = quota_used - ? + ?, request_count = request_count + ?,"
    " last_used_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
static const char SQL_LEDGER_SETTLE[] =
    "UPDATE ledger SET amount = ?, state = ?, settled_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
static const char SQL_USAGE_INSERT[] =
    "INSERT IGNORE INTO usage_logs (request_id, user_id, key_id, channel_id, service, model, "
    "endpoint, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, quota, "
    "duration_ms, ttfb_ms, is_stream, status, estimated, error_class, client_ip) "
    "VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "NULLIF(?, ''), ?)";
static const char SQL_STALE[] =
    "SELECT request_id FROM ledger WHERE state = 'reserved' "
    "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND LIMIT 200";

int store_reserve(struct store_conn *c, int64_t user_id, int64_t key_id,
                  const char *request_id, int64_t amount, const char *worker,
                  struct tg_err *err)
{
    int64_t n;

    if (amount <= 0) /* a zero update reads "0 rows": never reserve 0 */
        return err_set(err, TG_EINTERNAL, "bad reservation");
    if (store_begin(c, err) != 0)
        return -1;
    n = store_exec(c, SQL_USER_RESERVE, err, "iii", amount, user_id, amount);
    if (n == 1 && key_id > 0)
        n = store_exec(c, SQL_KEY_RESERVE, err, "iii", amount, key_id, amount) == 1 ? 1 : -2;
    if (n < 0 && n != -2)
        goto fail;
    if (n == 0 || n == -2) {
        store_rollback(c);
        return n == 0 ? 0 : 2;
    }
    if (store_exec(c, SQL_LEDGER_RESERVE, err, "iisis", user_id, key_id > 0 ? key_id : 0,
                   request_id, amount, worker) != 1)
        goto fail;
    if (store_commit(c, err) != 0)
        return -1; /* outcome unknown: the reaper releases it if it did commit */
    return 1;
fail:
    store_rollback(c);
    return -1;
}

int store_settle(struct store_conn *c, const char *request_id, int64_t charge, int released,
                 struct tg_err *err)
{
    struct store_res *r;
    int64_t lid, uid, kid, reserved;
    int rc;

    if (charge < 0)
        charge = 0;
    if (store_begin(c, err) != 0)
        return -1;
    r = store_query(c, SQL_LEDGER_LOCK, err, "s", request_id);
    if (!r)
        goto fail;
    rc = store_next(r);
    if (rc != 1) {
        store_res_free(r);
        if (rc < 0) {
            err_set(err, TG_EINTERNAL, "database error");
            goto fail;
        }
        store_rollback(c);
        return 0;
    }
    lid = store_col_i64(r, 0);
    uid = store_col_i64(r, 1);
    kid = store_col_i64(r, 2);
    reserved = store_col_i64(r, 3);
    store_res_free(r);
    if (charge > reserved) {
        log_warn("billing", "event=charge_over_reservation charge=%lld reserved=%lld",
                 (long long)charge, (long long)reserved);
        charge = reserved;
    }
    if (store_exec(c, SQL_USER_SETTLE, err, "iiui", reserved - charge, charge,
                   released ? 0 : 1, uid) < 0)
        goto fail;
    if (kid > 0 && store_exec(c, SQL_KEY_SETTLE, err, "iiui", reserved, charge,
                              released ? 0 : 1, kid) < 0)
        goto fail;
    if (store_exec(c, SQL_LEDGER_SETTLE, err, "isi", -charge,
                   released && charge == 0 ? "released" : "settled", lid) != 1)
        goto fail;
    if (store_commit(c, err) != 0)
        return -1;
    return 1;
fail:
    store_rollback(c);
    return -1;
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
