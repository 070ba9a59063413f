/* client_register: self-registration with a proof-of-work challenge, e-mail
 * verification, and password reset by mail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/mail.h"
#include "api/portal_check.h"
#include "api/portal_util.h"
#include "api/pow.h"
#include "auth/crypto.h"
#include "auth/password.h"
#include "config/config.h"
#include "limits/throttle.h"
#include "relay/captcha.h"
#include "store/portal.h"
#include "store/store.h"
#include "store/users.h"
#include "util/log.h"

#define VERIFY_TTL_S (48 * 3600)
#define RESET_TTL_S  3600
#define TOKEN_B64    43 /* base64url of 32 random bytes */

/* A fresh single-use mail token: text for the mail into out, its SHA-256 into hash. */
static int new_token(char out[TOKEN_B64 + 1], unsigned char hash[32], struct tg_err *err)
{
    unsigned char raw[32];

    if (crypto_random(raw, sizeof(raw)) != 0)
        return err_set(err, TG_EINTERNAL, "no randomness");
    crypto_b64url_encode(raw, sizeof(raw), out);
    crypto_sha256(out, strlen(out), hash);
    crypto_wipe(raw, sizeof(raw));
    return 0;
}

/* The token of a request body, hashed. Returns 0 or -1 naming "token". */
static int body_token(json_t *body, unsigned char hash[32], struct tg_err *err)
{
    const char *tok;

    if (portal_str(body, "token", 1, 128, &tok, err) != 0)
        return -1;
    crypto_sha256(tok, strlen(tok), hash);
    return 0;
}

/* Mail a link with the token. A failed delivery is logged, not fatal: the user can ask
 * again. */
static void mail_token(const struct tg_config *cfg, const char *to, const char *username,
                       const char *purpose, const char *token)
{
    struct tg_err err = {0};
    char body[1536];
    int reset = strcmp(purpose, "reset") == 0;

    snprintf(
        body, sizeof(body),
        "Hello %s,\n\n%s\n\n  %s/%s?token=%s\n\nor enter this code on the portal:\n\n"
        "Token: %s\n\nThe link works once and expires in %s. %s\n",
        username,
        reset ? "someone asked to reset the password of your tollgate account. To "
                "choose a new password, open this link:"
              : "please confirm the e-mail address of your tollgate account by "
                "opening this link:",
        cfg->public_url, reset ? "reset-password" : "verify-email", token, token,
        reset ? "one hour" : "48 hours",
        reset ? "If you did not ask for this, ignore this mail: your password stays "
                "as it is."
              : "If you did not sign up, ignore this mail.");
    if (mail_send(cfg, to,
                  reset ? "Reset your tollgate password" : "Confirm your e-mail address",
                  body, &err) != 0)
        log_warn("portal", "event=mail_failed purpose=%s code=%s", purpose,
                 err_name(err.code));
    crypto_wipe(body, sizeof(body));
}

TG_HANDLER(client_challenge)
{
    const struct tg_config *cfg = req->app->cfg;
    char ch[POW_MAX_LEN];

    if (pow_challenge(cfg->jwt_key, cfg->jwt_key_len, cfg->pow_difficulty, time(NULL),
                      ch) != 0)
        return err_set(err, TG_EINTERNAL, "cannot make a challenge");
    response_add_header(req, "Cache-Control: no-store");
    return portal_reply(
        req, 200,
        json_pack("{s:s, s:i, s:s, s:i, s:s, s:s?, s:s}", "challenge", ch, "difficulty",
                  cfg->pow_difficulty, "algorithm", "sha256", "expires_in", POW_TTL_S,
                  "captcha", cfg->captcha_provider, "captcha_site_key",
                  cfg->captcha_site_key[0] ? cfg->captcha_site_key : NULL, "rule",
                  "find a nonce (1-64 printable ASCII characters) so that "
                  "SHA-256(challenge + nonce) starts with `difficulty` "
                  "zero bits; send both with the registration"));
}

struct reg_input {
    const char *email_raw, *username, *password, *display_name, *challenge, *nonce;
    const char *captcha_token;
    char email[255];
    int pow; /* the proof of work was checked: spend the challenge */
    char pow_digest[65];
};

/* The captcha provider the config names (captcha_provider), and its secret. With none,
 * registration relies on the proof of work, which works offline. */
static enum captcha_provider captcha_conf(const struct tg_config *cfg,
                                          const char **secret)
{
    enum captcha_provider p = CAPTCHA_NONE;

    if (captcha_provider_parse(cfg->captcha_provider, &p) != 0)
        p = CAPTCHA_NONE; /* config validation already refused anything else */
    *secret = p == CAPTCHA_NONE ? NULL : cfg->captcha_secret;
    return p;
}

/* The anti-bot check: a captcha token when a provider is configured, else the proof of
 * work (pow_difficulty 0 turns it off). Runs before any query or hashing. */
static int reg_antibot(struct tg_request *req, struct reg_input *in, struct tg_err *err)
{
    const struct tg_config *cfg = req->app->cfg;
    const char *secret;
    enum captcha_provider cp = captcha_conf(cfg, &secret);

    if (cp != CAPTCHA_NONE)
        return captcha_verify(cp, secret, in->captcha_token, req->client_ip, err) == 1
                   ? 0
                   : -1;
    if (cfg->pow_difficulty <= 0)
        return 0;
    if (!in->challenge || !in->nonce)
        return err_set_field(err, TG_EINVAL, in->challenge ? "nonce" : "challenge",
                             "challenge and nonce are required; get a challenge from "
                             "/api/client/auth/challenge");
    in->pow = 1;
    return pow_verify(cfg->jwt_key, cfg->jwt_key_len, in->challenge, in->nonce,
                      cfg->pow_difficulty, time(NULL), in->pow_digest, err);
}

static int reg_parse(struct tg_request *req, json_t *body, struct reg_input *in,
                     struct tg_err *err)
{
    static const char *const allowed[] = {"email",         "username",  "password",
                                          "display_name",  "challenge", "nonce",
                                          "captcha_token", NULL};

    if (portal_only_fields(body, allowed, err) != 0 ||
        portal_str(body, "email", 1, 254, &in->email_raw, err) != 0 ||
        portal_str(body, "username", 1, 64, &in->username, err) != 0 ||
        portal_str(body, "password", 1, PASSWORD_MAX_LEN, &in->password, err) != 0 ||
        portal_str(body, "display_name", 0, 512, &in->display_name, err) != 0 ||
        portal_str(body, "challenge", 0, POW_MAX_LEN, &in->challenge, err) != 0 ||
        portal_str(body, "nonce", 0, POW_NONCE_MAX, &in->nonce, err) != 0 ||
        portal_str(body, "captcha_token", 0, 4096, &in->captcha_token, err) != 0)
        return -1;
    if (portal_check_email(in->email_raw, in->email, sizeof(in->email), err) != 0 ||
        portal_check_username(in->username, err) != 0 ||
        portal_check_password(in->password, in->username, in->email, err) != 0 ||
        (in->display_name && portal_check_display_name(in->display_name, err) != 0))
        return -1;
    return reg_antibot(req, in, err);
}

/* Names free and the challenge unspent (spending it). Returns 0 or -1. */
static int reg_precheck(struct store_conn *c, struct reg_input *in, struct tg_err *err)
{
    int user_taken, mail_taken, fresh;

    if (store_portal_taken(c, in->username, in->email, &user_taken, &mail_taken, err) !=
        0)
        return -1;
    if (user_taken)
        return err_set_field(err, TG_ECONFLICT, "username", "that username is taken");
    if (mail_taken)
        return err_set_field(err, TG_ECONFLICT, "email",
                             "that e-mail address is already registered");
    if (!in->pow)
        return 0;
    fresh = store_pow_use(c, in->pow_digest, time(NULL), 2 * POW_TTL_S, err);
    if (fresh < 0)
        return -1;
    return fresh ? 0
                 : err_set_field(err, TG_EINVAL, "challenge",
                                 "challenge already used; get a new one");
}

/* Insert the user and a verification token in one transaction. Returns the id or -1. */
static int64_t reg_insert(struct store_conn *c, const struct tg_config *cfg,
                          const struct reg_input *in, const char *hash,
                          const unsigned char token_hash[32], struct tg_err *err)
{
    int64_t id;

    if (store_begin(c, err) != 0)
        return -1;
    id = store_portal_register(c, in->username, in->email, in->display_name, hash,
                               cfg->new_user_quota, err);
    if (id < 0 ||
        store_email_token_create(c, id, "verify", token_hash, VERIFY_TTL_S, err) != 0 ||
        store_commit(c, err) != 0) {
        store_rollback(c);
        if (err->code == TG_ECONFLICT) { /* a concurrent registration won the race */
            memset(err, 0, sizeof(*err));
            err_set_field(err, TG_ECONFLICT, "username", "username or e-mail is taken");
        }
        return -1;
    }
    return id;
}

TG_HANDLER(client_register)
{
    const struct tg_config *cfg = req->app->cfg;
    json_t *body = request_json(req, err), *out = NULL;
    struct reg_input in = {0};
    struct store_conn *c = NULL;
    unsigned char token_hash[32];
    char token[TOKEN_B64 + 1] = "", *hash = NULL;
    int64_t id = -1;

    if (!body)
        return -1;
    if (!cfg->registration) {
        err_set(err, TG_EDENIED, "self-registration is closed");
        goto out;
    }
    if (reg_parse(req, body, &in, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c || reg_precheck(c, &in, err) != 0)
        goto out;
    store_put(req->app->pool, c); /* never hold a connection while hashing */
    c = NULL;
    hash = password_hash(in.password);
    if (!hash) {
        err_set(err, TG_EINTERNAL, "cannot hash the password");
        goto out;
    }
    if (new_token(token, token_hash, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    id = reg_insert(c, cfg, &in, hash, token_hash, err);
    store_put(req->app->pool, c);
    c = NULL;
    if (id < 0)
        goto out;
    log_info("portal", "event=registered user_id=%lld", (long long)id);
    mail_token(cfg, in.email, in.username, "verify", token);
    out = json_pack("{s:I, s:s, s:s, s:s?, s:b, s:s, s:s, s:I}", "id", (json_int_t)id,
                    "username", in.username, "email", in.email, "display_name",
                    in.display_name, "email_verified", 0, "plan", "free", "status",
                    "active", "quota", (json_int_t)cfg->new_user_quota);
out:
    store_put(req->app->pool, c);
    crypto_free_secret(hash);
    crypto_wipe(token, sizeof(token));
    json_decref(body);
    return out ? portal_reply(req, 201, out) : -1;
}

TG_HANDLER(client_verify_email)
{
    static const char *const allowed[] = {"token", NULL};
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    unsigned char hash[32];
    int64_t user_id = 0;
    int rc = -1, used;

    if (!body)
        return -1;
    if (portal_only_fields(body, allowed, err) != 0 || body_token(body, hash, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c || store_begin(c, err) != 0)
        goto out;
    used = store_email_token_use(c, hash, "verify", &user_id, err);
    if (used == 0)
        err_set_field(err, TG_EINVAL, "token", "token is invalid, used or expired");
    if (used != 1 || store_portal_set_verified(c, user_id, err) != 0 ||
        store_commit(c, err) != 0)
        goto out;
    rc = 0;
out:
    store_put(req->app->pool, c);
    json_decref(body);
    if (rc != 0)
        return -1;
    log_info("portal", "event=email_verified user_id=%lld", (long long)user_id);
    return portal_reply(req, 200, json_pack("{s:b}", "email_verified", 1));
}

/* Make and mail a token to u unless the address had its share of mail. */
static int mail_new_token(struct tg_request *req, struct store_conn *c,
                          const struct user_row *u, const char *purpose, int ttl_s,
                          struct tg_err *err)
{
    char token[TOKEN_B64 + 1];
    unsigned char hash[32];
    int allow = throttle_mail_allow(c, u->email, err);

    if (allow <= 0)
        return allow;
    if (new_token(token, hash, err) != 0 ||
        store_email_token_create(c, u->id, purpose, hash, ttl_s, err) != 0)
        return -1;
    mail_token(req->app->cfg, u->email, u->username, purpose, token);
    crypto_wipe(token, sizeof(token));
    return 1;
}

TG_HANDLER(client_resend_verification)
{
    struct store_conn *c = store_get(req->app->pool, err);
    struct user_row u;
    int rc, sent = 0;

    if (!c)
        return -1;
    rc = store_user_by_id(c, req->who.user_id, &u, err);
    if (rc == 0)
        rc = err_set(err, TG_EAUTH, "session ended; log in again");
    else if (rc == 1 && !u.email[0])
        rc = err_set_field(err, TG_EINVAL, "email", "the account has no e-mail address");
    else if (rc == 1 && !u.email_verified) {
        sent = mail_new_token(req, c, &u, "verify", VERIFY_TTL_S, err);
        if (sent == 0) {
            err->retry_after = 3600;
            rc = err_set(err, TG_ELIMIT, "too many mails to this address; try later");
        } else if (sent < 0) {
            rc = -1;
        }
    }
    store_put(req->app->pool, c);
    if (rc < 0)
        return -1;
    return portal_reply(
        req, 200,
        json_pack("{s:b, s:b}", "email_verified", u.email_verified, "sent", sent > 0));
}

TG_HANDLER(client_forgot_password)
{
    static const char *const allowed[] = {"email", NULL};
    json_t *body = request_json(req, err);
    const char *raw;
    char email[255];
    struct store_conn *c = NULL;
    struct user_row u;
    int rc = -1, found;

    if (!body)
        return -1;
    if (portal_only_fields(body, allowed, err) != 0 ||
        portal_str(body, "email", 1, 254, &raw, err) != 0 ||
        portal_check_email(raw, email, sizeof(email), err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    /* The answer is the same whether or not the address is known. */
    found = store_user_by_login(c, email, &u, err);
    if (found < 0)
        goto out;
    if (found && strcmp(u.email, email) == 0 && strcmp(u.status, "active") == 0 &&
        mail_new_token(req, c, &u, "reset", RESET_TTL_S, err) < 0)
        goto out;
    rc = 0;
out:
    store_put(req->app->pool, c);
    json_decref(body);
    if (rc != 0)
        return -1;
    return portal_reply(req, 200,
                        json_pack("{s:b, s:s}", "ok", 1, "message",
                                  "if the address is registered, a reset link "
                                  "is on its way"));
}

/* The user a live reset token belongs to. Returns 0 or -1 (400 naming "token"). */
static int reset_owner(struct tg_request *req, const unsigned char hash[32],
                       struct user_row *u, struct tg_err *err)
{
    struct store_conn *c = store_get(req->app->pool, err);
    int64_t user_id = 0;
    int rc;

    if (!c)
        return -1;
    rc = store_email_token_peek(c, hash, "reset", &user_id, err);
    if (rc == 1)
        rc = store_user_by_id(c, user_id, u, err);
    store_put(req->app->pool, c);
    if (rc < 0)
        return -1;
    if (rc == 0 || strcmp(u->status, "active") != 0)
        return err_set_field(err, TG_EINVAL, "token",
                             "token is invalid, used or expired");
    return 0;
}

/* Use the token, set the password, end every session, in one transaction. */
static int reset_apply(struct store_conn *c, const unsigned char hash[32],
                       const struct user_row *u, const char *pw_hash, struct tg_err *err)
{
    int64_t owner = 0;
    int used;

    if (store_begin(c, err) != 0)
        return -1;
    used = store_email_token_use(c, hash, "reset", &owner, err);
    if (used == 0 || (used == 1 && owner != u->id))
        err_set_field(err, TG_EINVAL, "token", "token is invalid, used or expired");
    if (used != 1 || owner != u->id ||
        store_user_set_password(c, u->id, pw_hash, err) != 0 ||
        store_session_revoke_user(c, u->id, err) < 0 ||
        store_portal_set_verified(c, u->id, err) != 0 || store_commit(c, err) != 0) {
        store_rollback(c);
        return -1;
    }
    throttle_login_ok(c, u->username, err);
    throttle_login_ok(c, u->email, err);
    return 0;
}

TG_HANDLER(client_reset_password)
{
    static const char *const allowed[] = {"token", "password", NULL};
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    const char *pw;
    unsigned char hash[32];
    struct user_row u;
    char *pw_hash = NULL;
    int rc = -1;

    if (!body)
        return -1;
    if (portal_only_fields(body, allowed, err) != 0 || body_token(body, hash, err) != 0 ||
        portal_str(body, "password", 1, PASSWORD_MAX_LEN, &pw, err) != 0 ||
        reset_owner(req, hash, &u, err) != 0 ||
        portal_check_password(pw, u.username, u.email, err) != 0)
        goto out;
    pw_hash = password_hash(pw);
    if (!pw_hash) {
        err_set(err, TG_EINTERNAL, "cannot hash the password");
        goto out;
    }
    c = store_get(req->app->pool, err);
    if (!c || reset_apply(c, hash, &u, pw_hash, err) != 0)
        goto out;
    rc = 0;
out:
    store_put(req->app->pool, c);
    crypto_free_secret(pw_hash);
    json_decref(body);
    if (rc != 0)
        return -1;
    log_info("portal", "event=password_reset user_id=%lld", (long long)u.id);
    return portal_reply(req, 200, json_pack("{s:b}", "ok", 1));
}
