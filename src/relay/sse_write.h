/* sse_write: framing of Server-Sent Events written by tollgate itself (error events,
 * keep-alive comments); relayed upstream events are forwarded byte for byte instead. */
#ifndef TG_SSE_WRITE_H
#define TG_SSE_WRITE_H

#include <stddef.h>

#include "util/buf.h"

/* Append one event: an optional "event: NAME" line, then the data split into one
 * "data: " line per line of data (CR, LF and CRLF all end a line), then a blank line.
 * event may be NULL. Returns 0, or -1 if event holds a line break or memory ran out. */
int sse_format_event(struct buf *out, const char *event, const char *data, size_t len);
/* Append a comment line ": text" and a blank line (a keep-alive every parser ignores). */
int sse_format_comment(struct buf *out, const char *text);

#endif
