/*
 * http.c - see http.h. libmicrohttpd calls the access handler several times per request:
 * once with the headers, then with chunks of the body, then once more with none; the
 * response is queued on that last call. Before all that, the URI log callback sees the URL
 * as it came (still percent-encoded): the request record is made there, so that a NUL byte
 * (%00, which the decoded C strings would silently cut) and an over-long URL are refused with
 * a JSON error instead of being served.
 */
#include "server/http.h"
#include "core/clock.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

struct sw_http {
    struct MHD_Daemon *d;
    struct sw_http_opts opts;
    int port;
};

const char *sw_req_query(const struct sw_http_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *sw_req_header(const struct sw_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

json_t *sw_req_json(const struct sw_http_req *r, struct sw_http_resp *resp)
{
    json_error_t jerr;
    json_t *v;
    if (r->body.len == 0) {
        sw_resp_fail(resp, SW_EINVAL, "a JSON body is required",
                     json_pack("[{s:s, s:s}]", "path", "$", "message", "required"));
        return NULL;
    }
    v = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        json_t *d = json_pack("[{s:s, s:s+}]", "path", "$", "message", "", jerr.text);
        char *m = sw_asprintf("the body is not valid JSON (line %d, column %d): %s", jerr.line,
                              jerr.column, jerr.text);
        sw_resp_fail(resp, SW_EINVAL, m, d);
        free(m);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        sw_resp_fail(resp, SW_EINVAL, "the body must be a JSON object",
                     json_pack("[{s:s, s:s}]", "path", "$", "message", "must be an object"));
        return NULL;
    }
    return v;
}

void sw_resp_init(struct sw_http_resp *r)
{
    memset(r, 0, sizeof(*r));
    sw_buf_init(&r->body);
    r->status = 200;
    r->content_type = "application/json";
}

void sw_resp_release(struct sw_http_resp *r)
{
    for (int i = 0; i < r->nheaders; i++) {
        free(r->headers[i][0]);
        free(r->headers[i][1]);
    }
    sw_buf_release(&r->body);
    r->nheaders = 0;
}

void sw_resp_header(struct sw_http_resp *r, const char *name, const char *value)
{
    if (r->nheaders < SW_HTTP_MAX_HEADERS) {
        r->headers[r->nheaders][0] = sw_strdup(name);
        r->headers[r->nheaders][1] = sw_strdup(value);
        r->nheaders++;
    }
}

void sw_resp_json(struct sw_http_resp *r, int status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    sw_buf_reset(&r->body);
    if (s) {
        sw_buf_puts(&r->body, s);
        free(s);
    }
    json_decref(body);
    r->status = status;
    r->content_type = "application/json";
}

void sw_resp_text(struct sw_http_resp *r, int status, const char *content_type, const char *text)
{
    sw_buf_reset(&r->body);
    sw_buf_puts(&r->body, text);
    r->status = status;
    r->content_type = content_type;
}

/* Every error's status and code come from the error table: none is typed by hand. */
void sw_resp_fail(struct sw_http_resp *r, int code, const char *message, json_t *details)
{
    json_t *e = json_pack("{s:s, s:s}", "code", sw_error_name(code), "message",
                          message ? message : sw_strerror(code));
    json_object_set_new(e, "details", details ? details : json_array());
    sw_resp_json(r, sw_error_http_status(code), json_pack("{s:o}", "error", e));
}

void sw_resp_bad_param(struct sw_http_resp *r, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = sw_vasprintf(fmt, ap);
    va_end(ap);
    char *summary = sw_asprintf("invalid parameter %s: %s", name, m);
    sw_resp_fail(r, SW_EINVAL, summary, json_pack("[{s:s, s:s}]", "path", name, "message", m));
    free(summary);
    free(m);
}

void sw_resp_from_error(struct sw_http_resp *r, const struct sw_error *err)
{
    json_t *details = json_array();
    for (size_t i = 0; i < err->ndetails; i++) {
        json_array_append_new(details, json_pack("{s:s?, s:s}", "path", err->details[i].path,
                                                 "message", err->details[i].message));
    }
    int code = err->code ? err->code : SW_EINVAL;
    sw_resp_fail(r, code, err->message, details);
}

/* Where a %00 sits in a raw URL: "path", or the name of the query parameter it is in. */
static char *nul_place(const char *uri, const char *at)
{
    const char *q = strchr(uri, '?');
    if (!q || at < q) {
        return sw_strdup("path");
    }
    const char *start = at;
    while (start > q + 1 && start[-1] != '&') {
        start--;
    }
    size_t n = strcspn(start, "=&");
    return n ? sw_strndup(start, n) : sw_strdup("query");
}

static enum MHD_Result add_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    size_t *total = cls;
    (void)kind;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* Refusals that come before routing; 1 when the response is set. */
static int refuse_early(struct sw_http_req *req, struct sw_http_resp *resp)
{
    const char *raw = req->raw_uri ? req->raw_uri : "";
    const char *nul = strstr(raw, "%00");
    size_t headers = 0;
    if (strlen(raw) > SW_HTTP_MAX_URL) {
        char *m = sw_asprintf("the URL is longer than %d bytes", SW_HTTP_MAX_URL);
        sw_resp_fail(resp, SW_EURI_TOO_LONG, m, NULL);
        free(m);
        return 1;
    }
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_header_bytes, &headers);
    if (headers > SW_HTTP_MAX_HEADER_BYTES) {
        char *m = sw_asprintf("the request headers are larger than %d bytes",
                              SW_HTTP_MAX_HEADER_BYTES);
        sw_resp_fail(resp, SW_EHEADERS_TOO_LARGE, m, NULL);
        free(m);
        return 1;
    }
    if (nul) {
        char *where = nul_place(raw, nul);
        json_t *d = json_pack("[{s:s, s:s}]", "path", where, "message",
                              "contains a NUL byte (%00)");
        char *m = sw_asprintf("%s contains a NUL byte (%%00)", where);
        sw_resp_fail(resp, SW_EINVAL, m, d);
        free(m);
        free(where);
        return 1;
    }
    return 0;
}

/* The first callback of a request: the URL as received; its result is the request record. */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct sw_http_req *req = sw_calloc(1, sizeof(*req));
    (void)cls;
    sw_buf_init(&req->body);
    req->raw_uri = sw_strdup(uri ? uri : "");
    req->conn = conn;
    req->started_us = sw_clock_monotonic_us();
    return req;
}

/* The headers every response carries (issue 8): no MIME sniffing, no referrer leaving the
 * site, no framing, and a Content Security Policy for the web UI (its own scripts, styles
 * and connections only; data: images). */
static const char *const security[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
};

static void security_headers(struct MHD_Response *r)
{
    for (size_t i = 0; i < sizeof(security) / sizeof(security[0]); i++) {
        MHD_add_response_header(r, security[i][0], security[i][1]);
    }
}

void sw_req_client_addr(const struct sw_http_req *r, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (n) {
        out[0] = '\0';
    }
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    } else if (sa && sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
    }
}

void sw_http_suspend(void *conn)
{
    MHD_suspend_connection(conn);
}

void sw_http_resume(void *conn)
{
    MHD_resume_connection(conn);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct sw_http *h = cls;
    struct sw_http_req *req = *con_cls;
    (void)version;
    if (!req) {
        req = uri_cb(NULL, NULL, conn); /* libmicrohttpd always calls uri_cb first */
        *con_cls = req;
    }
    if (!req->method) {
        req->method = method;
        req->path = url;
        req->conn = conn;
        return MHD_YES;
    }
    if (*upload_size) {
        if (req->body.len + *upload_size > h->opts.max_body) {
            req->too_large = true; /* keep reading, and answer 413 at the end */
        } else {
            sw_buf_add(&req->body, upload_data, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    struct sw_http_resp resp;
    sw_resp_init(&resp);
    if (req->too_large) {
        char *m = sw_asprintf("the request body is larger than %zu bytes", h->opts.max_body);
        sw_resp_fail(&resp, SW_EPAYLOAD_TOO_LARGE, m, NULL);
        free(m);
    } else if (refuse_early(req, &resp)) {
        /* answered without routing */
    } else {
        h->opts.handler(h->opts.ud, req, &resp);
    }
    struct MHD_Response *r;
    if (resp.stream.read) {
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, resp.stream.read,
                                              resp.stream.ud, resp.stream.release);
        if (!r && resp.stream.release) {
            resp.stream.release(resp.stream.ud);
        }
    } else {
        r = MHD_create_response_from_buffer(resp.body.len, resp.body.data, MHD_RESPMEM_MUST_COPY);
    }
    enum MHD_Result ret = MHD_NO;
    if (r) {
        MHD_add_response_header(r, "Content-Type", resp.content_type);
        /* API answers are never cached; a handler that says otherwise (the UI's files) keeps
         * its own, alone. */
        bool own_cache = false;
        for (int i = 0; i < resp.nheaders; i++) {
            own_cache = own_cache || !strcasecmp(resp.headers[i][0], "Cache-Control");
        }
        if (!own_cache) {
            MHD_add_response_header(r, "Cache-Control", "no-store");
        }
        security_headers(r);
        for (int i = 0; i < resp.nheaders; i++) {
            MHD_add_response_header(r, resp.headers[i][0], resp.headers[i][1]);
        }
        if (req->too_large) {
            MHD_add_response_header(r, "Connection", "close");
        }
        ret = MHD_queue_response(conn, (unsigned)resp.status, r);
        MHD_destroy_response(r);
    }
    sw_resp_release(&resp);
    return ret;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct sw_http_req *req = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (req) {
        sw_buf_release(&req->body);
        free(req->raw_uri);
        free(req);
        *con_cls = NULL;
    }
}

int sw_http_start(const struct sw_http_opts *opts, struct sw_http **out, struct sw_error *err)
{
    struct sockaddr_in addr;
    struct sw_http *h = sw_calloc(1, sizeof(*h));
    h->opts = *opts;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, opts->host ? opts->host : "127.0.0.1", &addr.sin_addr) != 1) {
        free(h);
        return sw_error_set(err, SW_EINVAL, "listen: \"%s\" is not an IPv4 address",
                            opts->host ? opts->host : "");
    }
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                                MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
                            (uint16_t)opts->port, NULL, NULL, access_cb, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opts->threads > 0 ? opts->threads : 4),
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(opts->timeout_s > 0 ? opts->timeout_s : 30),
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SW_HTTP_CONN_MEMORY,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_cb, h,
                            MHD_OPTION_NOTIFY_COMPLETED, completed_cb, h, MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return sw_error_set(err, SW_EIO, "cannot listen on %s:%d (in use, or not allowed)",
                            opts->host ? opts->host : "127.0.0.1", opts->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : opts->port;
    *out = h;
    return 0;
}

int sw_http_port(const struct sw_http *h)
{
    return h->port;
}

void sw_http_stop(struct sw_http *h)
{
    if (!h) {
        return;
    }
    MHD_stop_daemon(h->d);
    free(h);
}
