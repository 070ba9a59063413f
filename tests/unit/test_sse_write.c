/* Unit tests for relay/sse_write: framing of the events tollgate writes, checked by
 * parsing them back with relay/sse_parse. */
#include <stdio.h>
#include <string.h>

#include "cu_main.h"
#include "relay/sse_parse.h"
#include "relay/sse_write.h"

struct got {
    int n;
    char event[64];
    char data[256];
};

static int collect(void *ctx, const struct sse_event *ev)
{
    struct got *g = ctx;

    g->n++;
    snprintf(g->event, sizeof(g->event), "%s", ev->event);
    snprintf(g->data, sizeof(g->data), "%.*s", (int)ev->data_len, ev->data);
    return 0;
}

static struct got parse(const char *text)
{
    struct sse_parser p;
    struct got g = {0};

    sse_init(&p);
    sse_feed(&p, text, strlen(text), collect, &g);
    sse_free(&p);
    return g;
}

static void test_sse_format_named_event(void)
{
    struct buf b;
    struct got g;

    buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(sse_format_event(&b, "error", "{\"a\":1}", 7), 0);
    CU_ASSERT_STRING_EQUAL(b.ptr, "event: error\ndata: {\"a\":1}\n\n");
    g = parse(b.ptr);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_STRING_EQUAL(g.event, "error");
    CU_ASSERT_STRING_EQUAL(g.data, "{\"a\":1}");
    buf_free(&b);
}

static void test_sse_format_data_only(void)
{
    struct buf b;

    buf_init(&b, 0);
    CU_ASSERT_EQUAL(sse_format_event(&b, NULL, "x", 1), 0);
    CU_ASSERT_STRING_EQUAL(b.ptr, "data: x\n\n");
    buf_free(&b);
}

static void test_sse_format_splits_lines(void)
{
    const char *data = "one\ntwo\r\nthree\rfour";
    struct buf b;
    struct got g;

    buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(sse_format_event(&b, NULL, data, strlen(data)), 0);
    CU_ASSERT_STRING_EQUAL(b.ptr, "data: one\ndata: two\ndata: three\ndata: four\n\n");
    g = parse(b.ptr);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_STRING_EQUAL(g.data, "one\ntwo\nthree\nfour");
    buf_free(&b);
}

static void test_sse_format_trailing_newline_and_empty(void)
{
    struct buf b;

    buf_init(&b, 0);
    CU_ASSERT_EQUAL(sse_format_event(&b, NULL, "a\n", 2), 0);
    CU_ASSERT_STRING_EQUAL(b.ptr, "data: a\n\n");
    buf_reset(&b);
    CU_ASSERT_EQUAL(sse_format_event(&b, NULL, "", 0), 0);
    CU_ASSERT_STRING_EQUAL(b.ptr, "data: \n\n");
    buf_free(&b);
}

static void test_sse_format_refuses_split_event_name(void)
{
    struct buf b;

    buf_init(&b, 0);
    CU_ASSERT_EQUAL(sse_format_event(&b, "a\nb", "x", 1), -1);
    CU_ASSERT_EQUAL(sse_format_comment(&b, "p\ring"), -1);
    CU_ASSERT_EQUAL(sse_format_comment(&b, "ping"), 0);
    CU_ASSERT_STRING_EQUAL(b.ptr, ": ping\n\n");
    CU_ASSERT_EQUAL(parse(b.ptr).n, 0); /* comments are no events */
    buf_free(&b);
}

static const struct cu_test tests[] = {
    {"sse_format_named_event", test_sse_format_named_event},
    {"sse_format_data_only", test_sse_format_data_only},
    {"sse_format_splits_lines", test_sse_format_splits_lines},
    {"sse_format_trailing_newline_and_empty", test_sse_format_trailing_newline_and_empty},
    {"sse_format_refuses_split_event_name", test_sse_format_refuses_split_event_name},
    {NULL, NULL},
};

CU_MAIN("sse_write", tests)
