/* global: process-wide libcurl and jansson setup, once in main before threads. */
#include <curl/curl.h>

#include "relay/jarena.h"

int relay_global_init(void);

int relay_global_init(void)
{
    jarena_install();
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}
