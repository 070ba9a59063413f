/* extsig: HMAC-SHA256 signatures of partner (external user API) calls. */
#ifndef TG_EXTSIG_H
#define TG_EXTSIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define EXTSIG_SKEW 300 /* seconds either way */

/* The signed string: METHOD "\n" path_query "\n" timestamp "\n" nonce "\n"
 * hex(SHA-256(body)). Returns a malloc'd string or NULL. */
char *extsig_canonical(const char *method, const char *path_query, const char *timestamp,
                       const char *nonce, const void *body, size_t body_len);
/* Lowercase hex HMAC-SHA256(secret, canonical) into out (65 bytes). Returns 0 or -1. */
int extsig_sign(const char *secret, size_t secret_len, const char *canonical,
                char out[65]);
/* Check the header values (before any body parsing): timestamp is unix seconds within
 * EXTSIG_SKEW of now, nonce 16-64 chars of [A-Za-z0-9_-], signature 64 lowercase hex
 * chars. Returns 0 or -1 with err TG_EAUTH (reason safe to show). */
int extsig_check_headers(const char *key_id, const char *timestamp, const char *nonce,
                         const char *signature, int64_t now, struct tg_err *err);
/* 1 if signature matches (constant-time), 0 if not. */
int extsig_verify(const char *secret, size_t secret_len, const char *canonical,
                  const char *signature);

#endif
