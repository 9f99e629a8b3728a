/*
 * test_activity_end.c - end: a branch ends; with a signal, one row in sw_signals for the
 * target campaign with its variables (consumed later by the scheduler).
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h).
 */
#include "testutil.h"

static void test_end(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'end','activities':["
              "{'id':'a','type':'build_audience','filter':" TU_FR "},"
              "{'id':'e','type':'end','signal':{'campaign':'next','variables':{'x':1}}},"
              "{'id':'e2','type':'end'}],"
              "'transitions':[{'from':'a','to':'e'},{'from':'a','to':'e2'}]}",
              &r);
    tu_assert_status(&r, "e", "completed");
    tu_assert_status(&r, "e2", "completed");
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_signals"), 1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_signals WHERE target = 'next' AND "
                             "variables = '{\"x\":1}' AND source_run_id = %lld AND "
                             "consumed_at IS NULL",
                             (long long)r.run_id),
                     1);
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_end),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
