/* partner_cmds: tollgatectl commands of the partner area. */
#include "ctl/ctl.h"

const struct ctl_cmd ctl_partner_cmds[] = {
    {NULL, NULL, NULL, 0, NULL, NULL},
};
