/* Unit tests for relay/sse_parse: recorded streams at every split, line ends, limits. */
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "fixtures_sse.h"
#include "relay/sse_parse.h"
#include "util/buf.h"

/* What a parse produced: every event written out with lengths, and the raw bytes. */
struct trace {
    struct buf log;  /* "name|data|raw\n" per event, each part prefixed by its length */
    struct buf raws; /* the events' raw bytes, concatenated */
    int events;
    int stop_after; /* return 5 from the callback after this many events (0 = never) */
};

static void trace_init(struct trace *t)
{
    buf_init(&t->log, 0);
    buf_init(&t->raws, 0);
    t->events = 0;
    t->stop_after = 0;
}

static void trace_free(struct trace *t)
{
    buf_free(&t->log);
    buf_free(&t->raws);
}

static int trace_cb(void *ctx, const struct sse_event *ev)
{
    struct trace *t = ctx;

    buf_printf(&t->log, "%zu:%s|%zu:", strlen(ev->event), ev->event, ev->data_len);
    buf_append(&t->log, ev->data, ev->data_len);
    buf_printf(&t->log, "|%zu:", ev->raw_len);
    buf_append(&t->log, ev->raw, ev->raw_len);
    buf_append(&t->log, "\n", 1);
    buf_append(&t->raws, ev->raw, ev->raw_len);
    t->events++;
    return t->stop_after && t->events >= t->stop_after ? 5 : 0;
}

static int same(const struct buf *a, const struct buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

/* Parse `in` whole, cut at every point and byte by byte: all must give the same events.
 * Returns the number of events; *whole receives the whole-feed trace. */
static int check_every_split(const char *in, size_t n, struct trace *whole)
{
    struct trace t;
    int bad = 0;

    trace_init(whole);
    CU_ASSERT_EQUAL_FATAL(fx_parse_cut(in, n, n, trace_cb, whole), 0);
    for (size_t cut = 0; cut <= n; cut++) {
        trace_init(&t);
        CU_ASSERT_EQUAL(fx_parse_cut(in, n, cut, trace_cb, &t), 0);
        bad += !same(&t.log, &whole->log);
        trace_free(&t);
    }
    CU_ASSERT_EQUAL(bad, 0);
    trace_init(&t);
    CU_ASSERT_EQUAL(fx_parse_bytes(in, n, trace_cb, &t), 0);
    CU_ASSERT_TRUE(same(&t.log, &whole->log));
    trace_free(&t);
    return whole->events;
}

/* Rewrite every LF of `in` as `eol`; the caller frees the result. */
static char *with_eol(const char *in, const char *eol, size_t *n)
{
    struct buf b;

    buf_init(&b, 0);
    for (const char *s = in; *s; s++) {
        if (*s == '\n')
            buf_puts(&b, eol);
        else
            buf_append(&b, s, 1);
    }
    *n = b.len;
    return buf_take(&b);
}

/* Data and names of the events (not raw), for comparing streams with other line ends. */
struct names {
    struct buf log;
};

static int names_cb(void *ctx, const struct sse_event *ev)
{
    struct names *nm = ctx;

    buf_printf(&nm->log, "%s|", ev->event);
    buf_append(&nm->log, ev->data, ev->data_len);
    buf_append(&nm->log, "\n", 1);
    return 0;
}

static void test_sse_feed_chat_any_split(void)
{
    const char *in = fx_chat_stream;
    const char *ping = strstr(in, ": PING\n\n");
    struct trace t;
    struct buf want;

    CU_ASSERT_EQUAL(check_every_split(in, strlen(in), &t), 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(t.log.ptr, "|14:data: [DONE]\n\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t.log.ptr, "0:|6:[DONE]|"));
    /* The raws rebuild the stream, less the comment-only block. */
    buf_init(&want, 0);
    buf_append(&want, in, (size_t)(ping - in));
    buf_puts(&want, ping + strlen(": PING\n\n"));
    CU_ASSERT_TRUE(same(&t.raws, &want));
    buf_free(&want);
    trace_free(&t);
}

static void test_sse_feed_anthropic_any_split(void)
{
    const char *in = fx_anthropic_stream;
    struct trace t;

    CU_ASSERT_EQUAL(check_every_split(in, strlen(in), &t), 7);
    CU_ASSERT_EQUAL(strncmp(t.log.ptr, "13:message_start|", 17), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(t.log.ptr, "4:ping|15:{\"type\":\"ping\"}|"));
    CU_ASSERT_EQUAL(t.raws.len, strlen(in));
    CU_ASSERT_EQUAL(memcmp(t.raws.ptr, in, t.raws.len), 0);
    trace_free(&t);
}

static void test_sse_feed_responses_any_split(void)
{
    const char *in = fx_responses_stream;
    struct trace t;

    CU_ASSERT_EQUAL(check_every_split(in, strlen(in), &t), 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(t.log.ptr, "18:response.completed|"));
    CU_ASSERT_EQUAL(t.raws.len, strlen(in));
    CU_ASSERT_EQUAL(memcmp(t.raws.ptr, in, t.raws.len), 0);
    trace_free(&t);
}

/* CRLF, lone CR and LF streams give the same events; raw keeps the bytes as sent. */
static void check_eol(const char *eol)
{
    const char *streams[] = {fx_chat_stream, fx_anthropic_stream, fx_responses_stream};

    for (size_t i = 0; i < 3; i++) {
        struct names lf = {0}, other = {0};
        struct trace t;
        size_t n;
        char *in = with_eol(streams[i], eol, &n);

        buf_init(&lf.log, 0);
        buf_init(&other.log, 0);
        fx_parse_cut(streams[i], strlen(streams[i]), 0, names_cb, &lf);
        fx_parse_cut(in, n, n, names_cb, &other);
        CU_ASSERT_TRUE(same(&lf.log, &other.log));
        CU_ASSERT_TRUE(check_every_split(in, n, &t) >= 3);
        if (i > 0) {
            CU_ASSERT_EQUAL(t.raws.len, n);
            CU_ASSERT_EQUAL(memcmp(t.raws.ptr, in, n), 0);
        }
        trace_free(&t);
        buf_free(&lf.log);
        buf_free(&other.log);
        free(in);
    }
}

static void test_sse_feed_crlf(void)
{
    check_eol("\r\n");
}

static void test_sse_feed_lone_cr(void)
{
    check_eol("\r");
}

static void test_sse_feed_mixed_line_ends(void)
{
    const char in[] = "event: a\r\ndata: 1\r\rdata: 2\n\r\ndata: 3\r\n\n";
    struct trace t;

    CU_ASSERT_EQUAL(check_every_split(in, sizeof(in) - 1, &t), 3);
    CU_ASSERT_STRING_EQUAL(t.log.ptr, "1:a|1:1|19:event: a\r\ndata: 1\r\r\n"
                                      "0:|1:2|10:data: 2\n\r\n\n"
                                      "0:|1:3|10:data: 3\r\n\n\n");
    trace_free(&t);
}

static void test_sse_feed_comments(void)
{
    const char in[] = ": PING\n\n:\n\n\n\ndata: a\n: keep me\n\n: tail\n\n";
    struct trace t;

    CU_ASSERT_EQUAL(check_every_split(in, sizeof(in) - 1, &t), 1);
    CU_ASSERT_STRING_EQUAL(t.log.ptr, "0:|1:a|19:data: a\n: keep me\n\n\n");
    trace_free(&t);
}

static void test_sse_feed_field_forms(void)
{
    const char in[] = "data:x\n\n"
                      "data:  two spaces\n\n"
                      "data\n\n"
                      "data: l1\ndata:\ndata: l3\nid: 7\nretry: 10\nfoo: bar\n\n"
                      "event:ping\n\n"
                      "event: a\nevent: b\ndata: {}\n\n";
    struct trace t;
    struct names nm;

    CU_ASSERT_EQUAL(check_every_split(in, sizeof(in) - 1, &t), 6);
    trace_free(&t);
    buf_init(&nm.log, 0);
    fx_parse_cut(in, sizeof(in) - 1, 3, names_cb, &nm);
    CU_ASSERT_STRING_EQUAL(nm.log.ptr, "|x\n| two spaces\n|\n|l1\n\nl3\nping|\nb|{}\n");
    buf_free(&nm.log);
}

static void test_sse_finish_truncated(void)
{
    const char cut[] = "event: message_delta\ndata: {\"usage\":{}}\n";
    const char nolf[] = "data: [DONE]";
    const char name_only[] = "event: message_stop\n";
    const char cr_blank[] = "data: x\r\r";
    struct trace t;

    CU_ASSERT_EQUAL(check_every_split(cut, sizeof(cut) - 1, &t), 1);
    CU_ASSERT_STRING_EQUAL(t.log.ptr, "13:message_delta|12:{\"usage\":{}}|40:"
                                      "event: message_delta\ndata: {\"usage\":{}}\n\n");
    trace_free(&t);
    CU_ASSERT_EQUAL(check_every_split(nolf, sizeof(nolf) - 1, &t), 1);
    CU_ASSERT_STRING_EQUAL(t.log.ptr, "0:|6:[DONE]|12:data: [DONE]\n");
    trace_free(&t);
    CU_ASSERT_EQUAL(check_every_split(name_only, sizeof(name_only) - 1, &t), 0);
    trace_free(&t);
    CU_ASSERT_EQUAL(check_every_split(cr_blank, sizeof(cr_blank) - 1, &t), 1);
    CU_ASSERT_STRING_EQUAL(t.log.ptr, "0:|1:x|9:data: x\r\r\n");
    trace_free(&t);
}

static void test_sse_feed_overlong_line(void)
{
    size_t n = SSE_MAX_LINE + 1;
    char *big = malloc(n + 2);
    struct sse_parser p;
    struct trace t;

    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, 'a', n);
    memcpy(big, "data:", 5);
    /* A line of exactly SSE_MAX_LINE bytes is fine. */
    big[n - 1] = '\n';
    big[n] = '\n';
    trace_init(&t);
    CU_ASSERT_EQUAL(fx_parse_cut(big, n + 1, n / 2, trace_cb, &t), 0);
    CU_ASSERT_EQUAL(t.events, 1);
    trace_free(&t);
    /* One more byte is not, however it is split; the parser stays failed. */
    big[n - 1] = 'a';
    trace_init(&t);
    sse_init(&p);
    CU_ASSERT_EQUAL(sse_feed(&p, big, n / 2, trace_cb, &t), 0);
    CU_ASSERT_EQUAL(sse_feed(&p, big + n / 2, n - n / 2, trace_cb, &t), -1);
    CU_ASSERT_EQUAL(p.error, 1);
    CU_ASSERT_EQUAL(sse_feed(&p, "\n\n", 2, trace_cb, &t), -1);
    CU_ASSERT_EQUAL(sse_finish(&p, trace_cb, &t), -1);
    CU_ASSERT_EQUAL(t.events, 0);
    sse_free(&p);
    trace_free(&t);
    free(big);
}

static void test_sse_feed_overlong_event(void)
{
    size_t line = 512 * 1024, lines = SSE_MAX_EVENT / line + 1;
    char *big = malloc(line);
    struct sse_parser p;
    struct trace t;
    int rc = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, 'b', line);
    memcpy(big, "data: ", 6);
    big[line - 1] = '\n';
    trace_init(&t);
    sse_init(&p);
    for (size_t i = 0; i < lines && rc == 0; i++)
        rc = sse_feed(&p, big, line, trace_cb, &t);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(t.events, 0);
    sse_free(&p);
    trace_free(&t);
    free(big);
}

static void test_sse_feed_callback_stops(void)
{
    const char *in = fx_anthropic_stream;
    struct sse_parser p;
    struct trace t;

    trace_init(&t);
    t.stop_after = 2;
    sse_init(&p);
    CU_ASSERT_EQUAL(sse_feed(&p, in, strlen(in), trace_cb, &t), 5);
    CU_ASSERT_EQUAL(t.events, 2);
    sse_free(&p);
    trace_free(&t);
}

static void test_sse_parser_reusable_after_finish(void)
{
    struct sse_parser p;
    struct trace t;

    trace_init(&t);
    sse_init(&p);
    CU_ASSERT_EQUAL(sse_feed(&p, "data: 1\n", 8, trace_cb, &t), 0);
    CU_ASSERT_EQUAL(sse_finish(&p, trace_cb, &t), 0);
    CU_ASSERT_EQUAL(sse_feed(&p, "data: 2\n\n", 9, trace_cb, &t), 0);
    CU_ASSERT_EQUAL(sse_finish(&p, trace_cb, &t), 0);
    CU_ASSERT_EQUAL(t.events, 2);
    CU_ASSERT_STRING_EQUAL(t.raws.ptr, "data: 1\ndata: 2\n\n");
    sse_free(&p);
    sse_free(NULL);
    trace_free(&t);
}

static const struct cu_test tests[] = {
    {"sse_feed_chat_any_split", test_sse_feed_chat_any_split},
    {"sse_feed_anthropic_any_split", test_sse_feed_anthropic_any_split},
    {"sse_feed_responses_any_split", test_sse_feed_responses_any_split},
    {"sse_feed_crlf", test_sse_feed_crlf},
    {"sse_feed_lone_cr", test_sse_feed_lone_cr},
    {"sse_feed_mixed_line_ends", test_sse_feed_mixed_line_ends},
    {"sse_feed_comments", test_sse_feed_comments},
    {"sse_feed_field_forms", test_sse_feed_field_forms},
    {"sse_finish_truncated", test_sse_finish_truncated},
    {"sse_feed_overlong_line", test_sse_feed_overlong_line},
    {"sse_feed_overlong_event", test_sse_feed_overlong_event},
    {"sse_feed_callback_stops", test_sse_feed_callback_stops},
    {"sse_parser_reusable_after_finish", test_sse_parser_reusable_after_finish},
    {NULL, NULL},
};

CU_MAIN("sse_parse", tests)
