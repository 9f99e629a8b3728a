/*
 * test_suppress.c - the suppression list (channels/suppress.c) and how the ledger honours it
 * (channels/ledger.c), on real SQLite databases; counts checked with SQL written here.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "channels/suppress.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char data_sql[] =
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT);"
    "INSERT INTO profiles VALUES (1, 'a@x.org'), (2, 'B@x.org'), (3, 'c@x.org'), (4, 'd@x.org'),"
    "  (5, ' e@x.org ');"
    "CREATE TABLE wt (_key INTEGER PRIMARY KEY);"
    "INSERT INTO wt SELECT id FROM profiles;";

static struct sw_db *open_catalog(struct sw_catalog **cat)
{
    struct sw_db *db = tu_db(data_sql);
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_catalog_open(db, cat, &err), 0);
    return db;
}

static int add(struct sw_db *db, const char *ch, const char *addr, const char *reason, bool *added)
{
    struct sw_suppression s = {0, ch, addr, reason, NULL, 0, 1000, "test"};
    struct sw_error err = SW_ERROR_INIT;
    int rc = sw_suppress_add(db, &s, added, &err);
    sw_error_release(&err);
    return rc;
}

static void test_add_remove(void **state)
{
    (void)state;
    struct sw_catalog *cat = NULL;
    struct sw_db *db = open_catalog(&cat);
    bool added = false;
    assert_int_equal(add(db, "email", "  B@X.org ", "hard_bounce", &added), 0);
    assert_true(added);
    /* the same address, other case: already there, its first cause kept */
    assert_int_equal(add(db, "email", "b@x.org", "unsubscribe", &added), 0);
    assert_false(added);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions WHERE address_key = "
                                "'b@x.org' AND reason = 'hard_bounce' AND address = 'B@X.org'"),
                     1);
    /* another channel is another entry */
    assert_int_equal(add(db, "sms", "b@x.org", "manual", &added), 0);
    assert_true(added);
    /* refused: blank, unknown channel or reason */
    assert_int_equal(add(db, "email", "   ", "manual", &added), SW_EINVAL);
    assert_int_equal(add(db, "fax", "x@y", "manual", &added), SW_EINVAL);
    assert_int_equal(add(db, "email", "x@y", "because", &added), SW_EINVAL);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions"), 2);
    struct sw_error err = SW_ERROR_INIT;
    int64_t removed = 0;
    assert_int_equal(sw_suppress_remove(db, "sms", "B@x.org", &removed, &err), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(sw_suppress_remove(db, NULL, "b@x.org", &removed, &err), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(sw_suppress_remove(db, NULL, "b@x.org", &removed, &err), 0);
    assert_int_equal(removed, 0);
    sw_catalog_free(cat);
    sw_db_close(db);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/sw-suppress-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_import(void **state)
{
    (void)state;
    struct sw_catalog *cat = NULL;
    struct sw_db *db = open_catalog(&cat);
    struct sw_error err = SW_ERROR_INIT;
    int64_t added = 0, already = 0;
    char *good = write_tmp("Address,Channel,Reason\r\n"
                           "a@x.org\r\n"
                           "\"c@x.org\",sms,complaint\r\n"
                           "\r\n"
                           "A@X.ORG,,\r\n"
                           "\"quoted, comma@x.org\",email,unsubscribe\n");
    assert_int_equal(sw_suppress_import_csv(db, good, "email", "import", "t", 5, &added,
                                            &already, &err),
                     0);
    assert_int_equal(added, 3);
    assert_int_equal(already, 1); /* A@X.ORG is a@x.org */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions WHERE channel = 'sms' AND "
                                "address_key = 'c@x.org' AND reason = 'complaint'"),
                     1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions WHERE address_key = "
                                "'quoted, comma@x.org' AND reason = 'unsubscribe'"),
                     1);
    /* one bad line: nothing of the file is added, and the error names the line */
    char *bad = write_tmp("new1@x.org\nnew2@x.org,fax\nnew3@x.org\n");
    assert_int_equal(sw_suppress_import_csv(db, bad, "email", "import", "t", 5, &added, &already,
                                            &err),
                     SW_EINVAL);
    assert_non_null(strstr(err.message, "line 2"));
    assert_non_null(strstr(err.message, "fax"));
    sw_error_release(&err);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions WHERE address_key LIKE "
                                "'new%'"),
                     0);
    char *wide = write_tmp("a,b,c,d\n");
    assert_int_equal(sw_suppress_import_csv(db, wide, "email", "import", "t", 5, NULL, NULL,
                                            &err),
                     SW_EINVAL);
    assert_non_null(strstr(err.message, "line 1"));
    sw_error_release(&err);
    assert_int_equal(sw_suppress_import_csv(db, "/nonexistent/x.csv", "email", "import", "t", 5,
                                            NULL, NULL, &err),
                     SW_EIO);
    sw_error_release(&err);
    unlink(good);
    unlink(bad);
    unlink(wide);
    free(good);
    free(bad);
    free(wide);
    sw_catalog_free(cat);
    sw_db_close(db);
}

static void test_ledger_skips(void **state)
{
    (void)state;
    struct sw_catalog *cat = NULL;
    struct sw_db *db = open_catalog(&cat);
    struct sw_error err = SW_ERROR_INIT;
    bool added;
    assert_int_equal(add(db, "email", "b@x.org", "hard_bounce", &added), 0);
    assert_int_equal(add(db, "sms", "c@x.org", "manual", &added), 0); /* another channel */
    static const struct sw_ledger_field fields[] = {{"email", false}};
    struct sw_ledger_spec s = {1, "mail", "email", "wt", "profiles", "id", "email", 1000,
                               fields, 1};
    struct sw_ledger_counts c;
    assert_int_equal(sw_ledger_fill(db, &s, &c, &err), 0);
    assert_int_equal(c.suppressed, 1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE reason = 'suppressed' "
                                "AND recipient = '2' AND error = 'suppressed: hard_bounce'"),
                     1);
    assert_int_equal(c.pending, 4);
    /* suppressed after the fill, before the claim: skipped at the claim */
    assert_int_equal(add(db, "email", "E@x.org", "unsubscribe", &added), 0);
    struct sw_ledger_claimer *cl = NULL;
    struct sw_frequency_cap none = {0, 0};
    struct sw_ledger_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sw_ledger_claimer_open(db, 1, "mail", "email", none, &cl, &err), 0);
    assert_int_equal(sw_db_begin(db, &err), 0);
    assert_int_equal(sw_ledger_claim(cl, 10, 2000, &rows, &n, NULL, &err), 0);
    assert_int_equal(sw_db_commit(db, &err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(strcmp(rows[i].address, "e@x.org") && strcmp(rows[i].address, "B@x.org"));
    }
    sw_ledger_rows_free(rows, n);
    sw_ledger_claimer_close(cl);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE reason = 'suppressed' "
                                "AND recipient = '5' AND error = 'suppressed: unsubscribe'"),
                     1);
    assert_int_equal(sw_ledger_counts(db, 1, "mail", &c, &err), 0);
    assert_int_equal(c.suppressed, 2);
    sw_catalog_free(cat);
    sw_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_remove),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_ledger_skips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
