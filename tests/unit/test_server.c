/* Unit tests for router matching and the error -> HTTP mapping. */
#include <string.h>

#include "api/api.h"
#include "cu_main.h"
#include "router/router.h"
#include "server/request.h"

static void test_router_match_exact(void)
{
    struct route_match m;
    struct tg_err err = {0};

    CU_ASSERT_EQUAL_FATAL(router_match("GET", "/api/status", &m, &err), 0);
    CU_ASSERT_PTR_EQUAL(m.route->fn, api_status);
    CU_ASSERT_EQUAL(m.route->auth, AUTH_NONE);
}

static void test_router_wrong_method_is_405(void)
{
    struct route_match m;
    struct tg_err err = {0};

    CU_ASSERT_EQUAL(router_match("DELETE", "/api/status", &m, &err), -1);
    CU_ASSERT_EQUAL(err.code, TG_EMETHOD);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "GET"));
}

static void test_router_unknown_is_404(void)
{
    struct route_match m;
    struct tg_err err = {0};

    CU_ASSERT_EQUAL(router_match("GET", "/api/nope", &m, &err), -1);
    CU_ASSERT_EQUAL(err.code, TG_ENOTFOUND);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(router_match("GET", "/api/status/", &m, &err), -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(router_match("GET", "/api//status", &m, &err), -1);
}

static void test_router_binds_params(void)
{
    struct route_match m;
    struct tg_err err = {0};
    int found = 0;

    /* Any route with a :param must bind it; check every table row with one. */
    for (int i = 0; i < router_route_count; i++) {
        const char *colon = strchr(router_routes[i].pattern, ':');
        char path[256];
        size_t pre;

        if (!colon)
            continue;
        pre = (size_t)(colon - router_routes[i].pattern);
        memcpy(path, router_routes[i].pattern, pre);
        strcpy(path + pre, "42");
        if (strchr(colon, '/'))
            continue; /* only simple trailing params here */
        memset(&err, 0, sizeof(err));
        CU_ASSERT_EQUAL_FATAL(router_match(router_routes[i].method, path, &m, &err), 0);
        CU_ASSERT_STRING_EQUAL(m.params[0], "42");
        found++;
    }
    CU_ASSERT_TRUE(found >= 0);
}

static void test_router_table_unique(void)
{
    for (int i = 0; i < router_route_count; i++)
        for (int j = i + 1; j < router_route_count; j++)
            CU_ASSERT_FALSE(!strcmp(router_routes[i].method, router_routes[j].method) &&
                            !strcmp(router_routes[i].pattern, router_routes[j].pattern));
}

static void test_router_path_dialect(void)
{
    CU_ASSERT_EQUAL(router_path_dialect("/v1/messages"), DIALECT_ANTHROPIC);
    CU_ASSERT_EQUAL(router_path_dialect("/v1/messages/count_tokens"), DIALECT_ANTHROPIC);
    CU_ASSERT_EQUAL(router_path_dialect("/api/client/v1/messages"), DIALECT_ANTHROPIC);
    CU_ASSERT_EQUAL(router_path_dialect("/v1/chat/completions"), DIALECT_OPENAI);
    CU_ASSERT_EQUAL(router_path_dialect("/v1/messagesX"), DIALECT_OPENAI);
    CU_ASSERT_EQUAL(router_path_dialect("/api/client/keys"), DIALECT_PORTAL);
}

static void test_error_status_rows(void)
{
    /* Every code has a row; the dialects differ only where PROTOCOLS.md says. */
    CU_ASSERT_EQUAL(response_status_for(TG_EINVAL, DIALECT_OPENAI), 400);
    CU_ASSERT_EQUAL(response_status_for(TG_ETOOBIG, DIALECT_OPENAI), 413);
    CU_ASSERT_EQUAL(response_status_for(TG_EAUTH, DIALECT_ANTHROPIC), 401);
    CU_ASSERT_EQUAL(response_status_for(TG_EDENIED, DIALECT_OPENAI), 403);
    CU_ASSERT_EQUAL(response_status_for(TG_ENOTFOUND, DIALECT_PORTAL), 404);
    CU_ASSERT_EQUAL(response_status_for(TG_EMETHOD, DIALECT_PORTAL), 405);
    CU_ASSERT_EQUAL(response_status_for(TG_ECONFLICT, DIALECT_PORTAL), 409);
    CU_ASSERT_EQUAL(response_status_for(TG_ELIMIT, DIALECT_ANTHROPIC), 429);
    CU_ASSERT_EQUAL(response_status_for(TG_EQUOTA, DIALECT_OPENAI), 429);
    CU_ASSERT_EQUAL(response_status_for(TG_EQUOTA, DIALECT_ANTHROPIC), 402);
    CU_ASSERT_EQUAL(response_status_for(TG_EUPSTREAM, DIALECT_OPENAI), 502);
    CU_ASSERT_EQUAL(response_status_for(TG_ETIMEOUT, DIALECT_ANTHROPIC), 504);
    CU_ASSERT_EQUAL(response_status_for(TG_EUNAVAIL, DIALECT_OPENAI), 503);
    CU_ASSERT_EQUAL(response_status_for(TG_EOVERLOAD, DIALECT_ANTHROPIC), 529);
    CU_ASSERT_EQUAL(response_status_for(TG_EINTERNAL, DIALECT_OPENAI), 500);
    CU_ASSERT_EQUAL(response_status_for((enum tg_code)99, DIALECT_OPENAI), 500);
}

static void test_error_body_shapes(void)
{
    struct tg_err err = {0};
    json_t *oa, *an;

    err_set_field(&err, TG_EQUOTA, "model", "balance exhausted");
    oa = response_error_body(DIALECT_OPENAI, &err, "rid1");
    an = response_error_body(DIALECT_ANTHROPIC, &err, "rid1");
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(oa, "error"), "type")),
        "insufficient_quota");
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(oa, "error"), "param")),
        "model");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(an, "type")), "error");
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(an, "error"), "type")),
        "billing_error");
    json_decref(oa);
    json_decref(an);
}

static void test_error_internal_hides_detail(void)
{
    struct tg_err err = {0};
    json_t *oa;

    err_set(&err, TG_EINTERNAL, "SELECT secret FROM x failed");
    oa = response_error_body(DIALECT_OPENAI, &err, NULL);
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(oa, "error"), "message")),
        "internal error");
    json_decref(oa);
}

static void test_error_codes_by_dialect(void)
{
    struct tg_err nf = {0}, au = {0};
    json_t *a, *b, *c;

    err_set(&nf, TG_ENOTFOUND, "no such thing");
    err_set(&au, TG_EAUTH, "bad");
    a = response_error_body(DIALECT_OPENAI, &nf, NULL);
    b = response_error_body(DIALECT_PORTAL, &nf, NULL);
    c = response_error_body(DIALECT_PORTAL, &au, NULL);
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(a, "error"), "code")),
        "model_not_found");
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(b, "error"), "code")),
        "not_found");
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(c, "error"), "code")),
        "unauthorized");
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static const struct cu_test tests[] = {
    {"error_codes_by_dialect", test_error_codes_by_dialect},
    {"router_match_exact", test_router_match_exact},
    {"router_wrong_method_is_405", test_router_wrong_method_is_405},
    {"router_unknown_is_404", test_router_unknown_is_404},
    {"router_binds_params", test_router_binds_params},
    {"router_table_unique", test_router_table_unique},
    {"router_path_dialect", test_router_path_dialect},
    {"error_status_rows", test_error_status_rows},
    {"error_body_shapes", test_error_body_shapes},
    {"error_internal_hides_detail", test_error_internal_hides_detail},
    {NULL, NULL},
};

CU_MAIN("server", tests)
