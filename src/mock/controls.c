/* controls: test controls from X-Mock-* headers and the "[mock ...]" body directive. */
#include "mock/controls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHUNKS 5

/* clang-format off */
static const struct fault_name {
    const char *name;
    enum mock_fault fault;
} fault_names[] = {
    {"hang-before-headers",  FAULT_HANG_HEADERS},
    {"hang-mid-stream",      FAULT_HANG_MID},
    {"malformed-sse",        FAULT_MALFORMED_SSE},
    {"bad-json-in-data",     FAULT_BAD_JSON},
    {"rst",                  FAULT_RST},
    {"no-usage",             FAULT_NO_USAGE},
    {"zero-usage",           FAULT_ZERO_USAGE},
    {"negative-usage",       FAULT_NEGATIVE_USAGE},
    {"huge-usage",           FAULT_HUGE_USAGE},
    {"incomplete-with-usage", FAULT_INCOMPLETE},
    {"slow-drip",            FAULT_SLOW_DRIP},
    {"oversize-body",        FAULT_OVERSIZE},
    {"error-mid-stream",     FAULT_ERROR_MID},
    {"cut-mid-event",        FAULT_CUT_MID_EVENT},
    {"none",                 FAULT_NONE},
};

/* Header name and directive key(s) of each numeric control. */
enum ctl_field { F_CHUNKS, F_DELAY, F_INPUT, F_CACHE_READ, F_CACHE_WRITE, F_FAULT };
static const struct ctl_key {
    const char *header, *key, *alias;
    enum ctl_field field;
} ctl_keys[] = {
    {"x-mock-chunks",       "chunks",      NULL,           F_CHUNKS},
    {"x-mock-delay-ms",     "delay",       "delay_ms",     F_DELAY},
    {"x-mock-input-tokens", "input",       "input_tokens", F_INPUT},
    {"x-mock-cache-read",   "cache_read",  NULL,           F_CACHE_READ},
    {"x-mock-cache-write",  "cache_write", NULL,           F_CACHE_WRITE},
    {"x-mock-fault",        "fault",       NULL,           F_FAULT},
};
/* clang-format on */

#define NKEYS (sizeof(ctl_keys) / sizeof(ctl_keys[0]))

/* Parse a whole decimal value in [0, max]. Returns 0 or -1. */
static int parse_num(const char *v, size_t n, long long max, long long *out)
{
    char tmp[32], *end;
    long long x;

    if (n == 0 || n >= sizeof(tmp) || v[0] == '-' || v[0] == '+')
        return -1;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    errno = 0;
    x = strtoll(tmp, &end, 10);
    if (errno || *end || x < 0 || x > max)
        return -1;
    *out = x;
    return 0;
}

/* Copy a redirect target, dropping JSON's "\/" escapes. Returns 0 or -1. */
static int set_redirect(struct mock_controls *ctl, const char *v, size_t n)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];

        if (ch == '\\' && i + 1 < n && v[i + 1] == '/')
            continue;
        if (ch < 0x21 || ch == 0x7f || o + 1 >= sizeof(ctl->redirect))
            return -1; /* no header injection, no spaces */
        ctl->redirect[o++] = (char)ch;
    }
    ctl->redirect[o] = '\0';
    return o > 0 ? 0 : -1;
}

static int set_fault(struct mock_controls *ctl, const char *v, size_t n)
{
    long long x;
    size_t i;

    if (n > 7 && memcmp(v, "status=", 7) == 0) {
        if (parse_num(v + 7, n - 7, 599, &x) != 0 || x < 300)
            return -1;
        ctl->fault = FAULT_STATUS;
        ctl->fault_arg = (long)x;
        return 0;
    }
    if (n > 15 && memcmp(v, "truncate-after=", 15) == 0) {
        if (parse_num(v + 15, n - 15, CONTROLS_MAX_CHUNKS, &x) != 0)
            return -1;
        ctl->fault = FAULT_TRUNCATE;
        ctl->fault_arg = (long)x;
        return 0;
    }
    if (n > 9 && memcmp(v, "redirect=", 9) == 0) {
        ctl->fault = FAULT_REDIRECT;
        return set_redirect(ctl, v + 9, n - 9);
    }
    for (i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
        if (strlen(fault_names[i].name) == n && memcmp(fault_names[i].name, v, n) == 0) {
            ctl->fault = fault_names[i].fault;
            return 0;
        }
    }
    return -1;
}

static int set_field(struct mock_controls *ctl, enum ctl_field f, const char *v, size_t n)
{
    long long x;

    if (f == F_FAULT)
        return set_fault(ctl, v, n);
    if (parse_num(v, n, CONTROLS_MAX_TOKENS, &x) != 0)
        return -1;
    switch (f) {
    case F_CHUNKS:
        if (x > CONTROLS_MAX_CHUNKS)
            return -1;
        ctl->chunks = (long)x;
        break;
    case F_DELAY:
        if (x > CONTROLS_MAX_DELAY_MS)
            return -1;
        ctl->delay_ms = (long)x;
        break;
    case F_INPUT:
        ctl->input = x;
        break;
    case F_CACHE_READ:
        ctl->cache_read = x;
        break;
    case F_CACHE_WRITE:
        ctl->cache_write = x;
        break;
    case F_FAULT:
        break;
    }
    return 0;
}

/* Apply one "key=value" token of the directive. Returns 0 or -1 (msg set). */
static int directive_token(struct mock_controls *ctl, const char *t, size_t n, char *msg,
                           size_t msglen)
{
    const char *eq = memchr(t, '=', n);
    size_t klen = eq ? (size_t)(eq - t) : n, i;

    for (i = 0; eq && i < NKEYS; i++) {
        const struct ctl_key *k = &ctl_keys[i];

        if ((strlen(k->key) == klen && memcmp(k->key, t, klen) == 0) ||
            (k->alias && strlen(k->alias) == klen && memcmp(k->alias, t, klen) == 0)) {
            if (set_field(ctl, k->field, eq + 1, n - klen - 1) == 0)
                return 0;
            break;
        }
    }
    snprintf(msg, msglen, "bad mock directive item: %.*s", (int)(n > 100 ? 100 : n), t);
    return -1;
}

static int parse_directive(struct mock_controls *ctl, const char *body, size_t len,
                           char *msg, size_t msglen)
{
    const char *start = memmem(body, len, "[mock ", 6), *end, *p;

    if (!start)
        return 0;
    p = start + 6;
    end = memchr(p, ']', len - (size_t)(p - body));
    if (!end) {
        snprintf(msg, msglen, "mock directive without ']'");
        return -1;
    }
    while (p < end) {
        const char *t;

        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        t = p;
        while (p < end && *p != ' ' && *p != '\t')
            p++;
        if (p > t && directive_token(ctl, t, (size_t)(p - t), msg, msglen) != 0)
            return -1;
    }
    return 0;
}

int controls_parse(struct mock_controls *ctl, const struct http_req *req, char *msg,
                   size_t msglen)
{
    size_t i;

    memset(ctl, 0, sizeof(*ctl));
    ctl->chunks = DEFAULT_CHUNKS;
    ctl->input = -1;
    for (i = 0; i < NKEYS; i++) {
        const char *v = http_req_header(req, ctl_keys[i].header);

        if (v && set_field(ctl, ctl_keys[i].field, v, strlen(v)) != 0) {
            snprintf(msg, msglen, "bad %s header: %.100s", ctl_keys[i].header, v);
            return -1;
        }
    }
    return parse_directive(ctl, req->body, req->body_len, msg, msglen);
}

int controls_force_fault(struct mock_controls *ctl, const char *mode)
{
    return set_fault(ctl, mode, strlen(mode));
}

void controls_usage(const struct mock_controls *ctl, size_t body_len,
                    struct mock_usage *u)
{
    u->present = 1;
    u->input = ctl->input >= 0 ? ctl->input : 10 + (long long)(body_len / 100);
    u->cache_read = ctl->cache_read;
    u->cache_write = ctl->cache_write;
    u->output = ctl->chunks;
    switch (ctl->fault) {
    case FAULT_NO_USAGE:
        u->present = 0;
        break;
    case FAULT_ZERO_USAGE:
        u->input = u->cache_read = u->cache_write = u->output = 0;
        break;
    case FAULT_NEGATIVE_USAGE:
        u->input = u->output = -1000000;
        break;
    case FAULT_HUGE_USAGE:
        u->input = u->output = 1000000000000LL;
        break;
    default:
        break;
    }
}

size_t controls_chunk_text(long i, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "tok%ld ", i);

    return n < 0 ? 0 : (size_t)n;
}

char *controls_full_text(long n)
{
    size_t cap = 1, len = 0;
    long i;
    char *s;

    for (i = 1; i <= n; i++) {
        char tmp[32];

        cap += controls_chunk_text(i, tmp, sizeof(tmp));
    }
    s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (i = 1; i <= n; i++)
        len += controls_chunk_text(i, s + len, cap - len);
    return s;
}
