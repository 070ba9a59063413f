/* Unit tests for relay/usage: token kinds per dialect, stream folding, clamping. */
#include <stdio.h>
#include <string.h>

#include "cu_main.h"
#include "fixtures_sse.h"
#include "relay/usage.h"

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);

    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    return j;
}

static int body_usage(enum dialect_kind d, const char *text, struct usage *u)
{
    json_t *body = load(text);
    int rc = usage_from_body(d, body, u);

    json_decref(body);
    return rc;
}

static int event_usage(enum dialect_kind d, const char *name, const char *data,
                       struct usage *u)
{
    json_t *j = load(data);
    int rc = usage_from_event(d, name, j, u);

    json_decref(j);
    return rc;
}

static void check(const struct usage *u, int64_t in, int64_t read, int64_t w5, int64_t w1,
                  int64_t out)
{
    CU_ASSERT_EQUAL(u->input, in);
    CU_ASSERT_EQUAL(u->cache_read, read);
    CU_ASSERT_EQUAL(u->cache_write_5m, w5);
    CU_ASSERT_EQUAL(u->cache_write_1h, w1);
    CU_ASSERT_EQUAL(u->output, out);
}

/* A stream folded event by event, as the relay does. */
struct fold {
    enum dialect_kind d;
    struct usage u;
    int carried; /* events that carried usage */
};

static int fold_cb(void *ctx, const struct sse_event *ev)
{
    struct fold *f = ctx;
    json_t *data = json_loadb(ev->data, ev->data_len, 0, NULL); /* NULL for [DONE] */

    f->carried += usage_from_event(f->d, ev->event, data, &f->u);
    json_decref(data);
    return 0;
}

/* Fold `stream` cut at every point; each must give the same usage, returned in *out. */
static void fold_every_split(enum dialect_kind d, const char *stream, struct usage *out,
                             int *carried)
{
    size_t n = strlen(stream);
    int bad = 0;

    for (size_t cut = 0; cut <= n; cut++) {
        struct fold f = {d, {0}, 0};

        CU_ASSERT_EQUAL(fx_parse_cut(stream, n, cut, fold_cb, &f), 0);
        if (cut == 0) {
            *out = f.u;
            *carried = f.carried;
        }
        bad += memcmp(&f.u, out, sizeof(f.u)) != 0 || f.carried != *carried;
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_usage_chat_body_subtracts_cached(void)
{
    struct usage u = {0};

    CU_ASSERT_EQUAL(
        body_usage(
            USAGE_OPENAI_CHAT,
            "{\"usage\": {\"prompt_tokens\": 1200, \"completion_tokens\": 300,"
            " \"total_tokens\": 1500, \"prompt_tokens_details\": {\"cached_tokens\":"
            " 1024, \"audio_tokens\": 0}, \"completion_tokens_details\":"
            " {\"reasoning_tokens\": 128, \"accepted_prediction_tokens\": 0}}}",
            &u),
        1);
    check(&u, 176, 1024, 0, 0, 300);
    CU_ASSERT_EQUAL(u.seen, 1);
    CU_ASSERT_EQUAL(u.clamped, 0);
    CU_ASSERT_EQUAL(usage_total(&u), 1500);
}

static void test_usage_completions_and_embeddings(void)
{
    struct usage u = {0};

    CU_ASSERT_EQUAL(body_usage(USAGE_OPENAI_CHAT,
                               "{\"object\":\"text_completion\",\"choices\":[],\"usage\":"
                               "{\"prompt_tokens\":5,\"completion_tokens\":7,"
                               "\"total_tokens\":12}}",
                               &u),
                    1);
    check(&u, 5, 0, 0, 0, 7);
    CU_ASSERT_EQUAL(
        body_usage(USAGE_OPENAI_CHAT,
                   "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\","
                   "\"embedding\":[0.1],\"index\":0}],\"model\":\"e\",\"usage\":"
                   "{\"prompt_tokens\":8,\"total_tokens\":8}}",
                   &u),
        1);
    check(&u, 8, 0, 0, 0, 0);
}

static void test_usage_body_without_usage(void)
{
    struct usage u = {7, 7, 7, 7, 7, 0, 0};

    CU_ASSERT_EQUAL(body_usage(USAGE_OPENAI_CHAT, "{\"choices\":[]}", &u), 0);
    CU_ASSERT_EQUAL(body_usage(USAGE_OPENAI_CHAT, "{\"usage\":null}", &u), 0);
    CU_ASSERT_EQUAL(body_usage(USAGE_ANTHROPIC, "[1]", &u), 0);
    CU_ASSERT_EQUAL(usage_from_body(USAGE_RESPONSES, NULL, &u), 0);
    check(&u, 7, 7, 7, 7, 7); /* untouched */
    CU_ASSERT_EQUAL(u.seen, 0);
}

static void test_usage_deepseek_cache_hit(void)
{
    struct usage u = {0};

    CU_ASSERT_EQUAL(
        body_usage(USAGE_OPENAI_CHAT,
                   "{\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":9,"
                   "\"prompt_cache_hit_tokens\":64,"
                   "\"prompt_cache_miss_tokens\":36}}",
                   &u),
        1);
    check(&u, 36, 64, 0, 0, 9);
}

static void test_usage_chat_stream_any_split(void)
{
    struct usage u;
    int carried;

    fold_every_split(USAGE_OPENAI_CHAT, fx_chat_stream, &u, &carried);
    CU_ASSERT_EQUAL(carried, 1);
    check(&u, 1200, 0, 0, 0, 300);
    CU_ASSERT_EQUAL(u.seen, 1);
    CU_ASSERT_EQUAL(usage_from_event(USAGE_OPENAI_CHAT, "", NULL, &u), 0); /* [DONE] */
}

static void test_usage_anthropic_stream_any_split(void)
{
    struct usage u;
    int carried;

    fold_every_split(USAGE_ANTHROPIC, fx_anthropic_stream, &u, &carried);
    CU_ASSERT_EQUAL(carried, 2);
    check(&u, 472, 12000, 2000, 0, 15); /* output 15, not 1 + 15 */
    CU_ASSERT_EQUAL(u.clamped, 0);
}

static void test_usage_anthropic_latest_not_sum(void)
{
    struct usage u = {0};

    CU_ASSERT_EQUAL(
        event_usage(USAGE_ANTHROPIC, "message_start",
                    "{\"type\":\"message_start\",\"message\":{\"usage\":"
                    "{\"input_tokens\":472,\"cache_read_input_tokens\":12000,"
                    "\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}",
                    &u),
        1);
    /* Newer versions repeat input and cache fields in message_delta. */
    CU_ASSERT_EQUAL(
        event_usage(USAGE_ANTHROPIC, "message_delta",
                    "{\"type\":\"message_delta\",\"usage\":{\"input_tokens\":472,"
                    "\"cache_read_input_tokens\":12000,\"output_tokens\":10}}",
                    &u),
        1);
    CU_ASSERT_EQUAL(
        event_usage(USAGE_ANTHROPIC, "message_delta",
                    "{\"type\":\"message_delta\",\"usage\":{\"input_tokens\":0,"
                    "\"output_tokens\":15}}",
                    &u),
        1);
    check(&u, 472, 12000, 0, 0, 15);
    /* Events without usage change nothing; the name may come from either place. */
    CU_ASSERT_EQUAL(event_usage(USAGE_ANTHROPIC, "ping", "{\"type\":\"ping\"}", &u), 0);
    CU_ASSERT_EQUAL(event_usage(USAGE_ANTHROPIC, "", "{\"type\":\"message_stop\"}", &u),
                    0);
    CU_ASSERT_EQUAL(event_usage(USAGE_ANTHROPIC, "message_delta",
                                "{\"usage\":{\"output_tokens\":20}}", &u),
                    1);
    check(&u, 472, 12000, 0, 0, 20);
}

static void test_usage_anthropic_delta_only(void)
{
    struct usage u = {0};

    /* Bedrock-style upstreams report everything in message_delta alone. */
    CU_ASSERT_EQUAL(event_usage(USAGE_ANTHROPIC, "message_start",
                                "{\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}",
                                &u),
                    0);
    CU_ASSERT_EQUAL(
        event_usage(USAGE_ANTHROPIC, "message_delta",
                    "{\"type\":\"message_delta\",\"usage\":{\"input_tokens\":30,"
                    "\"cache_creation_input_tokens\":100,\"output_tokens\":5}}",
                    &u),
        1);
    check(&u, 30, 0, 100, 0, 5);
    CU_ASSERT_EQUAL(u.seen, 1);
}

static void test_usage_anthropic_cache_split(void)
{
    struct usage u = {0};

    CU_ASSERT_EQUAL(
        body_usage(USAGE_ANTHROPIC,
                   "{\"type\":\"message\",\"usage\":{\"input_tokens\":10,"
                   "\"cache_creation_input_tokens\":2000,"
                   "\"cache_creation\":{\"ephemeral_5m_input_tokens\":500,"
                   "\"ephemeral_1h_input_tokens\":1500},\"output_tokens\":3}}",
                   &u),
        1);
    check(&u, 10, 0, 500, 1500, 3);
    /* No split: the total bills as 5 m. */
    body_usage(USAGE_ANTHROPIC,
               "{\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":2000,"
               "\"output_tokens\":3}}",
               &u);
    check(&u, 10, 0, 2000, 0, 3);
    /* A split that accounts for less than the total: the rest bills as 5 m. */
    body_usage(USAGE_ANTHROPIC,
               "{\"usage\":{\"cache_creation_input_tokens\":2000,\"cache_creation\":"
               "{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":500}}}",
               &u);
    check(&u, 0, 0, 1500, 500, 0);
}

static void test_usage_anthropic_split_then_total(void)
{
    struct usage u = {0};

    event_usage(USAGE_ANTHROPIC, "message_start",
                "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,"
                "\"cache_creation_input_tokens\":3000,\"cache_creation\":"
                "{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000},"
                "\"output_tokens\":1}}}",
                &u);
    /* A later total without the split keeps the known 1 h share: no double count. */
    event_usage(
        USAGE_ANTHROPIC, "message_delta",
        "{\"type\":\"message_delta\",\"usage\":{\"cache_creation_input_tokens\":3000,"
        "\"output_tokens\":9}}",
        &u);
    check(&u, 5, 0, 1000, 2000, 9);
    CU_ASSERT_EQUAL(usage_total(&u), 3014);
}

static void test_usage_responses_stream_any_split(void)
{
    struct usage u;
    int carried;

    fold_every_split(USAGE_RESPONSES, fx_responses_stream, &u, &carried);
    CU_ASSERT_EQUAL(carried, 1);
    check(&u, 129, 11904, 0, 0, 44);
}

static void test_usage_responses_incomplete_and_failed(void)
{
    const char *terminal[] = {"response.incomplete", "response.failed"};

    for (int i = 0; i < 2; i++) {
        struct usage u = {0};
        char data[300];

        snprintf(data, sizeof(data),
                 "{\"type\":\"%s\",\"response\":{\"status\":\"incomplete\",\"usage\":"
                 "{\"input_tokens\":900,\"input_tokens_details\":{\"cached_tokens\":100},"
                 "\"output_tokens\":4096}}}",
                 terminal[i]);
        CU_ASSERT_EQUAL(event_usage(USAGE_RESPONSES, terminal[i], data, &u), 1);
        check(&u, 800, 100, 0, 0, 4096);
    }
}

static void test_usage_responses_event_name_sources(void)
{
    const char *body =
        "{\"response\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":2}}}";
    struct usage u = {0};

    /* Name from the SSE field only, then from data.type only. */
    CU_ASSERT_EQUAL(event_usage(USAGE_RESPONSES, "response.completed", body, &u), 1);
    check(&u, 9, 0, 0, 0, 2);
    CU_ASSERT_EQUAL(
        event_usage(USAGE_RESPONSES, "",
                    "{\"type\":\"response.completed\",\"response\":{\"usage\":"
                    "{\"input_tokens\":11,\"output_tokens\":3}}}",
                    &u),
        1);
    check(&u, 11, 0, 0, 0, 3);
    /* Non-terminal events and null usage carry nothing. */
    CU_ASSERT_EQUAL(event_usage(USAGE_RESPONSES, "response.in_progress", body, &u), 0);
    CU_ASSERT_EQUAL(event_usage(USAGE_RESPONSES, "response.completed",
                                "{\"response\":{\"usage\":null}}", &u),
                    0);
    check(&u, 11, 0, 0, 0, 3);
}

static void test_usage_responses_body(void)
{
    struct usage u = {0};

    CU_ASSERT_EQUAL(body_usage(USAGE_RESPONSES,
                               "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":"
                               "\"completed\",\"usage\":{\"input_tokens\":12033,"
                               "\"input_tokens_details\":{\"cached_tokens\":11904},"
                               "\"output_tokens\":44,\"total_tokens\":12077}}",
                               &u),
                    1);
    check(&u, 129, 11904, 0, 0, 44);
}

static void test_usage_clamps_bad_counts(void)
{
    struct usage u = {0};

    body_usage(USAGE_OPENAI_CHAT,
               "{\"usage\":{\"prompt_tokens\":-50,\"completion_tokens\":10}}", &u);
    check(&u, 0, 0, 0, 0, 10);
    CU_ASSERT_EQUAL(u.clamped, 1);
    body_usage(USAGE_OPENAI_CHAT,
               "{\"usage\":{\"prompt_tokens\":99999999999,\"completion_tokens\":1}}", &u);
    check(&u, USAGE_MAX_TOKENS, 0, 0, 0, 1);
    CU_ASSERT_EQUAL(u.clamped, 1);
    body_usage(USAGE_RESPONSES, "{\"usage\":{\"input_tokens\":12.5,\"output_tokens\":3}}",
               &u);
    check(&u, 0, 0, 0, 0, 3);
    CU_ASSERT_EQUAL(u.clamped, 1);
    body_usage(USAGE_ANTHROPIC,
               "{\"usage\":{\"input_tokens\":\"100\",\"output_tokens\":3}}", &u);
    check(&u, 0, 0, 0, 0, 3);
    CU_ASSERT_EQUAL(u.clamped, 1);
    /* More cached than prompt: uncached input clamps at 0. */
    body_usage(USAGE_OPENAI_CHAT,
               "{\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":1,"
               "\"prompt_tokens_details\":{\"cached_tokens\":20}}}",
               &u);
    check(&u, 0, 20, 0, 0, 1);
    CU_ASSERT_EQUAL(u.clamped, 1);
    body_usage(USAGE_ANTHROPIC,
               "{\"usage\":{\"input_tokens\":1,\"cache_creation\":"
               "{\"ephemeral_1h_input_tokens\":-4},\"output_tokens\":-1}}",
               &u);
    check(&u, 1, 0, 0, 0, 0);
    CU_ASSERT_EQUAL(u.clamped, 1);
    body_usage(USAGE_ANTHROPIC, "{\"usage\":{\"input_tokens\":1,\"output_tokens\":null}}",
               &u);
    CU_ASSERT_EQUAL(u.clamped, 0);
}

static void test_usage_total_saturates(void)
{
    struct usage u = {INT64_MAX, INT64_MAX, -5, 1, 1, 1, 0};

    CU_ASSERT_EQUAL(usage_total(&u), INT64_MAX);
    u.input = 1;
    u.output = 2;
    CU_ASSERT_EQUAL(usage_total(&u), 5);
}

static const struct cu_test tests[] = {
    {"usage_chat_body_subtracts_cached", test_usage_chat_body_subtracts_cached},
    {"usage_completions_and_embeddings", test_usage_completions_and_embeddings},
    {"usage_body_without_usage", test_usage_body_without_usage},
    {"usage_deepseek_cache_hit", test_usage_deepseek_cache_hit},
    {"usage_chat_stream_any_split", test_usage_chat_stream_any_split},
    {"usage_anthropic_stream_any_split", test_usage_anthropic_stream_any_split},
    {"usage_anthropic_latest_not_sum", test_usage_anthropic_latest_not_sum},
    {"usage_anthropic_delta_only", test_usage_anthropic_delta_only},
    {"usage_anthropic_cache_split", test_usage_anthropic_cache_split},
    {"usage_anthropic_split_then_total", test_usage_anthropic_split_then_total},
    {"usage_responses_stream_any_split", test_usage_responses_stream_any_split},
    {"usage_responses_incomplete_and_failed", test_usage_responses_incomplete_and_failed},
    {"usage_responses_event_name_sources", test_usage_responses_event_name_sources},
    {"usage_responses_body", test_usage_responses_body},
    {"usage_clamps_bad_counts", test_usage_clamps_bad_counts},
    {"usage_total_saturates", test_usage_total_saturates},
    {NULL, NULL},
};

CU_MAIN("usage", tests)
