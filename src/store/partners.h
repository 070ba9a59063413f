/* partners: operator sites that call the external user API, their sealed HMAC secrets,
 * and the nonces of their signed calls. */
#ifndef TG_STORE_PARTNERS_H
#define TG_STORE_PARTNERS_H

#include <stdint.h>

#include "store/store.h"

/* AAD of a partner secret sealed with crypto_seal: binds the ciphertext to its row. */
#define PARTNER_AAD_FMT   "partners.secret:%lld"
#define PARTNER_NONCE_TTL 600 /* seconds a nonce is remembered (2 x the clock window) */

struct partner_row {
    int64_t id;
    char name[129];
    char key_id[65];
    char status[10];           /* active | disabled */
    char secret_enc[512];      /* crypto_seal text of the current secret */
    char secret_prev_enc[512]; /* the secret before the last rotation, or "" */
    int64_t users;             /* external users of this partner (lists only) */
    char created_at[32], updated_at[32];
};

/* Insert a partner with an empty secret (seal it with store_partner_set_secret once the
 * id is known, in the same transaction). Returns the id, or -1 (TG_ECONFLICT: name or key
 * id taken). */
int64_t store_partner_create(struct store_conn *c, const char *name, const char *key_id,
                             struct tg_err *err);
/* Store the sealed current secret. Returns 0 or -1. */
int store_partner_set_secret(struct store_conn *c, int64_t id, const char *secret_enc,
                             struct tg_err *err);
/* Make the current secret the previous one and secret_enc the current one (the secret
 * before that stops working). Returns 0, or -1. */
int store_partner_rotate(struct store_conn *c, int64_t id, const char *secret_enc,
                         struct tg_err *err);
/* An active or disabled partner by key id. Returns 1 found, 0 none, -1 error. */
int store_partner_by_key(struct store_conn *c, const char *key_id,
                         struct partner_row *out, struct tg_err *err);
/* A partner by key id or else by name. Returns 1, 0, -1. */
int store_partner_find(struct store_conn *c, const char *name_or_key,
                       struct partner_row *out, struct tg_err *err);
/* Every partner, oldest first (secrets left empty). Returns the count or -1. */
int store_partner_list(struct store_conn *c,
                       void (*fn)(const struct partner_row *p, void *ctx), void *ctx,
                       struct tg_err *err);
/* Set status (active | disabled). Returns changed rows or -1. */
int64_t store_partner_set_status(struct store_conn *c, int64_t id, const char *status,
                                 struct tg_err *err);

/* Remember a nonce of a partner. Returns 1 stored (first use), 0 seen before (replay),
 * -1 error. */
int store_nonce_add(struct store_conn *c, int64_t partner_id, const char *nonce,
                    int64_t now, struct tg_err *err);
/* Forget up to limit nonces stored before `before` (unix seconds). Returns rows or -1. */
int64_t store_nonce_purge(struct store_conn *c, int64_t before, int limit,
                          struct tg_err *err);

#endif
