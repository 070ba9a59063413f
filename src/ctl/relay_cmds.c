/* relay_cmds: tollgatectl commands of the relay area: users, keys, channels, prices. */
#include <stdlib.h>
#include <string.h>

#include "api/chanspec.h"
#include "api/keys_common.h"
#include "auth/crypto.h"
#include "billing/charge.h"
#include "billing/topup.h"
#include "ctl/ctl.h"
#include "relay/relay.h"
#include "server/request.h"
#include "store/admin.h"
#include "store/channels.h"
#include "store/keys.h"
#include "store/users.h"
#include "util/str.h"

int ctl_user_create(struct ctl *ctl); /* base.c */

/* Refuse options the command does not know (a typo must not be ignored) and options
 * given without a value. allowed is NULL-terminated, names without "--". */
static int check_opts(const struct ctl *ctl, const char *const *allowed)
{
    for (int i = 0; i < ctl->argc; i++) {
        const char *a = ctl->argv[i];
        int known = 0;

        if (strncmp(a, "--", 2) != 0)
            continue;
        for (int j = 0; allowed[j]; j++)
            known |= !strcmp(a + 2, allowed[j]);
        if (!known)
            return ctl_fail(ctl, "unknown option %s", a);
        if (i + 1 >= ctl->argc || !strncmp(ctl->argv[i + 1], "--", 2))
            return ctl_fail(ctl, "option %s needs a value", a);
        i++;
    }
    return 0;
}

/* Copy option name (if present) into spec as a string field. */
static void spec_str(const struct ctl *ctl, json_t *spec, const char *opt,
                     const char *field)
{
    const char *v = ctl_opt(ctl, opt);

    if (v)
        json_object_set_new(spec, field, json_string(v));
}

/* Copy option name (if present) into spec as an integer field. Returns 0 or 1 (printed).
 */
static int spec_int(const struct ctl *ctl, json_t *spec, const char *opt,
                    const char *field)
{
    const char *v = ctl_opt(ctl, opt);
    int64_t n;

    if (!v)
        return 0;
    if (str_to_i64(v, INT64_MIN, INT64_MAX, &n) != 0)
        return ctl_fail(ctl, "--%s must be a whole number", opt);
    json_object_set_new(spec, field, json_integer(n));
    return 0;
}

static int find_user(struct ctl *ctl, const char *login, struct user_row *u)
{
    struct tg_err err = {0};
    int rc = store_user_by_login(ctl->conn, login, u, &err);

    if (rc < 0)
        return ctl_fail(ctl, "%s", err.msg);
    if (rc == 0)
        return ctl_fail(ctl, "no user '%s'", login);
    return 0;
}

static void audit(struct ctl *ctl, const char *action, const char *type, int64_t id,
                  const char *target, json_t *detail)
{
    char idtext[24],
        *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    struct tg_err err = {0};

    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    store_admin_audit(ctl->conn, 0, action, type, target ? target : idtext, text, NULL,
                      &err);
    free(text);
    json_decref(detail);
}

/* ---- users ---- */

static int cmd_user_show(struct ctl *ctl)
{
    const char *login = ctl_arg(ctl, 0);
    struct user_row u;

    if (!login)
        return ctl_fail(ctl, "usage: user show LOGIN");
    if (find_user(ctl, login, &u) != 0)
        return 1;
    return ctl_print(
        ctl, json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "id",
                       (json_int_t)u.id, "username", u.username, "email",
                       u.email[0] ? u.email : NULL, "role", u.role, "status", u.status,
                       "plan", u.plan, "group", u.group, "quota", (json_int_t)u.quota,
                       "used_quota", (json_int_t)u.used_quota, "request_count",
                       (json_int_t)u.request_count, "created_at", u.created_at));
}

static int topup_print(struct ctl *ctl, const struct user_row *u,
                       const struct topup_result *t)
{
    char usd[32];

    topup_format_usd(t->amount_micro, usd);
    return ctl_print(ctl,
                     json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:I, s:b}", "id",
                               (json_int_t)t->id, "user_id", (json_int_t)u->id,
                               "username", u->username, "payment_id", t->payment_id,
                               "usd", usd, "quota_added", (json_int_t)t->quota, "quota",
                               (json_int_t)t->balance_after, "replayed", t->replayed));
}

static int cmd_user_topup(struct ctl *ctl)
{
    static const char *const opts[] = {"usd", "payment-id", "note", NULL};
    const char *login = ctl_arg(ctl, 0), *usd = ctl_opt(ctl, "usd"),
               *pid = ctl_opt(ctl, "payment-id");
    struct topup_req r = {0};
    struct topup_result out;
    struct tg_err err = {0};
    struct user_row u;
    char fresh[29];

    if (!login || !usd)
        return ctl_fail(ctl, "usage: user topup LOGIN --usd AMOUNT [--payment-id ID]");
    if (check_opts(ctl, opts) != 0 || find_user(ctl, login, &u) != 0)
        return 1;
    if (money_parse_usd(usd, &r.amount_micro) != 0 ||
        r.amount_micro > ctl->cfg.topup_max_usd)
        return ctl_fail(ctl,
                        "--usd must be a positive amount with at most 6 decimals, at "
                        "most topup_max_usd");
    if (!pid) {
        if (topup_payment_id_new(fresh) != 0)
            return ctl_fail(ctl, "no randomness");
        pid = fresh;
    }
    r.user_id = u.id;
    r.source = TOPUP_SOURCE_ADMIN;
    r.payment_id = pid;
    r.payment_method = "tollgatectl";
    r.note = ctl_opt(ctl, "note");
    if (topup_credit(ctl->pool, &ctl->conn, &r, &out, &err) != 0)
        return ctl_fail(ctl, "topup: %s", err.msg);
    return topup_print(ctl, &u, &out);
}

/* ---- keys ---- */

static int key_spec(struct ctl *ctl, json_t *spec)
{
    const char *models = ctl_opt(ctl, "models");

    spec_str(ctl, spec, "name", "name");
    if (models)
        json_object_set_new(spec, "models", json_string(models));
    if (spec_int(ctl, spec, "rpm", "rpm") || spec_int(ctl, spec, "rpd", "rpd") ||
        spec_int(ctl, spec, "tpm", "tpm") ||
        spec_int(ctl, spec, "quota-limit", "quota_limit") ||
        spec_int(ctl, spec, "expires-days", "expires_in_days"))
        return 1;
    return 0;
}

static int cmd_key_create(struct ctl *ctl)
{
    static const char *const opts[] = {"user",        "name",         "models",
                                       "rpm",         "rpd",          "tpm",
                                       "quota-limit", "expires-days", NULL};
    const char *login = ctl_opt(ctl, "user");
    char bufs[3][2048], secret[APIKEY_LEN + 1];
    json_t *spec = json_object();
    struct tg_err err = {0};
    struct key_new k;
    struct user_row u;
    int64_t id;
    int rc = 1;

    memset(&k, 0, sizeof(k));
    if (!login) {
        rc = ctl_fail(ctl,
                      "usage: key create --user LOGIN [--name N] [--models a,b] "
                      "[--rpm N --rpd N --tpm N] [--quota-limit Q] [--expires-days D]");
        goto out;
    }
    if (check_opts(ctl, opts) != 0 || find_user(ctl, login, &u) != 0 ||
        key_spec(ctl, spec) != 0)
        goto out;
    if (keys_parse_spec(spec, 1, &k, bufs, &err) != 0) {
        rc = ctl_fail(ctl, "%s", err.msg);
        goto out;
    }
    k.user_id = u.id;
    id = keys_mint(ctl->conn, &k, secret, &err);
    if (id < 0) {
        rc = ctl_fail(ctl, "key create: %s", err.msg);
        goto out;
    }
    audit(ctl, "key.create", "api_key", id, NULL,
          json_pack("{s:I, s:s?}", "user_id", (json_int_t)u.id, "name", k.name));
    rc = ctl_print(ctl,
                   json_pack("{s:I, s:s, s:I, s:s}", "id", (json_int_t)id, "key", secret,
                             "user_id", (json_int_t)u.id, "name", k.name ? k.name : ""));
    crypto_wipe(secret, sizeof(secret));
out:
    json_decref(spec);
    return rc;
}

static int cmd_key_revoke(struct ctl *ctl)
{
    const char *arg = ctl_arg(ctl, 0);
    struct tg_err err = {0};
    struct key_row k;
    int64_t id, n;
    int found;

    if (!arg || str_to_i64(arg, 1, INT64_MAX, &id) != 0)
        return ctl_fail(ctl, "usage: key revoke ID");
    n = store_key_set_status(ctl->conn, id, 0, "revoked", &err);
    found = n < 0 ? -1 : store_key_get(ctl->conn, id, 0, &k, &err);
    if (found < 0)
        return ctl_fail(ctl, "key revoke: %s", err.msg);
    if (found == 0)
        return ctl_fail(ctl, "no key %lld", (long long)id);
    if (n > 0)
        audit(ctl, "key.revoke", "api_key", id, NULL,
              json_pack("{s:I}", "user_id", (json_int_t)k.user_id));
    return ctl_print(ctl, json_pack("{s:I, s:I, s:s}", "id", (json_int_t)id, "user_id",
                                    (json_int_t)k.user_id, "status", k.status));
}

static void add_key(const struct key_row *k, void *ctx)
{
    json_array_append_new(ctx, keys_json(k));
}

static int cmd_key_list(struct ctl *ctl)
{
    static const char *const opts[] = {"user", NULL};
    const char *login = ctl_opt(ctl, "user");
    json_t *items = json_array();
    struct tg_err err = {0};
    struct user_row u;
    int64_t uid = 0;
    int n, off = 0;

    if (check_opts(ctl, opts) != 0 || (login && find_user(ctl, login, &u) != 0)) {
        json_decref(items);
        return 1;
    }
    if (login)
        uid = u.id;
    do {
        n = store_key_list(ctl->conn, uid, 500, off, add_key, items, &err);
        off += 500;
    } while (n == 500);
    if (n < 0) {
        json_decref(items);
        return ctl_fail(ctl, "key list: %s", err.msg);
    }
    return ctl_print(ctl, json_pack("{s:o}", "data", items));
}

/* ---- channels ---- */

/* --map "public=upstream,..." as a model_map object. Returns NULL (printed) when bad. */
static json_t *parse_map(const struct ctl *ctl, const char *text)
{
    json_t *map = json_object();
    char tmp[2048], *save = NULL;

    if (str_copy(tmp, sizeof(tmp), text) != 0) {
        json_decref(map);
        ctl_fail(ctl, "--map is too long");
        return NULL;
    }
    for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t || !eq[1]) {
            json_decref(map);
            ctl_fail(ctl, "--map entries are public=upstream, got '%.60s'", t);
            return NULL;
        }
        *eq = '\0';
        json_object_set_new(map, t, json_string(eq + 1));
    }
    return map;
}

static int channel_spec(struct ctl *ctl, json_t *spec)
{
    const char *map = ctl_opt(ctl, "map");

    json_object_set_new(spec, "name", json_string(ctl_arg(ctl, 0)));
    spec_str(ctl, spec, "type", "type");
    spec_str(ctl, spec, "base-url", "base_url");
    spec_str(ctl, spec, "key", "key");
    spec_str(ctl, spec, "models", "models");
    spec_str(ctl, spec, "group", "group");
    if (spec_int(ctl, spec, "priority", "priority") ||
        spec_int(ctl, spec, "weight", "weight"))
        return 1;
    if (map) {
        json_t *m = parse_map(ctl, map);
        if (!m)
            return 1;
        json_object_set_new(spec, "model_map", m);
    }
    return 0;
}

/* Print channel id as stored. */
static int print_channel(struct ctl *ctl, int64_t id)
{
    struct channel_row *ch = malloc(sizeof(*ch));
    struct tg_err err = {0};
    int rc;

    if (!ch)
        return ctl_fail(ctl, "out of memory");
    rc = store_channel_get(ctl->conn, id, ch, &err);
    if (rc == 1)
        rc = ctl_print(ctl, chanspec_json(&ctl->cfg, ch));
    else
        rc = ctl_fail(ctl, "channel %lld: %s", (long long)id, rc == 0 ? "gone" : err.msg);
    free(ch);
    return rc;
}

static int cmd_channel_add(struct ctl *ctl)
{
    static const char *const opts[] = {"type",   "base-url", "key", "models", "priority",
                                       "weight", "group",    "map", NULL};
    struct channel_row *ch = malloc(sizeof(*ch));
    json_t *spec = json_object();
    struct tg_err err = {0};
    const char *key = NULL;
    int64_t id;
    int st, rc = 1;

    if (!ch || !ctl_arg(ctl, 0)) {
        rc = ctl_fail(ctl, "usage: channel add NAME --type T --base-url URL --key K "
                           "--models a,b [--priority P] [--weight W] [--map a=b,...]");
        goto out;
    }
    if (check_opts(ctl, opts) != 0 || channel_spec(ctl, spec) != 0)
        goto out;
    if (chanspec_parse(&ctl->cfg, spec, 1, ch, &key, &st, &err) != 0) {
        rc = ctl_fail(ctl, "%s", err.msg);
        goto out;
    }
    id = store_channel_create(ctl->conn, ch, key, chanspec_seal, &ctl->cfg, &err);
    if (id < 0) {
        rc = ctl_fail(ctl, "%s",
                      err.code == TG_ECONFLICT ? "a channel with that name exists"
                                               : err.msg);
        goto out;
    }
    audit(ctl, "channel.create", "channel", id, NULL,
          json_pack("{s:s, s:s, s:s}", "name", ch->name, "type", ch->type, "base_url",
                    ch->base_url));
    rc = print_channel(ctl, id);
out:
    json_decref(spec);
    free(ch);
    return rc;
}

struct by_name {
    const char *name;
    int64_t id;
};

static void match_name(const struct channel_row *ch, void *ctx)
{
    struct by_name *b = ctx;

    if (!strcmp(ch->name, b->name))
        b->id = ch->id;
}

/* A channel given as ID or NAME. Returns the id, or 0 (printed) when there is none. */
static int64_t resolve_channel(struct ctl *ctl, const char *arg)
{
    struct by_name b = {arg, 0};
    struct tg_err err = {0};
    int64_t id;

    if (!arg) {
        ctl_fail(ctl, "name a channel by ID or NAME");
        return 0;
    }
    if (str_to_i64(arg, 1, INT64_MAX, &id) == 0)
        b.id = id;
    else if (store_channels_each(ctl->conn, 1, match_name, &b, &err) < 0) {
        ctl_fail(ctl, "%s", err.msg);
        return 0;
    }
    if (b.id > 0) {
        struct channel_row *ch = malloc(sizeof(*ch));
        int rc = ch ? store_channel_get(ctl->conn, b.id, ch, &err) : -1;
        free(ch);
        if (rc == 1)
            return b.id;
    }
    ctl_fail(ctl, "no channel '%s'", arg);
    return 0;
}

struct chan_list {
    json_t *items;
    const struct tg_config *cfg;
};

static void add_channel(const struct channel_row *ch, void *ctx)
{
    struct chan_list *l = ctx;

    json_array_append_new(l->items, chanspec_json(l->cfg, ch));
}

static int cmd_channel_list(struct ctl *ctl)
{
    struct chan_list l = {json_array(), &ctl->cfg};
    struct tg_err err = {0};

    if (store_channels_each(ctl->conn, 1, add_channel, &l, &err) < 0) {
        json_decref(l.items);
        return ctl_fail(ctl, "channel list: %s", err.msg);
    }
    return ctl_print(ctl, json_pack("{s:o}", "data", l.items));
}

static int cmd_channel_test(struct ctl *ctl)
{
    int64_t id = resolve_channel(ctl, ctl_arg(ctl, 0));
    struct tg_app app = {0};
    struct tg_err err = {0};
    json_t *result = NULL;
    int ok;

    if (id == 0)
        return 1;
    /* The test borrows its own connections: hold none across the upstream call. */
    store_put(ctl->pool, ctl->conn);
    ctl->conn = NULL;
    app.cfg = &ctl->cfg;
    app.pool = ctl->pool;
    if (relay_channel_test(&app, id, &result, &err) != 0) {
        json_decref(result);
        return ctl_fail(ctl, "channel test: %s", err.msg);
    }
    if (!result)
        return ctl_fail(ctl, "channel test: no result");
    ok = json_is_true(json_object_get(result, "ok"));
    ctl_print(ctl, result);
    return ok ? 0 : 1;
}

static int set_status(struct ctl *ctl, const char *status)
{
    int64_t id = resolve_channel(ctl, ctl_arg(ctl, 0));
    struct tg_err err = {0};

    if (id == 0)
        return 1;
    if (store_channel_set_status(
            ctl->conn, id, status,
            !strcmp(status, "disabled") ? "disabled by an admin" : NULL, &err) < 0)
        return ctl_fail(ctl, "channel: %s", err.msg);
    audit(ctl, !strcmp(status, "disabled") ? "channel.disable" : "channel.enable",
          "channel", id, NULL, NULL);
    return print_channel(ctl, id);
}

static int cmd_channel_disable(struct ctl *ctl)
{
    return set_status(ctl, "disabled");
}

static int cmd_channel_enable(struct ctl *ctl)
{
    return set_status(ctl, "enabled");
}

/* ---- prices ---- */

static int cmd_price_set(struct ctl *ctl)
{
    static const char *const opts[] = {"input",       "output",         "cache-read",
                                       "cache-write", "cache-write-1h", "max-output",
                                       NULL};
    const char *model = ctl_arg(ctl, 0);
    json_t *spec = json_object();
    struct tg_err err = {0};
    struct price_row p;
    int rc = 1;

    memset(&p, 0, sizeof(p));
    if (!model || !chanspec_model_ok(model)) {
        rc = ctl_fail(ctl, "usage: price set MODEL --input X --output Y [--cache-read Z] "
                           "[--cache-write W] [--cache-write-1h V] [--max-output N]");
        goto out;
    }
    if (check_opts(ctl, opts) != 0)
        goto out;
    spec_str(ctl, spec, "input", "input");
    spec_str(ctl, spec, "output", "output");
    spec_str(ctl, spec, "cache-read", "cache_read");
    spec_str(ctl, spec, "cache-write", "cache_write");
    spec_str(ctl, spec, "cache-write-1h", "cache_write_1h");
    if (spec_int(ctl, spec, "max-output", "max_output"))
        goto out;
    str_copy(p.model, sizeof(p.model), model);
    if (chanspec_price_parse(spec, &p, &err) != 0 ||
        store_price_upsert(ctl->conn, &p, &err))
        rc = ctl_fail(ctl, "price set: %s", err.msg);
    else {
        audit(ctl, "price.set", "price", 0, p.model, chanspec_price_json(&p));
        rc = ctl_print(ctl, chanspec_price_json(&p));
    }
out:
    json_decref(spec);
    return rc;
}

static void add_price(const struct price_row *p, void *ctx)
{
    json_array_append_new(ctx, chanspec_price_json(p));
}

static int cmd_price_list(struct ctl *ctl)
{
    json_t *items = json_array();
    struct tg_err err = {0};

    if (store_prices_each(ctl->conn, add_price, items, &err) < 0) {
        json_decref(items);
        return ctl_fail(ctl, "price list: %s", err.msg);
    }
    return ctl_print(ctl, json_pack("{s:o}", "data", items));
}

/* clang-format off */
const struct ctl_cmd ctl_relay_cmds[] = {
    {"user", "create", ctl_user_create, 0, "LOGIN --email E --password P",
     "create a portal user"},
    {"user", "show", cmd_user_show, 0, "LOGIN",
     "id, status, plan, quota, used_quota, request_count of a user"},
    {"user", "topup", cmd_user_topup, 0,
     "LOGIN --usd AMOUNT [--payment-id ID] [--note T]",
     "credit USD to a user (once per payment id; 1 USD = 500000 quota)"},
    {"key", "create", cmd_key_create, 0,
     "--user LOGIN [--name N] [--models a,b] [--rpm N --rpd N --tpm N] [--quota-limit Q] "
     "[--expires-days D]",
     "create an API key; prints the secret once"},
    {"key", "revoke", cmd_key_revoke, 0, "ID", "revoke an API key"},
    {"key", "list", cmd_key_list, 0, "[--user LOGIN]",
     "list API keys (never the secrets)"},
    {"channel", "add", cmd_channel_add, 1,
     "NAME --type openai|anthropic|openai-compatible --base-url URL --key K --models a,b "
     "[--priority P] [--weight W] [--group G] [--map public=upstream,...]",
     "add an upstream channel (the key is stored encrypted)"},
    {"channel", "list", cmd_channel_list, 1, "", "list channels (never the keys)"},
    {"channel", "test", cmd_channel_test, 1, "ID|NAME",
     "make one small call through a channel"},
    {"channel", "disable", cmd_channel_disable, 1, "ID|NAME",
     "stop routing to a channel"},
    {"channel", "enable", cmd_channel_enable, 1, "ID|NAME", "route to a channel again"},
    {"price", "set", cmd_price_set, 0,
     "MODEL --input X --output Y [--cache-read Z] [--cache-write W] [--cache-write-1h V] "
     "[--max-output N]",
     "set a model's price in USD per million tokens"},
    {"price", "list", cmd_price_list, 0, "", "list model prices"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
/* clang-format on */
