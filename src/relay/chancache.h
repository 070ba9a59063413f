/* chancache: per-process caches of channels, prices and group multipliers with bounded
 * staleness, and each channel's circuit breaker. */
#ifndef TG_CHANCACHE_H
#define TG_CHANCACHE_H

#include <stdint.h>

#include "billing/charge.h"
#include "server/request.h"
#include "store/channels.h"

#define CHANCACHE_TTL_US 2000000 /* writes by any host are seen within 2 s */
#define PICK_MAX         8

enum chan_family { FAMILY_OPENAI, FAMILY_ANTHROPIC };

struct pick {
    struct channel_row ch; /* a copy */
    char upstream_model[129];
};

/* Candidates for model in family, best first: the top priority tier (sticky by
 * rendezvous hash when sticky is non-empty, else weighted random), then lower tiers.
 * Channels with an open breaker are skipped (one probe passes when half-open). Returns
 * the count (0 = no channel serves the model) or -1 with err (TG_EOVERLOAD with
 * retry_after when channels serve it but every one is behind an open breaker). */
int chancache_pick(struct tg_app *app, const char *model, enum chan_family fam,
                   const char *group, const char *sticky, struct pick *out, int max,
                   struct tg_err *err);
/* Every model served by an enabled channel of fam, sorted, as a JSON array of strings
 * (new reference); allow (comma list or "") filters. */
json_t *chancache_models(struct tg_app *app, enum chan_family fam, const char *allow,
                         struct tg_err *err);
/* Price of model (or of the configured default model). Returns 1, 0 unknown, -1 error.
 * *max_output gets the model's output ceiling (0 = none set). */
int chancache_price(struct tg_app *app, const char *model, struct price *p,
                    int *max_output, struct tg_err *err);
/* Multiplier of a user group in parts per million. */
int64_t chancache_group_ppm(struct tg_app *app, const char *group);
/* Breaker feedback for a channel: ok, or a failure with an upstream Retry-After (0 =
 * none). */
void chancache_report(int64_t channel_id, int ok, int retry_after_s, int threshold,
                      int cooldown_s);
/* The channel's upstream key, opened (cached per process while its sealed text is
 * unchanged). Returns a copy to free with crypto_free_secret, or NULL when it does not
 * open. */
char *chancache_channel_key(const struct tg_config *cfg, const struct channel_row *ch);
/* Reload the snapshot if it is past its TTL. Run by a background thread so calls find
 * a fresh one: a call that finds it stale reloads it, and calls meanwhile would still use
 * the stale one (a channel added seconds ago would be "not available" to them). */
void chancache_refresh(struct tg_app *app);
/* Drop cached data so the next use reloads (after this process changed channels). */
void chancache_invalidate(void);

#endif
