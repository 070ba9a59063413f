/* request: FastCGI parameters, the body, path parameters and the query string. */
#include <ctype.h>
#include <fcgiapp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "server/request.h"
#include "util/str.h"

#define JSON_MAX_DEPTH 64

const char *request_param(const struct tg_request *req, const char *name)
{
    FCGX_Request *r = req->fcgx;

    return r ? FCGX_GetParam(name, r->envp) : NULL;
}

const char *request_header(const struct tg_request *req, const char *name)
{
    char key[128] = "HTTP_";
    size_t n = 5;

    for (const char *p = name; *p && n < sizeof(key) - 1; p++)
        key[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    key[n] = '\0';
    if (!strcmp(name, "content-type"))
        return request_param(req, "CONTENT_TYPE");
    return request_param(req, key);
}

const char *request_path_param(const struct tg_request *req, int i)
{
    return i >= 0 && i < req->nparams ? req->params[i] : NULL;
}

int request_query(const struct tg_request *req, const char *key, char *out, size_t cap)
{
    const char *p = req->query;
    size_t klen = strlen(key);

    while (p && *p) {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);

        if ((size_t)(end - p) >= klen && strncmp(p, key, klen) == 0 &&
            (p[klen] == '=' || p + klen == end)) {
            const char *v = p[klen] == '=' ? p + klen + 1 : end;
            size_t n = 0;

            while (v < end && n + 1 < cap) {
                if (*v == '%' && end - v >= 3 && str_hexval(v[1]) >= 0 &&
                    str_hexval(v[2]) >= 0) {
                    out[n++] = (char)(str_hexval(v[1]) << 4 | str_hexval(v[2]));
                    v += 3;
                } else {
                    out[n++] = *v == '+' ? ' ' : *v;
                    v++;
                }
            }
            out[n] = '\0';
            return 1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* Reject nesting deeper than JSON_MAX_DEPTH before jansson builds anything. Strings are
 * skipped so brackets inside them do not count. */
static int json_too_deep(const char *s, size_t n)
{
    int depth = 0, in_str = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '[' || c == '{') {
            if (++depth > JSON_MAX_DEPTH)
                return 1;
        } else if (c == ']' || c == '}')
            depth--;
    }
    return 0;
}

json_t *request_json(const struct tg_request *req, struct tg_err *err)
{
    json_error_t jerr;
    json_t *j;

    if (req->body.len == 0)
        return err_set(err, TG_EINVAL, "request body is empty; expected a JSON object"),
               NULL;
    if (!str_valid_utf8(req->body.ptr, req->body.len))
        return err_set(err, TG_EINVAL, "request body is not valid UTF-8"), NULL;
    if (json_too_deep(req->body.ptr, req->body.len))
        return err_set(err, TG_EINVAL, "JSON nested deeper than %d levels",
                       JSON_MAX_DEPTH),
               NULL;
    j = json_loadb(req->body.ptr, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return err_set(err, TG_EINVAL, "invalid JSON: %s (line %d, column %d)", jerr.text,
                       jerr.line, jerr.column),
               NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(err, TG_EINVAL, "request body must be a JSON object"), NULL;
    }
    return j;
}

int request_fd(const struct tg_request *req)
{
    FCGX_Request *r = req->fcgx;

    return r ? r->ipcFd : -1;
}

int request_peer_gone(const struct tg_request *req)
{
    /* POLLRDHUP, not POLLIN: unread request bytes would set POLLIN too. */
    struct pollfd p = {.fd = request_fd(req), .events = POLLRDHUP};

    if (p.fd < 0)
        return 0;
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}
