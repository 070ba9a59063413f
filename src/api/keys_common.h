/* keys_common: minting, regenerating, validating and showing API keys; shared by the
 * admin, portal and partner APIs and tollgatectl. */
#ifndef TG_KEYS_COMMON_H
#define TG_KEYS_COMMON_H

#include <jansson.h>

#include "auth/apikey.h"
#include "store/keys.h"

/* Strings referenced by a parsed spec live as long as the JSON it came from. */
/* Fill k from a JSON object with any of: name, description, services (array or comma
 * string of claude|codex|openai), models (array or comma string), ip_allow (array or
 * comma string of CIDRs), rpm, rpd, tpm, max_concurrency (>= 0), quota_limit (>= 0, null
 * = unlimited), expires_in_days (1..3650, default 365). Unknown fields are refused when
 * strict is 1. The comma strings are written into bufs (3 x 2048 bytes). Returns 0 or -1
 * with err naming the field. */
int keys_parse_spec(json_t *spec, int strict, struct key_new *k, char bufs[3][2048],
                    struct tg_err *err);
/* Create a key; the secret (shown once) goes to secret. Returns the id or -1. */
int64_t keys_mint(struct store_conn *c, const struct key_new *k,
                  char secret[APIKEY_LEN + 1], struct tg_err *err);
/* Give key id (of user_id, 0 = any) a new secret. Returns 1 done, 0 not found, -1. */
int keys_regenerate(struct store_conn *c, int64_t id, int64_t user_id,
                    char secret[APIKEY_LEN + 1], struct tg_err *err);
/* The key for display: id, name, masked key (prefix...last4), limits, usage; never the
 * secret. New reference. */
json_t *keys_json(const struct key_row *k);

#endif
