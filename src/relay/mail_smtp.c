/* mail_smtp: SMTP delivery over libcurl. */
#include <curl/curl.h>
#include <string.h>

#include "relay/mail_smtp.h"
#include "util/log.h"

struct upload {
    const char *data;
    size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
    struct upload *u = ud;
    size_t n = size * nmemb < u->left ? size * nmemb : u->left;

    memcpy(dst, u->data, n);
    u->data += n;
    u->left -= n;
    return n;
}

/* "<addr>" for MAIL FROM / RCPT TO, into out. Returns 0 or -1 if it does not fit. */
static int angle(const char *addr, char *out, size_t cap)
{
    size_t n = strlen(addr);

    if (n + 3 > cap)
        return -1;
    if (addr[0] == '<') {
        memcpy(out, addr, n + 1);
        return 0;
    }
    out[0] = '<';
    memcpy(out + 1, addr, n);
    out[n + 1] = '>';
    out[n + 2] = '\0';
    return 0;
}

int mail_smtp_send(const char *url, const char *from, const char *to, const char *msg,
                   size_t len, struct tg_err *err)
{
    struct upload up = {msg, len};
    struct curl_slist *rcpt = NULL;
    char from_a[300], to_a[300];
    CURLcode rc;
    CURL *h;

    if (angle(from, from_a, sizeof(from_a)) != 0 || angle(to, to_a, sizeof(to_a)) != 0)
        return err_set(err, TG_EINVAL, "mail address too long");
    h = curl_easy_init();
    rcpt = curl_slist_append(NULL, to_a);
    if (!h || !rcpt) {
        curl_easy_cleanup(h);
        curl_slist_free_all(rcpt);
        return err_set(err, TG_EINTERNAL, "out of memory");
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from_a);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    rc = curl_easy_perform(h);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        log_warn("mail", "event=smtp_failed curl=%d msg=\"%s\"", (int)rc,
                 curl_easy_strerror(rc));
        return err_set(err, TG_EUPSTREAM, "mail server refused the message");
    }
    return 0;
}
