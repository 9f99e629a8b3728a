/*
 * smtp.c - see smtp.h. One easy handle per parallel session; a handle that finishes a
 * message takes the next one, and libcurl keeps its connection open for it (the multi
 * handle's connection cache), so a batch costs one SMTP greeting per session, not per
 * message.
 */
#include "channels/smtp.h"
#include "core/util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    CURL *h;
    struct sw_smtp_msg *msg;
    struct curl_slist *rcpt;
    size_t off; /* bytes of the message handed to libcurl */
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct slot *s = ud;
    size_t room = size * nitems, left = s->msg->len - s->off;
    size_t n = left < room ? left : room;
    memcpy(buf, s->msg->data + s->off, n);
    s->off += n;
    return n;
}

static int start(CURLM *m, struct slot *s, const struct sw_smtp_config *cfg, struct sw_smtp_msg *msg)
{
    curl_slist_free_all(s->rcpt);
    s->rcpt = curl_slist_append(NULL, msg->to);
    s->msg = msg;
    s->off = 0;
    curl_easy_setopt(s->h, CURLOPT_URL, cfg->url);
    curl_easy_setopt(s->h, CURLOPT_MAIL_FROM, msg->from);
    curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, s->rcpt);
    curl_easy_setopt(s->h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(s->h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(s->h, CURLOPT_READDATA, s);
    curl_easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    curl_easy_setopt(s->h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(s->h, CURLOPT_TIMEOUT, cfg->timeout_s > 0 ? cfg->timeout_s : 60L);
    curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
    if (curl_multi_add_handle(m, s->h) != CURLM_OK) {
        msg->outcome = SW_SEND_TEMPORARY;
        msg->code = 0;
        snprintf(msg->error, sizeof(msg->error), "could not start the transfer");
        return -1;
    }
    return 0;
}

/* Classify a finished transfer (see smtp.h for the four outcomes). */
static void finish(struct slot *s, CURLcode cc)
{
    struct sw_smtp_msg *msg = s->msg;
    long code = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    msg->code = code;
    msg->error[0] = '\0';
    if (cc == CURLE_OK) {
        msg->outcome = SW_SEND_SENT;
        return;
    }
    snprintf(msg->error, sizeof(msg->error), "%s (SMTP %ld)", curl_easy_strerror(cc), code);
    if (code >= 500 && code < 600) {
        msg->outcome = SW_SEND_PERMANENT;
    } else if (code >= 400 && code < 500) {
        msg->outcome = SW_SEND_TEMPORARY;
    } else if (s->off == msg->len && msg->len > 0 &&
               (cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
                cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR)) {
        /* The whole message went out and then the connection broke: accepted or not, we
         * cannot know. */
        msg->outcome = SW_SEND_UNKNOWN;
    } else if (cc == CURLE_LOGIN_DENIED || cc == CURLE_URL_MALFORMAT ||
               cc == CURLE_UNSUPPORTED_PROTOCOL) {
        msg->outcome = SW_SEND_PERMANENT;
    } else {
        msg->outcome = SW_SEND_TEMPORARY;
    }
}

int sw_smtp_send(const struct sw_smtp_config *cfg, struct sw_smtp_msg *msgs, size_t n,
                 struct sw_error *err)
{
    int nslots = cfg->connections > 0 ? cfg->connections : 1;
    size_t next = 0, done = 0;
    int rc = 0;
    if (!cfg->url || (strncmp(cfg->url, "smtp://", 7) && strncmp(cfg->url, "smtps://", 8))) {
        return sw_error_set(err, SW_EINVAL, "smtp_url must start with smtp:// or smtps://");
    }
    if ((size_t)nslots > n) {
        nslots = n ? (int)n : 1;
    }
    CURLM *m = curl_multi_init();
    struct slot *slots = sw_calloc((size_t)nslots, sizeof(*slots));
    if (!m) {
        free(slots);
        return sw_error_set(err, SW_ENOMEM, "cannot start libcurl");
    }
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)nslots);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)nslots);
    for (int i = 0; i < nslots; i++) {
        slots[i].h = curl_easy_init();
        if (!slots[i].h) {
            rc = sw_error_set(err, SW_ENOMEM, "cannot start libcurl");
            goto out;
        }
        curl_easy_setopt(slots[i].h, CURLOPT_PRIVATE, &slots[i]);
        /* A message that cannot even be started is done (temporary): the slot tries the next. */
        while (next < n && start(m, &slots[i], cfg, &msgs[next++]) < 0) {
            done++;
        }
    }
    while (done < n) {
        int running = 0, queued = 0;
        curl_multi_perform(m, &running);
        CURLMsg *cm;
        while ((cm = curl_multi_info_read(m, &queued))) {
            if (cm->msg != CURLMSG_DONE) {
                continue;
            }
            struct slot *s = NULL;
            CURLcode result = cm->data.result;
            curl_easy_getinfo(cm->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_multi_remove_handle(m, s->h);
            finish(s, result);
            done++;
            while (next < n && start(m, s, cfg, &msgs[next++]) < 0) {
                done++;
            }
        }
        if (done < n) {
            curl_multi_poll(m, NULL, 0, 1000, NULL);
        }
    }
out:
    for (int i = 0; i < nslots; i++) {
        if (slots[i].h) {
            curl_multi_remove_handle(m, slots[i].h);
            curl_easy_cleanup(slots[i].h);
        }
        curl_slist_free_all(slots[i].rcpt);
    }
    free(slots);
    curl_multi_cleanup(m);
    return rc;
}
