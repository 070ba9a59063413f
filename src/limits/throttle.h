/* throttle: failure counters per account and per client address (login, password reset
 * mail), so guessing passwords or flooding mail gets 429 + Retry-After. */
#ifndef TG_THROTTLE_H
#define TG_THROTTLE_H

#include <stddef.h>

#include "store/store.h"

/* What is counted: a login name (case-folded), the client address, a mail recipient. */
enum throttle_kind { THROTTLE_ACCOUNT, THROTTLE_IP, THROTTLE_MAIL };

/* Write the table subject for kind and value into out ("acct:alice"); values are
 * case-folded and cut to fit. */
void throttle_subject(enum throttle_kind kind, const char *value, char *out, size_t cap);

/* Refuse when the account or the address is blocked: returns 0 if neither is (either may
 * be NULL), or -1 with err TG_ELIMIT and err->retry_after set (or a database error). */
int throttle_login_check(struct store_conn *c, const char *login, const char *ip,
                         struct tg_err *err);
/* Count a failed login against both. Returns 0 or -1. */
int throttle_login_failed(struct store_conn *c, const char *login, const char *ip,
                          struct tg_err *err);
/* A good login clears the account's failures (not the address's). Returns 0 or -1. */
int throttle_login_ok(struct store_conn *c, const char *login, struct tg_err *err);
/* Count one mail to address; returns 1 if it may be sent now, 0 if the address had its
 * share this hour, -1 on a database error. */
int throttle_mail_allow(struct store_conn *c, const char *address, struct tg_err *err);

#endif
