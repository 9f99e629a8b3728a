/*
 * events.c - see events.h.
 */
#include "catalog/events.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* id, ts, type, campaign_id, run_id, payload */
static const struct sw_col event_cols[] = {
    SW_COL(INT, struct sw_event_row, id),     SW_COL(INT, struct sw_event_row, ts),
    SW_COL(TEXT, struct sw_event_row, type),  SW_COL(INT, struct sw_event_row, campaign_id),
    SW_COL(INT, struct sw_event_row, run_id), SW_COL(TEXT, struct sw_event_row, payload),
};
static const struct sw_row_type event_row = SW_ROW_TYPE(struct sw_event_row, event_cols, NULL);

void sw_event_rows_free(struct sw_event_row *rows, size_t n) { sw_rows_free(&event_row, rows, n); }

int sw_catalog_events(struct sw_catalog *cat, const struct sw_event_query *q,
                      struct sw_event_row **rows, size_t *n, struct sw_error *err)
{
    return sw_rows_select(cat->db,
                          "SELECT id, ts, type, coalesce(campaign_id, 0), coalesce(run_id, 0), "
                          "payload FROM sw_events WHERE id > ?1 AND (?2 = 0 OR id <= ?2) AND "
                          "(?3 = 0 OR campaign_id = ?3) AND (?4 = 0 OR run_id = ?4) "
                          "ORDER BY id LIMIT ?5",
                          SW_ARGS(SW_INT(q->after), SW_INT(q->upto), SW_INT(q->campaign_id),
                                  SW_INT(q->run_id), SW_INT(q->limit)),
                          &event_row, rows, n, err);
}

int sw_catalog_events_bounds(struct sw_catalog *cat, int64_t *min_id, int64_t *max_id,
                             struct sw_error *err)
{
    *min_id = *max_id = 0;
    int rc =
        sw_db_query_int(cat->db, "SELECT coalesce(min(id), 0) FROM sw_events", NULL, min_id, err);
    if (rc == 0) {
        rc = sw_db_query_int(cat->db, "SELECT coalesce(max(id), 0) FROM sw_events", NULL, max_id,
                             err);
    }
    return rc;
}

int sw_catalog_event_add(struct sw_catalog *cat, int64_t ts, const char *type, int64_t campaign_id,
                         int64_t run_id, const char *payload, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "INSERT INTO sw_events(ts, type, campaign_id, run_id, payload) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
                        SW_ARGS(SW_INT(ts), SW_TEXT(type), SW_INT_OR_NULL(campaign_id),
                                SW_INT_OR_NULL(run_id), SW_TEXT(payload)),
                        NULL, err);
}

int sw_catalog_events_purge(struct sw_catalog *cat, int64_t before_ts, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "DELETE FROM sw_events WHERE ts < ?1 AND id < (SELECT max(id) FROM "
                        "sw_events)",
                        SW_ARGS(SW_INT(before_ts)), NULL, err);
}

static const struct sw_col channel_task_cols[] = {
    SW_COL(INT, struct sw_channel_task, task_id),
    SW_COL(INT, struct sw_channel_task, run_id),
    SW_COL(INT, struct sw_channel_task, campaign_id),
    SW_COL(TEXT, struct sw_channel_task, activity),
};
static const struct sw_row_type channel_task_row =
    SW_ROW_TYPE(struct sw_channel_task, channel_task_cols, NULL);

void sw_channel_tasks_free(struct sw_channel_task *rows, size_t n)
{
    sw_rows_free(&channel_task_row, rows, n);
}

/* Rows of (task_id, run_id, campaign_id, activity); rows without an activity are left out. */
static int channel_tasks(struct sw_catalog *cat, const char *sql, int64_t param,
                         struct sw_channel_task **rows, size_t *n, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    size_t kept = 0;
    sw_params_add_int(&p, param); /* ?1 where the statement has it */
    int rc = sw_rows_all(cat->db, sql, &p, &channel_task_row, rows, n, err);
    sw_params_release(&p);
    for (size_t i = 0; i < *n; i++) {
        if ((*rows)[i].activity) {
            (*rows)[kept++] = (*rows)[i];
        }
    }
    *n = kept;
    return rc;
}

int sw_catalog_channel_tasks_running(struct sw_catalog *cat, struct sw_channel_task **rows,
                                     size_t *n, struct sw_error *err)
{
    return channel_tasks(cat,
                         "SELECT t.id, t.run_id, r.campaign_id, t.activity FROM sw_runs r "
                         "JOIN sw_tasks t ON t.run_id = r.id WHERE r.status IN ('running', "
                         "'paused') AND r.simulation = 0 AND t.status = 'running' AND t.type IN "
                         "('email', 'sms', 'push')",
                         0, rows, n, err);
}

int sw_catalog_channel_tasks_stopped(struct sw_catalog *cat, int64_t after,
                                     struct sw_channel_task **rows, size_t *n, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    sw_buf_puts(&sql, "SELECT ");
    sw_db_json_get(cat->db, &sql, "payload", "task_id", SW_V_INT);
    sw_buf_puts(&sql, ", run_id, coalesce(campaign_id, 0), ");
    sw_db_json_get(cat->db, &sql, "payload", "activity", SW_V_TEXT);
    sw_buf_puts(&sql, " FROM sw_events WHERE id > ?1 AND type = 'task' AND ");
    sw_db_json_get(cat->db, &sql, "payload", "activity_type", SW_V_TEXT);
    sw_buf_puts(&sql, " IN ('email', 'sms', 'push') AND ");
    sw_db_json_get(cat->db, &sql, "payload", "previous_status", SW_V_TEXT);
    sw_buf_puts(&sql, " = 'running'");
    int rc = channel_tasks(cat, sql.data, after, rows, n, err);
    sw_buf_release(&sql);
    return rc;
}

char *sw_catalog_event_last_delivery(struct sw_catalog *cat, int64_t run_id, int64_t task_id)
{
    struct sw_buf sql = SW_BUF_INIT;
    char *last = NULL;
    sw_buf_puts(&sql, "SELECT ");
    sw_db_json_get(cat->db, &sql, "payload", "delivery", SW_V_TEXT);
    sw_buf_puts(&sql, " FROM sw_events WHERE run_id = ?1 AND type = 'delivery' AND ");
    sw_db_json_get(cat->db, &sql, "payload", "task_id", SW_V_INT);
    sw_buf_puts(&sql, " = ?2 ORDER BY id DESC LIMIT 1");
    sw_rows_get(cat->db, sql.data, SW_ARGS(SW_INT(run_id), SW_INT(task_id)), &sw_row_text, &last,
                NULL, NULL);
    sw_buf_release(&sql);
    return last;
}
