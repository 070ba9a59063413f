/* admin_portal: administrator views and actions on portal accounts: show, suspend,
 * unsuspend, plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/plans.h"
#include "api/portal_admin.h"
#include "api/portal_util.h"
#include "store/portal.h"
#include "store/store.h"
#include "store/users.h"
#include "util/log.h"

json_t *portal_admin_user_json(const struct user_row *u)
{
    const struct plan *p = plan_of(u->plan);
    char usd[32];

    portal_usd(u->quota, usd);
    return json_pack(
        "{s:I, s:s, s:s?, s:s?, s:s, s:s, s:s, s:s, s:b, s:I, s:s, s:I, s:I, "
        "s:s, s:s?, s:b, s:s?, s:{s:i, s:i, s:i, s:i, s:i}}",
        "id", (json_int_t)u->id, "username", u->username, "email",
        u->email[0] ? u->email : NULL, "display_name",
        u->display_name[0] ? u->display_name : NULL, "role", u->role, "status", u->status,
        "plan", u->plan, "group", u->group, "email_verified", u->email_verified, "quota",
        (json_int_t)u->quota, "balance_usd", usd, "used_quota", (json_int_t)u->used_quota,
        "request_count", (json_int_t)u->request_count, "created_at", u->created_at,
        "last_login_at", u->last_login_at[0] ? u->last_login_at : NULL, "is_external",
        u->is_external, "external_user_id",
        u->external_user_id[0] ? u->external_user_id : NULL, "plan_limits", "rpm", p->rpm,
        "rpd", p->rpd, "tpm", p->tpm, "max_concurrency", p->max_concurrency, "max_keys",
        p->max_keys);
}

/* The user to act on, which must exist and not be deleted. Returns 0 or -1 (404). */
static int live_user(struct store_conn *c, int64_t user_id, struct user_row *u,
                     struct tg_err *err)
{
    int rc = store_user_by_id(c, user_id, u, err);

    if (rc < 0)
        return -1;
    if (rc == 0 || strcmp(u->status, "deleted") == 0)
        return err_set(err, TG_ENOTFOUND, "no such user");
    return 0;
}

static int audit_commit(struct store_conn *c, int64_t actor_id, const char *action,
                        int64_t user_id, const char *detail_key, const char *from,
                        const char *to, const char *ip, struct tg_err *err)
{
    json_t *d = json_pack("{s:{s:s, s:s}}", detail_key, "from", from, "to", to);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    int rc = store_audit(c, actor_id, action, "user", user_id, text, ip, err) == 0 &&
                     store_commit(c, err) == 0
                 ? 0
                 : -1;

    free(text);
    json_decref(d);
    return rc;
}

int portal_admin_set_status(struct store_conn *c, int64_t actor_id, int64_t user_id,
                            const char *status, const char *ip, struct tg_err *err)
{
    struct user_row u;

    if (strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0)
        return err_set_field(err, TG_EINVAL, "status",
                             "status must be active or suspended");
    if (live_user(c, user_id, &u, err) != 0)
        return -1;
    if (strcmp(u.status, status) == 0)
        return 0;
    if (store_begin(c, err) != 0)
        return -1;
    /* A suspended user's sessions end now; API keys stop at the relay's status check. */
    if (store_portal_set_status(c, user_id, status, err) < 0 ||
        (strcmp(status, "suspended") == 0 &&
         store_session_revoke_user(c, user_id, err) < 0) ||
        audit_commit(c, actor_id,
                     strcmp(status, "suspended") == 0 ? "user.suspend" : "user.unsuspend",
                     user_id, "status", u.status, status, ip, err) != 0) {
        store_rollback(c);
        return -1;
    }
    log_info("portal", "event=user_status user_id=%lld status=%s actor=%lld",
             (long long)user_id, status, (long long)actor_id);
    return 1;
}

int portal_admin_set_plan(struct store_conn *c, int64_t actor_id, int64_t user_id,
                          const char *plan, const char *ip, struct tg_err *err)
{
    const struct plan *p = plan_get(plan);
    struct user_row u;

    if (!p)
        return err_set_field(err, TG_EINVAL, "plan", "plan must be free, basic or pro");
    if (live_user(c, user_id, &u, err) != 0)
        return -1;
    if (strcmp(u.plan, p->name) == 0)
        return 0;
    if (store_begin(c, err) != 0)
        return -1;
    if (store_portal_set_plan(c, user_id, p->name, p->rpm, p->rpd, p->tpm,
                              p->max_concurrency, err) < 0 ||
        audit_commit(c, actor_id, "user.plan", user_id, "plan", u.plan, p->name, ip,
                     err) != 0) {
        store_rollback(c);
        return -1;
    }
    log_info("portal", "event=user_plan user_id=%lld plan=%s actor=%lld",
             (long long)user_id, p->name, (long long)actor_id);
    return 1;
}

/* Answer with the user after an action. */
static int send_user(struct tg_request *req, struct store_conn *c, int64_t user_id,
                     struct tg_err *err)
{
    struct user_row u;

    if (store_user_by_id(c, user_id, &u, err) != 1) {
        store_put(req->app->pool, c);
        return err_set(err, TG_ENOTFOUND, "no such user");
    }
    store_put(req->app->pool, c);
    return portal_reply(req, 200, portal_admin_user_json(&u));
}

TG_HANDLER(admin_user_get)
{
    struct store_conn *c;
    int64_t id;

    if (portal_path_id(req, "user", &id, err) != 0)
        return -1;
    c = store_get(req->app->pool, err);
    return c ? send_user(req, c, id, err) : -1;
}

static int set_status(struct tg_request *req, const char *status, struct tg_err *err)
{
    struct store_conn *c;
    int64_t id;

    if (portal_path_id(req, "user", &id, err) != 0)
        return -1;
    if (id == req->who.user_id && strcmp(status, "suspended") == 0)
        return err_set(err, TG_EDENIED, "an administrator cannot suspend themselves");
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    if (portal_admin_set_status(c, req->who.user_id, id, status, req->client_ip, err) <
        0) {
        store_put(req->app->pool, c);
        return -1;
    }
    return send_user(req, c, id, err);
}

TG_HANDLER(admin_user_suspend)
{
    return set_status(req, "suspended", err);
}

TG_HANDLER(admin_user_unsuspend)
{
    return set_status(req, "active", err);
}

TG_HANDLER(admin_user_plan)
{
    static const char *const allowed[] = {"plan", NULL};
    json_t *body = request_json(req, err);
    struct store_conn *c = NULL;
    const char *plan;
    int64_t id;
    int rc = -1;

    if (!body)
        return -1;
    if (portal_path_id(req, "user", &id, err) != 0 ||
        portal_only_fields(body, allowed, err) != 0 ||
        portal_str(body, "plan", 1, 16, &plan, err) != 0)
        goto out;
    c = store_get(req->app->pool, err);
    if (c &&
        portal_admin_set_plan(c, req->who.user_id, id, plan, req->client_ip, err) >= 0)
        rc = 0;
out:
    json_decref(body);
    if (rc != 0) {
        store_put(req->app->pool, c);
        return -1;
    }
    return send_user(req, c, id, err);
}
