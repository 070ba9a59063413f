/* fuzz_sse: libFuzzer target for relay/sse_parse and relay/usage. The first byte picks
 * the dialect, the next two a cut point; the rest is fed in two parts. Every event's data
 * goes through usage_from_event; counts must stay in [0, USAGE_MAX_TOKENS], and the
 * events must not depend on where the input was cut. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "relay/sse_parse.h"
#include "relay/usage.h"

struct run {
    enum dialect_kind d;
    struct usage u;
    uint64_t digest; /* FNV-1a over every event's name, data and raw bytes */
    size_t events;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static void check_usage(const struct usage *u)
{
    const int64_t v[] = {u->input, u->output, u->cache_read, u->cache_write_5m,
                         u->cache_write_1h};

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert(v[i] >= 0 && v[i] <= USAGE_MAX_TOKENS);
    assert(usage_total(u) >= 0 && usage_total(u) <= 5LL * USAGE_MAX_TOKENS);
}

static int on_event(void *ctx, const struct sse_event *ev)
{
    struct run *r = ctx;
    json_t *data = json_loadb(ev->data, ev->data_len, 0, NULL); /* NULL if not JSON */
    struct usage body = {0};

    usage_from_event(r->d, ev->event, data, &r->u);
    check_usage(&r->u);
    if (usage_from_body(r->d, data, &body))
        check_usage(&body);
    json_decref(data);
    r->digest = fnv(r->digest, ev->event, strlen(ev->event) + 1);
    r->digest = fnv(r->digest, &ev->data_len, sizeof(ev->data_len));
    r->digest = fnv(r->digest, ev->data, ev->data_len);
    r->digest = fnv(r->digest, &ev->raw_len, sizeof(ev->raw_len));
    r->digest = fnv(r->digest, ev->raw, ev->raw_len);
    r->events++;
    return 0;
}

static int run_cut(struct run *r, const char *in, size_t n, size_t cut)
{
    struct sse_parser p;
    int rc;

    sse_init(&p);
    rc = sse_feed(&p, in, cut, on_event, r);
    if (rc == 0)
        rc = sse_feed(&p, in + cut, n - cut, on_event, r);
    if (rc == 0)
        rc = sse_finish(&p, on_event, r);
    sse_free(&p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run split = {0}, whole = {0};
    enum dialect_kind d;
    const char *in;
    size_t n, cut;
    int rc_split, rc_whole;

    if (size < 3)
        return 0;
    d = (enum dialect_kind)(data[0] % 3);
    in = (const char *)data + 3;
    n = size - 3;
    cut = ((size_t)data[1] << 8 | data[2]) % (n + 1);
    split.d = whole.d = d;
    split.digest = whole.digest = 14695981039346656037ULL;
    rc_split = run_cut(&split, in, n, cut);
    rc_whole = run_cut(&whole, in, n, n);
    assert(rc_split == rc_whole);
    assert(split.events == whole.events && split.digest == whole.digest);
    assert(memcmp(&split.u, &whole.u, sizeof(split.u)) == 0);
    return 0;
}
