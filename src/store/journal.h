/* journal: what a worker owes the database but has not written yet, kept in memory
 * shared by every worker: the charges of calls settled on a balance lease (ledger rows)
 * and the queued usage rows. A worker that dies (kill -9, a crash) loses neither: the
 * next worker to look writes them, and closes the dead one's leases.
 *
 * The master maps it before fork, anonymous or from a file (journal_file). A file, on
 * tmpfs such as /run, also outlives the master: when every process was killed at once,
 * the next start finds what they left and the first worker writes it. Without
 * journal_init (tools, tests) every call is a no-op. */
#ifndef TG_STORE_JOURNAL_H
#define TG_STORE_JOURNAL_H

#include <stdint.h>

#include "store/billing.h"
#include "util/err.h"

struct journal_entry {
    char request_id[40];
    char lease_id[40];
    int64_t user_id, key_id, reserved, charge;
    int32_t released;
    int32_t used; /* 1 while its ledger row is unwritten */
    int32_t
        has_row; /* row is the call's usage row, recorded with its charge in one step */
    int32_t pad;
    struct usage_log row;
};

/* Usage rows a worker may have queued and unwritten at once (its queue's size). */
#define JOURNAL_USAGE_CAP 4096
/* Balance leases a worker may have open at once (a lease is opened only with room). */
#define JOURNAL_LEASE_CAP 1024
/* journal_lease_open without a journal. */
#define JOURNAL_NONE (-2)

/* What a dead process left, taken for writing by journal_adopt. */
struct journal_orphan {
    struct journal_entry *e; /* settled lease calls whose ledger rows are unwritten */
    int n;
    struct usage_log *u; /* usage rows that may be unwritten */
    int nu;
    char (*leases)[40]; /* ledger request_ids of leases it had open */
    int nl;
};

/* Map the shared slots, once, in the master before fork. path NULL or "": anonymous
 * memory. Otherwise the file is created (0600, sparse) or reopened and locked for this
 * process and its workers; slots a previous run left are put up for adoption; a file of
 * another layout is moved aside (path.bad-TIME). While another live tollgate holds the
 * file, waits up to wait_s seconds for it. Returns 0 or -1 (err says why). */
int journal_init(const char *path, int wait_s, struct tg_err *err);
/* Take a slot for this process (a worker, after fork). Returns 0, or -1 (no journal:
 * settlements and usage rows then live in process memory only). */
int journal_attach(void);
/* Record a settled call. Returns its index, or -1 (no journal, or the slot is full). */
int journal_add(const struct journal_entry *e);
/* Entries this process can still add (journal_add), 0 without a journal. Callers
 * serialize it with journal_add and journal_done. */
int journal_room(void);
/* Its ledger row is written (or can never be): forget entry i (>= 0). */
void journal_done(int i);
/* Record the usage row at position i (0 <= i < JOURNAL_USAGE_CAP) of this process's
 * queue. One thread at a time per position. Returns 0, or -1 (no journal, or position i
 * still holds an unwritten row). */
int journal_usage_put(int i, const struct usage_log *row);
/* Usage row i is written (or can never be). */
void journal_usage_done(int i);
/* Record lease id as opened by this process, before its ledger row is written, so that
 * whoever adopts the slot closes it (what its calls had not spent goes back). Callers
 * serialize it with each other. Returns its index, -1 when the process has
 * JOURNAL_LEASE_CAP open (open no lease then: it could not be closed after a crash), or
 * JOURNAL_NONE without a journal. */
int journal_lease_open(const char *id);
/* Lease i (>= 0) is closed, or was never opened: forget it. */
void journal_lease_closed(int i);
/* Give the slot back at a clean exit (entries and leases left, if any, stay for
 * adoption). */
void journal_detach(void);
/* Master: worker pid has exited; its slot, if it still holds entries, is up for
 * adoption. */
void journal_orphan(int pid);
/* Adopt one orphaned slot: copies what it holds into o (malloc'd arrays, free them with
 * journal_orphan_free) and returns a handle >= 0 for journal_release, or -1 when there is
 * none. */
int journal_adopt(struct journal_orphan *o);
void journal_orphan_free(struct journal_orphan *o);
/* After adoption: done = 1 frees the slot, 0 puts it back up for adoption. */
void journal_release(int handle, int done);

#endif
