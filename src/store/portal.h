/* portal: the rows behind self-service accounts: registration, e-mail tokens, login
 * events, profiles, account deletion, plans, key updates, proof-of-work and audit rows.
 * Every statement on a user's objects filters by that user's id. */
#ifndef TG_STORE_PORTAL_H
#define TG_STORE_PORTAL_H

#include <stdint.h>

#include "store/store.h"

/* Whether username and e-mail are taken (case-insensitively). Returns 0 or -1. */
int store_portal_taken(struct store_conn *c, const char *username, const char *email,
                       int *username_taken, int *email_taken, struct tg_err *err);
/* Create a self-registered user (plan free, e-mail unverified) with quota, and a ledger
 * grant row for that quota when it is > 0. Call inside a transaction. Returns the id or
 * -1 (TG_ECONFLICT when the username or e-mail is taken). */
int64_t store_portal_register(struct store_conn *c, const char *username,
                              const char *email, const char *display_name,
                              const char *password_hash, int64_t quota,
                              struct tg_err *err);
int store_portal_set_verified(struct store_conn *c, int64_t user_id, struct tg_err *err);

/* The user's settings JSON text (malloc'd, "{}" when unset) in *out. Returns 1, 0 (no
 * such user), -1. */
int store_portal_settings(struct store_conn *c, int64_t user_id, char **out,
                          struct tg_err *err);
/* Change profile fields of an active user; fields not set are left alone. Returns
 * changed rows or -1 (TG_ECONFLICT when the username is taken). */
struct profile_update {
    int set_display_name;
    const char *display_name; /* NULL clears it */
    const char *username;     /* NULL = unchanged */
    const char *settings;     /* JSON text; NULL = unchanged */
};
int64_t store_portal_profile_update(struct store_conn *c, int64_t user_id,
                                    const struct profile_update *u, struct tg_err *err);
/* Delete an account: status deleted, personal data scrubbed, keys revoked, sessions
 * ended, e-mail tokens and login events removed; usage and money rows stay. Call inside a
 * transaction. Returns changed user rows (1) or 0 if already deleted, -1 on error. */
int64_t store_portal_scrub(struct store_conn *c, int64_t user_id, struct tg_err *err);

/* Admin: set status (active | suspended) of a user that is not deleted. Returns changed
 * rows or -1. */
int64_t store_portal_set_status(struct store_conn *c, int64_t user_id, const char *status,
                                struct tg_err *err);
/* Admin: set the plan, and bring the user's live keys within its ceilings (a limit of 0,
 * unlimited, becomes the ceiling). Call inside a transaction. Returns changed user rows
 * or -1. */
int64_t store_portal_set_plan(struct store_conn *c, int64_t user_id, const char *plan,
                              int rpm, int rpd, int tpm, int conc, struct tg_err *err);

/* E-mail tokens (purpose "verify" or "reset"), stored as SHA-256, single use. Creating
 * one voids the user's earlier unused tokens of that purpose. Returns 0 or -1. */
int store_email_token_create(struct store_conn *c, int64_t user_id, const char *purpose,
                             const unsigned char hash[32], int ttl_s, struct tg_err *err);
/* The owner of a live token, without using it. Returns 1, 0 (unknown, used or expired),
 * -1. */
int store_email_token_peek(struct store_conn *c, const unsigned char hash[32],
                           const char *purpose, int64_t *user_id, struct tg_err *err);
/* Use a live token (only one caller can). Returns 1 with *user_id, 0, -1. */
int store_email_token_use(struct store_conn *c, const unsigned char hash[32],
                          const char *purpose, int64_t *user_id, struct tg_err *err);

/* One login attempt (user_id 0 when unknown). Returns 0 or -1. */
int store_login_event(struct store_conn *c, int64_t user_id, const char *login, int ok,
                      const char *ip, const char *user_agent, struct tg_err *err);

/* Record a solved registration challenge (hex digest) as used; old records are purged.
 * Returns 1 first use, 0 already used, -1 error. */
int store_pow_use(struct store_conn *c, const char *digest_hex, int64_t now_s,
                  int64_t keep_s, struct tg_err *err);

/* Live (not revoked) keys of a user, with the user's row locked until the transaction
 * ends (so concurrent creates cannot pass the plan's key count). Returns 0 or -1. */
int store_portal_key_count_locked(struct store_conn *c, int64_t user_id, int64_t *n,
                                  struct tg_err *err);
/* Partial update of a key the user owns (not revoked). A set_* flag of 0 leaves that
 * field. Returns changed rows or -1. */
struct key_update {
    int set_name, set_description, set_services, set_models, set_ip_allow;
    const char *name, *description, *services, *models, *ip_allow; /* NULL = SQL NULL */
    int set_quota_limit;
    int64_t quota_limit; /* < 0 = unlimited */
    int set_rpm, set_rpd, set_tpm, set_conc, set_expires;
    int rpm, rpd, tpm, conc, expires_days;
    const char *status; /* "active" | "suspended", NULL = unchanged */
};
int64_t store_portal_key_update(struct store_conn *c, int64_t id, int64_t user_id,
                                const struct key_update *u, struct tg_err *err);

/* An audit row (actor 0 = none; detail is JSON text or NULL). Returns 0 or -1. */
int store_audit(struct store_conn *c, int64_t actor_user_id, const char *action,
                const char *target_type, int64_t target_id, const char *detail,
                const char *ip, struct tg_err *err);

#endif
