/* router: matching a method and path against the route table, then authenticating. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"
#include "util/str.h"

/* Match one pattern against path; fill params. Returns 1 on a match. */
static int pattern_match(const char *pat, const char *path, struct route_match *m)
{
    int np = 0;

    while (*pat && *path) {
        if (*pat != '/' || *path != '/')
            return 0;
        pat++;
        path++;
        const char *pe = strchr(pat, '/'), *se = strchr(path, '/');
        size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
        size_t sl = se ? (size_t)(se - path) : strlen(path);

        if (pat[0] == ':') {
            if (sl == 0 || sl >= sizeof(m->params[0]) || np >= REQUEST_MAX_PARAMS)
                return 0;
            memcpy(m->params[np], path, sl);
            m->params[np][sl] = '\0';
            np++;
        } else if (pl != sl || memcmp(pat, path, pl) != 0) {
            return 0;
        }
        pat += pl;
        path += sl;
    }
    if (*pat || *path)
        return 0;
    m->nparams = np;
    return 1;
}

int router_match(const char *method, const char *path, struct route_match *m,
                 struct tg_err *err)
{
    char allow[128] = "";
    size_t used = 0;

    memset(m, 0, sizeof(*m));
    for (int i = 0; i < router_route_count; i++) {
        const struct route *r = &router_routes[i];
        struct route_match tmp;

        if (!pattern_match(r->pattern, path, &tmp))
            continue;
        if (strcmp(r->method, method) == 0) {
            *m = tmp;
            m->route = r;
            m->index = i;
            return 0;
        }
        if (!strstr(allow, r->method)) {
            int n = snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "",
                             r->method);
            if (n > 0 && (size_t)n < sizeof(allow) - used)
                used += (size_t)n;
        }
    }
    if (used)
        return err_set(err, TG_EMETHOD, "method %s not allowed; use %s", method, allow);
    return err_set(err, TG_ENOTFOUND, "no route for %s %s", method, path);
}

enum dialect router_path_dialect(const char *path)
{
    const char *p = path;

    if (strncmp(p, "/api/client/v1/", 15) == 0)
        p += 11;
    if (strncmp(p, "/v1/messages", 12) == 0 && (p[12] == '\0' || p[12] == '/'))
        return DIALECT_ANTHROPIC;
    if (strncmp(p, "/v1/", 4) == 0)
        return DIALECT_OPENAI;
    return DIALECT_PORTAL;
}

int router_dispatch(struct tg_request *req, struct tg_err *err)
{
    const struct route *r = req->route;
    int rc = 0;

    switch (r->auth) {
    case AUTH_NONE:
        break;
    case AUTH_KEY:
        rc = authn_key(req, err);
        break;
    case AUTH_SESSION:
        rc = authn_session(req, 0, err);
        break;
    case AUTH_ADMIN:
        rc = authn_session(req, 1, err);
        break;
    case AUTH_HMAC:
        rc = authn_partner(req, err);
        break;
    }
    if (rc != 0)
        return -1;
    return r->fn(req, err);
}
