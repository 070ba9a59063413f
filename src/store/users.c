/* users: accounts and portal sessions in MySQL. */
#include <stdio.h>
#include <string.h>

#include "store/users.h"
#include "util/str.h"

#define USER_COLS                                                                        \
    "id, username, COALESCE(email, ''), COALESCE(display_name, ''), role, status, "      \
    "plan, "                                                                             \
    "user_group, email_verified, quota, used_quota, request_count, "                     \
    "COALESCE(password_hash, ''), DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "       \
    "COALESCE(DATE_FORMAT(last_login_at, '%Y-%m-%dT%H:%i:%sZ'), ''), is_external, "      \
    "COALESCE(external_user_id, '')"

static const char SQL_CREATE[] = "INSERT INTO users (username, email, password_hash, "
                                 "role, quota) VALUES (?, ?, ?, ?, ?)";
static const char SQL_BY_LOGIN[] =
    "SELECT " USER_COLS " FROM users WHERE (username = ? OR email = LOWER(?)) "
    "AND status <> 'deleted' LIMIT 1";
static const char SQL_BY_ID[] = "SELECT " USER_COLS " FROM users WHERE id = ?";
static const char SQL_TOUCH[] = "UPDATE users SET last_login_at = CURRENT_TIMESTAMP(3) "
                                "WHERE id = ?";
static const char SQL_SET_PW[] = "UPDATE users SET password_hash = ? WHERE id = ?";
static const char SQL_LIST[] =
    "SELECT " USER_COLS " FROM users WHERE (? = '' OR username LIKE CONCAT(?, '%') "
    "OR email LIKE CONCAT(LOWER(?), '%')) ORDER BY id DESC LIMIT ? OFFSET ?";

static const char SQL_SESS_CREATE[] =
    "INSERT INTO sessions (user_id, family, token_hash, remember, ip, user_agent, "
    "expires_at) VALUES (?, ?, ?, ?, ?, ?, "
    "CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND)";
static const char SQL_SESS_BY_HASH[] =
    "SELECT id, user_id, family, state, remember, expires_at < CURRENT_TIMESTAMP(3) "
    "FROM sessions WHERE token_hash = ?";
static const char SQL_SESS_ACTIVE[] =
    "SELECT COUNT(*) FROM sessions WHERE id = ? AND state IN ('active', 'rotated') "
    "AND expires_at > CURRENT_TIMESTAMP(3)";
static const char SQL_SESS_ROTATE[] =
    "UPDATE sessions SET state = 'rotated' WHERE id = ? AND state = 'active'";
static const char SQL_SESS_REVOKE_FAMILY[] =
    "UPDATE sessions SET state = 'revoked' WHERE family = ? AND state <> 'revoked'";
static const char SQL_SESS_REVOKE_USER[] =
    "UPDATE sessions SET state = 'revoked' WHERE user_id = ? AND state <> 'revoked'";
static const char SQL_SESS_REVOKE[] =
    "UPDATE sessions SET state = 'revoked' WHERE family = "
    "(SELECT family FROM (SELECT family FROM sessions WHERE id = ?) s)";

int64_t store_user_create(struct store_conn *c, const char *username, const char *email,
                          const char *password_hash, const char *role, int64_t quota,
                          struct tg_err *err)
{
    if (store_exec(c, SQL_CREATE, err, "ssssi", username, email, password_hash, role,
                   quota) < 0)
        return -1;
    return store_insert_id(c);
}

static void row_to_user(const struct store_res *r, struct user_row *u)
{
    memset(u, 0, sizeof(*u));
    u->id = store_col_i64(r, 0);
    str_copy(u->username, sizeof(u->username), store_col_str(r, 1));
    str_copy(u->email, sizeof(u->email), store_col_str(r, 2));
    str_copy(u->display_name, sizeof(u->display_name), store_col_str(r, 3));
    str_copy(u->role, sizeof(u->role), store_col_str(r, 4));
    str_copy(u->status, sizeof(u->status), store_col_str(r, 5));
    str_copy(u->plan, sizeof(u->plan), store_col_str(r, 6));
    str_copy(u->group, sizeof(u->group), store_col_str(r, 7));
    u->email_verified = (int)store_col_i64(r, 8);
    u->quota = store_col_i64(r, 9);
    u->used_quota = store_col_i64(r, 10);
    u->request_count = store_col_i64(r, 11);
    str_copy(u->password_hash, sizeof(u->password_hash), store_col_str(r, 12));
    str_copy(u->created_at, sizeof(u->created_at), store_col_str(r, 13));
    str_copy(u->last_login_at, sizeof(u->last_login_at), store_col_str(r, 14));
    u->is_external = (int)store_col_i64(r, 15);
    str_copy(u->external_user_id, sizeof(u->external_user_id), store_col_str(r, 16));
}

static int one_user(struct store_res *r, struct user_row *u, struct tg_err *err)
{
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1)
        row_to_user(r, u);
    else if (rc < 0)
        err_set(err, TG_EINTERNAL, "database error");
    store_res_free(r);
    return rc;
}

int store_user_by_login(struct store_conn *c, const char *login, struct user_row *u,
                        struct tg_err *err)
{
    return one_user(store_query(c, SQL_BY_LOGIN, err, "ss", login, login), u, err);
}

int store_user_by_id(struct store_conn *c, int64_t id, struct user_row *u,
                     struct tg_err *err)
{
    return one_user(store_query(c, SQL_BY_ID, err, "i", id), u, err);
}

int store_user_touch_login(struct store_conn *c, int64_t id, struct tg_err *err)
{
    return store_exec(c, SQL_TOUCH, err, "i", id) < 0 ? -1 : 0;
}

int store_user_set_password(struct store_conn *c, int64_t id, const char *hash,
                            struct tg_err *err)
{
    return store_exec(c, SQL_SET_PW, err, "si", hash, id) < 0 ? -1 : 0;
}

int store_user_list(struct store_conn *c, const char *q, int limit, int offset,
                    void (*fn)(const struct user_row *u, void *ctx), void *ctx,
                    struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_LIST, err, "sssuu", q, q, q, limit, offset);
    struct user_row u;
    int n = 0, rc;

    if (!r)
        return -1;
    while ((rc = store_next(r)) == 1) {
        row_to_user(r, &u);
        fn(&u, ctx);
        n++;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int64_t store_session_create(struct store_conn *c, int64_t user_id, const char *family,
                             const unsigned char hash[32], int ttl_s, int remember,
                             const char *ip, const char *ua, struct tg_err *err)
{
    if (store_exec(c, SQL_SESS_CREATE, err, "isbussu", user_id, family, hash, (size_t)32,
                   remember, ip, ua, ttl_s) < 0)
        return -1;
    return store_insert_id(c);
}

int store_session_by_hash(struct store_conn *c, const unsigned char hash[32],
                          struct session_row *s, struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_SESS_BY_HASH, err, "b", hash, (size_t)32);
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1) {
        memset(s, 0, sizeof(*s));
        s->id = store_col_i64(r, 0);
        s->user_id = store_col_i64(r, 1);
        str_copy(s->family, sizeof(s->family), store_col_str(r, 2));
        str_copy(s->state, sizeof(s->state), store_col_str(r, 3));
        s->remember = (int)store_col_i64(r, 4);
        s->expired = (int)store_col_i64(r, 5);
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

int store_session_active(struct store_conn *c, int64_t session_id, struct tg_err *err)
{
    int64_t n = 0;

    if (store_query_i64(c, SQL_SESS_ACTIVE, &n, err, "i", session_id) < 0)
        return -1;
    return n > 0;
}

int64_t store_session_rotate(struct store_conn *c, int64_t id, struct tg_err *err)
{
    return store_exec(c, SQL_SESS_ROTATE, err, "i", id);
}

int64_t store_session_revoke_family(struct store_conn *c, const char *family,
                                    struct tg_err *err)
{
    return store_exec(c, SQL_SESS_REVOKE_FAMILY, err, "s", family);
}

int64_t store_session_revoke_user(struct store_conn *c, int64_t user_id,
                                  struct tg_err *err)
{
    return store_exec(c, SQL_SESS_REVOKE_USER, err, "i", user_id);
}

int64_t store_session_revoke(struct store_conn *c, int64_t id, struct tg_err *err)
{
    return store_exec(c, SQL_SESS_REVOKE, err, "i", id);
}
