/* admin_common: small helpers shared by the admin handlers: path ids, query numbers,
 * JSON answers and audit rows. */
#ifndef TG_ADMIN_COMMON_H
#define TG_ADMIN_COMMON_H

#include <jansson.h>
#include <stdint.h>

#include "server/request.h"
#include "store/store.h"

/* Context of list callbacks that need the config. */
struct admin_list {
    json_t *items; /* owned by the handler */
    const struct tg_config *cfg;
};

/* Send obj (stolen; NULL means out of memory) with status. Returns 0 or -1. */
int admin_send(struct tg_request *req, int status, json_t *obj);
/* The i-th path parameter as a positive id; anything else is TG_ENOTFOUND "no such
 * <what>". Returns 0 or -1. */
int admin_path_id(const struct tg_request *req, int i, const char *what, int64_t *id,
                  struct tg_err *err);
/* The i-th path parameter percent-decoded into out. Returns 0, or -1 when it is absent,
 * too long, badly encoded or holds a NUL. */
int admin_path_text(const struct tg_request *req, int i, char *out, size_t cap);
/* Query parameter name as an integer in [min, max]. Returns 1 found (*out set), 0
 * absent, -1 with err TG_EINVAL naming the parameter. */
int admin_query_i64(const struct tg_request *req, const char *name, int64_t min,
                    int64_t max, int64_t *out, struct tg_err *err);
/* An audit row by the request's admin: detail is stolen (NULL = none). Returns 0 or -1.
 */
int admin_audit(struct tg_request *req, struct store_conn *c, const char *action,
                const char *target_type, int64_t target_id, json_t *detail,
                struct tg_err *err);
/* The same with a text target id (a model name). */
int admin_audit_str(struct tg_request *req, struct store_conn *c, const char *action,
                    const char *target_type, const char *target_id, json_t *detail,
                    struct tg_err *err);

#endif
