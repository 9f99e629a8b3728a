/*
 * runs.c - see runs.h.
 */
#include "catalog/runs.h"
#include "catalog/ledger.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* The run's columns in the order run_cols lists them. */
#define RUN_COLS                                                                                   \
    "r.id, r.campaign_id, r.status, r.trigger, r.simulation, r.variables, r.seed, "                \
    "r.started_at, r.ended_at, r.wake_at, r.error"

static void run_status_read(struct sw_stmt *st, int c0, void *elem)
{
    struct sw_run_row *r = elem;
    if (sw_run_status_parse(sw_stmt_column_text(st, c0 + 2), &r->status) < 0) {
        r->status = SW_RUN_STATUS_FAILED;
    }
}

/* RUN_COLS, then the document (only when asked). */
static const struct sw_col run_cols[] = {
    SW_COL(INT, struct sw_run_row, id),          SW_COL(INT, struct sw_run_row, campaign_id),
    SW_COL(OWN, struct sw_run_row, status),      SW_COL(TEXT, struct sw_run_row, trigger),
    SW_COL(BOOL, struct sw_run_row, simulation), SW_COL(TEXT, struct sw_run_row, variables),
    SW_COL(INT, struct sw_run_row, seed),        SW_COL(INT, struct sw_run_row, started_at),
    SW_COL(INT, struct sw_run_row, ended_at),    SW_COL(INT, struct sw_run_row, wake_at),
    SW_COL(TEXT, struct sw_run_row, error),      SW_COL(TEXT, struct sw_run_row, document),
};
static const struct sw_row_type run_doc = SW_ROW_TYPE(struct sw_run_row, run_cols, run_status_read);
static const struct sw_row_type run_row = {sizeof(struct sw_run_row), run_cols, 11,
                                           run_status_read};

void sw_run_row_release(struct sw_run_row *r) { sw_row_release(&run_doc, r); }

void sw_run_rows_free(struct sw_run_row *rows, size_t n) { sw_rows_free(&run_doc, rows, n); }

int sw_catalog_run_create(struct sw_catalog *cat, const struct sw_run_new *r, int64_t *run_id,
                          struct sw_error *err)
{
    return sw_rows_insert(cat->db,
                          "INSERT INTO sw_runs(campaign_id, status, trigger, simulation, "
                          "variables, seed, started_at, document) "
                          "VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7)",
                          SW_ARGS(SW_INT(r->campaign_id), SW_TEXT(r->trigger),
                                  SW_INT(r->simulation), SW_TEXT_OR_NULL(r->variables),
                                  SW_INT((int64_t)(r->seed & 0x7fffffffffffffffULL)),
                                  SW_INT(r->now_ms), SW_TEXT_OR_NULL(r->document)),
                          run_id, err);
}

int sw_catalog_run_get(struct sw_catalog *cat, int64_t id, bool with_document,
                       struct sw_run_row *out, struct sw_error *err)
{
    return sw_rows_get_id(cat->db,
                          with_document ? "SELECT " RUN_COLS
                                          ", coalesce(r.document, d.document) FROM "
                                          "sw_runs r LEFT JOIN sw_campaign_documents d ON "
                                          "d.campaign_id = r.campaign_id WHERE r.id = ?1"
                                        : "SELECT " RUN_COLS " FROM sw_runs r WHERE r.id = ?1",
                          id, with_document ? &run_doc : &run_row, out, "run", err);
}

int sw_catalog_runs_of_campaign(struct sw_catalog *cat, int64_t campaign_id, const char *statuses,
                                int64_t before_id, int64_t limit, struct sw_run_row **rows,
                                size_t *n, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_buf_printf(&sql, "SELECT " RUN_COLS " FROM sw_runs r WHERE r.campaign_id = ?%d",
                  sw_params_add_int(&p, campaign_id));
    if (before_id) {
        sw_buf_printf(&sql, " AND r.id < ?%d", sw_params_add_int(&p, before_id));
    }
    if (statuses) {
        sw_rows_in_csv(&sql, &p, "r.status", statuses);
    }
    sw_buf_printf(&sql, " ORDER BY r.id DESC LIMIT ?%d", sw_params_add_int(&p, limit));
    int rc = sw_rows_all(cat->db, sql.data, &p, &run_row, rows, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_run_set_status(struct sw_catalog *cat, int64_t run_id, enum sw_run_status status,
                              struct sw_error *err)
{
    return sw_rows_exec(cat->db, "UPDATE sw_runs SET status = ?1 WHERE id = ?2",
                        SW_ARGS(SW_TEXT(sw_run_status_text(status)), SW_INT(run_id)), NULL, err);
}

int sw_catalog_run_finish(struct sw_catalog *cat, int64_t run_id, enum sw_run_status status,
                          const char *error, int64_t now_ms, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "UPDATE sw_runs SET status = ?1, error = ?2, ended_at = ?3 "
                        "WHERE id = ?4",
                        SW_ARGS(SW_TEXT(sw_run_status_text(status)), SW_TEXT_OR_NULL(error),
                                SW_INT(now_ms), SW_INT(run_id)),
                        NULL, err);
}

int sw_catalog_runs_fail_interrupted_simulations(struct sw_catalog *cat, struct sw_error *err)
{
    return sw_db_exec(cat->db,
                      "UPDATE sw_runs SET status = 'failed', error = 'interrupted by a restart', "
                      "ended_at = started_at WHERE simulation = 1 AND status = 'running'",
                      err);
}

static const struct sw_col wake_cols[] = {
    SW_COL(INT, struct sw_run_wake, id),
    SW_COL(INT, struct sw_run_wake, wake_at),
};
static const struct sw_row_type wake_row = SW_ROW_TYPE(struct sw_run_wake, wake_cols, NULL);

int sw_catalog_runs_running(struct sw_catalog *cat, int64_t limit, struct sw_run_wake **rows,
                            size_t *n, struct sw_error *err)
{
    return sw_rows_select(cat->db,
                          "SELECT id, coalesce(wake_at, 0) FROM sw_runs WHERE status = 'running' "
                          "AND simulation = 0 ORDER BY coalesce(wake_at, 0), id LIMIT ?1",
                          SW_ARGS(SW_INT(limit)), &wake_row, rows, n, err);
}

int sw_catalog_run_set_wake(struct sw_catalog *cat, int64_t run_id, int64_t wake_at,
                            struct sw_error *err)
{
    return sw_rows_exec(cat->db, "UPDATE sw_runs SET wake_at = nullif(?2, 0) WHERE id = ?1",
                        SW_ARGS(SW_INT(run_id), SW_INT(wake_at)), NULL, err);
}

int64_t sw_catalog_active_runs(struct sw_catalog *cat, int64_t campaign_id)
{
    int64_t n = 0;
    sw_rows_query_int(cat->db,
                      "SELECT count(*) FROM sw_runs WHERE campaign_id = ?1 AND simulation = 0 AND "
                      "status IN ('running', 'paused')",
                      SW_ARGS(SW_INT(campaign_id)), &n, NULL);
    return n;
}

int64_t sw_catalog_prev_run_started(struct sw_catalog *cat, int64_t campaign_id, int64_t run_id)
{
    int64_t v = 0;
    sw_rows_query_int(cat->db,
                      "SELECT coalesce(max(started_at), 0) FROM sw_runs WHERE campaign_id = ?1 "
                      "AND id < ?2 AND simulation = 0 AND status = 'completed'",
                      SW_ARGS(SW_INT(campaign_id), SW_INT(run_id)), &v, NULL);
    return v;
}

int sw_catalog_task_create(struct sw_catalog *cat, int64_t run_id, const char *activity,
                           const char *type, int64_t *task_id, struct sw_error *err)
{
    return sw_rows_insert(cat->db,
                          "INSERT INTO sw_tasks(run_id, activity, type) VALUES (?1, ?2, ?3)",
                          SW_ARGS(SW_INT(run_id), SW_TEXT(activity), SW_TEXT(type)), task_id, err);
}

int sw_catalog_task_set(struct sw_catalog *cat, int64_t task_id, const struct sw_task_state *s,
                        struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, sw_task_status_text(s->status));
    sw_params_add_int_or_null(&p, s->started_at);
    sw_params_add_int_or_null(&p, s->ended_at);
    sw_params_add_int_or_null(&p, s->wake_at);
    if (s->counted) {
        sw_params_add_int(&p, s->input_count);
    } else {
        sw_params_add_null(&p);
    }
    sw_params_add_text_or_null(&p, s->outputs);
    sw_params_add_text_or_null(&p, s->error);
    sw_params_add_int(&p, task_id);
    int rc = sw_db_exec_params(cat->db,
                               "UPDATE sw_tasks SET status = ?1, started_at = ?2, ended_at = ?3, "
                               "wake_at = ?4, input_count = ?5, outputs = ?6, error = ?7 "
                               "WHERE id = ?8",
                               &p, NULL, err);
    sw_params_release(&p);
    return rc;
}

/* The status from its text; counted when input_count is not NULL. */
static void task_read(struct sw_stmt *st, int c0, void *elem)
{
    struct sw_task_row *t = elem;
    if (sw_task_status_parse(sw_stmt_column_text(st, c0 + 3), &t->status) < 0) {
        t->status = SW_TASK_STATUS_PENDING;
    }
    t->counted = sw_stmt_column_type(st, c0 + 7) != SW_V_NULL;
}

/* id, activity, type, status, started_at, ended_at, wake_at, input_count, outputs, error */
static const struct sw_col task_cols[] = {
    SW_COL(INT, struct sw_task_row, id),         SW_COL(TEXT, struct sw_task_row, activity),
    SW_COL(TEXT, struct sw_task_row, type),      SW_COL(OWN, struct sw_task_row, status),
    SW_COL(INT, struct sw_task_row, started_at), SW_COL(INT, struct sw_task_row, ended_at),
    SW_COL(INT, struct sw_task_row, wake_at),    SW_COL(INT, struct sw_task_row, input_count),
    SW_COL(TEXT, struct sw_task_row, outputs),   SW_COL(TEXT, struct sw_task_row, error),
};
static const struct sw_row_type task_row = SW_ROW_TYPE(struct sw_task_row, task_cols, task_read);

void sw_task_rows_free(struct sw_task_row *rows, size_t n) { sw_rows_free(&task_row, rows, n); }

int sw_catalog_tasks(struct sw_catalog *cat, int64_t run_id, struct sw_task_row **rows, size_t *n,
                     struct sw_error *err)
{
    return sw_rows_select(cat->db,
                          "SELECT id, activity, type, status, started_at, ended_at, wake_at, "
                          "input_count, outputs, error FROM sw_tasks WHERE run_id = ?1 ORDER BY id",
                          SW_ARGS(SW_INT(run_id)), &task_row, rows, n, err);
}

int sw_catalog_task_wake(struct sw_catalog *cat, int64_t run_id, const char *activity,
                         int64_t wake_at, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "UPDATE sw_tasks SET wake_at = ?3 WHERE run_id = ?1 AND "
                        "activity = ?2",
                        SW_ARGS(SW_INT(run_id), SW_TEXT(activity), SW_INT_OR_NULL(wake_at)), NULL,
                        err);
}

/* Channel tasks get "delivery": {targeted, pending, sending, sent, failed, unknown, skipped:
 * {reason: n}} from the ledger (issue 4: counts on the run's tasks). */
static void delivery_counts(struct sw_catalog *cat, int64_t run_id, json_t *tasks)
{
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *type = json_string_value(json_object_get(t, "type"));
        struct sw_ledger_counts counts;
        if (!sw_streq(type, "email") && !sw_streq(type, "sms") && !sw_streq(type, "push")) {
            continue;
        }
        if (sw_ledger_counts(cat->db, run_id, json_string_value(json_object_get(t, "activity")),
                             &counts, NULL) < 0) {
            memset(&counts, 0, sizeof(counts));
        }
        json_object_set_new(t, "delivery", sw_ledger_counts_json(&counts));
    }
}

json_t *sw_catalog_tasks_json(struct sw_catalog *cat, int64_t run_id)
{
    json_t *arr = json_array();
    struct sw_stmt *st = NULL;
    if (sw_db_prepare(cat->db,
                      "SELECT id, activity, type, status, started_at, ended_at, input_count, "
                      "outputs, error FROM sw_tasks WHERE run_id = ?1 ORDER BY id",
                      &st, NULL) < 0) {
        return arr;
    }
    sw_stmt_bind_int(st, 1, run_id);
    while (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        json_t *t = json_object();
        json_object_set_new(t, "id", json_integer(sw_stmt_column_int(st, 0)));
        json_object_set_new(t, "activity", json_string(sw_stmt_column_text(st, 1)));
        json_object_set_new(t, "type", json_string(sw_stmt_column_text(st, 2)));
        json_object_set_new(t, "status", json_string(sw_stmt_column_text(st, 3)));
        json_object_set_new(t, "started_at",
                            sw_stmt_column_type(st, 4) == SW_V_NULL
                                ? json_null()
                                : json_integer(sw_stmt_column_int(st, 4)));
        json_object_set_new(t, "ended_at",
                            sw_stmt_column_type(st, 5) == SW_V_NULL
                                ? json_null()
                                : json_integer(sw_stmt_column_int(st, 5)));
        json_object_set_new(t, "input_count",
                            sw_stmt_column_type(st, 6) == SW_V_NULL
                                ? json_null()
                                : json_integer(sw_stmt_column_int(st, 6)));
        json_t *counts = json_object();
        const char *outputs = sw_stmt_column_text(st, 7);
        json_t *o = outputs ? json_loads(outputs, 0, NULL) : NULL;
        const char *port;
        json_t *v;
        json_object_foreach(o, port, v)
        {
            json_object_set(counts, port, json_object_get(v, "count"));
        }
        json_decref(o);
        json_object_set_new(t, "counts", counts);
        const char *e = sw_stmt_column_text(st, 8);
        json_object_set_new(t, "error", e ? json_string(e) : json_null());
        json_array_append_new(arr, t);
    }
    sw_stmt_finalize(st);
    delivery_counts(cat, run_id, arr);
    return arr;
}

int sw_catalog_campaign_runs_move(struct sw_catalog *cat, int64_t campaign_id,
                                  enum sw_run_status from, enum sw_run_status to,
                                  struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "UPDATE sw_runs SET status = ?3 WHERE campaign_id = ?1 AND "
                        "status = ?2 AND simulation = 0",
                        SW_ARGS(SW_INT(campaign_id), SW_TEXT(sw_run_status_text(from)),
                                SW_TEXT(sw_run_status_text(to))),
                        NULL, err);
}

int sw_catalog_campaign_runs_stop(struct sw_catalog *cat, int64_t campaign_id, int64_t now_ms,
                                  struct sw_error *err)
{
    int rc = sw_rows_exec(cat->db,
                          "UPDATE sw_tasks SET status = 'skipped', ended_at = ?2 WHERE status IN "
                          "('pending', 'running') AND run_id IN (SELECT id FROM sw_runs WHERE "
                          "campaign_id = ?1 AND status IN ('running', 'paused'))",
                          SW_ARGS(SW_INT(campaign_id), SW_INT(now_ms)), NULL, err);
    if (rc == 0) {
        rc = sw_rows_exec(cat->db,
                          "UPDATE sw_runs SET status = 'stopped', ended_at = ?2 WHERE "
                          "campaign_id = ?1 AND status IN ('running', 'paused')",
                          SW_ARGS(SW_INT(campaign_id), SW_INT(now_ms)), NULL, err);
    }
    return rc;
}

int64_t sw_catalog_last_failed_run(struct sw_catalog *cat, int64_t campaign_id)
{
    int64_t id = 0;
    sw_rows_query_int(cat->db,
                      "SELECT coalesce(max(id), 0) FROM sw_runs WHERE campaign_id = ?1 AND "
                      "simulation = 0 AND status = 'failed'",
                      SW_ARGS(SW_INT(campaign_id)), &id, NULL);
    return id;
}

int sw_catalog_run_retry(struct sw_catalog *cat, int64_t run_id, struct sw_error *err)
{
    int rc = sw_rows_exec(cat->db,
                          "UPDATE sw_tasks SET status = 'pending', error = NULL, started_at = "
                          "NULL, ended_at = NULL, wake_at = NULL WHERE run_id = ?1 AND status IN "
                          "('failed', 'skipped')",
                          SW_ARGS(SW_INT(run_id)), NULL, err);
    if (rc == 0) {
        rc = sw_rows_exec(cat->db,
                          "UPDATE sw_runs SET status = 'running', error = NULL, ended_at = NULL "
                          "WHERE id = ?1",
                          SW_ARGS(SW_INT(run_id)), NULL, err);
    }
    return rc;
}

int sw_catalog_run_ids(struct sw_catalog *cat, int64_t campaign_id, int64_t stopped_at,
                       int64_t **ids, size_t *n, struct sw_error *err)
{
    return sw_rows_select(cat->db,
                          stopped_at ? "SELECT id FROM sw_runs WHERE campaign_id = ?1 AND "
                                       "status = 'stopped' AND ended_at = ?2"
                                     : "SELECT id FROM sw_runs WHERE campaign_id = ?1",
                          SW_ARGS(SW_INT(campaign_id), SW_INT(stopped_at)), &sw_row_int, ids, n,
                          err);
}

int sw_catalog_run_work_tables(struct sw_catalog *cat, int64_t run_id, char ***tables, size_t *n,
                               struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    size_t kept = 0;
    sw_params_add_int(&p, run_id);
    /* Work tables are named after the run: listed from the tasks' outputs. */
    sw_buf_puts(&sql, "SELECT DISTINCT ");
    sw_db_json_get(cat->db, &sql, "o.value", "table", SW_V_TEXT);
    sw_buf_puts(&sql, " FROM sw_tasks t, ");
    sw_db_json_each(cat->db, &sql, "t.outputs", "o");
    sw_buf_puts(&sql, " WHERE t.run_id = ?1 AND ");
    sw_db_json_get(cat->db, &sql, "o.value", "owned", SW_V_INT);
    sw_buf_puts(&sql, " = 1");
    int rc = sw_rows_all(cat->db, sql.data, &p, &sw_row_text, tables, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    for (size_t i = 0; i < *n; i++) {
        char *t = (*tables)[i];
        if (t && !strncmp(t, "wt_", 3)) {
            (*tables)[kept++] = t;
        } else {
            free(t);
        }
    }
    *n = kept;
    return rc;
}

int sw_catalog_task_release(struct sw_catalog *cat, int64_t run_id, const char *activity,
                            int64_t held, int64_t now_ms, bool *woke, struct sw_error *err)
{
    const struct sw_arg a[] = {SW_INT(run_id), SW_TEXT(activity), SW_INT(now_ms), SW_INT(held)};
    const size_t n = sizeof(a) / sizeof(a[0]);
    int64_t changed = 0;
    int rc = sw_rows_exec(cat->db,
                          "UPDATE sw_tasks SET wake_at = ?3 WHERE run_id = ?1 AND "
                          "activity = ?2 AND wake_at = ?4",
                          a, n, &changed, err);
    *woke = rc == 0 && changed > 0;
    if (*woke) {
        rc =
            sw_rows_exec(cat->db, "UPDATE sw_runs SET wake_at = ?3 WHERE id = ?1", a, n, NULL, err);
    }
    return rc;
}

int sw_catalog_task_reopen(struct sw_catalog *cat, int64_t run_id, const char *activity,
                           int64_t now_ms, struct sw_error *err)
{
    static const char *const reopen[] = {
        "UPDATE sw_tasks SET status = 'running', ended_at = NULL, error = NULL, wake_at = ?3 "
        "WHERE run_id = ?1 AND activity = ?2",
        "UPDATE sw_runs SET status = 'running', ended_at = NULL, wake_at = ?3 WHERE id = ?1",
        "UPDATE sw_campaigns SET status = 'running' WHERE id = (SELECT campaign_id FROM sw_runs "
        "WHERE id = ?1) AND status IN ('completed', 'failed')",
    };
    return sw_rows_exec_each(cat->db, reopen, sizeof(reopen) / sizeof(reopen[0]),
                             SW_ARGS(SW_INT(run_id), SW_TEXT(activity), SW_INT(now_ms)), err);
}
