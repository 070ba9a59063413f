/* portal_admin: administrator actions on portal accounts (status, plan), shared by the
 * admin API and tollgatectl. Each writes an audit row in the same transaction. */
#ifndef TG_PORTAL_ADMIN_H
#define TG_PORTAL_ADMIN_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "store/users.h"

/* Set user_id's status to "active" or "suspended" (suspending also ends the user's
 * sessions). actor_id is the admin (0 = command line). Returns 1 changed, 0 already so,
 * -1 (TG_ENOTFOUND for no such or deleted user, TG_EINVAL for a bad status). */
int portal_admin_set_status(struct store_conn *c, int64_t actor_id, int64_t user_id,
                            const char *status, const char *ip, struct tg_err *err);
/* Set user_id's plan (free | basic | pro) and bring the user's keys within its ceilings.
 * Returns 1 changed, 0 already so, -1 (TG_ENOTFOUND, or TG_EINVAL naming "plan"). */
int portal_admin_set_plan(struct store_conn *c, int64_t actor_id, int64_t user_id,
                          const char *plan, const char *ip, struct tg_err *err);
/* A user as the admin API and tollgatectl show it (new reference). */
json_t *portal_admin_user_json(const struct user_row *u);

#endif
