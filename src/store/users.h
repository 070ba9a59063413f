/* users: accounts and portal sessions. */
#ifndef TG_STORE_USERS_H
#define TG_STORE_USERS_H

#include <stdint.h>

#include "store/store.h"

struct user_row {
    int64_t id;
    char username[65];
    char email[255];
    char display_name[129];
    char role[8];    /* user | admin */
    char status[12]; /* active | suspended | deleted */
    char plan[8];
    char group[33];
    int email_verified;
    int64_t quota, used_quota, request_count;
    char password_hash[256];
    char created_at[32], last_login_at[32];
    int is_external;
    char external_user_id[101];
};

/* Create a user. password_hash may be NULL. Returns the id (> 0), or -1 (TG_ECONFLICT if
 * the username or e-mail is taken). */
int64_t store_user_create(struct store_conn *c, const char *username, const char *email,
                          const char *password_hash, const char *role, int64_t quota,
                          struct tg_err *err);
/* Find by username or (case-insensitive) e-mail. Returns 1 found, 0 none, -1 error. */
int store_user_by_login(struct store_conn *c, const char *login, struct user_row *u,
                        struct tg_err *err);
int store_user_by_id(struct store_conn *c, int64_t id, struct user_row *u,
                     struct tg_err *err);
int store_user_touch_login(struct store_conn *c, int64_t id, struct tg_err *err);
int store_user_set_password(struct store_conn *c, int64_t id, const char *hash,
                            struct tg_err *err);

/* Sessions: one row per refresh token; rotation marks the old row 'rotated'. */
int64_t store_session_create(struct store_conn *c, int64_t user_id, const char *family,
                             const unsigned char hash[32], int ttl_s, int remember,
                             const char *ip, const char *ua, struct tg_err *err);
struct session_row {
    int64_t id, user_id;
    char family[33];
    char state[10];
    int remember;
    int expired;
};
int store_session_by_hash(struct store_conn *c, const unsigned char hash[32],
                          struct session_row *s, struct tg_err *err);
/* Returns 1 when the session is active (not revoked, not expired), 0 otherwise. */
int store_session_active(struct store_conn *c, int64_t session_id, struct tg_err *err);
/* Mark one session rotated (only if active). Returns changed rows or -1. */
int64_t store_session_rotate(struct store_conn *c, int64_t id, struct tg_err *err);
int64_t store_session_revoke_family(struct store_conn *c, const char *family,
                                    struct tg_err *err);
int64_t store_session_revoke_user(struct store_conn *c, int64_t user_id,
                                  struct tg_err *err);
int64_t store_session_revoke(struct store_conn *c, int64_t id, struct tg_err *err);

/* Admin listing: users matching q (username/e-mail prefix, or "" for all), newest first.
 * Calls fn for each row. Returns the count or -1. */
int store_user_list(struct store_conn *c, const char *q, int limit, int offset,
                    void (*fn)(const struct user_row *u, void *ctx), void *ctx,
                    struct tg_err *err);

#endif
