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
    {"POST", "/v1/chat/completions",                  v1_chat,               AUTH_KEY,     OA, "chat"},
    {"POST", "/v1/completions",                       v1_completions,        AUTH_KEY,     OA, "completions"},
    {"POST", "/v1/embeddings",                        v1_embeddings,         AUTH_KEY,     OA, "embeddings"},
    {"GET", "/v1/models",                            v1_models,             AUTH_KEY,     OA, "models"},
    {"POST", "/v1/messages",                          v1_messages,           AUTH_KEY,     AN, "messages"},
    {"POST", "/v1/messages/count_tokens",             v1_count_tokens,       AUTH_KEY,     AN, "count_tokens"},
    {"POST", "/v1/responses",                         v1_responses,          AUTH_KEY,     OA, "responses"},
    {"POST", "/v1/responses/compact",                 v1_responses_compact,  AUTH_KEY,     OA, "responses_compact"},
    {"POST", "/api/client/v1/chat/completions",       v1_chat,               AUTH_KEY,     OA, "chat"},
    {"POST", "/api/client/v1/completions",            v1_completions,        AUTH_KEY,     OA, "completions"},
    {"POST", "/api/client/v1/embeddings",             v1_embeddings,         AUTH_KEY,     OA, "embeddings"},
    {"GET", "/api/client/v1/models",                 v1_models,             AUTH_KEY,     OA, "models"},
    {"POST", "/api/client/v1/messages",               v1_messages,           AUTH_KEY,     AN, "messages"},
    {"POST", "/api/client/v1/messages/count_tokens",  v1_count_tokens,       AUTH_KEY,     AN, "count_tokens"},
    {"POST", "/api/client/v1/responses",              v1_responses,          AUTH_KEY,     OA, "responses"},
    {"POST", "/api/client/v1/responses/compact",      v1_responses_compact,  AUTH_KEY,     OA, "responses_compact"},
    {"POST", "/api/event_logging/batch",              v1_event_logging,      AUTH_NONE,    PO, "event_logging"},

    /* portal -- routes below this line */
    {"GET",    "/api/client/auth/challenge",           client_challenge,           AUTH_NONE,    PO, "challenge"},
    {"POST",   "/api/client/auth/register",            client_register,            AUTH_NONE,    PO, "register"},
    {"POST",   "/api/client/auth/verify-email",        client_verify_email,        AUTH_NONE,    PO, "verify_email"},
    {"POST",   "/api/client/auth/resend-verification", client_resend_verification, AUTH_SESSION, PO, "resend_verification"},
    {"POST",   "/api/client/auth/forgot-password",     client_forgot_password,     AUTH_NONE,    PO, "forgot_password"},
    {"POST",   "/api/client/auth/reset-password",      client_reset_password,      AUTH_NONE,    PO, "reset_password"},
    {"GET",    "/api/client/users/profile",            client_profile_get,         AUTH_SESSION, PO, "profile"},
    {"PUT",    "/api/client/users/profile",            client_profile_put,         AUTH_SESSION, PO, "profile"},
    {"DELETE", "/api/client/users/account",            client_account_delete,      AUTH_SESSION, PO, "account"},
    {"GET",    "/api/client/users/usage",              client_usage,               AUTH_SESSION, PO, "usage"},
    {"GET",    "/api/client/users/billing",            client_billing,             AUTH_SESSION, PO, "billing"},
    {"GET",    "/api/client/keys",                     client_keys_list,           AUTH_SESSION, PO, "keys"},
    {"POST",   "/api/client/keys",                     client_keys_create,         AUTH_SESSION, PO, "keys"},
    {"GET",    "/api/client/keys/:id",                 client_keys_get,            AUTH_SESSION, PO, "key"},
    {"PUT",    "/api/client/keys/:id",                 client_keys_update,         AUTH_SESSION, PO, "key"},
    {"DELETE", "/api/client/keys/:id",                 client_keys_delete,         AUTH_SESSION, PO, "key"},
    {"POST",   "/api/client/keys/:id/regenerate",      client_keys_regenerate,     AUTH_SESSION, PO, "key_regenerate"},
    {"GET",    "/api/client/keys/:id/usage",           client_keys_usage,          AUTH_SESSION, PO, "key_usage"},

    /* external partner API -- routes below this line */
    {"POST",   "/api/user/external/sync",       ext_sync,         AUTH_HMAC, PO, "ext_sync"},
    {"POST",   "/api/user/external/topup",      ext_topup,        AUTH_HMAC, PO, "ext_topup"},
    {"POST",   "/api/user/external/token",      ext_token,        AUTH_HMAC, PO, "ext_token"},
    {"GET",    "/api/user/external/:external_user_id",        ext_info,   AUTH_HMAC, PO, "ext_info"},
    {"GET",    "/api/user/external/:external_user_id/stats",  ext_stats,  AUTH_HMAC, PO, "ext_stats"},
    {"GET",    "/api/user/external/:external_user_id/tokens", ext_tokens, AUTH_HMAC, PO, "ext_tokens"},
    {"DELETE", "/api/user/external/:external_user_id/tokens/:id", ext_token_revoke, AUTH_HMAC, PO,
     "ext_token_revoke"},

    /* admin -- routes below this line */
    {"GET",  "/api/admin/users",            admin_users_list, AUTH_ADMIN,   PO, "admin_users"},
    {"GET",    "/api/admin/channels",           admin_channels_list,  AUTH_ADMIN, PO, "admin_channels"},
    {"POST",   "/api/admin/channels",           admin_channel_create, AUTH_ADMIN, PO, "admin_channels"},
    {"GET",    "/api/admin/channels/:id",       admin_channel_get,    AUTH_ADMIN, PO, "admin_channel"},
    {"PUT",    "/api/admin/channels/:id",       admin_channel_update, AUTH_ADMIN, PO, "admin_channel"},
    {"DELETE", "/api/admin/channels/:id",       admin_channel_delete, AUTH_ADMIN, PO, "admin_channel"},
    {"POST",   "/api/admin/channels/:id/test",  admin_channel_test,   AUTH_ADMIN, PO, "admin_channel_test"},
    {"GET",    "/api/admin/prices",             admin_prices_list,    AUTH_ADMIN, PO, "admin_prices"},
    {"PUT",    "/api/admin/prices/:model",      admin_price_set,      AUTH_ADMIN, PO, "admin_price"},
    {"DELETE", "/api/admin/prices/:model",      admin_price_delete,   AUTH_ADMIN, PO, "admin_price"},
    {"GET",    "/api/admin/keys",               admin_keys_list,      AUTH_ADMIN, PO, "admin_keys"},
    {"POST",   "/api/admin/keys",               admin_key_create,     AUTH_ADMIN, PO, "admin_keys"},
    {"DELETE", "/api/admin/keys/:id",           admin_key_revoke,     AUTH_ADMIN, PO, "admin_key"},
    {"POST",   "/api/admin/users/:id/quota",    admin_user_quota,     AUTH_ADMIN, PO, "admin_user_quota"},
    {"GET",    "/api/admin/logs",               admin_logs,           AUTH_ADMIN, PO, "admin_logs"},
    {"GET",    "/api/admin/users/:id",           admin_user_get,       AUTH_ADMIN, PO, "admin_user"},
    {"POST",   "/api/admin/users/:id/suspend",   admin_user_suspend,   AUTH_ADMIN, PO, "admin_user_suspend"},
    {"POST",   "/api/admin/users/:id/unsuspend", admin_user_unsuspend, AUTH_ADMIN, PO, "admin_user_unsuspend"},
    {"PUT",    "/api/admin/users/:id/plan",      admin_user_plan,      AUTH_ADMIN, PO, "admin_user_plan"},
};
/* clang-format on */

const int router_route_count = (int)(sizeof(router_routes) / sizeof(router_routes[0]));
