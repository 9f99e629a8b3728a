/*
 * test_demo_data.c - the demo data generator: shape, integrity and realism of the rows
 * (checked with SQL on a 2000-profile file), determinism for a seed, and the refusals of the
 * `demo-data` subcommand.
 */
#include "testutil.h"

#include "cli/cli.h"
#include "cli/demo_data.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPROFILES 2000
#define NOW_ISO   "2026-03-15T12:00:00Z"

static char tmpdir[] = "/tmp/sw-demo-data-XXXXXX";

static char *tmp_path(const char *name) { return sw_asprintf("%s/%s", tmpdir, name); }

static void remove_db(const char *path)
{
    static const char *const sfx[] = {"", ".tmp", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        char *p = sw_asprintf("%s%s", path, sfx[i]);
        (void)unlink(p);
        free(p);
    }
}

static struct sw_db *open_db(const char *path)
{
    struct sw_db *db = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_open(path, &db, &err) < 0) {
        fail_msg("open %s: %s", path, err.message ? err.message : "?");
    }
    sw_error_release(&err);
    return db;
}

static void generate(const char *path, uint64_t seed)
{
    struct sw_error err = SW_ERROR_INIT;
    remove_db(path);
    /* The data is relative to now (read once, in seconds): every generation starts at the same
     * instant, or two of them on a loaded machine may straddle a second and differ. */
    int64_t now;
    assert_int_equal(sw_clock_parse_iso(NOW_ISO, &now), 0);
    sw_clock_set(now);
    int rc = sw_demo_data_generate(path, NPROFILES, seed, &err);
    if (rc < 0) {
        tu_print_error(&err);
    }
    assert_int_equal(rc, 0);
    sw_error_release(&err);
}

/* FNV-1a over every column of every row of a query: equal iff the data is identical. */
static uint64_t checksum(struct sw_db *db, const char *sql)
{
    struct sw_stmt *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    uint64_t h = 1469598103934665603ULL;
    int rc;
    assert_int_equal(sw_db_prepare(db, sql, &st, &err), 0);
    while ((rc = sw_stmt_step(st, &err)) == SW_STEP_ROW) {
        int n = sw_stmt_column_count(st);
        for (int c = 0; c < n; c++) {
            const char *t = sw_stmt_column_text(st, c);
            const char *s = t ? t : "\x01NULL";
            for (; *s; s++) {
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
            }
            h = (h ^ 0xff) * 1099511628211ULL;
        }
    }
    assert_int_equal(rc, SW_STEP_DONE);
    sw_stmt_finalize(st);
    sw_error_release(&err);
    return h;
}

static uint64_t db_checksum(const char *path)
{
    struct sw_db *db = open_db(path);
    uint64_t h = checksum(db, "SELECT * FROM households ORDER BY id");
    h ^= checksum(db, "SELECT * FROM profiles ORDER BY id") * 31;
    h ^= checksum(db, "SELECT * FROM orders ORDER BY id") * 131;
    sw_db_close(db);
    return h;
}

static int setup(void **state)
{
    int64_t now;
    assert_int_equal(sw_clock_parse_iso(NOW_ISO, &now), 0);
    sw_clock_set(now);
    if (!mkdtemp(tmpdir)) {
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    static const char *const names[] = {"a.db", "b.db", "c.db", "cli.db"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *p = tmp_path(names[i]);
        remove_db(p);
        free(p);
    }
    (void)rmdir(tmpdir);
    sw_clock_set(0);
    return 0;
}

static void test_shape_and_integrity(void **state)
{
    char *path = tmp_path("a.db");
    char *tmp = sw_asprintf("%s.tmp", path);
    generate(path, 7);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_not_equal(access(tmp, F_OK), 0); /* no leftover */

    struct sw_db *db = open_db(path);
    /* Row counts: households ~N/2.5, orders ~3N. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM profiles"), NPROFILES);
    assert_int_equal(tu_int(db, "SELECT max(id) FROM profiles"), NPROFILES);
    int64_t households = tu_int(db, "SELECT count(*) FROM households");
    assert_in_range(households, NPROFILES / 3, NPROFILES / 2);
    int64_t orders = tu_int(db, "SELECT count(*) FROM orders");
    assert_in_range(orders, NPROFILES * 2, NPROFILES * 4);
    assert_int_equal(tu_int(db, "SELECT max(n) <= 8 FROM (SELECT count(*) n FROM orders"
                                " GROUP BY profile_id)"),
                     1);
    assert_true(tu_int(db, "SELECT count(*) FROM profiles p WHERE NOT EXISTS"
                           " (SELECT 1 FROM orders o WHERE o.profile_id = p.id)") > 0);

    /* Foreign keys: no orphans either way. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM orders o LEFT JOIN profiles p"
                                " ON p.id = o.profile_id WHERE p.id IS NULL"),
                     0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM profiles p WHERE household_id IS NOT NULL"
                                " AND NOT EXISTS (SELECT 1 FROM households h"
                                " WHERE h.id = p.household_id)"),
                     0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM households h WHERE NOT EXISTS"
                                " (SELECT 1 FROM profiles p WHERE p.household_id = h.id)"),
                     0);

    /* Emails: ~3% duplicates (per mille of profiles), some NULL, all well formed. */
    int64_t dup_pm = tu_int(db, "SELECT (count(email) - count(DISTINCT email)) * 1000 / count(*)"
                                " FROM profiles");
    assert_in_range(dup_pm, 15, 50);
    int64_t null_email = tu_int(db, "SELECT count(*) FROM profiles WHERE email IS NULL");
    assert_in_range(null_email, 10, NPROFILES / 20);
    assert_int_equal(tu_int(db,
                            "SELECT count(*) FROM profiles WHERE email IS NOT NULL AND"
                            " (email NOT GLOB '[a-z]*@*example.*' OR email GLOB '*[^a-z0-9._@]*')"),
                     0);
    /* A duplicated email is the same person: same names and birth date. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM (SELECT email FROM profiles"
                                " WHERE email IS NOT NULL GROUP BY email HAVING"
                                " count(DISTINCT first_name || '|' || last_name || '|' ||"
                                " birth_date) > 1)"),
                     0);

    /* NULL rates and consent flags. */
    assert_in_range(tu_int(db, "SELECT count(*) * 100 / 2000 FROM profiles WHERE phone IS NULL"), 5,
                    16);
    assert_in_range(tu_int(db, "SELECT count(*) * 100 / 2000 FROM profiles"
                               " WHERE push_token IS NULL"),
                    33, 47);
    assert_in_range(tu_int(db, "SELECT sum(email_opt_in) * 100 / count(*) FROM profiles"), 80, 95);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM profiles WHERE email_opt_in NOT IN (0, 1)"
                                " OR sms_opt_in NOT IN (0, 1) OR push_opt_in NOT IN (0, 1)"),
                     0);
    assert_true(tu_int(db, "SELECT count(DISTINCT country) FROM profiles") >= 8);
    /* Weighted: the two biggest markets are among the three most common countries. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM (SELECT country FROM profiles"
                                " GROUP BY country ORDER BY count(*) DESC LIMIT 3)"
                                " WHERE country IN ('FR', 'DE')"),
                     2);

    /* Dates: formats, ranges, and orders between the signup and now. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM profiles WHERE birth_date NOT GLOB"
                                " '[12][09][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR birth_date <"
                                " '1940-01-01' OR birth_date > '2008-12-31'"),
                     0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM profiles WHERE created_at NOT GLOB"
                                " '20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
                                "[0-5][0-9]Z' OR created_at > '" NOW_ISO "' OR created_at <"
                                " '2020-03-01'"),
                     0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM orders o JOIN profiles p"
                                " ON p.id = o.profile_id WHERE o.created_at < p.created_at"
                                " OR o.created_at > '" NOW_ISO "' OR length(o.created_at) <> 20"),
                     0);
    assert_true(tu_int(db, "SELECT count(*) FROM orders WHERE created_at >="
                           " '2025-03-15T12:00:00Z'") > 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM orders WHERE amount < 5 OR amount > 500"
                                " OR amount IS NULL"),
                     0);
    /* Skewed: the median is well below the midpoint. */
    assert_int_equal(tu_int(db, "SELECT sum(amount < 100) > count(*) / 2 FROM orders"), 1);

    /* The indexes a shop would have, and the file handed over in WAL mode. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND"
                                " (sql LIKE '%orders(profile_id)%' OR sql LIKE"
                                " '%orders(created_at)%' OR sql LIKE '%profiles(email)%')"),
                     3);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE"
                                " journal_mode = 'wal'"),
                     1);
    sw_db_close(db);
    free(tmp);
    free(path);
}

static void test_deterministic(void **state)
{
    char *a = tmp_path("a.db"), *b = tmp_path("b.db"), *c = tmp_path("c.db");
    generate(a, 7);
    generate(b, 7);
    generate(c, 8);
    uint64_t ha = db_checksum(a), hb = db_checksum(b), hc = db_checksum(c);
    assert_true(ha == hb);
    assert_true(ha != hc);
    free(a);
    free(b);
    free(c);
}

static void test_bad_arguments(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    char *path = tmp_path("c.db");
    assert_int_equal(sw_demo_data_generate(path, 0, 1, &err), SW_EINVAL);
    sw_error_release(&err);
    assert_int_equal(sw_demo_data_generate("/nonexistent-dir/x.db", 10, 1, &err), SW_EIO);
    assert_non_null(err.message);
    sw_error_release(&err);
    free(path);
}

static int run_cli(int n, const char **args) { return sw_cmd_demo_data(n, (char **)args); }

static void test_cli(void **state)
{
    char *path = tmp_path("cli.db");
    remove_db(path);
    const char *make[] = {"demo-data", "--out", path, "--profiles", "300", "--seed", "3"};
    assert_int_equal(run_cli(7, make), 0);
    assert_int_equal(access(path, F_OK), 0);

    /* A second run without --force refuses and leaves the file alone. */
    struct sw_db *db = open_db(path);
    int64_t before = tu_int(db, "SELECT count(*) FROM profiles");
    sw_db_close(db);
    const char *again[] = {"demo-data", "--out", path, "--profiles", "50"};
    assert_int_equal(run_cli(5, again), 1);
    db = open_db(path);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM profiles"), before);
    sw_db_close(db);

    const char *force[] = {"demo-data", "--out", path, "--profiles=50", "--force"};
    assert_int_equal(run_cli(5, force), 0);
    db = open_db(path);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM profiles"), 50);
    sw_db_close(db);

    const char *help[] = {"demo-data", "--help"};
    assert_int_equal(run_cli(2, help), 0);
    const char *no_out[] = {"demo-data", "--profiles", "10"};
    assert_int_equal(run_cli(3, no_out), 2);
    const char *bad_n[] = {"demo-data", "--out", path, "--profiles", "ten"};
    assert_int_equal(run_cli(5, bad_n), 2);
    const char *zero[] = {"demo-data", "--out", path, "--profiles", "0"};
    assert_int_equal(run_cli(5, zero), 2);
    const char *bad_seed[] = {"demo-data", "--out", path, "--seed", "-1"};
    assert_int_equal(run_cli(5, bad_seed), 2);
    const char *unknown[] = {"demo-data", "--out", path, "--frobnicate"};
    assert_int_equal(run_cli(4, unknown), 2);
    const char *missing[] = {"demo-data", "--out"};
    assert_int_equal(run_cli(2, missing), 2);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_and_integrity),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
