/* stats: request counters and the last /v1 request, shared by all connection threads. */
#include "mock/stats.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The only mutable state shared between threads; every access holds lock. */
static struct {
    pthread_mutex_t lock;
    long long requests, aborted, completed, cut, seq;
    long open, connections;
    char *last; /* owned: JSON text of the last /v1 request */
} st = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, NULL};

void stats_init(void)
{
    json_object_seed(0); /* seed jansson's hash once, before threads race to */
}

long stats_conn_open(void)
{
    long n;

    pthread_mutex_lock(&st.lock);
    n = ++st.connections;
    pthread_mutex_unlock(&st.lock);
    return n;
}

void stats_conn_close(void)
{
    pthread_mutex_lock(&st.lock);
    st.connections--;
    pthread_mutex_unlock(&st.lock);
}

long stats_connections(void)
{
    long n;

    pthread_mutex_lock(&st.lock);
    n = st.connections;
    pthread_mutex_unlock(&st.lock);
    return n;
}

/* A JSON string of n bytes; bytes that are not valid UTF-8 become '?'. */
static json_t *lossy_string(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    char *copy;
    size_t i;

    if (j)
        return j;
    copy = malloc(n + 1);
    if (!copy)
        return NULL;
    for (i = 0; i < n; i++)
        copy[i] = (s[i] & 0x80) || s[i] == '\0' ? '?' : s[i];
    j = json_stringn(copy, n);
    free(copy);
    return j;
}

static char *describe(const struct http_req *req)
{
    json_t *o = json_object(), *h = json_object(); /* new references */
    size_t i;
    char *text = NULL;

    if (!o || !h)
        goto out;
    for (i = 0; i < req->nhdrs; i++) {
        const char *name = req->hdrs[i].name;
        json_t *old = json_object_get(h, name); /* borrowed */

        if (old) { /* repeated header: join with ", " as HTTP allows */
            size_t a = json_string_length(old), b = strlen(req->hdrs[i].value);
            char *both = malloc(a + b + 3);

            if (!both)
                goto out;
            memcpy(both, json_string_value(old), a);
            memcpy(both + a, ", ", 2);
            memcpy(both + a + 2, req->hdrs[i].value, b + 1);
            json_object_set_new(h, name, lossy_string(both, a + b + 2));
            free(both);
        } else {
            json_object_set_new(
                h, name, lossy_string(req->hdrs[i].value, strlen(req->hdrs[i].value)));
        }
    }
    json_object_set_new(o, "method", lossy_string(req->method, strlen(req->method)));
    json_object_set_new(o, "path", lossy_string(req->path, strlen(req->path)));
    json_object_set_new(o, "query", lossy_string(req->query, strlen(req->query)));
    json_object_set(o, "headers", h);
    json_object_set_new(o, "body", lossy_string(req->body, req->body_len));
    text = json_dumps(o, JSON_COMPACT);
out:
    json_decref(h);
    json_decref(o);
    return text;
}

long long stats_request_begin(const struct http_req *req)
{
    char *text = describe(req); /* built outside the lock: bodies run to 8 MiB */
    long long seq;

    pthread_mutex_lock(&st.lock);
    st.requests++;
    st.open++;
    seq = ++st.seq;
    if (text) {
        free(st.last);
        st.last = text;
    }
    pthread_mutex_unlock(&st.lock);
    return seq;
}

void stats_request_end(enum stats_outcome outcome)
{
    pthread_mutex_lock(&st.lock);
    st.open--;
    if (outcome == STATS_COMPLETED)
        st.completed++;
    else if (outcome == STATS_ABORTED)
        st.aborted++;
    else
        st.cut++;
    pthread_mutex_unlock(&st.lock);
}

char *stats_dump(void)
{
    json_t *o;
    char *text;

    pthread_mutex_lock(&st.lock);
    o = json_pack("{s:I, s:i, s:I, s:I, s:I, s:i}", "requests", (json_int_t)st.requests,
                  "open", (int)st.open, "aborted", (json_int_t)st.aborted, "completed",
                  (json_int_t)st.completed, "cut", (json_int_t)st.cut, "connections",
                  (int)st.connections);
    pthread_mutex_unlock(&st.lock);
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

char *stats_last(void)
{
    char *copy = NULL;

    pthread_mutex_lock(&st.lock);
    if (st.last)
        copy = strdup(st.last);
    pthread_mutex_unlock(&st.lock);
    return copy;
}

void stats_reset(void)
{
    pthread_mutex_lock(&st.lock);
    st.requests = st.aborted = st.completed = st.cut = 0;
    free(st.last);
    st.last = NULL;
    pthread_mutex_unlock(&st.lock);
}
