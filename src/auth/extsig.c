/* extsig: HMAC-SHA256 signatures of partner (external user API) calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "auth/extsig.h"
#include "util/str.h"

#define KEY_ID_MAX    64
#define NONCE_MIN     16
#define NONCE_MAX     64
#define TIMESTAMP_MAX 12 /* digits: far beyond any real clock, far below overflow */

/* 1 if s holds no newline, so fields cannot shift inside the canonical string. */
static int one_line(const char *s)
{
    return strchr(s, '\n') == NULL;
}

char *extsig_canonical(const char *method, const char *path_query, const char *timestamp,
                       const char *nonce, const void *body, size_t body_len)
{
    char body_hex[65], *out;
    size_t cap;

    if (!method || !path_query || !timestamp || !nonce || (!body && body_len) ||
        !one_line(method) || !one_line(path_query) || !one_line(timestamp) ||
        !one_line(nonce))
        return NULL;
    crypto_sha256_hex(body, body_len, body_hex);
    cap =
        strlen(method) + strlen(path_query) + strlen(timestamp) + strlen(nonce) + 64 + 5;
    out = malloc(cap);
    if (!out)
        return NULL;
    snprintf(out, cap, "%s\n%s\n%s\n%s\n%s", method, path_query, timestamp, nonce,
             body_hex);
    return out;
}

int extsig_sign(const char *secret, size_t secret_len, const char *canonical,
                char out[65])
{
    unsigned char mac[32];

    if (!secret || !canonical ||
        crypto_hmac_sha256(secret, secret_len, canonical, strlen(canonical), mac) != 0)
        return -1;
    str_hex(mac, sizeof(mac), out);
    crypto_wipe(mac, sizeof(mac));
    return 0;
}

/* 1 if s is min..max characters, each accepted by ok(). */
static int all_chars(const char *s, size_t min, size_t max, int (*ok)(unsigned char))
{
    size_t n = strnlen(s, max + 1);

    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i]))
            return 0;
    return 1;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_lower_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int is_nonce_char(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '-';
}

static int is_key_id_char(unsigned char c)
{
    return c > ' ' && c < 0x7f;
}

int extsig_check_headers(const char *key_id, const char *timestamp, const char *nonce,
                         const char *signature, int64_t now, struct tg_err *err)
{
    int64_t ts;

    if (!key_id || !timestamp || !nonce || !signature)
        return err_set(err, TG_EAUTH, "missing signature headers");
    if (!all_chars(key_id, 1, KEY_ID_MAX, is_key_id_char))
        return err_set(err, TG_EAUTH, "invalid key id");
    if (!all_chars(timestamp, 1, TIMESTAMP_MAX, is_digit) ||
        str_to_i64(timestamp, 0, INT64_MAX, &ts) != 0)
        return err_set(err, TG_EAUTH, "invalid timestamp");
    /* both sides are far from overflow: ts < 10^12 and now is a real clock */
    if (now < 0 || now > INT64_MAX / 2 || ts > now + EXTSIG_SKEW ||
        ts < now - EXTSIG_SKEW)
        return err_set(err, TG_EAUTH, "timestamp outside the allowed window");
    if (!all_chars(nonce, NONCE_MIN, NONCE_MAX, is_nonce_char))
        return err_set(err, TG_EAUTH, "invalid nonce");
    if (!all_chars(signature, 64, 64, is_lower_hex))
        return err_set(err, TG_EAUTH, "invalid signature format");
    return 0;
}

int extsig_verify(const char *secret, size_t secret_len, const char *canonical,
                  const char *signature)
{
    char want[65];
    int eq;

    if (!signature || strnlen(signature, 65) != 64 ||
        extsig_sign(secret, secret_len, canonical, want) != 0)
        return 0;
    eq = crypto_memeq(want, signature, 64);
    crypto_wipe(want, sizeof(want));
    return eq;
}
