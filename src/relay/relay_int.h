/* relay_int: the state of one relayed call, shared by the relay's own files. */
#ifndef TG_RELAY_INT_H
#define TG_RELAY_INT_H

#include <jansson.h>
#include <stdint.h>

#include "billing/charge.h"
#include "relay/chancache.h"
#include "relay/relay.h"
#include "relay/sse_parse.h"
#include "relay/usage.h"
#include "store/keys.h"
#include "util/buf.h"

#define ERROR_BODY_MAX (64 * 1024)

struct call {
    struct tg_request *req; /* borrowed */
    enum relay_endpoint ep;
    enum dialect_kind ud; /* how usage is read */
    enum chan_family fam;
    const struct apikey_info *ki; /* borrowed from req->who.key */
    json_t *body;                 /* owned: the parsed request */
    const char *model;            /* borrowed from body */
    char sticky[160];             /* conversation key for sticky routing */
    int stream;                   /* the client asked for a stream */
    int added_usage;              /* we asked upstream for include_usage */
    struct price price;
    int64_t ppm; /* group multiplier */
    int64_t max_output, reserved;
    int admitted; /* limits_admit succeeded */

    /* the current attempt */
    const struct pick *pick;  /* borrowed */
    const char *content_type; /* borrowed from the upstream call, during it */
    char held_type[64];       /* its copy, for sending a held body afterwards */
    struct buf held;          /* non-stream body or upstream error body */
    struct sse_parser sse;
    struct usage usage;
    int64_t out_chars;        /* text delivered, for estimates */
    int64_t in_tokens_hint;   /* input tokens seen in a stream start */
    int terminal;             /* the stream's terminal event arrived */
    int upstream_error_event; /* the upstream sent an error event mid-stream */
    int malformed;            /* the upstream stream could not be parsed */
    int too_big;              /* over max_stream_bytes */
    int client_gone;
    int64_t last_write_us;
    int64_t flushed_bytes; /* req->bytes_out at the last flush */
};

/* relay_req.c: validate the body and fill model, stream, max_output, sticky; rewrite the
 * body for the upstream (model mapping, include_usage). */
int relay_parse_request(struct call *cl, struct tg_err *err);
/* The upstream body (malloc'd) for pick p, length in *len. */
char *relay_upstream_body(struct call *cl, const struct pick *p, size_t *len);
/* The upstream URL into out. */
void relay_upstream_url(const struct call *cl, const struct pick *p, char *out,
                        size_t cap);
/* Header lines for the upstream (NULL-terminated, each malloc'd; free with
 * relay_free_headers). key is the channel's plaintext secret. */
char **relay_upstream_headers(const struct call *cl, const struct pick *p,
                              const char *key);
void relay_free_headers(char **h);
/* The service of an endpoint (claude, codex, openai). */
const char *relay_service(enum relay_endpoint ep);
const char *relay_endpoint_path(enum relay_endpoint ep);

/* relay_stream.c: upstream body callbacks. */
int relay_on_body(void *ctx, long status, const char *data, size_t len);
int relay_on_tick(void *ctx);
int relay_on_pass(void *ctx); /* flush what the last upstream read brought */
/* The upstream stream ended: pass on an event that lacked its blank line. */
void relay_stream_finish(struct call *cl);
/* End the client's stream with an error event in its dialect. */
void relay_stream_error(struct call *cl, const struct tg_err *err);

#endif
