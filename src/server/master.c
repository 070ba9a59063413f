/* master: the listen socket, forking and replacing workers, reload and drain. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/metrics.h"
#include "store/journal.h"
#include "server/server.h"
#include "util/log.h"
#include "util/str.h"

#define MAX_WORKERS 64

struct worker_slot {
    pid_t pid; /* 0 = empty */
    int generation;
    int index;
    int64_t started_us;
};

static struct worker_slot workers[MAX_WORKERS * 2];
static pid_t master_pid;

static int listen_unix(const char *path, int mode)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        chmod(path, (mode_t)mode) != 0 || listen(fd, 1024) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_tcp(const char *spec)
{
    char host[128];
    const char *colon = strrchr(spec, ':');
    struct sockaddr_in sa4 = {.sin_family = AF_INET};
    struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
    int64_t port;
    int fd, one = 1, v6;
    size_t hl;

    if (!colon || str_to_i64(colon + 1, 1, 65535, &port) != 0)
        return -1;
    hl = (size_t)(colon - spec);
    if (hl >= sizeof(host))
        return -1;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    v6 = strchr(host, ':') != NULL;
    if (v6 ? inet_pton(AF_INET6, host, &sa6.sin6_addr) != 1
           : inet_pton(AF_INET, host, &sa4.sin_addr) != 1)
        return -1;
    sa4.sin_port = sa6.sin6_port = htons((uint16_t)port);
    fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if ((v6 ? bind(fd, (struct sockaddr *)&sa6, sizeof(sa6))
            : bind(fd, (struct sockaddr *)&sa4, sizeof(sa4))) != 0 ||
        listen(fd, 1024) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int server_listen(const struct tg_config *cfg)
{
    if (strncmp(cfg->listen, "unix:", 5) == 0)
        return listen_unix(cfg->listen + 5, cfg->listen_mode);
    return listen_tcp(cfg->listen);
}

static pid_t spawn(const struct tg_config *cfg, int listen_fd, int index, int generation,
                   int64_t started_us)
{
    pid_t pid = fork();

    if (pid < 0) {
        log_error("master", "event=fork_failed");
        return -1;
    }
    if (pid == 0) {
        /* A worker outliving its master would serve unmanaged: it drains and stops
         * when the master dies, as on SIGTERM (blocked, so it waits for sigwait). */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != master_pid)
            kill(getpid(), SIGTERM);
        worker_main(cfg, listen_fd, index, started_us);
    }
    for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++) {
        if (workers[i].pid == 0) {
            workers[i] = (struct worker_slot){pid, generation, index, str_mono_us()};
            break;
        }
    }
    log_info("master", "event=worker_started pid=%d index=%d generation=%d", (int)pid,
             index, generation);
    return pid;
}

static int live_workers(void)
{
    int n = 0;

    for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
        n += workers[i].pid != 0;
    return n;
}

static void signal_generation(int generation, int sig, int all)
{
    for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
        if (workers[i].pid && (all || workers[i].generation == generation))
            kill(workers[i].pid, sig);
}

/* Reap dead children; respawn those of the current generation unless stopping. */
static void reap(const struct tg_config *cfg, int listen_fd, int generation, int stopping,
                 int64_t started_us)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++) {
            struct worker_slot w = workers[i];

            if (w.pid != pid)
                continue;
            workers[i].pid = 0;
            journal_orphan((int)pid); /* its unwritten charges go to another worker */
            if (stopping || w.generation != generation)
                break;
            log_warn("master", "event=worker_died pid=%d index=%d status=%d", (int)pid,
                     w.index, status);
            metrics_worker_restart();
            /* A worker that dies within a second of starting is crash-looping: slow down.
             */
            if (str_mono_us() - w.started_us < 1000000)
                sleep(1);
            spawn(cfg, listen_fd, w.index, generation, started_us);
            break;
        }
    }
}

static struct tg_config *reload(const char *path, const struct tg_config *old)
{
    struct tg_config *c = malloc(sizeof(*c));
    struct tg_err err = {0};

    if (!c)
        return NULL;
    if (config_load(c, path, &err) != 0 || config_load_secrets(c, &err) != 0) {
        log_error("master", "event=reload_refused reason=\"%s\"", err.msg);
        free(c);
        return NULL;
    }
    if (strcmp(c->listen, old->listen) != 0)
        log_warn("master", "event=reload_listen_ignored (restart to change listen)");
    if (strcmp(c->journal_file, old->journal_file) != 0)
        log_warn("master", "event=reload_journal_file_ignored (restart to change it)");
    str_copy(c->listen, sizeof(c->listen), old->listen);
    str_copy(c->journal_file, sizeof(c->journal_file), old->journal_file);
    log_set_level_name(c->log_level);
    return c;
}

int master_run(const char *config_path, struct tg_config *cfg, int listen_fd)
{
    int64_t started_us = str_now_us(), deadline = 0;
    struct tg_config *owned = NULL; /* a config loaded by a reload (heap) */
    int generation = 1, stopping = 0;
    struct timespec tick = {0, 200 * 1000 * 1000};
    sigset_t set;

    master_pid = getpid();
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; i < cfg->workers; i++)
        spawn(cfg, listen_fd, i, generation, started_us);
    log_info("master", "event=ready pid=%d workers=%d threads=%d listen=%s",
             (int)getpid(), cfg->workers, cfg->threads, cfg->listen);
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);

        if (sig == SIGTERM || sig == SIGINT) {
            if (!stopping) {
                log_info("master", "event=draining signal=%d", sig);
                stopping = 1;
                deadline = str_mono_us() + (int64_t)(cfg->drain_timeout + 5) * 1000000;
                signal_generation(0, SIGTERM, 1);
            }
        } else if (sig == SIGHUP && !stopping) {
            struct tg_config *nc = reload(config_path, cfg);
            if (nc) {
                int old = generation++;
                /* Old workers hold their own copy (fork); only the master's goes. */
                free(owned);
                cfg = owned = nc;
                for (int i = 0; i < cfg->workers; i++)
                    spawn(cfg, listen_fd, i, generation, started_us);
                signal_generation(old, SIGUSR1, 0);
                log_info("master", "event=reloaded generation=%d", generation);
            }
        }
        reap(cfg, listen_fd, generation, stopping, started_us);
        if (stopping && live_workers() == 0)
            break;
        if (stopping && str_mono_us() > deadline) {
            log_warn("master", "event=drain_timeout killing=%d", live_workers());
            signal_generation(0, SIGKILL, 1);
            deadline = str_mono_us() + 5000000;
        }
    }
    if (strncmp(cfg->listen, "unix:", 5) == 0)
        unlink(cfg->listen + 5);
    log_info("master", "event=exit");
    free(owned);
    return 0;
}
