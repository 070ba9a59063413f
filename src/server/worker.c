/* worker: one process of T threads looping on FCGX_Accept_r, drained by a signal thread.
 */
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
#include "server/request.h"
#include "server/server.h"
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
        struct epoll_event ev;

        t->state = T_ACCEPTING;
        if (draining)
            break;
        if (epoll_wait(ep, &ev, 1, -1) != 1 || ev.data.fd != t->listen_fd || draining)
            continue;
        /* The socket is non-blocking: another thread or worker may take the connection
         * first, and then FCGX_Accept_r fails with EAGAIN and we wait again. */
        if (FCGX_Accept_r(&r) < 0)
            continue;
        t->state = T_BUSY;
        server_handle(t->app, &r);
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
    log_info("worker", "event=exit index=%d", index);
    _exit(0);
}
