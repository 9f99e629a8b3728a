/*
 * http.h - the HTTP layer on libmicrohttpd: requests with their body read in full (up to a
 * limit, 413 beyond), JSON responses, and the error shape of SPEC §4:
 *   {"error": {"code": "...", "message": "...", "details": [{"path": "...", "message": "..."}]}}
 * Handlers never see libmicrohttpd; everything built for one request is freed with it.
 */
#ifndef SW_HTTP_H
#define SW_HTTP_H

#include "core/buf.h"
#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SW_HTTP_MAX_PARAMS 4
#define SW_HTTP_MAX_HEADERS 8
/* Limits answered with a JSON 414 / 431. libmicrohttpd keeps a request line and its headers
 * in a per-connection pool (SW_HTTP_CONN_MEMORY); a request larger than that pool is answered
 * by libmicrohttpd itself, with its own HTML body, before any of our code runs. */
#define SW_HTTP_MAX_URL 8192
#define SW_HTTP_MAX_HEADER_BYTES 16384
#define SW_HTTP_CONN_MEMORY (64 * 1024)

struct sw_http_req {
    const char *method;
    const char *path;              /* without the query string */
    char *raw_uri;                 /* as received, still percent-encoded (with the query) */
    void *conn;                    /* struct MHD_Connection */
    struct sw_buf body;
    bool too_large;
    const char *params[SW_HTTP_MAX_PARAMS]; /* path parameters, in pattern order */
    int nparams;
    int64_t started_us;
};

/* A streamed body (Server-Sent Events) instead of `body`: libmicrohttpd asks read() for
 * bytes when the connection can take them, on one of its threads (pos: bytes given so far).
 * read() returns how many it wrote into buf (at most max); or 0 after calling
 * sw_http_suspend(conn) when it has nothing now (whoever has more later calls
 * sw_http_resume(conn): no thread waits for a stream); or -1 to end the response. release()
 * is called once the response is gone (the connection closed or moved on). */
struct sw_http_stream {
    ssize_t (*read)(void *ud, uint64_t pos, char *buf, size_t max);
    void (*release)(void *ud);
    void *ud;
};

struct sw_http_resp {
    int status;
    const char *content_type;
    struct sw_buf body;
    char *headers[SW_HTTP_MAX_HEADERS][2];
    int nheaders;
    struct sw_http_stream stream; /* read != NULL: a streamed response (see above) */
};

/* Query-string and header lookups (NULL when absent). */
const char *sw_req_query(const struct sw_http_req *r, const char *key);
const char *sw_req_header(const struct sw_http_req *r, const char *name);
/* The client's address as text ("127.0.0.1", "::1"), or "" when unknown. */
void sw_req_client_addr(const struct sw_http_req *r, char *out, size_t n);
/* Park and wake a streamed response's connection (see struct sw_http_stream). */
void sw_http_suspend(void *conn);
void sw_http_resume(void *conn);
/* The body parsed as a JSON object; NULL with a 400 response already set when it is not. */
json_t *sw_req_json(const struct sw_http_req *r, struct sw_http_resp *resp);

void sw_resp_init(struct sw_http_resp *r);
void sw_resp_release(struct sw_http_resp *r);
void sw_resp_header(struct sw_http_resp *r, const char *name, const char *value);
/* JSON body (the reference is stolen). */
void sw_resp_json(struct sw_http_resp *r, int status, json_t *body);
void sw_resp_text(struct sw_http_resp *r, int status, const char *content_type, const char *text);
/* An error in the SPEC shape, its status and code from the error table (SW_ENOTFOUND: 404
 * "NOTFOUND"); message NULL = the table's; details may be NULL (stolen otherwise). */
void sw_resp_fail(struct sw_http_resp *r, int code, const char *message, json_t *details);
/* 400 INVAL for a query parameter (or header, body field...), named in details[0].path. */
void sw_resp_bad_param(struct sw_http_resp *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The error record as a response: its HTTP status from the error table (SW_EVALIDATION 422,
 * SW_ENOTFOUND 404, SW_ECONFLICT 409, ...), its details with their paths. */
void sw_resp_from_error(struct sw_http_resp *r, const struct sw_error *err);

/* The daemon side. */
struct sw_http;
typedef void (*sw_http_handler)(void *ud, struct sw_http_req *req, struct sw_http_resp *resp);

struct sw_http_opts {
    const char *host;        /* "127.0.0.1" */
    int port;                /* 0 = any free port */
    int threads;             /* request threads */
    size_t max_body;         /* bytes; larger bodies get 413 */
    int timeout_s;           /* idle connection timeout */
    sw_http_handler handler;
    void *ud;
};

int sw_http_start(const struct sw_http_opts *opts, struct sw_http **out, struct sw_error *err);
int sw_http_port(const struct sw_http *h);   /* the port actually bound */
void sw_http_stop(struct sw_http *h);        /* accepts NULL */

#endif
