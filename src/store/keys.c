/* keys: API key rows in MySQL. */
#include <stdio.h>
#include <string.h>

#include "store/keys.h"
#include "util/str.h"

#define KEY_COLS                                                                         \
    "k.id, k.user_id, k.name, k.description, k.prefix, k.last4, k.status, k.services, "  \
    "COALESCE(k.models, ''), COALESCE(k.ip_allow, ''), COALESCE(k.quota_limit, -1), "    \
    "k.quota_used, k.rpm, k.rpd, k.tpm, k.max_concurrency, "                             \
    "COALESCE(UNIX_TIMESTAMP(k.expires_at), 0), k.request_count, "                       \
    "COALESCE(DATE_FORMAT(k.last_used_at, '%Y-%m-%dT%H:%i:%sZ'), ''), "                  \
    "DATE_FORMAT(k.created_at, '%Y-%m-%dT%H:%i:%sZ')"
#define KEY_NCOLS 20

static const char SQL_CREATE[] =
    "INSERT INTO api_keys (user_id, name, description, prefix, last4, key_hash, "
    "services, "
    "models, ip_allow, quota_limit, rpm, rpd, tpm, max_concurrency, expires_at, "
    "idempotency_key) VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, 'claude,codex,openai'), ?, "
    "?, "
    "IF(? < 0, NULL, ?), ?, ?, ?, ?, "
    "IF(? > 0, CURRENT_TIMESTAMP(3) + INTERVAL ? DAY, NULL), ?)";
static const char SQL_BY_HASH[] =
    "SELECT " KEY_COLS ", u.status, u.user_group, u.quota FROM api_keys k "
    "JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?";
static const char SQL_GET[] = "SELECT " KEY_COLS " FROM api_keys k WHERE k.id = ? "
                              "AND (? = 0 OR k.user_id = ?)";
static const char SQL_BY_IDEM[] =
    "SELECT " KEY_COLS " FROM api_keys k WHERE k.user_id = ? "
    "AND k.idempotency_key = ?";
static const char SQL_LIST[] = "SELECT " KEY_COLS " FROM api_keys k WHERE (? = 0 OR "
                               "k.user_id = ?) ORDER BY k.id DESC LIMIT ? OFFSET ?";
static const char SQL_STATUS[] = "UPDATE api_keys SET status = ? WHERE id = ? "
                                 "AND (? = 0 OR user_id = ?) AND status <> 'revoked'";
static const char SQL_SECRET[] =
    "UPDATE api_keys SET key_hash = ?, prefix = ?, last4 = ? WHERE id = ? "
    "AND (? = 0 OR user_id = ?) AND status <> 'revoked'";
static const char SQL_REVOKE_USER[] =
    "UPDATE api_keys SET status = 'revoked' WHERE user_id = ? AND status <> 'revoked'";

int64_t store_key_create(struct store_conn *c, const struct key_new *k,
                         const unsigned char hash[32], const char *prefix,
                         const char *last4, struct tg_err *err)
{
    if (store_exec(c, SQL_CREATE, err, "issssbsssiiuuuuuus", k->user_id,
                   k->name ? k->name : "", k->description ? k->description : "", prefix,
                   last4, hash, (size_t)32, k->services, k->models, k->ip_allow,
                   k->quota_limit, k->quota_limit, k->rpm, k->rpd, k->tpm,
                   k->max_concurrency, k->expires_days, k->expires_days,
                   k->idempotency_key) < 0)
        return -1;
    return store_insert_id(c);
}

static void row_to_key(const struct store_res *r, struct key_row *k)
{
    memset(k, 0, sizeof(*k));
    k->id = store_col_i64(r, 0);
    k->user_id = store_col_i64(r, 1);
    str_copy(k->name, sizeof(k->name), store_col_str(r, 2));
    str_copy(k->description, sizeof(k->description), store_col_str(r, 3));
    str_copy(k->prefix, sizeof(k->prefix), store_col_str(r, 4));
    str_copy(k->last4, sizeof(k->last4), store_col_str(r, 5));
    str_copy(k->status, sizeof(k->status), store_col_str(r, 6));
    str_copy(k->services, sizeof(k->services), store_col_str(r, 7));
    str_copy(k->models, sizeof(k->models), store_col_str(r, 8));
    str_copy(k->ip_allow, sizeof(k->ip_allow), store_col_str(r, 9));
    k->quota_limit = store_col_i64(r, 10);
    k->quota_used = store_col_i64(r, 11);
    k->rpm = (int)store_col_i64(r, 12);
    k->rpd = (int)store_col_i64(r, 13);
    k->tpm = (int)store_col_i64(r, 14);
    k->max_concurrency = (int)store_col_i64(r, 15);
    k->expires_at = store_col_i64(r, 16);
    k->request_count = store_col_i64(r, 17);
    str_copy(k->last_used_at, sizeof(k->last_used_at), store_col_str(r, 18));
    str_copy(k->created_at, sizeof(k->created_at), store_col_str(r, 19));
}

static int one_key(struct store_res *r, struct key_row *k, struct tg_err *err)
{
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1)
        row_to_key(r, k);
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

int store_key_by_hash(struct store_conn *c, const unsigned char hash[32],
                      struct apikey_info *out, struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_BY_HASH, err, "b", hash, (size_t)32);
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1) {
        row_to_key(r, &out->key);
        str_copy(out->user_status, sizeof(out->user_status), store_col_str(r, KEY_NCOLS));
        str_copy(out->user_group, sizeof(out->user_group),
                 store_col_str(r, KEY_NCOLS + 1));
        out->user_quota = store_col_i64(r, KEY_NCOLS + 2);
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

int store_key_get(struct store_conn *c, int64_t id, int64_t user_id, struct key_row *out,
                  struct tg_err *err)
{
    return one_key(store_query(c, SQL_GET, err, "iii", id, user_id, user_id), out, err);
}

int store_key_by_idem(struct store_conn *c, int64_t user_id, const char *idem,
                      struct key_row *out, struct tg_err *err)
{
    return one_key(store_query(c, SQL_BY_IDEM, err, "is", user_id, idem), out, err);
}

int store_key_list(struct store_conn *c, int64_t user_id, int limit, int offset,
                   void (*fn)(const struct key_row *k, void *ctx), void *ctx,
                   struct tg_err *err)
{
    struct store_res *r =
        store_query(c, SQL_LIST, err, "iiuu", user_id, user_id, limit, offset);
    struct key_row k;
    int n = 0, rc;

    if (!r)
        return -1;
    while ((rc = store_next(r)) == 1) {
        row_to_key(r, &k);
        fn(&k, ctx);
        n++;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int64_t store_key_set_status(struct store_conn *c, int64_t id, int64_t user_id,
                             const char *status, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_STATUS, err, "siii", status, id, user_id, user_id);

    if (n > 0)
        store_key_changed();
    return n;
}

int64_t store_key_set_secret(struct store_conn *c, int64_t id, int64_t user_id,
                             const unsigned char hash[32], const char *prefix,
                             const char *last4, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_SECRET, err, "bssiii", hash, (size_t)32, prefix, last4,
                           id, user_id, user_id);

    if (n > 0)
        store_key_changed();
    return n;
}

int64_t store_key_revoke_user(struct store_conn *c, int64_t user_id, struct tg_err *err)
{
    int64_t n = store_exec(c, SQL_REVOKE_USER, err, "i", user_id);

    if (n > 0)
        store_key_changed();
    return n;
}
