/*
 * track.c - see track.h.
 */
#include "channels/track.h"
#include "core/util.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAC       16
#define OPEN_BODY 11 /* kid 2 + kind 1 + row 8 */
#define CLICK_HDR 13 /* kid 2 + kind 1 + row 8 + link 2 */

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        p[i] = (unsigned char)((v >> (8 * (bytes - 1 - i))) & 0xff);
    }
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Sign raw[0..body) with the newest key into raw[body..body+MAC) and encode the whole. */
static char *seal(const struct sw_keyring *kr, unsigned char *raw, size_t body)
{
    crypto_generichash(raw + body, MAC, raw, body, kr->k[kr->n - 1].key, 32);
    size_t n = sodium_base64_ENCODED_LEN(body + MAC, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = sw_malloc(n);
    sodium_bin2base64(out, n, raw, body + MAC, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* Decode tok into raw (cap bytes) and check its kind and MAC against the key it names: the
 * number of bytes before the MAC, or 0. */
static size_t unseal(const struct sw_keyring *kr, const char *tok, char kind, unsigned char *raw,
                     size_t cap)
{
    size_t len = 0, tl = tok ? strlen(tok) : 0;
    if (!kr || tl == 0 || tl > sodium_base64_ENCODED_LEN(cap, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        sodium_base642bin(raw, cap, tok, tl, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len < OPEN_BODY + MAC || raw[2] != (unsigned char)kind) {
        return 0;
    }
    size_t body = len - MAC;
    int64_t kid = (int64_t)get_be(raw, 2);
    for (int i = 0; i < kr->n; i++) {
        if (kr->k[i].kid != kid) {
            continue;
        }
        unsigned char mac[MAC];
        crypto_generichash(mac, MAC, raw, body, kr->k[i].key, 32);
        return sodium_memcmp(mac, raw + body, MAC) == 0 ? body : 0;
    }
    return 0;
}

char *sw_track_open_token(const struct sw_keyring *kr, int64_t row)
{
    if (!kr || kr->n == 0 || row <= 0) {
        return NULL;
    }
    unsigned char raw[OPEN_BODY + MAC];
    put_be(raw, (uint64_t)kr->k[kr->n - 1].kid, 2);
    raw[2] = 'o';
    put_be(raw + 3, (uint64_t)row, 8);
    return seal(kr, raw, OPEN_BODY);
}

char *sw_track_click_token(const struct sw_keyring *kr, int64_t row, int link, const char *url)
{
    size_t ul = url ? strlen(url) : 0;
    if (!kr || kr->n == 0 || row <= 0 || link < 1 || link > 0xffff || ul == 0 ||
        ul > SW_TRACK_URL_MAX) {
        return NULL;
    }
    unsigned char raw[CLICK_HDR + SW_TRACK_URL_MAX + MAC];
    put_be(raw, (uint64_t)kr->k[kr->n - 1].kid, 2);
    raw[2] = 'c';
    put_be(raw + 3, (uint64_t)row, 8);
    put_be(raw + 11, (uint64_t)link, 2);
    memcpy(raw + CLICK_HDR, url, ul);
    return seal(kr, raw, CLICK_HDR + ul);
}

bool sw_track_open_verify(const struct sw_keyring *kr, const char *tok, int64_t *row)
{
    unsigned char raw[OPEN_BODY + MAC];
    if (unseal(kr, tok, 'o', raw, sizeof(raw)) != OPEN_BODY) {
        return false;
    }
    *row = (int64_t)get_be(raw + 3, 8);
    return *row > 0;
}

bool sw_track_click_verify(const struct sw_keyring *kr, const char *tok, int64_t *row, int *link,
                           char **url)
{
    unsigned char raw[CLICK_HDR + SW_TRACK_URL_MAX + MAC];
    size_t body = unseal(kr, tok, 'c', raw, sizeof(raw));
    if (body <= CLICK_HDR || memchr(raw + CLICK_HDR, 0, body - CLICK_HDR)) {
        return false;
    }
    *row = (int64_t)get_be(raw + 3, 8);
    *link = (int)get_be(raw + 11, 2);
    if (*row <= 0 || *link < 1) {
        return false;
    }
    *url = sw_strndup((const char *)raw + CLICK_HDR, body - CLICK_HDR);
    return true;
}

/* --- the HTML rewrite --- */

static bool starts_ci(const char *s, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - s) >= n && strncasecmp(s, word, n) == 0;
}

/* Position just after the first case-insensitive `needle` at or after s, or end. */
static const char *skip_past(const char *s, const char *end, const char *needle)
{
    for (; s < end; s++) {
        if (starts_ci(s, end, needle)) {
            return s + strlen(needle);
        }
    }
    return end;
}

/* Decode the character references of an attribute value (&amp; &quot; &#NN; &#xHH; ...). */
static void decode_refs(const char *s, size_t n, struct sw_buf *out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}, {"lt;", '<'}, {"gt;", '>'}};
    const char *end = s + n;
    while (s < end) {
        if (*s != '&') {
            sw_buf_putc(out, *s++);
            continue;
        }
        bool done = false;
        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]) && !done; i++) {
            if (starts_ci(s + 1, end, named[i].name)) {
                sw_buf_putc(out, named[i].c);
                s += 1 + strlen(named[i].name);
                done = true;
            }
        }
        if (!done && s + 2 < end && s[1] == '#') {
            const char *p = s + 2;
            int base = 10;
            if (*p == 'x' || *p == 'X') {
                base = 16;
                p++;
            }
            unsigned long v = 0;
            const char *digits = p;
            while (p < end && (base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)) &&
                   v < 0x110000) {
                v = v * (unsigned long)base +
                    (unsigned long)(isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
                p++;
            }
            if (p > digits && v > 0 && v < 0x80) { /* URLs are ASCII; others stay as written */
                sw_buf_putc(out, (char)v);
                s = p < end && *p == ';' ? p + 1 : p;
                done = true;
            }
        }
        if (!done) {
            sw_buf_putc(out, *s++);
        }
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

struct attr {
    const char *name, *val; /* val NULL: no value */
    size_t name_len, val_len;
    const char *val_start, *val_end; /* the value as written, quotes included */
};

/* Parse one attribute at *p (after spaces); false at the end of the tag. */
static bool next_attr(const char **p, const char *end, struct attr *a)
{
    const char *s = *p;
    while (s < end && is_space(*s)) {
        s++;
    }
    if (s >= end || *s == '>' || (*s == '/' && s + 1 < end && s[1] == '>')) {
        *p = s;
        return false;
    }
    memset(a, 0, sizeof(*a));
    a->name = s;
    while (s < end && !is_space(*s) && *s != '=' && *s != '>' && !(*s == '/' && s + 1 < end && s[1] == '>')) {
        s++;
    }
    a->name_len = (size_t)(s - a->name);
    if (a->name_len == 0) { /* a stray '/' or '=' */
        s++;
        *p = s;
        return true;
    }
    const char *q = s;
    while (q < end && is_space(*q)) {
        q++;
    }
    if (q < end && *q == '=') {
        q++;
        while (q < end && is_space(*q)) {
            q++;
        }
        a->val_start = q;
        if (q < end && (*q == '"' || *q == '\'')) {
            char quote = *q++;
            a->val = q;
            while (q < end && *q != quote) {
                q++;
            }
            a->val_len = (size_t)(q - a->val);
            if (q < end) {
                q++;
            }
        } else {
            a->val = q;
            while (q < end && !is_space(*q) && *q != '>') {
                q++;
            }
            a->val_len = (size_t)(q - a->val);
        }
        a->val_end = q;
        s = q;
    }
    *p = s;
    return true;
}

static bool name_is(const struct attr *a, const char *name)
{
    return a->name_len == strlen(name) && strncasecmp(a->name, name, a->name_len) == 0;
}

/* The tracked URL for an href value, or NULL to leave it. */
static char *trackable(const struct attr *href, const struct sw_track_opts *o)
{
    struct sw_buf url;
    sw_buf_init(&url);
    decode_refs(href->val, href->val_len, &url);
    char *u = sw_buf_detach(&url);
    char *s = u;
    while (*s && (is_space(*s))) {
        s++;
    }
    size_t bl = strlen(o->base);
    bool ok = (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0) &&
              strlen(s) <= SW_TRACK_URL_MAX && !strchr(s, '\n') &&
              !(bl > 0 && strncmp(s, o->base, bl) == 0 && (s[bl] == '/' || s[bl] == '\0'));
    char *r = ok ? sw_strdup(s) : NULL;
    free(u);
    return r;
}

void sw_track_rewrite_html(const char *html, const struct sw_track_opts *o, struct sw_buf *out,
                           int *links)
{
    const char *s = html, *end = html + strlen(html), *copied = html;
    const char *body_close = NULL;
    int n = 0;
    while (s < end) {
        const char *lt = memchr(s, '<', (size_t)(end - s));
        if (!lt) {
            break;
        }
        s = lt;
        if (starts_ci(s, end, "<!--")) {
            s = skip_past(s + 4, end, "-->");
            continue;
        }
        if (starts_ci(s, end, "<script") || starts_ci(s, end, "<style")) {
            s = skip_past(s + 1, end, starts_ci(s, end, "<script") ? "</script" : "</style");
            continue;
        }
        if (starts_ci(s, end, "</body") && (s + 6 == end || s[6] == '>' || is_space(s[6]))) {
            body_close = s;
            s += 6;
            continue;
        }
        bool anchor = (starts_ci(s, end, "<a") && s + 2 < end && (is_space(s[2]) || s[2] == '>')) ||
                      (starts_ci(s, end, "<area") && s + 5 < end && (is_space(s[5]) || s[5] == '>'));
        s++;
        if (!anchor) {
            continue;
        }
        const char *p = s;
        struct attr a, href = {0};
        bool notrack = false;
        while (next_attr(&p, end, &a)) {
            if (name_is(&a, "href") && !href.name) {
                href = a;
            } else if (name_is(&a, "data-sw-notrack")) {
                notrack = true;
            }
        }
        s = p;
        if (!o->clicks || notrack || !href.val || n >= SW_TRACK_LINKS_MAX) {
            continue;
        }
        char *url = trackable(&href, o);
        char *tok = url ? sw_track_click_token(o->kr, o->row, n + 1, url) : NULL;
        if (tok) {
            sw_buf_add(out, copied, (size_t)(href.val_start - copied));
            sw_buf_printf(out, "\"%s/c/%s\"", o->base, tok);
            copied = href.val_end;
            n++;
        }
        free(tok);
        free(url);
    }
    if (o->opens) {
        char *tok = sw_track_open_token(o->kr, o->row);
        if (tok) {
            const char *at = body_close ? body_close : end;
            sw_buf_add(out, copied, (size_t)(at - copied));
            sw_buf_printf(out,
                          "<img src=\"%s/o/%s\" width=\"1\" height=\"1\" alt=\"\" "
                          "style=\"display:block;width:1px;height:1px;border:0\">",
                          o->base, tok);
            copied = at;
            free(tok);
        }
    }
    sw_buf_add(out, copied, (size_t)(end - copied));
    if (links) {
        *links = n;
    }
}

/* --- people and machines --- */

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        if (strncasecmp(p, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

bool sw_track_is_machine(const char *method, const char *user_agent, bool open, const char **why)
{
    /* Names seen in the User-Agent of link scanners, crawlers and HTTP libraries. */
    static const char *const machines[] = {
        "bot",       "crawler",   "spider",     "scanner",    "barracuda", "mimecast",
        "proofpoint", "safelinks", "symantec",  "trendmicro", "forcepoint", "sophos",
        "fortinet",  "fortiguard", "zscaler",   "cisco",      "headless",  "phantomjs",
        "curl/",     "wget/",      "python-",   "go-http-client", "java/", "okhttp",
        "libwww",    "httpclient", "axios/",    "node-fetch", "undici",    "preview",
    };
    const char *w = NULL;
    if (method && strcasecmp(method, "HEAD") == 0) {
        w = "HEAD request";
    } else if (!user_agent || !*user_agent) {
        w = "no User-Agent";
    } else if (open && strcmp(user_agent, "Mozilla/5.0") == 0) {
        w = "Apple Mail Privacy Protection prefetch";
    } else {
        for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]) && !w; i++) {
            if (contains_ci(user_agent, machines[i])) {
                w = machines[i];
            }
        }
    }
    if (why) {
        *why = w;
    }
    return w != NULL;
}
