/* fuzz_extsig: libFuzzer target for partner signature headers. The input holds the four
 * header values separated by newlines; checks must never crash, and a signature only
 * verifies when it is the real HMAC. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/extsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[1024], *parts[4] = {NULL, NULL, NULL, NULL}, *save = NULL, good[65];
    struct tg_err err = {0};
    char *canon;
    int n = 0;

    if (size >= sizeof(buf))
        size = sizeof(buf) - 1;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (char *t = strtok_r(buf, "\n", &save); t && n < 4;
         t = strtok_r(NULL, "\n", &save))
        parts[n++] = t;
    if (n < 4)
        return 0;
    if (extsig_check_headers(parts[0], parts[1], parts[2], parts[3], 1800000000, &err) !=
        0)
        assert(err.code == TG_EAUTH);
    canon = extsig_canonical("POST", "/api/user/external/topup", parts[1], parts[2], data,
                             size);
    if (!canon)
        return 0;
    extsig_sign("secret", 6, canon, good);
    assert(extsig_verify("secret", 6, canon, good) == 1);
    if (strcmp(parts[3], good) != 0)
        assert(extsig_verify("secret", 6, canon, parts[3]) == 0);
    free(canon);
    return 0;
}
