/* crypto: the only user of OpenSSL. Hashes, MACs, randomness, base64, AES-256-GCM. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/crypto.h"
#include "util/str.h"

#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN   16
#define SEAL_KID_MAX   31
#define SEAL_MAX_PT    (1u << 24) /* sealed values are keys and secrets, not bulk data */
#define SEAL_VERSION   "v1:"

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int crypto_random(void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;

        if (RAND_bytes(p, chunk) != 1)
            return -1;
        p += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

/* Per-thread buffer of RAND_bytes output: one RAND_bytes call (and its locking) per
 * 1 KiB instead of per id. The bytes are the same CSPRNG output, only fetched ahead. */
#define ID_POOL 1024

int crypto_random_ids(void *buf, size_t n)
{
    static __thread unsigned char pool[ID_POOL];
    static __thread size_t left;

    if (n > ID_POOL / 4)
        return crypto_random(buf, n);
    if (left < n) {
        if (crypto_random(pool, sizeof(pool)) != 0)
            return -1;
        left = sizeof(pool);
    }
    memcpy(buf, pool + sizeof(pool) - left, n);
    left -= n;
    return 0;
}

/* SHA-256 fetched from the provider once: EVP_sha256() makes every EVP_Digest look the
 * algorithm up again (a locked search), which showed in profiles of the key check. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void crypto_sha256(const void *data, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    const EVP_MD *md;

    pthread_once(&sha256_once, sha256_fetch);
    md = sha256_md ? sha256_md : EVP_sha256();
    /* cannot fail short of a broken library; even then, never leave out undefined */
    if (EVP_Digest(n ? data : "", n, out, &len, md, NULL) != 1 || len != 32)
        memset(out, 0, 32);
}

void crypto_sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];

    crypto_sha256(data, n, md);
    str_hex(md, sizeof(md), out);
}

int crypto_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                       unsigned char out[32])
{
    unsigned int len = 0;

    if (klen > INT_MAX)
        return -1;
    /* HMAC() wants non-NULL pointers even for empty inputs */
    if (!HMAC(EVP_sha256(), klen ? key : "", (int)klen, n ? data : (const void *)"", n,
              out, &len) ||
        len != 32)
        return -1;
    return 0;
}

int crypto_memeq(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void crypto_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

/* Encode n bytes with alphabet; pad with '=' if pad. Returns the length written. */
static size_t b64_encode(const unsigned char *in, size_t n, char *out, const char *alpha,
                         int pad)
{
    size_t o = 0, i = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned long v =
            (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        out[o++] = alpha[v >> 6 & 63];
        out[o++] = alpha[v & 63];
    }
    if (n - i == 1) {
        out[o++] = alpha[in[i] >> 2];
        out[o++] = alpha[(in[i] & 3) << 4];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        unsigned long v = (unsigned long)in[i] << 8 | in[i + 1];

        out[o++] = alpha[v >> 10 & 63];
        out[o++] = alpha[v >> 4 & 63];
        out[o++] = alpha[(v & 15) << 2];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* Value of one base64 character in the url or standard alphabet, or -1. */
static int b64_value(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

/* Decode len characters without padding. Rejects stray characters, an impossible length
 * and non-zero trailing bits, so each byte string has exactly one encoding. */
static long b64_decode_bare(const char *in, size_t len, unsigned char *out, int url)
{
    unsigned long acc = 0;
    size_t o = 0;
    int bits = 0;

    if (len % 4 == 1 || len / 4 > (size_t)LONG_MAX / 3 - 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)in[i], url);

        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0)
        return -1;
    return (long)o;
}

size_t crypto_b64url_encode(const void *in, size_t n, char *out)
{
    return b64_encode(in, n, out, b64_url, 0);
}

long crypto_b64url_decode(const char *in, size_t len, unsigned char *out)
{
    return b64_decode_bare(in, len, out, 1);
}

size_t crypto_b64_encode(const void *in, size_t n, char *out)
{
    return b64_encode(in, n, out, b64_std, 1);
}

long crypto_b64_decode(const char *in, size_t len, unsigned char *out)
{
    size_t pad = 0;

    if (len % 4 != 0)
        return -1;
    while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
        pad++;
    return b64_decode_bare(in, len - pad, out, 0);
}

/* 1 if kid can be stored in a sealed string: 1-31 printable characters, no ':'. */
static int kid_ok(const char *kid)
{
    size_t n = kid ? strnlen(kid, SEAL_KID_MAX + 1) : 0;

    if (n == 0 || n > SEAL_KID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (kid[i] <= ' ' || kid[i] > '~' || kid[i] == ':')
            return 0;
    return 1;
}

/* Encrypt pt into ct (n bytes) and tag. Returns 0 or -1. */
static int gcm_encrypt(const unsigned char key[32], const unsigned char nonce[12],
                       const char *aad, const void *pt, size_t n, unsigned char *ct,
                       unsigned char tag[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok;

    ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) == 1 &&
         EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
         EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
                           (int)strlen(aad)) == 1 &&
         (n == 0 || EVP_EncryptUpdate(ctx, ct, &len, pt, (int)n) == 1) &&
         EVP_EncryptFinal_ex(ctx, ct + (n ? (size_t)len : 0), &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* Decrypt ct (n bytes) into pt and check the tag. Returns 0, or -1 on any mismatch. */
static int gcm_decrypt(const unsigned char key[32], const unsigned char nonce[12],
                       const char *aad, const unsigned char *ct, size_t n,
                       unsigned char *pt, unsigned char tag[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok;

    ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) == 1 &&
         EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
         EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
                           (int)strlen(aad)) == 1 &&
         (n == 0 || EVP_DecryptUpdate(ctx, pt, &len, ct, (int)n) == 1) &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) == 1 &&
         EVP_DecryptFinal_ex(ctx, pt + (n ? (size_t)len : 0), &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

char *crypto_seal(const unsigned char key[32], const char *kid, const char *aad,
                  const void *pt, size_t n)
{
    unsigned char nonce[SEAL_NONCE_LEN], tag[SEAL_TAG_LEN], *ct = NULL;
    char *out = NULL, *p;
    size_t cap;

    if (!key || !kid_ok(kid) || (!pt && n) || n > SEAL_MAX_PT ||
        (aad && strlen(aad) > INT_MAX))
        return NULL;
    ct = malloc(n ? n : 1);
    if (!ct || crypto_random(nonce, sizeof(nonce)) != 0 ||
        gcm_encrypt(key, nonce, aad ? aad : "", pt, n, ct, tag) != 0)
        goto out;
    /* "v1:" kid ":" nonce(16) ":" ct ":" tag(24) NUL */
    cap =
        strlen(SEAL_VERSION) + strlen(kid) + 1 + 16 + 1 + 4 * ((n + 2) / 3) + 1 + 24 + 1;
    out = malloc(cap);
    if (!out)
        goto out;
    p = out + snprintf(out, cap, SEAL_VERSION "%s:", kid);
    p += crypto_b64_encode(nonce, sizeof(nonce), p);
    *p++ = ':';
    p += crypto_b64_encode(ct, n, p);
    *p++ = ':';
    crypto_b64_encode(tag, sizeof(tag), p);
out:
    free(ct);
    return out;
}

/* The fields of a sealed string, borrowed from it. */
struct sealed {
    const char *kid, *nonce, *ct, *tag;
    size_t kid_len, nonce_len, ct_len, tag_len;
};

/* Split "v1:<kid>:<nonce>:<ct>:<tag>". Returns 0 or -1. */
static int sealed_split(const char *s, struct sealed *f)
{
    const char *c1, *c2, *c3, *c4;

    if (!s || strncmp(s, SEAL_VERSION, strlen(SEAL_VERSION)) != 0)
        return -1;
    f->kid = s + strlen(SEAL_VERSION);
    c1 = strchr(f->kid, ':');
    c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    c3 = c2 ? strchr(c2 + 1, ':') : NULL;
    if (!c3)
        return -1;
    c4 = strchr(c3 + 1, ':');
    if (c4)
        return -1;
    f->kid_len = (size_t)(c1 - f->kid);
    f->nonce = c1 + 1;
    f->nonce_len = (size_t)(c2 - f->nonce);
    f->ct = c2 + 1;
    f->ct_len = (size_t)(c3 - f->ct);
    f->tag = c3 + 1;
    f->tag_len = strlen(f->tag);
    if (f->kid_len == 0 || f->kid_len > SEAL_KID_MAX || f->nonce_len != 16 ||
        f->tag_len != 24 || f->ct_len > 4 * ((SEAL_MAX_PT + 2) / 3))
        return -1;
    return 0;
}

char *crypto_open(const unsigned char key[32], const char *stored, const char *aad,
                  size_t *n_out)
{
    struct sealed f;
    unsigned char nonce[18], tag[18], *ct = NULL;
    char *pt = NULL;
    long ct_len;

    if (!key || sealed_split(stored, &f) != 0 || (aad && strlen(aad) > INT_MAX))
        return NULL;
    if (crypto_b64_decode(f.nonce, f.nonce_len, nonce) != SEAL_NONCE_LEN ||
        crypto_b64_decode(f.tag, f.tag_len, tag) != SEAL_TAG_LEN)
        return NULL;
    ct = malloc(3 * (f.ct_len / 4) + 3);
    if (!ct)
        return NULL;
    ct_len = crypto_b64_decode(f.ct, f.ct_len, ct);
    if (ct_len < 0)
        goto out;
    pt = malloc((size_t)ct_len + 1);
    if (!pt)
        goto out;
    if (gcm_decrypt(key, nonce, aad ? aad : "", ct, (size_t)ct_len, (unsigned char *)pt,
                    tag) != 0) {
        crypto_wipe(pt, (size_t)ct_len + 1);
        free(pt);
        pt = NULL;
        goto out;
    }
    pt[ct_len] = '\0';
    if (n_out)
        *n_out = (size_t)ct_len;
out:
    free(ct);
    return pt;
}

int crypto_sealed_kid(const char *stored, char *out, size_t cap)
{
    struct sealed f;

    if (!out || sealed_split(stored, &f) != 0 || f.kid_len >= cap)
        return -1;
    memcpy(out, f.kid, f.kid_len);
    out[f.kid_len] = '\0';
    return 0;
}

void crypto_free_secret(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

uint32_t crypto_crc32(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t crc = 0xffffffffu;

    /* bitwise, reflected polynomial 0xEDB88320: keys are short, a table buys nothing */
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
