/* worker: one process of T threads looping on FCGX_Accept_r, drained by a signal thread.
 */
#include <poll.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "relay/relay.h"
#include "server/metrics.h"
#include "server/request.h"
#include "server/server.h"
#include "store/journal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/str.h"

enum { T_IDLE, T_ACCEPTING, T_BUSY, T_DONE };

struct thread_slot {
    pthread_t tid;
    int listen_fd;
    struct tg_app *app;
    volatile int state;
};

static volatile int draining;
/* Accepting: every thread waits in its own epoll set on the listen socket with
 * EPOLLEXCLUSIVE, so the kernel wakes one thread (rarely two) per connection: no
 * thundering herd and no hand-over of an accept lock (which cost a wake-up per request).
 * The same set holds drain_fd, an eventfd written once to drain: it wakes every thread
 * at once, without signals. Connections still queued then stay for the next worker. */
static int drain_fd = -1;

/* A thread's epoll set on listen_fd and drain_fd, or -1. */
static int accept_set(int listen_fd)
{
    struct epoll_event lv = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd};
    struct epoll_event dv = {.events = EPOLLIN, .data.fd = drain_fd};
    int ep = epoll_create1(EPOLL_CLOEXEC);

    if (ep >= 0 && (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &lv) != 0 ||
                    epoll_ctl(ep, EPOLL_CTL_ADD, drain_fd, &dv) != 0)) {
        close(ep);
        ep = -1;
    }
    return ep;
}

/* Kept connections (nginx fastcgi_keep_conn on): after a request the connection stays
 * with the thread that served it and the next request arrives on it, with no accept, no
 * close and no epoll wake-up of the listen socket. Reading the next request must not
 * find leftovers of this one: the rest of a body the handler did not read is skipped
 * (up to KEEP_DRAIN bytes; more than that and the connection is closed instead). */
#define KEEP_DRAIN (1 << 20)

static int rest_of_body_read(FCGX_Request *r)
{
    char junk[8192];
    size_t skipped = 0;
    int got;

    while (skipped < KEEP_DRAIN && (got = FCGX_GetStr(junk, sizeof(junk), r->in)) > 0)
        skipped += (size_t)got;
    return FCGX_HasSeenEOF(r->in) == EOF && FCGX_GetError(r->in) == 0;
}

/* Wait for the next request: on the kept connection if there is one, else a new
 * connection on the listen socket. Returns 1 when FCGX_Accept_r may be called, 0 to
 * look again, -1 when draining. */
static int wait_request(int ep, const FCGX_Request *r, int listen_fd)
{
    if (r->ipcFd >= 0) {
        struct pollfd pf[2] = {{.fd = r->ipcFd, .events = POLLIN | POLLRDHUP},
                               {.fd = drain_fd, .events = POLLIN}};
        if (poll(pf, 2, -1) < 0)
            return 0;
        if (!draining)
            return pf[0].revents != 0;
        /* Draining: a request that already arrived is served (and the connection closed
         * after it); an idle connection is closed now. */
        pf[0].revents = 0;
        if (poll(pf, 1, 0) == 1 && pf[0].revents == POLLIN)
            return 1;
        return -1;
    }
    struct epoll_event ev;
    if (epoll_wait(ep, &ev, 1, -1) != 1)
        return 0;
    if (draining)
        return -1;
    return ev.data.fd == listen_fd;
}

static void *thread_main(void *arg)
{
    struct thread_slot *t = arg;
    int ep = accept_set(t->listen_fd);
    FCGX_Request r;

    if (ep < 0 || FCGX_InitRequest(&r, t->listen_fd, 0) != 0) {
        log_error("worker", "event=thread_setup_failed");
        if (ep >= 0)
            close(ep);
        t->state = T_DONE;
        return NULL;
    }
    for (;;) {
        int w, kept;

        t->state = T_ACCEPTING;
        if (draining && r.ipcFd < 0)
            break;
        w = wait_request(ep, &r, t->listen_fd);
        if (w < 0)
            break;
        /* The listen socket is non-blocking: another thread or worker may take the
         * connection first, and then FCGX_Accept_r fails with EAGAIN and we wait again.
         * On a kept connection that nginx closed it fails the same way. */
        kept = r.ipcFd >= 0;
        if (w == 0 || FCGX_Accept_r(&r) < 0)
            continue;
        if (!kept)
            metrics_fcgi_connection();
        t->state = T_BUSY;
        server_handle(t->app, &r);
        /* Draining: the connection goes with this request (nginx retries a request it
         * sends on a kept connection that closes: fastcgi_next_upstream). */
        if (r.keepConnection && (draining || !rest_of_body_read(&r)))
            r.keepConnection = 0;
        FCGX_Finish_r(&r);
    }
    FCGX_Free(&r, 1);
    close(ep);
    t->state = T_DONE;
    return NULL;
}

static int all_done(struct thread_slot *slots, int n, int *busy)
{
    int done = 1;

    *busy = 0;
    for (int i = 0; i < n; i++) {
        if (slots[i].state != T_DONE)
            done = 0;
        if (slots[i].state == T_BUSY)
            (*busy)++;
    }
    return done;
}

/* Stop accepting, let requests in flight finish until the drain deadline. */
static void drain(struct thread_slot *slots, int n, int timeout_s)
{
    int64_t deadline = str_mono_us() + (int64_t)timeout_s * 1000000;
    int busy = 0;

    draining = 1;
    if (eventfd_write(drain_fd, 1) != 0)
        log_warn("worker", "event=drain_wake_failed");
    while (!all_done(slots, n, &busy) && str_mono_us() < deadline) {
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (busy)
        log_warn("worker", "event=drain_deadline busy=%d", busy);
}

void worker_main(const struct tg_config *cfg, int listen_fd, int index,
                 int64_t started_us)
{
    struct tg_app app = {0};
    struct thread_slot *slots;
    pthread_attr_t attr;
    sigset_t set;
    int sig = 0;

    app.cfg = cfg;
    app.started_us = started_us;
    app.worker_index = index;
    app.pool = store_pool_new(cfg);
    slots = calloc((size_t)cfg->threads, sizeof(*slots));
    if (!app.pool || !slots) {
        log_error("worker", "event=startup_failed reason=oom");
        _exit(1);
    }
    /* Shared by every worker (the flag lives on the open file description). */
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    drain_fd = eventfd(0, EFD_CLOEXEC);
    if (drain_fd < 0) {
        log_error("worker", "event=startup_failed reason=eventfd");
        _exit(1);
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < cfg->threads; i++) {
        slots[i].listen_fd = listen_fd;
        slots[i].app = &app;
        if (pthread_create(&slots[i].tid, &attr, thread_main, &slots[i]) != 0) {
            log_error("worker", "event=thread_create_failed index=%d", i);
            _exit(1);
        }
    }
    pthread_attr_destroy(&attr);
    if (journal_attach() != 0)
        log_warn("worker", "event=no_journal_slot (lease charges live in memory only)");
    relay_worker_start(&app);
    log_info("worker", "event=ready index=%d threads=%d", index, cfg->threads);

    while (sig != SIGTERM && sig != SIGINT && sig != SIGUSR1) {
        if (sigwait(&set, &sig) != 0)
            sig = 0;
        /* SIGHUP is the master's business; a worker is replaced instead. */
    }
    app.draining = 1;
    log_info("worker", "event=draining index=%d signal=%d", index, sig);
    drain(slots, cfg->threads, cfg->drain_timeout);
    for (int i = 0; i < cfg->threads; i++)
        if (slots[i].state == T_DONE)
            pthread_join(slots[i].tid, NULL);
    relay_worker_stop(); /* writes every queued usage row */
    journal_detach();
    log_info("worker", "event=exit index=%d", index);
    _exit(0);
}
