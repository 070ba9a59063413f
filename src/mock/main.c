/* tollgate-mock-llm: a mock LLM upstream (OpenAI and Anthropic dialects) for tests. */
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mock/controls.h"
#include "mock/handler.h"
#include "mock/stats.h"

#define THREAD_STACK      (64 * 1024)
#define DEFAULT_MAX_CONNS 4096
#define LISTEN_BACKLOG    4096
#define HOST_MAX          256

struct mock_opts {
    const char *listen; /* borrowed from argv */
    struct handler_auth auth;
    long max_conns;
};

struct conn_arg {
    int fd;
    const struct handler_auth *auth; /* borrowed from the options */
};

/* Set by the SIGINT/SIGTERM handler, read by the accept loop: the one mutable static. */
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

static void usage(FILE *f)
{
    fputs(
        "usage: tollgate-mock-llm --listen HOST:PORT [--key SECRET] [--max-conns N]\n"
        "                         [--fault-key KEY=MODE]...\n"
        "\n"
        "A mock LLM upstream for tests: OpenAI Chat Completions, Completions, "
        "Embeddings,\n"
        "Models and Responses, and Anthropic Messages, streaming or not.\n"
        "\n"
        "  --listen HOST:PORT  address to listen on, e.g. 127.0.0.1:8090 or [::1]:8090\n"
        "                      (port 0 picks a free port; the address is printed)\n"
        "  --key SECRET        require 'Authorization: Bearer SECRET' or 'x-api-key'\n"
        "  --max-conns N       refuse connections beyond N with 503 (default 4096)\n"
        "  --fault-key KEY=MODE  accept KEY too, and answer every request carrying it\n"
        "                      as if fault=MODE were given (repeatable), e.g.\n"
        "                      --fault-key fk-500=status=500\n"
        "  --help              show this help\n"
        "\n"
        "Controls: X-Mock-Chunks, X-Mock-Delay-Ms, X-Mock-Fault, X-Mock-Input-Tokens,\n"
        "X-Mock-Cache-Read, X-Mock-Cache-Write headers, or a body directive such as\n"
        "[mock chunks=20 delay=20 fault=truncate-after=3 input=100 cache_read=10]\n"
        "(the directive wins). Tests read GET /_mock/stats, GET /_mock/last and\n"
        "POST /_mock/reset.\n",
        f);
}

/* Value of option name at argv[*i] ("--name VALUE" or "--name=VALUE"), or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0' || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* Add a "KEY=MODE" fault key. Returns 0 or -1. */
static int add_fault_key(const char *v, struct handler_auth *a)
{
    const char *eq = strchr(v, '=');
    struct handler_fault_key *fk = &a->faults[a->nfaults];
    struct mock_controls probe;
    size_t n = eq ? (size_t)(eq - v) : 0;

    if (n == 0 || n >= sizeof(fk->key) || a->nfaults >= HANDLER_FAULT_KEYS_MAX)
        return -1;
    memset(&probe, 0, sizeof(probe));
    if (controls_force_fault(&probe, eq + 1) != 0) {
        fprintf(stderr, "tollgate-mock-llm: unknown fault mode '%s'\n", eq + 1);
        return -1;
    }
    memcpy(fk->key, v, n);
    fk->key[n] = '\0';
    fk->mode = eq + 1;
    a->nfaults++;
    return 0;
}

/* Take the option at argv[*i] (and its value). Returns 0 or -1. */
static int parse_one(int argc, char **argv, int *i, struct mock_opts *o)
{
    const char *v = opt_value(argc, argv, i, "--listen");
    char *end;

    if (v) {
        o->listen = v;
        return 0;
    }
    v = opt_value(argc, argv, i, "--key");
    if (v) {
        o->auth.key = *v ? v : NULL;
        return 0;
    }
    v = opt_value(argc, argv, i, "--fault-key");
    if (v)
        return add_fault_key(v, &o->auth);
    v = opt_value(argc, argv, i, "--max-conns");
    if (!v)
        return -1;
    errno = 0;
    o->max_conns = strtol(v, &end, 10);
    return errno || *end || o->max_conns < 1 || o->max_conns > 1000000 ? -1 : 0;
}

/* Returns 0, 1 for --help, or -1 on a bad command line. */
static int parse_args(int argc, char **argv, struct mock_opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->max_conns = DEFAULT_MAX_CONNS;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        if (parse_one(argc, argv, &i, o) != 0)
            return -1;
    }
    return o->listen ? 0 : -1;
}

/* Split "HOST:PORT" or "[V6]:PORT". Returns 0 or -1. */
static int split_hostport(const char *s, char *host, size_t hostlen, const char **port)
{
    const char *colon, *h = s;
    size_t n;

    if (*s == '[') {
        const char *close = strchr(s, ']');

        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        n = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        n = (size_t)(colon - s);
    }
    if (n >= hostlen || !colon[1])
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = colon + 1;
    return 0;
}

static int bind_one(const struct addrinfo *ai)
{
    int one = 1,
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Open the listening socket and print "listening on HOST:PORT". Returns it or -1. */
static int open_listener(const char *spec)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[HOST_MAX];
    const char *port;
    int fd = -1, rc, bound_port;

    if (split_hostport(spec, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "tollgate-mock-llm: bad --listen '%s' (want HOST:PORT)\n", spec);
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "tollgate-mock-llm: %s: %s\n", spec, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = bind_one(ai);
    freeaddrinfo(res);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        fprintf(stderr, "tollgate-mock-llm: cannot listen on %s (errno %d)\n", spec,
                errno);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    bound_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (strchr(host, ':'))
        fprintf(stderr, "listening on [%s]:%d\n", host, bound_port);
    else
        fprintf(stderr, "listening on %s:%d\n", *host ? host : "0.0.0.0", bound_port);
    return fd;
}

static void *conn_thread(void *arg)
{
    struct conn_arg a = *(struct conn_arg *)arg;

    free(arg);
    handler_serve(a.fd, a.auth);
    stats_conn_close();
    return NULL;
}

/* Turn a connection away at the --max-conns cap, without blocking the accept loop. */
static void refuse(int fd)
{
    static const char body[] =
        "{\"error\":{\"message\":\"too many connections\",\"type\":\"server_error\"}}";
    char msg[300];
    int n =
        snprintf(msg, sizeof(msg),
                 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 sizeof(body) - 1, body);

    if (n > 0 && (size_t)n < sizeof(msg))
        send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    close(fd);
}

static void start_conn(int fd, const struct mock_opts *o, const pthread_attr_t *attr)
{
    struct conn_arg *arg;
    pthread_t t;

    if (stats_conn_open() > o->max_conns) {
        refuse(fd);
        stats_conn_close();
        return;
    }
    arg = malloc(sizeof(*arg));
    if (arg) {
        arg->fd = fd;
        arg->auth = &o->auth;
        if (pthread_create(&t, attr, conn_thread, arg) == 0)
            return;
        free(arg);
    }
    close(fd);
    stats_conn_close();
}

/* Accept until SIGINT or SIGTERM; those are delivered only inside ppoll. */
static void accept_loop(int lfd, const struct mock_opts *o, const sigset_t *waitmask)
{
    long min = sysconf(_SC_THREAD_STACK_MIN);
    size_t stack = min > THREAD_STACK ? (size_t)min : THREAD_STACK;
    pthread_attr_t attr;

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (!stopping) {
        struct pollfd pfd = {lfd, POLLIN, 0};
        int fd;

        if (ppoll(&pfd, 1, NULL, waitmask) <= 0)
            continue;
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                usleep(10000); /* out of descriptors: let connections finish */
            continue;
        }
        start_conn(fd, o, &attr);
    }
    pthread_attr_destroy(&attr);
}

/* Raise the descriptor limit to the hard limit: thousands of streams need it. */
static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    struct mock_opts o;
    struct sigaction sa;
    sigset_t stops, waitmask;
    int rc = parse_args(argc, argv, &o), lfd;

    if (rc != 0) {
        usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_stop; /* no SA_RESTART: ppoll returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stops, &waitmask); /* threads inherit the block */
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    mallopt(M_ARENA_MAX, 4); /* thousands of threads need not mean thousands of arenas */
    raise_nofile();
    stats_init();
    lfd = open_listener(o.listen);
    if (lfd < 0)
        return 1;
    accept_loop(lfd, &o, &waitmask);
    close(lfd);
    fprintf(stderr, "tollgate-mock-llm: stopped\n");
    return 0;
}
