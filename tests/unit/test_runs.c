/*
 * test_runs.c - the run service (src/runs/): the lifecycle actions' table (which campaign
 * statuses each applies to), and the actions themselves on the activity fixture's data
 * source: what each changes in the catalog, the conflicts that name the status, and when the
 * workers are woken.
 */
#include "testutil.h"

#include "catalog/status.h"
#include "core/error.h"
#include "runs/service.h"
#include "schema/schema.h"

#include <stdlib.h>
#include <string.h>

/* ---- the table -------------------------------------------------------------------------- */

/* Action by action, the statuses it applies to (SPEC §3), as a string of the statuses'
 * texts: every other status is refused. */
static void test_action_table(void **state)
{
    (void)state;
    static const struct {
        const char *action;
        const char *allowed;
    } cases[] = {
        {"start", "draft completed failed"},
        {"run-now", "running completed"},
        {"pause", "running"},
        {"resume", "paused"},
        {"stop", "running paused"},
        {"retry", "failed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct sw_svc_action_def *a = sw_svc_action_find(cases[i].action);
        assert_non_null(a);
        assert_string_equal(a->name, cases[i].action);
        for (const char *const *s = sw_campaign_status_texts; *s; s++) {
            char padded[64];
            snprintf(padded, sizeof(padded), " %s ", *s);
            char all[128];
            snprintf(all, sizeof(all), " %s ", cases[i].allowed);
            bool expect = strstr(all, padded) != NULL;
            if (sw_svc_action_allowed(a, *s) != expect) {
                fail_msg("%s on a %s campaign: %s", cases[i].action, *s,
                         expect ? "refused" : "allowed");
            }
        }
        assert_false(sw_svc_action_allowed(a, "archived")); /* not a status */
    }
    assert_null(sw_svc_action_find("delete"));
    assert_string_equal(sw_svc_action_find("run-now")->verb, "run now");
}

/* ---- the actions on a catalog ----------------------------------------------------------- */

static int kicks;

static struct sw_schema *fixture_schema(void *ud)
{
    (void)ud;
    return sw_schema_ref(tu_env.schema);
}

static void count_kick(void *ud)
{
    (void)ud;
    kicks++;
}

static struct sw_svc svc;

static int svc_setup(void **state)
{
    int rc = tu_env_setup(state);
    sw_svc_init(&svc);
    svc.config = &tu_env.cfg;
    svc.schema = fixture_schema;
    svc.notify = count_kick;
    kicks = 0;
    return rc;
}

static int svc_teardown(void **state)
{
    sw_svc_release(&svc);
    return tu_env_teardown(state);
}

static int64_t draft(const char *doc)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = tu_campaign(doc);
    int64_t id = sw_svc_campaign_insert(tu_env.db, c, &err);
    assert_true(id > 0);
    sw_campaign_free(c);
    sw_error_release(&err);
    return id;
}

/* The action on campaign id; its result code, and the status in the answer (or in the
 * conflict's details) in *status. */
static int act(int64_t id, const char *action, char *status, size_t n, struct sw_error *err)
{
    json_t *out = NULL;
    sw_error_release(err);
    int rc = sw_svc_action(&svc, tu_env.db, id, action, &out, err);
    status[0] = '\0';
    if (rc == 0) {
        snprintf(status, n, "%s", json_string_value(json_object_get(out, "status")));
    } else if (err->ndetails) {
        snprintf(status, n, "%s", err->details[0].message);
    }
    json_decref(out);
    return rc;
}

/* The campaign's runs in a status. */
static int64_t runs(int64_t id, const char *status)
{
    return tu_sqln("SELECT count(*) FROM sw_runs WHERE campaign_id = %lld AND status = '%s'",
                   (long long)id, status);
}

#define WAITS                                                                                      \
    "{'name':'waits','activities':["                                                               \
    "{'id':'a','type':'build_audience','filter':" TU_FR "},"                                       \
    "{'id':'w','type':'wait','duration':'1h'},"                                                    \
    "{'id':'e','type':'end'}],"                                                                    \
    "'transitions':[{'from':'a','to':'w'},{'from':'w','to':'e'}]}"

/* start, pause, resume, stop on a campaign without a schedule: each moves the campaign and its
 * run together; a refused action changes nothing and names the status. */
static void test_lifecycle(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    char st[64];
    int64_t id = draft(WAITS);

    assert_int_equal(act(id, "pause", st, sizeof(st), &err), SW_ECONFLICT);
    assert_string_equal(st, "draft");
    assert_non_null(strstr(err.message, "cannot pause a campaign that is draft"));
    assert_int_equal(act(id, "run-now", st, sizeof(st), &err), SW_ECONFLICT);
    assert_non_null(strstr(err.message, "cannot run now a campaign that is draft"));
    assert_int_equal(kicks, 0);

    assert_int_equal(act(id, "start", st, sizeof(st), &err), 0);
    assert_string_equal(st, "running");
    assert_int_equal(runs(id, "running"), 1);
    assert_int_equal(kicks, 1); /* a run was created: the workers are woken */
    assert_int_equal(atomic_load(&svc.runs_started), 1);

    assert_int_equal(act(id, "run-now", st, sizeof(st), &err), SW_ECONFLICT);
    assert_non_null(strstr(err.message, "already active"));

    assert_int_equal(act(id, "pause", st, sizeof(st), &err), 0);
    assert_string_equal(st, "paused");
    assert_int_equal(runs(id, "paused"), 1);
    assert_int_equal(kicks, 1);

    assert_int_equal(act(id, "resume", st, sizeof(st), &err), 0);
    assert_string_equal(st, "running");
    assert_int_equal(runs(id, "running"), 1);
    assert_int_equal(kicks, 2);

    assert_int_equal(act(id, "stop", st, sizeof(st), &err), 0);
    assert_string_equal(st, "completed");
    assert_int_equal(runs(id, "stopped"), 1);
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_tasks t JOIN sw_runs r ON r.id = t.run_id "
                             "WHERE r.campaign_id = %lld AND t.status IN ('pending', 'running')",
                             (long long)id),
                     0);

    assert_int_equal(act(id, "retry", st, sizeof(st), &err), SW_ECONFLICT);
    assert_string_equal(st, "completed");
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_logs WHERE campaign_id = %lld AND message "
                             "LIKE 'campaign %%'",
                             (long long)id),
                     4);
    sw_error_release(&err);
}

/* A signal-started campaign is armed without a run; an unknown action and an unknown campaign
 * are not found. */
static void test_start_signal_and_unknown(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    char st[64];
    int64_t id = draft("{'name':'on signal','schedule':{'signal':true},'activities':["
                       "{'id':'a','type':'build_audience','filter':" TU_FR "}],"
                       "'transitions':[]}");
    assert_int_equal(act(id, "start", st, sizeof(st), &err), 0);
    assert_string_equal(st, "running");
    assert_int_equal(tu_sqln("SELECT count(*) FROM sw_runs WHERE campaign_id = %lld", (long long)id),
                     0);
    assert_int_equal(kicks, 0);
    assert_int_equal(act(id, "archive", st, sizeof(st), &err), SW_ENOTFOUND);
    assert_int_equal(act(id + 100, "start", st, sizeof(st), &err), SW_ENOTFOUND);
    assert_int_equal(tu_sqln("SELECT status = 'running' FROM sw_campaigns WHERE id = %lld",
                             (long long)id),
                     1);
    sw_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_table),
        cmocka_unit_test_setup_teardown(test_lifecycle, svc_setup, svc_teardown),
        cmocka_unit_test_setup_teardown(test_start_signal_and_unknown, svc_setup, svc_teardown),
    };
    return cmocka_run_group_tests(tests, tu_clock_setup, tu_clock_teardown);
}
