/*
 * test_activity_save_audience.c - save_audience (replace, append; read back by read_audience and
 * in_audience).
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "catalog/audiences.h"

#include <stdlib.h>
#include <string.h>

static void test_audiences(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'save1','activities':[{'id':'a','type':'build_audience','filter':"
              "{'field':'country','op':'eq','value':'FR'}},"
              "{'id':'s','type':'save_audience','audience':'aud','mode':'replace'}],"
              "'transitions':[{'from':'a','to':'s'}]}",
              &r);
    TU_CHECK(r, "a", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "s", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    char *t = sw_catalog_audience_table(tu_env.cat, "aud");
    assert_non_null(t);
    assert_int_equal(strncmp(t, "swa_", 4), 0);
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\"", t), 6);
    assert_int_equal(tu_sqln("SELECT count FROM sw_audiences WHERE name = 'aud'"), 6);
    tu_run_release(&r);

    const char *reader = "{'name':'read','activities':["
                         "{'id':'r','type':'read_audience','audience':'aud'},"
                         "{'id':'rf','type':'read_audience','audience':'aud','filter':"
                         "{'field':'email_opt_in','op':'eq','value':true}}],'transitions':[]}";
    tu_run_ok(reader, &r);
    TU_CHECK(r, "r", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "rf", "out", 3,
             "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    tu_run_release(&r);

    /* replace: the audience now holds DE only */
    tu_run_ok("{'name':'save2','activities':[{'id':'a','type':'build_audience','filter':"
              "{'field':'country','op':'eq','value':'DE'}},"
              "{'id':'s','type':'save_audience','audience':'aud','mode':'replace'}],"
              "'transitions':[{'from':'a','to':'s'}]}",
              &r);
    tu_run_release(&r);
    tu_run_ok(reader, &r);
    TU_CHECK(r, "r", "out", 7, "SELECT count(*) FROM profiles WHERE country = 'DE'");
    TU_CHECK(r, "rf", "out", -1,
             "SELECT count(*) FROM profiles WHERE country = 'DE' AND email_opt_in = 1");
    tu_run_release(&r);

    /* append: DE plus US (and appending again adds no duplicates) */
    const char *app = "{'name':'save3','activities':[{'id':'a','type':'build_audience','filter':"
                      "{'field':'country','op':'in','value':['US','DE']}},"
                      "{'id':'s','type':'save_audience','audience':'aud','mode':'append'}],"
                      "'transitions':[{'from':'a','to':'s'}]}";
    tu_run_ok(app, &r);
    TU_CHECK(r, "s", "out", 14, "SELECT count(*) FROM profiles WHERE country IN ('US', 'DE')");
    tu_run_release(&r);
    tu_run_ok(app, &r);
    tu_run_release(&r);
    tu_run_ok(reader, &r);
    TU_CHECK(r, "r", "out", 14, "SELECT count(*) FROM profiles WHERE country IN ('DE', 'US')");
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\"", t), 14);
    assert_int_equal(tu_sqln("SELECT count FROM sw_audiences WHERE name = 'aud'"), 14);
    tu_run_release(&r);
    free(t);

    /* in_audience in a filter */
    tu_run_ok("{'name':'inaud','activities':[{'id':'a','type':'build_audience','filter':"
              "{'all':[{'in_audience':'aud'},{'field':'email_opt_in','op':'eq','value':false}]}}],"
              "'transitions':[]}",
              &r);
    TU_CHECK(r, "a", "out", -1,
             "SELECT count(*) FROM profiles WHERE country IN ('DE', 'US') AND email_opt_in = 0");
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_audiences),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
