/* Unit tests for billing/topup: fingerprints, the odd micro-dollar carry, JSON amounts,
 * USD text and payment ids. No database. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "billing/topup.h"
#include "cu_main.h"

#define MAX_DEFAULT 100000000000LL /* $100,000 in micro-USD, the config default */

static void test_topup_fingerprint_stable(void)
{
    unsigned char a[32], b[32];

    topup_fingerprint("partner:1", 42, 12340000, a);
    topup_fingerprint("partner:1", 42, 12340000, b);
    CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
}

static void test_topup_fingerprint_differs(void)
{
    unsigned char base[32], x[32];

    topup_fingerprint("partner:1", 42, 12340000, base);
    topup_fingerprint("partner:1", 43, 12340000, x); /* other user */
    CU_ASSERT_NOT_EQUAL(memcmp(base, x, 32), 0);
    topup_fingerprint("partner:1", 42, 12340001, x); /* other amount */
    CU_ASSERT_NOT_EQUAL(memcmp(base, x, 32), 0);
    topup_fingerprint("partner:2", 42, 12340000, x); /* other source */
    CU_ASSERT_NOT_EQUAL(memcmp(base, x, 32), 0);
    topup_fingerprint("admin", 42, 12340000, x);
    CU_ASSERT_NOT_EQUAL(memcmp(base, x, 32), 0);
    /* fields cannot shift into each other: "1\n42" vs "14\n2" */
    topup_fingerprint("partner:1", 4, 212340000, x);
    CU_ASSERT_NOT_EQUAL(memcmp(base, x, 32), 0);
}

static void test_topup_split_even_and_odd(void)
{
    int64_t q, carry;

    topup_split(0, 12340000, &q, &carry); /* $12.34 */
    CU_ASSERT_EQUAL(q, 6170000);
    CU_ASSERT_EQUAL(carry, 0);
    topup_split(0, 4294970000LL, &q, &carry); /* $4,294.97: past 2^31 quota */
    CU_ASSERT_EQUAL(q, 2147485000LL);
    CU_ASSERT_EQUAL(carry, 0);
    topup_split(0, 1, &q, &carry); /* $0.000001 = half a quota unit */
    CU_ASSERT_EQUAL(q, 0);
    CU_ASSERT_EQUAL(carry, 1);
    topup_split(1, 1, &q, &carry); /* the second half makes one */
    CU_ASSERT_EQUAL(q, 1);
    CU_ASSERT_EQUAL(carry, 0);
    topup_split(1, 2, &q, &carry);
    CU_ASSERT_EQUAL(q, 1);
    CU_ASSERT_EQUAL(carry, 1);
}

/* Over any sequence, credited quota + carry/2 equals the micro-USD total / 2 exactly. */
static void test_topup_split_exact_over_time(void)
{
    static const int64_t amounts[] = {1, 3, 7, 2, 999999, 1000001, 5, 12340000, 1, 1};
    int64_t carry = 0, quota = 0, micro = 0, q;

    for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
        topup_split(carry, amounts[i], &q, &carry);
        CU_ASSERT(carry == 0 || carry == 1);
        quota += q;
        micro += amounts[i];
        CU_ASSERT_EQUAL(quota * 2 + carry, micro);
    }
}

/* The error from parsing text as the amount_usd field, or TG_OK with *micro set. */
static enum tg_code amount(const char *json_text, int64_t max, int64_t *micro)
{
    json_t *doc = json_loads(json_text, JSON_DECODE_ANY, NULL);
    struct tg_err err = {0};
    int rc;

    *micro = -1;
    if (!doc)
        return TG_EINTERNAL;
    rc = topup_amount_json(doc, "amount_usd", max, micro, &err);
    json_decref(doc);
    if (rc == 0)
        return TG_OK;
    CU_ASSERT_STRING_EQUAL(err.field ? err.field : "", "amount_usd");
    return err.code;
}

static void test_topup_amount_accepts(void)
{
    int64_t m;

    CU_ASSERT_EQUAL(amount("\"12.34\"", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 12340000);
    CU_ASSERT_EQUAL(amount("\"4294.97\"", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 4294970000LL);
    CU_ASSERT_EQUAL(amount("\"0.000001\"", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 1);
    CU_ASSERT_EQUAL(amount("5", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 5000000);
    CU_ASSERT_EQUAL(amount("12.34", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 12340000);
    CU_ASSERT_EQUAL(amount("4294.97", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 4294970000LL);
    CU_ASSERT_EQUAL(amount("0.000001", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 1);
    CU_ASSERT_EQUAL(amount("0.1", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 100000);
    CU_ASSERT_EQUAL(amount("99999.999999", MAX_DEFAULT, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 99999999999LL);
    CU_ASSERT_EQUAL(amount("\"100000\"", MAX_DEFAULT, &m), TG_OK); /* exactly the max */
    CU_ASSERT_EQUAL(m, MAX_DEFAULT);
}

static void test_topup_amount_refuses(void)
{
    static const char *const bad[] = {"\"0\"",
                                      "0",
                                      "\"-1\"",
                                      "-1",
                                      "\"1e3\"",
                                      "\"1.0000001\"",
                                      "1.0000001",
                                      "\"NaN\"",
                                      "\"nan\"",
                                      "\"\"",
                                      "\" 5\"",
                                      "\"5 \"",
                                      "\"+5\"",
                                      "\"05\"",
                                      "\"5.\"",
                                      "\".5\"",
                                      "\"1,5\"",
                                      "1e20",
                                      "\"1e20\"",
                                      "\"100000.000001\"",
                                      "100001",
                                      "true",
                                      "null",
                                      "[1]",
                                      "{}",
                                      "0.0",
                                      "-0.5",
                                      "\"0x10\"",
                                      "\"Infinity\"",
                                      "1e-7",
                                      NULL};
    int64_t m;

    for (int i = 0; bad[i]; i++) {
        enum tg_code c = amount(bad[i], MAX_DEFAULT, &m);
        if (c != TG_EINVAL)
            fprintf(stderr, "accepted or wrong code for %s: %d\n", bad[i], c);
        CU_ASSERT_EQUAL(c, TG_EINVAL);
    }
    CU_ASSERT_EQUAL(amount("\"10.01\"", 10000000, &m), TG_EINVAL); /* over a $10 max */
    CU_ASSERT_EQUAL(amount("11", 10000000, &m), TG_EINVAL);
}

/* A JSON real with more than 15 significant digits cannot be told apart from its
 * neighbours: refused rather than rounded. */
static void test_topup_amount_refuses_inexact_reals(void)
{
    int64_t m;

    CU_ASSERT_EQUAL(amount("1234567890.123456", 2000000000000000LL, &m), TG_EINVAL);
    CU_ASSERT_EQUAL(amount("123456789.123456", 2000000000000000LL, &m), TG_OK);
    CU_ASSERT_EQUAL(m, 123456789123456LL);
}

static void test_topup_amount_missing(void)
{
    struct tg_err err = {0};
    int64_t m;

    CU_ASSERT_EQUAL(topup_amount_json(NULL, "amount_usd", MAX_DEFAULT, &m, &err), -1);
    CU_ASSERT_EQUAL(err.code, TG_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.field, "amount_usd");
}

static void test_topup_format_usd(void)
{
    char out[32];

    topup_format_usd(12340000, out);
    CU_ASSERT_STRING_EQUAL(out, "12.34");
    topup_format_usd(1, out);
    CU_ASSERT_STRING_EQUAL(out, "0.000001");
    topup_format_usd(5000000, out);
    CU_ASSERT_STRING_EQUAL(out, "5");
    topup_format_usd(0, out);
    CU_ASSERT_STRING_EQUAL(out, "0");
    topup_format_usd(4294970000LL, out);
    CU_ASSERT_STRING_EQUAL(out, "4294.97");
    topup_quota_usd(6170000, out);
    CU_ASSERT_STRING_EQUAL(out, "12.34");
    topup_quota_usd(1, out);
    CU_ASSERT_STRING_EQUAL(out, "0.000002");
    topup_quota_usd(-500000, out);
    CU_ASSERT_STRING_EQUAL(out, "-1");
}

static void test_topup_payment_ids(void)
{
    char id[29], id2[29];
    char long_id[130];

    CU_ASSERT_EQUAL(topup_payment_id_new(id), 0);
    CU_ASSERT_EQUAL(topup_payment_id_new(id2), 0);
    CU_ASSERT_EQUAL(strlen(id), 28);
    CU_ASSERT_EQUAL(strncmp(id, "adm_", 4), 0);
    CU_ASSERT_NOT_EQUAL(strcmp(id, id2), 0);
    CU_ASSERT_TRUE(topup_payment_id_ok(id));
    CU_ASSERT_TRUE(topup_payment_id_ok("wx-2025-01-31/4200001234"));
    CU_ASSERT_FALSE(topup_payment_id_ok(""));
    CU_ASSERT_FALSE(topup_payment_id_ok(NULL));
    CU_ASSERT_FALSE(topup_payment_id_ok("has space"));
    CU_ASSERT_FALSE(topup_payment_id_ok("tab\there"));
    CU_ASSERT_FALSE(topup_payment_id_ok("caf\xc3\xa9"));
    memset(long_id, 'a', 128);
    long_id[128] = '\0';
    CU_ASSERT_TRUE(topup_payment_id_ok(long_id));
    long_id[128] = 'a';
    long_id[129] = '\0';
    CU_ASSERT_FALSE(topup_payment_id_ok(long_id));
}

static const struct cu_test tests[] = {
    {"test_topup_fingerprint_stable", test_topup_fingerprint_stable},
    {"test_topup_fingerprint_differs", test_topup_fingerprint_differs},
    {"test_topup_split_even_and_odd", test_topup_split_even_and_odd},
    {"test_topup_split_exact_over_time", test_topup_split_exact_over_time},
    {"test_topup_amount_accepts", test_topup_amount_accepts},
    {"test_topup_amount_refuses", test_topup_amount_refuses},
    {"test_topup_amount_refuses_inexact_reals", test_topup_amount_refuses_inexact_reals},
    {"test_topup_amount_missing", test_topup_amount_missing},
    {"test_topup_format_usd", test_topup_format_usd},
    {"test_topup_payment_ids", test_topup_payment_ids},
    {NULL, NULL},
};

CU_MAIN("topup", tests)
