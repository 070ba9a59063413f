/* config: conf/tollgate.conf (key = value), environment overrides, validation. */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct tg_config {
    /* server */
    char listen[256]; /* "unix:/path" or "127.0.0.1:9000" */
    int listen_mode;  /* unix socket permissions, octal in the file (0666) */
    int workers;
    int threads;
    int drain_timeout;      /* seconds */
    char journal_file[256]; /* unwritten charges and usage rows; "" = shared memory */
    int usage_queue;        /* usage rows queued per worker (<= JOURNAL_USAGE_CAP) */
    char log_level[16];
    int64_t max_body_bytes;
    /* database */
    char db_host[128];
    int db_port;
    char db_socket[256];
    char db_user[64];
    char db_password[128];
    char db_name[64];
    int db_pool_size; /* connections per worker process */
    int db_timeout;   /* seconds, connect/read/write */
    char migrations_dir[256];
    /* secrets (files, 0600) */
    char jwt_secret_file[256];
    char master_key_file[256];
    char jwt_issuer[64];
    char jwt_audience[64];
    int access_token_ttl;  /* seconds */
    int refresh_token_ttl; /* seconds */
    /* relay */
    int connect_timeout;    /* seconds */
    int first_byte_timeout; /* seconds */
    int idle_timeout;       /* seconds between stream events */
    int total_timeout;      /* seconds for a whole call */
    int ping_interval;      /* seconds of silence before a keep-alive comment */
    int max_failover;       /* extra channels tried before the first byte */
    int breaker_failures;   /* failures in a row that open a channel's breaker */
    int breaker_cooldown;   /* seconds before a half-open probe */
    int allow_http_upstream;
    char upstream_allow[512]; /* comma list of host:port or CIDR:port admitted in private
                                 space */
    int key_cache_ms;         /* bound on staleness of cached keys */
    int64_t max_output_default;   /* reservation ceiling when a request names none */
    char default_price_model[64]; /* model whose price applies to unpriced models; "" =
                                     refuse */
    int64_t max_stream_bytes;
    /* users and money */
    int64_t new_user_quota;
    int64_t topup_max_usd; /* micro-USD */
    char mail_dir[256];    /* deliver mail as files here when no SMTP is set */
    char smtp_url[256];
    char smtp_from[128];
    char public_url[256];
    int registration;   /* 1 open, 0 closed */
    int pow_difficulty; /* leading zero bits of the registration challenge; 0 = off */
    char captcha_provider[16]; /* off | turnstile | hcaptcha */
    char captcha_secret[256];
    char captcha_site_key[256];

    /* loaded from the files above */
    unsigned char jwt_key[64];
    size_t jwt_key_len;
    unsigned char master_key[32];
    char master_kid[16];
    char path[256]; /* file the config came from */
};

/* Fill c with defaults. */
void config_defaults(struct tg_config *c);
/* Read path (key = value, # comments), then TOLLGATE_<KEY> environment overrides, then
 * validate. On error err->msg names the file, line and key. Returns 0 or -1. */
int config_load(struct tg_config *c, const char *path, struct tg_err *err);
/* Parse one "key = value" assignment into c. Returns 0 or -1 (err says why). */
int config_set(struct tg_config *c, const char *key, const char *value,
               struct tg_err *err);
/* Read the secret files named by the config (jwt_secret_file, master_key_file).
 * Refuses empty, short (< 32 bytes) or group/world-readable files. Returns 0 or -1. */
int config_load_secrets(struct tg_config *c, struct tg_err *err);
/* Print every key with its current value (secrets shown as "(set)"), for --help/status.
 */
void config_describe(const struct tg_config *c, int (*print)(const char *line, void *ctx),
                     void *ctx);

#endif
