/* charge: exact integer quota arithmetic and USD amount parsing. */
#include <stdio.h>

#include "billing/charge.h"

typedef unsigned __int128 u128;

/* USD per token = p / 10^12 and the multiplier = g / 10^6, so quota = tokens x p / 10^12
 * x g / 10^6 x 500,000 = tokens x p x g / 2 x 10^12. */
#define CHARGE_DIV ((u128)2000000000000ULL)

#define MICRO_PER_USD   1000000
#define MONEY_MAX_MICRO (1000000000000LL * MICRO_PER_USD) /* 10^12 USD */

static uint64_t nonneg(int64_t v)
{
    return v > 0 ? (uint64_t)v : 0;
}

/* The 1-hour cache write rate: its own price if set, else twice the input price. */
static uint64_t price_write_1h(const struct price *p)
{
    return p->cache_write_1h > 0 ? nonneg(p->cache_write_1h) : 2 * nonneg(p->input);
}

/* Add tokens x price to *sum. Returns 0, or -1 if the sum passed 2^128. Each product is
 * below 2^127 (two factors below 2^63 and 2^64). */
static int add_term(u128 *sum, int64_t tokens, uint64_t price)
{
    u128 term = (u128)nonneg(tokens) * price;

    if (*sum > ~(u128)0 - term)
        return -1;
    *sum += term;
    return 0;
}

/* ceil(sum x g / CHARGE_DIV), saturating at INT64_MAX. */
static int64_t scale(u128 sum, int64_t group_ppm, int overflow)
{
    uint64_t g = nonneg(group_ppm);
    u128 q;

    if (sum == 0 || g == 0)
        return 0;
    if (overflow || sum > ~(u128)0 / g)
        return INT64_MAX;
    q = (sum * g + CHARGE_DIV - 1) / CHARGE_DIV;
    return q > (u128)INT64_MAX ? INT64_MAX : (int64_t)q;
}

int64_t charge_quota(const struct price *p, const struct usage *u, int64_t group_ppm)
{
    u128 sum = 0;
    int over = 0;

    over |= add_term(&sum, u->input, nonneg(p->input));
    over |= add_term(&sum, u->output, nonneg(p->output));
    over |= add_term(&sum, u->cache_read, nonneg(p->cache_read));
    over |= add_term(&sum, u->cache_write_5m, nonneg(p->cache_write));
    over |= add_term(&sum, u->cache_write_1h, price_write_1h(p));
    return scale(sum, group_ppm, over);
}

int64_t charge_reserve(const struct price *p, int64_t input_estimate, int64_t max_output,
                       int64_t group_ppm)
{
    uint64_t in = nonneg(p->input);
    u128 sum = 0;
    int over = 0;

    /* Any split of the input among cache reads and writes costs at most this. */
    if (nonneg(p->cache_read) > in)
        in = nonneg(p->cache_read);
    if (nonneg(p->cache_write) > in)
        in = nonneg(p->cache_write);
    if (price_write_1h(p) > in)
        in = price_write_1h(p);
    over |= add_term(&sum, input_estimate, in);
    over |= add_term(&sum, max_output, nonneg(p->output));
    return scale(sum, group_ppm, over);
}

/* Parse "D+" or "D+.F{1,6}" (no sign, exponent, spaces, leading zeros or bare dots) into
 * micro-USD no larger than 10^12 USD. Returns 0, or -1. */
static int parse_decimal(const char *s, int64_t *micro)
{
    int64_t whole = 0, frac = 0;
    int scale_left = 6;

    if (!s || s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        whole = whole * 10 + (*s - '0');
        if (whole > MONEY_MAX_MICRO / MICRO_PER_USD)
            return -1;
    }
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return -1;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (scale_left-- == 0)
                return -1; /* more than 6 decimals */
            frac = frac * 10 + (*s - '0');
        }
        for (; scale_left > 0; scale_left--)
            frac *= 10;
    }
    if (*s != '\0')
        return -1;
    whole = whole * MICRO_PER_USD + frac;
    if (whole > MONEY_MAX_MICRO)
        return -1;
    *micro = whole;
    return 0;
}

int money_parse_usd(const char *s, int64_t *micro_usd)
{
    int64_t v;

    if (parse_decimal(s, &v) != 0 || v <= 0)
        return -1;
    *micro_usd = v;
    return 0;
}

int money_parse_price(const char *s, int64_t *micro_usd)
{
    return parse_decimal(s, micro_usd);
}

int64_t money_usd_to_quota(int64_t micro_usd)
{
    int64_t q = micro_usd / 2;

    if (micro_usd % 2 < 0)
        q--; /* floor, not truncation toward zero */
    return q;
}

void money_format_usd(int64_t micro_usd, char out[32])
{
    uint64_t mag = micro_usd < 0 ? 0 - (uint64_t)micro_usd : (uint64_t)micro_usd;

    snprintf(out, 32, "%s%llu.%06llu", micro_usd < 0 ? "-" : "",
             (unsigned long long)(mag / MICRO_PER_USD),
             (unsigned long long)(mag % MICRO_PER_USD));
}
