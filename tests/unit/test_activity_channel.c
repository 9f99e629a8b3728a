/*
 * test_activity_channel.c - the channel activities (email, sms, push) without a provider: the task
 * fails, nothing is sent, what follows is skipped.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_channel_not_available(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_full("{'name':'mail','activities':[{'id':'a','type':'build_audience','filter':" TU_FR
                "},"
                "{'id':'mail','type':'email','to_field':'email','from':'s@x.org','subject':'Hi "
                "{{first_name}}','text':'t'},"
                "{'id':'after','type':'wait','duration':'0s'}],"
                "'transitions':[{'from':'a','to':'mail'},{'from':'mail','to':'after'}]}",
                false, NULL, 0, SW_RUN_FAILED, &r);
    tu_assert_status(&r, "a", "completed");
    tu_assert_failed(&r, "mail", "nothing was sent");
    tu_assert_status(&r, "after", "skipped");
    char *s =
        tu_sqlt("SELECT status || '/' || last_error_activity FROM sw_campaigns WHERE id = %lld",
                (long long)r.campaign_id);
    assert_string_equal(s, "failed/mail");
    free(s);
    s = tu_sqlt("SELECT status FROM sw_runs WHERE id = %lld", (long long)r.run_id);
    assert_string_equal(s, "failed");
    free(s);
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_channel_not_available),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
