/* portal_util: small pieces shared by the portal handlers: replies, ids, field checks,
 * date ranges, paging and USD text. */
#ifndef TG_PORTAL_UTIL_H
#define TG_PORTAL_UTIL_H

#include <jansson.h>
#include <stdint.h>

#include "server/request.h"

/* Send obj (stolen; NULL sends a 500) with status. Returns 0 or -1. */
int portal_reply(struct tg_request *req, int status, json_t *obj);
/* The :id path parameter as a positive id. Returns 0, or -1 with TG_ENOTFOUND (what was
 * named is `what`, e.g. "key"). */
int portal_path_id(const struct tg_request *req, const char *what, int64_t *id,
                   struct tg_err *err);
/* Refuse fields of body that are not in allowed (NULL-terminated): 400 naming the field.
 * Returns 0 or -1. */
int portal_only_fields(json_t *body, const char *const allowed[], struct tg_err *err);
/* An optional string field: *out borrowed from body (NULL when absent or null). Wrong
 * types, more than max_len bytes, and a missing required field are 400 naming field
 * (field must be a literal). Returns 0 or -1. */
int portal_str(json_t *body, const char *field, int required, size_t max_len,
               const char **out, struct tg_err *err);
/* from/to query parameters (YYYY-MM-DD, inclusive UTC days; default the last 30 days,
 * at most 366 days). Returns 0 or -1 with err naming "from" or "to". */
int portal_range(const struct tg_request *req, char from[11], char to[11],
                 struct tg_err *err);
/* limit/offset query parameters: limit 1..max (default def), offset 0..1000000. Returns 0
 * or -1 with err naming the parameter. */
int portal_page(const struct tg_request *req, int def, int max, int *limit, int *offset,
                struct tg_err *err);
/* Quota as exact US dollars text ("12.345678"; 1 quota = 2 micro-USD). */
void portal_usd(int64_t quota, char out[32]);
/* Micro-USD as dollars text. */
void portal_micro_usd(int64_t micro, char out[32]);

/* client_users.c: answer with the usage of the signed-in user (key_id 0) or of one of
 * their keys (the caller checked the key is theirs): totals, by day, by model, by key and
 * the calls themselves, over the from/to range, paged by limit/offset. Returns 0 or -1.
 */
int portal_usage_report(struct tg_request *req, int64_t key_id, struct tg_err *err);

#endif
