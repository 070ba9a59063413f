/* calc: rate-limit arithmetic. */
#include <time.h>

#include "limits/calc.h"

void limits_gcra_params(int rpm, int64_t *interval_us, int64_t *burst_us)
{
    int64_t n = rpm > 0 ? rpm : 1;

    *interval_us = 60000000 / n;
    if (*interval_us < 1)
        *interval_us = 1;
    *burst_us = (n - 1) * *interval_us;
}

/* ceil(a / b) for a >= 0, b > 0. */
static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int at_least_one(int64_t s)
{
    if (s < 1)
        return 1;
    return s > 86400 * 366 ? 86400 * 366 : (int)s;
}

int limits_gcra_retry_after(int64_t tat_us, int64_t burst_us, int64_t now_us)
{
    int64_t wait = tat_us - burst_us - now_us;

    return at_least_one(wait > 0 ? ceil_div(wait, 1000000) : 0);
}

/* Keep products of token counts and milliseconds inside int64. */
static int64_t clamp_tokens(int64_t n)
{
    if (n < 0)
        return 0;
    return n > 1000000000000LL ? 1000000000000LL : n;
}

static int64_t clamp_elapsed(int64_t ms)
{
    if (ms < 0)
        return 0;
    return ms >= LIMITS_MINUTE_MS ? LIMITS_MINUTE_MS - 1 : ms;
}

int64_t limits_tpm_estimate(int64_t prev, int64_t cur, int64_t elapsed_ms)
{
    prev = clamp_tokens(prev);
    elapsed_ms = clamp_elapsed(elapsed_ms);
    /* The weighted part rounds up: the estimate must never admit early. */
    return ceil_div(prev * (LIMITS_MINUTE_MS - elapsed_ms), LIMITS_MINUTE_MS) +
           clamp_tokens(cur);
}

int limits_tpm_retry_after(int64_t prev, int64_t cur, int64_t elapsed_ms, int64_t limit)
{
    int64_t wait_ms;

    if (limit <= 0)
        return 1;
    prev = clamp_tokens(prev);
    cur = clamp_tokens(cur);
    elapsed_ms = clamp_elapsed(elapsed_ms);
    if (cur < limit) {
        /* Within this minute: ceil(prev * (60000 - e - t) / 60000) + cur < limit. */
        if (prev == 0)
            return 1;
        wait_ms =
            LIMITS_MINUTE_MS - elapsed_ms - (limit - cur - 1) * LIMITS_MINUTE_MS / prev;
    } else {
        /* Once the minute turns, this minute's count becomes the weighted one:
         * ceil(cur * (60000 - e') / 60000) < limit. */
        wait_ms = (LIMITS_MINUTE_MS - elapsed_ms) + LIMITS_MINUTE_MS -
                  (limit - 1) * LIMITS_MINUTE_MS / cur;
    }
    return at_least_one(wait_ms > 0 ? ceil_div(wait_ms, 1000) : 0);
}

int limits_day_retry_after(int64_t now_s)
{
    int64_t into = now_s % 86400;

    if (into < 0)
        into += 86400;
    return at_least_one(86400 - into);
}

void limits_day(int64_t now_s, char out[11])
{
    time_t t = (time_t)now_s;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
