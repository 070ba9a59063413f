/* crypto: the only user of OpenSSL. Hashes, MACs, randomness, base64url, AES-256-GCM. */
#ifndef TG_CRYPTO_H
#define TG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf with n bytes from RAND_bytes. Returns 0 or -1. */
int crypto_random(void *buf, size_t n);
/* The same for request ids and other unguessable but non-secret values: served from a
 * per-thread buffer refilled from the CSPRNG (threads started after fork only, so no two
 * processes share a buffer). Returns 0 or -1. */
int crypto_random_ids(void *buf, size_t n);
void crypto_sha256(const void *data, size_t n, unsigned char out[32]);
/* Lowercase hex SHA-256 (65 bytes with the NUL). */
void crypto_sha256_hex(const void *data, size_t n, char out[65]);
/* HMAC-SHA256. Returns 0 or -1. */
int crypto_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                       unsigned char out[32]);
/* Constant-time equality of two n-byte buffers: 1 equal, 0 not. */
int crypto_memeq(const void *a, const void *b, size_t n);
/* Wipe memory (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t n);

/* base64url without padding. encode: out needs 4*ceil(n/3)+1 bytes; returns length.
 * decode: returns decoded length or -1 on bad input; out needs 3*(len/4)+3 bytes. */
size_t crypto_b64url_encode(const void *in, size_t n, char *out);
long crypto_b64url_decode(const char *in, size_t len, unsigned char *out);
/* Standard base64 with padding (for stored ciphertext fields). Same contracts. */
size_t crypto_b64_encode(const void *in, size_t n, char *out);
long crypto_b64_decode(const char *in, size_t len, unsigned char *out);

/* AES-256-GCM with a fresh 96-bit nonce and a 128-bit tag. The result is a malloc'd
 * string "v1:<kid>:<b64 nonce>:<b64 ciphertext>:<b64 tag>". aad binds it to its row.
 * Returns NULL on failure. */
char *crypto_seal(const unsigned char key[32], const char *kid, const char *aad,
                  const void *pt, size_t n);
/* Open a crypto_seal string (crypto_sealed_kid reads its kid). Returns a malloc'd
 * NUL-terminated plaintext (length in *n_out), or NULL if the format is bad, or the key
 * or aad is wrong. Free with crypto_free_secret. */
char *crypto_open(const unsigned char key[32], const char *stored, const char *aad,
                  size_t *n_out);
/* Read the kid of a sealed string into out (cap bytes). Returns 0 or -1. */
int crypto_sealed_kid(const char *stored, char *out, size_t cap);
/* Wipe and free a NUL-terminated secret. Accepts NULL. */
void crypto_free_secret(char *s);

/* CRC-32 (IEEE) of n bytes, for API key checksums. */
uint32_t crypto_crc32(const void *data, size_t n);

#endif
