/* keys_common: shared API key logic (mint, regenerate, validate, show). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "api/chanspec.h"
#include "api/keys_common.h"
#include "auth/crypto.h"
#include "util/str.h"

static int join_list(json_t *v, const char *field, int (*ok)(const char *), char *out,
                     size_t cap, struct tg_err *err)
{
    size_t used = 0, i;
    json_t *x;

    out[0] = '\0';
    if (json_is_string(v)) {
        if (str_copy(out, cap, json_string_value(v)) != 0)
            return err_set_field(err, TG_EINVAL, field, "%s is too long", field);
        /* Check each comma-separated item. */
        char tmp[2048], *save = NULL;
        str_copy(tmp, sizeof(tmp), out);
        for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (!ok(t))
                return err_set_field(err, TG_EINVAL, field, "%s: '%.60s' is not allowed",
                                     field, t);
        return 0;
    }
    if (!json_is_array(v))
        return err_set_field(err, TG_EINVAL, field, "%s must be an array of strings",
                             field);
    json_array_foreach(v, i, x)
    {
        const char *s = json_string_value(x);
        size_t n = s ? strlen(s) : 0;

        if (!s || n == 0 || strchr(s, ',') || !ok(s))
            return err_set_field(err, TG_EINVAL, field, "%s[%zu] is not allowed", field,
                                 i);
        if (used + n + 2 > cap)
            return err_set_field(err, TG_EINVAL, field, "%s is too long", field);
        if (used)
            out[used++] = ',';
        memcpy(out + used, s, n + 1);
        used += n;
    }
    return 0;
}

static int ok_service(const char *s)
{
    return !strcmp(s, "claude") || !strcmp(s, "codex") || !strcmp(s, "openai");
}

static int ok_model(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 128)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == ',')
            return 0;
    return 1;
}

static int ok_cidr(const char *s)
{
    char host[64];
    const char *slash = strchr(s, '/');
    unsigned char addr[16];
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    int64_t bits = -1;
    int v6;

    if (n == 0 || n >= sizeof(host))
        return 0;
    memcpy(host, s, n);
    host[n] = '\0';
    v6 = strchr(host, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
        return 0;
    if (slash && str_to_i64(slash + 1, 0, v6 ? 128 : 32, &bits) != 0)
        return 0;
    return 1;
}

static int get_int(json_t *spec, const char *field, int64_t min, int64_t max,
                   int64_t *out, struct tg_err *err)
{
    json_t *v = json_object_get(spec, field);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return err_set_field(err, TG_EINVAL, field,
                             "%s must be a whole number from %lld to "
                             "%lld",
                             field, (long long)min, (long long)max);
    *out = json_integer_value(v);
    return 0;
}

static int get_str(json_t *spec, const char *field, size_t maxlen, const char **out,
                   struct tg_err *err)
{
    json_t *v = json_object_get(spec, field);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) > maxlen)
        return err_set_field(err, TG_EINVAL, field,
                             "%s must be a string of at most %zu "
                             "characters",
                             field, maxlen);
    *out = json_string_value(v);
    return 0;
}

int keys_parse_spec(json_t *spec, int strict, struct key_new *k, char bufs[3][2048],
                    struct tg_err *err)
{
    static const char *const known[] = {
        "name", "description", "services",        "models",      "ip_allow",        "rpm",
        "rpd",  "tpm",         "max_concurrency", "quota_limit", "expires_in_days", NULL};
    int64_t rpm = 0, rpd = 0, tpm = 0, conc = 0, cap = -1, days = 365;
    const char *key;
    json_t *v;

    if (!json_is_object(spec))
        return err_set(err, TG_EINVAL, "expected a JSON object");
    if (strict) {
        json_object_foreach(spec, key, v)
        {
            int found = 0;
            for (int i = 0; known[i]; i++)
                found |= !strcmp(known[i], key);
            if (!found)
                return err_set_field(err, TG_EINVAL, "body", "unknown field '%.40s'",
                                     key);
        }
    }
    if (get_str(spec, "name", 128, &k->name, err) ||
        get_str(spec, "description", 512, &k->description, err) ||
        get_int(spec, "rpm", 0, 1000000, &rpm, err) ||
        get_int(spec, "rpd", 0, 100000000, &rpd, err) ||
        get_int(spec, "tpm", 0, 2000000000, &tpm, err) ||
        get_int(spec, "max_concurrency", 0, 100000, &conc, err) ||
        get_int(spec, "quota_limit", 0, INT64_MAX / 4, &cap, err) ||
        get_int(spec, "expires_in_days", 1, 3650, &days, err))
        return -1;
    if ((v = json_object_get(spec, "services")) && !json_is_null(v)) {
        if (join_list(v, "services", ok_service, bufs[0], 2048, err))
            return -1;
        k->services = bufs[0];
    }
    if ((v = json_object_get(spec, "models")) && !json_is_null(v)) {
        if (join_list(v, "models", ok_model, bufs[1], 2048, err))
            return -1;
        k->models = bufs[1][0] ? bufs[1] : NULL;
    }
    if ((v = json_object_get(spec, "ip_allow")) && !json_is_null(v)) {
        if (join_list(v, "ip_allow", ok_cidr, bufs[2], 2048, err))
            return -1;
        k->ip_allow = bufs[2][0] ? bufs[2] : NULL;
    }
    k->rpm = (int)rpm;
    k->rpd = (int)rpd;
    k->tpm = (int)tpm;
    k->max_concurrency = (int)conc;
    k->quota_limit = cap;
    k->expires_days = (int)days;
    return 0;
}

static void secret_parts(const char *secret, unsigned char hash[32], char prefix[17],
                         char last4[5])
{
    size_t n = strlen(secret);

    apikey_digest(secret, hash);
    memcpy(prefix, secret, APIKEY_SHOWN);
    prefix[APIKEY_SHOWN] = '\0';
    memcpy(last4, secret + n - 4, 5);
}

int64_t keys_mint(struct store_conn *c, const struct key_new *k,
                  char secret[APIKEY_LEN + 1], struct tg_err *err)
{
    unsigned char hash[32];
    char prefix[17], last4[5];

    if (apikey_generate(secret) != 0)
        return err_set(err, TG_EINTERNAL, "no randomness");
    secret_parts(secret, hash, prefix, last4);
    return store_key_create(c, k, hash, prefix, last4, err);
}

int keys_regenerate(struct store_conn *c, int64_t id, int64_t user_id,
                    char secret[APIKEY_LEN + 1], struct tg_err *err)
{
    unsigned char hash[32];
    char prefix[17], last4[5];
    int64_t n;

    if (apikey_generate(secret) != 0)
        return err_set(err, TG_EINTERNAL, "no randomness");
    secret_parts(secret, hash, prefix, last4);
    n = store_key_set_secret(c, id, user_id, hash, prefix, last4, err);
    if (n < 0)
        return -1;
    if (n == 0)
        crypto_wipe(secret, APIKEY_LEN + 1);
    return n > 0;
}

json_t *keys_json(const struct key_row *k)
{
    char masked[40];

    snprintf(masked, sizeof(masked), "%s...%s", k->prefix, k->last4);
    return json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:i, s:i, "
        "s:i, s:i, s:o, s:I, s:s?, s:s}",
        "id", (json_int_t)k->id, "user_id", (json_int_t)k->user_id, "name", k->name,
        "description", k->description, "key", masked, "status", k->status, "services",
        chanspec_list(k->services), "models", chanspec_list(k->models), "ip_allow",
        chanspec_list(k->ip_allow), "quota_limit",
        k->quota_limit < 0 ? json_null() : json_integer(k->quota_limit), "quota_used",
        (json_int_t)k->quota_used, "rpm", k->rpm, "rpd", k->rpd, "tpm", k->tpm,
        "max_concurrency", k->max_concurrency, "expires_at",
        k->expires_at ? json_integer(k->expires_at) : json_null(), "request_count",
        (json_int_t)k->request_count, "last_used_at",
        k->last_used_at[0] ? k->last_used_at : NULL, "created_at", k->created_at);
}
