/* fuzz_jwt: libFuzzer target for the JWT verifier. The input is a token. A refusal must
 * be TG_EAUTH with one of the fixed messages; an acceptance must be a token whose HS256
 * MAC under the key really covers its first two segments, whose header names HS256, and
 * whose claims survive signing and verifying again. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/crypto.h"
#include "auth/jwt.h"

#define NOW     1800000000
#define TOK_MAX 8192 /* twice the verifier's cap, so over-long tokens are tried too */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[] = "0123456789abcdef0123456789abcdef-fuzz";
#define KEY_LEN (sizeof(key) - 1)

static int verify(const char *tok, struct jwt_claims *cl, struct tg_err *err)
{
    return jwt_verify(tok, "tollgate", "aud", "at+jwt", key, KEY_LEN, NOW, cl, err);
}

/* 1 if tok is "h.p.s" with s the base64url HMAC-SHA256 of "h.p" and h an HS256 header,
 * checked here without the verifier's code paths. */
static int really_signed(const char *tok)
{
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    unsigned char mac[32], head[TOK_MAX];
    char want[48];
    json_t *h;
    long n;
    int ok;

    if (!d2 || strchr(d2 + 1, '.'))
        return 0;
    if (crypto_hmac_sha256(key, KEY_LEN, tok, (size_t)(d2 - tok), mac) != 0)
        return 0;
    crypto_b64url_encode(mac, sizeof(mac), want);
    if (strcmp(want, d2 + 1) != 0)
        return 0;
    n = crypto_b64url_decode(tok, (size_t)(d1 - tok), head);
    if (n <= 0)
        return 0;
    h = json_loadb((const char *)head, (size_t)n, 0, NULL);
    ok = h && json_is_string(json_object_get(h, "alg")) &&
         strcmp(json_string_value(json_object_get(h, "alg")), "HS256") == 0;
    json_decref(h);
    return ok;
}

static void check_refusal(const struct tg_err *err)
{
    assert(err->code == TG_EAUTH);
    assert(strcmp(err->msg, "invalid token") == 0 ||
           strcmp(err->msg, "token expired") == 0 ||
           strcmp(err->msg, "token not yet valid") == 0);
}

/* An accepted token: check it independently and round-trip its claims. */
static void check_accepted(const char *tok, const struct jwt_claims *cl)
{
    struct jwt_claims again;
    struct tg_err err = {0};
    char *resigned;

    assert(really_signed(tok));
    assert(cl->sub > 0 && cl->sid >= 0);
    assert(strcmp(cl->typ, "at+jwt") == 0);
    assert(cl->exp > NOW - 30 && cl->nbf <= NOW + 30);
    resigned = jwt_sign(cl, "tollgate", "aud", key, KEY_LEN);
    assert(resigned);
    assert(verify(resigned, &again, &err) == 0);
    assert(again.sub == cl->sub && again.sid == cl->sid && again.iat == cl->iat &&
           again.nbf == cl->nbf && again.exp == cl->exp);
    assert(strcmp(again.jti, cl->jti) == 0 && strcmp(again.role, cl->role) == 0);
    free(resigned);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char tok[TOK_MAX];
    struct jwt_claims cl;
    struct tg_err err = {0};
    int rc;

    if (size >= sizeof(tok))
        size = sizeof(tok) - 1;
    memcpy(tok, data, size);
    tok[size] = '\0';
    rc = verify(tok, &cl, &err);
    assert(rc == 0 || rc == -1);
    if (rc == 0)
        check_accepted(tok, &cl);
    else
        check_refusal(&err);
    return 0;
}
