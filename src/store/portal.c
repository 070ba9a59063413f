/* portal: self-service account rows in MySQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/portal.h"

static const char SQL_TAKEN[] = "SELECT (SELECT COUNT(*) FROM users WHERE username = ?), "
                                "(SELECT COUNT(*) FROM users WHERE email = ?)";
static const char SQL_REGISTER[] =
    "INSERT INTO users (username, email, display_name, password_hash, role, quota, plan, "
    "login_type) VALUES (?, ?, ?, ?, 'user', ?, 'free', 'password')";
static const char SQL_GRANT[] =
    "INSERT INTO ledger (user_id, kind, amount, state, settled_at) "
    "VALUES (?, 'grant', ?, 'settled', CURRENT_TIMESTAMP(3))";
static const char SQL_VERIFIED[] = "UPDATE users SET email_verified = 1 WHERE id = ?";
static const char SQL_SETTINGS[] =
    "SELECT COALESCE(settings, '{}') FROM users WHERE id = ?";
static const char SQL_PROFILE[] =
    "UPDATE users SET display_name = IF(?, ?, display_name), "
    "username = COALESCE(?, username), settings = COALESCE(?, settings) "
    "WHERE id = ? AND status = 'active'";
static const char SQL_SCRUB[] =
    "UPDATE users SET status = 'deleted', username = CONCAT('deleted-', id), email = "
    "NULL, "
    "display_name = NULL, password_hash = NULL, phone = NULL, wechat_openid = NULL, "
    "wechat_unionid = NULL, alipay_userid = NULL, external_user_id = NULL, "
    "external_data = NULL, settings = NULL, totp_secret = NULL, totp_enabled = 0 "
    "WHERE id = ? AND status <> 'deleted'";
static const char SQL_SCRUB_KEYS[] =
    "UPDATE api_keys SET status = 'revoked' WHERE user_id = ? AND status <> 'revoked'";
static const char SQL_SCRUB_SESSIONS[] =
    "UPDATE sessions SET state = 'revoked', ip = NULL, "
    "user_agent = NULL WHERE user_id = ?";
static const char SQL_SCRUB_TOKENS[] = "DELETE FROM email_tokens WHERE user_id = ?";
static const char SQL_SCRUB_EVENTS[] = "DELETE FROM login_events WHERE user_id = ?";
static const char SQL_STATUS[] = "UPDATE users SET status = ? WHERE id = ? "
                                 "AND status <> 'deleted'";
static const char SQL_PLAN[] =
    "UPDATE users SET plan = ? WHERE id = ? AND status <> 'deleted'";
static const char SQL_PLAN_KEYS[] =
    "UPDATE api_keys SET rpm = IF(rpm = 0 OR rpm > ?, ?, rpm), "
    "rpd = IF(rpd = 0 OR rpd > ?, ?, rpd), tpm = IF(tpm = 0 OR tpm > ?, ?, tpm), "
    "max_concurrency = IF(max_concurrency = 0 OR max_concurrency > ?, ?, "
    "max_concurrency) "
    "WHERE user_id = ? AND status <> 'revoked'";

static const char SQL_TOKEN_VOID[] =
    "UPDATE email_tokens SET used_at = CURRENT_TIMESTAMP(3) WHERE user_id = ? "
    "AND purpose = ? AND used_at IS NULL";
static const char SQL_TOKEN_CREATE[] =
    "INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at) "
    "VALUES (?, ?, ?, CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND)";
static const char SQL_TOKEN_PEEK[] =
    "SELECT user_id FROM email_tokens WHERE token_hash = ? AND purpose = ? "
    "AND used_at IS NULL AND expires_at > CURRENT_TIMESTAMP(3)";
static const char SQL_TOKEN_USE[] =
    "UPDATE email_tokens SET used_at = CURRENT_TIMESTAMP(3) WHERE token_hash = ? "
    "AND purpose = ? AND used_at IS NULL AND expires_at > CURRENT_TIMESTAMP(3)";
static const char SQL_TOKEN_OWNER[] =
    "SELECT user_id FROM email_tokens WHERE token_hash = ?";

static const char SQL_LOGIN_EVENT[] =
    "INSERT INTO login_events (user_id, login, ok, ip, user_agent) "
    "VALUES (NULLIF(?, 0), LEFT(?, 254), ?, LEFT(?, 45), LEFT(?, 255))";

/* Registration challenges share the replay table of signed partner calls under partner
 * id 0, which no partner has. */
static const char SQL_POW_USE[] =
    "INSERT INTO nonces (partner_id, nonce, created_at) VALUES (0, ?, ?)";
static const char SQL_POW_PURGE[] =
    "DELETE FROM nonces WHERE partner_id = 0 AND created_at < ? LIMIT 1000";

static const char SQL_KEY_LOCK_USER[] = "SELECT id FROM users WHERE id = ? FOR UPDATE";
static const char SQL_KEY_COUNT[] =
    "SELECT COUNT(*) FROM api_keys WHERE user_id = ? AND status <> 'revoked'";
static const char SQL_KEY_UPDATE[] =
    "UPDATE api_keys SET name = IF(?, ?, name), description = IF(?, ?, description), "
    "services = IF(?, ?, services), models = IF(?, ?, models), "
    "ip_allow = IF(?, ?, ip_allow), "
    "quota_limit = IF(?, IF(? < 0, NULL, ?), quota_limit), rpm = IF(?, ?, rpm), "
    "rpd = IF(?, ?, rpd), tpm = IF(?, ?, tpm), "
    "max_concurrency = IF(?, ?, max_concurrency), "
    "expires_at = IF(?, CURRENT_TIMESTAMP(3) + INTERVAL ? DAY, expires_at), "
    "status = COALESCE(?, status) "
    "WHERE id = ? AND user_id = ? AND status <> 'revoked'";

static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (actor_user_id, action, target_type, target_id, detail, ip) "
    "VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?)";

int store_portal_taken(struct store_conn *c, const char *username, const char *email,
                       int *username_taken, int *email_taken, struct tg_err *err)
{
    int64_t v[2];
    int rc = store_query_ints(c, SQL_TAKEN, v, 2, err, "ss", username, email);

    *username_taken = v[0] > 0;
    *email_taken = v[1] > 0;
    return rc < 0 ? -1 : 0;
}

int64_t store_portal_register(struct store_conn *c, const char *username,
                              const char *email, const char *display_name,
                              const char *password_hash, int64_t quota,
                              struct tg_err *err)
{
    int64_t id;

    if (store_exec(c, SQL_REGISTER, err, "ssssi", username, email, display_name,
                   password_hash, quota) < 0)
        return -1;
    id = store_insert_id(c);
    if (quota > 0 && store_exec(c, SQL_GRANT, err, "ii", id, quota) < 0)
        return -1;
    return id;
}

int store_portal_set_verified(struct store_conn *c, int64_t user_id, struct tg_err *err)
{
    return store_exec(c, SQL_VERIFIED, err, "i", user_id) < 0 ? -1 : 0;
}

int store_portal_settings(struct store_conn *c, int64_t user_id, char **out,
                          struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_SETTINGS, err, "i", user_id);
    int rc;

    *out = NULL;
    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1) {
        *out = strdup(store_col_str(r, 0) ? store_col_str(r, 0) : "{}");
        if (!*out)
            rc = -1;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

int64_t store_portal_profile_update(struct store_conn *c, int64_t user_id,
                                    const struct profile_update *u, struct tg_err *err)
{
    return store_exec(c, SQL_PROFILE, err, "usssi", u->set_display_name, u->display_name,
                      u->username, u->settings, user_id);
}

int64_t store_portal_scrub(struct store_conn *c, int64_t user_id, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_SCRUB, err, "i", user_id);

    if (n <= 0)
        return n;
    if (store_exec(c, SQL_SCRUB_KEYS, err, "i", user_id) < 0 ||
        store_exec(c, SQL_SCRUB_SESSIONS, err, "i", user_id) < 0 ||
        store_exec(c, SQL_SCRUB_TOKENS, err, "i", user_id) < 0 ||
        store_exec(c, SQL_SCRUB_EVENTS, err, "i", user_id) < 0)
        return -1;
    store_key_changed();
    return n;
}

int64_t store_portal_set_status(struct store_conn *c, int64_t user_id, const char *status,
                                struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_STATUS, err, "si", status, user_id);

    if (n > 0)
        store_key_changed();
    return n;
}

int64_t store_portal_set_plan(struct store_conn *c, int64_t user_id, const char *plan,
                              int rpm, int rpd, int tpm, int conc, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_PLAN, err, "si", plan, user_id);

    if (n < 0)
        return -1;
    if (store_exec(c, SQL_PLAN_KEYS, err, "uuuuuuuui", rpm, rpm, rpd, rpd, tpm, tpm, conc,
                   conc, user_id) < 0)
        return -1;
    store_key_changed();
    return n;
}

int store_email_token_create(struct store_conn *c, int64_t user_id, const char *purpose,
                             const unsigned char hash[32], int ttl_s, struct tg_err *err)
{
    if (store_exec(c, SQL_TOKEN_VOID, err, "is", user_id, purpose) < 0 ||
        store_exec(c, SQL_TOKEN_CREATE, err, "isbu", user_id, purpose, hash, (size_t)32,
                   ttl_s) < 0)
        return -1;
    return 0;
}

int store_email_token_peek(struct store_conn *c, const unsigned char hash[32],
                           const char *purpose, int64_t *user_id, struct tg_err *err)
{
    return store_query_i64(c, SQL_TOKEN_PEEK, user_id, err, "bs", hash, (size_t)32,
                           purpose);
}

int store_email_token_use(struct store_conn *c, const unsigned char hash[32],
                          const char *purpose, int64_t *user_id, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_TOKEN_USE, err, "bs", hash, (size_t)32, purpose);

    if (n <= 0)
        return (int)n;
    return store_query_i64(c, SQL_TOKEN_OWNER, user_id, err, "b", hash, (size_t)32);
}

int store_login_event(struct store_conn *c, int64_t user_id, const char *login, int ok,
                      const char *ip, const char *user_agent, struct tg_err *err)
{
    return store_exec(c, SQL_LOGIN_EVENT, err, "isuss", user_id, login, ok, ip,
                      user_agent) < 0
               ? -1
               : 0;
}

int store_pow_use(struct store_conn *c, const char *digest_hex, int64_t now_s,
                  int64_t keep_s, struct tg_err *err)
{
    struct tg_err dup = {0};

    if (store_exec(c, SQL_POW_PURGE, err, "i", now_s - keep_s) < 0)
        return -1;
    if (store_exec(c, SQL_POW_USE, &dup, "si", digest_hex, now_s) >= 0)
        return 1;
    if (dup.code == TG_ECONFLICT)
        return 0;
    *err = dup;
    return -1;
}

int store_portal_key_count_locked(struct store_conn *c, int64_t user_id, int64_t *n,
                                  struct tg_err *err)
{
    int64_t id = 0;

    *n = 0;
    if (store_query_i64(c, SQL_KEY_LOCK_USER, &id, err, "i", user_id) < 0 ||
        store_query_i64(c, SQL_KEY_COUNT, n, err, "i", user_id) < 0)
        return -1;
    return 0;
}

int64_t store_portal_key_update(struct store_conn *c, int64_t id, int64_t user_id,
                                const struct key_update *u, struct tg_err *err)
{
    int64_t n = store_exec(
        c, SQL_KEY_UPDATE, err, "usususususuiiuuuuuuuuuusii", u->set_name, u->name,
        u->set_description, u->description, u->set_services, u->services, u->set_models,
        u->models, u->set_ip_allow, u->ip_allow, u->set_quota_limit, u->quota_limit,
        u->quota_limit, u->set_rpm, u->rpm, u->set_rpd, u->rpd, u->set_tpm, u->tpm,
        u->set_conc, u->conc, u->set_expires, u->expires_days, u->status, id, user_id);

    if (n > 0)
        store_key_changed();
    return n;
}

int store_audit(struct store_conn *c, int64_t actor_user_id, const char *action,
                const char *target_type, int64_t target_id, const char *detail,
                const char *ip, struct tg_err *err)
{
    char tid[24];

    snprintf(tid, sizeof(tid), "%lld", (long long)target_id);
    return store_exec(c, SQL_AUDIT, err, "isssss", actor_user_id, action, target_type,
                      tid, detail, ip) < 0
               ? -1
               : 0;
}
