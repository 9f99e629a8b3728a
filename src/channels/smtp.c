/*
 * smtp.c - see smtp.h. One easy handle per parallel session; a handle that finishes a
 * message takes the next one, and libcurl keeps its connection open for it (the multi
 * handle's connection cache), so a batch costs one SMTP greeting per session, not per
 * message. Sockets are watched with epoll and driven with curl_multi_socket_action: only a
 * socket that is ready is touched (curl_multi_perform would try every session's socket on
 * every wake-up, one wasted recv per idle session). A maildir: URL selects the file outbox
 * (maildir.h) behind the same calls.
 */
#include "channels/smtp.h"
#include "channels/curlmulti.h"
#include "channels/maildir.h"
#include "channels/smtp_pipe.h"
#include "core/clock.h"
#include "core/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

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

static int start(CURLM *m, struct slot *s, const struct sw_smtp_config *cfg,
                 struct sw_smtp_msg *msg)
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
    int busy; /* slots with a message in flight */
    int epfd;
    int64_t deadline_us;       /* libcurl's timer (monotonic), 0 = none */
    struct sw_smtp_pipe *pipe; /* the pipelined fast path, when the server allows it */
    struct sw_maildir *maildir; /* smtp_url = maildir:DIR: the file outbox */
};

/* libcurl tells which sockets to watch for what. */
static int socket_cb(CURL *e, curl_socket_t fd, int what, void *ud, void *sockp)
{
    struct sw_smtp *s = ud;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
        curl_multi_assign(s->m, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    ev.data.fd = fd;
    if (!sockp) {
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST) {
            epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
        }
        curl_multi_assign(s->m, fd, s);
    } else if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT) {
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
    }
    return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *ud)
{
    struct sw_smtp *s = ud;
    (void)m;
    s->deadline_us = timeout_ms < 0 ? 0 : sw_clock_monotonic_us() + (int64_t)timeout_ms * 1000;
    return 0;
}

int sw_smtp_open(const struct sw_smtp_config *cfg, struct sw_smtp **out, struct sw_error *err)
{
    *out = NULL;
    if (!cfg->url || (strncmp(cfg->url, "smtp://", 7) && strncmp(cfg->url, "smtps://", 8) &&
                      strncmp(cfg->url, SW_MAILDIR_SCHEME, strlen(SW_MAILDIR_SCHEME)))) {
        return sw_error_set(err, SW_EINVAL,
                            "smtp_url must start with smtp://, smtps:// or maildir:");
    }
    struct sw_smtp *s = sw_calloc(1, sizeof(*s));
    s->epfd = -1;
    s->cfg = *cfg;
    if (!strncmp(cfg->url, SW_MAILDIR_SCHEME, strlen(SW_MAILDIR_SCHEME))) {
        /* Messages are written at once: a few per poll share one directory sync. */
        int cap = (cfg->connections > 0 ? cfg->connections : 1) * 8;
        s->nslots = cap;
        int rc = sw_maildir_open(cfg->url + strlen(SW_MAILDIR_SCHEME), cap, &s->maildir, err);
        if (rc < 0) {
            free(s);
            return rc;
        }
        *out = s;
        return 0;
    }
    if (!cfg->no_pipelining && sw_smtp_pipe_open(cfg, &s->pipe, NULL, 0) == 1) {
        s->nslots = cfg->connections > 0 ? cfg->connections : 1;
        *out = s;
        return 0;
    }
    s->nslots = cfg->connections > 0 ? cfg->connections : 1;
    s->m = curl_multi_init();
    s->slots = sw_calloc((size_t)s->nslots, sizeof(*s->slots));
    if (!s->m) {
        sw_smtp_close(s);
        return sw_error_set(err, SW_ENOMEM, "cannot start libcurl");
    }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        sw_smtp_close(s);
        return sw_error_set(err, SW_EIO, "epoll: %s", strerror(errno));
    }
    curl_multi_setopt(s->m, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(s->m, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->m, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(s->m, CURLMOPT_TIMERDATA, s);
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
    sw_smtp_pipe_close(s->pipe);
    sw_maildir_close(s->maildir);
    for (int i = 0; s->slots && i < s->nslots; i++) {
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
    if (s->epfd >= 0) {
        close(s->epfd);
    }
    free(s);
}

bool sw_smtp_pipelined(const struct sw_smtp *s) { return s->pipe != NULL; }

int sw_smtp_idle(const struct sw_smtp *s)
{
    if (s->maildir) {
        return sw_maildir_idle(s->maildir);
    }
    if (s->pipe) {
        return sw_smtp_pipe_idle(s->pipe);
    }
    return s->nslots - s->busy;
}


/* An envelope address goes into an SMTP command line: nothing that could end or extend it. */
static bool envelope_ok(const char *a)
{
    if (!a || !*a || strlen(a) > 254) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)a; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>') {
            return false;
        }
    }
    return true;
}

int sw_smtp_submit(struct sw_smtp *s, struct sw_smtp_msg *msg)
{
    if (!envelope_ok(msg->from) || !envelope_ok(msg->to)) {
        msg->outcome = SW_SEND_PERMANENT;
        msg->code = 0;
        snprintf(msg->error, sizeof(msg->error), "invalid envelope address");
        return 1;
    }
    if (s->maildir) {
        return sw_maildir_submit(s->maildir, msg);
    }
    if (s->pipe) {
        return sw_smtp_pipe_submit(s->pipe, msg);
    }
    for (int i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->msg) {
            continue;
        }
        if (start(s->m, sl, &s->cfg, msg) < 0) {
            sl->msg = NULL;
            return 1; /* done at once: temporary */
        }
        s->busy++;
        return 0;
    }
    return -1;
}

/* Collect finished transfers. */
static size_t collect(struct sw_smtp *s, struct sw_smtp_msg **done, size_t max)
{
    size_t n = 0;
    CURLcode result;
    struct slot *sl;
    while (n < max && (sl = sw_curl_next_done(s->m, &result))) {
        finish(sl, result);
        done[n++] = sl->msg;
        sl->msg = NULL;
        s->busy--;
    }
    return n;
}

size_t sw_smtp_poll(struct sw_smtp *s, int timeout_ms, struct sw_smtp_msg **done, size_t max)
{
    if (s->maildir) {
        return sw_maildir_poll(s->maildir, done, max);
    }
    if (s->pipe) {
        return sw_smtp_pipe_poll(s->pipe, timeout_ms, done, max);
    }
    int running = 0;
    size_t n = collect(s, done, max);
    for (int round = 0; round < 2 && n == 0 && s->busy; round++) {
        if (s->deadline_us && sw_clock_monotonic_us() >= s->deadline_us) {
            s->deadline_us = 0;
            curl_multi_socket_action(s->m, CURL_SOCKET_TIMEOUT, 0, &running);
            if ((n = collect(s, done, max)) > 0) {
                break;
            }
        }
        int wait = round == 0 ? 0 : timeout_ms;
        if (s->deadline_us) {
            int64_t left = (s->deadline_us - sw_clock_monotonic_us() + 999) / 1000;
            wait = left < wait ? (int)(left < 0 ? 0 : left) : wait;
        }
        struct epoll_event evs[64];
        int nev = epoll_wait(s->epfd, evs, 64, wait);
        for (int i = 0; i < nev; i++) {
            int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                        (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                        (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(s->m, evs[i].data.fd, flags, &running);
        }
        if (s->deadline_us && sw_clock_monotonic_us() >= s->deadline_us) {
            s->deadline_us = 0;
            curl_multi_socket_action(s->m, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        n = collect(s, done, max);
    }
    return n;
}

void sw_smtp_send_batch(struct sw_smtp *s, struct sw_smtp_msg *msgs, size_t n)
{
    size_t next = 0, finished = 0;
    struct sw_smtp_msg **done = sw_calloc((size_t)s->nslots, sizeof(*done));
    while (finished < n) {
        while (next < n && sw_smtp_idle(s) > 0) {
            if (sw_smtp_submit(s, &msgs[next++]) > 0) {
                finished++; /* could not start: temporary */
            }
        }
        if (finished < n) {
            finished += sw_smtp_poll(s, 1000, done, (size_t)s->nslots);
        }
    }
    free(done);
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
