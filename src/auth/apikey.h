/* apikey: API key format (tg_ + 43 base62 + 6 base62 CRC32), digest, header parsing. */
#ifndef TG_APIKEY_H
#define TG_APIKEY_H

#include <stddef.h>

#define APIKEY_PREFIX "tg_"
#define APIKEY_LEN    52 /* 3 + 43 + 6 */
#define APIKEY_SHOWN  12 /* characters of the key kept for display (prefix) */

/* Make a new key: 32 random bytes as 43 base62 characters, then a 6-character base62
 * CRC32 of everything before it. out gets APIKEY_LEN + 1 bytes. Returns 0 or -1. */
int apikey_generate(char out[APIKEY_LEN + 1]);
/* 1 if key has the right prefix, length, alphabet and checksum; 0 otherwise. */
int apikey_well_formed(const char *key);
/* SHA-256 of the whole key. */
void apikey_digest(const char *key, unsigned char out[32]);
/* Pick the key from "Authorization: Bearer K" or "x-api-key: K" (either may be NULL;
 * Bearer wins). Copies it into out. Returns 1 found, 0 absent, -1 malformed/too long. */
int apikey_from_headers(const char *authorization, const char *x_api_key, char *out,
                        size_t cap);

#endif
