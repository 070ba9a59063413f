/* dialects: the JSON the mock answers with, per API dialect: error bodies, usage
 * objects and non-streaming bodies. Every function returns a new reference, or NULL when
 * out of memory. */
#ifndef TG_MOCK_DIALECTS_H
#define TG_MOCK_DIALECTS_H

#include <jansson.h>

#include "mock/call.h"

/* The error body for status in dialect d, with message msg. */
json_t *dialect_error(enum mock_dialect d, int status, const char *msg);
/* Usage as Chat Completions and legacy Completions report it (prompt includes cache
 * reads). */
json_t *dialect_usage_chat(const struct mock_usage *u);
/* Usage as Anthropic reports it, with output_tokens set to output. */
json_t *dialect_usage_anthropic(const struct mock_usage *u, long long output);
/* Usage as the Responses API reports it (input includes cache reads). */
json_t *dialect_usage_responses(const struct mock_usage *u);
/* A Responses message item holding text, with item status (completed, in_progress, ...);
 * text NULL means an empty content list. */
json_t *dialect_message_item(const struct mock_call *c, const char *text,
                             const char *status);
/* A Responses object with the given status; output is stolen (NULL: empty list); usage is
 * attached when with_usage is set and the call reports usage, else null. */
json_t *dialect_response(const struct mock_call *c, const char *status, json_t *output,
                         int with_usage);
/* The whole non-streaming body for c->ep. */
json_t *dialect_body(const struct mock_call *c);

#endif
