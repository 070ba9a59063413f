/* topup: idempotent USD top-ups, exact to the micro-dollar. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "billing/charge.h"
#include "billing/topup.h"
#include "store/topups.h"
#include "util/log.h"
#include "util/str.h"

#define MICRO_PER_USD   1000000
#define REAL_MAX_DIGITS 15 /* DBL_DIG: such decimals survive text -> double -> text */

void topup_fingerprint(const char *source, int64_t user_id, int64_t amount_micro,
                       unsigned char out[32])
{
    char text[128];
    int n = snprintf(text, sizeof(text), "tollgate-topup-v1\n%s\n%lld\n%lld", source,
                     (long long)user_id, (long long)amount_micro);

    crypto_sha256(text, n > 0 && (size_t)n < sizeof(text) ? (size_t)n : strlen(text),
                  out);
}

void topup_split(int64_t carry_micro, int64_t amount_micro, int64_t *quota,
                 int64_t *carry_after)
{
    int64_t total = carry_micro + amount_micro;

    *quota = money_usd_to_quota(total);
    *carry_after = total - *quota * 2;
}

/* ---- amounts ---- */

/* Drop trailing zeros of a "%.6f" rendering (and the point if nothing is left). */
static void trim_decimal(char *s)
{
    char *dot = strchr(s, '.');
    size_t n;

    if (!dot)
        return;
    n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[--n] = '\0';
}

void topup_format_usd(int64_t micro, char out[32])
{
    money_format_usd(micro, out);
    trim_decimal(out);
}

void topup_quota_usd(int64_t quota, char out[32])
{
    if (quota > INT64_MAX / 2 || quota < INT64_MIN / 2) {
        snprintf(out, 32, "%s", quota < 0 ? "-" : "overflow");
        return;
    }
    topup_format_usd(quota * 2, out);
}

/* Significant digits of a plain decimal ("0.000120" has 2 after trimming). */
static int significant_digits(const char *s)
{
    int n = 0, started = 0;

    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0')
            started = 1;
        if (started)
            n++;
    }
    return n;
}

/* A JSON real becomes a decimal only if it is exactly the double nearest that decimal
 * and the decimal is short enough to be the only one with that double. */
static int real_to_text(double d, char out[64])
{
    char *end;

    if (!isfinite(d) || d <= 0 || d >= 1e13)
        return -1;
    snprintf(out, 64, "%.6f", d);
    trim_decimal(out);
    if (significant_digits(out) > REAL_MAX_DIGITS)
        return -1;
    if (strtod(out, &end) != d || *end != '\0')
        return -1;
    return 0;
}

int topup_amount_json(json_t *v, const char *field, int64_t max_micro, int64_t *micro,
                      struct tg_err *err)
{
    char text[64], maxtxt[32];
    int64_t m = 0;

    if (!v || json_is_null(v))
        return err_set_field(err, TG_EINVAL, field, "%s is required", field);
    if (json_is_string(v)) {
        if (money_parse_usd(json_string_value(v), &m) != 0)
            return err_set_field(
                err, TG_EINVAL, field,
                "%s must be a decimal number of US dollars greater than 0 "
                "with at most 6 decimal places, like \"12.34\"",
                field);
    } else if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i <= 0 || i > max_micro / MICRO_PER_USD + 1)
            return err_set_field(err, TG_EINVAL, field,
                                 "%s must be greater than 0 and at "
                                 "most the maximum top-up",
                                 field);
        m = (int64_t)i * MICRO_PER_USD;
    } else if (json_is_real(v)) {
        if (real_to_text(json_real_value(v), text) != 0 || money_parse_usd(text, &m) != 0)
            return err_set_field(
                err, TG_EINVAL, field,
                "%s is not exactly a decimal with at most 6 decimal places "
                "(send it as a string, like \"12.34\")",
                field);
    } else {
        return err_set_field(err, TG_EINVAL, field, "%s must be a string or a number",
                             field);
    }
    if (m > max_micro) {
        topup_format_usd(max_micro, maxtxt);
        return err_set_field(err, TG_EINVAL, field,
                             "%s is over the maximum top-up of %s USD", field, maxtxt);
    }
    *micro = m;
    return 0;
}

int topup_payment_id_new(char out[29])
{
    unsigned char rnd[12];

    if (crypto_random(rnd, sizeof(rnd)) != 0)
        return -1;
    memcpy(out, "adm_", 4);
    str_hex(rnd, sizeof(rnd), out + 4);
    return 0;
}

int topup_payment_id_ok(const char *s)
{
    size_t n = s ? strnlen(s, TOPUP_PAYMENT_ID_MAX + 1) : 0;

    if (n == 0 || n > TOPUP_PAYMENT_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

/* ---- the credit ---- */

static void result_from_row(const struct topup_row *t, int replayed,
                            struct topup_result *out)
{
    memset(out, 0, sizeof(*out));
    out->id = t->id;
    out->user_id = t->user_id;
    out->amount_micro = t->amount_micro;
    out->quota = t->quota;
    out->balance_after = t->balance_after;
    str_copy(out->payment_id, sizeof(out->payment_id), t->payment_id);
    str_copy(out->created_at, sizeof(out->created_at), t->created_at);
    out->replayed = replayed;
}

/* Look for an earlier top-up of this payment id. Returns 1 (answered: out filled, or err
 * TG_ECONFLICT), 0 none, -1 error. */
static int find_earlier(struct store_conn *c, const struct topup_req *r,
                        const unsigned char fp[32], int replayed,
                        struct topup_result *out, struct tg_err *err)
{
    struct topup_row t;
    int rc = store_topup_by_payment(c, r->source, r->payment_id, &t, err);

    if (rc != 1)
        return rc;
    if (!crypto_memeq(t.fingerprint, fp, 32)) {
        err_set_field(
            err, TG_ECONFLICT, "payment_id",
            "payment_id was already used for a different top-up (another user or "
            "amount)");
        return 1;
    }
    result_from_row(&t, replayed, out);
    return 1;
}

static int check_req(const struct topup_req *r, struct tg_err *err)
{
    if (r->user_id <= 0)
        return err_set(err, TG_ENOTFOUND, "user not found");
    if (r->amount_micro <= 0)
        return err_set_field(err, TG_EINVAL, "amount_usd",
                             "amount must be greater than 0");
    if (!r->source || !*r->source || strlen(r->source) > 48)
        return err_set(err, TG_EINTERNAL, "bad top-up source");
    if (!topup_payment_id_ok(r->payment_id))
        return err_set_field(err, TG_EINVAL, "payment_id",
                             "payment_id must be 1 to %d printable characters without "
                             "spaces",
                             TOPUP_PAYMENT_ID_MAX);
    if (r->payment_method && strlen(r->payment_method) > 64)
        return err_set_field(err, TG_EINVAL, "payment_method",
                             "payment_method is longer than 64 bytes");
    return 0;
}

static int audit(struct store_conn *c, const struct topup_req *r,
                 const struct topup_row *t, struct tg_err *err)
{
    char usd[32], *text;
    json_t *d;
    int rc;

    topup_format_usd(t->amount_micro, usd);
    d = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "topup_id", (json_int_t)t->id,
                  "source", r->source, "payment_id", r->payment_id, "amount_usd", usd,
                  "quota", (json_int_t)t->quota, "balance_after",
                  (json_int_t)t->balance_after);
    text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (!text)
        return err_set(err, TG_EINTERNAL, "out of memory");
    rc = store_topup_audit(c, r->actor_user_id, r->actor_partner_id, "topup.credit",
                           r->user_id, text, r->ip, err);
    free(text);
    return rc;
}

/* The transaction. Returns 0 committed, 1 the insert hit an earlier row (rolled back),
 * -1 error (rolled back, or the COMMIT outcome is unknown: *commit_lost = 1). */
static int credit_tx(struct store_conn *c, const struct topup_req *r,
                     const unsigned char fp[32], struct topup_row *t, int *commit_lost,
                     struct tg_err *err)
{
    struct tg_err ins = {0};
    int64_t quota0, carry0, carry1;
    int rc;

    if (store_begin(c, err) != 0)
        return -1;
    rc = store_topup_lock_user(c, r->user_id, &quota0, &carry0, err);
    if (rc <= 0) {
        store_rollback(c);
        return rc < 0 ? -1 : err_set(err, TG_ENOTFOUND, "user not found");
    }
    memset(t, 0, sizeof(*t));
    t->user_id = r->user_id;
    t->amount_micro = r->amount_micro;
    topup_split(carry0 == 1 ? 1 : 0, r->amount_micro, &t->quota, &carry1);
    if (quota0 > INT64_MAX - t->quota) {
        store_rollback(c);
        return err_set_field(err, TG_EINVAL, "amount_usd", "balance would overflow");
    }
    t->balance_after = quota0 + t->quota;
    str_copy(t->source, sizeof(t->source), r->source);
    str_copy(t->payment_id, sizeof(t->payment_id), r->payment_id);
    str_copy(t->payment_method, sizeof(t->payment_method),
             r->payment_method ? r->payment_method : "");
    memcpy(t->fingerprint, fp, 32);
    t->id = store_topup_insert(c, t, r->note && *r->note ? r->note : NULL, &ins);
    if (t->id < 0) {
        store_rollback(c);
        if (ins.code == TG_ECONFLICT)
            return 1;
        if (err->code == TG_OK)
            *err = ins;
        return -1;
    }
    if (store_topup_apply(c, r->user_id, t->quota, carry1, err) != 0 ||
        store_topup_ledger(c, r->user_id, t->id, t->quota, err) != 0 ||
        audit(c, r, t, err) != 0) {
        store_rollback(c);
        return -1;
    }
    if (store_commit(c, err) != 0) {
        *commit_lost = 1;
        return -1;
    }
    return 0;
}

/* After a failed COMMIT: the truth is whatever the database holds now. */
static int resolve_commit(struct store_pool *pool, struct store_conn **conn,
                          const struct topup_req *r, const unsigned char fp[32],
                          struct topup_result *out, struct tg_err *err)
{
    struct tg_err e = {0};
    int rc;

    store_put(pool, *conn);
    *conn = store_get(pool, &e);
    if (!*conn) {
        log_error("billing", "event=topup_commit_unknown source=%s user=%lld", r->source,
                  (long long)r->user_id);
        return -1; /* err already says unavailable: the caller retries, same payment_id */
    }
    rc = find_earlier(*conn, r, fp, 0, out, &e);
    if (rc == 1 && e.code == TG_OK) {
        memset(err, 0, sizeof(*err)); /* it did commit: no error to report */
        return 0;
    }
    if (rc == 0)
        log_warn("billing", "event=topup_commit_lost outcome=not_committed user=%lld",
                 (long long)r->user_id);
    return -1;
}

int topup_credit(struct store_pool *pool, struct store_conn **conn,
                 const struct topup_req *r, struct topup_result *out, struct tg_err *err)
{
    unsigned char fp[32];
    struct topup_row t;
    int rc, lost = 0;

    if (check_req(r, err) != 0)
        return -1;
    topup_fingerprint(r->source, r->user_id, r->amount_micro, fp);
    rc = find_earlier(*conn, r, fp, 1, out, err);
    if (rc != 0)
        return rc == 1 && err->code == TG_OK ? 0 : -1;
    rc = credit_tx(*conn, r, fp, &t, &lost, err);
    if (rc == 0) {
        result_from_row(&t, 0, out);
        /* created_at of the committed row, for answers identical to later replays */
        if (find_earlier(*conn, r, fp, 0, out, err) != 1 || err->code != TG_OK)
            return -1;
        log_info("billing", "event=topup user=%lld topup=%lld micro_usd=%lld quota=%lld",
                 (long long)t.user_id, (long long)t.id, (long long)t.amount_micro,
                 (long long)t.quota);
        return 0;
    }
    if (rc == 1) { /* a concurrent or earlier request holds this payment_id */
        rc = find_earlier(*conn, r, fp, 1, out, err);
        if (rc == 1)
            return err->code == TG_OK ? 0 : -1;
        return rc < 0 ? -1 : err_set(err, TG_EUNAVAIL, "top-up in progress; retry");
    }
    if (lost)
        return resolve_commit(pool, conn, r, fp, out, err);
    return -1;
}
