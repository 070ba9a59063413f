/* chanspec: validating and showing channels and prices; shared by the admin API and
 * tollgatectl so both accept exactly the same input. */
#ifndef TG_CHANSPEC_H
#define TG_CHANSPEC_H

#include <jansson.h>

#include "config/config.h"
#include "store/channels.h"

#define CHAN_KEY_MAX 4096 /* bytes of an upstream key */

/* Apply a channel spec (a JSON object) to ch. Fields: name, type, base_url, key, models
 * (array or comma string), model_map (object {"public": "upstream"} or null), priority,
 * weight, group, status ("enabled" | "disabled"), connect_timeout, total_timeout. Unknown
 * fields are refused. create = 1 requires name, type, base_url, key and models and fills
 * defaults first; create = 0 keeps ch's values for absent fields (a PUT) and needs at
 * least one field. A base_url is checked with urlcheck_base_url. *key gets the key
 * (borrowed from spec) or NULL when absent; *status_set is 1 when status was given.
 * Returns 0 or -1 with err TG_EINVAL naming the field. */
int chanspec_parse(const struct tg_config *cfg, json_t *spec, int create,
                   struct channel_row *ch, const char **key, int *status_set,
                   struct tg_err *err);
/* The seal callback for store_channel_create/update: ctx is the struct tg_config. */
char *chanspec_seal(const char *plain, int64_t id, void *ctx);
/* A channel for display: never the key, only key_set, and key_ok (whether it decrypts
 * for this row under the master key). New reference. */
json_t *chanspec_json(const struct tg_config *cfg, const struct channel_row *ch);
/* Split a comma list into a JSON array of strings. New reference. */
json_t *chanspec_list(const char *csv);

/* Parse a price spec {input, output, cache_read, cache_write, cache_write_1h, max_output}
 * in USD per million tokens, each a JSON number or a decimal string (>= 0, at most 6
 * decimals, at most 1,000,000). input and output are required; the rest default to 0.
 * Unknown fields are refused. Fills p (not p->model). Returns 0 or -1, err naming the
 * field. */
int chanspec_price_parse(json_t *spec, struct price_row *p, struct tg_err *err);
/* 1 if model is a usable model name (1..128 bytes, no spaces, commas or controls). */
int chanspec_model_ok(const char *model);
/* A price for display, USD per million tokens as decimal strings. New reference. */
json_t *chanspec_price_json(const struct price_row *p);

#endif
