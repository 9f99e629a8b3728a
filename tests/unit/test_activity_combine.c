/*
 * test_activity_combine.c - combine: union, intersection, exclusion with complements, and an
 * inactive input.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_combine(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'comb','activities':["
              "{'id':'fr','type':'build_audience','filter':" TU_FR "},"
              "{'id':'opt','type':'build_audience','filter':" TU_OPT "},"
              "{'id':'u','type':'combine','operation':'union'},"
              "{'id':'i','type':'combine','operation':'intersection','complement':'rest'},"
              "{'id':'x','type':'combine','operation':'exclusion','primary':'fr',"
              "'complement':'removed'},"
              "{'id':'x2','type':'combine','operation':'exclusion','primary':'opt'}],"
              "'transitions':[{'from':'fr','to':'u'},{'from':'opt','to':'u'},"
              "{'from':'fr','to':'i'},{'from':'opt','to':'i'},"
              "{'from':'fr','to':'x'},{'from':'opt','to':'x'},"
              "{'from':'fr','to':'x2'},{'from':'opt','to':'x2'}]}",
              &r);
    TU_CHECK(r, "fr", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "opt", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    TU_CHECK(r, "u", "out", 10,
             "SELECT count(*) FROM profiles WHERE country = 'FR' OR email_opt_in = 1");
    TU_CHECK(r, "i", "out", 3,
             "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    TU_CHECK(r, "i", "rest", 7,
             "SELECT count(*) FROM profiles WHERE (country = 'FR' OR email_opt_in = 1) AND NOT "
             "(country = 'FR' AND coalesce(email_opt_in, 0) = 1)");
    TU_CHECK(
        r, "x", "out", 3,
        "SELECT count(*) FROM profiles WHERE country = 'FR' AND coalesce(email_opt_in, 0) <> 1");
    TU_CHECK(r, "x", "removed", 3,
             "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    TU_CHECK(r, "x2", "out", 4,
             "SELECT count(*) FROM profiles WHERE email_opt_in = 1 AND country <> 'FR'");
    tu_run_release(&r);
}

static void test_combine_inactive_input(void **state)
{
    (void)state;
    struct tu_run r;
    /* "t" never takes its "big" branch: that input of every combine is inactive (empty). */
    tu_run_ok("{'name':'comb_in','activities':["
              "{'id':'fr','type':'build_audience','filter':" TU_FR "},"
              "{'id':'opt','type':'build_audience','filter':" TU_OPT "},"
              "{'id':'t','type':'test','conditions':[{'port':'big','count':{'gt':1000000}}]},"
              "{'id':'u','type':'combine','operation':'union'},"
              "{'id':'i','type':'combine','operation':'intersection','complement':'rest'},"
              "{'id':'x','type':'combine','operation':'exclusion','primary':'opt',"
              "'complement':'removed'},"
              "{'id':'y','type':'combine','operation':'exclusion','primary':'t'}],"
              "'transitions':[{'from':'fr','to':'t'},"
              "{'from':'t','port':'big','to':'u'},{'from':'opt','to':'u'},"
              "{'from':'t','port':'big','to':'i'},{'from':'opt','to':'i'},"
              "{'from':'t','port':'big','to':'x'},{'from':'opt','to':'x'},"
              "{'from':'t','port':'big','to':'y'},{'from':'opt','to':'y'}]}",
              &r);
    assert_int_equal(tu_count(&r, "t", "big"), 0);
    TU_CHECK(r, "u", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* intersecting with an empty population leaves nothing; the rest is all of opt */
    TU_CHECK(r, "i", "out", 0, "SELECT 0");
    TU_CHECK(r, "i", "rest", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* subtracting an empty population removes nothing */
    TU_CHECK(r, "x", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    TU_CHECK(r, "x", "removed", 0, "SELECT 0");
    /* the primary itself is empty */
    TU_CHECK(r, "y", "out", 0, "SELECT 0");
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_combine),
        TU_ACTIVITY_TEST(test_combine_inactive_input),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
