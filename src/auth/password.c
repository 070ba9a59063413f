/* password: argon2id hashing (libargon2) with bounded concurrency. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "auth/crypto.h"
#include "auth/password.h"

#define PW_T_COST   2
#define PW_M_COST   19456 /* KiB */
#define PW_PARALLEL 1
#define PW_SALT_LEN 16
#define PW_HASH_LEN 32

/* Bounds on the parameters a stored hash may carry, so a bad row cannot make one check
 * allocate gigabytes or run for minutes. */
#define PW_M_MAX 262144 /* KiB */
#define PW_T_MAX 16
#define PW_P_MAX 8

/* A counting semaphore: at most `slots` hashes run at once. Each hash holds ~19 MiB. */
static pthread_mutex_t sem_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sem_cond = PTHREAD_COND_INITIALIZER;
static int sem_slots = 2;
static int sem_busy;

/* Hash of a random password, checked when the user is unknown; set once. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char *dummy_hash;

void password_set_concurrency(int n)
{
    pthread_mutex_lock(&sem_lock);
    sem_slots = n < 1 ? 1 : n;
    pthread_cond_broadcast(&sem_cond);
    pthread_mutex_unlock(&sem_lock);
}

static void sem_acquire(void)
{
    pthread_mutex_lock(&sem_lock);
    while (sem_busy >= sem_slots)
        pthread_cond_wait(&sem_cond, &sem_lock);
    sem_busy++;
    pthread_mutex_unlock(&sem_lock);
}

static void sem_release(void)
{
    pthread_mutex_lock(&sem_lock);
    sem_busy--;
    pthread_cond_signal(&sem_cond);
    pthread_mutex_unlock(&sem_lock);
}

char *password_hash(const char *pw)
{
    unsigned char salt[PW_SALT_LEN];
    size_t pwlen, enclen;
    char *enc;
    int rc;

    if (!pw)
        return NULL;
    pwlen = strnlen(pw, PASSWORD_MAX_LEN + 1);
    if (pwlen > PASSWORD_MAX_LEN || crypto_random(salt, sizeof(salt)) != 0)
        return NULL;
    enclen = argon2_encodedlen(PW_T_COST, PW_M_COST, PW_PARALLEL, PW_SALT_LEN,
                               PW_HASH_LEN, Argon2_id);
    enc = malloc(enclen);
    if (!enc)
        return NULL;
    sem_acquire();
    rc = argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_PARALLEL, pw, pwlen, salt,
                               sizeof(salt), PW_HASH_LEN, enc, enclen);
    sem_release();
    if (rc != ARGON2_OK) {
        free(enc);
        return NULL;
    }
    return enc;
}

/* Read a decimal of at most max at *p, ending at `stop`; move *p past it. 0 or -1. */
static int read_param(const char **p, char stop, unsigned long max, unsigned long *out)
{
    const char *s = *p;
    unsigned long v = 0;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return -1;
    }
    if (*s != stop)
        return -1;
    *p = s + 1;
    *out = v;
    return 0;
}

/* 1 if encoded is an argon2id v19 string whose costs are within bounds. */
static int params_ok(const char *encoded)
{
    static const char prefix[] = "$argon2id$v=19$m=";
    const char *p = encoded;
    unsigned long m, t, par;

    if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
        return 0;
    p += sizeof(prefix) - 1;
    if (read_param(&p, ',', PW_M_MAX, &m) != 0 || strncmp(p, "t=", 2) != 0)
        return 0;
    p += 2;
    if (read_param(&p, ',', PW_T_MAX, &t) != 0 || strncmp(p, "p=", 2) != 0)
        return 0;
    p += 2;
    return read_param(&p, '$', PW_P_MAX, &par) == 0 && t >= 1 && par >= 1;
}

static void make_dummy(void)
{
    unsigned char rnd[18];
    char pw[25];

    if (crypto_random(rnd, sizeof(rnd)) != 0)
        return;
    crypto_b64url_encode(rnd, sizeof(rnd), pw);
    dummy_hash = password_hash(pw);
    crypto_wipe(pw, sizeof(pw));
}

/* Run argon2id_verify under the semaphore. 1 match, 0 mismatch or malformed, -1 error. */
static int verify_encoded(const char *encoded, const char *pw, size_t pwlen)
{
    int rc;

    sem_acquire();
    rc = argon2id_verify(encoded, pw, pwlen);
    sem_release();
    if (rc == ARGON2_OK)
        return 1;
    if (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL)
        return -1;
    return 0;
}

int password_verify(const char *encoded, const char *pw)
{
    size_t pwlen;

    if (!pw)
        return 0;
    pwlen = strnlen(pw, PASSWORD_MAX_LEN + 1);
    if (pwlen > PASSWORD_MAX_LEN)
        return 0;
    if (!encoded) {
        /* unknown user: spend the same time, never match */
        pthread_once(&dummy_once, make_dummy);
        if (!dummy_hash)
            return -1;
        return verify_encoded(dummy_hash, pw, pwlen) < 0 ? -1 : 0;
    }
    if (!params_ok(encoded))
        return 0;
    return verify_encoded(encoded, pw, pwlen);
}
