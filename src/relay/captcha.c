/* captcha: Turnstile / hCaptcha siteverify over libcurl. */
#include <curl/curl.h>
#include <jansson.h>
#include <string.h>

#include "auth/crypto.h"
#include "relay/captcha.h"
#include "util/buf.h"
#include "util/log.h"

#define CAPTCHA_MAX_ANSWER 16384

static const char *const verify_urls[] = {
    [CAPTCHA_NONE] = NULL,
    [CAPTCHA_TURNSTILE] = "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    [CAPTCHA_HCAPTCHA] = "https://api.hcaptcha.com/siteverify",
};

int captcha_provider_parse(const char *name, enum captcha_provider *out)
{
    if (!name || !*name || !strcmp(name, "off") || !strcmp(name, "none"))
        *out = CAPTCHA_NONE;
    else if (!strcmp(name, "turnstile"))
        *out = CAPTCHA_TURNSTILE;
    else if (!strcmp(name, "hcaptcha"))
        *out = CAPTCHA_HCAPTCHA;
    else
        return -1;
    return 0;
}

int captcha_verdict(const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    int ok = json_is_true(json_object_get(j, "success"));

    json_decref(j);
    return ok;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *ud)
{
    return buf_append(ud, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/* "secret=..&response=..&remoteip=.." with each value escaped, into b. */
static int form(CURL *h, const char *secret, const char *token, const char *ip,
                struct buf *b)
{
    char *s = curl_easy_escape(h, secret, 0), *t = curl_easy_escape(h, token, 0);
    char *i = curl_easy_escape(h, ip ? ip : "", 0);
    int rc =
        s && t && i ? buf_printf(b, "secret=%s&response=%s&remoteip=%s", s, t, i) : -1;

    curl_free(s);
    curl_free(t);
    curl_free(i);
    return rc;
}

int captcha_verify(enum captcha_provider p, const char *secret, const char *token,
                   const char *remote_ip, struct tg_err *err)
{
    struct buf post, answer;
    CURL *h;
    CURLcode rc;
    long status = 0;
    int verdict = -1;

    if (p == CAPTCHA_NONE || (size_t)p >= sizeof(verify_urls) / sizeof(verify_urls[0]))
        return err_set(err, TG_EINTERNAL, "no captcha provider");
    if (!token || !*token || strlen(token) > 4096)
        return err_set_field(err, TG_EINVAL, "captcha_token",
                             "captcha_token is required");
    h = curl_easy_init();
    if (!h)
        return err_set(err, TG_EINTERNAL, "out of memory");
    buf_init(&post, 16384);
    buf_init(&answer, CAPTCHA_MAX_ANSWER);
    if (form(h, secret, token, remote_ip, &post) == 0) {
        curl_easy_setopt(h, CURLOPT_URL, verify_urls[p]);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post.ptr);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
        rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status == 200)
            verdict = captcha_verdict(answer.ptr ? answer.ptr : "", answer.len);
        else
            log_warn("captcha", "event=verify_failed curl=%d status=%ld", (int)rc,
                     status);
    }
    curl_easy_cleanup(h);
    if (post.ptr)
        crypto_wipe(post.ptr, post.len); /* holds the secret */
    buf_free(&post);
    buf_free(&answer);
    if (verdict < 0)
        return err_set(err, TG_EUPSTREAM, "the captcha service cannot be reached; retry");
    if (verdict == 0)
        return err_set_field(err, TG_EINVAL, "captcha_token", "captcha check failed");
    return 1;
}
