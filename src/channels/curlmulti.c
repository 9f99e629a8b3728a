/*
 * curlmulti.c - see curlmulti.h.
 */
#include "channels/curlmulti.h"

void *sw_curl_next_done(CURLM *m, CURLcode *result)
{
    int queued = 0;
    CURLMsg *cm;
    while ((cm = curl_multi_info_read(m, &queued))) {
        if (cm->msg != CURLMSG_DONE) {
            continue;
        }
        void *priv = NULL;
        CURL *h = cm->easy_handle;
        *result = cm->data.result; /* cm is not valid once h is removed */
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&priv);
        curl_multi_remove_handle(m, h);
        return priv;
    }
    return NULL;
}
