/* fuzz_router: libFuzzer target for router matching and path dialects. The input is
 * "METHOD PATH"; any byte sequence must match or fail cleanly, never crash. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "router/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[2048], *sp;
    struct route_match m;
    struct tg_err err = {0};

    if (size >= sizeof(buf))
        size = sizeof(buf) - 1;
    memcpy(buf, data, size);
    buf[size] = '\0';
    sp = strchr(buf, ' ');
    if (!sp)
        return 0;
    *sp = '\0';
    router_path_dialect(sp + 1);
    if (router_match(buf, sp + 1, &m, &err) == 0) {
        assert(m.route != NULL);
        assert(m.nparams <= REQUEST_MAX_PARAMS);
        assert(strcmp(m.route->method, buf) == 0);
    } else {
        assert(err.code == TG_ENOTFOUND || err.code == TG_EMETHOD);
    }
    return 0;
}
