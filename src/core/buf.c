/*
 * buf.c - see buf.h.
 */
#include "core/buf.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char sw_buf_empty[1];

#define SW_BUF_DEFAULT_MAX ((size_t)1 << 30)

void sw_buf_init(struct sw_buf *b)
{
    b->data = sw_buf_empty;
    b->len = 0;
    b->cap = 0;
    b->max = 0;
    b->err = 0;
}

void sw_buf_release(struct sw_buf *b)
{
    if (b->cap) {
        free(b->data);
    }
    sw_buf_init(b);
}

void sw_buf_reset(struct sw_buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->cap) {
        b->data[0] = '\0';
    }
}

static int grow(struct sw_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : SW_BUF_DEFAULT_MAX;
    if (b->err) {
        return -1;
    }
    if (extra > max || b->len + extra + 1 > max) {
        b->err = SW_ENOMEM;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return 0;
    }
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) {
        ncap *= 2;
    }
    ncap = ncap > max ? max : ncap; /* so that the fast paths never pass the limit */
    char *p = b->cap ? realloc(b->data, ncap) : malloc(ncap);
    if (!p) {
        b->err = SW_ENOMEM;
        return -1;
    }
    if (!b->cap) {
        p[0] = '\0';
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

void sw_buf_reserve(struct sw_buf *b, size_t n)
{
    grow(b, n);
}

void sw_buf_add(struct sw_buf *b, const void *p, size_t n)
{
    /* fast path: room already there (the limit was checked when it was made) */
    if (!(b->cap && b->len + n + 1 <= b->cap && !b->err) && grow(b, n) < 0) {
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sw_buf_puts(struct sw_buf *b, const char *s)
{
    sw_buf_add(b, s, strlen(s));
}

void sw_buf_putc(struct sw_buf *b, char c)
{
    if (b->cap && b->len + 2 <= b->cap && !b->err) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    sw_buf_add(b, &c, 1);
}

void sw_buf_vprintf(struct sw_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || grow(b, (size_t)n) < 0) {
        if (n < 0) {
            b->err = SW_ENOMEM;
        }
        return;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sw_buf_printf(struct sw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void sw_buf_truncate(struct sw_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

char *sw_buf_detach(struct sw_buf *b)
{
    char *p;
    if (b->cap) {
        p = b->data;
    } else {
        p = malloc(1);
        if (p) {
            p[0] = '\0';
        }
    }
    sw_buf_init(b);
    return p;
}

int sw_buf_error(const struct sw_buf *b)
{
    return b->err;
}
