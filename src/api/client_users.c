/* client_users: the signed-in user's profile, account deletion, usage and billing. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/plans.h"
#include "api/portal_check.h"
#include "api/portal_util.h"
#include "auth/crypto.h"
#include "auth/password.h"
#include "billing/charge.h"
#include "store/portal.h"
#include "store/reports.h"
#include "store/store.h"
#include "store/users.h"
#include "util/log.h"

/* Notification switches a user may set, with their defaults. */
/* clang-format off */
static const struct notify_opt {
    const char *name;
    int on;
} notify_opts[] = {
    {"security",     1}, /* new logins, password changes */
    {"usage_alerts", 1}, /* a key near its limits */
    {"low_balance",  1},
    {"product_news", 0},
};
/* clang-format on */
#define NOTIFY_N (sizeof(notify_opts) / sizeof(notify_opts[0]))

/* The user's switches: defaults overlaid with what settings (JSON text) holds. */
static json_t *notifications(const char *settings)
{
    json_t *all = json_loads(settings ? settings : "{}", 0, NULL);
    json_t *saved = json_object_get(all, "notifications"), *out = json_object();

    for (size_t i = 0; i < NOTIFY_N; i++) {
        json_t *v = json_object_get(saved, notify_opts[i].name);
        json_object_set_new(
            out, notify_opts[i].name,
            json_boolean(json_is_boolean(v) ? json_is_true(v) : notify_opts[i].on));
    }
    json_decref(all);
    return out;
}

static json_t *profile_json(const struct user_row *u, const char *settings)
{
    const struct plan *p = plan_of(u->plan);
    char usd[32], used[32];

    portal_usd(u->quota, usd);
    portal_usd(u->used_quota, used);
    return json_pack(
        "{s:I, s:s, s:s?, s:s?, s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, "
        "s:s, s:s, s:s?, s:o, s:{s:i, s:i, s:i, s:i, s:i}}",
        "id", (json_int_t)u->id, "username", u->username, "email",
        u->email[0] ? u->email : NULL, "display_name",
        u->display_name[0] ? u->display_name : NULL, "email_verified", u->email_verified,
        "role", u->role, "plan", u->plan, "group", u->group, "status", u->status, "quota",
        (json_int_t)u->quota, "used_quota", (json_int_t)u->used_quota, "request_count",
        (json_int_t)u->request_count, "balance_usd", usd, "used_usd", used, "created_at",
        u->created_at, "last_login_at", u->last_login_at[0] ? u->last_login_at : NULL,
        "notifications", notifications(settings), "plan_limits", "rpm", p->rpm, "rpd",
        p->rpd, "tpm", p->tpm, "max_concurrency", p->max_concurrency, "max_keys",
        p->max_keys);
}

/* Read the user and settings, then answer with the profile. */
static int send_profile(struct tg_request *req, int status, struct tg_err *err)
{
    struct store_conn *c = store_get(req->app->pool, err);
    struct user_row u;
    char *settings = NULL;
    int rc;

    if (!c)
        return -1;
    rc = store_user_by_id(c, req->who.user_id, &u, err);
    if (rc == 1)
        rc = store_portal_settings(c, u.id, &settings, err);
    store_put(req->app->pool, c);
    if (rc <= 0) {
        free(settings);
        return rc < 0 ? -1 : err_set(err, TG_EAUTH, "session ended; log in again");
    }
    rc = portal_reply(req, status, profile_json(&u, settings));
    free(settings);
    return rc;
}

TG_HANDLER(client_profile_get)
{
    return send_profile(req, 200, err);
}

/* Merge the body's "notifications" into the stored settings. *text gets the new settings
 * JSON (malloc'd). Returns 0 or -1 naming "notifications". */
static int merge_notifications(json_t *in, const char *stored, char **text,
                               struct tg_err *err)
{
    json_t *all, *cur;
    const char *key;
    json_t *v;

    if (!json_is_object(in))
        return err_set_field(err, TG_EINVAL, "notifications",
                             "notifications must be an object of true/false switches");
    json_object_foreach(in, key, v)
    {
        size_t i = 0;
        while (i < NOTIFY_N && strcmp(notify_opts[i].name, key) != 0)
            i++;
        if (i == NOTIFY_N || !json_is_boolean(v))
            return err_set_field(err, TG_EINVAL, "notifications",
                                 "notifications.%.40s: "
                                 "unknown switch or not true/false",
                                 key);
    }
    all = json_loads(stored ? stored : "{}", 0, NULL);
    if (!json_is_object(all)) {
        json_decref(all);
        all = json_object();
    }
    cur = notifications(stored);
    json_object_update(cur, in);
    json_object_set_new(all, "notifications", cur);
    *text = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    return *text ? 0 : err_set(err, TG_EINTERNAL, "out of memory");
}

static int profile_apply(struct tg_request *req, json_t *body, struct tg_err *err)
{
    struct profile_update up = {0};
    json_t *notify = json_object_get(body, "notifications");
    struct store_conn *c;
    char *stored = NULL, *settings = NULL;
    int64_t n = 0;

    if (portal_str(body, "display_name", 0, 512, &up.display_name, err) != 0 ||
        portal_str(body, "username", 0, 64, &up.username, err) != 0 ||
        (up.display_name && portal_check_display_name(up.display_name, err) != 0) ||
        (up.username && portal_check_username(up.username, err) != 0))
        return -1;
    up.set_display_name = json_object_get(body, "display_name") != NULL;
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    if (notify && (store_portal_settings(c, req->who.user_id, &stored, err) < 0 ||
                   merge_notifications(notify, stored, &settings, err) != 0))
        n = -1;
    up.settings = settings;
    if (n == 0)
        n = store_portal_profile_update(c, req->who.user_id, &up, err);
    store_put(req->app->pool, c);
    free(stored);
    free(settings);
    if (n < 0 && err->code == TG_ECONFLICT) {
        memset(err, 0, sizeof(*err));
        err_set_field(err, TG_ECONFLICT, "username", "that username is taken");
    }
    return n < 0 ? -1 : 0;
}

TG_HANDLER(client_profile_put)
{
    static const char *const allowed[] = {"display_name", "username", "notifications",
                                          NULL};
    json_t *body = request_json(req, err);
    int rc;

    if (!body)
        return -1;
    rc = portal_only_fields(body, allowed, err) == 0 ? profile_apply(req, body, err) : -1;
    json_decref(body);
    return rc == 0 ? send_profile(req, 200, err) : -1;
}

/* Password check for a destructive step: the hash is checked with no connection held. */
static int confirm_password(struct tg_request *req, const char *pw, struct user_row *u,
                            struct tg_err *err)
{
    struct store_conn *c = store_get(req->app->pool, err);
    int rc;

    if (!c)
        return -1;
    rc = store_user_by_id(c, req->who.user_id, u, err);
    store_put(req->app->pool, c);
    if (rc <= 0)
        return rc < 0 ? -1 : err_set(err, TG_EAUTH, "session ended; log in again");
    rc = password_verify(u->password_hash[0] ? u->password_hash : NULL, pw);
    if (rc < 0)
        return err_set(err, TG_EINTERNAL, "cannot check the password");
    return rc == 1 ? 0 : err_set_field(err, TG_EAUTH, "password", "password is wrong");
}

TG_HANDLER(client_account_delete)
{
    static const char *const allowed[] = {"password", NULL};
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    struct user_row u;
    const char *pw;
    int64_t n = -1;

    if (!body)
        return -1;
    if (portal_only_fields(body, allowed, err) != 0 ||
        portal_str(body, "password", 1, PASSWORD_MAX_LEN, &pw, err) != 0 ||
        confirm_password(req, pw, &u, err) != 0)
        goto out;
    if (strcmp(u.role, "admin") == 0) {
        err_set(err, TG_EDENIED, "an administrator account cannot delete itself");
        goto out;
    }
    c = store_get(req->app->pool, err);
    if (!c || store_begin(c, err) != 0)
        goto out;
    n = store_portal_scrub(c, u.id, err);
    if (n < 0 ||
        store_audit(c, u.id, "account.delete", "user", u.id, NULL, req->client_ip, err) !=
            0 ||
        store_commit(c, err) != 0)
        n = -1;
out:
    store_put(req->app->pool, c);
    json_decref(body);
    if (n < 0)
        return -1;
    log_info("portal", "event=account_deleted user_id=%lld", (long long)u.id);
    return portal_reply(req, 200, json_pack("{s:b}", "deleted", 1));
}

/* Usage rows as JSON. */
static json_t *agg_json(const struct usage_agg *a, const char *label_name)
{
    char usd[32];
    json_t *o;

    portal_usd(a->quota, usd);
    o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "requests",
                  (json_int_t)a->requests, "input_tokens", (json_int_t)a->input,
                  "output_tokens", (json_int_t)a->output, "cache_read_tokens",
                  (json_int_t)a->cache_read, "cache_write_tokens",
                  (json_int_t)a->cache_write, "tokens",
                  (json_int_t)(a->input + a->output + a->cache_read + a->cache_write),
                  "quota", (json_int_t)a->quota, "usd", usd);
    if (o && label_name)
        json_object_set_new(o, label_name, json_string(a->label));
    if (o && label_name && strcmp(label_name, "name") == 0)
        json_object_set_new(o, "key_id", json_integer(a->key_id));
    return o;
}

static void add_total(const struct usage_agg *a, void *ctx)
{
    json_t **out = ctx;

    json_decref(*out);
    *out = agg_json(a, NULL);
}

static void add_day(const struct usage_agg *a, void *ctx)
{
    json_array_append_new(ctx, agg_json(a, "day"));
}

static void add_model(const struct usage_agg *a, void *ctx)
{
    json_array_append_new(ctx, agg_json(a, "model"));
}

static void add_key(const struct usage_agg *a, void *ctx)
{
    json_array_append_new(ctx, agg_json(a, "name"));
}

static void add_item(const struct usage_item *it, void *ctx)
{
    char usd[32];

    portal_usd(it->quota, usd);
    json_array_append_new(
        ctx,
        json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:i, s:b, s:i, "
                  "s:s?, s:s}",
                  "request_id", it->request_id, "key_id", (json_int_t)it->key_id, "model",
                  it->model, "endpoint", it->endpoint, "input_tokens",
                  (json_int_t)it->input, "output_tokens", (json_int_t)it->output,
                  "cache_read_tokens", (json_int_t)it->cache_read, "cache_write_tokens",
                  (json_int_t)it->cache_write, "quota", (json_int_t)it->quota, "usd", usd,
                  "duration_ms", it->duration_ms, "stream", it->is_stream, "status",
                  it->status, "error", it->error_class[0] ? it->error_class : NULL,
                  "created_at", it->created_at));
}

#define REPORT_GROUPS_MAX 366

int portal_usage_report(struct tg_request *req, int64_t key_id, struct tg_err *err)
{
    char from[11], to[11];
    struct report_range r = {.user_id = req->who.user_id, .key_id = key_id};
    json_t *total = NULL, *days = json_array(), *models = json_array(),
           *keys = json_array(), *items = json_array();
    struct store_conn *c = NULL;
    int limit, offset, rc = -1;

    if (portal_range(req, from, to, err) != 0 ||
        portal_page(req, 50, 500, &limit, &offset, err) != 0)
        goto out;
    r.from = from;
    r.to = to;
    c = store_get(req->app->pool, err);
    if (!c || store_report_usage(c, &r, REPORT_TOTAL, 1, add_total, &total, err) < 0 ||
        store_report_usage(c, &r, REPORT_BY_DAY, REPORT_GROUPS_MAX, add_day, days, err) <
            0 ||
        store_report_usage(c, &r, REPORT_BY_MODEL, 200, add_model, models, err) < 0 ||
        (key_id == 0 &&
         store_report_usage(c, &r, REPORT_BY_KEY, 200, add_key, keys, err) < 0) ||
        store_report_items(c, &r, limit, offset, add_item, items, err) < 0)
        goto out;
    rc = 0;
out:
    store_put(req->app->pool, c);
    if (rc != 0) {
        json_decref(total);
        json_decref(days);
        json_decref(models);
        json_decref(keys);
        json_decref(items);
        return -1;
    }
    return portal_reply(req, 200,
                        json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:i}", "from",
                                  from, "to", to, "totals", total ? total : json_object(),
                                  "by_day", days, "by_model", models, "by_key", keys,
                                  "items", items, "limit", limit, "offset", offset));
}

TG_HANDLER(client_usage)
{
    return portal_usage_report(req, 0, err);
}

static void add_topup(const struct topup_item *t, void *ctx)
{
    char usd[32];

    portal_micro_usd(t->amount_micro_usd, usd);
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s?, s:s}", "id",
                                         (json_int_t)t->id, "usd", usd, "quota",
                                         (json_int_t)t->quota, "source", t->source,
                                         "payment_id", t->payment_id, "payment_method",
                                         t->payment_method[0] ? t->payment_method : NULL,
                                         "created_at", t->created_at));
}

static void add_charge_day(const struct usage_agg *a, void *ctx)
{
    char usd[32];

    portal_usd(a->quota, usd);
    json_array_append_new(ctx, json_pack("{s:s, s:I, s:I, s:s}", "day", a->label,
                                         "requests", (json_int_t)a->requests, "quota",
                                         (json_int_t)a->quota, "usd", usd));
}

static json_t *billing_json(const struct user_row *u, const char *from, const char *to,
                            json_t *topups, int64_t t_count, int64_t t_micro,
                            int64_t t_quota, json_t *charges, json_t *total, int limit,
                            int offset)
{
    char bal[32], used[32], t_usd[32], c_usd[32];
    json_t *t_requests = json_object_get(total, "requests"),
           *t_charged = json_object_get(total, "quota");

    portal_usd(u->quota, bal);
    portal_usd(u->used_quota, used);
    portal_micro_usd(t_micro, t_usd);
    portal_usd(json_integer_value(t_charged), c_usd);
    return json_pack(
        "{s:I, s:s, s:I, s:s, s:i, s:s, s:s, s:{s:I, s:s, s:I, s:o, s:i, s:i}, "
        "s:{s:I, s:I, s:s, s:o}}",
        "quota", (json_int_t)u->quota, "balance_usd", bal, "used_quota",
        (json_int_t)u->used_quota, "used_usd", used, "quota_per_usd", QUOTA_PER_USD,
        "from", from, "to", to, "topups", "count", (json_int_t)t_count, "usd", t_usd,
        "quota", (json_int_t)t_quota, "items", topups, "limit", limit, "offset", offset,
        "charges", "requests", json_integer_value(t_requests), "quota",
        json_integer_value(t_charged), "usd", c_usd, "by_day", charges);
}

TG_HANDLER(client_billing)
{
    char from[11], to[11];
    struct report_range r = {.user_id = req->who.user_id};
    json_t *topups = json_array(), *charges = json_array(), *total = NULL, *out = NULL;
    int64_t t_count, t_micro, t_quota;
    struct store_conn *c = NULL;
    struct user_row u;
    int limit, offset;

    if (portal_range(req, from, to, err) != 0 ||
        portal_page(req, 50, 500, &limit, &offset, err) != 0)
        goto out;
    r.from = from;
    r.to = to;
    c = store_get(req->app->pool, err);
    if (!c || store_user_by_id(c, req->who.user_id, &u, err) != 1 ||
        store_report_topups(c, &r, limit, offset, add_topup, topups, err) < 0 ||
        store_report_topup_totals(c, &r, &t_count, &t_micro, &t_quota, err) != 0 ||
        store_report_usage(c, &r, REPORT_TOTAL, 1, add_total, &total, err) < 0 ||
        store_report_usage(c, &r, REPORT_BY_DAY, REPORT_GROUPS_MAX, add_charge_day,
                           charges, err) < 0) {
        err_set(err, TG_EINTERNAL, "cannot read billing");
        goto out;
    }
    out = billing_json(&u, from, to, topups, t_count, t_micro, t_quota, charges, total,
                       limit, offset);
    topups = charges = NULL; /* stolen by json_pack's "o" */
out:
    store_put(req->app->pool, c);
    json_decref(topups);
    json_decref(charges);
    json_decref(total);
    return out ? portal_reply(req, 200, out) : -1;
}
