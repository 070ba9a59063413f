/* Unit tests for util/: buffers, strings, errors. */
#include <string.h>

#include "cu_main.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/str.h"

static void test_buf_append_respects_ceiling(void)
{
    struct buf b;

    buf_init(&b, 8);
    CU_ASSERT_EQUAL(buf_puts(&b, "abcd"), 0);
    CU_ASSERT_EQUAL(buf_puts(&b, "efgh"), 0);
    CU_ASSERT_EQUAL(buf_puts(&b, "i"), -1);
    CU_ASSERT_EQUAL(b.len, 8);
    CU_ASSERT_STRING_EQUAL(b.ptr, "abcdefgh");
    buf_consume(&b, 3);
    CU_ASSERT_STRING_EQUAL(b.ptr, "defgh");
    buf_free(&b);
}

static void test_buf_printf_grows(void)
{
    struct buf b;

    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL_FATAL(buf_printf(&b, "%d,", i), 0);
    CU_ASSERT_EQUAL(strncmp(b.ptr, "0,1,2,", 6), 0);
    CU_ASSERT_EQUAL(b.len, strlen(b.ptr));
    buf_free(&b);
}

static void test_err_keeps_first(void)
{
    struct tg_err err = {0};

    CU_ASSERT_EQUAL(err_set_field(&err, TG_EINVAL, "model", "bad %s", "model"), -1);
    err_set(&err, TG_EINTERNAL, "later");
    CU_ASSERT_EQUAL(err.code, TG_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.field, "model");
    CU_ASSERT_STRING_EQUAL(err.msg, "bad model");
    CU_ASSERT_STRING_EQUAL(err_name(TG_EQUOTA), "quota");
    CU_ASSERT_FALSE(err_is_code(TG_OK));
}

static void test_str_to_i64_bounds(void)
{
    int64_t v = 7;

    CU_ASSERT_EQUAL(str_to_i64("42", 0, 100, &v), 0);
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_EQUAL(str_to_i64("101", 0, 100, &v), -1);
    CU_ASSERT_EQUAL(str_to_i64("4x", 0, 100, &v), -1);
    CU_ASSERT_EQUAL(str_to_i64("", 0, 100, &v), -1);
    CU_ASSERT_EQUAL(v, 42);
}

static void test_str_valid_utf8_cases(void)
{
    CU_ASSERT_TRUE(str_valid_utf8("h\xc3\xa9llo \xf0\x9f\x98\x80", 11));
    CU_ASSERT_FALSE(str_valid_utf8("\xff", 1));
    CU_ASSERT_FALSE(str_valid_utf8("\xc0\xaf", 2));     /* overlong */
    CU_ASSERT_FALSE(str_valid_utf8("\xed\xa0\x80", 3)); /* surrogate */
    CU_ASSERT_FALSE(str_valid_utf8("a\0b", 3));
    CU_ASSERT_FALSE(str_valid_utf8("\xe2\x82", 2)); /* truncated */
}

static void test_str_pct_decode_cases(void)
{
    char out[8];

    CU_ASSERT_EQUAL(str_hexval('a'), 10);
    CU_ASSERT_EQUAL(str_hexval('F'), 15);
    CU_ASSERT_EQUAL(str_hexval('g'), -1);
    CU_ASSERT_EQUAL(str_pct_decode("a%2Fb", out, sizeof(out)), 0);
    CU_ASSERT_STRING_EQUAL(out, "a/b");
    CU_ASSERT_EQUAL(str_pct_decode("%00x", out, sizeof(out)),
                    -1); /* NUL cuts ids short */
    CU_ASSERT_EQUAL(str_pct_decode("%4", out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(str_pct_decode("%zz", out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(str_pct_decode("", out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(str_pct_decode("12345678", out, sizeof(out)), -1); /* does not fit */
    CU_ASSERT_EQUAL(str_pct_decode("1234567", out, sizeof(out)), 0);
}

static const struct cu_test tests[] = {
    {"str_pct_decode_cases", test_str_pct_decode_cases},
    {"buf_append_respects_ceiling", test_buf_append_respects_ceiling},
    {"buf_printf_grows", test_buf_printf_grows},
    {"err_keeps_first", test_err_keeps_first},
    {"str_to_i64_bounds", test_str_to_i64_bounds},
    {"str_valid_utf8_cases", test_str_valid_utf8_cases},
    {NULL, NULL},
};

CU_MAIN("util", tests)
