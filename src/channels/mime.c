/*
 * mime.c - see mime.h for what the output guarantees and which RFCs apply.
 *
 * Header fields are written through a small folding writer: a value is a sequence of atoms
 * separated by single spaces, and a line is folded (CRLF inserted before the space) when the
 * next atom would pass 78 columns. Unfolding (removing the CRLFs) gives back exactly what was
 * written, which is why text that folding would alter is sent as encoded-words instead.
 */
#include "channels/mime.h"
#include "core/clock.h"
#include "core/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_SOFT 78  /* RFC 5322 2.1.1 SHOULD, excluding CRLF */
#define LINE_MAX_HARD 998 /* RFC 5322 2.1.1 MUST */
#define EW_MAX 75         /* RFC 2047 2: an encoded-word is at most 75 characters */
#define EW_OVERHEAD 12    /* "=?UTF-8?B?" + "?=" */
#define PLAIN_WORD_MAX 60 /* longer words in unstructured text are encoded so they can split */
#define QP_LINE_MAX 76    /* RFC 2045 6.7 rule 5 */

/* ---- small checks ---- */

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        size_t len;
        unsigned min, cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) < len) {
            return false;
        }
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        p += len;
    }
    return true;
}

/* A header value must stay on its line: CR and LF are header injection, and other control
 * characters have no business in a header either (tab is folding whitespace, allowed). */
static int check_line(const char *what, const char *s, struct sw_error *err)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            return sw_error_set(err, SW_EINVAL,
                                "%s contains a line break (CR or LF): refused as header injection",
                                what);
        }
        if ((*p < 0x20 && *p != '\t') || *p == 0x7F) {
            return sw_error_set(err, SW_EINVAL, "%s contains a control character (0x%02X)", what,
                                *p);
        }
    }
    if (!utf8_valid(s, strlen(s))) {
        return sw_error_set(err, SW_EINVAL, "%s is not valid UTF-8", what);
    }
    return 0;
}

/* addr-spec, ASCII only: local@domain with no whitespace, brackets, quotes or separators.
 * Quoted local parts and SMTPUTF8 addresses are refused rather than half-supported. */
static int check_addr(const char *what, const char *s, size_t n, struct sw_error *err)
{
    size_t at = 0, nat = 0;
    if (n == 0) {
        return sw_error_set(err, SW_EINVAL, "%s: empty address", what);
    }
    if (n > 254) {
        return sw_error_set(err, SW_EINVAL, "%s: address longer than 254 characters", what);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F) {
            return sw_error_set(err, SW_EINVAL,
                                "%s: address must be ASCII without spaces (got byte 0x%02X)",
                                what, c);
        }
        if (strchr("<>()[]\\,;:\"", c)) {
            return sw_error_set(err, SW_EINVAL, "%s: address contains '%c'", what, c);
        }
        if (c == '@') {
            at = i;
            nat++;
        }
    }
    if (nat != 1 || at == 0 || at == n - 1) {
        return sw_error_set(err, SW_EINVAL, "%s: \"%.*s\" is not an address (local@domain)",
                            what, (int)n, s);
    }
    return 0;
}

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    const char *p = hay, *end = hay + n;
    /* memchr to each occurrence of the first byte (memmem is a GNU extension) */
    while (m && (size_t)(end - p) >= m && (p = memchr(p, needle[0], (size_t)(end - p) - m + 1))) {
        if (memcmp(p, needle, m) == 0) {
            return true;
        }
        p++;
    }
    return false;
}

/* ---- folding header writer ---- */

struct hw {
    struct sw_buf *out;
    size_t col; /* characters on the current line */
};

static void h_start(struct hw *h, struct sw_buf *out, const char *name)
{
    h->out = out;
    sw_buf_printf(out, "%s:", name);
    h->col = strlen(name) + 1;
}

static void h_atom(struct hw *h, const char *s, size_t n)
{
    /* Folding right after "Name:" is allowed too (FWS may follow the colon). */
    if (h->col > 0 && h->col + 1 + n > LINE_MAX_SOFT) {
        sw_buf_puts(h->out, "\r\n");
        h->col = 0;
    }
    sw_buf_putc(h->out, ' ');
    sw_buf_add(h->out, s, n);
    h->col += 1 + n;
}

static void h_end(struct hw *h)
{
    sw_buf_puts(h->out, "\r\n");
}

static void base64(struct sw_buf *out, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n) {
            v |= (unsigned)p[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= p[i + 2];
        }
        sw_buf_putc(out, tab[(v >> 18) & 63]);
        sw_buf_putc(out, tab[(v >> 12) & 63]);
        sw_buf_putc(out, i + 1 < n ? tab[(v >> 6) & 63] : '=');
        sw_buf_putc(out, i + 2 < n ? tab[v & 63] : '=');
    }
}

/* Text as a run of "=?UTF-8?B?...?=" words, each as long as the current line allows (at most
 * 75), cut only before a UTF-8 lead byte. Decoders drop the whitespace between adjacent
 * encoded-words (RFC 2047 6.2), so the text comes back exactly. */
static void h_encoded(struct hw *h, const char *s, size_t n)
{
    struct sw_buf w = SW_BUF_INIT;
    size_t i = 0;
    while (i < n) {
        /* Room for at least 8 base64 characters (a 4-byte character), or fold first. */
        if (h->col + 1 + EW_OVERHEAD + 8 > LINE_MAX_SOFT) {
            sw_buf_puts(h->out, "\r\n");
            h->col = 0;
        }
        size_t avail = LINE_MAX_SOFT - h->col - 1;
        if (avail > EW_MAX) {
            avail = EW_MAX;
        }
        size_t take = (avail - EW_OVERHEAD) / 4 * 3;
        if (take >= n - i) {
            take = n - i;
        } else {
            while (take > 0 && ((unsigned char)s[i + take] & 0xC0) == 0x80) {
                take--;
            }
        }
        sw_buf_reset(&w);
        sw_buf_puts(&w, "=?UTF-8?B?");
        base64(&w, (const unsigned char *)s + i, take);
        sw_buf_puts(&w, "?=");
        h_atom(h, w.data, w.len);
        i += take;
    }
    if (sw_buf_error(&w)) {
        h->out->err = sw_buf_error(&w);
    }
    sw_buf_release(&w);
}

/* Can unstructured ASCII text go out as space-separated atoms and come back identical after
 * unfolding? Not with control characters, runs of spaces, leading or trailing spaces, text
 * that a decoder would take for an encoded-word, or words too long to fold. */
static bool plain_ok(const char *s)
{
    size_t word = 0;
    if (*s == ' ') {
        return false;
    }
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c > 0x7E || (c == '=' && p[1] == '?')) {
            return false;
        }
        if (c == ' ') {
            if (p[1] == ' ' || p[1] == '\0') {
                return false;
            }
            word = 0;
        } else if (++word > PLAIN_WORD_MAX) {
            return false;
        }
    }
    return true;
}

/* An unstructured value (Subject, extra headers). */
static void h_text(struct hw *h, const char *s)
{
    if (!plain_ok(s)) {
        h_encoded(h, s, strlen(s));
        return;
    }
    while (*s) {
        size_t n = strcspn(s, " ");
        h_atom(h, s, n);
        s += n;
        if (*s == ' ') {
            s++;
        }
    }
}

/* A display name (RFC 5322 phrase): atoms when it is plain atext words, a quoted-string when
 * it is short printable ASCII with specials, encoded-words otherwise. */
static void h_phrase(struct hw *h, const char *s, size_t n)
{
    static const char atext_specials[] = "!#$%&'*+-/=?^_`{|}~";
    bool ascii = true, atext = true;
    size_t word = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7E) {
            ascii = false;
            break;
        }
        if (c == ' ') {
            if (i == 0 || i + 1 == n || s[i + 1] == ' ') {
                atext = false;
            }
            word = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(atext_specials, c)) ||
            ++word > PLAIN_WORD_MAX || (c == '=' && i + 1 < n && s[i + 1] == '?')) {
            atext = false;
        }
    }
    if (ascii && atext) {
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && s[j] != ' ') {
                j++;
            }
            h_atom(h, s + i, j - i);
            i = j + 1;
        }
        return;
    }
    if (ascii && n <= PLAIN_WORD_MAX) {
        struct sw_buf q = SW_BUF_INIT;
        sw_buf_putc(&q, '"');
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"' || s[i] == '\\') {
                sw_buf_putc(&q, '\\');
            }
            sw_buf_putc(&q, s[i]);
        }
        sw_buf_putc(&q, '"');
        h_atom(h, q.data, q.len);
        sw_buf_release(&q);
        return;
    }
    h_encoded(h, s, n);
}

/* "addr" or "Name <addr>" or "\"Name\" <addr>"; writes the header or fails. */
static int h_mailbox(struct sw_buf *out, const char *hname, const char *what, const char *v,
                     struct sw_error *err)
{
    int rc;
    struct hw h;
    struct sw_buf name = SW_BUF_INIT;

    if (!v || !*v) {
        return sw_error_set(err, SW_EINVAL, "%s is required", what);
    }
    const char *lt = strrchr(v, '<');
    size_t n = strlen(v);
    if ((rc = check_line(what, v, err)) < 0) {
        return rc;
    }
    if (!lt) {
        if ((rc = check_addr(what, v, n, err)) < 0) {
            return rc;
        }
        h_start(&h, out, hname);
        h_atom(&h, v, n);
        h_end(&h);
        return 0;
    }
    if (n == 0 || v[n - 1] != '>') {
        return sw_error_set(err, SW_EINVAL, "%s: expected \"Name <address>\"", what);
    }
    const char *addr = lt + 1;
    size_t alen = (size_t)(v + n - 1 - addr);
    if ((rc = check_addr(what, addr, alen, err)) < 0) {
        return rc;
    }
    /* The display name: trimmed, and unquoted if it was a quoted-string. */
    const char *a = v, *b = lt;
    while (a < b && (*a == ' ' || *a == '\t')) {
        a++;
    }
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) {
        b--;
    }
    if (b - a >= 2 && *a == '"' && b[-1] == '"') {
        for (const char *p = a + 1; p < b - 1; p++) {
            if (*p == '\\' && p + 1 < b - 1) {
                p++;
            }
            sw_buf_putc(&name, *p);
        }
    } else {
        sw_buf_add(&name, a, (size_t)(b - a));
    }
    h_start(&h, out, hname);
    if (name.len) {
        h_phrase(&h, name.data, name.len);
    }
    struct sw_buf ab = SW_BUF_INIT;
    sw_buf_putc(&ab, '<');
    sw_buf_add(&ab, addr, alen);
    sw_buf_putc(&ab, '>');
    h_atom(&h, ab.data, ab.len);
    h_end(&h);
    sw_buf_release(&ab);
    sw_buf_release(&name);
    return 0;
}

/* ---- Date ---- */

void sw_mime_date(int64_t ms, char *out, size_t n)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* Sakamoto's day of the week from the civil date (0 = Sunday). */
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    int y, mo, d, h, mi, s;
    sw_clock_civil(ms, &y, &mo, &d, &h, &mi, &s);
    int yy = mo < 3 ? y - 1 : y;
    int wd = (yy + yy / 4 - yy / 100 + yy / 400 + t[mo - 1] + d) % 7;
    if (wd < 0) {
        wd += 7;
    }
    snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[wd], d, months[mo - 1], y, h,
             mi, s);
}

/* ---- quoted-printable (RFC 2045 6.7) ---- */

static void qp_encode(struct sw_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\r' && s[e] != '\n') {
            e++;
        }
        /* The line is written in place, into room for its worst case: every byte encoded
         * (3), a soft break "=" CRLF at least every 70 of those, and the line's end. */
        size_t worst = 3 * (e - i);
        sw_buf_reserve(out, worst + 3 * (worst / 70 + 1) + 3);
        if (sw_buf_error(out)) {
            return;
        }
        char *w = out->data + out->len;
        size_t col = 0;
        for (size_t k = i; k < e; k++) {
            /* A run of characters literal where they stand (printable ASCII but '=', and
             * space and tab, which are literal but at a line's end: the run stops before the
             * last character; not an 'F' starting a line), up to the column where a soft
             * break would be due. */
            size_t run = 0;
            while (k + run + 1 < e && col + run < QP_LINE_MAX - 1) {
                unsigned char r = (unsigned char)s[k + run];
                if (!((r - 32u <= 126u - 32u && r != '=') || r == '\t') ||
                    (col + run == 0 && r == 'F')) {
                    break;
                }
                run++;
            }
            if (run) {
                memcpy(w, s + k, run);
                w += run;
                col += run;
                k += run - 1;
                continue;
            }
            unsigned char c = (unsigned char)s[k];
            bool last = k + 1 == e;
            /* Literal: printable ASCII but '=', and space/tab unless they end the line.
             * "From " at a line start is escaped so mbox tools do not mangle it. */
            bool lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
            if (col == 0 && c == 'F' && e - k >= 5 && memcmp(s + k, "From ", 5) == 0) {
                lit = false;
            }
            size_t tlen = lit ? 1 : 3;
            /* A soft break "=" needs one column, except after the line's last character. */
            if (col + tlen > (last ? QP_LINE_MAX : QP_LINE_MAX - 1)) {
                memcpy(w, "=\r\n", 3);
                w += 3;
                col = 0;
                if (c == 'F' && e - k >= 5 && memcmp(s + k, "From ", 5) == 0) {
                    lit = false;
                    tlen = 3;
                }
            }
            if (lit) {
                *w++ = (char)c;
            } else {
                w[0] = '=';
                w[1] = hex[c >> 4];
                w[2] = hex[c & 15];
                w += 3;
            }
            col += tlen;
        }
        /* No line break at the end of the body: a soft break ends the line so the message
         * still ends in CRLF and the body decodes without a trailing newline. */
        const char *end = e < n ? "\r\n" : e > i ? "=\r\n" : "";
        size_t m = strlen(end);
        memcpy(w, end, m + 1);
        out->len = (size_t)(w - out->data) + m;
        if (e == n) {
            break;
        }
        i = e + (s[e] == '\r' && e + 1 < n && s[e + 1] == '\n' ? 2 : 1);
    }
}

/* ---- the message ---- */

/* Header names we write ourselves, or that would add recipients (the recipient's address
 * only is in the message: SPEC §5.1), or that belong to the transport. Compared without
 * case; "Content-" is a prefix. */
static const char *const reserved_headers[] = {
    "From",         "To",  "Cc",     "Bcc",    "Subject",     "Date",     "Message-ID",
    "MIME-Version", "Reply-To", "Sender", "Return-Path", "Received", "List-Unsubscribe",
    "List-Unsubscribe-Post", NULL};

static int check_header_name(const char *k, struct sw_error *err)
{
    size_t n = strlen(k);
    if (n == 0 || n > 76) {
        return sw_error_set(err, SW_EINVAL, "header name \"%s\" must be 1 to 76 characters", k);
    }
    for (const char *p = k; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-')) {
            return sw_error_set(err, SW_EINVAL,
                                "header name \"%s\" may only contain letters, digits and '-'", k);
        }
    }
    if (strncasecmp(k, "Content-", 8) == 0) {
        return sw_error_set(err, SW_EINVAL, "header %s is set by the MIME builder", k);
    }
    for (size_t i = 0; reserved_headers[i]; i++) {
        if (strcasecmp(k, reserved_headers[i]) == 0) {
            return sw_error_set(err, SW_EINVAL, "header %s cannot be overridden", k);
        }
    }
    return 0;
}

/* A single token kept whole (Message-ID, List-Unsubscribe): ASCII, no spaces or brackets. */
static int check_token(const char *what, const char *s, struct sw_error *err)
{
    int rc = check_line(what, s, err);
    if (rc < 0) {
        return rc;
    }
    size_t n = strlen(s);
    if (n == 0 || n > LINE_MAX_HARD - 40) {
        return sw_error_set(err, SW_EINVAL, "%s must be 1 to %d characters", what,
                            LINE_MAX_HARD - 40);
    }
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7F) {
            return sw_error_set(err, SW_EINVAL, "%s must be ASCII without spaces", what);
        }
    }
    return 0;
}

static void part_headers(struct sw_buf *out, const char *subtype)
{
    sw_buf_printf(out,
                  "Content-Type: text/%s; charset=UTF-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n",
                  subtype);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

int sw_mime_build(const struct sw_mime_msg *m, struct sw_buf *out, struct sw_error *err)
{
    int rc = 0;
    size_t start = out->len;
    struct sw_buf qtext = SW_BUF_INIT, qhtml = SW_BUF_INIT;
    struct hw h;
    char date[64], boundary[64];
    const char *subject = m->subject ? m->subject : "";

    /* Everything is checked before anything is written, except the mailboxes, whose
     * writers check as they go; a failure truncates out back to where it was. */
    if (!m->text && !m->html) {
        rc = sw_error_set(err, SW_EINVAL, "an email needs an html or a text body");
        goto out;
    }
    if (!m->to || !*m->to) {
        rc = sw_error_set(err, SW_EINVAL, "to is required");
        goto out;
    }
    if ((rc = check_line("to", m->to, err)) < 0) {
        goto out;
    }
    if (strpbrk(m->to, "<>")) {
        rc = sw_error_set(err, SW_EINVAL, "to must be the recipient's address only, without a "
                                          "display name or < >");
        goto out;
    }
    if ((rc = check_addr("to", m->to, strlen(m->to), err)) < 0) {
        goto out;
    }
    if ((rc = check_line("subject", subject, err)) < 0) {
        goto out;
    }
    if (!m->message_id) {
        rc = sw_error_set(err, SW_EINVAL, "message_id is required");
        goto out;
    }
    if ((rc = check_token("message_id", m->message_id, err)) < 0) {
        goto out;
    }
    size_t idn = strlen(m->message_id);
    if (m->message_id[0] != '<' || m->message_id[idn - 1] != '>' ||
        !strchr(m->message_id, '@') || strchr(m->message_id + 1, '<') ||
        strchr(m->message_id, '>') != m->message_id + idn - 1) {
        rc = sw_error_set(err, SW_EINVAL, "message_id must look like <id@domain>");
        goto out;
    }
    if (m->list_unsubscribe) {
        if ((rc = check_token("list_unsubscribe", m->list_unsubscribe, err)) < 0) {
            goto out;
        }
        if (strpbrk(m->list_unsubscribe, "<>") || !strchr(m->list_unsubscribe, ':')) {
            rc = sw_error_set(err, SW_EINVAL,
                              "list_unsubscribe must be a URL or a mailto: without < >");
            goto out;
        }
    }
    if (m->list_unsubscribe_mailto) {
        if ((rc = check_token("list_unsubscribe", m->list_unsubscribe_mailto, err)) < 0) {
            goto out;
        }
        if (strpbrk(m->list_unsubscribe_mailto, "<>") ||
            strncasecmp(m->list_unsubscribe_mailto, "mailto:", 7) != 0) {
            rc = sw_error_set(err, SW_EINVAL, "list_unsubscribe must be a mailto: without < >");
            goto out;
        }
    }
    if (m->headers) {
        const char *k;
        json_t *v;
        if (!json_is_object(m->headers)) {
            rc = sw_error_set(err, SW_EINVAL, "headers must be an object");
            goto out;
        }
        json_object_foreach((json_t *)m->headers, k, v)
        {
            if ((rc = check_header_name(k, err)) < 0) {
                goto out;
            }
            if (!json_is_string(v)) {
                rc = sw_error_set(err, SW_EINVAL, "header %s: the value must be a string", k);
                goto out;
            }
            char what[128];
            snprintf(what, sizeof(what), "header %s", k);
            if ((rc = check_line(what, json_string_value(v), err)) < 0) {
                goto out;
            }
        }
    }
    if (m->text) {
        if (!utf8_valid(m->text, strlen(m->text))) {
            rc = sw_error_set(err, SW_EINVAL, "the text body is not valid UTF-8");
            goto out;
        }
        qp_encode(&qtext, m->text, strlen(m->text));
    }
    if (m->html) {
        if (!utf8_valid(m->html, strlen(m->html))) {
            rc = sw_error_set(err, SW_EINVAL, "the html body is not valid UTF-8");
            goto out;
        }
        qp_encode(&qhtml, m->html, strlen(m->html));
    }

    sw_mime_date(m->date_ms, date, sizeof(date));
    sw_buf_printf(out, "Date: %s\r\n", date);
    if ((rc = h_mailbox(out, "From", "from", m->from ? m->from : "", err)) < 0) {
        goto out;
    }
    if (m->reply_to && (rc = h_mailbox(out, "Reply-To", "reply_to", m->reply_to, err)) < 0) {
        goto out;
    }
    h_start(&h, out, "To");
    h_atom(&h, m->to, strlen(m->to));
    h_end(&h);
    h_start(&h, out, "Subject");
    h_text(&h, subject);
    h_end(&h);
    h_start(&h, out, "Message-ID");
    h_atom(&h, m->message_id, idn);
    h_end(&h);
    if (m->list_unsubscribe) {
        sw_buf_printf(out, "List-Unsubscribe: <%s>", m->list_unsubscribe);
        if (m->list_unsubscribe_mailto) {
            sw_buf_printf(out, ",\r\n <%s>", m->list_unsubscribe_mailto);
        }
        sw_buf_puts(out, "\r\n");
        if (m->one_click || strncasecmp(m->list_unsubscribe, "https://", 8) == 0) {
            sw_buf_puts(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
        }
    }
    if (m->headers) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)m->headers, k, v)
        {
            h_start(&h, out, k);
            h_text(&h, json_string_value(v));
            h_end(&h);
        }
    }
    sw_buf_puts(out, "MIME-Version: 1.0\r\n");

    if (!(m->text && m->html)) {
        part_headers(out, m->text ? "plain" : "html");
        sw_buf_puts(out, "\r\n");
        const struct sw_buf *q = m->text ? &qtext : &qhtml;
        sw_buf_add(out, q->data, q->len);
        goto out;
    }

    /* "=_" cannot occur in quoted-printable output; the check is belt and braces. */
    uint64_t hash = fnv1a(m->message_id);
    for (unsigned n = 0;; n++) {
        char delim[80];
        snprintf(boundary, sizeof(boundary), "=_sw_%016llx_%u", (unsigned long long)hash, n);
        snprintf(delim, sizeof(delim), "--%s", boundary);
        if (!contains(qtext.data, qtext.len, delim) && !contains(qhtml.data, qhtml.len, delim)) {
            break;
        }
    }
    h_start(&h, out, "Content-Type");
    h_atom(&h, "multipart/alternative;", 22);
    {
        char param[96];
        int pn = snprintf(param, sizeof(param), "boundary=\"%s\"", boundary);
        h_atom(&h, param, (size_t)pn);
    }
    h_end(&h);
    sw_buf_puts(out, "\r\n");
    /* The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1). */
    sw_buf_printf(out, "--%s\r\n", boundary);
    part_headers(out, "plain");
    sw_buf_puts(out, "\r\n");
    sw_buf_add(out, qtext.data, qtext.len);
    sw_buf_printf(out, "\r\n--%s\r\n", boundary);
    part_headers(out, "html");
    sw_buf_puts(out, "\r\n");
    sw_buf_add(out, qhtml.data, qhtml.len);
    sw_buf_printf(out, "\r\n--%s--\r\n", boundary);

out:
    if (rc == 0 && (sw_buf_error(out) || sw_buf_error(&qtext) || sw_buf_error(&qhtml))) {
        rc = sw_error_set(err, SW_ENOMEM, "out of memory building the message");
    }
    if (rc < 0 && !sw_buf_error(out)) {
        sw_buf_truncate(out, start);
    }
    sw_buf_release(&qtext);
    sw_buf_release(&qhtml);
    return rc;
}
