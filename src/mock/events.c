/* events: the streamed events of Chat Completions, Completions, Messages and Responses.
 */
#include <stdlib.h>

#include "mock/dialects.h"
#include "mock/stream.h"

#define DONE_LINE "data: [DONE]\n\n"

static const char *finish_reason(const struct mock_call *c)
{
    return c->ctl.fault == FAULT_INCOMPLETE ? "length" : "stop";
}

/* ---- Chat Completions ------------------------------------------------------------ */

/* A chat.completion.chunk with one choice; delta is stolen, finish may be NULL. */
static json_t *chat_chunk(const struct mock_call *c, json_t *delta, const char *finish)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:n, s:s?}], s:n}", "id", c->id,
                     "object", "chat.completion.chunk", "created", (json_int_t)c->created,
                     "model", c->model, "choices", "index", 0, "delta", delta, "logprobs",
                     "finish_reason", finish, "usage");
}

/* The usage-only chunk (empty choices) before [DONE], when the client asked for it. */
static int usage_chunk(struct mock_call *c, const char *object)
{
    if (!c->include_usage || !c->usage.present)
        return 0;
    return stream_emit(c, NULL,
                       json_pack("{s:s, s:s, s:I, s:s, s:[], s:o}", "id", c->id, "object",
                                 object, "created", (json_int_t)c->created, "model",
                                 c->model, "choices", "usage",
                                 dialect_usage_chat(&c->usage)));
}

static int chat_start(struct mock_call *c)
{
    return stream_emit(c, NULL,
                       chat_chunk(c,
                                  json_pack("{s:s, s:s, s:n}", "role", "assistant",
                                            "content", "", "refusal"),
                                  NULL));
}

static int chat_delta(struct mock_call *c, long i)
{
    char text[32];

    controls_chunk_text(i, text, sizeof(text));
    return stream_emit(c, NULL, chat_chunk(c, json_pack("{s:s}", "content", text), NULL));
}

static int chat_finish(struct mock_call *c)
{
    if (stream_emit(c, NULL, chat_chunk(c, json_object(), finish_reason(c))) != 0 ||
        usage_chunk(c, "chat.completion.chunk") != 0)
        return -1;
    return stream_raw(c, DONE_LINE);
}

static int openai_fail(struct mock_call *c)
{
    return stream_emit(c, NULL,
                       json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message",
                                 "The server is overloaded", "type", "server_error",
                                 "param", "code"));
}

/* ---- legacy Completions ---------------------------------------------------------- */

static json_t *text_chunk(const struct mock_call *c, const char *text, const char *finish)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:[{s:s, s:i, s:n, s:s?}], s:n}", "id", c->id,
                     "object", "text_completion", "created", (json_int_t)c->created,
                     "model", c->model, "choices", "text", text, "index", 0, "logprobs",
                     "finish_reason", finish, "usage");
}

static int text_start(struct mock_call *c)
{
    return 0;
}

static int text_delta(struct mock_call *c, long i)
{
    char text[32];

    controls_chunk_text(i, text, sizeof(text));
    return stream_emit(c, NULL, text_chunk(c, text, NULL));
}

static int text_finish(struct mock_call *c)
{
    if (stream_emit(c, NULL, text_chunk(c, "", finish_reason(c))) != 0 ||
        usage_chunk(c, "text_completion") != 0)
        return -1;
    return stream_raw(c, DONE_LINE);
}

/* ---- Anthropic Messages ---------------------------------------------------------- */

static int msg_start(struct mock_call *c)
{
    json_t *msg = json_pack("{s:s, s:s, s:s, s:[], s:s, s:n, s:n}", "id", c->id, "type",
                            "message", "role", "assistant", "content", "model", c->model,
                            "stop_reason", "stop_sequence");

    if (msg && c->usage.present) /* output_tokens here is a placeholder */
        json_object_set_new(msg, "usage", dialect_usage_anthropic(&c->usage, 1));
    if (stream_emit(c, "message_start",
                    json_pack("{s:s, s:o}", "type", "message_start", "message", msg)) !=
            0 ||
        stream_emit(c, "content_block_start",
                    json_pack("{s:s, s:i, s:{s:s, s:s}}", "type", "content_block_start",
                              "index", 0, "content_block", "type", "text", "text", "")) !=
            0)
        return -1;
    return stream_emit(c, "ping", json_pack("{s:s}", "type", "ping"));
}

static int msg_delta(struct mock_call *c, long i)
{
    char text[32];

    controls_chunk_text(i, text, sizeof(text));
    return stream_emit(c, "content_block_delta",
                       json_pack("{s:s, s:i, s:{s:s, s:s}}", "type",
                                 "content_block_delta", "index", 0, "delta", "type",
                                 "text_delta", "text", text));
}

static int msg_finish(struct mock_call *c)
{
    const char *stop = c->ctl.fault == FAULT_INCOMPLETE ? "max_tokens" : "end_turn";
    json_t *delta = json_pack("{s:s, s:{s:s, s:n}}", "type", "message_delta", "delta",
                              "stop_reason", stop, "stop_sequence");

    if (delta && c->usage.present)
        json_object_set_new(
            delta, "usage",
            json_pack("{s:I}", "output_tokens", (json_int_t)c->usage.output));
    if (stream_emit(c, "content_block_stop",
                    json_pack("{s:s, s:i}", "type", "content_block_stop", "index", 0)) !=
        0) {
        json_decref(delta);
        return -1;
    }
    if (stream_emit(c, "message_delta", delta) != 0)
        return -1;
    return stream_emit(c, "message_stop", json_pack("{s:s}", "type", "message_stop"));
}

static int msg_fail(struct mock_call *c)
{
    return stream_emit(c, "error",
                       json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type",
                                 "overloaded_error", "message", "Overloaded"));
}

/* ---- OpenAI Responses ------------------------------------------------------------ */

static int resp_event(struct mock_call *c, const char *type, json_t *response)
{
    return stream_emit(c, type,
                       json_pack("{s:s, s:o}", "type", type, "response", response));
}

static json_t *text_part(const char *text)
{
    return json_pack("{s:s, s:s, s:[]}", "type", "output_text", "text", text,
                     "annotations");
}

static int resp_start(struct mock_call *c)
{
    if (resp_event(c, "response.created", dialect_response(c, "in_progress", NULL, 0)) !=
            0 ||
        resp_event(c, "response.in_progress",
                   dialect_response(c, "in_progress", NULL, 0)) != 0 ||
        stream_emit(c, "response.output_item.added",
                    json_pack("{s:s, s:i, s:o}", "type", "response.output_item.added",
                              "output_index", 0, "item",
                              dialect_message_item(c, NULL, "in_progress"))) != 0)
        return -1;
    return stream_emit(c, "response.content_part.added",
                       json_pack("{s:s, s:s, s:i, s:i, s:o}", "type",
                                 "response.content_part.added", "item_id", c->item_id,
                                 "output_index", 0, "content_index", 0, "part",
                                 text_part("")));
}

static int resp_delta(struct mock_call *c, long i)
{
    char text[32];

    controls_chunk_text(i, text, sizeof(text));
    return stream_emit(c, "response.output_text.delta",
                       json_pack("{s:s, s:s, s:i, s:i, s:s, s:[]}", "type",
                                 "response.output_text.delta", "item_id", c->item_id,
                                 "output_index", 0, "content_index", 0, "delta", text,
                                 "logprobs"));
}

static int resp_finish(struct mock_call *c)
{
    int incomplete = c->ctl.fault == FAULT_INCOMPLETE, rc = -1;
    const char *status = incomplete ? "incomplete" : "completed";
    char *text = controls_full_text(c->ctl.chunks);

    if (!text)
        return -1;
    if (stream_emit(c, "response.output_text.done",
                    json_pack("{s:s, s:s, s:i, s:i, s:s, s:[]}", "type",
                              "response.output_text.done", "item_id", c->item_id,
                              "output_index", 0, "content_index", 0, "text", text,
                              "logprobs")) != 0 ||
        stream_emit(c, "response.content_part.done",
                    json_pack("{s:s, s:s, s:i, s:i, s:o}", "type",
                              "response.content_part.done", "item_id", c->item_id,
                              "output_index", 0, "content_index", 0, "part",
                              text_part(text))) != 0 ||
        stream_emit(c, "response.output_item.done",
                    json_pack("{s:s, s:i, s:o}", "type", "response.output_item.done",
                              "output_index", 0, "item",
                              dialect_message_item(c, text, status))) != 0)
        goto out;
    rc = resp_event(
        c, incomplete ? "response.incomplete" : "response.completed",
        dialect_response(c, status,
                         json_pack("[o]", dialect_message_item(c, text, status)), 1));
out:
    free(text);
    return rc;
}

static int resp_fail(struct mock_call *c)
{
    if (stream_emit(c, "error",
                    json_pack("{s:s, s:s, s:s, s:n}", "type", "error", "code",
                              "server_error", "message",
                              "The server had an error while processing the request",
                              "param")) != 0)
        return -1;
    return resp_event(c, "response.failed", dialect_response(c, "failed", NULL, 1));
}

/* clang-format off */
static const struct stream_ops chat_ops = {
    chat_start, chat_delta, chat_finish, openai_fail,
    "data: {\"id\":\"broken\",\"object\":\"chat.completion.chunk\","
    "\"choices\":[{\"delta\":{\n\n",
};
static const struct stream_ops text_ops = {
    text_start, text_delta, text_finish, openai_fail,
    "data: {\"id\":\"broken\",\"object\":\"text_completion\",\"choices\":[{\"text\":\n\n",
};
static const struct stream_ops msg_ops = {
    msg_start, msg_delta, msg_finish, msg_fail,
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\n\n",
};
static const struct stream_ops resp_ops = {
    resp_start, resp_delta, resp_finish, resp_fail,
    "event: response.output_text.delta\n"
    "data: {\"type\":\"response.output_text.delta\",\"delta\":\n\n",
};
/* clang-format on */

const struct stream_ops *stream_ops_for(enum mock_endpoint ep)
{
    switch (ep) {
    case EP_CHAT:
        return &chat_ops;
    case EP_COMPLETIONS:
        return &text_ops;
    case EP_MESSAGES:
        return &msg_ops;
    case EP_RESPONSES:
        return &resp_ops;
    default:
        return NULL;
    }
}
