/*
 * test_activity_test.c - test: conditions on counts and variables, first match, default port, no
 * match.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_test_activity(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'tst','activities':["
              "{'id':'a','type':'build_audience','filter':" TU_FR "},"
              "{'id':'t','type':'test','conditions':[{'port':'big','count':{'gt':1000}},"
              "{'port':'some','count':{'ge':6}},{'port':'also','count':{'ge':1}}]},"
              "{'id':'on_big','type':'wait','duration':'0s'},"
              "{'id':'on_some','type':'wait','duration':'0s'},"
              "{'id':'on_default','type':'wait','duration':'0s'},"
              "{'id':'n','type':'test','conditions':[{'port':'big','count':{'gt':1000}}]},"
              "{'id':'after_n','type':'wait','duration':'0s'}],"
              "'transitions':[{'from':'a','to':'t'},{'from':'t','port':'big','to':'on_big'},"
              "{'from':'t','port':'some','to':'on_some'},"
              "{'from':'t','port':'default','to':'on_default'},"
              "{'from':'a','to':'n'},{'from':'n','port':'big','to':'after_n'}]}",
              &r);
    /* first match wins: "some" (6 >= 6), not "also" */
    TU_CHECK(r, "t", "some", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    assert_int_equal(tu_count(&r, "t", "big"), 0);
    assert_int_equal(tu_count(&r, "t", "also"), 0);
    assert_int_equal(tu_count(&r, "t", "default"), 0);
    tu_assert_status(&r, "on_big", "skipped");
    tu_assert_status(&r, "on_some", "completed");
    TU_CHECK(r, "on_some", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    tu_assert_status(&r, "on_default", "skipped");
    /* no match and no default transition: the branch ends there, logged */
    tu_assert_status(&r, "n", "completed");
    tu_assert_status(&r, "after_n", "skipped");
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE run_id = %lld AND activity = 'n' "
                             "AND message LIKE '%%branch ends here%%'",
                             (long long)r.run_id),
                     1);
    tu_run_release(&r);

    /* variables, with an override */
    const char *doc =
        "{'name':'tstvar','variables':{'tier':'gold','limit':10},'activities':["
        "{'id':'a','type':'build_audience'},"
        "{'id':'t','type':'test','conditions':["
        "{'port':'gold','variable':'tier','op':'eq','value':'gold'},"
        "{'port':'many','variable':'limit','op':'gt','value':50}]},"
        "{'id':'g','type':'wait','duration':'0s'},"
        "{'id':'m','type':'wait','duration':'0s'},"
        "{'id':'d','type':'wait','duration':'0s'}],"
        "'transitions':[{'from':'a','to':'t'},{'from':'t','port':'gold','to':'g'},"
        "{'from':'t','port':'many','to':'m'},{'from':'t','port':'default','to':'d'}]}";
    tu_run_ok(doc, &r);
    TU_CHECK(r, "t", "gold", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    tu_assert_status(&r, "g", "completed");
    tu_assert_status(&r, "m", "skipped");
    tu_assert_status(&r, "d", "skipped");
    tu_run_release(&r);
    json_t *ov = json_pack("{s:s, s:i}", "tier", "silver", "limit", 99);
    tu_run_full(doc, false, ov, 0, SW_RUN_COMPLETED, &r);
    TU_CHECK(r, "t", "many", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    assert_int_equal(tu_count(&r, "t", "gold"), 0);
    tu_assert_status(&r, "g", "skipped");
    tu_assert_status(&r, "m", "completed");
    tu_assert_status(&r, "d", "skipped");
    tu_run_release(&r);
    json_decref(ov);
    ov = json_pack("{s:s}", "tier", "bronze");
    tu_run_full(doc, false, ov, 0, SW_RUN_COMPLETED, &r);
    TU_CHECK(r, "t", "default", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    tu_assert_status(&r, "d", "completed");
    TU_CHECK(r, "d", "out", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    tu_run_release(&r);
    json_decref(ov);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_test_activity),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
