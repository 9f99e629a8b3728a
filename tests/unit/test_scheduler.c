/*
 * test_scheduler.c - the daemon's background threads (src/scheduler/) on a SQLite file,
 * acting through the run service (src/runs/): schedule ticks due and not due, the catch-up
 * rule after downtime, a tick skipped while the previous run is still active, signals that
 * start the campaign they name, and a pool of workers that executes many runs at once
 * without running a task twice. `make tsan` runs it under ThreadSanitizer.
 */
#include "testutil.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "runs/service.h"
#include "scheduler/scheduler.h"
#include "schema/schema.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct sw_svc svc;

static struct sw_schema *current_schema(void *ud)
{
    (void)ud;
    return sw_schema_ref(tu_env.schema);
}

static int setup(void **state)
{
    sw_svc_init(&svc);
    svc.config = &tu_env.cfg;
    svc.schema = current_schema;
    return tu_env_setup_file(state);
}

static int teardown(void **state)
{
    sw_svc_release(&svc);
    tu_clock_setup(NULL);
    return tu_env_teardown(state);
}

static void set_clock(const char *iso)
{
    int64_t ms = 0;
    assert_int_equal(sw_clock_parse_iso(iso, &ms), 0);
    sw_clock_set(ms);
}

/* A new draft campaign, started by the lifecycle action "start" at the clock's time. */
static int64_t started(const char *doc)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = tu_campaign(doc);
    json_t *out = NULL;
    int64_t id = sw_svc_campaign_insert(tu_env.db, c, &err);
    if (id <= 0 || sw_svc_action(&svc, tu_env.db, id, "start", &out, &err) < 0) {
        tu_print_error(&err);
        fail_msg("cannot start %s", c->name);
    }
    json_decref(out);
    sw_campaign_free(c);
    sw_error_release(&err);
    return id;
}

static int64_t runs_of(int64_t campaign_id)
{
    return tu_sqln("SELECT count(*) FROM sw_runs WHERE campaign_id = %lld", (long long)campaign_id);
}

/* next_run_at is the ISO instant given ("" for none). */
static void assert_next(int64_t campaign_id, const char *iso)
{
    char *next = tu_sqlt("SELECT coalesce(strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', next_run_at / 1000, "
                         "'unixepoch'), '') FROM sw_campaigns WHERE id = %lld",
                         (long long)campaign_id);
    assert_string_equal(next, iso);
    free(next);
}

#define DAILY_9(name)                                                                              \
    "{'name':'" name "','schedule':{'cron':'0 9 * * *'},'activities':["                            \
    "{'id':'a','type':'build_audience','filter':" TU_FR "}],'transitions':[]}"

/* ---- ticks ------------------------------------------------------------------------------ */

static void test_ticks_due(void **state)
{
    (void)state;
    struct sw_scheduler sch = {.svc = &svc};
    set_clock("2026-03-16T08:00:00Z");
    int64_t id = started(DAILY_9("daily"));
    assert_next(id, "2026-03-16T09:00:00Z");
    assert_int_equal(runs_of(id), 0);

    /* not due yet */
    sw_scheduler_tick(&sch, tu_env.db);
    set_clock("2026-03-16T08:59:59Z");
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(runs_of(id), 0);
    assert_next(id, "2026-03-16T09:00:00Z");

    /* due: one run, and the next tick stored */
    set_clock("2026-03-16T09:00:00Z");
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(runs_of(id), 1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE campaign_id = %lld AND trigger = "
                             "'schedule' AND status = 'running'",
                             (long long)id),
                     1);
    assert_next(id, "2026-03-17T09:00:00Z");
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(runs_of(id), 1);

    /* the next day's tick while that run is still active: skipped, logged and counted */
    set_clock("2026-03-17T09:00:00Z");
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(runs_of(id), 1);
    assert_int_equal(atomic_load(&svc.ticks_skipped), 1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE campaign_id = %lld AND level = "
                             "'warn' AND message LIKE 'tick skipped%%'",
                             (long long)id),
                     1);
    assert_next(id, "2026-03-18T09:00:00Z");
}

/* After downtime a missed tick is not replayed one by one: one catch-up run when it was
 * missed by less than the schedule's period (a day here), nothing before the next tick
 * otherwise. */
static void test_catch_up(void **state)
{
    (void)state;
    struct sw_scheduler sch = {.svc = &svc};
    set_clock("2026-03-15T08:00:00Z");
    int64_t late = started(DAILY_9("missed_by_27h"));
    set_clock("2026-03-16T08:00:00Z");
    int64_t recent = started(DAILY_9("missed_by_3h"));
    assert_next(late, "2026-03-15T09:00:00Z");
    assert_next(recent, "2026-03-16T09:00:00Z");

    /* the daemon comes back at noon */
    set_clock("2026-03-16T12:00:00Z");
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(runs_of(recent), 1);
    assert_int_equal(runs_of(late), 0);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE campaign_id = %lld AND message "
                             "LIKE 'missed tick not replayed%%'",
                             (long long)late),
                     1);
    /* both wait for tomorrow's tick */
    assert_next(recent, "2026-03-17T09:00:00Z");
    assert_next(late, "2026-03-17T09:00:00Z");
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(runs_of(recent) + runs_of(late), 1);
}

/* An end activity's signal starts the campaign it names, with its variables, once. */
static void test_signal(void **state)
{
    (void)state;
    struct sw_scheduler sch = {.svc = &svc};
    struct tu_run r;
    int64_t target = started("{'name':'target','schedule':{'signal':true},'variables':{'x':1},"
                             "'activities':[{'id':'a','type':'build_audience'}],"
                             "'transitions':[]}");
    assert_int_equal(runs_of(target), 0);
    tu_run_ok("{'name':'source','activities':[{'id':'a','type':'build_audience'},"
              "{'id':'e','type':'end','signal':{'campaign':'target','variables':{'x':2}}}],"
              "'transitions':[{'from':'a','to':'e'}]}",
              &r);
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE campaign_id = %lld AND trigger = "
                             "'signal' AND variables LIKE '%%\"x\":2%%'",
                             (long long)target),
                     1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_signals WHERE consumed_at IS NULL"), 0);
    sw_scheduler_tick(&sch, tu_env.db);
    assert_int_equal(runs_of(target), 1);
    tu_run_release(&r);
}

/* ---- workers ---------------------------------------------------------------------------- */

#define NCAMPAIGNS 24

/* Many runs due at once, four workers: every run completes and every task ran once. Two
 * workers stepping one run would run a task twice: its alert would log twice (the log is
 * written in the task's transaction), or the second execution would fail on the work tables
 * the first one created. */
static void test_workers(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_scheduler *sch = NULL;
    int64_t ids[NCAMPAIGNS];
    for (int i = 0; i < NCAMPAIGNS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "pool_%d", i);
        char *doc = sw_asprintf(
            "{'name':'%s','activities':["
            "{'id':'a','type':'build_audience','filter':" TU_FR "},"
            "{'id':'w','type':'wait','duration':'0s'},"
            "{'id':'al','type':'alert','title':'t','message':'m'},"
            "{'id':'s','type':'split','segments':[{'port':'opt','filter':" TU_OPT "}],"
            "'complement':'rest'},"
            "{'id':'e','type':'end'}],"
            "'transitions':[{'from':'a','to':'w'},{'from':'w','to':'al'},{'from':'al','to':'s'},"
            "{'from':'s','port':'opt','to':'e'}]}",
            name);
        ids[i] = started(doc);
        free(doc);
    }
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE status = 'running'"), NCAMPAIGNS);

    struct sw_scheduler_opts opts = {.data = tu_env.path, .workers = 4};
    assert_int_equal(sw_scheduler_start(&opts, &svc, &sch, &err), 0);
    for (int t = 0; t < 600 && tu_sqln("SELECT count(*) FROM sw_runs WHERE status = 'running'");
         t++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    sw_svc_shutdown(&svc);
    sw_scheduler_stop(sch);

    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE status = 'completed'"),
                     NCAMPAIGNS);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_tasks WHERE status = 'completed'"),
                     5 * NCAMPAIGNS);
    /* once per run: the alert's execution, the run's end */
    assert_int_equal(tu_sqln("SELECT count(*) FROM (SELECT run_id FROM sw_logs WHERE activity = "
                             "'al' AND level = 'warn' GROUP BY run_id HAVING count(*) = 1)"),
                     NCAMPAIGNS);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE activity = 'al'"), NCAMPAIGNS);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE message = 'run completed'"),
                     NCAMPAIGNS);
    /* and the counts are right in every run */
    for (int i = 0; i < NCAMPAIGNS; i++) {
        struct tu_run r = {.run_id = tu_sqln("SELECT id FROM sw_runs WHERE campaign_id = %lld",
                                             (long long)ids[i])};
        r.counts = sw_engine_counts(&tu_env.eng, r.run_id);
        TU_CHECK(r, "al", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
        TU_CHECK(r, "s", "opt", 3,
                 "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
        tu_run_release(&r);
    }
    assert_true(atomic_load(&svc.tasks_executed) >= NCAMPAIGNS);
    sw_error_release(&err);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ticks_due),
        T(test_catch_up),
        T(test_signal),
        T(test_workers),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
