/* handle: one request from accept to finish: parse, route, read the body, dispatch, send
 * the error if nothing was sent, log, count, free. */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "config/config.h"
#include "router/router.h"
#include "server/metrics.h"
#include "server/request.h"
#include "server/server.h"
#include "util/log.h"
#include "util/str.h"

static void request_init(struct tg_request *req, struct tg_app *app, FCGX_Request *r)
{
    const char *uri, *q, *ip;
    unsigned char rnd[16];
    uint64_t ms;
    size_t n;

    memset(req, 0, sizeof(*req));
    req->app = app;
    req->fcgx = r;
    req->t_start_us = str_mono_us();
    req->route_index = -1;
    req->method = FCGX_GetParam("REQUEST_METHOD", r->envp);
    if (!req->method)
        req->method = "GET";
    uri = FCGX_GetParam("REQUEST_URI", r->envp);
    if (!uri || !*uri)
        uri = FCGX_GetParam("SCRIPT_NAME", r->envp);
    if (!uri)
        uri = "/";
    q = strchr(uri, '?');
    n = q ? (size_t)(q - uri) : strlen(uri);
    if (n >= sizeof(req->path))
        n = sizeof(req->path) - 1;
    memcpy(req->path, uri, n);
    req->path[n] = '\0';
    req->query = q ? q + 1 : "";
    ip = FCGX_GetParam("REMOTE_ADDR", r->envp);
    str_copy(req->client_ip, sizeof(req->client_ip), ip ? ip : "");
    /* 48 bits of milliseconds, then 80 random bits: ids sort by time, so the unique
     * indexes on request_id (ledger, usage_logs) grow at one end instead of touching a
     * random page per insert. */
    if (crypto_random_ids(rnd, sizeof(rnd)) != 0)
        log_error("server", "event=random_failed"); /* a clash fails the ledger insert */
    ms = (uint64_t)str_now_us() / 1000;
    for (int i = 5; i >= 0; i--, ms >>= 8)
        rnd[i] = (unsigned char)(ms & 0xff);
    str_hex(rnd, sizeof(rnd), req->id);
    buf_init(&req->body, (size_t)app->cfg->max_body_bytes);
    buf_init(&req->extra_headers, 4096);
    req->dialect = router_path_dialect(req->path);
}

static void request_cleanup(struct tg_request *req)
{
    for (int i = 0; i < req->nparams; i++)
        free((void *)req->params[i]);
    free(req->who.key);
    buf_free(&req->body);
    buf_free(&req->extra_headers);
}

/* Read the body, refusing a declared or actual size over the limit. Returns 0 or -1. */
static int read_body(struct tg_request *req, struct tg_err *err)
{
    FCGX_Request *r = req->fcgx;
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
    int64_t want = 0;
    char chunk[16384];

    if (!cl || !*cl)
        return 0;
    if (str_to_i64(cl, 0, INT64_MAX, &want) != 0)
        return err_set(err, TG_EINVAL, "bad Content-Length");
    if (want > req->app->cfg->max_body_bytes)
        return err_set(err, TG_ETOOBIG, "request body over %lld bytes",
                       (long long)req->app->cfg->max_body_bytes);
    while ((int64_t)req->body.len < want) {
        int64_t left = want - (int64_t)req->body.len;
        int got = FCGX_GetStr(
            chunk, left < (int64_t)sizeof(chunk) ? (int)left : (int)sizeof(chunk), r->in);
        if (got <= 0)
            return err_set(err, TG_EINVAL, "request body shorter than Content-Length");
        if (buf_append(&req->body, chunk, (size_t)got) != 0)
            return err_set(err, TG_ETOOBIG, "request body too large");
    }
    return 0;
}

static const char *route_label(int i)
{
    return i >= 0 && i < router_route_count ? router_routes[i].name : "unmatched";
}

const char *server_route_name(int i);
const char *server_route_name(int i)
{
    return route_label(i);
}

void server_handle(struct tg_app *app, void *fcgx_request)
{
    struct tg_request req;
    struct route_match m;
    struct tg_err err = {0};
    char why[sizeof(err.msg) + 64]; /* " error=NAME reason=\"MSG\"" of the access line */
    int64_t dur;
    int rc = -1;

    request_init(&req, app, fcgx_request);
    log_set_request_id(req.id);
    metrics_inflight(1);
    if (router_match(req.method, req.path, &m, &err) == 0) {
        req.route = m.route;
        req.route_index = m.index;
        req.nparams = m.nparams;
        for (int i = 0; i < m.nparams; i++)
            req.params[i] = strdup(m.params[i]);
        if (m.route->dialect != DIALECT_OPENAI)
            req.dialect = m.route->dialect;
        else if (!strcmp(m.route->name, "models") &&
                 (request_header(&req, "anthropic-version") ||
                  request_header(&req, "x-api-key")))
            req.dialect = DIALECT_ANTHROPIC;
        if (read_body(&req, &err) == 0)
            rc = router_dispatch(&req, &err);
    }
    if (rc != 0 && !req.started) {
        if (!err_is_code(err.code))
            err_set(&err, TG_EINTERNAL, "internal error");
        response_send_error(&req, &err);
    } else if (!req.started && (req.client_gone || request_peer_gone(&req))) {
        req.status = 499; /* the client left before its answer: nothing to send */
    } else if (!req.started) {
        struct tg_err e = {0};
        err_set(&e, TG_EINTERNAL, "handler sent no response");
        response_send_error(&req, &e);
    }
    dur = str_mono_us() - req.t_start_us;
    metrics_request(req.route_index, req.status, dur);
    metrics_inflight(-1);
    why[0] = 0;
    if (err.code) /* the message is the client's too: no secrets, SQL or upstream text */
        snprintf(why, sizeof(why), " error=%s reason=\"%s\"", err_name(err.code),
                 err.msg);
    log_info("access", "method=%s path=%s status=%d dur_ms=%.1f bytes=%lld%s", req.method,
             req.path, req.status, (double)dur / 1000.0, (long long)req.bytes_out, why);
    log_set_request_id(NULL);
    request_cleanup(&req);
}
