/* Unit tests for billing/charge: quota arithmetic, reservations, USD amounts. */
#include <stdio.h>
#include <string.h>

#include "billing/charge.h"
#include "cu_main.h"

#define GROUP_1 1000000 /* multiplier 1 in parts per million */

/* Claude Sonnet 4: $3 in, $15 out, $0.30 read, $3.75 5-minute write per million. */
static const struct price sonnet = {3000000, 15000000, 300000, 3750000, 0};

static struct usage tokens(int64_t in, int64_t read, int64_t w5, int64_t w1, int64_t out)
{
    struct usage u = {0};

    u.input = in;
    u.cache_read = read;
    u.cache_write_5m = w5;
    u.cache_write_1h = w1;
    u.output = out;
    return u;
}

static void test_charge_quota_worked_check(void)
{
    struct usage u = tokens(1000, 10000, 2000, 0, 200);

    /* $0.0165 = 8,250 quota */
    CU_ASSERT_EQUAL(charge_quota(&sonnet, &u, GROUP_1), 8250);
    CU_ASSERT_EQUAL(charge_quota(&sonnet, &u, 1500000), 12375);
    CU_ASSERT_EQUAL(charge_quota(&sonnet, &u, 500000), 4125);
    /* 8,250 x 0.333333 = 2,749.99725: rounds up */
    CU_ASSERT_EQUAL(charge_quota(&sonnet, &u, 333333), 2750);
}

static void test_charge_quota_zero_and_tiny(void)
{
    struct usage zero = tokens(0, 0, 0, 0, 0), one = tokens(1, 0, 0, 0, 0);
    struct price cheap = {1, 1, 1, 1, 1}; /* $0.000001 per million tokens */
    struct price free_model = {0, 0, 0, 0, 0};

    CU_ASSERT_EQUAL(charge_quota(&sonnet, &zero, GROUP_1), 0);
    CU_ASSERT_EQUAL(charge_quota(&cheap, &one, GROUP_1), 1);
    CU_ASSERT_EQUAL(charge_quota(&cheap, &one, 1), 1);
    CU_ASSERT_EQUAL(charge_quota(&free_model, &one, GROUP_1), 0);
    CU_ASSERT_EQUAL(charge_quota(&sonnet, &one, 0), 0); /* a free group */
}

static void test_charge_quota_cache_write_1h(void)
{
    struct usage u = tokens(0, 0, 0, 1000000, 0);
    struct price p = sonnet;

    /* Unset: 2 x input = $6 per million = 3,000,000 quota. */
    CU_ASSERT_EQUAL(charge_quota(&p, &u, GROUP_1), 3000000);
    p.cache_write_1h = 5000000;
    CU_ASSERT_EQUAL(charge_quota(&p, &u, GROUP_1), 2500000);
    u = tokens(0, 0, 1000000, 0, 0);
    CU_ASSERT_EQUAL(charge_quota(&p, &u, GROUP_1), 1875000); /* 5 m write at $3.75 */
}

static void test_charge_quota_negative_and_huge(void)
{
    struct usage neg = tokens(-1000, -1, -1, -1, 200);
    struct usage huge = tokens(INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX);
    struct price dear = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, 0};
    struct price bad = {-5, 15000000, -1, -1, -1};

    CU_ASSERT_EQUAL(charge_quota(&sonnet, &neg, GROUP_1), 1500); /* output only */
    CU_ASSERT_EQUAL(charge_quota(&sonnet, &neg, -GROUP_1), 0);
    CU_ASSERT_EQUAL(charge_quota(&bad, &neg, GROUP_1), 1500);
    CU_ASSERT_EQUAL(charge_quota(&dear, &huge, INT64_MAX), INT64_MAX);
    CU_ASSERT_EQUAL(charge_quota(&sonnet, &huge, GROUP_1), INT64_MAX);
    CU_ASSERT_EQUAL(charge_reserve(&dear, INT64_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
}

static void test_charge_reserve_worked(void)
{
    struct usage all_input = tokens(100000, 0, 0, 0, 4096);

    /* The dearest input-side rate is the 1 h write at 2 x $3. */
    CU_ASSERT_EQUAL(charge_reserve(&sonnet, 100000, 4096, GROUP_1),
                    (100000LL * 6000000 + 4096LL * 15000000) / 2000000);
    CU_ASSERT_TRUE(charge_reserve(&sonnet, 100000, 4096, GROUP_1) >=
                   charge_quota(&sonnet, &all_input, GROUP_1));
    CU_ASSERT_EQUAL(charge_reserve(&sonnet, 0, 0, GROUP_1), 0);
}

static uint64_t next(uint64_t *s)
{
    /* xorshift64: deterministic, so a failure replays */
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int64_t pick(uint64_t *s, int64_t below)
{
    return below > 0 ? (int64_t)(next(s) % (uint64_t)below) : 0;
}

/* Any usage within the estimate and max output costs no more than the reservation. */
static void test_charge_reserve_bounds_charge(void)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    int bad = 0;

    for (int i = 0; i < 200000; i++) {
        struct price p = {pick(&s, 30000000), pick(&s, 90000000), pick(&s, 5000000),
                          pick(&s, 40000000), i % 2 ? pick(&s, 60000000) : 0};
        int64_t est = pick(&s, 300000), max_out = pick(&s, 128000);
        int64_t g = pick(&s, 3000000);
        int64_t in = pick(&s, est + 1), read = pick(&s, est - in + 1);
        int64_t w5 = pick(&s, est - in - read + 1), w1 = est - in - read - w5;
        struct usage u = tokens(in, read, w5, i % 3 ? w1 : 0, pick(&s, max_out + 1));

        bad += charge_quota(&p, &u, g) > charge_reserve(&p, est, max_out, g);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* clang-format off */
static const struct { const char *s; int ok; int64_t micro; } usd_cases[] = {
    {"12.34", 1, 12340000},   {"4294.97", 1, 4294970000LL}, {"0.000001", 1, 1},
    {"1", 1, 1000000},        {"1.5", 1, 1500000},        {"0.5", 1, 500000},
    {"1000000000000", 1, 1000000000000000000LL},
    {"1000000000000.000000", 1, 1000000000000000000LL},
    {"", 0, 0},               {"0", 0, 0},                {"0.0", 0, 0},
    {"0.000000", 0, 0},       {"-1", 0, 0},               {"+1", 0, 0},
    {"1e3", 0, 0},            {"1.0000001", 0, 0},        {"NaN", 0, 0},
    {"inf", 0, 0},            {" 1", 0, 0},               {"1 ", 0, 0},
    {"1.", 0, 0},             {".5", 0, 0},               {"01", 0, 0},
    {"1,5", 0, 0},            {"1.2.3", 0, 0},            {"0x10", 0, 0},
    {"1000000000000.000001", 0, 0}, {"1000000000001", 0, 0},
    {"99999999999999999999999", 0, 0},
};
/* clang-format on */

static void test_money_parse_usd_table(void)
{
    for (size_t i = 0; i < sizeof(usd_cases) / sizeof(usd_cases[0]); i++) {
        int64_t v = -7;
        int rc = money_parse_usd(usd_cases[i].s, &v);

        CU_ASSERT_EQUAL(rc, usd_cases[i].ok ? 0 : -1);
        CU_ASSERT_EQUAL(v, usd_cases[i].ok ? usd_cases[i].micro : -7);
        if (rc != (usd_cases[i].ok ? 0 : -1))
            fprintf(stderr, "money_parse_usd(\"%s\") = %d\n", usd_cases[i].s, rc);
    }
    CU_ASSERT_EQUAL(money_parse_usd(NULL, &(int64_t){0}), -1);
}

static void test_money_parse_price_allows_zero(void)
{
    int64_t v = -1;

    CU_ASSERT_EQUAL(money_parse_price("0", &v), 0);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(money_parse_price("0.30", &v), 0);
    CU_ASSERT_EQUAL(v, 300000);
    CU_ASSERT_EQUAL(money_parse_price("15.5", &v), 0);
    CU_ASSERT_EQUAL(v, 15500000);
    CU_ASSERT_EQUAL(money_parse_price("3.75", &v), 0);
    CU_ASSERT_EQUAL(v, 3750000);
    CU_ASSERT_EQUAL(money_parse_price("-0", &v), -1);
    CU_ASSERT_EQUAL(money_parse_price("0.0000001", &v), -1);
    CU_ASSERT_EQUAL(money_parse_price("", &v), -1);
    CU_ASSERT_EQUAL(v, 3750000);
}

static void test_money_format_round_trip(void)
{
    const int64_t vals[] = {1,       12340000, 4294970000LL,
                            1000000, 999999,   1000000000000000000LL};
    char out[32];

    money_format_usd(12340000, out);
    CU_ASSERT_STRING_EQUAL(out, "12.340000");
    money_format_usd(0, out);
    CU_ASSERT_STRING_EQUAL(out, "0.000000");
    money_format_usd(-1500000, out);
    CU_ASSERT_STRING_EQUAL(out, "-1.500000");
    money_format_usd(INT64_MIN, out);
    CU_ASSERT_STRING_EQUAL(out, "-9223372036854.775808");
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        int64_t back = 0;

        money_format_usd(vals[i], out);
        CU_ASSERT_EQUAL(money_parse_usd(out, &back), 0);
        CU_ASSERT_EQUAL(back, vals[i]);
    }
}

static void test_money_usd_to_quota(void)
{
    CU_ASSERT_EQUAL(money_usd_to_quota(1000000), QUOTA_PER_USD);
    CU_ASSERT_EQUAL(money_usd_to_quota(12340000), 6170000);
    CU_ASSERT_EQUAL(money_usd_to_quota(3), 1);
    CU_ASSERT_EQUAL(money_usd_to_quota(1), 0);
    CU_ASSERT_EQUAL(money_usd_to_quota(0), 0);
    CU_ASSERT_EQUAL(money_usd_to_quota(-3), -2);
}

static const struct cu_test tests[] = {
    {"charge_quota_worked_check", test_charge_quota_worked_check},
    {"charge_quota_zero_and_tiny", test_charge_quota_zero_and_tiny},
    {"charge_quota_cache_write_1h", test_charge_quota_cache_write_1h},
    {"charge_quota_negative_and_huge", test_charge_quota_negative_and_huge},
    {"charge_reserve_worked", test_charge_reserve_worked},
    {"charge_reserve_bounds_charge", test_charge_reserve_bounds_charge},
    {"money_parse_usd_table", test_money_parse_usd_table},
    {"money_parse_price_allows_zero", test_money_parse_price_allows_zero},
    {"money_format_round_trip", test_money_format_round_trip},
    {"money_usd_to_quota", test_money_usd_to_quota},
    {NULL, NULL},
};

CU_MAIN("charge", tests)
