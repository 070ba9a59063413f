/* worker: one process of T threads looping on FCGX_Accept_r, drained by a signal thread. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
/* One thread per worker waits for a connection at a time (leader/follower): no thundering
 * herd, and a drain needs no signals: the leader sees the flag within a poll interval. */
static pthread_mutex_t accept_mu = PTHREAD_MUTEX_INITIALIZER;

/* 1 when the listen socket has a connection waiting, 0 on timeout. */
static int wait_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return poll(&p, 1, ms) > 0 && (p.revents & POLLIN);
}

static void *thread_main(void *arg)
{
    struct thread_slot *t = arg;
    FCGX_Request r;
    int rc;

    if (FCGX_InitRequest(&r, t->listen_fd, 0) != 0) {
        t->state = T_DONE;
        return NULL;
    }
    for (;;) {
        t->state = T_IDLE;
        pthread_mutex_lock(&accept_mu);
        if (draining) {
            pthread_mutex_unlock(&accept_mu);
            break;
        }
        t->state = T_ACCEPTING;
        /* The socket is non-blocking: another worker may take the connection first, and
         * then FCGX_Accept_r fails with EAGAIN and we wait again. */
        rc = wait_readable(t->listen_fd, 200) ? FCGX_Accept_r(&r) : -1;
        pthread_mutex_unlock(&accept_mu);
        if (rc < 0)
            continue;
        t->state = T_BUSY;
        server_handle(t->app, &r);
        FCGX_Finish_r(&r);
    }
    FCGX_Free(&r, 1);
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
    while (!all_done(slots, n, &busy) && str_mono_us() < deadline) {
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (busy)
        log_warn("worker", "event=drain_deadline busy=%d", busy);
}

void worker_main(const struct tg_config *cfg, int listen_fd, int index, int64_t started_us)
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
