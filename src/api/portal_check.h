/* portal_check: validation of what users type into the portal: e-mail addresses, user
 * names, passwords and display names. Each returns 0, or -1 with err TG_EINVAL naming the
 * field. */
#ifndef TG_PORTAL_CHECK_H
#define TG_PORTAL_CHECK_H

#include <stddef.h>

#include "util/err.h"

#define PORTAL_PASSWORD_MIN 8

/* An address of the form local@domain.tld (local part in RFC 5322 atoms and dots), at
 * most 254 bytes. The lowercase form goes to out (cap >= 255). */
int portal_check_email(const char *email, char *out, size_t cap, struct tg_err *err);
/* 3 to 32 of [A-Za-z0-9_.-], starting with a letter or digit, not all digits, not a
 * reserved name. */
int portal_check_username(const char *username, struct tg_err *err);
/* 8 to 1024 bytes, at least 4 different characters, not a common password, and not
 * containing the username or the e-mail's local part (either may be NULL). */
int portal_check_password(const char *pw, const char *username, const char *email,
                          struct tg_err *err);
/* At most 128 characters of valid UTF-8 without control characters. */
int portal_check_display_name(const char *name, struct tg_err *err);

#endif
