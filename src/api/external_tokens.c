/* external_tokens: API keys of external users: mint (secret shown once; optional
 * idempotency key), list (masked) and revoke. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/external.h"
#include "api/keys_common.h"
#include "auth/crypto.h"
#include "billing/topup.h"
#include "store/keys.h"
#include "store/store.h"
#include "util/str.h"

#define IDEM_MAX 128

/* The key as the partner sees it: keys_json's fields, with "masked_key" for the display
 * form and "key" holding the secret (only when just minted) or null. */
static json_t *token_json(const struct key_row *k, const char *ext_id, const char *secret,
                          int replayed)
{
    json_t *o = keys_json(k), *masked;

    if (!o)
        return NULL;
    masked = json_object_get(o, "key");
    json_object_set(o, "masked_key", masked ? masked : json_null());
    json_object_set_new(o, "key", secret ? json_string(secret) : json_null());
    json_object_set_new(o, "prefix", json_string(k->prefix));
    json_object_set_new(o, "external_user_id", json_string(ext_id));
    json_object_set_new(o, "replayed", json_boolean(replayed));
    return o;
}

/* Body minus the fields that are not part of a key spec (new reference). */
static json_t *spec_of(json_t *body)
{
    json_t *spec = json_copy(body);

    if (spec) {
        json_object_del(spec, "external_user_id");
        json_object_del(spec, "idempotency_key");
    }
    return spec;
}

static int parse_token(json_t *body, json_t *spec, struct key_new *k, char bufs[3][2048],
                       const char **idem, struct tg_err *err)
{
    json_t *v = json_object_get(body, "idempotency_key"), *name;

    memset(k, 0, sizeof(*k));
    *idem = NULL;
    if (v && !json_is_null(v)) {
        *idem = json_string_value(v);
        if (!topup_payment_id_ok(*idem) || strlen(*idem) > IDEM_MAX)
            return err_set_field(
                err, TG_EINVAL, "idempotency_key",
                "idempotency_key must be 1 to %d printable ASCII characters "
                "without spaces",
                IDEM_MAX);
    }
    name = json_object_get(body, "name");
    if (!json_is_string(name) || json_string_length(name) == 0)
        return err_set_field(err, TG_EINVAL, "name",
                             "name is required (a non-empty string)");
    return keys_parse_spec(spec, 1, k, bufs, err);
}

/* Answer with the key that an earlier call with this idempotency key made. Returns 1
 * answered (*out set), 0 none, -1 error. */
static int replay(struct store_conn *c, int64_t user_id, const char *idem,
                  const char *ext_id, json_t **out, struct tg_err *err)
{
    struct key_row k;
    int rc;

    if (!idem)
        return 0;
    rc = store_key_by_idem(c, user_id, idem, &k, err);
    if (rc != 1)
        return rc;
    *out = token_json(&k, ext_id, NULL, 1);
    return *out ? 1 : err_set(err, TG_EINTERNAL, "out of memory");
}

/* Create the key. Returns 0 created (*out holds the secret), 1 a concurrent call with the
 * same idempotency key made it first (*out is its replay), -1 error. */
static int mint(struct store_conn *c, struct key_new *k, const char *ext_id, json_t **out,
                struct tg_err *err)
{
    char secret[APIKEY_LEN + 1];
    struct tg_err e = {0};
    struct key_row row;
    int64_t id;
    int rc;

    id = keys_mint(c, k, secret, &e);
    if (id < 0) {
        crypto_wipe(secret, sizeof(secret));
        if (e.code == TG_ECONFLICT && k->idempotency_key) /* a concurrent twin won */
            return replay(c, k->user_id, k->idempotency_key, ext_id, out, err) == 1 ? 1
                                                                                    : -1;
        return err_set(err, e.code, "%s", e.msg);
    }
    rc = store_key_get(c, id, k->user_id, &row, err);
    if (rc == 1)
        *out = token_json(&row, ext_id, secret, 0);
    crypto_wipe(secret, sizeof(secret));
    if (rc != 1)
        return rc < 0 ? -1 : err_set(err, TG_EINTERNAL, "key vanished");
    return *out ? 0 : err_set(err, TG_EINTERNAL, "out of memory");
}

TG_HANDLER(ext_token)
{
    json_t *body = request_json(req, err), *spec = NULL, *out = NULL;
    char bufs[3][2048];
    struct store_conn *c = NULL;
    const char *ext_id, *idem;
    struct ext_user u;
    struct key_new k;
    int rc = -1, got;

    if (!body)
        return -1;
    spec = spec_of(body);
    if (!spec) {
        err_set(err, TG_EINTERNAL, "out of memory");
        goto out;
    }
    if (ext_body_id(body, &ext_id, err) != 0 ||
        parse_token(body, spec, &k, bufs, &idem, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c || ext_user_load(c, req, ext_id, &u, err) != 0)
        goto out;
    k.user_id = u.id;
    k.idempotency_key = idem;
    got = strcmp(u.field[EXT_STATUS], "active") == 0
              ? replay(c, u.id, idem, ext_id, &out, err)
              : err_set(err, TG_EDENIED, "the user is suspended");
    store_ext_user_clear(&u);
    if (got == 0) { /* mint: 0 new (answer 201), 1 a concurrent twin's key (200) */
        got = mint(c, &k, ext_id, &out, err);
        got = got == 0 ? 2 : got;
    }
    if (got > 0)
        rc = ext_send(req, got == 2 ? 201 : 200, out);
out:
    store_put(req->app->pool, c);
    json_decref(spec);
    json_decref(body);
    return rc;
}

static void add_key(const struct key_row *k, void *ctx)
{
    json_t *o = keys_json(k);

    if (o) {
        json_object_set(o, "masked_key", json_object_get(o, "key"));
        json_object_del(o, "key");
        json_object_set_new(o, "prefix", json_string(k->prefix));
        json_array_append_new(ctx, o);
    }
}

TG_HANDLER(ext_tokens)
{
    char ext_id[512], num[16];
    struct store_conn *c;
    struct ext_user u;
    int64_t limit = 50, offset = 0;
    json_t *items = json_array();
    int rc;

    if (request_query(req, "limit", num, sizeof(num)) &&
        str_to_i64(num, 1, 500, &limit) != 0)
        err_set_field(err, TG_EINVAL, "limit", "limit must be 1 to 500");
    if (request_query(req, "offset", num, sizeof(num)) &&
        str_to_i64(num, 0, 1000000, &offset) != 0)
        err_set_field(err, TG_EINVAL, "offset", "offset must be 0 to 1000000");
    if (!items)
        err_set(err, TG_EINTERNAL, "out of memory");
    if (err->code || ext_path_id(req, ext_id, sizeof(ext_id), err) != 0) {
        json_decref(items);
        return -1;
    }
    c = store_get(req->app->pool, err);
    rc = c ? ext_user_load(c, req, ext_id, &u, err) : -1;
    if (rc == 0) {
        rc = store_key_list(c, u.id, (int)limit, (int)offset, add_key, items, err) < 0;
        store_ext_user_clear(&u);
    }
    store_put(req->app->pool, c);
    if (rc != 0) {
        json_decref(items);
        return -1;
    }
    return ext_send(req, 200,
                    json_pack("{s:s, s:o, s:I, s:I}", "external_user_id", ext_id, "data",
                              items, "limit", (json_int_t)limit, "offset",
                              (json_int_t)offset));
}

TG_HANDLER(ext_token_revoke)
{
    const char *idtxt = request_path_param(req, 1);
    char ext_id[512], detail[64];
    struct store_conn *c;
    struct ext_user u;
    struct key_row k;
    int64_t id = 0;
    int rc;

    if (ext_path_id(req, ext_id, sizeof(ext_id), err) != 0)
        return -1;
    if (!idtxt || str_to_i64(idtxt, 1, INT64_MAX, &id) != 0)
        return err_set(err, TG_ENOTFOUND, "token not found");
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    rc = ext_user_load(c, req, ext_id, &u, err);
    if (rc == 0) {
        rc = store_key_get(c, id, u.id, &k, err);
        if (rc == 0)
            rc = err_set(err, TG_ENOTFOUND, "token not found");
        else if (rc == 1 && strcmp(k.status, "revoked") != 0) {
            rc = store_key_set_status(c, id, u.id, "revoked", err) < 0 ? -1 : 0;
            snprintf(detail, sizeof(detail), "{\"key_id\":%lld}", (long long)id);
            if (rc == 0)
                rc = store_ext_audit(c, req->who.partner_id, "external.token_revoke",
                                     u.id, detail, req->client_ip, err);
        } else if (rc == 1) {
            rc = 0;
        }
        store_ext_user_clear(&u);
    }
    store_put(req->app->pool, c);
    if (rc != 0)
        return -1;
    return ext_send(req, 200,
                    json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "external_user_id",
                              ext_id, "status", "revoked"));
}
