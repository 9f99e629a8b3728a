/*
 * test_track.c - open and click tracking (channels/track.c): the signed links (round trip,
 * every altered byte refused, a rotated ring), the HTML rewrite (what is rewritten, what is
 * left byte for byte, character references, the pixel's place), and the machine rules.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "catalog/tracking.h"
#include "channels/track.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void ring(struct sw_keyring *kr, int n)
{
    memset(kr, 0, sizeof(*kr));
    for (int i = 0; i < n; i++) {
        kr->k[i].kid = i + 1;
        memset(kr->k[i].key, 'a' + i, 32);
    }
    kr->n = n;
    assert_true(sodium_init() >= 0);
}

static void test_open_token(void **state)
{
    (void)state;
    struct sw_keyring kr;
    ring(&kr, 1);
    char *t = sw_track_open_token(&kr, 987654321);
    assert_non_null(t);
    int64_t row = 0;
    assert_true(sw_track_open_verify(&kr, t, &row));
    assert_int_equal(row, 987654321);
    for (size_t i = 0; i < strlen(t); i++) {
        char *u = strdup(t);
        u[i] = u[i] == 'A' ? 'B' : 'A';
        assert_false(sw_track_open_verify(&kr, u, &row));
        free(u);
    }
    /* an open token is not a click token, and the reverse */
    int link = 0;
    char *url = NULL;
    assert_false(sw_track_click_verify(&kr, t, &row, &link, &url));
    char *c = sw_track_click_token(&kr, 5, 1, "https://example.com/");
    assert_false(sw_track_open_verify(&kr, c, &row));
    assert_false(sw_track_open_verify(&kr, "", &row));
    assert_false(sw_track_open_verify(NULL, t, &row));
    struct sw_keyring empty;
    ring(&empty, 0);
    assert_null(sw_track_open_token(&empty, 1));
    free(c);
    free(t);
}

static void test_click_token(void **state)
{
    (void)state;
    struct sw_keyring kr;
    ring(&kr, 1);
    const char *dest = "https://shop.example/p?id=42&utm_source=stepwise";
    char *t = sw_track_click_token(&kr, 77, 3, dest);
    assert_non_null(t);
    int64_t row = 0;
    int link = 0;
    char *url = NULL;
    assert_true(sw_track_click_verify(&kr, t, &row, &link, &url));
    assert_int_equal(row, 77);
    assert_int_equal(link, 3);
    assert_string_equal(url, dest);
    free(url);
    /* no open redirect: any changed character, a cut or an addition is refused */
    for (size_t i = 0; i < strlen(t); i++) {
        char *u = strdup(t);
        u[i] = u[i] == 'A' ? 'B' : 'A';
        url = NULL;
        assert_false(sw_track_click_verify(&kr, u, &row, &link, &url));
        assert_null(url);
        free(u);
    }
    char *cut = strndup(t, strlen(t) - 1);
    assert_false(sw_track_click_verify(&kr, cut, &row, &link, &url));
    free(cut);
    /* rotation: a newer key signs, the old one still verifies; another server's ring does not */
    struct sw_keyring rotated, other;
    ring(&rotated, 2);
    assert_true(sw_track_click_verify(&rotated, t, &row, &link, &url));
    free(url);
    char *t2 = sw_track_click_token(&rotated, 77, 3, dest);
    assert_string_not_equal(t, t2);
    assert_false(sw_track_click_verify(&kr, t2, &row, &link, &url));
    ring(&other, 1);
    memset(other.k[0].key, 'z', 32);
    assert_false(sw_track_click_verify(&other, t, &row, &link, &url));
    /* limits: no URL, a link number out of range, a URL over the maximum */
    assert_null(sw_track_click_token(&kr, 77, 0, dest));
    assert_null(sw_track_click_token(&kr, 77, 1, ""));
    char *huge = malloc(SW_TRACK_URL_MAX + 2);
    memset(huge, 'x', SW_TRACK_URL_MAX + 1);
    huge[SW_TRACK_URL_MAX + 1] = '\0';
    assert_null(sw_track_click_token(&kr, 77, 1, huge));
    huge[SW_TRACK_URL_MAX] = '\0';
    char *big = sw_track_click_token(&kr, 77, 1, huge);
    assert_non_null(big);
    assert_true(sw_track_click_verify(&kr, big, &row, &link, &url));
    assert_int_equal(strlen(url), SW_TRACK_URL_MAX);
    free(url);
    free(big);
    free(huge);
    free(t2);
    free(t);
}

/* Every click link of out, decoded: "N URL" lines. */
static char *clicks_of(const struct sw_keyring *kr, const char *out, const char *base)
{
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "\"%s/c/", base);
    struct sw_buf b;
    sw_buf_init(&b);
    for (const char *p = strstr(out, prefix); p; p = strstr(p + 1, prefix)) {
        const char *tok = p + strlen(prefix);
        size_t n = strcspn(tok, "\"");
        char *t = strndup(tok, n);
        int64_t row = 0;
        int link = 0;
        char *url = NULL;
        assert_true(sw_track_click_verify(kr, t, &row, &link, &url));
        assert_int_equal(row, 9);
        sw_buf_printf(&b, "%d %s\n", link, url);
        free(url);
        free(t);
    }
    return sw_buf_detach(&b);
}

static void test_rewrite(void **state)
{
    (void)state;
    struct sw_keyring kr;
    ring(&kr, 1);
    const char *base = "https://t.example.com";
    struct sw_track_opts o = {.kr = &kr, .base = base, .row = 9, .opens = true, .clicks = true};
    const char *html =
        "<html><head><style>a[href=\"http://style.example\"]{}</style></head><BODY>\n"
        "<p>Hello <a class=x HREF='https://shop.example/a?x=1&amp;y=2'>shop</a>\n"
        "<a href=\"mailto:help@example.com\">mail</a> <a href=\"#top\">top</a>\n"
        "<!-- <a href=\"https://commented.example/\">no</a> -->\n"
        "<a href=https://unquoted.example/b>b</a>\n"
        "<a data-sw-notrack href=\"https://kept.example/\">kept</a>\n"
        "<a href=\"https://t.example.com/u/TOKEN\">unsubscribe</a>\n"
        "<abbr href=\"https://not-a-link.example/\">abbr</abbr>\n"
        "<map><area shape=rect href=\"http://area.example/&#x41;&#66;\"></map>\n"
        "<script>var s = '<a href=\"https://script.example/\">';</script>\n"
        "</body></html>";
    struct sw_buf out;
    sw_buf_init(&out);
    int links = -1;
    sw_track_rewrite_html(html, &o, &out, &links);
    assert_int_equal(links, 3);
    char *got = clicks_of(&kr, out.data, base);
    assert_string_equal(got, "1 https://shop.example/a?x=1&y=2\n"
                             "2 https://unquoted.example/b\n"
                             "3 http://area.example/AB\n");
    free(got);
    /* what is not rewritten is there byte for byte */
    const char *kept[] = {"<style>a[href=\"http://style.example\"]{}</style>",
                          "<a href=\"mailto:help@example.com\">mail</a>", "<a href=\"#top\">top</a>",
                          "<!-- <a href=\"https://commented.example/\">no</a> -->",
                          "<a data-sw-notrack href=\"https://kept.example/\">kept</a>",
                          "<a href=\"https://t.example.com/u/TOKEN\">unsubscribe</a>",
                          "<abbr href=\"https://not-a-link.example/\">abbr</abbr>",
                          "<script>var s = '<a href=\"https://script.example/\">';</script>",
                          "<p>Hello <a class=x HREF=", ">shop</a>"};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        assert_non_null(strstr(out.data, kept[i]));
    }
    /* the pixel: once, just before </body> */
    const char *img = strstr(out.data, "<img src=\"https://t.example.com/o/");
    assert_non_null(img);
    assert_null(strstr(img + 1, "<img src=\"https://t.example.com/o/"));
    const char *close = strstr(img, ">");
    assert_true(strncmp(close + 1, "</body></html>", 14) == 0);
    char tok[128];
    const char *t0 = img + strlen("<img src=\"https://t.example.com/o/");
    snprintf(tok, sizeof(tok), "%.*s", (int)strcspn(t0, "\""), t0);
    int64_t row = 0;
    assert_true(sw_track_open_verify(&kr, tok, &row));
    assert_int_equal(row, 9);
    sw_buf_release(&out);

    /* no tracking asked: the body is unchanged; no </body>: the pixel goes at the end */
    struct sw_track_opts none = {.kr = &kr, .base = base, .row = 9};
    sw_buf_init(&out);
    sw_track_rewrite_html(html, &none, &out, &links);
    assert_string_equal(out.data, html);
    assert_int_equal(links, 0);
    sw_buf_release(&out);
    struct sw_track_opts opens = {.kr = &kr, .base = base, .row = 9, .opens = true};
    sw_buf_init(&out);
    sw_track_rewrite_html("<p><a href=\"https://a.example/\">a</a>", &opens, &out, &links);
    assert_int_equal(links, 0);
    assert_true(strncmp(out.data, "<p><a href=\"https://a.example/\">a</a><img src=", 46) == 0);
    sw_buf_release(&out);
    /* malformed markup never reads past the end */
    const char *bad[] = {"<a", "<a href", "<a href=", "<a href=\"https://x.example", "<!--", "<script",
                         "<a href='https://x.example/'", "<a =x href=https://y.example/>", "</body"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sw_buf_init(&out);
        sw_track_rewrite_html(bad[i], &o, &out, &links);
        assert_non_null(out.data);
        sw_buf_release(&out);
    }
}

static void test_machines(void **state)
{
    (void)state;
    const char *why = NULL;
    const char *chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                         "Gecko) Chrome/131.0 Safari/537.36";
    assert_false(sw_track_is_machine("GET", chrome, false, &why));
    assert_null(why);
    assert_false(sw_track_is_machine("GET", chrome, true, NULL));
    /* Gmail's image proxy fetches when a person opens the message */
    assert_false(sw_track_is_machine(
        "GET", "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        true, NULL));
    assert_true(sw_track_is_machine("HEAD", chrome, false, &why));
    assert_string_equal(why, "HEAD request");
    assert_true(sw_track_is_machine("GET", NULL, false, &why));
    assert_true(sw_track_is_machine("GET", "", true, &why));
    assert_true(sw_track_is_machine("GET", "Mozilla/5.0", true, &why));
    assert_string_equal(why, "Apple Mail Privacy Protection prefetch");
    assert_false(sw_track_is_machine("GET", "Mozilla/5.0", false, NULL));
    assert_true(sw_track_is_machine("GET", "Mozilla/5.0 (compatible; Barracuda Sentinel)", false, NULL));
    assert_true(sw_track_is_machine("GET", "python-requests/2.31.0", false, NULL));
    assert_true(sw_track_is_machine("GET", "curl/8.5.0", true, NULL));
    assert_true(sw_track_is_machine("GET", "Mozilla/5.0 (compatible; bingbot/2.0)", false, NULL));
}

/* The catalog's side: events recorded per (ledger row, kind, link), events of a purged row
 * dropped, the report's counts, erasing one address. */
static void test_record_and_report(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(NULL);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    assert_int_equal(sw_db_exec(db,
        "INSERT INTO sw_deliveries (id, run_id, activity, channel, recipient, address, address_key,"
        " state, created_at, updated_at) VALUES"
        " (1, 7, 'mail', 'email', '1', 'A@x.example', 'a@x.example', 'sent', 0, 0),"
        " (2, 7, 'mail', 'email', '2', 'b@x.example', 'b@x.example', 'sent', 0, 0),"
        " (3, 7, 'mail', 'email', '3', 'c@x.example', 'c@x.example', 'sent', 0, 0),"
        " (4, 7, 'mail', 'email', '4', NULL, NULL, 'skipped', 0, 0),"
        " (5, 8, 'mail', 'email', '1', 'a@x.example', 'a@x.example', 'sent', 0, 0)", &err), 0);
    struct sw_track_event ev[] = {
        {.delivery_id = 1, .kind = 'o', .at_ms = 100},
        {.delivery_id = 1, .kind = 'o', .at_ms = 300},
        {.delivery_id = 1, .kind = 'c', .link = 1, .url = "https://a.example/", .at_ms = 200},
        {.delivery_id = 1, .kind = 'c', .link = 2, .url = "https://b.example/", .at_ms = 250},
        {.delivery_id = 2, .kind = 'c', .link = 1, .url = "https://a.example/", .at_ms = 400},
        {.delivery_id = 3, .kind = 'o', .at_ms = 50, .machine = "HEAD request"},
        {.delivery_id = 3, .kind = 'c', .link = 2, .url = "https://b.example/", .at_ms = 60,
         .machine = "bot"},
        {.delivery_id = 99, .kind = 'o', .at_ms = 1},  /* a purged row: dropped */
        {.delivery_id = 5, .kind = 'o', .at_ms = 500}, /* another run */
    };
    assert_int_equal(sw_catalog_tracking_record(db, ev, sizeof(ev) / sizeof(ev[0]), &err), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tracking"), 7);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tracking WHERE delivery_id = 99"), 0);
    assert_int_equal(tu_int(db, "SELECT count * 10000 + human_count * 1000 + first_at * 0 + last_at"
                                " FROM sw_tracking WHERE delivery_id = 1 AND kind = 'o'"), 22300);
    assert_int_equal(tu_int(db, "SELECT first_at FROM sw_tracking WHERE delivery_id = 1 AND kind = 'o'"), 100);

    struct sw_delivery_report r;
    assert_int_equal(sw_catalog_delivery_report(db, 7, "mail", &r, &err), 0);
    assert_int_equal(r.targeted, 4);
    assert_int_equal(r.sent, 3);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(r.delivered, 3);
    assert_int_equal(r.unique_opens, 2);  /* row 1 (pixel), row 2 (a click counts as an open) */
    assert_int_equal(r.machine_opens, 1); /* row 3 */
    assert_int_equal(r.unique_clicks, 2);
    assert_int_equal(r.clicks, 3);
    assert_int_equal(r.machine_clicks, 1);
    assert_int_equal(r.nlinks, 2);
    assert_int_equal(r.links[0].link, 1);
    assert_int_equal(r.links[0].unique, 2);
    assert_int_equal(r.links[1].unique, 1);
    assert_string_equal(r.links[1].url, "https://b.example/");
    sw_delivery_report_release(&r);

    /* erase a@x.example: both runs' events go, the others stay */
    int64_t erased = 0;
    assert_int_equal(sw_catalog_tracking_erase(db, "  A@X.example ", "email", &erased, &err), 0);
    assert_int_equal(erased, 4);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tracking"), 3);
    assert_int_equal(sw_catalog_tracking_erase(db, "b@x.example", "sms", &erased, &err), 0);
    assert_int_equal(erased, 0);
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_token),
        cmocka_unit_test(test_click_token),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_machines),
        cmocka_unit_test(test_record_and_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
