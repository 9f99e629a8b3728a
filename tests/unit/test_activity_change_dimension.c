/*
 * test_activity_change_dimension.c - change_dimension over 1-N and N-1 links.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_change_dimension(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'chdim','activities':["
              "{'id':'fr','type':'build_audience','filter':" TU_FR "},"
              "{'id':'to_orders','type':'change_dimension','to':'orders','via':'orders'},"
              "{'id':'paid','type':'split','segments':[{'port':'paid','filter':{'field':'status',"
              "'op':'eq','value':'paid'}}]},"
              "{'id':'big','type':'build_audience','dimension':'orders','filter':{'field':'amount',"
              "'op':'gt','value':50}},"
              "{'id':'to_profiles','type':'change_dimension','to':'profiles','via':'profiles'},"
              "{'id':'to_hh','type':'change_dimension','to':'households','via':'households'},"
              "{'id':'hh_back','type':'change_dimension','to':'profiles','via':'profiles'}],"
              "'transitions':[{'from':'fr','to':'to_orders'},{'from':'to_orders','to':'paid'},"
              "{'from':'big','to':'to_profiles'},{'from':'fr','to':'to_hh'},"
              "{'from':'to_hh','to':'hh_back'}]}",
              &r);
    /* 1-N: the orders of FR profiles */
    TU_CHECK(r, "to_orders", "out", -1,
             "SELECT count(DISTINCT o.id) FROM orders o JOIN profiles p ON p.id = o.profile_id "
             "WHERE p.country = 'FR'");
    assert_true(tu_count(&r, "to_orders", "out") > 6);
    TU_CHECK(r, "paid", "paid", -1,
             "SELECT count(*) FROM orders o JOIN profiles p ON p.id = o.profile_id "
             "WHERE p.country = 'FR' AND o.status = 'paid'");
    /* N-1: the distinct profiles of big orders */
    TU_CHECK(r, "big", "out", 20, "SELECT count(*) FROM orders WHERE amount > 50");
    TU_CHECK(r, "to_profiles", "out", -1,
             "SELECT count(DISTINCT profile_id) FROM orders WHERE amount > 50");
    assert_true(tu_count(&r, "to_profiles", "out") < 20);
    /* profiles without a household lead nowhere */
    TU_CHECK(r, "to_hh", "out", 1,
             "SELECT count(DISTINCT household_id) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "hh_back", "out", -1,
             "SELECT count(*) FROM profiles WHERE household_id IN (SELECT household_id FROM "
             "profiles WHERE country = 'FR')");
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_change_dimension),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
