/* v1: the relay endpoints (OpenAI, Anthropic and Responses dialects). */
#include "api/api.h"
#include "relay/relay.h"

TG_HANDLER(v1_chat)
{
    return relay_call(req, EP_CHAT, err);
}

TG_HANDLER(v1_completions)
{
    return relay_call(req, EP_COMPLETIONS, err);
}

TG_HANDLER(v1_embeddings)
{
    return relay_call(req, EP_EMBEDDINGS, err);
}

TG_HANDLER(v1_responses)
{
    return relay_call(req, EP_RESPONSES, err);
}

TG_HANDLER(v1_responses_compact)
{
    return relay_call(req, EP_RESPONSES_COMPACT, err);
}

TG_HANDLER(v1_messages)
{
    return relay_call(req, EP_MESSAGES, err);
}

TG_HANDLER(v1_count_tokens)
{
    return relay_call(req, EP_COUNT_TOKENS, err);
}

TG_HANDLER(v1_models)
{
    return relay_models(req, err);
}

/* Claude Code posts telemetry here; a 200 keeps its logs quiet. Nothing is stored. */
TG_HANDLER(v1_event_logging)
{
    json_t *out = json_object();
    int rc = response_send_json(req, 200, out);

    json_decref(out);
    (void)err;
    return rc;
}
