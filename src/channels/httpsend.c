/*
 * httpsend.c - see httpsend.h. One easy handle per parallel request; a handle that finishes a
 * message takes the next one, and libcurl keeps its connection alive for it (the multi
 * handle's connection cache), so a batch costs one TCP (and TLS) handshake per slot, not per
 * message.
 *
 * The body is handed to libcurl by a read callback with no seek callback, on purpose: when a
 * reused keep-alive connection breaks before any byte of the answer arrives, libcurl retries
 * the request on a fresh connection by itself, which for a POST whose body already went out
 * would send the message twice. Without a way to rewind, libcurl gives up with
 * CURLE_SEND_FAIL_REWIND instead, and the message is classified like any other broken
 * exchange. Whether the request was written in full is read from the bytes libcurl reports
 * as written to the socket for this attempt (the debug callback's CURLINFO_DATA_OUT), never
 * from what the read callback handed over, which may still sit in libcurl's buffer.
 */
#include "channels/httpsend.h"
#include "channels/curlmulti.h"
#include "core/util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct slot {
    CURL *h;
    struct sw_http_msg *msg;
    size_t off;         /* bytes of the body handed to libcurl */
    size_t written;     /* bytes of the body written to the socket by this attempt */
    int head_sent;      /* the request line and headers of this attempt were written */
    long retry_after_s; /* Retry-After of the latest response head, 0 when none */
    char reply[72];     /* start of the response body, for the error text */
    size_t nreply;
    char cerr[CURL_ERROR_SIZE];
};

struct sw_httpsend {
    char *url;
    CURLM *m;
    struct curl_slist *headers;
    struct slot *slots;
    int nslots;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct slot *s = ud;
    size_t room = size * nitems, left = s->msg->len - s->off;
    size_t n = left < room ? left : room;
    if (n > 0) {
        memcpy(buf, s->msg->body + s->off, n);
    }
    s->off += n;
    return n;
}

/* Keep the first bytes of the answer (providers explain a 4xx there); drop the rest. */
static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    struct slot *s = ud;
    size_t n = size * nmemb, room = sizeof(s->reply) - 1 - s->nreply;
    size_t take = n < room ? n : room;
    memcpy(s->reply + s->nreply, data, take);
    s->nreply += take;
    s->reply[s->nreply] = '\0';
    return n;
}

/* Retry-After in its delta-seconds form (RFC 9110 10.2.3); an HTTP-date counts as absent. */
static long parse_retry_after(const char *v, size_t n)
{
    size_t i = 0;
    long secs = 0;
    while (i < n && (v[i] == ' ' || v[i] == '\t')) {
        i++;
    }
    if (i == n || v[i] < '0' || v[i] > '9') {
        return 0;
    }
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
        if (secs < 100000000L) { /* saturate: three years is "much later" enough */
            secs = secs * 10 + (v[i] - '0');
        }
    }
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')) {
        i++;
    }
    return i == n ? secs : 0;
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *ud)
{
    struct slot *s = ud;
    size_t n = size * nitems;
    static const char name[] = "Retry-After:";
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        s->retry_after_s = 0; /* a new response head (after a 1xx, or another attempt) */
    } else if (n >= sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0) {
        s->retry_after_s = parse_retry_after(line + sizeof(name) - 1, n - (sizeof(name) - 1));
    }
    return n;
}

/* libcurl reports here, after each successful write to the socket, what it wrote: the head
 * as CURLINFO_HEADER_OUT, then the body as CURLINFO_DATA_OUT. A new head starts a new
 * attempt. Nothing is printed. */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    struct slot *s = ud;
    if (type == CURLINFO_HEADER_OUT) {
        /* libcurl reads the body only after the head is out; a retry that needed no rewind
         * (no body byte had been written) reads it again from the start. */
        s->head_sent = 1;
        s->written = 0;
        s->off = 0;
    } else if (type == CURLINFO_DATA_OUT) {
        s->written += size;
    }
    return 0;
}

static int start(CURLM *m, struct slot *s, struct sw_http_msg *msg)
{
    s->msg = msg;
    s->off = 0;
    s->written = 0;
    s->head_sent = 0;
    s->retry_after_s = 0;
    s->nreply = 0;
    s->reply[0] = '\0';
    s->cerr[0] = '\0';
    if (!msg->body) {
        msg->len = 0;
    }
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)msg->len);
    if (curl_multi_add_handle(m, s->h) != CURLM_OK) {
        msg->outcome = SW_SEND_TEMPORARY;
        msg->code = 0;
        msg->retry_after_s = 0;
        (void)snprintf(msg->error, sizeof(msg->error), "could not start the transfer");
        return -1;
    }
    return 0;
}

/* The answer's first line, printable ASCII only, for "HTTP 400: {...}". */
static void set_status_error(struct sw_http_msg *msg, long code, const struct slot *s)
{
    char text[sizeof(s->reply)];
    size_t n = 0;
    for (size_t i = 0; i < s->nreply && s->reply[i] != '\r' && s->reply[i] != '\n'; i++) {
        unsigned char c = (unsigned char)s->reply[i];
        text[n++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    text[n] = '\0';
    if (n > 0) {
        (void)snprintf(msg->error, sizeof(msg->error), "HTTP %ld: %s", code, text);
    } else {
        (void)snprintf(msg->error, sizeof(msg->error), "HTTP %ld", code);
    }
}

static void set_curl_error(struct sw_http_msg *msg, const struct slot *s, CURLcode cc,
                           const char *prefix)
{
    /* A long libcurl message is cut: its start says what happened. */
    const char *why = s->cerr[0] ? s->cerr : curl_easy_strerror(cc);
    if (cc == CURLE_SEND_FAIL_REWIND) {
        why = "the reused connection was closed"; /* and we refused libcurl's resend */
    }
    size_t cap = sizeof(msg->error) - 1, np = strlen(prefix), nw = strlen(why);
    np = np < cap ? np : cap;
    nw = nw < cap - np ? nw : cap - np;
    memcpy(msg->error, prefix, np);
    memcpy(msg->error + np, why, nw);
    msg->error[np + nw] = '\0';
}

/* Classify a finished transfer (see httpsend.h for the four outcomes). */
static void finish(struct slot *s, CURLcode cc)
{
    struct sw_http_msg *msg = s->msg;
    long code = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    msg->code = code;
    msg->retry_after_s = 0;
    msg->error[0] = '\0';
    /* A final status decides, even when the answer's body was then cut: the provider has
     * spoken. An interim 1xx followed by a break is no answer. */
    if (code >= 200 || (cc == CURLE_OK && code > 0)) {
        if (code >= 200 && code < 300) {
            msg->outcome = SW_SEND_SENT;
            return;
        }
        if (code == 429 || (code >= 500 && code < 600)) {
            msg->outcome = SW_SEND_TEMPORARY;
            msg->retry_after_s = s->retry_after_s;
        } else {
            msg->outcome = SW_SEND_PERMANENT; /* 4xx, and 1xx/3xx: redirects are not followed */
        }
        set_status_error(msg, code, s);
        return;
    }
    msg->code = 0;
    if (cc == CURLE_OK) {
        /* No status at all yet no error: cannot happen with HTTP; do not guess it was sent. */
        msg->outcome = SW_SEND_UNKNOWN;
        (void)snprintf(msg->error, sizeof(msg->error), "no HTTP status in the answer");
        return;
    }
    if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
        msg->outcome = SW_SEND_PERMANENT;
        set_curl_error(msg, s, cc, "");
        return;
    }
    /* Written in full (head, and the whole body when there is one) and then no status:
     * the provider may have accepted it. */
    if (s->head_sent && s->written >= msg->len) {
        msg->outcome = SW_SEND_UNKNOWN;
        set_curl_error(msg, s, cc, "no answer after the request was sent: ");
        return;
    }
    msg->outcome = SW_SEND_TEMPORARY;
    set_curl_error(msg, s, cc, "");
}

int sw_httpsend_open(const struct sw_http_config *cfg, struct sw_httpsend **out,
                     struct sw_error *err)
{
    int rc = 0;
    struct sw_httpsend *s = NULL;
    *out = NULL;
    if (!cfg->url ||
        (strncasecmp(cfg->url, "http://", 7) != 0 && strncasecmp(cfg->url, "https://", 8) != 0)) {
        return sw_error_set(err, SW_EINVAL, "url must start with http:// or https://");
    }
    s = sw_calloc(1, sizeof(*s));
    s->url = sw_strdup(cfg->url);
    s->nslots = cfg->connections > 0 ? cfg->connections : 1;
    s->slots = sw_calloc((size_t)s->nslots, sizeof(*s->slots));
    s->m = curl_multi_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h) {
        s->headers = h;
        h = curl_slist_append(s->headers, "Accept: application/json");
    }
    if (h) {
        /* no "Expect: 100-continue" round trip for large bodies */
        h = curl_slist_append(s->headers, "Expect:");
    }
    if (!s->m || !h) {
        rc = sw_error_set(err, SW_ENOMEM, "cannot start libcurl");
        goto out;
    }
    curl_multi_setopt(s->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)s->nslots);
    curl_multi_setopt(s->m, CURLMOPT_MAXCONNECTS, (long)s->nslots);
    for (int i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        CURL *e = curl_easy_init();
        if (!e) {
            rc = sw_error_set(err, SW_ENOMEM, "cannot start libcurl");
            goto out;
        }
        sl->h = e;
        curl_easy_setopt(e, CURLOPT_PRIVATE, sl);
        curl_easy_setopt(e, CURLOPT_URL, s->url);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        /* One request in flight per connection, so that `connections` means what it says and
         * a broken connection concerns one message (HTTP/2 would multiplex them). */
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "stepwise");
        curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(e, CURLOPT_READDATA, sl);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, sl);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, sl);
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, sl);
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L); /* feeds debug_cb only: nothing is printed */
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->cerr);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, cfg->timeout_s > 0 ? cfg->timeout_s : 60L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    }
    *out = s;
    s = NULL; /* the caller owns it now */
out:
    sw_httpsend_close(s);
    return rc;
}

void sw_httpsend_close(struct sw_httpsend *s)
{
    if (!s) {
        return;
    }
    for (int i = 0; s->slots && i < s->nslots; i++) {
        if (s->slots[i].h) {
            curl_multi_remove_handle(s->m, s->slots[i].h);
            curl_easy_cleanup(s->slots[i].h);
        }
    }
    free(s->slots);
    if (s->m) {
        curl_multi_cleanup(s->m);
    }
    curl_slist_free_all(s->headers);
    free(s->url);
    free(s);
}

void sw_httpsend_batch(struct sw_httpsend *s, struct sw_http_msg *msgs, size_t n)
{
    size_t next = 0, done = 0;
    int used = (size_t)s->nslots < n ? s->nslots : (int)n;
    /* A message that cannot even be started is done (temporary): the slot tries the next. */
    for (int i = 0; i < used; i++) {
        while (next < n && start(s->m, &s->slots[i], &msgs[next++]) < 0) {
            done++;
        }
    }
    while (done < n) {
        int running = 0;
        CURLcode result;
        struct slot *sl;
        curl_multi_perform(s->m, &running);
        while ((sl = sw_curl_next_done(s->m, &result))) {
            finish(sl, result);
            done++;
            while (next < n && start(s->m, sl, &msgs[next++]) < 0) {
                done++;
            }
        }
        if (done < n) {
            curl_multi_poll(s->m, NULL, 0, 1000, NULL);
        }
    }
}
