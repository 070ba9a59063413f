/* charge: exact quota arithmetic. 1 USD = 500,000 quota; prices in micro-USD per million
 * tokens; group multipliers in parts per million. */
#ifndef TG_CHARGE_H
#define TG_CHARGE_H

#include <stdint.h>

#include "relay/usage.h"

#define QUOTA_PER_USD 500000

struct price {
    int64_t input; /* micro-USD per million tokens */
    int64_t output;
    int64_t cache_read;
    int64_t cache_write; /* 5-minute write; 1-hour writes bill at 2x input unless set */
    int64_t cache_write_1h; /* 0 = 2 x input */
};

/* charge = ceil(sum tokens_k * price_k * group_ppm / 2e12), in unsigned __int128.
 * Zero usage costs 0; positive tokens at a positive price cost at least 1. Negative token
 * counts are treated as 0. Saturates at INT64_MAX. */
int64_t charge_quota(const struct price *p, const struct usage *u, int64_t group_ppm);
/* Upper bound for a reservation: input_estimate tokens at the dearest input-side rate
 * plus max_output at the output rate. */
int64_t charge_reserve(const struct price *p, int64_t input_estimate, int64_t max_output,
                       int64_t group_ppm);

/* Parse a USD amount: a decimal string or JSON-number text, > 0, at most 6 decimals, no
 * exponent, sign, NaN or spaces. Result in micro-USD. Returns 0, or -1. */
int money_parse_usd(const char *s, int64_t *micro_usd);
/* micro-USD -> quota (exact: 1 micro-USD = 0.5 quota, so amounts round down to whole
 * quota units only for odd micro-dollars; returns floor). */
int64_t money_usd_to_quota(int64_t micro_usd);
/* Format micro-USD as a decimal string "12.340000" into out (32 bytes). */
void money_format_usd(int64_t micro_usd, char out[32]);
/* Parse a price given in USD per million tokens ("3", "0.30", "15.5") into micro-USD.
 * Up to 6 decimals, >= 0. Returns 0 or -1. */
int money_parse_price(const char *s, int64_t *micro_usd);

#endif
