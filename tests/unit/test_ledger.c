/*
 * test_ledger.c - the delivery ledger's rows and skip rules on a real in-memory SQLite
 * data source, each count checked against SQL written here.
 */
#include "testutil.h"

#include "catalog/campaigns.h"
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/runs.h"
#include "core/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char data_sql[] =
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT);"
    "INSERT INTO profiles VALUES (1, 'a@x.org'), (2, 'A@X.org '), (3, NULL), (4, ''),"
    "  (5, 'b@x.org'), (6, 'c@x.org'), (7, '  '), (8, 'c@x.org');"
    "CREATE TABLE wt (_key INTEGER PRIMARY KEY);"
    "INSERT INTO wt SELECT id FROM profiles;";

static struct sw_ledger_spec spec(int64_t run, const char *act)
{
    static const struct sw_ledger_field fields[] = {{"email", false}, {"_key", true}};
    struct sw_ledger_spec s = {run,     act,    "email", "wt", "profiles", "id", "email",
                               1000000, fields, 2};
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
    struct sw_frequency_cap cap;
    assert_int_equal(sw_frequency_cap_parse("2/1d", &cap, &err), 0);
    assert_int_equal(cap.count, 2);
    assert_int_equal(cap.period_ms, 86400000);
    /* The fill decides nothing about the cap: every distinct address is pending. */
    assert_int_equal(sw_ledger_fill(db, &s, &c, &err), 0);
    assert_int_equal(c.frequency_cap, 0);
    assert_int_equal(c.pending, 3);
    /* The claim does, at 1000000 with a 999 s period (from 1000 ms on): every send above but
     * run 92's counts. a@x.org has 2: capped; b@x.org 1 and c@x.org none (run 92 is too old,
     * run 93 failed): both claimed. */
    cap.period_ms = 999000;
    struct sw_ledger_claimer *cl = NULL;
    struct sw_ledger_row *rows = NULL;
    size_t n = 0, capped = 0;
    assert_int_equal(sw_ledger_claimer_open(db, 2, "mail", "email", cap, &cl, &err), 0);
    assert_int_equal(sw_db_begin(db, &err), 0);
    assert_int_equal(sw_ledger_claim(cl, 10, 1000000, &rows, &n, &capped, &err), 0);
    assert_int_equal(sw_db_commit(db, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(capped, 1);
    assert_string_equal(rows[0].address, "b@x.org");
    assert_string_equal(rows[1].address, "c@x.org");
    sw_ledger_rows_free(rows, n);
    sw_ledger_claimer_close(cl);
    assert_int_equal(sw_ledger_counts(db, 2, "mail", &c, &err), 0);
    assert_int_equal(c.frequency_cap, 1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 2 AND reason = "
                                "'frequency_cap' AND address_key = 'a@x.org'"),
                     1);
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


static void test_caps_parse(void **state)
{
    (void)state;
    struct sw_frequency_caps caps;
    struct sw_error err = SW_ERROR_INIT;
    /* one limit for every channel */
    assert_int_equal(sw_frequency_caps_parse("1/7d", &caps, &err), 0);
    assert_int_equal(sw_frequency_caps_for(&caps, "email").count, 1);
    assert_int_equal(sw_frequency_caps_for(&caps, "sms").count, 1);
    assert_int_equal(sw_frequency_caps_for(&caps, "push").period_ms, 7LL * 86400000);
    /* per channel: a channel not named is not capped */
    assert_int_equal(sw_frequency_caps_parse("email:3/7d, sms:1/1d", &caps, &err), 0);
    assert_int_equal(sw_frequency_caps_for(&caps, "email").count, 3);
    assert_int_equal(sw_frequency_caps_for(&caps, "sms").period_ms, 86400000);
    assert_int_equal(sw_frequency_caps_for(&caps, "push").count, 0);
    assert_int_equal(sw_frequency_caps_period(&caps), 7LL * 86400000);
    /* a default with an exception */
    assert_int_equal(sw_frequency_caps_parse("2/2w,sms:1/1d", &caps, &err), 0);
    assert_int_equal(sw_frequency_caps_for(&caps, "email").count, 2);
    assert_int_equal(sw_frequency_caps_for(&caps, "push").period_ms, 14LL * 86400000);
    assert_int_equal(sw_frequency_caps_for(&caps, "sms").count, 1);
    assert_int_equal(sw_frequency_caps_for(&caps, "fax").count, 0);
    const char *bad[] = {"", "fax:1/7d", "email:1/7d,email:2/7d", "1/7d,2/7d", "email:",
                         "email:0/7d", "sms:1/7x", ",", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(sw_frequency_caps_parse(bad[i], &caps, &err), SW_EINVAL);
        assert_non_null(err.message);
        sw_error_release(&err);
    }
    assert_int_equal(sw_frequency_caps_parse("fax:1/7d", &caps, &err), SW_EINVAL);
    assert_non_null(strstr(err.message, "fax"));
    sw_error_release(&err);
}

/* Claim every due row of (run, activity) in batches of `batch`, marking each claimed row sent
 * (or failed when fail_every divides its id) in its own transaction, as a sender would. */
static size_t claim_all(struct sw_db *db, int64_t run, const char *channel,
                        struct sw_frequency_cap cap, size_t batch, int fail_every)
{
    struct sw_ledger_claimer *c = NULL;
    struct sw_error err = SW_ERROR_INIT;
    size_t total = 0;
    if (sw_ledger_claimer_open(db, run, "mail", channel, cap, &c, &err) < 0) {
        fail_msg("claimer: %s", err.message);
    }
    for (;;) {
        struct sw_ledger_row *rows = NULL;
        size_t n = 0;
        if (sw_db_begin(db, &err) < 0 ||
            sw_ledger_claim(c, batch, 1000000, &rows, &n, NULL, &err) < 0 ||
            sw_db_commit(db, &err) < 0) {
            fail_msg("claim: %s", err.message);
        }
        if (!n) {
            break;
        }
        if (sw_db_begin(db, &err) < 0) {
            fail_msg("begin: %s", err.message);
        }
        for (size_t i = 0; i < n; i++) {
            char sql[160];
            bool failed = fail_every && rows[i].id % fail_every == 0;
            snprintf(sql, sizeof(sql),
                     "UPDATE sw_deliveries SET state = '%s', sent_at = %s, updated_at = 1000000 "
                     "WHERE id = %lld",
                     failed ? "failed" : "sent", failed ? "NULL" : "1000000",
                     (long long)rows[i].id);
            if (sw_db_exec(db, sql, &err) < 0) {
                fail_msg("outcome: %s", err.message);
            }
        }
        if (sw_db_commit(db, &err) < 0) {
            fail_msg("commit: %s", err.message);
        }
        total += n;
        sw_ledger_rows_free(rows, n);
    }
    sw_ledger_claimer_close(c);
    sw_error_release(&err);
    return total;
}

static void test_claim_cap(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(data_sql);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    struct sw_frequency_cap cap = {1, 86400000};
    /* Two runs filled before either sends (the fill decides nothing about the cap). */
    struct sw_ledger_spec s1 = spec(1, "mail"), s2 = spec(2, "mail"), s3 = spec(3, "mail");
    assert_int_equal(sw_ledger_fill(db, &s1, NULL, &err), 0);
    assert_int_equal(sw_ledger_fill(db, &s2, NULL, &err), 0);
    /* Run 3 is an SMS activity to the same addresses: another channel, its own cap. */
    s3.channel = "sms";
    assert_int_equal(sw_ledger_fill(db, &s3, NULL, &err), 0);
    int64_t distinct = tu_int(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles "
                                  "WHERE trim(coalesce(email, '')) <> ''");
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 2 AND state = "
                                "'pending'"),
                     distinct);
    /* Run 1 claims one row and holds it (in flight); run 2's claim of the same address is
     * capped by that `sending` row, the others go. */
    struct sw_ledger_claimer *c1 = NULL;
    struct sw_ledger_row *rows = NULL;
    size_t n = 0, capped = 0;
    assert_int_equal(sw_ledger_claimer_open(db, 1, "mail", "email", cap, &c1, &err), 0);
    assert_int_equal(sw_db_begin(db, &err), 0);
    assert_int_equal(sw_ledger_claim(c1, 1, 1000000, &rows, &n, &capped, &err), 0);
    assert_int_equal(sw_db_commit(db, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(capped, 0);
    assert_string_equal(rows[0].address, "a@x.org");
    assert_int_equal(rows[0].attempts, 1);
    sw_ledger_rows_free(rows, n);
    assert_int_equal(claim_all(db, 2, "email", cap, 2, 0), (size_t)distinct - 1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 2 AND reason = "
                                "'frequency_cap' AND address_key = 'a@x.org'"),
                     1);
    /* Run 1 finishes: everything but a@x.org was sent by run 2, so it is capped. */
    assert_int_equal(claim_all(db, 1, "email", cap, 8, 0), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 1 AND reason = "
                                "'frequency_cap'"),
                     distinct - 1);
    /* Run 3 (sms) is not capped by the email messages. */
    assert_int_equal(claim_all(db, 3, "sms", cap, 8, 0), (size_t)distinct);
    /* A failed message does not count, an unknown one does: a 4th run (email) after run 2's
     * b@x.org message failed and its c@x.org message became unknown. */
    sw_db_exec(db, "UPDATE sw_deliveries SET state = 'failed', sent_at = NULL WHERE run_id = 2 "
                   "AND address_key = 'b@x.org'; UPDATE sw_deliveries SET state = 'unknown', "
                   "sent_at = NULL WHERE run_id = 2 AND address_key = 'c@x.org'",
               NULL);
    struct sw_ledger_spec s4 = spec(4, "mail");
    assert_int_equal(sw_ledger_fill(db, &s4, NULL, &err), 0); /* no cap at fill: all pending */
    assert_int_equal(claim_all(db, 4, "email", cap, 8, 0), 1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 4 AND state = "
                                "'sent' AND address_key = 'b@x.org'"),
                     1);
    /* Past the period, nothing counts any more: every earlier send is moved to long ago,
     * before the start of a 500 s period ending at the claim's time. */
    struct sw_frequency_cap short_cap = {1, 500000};
    sw_db_exec(db, "UPDATE sw_deliveries SET state = 'pending', reason = NULL WHERE run_id = 4 "
                   "AND state = 'skipped' AND reason = 'frequency_cap'; UPDATE sw_deliveries "
                   "SET sent_at = 10, updated_at = 10 WHERE state IN ('sent', 'unknown')",
               NULL);
    int64_t again = tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 4 AND state = "
                               "'pending'");
    /* ... except run 1's a@x.org row, still in flight (claimed, no outcome yet). */
    assert_int_equal(claim_all(db, 4, "email", short_cap, 8, 0), (size_t)again - 1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE run_id = 4 AND reason = "
                                "'frequency_cap' AND address_key = 'a@x.org'"),
                     1);
    sw_ledger_claimer_close(c1);
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
}

/* Concurrent claims: THREADS runs (their own connections to one file, as the daemon's
 * workers have) send to the same addresses at once under a cap of CAP. */
#define THREADS 6
#define PEOPLE  300
#define CAP     2

struct racer {
    const char *path;
    int64_t run;
    int fail_every;
    size_t claimed;
};

static void *race(void *ud)
{
    struct racer *r = ud;
    struct sw_db *db = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_open(r->path, &db, &err) < 0) {
        fprintf(stderr, "open: %s\n", err.message);
        return NULL;
    }
    struct sw_frequency_cap cap = {CAP, 86400000};
    r->claimed = claim_all(db, r->run, "email", cap, 3 + (size_t)r->run % 5, r->fail_every);
    sw_db_close(db);
    sw_error_release(&err);
    return NULL;
}

static void run_race(int fail_every)
{
    char path[64];
    assert_true(tu_db_file(path, sizeof(path), "sw-ledger-race-"));
    struct sw_db *db = NULL;
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_open(path, &db, &err), 0);
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    assert_int_equal(sw_db_exec(db,
                                "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT);"
                                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                "WHERE i < 300) INSERT INTO profiles SELECT i, 'p' || i || "
                                "'@x.org' FROM n; CREATE TABLE wt (_key INTEGER PRIMARY KEY);"
                                "INSERT INTO wt SELECT id FROM profiles;",
                                &err),
                     0);
    struct racer racers[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        struct sw_ledger_spec s = spec(i + 1, "mail");
        assert_int_equal(sw_ledger_fill(db, &s, NULL, &err), 0);
        racers[i] = (struct racer){path, i + 1, fail_every, 0};
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, race, &racers[i]), 0);
    }
    size_t claimed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        claimed += racers[i].claimed;
    }
    /* Never more than CAP messages (sent or in flight) per address. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM (SELECT address_key FROM sw_deliveries "
                                "WHERE state IN ('sent', 'sending', 'unknown') GROUP BY "
                                "address_key HAVING count(*) > 2)"),
                     0);
    /* Nothing left undecided, every claim accounted for. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE state IN ('pending', "
                                "'sending')"),
                     0);
    assert_int_equal((int64_t)claimed, tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE "
                                                  "state IN ('sent', 'failed')"));
    if (!fail_every) {
        /* With no failure, every address got exactly CAP and the rest were capped. */
        assert_int_equal(tu_int(db, "SELECT count(*) FROM (SELECT address_key FROM sw_deliveries "
                                    "WHERE state = 'sent' GROUP BY address_key HAVING count(*) = "
                                    "2)"),
                         PEOPLE);
        assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE reason = "
                                    "'frequency_cap'"),
                         (int64_t)PEOPLE * (THREADS - CAP));
    } else {
        /* An address none of whose messages failed still gets exactly CAP; failures do
         * happen (every 7th row). */
        assert_int_equal(tu_int(db, "SELECT count(*) FROM (SELECT address_key FROM sw_deliveries "
                                    "GROUP BY address_key HAVING sum(state = 'sent') <> 2 AND "
                                    "sum(state = 'failed') = 0)"),
                         0);
        assert_true(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE state = 'failed'") > 0);
    }
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
    tu_db_file_remove(path);
}

static void test_claim_race(void **state)
{
    (void)state;
    run_race(0);
}

static void test_claim_race_failures(void **state)
{
    (void)state;
    run_race(7);
}

/* The delivery states' table: texts, parsing and the moves the ledger makes. */
static void test_states(void **state)
{
    (void)state;
    enum sw_delivery_state st;
    enum sw_delivery_reason why;
    assert_string_equal(sw_delivery_state_text(SW_DELIVERY_SENDING), "sending");
    assert_int_equal(sw_delivery_state_parse("unknown", &st), 0);
    assert_int_equal(st, SW_DELIVERY_UNKNOWN);
    assert_int_equal(sw_delivery_state_parse("delivered", &st), -1);
    assert_int_equal(sw_delivery_reason_parse("frequency_cap", &why), 0);
    assert_string_equal(sw_delivery_reason_text(why), "frequency_cap");
    assert_true(sw_delivery_state_can(SW_DELIVERY_PENDING, SW_DELIVERY_SENDING));
    assert_true(sw_delivery_state_can(SW_DELIVERY_SENDING, SW_DELIVERY_PENDING));
    assert_true(sw_delivery_state_can(SW_DELIVERY_FAILED, SW_DELIVERY_PENDING));
    assert_false(sw_delivery_state_can(SW_DELIVERY_SENT, SW_DELIVERY_PENDING));
    assert_false(sw_delivery_state_can(SW_DELIVERY_SENDING, SW_DELIVERY_SKIPPED));
    assert_false(sw_delivery_state_can(SW_DELIVERY_SKIPPED, SW_DELIVERY_PENDING));
}

/* Outcomes, repairs, confirmations and reads of the ledger, against SQL written here. */
static void test_outcomes_and_repairs(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(data_sql);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_ledger_counts c;
    struct sw_ledger_claimer *cl = NULL;
    struct sw_ledger_row *rows = NULL;
    struct sw_frequency_cap none = {0, 0};
    size_t n = 0;
    int64_t campaign = 0, run = 0, at = 0, requeued = 0;
    bool yes = true;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    assert_int_equal(sw_catalog_campaign_upsert(cat, "c", "{}", "profiles", 1000, &campaign, &err),
                     0);
    struct sw_run_new rn = {campaign, "manual", false, NULL, 1, "{}", 1000};
    assert_int_equal(sw_catalog_run_create(cat, &rn, &run, &err), 0);
    assert_true(sw_ledger_run_sending(db, run));
    assert_int_equal(sw_ledger_filled(db, run, "mail", &yes, &err), 0);
    assert_false(yes);
    /* one more address: four rows to send */
    assert_int_equal(sw_db_exec(db, "INSERT INTO profiles VALUES (9, 'd@x.org'); INSERT INTO wt "
                                    "VALUES (9)",
                                &err),
                     0);
    struct sw_ledger_spec s = spec(run, "mail");
    assert_int_equal(sw_ledger_fill(db, &s, NULL, &err), 0);
    assert_int_equal(sw_ledger_filled(db, run, "mail", &yes, &err), 0);
    assert_true(yes);
    /* four pending rows claimed: one sent, one failed, one unknown, one back for a retry */
    assert_int_equal(sw_ledger_claimer_open(db, run, "mail", "email", none, &cl, &err), 0);
    assert_int_equal(sw_ledger_claim(cl, 4, 2000, &rows, &n, NULL, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(sw_ledger_finish(cl, rows[0].id, SW_DELIVERY_SENT, NULL, 0, 3000, &err), 0);
    assert_int_equal(sw_ledger_finish(cl, rows[1].id, SW_DELIVERY_FAILED, "550", 0, 3000, &err), 0);
    assert_int_equal(sw_ledger_finish(cl, rows[2].id, SW_DELIVERY_UNKNOWN, "cut", 0, 3000, &err), 0);
    assert_int_equal(sw_ledger_finish(cl, rows[3].id, SW_DELIVERY_PENDING, "451", 9000, 3000, &err),
                     0);
    /* a row being sent is never skipped by an outcome */
    assert_int_equal(sw_ledger_finish(cl, rows[3].id, SW_DELIVERY_SKIPPED, NULL, 0, 3000, &err),
                     SW_EINVAL);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE state = 'sent' AND "
                                "sent_at = 3000 AND error IS NULL"),
                     1);
    assert_int_equal(sw_ledger_next_due(db, run, "mail", &at, &err), 0);
    assert_int_equal(at, 9000);
    /* a deferral gives its attempt back; a release puts the row back as it was */
    sw_ledger_rows_free(rows, n);
    assert_int_equal(sw_ledger_claim(cl, 9, 10000, &rows, &n, NULL, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].attempts, 2);
    assert_int_equal(sw_ledger_defer(cl, rows[0].id, "down", 20000, 10000, &err), 0);
    assert_int_equal(tu_int(db, "SELECT attempts * 10 + deferrals FROM sw_deliveries WHERE "
                                "error = 'down' AND state = 'pending'"),
                     11);
    sw_ledger_rows_free(rows, n);
    assert_int_equal(sw_ledger_claim(cl, 9, 20000, &rows, &n, NULL, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sw_ledger_release(cl, rows[0].id, 20000, &err), 0);
    assert_int_equal(tu_int(db, "SELECT attempts FROM sw_deliveries WHERE error = 'down'"), 1);
    sw_ledger_rows_free(rows, n);
    /* one more in flight when the process dies: unknown on restart */
    assert_int_equal(sw_ledger_claim(cl, 1, 20000, &rows, &n, NULL, &err), 0);
    sw_ledger_rows_free(rows, n);
    assert_int_equal(sw_ledger_mark_interrupted(db, run, "mail", 30000, &err), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE state = 'unknown' AND "
                                "error = 'interrupted while sending'"),
                     1);
    /* the counts, as the API shows them */
    assert_int_equal(sw_ledger_counts(db, run, "mail", &c, &err), 0);
    assert_int_equal(c.targeted, 9);
    assert_int_equal(c.sent, 1);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.unknown, 2);
    assert_int_equal(c.pending, 0);
    assert_int_equal(c.missing_address + c.duplicate_address, 5);
    json_t *j = sw_ledger_counts_json(&c);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"targeted\":9,\"pending\":0,\"sending\":0,\"sent\":1,"
                              "\"failed\":1,\"unknown\":2,\"skipped\":{\"missing_address\":3,"
                              "\"duplicate_address\":2,\"frequency_cap\":0}}");
    free(text);
    json_decref(j);
    /* the out port's rows: those sent */
    assert_int_equal(sw_db_exec(db, "CREATE TABLE out_wt (_key INTEGER PRIMARY KEY)", &err), 0);
    assert_int_equal(sw_ledger_insert_in_state(db, "INSERT INTO out_wt (_key) SELECT w._key FROM "
                                                   "wt w",
                                               run, "mail", SW_DELIVERY_SENT, &at, &err),
                     0);
    assert_int_equal(at, 1);
    /* retry-failed: failed rows only, then unknown ones too */
    assert_int_equal(sw_ledger_requeue(db, run, "mail", false, 40000, &requeued, &err), 0);
    assert_int_equal(requeued, 1);
    assert_int_equal(sw_ledger_requeue(db, run, "mail", true, 40000, &requeued, &err), 0);
    assert_int_equal(requeued, 2);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE state = 'pending' AND "
                                "attempts = 0 AND error IS NULL"),
                     3);
    /* a listing page, filtered, in id order after a key */
    struct sw_delivery *list = NULL;
    assert_int_equal(sw_ledger_list(db, run, "pending", NULL, 0, 2, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_true(list[0].id < list[1].id);
    int64_t after = list[1].id;
    sw_deliveries_free(list, n);
    assert_int_equal(sw_ledger_list(db, run, "pending", "mail", after, 10, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    sw_deliveries_free(list, n);
    /* confirmations: the first one stays */
    assert_int_equal(sw_ledger_confirmed(db, run, "mail", &yes, &err), 0);
    assert_false(yes);
    assert_int_equal(sw_ledger_confirm(db, run, "mail", "api", 50000, &at, &err), 0);
    assert_int_equal(sw_ledger_confirm(db, run, "mail", "cli", 60000, &at, &err), 0);
    assert_int_equal(at, 50000);
    assert_int_equal(sw_ledger_confirmed(db, run, "mail", &yes, &err), 0);
    assert_true(yes);
    /* a stop: pending rows never go; a stopped run claims nothing more */
    assert_int_equal(sw_ledger_skip_stopped_campaign(db, campaign, 70000, &err), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_deliveries WHERE reason = 'run_stopped'"),
                     3);
    sw_db_exec(db, "UPDATE sw_runs SET status = 'stopped'", NULL);
    assert_false(sw_ledger_run_sending(db, run));
    /* the purge takes the run's confirmations with its rows */
    assert_int_equal(sw_ledger_purge_run(db, run, 0, &err), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_confirmations"), 0);
    sw_ledger_claimer_close(cl);
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_rules),
        cmocka_unit_test(test_frequency_cap),
        cmocka_unit_test(test_cap_parse),
        cmocka_unit_test(test_caps_parse),
        cmocka_unit_test(test_claim_cap),
        cmocka_unit_test(test_claim_race),
        cmocka_unit_test(test_claim_race_failures),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_outcomes_and_repairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
