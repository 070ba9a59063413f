/* jwt: HS256 JSON Web Tokens with the algorithm pinned (RFC 8725). */
#ifndef TG_JWT_H
#define TG_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/err.h"

struct jwt_claims {
    int64_t sub;   /* user id */
    char jti[40];  /* token id (hex), used to revoke with its session */
    char typ[16];  /* "at+jwt" for access tokens */
    char role[16]; /* "user" or "admin" */
    int64_t sid;   /* session id (0 = none) */
    time_t iat, nbf, exp;
};

/* Sign claims with issuer iss and audience aud. Returns a malloc'd token or NULL. */
char *jwt_sign(const struct jwt_claims *c, const char *iss, const char *aud,
               const unsigned char *key, size_t klen);
/* Verify: header must be {"alg":"HS256","typ":"JWT"} (anything else is refused before the
 * MAC is examined), MAC constant-time, iss/aud equal, typ equal to want_typ, exp > now -
 * 30, nbf <= now + 30. Returns 0 with *out filled, or -1 with err TG_EAUTH. */
int jwt_verify(const char *token, const char *iss, const char *aud, const char *want_typ,
               const unsigned char *key, size_t klen, time_t now, struct jwt_claims *out,
               struct tg_err *err);

#endif
