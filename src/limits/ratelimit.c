/* ratelimit: per-key rpm (GCRA), rpd, tpm and concurrency, checked in one transaction
 * that is rolled back when any check refuses, so a refused call consumes nothing. */
#include <string.h>

#include "limits/calc.h"
#include "limits/limits.h"
#include "store/ratelimit.h"
#include "util/log.h"
#include "util/str.h"

/* A lease outlives any normal call; a worker that dies holding one frees the slot when it
 * expires. Streams longer than this stop counting against the concurrency cap. */
#define LEASE_TTL_S 900

struct admit_ctx {
    const struct key_row *k;
    const char *request_id;
    int64_t now_us;
    char day[11];
};

/* Set err to a limit refusal. Always returns 0 (the "refused" result of a check). */
static int refuse(struct tg_err *err, const char *field, int retry_after,
                  const char *what, int limit)
{
    err->retry_after = retry_after;
    err_set_field(err, TG_ELIMIT, field,
                  "rate limit reached: %d %s for this key; retry in %d s", limit, what,
                  retry_after);
    return 0;
}

/* Each check returns 1 pass, 0 refused (err set), -1 database error. */
static int check_rpm(struct store_conn *c, const struct admit_ctx *a, struct tg_err *err)
{
    int64_t interval, burst, tat = 0;
    int rc;

    limits_gcra_params(a->k->rpm, &interval, &burst);
    rc = store_rl_gcra(c, a->k->id, a->now_us, interval, burst, &tat, err);
    if (rc != 0)
        return rc;
    return refuse(err, "rpm", limits_gcra_retry_after(tat, burst, a->now_us),
                  "requests per minute", a->k->rpm);
}

static int check_rpd(struct store_conn *c, const struct admit_ctx *a, struct tg_err *err)
{
    int rc = store_rl_day_incr(c, a->k->id, a->day, a->k->rpd, err);

    if (rc != 0)
        return rc;
    return refuse(err, "rpd", limits_day_retry_after(a->now_us / 1000000),
                  "requests per day", a->k->rpd);
}

static int check_tpm(struct store_conn *c, const struct admit_ctx *a, struct tg_err *err)
{
    int64_t now_ms = a->now_us / 1000, minute = now_ms / LIMITS_MINUTE_MS;
    int64_t elapsed = now_ms % LIMITS_MINUTE_MS, prev, cur;

    if (store_rl_tokens(c, a->k->id, minute, &prev, &cur, err) != 0)
        return -1;
    if (limits_tpm_estimate(prev, cur, elapsed) < a->k->tpm)
        return 1;
    return refuse(err, "tpm", limits_tpm_retry_after(prev, cur, elapsed, a->k->tpm),
                  "tokens per minute", a->k->tpm);
}

static int check_concurrency(struct store_conn *c, const struct admit_ctx *a,
                             struct tg_err *err)
{
    int64_t now_s = a->now_us / 1000000;
    int rc = store_rl_lease(c, a->k->id, a->request_id, now_s, now_s + LEASE_TTL_S,
                            a->k->max_concurrency, err);

    if (rc != 0)
        return rc;
    return refuse(err, "max_concurrency", 1, "calls at once", a->k->max_concurrency);
}

/* Rows the checks update must exist before the transaction: an INSERT IGNORE inside it
 * takes a shared lock that two callers would both try to upgrade (a deadlock). */
static int ensure_rows(struct store_conn *c, const struct admit_ctx *a,
                       struct tg_err *err)
{
    if ((a->k->rpm > 0 || a->k->max_concurrency > 0) &&
        store_rl_ensure_rate(c, a->k->id, err) != 0)
        return -1;
    if (a->k->rpd > 0 && store_rl_ensure_day(c, a->k->id, a->day, err) != 0)
        return -1;
    return 0;
}

/* The checks in a fixed order (the key's GCRA row first, which also serialises the
 * key's admissions, so lease counting cannot race). Returns 1, 0 or -1. */
static int run_checks(struct store_conn *c, const struct admit_ctx *a, struct tg_err *err)
{
    const struct key_row *k = a->k;
    int rc = 1;

    if (k->rpm > 0)
        rc = check_rpm(c, a, err);
    else if (k->max_concurrency > 0)
        rc = store_rl_lock(c, k->id, err) == 0 ? 1 : -1;
    if (rc == 1 && k->rpd > 0)
        rc = check_rpd(c, a, err);
    if (rc == 1 && k->tpm > 0)
        rc = check_tpm(c, a, err);
    if (rc == 1 && k->max_concurrency > 0)
        rc = check_concurrency(c, a, err);
    return rc;
}

int limits_admit(struct store_conn *c, const struct key_row *k, const char *request_id,
                 struct tg_err *err)
{
    struct admit_ctx a = {.k = k, .request_id = request_id, .now_us = str_now_us()};
    int rc;

    if (limits_none(k))
        return 0;
    limits_day(a.now_us / 1000000, a.day);
    if (ensure_rows(c, &a, err) != 0 || store_rl_read_committed(c, err) != 0 ||
        store_begin(c, err) != 0)
        return -1;
    rc = run_checks(c, &a, err);
    if (rc != 1) {
        store_rollback(c);
        if (rc == 0)
            log_info("limits", "event=limited key_id=%lld limit=%s retry_after=%d",
                     (long long)k->id, err->field ? err->field : "-", err->retry_after);
        return -1;
    }
    return store_commit(c, err);
}

int limits_finish(struct store_conn *c, const struct key_row *k, const char *request_id,
                  int64_t tokens, struct tg_err *err)
{
    int rc = 0;

    if (k->tpm > 0 && tokens > 0)
        rc = store_rl_tokens_add(c, k->id, str_now_us() / 1000 / LIMITS_MINUTE_MS, tokens,
                                 err);
    if (k->max_concurrency > 0 && store_rl_lease_drop(c, request_id, err) != 0)
        rc = -1;
    return rc;
}
