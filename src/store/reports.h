/* reports: read-only summaries of a user's usage and money for the portal, always
 * filtered by the user's id and bounded in rows. */
#ifndef TG_STORE_REPORTS_H
#define TG_STORE_REPORTS_H

#include <stdint.h>

#include "store/store.h"

/* Rows from the UTC day `from` to the UTC day `to`, both "YYYY-MM-DD" and inclusive. */
struct report_range {
    int64_t user_id;
    int64_t key_id; /* 0 = every key of the user */
    const char *from, *to;
};

struct usage_agg {
    char label[130]; /* day, model or key name */
    int64_t key_id;  /* by key only */
    int64_t requests, input, output, cache_read, cache_write, quota;
};

enum report_group { REPORT_TOTAL, REPORT_BY_DAY, REPORT_BY_MODEL, REPORT_BY_KEY };

/* Sum usage over the range, grouped as asked (REPORT_TOTAL gives one row), at most limit
 * groups, busiest first (days in order). Calls fn per row. Returns the count or -1. */
int store_report_usage(struct store_conn *c, const struct report_range *r,
                       enum report_group g, int limit,
                       void (*fn)(const struct usage_agg *a, void *ctx), void *ctx,
                       struct tg_err *err);

struct usage_item {
    char request_id[41];
    int64_t key_id;
    char model[129], endpoint[65], created_at[32], error_class[33];
    int64_t input, output, cache_read, cache_write, quota;
    int duration_ms, is_stream, status;
};
/* The range's calls, newest first, paged. Returns the count or -1. */
int store_report_items(struct store_conn *c, const struct report_range *r, int limit,
                       int offset, void (*fn)(const struct usage_item *it, void *ctx),
                       void *ctx, struct tg_err *err);

struct topup_item {
    int64_t id, amount_micro_usd, quota;
    char source[49], payment_id[129], payment_method[65], created_at[32];
};
/* The user's top-ups in the range, newest first, paged. Returns the count or -1. */
int store_report_topups(struct store_conn *c, const struct report_range *r, int limit,
                        int offset, void (*fn)(const struct topup_item *t, void *ctx),
                        void *ctx, struct tg_err *err);
/* Count and sums of the user's top-ups in the range. Returns 0 or -1. */
int store_report_topup_totals(struct store_conn *c, const struct report_range *r,
                              int64_t *count, int64_t *micro_usd, int64_t *quota,
                              struct tg_err *err);

#endif
