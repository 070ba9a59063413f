/* authn_partner: signed partner calls (AUTH_HMAC). The checks run in a fixed order and
 * all of them finish before anything reads the body as JSON:
 *   1. the body was read with its size bounded (server/handle.c),
 *   2. header syntax and the timestamp window (|now - ts| <= 300 s),
 *   3. the partner by key id, active, and the MAC against its current and previous
 *      secrets with a constant-time compare,
 *   4. the nonce, stored under UNIQUE(partner_id, nonce): a second use is a replay.
 * Every refusal is a 401 whose reason says what to fix without helping a forger: an
 * unknown key id, a disabled partner and a wrong MAC all read "signature mismatch". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/crypto.h"
#include "auth/extsig.h"
#include "config/config.h"
#include "router/router.h"
#include "store/partners.h"
#include "util/log.h"

#define BAD_SIG "signature mismatch"

/* The path and query exactly as the client sent them (what it signed). */
static int path_query(const struct tg_request *req, char *out, size_t cap)
{
    const char *uri = request_param(req, "REQUEST_URI");
    int n;

    if (uri && *uri)
        n = snprintf(out, cap, "%s", uri);
    else
        n = snprintf(out, cap, "%s%s%s", req->path, *req->query ? "?" : "", req->query);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* 1 if sig is the MAC of canonical under the sealed secret enc of partner id. */
static int mac_ok(const struct tg_config *cfg, int64_t id, const char *enc,
                  const char *canonical, const char *sig)
{
    char aad[48];
    char *secret;
    size_t n = 0;
    int ok;

    if (!enc || !*enc)
        return 0;
    snprintf(aad, sizeof(aad), PARTNER_AAD_FMT, (long long)id);
    secret = crypto_open(cfg->master_key, enc, aad, &n);
    if (!secret) {
        log_error("authn", "event=partner_secret_unreadable partner=%lld", (long long)id);
        return 0;
    }
    ok = extsig_verify(secret, n, canonical, sig);
    crypto_free_secret(secret);
    return ok;
}

/* Housekeeping on about one call in sixteen (the request id is random): forget nonces
 * older than PARTNER_NONCE_TTL. Failures only cost a log line. */
static void purge_nonces(struct tg_request *req, struct store_conn *c, int64_t now)
{
    struct tg_err e = {0};

    if (req->id[0] != '0')
        return;
    if (store_nonce_purge(c, now - PARTNER_NONCE_TTL, 500, &e) < 0)
        log_warn("authn", "event=nonce_purge_failed error=%s", err_name(e.code));
}

/* Steps 3 and 4 with a borrowed connection. */
static int check_partner(struct tg_request *req, struct store_conn *c, const char *key_id,
                         const char *canonical, const char *nonce, const char *sig,
                         int64_t now, struct tg_err *err)
{
    const struct tg_config *cfg = req->app->cfg;
    struct partner_row p;
    int found, cur, prev, rc;

    found = store_partner_by_key(c, key_id, &p, err);
    if (found < 0)
        return -1;
    /* Both secrets are always tried, so timing does not tell which one matched. */
    cur = found && mac_ok(cfg, p.id, p.secret_enc, canonical, sig);
    prev = found && mac_ok(cfg, p.id, p.secret_prev_enc, canonical, sig);
    if (!found || strcmp(p.status, "active") != 0 || !(cur || prev)) {
        log_info("authn", "event=partner_refused reason=%s",
                 !found           ? "unknown_key"
                 : !(cur || prev) ? "bad_mac"
                                  : "disabled");
        return err_set(err, TG_EAUTH, BAD_SIG);
    }
    rc = store_nonce_add(c, p.id, nonce, now, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        log_info("authn", "event=partner_refused reason=replay partner=%lld",
                 (long long)p.id);
        return err_set(err, TG_EAUTH, "nonce already used");
    }
    purge_nonces(req, c, now);
    req->who.partner_id = p.id;
    return 0;
}

int authn_partner(struct tg_request *req, struct tg_err *err)
{
    const char *key_id = request_param(req, "HTTP_X_TOLLGATE_KEY_ID");
    const char *ts = request_param(req, "HTTP_X_TOLLGATE_TIMESTAMP");
    const char *nonce = request_param(req, "HTTP_X_TOLLGATE_NONCE");
    const char *sig = request_param(req, "HTTP_X_TOLLGATE_SIGNATURE");
    int64_t now = (int64_t)time(NULL);
    char pq[2048];
    char *canonical;
    struct store_conn *c;
    int rc;

    if (extsig_check_headers(key_id, ts, nonce, sig, now, err) != 0)
        return -1;
    if (path_query(req, pq, sizeof(pq)) != 0)
        return err_set(err, TG_EAUTH, "request URI too long to verify");
    canonical =
        extsig_canonical(req->method, pq, ts, nonce, req->body.ptr, req->body.len);
    if (!canonical)
        return err_set(err, TG_EAUTH, BAD_SIG);
    c = store_get(req->app->pool, err);
    if (!c) {
        free(canonical);
        return -1;
    }
    rc = check_partner(req, c, key_id, canonical, nonce, sig, now, err);
    store_put(req->app->pool, c);
    free(canonical);
    return rc;
}
