/* upstream: libcurl transfers on a per-thread handle, with our own first-byte and idle
 * deadlines and the address check on every connect. */
#include "config.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "relay/upstream.h"
#include "relay/urlcheck.h"
#include "util/str.h"

/* libcurl calls the progress function on every turn of its loop, many times per call;
 * the caller's tick (a poll() on the client's socket) runs at most this often. */
#define TICK_EVERY_US 100000 /* client-gone check and keep-alive pings */

struct xfer {
    struct upstream_call *u;
    CURL *h;
    int64_t start_us, last_data_us, last_tick_us;
    int timed_out;
    int stopped;
};

/* Easy handles are pooled per process, last in first out: a call takes the handle used
 * most recently, whose connection to the upstream is most likely still open. (A handle
 * per thread would scatter the calls over as many handles as there are threads, and
 * nearly every call would open a new connection; libcurl does not support one connection
 * cache shared by concurrent threads.) An easy handle is used by one thread at a time. */
#define IDLE_HANDLES 256

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static CURL *idle_handles[IDLE_HANDLES];
static int idle_count;

static CURL *handle_take(void)
{
    CURL *h = NULL;

    pthread_mutex_lock(&pool_mu);
    if (idle_count > 0)
        h = idle_handles[--idle_count];
    pthread_mutex_unlock(&pool_mu);
    if (!h)
        return curl_easy_init();
    curl_easy_reset(h); /* keeps the connection cache */
    return h;
}

static void handle_give(CURL *h)
{
    pthread_mutex_lock(&pool_mu);
    if (idle_count < IDLE_HANDLES) {
        idle_handles[idle_count++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&pool_mu);
    if (h)
        curl_easy_cleanup(h); /* more idle handles than needed: close its connections */
}

static size_t on_header(char *buf, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    size_t len = size * n;
    char line[256];

    if (len < sizeof(line)) {
        memcpy(line, buf, len);
        line[len] = '\0';
        if (strncasecmp(line, "HTTP/", 5) == 0) {
            x->u->retry_after = 0; /* a new response (after 100-continue) */
            x->u->content_type[0] = '\0';
        } else if (strncasecmp(line, "retry-after:", 12) == 0) {
            x->u->retry_after = (int)strtol(line + 12, NULL, 10) > 0
                                    ? (int)strtol(line + 12, NULL, 10)
                                    : 0;
        } else if (strncasecmp(line, "content-type:", 13) == 0) {
            const char *v = line + 13;
            while (*v == ' ')
                v++;
            snprintf(x->u->content_type, sizeof(x->u->content_type), "%.*s",
                     (int)strcspn(v, "\r\n"), v);
        }
    }
    if (!x->u->ttfb_us)
        x->u->ttfb_us = str_mono_us() - x->start_us;
    x->last_data_us = str_mono_us();
    return len;
}

static size_t on_write(char *buf, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    size_t len = size * n;
    long status = 0;

    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    x->u->status = status;
    x->u->got_body = 1;
    x->last_data_us = str_mono_us();
    if (x->u->on_body(x->u->ctx, status, buf, len) != 0) {
        x->stopped = 1;
        return 0; /* CURLE_WRITE_ERROR: curl closes the upstream connection */
    }
    return len;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    struct xfer *x = ctx;
    const struct upstream_call *u = x->u;
    int64_t now = str_mono_us();

    (void)dt, (void)dn, (void)ut, (void)un;
    if (u->on_pass && u->on_pass(u->ctx) != 0) {
        x->stopped = 1;
        return 1;
    }
    if (!u->ttfb_us && now - x->start_us > (int64_t)u->first_byte_timeout * 1000000) {
        x->timed_out = 1;
        return 1;
    }
    if (u->ttfb_us && now - x->last_data_us > (int64_t)u->idle_timeout * 1000000) {
        x->timed_out = 1;
        return 1;
    }
    if (u->on_tick && now - x->last_tick_us >= TICK_EVERY_US) {
        x->last_tick_us = now;
        if (u->on_tick(u->ctx) == 0)
            return 0;
        x->stopped = 1;
        return 1;
    }
    return 0;
}

/* Every connect goes through here: the address about to be used must be allowed (this
 * also defeats DNS rebinding and odd spellings of private addresses). */
static curl_socket_t on_open(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct xfer *x = ctx;

    (void)purpose;
    if (!urlcheck_sockaddr_ok(x->u->cfg, &a->addr)) {
        snprintf(x->u->error, sizeof(x->u->error), "upstream address not allowed");
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static struct curl_slist *header_list(const char *const *headers)
{
    struct curl_slist *l = NULL, *t;

    for (int i = 0; headers && headers[i]; i++) {
        t = curl_slist_append(l, headers[i]);
        if (!t) {
            curl_slist_free_all(l);
            return NULL;
        }
        l = t;
    }
    /* Drop curl's defaults that upstreams do not need. */
    t = curl_slist_append(l, "Expect:");
    return t ? t : l;
}

enum upstream_result upstream_perform(struct upstream_call *u)
{
    struct xfer x = {.u = u};
    struct curl_slist *hl;
    CURLcode rc;
    char eb[CURL_ERROR_SIZE] = "";

    x.h = handle_take();
    if (!x.h) {
        snprintf(u->error, sizeof(u->error), "curl init failed");
        return UP_IO;
    }
    hl = header_list(u->headers);
    x.start_us = x.last_data_us = x.last_tick_us = str_mono_us(); /* first tick later */
    u->status = 0;
    u->ttfb_us = 0;
    u->got_body = 0;
    curl_easy_setopt(x.h, CURLOPT_URL, u->url);
    curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, hl);
    if (u->body) {
        curl_easy_setopt(x.h, CURLOPT_POST, 1L);
        curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, u->body);
        curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->body_len);
    }
    curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT, (long)u->connect_timeout);
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT, (long)u->total_timeout);
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x.h, CURLOPT_PROTOCOLS_STR,
                     u->cfg->allow_http_upstream ? "http,https" : "https");
    curl_easy_setopt(x.h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(x.h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(x.h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(x.h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(x.h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(x.h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(x.h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(x.h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(x.h, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(x.h, CURLOPT_OPENSOCKETFUNCTION, on_open);
    curl_easy_setopt(x.h, CURLOPT_OPENSOCKETDATA, &x);
    curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, eb);
    curl_easy_setopt(x.h, CURLOPT_USERAGENT, "tollgate/" PACKAGE_VERSION);
    rc = curl_easy_perform(x.h);
    if (!u->status)
        curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &u->status);
    curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, NULL);
    handle_give(x.h);
    curl_slist_free_all(hl);
    if (rc == CURLE_OK)
        return UP_OK;
    if (!u->error[0])
        snprintf(u->error, sizeof(u->error), "%s", curl_easy_strerror(rc));
    if (x.stopped)
        return UP_STOPPED;
    if (x.timed_out || rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(u->error, sizeof(u->error), "upstream timed out");
        return UP_TIMEOUT;
    }
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_UNSUPPORTED_PROTOCOL ||
        (rc == CURLE_SSL_CONNECT_ERROR && !u->ttfb_us))
        return UP_CONNECT;
    return UP_IO;
}
