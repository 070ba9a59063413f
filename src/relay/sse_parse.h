/* sse_parse: incremental Server-Sent Events parser. Bytes go in as they arrive (any
 * split), whole events come out through a callback. Tolerates CRLF, comments, a missing
 * final blank line at end of stream (sse_finish). */
#ifndef TG_SSE_PARSE_H
#define TG_SSE_PARSE_H

#include <stddef.h>

#include "util/buf.h"

#define SSE_MAX_LINE  (1024 * 1024) /* a longer line is an error */
#define SSE_MAX_EVENT (4 * 1024 * 1024)

struct sse_event {
    const char *event; /* "" when no event: field (borrowed, valid during the callback) */
    const char *data;  /* data lines joined by "\n" (borrowed) */
    size_t data_len;
    const char *raw; /* the event's bytes as received, including the ending blank line */
    size_t raw_len;
};

/* Return 0 to continue, non-zero to stop (sse_feed then returns that value). */
typedef int (*sse_cb)(void *ctx, const struct sse_event *ev);

struct sse_parser {
    struct buf line;  /* partial line */
    struct buf event; /* event name */
    struct buf data;  /* joined data */
    struct buf raw;   /* raw bytes of the event so far */
    int has_data;
    int saw_cr; /* last byte was CR: a following LF belongs to it */
    int error;  /* 1 after an over-long line or event */
    int junk;   /* lines that were no comment, data, event, id or retry field */
};

void sse_init(struct sse_parser *p);
void sse_free(struct sse_parser *p);
/* Feed n bytes. Returns 0, the callback's non-zero value, or -1 on a limit error. */
int sse_feed(struct sse_parser *p, const char *bytes, size_t n, sse_cb cb, void *ctx);
/* End of stream: dispatch a pending event that lacked its blank line. Same returns. */
int sse_finish(struct sse_parser *p, sse_cb cb, void *ctx);

#endif
