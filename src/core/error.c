/*
 * error.c - the error table (see error.h) and the detail list used by validation.
 */
#include "core/error.h"
#include "core/buf.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sw_strerror(int code)
{
    switch (code) {
    case SW_OK:
        return "ok";
#define SW_ERR_MSG(name, n, msg, http)                                                             \
    case SW_E##name:                                                                               \
        return msg;
        SW_ERRNO_MAP(SW_ERR_MSG)
#undef SW_ERR_MSG
    }
    return "unknown error";
}

const char *sw_error_name(int code)
{
    switch (code) {
    case SW_OK:
        return "OK";
#define SW_ERR_NAME(name, n, msg, http)                                                            \
    case SW_E##name:                                                                               \
        return #name;
        SW_ERRNO_MAP(SW_ERR_NAME)
#undef SW_ERR_NAME
    }
    return "UNKNOWN";
}

int sw_error_http_status(int code)
{
    switch (code) {
    case SW_OK:
        return 200;
#define SW_ERR_HTTP(name, n, msg, http)                                                            \
    case SW_E##name:                                                                               \
        return http;
        SW_ERRNO_MAP(SW_ERR_HTTP)
#undef SW_ERR_HTTP
    }
    return 500;
}

void sw_error_init(struct sw_error *err)
{
    memset(err, 0, sizeof(*err));
}

void sw_error_release(struct sw_error *err)
{
    if (!err) {
        return;
    }
    for (size_t i = 0; i < err->ndetails; i++) {
        free(err->details[i].path);
        free(err->details[i].message);
    }
    free(err->details);
    free(err->message);
    sw_error_init(err);
}

int sw_error_set(struct sw_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int sw_error_vset(struct sw_error *err, int code, const char *fmt, va_list ap)
{
    if (!err) {
        return code;
    }
    char *m = sw_vasprintf(fmt, ap);
    free(err->message);
    err->message = m;
    err->code = code;
    return code;
}

void sw_error_add(struct sw_error *err, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vadd(err, path, fmt, ap);
    va_end(ap);
}

void sw_error_vadd(struct sw_error *err, const char *path, const char *fmt, va_list ap)
{
    if (!err) {
        return;
    }
    if (err->ndetails == err->cap) {
        size_t ncap = err->cap ? err->cap * 2 : 8;
        struct sw_error_detail *d = realloc(err->details, ncap * sizeof(*d));
        if (!d) {
            err->code = SW_ENOMEM;
            return;
        }
        err->details = d;
        err->cap = ncap;
    }
    char *m = sw_vasprintf(fmt, ap);
    err->details[err->ndetails].path = path ? sw_strdup(path) : NULL;
    err->details[err->ndetails].message = m;
    err->ndetails++;
    if (err->code == 0) {
        err->code = SW_EVALIDATION;
    }
}

char *sw_error_format(const struct sw_error *err)
{
    struct sw_buf b = SW_BUF_INIT;
    if (err->message) {
        sw_buf_puts(&b, err->message);
    } else if (err->ndetails == 0) {
        sw_buf_puts(&b, sw_strerror(err->code));
    }
    for (size_t i = 0; i < err->ndetails; i++) {
        if (b.len) {
            sw_buf_putc(&b, '\n');
        }
        if (err->details[i].path) {
            sw_buf_printf(&b, "%s: ", err->details[i].path);
        }
        sw_buf_puts(&b, err->details[i].message ? err->details[i].message : "?");
    }
    return sw_buf_detach(&b);
}

char *sw_path_member(const char *path, const char *key)
{
    bool plain = (*key >= 'a' && *key <= 'z') || (*key >= 'A' && *key <= 'Z') || *key == '_';
    for (const char *k = key; plain && *k; k++) {
        plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_' ||
                (*k >= '0' && *k <= '9');
    }
    if (plain) {
        return sw_asprintf("%s.%s", path, key);
    }
    struct sw_buf b = SW_BUF_INIT;
    sw_buf_printf(&b, "%s[\"", path);
    for (const char *k = key; *k; k++) {
        if (*k == '"' || *k == '\\') {
            sw_buf_putc(&b, '\\');
        }
        sw_buf_putc(&b, *k);
    }
    sw_buf_puts(&b, "\"]");
    return sw_buf_detach(&b);
}
