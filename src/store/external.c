/* external: partner-scoped external users, their usage and top-ups in MySQL. */
#include <stdlib.h>
#include <string.h>

#include "store/external.h"
#include "util/str.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

static const char SQL_GET[] =
    "SELECT u.id, u.partner_id, u.external_user_id, u.username, "
    "COALESCE(u.display_name, ''), COALESCE(u.contact_email, ''), COALESCE(u.phone, ''), "
    "COALESCE(u.wechat_openid, ''), COALESCE(u.wechat_unionid, ''), "
    "COALESCE(u.alipay_userid, ''), u.login_type, u.external_data, u.status, u.quota, "
    "u.used_quota, u.request_count, " ISO("u.created_at") ", " ISO(
        "u.updated_at") ", "
                        "COALESCE((SELECT " ISO(
                            "MAX(l.created_at)") " FROM usage_logs l "
                                                 "WHERE l.user_id = u.id), '') "
                                                 "FROM users u WHERE u.partner_id = ? "
                                                 "AND u.external_user_id = ?";
static const char SQL_INSERT[] =
    "INSERT INTO users (username, partner_id, external_user_id, is_external, "
    "display_name, "
    "contact_email, phone, wechat_openid, wechat_unionid, alipay_userid, login_type, "
    "external_data, status, quota) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, "
    "COALESCE(?, 'password'), ?, COALESCE(?, 'active'), 0)";
static const char SQL_UPDATE[] =
    "UPDATE users SET display_name = IF(?, ?, display_name), "
    "contact_email = IF(?, ?, contact_email), phone = IF(?, ?, phone), "
    "wechat_openid = IF(?, ?, wechat_openid), wechat_unionid = IF(?, ?, wechat_unionid), "
    "alipay_userid = IF(?, ?, alipay_userid), "
    "login_type = IF(?, COALESCE(?, 'password'), login_type), "
    "external_data = IF(?, ?, external_data), status = IF(?, COALESCE(?, status), "
    "status) "
    "WHERE id = ? AND status <> 'deleted'";
static const char SQL_AUDIT[] = "INSERT INTO audit_log (actor_partner_id, action, "
                                "target_type, target_id, detail, ip) "
                                "VALUES (?, ?, 'user', ?, ?, ?)";
static const char SQL_RANGE[] =
    "SELECT DATE_FORMAT(f, '%Y-%m-%d'), DATE_FORMAT(t, '%Y-%m-%d'), DATEDIFF(t, f) FROM "
    "(SELECT t, IF(? IS NULL, t - INTERVAL 29 DAY, CAST(? AS DATE)) f FROM "
    "(SELECT IF(? IS NULL, CURRENT_DATE(), CAST(? AS DATE)) t) a) b";
#define USAGE_SUMS                                                                       \
    "COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "        \
    "COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), "        \
    "COALESCE(SUM(quota), 0) "
#define IN_RANGE                                                                         \
    "WHERE user_id = ? AND created_at >= CAST(? AS DATE) "                               \
    "AND created_at < CAST(? AS DATE) + INTERVAL 1 DAY "
static const char SQL_BY_DAY[] =
    "SELECT DATE_FORMAT(created_at, '%Y-%m-%d') d, " USAGE_SUMS
    "FROM usage_logs " IN_RANGE "GROUP BY d ORDER BY d";
static const char SQL_BY_MODEL[] =
    "SELECT model, " USAGE_SUMS "FROM usage_logs " IN_RANGE
    "GROUP BY model ORDER BY SUM(quota) DESC, model LIMIT 200";
static const char SQL_TOPUPS[] =
    "SELECT id, amount_micro_usd, quota, source, payment_id, COALESCE(payment_method, "
    "''), " ISO("created_at") " FROM topups " IN_RANGE "ORDER BY id LIMIT ?";
static const char SQL_TOPUP_TOTALS[] =
    "SELECT COUNT(*), COALESCE(SUM(amount_micro_usd), 0), COALESCE(SUM(quota), 0) "
    "FROM topups " IN_RANGE;

void store_ext_user_clear(struct ext_user *u)
{
    if (!u)
        return;
    free(u->external_data);
    u->external_data = NULL;
}

static int row_to_user(const struct store_res *r, struct ext_user *u)
{
    const char *data = store_col_str(r, 11);

    memset(u, 0, sizeof(*u));
    u->id = store_col_i64(r, 0);
    u->partner_id = store_col_i64(r, 1);
    str_copy(u->external_user_id, sizeof(u->external_user_id), store_col_str(r, 2));
    str_copy(u->username, sizeof(u->username), store_col_str(r, 3));
    str_copy(u->field[EXT_DISPLAY_NAME], sizeof(u->field[0]), store_col_str(r, 4));
    str_copy(u->email, sizeof(u->email), store_col_str(r, 5));
    str_copy(u->field[EXT_EMAIL], sizeof(u->field[0]), store_col_str(r, 5));
    str_copy(u->field[EXT_PHONE], sizeof(u->field[0]), store_col_str(r, 6));
    str_copy(u->field[EXT_WECHAT_OPENID], sizeof(u->field[0]), store_col_str(r, 7));
    str_copy(u->field[EXT_WECHAT_UNIONID], sizeof(u->field[0]), store_col_str(r, 8));
    str_copy(u->field[EXT_ALIPAY_USERID], sizeof(u->field[0]), store_col_str(r, 9));
    str_copy(u->field[EXT_LOGIN_TYPE], sizeof(u->field[0]), store_col_str(r, 10));
    str_copy(u->field[EXT_STATUS], sizeof(u->field[0]), store_col_str(r, 12));
    u->quota = store_col_i64(r, 13);
    u->used_quota = store_col_i64(r, 14);
    u->request_count = store_col_i64(r, 15);
    str_copy(u->created_at, sizeof(u->created_at), store_col_str(r, 16));
    str_copy(u->updated_at, sizeof(u->updated_at), store_col_str(r, 17));
    str_copy(u->last_used_at, sizeof(u->last_used_at), store_col_str(r, 18));
    if (data) {
        u->external_data = strdup(data);
        if (!u->external_data)
            return -1;
    }
    return 0;
}

int store_ext_user_get(struct store_conn *c, int64_t partner_id, const char *external_id,
                       struct ext_user *u, struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_GET, err, "is", partner_id, external_id);
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1 && row_to_user(r, u) != 0) {
        store_ext_user_clear(u);
        rc = -1;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

/* The value of field i if set, else NULL. */
static const char *val(const struct ext_fields *f, int i)
{
    return f->f[i].set ? f->f[i].value : NULL;
}

int64_t store_ext_user_insert(struct store_conn *c, int64_t partner_id,
                              const char *external_id, const char *username,
                              const struct ext_fields *f, struct tg_err *err)
{
    if (store_exec(c, SQL_INSERT, err, "sissssssssss", username, partner_id, external_id,
                   val(f, EXT_DISPLAY_NAME), val(f, EXT_EMAIL), val(f, EXT_PHONE),
                   val(f, EXT_WECHAT_OPENID), val(f, EXT_WECHAT_UNIONID),
                   val(f, EXT_ALIPAY_USERID), val(f, EXT_LOGIN_TYPE), val(f, EXT_DATA),
                   val(f, EXT_STATUS)) < 0)
        return -1;
    return store_insert_id(c);
}

int64_t store_ext_user_update(struct store_conn *c, int64_t user_id,
                              const struct ext_fields *f, struct tg_err *err)
{
    const char *fmt = "usususususususususi";

    int64_t n = store_exec(
        c, SQL_UPDATE, err, fmt, f->f[EXT_DISPLAY_NAME].set, val(f, EXT_DISPLAY_NAME),
        f->f[EXT_EMAIL].set, val(f, EXT_EMAIL), f->f[EXT_PHONE].set, val(f, EXT_PHONE),
        f->f[EXT_WECHAT_OPENID].set, val(f, EXT_WECHAT_OPENID),
        f->f[EXT_WECHAT_UNIONID].set, val(f, EXT_WECHAT_UNIONID),
        f->f[EXT_ALIPAY_USERID].set, val(f, EXT_ALIPAY_USERID), f->f[EXT_LOGIN_TYPE].set,
        val(f, EXT_LOGIN_TYPE), f->f[EXT_DATA].set, val(f, EXT_DATA),
        f->f[EXT_STATUS].set, val(f, EXT_STATUS), user_id);

    if (n > 0 && f->f[EXT_STATUS].set)
        store_key_changed(); /* a suspended user's keys stop at once */
    return n;
}

int store_ext_audit(struct store_conn *c, int64_t partner_id, const char *action,
                    int64_t user_id, const char *detail, const char *ip,
                    struct tg_err *err)
{
    return store_exec(c, SQL_AUDIT, err, "isiss", partner_id, action, user_id, detail,
                      ip && *ip ? ip : NULL) < 0
               ? -1
               : 0;
}

int store_ext_range(struct store_conn *c, const char *from, const char *to,
                    char from_out[11], char to_out[11], int64_t *days, struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_RANGE, err, "ssss", from, from, to, to);
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1) {
        if (store_col_null(r, 0) || store_col_null(r, 1) || store_col_null(r, 2)) {
            rc = 0;
        } else {
            str_copy(from_out, 11, store_col_str(r, 0));
            str_copy(to_out, 11, store_col_str(r, 1));
            *days = store_col_i64(r, 2);
        }
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

int store_ext_usage(struct store_conn *c, int64_t user_id, const char *from,
                    const char *to, enum ext_usage_by by,
                    void (*fn)(const struct ext_usage_row *r, void *ctx), void *ctx,
                    struct tg_err *err)
{
    struct store_res *r = store_query(c, by == EXT_BY_DAY ? SQL_BY_DAY : SQL_BY_MODEL,
                                      err, "iss", user_id, from, to);
    struct ext_usage_row u;
    int n = 0, rc;

    if (!r)
        return -1;
    while ((rc = store_next(r)) == 1) {
        memset(&u, 0, sizeof(u));
        str_copy(u.key, sizeof(u.key), store_col_str(r, 0) ? store_col_str(r, 0) : "");
        u.requests = store_col_i64(r, 1);
        u.input_tokens = store_col_i64(r, 2);
        u.output_tokens = store_col_i64(r, 3);
        u.cache_read_tokens = store_col_i64(r, 4);
        u.cache_write_tokens = store_col_i64(r, 5);
        u.quota = store_col_i64(r, 6);
        fn(&u, ctx);
        n++;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int store_ext_topups(struct store_conn *c, int64_t user_id, const char *from,
                     const char *to, int limit,
                     void (*fn)(const struct ext_topup_row *t, void *ctx), void *ctx,
                     struct tg_err *err)
{
    struct store_res *r =
        store_query(c, SQL_TOPUPS, err, "issu", user_id, from, to, limit);
    struct ext_topup_row t;
    int n = 0, rc;

    if (!r)
        return -1;
    while ((rc = store_next(r)) == 1) {
        memset(&t, 0, sizeof(t));
        t.id = store_col_i64(r, 0);
        t.amount_micro = store_col_i64(r, 1);
        t.quota = store_col_i64(r, 2);
        str_copy(t.source, sizeof(t.source), store_col_str(r, 3));
        str_copy(t.payment_id, sizeof(t.payment_id), store_col_str(r, 4));
        str_copy(t.payment_method, sizeof(t.payment_method), store_col_str(r, 5));
        str_copy(t.created_at, sizeof(t.created_at), store_col_str(r, 6));
        fn(&t, ctx);
        n++;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int store_ext_topup_totals(struct store_conn *c, int64_t user_id, const char *from,
                           const char *to, int64_t *count, int64_t *micro, int64_t *quota,
                           struct tg_err *err)
{
    int64_t v[3];

    if (store_query_ints(c, SQL_TOPUP_TOTALS, v, 3, err, "iss", user_id, from, to) < 0)
        return -1;
    *count = v[0];
    *micro = v[1];
    *quota = v[2];
    return 0;
}
