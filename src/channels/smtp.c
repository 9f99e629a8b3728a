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

struct sw_smtp {
    struct sw_smtp_config cfg;
    CURLM *m;
    struct slot *slots;
    int nslots;
};

int sw_smtp_open(const struct sw_smtp_config *cfg, struct sw_smtp **out, struct sw_error *err)
{
    *out = NULL;
    if (!cfg->url || (strncmp(cfg->url, "smtp://", 7) && strncmp(cfg->url, "smtps://", 8))) {
        return sw_error_set(err, SW_EINVAL, "smtp_url must start with smtp:// or smtps://");
    }
    struct sw_smtp *s = sw_calloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->nslots = cfg->connections > 0 ? cfg->connections : 1;
    s->m = curl_multi_init();
    s->slots = sw_calloc((size_t)s->nslots, sizeof(*s->slots));
    if (!s->m) {
        sw_smtp_close(s);
        return sw_error_set(err, SW_ENOMEM, "cannot start libcurl");
    }
    curl_multi_setopt(s->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)s->nslots);
    curl_multi_setopt(s->m, CURLMOPT_MAXCONNECTS, (long)s->nslots);
    for (int i = 0; i < s->nslots; i++) {
        s->slots[i].h = curl_easy_init();
        if (!s->slots[i].h) {
            sw_smtp_close(s);
            return sw_error_set(err, SW_ENOMEM, "cannot start libcurl");
        }
        curl_easy_setopt(s->slots[i].h, CURLOPT_PRIVATE, &s->slots[i]);
    }
    *out = s;
    return 0;
}

void sw_smtp_close(struct sw_smtp *s)
{
    if (!s) {
        return;
    }
    for (int i = 0; i < s->nslots; i++) {
        if (s->slots[i].h) {
            curl_multi_remove_handle(s->m, s->slots[i].h);
            curl_easy_cleanup(s->slots[i].h);
        }
        curl_slist_free_all(s->slots[i].rcpt);
    }
    free(s->slots);
    if (s->m) {
        curl_multi_cleanup(s->m);
    }
    free(s);
}

void sw_smtp_send_batch(struct sw_smtp *s, struct sw_smtp_msg *msgs, size_t n)
{
    size_t next = 0, done = 0;
    int used = s->nslots < (int)n ? s->nslots : (int)n;
    /* A message that cannot even be started is done (temporary): the slot tries the next. */
    for (int i = 0; i < used; i++) {
        while (next < n && start(s->m, &s->slots[i], &s->cfg, &msgs[next++]) < 0) {
            done++;
        }
    }
    while (done < n) {
        int running = 0, queued = 0;
        curl_multi_perform(s->m, &running);
        CURLMsg *cm;
        while ((cm = curl_multi_info_read(s->m, &queued))) {
            if (cm->msg != CURLMSG_DONE) {
                continue;
            }
            struct slot *sl = NULL;
            CURLcode result = cm->data.result;
            curl_easy_getinfo(cm->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
            curl_multi_remove_handle(s->m, sl->h);
            finish(sl, result);
            done++;
            while (next < n && start(s->m, sl, &s->cfg, &msgs[next++]) < 0) {
                done++;
            }
        }
        if (done < n) {
            curl_multi_poll(s->m, NULL, 0, 1000, NULL);
        }
    }
}

int sw_smtp_send(const struct sw_smtp_config *cfg, struct sw_smtp_msg *msgs, size_t n,
                 struct sw_error *err)
{
    struct sw_smtp *s = NULL;
    int rc = sw_smtp_open(cfg, &s, err);
    if (rc == 0) {
        sw_smtp_send_batch(s, msgs, n);
        sw_smtp_close(s);
    }
    return rc;
}
