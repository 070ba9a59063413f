/* urlcheck: SSRF rules for channel base URLs: the URL's shape at save time, and every
 * address the relay is about to connect to (RELIABILITY.md part 3). */
#ifndef TG_URLCHECK_H
#define TG_URLCHECK_H

#include <stddef.h>
#include <sys/socket.h>

#include "config/config.h"
#include "util/err.h"

/* Check a channel base URL before it is saved: parsed by libcurl's curl_url; https only
 * (http too when cfg->allow_http_upstream); no user-info, query, fragment or zone id; at
 * most 512 bytes. The host is then resolved (getaddrinfo) and every address it yields
 * must pass urlcheck_sockaddr_ok. Returns 0, or -1 with err TG_EINVAL naming the field
 * "base_url". */
int urlcheck_base_url(const struct tg_config *cfg, const char *url, struct tg_err *err);

/* May the relay connect to sa (AF_INET or AF_INET6, with its port)? The operator
 * allow-list cfg->upstream_allow ("address:port" or "CIDR:port", IPv6 in brackets) is
 * checked first; then 0/8, 127/8, 10/8, 172.16/12, 192.168/16, 169.254/16, 100.64/10,
 * 224/4, 240/4, ::, ::1, fc00::/7, fe80::/10 and ff00::/8 are refused, and the
 * IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) forms are judged by the IPv4
 * address they embed. Other families are refused. Returns 1 allowed, 0 blocked. Safe to
 * call from CURLOPT_OPENSOCKETFUNCTION (no allocation, no lookups). */
int urlcheck_sockaddr_ok(const struct tg_config *cfg, const struct sockaddr *sa);

/* Validate an upstream_allow list (for config checks). Returns 0, or -1 with err naming
 * the first bad entry. */
int urlcheck_allow_valid(const char *list, struct tg_err *err);

#endif
