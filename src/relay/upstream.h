/* upstream: one HTTP call to a channel with libcurl, delivering the response to callbacks
 * as it arrives, with the connect, first-byte, idle and total deadlines. */
#ifndef TG_UPSTREAM_H
#define TG_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

enum upstream_result {
    UP_OK,      /* the transfer completed */
    UP_CONNECT, /* could not connect (or the address was refused) */
    UP_TIMEOUT, /* connect, first byte, idle or total deadline passed */
    UP_STOPPED, /* the body callback asked to stop (e.g. the client left) */
    UP_IO,      /* the upstream cut the transfer or sent garbage */
};

struct upstream_call {
    /* in */
    const struct tg_config *cfg;
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines */
    const char *body;
    size_t body_len;
    int connect_timeout, first_byte_timeout, idle_timeout, total_timeout; /* seconds */
    /* Called with each piece of the body as it arrives; status is the HTTP status.
     * Return 0 to go on, non-zero to stop (UP_STOPPED). */
    int (*on_body)(void *ctx, long status, const char *data, size_t len);
    /* Called after libcurl has passed on what a read brought (all the pieces of it), and
     * on every other turn of its loop; may be NULL. Return non-zero to stop. */
    int (*on_pass)(void *ctx);
    /* Called at most every 100 ms while the transfer runs; return non-zero to stop. */
    int (*on_tick)(void *ctx);
    void *ctx;
    /* out */
    long status;
    int retry_after; /* from the upstream's Retry-After, seconds */
    char content_type[64];
    int64_t ttfb_us; /* to the first response byte */
    int got_body;    /* at least one body byte arrived */
    char error[128]; /* what went wrong, safe to log (no secrets) */
};

/* Run the call on this thread's reused handle (keeps upstream connections alive). */
enum upstream_result upstream_perform(struct upstream_call *u);

#endif
