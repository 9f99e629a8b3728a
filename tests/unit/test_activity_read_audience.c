/*
 * test_activity_read_audience.c - read_audience of an audience saved on another dimension.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* An audience holds keys of one dimension: reading an audience of orders in a campaign on
 * profiles must not turn order ids into profile ids. */
static void test_read_audience_other_dimension(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'save_orders','activities':[{'id':'o','type':'build_audience',"
              "'dimension':'orders','filter':{'field':'amount','op':'le','value':10}},"
              "{'id':'s','type':'save_audience','audience':'small_orders'}],"
              "'transitions':[{'from':'o','to':'s'}]}",
              &r);
    TU_CHECK(r, "s", "out", 4, "SELECT count(*) FROM orders WHERE amount <= 10");
    tu_run_release(&r);
    /* orders 1-4 are not profiles 1-4 */
    tu_run_full("{'name':'read_orders','activities':[{'id':'r','type':'read_audience',"
                "'audience':'small_orders'}],'transitions':[]}",
                false, NULL, 0, SW_RUN_FAILED, &r);
    tu_assert_failed(&r, "r", "orders");
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_read_audience_other_dimension),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
