/* relay_stream: upstream bytes to the client as they arrive: SSE events are parsed for
 * usage, filtered, forwarded and flushed one by one; other bodies are held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "relay/jarena.h"
#include "relay/relay_int.h"
#include "relay/sse_write.h"
#include "server/metrics.h"
#include "util/str.h"

/* Characters of generated text in an event, for estimates when usage never comes. */
static int64_t delta_chars(enum dialect_kind d, const json_t *data)
{
    const json_t *delta;
    int64_t n = 0;
    size_t i;
    json_t *ch;

    switch (d) {
    case USAGE_OPENAI_CHAT:
        json_array_foreach(json_object_get(data, "choices"), i, ch)
        {
            delta = json_object_get(ch, "delta");
            n += (int64_t)json_string_length(json_object_get(delta, "content"));
            n += (int64_t)json_string_length(json_object_get(ch, "text"));
        }
        return n;
    case USAGE_ANTHROPIC:
        delta = json_object_get(data, "delta");
        return (int64_t)(json_string_length(json_object_get(delta, "text")) +
                         json_string_length(json_object_get(delta, "thinking")) +
                         json_string_length(json_object_get(delta, "partial_json")));
    case USAGE_RESPONSES:
        return (int64_t)json_string_length(json_object_get(data, "delta"));
    }
    return 0;
}

static int is_terminal(enum dialect_kind d, const char *type)
{
    if (!type)
        return 0;
    if (d == USAGE_ANTHROPIC)
        return strcmp(type, "message_stop") == 0;
    if (d == USAGE_RESPONSES)
        return !strcmp(type, "response.completed") ||
               !strcmp(type, "response.incomplete") || !strcmp(type, "response.failed");
    return 0;
}

static int is_error(enum dialect_kind d, const json_t *data, const char *type)
{
    if (d == USAGE_OPENAI_CHAT)
        return json_object_get(data, "error") != NULL;
    return type && strcmp(type, "error") == 0;
}

/* The usage-only chunk we asked for on the client's behalf: not forwarded. */
static int is_added_usage_chunk(const struct call *cl, const json_t *data)
{
    const json_t *choices = json_object_get(data, "choices");

    return cl->added_usage && cl->ud == USAGE_OPENAI_CHAT && json_is_array(choices) &&
           json_array_size(choices) == 0 &&
           json_is_object(json_object_get(data, "usage"));
}

/* Events are buffered as they are parsed and flushed once libcurl has passed on all of an
 * upstream read (relay_on_pass): the events of one read, which libcurl hands over one
 * HTTP chunk at a time, leave in one FastCGI write, and the head with the first. */
static int forward(struct call *cl, const char *bytes, size_t len)
{
    if (response_put(cl->req, bytes, len) != 0) {
        cl->client_gone = 1;
        return 1;
    }
    return 0;
}

static int flush_out(struct call *cl)
{
    if (cl->req->bytes_out == cl->flushed_bytes)
        return 0; /* nothing new (a partial event): no write, the ping clock runs on */
    if (cl->client_gone || response_flush(cl->req) != 0) {
        cl->client_gone = 1;
        return 1;
    }
    cl->flushed_bytes = cl->req->bytes_out;
    cl->last_write_us = str_mono_us();
    return 0;
}

static int forward_now(struct call *cl, const char *bytes, size_t len)
{
    return forward(cl, bytes, len) || flush_out(cl);
}

static int on_event(void *ctx, const struct sse_event *ev)
{
    struct call *cl = ctx;
    const char *type;
    json_t *data;
    int skip;

    if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
        cl->terminal = 1;
        return forward(cl, ev->raw, ev->raw_len);
    }
    if (ev->data_len == 0)
        return forward(cl, ev->raw, ev->raw_len);
    jarena_begin(); /* data and everything read from it is gone before jarena_end */
    data = json_loadb(ev->data, ev->data_len, 0, NULL);
    if (!json_is_object(data)) {
        json_decref(data);
        jarena_end();
        cl->malformed = 1;
        return 1;
    }
    type = ev->event && *ev->event ? ev->event
                                   : json_string_value(json_object_get(data, "type"));
    usage_from_event(cl->ud, type, data, &cl->usage);
    cl->out_chars += delta_chars(cl->ud, data);
    if (is_terminal(cl->ud, type))
        cl->terminal = 1;
    if (is_error(cl->ud, data, type))
        cl->upstream_error_event = 1;
    skip = is_added_usage_chunk(cl, data);
    json_decref(data);
    jarena_end();
    return skip ? 0 : forward(cl, ev->raw, ev->raw_len);
}

static int hold(struct call *cl, const char *data, size_t len, size_t cap)
{
    if (cl->held.len + len > cap) {
        cl->too_big = 1;
        return 1;
    }
    return buf_append(&cl->held, data, len) != 0;
}

int relay_on_body(void *ctx, long status, const char *data, size_t len)
{
    struct call *cl = ctx;
    int rc;

    if (status < 200 || status >= 300) {
        /* Error bodies are read for their message, never passed through; keep a bit. */
        if (cl->held.len < ERROR_BODY_MAX)
            buf_append(&cl->held, data,
                       len < ERROR_BODY_MAX - cl->held.len
                           ? len
                           : ERROR_BODY_MAX - cl->held.len);
        return 0;
    }
    if (!cl->stream || !cl->content_type ||
        strncmp(cl->content_type, "text/event-stream", 17))
        return hold(cl, data, len, (size_t)cl->req->app->cfg->max_stream_bytes);
    if (!cl->req->started) {
        if (response_stream_begin(cl->req, 200, "text/event-stream") != 0) {
            cl->client_gone = 1;
            return 1;
        }
        metrics_streams(1);
        cl->last_write_us = str_mono_us();
    }
    if (cl->req->bytes_out > cl->req->app->cfg->max_stream_bytes) {
        cl->too_big = 1;
        return 1;
    }
    rc = sse_feed(&cl->sse, data, len, on_event, cl);
    if (rc < 0 || cl->sse.junk) /* LLM upstreams send no other lines: a broken stream */
        cl->malformed = 1;
    return rc != 0 || cl->sse.junk;
}

int relay_on_pass(void *ctx)
{
    struct call *cl = ctx;

    return cl->req->started && !cl->client_gone ? flush_out(cl) : 0;
}

int relay_on_tick(void *ctx)
{
    struct call *cl = ctx;
    const struct tg_config *cfg = cl->req->app->cfg;

    if (request_peer_gone(cl->req)) {
        cl->client_gone = 1;
        return 1;
    }
    /* Keep quiet streams alive through proxies: an SSE comment every parser ignores. */
    if (cl->req->started && cl->stream &&
        str_mono_us() - cl->last_write_us > (int64_t)cfg->ping_interval * 1000000)
        return forward_now(cl, ": ping\n\n", 8);
    return 0;
}

void relay_stream_finish(struct call *cl)
{
    if (sse_finish(&cl->sse, on_event, cl) < 0 || cl->sse.junk)
        cl->malformed = 1;
    relay_on_pass(cl);
}

/* The terminal event a Responses client waits for after an error event. */
static int responses_failed(struct call *cl, struct buf *out, const json_t *error)
{
    char id[64], *text;
    json_t *ev;
    int rc;

    snprintf(id, sizeof(id), "resp_%s", cl->req->id);
    ev = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:O?, s:O?}}}", "type", "response.failed",
                   "response", "id", id, "object", "response", "status", "failed",
                   "error", "code", json_object_get(error, "code"), "message",
                   json_object_get(error, "message"));
    text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    rc = text ? sse_format_event(out, "response.failed", text, strlen(text)) : -1;
    json_decref(ev);
    free(text);
    return rc;
}

void relay_stream_error(struct call *cl, const struct tg_err *err)
{
    json_t *body = response_error_body(cl->req->dialect, err, cl->req->id);
    char *text = NULL;
    struct buf out;

    if (cl->client_gone)
        goto done;
    if (cl->ud == USAGE_RESPONSES) {
        /* Responses streams end with an error event in their own shape. */
        json_decref(body);
        body =
            json_pack("{s:s, s:s, s:s}", "type", "error", "code", err_name(err->code),
                      "message", err->code == TG_EINTERNAL ? "internal error" : err->msg);
    }
    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!text)
        goto done;
    buf_init(&out, 0);
    if (sse_format_event(&out, cl->ud == USAGE_OPENAI_CHAT ? NULL : "error", text,
                         strlen(text)) == 0 &&
        (cl->ud != USAGE_RESPONSES || responses_failed(cl, &out, body) == 0))
        forward_now(cl, out.ptr, out.len);
    buf_free(&out);
done:
    json_decref(body);
    free(text);
}
