/* pow: the registration proof of work. A challenge is signed by the server (HMAC-SHA256
 * under a key derived from the JWT key), so it needs no storage until it is spent; the
 * client finds a nonce such that SHA-256(challenge || nonce) starts with `bits` zero
 * bits.
 *
 *   challenge = "v1." expiry "." bits "." 32 hex random "." base64url(MAC)
 */
#ifndef TG_POW_H
#define TG_POW_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define POW_TTL_S     300 /* a challenge must be spent within five minutes */
#define POW_MAX_LEN   160
#define POW_NONCE_MAX 64

/* Write a new challenge for bits (0..32) into out (POW_MAX_LEN bytes). Returns 0 or -1.
 */
int pow_challenge(const unsigned char *key, size_t klen, int bits, int64_t now_s,
                  char out[POW_MAX_LEN]);
/* Check a solution: the MAC, the expiry, bits >= min_bits and the leading zero bits of
 * SHA-256(challenge || nonce). On success digest_hex gets the hex SHA-256 of the
 * challenge (to record it as spent). Returns 0, or -1 with err TG_EINVAL naming
 * "challenge" or "nonce". */
int pow_verify(const unsigned char *key, size_t klen, const char *challenge,
               const char *nonce, int min_bits, int64_t now_s, char digest_hex[65],
               struct tg_err *err);
/* Leading zero bits of a 32-byte digest. */
int pow_zero_bits(const unsigned char h[32]);

#endif
