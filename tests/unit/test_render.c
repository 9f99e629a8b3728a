/*
 * test_render.c - send-time personalization (src/channels/render.c): HTML escaping, raw
 * parts, defaults, NULL and empty values, UTF-8 passthrough, adjacent fields, literal braces,
 * and the push `data` renderer with its error paths.
 */
#include "testutil.h"

#include "channels/render.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* A recipient as a NULL-terminated list of name/value pairs; a value may be NULL (SQL NULL).
 * Fields absent from the list are unknown (also NULL). */
static const char *lookup(void *ud, const char *field)
{
    const char *const *kv = ud;
    for (size_t i = 0; kv[i]; i += 2) {
        if (strcmp(kv[i], field) == 0) {
            return kv[i + 1];
        }
    }
    return NULL;
}

static const char *const person[] = {"first_name", "Zoë",
                                     "last_name",  "O'Brien & <Sons> \"Ltd\"",
                                     "city",       NULL,
                                     "nick",       "",
                                     "link",       "<a href=\"https://x.test/?a=1&b=2\">go</a>",
                                     "jp",         "東京都 🍣",
                                     NULL};

static char *render(const char *text, bool html)
{
    struct sw_template *t = NULL;
    char *msg = NULL;
    if (sw_template_compile(text, &t, &msg) != 0) {
        fail_msg("compile \"%s\": %s", text, msg ? msg : "?");
    }
    struct sw_buf b = SW_BUF_INIT;
    sw_render(t, lookup, (void *)person, html, &b);
    sw_template_free(t);
    assert_int_equal(sw_buf_error(&b), 0);
    return sw_buf_detach(&b);
}

#define EXPECT(text, html, want)                                                                   \
    do {                                                                                           \
        char *got_ = render(text, html);                                                           \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_escaping(void **state)
{
    (void)state;
    EXPECT("Hi {{last_name}}", true, "Hi O&#39;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;");
    /* Not escaped outside html (subject, text). */
    EXPECT("Hi {{last_name}}", false, "Hi O'Brien & <Sons> \"Ltd\"");
    /* Literal text is the author's HTML: never escaped. */
    EXPECT("<p class=\"x\">&nbsp;{{first_name}}</p>", true, "<p class=\"x\">&nbsp;Zoë</p>");
    /* A default in html is escaped like a value. */
    EXPECT("{{city | default: \"<b>&\"}}", true, "&lt;b&gt;&amp;");
}

static void test_raw(void **state)
{
    (void)state;
    EXPECT("{{{link}}}", true, "<a href=\"https://x.test/?a=1&b=2\">go</a>");
    EXPECT("{{link}}", true,
           "&lt;a href=&quot;https://x.test/?a=1&amp;b=2&quot;&gt;go&lt;/a&gt;");
    EXPECT("{{{city | default: \"<i>somewhere</i>\"}}}", true, "<i>somewhere</i>");
    EXPECT("{{{link}}}", false, "<a href=\"https://x.test/?a=1&b=2\">go</a>");
}

static void test_defaults(void **state)
{
    (void)state;
    EXPECT("Dear {{first_name | default: \"friend\"}}", true, "Dear Zoë");
    EXPECT("From {{city | default: \"your city\"}}", false, "From your city");
    /* Unknown field: NULL, so the default. */
    EXPECT("{{nope | default: \"d\"}}", false, "d");
    EXPECT("[{{nope}}]", false, "[]");
    EXPECT("[{{city}}]", true, "[]");
    EXPECT("{{city | default: \"say \\\"hi\\\"\"}}", false, "say \"hi\"");
}

static void test_null_vs_empty(void **state)
{
    (void)state;
    /* Decision (render.h): "" counts as missing, as with Liquid's default. */
    EXPECT("[{{nick | default: \"buddy\"}}]", false, "[buddy]");
    EXPECT("[{{city | default: \"buddy\"}}]", false, "[buddy]");
    /* Without a default both render as nothing. */
    EXPECT("[{{nick}}][{{city}}]", false, "[][]");
    /* An empty default is allowed and renders nothing. */
    EXPECT("[{{city | default: \"\"}}]", false, "[]");
}

static void test_utf8_and_adjacent(void **state)
{
    (void)state;
    EXPECT("{{jp}}", true, "東京都 🍣");
    EXPECT("こんにちは、{{first_name}}さん", true, "こんにちは、Zoëさん");
    EXPECT("{{first_name}}{{last_name}}{{jp}}", false, "ZoëO'Brien & <Sons> \"Ltd\"東京都 🍣");
    EXPECT("{{first_name}}{{{link}}}{{nick}}{{city | default: \"-\"}}", true,
           "Zoë<a href=\"https://x.test/?a=1&b=2\">go</a>-");
}

static void test_literal_braces(void **state)
{
    (void)state;
    EXPECT("a { b } c }} d {", true, "a { b } c }} d {");
    EXPECT("{ {{first_name}} }", true, "{ Zoë }");
    EXPECT("css: p{color:red} {{first_name}}}", true, "css: p{color:red} Zoë}");
    EXPECT("", true, "");
    EXPECT("no fields", false, "no fields");
}

static void test_appends(void **state)
{
    (void)state;
    struct sw_template *t = NULL;
    char *msg = NULL;
    assert_int_equal(sw_template_compile("{{first_name}}", &t, &msg), 0);
    struct sw_buf b = SW_BUF_INIT;
    sw_buf_puts(&b, "> ");
    sw_render(t, lookup, (void *)person, false, &b);
    sw_render(t, NULL, NULL, false, &b); /* no lookup: every field is NULL */
    assert_string_equal(b.data, "> Zoë");
    sw_buf_release(&b);
    sw_template_free(t);
}

static void test_render_string(void **state)
{
    (void)state;
    struct sw_buf b = SW_BUF_INIT;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_render_string("x {{last_name}}", lookup, (void *)person, true, &b,
                                      "$.html", &err),
                     0);
    assert_string_equal(b.data, "x O&#39;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;");
    assert_int_equal(sw_render_string("{{ 5 }}", lookup, (void *)person, true, &b, "$.html",
                                      &err),
                     SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.html", "offset 0"));
    sw_error_release(&err);
    sw_buf_release(&b);
}

static void test_json(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *data = json_loads("{\"title\": \"Hi {{first_name}}\", \"n\": 3, \"ok\": true, "
                              "\"none\": null, \"html\": \"{{last_name}}\", "
                              "\"deep\": {\"list\": [\"{{jp}}\", 1.5, \"{{city | default: "
                              "\\\"?\\\"}}\"]}, \"{{key}}\": \"plain\"}",
                              0, &jerr);
    assert_non_null(data);
    struct sw_error err = SW_ERROR_INIT;
    json_t *r = sw_render_json(data, lookup, (void *)person, "$.data", &err);
    assert_non_null(r);
    assert_int_equal(err.code, 0);
    json_t *want = json_loads("{\"title\": \"Hi Zoë\", \"n\": 3, \"ok\": true, \"none\": null, "
                              "\"html\": \"O'Brien & <Sons> \\\"Ltd\\\"\", "
                              "\"deep\": {\"list\": [\"東京都 🍣\", 1.5, \"?\"]}, "
                              "\"{{key}}\": \"plain\"}",
                              0, &jerr);
    assert_non_null(want);
    assert_true(json_equal(r, want));
    /* The input is untouched. */
    assert_string_equal(json_string_value(json_object_get(data, "title")), "Hi {{first_name}}");
    json_decref(want);
    json_decref(r);
    json_decref(data);

    /* Every bad string is reported with its path. */
    data = json_loads("{\"a\": \"{{ok}}\", \"b\": \"{{1}}\", \"c\": {\"d e\": [\"x\", "
                      "\"{{y | upcase}}\"]}}",
                      0, &jerr);
    assert_non_null(data);
    r = sw_render_json(data, lookup, (void *)person, "$.activities[2].data", &err);
    assert_null(r);
    assert_int_equal(err.code, SW_EVALIDATION);
    assert_int_equal(err.ndetails, 2);
    assert_true(tu_has_detail(&err, "$.activities[2].data.b", "field name"));
    assert_true(tu_has_detail(&err, "$.activities[2].data.c[\"d e\"][1]", "unknown filter"));
    sw_error_release(&err);
    json_decref(data);

    /* A bare string and the default path. */
    data = json_string("{{first_name}}");
    r = sw_render_json(data, lookup, (void *)person, NULL, &err);
    assert_string_equal(json_string_value(r), "Zoë");
    json_decref(r);
    json_decref(data);
    data = json_string("{{");
    r = sw_render_json(data, lookup, (void *)person, NULL, &err);
    assert_null(r);
    assert_true(tu_has_detail(&err, "$", NULL));
    sw_error_release(&err);
    json_decref(data);
}

static const char *bad_utf8_lookup(void *ud, const char *field)
{
    (void)ud;
    (void)field;
    return "caf\xe9"; /* Latin-1, not UTF-8 */
}

static void test_json_bad_utf8(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    json_t *data = json_pack("{s:s}", "t", "{{x}}");
    json_t *r = sw_render_json(data, bad_utf8_lookup, NULL, "$.data", &err);
    assert_null(r);
    assert_true(tu_has_detail(&err, "$.data.t", "UTF-8"));
    sw_error_release(&err);
    json_decref(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),         cmocka_unit_test(test_raw),
        cmocka_unit_test(test_defaults),         cmocka_unit_test(test_null_vs_empty),
        cmocka_unit_test(test_utf8_and_adjacent), cmocka_unit_test(test_literal_braces),
        cmocka_unit_test(test_appends),          cmocka_unit_test(test_render_string),
        cmocka_unit_test(test_json),             cmocka_unit_test(test_json_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
