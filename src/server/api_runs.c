/*
 * api_runs.c - /runs/{id}: a run, its tasks (with delivery counts), samples of the population
 * on a transition, the delivery ledger, confirming a held channel activity and resending its
 * failed (or unknown) recipients (runs/delivery.c).
 */
#include "catalog/ledger.h"
#include "catalog/runs.h"
#include "core/clock.h"
#include "core/util.h"
#include "model/campaign.h"
#include "runs/service.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

json_t *sw_api_run_json(const struct sw_run_row *r)
{
    json_t *v = r->variables ? json_loads(r->variables, 0, NULL) : NULL;
    /* The seed is a 63-bit integer: a string, so that a JavaScript client reads it exactly. */
    char seed[24];
    snprintf(seed, sizeof(seed), "%lld", (long long)r->seed);
    return json_pack("{s:I, s:I, s:s, s:s, s:b, s:o, s:o, s:s?, s:o, s:s}", "id",
                     (json_int_t)r->id, "campaign_id", (json_int_t)r->campaign_id, "status",
                     sw_run_status_text(r->status), "trigger", r->trigger, "simulation",
                     (int)r->simulation, "started_at", sw_api_ms(r->started_at), "ended_at",
                     sw_api_ms(r->ended_at), "error", r->error, "variables",
                     v ? v : json_object(), "seed", seed);
}

/* The run row as JSON, or NULL with a 404 set. */
static json_t *load_run(struct sw_api *a, int64_t id)
{
    struct sw_run_row r;
    json_t *run = NULL;
    if (sw_catalog_run_get(&a->cat, id, false, &r, NULL) == 0) {
        run = sw_api_run_json(&r);
    }
    sw_run_row_release(&r);
    if (!run) {
        sw_api_not_found(a, "run", id);
    }
    return run;
}

/* Tasks with ISO times. */
static json_t *tasks_json(struct sw_api *a, int64_t run_id)
{
    json_t *tasks = sw_catalog_tasks_json(&a->cat, run_id);
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        static const char *const keys[] = {"started_at", "ended_at"};
        for (int k = 0; k < 2; k++) {
            json_t *v = json_object_get(t, keys[k]);
            json_object_set_new(t, keys[k], sw_api_ms(json_is_integer(v) ? json_integer_value(v) : 0));
        }
    }
    return tasks;
}

void sw_api_runs_get(struct sw_api *a)
{
    int64_t id = sw_api_id(a, 0);
    json_t *run = id ? load_run(a, id) : NULL;
    if (!run) {
        return;
    }
    json_t *counts = json_object();
    json_t *tasks = sw_catalog_tasks_json(&a->cat, id);
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        if (sw_streq(json_string_value(json_object_get(t, "status")),
                     sw_task_status_text(SW_TASK_STATUS_COMPLETED))) {
            json_object_set(counts, json_string_value(json_object_get(t, "activity")),
                            json_object_get(t, "counts"));
        }
    }
    json_decref(tasks);
    json_object_set_new(run, "counts", counts);
    sw_resp_json(a->resp, 200, run);
}

/* A run has at most one task per activity (500): the page is cut from the whole list. */
void sw_api_runs_tasks(struct sw_api *a)
{
    struct sw_page pg = {0};
    int64_t id = sw_api_id(a, 0);
    json_t *run = id ? load_run(a, id) : NULL;
    if (run && sw_api_page_begin(a, NULL, 100, 500, &pg) == 0) {
        json_t *all = tasks_json(a, id), *items = json_array(), *next = NULL, *t;
        int64_t after = sw_api_page_id(&pg), last = 0;
        size_t i;
        json_array_foreach(all, i, t)
        {
            int64_t tid = json_integer_value(json_object_get(t, "id"));
            if (tid <= after) {
                continue;
            }
            if ((int64_t)json_array_size(items) == pg.limit) {
                next = sw_api_page_next(&pg, NULL, last);
                break;
            }
            json_array_append(items, t);
            last = tid;
        }
        json_decref(all);
        sw_resp_json(a->resp, 200, sw_api_page_json(items, next));
    }
    sw_api_page_release(&pg);
    json_decref(run);
}

/* Why a transition has no sample, in the user's terms (doc and outputs may be NULL). */
static char *sample_missing(const char *doc, const char *from, const char *port,
                            const json_t *outputs, int64_t run_id)
{
    if (!doc) {
        return sw_asprintf("activity \"%s\" has not run in run %lld", from, (long long)run_id);
    }
    const json_t *out = json_object_get(outputs, port);
    if (!out) {
        return sw_asprintf("activity \"%s\" has no port \"%s\" in run %lld", from, port,
                           (long long)run_id);
    }
    json_t *d = json_loads(doc, 0, NULL);
    bool kept = json_is_true(json_object_get(json_object_get(d, "options"),
                                             "keep_interim_results"));
    json_decref(d);
    if (!kept) {
        return sw_strdup("no population kept for this transition: work tables are dropped when "
                         "a run ends unless options.keep_interim_results is true (it is not "
                         "for this run)");
    }
    if (!json_is_true(json_object_get(out, "emitted"))) {
        return sw_asprintf("port \"%s\" of activity \"%s\" emitted no transition in run %lld "
                           "(an empty segment with skip_empty, or a branch not taken)",
                           port, from, (long long)run_id);
    }
    return sw_asprintf("port \"%s\" of activity \"%s\" was only counted in run %lld: no "
                       "transition reads it, and the run predates keeping every port",
                       port, from, (long long)run_id);
}

void sw_api_runs_sample(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    const char *from = a->req->nparams > 1 ? a->req->params[1] : "";
    const char *port = a->req->nparams > 2 ? a->req->params[2] : "";
    json_t *run = id ? load_run(a, id) : NULL;
    struct sw_stmt *st = NULL;
    struct sw_campaign *c = NULL;
    struct sw_buf sql = SW_BUF_INIT;
    char *doc = NULL, *outputs = NULL;
    if (!run) {
        goto out;
    }
    struct sw_run_row r;
    struct sw_task_row *tasks = NULL;
    size_t ntasks = 0;
    if (sw_catalog_run_get(&a->cat, id, true, &r, &err) < 0 ||
        sw_catalog_tasks(&a->cat, id, &tasks, &ntasks, &err) < 0) {
        sw_run_row_release(&r);
        sw_api_error(a, &err);
        goto out;
    }
    for (size_t i = 0; i < ntasks; i++) {
        if (sw_streq(tasks[i].activity, from)) {
            doc = r.document;
            r.document = NULL;
            outputs = tasks[i].outputs;
            tasks[i].outputs = NULL;
            break;
        }
    }
    sw_run_row_release(&r);
    sw_task_rows_free(tasks, ntasks);
    json_t *o = outputs ? json_loads(outputs, 0, NULL) : NULL;
    const char *table = json_string_value(json_object_get(json_object_get(o, port), "table"));
    if (!doc || !table || !sw_db_table_exists(a->db, table)) {
        char *why = sample_missing(doc, from, port, o, id);
        json_decref(o);
        sw_resp_fail(a->resp, SW_ENOTFOUND, why, NULL);
        free(why);
        goto out;
    }
    if (sw_svc_load(&a->srv->svc, doc, &c, &err) < 0) {
        json_decref(o);
        sw_api_error(a, &err);
        goto out;
    }
    const struct sw_activity *act = sw_campaign_activity(c, from);
    const struct sw_shape *shape = act ? &act->out_shape : NULL;
    if (!shape || !shape->dim) {
        json_decref(o);
        sw_resp_fail(a->resp, SW_ENOTFOUND, "unknown activity", NULL);
        goto out;
    }
    sw_buf_puts(&sql, "SELECT d.*");
    for (size_t i = 0; i < shape->ncols; i++) {
        sw_buf_puts(&sql, ", w.");
        sw_db_ident(&sql, shape->cols[i].name);
    }
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, table);
    sw_buf_puts(&sql, " w JOIN ");
    sw_db_ident(&sql, shape->dim->name);
    sw_buf_puts(&sql, " d ON d.");
    sw_db_ident(&sql, shape->dim->pk);
    sw_buf_puts(&sql, " = w._key ORDER BY w._key LIMIT 100");
    json_decref(o);
    json_t *rows = json_array();
    if (sw_db_prepare(a->db, sql.data, &st, &err) == 0) {
        int ncol = sw_stmt_column_count(st);
        while (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
            json_t *row = json_object();
            for (int k = 0; k < ncol; k++) {
                json_t *v;
                switch (sw_stmt_column_type(st, k)) {
                case SW_V_INT:
                    v = json_integer(sw_stmt_column_int(st, k));
                    break;
                case SW_V_REAL:
                    v = json_real(sw_stmt_column_real(st, k));
                    break;
                case SW_V_TEXT:
                    v = json_string(sw_stmt_column_text(st, k));
                    break;
                default:
                    v = json_null();
                }
                json_object_set_new(row, sw_stmt_column_name(st, k), v ? v : json_null());
            }
            json_array_append_new(rows, row);
        }
    }
    sw_resp_json(a->resp, 200, json_pack("{s:s, s:s, s:o}", "from", from, "port", port, "rows", rows));
out:
    sw_stmt_finalize(st);
    sw_campaign_free(c);
    sw_buf_release(&sql);
    json_decref(run);
    free(doc);
    free(outputs);
    sw_error_release(&err);
}

void sw_api_runs_deliveries(struct sw_api *a)
{
    static const char *const names[] = {"state", "activity", NULL};
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    json_t *run = id ? load_run(a, id) : NULL;
    const char *state = sw_req_query(a->req, "state");
    const char *activity = sw_req_query(a->req, "activity");
    struct sw_delivery *rows = NULL;
    size_t n = 0;
    struct sw_page pg = {0};
    json_t *items = json_array(), *next = NULL;
    if (!run || sw_api_enum_param(a, "state", sw_delivery_state_texts, false) < 0) {
        goto out;
    }
    if (activity && !sw_valid_id(activity)) {
        sw_resp_bad_param(a->resp, "activity", "expected an activity id ([A-Za-z0-9_-]{1,64})");
        goto out;
    }
    if (sw_api_page_begin(a, names, 500, 5000, &pg) < 0) {
        goto out;
    }
    /* The ledger (SPEC §2.2): who was reached, skipped (and why) or not; keyset by row id. */
    int rc = sw_ledger_list(a->db, id, state, activity, sw_api_page_id(&pg), pg.limit + 1, &rows,
                            &n, &err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct sw_delivery *r = &rows[i];
        if (i == (size_t)pg.limit) {
            next = sw_api_page_next(&pg, NULL, rows[i - 1].id);
            break;
        }
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s?, s:I, s:s?, s:o, s:o}", "id",
                             (json_int_t)r->id, "activity", r->activity, "channel", r->channel,
                             "recipient", r->recipient, "address", r->address, "state", r->state,
                             "reason", r->reason, "attempts", (json_int_t)r->attempts, "error",
                             r->error, "sent_at", sw_api_ms(r->sent_at), "updated_at",
                             sw_api_ms(r->updated_at)));
    }
    if (rc < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    sw_resp_json(a->resp, 200, sw_api_page_json(items, next));
    items = next = NULL;
out:
    sw_deliveries_free(rows, n);
    sw_api_page_release(&pg);
    sw_error_release(&err);
    json_decref(items);
    json_decref(next);
    json_decref(run);
}

/* POST /runs/{id}/activities/{aid}/retry-failed, body {"include_unknown": true} (optional;
 * also ?include_unknown=true). */
void sw_api_runs_retry_failed(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    const char *aid = a->req->nparams > 1 ? a->req->params[1] : "";
    json_t *body = NULL, *out = NULL;
    static const char *const booleans[] = {"true", "false", NULL};
    bool unknown = sw_streq(sw_req_query(a->req, "include_unknown"), "true");
    if (!id || sw_api_enum_param(a, "include_unknown", booleans, false) < 0) {
        return;
    }
    if (a->req->body.len) {
        if (!(body = sw_req_json(a->req, a->resp))) {
            return;
        }
        const json_t *u = json_object_get(body, "include_unknown");
        if (u && !json_is_boolean(u)) {
            json_t *d = json_pack("[{s:s, s:s}]", "path", "$.include_unknown", "message",
                                  "must be true or false");
            sw_resp_fail(a->resp, SW_EVALIDATION, "include_unknown must be a boolean", d);
            json_decref(body);
            return;
        }
        unknown = unknown || json_is_true(u);
    }
    if (sw_svc_retry_failed(&a->srv->svc, a->db, id, aid, unknown, &out, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 202, out);
    }
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_runs_confirm(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    const char *aid = a->req->nparams > 1 ? a->req->params[1] : "";
    json_t *out = NULL;
    if (!id) {
        return;
    }
    if (sw_svc_confirm(&a->srv->svc, a->db, id, aid, &out, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 200, out);
    }
    sw_error_release(&err);
}
