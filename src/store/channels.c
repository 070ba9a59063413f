/* channels: upstream channel rows, their health, model prices and group multipliers. */
#include <stdlib.h>
#include <string.h>

#include "store/channels.h"
#include "util/str.h"

#define CHANNEL_COLS                                                                     \
    "id, name, type, base_url, COALESCE(key_enc, ''), models, "                          \
    "COALESCE(model_map, ''), priority, weight, channel_group, status, "                 \
    "COALESCE(status_reason, ''), connect_timeout, total_timeout, "                      \
    "COALESCE(last_error, ''), response_ms"

static const char SQL_CH_EACH[] =
    "SELECT " CHANNEL_COLS " FROM channels WHERE (? = 1 OR status = 'enabled') "
    "ORDER BY priority DESC, id";
static const char SQL_CH_GET[] = "SELECT " CHANNEL_COLS " FROM channels WHERE id = ?";
static const char SQL_CH_INSERT[] =
    "INSERT INTO channels (name, type, base_url, models, model_map, priority, weight, "
    "channel_group, status, connect_timeout, total_timeout) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_CH_SET_KEY[] = "UPDATE channels SET key_enc = ? WHERE id = ?";
static const char SQL_CH_LOCK[] = "SELECT id FROM channels WHERE id = ? FOR UPDATE";
static const char SQL_CH_UPDATE[] =
    "UPDATE channels SET name = ?, type = ?, base_url = ?, models = ?, model_map = ?, "
    "priority = ?, weight = ?, channel_group = ?, connect_timeout = ?, total_timeout = ? "
    "WHERE id = ?";
static const char SQL_CH_DELETE[] = "DELETE FROM channels WHERE id = ?";
static const char SQL_CH_STATUS[] =
    "UPDATE channels SET status = ?, status_reason = ? WHERE id = ?";
static const char SQL_CH_HEALTH_OK[] =
    "UPDATE channels SET response_ms = ?, tested_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
static const char SQL_CH_HEALTH_ERR[] =
    "UPDATE channels SET response_ms = ?, last_error = LEFT(?, 255), "
    "last_error_at = CURRENT_TIMESTAMP(3), tested_at = CURRENT_TIMESTAMP(3) WHERE id = ?";

static const char SQL_PRICE_EACH[] =
    "SELECT model, input_micro, output_micro, cache_read_micro, cache_write_micro, "
    "cache_write_1h_micro, max_output FROM prices ORDER BY model";
static const char SQL_PRICE_UPSERT[] =
    "INSERT INTO prices (model, input_micro, output_micro, cache_read_micro, "
    "cache_write_micro, cache_write_1h_micro, max_output) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON DUPLICATE KEY UPDATE input_micro = VALUES(input_micro), "
    "output_micro = VALUES(output_micro), cache_read_micro = VALUES(cache_read_micro), "
    "cache_write_micro = VALUES(cache_write_micro), "
    "cache_write_1h_micro = VALUES(cache_write_1h_micro), max_output = "
    "VALUES(max_output)";
static const char SQL_PRICE_DELETE[] = "DELETE FROM prices WHERE model = ?";
static const char SQL_GROUP_PPM[] =
    "SELECT multiplier_ppm FROM group_multipliers WHERE user_group = ?";

static void row_to_channel(const struct store_res *r, struct channel_row *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->id = store_col_i64(r, 0);
    str_copy(ch->name, sizeof(ch->name), store_col_str(r, 1));
    str_copy(ch->type, sizeof(ch->type), store_col_str(r, 2));
    str_copy(ch->base_url, sizeof(ch->base_url), store_col_str(r, 3));
    str_copy(ch->key_enc, sizeof(ch->key_enc), store_col_str(r, 4));
    str_copy(ch->models, sizeof(ch->models), store_col_str(r, 5));
    str_copy(ch->model_map, sizeof(ch->model_map), store_col_str(r, 6));
    ch->priority = (int)store_col_i64(r, 7);
    ch->weight = (int)store_col_i64(r, 8);
    str_copy(ch->group, sizeof(ch->group), store_col_str(r, 9));
    str_copy(ch->status, sizeof(ch->status), store_col_str(r, 10));
    str_copy(ch->status_reason, sizeof(ch->status_reason), store_col_str(r, 11));
    ch->connect_timeout = (int)store_col_i64(r, 12);
    ch->total_timeout = (int)store_col_i64(r, 13);
    str_copy(ch->last_error, sizeof(ch->last_error), store_col_str(r, 14));
    ch->response_ms = (int)store_col_i64(r, 15);
}

int store_channels_each(struct store_conn *c, int all,
                        void (*fn)(const struct channel_row *ch, void *ctx), void *ctx,
                        struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_CH_EACH, err, "u", all ? 1 : 0);
    struct channel_row *ch;
    int n = 0, rc;

    if (!r)
        return -1;
    ch = malloc(sizeof(*ch)); /* ~6 KB: keep it off small thread stacks */
    if (!ch) {
        store_res_free(r);
        return err_set(err, TG_EINTERNAL, "out of memory");
    }
    while ((rc = store_next(r)) == 1) {
        row_to_channel(r, ch);
        fn(ch, ctx);
        n++;
    }
    free(ch);
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int store_channel_get(struct store_conn *c, int64_t id, struct channel_row *out,
                      struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_CH_GET, err, "i", id);
    int rc;

    if (!r)
        return -1;
    rc = store_next(r);
    if (rc == 1)
        row_to_channel(r, out);
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : rc;
}

/* Seal key for channel id and store it. Called inside the caller's transaction. */
static int set_key(struct store_conn *c, int64_t id, const char *key,
                   char *(*seal)(const char *plain, int64_t id, void *ctx), void *ctx,
                   struct tg_err *err)
{
    char *sealed;
    int64_t rc;

    if (!seal)
        return err_set(err, TG_EINTERNAL, "no sealing function");
    sealed = seal(key, id, ctx);
    if (!sealed)
        return err_set(err, TG_EINTERNAL, "cannot encrypt the channel key");
    rc = store_exec(c, SQL_CH_SET_KEY, err, "si", sealed, id);
    free(sealed);
    return rc < 0 ? -1 : 0;
}

static const char *null_if_empty(const char *s)
{
    return s && *s ? s : NULL;
}

int64_t store_channel_create(struct store_conn *c, const struct channel_row *ch,
                             const char *key,
                             char *(*seal)(const char *plain, int64_t id, void *ctx),
                             void *ctx, struct tg_err *err)
{
    int64_t id;

    if (store_begin(c, err) != 0)
        return -1;
    if (store_exec(c, SQL_CH_INSERT, err, "sssssuussuu", ch->name, ch->type, ch->base_url,
                   ch->models, null_if_empty(ch->model_map), ch->priority, ch->weight,
                   ch->group[0] ? ch->group : "default",
                   ch->status[0] ? ch->status : "enabled", ch->connect_timeout,
                   ch->total_timeout) < 0)
        goto fail;
    id = store_insert_id(c);
    if (key && set_key(c, id, key, seal, ctx, err) != 0)
        goto fail;
    if (store_commit(c, err) != 0)
        return -1;
    return id;
fail:
    store_rollback(c);
    return -1;
}

int store_channel_update(struct store_conn *c, const struct channel_row *ch,
                         const char *key,
                         char *(*seal)(const char *plain, int64_t id, void *ctx),
                         void *ctx, struct tg_err *err)
{
    int64_t found = 0;
    int rc;

    if (store_begin(c, err) != 0)
        return -1;
    /* Lock the row first: affected-rows counts changed rows only, not matched ones. */
    rc = store_query_i64(c, SQL_CH_LOCK, &found, err, "i", ch->id);
    if (rc <= 0) {
        store_rollback(c);
        return rc;
    }
    if (store_exec(c, SQL_CH_UPDATE, err, "sssssuusuui", ch->name, ch->type, ch->base_url,
                   ch->models, null_if_empty(ch->model_map), ch->priority, ch->weight,
                   ch->group[0] ? ch->group : "default", ch->connect_timeout,
                   ch->total_timeout, ch->id) < 0)
        goto fail;
    if (key && set_key(c, ch->id, key, seal, ctx, err) != 0)
        goto fail;
    return store_commit(c, err) != 0 ? -1 : 1;
fail:
    store_rollback(c);
    return -1;
}

int64_t store_channel_delete(struct store_conn *c, int64_t id, struct tg_err *err)
{
    return store_exec(c, SQL_CH_DELETE, err, "i", id);
}

int64_t store_channel_set_status(struct store_conn *c, int64_t id, const char *status,
                                 const char *reason, struct tg_err *err)
{
    return store_exec(c, SQL_CH_STATUS, err, "ssi", status, null_if_empty(reason), id);
}

int store_channel_health(struct store_conn *c, int64_t id, const char *error, int ms,
                         struct tg_err *err)
{
    int64_t rc;

    if (error)
        rc = store_exec(c, SQL_CH_HEALTH_ERR, err, "usi", ms, error, id);
    else
        rc = store_exec(c, SQL_CH_HEALTH_OK, err, "ui", ms, id);
    return rc < 0 ? -1 : 0;
}

int store_prices_each(struct store_conn *c,
                      void (*fn)(const struct price_row *p, void *ctx), void *ctx,
                      struct tg_err *err)
{
    struct store_res *r = store_query(c, SQL_PRICE_EACH, err, "");
    struct price_row p;
    int n = 0, rc;

    if (!r)
        return -1;
    while ((rc = store_next(r)) == 1) {
        memset(&p, 0, sizeof(p));
        str_copy(p.model, sizeof(p.model), store_col_str(r, 0));
        p.input = store_col_i64(r, 1);
        p.output = store_col_i64(r, 2);
        p.cache_read = store_col_i64(r, 3);
        p.cache_write = store_col_i64(r, 4);
        p.cache_write_1h = store_col_i64(r, 5);
        p.max_output = (int)store_col_i64(r, 6);
        fn(&p, ctx);
        n++;
    }
    store_res_free(r);
    return rc < 0 ? err_set(err, TG_EINTERNAL, "database error") : n;
}

int store_price_upsert(struct store_conn *c, const struct price_row *p,
                       struct tg_err *err)
{
    return store_exec(c, SQL_PRICE_UPSERT, err, "siiiiiu", p->model, p->input, p->output,
                      p->cache_read, p->cache_write, p->cache_write_1h, p->max_output) < 0
               ? -1
               : 0;
}

int64_t store_price_delete(struct store_conn *c, const char *model, struct tg_err *err)
{
    return store_exec(c, SQL_PRICE_DELETE, err, "s", model);
}

int store_group_ppm(struct store_conn *c, const char *group, int64_t *ppm,
                    struct tg_err *err)
{
    int rc = store_query_i64(c, SQL_GROUP_PPM, ppm, err, "s",
                             group && *group ? group : "default");

    if (rc == 0)
        *ppm = 1000000;
    return rc;
}
