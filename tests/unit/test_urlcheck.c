/* Unit tests for relay/urlcheck: channel base URL rules and the connect-time address
 * check (RELIABILITY.md row 29, every spelling that needs no network). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cu_main.h"
#include "relay/urlcheck.h"

static struct tg_config cfg;

static void cfg_reset(int allow_http, const char *allow)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.allow_http_upstream = allow_http;
    snprintf(cfg.upstream_allow, sizeof(cfg.upstream_allow), "%s", allow);
}

/* urlcheck_base_url's verdict: 0 accepted, -1 refused (then the field must be base_url).
 */
static int url_verdict(const char *url)
{
    struct tg_err err = {0};
    int rc = urlcheck_base_url(&cfg, url, &err);

    if (rc != 0) {
        CU_ASSERT_EQUAL(err.code, TG_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(err.field);
        if (err.field)
            CU_ASSERT_STRING_EQUAL(err.field, "base_url");
        CU_ASSERT(err.msg[0] != '\0');
    }
    return rc;
}

/* urlcheck_sockaddr_ok on a literal address and port. */
static int addr_ok(const char *text, int port)
{
    struct sockaddr_in in;
    struct sockaddr_in6 in6;

    memset(&in, 0, sizeof(in));
    memset(&in6, 0, sizeof(in6));
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1) {
        in.sin_family = AF_INET;
        in.sin_port = htons((uint16_t)port);
        return urlcheck_sockaddr_ok(&cfg, (struct sockaddr *)&in);
    }
    CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, text, &in6.sin6_addr), 1);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons((uint16_t)port);
    return urlcheck_sockaddr_ok(&cfg, (struct sockaddr *)&in6);
}

static void test_urlcheck_base_url_public_ok(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(url_verdict("https://93.184.216.34"), 0);
    CU_ASSERT_EQUAL(url_verdict("https://93.184.216.34:8443/v1"), 0);
    CU_ASSERT_EQUAL(url_verdict("https://[2606:4700::1111]/api"), 0);
}

static void test_urlcheck_base_url_metadata_refused(void)
{
    cfg_reset(1, "");
    CU_ASSERT_EQUAL(url_verdict("http://169.254.169.254/latest/meta-data/"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://169.254.169.254"), -1);
}

static void test_urlcheck_base_url_loopback_spellings_refused(void)
{
    cfg_reset(1, "");
    CU_ASSERT_EQUAL(url_verdict("http://127.0.0.1:3306"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://127.0.0.1"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://0.0.0.0"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://0.0.0.0:8080/v1"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://[::1]"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://[::1]:8080"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://[::ffff:127.0.0.1]"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://[::ffff:7f00:1]:80"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://2130706433"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://2130706433:3306/"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://0x7f.1"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://0x7f000001"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://017700000001"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://127.1"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://[64:ff9b::7f00:1]"), -1);
}

static void test_urlcheck_base_url_private_refused(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(url_verdict("https://10.1.2.3"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://172.16.0.1"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://192.168.1.1"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://100.64.0.1"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://[fd00::1]"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://[fe80::1]"), -1);
}

static void test_urlcheck_base_url_schemes_refused(void)
{
    cfg_reset(1, "");
    CU_ASSERT_EQUAL(url_verdict("file:///etc/passwd"), -1);
    CU_ASSERT_EQUAL(url_verdict("file://localhost/etc/passwd"), -1);
    CU_ASSERT_EQUAL(url_verdict("gopher://93.184.216.34:70/_x"), -1);
    CU_ASSERT_EQUAL(url_verdict("ftp://93.184.216.34/"), -1);
    CU_ASSERT_EQUAL(url_verdict("dict://93.184.216.34:11211/"), -1);
    CU_ASSERT_EQUAL(url_verdict("93.184.216.34"), -1);
    CU_ASSERT_EQUAL(url_verdict("//93.184.216.34/v1"), -1);
    CU_ASSERT_EQUAL(url_verdict(""), -1);
    CU_ASSERT_EQUAL(url_verdict(NULL), -1);
}

static void test_urlcheck_base_url_userinfo_refused(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(url_verdict("https://user:pass@93.184.216.34/"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://user@93.184.216.34/"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://93.184.216.34@127.0.0.1/"), -1);
}

static void test_urlcheck_base_url_fragment_query_refused(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(url_verdict("https://93.184.216.34/v1#frag"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://93.184.216.34/v1?x=1"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://93.184.216.34/v 1"), -1);
    CU_ASSERT_EQUAL(url_verdict("https://93.184.216.34/\r\nHost: x"), -1);
}

static void test_urlcheck_base_url_http_needs_config(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(url_verdict("http://93.184.216.34"), -1);
    CU_ASSERT_EQUAL(url_verdict("HTTPS://93.184.216.34"), 0);
    cfg_reset(1, "");
    CU_ASSERT_EQUAL(url_verdict("http://93.184.216.34"), 0);
}

static void test_urlcheck_base_url_too_long(void)
{
    char url[700];

    cfg_reset(0, "");
    memset(url, 'a', sizeof(url) - 1);
    url[sizeof(url) - 1] = '\0';
    memcpy(url, "https://93.184.216.34/", 22);
    CU_ASSERT_EQUAL(url_verdict(url), -1);
}

static void test_urlcheck_base_url_allow_list(void)
{
    cfg_reset(1, "127.0.0.1:18080, 10.0.0.0/8:443,[::1]:9000");
    CU_ASSERT_EQUAL(url_verdict("http://127.0.0.1:18080"), 0);
    CU_ASSERT_EQUAL(url_verdict("http://127.0.0.1:18080/v1"), 0);
    CU_ASSERT_EQUAL(url_verdict("http://2130706433:18080"), 0); /* same address */
    CU_ASSERT_EQUAL(url_verdict("http://127.0.0.1:3306"), -1);  /* other port */
    CU_ASSERT_EQUAL(url_verdict("http://127.0.0.2:18080"), -1); /* other address */
    CU_ASSERT_EQUAL(url_verdict("https://10.9.8.7"), 0);
    CU_ASSERT_EQUAL(url_verdict("https://10.9.8.7:8443"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://[::1]:9000"), 0);
    CU_ASSERT_EQUAL(url_verdict("http://[::1]:9001"), -1);
    CU_ASSERT_EQUAL(url_verdict("http://169.254.169.254"), -1);
}

static void test_urlcheck_sockaddr_v4_table(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(addr_ok("0.0.0.0", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("0.255.1.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("127.0.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("127.255.255.254", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("10.0.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("172.16.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("172.31.255.255", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("172.32.0.1", 80), 1);
    CU_ASSERT_EQUAL(addr_ok("172.15.255.255", 80), 1);
    CU_ASSERT_EQUAL(addr_ok("192.168.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("192.169.0.1", 80), 1);
    CU_ASSERT_EQUAL(addr_ok("169.254.169.254", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("100.64.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("100.127.255.255", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("100.128.0.1", 80), 1);
    CU_ASSERT_EQUAL(addr_ok("224.0.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("239.255.255.250", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("240.0.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("255.255.255.255", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("8.8.8.8", 443), 1);
    CU_ASSERT_EQUAL(addr_ok("1.1.1.1", 443), 1);
}

static void test_urlcheck_sockaddr_v6_table(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(addr_ok("::", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("::1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("fc00::1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("fdff:ffff::1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("fe80::1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("febf::1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("fec0::1", 80), 1);
    CU_ASSERT_EQUAL(addr_ok("ff02::1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("2606:4700::1111", 443), 1);
    CU_ASSERT_EQUAL(addr_ok("2001:4860:4860::8888", 443), 1);
}

static void test_urlcheck_sockaddr_embedded_v4(void)
{
    cfg_reset(0, "");
    CU_ASSERT_EQUAL(addr_ok("::ffff:127.0.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("::ffff:10.0.0.1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("::ffff:169.254.169.254", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("::ffff:0.0.0.0", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("::ffff:8.8.8.8", 443), 1);
    CU_ASSERT_EQUAL(addr_ok("64:ff9b::7f00:1", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("64:ff9b::a9fe:a9fe", 80), 0);
    CU_ASSERT_EQUAL(addr_ok("64:ff9b::808:808", 443), 1);
}

static void test_urlcheck_sockaddr_allow_list(void)
{
    cfg_reset(0, "127.0.0.1:18080,192.168.0.0/16:8000,[fd00::/8]:443,fe80::/10:8443");
    CU_ASSERT_EQUAL(addr_ok("127.0.0.1", 18080), 1);
    CU_ASSERT_EQUAL(addr_ok("::ffff:127.0.0.1", 18080), 1);
    CU_ASSERT_EQUAL(addr_ok("127.0.0.1", 18081), 0);
    CU_ASSERT_EQUAL(addr_ok("127.0.0.2", 18080), 0);
    CU_ASSERT_EQUAL(addr_ok("192.168.44.5", 8000), 1);
    CU_ASSERT_EQUAL(addr_ok("192.168.44.5", 8001), 0);
    CU_ASSERT_EQUAL(addr_ok("fd12::5", 443), 1);
    CU_ASSERT_EQUAL(addr_ok("fc12::5", 443), 0);
    CU_ASSERT_EQUAL(addr_ok("fe80::9", 8443), 1);
    CU_ASSERT_EQUAL(addr_ok("8.8.8.8", 443), 1); /* public stays allowed */
}

static void test_urlcheck_sockaddr_other_family(void)
{
    struct sockaddr sa;

    cfg_reset(0, "");
    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNIX;
    CU_ASSERT_EQUAL(urlcheck_sockaddr_ok(&cfg, &sa), 0);
    CU_ASSERT_EQUAL(urlcheck_sockaddr_ok(&cfg, NULL), 0);
}

static void test_urlcheck_allow_valid(void)
{
    struct tg_err err = {0};

    CU_ASSERT_EQUAL(urlcheck_allow_valid("", &err), 0);
    CU_ASSERT_EQUAL(urlcheck_allow_valid("127.0.0.1:8080", &err), 0);
    CU_ASSERT_EQUAL(urlcheck_allow_valid("10.0.0.0/8:443, [::1]:80,fd00::/8:443", &err),
                    0);
    CU_ASSERT_EQUAL(urlcheck_allow_valid("127.0.0.1", &err), -1);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(urlcheck_allow_valid("localhost:8080", &err), -1);
    CU_ASSERT_STRING_EQUAL(err.field, "upstream_allow");
    CU_ASSERT_EQUAL(urlcheck_allow_valid("::1:8080", &err), -1);
    CU_ASSERT_EQUAL(urlcheck_allow_valid("10.0.0.0/33:443", &err), -1);
    CU_ASSERT_EQUAL(urlcheck_allow_valid("10.0.0.1:0", &err), -1);
    CU_ASSERT_EQUAL(urlcheck_allow_valid("10.0.0.1:65536", &err), -1);
}

static const struct cu_test tests[] = {
    {"base_url_public_ok", test_urlcheck_base_url_public_ok},
    {"base_url_metadata_refused", test_urlcheck_base_url_metadata_refused},
    {"base_url_loopback_spellings_refused",
     test_urlcheck_base_url_loopback_spellings_refused},
    {"base_url_private_refused", test_urlcheck_base_url_private_refused},
    {"base_url_schemes_refused", test_urlcheck_base_url_schemes_refused},
    {"base_url_userinfo_refused", test_urlcheck_base_url_userinfo_refused},
    {"base_url_fragment_query_refused", test_urlcheck_base_url_fragment_query_refused},
    {"base_url_http_needs_config", test_urlcheck_base_url_http_needs_config},
    {"base_url_too_long", test_urlcheck_base_url_too_long},
    {"base_url_allow_list", test_urlcheck_base_url_allow_list},
    {"sockaddr_v4_table", test_urlcheck_sockaddr_v4_table},
    {"sockaddr_v6_table", test_urlcheck_sockaddr_v6_table},
    {"sockaddr_embedded_v4", test_urlcheck_sockaddr_embedded_v4},
    {"sockaddr_allow_list", test_urlcheck_sockaddr_allow_list},
    {"sockaddr_other_family", test_urlcheck_sockaddr_other_family},
    {"allow_valid", test_urlcheck_allow_valid},
    {NULL, NULL},
};

CU_MAIN("urlcheck", tests)
