/*
 * test_activity_enrich.c - enrich: N-1 fields, aggregates over links with filters, and date columns
 * usable downstream.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static void test_enrich(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'enrich','options':{'keep_interim_results':true},'activities':["
              "{'id':'a','type':'build_audience'},"
              "{'id':'e','type':'enrich','columns':["
              "{'name':'cty','field':'country'},"
              "{'name':'city','link':'households','field':'city'},"
              "{'name':'n_orders','link':'orders','aggregate':'count'},"
              "{'name':'n_paid','link':'orders','aggregate':'count','filter':{'field':'status',"
              "'op':'eq','value':'paid'}},"
              "{'name':'total','link':'orders','aggregate':'sum','field':'amount'},"
              "{'name':'paid_total','link':'orders','aggregate':'sum','field':'amount',"
              "'filter':{'field':'status','op':'eq','value':'paid'}},"
              "{'name':'avg_amt','link':'orders','aggregate':'avg','field':'amount'},"
              "{'name':'min_amt','link':'orders','aggregate':'min','field':'amount'},"
              "{'name':'max_paid','link':'orders','aggregate':'max','field':'amount',"
              "'filter':{'field':'status','op':'eq','value':'paid'}}]},"
              "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'total',"
              "'op':'ge','value':100}}],'complement':'small'},"
              "{'id':'top','type':'split','segments':[{'port':'top','limit':3,'order_by':'total',"
              "'direction':'desc'}]},"
              "{'id':'dd','type':'deduplicate','fields':['cty'],'keep':{'method':'order_by',"
              "'order_by':'total','direction':'desc'}}],"
              "'transitions':[{'from':'a','to':'e'},{'from':'e','to':'s'},{'from':'e','to':'top'},"
              "{'from':'e','to':'dd'}]}",
              &r);
    TU_CHECK(r, "e", "out", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    char *t = tu_port_table(&r, "e", "out");
    assert_non_null(t);
    /* every row agrees with independent correlated subqueries */
    const char *O = "FROM orders o WHERE o.profile_id = p.id";
    int64_t bad = tu_sqln(
        "SELECT count(*) FROM \"%s\" w JOIN profiles p ON p.id = w._key WHERE "
        "w.cty IS NOT p.country "
        "OR w.city IS NOT (SELECT h.city FROM households h WHERE h.id = p.household_id) "
        "OR w.n_orders IS NOT (SELECT count(*) %s) "
        "OR w.n_paid IS NOT (SELECT count(*) %s AND o.status = 'paid') "
        "OR w.total IS NOT (SELECT coalesce(sum(o.amount), 0) %s) "
        "OR w.paid_total IS NOT (SELECT coalesce(sum(o.amount), 0) %s AND o.status = 'paid') "
        "OR (w.avg_amt IS NULL) <> ((SELECT avg(o.amount) %s) IS NULL) "
        "OR abs(w.avg_amt - (SELECT avg(o.amount) %s)) > 1e-9 "
        "OR w.min_amt IS NOT (SELECT min(o.amount) %s) "
        "OR w.max_paid IS NOT (SELECT max(o.amount) %s AND o.status = 'paid')",
        t, O, O, O, O, O, O, O, O);
    assert_int_equal(bad, 0);
    /* no orders at all (18): 0 for count and sum, NULL for avg, min, max */
    assert_int_equal(
        tu_sqln("SELECT count(*) FROM \"%s\" WHERE _key = 18 AND n_orders = 0 AND "
                "n_paid = 0 AND total = 0 AND paid_total = 0 AND avg_amt IS NULL AND "
                "min_amt IS NULL AND max_paid IS NULL AND city = 'Paris' AND cty = 'FR'",
                t),
        1);
    /* orders but none paid (1): the filtered aggregates see no rows */
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\" WHERE _key = 1 AND n_orders = 2 AND "
                             "n_paid = 0 AND paid_total = 0 AND max_paid IS NULL AND total > 0 AND "
                             "avg_amt IS NOT NULL",
                             t),
                     1);
    /* no household: the N-1 field is NULL */
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\" WHERE _key = 4 AND city IS NULL", t), 1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\" WHERE _key = 1 AND city = 'Lyon'", t), 1);
    /* the enrichment is usable downstream */
    TU_CHECK(r, "s", "big", -1,
             "SELECT count(*) FROM profiles p WHERE (SELECT coalesce(sum(amount), 0) FROM orders o "
             "WHERE o.profile_id = p.id) >= 100");
    assert_true(tu_count(&r, "s", "big") > 0);
    TU_CHECK(r, "s", "small", -1, "SELECT %d - %lld", TU_N_PROFILES,
             (long long)tu_count(&r, "s", "big"));
    /* the split carried the columns */
    char *ts = tu_port_table(&r, "s", "big");
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\" WHERE total < 100", ts), 0);
    free(ts);
    /* order_by on an enrichment column, in split and in deduplicate */
    const char *TOTAL = "(SELECT coalesce(sum(amount), 0) FROM orders o WHERE o.profile_id = p.id)";
    char *exp = sw_asprintf("SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT p.id FROM "
                            "profiles p ORDER BY %s DESC, p.id LIMIT 3) ORDER BY id)",
                            TOTAL);
    tu_assert_keys(tu_port_keys(&r, "top", "top"), exp, true);
    free(exp);
    tu_assert_keys(tu_port_keys(&r, "top", "top"), "2,13,16", false);
    exp =
        sw_asprintf("SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT p.id, row_number() "
                    "OVER (PARTITION BY p.country ORDER BY %s DESC, p.id) AS rn FROM profiles p) "
                    "WHERE rn = 1 ORDER BY id)",
                    TOTAL);
    tu_assert_keys(tu_port_keys(&r, "dd", "out"), exp, true);
    free(exp);
    TU_CHECK(r, "dd", "out", 4, "SELECT count(DISTINCT country) FROM profiles");
    free(t);
    tu_run_release(&r);
}

/* Date columns added by enrich keep working in downstream filters, whatever the storage of
 * the source column (here ISO text with a space, and epoch seconds). */
static void test_enrich_dates(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    /* two late orders on the same day, on either side of 09:00 */
    assert_int_equal(sw_db_exec(tu_env.db,
                                "INSERT INTO orders VALUES (41, 18, 1, 'paid', "
                                "'2026-03-10 15:00:00', CAST(strftime('%s', '2026-03-10 15:00:00') "
                                "AS INTEGER)), (42, 19, 1, 'paid', '2026-03-10 08:00:00', "
                                "CAST(strftime('%s', '2026-03-10 08:00:00') AS INTEGER))",
                                &err),
                     0);
    struct tu_run r;
    tu_run_ok("{'name':'enrich_dates','activities':["
              "{'id':'a','type':'build_audience'},"
              "{'id':'e','type':'enrich','columns':["
              "{'name':'last_order','link':'orders','aggregate':'max','field':'created_at'},"
              "{'name':'last_paid','link':'orders','aggregate':'max','field':'paid_s'}]},"
              "{'id':'s','type':'split','overlap':true,'segments':["
              "{'port':'iso_after','filter':{'field':'last_order','op':'after',"
              "'value':'2026-03-10T09:00:00Z'}},"
              "{'port':'iso_recent','filter':{'field':'last_order','op':'within_last',"
              "'value':'30d'}},"
              "{'port':'epoch_after','filter':{'field':'last_paid','op':'after',"
              "'value':'2026-03-10T09:00:00Z'}},"
              "{'port':'epoch_recent','filter':{'field':'last_paid','op':'within_last',"
              "'value':'30d'}}]}],"
              "'transitions':[{'from':'a','to':'e'},{'from':'e','to':'s'}]}",
              &r);
    int nbad = 0;
    nbad += tu_soft_check(&r, "e", "out", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    /* the oracle compares real instants (julianday), not strings */
    nbad += tu_soft_check(
        &r, "s", "iso_after", 1,
        "SELECT count(*) FROM profiles p WHERE (SELECT max(julianday(created_at)) FROM orders o "
        "WHERE o.profile_id = p.id) > julianday('2026-03-10 09:00:00')");
    nbad += tu_soft_check(
        &r, "s", "iso_recent", 6,
        "SELECT count(*) FROM profiles p WHERE (SELECT max(julianday(created_at)) FROM orders o "
        "WHERE o.profile_id = p.id) >= julianday('2026-03-15 12:00:00', '-30 days')");
    nbad += tu_soft_check(
        &r, "s", "epoch_after", 1,
        "SELECT count(*) FROM profiles p WHERE (SELECT max(paid_s) FROM orders o "
        "WHERE o.profile_id = p.id) > CAST(strftime('%%s', '2026-03-10 09:00:00') AS INTEGER)");
    nbad += tu_soft_check(
        &r, "s", "epoch_recent", 6,
        "SELECT count(*) FROM profiles p WHERE (SELECT max(paid_s) FROM orders o "
        "WHERE o.profile_id = p.id) >= CAST(strftime('%%s', '2026-03-15 12:00:00', '-30 days') "
        "AS INTEGER)");
    tu_run_release(&r);
    sw_error_release(&err);
    assert_int_equal(nbad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_enrich),
        TU_ACTIVITY_TEST(test_enrich_dates),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
