/* admin: the audit log, guarded quota adjustments and the usage log search in MySQL. */
#include <stdio.h>
#include <string.h>

#include "store/admin.h"
#include "util/str.h"

static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (actor_user_id, action, target_type, target_id, detail, ip) "
    "VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?)";
static const char SQL_ADJ_LOCK[] =
    "SELECT quota FROM users WHERE id = ? AND status <> 'deleted' FOR UPDATE";
/* The guard: the balance after the change is never below zero. */
static const char SQL_ADJ_APPLY[] =
    "UPDATE users SET quota = quota + ? WHERE id = ? AND quota + ? >= 0";
static const char SQL_ADJ_LEDGER[] =
    "INSERT INTO ledger (user_id, kind, amount, state, settled_at) "
    "VALUES (?, 'adjust', ?, 'settled', CURRENT_TIMESTAMP(3))";

#define LOG_COLS                                                                         \
    "id, request_id, user_id, COALESCE(key_id, 0), COALESCE(channel_id, 0), service, "   \
    "model, endpoint, input_tokens, output_tokens, cache_read_tokens, "                  \
    "cache_write_tokens, quota, duration_ms, ttfb_ms, is_stream, status, estimated, "    \
    "COALESCE(error_class, ''), COALESCE(client_ip, ''), "                               \
    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ')"

static const char SQL_LOGS[] =
    "SELECT " LOG_COLS " FROM usage_logs WHERE (? = 0 OR user_id = ?) "
    "AND (? = 0 OR key_id = ?) AND (? = 0 OR channel_id = ?) "
    "AND (? = '' OR model = ?) AND (? = 0 OR status = ?) "
    "AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?) "
    "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?";

int store_admin_audit(struct store_conn *c, int64_t actor_user_id, const char *action,
                      const char *target_type, const char *target_id, const char *detail,
                      const char *ip, struct tg_err *err)
{
    return store_exec(c, SQL_AUDIT, err, "isssss", actor_user_id, action, target_type,
                      target_id, detail, ip && *ip ? ip : NULL) < 0
               ? -1
               : 0;
}

/* The audit detail of an adjustment as JSON text (reason escaped by hand: store/ has no
 * JSON library). */
static void adjust_detail(const struct quota_adjust *a, int64_t after, char *out,
                          size_t cap)
{
    char reason[600];
    size_t n = 0;

    for (const char *p = a->reason ? a->reason : ""; *p && n + 7 < sizeof(reason); p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') {
            reason[n++] = '\\';
            reason[n++] = (char)ch;
        } else if (ch < 0x20) {
            n += (size_t)snprintf(reason + n, sizeof(reason) - n, "\\u%04x", ch);
        } else {
            reason[n++] = (char)ch;
        }
    }
    reason[n] = '\0';
    snprintf(out, cap, "{\"delta\": %lld, \"balance_after\": %lld, \"reason\": \"%s\"}",
             (long long)a->delta, (long long)after, reason);
}

static int adjust_rows(struct store_conn *c, const struct quota_adjust *a, int64_t after,
                       struct tg_err *err)
{
    char detail[800], target[24];

    if (store_exec(c, SQL_ADJ_LEDGER, err, "ii", a->user_id, a->delta) < 0)
        return -1;
    adjust_detail(a, after, detail, sizeof(detail));
    snprintf(target, sizeof(target), "%lld", (long long)a->user_id);
    return store_admin_audit(c, a->actor_user_id, "user.quota_adjust", "user", target,
                             detail, a->ip, err);
}

int store_quota_adjust(struct store_conn *c, const struct quota_adjust *a,
                       int64_t *balance_after, struct tg_err *err)
{
    int64_t quota = 0, n;
    int rc;

    if (a->delta == 0)
        return err_set_field(err, TG_EINVAL, "delta", "delta must not be 0");
    if (store_begin(c, err) != 0)
        return -1;
    rc = store_query_i64(c, SQL_ADJ_LOCK, &quota, err, "i", a->user_id);
    if (rc <= 0)
        goto out;
    *balance_after = quota;
    n = store_exec(c, SQL_ADJ_APPLY, err, "iii", a->delta, a->user_id, a->delta);
    if (n < 0) {
        rc = -1;
        goto out;
    }
    if (n == 0) {
        rc = 2; /* quota + delta < 0: refused, nothing changed */
        goto out;
    }
    *balance_after = quota + a->delta;
    if (adjust_rows(c, a, *balance_after, err) != 0 || store_commit(c, err) != 0) {
        store_rollback(c);
        return -1;
    }
    return 1;
out:
    store_rollback(c);
    return rc;
}

static void row_to_log(const struct store_res *r, struct log_row *l)
{
    memset(l, 0, sizeof(*l));
    l->id = store_col_i64(r, 0);
    str_copy(l->request_id, sizeof(l->request_id), store_col_str(r, 1));
    l->user_id = store_col_i64(r, 2);
    l->key_id = store_col_i64(r, 3);
    l->channel_id = store_col_i64(r, 4);
    str_copy(l->service, sizeof(l->service), store_col_str(r, 5));
    str_copy(l->model, sizeof(l->model), store_col_str(r, 6));
    str_copy(l->endpoint, sizeof(l->endpoint), store_col_str(r, 7));
    l->input = store_col_i64(r, 8);
    l->output = store_col_i64(r, 9);
    l->cache_read = store_col_i64(r, 10);
    l->cache_write = store_col_i64(r, 11);
    l->quota = store_col_i64(r, 12);
    l->duration_ms = (int)store_col_i64(r, 13);
    l->ttfb_ms = (int)store_col_i64(r, 14);
    l->is_stream = (int)store_col_i64(r, 15);
    l->status = (int)store_col_i64(r, 16);
    l->estimated = (int)store_col_i64(r, 17);
    str_copy(l->error_class, sizeof(l->error_class), store_col_str(r, 18));
    str_copy(l->client_ip, sizeof(l->client_ip), store_col_str(r, 19));
    str_copy(l->created_at, sizeof(l->created_at), store_col_str(r, 20));
}

int store_logs_search(struct store_conn *c, const struct log_filter *f,
                      void (*fn)(const struct log_row *r, void *ctx), void *ctx,
                      struct tg_err *err)
{
    const char *model = f->model ? f->model : "";
    const char *from = f->from && *f->from ? f->from : NULL;
    const char *to = f->to && *f->to ? f->to : NULL;
    struct store_res *r;
    struct log_row l;
    int n = 0, rc;

    r = store_query(c, SQL_LOGS, err, "iiiiiissuussssuu", f->user_id, f->user_id,
                    f->key_id, f->key_id, f->channel_id, f->channel_id, model, model,
                    f->status, f->status, from, from, to, to, f->limit, f->offset);
    if (!r)
        return -1;
    while ((rc = store_next(r)) == 1) {
        row_to_log(r, &l);
        fn(&l, ctx);
        n++;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}
