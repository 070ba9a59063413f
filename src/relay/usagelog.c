/* usagelog: the batched usage-row writer and the stale-reservation reaper. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "relay/chancache.h"
#include "relay/usagelog.h"
#include "store/journal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/str.h"

#define QUEUE_MAX  JOURNAL_USAGE_CAP /* queue position i is journal row i */
#define BATCH      64                /* rows that wake the writer */
#define BATCH_MAX  256 /* rows it takes at once when behind (one transaction) */
#define FLUSH_MS   200
#define REAP_EVERY 30 /* seconds */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct usage_log queue[QUEUE_MAX];
static int qhead, qlen, running, stopping;
static int taken; /* rows the writer holds: their positions are not free yet */
static pthread_t writer;
static struct tg_app *the_app;

/* Insert rows[0..n), again at once while the database answers busy (a deadlock or lock
 * wait between concurrent inserts). Returns 0 written, -1 not (err says why). */
static int write_rows(struct tg_app *app, struct store_conn *held,
                      const struct usage_log *rows, int n, struct tg_err *err)
{
    for (int tries = 0; tries < 3; tries++) {
        struct store_conn *c = held ? held : store_get(app->pool, err);
        int rc = c ? store_usage_insert(c, rows, n, err) : -1;

        if (!held)
            store_put(app->pool, c);
        if (rc == 0)
            return 0;
        if (err->code != TG_EUNAVAIL)
            break;
    }
    return -1;
}

/* The writer's batch: rows taken from queue positions start.., kept until written. */
struct wbatch {
    struct usage_log rows[BATCH_MAX];
    int n, start, failed;
};

/* Wait for a full batch, the flush interval (always the whole interval after a failed
 * write) or a stop, then take a batch unless one is still held. Sets *done when
 * stopping with nothing queued. Returns whether the worker is stopping. */
static int next_batch(struct wbatch *b, int *done)
{
    struct timespec until;
    int st;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += FLUSH_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&mu);
    while ((qlen < BATCH || b->failed) && !stopping) {
        if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
            break;
    }
    if (b->n == 0) {
        b->start = qhead;
        while (b->n < BATCH_MAX && qlen > 0) {
            b->rows[b->n++] = queue[qhead];
            qhead = (qhead + 1) % QUEUE_MAX;
            qlen--;
        }
        taken += b->n;
    }
    *done = stopping && qlen == 0;
    st = stopping;
    pthread_mutex_unlock(&mu);
    return st;
}

/* Write the held batch. While running, a batch the database refused is kept (its rows
 * stay in the journal) and tried again after a flush interval; at a stop it is left in
 * the journal for another worker. */
static void write_batch(struct tg_app *app, struct wbatch *b, int stopping_now)
{
    struct tg_err err = {0};
    int rc = write_rows(app, NULL, b->rows, b->n, &err);

    b->failed = rc != 0;
    if (rc != 0 && !stopping_now) {
        log_warn("usage", "event=usage_rows_retry count=%d reason=\"%s\"", b->n, err.msg);
        return;
    }
    if (rc != 0)
        log_error("usage",
                  "event=usage_rows_unwritten count=%d reason=\"%s\" (left in the "
                  "journal)",
                  b->n, err.msg);
    pthread_mutex_lock(&mu);
    if (rc == 0)
        for (int k = 0; k < b->n; k++)
            journal_usage_done((b->start + k) % QUEUE_MAX);
    taken -= b->n;
    pthread_mutex_unlock(&mu);
    b->n = 0;
}

/* Write what calls settled on balance leases; final: return every lease. */
static void flush_leases(struct tg_app *app, int final)
{
    struct tg_err err = {0};

    if (final)
        store_lease_enable(0);
    if (store_lease_flush(app->pool, final, &err) != 0 && final)
        log_error("usage", "event=leases_left reason=\"%s\" (the reaper releases them)",
                  err.msg);
}

static void reap(struct tg_app *app)
{
    struct tg_err err = {0};
    struct store_conn *c = store_get(app->pool, &err);

    if (c)
        store_reap_reservations(c, app->cfg->total_timeout + 120, &err);
    store_put(app->pool, c);
}

static void *writer_main(void *arg)
{
    struct tg_app *app = arg;
    static struct wbatch b; /* one writer per process */
    int64_t last_reap = str_mono_us();

    store_thread_background();
    for (;;) {
        int done, stopping_now = next_batch(&b, &done);

        if (b.n)
            write_batch(app, &b, stopping_now);
        flush_leases(app, done && b.n == 0);
        if (!done) {
            struct tg_err jerr = {0};
            store_journal_recover(app->pool, &jerr); /* what a dead worker left */
            chancache_refresh(app);
        }
        if (done && b.n == 0)
            break;
        if (app->worker_index == 0 &&
            str_mono_us() - last_reap > REAP_EVERY * 1000000LL) {
            reap(app);
            last_reap = str_mono_us();
        }
    }
    return NULL;
}

void usagelog_start(struct tg_app *app)
{
    pthread_mutex_lock(&mu);
    the_app = app;
    if (!running && pthread_create(&writer, NULL, writer_main, app) == 0) {
        running = 1;
        store_lease_enable(1); /* the writer flushes them */
    }
    pthread_mutex_unlock(&mu);
}

void usagelog_push(struct tg_app *app, struct store_conn *c, const struct usage_log *row)
{
    struct tg_err err = {0};

    pthread_mutex_lock(&mu);
    /* usage_queue <= QUEUE_MAX (the configuration's bound) */
    if (running && !stopping && qlen + taken < app->cfg->usage_queue) {
        int pos = (qhead + qlen) % QUEUE_MAX;

        queue[pos] = *row;
        journal_usage_put(pos, row); /* survives this process until written */
        qlen++;
        if (qlen >= BATCH)
            pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
        return;
    }
    pthread_mutex_unlock(&mu);
    /* No writer (tools) or a full queue: write it now. */
    if (write_rows(app, c, row, 1, &err) != 0)
        log_error("usage", "event=usage_rows_lost count=1 reason=\"%s\"", err.msg);
}

int usagelog_room(const struct tg_app *app)
{
    int room;

    pthread_mutex_lock(&mu);
    room = running && !stopping ? app->cfg->usage_queue - (qlen + taken) : 0;
    pthread_mutex_unlock(&mu);
    return room > 0 ? room : 0;
}

void usagelog_stop(void)
{
    pthread_mutex_lock(&mu);
    if (!running) {
        pthread_mutex_unlock(&mu);
        return;
    }
    stopping = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(writer, NULL);
    running = 0;
    (void)the_app;
}
