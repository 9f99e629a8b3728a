/*
 * test_activity_split.c - split: first match and overlap, percentages and seeded samples, limits
 * and order, skip_empty.
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "catalog/audiences.h"

#include <stdlib.h>
#include <string.h>

static void test_split_first_match_overlap(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'split1','options':{'keep_interim_results':true},'activities':["
              "{'id':'a','type':'build_audience'},"
              "{'id':'s','type':'split','segments':[{'port':'fr','filter':" TU_FR "},"
              "{'port':'opt','filter':" TU_OPT "}],'complement':'rest'},"
              "{'id':'o','type':'split','overlap':true,'segments':[{'port':'fr','filter':" TU_FR
              "},"
              "{'port':'opt','filter':" TU_OPT "}],'complement':'rest'},"
              "{'id':'w','type':'wait','duration':'0s'}],"
              "'transitions':[{'from':'a','to':'s'},{'from':'a','to':'o'},"
              "{'from':'s','port':'rest','to':'w'}]}",
              &r);
    TU_CHECK(r, "s", "fr", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "s", "opt", 4,
             "SELECT count(*) FROM profiles WHERE country <> 'FR' AND email_opt_in = 1");
    TU_CHECK(
        r, "s", "rest", 11,
        "SELECT count(*) FROM profiles WHERE country <> 'FR' AND coalesce(email_opt_in, 0) <> 1");
    TU_CHECK(
        r, "w", "out", 11,
        "SELECT count(*) FROM profiles WHERE country <> 'FR' AND coalesce(email_opt_in, 0) <> 1");
    tu_assert_keys(
        tu_port_keys(&r, "s", "rest"),
        "SELECT group_concat(id, ',') FROM (SELECT id FROM profiles WHERE country <> 'FR' "
        "AND coalesce(email_opt_in, 0) <> 1 ORDER BY id)",
        true);
    TU_CHECK(r, "o", "fr", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "o", "opt", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* with overlap, the complement is what no segment took */
    TU_CHECK(
        r, "o", "rest", 11,
        "SELECT count(*) FROM profiles WHERE country <> 'FR' AND coalesce(email_opt_in, 0) <> 1");
    tu_run_release(&r);
}

static void test_split_percent(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'split_pct','activities':["
              "{'id':'a','type':'build_audience'},"
              "{'id':'s','type':'split','segments':[{'port':'p10','percent':10},"
              "{'port':'p33','percent':33}],'complement':'rest'},"
              "{'id':'f','type':'split','segments':[{'port':'half_fr','filter':" TU_FR
              ",'percent':50},"
              "{'port':'all','percent':100}]},"
              "{'id':'z','type':'split','segments':[{'port':'none','percent':0},"
              "{'port':'tiny','percent':4.9}],'complement':'rest'}],"
              "'transitions':[{'from':'a','to':'s'},{'from':'a','to':'f'},{'from':'a','to':'z'}]}",
              &r);
    /* floor(21 * 10 / 100) = 2; then 33% of the 19 left: floor(6.27) = 6 */
    TU_CHECK(r, "s", "p10", 2, "SELECT (count(*) * 10) / 100 FROM profiles");
    TU_CHECK(r, "s", "p33", 6, "SELECT ((count(*) - 2) * 33) / 100 FROM profiles");
    TU_CHECK(r, "s", "rest", 13, "SELECT count(*) - 2 - 6 FROM profiles");
    /* half of the 6 FR profiles, then all of the 18 others */
    TU_CHECK(r, "f", "half_fr", 3,
             "SELECT (count(*) * 50) / 100 FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "f", "all", 18, "SELECT count(*) - 3 FROM profiles");
    /* 0% keeps nothing; floor(21 * 4.9 / 100) = 1; the complement (not connected) counts
     * the rest */
    TU_CHECK(r, "z", "none", 0, "SELECT 0");
    TU_CHECK(r, "z", "tiny", 1, "SELECT CAST(count(*) * 49 / 1000 AS INTEGER) FROM profiles");
    TU_CHECK(r, "z", "rest", 20, "SELECT count(*) - 1 FROM profiles");
    tu_run_release(&r);

    /* the same seed picks the same records; the sample is a subset of the input */
    const char *doc = "{'name':'split_seed','activities':[{'id':'a','type':'build_audience'},"
                      "{'id':'s','type':'split','segments':[{'port':'p','percent':40}]}],"
                      "'options':{'keep_interim_results':true},"
                      "'transitions':[{'from':'a','to':'s'}]}";
    struct tu_run r1, r2;
    tu_run_full(doc, false, NULL, 7, SW_RUN_COMPLETED, &r1);
    tu_run_full(doc, false, NULL, 7, SW_RUN_COMPLETED, &r2);
    TU_CHECK(r1, "s", "p", 8, "SELECT (count(*) * 40) / 100 FROM profiles");
    char *k1 = tu_port_keys(&r1, "s", "p"), *k2 = tu_port_keys(&r2, "s", "p");
    assert_string_equal(k1, k2);
    free(k1);
    free(k2);
    tu_run_release(&r1);
    tu_run_release(&r2);
}

static void test_split_limit_order(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok("{'name':'split_lim','options':{'keep_interim_results':true},'activities':["
              "{'id':'a','type':'build_audience'},"
              "{'id':'s','type':'split','overlap':true,'segments':["
              "{'port':'top','limit':5,'order_by':'score','direction':'desc'},"
              "{'port':'bottom','limit':4,'order_by':'score'},"
              "{'port':'top_fr','filter':" TU_FR
              ",'limit':2,'order_by':'score','direction':'desc'},"
              "{'port':'rnd','limit':4},"
              "{'port':'top_pct','percent':20,'order_by':'score','direction':'desc'},"
              "{'port':'big','limit':100,'order_by':'score'}]}],"
              "'transitions':[{'from':'a','to':'s'}]}",
              &r);
    /* scores: 10 for 8 and 19, 9 for 5 and 16, 8 for 2 and 13: the fifth place is a tie
     * between 2 and 13, broken by ascending key */
    TU_CHECK(r, "s", "top", 5, "SELECT 5");
    tu_assert_keys(tu_port_keys(&r, "s", "top"),
                   "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id FROM profiles "
                   "ORDER BY score DESC, id ASC LIMIT 5) ORDER BY id)",
                   true);
    tu_assert_keys(tu_port_keys(&r, "s", "top"), "2,5,8,16,19", false);
    /* ascending: 0 (11), 1 (3, 14), then 2 (6 before 17) */
    TU_CHECK(r, "s", "bottom", 4, "SELECT 4");
    tu_assert_keys(tu_port_keys(&r, "s", "bottom"),
                   "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id FROM profiles "
                   "ORDER BY score ASC, id ASC LIMIT 4) ORDER BY id)",
                   true);
    tu_assert_keys(tu_port_keys(&r, "s", "bottom"), "3,6,11,14", false);
    tu_assert_keys(tu_port_keys(&r, "s", "top_fr"),
                   "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id FROM profiles "
                   "WHERE country = 'FR' ORDER BY score DESC, id ASC LIMIT 2) ORDER BY id)",
                   true);
    TU_CHECK(r, "s", "rnd", 4, "SELECT 4");
    /* a percent with order_by takes the top floor(21 * 20 / 100) = 4 */
    TU_CHECK(r, "s", "top_pct", 4, "SELECT (count(*) * 20) / 100 FROM profiles");
    tu_assert_keys(tu_port_keys(&r, "s", "top_pct"), "5,8,16,19", false);
    TU_CHECK(r, "s", "big", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    /* a random sample is a subset of the input */
    char *t = tu_port_table(&r, "s", "rnd");
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\" w JOIN profiles p ON p.id = w._key", t),
                     4);
    free(t);
    tu_run_release(&r);
}

static void test_split_skip_empty(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_ok(
        "{'name':'split_skip','activities':["
        "{'id':'a','type':'build_audience'},"
        "{'id':'s','type':'split','skip_empty':true,'segments':["
        "{'port':'none','filter':{'field':'country','op':'eq','value':'XX'}},"
        "{'port':'fr','filter':" TU_FR "}],'complement':'rest'},"
        "{'id':'after_none','type':'save_audience','audience':'never'},"
        "{'id':'after_fr','type':'wait','duration':'0s'},"
        "{'id':'after_rest','type':'wait','duration':'0s'},"
        "{'id':'s2','type':'split','skip_empty':false,'segments':["
        "{'port':'none','filter':{'field':'country','op':'eq','value':'XX'}}]},"
        "{'id':'after_none2','type':'wait','duration':'0s'}],"
        "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'none','to':'after_none'},"
        "{'from':'s','port':'fr','to':'after_fr'},{'from':'s','port':'rest','to':'after_rest'},"
        "{'from':'a','to':'s2'},{'from':'s2','port':'none','to':'after_none2'}]}",
        &r);
    TU_CHECK(r, "s", "none", 0, "SELECT count(*) FROM profiles WHERE country = 'XX'");
    TU_CHECK(r, "s", "fr", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "s", "rest", 15, "SELECT count(*) FROM profiles WHERE country <> 'FR'");
    tu_assert_status(&r, "after_none", "skipped");
    assert_null(sw_catalog_audience_table(tu_env.cat, "never"));
    tu_assert_status(&r, "after_fr", "completed");
    TU_CHECK(r, "after_fr", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    tu_assert_status(&r, "after_rest", "completed");
    /* without skip_empty the empty population flows on */
    tu_assert_status(&r, "after_none2", "completed");
    assert_int_equal(tu_count(&r, "after_none2", "out"), 0);
    tu_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_split_first_match_overlap),
        TU_ACTIVITY_TEST(test_split_percent),
        TU_ACTIVITY_TEST(test_split_limit_order),
        TU_ACTIVITY_TEST(test_split_skip_empty),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
