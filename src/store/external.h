/* external: users that partners mirror by external_user_id, and the usage and top-up
 * figures the partner API reports. Every lookup is scoped to one partner. */
#ifndef TG_STORE_EXTERNAL_H
#define TG_STORE_EXTERNAL_H

#include <stdint.h>

#include "store/store.h"

/* Fields a sync may set. */
enum ext_field_id {
    EXT_DISPLAY_NAME, /* the partner's username for the user */
    EXT_EMAIL,        /* users.contact_email */
    EXT_PHONE,
    EXT_WECHAT_OPENID,
    EXT_WECHAT_UNIONID,
    EXT_ALIPAY_USERID,
    EXT_LOGIN_TYPE, /* wechat | alipay | sms | email */
    EXT_DATA,       /* JSON object text */
    EXT_STATUS,     /* active | suspended */
    EXT_NFIELDS
};

struct ext_fields {
    struct {
        int set;           /* 1: write value */
        const char *value; /* borrowed; NULL stores SQL NULL */
    } f[EXT_NFIELDS];
};

struct ext_user {
    int64_t id, partner_id;
    char external_user_id[401];   /* 100 characters of up to 4 bytes */
    char username[65];            /* tollgate's own login name (generated) */
    char field[EXT_NFIELDS][129]; /* "" = NULL; except EXT_DATA (see external_data) */
    char email[255];              /* EXT_EMAIL is kept here (longer than 128) */
    int64_t quota, used_quota, request_count;
    char created_at[32], updated_at[32], last_used_at[32]; /* "" = never */
    char *external_data;                                   /* owned JSON text, or NULL */
};

/* Release what a filled ext_user owns. Accepts NULL. */
void store_ext_user_clear(struct ext_user *u);
/* The user (deleted ones too: check status) of partner_id with this external id. Returns
 * 1 found, 0 none, -1 error. Clear u with store_ext_user_clear after 1. */
int store_ext_user_get(struct store_conn *c, int64_t partner_id, const char *external_id,
                       struct ext_user *u, struct tg_err *err);
/* Create an external user with the fields that are set (others NULL or default) and the
 * given unique login name. Returns the id, or -1 (TG_ECONFLICT: the external id or the
 * name exists). */
int64_t store_ext_user_insert(struct store_conn *c, int64_t partner_id,
                              const char *external_id, const char *username,
                              const struct ext_fields *f, struct tg_err *err);
/* Write the set fields of a user that is not deleted. Returns changed rows (0: nothing
 * differed) or -1. */
int64_t store_ext_user_update(struct store_conn *c, int64_t user_id,
                              const struct ext_fields *f, struct tg_err *err);
/* An audit row by a partner about a user. Returns 0 or -1. */
int store_ext_audit(struct store_conn *c, int64_t partner_id, const char *action,
                    int64_t user_id, const char *detail, const char *ip,
                    struct tg_err *err);

/* Resolve a day range: from and to are "YYYY-MM-DD" or NULL (to: today; from: 29 days
 * before to). Writes the resolved dates and the number of days between them. Returns 1,
 * 0 when a date is not a real date, -1 error. */
int store_ext_range(struct store_conn *c, const char *from, const char *to,
                    char from_out[11], char to_out[11], int64_t *days,
                    struct tg_err *err);

struct ext_usage_row {
    char key[129]; /* day "YYYY-MM-DD" or model */
    int64_t requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
    int64_t quota;
};
enum ext_usage_by { EXT_BY_DAY, EXT_BY_MODEL };
/* Usage of a user from day `from` to day `to` (inclusive), grouped by day (ascending) or
 * by model (most quota first, at most 200). Returns the row count or -1. */
int store_ext_usage(struct store_conn *c, int64_t user_id, const char *from,
                    const char *to, enum ext_usage_by by,
                    void (*fn)(const struct ext_usage_row *r, void *ctx), void *ctx,
                    struct tg_err *err);

struct ext_topup_row {
    int64_t id, amount_micro, quota;
    char source[49];
    char payment_id[129];
    char payment_method[65];
    char created_at[32];
};
/* Top-ups of a user in the day range, oldest first (at most limit). Returns the count or
 * -1. */
int store_ext_topups(struct store_conn *c, int64_t user_id, const char *from,
                     const char *to, int limit,
                     void (*fn)(const struct ext_topup_row *t, void *ctx), void *ctx,
                     struct tg_err *err);
/* Totals of those top-ups (all of them, not only the first limit). Returns 0 or -1. */
int store_ext_topup_totals(struct store_conn *c, int64_t user_id, const char *from,
                           const char *to, int64_t *count, int64_t *micro, int64_t *quota,
                           struct tg_err *err);

#endif
