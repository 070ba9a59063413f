/* Unit tests for the portal's pure parts: input rules, the proof-of-work challenge, the
 * plan table and USD text. */
#include <stdio.h>
#include <string.h>

#include "api/plans.h"
#include "api/portal_check.h"
#include "api/portal_util.h"
#include "api/pow.h"
#include "auth/crypto.h"
#include "cu_main.h"
#include "relay/captcha.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static void test_email_accepts_and_lowercases(void)
{
    struct tg_err err = {0};
    char out[255];

    CU_ASSERT_EQUAL(portal_check_email("Alice@Example.COM", out, sizeof(out), &err), 0);
    CU_ASSERT_STRING_EQUAL(out, "alice@example.com");
    CU_ASSERT_EQUAL(
        portal_check_email("o'brien+x--%_y@mail.example.org", out, sizeof(out), &err), 0);
    CU_ASSERT_STRING_EQUAL(out, "o'brien+x--%_y@mail.example.org");
}

static void test_email_refuses_junk(void)
{
    static const char *const bad[] = {
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@@b.com",
        "a b@example.com",
        "a@exa mple.com",
        ".a@example.com",
        "a.@example.com",
        "a..b@example.com",
        "a@-example.com",
        "a@example-.com",
        "a@example..com",
        "a\r\nBcc: x@y.com@e.com",
        "a\"b@example.com",
        "a@example.com\n",
        NULL,
    };
    char out[255];

    for (int i = 0; bad[i]; i++) {
        struct tg_err err = {0};
        CU_ASSERT_EQUAL(portal_check_email(bad[i], out, sizeof(out), &err), -1);
        CU_ASSERT_PTR_NOT_NULL(err.field);
        if (err.field)
            CU_ASSERT_STRING_EQUAL(err.field, "email");
    }
}

static void test_username_rules(void)
{
    static const char *const good[] = {"bob", "Bob_99", "a.b-c", "x12", NULL};
    static const char *const bad[] = {"ab",
                                      "_bob",
                                      "bob smith",
                                      "12345",
                                      "admin",
                                      "ROOT",
                                      "deleted-7",
                                      "b'ob",
                                      "bob;--",
                                      "a@b.com",
                                      "abcdefghijklmnopqrstuvwxyz0123456",
                                      NULL};

    for (int i = 0; good[i]; i++) {
        struct tg_err err = {0};
        CU_ASSERT_EQUAL(portal_check_username(good[i], &err), 0);
    }
    for (int i = 0; bad[i]; i++) {
        struct tg_err err = {0};
        CU_ASSERT_EQUAL(portal_check_username(bad[i], &err), -1);
        CU_ASSERT_STRING_EQUAL(err.field, "username");
    }
}

static void test_password_rules(void)
{
    struct tg_err err = {0};

    CU_ASSERT_EQUAL(portal_check_password("correct horse battery", "bob", "b@x.io", &err),
                    0);
    CU_ASSERT_EQUAL(portal_check_password("short1!", "bob", NULL, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.field, "password");
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(portal_check_password("PassWord123", "bob", NULL, &err), -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(portal_check_password("aaaaaaaaaaab", "bob", NULL, &err), -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(portal_check_password("xxAliceSmith!9", "alicesmith", NULL, &err),
                    -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(
        portal_check_password("my-carol.k-secret", "zed", "Carol.K@x.io", &err), -1);
}

static void test_display_name_rules(void)
{
    struct tg_err err = {0};
    char longname[300];

    CU_ASSERT_EQUAL(portal_check_display_name("Robert'); DROP TABLE users;--", &err), 0);
    CU_ASSERT_EQUAL(portal_check_display_name("Zoë 山田", &err), 0);
    CU_ASSERT_EQUAL(portal_check_display_name("tab\there", &err), -1);
    memset(longname, 'x', 129);
    longname[129] = '\0';
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(portal_check_display_name(longname, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.field, "display_name");
}

/* Find a nonce for challenge by brute force. */
static int solve(const char *challenge, int bits, char nonce[32])
{
    char buf[POW_MAX_LEN + 32];
    unsigned char h[32];

    for (long i = 0; i < 50000000; i++) {
        snprintf(nonce, 32, "%ld", i);
        snprintf(buf, sizeof(buf), "%s%s", challenge, nonce);
        crypto_sha256(buf, strlen(buf), h);
        if (pow_zero_bits(h) >= bits)
            return 0;
    }
    return -1;
}

static void test_pow_round_trip(void)
{
    char ch[POW_MAX_LEN], nonce[32], digest[65];
    struct tg_err err = {0};

    CU_ASSERT_EQUAL_FATAL(pow_challenge(key, sizeof(key), 10, 1000, ch), 0);
    CU_ASSERT_EQUAL(strncmp(ch, "v1.1300.10.", 11), 0);
    CU_ASSERT_EQUAL_FATAL(solve(ch, 10, nonce), 0);
    CU_ASSERT_EQUAL(pow_verify(key, sizeof(key), ch, nonce, 10, 1100, digest, &err), 0);
    CU_ASSERT_EQUAL(strlen(digest), 64);
}

static void test_pow_refusals(void)
{
    char ch[POW_MAX_LEN], nonce[32], digest[65], forged[POW_MAX_LEN];
    struct tg_err err = {0};

    CU_ASSERT_EQUAL_FATAL(pow_challenge(key, sizeof(key), 8, 1000, ch), 0);
    CU_ASSERT_EQUAL_FATAL(solve(ch, 8, nonce), 0);
    /* Expired. */
    CU_ASSERT_EQUAL(pow_verify(key, sizeof(key), ch, nonce, 8, 1301, digest, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.field, "challenge");
    /* Easier than the server now wants. */
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(pow_verify(key, sizeof(key), ch, nonce, 12, 1000, digest, &err), -1);
    /* Another key. */
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(pow_verify((const unsigned char *)"another key of thirty-two bytes!",
                               32, ch, nonce, 8, 1000, digest, &err),
                    -1);
    /* A forged difficulty of 0 with the old MAC. */
    snprintf(forged, sizeof(forged), "v1.1300.0.%s", ch + strlen("v1.1300.8."));
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(pow_verify(key, sizeof(key), forged, "x", 0, 1000, digest, &err), -1);
    /* Bad nonces. */
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(pow_verify(key, sizeof(key), ch, "", 8, 1000, digest, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.field, "nonce");
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(pow_verify(key, sizeof(key), ch, "a b", 8, 1000, digest, &err), -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(pow_verify(key, sizeof(key), "garbage", nonce, 0, 1000, digest, &err),
                    -1);
}

static void test_pow_zero_bits(void)
{
    unsigned char h[32] = {0};

    CU_ASSERT_EQUAL(pow_zero_bits(h), 256);
    h[0] = 0x80;
    CU_ASSERT_EQUAL(pow_zero_bits(h), 0);
    h[0] = 0x00;
    h[1] = 0x10;
    CU_ASSERT_EQUAL(pow_zero_bits(h), 11);
}

static void test_plans_table(void)
{
    const struct plan *f = plan_get("free"), *b = plan_get("basic"), *p = plan_get("pro");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_NULL(plan_get("gold"));
    CU_ASSERT_PTR_NULL(plan_get(NULL));
    CU_ASSERT_PTR_EQUAL(plan_of("gold"), f);
    CU_ASSERT_TRUE(f->rpm < b->rpm && b->rpm < p->rpm);
    CU_ASSERT_TRUE(f->tpm < b->tpm && b->tpm < p->tpm);
    CU_ASSERT_TRUE(f->max_keys < b->max_keys && b->max_keys < p->max_keys);
}

static void test_usd_text_is_exact(void)
{
    char s[32];

    portal_usd(500000, s);
    CU_ASSERT_STRING_EQUAL(s, "1.000000");
    portal_usd(1, s);
    CU_ASSERT_STRING_EQUAL(s, "0.000002");
    portal_usd(-250000, s);
    CU_ASSERT_STRING_EQUAL(s, "-0.500000");
    portal_micro_usd(4294970000LL, s);
    CU_ASSERT_STRING_EQUAL(s, "4294.970000");
}

static void test_captcha_verdict(void)
{
    static const char ok[] = "{\"success\": true, \"hostname\": \"example.com\"}";
    static const char no[] = "{\"success\": false, \"error-codes\": [\"invalid-input\"]}";
    static const char str[] = "{\"success\": \"true\"}";
    enum captcha_provider p;

    CU_ASSERT_EQUAL(captcha_verdict(ok, strlen(ok)), 1);
    CU_ASSERT_EQUAL(captcha_verdict(no, strlen(no)), 0);
    CU_ASSERT_EQUAL(captcha_verdict(str, strlen(str)), 0);
    CU_ASSERT_EQUAL(captcha_verdict("junk", 4), 0);
    CU_ASSERT_EQUAL(captcha_verdict("", 0), 0);
    CU_ASSERT_EQUAL(captcha_provider_parse("turnstile", &p), 0);
    CU_ASSERT_EQUAL(p, CAPTCHA_TURNSTILE);
    CU_ASSERT_EQUAL(captcha_provider_parse("hcaptcha", &p), 0);
    CU_ASSERT_EQUAL(p, CAPTCHA_HCAPTCHA);
    CU_ASSERT_EQUAL(captcha_provider_parse("", &p), 0);
    CU_ASSERT_EQUAL(p, CAPTCHA_NONE);
    CU_ASSERT_EQUAL(captcha_provider_parse("recaptcha", &p), -1);
}

static void test_captcha_refuses_empty_token_offline(void)
{
    struct tg_err err = {0};

    CU_ASSERT_EQUAL(captcha_verify(CAPTCHA_TURNSTILE, "secret", "", "127.0.0.1", &err),
                    -1);
    CU_ASSERT_STRING_EQUAL(err.field, "captcha_token");
}

static const struct cu_test tests[] = {
    {"test_email_accepts_and_lowercases", test_email_accepts_and_lowercases},
    {"test_email_refuses_junk", test_email_refuses_junk},
    {"test_username_rules", test_username_rules},
    {"test_password_rules", test_password_rules},
    {"test_display_name_rules", test_display_name_rules},
    {"test_pow_round_trip", test_pow_round_trip},
    {"test_pow_refusals", test_pow_refusals},
    {"test_pow_zero_bits", test_pow_zero_bits},
    {"test_plans_table", test_plans_table},
    {"test_usd_text_is_exact", test_usd_text_is_exact},
    {"test_captcha_verdict", test_captcha_verdict},
    {"test_captcha_refuses_empty_token_offline",
     test_captcha_refuses_empty_token_offline},
    {NULL, NULL},
};

CU_MAIN("portal", tests)
