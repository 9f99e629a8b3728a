/*
 * error.h - the error table and the error record.
 *
 * Every fallible function returns 0 or a negative SW_E* code and fills an optional
 * struct sw_error with the detail: a message and, for document errors, a JSON path.
 * Validation collects every problem at once as a list of (path, message) details.
 * The X-macro table gives the enum, its name, its message and its HTTP status in one place.
 * The name is also the "code" of the API's error envelope: one code per condition, so the
 * HTTP layer has no codes of its own (401, 403, 405, 413-431 are rows here too).
 */
#ifndef SW_ERROR_H
#define SW_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define SW_ERRNO_MAP(X)                                                                            \
    X(NOMEM, 1, "out of memory", 500)                                                              \
    X(INVAL, 2, "invalid argument", 400)                                                           \
    X(NOTFOUND, 3, "not found", 404)                                                               \
    X(CONFLICT, 4, "conflict", 409)                                                                \
    X(DB, 5, "database error", 500)                                                                \
    X(IO, 6, "input/output error", 500)                                                            \
    X(VALIDATION, 7, "validation failed", 422)                                                     \
    X(USAGE, 8, "usage error", 400)                                                                \
    X(UNSUPPORTED, 9, "not supported", 501)                                                        \
    X(RUNTIME, 10, "activity failed", 500)                                                         \
    X(INTERRUPTED, 11, "interrupted", 503)                                                         \
    X(UNAUTHORIZED, 12, "authentication required", 401)                                            \
    X(FORBIDDEN, 13, "not allowed", 403)                                                           \
    X(METHOD_NOT_ALLOWED, 14, "method not allowed", 405)                                           \
    X(PAYLOAD_TOO_LARGE, 15, "request body too large", 413)                                        \
    X(URI_TOO_LONG, 16, "URL too long", 414)                                                       \
    X(UNSUPPORTED_MEDIA_TYPE, 17, "unsupported media type", 415)                                   \
    X(TOO_MANY_REQUESTS, 18, "too many requests", 429)                                             \
    X(HEADERS_TOO_LARGE, 19, "request headers too large", 431)

enum sw_errno {
    SW_OK = 0,
#define SW_ERR_ENUM(name, n, msg, http) SW_E##name = -(n),
    SW_ERRNO_MAP(SW_ERR_ENUM)
#undef SW_ERR_ENUM
};

struct sw_error_detail {
    char *path;    /* JSON path such as $.activities[2].filter, or NULL */
    char *message;
};

struct sw_error {
    int code;       /* 0 or a negative SW_E* */
    char *message;  /* summary, or NULL */
    struct sw_error_detail *details;
    size_t ndetails, cap;
};

#define SW_ERROR_INIT {0, NULL, NULL, 0, 0}

const char *sw_strerror(int code);
const char *sw_error_name(int code); /* "VALIDATION", ... */
int sw_error_http_status(int code);

void sw_error_init(struct sw_error *err);
void sw_error_release(struct sw_error *err); /* frees and re-inits; accepts NULL */

/* Set code and summary message; returns code so callers can `return sw_error_set(...)`.
 * err may be NULL. A later set replaces the summary but keeps the details. */
int sw_error_set(struct sw_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int sw_error_vset(struct sw_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Append a (path, message) detail; also sets code to SW_EVALIDATION if it was 0.
 * path may be NULL. err may be NULL (then it is a no-op). */
void sw_error_add(struct sw_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sw_error_vadd(struct sw_error *err, const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The JSON path of member `key` of the value at `path` (malloc'd): "path.key" when the key is
 * an identifier ([A-Za-z_][A-Za-z0-9_]*), else path["key"] with quotes and backslashes
 * escaped, so that every path names exactly one member. */
char *sw_path_member(const char *path, const char *key);

/* Human-readable rendering: "message" then one "path: message" line per detail. */
char *sw_error_format(const struct sw_error *err); /* malloc'd */

#endif
