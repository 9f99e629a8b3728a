/*
 * scheduling.c - see scheduling.h.
 */
#include "catalog/scheduling.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const struct sw_col due_cols[] = {
    SW_COL(INT, struct sw_due_campaign, id),
    SW_COL(INT, struct sw_due_campaign, next_run_at),
    SW_COL(TEXT, struct sw_due_campaign, document),
};
static const struct sw_row_type due_row = SW_ROW_TYPE(struct sw_due_campaign, due_cols, NULL);

void sw_due_campaigns_free(struct sw_due_campaign *rows, size_t n)
{
    sw_rows_free(&due_row, rows, n);
}

int sw_catalog_due_campaigns(struct sw_catalog *cat, int64_t now_ms, int64_t limit,
                             struct sw_due_campaign **rows, size_t *n, struct sw_error *err)
{
    return sw_rows_select(cat->db,
                          "SELECT c.id, c.next_run_at, d.document FROM sw_campaigns c JOIN "
                          "sw_campaign_documents d ON d.campaign_id = c.id WHERE c.status = "
                          "'running' AND c.next_run_at IS NOT NULL AND c.next_run_at <= ?1 "
                          "ORDER BY c.next_run_at LIMIT ?2",
                          SW_ARGS(SW_INT(now_ms), SW_INT(limit)), &due_row, rows, n, err);
}

int sw_catalog_campaign_tick_done(struct sw_catalog *cat, int64_t id, int64_t next_ms,
                                  bool complete, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "UPDATE sw_campaigns SET next_run_at = ?1, status = CASE WHEN ?3 "
                        "AND status = 'running' THEN 'completed' ELSE status END "
                        "WHERE id = ?2",
                        SW_ARGS(SW_INT_OR_NULL(next_ms), SW_INT(id), SW_INT(complete)), NULL, err);
}

static const struct sw_col signal_cols[] = {
    SW_COL(INT, struct sw_signal_row, id),
    SW_COL(TEXT, struct sw_signal_row, target),
    SW_COL(TEXT, struct sw_signal_row, variables),
};
static const struct sw_row_type signal_row = SW_ROW_TYPE(struct sw_signal_row, signal_cols, NULL);

void sw_signal_rows_free(struct sw_signal_row *rows, size_t n)
{
    sw_rows_free(&signal_row, rows, n);
}

int sw_catalog_signal_add(struct sw_catalog *cat, const char *target, const char *variables,
                          int64_t source_run_id, int64_t now_ms, struct sw_error *err)
{
    return sw_rows_exec(
        cat->db,
        "INSERT INTO sw_signals(target, variables, source_run_id, "
        "created_at) VALUES (?1, ?2, ?3, ?4)",
        SW_ARGS(SW_TEXT(target), SW_TEXT_OR_NULL(variables), SW_INT(source_run_id), SW_INT(now_ms)),
        NULL, err);
}

int sw_catalog_signals_pending(struct sw_catalog *cat, int64_t limit, struct sw_signal_row **rows,
                               size_t *n, struct sw_error *err)
{
    return sw_rows_select(cat->db,
                          "SELECT id, target, variables FROM sw_signals WHERE consumed_at IS NULL "
                          "ORDER BY id LIMIT ?1",
                          SW_ARGS(SW_INT(limit)), &signal_row, rows, n, err);
}

int sw_catalog_signal_consumed(struct sw_catalog *cat, int64_t id, int64_t now_ms,
                               struct sw_error *err)
{
    return sw_rows_exec(cat->db, "UPDATE sw_signals SET consumed_at = ?2 WHERE id = ?1",
                        SW_ARGS(SW_INT(id), SW_INT(now_ms)), NULL, err);
}

void sw_catalog_incremental_exclude(struct sw_buf *sql, struct sw_params *p, int64_t campaign_id,
                                    const char *activity, const char *key_expr)
{
    int c = sw_params_add_int(p, campaign_id);
    int a = sw_params_add_text(p, activity);
    sw_buf_printf(sql,
                  " AND NOT EXISTS (SELECT 1 FROM sw_incremental i WHERE i.campaign_id = ?%d "
                  "AND i.activity = ?%d AND i.key = %s)",
                  c, a, key_expr);
}

int sw_catalog_incremental_remember(struct sw_catalog *cat, int64_t campaign_id,
                                    const char *activity, const char *table, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_db_insert_ignore_head(cat->db, &sql);
    sw_buf_printf(&sql, "sw_incremental (campaign_id, activity, key) SELECT ?%d, ?%d, _key FROM ",
                  sw_params_add_int(&p, campaign_id), sw_params_add_text(&p, activity));
    sw_db_ident(&sql, table);
    sw_db_insert_ignore_tail(cat->db, &sql);
    int rc = sw_db_exec_params(cat->db, sql.data, &p, NULL, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_runs_expired(struct sw_catalog *cat, int64_t now_ms, int64_t default_days,
                            int64_t limit, int64_t **ids, size_t *n, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, now_ms);
    sw_params_add_int(&p, default_days);
    sw_params_add_int(&p, limit);
    sw_buf_puts(&sql, "SELECT r.id FROM sw_runs r LEFT JOIN sw_campaign_documents c ON "
                      "c.campaign_id = r.campaign_id WHERE r.status NOT IN ('running', 'paused') "
                      "AND coalesce(r.ended_at, r.started_at) < ?1 - 86400000 * coalesce(");
    sw_db_json_get(cat->db, &sql, "c.document", "options.history_days", SW_V_INT);
    sw_buf_puts(&sql, ", ?2) LIMIT ?3");
    int rc = sw_rows_all(cat->db, sql.data, &p, &sw_row_int, ids, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_run_delete(struct sw_catalog *cat, int64_t run_id, struct sw_error *err)
{
    static const char *const deletes[] = {
        "DELETE FROM sw_tasks WHERE run_id = ?1",
        "DELETE FROM sw_logs WHERE run_id = ?1",
        "DELETE FROM sw_runs WHERE id = ?1",
    };
    return sw_rows_exec_each(cat->db, deletes, sizeof(deletes) / sizeof(deletes[0]),
                             SW_ARGS(SW_INT(run_id)), err);
}
