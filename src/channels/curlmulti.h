/*
 * curlmulti.h - what the libcurl senders (smtp.c, httpsend.c) share: each transfer of a multi
 * handle carries its slot as CURLOPT_PRIVATE, and a finished transfer is taken off the multi
 * handle with its result.
 */
#ifndef SW_CURLMULTI_H
#define SW_CURLMULTI_H

#include <curl/curl.h>

/* The next finished transfer of m, removed from m: its CURLOPT_PRIVATE pointer, with its
 * result in *result; NULL when no transfer has finished. */
void *sw_curl_next_done(CURLM *m, CURLcode *result);

#endif
