/* usagelog: usage rows queued in memory and written in batches by one thread per worker,
 * so logging adds no database round trip to a call. A clean stop writes every row; each
 * queued row is also in the shared journal, so a worker killed before writing its rows
 * leaves them to the next worker (store_journal_recover). */
#ifndef TG_USAGELOG_H
#define TG_USAGELOG_H

#include "server/request.h"
#include "store/billing.h"

/* Start the writer (and, on worker 0, the reservation reaper). */
void usagelog_start(struct tg_app *app);
/* Queue one row (copied). When the queue is full the row is written at once, on c when
 * the caller holds a connection (never a second one: request threads that each hold one
 * and wait for another would drain the pool), else on one borrowed. c may be NULL. */
void usagelog_push(struct tg_app *app, struct store_conn *c, const struct usage_log *row);
/* Rows that can still be queued (and journaled) before the queue is full; 0 when there
 * is no writer or it is stopping. */
int usagelog_room(const struct tg_app *app);
/* Write everything queued and stop the thread. */
void usagelog_stop(void);

#endif
