/* portal_check: input rules of the portal. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "api/portal_check.h"
#include "util/str.h"

/* Passwords that lists of breached accounts put at the top; compared case-insensitively.
 * Anything shorter than PORTAL_PASSWORD_MIN is refused by length already. */
static const char *const common_passwords[] = {
    "12345678",      "123456789",  "1234567890",  "12345678910", "password",
    "password1",     "password12", "password123", "passw0rd",    "p@ssw0rd",
    "p@ssword",      "qwertyuiop", "qwerty123",   "qwerty12",    "1q2w3e4r",
    "1q2w3e4r5t",    "1qaz2wsx",   "zaq12wsx",    "abcd1234",    "abc12345",
    "abcdefgh",      "11111111",   "00000000",    "88888888",    "66666666",
    "87654321",      "iloveyou",   "iloveyou1",   "sunshine",    "princess",
    "football",      "baseball",   "welcome1",    "welcome123",  "dragon123",
    "monkey123",     "letmein1",   "trustno1",    "superman",    "michelle",
    "jennifer",      "starwars",   "whatever",    "computer",    "corvette",
    "mercedes",      "internet",   "changeme",    "changeme123", "admin123",
    "administrator", "qwerty1234", "asdfghjkl",   "asdfasdf",    "zxcvbnm1",
    "12qwaszx",      "q1w2e3r4",   "q1w2e3r4t5",  "a1b2c3d4",    "aa123456",
    "123123123",     "123qweasd",  "1234qwer",    "qwer1234",    "secret123",
    "football1",     "tollgate",   "tollgate1",   "tollgate123", NULL,
};

static const char *const reserved_names[] = {
    "admin",    "administrator", "root",       "system", "support",
    "tollgate", "security",      "postmaster", "abuse",  "noreply",
    "no-reply", "api",           "www",        "mail",   NULL,
};

static int is_atext(unsigned char ch)
{
    return isalnum(ch) || (ch && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

static int check_local(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return -1;
        if (s[i] != '.' && !is_atext((unsigned char)s[i]))
            return -1;
    }
    return 0;
}

static int check_domain(const char *s)
{
    size_t label = 0, labels = 0, n = strlen(s);

    if (n == 0 || n > 253)
        return -1;
    for (size_t i = 0; i <= n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '.' || ch == '\0') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return -1;
            labels++;
            label = 0;
            continue;
        }
        if (!isalnum(ch) && ch != '-')
            return -1;
        if (label == 0 && ch == '-')
            return -1;
        label++;
    }
    return labels >= 2 ? 0 : -1;
}

int portal_check_email(const char *email, char *out, size_t cap, struct tg_err *err)
{
    const char *at = strchr(email, '@');
    size_t n = strlen(email);

    if (n == 0 || n > 254 || !at || strchr(at + 1, '@') ||
        check_local(email, (size_t)(at - email)) != 0 || check_domain(at + 1) != 0)
        return err_set_field(err, TG_EINVAL, "email",
                             "email must be an address like name@example.com");
    if (str_copy(out, cap, email) != 0)
        return err_set_field(err, TG_EINVAL, "email", "email is too long");
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

int portal_check_username(const char *username, struct tg_err *err)
{
    size_t n = strlen(username);
    int digits = 0;

    if (n < 3 || n > 32 || !isalnum((unsigned char)username[0]))
        return err_set_field(err, TG_EINVAL, "username",
                             "username must be 3 to 32 "
                             "characters and start with a letter or digit");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)username[i];

        if (!isalnum(ch) && ch != '_' && ch != '.' && ch != '-')
            return err_set_field(err, TG_EINVAL, "username",
                                 "username may hold letters, "
                                 "digits, '_', '.' and '-' only");
        digits += isdigit(ch) != 0;
    }
    if ((size_t)digits == n)
        return err_set_field(err, TG_EINVAL, "username",
                             "username must not be all digits");
    for (int i = 0; reserved_names[i]; i++)
        if (strcasecmp(username, reserved_names[i]) == 0)
            return err_set_field(err, TG_EINVAL, "username", "that username is reserved");
    if (strncasecmp(username, "deleted-", 8) == 0)
        return err_set_field(err, TG_EINVAL, "username", "that username is reserved");
    return 0;
}

/* 1 if hay contains needle (needle >= 3 bytes), ignoring ASCII case. */
static int contains_ci(const char *hay, const char *needle, size_t nlen)
{
    size_t hlen = strlen(hay);

    if (nlen < 3 || nlen > hlen)
        return 0;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (strncasecmp(hay + i, needle, nlen) == 0)
            return 1;
    return 0;
}

static int distinct_chars(const char *s)
{
    unsigned char seen[256] = {0};
    int n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!seen[*p]++)
            n++;
    return n;
}

int portal_check_password(const char *pw, const char *username, const char *email,
                          struct tg_err *err)
{
    size_t n = strlen(pw);
    const char *at = email ? strchr(email, '@') : NULL;

    if (n < PORTAL_PASSWORD_MIN || n > 1024)
        return err_set_field(err, TG_EINVAL, "password",
                             "password must be %d to 1024 characters",
                             PORTAL_PASSWORD_MIN);
    if (distinct_chars(pw) < 4)
        return err_set_field(err, TG_EINVAL, "password", "password is too simple");
    for (int i = 0; common_passwords[i]; i++)
        if (strcasecmp(pw, common_passwords[i]) == 0)
            return err_set_field(err, TG_EINVAL, "password", "password is too common");
    if ((username && contains_ci(pw, username, strlen(username))) ||
        (email && contains_ci(pw, email, at ? (size_t)(at - email) : strlen(email))))
        return err_set_field(err, TG_EINVAL, "password",
                             "password must not contain the username or e-mail address");
    return 0;
}

int portal_check_display_name(const char *name, struct tg_err *err)
{
    size_t n = strlen(name), chars = 0;

    if (!str_valid_utf8(name, n))
        return err_set_field(err, TG_EINVAL, "display_name",
                             "display_name must be UTF-8");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return err_set_field(err, TG_EINVAL, "display_name",
                                 "display_name must not hold control characters");
        chars += (*p & 0xC0) != 0x80;
    }
    if (chars > 128)
        return err_set_field(err, TG_EINVAL, "display_name",
                             "display_name is longer than 128 characters");
    return 0;
}
