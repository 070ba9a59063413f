/* chanspec: channel and price specs: validation and display. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chanspec.h"
#include "auth/crypto.h"
#include "auth/secretbox.h"
#include "billing/charge.h"
#include "relay/urlcheck.h"
#include "util/str.h"

#define PRICE_MAX_MICRO 1000000000000LL /* $1,000,000 per million tokens */

static int bad(struct tg_err *err, const char *field, const char *what)
{
    return err_set_field(err, TG_EINVAL, field, "%s %s", field, what);
}

static int check_fields(json_t *spec, const char *const *known, struct tg_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(spec))
        return err_set(err, TG_EINVAL, "expected a JSON object");
    json_object_foreach(spec, key, v)
    {
        int found = 0;

        for (int i = 0; known[i]; i++)
            found |= !strcmp(known[i], key);
        if (!found)
            return err_set_field(err, TG_EINVAL, "body", "unknown field '%.40s'", key);
    }
    return 0;
}

int chanspec_model_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > 128)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == ',' || *p == 0x7f)
            return 0;
    return 1;
}

/* A string field of at most max bytes without control characters (spaces only when
 * spaces is 1). Returns 1 present, 0 absent, -1 bad. */
static int get_text(json_t *spec, const char *field, size_t max, int spaces,
                    const char **out, struct tg_err *err)
{
    json_t *v = json_object_get(spec, field);
    const char *s;

    if (!v)
        return 0;
    s = json_string_value(v);
    if (!s || !*s || strlen(s) > max) {
        err_set_field(err, TG_EINVAL, field, "%s must be a string of 1 to %zu bytes",
                      field, max);
        return -1;
    }
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f || (!spaces && *p == ' ')) {
            bad(err, field, "contains spaces or control characters");
            return -1;
        }
    *out = s;
    return 1;
}

static int get_int(json_t *spec, const char *field, int64_t min, int64_t max, int *out,
                   struct tg_err *err)
{
    json_t *v = json_object_get(spec, field);

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return err_set_field(err, TG_EINVAL, field,
                             "%s must be a whole number from %lld to %lld", field,
                             (long long)min, (long long)max);
    *out = (int)json_integer_value(v);
    return 0;
}

/* models: an array of model names or a comma string, joined into out. */
static int parse_models(json_t *v, char *out, size_t cap, struct tg_err *err)
{
    char tmp[2048], *save = NULL;
    size_t used = 0, i;
    json_t *x;

    out[0] = '\0';
    if (json_is_string(v)) {
        if (str_copy(tmp, sizeof(tmp), json_string_value(v)) != 0)
            return bad(err, "models", "is too long");
        for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            size_t n = strlen(t);
            if (!chanspec_model_ok(t))
                return err_set_field(err, TG_EINVAL, "models",
                                     "models: '%.60s' is not a "
                                     "model name",
                                     t);
            if (used + n + 2 > cap)
                return bad(err, "models", "is too long");
            if (used)
                out[used++] = ',';
            memcpy(out + used, t, n + 1);
            used += n;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            const char *s = json_string_value(x);
            size_t n = s ? strlen(s) : 0;
            if (!chanspec_model_ok(s))
                return err_set_field(err, TG_EINVAL, "models",
                                     "models[%zu] is not a model name", i);
            if (used + n + 2 > cap)
                return bad(err, "models", "is too long");
            if (used)
                out[used++] = ',';
            memcpy(out + used, s, n + 1);
            used += n;
        }
    } else {
        return bad(err, "models", "must be an array of model names or a comma list");
    }
    if (!out[0])
        return bad(err, "models", "must name at least one model");
    return 0;
}

/* model_map: {"public": "upstream", ...} or null (none), stored as compact JSON. */
static int parse_model_map(json_t *v, char *out, size_t cap, struct tg_err *err)
{
    const char *k;
    json_t *x;
    char *text;

    out[0] = '\0';
    if (json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return bad(err, "model_map", "must be an object {\"public\": \"upstream\"}");
    json_object_foreach(v, k, x)
    {
        if (!chanspec_model_ok(k) || !chanspec_model_ok(json_string_value(x)))
            return err_set_field(
                err, TG_EINVAL, "model_map",
                "model_map: '%.60s' must map a model name to a model name", k);
    }
    if (json_object_size(v) == 0)
        return 0;
    text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return err_set(err, TG_EINTERNAL, "out of memory");
    if (str_copy(out, cap, text) != 0) {
        free(text);
        return bad(err, "model_map", "is too long");
    }
    free(text);
    return 0;
}

static int name_ok(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 1;
    return 0; /* all digits would read as an id */
}

static int group_ok(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return 1;
}

static int one_of(const char *s, const char *const *set)
{
    for (int i = 0; set[i]; i++)
        if (!strcmp(s, set[i]))
            return 1;
    return 0;
}

static void channel_defaults(struct channel_row *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->weight = 1;
    str_copy(ch->group, sizeof(ch->group), "default");
    str_copy(ch->status, sizeof(ch->status), "enabled");
}

/* The text fields: name, type, group, status. */
static int parse_names(json_t *spec, struct channel_row *ch, int *status_set,
                       struct tg_err *err)
{
    static const char *const types[] = {"openai", "anthropic", "openai-compatible", NULL};
    static const char *const states[] = {"enabled", "disabled", NULL};
    const char *s = NULL;
    int rc;

    rc = get_text(spec, "name", 128, 1, &s, err);
    if (rc < 0 || (rc > 0 && !name_ok(s)))
        return rc < 0 ? -1 : bad(err, "name", "must not be a number");
    if (rc > 0)
        str_copy(ch->name, sizeof(ch->name), s);
    rc = get_text(spec, "type", 32, 0, &s, err);
    if (rc < 0 || (rc > 0 && !one_of(s, types)))
        return rc < 0 ? -1
                      : bad(err, "type",
                            "must be openai, anthropic or "
                            "openai-compatible");
    if (rc > 0)
        str_copy(ch->type, sizeof(ch->type), s);
    rc = get_text(spec, "group", 32, 0, &s, err);
    if (rc < 0 || (rc > 0 && !group_ok(s)))
        return rc < 0 ? -1 : bad(err, "group", "may hold only letters, digits, _ - .");
    if (rc > 0)
        str_copy(ch->group, sizeof(ch->group), s);
    rc = get_text(spec, "status", 16, 0, &s, err);
    if (rc < 0 || (rc > 0 && !one_of(s, states)))
        return rc < 0 ? -1 : bad(err, "status", "must be enabled or disabled");
    if (rc > 0) {
        str_copy(ch->status, sizeof(ch->status), s);
        *status_set = 1;
    }
    return 0;
}

static int parse_url(const struct tg_config *cfg, json_t *spec, struct channel_row *ch,
                     struct tg_err *err)
{
    const char *s = NULL, *hs;
    size_t n, min;
    int rc = get_text(spec, "base_url", 512, 0, &s, err);

    if (rc <= 0)
        return rc;
    if (urlcheck_base_url(cfg, s, err) != 0)
        return -1;
    str_copy(ch->base_url, sizeof(ch->base_url), s);
    /* The relay appends paths: keep one form without a trailing slash. */
    hs = strstr(ch->base_url, "://");
    min = hs ? (size_t)(hs - ch->base_url) + 4 : 1;
    n = strlen(ch->base_url);
    while (n > min && ch->base_url[n - 1] == '/')
        ch->base_url[--n] = '\0';
    return 0;
}

int chanspec_parse(const struct tg_config *cfg, json_t *spec, int create,
                   struct channel_row *ch, const char **key, int *status_set,
                   struct tg_err *err)
{
    static const char *const known[] = {
        "name",     "type",   "base_url", "key",    "models",          "model_map",
        "priority", "weight", "group",    "status", "connect_timeout", "total_timeout",
        NULL};
    static const char *const required[] = {"name", "type",   "base_url",
                                           "key",  "models", NULL};
    json_t *v;

    *key = NULL;
    *status_set = 0;
    if (check_fields(spec, known, err) != 0)
        return -1;
    if (create) {
        channel_defaults(ch);
        for (int i = 0; required[i]; i++)
            if (!json_object_get(spec, required[i]))
                return err_set_field(err, TG_EINVAL, required[i], "%s is required",
                                     required[i]);
    } else if (json_object_size(spec) == 0) {
        return err_set_field(err, TG_EINVAL, "body", "nothing to change");
    }
    if (parse_names(spec, ch, status_set, err) != 0 ||
        parse_url(cfg, spec, ch, err) != 0 ||
        get_text(spec, "key", CHAN_KEY_MAX, 0, key, err) < 0 ||
        get_int(spec, "priority", -1000000, 1000000, &ch->priority, err) != 0 ||
        get_int(spec, "weight", 1, 1000000, &ch->weight, err) != 0 ||
        get_int(spec, "connect_timeout", 0, 600, &ch->connect_timeout, err) != 0 ||
        get_int(spec, "total_timeout", 0, 86400, &ch->total_timeout, err) != 0)
        return -1;
    v = json_object_get(spec, "models");
    if (v && parse_models(v, ch->models, sizeof(ch->models), err) != 0)
        return -1;
    v = json_object_get(spec, "model_map");
    if (v && parse_model_map(v, ch->model_map, sizeof(ch->model_map), err) != 0)
        return -1;
    return 0;
}

char *chanspec_seal(const char *plain, int64_t id, void *ctx)
{
    return secretbox_seal(ctx, "channels.key", id, plain);
}

json_t *chanspec_list(const char *csv)
{
    json_t *a = json_array();
    char tmp[2048], *save = NULL;

    if (!csv || !*csv)
        return a;
    str_copy(tmp, sizeof(tmp), csv);
    for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(t));
    return a;
}

static int key_opens(const struct tg_config *cfg, const struct channel_row *ch)
{
    char *plain;
    int ok;

    if (!ch->key_enc[0])
        return 0;
    plain = secretbox_open(cfg, "channels.key", ch->id, ch->key_enc);
    ok = plain != NULL;
    crypto_free_secret(plain);
    return ok;
}

json_t *chanspec_json(const struct tg_config *cfg, const struct channel_row *ch)
{
    json_t *map = ch->model_map[0] ? json_loads(ch->model_map, 0, NULL) : NULL;

    return json_pack(
        "{s:I, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:i, s:i, s:s, s:s, s:s?, "
        "s:i, s:i, s:s?, s:i}",
        "id", (json_int_t)ch->id, "name", ch->name, "type", ch->type, "base_url",
        ch->base_url, "key_set", ch->key_enc[0] != '\0', "key_ok", key_opens(cfg, ch),
        "models", chanspec_list(ch->models), "model_map", map ? map : json_object(),
        "priority", ch->priority, "weight", ch->weight, "group", ch->group, "status",
        ch->status, "status_reason", ch->status_reason[0] ? ch->status_reason : NULL,
        "connect_timeout", ch->connect_timeout, "total_timeout", ch->total_timeout,
        "last_error", ch->last_error[0] ? ch->last_error : NULL, "response_ms",
        ch->response_ms);
}

/* One price: a JSON number or decimal string in USD per million tokens. */
static int price_value(json_t *v, const char *field, int64_t *out, struct tg_err *err)
{
    char text[64];

    if (json_is_string(v)) {
        if (str_copy(text, sizeof(text), json_string_value(v)) != 0)
            return bad(err, field, "is too long");
    } else if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        /* Exact only if the 6-decimal text reads back as the same double. */
        if (!isfinite(d) || d < 0 || d > 1e6)
            return bad(err, field, "must be from 0 to 1000000 USD per million tokens");
        snprintf(text, sizeof(text), "%.6f", d);
        if (strtod(text, NULL) != d)
            return bad(err, field, "has more than 6 decimals");
    } else {
        return bad(err, field,
                   "must be a number or a decimal string (USD per million "
                   "tokens)");
    }
    if (money_parse_price(text, out) != 0)
        return bad(err, field,
                   "must be a decimal >= 0 with at most 6 decimals (USD per "
                   "million tokens)");
    if (*out > PRICE_MAX_MICRO)
        return bad(err, field, "must be at most 1000000 USD per million tokens");
    return 0;
}

int chanspec_price_parse(json_t *spec, struct price_row *p, struct tg_err *err)
{
    static const char *const known[] = {"input",       "output",         "cache_read",
                                        "cache_write", "cache_write_1h", "max_output",
                                        NULL};
    static const char *const fields[] = {"input", "output", "cache_read", "cache_write",
                                         "cache_write_1h"};
    int64_t *slots[] = {&p->input, &p->output, &p->cache_read, &p->cache_write,
                        &p->cache_write_1h};
    json_t *v;

    if (check_fields(spec, known, err) != 0)
        return -1;
    for (int i = 0; i < 5; i++) {
        v = json_object_get(spec, fields[i]);
        *slots[i] = 0;
        if (!v && i < 2)
            return err_set_field(err, TG_EINVAL, fields[i], "%s is required", fields[i]);
        if (v && price_value(v, fields[i], slots[i], err) != 0)
            return -1;
    }
    p->max_output = 0;
    return get_int(spec, "max_output", 0, 10000000, &p->max_output, err);
}

/* micro-USD as the shortest decimal text ("3", "0.15"). */
static json_t *usd_text(int64_t micro)
{
    char s[32];
    size_t n;

    money_format_usd(micro, s);
    n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[--n] = '\0';
    return json_string(s);
}

json_t *chanspec_price_json(const struct price_row *p)
{
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:i}", "model", p->model, "input",
                     usd_text(p->input), "output", usd_text(p->output), "cache_read",
                     usd_text(p->cache_read), "cache_write", usd_text(p->cache_write),
                     "cache_write_1h", usd_text(p->cache_write_1h), "max_output",
                     p->max_output);
}
