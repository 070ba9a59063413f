/* migrate: numbered SQL files applied in order and recorded in schema_migrations. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrate.h"
#include "util/buf.h"
#include "util/log.h"

static const char SQL_CREATE_TABLE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,"
    " applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB";
static const char SQL_LOCK[] = "SELECT GET_LOCK('tollgate_migrate', 60)";
static const char SQL_UNLOCK[] = "SELECT RELEASE_LOCK('tollgate_migrate')";
static const char SQL_LEVEL[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char SQL_HAS[] = "SELECT COUNT(*) FROM schema_migrations WHERE version = ?";
static const char SQL_RECORD[] =
    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)";

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Version of "0001_schema.sql", or -1 if the name is not a migration. */
static int version_of(const char *name)
{
    size_t n = strlen(name);
    int v = 0, digits = 0;

    if (n < 6 || strcmp(name + n - 4, ".sql") != 0)
        return -1;
    for (const char *p = name; *p >= '0' && *p <= '9'; p++, digits++)
        v = v * 10 + (*p - '0');
    return digits == 4 && name[4] == '_' ? v : -1;
}

static int read_file(const char *path, struct buf *out)
{
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "r");

    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(out, chunk, n) != 0) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static int list_dir(const char *dir, char ***names, size_t *count, struct tg_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0, cap = 0;
    char **v = NULL;

    if (!d)
        return err_set(err, TG_EINVAL, "cannot open migrations folder %s", dir);
    while ((e = readdir(d)) != NULL) {
        if (version_of(e->d_name) < 0)
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        v[n] = strdup(e->d_name);
        if (v[n])
            n++;
    }
    closedir(d);
    qsort(v, n, sizeof(*v), by_name);
    *names = v;
    *count = n;
    return 0;
}

int store_schema_level(struct store_conn *c, int *level, struct tg_err *err)
{
    int64_t v = 0;

    if (store_exec(c, SQL_CREATE_TABLE, err, "") < 0 ||
        store_query_i64(c, SQL_LEVEL, &v, err, "") < 0)
        return -1;
    *level = (int)v;
    return 0;
}

static int apply_one(struct store_conn *c, const char *dir, const char *name,
                     int *applied, struct tg_err *err)
{
    int v = version_of(name);
    int64_t has = 0;
    char path[1024];
    struct buf sql;
    int rc;

    if (store_query_i64(c, SQL_HAS, &has, err, "u", v) < 0)
        return -1;
    if (has)
        return 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    buf_init(&sql, 16 << 20);
    if (read_file(path, &sql) != 0) {
        buf_free(&sql);
        return err_set(err, TG_EINVAL, "cannot read %s", path);
    }
    rc = store_exec_script(c, sql.ptr ? sql.ptr : "", err);
    buf_free(&sql);
    if (rc != 0) {
        char why[200];
        snprintf(why, sizeof(why), "%s", err->msg);
        err->code = TG_OK;
        return err_set(err, TG_EINTERNAL, "%s: %s", name, why);
    }
    if (store_exec(c, SQL_RECORD, err, "us", v, name) < 0)
        return -1;
    log_info("migrate", "event=applied version=%d name=%s", v, name);
    (*applied)++;
    return 0;
}

int store_migrate(struct store_conn *c, const char *dir, int *applied, int *level,
                  struct tg_err *err)
{
    char **names = NULL;
    size_t count = 0;
    int64_t locked = 0;
    int rc = -1;

    *applied = 0;
    if (store_exec(c, SQL_CREATE_TABLE, err, "") < 0)
        return -1;
    if (store_query_i64(c, SQL_LOCK, &locked, err, "") < 0)
        return -1;
    if (locked != 1)
        return err_set(err, TG_EUNAVAIL, "another migration is running");
    if (list_dir(dir, &names, &count, err) == 0) {
        rc = 0;
        for (size_t i = 0; i < count && rc == 0; i++)
            rc = apply_one(c, dir, names[i], applied, err);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    {
        struct tg_err e2 = {0};
        int64_t ignored;
        store_query_i64(c, SQL_UNLOCK, &ignored, &e2, "");
    }
    if (rc == 0)
        rc = store_schema_level(c, level, err);
    return rc;
}
