/* mail: message formatting and delivery to a folder or through SMTP. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/mail.h"
#include "auth/crypto.h"
#include "relay/mail_smtp.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/str.h"

#define MAIL_MAX_BYTES 65536

static int has_newline(const char *s)
{
    return strchr(s, '\r') != NULL || strchr(s, '\n') != NULL;
}

/* RFC 5322 message with CRLF line ends into b; id gets the hex used in the Message-ID. */
static int format_message(const struct tg_config *cfg, const char *to,
                          const char *subject, const char *body, const char *id,
                          struct buf *b)
{
    time_t now = time(NULL);
    struct tm tm;
    char date[64];

    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    if (buf_printf(b,
                   "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
                   "Message-ID: <%s@tollgate>\r\nMIME-Version: 1.0\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\n",
                   cfg->smtp_from, to, subject, date, id) != 0)
        return -1;
    for (const char *p = body; *p; p++) {
        if (*p == '\n' && (p == body || p[-1] != '\r')) {
            if (buf_append(b, "\r\n", 2) != 0)
                return -1;
        } else if (buf_append(b, p, 1) != 0) {
            return -1;
        }
    }
    return buf_puts(b, "\r\n");
}

/* Write the message as DIR/<time>-<id>.eml: written under a dot name, then renamed, so a
 * reader never sees half a mail. */
static int deliver_file(const char *dir, const char *id, const struct buf *b,
                        struct tg_err *err)
{
    char tmp[512], path[512], errbuf[128];
    int fd, n1, n2;
    ssize_t w;

    n1 = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, id);
    n2 = snprintf(path, sizeof(path), "%s/%lld-%s.eml", dir, (long long)time(NULL), id);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(tmp) || (size_t)n2 >= sizeof(path))
        return err_set(err, TG_EINTERNAL, "mail folder path too long");
    mkdir(dir, 0700);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    w = write(fd, b->ptr, b->len);
    if (close(fd) != 0 || w != (ssize_t)b->len || rename(tmp, path) != 0) {
        unlink(tmp);
        goto fail;
    }
    return 0;
fail:
    /* GNU strerror_r: the message is the return value, not always errbuf. */
    log_error("mail", "event=file_failed dir=\"%s\" error=\"%s\"", dir,
              strerror_r(errno, errbuf, sizeof(errbuf)));
    return err_set(err, TG_EINTERNAL, "cannot deliver mail");
}

int mail_send(const struct tg_config *cfg, const char *to, const char *subject,
              const char *body, struct tg_err *err)
{
    unsigned char rnd[12];
    char id[25];
    struct buf b;
    int rc;

    if (has_newline(to) || has_newline(subject) || has_newline(cfg->smtp_from))
        return err_set(err, TG_EINTERNAL, "bad mail header");
    if (!cfg->mail_dir[0] && !cfg->smtp_url[0]) {
        log_warn("mail", "event=dropped reason=no_transport subject=\"%s\"", subject);
        return 0;
    }
    if (crypto_random(rnd, sizeof(rnd)) != 0)
        return err_set(err, TG_EINTERNAL, "no randomness");
    str_hex(rnd, sizeof(rnd), id);
    buf_init(&b, MAIL_MAX_BYTES);
    if (format_message(cfg, to, subject, body, id, &b) != 0) {
        buf_free(&b);
        return err_set(err, TG_EINTERNAL, "mail too large");
    }
    if (cfg->mail_dir[0])
        rc = deliver_file(cfg->mail_dir, id, &b, err);
    else
        rc = mail_smtp_send(cfg->smtp_url, cfg->smtp_from, to, b.ptr, b.len, err);
    if (rc == 0)
        log_info("mail", "event=sent id=%s subject=\"%s\" via=%s", id, subject,
                 cfg->mail_dir[0] ? "file" : "smtp");
    crypto_wipe(b.ptr, b.len);
    buf_free(&b);
    return rc;
}
