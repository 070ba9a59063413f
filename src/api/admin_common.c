/* admin_common: helpers of the admin handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admin_common.h"
#include "store/admin.h"
#include "util/str.h"

int admin_send(struct tg_request *req, int status, json_t *obj)
{
    int rc;

    if (!obj)
        return response_send_json(req, 500, NULL) == 0 ? 0 : -1;
    rc = response_send_json(req, status, obj);
    json_decref(obj);
    return rc;
}

int admin_path_id(const struct tg_request *req, int i, const char *what, int64_t *id,
                  struct tg_err *err)
{
    const char *s = request_path_param(req, i);

    if (!s || str_to_i64(s, 1, INT64_MAX, id) != 0)
        return err_set(err, TG_ENOTFOUND, "no such %s", what);
    return 0;
}

int admin_path_text(const struct tg_request *req, int i, char *out, size_t cap)
{
    const char *s = request_path_param(req, i);

    return s ? str_pct_decode(s, out, cap) : -1;
}

int admin_query_i64(const struct tg_request *req, const char *name, int64_t min,
                    int64_t max, int64_t *out, struct tg_err *err)
{
    char v[32];

    if (!request_query(req, name, v, sizeof(v)))
        return 0;
    if (str_to_i64(v, min, max, out) != 0)
        return err_set_field(err, TG_EINVAL, name,
                             "%s must be a whole number from %lld to "
                             "%lld",
                             name, (long long)min, (long long)max);
    return 1;
}

int admin_audit_str(struct tg_request *req, struct store_conn *c, const char *action,
                    const char *target_type, const char *target_id, json_t *detail,
                    struct tg_err *err)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;

    json_decref(detail);
    rc = store_admin_audit(c, req->who.user_id, action, target_type, target_id, text,
                           req->client_ip, err);
    free(text);
    return rc;
}

int admin_audit(struct tg_request *req, struct store_conn *c, const char *action,
                const char *target_type, int64_t target_id, json_t *detail,
                struct tg_err *err)
{
    char id[24];

    snprintf(id, sizeof(id), "%lld", (long long)target_id);
    return admin_audit_str(req, c, action, target_type, id, detail, err);
}
