/* password: argon2id hashing (libargon2) with bounded concurrency. */
#ifndef TG_PASSWORD_H
#define TG_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX_LEN 1024

/* Set how many hashes may run at once in this process (before threads start). */
void password_set_concurrency(int n);
/* Hash pw with argon2id t=2, m=19456 KiB, p=1, 16-byte salt, 32-byte tag. Returns a
 * malloc'd encoded string "$argon2id$v=19$m=19456,t=2,p=1$...", or NULL. */
char *password_hash(const char *pw);
/* 1 if pw matches encoded, 0 if not (also for a malformed hash), -1 on an internal error.
 * Takes the same time for a NULL encoded (unknown user): it checks a dummy hash. */
int password_verify(const char *encoded, const char *pw);

#endif
