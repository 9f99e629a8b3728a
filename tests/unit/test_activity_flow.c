/*
 * test_activity_flow.c - fork, join and wait (engine/activities/flow.c): copies, join "and"/"or"
 * and primary, waits that really wait, relative dates measured from the run's start.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static void test_fork_join_wait(void **state)
{
    (void)state;
    struct tu_run r;
    int64_t t0 = sw_clock_now_ms();
    tu_run_ok(
        "{'name':'fjw','activities':["
        "{'id':'a','type':'build_audience','filter':" TU_FR "},"
        "{'id':'b','type':'build_audience','filter':" TU_OPT "},"
        "{'id':'f','type':'fork','ports':['copy','spare']},"
        "{'id':'w0','type':'wait','duration':'0s'},"
        "{'id':'w1','type':'wait','duration':'PT1S'},"
        "{'id':'wu','type':'wait','until':'2020-01-01T00:00:00Z'},"
        "{'id':'jand','type':'join','mode':'and'},"
        "{'id':'jp','type':'join','mode':'and','primary':'b'},"
        "{'id':'t','type':'test','conditions':[{'port':'never','count':{'lt':0}}]},"
        "{'id':'jor','type':'join','mode':'or'},"
        "{'id':'jand2','type':'join','mode':'and'},"
        "{'id':'after_and2','type':'wait','duration':'0s'}],"
        "'transitions':[{'from':'a','to':'f'},{'from':'f','to':'w0'},"
        "{'from':'f','port':'copy','to':'w1'},{'from':'f','port':'spare','to':'wu'},"
        "{'from':'w0','to':'jand'},"
        "{'from':'w1','to':'jand'},{'from':'a','to':'jp'},{'from':'b','to':'jp'},"
        "{'from':'a','to':'t'},{'from':'t','port':'never','to':'jor'},{'from':'b','to':'jor'},"
        "{'from':'t','port':'never','to':'jand2'},{'from':'b','to':'jand2'},"
        "{'from':'jand2','to':'after_and2'}]}",
        &r);
    assert_true(sw_clock_now_ms() - t0 >= 1000); /* the wait really waited */
    TU_CHECK(r, "f", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "f", "copy", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "f", "spare", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "w0", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "w1", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "wu", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "jand", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    /* and with primary: the primary input's population */
    TU_CHECK(r, "jp", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* or continues with the input that arrived; and needs every input */
    TU_CHECK(r, "jor", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    tu_assert_status(&r, "jor", "completed");
    tu_assert_status(&r, "jand2", "skipped");
    tu_assert_status(&r, "after_and2", "skipped");
    char *wake = tu_sqlt("SELECT wake_at - started_at FROM sw_tasks WHERE run_id = %lld AND "
                         "activity = 'w1'",
                         (long long)r.run_id);
    assert_non_null(wake);
    assert_true(atoll(wake) >= 1000 - 5 && atoll(wake) <= 1500);
    free(wake);
    tu_run_release(&r);
}

/* Every relative date of a run is measured from the run's start: a record 1 s inside a
 * 30-day window when the run starts is still inside it after a 2 s wait (the clock ticks). */
static void test_relative_dates_run_start(void **state)
{
    (void)state;
    struct tu_run r;
    char iso[32];
    sw_clock_format_iso(sw_clock_now_ms() - 30LL * 86400000 + 1000, iso, sizeof(iso));
    char *sql = sw_asprintf("INSERT INTO profiles (id, email, country, created_at) "
                            "VALUES (100, 'edge@example.com', 'QQ', '%s')",
                            iso);
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_exec(tu_env.db, sql, &err), 0);
    free(sql);
    tu_run_ok(
        "{'name':'edge','activities':["
        "{'id':'a','type':'build_audience','filter':{'field':'country','op':'eq','value':'QQ'}},"
        "{'id':'w','type':'wait','duration':'2s'},"
        "{'id':'s','type':'split','segments':[{'port':'recent','filter':"
        "{'field':'created_at','op':'within_last','value':'30d'}}],'complement':'old'}],"
        "'transitions':[{'from':'a','to':'w'},{'from':'w','to':'s'}]}",
        &r);
    TU_CHECK(r, "s", "recent", 1, "SELECT count(*) FROM profiles WHERE id = 100");
    assert_int_equal(tu_count(&r, "s", "old"), 0);
    tu_run_release(&r);
    sw_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_fork_join_wait),
        TU_ACTIVITY_TEST(test_relative_dates_run_start),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
