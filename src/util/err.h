/* err: an error code plus a client-safe message, carried up to the one place that maps
 * it. */
#ifndef TG_ERR_H
#define TG_ERR_H

/* clang-format off */
enum tg_code { TG_OK, TG_EINVAL, TG_ETOOBIG, TG_EAUTH, TG_EDENIED, TG_ENOTFOUND,
               TG_EMETHOD, TG_ECONFLICT, TG_ELIMIT, TG_EQUOTA, TG_EUPSTREAM,
               TG_ETIMEOUT, TG_EUNAVAIL, TG_EOVERLOAD, TG_EINTERNAL, TG_CODE_COUNT };
/* clang-format on */

struct tg_err {
    enum tg_code code;
    const char *field; /* offending request field (a literal), or NULL */
    int retry_after;   /* seconds, for TG_ELIMIT / TG_EUNAVAIL; 0 = none */
    char msg[200];     /* shown to the client: never SQL, secrets or upstream bodies */
};

/* Record an error unless one is already recorded. Always returns -1. */
int err_set_field(struct tg_err *err, enum tg_code code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define err_set(err, code, ...) err_set_field((err), (code), NULL, __VA_ARGS__)

/* 1 if code is a valid error code (not TG_OK). */
int err_is_code(enum tg_code code);
/* Stable short name of a code ("invalid", "quota", ...), for logs and usage rows. */
const char *err_name(enum tg_code code);

#endif
