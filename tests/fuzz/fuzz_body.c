/* fuzz_body: libFuzzer target for request-body validation of the relay endpoints: JSON
 * to checked fields to the upstream body. The first byte picks the endpoint. A body
 * either fails with TG_EINVAL, or passes and yields an upstream body that is valid JSON.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay/relay_int.h"
#include "server/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tg_request req;
    struct call cl;
    struct pick p;
    struct tg_err err = {0};
    char *up;
    size_t up_len = 0;

    if (size < 1)
        return 0;
    memset(&req, 0, sizeof(req));
    memset(&cl, 0, sizeof(cl));
    memset(&p, 0, sizeof(p));
    req.query = "";
    buf_init(&req.body, 1 << 20);
    if (buf_append(&req.body, data + 1, size - 1) != 0) {
        buf_free(&req.body);
        return 0;
    }
    cl.req = &req;
    cl.ep = (enum relay_endpoint)(data[0] % EP_COUNT);
    if (relay_parse_request(&cl, &err) == 0) {
        json_t *j;
        assert(cl.model && *cl.model);
        /* Half the time the channel maps the model to another name. */
        snprintf(p.upstream_model, sizeof(p.upstream_model), "%s",
                 data[0] & 0x80 ? "mapped-model" : cl.model);
        cl.stream = cl.stream || (data[0] & 0x40);
        up = relay_upstream_body(&cl, &p, &up_len);
        assert(up != NULL);
        j = json_loadb(up, up_len, 0, NULL);
        assert(j != NULL);
        assert(json_is_string(json_object_get(j, "model")));
        json_decref(j);
        free(up);
    } else {
        assert(err.code == TG_EINVAL);
    }
    json_decref(cl.body);
    buf_free(&req.body);
    return 0;
}
