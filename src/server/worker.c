/* worker: one process of T threads looping on FCGX_Accept_r, drained by a signal thread. */
#include <curl/curl.h>
#include <errno.h>
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

static void on_wake(int sig)
{
    (void)sig; /* only interrupts accept() */
}

static void *thread_main(void *arg)
{
    struct thread_slot *t = arg;
    FCGX_Request r;
    sigset_t wake;

    sigemptyset(&wake);
    sigaddset(&wake, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    if (FCGX_InitRequest(&r, t->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        t->state = T_DONE;
        return NULL;
    }
    while (!draining) {
        t->state = T_ACCEPTING;
        if (FCGX_Accept_r(&r) < 0) {
            if (draining)
                break;
            if (errno == EINTR)
                continue;
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
            continue;
        }
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
    FCGX_ShutdownPending();
    while (!all_done(slots, n, &busy) && str_mono_us() < deadline) {
        for (int i = 0; i < n; i++)
            if (slots[i].state == T_ACCEPTING || slots[i].state == T_IDLE)
                pthread_kill(slots[i].tid, SIGUSR2);
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
    struct sigaction sa;
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
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_wake; /* no SA_RESTART: accept() returns EINTR */
    sigaction(SIGUSR2, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
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

    sigdelset(&set, SIGUSR2);
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
