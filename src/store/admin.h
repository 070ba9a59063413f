/* admin: administrators' writes and reads that no other module owns: the audit log,
 * guarded quota adjustments and the usage log search. */
#ifndef TG_STORE_ADMIN_H
#define TG_STORE_ADMIN_H

#include <stdint.h>

#include "store/store.h"

/* Insert an audit_log row. actor_user_id 0 stores NULL; target_id, detail (JSON text) and
 * ip may be NULL. Returns 0 or -1. */
int store_admin_audit(struct store_conn *c, int64_t actor_user_id, const char *action,
                      const char *target_type, const char *target_id, const char *detail,
                      const char *ip, struct tg_err *err);

struct quota_adjust {
    int64_t user_id;
    int64_t delta;         /* quota units, != 0; negative takes away */
    const char *reason;    /* may be NULL */
    int64_t actor_user_id; /* for the audit row */
    const char *ip;        /* for the audit row; may be NULL */
};

/* Add a->delta to the user's balance with a guarded statement (the balance never goes
 * below zero), a ledger row of kind 'adjust' and an audit row, in one transaction.
 * *balance_after gets the new balance (or the current one when short). Returns 1 applied,
 * 0 no such user (or deleted), 2 the balance is short (nothing changed), -1 error. */
int store_quota_adjust(struct store_conn *c, const struct quota_adjust *a,
                       int64_t *balance_after, struct tg_err *err);

/* Usage log search; zero / empty fields do not filter. from and to are MySQL datetimes
 * ("YYYY-MM-DD HH:MM:SS", UTC): from <= created_at < to. */
struct log_filter {
    int64_t user_id, key_id, channel_id;
    const char *model; /* NULL or "" = any */
    int status;        /* HTTP status; 0 = any */
    const char *from, *to;
    int limit, offset;
};

struct log_row {
    int64_t id;
    char request_id[41];
    int64_t user_id, key_id, channel_id; /* 0 when NULL */
    char service[17];
    char model[129];
    char endpoint[65];
    int64_t input, output, cache_read, cache_write, quota;
    int duration_ms, ttfb_ms, is_stream, status, estimated;
    char error_class[33];
    char client_ip[46];
    char created_at[32]; /* ISO 8601 with milliseconds, UTC */
};

/* Rows matching f, newest first. Calls fn for each. Returns the count or -1. */
int store_logs_search(struct store_conn *c, const struct log_filter *f,
                      void (*fn)(const struct log_row *r, void *ctx), void *ctx,
                      struct tg_err *err);

#endif
