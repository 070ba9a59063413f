/* topups: top-up rows, the user balance credit, its ledger and audit rows. The one
 * transaction that ties them together is billing/topup.c. */
#ifndef TG_STORE_TOPUPS_H
#define TG_STORE_TOPUPS_H

#include <stdint.h>

#include "store/store.h"

struct topup_row {
    int64_t id, user_id;
    int64_t amount_micro;  /* micro-USD */
    int64_t quota;         /* quota credited by this top-up */
    int64_t balance_after; /* users.quota right after the credit */
    char source[49];
    char payment_id[129];
    char payment_method[65]; /* "" when none */
    unsigned char fingerprint[32];
    char created_at[32]; /* ISO 8601, UTC */
};

/* The top-up of (source, payment_id). Returns 1 found, 0 none, -1 error. */
int store_topup_by_payment(struct store_conn *c, const char *source,
                           const char *payment_id, struct topup_row *out,
                           struct tg_err *err);
/* Inside a transaction: lock the user row (not deleted) and read its balance and top-up
 * carry. Returns 1 locked, 0 no such user, -1 error. */
int store_topup_lock_user(struct store_conn *c, int64_t user_id, int64_t *quota,
                          int64_t *carry_micro, struct tg_err *err);
/* Insert the top-up row (fields of t except id and created_at; payment_method "" stores
 * NULL; note may be NULL). Returns the new id, or -1 (TG_ECONFLICT when (source,
 * payment_id) exists). */
int64_t store_topup_insert(struct store_conn *c, const struct topup_row *t,
                           const char *note, struct tg_err *err);
/* Add quota to the balance (quota = quota + ?) and set the carry of odd micro-dollars.
 * Returns 0 or -1. */
int store_topup_apply(struct store_conn *c, int64_t user_id, int64_t quota,
                      int64_t carry_micro, struct tg_err *err);
/* The ledger's credit row of a top-up. Returns 0 or -1. */
int store_topup_ledger(struct store_conn *c, int64_t user_id, int64_t topup_id,
                       int64_t quota, struct tg_err *err);
/* An audit row. actor ids of 0 store NULL; detail is JSON text or NULL; ip may be NULL.
 * Returns 0 or -1. */
int store_topup_audit(struct store_conn *c, int64_t actor_user_id,
                      int64_t actor_partner_id, const char *action, int64_t user_id,
                      const char *detail, const char *ip, struct tg_err *err);

#endif
