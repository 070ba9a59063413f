/* pow: signed registration challenges and their check. */
#include <stdio.h>
#include <string.h>

#include "api/pow.h"
#include "auth/crypto.h"
#include "util/str.h"

#define POW_DOMAIN "tollgate-pow-v1:"

/* MAC of the challenge's payload (all before the last '.'), base64url into out (44). */
static int pow_mac(const unsigned char *key, size_t klen, const char *payload, size_t n,
                   char out[44])
{
    char msg[POW_MAX_LEN + sizeof(POW_DOMAIN)];
    unsigned char mac[32];

    if (n >= POW_MAX_LEN)
        return -1;
    memcpy(msg, POW_DOMAIN, sizeof(POW_DOMAIN) - 1);
    memcpy(msg + sizeof(POW_DOMAIN) - 1, payload, n);
    if (crypto_hmac_sha256(key, klen, msg, sizeof(POW_DOMAIN) - 1 + n, mac) != 0)
        return -1;
    crypto_b64url_encode(mac, sizeof(mac), out);
    return 0;
}

int pow_challenge(const unsigned char *key, size_t klen, int bits, int64_t now_s,
                  char out[POW_MAX_LEN])
{
    unsigned char rnd[16];
    char hex[33], mac[44];
    int n;

    if (bits < 0 || bits > 32 || crypto_random(rnd, sizeof(rnd)) != 0)
        return -1;
    str_hex(rnd, sizeof(rnd), hex);
    n = snprintf(out, POW_MAX_LEN, "v1.%lld.%d.%s", (long long)(now_s + POW_TTL_S), bits,
                 hex);
    if (n < 0 || n + 45 >= POW_MAX_LEN || pow_mac(key, klen, out, (size_t)n, mac) != 0)
        return -1;
    snprintf(out + n, (size_t)(POW_MAX_LEN - n), ".%s", mac);
    return 0;
}

int pow_zero_bits(const unsigned char h[32])
{
    int bits = 0;

    for (int i = 0; i < 32; i++) {
        if (h[i] == 0) {
            bits += 8;
            continue;
        }
        for (unsigned char m = 0x80; m && !(h[i] & m); m >>= 1)
            bits++;
        break;
    }
    return bits;
}

/* Parse "v1.<expiry>.<bits>.<hex>" into its numbers. Returns 0 or -1. */
static int parse_payload(const char *s, size_t n, int64_t *expiry, int64_t *bits)
{
    char buf[POW_MAX_LEN], *save = NULL, *ver, *exp, *b, *rnd;

    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    ver = strtok_r(buf, ".", &save);
    exp = strtok_r(NULL, ".", &save);
    b = strtok_r(NULL, ".", &save);
    rnd = strtok_r(NULL, ".", &save);
    if (!ver || !exp || !b || !rnd || strtok_r(NULL, ".", &save) ||
        strcmp(ver, "v1") != 0 || strlen(rnd) != 32)
        return -1;
    return str_to_i64(exp, 0, INT64_MAX / 2, expiry) || str_to_i64(b, 0, 32, bits) ? -1
                                                                                   : 0;
}

static int nonce_ok(const char *nonce)
{
    size_t n = strlen(nonce);

    if (n == 0 || n > POW_NONCE_MAX)
        return 0;
    for (const char *p = nonce; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

int pow_verify(const unsigned char *key, size_t klen, const char *challenge,
               const char *nonce, int min_bits, int64_t now_s, char digest_hex[65],
               struct tg_err *err)
{
    size_t n = strlen(challenge);
    const char *dot = strrchr(challenge, '.');
    char mac[44], joined[POW_MAX_LEN + POW_NONCE_MAX + 1];
    unsigned char h[32];
    int64_t expiry, bits;

    if (n >= POW_MAX_LEN || !dot ||
        parse_payload(challenge, (size_t)(dot - challenge), &expiry, &bits) != 0 ||
        pow_mac(key, klen, challenge, (size_t)(dot - challenge), mac) != 0 ||
        strlen(dot + 1) != strlen(mac) || !crypto_memeq(dot + 1, mac, strlen(mac)))
        return err_set_field(err, TG_EINVAL, "challenge",
                             "challenge is not valid; get a "
                             "new one from /api/client/auth/challenge");
    if (expiry < now_s)
        return err_set_field(err, TG_EINVAL, "challenge",
                             "challenge expired; get a new one");
    if (bits < min_bits)
        return err_set_field(err, TG_EINVAL, "challenge",
                             "challenge is too easy; get a new one");
    if (!nonce_ok(nonce))
        return err_set_field(err, TG_EINVAL, "nonce",
                             "nonce must be 1 to %d printable characters", POW_NONCE_MAX);
    snprintf(joined, sizeof(joined), "%s%s", challenge, nonce);
    crypto_sha256(joined, strlen(joined), h);
    if (pow_zero_bits(h) < bits)
        return err_set_field(err, TG_EINVAL, "nonce",
                             "nonce does not solve the challenge");
    crypto_sha256_hex(challenge, n, digest_hex);
    return 0;
}
