/* portal_cmds: tollgatectl commands of the portal area. */
#include "ctl/ctl.h"

const struct ctl_cmd ctl_portal_cmds[] = {
    {NULL, NULL, NULL, 0, NULL, NULL},
};
