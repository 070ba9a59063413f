/* usage: token counts by kind from OpenAI chat, Anthropic and Responses payloads. */
#include <string.h>

#include "relay/usage.h"

/* Read obj[key] as a token count. Absent or null is 0. Anything else that is not an
 * integer in [0, USAGE_MAX_TOKENS] becomes 0 (not an integer) or the nearest bound, and
 * sets u->clamped: a bad count must never turn into a credit or a runaway bill. */
static int64_t count_get(const json_t *obj, const char *key, struct usage *u)
{
    /* borrowed; NULL unless obj is an object */
    const json_t *v = json_object_get(obj, key);
    json_int_t n;

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        u->clamped = 1;
        return 0;
    }
    n = json_integer_value(v);
    if (n < 0) {
        u->clamped = 1;
        return 0;
    }
    if (n > USAGE_MAX_TOKENS) {
        u->clamped = 1;
        return USAGE_MAX_TOKENS;
    }
    return (int64_t)n;
}

/* total minus part, clamped at 0: the cached share of a prompt that includes it. */
static int64_t count_minus(int64_t total, int64_t part, struct usage *u)
{
    if (part > total) {
        u->clamped = 1;
        return 0;
    }
    return total - part;
}

/* Chat, completions and embeddings `usage` (prompt and completion counts include cached
 * and reasoning tokens). Overwrites the counts in u. */
static void read_openai(const json_t *us, struct usage *u)
{
    const json_t *det = json_object_get(us, "prompt_tokens_details");
    int64_t prompt = count_get(us, "prompt_tokens", u);
    int64_t cached = count_get(det, "cached_tokens", u);

    if (!json_is_object(det) || !json_object_get(det, "cached_tokens"))
        cached = count_get(us, "prompt_cache_hit_tokens", u); /* DeepSeek */
    u->cache_read = cached;
    u->input = count_minus(prompt, cached, u);
    u->output = count_get(us, "completion_tokens", u);
    u->cache_write_5m = 0;
    u->cache_write_1h = 0;
    u->seen = 1;
}

/* Responses `usage` (input and output counts include cached and reasoning tokens). */
static void read_responses(const json_t *us, struct usage *u)
{
    const json_t *det = json_object_get(us, "input_tokens_details");
    int64_t in = count_get(us, "input_tokens", u);
    int64_t cached = count_get(det, "cached_tokens", u);

    u->cache_read = cached;
    u->input = count_minus(in, cached, u);
    u->output = count_get(us, "output_tokens", u);
    u->cache_write_5m = 0;
    u->cache_write_1h = 0;
    u->seen = 1;
}

static void keep_nonzero(int64_t *field, int64_t v)
{
    if (v > 0)
        *field = v;
}

/* Anthropic cache writes. With the 5 m / 1 h split, each part is taken as given and any
 * excess of cache_creation_input_tokens over the split bills as 5 m. Without the split
 * the total bills as 5 m, less whatever 1 h share an earlier event reported, so the two
 * never add up to more than the latest total. */
static void read_anthropic_writes(const json_t *us, struct usage *u)
{
    const json_t *split = json_object_get(us, "cache_creation");
    int64_t total = count_get(us, "cache_creation_input_tokens", u);
    int64_t w5, w1;

    if (json_is_object(split)) {
        w5 = count_get(split, "ephemeral_5m_input_tokens", u);
        w1 = count_get(split, "ephemeral_1h_input_tokens", u);
        if (total > w5 + w1)
            w5 = total - w1;
        keep_nonzero(&u->cache_write_5m, w5);
        keep_nonzero(&u->cache_write_1h, w1);
        return;
    }
    if (total <= 0)
        return;
    if (u->cache_write_1h > total)
        u->cache_write_1h = total;
    u->cache_write_5m = total - u->cache_write_1h;
}

/* Anthropic `usage`: input_tokens excludes cache reads and writes. Keeps the latest
 * non-zero value of each field; never adds events together. */
static void read_anthropic(const json_t *us, struct usage *u)
{
    keep_nonzero(&u->input, count_get(us, "input_tokens", u));
    keep_nonzero(&u->cache_read, count_get(us, "cache_read_input_tokens", u));
    read_anthropic_writes(us, u);
    keep_nonzero(&u->output, count_get(us, "output_tokens", u));
    u->seen = 1;
}

static void usage_zero(struct usage *u)
{
    memset(u, 0, sizeof(*u));
}

int usage_from_body(enum dialect_kind d, const json_t *body, struct usage *u)
{
    const json_t *us = json_object_get(body, "usage"); /* borrowed from body */
    struct usage fresh;

    if (!json_is_object(us))
        return 0;
    usage_zero(&fresh);
    if (d == USAGE_ANTHROPIC)
        read_anthropic(us, &fresh);
    else if (d == USAGE_RESPONSES)
        read_responses(us, &fresh);
    else
        read_openai(us, &fresh);
    *u = fresh;
    return 1;
}

/* The event's type: data.type when it is a string, else the SSE event name. */
static int event_is(const char *event_name, const json_t *data, const char *type)
{
    const char *t = json_string_value(json_object_get(data, "type"));

    return (t && strcmp(t, type) == 0) || (event_name && strcmp(event_name, type) == 0);
}

static int event_anthropic(const char *name, const json_t *data, struct usage *u)
{
    const json_t *us = NULL; /* borrowed from data */

    int64_t output = u->output;
    int start = event_is(name, data, "message_start");

    if (start)
        us = json_object_get(json_object_get(data, "message"), "usage");
    else if (event_is(name, data, "message_delta"))
        us = json_object_get(data, "usage");
    if (!json_is_object(us))
        return 0;
    read_anthropic(us, u);
    if (start)
        u->output = output; /* message_start's output_tokens is a placeholder */
    return 1;
}

static int event_responses(const char *name, const json_t *data, struct usage *u)
{
    const json_t *us; /* borrowed from data */

    if (!event_is(name, data, "response.completed") &&
        !event_is(name, data, "response.incomplete") &&
        !event_is(name, data, "response.failed"))
        return 0;
    us = json_object_get(json_object_get(data, "response"), "usage");
    if (!json_is_object(us))
        return 0;
    read_responses(us, u);
    return 1;
}

int usage_from_event(enum dialect_kind d, const char *event_name, const json_t *data,
                     struct usage *u)
{
    const json_t *us; /* borrowed from data */

    if (!json_is_object(data))
        return 0; /* `[DONE]` and other non-JSON data */
    if (d == USAGE_ANTHROPIC)
        return event_anthropic(event_name, data, u);
    if (d == USAGE_RESPONSES)
        return event_responses(event_name, data, u);
    us = json_object_get(data, "usage");
    if (!json_is_object(us))
        return 0; /* `"usage": null` on every chunk but the last */
    read_openai(us, u);
    return 1;
}

int64_t usage_total(const struct usage *u)
{
    const int64_t v[] = {u->input, u->output, u->cache_read, u->cache_write_5m,
                         u->cache_write_1h};
    int64_t sum = 0;

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (v[i] <= 0)
            continue;
        sum = sum > INT64_MAX - v[i] ? INT64_MAX : sum + v[i];
    }
    return sum;
}
