/* billing: reservations, settlements, usage rows and the reaper of stale reservations. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "store/billing.h"
#include "store/journal.h"
#include "util/log.h"
#include "util/str.h"

/* A reservation is two autocommit statements, so no transaction holds the user's row (the
 * hottest row: every call of the user takes it) across a network round trip:
 *  1. the request's ledger row, inserted as 'released' with amount 0 (a row that holds
 *     nothing: if the process dies right after, it changes no balance), then
 *  2. one conditional multi-table UPDATE that takes the amount from the user and from the
 *     key's cap and flips the row to 'reserved', all or nothing.
 * Settling is one multi-table UPDATE as well, guarded by state = 'reserved'. Every
 * statement names ledger, users, api_keys in that order, so they lock rows in the same
 * order and cannot deadlock each other. */
static const char SQL_LEDGER_RESERVE[] =
    "INSERT INTO ledger (user_id, key_id, kind, request_id, reserved, amount, state, "
    "worker) "
    "VALUES (?, NULLIF(?, 0), 'charge', ?, ?, 0, 'released', ?)";
static const char SQL_RESERVE[] =
    "UPDATE ledger l STRAIGHT_JOIN users u ON u.id = l.user_id "
    "LEFT JOIN api_keys k ON k.id = l.key_id "
    "SET u.quota = u.quota - l.reserved, k.quota_used = k.quota_used + l.reserved, "
    "l.state = 'reserved' "
    "WHERE l.request_id = ? AND l.state = 'released' AND l.amount = 0 "
    "AND u.quota >= l.reserved * ? AND u.status = 'active' "
    "AND (k.id IS NULL OR k.quota_limit IS NULL "
    "OR k.quota_used + l.reserved * ? <= k.quota_limit)";
static const char SQL_RESERVE_UNDO[] =
    "DELETE FROM ledger WHERE request_id = ? AND state = 'released' AND amount = 0";
static const char SQL_USER_COVERS[] =
    "SELECT COUNT(*) FROM users WHERE id = ? AND quota >= ? AND status = 'active'";
static const char SQL_SETTLE[] =
    "UPDATE ledger l STRAIGHT_JOIN users u ON u.id = l.user_id "
    "LEFT JOIN api_keys k ON k.id = l.key_id "
    "SET u.quota = u.quota + l.reserved - LEAST(?, l.reserved), "
    "u.used_quota = u.used_quota + LEAST(?, l.reserved), "
    "u.request_count = u.request_count + ?, "
    "k.quota_used = k.quota_used - l.reserved + LEAST(?, l.reserved), "
    "k.request_count = k.request_count + ?, k.last_used_at = CURRENT_TIMESTAMP(3), "
    "l.amount = -LEAST(?, l.reserved), l.state = ?, l.settled_at = CURRENT_TIMESTAMP(3) "
    "WHERE l.request_id = ? AND l.state = 'reserved'";
/* Leases (see lease_take). Growing one is the reservation statement with an amount. */
static const char SQL_LEASE_GROW[] =
    "UPDATE ledger l STRAIGHT_JOIN users u ON u.id = l.user_id "
    "LEFT JOIN api_keys k ON k.id = l.key_id "
    "SET u.quota = u.quota - ?, k.quota_used = k.quota_used + ?, "
    "l.reserved = l.reserved + ? "
    "WHERE l.request_id = ? AND l.state = 'reserved' AND u.quota >= ? * ? "
    "AND u.status = 'active' "
    "AND (k.id IS NULL OR k.quota_limit IS NULL "
    "OR k.quota_used + ? * ? <= k.quota_limit)";
static const char SQL_LEASE_SHRINK[] =
    "UPDATE ledger l STRAIGHT_JOIN users u ON u.id = l.user_id "
    "LEFT JOIN api_keys k ON k.id = l.key_id "
    "SET u.quota = u.quota + ?, k.quota_used = k.quota_used - ?, "
    "l.reserved = l.reserved - ? "
    "WHERE l.request_id = ? AND l.state = 'reserved' AND l.reserved >= ?";
static const char SQL_LEASE_SPEND[] =
    "UPDATE ledger SET reserved = reserved - ? "
    "WHERE request_id = ? AND state = 'reserved' AND reserved >= ?";
static const char SQL_LEASE_USER[] =
    "UPDATE users SET used_quota = used_quota + ?, request_count = request_count + ? "
    "WHERE id = ?";
static const char SQL_LEASE_KEY[] =
    "UPDATE api_keys SET request_count = request_count + ?, "
    "last_used_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
static const char SQL_STALE[] =
    "SELECT request_id FROM ledger WHERE state = 'reserved' "
    "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND LIMIT 200";

/* Multi-row forms of the batch inserts (usage rows, a lease's ledger rows): n rows take
 * one statement per bit of n (64, 32, ... 1 rows) instead of one per row. Built once;
 * their addresses key the statement cache. */
#define USAGE_HEAD                                                                       \
    "INSERT IGNORE INTO usage_logs (request_id, user_id, key_id, channel_id, service, "  \
    "model, endpoint, input_tokens, output_tokens, cache_read_tokens, "                  \
    "cache_write_tokens, quota, duration_ms, ttfb_ms, is_stream, status, estimated, "    \
    "error_class, client_ip) VALUES "
#define USAGE_ROW                                                                        \
    "(?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "         \
    "NULLIF(?, ''), ?)"
#define USAGE_FMT "siiisssiiiiiiiiiiss"
#define LROW_HEAD                                                                        \
    "INSERT IGNORE INTO ledger (user_id, key_id, kind, request_id, reserved, amount, "   \
    "state, worker, settled_at) VALUES "
#define LROW_ROW "(?, NULLIF(?, 0), 'charge', ?, ?, ?, ?, ?, CURRENT_TIMESTAMP(3))"
#define LROW_FMT "iisiiss"
#define SIZES    7
#define SQL_CAP  8192

static const int sizes[SIZES] = {64, 32, 16, 8, 4, 2, 1};
static char usage_sql[SIZES][SQL_CAP], lrow_sql[SIZES][SQL_CAP];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

static void build_rows(char *out, const char *head, const char *row, int k)
{
    size_t n = (size_t)snprintf(out, SQL_CAP, "%s", head);

    for (int i = 0; i < k && n < SQL_CAP; i++)
        n += (size_t)snprintf(out + n, SQL_CAP - n, "%s%s", i ? ", " : "", row);
}

static void build_sql(void)
{
    for (int i = 0; i < SIZES; i++) {
        build_rows(usage_sql[i], USAGE_HEAD, USAGE_ROW, sizes[i]);
        build_rows(lrow_sql[i], LROW_HEAD, LROW_ROW, sizes[i]);
    }
}

/* Insert n rows whose values are in vals (strlen(fmt) per row) with the multi-row forms
 * sql[]. Returns the rows inserted or -1. */
static int64_t insert_rows(struct store_conn *c, char sql[SIZES][SQL_CAP],
                           const char *fmt, const struct store_val *vals, size_t n,
                           struct tg_err *err)
{
    size_t done = 0, nf = strlen(fmt);
    int64_t total = 0, got;

    pthread_once(&sql_once, build_sql);
    while (done < n) {
        int k = 0;
        while ((size_t)sizes[k] > n - done)
            k++;
        got = store_exec_rows(c, sql[k], err, fmt, sizes[k], vals + done * nf);
        if (got < 0)
            return -1;
        total += got;
        done += (size_t)sizes[k];
    }
    return total;
}

/* Tries for a statement that met a deadlock or lock wait timeout (it changed nothing). */
#define LOCK_TRIES 3

/* A reservation row of its own, for one call (margin 1) or for a lease (which is only
 * taken while the balance and the key's cap cover margin times its amount). Same results
 * as store_reserve. */
static int reserve_row(struct store_conn *c, int64_t user_id, int64_t key_id,
                       const char *request_id, int64_t amount, const char *worker,
                       int64_t margin, struct tg_err *err)
{
    int64_t n = -1, covers = 0;

    if (amount <= 0) /* a zero update reads "0 rows": never reserve 0 */
        return err_set(err, TG_EINTERNAL, "bad reservation");
    if (store_exec(c, SQL_LEDGER_RESERVE, err, "iisis", user_id, key_id > 0 ? key_id : 0,
                   request_id, amount, worker) != 1)
        return -1;
    for (int i = 0; i < LOCK_TRIES; i++) { /* again while the database answers busy */
        n = store_exec(c, SQL_RESERVE, err, "sii", request_id, margin, margin);
        if (n >= 0 || err->code != TG_EUNAVAIL)
            break;
    }
    if (n > 0)
        return 1;
    /* Refused (or failed): the placeholder row goes, so nothing is left behind. */
    {
        struct tg_err e2 = {0};
        if (store_exec(c, SQL_RESERVE_UNDO, &e2, "s", request_id) < 0)
            log_warn("billing", "event=reserve_undo_failed request=%s", request_id);
    }
    if (n < 0)
        return -1;
    if (store_query_i64(c, SQL_USER_COVERS, &covers, err, "ii", user_id, amount) < 0)
        return -1;
    return covers > 0 && key_id > 0 ? 2 : 0;
}

/* Settle a reservation row of its own. Same results as store_settle. */
static int settle_direct(struct store_conn *c, const char *request_id, int64_t charge,
                         int released, struct tg_err *err)
{
    int64_t n = -1;
    int count = released ? 0 : 1;
    const char *state = released && charge == 0 ? "released" : "settled";

    if (charge < 0)
        charge = 0;
    for (int i = 0; i < LOCK_TRIES; i++) {
        n = store_exec(c, SQL_SETTLE, err, "iiuiuiss", charge, charge, count, charge,
                       count, charge, state, request_id);
        if (n >= 0 || err->code != TG_EUNAVAIL)
            break;
    }
    return n < 0 ? -1 : n > 0;
}

/* ---------------------------------------------------------------- balance leases
 *
 * A reservation of its own per call costs three statements on the hot rows (the user's,
 * the key's) and a ledger insert. Instead each worker process keeps, per (user, key), a
 * lease: one ledger row 'lease-...' in state 'reserved' that holds money taken from the
 * user and the key's cap with the same conditional statements, so the balance and the cap
 * hold. Two ways to use it:
 *  - exact: while few calls of the key are in flight, a call adds exactly its upper bound
 *    to the lease (one conditional statement) and its settlement gives back what it did
 *    not use (one statement). Balances read as with a reservation per call.
 *  - bulk: once LEASE_MIN_CALLS calls are in flight, the lease grows by many calls'
 *    worth at a time (only while the balance and the cap cover LEASE_MARGIN times that,
 *    so a balance that runs out is not stranded in another process's lease) and calls
 *    are admitted and settled in memory, each in full or not at all, without a
 *    connection when the caller needs none otherwise (store_reserve_mem,
 *    store_settle_mem). Spare capacity goes back after LEASE_IDLE_US without calls.
 * Each call's ledger row is written by the flusher (store_lease_flush, run by the usage
 * writer), which takes the charges off the lease in the same transaction. At every
 * commit: users.quota + (reserved of 'reserved' rows) = sum of amounts. The shared
 * journal keeps, for each worker, the calls it settled but had not written yet and the
 * ids of the leases it has open: when a worker dies, the next one to look writes those
 * charges and closes all of its leases (store_journal_recover); a lease is opened only
 * while the journal has room to name it. */

#define LEASE_MIN_CALLS   4                /* calls of a key in flight for bulk */
#define LEASE_MARGIN      16               /* bulk only while the balance is this many */
#define LEASE_FIRST_CALLS 32               /* a bulk grant covers this many calls */
#define LEASE_MAX_CALLS   1024             /* and a lease at most this many */
#define LEASE_MAX_AGE_US  (30 * 1000000LL) /* then a fresh lease takes new calls */
#define LEASE_IDLE_US     (200 * 1000LL)   /* spare capacity unused this long goes back */
#define LEASE_CLOSE_US    (5 * 1000000LL)  /* a lease unused this long is closed */
#define LEASE_RETRY_US    (1 * 1000000LL)  /* after a refused bulk grant: exact only */
#define LEASE_WAIT_US     (2 * 1000000LL)  /* longest wait for another thread's grant */
#define LEASE_BUCKETS     256              /* powers of two */
#define HELD_BUCKETS      1024

struct lease {
    struct lease *next;
    int64_t user_id, key_id;
    char id[40]; /* its ledger row's request_id; "" until opened */
    char worker[64];
    int64_t granted; /* reserved on its ledger row */
    int64_t avail;   /* part of granted that no call holds (bulk capacity) */
    int64_t pending; /* charges settled in memory, not yet written */
    int inflight;    /* calls holding a part */
    int busy;        /* a thread is changing it in the database */
    int retired;     /* takes no new calls */
    int jl;          /* its place in the journal's open leases, or < 0 (none) */
    int64_t opened_us, used_us, retry_us;
};

struct held { /* a call in flight on a lease */
    struct held *next;
    char request_id[40];
    struct lease *lease;
    int64_t reserved;
    int exact; /* its reservation was added for it alone */
};

struct settled { /* a call settled in memory, its ledger row not written yet */
    char request_id[40];
    struct lease *lease;
    int64_t reserved, charge;
    int released;
    int jidx; /* its journal entry (shared memory), or -1 */
};

static pthread_mutex_t lease_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lease_cv = PTHREAD_COND_INITIALIZER;
static int leases_on;
static struct lease *leases[LEASE_BUCKETS];
static struct held *helds[HELD_BUCKETS];
static struct settled *queue;
static size_t queue_len, queue_cap;

static size_t held_hash(const char *s)
{
    size_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (HELD_BUCKETS - 1);
}

static struct lease **lease_bucket(int64_t user_id, int64_t key_id)
{
    return &leases[(size_t)(user_id * 31 + key_id) & (LEASE_BUCKETS - 1)];
}

/* The lease taking new calls for (user, key), or NULL. Caller holds lease_mu. */
static struct lease *lease_find(int64_t user_id, int64_t key_id)
{
    for (struct lease *l = *lease_bucket(user_id, key_id); l; l = l->next)
        if (l->user_id == user_id && l->key_id == key_id && !l->retired)
            return l;
    return NULL;
}

static struct lease *lease_new(int64_t user_id, int64_t key_id, const char *worker)
{
    struct lease *l = calloc(1, sizeof(*l));
    struct lease **b = lease_bucket(user_id, key_id);

    if (!l)
        return NULL;
    l->user_id = user_id;
    l->key_id = key_id;
    str_copy(l->worker, sizeof(l->worker), worker ? worker : "");
    l->jl = -1;
    l->used_us = str_mono_us();
    l->next = *b;
    *b = l;
    return l;
}

static void lease_new_id(char out[40])
{
    unsigned char rnd[16];
    char hex[33];

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        int64_t t = str_mono_us();
        memcpy(rnd, &t, sizeof(t));
        memset(rnd + sizeof(t), getpid() & 0xff, sizeof(rnd) - sizeof(t));
    }
    str_hex(rnd, sizeof(rnd), hex);
    snprintf(out, 40, "lease-%.32s", hex);
}

/* Admit a call of amount on l (caller holds lease_mu). Returns 1, or 0 out of memory. */
static int lease_hold(struct lease *l, const char *request_id, int64_t amount, int exact)
{
    struct held *h = malloc(sizeof(*h));
    size_t i = held_hash(request_id);

    if (!h)
        return 0;
    str_copy(h->request_id, sizeof(h->request_id), request_id);
    h->lease = l;
    h->reserved = amount;
    h->exact = exact;
    h->next = helds[i];
    helds[i] = h;
    l->avail -= amount;
    l->inflight++;
    l->used_us = str_mono_us();
    return 1;
}

/* The link to request_id's entry in the table (caller holds lease_mu); *link is NULL
 * when it has none. */
static struct held **held_link(const char *request_id)
{
    struct held **p = &helds[held_hash(request_id)];

    while (*p && strcmp((*p)->request_id, request_id) != 0)
        p = &(*p)->next;
    return p;
}

/* Take request_id's entry out of the table (caller holds lease_mu), or NULL. */
static struct held *held_take(const char *request_id)
{
    struct held **p = held_link(request_id), *h = *p;

    if (h)
        *p = h->next;
    return h;
}

/* Add add to l in the database (a new lease row if it has no id yet), while the balance
 * and the key's cap cover margin times add. Returns 1 granted, 0 not. */
static int lease_ask(struct store_conn *c, const struct lease *l, const char *id,
                     int64_t add, int opened, int64_t margin, struct tg_err *err)
{
    if (!opened)
        return reserve_row(c, l->user_id, l->key_id, id, add, l->worker, margin, err) ==
               1;
    return store_exec(c, SQL_LEASE_GROW, err, "iiisiiii", add, add, add, id, add, margin,
                      add, margin) > 0;
}

/* Give back amount of lease id to the user and the key. Returns 1 done, 0 not. */
static int lease_shrink(struct store_conn *c, const char *id, int64_t amount,
                        struct tg_err *err)
{
    return c && store_exec(c, SQL_LEASE_SHRINK, err, "iiisi", amount, amount, amount, id,
                           amount) > 0;
}

/* A bulk grant for a call of amount on l: 0 if l may not grow in bulk. */
static int64_t lease_step(const struct lease *l, int64_t amount)
{
    int64_t cap = amount * LEASE_MAX_CALLS, add;

    add =
        l->granted > amount * LEASE_FIRST_CALLS ? l->granted : amount * LEASE_FIRST_CALLS;
    if (l->granted + add > cap)
        add = cap - l->granted;
    return add >= amount ? add : 0;
}

/* Wait a little for another thread's database work on a lease (caller holds lease_mu).
 * Returns 0, or -1 past deadline. */
static int lease_wait(int64_t deadline)
{
    struct timespec ts;

    if (str_mono_us() > deadline)
        return -1;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&lease_cv, &lease_mu, &ts);
    return 0;
}

/* Admit request_id, reserving amount, on the lease of (user, key). Returns 1 admitted, 0
 * not (the caller makes a reservation of its own: leases off, the database refused, or
 * an error). */
static int lease_take(struct store_conn *c, int64_t user_id, int64_t key_id,
                      const char *request_id, int64_t amount, const char *worker,
                      struct tg_err *err)
{
    int64_t deadline = str_mono_us() + LEASE_WAIT_US, add, margin;
    struct lease *l;
    char id[40];
    int opened, ok, bulk, jl = -1;

    if (strncmp(request_id, "lease-", 6) == 0 || amount > INT64_MAX / LEASE_MAX_CALLS ||
        !c)
        return 0;
    pthread_mutex_lock(&lease_mu);
    for (;;) {
        int64_t now = str_mono_us();

        if (!leases_on)
            break;
        l = lease_find(user_id, key_id);
        if (l && l->id[0] && !l->busy && now - l->opened_us > LEASE_MAX_AGE_US) {
            l->retired = 1; /* the flusher closes it once its calls are written */
            l = NULL;
        }
        if (!l && !(l = lease_new(user_id, key_id, worker)))
            break;
        if (l->id[0] && l->avail >= amount) {
            ok = lease_hold(l, request_id, amount, 0);
            pthread_mutex_unlock(&lease_mu);
            return ok;
        }
        if (l->busy) {
            if (lease_wait(deadline) != 0)
                break;
            continue;
        }
        bulk = l->inflight + 1 >= LEASE_MIN_CALLS && now >= l->retry_us;
        add = bulk ? lease_step(l, amount) : amount;
        if (add == 0) {
            bulk = 0;
            add = amount;
        }
        margin = bulk ? LEASE_MARGIN : 1;
        opened = l->id[0] != 0;
        if (opened) {
            str_copy(id, sizeof(id), l->id);
        } else {
            lease_new_id(id);
            /* Named in the journal before its row exists, so that it is closed if this
             * process dies; no room there: no lease. */
            if ((jl = journal_lease_open(id)) == -1)
                break;
        }
        l->busy = 1;
        pthread_mutex_unlock(&lease_mu);
        ok = lease_ask(c, l, id, add, opened, margin, err);
        pthread_mutex_lock(&lease_mu);
        l->busy = 0;
        if (!opened && !ok)
            journal_lease_closed(jl);
        pthread_cond_broadcast(&lease_cv);
        if (!ok && bulk) {
            l->retry_us = str_mono_us() + LEASE_RETRY_US;
            continue; /* try exact */
        }
        if (!ok)
            break; /* refused: the caller's own reservation says why */
        if (!opened) {
            str_copy(l->id, sizeof(l->id), id);
            l->jl = jl;
            l->opened_us = str_mono_us();
        }
        l->granted += add;
        l->avail += add;
        if (!bulk) { /* exact: this call's alone */
            ok = lease_hold(l, request_id, amount, 1);
            pthread_mutex_unlock(&lease_mu);
            return ok;
        }
    }
    pthread_mutex_unlock(&lease_mu);
    return 0;
}

/* Record a settled call in the shared journal, so that its charge survives this
 * process. Caller holds lease_mu. Returns the entry, or -1. */
static int journal_note(const struct lease *l, const struct settled *q,
                        const struct usage_log *row)
{
    struct journal_entry e;

    memset(&e, 0, sizeof(e));
    if (row) {
        e.has_row = 1;
        e.row = *row;
    }
    str_copy(e.request_id, sizeof(e.request_id), q->request_id);
    str_copy(e.lease_id, sizeof(e.lease_id), l->id);
    e.user_id = l->user_id;
    e.key_id = l->key_id;
    e.reserved = q->reserved;
    e.charge = q->charge;
    e.released = q->released;
    return journal_add(&e);
}

/* Queue h's settled charge for the flusher and journal it. Caller holds lease_mu.
 * Returns 1, or 0 (out of memory: nothing queued). */
static int settled_push(struct held *h, const char *request_id, int64_t charge,
                        int released, const struct usage_log *row)
{
    struct lease *l = h->lease;
    struct settled *q;

    if (queue_len == queue_cap) {
        size_t cap = queue_cap ? queue_cap * 2 : 256;
        q = realloc(queue, cap * sizeof(*q));
        if (!q)
            return 0;
        queue = q;
        queue_cap = cap;
    }
    q = &queue[queue_len++];
    str_copy(q->request_id, sizeof(q->request_id), request_id);
    q->lease = l;
    q->reserved = h->reserved;
    q->charge = charge;
    q->released = released;
    q->jidx = journal_note(l, q, row);
    l->pending += charge;
    return 1;
}

/* Settle request_id if it is on a lease: the charge is queued (and journaled) first,
 * then an exact call gives back what it did not use at once (on c), a bulk call to the
 * lease; the charge is written by the flusher. Returns 1 if it was on a lease. */
static int lease_settle(struct store_conn *c, const char *request_id, int64_t charge,
                        int released, const struct usage_log *row, struct tg_err *err)
{
    struct held *h;
    struct lease *l;
    int64_t excess;
    int back = 0, queued;

    pthread_mutex_lock(&lease_mu);
    h = held_take(request_id);
    pthread_mutex_unlock(&lease_mu);
    if (!h)
        return 0;
    l = h->lease; /* still counted in flight: the flusher keeps it */
    if (charge > h->reserved)
        charge = h->reserved;
    excess = h->reserved - charge;
    /* The charge is safe (journaled) before the round trip that gives the excess back:
     * the flusher may write it meanwhile, the lease still holds both. */
    pthread_mutex_lock(&lease_mu);
    queued = settled_push(h, request_id, charge, released, row);
    pthread_mutex_unlock(&lease_mu);
    if (h->exact && excess > 0)
        back = lease_shrink(c, l->id, excess, err);
    pthread_mutex_lock(&lease_mu);
    if (back)
        l->granted -= excess;
    else
        l->avail += excess; /* spare now: goes back when idle */
    if (!queued)
        l->avail += charge; /* unwritten: the charge goes back with the lease */
    l->inflight--;
    l->used_us = str_mono_us();
    pthread_mutex_unlock(&lease_mu);
    if (!queued)
        log_error("billing", "event=settle_lost request=%s reason=oom", request_id);
    free(h);
    return 1;
}

enum { WRITE_OK, WRITE_RETRY, WRITE_LOST };

/* The ledger rows of r[0..n) (one lease's settled calls) in vals. */
static void lease_vals(const struct lease *l, const struct settled *r, size_t n,
                       struct store_val *vals)
{
    for (size_t i = 0; i < n; i++, vals += strlen(LROW_FMT)) {
        vals[0].i = l->user_id;
        vals[1].i = l->key_id;
        vals[2].s = r[i].request_id;
        vals[3].i = r[i].reserved;
        vals[4].i = -r[i].charge;
        vals[5].s = r[i].released && r[i].charge == 0 ? "released" : "settled";
        vals[6].s = l->worker;
    }
}

/* Insert the rows of r[0..n) into the open transaction, adding the charges and the
 * counted calls of the rows inserted (a row already there, from a commit whose answer was
 * lost, is skipped with its charge). Returns 0 or -1. */
static int lease_rows(struct store_conn *c, const struct lease *l,
                      const struct settled *r, size_t n, int64_t *sum, int64_t *counted,
                      struct tg_err *err)
{
    struct store_val *vals = calloc(n * strlen(LROW_FMT), sizeof(*vals));
    int64_t got = -1;

    *sum = *counted = 0;
    if (!vals)
        return err_set(err, TG_EINTERNAL, "out of memory");
    lease_vals(l, r, n, vals);
    got = insert_rows(c, lrow_sql, LROW_FMT, vals, n, err);
    if (got >= 0 && (size_t)got < n) { /* some were there: row by row, to know which */
        store_rollback(c);
        if (store_begin(c, err) != 0) {
            free(vals);
            return -1;
        }
        for (size_t i = 0; i < n && got >= 0; i++) {
            got = insert_rows(c, lrow_sql, LROW_FMT, vals + i * strlen(LROW_FMT), 1, err);
            if (got == 1) {
                *sum += r[i].charge;
                *counted += r[i].released ? 0 : 1;
            }
        }
    } else if (got >= 0) {
        for (size_t i = 0; i < n; i++) {
            *sum += r[i].charge;
            *counted += r[i].released ? 0 : 1;
        }
    }
    free(vals);
    return got < 0 ? -1 : 0;
}

/* Write the ledger rows of one lease's settled calls r[0..n) and take their charges off
 * the lease, in one transaction. */
static int lease_write(struct store_conn *c, const struct lease *l,
                       const struct settled *r, size_t n, struct tg_err *err)
{
    int64_t sum = 0, counted = 0, got;

    if (store_begin(c, err) != 0)
        return WRITE_RETRY;
    if (lease_rows(c, l, r, n, &sum, &counted, err) != 0)
        goto retry;
    if (sum > 0) {
        got = store_exec(c, SQL_LEASE_SPEND, err, "isi", sum, l->id, sum);
        if (got < 0)
            goto retry;
        if (got == 0) {
            store_rollback(c);
            return WRITE_LOST; /* the lease row was released (reaped): nothing to charge
                                */
        }
    }
    if ((sum > 0 || counted > 0) &&
        (store_exec(c, SQL_LEASE_USER, err, "iii", sum, counted, l->user_id) < 0 ||
         (l->key_id > 0 &&
          store_exec(c, SQL_LEASE_KEY, err, "ii", counted, l->key_id) < 0)))
        goto retry;
    return store_commit(c, err) == 0 ? WRITE_OK : WRITE_RETRY;
retry:
    store_rollback(c);
    return WRITE_RETRY;
}

/* Put records back in front of the queue (a write to retry). Caller holds lease_mu. */
static void requeue(const struct settled *r, size_t n)
{
    struct settled *q = malloc((queue_len + n) * sizeof(*q));

    if (!q) {
        log_error("billing", "event=settle_lost count=%zu reason=oom", n);
        return;
    }
    memcpy(q, r, n * sizeof(*q));
    if (queue_len)
        memcpy(q + n, queue, queue_len * sizeof(*q));
    free(queue);
    queue = q;
    queue_len += n;
    queue_cap = queue_len;
}

/* Write the batch b[0..n), lease by lease. */
static void flush_batch(struct store_conn *c, struct settled *b, size_t n,
                        struct tg_err *err)
{
    size_t i = 0;

    while (i < n) {
        struct lease *l = b[i].lease;
        size_t j = i, k;
        int64_t sum = 0;
        int rc;

        /* Gather this lease's records at i..j (stable: order within a lease is kept). */
        for (k = i; k < n; k++)
            if (b[k].lease == l) {
                struct settled t = b[k];
                memmove(&b[j + 1], &b[j], (k - j) * sizeof(*b));
                b[j++] = t;
            }
        for (k = i; k < j; k++)
            sum += b[k].charge;
        rc = lease_write(c, l, &b[i], j - i, err);
        pthread_mutex_lock(&lease_mu);
        if (rc == WRITE_RETRY) {
            requeue(&b[i], j - i);
        } else {
            for (k = i; k < j; k++)
                journal_done(b[k].jidx);
            l->pending -= sum;
            l->granted -= sum;
            if (rc == WRITE_LOST) {
                l->retired = 1;
                log_error("billing", "event=lease_lost lease=%s calls=%zu charge=%lld",
                          l->id, j - i, (long long)sum);
            }
        }
        pthread_mutex_unlock(&lease_mu);
        i = j;
    }
}

#define SHRINK_MAX 64 /* spare capacities given back per flush */

/* Pick the leases to close (unlinked into *out) and the spare capacity to give back
 * (into sl/amt, marked busy). Caller holds lease_mu. Returns how many to shrink. */
static int lease_collect(int final, struct lease **out, struct lease *sl[SHRINK_MAX],
                         int64_t amt[SHRINK_MAX])
{
    int64_t now = str_mono_us();
    int ns = 0;

    for (size_t b = 0; b < LEASE_BUCKETS; b++) {
        struct lease **p = &leases[b];
        while (*p) {
            struct lease *l = *p;
            int64_t idle = now - l->used_us;
            int done = final || l->retired;
            if (!l->busy && !l->inflight && !l->pending &&
                (done || idle >= LEASE_CLOSE_US)) {
                *p = l->next;
                l->next = *out;
                *out = l;
                continue;
            }
            if (!l->busy && l->id[0] && l->avail > 0 && (done || idle >= LEASE_IDLE_US) &&
                ns < SHRINK_MAX) {
                l->busy = 1;
                sl[ns] = l;
                amt[ns++] = l->avail;
                l->avail = 0;
            }
            p = &l->next;
        }
    }
    return ns;
}

void store_lease_enable(int on)
{
    pthread_mutex_lock(&lease_mu);
    leases_on = on;
    pthread_mutex_unlock(&lease_mu);
}

/* The connection for the flusher's work, taken on first need: a connection taken and put
 * back unused would look fresh and skip its liveness check. */
static struct store_conn *need_conn(struct store_pool *pool, struct store_conn **c,
                                    struct tg_err *err)
{
    if (!*c)
        *c = store_get(pool, err);
    return *c;
}

int store_lease_flush(struct store_pool *pool, int final, struct tg_err *err)
{
    struct store_conn *c = NULL;
    struct lease *back = NULL, *l, *sl[SHRINK_MAX];
    int64_t amt[SHRINK_MAX];
    struct settled *batch;
    size_t n;
    int rc = 0, ns;

    pthread_mutex_lock(&lease_mu);
    batch = queue;
    n = queue_len;
    queue = NULL;
    queue_len = queue_cap = 0;
    pthread_mutex_unlock(&lease_mu);
    if (n && need_conn(pool, &c, err)) {
        flush_batch(c, batch, n, err);
    } else if (n) {
        pthread_mutex_lock(&lease_mu);
        requeue(batch, n);
        pthread_mutex_unlock(&lease_mu);
    }
    free(batch);
    pthread_mutex_lock(&lease_mu);
    ns = lease_collect(final, &back, sl, amt);
    pthread_mutex_unlock(&lease_mu);
    for (int i = 0; i < ns; i++) {
        int ok = need_conn(pool, &c, err) && lease_shrink(c, sl[i]->id, amt[i], err);
        pthread_mutex_lock(&lease_mu);
        if (ok)
            sl[i]->granted -= amt[i];
        else
            sl[i]->avail += amt[i];
        sl[i]->busy = 0;
        pthread_cond_broadcast(&lease_cv);
        pthread_mutex_unlock(&lease_mu);
    }
    while ((l = back) != NULL) {
        back = l->next;
        if (l->id[0] &&
            (!need_conn(pool, &c, err) || settle_direct(c, l->id, 0, 1, err) < 0)) {
            pthread_mutex_lock(&lease_mu); /* try again on the next flush */
            l->retired = 1;
            l->next = *lease_bucket(l->user_id, l->key_id);
            *lease_bucket(l->user_id, l->key_id) = l;
            pthread_mutex_unlock(&lease_mu);
            rc = -1;
            continue;
        }
        journal_lease_closed(l->jl);
        free(l);
    }
    store_put(pool, c);
    pthread_mutex_lock(&lease_mu);
    rc = queue_len ? -1 : rc;
    pthread_mutex_unlock(&lease_mu);
    return rc;
}

/* Write one dead worker's journal entries e[0..n), lease by lease, and close each of
 * those leases (what its calls did not spend goes back). Returns 1 done, 0 retry later.
 */
static int recover_entries(struct store_conn *c, const struct journal_entry *e, int n,
                           struct tg_err *err)
{
    struct settled *r = calloc(n > 0 ? (size_t)n : 1, sizeof(*r));
    char *seen = calloc(n > 0 ? (size_t)n : 1, 1);
    int ok = r && seen;

    for (int i = 0; ok && i < n; i++) {
        struct lease l;
        int k = 0, rc;
        int64_t sum = 0;

        if (seen[i])
            continue;
        memset(&l, 0, sizeof(l));
        l.user_id = e[i].user_id;
        l.key_id = e[i].key_id;
        str_copy(l.id, sizeof(l.id), e[i].lease_id);
        str_copy(l.worker, sizeof(l.worker), "recovered");
        for (int j = i; j < n; j++) {
            if (seen[j] || strcmp(e[j].lease_id, e[i].lease_id) != 0)
                continue;
            seen[j] = 1;
            str_copy(r[k].request_id, sizeof(r[k].request_id), e[j].request_id);
            r[k].lease = &l;
            r[k].reserved = e[j].reserved;
            r[k].charge = e[j].charge;
            r[k].released = e[j].released;
            sum += e[j].charge;
            k++;
        }
        rc = lease_write(c, &l, r, (size_t)k, err);
        if (rc == WRITE_RETRY) {
            ok = 0;
        } else if (rc == WRITE_LOST) {
            log_error("billing",
                      "event=recovered_lease_lost lease=%s calls=%d charge=%lld", l.id, k,
                      (long long)sum);
        } else {
            log_warn("billing", "event=lease_recovered lease=%s calls=%d charge=%lld",
                     l.id, k, (long long)sum);
            if (settle_direct(c, l.id, 0, 1, err) < 0)
                ok = 0;
        }
    }
    free(r);
    free(seen);
    return ok;
}

static int insert_rows_of(struct store_conn *c, const struct usage_log *u, int n,
                          struct tg_err *err)
{
    for (int i = 0; i < n; i += 64)
        if (store_usage_insert(c, u + i, n - i < 64 ? n - i : 64, err) != 0)
            return -1;
    return 0;
}

/* Write what a dead process left in o: usage rows, those queued and those recorded with
 * a lease call's charge (each row may be there twice, or already written: duplicates
 * are ignored), then ledger rows. Returns 1 done, 0 retry later. */
static int recover_orphan(struct store_conn *c, const struct journal_orphan *o,
                          struct tg_err *err)
{
    struct usage_log *with = malloc(sizeof(*with) * (size_t)(o->n > 0 ? o->n : 1));
    int nw = 0, rc;

    if (!with)
        return 0;
    for (int i = 0; i < o->n; i++)
        if (o->e[i].has_row)
            with[nw++] = o->e[i].row;
    rc =
        insert_rows_of(c, o->u, o->nu, err) == 0 && insert_rows_of(c, with, nw, err) == 0;
    free(with);
    if (!rc)
        return 0;
    if (o->nu || nw)
        log_warn("billing", "event=usage_rows_recovered queued=%d with_charges=%d", o->nu,
                 nw);
    if (!recover_entries(c, o->e, o->n, err))
        return 0;
    /* Then every lease it had open, also those without unwritten calls (closing one
     * twice changes nothing). */
    for (int i = 0; i < o->nl; i++) {
        rc = settle_direct(c, o->leases[i], 0, 1, err);
        if (rc < 0)
            return 0;
        if (rc > 0)
            log_warn("billing", "event=lease_closed_for_dead_worker lease=%s",
                     o->leases[i]);
    }
    return 1;
}

int store_journal_recover(struct store_pool *pool, struct tg_err *err)
{
    struct journal_orphan o;
    struct store_conn *c = NULL;
    int h, rc = 0;

    while ((h = journal_adopt(&o)) >= 0) {
        int done = (o.n == 0 && o.nu == 0 && o.nl == 0) ||
                   (need_conn(pool, &c, err) && recover_orphan(c, &o, err));

        journal_release(h, done);
        journal_orphan_free(&o);
        if (!done) {
            rc = -1;
            break;
        }
    }
    store_put(pool, c);
    return rc;
}

int store_reserve(struct store_conn *c, int64_t user_id, int64_t key_id,
                  const char *request_id, int64_t amount, const char *worker,
                  struct tg_err *err)
{
    if (amount <= 0)
        return err_set(err, TG_EINTERNAL, "bad reservation");
    if (!c)
        return err_set(err, TG_EUNAVAIL, "database unavailable");
    if (lease_take(c, user_id, key_id, request_id, amount, worker, err))
        return 1;
    return reserve_row(c, user_id, key_id, request_id, amount, worker, 1, err);
}

int store_reserve_mem(int64_t user_id, int64_t key_id, const char *request_id,
                      int64_t amount, int spare)
{
    struct lease *l;
    int ok = 0;

    if (amount <= 0 || amount > INT64_MAX / LEASE_MAX_CALLS ||
        strncmp(request_id, "lease-", 6) == 0)
        return 0;
    pthread_mutex_lock(&lease_mu);
    /* Back-pressure: every call in flight may still settle into the journal. While the
     * database is away the writes pile up there; then calls take the whole way again,
     * which needs a connection, rather than outrun what can be kept. */
    l = leases_on && journal_room() > spare ? lease_find(user_id, key_id) : NULL;
    /* The same test as lease_take's first one; anything else goes the whole way. */
    if (l && l->id[0] && !l->busy && str_mono_us() - l->opened_us <= LEASE_MAX_AGE_US &&
        l->avail >= amount)
        ok = lease_hold(l, request_id, amount, 0);
    pthread_mutex_unlock(&lease_mu);
    return ok;
}

int store_settle_mem(const char *request_id, int64_t charge, int released,
                     const struct usage_log *row, struct tg_err *err)
{
    struct held *h;
    int plain;

    pthread_mutex_lock(&lease_mu);
    h = *held_link(request_id);
    plain = h && !h->exact; /* an exact hold gives its excess back on a connection */
    pthread_mutex_unlock(&lease_mu);
    return plain ? lease_settle(NULL, request_id, charge < 0 ? 0 : charge, released, row,
                                err)
                 : 0;
}

int store_settle(struct store_conn *c, const char *request_id, int64_t charge,
                 int released, const struct usage_log *row, struct tg_err *err)
{
    if (lease_settle(c, request_id, charge < 0 ? 0 : charge, released, row, err))
        return 1;
    if (!c)
        return err_set(err, TG_EUNAVAIL, "database unavailable");
    return settle_direct(c, request_id, charge, released, err);
}

int store_usage_insert(struct store_conn *c, const struct usage_log *rows, int n,
                       struct tg_err *err)
{
    size_t nf = strlen(USAGE_FMT);
    struct store_val *vals = calloc((size_t)(n > 0 ? n : 1) * nf, sizeof(*vals)), *v;
    int rc = -1;

    if (!vals)
        return err_set(err, TG_EINTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        const struct usage_log *u = &rows[i];
        v = vals + (size_t)i * nf;
        v[0].s = u->request_id;
        v[1].i = u->user_id;
        v[2].i = u->key_id;
        v[3].i = u->channel_id;
        v[4].s = u->service;
        v[5].s = u->model;
        v[6].s = u->endpoint;
        v[7].i = u->input;
        v[8].i = u->output;
        v[9].i = u->cache_read;
        v[10].i = u->cache_write;
        v[11].i = u->quota;
        v[12].i = u->duration_ms;
        v[13].i = u->ttfb_ms;
        v[14].i = u->is_stream;
        v[15].i = u->status;
        v[16].i = u->estimated;
        v[17].s = u->error_class;
        v[18].s = u->client_ip;
    }
    /* More than one statement: all or none. */
    if (n > 1 && store_begin(c, err) != 0)
        goto out;
    if (insert_rows(c, usage_sql, USAGE_FMT, vals, (size_t)n, err) < 0) {
        if (n > 1)
            store_rollback(c);
        goto out;
    }
    rc = n > 1 ? store_commit(c, err) : 0;
out:
    free(vals);
    return rc;
}

int store_reap_reservations(struct store_conn *c, int max_age_s, struct tg_err *err)
{
    char ids[200][40];
    struct store_res *r = store_query(c, SQL_STALE, err, "u", max_age_s);
    int n = 0, done = 0, rc;

    if (!r)
        return -1;
    while (n < 200 && (rc = store_next(r)) == 1)
        snprintf(ids[n++], sizeof(ids[0]), "%s", store_col_str(r, 0));
    store_res_free(r);
    for (int i = 0; i < n; i++) {
        if (settle_direct(c, ids[i], 0, 1, err) == 1) {
            log_warn("billing", "event=reservation_reaped request=%s", ids[i]);
            done++;
        }
    }
    return done;
}
