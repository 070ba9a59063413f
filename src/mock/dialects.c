/* dialects: error bodies, usage objects and non-streaming bodies of the mock upstream. */
#include "mock/dialects.h"

#include <stdlib.h>
#include <string.h>

#define EMBEDDING_DIMS       8
#define EMBEDDING_MAX_INPUTS 2048

/* clang-format off */
static const struct err_row {
    int status;
    const char *oa_type, *oa_code, *an_type;
} err_rows[] = {
    {400, "invalid_request_error", NULL,                  "invalid_request_error"},
    {401, "invalid_request_error", "invalid_api_key",     "authentication_error"},
    {403, "permission_error",      NULL,                  "permission_error"},
    {404, "invalid_request_error", "not_found",           "not_found_error"},
    {413, "invalid_request_error", NULL,                  "request_too_large"},
    {429, "requests",              "rate_limit_exceeded", "rate_limit_error"},
    {500, "server_error",          NULL,                  "api_error"},
    {503, "server_error",          NULL,                  "overloaded_error"},
    {504, "server_error",          NULL,                  "timeout_error"},
    {529, "server_error",          NULL,                  "overloaded_error"},
};
/* clang-format on */

json_t *dialect_error(enum mock_dialect d, int status, const char *msg)
{
    const char *oa_type = status >= 500 ? "server_error" : "invalid_request_error";
    const char *an_type = status >= 500 ? "api_error" : "invalid_request_error";
    const char *oa_code = NULL;
    size_t i;

    for (i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
        if (err_rows[i].status == status) {
            oa_type = err_rows[i].oa_type;
            oa_code = err_rows[i].oa_code;
            an_type = err_rows[i].an_type;
            break;
        }
    }
    if (d == DIALECT_ANTHROPIC)
        return json_pack("{s:s, s:{s:s, s:s}, s:s}", "type", "error", "error", "type",
                         an_type, "message", msg, "request_id", "req_mock");
    return json_pack("{s:{s:s, s:s, s:n, s:s?}}", "error", "message", msg, "type",
                     oa_type, "param", "code", oa_code);
}

json_t *dialect_usage_chat(const struct mock_usage *u)
{
    long long prompt = u->input + u->cache_read;

    return json_pack("{s:I, s:I, s:I, s:{s:I, s:i}, s:{s:i, s:i, s:i, s:i}}",
                     "prompt_tokens", (json_int_t)prompt, "completion_tokens",
                     (json_int_t)u->output, "total_tokens",
                     (json_int_t)(prompt + u->output), "prompt_tokens_details",
                     "cached_tokens", (json_int_t)u->cache_read, "audio_tokens", 0,
                     "completion_tokens_details", "reasoning_tokens", 0, "audio_tokens",
                     0, "accepted_prediction_tokens", 0, "rejected_prediction_tokens", 0);
}

json_t *dialect_usage_anthropic(const struct mock_usage *u, long long output)
{
    return json_pack("{s:I, s:I, s:I, s:{s:I, s:i}, s:I, s:s}", "input_tokens",
                     (json_int_t)u->input, "cache_creation_input_tokens",
                     (json_int_t)u->cache_write, "cache_read_input_tokens",
                     (json_int_t)u->cache_read, "cache_creation",
                     "ephemeral_5m_input_tokens", (json_int_t)u->cache_write,
                     "ephemeral_1h_input_tokens", 0, "output_tokens", (json_int_t)output,
                     "service_tier", "standard");
}

json_t *dialect_usage_responses(const struct mock_usage *u)
{
    long long input = u->input + u->cache_read;

    return json_pack("{s:I, s:{s:I}, s:I, s:{s:i}, s:I}", "input_tokens",
                     (json_int_t)input, "input_tokens_details", "cached_tokens",
                     (json_int_t)u->cache_read, "output_tokens", (json_int_t)u->output,
                     "output_tokens_details", "reasoning_tokens", 0, "total_tokens",
                     (json_int_t)(input + u->output));
}

json_t *dialect_message_item(const struct mock_call *c, const char *text,
                             const char *status)
{
    json_t *content = text ? json_pack("[{s:s, s:s, s:[]}]", "type", "output_text",
                                       "text", text, "annotations")
                           : json_array();

    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", c->item_id, "type", "message",
                     "status", status, "role", "assistant", "content", content);
}

json_t *dialect_response(const struct mock_call *c, const char *status, json_t *output,
                         int with_usage)
{
    json_t *usage =
        with_usage && c->usage.present ? dialect_usage_responses(&c->usage) : json_null();
    json_t *incomplete = strcmp(status, "incomplete") == 0
                             ? json_pack("{s:s}", "reason", "max_output_tokens")
                             : json_null();
    json_t *error =
        strcmp(status, "failed") == 0
            ? json_pack("{s:s, s:s}", "code", "server_error", "message",
                        "The server had an error while processing the request")
            : json_null();

    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o}", "id", c->id,
                     "object", "response", "created_at", (json_int_t)c->created, "status",
                     status, "model", c->model, "output", output ? output : json_array(),
                     "usage", usage, "error", error, "incomplete_details", incomplete);
}

static json_t *chat_body(const struct mock_call *c, const char *text, const char *finish)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:s, s:n}, s:n, s:s}]}",
                          "id", c->id, "object", "chat.completion", "created",
                          (json_int_t)c->created, "model", c->model, "choices", "index",
                          0, "message", "role", "assistant", "content", text, "refusal",
                          "logprobs", "finish_reason", finish);

    if (o && c->usage.present)
        json_object_set_new(o, "usage", dialect_usage_chat(&c->usage));
    return o;
}

static json_t *completion_body(const struct mock_call *c, const char *text,
                               const char *finish)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:[{s:s, s:i, s:n, s:s}]}", "id", c->id,
                          "object", "text_completion", "created", (json_int_t)c->created,
                          "model", c->model, "choices", "text", text, "index", 0,
                          "logprobs", "finish_reason", finish);

    if (o && c->usage.present)
        json_object_set_new(o, "usage", dialect_usage_chat(&c->usage));
    return o;
}

static json_t *message_body(const struct mock_call *c, const char *text, const char *stop)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:s, s:n}", "id", c->id, "type",
                  "message", "role", "assistant", "model", c->model, "content", "type",
                  "text", "text", text, "stop_reason", stop, "stop_sequence");

    if (o && c->usage.present)
        json_object_set_new(o, "usage",
                            dialect_usage_anthropic(&c->usage, c->usage.output));
    return o;
}

static json_t *compact_body(const struct mock_call *c, const char *text)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:[{s:s, s:s, s:s, s:[{s:s, s:s}]}, {s:s, s:s, s:s}]}", "id",
        c->id, "object", "response.compaction", "created_at", (json_int_t)c->created,
        "output", "type", "message", "id", c->item_id, "role", "user", "content", "type",
        "input_text", "text", text, "type", "compaction", "id", "cmp_mock",
        "encrypted_content", "bW9jayBjb21wYWN0aW9u");

    if (o && c->usage.present)
        json_object_set_new(o, "usage", dialect_usage_responses(&c->usage));
    return o;
}

/* clang-format off */
static const char *const model_ids[][2] = {
    {"gpt-4o-mini",              "GPT-4o mini"},
    {"claude-sonnet-4-20250514", "Claude Sonnet 4"},
    {"mock-model",               "Mock Model"},
};
/* clang-format on */

/* One list that serves both OpenAI and Anthropic clients: no field names clash. */
static json_t *models_body(void)
{
    size_t i, n = sizeof(model_ids) / sizeof(model_ids[0]);
    json_t *data = json_array();

    for (i = 0; i < n; i++)
        json_array_append_new(
            data, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "id", model_ids[i][0],
                            "object", "model", "created", 1715367049, "owned_by", "mock",
                            "type", "model", "display_name", model_ids[i][1],
                            "created_at", "2025-05-14T00:00:00Z"));
    return json_pack("{s:s, s:o, s:b, s:s, s:s}", "object", "list", "data", data,
                     "has_more", 0, "first_id", model_ids[0][0], "last_id",
                     model_ids[n - 1][0]);
}

static json_t *embeddings_body(const struct mock_call *c)
{
    json_t *input = json_object_get(c->body, "input"); /* borrowed */
    size_t n = json_is_array(input) ? json_array_size(input) : 1, i, k;
    json_t *data = json_array(), *usage;

    if (n == 0 || n > EMBEDDING_MAX_INPUTS)
        n = 1;
    for (i = 0; i < n; i++) {
        json_t *vec = json_array();

        for (k = 0; k < EMBEDDING_DIMS; k++)
            json_array_append_new(vec, json_real((double)(i + k + 1) / 16.0));
        json_array_append_new(data, json_pack("{s:s, s:I, s:o}", "object", "embedding",
                                              "index", (json_int_t)i, "embedding", vec));
    }
    usage = c->usage.present
                ? json_pack("{s:I, s:I}", "prompt_tokens", (json_int_t)c->usage.input,
                            "total_tokens", (json_int_t)c->usage.input)
                : NULL;
    return json_pack("{s:s, s:o, s:s, s:o*}", "object", "list", "data", data, "model",
                     c->model, "usage", usage);
}

json_t *dialect_body(const struct mock_call *c)
{
    int incomplete = c->ctl.fault == FAULT_INCOMPLETE;
    char *text;
    json_t *o = NULL;

    if (c->ep == EP_MODELS)
        return models_body();
    if (c->ep == EP_EMBEDDINGS)
        return embeddings_body(c);
    if (c->ep == EP_COUNT_TOKENS)
        return json_pack("{s:I}", "input_tokens", (json_int_t)c->usage.input);
    text = controls_full_text(c->ctl.chunks);
    if (!text)
        return NULL;
    switch (c->ep) {
    case EP_CHAT:
        o = chat_body(c, text, incomplete ? "length" : "stop");
        break;
    case EP_COMPLETIONS:
        o = completion_body(c, text, incomplete ? "length" : "stop");
        break;
    case EP_MESSAGES:
        o = message_body(c, text, incomplete ? "max_tokens" : "end_turn");
        break;
    case EP_RESPONSES:
        o = dialect_response(
            c, incomplete ? "incomplete" : "completed",
            json_pack("[o]", dialect_message_item(
                                 c, text, incomplete ? "incomplete" : "completed")),
            1);
        break;
    case EP_COMPACT:
        o = compact_body(c, text);
        break;
    default:
        break;
    }
    free(text);
    return o;
}
