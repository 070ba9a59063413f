/* controls: the X-Mock-* headers and the "[mock ...]" body directive, and the usage
 * numbers they produce. */
#ifndef TG_MOCK_CONTROLS_H
#define TG_MOCK_CONTROLS_H

#include <stddef.h>

#include "mock/http.h"

/* clang-format off */
enum mock_fault {
    FAULT_NONE, FAULT_HANG_HEADERS, FAULT_HANG_MID, FAULT_STATUS, FAULT_MALFORMED_SSE,
    FAULT_BAD_JSON, FAULT_TRUNCATE, FAULT_RST, FAULT_NO_USAGE, FAULT_ZERO_USAGE,
    FAULT_NEGATIVE_USAGE, FAULT_HUGE_USAGE, FAULT_INCOMPLETE, FAULT_SLOW_DRIP,
    FAULT_OVERSIZE, FAULT_REDIRECT, FAULT_ERROR_MID, FAULT_CUT_MID_EVENT
};
/* clang-format on */

#define CONTROLS_MAX_CHUNKS   1000000L
#define CONTROLS_MAX_DELAY_MS 600000L
#define CONTROLS_MAX_TOKENS   1000000000000000LL
#define CONTROLS_REDIRECT_MAX 1024

struct mock_controls {
    long chunks;   /* content chunks, which is also the output token count */
    long delay_ms; /* pause before every content chunk but the first */
    enum mock_fault fault;
    long fault_arg;                       /* FAULT_STATUS: status; FAULT_TRUNCATE: N */
    char redirect[CONTROLS_REDIRECT_MAX]; /* FAULT_REDIRECT: the Location */
    long long input;                      /* -1: derive from the body length */
    long long cache_read, cache_write;
};

struct mock_usage {
    int present; /* 0 under no-usage: leave usage out entirely */
    long long input, cache_read, cache_write, output;
};

/* Fill ctl from the request: defaults, then X-Mock-* headers, then the first "[mock ...]"
 * directive in the body, which wins. Returns 0, or -1 with a message in msg (an unknown
 * fault or a value out of range). */
int controls_parse(struct mock_controls *ctl, const struct http_req *req, char *msg,
                   size_t msglen);
/* Apply a fault MODE as the directive's "fault=MODE" would, over whatever the request
 * asked for. Returns 0, or -1 if MODE is not a fault the mock knows. */
int controls_force_fault(struct mock_controls *ctl, const char *mode);
/* The usage a call reports: input is the control or 10 + body_len / 100, output the chunk
 * count, caches from the controls; the usage faults then override. */
void controls_usage(const struct mock_controls *ctl, size_t body_len,
                    struct mock_usage *u);
/* The text of chunk i (from 1), "tok<i> ", into out. Returns its length. */
size_t controls_chunk_text(long i, char *out, size_t outlen);
/* The whole text of n chunks, malloc'd (free it), or NULL when out of memory. */
char *controls_full_text(long n);

#endif
