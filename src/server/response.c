/* response: headers, JSON bodies, streams, and the one error -> HTTP mapping table. */
#include <fcgiapp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/request.h"
#include "util/log.h"
#include "util/str.h"

/* clang-format off */
static const struct err_row {
    int status, an_status;                   /* the dialects differ on a few codes */
    const char *oa_type, *oa_code, *an_type; /* OpenAI and portal; Anthropic */
} err_rows[TG_CODE_COUNT] = {
    [TG_OK]        = { 500, 500, "server_error", NULL, "api_error" },
    [TG_EINVAL]    = { 400, 400, "invalid_request_error", NULL, "invalid_request_error" },
    [TG_ETOOBIG]   = { 413, 413, "invalid_request_error", "request_too_large",
                       "request_too_large" },
    [TG_EAUTH]     = { 401, 401, "invalid_request_error", "invalid_api_key",
                       "authentication_error" },
    [TG_EDENIED]   = { 403, 403, "permission_error", "permission_denied",
                       "permission_error" },
    [TG_ENOTFOUND] = { 404, 404, "invalid_request_error", "not_found", "not_found_error" },
    [TG_EMETHOD]   = { 405, 405, "invalid_request_error", "method_not_allowed",
                       "invalid_request_error" },
    [TG_ECONFLICT] = { 409, 409, "invalid_request_error", "conflict",
                       "invalid_request_error" },
    [TG_ELIMIT]    = { 429, 429, "requests", "rate_limit_exceeded", "rate_limit_error" },
    [TG_EQUOTA]    = { 429, 402, "insufficient_quota", "insufficient_quota",
                       "billing_error" },  /* a 429 would make Claude Code retry */
    [TG_EUPSTREAM] = { 502, 502, "server_error", "upstream_error", "api_error" },
    [TG_ETIMEOUT]  = { 504, 504, "server_error", "timeout", "timeout_error" },
    [TG_EUNAVAIL]  = { 503, 503, "server_error", "service_unavailable",
                       "overloaded_error" },
    [TG_EOVERLOAD] = { 503, 529, "server_error", "overloaded", "overloaded_error" },
    [TG_EINTERNAL] = { 500, 500, "server_error", "internal_error", "api_error" },
};
/* clang-format on */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 529:
        return "Overloaded";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

int response_status_for(enum tg_code code, enum dialect d)
{
    const struct err_row *row = &err_rows[err_is_code(code) ? code : TG_EINTERNAL];

    return d == DIALECT_ANTHROPIC ? row->an_status : row->status;
}

void response_add_header(struct tg_request *req, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    if (req->started)
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n <= 0 || (size_t)n >= sizeof(line) || strpbrk(line, "\r\n"))
        return; /* never let a value split the header block */
    buf_puts(&req->extra_headers, line);
    buf_puts(&req->extra_headers, "\r\n");
}

static int put(struct tg_request *req, const void *data, size_t len)
{
    FCGX_Request *r = req->fcgx;

    if (req->client_gone || !r)
        return -1;
    if (len && FCGX_PutStr(data, (int)len, r->out) != (int)len) {
        req->client_gone = 1;
        return -1;
    }
    return 0;
}

static int flush(struct tg_request *req)
{
    FCGX_Request *r = req->fcgx;

    if (req->client_gone || !r)
        return -1;
    if (FCGX_FFlush(r->out) != 0) {
        req->client_gone = 1;
        return -1;
    }
    return 0;
}

static int write_head(struct tg_request *req, int status, const char *content_type,
                      const char *extra)
{
    char head[1024];
    int n;

    n = snprintf(head, sizeof(head),
                 "Status: %d %s\r\nContent-Type: %s\r\nX-Request-Id: %s\r\n%s", status,
                 reason(status), content_type, req->id, extra);
    if (n < 0 || (size_t)n >= sizeof(head))
        return -1;
    req->started = 1;
    req->status = status;
    if (put(req, head, (size_t)n) != 0)
        return -1;
    if (req->extra_headers.len &&
        put(req, req->extra_headers.ptr, req->extra_headers.len))
        return -1;
    return put(req, "\r\n", 2);
}

int response_send(struct tg_request *req, int status, const char *content_type,
                  const void *data, size_t len)
{
    char extra[64];

    if (req->started)
        return -1;
    snprintf(extra, sizeof(extra), "Content-Length: %zu\r\n", len);
    if (write_head(req, status, content_type, extra) != 0 || put(req, data, len) != 0)
        return -1;
    req->bytes_out += (int64_t)len;
    if (!req->t_first_byte_us)
        req->t_first_byte_us = str_mono_us();
    return 0;
}

int response_send_json(struct tg_request *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc;

    if (!text)
        return response_send(req, 500, "application/json",
                             "{\"error\":{\"message\":\"internal error\"}}", 38);
    rc = response_send(req, status, "application/json", text, strlen(text));
    free(text);
    return rc;
}

json_t *response_error_body(enum dialect d, const struct tg_err *err, const char *rid)
{
    enum tg_code c = err_is_code(err->code) ? err->code : TG_EINTERNAL;
    const struct err_row *row = &err_rows[c];
    const char *msg = c == TG_EINTERNAL ? "internal error" : err->msg;
    const char *code = row->oa_code;

    if (d == DIALECT_ANTHROPIC)
        return json_pack("{s:s, s:{s:s, s:s}, s:s}", "type", "error", "error", "type",
                         row->an_type, "message", msg, "request_id", rid ? rid : "");
    /* The relay's 404 is about the model (OpenAI's code); the portal's about an object.
     * A portal 401 is a session problem, not an API key one. */
    if (d == DIALECT_OPENAI && c == TG_ENOTFOUND)
        code = "model_not_found";
    else if (d == DIALECT_PORTAL && c == TG_EAUTH)
        code = "unauthorized";
    return json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", msg, "type",
                     row->oa_type, "param", err->field, "code", code);
}

void response_send_error(struct tg_request *req, const struct tg_err *err)
{
    json_t *body = response_error_body(req->dialect, err, req->id);
    int status = response_status_for(err->code, req->dialect);

    if (err->code == TG_ELIMIT || err->code == TG_EUNAVAIL || err->code == TG_EOVERLOAD ||
        (err->code == TG_EQUOTA && status == 429))
        response_add_header(req, "Retry-After: %d",
                            err->retry_after > 0 ? err->retry_after : 1);
    if (err->code == TG_EMETHOD && req->route == NULL) {
        const char *use = strstr(err->msg, "use ");
        if (use)
            response_add_header(req, "Allow: %s", use + 4);
    }
    response_send_json(req, status, body);
    json_decref(body);
}

int response_stream_begin(struct tg_request *req, int status, const char *content_type)
{
    if (req->started)
        return -1;
    return write_head(req, status, content_type,
                      "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
}

int response_put(struct tg_request *req, const void *data, size_t len)
{
    if (put(req, data, len) != 0)
        return -1;
    req->bytes_out += (int64_t)len;
    return 0;
}

int response_flush(struct tg_request *req)
{
    if (flush(req) != 0)
        return -1;
    if (!req->t_first_byte_us && req->bytes_out > 0)
        req->t_first_byte_us = str_mono_us();
    return 0;
}

int response_write(struct tg_request *req, const void *data, size_t len)
{
    if (response_put(req, data, len) != 0)
        return -1;
    return response_flush(req);
}
