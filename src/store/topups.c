/* topups: top-up rows, balance credits, their ledger and audit rows in MySQL. */
#include <string.h>

#include "store/topups.h"
#include "util/str.h"

static const char SQL_BY_PAYMENT[] =
    "SELECT id, user_id, amount_micro_usd, quota, balance_after, source, payment_id, "
    "COALESCE(payment_method, ''), fingerprint, "
    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') "
    "FROM topups WHERE source = ? AND payment_id = ?";
static const char SQL_LOCK_USER[] =
    "SELECT quota, topup_carry_micro FROM users WHERE id = ? AND status <> 'deleted' "
    "FOR UPDATE";
static const char SQL_INSERT[] =
    "INSERT INTO topups (user_id, amount_micro_usd, quota, source, payment_id, "
    "payment_method, note, fingerprint, balance_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
    "?)";
static const char SQL_APPLY[] =
    "UPDATE users SET quota = quota + ?, topup_carry_micro = ? WHERE id = ?";
static const char SQL_LEDGER[] =
    "INSERT INTO ledger (user_id, kind, topup_id, amount, state, settled_at) "
    "VALUES (?, 'topup', ?, ?, 'settled', CURRENT_TIMESTAMP(3))";
static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (actor_user_id, actor_partner_id, action, target_type, "
    "target_id, detail, ip) "
    "VALUES (NULLIF(?, 0), NULLIF(?, 0), ?, 'user', NULLIF(?, 0), ?, ?)";

int store_topup_by_payment(struct store_conn *c, const char *source,
                           const char *payment_id, struct topup_row *out,
                           struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_BY_PAYMENT, err, "ss", source, payment_id);
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1) {
        memset(out, 0, sizeof(*out));
        out->id = store_col_i64(r, 0);
        out->user_id = store_col_i64(r, 1);
        out->amount_micro = store_col_i64(r, 2);
        out->quota = store_col_i64(r, 3);
        out->balance_after = store_col_i64(r, 4);
        str_copy(out->source, sizeof(out->source), store_col_str(r, 5));
        str_copy(out->payment_id, sizeof(out->payment_id), store_col_str(r, 6));
        str_copy(out->payment_method, sizeof(out->payment_method), store_col_str(r, 7));
        if (store_col_len(r, 8) == sizeof(out->fingerprint))
            memcpy(out->fingerprint, store_col_str(r, 8), sizeof(out->fingerprint));
        str_copy(out->created_at, sizeof(out->created_at), store_col_str(r, 9));
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

int store_topup_lock_user(struct store_conn *c, int64_t user_id, int64_t *quota,
                          int64_t *carry_micro, struct tg_err *err)
{
    int64_t v[2];
    int rc = store_query_ints(c, SQL_LOCK_USER, v, 2, err, "i", user_id);

    if (rc == 1) {
        *quota = v[0];
        *carry_micro = v[1];
    }
    return rc;
}

int64_t store_topup_insert(struct store_conn *c, const struct topup_row *t,
                           const char *note, struct tg_err *err)
{
    const char *method = t->payment_method[0] ? t->payment_method : NULL;

    if (store_exec(c, SQL_INSERT, err, "iiissssbi", t->user_id, t->amount_micro, t->quota,
                   t->source, t->payment_id, method, note, t->fingerprint,
                   sizeof(t->fingerprint), t->balance_after) < 0)
        return -1;
    return store_insert_id(c);
}

int store_topup_apply(struct store_conn *c, int64_t user_id, int64_t quota,
                      int64_t carry_micro, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_APPLY, err, "iii", quota, carry_micro, user_id);

    if (n < 0)
        return -1;
    /* The row is locked and exists; "0 changed" only means quota + 0 with the same carry.
     */
    return 0;
}

int store_topup_ledger(struct store_conn *c, int64_t user_id, int64_t topup_id,
                       int64_t quota, struct tg_err *err)
{
    return store_exec(c, SQL_LEDGER, err, "iii", user_id, topup_id, quota) < 0 ? -1 : 0;
}

int store_topup_audit(struct store_conn *c, int64_t actor_user_id,
                      int64_t actor_partner_id, const char *action, int64_t user_id,
                      const char *detail, const char *ip, struct tg_err *err)
{
    return store_exec(c, SQL_AUDIT, err, "iisiss", actor_user_id, actor_partner_id,
                      action, user_id, detail, ip && *ip ? ip : NULL) < 0
               ? -1
               : 0;
}
