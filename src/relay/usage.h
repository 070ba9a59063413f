/* usage: token counts by kind, read from each dialect's bodies and stream events. */
#ifndef TG_USAGE_H
#define TG_USAGE_H

#include <jansson.h>
#include <stdint.h>

enum dialect_kind { USAGE_OPENAI_CHAT, USAGE_ANTHROPIC, USAGE_RESPONSES };

struct usage {
    int64_t input;  /* uncached input tokens */
    int64_t output; /* output tokens (reasoning included) */
    int64_t cache_read;
    int64_t cache_write_5m;
    int64_t cache_write_1h;
    int seen;    /* 1 once any usage object was read */
    int clamped; /* 1 if a value was negative or absurd and got clamped */
};

#define USAGE_MAX_TOKENS 10000000 /* one call never reports more of one kind */

/* Read a non-streaming response body's usage. Returns 1 found, 0 none. */
int usage_from_body(enum dialect_kind d, const json_t *body, struct usage *u);
/* Fold one parsed stream event (the JSON of its data line) into u. For Anthropic keep the
 * latest non-zero value per field across message_start and message_delta; OpenAI chat
 * takes the usage chunk; Responses takes response.completed / .incomplete / .failed.
 * Returns 1 if the event carried usage, 0 otherwise. */
int usage_from_event(enum dialect_kind d, const char *event_name, const json_t *data,
                     struct usage *u);
/* Total tokens of all kinds. */
int64_t usage_total(const struct usage *u);

#endif
