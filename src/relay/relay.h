/* relay: API-key calls to upstream channels: choice, failover, streaming, metering and
 * billing. */
#ifndef TG_RELAY_H
#define TG_RELAY_H

#include <jansson.h>
#include <stdint.h>

#include "config/config.h"
#include "server/request.h"

enum relay_endpoint {
    EP_CHAT,
    EP_COMPLETIONS,
    EP_EMBEDDINGS,
    EP_RESPONSES,
    EP_RESPONSES_COMPACT,
    EP_MESSAGES,
    EP_COUNT_TOKENS,
    EP_COUNT
};

/* Relay one call of the authenticated key (req->who.key). Sends the response (or, after
 * the first byte, ends the stream with an error event). Returns 0, or -1 with err set
 * when nothing was sent yet. */
int relay_call(struct tg_request *req, enum relay_endpoint ep, struct tg_err *err);
/* GET /v1/models for the key: models of enabled channels it may use. */
int relay_models(struct tg_request *req, struct tg_err *err);
/* Admin channel test: one small non-streaming call. *result gets {ok, status, ms, error}.
 * Returns 0 (the test ran, whatever it found) or -1. */
int relay_channel_test(struct tg_app *app, int64_t channel_id, json_t **result,
                       struct tg_err *err);

/* At startup: every channel key must decrypt with the configured master key. Returns 0
 * (all good), 1 (database unreachable: not checked), or -1 with err naming the problem.
 */
int relay_check_channel_keys(const struct tg_config *cfg, struct tg_err *err);

/* Per-worker background work (usage-log writer, reservation reaper). Start after the
 * threads, stop after the drain: stop flushes every queued usage row. */
void relay_worker_start(struct tg_app *app);
void relay_worker_stop(void);

#endif
