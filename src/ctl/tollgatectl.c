/* tollgatectl: the administrator's command line. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "util/log.h"

static const struct ctl_cmd *const tables[] = {ctl_base_cmds, ctl_relay_cmds,
                                               ctl_portal_cmds, ctl_partner_cmds};

const char *ctl_opt(const struct ctl *ctl, const char *name)
{
    for (int i = 0; i + 1 < ctl->argc; i++)
        if (strncmp(ctl->argv[i], "--", 2) == 0 && strcmp(ctl->argv[i] + 2, name) == 0)
            return ctl->argv[i + 1];
    return NULL;
}

int ctl_flag(const struct ctl *ctl, const char *name)
{
    for (int i = 0; i < ctl->argc; i++)
        if (strncmp(ctl->argv[i], "--", 2) == 0 && strcmp(ctl->argv[i] + 2, name) == 0)
            return 1;
    return 0;
}

/* Options that take no value. */
static int is_flag_opt(const char *a)
{
    static const char *const flags[] = {"--json",  "--unlimited", "--remember", "--yes",
                                        "--force", "--disable",   "--enable",   NULL};
    for (int i = 0; flags[i]; i++)
        if (strcmp(a, flags[i]) == 0)
            return 1;
    return 0;
}

const char *ctl_arg(const struct ctl *ctl, int want)
{
    int n = 0;

    for (int i = 0; i < ctl->argc; i++) {
        if (strncmp(ctl->argv[i], "--", 2) == 0) {
            if (!is_flag_opt(ctl->argv[i]))
                i++;
            continue;
        }
        if (n++ == want)
            return ctl->argv[i];
    }
    return NULL;
}

int ctl_fail(const struct ctl *ctl, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctl->json) {
        json_t *o = json_pack("{s:s}", "error", msg);
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "tollgatectl: %s\n", msg);
    }
    return 1;
}

static void print_value(const char *key, json_t *v, int indent)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_object(v)) {
        printf("%*s%s:\n", indent, "", key);
        json_object_foreach(v, k, x) print_value(k, x, indent + 2);
    } else if (json_is_array(v)) {
        printf("%*s%s:\n", indent, "", key);
        json_array_foreach(v, i, x)
        {
            char idx[32];
            snprintf(idx, sizeof(idx), "- [%zu]", i);
            print_value(idx, x, indent + 2);
        }
    } else {
        char *s = json_is_string(v) ? strdup(json_string_value(v))
                                    : json_dumps(v, JSON_ENCODE_ANY);
        printf("%*s%s: %s\n", indent, "", key, s ? s : "");
        free(s);
    }
}

int ctl_print(const struct ctl *ctl, json_t *obj)
{
    if (!obj)
        return ctl_fail(ctl, "out of memory");
    if (ctl->json) {
        char *s = json_dumps(obj, JSON_COMPACT);
        printf("%s\n", s ? s : "null");
        free(s);
    } else if (json_is_object(obj)) {
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v) print_value(k, v, 0);
    } else {
        print_value("result", obj, 0);
    }
    json_decref(obj);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tollgatectl [-c CONFIG] [--json] COMMAND [ARGS]\n"
            "  -c CONFIG   configuration file (default " TG_SYSCONFDIR "/tollgate.conf)\n"
            "  --json      machine-readable output (every command)\n\n"
            "commands:\n");
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct ctl_cmd *c = tables[t]; c->group; c++)
            fprintf(f, "  %s%s%s %s\n      %s\n", c->group, c->name ? " " : "",
                    c->name ? c->name : "", c->usage, c->help);
}

static const struct ctl_cmd *find(const char *group, const char *name)
{
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct ctl_cmd *c = tables[t]; c->group; c++)
            if (!strcmp(c->group, group) &&
                (c->name ? name && !strcmp(c->name, name) : 1))
                return c;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *path = getenv("TOLLGATE_CONFIG");
    struct ctl ctl = {0};
    struct tg_err err = {0};
    const struct ctl_cmd *cmd;
    char *args[256];
    int n = 0, rc;

    if (!path)
        path = TG_SYSCONFDIR "/tollgate.conf";
    for (int i = 1; i < argc && n < 255; i++) {
        if (!strcmp(argv[i], "-c") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            ctl.json = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
                 !strcmp(argv[i], "help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("tollgatectl %s\n", PACKAGE_VERSION);
            return 0;
        } else
            args[n++] = argv[i];
    }
    if (n == 0) {
        usage(stderr);
        return 2;
    }
    cmd = find(args[0], n > 1 ? args[1] : NULL);
    if (!cmd) {
        fprintf(stderr, "tollgatectl: unknown command '%s%s%s' (see --help)\n", args[0],
                n > 1 ? " " : "", n > 1 ? args[1] : "");
        return 2;
    }
    ctl.argc = n - (cmd->name ? 2 : 1);
    ctl.argv = args + (cmd->name ? 2 : 1);
    log_set_level(LOG_LVL_WARN);
    json_object_seed(0);
    if (config_load(&ctl.cfg, path, &err) != 0 ||
        (cmd->needs_secrets && config_load_secrets(&ctl.cfg, &err) != 0))
        return ctl_fail(&ctl, "%s", err.msg);
    if (store_global_init() != 0)
        return ctl_fail(&ctl, "database client initialisation failed");
    ctl.pool = store_pool_new(&ctl.cfg);
    ctl.conn = ctl.pool ? store_get(ctl.pool, &err) : NULL;
    if (!ctl.conn && strcmp(cmd->group, "status") != 0)
        return ctl_fail(&ctl, "cannot reach the database %s@%s:%d/%s: %s",
                        ctl.cfg.db_user, ctl.cfg.db_host, ctl.cfg.db_port,
                        ctl.cfg.db_name, err.msg);
    rc = cmd->fn(&ctl);
    store_put(ctl.pool, ctl.conn);
    store_pool_free(ctl.pool);
    store_global_cleanup();
    return rc;
}
