/*
 * test_activity_channel.c - the channel activities (email, sms, push) without a provider: the task
 * fails, nothing is sent, what follows is skipped; and the checkpoint contract of long-running
 * activities (engine/activity.h).
 *
 * Real campaigns run by the engine on the activity fixture (testutil.h): every port count is
 * compared with independent SQL over the same data.
 */
#include "testutil.h"

#include "engine/activities/common.h"

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

/* progress of the checkpoint: outside any transaction, it commits one of its own. */
static int commit_own(void *ud)
{
    struct sw_db *db = ud;
    int rc = sw_db_begin(db, NULL);
    if (rc == 0) {
        rc = sw_db_exec(db, "INSERT INTO t VALUES (2)", NULL);
    }
    return rc == 0 ? sw_db_commit(db, NULL) : rc;
}

/* A channel task commits what it wrote at its checkpoint, runs its progress outside the
 * transaction, and gets the task's transaction back; any other activity is refused and commits
 * nothing. */
static void test_checkpoint_contract(void **state)
{
    (void)state;
    struct sw_db *db = tu_db("CREATE TABLE t (x INTEGER)");
    struct sw_error err = SW_ERROR_INIT;
    struct sw_activity mail = {.id = "mail", .type_name = "email", .type = &sw_act_email};
    struct sw_activity wait = {.id = "w", .type_name = "wait", .type = &sw_act_wait};
    struct sw_exec ex = {.db = db, .act = &wait, .err = &err};
    assert_int_equal(sw_db_begin(db, &err), 0);
    assert_int_equal(sw_db_exec(db, "INSERT INTO t VALUES (1)", &err), 0);
    assert_int_equal(sw_exec_checkpoint(&ex, commit_own, db), SW_EINVAL);
    assert_int_equal(sw_db_rollback(db), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM t"), 0);
    sw_error_release(&err);
    ex.act = &mail;
    assert_int_equal(sw_db_begin(db, &err), 0);
    assert_int_equal(sw_db_exec(db, "INSERT INTO t VALUES (1)", &err), 0);
    assert_int_equal(sw_exec_checkpoint(&ex, commit_own, db), 0);
    /* the task's transaction is open again: what follows is rolled back, the rest stays */
    assert_int_equal(sw_db_exec(db, "INSERT INTO t VALUES (3)", &err), 0);
    assert_int_equal(sw_db_rollback(db), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM t WHERE x IN (1, 2)"), 2);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM t WHERE x = 3"), 0);
    sw_db_close(db);
    sw_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_ACTIVITY_TEST(test_channel_not_available),
        cmocka_unit_test(test_checkpoint_contract),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
