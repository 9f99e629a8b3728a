/*
 * api_session.c - who is calling, and the rules that make a browser session safe to use
 * (issue 8, part 2), with the endpoints the web UI needs about itself:
 *   POST/GET/DELETE /api/v1/session, GET/PUT /api/v1/me/preferences.
 *
 * Cookie sessions and cross-site requests. A browser attaches the session cookie to any
 * request made to this server, including one a page elsewhere makes it send (a form post,
 * a fetch with credentials). SameSite=Strict stops other sites but not other pages of the
 * same site (another port, a sibling subdomain). So a write (POST, PUT, PATCH, DELETE)
 * authenticated by the cookie is served only when
 *   - the Origin header names this server (its scheme's host and port equal the Host
 *     header; "http://h" matches "h:80" and "https://h" "h:443"), or, when the request has
 *     no Origin, Sec-Fetch-Site says same-origin; else 403 FORBIDDEN;
 *   - and, when it has a body, its Content-Type is application/json (a cross-site form can
 *     only send text/plain, urlencoded or multipart); else 415 UNSUPPORTED_MEDIA_TYPE.
 * A cookie write with neither Origin nor Sec-Fetch-Site is refused too: every browser sends
 * Origin with a POST, PUT, PATCH or DELETE, so only a non-browser client can lack it, and such
 * a client should use an API token. Bearer tokens are not subject to these rules (a page
 * elsewhere cannot make a browser send an Authorization header without a CORS preflight,
 * which this server never grants). Sign-in (POST /session) follows the same rules, except
 * that a request without Origin and Sec-Fetch-Site (curl, a script) may sign in. Behind a
 * reverse proxy, the proxy must pass the Host header through.
 *
 * Sign-in throttling is in auth.c (per user name and per client address, in memory).
 */
#include "core/clock.h"
#include "core/util.h"
#include "server/api.h"
#include "catalog/prefs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PREFERENCES_MAX 16384 /* bytes of a preferences object */

enum sw_role sw_api_authenticate(struct sw_api *a)
{
    const char *auth = sw_req_header(a->req, "Authorization");
    const char *bearer = auth ? sw_auth_bearer(auth) : NULL;
    memset(&a->who, 0, sizeof(a->who));
    a->by_cookie = false;
    if (bearer && sw_auth_token_lookup(a->db, bearer, &a->who, NULL) == 0 && a->who.role) {
        return a->who.role;
    }
    memset(&a->who, 0, sizeof(a->who));
    const char *cookie = sw_req_header(a->req, "Cookie");
    char *session = cookie ? sw_auth_cookie(cookie, SW_AUTH_COOKIE_NAME) : NULL;
    if (session) {
        if (sw_auth_session_lookup(a->db, session, &a->who, NULL) < 0) {
            memset(&a->who, 0, sizeof(a->who));
        }
        a->by_cookie = a->who.role != SW_ROLE_NONE;
        free(session);
    }
    return a->who.role;
}

/* Whether the authority has a port: a ':' after any IPv6 literal's ']'. */
static bool has_port(const char *authority)
{
    const char *colon = strrchr(authority, ':'), *bracket = strrchr(authority, ']');
    return colon && (!bracket || colon > bracket);
}

/* Host equals authority, or authority + default port (either way round). */
static bool same_authority(const char *authority, size_t alen, const char *host,
                           const char *default_port)
{
    size_t hlen = strlen(host), plen = strlen(default_port);
    char *auth = sw_strndup(authority, alen);
    bool same = hlen == alen && !strncasecmp(auth, host, alen);
    if (!same && !has_port(auth) && hlen == alen + plen) {
        same = !strncasecmp(auth, host, alen) && !strcmp(host + alen, default_port);
    }
    if (!same && has_port(auth) && alen == hlen + plen) {
        same = !strncasecmp(auth, host, hlen) && !strcmp(auth + hlen, default_port);
    }
    free(auth);
    return same;
}

/* 1: the request says it comes from this server's own pages; 0: it says it does not;
 * -1: it says nothing (no Origin, no Sec-Fetch-Site). */
static int origin_verdict(const struct sw_http_req *req)
{
    const char *origin = sw_req_header(req, "Origin");
    const char *site = sw_req_header(req, "Sec-Fetch-Site");
    const char *host = sw_req_header(req, "Host");
    if (origin) {
        const char *authority = NULL, *port = NULL;
        if (!strncasecmp(origin, "http://", 7)) {
            authority = origin + 7;
            port = ":80";
        } else if (!strncasecmp(origin, "https://", 8)) {
            authority = origin + 8;
            port = ":443";
        }
        if (!authority || !host || !*authority || strpbrk(authority, "/?#@ ")) {
            return 0; /* "null", another scheme, or not an origin at all */
        }
        return same_authority(authority, strlen(authority), host, port) ? 1 : 0;
    }
    if (site) {
        return !strcasecmp(site, "same-origin") ? 1 : 0;
    }
    return -1;
}

static bool is_json_type(const char *ct)
{
    static const char json[] = "application/json";
    if (!ct) {
        return false;
    }
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    if (strncasecmp(ct, json, sizeof(json) - 1) != 0) {
        return false;
    }
    ct += sizeof(json) - 1;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

static bool is_write(const char *method)
{
    return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH") ||
           !strcmp(method, "DELETE");
}

static void refuse_origin(struct sw_api *a, int verdict)
{
    const char *origin = sw_req_header(a->req, "Origin");
    char *m = verdict < 0
                  ? sw_strdup("a write with the session cookie must say where it comes from: "
                              "browsers send Origin; other clients should use an API token")
                  : sw_asprintf("cross-origin request refused: Origin %s%s%s is not this server "
                                "(%s)",
                                origin ? "\"" : "", origin ? origin : "(none)", origin ? "\"" : "",
                                sw_req_header(a->req, "Host") ? sw_req_header(a->req, "Host")
                                                              : "no Host header");
    sw_resp_fail(a->resp, SW_EFORBIDDEN, m,
                 json_pack("[{s:s, s:s}]", "path", origin || verdict < 0 ? "Origin" : "Sec-Fetch-Site",
                           "message", verdict < 0 ? "required with the session cookie"
                                                  : "not the same origin"));
    free(m);
}

static bool refuse_content_type(struct sw_api *a)
{
    const char *ct = sw_req_header(a->req, "Content-Type");
    if (a->req->body.len == 0 || is_json_type(ct)) {
        return false;
    }
    char *m = sw_asprintf("the body must be application/json (Content-Type: %s)", ct ? ct : "none");
    sw_resp_fail(a->resp, SW_EUNSUPPORTED_MEDIA_TYPE, m,
                 json_pack("[{s:s, s:s}]", "path", "Content-Type", "message",
                           "expected application/json"));
    free(m);
    return true;
}

int sw_api_csrf_refused(struct sw_api *a)
{
    if (!a->by_cookie || !is_write(a->req->method)) {
        return 0;
    }
    int v = origin_verdict(a->req);
    if (v != 1) {
        refuse_origin(a, v);
        return 1;
    }
    return refuse_content_type(a) ? 1 : 0;
}

static json_t *session_json(const struct sw_principal *who)
{
    char iso[32];
    if (who->user_id) {
        sw_clock_format_iso(who->expires_at, iso, sizeof(iso));
        return json_pack("{s:s, s:s, s:s, s:s}", "auth", "session", "username", who->user, "role",
                         sw_role_name(who->role), "expires_at", iso);
    }
    return json_pack("{s:s, s:I, s:s?, s:s, s:n}", "auth", "token", "token_id",
                     (json_int_t)who->token_id, "token_name",
                     who->token_name[0] ? who->token_name : NULL, "role", sw_role_name(who->role),
                     "expires_at");
}

void sw_api_session_signin(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    char *session = NULL;
    enum sw_role role = SW_ROLE_NONE;
    char addr[64];
    int v = origin_verdict(a->req);
    if (v == 0) {
        refuse_origin(a, v);
        return;
    }
    if (a->req->body.len > 0 && refuse_content_type(a)) {
        return;
    }
    json_t *body = sw_req_json(a->req, a->resp);
    if (!body) {
        return;
    }
    const char *user = json_string_value(json_object_get(body, "username"));
    const char *pass = json_string_value(json_object_get(body, "password"));
    sw_req_client_addr(a->req, addr, sizeof(addr));
    if (!user || !pass) {
        json_t *d = json_array();
        if (!user) {
            json_array_append_new(d, json_pack("{s:s, s:s}", "path", "$.username", "message",
                                               "required (a string)"));
        }
        if (!pass) {
            json_array_append_new(d, json_pack("{s:s, s:s}", "path", "$.password", "message",
                                               "required (a string)"));
        }
        sw_resp_fail(a->resp, SW_EINVAL, "username and password are required", d);
        goto out;
    }
    int64_t wait = sw_auth_throttle_begin(user, addr[0] ? addr : NULL,
                                          sw_clock_monotonic_us() / 1000);
    if (wait > 0) {
        char secs[32];
        char *m = sw_asprintf("too many failed sign-ins for this user name or from this address: "
                              "try again in %lld s",
                              (long long)wait);
        snprintf(secs, sizeof(secs), "%lld", (long long)wait);
        sw_resp_fail(a->resp, SW_ETOO_MANY_REQUESTS, m, NULL);
        sw_resp_header(a->resp, "Retry-After", secs);
        free(m);
        goto out;
    }
    if (sw_auth_login(a->db, user, pass, &session, &role, &err) < 0) {
        if (err.code == SW_EINVAL) {
            sw_resp_fail(a->resp, SW_EUNAUTHORIZED, "wrong username or password", NULL);
        } else {
            sw_api_error(a, &err);
        }
        goto out;
    }
    sw_auth_throttle_success(user, addr[0] ? addr : NULL);
    struct sw_principal who;
    char *cookie = sw_auth_set_cookie(session);
    if (sw_auth_session_lookup(a->db, session, &who, &err) < 0 || !who.role || !cookie) {
        sw_resp_fail(a->resp, SW_EDB, "the new session could not be read back", NULL);
    } else {
        sw_resp_header(a->resp, "Set-Cookie", cookie);
        json_t *o = session_json(&who);
        json_object_del(o, "auth");
        sw_resp_json(a->resp, 200, o);
    }
    free(cookie);
out:
    if (session) {
        memset(session, 0, strlen(session));
        free(session);
    }
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_session_signout(struct sw_api *a)
{
    const char *cookie = sw_req_header(a->req, "Cookie");
    char *session = cookie ? sw_auth_cookie(cookie, SW_AUTH_COOKIE_NAME) : NULL;
    if (session) {
        /* Signing someone out is a write with their cookie: the same rules. */
        int v = origin_verdict(a->req);
        if (v != 1) {
            refuse_origin(a, v);
            free(session);
            return;
        }
        sw_auth_logout(a->db, session, NULL);
        free(session);
    }
    char *clear = sw_auth_clear_cookie();
    sw_resp_header(a->resp, "Set-Cookie", clear);
    free(clear);
    a->resp->status = 204;
    sw_buf_reset(&a->resp->body);
}

void sw_api_session_get(struct sw_api *a)
{
    sw_resp_json(a->resp, 200, session_json(&a->who));
}

/* ---- preferences ---- */

/* Whose preferences these are: the signed-in user's, else the token's. */
static enum sw_prefs_owner owner(const struct sw_api *a, int64_t *id)
{
    *id = a->who.user_id ? a->who.user_id : a->who.token_id;
    return a->who.user_id ? SW_PREFS_USER : SW_PREFS_TOKEN;
}

void sw_api_preferences_get(struct sw_api *a)
{
    int64_t id;
    enum sw_prefs_owner who = owner(a, &id);
    char *text = NULL;
    json_t *v = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_catalog_prefs_get(&a->cat, who, id, &text, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        v = text ? json_loads(text, 0, NULL) : NULL;
        sw_resp_json(a->resp, 200, json_is_object(v) ? json_incref(v) : json_object());
    }
    json_decref(v);
    free(text);
    sw_error_release(&err);
}

void sw_api_preferences_put(struct sw_api *a)
{
    if (a->req->body.len > PREFERENCES_MAX) {
        char *m = sw_asprintf("preferences are at most %d bytes of JSON (this body has %zu)",
                              PREFERENCES_MAX, a->req->body.len);
        sw_resp_fail(a->resp, SW_EPAYLOAD_TOO_LARGE, m,
                     json_pack("[{s:s, s:s}]", "path", "$", "message", "too large"));
        free(m);
        return;
    }
    json_t *body = sw_req_json(a->req, a->resp);
    if (!body) {
        return;
    }
    int64_t id;
    enum sw_prefs_owner who = owner(a, &id);
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct sw_error err = SW_ERROR_INIT;
    if (sw_catalog_prefs_put(&a->cat, who, id, text ? text : "{}", sw_clock_now_ms(), &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 200, json_incref(body));
    }
    sw_error_release(&err);
    free(text);
    json_decref(body);
}
