/* journal: calls settled in memory on a balance lease, kept in memory shared by every
 * worker until their ledger rows are written, so a worker that dies (kill -9, a crash)
 * loses no charge: the next worker to look writes them and closes the dead one's leases.
 * Mapped by the master before fork; without it (tools, tests) every call is a no-op. */
#ifndef TG_STORE_JOURNAL_H
#define TG_STORE_JOURNAL_H

#include <stdint.h>

struct journal_entry {
    char request_id[40];
    char lease_id[40];
    int64_t user_id, key_id, reserved, charge;
    int32_t released;
    int32_t used; /* 1 while its ledger row is unwritten */
};

/* Map the shared slots (once, in the master before fork). Returns 0 or -1. */
int journal_init(void);
/* Take a slot for this process (a worker, after fork). Returns 0, or -1 (no journal:
 * settlements then live in process memory only). */
int journal_attach(void);
/* Record a settled call. Returns its index, or -1 (no journal, or the slot is full). */
int journal_add(const struct journal_entry *e);
/* Its ledger row is written (or can never be): forget entry i (>= 0). */
void journal_done(int i);
/* Give the slot back at a clean exit (entries left, if any, stay for adoption). */
void journal_detach(void);
/* Master: worker pid has exited; its slot, if it still holds entries, is up for
 * adoption. */
void journal_orphan(int pid);
/* Adopt one orphaned slot: copies its entries into out (malloc'd, *n of them) and
 * returns a handle >= 0 for journal_release, or -1 when there is none. */
int journal_adopt(struct journal_entry **out, int *n);
/* After adoption: done = 1 frees the slot, 0 puts it back up for adoption. */
void journal_release(int handle, int done);

#endif
