/* Unit tests for config/: defaults, parsing, environment overrides, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "cu_main.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/tg-config-XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    if (write(fd, text, strlen(text)) < 0) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

static void test_config_defaults_valid(void)
{
    struct tg_config c;
    struct tg_err err = {0};

    CU_ASSERT_EQUAL(config_load(&c, NULL, &err), 0);
    CU_ASSERT_EQUAL(c.workers, 2);
    CU_ASSERT_EQUAL(c.db_port, 3306);
    CU_ASSERT_EQUAL(c.max_body_bytes, 33554432);
    CU_ASSERT_EQUAL(c.listen_mode, 0666);
}

static void test_config_file_and_comments(void)
{
    struct tg_config c;
    struct tg_err err = {0};
    char *p = write_tmp("# comment\n\nworkers = 3\n  threads=7  \n"
                        "listen = 127.0.0.1:9100\nallow_http_upstream = yes\n");

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(config_load(&c, p, &err), 0);
    CU_ASSERT_EQUAL(c.workers, 3);
    CU_ASSERT_EQUAL(c.threads, 7);
    CU_ASSERT_STRING_EQUAL(c.listen, "127.0.0.1:9100");
    CU_ASSERT_EQUAL(c.allow_http_upstream, 1);
    unlink(p);
}

static void test_config_unknown_key_names_line(void)
{
    struct tg_config c;
    struct tg_err err = {0};
    char *p = write_tmp("workers = 2\nwokers = 3\n");

    CU_ASSERT_EQUAL(config_load(&c, p, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "wokers"));
    unlink(p);
}

static void test_config_bad_values(void)
{
    struct tg_config c;
    struct tg_err err = {0};

    config_defaults(&c);
    CU_ASSERT_EQUAL(config_set(&c, "workers", "0", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "workers"));
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_set(&c, "threads", "12x", &err), -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_set(&c, "allow_http_upstream", "maybe", &err), -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_set(&c, "listen_mode", "0999", &err), -1);
}

static void test_config_env_overrides(void)
{
    struct tg_config c;
    struct tg_err err = {0};
    char *p = write_tmp("workers = 3\n");

    setenv("TOLLGATE_WORKERS", "5", 1);
    CU_ASSERT_EQUAL(config_load(&c, p, &err), 0);
    CU_ASSERT_EQUAL(c.workers, 5);
    setenv("TOLLGATE_WORKERS", "-1", 1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_load(&c, p, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "TOLLGATE_WORKERS"));
    unsetenv("TOLLGATE_WORKERS");
    unlink(p);
}

static void test_config_listen_validated(void)
{
    struct tg_config c;
    struct tg_err err = {0};
    char *p = write_tmp("listen = unix:relative.sock\n");

    CU_ASSERT_EQUAL(config_load(&c, p, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "listen"));
    unlink(p);
}

static void test_config_secrets_checked(void)
{
    struct tg_config c;
    struct tg_err err = {0};
    char *jwt = strdup(write_tmp("short"));
    char *mk = strdup(
        write_tmp("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"));

    config_defaults(&c);
    snprintf(c.jwt_secret_file, sizeof(c.jwt_secret_file), "%s", jwt);
    snprintf(c.master_key_file, sizeof(c.master_key_file), "%s", mk);
    CU_ASSERT_EQUAL(config_load_secrets(&c, &err), -1); /* too short */
    FILE *f = fopen(jwt, "w");
    fputs("0123456789abcdef0123456789abcdef0123", f);
    fclose(f);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_load_secrets(&c, &err), 0);
    CU_ASSERT_EQUAL(c.jwt_key_len, 36);
    CU_ASSERT_EQUAL(c.master_key[1], 0x11);
    chmod(jwt, 0644);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_load_secrets(&c, &err), -1); /* readable by others */
    unlink(jwt);
    unlink(mk);
    free(jwt);
    free(mk);
}

static void test_config_captcha_validated(void)
{
    struct tg_config c;
    struct tg_err err = {0};
    char *p = write_tmp("captcha_provider = turnstile\n");

    CU_ASSERT_EQUAL(config_load(&c, p, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "captcha_secret"));
    unlink(p);
    p = write_tmp("captcha_provider = recaptcha\n");
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_load(&c, p, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "captcha_provider"));
    unlink(p);
    p = write_tmp("captcha_provider = hcaptcha\ncaptcha_secret = s3cret\n");
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(config_load(&c, p, &err), 0);
    unlink(p);
}

static const struct cu_test tests[] = {
    {"config_captcha_validated", test_config_captcha_validated},
    {"config_defaults_valid", test_config_defaults_valid},
    {"config_file_and_comments", test_config_file_and_comments},
    {"config_unknown_key_names_line", test_config_unknown_key_names_line},
    {"config_bad_values", test_config_bad_values},
    {"config_env_overrides", test_config_env_overrides},
    {"config_listen_validated", test_config_listen_validated},
    {"config_secrets_checked", test_config_secrets_checked},
    {NULL, NULL},
};

CU_MAIN("config", tests)
