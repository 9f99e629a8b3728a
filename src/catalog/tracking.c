/*
 * tracking.c - see tracking.h.
 */
#include "catalog/tracking.h"
#include "catalog/rows.h"
#include "catalog/suppressions.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* One statement makes or updates a row; the SELECT drops events of purged ledger rows. */
static const char RECORD_SQL[] =
    "INSERT INTO sw_tracking (delivery_id, kind, link, url, first_at, last_at, count,"
    " human_count, first_human_at, machine_reason, ip)"
    " SELECT ?1, ?2, ?3, ?4, ?5, ?5, 1, ?6, CASE WHEN ?6 = 1 THEN ?5 END, ?7, ?8"
    " FROM sw_deliveries WHERE id = ?1";
static const char RECORD_SET[] =
    "last_at = CASE WHEN excluded.last_at > sw_tracking.last_at THEN excluded.last_at"
    " ELSE sw_tracking.last_at END, count = sw_tracking.count + 1,"
    " human_count = sw_tracking.human_count + excluded.human_count,"
    " first_human_at = coalesce(sw_tracking.first_human_at, excluded.first_human_at),"
    " machine_reason = coalesce(excluded.machine_reason, sw_tracking.machine_reason),"
    " ip = coalesce(excluded.ip, sw_tracking.ip)";

int sw_catalog_tracking_record(struct sw_db *db, const struct sw_track_event *ev, size_t n,
                               struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    struct sw_buf sql = SW_BUF_INIT;
    sw_buf_puts(&sql, RECORD_SQL);
    sw_dialect_upsert(sw_db_dialect(db), &sql, "delivery_id, kind, link", RECORD_SET);
    int rc = sw_db_begin(db, err);
    if (rc == 0) {
        rc = sw_db_prepare(db, sql.data, &st, err);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct sw_track_event *e = &ev[i];
        char kind[2] = {e->kind, '\0'};
        sw_stmt_reset(st);
        sw_stmt_bind_int(st, 1, e->delivery_id);
        sw_stmt_bind_text(st, 2, kind);
        sw_stmt_bind_int(st, 3, e->link);
        sw_stmt_bind_text(st, 4, e->url);
        sw_stmt_bind_int(st, 5, e->at_ms);
        sw_stmt_bind_int(st, 6, e->machine ? 0 : 1);
        sw_stmt_bind_text(st, 7, e->machine);
        sw_stmt_bind_text(st, 8, e->ip[0] ? e->ip : NULL);
        rc = sw_stmt_step(st, err) < 0 ? -1 : 0;
    }
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    if (rc == 0) {
        rc = sw_db_commit(db, err);
    }
    if (rc != 0) {
        sw_db_rollback(db);
    }
    return rc;
}

int sw_catalog_tracking_erase(struct sw_db *db, const char *address, const char *channel,
                              int64_t *erased, struct sw_error *err)
{
    char *key = sw_address_key(address ? address : "");
    int rc = sw_rows_exec(db,
                          "DELETE FROM sw_tracking WHERE delivery_id IN (SELECT id FROM "
                          "sw_deliveries WHERE address_key = ?1 AND (?2 IS NULL OR channel = ?2))",
                          SW_ARGS(SW_TEXT(key), SW_TEXT_OR_NULL(channel)), erased, err);
    free(key);
    return rc;
}

/* Counts of one (run, activity) in one pass per table; placeholders ?1 run, ?2 activity. */
static const char LEDGER_SQL[] =
    "SELECT count(*), count(CASE WHEN state = 'sent' THEN 1 END),"
    " count(CASE WHEN state = 'failed' THEN 1 END), count(CASE WHEN state = 'skipped' THEN 1 END)"
    " FROM sw_deliveries WHERE run_id = ?1 AND activity = ?2";
static const char FEEDBACK_SQL[] =
    "SELECT count(DISTINCT CASE WHEN f.kind IN ('hard_bounce', 'soft_bounce') THEN f.delivery_id "
    "END),"
    " count(DISTINCT CASE WHEN f.kind = 'hard_bounce' THEN f.delivery_id END),"
    " count(DISTINCT CASE WHEN f.kind = 'soft_bounce' THEN f.delivery_id END),"
    " count(DISTINCT CASE WHEN f.kind = 'complaint' THEN f.delivery_id END),"
    " count(DISTINCT CASE WHEN f.kind IN ('hard_bounce', 'soft_bounce') AND d.state = 'sent'"
    "  THEN f.delivery_id END)"
    " FROM sw_feedback f JOIN sw_deliveries d ON d.id = f.delivery_id"
    " WHERE d.run_id = ?1 AND d.activity = ?2";
static const char UNSUB_SQL[] =
    "SELECT count(*) FROM sw_suppressions s JOIN sw_deliveries d ON d.id = s.delivery_id"
    " WHERE d.run_id = ?1 AND d.activity = ?2 AND s.reason = 'unsubscribe'";
/* Per ledger row: a person opened (pixel or click), only machines opened, clicks. */
static const char TRACK_SQL[] =
    "SELECT count(CASE WHEN h_open > 0 OR h_click > 0 THEN 1 END),"
    " count(CASE WHEN h_open = 0 AND h_click = 0 AND m_open > 0 THEN 1 END),"
    " count(CASE WHEN h_click > 0 THEN 1 END), coalesce(sum(h_click), 0),"
    " coalesce(sum(m_click), 0) FROM ("
    "  SELECT t.delivery_id, sum(CASE WHEN t.kind = 'o' THEN t.human_count ELSE 0 END) AS h_open,"
    "  sum(CASE WHEN t.kind = 'o' THEN t.count - t.human_count ELSE 0 END) AS m_open,"
    "  sum(CASE WHEN t.kind = 'c' THEN t.human_count ELSE 0 END) AS h_click,"
    "  sum(CASE WHEN t.kind = 'c' THEN t.count - t.human_count ELSE 0 END) AS m_click"
    "  FROM sw_tracking t JOIN sw_deliveries d ON d.id = t.delivery_id"
    "  WHERE d.run_id = ?1 AND d.activity = ?2 GROUP BY t.delivery_id) per_row";
static const char LINKS_SQL[] =
    "SELECT t.link, min(t.url), count(CASE WHEN t.human_count > 0 THEN 1 END),"
    " coalesce(sum(t.human_count), 0)"
    " FROM sw_tracking t JOIN sw_deliveries d ON d.id = t.delivery_id"
    " WHERE d.run_id = ?1 AND d.activity = ?2 AND t.kind = 'c'"
    " GROUP BY t.link ORDER BY t.link";

struct ints {
    int64_t *const *out;
    int n;
};

static void copy_ints(struct sw_stmt *st, void *ud)
{
    const struct ints *x = ud;
    for (int i = 0; i < x->n; i++) {
        *x->out[i] = sw_stmt_column_int(st, i);
    }
}

/* Run `sql` for (run, activity) and copy its row's integer columns into out[]. */
static int row_ints(struct sw_db *db, const char *sql, int64_t run_id, const char *activity,
                    int64_t *const out[], int n, struct sw_error *err)
{
    struct ints x = {out, n};
    return sw_rows_each(db, sql, SW_ARGS(SW_INT(run_id), SW_TEXT(activity)), copy_ints, &x, err);
}

static void add_link(struct sw_stmt *st, void *ud)
{
    struct sw_delivery_report *r = ud;
    r->links = sw_realloc(r->links, (r->nlinks + 1) * sizeof(*r->links));
    struct sw_link_report *l = &r->links[r->nlinks++];
    const char *u = sw_stmt_column_text(st, 1);
    l->link = (int)sw_stmt_column_int(st, 0);
    l->url = sw_strdup(u ? u : "");
    l->unique = sw_stmt_column_int(st, 2);
    l->clicks = sw_stmt_column_int(st, 3);
}

int sw_catalog_delivery_report(struct sw_db *db, int64_t run_id, const char *activity,
                               struct sw_delivery_report *r, struct sw_error *err)
{
    memset(r, 0, sizeof(*r));
    int64_t bounced_sent = 0;
    int64_t *const ledger[] = {&r->targeted, &r->sent, &r->failed, &r->skipped};
    int64_t *const feedback[] = {&r->bounced, &r->hard_bounced, &r->soft_bounced, &r->complained,
                                 &bounced_sent};
    int64_t *const unsub[] = {&r->unsubscribed};
    int64_t *const track[] = {&r->unique_opens, &r->machine_opens, &r->unique_clicks, &r->clicks,
                              &r->machine_clicks};
    int rc = row_ints(db, LEDGER_SQL, run_id, activity, ledger, 4, err);
    if (rc == 0) {
        rc = row_ints(db, FEEDBACK_SQL, run_id, activity, feedback, 5, err);
    }
    if (rc == 0) {
        rc = row_ints(db, UNSUB_SQL, run_id, activity, unsub, 1, err);
    }
    if (rc == 0) {
        rc = row_ints(db, TRACK_SQL, run_id, activity, track, 5, err);
    }
    r->delivered = r->sent - bounced_sent;
    if (rc == 0) {
        rc = sw_rows_each(db, LINKS_SQL, SW_ARGS(SW_INT(run_id), SW_TEXT(activity)), add_link, r,
                          err);
    }
    if (rc != 0) {
        sw_delivery_report_release(r);
    }
    return rc;
}

int sw_catalog_tracking_totals(struct sw_db *db, struct sw_tracking_totals *t,
                               struct sw_error *err)
{
    static const char *const sql[] = {
        "SELECT coalesce(sum(CASE WHEN kind = 'o' THEN count END), 0),"
        " coalesce(sum(CASE WHEN kind = 'o' THEN count - human_count END), 0),"
        " coalesce(sum(CASE WHEN kind = 'c' THEN count END), 0),"
        " coalesce(sum(CASE WHEN kind = 'c' THEN count - human_count END), 0),"
        " count(DISTINCT CASE WHEN human_count > 0 THEN delivery_id END),"
        " count(DISTINCT CASE WHEN kind = 'c' AND human_count > 0 THEN delivery_id END)"
        " FROM sw_tracking",
        "SELECT count(CASE WHEN kind = 'hard_bounce' THEN 1 END),"
        " count(CASE WHEN kind = 'soft_bounce' THEN 1 END),"
        " count(CASE WHEN kind = 'complaint' THEN 1 END)"
        " FROM sw_feedback WHERE delivery_id IS NOT NULL",
        "SELECT count(*) FROM sw_suppressions WHERE reason = 'unsubscribe'"};
    int64_t *const out[][6] = {
        {&t->open_requests, &t->open_machine, &t->click_requests, &t->click_machine, &t->opened,
         &t->clicked},
        {&t->hard_bounces, &t->soft_bounces, &t->complaints},
        {&t->unsubscribes}};
    static const int ncols[] = {6, 3, 1};
    memset(t, 0, sizeof(*t));
    int rc = 0;
    for (int q = 0; q < 3 && rc == 0; q++) {
        struct ints x = {out[q], ncols[q]};
        rc = sw_rows_each(db, sql[q], NULL, 0, copy_ints, &x, err);
    }
    return rc;
}

void sw_delivery_report_release(struct sw_delivery_report *r)
{
    for (size_t i = 0; i < r->nlinks; i++) {
        free(r->links[i].url);
    }
    free(r->links);
    r->links = NULL;
    r->nlinks = 0;
}
