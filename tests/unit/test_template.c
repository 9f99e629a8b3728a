/*
 * test_template.c - the personalization template compiler (src/model/template.c):
 * literal and field parts, defaults (with escaped quotes), triple braces, and errors.
 */
#include "testutil.h"

#include "model/template.h"

#include <stdlib.h>
#include <string.h>

static struct sw_template *compile_ok(const char *text)
{
    struct sw_template *t = NULL;
    char *msg = NULL;
    if (sw_template_compile(text, &t, &msg) != 0) {
        fail_msg("compile \"%s\": %s", text, msg ? msg : "?");
    }
    assert_null(msg);
    assert_non_null(t);
    return t;
}

static void literal(const struct sw_template *t, size_t i, const char *text)
{
    assert_true(i < t->nparts);
    assert_false(t->parts[i].is_field);
    assert_false(t->parts[i].raw);
    assert_string_equal(t->parts[i].text, text);
    assert_null(t->parts[i].dflt);
}

static void field(const struct sw_template *t, size_t i, const char *name, bool raw,
                  const char *dflt)
{
    assert_true(i < t->nparts);
    assert_true(t->parts[i].is_field);
    assert_int_equal(t->parts[i].raw, raw);
    assert_string_equal(t->parts[i].text, name);
    if (dflt) {
        assert_non_null(t->parts[i].dflt);
        assert_string_equal(t->parts[i].dflt, dflt);
    } else {
        assert_null(t->parts[i].dflt);
    }
}

static void test_parts(void **state)
{
    (void)state;
    struct sw_template *t = compile_ok("Hello {{first_name}}!");
    assert_int_equal(t->nparts, 3);
    literal(t, 0, "Hello ");
    field(t, 1, "first_name", false, NULL);
    literal(t, 2, "!");
    sw_template_free(t);

    t = compile_ok("no fields at all { } }}");
    assert_int_equal(t->nparts, 1);
    literal(t, 0, "no fields at all { } }}");
    sw_template_free(t);

    t = compile_ok("");
    assert_int_equal(t->nparts, 0);
    sw_template_free(t);

    t = compile_ok("{{a}}{{ b_2 }}{{_c}}");
    assert_int_equal(t->nparts, 3);
    field(t, 0, "a", false, NULL);
    field(t, 1, "b_2", false, NULL);
    field(t, 2, "_c", false, NULL);
    sw_template_free(t);

    t = compile_ok("{{x}} and {{y}}");
    assert_int_equal(t->nparts, 3);
    field(t, 0, "x", false, NULL);
    literal(t, 1, " and ");
    field(t, 2, "y", false, NULL);
    sw_template_free(t);

    /* tabs and spaces inside the braces are ignored */
    t = compile_ok("<p>{{\tname\t}}</p>");
    assert_int_equal(t->nparts, 3);
    literal(t, 0, "<p>");
    field(t, 1, "name", false, NULL);
    literal(t, 2, "</p>");
    sw_template_free(t);
}

static void test_defaults(void **state)
{
    (void)state;
    struct sw_template *t = compile_ok("{{first_name | default: \"Hello\"}}, we miss you");
    assert_int_equal(t->nparts, 2);
    field(t, 0, "first_name", false, "Hello");
    literal(t, 1, ", we miss you");
    sw_template_free(t);

    /* escaped quotes and backslashes inside the default */
    t = compile_ok("{{nick | default: \"the \\\"best\\\" one\"}}");
    assert_int_equal(t->nparts, 1);
    field(t, 0, "nick", false, "the \"best\" one");
    sw_template_free(t);

    t = compile_ok("{{p|default:\"C:\\\\dir\"}}");
    field(t, 0, "p", false, "C:\\dir");
    sw_template_free(t);

    /* the colon is optional, an empty default is a default */
    t = compile_ok("{{a | default \"x\"}}{{b | default: \"\"}}");
    assert_int_equal(t->nparts, 2);
    field(t, 0, "a", false, "x");
    field(t, 1, "b", false, "");
    sw_template_free(t);

    /* braces inside the default do not close the tag */
    t = compile_ok("{{a | default: \"}}\"}}!");
    assert_int_equal(t->nparts, 2);
    field(t, 0, "a", false, "}}");
    literal(t, 1, "!");
    sw_template_free(t);
}

static void test_triple(void **state)
{
    (void)state;
    struct sw_template *t = compile_ok("<div>{{{html_block}}}</div>{{name}}");
    assert_int_equal(t->nparts, 4);
    literal(t, 0, "<div>");
    field(t, 1, "html_block", true, NULL);
    literal(t, 2, "</div>");
    field(t, 3, "name", false, NULL);
    sw_template_free(t);

    t = compile_ok("{{{ raw | default: \"<b>x</b>\" }}}");
    assert_int_equal(t->nparts, 1);
    field(t, 0, "raw", true, "<b>x</b>");
    sw_template_free(t);
}

static void compile_bad(const char *text, const char *needle)
{
    struct sw_template *t = (struct sw_template *)1;
    char *msg = NULL;
    assert_int_equal(sw_template_compile(text, &t, &msg), -1);
    assert_null(t);
    assert_non_null(msg);
    if (!strstr(msg, needle)) {
        fail_msg("compile \"%s\": message \"%s\" lacks \"%s\"", text, msg, needle);
    }
    free(msg);
}

static void test_errors(void **state)
{
    (void)state;
    /* unterminated tags */
    compile_bad("Hi {{name", "expected \"}}\"");
    compile_bad("Hi {{name}", "expected \"}}\"");
    compile_bad("{{{name}}", "expected \"}}}\"");
    compile_bad("{{a | default: \"x}}", "unterminated string");
    /* bad filter */
    compile_bad("{{a | upper}}", "unknown filter");
    compile_bad("{{a | default}}", "default needs a quoted string");
    compile_bad("{{a | default: x}}", "default needs a quoted string");
    /* missing name */
    compile_bad("{{}}", "expected a field name");
    compile_bad("{{ }}", "expected a field name");
    compile_bad("{{{}}}", "expected a field name");
    compile_bad("{{1abc}}", "expected a field name");
    compile_bad("{{ | default: \"x\"}}", "expected a field name");
    /* a name with characters that are not allowed */
    compile_bad("{{first-name}}", "expected \"}}\"");
    /* the offset points at the opening braces */
    compile_bad("abc {{}}", "offset 4");
    compile_bad("{{ok}} then {{", "offset 12");
    /* errors after valid parts free what was built (ASan checks) */
    compile_bad("a {{b}} c {{d | nope}} e", "unknown filter");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_triple),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
