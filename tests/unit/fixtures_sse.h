/* fixtures_sse: recorded streams of the three dialects (PROTOCOLS.md sections 1-3), and a
 * helper that feeds a stream to the SSE parser cut at one point. */
#ifndef TG_FIXTURES_SSE_H
#define TG_FIXTURES_SSE_H

#include <string.h>

#include "relay/sse_parse.h"

/* clang-format off */
static const char fx_chat_stream[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
    ": PING\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
    "{\"prompt_tokens\":1200,\"completion_tokens\":300,\"total_tokens\":1500}}\n\n"
    "data: [DONE]\n\n";

static const char fx_anthropic_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
    "\"type\":\"message\",\"content\":[],\"model\":\"claude-sonnet-4-20250514\","
    "\"stop_reason\":null,\"usage\":"
    "{\"input_tokens\":472,\"cache_creation_input_tokens\":2000,"
    "\"cache_read_input_tokens\":12000,\"cache_creation\":{\"ephemeral_5m_input_tokens\":"
    "2000,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
    "\"text\",\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\":\"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"text_delta\",\"text\":\"Hello\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static const char fx_responses_stream[] =
    "event: response.created\n"
    "data: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":"
    "\"resp_1\",\"status\":\"in_progress\",\"usage\":null}}\n\n"
    "event: response.output_text.delta\n"
    "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\","
    "\"output_index\":1,\"content_index\":0,\"delta\":\"The\"}\n\n"
    "event: response.completed\n"
    "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"status\":"
    "\"completed\",\"usage\":{\"input_tokens\":12033,\"input_tokens_details\":"
    "{\"cached_tokens\":11904},\"output_tokens\":44,\"output_tokens_details\":"
    "{\"reasoning_tokens\":0},\"total_tokens\":12077}}}\n\n";
/* clang-format on */

/* Feed in[0..n) as two parts cut at `cut`, then finish. Returns the first non-zero
 * sse_feed / sse_finish result, or 0. */
static inline int fx_parse_cut(const char *in, size_t n, size_t cut, sse_cb cb, void *ctx)
{
    struct sse_parser p;
    int rc;

    sse_init(&p);
    rc = sse_feed(&p, in, cut, cb, ctx);
    if (rc == 0)
        rc = sse_feed(&p, in + cut, n - cut, cb, ctx);
    if (rc == 0)
        rc = sse_finish(&p, cb, ctx);
    sse_free(&p);
    return rc;
}

/* Feed in[0..n) one byte at a time, then finish. */
static inline int fx_parse_bytes(const char *in, size_t n, sse_cb cb, void *ctx)
{
    struct sse_parser p;
    int rc = 0;

    sse_init(&p);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = sse_feed(&p, in + i, 1, cb, ctx);
    if (rc == 0)
        rc = sse_finish(&p, cb, ctx);
    sse_free(&p);
    return rc;
}

#endif
