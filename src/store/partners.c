/* partners: partner rows and signed-call nonces in MySQL. */
#include <string.h>

#include "store/partners.h"
#include "util/str.h"

#define PARTNER_COLS                                                                     \
    "id, name, key_id, status, secret_enc, COALESCE(secret_prev_enc, ''), "              \
    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "                                    \
    "DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ')"

static const char SQL_CREATE[] =
    "INSERT INTO partners (name, key_id, secret_enc) VALUES (?, ?, '')";
static const char SQL_SET_SECRET[] = "UPDATE partners SET secret_enc = ? WHERE id = ?";
/* Assignments run left to right: the previous secret takes the old current one first. */
static const char SQL_ROTATE[] =
    "UPDATE partners SET secret_prev_enc = secret_enc, secret_enc = ? WHERE id = ?";
static const char SQL_BY_KEY[] = "SELECT " PARTNER_COLS " FROM partners WHERE key_id = ?";
static const char SQL_FIND[] =
    "SELECT " PARTNER_COLS " FROM partners WHERE key_id = ? OR name = ? "
    "ORDER BY key_id = ? DESC LIMIT 1";
static const char SQL_LIST[] =
    "SELECT id, name, key_id, status, '', IF(secret_prev_enc IS NULL, '', 'set'), "
    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "
    "DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ'), "
    "(SELECT COUNT(*) FROM users u WHERE u.partner_id = p.id) "
    "FROM partners p ORDER BY id";
static const char SQL_STATUS[] = "UPDATE partners SET status = ? WHERE id = ?";
static const char SQL_NONCE_ADD[] =
    "INSERT INTO nonces (partner_id, nonce, created_at) VALUES (?, ?, ?)";
/* A short lock wait: purging is housekeeping and must never hold a signed call up. */
static const char SQL_NONCE_PURGE[] =
    "SET STATEMENT innodb_lock_wait_timeout = 1 FOR "
    "DELETE FROM nonces WHERE created_at < ? ORDER BY created_at LIMIT ?";

int64_t store_partner_create(struct store_conn *c, const char *name, const char *key_id,
                             struct tg_err *err)
{
    if (store_exec(c, SQL_CREATE, err, "ss", name, key_id) < 0)
        return -1;
    return store_insert_id(c);
}

int store_partner_set_secret(struct store_conn *c, int64_t id, const char *secret_enc,
                             struct tg_err *err)
{
    return store_exec(c, SQL_SET_SECRET, err, "si", secret_enc, id) < 0 ? -1 : 0;
}

int store_partner_rotate(struct store_conn *c, int64_t id, const char *secret_enc,
                         struct tg_err *err)
{
    return store_exec(c, SQL_ROTATE, err, "si", secret_enc, id) < 0 ? -1 : 0;
}

static void row_to_partner(const struct store_res *r, struct partner_row *p)
{
    memset(p, 0, sizeof(*p));
    p->id = store_col_i64(r, 0);
    str_copy(p->name, sizeof(p->name), store_col_str(r, 1));
    str_copy(p->key_id, sizeof(p->key_id), store_col_str(r, 2));
    str_copy(p->status, sizeof(p->status), store_col_str(r, 3));
    str_copy(p->secret_enc, sizeof(p->secret_enc), store_col_str(r, 4));
    str_copy(p->secret_prev_enc, sizeof(p->secret_prev_enc), store_col_str(r, 5));
    str_copy(p->created_at, sizeof(p->created_at), store_col_str(r, 6));
    str_copy(p->updated_at, sizeof(p->updated_at), store_col_str(r, 7));
    if (store_res_cols(r) > 8)
        p->users = store_col_i64(r, 8);
}

static int one_partner(struct store_res *r, struct partner_row *p, struct tg_err *err)
{
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1)
        row_to_partner(r, p);
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

int store_partner_by_key(struct store_conn *c, const char *key_id,
                         struct partner_row *out, struct tg_err *err)
{
    return one_partner(store_query(c, SQL_BY_KEY, err, "s", key_id), out, err);
}

int store_partner_find(struct store_conn *c, const char *name_or_key,
                       struct partner_row *out, struct tg_err *err)
{
    return one_partner(
        store_query(c, SQL_FIND, err, "sss", name_or_key, name_or_key, name_or_key), out,
        err);
}

int store_partner_list(struct store_conn *c,
                       void (*fn)(const struct partner_row *p, void *ctx), void *ctx,
                       struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_LIST, err, "");
    struct partner_row p;
    int n = 0, rc;

    if (!r)
        return -1;
    while ((rc = store_next(r)) == 1) {
        row_to_partner(r, &p);
        fn(&p, ctx);
        n++;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int64_t store_partner_set_status(struct store_conn *c, int64_t id, const char *status,
                                 struct tg_err *err)
{
    return store_exec(c, SQL_STATUS, err, "si", status, id);
}

int store_nonce_add(struct store_conn *c, int64_t partner_id, const char *nonce,
                    int64_t now, struct tg_err *err)
{
    struct tg_err e = {0};

    if (store_exec(c, SQL_NONCE_ADD, &e, "isi", partner_id, nonce, now) >= 0)
        return 1;
    if (e.code == TG_ECONFLICT)
        return 0;
    if (err->code == TG_OK)
        *err = e;
    return -1;
}

int64_t store_nonce_purge(struct store_conn *c, int64_t before, int limit,
                          struct tg_err *err)
{
    return store_exec(c, SQL_NONCE_PURGE, err, "iu", before, limit);
}
