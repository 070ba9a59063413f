/* handler: routing, auth, controls and non-streaming answers of the mock upstream. */
#include "mock/handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mock/call.h"
#include "mock/dialects.h"
#include "mock/stats.h"
#include "mock/stream.h"

#define HANG_MS        (600L * 1000)        /* the longest hang a fault makes */
#define OVERSIZE_BYTES (64LL * 1024 * 1024) /* the oversize-body fault's length */
#define DRIP_BYTES     64                   /* slow-drip: bytes sent one at a time */
#define DRIP_MS        50

/* clang-format off */
static const struct route {
    const char *method, *path;
    enum mock_endpoint ep;
    enum mock_dialect dialect;
} routes[] = {
    {"POST", "/v1/chat/completions",         EP_CHAT,         DIALECT_OPENAI},
    {"POST", "/v1/completions",              EP_COMPLETIONS,  DIALECT_OPENAI},
    {"POST", "/v1/embeddings",               EP_EMBEDDINGS,   DIALECT_OPENAI},
    {"GET",  "/v1/models",                   EP_MODELS,       DIALECT_OPENAI},
    {"POST", "/v1/messages",                 EP_MESSAGES,     DIALECT_ANTHROPIC},
    {"POST", "/v1/messages/count_tokens",    EP_COUNT_TOKENS, DIALECT_ANTHROPIC},
    {"POST", "/v1/responses",                EP_RESPONSES,    DIALECT_OPENAI},
    {"POST", "/v1/responses/compact",        EP_COMPACT,      DIALECT_OPENAI},
};

static const char *const id_prefixes[] = {
    [EP_CHAT] = "chatcmpl-mock", [EP_COMPLETIONS] = "cmpl-mock",
    [EP_EMBEDDINGS] = "emb-mock",  [EP_MODELS] = "models-mock",
    [EP_MESSAGES] = "msg_mock",    [EP_COUNT_TOKENS] = "count-mock",
    [EP_RESPONSES] = "resp_mock",  [EP_COMPACT] = "resp_mock",
};
/* clang-format on */

static const struct route *route_find(const char *path)
{
    size_t i;

    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strcmp(routes[i].path, path) == 0)
            return &routes[i];
    return NULL;
}

/* Send a complete body. Returns 0, or -1 when the peer is gone. */
static int send_text(struct http_conn *conn, int status, const char *text,
                     const char *extra, int keep_alive)
{
    size_t n = strlen(text);

    if (http_send_head(conn, status, "application/json", (long long)n, extra, keep_alive))
        return -1;
    return http_send(conn, text, n);
}

/* Send o (stolen) as the whole answer. */
static enum stats_outcome send_json(struct mock_call *c, int status, json_t *o,
                                    const char *extra)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    int rc;

    json_decref(o);
    if (!text)
        rc = send_text(c->conn, 500, "{\"error\":{\"message\":\"out of memory\"}}", NULL,
                       c->keep_alive);
    else
        rc = send_text(c->conn, status, text, extra, c->keep_alive);
    free(text);
    if (rc == 0)
        return STATS_COMPLETED;
    c->keep_alive = 0;
    return STATS_ABORTED;
}

static enum stats_outcome send_error(struct mock_call *c, int status, const char *msg)
{
    return send_json(c, status, dialect_error(c->dialect, status, msg),
                     status == 429 ? "Retry-After: 1\r\n" : NULL);
}

/* Body faults on a non-streaming answer: hang, cut or reset half-way, a body that stops
 * half-way but says so in Content-Length, or the first bytes dripped. */
static enum stats_outcome send_faulty(struct mock_call *c, const char *text, size_t n)
{
    enum mock_fault f = c->ctl.fault;
    size_t half = n / 2, i;

    if (f == FAULT_BAD_JSON)
        n = half;
    if (http_send_head(c->conn, 200, "application/json", (long long)n, NULL,
                       c->keep_alive))
        return STATS_ABORTED;
    if (f == FAULT_SLOW_DRIP) {
        for (i = 0; i < n && i < DRIP_BYTES; i++)
            if ((i > 0 && http_wait_gone(c->conn, DRIP_MS)) ||
                http_send(c->conn, text + i, 1) != 0)
                return STATS_ABORTED;
        return http_send(c->conn, text + i, n - i) ? STATS_ABORTED : STATS_COMPLETED;
    }
    if (f == FAULT_BAD_JSON)
        return http_send(c->conn, text, n) ? STATS_ABORTED : STATS_COMPLETED;
    if (http_send(c->conn, text, half) != 0)
        return STATS_ABORTED;
    c->keep_alive = 0;
    if (f == FAULT_HANG_MID)
        return http_wait_gone(c->conn, HANG_MS) ? STATS_ABORTED : STATS_CUT;
    c->reset = f == FAULT_RST;
    return STATS_CUT;
}

/* Send the success body o (stolen), applying body faults. */
static enum stats_outcome send_body(struct mock_call *c, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    enum stats_outcome out;

    json_decref(o);
    if (!text)
        return send_error(c, 500, "out of memory");
    switch (c->ctl.fault) {
    case FAULT_TRUNCATE:
    case FAULT_RST:
    case FAULT_HANG_MID:
    case FAULT_BAD_JSON:
    case FAULT_SLOW_DRIP:
        out = send_faulty(c, text, strlen(text));
        break;
    default:
        out = send_text(c->conn, 200, text, NULL, c->keep_alive) ? STATS_ABORTED
                                                                 : STATS_COMPLETED;
        break;
    }
    free(text);
    if (out != STATS_COMPLETED)
        c->keep_alive = 0;
    return out;
}

/* oversize-body: a valid JSON object of exactly OVERSIZE_BYTES, written in blocks. */
static enum stats_outcome send_oversize(struct mock_call *c)
{
    static const char prefix[] = "{\"id\":\"mock-oversize\",\"padding\":\"";
    static const char suffix[] = "\"}";
    const size_t block = 64 * 1024;
    long long left = OVERSIZE_BYTES - (long long)(sizeof(prefix) + sizeof(suffix) - 2);
    char *buf = malloc(block);
    int rc;

    if (!buf)
        return send_error(c, 500, "out of memory");
    memset(buf, 'x', block);
    rc = http_send_head(c->conn, 200, "application/json", OVERSIZE_BYTES, NULL,
                        c->keep_alive) ||
         http_send(c->conn, prefix, sizeof(prefix) - 1);
    while (rc == 0 && left > 0) {
        size_t n = left < (long long)block ? (size_t)left : block;

        rc = http_send(c->conn, buf, n);
        left -= (long long)n;
    }
    if (rc == 0)
        rc = http_send(c->conn, suffix, sizeof(suffix) - 1);
    free(buf);
    if (rc == 0)
        return STATS_COMPLETED;
    c->keep_alive = 0;
    return STATS_ABORTED;
}

static enum stats_outcome send_redirect(struct mock_call *c)
{
    char extra[CONTROLS_REDIRECT_MAX + 32];

    snprintf(extra, sizeof(extra), "Location: %s\r\n", c->ctl.redirect);
    if (http_send_head(c->conn, 302, "application/json", 0, extra, c->keep_alive) != 0) {
        c->keep_alive = 0;
        return STATS_ABORTED;
    }
    return STATS_COMPLETED;
}

/* Answer a call whose request passed every check. */
static enum stats_outcome call_answer(struct mock_call *c)
{
    char msg[64];

    switch (c->ctl.fault) {
    case FAULT_HANG_HEADERS:
        c->keep_alive = 0;
        return http_wait_gone(c->conn, HANG_MS) ? STATS_ABORTED : STATS_CUT;
    case FAULT_STATUS:
        snprintf(msg, sizeof(msg), "mock fault: status %ld", c->ctl.fault_arg);
        return send_error(c, (int)c->ctl.fault_arg, msg);
    case FAULT_REDIRECT:
        return send_redirect(c);
    case FAULT_OVERSIZE:
        return send_oversize(c);
    default:
        break;
    }
    if (c->stream && stream_ops_for(c->ep))
        return stream_run(c);
    if (c->ctl.fault == FAULT_ERROR_MID)
        return send_error(c, 500, "mock fault: error-mid-stream");
    return send_body(c, dialect_body(c));
}

/* 1 if the request carries key as a Bearer token or in x-api-key. */
static int has_key(const struct http_req *req, const char *key)
{
    const char *a = http_req_header(req, "authorization");
    const char *x = http_req_header(req, "x-api-key");

    if (x && strcmp(x, key) == 0)
        return 1;
    return a && strncasecmp(a, "Bearer ", 7) == 0 && strcmp(a + 7, key) == 0;
}

/* The fault mode of the fault key the request carries, or NULL. */
static const char *fault_key_mode(const struct http_req *req,
                                  const struct handler_auth *auth)
{
    int i;

    for (i = 0; i < auth->nfaults; i++)
        if (has_key(req, auth->faults[i].key))
            return auth->faults[i].mode;
    return NULL;
}

/* Parse the body and the controls. Returns 0, or -1 with msg set (a 400). */
static int call_setup(struct mock_call *c, long long seq, const char *fault, char *msg,
                      size_t msglen)
{
    json_error_t jerr;
    json_t *v; /* borrowed from c->body */

    if (c->ep != EP_MODELS) {
        c->body = json_loadb(c->req->body, c->req->body_len, 0, &jerr);
        if (!c->body || !json_is_object(c->body)) {
            snprintf(msg, msglen, "invalid JSON body: %s",
                     c->body ? "not an object" : jerr.text);
            return -1;
        }
    }
    if (controls_parse(&c->ctl, c->req, msg, msglen) != 0)
        return -1;
    if (fault && controls_force_fault(&c->ctl, fault) != 0) {
        snprintf(msg, msglen, "bad fault key mode: %.100s", fault);
        return -1;
    }
    v = json_object_get(c->body, "model");
    c->model = json_is_string(v) ? json_string_value(v) : "mock-model";
    c->stream = json_is_true(json_object_get(c->body, "stream"));
    v = json_object_get(c->body, "stream_options");
    c->include_usage = json_is_true(json_object_get(v, "include_usage"));
    controls_usage(&c->ctl, c->req->body_len, &c->usage);
    snprintf(c->id, sizeof(c->id), "%s%lld", id_prefixes[c->ep], seq);
    snprintf(c->item_id, sizeof(c->item_id), "msg_mock%lld", seq);
    c->created = (long long)time(NULL);
    return 0;
}

/* A /v1 request: counted, recorded, checked, answered. */
static void serve_v1(struct http_conn *conn, const struct http_req *req,
                     const struct handler_auth *auth, int *keep_alive, int *reset)
{
    const struct route *r = route_find(req->path);
    const char *fault = fault_key_mode(req, auth);
    struct mock_call c;
    enum stats_outcome out;
    char msg[300];
    long long seq;

    memset(&c, 0, sizeof(c));
    c.conn = conn;
    c.req = req;
    c.keep_alive = *keep_alive;
    c.ep = r ? r->ep : EP_CHAT;
    c.dialect = r ? r->dialect
                  : (strncmp(req->path, "/v1/messages", 12) == 0 ? DIALECT_ANTHROPIC
                                                                 : DIALECT_OPENAI);
    if (r && r->ep == EP_MODELS && http_req_header(req, "anthropic-version"))
        c.dialect = DIALECT_ANTHROPIC;
    seq = stats_request_begin(req);
    if (!r)
        out = send_error(&c, 404, "unknown route");
    else if (strcmp(r->method, req->method) != 0)
        out = send_error(&c, 405, "method not allowed");
    else if (auth->key && !fault && !has_key(req, auth->key))
        out = send_error(&c, 401, "invalid api key");
    else if (call_setup(&c, seq, fault, msg, sizeof(msg)) != 0)
        out = send_error(&c, 400, msg);
    else
        out = call_answer(&c);
    stats_request_end(out);
    json_decref(c.body);
    *keep_alive = c.keep_alive;
    *reset = c.reset;
}

/* /_mock/stats, /_mock/last and /_mock/reset: test introspection, no key needed. */
static void serve_mock(struct http_conn *conn, const struct http_req *req,
                       int *keep_alive)
{
    char *text = NULL;
    int status = 200;

    if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/_mock/stats") == 0) {
        text = stats_dump();
    } else if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/_mock/last") == 0) {
        text = stats_last();
        if (!text) {
            status = 404;
            text = strdup("{\"error\":\"no request yet\"}");
        }
    } else if (strcmp(req->method, "POST") == 0 &&
               strcmp(req->path, "/_mock/reset") == 0) {
        stats_reset();
        text = strdup("{\"ok\":true}");
    } else {
        status = 404;
        text = strdup("{\"error\":\"unknown mock route\"}");
    }
    if (!text)
        status = 500;
    if (send_text(conn, status, text ? text : "{}", NULL, *keep_alive) != 0)
        *keep_alive = 0;
    free(text);
}

/* An answer outside any dialect: a request that could not be parsed or routed. */
static void send_plain_error(struct http_conn *conn, int status, int keep_alive)
{
    json_t *o = dialect_error(DIALECT_OPENAI, status, http_reason(status));
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

    send_text(conn, status, text ? text : "{}", NULL, keep_alive);
    free(text);
    json_decref(o);
}

void handler_serve(int fd, const struct handler_auth *auth)
{
    struct http_conn conn;
    struct http_req req;
    int status, rc, keep = 1, reset = 0;

    http_conn_init(&conn, fd);
    while (keep) {
        rc = http_read_request(&conn, &req, &status);
        if (rc <= 0) {
            if (rc < 0 && status)
                send_plain_error(&conn, status, 0);
            break;
        }
        keep = req.keep_alive;
        if (strncmp(req.path, "/_mock/", 7) == 0)
            serve_mock(&conn, &req, &keep);
        else if (strncmp(req.path, "/v1/", 4) == 0 || strcmp(req.path, "/v1") == 0)
            serve_v1(&conn, &req, auth, &keep, &reset);
        else
            send_plain_error(&conn, 404, keep);
        http_req_clear(&req);
        if (conn.broken)
            keep = 0;
    }
    http_conn_close(&conn, reset);
}
