/*
 * public.c - the public listener (settings public_listen, public_url): what recipients reach
 * from the internet, apart from the admin API. Only these routes, no authentication:
 *
 *   GET  /u/{token}   a small page in the recipient's language with a button that unsubscribes
 *   POST /u/{token}   one-click unsubscribe (RFC 8058: body List-Unsubscribe=One-Click; the
 *                     page's button posts the same)
 *   GET  /o/{token}   the open pixel (a 1x1 transparent GIF)
 *   GET  /c/{token}   a tracked link: 302 to the destination the token carries
 *
 * A genuine tracking link always answers, at once: its event goes to the recorder's queue
 * (server/recorder.h) and the rate limits do not apply to it (a mailbox provider's image proxy
 * fetches for many people from one address; a person's click must never meet a 429).
 *
 * Tokens are signed (channels/token.h): a forged or altered one is a 404, like any other path.
 * Requests are rate-limited per client address (a token bucket each, in a fixed table) and as
 * a whole, answering 429 with Retry-After beyond.
 */
#include "catalog/ledger.h"
#include "channels/limiter.h"
#include "catalog/suppressions.h"
#include "channels/token.h"
#include "channels/track.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/util.h"
#include "server/api.h"
#include "server/public.h"
#include "server/recorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Per client address: a burst of 20 requests, then 2 a second (a person clicks once or twice;
 * a scanner is slowed). All clients together: 500 a second. */
#define CLIENT_BURST 20.0
#define CLIENT_RATE  2.0
#define ALL_RATE     500.0
#define SLOTS        1024

static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char addr[48];
    double tokens;
    int64_t last_us;
} slots[SLOTS];
static struct sw_bucket all_bucket;
static bool limit_ready;

/* true when the client may go on; else *retry_s is when to come back. */
static bool admit(struct sw_http_req *req, int *retry_s)
{
    char addr[48];
    sw_req_client_addr(req, addr, sizeof(addr));
    uint32_t h = 2166136261u;
    for (const char *p = addr; *p; p++) {
        h = (h ^ (unsigned char)*p) * 16777619u;
    }
    int wait_ms = 0;
    pthread_mutex_lock(&limit_lock);
    if (!limit_ready) {
        sw_bucket_init(&all_bucket, ALL_RATE);
        limit_ready = true;
    }
    int64_t now = sw_clock_monotonic_us();
    unsigned i = h % SLOTS;
    if (strcmp(slots[i].addr, addr)) { /* a new client in this slot: a full bucket */
        snprintf(slots[i].addr, sizeof(slots[0].addr), "%s", addr);
        slots[i].tokens = CLIENT_BURST;
        slots[i].last_us = now;
    }
    slots[i].tokens += (double)(now - slots[i].last_us) * CLIENT_RATE / 1e6;
    slots[i].tokens = slots[i].tokens > CLIENT_BURST ? CLIENT_BURST : slots[i].tokens;
    slots[i].last_us = now;
    bool ok = slots[i].tokens >= 1.0;
    if (ok) {
        slots[i].tokens -= 1.0;
    } else {
        wait_ms = (int)((1.0 - slots[i].tokens) * 1000.0 / CLIENT_RATE);
    }
    if (ok && sw_bucket_take(&all_bucket, 1, &wait_ms) != 1) {
        ok = false;
    }
    pthread_mutex_unlock(&limit_lock);
    *retry_s = wait_ms / 1000 + 1;
    return ok;
}

static bool french(struct sw_http_req *req)
{
    const char *al = sw_req_header(req, "Accept-Language");
    while (al && (*al == ' ')) {
        al++;
    }
    return al && (al[0] == 'f' || al[0] == 'F') && (al[1] == 'r' || al[1] == 'R');
}

/* a.b@example.org -> a***@example.org: the page says whose address without showing it all. */
static char *masked(const char *address)
{
    const char *at = address ? strchr(address, '@') : NULL;
    if (!at || at == address) {
        return sw_strdup("***");
    }
    return sw_asprintf("%c***%s", address[0], at);
}

static void html_escape(struct sw_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            sw_buf_puts(b, "&lt;");
            break;
        case '>':
            sw_buf_puts(b, "&gt;");
            break;
        case '&':
            sw_buf_puts(b, "&amp;");
            break;
        case '"':
            sw_buf_puts(b, "&quot;");
            break;
        default:
            sw_buf_putc(b, *s);
        }
    }
}

static void page(struct sw_http_resp *resp, int status, bool fr, const char *title,
                 const char *text, const char *address, bool button)
{
    struct sw_buf b = SW_BUF_INIT;
    sw_buf_printf(&b,
                  "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\"><meta "
                  "name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta "
                  "name=\"robots\" content=\"noindex\"><title>",
                  fr ? "fr" : "en");
    html_escape(&b, title);
    sw_buf_puts(&b, "</title></head><body><main><h1>");
    html_escape(&b, title);
    sw_buf_puts(&b, "</h1><p>");
    html_escape(&b, text);
    if (address) {
        sw_buf_puts(&b, " <strong>");
        html_escape(&b, address);
        sw_buf_puts(&b, "</strong>");
    }
    sw_buf_puts(&b, "</p>");
    if (button) {
        /* The form posts exactly the RFC 8058 body. */
        sw_buf_printf(&b,
                      "<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
                      "value=\"One-Click\"><button type=\"submit\">%s</button></form>",
                      fr ? "Me désabonner" : "Unsubscribe");
    }
    sw_buf_puts(&b, "</main></body></html>\n");
    sw_resp_text(resp, status, "text/html; charset=utf-8", b.data);
    sw_buf_release(&b);
}

static void not_found(struct sw_http_resp *resp, bool fr)
{
    page(resp, 404, fr, fr ? "Lien introuvable" : "Not found",
         fr ? "Ce lien n'est pas valide." : "This link is not valid.", NULL, false);
}

/* A transparent 1x1 GIF. */
static const unsigned char PIXEL[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

/* Answer a genuine open or click link and queue its event; false when the token does not
 * verify (the caller answers as for any unknown path). */
static bool tracked(struct sw_server *srv, struct sw_http_req *req, struct sw_http_resp *resp,
                    const char *path)
{
    bool open = path[1] == 'o';
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
        return false;
    }
    struct sw_track_event e = {.kind = open ? 'o' : 'c', .at_ms = sw_clock_now_ms()};
    bool ok = open ? sw_track_open_verify(srv->config.keyring, path + 3, &e.delivery_id)
                   : sw_track_click_verify(srv->config.keyring, path + 3, &e.delivery_id, &e.link, &e.url);
    if (!ok) {
        return false;
    }
    sw_track_is_machine(req->method, sw_req_header(req, "User-Agent"), open, &e.machine);
    if (srv->set->track_ip) {
        sw_req_client_addr(req, e.ip, sizeof(e.ip));
    }
    sw_resp_header(resp, "Cache-Control", "no-store, private");
    sw_resp_header(resp, "Referrer-Policy", "no-referrer");
    if (open) {
        resp->status = 200;
        resp->content_type = "image/gif";
        sw_buf_reset(&resp->body);
        sw_buf_add(&resp->body, PIXEL, sizeof(PIXEL));
    } else {
        sw_resp_header(resp, "Location", e.url);
        sw_resp_text(resp, 302, "text/plain; charset=utf-8", "");
    }
    if (srv->recorder) {
        sw_recorder_push(srv->recorder, &e);
    }
    free(e.url);
    return true;
}

void sw_public_dispatch(void *ud, struct sw_http_req *req, struct sw_http_resp *resp)
{
    struct sw_server *srv = ud;
    const char *path = req->path ? req->path : "";
    if ((!strncmp(path, "/o/", 3) || !strncmp(path, "/c/", 3)) && !strchr(path + 3, '/') &&
        tracked(srv, req, resp, path)) {
        return;
    }
    bool fr = french(req);
    int retry = 1;
    if (!admit(req, &retry)) {
        char s[16];
        snprintf(s, sizeof(s), "%d", retry);
        page(resp, 429, fr, fr ? "Trop de demandes" : "Too many requests",
             fr ? "Réessayez dans un instant." : "Please try again in a moment.", NULL, false);
        sw_resp_header(resp, "Retry-After", s);
        return;
    }
    if (strncmp(path, "/u/", 3) || strchr(path + 3, '/')) {
        not_found(resp, fr);
        return;
    }
    bool post = !strcmp(req->method, "POST");
    if (!post && strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
        sw_resp_header(resp, "Allow", "GET, POST");
        page(resp, 405, fr, "Method not allowed", "GET or POST.", NULL, false);
        return;
    }
    int64_t id = 0;
    if (!sw_token_verify(srv->config.keyring, path + 3, SW_TOKEN_UNSUBSCRIBE, &id)) {
        not_found(resp, fr);
        return;
    }
    struct sw_db *db = sw_dbpool_get(&srv->pool);
    char *address = sw_ledger_email_address(db, id);
    char *shown = address ? masked(address) : NULL;
    if (!address) {
        /* a genuine link whose message left the history: nothing to act on */
        not_found(resp, fr);
    } else if (!post) {
        page(resp, 200, fr, fr ? "Se désabonner" : "Unsubscribe",
             fr ? "Ne plus recevoir nos e-mails à l'adresse" : "Stop receiving our emails at",
             shown, true);
    } else if (!req->body.data || !strstr(req->body.data, "List-Unsubscribe=One-Click")) {
        page(resp, 400, fr, fr ? "Demande incomplète" : "Bad request",
             fr ? "Utilisez le bouton de la page." : "Use the button on the page.", NULL, false);
    } else {
        struct sw_suppression s = {0,        "email",           address, "unsubscribe",
                                   "one-click", id, sw_clock_now_ms(), "public listener"};
        struct sw_error err = SW_ERROR_INIT;
        bool added = false;
        if (sw_suppress_add(db, &s, &added, &err) < 0) {
            page(resp, 500, fr, fr ? "Erreur" : "Error",
                 fr ? "Réessayez plus tard." : "Please try again later.", NULL, false);
        } else {
            page(resp, 200, fr, fr ? "Désabonnement confirmé" : "You are unsubscribed",
                 fr ? "Vous ne recevrez plus nos e-mails à l'adresse"
                    : "You will not receive our emails any more at",
                 shown, false);
        }
        sw_error_release(&err);
    }
    free(shown);
    free(address);
    sw_dbpool_put(&srv->pool, db);
}
