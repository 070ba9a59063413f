/* chantest: the admin's channel test, one small non-streaming call, and the health
 * record it leaves (a pass re-enables a channel that auth failures disabled). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "auth/secretbox.h"
#include "config/config.h"
#include "relay/chancache.h"
#include "relay/relay.h"
#include "relay/upstream.h"
#include "store/channels.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/str.h"

static int collect(void *ctx, long status, const char *data, size_t len)
{
    (void)status;
    buf_append(ctx, data, len); /* bounded by the buffer's ceiling */
    return 0;
}

static void first_model(const char *csv, char *out, size_t cap)
{
    size_t n = strcspn(csv, ",");

    if (n >= cap)
        n = cap - 1;
    memcpy(out, csv, n);
    out[n] = '\0';
}

int relay_channel_test(struct tg_app *app, int64_t channel_id, json_t **result,
                       struct tg_err *err)
{
    const struct tg_config *cfg = app->cfg;
    struct upstream_call u = {0};
    struct channel_row ch;
    struct store_conn *c;
    char url[700], model[130], auth[1100], *key = NULL, *body;
    const char *hdrs[6];
    struct buf resp;
    json_t *req;
    int anthropic, ok, rc;
    enum upstream_result r;
    int64_t t0;
    size_t n;

    c = store_get(app->pool, err);
    if (!c)
        return -1;
    rc = store_channel_get(c, channel_id, &ch, err);
    store_put(app->pool, c);
    if (rc <= 0)
        return rc == 0 ? err_set(err, TG_ENOTFOUND, "no such channel") : -1;
    if (ch.key_enc[0] && !(key = secretbox_open(cfg, "channels.key", ch.id, ch.key_enc)))
        return err_set(err, TG_EINTERNAL,
                       "the channel's key cannot be decrypted with the "
                       "current master key");
    anthropic = strcmp(ch.type, "anthropic") == 0;
    first_model(ch.models, model, sizeof(model));
    str_copy(url, sizeof(url), ch.base_url);
    n = strlen(url);
    while (n && url[n - 1] == '/')
        url[--n] = '\0';
    if (n >= 3 && !strcmp(url + n - 3, "/v1"))
        url[n - 3] = '\0';
    strncat(url, anthropic ? "/v1/messages" : "/v1/chat/completions",
            sizeof(url) - strlen(url) - 1);
    req = json_pack("{s:s, s:i, s:[{s:s, s:s}]}", "model", model, "max_tokens", 8,
                    "messages", "role", "user", "content", "ping");
    body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (anthropic)
        snprintf(auth, sizeof(auth), "x-api-key: %s", key ? key : "");
    else
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key ? key : "");
    crypto_free_secret(key);
    hdrs[0] = "Content-Type: application/json";
    hdrs[1] = auth;
    hdrs[2] = "anthropic-version: 2023-06-01";
    hdrs[3] = NULL;
    buf_init(&resp, 65536);
    u.cfg = cfg;
    u.url = url;
    u.headers = hdrs;
    u.body = body;
    u.body_len = body ? strlen(body) : 0;
    u.connect_timeout = cfg->connect_timeout;
    u.first_byte_timeout = u.idle_timeout = 30;
    u.total_timeout = 60;
    u.on_body = collect;
    u.ctx = &resp;
    t0 = str_mono_us();
    r = upstream_perform(&u);
    crypto_wipe(auth, sizeof(auth));
    free(body);
    ok = r == UP_OK && u.status >= 200 && u.status < 300;
    *result =
        json_pack("{s:b, s:i, s:I, s:s?}", "ok", ok, "status", (int)u.status, "ms",
                  (json_int_t)((str_mono_us() - t0) / 1000), "error",
                  ok ? NULL : (u.error[0] ? u.error : "upstream answered with an error"));
    buf_free(&resp);
    c = store_get(app->pool, err);
    if (c) {
        store_channel_health(c, ch.id, ok ? NULL : "test failed",
                             (int)((str_mono_us() - t0) / 1000), err);
        if (ok && !strcmp(ch.status, "auto_disabled"))
            store_channel_set_status(c, ch.id, "enabled", "health test passed", err);
    }
    store_put(app->pool, c);
    chancache_invalidate();
    return 0;
}

struct keycheck {
    const struct tg_config *cfg;
    int bad;
    int64_t first_bad;
};

static void check_one(const struct channel_row *ch, void *ctx)
{
    struct keycheck *k = ctx;
    char *plain;

    if (!ch->key_enc[0])
        return;
    plain = secretbox_open(k->cfg, "channels.key", ch->id, ch->key_enc);
    if (!plain) {
        if (!k->bad++)
            k->first_bad = ch->id;
        return;
    }
    crypto_free_secret(plain);
}

int relay_check_channel_keys(const struct tg_config *cfg, struct tg_err *err)
{
    struct store_pool *pool = store_pool_new(cfg);
    struct keycheck k = {cfg, 0, 0};
    struct store_conn *c;
    struct tg_err dberr = {0};
    int rc = 0;

    if (!pool)
        return err_set(err, TG_EINTERNAL, "out of memory");
    c = store_get(pool, &dberr);
    if (!c) {
        store_pool_free(pool);
        return 1; /* unreachable now: checked when the database comes back */
    }
    if (store_channels_each(c, 1, check_one, &k, &dberr) < 0)
        rc = 1;
    store_put(pool, c);
    store_pool_free(pool);
    if (k.bad)
        return err_set(err, TG_EINVAL,
                       "master_key_file cannot decrypt %d channel key(s) (first: channel "
                       "%lld): wrong or missing master key",
                       k.bad, (long long)k.first_bad);
    return rc;
}
