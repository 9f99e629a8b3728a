/*
 * maildir.c - see maildir.h. Writes are synchronous: a message is complete in new/ when
 * sw_maildir_submit returns, and sw_maildir_poll hands the finished messages back after one
 * fsync of new/ for all of them (one directory sync per poll instead of one per message).
 */
#include "channels/maildir.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

struct sw_maildir {
    char *dir;
    char *host; /* this host's name with '/' and ':' escaped, as the specification asks */
    int newfd;  /* new/, kept open for its fsync */
    int cap;
    struct sw_smtp_msg **queue; /* written, not yet returned by poll */
    int head, n;
    char *last; /* the last message's file in new/, for tests */
};

/* Unique within this process even when two messages share a microsecond. */
static atomic_ulong deliveries;

static int make_dir(const char *path, struct sw_error *err)
{
    struct stat st;
    if (mkdir(path, 0700) == 0) {
        return 0;
    }
    int e = errno;
    if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return 0;
    }
    return sw_error_set(err, SW_EIO, "maildir: cannot create the directory %s: %s", path,
                        strerror(e == EEXIST ? ENOTDIR : e));
}

/* mkdir -p for the Maildir itself (its parents may not exist yet, e.g. a fresh demo dir). */
static int make_dirs(const char *path, struct sw_error *err)
{
    char *p = sw_strdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && rc == 0; s++) {
        if (*s == '/' && s[-1] != '/') {
            *s = '\0';
            struct stat st;
            if (stat(p, &st) != 0) {
                rc = make_dir(p, err);
            }
            *s = '/';
        }
    }
    if (rc == 0) {
        rc = make_dir(p, err);
    }
    free(p);
    return rc;
}

static char *escaped_host(void)
{
    char h[256] = "localhost";
    if (gethostname(h, sizeof(h) - 1) != 0 || !h[0]) {
        snprintf(h, sizeof(h), "localhost");
    }
    h[sizeof(h) - 1] = '\0';
    struct sw_buf b = SW_BUF_INIT;
    for (const char *c = h; *c; c++) {
        if (*c == '/') {
            sw_buf_puts(&b, "\\057");
        } else if (*c == ':') {
            sw_buf_puts(&b, "\\072");
        } else {
            sw_buf_putc(&b, *c);
        }
    }
    return sw_buf_detach(&b);
}

int sw_maildir_open(const char *dir, int capacity, struct sw_maildir **out,
                    struct sw_error *err)
{
    static const char *const subs[] = {"tmp", "new", "cur"};
    struct sw_maildir *m = NULL;
    int rc = 0;
    *out = NULL;
    if (!dir || !*dir) {
        return sw_error_set(err, SW_EINVAL, "smtp_url maildir: needs a directory, e.g. "
                                            "maildir:outbox");
    }
    if ((rc = make_dirs(dir, err)) < 0) {
        return rc;
    }
    m = sw_calloc(1, sizeof(*m));
    m->dir = sw_strdup(dir);
    m->newfd = -1;
    m->cap = capacity > 0 ? capacity : 1;
    m->queue = sw_calloc((size_t)m->cap, sizeof(*m->queue));
    m->host = escaped_host();
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]) && rc == 0; i++) {
        char *p = sw_asprintf("%s/%s", dir, subs[i]);
        rc = make_dir(p, err);
        free(p);
    }
    if (rc < 0) {
        goto out;
    }
    char *newdir = sw_asprintf("%s/new", dir);
    m->newfd = open(newdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = errno;
    free(newdir);
    if (m->newfd < 0) {
        rc = sw_error_set(err, SW_EIO, "maildir: cannot open %s/new: %s", dir, strerror(e));
        goto out;
    }
    /* Fail now, naming the directory, rather than defer every message later. */
    char *probe = sw_asprintf("%s/tmp/.stepwise-probe.%ld", dir, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    e = errno;
    if (fd >= 0) {
        close(fd);
        unlink(probe);
    }
    free(probe);
    if (fd < 0) {
        rc = sw_error_set(err, SW_EIO, "maildir: cannot write in %s/tmp: %s", dir, strerror(e));
        goto out;
    }
    *out = m;
    m = NULL;
out:
    sw_maildir_close(m);
    return rc;
}

void sw_maildir_close(struct sw_maildir *m)
{
    if (!m) {
        return;
    }
    if (m->newfd >= 0) {
        close(m->newfd);
    }
    free(m->queue);
    free(m->last);
    free(m->host);
    free(m->dir);
    free(m);
}

int sw_maildir_idle(const struct sw_maildir *m) { return m->cap - m->n; }

int sw_maildir_in_flight(const struct sw_maildir *m) { return m->n; }

const char *sw_maildir_last_path(const struct sw_maildir *m) { return m->last ? m->last : ""; }

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static void failed(struct sw_smtp_msg *msg, const char *what, const char *path, int e)
{
    /* Temporary with no reply code: the outbox is unavailable (an outage), not this
     * message's fault, so the row waits without using an attempt. */
    msg->outcome = SW_SEND_TEMPORARY;
    msg->code = 0;
    /* The end of the path (its unique name) is kept when the error is cut. */
    size_t n = strlen(path);
    snprintf(msg->error, sizeof(msg->error), "maildir: cannot %s %s%.80s: %s", what,
             n > 80 ? "..." : "", n > 80 ? path + n - 80 : path, strerror(e));
}

/* Write the message to tmp/NAME, sync it, and rename it to new/NAME. 0, or -1 with msg's
 * outcome set and tmp/ left clean. */
static int deliver(struct sw_maildir *m, struct sw_smtp_msg *msg)
{
    char *name = NULL, *tmp = NULL, *dst = NULL;
    struct timeval tv;
    int fd = -1, e = 0;
    for (int tries = 0;; tries++) {
        gettimeofday(&tv, NULL);
        unsigned long q = atomic_fetch_add(&deliveries, 1);
        free(name);
        free(tmp);
        name = sw_asprintf("%lld.M%06ldP%ldQ%lu.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
                           (long)getpid(), q, m->host);
        tmp = sw_asprintf("%s/tmp/%s", m->dir, name);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST || tries >= 3) {
            break;
        }
    }
    if (fd < 0) {
        failed(msg, "create", tmp, errno);
        e = -1;
        goto out;
    }
    if (write_all(fd, msg->data, msg->len) < 0) {
        e = errno ? errno : EIO;
        failed(msg, "write", tmp, e);
    } else if (fsync(fd) < 0) {
        e = errno;
        failed(msg, "sync", tmp, e);
    }
    if (close(fd) < 0 && !e) {
        e = errno;
        failed(msg, "write", tmp, e);
    }
    dst = sw_asprintf("%s/new/%s", m->dir, name);
    if (!e && rename(tmp, dst) < 0) {
        e = errno;
        failed(msg, "move into new/", tmp, e);
    }
    if (e) {
        unlink(tmp);
        goto out;
    }
    free(m->last);
    m->last = dst;
    dst = NULL;
out:
    free(name);
    free(tmp);
    free(dst);
    return e ? -1 : 0;
}

int sw_maildir_submit(struct sw_maildir *m, struct sw_smtp_msg *msg)
{
    if (m->n >= m->cap) {
        return -1;
    }
    msg->code = 0;
    msg->error[0] = '\0';
    msg->outcome = SW_SEND_SENT; /* once new/ is synced, in poll */
    (void)deliver(m, msg);
    m->queue[(m->head + m->n++) % m->cap] = msg;
    return 0;
}

size_t sw_maildir_poll(struct sw_maildir *m, struct sw_smtp_msg **done, size_t max)
{
    if (m->n == 0 || max == 0) {
        return 0;
    }
    /* One sync of new/ makes every rename so far durable. */
    int synced = fsync(m->newfd) == 0;
    int e = errno;
    size_t k = 0;
    while (k < max && m->n > 0) {
        struct sw_smtp_msg *msg = m->queue[m->head];
        m->head = (m->head + 1) % m->cap;
        m->n--;
        if (!synced && msg->outcome == SW_SEND_SENT) {
            msg->outcome = SW_SEND_UNKNOWN;
            snprintf(msg->error, sizeof(msg->error), "maildir: cannot sync %s/new: %s", m->dir,
                     strerror(e));
        }
        done[k++] = msg;
    }
    return k;
}
