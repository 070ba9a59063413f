/* Unit tests for auth/password and auth/jwt: hashing, verification, token refusals. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <argon2.h>

#include "auth/crypto.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "cu_main.h"
#include "util/str.h"

#define NOW 1700000000

#define JKEY_LEN 32
static const unsigned char jkey[JKEY_LEN + 1] = "0123456789abcdef0123456789abcdef";

/* ---- password ---- */

/* Link-time seam: this definition of argon2id_verify takes precedence over libargon2's,
 * so the tests can see how many checks password.c runs, and how many at once. It forwards
 * to the generic argon2_verify, optionally holding each check longer so overlaps show. */
static pthread_mutex_t seam_lock = PTHREAD_MUTEX_INITIALIZER;
static int seam_now, seam_max, seam_calls, seam_sleep_us;

int argon2id_verify(const char *encoded, const void *pwd, const size_t pwdlen)
{
    struct timespec ts;
    int rc;

    pthread_mutex_lock(&seam_lock);
    seam_now++;
    seam_calls++;
    seam_max = seam_now > seam_max ? seam_now : seam_max;
    ts.tv_sec = 0;
    ts.tv_nsec = 1000L * seam_sleep_us;
    pthread_mutex_unlock(&seam_lock);
    if (ts.tv_nsec)
        nanosleep(&ts, NULL);
    rc = argon2_verify(encoded, pwd, pwdlen, Argon2_id);
    pthread_mutex_lock(&seam_lock);
    seam_now--;
    pthread_mutex_unlock(&seam_lock);
    return rc;
}

static void test_password_hash_and_verify(void)
{
    char *h1 = password_hash("correct horse battery staple");
    char *h2 = password_hash("correct horse battery staple");

    CU_ASSERT_PTR_NOT_NULL_FATAL(h1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h2);
    CU_ASSERT_EQUAL(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
    CU_ASSERT_STRING_NOT_EQUAL(h1, h2); /* fresh salt each time */
    CU_ASSERT_EQUAL(password_verify(h1, "correct horse battery staple"), 1);
    CU_ASSERT_EQUAL(password_verify(h2, "correct horse battery staple"), 1);
    CU_ASSERT_EQUAL(password_verify(h1, "correct horse battery stapl"), 0);
    CU_ASSERT_EQUAL(password_verify(h1, ""), 0);
    CU_ASSERT_EQUAL(password_verify(h1, NULL), 0);
    free(h1);
    free(h2);
    CU_ASSERT_PTR_NULL(password_hash(NULL));
}

static void test_password_malformed_encoded(void)
{
    char *h = password_hash("pw");
    char *copy;
    int64_t t0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(password_verify("", "pw"), 0);
    CU_ASSERT_EQUAL(password_verify("garbage", "pw"), 0);
    CU_ASSERT_EQUAL(password_verify("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$", "pw"), 0);
    /* the same hash under other names or costs */
    copy = strdup(h);
    memcpy(copy, "$argon2i$", 9);
    CU_ASSERT_EQUAL(password_verify(copy, "pw"), 0);
    free(copy);
    copy = strdup(h);
    copy[strlen(copy) - 2] = copy[strlen(copy) - 2] == 'A' ? 'B' : 'A';
    CU_ASSERT_EQUAL(password_verify(copy, "pw"), 0);
    free(copy);
    /* a stored 4 GiB cost is refused before any work (argon2 would spend seconds) */
    t0 = str_mono_us();
    seam_calls = 0;
    CU_ASSERT_EQUAL(
        password_verify("$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA"
                        "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
                        "pw"),
        0);
    CU_ASSERT_TRUE(str_mono_us() - t0 < 500000);
    CU_ASSERT_EQUAL(seam_calls, 0);
    CU_ASSERT_EQUAL(
        password_verify("$argon2id$v=19$m=19456,t=99999999999,p=1$c2FsdA$aGFzaA", "pw"),
        0);
    CU_ASSERT_EQUAL(password_verify(h, "pw"), 1);
    free(h);
}

static void test_password_too_long(void)
{
    char *pw = malloc(PASSWORD_MAX_LEN + 2), *h;

    memset(pw, 'p', PASSWORD_MAX_LEN + 1);
    pw[PASSWORD_MAX_LEN + 1] = '\0';
    CU_ASSERT_PTR_NULL(password_hash(pw));
    pw[PASSWORD_MAX_LEN] = '\0'; /* exactly the cap is fine */
    h = password_hash(pw);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(password_verify(h, pw), 1);
    /* one more byte: refused without hashing, even though the first 1,024 match */
    pw[PASSWORD_MAX_LEN] = 'p';
    seam_calls = 0;
    CU_ASSERT_EQUAL(password_verify(h, pw), 0);
    CU_ASSERT_EQUAL(password_verify(NULL, pw), 0);
    CU_ASSERT_EQUAL(seam_calls, 0);
    free(h);
    free(pw);
}

/* Seconds one call of password_verify(enc, pw) takes. */
static double verify_seconds(const char *enc, const char *pw, int *rc)
{
    int64_t t0 = str_mono_us();

    *rc = password_verify(enc, pw);
    return (double)(str_mono_us() - t0) / 1e6;
}

static void test_password_unknown_user_costs_the_same(void)
{
    char *h = password_hash("secret");
    double known = 1e9, unknown;
    int rc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(password_verify(NULL, "secret"), 0); /* builds the dummy */
    for (int i = 0; i < 3; i++) {
        double t = verify_seconds(h, "guess", &rc);

        known = t < known ? t : known;
    }
    seam_calls = 0;
    unknown = verify_seconds(NULL, "guess", &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(seam_calls, 1); /* a real argon2id check ran */
    /* a shortcut would return in microseconds; a real check takes milliseconds */
    CU_ASSERT_TRUE(unknown > known / 4);
    CU_ASSERT_EQUAL(password_verify(NULL, ""), 0);
    free(h);
}

struct verify_job {
    const char *enc;
    int rc;
};

static void *verify_thread(void *arg)
{
    struct verify_job *job = arg;

    job->rc = password_verify(job->enc, "pw");
    return NULL;
}

/* Run password_verify in n threads at once; returns the most checks seen together. */
static int max_parallel_checks(const char *enc, int n)
{
    struct verify_job jobs[6];
    pthread_t th[6];

    seam_max = 0;
    seam_sleep_us = 30000;
    for (int i = 0; i < n; i++) {
        jobs[i].enc = enc;
        jobs[i].rc = -2;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, verify_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(jobs[i].rc, 1);
    }
    seam_sleep_us = 0;
    return seam_max;
}

static void test_password_concurrency_bound(void)
{
    char *h = password_hash("pw");

    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(max_parallel_checks(h, 6), 2); /* the default */
    password_set_concurrency(1);
    CU_ASSERT_EQUAL(max_parallel_checks(h, 6), 1);
    password_set_concurrency(3);
    CU_ASSERT_EQUAL(max_parallel_checks(h, 6), 3);
    password_set_concurrency(0); /* clamped to 1 */
    CU_ASSERT_EQUAL(max_parallel_checks(h, 4), 1);
    password_set_concurrency(2);
    free(h);
}

/* ---- jwt ---- */

static struct jwt_claims sample_claims(void)
{
    struct jwt_claims c = {.sub = 42, .sid = 7, .iat = NOW, .nbf = NOW, .exp = NOW + 900};

    str_copy(c.jti, sizeof(c.jti), "9f86d081884c7d659a2feaa0c55ad015");
    str_copy(c.typ, sizeof(c.typ), "at+jwt");
    str_copy(c.role, sizeof(c.role), "user");
    return c;
}

/* jwt_verify with the usual issuer, audience, type and key at time now. */
static int verify_at(const char *tok, time_t now, struct jwt_claims *out,
                     struct tg_err *err)
{
    return jwt_verify(tok, "tollgate", "portal", "at+jwt", jkey, JKEY_LEN, now, out, err);
}

/* A token from raw header and payload JSON, with a correct HS256 MAC under key. */
static char *craft(const char *header, const char *payload, const unsigned char *key)
{
    size_t hl = strlen(header), pl = strlen(payload), n;
    char *tok = malloc(4 * (hl + pl) / 3 + 64);
    unsigned char mac[32];

    n = crypto_b64url_encode(header, hl, tok);
    tok[n++] = '.';
    n += crypto_b64url_encode(payload, pl, tok + n);
    crypto_hmac_sha256(key, 32, tok, n, mac);
    tok[n++] = '.';
    crypto_b64url_encode(mac, sizeof(mac), tok + n);
    return tok;
}

static const char good_payload[] = "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":"
                                   "\"42\",\"jti\":\"ab12\",\"typ\":\"at+jwt\","
                                   "\"role\":\"admin\",\"sid\":3,\"iat\":1700000000,"
                                   "\"nbf\":1700000000,\"exp\":1700000900}";
static const char std_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static void test_jwt_roundtrip(void)
{
    struct jwt_claims in = sample_claims(), out;
    struct tg_err err = {0};
    char *tok = jwt_sign(&in, "tollgate", "portal", jkey, JKEY_LEN);

    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_EQUAL(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
    CU_ASSERT_PTR_NULL(strpbrk(tok, "=+/"));
    CU_ASSERT_EQUAL_FATAL(verify_at(tok, NOW + 10, &out, &err), 0);
    CU_ASSERT_EQUAL(err.code, TG_OK);
    CU_ASSERT_EQUAL(out.sub, 42);
    CU_ASSERT_EQUAL(out.sid, 7);
    CU_ASSERT_STRING_EQUAL(out.jti, in.jti);
    CU_ASSERT_STRING_EQUAL(out.typ, "at+jwt");
    CU_ASSERT_STRING_EQUAL(out.role, "user");
    CU_ASSERT_EQUAL(out.iat, NOW);
    CU_ASSERT_EQUAL(out.nbf, NOW);
    CU_ASSERT_EQUAL(out.exp, NOW + 900);
    free(tok);
}

static void test_jwt_time_window(void)
{
    struct jwt_claims c = sample_claims(), out;
    struct tg_err err = {0};
    char *tok = jwt_sign(&c, "tollgate", "portal", jkey, JKEY_LEN);

    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_EQUAL(verify_at(tok, NOW + 900 + 29, &out, &err), 0); /* leeway */
    CU_ASSERT_EQUAL(verify_at(tok, NOW + 900 + 30, &out, &err), -1);
    CU_ASSERT_EQUAL(err.code, TG_EAUTH);
    CU_ASSERT_STRING_EQUAL(err.msg, "token expired");
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(verify_at(tok, NOW - 30, &out, &err), 0); /* nbf leeway */
    CU_ASSERT_EQUAL(verify_at(tok, NOW - 31, &out, &err), -1);
    CU_ASSERT_EQUAL(err.code, TG_EAUTH);
    free(tok);
}

static void test_jwt_wrong_claims(void)
{
    struct jwt_claims c = sample_claims(), out;
    struct tg_err err = {0};
    char *tok = jwt_sign(&c, "tollgate", "portal", jkey, JKEY_LEN);
    unsigned char other[32];

    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_EQUAL(
        jwt_verify(tok, "tollgate", "admin", "at+jwt", jkey, 32, NOW, &out, &err), -1);
    CU_ASSERT_EQUAL(err.code, TG_EAUTH);
    CU_ASSERT_STRING_EQUAL(err.msg, "invalid token");
    CU_ASSERT_EQUAL(
        jwt_verify(tok, "other", "portal", "at+jwt", jkey, 32, NOW, &out, &err), -1);
    CU_ASSERT_EQUAL(
        jwt_verify(tok, "tollgate", "portal", "refresh", jkey, 32, NOW, &out, &err), -1);
    memcpy(other, jkey, 32);
    other[31] ^= 1;
    CU_ASSERT_EQUAL(
        jwt_verify(tok, "tollgate", "portal", "at+jwt", other, 32, NOW, &out, &err), -1);
    /* keys under 256 bits are refused both ways */
    CU_ASSERT_EQUAL(
        jwt_verify(tok, "tollgate", "portal", "at+jwt", jkey, 31, NOW, &out, &err), -1);
    CU_ASSERT_PTR_NULL(jwt_sign(&c, "tollgate", "portal", jkey, 31));
    CU_ASSERT_EQUAL(verify_at(NULL, NOW, &out, &err), -1);
    free(tok);
}

static void test_jwt_tampering(void)
{
    struct jwt_claims c = sample_claims(), out;
    struct tg_err err = {0};
    char *tok = jwt_sign(&c, "tollgate", "portal", jkey, JKEY_LEN), *forged;
    char *dot1, *dot2, payload[512], enc[700];
    long n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    /* every single-character change is caught */
    for (size_t i = 0; tok[i]; i++) {
        char saved = tok[i];

        tok[i] = saved == 'A' ? 'B' : 'A';
        CU_ASSERT_EQUAL(verify_at(tok, NOW, &out, &err), -1);
        tok[i] = saved;
    }
    CU_ASSERT_EQUAL(verify_at(tok, NOW, &out, &err), 0); /* restored: valid again */
    /* a re-encoded payload claiming another user, old signature kept */
    dot1 = strchr(tok, '.');
    dot2 = strchr(dot1 + 1, '.');
    n = crypto_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1),
                             (unsigned char *)payload);
    CU_ASSERT_FATAL(n > 0);
    payload[n] = '\0';
    CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(payload, "\"sub\":\"42\""));
    strstr(payload, "\"sub\":\"42\"")[8] = '1';
    crypto_b64url_encode(payload, (size_t)n, enc);
    forged = malloc(strlen(tok) + 8);
    snprintf(forged, strlen(tok) + 8, "%.*s.%s%s", (int)(dot1 - tok), tok, enc, dot2);
    CU_ASSERT_NOT_EQUAL(strcmp(forged, tok), 0);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(verify_at(forged, NOW, &out, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "invalid token");
    free(forged);
    free(tok);
}

static void test_jwt_header_pinned(void)
{
    static const char *const headers[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
        "{\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"alg\":\"HS256\"}",
        "{\"alg\":[\"HS256\"],\"typ\":\"JWT\"}",
        "[\"HS256\"]",
        "",
    };
    struct jwt_claims out;
    struct tg_err err;
    char *tok;

    /* the crafting helper makes good tokens: key order in the header does not matter */
    tok = craft("{\"typ\":\"JWT\", \"alg\":\"HS256\"}", good_payload, jkey);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(verify_at(tok, NOW, &out, &err), 0);
    CU_ASSERT_STRING_EQUAL(out.role, "admin");
    free(tok);
    /* each of these carries a MAC that is right for its bytes: only the header is wrong
     */
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        memset(&err, 0, sizeof(err));
        tok = craft(headers[i], good_payload, jkey);
        CU_ASSERT_EQUAL(verify_at(tok, NOW, &out, &err), -1);
        CU_ASSERT_EQUAL(err.code, TG_EAUTH);
        free(tok);
    }
}

static void test_jwt_alg_none_unsigned(void)
{
    struct jwt_claims out;
    struct tg_err err = {0};
    char tok[700], *p = tok;

    /* the classic: alg none and an empty signature */
    p += crypto_b64url_encode("{\"alg\":\"none\",\"typ\":\"JWT\"}", 26, p);
    *p++ = '.';
    p += crypto_b64url_encode(good_payload, strlen(good_payload), p);
    *p++ = '.';
    *p = '\0';
    CU_ASSERT_EQUAL(verify_at(tok, NOW, &out, &err), -1);
    CU_ASSERT_EQUAL(err.code, TG_EAUTH);
    p[-1] = '\0'; /* and with no second dot at all */
    CU_ASSERT_EQUAL(verify_at(tok, NOW, &out, &err), -1);
}

static void test_jwt_bad_payloads(void)
{
    static const char *const payloads[] = {
        /* sub not a string, padded, negative, zero, not a number */
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":42,\"jti\":\"a\",\"typ\":\"at+"
        "jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "1700000900}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"042\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "1700000900}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"-1\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "1700000900}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"0\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "1700000900}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"4x\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "1700000900}",
        /* exp missing, exp a string, a real number */
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"1\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"1\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "\"9999999999\"}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"1\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1."
        "8e9}",
        /* duplicate sub, audience as an array, jti too long for the struct, negative sid
         */
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"1\",\"sub\":\"2\",\"jti\":"
        "\"a\","
        "\"typ\":\"at+jwt\",\"role\":\"user\",\"sid\":0,\"iat\":1,\"nbf\":1,\"exp\":"
        "1700000900}",
        "{\"iss\":\"tollgate\",\"aud\":[\"portal\"],\"sub\":\"1\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "1700000900}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"1\",\"typ\":\"at+jwt\","
        "\"role\":\"user\","
        "\"jti\":\"0123456789012345678901234567890123456789\","
        "\"sid\":0,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700000900}",
        "{\"iss\":\"tollgate\",\"aud\":\"portal\",\"sub\":\"1\",\"jti\":\"a\",\"typ\":"
        "\"at+jwt\","
        "\"role\":\"user\",\"sid\":-1,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
        "1700000900}",
        "[1,2,3]",
        "{\"iss\":\"tollgate\"",
    };
    struct jwt_claims out;
    struct tg_err err;

    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        char *tok = craft(std_header, payloads[i], jkey);

        memset(&err, 0, sizeof(err));
        CU_ASSERT_EQUAL(verify_at(tok, NOW, &out, &err), -1);
        CU_ASSERT_EQUAL(err.code, TG_EAUTH);
        free(tok);
    }
}

static void test_jwt_sign_refuses_bad_claims(void)
{
    struct jwt_claims c = sample_claims();

    c.sub = 0;
    CU_ASSERT_PTR_NULL(jwt_sign(&c, "tollgate", "portal", jkey, JKEY_LEN));
    c = sample_claims();
    memset(c.role, 'r', sizeof(c.role)); /* not terminated */
    CU_ASSERT_PTR_NULL(jwt_sign(&c, "tollgate", "portal", jkey, JKEY_LEN));
    c = sample_claims();
    CU_ASSERT_PTR_NULL(jwt_sign(&c, "bad\xff", "portal", jkey, JKEY_LEN));
    CU_ASSERT_PTR_NULL(jwt_sign(NULL, "tollgate", "portal", jkey, JKEY_LEN));
}

static const struct cu_test tests[] = {
    {"password_hash_and_verify", test_password_hash_and_verify},
    {"password_malformed_encoded", test_password_malformed_encoded},
    {"password_too_long", test_password_too_long},
    {"password_unknown_user_costs_the_same", test_password_unknown_user_costs_the_same},
    {"password_concurrency_bound", test_password_concurrency_bound},
    {"jwt_roundtrip", test_jwt_roundtrip},
    {"jwt_time_window", test_jwt_time_window},
    {"jwt_wrong_claims", test_jwt_wrong_claims},
    {"jwt_tampering", test_jwt_tampering},
    {"jwt_header_pinned", test_jwt_header_pinned},
    {"jwt_alg_none_unsigned", test_jwt_alg_none_unsigned},
    {"jwt_bad_payloads", test_jwt_bad_payloads},
    {"jwt_sign_refuses_bad_claims", test_jwt_sign_refuses_bad_claims},
    {NULL, NULL},
};

CU_MAIN("auth", tests)
