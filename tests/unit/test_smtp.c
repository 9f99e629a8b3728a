/*
 * test_smtp.c - the SMTP sender against a real peer: Postfix's smtp-sink, started by the test
 * on a free loopback port, accepting, soft-rejecting (4xx) or hard-rejecting (5xx), and a port
 * where nothing listens. Messages are built with the MIME builder; the sink's dump files are
 * read back to check that every recipient got exactly one message. A scripted server in a
 * thread breaks sessions where smtp-sink cannot. ctest runs this file twice: as is (the
 * pipelined path, smtp_pipe.c) and with STEPWISE_SMTP_PIPELINING=0, which this file turns into
 * the setting smtp_pipelining = off (no_pipelining: libcurl) of every sender it opens.
 */
#include "testutil.h"

#include "channels/mime.h"
#include "channels/smtp.h"
#include "core/error.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <strings.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SINK "/usr/sbin/smtp-sink"

/* The run of this file that ctest makes with STEPWISE_SMTP_PIPELINING=0: the libcurl path. */
static bool libcurl_only(void)
{
    const char *pl = getenv("STEPWISE_SMTP_PIPELINING");
    return pl && !strcmp(pl, "0");
}

static int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static int can_connect(int port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

struct sink {
    pid_t pid;
    int port;
    char dir[64];
};

/* smtp-sink with extra options (e.g. "-r", "rcpt"), dumping each message into a temp dir. */
static void sink_start(struct sink *s, const char *opt, const char *arg)
{
    if (access(SINK, X_OK) != 0) {
        skip();
    }
    snprintf(s->dir, sizeof(s->dir), "/tmp/sw_sink_XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    chmod(s->dir, 0777); /* smtp-sink writes as nobody */
    s->port = free_port();
    char tmpl[96], addr[32];
    snprintf(tmpl, sizeof(tmpl), "%s/%%M.", s->dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", s->port);
    s->pid = fork();
    if (s->pid == 0) {
        /* not ctest's pipes: a sink a failed test leaves behind must not hold ctest up */
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (opt) {
            execl(SINK, "smtp-sink", "-u", "nobody", opt, arg, "-d", tmpl, addr, "100", (char *)NULL);
        } else {
            execl(SINK, "smtp-sink", "-u", "nobody", "-d", tmpl, addr, "100", (char *)NULL);
        }
        _exit(127);
    }
    for (int i = 0; i < 300 && !can_connect(s->port); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(can_connect(s->port));
}

static void sink_stop(struct sink *s)
{
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    assert_int_equal(system(cmd), 0);
}

/* Files in the dump dir, and how many of them name each recipient exactly once. */
static int count_dumps(const char *dir, int nrcpt, int *per_rcpt)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    memset(per_rcpt, 0, sizeof(int) * (size_t)nrcpt);
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[512], *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (sw_read_file(path, &text, &len) == 0) {
            files++;
            for (int i = 0; i < nrcpt; i++) {
                char want[64];
                snprintf(want, sizeof(want), "X-Rcpt-Args: <user%d@example.com>", i);
                if (strstr(text, want)) {
                    per_rcpt[i]++;
                }
            }
            free(text);
        }
    }
    if (d) {
        closedir(d);
    }
    return files;
}

/* The sink writes its files as the session ends: wait up to 2 s for n of them. */
static int wait_dumps(const char *dir, int n, int *per_rcpt)
{
    int files = 0;
    for (int t = 0; t < 200 && (files = count_dumps(dir, n, per_rcpt)) < n; t++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return files;
}

#define N 40

static void build(struct sw_smtp_msg *msgs, struct sw_buf *bufs, char (*to)[64])
{
    for (int i = 0; i < N; i++) {
        char mid[64];
        struct sw_error err = SW_ERROR_INIT;
        snprintf(to[i], 64, "user%d@example.com", i);
        snprintf(mid, sizeof(mid), "<1.mail.%d@stepwise.test>", i);
        struct sw_mime_msg m = {.from = "shop@example.com", .to = to[i], .subject = "Été soldes",
                                .text = "Hello\nSee you", .message_id = mid,
                                .date_ms = 1795939200000LL};
        sw_buf_init(&bufs[i]);
        assert_int_equal(sw_mime_build(&m, &bufs[i], &err), 0);
        memset(&msgs[i], 0, sizeof(msgs[i]));
        msgs[i].from = "shop@example.com";
        msgs[i].to = to[i];
        msgs[i].data = bufs[i].data;
        msgs[i].len = bufs[i].len;
        sw_error_release(&err);
    }
}

static void release(struct sw_buf *bufs)
{
    for (int i = 0; i < N; i++) {
        sw_buf_release(&bufs[i]);
    }
}

static void test_sent_once_each(void **state)
{
    (void)state;
    struct sink s;
    struct sw_smtp_msg msgs[N];
    struct sw_buf bufs[N];
    char to[N][64], url[64];
    int per[N];
    sink_start(&s, NULL, NULL);
    build(msgs, bufs, to);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", s.port);
    struct sw_smtp_config cfg = {url, 4, 30, libcurl_only()};
    assert_int_equal(sw_smtp_send(&cfg, msgs, N, NULL), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(msgs[i].outcome, SW_SEND_SENT);
    }
    assert_int_equal(wait_dumps(s.dir, N, per), N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(per[i], 1);
    }
    release(bufs);
    sink_stop(&s);
}

static void expect_all(const char *opt, const char *arg, enum sw_send_outcome want, long lo,
                       long hi)
{
    struct sink s;
    struct sw_smtp_msg msgs[N];
    struct sw_buf bufs[N];
    char to[N][64], url[64];
    sink_start(&s, opt, arg);
    build(msgs, bufs, to);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", s.port);
    struct sw_smtp_config cfg = {url, 2, 30, libcurl_only()};
    assert_int_equal(sw_smtp_send(&cfg, msgs, N, NULL), 0);
    for (int i = 0; i < N; i++) {
        if (msgs[i].outcome != want || msgs[i].code < lo || msgs[i].code > hi) {
            fail_msg("message %d: outcome %d code %ld (%s)", i, msgs[i].outcome, msgs[i].code,
                     msgs[i].error);
        }
    }
    release(bufs);
    sink_stop(&s);
}

static void test_soft_reject_is_temporary(void **state)
{
    (void)state;
    expect_all("-r", "rcpt", SW_SEND_TEMPORARY, 400, 499);
}

static void test_hard_reject_is_permanent(void **state)
{
    (void)state;
    expect_all("-f", "data", SW_SEND_PERMANENT, 500, 599);
}

static void test_nobody_listening_is_temporary(void **state)
{
    (void)state;
    struct sw_smtp_msg msg = {.from = "a@example.com", .to = "b@example.com", .data = "x\r\n", .len = 3};
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", free_port());
    struct sw_smtp_config cfg = {url, 1, 5, libcurl_only()};
    assert_int_equal(sw_smtp_send(&cfg, &msg, 1, NULL), 0);
    assert_int_equal(msg.outcome, SW_SEND_TEMPORARY);
    assert_true(msg.error[0] != '\0');
    struct sw_error err = SW_ERROR_INIT;
    struct sw_smtp_config bad = {"http://example.com", 1, 5, false};
    assert_int_equal(sw_smtp_send(&bad, &msg, 1, &err), SW_EINVAL);
    sw_error_release(&err);
}

/* Lines starting with "." (and a line that is only ".") arrive intact: the content is
 * dot-stuffed on the wire, and the sink removes the stuffing. */
static void test_dot_lines_survive(void **state)
{
    (void)state;
    struct sink s;
    char url[64];
    int per[1];
    sink_start(&s, NULL, NULL);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", s.port);
    static const char data[] = "Subject: dots\r\n\r\n.line\r\n..two\r\n.\r\nend";
    struct sw_smtp_msg msg = {.from = "shop@example.com", .to = "user0@example.com",
                              .data = data, .len = sizeof(data) - 1};
    struct sw_smtp_config cfg = {url, 1, 30, libcurl_only()};
    assert_int_equal(sw_smtp_send(&cfg, &msg, 1, NULL), 0);
    assert_int_equal(msg.outcome, SW_SEND_SENT);
    assert_int_equal(wait_dumps(s.dir, 1, per), 1);
    DIR *d = opendir(s.dir);
    struct dirent *e;
    char *text = NULL;
    size_t len = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] != '.') {
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", s.dir, e->d_name);
            assert_int_equal(sw_read_file(path, &text, &len), 0);
        }
    }
    closedir(d);
    assert_non_null(text);
    /* the dump ends with the content as sent, line ends normalised by the sink */
    assert_non_null(strstr(text, "\n.line\r\n..two\r\n.\r\nend") ? text : strstr(text, "\n.line\n..two\n.\nend"));
    free(text);
    sink_stop(&s);
}

/* ---- a scripted SMTP server, for what smtp-sink cannot do: breaking a session at a chosen
 * point ---- */

enum script { CLOSE_AFTER_CONTENT, CLOSE_AT_DATA, OFFER_STARTTLS, BYE_AT_MAIL };

struct fake {
    int lfd, port;
    enum script mode;
    pthread_t th;
};

static void fake_send(int fd, const char *s)
{
    (void)!write(fd, s, strlen(s));
}

static void *fake_main(void *ud)
{
    struct fake *f = ud;
    for (int sessions = 0; sessions < 8; sessions++) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0) {
            return NULL;
        }
        char buf[65536];
        size_t len = 0;
        bool data = false;
        fake_send(fd, "220 fake ESMTP\r\n");
        for (;;) {
            ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);
            if (k <= 0) {
                break;
            }
            len += (size_t)k;
            buf[len] = '\0';
            char *nl;
            bool closed = false;
            while (!closed && (nl = strstr(buf, "\r\n"))) {
                *nl = '\0';
                char line[1024];
                snprintf(line, sizeof(line), "%.1000s", buf);
                memmove(buf, nl + 2, len - (size_t)(nl + 2 - buf) + 1);
                len = strlen(buf);
                if (data) {
                    if (!strcmp(line, ".")) {
                        data = false;
                        if (f->mode == CLOSE_AFTER_CONTENT) {
                            closed = true; /* the content is in, no reply */
                        } else {
                            fake_send(fd, "250 queued\r\n");
                        }
                    }
                } else if (!strncasecmp(line, "EHLO", 4)) {
                    fake_send(fd, f->mode == OFFER_STARTTLS
                                      ? "250-fake\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
                                      : "250-fake\r\n250 PIPELINING\r\n");
                } else if (!strncasecmp(line, "DATA", 4)) {
                    if (f->mode == CLOSE_AT_DATA) {
                        closed = true;
                    } else {
                        fake_send(fd, "354 go\r\n");
                        data = true;
                    }
                } else if (!strncasecmp(line, "MAIL", 4) && f->mode == BYE_AT_MAIL) {
                    fake_send(fd, "421 4.3.2 closing this session\r\n");
                    closed = true;
                } else if (!strncasecmp(line, "QUIT", 4)) {
                    fake_send(fd, "221 bye\r\n");
                    closed = true;
                } else if (!strncasecmp(line, "STARTTLS", 8)) {
                    fake_send(fd, "454 not really\r\n");
                } else {
                    fake_send(fd, "250 ok\r\n");
                }
            }
            if (closed) {
                break;
            }
        }
        close(fd);
    }
    return NULL;
}

static void fake_start(struct fake *f, enum script mode)
{
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);
    f->mode = mode;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->lfd, 8), 0);
    getsockname(f->lfd, (struct sockaddr *)&a, &alen);
    f->port = ntohs(a.sin_port);
    pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_stop(struct fake *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    close(f->lfd);
    pthread_join(f->th, NULL);
}

static enum sw_send_outcome send_to_fake(enum script mode, long *code)
{
    struct fake f;
    char url[64];
    static const char data[] = "Subject: x\r\n\r\nhello\r\n";
    struct sw_smtp_msg msg = {.from = "a@example.com", .to = "b@example.com", .data = data,
                              .len = sizeof(data) - 1};
    fake_start(&f, mode);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", f.port);
    struct sw_smtp_config cfg = {url, 1, 5, libcurl_only()};
    assert_int_equal(sw_smtp_send(&cfg, &msg, 1, NULL), 0);
    fake_stop(&f);
    *code = msg.code;
    return msg.outcome;
}

/* The whole content went out, then the connection broke: unknown, never resent. */
static void test_cut_after_content_is_unknown(void **state)
{
    (void)state;
    long code;
    assert_int_equal(send_to_fake(CLOSE_AFTER_CONTENT, &code), SW_SEND_UNKNOWN);
}

/* Cut before the content: the server cannot have taken the message. */
static void test_cut_before_content_is_temporary(void **state)
{
    (void)state;
    long code;
    assert_int_equal(send_to_fake(CLOSE_AT_DATA, &code), SW_SEND_TEMPORARY);
}

/* 421 to MAIL: the server closes the session; temporary, with its code. */
static void test_421_is_temporary(void **state)
{
    (void)state;
    long code = 0;
    assert_int_equal(send_to_fake(BYE_AT_MAIL, &code), SW_SEND_TEMPORARY);
    assert_int_equal(code, 421);
}

/* An address that would end or extend the SMTP command line never reaches the wire. */
static void test_envelope_injection_refused(void **state)
{
    (void)state;
    struct sink s;
    char url[64];
    int per[1];
    sink_start(&s, NULL, NULL);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", s.port);
    static const char data[] = "Subject: x\r\n\r\nhello\r\n";
    struct sw_smtp_msg msgs[3] = {
        {.from = "a@example.com", .to = "user0@example.com>\r\nRCPT TO:<evil@example.com",
         .data = data, .len = sizeof(data) - 1},
        {.from = "a@example.com\r\nRSET", .to = "user0@example.com", .data = data,
         .len = sizeof(data) - 1},
        {.from = "a@example.com", .to = "user0 @example.com", .data = data, .len = sizeof(data) - 1},
    };
    struct sw_smtp_config cfg = {url, 1, 30, libcurl_only()};
    assert_int_equal(sw_smtp_send(&cfg, msgs, 3, NULL), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(msgs[i].outcome, SW_SEND_PERMANENT);
    }
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(count_dumps(s.dir, 1, per), 0);
    sink_stop(&s);
}

/* Which path a server gets: smtp-sink (PIPELINING, no STARTTLS) the pipelined one unless the
 * setting forces libcurl (smtp_pipelining = off); a server offering STARTTLS always libcurl. */
static void test_path_choice(void **state)
{
    (void)state;
    struct sink s;
    struct fake f;
    char url[64];
    struct sw_smtp *smtp = NULL;
    bool forced_curl = libcurl_only();
    sink_start(&s, NULL, NULL);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", s.port);
    struct sw_smtp_config cfg = {url, 2, 30, libcurl_only()};
    assert_int_equal(sw_smtp_open(&cfg, &smtp, NULL), 0);
    assert_int_equal(sw_smtp_pipelined(smtp), !forced_curl);
    sw_smtp_close(smtp);
    sink_stop(&s);
    fake_start(&f, OFFER_STARTTLS);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", f.port);
    struct sw_smtp_config cfg2 = {url, 1, 5, libcurl_only()};
    assert_int_equal(sw_smtp_open(&cfg2, &smtp, NULL), 0);
    assert_false(sw_smtp_pipelined(smtp));
    sw_smtp_close(smtp);
    fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sent_once_each),
        cmocka_unit_test(test_soft_reject_is_temporary),
        cmocka_unit_test(test_hard_reject_is_permanent),
        cmocka_unit_test(test_nobody_listening_is_temporary),
        cmocka_unit_test(test_dot_lines_survive),
        cmocka_unit_test(test_cut_after_content_is_unknown),
        cmocka_unit_test(test_cut_before_content_is_temporary),
        cmocka_unit_test(test_path_choice),
        cmocka_unit_test(test_421_is_temporary),
        cmocka_unit_test(test_envelope_injection_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
