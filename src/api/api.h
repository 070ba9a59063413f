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

/* portal -- client handlers below this line */

/* external partner API -- handlers below this line */

/* admin -- handlers below this line */

#endif
