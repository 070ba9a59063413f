/* relay_req: request validation, sticky keys, and the upstream request (URL, headers,
 * body). Fields tollgate does not know pass through untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "config/config.h"
#include "relay/relay_int.h"
#include "util/str.h"

#define MAX_OUTPUT_CAP 10000000

const char *relay_service(enum relay_endpoint ep)
{
    switch (ep) {
    case EP_MESSAGES:
    case EP_COUNT_TOKENS:
        return "claude";
    case EP_RESPONSES:
    case EP_RESPONSES_COMPACT:
        return "codex";
    default:
        return "openai";
    }
}

const char *relay_endpoint_path(enum relay_endpoint ep)
{
    static const char *const paths[EP_COUNT] = {
        [EP_CHAT] = "/v1/chat/completions",
        [EP_COMPLETIONS] = "/v1/completions",
        [EP_EMBEDDINGS] = "/v1/embeddings",
        [EP_RESPONSES] = "/v1/responses",
        [EP_RESPONSES_COMPACT] = "/v1/responses/compact",
        [EP_MESSAGES] = "/v1/messages",
        [EP_COUNT_TOKENS] = "/v1/messages/count_tokens",
    };
    return paths[ep];
}

/* An optional positive integer field; 0 when absent. Returns 0 or -1 (err). */
static int opt_max(json_t *body, const char *field, int64_t *out, struct tg_err *err)
{
    json_t *v = json_object_get(body, field);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return err_set_field(err, TG_EINVAL, field, "%s must be a positive integer",
                             field);
    *out = json_integer_value(v);
    return 0;
}

static int check_shape(struct call *cl, struct tg_err *err)
{
    json_t *b = cl->body, *v;
    const char *need = NULL;

    switch (cl->ep) {
    case EP_CHAT:
    case EP_MESSAGES:
    case EP_COUNT_TOKENS:
        v = json_object_get(b, "messages");
        if (!json_is_array(v) || json_array_size(v) == 0)
            return err_set_field(err, TG_EINVAL, "messages",
                                 "messages must be a non-empty "
                                 "array");
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!json_is_object(json_array_get(v, i)))
                return err_set_field(err, TG_EINVAL, "messages",
                                     "messages[%zu] must be an object", i);
        break;
    case EP_COMPLETIONS:
        need = "prompt";
        break;
    case EP_EMBEDDINGS:
        need = "input";
        break;
    case EP_RESPONSES:
    case EP_RESPONSES_COMPACT:
        v = json_object_get(b, "input");
        if (v && !json_is_string(v) && !json_is_array(v))
            return err_set_field(err, TG_EINVAL, "input",
                                 "input must be a string or an "
                                 "array");
        break;
    default:
        break;
    }
    if (need && !json_object_get(b, need))
        return err_set_field(err, TG_EINVAL, need, "%s is required", need);
    return 0;
}

static void sticky_from_user_id(const char *uid, char *out, size_t cap)
{
    const char *s = strstr(uid, "_session_");
    json_t *j;

    if (s) {
        str_copy(out, cap, s + 9);
        return;
    }
    j = uid[0] == '{' ? json_loads(uid, 0, NULL) : NULL;
    if (j && json_is_string(json_object_get(j, "session_id")))
        str_copy(out, cap, json_string_value(json_object_get(j, "session_id")));
    else
        str_copy(out, cap, uid);
    json_decref(j);
}

/* Conversation key, first found wins (headers, then body fields). */
static void find_sticky(struct call *cl)
{
    static const char *const headers[] = {"x-claude-code-session-id", "session_id",
                                          "session-id", "x-session-id", NULL};
    static const char *const fields[] = {"session_id", "conversation_id",
                                         "prompt_cache_key", NULL};
    json_t *meta = json_object_get(cl->body, "metadata");
    const char *uid = json_string_value(json_object_get(meta, "user_id"));

    for (int i = 0; headers[i]; i++) {
        const char *h = request_header(cl->req, headers[i]);
        if (h && *h) {
            str_copy(cl->sticky, sizeof(cl->sticky), h);
            return;
        }
    }
    if (uid && *uid) {
        sticky_from_user_id(uid, cl->sticky, sizeof(cl->sticky));
        return;
    }
    for (int i = 0; fields[i]; i++) {
        const char *v = json_string_value(json_object_get(cl->body, fields[i]));
        if (v && *v) {
            str_copy(cl->sticky, sizeof(cl->sticky), v);
            return;
        }
    }
}

int relay_parse_request(struct call *cl, struct tg_err *err)
{
    json_t *v;
    int64_t mo = 0;

    cl->body = request_json(cl->req, err);
    if (!cl->body)
        return -1;
    v = json_object_get(cl->body, "model");
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 128)
        return err_set_field(err, TG_EINVAL, "model", "model must be a non-empty string");
    cl->model = json_string_value(v);
    v = json_object_get(cl->body, "stream");
    if (v && !json_is_boolean(v) && !json_is_null(v))
        return err_set_field(err, TG_EINVAL, "stream", "stream must be a boolean");
    cl->stream = json_is_true(v);
    if (cl->ep == EP_EMBEDDINGS || cl->ep == EP_COUNT_TOKENS ||
        cl->ep == EP_RESPONSES_COMPACT)
        cl->stream = 0;
    if (check_shape(cl, err) != 0)
        return -1;
    switch (cl->ep) {
    case EP_MESSAGES:
        if (opt_max(cl->body, "max_tokens", &mo, err) != 0)
            return -1;
        if (!mo)
            return err_set_field(err, TG_EINVAL, "max_tokens", "max_tokens is required");
        break;
    case EP_CHAT:
        if (opt_max(cl->body, "max_completion_tokens", &mo, err) != 0 ||
            (!mo && opt_max(cl->body, "max_tokens", &mo, err) != 0))
            return -1;
        break;
    case EP_COMPLETIONS:
        if (opt_max(cl->body, "max_tokens", &mo, err) != 0)
            return -1;
        break;
    case EP_RESPONSES:
    case EP_RESPONSES_COMPACT:
        if (opt_max(cl->body, "max_output_tokens", &mo, err) != 0)
            return -1;
        break;
    default:
        break;
    }
    cl->max_output = mo > MAX_OUTPUT_CAP ? MAX_OUTPUT_CAP : mo;
    find_sticky(cl);
    return 0;
}

char *relay_upstream_body(struct call *cl, const struct pick *p, size_t *len)
{
    int want_usage = cl->stream && (cl->ep == EP_CHAT || cl->ep == EP_COMPLETIONS);
    json_t *so = json_object_get(cl->body, "stream_options");
    char *out;

    cl->added_usage = 0;
    if (strcmp(p->upstream_model, cl->model) == 0 &&
        (!want_usage || json_is_true(json_object_get(so, "include_usage")))) {
        out = malloc(cl->req->body.len + 1);
        if (out) {
            memcpy(out, cl->req->body.ptr, cl->req->body.len + 1);
            *len = cl->req->body.len;
        }
        return out;
    }
    /* Rewrite a copy: the client's own body (and its model name) stays as sent. */
    json_t *b = json_deep_copy(cl->body);
    if (!b)
        return NULL;
    json_object_set_new(b, "model", json_string(p->upstream_model));
    if (want_usage && !json_is_true(json_object_get(so, "include_usage"))) {
        json_t *nso = json_is_object(so) ? json_deep_copy(so) : json_object();
        json_object_set_new(nso, "include_usage", json_true());
        json_object_set_new(b, "stream_options", nso);
        cl->added_usage = 1;
    }
    out = json_dumps(b, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(b);
    *len = out ? strlen(out) : 0;
    return out;
}

void relay_upstream_url(const struct call *cl, const struct pick *p, char *out,
                        size_t cap)
{
    char base[520];
    size_t n;
    const char *q = cl->req->query;

    str_copy(base, sizeof(base), p->ch.base_url);
    n = strlen(base);
    while (n && base[n - 1] == '/')
        base[--n] = '\0';
    if (n >= 3 && strcmp(base + n - 3, "/v1") == 0)
        base[n - 3] = '\0';
    snprintf(out, cap, "%s%s%s%s", base, relay_endpoint_path(cl->ep),
             q && *q && cl->fam == FAMILY_ANTHROPIC ? "?" : "",
             q && *q && cl->fam == FAMILY_ANTHROPIC ? q : "");
}

static int push(char **h, int *n, int max, const char *name, const char *value)
{
    size_t len;

    if (!value || !*value || *n >= max - 1 || strpbrk(value, "\r\n"))
        return 0;
    len = strlen(name) + strlen(value) + 3;
    h[*n] = malloc(len);
    if (!h[*n])
        return -1;
    snprintf(h[*n], len, "%s: %s", name, value);
    (*n)++;
    return 0;
}

char **relay_upstream_headers(const struct call *cl, const struct pick *p,
                              const char *key)
{
    enum { MAXH = 16 };
    char **h = calloc(MAXH, sizeof(*h));
    const struct tg_request *req = cl->req;
    int n = 0;

    if (!h)
        return NULL;
    push(h, &n, MAXH, "Content-Type", "application/json");
    push(h, &n, MAXH, "Accept-Encoding", "identity");
    if (cl->stream)
        push(h, &n, MAXH, "Accept", "text/event-stream");
    if (cl->fam == FAMILY_ANTHROPIC) {
        const char *ver = request_header(req, "anthropic-version");
        push(h, &n, MAXH, "x-api-key", key);
        push(h, &n, MAXH, "anthropic-version", ver && *ver ? ver : "2023-06-01");
        push(h, &n, MAXH, "anthropic-beta", request_header(req, "anthropic-beta"));
    } else {
        char auth[1100];
        snprintf(auth, sizeof(auth), "Bearer %s", key ? key : "");
        push(h, &n, MAXH, "Authorization", auth);
        crypto_wipe(auth, sizeof(auth));
        push(h, &n, MAXH, "openai-beta", request_header(req, "openai-beta"));
        push(h, &n, MAXH, "session_id", request_header(req, "session_id"));
        push(h, &n, MAXH, "version", request_header(req, "version"));
    }
    (void)p;
    return h;
}

void relay_free_headers(char **h)
{
    for (int i = 0; h && h[i]; i++) {
        crypto_wipe(h[i], strlen(h[i]));
        free(h[i]);
    }
    free(h);
}
