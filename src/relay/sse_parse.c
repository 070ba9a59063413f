/* sse_parse: incremental Server-Sent Events parser (any split; LF, CRLF, CR ends). */
#include <string.h>

#include "relay/sse_parse.h"

/* Values of p->saw_cr. A CR ends a line at once, except a blank line whose CR is the last
 * byte of a feed: its event is dispatched only once the next byte shows whether an LF
 * belongs to it, so that `raw` is the same however the bytes were split. */
enum { CR_NONE = 0, CR_LINE = 1, CR_BLANK = 2 };

/* Buffers grown past this are released after each event, not kept for the stream. */
#define SSE_KEEP_CAP (64 * 1024)

void sse_init(struct sse_parser *p)
{
    buf_init(&p->line, SSE_MAX_LINE);
    buf_init(&p->event, SSE_MAX_LINE);
    buf_init(&p->data, SSE_MAX_EVENT);
    buf_init(&p->raw, SSE_MAX_EVENT);
    p->has_data = 0;
    p->saw_cr = CR_NONE;
    p->error = 0;
    p->junk = 0;
}

void sse_free(struct sse_parser *p)
{
    if (!p)
        return;
    buf_free(&p->line);
    buf_free(&p->event);
    buf_free(&p->data);
    buf_free(&p->raw);
}

static void reset_buf(struct buf *b)
{
    if (b->cap > SSE_KEEP_CAP)
        buf_free(b);
    else
        buf_reset(b);
}

/* Forget the current block (event name, data, raw bytes). */
static void reset_block(struct sse_parser *p)
{
    reset_buf(&p->event);
    reset_buf(&p->data);
    reset_buf(&p->raw);
    p->has_data = 0;
}

static int fail(struct sse_parser *p)
{
    p->error = 1;
    return -1;
}

/* The block ended: hand it to cb if it has data or an event name, then forget it.
 * A block of comments alone dispatches nothing and its bytes are dropped. */
static int dispatch(struct sse_parser *p, sse_cb cb, void *ctx)
{
    struct sse_event ev;
    int rc = 0;

    if (p->has_data || p->event.len > 0) {
        ev.event = p->event.ptr ? p->event.ptr : "";
        ev.data = p->data.ptr ? p->data.ptr : "";
        ev.data_len = p->data.len;
        ev.raw = p->raw.ptr ? p->raw.ptr : "";
        ev.raw_len = p->raw.len;
        rc = cb(ctx, &ev);
    }
    reset_block(p);
    return rc;
}

/* Apply one complete non-blank line (without its line end) to the current block. */
static int apply_line(struct sse_parser *p, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s) : n;
    const char *val = colon ? colon + 1 : s + n;
    size_t val_len = (size_t)(s + n - val);

    if (name_len == 0)
        return 0; /* a comment */
    if (val_len > 0 && val[0] == ' ') {
        val++;
        val_len--;
    }
    if (name_len == 5 && memcmp(s, "event", 5) == 0) {
        buf_reset(&p->event);
        return buf_append(&p->event, val, val_len);
    }
    if (name_len == 4 && memcmp(s, "data", 4) == 0) {
        if (p->has_data && buf_append(&p->data, "\n", 1) != 0)
            return -1;
        p->has_data = 1;
        return buf_append(&p->data, val, val_len);
    }
    if (!(name_len == 2 && memcmp(s, "id", 2) == 0) &&
        !(name_len == 5 && memcmp(s, "retry", 5) == 0))
        p->junk++; /* ignored as SSE says; the caller decides whether to mind */
    return 0;      /* id and retry are not needed */
}

/* Settle a line end left waiting on a CR at the end of the previous feed: take the LF
 * that may follow, then dispatch if the line was blank. Consumes 0 or 1 bytes (*used). */
static int settle_cr(struct sse_parser *p, const char *bytes, size_t n, size_t *used,
                     sse_cb cb, void *ctx)
{
    int was = p->saw_cr;

    *used = 0;
    if (was == CR_NONE || n == 0)
        return 0;
    p->saw_cr = CR_NONE;
    if (bytes[0] == '\n') {
        if (buf_append(&p->raw, "\n", 1) != 0)
            return fail(p);
        *used = 1;
    }
    return was == CR_BLANK ? dispatch(p, cb, ctx) : 0;
}

/* Take the bytes of one line, up to and including its line end if present (*ended = 1).
 * Returns 0, or -1 when a limit is passed. */
static int take_line(struct sse_parser *p, const char *s, size_t n, size_t *used,
                     int *ended)
{
    size_t i = 0;

    while (i < n && s[i] != '\n' && s[i] != '\r')
        i++;
    if (buf_append(&p->line, s, i) != 0)
        return -1;
    *ended = i < n;
    if (*ended) {
        if (s[i] == '\r' && i + 1 == n)
            p->saw_cr = p->line.len == 0 ? CR_BLANK : CR_LINE; /* an LF may follow */
        i += s[i] == '\r' && i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
    }
    *used = i;
    return buf_append(&p->raw, s, i);
}

int sse_feed(struct sse_parser *p, const char *bytes, size_t n, sse_cb cb, void *ctx)
{
    size_t pos, used;
    int rc, ended;

    if (p->error)
        return -1;
    rc = settle_cr(p, bytes, n, &pos, cb, ctx);
    while (rc == 0 && pos < n) {
        if (take_line(p, bytes + pos, n - pos, &used, &ended) != 0)
            return fail(p);
        pos += used;
        if (!ended || p->saw_cr == CR_BLANK)
            break; /* the rest comes in a later feed */
        if (p->line.len == 0) {
            rc = dispatch(p, cb, ctx);
            continue;
        }
        if (apply_line(p, p->line.ptr, p->line.len) != 0)
            return fail(p);
        buf_reset(&p->line);
    }
    return rc;
}

int sse_finish(struct sse_parser *p, sse_cb cb, void *ctx)
{
    int rc = 0;

    if (p->error)
        return -1;
    if (p->saw_cr == CR_BLANK) {
        p->saw_cr = CR_NONE;
        return dispatch(p, cb, ctx);
    }
    p->saw_cr = CR_NONE;
    if (p->line.len > 0) {
        /* The last line lacked its line end (a cut stream). */
        rc = apply_line(p, p->line.ptr, p->line.len);
        buf_reset(&p->line);
        if (rc != 0)
            return fail(p);
    }
    if (p->has_data)
        return dispatch(p, cb, ctx);
    reset_block(p);
    return 0;
}
