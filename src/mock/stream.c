/* stream: the event-stream driver: chunk pacing and the mid-stream faults. */
#include "mock/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HANG_MS    (600L * 1000) /* the longest hang a fault makes */
#define DRIP_MS    50            /* slow-drip: one byte per this many ms */
#define JUNK_LINE  "this line is not server-sent events\n\n"
#define HALF_EVENT "data: {\"id\":\"cut-mid-event\",\"choi" /* no line end */

/* Send text one byte per chunk, DRIP_MS apart. Returns 0 or -1. */
static int drip(struct mock_call *c, const char *text, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if ((i > 0 && http_wait_gone(c->conn, DRIP_MS)) ||
            http_send_chunk(c->conn, text + i, 1) != 0)
            return -1;
    }
    return 0;
}

int stream_raw(struct mock_call *c, const char *text)
{
    size_t n = strlen(text);

    if (c->drip) {
        c->drip = 0;
        return drip(c, text, n);
    }
    return http_send_chunk(c->conn, text, n);
}

int stream_emit(struct mock_call *c, const char *event, json_t *data)
{
    char *json, *text;
    size_t n;
    int rc;

    if (!data)
        return -1;
    if (c->ep == EP_RESPONSES)
        json_object_set_new(data, "sequence_number", json_integer(c->seq++));
    json = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    if (!json)
        return -1;
    n = strlen(json) + (event ? strlen(event) : 0) + 32;
    text = malloc(n);
    if (!text) {
        free(json);
        return -1;
    }
    if (event)
        snprintf(text, n, "event: %s\ndata: %s\n\n", event, json);
    else
        snprintf(text, n, "data: %s\n\n", json);
    rc = stream_raw(c, text);
    free(text);
    free(json);
    return rc;
}

static enum stats_outcome gone(struct mock_call *c)
{
    c->keep_alive = 0;
    return STATS_ABORTED;
}

static enum stats_outcome cut(struct mock_call *c)
{
    c->keep_alive = 0; /* closing without the last chunk ends the body short */
    return STATS_CUT;
}

/* The faults that strike after the second chunk. Returns an outcome when the stream
 * ends here, or -1 to go on. */
static int mid_fault(struct mock_call *c, const struct stream_ops *ops)
{
    switch (c->ctl.fault) {
    case FAULT_HANG_MID:
        return http_wait_gone(c->conn, HANG_MS) ? gone(c) : cut(c);
    case FAULT_MALFORMED_SSE:
        return stream_raw(c, JUNK_LINE) != 0 ? (int)gone(c) : -1;
    case FAULT_BAD_JSON:
        return stream_raw(c, ops->bad_json) != 0 ? (int)gone(c) : -1;
    case FAULT_RST:
        c->reset = 1;
        return cut(c);
    case FAULT_CUT_MID_EVENT:
        return stream_raw(c, HALF_EVENT) != 0 ? gone(c) : cut(c);
    case FAULT_ERROR_MID:
        if (ops->fail(c) != 0 || http_send_end(c->conn) != 0)
            return gone(c);
        return STATS_COMPLETED;
    default:
        return -1;
    }
}

enum stats_outcome stream_run(struct mock_call *c)
{
    const struct stream_ops *ops = stream_ops_for(c->ep);
    long n = c->ctl.chunks, mid = n < 2 ? n : 2, stop = -1, i;
    int r;

    if (!ops)
        return gone(c);
    if (c->ctl.fault == FAULT_TRUNCATE)
        stop = c->ctl.fault_arg < n ? c->ctl.fault_arg : n;
    if (http_send_head(c->conn, 200, "text/event-stream", -1, NULL, c->keep_alive) != 0)
        return gone(c);
    c->drip = c->ctl.fault == FAULT_SLOW_DRIP;
    if (ops->start(c) != 0)
        return gone(c);
    for (i = 0;; i++) {
        if (i > 1 && c->ctl.delay_ms > 0 && http_wait_gone(c->conn, c->ctl.delay_ms))
            return gone(c);
        if (i > 0 && ops->delta(c, i) != 0)
            return gone(c);
        if (i == stop)
            return cut(c);
        if (i == mid) {
            r = mid_fault(c, ops);
            if (r >= 0)
                return (enum stats_outcome)r;
        }
        if (i == n)
            break;
    }
    if (ops->finish(c) != 0 || http_send_end(c->conn) != 0)
        return gone(c);
    return STATS_COMPLETED;
}
