/*
 * test_mime.c - the email message builder (src/channels/mime.c). Every message is parsed
 * back by a small independent MIME reader below (unfolding, RFC 2047 B encoded-words,
 * quoted-printable, multipart) and compared with the inputs byte for byte; line lengths,
 * CRLF-only output and the refusals (header injection, reserved headers) are checked too.
 */
#include "testutil.h"

#include "channels/mime.h"
#include "core/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- a small MIME reader, written against the RFCs rather than mime.c ---- */

#define MAXH 32

struct hdrs {
    char *name[MAXH];
    char *value[MAXH]; /* unfolded, leading whitespace after the colon removed */
    size_t n;
};

struct parsed {
    struct hdrs h;
    char *body; /* raw body (still encoded) */
    size_t body_len;
};

/* Every line ends in CRLF, and no CR or LF appears alone. */
static void check_crlf(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            assert_true(i + 1 < n && s[i + 1] == '\n');
        } else if (s[i] == '\n') {
            assert_true(i > 0 && s[i - 1] == '\r');
        }
    }
}

static size_t max_line(const char *s, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
            best = cur > best ? cur : best;
            cur = 0;
            i++;
        } else {
            cur++;
        }
    }
    return cur > best ? cur : best;
}

/* Parse a header block ending at the first empty line; returns the offset of the body. */
static size_t parse_headers(const char *s, size_t n, struct hdrs *h, size_t hdr_line_max)
{
    size_t i = 0;
    h->n = 0;
    while (i < n) {
        size_t e = i;
        while (e + 1 < n && !(s[e] == '\r' && s[e + 1] == '\n')) {
            e++;
        }
        assert_true(e + 1 < n); /* the header block ends with CRLF CRLF */
        assert_true(e - i <= hdr_line_max);
        if (e == i) {
            return e + 2; /* the empty line */
        }
        if (s[i] == ' ' || s[i] == '\t') {
            /* A continuation line: unfolding removes the CRLF only. It must not be all
             * whitespace (RFC 5322 3.2.2). */
            assert_true(h->n > 0);
            bool ink = false;
            for (size_t k = i; k < e; k++) {
                ink |= s[k] != ' ' && s[k] != '\t';
            }
            assert_true(ink);
            char *v = sw_asprintf("%s%.*s", h->value[h->n - 1], (int)(e - i), s + i);
            free(h->value[h->n - 1]);
            h->value[h->n - 1] = v;
        } else {
            const char *colon = memchr(s + i, ':', e - i);
            assert_non_null(colon);
            assert_true(h->n < MAXH);
            for (const char *p = s + i; p < colon; p++) {
                assert_true(*p > 32 && *p < 127);
            }
            h->name[h->n] = sw_strndup(s + i, (size_t)(colon - (s + i)));
            h->value[h->n] = sw_strndup(colon + 1, (size_t)(s + e - colon - 1));
            h->n++;
        }
        i = e + 2;
    }
    fail_msg("no end of headers");
    return n;
}

static void hdrs_release(struct hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->name[i]);
        free(h->value[i]);
    }
    h->n = 0;
}

/* The value of a header (leading whitespace stripped), NULL if absent; fails on duplicates. */
static const char *hget(const struct hdrs *h, const char *name)
{
    const char *found = NULL;
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->name[i], name) == 0) {
            assert_null(found);
            found = h->value[i];
            while (*found == ' ' || *found == '\t') {
                found++;
            }
        }
    }
    return found;
}

static int b64val(char c)
{
    const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(tab, c);
    return c && p ? (int)(p - tab) : -1;
}

static void b64_decode(struct sw_buf *out, const char *s, size_t n)
{
    assert_int_equal(n % 4, 0);
    for (size_t i = 0; i < n; i += 4) {
        int a = b64val(s[i]), b = b64val(s[i + 1]);
        assert_true(a >= 0 && b >= 0);
        sw_buf_putc(out, (char)(a << 2 | b >> 4));
        if (s[i + 2] != '=') {
            int c = b64val(s[i + 2]);
            assert_true(c >= 0);
            sw_buf_putc(out, (char)((b & 15) << 4 | c >> 2));
            if (s[i + 3] != '=') {
                int d = b64val(s[i + 3]);
                assert_true(d >= 0);
                sw_buf_putc(out, (char)((c & 3) << 6 | d));
            }
        } else {
            assert_true(s[i + 3] == '=' && i + 4 == n);
        }
    }
}

static bool utf8_whole(const char *s, size_t n)
{
    /* Each encoded-word must hold whole characters: it starts on a lead byte and its last
     * character is complete. */
    if (n == 0) {
        return true;
    }
    if (((unsigned char)s[0] & 0xC0) == 0x80) {
        return false;
    }
    size_t i = n - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) {
        i--;
    }
    unsigned c = (unsigned char)s[i];
    size_t want = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    return n - i == want;
}

/* Decode RFC 2047 encoded-words (B, UTF-8) in an unstructured value; whitespace between two
 * adjacent encoded-words is dropped (RFC 2047 6.2). Every word must be at most 75 chars. */
static char *decode_2047(const char *v)
{
    struct sw_buf out = SW_BUF_INIT;
    bool prev_ew = false;
    const char *p = v;
    while (*p) {
        size_t ws = strspn(p, " \t");
        const char *w = p + ws;
        size_t wl = strcspn(w, " \t");
        bool ew = wl >= 12 && strncmp(w, "=?UTF-8?B?", 10) == 0 && strncmp(w + wl - 2, "?=", 2) == 0;
        if (!(ew && prev_ew)) {
            sw_buf_add(&out, p, ws);
        }
        if (ew) {
            assert_true(wl <= 75);
            size_t before = out.len;
            b64_decode(&out, w + 10, wl - 12);
            assert_true(utf8_whole(out.data + before, out.len - before));
        } else {
            assert_null(strstr(w, "=?")); /* no malformed encoded-words */
            sw_buf_add(&out, w, wl);
        }
        prev_ew = ew;
        p = w + wl;
    }
    return sw_buf_detach(&out);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1; /* RFC 2045: uppercase only */
}

/* Quoted-printable decoding, strict: lines <= 76, no trailing whitespace, only printable
 * literals, '=' only as =XX or a soft break. */
static char *decode_qp(const char *s, size_t n, size_t *outlen)
{
    struct sw_buf out = SW_BUF_INIT;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e + 1 < n && !(s[e] == '\r' && s[e + 1] == '\n')) {
            e++;
        }
        if (e + 1 >= n) {
            e = n; /* last line without CRLF */
        }
        assert_true(e - i <= 76);
        if (e > i) {
            assert_true(s[e - 1] != ' ' && s[e - 1] != '\t');
        }
        bool soft = false;
        for (size_t k = i; k < e; k++) {
            char c = s[k];
            if (c == '=') {
                if (k + 1 == e) {
                    soft = true;
                    break;
                }
                assert_true(k + 2 < e); /* a whole =XX on this line */
                int a = hexval(s[k + 1]), b = hexval(s[k + 2]);
                assert_true(a >= 0 && b >= 0);
                sw_buf_putc(&out, (char)(a << 4 | b));
                k += 2;
            } else {
                assert_true((c >= 33 && c <= 126) || c == ' ' || c == '\t');
                sw_buf_putc(&out, c);
            }
        }
        if (e < n && !soft) {
            sw_buf_puts(&out, "\r\n");
        }
        i = e + 2;
    }
    *outlen = out.len;
    return sw_buf_detach(&out);
}

/* The input body as it should decode: line breaks (LF, CR, CRLF) become CRLF. */
static char *crlf(const char *s)
{
    struct sw_buf b = SW_BUF_INIT;
    for (; *s; s++) {
        if (*s == '\r') {
            sw_buf_puts(&b, "\r\n");
            if (s[1] == '\n') {
                s++;
            }
        } else if (*s == '\n') {
            sw_buf_puts(&b, "\r\n");
        } else {
            sw_buf_putc(&b, *s);
        }
    }
    return sw_buf_detach(&b);
}

/* A single text part: checks its headers and decoded body against `want` (raw input). */
static void check_part(const struct hdrs *h, const char *body, size_t n, const char *subtype,
                       const char *want)
{
    char ct[64];
    snprintf(ct, sizeof(ct), "text/%s; charset=UTF-8", subtype);
    assert_string_equal(hget(h, "Content-Type"), ct);
    assert_string_equal(hget(h, "Content-Transfer-Encoding"), "quoted-printable");
    size_t dn;
    char *dec = decode_qp(body, n, &dn);
    char *exp = crlf(want);
    assert_int_equal(dn, strlen(exp));
    assert_memory_equal(dec, exp, dn);
    free(dec);
    free(exp);
}

/* Parse a whole message and check its bodies against m. Returns the headers (caller releases). */
static void check_message(const struct sw_mime_msg *m, const char *s, size_t n, struct hdrs *h)
{
    check_crlf(s, n);
    assert_true(n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n');
    size_t body = parse_headers(s, n, h, 78);
    assert_string_equal(hget(h, "MIME-Version"), "1.0");
    assert_non_null(hget(h, "Date"));
    assert_string_equal(hget(h, "To"), m->to);
    assert_string_equal(hget(h, "Message-ID"), m->message_id);
    char *subj = decode_2047(hget(h, "Subject"));
    assert_string_equal(subj, m->subject ? m->subject : "");
    free(subj);
    if (!(m->text && m->html)) {
        check_part(h, s + body, n - body, m->text ? "plain" : "html", m->text ? m->text : m->html);
        assert_true(max_line(s + body, n - body) <= 76);
        return;
    }
    /* multipart/alternative; boundary="..." */
    const char *ct = hget(h, "Content-Type");
    assert_true(strncmp(ct, "multipart/alternative;", 22) == 0);
    const char *bp = strstr(ct, "boundary=\"");
    assert_non_null(bp);
    bp += 10;
    const char *be = strchr(bp, '"');
    assert_non_null(be);
    char *delim = sw_asprintf("--%.*s", (int)(be - bp), bp);
    size_t dl = strlen(delim);
    assert_true(be - bp <= 70);
    /* Delimiters are whole lines: find "--b\r\n" at line starts; the last is "--b--\r\n". */
    const char *parts[3];
    size_t np = 0;
    const char *end_delim = NULL;
    for (size_t i = body; i + dl <= n; i++) {
        if ((i == body || s[i - 1] == '\n') && memcmp(s + i, delim, dl) == 0) {
            if (s[i + dl] == '-' && s[i + dl + 1] == '-') {
                end_delim = s + i;
                assert_true(s + i + dl + 4 == s + n); /* no epilogue */
                break;
            }
            assert_true(s[i + dl] == '\r' && s[i + dl + 1] == '\n');
            assert_true(np < 3);
            parts[np++] = s + i + dl + 2;
        }
    }
    assert_int_equal(np, 2);
    assert_non_null(end_delim);
    const char *ends[2] = {parts[1] - dl - 2, end_delim};
    const char *types[2] = {"plain", "html"};
    const char *want[2] = {m->text, m->html};
    for (size_t k = 0; k < 2; k++) {
        /* The CRLF before a delimiter belongs to the delimiter. */
        const char *pe = ends[k] - 2;
        assert_true(pe[0] == '\r' && pe[1] == '\n');
        struct hdrs ph;
        size_t plen = (size_t)(pe - parts[k]) + 2; /* headers parser needs the CRLF */
        size_t off = parse_headers(parts[k], plen, &ph, 78);
        check_part(&ph, parts[k] + off, (size_t)(pe - parts[k]) - off, types[k], want[k]);
        assert_true(max_line(parts[k] + off, (size_t)(pe - parts[k]) - off) <= 76);
        hdrs_release(&ph);
    }
    free(delim);
}

/* ---- fixtures ---- */

static struct sw_mime_msg base(void)
{
    struct sw_mime_msg m = {0};
    m.from = "Shop <shop@example.com>";
    m.to = "ann@example.org";
    m.subject = "Your weekly picks";
    m.text = "Hello Ann,\nhere are your picks.\n";
    m.html = "<p>Hello Ann,</p>\n<p>here are your picks.</p>\n";
    m.message_id = "<12.email_1.345@mail.example.com>";
    m.date_ms = 1764399848000; /* 2025-11-29T07:04:08Z, a Saturday */
    return m;
}

static char *build_ok(const struct sw_mime_msg *m, size_t *n)
{
    struct sw_buf b = SW_BUF_INIT;
    struct sw_error err = SW_ERROR_INIT;
    int rc = sw_mime_build(m, &b, &err);
    if (rc != 0) {
        fail_msg("sw_mime_build: %s", err.message ? err.message : "?");
    }
    sw_error_release(&err);
    *n = b.len;
    return sw_buf_detach(&b);
}

static void roundtrip(const struct sw_mime_msg *m)
{
    size_t n;
    char *s = build_ok(m, &n);
    struct hdrs h;
    check_message(m, s, n, &h);
    hdrs_release(&h);
    free(s);
}

/* ---- tests ---- */

static void test_multipart(void **state)
{
    (void)state;
    struct sw_mime_msg m = base();
    size_t n;
    char *s = build_ok(&m, &n);
    struct hdrs h;
    check_message(&m, s, n, &h);
    assert_string_equal(hget(&h, "Date"), "Sat, 29 Nov 2025 07:04:08 +0000");
    assert_string_equal(hget(&h, "From"), "Shop <shop@example.com>");
    assert_null(hget(&h, "Reply-To"));
    assert_null(hget(&h, "List-Unsubscribe"));
    /* Header order (mime.h). */
    static const char *const order[] = {"Date",         "From",        "To",
                                        "Subject",      "Message-ID",  "MIME-Version",
                                        "Content-Type", NULL};
    for (size_t i = 0; order[i]; i++) {
        assert_true(i < h.n);
        assert_string_equal(h.name[i], order[i]);
    }
    /* Built twice (a retry): the same bytes. */
    size_t n2;
    char *s2 = build_ok(&m, &n2);
    assert_int_equal(n, n2);
    assert_memory_equal(s, s2, n);
    free(s2);
    hdrs_release(&h);
    free(s);
}

static void test_single_parts(void **state)
{
    (void)state;
    struct sw_mime_msg m = base();
    m.html = NULL;
    roundtrip(&m);
    m = base();
    m.text = NULL;
    roundtrip(&m);
    /* No trailing newline, empty bodies, CR and CRLF line ends. */
    m = base();
    m.html = NULL;
    m.text = "no newline at the end";
    roundtrip(&m);
    m.text = "";
    roundtrip(&m);
    m.text = "\n\n";
    roundtrip(&m);
    m.text = "mac\rline\r\nwindows\r\nunix\n\rmixed";
    roundtrip(&m);
    m = base();
    m.html = "";
    m.text = "";
    roundtrip(&m);

    /* Neither body: refused. */
    m = base();
    m.text = m.html = NULL;
    struct sw_buf b = SW_BUF_INIT;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_mime_build(&m, &b, &err), SW_EINVAL);
    assert_int_equal(b.len, 0);
    sw_error_release(&err);
    sw_buf_release(&b);
}

static void test_qp_details(void **state)
{
    (void)state;
    struct sw_mime_msg m = base();
    struct sw_buf big = SW_BUF_INIT, big2 = SW_BUF_INIT;
    /* Long unbroken lines of ASCII, of '=' (3 bytes each encoded), of multibyte UTF-8. */
    for (int i = 0; i < 500; i++) {
        sw_buf_putc(&big, (char)('a' + i % 26));
    }
    sw_buf_putc(&big, '\n');
    for (int i = 0; i < 200; i++) {
        sw_buf_putc(&big, '=');
    }
    sw_buf_putc(&big, '\n');
    for (int i = 0; i < 150; i++) {
        sw_buf_puts(&big, "日本語é");
    }
    sw_buf_puts(&big, "\ntrailing spaces   \ntrailing tab\t\n \t \n");
    sw_buf_puts(&big, "From the start\n.dot line left to SMTP\n..two dots\n.\n");
    /* Spaces exactly where soft breaks fall, and a final line without a newline. */
    for (int i = 0; i < 300; i++) {
        sw_buf_puts(&big, i % 3 ? "x" : " ");
    }
    m.text = big.data;
    for (int k = 0; k < 80; k++) {
        /* lines of every length around the 76 limit, ending in '=' or a space */
        for (int i = 0; i < 70 + k % 12; i++) {
            sw_buf_putc(&big2, 'h');
        }
        sw_buf_puts(&big2, k % 2 ? "=\n" : " \n");
    }
    m.html = big2.data;
    size_t n;
    char *s = build_ok(&m, &n);
    struct hdrs h;
    check_message(&m, s, n, &h);
    /* "From " at a line start is escaped; '.' at a line start is left alone. */
    assert_non_null(strstr(s, "\r\n=46rom the start"));
    assert_non_null(strstr(s, "\r\n.dot line left to SMTP\r\n"));
    assert_non_null(strstr(s, "\r\ntrailing spaces  =20\r\n"));
    assert_non_null(strstr(s, "\r\ntrailing tab=09\r\n"));
    hdrs_release(&h);
    free(s);
    sw_buf_release(&big);
    sw_buf_release(&big2);
}

static void test_boundary_like_body(void **state)
{
    (void)state;
    struct sw_mime_msg m = base();
    /* First learn the boundary, then put it (and its end form) into both bodies. */
    size_t n;
    char *s = build_ok(&m, &n);
    struct hdrs h;
    check_message(&m, s, n, &h);
    const char *ct = hget(&h, "Content-Type");
    const char *bp = strstr(ct, "boundary=\"") + 10;
    char *bnd = sw_strndup(bp, strcspn(bp, "\""));
    hdrs_release(&h);
    free(s);
    char *text = sw_asprintf("before\n--%s\nContent-Type: text/html\n\n--%s--\nafter", bnd, bnd);
    char *html = sw_asprintf("--%s\r\n<p>x</p>\r\n--%s--", bnd, bnd);
    m.text = text;
    m.html = html;
    s = build_ok(&m, &n);
    check_message(&m, s, n, &h);
    hdrs_release(&h);
    free(s);
    free(text);
    free(html);
    free(bnd);
}

static void test_subjects(void **state)
{
    (void)state;
    static const char *const subjects[] = {
        "",
        "Short",
        "A fairly long plain ASCII subject line that certainly needs to be folded somewhere "
        "because it goes well past seventy-eight characters in total",
        "Soldes d'été : jusqu'à -50 % sur les chaussures, les sacs et les accessoires — "
        "offre réservée à nos clientes fidèles, valable jusqu'à dimanche soir",
        "【期間限定】春の大感謝祭！全品ポイント10倍キャンペーン開催中です。お見逃しなく、"
        "ご来店を心よりお待ちしております。送料無料は今週末まで🎉",
        "emoji only 🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣🍣",
        "  leading and trailing spaces  ",
        "double  spaces\tand a tab",
        "looks like =?UTF-8?B?SGk=?= an encoded word",
        "https://example.com/a/very/long/unbroken/path/that/cannot/be/folded/at/any/space/at/all",
        "ok",
    };
    for (size_t i = 0; i < sizeof(subjects) / sizeof(*subjects); i++) {
        struct sw_mime_msg m = base();
        m.subject = subjects[i];
        roundtrip(&m);
    }
    struct sw_mime_msg m = base();
    m.subject = NULL; /* the empty subject */
    roundtrip(&m);

    /* A plain ASCII subject stays readable (folded at spaces, not encoded). */
    m = base();
    m.subject = subjects[2];
    size_t n;
    char *s = build_ok(&m, &n);
    assert_null(strstr(s, "=?UTF-8?"));
    assert_non_null(strstr(s, "Subject: A fairly long"));
    free(s);
    /* A French one: first encoded-word right after "Subject: ", every word whole chars. */
    m.subject = subjects[3];
    s = build_ok(&m, &n);
    assert_non_null(strstr(s, "\r\nSubject: =?UTF-8?B?"));
    free(s);
}

static void test_display_names(void **state)
{
    (void)state;
    static const struct {
        const char *in, *name, *addr;
    } cases[] = {
        {"shop@example.com", NULL, "shop@example.com"},
        {"Shop <shop@example.com>", "Shop", "shop@example.com"},
        {"  The Shop   <shop@example.com>", "The Shop", "shop@example.com"},
        {"\"Shop, Inc. \\\"best\\\"\" <shop@example.com>", "Shop, Inc. \"best\"",
         "shop@example.com"},
        {"Boutique Éléonore <contact@eleonore.fr>", "Boutique Éléonore", "contact@eleonore.fr"},
        {"東京ショッピングモール公式オンラインストアお客様サポートセンター <info@shop.jp>",
         "東京ショッピングモール公式オンラインストアお客様サポートセンター", "info@shop.jp"},
        {"<bare@example.com>", NULL, "bare@example.com"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct sw_mime_msg m = base();
        m.from = cases[i].in;
        m.reply_to = cases[i].in;
        size_t n;
        char *s = build_ok(&m, &n);
        struct hdrs h;
        check_message(&m, s, n, &h);
        const char *hn[2] = {"From", "Reply-To"};
        for (size_t k = 0; k < 2; k++) {
            const char *v = hget(&h, hn[k]);
            assert_non_null(v);
            if (!cases[i].name) {
                if (v[0] == '<') {
                    char *want = sw_asprintf("<%s>", cases[i].addr);
                    assert_string_equal(v, want);
                    free(want);
                } else {
                    assert_string_equal(v, cases[i].addr);
                }
                continue;
            }
            /* name part then " <addr>" */
            const char *lt = strrchr(v, '<');
            assert_non_null(lt);
            char *want = sw_asprintf("<%s>", cases[i].addr);
            assert_string_equal(lt, want);
            free(want);
            char *phrase = sw_strndup(v, (size_t)(lt - v));
            size_t pl = strlen(phrase);
            while (pl && (phrase[pl - 1] == ' ' || phrase[pl - 1] == '\t')) {
                phrase[--pl] = '\0';
            }
            char *dec = decode_2047(phrase);
            if (dec[0] == '"') { /* a quoted-string: unescape */
                struct sw_buf u = SW_BUF_INIT;
                for (size_t j = 1; dec[j] && dec[j + 1]; j++) {
                    if (dec[j] == '\\') {
                        j++;
                    }
                    sw_buf_putc(&u, dec[j]);
                }
                free(dec);
                dec = sw_buf_detach(&u);
            }
            assert_string_equal(dec, cases[i].name);
            free(dec);
            free(phrase);
        }
        hdrs_release(&h);
        free(s);
    }
}

static void expect_refused(const struct sw_mime_msg *m, const char *needle);

static void test_list_unsubscribe_and_headers(void **state)
{
    (void)state;
    struct sw_mime_msg m = base();
    m.list_unsubscribe = "https://example.com/u/abc123?c=12";
    json_t *hdr = json_pack("{s:s, s:s, s:s, s:s}", "X-Campaign", "spring-sale-2026",
                            "X-Note", "Créé pour vous — 特別", "X-Empty", "",
                            "X-Long", "a b c d e f g h i j k l m n o p q r s t u v w x y z "
                                      "a b c d e f g h i j k l m n o p q r s t u v w x y z");
    m.headers = hdr;
    size_t n;
    char *s = build_ok(&m, &n);
    struct hdrs h;
    check_message(&m, s, n, &h);
    assert_string_equal(hget(&h, "List-Unsubscribe"), "<https://example.com/u/abc123?c=12>");
    assert_string_equal(hget(&h, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert_string_equal(hget(&h, "X-Campaign"), "spring-sale-2026");
    char *note = decode_2047(hget(&h, "X-Note"));
    assert_string_equal(note, "Créé pour vous — 特別");
    free(note);
    assert_string_equal(hget(&h, "X-Empty"), "");
    assert_string_equal(hget(&h, "X-Long"),
                        json_string_value(json_object_get(hdr, "X-Long")));
    hdrs_release(&h);
    free(s);

    /* mailto: no one-click header (RFC 8058 needs https). */
    m.list_unsubscribe = "mailto:unsub@example.com?subject=unsubscribe";
    m.headers = NULL;
    s = build_ok(&m, &n);
    check_message(&m, s, n, &h);
    assert_string_equal(hget(&h, "List-Unsubscribe"),
                        "<mailto:unsub@example.com?subject=unsubscribe>");
    assert_null(hget(&h, "List-Unsubscribe-Post"));
    hdrs_release(&h);
    free(s);

    /* The public listener's URL and a configured mailto: side by side (RFC 2369), one-click. */
    m.list_unsubscribe = "https://t.example/u/TOKEN";
    m.one_click = true;
    m.list_unsubscribe_mailto = "mailto:unsub@example.com";
    s = build_ok(&m, &n);
    check_message(&m, s, n, &h);
    assert_string_equal(hget(&h, "List-Unsubscribe"),
                        "<https://t.example/u/TOKEN>, <mailto:unsub@example.com>");
    assert_string_equal(hget(&h, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    hdrs_release(&h);
    free(s);
    m.list_unsubscribe_mailto = "https://not-a-mailto.example/";
    expect_refused(&m, "mailto");
    m.list_unsubscribe_mailto = "mailto:a@b.example\r\nBcc: x@y.example";
    expect_refused(&m, "list_unsubscribe");
    json_decref(hdr);
}

static void expect_refused(const struct sw_mime_msg *m, const char *needle)
{
    struct sw_buf b = SW_BUF_INIT;
    struct sw_error err = SW_ERROR_INIT;
    sw_buf_puts(&b, "kept");
    int rc = sw_mime_build(m, &b, &err);
    if (rc != SW_EINVAL || !err.message || !strstr(err.message, needle)) {
        fail_msg("expected SW_EINVAL with \"%s\", got %d: %s", needle, rc,
                 err.message ? err.message : "(none)");
    }
    assert_string_equal(b.data, "kept"); /* nothing half-written */
    sw_error_release(&err);
    sw_buf_release(&b);
}

static void test_injection(void **state)
{
    (void)state;
    struct sw_mime_msg m;
    static const char *const evil[] = {"x\r\nBcc: victim@example.net", "x\nBcc: v@e.net",
                                       "x\rBcc: v@e.net", "x\r\n\r\nbody"};
    for (size_t i = 0; i < sizeof(evil) / sizeof(*evil); i++) {
        m = base();
        m.subject = evil[i];
        expect_refused(&m, "subject contains a line break");
        m = base();
        char *from = sw_asprintf("%s <shop@example.com>", evil[i]);
        m.from = from;
        expect_refused(&m, "from contains a line break");
        free(from);
        m = base();
        m.to = "ann@example.org\r\nBcc: v@e.net";
        expect_refused(&m, "to contains a line break");
        m = base();
        m.reply_to = evil[i];
        expect_refused(&m, "reply_to contains a line break");
        m = base();
        char *mid = sw_asprintf("<a@b>%s", evil[i]);
        m.message_id = mid;
        expect_refused(&m, "message_id contains a line break");
        free(mid);
        m = base();
        char *url = sw_asprintf("https://x.test/u%s", evil[i]);
        m.list_unsubscribe = url;
        expect_refused(&m, "list_unsubscribe contains a line break");
        free(url);
        m = base();
        json_t *hdr = json_pack("{s:s}", "X-Tag", evil[i]);
        m.headers = hdr;
        expect_refused(&m, "header X-Tag contains a line break");
        json_decref(hdr);
    }
    /* Other control characters, and invalid UTF-8. */
    m = base();
    m.subject = "bell\a";
    expect_refused(&m, "control character");
    m.subject = "caf\xe9";
    expect_refused(&m, "not valid UTF-8");
    m = base();
    m.text = "caf\xe9";
    expect_refused(&m, "text body is not valid UTF-8");
    m = base();
    m.html = "\xed\xa0\x80"; /* a surrogate */
    expect_refused(&m, "html body is not valid UTF-8");
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const reserved[] = {"From",        "to",       "SUBJECT",
                                           "Date",        "Message-ID", "MIME-Version",
                                           "Content-Type", "content-transfer-encoding",
                                           "Bcc",         "Cc",       "Reply-To",
                                           "List-Unsubscribe"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++) {
        struct sw_mime_msg m = base();
        json_t *hdr = json_pack("{s:s}", reserved[i], "x");
        m.headers = hdr;
        expect_refused(&m, reserved[i]);
        json_decref(hdr);
    }
    static const char *const badnames[] = {"X Tag", "X:Tag", "X_Tag", "", "Ünicode"};
    for (size_t i = 0; i < sizeof(badnames) / sizeof(*badnames); i++) {
        struct sw_mime_msg m = base();
        json_t *hdr = json_pack("{s:s}", badnames[i], "x");
        m.headers = hdr;
        expect_refused(&m, "header name");
        json_decref(hdr);
    }
    struct sw_mime_msg m = base();
    json_t *hdr = json_pack("{s:i}", "X-Num", 3);
    m.headers = hdr;
    expect_refused(&m, "must be a string");
    json_decref(hdr);

    m = base();
    m.to = "Ann <ann@example.org>";
    expect_refused(&m, "to must be the recipient's address only");
    m.to = "ann";
    expect_refused(&m, "not an address");
    m.to = "ann@b@c";
    expect_refused(&m, "not an address");
    m.to = "ännä@example.org";
    expect_refused(&m, "ASCII");
    m.to = "";
    expect_refused(&m, "to is required");
    m = base();
    m.from = "Shop <shop@example.com";
    expect_refused(&m, "from");
    m.from = NULL;
    expect_refused(&m, "from is required");
    m = base();
    m.message_id = "no-brackets@x";
    expect_refused(&m, "message_id");
    m.message_id = "<with space@x>";
    expect_refused(&m, "message_id");
    m.message_id = NULL;
    expect_refused(&m, "message_id is required");
    m = base();
    m.list_unsubscribe = "https://x.test/<a>";
    expect_refused(&m, "list_unsubscribe");
}

static void test_dates(void **state)
{
    (void)state;
    char d[64];
    sw_mime_date(0, d, sizeof(d));
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    sw_mime_date(951782400000, d, sizeof(d)); /* 2000-02-29 */
    assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 +0000");
    sw_mime_date(1767225599999, d, sizeof(d)); /* last ms of 2025 */
    assert_string_equal(d, "Wed, 31 Dec 2025 23:59:59 +0000");
    sw_mime_date(1767225600000, d, sizeof(d));
    assert_string_equal(d, "Thu, 01 Jan 2026 00:00:00 +0000");
    sw_mime_date(-86400000, d, sizeof(d));
    assert_string_equal(d, "Wed, 31 Dec 1969 00:00:00 +0000");
    /* Every day over a few years: the weekday advances by one each day. */
    static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    for (int64_t day = 0; day < 20000; day += 7) {
        for (int k = 0; k < 7; k++) {
            sw_mime_date((day + k) * 86400000LL + 43200000, d, sizeof(d));
            assert_memory_equal(d, wd[k], 3);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_single_parts),
        cmocka_unit_test(test_qp_details),
        cmocka_unit_test(test_boundary_like_body),
        cmocka_unit_test(test_subjects),
        cmocka_unit_test(test_display_names),
        cmocka_unit_test(test_list_unsubscribe_and_headers),
        cmocka_unit_test(test_injection),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
