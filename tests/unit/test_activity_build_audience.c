/*
 * test_activity_build_audience.c - build_audience: the whole dimension, filters (links, relative
 * dates, other dimensions), and incremental runs (by date field, excluding earlier keys).
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static void test_build_audience(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok(
        "{'name':'ba','activities':["
        "{'id':'all','type':'build_audience'},"
        "{'id':'fr','type':'build_audience','filter':{'all':[{'field':'country','op':'eq',"
        "'value':'FR'},{'field':'email_opt_in','op':'eq','value':true}]}},"
        "{'id':'buyers','type':'build_audience','filter':{'link':'orders','exists':"
        "{'field':'amount','op':'gt','value':50}}},"
        "{'id':'recent','type':'build_audience','filter':{'field':'created_at',"
        "'op':'within_last','value':'30d'}},"
        "{'id':'paid','type':'build_audience','dimension':'orders','filter':{'field':'status',"
        "'op':'eq','value':'paid'}}],'transitions':[]}",
        &r);
    TU_CHECK(r, "all", "out", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    TU_CHECK(r, "fr", "out", 3,
             "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    TU_CHECK(r, "buyers", "out", -1,
             "SELECT count(*) FROM profiles p WHERE EXISTS (SELECT 1 FROM orders o "
             "WHERE o.profile_id = p.id AND o.amount > 50)");
    assert_true(tu_count(&r, "buyers", "out") > 0 && tu_count(&r, "buyers", "out") < TU_N_PROFILES);
    TU_CHECK(r, "recent", "out", 6,
             "SELECT count(*) FROM profiles WHERE created_at >= '2026-02-13T12:00:00Z'");
    TU_CHECK(r, "paid", "out", 13, "SELECT count(*) FROM orders WHERE status = 'paid'");
    for (const char *const *a =
             (const char *const[]){"all", "fr", "buyers", "recent", "paid", NULL};
         *a; a++) {
        tu_assert_status(&r, *a, "completed");
    }
    tu_run_release(&r);
}

static void test_build_incremental_date(void **state)
{
    (void)state;
    const char *doc = "{'name':'inc_date','activities':[{'id':'a','type':'build_audience',"
                      "'filter':{'field':'country','op':'ne','value':'ZZ'},"
                      "'incremental':{'date_field':'created_at'}}],'transitions':[]}";
    struct tu_run r1, r2;
    /* first run: no previous run, everything */
    tu_run_ok(doc, &r1);
    TU_CHECK(r1, "a", "out", 20, "SELECT count(*) FROM profiles WHERE country <> 'ZZ'");
    /* rows created after the first run started, and one just before it */
    char *start = tu_sqlt("SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', started_at / 1000, "
                          "'unixepoch') FROM sw_runs WHERE id = %lld",
                          (long long)r1.run_id);
    assert_non_null(start);
    char *ins = sw_asprintf(
        "INSERT INTO profiles (id, email, country, email_opt_in, created_at, score) VALUES "
        "(101, 'n1@x.org', 'FR', 1, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '+1 hour'), 1),"
        "(102, 'n2@x.org', 'DE', 0, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '+2 days'), 1),"
        "(103, 'n3@x.org', 'ZZ', 0, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '+2 days'), 1),"
        "(104, 'n4@x.org', 'US', 0, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '-1 hour'), 1)",
        start, start, start, start);
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_exec(tu_env.db, ins, &err), 0);
    free(ins);
    tu_run_ok(doc, &r2);
    TU_CHECK(r2, "a", "out", 2,
             "SELECT count(*) FROM profiles WHERE country <> 'ZZ' AND created_at > "
             "(SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', started_at / 1000, 'unixepoch') "
             "FROM sw_runs WHERE id = %lld)",
             (long long)r1.run_id);
    free(start);
    tu_run_release(&r1);
    tu_run_release(&r2);
    sw_error_release(&err);
}

static void test_build_incremental_exclude(void **state)
{
    (void)state;
    const char *doc = "{'name':'inc_excl','options':{'keep_interim_results':true},"
                      "'activities':[{'id':'a','type':'build_audience',"
                      "'filter':{'field':'country','op':'eq','value':'FR'},"
                      "'incremental':{'exclude_previous':true}}],'transitions':[]}";
    struct tu_run r1, r2, r3;
    tu_run_ok(doc, &r1);
    TU_CHECK(r1, "a", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r1, "a", "out", 6, "SELECT count(*) FROM sw_incremental WHERE activity = 'a'");
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_exec(tu_env.db,
                                "INSERT INTO profiles (id, country, score) VALUES "
                                "(201, 'FR', 1), (202, 'FR', 2), (203, 'DE', 3);"
                                "UPDATE profiles SET country = 'FR' WHERE id = 1;",
                                &err),
                     0);
    tu_run_ok(doc, &r2);
    /* only FR keys no earlier run of this activity produced */
    TU_CHECK(r2, "a", "out", 3,
             "SELECT count(*) FROM profiles WHERE country = 'FR' AND id NOT IN "
             "(3, 6, 9, 12, 15, 18)");
    tu_assert_keys(tu_port_keys(&r2, "a", "out"), "1,201,202", false);
    tu_run_ok(doc, &r3);
    TU_CHECK(r3, "a", "out", 0, "SELECT 0");
    /* a simulation neither sees nor records anything new */
    tu_run_release(&r3);
    assert_int_equal(
        sw_db_exec(tu_env.db, "INSERT INTO profiles (id, country) VALUES (204, 'FR')", &err), 0);
    tu_run_full(doc, true, NULL, 0, SW_RUN_COMPLETED, &r3);
    assert_int_equal(tu_count(&r3, "a", "out"), 1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_incremental"), 9);
    tu_run_release(&r1);
    tu_run_release(&r2);
    tu_run_release(&r3);
    sw_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_build_audience),
        TU_ACTIVITY_TEST(test_build_incremental_date),
        TU_ACTIVITY_TEST(test_build_incremental_exclude),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
