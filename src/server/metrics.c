/* metrics: shared-memory counters and their Prometheus text. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "server/metrics.h"

#define NCLASS 6 /* 1xx..5xx and "other" */
static const int64_t buckets_us[] = {1000,    5000,     10000,    25000,   50000,
                                     100000,  250000,   500000,   1000000, 2500000,
                                     5000000, 10000000, 30000000, 60000000};
#define NBUCKET ((int)(sizeof(buckets_us) / sizeof(buckets_us[0])))

struct shm_block {
    int64_t inflight, streams, upstream_errors, worker_restarts, quota, key_epoch;
    int64_t fcgi_conns;
    int64_t tokens[MT_KINDS];
    int64_t ttfb_count, ttfb_sum, ttfb_buckets[NBUCKET];
    int64_t dur_count, dur_sum, dur_buckets[NBUCKET];
    int nroutes;
    int64_t req[]; /* (nroutes + 1) x NCLASS; the last row: unmatched */
};

static struct shm_block *shm;

int metrics_init(int nroutes)
{
    size_t size = sizeof(*shm) + sizeof(int64_t) * (size_t)(nroutes + 1) * NCLASS;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return -1;
    shm = p;
    shm->nroutes = nroutes;
    return 0;
}

static void add(int64_t *v, int64_t n)
{
    __atomic_add_fetch(v, n, __ATOMIC_RELAXED);
}

static void observe(int64_t *count, int64_t *sum, int64_t *b, int64_t us)
{
    add(count, 1);
    add(sum, us);
    for (int i = 0; i < NBUCKET; i++)
        if (us <= buckets_us[i])
            add(&b[i], 1);
}

void metrics_request(int route, int status, int64_t dur_us)
{
    int cls = status >= 100 && status < 600 ? status / 100 - 1 : NCLASS - 1;

    if (!shm)
        return;
    if (route < 0 || route >= shm->nroutes)
        route = shm->nroutes;
    add(&shm->req[route * NCLASS + cls], 1);
    observe(&shm->dur_count, &shm->dur_sum, shm->dur_buckets, dur_us);
}

void metrics_inflight(int delta)
{
    if (shm)
        add(&shm->inflight, delta);
}

void metrics_streams(int delta)
{
    if (shm)
        add(&shm->streams, delta);
}

void metrics_ttfb(int64_t us)
{
    if (shm)
        observe(&shm->ttfb_count, &shm->ttfb_sum, shm->ttfb_buckets, us);
}

void metrics_tokens(enum metric_token_kind kind, int64_t n)
{
    if (shm && kind < MT_KINDS)
        add(&shm->tokens[kind], n);
}

void metrics_quota(int64_t n)
{
    if (shm)
        add(&shm->quota, n);
}

void metrics_upstream_error(void)
{
    if (shm)
        add(&shm->upstream_errors, 1);
}

void metrics_worker_restart(void)
{
    if (shm)
        add(&shm->worker_restarts, 1);
}

void metrics_fcgi_connection(void)
{
    if (shm)
        add(&shm->fcgi_conns, 1);
}

void metrics_key_epoch_bump(void)
{
    if (shm)
        add(&shm->key_epoch, 1);
}

int64_t metrics_key_epoch(void)
{
    return shm ? __atomic_load_n(&shm->key_epoch, __ATOMIC_ACQUIRE) : 0;
}

int64_t metrics_inflight_now(void)
{
    return shm ? __atomic_load_n(&shm->inflight, __ATOMIC_RELAXED) : 0;
}

static int64_t get(const int64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void histogram(struct buf *out, const char *name, const char *help, int64_t count,
                      int64_t sum, const int64_t *b)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (int i = 0; i < NBUCKET; i++)
        buf_printf(out, "%s_bucket{le=\"%g\"} %lld\n", name, (double)buckets_us[i] / 1e6,
                   (long long)get(&b[i]));
    buf_printf(out, "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.6f\n%s_count %lld\n", name,
               (long long)count, name, (double)sum / 1e6, name, (long long)count);
}

void metrics_render(struct buf *out, const char *(*route_name)(int i))
{
    static const char *const cls[NCLASS] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
    static const char *const kinds[MT_KINDS] = {"input", "output", "cache_read",
                                                "cache_write"};

    if (!shm)
        return;
    buf_puts(out, "# HELP tollgate_requests_total Requests by route and status class.\n"
                  "# TYPE tollgate_requests_total counter\n");
    for (int r = 0; r <= shm->nroutes; r++)
        for (int c = 0; c < NCLASS; c++) {
            int64_t v = get(&shm->req[r * NCLASS + c]);
            if (v)
                buf_printf(
                    out, "tollgate_requests_total{route=\"%s\",status=\"%s\"} %lld\n",
                    r < shm->nroutes ? route_name(r) : "unmatched", cls[c], (long long)v);
        }
    buf_printf(
        out,
        "# HELP tollgate_inflight_requests Requests being served now.\n"
        "# TYPE tollgate_inflight_requests gauge\ntollgate_inflight_requests %lld\n"
        "# HELP tollgate_open_streams Streams being relayed now.\n"
        "# TYPE tollgate_open_streams gauge\ntollgate_open_streams %lld\n"
        "# HELP tollgate_upstream_errors_total Failed upstream attempts.\n"
        "# TYPE tollgate_upstream_errors_total counter\n"
        "tollgate_upstream_errors_total %lld\n"
        "# HELP tollgate_worker_restarts_total Workers replaced after dying.\n"
        "# TYPE tollgate_worker_restarts_total counter\n"
        "tollgate_worker_restarts_total %lld\n"
        "# HELP tollgate_fcgi_connections_total FastCGI connections accepted (a kept "
        "connection serves many requests).\n"
        "# TYPE tollgate_fcgi_connections_total counter\n"
        "tollgate_fcgi_connections_total %lld\n"
        "# HELP tollgate_quota_charged_total Quota charged for calls.\n"
        "# TYPE tollgate_quota_charged_total counter\n"
        "tollgate_quota_charged_total %lld\n",
        (long long)get(&shm->inflight), (long long)get(&shm->streams),
        (long long)get(&shm->upstream_errors), (long long)get(&shm->worker_restarts),
        (long long)get(&shm->fcgi_conns), (long long)get(&shm->quota));
    buf_puts(out, "# HELP tollgate_tokens_total Tokens billed by kind.\n"
                  "# TYPE tollgate_tokens_total counter\n");
    for (int k = 0; k < MT_KINDS; k++)
        buf_printf(out, "tollgate_tokens_total{kind=\"%s\"} %lld\n", kinds[k],
                   (long long)get(&shm->tokens[k]));
    histogram(out, "tollgate_request_duration_seconds", "Time to serve a request.",
              get(&shm->dur_count), get(&shm->dur_sum), shm->dur_buckets);
    histogram(out, "tollgate_ttfb_seconds", "Time to the first byte of relayed calls.",
              get(&shm->ttfb_count), get(&shm->ttfb_sum), shm->ttfb_buckets);
}
