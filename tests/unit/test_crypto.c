/* Unit tests for auth/crypto, auth/apikey and auth/extsig: vectors and refusals. */
#include <stdlib.h>
#include <string.h>

#include "auth/apikey.h"
#include "auth/crypto.h"
#include "auth/extsig.h"
#include "cu_main.h"
#include "util/str.h"

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ---- crypto: known answers ---- */

static void test_crypto_sha256_abc(void)
{
    char hex[65];

    crypto_sha256_hex("abc", 3, hex);
    CU_ASSERT_STRING_EQUAL(
        hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_sha256_hex(NULL, 0, hex);
    CU_ASSERT_STRING_EQUAL(
        hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_crypto_hmac_rfc4231_case2(void)
{
    static const char data[] = "what do ya want for nothing?";
    unsigned char mac[32];
    char hex[65];

    CU_ASSERT_EQUAL_FATAL(crypto_hmac_sha256("Jefe", 4, data, strlen(data), mac), 0);
    str_hex(mac, sizeof(mac), hex);
    CU_ASSERT_STRING_EQUAL(
        hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* an empty key and empty data are legal HMAC inputs */
    CU_ASSERT_EQUAL(crypto_hmac_sha256(NULL, 0, NULL, 0, mac), 0);
    str_hex(mac, sizeof(mac), hex);
    CU_ASSERT_STRING_EQUAL(
        hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_crypto_crc32_check(void)
{
    CU_ASSERT_EQUAL(crypto_crc32("123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(crypto_crc32("", 0), 0u);
    CU_ASSERT_EQUAL(crypto_crc32("a", 1), 0xE8B7BE43u);
}

static void test_crypto_memeq_and_random(void)
{
    unsigned char a[32] = {0}, b[32] = {0};

    CU_ASSERT_TRUE(crypto_memeq(a, b, sizeof(a)));
    b[31] = 1;
    CU_ASSERT_FALSE(crypto_memeq(a, b, sizeof(a)));
    CU_ASSERT_EQUAL(crypto_random(a, sizeof(a)), 0);
    CU_ASSERT_EQUAL(crypto_random(b, sizeof(b)), 0);
    CU_ASSERT_FALSE(crypto_memeq(a, b, sizeof(a)));
    crypto_wipe(a, sizeof(a));
    memset(b, 0, sizeof(b));
    CU_ASSERT_TRUE(crypto_memeq(a, b, sizeof(a)));
}

/* Pooled id bytes: every draw differs (across refills of the per-thread pool), and a
 * request larger than the pool is served directly. */
static void test_crypto_random_ids_distinct(void)
{
    enum { N = 300 }; /* 300 x 16 bytes: several refills of the pool */
    static unsigned char ids[N][16];
    unsigned char big[2048], zero[2048] = {0};

    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL_FATAL(crypto_random_ids(ids[i], sizeof(ids[i])), 0);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            CU_ASSERT_FALSE(crypto_memeq(ids[i], ids[j], sizeof(ids[i])));
    CU_ASSERT_EQUAL(crypto_random_ids(big, sizeof(big)), 0);
    CU_ASSERT_FALSE(crypto_memeq(big, zero, sizeof(big)));
}

/* ---- crypto: base64 ---- */

static void test_crypto_b64url_roundtrip_all_lengths(void)
{
    unsigned char in[64], back[3 * (88 / 4) + 3];
    char enc[4 * 22 + 1];

    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t len;

        CU_ASSERT_EQUAL_FATAL(crypto_random(in, n), 0);
        if (n > 0)
            in[0] = 0xfb; /* make sure '-' and '_' turn up */
        len = crypto_b64url_encode(in, n, enc);
        CU_ASSERT_EQUAL(len, (4 * n + 2) / 3);
        CU_ASSERT_EQUAL(strlen(enc), len);
        CU_ASSERT_PTR_NULL(strpbrk(enc, "=+/"));
        CU_ASSERT_EQUAL(crypto_b64url_decode(enc, len, back), (long)n);
        CU_ASSERT_EQUAL(memcmp(in, back, n), 0);
    }
}

static void test_crypto_b64_std_roundtrip_all_lengths(void)
{
    unsigned char in[64], back[3 * (88 / 4) + 3];
    char enc[4 * 22 + 1];

    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t len;

        CU_ASSERT_EQUAL_FATAL(crypto_random(in, n), 0);
        len = crypto_b64_encode(in, n, enc);
        CU_ASSERT_EQUAL(len, 4 * ((n + 2) / 3));
        CU_ASSERT_PTR_NULL(strpbrk(enc, "-_"));
        CU_ASSERT_EQUAL(crypto_b64_decode(enc, len, back), (long)n);
        CU_ASSERT_EQUAL(memcmp(in, back, n), 0);
    }
}

static void test_crypto_b64_known_and_bad(void)
{
    unsigned char out[16];
    char enc[16];

    CU_ASSERT_EQUAL(crypto_b64url_encode("\xfb\xff", 2, enc), 3);
    CU_ASSERT_STRING_EQUAL(enc, "-_8");
    CU_ASSERT_EQUAL(crypto_b64_encode("\xfb\xff", 2, enc), 4);
    CU_ASSERT_STRING_EQUAL(enc, "+/8=");
    CU_ASSERT_EQUAL(crypto_b64_encode("foobar", 6, enc), 8);
    CU_ASSERT_STRING_EQUAL(enc, "Zm9vYmFy");
    CU_ASSERT_EQUAL(crypto_b64url_decode("Zm9vYg", 6, out), 4);
    CU_ASSERT_EQUAL(memcmp(out, "foob", 4), 0);

    CU_ASSERT_EQUAL(crypto_b64url_decode("A", 1, out), -1);    /* impossible length */
    CU_ASSERT_EQUAL(crypto_b64url_decode("AB", 2, out), -1);   /* stray low bits */
    CU_ASSERT_EQUAL(crypto_b64url_decode("AA==", 4, out), -1); /* no padding in url */
    CU_ASSERT_EQUAL(crypto_b64url_decode("+/8", 3, out), -1);  /* wrong alphabet */
    CU_ASSERT_EQUAL(crypto_b64url_decode("AA A", 4, out), -1);
    CU_ASSERT_EQUAL(crypto_b64_decode("+/8", 3, out), -1); /* padding required */
    CU_ASSERT_EQUAL(crypto_b64_decode("-_8=", 4, out), -1);
    CU_ASSERT_EQUAL(crypto_b64_decode("A===", 4, out), -1);
    CU_ASSERT_EQUAL(crypto_b64_decode("AA=A", 4, out), -1);
    CU_ASSERT_EQUAL(crypto_b64_decode("AB==", 4, out), -1);
    CU_ASSERT_EQUAL(crypto_b64_decode("AA==", 4, out), 1);
}

/* ---- crypto: sealing ---- */

static const unsigned char key1[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                       23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void test_crypto_seal_roundtrip(void)
{
    static const char secret[] = "sk-live-0123456789abcdef";
    char *sealed, *pt, kid[32];
    size_t n = 0;

    sealed = crypto_seal(key1, "k2024", "channels.key:7", secret, strlen(secret));
    CU_ASSERT_PTR_NOT_NULL_FATAL(sealed);
    CU_ASSERT_EQUAL(strncmp(sealed, "v1:k2024:", 9), 0);
    CU_ASSERT_PTR_NULL(strstr(sealed, "sk-live"));
    CU_ASSERT_EQUAL(crypto_sealed_kid(sealed, kid, sizeof(kid)), 0);
    CU_ASSERT_STRING_EQUAL(kid, "k2024");
    CU_ASSERT_EQUAL(crypto_sealed_kid(sealed, kid, 5), -1); /* no room for 5 + NUL */
    pt = crypto_open(key1, sealed, "channels.key:7", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
    CU_ASSERT_EQUAL(n, strlen(secret));
    CU_ASSERT_STRING_EQUAL(pt, secret);
    crypto_free_secret(pt);
    free(sealed);

    /* an empty secret seals to an empty ciphertext field and opens again */
    sealed = crypto_seal(key1, "k", "", "", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sealed);
    pt = crypto_open(key1, sealed, NULL, &n);
    CU_ASSERT_PTR_NOT_NULL(pt);
    CU_ASSERT_EQUAL(n, 0);
    crypto_free_secret(pt);
    free(sealed);
    crypto_free_secret(NULL);
}

static void test_crypto_seal_fresh_nonce(void)
{
    char *a = crypto_seal(key1, "k", "x", "same", 4);
    char *b = crypto_seal(key1, "k", "x", "same", 4);

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    free(a);
    free(b);
}

static void test_crypto_open_known_vector(void)
{
    /* made with an independent AES-GCM implementation: key 00..1f, nonce 64..6f */
    static const char stored[] =
        "v1:k1:ZGVmZ2hpamtsbW5v:O3DzEwmaIuxbAzLFqQAJjye2:bLCyFODcSCWdW4y5KRNQew==";
    unsigned char key[32];
    size_t n = 0;
    char *pt;

    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)i;
    pt = crypto_open(key, stored, "channels.key:42", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
    CU_ASSERT_EQUAL(n, 18);
    CU_ASSERT_STRING_EQUAL(pt, "sk-upstream-secret");
    crypto_free_secret(pt);
    CU_ASSERT_PTR_NULL(crypto_open(key, stored, "channels.key:43", &n));
}

/* Flip one bit of sealed[i] (keeping it in the base64 alphabet) and try to open it. */
static int opens_after_flip(const char *sealed, size_t i)
{
    char *copy = strdup(sealed), *pt;
    int opened;

    copy[i] = copy[i] == 'A' ? 'B' : 'A';
    pt = crypto_open(key1, copy, "row:1", NULL);
    opened = pt != NULL;
    crypto_free_secret(pt);
    free(copy);
    return opened;
}

static void test_crypto_open_refuses_tampering(void)
{
    unsigned char key2[32];
    char *sealed = crypto_seal(key1, "k", "row:1", "top secret value", 16);
    size_t colons = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(sealed);
    memcpy(key2, key1, sizeof(key2));
    key2[0] ^= 1;
    CU_ASSERT_PTR_NULL(crypto_open(key2, sealed, "row:1", NULL));
    CU_ASSERT_PTR_NULL(crypto_open(key1, sealed, "row:2", NULL));
    CU_ASSERT_PTR_NULL(crypto_open(key1, sealed, NULL, NULL));
    /* every character of nonce, ciphertext and tag matters, padding bits included */
    for (size_t i = 0; sealed[i]; i++) {
        if (sealed[i] == ':')
            colons++;
        else if (colons >= 2)
            CU_ASSERT_FALSE(opens_after_flip(sealed, i));
    }
    free(sealed);
}

static void test_crypto_open_refuses_malformed(void)
{
    static const char *const bad[] = {
        "",
        "v2:k:ZGVmZ2hpamtsbW5v:O3DzEwmaIuxbAzLFqQAJjye2:bLCyFODcSCWdW4y5KRNQew==",
        "v1::ZGVmZ2hpamtsbW5v:O3DzEwmaIuxbAzLFqQAJjye2:bLCyFODcSCWdW4y5KRNQew==",
        "v1:k:ZGVmZ2hpamtsbW5:O3DzEwmaIuxbAzLFqQAJjye2:bLCyFODcSCWdW4y5KRNQew==",
        "v1:k:ZGVmZ2hpamtsbW5v:O3DzEwmaIuxbAzLFqQAJjye:bLCyFODcSCWdW4y5KRNQew==",
        "v1:k:ZGVmZ2hpamtsbW5v:O3DzEwmaIuxbAzLFqQAJjye2:bLCyFODcSCWdW4y5KRNQew",
        "v1:k:ZGVmZ2hpamtsbW5v:O3DzEwmaIuxbAzLFqQAJjye2",
        "v1:k:ZGVmZ2hpamtsbW5v:O3DzEwmaIuxbAzLFqQAJjye2:bLCyFODcSCWdW4y5KRNQew==:x",
        "v1:0123456789012345678901234567890123:ZGVmZ2hpamtsbW5v:O3Dz:"
        "bLCyFODcSCWdW4y5KRNQew==",
    };
    char kid[32];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_PTR_NULL(crypto_open(key1, bad[i], "channels.key:42", NULL));
    CU_ASSERT_PTR_NULL(crypto_open(key1, NULL, "x", NULL));
    CU_ASSERT_EQUAL(crypto_sealed_kid(bad[2], kid, sizeof(kid)), -1);
    CU_ASSERT_PTR_NULL(crypto_seal(key1, "a:b", "x", "s", 1));
    CU_ASSERT_PTR_NULL(crypto_seal(key1, "", "x", "s", 1));
    CU_ASSERT_PTR_NULL(
        crypto_seal(key1, "0123456789012345678901234567890123", "x", "s", 1));
}

/* ---- apikey ---- */

/* Build "tg_" + body + checksum the way a reference implementation would. */
static void make_key(const char *body, char out[APIKEY_LEN + 1])
{
    uint32_t crc;

    memcpy(out, "tg_", 3);
    memcpy(out + 3, body, 43);
    crc = crypto_crc32(out, 46);
    for (int i = 5; i >= 0; i--) {
        out[46 + i] = b62[crc % 62];
        crc /= 62;
    }
    out[APIKEY_LEN] = '\0';
}

static void test_apikey_known_format(void)
{
    char key[APIKEY_LEN + 1];

    make_key("0000000000000000000000000000000000000000000", key);
    CU_ASSERT_STRING_EQUAL(key, "tg_00000000000000000000000000000000000000000003L6u1e");
    CU_ASSERT_TRUE(apikey_well_formed(key));
    CU_ASSERT_TRUE(
        apikey_well_formed("tg_003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf2qQZBW"));
}

static void test_apikey_generate_well_formed(void)
{
    char a[APIKEY_LEN + 1], b[APIKEY_LEN + 1];

    for (int i = 0; i < 200; i++) {
        CU_ASSERT_EQUAL_FATAL(apikey_generate(a), 0);
        CU_ASSERT_EQUAL(strlen(a), APIKEY_LEN);
        CU_ASSERT_EQUAL(strncmp(a, APIKEY_PREFIX, 3), 0);
        CU_ASSERT_EQUAL(strspn(a + 3, b62), APIKEY_LEN - 3);
        CU_ASSERT_TRUE(apikey_well_formed(a));
    }
    CU_ASSERT_EQUAL(apikey_generate(b), 0);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static void test_apikey_single_change_detected(void)
{
    char key[APIKEY_LEN + 1];

    CU_ASSERT_EQUAL_FATAL(apikey_generate(key), 0);
    for (size_t i = 0; i < APIKEY_LEN; i++) {
        char saved = key[i];

        key[i] = saved == 'x' ? 'y' : 'x';
        CU_ASSERT_FALSE(apikey_well_formed(key));
        key[i] = saved;
    }
    /* swapping two neighbouring digits is a typo too */
    for (size_t i = 3; i + 1 < APIKEY_LEN; i++) {
        char t = key[i];

        if (key[i] == key[i + 1])
            continue;
        key[i] = key[i + 1];
        key[i + 1] = t;
        CU_ASSERT_FALSE(apikey_well_formed(key));
        key[i + 1] = key[i];
        key[i] = t;
    }
    CU_ASSERT_TRUE(apikey_well_formed(key));
}

static void test_apikey_rejects_shape(void)
{
    char key[APIKEY_LEN + 2];

    CU_ASSERT_EQUAL_FATAL(apikey_generate(key), 0);
    CU_ASSERT_FALSE(apikey_well_formed(NULL));
    CU_ASSERT_FALSE(apikey_well_formed(""));
    key[0] = 'T';
    CU_ASSERT_FALSE(apikey_well_formed(key));
    key[0] = 't';
    key[2] = '-';
    CU_ASSERT_FALSE(apikey_well_formed(key));
    key[2] = '_';
    key[APIKEY_LEN - 1] = '\0';
    CU_ASSERT_FALSE(apikey_well_formed(key)); /* 51 characters */
    make_key("0000000000000000000000000000000000000000000", key);
    key[APIKEY_LEN] = '0';
    key[APIKEY_LEN + 1] = '\0';
    CU_ASSERT_FALSE(apikey_well_formed(key)); /* 53 characters */
    /* right checksum over a character outside base62 */
    make_key("000000000000000000000000000000000000000000-", key);
    CU_ASSERT_FALSE(apikey_well_formed(key));
}

/* 2^256 - 1 in base62, computed here by long division of 32 0xff bytes. */
static void body_of_max(char out[44])
{
    unsigned char num[32];

    memset(num, 0xff, sizeof(num));
    for (int d = 42; d >= 0; d--) {
        unsigned rem = 0;

        for (int i = 0; i < 32; i++) {
            unsigned cur = rem << 8 | num[i];

            num[i] = (unsigned char)(cur / 62);
            rem = cur % 62;
        }
        out[d] = b62[rem];
    }
    out[43] = '\0';
}

static void test_apikey_body_bounded_by_256_bits(void)
{
    char body[44], key[APIKEY_LEN + 1];

    body_of_max(body);
    CU_ASSERT_STRING_EQUAL(body, "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1");
    make_key(body, key);
    CU_ASSERT_TRUE(apikey_well_formed(key));
    body[42] = '2'; /* 2^256: no 32-byte secret encodes to this */
    make_key(body, key);
    CU_ASSERT_FALSE(apikey_well_formed(key));
    make_key("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", key);
    CU_ASSERT_FALSE(apikey_well_formed(key));
}

static void test_apikey_digest_is_sha256(void)
{
    static const char key[] = "tg_00000000000000000000000000000000000000000003L6u1e";
    unsigned char d[32], want[32];

    apikey_digest(key, d);
    crypto_sha256(key, strlen(key), want);
    CU_ASSERT_EQUAL(memcmp(d, want, 32), 0);
}

static void test_apikey_from_headers_cases(void)
{
    char out[APIKEY_LEN + 1];

    CU_ASSERT_EQUAL(apikey_from_headers("Bearer tg_abc", NULL, out, sizeof(out)), 1);
    CU_ASSERT_STRING_EQUAL(out, "tg_abc");
    CU_ASSERT_EQUAL(apikey_from_headers("bearer   tg_abc  ", NULL, out, sizeof(out)), 1);
    CU_ASSERT_STRING_EQUAL(out, "tg_abc");
    CU_ASSERT_EQUAL(apikey_from_headers(" BEARER tg_abc", NULL, out, sizeof(out)), 1);
    CU_ASSERT_STRING_EQUAL(out, "tg_abc");
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, " tg_xyz ", out, sizeof(out)), 1);
    CU_ASSERT_STRING_EQUAL(out, "tg_xyz");
    /* both: Bearer wins */
    CU_ASSERT_EQUAL(apikey_from_headers("Bearer tg_one", "tg_two", out, sizeof(out)), 1);
    CU_ASSERT_STRING_EQUAL(out, "tg_one");
    /* another scheme carries no key; x-api-key still counts */
    CU_ASSERT_EQUAL(apikey_from_headers("Basic dXNlcjpwdw==", "tg_two", out, sizeof(out)),
                    1);
    CU_ASSERT_STRING_EQUAL(out, "tg_two");
    CU_ASSERT_EQUAL(apikey_from_headers("Basic dXNlcjpwdw==", NULL, out, sizeof(out)), 0);
    CU_ASSERT_EQUAL(apikey_from_headers("Bearertg_abc", NULL, out, sizeof(out)), 0);
    /* neither */
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, NULL, out, sizeof(out)), 0);
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT_EQUAL(apikey_from_headers("", NULL, out, sizeof(out)), 0);
}

static void test_apikey_from_headers_malformed(void)
{
    char out[APIKEY_LEN + 1], longkey[APIKEY_LEN + 2];

    memset(longkey, 'a', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0'; /* 53 characters, one over the cap */
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, longkey, out, sizeof(out)), -1);
    longkey[APIKEY_LEN] = '\0'; /* exactly the cap */
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, longkey, out, sizeof(out)), 1);
    CU_ASSERT_EQUAL(apikey_from_headers("Bearer", NULL, out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(apikey_from_headers("Bearer   ", NULL, out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(apikey_from_headers("Bearer tg_a b", NULL, out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(apikey_from_headers("Bearer tg_a\r\nX: y", NULL, out, sizeof(out)),
                    -1);
    CU_ASSERT_EQUAL(apikey_from_headers("Bearer tg_\x01", NULL, out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, "tg_\x7f", out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, "tg_\xc3\xa9", out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, "", out, sizeof(out)), -1);
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, "tg_a", out, 0), -1);
    CU_ASSERT_EQUAL(apikey_from_headers(NULL, "tg_a", NULL, 10), -1);
}

/* ---- extsig ---- */

/* Computed with: printf '%s' "$canon" | openssl dgst -sha256 -hmac secret */
static const char ext_body[] = "{\"user\":\"u1\",\"amount\":\"1.5\"}";
static const char ext_canon[] =
    "POST\n/api/user/external/topup?x=1\n1700000000\nabcdef0123456789abcd\n"
    "621b833e651de9084371857d6aa7acc03f7b9a2b9bfe6f0a5060c962e15fc3fe";
static const char ext_sig[] =
    "7d0e5123d866e41af240fe23da69f7d830d226015cb575b11171f423e0734af3";

static void test_extsig_known_vector(void)
{
    char *canon, sig[65];

    canon = extsig_canonical("POST", "/api/user/external/topup?x=1", "1700000000",
                             "abcdef0123456789abcd", ext_body, strlen(ext_body));
    CU_ASSERT_PTR_NOT_NULL_FATAL(canon);
    CU_ASSERT_STRING_EQUAL(canon, ext_canon);
    CU_ASSERT_EQUAL(extsig_sign("secret", 6, canon, sig), 0);
    CU_ASSERT_STRING_EQUAL(sig, ext_sig);
    CU_ASSERT_EQUAL(extsig_verify("secret", 6, canon, ext_sig), 1);
    free(canon);
}

static void test_extsig_verify_refuses(void)
{
    char sig[65], upper[65];

    memcpy(sig, ext_sig, sizeof(sig));
    sig[10] = sig[10] == '0' ? '1' : '0';
    CU_ASSERT_EQUAL(extsig_verify("secret", 6, ext_canon, sig), 0);
    CU_ASSERT_EQUAL(extsig_verify("secreT", 6, ext_canon, ext_sig), 0);
    CU_ASSERT_EQUAL(extsig_verify("secret", 6, "POST\n", ext_sig), 0);
    for (size_t i = 0; i < sizeof(upper); i++)
        upper[i] =
            ext_sig[i] >= 'a' && ext_sig[i] <= 'f' ? (char)(ext_sig[i] - 32) : ext_sig[i];
    CU_ASSERT_EQUAL(extsig_verify("secret", 6, ext_canon, upper), 0);
    memcpy(sig, ext_sig, sizeof(sig));
    sig[63] = '\0';
    CU_ASSERT_EQUAL(extsig_verify("secret", 6, ext_canon, sig), 0);
    CU_ASSERT_EQUAL(extsig_verify("secret", 6, ext_canon, ""), 0);
    CU_ASSERT_EQUAL(extsig_verify("secret", 6, ext_canon, NULL), 0);
}

static void test_extsig_canonical_rejects_newlines(void)
{
    char *c = extsig_canonical("GET", "/a", "1", "n", NULL, 0);

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(
        c, "GET\n/a\n1\nn\n"
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(c);
    CU_ASSERT_PTR_NULL(extsig_canonical("GET", "/a\n1", "1", "n", NULL, 0));
    CU_ASSERT_PTR_NULL(extsig_canonical("GET", "/a", "1", "n\n", NULL, 0));
    CU_ASSERT_PTR_NULL(extsig_canonical("GET", "/a", "1", "n", NULL, 3));
}

/* extsig_check_headers with a fresh err; returns its result, *code gets err.code. */
static int check(const char *ts, const char *nonce, const char *sig, enum tg_code *code)
{
    struct tg_err err = {0};
    int rc = extsig_check_headers("partner-1", ts, nonce, sig, 1700000000, &err);

    *code = err.code;
    return rc;
}

static void test_extsig_headers_skew(void)
{
    static const char nonce[] = "0123456789abcdef";
    enum tg_code code;

    CU_ASSERT_EQUAL(check("1700000000", nonce, ext_sig, &code), 0);
    CU_ASSERT_EQUAL(code, TG_OK);
    CU_ASSERT_EQUAL(check("1700000299", nonce, ext_sig, &code), 0);
    CU_ASSERT_EQUAL(check("1699999701", nonce, ext_sig, &code), 0);
    CU_ASSERT_EQUAL(check("1700000300", nonce, ext_sig, &code), 0);
    CU_ASSERT_EQUAL(check("1700000301", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(code, TG_EAUTH);
    CU_ASSERT_EQUAL(check("1699999699", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("0", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("99999999999999999999999", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("+1700000000", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check(" 1700000000", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("-1700000000", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("1700000000.5", nonce, ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("", nonce, ext_sig, &code), -1);
}

static void test_extsig_headers_nonce_and_sig(void)
{
    char nonce[66];
    enum tg_code code;
    struct tg_err err = {0};

    memset(nonce, 'a', sizeof(nonce) - 1);
    nonce[65] = '\0';
    CU_ASSERT_EQUAL(check("1700000000", nonce, ext_sig, &code), -1); /* 65 */
    nonce[64] = '\0';
    CU_ASSERT_EQUAL(check("1700000000", nonce, ext_sig, &code), 0); /* 64 */
    nonce[16] = '\0';
    CU_ASSERT_EQUAL(check("1700000000", nonce, ext_sig, &code), 0); /* 16 */
    nonce[15] = '\0';
    CU_ASSERT_EQUAL(check("1700000000", nonce, ext_sig, &code), -1); /* 15: short */
    CU_ASSERT_EQUAL(code, TG_EAUTH);
    CU_ASSERT_EQUAL(check("1700000000", "Az09_-Az09_-Az09", ext_sig, &code), 0);
    CU_ASSERT_EQUAL(check("1700000000", "0123456789abcde.", ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("1700000000", "0123456789abcde=", ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("1700000000", "0123456789abcd\n0", ext_sig, &code), -1);
    CU_ASSERT_EQUAL(check("1700000000", "0123456789abcd\xc3\xa9", ext_sig, &code), -1);
    CU_ASSERT_EQUAL(
        check("1700000000", "0123456789abcdef",
              "7D0E5123D866E41AF240FE23DA69F7D830D226015CB575B11171F423E0734AF3", &code),
        -1);
    CU_ASSERT_EQUAL(check("1700000000", "0123456789abcdef", "v1=7d0e", &code), -1);
    CU_ASSERT_EQUAL(check("1700000000", "0123456789abcdef", ext_sig + 1, &code), -1);
    CU_ASSERT_EQUAL(extsig_check_headers(NULL, "1700000000", "0123456789abcdef", ext_sig,
                                         1700000000, &err),
                    -1);
    CU_ASSERT_EQUAL(err.code, TG_EAUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "missing"));
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(extsig_check_headers("", "1700000000", "0123456789abcdef", ext_sig,
                                         1700000000, &err),
                    -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(
        extsig_check_headers("p", "1700000000", NULL, ext_sig, 1700000000, &err), -1);
}

static const struct cu_test tests[] = {
    {"crypto_sha256_abc", test_crypto_sha256_abc},
    {"crypto_hmac_rfc4231_case2", test_crypto_hmac_rfc4231_case2},
    {"crypto_crc32_check", test_crypto_crc32_check},
    {"crypto_memeq_and_random", test_crypto_memeq_and_random},
    {"crypto_random_ids_distinct", test_crypto_random_ids_distinct},
    {"crypto_b64url_roundtrip_all_lengths", test_crypto_b64url_roundtrip_all_lengths},
    {"crypto_b64_std_roundtrip_all_lengths", test_crypto_b64_std_roundtrip_all_lengths},
    {"crypto_b64_known_and_bad", test_crypto_b64_known_and_bad},
    {"crypto_seal_roundtrip", test_crypto_seal_roundtrip},
    {"crypto_seal_fresh_nonce", test_crypto_seal_fresh_nonce},
    {"crypto_open_known_vector", test_crypto_open_known_vector},
    {"crypto_open_refuses_tampering", test_crypto_open_refuses_tampering},
    {"crypto_open_refuses_malformed", test_crypto_open_refuses_malformed},
    {"apikey_known_format", test_apikey_known_format},
    {"apikey_generate_well_formed", test_apikey_generate_well_formed},
    {"apikey_single_change_detected", test_apikey_single_change_detected},
    {"apikey_rejects_shape", test_apikey_rejects_shape},
    {"apikey_body_bounded_by_256_bits", test_apikey_body_bounded_by_256_bits},
    {"apikey_digest_is_sha256", test_apikey_digest_is_sha256},
    {"apikey_from_headers_cases", test_apikey_from_headers_cases},
    {"apikey_from_headers_malformed", test_apikey_from_headers_malformed},
    {"extsig_known_vector", test_extsig_known_vector},
    {"extsig_verify_refuses", test_extsig_verify_refuses},
    {"extsig_canonical_rejects_newlines", test_extsig_canonical_rejects_newlines},
    {"extsig_headers_skew", test_extsig_headers_skew},
    {"extsig_headers_nonce_and_sig", test_extsig_headers_nonce_and_sig},
    {NULL, NULL},
};

CU_MAIN("crypto", tests)
