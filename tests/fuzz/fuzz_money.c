/* fuzz_money: libFuzzer target for billing/charge's amount parsing. An accepted amount is
 * in range and survives money_format_usd and a second parse unchanged. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "billing/charge.h"

#define MONEY_MAX_MICRO 1000000000000000000LL /* 10^12 USD */

static void round_trip(int (*parse)(const char *, int64_t *), int64_t v)
{
    char out[32];
    int64_t back = -1;

    money_format_usd(v, out);
    assert(parse(out, &back) == 0);
    assert(back == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    int64_t v = -1;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (money_parse_usd(s, &v) == 0) {
        assert(v > 0 && v <= MONEY_MAX_MICRO);
        round_trip(money_parse_usd, v);
        assert(money_usd_to_quota(v) == v / 2);
    }
    v = -1;
    if (money_parse_price(s, &v) == 0) {
        assert(v >= 0 && v <= MONEY_MAX_MICRO);
        round_trip(money_parse_price, v);
    }
    free(s);
    return 0;
}
