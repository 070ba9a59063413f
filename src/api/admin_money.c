/* admin_money: administrators' API keys, quota adjustments and usage logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/admin_common.h"
#include "api/api.h"
#include "api/keys_common.h"
#include "auth/crypto.h"
#include "store/admin.h"
#include "store/keys.h"
#include "store/users.h"
#include "util/str.h"

#define QUOTA_DELTA_MAX ((int64_t)1 << 50)
#define LOGS_LIMIT_MAX  500

static void add_key(const struct key_row *k, void *ctx)
{
    json_array_append_new(ctx, keys_json(k));
}

/* limit (1..max, default 50) and offset (>= 0) of a list. Returns 0 or -1. */
static int paging(const struct tg_request *req, int max, int *limit, int *offset,
                  struct tg_err *err)
{
    int64_t l = 50, o = 0;

    if (admin_query_i64(req, "limit", 1, max, &l, err) < 0 ||
        admin_query_i64(req, "offset", 0, 10000000, &o, err) < 0)
        return -1;
    *limit = (int)l;
    *offset = (int)o;
    return 0;
}

TG_HANDLER(admin_keys_list)
{
    json_t *items = json_array();
    struct store_conn *c = NULL;
    int64_t uid = 0;
    int limit, offset, rc = -1;

    if (paging(req, 500, &limit, &offset, err) != 0 ||
        admin_query_i64(req, "user_id", 1, INT64_MAX, &uid, err) < 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c || store_key_list(c, uid, limit, offset, add_key, items, err) < 0)
        goto out;
    rc = admin_send(
        req, 200,
        json_pack("{s:O, s:i, s:i}", "data", items, "limit", limit, "offset", offset));
out:
    store_put(req->app->pool, c);
    json_decref(items);
    return rc;
}

/* user_id of a key-create body: a positive integer naming a user that is not deleted. */
static int key_owner(struct store_conn *c, json_t *body, int64_t *uid, struct tg_err *err)
{
    json_t *v = json_object_get(body, "user_id");
    struct user_row *u;
    int rc;

    if (!v)
        return err_set_field(err, TG_EINVAL, "user_id", "user_id is required");
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return err_set_field(err, TG_EINVAL, "user_id", "user_id must be a user's id");
    *uid = json_integer_value(v);
    u = malloc(sizeof(*u));
    if (!u)
        return err_set(err, TG_EINTERNAL, "out of memory");
    rc = store_user_by_id(c, *uid, u, err);
    if (rc == 1 && !strcmp(u->status, "deleted"))
        rc = 0;
    free(u);
    if (rc == 0)
        return err_set_field(err, TG_EINVAL, "user_id", "no such user");
    return rc < 0 ? -1 : 0;
}

static int key_created(struct tg_request *req, struct store_conn *c, int64_t id,
                       const char *secret, struct tg_err *err)
{
    struct key_row k;
    json_t *out;

    if (store_key_get(c, id, 0, &k, err) != 1)
        return err_set(err, TG_EINTERNAL, "key vanished");
    if (admin_audit(
            req, c, "key.create", "api_key", id,
            json_pack("{s:I, s:s}", "user_id", (json_int_t)k.user_id, "name", k.name),
            err) != 0)
        return -1;
    out = keys_json(&k);
    /* The secret is shown this once. */
    if (out)
        json_object_set_new(out, "key", json_string(secret));
    response_add_header(req, "Cache-Control: no-store");
    return admin_send(req, 201, out);
}

TG_HANDLER(admin_key_create)
{
    json_t *body = request_json(req, err), *spec = NULL;
    char bufs[3][2048], secret[APIKEY_LEN + 1] = "";
    struct store_conn *c = NULL;
    struct key_new k;
    int64_t uid = 0, id;
    int rc = -1;

    memset(&k, 0, sizeof(k));
    if (!body)
        return -1;
    /* keys_parse_spec knows the key's own fields; user_id is ours. */
    spec = json_copy(body);
    if (!spec) {
        err_set(err, TG_EINTERNAL, "out of memory");
        goto out;
    }
    if (json_object_del(spec, "user_id") != 0) {
        err_set_field(err, TG_EINVAL, "user_id", "user_id is required");
        goto out;
    }
    if (keys_parse_spec(spec, 1, &k, bufs, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c || key_owner(c, body, &uid, err) != 0)
        goto out;
    k.user_id = uid;
    id = keys_mint(c, &k, secret, err);
    if (id > 0)
        rc = key_created(req, c, id, secret, err);
out:
    crypto_wipe(secret, sizeof(secret));
    store_put(req->app->pool, c);
    json_decref(spec);
    json_decref(body);
    return rc;
}

TG_HANDLER(admin_key_revoke)
{
    struct store_conn *c = NULL;
    struct key_row k;
    int64_t id, n;
    int rc = -1, found;

    if (admin_path_id(req, 0, "key", &id, err) != 0)
        return -1;
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    n = store_key_set_status(c, id, 0, "revoked", err);
    found = n < 0 ? -1 : store_key_get(c, id, 0, &k, err);
    if (found == 0)
        err_set(err, TG_ENOTFOUND, "no such key");
    if (found == 1 &&
        (n == 0 ||
         admin_audit(req, c, "key.revoke", "api_key", id,
                     json_pack("{s:I}", "user_id", (json_int_t)k.user_id), err) == 0))
        rc = admin_send(req, 200, keys_json(&k));
    store_put(req->app->pool, c);
    return rc;
}

/* {"delta": integer, "reason": string} */
static int parse_adjust(json_t *body, struct quota_adjust *a, struct tg_err *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "delta") != 0 && strcmp(key, "reason") != 0)
            return err_set_field(err, TG_EINVAL, "body", "unknown field '%.40s'", key);
    }
    v = json_object_get(body, "delta");
    if (!v)
        return err_set_field(err, TG_EINVAL, "delta", "delta is required");
    if (!json_is_integer(v) || json_integer_value(v) == 0 ||
        json_integer_value(v) > QUOTA_DELTA_MAX ||
        json_integer_value(v) < -QUOTA_DELTA_MAX)
        return err_set_field(err, TG_EINVAL, "delta",
                             "delta must be a non-zero whole number of quota units "
                             "(at most 2^50 either way)");
    a->delta = json_integer_value(v);
    v = json_object_get(body, "reason");
    if (v && !json_is_null(v) &&
        (!json_is_string(v) || strlen(json_string_value(v)) > 255))
        return err_set_field(err, TG_EINVAL, "reason",
                             "reason must be a string of at most 255 bytes");
    a->reason = v ? json_string_value(v) : NULL;
    return 0;
}

TG_HANDLER(admin_user_quota)
{
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    struct quota_adjust a;
    int64_t after = 0;
    int rc = -1, done;

    memset(&a, 0, sizeof(a));
    if (!body || admin_path_id(req, 0, "user", &a.user_id, err) != 0 ||
        parse_adjust(body, &a, err) != 0)
        goto out;
    a.actor_user_id = req->who.user_id;
    a.ip = req->client_ip;
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    done = store_quota_adjust(c, &a, &after, err);
    if (done == 0)
        err_set(err, TG_ENOTFOUND, "no such user");
    else if (done == 2)
        err_set_field(err, TG_ECONFLICT, "delta",
                      "delta would take the balance below zero (balance %lld)",
                      (long long)after);
    else if (done == 1)
        rc = admin_send(req, 200,
                        json_pack("{s:I, s:I, s:I}", "user_id", (json_int_t)a.user_id,
                                  "delta", (json_int_t)a.delta, "quota",
                                  (json_int_t)after));
out:
    store_put(req->app->pool, c);
    json_decref(body);
    return rc;
}

/* An ISO date ("2024-05-01") or UTC time ("2024-05-01T12:00:00", optional "Z") as a MySQL
 * datetime; a date given as an end (end = 1) means the end of that day. Returns 0 or -1.
 */
static int iso_to_sql(const char *s, int end, char out[24])
{
    struct tm tm, back;
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    size_t n = strlen(s);
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if (n == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
            return -1;
    } else if (n == 19 || (n == 20 && s[19] == 'Z')) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) !=
                6 ||
            used != 19)
            return -1;
    } else {
        return -1;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    /* timegm normalises 2024-02-31 into March: refuse anything that moved. */
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d ||
        back.tm_mon != mo - 1 || back.tm_hour != h || back.tm_min != mi || y < 1970)
        return -1;
    if (end && n == 10)
        t += 86400;
    gmtime_r(&t, &back);
    strftime(out, 24, "%Y-%m-%d %H:%M:%S", &back);
    return 0;
}

static void add_log(const struct log_row *l, void *ctx)
{
    json_array_append_new(
        ctx,
        json_pack("{s:I, s:s, s:I, s:o, s:o, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
                  "s:i, s:i, s:b, s:i, s:b, s:s?, s:s?, s:s}",
                  "id", (json_int_t)l->id, "request_id", l->request_id, "user_id",
                  (json_int_t)l->user_id, "key_id",
                  l->key_id ? json_integer(l->key_id) : json_null(), "channel_id",
                  l->channel_id ? json_integer(l->channel_id) : json_null(), "service",
                  l->service, "model", l->model, "endpoint", l->endpoint, "input_tokens",
                  (json_int_t)l->input, "output_tokens", (json_int_t)l->output,
                  "cache_read_tokens", (json_int_t)l->cache_read, "cache_write_tokens",
                  (json_int_t)l->cache_write, "quota", (json_int_t)l->quota,
                  "duration_ms", l->duration_ms, "ttfb_ms", l->ttfb_ms, "stream",
                  l->is_stream, "status", l->status, "estimated", l->estimated,
                  "error_class", l->error_class[0] ? l->error_class : NULL, "client_ip",
                  l->client_ip[0] ? l->client_ip : NULL, "created_at", l->created_at));
}

/* The filters of GET /api/admin/logs. from and to point into the caller's buffers. */
static int log_filters(const struct tg_request *req, struct log_filter *f, char *model,
                       char from[24], char to[24], struct tg_err *err)
{
    int64_t v = 0;
    char text[40];

    memset(f, 0, sizeof(*f));
    if (admin_query_i64(req, "user_id", 1, INT64_MAX, &f->user_id, err) < 0 ||
        admin_query_i64(req, "key_id", 1, INT64_MAX, &f->key_id, err) < 0 ||
        admin_query_i64(req, "channel_id", 1, INT64_MAX, &f->channel_id, err) < 0 ||
        admin_query_i64(req, "status", 100, 599, &v, err) < 0 ||
        paging(req, LOGS_LIMIT_MAX, &f->limit, &f->offset, err) != 0)
        return -1;
    f->status = (int)v;
    if (request_query(req, "model", model, 130)) {
        if (strlen(model) > 128)
            return err_set_field(err, TG_EINVAL, "model", "model is too long");
        f->model = model;
    }
    if (request_query(req, "from", text, sizeof(text))) {
        if (iso_to_sql(text, 0, from) != 0)
            return err_set_field(err, TG_EINVAL, "from",
                                 "from must be YYYY-MM-DD or "
                                 "YYYY-MM-DDTHH:MM:SSZ (UTC)");
        f->from = from;
    }
    if (request_query(req, "to", text, sizeof(text))) {
        if (iso_to_sql(text, 1, to) != 0)
            return err_set_field(err, TG_EINVAL, "to",
                                 "to must be YYYY-MM-DD or "
                                 "YYYY-MM-DDTHH:MM:SSZ (UTC)");
        f->to = to;
    }
    return 0;
}

TG_HANDLER(admin_logs)
{
    char model[130] = "", from[24], to[24];
    json_t *items = json_array();
    struct store_conn *c = NULL;
    struct log_filter f;
    int rc = -1, n, more;

    if (log_filters(req, &f, model, from, to, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    f.limit++; /* one more row says whether a next page exists */
    n = store_logs_search(c, &f, add_log, items, err);
    f.limit--;
    if (n < 0)
        goto out;
    more = n > f.limit;
    if (more)
        json_array_remove(items, json_array_size(items) - 1);
    rc = admin_send(req, 200,
                    json_pack("{s:O, s:i, s:i, s:b}", "data", items, "limit", f.limit,
                              "offset", f.offset, "has_more", more));
out:
    store_put(req->app->pool, c);
    json_decref(items);
    return rc;
}
