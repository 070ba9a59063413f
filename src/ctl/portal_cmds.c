/* portal_cmds: tollgatectl commands of the portal area: user list, suspend, unsuspend,
 * plan. */
#include <stdlib.h>
#include <string.h>

#include "api/portal_admin.h"
#include "ctl/ctl.h"
#include "store/users.h"
#include "util/str.h"

/* The user named by LOGIN (username, e-mail, or numeric id). Returns 0 or prints the
 * failure and returns 1. */
static int find_user(struct ctl *ctl, const char *login, struct user_row *u)
{
    struct tg_err err = {0};
    int64_t id;
    int rc;

    if (!login)
        return ctl_fail(ctl, "a LOGIN (username, e-mail or id) is required");
    rc = store_user_by_login(ctl->conn, login, u, &err);
    if (rc == 0 && str_to_i64(login, 1, INT64_MAX / 2, &id) == 0)
        rc = store_user_by_id(ctl->conn, id, u, &err);
    if (rc < 0)
        return ctl_fail(ctl, "%s", err.msg);
    if (rc == 0 || strcmp(u->status, "deleted") == 0)
        return ctl_fail(ctl, "no such user: %s", login);
    return 0;
}

static void add_user(const struct user_row *u, void *ctx)
{
    json_array_append_new(ctx, portal_admin_user_json(u));
}

static int cmd_user_list(struct ctl *ctl)
{
    const char *q = ctl_opt(ctl, "q"), *lim = ctl_opt(ctl, "limit"),
               *off = ctl_opt(ctl, "offset");
    int64_t limit = 100, offset = 0;
    struct tg_err err = {0};
    json_t *items = json_array();
    int n;

    if ((lim && str_to_i64(lim, 1, 10000, &limit) != 0) ||
        (off && str_to_i64(off, 0, INT32_MAX, &offset) != 0)) {
        json_decref(items);
        return ctl_fail(ctl, "--limit must be 1..10000 and --offset >= 0");
    }
    n = store_user_list(ctl->conn, q ? q : "", (int)limit, (int)offset, add_user, items,
                        &err);
    if (n < 0) {
        json_decref(items);
        return ctl_fail(ctl, "%s", err.msg);
    }
    return ctl_print(ctl,
                     json_pack("{s:o, s:i, s:I, s:I}", "data", items, "count", n, "limit",
                               (json_int_t)limit, "offset", (json_int_t)offset));
}

/* Print the user after a change (re-read). */
static int print_user(struct ctl *ctl, int64_t id, int changed)
{
    struct tg_err err = {0};
    struct user_row u;
    json_t *o;

    if (store_user_by_id(ctl->conn, id, &u, &err) != 1)
        return ctl_fail(ctl, "cannot read the user back: %s", err.msg);
    o = portal_admin_user_json(&u);
    if (o)
        json_object_set_new(o, "changed", json_boolean(changed));
    return ctl_print(ctl, o);
}

static int set_status(struct ctl *ctl, const char *status)
{
    struct tg_err err = {0};
    struct user_row u;
    int rc;

    if (find_user(ctl, ctl_arg(ctl, 0), &u) != 0)
        return 1;
    rc = portal_admin_set_status(ctl->conn, 0, u.id, status, NULL, &err);
    return rc < 0 ? ctl_fail(ctl, "%s", err.msg) : print_user(ctl, u.id, rc);
}

static int cmd_user_suspend(struct ctl *ctl)
{
    return set_status(ctl, "suspended");
}

static int cmd_user_unsuspend(struct ctl *ctl)
{
    return set_status(ctl, "active");
}

static int cmd_user_plan(struct ctl *ctl)
{
    const char *plan = ctl_opt(ctl, "plan") ? ctl_opt(ctl, "plan") : ctl_arg(ctl, 1);
    struct tg_err err = {0};
    struct user_row u;
    int rc;

    if (!plan)
        return ctl_fail(ctl, "usage: user plan LOGIN free|basic|pro");
    if (find_user(ctl, ctl_arg(ctl, 0), &u) != 0)
        return 1;
    rc = portal_admin_set_plan(ctl->conn, 0, u.id, plan, NULL, &err);
    return rc < 0 ? ctl_fail(ctl, "%s", err.msg) : print_user(ctl, u.id, rc);
}

/* clang-format off */
const struct ctl_cmd ctl_portal_cmds[] = {
    {"user", "list", cmd_user_list, 0, "[--q PREFIX] [--limit N] [--offset N]",
     "list users (newest first), optionally those whose username or e-mail starts with PREFIX"},
    {"user", "suspend", cmd_user_suspend, 0, "LOGIN",
     "suspend a user: sessions end, API keys stop working"},
    {"user", "unsuspend", cmd_user_unsuspend, 0, "LOGIN", "make a suspended user active again"},
    {"user", "plan", cmd_user_plan, 0, "LOGIN free|basic|pro",
     "change a user's plan; the user's keys are brought within its ceilings"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
/* clang-format on */
