/* router: method + path pattern -> handler, with the auth kind and error dialect of each
 * route in one table (routes.c). */
#ifndef TG_ROUTER_H
#define TG_ROUTER_H

#include "server/request.h"

enum auth_kind {
    AUTH_NONE,    /* public */
    AUTH_KEY,     /* API key: Authorization: Bearer or x-api-key */
    AUTH_SESSION, /* portal access token */
    AUTH_ADMIN,   /* portal access token of an admin */
    AUTH_HMAC,    /* signed partner call */
};

typedef int (*route_fn)(struct tg_request *req, struct tg_err *err);

struct route {
    const char *method;
    const char *pattern; /* segments; ":name" matches one non-empty segment */
    route_fn fn;
    enum auth_kind auth;
    enum dialect
        dialect;      /* DIALECT_OPENAI routes answer Anthropic when the path says so */
    const char *name; /* metrics label */
};

/* The table (routes.c) and its length. */
extern const struct route router_routes[];
extern const int router_route_count;

struct route_match {
    const struct route *route;
    int index;
    int nparams;
    char params[REQUEST_MAX_PARAMS][256];
};

/* Find the route for method and path. Returns 0 with m filled; -1 with err TG_ENOTFOUND
 * (no pattern matches) or TG_EMETHOD (the path exists under other methods; err->msg lists
 * them for the Allow header). */
int router_match(const char *method, const char *path, struct route_match *m,
                 struct tg_err *err);
/* The dialect errors on this path use before a route is known. */
enum dialect router_path_dialect(const char *path);

/* Authenticate as the route demands, then run its handler. Returns the handler's result;
 * on -1 err is set and the caller sends it unless the response has started. */
int router_dispatch(struct tg_request *req, struct tg_err *err);

/* Authentication back ends (api/authn.c). Each fills req->who or sets err. */
int authn_key(struct tg_request *req, struct tg_err *err);
int authn_session(struct tg_request *req, int need_admin, struct tg_err *err);
int authn_partner(struct tg_request *req, struct tg_err *err);

#endif
