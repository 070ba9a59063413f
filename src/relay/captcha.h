/* captcha: server-side check of a Cloudflare Turnstile or hCaptcha token (the
 * registration anti-bot check when one is configured instead of the proof of work). */
#ifndef TG_CAPTCHA_H
#define TG_CAPTCHA_H

#include <stddef.h>

#include "util/err.h"

enum captcha_provider { CAPTCHA_NONE, CAPTCHA_TURNSTILE, CAPTCHA_HCAPTCHA };

/* "turnstile", "hcaptcha", or "" / "off" / "none" for none. Returns 0 or -1. */
int captcha_provider_parse(const char *name, enum captcha_provider *out);
/* The verdict in a siteverify answer ({"success": true, ...}): 1 passed, 0 not (also for
 * anything that is not such JSON). */
int captcha_verdict(const char *body, size_t len);
/* Ask the provider's siteverify endpoint about token (form POST of secret, response and
 * remoteip; 10 s budget). Returns 1 passed, 0 refused (err TG_EINVAL naming
 * "captcha_token"), -1 when the provider cannot be asked (err TG_EUPSTREAM). */
int captcha_verify(enum captcha_provider p, const char *secret, const char *token,
                   const char *remote_ip, struct tg_err *err);

#endif
