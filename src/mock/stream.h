/* stream: answering a call as server-sent events, with the mid-stream faults. */
#ifndef TG_MOCK_STREAM_H
#define TG_MOCK_STREAM_H

#include <jansson.h>

#include "mock/call.h"
#include "mock/stats.h"

/* The events of one streaming dialect; each returns 0, or -1 when the peer is gone. */
struct stream_ops {
    int (*start)(struct mock_call *c);         /* events before the first delta */
    int (*delta)(struct mock_call *c, long i); /* content chunk i, from 1 */
    int (*finish)(struct mock_call *c);        /* the rest: stop, usage, terminator */
    int (*fail)(struct mock_call *c);          /* error-mid-stream: the error events */
    const char *bad_json;                      /* one event whose data is broken JSON */
};

/* The events for endpoint ep (chat, completions, messages or responses), else NULL. */
const struct stream_ops *stream_ops_for(enum mock_endpoint ep);

/* Answer c as an event stream: head, events, faults. Sets c->keep_alive to 0 (and
 * c->reset) when the connection must close. Returns how the call ended. */
enum stats_outcome stream_run(struct mock_call *c);
/* Write one event as one chunk: "event: NAME\n" when event is non-NULL, then
 * "data: JSON\n\n". data is stolen; Responses events get their sequence_number here.
 * Returns 0, or -1 when the peer is gone or memory ran out. */
int stream_emit(struct mock_call *c, const char *event, json_t *data);
/* Write text as one chunk, as it is. Returns 0 or -1. */
int stream_raw(struct mock_call *c, const char *text);

#endif
