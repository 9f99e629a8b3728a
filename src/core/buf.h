/*
 * buf.h - a dynamic string that is never NULL and always NUL-terminated.
 *
 * Allocation failure or going over the cap is sticky: later appends are no-ops and
 * sw_buf_error() reports it once at the end (git strbuf, curl dynbuf, sqlite3_str).
 */
#ifndef SW_BUF_H
#define SW_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct sw_buf {
    char *data;   /* never NULL after init: points at "" while empty */
    size_t len;
    size_t cap;   /* allocated bytes, 0 while data points at the static "" */
    size_t max;   /* 0 = default cap (1 GiB) */
    int err;      /* sticky: 0 or SW_ENOMEM */
};

extern char sw_buf_empty[];
#define SW_BUF_INIT {sw_buf_empty, 0, 0, 0, 0}

void sw_buf_init(struct sw_buf *b);
void sw_buf_release(struct sw_buf *b);  /* frees and re-inits */
void sw_buf_reset(struct sw_buf *b);    /* len = 0, keeps memory, clears err */
char *sw_buf_detach(struct sw_buf *b);  /* malloc'd string (never NULL unless OOM); re-inits b */
void sw_buf_add(struct sw_buf *b, const void *p, size_t n);
void sw_buf_reserve(struct sw_buf *b, size_t n); /* room for n more bytes */
void sw_buf_puts(struct sw_buf *b, const char *s);
void sw_buf_putc(struct sw_buf *b, char c);
void sw_buf_printf(struct sw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_buf_vprintf(struct sw_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sw_buf_truncate(struct sw_buf *b, size_t len);
int sw_buf_error(const struct sw_buf *b); /* 0 or SW_ENOMEM */

#endif
