/*
 * smtp_pipe.c - see smtp_pipe.h. One session per slot, each a small state machine driven by
 * epoll: connect, greeting, EHLO, then per message one write of MAIL FROM + RCPT TO + DATA
 * and, once the three replies say 250/250/354, one write of the dot-stuffed content ending
 * with ".". A failed envelope (4xx/5xx) sends RSET before the session takes its next message.
 */
#include "channels/smtp_pipe.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum cstate {
    C_DEAD,
    C_CONNECTING,
    C_GREETING,
    C_EHLO,
    C_IDLE,
    C_ENVELOPE,
    C_BODY,
    C_FINAL,
    C_RSET
};

struct conn {
    int fd;
    enum cstate st;
    struct sw_smtp_msg *msg;
    char rbuf[4096];
    size_t rlen;
    struct sw_buf w; /* bytes still to write, from woff */
    size_t woff;
    long codes[3]; /* the envelope's replies: MAIL, RCPT, DATA */
    int ncodes;
    int rset_wait; /* replies still expected while resetting */
    bool out_armed;
    int64_t deadline_us;
};

struct sw_smtp_pipe {
    struct sw_smtp_config cfg;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char ehlo[256];
    int epfd;
    struct conn *c;
    int n;
    int busy;
    struct sw_smtp_msg **done;
    size_t ndone, cap;
};

static void arm(struct sw_smtp_pipe *p, struct conn *c, bool out)
{
    if (c->fd < 0 || c->out_armed == out) {
        return;
    }
    struct epoll_event ev = {0};
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(p->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->out_armed = out;
}

static void push_done(struct sw_smtp_pipe *p, struct sw_smtp_msg *m)
{
    if (p->ndone == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->done = sw_realloc(p->done, p->cap * sizeof(*p->done));
    }
    p->done[p->ndone++] = m;
}

/* The session's message is finished: its outcome, the reply code (0 = none) and a text. */
static void msg_done(struct sw_smtp_pipe *p, struct conn *c, enum sw_send_outcome o, long code,
                     const char *text)
{
    struct sw_smtp_msg *m = c->msg;
    if (!m) {
        return;
    }
    m->outcome = o;
    m->code = code;
    m->error[0] = '\0';
    if (o != SW_SEND_SENT && code) {
        snprintf(m->error, sizeof(m->error), "SMTP %ld: %s", code, text ? text : "");
    } else if (o != SW_SEND_SENT) {
        snprintf(m->error, sizeof(m->error), "%s", text ? text : "");
    }
    c->msg = NULL;
    p->busy--;
    push_done(p, m);
}

static void conn_close(struct sw_smtp_pipe *p, struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->st = C_DEAD;
    c->rlen = 0;
    c->woff = 0;
    c->out_armed = false;
    sw_buf_reset(&c->w);
}

/* The session is lost: its message (if any) is unknown when its whole content was written,
 * else temporary with no reply code (nothing can have been accepted). */
static void conn_fail(struct sw_smtp_pipe *p, struct conn *c, const char *why)
{
    if (c->msg) {
        char text[140];
        if (c->st == C_FINAL) {
            snprintf(text, sizeof(text), "the connection broke after the message was sent: %s",
                     why);
            msg_done(p, c, SW_SEND_UNKNOWN, 0, text);
        } else {
            snprintf(text, sizeof(text), "SMTP connection failed: %s", why);
            msg_done(p, c, SW_SEND_TEMPORARY, 0, text);
        }
    }
    conn_close(p, c);
}

static void conn_write(struct sw_smtp_pipe *p, struct conn *c)
{
    while (c->woff < c->w.len) {
        ssize_t k = send(c->fd, c->w.data + c->woff, c->w.len - c->woff, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                arm(p, c, true);
                return;
            }
            if (errno == EINTR) {
                continue;
            }
            conn_fail(p, c, strerror(errno));
            return;
        }
        c->woff += (size_t)k;
    }
    sw_buf_reset(&c->w);
    c->woff = 0;
    arm(p, c, false);
    if (c->st == C_BODY) {
        c->st = C_FINAL; /* every byte of the content, "." included, is out */
    }
}

static void send_text(struct sw_smtp_pipe *p, struct conn *c, enum cstate st, const char *text)
{
    sw_buf_puts(&c->w, text);
    c->st = st;
    conn_write(p, c);
}

static void send_envelope(struct sw_smtp_pipe *p, struct conn *c)
{
    sw_buf_printf(&c->w, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n", c->msg->from, c->msg->to);
    c->ncodes = 0;
    c->st = C_ENVELOPE;
    conn_write(p, c);
}

/* The content, dot-stuffed, with its final CRLF "." CRLF. */
static void send_body(struct sw_smtp_pipe *p, struct conn *c)
{
    const char *d = c->msg->data;
    size_t n = c->msg->len, start = 0;
    sw_buf_reserve(&c->w, n + n / 64 + 8);
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '.' && (i == 0 || d[i - 1] == '\n')) {
            sw_buf_add(&c->w, d + start, i - start);
            sw_buf_putc(&c->w, '.');
            start = i;
        }
    }
    sw_buf_add(&c->w, d + start, n - start);
    if (n < 2 || d[n - 2] != '\r' || d[n - 1] != '\n') {
        sw_buf_puts(&c->w, "\r\n");
    }
    sw_buf_puts(&c->w, ".\r\n");
    c->st = C_BODY;
    conn_write(p, c);
}

static enum sw_send_outcome by_code(long code)
{
    return code >= 500 ? SW_SEND_PERMANENT : SW_SEND_TEMPORARY;
}

/* One complete reply (its last line's text). */
static void on_reply(struct sw_smtp_pipe *p, struct conn *c, long code, const char *text)
{
    switch (c->st) {
    case C_GREETING:
    case C_EHLO:
        if (code / 100 != 2) {
            msg_done(p, c, by_code(code), code, text);
            conn_close(p, c);
            return;
        }
        if (c->st == C_GREETING) {
            char line[300];
            snprintf(line, sizeof(line), "EHLO %s\r\n", p->ehlo);
            send_text(p, c, C_EHLO, line);
        } else if (c->msg) {
            send_envelope(p, c);
        } else {
            c->st = C_IDLE;
        }
        return;
    case C_ENVELOPE:
        if (code == 421) { /* the server is closing this session: try again on a new one */
            msg_done(p, c, SW_SEND_TEMPORARY, code, text);
            conn_close(p, c);
            return;
        }
        c->codes[c->ncodes++] = code;
        if (c->ncodes < 3) {
            return;
        }
        if (c->codes[0] / 100 == 2 && c->codes[1] / 100 == 2 && c->codes[2] == 354) {
            send_body(p, c);
            return;
        }
        {
            long bad = c->codes[0] / 100 != 2   ? c->codes[0]
                       : c->codes[1] / 100 != 2 ? c->codes[1]
                                                : c->codes[2];
            msg_done(p, c, by_code(bad), bad, text);
            /* A DATA the server accepted anyway is closed empty; then a clean slate. */
            c->rset_wait = c->codes[2] == 354 ? 2 : 1;
            send_text(p, c, C_RSET, c->codes[2] == 354 ? ".\r\nRSET\r\n" : "RSET\r\n");
        }
        return;
    case C_FINAL:
        msg_done(p, c, code / 100 == 2 ? SW_SEND_SENT : by_code(code), code, text);
        c->st = C_IDLE;
        return;
    case C_BODY:
        /* A reply before the whole content is out: the session is in no state to go on. */
        msg_done(p, c, code / 100 == 2 ? SW_SEND_UNKNOWN : by_code(code), code, text);
        conn_close(p, c);
        return;
    case C_RSET:
        if (--c->rset_wait <= 0) {
            if (code / 100 == 2) {
                c->st = C_IDLE;
            } else {
                conn_close(p, c);
            }
        }
        return;
    default: /* e.g. 421 on an idle session: the server is closing it */
        conn_close(p, c);
        return;
    }
}

static void conn_read(struct sw_smtp_pipe *p, struct conn *c)
{
    for (;;) {
        if (c->rlen == sizeof(c->rbuf)) {
            conn_fail(p, c, "reply line too long");
            return;
        }
        ssize_t k = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, 0);
        if (k == 0) {
            conn_fail(p, c, "closed by the server");
            return;
        }
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                conn_fail(p, c, strerror(errno));
            }
            return;
        }
        c->rlen += (size_t)k;
        size_t off = 0;
        for (;;) {
            char *nl = memchr(c->rbuf + off, '\n', c->rlen - off);
            if (!nl) {
                break;
            }
            size_t len = (size_t)(nl - (c->rbuf + off));
            char *line = c->rbuf + off;
            off += len + 1;
            if (len && line[len - 1] == '\r') {
                len--;
            }
            line[len] = '\0';
            if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
                line[2] < '0' || line[2] > '9') {
                conn_fail(p, c, "not an SMTP reply");
                return;
            }
            if (len > 3 && line[3] == '-') {
                continue; /* a multi-line reply goes on */
            }
            long code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
            on_reply(p, c, code, len > 4 ? line + 4 : "");
            if (c->fd < 0) {
                return;
            }
        }
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

static void conn_connect(struct sw_smtp_pipe *p, struct conn *c)
{
    c->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_fail(p, c, strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct epoll_event ev = {0};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = c;
    epoll_ctl(p->epfd, EPOLL_CTL_ADD, c->fd, &ev);
    c->out_armed = true;
    c->st = C_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&p->addr, p->addrlen) < 0 && errno != EINPROGRESS) {
        conn_fail(p, c, strerror(errno));
    }
}

static void on_event(struct sw_smtp_pipe *p, struct conn *c, uint32_t events)
{
    if (c->st == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            conn_fail(p, c, err ? strerror(err) : "connection refused");
            return;
        }
        c->st = C_GREETING;
        arm(p, c, false);
    }
    if ((events & EPOLLOUT) && c->woff < c->w.len) {
        conn_write(p, c);
    }
    if (c->fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        conn_read(p, c);
    }
}

/* ---- the probe ---- */

static int parse_url(const char *url, char *host, size_t hl, char *port, size_t pl, char *ehlo,
                     size_t el, char *why, size_t wl)
{
    if (strncmp(url, "smtp://", 7)) {
        snprintf(why, wl, "not a plain smtp:// URL");
        return -1;
    }
    const char *a = url + 7, *slash = strchr(a, '/');
    size_t alen = slash ? (size_t)(slash - a) : strlen(a);
    if (memchr(a, '@', alen)) {
        snprintf(why, wl, "credentials in the URL (AUTH)");
        return -1;
    }
    const char *h = a, *he, *colon;
    if (*a == '[') {
        h = a + 1;
        he = memchr(a, ']', alen);
        if (!he) {
            snprintf(why, wl, "bad host");
            return -1;
        }
        colon = he + 1 < a + alen && he[1] == ':' ? he + 1 : NULL;
    } else {
        colon = memchr(a, ':', alen);
        he = colon ? colon : a + alen;
    }
    snprintf(host, hl, "%.*s", (int)(he - h), h);
    if (colon) {
        snprintf(port, pl, "%.*s", (int)(a + alen - colon - 1), colon + 1);
    } else {
        snprintf(port, pl, "25");
    }
    snprintf(ehlo, el, "%s", slash && slash[1] ? slash + 1 : "localhost");
    if (strpbrk(ehlo, "\r\n \t") || !*host) {
        snprintf(why, wl, "bad host or EHLO name");
        return -1;
    }
    return 0;
}

/* Read one complete reply on a blocking socket; capabilities are noted. */
static long probe_reply(int fd, bool *pipelining, bool *starttls)
{
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (k <= 0) {
            return -1;
        }
        len += (size_t)k;
        buf[len] = '\0';
        char *line = buf;
        for (char *nl; (nl = strchr(line, '\n'));) {
            *nl = '\0';
            size_t l = strlen(line);
            if (l && line[l - 1] == '\r') {
                line[--l] = '\0';
            }
            if (l < 3) {
                return -1;
            }
            const char *kw = l > 4 ? line + 4 : "";
            if (!strncasecmp(kw, "PIPELINING", 10) && (!kw[10] || kw[10] == ' ')) {
                *pipelining = true;
            }
            if (!strncasecmp(kw, "STARTTLS", 8) && (!kw[8] || kw[8] == ' ')) {
                *starttls = true;
            }
            if (l == 3 || line[3] == ' ') {
                return strtol(line, NULL, 10);
            }
            line = nl + 1;
        }
        memmove(buf, line, strlen(line) + 1);
        len = strlen(buf);
        if (len >= sizeof(buf) - 1) {
            return -1;
        }
    }
}

int sw_smtp_pipe_open(const struct sw_smtp_config *cfg, struct sw_smtp_pipe **out, char *why,
                      size_t whylen)
{
    char host[256], port[16], ehlo[256], tmp[64];
    struct addrinfo hints = {0}, *res = NULL;
    *out = NULL;
    why = why ? why : tmp;
    whylen = why == tmp ? sizeof(tmp) : whylen;
    if (!cfg->url || parse_url(cfg->url, host, sizeof(host), port, sizeof(port), ehlo, sizeof(ehlo),
                               why, whylen) < 0) {
        return 0;
    }
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
        snprintf(why, whylen, "cannot resolve %s", host);
        return 0;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {10, 0};
    bool pipelining = false, starttls = false;
    long code = -1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
        probe_reply(fd, &pipelining, &starttls) / 100 == 2) {
        char line[300];
        int n = snprintf(line, sizeof(line), "EHLO %s\r\n", ehlo);
        pipelining = starttls = false;
        if (send(fd, line, (size_t)n, MSG_NOSIGNAL) == n) {
            code = probe_reply(fd, &pipelining, &starttls);
        }
    }
    if (code / 100 != 2 || !pipelining || starttls) {
        snprintf(why, whylen, "%s",
                 code < 0          ? "the server could not be probed"
                 : code / 100 != 2 ? "EHLO was refused"
                 : starttls        ? "the server offers STARTTLS"
                                   : "the server does not offer PIPELINING");
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(res);
        return 0;
    }
    struct sw_smtp_pipe *p = sw_calloc(1, sizeof(*p));
    p->cfg = *cfg;
    memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
    p->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    snprintf(p->ehlo, sizeof(p->ehlo), "%s", ehlo);
    p->n = cfg->connections > 0 ? cfg->connections : 1;
    p->c = sw_calloc((size_t)p->n, sizeof(*p->c));
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < p->n; i++) {
        p->c[i].fd = -1;
        sw_buf_init(&p->c[i].w);
    }
    /* The probe's session is the first slot's. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct conn *c = &p->c[0];
    c->fd = fd;
    c->st = C_IDLE;
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev);
    *out = p;
    return 1;
}

void sw_smtp_pipe_close(struct sw_smtp_pipe *p)
{
    if (!p) {
        return;
    }
    for (int i = 0; i < p->n; i++) {
        struct conn *c = &p->c[i];
        if (c->fd >= 0 && c->st == C_IDLE) {
            (void)!send(c->fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        conn_close(p, c);
        sw_buf_release(&c->w);
    }
    if (p->epfd >= 0) {
        close(p->epfd);
    }
    free(p->c);
    free(p->done);
    free(p);
}

int sw_smtp_pipe_idle(const struct sw_smtp_pipe *p)
{
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        n += !p->c[i].msg && (p->c[i].st == C_IDLE || p->c[i].st == C_DEAD);
    }
    return n;
}

int sw_smtp_pipe_submit(struct sw_smtp_pipe *p, struct sw_smtp_msg *msg)
{
    struct conn *c = NULL;
    for (int i = 0; i < p->n && !c; i++) { /* a live session first */
        c = !p->c[i].msg && p->c[i].st == C_IDLE ? &p->c[i] : NULL;
    }
    for (int i = 0; i < p->n && !c; i++) {
        c = !p->c[i].msg && p->c[i].st == C_DEAD ? &p->c[i] : NULL;
    }
    if (!c) {
        return -1;
    }
    c->msg = msg;
    p->busy++;
    c->deadline_us = sw_clock_monotonic_us() + (int64_t)(p->cfg.timeout_s > 0 ? p->cfg.timeout_s : 60) * 1000000;
    if (c->st == C_IDLE) {
        send_envelope(p, c);
    } else {
        conn_connect(p, c);
    }
    return 0;
}

size_t sw_smtp_pipe_poll(struct sw_smtp_pipe *p, int timeout_ms, struct sw_smtp_msg **done,
                         size_t max)
{
    if (!p->ndone && p->busy) {
        int64_t now = sw_clock_monotonic_us(), first = 0;
        for (int i = 0; i < p->n; i++) {
            if (p->c[i].msg && (!first || p->c[i].deadline_us < first)) {
                first = p->c[i].deadline_us;
            }
        }
        int wait = timeout_ms;
        if (first) {
            int64_t left = (first - now + 999) / 1000;
            wait = left < wait ? (int)(left < 0 ? 0 : left) : wait;
        }
        struct epoll_event evs[64];
        int nev = epoll_wait(p->epfd, evs, 64, wait);
        for (int i = 0; i < nev; i++) {
            on_event(p, evs[i].data.ptr, evs[i].events);
        }
        now = sw_clock_monotonic_us();
        for (int i = 0; i < p->n; i++) {
            if (p->c[i].msg && p->c[i].deadline_us <= now) {
                conn_fail(p, &p->c[i], "timed out");
            }
        }
    }
    size_t n = p->ndone < max ? p->ndone : max;
    if (n) {
        memcpy(done, p->done, n * sizeof(*done));
        memmove(p->done, p->done + n, (p->ndone - n) * sizeof(*p->done));
        p->ndone -= n;
    }
    return n;
}
