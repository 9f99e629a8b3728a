/*
 * service.c - see service.h.
 */
#include "runs/service.h"
#include "catalog/catalog.h"
#include "catalog/campaigns.h"
#include "catalog/ledger.h"
#include "catalog/logs.h"
#include "catalog/runs.h"
#include "catalog/status.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/engine.h"
#include "model/campaign.h"
#include "model/schedule.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void sw_svc_init(struct sw_svc *svc)
{
    atomic_init(&svc->runs_started, 0);
    atomic_init(&svc->tasks_executed, 0);
    atomic_init(&svc->ticks_skipped, 0);
    atomic_init(&svc->stopping, false);
    pthread_mutex_init(&svc->lock, NULL);
    pthread_cond_init(&svc->wake, NULL);
}

void sw_svc_release(struct sw_svc *svc)
{
    pthread_mutex_destroy(&svc->lock);
    pthread_cond_destroy(&svc->wake);
}

void sw_svc_wake(struct sw_svc *svc)
{
    pthread_mutex_lock(&svc->lock);
    pthread_cond_broadcast(&svc->wake);
    pthread_mutex_unlock(&svc->lock);
}

void sw_svc_kick(struct sw_svc *svc)
{
    sw_svc_wake(svc);
    if (svc->notify) {
        svc->notify(svc->ud);
    }
}

void sw_svc_shutdown(struct sw_svc *svc)
{
    pthread_mutex_lock(&svc->lock);
    atomic_store(&svc->stopping, true);
    pthread_mutex_unlock(&svc->lock);
    sw_svc_kick(svc);
}

void sw_svc_sleep(struct sw_svc *svc, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&svc->lock);
    if (!atomic_load(&svc->stopping)) {
        pthread_cond_timedwait(&svc->wake, &svc->lock, &ts);
    }
    pthread_mutex_unlock(&svc->lock);
}

void sw_svc_refresh(struct sw_svc *svc, struct sw_db *db)
{
    if (svc->refresh) {
        svc->refresh(svc->ud, db);
    }
}

int sw_svc_load(struct sw_svc *svc, const char *document, struct sw_campaign **out,
                struct sw_error *err)
{
    struct sw_schema *schema = svc->schema(svc->ud);
    int rc = sw_campaign_load(document, strlen(document), &sw_engine_activities, schema,
                              sw_clock_now_ms(), out, err);
    sw_schema_free(schema); /* the campaign holds its own reference */
    return rc;
}

int sw_svc_campaign_json(struct sw_db *db, int64_t id, bool with_document, json_t **out,
                         struct sw_error *err)
{
    struct sw_catalog cat = {db};
    struct sw_campaign_row row;
    int rc = sw_catalog_campaign_get(&cat, id, with_document, &row, err);
    *out = rc < 0 ? NULL : sw_campaign_row_json(&row);
    sw_campaign_row_release(&row);
    return rc;
}

/* Status and document of a campaign (malloc'd). */
static int campaign_state(struct sw_db *db, int64_t id, char **status, char **document,
                          struct sw_error *err)
{
    struct sw_catalog cat = {db};
    struct sw_campaign_row row;
    int rc = sw_catalog_campaign_get(&cat, id, true, &row, err);
    *status = rc < 0 ? NULL : sw_strdup(sw_campaign_status_text(row.status));
    *document = row.document;
    row.document = NULL;
    sw_campaign_row_release(&row);
    return rc;
}

static int64_t active_runs(struct sw_db *db, int64_t campaign_id)
{
    struct sw_catalog cat = {db};
    return sw_catalog_active_runs(&cat, campaign_id);
}

/* Create a run inside the caller's transaction. */
static int create_run(struct sw_svc *svc, struct sw_db *db, int64_t campaign_id,
                      const char *document, const char *trigger, const json_t *overrides,
                      bool dry_run, int64_t *run_id, struct sw_error *err)
{
    struct sw_campaign *c = NULL;
    struct sw_catalog cat = {db};
    json_t *vars = NULL;
    sw_svc_refresh(svc, db); /* a start sees the schema as it is now */
    int rc = sw_svc_load(svc, document, &c, err);
    if (rc < 0) {
        if (err && !err->message) {
            sw_error_set(err, SW_EVALIDATION, "the campaign is not valid against the data source");
        }
        return rc;
    }
    if (!(vars = sw_campaign_variables(c, overrides, err))) {
        rc = err && err->code ? err->code : SW_EVALIDATION;
        goto out;
    }
    struct sw_engine eng = {db, &cat, c->schema, svc->config};
    struct sw_run_opts opts = {.trigger = trigger, .dry_run = dry_run, .variables = vars};
    rc = sw_engine_create_run(&eng, c, campaign_id, &opts, run_id, err);
    if (rc == 0 && !dry_run) {
        atomic_fetch_add(&svc->runs_started, 1);
    }
out:
    json_decref(vars);
    sw_campaign_free(c);
    return rc;
}

static int conflict(struct sw_error *err, const char *action, const char *status)
{
    sw_error_add(err, "status", "%s", status);
    return sw_error_set(err, SW_ECONFLICT, "cannot %s a campaign that is %s", action, status);
}

int sw_svc_start_run(struct sw_svc *svc, struct sw_db *db, int64_t campaign_id,
                     const char *trigger, const json_t *overrides, int64_t *run_id,
                     struct sw_error *err)
{
    char *status = NULL, *document = NULL;
    int rc = sw_db_begin(db, err);
    if (rc < 0) {
        return rc;
    }
    rc = campaign_state(db, campaign_id, &status, &document, err);
    if (rc == 0 && !strcmp(status, sw_campaign_status_text(SW_CAMPAIGN_STATUS_PAUSED))) {
        rc = conflict(err, "trigger", status);
    } else if (rc == 0 && active_runs(db, campaign_id) > 0) {
        rc = sw_error_set(err, SW_ECONFLICT, "a run of this campaign is already active");
    }
    if (rc == 0) {
        rc = create_run(svc, db, campaign_id, document, trigger, overrides, false, run_id, err);
    }
    if (rc == 0) {
        rc = sw_db_commit(db, err);
    }
    if (rc < 0) {
        sw_db_rollback(db);
    } else {
        sw_svc_kick(svc);
    }
    free(status);
    free(document);
    return rc;
}

int sw_svc_simulate(struct sw_svc *svc, struct sw_db *db, int64_t campaign_id,
                    const json_t *overrides, json_t **result, struct sw_error *err)
{
    char *status = NULL, *document = NULL;
    struct sw_campaign *c = NULL;
    struct sw_catalog cat = {db};
    json_t *vars = NULL;
    int64_t run_id = 0;
    int rc = campaign_state(db, campaign_id, &status, &document, err);
    *result = NULL;
    if (rc < 0 || (rc = sw_svc_load(svc, document, &c, err)) < 0) {
        goto out;
    }
    if (!(vars = sw_campaign_variables(c, overrides, err))) {
        rc = SW_EVALIDATION;
        goto out;
    }
    struct sw_engine eng = {db, &cat, c->schema, svc->config};
    struct sw_run_opts opts = {.trigger = "simulate", .dry_run = true, .variables = vars};
    int state = sw_engine_run(&eng, c, campaign_id, &opts, &run_id, err);
    if (state < 0) {
        rc = state;
        goto out;
    }
    json_t *tasks = sw_catalog_tasks_json(&cat, run_id);
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        /* the catalog's epoch milliseconds as the API's ISO-8601 UTC */
        static const char *const keys[] = {"started_at", "ended_at"};
        for (int k = 0; k < 2; k++) {
            const json_t *ms = json_object_get(t, keys[k]);
            char iso[32];
            if (json_is_integer(ms) && json_integer_value(ms)) {
                sw_clock_format_iso(json_integer_value(ms), iso, sizeof(iso));
                json_object_set_new(t, keys[k], json_string(iso));
            } else {
                json_object_set_new(t, keys[k], json_null());
            }
        }
    }
    *result = json_pack("{s:{s:I, s:s, s:b}, s:o, s:o}", "run", "id", (json_int_t)run_id,
                        "status",
                        sw_run_status_text(state == SW_RUN_COMPLETED ? SW_RUN_STATUS_COMPLETED
                                                                     : SW_RUN_STATUS_FAILED),
                        "simulation", 1, "counts", sw_engine_counts(&eng, run_id), "tasks",
                        tasks);
    rc = 0;
out:
    json_decref(vars);
    sw_campaign_free(c);
    free(status);
    free(document);
    return rc;
}

void sw_svc_drop_run_tables(struct sw_db *db, int64_t run_id)
{
    struct sw_catalog cat = {db};
    char **tables = NULL;
    size_t n = 0;
    sw_catalog_run_work_tables(&cat, run_id, &tables, &n, NULL);
    for (size_t i = 0; i < n; i++) {
        struct sw_buf sql = SW_BUF_INIT;
        sw_buf_puts(&sql, "DROP TABLE IF EXISTS ");
        sw_db_ident(&sql, tables[i]);
        sw_db_exec(db, sql.data, NULL);
        sw_buf_release(&sql);
        free(tables[i]);
    }
    free(tables);
}

void sw_svc_drop_campaign_tables(struct sw_db *db, int64_t campaign_id, int64_t stopped_at)
{
    struct sw_catalog cat = {db};
    int64_t *ids = NULL;
    size_t n = 0;
    /* Collect first: a table cannot be dropped while a statement on the same connection is
     * still reading. */
    sw_catalog_run_ids(&cat, campaign_id, stopped_at, &ids, &n, NULL);
    for (size_t i = 0; i < n; i++) {
        sw_svc_drop_run_tables(db, ids[i]);
    }
    free(ids);
}

/* Arm a campaign's schedule: next_run_at = the first tick after now. *scheduled says whether
 * the schedule has ticks at all (at, rrule, cron), *next the tick (0 when none is left). */
static int arm_schedule(struct sw_db *db, int64_t id, const json_t *doc, bool *scheduled,
                        bool *signal, int64_t *next, struct sw_error *err)
{
    struct sw_schedule *s = NULL;
    const json_t *sched = json_object_get(doc, "schedule");
    const char *tz = json_string_value(json_object_get(doc, "timezone"));
    *scheduled = *signal = false;
    *next = 0;
    int rc = sw_schedule_parse(sched, tz, &s, err);
    if (rc < 0) {
        return rc;
    }
    enum sw_schedule_kind k = sw_schedule_kind(s);
    *signal = k == SW_SCHED_SIGNAL;
    if (k == SW_SCHED_AT || k == SW_SCHED_RRULE || k == SW_SCHED_CRON) {
        struct sw_catalog cat = {db};
        *scheduled = true;
        *next = sw_schedule_next(s, sw_clock_now_ms());
        rc = sw_catalog_campaign_set_next(&cat, id, *next, err);
    }
    sw_schedule_free(s);
    return rc;
}

/* What a lifecycle action's effect works on: the campaign as the action found it, inside the
 * action's transaction. */
struct sw_svc_action_ctx {
    struct sw_svc *svc;
    struct sw_db *db;
    struct sw_catalog cat; /* on db */
    int64_t id;           /* the campaign */
    const char *document; /* its document, as text and parsed */
    const json_t *doc;
    int64_t now;
    int64_t run_id; /* set by an effect that creates a run */
    bool kick;      /* set by an effect after which the workers have something to do */
};

static int act_start(struct sw_svc_action_ctx *x, struct sw_error *err)
{
    bool scheduled, signal;
    int64_t next;
    int rc = arm_schedule(x->db, x->id, x->doc, &scheduled, &signal, &next, err);
    if (rc < 0) {
        return rc;
    }
    if (scheduled && !next) {
        sw_error_add(err, "$.schedule", "no execution is left after now");
        return sw_error_set(err, SW_EVALIDATION, "the schedule has no execution after now");
    }
    if (signal || scheduled) {
        return sw_catalog_campaign_rerun(&x->cat, x->id, err);
    }
    x->kick = true;
    return create_run(x->svc, x->db, x->id, x->document, "manual", NULL, false, &x->run_id, err);
}

static int act_run_now(struct sw_svc_action_ctx *x, struct sw_error *err)
{
    if (active_runs(x->db, x->id) > 0) {
        return sw_error_set(err, SW_ECONFLICT, "a run of this campaign is already active");
    }
    x->kick = true;
    return create_run(x->svc, x->db, x->id, x->document, "run-now", NULL, false, &x->run_id, err);
}

static int act_pause(struct sw_svc_action_ctx *x, struct sw_error *err)
{
    int rc = sw_catalog_campaign_runs_move(&x->cat, x->id, SW_RUN_STATUS_RUNNING,
                                           SW_RUN_STATUS_PAUSED, err);
    if (rc == 0) {
        rc = sw_catalog_campaign_set_status(&x->cat, x->id, SW_CAMPAIGN_STATUS_PAUSED, err);
    }
    return rc;
}

static int act_resume(struct sw_svc_action_ctx *x, struct sw_error *err)
{
    struct sw_campaign_row row = {0};
    int rc = sw_catalog_campaign_runs_move(&x->cat, x->id, SW_RUN_STATUS_PAUSED,
                                           SW_RUN_STATUS_RUNNING, err);
    if (rc == 0) {
        rc = sw_catalog_campaign_set_status(&x->cat, x->id, SW_CAMPAIGN_STATUS_RUNNING, err);
    }
    /* An edit while paused disarmed the schedule: arm the edited one. Nothing left to do
     * (no tick, no run) completes the campaign. */
    if (rc == 0 && (rc = sw_catalog_campaign_get(&x->cat, x->id, false, &row, err)) == 0 &&
        !row.next_run_at) {
        bool scheduled, signal;
        int64_t next;
        rc = arm_schedule(x->db, x->id, x->doc, &scheduled, &signal, &next, err);
        if (rc == 0 && scheduled && !next && active_runs(x->db, x->id) == 0) {
            rc = sw_catalog_campaign_set_status(&x->cat, x->id, SW_CAMPAIGN_STATUS_COMPLETED,
                                                err);
        }
    }
    sw_campaign_row_release(&row);
    x->kick = true;
    return rc;
}

static int act_stop(struct sw_svc_action_ctx *x, struct sw_error *err)
{
    /* Messages that will never go now: the ledger says so (a worker still sending finishes
     * the rows it has marked sending). Before the runs stop: it reads which runs are active. */
    int rc = sw_ledger_skip_stopped_campaign(x->db, x->id, x->now, err);
    if (rc == 0) {
        rc = sw_catalog_campaign_runs_stop(&x->cat, x->id, x->now, err);
    }
    if (rc == 0) {
        rc = sw_catalog_campaign_set_next(&x->cat, x->id, 0, err);
    }
    if (rc == 0) {
        rc = sw_catalog_campaign_set_status(&x->cat, x->id, SW_CAMPAIGN_STATUS_COMPLETED, err);
    }
    return rc;
}

/* Work tables of the stopped runs, once the stop is committed: a worker still inside a task
 * drops its own when it sees the run stopped. */
static void after_stop(struct sw_svc_action_ctx *x)
{
    sw_svc_drop_campaign_tables(x->db, x->id, x->now);
}

static int act_retry(struct sw_svc_action_ctx *x, struct sw_error *err)
{
    int64_t failed_run = sw_catalog_last_failed_run(&x->cat, x->id);
    if (!failed_run) {
        return sw_error_set(err, SW_ECONFLICT, "this campaign has no failed run to retry");
    }
    /* The failed task and everything the failure skipped run again; completed tasks
     * and their work tables are kept. */
    int rc = sw_catalog_run_retry(&x->cat, failed_run, err);
    if (rc == 0) {
        rc = sw_catalog_campaign_rerun(&x->cat, x->id, err);
    }
    x->kick = true;
    return rc;
}

/* The lifecycle actions (SPEC §3): the campaign statuses each applies to (any other is a
 * conflict naming the status) and its effect, run in the action's transaction. */
static const struct sw_svc_action_def actions[] = {
    {"start", "start", SW_CS(DRAFT) | SW_CS(COMPLETED) | SW_CS(FAILED), act_start, NULL},
    {"run-now", "run now", SW_CS(RUNNING) | SW_CS(COMPLETED), act_run_now, NULL},
    {"pause", "pause", SW_CS(RUNNING), act_pause, NULL},
    {"resume", "resume", SW_CS(PAUSED), act_resume, NULL},
    {"stop", "stop", SW_CS(RUNNING) | SW_CS(PAUSED), act_stop, after_stop},
    {"retry", "retry", SW_CS(FAILED), act_retry, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

const struct sw_svc_action_def *sw_svc_action_find(const char *name)
{
    for (const struct sw_svc_action_def *a = actions; a->name; a++) {
        if (!strcmp(a->name, name)) {
            return a;
        }
    }
    return NULL;
}

bool sw_svc_action_allowed(const struct sw_svc_action_def *a, const char *status)
{
    enum sw_campaign_status s;
    return sw_campaign_status_parse(status, &s) == 0 && (a->allowed & SW_STATUS_BIT(s));
}

int sw_svc_action(struct sw_svc *svc, struct sw_db *db, int64_t id, const char *action,
                  json_t **out, struct sw_error *err)
{
    char *status = NULL, *document = NULL;
    json_t *doc = NULL;
    const struct sw_svc_action_def *a = NULL;
    struct sw_svc_action_ctx x = {svc, db, {db}, id, NULL, NULL, sw_clock_now_ms(), 0, false};
    int rc = sw_db_begin(db, err);
    *out = NULL;
    if (rc < 0) {
        return rc;
    }
    if ((rc = campaign_state(db, id, &status, &document, err)) < 0) {
        goto out;
    }
    if (!(a = sw_svc_action_find(action))) {
        rc = sw_error_set(err, SW_ENOTFOUND, "unknown action \"%s\"", action);
        goto out;
    }
    if (!sw_svc_action_allowed(a, status)) {
        rc = conflict(err, a->verb, status);
        goto out;
    }
    doc = json_loads(document, 0, NULL);
    x.document = document;
    x.doc = doc;
    if ((rc = a->effect(&x, err)) < 0) {
        goto out;
    }
    struct sw_catalog cat = {db};
    char *msg = sw_asprintf("campaign %s", a->verb);
    sw_catalog_log(&cat, "info", id, x.run_id, NULL, msg);
    free(msg);
    /* The answer is the state this action made, read before a worker can move it on. */
    rc = sw_svc_campaign_json(db, id, false, out, err);
    if (rc == 0) {
        rc = sw_db_commit(db, err);
    }
out:
    if (rc < 0) {
        sw_db_rollback(db);
        json_decref(*out);
        *out = NULL;
    } else {
        if (a->after) {
            a->after(&x);
        }
        if (x.kick) {
            sw_svc_kick(svc);
        }
    }
    json_decref(doc);
    free(status);
    free(document);
    return rc;
}

void sw_svc_campaign_fields(const struct sw_campaign *c, struct sw_campaign_fields *f,
                            char **tags, char **document)
{
    const json_t *d = c->doc;
    json_t *t = json_object_get(d, "tags");
    *tags = json_is_array(t) ? json_dumps(t, JSON_COMPACT) : sw_strdup("[]");
    *document = sw_campaign_serialize(c);
    f->name = c->name;
    f->description = json_string_value(json_object_get(d, "description"));
    f->campaign = json_string_value(json_object_get(d, "campaign"));
    f->dimension = c->dimension;
    f->tags = *tags;
    f->document = *document;
}

int64_t sw_svc_campaign_insert(struct sw_db *db, const struct sw_campaign *c, struct sw_error *err)
{
    struct sw_catalog cat = {db};
    struct sw_campaign_fields f;
    char *tags = NULL, *document = NULL;
    int64_t id = 0;
    sw_svc_campaign_fields(c, &f, &tags, &document);
    if (sw_catalog_campaign_insert(&cat, &f, sw_clock_now_ms(), &id, err) < 0) {
        id = 0;
    }
    free(tags);
    free(document);
    return id;
}
