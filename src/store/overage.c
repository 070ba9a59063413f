/* overage: the part of a call's charge above its reservation, taken from what the user
 * (and the key's cap) still has, never below zero. */
#include <stdio.h>

#include "store/billing.h"
#include "util/log.h"

/* The overage's own ledger row: held by nothing (a process that dies right after changes
 * no balance), and its unique request id makes a second attempt a no-op. */
static const char SQL_OVER_ROW[] =
    "INSERT INTO ledger (user_id, key_id, kind, request_id, reserved, amount, state, "
    "worker) VALUES (?, NULLIF(?, 0), 'charge', ?, 0, 0, 'released', ?)";
/* Same lock order as every balance statement: ledger, users, api_keys. */
static const char SQL_OVER_ROOM[] =
    "SELECT u.quota, k.quota_limit IS NOT NULL, "
    "COALESCE(k.quota_limit - k.quota_used, 0) "
    "FROM users u LEFT JOIN api_keys k ON k.id = ? WHERE u.id = ? FOR UPDATE";
static const char SQL_OVER_TAKE[] =
    "UPDATE ledger l STRAIGHT_JOIN users u ON u.id = l.user_id "
    "LEFT JOIN api_keys k ON k.id = l.key_id "
    "SET u.quota = u.quota - ?, u.used_quota = u.used_quota + ?, "
    "k.quota_used = k.quota_used + ?, l.amount = -?, l.state = 'settled', "
    "l.settled_at = CURRENT_TIMESTAMP(3) "
    "WHERE l.request_id = ? AND l.state = 'released' AND u.quota >= ?";

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* In the open transaction: the row, the room left, the charge. Returns 0 or -1. */
static int take(struct store_conn *c, int64_t user_id, int64_t key_id, const char *id,
                int64_t extra, const char *worker, int64_t *taken, struct tg_err *err)
{
    int64_t room[3], t, n;

    if (store_exec(c, SQL_OVER_ROW, err, "iiss", user_id, key_id, id, worker) < 0)
        return -1;
    n = store_query_ints(c, SQL_OVER_ROOM, room, 3, err, "ii", key_id, user_id);
    if (n <= 0)
        return n < 0 ? -1 : err_set(err, TG_ENOTFOUND, "no such user");
    t = min64(extra, room[0] > 0 ? room[0] : 0);
    if (room[1])
        t = min64(t, room[2] > 0 ? room[2] : 0);
    /* Rows changed: the ledger row at least (users and api_keys when t > 0). */
    n = store_exec(c, SQL_OVER_TAKE, err, "iiiisi", t, t, t, t, id, t);
    if (n < 1)
        return n < 0 ? -1 : err_set(err, TG_EINTERNAL, "overage row changed");
    *taken = t;
    return 0;
}

int store_charge_overage(struct store_conn *c, int64_t user_id, int64_t key_id,
                         const char *request_id, int64_t extra, const char *worker,
                         int64_t *taken, struct tg_err *err)
{
    char id[48];

    *taken = 0;
    if (extra <= 0)
        return 0;
    if (!c)
        return err_set(err, TG_EUNAVAIL, "database unavailable");
    snprintf(id, sizeof(id), "over-%s", request_id);
    if (store_begin(c, err) != 0)
        return -1;
    if (take(c, user_id, key_id, id, extra, worker, taken, err) != 0) {
        store_rollback(c);
        *taken = 0;
        /* Already charged: the first attempt's row is there. */
        return err->code == TG_ECONFLICT ? 0 : -1;
    }
    if (store_commit(c, err) != 0) {
        *taken = 0;
        return -1;
    }
    if (*taken < extra)
        log_warn("billing", "event=overage_short request=%s extra=%lld taken=%lld",
                 request_id, (long long)extra, (long long)*taken);
    return 0;
}
