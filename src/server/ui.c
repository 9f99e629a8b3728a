/*
 * ui.c - see ui.h. Caching: files under /assets/ have content-hashed names (Vite), so they are
 * cached for a year as immutable; index.html and the other top-level files are revalidated on
 * every use (no-cache + ETag, 304 when unchanged), so a new binary's UI is picked up at once.
 * Each file is sent gzip-compressed to clients that accept it (RFC 9110 §12.5.3), with its own
 * ETag per representation. The Content-Security-Policy header comes from http.c; the built
 * index.html has no inline script or style, so it needs no exception.
 */
#include "server/ui.h"
#include "core/util.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char not_built[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stepwise</title>"
    "</head><body><h1>Stepwise</h1><p>The web UI was not built into this binary (web/dist did "
    "not exist when it was configured): run <code>make build</code>, which builds it. The HTTP "
    "API is served under <code>/api/v1</code>; its description is at "
    "<a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p></body></html>";

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "/api", "/api/..." but not "/apis": the same for /healthz and /metrics. */
static bool under(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool sw_ui_handles(const char *method, const char *path)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return false;
    }
    return path[0] == '/' && !under(path, "/api") && !under(path, "/healthz") &&
           !under(path, "/metrics");
}

static const struct sw_ui_asset *find(const char *path)
{
    for (size_t i = 0; i < sw_ui_nassets; i++) {
        if (!strcmp(sw_ui_assets[i].path, path)) {
            return &sw_ui_assets[i];
        }
    }
    return NULL;
}

/* Whether Accept-Encoding allows gzip: listed (or "*") without q=0. */
static bool accepts_gzip(const char *accept)
{
    bool ok = false;
    if (!accept) {
        return false;
    }
    char *copy = sw_strdup(accept);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') {
            tok++;
        }
        size_t n = strcspn(tok, " \t;");
        bool named = (n == 4 && !strncasecmp(tok, "gzip", 4)) || (n == 1 && tok[0] == '*');
        if (!named) {
            continue;
        }
        const char *q = strstr(tok + n, "q=");
        ok = !q || strtod(q + 2, NULL) > 0;
        if (n == 4) {
            break; /* an explicit gzip entry decides over "*" */
        }
    }
    free(copy);
    return ok;
}

/* If-None-Match lists the ETag (or is "*"); weak comparison (RFC 9110 §13.1.2). */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm) {
        return false;
    }
    size_t n = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '*') {
            return true;
        }
        if (!strncmp(p, "W/", 2)) {
            p += 2;
        }
        if (!strncmp(p, etag, n) && (p[n] == '\0' || p[n] == ',' || p[n] == ' ')) {
            return true;
        }
        while (*p && *p != ',') {
            p++;
        }
    }
    return false;
}

void sw_ui_serve(struct sw_api *a)
{
    struct sw_http_resp *resp = a->resp;
    const char *path = a->req->path;

    if (sw_ui_nassets == 0) {
        sw_resp_text(resp, 200, "text/html; charset=utf-8", not_built);
        sw_resp_header(resp, "Cache-Control", "no-cache");
        return;
    }
    const struct sw_ui_asset *f = strcmp(path, "/") ? find(path) : NULL;
    if (!f && has_prefix(path, "/assets/")) {
        /* A missing hashed file is an old page asking for an old build: never index.html. */
        char *m = sw_asprintf("no such file: %s", path);
        sw_resp_text(resp, 404, "text/plain; charset=utf-8", m);
        free(m);
        return;
    }
    if (!f) {
        f = find("/index.html"); /* the client-side router takes it from here */
    }
    if (!f) {
        sw_resp_text(resp, 404, "text/plain; charset=utf-8", "the UI has no index.html");
        return;
    }
    bool gz = f->gz && accepts_gzip(sw_req_header(a->req, "Accept-Encoding"));
    /* One ETag per representation: the compressed one ends in "-gz". */
    char *etag =
        gz ? sw_asprintf("%.*s-gz\"", (int)(strlen(f->etag) - 1), f->etag) : sw_strdup(f->etag);
    resp->content_type = f->content_type;
    sw_buf_reset(&resp->body);
    sw_resp_header(resp, "Cache-Control",
                   f->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    sw_resp_header(resp, "ETag", etag);
    if (f->gz) {
        sw_resp_header(resp, "Vary", "Accept-Encoding");
    }
    if (etag_matches(sw_req_header(a->req, "If-None-Match"), etag)) {
        resp->status = 304;
    } else {
        resp->status = 200;
        if (gz) {
            sw_resp_header(resp, "Content-Encoding", "gzip");
            sw_buf_add(&resp->body, f->gz, f->gz_len);
        } else {
            sw_buf_add(&resp->body, f->data, f->len);
        }
    }
    free(etag);
}
