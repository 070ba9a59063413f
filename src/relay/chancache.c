/* chancache: channels, prices and group multipliers cached per process (bounded
 * staleness), channel choice, and per-channel circuit breakers. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "auth/secretbox.h"
#include "config/config.h"
#include "relay/chancache.h"
#include "store/store.h"
#include "util/log.h"
#include "util/str.h"

struct snapshot {
    int refs;
    int64_t loaded_us;
    struct channel_row *chans;
    int nchans, capchans;
    struct price_row *prices;
    int nprices, capprices;
};

struct breaker {
    int64_t id;
    int fails;          /* consecutive failures */
    int opens;          /* consecutive openings: the cooldown doubles with each */
    int64_t open_until; /* monotonic us; 0 = closed */
    int64_t probe_us;   /* when the half-open probe went out; 0 = none */
};

struct group_ppm {
    char name[33];
    int64_t ppm, loaded_us;
};

#define NBREAKERS 512
/* A half-open probe that has not reported by then (its call never reached the channel:
 * it was a failover candidate left unused, or admission refused the call) no longer
 * holds the channel back: the next call probes. */
#define PROBE_HOLD_US (10 * 1000000LL)
#define NGROUPS       32

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current;
static int reloading;
static struct breaker breakers[NBREAKERS];
static struct group_ppm groups[NGROUPS];

static void snap_free(struct snapshot *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nchans; i++)
        crypto_wipe(s->chans[i].key_enc, sizeof(s->chans[i].key_enc));
    free(s->chans);
    free(s->prices);
    free(s);
}

static void snap_put(struct snapshot *s)
{
    int last;

    if (!s)
        return;
    pthread_mutex_lock(&mu);
    last = --s->refs == 0;
    pthread_mutex_unlock(&mu);
    if (last)
        snap_free(s);
}

static void add_chan(const struct channel_row *ch, void *ctx)
{
    struct snapshot *s = ctx;

    if (s->nchans == s->capchans) {
        int ncap = s->capchans ? s->capchans * 2 : 16;
        struct channel_row *p = realloc(s->chans, (size_t)ncap * sizeof(*p));
        if (!p)
            return;
        s->chans = p;
        s->capchans = ncap;
    }
    s->chans[s->nchans++] = *ch;
}

static void add_price(const struct price_row *pr, void *ctx)
{
    struct snapshot *s = ctx;

    if (s->nprices == s->capprices) {
        int ncap = s->capprices ? s->capprices * 2 : 32;
        struct price_row *p = realloc(s->prices, (size_t)ncap * sizeof(*p));
        if (!p)
            return;
        s->prices = p;
        s->capprices = ncap;
    }
    s->prices[s->nprices++] = *pr;
}

static struct snapshot *load(struct tg_app *app, struct tg_err *err)
{
    struct snapshot *s = calloc(1, sizeof(*s));
    struct store_conn *c;
    int rc;

    if (!s)
        return err_set(err, TG_EINTERNAL, "out of memory"), NULL;
    c = store_get(app->pool, err);
    if (!c) {
        free(s);
        return NULL;
    }
    rc = store_channels_each(c, 0, add_chan, s, err);
    if (rc >= 0)
        rc = store_prices_each(c, add_price, s, err);
    store_put(app->pool, c);
    if (rc < 0) {
        snap_free(s);
        return NULL;
    }
    s->loaded_us = str_mono_us();
    s->refs = 1;
    return s;
}

/* A reference to a fresh enough snapshot. One thread reloads a stale one while the others
 * keep using it; only with no snapshot at all does a caller wait on the database. */
static struct snapshot *snap_get(struct tg_app *app, struct tg_err *err)
{
    struct snapshot *s, *fresh;
    int64_t now = str_mono_us();
    int mine = 0;

    pthread_mutex_lock(&mu);
    s = current;
    if (s)
        s->refs++;
    if ((!s || now - s->loaded_us > CHANCACHE_TTL_US) && !reloading) {
        reloading = 1;
        mine = 1;
    }
    pthread_mutex_unlock(&mu);
    if (!mine && s)
        return s;
    if (!mine) { /* another thread is loading the first snapshot */
        for (int i = 0; i < 500 && !s; i++) {
            struct timespec t = {0, 10 * 1000 * 1000};
            nanosleep(&t, NULL);
            pthread_mutex_lock(&mu);
            s = current;
            if (s)
                s->refs++;
            pthread_mutex_unlock(&mu);
        }
        if (!s)
            err_set(err, TG_EUNAVAIL, "channels unavailable");
        return s;
    }
    fresh = load(app, s ? NULL : err);
    pthread_mutex_lock(&mu);
    reloading = 0;
    if (fresh) {
        struct snapshot *old = current;
        fresh->refs++; /* one for current, one for the caller */
        current = fresh;
        if (old && --old->refs == 0)
            snap_free(old);
    }
    pthread_mutex_unlock(&mu);
    if (fresh) {
        snap_put(s);
        return fresh;
    }
    if (s)
        log_warn("relay", "event=channel_reload_failed using=stale");
    return s;
}

void chancache_refresh(struct tg_app *app)
{
    struct tg_err err = {0};
    struct snapshot *s = snap_get(app, &err); /* reloads when past its TTL */

    if (s)
        snap_put(s);
}

void chancache_invalidate(void)
{
    pthread_mutex_lock(&mu);
    if (current)
        current->loaded_us = 0;
    for (int i = 0; i < NGROUPS; i++)
        groups[i].loaded_us = 0;
    pthread_mutex_unlock(&mu);
}

/* 1 if csv (comma list) contains item; "*" matches anything. */
static int csv_has(const char *csv, const char *item)
{
    size_t n = strlen(item);

    for (const char *p = csv; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        while (len && *p == ' ') {
            p++;
            len--;
        }
        if ((len == n && strncmp(p, item, n) == 0) || (len == 1 && *p == '*'))
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static int family_ok(const char *type, enum chan_family fam)
{
    return fam == FAMILY_ANTHROPIC ? strcmp(type, "anthropic") == 0
                                   : strcmp(type, "anthropic") != 0;
}

static struct breaker *breaker_find(int64_t id, int create)
{
    struct breaker *free_slot = NULL;

    for (int i = 0; i < NBREAKERS; i++) {
        if (breakers[i].id == id)
            return &breakers[i];
        if (!breakers[i].id && !free_slot)
            free_slot = &breakers[i];
    }
    if (create && free_slot) {
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->id = id;
    }
    return create ? free_slot : NULL;
}

/* 1 if the channel may be tried now (closed, or half-open and no probe out); else 0
 * and *wait_us lowered to when it may be tried again, if that is sooner. */
static int breaker_admits(int64_t id, int64_t now, int64_t *wait_us)
{
    struct breaker *b;
    int ok = 1;

    pthread_mutex_lock(&mu);
    b = breaker_find(id, 0);
    if (b && b->open_until) {
        int probing = b->probe_us && now - b->probe_us < PROBE_HOLD_US;

        if (now < b->open_until || probing) {
            int64_t w = now < b->open_until ? b->open_until - now
                                            : b->probe_us + PROBE_HOLD_US - now;
            if (w < *wait_us)
                *wait_us = w;
            ok = 0;
        } else {
            b->probe_us = now; /* half-open: this call is the probe */
        }
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

void chancache_report(int64_t channel_id, int ok, int retry_after_s, int threshold,
                      int cooldown_s)
{
    struct breaker *b;

    pthread_mutex_lock(&mu);
    b = breaker_find(channel_id, !ok);
    if (b && ok) {
        if (b->open_until)
            log_info("relay", "event=breaker_closed channel=%lld", (long long)channel_id);
        memset(b, 0, sizeof(*b)); /* frees the slot */
    } else if (b) {
        b->fails++;
        if (b->probe_us || b->fails >= threshold || retry_after_s > 0) {
            int64_t cool = (int64_t)cooldown_s << (b->opens < 5 ? b->opens : 5);
            if (retry_after_s > 0)
                cool = retry_after_s;
            if (cool > 600)
                cool = 600;
            b->open_until = str_mono_us() + cool * 1000000;
            b->opens++;
            b->probe_us = 0;
            log_warn("relay", "event=breaker_open channel=%lld cooldown_s=%lld",
                     (long long)channel_id, (long long)cool);
        }
    }
    pthread_mutex_unlock(&mu);
}

static uint64_t fnv1a(const char *s, int64_t id)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (int i = 0; i < 8; i++)
        h = (h ^ (uint64_t)((id >> (8 * i)) & 0xff)) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static double uniform(void)
{
    static __thread uint64_t state;

    if (!state && crypto_random(&state, sizeof(state)) != 0)
        state = (uint64_t)str_mono_us() | 1;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

/* Weighted score: rendezvous for sticky calls, random otherwise; the highest wins. */
static double score(const struct channel_row *ch, const char *sticky)
{
    double u = sticky && *sticky
                   ? ((double)(fnv1a(sticky, ch->id) >> 11) + 0.5) / 9007199254740992.0
                   : uniform();
    return (double)(ch->weight > 0 ? ch->weight : 1) / -log(u);
}

static void map_model(const struct channel_row *ch, const char *model, char *out,
                      size_t cap)
{
    json_t *m = ch->model_map[0] ? json_loads(ch->model_map, 0, NULL) : NULL;
    const char *to = m ? json_string_value(json_object_get(m, model)) : NULL;

    str_copy(out, cap, to && *to ? to : model);
    json_decref(m);
}

int chancache_pick(struct tg_app *app, const char *model, enum chan_family fam,
                   const char *group, const char *sticky, struct pick *out, int max,
                   struct tg_err *err)
{
    struct snapshot *s = snap_get(app, err);
    double scores[PICK_MAX];
    int prio[PICK_MAX];
    int n = 0;
    int64_t now = str_mono_us(), wait_us = INT64_MAX;

    if (!s)
        return -1;
    if (max > PICK_MAX)
        max = PICK_MAX;
    for (int i = 0; i < s->nchans; i++) {
        const struct channel_row *ch = &s->chans[i];
        double sc;
        int at;

        if (strcmp(ch->status, "enabled") != 0 || !family_ok(ch->type, fam) ||
            !csv_has(ch->models, model) ||
            (strcmp(ch->group, "default") != 0 && strcmp(ch->group, group) != 0))
            continue;
        if (!breaker_admits(ch->id, now, &wait_us))
            continue;
        sc = score(ch, sticky);
        /* Insertion sort by (priority desc, score desc), keeping the best max. */
        for (at = n; at > 0; at--) {
            if (prio[at - 1] > ch->priority ||
                (prio[at - 1] == ch->priority && scores[at - 1] >= sc))
                break;
        }
        if (at >= max)
            continue;
        if (n == max)
            n--;
        memmove(&out[at + 1], &out[at], (size_t)(n - at) * sizeof(*out));
        memmove(&scores[at + 1], &scores[at], (size_t)(n - at) * sizeof(*scores));
        memmove(&prio[at + 1], &prio[at], (size_t)(n - at) * sizeof(*prio));
        out[at].ch = *ch;
        map_model(ch, model, out[at].upstream_model, sizeof(out[at].upstream_model));
        scores[at] = sc;
        prio[at] = ch->priority;
        n++;
    }
    snap_put(s);
    if (n == 0 && wait_us != INT64_MAX) {
        /* Served, but every channel is cooling down: unavailable, not unknown. */
        err_set(err, TG_EOVERLOAD, "every channel for %s is unavailable; retry shortly",
                model);
        err->retry_after = (int)((wait_us + 999999) / 1000000);
        return -1;
    }
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *chancache_models(struct tg_app *app, enum chan_family fam, const char *allow,
                         struct tg_err *err)
{
    struct snapshot *s = snap_get(app, err);
    json_t *seen, *arr;
    const char **names;
    const char *k;
    json_t *v;
    size_t n = 0;

    if (!s)
        return NULL;
    seen = json_object();
    for (int i = 0; i < s->nchans; i++) {
        char tmp[2048], *save = NULL;

        if (strcmp(s->chans[i].status, "enabled") != 0 ||
            !family_ok(s->chans[i].type, fam))
            continue;
        str_copy(tmp, sizeof(tmp), s->chans[i].models);
        for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            if (*t && strcmp(t, "*") != 0 && (!allow || !*allow || csv_has(allow, t)))
                json_object_set_new(seen, t, json_true());
        }
    }
    snap_put(s);
    names = calloc(json_object_size(seen) + 1, sizeof(*names));
    json_object_foreach(seen, k, v) names[n++] = k;
    qsort(names, n, sizeof(*names), cmp_str);
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(names[i]));
    free(names);
    json_decref(seen);
    return arr;
}

int chancache_price(struct tg_app *app, const char *model, struct price *p,
                    int *max_output, struct tg_err *err)
{
    struct snapshot *s = snap_get(app, err);
    const char *dflt = app->cfg->default_price_model;
    const struct price_row *hit = NULL;

    if (!s)
        return -1;
    for (int pass = 0; pass < 2 && !hit; pass++) {
        const char *want = pass == 0 ? model : dflt;
        if (!want || !*want)
            continue;
        for (int i = 0; i < s->nprices && !hit; i++)
            if (strcmp(s->prices[i].model, want) == 0)
                hit = &s->prices[i];
    }
    if (hit) {
        p->input = hit->input;
        p->output = hit->output;
        p->cache_read = hit->cache_read;
        p->cache_write = hit->cache_write;
        p->cache_write_1h = hit->cache_write_1h;
        *max_output = hit->max_output;
    }
    snap_put(s);
    return hit != NULL;
}

int64_t chancache_group_ppm(struct tg_app *app, const char *group)
{
    int64_t now = str_mono_us(), ppm = 1000000;
    struct tg_err err = {0};
    struct store_conn *c;
    int slot = -1;

    pthread_mutex_lock(&mu);
    for (int i = 0; i < NGROUPS; i++) {
        if (!strcmp(groups[i].name, group) &&
            now - groups[i].loaded_us < CHANCACHE_TTL_US) {
            ppm = groups[i].ppm;
            pthread_mutex_unlock(&mu);
            return ppm;
        }
        if (slot < 0 && (!strcmp(groups[i].name, group) || !groups[i].name[0]))
            slot = i;
    }
    pthread_mutex_unlock(&mu);
    c = store_get(app->pool, &err);
    if (c && store_group_ppm(c, group, &ppm, &err) != 0)
        ppm = 1000000;
    store_put(app->pool, c);
    if (slot >= 0) {
        pthread_mutex_lock(&mu);
        str_copy(groups[slot].name, sizeof(groups[slot].name), group);
        groups[slot].ppm = ppm;
        groups[slot].loaded_us = now;
        pthread_mutex_unlock(&mu);
    }
    return ppm;
}

/* Opened channel keys, so a call does not run AES-GCM (and its OpenSSL set-up) for the
 * same key every time. A slot is valid while the channel's sealed text is unchanged: a
 * new key is sealed with a fresh nonce, so a rotated key never matches an old slot. */
#define NKEYS 64

struct open_key {
    int64_t id;
    char sealed[sizeof(((struct channel_row *)0)->key_enc)];
    char *plain; /* NULL = empty slot */
};

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static struct open_key keys[NKEYS];

char *chancache_channel_key(const struct tg_config *cfg, const struct channel_row *ch)
{
    struct open_key *k = &keys[(uint64_t)ch->id % NKEYS];
    char *out = NULL, *plain;

    pthread_mutex_lock(&key_mu);
    if (k->plain && k->id == ch->id && !strcmp(k->sealed, ch->key_enc))
        out = strdup(k->plain);
    pthread_mutex_unlock(&key_mu);
    if (out)
        return out;
    plain = secretbox_open(cfg, "channels.key", ch->id, ch->key_enc);
    if (!plain)
        return NULL;
    out = strdup(plain);
    pthread_mutex_lock(&key_mu);
    crypto_free_secret(k->plain);
    k->id = ch->id;
    str_copy(k->sealed, sizeof(k->sealed), ch->key_enc);
    k->plain = plain;
    pthread_mutex_unlock(&key_mu);
    return out;
}
