/*
 * test_maildir.c - the file outbox (src/channels/maildir.c) on a real file system, directly
 * and through the SMTP sender interface (smtp_url = maildir:DIR): every message becomes one
 * complete file in new/ with a unique name, tmp/ is empty afterwards, a write that fails
 * leaves nothing behind and says where, and a directory that cannot be used is refused with
 * its path in the error.
 */
#include "testutil.h"

#include "channels/maildir.h"
#include "channels/smtp.h"
#include "core/util.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmpdir(void)
{
    char tpl[] = "/tmp/sw-maildir-XXXXXX";
    assert_non_null(mkdtemp(tpl));
    return sw_strdup(tpl);
}

static void rm_rf(const char *path)
{
    char *cmd = sw_asprintf("rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

/* The names in dir (not . or ..), malloc'd; *n their count. */
static char **list(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char **names = NULL;
    size_t k = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            continue;
        }
        names = realloc(names, (k + 1) * sizeof(*names));
        names[k++] = sw_strdup(e->d_name);
    }
    closedir(d);
    *n = k;
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

static size_t count(const char *dir)
{
    size_t n = 0;
    char **names = list(dir, &n); /* before free_list reads n */
    free_list(names, n);
    return n;
}

static char *message(int i)
{
    return sw_asprintf("From: shop@example.com\r\nTo: user%d@example.org\r\n"
                       "Message-ID: <%d.test@stepwise>\r\nSubject: n%d\r\n\r\n"
                       "Hello %d\r\n.\r\nA line that starts with a dot stays as it is.\r\n",
                       i, i, i, i);
}

/* Every file in dir/new is one of the n messages, each exactly once, byte for byte. */
static void check_files(const char *dir, int n)
{
    char *newdir = sw_asprintf("%s/new", dir), *tmp = sw_asprintf("%s/tmp", dir);
    size_t k = 0;
    char **names = list(newdir, &k);
    assert_int_equal(k, (size_t)n);
    int *seen = sw_calloc((size_t)n, sizeof(*seen));
    for (size_t i = 0; i < k; i++) {
        /* the Maildir name: time.MusecPpidQn.host, no '/' or ':' */
        assert_non_null(strstr(names[i], ".M"));
        assert_non_null(strstr(names[i], "P"));
        assert_null(strchr(names[i], ':'));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(names[i], names[j]);
        }
        char *path = sw_asprintf("%s/%s", newdir, names[i]), *text = NULL;
        size_t len = 0;
        assert_int_equal(sw_read_file(path, &text, &len), 0);
        int id = -1;
        const char *to = strstr(text, "To: user");
        assert_non_null(to);
        assert_int_equal(sscanf(to, "To: user%d@", &id), 1);
        assert_true(id >= 0 && id < n);
        assert_int_equal(seen[id], 0);
        seen[id] = 1;
        char *want = message(id);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(text, want, len);
        free(want);
        free(text);
        free(path);
    }
    assert_int_equal(count(tmp), 0); /* tmp/ is empty after */
    free(seen);
    free_list(names, k);
    free(newdir);
    free(tmp);
}

/* Submit n messages, polling whenever the outbox is full, as the delivery activity does. */
static void send_all(struct sw_maildir *m, struct sw_smtp_msg *msgs, int n)
{
    struct sw_smtp_msg *done[64];
    int next = 0, finished = 0;
    while (finished < n) {
        while (next < n && sw_maildir_idle(m) > 0) {
            assert_int_equal(sw_maildir_submit(m, &msgs[next++]), 0);
        }
        assert_int_equal(sw_maildir_idle(m) == 0 || next == n, 1);
        finished += (int)sw_maildir_poll(m, done, 64);
    }
    assert_int_equal(sw_maildir_in_flight(m), 0);
}

static void test_writes_complete_unique_files(void **state)
{
    (void)state;
    char *root = tmpdir();
    char *dir = sw_asprintf("%s/a/b/outbox", root); /* parents are created too */
    struct sw_maildir *m = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_maildir_open(dir, 4, &m, &err), 0);
    enum { N = 50 };
    struct sw_smtp_msg msgs[N];
    char *data[N];
    for (int i = 0; i < N; i++) {
        data[i] = message(i);
        msgs[i] = (struct sw_smtp_msg){.from = "shop@example.com", .to = "x@example.org",
                                       .data = data[i], .len = strlen(data[i])};
    }
    send_all(m, msgs, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(msgs[i].outcome, SW_SEND_SENT);
        assert_string_equal(msgs[i].error, "");
        free(data[i]);
    }
    assert_non_null(strstr(sw_maildir_last_path(m), "/new/"));
    sw_maildir_close(m);
    check_files(dir, N);
    char *cur = sw_asprintf("%s/cur", dir);
    struct stat st;
    assert_int_equal(stat(cur, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(cur);
    sw_error_release(&err);
    rm_rf(root);
    free(dir);
    free(root);
}

/* Through the SMTP sender interface, as the delivery activity uses it. */
static void test_smtp_url_scheme(void **state)
{
    (void)state;
    char *root = tmpdir();
    char *url = sw_asprintf("maildir:%s/box", root), *dir = sw_asprintf("%s/box", root);
    struct sw_error err = SW_ERROR_INIT;
    enum { N = 30 };
    struct sw_smtp_msg msgs[N + 1];
    char *data[N];
    for (int i = 0; i < N; i++) {
        data[i] = message(i);
        msgs[i] = (struct sw_smtp_msg){.from = "shop@example.com", .to = "x@example.org",
                                       .data = data[i], .len = strlen(data[i])};
    }
    /* an envelope address that could extend an SMTP command is refused here too */
    msgs[N] = (struct sw_smtp_msg){.from = "shop@example.com", .to = "a@b.c\r\nRCPT TO:<x@y>",
                                   .data = "x", .len = 1};
    struct sw_smtp_config cfg = {url, 2, 10, false};
    assert_int_equal(sw_smtp_send(&cfg, msgs, N + 1, &err), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(msgs[i].outcome, SW_SEND_SENT);
        free(data[i]);
    }
    assert_int_equal(msgs[N].outcome, SW_SEND_PERMANENT);
    check_files(dir, N);
    struct sw_smtp *s = NULL;
    assert_int_equal(sw_smtp_open(&cfg, &s, &err), 0);
    assert_false(sw_smtp_pipelined(s));
    assert_true(sw_smtp_idle(s) >= 2);
    sw_smtp_close(s);
    /* an unknown scheme is refused, naming the accepted ones */
    struct sw_smtp_config bad = {"file:/tmp/x", 1, 10, false};
    assert_int_equal(sw_smtp_open(&bad, &s, &err), SW_EINVAL);
    assert_non_null(strstr(err.message, "maildir:"));
    assert_null(s);
    sw_error_release(&err);
    rm_rf(root);
    free(url);
    free(dir);
    free(root);
}

static void test_bad_directory(void **state)
{
    (void)state;
    char *root = tmpdir();
    char *file = sw_asprintf("%s/plain-file", root);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("not a directory\n", f);
    fclose(f);
    struct sw_maildir *m = NULL;
    struct sw_error err = SW_ERROR_INIT;
    /* the Maildir path is a file */
    assert_true(sw_maildir_open(file, 1, &m, &err) < 0);
    assert_null(m);
    assert_non_null(strstr(err.message, file));
    assert_non_null(strstr(err.message, "Not a directory"));
    sw_error_release(&err);
    /* under a file */
    char *under = sw_asprintf("%s/box", file);
    assert_true(sw_maildir_open(under, 1, &m, &err) < 0);
    assert_null(m);
    assert_non_null(strstr(err.message, file));
    sw_error_release(&err);
    /* its tmp/ is a file */
    char *box = sw_asprintf("%s/box2", root), *boxtmp = sw_asprintf("%s/box2/tmp", root);
    assert_int_equal(mkdir(box, 0700), 0);
    f = fopen(boxtmp, "w");
    assert_non_null(f);
    fclose(f);
    assert_true(sw_maildir_open(box, 1, &m, &err) < 0);
    assert_non_null(strstr(err.message, boxtmp));
    sw_error_release(&err);
    /* no directory at all */
    assert_int_equal(sw_maildir_open("", 1, &m, &err), SW_EINVAL);
    sw_error_release(&err);
    struct sw_smtp *s = NULL;
    struct sw_smtp_config cfg = {"maildir:", 1, 10, false};
    assert_int_equal(sw_smtp_open(&cfg, &s, &err), SW_EINVAL);
    assert_null(s);
    sw_error_release(&err);
    rm_rf(root);
    free(box);
    free(boxtmp);
    free(under);
    free(file);
    free(root);
}

/* The directory disappears after opening: the message is temporary with no reply code
 * (an outage: the row waits without using an attempt), the error names the file, and
 * nothing is left behind. */
static void test_write_failure_leaves_nothing(void **state)
{
    (void)state;
    char *root = tmpdir();
    char *dir = sw_asprintf("%s/box", root);
    struct sw_maildir *m = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_maildir_open(dir, 2, &m, &err), 0);
    char *tmp = sw_asprintf("%s/tmp", dir);
    assert_int_equal(rmdir(tmp), 0);
    char *data = message(1);
    struct sw_smtp_msg msg = {.from = "a@b.c", .to = "d@e.f", .data = data, .len = strlen(data)};
    struct sw_smtp_msg *done[2];
    assert_int_equal(sw_maildir_submit(m, &msg), 0);
    assert_int_equal(sw_maildir_poll(m, done, 2), 1);
    assert_ptr_equal(done[0], &msg);
    assert_int_equal(msg.outcome, SW_SEND_TEMPORARY);
    assert_int_equal(msg.code, 0);
    assert_non_null(strstr(msg.error, "/tmp/"));
    assert_non_null(strstr(msg.error, "No such file"));
    char *newdir = sw_asprintf("%s/new", dir);
    assert_int_equal(count(newdir), 0);
    /* back again: the next message goes through */
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(sw_maildir_submit(m, &msg), 0);
    assert_int_equal(sw_maildir_poll(m, done, 2), 1);
    assert_int_equal(msg.outcome, SW_SEND_SENT);
    assert_int_equal(count(newdir), 1);
    assert_int_equal(count(tmp), 0);
    sw_maildir_close(m);
    rm_rf(root);
    free(newdir);
    free(data);
    free(tmp);
    free(dir);
    free(root);
}

struct writer {
    const char *dir;
    int first, n;
};

static void *write_some(void *ud)
{
    struct writer *w = ud;
    struct sw_maildir *m = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_maildir_open(w->dir, 8, &m, &err) < 0) {
        return (void *)1;
    }
    struct sw_smtp_msg *msgs = sw_calloc((size_t)w->n, sizeof(*msgs));
    char **data = sw_calloc((size_t)w->n, sizeof(*data));
    struct sw_smtp_msg *done[8];
    void *bad = NULL;
    for (int i = 0; i < w->n; i++) {
        data[i] = message(w->first + i);
        msgs[i] = (struct sw_smtp_msg){.from = "a@b.c", .to = "d@e.f", .data = data[i],
                                       .len = strlen(data[i])};
        while (sw_maildir_submit(m, &msgs[i]) < 0) {
            sw_maildir_poll(m, done, 8);
        }
    }
    while (sw_maildir_in_flight(m) > 0) {
        sw_maildir_poll(m, done, 8);
    }
    for (int i = 0; i < w->n; i++) {
        bad = msgs[i].outcome == SW_SEND_SENT ? bad : (void *)1;
        free(data[i]);
    }
    free(data);
    free(msgs);
    sw_maildir_close(m);
    return bad;
}

/* Two senders in one process (two activities of the daemon) on the same Maildir, in the
 * same microseconds: the names stay unique. */
static void test_concurrent_senders_unique_names(void **state)
{
    (void)state;
    char *root = tmpdir();
    char *dir = sw_asprintf("%s/box", root);
    enum { PER = 150 };
    struct writer w[2] = {{dir, 0, PER}, {dir, PER, PER}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, write_some, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    check_files(dir, 2 * PER);
    rm_rf(root);
    free(dir);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_complete_unique_files),
        cmocka_unit_test(test_smtp_url_scheme),
        cmocka_unit_test(test_bad_directory),
        cmocka_unit_test(test_write_failure_leaves_nothing),
        cmocka_unit_test(test_concurrent_senders_unique_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
