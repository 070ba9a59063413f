/* admin_relay: administrators' channels, channel tests and prices. Keys, quota and logs
 * are in admin_money.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admin_common.h"
#include "api/api.h"
#include "api/chanspec.h"
#include "relay/chancache.h"
#include "relay/relay.h"
#include "store/admin.h"
#include "store/channels.h"

/* The audit detail of a channel change: its public fields, never the key. */
static json_t *channel_detail(const struct channel_row *ch, int key_changed)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", ch->name, "type", ch->type,
                     "base_url", ch->base_url, "models", ch->models, "status", ch->status,
                     "key_changed", key_changed);
}

static void add_channel(const struct channel_row *ch, void *ctx)
{
    struct admin_list *l = ctx;

    json_array_append_new(l->items, chanspec_json(l->cfg, ch));
}

TG_HANDLER(admin_channels_list)
{
    struct admin_list l = {json_array(), req->app->cfg};
    struct store_conn *c = store_get(req->app->pool, err);
    int rc;

    if (!c) {
        json_decref(l.items);
        return -1;
    }
    rc = store_channels_each(c, 1, add_channel, &l, err);
    store_put(req->app->pool, c);
    if (rc < 0) {
        json_decref(l.items);
        return -1;
    }
    return admin_send(req, 200, json_pack("{s:o}", "data", l.items));
}

/* Load channel :id (404 when absent). Returns 0 or -1. */
static int load_channel(struct tg_request *req, struct store_conn *c, int64_t *id,
                        struct channel_row *ch, struct tg_err *err)
{
    int rc;

    if (admin_path_id(req, 0, "channel", id, err) != 0)
        return -1;
    rc = store_channel_get(c, *id, ch, err);
    if (rc == 0)
        return err_set(err, TG_ENOTFOUND, "no such channel");
    return rc < 0 ? -1 : 0;
}

/* Translate a store error of a channel write (duplicate name) into err. */
static int channel_write_failed(const struct tg_err *e, struct tg_err *err)
{
    if (e->code == TG_ECONFLICT)
        return err_set_field(err, TG_ECONFLICT, "name",
                             "a channel with that name exists");
    *err = *e;
    return -1;
}

static int send_channel(struct tg_request *req, struct store_conn *c, int status,
                        int64_t id, struct tg_err *err)
{
    struct channel_row *ch = malloc(sizeof(*ch));
    int rc;

    if (!ch)
        return err_set(err, TG_EINTERNAL, "out of memory");
    rc = store_channel_get(c, id, ch, err);
    if (rc == 0)
        err_set(err, TG_ENOTFOUND, "no such channel");
    if (rc <= 0) {
        free(ch);
        return -1;
    }
    rc = admin_send(req, status, chanspec_json(req->app->cfg, ch));
    free(ch);
    return rc;
}

TG_HANDLER(admin_channel_create)
{
    const struct tg_config *cfg = req->app->cfg;
    struct channel_row *ch = malloc(sizeof(*ch));
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    struct tg_err e = {0};
    const char *key = NULL;
    int64_t id;
    int st, rc = -1;

    if (!ch || !body) {
        if (!ch)
            err_set(err, TG_EINTERNAL, "out of memory");
        goto out;
    }
    if (chanspec_parse(cfg, body, 1, ch, &key, &st, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c)
        goto out;
    id = store_channel_create(c, ch, key, chanspec_seal, (void *)cfg, &e);
    if (id < 0) {
        channel_write_failed(&e, err);
        goto out;
    }
    chancache_invalidate();
    if (admin_audit(req, c, "channel.create", "channel", id, channel_detail(ch, 1),
                    err) == 0)
        rc = send_channel(req, c, 201, id, err);
out:
    store_put(req->app->pool, c);
    json_decref(body);
    free(ch);
    return rc;
}

TG_HANDLER(admin_channel_get)
{
    struct store_conn *c = store_get(req->app->pool, err);
    int64_t id;
    int rc;

    if (!c)
        return -1;
    rc = admin_path_id(req, 0, "channel", &id, err) == 0
             ? send_channel(req, c, 200, id, err)
             : -1;
    store_put(req->app->pool, c);
    return rc;
}

/* Apply a parsed PUT: fields, then the key, then the status. Returns 0 or -1. */
static int channel_apply(struct tg_request *req, struct store_conn *c,
                         const struct channel_row *ch, const char *key, int status_set,
                         struct tg_err *err)
{
    struct tg_err e = {0};
    int rc = store_channel_update(c, ch, key, chanspec_seal, (void *)req->app->cfg, &e);

    if (rc < 0)
        return channel_write_failed(&e, err);
    if (rc == 0)
        return err_set(err, TG_ENOTFOUND, "no such channel");
    if (status_set &&
        store_channel_set_status(
            c, ch->id, ch->status,
            !strcmp(ch->status, "disabled") ? "disabled by an admin" : NULL, err) < 0)
        return -1;
    chancache_invalidate();
    return admin_audit(req, c, "channel.update", "channel", ch->id,
                       channel_detail(ch, key != NULL), err);
}

TG_HANDLER(admin_channel_update)
{
    struct channel_row *ch = malloc(sizeof(*ch));
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    const char *key = NULL;
    int64_t id;
    int st = 0, rc = -1;

    if (!ch || !body) {
        if (!ch)
            err_set(err, TG_EINTERNAL, "out of memory");
        goto out;
    }
    c = store_get(req->app->pool, err);
    if (!c || load_channel(req, c, &id, ch, err) != 0)
        goto out;
    if (chanspec_parse(req->app->cfg, body, 0, ch, &key, &st, err) != 0)
        goto out;
    if (channel_apply(req, c, ch, key, st, err) == 0)
        rc = send_channel(req, c, 200, id, err);
out:
    store_put(req->app->pool, c);
    json_decref(body);
    free(ch);
    return rc;
}

TG_HANDLER(admin_channel_delete)
{
    struct store_conn *c = store_get(req->app->pool, err);
    int64_t id, n = -1;
    int rc = -1;

    if (!c)
        return -1;
    if (admin_path_id(req, 0, "channel", &id, err) == 0)
        n = store_channel_delete(c, id, err);
    if (n == 0)
        err_set(err, TG_ENOTFOUND, "no such channel");
    if (n > 0) {
        chancache_invalidate();
        if (admin_audit(req, c, "channel.delete", "channel", id, NULL, err) == 0)
            rc = admin_send(req, 200,
                            json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
    }
    store_put(req->app->pool, c);
    return rc;
}

TG_HANDLER(admin_channel_test)
{
    struct store_conn *c;
    json_t *result = NULL;
    int64_t id;
    int rc;

    if (admin_path_id(req, 0, "channel", &id, err) != 0)
        return -1;
    /* The call itself runs without a borrowed connection (none is held on upstreams). */
    if (relay_channel_test(req->app, id, &result, err) != 0) {
        json_decref(result);
        return -1;
    }
    c = store_get(req->app->pool, err);
    if (!c) {
        json_decref(result);
        return -1;
    }
    rc = admin_audit(req, c, "channel.test", "channel", id, json_incref(result), err);
    store_put(req->app->pool, c);
    if (rc != 0) {
        json_decref(result);
        return -1;
    }
    return admin_send(req, 200, result ? result : json_object());
}

static void add_price(const struct price_row *p, void *ctx)
{
    json_array_append_new(ctx, chanspec_price_json(p));
}

TG_HANDLER(admin_prices_list)
{
    json_t *items = json_array();
    struct store_conn *c = store_get(req->app->pool, err);
    int rc;

    if (!c) {
        json_decref(items);
        return -1;
    }
    rc = store_prices_each(c, add_price, items, err);
    store_put(req->app->pool, c);
    if (rc < 0) {
        json_decref(items);
        return -1;
    }
    return admin_send(req, 200, json_pack("{s:o}", "data", items));
}

/* The :model path part, URL-decoded and checked. Returns 0 or -1. */
static int path_model(struct tg_request *req, char out[129], struct tg_err *err)
{
    if (admin_path_text(req, 0, out, 129) != 0 || !chanspec_model_ok(out))
        return err_set_field(err, TG_EINVAL, "model",
                             "model must be 1 to 128 bytes "
                             "without spaces or commas");
    return 0;
}

TG_HANDLER(admin_price_set)
{
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    struct price_row p;
    int rc = -1;

    memset(&p, 0, sizeof(p));
    if (!body || path_model(req, p.model, err) != 0 ||
        chanspec_price_parse(body, &p, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (!c || store_price_upsert(c, &p, err) != 0)
        goto out;
    chancache_invalidate();
    if (admin_audit_str(req, c, "price.set", "price", p.model, chanspec_price_json(&p),
                        err) == 0)
        rc = admin_send(req, 200, chanspec_price_json(&p));
out:
    store_put(req->app->pool, c);
    json_decref(body);
    return rc;
}

TG_HANDLER(admin_price_delete)
{
    struct store_conn *c = NULL;
    char model[129];
    int64_t n;
    int rc = -1;

    if (path_model(req, model, err) != 0)
        return -1;
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    n = store_price_delete(c, model, err);
    if (n == 0)
        err_set(err, TG_ENOTFOUND, "no price for that model");
    if (n > 0) {
        chancache_invalidate();
        if (admin_audit_str(req, c, "price.delete", "price", model, NULL, err) == 0)
            rc = admin_send(req, 200,
                            json_pack("{s:s, s:b}", "model", model, "deleted", 1));
    }
    store_put(req->app->pool, c);
    return rc;
}
