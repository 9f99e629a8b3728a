/*
 * util.c - checked allocation and string helpers.
 */
#include "core/util.h"
#include "core/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    fputs("stepwise: out of memory\n", stderr);
    abort();
}

void *sw_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        oom();
    }
    return p;
}

void *sw_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        oom();
    }
    return p;
}

void *sw_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        oom();
    }
    return q;
}

char *sw_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = sw_malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

char *sw_strdup_or_null(const char *s)
{
    return s ? sw_strdup(s) : NULL;
}

char *sw_strndup(const char *s, size_t n)
{
    char *p = sw_malloc(n + 1);
    if (n) {
        memcpy(p, s, n);
    }
    p[n] = '\0';
    return p;
}

char *sw_vasprintf(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        return sw_strdup("");
    }
    char *p = sw_malloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *sw_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = sw_vasprintf(fmt, ap);
    va_end(ap);
    return p;
}

bool sw_streq(const char *a, const char *b)
{
    if (!a || !b) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

int sw_parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s) {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s) {
        return -1;
    }
    *out = v;
    return 0;
}

bool sw_valid_id(const char *s)
{
    size_t n = 0;
    if (!s) {
        return false;
    }
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!(isalnum(c) || c == '_' || c == '-') || n >= 64) {
            return false;
        }
    }
    return n >= 1;
}

bool sw_valid_column_name(const char *s)
{
    size_t n = 0;
    if (!s || !(isalpha((unsigned char)s[0]))) {
        return false;
    }
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!(isalnum(c) || c == '_') || n >= 63) {
            return false;
        }
    }
    return true;
}

int sw_read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return SW_EIO;
    }
    struct sw_buf b = SW_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        sw_buf_add(&b, chunk, n);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || sw_buf_error(&b)) {
        sw_buf_release(&b);
        return SW_EIO;
    }
    *len = b.len;
    *data = sw_buf_detach(&b);
    return 0;
}

bool sw_csv_has(const char *list, const char *id)
{
    size_t n = strlen(id);
    if (!strcmp(list, "all")) {
        return true;
    }
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, id, n)) {
            return true;
        }
        p += len + (e ? 1 : 0);
    }
    return false;
}

size_t sw_edit_distance(const char *a, const char *b)
{
    enum { MAX = 64 };
    size_t n = strlen(a), m = strlen(b);
    n = n > MAX ? MAX : n;
    m = m > MAX ? MAX : m;
    size_t d[MAX + 1][MAX + 1];
    for (size_t i = 0; i <= n; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= m; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            best = d[i - 1][j] + 1 < best ? d[i - 1][j] + 1 : best;
            best = d[i][j - 1] + 1 < best ? d[i][j - 1] + 1 : best;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[n][m];
}

void sw_cond_raise(pthread_mutex_t *mu, pthread_cond_t *cv, bool *flag)
{
    pthread_mutex_lock(mu);
    *flag = true;
    pthread_cond_signal(cv);
    pthread_mutex_unlock(mu);
}
