/* relay: one API-key call from admission to settlement: key permissions, price,
 * limits, reservation, channel choice with failover before the first byte, the upstream
 * transfer, metering, settlement and the usage row. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/crypto.h"
#include "config/config.h"
#include "limits/limits.h"
#include "relay/jarena.h"
#include "relay/relay_int.h"
#include "relay/upstream.h"
#include "relay/usagelog.h"
#include "server/metrics.h"
#include "store/billing.h"
#include "store/channels.h"
#include "store/store.h"
#include "util/log.h"
#include "util/str.h"

static enum dialect_kind usage_kind(enum relay_endpoint ep)
{
    switch (ep) {
    case EP_MESSAGES:
    case EP_COUNT_TOKENS:
        return USAGE_ANTHROPIC;
    case EP_RESPONSES:
    case EP_RESPONSES_COMPACT:
        return USAGE_RESPONSES;
    default:
        return USAGE_OPENAI_CHAT;
    }
}

static int csv_contains(const char *csv, const char *item)
{
    size_t n = strlen(item);

    for (const char *p = csv; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* The key may call this endpoint with this model. */
static int permitted(const struct call *cl, struct tg_err *err)
{
    const struct key_row *k = &cl->ki->key;

    if (!csv_contains(k->services, relay_service(cl->ep)))
        return err_set(err, TG_EDENIED, "this key may not use the %s service",
                       relay_service(cl->ep));
    if (k->models[0] && !csv_contains(k->models, cl->model))
        return err_set_field(err, TG_EDENIED, "model", "this key may not use model %s",
                             cl->model);
    return 0;
}

/* A charge above the reservation (the upstream counted more input than the body has
 * bytes: an image by URL, a stored conversation): the rest is taken from what the user
 * has left, unless the usage is estimated or was clamped (then the reservation caps it).
 * Returns what was taken. */
static int64_t overage(struct call *cl, struct store_conn *c, int64_t extra, int unsure)
{
    struct tg_err err = {0};
    char worker[32];
    int64_t taken = 0;

    if (unsure) {
        log_warn("billing",
                 "event=charge_capped request=%s extra=%lld (usage estimated "
                 "or clamped: the reservation caps it)",
                 cl->req->id, (long long)extra);
        return 0;
    }
    snprintf(worker, sizeof(worker), "pid:%d", str_pid());
    if (store_charge_overage(c, cl->ki->key.user_id, cl->ki->key.id, cl->req->id, extra,
                             worker, &taken, &err) < 0)
        log_error("billing", "event=overage_unbilled request=%s extra=%lld reason=\"%s\"",
                  cl->req->id, (long long)extra, err.msg);
    return taken;
}

/* The call's usage row. */
static void usage_row(struct call *cl, const struct pick *p, const struct usage *u,
                      int status, const char *error_class, int64_t billed, int estimated,
                      struct usage_log *out)
{
    struct tg_request *req = cl->req;
    struct usage_log log = {0};

    str_copy(log.request_id, sizeof(log.request_id), req->id);
    log.user_id = cl->ki->key.user_id;
    log.key_id = cl->ki->key.id;
    log.channel_id = p ? p->ch.id : 0;
    str_copy(log.service, sizeof(log.service), relay_service(cl->ep));
    str_copy(log.model, sizeof(log.model), cl->model ? cl->model : "");
    str_copy(log.endpoint, sizeof(log.endpoint), relay_endpoint_path(cl->ep));
    log.input = u->input;
    log.output = u->output;
    log.cache_read = u->cache_read;
    log.cache_write = u->cache_write_5m + u->cache_write_1h;
    log.quota = billed;
    log.duration_ms = (int)((str_mono_us() - req->t_start_us) / 1000);
    log.ttfb_ms =
        req->t_first_byte_us ? (int)((req->t_first_byte_us - req->t_start_us) / 1000) : 0;
    log.is_stream = cl->stream;
    log.status = status;
    log.estimated = estimated || u->clamped;
    str_copy(log.error_class, sizeof(log.error_class), error_class ? error_class : "");
    str_copy(log.client_ip, sizeof(log.client_ip), req->client_ip);
    *out = log;
}

/* Settle the call, queue its usage row, finish limits. A call on a balance lease has its
 * usage row journaled with its charge in one step (store_settle), so that a process
 * killed at any point leaves both or neither; the overage, if any, is taken first so
 * that the row carries the whole charge. */
static void settle(struct call *cl, const struct pick *p, int status,
                   const char *error_class, int delivered)
{
    struct tg_request *req = cl->req;
    struct tg_app *app = req->app;
    struct usage u = cl->usage;
    struct tg_err err = {0};
    struct store_conn *c = NULL;
    struct usage_log row;
    int estimated = 0, money;
    int64_t charge = 0, billed;

    if (delivered && (!u.seen || !cl->terminal)) {
        /* No usage, or a stream cut before its end: bill what we know or can estimate. */
        int64_t in_est = (int64_t)req->body.len / 4 + 1, out_est = cl->out_chars / 4 + 1;
        if (!u.seen ||
            (u.input + u.cache_read + u.cache_write_5m + u.cache_write_1h) == 0)
            u.input = in_est;
        if (u.output < out_est)
            u.output = out_est;
        estimated = 1;
    }
    if (delivered)
        charge = charge_quota(&cl->price, &u, cl->ppm);
    billed = cl->reserved > 0 && charge > cl->reserved ? cl->reserved : charge;
    money = cl->reserved > 0 || charge > 0;
    if (money && charge <= billed && (!cl->admitted || limits_none(&cl->ki->key))) {
        /* Most calls of a busy key: settled on its lease in memory, no connection. */
        usage_row(cl, p, &u, status, error_class, billed, estimated, &row);
        if (store_settle_mem(req->id, charge, !delivered, &row, &err) == 1) {
            usagelog_push(app, NULL, &row);
            goto done;
        }
    }
    if (money || cl->admitted)
        c = store_get(app->pool, &err);
    if (charge > billed)
        billed += overage(cl, c, charge - billed, estimated || u.clamped);
    usage_row(cl, p, &u, status, error_class, billed, estimated, &row);
    /* c may be NULL: a call reserved on a balance lease settles in memory. */
    if (money && store_settle(c, req->id, charge, !delivered, &row, &err) < 0)
        log_error("billing", "event=settle_failed request=%s charge=%lld reason=\"%s\"%s",
                  req->id, (long long)charge, err.msg,
                  c ? "" : " (the reaper releases it)");
    usagelog_push(app, c, &row);
    if (c && cl->admitted)
        limits_finish(c, &cl->ki->key, req->id, money && delivered ? usage_total(&u) : 0,
                      &err);
    store_put(app->pool, c);
done:
    metrics_tokens(MT_INPUT, u.input);
    metrics_tokens(MT_OUTPUT, u.output);
    metrics_tokens(MT_CACHE_READ, u.cache_read);
    metrics_tokens(MT_CACHE_WRITE, u.cache_write_5m + u.cache_write_1h);
    metrics_quota(billed);
    if (req->t_first_byte_us)
        metrics_ttfb(req->t_first_byte_us - req->t_start_us);
}

/* The upstream's error message if its body is JSON with one (trimmed), for 4xx that are
 * about the client's request. Never the raw body. */
static void upstream_message(const struct buf *held, char *out, size_t cap)
{
    json_t *j = held->len ? json_loadb(held->ptr, held->len, 0, NULL) : NULL;
    json_t *e = json_object_get(j, "error");
    const char *m = json_string_value(json_object_get(e, "message"));

    if (!m)
        m = json_string_value(e);
    snprintf(out, cap, "%.160s", m ? m : "the upstream rejected the request");
    json_decref(j);
}

/* Reserve (and admit under the key's limits). Returns 0 or -1 with err. */
static int admit(struct call *cl, struct tg_err *err)
{
    struct tg_request *req = cl->req;
    struct store_conn *c;
    int rc = 0, max_out_price = 0;
    int64_t wanted;
    char worker[64];

    if (chancache_price(req->app, cl->model, &cl->price, &max_out_price, err) != 1)
        return err->code ? -1
                         : err_set_field(err, TG_ENOTFOUND, "model",
                                         "model %s has no price and is not available",
                                         cl->model);
    if (!cl->max_output && cl->ep != EP_EMBEDDINGS)
        cl->max_output =
            max_out_price > 0 ? max_out_price : req->app->cfg->max_output_default;
    cl->ppm = chancache_group_ppm(req->app, cl->ki->user_group);
    /* A true upper bound: no call has more input tokens than its body has bytes. */
    cl->reserved =
        charge_reserve(&cl->price, (int64_t)req->body.len, cl->max_output, cl->ppm);
    wanted = cl->reserved;
    /* Most calls of a busy key without limits: admitted on its lease, no connection,
     * while the usage queue and the journal have room for every call of this worker in
     * flight (each settles one row into both), so that none of them is dropped. */
    if (cl->reserved > 0 && limits_none(&cl->ki->key) &&
        usagelog_room(req->app) > req->app->cfg->threads &&
        store_reserve_mem(cl->ki->key.user_id, cl->ki->key.id, req->id, cl->reserved,
                          req->app->cfg->threads)) {
        cl->admitted = 1;
        return 0;
    }
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    /* Money first: a call refused for its balance must not use up a rate-limit slot. */
    snprintf(worker, sizeof(worker), "pid:%d", str_pid());
    rc = cl->reserved > 0 ? store_reserve(c, cl->ki->key.user_id, cl->ki->key.id, req->id,
                                          cl->reserved, worker, err)
                          : 1;
    if (rc != 1) {
        store_put(req->app->pool, c);
        cl->reserved = 0;
        if (rc == 0)
            return err_set(err, TG_EQUOTA,
                           "insufficient quota: this call may cost up to "
                           "%lld and the balance is lower",
                           (long long)wanted);
        if (rc == 2)
            return err_set(err, TG_EQUOTA, "this key's quota limit is reached");
        return -1;
    }
    if (limits_admit(c, &cl->ki->key, req->id, err) != 0) {
        struct tg_err e2 = {0};
        /* Refused by a limit: the reservation goes straight back, nothing is charged. */
        if (cl->reserved > 0 && store_settle(c, req->id, 0, 1, NULL, &e2) < 0)
            log_error("billing",
                      "event=release_failed request=%s (the reaper releases it)",
                      req->id);
        cl->reserved = 0;
        store_put(req->app->pool, c);
        return -1;
    }
    cl->admitted = 1;
    store_put(req->app->pool, c);
    return 0;
}

/* Read the usage of a held non-stream answer. Returns 0, or -1 if it is no JSON object:
 * a cut or garbled body is never passed on as a success. */
static int read_held(struct call *cl)
{
    json_t *j;
    int ok;

    jarena_begin(); /* j is read for its usage and released right here */
    j = json_loadb(cl->held.ptr ? cl->held.ptr : "", cl->held.len, 0, NULL);
    ok = json_is_object(j);
    if (ok) {
        usage_from_body(cl->ud, j, &cl->usage);
        cl->terminal = 1;
    }
    json_decref(j);
    jarena_end();
    cl->out_chars = (int64_t)cl->held.len / 2;
    return ok ? 0 : -1;
}

#define HEALTH_SLOTS    64 /* a power of two */
#define HEALTH_EVERY_US 1000000

/* A successful call's health row (response time, tested_at) is written at most once a
 * second per channel and process: every call writing the same channels row would add a
 * round trip and a hot row to the hot path. Failures are always written. */
static int health_due(int64_t channel_id)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static struct {
        int64_t id, at_us;
    } slots[HEALTH_SLOTS];
    size_t i = (size_t)channel_id & (HEALTH_SLOTS - 1);
    int64_t now = str_mono_us();
    int due;

    pthread_mutex_lock(&mu);
    due = slots[i].id != channel_id || now - slots[i].at_us >= HEALTH_EVERY_US;
    if (due) {
        slots[i].id = channel_id;
        slots[i].at_us = now;
    }
    pthread_mutex_unlock(&mu);
    return due;
}

enum attempt_end { A_DONE, A_RETRY, A_FAIL };

/* One upstream attempt. A_RETRY: nothing reached the client and another channel may
 * try; A_FAIL: err says why (nothing sent); A_DONE: the client got an answer. */
static enum attempt_end attempt(struct call *cl, const struct pick *p, int *status,
                                const char **eclass, struct tg_err *err)
{
    const struct tg_config *cfg = cl->req->app->cfg;
    struct upstream_call u = {0};
    enum upstream_result r;
    char url[1200], msg[200], **hdrs;
    char *key = NULL, *body;
    size_t body_len = 0;
    struct tg_err e2 = {0};
    struct store_conn *c;

    if (p->ch.key_enc[0]) {
        key = chancache_channel_key(cfg, &p->ch);
        if (!key) {
            log_error("relay", "event=channel_key_unreadable channel=%lld",
                      (long long)p->ch.id);
            return A_RETRY;
        }
    }
    cl->pick = p;
    buf_reset(&cl->held);
    memset(&cl->usage, 0, sizeof(cl->usage));
    cl->out_chars = 0;
    cl->terminal = cl->malformed = cl->too_big = cl->upstream_error_event = 0;
    sse_free(&cl->sse);
    sse_init(&cl->sse);
    relay_upstream_url(cl, p, url, sizeof(url));
    hdrs = relay_upstream_headers(cl, p, key);
    body = relay_upstream_body(cl, p, &body_len);
    crypto_free_secret(key);
    if (!hdrs || !body) {
        relay_free_headers(hdrs);
        free(body);
        err_set(err, TG_EINTERNAL, "out of memory");
        return A_FAIL;
    }
    u.cfg = cfg;
    u.url = url;
    u.headers = (const char *const *)hdrs;
    u.body = body;
    u.body_len = body_len;
    u.connect_timeout =
        p->ch.connect_timeout > 0 ? p->ch.connect_timeout : cfg->connect_timeout;
    u.first_byte_timeout = cfg->first_byte_timeout;
    u.idle_timeout = cfg->idle_timeout;
    u.total_timeout = p->ch.total_timeout > 0 ? p->ch.total_timeout : cfg->total_timeout;
    u.on_body = relay_on_body;
    u.on_pass = relay_on_pass;
    u.on_tick = relay_on_tick;
    u.ctx = cl;
    cl->content_type = u.content_type;
    r = upstream_perform(&u);
    relay_on_pass(cl); /* the last pieces, before any bookkeeping below */
    /* u lives on this stack: keep what send_held needs after we return. */
    str_copy(cl->held_type, sizeof(cl->held_type), u.content_type);
    cl->content_type = NULL;
    relay_free_headers(hdrs);
    free(body);
    *status = (int)u.status;

    /* Health and breaker: connect errors, timeouts, 408, 429 and 5xx count as failures.
     */
    int failed = r == UP_CONNECT || r == UP_TIMEOUT ||
                 (r == UP_OK && (u.status == 408 || u.status == 429 || u.status >= 500));
    int auth_bad = r == UP_OK && (u.status == 401 || u.status == 403);
    if (failed || auth_bad)
        metrics_upstream_error();
    if (!cl->client_gone)
        chancache_report(p->ch.id, !failed && !auth_bad, u.retry_after,
                         cfg->breaker_failures, cfg->breaker_cooldown);
    if (failed || auth_bad || (r == UP_OK && u.status < 300 && health_due(p->ch.id))) {
        c = store_get(cl->req->app->pool, &e2);
        if (c && auth_bad)
            store_channel_set_status(c, p->ch.id, "auto_disabled",
                                     u.status == 401 ? "upstream answered 401 (bad key)"
                                                     : "upstream answered 403",
                                     &e2);
        if (c)
            store_channel_health(c, p->ch.id,
                                 failed || auth_bad ? u.error[0] ? u.error : "http error"
                                                    : NULL,
                                 (int)(u.ttfb_us / 1000), &e2);
        store_put(cl->req->app->pool, c);
        if (auth_bad) {
            log_warn("relay", "event=channel_auto_disabled channel=%lld status=%ld",
                     (long long)p->ch.id, u.status);
            chancache_invalidate();
        }
    }

    if (!cl->req->started) {
        if (cl->client_gone) {
            *eclass = "client_gone";
            return A_DONE; /* nobody to answer; nothing delivered */
        }
        if (failed || auth_bad || (r == UP_IO && !u.got_body)) {
            *eclass = r == UP_TIMEOUT ? "timeout" : "upstream";
            if (r == UP_TIMEOUT)
                err_set(err, TG_ETIMEOUT, "the upstream did not answer in time");
            else
                err_set(err, TG_EOVERLOAD,
                        "every channel for %s is unavailable; retry "
                        "shortly",
                        cl->model);
            err->retry_after = u.retry_after > 0 ? u.retry_after : 1;
            return A_RETRY;
        }
        if (r == UP_OK && u.status >= 400) {
            upstream_message(&cl->held, msg, sizeof(msg));
            *eclass = "upstream_4xx";
            return err_set(err,
                           u.status == 404   ? TG_ENOTFOUND
                           : u.status == 413 ? TG_ETOOBIG
                                             : TG_EINVAL,
                           "%s", msg),
                   A_FAIL;
        }
        if (r != UP_OK || cl->too_big || read_held(cl) != 0) {
            *eclass = cl->too_big ? "too_big" : r != UP_OK ? "upstream" : "malformed";
            return err_set(err, TG_EUPSTREAM, "the upstream response was invalid"),
                   A_FAIL;
        }
        return A_DONE; /* a held (non-stream) body: sent by the caller */
    }
    /* The stream has started: finish it, with an error event if it did not end well. */
    if (!cl->client_gone)
        relay_stream_finish(cl);
    if (cl->client_gone) {
        *eclass = "client_gone";
    } else if (cl->upstream_error_event) {
        *eclass = "upstream_error_event";
    } else if (r != UP_OK || cl->malformed || cl->too_big || !cl->terminal) {
        struct tg_err se = {0};
        if (r == UP_TIMEOUT)
            err_set(&se, TG_ETIMEOUT, "upstream timed out");
        else
            err_set(&se, TG_EUPSTREAM, "upstream stream failed");
        *eclass = r == UP_TIMEOUT ? "timeout" : cl->malformed ? "malformed" : "truncated";
        /* A missing [DONE] after a complete chat stream with usage is tolerated. */
        if (!(r == UP_OK && cl->ud == USAGE_OPENAI_CHAT && cl->usage.seen &&
              !cl->malformed))
            relay_stream_error(cl, &se);
        else
            *eclass = NULL, cl->terminal = 1;
    }
    return A_DONE;
}

/* Send a held non-stream answer (checked by read_held). */
static void send_held(struct call *cl)
{
    if (response_send(cl->req, 200, cl->held_type[0] ? cl->held_type : "application/json",
                      cl->held.ptr ? cl->held.ptr : "", cl->held.len) != 0)
        cl->client_gone = 1;
}

static int count_tokens_locally(struct call *cl)
{
    json_t *out =
        json_pack("{s:I}", "input_tokens", (json_int_t)(cl->req->body.len / 4 + 1));
    int rc = response_send_json(cl->req, 200, out);

    json_decref(out);
    return rc;
}

int relay_call(struct tg_request *req, enum relay_endpoint ep, struct tg_err *err)
{
    struct call cl = {.req = req, .ep = ep};
    struct pick picks[PICK_MAX];
    const char *eclass = NULL;
    int n, status = 0, rc = -1, tries, delivered = 0;
    enum attempt_end end = A_FAIL;
    const struct pick *used = NULL;

    cl.ki = req->who.key;
    cl.ud = usage_kind(ep);
    cl.fam = cl.ud == USAGE_ANTHROPIC ? FAMILY_ANTHROPIC : FAMILY_OPENAI;
    buf_init(&cl.held, 0);
    sse_init(&cl.sse);
    if (!cl.ki || relay_parse_request(&cl, err) != 0 || permitted(&cl, err) != 0)
        goto out;
    n = chancache_pick(req->app, cl.model, cl.fam, cl.ki->user_group, cl.sticky, picks,
                       1 + req->app->cfg->max_failover, err);
    if (n < 0 && !(ep == EP_COUNT_TOKENS && err->code == TG_EOVERLOAD))
        goto out;
    if (ep == EP_COUNT_TOKENS) {
        /* Authenticated, never billed nor counted against rpm. */
        if (n <= 0) {
            *err = (struct tg_err){0};
            rc = count_tokens_locally(&cl);
            goto out;
        }
        end = attempt(&cl, &picks[0], &status, &eclass, err);
        if (end == A_DONE && !req->started)
            send_held(&cl);
        rc = end == A_DONE ? 0 : count_tokens_locally(&cl);
        goto out;
    }
    if (n == 0) {
        err_set_field(err, TG_ENOTFOUND, "model", "model %s is not available", cl.model);
        goto out;
    }
    if (admit(&cl, err) != 0)
        goto out;
    for (tries = 0; tries < n; tries++) {
        struct tg_err aerr = {0};

        used = &picks[tries];
        end = attempt(&cl, used, &status, &eclass, &aerr);
        if (end == A_RETRY && tries + 1 < n && !req->app->draining) {
            log_info("relay", "event=failover channel=%lld reason=%s",
                     (long long)used->ch.id, eclass ? eclass : "-");
            continue;
        }
        if (end != A_DONE)
            *err = aerr;
        break;
    }
    if (end == A_DONE && !req->started && !cl.client_gone)
        send_held(&cl);
    delivered = end == A_DONE && req->bytes_out > 0;
    if (req->started && cl.stream)
        metrics_streams(-1);
    if (end != A_DONE)
        status = response_status_for(err->code, req->dialect);
    else if (!delivered && cl.client_gone)
        status = 499; /* the client left before anything was sent (nginx's code) */
    else if (!status)
        status = 200;
    settle(&cl, used, status, eclass, delivered);
    rc = end == A_DONE ? 0 : -1;
    if (end == A_DONE && !req->started)
        rc = 0; /* the client left before anything was sent */
out:
    buf_free(&cl.held);
    sse_free(&cl.sse);
    json_decref(cl.body);
    return rc;
}

int relay_models(struct tg_request *req, struct tg_err *err)
{
    const struct apikey_info *ki = req->who.key;
    int anthropic = request_header(req, "anthropic-version") != NULL ||
                    request_header(req, "x-api-key") != NULL;
    json_t *ids = json_array(), *data = json_array(), *out, *v;
    size_t i;
    int rc;

    for (int f = 0; f < 2; f++) {
        json_t *part = chancache_models(req->app, f ? FAMILY_ANTHROPIC : FAMILY_OPENAI,
                                        ki ? ki->key.models : "", err);
        if (!part) {
            json_decref(ids);
            json_decref(data);
            return -1;
        }
        json_array_extend(ids, part);
        json_decref(part);
    }
    /* One object that both the OpenAI and the Anthropic clients accept. */
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        json_array_append_new(
            data, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "id", id, "type",
                            "model", "object", "model", "display_name", id, "created",
                            1700000000, "created_at", "2023-11-14T22:13:20Z", "owned_by",
                            strncmp(id, "claude", 6) == 0 ? "anthropic" : "openai"));
    }
    out =
        json_pack("{s:s, s:o, s:b, s:s?, s:s?}", "object", "list", "data", data,
                  "has_more", 0, "first_id",
                  json_array_size(ids) ? json_string_value(json_array_get(ids, 0)) : NULL,
                  "last_id",
                  json_array_size(ids)
                      ? json_string_value(json_array_get(ids, json_array_size(ids) - 1))
                      : NULL);
    (void)anthropic;
    rc = response_send_json(req, 200, out);
    json_decref(out);
    json_decref(ids);
    return rc;
}

void relay_worker_start(struct tg_app *app)
{
    usagelog_start(app);
}

void relay_worker_stop(void)
{
    usagelog_stop();
}
