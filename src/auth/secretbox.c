/* secretbox: sealing row secrets with the master key and a row-binding AAD. */
#include <stdio.h>
#include <string.h>

#include "auth/crypto.h"
#include "auth/secretbox.h"

static void aad_for(char *out, size_t cap, const char *what, int64_t id)
{
    snprintf(out, cap, "%s:%lld", what, (long long)id);
}

char *secretbox_seal(const struct tg_config *cfg, const char *what, int64_t id,
                     const char *plain)
{
    char aad[96];

    aad_for(aad, sizeof(aad), what, id);
    return crypto_seal(cfg->master_key, cfg->master_kid, aad, plain, strlen(plain));
}

char *secretbox_open(const struct tg_config *cfg, const char *what, int64_t id,
                     const char *sealed)
{
    char aad[96], kid[32];
    size_t n = 0;

    if (!sealed || crypto_sealed_kid(sealed, kid, sizeof(kid)) != 0 ||
        strcmp(kid, cfg->master_kid) != 0)
        return NULL;
    aad_for(aad, sizeof(aad), what, id);
    return crypto_open(cfg->master_key, sealed, aad, &n);
}
