/* limits: per-key rpm (GCRA), rpd (day counter), tpm (minute token counters) and
 * concurrency (expiring leases), each one atomic conditional statement, so every worker
 * on every host sharing the database agrees. */
#ifndef TG_LIMITS_H
#define TG_LIMITS_H

#include <stdint.h>

#include "store/keys.h"
#include "store/store.h"

/* Whether key k has none of the limits (then admit and finish need no connection). */
static inline int limits_none(const struct key_row *k)
{
    return k->rpm <= 0 && k->rpd <= 0 && k->tpm <= 0 && k->max_concurrency <= 0;
}

/* Admit one call of key k, identified by request_id. Checks rpm, rpd, tpm and concurrency
 * (only those set on the key). Returns 0 when admitted (a concurrency lease is held when
 * max_concurrency > 0), or -1 with err TG_ELIMIT and err->retry_after set (nothing is
 * consumed by a refused call), or another code on database errors. */
int limits_admit(struct store_conn *c, const struct key_row *k, const char *request_id,
                 struct tg_err *err);
/* After the call: record the billed tokens against tpm and drop the concurrency lease.
 * Safe to call for calls that were never admitted. Returns 0 or -1. */
int limits_finish(struct store_conn *c, const struct key_row *k, const char *request_id,
                  int64_t tokens, struct tg_err *err);

#endif
