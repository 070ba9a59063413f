/* external: helpers shared by the partner API handlers (external.c, external_money.c,
 * external_tokens.c). The router has verified the partner's signature and nonce before
 * any of these run; req->who.partner_id names the partner. */
#ifndef TG_API_EXTERNAL_H
#define TG_API_EXTERNAL_H

#include <jansson.h>

#include "server/request.h"
#include "store/external.h"

#define EXT_ID_MAX_CHARS 100

/* 1 if s is a usable external user id: 1..100 characters of valid UTF-8, no control
 * characters, not only spaces. */
int ext_id_ok(const char *s);
/* The external user id of the body (required string field "external_user_id"). Borrowed
 * from body. Returns 0 or -1 with err naming the field. */
int ext_body_id(json_t *body, const char **out, struct tg_err *err);
/* The :external_user_id path segment, percent-decoded into out. Returns 0 or -1 (err:
 * TG_EINVAL). */
int ext_path_id(const struct tg_request *req, char *out, size_t cap, struct tg_err *err);
/* Refuse body fields not in known (NULL-terminated). Returns 0 or -1 naming the field. */
int ext_known_fields(json_t *body, const char *const *known, struct tg_err *err);
/* The partner's user with this external id, not deleted. Returns 0 with u filled (clear
 * it with store_ext_user_clear), or -1 with err (TG_ENOTFOUND when absent: the same for
 * another partner's user). */
int ext_user_load(struct store_conn *c, const struct tg_request *req, const char *ext_id,
                  struct ext_user *u, struct tg_err *err);
/* The user as partners see it (new reference). */
json_t *ext_user_json(const struct ext_user *u);
/* The top-up source of the calling partner: "partner:<id>" (out: 48 bytes). */
void ext_source(const struct tg_request *req, char out[48]);
/* Send out (stolen) with Cache-Control: no-store. Returns 0 or -1. */
int ext_send(struct tg_request *req, int status, json_t *out);

#endif
