/* pool: per-process MySQL connections, statement cache, parameter binding and results. */
#include <errno.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/log.h"

/* Statements cached per connection: a power of two, well above the number of SQL strings
 * in store/ (when it fills up anyway, the cache starts over). */
#define STMT_CACHE 512
#define MAX_PARAMS 32

struct stmt_slot {
    const char *sql; /* key: the address of a static string */
    MYSQL_STMT *st;
};

struct store_conn {
    MYSQL *my;  /* NULL until connected */
    int broken; /* saw a lost connection: close before reuse */
    int in_tx;
    int in_use;
    int need_ping;     /* idle a while, or a sibling lost its connection: check first */
    int used;          /* ran a statement since store_get */
    int64_t last_used; /* of the last store_put after a statement (taken and put back
                        * unused, a connection is no fresher: it keeps its ping due) */
    int64_t last_id;
    struct stmt_slot stmts[STMT_CACHE];
};

struct store_pool {
    const struct tg_config *cfg; /* borrowed */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int size, waiting; /* conns[size] is the background thread's own (see below) */
    uint64_t errors, reconnects;
    struct store_conn *conns;
};

/* The process's background thread (usage rows, lease charges, the reaper) has a
 * connection of its own besides the pool's size: request threads that hold connections
 * and wait for its work (a busy lease) must never keep it from one. */
static __thread int background_thread;

void store_thread_background(void)
{
    background_thread = 1;
}

struct store_res {
    MYSQL_STMT *st; /* borrowed from the connection's cache */
    int cols;
    MYSQL_BIND *bind;
    char **bufs;
    unsigned long *lens;
    my_bool *nulls;
    size_t *caps;
};

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int failpoint_db; /* fail the Nth statement (test builds); 0 = off */
static int failpoint_count;
static pthread_mutex_t failpoint_mu = PTHREAD_MUTEX_INITIALIZER;

void store_failpoint_init(void)
{
    const char *fp = getenv("TG_FAILPOINT");
    long n = fp && strncmp(fp, "db:", 3) == 0 ? strtol(fp + 3, NULL, 10) : 0;

    failpoint_db = n > 0 && n < INT32_MAX ? (int)n : 0;
}

static int failpoint_hit(void)
{
    int hit;

    if (!failpoint_db)
        return 0;
    pthread_mutex_lock(&failpoint_mu);
    hit = ++failpoint_count == failpoint_db;
    pthread_mutex_unlock(&failpoint_mu);
    return hit;
}

struct store_pool *store_pool_new(const struct tg_config *cfg)
{
    struct store_pool *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->cfg = cfg;
    p->size = cfg->db_pool_size;
    p->conns = calloc((size_t)p->size + 1, sizeof(*p->conns));
    if (!p->conns) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

static void conn_close(struct store_conn *c)
{
    for (int i = 0; i < STMT_CACHE; i++) {
        if (c->stmts[i].st)
            mysql_stmt_close(c->stmts[i].st);
        c->stmts[i].st = NULL;
        c->stmts[i].sql = NULL;
    }
    if (c->my)
        mysql_close(c->my);
    c->my = NULL;
    c->broken = 0;
    c->in_tx = 0;
}

void store_pool_free(struct store_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i <= p->size; i++)
        conn_close(&p->conns[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->conns);
    free(p);
}

static int conn_open(struct store_pool *p, struct store_conn *c, struct tg_err *err)
{
    const struct tg_config *cfg = p->cfg;
    unsigned int timeout = (unsigned int)cfg->db_timeout;
    my_bool off = 0;
    MYSQL *my = mysql_init(NULL);

    if (!my)
        return err_set(err, TG_EINTERNAL, "out of memory");
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    mysql_options(my, MYSQL_OPT_RECONNECT, &off);
    mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(my, MYSQL_INIT_COMMAND,
                  "SET time_zone = '+00:00', innodb_lock_wait_timeout = 5");
    if (!mysql_real_connect(my, cfg->db_socket[0] ? NULL : cfg->db_host, cfg->db_user,
                            cfg->db_password, cfg->db_name, (unsigned int)cfg->db_port,
                            cfg->db_socket[0] ? cfg->db_socket : NULL, 0)) {
        log_warn("store", "event=connect_failed errno=%u msg=\"%s\"", mysql_errno(my),
                 mysql_error(my));
        mysql_close(my);
        return err_set(err, TG_EUNAVAIL, "database unavailable");
    }
    c->my = my;
    return 0;
}

struct store_conn *store_get(struct store_pool *p, struct tg_err *err)
{
    struct timespec deadline;
    struct store_conn *c = NULL;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += p->cfg->db_timeout;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        /* The background thread's own first; then an open connection, then any free
         * slot. */
        if (background_thread && !p->conns[p->size].in_use)
            c = &p->conns[p->size];
        for (int i = 0; i < p->size && !c; i++)
            if (!p->conns[i].in_use && p->conns[i].my && !p->conns[i].broken)
                c = &p->conns[i];
        for (int i = 0; i < p->size && !c; i++)
            if (!p->conns[i].in_use)
                c = &p->conns[i];
        if (c)
            break;
        p->waiting++;
        int rc = pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
        p->waiting--;
        if (rc == ETIMEDOUT) {
            pthread_mutex_unlock(&p->mu);
            err->retry_after = 1;
            err_set(err, TG_EUNAVAIL, "database busy, retry shortly");
            return NULL;
        }
    }
    c->in_use = 1;
    pthread_mutex_unlock(&p->mu);
    /* A connection idle for a while (or whose sibling found the server gone) may be dead:
     * one ping here turns a failed request into a quiet reconnect. */
    if (c->my && !c->broken && (c->need_ping || mono_us() - c->last_used > 1000000)) {
        if (mysql_ping(c->my) != 0)
            c->broken = 1;
        else
            c->used = 1; /* just checked */
    }
    c->need_ping = 0;
    if (c->broken)
        conn_close(c);
    if (!c->my) {
        if (conn_open(p, c, err) != 0) {
            err->retry_after = 1;
            store_put(p, c);
            return NULL;
        }
        c->used = 1;
        pthread_mutex_lock(&p->mu);
        p->reconnects++;
        pthread_mutex_unlock(&p->mu);
    }
    return c;
}

void store_put(struct store_pool *p, struct store_conn *c)
{
    if (!c)
        return;
    if (c->in_tx && c->my && !c->broken)
        store_rollback(c);
    pthread_mutex_lock(&p->mu);
    if (c->broken)
        for (int i = 0; i <= p->size; i++)
            p->conns[i].need_ping = 1;
    pthread_mutex_unlock(&p->mu);
    if (c->broken)
        conn_close(c);
    if (c->used)
        c->last_used = mono_us();
    c->used = 0;
    pthread_mutex_lock(&p->mu);
    c->in_use = 0;
    if (c != &p->conns[p->size]) /* nobody waits for the background thread's own */
        pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void store_pool_stats(struct store_pool *p, struct store_pool_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&p->mu);
    out->size = p->size;
    out->waiting = p->waiting;
    out->errors = p->errors;
    out->reconnects = p->reconnects;
    for (int i = 0; i <= p->size; i++) {
        out->open += p->conns[i].my != NULL;
        out->in_use += p->conns[i].in_use;
    }
    pthread_mutex_unlock(&p->mu);
}

static int is_lost(unsigned int e)
{
    return e == CR_CONNECTION_ERROR || e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
           e == 1927 /* ER_CONNECTION_KILLED */ || e == CR_CONN_HOST_ERROR ||
           e == 2055 /* CR_SERVER_LOST_EXTENDED */ || e == CR_COMMANDS_OUT_OF_SYNC;
}

/* Classify a failed statement into err. Always returns -1. */
static int fail(struct store_conn *c, unsigned int e, const char *msg, struct tg_err *err)
{
    if (is_lost(e)) {
        c->broken = 1;
        log_warn("store", "event=connection_lost errno=%u", e);
        err->retry_after = 1;
        return err_set(err, TG_EUNAVAIL, "database unavailable, retry shortly");
    }
    if (e == ER_LOCK_WAIT_TIMEOUT || e == ER_LOCK_DEADLOCK) {
        log_warn("store", "event=lock_failed errno=%u", e);
        err->retry_after = 1;
        return err_set(err, TG_EUNAVAIL, "database busy, retry shortly");
    }
    if (e == ER_DUP_ENTRY)
        return err_set(err, TG_ECONFLICT, "already exists");
    log_error("store", "event=statement_failed errno=%u msg=\"%s\"", e, msg);
    return err_set(err, TG_EINTERNAL, "database error");
}

static MYSQL_STMT *stmt_get(struct store_conn *c, const char *sql, struct tg_err *err)
{
    size_t h = ((uintptr_t)sql >> 3) & (STMT_CACHE - 1);
    MYSQL_STMT *st;

    for (size_t n = 0; n < STMT_CACHE; n++, h = (h + 1) & (STMT_CACHE - 1)) {
        if (c->stmts[h].sql == sql)
            return c->stmts[h].st;
        if (!c->stmts[h].sql)
            break;
    }
    if (c->stmts[h].sql) {
        /* Full: start the cache over rather than fail (statements are prepared again). */
        for (int i = 0; i < STMT_CACHE; i++) {
            if (c->stmts[i].st)
                mysql_stmt_close(c->stmts[i].st);
            c->stmts[i].st = NULL;
            c->stmts[i].sql = NULL;
        }
        h = ((uintptr_t)sql >> 3) & (STMT_CACHE - 1);
    }
    st = mysql_stmt_init(c->my);
    if (!st) {
        fail(c, mysql_errno(c->my), mysql_error(c->my), err);
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        fail(c, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        mysql_stmt_close(st);
        return NULL;
    }
    c->stmts[h].sql = sql;
    c->stmts[h].st = st;
    return st;
}

struct params {
    MYSQL_BIND bind[MAX_PARAMS];
    int64_t ints[MAX_PARAMS];
    unsigned long lens[MAX_PARAMS];
    my_bool nulls[MAX_PARAMS];
};

static int bind_params(struct params *pa, const char *fmt, va_list ap, struct tg_err *err)
{
    int n = 0;

    memset(pa, 0, sizeof(*pa));
    for (const char *f = fmt; f && *f; f++, n++) {
        MYSQL_BIND *b = &pa->bind[n];

        if (n >= MAX_PARAMS)
            return err_set(err, TG_EINTERNAL, "too many parameters");
        switch (*f) {
        case 'i':
        case 'u':
            pa->ints[n] = *f == 'i' ? va_arg(ap, int64_t) : va_arg(ap, int);
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->buffer = &pa->ints[n];
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            b->buffer_type = MYSQL_TYPE_STRING;
            pa->nulls[n] = s == NULL;
            b->buffer = (void *)s;
            pa->lens[n] = s ? (unsigned long)strlen(s) : 0;
            b->length = &pa->lens[n];
            b->is_null = &pa->nulls[n];
            break;
        }
        case 'b': {
            const void *p = va_arg(ap, const void *);
            size_t len = va_arg(ap, size_t);
            b->buffer_type = MYSQL_TYPE_BLOB;
            pa->nulls[n] = p == NULL;
            b->buffer = (void *)p;
            pa->lens[n] = (unsigned long)len;
            b->length = &pa->lens[n];
            b->is_null = &pa->nulls[n];
            break;
        }
        default:
            return err_set(err, TG_EINTERNAL, "bad parameter format");
        }
    }
    return n;
}

static MYSQL_STMT *run(struct store_conn *c, const char *sql, struct tg_err *err,
                       const char *fmt, va_list ap)
{
    struct params pa;
    MYSQL_STMT *st;
    int n;

    if (failpoint_hit()) {
        c->broken = 1;
        err->retry_after = 1;
        err_set(err, TG_EUNAVAIL, "database unavailable, retry shortly");
        return NULL;
    }
    c->used = 1;
    st = stmt_get(c, sql, err);
    if (!st)
        return NULL;
    n = bind_params(&pa, fmt, ap, err);
    if (n < 0)
        return NULL;
    if ((unsigned long)n != mysql_stmt_param_count(st)) {
        err_set(err, TG_EINTERNAL, "parameter count mismatch");
        return NULL;
    }
    if ((n && mysql_stmt_bind_param(st, pa.bind) != 0) || mysql_stmt_execute(st) != 0) {
        fail(c, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        return NULL;
    }
    return st;
}

int64_t store_exec(struct store_conn *c, const char *sql, struct tg_err *err,
                   const char *fmt, ...)
{
    MYSQL_STMT *st;
    va_list ap;
    int64_t rows;

    va_start(ap, fmt);
    st = run(c, sql, err, fmt, ap);
    va_end(ap);
    if (!st)
        return -1;
    rows = (int64_t)mysql_stmt_affected_rows(st);
    c->last_id = (int64_t)mysql_stmt_insert_id(st);
    return rows;
}

int64_t store_exec_rows(struct store_conn *c, const char *sql, struct tg_err *err,
                        const char *fmt, int rows, const struct store_val *vals)
{
    size_t nf = strlen(fmt), n = nf * (size_t)(rows > 0 ? rows : 0);
    MYSQL_BIND *bind = calloc(n ? n : 1, sizeof(*bind));
    unsigned long *lens = calloc(n ? n : 1, sizeof(*lens));
    my_bool *nulls = calloc(n ? n : 1, sizeof(*nulls));
    MYSQL_STMT *st = NULL;
    int64_t changed = -1;

    if (!bind || !lens || !nulls) {
        err_set(err, TG_EINTERNAL, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        char f = fmt[k % nf];
        if (f == 'i') {
            bind[k].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[k].buffer = (void *)&vals[k].i;
        } else if (f == 's') {
            nulls[k] = vals[k].s == NULL;
            lens[k] = vals[k].s ? (unsigned long)strlen(vals[k].s) : 0;
            bind[k].buffer_type = MYSQL_TYPE_STRING;
            bind[k].buffer = (void *)vals[k].s;
            bind[k].length = &lens[k];
            bind[k].is_null = &nulls[k];
        } else {
            err_set(err, TG_EINTERNAL, "bad parameter format");
            goto out;
        }
    }
    if (failpoint_hit()) {
        c->broken = 1;
        err->retry_after = 1;
        err_set(err, TG_EUNAVAIL, "database unavailable, retry shortly");
        goto out;
    }
    c->used = 1;
    st = stmt_get(c, sql, err);
    if (!st)
        goto out;
    if ((unsigned long)n != mysql_stmt_param_count(st)) {
        err_set(err, TG_EINTERNAL, "parameter count mismatch");
        goto out;
    }
    if ((n && mysql_stmt_bind_param(st, bind) != 0) || mysql_stmt_execute(st) != 0) {
        fail(c, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        goto out;
    }
    changed = (int64_t)mysql_stmt_affected_rows(st);
    c->last_id = (int64_t)mysql_stmt_insert_id(st);
out:
    free(bind);
    free(lens);
    free(nulls);
    return changed;
}

int64_t store_insert_id(struct store_conn *c)
{
    return c->last_id;
}

static void res_free_bufs(struct store_res *r)
{
    for (int i = 0; r->bufs && i < r->cols; i++)
        free(r->bufs[i]);
    free(r->bufs);
    free(r->bind);
    free(r->lens);
    free(r->nulls);
    free(r->caps);
}

void store_res_free(struct store_res *r)
{
    if (!r)
        return;
    mysql_stmt_free_result(r->st);
    res_free_bufs(r);
    free(r);
}

struct store_res *store_query(struct store_conn *c, const char *sql, struct tg_err *err,
                              const char *fmt, ...)
{
    struct store_res *r;
    va_list ap;

    va_start(ap, fmt);
    r = store_queryv(c, sql, err, fmt, ap);
    va_end(ap);
    return r;
}

int store_query_ints(struct store_conn *c, const char *sql, int64_t *out, int n,
                     struct tg_err *err, const char *fmt, ...)
{
    struct store_res *r;
    va_list ap;
    int rc;

    memset(out, 0, (size_t)n * sizeof(*out));
    va_start(ap, fmt);
    r = store_queryv(c, sql, err, fmt, ap);
    va_end(ap);
    if (!r)
        return -1;
    rc = store_next(r);
    for (int i = 0; rc == 1 && i < n; i++)
        out[i] = store_col_i64(r, i);
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

struct store_res *store_queryv(struct store_conn *c, const char *sql, struct tg_err *err,
                               const char *fmt, va_list ap)
{
    struct store_res *r;
    MYSQL_RES *meta;
    MYSQL_STMT *st;
    my_bool on = 1;

    st = run(c, sql, err, fmt, ap);
    if (!st)
        return NULL;
    mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
    if (mysql_stmt_store_result(st) != 0) {
        fail(c, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        return NULL;
    }
    meta = mysql_stmt_result_metadata(st);
    r = calloc(1, sizeof(*r));
    if (!meta || !r)
        goto oom;
    r->st = st;
    r->cols = (int)mysql_num_fields(meta);
    r->bind = calloc((size_t)r->cols, sizeof(*r->bind));
    r->bufs = calloc((size_t)r->cols, sizeof(*r->bufs));
    r->lens = calloc((size_t)r->cols, sizeof(*r->lens));
    r->nulls = calloc((size_t)r->cols, sizeof(*r->nulls));
    r->caps = calloc((size_t)r->cols, sizeof(*r->caps));
    if (!r->bind || !r->bufs || !r->lens || !r->nulls || !r->caps)
        goto oom;
    for (int i = 0; i < r->cols; i++) {
        MYSQL_FIELD *f = mysql_fetch_field_direct(meta, (unsigned int)i);
        r->caps[i] = (size_t)f->max_length + 1;
        if (r->caps[i] < 32)
            r->caps[i] = 32;
        r->bufs[i] = malloc(r->caps[i]);
        if (!r->bufs[i])
            goto oom;
        r->bind[i].buffer_type = MYSQL_TYPE_STRING;
        r->bind[i].buffer = r->bufs[i];
        r->bind[i].buffer_length = (unsigned long)r->caps[i];
        r->bind[i].length = &r->lens[i];
        r->bind[i].is_null = &r->nulls[i];
    }
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(st, r->bind) != 0) {
        fail(c, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        store_res_free(r);
        return NULL;
    }
    return r;
oom:
    if (meta)
        mysql_free_result(meta);
    if (r)
        res_free_bufs(r);
    free(r);
    mysql_stmt_free_result(st);
    err_set(err, TG_EINTERNAL, "out of memory");
    return NULL;
}

int store_next(struct store_res *r)
{
    int rc = mysql_stmt_fetch(r->st);

    if (rc == MYSQL_NO_DATA)
        return 0;
    if (rc == 1)
        return -1;
    /* Terminate strings; MYSQL_DATA_TRUNCATED cannot happen with max_length buffers. */
    for (int i = 0; i < r->cols; i++) {
        size_t n = r->lens[i] < r->caps[i] ? r->lens[i] : r->caps[i] - 1;
        r->bufs[i][n] = '\0';
    }
    return 1;
}

int store_col_null(const struct store_res *r, int col)
{
    return col < 0 || col >= r->cols || r->nulls[col];
}

int64_t store_col_i64(const struct store_res *r, int col)
{
    if (store_col_null(r, col))
        return 0;
    return strtoll(r->bufs[col], NULL, 10);
}

const char *store_col_str(const struct store_res *r, int col)
{
    return store_col_null(r, col) ? NULL : r->bufs[col];
}

size_t store_col_len(const struct store_res *r, int col)
{
    return store_col_null(r, col) ? 0 : r->lens[col];
}

int store_res_cols(const struct store_res *r)
{
    return r->cols;
}

int store_query_i64(struct store_conn *c, const char *sql, int64_t *out,
                    struct tg_err *err, const char *fmt, ...)
{
    MYSQL_STMT *st;
    MYSQL_BIND b;
    char buf[32];
    unsigned long len = 0;
    my_bool isnull = 0;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    st = run(c, sql, err, fmt, ap);
    va_end(ap);
    if (!st)
        return -1;
    {
        memset(&b, 0, sizeof(b));
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = buf;
        b.buffer_length = sizeof(buf);
        b.length = &len;
        b.is_null = &isnull;
        if (mysql_stmt_bind_result(st, &b) != 0 || mysql_stmt_store_result(st) != 0) {
            fail(c, mysql_stmt_errno(st), mysql_stmt_error(st), err);
            mysql_stmt_free_result(st);
            return -1;
        }
        rc = mysql_stmt_fetch(st);
        if (rc == MYSQL_NO_DATA) {
            rc = 0;
        } else if (rc == 1) {
            rc = fail(c, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        } else {
            buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
            *out = isnull ? 0 : strtoll(buf, NULL, 10);
            rc = 1;
        }
        mysql_stmt_free_result(st);
    }
    return rc;
}

static int simple(struct store_conn *c, const char *q, struct tg_err *err)
{
    if (failpoint_hit()) {
        c->broken = 1;
        err->retry_after = 1;
        return err_set(err, TG_EUNAVAIL, "database unavailable, retry shortly");
    }
    c->used = 1;
    if (mysql_real_query(c->my, q, strlen(q)) != 0)
        return fail(c, mysql_errno(c->my), mysql_error(c->my), err);
    return 0;
}

int store_begin(struct store_conn *c, struct tg_err *err)
{
    if (simple(c, "START TRANSACTION", err) != 0)
        return -1;
    c->in_tx = 1;
    return 0;
}

int store_commit(struct store_conn *c, struct tg_err *err)
{
    int rc = simple(c, "COMMIT", err);

    c->in_tx = 0;
    return rc;
}

void store_rollback(struct store_conn *c)
{
    struct tg_err err = {0};

    if (c->my && !c->broken)
        simple(c, "ROLLBACK", &err);
    c->in_tx = 0;
}

int store_exec_script(struct store_conn *c, const char *script, struct tg_err *err)
{
    const char *p = script;

    c->used = 1;
    while (*p) {
        const char *end = p;
        char *stmt;
        int blank = 1;

        /* A statement ends at ';' followed by end of line; '--' comments are skipped. */
        while (*end &&
               !(*end == ';' && (end[1] == '\n' || end[1] == '\0' || end[1] == '\r')))
            end++;
        for (const char *q = p; q < end; q++) {
            if (*q == '-' && q[1] == '-') {
                while (q < end && *q != '\n')
                    q++;
                continue;
            }
            if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t')
                blank = 0;
        }
        if (!blank) {
            stmt = strndup(p, (size_t)(end - p));
            if (!stmt)
                return err_set(err, TG_EINTERNAL, "out of memory");
            if (mysql_real_query(c->my, stmt, strlen(stmt)) != 0) {
                err_set(err, TG_EINTERNAL, "SQL failed: %.120s", mysql_error(c->my));
                free(stmt);
                return -1;
            }
            free(stmt);
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

int store_ping(struct store_pool *p)
{
    struct tg_err err = {0};
    struct store_conn *c = store_get(p, &err);
    int rc;

    if (!c)
        return -1;
    c->used = 1;
    rc = mysql_ping(c->my) == 0 ? 0 : -1;
    if (rc != 0)
        c->broken = 1;
    store_put(p, c);
    return rc;
}

static void (*key_change_hook)(void);

void store_on_key_change(void (*fn)(void))
{
    key_change_hook = fn;
}

void store_key_changed(void)
{
    if (key_change_hook)
        key_change_hook();
}

int store_global_init(void)
{
    return mysql_library_init(0, NULL, NULL) == 0 ? 0 : -1;
}

void store_global_cleanup(void)
{
    mysql_library_end();
}
