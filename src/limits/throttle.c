/* throttle: login and mail failure counters with escalating blocks. */
#include <ctype.h>
#include <string.h>

#include "limits/throttle.h"
#include "store/ratelimit.h"
#include "util/log.h"
#include "util/str.h"

/* clang-format off */
static const struct throttle_policy {
    const char *prefix;
    int window_s, max_failures, base_block_s, max_block_s;
} policies[] = {
    /* 5 wrong passwords in 15 minutes block the account for 30 s, doubling per extra
     * failure up to 15 minutes; an address gets 20 before the same treatment. */
    [THROTTLE_ACCOUNT] = {"acct:", 900, 5, 30, 900},
    [THROTTLE_IP]      = {"ip:",   900, 20, 60, 900},
    /* At most 3 mails an hour to one address. */
    [THROTTLE_MAIL]    = {"mail:", 3600, 3, 3600, 3600},
};
/* clang-format on */

void throttle_subject(enum throttle_kind kind, const char *value, char *out, size_t cap)
{
    size_t n, i;

    str_copy(out, cap, policies[kind].prefix);
    n = strlen(out);
    for (i = 0; value && value[i] && n + 1 < cap; i++)
        out[n++] = (char)tolower((unsigned char)value[i]);
    out[n] = '\0';
}

static int fail_one(struct store_conn *c, enum throttle_kind kind, const char *value,
                    int64_t now_s, struct tg_err *err)
{
    const struct throttle_policy *p = &policies[kind];
    char subject[300];

    throttle_subject(kind, value, subject, sizeof(subject));
    return store_throttle_fail(c, subject, now_s, p->window_s, p->max_failures,
                               p->base_block_s, p->max_block_s, err);
}

static int blocked_until(struct store_conn *c, enum throttle_kind kind, const char *value,
                         int64_t now_s, int64_t *until, struct tg_err *err)
{
    char subject[300];

    *until = 0;
    if (!value || !*value)
        return 0;
    throttle_subject(kind, value, subject, sizeof(subject));
    return store_throttle_until(c, subject, now_s, until, err);
}

int throttle_login_check(struct store_conn *c, const char *login, const char *ip,
                         struct tg_err *err)
{
    int64_t now_s = str_now_us() / 1000000, a = 0, b = 0, until;

    if (blocked_until(c, THROTTLE_ACCOUNT, login, now_s, &a, err) != 0 ||
        blocked_until(c, THROTTLE_IP, ip, now_s, &b, err) != 0)
        return -1;
    until = a > b ? a : b;
    if (until <= now_s)
        return 0;
    err->retry_after = (int)(until - now_s);
    log_info("throttle", "event=login_blocked by=%s retry_after=%d",
             a >= b ? "account" : "ip", err->retry_after);
    return err_set_field(err, TG_ELIMIT, a >= b ? "login" : NULL,
                         "too many failed logins; retry in %d s", err->retry_after);
}

int throttle_login_failed(struct store_conn *c, const char *login, const char *ip,
                          struct tg_err *err)
{
    int64_t now_s = str_now_us() / 1000000;

    if (login && *login && fail_one(c, THROTTLE_ACCOUNT, login, now_s, err) != 0)
        return -1;
    if (ip && *ip && fail_one(c, THROTTLE_IP, ip, now_s, err) != 0)
        return -1;
    return 0;
}

int throttle_login_ok(struct store_conn *c, const char *login, struct tg_err *err)
{
    char subject[300];

    throttle_subject(THROTTLE_ACCOUNT, login, subject, sizeof(subject));
    return store_throttle_clear(c, subject, err);
}

int throttle_mail_allow(struct store_conn *c, const char *address, struct tg_err *err)
{
    int64_t now_s = str_now_us() / 1000000, until = 0;

    if (blocked_until(c, THROTTLE_MAIL, address, now_s, &until, err) != 0)
        return -1;
    if (until > now_s)
        return 0;
    return fail_one(c, THROTTLE_MAIL, address, now_s, err) != 0 ? -1 : 1;
}
