/* external_money: the partner API's money: USD top-ups (idempotent per payment_id) and
 * per-user statistics over a day range. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/external.h"
#include "billing/topup.h"
#include "config/config.h"
#include "store/store.h"
#include "util/str.h"

#define STATS_MAX_DAYS   366
#define STATS_MAX_TOPUPS 100

/* ---- top-up ---- */

static const char *const topup_known[] = {"external_user_id", "amount_usd", "payment_id",
                                          "payment_method",   "note",       NULL};

/* An optional short string: absent, null or "" give NULL. */
static int opt_text(json_t *body, const char *field, size_t max, const char **out,
                    struct tg_err *err)
{
    json_t *v = json_object_get(body, field);
    const char *s;

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    s = json_string_value(v);
    if (!s || strlen(s) > max)
        return err_set_field(err, TG_EINVAL, field,
                             "%s must be a string of at most %zu bytes", field, max);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return err_set_field(err, TG_EINVAL, field, "%s has control characters",
                                 field);
    *out = *s ? s : NULL;
    return 0;
}

static int parse_topup(const struct tg_request *req, json_t *body, struct topup_req *tr,
                       const char **ext_id, struct tg_err *err)
{
    json_t *pid;

    memset(tr, 0, sizeof(*tr));
    if (ext_known_fields(body, topup_known, err) != 0 ||
        ext_body_id(body, ext_id, err) != 0)
        return -1;
    if (topup_amount_json(json_object_get(body, "amount_usd"), "amount_usd",
                          req->app->cfg->topup_max_usd, &tr->amount_micro, err) != 0)
        return -1;
    pid = json_object_get(body, "payment_id");
    if (!json_is_string(pid) || !topup_payment_id_ok(json_string_value(pid)))
        return err_set_field(err, TG_EINVAL, "payment_id",
                             "payment_id is required: 1 to %d printable ASCII characters "
                             "without spaces",
                             TOPUP_PAYMENT_ID_MAX);
    tr->payment_id = json_string_value(pid);
    if (opt_text(body, "payment_method", 64, &tr->payment_method, err) != 0 ||
        opt_text(body, "note", 255, &tr->note, err) != 0)
        return -1;
    tr->actor_partner_id = req->who.partner_id;
    tr->ip = req->client_ip;
    return 0;
}

static json_t *topup_json(const struct topup_result *r, const char *ext_id)
{
    char usd[32], bal[32];

    topup_format_usd(r->amount_micro, usd);
    topup_quota_usd(r->balance_after, bal);
    return json_pack(
        "{s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s}", "topup_id", (json_int_t)r->id,
        "external_user_id", ext_id, "user_id", (json_int_t)r->user_id, "payment_id",
        r->payment_id, "amount_usd", usd, "quota", (json_int_t)r->quota, "balance_after",
        (json_int_t)r->balance_after, "balance_usd", bal, "created_at", r->created_at);
}

TG_HANDLER(ext_topup)
{
    json_t *body = request_json(req, err), *out = NULL;
    struct store_conn *c = NULL;
    struct topup_result res;
    struct topup_req tr;
    struct ext_user u;
    const char *ext_id;
    char source[48];
    int rc = -1;

    if (!body)
        return -1;
    if (parse_topup(req, body, &tr, &ext_id, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c || ext_user_load(c, req, ext_id, &u, err) != 0)
        goto out;
    tr.user_id = u.id;
    store_ext_user_clear(&u);
    ext_source(req, source);
    tr.source = source;
    if (topup_credit(req->app->pool, &c, &tr, &res, err) != 0)
        goto out;
    store_put(req->app->pool, c);
    c = NULL;
    out = topup_json(&res, ext_id);
    if (!out) {
        err_set(err, TG_EINTERNAL, "out of memory");
        goto out;
    }
    if (res.replayed)
        response_add_header(req, "Idempotent-Replayed: true");
    rc = ext_send(req, 200, out);
out:
    store_put(req->app->pool, c);
    json_decref(body);
    return rc;
}

/* ---- statistics ---- */

struct stats_ctx {
    json_t *list;
    int64_t requests, input, output, cache_read, cache_write, quota;
    const char *key_name; /* "date" or "model" */
    int total;            /* add rows to the totals */
};

static void add_usage(const struct ext_usage_row *r, void *arg)
{
    struct stats_ctx *s = arg;
    char usd[32];

    topup_quota_usd(r->quota, usd);
    json_array_append_new(
        s->list, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", s->key_name,
                           r->key, "requests", (json_int_t)r->requests, "input_tokens",
                           (json_int_t)r->input_tokens, "output_tokens",
                           (json_int_t)r->output_tokens, "cache_read_tokens",
                           (json_int_t)r->cache_read_tokens, "cache_write_tokens",
                           (json_int_t)r->cache_write_tokens, "quota",
                           (json_int_t)r->quota, "usd", usd));
    if (s->total) {
        s->requests += r->requests;
        s->input += r->input_tokens;
        s->output += r->output_tokens;
        s->cache_read += r->cache_read_tokens;
        s->cache_write += r->cache_write_tokens;
        s->quota += r->quota;
    }
}

struct topups_ctx {
    json_t *list;
    const char *own_source;
};

static void add_topup(const struct ext_topup_row *t, void *arg)
{
    struct topups_ctx *s = arg;
    int own = strcmp(t->source, s->own_source) == 0;
    char usd[32];

    topup_format_usd(t->amount_micro, usd);
    json_array_append_new(
        s->list,
        json_pack("{s:I, s:s, s:s?, s:s?, s:s, s:I, s:s}", "id", (json_int_t)t->id,
                  "source",
                  own                               ? "partner"
                  : strcmp(t->source, "admin") == 0 ? "admin"
                                                    : "other",
                  "payment_id", own ? t->payment_id : NULL, "payment_method",
                  own && t->payment_method[0] ? t->payment_method : NULL, "amount_usd",
                  usd, "quota", (json_int_t)t->quota, "created_at", t->created_at));
}

/* A "YYYY-MM-DD" query parameter (NULL when absent). Returns 0 or -1. */
static int date_param(const struct tg_request *req, const char *name, char out[16],
                      const char **val, struct tg_err *err)
{
    *val = NULL;
    if (!request_query(req, name, out, 16))
        return 0;
    if (strlen(out) != 10 || out[4] != '-' || out[7] != '-')
        return err_set_field(err, TG_EINVAL, name, "%s must be a date like 2025-01-31",
                             name);
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (out[i] < '0' || out[i] > '9'))
            return err_set_field(err, TG_EINVAL, name,
                                 "%s must be a date like 2025-01-31", name);
    *val = out;
    return 0;
}

static int stats_range(const struct tg_request *req, struct store_conn *c, char from[11],
                       char to[11], struct tg_err *err)
{
    char fbuf[16], tbuf[16];
    const char *f, *t;
    int64_t days = 0;
    int rc;

    if (date_param(req, "from", fbuf, &f, err) != 0 ||
        date_param(req, "to", tbuf, &t, err) != 0)
        return -1;
    rc = store_ext_range(c, f, t, from, to, &days, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return err_set_field(err, TG_EINVAL, f ? "from" : "to", "not a calendar date");
    if (days < 0)
        return err_set_field(err, TG_EINVAL, "from", "from is after to");
    if (days >= STATS_MAX_DAYS)
        return err_set_field(err, TG_EINVAL, "from", "the range is over %d days",
                             STATS_MAX_DAYS);
    return 0;
}

static json_t *topups_json(struct store_conn *c, const struct tg_request *req,
                           int64_t user_id, const char *from, const char *to,
                           struct tg_err *err)
{
    char source[48], usd[32];
    struct topups_ctx tc;
    int64_t count = 0, micro = 0, quota = 0;

    ext_source(req, source);
    tc.own_source = source;
    tc.list = json_array();
    if (!tc.list ||
        store_ext_topups(c, user_id, from, to, STATS_MAX_TOPUPS, add_topup, &tc, err) <
            0 ||
        store_ext_topup_totals(c, user_id, from, to, &count, &micro, &quota, err) != 0) {
        json_decref(tc.list);
        return NULL;
    }
    topup_format_usd(micro, usd);
    return json_pack("{s:I, s:s, s:I, s:o}", "count", (json_int_t)count, "amount_usd",
                     usd, "quota", (json_int_t)quota, "items", tc.list);
}

static json_t *build_stats(struct store_conn *c, const struct tg_request *req,
                           const struct ext_user *u, const char *from, const char *to,
                           struct tg_err *err)
{
    struct stats_ctx day = {0}, model = {0};
    json_t *topups;
    char usd[32];

    day.list = json_array();
    day.key_name = "date";
    day.total = 1;
    model.list = json_array();
    model.key_name = "model";
    if (!day.list || !model.list ||
        store_ext_usage(c, u->id, from, to, EXT_BY_DAY, add_usage, &day, err) < 0 ||
        store_ext_usage(c, u->id, from, to, EXT_BY_MODEL, add_usage, &model, err) < 0 ||
        !(topups = topups_json(c, req, u->id, from, to, err))) {
        json_decref(day.list);
        json_decref(model.list);
        return NULL;
    }
    topup_quota_usd(day.quota, usd);
    return json_pack(
        "{s:s, s:I, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:s}, s:o, s:o, "
        "s:o}",
        "external_user_id", u->external_user_id, "user_id", (json_int_t)u->id, "from",
        from, "to", to, "totals", "requests", (json_int_t)day.requests, "input_tokens",
        (json_int_t)day.input, "output_tokens", (json_int_t)day.output,
        "cache_read_tokens", (json_int_t)day.cache_read, "cache_write_tokens",
        (json_int_t)day.cache_write, "quota", (json_int_t)day.quota, "usd", usd, "by_day",
        day.list, "by_model", model.list, "topups", topups);
}

TG_HANDLER(ext_stats)
{
    char ext_id[512], from[11], to[11];
    struct store_conn *c;
    struct ext_user u;
    json_t *out = NULL;
    int rc;

    if (ext_path_id(req, ext_id, sizeof(ext_id), err) != 0)
        return -1;
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    rc = ext_user_load(c, req, ext_id, &u, err);
    if (rc == 0) {
        if (stats_range(req, c, from, to, err) == 0)
            out = build_stats(c, req, &u, from, to, err);
        store_ext_user_clear(&u);
    }
    store_put(req->app->pool, c);
    if (!out)
        return err_set(err, TG_EINTERNAL, "out of memory");
    return ext_send(req, 200, out);
}
