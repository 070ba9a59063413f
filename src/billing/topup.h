/* topup: crediting USD to a user exactly once per (source, payment_id). Used by the
 * partner API (source "partner:<id>") and by administrators (source "admin"). */
#ifndef TG_TOPUP_H
#define TG_TOPUP_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

#define TOPUP_PAYMENT_ID_MAX 128 /* characters */
#define TOPUP_SOURCE_ADMIN   "admin"

struct topup_req {
    int64_t user_id;
    int64_t amount_micro;       /* > 0, micro-USD */
    const char *source;         /* "partner:<id>", "admin", ... (<= 48 bytes) */
    const char *payment_id;     /* 1..128 printable characters, unique per source */
    const char *payment_method; /* NULL or "" = none (<= 64 bytes) */
    const char *note;           /* NULL or "" = none (<= 255 characters) */
    int64_t actor_user_id;      /* for the audit row; 0 = none */
    int64_t actor_partner_id;   /* for the audit row; 0 = none */
    const char *ip;             /* for the audit row; NULL = none */
};

struct topup_result {
    int64_t id, user_id;
    int64_t amount_micro;
    int64_t quota;         /* quota this top-up credited */
    int64_t balance_after; /* the user's quota right after it */
    char payment_id[129];
    char created_at[32]; /* ISO 8601, UTC */
    int replayed;        /* 1: an earlier request with this payment_id made the credit */
};

/* SHA-256 over "tollgate-topup-v1\n" source "\n" user_id "\n" amount_micro: what makes
 * two requests with one payment_id the same request. */
void topup_fingerprint(const char *source, int64_t user_id, int64_t amount_micro,
                       unsigned char out[32]);
/* 1 micro-USD is 0.5 quota: split carry + amount into whole quota (floor) and the odd
 * micro-dollar left over (0 or 1), so that credits are exact over time. carry must be
 * 0 or 1 and amount_micro >= 0. */
void topup_split(int64_t carry_micro, int64_t amount_micro, int64_t *quota,
                 int64_t *carry_after);

/* Credit r once. One transaction: the topups row, `quota = quota + ?` with the carry, a
 * ledger row (kind 'topup') and an audit row. A repeat of (source, payment_id) with the
 * same fingerprint answers as the first did (out->replayed = 1) and changes nothing; with
 * another user or amount it is TG_ECONFLICT. Concurrent repeats wait on the first and
 * then replay. A connection lost at COMMIT is resolved by re-reading the payment_id on a
 * fresh connection: *conn may be replaced (borrowed from pool; the caller still puts it
 * back). Returns 0 with out filled, or -1 with err: TG_ENOTFOUND (no such user),
 * TG_ECONFLICT, TG_EINVAL (bad request fields), TG_EUNAVAIL (retry with the same
 * payment_id). */
int topup_credit(struct store_pool *pool, struct store_conn **conn,
                 const struct topup_req *r, struct topup_result *out, struct tg_err *err);

/* Read a JSON amount field: a decimal string ("12.34", at most 6 decimals, no sign,
 * exponent or spaces), a JSON integer, or a JSON real that is exactly the double of such
 * a decimal with at most 15 significant digits. Must be > 0 and <= max_micro. field names
 * the field in err. Returns 0 with *micro set, or -1 with err TG_EINVAL. */
int topup_amount_json(json_t *v, const char *field, int64_t max_micro, int64_t *micro,
                      struct tg_err *err);
/* micro-USD as the shortest decimal: 12340000 -> "12.34", 1 -> "0.000001", 5000000 ->
 * "5". out holds 32 bytes. */
void topup_format_usd(int64_t micro, char out[32]);
/* quota as USD text (1 quota = 2 micro-USD), as topup_format_usd. */
void topup_quota_usd(int64_t quota, char out[32]);
/* A fresh payment id for grants without one: "adm_" + 24 hex characters (out: 29 bytes).
 * Returns 0 or -1. */
int topup_payment_id_new(char out[29]);
/* 1 if s is a valid payment id: 1..128 bytes, printable ASCII without spaces. */
int topup_payment_id_ok(const char *s);

#endif
