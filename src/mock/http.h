/* http: the server side of one HTTP/1.1 connection for the mock upstream. */
#ifndef TG_MOCK_HTTP_H
#define TG_MOCK_HTTP_H

#include <stddef.h>

#define HTTP_HEAD_MAX (64 * 1024)       /* request line plus headers */
#define HTTP_BODY_MAX (8 * 1024 * 1024) /* request body, either framing */

struct http_hdr {
    const char *name;  /* lowercased; borrowed from http_req.head */
    const char *value; /* trimmed; borrowed from http_req.head */
};

struct http_req {
    char *head;            /* owned: the header block, split in place */
    const char *method;    /* borrowed from head */
    const char *path;      /* borrowed from head: target up to '?' */
    const char *query;     /* borrowed from head: after '?', "" when absent */
    struct http_hdr *hdrs; /* owned array */
    size_t nhdrs;
    char *body; /* owned, NUL-terminated (may hold other NULs); never NULL after a read */
    size_t body_len;
    int keep_alive; /* the client allows another request on this connection */
};

struct http_conn {
    int fd;      /* owned */
    char *rbuf;  /* owned: bytes read but not yet parsed */
    size_t rlen; /* bytes in rbuf */
    size_t rcap; /* bytes allocated for rbuf */
    int broken;  /* a write failed: the peer is gone */
};

/* Take over a connected socket (sets TCP_NODELAY and a send timeout). */
void http_conn_init(struct http_conn *c, int fd);
/* Close the socket and free the buffer; with reset set, close with an RST (SO_LINGER 0).
 */
void http_conn_close(struct http_conn *c, int reset);

/* Read the next request into req. Returns 1 with req filled (release it with
 * http_req_clear), 0 when the peer closed or stayed idle too long, -1 on a bad request
 * with *status set to the code to answer (400, 413, 431, 501) or 0 when no answer can go
 * out. req needs no clearing unless 1 was returned. */
int http_read_request(struct http_conn *c, struct http_req *req, int *status);
void http_req_clear(struct http_req *req);
/* The value of header name (lowercase), or NULL. Borrowed from req. */
const char *http_req_header(const struct http_req *req, const char *name);

/* Reason phrase for a status code ("Unknown" when not known). */
const char *http_reason(int status);
/* Write the status line and headers. length < 0 means a chunked body. extra holds more
 * header lines, each ending in CRLF, or NULL. Returns 0, or -1 when the peer is gone. */
int http_send_head(struct http_conn *c, int status, const char *ctype, long long length,
                   const char *extra, int keep_alive);
/* Write n bytes as they are. Returns 0, or -1 (and sets broken) when the peer is gone. */
int http_send(struct http_conn *c, const void *data, size_t n);
/* Write n bytes as one chunk of a chunked body in a single write(). Returns 0 or -1. */
int http_send_chunk(struct http_conn *c, const void *data, size_t n);
/* Write the last chunk of a chunked body. Returns 0 or -1. */
int http_send_end(struct http_conn *c);
/* Wait ms milliseconds unless the peer hangs up first. Returns 1 if it did, else 0. */
int http_wait_gone(struct http_conn *c, long ms);

#endif
