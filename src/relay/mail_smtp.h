/* mail_smtp: hand one message to an SMTP server with libcurl. */
#ifndef TG_MAIL_SMTP_H
#define TG_MAIL_SMTP_H

#include <stddef.h>

#include "util/err.h"

/* Send msg (a complete RFC 5322 message with CRLF line ends, len bytes) from `from` to
 * `to` through url ("smtp://host:587" or "smtps://user:pass@host:465"; STARTTLS is used
 * when the server offers it and required for smtps). Blocks up to 30 s. Returns 0, or -1
 * with err TG_EUPSTREAM (the URL and its password are never logged). */
int mail_smtp_send(const char *url, const char *from, const char *to, const char *msg,
                   size_t len, struct tg_err *err);

#endif
