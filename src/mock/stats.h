/* stats: counters and the last request, kept for tests under /_mock/. */
#ifndef TG_MOCK_STATS_H
#define TG_MOCK_STATS_H

#include "mock/http.h"

/* How a /v1 request ended. */
enum stats_outcome {
    STATS_COMPLETED, /* answered as intended, fault responses included */
    STATS_ABORTED,   /* the client went away first */
    STATS_CUT        /* the mock cut it on purpose (truncate-after, rst, hang) */
};

/* Set up the counters; call once before any thread starts. */
void stats_init(void);
/* Count an accepted connection; returns the number now open. */
long stats_conn_open(void);
void stats_conn_close(void);
long stats_connections(void);
/* A /v1 request arrived: counts it, marks it open, keeps it as the last request
 * (req is borrowed for the call). Returns a sequence number for ids. */
long long stats_request_begin(const struct http_req *req);
void stats_request_end(enum stats_outcome outcome);
/* The /_mock/stats object as JSON text, malloc'd (NULL when out of memory). */
char *stats_dump(void);
/* The last /v1 request as JSON text, malloc'd; NULL if none yet or out of memory. */
char *stats_last(void);
/* Zero the counters and forget the last request (open gauges stay). */
void stats_reset(void);

#endif
