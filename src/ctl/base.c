/* base: tollgatectl migrate, status, admin create. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "ctl/ctl.h"
#include "store/migrate.h"
#include "store/users.h"

static int cmd_migrate(struct ctl *ctl)
{
    struct tg_err err = {0};
    const char *dir = ctl_opt(ctl, "dir");
    int applied = 0, level = 0;

    if (store_migrate(ctl->conn, dir ? dir : ctl->cfg.migrations_dir, &applied, &level,
                      &err) != 0)
        return ctl_fail(ctl, "migrate: %s", err.msg);
    return ctl_print(
        ctl, json_pack("{s:i, s:i}", "applied", applied, "schema_version", level));
}

static int cmd_status(struct ctl *ctl)
{
    struct tg_err err = {0};
    int level = -1, up = ctl->conn && store_schema_level(ctl->conn, &level, &err) == 0;

    ctl_print(ctl, json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:i, s:i, s:s}", "version",
                             PACKAGE_VERSION, "database", up ? "up" : "down",
                             "schema_version", level, "listen", ctl->cfg.listen,
                             "workers", ctl->cfg.workers, "threads", ctl->cfg.threads,
                             "db_pool_size", ctl->cfg.db_pool_size, "db_timeout",
                             ctl->cfg.db_timeout, "config", ctl->cfg.path));
    return up ? 0 : 1;
}

/* Shared by "admin create" and "user create". */
static int create_user(struct ctl *ctl, const char *role)
{
    const char *login = ctl_arg(ctl, 0), *email = ctl_opt(ctl, "email"),
               *pw = ctl_opt(ctl, "password");
    struct tg_err err = {0};
    char *hash;
    int64_t id;

    if (!login || !pw)
        return ctl_fail(ctl, "usage: %s create LOGIN --email E --password P", role);
    if (strlen(pw) < 8 || strlen(pw) > PASSWORD_MAX_LEN)
        return ctl_fail(ctl, "password must be 8 to %d characters", PASSWORD_MAX_LEN);
    hash = password_hash(pw);
    if (!hash)
        return ctl_fail(ctl, "cannot hash the password");
    id = store_user_create(ctl->conn, login, email, hash, role, 0, &err);
    free(hash);
    if (id < 0)
        return ctl_fail(ctl, "%s",
                        err.code == TG_ECONFLICT
                            ? "that username or e-mail is already taken"
                            : err.msg);
    return ctl_print(ctl, json_pack("{s:I, s:s, s:s?, s:s}", "id", (json_int_t)id,
                                    "username", login, "email", email, "role", role));
}

static int cmd_admin_create(struct ctl *ctl)
{
    return create_user(ctl, "admin");
}

int ctl_user_create(struct ctl *ctl);
int ctl_user_create(struct ctl *ctl)
{
    return create_user(ctl, "user");
}

/* clang-format off */
const struct ctl_cmd ctl_base_cmds[] = {
    {"migrate", NULL, cmd_migrate, 0, "[--dir DIR]",
     "apply the schema migrations not yet applied (safe to run again)"},
    {"status", NULL, cmd_status, 0, "",
     "database reachable, schema version, pool settings"},
    {"admin", "create", cmd_admin_create, 0, "LOGIN --email E --password P",
     "create an administrator account"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
/* clang-format on */
