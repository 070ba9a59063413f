/* reports: usage and billing summaries in MySQL. */
#include <string.h>

#include "store/reports.h"
#include "util/str.h"

#define RANGE_WHERE                                                                      \
    " WHERE u.user_id = ? AND (? = 0 OR u.key_id = ?) AND u.created_at >= ? "            \
    "AND u.created_at < DATE_ADD(?, INTERVAL 1 DAY)"
#define AGG_COLS                                                                         \
    "COUNT(*), COALESCE(SUM(u.input_tokens), 0), COALESCE(SUM(u.output_tokens), 0), "    \
    "COALESCE(SUM(u.cache_read_tokens), 0), COALESCE(SUM(u.cache_write_tokens), 0), "    \
    "COALESCE(SUM(u.quota), 0)"

static const char SQL_TOTAL[] =
    "SELECT '', 0, " AGG_COLS " FROM usage_logs u" RANGE_WHERE " LIMIT ?";
static const char SQL_BY_DAY[] =
    "SELECT DATE_FORMAT(u.created_at, '%Y-%m-%d') d, 0, " AGG_COLS
    " FROM usage_logs u" RANGE_WHERE " GROUP BY d ORDER BY d LIMIT ?";
static const char SQL_BY_MODEL[] =
    "SELECT u.model, 0, " AGG_COLS " FROM usage_logs u" RANGE_WHERE
    " GROUP BY u.model ORDER BY COUNT(*) DESC, u.model LIMIT ?";
/* The join repeats the owner filter: a key id alone never reaches another user's row. */
static const char SQL_BY_KEY[] =
    "SELECT COALESCE(MAX(k.name), ''), COALESCE(u.key_id, 0), " AGG_COLS
    " FROM usage_logs u LEFT JOIN api_keys k ON k.id = u.key_id AND k.user_id = "
    "u.user_id" RANGE_WHERE " GROUP BY u.key_id ORDER BY COUNT(*) DESC, u.key_id LIMIT ?";
static const char SQL_ITEMS[] =
    "SELECT u.request_id, COALESCE(u.key_id, 0), u.model, u.endpoint, "
    "DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%sZ'), COALESCE(u.error_class, ''), "
    "u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, "
    "u.quota, "
    "u.duration_ms, u.is_stream, u.status FROM usage_logs u" RANGE_WHERE
    " ORDER BY u.created_at DESC, u.id DESC LIMIT ? OFFSET ?";

#define TOPUP_WHERE                                                                      \
    " WHERE t.user_id = ? AND t.created_at >= ? "                                        \
    "AND t.created_at < DATE_ADD(?, INTERVAL 1 DAY)"
static const char SQL_TOPUPS[] =
    "SELECT t.id, t.amount_micro_usd, t.quota, t.source, t.payment_id, "
    "COALESCE(t.payment_method, ''), DATE_FORMAT(t.created_at, '%Y-%m-%dT%H:%i:%sZ') "
    "FROM topups t" TOPUP_WHERE " ORDER BY t.created_at DESC, t.id DESC LIMIT ? OFFSET ?";
static const char SQL_TOPUP_TOTALS[] =
    "SELECT COUNT(*), COALESCE(SUM(t.amount_micro_usd), 0), COALESCE(SUM(t.quota), 0) "
    "FROM topups t" TOPUP_WHERE;

static const char *group_sql(enum report_group g)
{
    switch (g) {
    case REPORT_BY_DAY:
        return SQL_BY_DAY;
    case REPORT_BY_MODEL:
        return SQL_BY_MODEL;
    case REPORT_BY_KEY:
        return SQL_BY_KEY;
    default:
        return SQL_TOTAL;
    }
}

static int walk_done(struct store_res *res, int rc, int n, struct tg_err *err)
{
    store_res_free(res);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int store_report_usage(struct store_conn *c, const struct report_range *r,
                       enum report_group g, int limit,
                       void (*fn)(const struct usage_agg *a, void *ctx), void *ctx,
                       struct tg_err *err)
{
    struct store_res *res = store_query(c, group_sql(g), err, "iiissu", r->user_id,
                                        r->key_id, r->key_id, r->from, r->to, limit);
    struct usage_agg a;
    int n = 0, rc;

    if (!res)
        return -1;
    while ((rc = store_next(res)) == 1) {
        memset(&a, 0, sizeof(a));
        str_copy(a.label, sizeof(a.label),
                 store_col_str(res, 0) ? store_col_str(res, 0) : "");
        a.key_id = store_col_i64(res, 1);
        a.requests = store_col_i64(res, 2);
        a.input = store_col_i64(res, 3);
        a.output = store_col_i64(res, 4);
        a.cache_read = store_col_i64(res, 5);
        a.cache_write = store_col_i64(res, 6);
        a.quota = store_col_i64(res, 7);
        fn(&a, ctx);
        n++;
    }
    return walk_done(res, rc, n, err);
}

static void copy_col(char *dst, size_t cap, const struct store_res *res, int col)
{
    const char *s = store_col_str(res, col);

    str_copy(dst, cap, s ? s : "");
}

int store_report_items(struct store_conn *c, const struct report_range *r, int limit,
                       int offset, void (*fn)(const struct usage_item *it, void *ctx),
                       void *ctx, struct tg_err *err)
{
    struct store_res *res =
        store_query(c, SQL_ITEMS, err, "iiissuu", r->user_id, r->key_id, r->key_id,
                    r->from, r->to, limit, offset);
    struct usage_item it;
    int n = 0, rc;

    if (!res)
        return -1;
    while ((rc = store_next(res)) == 1) {
        memset(&it, 0, sizeof(it));
        copy_col(it.request_id, sizeof(it.request_id), res, 0);
        it.key_id = store_col_i64(res, 1);
        copy_col(it.model, sizeof(it.model), res, 2);
        copy_col(it.endpoint, sizeof(it.endpoint), res, 3);
        copy_col(it.created_at, sizeof(it.created_at), res, 4);
        copy_col(it.error_class, sizeof(it.error_class), res, 5);
        it.input = store_col_i64(res, 6);
        it.output = store_col_i64(res, 7);
        it.cache_read = store_col_i64(res, 8);
        it.cache_write = store_col_i64(res, 9);
        it.quota = store_col_i64(res, 10);
        it.duration_ms = (int)store_col_i64(res, 11);
        it.is_stream = (int)store_col_i64(res, 12);
        it.status = (int)store_col_i64(res, 13);
        fn(&it, ctx);
        n++;
    }
    return walk_done(res, rc, n, err);
}

int store_report_topups(struct store_conn *c, const struct report_range *r, int limit,
                        int offset, void (*fn)(const struct topup_item *t, void *ctx),
                        void *ctx, struct tg_err *err)
{
    struct store_res *res = store_query(c, SQL_TOPUPS, err, "issuu", r->user_id, r->from,
                                        r->to, limit, offset);
    struct topup_item t;
    int n = 0, rc;

    if (!res)
        return -1;
    while ((rc = store_next(res)) == 1) {
        memset(&t, 0, sizeof(t));
        t.id = store_col_i64(res, 0);
        t.amount_micro_usd = store_col_i64(res, 1);
        t.quota = store_col_i64(res, 2);
        copy_col(t.source, sizeof(t.source), res, 3);
        copy_col(t.payment_id, sizeof(t.payment_id), res, 4);
        copy_col(t.payment_method, sizeof(t.payment_method), res, 5);
        copy_col(t.created_at, sizeof(t.created_at), res, 6);
        fn(&t, ctx);
        n++;
    }
    return walk_done(res, rc, n, err);
}

int store_report_topup_totals(struct store_conn *c, const struct report_range *r,
                              int64_t *count, int64_t *micro_usd, int64_t *quota,
                              struct tg_err *err)
{
    struct store_res *res =
        store_query(c, SQL_TOPUP_TOTALS, err, "iss", r->user_id, r->from, r->to);
    int rc;

    *count = *micro_usd = *quota = 0;
    if (!res)
        return -1;
    rc = store_next(res);
    if (rc == 1) {
        *count = store_col_i64(res, 0);
        *micro_usd = store_col_i64(res, 1);
        *quota = store_col_i64(res, 2);
    }
    return walk_done(res, rc, 0, err);
}
