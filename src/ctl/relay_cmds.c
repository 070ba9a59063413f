/* relay_cmds: tollgatectl commands of the relay area. */
#include "ctl/ctl.h"

const struct ctl_cmd ctl_relay_cmds[] = {
    {NULL, NULL, NULL, 0, NULL, NULL},
};
