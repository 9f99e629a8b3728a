/*
 * test_activity_alert.c - alert: the population passes through, a warning with the title,
 * the message and the count is logged for the run.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

static void test_alert(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'alert','activities':["
              "{'id':'a','type':'build_audience','filter':" TU_FR "},"
              "{'id':'al','type':'alert','title':'Big','message':'many FR'},"
              "{'id':'e','type':'end'}],"
              "'transitions':[{'from':'a','to':'al'},{'from':'al','to':'e'}]}",
              &r);
    TU_CHECK(r, "al", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    tu_assert_status(&r, "e", "completed");
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE run_id = %lld AND activity = 'al' "
                             "AND level = 'warn' AND message LIKE '%%Big%%many FR%%6 records%%'",
                             (long long)r.run_id),
                     1);
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_alert),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
