/* keys: API key rows. The secret itself is never stored: only its SHA-256. */
#ifndef TG_STORE_KEYS_H
#define TG_STORE_KEYS_H

#include <stdint.h>

#include "store/store.h"

struct key_row {
    int64_t id, user_id;
    char name[129];
    char description[513];
    char prefix[17]; /* first APIKEY_SHOWN characters of the secret */
    char last4[5];
    char status[12];     /* active | suspended | revoked */
    char services[65];   /* comma list: claude,codex,openai */
    char models[2048];   /* comma list; "" = any model */
    char ip_allow[1024]; /* comma list of CIDRs; "" = any address */
    int64_t quota_limit; /* -1 = unlimited */
    int64_t quota_used;
    int rpm, rpd, tpm, max_concurrency; /* 0 = no limit */
    int64_t expires_at;                 /* unix seconds; 0 = never */
    int64_t request_count;
    char last_used_at[32], created_at[32]; /* ISO 8601 or "" */
};

/* What authentication needs: the key plus its owner's state. */
struct apikey_info {
    struct key_row key;
    char user_status[12];
    char user_group[33];
    int64_t user_quota;
};

struct key_new {
    int64_t user_id;
    const char *name, *description;
    const char *services; /* NULL = all */
    const char *models;   /* NULL = any */
    const char *ip_allow; /* NULL = any */
    int64_t quota_limit;  /* -1 = unlimited */
    int rpm, rpd, tpm, max_concurrency;
    int expires_days;            /* 0 = never; default callers pass 365 */
    const char *idempotency_key; /* NULL = none */
};

/* Insert a key whose secret hashes to hash. Returns the id or -1 (TG_ECONFLICT when the
 * (user, idempotency_key) pair exists). */
int64_t store_key_create(struct store_conn *c, const struct key_new *k,
                         const unsigned char hash[32], const char *prefix,
                         const char *last4, struct tg_err *err);
/* The key with this digest and its owner. Returns 1, 0 (none), -1. */
int store_key_by_hash(struct store_conn *c, const unsigned char hash[32],
                      struct apikey_info *out, struct tg_err *err);
/* A key by id; user_id > 0 restricts to that owner. Returns 1, 0, -1. */
int store_key_get(struct store_conn *c, int64_t id, int64_t user_id, struct key_row *out,
                  struct tg_err *err);
/* A key by (user, idempotency key). Returns 1, 0, -1. */
int store_key_by_idem(struct store_conn *c, int64_t user_id, const char *idem,
                      struct key_row *out, struct tg_err *err);
/* List a user's keys (user_id 0 = all users, for admins), newest first. Returns the count
 * or -1. */
int store_key_list(struct store_conn *c, int64_t user_id, int limit, int offset,
                   void (*fn)(const struct key_row *k, void *ctx), void *ctx,
                   struct tg_err *err);
/* Change status (user_id > 0 restricts to the owner). Returns changed rows or -1. */
int64_t store_key_set_status(struct store_conn *c, int64_t id, int64_t user_id,
                             const char *status, struct tg_err *err);
/* Replace the secret (regenerate). Returns changed rows or -1. */
int64_t store_key_set_secret(struct store_conn *c, int64_t id, int64_t user_id,
                             const unsigned char hash[32], const char *prefix,
                             const char *last4, struct tg_err *err);
/* Revoke every key of a user. Returns changed rows or -1. */
int64_t store_key_revoke_user(struct store_conn *c, int64_t user_id, struct tg_err *err);

#endif
