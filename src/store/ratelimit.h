/* ratelimit: the rows behind per-key limits (key_rate, key_day, key_tokens_minute,
 * key_leases) and login throttling (throttle). Each check is one conditional statement,
 * so every process on every host sharing the database agrees. */
#ifndef TG_STORE_RATELIMIT_H
#define TG_STORE_RATELIMIT_H

#include <stdint.h>

#include "store/store.h"

/* Make sure the key's GCRA row exists (INSERT IGNORE, run outside a transaction).
 * Returns 0 or -1. */
int store_rl_ensure_rate(struct store_conn *c, int64_t key_id, struct tg_err *err);
/* Make sure the key's row for day ("YYYY-MM-DD") exists; a new day drops the key's rows
 * of earlier days. Run outside a transaction. Returns 0 or -1. */
int store_rl_ensure_day(struct store_conn *c, int64_t key_id, const char *day,
                        struct tg_err *err);
/* Use the next READ COMMITTED isolation for the next transaction on c (no gap locks).
 * Returns 0 or -1. */
int store_rl_read_committed(struct store_conn *c, struct tg_err *err);
/* GCRA step: move tat on when the call conforms. Returns 1 admitted, 0 limited (then
 * *tat_us holds the stored tat), -1 error. */
int store_rl_gcra(struct store_conn *c, int64_t key_id, int64_t now_us,
                  int64_t interval_us, int64_t burst_us, int64_t *tat_us,
                  struct tg_err *err);
/* Lock the key's GCRA row until the transaction ends (serialises a key's admissions).
 * Returns 0 or -1. */
int store_rl_lock(struct store_conn *c, int64_t key_id, struct tg_err *err);
/* Count one call for day unless limit is reached. Returns 1 counted, 0 limited, -1. */
int store_rl_day_incr(struct store_conn *c, int64_t key_id, const char *day, int limit,
                      struct tg_err *err);
/* Token counts of the key for minute (minutes since the epoch) and the one before.
 * Returns 0 or -1. */
int store_rl_tokens(struct store_conn *c, int64_t key_id, int64_t minute, int64_t *prev,
                    int64_t *cur, struct tg_err *err);
/* Add tokens to minute (and drop the key's counters older than the minute before).
 * Returns 0 or -1. */
int store_rl_tokens_add(struct store_conn *c, int64_t key_id, int64_t minute,
                        int64_t tokens, struct tg_err *err);
/* Drop the key's expired leases, then take one for request_id (expiring at expires_s)
 * unless limit leases are live. Returns 1 taken, 0 limited, -1 error. */
int store_rl_lease(struct store_conn *c, int64_t key_id, const char *request_id,
                   int64_t now_s, int64_t expires_s, int limit, struct tg_err *err);
/* Release request_id's lease. Returns 0 or -1. */
int store_rl_lease_drop(struct store_conn *c, const char *request_id, struct tg_err *err);

/* Login throttling: the time (unix s) until which subject is blocked, 0 if it is not.
 * Returns 0 or -1. */
int store_throttle_until(struct store_conn *c, const char *subject, int64_t now_s,
                         int64_t *until, struct tg_err *err);
/* Count one failure for subject. Inside a window of window_s seconds (from the first
 * failure) the max_failures-th failure and each later one blocks the subject for
 * base_block_s doubled per extra failure, at most max_block_s. Returns 0 or -1. */
int store_throttle_fail(struct store_conn *c, const char *subject, int64_t now_s,
                        int window_s, int max_failures, int base_block_s, int max_block_s,
                        struct tg_err *err);
/* Forget subject's failures. Returns 0 or -1. */
int store_throttle_clear(struct store_conn *c, const char *subject, struct tg_err *err);

#endif
