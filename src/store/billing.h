/* billing: reservations, settlements and usage logs: every change of a balance goes
 * through a guarded statement and a ledger row keyed by request id. */
#ifndef TG_STORE_BILLING_H
#define TG_STORE_BILLING_H

#include <stdint.h>

#include "store/store.h"

/* Reserve amount (> 0) from the user and from the key's cap (if it has one), all or
 * nothing, for request_id: when leases are on, on the process's lease of (user, key)
 * (one conditional statement, or none while the lease has spare capacity; see billing.c),
 * else (or if that fails) with a 'reserved' ledger row of its own. Returns 1 reserved,
 * 0 the user's balance is short, 2 the key's cap is short (nothing changed in both
 * cases), -1 error. */
int store_reserve(struct store_conn *c, int64_t user_id, int64_t key_id,
                  const char *request_id, int64_t amount, const char *worker,
                  struct tg_err *err);

/* store_reserve's fast path without a connection: admit request_id on the open lease of
 * (user, key) if it has amount to spare and the journal has room for more than spare
 * settlements besides (the calls that may be in flight). Returns 1 admitted (settle it
 * with store_settle or store_settle_mem), 0 not (nothing changed: go the whole way with
 * store_reserve). */
int store_reserve_mem(int64_t user_id, int64_t key_id, const char *request_id,
                      int64_t amount, int spare);

struct usage_log {
    char request_id[40];
    int64_t user_id, key_id, channel_id;
    char service[16];
    char model[129];
    char endpoint[64];
    int64_t input, output, cache_read, cache_write;
    int64_t quota;
    int duration_ms, ttfb_ms;
    int is_stream, status, estimated;
    char error_class[32];
    char client_ip[46];
};

/* Settle request_id's reservation to charge (0 <= charge; a charge above the reservation
 * is capped at it): returns the difference to the user and the key, counts the request,
 * marks the ledger row settled (or 'released' when charge is 0 and released is 1). A call
 * reserved on a lease returns the difference at once (on c; with c NULL, when the lease
 * goes back) and its ledger row is written by the next store_lease_flush; row (may be
 * NULL), the call's usage row, is then journaled together with the charge, so that a
 * process killed at any point leaves neither or both (the row is still the caller's to
 * queue). Idempotent: a second call for the same request changes nothing and returns 0.
 * Returns 1 settled, 0 already settled / no reservation, -1 error. */
int store_settle(struct store_conn *c, const char *request_id, int64_t charge,
                 int released, const struct usage_log *row, struct tg_err *err);

/* store_settle for a call admitted on a lease without a closer reckoning (every call
 * store_reserve_mem admitted, and most that store_reserve put on a lease), which needs no
 * connection. Returns 1 settled, 0 not such a call (nothing changed: use store_settle).
 */
int store_settle_mem(const char *request_id, int64_t charge, int released,
                     const struct usage_log *row, struct tg_err *err);

/* Charge extra (the part of request_id's charge above its reservation, which settling
 * capped) from what the user has left and, if the key has a cap, what the cap has left:
 * all of it, or as much as they still hold (never below zero), in its own ledger row
 * 'over-<request_id>' (so a second call for the same request changes nothing). *taken
 * gets the amount charged. Returns 0, or -1 (nothing charged). */
int store_charge_overage(struct store_conn *c, int64_t user_id, int64_t key_id,
                         const char *request_id, int64_t extra, const char *worker,
                         int64_t *taken, struct tg_err *err);

/* Balance leases on (or off) in this process. Only a process that runs store_lease_flush
 * regularly (at least every second) and at exit may turn them on. */
void store_lease_enable(int on);
/* Write the ledger rows of calls settled on leases, and return leases that are idle, old,
 * or all of them (final, after store_lease_enable(0) and once calls have ended), with a
 * connection from pool taken only when there is such work. Returns 0, or -1 if something
 * is left for the next flush. */
int store_lease_flush(struct store_pool *pool, int final, struct tg_err *err);
/* Write what a dead worker (or a previous run) left unwritten in the shared journal (see
 * store/journal.h): its queued usage rows, and the ledger rows of calls it settled on its
 * leases, then close those leases.
 * Returns 0, or -1 when some are left for a later try (the database refused). */
int store_journal_recover(struct store_pool *pool, struct tg_err *err);

/* Insert usage rows (a batch: multi-row statements inside one transaction). Returns 0 or
 * -1. Duplicate request ids are ignored. */
int store_usage_insert(struct store_conn *c, const struct usage_log *rows, int n,
                       struct tg_err *err);

/* Release reservations left 'reserved' for more than max_age_s (a worker died mid-call):
 * returns them in full. Returns how many were released or -1. */
int store_reap_reservations(struct store_conn *c, int max_age_s, struct tg_err *err);

#endif
