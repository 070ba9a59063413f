/* Unit tests for relay/chancache: the per-process cache of opened channel keys. */
#include <string.h>

#include "auth/crypto.h"
#include "auth/secretbox.h"
#include "config/config.h"
#include "cu_main.h"
#include "relay/chancache.h"

static struct tg_config cfg;

static void setup_cfg(void)
{
    memset(&cfg, 0, sizeof(cfg));
    CU_ASSERT_EQUAL_FATAL(crypto_random(cfg.master_key, sizeof(cfg.master_key)), 0);
    memcpy(cfg.master_kid, "k1", 3);
}

/* A channel row for id with plain sealed under its own AAD. */
static struct channel_row sealed_row(int64_t id, const char *plain)
{
    struct channel_row ch;
    char *s = secretbox_seal(&cfg, "channels.key", id, plain);

    memset(&ch, 0, sizeof(ch));
    ch.id = id;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_TRUE_FATAL(strlen(s) < sizeof(ch.key_enc));
    memcpy(ch.key_enc, s, strlen(s) + 1);
    crypto_free_secret(s);
    return ch;
}

static void expect_key(const struct channel_row *ch, const char *want)
{
    char *k = chancache_channel_key(&cfg, ch);

    if (!want) {
        CU_ASSERT_PTR_NULL(k);
    } else {
        CU_ASSERT_PTR_NOT_NULL_FATAL(k);
        CU_ASSERT_STRING_EQUAL(k, want);
    }
    crypto_free_secret(k);
}

static void test_chankey_cached_and_rotated(void)
{
    struct channel_row a, b, c;

    setup_cfg();
    a = sealed_row(7, "sk-first");
    expect_key(&a, "sk-first");
    expect_key(&a, "sk-first"); /* from the cache */
    /* A new key for the same channel (fresh nonce): the cached one is not served. */
    b = sealed_row(7, "sk-second");
    expect_key(&b, "sk-second");
    expect_key(&a, "sk-first");
    /* Another channel in the same slot (71 = 7 mod 64) does not get channel 7's key. */
    c = sealed_row(71, "sk-other");
    expect_key(&c, "sk-other");
    expect_key(&b, "sk-second");
}

static void test_chankey_refuses_foreign_rows(void)
{
    struct channel_row a, moved;

    setup_cfg();
    a = sealed_row(9, "sk-nine");
    expect_key(&a, "sk-nine");
    /* Channel 9's ciphertext copied into row 10: bound to row 9 by its AAD. */
    moved = a;
    moved.id = 10;
    expect_key(&moved, NULL);
    /* Sealed under another master key (and never opened before): refused. */
    a = sealed_row(11, "sk-eleven");
    setup_cfg();
    expect_key(&a, NULL);
}

static const struct cu_test tests[] = {
    {"chankey_cached_and_rotated", test_chankey_cached_and_rotated},
    {"chankey_refuses_foreign_rows", test_chankey_refuses_foreign_rows},
    {NULL, NULL},
};

CU_MAIN("chancache", tests)
