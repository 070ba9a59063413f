/* server: the master process, its workers and their threads. */
#ifndef TG_SERVER_H
#define TG_SERVER_H

#include "config/config.h"

/* Open the FastCGI listen socket named by cfg->listen. Returns the fd or -1. */
int server_listen(const struct tg_config *cfg);
/* Run the master: fork workers, restart dead ones, reload on SIGHUP (re-reading
 * config_path), drain on SIGTERM/SIGINT. Returns the exit status. */
int master_run(const char *config_path, struct tg_config *cfg, int listen_fd);
/* Body of one worker process. Never returns. */
void worker_main(const struct tg_config *cfg, int listen_fd, int index,
                 int64_t started_us) __attribute__((noreturn));
/* Serve one accepted FastCGI request (exposed for the worker threads). */
struct tg_app;
void server_handle(struct tg_app *app, void *fcgx_request);

#endif
