/* global: process-wide libcurl setup, once in main before threads and fork. */
#include <curl/curl.h>

int relay_global_init(void);

int relay_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}
