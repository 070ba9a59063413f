/* store: the MySQL connection pool, prepared statements and transactions. SQL text lives
 * only in store/; each statement is a `static const char SQL_X[]` prepared once per
 * connection (cached by the string's address) and again after a reconnect. */
#ifndef TG_STORE_H
#define TG_STORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/err.h"

struct store_pool;
struct store_conn;
struct store_res;

/* A pool of up to cfg->db_pool_size connections (and one for the background thread),
 * opened lazily. Create it in each worker
 * process after fork (never share across fork). Returns NULL on allocation failure. */
struct store_pool *store_pool_new(const struct tg_config *cfg);
void store_pool_free(struct store_pool *p);

/* Borrow a connection for one short unit of work (never while waiting on an upstream).
 * Waits up to db_timeout for a free one, connects if needed. NULL with err TG_EUNAVAIL
 * when the database is unreachable or the pool stays busy. */
struct store_conn *store_get(struct store_pool *p, struct tg_err *err);
/* Mark the calling thread as the process's background thread: its store_get takes the
 * one connection kept for it (beyond db_pool_size) first, so it never waits behind
 * request threads. One such thread per process. */
void store_thread_background(void);
/* Give it back; a connection that saw a lost-connection error is closed and reopened by
 * the next borrower. Rolls back an open transaction. Accepts NULL. */
void store_put(struct store_pool *p, struct store_conn *c);

/* Pool figures for /metrics and status. */
struct store_pool_stats {
    int size, open, in_use, waiting;
    uint64_t errors, reconnects;
};
void store_pool_stats(struct store_pool *p, struct store_pool_stats *out);

/* Run a prepared statement. fmt describes the parameters, one char each:
 *   'i' int64_t, 'u' int (as int64), 's' const char * (NULL binds SQL NULL),
 *   'b' const void *, size_t (binary; NULL pointer binds SQL NULL).
 * Returns the number of changed rows (>= 0), or -1 with err set (TG_EUNAVAIL for a lost
 * connection, lock wait timeout or deadlock; TG_ECONFLICT for a duplicate key; else
 * TG_EINTERNAL). */
int64_t store_exec(struct store_conn *c, const char *sql, struct tg_err *err,
                   const char *fmt, ...);
/* One parameter of store_exec_rows: i for an 'i' place, s for an 's' place (NULL binds
 * SQL NULL). */
struct store_val {
    int64_t i;
    const char *s;
};
/* store_exec for a statement with rows groups of parameters (a multi-row INSERT): fmt
 * describes one group ('i' or 's' each), vals holds rows x strlen(fmt) values, group by
 * group. sql keys the statement cache by its address: it must live as long as the
 * process (static, or built once). Returns the changed rows or -1 as store_exec. */
int64_t store_exec_rows(struct store_conn *c, const char *sql, struct tg_err *err,
                        const char *fmt, int rows, const struct store_val *vals);
/* AUTO_INCREMENT id of the last insert by store_exec on this connection. */
int64_t store_insert_id(struct store_conn *c);

/* Run a prepared query and buffer its rows. Parameters as store_exec. Returns a result to
 * walk with store_next and free with store_res_free, or NULL with err set. */
struct store_res *store_query(struct store_conn *c, const char *sql, struct tg_err *err,
                              const char *fmt, ...);
struct store_res *store_queryv(struct store_conn *c, const char *sql, struct tg_err *err,
                               const char *fmt, va_list ap);
/* Run a query of at most one row and copy its first n columns as integers into out
 * (zeroed first, so a missing row reads as zeros). Returns 1 row, 0 none, -1 error. */
int store_query_ints(struct store_conn *c, const char *sql, int64_t *out, int n,
                     struct tg_err *err, const char *fmt, ...);
/* 1 when positioned on a row, 0 at the end, -1 on error. */
int store_next(struct store_res *r);
int store_col_null(const struct store_res *r, int col);
/* Column as int64 (0 for NULL or non-numbers). */
int64_t store_col_i64(const struct store_res *r, int col);
/* Column as a NUL-terminated string borrowed until the next store_next (NULL for NULL).
 */
const char *store_col_str(const struct store_res *r, int col);
size_t store_col_len(const struct store_res *r, int col);
int store_res_cols(const struct store_res *r);
void store_res_free(struct store_res *r);

/* Query one row, one integer column. Returns 1 found (*out set), 0 none, -1 error. */
int store_query_i64(struct store_conn *c, const char *sql, int64_t *out,
                    struct tg_err *err, const char *fmt, ...);

int store_begin(struct store_conn *c, struct tg_err *err);
int store_commit(struct store_conn *c, struct tg_err *err);
void store_rollback(struct store_conn *c);

/* Plain text SQL from trusted files (migrations): run each ';'-terminated statement.
 * Returns 0 or -1. */
int store_exec_script(struct store_conn *c, const char *script, struct tg_err *err);
/* Ping the server (1 s budget). Returns 0 if reachable. */
int store_ping(struct store_pool *p);

/* Test builds: TG_FAILPOINT=db:N fails the Nth statement in this process. */
void store_failpoint_init(void);

/* Key and account changes (status, secret, limits) call the hook set here, so that the
 * server can drop cached API keys at once on every worker of this host. Set before fork.
 */
void store_on_key_change(void (*fn)(void));
void store_key_changed(void);

/* Process-wide client library setup: once in main before any thread or fork. */
int store_global_init(void);
void store_global_cleanup(void);

#endif
