/* fuzz_apikey: libFuzzer target for API key parsing. The first byte splits the rest into
 * an Authorization and an x-api-key value; a key found must be bounded, and only a
 * well-formed key passes the checksum. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "auth/apikey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char a[512], b[512], out[128];
    size_t cut, alen, blen;
    int rc;

    if (size < 1)
        return 0;
    cut = data[0] % (size);
    alen = cut < sizeof(a) - 1 ? cut : sizeof(a) - 1;
    memcpy(a, data + 1, alen > size - 1 ? size - 1 : alen);
    a[alen > size - 1 ? size - 1 : alen] = '\0';
    blen = size - 1 - (alen > size - 1 ? size - 1 : alen);
    if (blen > sizeof(b) - 1)
        blen = sizeof(b) - 1;
    memcpy(b, data + 1 + (alen > size - 1 ? size - 1 : alen), blen);
    b[blen] = '\0';
    rc = apikey_from_headers(a[0] ? a : NULL, b[0] ? b : NULL, out, sizeof(out));
    assert(rc >= -1 && rc <= 1);
    if (rc == 1) {
        assert(strlen(out) < sizeof(out));
        if (apikey_well_formed(out))
            assert(strlen(out) == APIKEY_LEN && strncmp(out, APIKEY_PREFIX, 3) == 0);
    }
    apikey_well_formed(a);
    return 0;
}
