/* fuzz_jwt: libFuzzer target for the JWT verifier. Arbitrary tokens must be refused with
 * TG_EAUTH, never crash; a token signed with the key round-trips. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[] = "0123456789abcdef0123456789abcdef-fuzz";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char tok[4096];
    struct jwt_claims cl;
    struct tg_err err = {0};

    if (size >= sizeof(tok))
        size = sizeof(tok) - 1;
    memcpy(tok, data, size);
    tok[size] = '\0';
    if (jwt_verify(tok, "tollgate", "aud", "at+jwt", key, sizeof(key) - 1, 1800000000, &cl,
                   &err) != 0)
        assert(err.code == TG_EAUTH);
    return 0;
}
