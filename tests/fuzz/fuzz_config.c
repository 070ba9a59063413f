/* fuzz_config: libFuzzer target for config values: "key=value" lines applied to a
 * default config must be accepted or refused with a message, never crash or leave a
 * value out of its bounds. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tg_config c;
    char buf[1024], *eq;
    struct tg_err err = {0};

    if (size >= sizeof(buf))
        size = sizeof(buf) - 1;
    memcpy(buf, data, size);
    buf[size] = '\0';
    eq = strchr(buf, '=');
    if (!eq)
        return 0;
    *eq = '\0';
    config_defaults(&c);
    if (config_set(&c, buf, eq + 1, &err) != 0)
        assert(err.msg[0] != '\0');
    assert(c.workers >= 1 && c.workers <= 64);
    assert(c.threads >= 1 && c.threads <= 4096);
    assert(c.max_body_bytes >= 1024);
    return 0;
}
