/* channels: upstream accounts, their prices-independent settings and health. */
#ifndef TG_STORE_CHANNELS_H
#define TG_STORE_CHANNELS_H

#include <stdint.h>

#include "store/store.h"

struct channel_row {
    int64_t id;
    char name[129];
    char type[20]; /* openai | anthropic | openai-compatible */
    char base_url[513];
    char key_enc[1024];   /* crypto_seal string, AAD "channels.key:<id>"; "" = none */
    char models[2048];    /* comma list of models served */
    char model_map[2048]; /* JSON object text {"public":"upstream"} or "" */
    int priority, weight;
    char group[33];
    char status[16]; /* enabled | disabled | auto_disabled */
    char status_reason[256];
    int connect_timeout, total_timeout; /* seconds, 0 = config default */
    char last_error[256];
    int response_ms;
};

/* Calls fn for every channel (all = 0: only enabled ones), ordered by priority desc, id.
 * Returns the count or -1. */
int store_channels_each(struct store_conn *c, int all,
                        void (*fn)(const struct channel_row *ch, void *ctx), void *ctx,
                        struct tg_err *err);
int store_channel_get(struct store_conn *c, int64_t id, struct channel_row *out,
                      struct tg_err *err);
/* Insert a channel; the key is sealed after the insert in the same transaction (the AAD
 * needs the id): pass the sealing function. key may be NULL. Returns the id or -1. */
int64_t store_channel_create(struct store_conn *c, const struct channel_row *ch,
                             const char *key,
                             char *(*seal)(const char *plain, int64_t id, void *ctx),
                             void *ctx, struct tg_err *err);
/* Update the editable fields of ch (by ch->id); a non-NULL key is resealed. Returns
 * changed-or-matched 1, 0 not found, -1. */
int store_channel_update(struct store_conn *c, const struct channel_row *ch,
                         const char *key,
                         char *(*seal)(const char *plain, int64_t id, void *ctx),
                         void *ctx, struct tg_err *err);
int64_t store_channel_delete(struct store_conn *c, int64_t id, struct tg_err *err);
/* Set status and reason (auto-disable on upstream 401/403, admin enable/disable). */
int64_t store_channel_set_status(struct store_conn *c, int64_t id, const char *status,
                                 const char *reason, struct tg_err *err);
/* Record health after a call or a test. error NULL = success. */
int store_channel_health(struct store_conn *c, int64_t id, const char *error, int ms,
                         struct tg_err *err);

/* Prices: micro-USD per million tokens. */
struct price_row {
    char model[129];
    int64_t input, output, cache_read, cache_write, cache_write_1h;
    int max_output; /* 0 = config default */
};
int store_prices_each(struct store_conn *c,
                      void (*fn)(const struct price_row *p, void *ctx), void *ctx,
                      struct tg_err *err);
int store_price_upsert(struct store_conn *c, const struct price_row *p,
                       struct tg_err *err);
int64_t store_price_delete(struct store_conn *c, const char *model, struct tg_err *err);
/* Group multiplier in parts per million (1,000,000 = 1x); 1,000,000 when unset. */
int store_group_ppm(struct store_conn *c, const char *group, int64_t *ppm,
                    struct tg_err *err);

#endif
