/*
 * test_engine.c - the engine core (src/engine/engine.c) against a real SQLite file: a run's
 * task rows and counts against SQL computed here, one task one transaction (an activity that
 * fails after doing its work leaves none of it), resume after the process died in a task or
 * stopped during a wait, skipped branches, simulation against a real run, failures and work
 * tables.
 *
 * Activities are the real ones; a test that needs to count executions, fail one after its work
 * or end the process inside its transaction gives each activity of the loaded campaign a copy
 * of its type whose execute wraps the real one (wrap()).
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "model/campaign.h"
#include "catalog/audiences.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- wrapped activity types ------------------------------------------------------------- */

#define MAX_ACTS     16
#define CRASH_STATUS 77

static struct {
    struct sw_activity_type types[MAX_ACTS];
    int calls[MAX_ACTS];  /* executions, by index in $.activities */
    const char *fail_at;  /* this activity fails after its real execute succeeded */
    const char *crash_at; /* this activity ends the process inside its transaction */
    char *made[MAX_ACTS]; /* the work tables fail_at had created */
    size_t nmade;
} W;

static int wrapped_execute(struct sw_exec *ex)
{
    const struct sw_activity *a = ex->act;
    W.calls[a->index]++;
    int rc = sw_activity_type_find(a->type_name)->execute(ex);
    if (rc == 0 && W.crash_at && strcmp(a->id, W.crash_at) == 0) {
        _exit(CRASH_STATUS); /* as kill -9 would: no rollback, no close */
    }
    if (rc == 0 && W.fail_at && strcmp(a->id, W.fail_at) == 0) {
        for (size_t i = 0; i < ex->nports && W.nmade < MAX_ACTS; i++) {
            if (ex->ports[i].table && ex->ports[i].owned) {
                W.made[W.nmade++] = sw_strdup(ex->ports[i].table);
            }
        }
        return sw_exec_fail(ex, "injected failure after the work was done");
    }
    return rc;
}

static void wrap(struct sw_campaign *c)
{
    assert_true(c->nacts <= MAX_ACTS);
    memset(W.calls, 0, sizeof(W.calls));
    for (size_t i = 0; i < c->nacts; i++) {
        assert_int_equal(c->acts[i].index, i);
        W.types[i] = *c->acts[i].type;
        W.types[i].execute = wrapped_execute;
        c->acts[i].type = &W.types[i];
    }
}

static void unwrap_state(void)
{
    for (size_t i = 0; i < W.nmade; i++) {
        free(W.made[i]);
    }
    memset(&W, 0, sizeof(W));
}

static int setup(void **state)
{
    unwrap_state();
    return tu_env_setup_file(state);
}

static int teardown(void **state)
{
    unwrap_state();
    return tu_env_teardown(state);
}

/* Work tables of a run still in the data source. */
static int64_t work_tables(int64_t run_id)
{
    return tu_sqln("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE "
                   "'wt\\_%lld\\_%%' ESCAPE '\\'",
                   (long long)run_id);
}

static int64_t calls_of(const struct sw_campaign *c, const char *id)
{
    for (size_t i = 0; i < c->nacts; i++) {
        if (strcmp(c->acts[i].id, id) == 0) {
            return W.calls[i];
        }
    }
    fail_msg("no activity %s", id);
    return -1;
}

/* ---- a run end to end ------------------------------------------------------------------- */

#define SPLIT_DOC(name, keep)                                                                      \
    "{'name':'" name "','options':{'keep_interim_results':" keep "},'activities':["                \
    "{'id':'a','type':'build_audience'},"                                                          \
    "{'id':'s','type':'split','segments':[{'port':'fr','filter':" TU_FR "},"                       \
    "{'port':'opt','filter':" TU_OPT "}],'complement':'rest'},"                                    \
    "{'id':'e_fr','type':'end'},{'id':'e_opt','type':'end'},{'id':'e_rest','type':'end'}],"        \
    "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'fr','to':'e_fr'},"                   \
    "{'from':'s','port':'opt','to':'e_opt'},{'from':'s','port':'rest','to':'e_rest'}]}"

/* The populations of the split, written independently of the engine. */
#define Q_FR  "SELECT count(*) FROM profiles WHERE country = 'FR'"
#define Q_OPT "SELECT count(*) FROM profiles WHERE country <> 'FR' AND email_opt_in = 1"
#define Q_REST                                                                                     \
    "SELECT count(*) FROM profiles WHERE country <> 'FR' AND coalesce(email_opt_in, 0) <> 1"

static void test_end_to_end(void **state)
{
    (void)state;
    struct tu_run r;
    int64_t t0 = sw_clock_now_ms();
    tu_run_ok(SPLIT_DOC("e2e", "false"), &r);
    assert_int_equal(r.state, SW_RUN_COMPLETED);

    /* one task row per activity, each completed once, in time order along the graph */
    assert_int_equal(
        tu_sqln("SELECT count(*) FROM sw_tasks WHERE run_id = %lld", (long long)r.run_id), 5);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_tasks WHERE run_id = %lld AND status = "
                             "'completed' AND started_at >= %lld AND ended_at >= started_at AND "
                             "error IS NULL AND outputs IS NOT NULL",
                             (long long)r.run_id, (long long)t0),
                     5);
    assert_int_equal(tu_sqln("SELECT (SELECT ended_at FROM sw_tasks t WHERE t.run_id = r.id AND "
                             "activity = 'a') <= (SELECT started_at FROM sw_tasks t WHERE "
                             "t.run_id = r.id AND activity = 's') FROM sw_runs r WHERE id = %lld",
                             (long long)r.run_id),
                     1);
    /* counts: the recorded outputs, the task's input count and independent SQL agree */
    TU_CHECK(r, "a", "out", TU_N_PROFILES, "SELECT count(*) FROM profiles");
    TU_CHECK(r, "s", "fr", 6, Q_FR);
    TU_CHECK(r, "s", "opt", 4, Q_OPT);
    TU_CHECK(r, "s", "rest", 11, Q_REST);
    /* each end's input count is its port's count */
    for (const char *const *p = (const char *const[]){"fr", "opt", "rest", NULL}; *p; p++) {
        TU_CHECK(r, "s", *p, -1,
                 "SELECT input_count FROM sw_tasks WHERE run_id = %lld AND activity = 'e_%s'",
                 (long long)r.run_id, *p);
    }
    TU_CHECK(r, "a", "out", -1,
             "SELECT input_count FROM sw_tasks WHERE run_id = %lld AND activity = 's'",
             (long long)r.run_id);
    assert_int_equal(tu_count(&r, "s", "fr") + tu_count(&r, "s", "opt") + tu_count(&r, "s", "rest"),
                     TU_N_PROFILES);

    /* the run row, the campaign row, the logs */
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE id = %lld AND status = "
                             "'completed' AND simulation = 0 AND seed = 42 AND ended_at >= "
                             "started_at AND error IS NULL AND campaign_id = %lld",
                             (long long)r.run_id, (long long)r.campaign_id),
                     1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_campaigns WHERE id = %lld AND status = "
                             "'completed' AND last_run_at = (SELECT started_at FROM sw_runs "
                             "WHERE id = %lld) AND last_error_activity IS NULL",
                             (long long)r.campaign_id, (long long)r.run_id),
                     1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE run_id = %lld AND message IN "
                             "('run started', 'run completed')",
                             (long long)r.run_id),
                     2);
    /* the work tables went with the run */
    assert_int_equal(work_tables(r.run_id), 0);

    /* all of it is in the file: a new connection reads the same counts */
    tu_env_close();
    tu_env_open();
    json_t *again = sw_engine_counts(&tu_env.eng, r.run_id);
    assert_true(json_equal(again, r.counts));
    json_decref(again);
    tu_run_release(&r);
}

/* ---- one task, one transaction ---------------------------------------------------------- */

static void test_task_one_transaction(void **state)
{
    (void)state;
    struct tu_run r;
    /* Interim results are kept, so that nothing but the rollback can remove s's tables. */
    struct sw_campaign *c = tu_campaign(SPLIT_DOC("one_tx", "true"));
    wrap(c);
    W.fail_at = "s";
    tu_run_campaign(c, false, NULL, 0, SW_RUN_FAILED, &r);
    /* split had created and filled its three tables before it failed */
    assert_int_equal(W.nmade, 3);
    for (size_t i = 0; i < W.nmade; i++) {
        assert_false(sw_db_table_exists(tu_env.db, W.made[i]));
    }
    /* a's table is kept (completed task, kept results); nothing else exists */
    char *ta = tu_port_table(&r, "a", "out");
    assert_non_null(ta);
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\"", ta), TU_N_PROFILES);
    assert_int_equal(work_tables(r.run_id), 1);
    free(ta);
    /* the task failed with its error and no outputs; what follows it was skipped */
    tu_assert_failed(&r, "s", "injected failure");
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_tasks WHERE run_id = %lld AND activity = "
                             "'s' AND outputs IS NULL",
                             (long long)r.run_id),
                     1);
    for (const char *const *e = (const char *const[]){"e_fr", "e_opt", "e_rest", NULL}; *e; e++) {
        tu_assert_status(&r, *e, "skipped");
        assert_int_equal(calls_of(c, *e), 0);
    }
    assert_int_equal(calls_of(c, "s"), 1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE id = %lld AND status = 'failed' "
                             "AND error LIKE '%%\"s\"%%'",
                             (long long)r.run_id),
                     1);
    tu_run_release(&r);
    sw_campaign_free(c);
}

/* ---- resume ----------------------------------------------------------------------------- */

/* The process dies inside s's transaction (after s wrote its tables); a new process continues
 * the run from the catalog: a is not run again, s runs once more, the ends run once. */
static void test_resume_after_crash(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    const char *doc = SPLIT_DOC("crash", "true");
    struct sw_campaign *c = tu_campaign(doc);
    int64_t campaign_id = tu_campaign_row(c), run_id = 0;
    struct sw_run_opts opts = {.trigger = "manual", .seed = 42};
    assert_int_equal(sw_engine_start(&tu_env.eng, c, campaign_id, &opts, &run_id, &err), 0);
    sw_campaign_free(c);
    tu_env_close();

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the first process: its own connection, dies in s */
        tu_env_open();
        c = tu_campaign(doc);
        wrap(c);
        W.crash_at = "s";
        sw_engine_continue(&tu_env.eng, c, campaign_id, run_id, &opts, &err);
        _exit(1); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), CRASH_STATUS);

    /* what the second process finds: a completed with its table, s marked running with none of
     * its tables (its transaction never committed), the ends pending */
    tu_env_open();
    struct tu_run r = {.run_id = run_id, .campaign_id = campaign_id};
    tu_assert_status(&r, "a", "completed");
    tu_assert_status(&r, "s", "running");
    tu_assert_status(&r, "e_fr", "pending");
    assert_int_equal(work_tables(run_id), 1);
    int64_t a_ended = tu_sqln("SELECT ended_at FROM sw_tasks WHERE run_id = %lld AND "
                              "activity = 'a'",
                              (long long)run_id);

    c = tu_campaign(doc);
    wrap(c);
    assert_int_equal(sw_engine_continue(&tu_env.eng, c, campaign_id, run_id, &opts, &err),
                     SW_RUN_COMPLETED);
    assert_int_equal(calls_of(c, "a"), 0);
    assert_int_equal(calls_of(c, "s"), 1);
    assert_int_equal(calls_of(c, "e_fr") + calls_of(c, "e_opt") + calls_of(c, "e_rest"), 3);
    /* a's row is untouched; the counts are right */
    assert_int_equal(tu_sqln("SELECT ended_at FROM sw_tasks WHERE run_id = %lld AND "
                             "activity = 'a'",
                             (long long)run_id),
                     a_ended);
    r.counts = sw_engine_counts(&tu_env.eng, run_id);
    TU_CHECK(r, "s", "fr", 6, Q_FR);
    TU_CHECK(r, "s", "opt", 4, Q_OPT);
    TU_CHECK(r, "s", "rest", 11, Q_REST);
    /* a, s.fr, s.opt, s.rest, each created once */
    assert_int_equal(work_tables(run_id), 4);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_tasks WHERE run_id = %lld AND status = "
                             "'completed'",
                             (long long)run_id),
                     5);
    tu_run_release(&r);
    sw_campaign_free(c);
    sw_error_release(&err);
}

/* A run waiting for an hour when the process stops continues in the next one when the hour is
 * over; the tasks before the wait are not run again. */
static void test_resume_after_wait(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    const char *doc = "{'name':'waits','activities':["
                      "{'id':'a','type':'build_audience','filter':" TU_FR "},"
                      "{'id':'w','type':'wait','duration':'1h'},"
                      "{'id':'e','type':'end'}],"
                      "'transitions':[{'from':'a','to':'w'},{'from':'w','to':'e'}]}";
    struct sw_campaign *c = tu_campaign(doc);
    int64_t campaign_id = tu_campaign_row(c), run_id = 0, wake = 0;
    struct sw_run_opts opts = {.trigger = "manual", .seed = 42};
    int64_t t0 = sw_clock_now_ms();
    assert_int_equal(sw_engine_start(&tu_env.eng, c, campaign_id, &opts, &run_id, &err), 0);
    assert_int_equal(sw_engine_step(&tu_env.eng, c, campaign_id, run_id, &opts, &wake, &err),
                     SW_RUN_WAITING);
    assert_true(wake >= t0 + 3600000 && wake <= sw_clock_now_ms() + 3600000);
    struct tu_run r = {.run_id = run_id, .campaign_id = campaign_id};
    tu_assert_status(&r, "a", "completed");
    tu_assert_status(&r, "w", "running");
    tu_assert_status(&r, "e", "pending");
    assert_int_equal(tu_sqln("SELECT wake_at FROM sw_tasks WHERE run_id = %lld AND activity = 'w'",
                             (long long)run_id),
                     wake);
    /* stepping before the hour is over changes nothing */
    int64_t wake2 = 0;
    assert_int_equal(sw_engine_step(&tu_env.eng, c, campaign_id, run_id, &opts, &wake2, &err),
                     SW_RUN_WAITING);
    assert_int_equal(wake2, wake);
    sw_campaign_free(c);

    /* the process stops; the next one starts after the wake-up time */
    tu_env_close();
    sw_clock_set(wake + 1000);
    tu_env_open();
    c = tu_campaign(doc);
    wrap(c);
    assert_int_equal(sw_engine_step(&tu_env.eng, c, campaign_id, run_id, &opts, &wake2, &err),
                     SW_RUN_COMPLETED);
    assert_int_equal(calls_of(c, "a"), 0);
    assert_int_equal(calls_of(c, "w"), 1);
    assert_int_equal(calls_of(c, "e"), 1);
    r.counts = sw_engine_counts(&tu_env.eng, run_id);
    TU_CHECK(r, "w", "out", 6, Q_FR);
    tu_run_release(&r);
    sw_campaign_free(c);
    sw_error_release(&err);
    tu_clock_setup(NULL);
}

/* ---- skipped branches ------------------------------------------------------------------- */

static void test_skipped_branches(void **state)
{
    (void)state;
    struct tu_run r;
    /* t sends the 6 FR profiles to "small": "big" and everything only it reaches is skipped;
     * join "and" over both branches is skipped, join "or" continues with "small". */
    tu_run_ok("{'name':'skips','activities':["
              "{'id':'a','type':'build_audience','filter':" TU_FR "},"
              "{'id':'t','type':'test','conditions':[{'port':'big','count':{'gt':1000}},"
              "{'port':'small','count':{'le':1000}}]},"
              "{'id':'b1','type':'wait','duration':'0s'},"
              "{'id':'b2','type':'save_audience','audience':'never'},"
              "{'id':'s1','type':'wait','duration':'0s'},"
              "{'id':'jand','type':'join','mode':'and'},"
              "{'id':'jor','type':'join','mode':'or'},"
              "{'id':'after_and','type':'end'}],"
              "'transitions':[{'from':'a','to':'t'},{'from':'t','port':'big','to':'b1'},"
              "{'from':'b1','to':'b2'},{'from':'t','port':'small','to':'s1'},"
              "{'from':'b1','to':'jand'},{'from':'s1','to':'jand'},"
              "{'from':'b1','to':'jor'},{'from':'s1','to':'jor'},"
              "{'from':'jand','to':'after_and'}]}",
              &r);
    TU_CHECK(r, "t", "small", 6, Q_FR);
    assert_int_equal(tu_count(&r, "t", "big"), 0);
    TU_CHECK(r, "s1", "out", 6, Q_FR);
    TU_CHECK(r, "jor", "out", 6, Q_FR);
    const char *skipped[] = {"b1", "b2", "jand", "after_and"};
    for (size_t i = 0; i < 4; i++) {
        tu_assert_status(&r, skipped[i], "skipped");
        /* a skipped task has no outputs and no count */
        assert_int_equal(tu_sqln("SELECT count(*) FROM sw_tasks WHERE run_id = %lld AND "
                                 "activity = '%s' AND outputs IS NULL",
                                 (long long)r.run_id, skipped[i]),
                         1);
        assert_null(json_object_get(r.counts, skipped[i]));
    }
    /* each skip is logged with its reason */
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE run_id = %lld AND activity IN "
                             "('b1', 'b2', 'after_and') AND message LIKE '%%no population%%'",
                             (long long)r.run_id),
                     3);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE run_id = %lld AND activity = "
                             "'jand' AND message LIKE '%%needs every input%%'",
                             (long long)r.run_id),
                     1);
    assert_null(sw_catalog_audience_table(tu_env.cat, "never"));
    /* skipped branches do not fail the run */
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE id = %lld AND status = "
                             "'completed'",
                             (long long)r.run_id),
                     1);
    tu_run_release(&r);
}

/* ---- simulation and real run ------------------------------------------------------------ */

static void test_simulation_vs_real(void **state)
{
    (void)state;
    struct tu_run sim, real;
    /* a seeded sample, so that both runs pick the same records */
    const char *doc = "{'name':'simreal','activities':["
                      "{'id':'a','type':'build_audience'},"
                      "{'id':'s','type':'split','segments':[{'port':'fr','filter':" TU_FR "},"
                      "{'port':'sample','percent':40}],'complement':'rest'},"
                      "{'id':'save','type':'save_audience','audience':'sample'},"
                      "{'id':'e','type':'end','signal':{'campaign':'next'}}],"
                      "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'sample',"
                      "'to':'save'},{'from':'s','port':'fr','to':'e'}]}";
    tu_run_full(doc, true, NULL, 7, SW_RUN_COMPLETED, &sim);
    /* a simulation records its run and tasks, and changes nothing else */
    assert_int_equal(
        tu_sqln("SELECT simulation FROM sw_runs WHERE id = %lld", (long long)sim.run_id), 1);
    char *s =
        tu_sqlt("SELECT status FROM sw_campaigns WHERE id = %lld", (long long)sim.campaign_id);
    assert_string_equal(s, "draft");
    free(s);
    assert_null(sw_catalog_audience_table(tu_env.cat, "sample"));
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_signals"), 0);

    tu_run_full(doc, false, NULL, 7, SW_RUN_COMPLETED, &real);
    assert_int_equal(real.campaign_id, sim.campaign_id);
    assert_int_equal(
        tu_sqln("SELECT simulation FROM sw_runs WHERE id = %lld", (long long)real.run_id), 0);
    /* the same counts, port for port */
    assert_true(json_equal(sim.counts, real.counts));
    TU_CHECK(real, "s", "fr", 6, Q_FR);
    TU_CHECK(real, "s", "sample", 6, "SELECT ((count(*) - 6) * 40) / 100 FROM profiles");
    /* and the real run did what the simulation did not */
    s = tu_sqlt("SELECT status FROM sw_campaigns WHERE id = %lld", (long long)real.campaign_id);
    assert_string_equal(s, "completed");
    free(s);
    char *t = sw_catalog_audience_table(tu_env.cat, "sample");
    assert_non_null(t);
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\"", t), tu_count(&real, "save", "out"));
    free(t);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_signals WHERE source_run_id = %lld",
                             (long long)real.run_id),
                     1);
    tu_run_release(&sim);
    tu_run_release(&real);
}

/* ---- failures, dry runs, work tables ---------------------------------------------------- */

static void test_failing_activity(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_full("{'name':'fails','activities':[{'id':'ok','type':'build_audience'},"
                "{'id':'missing','type':'read_audience','audience':'no_such_audience'},"
                "{'id':'after','type':'save_audience','audience':'x'}],"
                "'transitions':[{'from':'missing','to':'after'}]}",
                false, NULL, 0, SW_RUN_FAILED, &r);
    tu_assert_failed(&r, "missing", "does not exist");
    tu_assert_status(&r, "after", "skipped");
    char *s = tu_sqlt("SELECT last_error_activity FROM sw_campaigns WHERE id = %lld",
                      (long long)r.campaign_id);
    assert_string_equal(s, "missing");
    free(s);
    s = tu_sqlt("SELECT status FROM sw_campaigns WHERE id = %lld", (long long)r.campaign_id);
    assert_string_equal(s, "failed");
    free(s);
    /* the failed run's work tables are dropped too */
    assert_int_equal(tu_sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'wt\\_%lld\\_%%' "
                             "ESCAPE '\\'",
                             (long long)r.run_id),
                     0);
    tu_run_release(&r);
    /* a later successful run clears the error */
    tu_run_ok(
        "{'name':'fails','activities':[{'id':'ok','type':'build_audience'}],'transitions':[]}", &r);
    s = tu_sqlt("SELECT status || '/' || coalesce(last_error_activity, '-') FROM sw_campaigns "
                "WHERE id = %lld",
                (long long)r.campaign_id);
    assert_string_equal(s, "completed/-");
    free(s);
    tu_run_release(&r);
}

static void test_dry_run(void **state)
{
    (void)state;
    struct tu_run r;
    tu_run_full("{'name':'dry','activities':[{'id':'a','type':'build_audience','filter':" TU_FR "},"
                "{'id':'save','type':'save_audience','audience':'dry_aud'},"
                "{'id':'x','type':'export','path':'dry.csv'},"
                "{'id':'w','type':'wait','duration':'1d'},"
                "{'id':'e','type':'end','signal':{'campaign':'other'}},"
                "{'id':'mail','type':'email','to_field':'email','from':'s@x.org','subject':'s',"
                "'text':'t'},"
                "{'id':'after_mail','type':'wait','duration':'0s'}],"
                "'transitions':[{'from':'a','to':'save'},{'from':'save','to':'x'},"
                "{'from':'x','to':'w'},{'from':'w','to':'e'},{'from':'w','to':'mail'},"
                "{'from':'mail','to':'after_mail'}]}",
                true, NULL, 0, SW_RUN_COMPLETED, &r);
    TU_CHECK(r, "save", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    TU_CHECK(r, "x", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    /* a simulation does not sleep */
    TU_CHECK(r, "w", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    tu_assert_status(&r, "mail", "skipped");
    tu_assert_status(&r, "after_mail", "skipped");
    /* nothing saved, exported or signalled */
    assert_null(sw_catalog_audience_table(tu_env.cat, "dry_aud"));
    assert_int_equal(tu_sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'swa\\_%%' "
                             "ESCAPE '\\'"),
                     0);
    char *path = sw_asprintf("%s/dry.csv", tu_env.dir);
    assert_int_equal(access(path, F_OK), -1);
    free(path);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_signals"), 0);
    assert_int_equal(tu_sqln("SELECT simulation FROM sw_runs WHERE id = %lld", (long long)r.run_id),
                     1);
    /* the campaign's own status is untouched by a simulation */
    char *s = tu_sqlt("SELECT status FROM sw_campaigns WHERE id = %lld", (long long)r.campaign_id);
    assert_string_equal(s, "draft");
    free(s);
    tu_run_release(&r);
}

static void test_work_tables(void **state)
{
    (void)state;
    struct tu_run r;
#define doc                                                                                        \
    "{'name':'wt%s','options':{'keep_interim_results':%s},'activities':["                          \
    "{'id':'a','type':'build_audience'},"                                                          \
    "{'id':'s','type':'split','segments':[{'port':'fr','filter':" TU_FR "}],"                      \
    "'complement':'rest'},"                                                                        \
    "{'id':'d','type':'deduplicate','fields':['email']},"                                          \
    "{'id':'w','type':'wait','duration':'0s'}],"                                                   \
    "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'fr','to':'d'},"                      \
    "{'from':'s','port':'rest','to':'w'}]}"
    char *d = sw_asprintf(doc, "1", "false");
    tu_run_ok(d, &r);
    free(d);
    assert_int_equal(
        tu_sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'wt\\_%%' ESCAPE '\\'"), 0);
    tu_run_release(&r);
    d = sw_asprintf(doc, "2", "true");
    tu_run_ok(d, &r);
    free(d);
    /* kept: a.out, s.fr, s.rest, d.out and d.duplicates, which no transition reads but a kept
     * run keeps for its samples (w passes s.rest through) */
    assert_int_equal(tu_sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'wt\\_%lld\\_%%' "
                             "ESCAPE '\\'",
                             (long long)r.run_id),
                     5);
    char *t = tu_port_table(&r, "s", "fr");
    assert_int_equal(tu_sqln("SELECT count(*) FROM \"%s\"", t), 6);
    free(t);
    tu_run_release(&r);
#undef doc
}
int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_end_to_end),         T(test_task_one_transaction),
        T(test_resume_after_crash), T(test_resume_after_wait),
        T(test_skipped_branches),   T(test_simulation_vs_real),
        T(test_failing_activity),   T(test_dry_run),
        T(test_work_tables),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
