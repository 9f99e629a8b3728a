/*
 * test_ledger.c - the delivery ledger's rows and skip rules on a real in-memory SQLite
 * data source, each count checked against SQL written here.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "channels/ledger.h"
#include "core/error.h"

#include <string.h>

static const char data_sql[] =
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT);"
    "INSERT INTO profiles VALUES (1, 'a@x.org'), (2, 'A@X.org '), (3, NULL), (4, ''),"
    "  (5, 'b@x.org'), (6, 'c@x.org'), (7, '  '), (8, 'c@x.org');"
    "CREATE TABLE wt (_key INTEGER PRIMARY KEY);"
    "INSERT INTO wt SELECT id FROM profiles;";

static struct sw_ledger_spec spec(int64_t run, const char *act)
{
    static const struct sw_ledger_field fields[] = {{"email", false}, {"_key", true}};
    struct sw_ledger_spec s = {run,    act,          "email", "wt", "profiles", "id", "email",
                               {0, 0}, 1000000, fields, 2};
    return s;
}

static void test_fill_rules(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(data_sql);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_ledger_counts c;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    struct sw_ledger_spec s = spec(1, "mail");
    assert_int_equal(sw_ledger_fill(db, &s, &c, &err), 0);
    assert_int_equal(c.targeted, tu_int(db, "SELECT count(*) FROM wt"));
    /* empty, blank and NULL addresses */
    assert_int_equal(c.missing_address,
                     tu_int(db, "SELECT count(*) FROM profiles WHERE trim(coalesce(email, '')) = ''"));
    assert_int_equal(c.missing_address, 3);
    /* a@x.org twice (case and spaces differ), c@x.org twice: the smaller key keeps it */
    assert_int_equal(c.duplicate_address, 2);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE reason = 'duplicate_address' "
                                "AND recipient IN ('2', '8')"),
                     2);
    assert_int_equal(c.pending, tu_int(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles "
                                           "WHERE trim(coalesce(email, '')) <> ''"));
    /* the address as sent is trimmed, not lower-cased */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE address = 'a@x.org'"), 1);
    /* the personalization fields are captured as text, a NULL staying null */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE fields = "
                                "'{\"email\":\"A@X.org \",\"_key\":\"2\"}' AND recipient = '2'"),
                     1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE "
                                "json_type(fields, '$.email') = 'null' AND recipient = '3'"),
                     1);
    /* a re-run (after a crash) adds nothing and keeps the states */
    sw_db_exec(db, "UPDATE sw_deliveries SET state = 'sent', sent_at = 999000 WHERE recipient = '1'",
               NULL);
    assert_int_equal(sw_ledger_fill(db, &s, &c, &err), 0);
    assert_int_equal(c.targeted, 8);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE state = 'sent'"), 1);
    assert_int_equal(c.duplicate_address, 2);
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
}

static void test_frequency_cap(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(data_sql);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_ledger_counts c;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    /* Earlier runs (other campaigns) sent to a@x.org twice and b@x.org once within the week,
     * c@x.org twice but long ago. */
    sw_db_exec(db,
               "INSERT INTO sw_deliveries (run_id, activity, channel, recipient, address, "
               "address_key, state, created_at, updated_at, sent_at) VALUES "
               "(90, 'm', 'email', '1', 'a@x.org', 'a@x.org', 'sent', 0, 0, 900000),"
               "(91, 'm', 'email', '1', 'a@x.org', 'a@x.org', 'sent', 0, 0, 950000),"
               "(91, 'm', 'email', '5', 'b@x.org', 'b@x.org', 'sent', 0, 0, 950000),"
               "(92, 'm', 'email', '6', 'c@x.org', 'c@x.org', 'sent', 0, 0, 10),"
               "(93, 'm', 'email', '6', 'c@x.org', 'c@x.org', 'failed', 0, 0, NULL);",
               NULL);
    struct sw_ledger_spec s = spec(2, "mail");
    assert_int_equal(sw_frequency_cap_parse("2/1d", &s.cap, &err), 0);
    assert_int_equal(s.cap.count, 2);
    assert_int_equal(s.cap.period_ms, 86400000);
    s.now_ms = 1000000; /* the window starts before 0: every send above except run 92's counts */
    s.cap.period_ms = 999000;
    assert_int_equal(sw_ledger_fill(db, &s, &c, &err), 0);
    /* a@x.org has 2 sends in the window: capped; b@x.org 1 and c@x.org none (run 92 is too
     * old, run 93 failed): both still pending */
    assert_int_equal(c.frequency_cap, 1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 2 AND reason = "
                                "'frequency_cap' AND address_key = 'a@x.org'"),
                     1);
    assert_int_equal(c.pending, 2);
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
}

static void test_cap_parse(void **state)
{
    (void)state;
    struct sw_frequency_cap cap;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_frequency_cap_parse("3/7d", &cap, &err), 0);
    assert_int_equal(cap.count, 3);
    assert_int_equal(cap.period_ms, 7LL * 86400000);
    assert_int_equal(sw_frequency_cap_parse("5/2w", &cap, NULL), 0);
    assert_int_equal(cap.period_ms, 14LL * 86400000);
    const char *bad[] = {"", "3", "/7d", "0/7d", "-1/7d", "3/", "3/7x", "3/0d", "x/7d", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(sw_frequency_cap_parse(bad[i], &cap, &err), SW_EINVAL);
        sw_error_release(&err);
    }
    assert_int_equal(sw_frequency_cap_parse(NULL, &cap, NULL), SW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_rules),
        cmocka_unit_test(test_frequency_cap),
        cmocka_unit_test(test_cap_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
