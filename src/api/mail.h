/* mail: verification and password-reset mail. Delivered as files into mail_dir when it is
 * set (the local stack: the flow can be followed offline), else through SMTP when
 * smtp_url is set; with neither, the mail is dropped with a warning. */
#ifndef TG_MAIL_H
#define TG_MAIL_H

#include "config/config.h"
#include "util/err.h"

/* Send a plain-text UTF-8 mail. to and subject must not hold line breaks (the caller
 * validated the address; subjects are ours). Returns 0, or -1 with err set (nothing is
 * logged of the body: it holds tokens). */
int mail_send(const struct tg_config *cfg, const char *to, const char *subject,
              const char *body, struct tg_err *err);

#endif
