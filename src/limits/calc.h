/* calc: the pure arithmetic of the rate limits (GCRA parameters, Retry-After values, the
 * sliding tpm window, UTC days). No I/O, so the unit tests can pin every edge. */
#ifndef TG_LIMITS_CALC_H
#define TG_LIMITS_CALC_H

#include <stdint.h>

#define LIMITS_MINUTE_MS 60000

/* GCRA for rpm calls a minute, all of which may come at once: *interval_us = 60 s / rpm,
 * *burst_us = (rpm - 1) * interval. rpm must be > 0. */
void limits_gcra_params(int rpm, int64_t *interval_us, int64_t *burst_us);
/* Seconds a refused call waits: ceil((tat - burst - now) / 10^6), at least 1. */
int limits_gcra_retry_after(int64_t tat_us, int64_t burst_us, int64_t now_us);
/* Tokens used in the last minute, estimated from the previous whole minute's count
 * weighted by the part of it still inside the window, plus the current minute's count.
 * elapsed_ms is the time since the current minute began, in [0, 60000). */
int64_t limits_tpm_estimate(int64_t prev, int64_t cur, int64_t elapsed_ms);
/* Seconds until the estimate falls below limit when no more tokens arrive (>= 1). */
int limits_tpm_retry_after(int64_t prev, int64_t cur, int64_t elapsed_ms, int64_t limit);
/* Seconds until the next UTC midnight (>= 1). */
int limits_day_retry_after(int64_t now_s);
/* The UTC date of now_s as "YYYY-MM-DD". */
void limits_day(int64_t now_s, char out[11]);

#endif
