/* plans: the plan table. */
#include <stddef.h>
#include <string.h>

#include "api/plans.h"

/* clang-format off */
static const struct plan plans[] = {
    /* name     rpm    rpd      tpm        conc  keys */
    {"free",    60,    1000,    100000,    5,    5},
    {"basic",   600,   20000,   1000000,   20,   20},
    {"pro",     3000,  200000,  10000000,  100,  100},
};
/* clang-format on */

const struct plan *plan_get(const char *name)
{
    for (size_t i = 0; name && i < sizeof(plans) / sizeof(plans[0]); i++)
        if (strcmp(plans[i].name, name) == 0)
            return &plans[i];
    return NULL;
}

const struct plan *plan_of(const char *name)
{
    const struct plan *p = plan_get(name);

    return p ? p : &plans[0];
}
