/* ctl: shared pieces of the tollgatectl subcommands. */
#ifndef TG_CTL_H
#define TG_CTL_H

#include <jansson.h>

#include "config/config.h"
#include "store/store.h"

struct ctl {
    struct tg_config cfg;
    struct store_pool *pool;
    struct store_conn *conn; /* borrowed for the whole command */
    int json;                /* --json: machine-readable output */
    int argc;
    char **argv; /* the subcommand's own arguments */
};

/* A subcommand: returns the process exit status. */
typedef int (*ctl_fn)(struct ctl *ctl);

struct ctl_cmd {
    const char *group; /* "user" */
    const char *name;  /* "create", or NULL for a one-word command */
    ctl_fn fn;
    int needs_secrets; /* loads jwt/master keys */
    const char *usage; /* "LOGIN --email E --password P" */
    const char *help;
};

/* Value of "--name VALUE" among the subcommand's arguments, or NULL. */
const char *ctl_opt(const struct ctl *ctl, const char *name);
/* 1 if "--name" is present. */
int ctl_flag(const struct ctl *ctl, const char *name);
/* The i-th positional argument (not an option or its value), or NULL. */
const char *ctl_arg(const struct ctl *ctl, int i);
/* Print an error (as {"error": msg} with --json) and return 1. */
int ctl_fail(const struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print a result: JSON with --json, else "key: value" lines. Steals obj. Returns 0. */
int ctl_print(const struct ctl *ctl, json_t *obj);

/* Subcommand tables of each area (NULL-terminated by a {NULL} row). */
extern const struct ctl_cmd ctl_base_cmds[];
extern const struct ctl_cmd ctl_relay_cmds[];
extern const struct ctl_cmd ctl_portal_cmds[];
extern const struct ctl_cmd ctl_partner_cmds[];

#endif
