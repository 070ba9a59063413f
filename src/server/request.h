/* request: one FastCGI request as the handlers see it, and the response writers.
 * <fcgiapp.h> stays inside server/; handlers use only these functions. */
#ifndef TG_REQUEST_H
#define TG_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct tg_config;
struct store_pool;
struct route;
struct apikey_info;

enum dialect { DIALECT_OPENAI, DIALECT_ANTHROPIC, DIALECT_PORTAL };

/* Process-wide state, built before the threads start and read-only after (the pool locks
 * inside its own API). */
struct tg_app {
    const struct tg_config *cfg;
    struct store_pool *pool;
    int64_t started_us; /* wall clock at master start */
    int worker_index;
    volatile int draining; /* set when a drain began: handlers finish, no new streams */
};

/* Who the router authenticated (filled before the handler runs). */
struct tg_principal {
    int64_t user_id;
    int64_t key_id;     /* API key calls */
    int64_t session_id; /* portal sessions */
    int64_t partner_id; /* signed partner calls */
    int is_admin;
    struct apikey_info *key; /* owned: the key's limits and permissions (API key calls) */
};

#define REQUEST_MAX_PARAMS 4

struct tg_request {
    struct tg_app *app; /* borrowed */
    void *fcgx;         /* FCGX_Request *, server/ only */
    const char *method; /* borrowed from the FastCGI environment */
    char path[1024];    /* REQUEST_URI without the query */
    const char *query;  /* after '?', or "" */
    char id[33];        /* request id, hex */
    char client_ip[64];
    struct buf body; /* owned, bounded by max_body_bytes */
    enum dialect dialect;
    const struct route *route; /* borrowed from the route table */
    int route_index;
    const char *params[REQUEST_MAX_PARAMS]; /* owned copies of :id style path parts */
    int nparams;
    struct tg_principal who;
    struct buf extra_headers; /* owned: "Name: value\r\n" lines to add to the response */
    int started;              /* headers written: the status can no longer change */
    int status;
    int client_gone;         /* a write failed: stop sending */
    int64_t t_start_us;      /* monotonic */
    int64_t t_first_byte_us; /* monotonic, 0 until the first body byte */
    int64_t bytes_out;
};

/* A FastCGI parameter such as "HTTP_AUTHORIZATION" or "CONTENT_TYPE", or NULL. */
const char *request_param(const struct tg_request *req, const char *name);
/* A request header by its HTTP name ("anthropic-version"), or NULL. */
const char *request_header(const struct tg_request *req, const char *name);
/* The i-th :param of the matched route (borrowed), or NULL. */
const char *request_path_param(const struct tg_request *req, int i);
/* A query string value (URL-decoded, written into out). Returns 1 found, 0 absent. */
int request_query(const struct tg_request *req, const char *key, char *out, size_t cap);
/* Parse the body as a JSON object (depth, size, UTF-8 and duplicate keys checked).
 * Returns a new reference or NULL with err TG_EINVAL naming the problem. */
json_t *request_json(const struct tg_request *req, struct tg_err *err);
/* File descriptor of the FastCGI connection (poll it to see the peer leave). */
int request_fd(const struct tg_request *req);
/* 1 if the client (nginx) closed the connection. */
int request_peer_gone(const struct tg_request *req);

/* Queue a response header line ("Retry-After: 3"). Before the response starts only. */
void response_add_header(struct tg_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Send a complete JSON response (a NULL body sends a bare 500). Returns 0 or -1. */
int response_send_json(struct tg_request *req, int status, json_t *body);
/* Send a complete response of any type. Returns 0 or -1. */
int response_send(struct tg_request *req, int status, const char *content_type,
                  const void *data, size_t len);
/* Send the error in the request's dialect (status from the one mapping table). */
void response_send_error(struct tg_request *req, const struct tg_err *err);
/* The HTTP status for an error code in a dialect (exposed for tests). */
int response_status_for(enum tg_code code, enum dialect d);
/* Build the error body for a code in a dialect (new reference; exposed for the relay's
 * in-stream error events and for tests). */
json_t *response_error_body(enum dialect d, const struct tg_err *err, const char *rid);

/* Start a streamed response: status, Content-Type, no-cache, X-Accel-Buffering: no. The
 * head is buffered: it goes out with the first response_flush or response_write. */
int response_stream_begin(struct tg_request *req, int status, const char *content_type);
/* Write bytes and flush them through FastCGI. Returns 0, or -1 once the client is gone.
 */
int response_write(struct tg_request *req, const void *data, size_t len);
/* Buffer bytes of a started response (they go out when the buffer fills or at the next
 * flush): events that arrived together leave in one FastCGI write. 0, or -1 once gone. */
int response_put(struct tg_request *req, const void *data, size_t len);
/* Send what is buffered. Returns 0, or -1 once the client is gone. */
int response_flush(struct tg_request *req);

#endif
