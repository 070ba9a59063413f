/* authn_key: API-key authentication with a per-process cache whose staleness is bounded
 * by key_cache_ms, so a revoked key is refused on every worker within that time. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/apikey.h"
#include "auth/crypto.h"
#include "config/config.h"
#include "router/router.h"
#include "server/metrics.h"
#include "store/keys.h"
#include "store/store.h"
#include "util/str.h"

#define KC_SLOTS 1024 /* a power of two */

struct kc_slot {
    unsigned char digest[32];
    int64_t loaded_us; /* 0 = empty */
    int64_t epoch;     /* metrics_key_epoch() when loaded: any key change drops it */
    struct apikey_info info;
};

static pthread_mutex_t kc_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kc_slot *kc;

static size_t kc_index(const unsigned char d[32])
{
    size_t h;

    memcpy(&h, d, sizeof(h));
    return h & (KC_SLOTS - 1);
}

/* Copy a fresh cached entry into out. Returns 1 on a hit. */
static int kc_get(const unsigned char d[32], int64_t ttl_us, struct apikey_info *out)
{
    int hit = 0;

    pthread_mutex_lock(&kc_mu);
    if (kc) {
        struct kc_slot *s = &kc[kc_index(d)];
        if (s->loaded_us && str_mono_us() - s->loaded_us < ttl_us &&
            s->epoch == metrics_key_epoch() && memcmp(s->digest, d, 32) == 0) {
            *out = s->info;
            hit = 1;
        }
    }
    pthread_mutex_unlock(&kc_mu);
    return hit;
}

static void kc_put(const unsigned char d[32], const struct apikey_info *info,
                   int64_t epoch)
{
    pthread_mutex_lock(&kc_mu);
    if (!kc)
        kc = calloc(KC_SLOTS, sizeof(*kc));
    if (kc) {
        struct kc_slot *s = &kc[kc_index(d)];
        memcpy(s->digest, d, 32);
        s->epoch = epoch;
        s->info = *info;
        s->loaded_us = str_mono_us();
    }
    pthread_mutex_unlock(&kc_mu);
}

/* 1 if ip is inside one of the comma-separated CIDRs. */
static int ip_allowed(const char *list, const char *ip)
{
    unsigned char a[16], net[16];
    int v6 = strchr(ip, ':') != NULL, alen = v6 ? 16 : 4;
    char item[64], *save = NULL, tmp[1024];

    if (!list[0])
        return 1;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, a) != 1)
        return 0;
    str_copy(tmp, sizeof(tmp), list);
    for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *slash;
        long bits;

        str_copy(item, sizeof(item), t);
        slash = strchr(item, '/');
        bits = slash ? strtol(slash + 1, NULL, 10) : alen * 8;
        if (slash)
            *slash = '\0';
        if ((strchr(item, ':') != NULL) != v6 ||
            inet_pton(v6 ? AF_INET6 : AF_INET, item, net) != 1 || bits < 0 ||
            bits > alen * 8)
            continue;
        int ok = 1;
        for (long b = 0; b < bits && ok; b++) {
            int mask = 0x80 >> (b % 8);
            ok = (a[b / 8] & mask) == (net[b / 8] & mask);
        }
        if (ok)
            return 1;
    }
    return 0;
}

int authn_key(struct tg_request *req, struct tg_err *err)
{
    char key[APIKEY_LEN + 8];
    unsigned char digest[32];
    struct apikey_info info;
    const struct tg_config *cfg = req->app->cfg;
    int rc = apikey_from_headers(request_param(req, "HTTP_AUTHORIZATION"),
                                 request_param(req, "HTTP_X_API_KEY"), key, sizeof(key));

    if (rc == 0)
        return err_set(err, TG_EAUTH,
                       "missing API key (Authorization: Bearer or x-api-key)");
    /* Malformed or mistyped keys are refused before any query. */
    if (rc < 0 || !apikey_well_formed(key)) {
        crypto_wipe(key, sizeof(key));
        return err_set(err, TG_EAUTH, "invalid API key");
    }
    apikey_digest(key, digest);
    crypto_wipe(key, sizeof(key));
    if (!kc_get(digest, (int64_t)cfg->key_cache_ms * 1000, &info)) {
        /* Read the epoch before the row: a change racing the query drops this entry. */
        int64_t epoch = metrics_key_epoch();
        struct store_conn *c = store_get(req->app->pool, err);
        if (!c)
            return -1;
        rc = store_key_by_hash(c, digest, &info, err);
        store_put(req->app->pool, c);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return err_set(err, TG_EAUTH, "invalid API key");
        kc_put(digest, &info, epoch);
    }
    if (strcmp(info.key.status, "active") != 0)
        return err_set(err, TG_EAUTH, "API key is %s", info.key.status);
    if (strcmp(info.user_status, "active") != 0)
        return err_set(err, TG_EDENIED, "account is %s", info.user_status);
    if (info.key.expires_at && info.key.expires_at < (int64_t)time(NULL))
        return err_set(err, TG_EAUTH, "API key expired");
    if (!ip_allowed(info.key.ip_allow, req->client_ip))
        return err_set(err, TG_EDENIED, "this key may not be used from this address");
    req->who.key = malloc(sizeof(info));
    if (!req->who.key)
        return err_set(err, TG_EINTERNAL, "out of memory");
    *req->who.key = info;
    req->who.user_id = info.key.user_id;
    req->who.key_id = info.key.id;
    return 0;
}
