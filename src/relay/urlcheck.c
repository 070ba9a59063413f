/* urlcheck: which channel base URLs may be saved and which addresses may be connected. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relay/urlcheck.h"
#include "util/str.h"

#define URL_MAX 512

/* An address reduced to what the rules look at. */
struct ip {
    int v6; /* 0: the first 4 bytes hold an IPv4 address */
    unsigned char b[16];
};

struct net {
    const char *text;
    int bits;
};

/* clang-format off */
static const struct net blocked_v4[] = {
    {"0.0.0.0", 8},     {"127.0.0.0", 8},   {"10.0.0.0", 8},   {"172.16.0.0", 12},
    {"192.168.0.0", 16}, {"169.254.0.0", 16}, {"100.64.0.0", 10}, {"224.0.0.0", 4},
    {"240.0.0.0", 4},
};
static const struct net blocked_v6[] = {
    {"::", 128}, {"::1", 128}, {"fc00::", 7}, {"fe80::", 10}, {"ff00::", 8},
};
/* Prefixes whose last 32 bits are an IPv4 address: mapped and NAT64. */
static const struct net embeds_v4[] = {
    {"::ffff:0:0", 96}, {"64:ff9b::", 96},
};
/* clang-format on */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int prefix_match(const unsigned char *a, const unsigned char *net, int bits)
{
    int full = bits / 8, rest = bits % 8;

    if (memcmp(a, net, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static int in_table(const struct ip *ip, const struct net *t, size_t n)
{
    unsigned char net[16];

    for (size_t i = 0; i < n; i++)
        if (inet_pton(ip->v6 ? AF_INET6 : AF_INET, t[i].text, net) == 1 &&
            prefix_match(ip->b, net, t[i].bits))
            return 1;
    return 0;
}

/* For a mapped or NAT64 IPv6 address, the IPv4 address inside it. Returns 1 if so. */
static int embedded_v4(const struct ip *ip, struct ip *v4)
{
    if (!ip->v6 || !in_table(ip, embeds_v4, COUNT(embeds_v4)))
        return 0;
    memset(v4, 0, sizeof(*v4));
    memcpy(v4->b, ip->b + 12, 4);
    return 1;
}

static int is_blocked(const struct ip *ip)
{
    struct ip v4;

    if (embedded_v4(ip, &v4))
        return in_table(&v4, blocked_v4, COUNT(blocked_v4));
    if (ip->v6)
        return in_table(ip, blocked_v6, COUNT(blocked_v6));
    return in_table(ip, blocked_v4, COUNT(blocked_v4));
}

/* One allow-list entry: "1.2.3.4:443", "10.0.0.0/8:443", "[::1]:443", "[fd00::/8]:443"
 * or "fd00::/8:443". */
struct allow {
    struct ip net;
    int bits;
    int port;
};

static int parse_host_bits(char *host, struct allow *a)
{
    char *slash = strchr(host, '/');
    int64_t bits = -1;

    if (slash) {
        *slash = '\0';
        if (str_to_i64(slash + 1, 0, 128, &bits) != 0)
            return -1;
    }
    memset(&a->net, 0, sizeof(a->net));
    a->net.v6 = strchr(host, ':') != NULL;
    if (inet_pton(a->net.v6 ? AF_INET6 : AF_INET, host, a->net.b) != 1)
        return -1;
    if (bits > (a->net.v6 ? 128 : 32))
        return -1;
    a->bits = bits < 0 ? (a->net.v6 ? 128 : 32) : (int)bits;
    return 0;
}

static int parse_allow(const char *entry, size_t n, struct allow *a)
{
    char buf[96], *host = buf, *colon;
    int64_t port;

    while (n && (*entry == ' ' || *entry == '\t'))
        entry++, n--;
    while (n && (entry[n - 1] == ' ' || entry[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, entry, n);
    buf[n] = '\0';
    colon = strrchr(buf, ':');
    if (!colon || str_to_i64(colon + 1, 1, 65535, &port) != 0)
        return -1;
    *colon = '\0';
    if (buf[0] == '[') {
        size_t hl = strlen(buf);
        if (hl < 3 || buf[hl - 1] != ']')
            return -1;
        buf[hl - 1] = '\0';
        host = buf + 1;
    } else if (strchr(buf, ':') && !strchr(buf, '/')) {
        return -1; /* "::1:443" is ambiguous: IPv6 needs brackets */
    }
    a->port = (int)port;
    return parse_host_bits(host, a);
}

static int allow_hit(const struct allow *a, const struct ip *ip, int port)
{
    return a->port == port && a->net.v6 == ip->v6 &&
           prefix_match(ip->b, a->net.b, a->bits);
}

static int allowed(const char *list, const struct ip *ip, int port)
{
    struct ip v4;
    int has_v4 = embedded_v4(ip, &v4);
    const char *p = list;

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        struct allow a;

        if (parse_allow(p, n, &a) == 0 &&
            (allow_hit(&a, ip, port) || (has_v4 && allow_hit(&a, &v4, port))))
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int urlcheck_allow_valid(const char *list, struct tg_err *err)
{
    const char *p = list;

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        struct allow a;

        if (parse_allow(p, n, &a) != 0)
            return err_set_field(
                err, TG_EINVAL, "upstream_allow",
                "upstream_allow: '%.*s' is not address:port or CIDR:port",
                (int)(n > 80 ? 80 : n), p);
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int sockaddr_ip(const struct sockaddr *sa, struct ip *ip, int *port)
{
    memset(ip, 0, sizeof(*ip));
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        memcpy(ip->b, &in->sin_addr, 4);
        *port = ntohs(in->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        ip->v6 = 1;
        memcpy(ip->b, &in6->sin6_addr, 16);
        *port = ntohs(in6->sin6_port);
        return 0;
    }
    return -1;
}

int urlcheck_sockaddr_ok(const struct tg_config *cfg, const struct sockaddr *sa)
{
    struct ip ip;
    int port;

    if (!sa || sockaddr_ip(sa, &ip, &port) != 0)
        return 0;
    if (cfg && cfg->upstream_allow[0] && allowed(cfg->upstream_allow, &ip, port))
        return 1;
    return !is_blocked(&ip);
}

/* A part of the URL that must be absent (user, password, query, ...). */
static int has_part(CURLU *u, CURLUPart part)
{
    char *v = NULL;
    CURLUcode rc = curl_url_get(u, part, &v, 0);

    curl_free(v);
    return rc == CURLUE_OK;
}

static int check_shape(const struct tg_config *cfg, CURLU *u, struct tg_err *err)
{
    char *scheme = NULL;
    int https, http;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        return err_set_field(err, TG_EINVAL, "base_url", "base_url needs a scheme");
    https = strcasecmp(scheme, "https") == 0;
    http = strcasecmp(scheme, "http") == 0;
    curl_free(scheme);
    if (!https && !(http && cfg->allow_http_upstream))
        return err_set_field(err, TG_EINVAL, "base_url", "base_url must use %s",
                             cfg->allow_http_upstream ? "https or http" : "https");
    if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
        has_part(u, CURLUPART_OPTIONS))
        return err_set_field(err, TG_EINVAL, "base_url",
                             "base_url must not contain user-info (put the key in key)");
    if (has_part(u, CURLUPART_FRAGMENT))
        return err_set_field(err, TG_EINVAL, "base_url",
                             "base_url must not have a fragment");
    if (has_part(u, CURLUPART_QUERY))
        return err_set_field(err, TG_EINVAL, "base_url",
                             "base_url must not have a query");
    if (has_part(u, CURLUPART_ZONEID))
        return err_set_field(err, TG_EINVAL, "base_url",
                             "base_url must not have a zone id");
    return 0;
}

/* Resolve host:port and refuse when any address is blocked. */
static int check_addresses(const struct tg_config *cfg, const char *host,
                           const char *port, struct tg_err *err)
{
    struct addrinfo hints, *res = NULL;
    char shown[INET6_ADDRSTRLEN] = "";
    int rc, bad = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res) {
        if (res)
            freeaddrinfo(res);
        return err_set_field(err, TG_EINVAL, "base_url",
                             "base_url: the host '%.100s' does not resolve", host);
    }
    for (struct addrinfo *ai = res; ai && !bad; ai = ai->ai_next) {
        if (urlcheck_sockaddr_ok(cfg, ai->ai_addr))
            continue;
        bad = 1;
        if (ai->ai_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr,
                      shown, sizeof(shown));
        else if (ai->ai_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr,
                      shown, sizeof(shown));
    }
    freeaddrinfo(res);
    if (bad)
        return err_set_field(
            err, TG_EINVAL, "base_url",
            "base_url points at a private or reserved address (%s port %s)"
            " that upstream_allow does not list",
            shown[0] ? shown : "?", port);
    return 0;
}

static int check_host(const struct tg_config *cfg, CURLU *u, struct tg_err *err)
{
    char *host = NULL, *port = NULL, *h;
    size_t n;
    int rc;

    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !host[0]) {
        curl_free(host);
        return err_set_field(err, TG_EINVAL, "base_url", "base_url needs a host");
    }
    if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        curl_free(host);
        return err_set_field(err, TG_EINVAL, "base_url", "base_url has no usable port");
    }
    /* curl keeps the brackets of an IPv6 literal; getaddrinfo wants them off. */
    h = host;
    n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h[n - 1] = '\0';
        h++;
    }
    rc = check_addresses(cfg, h, port, err);
    curl_free(host);
    curl_free(port);
    return rc;
}

int urlcheck_base_url(const struct tg_config *cfg, const char *url, struct tg_err *err)
{
    CURLU *u;
    int rc;

    if (!url || !url[0])
        return err_set_field(err, TG_EINVAL, "base_url", "base_url is required");
    if (strlen(url) > URL_MAX)
        return err_set_field(err, TG_EINVAL, "base_url",
                             "base_url is longer than %d bytes", URL_MAX);
    u = curl_url();
    if (!u)
        return err_set(err, TG_EINTERNAL, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return err_set_field(err, TG_EINVAL, "base_url",
                             "base_url is not a valid absolute URL");
    }
    rc = check_shape(cfg, u, err);
    if (rc == 0)
        rc = check_host(cfg, u, err);
    curl_url_cleanup(u);
    return rc;
}
