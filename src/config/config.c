/* config: the key = value file, environment overrides and validation. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/str.h"

enum opt_type { OPT_STR, OPT_INT, OPT_I64, OPT_BOOL, OPT_OCTAL };

struct opt {
    const char *name;
    enum opt_type type;
    size_t off;  /* offset in struct tg_config */
    size_t size; /* for OPT_STR: capacity */
    int64_t min, max;
    const char *def;
    int secret; /* never printed */
    const char *help;
};

#define F(field) offsetof(struct tg_config, field), sizeof(((struct tg_config *)0)->field)

/* clang-format off */
static const struct opt opts[] = {
    {"listen", OPT_STR, F(listen), 0, 0, "unix:/run/tollgate/tollgate.sock", 0,
     "FastCGI socket: unix:/path or 127.0.0.1:PORT"},
    {"listen_mode", OPT_OCTAL, F(listen_mode), 0, 0777, "0666", 0, "unix socket mode"},
    {"workers", OPT_INT, F(workers), 1, 64, "2", 0, "worker processes"},
    {"threads", OPT_INT, F(threads), 1, 4096, "64", 0, "threads per worker"},
    {"drain_timeout", OPT_INT, F(drain_timeout), 0, 3600, "30", 0,
     "seconds in-flight requests get on SIGTERM"},
    {"journal_file", OPT_STR, F(journal_file), 0, 0, "", 0,
     "file (on tmpfs) of unwritten charges and usage rows; empty: memory only"},
    {"usage_queue", OPT_INT, F(usage_queue), 16, 4096, "4096", 0,
     "usage rows a worker queues for its writer before requests write their own"},
    {"log_level", OPT_STR, F(log_level), 0, 0, "info", 0, "debug, info, warn or error"},
    {"max_body_bytes", OPT_I64, F(max_body_bytes), 1024, 256 << 20, "33554432", 0,
     "largest request body"},
    {"db_host", OPT_STR, F(db_host), 0, 0, "127.0.0.1", 0, "MariaDB host"},
    {"db_port", OPT_INT, F(db_port), 1, 65535, "3306", 0, "MariaDB port"},
    {"db_socket", OPT_STR, F(db_socket), 0, 0, "", 0, "MariaDB unix socket (overrides host)"},
    {"db_user", OPT_STR, F(db_user), 0, 0, "tollgate", 0, "MariaDB user"},
    {"db_password", OPT_STR, F(db_password), 0, 0, "", 1, "MariaDB password"},
    {"db_name", OPT_STR, F(db_name), 0, 0, "tollgate", 0, "database name"},
    {"db_pool_size", OPT_INT, F(db_pool_size), 1, 1024, "8", 0,
     "connections per worker process"},
    {"db_timeout", OPT_INT, F(db_timeout), 1, 600, "5", 0,
     "seconds for database connect, read and write"},
    {"migrations_dir", OPT_STR, F(migrations_dir), 0, 0, TG_DATADIR "/db", 0,
     "folder of NNNN_name.sql migrations"},
    {"jwt_secret_file", OPT_STR, F(jwt_secret_file), 0, 0, "/etc/tollgate/jwt.key", 0,
     "file holding >= 32 random bytes for HS256 session tokens"},
    {"master_key_file", OPT_STR, F(master_key_file), 0, 0, "/etc/tollgate/master.key", 0,
     "file holding 64 hex characters (AES-256 key for upstream secrets)"},
    {"master_key_id", OPT_STR, F(master_kid), 0, 0, "k1", 0, "id stored with ciphertext"},
    {"jwt_issuer", OPT_STR, F(jwt_issuer), 0, 0, "tollgate", 0, "JWT iss"},
    {"jwt_audience", OPT_STR, F(jwt_audience), 0, 0, "tollgate-portal", 0, "JWT aud"},
    {"access_token_ttl", OPT_INT, F(access_token_ttl), 60, 3600, "900", 0,
     "seconds an access token lives"},
    {"refresh_token_ttl", OPT_INT, F(refresh_token_ttl), 300, 31536000, "2592000", 0,
     "seconds a refresh token lives"},
    {"connect_timeout", OPT_INT, F(connect_timeout), 1, 120, "10", 0,
     "seconds to connect upstream"},
    {"first_byte_timeout", OPT_INT, F(first_byte_timeout), 1, 3600, "300", 0,
     "seconds to the upstream's first byte"},
    {"idle_timeout", OPT_INT, F(idle_timeout), 1, 3600, "300", 0,
     "seconds of upstream silence inside a stream"},
    {"total_timeout", OPT_INT, F(total_timeout), 1, 86400, "3600", 0,
     "seconds one upstream call may take"},
    {"ping_interval", OPT_INT, F(ping_interval), 1, 600, "15", 0,
     "seconds of silence before a keep-alive comment"},
    {"max_failover", OPT_INT, F(max_failover), 0, 10, "2", 0,
     "other channels tried before the first byte"},
    {"breaker_failures", OPT_INT, F(breaker_failures), 1, 1000, "5", 0,
     "failures in a row that open a channel's circuit breaker"},
    {"breaker_cooldown", OPT_INT, F(breaker_cooldown), 1, 3600, "30", 0,
     "seconds before a half-open probe"},
    {"allow_http_upstream", OPT_BOOL, F(allow_http_upstream), 0, 1, "no", 0,
     "allow http:// channel base URLs"},
    {"upstream_allow", OPT_STR, F(upstream_allow), 0, 0, "", 0,
     "private upstream targets allowed: host:port or CIDR:port, comma separated"},
    {"key_cache_ms", OPT_INT, F(key_cache_ms), 0, 60000, "1000", 0,
     "milliseconds an API key may be served from cache"},
    {"max_output_default", OPT_I64, F(max_output_default), 1, 10000000, "32768", 0,
     "output tokens reserved when a request sets no maximum"},
    {"default_price_model", OPT_STR, F(default_price_model), 0, 0, "", 0,
     "price row used for unpriced models (empty: refuse them)"},
    {"max_stream_bytes", OPT_I64, F(max_stream_bytes), 1024, (int64_t)1 << 40,
     "1073741824", 0, "largest upstream response relayed"},
    {"new_user_quota", OPT_I64, F(new_user_quota), 0, (int64_t)1 << 50, "0", 0,
     "quota given to a new portal user"},
    {"topup_max_usd", OPT_I64, F(topup_max_usd), 1, (int64_t)1 << 50, "100000000000", 0,
     "largest single top-up, micro-USD"},
    {"mail_dir", OPT_STR, F(mail_dir), 0, 0, "", 0, "write mail as files here"},
    {"smtp_url", OPT_STR, F(smtp_url), 0, 0, "", 1, "smtp(s)://user:pass@host:port"},
    {"smtp_from", OPT_STR, F(smtp_from), 0, 0, "tollgate@localhost", 0, "mail sender"},
    {"public_url", OPT_STR, F(public_url), 0, 0, "http://127.0.0.1", 0,
     "URL users reach the portal at (for mail links)"},
    {"registration", OPT_BOOL, F(registration), 0, 1, "yes", 0, "open self-registration"},
    {"pow_difficulty", OPT_INT, F(pow_difficulty), 0, 28, "16", 0,
     "proof-of-work bits for registration (0 = off)"},
    {"captcha_provider", OPT_STR, F(captcha_provider), 0, 0, "off", 0,
     "registration captcha instead of proof of work: off, turnstile or hcaptcha"},
    {"captcha_secret", OPT_STR, F(captcha_secret), 0, 0, "", 1,
     "server-side secret of the captcha provider"},
    {"captcha_site_key", OPT_STR, F(captcha_site_key), 0, 0, "", 0,
     "public site key of the captcha widget (shown to the web UI)"},
};
/* clang-format on */

static const struct opt *opt_find(const char *name)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

static int opt_store(struct tg_config *c, const struct opt *o, const char *v,
                     struct tg_err *err)
{
    char *p = (char *)c + o->off;
    int64_t n;
    char *end;

    switch (o->type) {
    case OPT_STR:
        if (str_copy(p, o->size, v) != 0)
            return err_set(err, TG_EINVAL, "%s: value longer than %zu bytes", o->name,
                           o->size - 1);
        return 0;
    case OPT_BOOL:
        if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
            !strcasecmp(v, "on"))
            n = 1;
        else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
                 !strcasecmp(v, "off"))
            n = 0;
        else
            return err_set(err, TG_EINVAL, "%s: expected yes or no, got '%s'", o->name,
                           v);
        *(int *)p = (int)n;
        return 0;
    case OPT_OCTAL:
        errno = 0;
        n = strtoll(v, &end, 8);
        if (errno || !*v || *end || n < o->min || n > o->max)
            return err_set(err, TG_EINVAL, "%s: expected an octal mode, got '%s'",
                           o->name, v);
        *(int *)p = (int)n;
        return 0;
    case OPT_INT:
    case OPT_I64:
        if (str_to_i64(v, o->min, o->max, &n) != 0)
            return err_set(err, TG_EINVAL,
                           "%s: expected a whole number from %lld to %lld, got '%s'",
                           o->name, (long long)o->min, (long long)o->max, v);
        if (o->type == OPT_INT)
            *(int *)p = (int)n;
        else
            *(int64_t *)p = n;
        return 0;
    }
    return err_set(err, TG_EINTERNAL, "%s: bad option type", o->name);
}

int config_set(struct tg_config *c, const char *key, const char *value,
               struct tg_err *err)
{
    const struct opt *o = opt_find(key);

    if (!o)
        return err_set(err, TG_EINVAL, "unknown key '%s'", key);
    return opt_store(c, o, value, err);
}

void config_defaults(struct tg_config *c)
{
    struct tg_err err = {0};

    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        opt_store(c, &opts[i], opts[i].def, &err);
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int config_parse_file(struct tg_config *c, const char *path, struct tg_err *err)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    int lineno = 0;

    if (!f) {
        char eb[128];
        return err_set(err, TG_EINVAL, "%s: cannot open: %s", path,
                       strerror_r(errno, eb, sizeof(eb)));
    }
    while (fgets(line, sizeof(line), f)) {
        struct tg_err e = {0};
        char *s, *eq, *key, *val;

        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            fclose(f);
            return err_set(err, TG_EINVAL, "%s:%d: line too long", path, lineno);
        }
        s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            fclose(f);
            return err_set(err, TG_EINVAL, "%s:%d: expected key = value", path, lineno);
        }
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        if (config_set(c, key, val, &e) != 0) {
            fclose(f);
            return err_set(err, TG_EINVAL, "%s:%d: %s", path, lineno, e.msg);
        }
    }
    fclose(f);
    return 0;
}

static int config_env(struct tg_config *c, struct tg_err *err)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        char name[80] = "TOLLGATE_";
        size_t n = strlen(name);
        const char *v;
        struct tg_err e = {0};

        for (const char *k = opts[i].name; *k && n < sizeof(name) - 1; k++)
            name[n++] = (char)toupper((unsigned char)*k);
        name[n] = '\0';
        v = getenv(name);
        if (v && opt_store(c, &opts[i], v, &e) != 0)
            return err_set(err, TG_EINVAL, "environment %s: %s", name, e.msg);
    }
    return 0;
}

static int config_validate(const struct tg_config *c, struct tg_err *err)
{
    if (strncmp(c->listen, "unix:", 5) != 0 && strchr(c->listen, ':') == NULL)
        return err_set(err, TG_EINVAL,
                       "listen: expected unix:/path or HOST:PORT, got '%s'", c->listen);
    if (strncmp(c->listen, "unix:", 5) == 0 && c->listen[5] != '/')
        return err_set(err, TG_EINVAL, "listen: unix socket path must be absolute");
    if (strcmp(c->log_level, "debug") && strcmp(c->log_level, "info") &&
        strcmp(c->log_level, "warn") && strcmp(c->log_level, "error"))
        return err_set(err, TG_EINVAL, "log_level: expected debug, info, warn or error");
    if (strcmp(c->captcha_provider, "off") && strcmp(c->captcha_provider, "turnstile") &&
        strcmp(c->captcha_provider, "hcaptcha"))
        return err_set(err, TG_EINVAL,
                       "captcha_provider: expected off, turnstile or hcaptcha");
    if (strcmp(c->captcha_provider, "off") != 0 && c->captcha_secret[0] == '\0')
        return err_set(err, TG_EINVAL,
                       "captcha_secret must be set when captcha_provider is "
                       "%s",
                       c->captcha_provider);
    if (c->db_name[0] == '\0' || c->db_user[0] == '\0')
        return err_set(err, TG_EINVAL, "db_name and db_user must be set");
    return 0;
}

int config_load(struct tg_config *c, const char *path, struct tg_err *err)
{
    config_defaults(c);
    if (path) {
        str_copy(c->path, sizeof(c->path), path);
        if (config_parse_file(c, path, err) != 0)
            return -1;
    }
    if (config_env(c, err) != 0)
        return -1;
    return config_validate(c, err);
}

/* Read a whole small file that only its owner may read. Returns length or -1. */
static long read_secret_file(const char *path, const char *key, unsigned char *out,
                             size_t cap, struct tg_err *err)
{
    struct stat st;
    long n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return err_set(err, TG_EINVAL, "%s: cannot open %s", key, path);
    if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
        close(fd);
        return err_set(err, TG_EINVAL, "%s: %s must not be readable by group or others",
                       key, path);
    }
    n = (long)read(fd, out, cap);
    close(fd);
    if (n < 0)
        return err_set(err, TG_EINVAL, "%s: cannot read %s", key, path);
    while (n > 0 && isspace(out[n - 1]))
        n--;
    return n;
}

int config_load_secrets(struct tg_config *c, struct tg_err *err)
{
    unsigned char raw[130];
    long n;

    n = read_secret_file(c->jwt_secret_file, "jwt_secret_file", c->jwt_key,
                         sizeof(c->jwt_key), err);
    if (n < 0)
        return -1;
    if (n < 32)
        return err_set(err, TG_EINVAL,
                       "jwt_secret_file: needs at least 32 bytes, has %ld", n);
    c->jwt_key_len = (size_t)n;
    n = read_secret_file(c->master_key_file, "master_key_file", raw, sizeof(raw), err);
    if (n < 0)
        return -1;
    if (n != 64)
        return err_set(err, TG_EINVAL, "master_key_file: expected 64 hex characters");
    for (int i = 0; i < 32; i++) {
        int hi = str_hexval(raw[2 * i]), lo = str_hexval(raw[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return err_set(err, TG_EINVAL, "master_key_file: expected 64 hex characters");
        c->master_key[i] = (unsigned char)(hi << 4 | lo);
    }
    memset(raw, 0, sizeof(raw));
    return 0;
}

void config_describe(const struct tg_config *c, int (*print)(const char *line, void *ctx),
                     void *ctx)
{
    char line[700];

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        const struct opt *o = &opts[i];
        const char *p = (const char *)c + o->off;

        switch (o->type) {
        case OPT_STR:
            snprintf(line, sizeof(line), "%s = %s", o->name,
                     o->secret ? (*p ? "(set)" : "") : p);
            break;
        case OPT_BOOL:
            snprintf(line, sizeof(line), "%s = %s", o->name,
                     *(const int *)p ? "yes" : "no");
            break;
        case OPT_OCTAL:
            snprintf(line, sizeof(line), "%s = %04o", o->name, *(const int *)p);
            break;
        case OPT_INT:
            snprintf(line, sizeof(line), "%s = %d", o->name, *(const int *)p);
            break;
        case OPT_I64:
            snprintf(line, sizeof(line), "%s = %lld", o->name,
                     (long long)*(const int64_t *)p);
            break;
        }
        print(line, ctx);
    }
}
