/*
 * test_httpsend.c - the HTTP JSON sender against a real peer: a small HTTP/1.1 server run by
 * the test on a thread (loopback, port 0, one thread per connection, keep-alive, requests
 * framed by Content-Length). The server records every request it reads (method, path,
 * Content-Type, body, which connection) and answers from a tag in the body: 200, 429 with
 * Retry-After, 503, 400, 301, closing after the whole request without answering, or never
 * answering. Outcomes are checked against what the server saw: every body exactly once, on
 * at most `connections` connections.
 */
#include "testutil.h"

#include "channels/httpsend.h"
#include "core/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 64
#define MAXREQ  1024

struct req {
    char method[16];
    char path[64];
    char ctype[64];
    char *body; /* NUL-terminated copy */
    size_t len;
    int conn; /* index of the accepted connection it came on */
};

struct srv {
    int lfd, port;
    pthread_t accepter;
    pthread_mutex_t mu;
    int stopping;
    int nconn, overflow;
    int fds[MAXCONN];
    pthread_t threads[MAXCONN];
    struct req reqs[MAXREQ];
    int nreq;
};

struct conn {
    struct srv *srv;
    int fd, id;
};

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return; /* the client went away: its outcome is what the test checks */
        }
        p += w;
        n -= (size_t)w;
    }
}

static void respond(int fd, const char *status, const char *extra, const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n", status,
                     extra, strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* The header's value in a request head (case-insensitive name), into out. */
static void header_value(const char *head, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *l = strstr(head, "\r\n"); l && l[2] != '\r'; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, nl) == 0 && l[2 + nl] == ':') {
            const char *v = l + 3 + nl, *e = strstr(v, "\r\n");
            while (*v == ' ') {
                v++;
            }
            (void)snprintf(out, cap, "%.*s", (int)(e - v), v);
            return;
        }
    }
}

/* Answer one request from the tag `"t":"..."` in its body. Returns 0 to keep the connection,
 * -1 to stop serving it. */
static int answer(int fd, const char *body)
{
    char tag[16] = "200";
    const char *t = strstr(body, "\"t\":\"");
    if (t) {
        (void)snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(t + 5, "\""), t + 5);
    }
    if (!strcmp(tag, "429")) {
        respond(fd, "429 Too Many Requests", "Retry-After: 3\r\n", "");
    } else if (!strcmp(tag, "503")) {
        respond(fd, "503 Service Unavailable", "", "");
    } else if (!strcmp(tag, "503date")) {
        respond(fd, "503 Service Unavailable", "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
                "");
    } else if (!strcmp(tag, "400")) {
        respond(fd, "400 Bad Request", "Content-Type: application/json\r\n",
                "{\"error\":\"invalid number\"}");
    } else if (!strcmp(tag, "301")) {
        respond(fd, "301 Moved Permanently", "Location: http://127.0.0.1:1/elsewhere\r\n", "");
    } else if (!strcmp(tag, "close")) {
        shutdown(fd, SHUT_RDWR); /* the whole request was read: a clean FIN, no answer */
        return -1;
    } else if (!strcmp(tag, "hang")) {
        char b[256];
        while (recv(fd, b, sizeof(b), 0) > 0) {
            /* never answer; wait for the client to give up */
        }
        return -1;
    } else {
        respond(fd, "200 OK", "Content-Type: application/json\r\n", "{\"id\":\"m1\"}");
    }
    return 0;
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct srv *s = c->srv;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        char *end;
        /* the head */
        buf[len] = '\0';
        while (!(end = strstr(buf, "\r\n\r\n"))) {
            ssize_t r = len + 1 < cap ? recv(c->fd, buf + len, cap - 1 - len, 0) : -1;
            if (r <= 0) {
                goto out;
            }
            len += (size_t)r;
            buf[len] = '\0';
        }
        size_t hlen = (size_t)(end - buf) + 4;
        struct req q = {.conn = c->id};
        char clen[32];
        if (sscanf(buf, "%15s %63s", q.method, q.path) != 2) {
            goto out;
        }
        header_value(buf, "Content-Type", q.ctype, sizeof(q.ctype));
        header_value(buf, "Content-Length", clen, sizeof(clen));
        if (!strcmp(q.path, "/early-close")) {
            /* Closed with the body unread and no linger: a reset, which cuts the client while
             * it is still sending. */
            struct linger lg = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            pthread_mutex_lock(&s->mu);
            close(c->fd);
            s->fds[c->id] = -1;
            pthread_mutex_unlock(&s->mu);
            goto out;
        }
        q.len = (size_t)strtoul(clen, NULL, 10);
        /* the body */
        if (hlen + q.len + 1 > cap) {
            cap = hlen + q.len + 1;
            buf = realloc(buf, cap);
        }
        while (len < hlen + q.len) {
            ssize_t r = recv(c->fd, buf + len, cap - 1 - len, 0);
            if (r <= 0) {
                goto out;
            }
            len += (size_t)r;
        }
        q.body = malloc(q.len + 1);
        memcpy(q.body, buf + hlen, q.len);
        q.body[q.len] = '\0';
        pthread_mutex_lock(&s->mu);
        if (s->nreq < MAXREQ) {
            s->reqs[s->nreq++] = q;
        } else {
            s->overflow = 1;
            free(q.body);
            q.body = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        int keep = q.body ? answer(c->fd, q.body) : -1;
        memmove(buf, buf + hlen + q.len, len - hlen - q.len);
        len -= hlen + q.len;
        if (keep < 0) {
            break;
        }
    }
out:
    free(buf);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    struct srv *s = arg;
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        pthread_mutex_lock(&s->mu);
        if (s->stopping) {
            pthread_mutex_unlock(&s->mu);
            if (fd >= 0) {
                close(fd);
            }
            return NULL;
        }
        if (fd >= 0 && s->nconn == MAXCONN) {
            s->overflow = 1;
            close(fd);
        } else if (fd >= 0) {
            struct conn *c = malloc(sizeof(*c));
            c->srv = s;
            c->fd = fd;
            c->id = s->nconn;
            s->fds[s->nconn] = fd;
            if (pthread_create(&s->threads[s->nconn], NULL, conn_main, c) == 0) {
                s->nconn++;
            } else {
                s->overflow = 1;
                close(fd);
                free(c);
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
}

static int loopback_socket(int *port)
{
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static struct srv *srv_start(void)
{
    struct srv *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = loopback_socket(&s->port);
    assert_int_equal(listen(s->lfd, 64), 0);
    assert_int_equal(pthread_create(&s->accepter, NULL, accept_main, s), 0);
    return s;
}

static void srv_stop(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_mutex_unlock(&s->mu);
    shutdown(s->lfd, SHUT_RDWR); /* wakes accept() */
    pthread_join(s->accepter, NULL);
    close(s->lfd);
    for (int i = 0; i < s->nconn; i++) {
        pthread_mutex_lock(&s->mu);
        if (s->fds[i] >= 0) {
            shutdown(s->fds[i], SHUT_RDWR); /* wakes a connection thread still reading */
        }
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->threads[i], NULL);
        if (s->fds[i] >= 0) {
            close(s->fds[i]);
        }
    }
    for (int i = 0; i < s->nreq; i++) {
        free(s->reqs[i].body);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* What the server has seen so far, read under its lock. */
static int srv_nreq(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nreq;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int srv_nconn(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nconn;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* How many recorded requests carry exactly this body. */
static int srv_count_body(struct srv *s, const char *body)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->nreq; i++) {
        if (s->reqs[i].len == strlen(body) && !memcmp(s->reqs[i].body, body, s->reqs[i].len)) {
            n++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

static struct sw_httpsend *open_sender(struct srv *s, const char *path, int connections,
                                       long timeout_s)
{
    char url[96];
    struct sw_httpsend *h = NULL;
    struct sw_error err = SW_ERROR_INIT;
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
    struct sw_http_config cfg = {url, connections, timeout_s};
    assert_int_equal(sw_httpsend_open(&cfg, &h, &err), 0);
    sw_error_release(&err);
    return h;
}

static void set_msg(struct sw_http_msg *m, const char *body)
{
    memset(m, 0, sizeof(*m));
    m->body = body;
    m->len = strlen(body);
    m->outcome = (enum sw_send_outcome)99; /* so that "not classified" cannot pass */
    m->code = -1;
    m->retry_after_s = -1;
}

struct expect {
    const char *tag;
    enum sw_send_outcome outcome;
    long code;
    long retry_after_s;
    const char *error; /* exact text, or NULL when only "non-empty unless sent" is checked */
};

static const struct expect script[] = {
    {"200", SW_SEND_SENT, 200, 0, ""},
    {"429", SW_SEND_TEMPORARY, 429, 3, "HTTP 429"},
    {"503", SW_SEND_TEMPORARY, 503, 0, "HTTP 503"},
    {"400", SW_SEND_PERMANENT, 400, 0, "HTTP 400: {\"error\":\"invalid number\"}"},
    {"close", SW_SEND_UNKNOWN, 0, 0, NULL},
    {"ok", SW_SEND_SENT, 200, 0, ""}, /* any other tag is a 200: on a new connection */
    {"301", SW_SEND_PERMANENT, 301, 0, "HTTP 301"},
    {"503date", SW_SEND_TEMPORARY, 503, 0, "HTTP 503"}, /* HTTP-date form: not parsed */
    {"close", SW_SEND_UNKNOWN, 0, 0, NULL},
    {"429", SW_SEND_TEMPORARY, 429, 3, "HTTP 429"},
};
#define NSCRIPT (sizeof(script) / sizeof(script[0]))

/* The script through `connections` slots: each message's outcome, and each body received
 * exactly once, as a POST of application/json to the configured path. */
static void run_script(int connections)
{
    struct srv *s = srv_start();
    struct sw_httpsend *h = open_sender(s, "/v1/sms", connections, 10);
    struct sw_http_msg msgs[NSCRIPT];
    char bodies[NSCRIPT][128];
    for (size_t i = 0; i < NSCRIPT; i++) {
        (void)snprintf(bodies[i], sizeof(bodies[i]),
                       "{\"to\":\"+3361234%04zu\",\"text\":\"Été %zu\",\"t\":\"%s\"}", i, i,
                       script[i].tag);
        set_msg(&msgs[i], bodies[i]);
    }
    sw_httpsend_batch(h, msgs, NSCRIPT);
    sw_httpsend_close(h);
    for (size_t i = 0; i < NSCRIPT; i++) {
        const struct expect *e = &script[i];
        const struct sw_http_msg *m = &msgs[i];
        if (m->outcome != e->outcome || m->code != e->code ||
            m->retry_after_s != e->retry_after_s || (e->error && strcmp(m->error, e->error) != 0) ||
            (!e->error && !m->error[0])) {
            fail_msg("message %zu (%s): outcome %d code %ld retry_after %ld error \"%s\"", i,
                     e->tag, m->outcome, m->code, m->retry_after_s, m->error);
        }
        if (srv_count_body(s, bodies[i]) != 1) {
            fail_msg("message %zu (%s) received %d times", i, e->tag, srv_count_body(s, bodies[i]));
        }
    }
    assert_int_equal(srv_nreq(s), NSCRIPT);
    for (int i = 0; i < s->nreq; i++) {
        assert_string_equal(s->reqs[i].method, "POST");
        assert_string_equal(s->reqs[i].path, "/v1/sms");
        assert_string_equal(s->reqs[i].ctype, "application/json");
    }
    /* Kept alive: one connection per slot, plus, for each "close" on a reused connection,
     * the one libcurl opens to retry (given up before anything is sent, see httpsend.c)
     * and the one that replaces it. */
    assert_true(srv_nconn(s) <= connections + 2 * 2);
    if (connections == 1) {
        for (int i = 1; i < 5; i++) {
            assert_int_equal(s->reqs[i].conn, s->reqs[0].conn);
        }
        for (int i = 6; i < 9; i++) {
            assert_int_equal(s->reqs[i].conn, s->reqs[5].conn);
        }
        assert_int_not_equal(s->reqs[5].conn, s->reqs[0].conn);
    }
    srv_stop(s);
}

static void test_outcomes_one_connection(void **state)
{
    (void)state;
    run_script(1);
}

static void test_outcomes_three_connections(void **state)
{
    (void)state;
    run_script(3);
}

/* In order on one connection: the first five requests share it, the one after a close gets a
 * new one. The "close" after a 200 also exercises libcurl's own retry of a request that died
 * on a reused connection, which must not send the message a second time. */
static void test_keepalive_then_close(void **state)
{
    (void)state;
    struct srv *s = srv_start();
    struct sw_httpsend *h = open_sender(s, "/", 1, 10);
    struct sw_http_msg msgs[4];
    const char *bodies[4] = {"{\"i\":0}", "{\"i\":1,\"t\":\"close\"}", "{\"i\":2}", "{\"i\":3}"};
    for (int i = 0; i < 4; i++) {
        set_msg(&msgs[i], bodies[i]);
    }
    sw_httpsend_batch(h, msgs, 4);
    assert_int_equal(msgs[0].outcome, SW_SEND_SENT);
    assert_int_equal(msgs[1].outcome, SW_SEND_UNKNOWN);
    assert_int_equal(msgs[1].code, 0);
    assert_string_equal(msgs[1].error,
                        "no answer after the request was sent: the reused connection was closed");
    assert_int_equal(msgs[2].outcome, SW_SEND_SENT);
    assert_int_equal(msgs[3].outcome, SW_SEND_SENT);
    assert_int_equal(srv_nreq(s), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(srv_count_body(s, bodies[i]), 1);
    }
    /* libcurl 7.88 opens a second connection to resend message 1 and gives up before
     * sending (the body cannot be rewound): message 2 may come on the third. */
    assert_int_equal(s->reqs[0].conn, 0);
    assert_int_equal(s->reqs[1].conn, 0);
    assert_true(s->reqs[2].conn >= 1);
    assert_int_equal(s->reqs[3].conn, s->reqs[2].conn);
    assert_true(srv_nconn(s) <= 3);
    sw_httpsend_close(h);
    srv_stop(s);
}

/* 200 messages through 4 slots: all sent, each body received exactly once, never more than 4
 * connections; a second batch on the same sender opens none. */
static void test_parallel_exactly_once(void **state)
{
    (void)state;
    enum { N = 200 };
    static char bodies[N][96];
    static struct sw_http_msg msgs[N];
    struct srv *s = srv_start();
    struct sw_httpsend *h = open_sender(s, "/push", 4, 30);
    for (int i = 0; i < N; i++) {
        (void)snprintf(bodies[i], sizeof(bodies[i]),
                       "{\"token\":\"device-%d\",\"title\":\"Hi\",\"n\":%d}", i, i);
        set_msg(&msgs[i], bodies[i]);
    }
    sw_httpsend_batch(h, msgs, N);
    for (int i = 0; i < N; i++) {
        if (msgs[i].outcome != SW_SEND_SENT || msgs[i].code != 200 || msgs[i].error[0]) {
            fail_msg("message %d: outcome %d code %ld (%s)", i, msgs[i].outcome, msgs[i].code,
                     msgs[i].error);
        }
    }
    assert_int_equal(srv_nreq(s), N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(srv_count_body(s, bodies[i]), 1);
    }
    int conns = srv_nconn(s);
    assert_true(conns >= 2); /* in parallel */
    assert_true(conns <= 4); /* and reused */
    for (int i = 0; i < N; i++) {
        set_msg(&msgs[i], bodies[i]);
    }
    sw_httpsend_batch(h, msgs, 50);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(msgs[i].outcome, SW_SEND_SENT);
    }
    assert_int_equal(srv_nreq(s), N + 50);
    assert_int_equal(srv_nconn(s), conns);
    sw_httpsend_close(h);
    srv_stop(s);
}

/* A body of several megabytes arrives intact (read callback, no Expect: 100-continue); cut
 * while it is still being sent, it is temporary: the provider cannot have accepted half a
 * request. */
static void test_large_body(void **state)
{
    (void)state;
    size_t len = 16u << 20;
    char *body = malloc(len + 1);
    assert_non_null(body);
    memset(body, 'x', len);
    memcpy(body, "{\"pad\":\"", 8);
    memcpy(body + len - 2, "\"}", 3);
    struct srv *s = srv_start();
    struct sw_httpsend *h = open_sender(s, "/", 1, 30);
    struct sw_http_msg m;
    set_msg(&m, body);
    sw_httpsend_batch(h, &m, 1);
    assert_int_equal(m.outcome, SW_SEND_SENT);
    assert_int_equal(srv_count_body(s, body), 1);
    sw_httpsend_close(h);

    h = open_sender(s, "/early-close", 1, 30);
    set_msg(&m, body);
    sw_httpsend_batch(h, &m, 1);
    if (m.outcome != SW_SEND_TEMPORARY || m.code != 0 || !m.error[0]) {
        fail_msg("cut upload: outcome %d code %ld (%s)", m.outcome, m.code, m.error);
    }
    sw_httpsend_close(h);
    srv_stop(s);
    free(body);
}

/* Sent in full, never answered: unknown once the timeout passes. */
static void test_timeout_after_send_is_unknown(void **state)
{
    (void)state;
    struct srv *s = srv_start();
    struct sw_httpsend *h = open_sender(s, "/", 1, 1);
    struct sw_http_msg m;
    set_msg(&m, "{\"t\":\"hang\"}");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sw_httpsend_batch(h, &m, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(m.outcome, SW_SEND_UNKNOWN);
    assert_int_equal(m.code, 0);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    assert_int_equal(srv_count_body(s, "{\"t\":\"hang\"}"), 1);
    sw_httpsend_close(h);
    srv_stop(s);
}

/* Nobody listening (a bound port with no listen()): refused, temporary, with a reason. */
static void test_refused_is_temporary(void **state)
{
    (void)state;
    int port;
    int fd = loopback_socket(&port);
    char url[64];
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/sms", port);
    struct sw_http_config cfg = {url, 2, 5};
    struct sw_httpsend *h = NULL;
    assert_int_equal(sw_httpsend_open(&cfg, &h, NULL), 0);
    struct sw_http_msg msgs[3];
    for (int i = 0; i < 3; i++) {
        set_msg(&msgs[i], "{\"to\":\"+33612345678\"}");
    }
    sw_httpsend_batch(h, msgs, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(msgs[i].outcome, SW_SEND_TEMPORARY);
        assert_int_equal(msgs[i].code, 0);
        assert_int_equal(msgs[i].retry_after_s, 0);
        assert_true(msgs[i].error[0] != '\0');
    }
    sw_httpsend_close(h);
    close(fd);
}

static void test_bad_url(void **state)
{
    (void)state;
    const char *bad[] = {
        "smtp://example.com", "ftp://example.com/x",
        "example.com/sms",    "",
        "http:/example.com",  NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_http_config cfg = {bad[i], 1, 5};
        struct sw_httpsend *h = (struct sw_httpsend *)&err; /* must be reset to NULL */
        assert_int_equal(sw_httpsend_open(&cfg, &h, &err), SW_EINVAL);
        assert_null(h);
        assert_non_null(err.message);
        assert_non_null(strstr(err.message, "must start with http:// or https://"));
        sw_error_release(&err);
    }
    struct sw_http_config ok = {"https://sms.example.com/v1", 0, 5};
    struct sw_httpsend *h = NULL;
    assert_int_equal(sw_httpsend_open(&ok, &h, NULL), 0);
    assert_non_null(h);
    sw_httpsend_batch(h, NULL, 0); /* nothing to do, nothing attempted */
    sw_httpsend_close(h);
    sw_httpsend_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcomes_one_connection),
        cmocka_unit_test(test_outcomes_three_connections),
        cmocka_unit_test(test_keepalive_then_close),
        cmocka_unit_test(test_parallel_exactly_once),
        cmocka_unit_test(test_large_body),
        cmocka_unit_test(test_timeout_after_send_is_unknown),
        cmocka_unit_test(test_refused_is_temporary),
        cmocka_unit_test(test_bad_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
