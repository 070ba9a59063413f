/* api: the handlers of every route, grouped by area. Each takes the request and an error
 * slot and returns 0 (response sent) or -1 (err set; the server sends it). */
#ifndef TG_API_H
#define TG_API_H

#include "server/request.h"

#define TG_HANDLER(name) int name(struct tg_request *req, struct tg_err *err)

/* operations (status.c, metrics.c) */
TG_HANDLER(api_status);
TG_HANDLER(api_metrics);

/* portal auth (client_auth.c) */
TG_HANDLER(client_login);
TG_HANDLER(client_refresh);
TG_HANDLER(client_logout);

/* admin (admin_users.c) */
TG_HANDLER(admin_users_list);

/* relay (v1.c) -- relay handlers below this line */
TG_HANDLER(v1_chat);
TG_HANDLER(v1_completions);
TG_HANDLER(v1_embeddings);
TG_HANDLER(v1_responses);
TG_HANDLER(v1_responses_compact);
TG_HANDLER(v1_messages);
TG_HANDLER(v1_count_tokens);
TG_HANDLER(v1_models);
TG_HANDLER(v1_event_logging);

/* portal -- client handlers below this line */
/* registration and mail tokens (client_register.c) */
TG_HANDLER(client_challenge);
TG_HANDLER(client_register);
TG_HANDLER(client_verify_email);
TG_HANDLER(client_resend_verification);
TG_HANDLER(client_forgot_password);
TG_HANDLER(client_reset_password);
/* profile, account, usage, billing (client_users.c) */
TG_HANDLER(client_profile_get);
TG_HANDLER(client_profile_put);
TG_HANDLER(client_account_delete);
TG_HANDLER(client_usage);
TG_HANDLER(client_billing);
/* the user's API keys (client_keys.c) */
TG_HANDLER(client_keys_list);
TG_HANDLER(client_keys_create);
TG_HANDLER(client_keys_get);
TG_HANDLER(client_keys_update);
TG_HANDLER(client_keys_delete);
TG_HANDLER(client_keys_regenerate);
TG_HANDLER(client_keys_usage);

/* external partner API -- handlers below this line */
/* users (external.c), money (external_money.c), keys (external_tokens.c) */
TG_HANDLER(ext_sync);
TG_HANDLER(ext_info);
TG_HANDLER(ext_topup);
TG_HANDLER(ext_stats);
TG_HANDLER(ext_token);
TG_HANDLER(ext_tokens);
TG_HANDLER(ext_token_revoke);

/* admin -- handlers below this line */
/* channels and prices (admin_relay.c) */
TG_HANDLER(admin_channels_list);
TG_HANDLER(admin_channel_create);
TG_HANDLER(admin_channel_get);
TG_HANDLER(admin_channel_update);
TG_HANDLER(admin_channel_delete);
TG_HANDLER(admin_channel_test);
TG_HANDLER(admin_prices_list);
TG_HANDLER(admin_price_set);
TG_HANDLER(admin_price_delete);
/* keys, quota and logs (admin_money.c) */
TG_HANDLER(admin_keys_list);
TG_HANDLER(admin_key_create);
TG_HANDLER(admin_key_revoke);
TG_HANDLER(admin_user_quota);
TG_HANDLER(admin_logs);
/* portal accounts (admin_portal.c) */
TG_HANDLER(admin_user_get);
TG_HANDLER(admin_user_suspend);
TG_HANDLER(admin_user_unsuspend);
TG_HANDLER(admin_user_plan);

#endif
