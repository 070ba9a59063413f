/* metrics: counters in shared memory mapped by the master before fork, so any worker can
 * answer a scrape with the totals of all of them. */
#ifndef TG_METRICS_H
#define TG_METRICS_H

#include <stdint.h>

#include "util/buf.h"

enum metric_token_kind { MT_INPUT, MT_OUTPUT, MT_CACHE_READ, MT_CACHE_WRITE, MT_KINDS };

/* Map the shared block for nroutes routes. Call once in the master before fork (or in a
 * test). Returns 0 or -1. */
int metrics_init(int nroutes);
/* A request finished: route index (-1 = none matched), status, duration in us. */
void metrics_request(int route, int status, int64_t dur_us);
void metrics_inflight(int delta);
void metrics_streams(int delta);
void metrics_ttfb(int64_t us);
void metrics_tokens(enum metric_token_kind kind, int64_t n);
void metrics_quota(int64_t n);
void metrics_upstream_error(void);
void metrics_worker_restart(void);
/* A FastCGI connection was accepted. */
void metrics_fcgi_connection(void);
/* Append the Prometheus text for everything counted. route_name(i) names route i. */
void metrics_render(struct buf *out, const char *(*route_name)(int i));
/* Generation of API key data on this host: bumped by every change a worker makes, so
 * every worker's key cache drops what it holds at once. */
void metrics_key_epoch_bump(void);
int64_t metrics_key_epoch(void);
/* Current in-flight request count (for status and draining). */
int64_t metrics_inflight_now(void);

#endif
