/* plans: what each plan lets a user choose for their own API keys. */
#ifndef TG_PLANS_H
#define TG_PLANS_H

struct plan {
    const char *name;                   /* users.plan: free | basic | pro */
    int rpm, rpd, tpm, max_concurrency; /* ceilings of a key's limits */
    int max_keys;                       /* live (not revoked) keys per user */
};

/* The plan called name, or NULL. */
const struct plan *plan_get(const char *name);
/* The plan of a user whose row says name; unknown names get the smallest plan. */
const struct plan *plan_of(const char *name);

#endif
