/* partner_cmds: tollgatectl partner create | list | rotate | disable | enable. A partner
 * is an operator site that calls the external user API with a key id and an HMAC
 * secret; the secret is shown once and kept sealed under the master key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "ctl/ctl.h"
#include "store/partners.h"
#include "util/str.h"

#define SECRET_TEXT_MAX 64

/* "tgpk_" + 20 hex characters. */
static int new_key_id(char out[32])
{
    unsigned char rnd[10];

    if (crypto_random(rnd, sizeof(rnd)) != 0)
        return -1;
    memcpy(out, "tgpk_", 5);
    str_hex(rnd, sizeof(rnd), out + 5);
    return 0;
}

/* "tgps_" + 43 base64url characters (32 random bytes). */
static int new_secret(char out[SECRET_TEXT_MAX])
{
    unsigned char rnd[32];

    if (crypto_random(rnd, sizeof(rnd)) != 0)
        return -1;
    memcpy(out, "tgps_", 5);
    crypto_b64url_encode(rnd, sizeof(rnd), out + 5);
    crypto_wipe(rnd, sizeof(rnd));
    return 0;
}

/* Seal secret for partner id. Returns a malloc'd string or NULL. */
static char *seal(const struct ctl *ctl, int64_t id, const char *secret)
{
    char aad[48];

    snprintf(aad, sizeof(aad), PARTNER_AAD_FMT, (long long)id);
    return crypto_seal(ctl->cfg.master_key, ctl->cfg.master_kid, aad, secret,
                       strlen(secret));
}

static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > 128 || !str_valid_utf8(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* Insert the row, then seal the secret with the new id as AAD, in one transaction. */
static int64_t create_row(struct ctl *ctl, const char *name, const char *key_id,
                          const char *secret, struct tg_err *err)
{
    char *enc = NULL;
    int64_t id;

    if (store_begin(ctl->conn, err) != 0)
        return -1;
    id = store_partner_create(ctl->conn, name, key_id, err);
    if (id > 0) {
        enc = seal(ctl, id, secret);
        if (!enc)
            err_set(err, TG_EINTERNAL, "cannot seal the secret (master key?)");
    }
    if (id <= 0 || !enc || store_partner_set_secret(ctl->conn, id, enc, err) != 0 ||
        store_commit(ctl->conn, err) != 0) {
        store_rollback(ctl->conn);
        free(enc);
        return -1;
    }
    free(enc);
    return id;
}

static int cmd_create(struct ctl *ctl)
{
    const char *name = ctl_arg(ctl, 0);
    char key_id[32], secret[SECRET_TEXT_MAX];
    struct tg_err err = {0};
    int64_t id;
    json_t *out;

    if (!name_ok(name))
        return ctl_fail(ctl, "usage: partner create NAME (1 to 128 characters)");
    if (new_key_id(key_id) != 0 || new_secret(secret) != 0)
        return ctl_fail(ctl, "no randomness");
    id = create_row(ctl, name, key_id, secret, &err);
    if (id < 0) {
        crypto_wipe(secret, sizeof(secret));
        return ctl_fail(ctl, "%s",
                        err.code == TG_ECONFLICT
                            ? "a partner with that name already exists"
                            : err.msg);
    }
    out = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "name", name,
                    "key_id", key_id, "secret", secret, "note",
                    "store the secret now: it is not shown again");
    crypto_wipe(secret, sizeof(secret));
    return ctl_print(ctl, out);
}

static void add_partner(const struct partner_row *p, void *ctx)
{
    json_array_append_new(
        ctx, json_pack("{s:I, s:s, s:s, s:s, s:b, s:I, s:s, s:s}", "id",
                       (json_int_t)p->id, "name", p->name, "key_id", p->key_id, "status",
                       p->status, "previous_secret_valid", p->secret_prev_enc[0] != '\0',
                       "users", (json_int_t)p->users, "created_at", p->created_at,
                       "updated_at", p->updated_at));
}

static int cmd_list(struct ctl *ctl)
{
    struct tg_err err = {0};
    json_t *items = json_array();

    if (!items || store_partner_list(ctl->conn, add_partner, items, &err) < 0) {
        json_decref(items);
        return ctl_fail(ctl, "%s", err.msg[0] ? err.msg : "out of memory");
    }
    return ctl_print(ctl, json_pack("{s:o}", "partners", items));
}

/* The partner named by the first argument (key id or name). Returns 0 or ctl_fail's 1. */
static int find(struct ctl *ctl, const char *verb, struct partner_row *p)
{
    const char *which = ctl_arg(ctl, 0);
    struct tg_err err = {0};
    int rc;

    if (!which)
        return ctl_fail(ctl, "usage: partner %s NAME|KEY_ID", verb);
    rc = store_partner_find(ctl->conn, which, p, &err);
    if (rc < 0)
        return ctl_fail(ctl, "%s", err.msg);
    if (rc == 0)
        return ctl_fail(ctl, "no partner named or keyed '%s'", which);
    return 0;
}

static int cmd_rotate(struct ctl *ctl)
{
    struct partner_row p;
    struct tg_err err = {0};
    char secret[SECRET_TEXT_MAX], *enc;
    json_t *out;

    if (find(ctl, "rotate", &p) != 0)
        return 1;
    if (new_secret(secret) != 0)
        return ctl_fail(ctl, "no randomness");
    enc = seal(ctl, p.id, secret);
    if (!enc || store_partner_rotate(ctl->conn, p.id, enc, &err) != 0) {
        free(enc);
        crypto_wipe(secret, sizeof(secret));
        return ctl_fail(ctl, "%s",
                        enc ? err.msg : "cannot seal the secret (master key?)");
    }
    free(enc);
    out = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)p.id, "name", p.name,
                    "key_id", p.key_id, "secret", secret, "note",
                    "the previous secret stays valid until the next rotate");
    crypto_wipe(secret, sizeof(secret));
    return ctl_print(ctl, out);
}

static int set_status(struct ctl *ctl, const char *verb, const char *status)
{
    struct partner_row p;
    struct tg_err err = {0};

    if (find(ctl, verb, &p) != 0)
        return 1;
    if (store_partner_set_status(ctl->conn, p.id, status, &err) < 0)
        return ctl_fail(ctl, "%s", err.msg);
    return ctl_print(ctl,
                     json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)p.id, "name",
                               p.name, "key_id", p.key_id, "status", status));
}

static int cmd_disable(struct ctl *ctl)
{
    return set_status(ctl, "disable", "disabled");
}

static int cmd_enable(struct ctl *ctl)
{
    return set_status(ctl, "enable", "active");
}

/* clang-format off */
const struct ctl_cmd ctl_partner_cmds[] = {
    {"partner", "create", cmd_create, 1, "NAME",
     "add a partner site for the external user API; prints key_id and secret once"},
    {"partner", "list", cmd_list, 0, "",
     "partners with their key ids, status and number of external users"},
    {"partner", "rotate", cmd_rotate, 1, "NAME|KEY_ID",
     "new secret (printed once); the previous one stays valid until the next rotate"},
    {"partner", "disable", cmd_disable, 0, "NAME|KEY_ID",
     "refuse every signed call of the partner"},
    {"partner", "enable", cmd_enable, 0, "NAME|KEY_ID", "accept its signed calls again"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
/* clang-format on */
