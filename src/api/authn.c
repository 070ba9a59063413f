/* authn: portal session authentication for the router (AUTH_SESSION, AUTH_ADMIN). */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/jwt.h"
#include "config/config.h"
#include "router/router.h"
#include "store/store.h"
#include "store/users.h"

/* The bearer token of the Authorization header, or NULL. */
static const char *bearer(const struct tg_request *req)
{
    const char *h = request_param(req, "HTTP_AUTHORIZATION");

    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

int authn_session(struct tg_request *req, int need_admin, struct tg_err *err)
{
    const struct tg_config *cfg = req->app->cfg;
    const char *tok = bearer(req);
    struct jwt_claims cl;
    struct store_conn *c;
    struct user_row u;
    int rc;

    if (!tok)
        return err_set(err, TG_EAUTH, "missing access token");
    if (jwt_verify(tok, cfg->jwt_issuer, cfg->jwt_audience, "at+jwt", cfg->jwt_key,
                   cfg->jwt_key_len, time(NULL), &cl, err) != 0)
        return -1;
    c = store_get(req->app->pool, err);
    if (!c)
        return -1;
    /* The session must still be live (logout and password resets end it) and the user
     * active; the role comes from the database, not from the token. */
    rc = cl.sid ? store_session_active(c, cl.sid, err) : 0;
    if (rc == 1)
        rc = store_user_by_id(c, cl.sub, &u, err);
    store_put(req->app->pool, c);
    if (rc < 0)
        return -1;
    if (rc == 0 || strcmp(u.status, "active") != 0)
        return err_set(err, TG_EAUTH, "session ended; log in again");
    if (need_admin && strcmp(u.role, "admin") != 0)
        return err_set(err, TG_EDENIED, "administrator role required");
    req->who.user_id = u.id;
    req->who.session_id = cl.sid;
    req->who.is_admin = strcmp(u.role, "admin") == 0;
    return 0;
}
