/* portal_util: helpers of the portal handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/portal_util.h"
#include "billing/charge.h"
#include "util/str.h"

int portal_reply(struct tg_request *req, int status, json_t *obj)
{
    int rc = response_send_json(req, status, obj);

    json_decref(obj);
    return rc;
}

int portal_path_id(const struct tg_request *req, const char *what, int64_t *id,
                   struct tg_err *err)
{
    const char *s = request_path_param(req, 0);

    if (!s || str_to_i64(s, 1, INT64_MAX / 2, id) != 0)
        return err_set(err, TG_ENOTFOUND, "no such %s", what);
    return 0;
}

/* Names a client may try to set but never can, so the error can name them (err->field
 * must outlive the body). */
static const char *const known_names[] = {
    "role",          "plan",           "quota",    "used_quota",
    "request_count", "status",         "group",    "user_group",
    "email",         "email_verified", "id",       "user_id",
    "is_admin",      "is_external",    "password", "password_hash",
    "created_at",    "updated_at",     "key",      "key_hash",
    "prefix",        "quota_used",     "settings", "external_user_id",
    "partner_id",    "totp_enabled",   NULL,
};

int portal_only_fields(json_t *body, const char *const allowed[], struct tg_err *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(body, key, v)
    {
        const char *field = "body";
        int ok = 0;

        for (int i = 0; allowed[i] && !ok; i++)
            ok = strcmp(allowed[i], key) == 0;
        if (ok)
            continue;
        for (int i = 0; known_names[i]; i++)
            if (strcmp(known_names[i], key) == 0)
                field = known_names[i];
        return err_set_field(err, TG_EINVAL, field, "field '%.60s' is not accepted here",
                             key);
    }
    return 0;
}

int portal_str(json_t *body, const char *field, int required, size_t max_len,
               const char **out, struct tg_err *err)
{
    json_t *v = json_object_get(body, field);

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return err_set_field(err, TG_EINVAL, field, "%s is required", field);
        return 0;
    }
    if (!json_is_string(v))
        return err_set_field(err, TG_EINVAL, field, "%s must be a string", field);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return err_set_field(err, TG_EINVAL, field, "%s must not contain NUL", field);
    if (json_string_length(v) > max_len)
        return err_set_field(err, TG_EINVAL, field, "%s must be at most %zu bytes", field,
                             max_len);
    if (required && json_string_length(v) == 0)
        return err_set_field(err, TG_EINVAL, field, "%s must not be empty", field);
    *out = json_string_value(v);
    return 0;
}

/* Parse "YYYY-MM-DD" into days since the epoch. Returns 0 or -1. */
static int parse_day(const char *s, int64_t *days)
{
    struct tm tm = {0};
    char back[11];
    const char *end;
    time_t t;

    if (strlen(s) != 10)
        return -1;
    end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end)
        return -1;
    t = timegm(&tm);
    gmtime_r(&t, &tm);
    strftime(back, sizeof(back), "%Y-%m-%d", &tm);
    if (strcmp(back, s) != 0) /* 2024-02-30 normalises to March: refuse it */
        return -1;
    *days = (int64_t)t / 86400;
    return 0;
}

static void format_day(int64_t days, char out[11])
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int portal_range(const struct tg_request *req, char from[11], char to[11],
                 struct tg_err *err)
{
    char f[32] = "", t[32] = "";
    int64_t today = (int64_t)time(NULL) / 86400, d_from, d_to = today;

    if (request_query(req, "to", t, sizeof(t)) && parse_day(t, &d_to) != 0)
        return err_set_field(err, TG_EINVAL, "to", "to must be a date YYYY-MM-DD");
    d_from = d_to - 29;
    if (request_query(req, "from", f, sizeof(f)) && parse_day(f, &d_from) != 0)
        return err_set_field(err, TG_EINVAL, "from", "from must be a date YYYY-MM-DD");
    if (d_from > d_to)
        return err_set_field(err, TG_EINVAL, "from", "from must not be after to");
    if (d_to - d_from > 365)
        return err_set_field(err, TG_EINVAL, "from", "a range spans at most 366 days");
    format_day(d_from, from);
    format_day(d_to, to);
    return 0;
}

static int query_int(const struct tg_request *req, const char *name, int64_t min,
                     int64_t max, int *out, struct tg_err *err)
{
    char v[32];
    int64_t n;

    if (!request_query(req, name, v, sizeof(v)))
        return 0;
    if (str_to_i64(v, min, max, &n) != 0)
        return err_set_field(err, TG_EINVAL, name,
                             "%s must be a whole number from %lld to %lld", name,
                             (long long)min, (long long)max);
    *out = (int)n;
    return 0;
}

int portal_page(const struct tg_request *req, int def, int max, int *limit, int *offset,
                struct tg_err *err)
{
    *limit = def;
    *offset = 0;
    if (query_int(req, "limit", 1, max, limit, err) != 0)
        return -1;
    return query_int(req, "offset", 0, 1000000, offset, err);
}

void portal_micro_usd(int64_t micro, char out[32])
{
    uint64_t m = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;

    snprintf(out, 32, "%s%llu.%06llu", micro < 0 ? "-" : "",
             (unsigned long long)(m / 1000000), (unsigned long long)(m % 1000000));
}

void portal_usd(int64_t quota, char out[32])
{
    /* 1,000,000 micro-USD / QUOTA_PER_USD quota = 2 micro-USD per quota unit. */
    int64_t per = 1000000 / QUOTA_PER_USD;

    if (quota > INT64_MAX / per)
        quota = INT64_MAX / per;
    if (quota < -(INT64_MAX / per))
        quota = -(INT64_MAX / per);
    portal_micro_usd(quota * per, out);
}
