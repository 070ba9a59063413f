/* secretbox: secrets at rest (channel keys, partner secrets) sealed with the master key,
 * bound to their row by the AAD "<table>.<column>:<id>". */
#ifndef TG_SECRETBOX_H
#define TG_SECRETBOX_H

#include <stdint.h>

#include "config/config.h"

/* Seal plain for row id of what ("channels.key", "partners.secret"). Returns a malloc'd
 * "v1:<kid>:..." string or NULL. */
char *secretbox_seal(const struct tg_config *cfg, const char *what, int64_t id,
                     const char *plain);
/* Open a sealed string. Returns the plaintext (free with crypto_free_secret) or NULL when
 * the key id is unknown, the key is wrong, or the ciphertext belongs to another row. */
char *secretbox_open(const struct tg_config *cfg, const char *what, int64_t id,
                     const char *sealed);

#endif
