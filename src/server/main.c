/* tollgate-fcgi: the FastCGI application server (master + workers). */
#include "config.h"

#include <fcgiapp.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "relay/relay.h"
#include "router/router.h"
#include "server/metrics.h"
#include "store/journal.h"
#include "server/server.h"
#include "store/store.h"
#include "util/log.h"

int relay_global_init(void);

static void usage(FILE *f)
{
    fprintf(f, "usage: tollgate-fcgi [-c CONFIG] [--check] [--version]\n"
               "  -c, --config FILE  configuration (default " TG_SYSCONFDIR
               "/tollgate.conf)\n"
               "  --check            validate the configuration and secrets, then exit\n"
               "  --version          print the version\n"
               "Signals: SIGHUP reloads the configuration without dropping requests;\n"
               "SIGTERM drains in-flight requests (drain_timeout) and exits.\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'k'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = TG_SYSCONFDIR "/tollgate.conf";
    static struct tg_config cfg;
    struct tg_err err = {0};
    int opt, check = 0, fd, rc;

    while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'V':
            printf("tollgate-fcgi %s\n", PACKAGE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (config_load(&cfg, path, &err) != 0 || config_load_secrets(&cfg, &err) != 0) {
        fprintf(stderr, "tollgate-fcgi: %s\n", err.msg);
        return 1;
    }
    log_set_level_name(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    json_object_seed(0);
    if (store_global_init() != 0 || relay_global_init() != 0 || FCGX_Init() != 0 ||
        metrics_init(router_route_count) != 0) {
        fprintf(stderr, "tollgate-fcgi: library initialisation failed\n");
        return 1;
    }
    store_on_key_change(metrics_key_epoch_bump); /* before fork: read-only after */
    /* A wrong master key must stop startup, not fail every call later. */
    rc = relay_check_channel_keys(&cfg, &err);
    if (rc < 0) {
        fprintf(stderr, "tollgate-fcgi: %s\n", err.msg);
        return 1;
    }
    if (rc > 0)
        log_warn("main", "event=channel_keys_unchecked reason=database_unreachable");
    if (check) {
        printf("configuration OK: %s\n", path);
        return 0;
    }
    /* Before listening: a journal still held by workers of a killed master is waited
     * for while they drain (they stop when their master dies). */
    if (journal_init(cfg.journal_file, cfg.drain_timeout + 5, &err) != 0) {
        fprintf(stderr, "tollgate-fcgi: %s\n", err.msg);
        return 1;
    }
    fd = server_listen(&cfg);
    if (fd < 0) {
        fprintf(stderr, "tollgate-fcgi: cannot listen on %s\n", cfg.listen);
        return 1;
    }
    return master_run(path, &cfg, fd);
}
