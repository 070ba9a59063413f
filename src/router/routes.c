/* routes: every route of tollgate in one table. */
#include <stddef.h>

#include "api/api.h"
#include "router/router.h"

#define OA DIALECT_OPENAI
#define AN DIALECT_ANTHROPIC
#define PO DIALECT_PORTAL

/* clang-format off */
const struct route router_routes[] = {
    /* operations */
    {"GET",  "/api/status",                 api_status,       AUTH_NONE,    PO, "status"},
    {"GET",  "/metrics",                    api_metrics,      AUTH_NONE,    PO, "metrics"},
    {"GET",  "/api/metrics",                api_metrics,      AUTH_NONE,    PO, "metrics"},

    /* portal auth */
    {"POST", "/api/client/auth/login",      client_login,     AUTH_NONE,    PO, "login"},
    {"POST", "/api/client/auth/refresh",    client_refresh,   AUTH_NONE,    PO, "refresh"},
    {"POST", "/api/client/auth/logout",     client_logout,    AUTH_SESSION, PO, "logout"},

    /* relay -- routes below this line */

    /* portal -- routes below this line */

    /* external partner API -- routes below this line */

    /* admin -- routes below this line */
    {"GET",  "/api/admin/users",            admin_users_list, AUTH_ADMIN,   PO, "admin_users"},
};
/* clang-format on */

const int router_route_count = (int)(sizeof(router_routes) / sizeof(router_routes[0]));
