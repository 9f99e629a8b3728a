/*
 * test_activity_deduplicate.c - deduplicate: every keep method, keep count, several fields.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Kept keys per method, as an independent window query over profiles. */
#define KEPT(order)                                                                                \
    "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id, row_number() OVER "             \
    "(PARTITION BY email ORDER BY " order ", id) AS rn FROM profiles WHERE email IS NOT NULL) "    \
    "WHERE rn = 1 UNION ALL SELECT id FROM profiles WHERE email IS NULL ORDER BY id)"

static void test_deduplicate(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok(
        "{'name':'dedup','options':{'keep_interim_results':true},'activities':["
        "{'id':'a','type':'build_audience'},"
        "{'id':'rnd','type':'deduplicate','fields':['email']},"
        "{'id':'ob','type':'deduplicate','fields':['email'],'keep':{'method':'order_by',"
        "'order_by':'score','direction':'desc'}},"
        "{'id':'obasc','type':'deduplicate','fields':['email'],'keep':{'method':'order_by',"
        "'order_by':'score'}},"
        "{'id':'ne','type':'deduplicate','fields':['email'],'keep':{'method':'non_empty',"
        "'field':'phone'}},"
        "{'id':'pv','type':'deduplicate','fields':['email'],'keep':{'method':"
        "'preferred_values','field':'country','values':['US','FR']}},"
        "{'id':'two','type':'deduplicate','fields':['email'],'keep':{'count':2,"
        "'method':'random'}},"
        "{'id':'multi','type':'deduplicate','fields':['email','phone']},"
        "{'id':'dups','type':'wait','duration':'0s'}],"
        "'transitions':[{'from':'a','to':'rnd'},{'from':'a','to':'ob'},{'from':'a','to':'obasc'},"
        "{'from':'a','to':'ne'},{'from':'a','to':'pv'},{'from':'a','to':'two'},"
        "{'from':'a','to':'multi'},{'from':'rnd','port':'duplicates','to':'dups'}]}",
        &r);
    const char *kept1 = "SELECT (SELECT count(DISTINCT email) FROM profiles) + "
                        "(SELECT count(*) FROM profiles WHERE email IS NULL)";
    /* 7 distinct emails + 5 NULL emails (never duplicates of each other) */
    TU_CHECK(r, "rnd", "out", 12, "%s", kept1);
    TU_CHECK(r, "rnd", "duplicates", 9, "SELECT count(*) - (%s) FROM profiles", kept1);
    TU_CHECK(r, "dups", "out", 9, "SELECT count(*) - (%s) FROM profiles", kept1);
    /* every email once, every NULL kept */
    char *t = tu_port_table(&r, "rnd", "out");
    assert_int_equal(
        tu_sqln("SELECT count(*) FROM (SELECT p.email FROM \"%s\" w JOIN profiles p ON "
                "p.id = w._key WHERE p.email IS NOT NULL GROUP BY p.email HAVING "
                "count(*) > 1)",
                t),
        0);
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\" w JOIN profiles p ON p.id = w._key WHERE "
                             "p.email IS NULL",
                             t),
                     5);
    free(t);
    for (const char *const *a = (const char *const[]){"ob", "obasc", "ne", "pv", NULL}; *a; a++) {
        TU_CHECK(r, *a, "out", 12, "%s", kept1);
        TU_CHECK(r, *a, "duplicates", 9, "SELECT count(*) - (%s) FROM profiles", kept1);
    }
    tu_assert_keys(tu_port_keys(&r, "ob", "out"), KEPT("score DESC"), true);
    tu_assert_keys(tu_port_keys(&r, "obasc", "out"), KEPT("score ASC"), true);
    tu_assert_keys(tu_port_keys(&r, "ne", "out"),
                   KEPT("CASE WHEN phone IS NULL OR phone = '' THEN 1 ELSE 0 END"), true);
    tu_assert_keys(tu_port_keys(&r, "pv", "out"),
                   KEPT("CASE country WHEN 'US' THEN 0 WHEN 'FR' THEN 1 ELSE 2 END"), true);
    /* count 2: up to two per email */
    TU_CHECK(r, "two", "out", 19,
             "SELECT (SELECT sum(min(c, 2)) FROM (SELECT count(*) AS c FROM profiles WHERE email "
             "IS NOT NULL GROUP BY email)) + (SELECT count(*) FROM profiles WHERE email IS NULL)");
    TU_CHECK(r, "two", "duplicates", 2,
             "SELECT sum(max(c - 2, 0)) FROM (SELECT count(*) AS c FROM profiles WHERE email "
             "IS NOT NULL GROUP BY email)");
    /* two fields: only rows where both are NULL are exempt; (NULL, phone) still groups */
    TU_CHECK(r, "multi", "out", -1,
             "SELECT (SELECT count(*) FROM (SELECT 1 FROM profiles WHERE NOT (email IS NULL AND "
             "phone IS NULL) GROUP BY email, phone)) + (SELECT count(*) FROM profiles WHERE "
             "email IS NULL AND phone IS NULL)");
    assert_true(tu_count(&r, "multi", "out") > 12);
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_deduplicate),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
