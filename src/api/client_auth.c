/* client_auth: portal login (throttled per account and address, every attempt
 * recorded), refresh-token rotation and logout. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "auth/crypto.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "config/config.h"
#include "limits/throttle.h"
#include "store/portal.h"
#include "store/store.h"
#include "store/users.h"
#include "util/log.h"
#include "util/str.h"

/* Mint a refresh token (returned in out, 44 chars) and its session row, then an access
 * token bound to that session. Returns the login answer (new reference) or NULL. */
static json_t *issue_tokens(struct tg_request *req, struct store_conn *c,
                            const struct user_row *u, const char *family, int remember,
                            struct tg_err *err)
{
    const struct tg_config *cfg = req->app->cfg;
    unsigned char raw[32], hash[32];
    char refresh[48], fam[33];
    struct jwt_claims cl = {0};
    int64_t sid;
    char *access;
    json_t *out;
    int ttl = remember ? cfg->refresh_token_ttl : cfg->refresh_token_ttl / 4;

    if (ttl < 3600)
        ttl = 3600;
    if (crypto_random(raw, sizeof(raw)) != 0)
        return err_set(err, TG_EINTERNAL, "no randomness"), NULL;
    crypto_b64url_encode(raw, sizeof(raw), refresh);
    crypto_sha256(refresh, strlen(refresh), hash);
    if (!family) {
        unsigned char f[16];
        crypto_random(f, sizeof(f));
        str_hex(f, sizeof(f), fam);
        family = fam;
    }
    sid = store_session_create(c, u->id, family, hash, ttl, remember, req->client_ip,
                               request_header(req, "user-agent"), err);
    if (sid < 0)
        return NULL;
    cl.sub = u->id;
    cl.sid = sid;
    str_copy(cl.typ, sizeof(cl.typ), "at+jwt");
    str_copy(cl.role, sizeof(cl.role), u->role);
    crypto_random(raw, 16);
    str_hex(raw, 16, cl.jti);
    cl.iat = cl.nbf = time(NULL);
    cl.exp = cl.iat + cfg->access_token_ttl;
    access =
        jwt_sign(&cl, cfg->jwt_issuer, cfg->jwt_audience, cfg->jwt_key, cfg->jwt_key_len);
    if (!access)
        return err_set(err, TG_EINTERNAL, "cannot sign token"), NULL;
    out = json_pack("{s:s, s:s, s:s, s:i, s:{s:I, s:s, s:s}}", "access_token", access,
                    "refresh_token", refresh, "token_type", "Bearer", "expires_in",
                    cfg->access_token_ttl, "user", "id", (json_int_t)u->id, "username",
                    u->username, "role", u->role);
    crypto_free_secret(access);
    crypto_wipe(refresh, sizeof(refresh));
    return out;
}

static int send_tokens(struct tg_request *req, json_t *out, struct tg_err *err)
{
    int rc;

    if (!out)
        return -1;
    response_add_header(req, "Cache-Control: no-store");
    rc = response_send_json(req, 200, out);
    json_decref(out);
    (void)err;
    return rc;
}

/* After the password check: count the outcome against the throttle and record the
 * attempt (best effort: a failed record must not turn a good login into an error). */
static void login_record(struct tg_request *req, struct store_conn *c, const char *login,
                         int64_t user_id, int ok)
{
    struct tg_err ignore = {0};

    if (ok)
        throttle_login_ok(c, login, &ignore);
    else
        throttle_login_failed(c, login, req->client_ip, &ignore);
    store_login_event(c, user_id, login, ok, req->client_ip,
                      request_header(req, "user-agent"), &ignore);
    if (ignore.code != TG_OK)
        log_warn("auth", "event=login_record_failed code=%s", err_name(ignore.code));
}

/* Throttle check and user lookup on one short-lived connection. Returns 1 found, 0 not,
 * -1 (err set: 429 when throttled). */
static int login_lookup(struct tg_request *req, const char *login, struct user_row *u,
                        struct tg_err *err)
{
    struct store_conn *c = store_get(req->app->pool, err);
    int found = -1;

    if (!c)
        return -1;
    /* Throttling runs before any hashing: a blocked guesser costs one query. */
    if (throttle_login_check(c, login, req->client_ip, err) == 0)
        found = store_user_by_login(c, login, u, err);
    store_put(req->app->pool, c);
    return found;
}

TG_HANDLER(client_login)
{
    json_t *body = request_json(req, err), *out = NULL;
    const char *login = NULL, *pw = NULL;
    struct store_conn *c = NULL;
    struct user_row u;
    int remember = 0, found, ok;
    json_error_t jerr;

    if (!body)
        return -1;
    if (json_unpack_ex(body, &jerr, 0, "{s:s, s:s, s?b}", "login", &login, "password",
                       &pw, "remember", &remember) != 0) {
        err_set_field(err, TG_EINVAL, "login",
                      "expected {\"login\": string, \"password\": string}: %s",
                      jerr.text);
        goto out;
    }
    if (strlen(login) == 0 || strlen(login) > 254 || strlen(pw) > PASSWORD_MAX_LEN) {
        err_set_field(err, TG_EINVAL, "login", "login or password has a bad length");
        goto out;
    }
    found = login_lookup(req, login, &u, err);
    if (found < 0)
        goto out;
    /* Unknown users are checked against a dummy hash: same time as a wrong password. */
    ok = password_verify(found && u.password_hash[0] ? u.password_hash : NULL, pw);
    if (ok < 0) {
        err_set(err, TG_EINTERNAL, "cannot check the password");
        goto out;
    }
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    login_record(req, c, login, found ? u.id : 0, ok == 1 && found);
    if (ok != 1 || !found) {
        err_set(err, TG_EAUTH, "invalid login or password");
        goto out;
    }
    if (strcmp(u.status, "active") != 0) {
        err_set(err, TG_EDENIED, "this account is %s", u.status);
        goto out;
    }
    out = issue_tokens(req, c, &u, NULL, remember, err);
    if (out)
        store_user_touch_login(c, u.id, err);
out:
    store_put(req->app->pool, c);
    json_decref(body);
    return out ? send_tokens(req, out, err) : -1;
}

TG_HANDLER(client_refresh)
{
    json_t *body = request_json(req, err), *out = NULL;
    const char *tok = NULL;
    struct store_conn *c = NULL;
    struct session_row s;
    struct user_row u;
    unsigned char hash[32];
    int rc;

    if (!body)
        return -1;
    if (json_unpack(body, "{s:s}", "refresh_token", &tok) != 0 || strlen(tok) > 128) {
        err_set_field(err, TG_EINVAL, "refresh_token", "refresh_token must be a string");
        goto out;
    }
    crypto_sha256(tok, strlen(tok), hash);
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    rc = store_session_by_hash(c, hash, &s, err);
    if (rc <= 0) {
        if (rc == 0)
            err_set(err, TG_EAUTH, "invalid refresh token");
        goto out;
    }
    if (strcmp(s.state, "active") != 0 || s.expired) {
        /* A rotated token coming back means it was stolen or replayed: end the family. */
        if (strcmp(s.state, "rotated") == 0)
            store_session_revoke_family(c, s.family, err);
        err_set(err, TG_EAUTH, "refresh token no longer valid; log in again");
        goto out;
    }
    if (store_user_by_id(c, s.user_id, &u, err) != 1 || strcmp(u.status, "active") != 0) {
        err_set(err, TG_EAUTH, "account not active");
        goto out;
    }
    if (store_begin(c, err) != 0)
        goto out;
    if (store_session_rotate(c, s.id, err) != 1) {
        store_rollback(c);
        store_session_revoke_family(c, s.family, err);
        err_set(err, TG_EAUTH, "refresh token no longer valid; log in again");
        goto out;
    }
    out = issue_tokens(req, c, &u, s.family, s.remember, err);
    if (!out || store_commit(c, err) != 0) {
        json_decref(out);
        out = NULL;
    }
out:
    store_put(req->app->pool, c);
    json_decref(body);
    return out ? send_tokens(req, out, err) : -1;
}

TG_HANDLER(client_logout)
{
    struct store_conn *c = store_get(req->app->pool, err);
    json_t *out;
    int rc;

    if (!c)
        return -1;
    rc = store_session_revoke(c, req->who.session_id, err) < 0 ? -1 : 0;
    store_put(req->app->pool, c);
    if (rc != 0)
        return -1;
    out = json_pack("{s:b}", "ok", 1);
    rc = response_send_json(req, 200, out);
    json_decref(out);
    return rc;
}
