/*
 * test_activity_export.c - export: RFC 4180 files under export_dir, and the failure without one.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static void test_export(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok(
        "{'name':'export','activities':["
        "{'id':'a','type':'build_audience','filter':{'field':'country','op':'in',"
        "'value':['FR','ZZ']}},"
        "{'id':'x','type':'export','path':'sub/dir/list.csv','columns':['email','first_name',"
        "'country']},"
        "{'id':'e','type':'enrich','columns':[{'name':'n','link':'orders','aggregate':'count'}]},"
        "{'id':'x2','type':'export','path':'keys.csv'}],"
        "'transitions':[{'from':'a','to':'x'},{'from':'a','to':'e'},{'from':'e','to':'x2'}]}",
        &r);
    TU_CHECK(r, "x", "out", 7, "SELECT count(*) FROM profiles WHERE country IN ('FR', 'ZZ')");
    TU_CHECK(r, "x2", "out", 7, "SELECT count(*) FROM profiles WHERE country IN ('FR', 'ZZ')");
    char *path = sw_asprintf("%s/sub/dir/list.csv", tu_env.dir);
    char *got = tu_slurp(path);
    assert_non_null(got);
    /* RFC 4180: a field with a comma or quote is quoted, quotes doubled; NULL is empty */
    char *exp =
        tu_sqlt("SELECT 'id,email,first_name,country' || char(13, 10) || group_concat(line, '')"
                " FROM (SELECT id || ',' || coalesce(email, '') || ',' || CASE WHEN "
                "first_name LIKE '%%,%%' OR first_name LIKE '%%\"%%' THEN '\"' || "
                "replace(first_name, '\"', '\"\"') || '\"' ELSE first_name END || ',' || "
                "country || char(13, 10) AS line FROM profiles WHERE country IN ('FR', 'ZZ') "
                "ORDER BY id)");
    assert_string_equal(got, exp);
    assert_non_null(strstr(got, "21,,\"Doe, \"\"J\"\"\",ZZ\r\n"));
    free(got);
    free(exp);
    free(path);
    /* no columns: the key and the enrichment columns */
    path = sw_asprintf("%s/keys.csv", tu_env.dir);
    got = tu_slurp(path);
    assert_non_null(got);
    exp =
        tu_sqlt("SELECT 'id,n' || char(13, 10) || group_concat(line, '') FROM (SELECT id || ',' || "
                "(SELECT count(*) FROM orders o WHERE o.profile_id = p.id) || char(13, 10) AS line "
                "FROM profiles p WHERE country IN ('FR', 'ZZ') ORDER BY id)");
    assert_string_equal(got, exp);
    free(got);
    free(exp);
    free(path);
    tu_run_release(&r);

    /* without an export_dir the activity fails */
    tu_env.cfg.export_dir = NULL;
    tu_run_full("{'name':'export2','activities':[{'id':'a','type':'build_audience'},"
                "{'id':'x','type':'export','path':'a.csv'}],'transitions':[{'from':'a','to':'x'}]}",
                false, NULL, 0, SW_RUN_FAILED, &r);
    tu_assert_failed(&r, "x", "export_dir");
    tu_run_release(&r);
    tu_env.cfg.export_dir = tu_env.dir;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_export),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
