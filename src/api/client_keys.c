/* client_keys: a user's own API keys: list, create, show, change, revoke, regenerate and
 * usage. Every statement filters by the owner, so another user's key id is a 404. */
#include <string.h>

#include "api/api.h"
#include "api/keys_common.h"
#include "api/plans.h"
#include "api/portal_util.h"
#include "auth/crypto.h"
#include "store/keys.h"
#include "store/portal.h"
#include "store/store.h"
#include "store/users.h"
#include "util/log.h"

/* A limit within the plan: 0 (or absent) takes the plan's ceiling; above it is a 400
 * naming the field. Returns 0 or -1. */
static int plan_cap(int *v, int ceiling, const char *field, struct tg_err *err)
{
    if (*v == 0)
        *v = ceiling;
    if (*v > ceiling)
        return err_set_field(err, TG_EINVAL, field, "%s may be at most %d on your plan",
                             field, ceiling);
    return 0;
}

static int plan_caps(const struct plan *p, int *rpm, int *rpd, int *tpm, int *conc,
                     struct tg_err *err)
{
    return plan_cap(rpm, p->rpm, "rpm", err) || plan_cap(rpd, p->rpd, "rpd", err) ||
                   plan_cap(tpm, p->tpm, "tpm", err) ||
                   plan_cap(conc, p->max_concurrency, "max_concurrency", err)
               ? -1
               : 0;
}

/* The user's plan, read fresh (an admin may have changed it). */
static int user_plan(struct store_conn *c, int64_t user_id, const struct plan **p,
                     struct tg_err *err)
{
    struct user_row u;
    int rc = store_user_by_id(c, user_id, &u, err);

    if (rc <= 0)
        return rc < 0 ? -1 : err_set(err, TG_EAUTH, "session ended; log in again");
    *p = plan_of(u.plan);
    return 0;
}

/* The key (owned by the signed-in user) named by the path. Returns 0 or -1 (404). */
static int own_key(struct tg_request *req, struct store_conn *c, struct key_row *k,
                   struct tg_err *err)
{
    int64_t id;
    int rc;

    if (portal_path_id(req, "key", &id, err) != 0)
        return -1;
    rc = store_key_get(c, id, req->who.user_id, k, err);
    if (rc <= 0)
        return rc < 0 ? -1 : err_set(err, TG_ENOTFOUND, "no such key");
    return 0;
}

/* Answer with a key; with a secret, shown this once, in "key". */
static int send_key(struct tg_request *req, int status, const struct key_row *k,
                    const char *secret)
{
    json_t *o = keys_json(k);

    if (o && secret) {
        json_object_set_new(o, "key", json_string(secret));
        json_object_set_new(o, "key_shown_once", json_true());
        response_add_header(req, "Cache-Control: no-store");
    }
    return portal_reply(req, status, o);
}

static void add_key(const struct key_row *k, void *ctx)
{
    json_array_append_new(ctx, keys_json(k));
}

TG_HANDLER(client_keys_list)
{
    json_t *items = json_array();
    struct store_conn *c;
    int limit, offset, n;

    if (portal_page(req, 100, 500, &limit, &offset, err) != 0 || req->who.user_id <= 0 ||
        !(c = store_get(req->app->pool, err))) {
        json_decref(items);
        return err_set(err, TG_EINTERNAL, "cannot list keys");
    }
    n = store_key_list(c, req->who.user_id, limit, offset, add_key, items, err);
    store_put(req->app->pool, c);
    if (n < 0) {
        json_decref(items);
        return -1;
    }
    return portal_reply(
        req, 200,
        json_pack("{s:o, s:i, s:i}", "data", items, "limit", limit, "offset", offset));
}

/* Within a transaction holding the user's row: count, then mint. Returns the id or -1. */
static int64_t create_locked(struct store_conn *c, const struct plan *p,
                             const struct key_new *k, char secret[APIKEY_LEN + 1],
                             struct tg_err *err)
{
    int64_t live = 0, id;

    if (store_begin(c, err) != 0)
        return -1;
    if (store_portal_key_count_locked(c, k->user_id, &live, err) != 0)
        goto fail;
    if (live >= p->max_keys) {
        err_set_field(err, TG_EDENIED, "plan",
                      "your plan allows %d keys; revoke one first", p->max_keys);
        goto fail;
    }
    id = keys_mint(c, k, secret, err);
    if (id < 0 || store_commit(c, err) != 0)
        goto fail;
    return id;
fail:
    store_rollback(c);
    return -1;
}

TG_HANDLER(client_keys_create)
{
    json_t *body = request_json(req, err);
    struct key_new k = {0};
    char bufs[3][2048], secret[APIKEY_LEN + 1] = "";
    const struct plan *p = NULL;
    struct store_conn *c = NULL;
    struct key_row row;
    int64_t id = -1;
    int rc = -1;

    if (!body)
        return -1;
    if (keys_parse_spec(body, 1, &k, bufs, err) != 0)
        goto out;
    if (k.services && !k.services[0]) {
        err_set_field(err, TG_EINVAL, "services",
                      "services must name at least one of claude, codex, openai");
        goto out;
    }
    k.user_id = req->who.user_id;
    c = store_get(req->app->pool, err);
    if (!c || user_plan(c, k.user_id, &p, err) != 0 ||
        plan_caps(p, &k.rpm, &k.rpd, &k.tpm, &k.max_concurrency, err) != 0)
        goto out;
    id = create_locked(c, p, &k, secret, err);
    if (id < 0 || store_key_get(c, id, k.user_id, &row, err) != 1)
        goto out;
    rc = 0;
out:
    store_put(req->app->pool, c);
    json_decref(body);
    if (rc == 0) {
        log_info("portal", "event=key_created key_id=%lld user_id=%lld", (long long)id,
                 (long long)k.user_id);
        rc = send_key(req, 201, &row, secret);
    }
    crypto_wipe(secret, sizeof(secret));
    return rc;
}

TG_HANDLER(client_keys_get)
{
    struct store_conn *c = store_get(req->app->pool, err);
    struct key_row k;
    int rc;

    if (!c)
        return -1;
    rc = own_key(req, c, &k, err);
    store_put(req->app->pool, c);
    return rc == 0 ? send_key(req, 200, &k, NULL) : -1;
}

/* Turn the body into an update: flags for the fields present, the plan's ceilings on
 * limits, a status of active or suspended. Returns 0 or -1. */
static int build_update(json_t *body, const struct plan *p, struct key_update *u,
                        char bufs[3][2048], struct tg_err *err)
{
    struct key_new k = {0};
    json_t *spec = json_copy(body), *st = json_object_get(body, "status");
    int rc;

    json_object_del(spec, "status"); /* the only field keys_parse_spec does not know */
    rc = keys_parse_spec(spec, 1, &k, bufs, err);
    json_decref(spec);
    if (rc != 0)
        return -1;
    if (st && (!json_is_string(st) || (strcmp(json_string_value(st), "active") != 0 &&
                                       strcmp(json_string_value(st), "suspended") != 0)))
        return err_set_field(err, TG_EINVAL, "status",
                             "status must be \"active\" or "
                             "\"suspended\" (DELETE revokes a key)");
#define PRESENT(f) (json_object_get(body, (f)) != NULL)
    u->set_name = PRESENT("name");
    u->set_description = PRESENT("description");
    u->set_services = PRESENT("services");
    u->set_models = PRESENT("models");
    u->set_ip_allow = PRESENT("ip_allow");
    u->set_quota_limit = PRESENT("quota_limit");
    u->set_rpm = PRESENT("rpm");
    u->set_rpd = PRESENT("rpd");
    u->set_tpm = PRESENT("tpm");
    u->set_conc = PRESENT("max_concurrency");
    u->set_expires = PRESENT("expires_in_days");
#undef PRESENT
    u->name = k.name ? k.name : "";
    u->description = k.description ? k.description : "";
    u->services = k.services;
    u->models = k.models;
    u->ip_allow = k.ip_allow;
    u->quota_limit = k.quota_limit;
    u->expires_days = k.expires_days;
    u->status = st ? json_string_value(st) : NULL;
    if (u->set_services && (!u->services || !u->services[0]))
        return err_set_field(err, TG_EINVAL, "services",
                             "services must name at least one of claude, codex, openai");
    u->rpm = k.rpm;
    u->rpd = k.rpd;
    u->tpm = k.tpm;
    u->conc = k.max_concurrency;
    if ((u->set_rpm && plan_cap(&u->rpm, p->rpm, "rpm", err)) ||
        (u->set_rpd && plan_cap(&u->rpd, p->rpd, "rpd", err)) ||
        (u->set_tpm && plan_cap(&u->tpm, p->tpm, "tpm", err)) ||
        (u->set_conc && plan_cap(&u->conc, p->max_concurrency, "max_concurrency", err)))
        return -1;
    return 0;
}

TG_HANDLER(client_keys_update)
{
    json_t *body = request_json(req, err);
    struct key_update u = {0};
    char bufs[3][2048];
    const struct plan *p = NULL;
    struct store_conn *c = NULL;
    struct key_row k;
    int rc = -1;

    if (!body)
        return -1;
    c = store_get(req->app->pool, err);
    if (!c || own_key(req, c, &k, err) != 0 || user_plan(c, k.user_id, &p, err) != 0 ||
        build_update(body, p, &u, bufs, err) != 0)
        goto out;
    if (strcmp(k.status, "revoked") == 0) {
        err_set(err, TG_ECONFLICT, "a revoked key cannot be changed");
        goto out;
    }
    if (store_portal_key_update(c, k.id, k.user_id, &u, err) < 0 ||
        store_key_get(c, k.id, k.user_id, &k, err) != 1)
        goto out;
    rc = 0;
out:
    store_put(req->app->pool, c);
    json_decref(body);
    return rc == 0 ? send_key(req, 200, &k, NULL) : -1;
}

TG_HANDLER(client_keys_delete)
{
    struct store_conn *c = store_get(req->app->pool, err);
    struct key_row k;
    int rc = -1;

    if (!c)
        return -1;
    if (own_key(req, c, &k, err) == 0 &&
        store_key_set_status(c, k.id, k.user_id, "revoked", err) >= 0 &&
        store_key_get(c, k.id, k.user_id, &k, err) == 1)
        rc = 0;
    store_put(req->app->pool, c);
    if (rc != 0)
        return -1;
    log_info("portal", "event=key_revoked key_id=%lld", (long long)k.id);
    return send_key(req, 200, &k, NULL);
}

TG_HANDLER(client_keys_regenerate)
{
    struct store_conn *c = store_get(req->app->pool, err);
    char secret[APIKEY_LEN + 1] = "";
    struct key_row k;
    int rc = -1;

    if (!c)
        return -1;
    if (own_key(req, c, &k, err) != 0)
        goto out;
    if (strcmp(k.status, "revoked") == 0) {
        err_set(err, TG_ECONFLICT, "a revoked key cannot be regenerated");
        goto out;
    }
    if (keys_regenerate(c, k.id, k.user_id, secret, err) != 1 ||
        store_key_get(c, k.id, k.user_id, &k, err) != 1) {
        err_set(err, TG_ENOTFOUND, "no such key");
        goto out;
    }
    rc = 0;
out:
    store_put(req->app->pool, c);
    if (rc == 0) {
        log_info("portal", "event=key_regenerated key_id=%lld", (long long)k.id);
        rc = send_key(req, 200, &k, secret);
    }
    crypto_wipe(secret, sizeof(secret));
    return rc;
}

TG_HANDLER(client_keys_usage)
{
    struct store_conn *c = store_get(req->app->pool, err);
    struct key_row k;
    int rc;

    if (!c)
        return -1;
    rc = own_key(req, c, &k, err);
    store_put(req->app->pool, c);
    return rc == 0 ? portal_usage_report(req, k.id, err) : -1;
}
