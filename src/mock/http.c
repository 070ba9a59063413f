/* http: request parsing and response writing for one mock upstream connection. */
#include "mock/http.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IDLE_MS      (300 * 1000) /* a kept-alive connection may wait this long */
#define READ_MS      (60 * 1000)  /* longest silence inside one request */
#define LINE_MAX_LEN 1024         /* one chunk-size or trailer line */
#define RBUF_MIN     4096

void http_conn_init(struct http_conn *c, int fd)
{
    int one = 1;
    struct timeval tv = {120, 0}; /* a client that stops reading counts as gone */

    memset(c, 0, sizeof(*c));
    c->fd = fd;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void http_conn_close(struct http_conn *c, int reset)
{
    struct linger lg = {1, 0};

    if (c->fd >= 0) {
        if (reset)
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(c->fd);
    }
    c->fd = -1;
    free(c->rbuf);
    c->rbuf = NULL;
    c->rlen = c->rcap = 0;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read more bytes into rbuf, waiting at most ms. Returns bytes read, 0 at EOF or
 * timeout, -1 on error or when rbuf is at its ceiling. */
static long conn_fill(struct http_conn *c, int ms)
{
    struct pollfd pfd = {c->fd, POLLIN, 0};
    ssize_t n;
    int rc;

    if (c->rlen == c->rcap) {
        size_t ncap = c->rcap ? c->rcap * 2 : RBUF_MIN;
        char *p;

        if (c->rcap >= HTTP_HEAD_MAX)
            return -1;
        if (ncap > HTTP_HEAD_MAX)
            ncap = HTTP_HEAD_MAX;
        p = realloc(c->rbuf, ncap);
        if (!p)
            return -1;
        c->rbuf = p;
        c->rcap = ncap;
    }
    do {
        rc = poll(&pfd, 1, ms);
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0)
        return rc;
    do {
        n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0)
        c->rlen += (size_t)n;
    return n;
}

static void conn_consume(struct http_conn *c, size_t n)
{
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

/* Length of the header block (through the blank line) in rbuf, or 0 if incomplete. */
static size_t head_end(const struct http_conn *c)
{
    size_t i;

    for (i = 0; i + 1 < c->rlen; i++) {
        if (c->rbuf[i] != '\n')
            continue;
        if (c->rbuf[i + 1] == '\n')
            return i + 2;
        if (c->rbuf[i + 1] == '\r' && i + 2 < c->rlen && c->rbuf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Cut the next line off *p (in place) and return it without its CR LF, or NULL. */
static char *next_line(char **p)
{
    char *line = *p, *nl;
    size_t n;

    if (!line || !*line)
        return NULL;
    nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    n = strlen(line);
    if (n > 0 && line[n - 1] == '\r')
        line[n - 1] = '\0';
    return line;
}

static int is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int parse_request_line(struct http_req *req, char *line, int *http10)
{
    char *sp1 = strchr(line, ' '), *sp2, *q, *m;

    if (!sp1)
        return -1;
    *sp1 = '\0';
    sp2 = strchr(sp1 + 1, ' ');
    if (!sp2 || sp1 == line)
        return -1;
    *sp2 = '\0';
    for (m = line; *m; m++)
        if (!is_tchar(*m))
            return -1;
    if (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0)
        return -1;
    *http10 = strcmp(sp2 + 1, "HTTP/1.0") == 0;
    if (sp1[1] != '/')
        return -1;
    req->method = line;
    req->path = sp1 + 1;
    q = strchr(sp1 + 1, '?');
    if (q) {
        *q = '\0';
        req->query = q + 1;
    } else {
        req->query = "";
    }
    return 0;
}

static int add_header(struct http_req *req, char *line, size_t *cap)
{
    char *colon = strchr(line, ':'), *v, *end, *n;

    if (!colon || colon == line)
        return -1;
    *colon = '\0';
    for (n = line; *n; n++) {
        if (!is_tchar(*n))
            return -1;
        if (*n >= 'A' && *n <= 'Z')
            *n = (char)(*n - 'A' + 'a');
    }
    v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    if (req->nhdrs == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct http_hdr *h = realloc(req->hdrs, ncap * sizeof(*h));

        if (!h)
            return -1;
        req->hdrs = h;
        *cap = ncap;
    }
    req->hdrs[req->nhdrs].name = line;
    req->hdrs[req->nhdrs].value = v;
    req->nhdrs++;
    return 0;
}

/* Split req->head into the request line and headers. Returns 0 or -1 (a 400). */
static int parse_head(struct http_req *req)
{
    char *p = req->head, *line;
    size_t cap = 0;
    int http10 = 0;
    const char *conn;

    line = next_line(&p);
    if (!line || parse_request_line(req, line, &http10) != 0)
        return -1;
    while ((line = next_line(&p)) != NULL && *line) {
        if (*line == ' ' || *line == '\t')
            return -1; /* obsolete line folding */
        if (add_header(req, line, &cap) != 0)
            return -1;
    }
    conn = http_req_header(req, "connection");
    if (http10)
        req->keep_alive = conn && strcasestr(conn, "keep-alive") != NULL;
    else
        req->keep_alive = !(conn && strcasestr(conn, "close") != NULL);
    return 0;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
    size_t i;

    for (i = 0; i < req->nhdrs; i++)
        if (strcmp(req->hdrs[i].name, name) == 0)
            return req->hdrs[i].value;
    return NULL;
}

void http_req_clear(struct http_req *req)
{
    free(req->head);
    free(req->hdrs);
    free(req->body);
    memset(req, 0, sizeof(*req));
}

/* Move n body bytes from rbuf and the socket to dst. Returns 0 or -1. */
static int read_exact(struct http_conn *c, char *dst, size_t n)
{
    while (n > 0) {
        size_t take = c->rlen < n ? c->rlen : n;

        if (take > 0) {
            memcpy(dst, c->rbuf, take);
            conn_consume(c, take);
            dst += take;
            n -= take;
            continue;
        }
        if (conn_fill(c, READ_MS) <= 0)
            return -1;
    }
    return 0;
}

/* Read one CRLF- or LF-terminated line of at most LINE_MAX_LEN bytes into out.
 * Returns 0 or -1. */
static int read_line(struct http_conn *c, char *out, size_t outlen)
{
    for (;;) {
        char *nl = c->rlen ? memchr(c->rbuf, '\n', c->rlen) : NULL;

        if (nl) {
            size_t n = (size_t)(nl - c->rbuf);

            if (n >= outlen)
                return -1;
            memcpy(out, c->rbuf, n);
            if (n > 0 && out[n - 1] == '\r')
                n--;
            out[n] = '\0';
            conn_consume(c, (size_t)(nl - c->rbuf) + 1);
            return 0;
        }
        if (c->rlen > LINE_MAX_LEN || conn_fill(c, READ_MS) <= 0)
            return -1;
    }
}

/* Decode a chunked body into req->body. Returns 0, or -1 with *status set. */
static int read_chunked(struct http_conn *c, struct http_req *req, int *status)
{
    char line[LINE_MAX_LEN + 1], *end;
    unsigned long long size;

    *status = 400;
    for (;;) {
        if (read_line(c, line, sizeof(line)) != 0)
            return -1;
        errno = 0;
        size = strtoull(line, &end, 16);
        if (end == line || errno || (*end && *end != ';' && *end != ' '))
            return -1;
        if (size == 0)
            break;
        if (size > HTTP_BODY_MAX - req->body_len) {
            *status = 413;
            return -1;
        }
        end = realloc(req->body, req->body_len + size + 1);
        if (!end)
            return -1;
        req->body = end;
        if (read_exact(c, req->body + req->body_len, size) != 0)
            return -1;
        req->body_len += size;
        req->body[req->body_len] = '\0';
        if (read_line(c, line, sizeof(line)) != 0 || line[0])
            return -1;
    }
    do { /* trailer fields, then the blank line */
        if (read_line(c, line, sizeof(line)) != 0)
            return -1;
    } while (line[0]);
    return 0;
}

/* Parse a Content-Length value. Returns the length, or -1 when it is not a number. */
static long long parse_length(const char *v)
{
    long long n = 0;

    if (!*v)
        return -1;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > HTTP_BODY_MAX)
            return -1 - (n > HTTP_BODY_MAX); /* -2: too large */
        n = n * 10 + (*v - '0');
    }
    return n;
}

static int read_body(struct http_conn *c, struct http_req *req, int *status)
{
    const char *te = http_req_header(req, "transfer-encoding");
    const char *cl = http_req_header(req, "content-length");
    const char *expect = http_req_header(req, "expect");
    long long len = 0;

    *status = 400;
    req->body = calloc(1, 1);
    if (!req->body)
        return -1;
    if (te && (cl || strcasecmp(te, "chunked") != 0)) {
        *status = cl ? 400 : 501;
        return -1;
    }
    if (cl) {
        len = parse_length(cl);
        if (len < 0) {
            *status = len == -2 ? 413 : 400;
            return -1;
        }
        if (len > HTTP_BODY_MAX) {
            *status = 413;
            return -1;
        }
    }
    if ((te || len > 0) && expect && strcasecmp(expect, "100-continue") == 0 &&
        !c->rlen && http_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0) {
        *status = 0;
        return -1;
    }
    if (te)
        return read_chunked(c, req, status);
    free(req->body);
    req->body = malloc((size_t)len + 1);
    if (!req->body || read_exact(c, req->body, (size_t)len) != 0)
        return -1;
    req->body[len] = '\0';
    req->body_len = (size_t)len;
    return 0;
}

int http_read_request(struct http_conn *c, struct http_req *req, int *status)
{
    size_t hlen;
    long n;

    memset(req, 0, sizeof(*req));
    *status = 0;
    while ((hlen = head_end(c)) == 0) {
        n = conn_fill(c, c->rlen ? READ_MS : IDLE_MS);
        if (n == 0 && !c->rlen)
            return 0; /* clean close or idle between requests */
        if (n <= 0) {
            *status = c->rlen >= HTTP_HEAD_MAX ? 431 : (n == 0 ? 0 : 400);
            return -1;
        }
    }
    req->head = malloc(hlen + 1);
    if (!req->head) {
        *status = 500;
        return -1;
    }
    memcpy(req->head, c->rbuf, hlen);
    req->head[hlen] = '\0';
    conn_consume(c, hlen);
    *status = 400;
    if (memchr(req->head, '\0', hlen) || parse_head(req) != 0 ||
        read_body(c, req, status) != 0) {
        http_req_clear(req);
        return -1;
    }
    *status = 0;
    return 1;
}

/* clang-format off */
static const struct reason {
    int status;
    const char *text;
} reasons[] = {
    {200, "OK"}, {302, "Found"}, {400, "Bad Request"}, {401, "Unauthorized"},
    {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
    {413, "Content Too Large"}, {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
    {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
    {504, "Gateway Timeout"}, {529, "Overloaded"},
};
/* clang-format on */

const char *http_reason(int status)
{
    size_t i;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].text;
    return "Unknown";
}

int http_send(struct http_conn *c, const void *data, size_t n)
{
    const char *p = data;
    ssize_t w;

    if (c->broken)
        return -1;
    while (n > 0) {
        w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            c->broken = 1; /* EPIPE, ECONNRESET, or the send timeout ran out */
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int http_send_head(struct http_conn *c, int status, const char *ctype, long long length,
                   const char *extra, int keep_alive)
{
    char head[1024], framing[64];
    int n;

    if (length < 0)
        snprintf(framing, sizeof(framing), "Transfer-Encoding: chunked\r\n");
    else
        snprintf(framing, sizeof(framing), "Content-Length: %lld\r\n", length);
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s%s%sConnection: %s\r\n\r\n",
                 status, http_reason(status), ctype, framing,
                 length < 0 ? "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n" : "",
                 extra ? extra : "", keep_alive ? "keep-alive" : "close");
    if (n < 0 || (size_t)n >= sizeof(head))
        return -1;
    return http_send(c, head, (size_t)n);
}

int http_send_chunk(struct http_conn *c, const void *data, size_t n)
{
    char small[512], *buf = small;
    int hl;
    size_t total;
    int rc;

    if (n == 0)
        return 0; /* an empty chunk would end the body */
    total = n + 24;
    if (total > sizeof(small)) {
        buf = malloc(total);
        if (!buf)
            return -1;
    }
    hl = snprintf(buf, 24, "%zx\r\n", n);
    memcpy(buf + hl, data, n);
    memcpy(buf + hl + n, "\r\n", 2);
    rc = http_send(c, buf, (size_t)hl + n + 2);
    if (buf != small)
        free(buf);
    return rc;
}

int http_send_end(struct http_conn *c)
{
    return http_send(c, "0\r\n\r\n", 5);
}

int http_wait_gone(struct http_conn *c, long ms)
{
    long long deadline = now_ms() + ms, left;
    struct pollfd pfd = {c->fd, POLLRDHUP, 0};
    struct timespec ts;

    while ((left = deadline - now_ms()) > 0) {
        int rc = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));

        if (rc < 0 && errno != EINTR)
            break;
        if (rc > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
            return 1;
    }
    if (left > 0) { /* poll failed: sleep out the rest */
        ts.tv_sec = left / 1000;
        ts.tv_nsec = (left % 1000) * 1000000;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    return 0;
}
