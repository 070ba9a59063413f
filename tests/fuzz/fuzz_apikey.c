/* fuzz_apikey: libFuzzer target for API key parsing. The first byte picks where the rest
 * splits into an Authorization value and an x-api-key value (a split at either end drops
 * that header). A key found must be bounded, clean and taken from the input; a key that
 * passes the format check must have the exact shape, and no single-character change of it
 * may pass. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "auth/apikey.h"

#define FIELD_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copy n input bytes as a C string header value (an inner NUL ends it, as it would). */
static void take(char *dst, const uint8_t *src, size_t n)
{
    if (n > FIELD_MAX)
        n = FIELD_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int is_b62(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* If s passes apikey_well_formed, check its shape and that every typo is caught. */
static void check_well_formed(const char *s)
{
    char copy[APIKEY_LEN + 1];

    if (!apikey_well_formed(s))
        return;
    assert(strlen(s) == APIKEY_LEN);
    assert(memcmp(s, APIKEY_PREFIX, 3) == 0);
    for (size_t i = 3; i < APIKEY_LEN; i++)
        assert(is_b62(s[i]));
    memcpy(copy, s, sizeof(copy));
    for (size_t i = 0; i < APIKEY_LEN; i++) {
        copy[i] = s[i] == '0' ? '1' : '0';
        assert(!apikey_well_formed(copy));
        copy[i] = s[i];
    }
}

/* Call apikey_from_headers with an out buffer of cap bytes and check what it returns. */
static void check_headers(const char *auth, const char *xkey, size_t cap)
{
    char out[APIKEY_LEN + 1];
    int rc;

    memset(out, 'X', sizeof(out));
    rc = apikey_from_headers(auth, xkey, out, cap);
    assert(rc >= -1 && rc <= 1);
    if (!auth && !xkey)
        assert(rc == 0);
    if (rc == 0)
        assert(out[0] == '\0');
    if (rc != 1)
        return;
    assert(memchr(out, '\0', cap) != NULL);
    assert(out[0] != '\0');
    for (const char *p = out; *p; p++)
        assert((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f);
    assert((auth && strstr(auth, out)) || (xkey && strstr(xkey, out)));
    check_well_formed(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char auth[FIELD_MAX + 1], xkey[FIELD_MAX + 1];
    size_t rest, cut;

    if (size < 1)
        return 0;
    rest = size - 1;
    cut = data[0] % (rest + 1);
    take(auth, data + 1, cut);
    take(xkey, data + 1 + cut, rest - cut);
    check_headers(cut > 0 ? auth : NULL, cut < rest ? xkey : NULL, APIKEY_LEN + 1);
    check_headers(cut > 0 ? auth : NULL, cut < rest ? xkey : NULL, 8);
    check_well_formed(auth);
    check_well_formed(xkey);
    return 0;
}
