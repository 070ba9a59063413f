/* str: small string helpers. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/str.h"

static int cached_pid;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void pid_forget(void)
{
    __atomic_store_n(&cached_pid, 0, __ATOMIC_RELAXED);
}

static void pid_watch(void)
{
    pthread_atfork(NULL, NULL, pid_forget);
}

int str_pid(void)
{
    int pid = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);

    if (!pid) {
        pthread_once(&pid_once, pid_watch);
        pid = (int)getpid();
        __atomic_store_n(&cached_pid, pid, __ATOMIC_RELAXED);
    }
    return pid;
}

int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);

    if (cap == 0)
        return -1;
    if (n >= cap) {
        memcpy(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int str_ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

int str_valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    while (p < end) {
        unsigned c = *p;
        size_t len;
        unsigned cp;

        if (c == 0)
            return 0;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) < len)
            return 0;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += len;
    }
    return 1;
}

int str_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int str_pct_decode(const char *in, char *out, size_t cap)
{
    size_t n = 0;

    while (*in) {
        int c = (unsigned char)*in++;

        if (c == '%') {
            int hi = str_hexval((unsigned char)in[0]);
            int lo = hi < 0 ? -1 : str_hexval((unsigned char)in[1]);
            if (lo < 0)
                return -1;
            c = hi << 4 | lo;
            in += 2;
        }
        if (c == 0 || n + 1 >= cap)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return n ? 0 : -1;
}

void str_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t str_now_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

int64_t str_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}
