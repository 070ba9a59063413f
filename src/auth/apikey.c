/* apikey: API key format (tg_ + 43 base62 + 6 base62 CRC32), digest, header parsing. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "auth/apikey.h"
#include "auth/crypto.h"

#define BODY_LEN   43 /* base62 digits of a 256-bit number */
#define CRC_LEN    6  /* base62 digits of a 32-bit number */
#define PREFIX_LEN 3
#define CRC_INPUT  (PREFIX_LEN + BODY_LEN)

/* Digits in ASCII order, so comparing two equal-length digit strings with memcmp compares
 * their values. */
static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* 2^256 - 1 in base62: the largest body a 32-byte secret can produce. */
static const char body_max[] = "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1";

/* Value of a base62 digit, or -1. */
static int b62_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 36;
    return -1;
}

/* Write the big-endian number num (n bytes, destroyed) as exactly `digits` base62
 * characters, most significant first, left-padded with '0'. */
static void b62_encode(unsigned char *num, size_t n, char *out, size_t digits)
{
    for (size_t d = digits; d-- > 0;) {
        unsigned rem = 0;

        /* long division of num by 62; the remainder is the next lowest digit */
        for (size_t i = 0; i < n; i++) {
            unsigned cur = rem << 8 | num[i];

            num[i] = (unsigned char)(cur / 62);
            rem = cur % 62;
        }
        out[d] = b62[rem];
    }
}

/* The 6-character checksum of the first CRC_INPUT characters of key. */
static void checksum(const char *key, char out[CRC_LEN])
{
    uint32_t crc = crypto_crc32(key, CRC_INPUT);
    unsigned char num[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
                            (unsigned char)(crc >> 8), (unsigned char)crc};

    b62_encode(num, sizeof(num), out, CRC_LEN);
}

int apikey_generate(char out[APIKEY_LEN + 1])
{
    unsigned char secret[32];

    if (crypto_random(secret, sizeof(secret)) != 0)
        return -1;
    memcpy(out, APIKEY_PREFIX, PREFIX_LEN);
    b62_encode(secret, sizeof(secret), out + PREFIX_LEN, BODY_LEN);
    crypto_wipe(secret, sizeof(secret));
    checksum(out, out + CRC_INPUT);
    out[APIKEY_LEN] = '\0';
    return 0;
}

int apikey_well_formed(const char *key)
{
    char sum[CRC_LEN];

    if (!key || strnlen(key, APIKEY_LEN + 1) != APIKEY_LEN ||
        memcmp(key, APIKEY_PREFIX, PREFIX_LEN) != 0)
        return 0;
    for (size_t i = PREFIX_LEN; i < APIKEY_LEN; i++)
        if (b62_value((unsigned char)key[i]) < 0)
            return 0;
    if (memcmp(key + PREFIX_LEN, body_max, BODY_LEN) > 0)
        return 0;
    checksum(key, sum);
    return memcmp(sum, key + CRC_INPUT, CRC_LEN) == 0;
}

void apikey_digest(const char *key, unsigned char out[32])
{
    crypto_sha256(key, strlen(key), out);
}

/* Trim spaces and tabs from both ends of s; *len gets the remaining length. */
static const char *trim(const char *s, size_t *len)
{
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    return s;
}

/* Copy a trimmed token of n bytes into out. Returns 1, or -1 if empty, too long or not
 * plain visible ASCII. */
static int take_token(const char *tok, size_t n, char *out, size_t cap)
{
    if (n == 0 || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)tok[i] <= ' ' || (unsigned char)tok[i] >= 0x7f)
            return -1;
    memcpy(out, tok, n);
    out[n] = '\0';
    return 1;
}

int apikey_from_headers(const char *authorization, const char *x_api_key, char *out,
                        size_t cap)
{
    const char *tok;
    size_t n;
    int empty_bearer = 0;

    if (!out || cap == 0)
        return -1;
    out[0] = '\0';
    if (authorization) {
        tok = trim(authorization, &n);
        /* another scheme (Basic, ...) carries no key: x-api-key may still have one */
        if (n >= 6 && strncasecmp(tok, "Bearer", 6) == 0 && (n == 6 || tok[6] == ' ')) {
            tok = trim(tok + 6, &n);
            if (n > 0)
                return take_token(tok, n, out, cap);
            empty_bearer = 1;
        }
    }
    if (x_api_key) {
        tok = trim(x_api_key, &n);
        return take_token(tok, n, out, cap);
    }
    return empty_bearer ? -1 : 0;
}
