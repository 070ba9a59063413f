/* jwt: HS256 JSON Web Tokens with the algorithm pinned (RFC 8725). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/crypto.h"
#include "auth/jwt.h"
#include "util/str.h"

#define JWT_HEADER  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define JWT_LEEWAY  30   /* seconds of clock skew allowed on exp and nbf */
#define JWT_MAX_LEN 4096 /* our tokens are a few hundred bytes */
#define JWT_KEY_MIN 32   /* 256 bits (RFC 8725 section 3.5) */
#define JWT_SIG_B64 43   /* base64url of a 32-byte MAC */

/* The three segments of a compact token, borrowed from it. */
struct segments {
    const char *head, *body, *sig;
    size_t head_len, body_len, sig_len;
};

/* Claims as read from the payload; strings are borrowed from the JSON object. */
struct raw_claims {
    const char *iss, *aud, *sub, *jti, *typ, *role;
    json_int_t sid, iat, nbf, exp;
};

/* 1 if the fixed-size string field s is NUL-terminated within n bytes. */
static int field_ok(const char *s, size_t n)
{
    return strnlen(s, n) < n;
}

/* Encode "b64url(header).b64url(claims)" into a malloc'd buffer with room for the
 * signature. Returns NULL on failure. */
static char *signing_input(const char *claims, size_t *len)
{
    size_t hlen = strlen(JWT_HEADER), clen = strlen(claims);
    size_t cap = 4 * ((hlen + 2) / 3) + 1 + 4 * ((clen + 2) / 3) + 1 + JWT_SIG_B64 + 1;
    char *out = malloc(cap);
    size_t n;

    if (!out)
        return NULL;
    n = crypto_b64url_encode(JWT_HEADER, hlen, out);
    out[n++] = '.';
    n += crypto_b64url_encode(claims, clen, out + n);
    *len = n;
    return out;
}

/* The claims object of c, or NULL. New reference. */
static json_t *claims_json(const struct jwt_claims *c, const char *iss, const char *aud)
{
    char sub[24];

    if (c->sub <= 0 || c->sid < 0 || !field_ok(c->jti, sizeof(c->jti)) ||
        !field_ok(c->typ, sizeof(c->typ)) || !field_ok(c->role, sizeof(c->role)))
        return NULL;
    /* RFC 7519 wants sub as a string */
    snprintf(sub, sizeof(sub), "%" PRId64, c->sub);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "iss", iss,
                     "aud", aud, "sub", sub, "jti", c->jti, "typ", c->typ, "role",
                     c->role, "sid", (json_int_t)c->sid, "iat", (json_int_t)c->iat, "nbf",
                     (json_int_t)c->nbf, "exp", (json_int_t)c->exp);
}

char *jwt_sign(const struct jwt_claims *c, const char *iss, const char *aud,
               const unsigned char *key, size_t klen)
{
    unsigned char mac[32];
    json_t *obj;  /* new reference */
    char *claims; /* json_dumps text */
    char *out = NULL;
    size_t n = 0;

    if (!c || !iss || !aud || !key || klen < JWT_KEY_MIN)
        return NULL;
    obj = claims_json(c, iss, aud);
    claims = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!claims)
        return NULL;
    out = signing_input(claims, &n);
    free(claims);
    if (!out)
        return NULL;
    if (crypto_hmac_sha256(key, klen, out, n, mac) != 0) {
        free(out);
        return NULL;
    }
    out[n++] = '.';
    crypto_b64url_encode(mac, sizeof(mac), out + n);
    crypto_wipe(mac, sizeof(mac));
    return out;
}

/* Split token at its two dots. Returns 0 or -1. */
static int split(const char *token, struct segments *s)
{
    size_t len = strnlen(token, JWT_MAX_LEN + 1);
    const char *d1, *d2;

    if (len > JWT_MAX_LEN)
        return -1;
    d1 = memchr(token, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return -1;
    s->head = token;
    s->head_len = (size_t)(d1 - token);
    s->body = d1 + 1;
    s->body_len = (size_t)(d2 - s->body);
    s->sig = d2 + 1;
    s->sig_len = len - (size_t)(s->sig - token);
    return s->head_len && s->body_len && s->sig_len == JWT_SIG_B64 ? 0 : -1;
}

/* Decode a base64url JSON object segment. Returns a new reference or NULL. */
static json_t *segment_json(const char *seg, size_t len)
{
    unsigned char buf[3 * (JWT_MAX_LEN / 4) + 3];
    json_t *obj;
    long n = crypto_b64url_decode(seg, len, buf);

    if (n <= 0)
        return NULL;
    obj = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* 1 if the header is exactly {"alg":"HS256","typ":"JWT"} in any order and spacing. */
static int header_ok(const struct segments *s)
{
    json_t *h = segment_json(s->head, s->head_len); /* new reference */
    const char *alg, *typ;
    int ok;

    ok = h && json_object_size(h) == 2 &&
         json_unpack(h, "{s:s, s:s}", "alg", &alg, "typ", &typ) == 0 &&
         strcmp(alg, "HS256") == 0 && strcmp(typ, "JWT") == 0;
    json_decref(h);
    return ok;
}

/* 1 if the signature segment is the HMAC of "head.body" under key (constant-time). */
static int mac_ok(const struct segments *s, const unsigned char *key, size_t klen)
{
    unsigned char want[32], got[3 * (JWT_SIG_B64 / 4) + 3];
    int ok;

    if (crypto_b64url_decode(s->sig, s->sig_len, got) != 32 ||
        crypto_hmac_sha256(key, klen, s->head, s->head_len + 1 + s->body_len, want) != 0)
        return 0;
    ok = crypto_memeq(want, got, sizeof(want));
    crypto_wipe(want, sizeof(want));
    return ok;
}

/* Parse a positive decimal user id written as a string. Returns 0 or -1. */
static int parse_sub(const char *s, int64_t *out)
{
    size_t n = strnlen(s, 20);

    if (n == 0 || n > 19 || s[0] == '0')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    return str_to_i64(s, 1, INT64_MAX, out);
}

/* Check the verified claims and copy them into out. Returns 0 or -1 (err set). */
static int claims_check(json_t *obj, const char *iss, const char *aud,
                        const char *want_typ, time_t now, struct jwt_claims *out,
                        struct tg_err *err)
{
    struct raw_claims r;
    struct jwt_claims c = {0};

    if (json_unpack(obj, "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "iss",
                    &r.iss, "aud", &r.aud, "sub", &r.sub, "jti", &r.jti, "typ", &r.typ,
                    "role", &r.role, "sid", &r.sid, "iat", &r.iat, "nbf", &r.nbf, "exp",
                    &r.exp) != 0)
        return err_set(err, TG_EAUTH, "invalid token");
    if (strcmp(r.iss, iss) != 0 || strcmp(r.aud, aud) != 0 ||
        strcmp(r.typ, want_typ) != 0)
        return err_set(err, TG_EAUTH, "invalid token");
    if (parse_sub(r.sub, &c.sub) != 0 || r.sid < 0 ||
        str_copy(c.jti, sizeof(c.jti), r.jti) != 0 ||
        str_copy(c.typ, sizeof(c.typ), r.typ) != 0 ||
        str_copy(c.role, sizeof(c.role), r.role) != 0)
        return err_set(err, TG_EAUTH, "invalid token");
    if (r.exp <= (json_int_t)now - JWT_LEEWAY)
        return err_set(err, TG_EAUTH, "token expired");
    if (r.nbf > (json_int_t)now + JWT_LEEWAY)
        return err_set(err, TG_EAUTH, "token not yet valid");
    c.sid = r.sid;
    c.iat = (time_t)r.iat;
    c.nbf = (time_t)r.nbf;
    c.exp = (time_t)r.exp;
    *out = c;
    return 0;
}

int jwt_verify(const char *token, const char *iss, const char *aud, const char *want_typ,
               const unsigned char *key, size_t klen, time_t now, struct jwt_claims *out,
               struct tg_err *err)
{
    struct segments s;
    json_t *claims; /* new reference */
    int rc;

    if (!token || !iss || !aud || !want_typ || !key || klen < JWT_KEY_MIN || !out)
        return err_set(err, TG_EAUTH, "invalid token");
    /* the algorithm is ours to pick: refuse any other header before looking at the MAC */
    if (split(token, &s) != 0 || !header_ok(&s) || !mac_ok(&s, key, klen))
        return err_set(err, TG_EAUTH, "invalid token");
    claims = segment_json(s.body, s.body_len);
    if (!claims)
        return err_set(err, TG_EAUTH, "invalid token");
    rc = claims_check(claims, iss, aud, want_typ, now, out, err);
    json_decref(claims);
    return rc;
}
