/* external: the partner API's users: sync (create or update by external_user_id) and
 * the profile read, plus the helpers every partner handler shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/external.h"
#include "auth/crypto.h"
#include "billing/topup.h"
#include "store/store.h"
#include "util/log.h"
#include "util/str.h"

#define EXT_DATA_MAX 16384 /* bytes of external_data as compact JSON */

/* ---- shared helpers ---- */

int ext_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0, chars = 0;
    int blank = 1;

    if (n == 0 || !str_valid_utf8(s, n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7f)
            return 0;
        if (b != ' ')
            blank = 0;
        if ((b & 0xc0) != 0x80)
            chars++;
    }
    return !blank && chars <= EXT_ID_MAX_CHARS;
}

int ext_body_id(json_t *body, const char **out, struct tg_err *err)
{
    json_t *v = json_object_get(body, "external_user_id");

    if (!v || json_is_null(v))
        return err_set_field(err, TG_EINVAL, "external_user_id",
                             "external_user_id is required");
    if (!json_is_string(v) || !ext_id_ok(json_string_value(v)))
        return err_set_field(err, TG_EINVAL, "external_user_id",
                             "external_user_id must be a non-empty string of at most %d "
                             "characters without control characters",
                             EXT_ID_MAX_CHARS);
    *out = json_string_value(v);
    return 0;
}

int ext_path_id(const struct tg_request *req, char *out, size_t cap, struct tg_err *err)
{
    const char *p = request_path_param(req, 0);

    /* A bad escape or a %00 (which would cut the id short) fails like a bad id. */
    if (!p || str_pct_decode(p, out, cap) != 0 || !ext_id_ok(out))
        return err_set_field(
            err, TG_EINVAL, "external_user_id",
            "external_user_id must be 1 to %d characters without control "
            "characters (percent-encoded in the path)",
            EXT_ID_MAX_CHARS);
    return 0;
}

int ext_known_fields(json_t *body, const char *const *known, struct tg_err *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(body, key, v)
    {
        int found = 0;
        for (int i = 0; known[i] && !found; i++)
            found = strcmp(known[i], key) == 0;
        if (!found)
            return err_set_field(err, TG_EINVAL, "body", "unknown field '%.60s'", key);
    }
    return 0;
}

int ext_user_load(struct store_conn *c, const struct tg_request *req, const char *ext_id,
                  struct ext_user *u, struct tg_err *err)
{
    int rc = store_ext_user_get(c, req->who.partner_id, ext_id, u, err);

    if (rc < 0)
        return -1;
    if (rc == 1 && strcmp(u->field[EXT_STATUS], "deleted") != 0)
        return 0;
    if (rc == 1)
        store_ext_user_clear(u);
    return err_set(err, TG_ENOTFOUND, "external user not found");
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *ext_user_json(const struct ext_user *u)
{
    char qusd[32], uusd[32];
    json_t *data = NULL;
    const char *lt = u->field[EXT_LOGIN_TYPE];

    if (u->external_data)
        data = json_loads(u->external_data, JSON_DECODE_ANY, NULL);
    topup_quota_usd(u->quota, qusd);
    topup_quota_usd(u->used_quota, uusd);
    return json_pack(
        "{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:I, s:s, s:I, s:s, "
        "s:I, "
        "s:s, s:s, s:o}",
        "user_id", (json_int_t)u->id, "external_user_id", u->external_user_id, "username",
        str_or_null(u->field[EXT_DISPLAY_NAME]), "email", str_or_null(u->email), "phone",
        str_or_null(u->field[EXT_PHONE]), "wechat_openid",
        str_or_null(u->field[EXT_WECHAT_OPENID]), "wechat_unionid",
        str_or_null(u->field[EXT_WECHAT_UNIONID]), "alipay_userid",
        str_or_null(u->field[EXT_ALIPAY_USERID]), "login_type",
        str_or_null(strcmp(lt, "password") == 0 ? NULL : lt), "external_data",
        data ? data : json_null(), "status", u->field[EXT_STATUS], "quota",
        (json_int_t)u->quota, "quota_usd", qusd, "used_quota", (json_int_t)u->used_quota,
        "used_usd", uusd, "request_count", (json_int_t)u->request_count, "created_at",
        u->created_at, "updated_at", u->updated_at, "last_used_at",
        str_or_null(u->last_used_at));
}

void ext_source(const struct tg_request *req, char out[48])
{
    snprintf(out, 48, "partner:%lld", (long long)req->who.partner_id);
}

int ext_send(struct tg_request *req, int status, json_t *out)
{
    int rc;

    if (!out)
        return -1;
    response_add_header(req, "Cache-Control: no-store");
    rc = response_send_json(req, status, out);
    json_decref(out);
    return rc;
}

/* ---- sync ---- */

static int ok_any(const char *s)
{
    (void)s;
    return 1;
}

static int ok_email(const char *s)
{
    const char *at = strchr(s, '@');

    return at && at != s && at[1] && !strchr(at + 1, '@') && !strchr(s, ' ');
}

static int ok_phone(const char *s)
{
    for (; *s; s++)
        if (!strchr("0123456789+-() ", *s))
            return 0;
    return 1;
}

static int ok_login_type(const char *s)
{
    return !strcmp(s, "wechat") || !strcmp(s, "alipay") || !strcmp(s, "sms") ||
           !strcmp(s, "email");
}

static int ok_status(const char *s)
{
    return !strcmp(s, "active") || !strcmp(s, "suspended");
}

/* clang-format off */
static const struct sync_field {
    const char *name;
    enum ext_field_id id;
    size_t max_chars;
    int (*ok)(const char *);
    const char *what;
} sync_fields[] = {
    {"username",       EXT_DISPLAY_NAME,   128, ok_any,        "a string"},
    {"email",          EXT_EMAIL,          254, ok_email,      "an e-mail address"},
    {"phone",          EXT_PHONE,           32, ok_phone,      "digits, spaces, + - ( )"},
    {"wechat_openid",  EXT_WECHAT_OPENID,  128, ok_any,        "a string"},
    {"wechat_unionid", EXT_WECHAT_UNIONID, 128, ok_any,        "a string"},
    {"alipay_userid",  EXT_ALIPAY_USERID,  128, ok_any,        "a string"},
    {"login_type",     EXT_LOGIN_TYPE,       8, ok_login_type, "wechat|alipay|sms|email"},
    {"status",         EXT_STATUS,          10, ok_status,     "active or suspended"},
};
/* clang-format on */

/* clang-format off */
static const char *const sync_known[] = {
    "external_user_id", "username", "email", "phone", "wechat_openid", "wechat_unionid",
    "alipay_userid", "login_type", "external_data", "status", NULL};
/* clang-format on */

/* 1 if s has no control characters and at most max characters. */
static int text_ok(const char *s, size_t max)
{
    size_t chars = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
        chars += (*p & 0xc0) != 0x80;
    }
    return chars <= max;
}

/* One optional string field: absent = unchanged; null or "" = cleared (NULL). */
static int parse_field(json_t *body, const struct sync_field *sf, struct ext_fields *f,
                       struct tg_err *err)
{
    json_t *v = json_object_get(body, sf->name);
    const char *s;

    if (!v)
        return 0;
    s = json_is_string(v) ? json_string_value(v) : NULL;
    if (json_is_null(v) || (s && !*s)) {
        if (sf->id == EXT_STATUS)
            return err_set_field(err, TG_EINVAL, sf->name, "status must be %s", sf->what);
        f->f[sf->id].set = 1;
        return 0;
    }
    if (!s || !text_ok(s, sf->max_chars) || !sf->ok(s))
        return err_set_field(err, TG_EINVAL, sf->name,
                             "%s must be %s of at most %zu characters", sf->name,
                             sf->what, sf->max_chars);
    f->f[sf->id].set = 1;
    f->f[sf->id].value = s;
    return 0;
}

/* external_data: a JSON object stored as compact text (*text owned by the caller). */
static int parse_data(json_t *body, struct ext_fields *f, char **text, struct tg_err *err)
{
    json_t *v = json_object_get(body, "external_data");

    if (!v)
        return 0;
    f->f[EXT_DATA].set = 1;
    if (json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return err_set_field(err, TG_EINVAL, "external_data",
                             "external_data must be a JSON object");
    *text = json_dumps(v, JSON_COMPACT);
    if (!*text)
        return err_set(err, TG_EINTERNAL, "out of memory");
    if (strlen(*text) > EXT_DATA_MAX)
        return err_set_field(err, TG_EINVAL, "external_data",
                             "external_data is over %d bytes as compact JSON",
                             EXT_DATA_MAX);
    f->f[EXT_DATA].value = *text;
    return 0;
}

static int parse_sync(json_t *body, struct ext_fields *f, char **data, struct tg_err *err)
{
    memset(f, 0, sizeof(*f));
    if (ext_known_fields(body, sync_known, err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(sync_fields) / sizeof(sync_fields[0]); i++)
        if (parse_field(body, &sync_fields[i], f, err) != 0)
            return -1;
    return parse_data(body, f, data, err);
}

/* Insert a new user; a concurrent sync of the same id may win the race, in which case
 * this returns 0 and the caller reads that user. Returns 1 created, 0 exists, -1 error.
 */
static int create_user(struct tg_request *req, struct store_conn *c, const char *ext_id,
                       const struct ext_fields *f, struct tg_err *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        struct tg_err e = {0};
        unsigned char rnd[8];
        char name[24], detail[64];
        int64_t id;

        if (crypto_random(rnd, sizeof(rnd)) != 0)
            return err_set(err, TG_EINTERNAL, "no randomness");
        memcpy(name, "ext_", 4);
        str_hex(rnd, sizeof(rnd), name + 4);
        id = store_ext_user_insert(c, req->who.partner_id, ext_id, name, f, &e);
        if (id > 0) {
            snprintf(detail, sizeof(detail), "{\"created\":true}");
            store_ext_audit(c, req->who.partner_id, "external.create", id, detail,
                            req->client_ip, err);
            return err->code ? -1 : 1;
        }
        if (e.code != TG_ECONFLICT)
            return err_set(err, e.code, "%s", e.msg);
        /* The external id exists now (a concurrent sync), or, far less likely, the
         * random login name was taken: the caller's re-read tells which. */
        struct ext_user u;
        int rc = store_ext_user_get(c, req->who.partner_id, ext_id, &u, err);
        if (rc < 0)
            return -1;
        store_ext_user_clear(&u);
        if (rc == 1)
            return 0;
    }
    return err_set(err, TG_EUNAVAIL, "could not create the user; retry");
}

/* Apply the set fields to an existing user; audit a status change. */
static int update_user(struct tg_request *req, struct store_conn *c,
                       const struct ext_user *u, const struct ext_fields *f,
                       struct tg_err *err)
{
    const char *to = f->f[EXT_STATUS].value;
    char detail[96];
    int any = 0;

    if (strcmp(u->field[EXT_STATUS], "deleted") == 0)
        return err_set_field(err, TG_ECONFLICT, "external_user_id",
                             "this external user was deleted");
    for (int i = 0; i < EXT_NFIELDS; i++)
        any |= f->f[i].set;
    if (!any)
        return 0;
    if (store_ext_user_update(c, u->id, f, err) < 0)
        return -1;
    if (to && strcmp(to, u->field[EXT_STATUS]) != 0) {
        snprintf(detail, sizeof(detail), "{\"from\":\"%.12s\",\"to\":\"%.12s\"}",
                 u->field[EXT_STATUS], to);
        return store_ext_audit(c, req->who.partner_id, "external.status", u->id, detail,
                               req->client_ip, err);
    }
    return 0;
}

static int do_sync(struct tg_request *req, struct store_conn *c, const char *ext_id,
                   const struct ext_fields *f, json_t **out, struct tg_err *err)
{
    struct ext_user u;
    int rc, created = 0;

    rc = store_ext_user_get(c, req->who.partner_id, ext_id, &u, err);
    if (rc == 0) {
        created = create_user(req, c, ext_id, f, err);
        if (created < 0)
            return -1;
        rc = store_ext_user_get(c, req->who.partner_id, ext_id, &u, err);
        if (rc == 1 && !created && update_user(req, c, &u, f, err) != 0) {
            store_ext_user_clear(&u);
            return -1;
        }
    } else if (rc == 1) {
        if (update_user(req, c, &u, f, err) != 0) {
            store_ext_user_clear(&u);
            return -1;
        }
    }
    if (rc < 0)
        return -1;
    if (rc == 0)
        return err_set(err, TG_EUNAVAIL, "user not visible yet; retry");
    store_ext_user_clear(&u);
    if (store_ext_user_get(c, req->who.partner_id, ext_id, &u, err) != 1)
        return err_set(err, TG_EINTERNAL, "user vanished");
    *out = ext_user_json(&u);
    store_ext_user_clear(&u);
    if (!*out)
        return err_set(err, TG_EINTERNAL, "out of memory");
    json_object_set_new(*out, "created", json_boolean(created == 1));
    return 0;
}

TG_HANDLER(ext_sync)
{
    json_t *body = request_json(req, err), *out = NULL;
    struct ext_fields f;
    struct store_conn *c;
    const char *ext_id;
    char *data = NULL;
    int rc = -1;

    if (!body)
        return -1;
    if (parse_sync(body, &f, &data, err) != 0 || ext_body_id(body, &ext_id, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    rc = do_sync(req, c, ext_id, &f, &out, err);
    store_put(req->app->pool, c);
    if (rc == 0)
        rc = ext_send(req, 200, out);
out:
    free(data);
    json_decref(body);
    return rc;
}

/* ---- profile ---- */

TG_HANDLER(ext_info)
{
    char ext_id[512];
    struct store_conn *c;
    struct ext_user u;
    int rc;

    if (ext_path_id(req, ext_id, sizeof(ext_id), err) != 0)
        return -1;
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    rc = ext_user_load(c, req, ext_id, &u, err);
    store_put(req->app->pool, c);
    if (rc != 0)
        return -1;
    json_t *out = ext_user_json(&u);
    store_ext_user_clear(&u);
    if (!out)
        return err_set(err, TG_EINTERNAL, "out of memory");
    return ext_send(req, 200, out);
}
