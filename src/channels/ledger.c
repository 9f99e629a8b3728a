/*
 * ledger.c - see ledger.h.
 */
#include "channels/ledger.h"
#include "core/clock.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int sw_frequency_cap_parse(const char *s, struct sw_frequency_cap *cap, struct sw_error *err)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    int64_t n = 0, ms = 0;
    cap->count = cap->period_ms = 0;
    if (!slash) {
        return sw_error_set(err, SW_EINVAL, "frequency_cap: expected COUNT/DURATION such as 3/7d");
    }
    char *num = sw_strndup(s, (size_t)(slash - s));
    int bad = sw_parse_int64(num, &n) < 0 || n < 1 || n > 1000000 ||
              sw_parse_duration(slash + 1, &ms) < 0 || ms <= 0;
    free(num);
    if (bad) {
        return sw_error_set(err, SW_EINVAL,
                            "frequency_cap: \"%s\" is not COUNT/DURATION (a positive count and a "
                            "duration such as 7d)",
                            s);
    }
    cap->count = n;
    cap->period_ms = ms;
    return 0;
}

int sw_ledger_fill(struct sw_db *db, const struct sw_ledger_spec *spec,
                   struct sw_ledger_counts *counts, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT, addr = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    int rc;
    /* The address as sent, and as compared. */
    sw_buf_puts(&addr, "nullif(trim(d.");
    sw_db_ident(&addr, spec->to_field);
    sw_buf_puts(&addr, "), '')");
    sw_params_add_int(&p, spec->run_id);         /* ?1 */
    sw_params_add_text(&p, spec->activity);      /* ?2 */
    sw_params_add_text(&p, spec->channel);       /* ?3 */
    sw_params_add_int(&p, spec->now_ms);         /* ?4 */
    /* INSERT OR IGNORE: a task re-run after a crash finds its rows already there. */
    sw_db_insert_ignore_head(db, &sql);
    sw_buf_printf(&sql,
                  "sw_deliveries (run_id, activity, channel, recipient, address, address_key, "
                  "state, reason, created_at, updated_at, fields) SELECT ?1, ?2, ?3, "
                  "CAST(w._key AS TEXT), %s, lower(%s), CASE WHEN %s IS NULL THEN 'skipped' ELSE "
                  "'pending' END, CASE WHEN %s IS NULL THEN 'missing_address' END, ?4, ?4, ",
                  addr.data, addr.data, addr.data, addr.data);
    if (!spec->nfields) {
        sw_buf_puts(&sql, "NULL");
    } else {
        /* Field names are bound (?5...): they never become SQL text; the columns come from
         * the schema and are quoted. */
        sw_buf_puts(&sql, sw_db_json_object_fn(db));
        sw_buf_putc(&sql, '(');
        for (size_t i = 0; i < spec->nfields; i++) {
            sw_buf_puts(&sql, i ? ", " : "");
            sw_db_placeholder(db, &sql, (int)(5 + i));
            sw_buf_puts(&sql, spec->fields[i].from_work ? ", CAST(w." : ", CAST(d.");
            sw_db_ident(&sql, spec->fields[i].name);
            sw_buf_puts(&sql, " AS TEXT)");
            sw_params_add_text(&p, spec->fields[i].name);
        }
        sw_buf_putc(&sql, ')');
    }
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, spec->table);
    sw_buf_puts(&sql, " w JOIN ");
    sw_db_ident(&sql, spec->dimension);
    sw_buf_puts(&sql, " d ON d.");
    sw_db_ident(&sql, spec->pk);
    sw_buf_puts(&sql, " = w._key ORDER BY w._key");
    sw_db_insert_ignore_tail(db, &sql);
    if ((rc = sw_db_exec_params(db, sql.data, &p, NULL, err)) < 0) {
        goto out;
    }
    sw_params_truncate(&p, 4); /* the field names are not parameters of what follows */
    /* One message per address in an activity: the row of the smallest key keeps it. */
    rc = sw_db_exec_params(db,
                           "UPDATE sw_deliveries SET state = 'skipped', reason = "
                           "'duplicate_address', updated_at = ?4 WHERE run_id = ?1 AND "
                           "activity = ?2 AND state = 'pending' AND id NOT IN (SELECT min(id) "
                           "FROM sw_deliveries WHERE run_id = ?1 AND activity = ?2 AND "
                           "address_key IS NOT NULL GROUP BY address_key)",
                           &p, NULL, err);
    if (rc < 0) {
        goto out;
    }
    if (spec->cap.count > 0) {
        sw_params_add_int(&p, spec->cap.count);                  /* ?5 */
        sw_params_add_int(&p, spec->now_ms - spec->cap.period_ms); /* ?6 */
        rc = sw_db_exec_params(db,
                               "UPDATE sw_deliveries SET state = 'skipped', reason = "
                               "'frequency_cap', updated_at = ?4 WHERE run_id = ?1 AND activity = "
                               "?2 AND state = 'pending' AND (SELECT count(*) FROM sw_deliveries s "
                               "WHERE s.address_key = sw_deliveries.address_key AND s.state = "
                               "'sent' AND s.sent_at >= ?6) >= ?5",
                               &p, NULL, err);
        if (rc < 0) {
            goto out;
        }
    }
    rc = counts ? sw_ledger_counts(db, spec->run_id, spec->activity, counts, err) : 0;
out:
    sw_buf_release(&sql);
    sw_buf_release(&addr);
    sw_params_release(&p);
    return rc;
}

int sw_ledger_counts(struct sw_db *db, int64_t run_id, const char *activity,
                     struct sw_ledger_counts *counts, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    memset(counts, 0, sizeof(*counts));
    int rc = sw_db_prepare(db,
                           "SELECT count(*), count(*) FILTER (WHERE state = 'pending'), "
                           "count(*) FILTER (WHERE reason = 'missing_address'), "
                           "count(*) FILTER (WHERE reason = 'duplicate_address'), "
                           "count(*) FILTER (WHERE reason = 'frequency_cap'), "
                           "count(*) FILTER (WHERE state = 'sent'), "
                           "count(*) FILTER (WHERE state = 'failed'), "
                           "count(*) FILTER (WHERE state = 'unknown') "
                           "FROM sw_deliveries WHERE run_id = ?1 AND activity = ?2",
                           &st, err);
    if (rc < 0) {
        return rc;
    }
    sw_stmt_bind_int(st, 1, run_id);
    sw_stmt_bind_text(st, 2, activity);
    rc = sw_stmt_step(st, err);
    if (rc == SW_STEP_ROW) {
        counts->targeted = sw_stmt_column_int(st, 0);
        counts->pending = sw_stmt_column_int(st, 1);
        counts->missing_address = sw_stmt_column_int(st, 2);
        counts->duplicate_address = sw_stmt_column_int(st, 3);
        counts->frequency_cap = sw_stmt_column_int(st, 4);
        counts->sent = sw_stmt_column_int(st, 5);
        counts->failed = sw_stmt_column_int(st, 6);
        counts->unknown = sw_stmt_column_int(st, 7);
        rc = 0;
    }
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}
