/*
 * logs.c - see logs.h.
 */
#include "catalog/logs.h"
#include "catalog/rows.h"
#include "core/clock.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int sw_catalog_log(struct sw_catalog *cat, const char *level, int64_t campaign_id, int64_t run_id,
                   const char *activity, const char *message)
{
    return sw_rows_exec(cat->db,
                        "INSERT INTO sw_logs(ts, level, campaign_id, run_id, activity, "
                        "message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        SW_ARGS(SW_INT(sw_clock_now_ms()), SW_TEXT(level),
                                SW_INT_OR_NULL(campaign_id), SW_INT_OR_NULL(run_id),
                                SW_TEXT_OR_NULL(activity), SW_TEXT(message)),
                        NULL, NULL);
}

/* id, ts, level, run_id, activity, message */
static const struct sw_col log_cols[] = {
    SW_COL(INT, struct sw_log_row, id),        SW_COL(INT, struct sw_log_row, ts),
    SW_COL(TEXT, struct sw_log_row, level),    SW_COL(INT, struct sw_log_row, run_id),
    SW_COL(TEXT, struct sw_log_row, activity), SW_COL(TEXT, struct sw_log_row, message),
};
static const struct sw_row_type log_row = SW_ROW_TYPE(struct sw_log_row, log_cols, NULL);

void sw_log_rows_free(struct sw_log_row *rows, size_t n) { sw_rows_free(&log_row, rows, n); }

int sw_catalog_logs(struct sw_catalog *cat, const struct sw_log_query *q, struct sw_log_row **rows,
                    size_t *n, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_buf_printf(&sql,
                  "SELECT id, ts, level, run_id, activity, message FROM sw_logs "
                  "WHERE campaign_id = ?%d",
                  sw_params_add_int(&p, q->campaign_id));
    if (q->before_id) {
        sw_buf_printf(&sql, " AND id < ?%d", sw_params_add_int(&p, q->before_id));
    }
    if (q->run_id) {
        sw_buf_printf(&sql, " AND run_id = ?%d", sw_params_add_int(&p, q->run_id));
    }
    if (q->levels) {
        sw_rows_in_csv(&sql, &p, "level", q->levels);
    }
    if (q->activity) {
        sw_buf_printf(&sql, " AND activity = ?%d", sw_params_add_text(&p, q->activity));
    }
    sw_buf_printf(&sql, " ORDER BY id DESC LIMIT ?%d", sw_params_add_int(&p, q->limit));
    int rc = sw_rows_all(cat->db, sql.data, &p, &log_row, rows, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}
