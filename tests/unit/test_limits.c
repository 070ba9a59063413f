/* Unit tests for limits/: GCRA parameters and Retry-After, the sliding tpm window, UTC
 * days and throttle subjects. The database side runs in tests/integration. */
#include <string.h>

#include "cu_main.h"
#include "limits/calc.h"
#include "limits/throttle.h"

/* The GCRA statement of store/ratelimit.c, applied to one in-memory row. */
static int gcra_step(int64_t *tat, int64_t now, int64_t interval, int64_t burst)
{
    int64_t base = *tat > now ? *tat : now;

    if (base - now > burst)
        return 0;
    *tat = base + interval;
    return 1;
}

static void test_gcra_params_rpm5(void)
{
    int64_t interval, burst;

    limits_gcra_params(5, &interval, &burst);
    CU_ASSERT_EQUAL(interval, 12000000);
    CU_ASSERT_EQUAL(burst, 48000000);
    limits_gcra_params(1, &interval, &burst);
    CU_ASSERT_EQUAL(interval, 60000000);
    CU_ASSERT_EQUAL(burst, 0);
}

static void test_gcra_burst_admits_exactly_rpm(void)
{
    int64_t interval, burst, tat = 0, now = 1700000000000000LL;
    int admitted = 0;

    limits_gcra_params(5, &interval, &burst);
    for (int i = 0; i < 20; i++)
        admitted += gcra_step(&tat, now, interval, burst);
    CU_ASSERT_EQUAL(admitted, 5);
    /* The next slot opens one interval later: Retry-After says 12 s. */
    CU_ASSERT_EQUAL(limits_gcra_retry_after(tat, burst, now), 12);
    CU_ASSERT_EQUAL(gcra_step(&tat, now + 11999999, interval, burst), 0);
    CU_ASSERT_EQUAL(gcra_step(&tat, now + 12000000, interval, burst), 1);
    CU_ASSERT_EQUAL(gcra_step(&tat, now + 12000000, interval, burst), 0);
}

static void test_gcra_steady_rate(void)
{
    int64_t interval, burst, tat = 0, now = 0;
    int admitted = 0;

    /* 600 calls evenly over ten minutes at rpm 60: all pass. */
    limits_gcra_params(60, &interval, &burst);
    for (int i = 0; i < 600; i++, now += 1000000)
        admitted += gcra_step(&tat, now, interval, burst);
    CU_ASSERT_EQUAL(admitted, 600);
}

static void test_gcra_retry_after_rounds_up(void)
{
    CU_ASSERT_EQUAL(limits_gcra_retry_after(10000001, 0, 0), 11);
    CU_ASSERT_EQUAL(limits_gcra_retry_after(10000000, 0, 0), 10);
    /* Never 0, even when the slot is already open. */
    CU_ASSERT_EQUAL(limits_gcra_retry_after(5, 10, 0), 1);
}

static void test_tpm_estimate_weights_previous_minute(void)
{
    CU_ASSERT_EQUAL(limits_tpm_estimate(0, 0, 0), 0);
    CU_ASSERT_EQUAL(limits_tpm_estimate(600, 0, 0), 600);
    CU_ASSERT_EQUAL(limits_tpm_estimate(600, 0, 30000), 300);
    CU_ASSERT_EQUAL(limits_tpm_estimate(600, 100, 45000), 250);
    /* The weighted part rounds up, never down. */
    CU_ASSERT_EQUAL(limits_tpm_estimate(1, 0, 59999), 1);
    CU_ASSERT_EQUAL(limits_tpm_estimate(-5, 7, 0), 7);
    /* Out-of-range times are clamped, not trusted. */
    CU_ASSERT_EQUAL(limits_tpm_estimate(600, 0, -1), 600);
    CU_ASSERT_EQUAL(limits_tpm_estimate(600, 0, 600000), 1);
}

/* The first whole second at which the estimate is under limit. */
static int first_open_second(int64_t prev, int64_t cur, int64_t e, int64_t limit)
{
    for (int s = 0; s < 200; s++) {
        int64_t t = e + s * 1000;
        int64_t est = t < LIMITS_MINUTE_MS
                          ? limits_tpm_estimate(prev, cur, t)
                          : (t < 2 * LIMITS_MINUTE_MS
                                 ? limits_tpm_estimate(cur, 0, t - LIMITS_MINUTE_MS)
                                 : 0);
        if (est < limit)
            return s;
    }
    return -1;
}

static void test_tpm_retry_after_matches_window(void)
{
    static const int64_t cases[][4] = {
        {1000, 0, 0, 500},    {1000, 100, 20000, 500}, {0, 600, 10000, 500},
        {0, 500, 59000, 500}, {300, 300, 0, 500},      {0, 2000, 30000, 1},
        {50, 40, 1000, 60},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const int64_t *c = cases[i];
        int want = first_open_second(c[0], c[1], c[2], c[3]);
        int got = limits_tpm_retry_after(c[0], c[1], c[2], c[3]);

        CU_ASSERT_TRUE(want >= 0);
        /* Never early, and at most one second late. */
        CU_ASSERT_TRUE(got >= want);
        CU_ASSERT_TRUE(got <= (want < 1 ? 1 : want) + 1);
    }
    CU_ASSERT_EQUAL(limits_tpm_retry_after(10, 10, 0, 0), 1);
}

static void test_day_and_midnight(void)
{
    char day[11];

    limits_day(0, day);
    CU_ASSERT_STRING_EQUAL(day, "1970-01-01");
    limits_day(1709251199, day); /* 2024-02-29 23:59:59 UTC */
    CU_ASSERT_STRING_EQUAL(day, "2024-02-29");
    CU_ASSERT_EQUAL(limits_day_retry_after(1709251199), 1);
    CU_ASSERT_EQUAL(limits_day_retry_after(1709251200), 86400);
    CU_ASSERT_EQUAL(limits_day_retry_after(1709251200 + 3600), 82800);
}

static void test_throttle_subject_folds_case(void)
{
    char s[16];

    throttle_subject(THROTTLE_ACCOUNT, "Alice@Example.COM", s, sizeof(s));
    CU_ASSERT_STRING_EQUAL(s, "acct:alice@exam");
    throttle_subject(THROTTLE_IP, "127.0.0.1", s, sizeof(s));
    CU_ASSERT_STRING_EQUAL(s, "ip:127.0.0.1");
    throttle_subject(THROTTLE_MAIL, NULL, s, sizeof(s));
    CU_ASSERT_STRING_EQUAL(s, "mail:");
}

static const struct cu_test tests[] = {
    {"test_gcra_params_rpm5", test_gcra_params_rpm5},
    {"test_gcra_burst_admits_exactly_rpm", test_gcra_burst_admits_exactly_rpm},
    {"test_gcra_steady_rate", test_gcra_steady_rate},
    {"test_gcra_retry_after_rounds_up", test_gcra_retry_after_rounds_up},
    {"test_tpm_estimate_weights_previous_minute",
     test_tpm_estimate_weights_previous_minute},
    {"test_tpm_retry_after_matches_window", test_tpm_retry_after_matches_window},
    {"test_day_and_midnight", test_day_and_midnight},
    {"test_throttle_subject_folds_case", test_throttle_subject_folds_case},
    {NULL, NULL},
};

CU_MAIN("limits", tests)
