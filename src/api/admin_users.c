/* admin_users: administrator views of user accounts. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "store/store.h"
#include "store/users.h"

static void add_user(const struct user_row *u, void *ctx)
{
    json_array_append_new(
        ctx,
        json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:s, s:s?}",
                  "id", (json_int_t)u->id, "username", u->username, "email",
                  u->email[0] ? u->email : NULL, "role", u->role, "status", u->status,
                  "plan", u->plan, "group", u->group, "quota", (json_int_t)u->quota,
                  "used_quota", (json_int_t)u->used_quota, "request_count",
                  (json_int_t)u->request_count, "is_external", u->is_external,
                  "created_at", u->created_at, "external_user_id",
                  u->external_user_id[0] ? u->external_user_id : NULL));
}

TG_HANDLER(admin_users_list)
{
    char q[128] = "", num[16];
    long limit = 50, offset = 0;
    struct store_conn *c;
    json_t *items = json_array(), *out;
    int rc;

    request_query(req, "q", q, sizeof(q));
    if (request_query(req, "limit", num, sizeof(num)))
        limit = strtol(num, NULL, 10);
    if (request_query(req, "offset", num, sizeof(num)))
        offset = strtol(num, NULL, 10);
    if (limit < 1 || limit > 500)
        limit = 50;
    if (offset < 0)
        offset = 0;
    c = store_get(req->app->pool, err);
    if (!c) {
        json_decref(items);
        return -1;
    }
    rc = store_user_list(c, q, (int)limit, (int)offset, add_user, items, err);
    store_put(req->app->pool, c);
    if (rc < 0) {
        json_decref(items);
        return -1;
    }
    out = json_pack("{s:o, s:i, s:i}", "data", items, "limit", (int)limit, "offset",
                    (int)offset);
    rc = response_send_json(req, 200, out);
    json_decref(out);
    return rc;
}
