/* err: recording the first error of a request. */
#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

int err_set_field(struct tg_err *err, enum tg_code code, const char *field,
                  const char *fmt, ...)
{
    va_list ap;

    if (!err || err->code != TG_OK)
        return -1;
    err->code = code;
    err->field = field;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int err_is_code(enum tg_code code)
{
    return code > TG_OK && code < TG_CODE_COUNT;
}

const char *err_name(enum tg_code code)
{
    /* clang-format off */
    static const char *const names[TG_CODE_COUNT] = {
        [TG_OK] = "ok", [TG_EINVAL] = "invalid", [TG_ETOOBIG] = "too_big",
        [TG_EAUTH] = "auth", [TG_EDENIED] = "denied", [TG_ENOTFOUND] = "not_found",
        [TG_EMETHOD] = "method", [TG_ECONFLICT] = "conflict", [TG_ELIMIT] = "rate_limit",
        [TG_EQUOTA] = "quota", [TG_EUPSTREAM] = "upstream", [TG_ETIMEOUT] = "timeout",
        [TG_EUNAVAIL] = "unavailable", [TG_EOVERLOAD] = "overloaded",
        [TG_EINTERNAL] = "internal",
    };
    /* clang-format on */
    return code >= TG_OK && code < TG_CODE_COUNT ? names[code] : "internal";
}
