/* status: GET /api/status (health) and GET /metrics (Prometheus text). */
#include <stdio.h>

#include "api/api.h"
#include "config.h"
#include "router/router.h"
#include "server/metrics.h"
#include "store/migrate.h"
#include "store/store.h"
#include "util/str.h"

TG_HANDLER(api_status)
{
    struct store_conn *c;
    struct tg_err dberr = {0};
    int level = -1, up;
    json_t *body;
    int rc;

    c = store_get(req->app->pool, &dberr);
    up = c && store_schema_level(c, &level, &dberr) == 0;
    store_put(req->app->pool, c);
    body = json_pack("{s:s, s:s, s:s, s:i, s:I, s:i}", "status", up ? "ok" : "degraded",
                     "version", PACKAGE_VERSION, "database", up ? "up" : "down",
                     "schema_version", level, "uptime_seconds",
                     (json_int_t)((str_now_us() - req->app->started_us) / 1000000),
                     "worker", req->app->worker_index);
    if (!up)
        response_add_header(req, "Retry-After: 1");
    rc = response_send_json(req, up ? 200 : 503, body);
    json_decref(body);
    (void)err;
    return rc;
}

static const char *route_name(int i)
{
    return i >= 0 && i < router_route_count ? router_routes[i].name : "unmatched";
}

TG_HANDLER(api_metrics)
{
    struct store_pool_stats ps;
    struct buf out;
    int rc;

    buf_init(&out, 4 << 20);
    metrics_render(&out, route_name);
    store_pool_stats(req->app->pool, &ps);
    buf_printf(&out,
               "# HELP tollgate_db_pool_size Connections allowed per worker.\n"
               "# TYPE tollgate_db_pool_size gauge\ntollgate_db_pool_size %d\n"
               "# HELP tollgate_db_pool_in_use Connections borrowed now (this worker).\n"
               "# TYPE tollgate_db_pool_in_use gauge\ntollgate_db_pool_in_use %d\n"
               "# HELP tollgate_db_pool_open Connections open (this worker).\n"
               "# TYPE tollgate_db_pool_open gauge\ntollgate_db_pool_open %d\n"
               "# HELP tollgate_db_pool_waiting Threads waiting for a connection.\n"
               "# TYPE tollgate_db_pool_waiting gauge\ntollgate_db_pool_waiting %d\n",
               ps.size, ps.in_use, ps.open, ps.waiting);
    if (!out.ptr)
        return err_set(err, TG_EINTERNAL, "out of memory");
    rc = response_send(req, 200, "text/plain; version=0.0.4", out.ptr, out.len);
    buf_free(&out);
    return rc;
}
