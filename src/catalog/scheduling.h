/*
 * scheduling.h - what the scheduler thread and the engine's flow activities share through the
 * catalog: campaigns whose tick is due, signals queued by `end` activities (sw_signals),
 * the incremental-targeting memory of build_audience (sw_incremental), and the history purge.
 */
#ifndef SW_CATALOG_SCHEDULING_H
#define SW_CATALOG_SCHEDULING_H

#include "catalog/catalog.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>

/* A running campaign whose next tick is due. */
struct sw_due_campaign {
    int64_t id, next_run_at;
    char *document;
};
void sw_due_campaigns_free(struct sw_due_campaign *rows, size_t n);
/* Running campaigns due by now, soonest first, at most limit. */
int sw_catalog_due_campaigns(struct sw_catalog *cat, int64_t now_ms, int64_t limit,
                             struct sw_due_campaign **rows, size_t *n, struct sw_error *err);
/* Set the next tick (0: none); with complete, a running campaign becomes completed. */
int sw_catalog_campaign_tick_done(struct sw_catalog *cat, int64_t id, int64_t next_ms,
                                  bool complete, struct sw_error *err);

/* A signal queued by an `end` activity for the campaign `target` (an id or a name). */
struct sw_signal_row {
    int64_t id;
    char *target, *variables; /* variables: JSON object text, or NULL */
};
void sw_signal_rows_free(struct sw_signal_row *rows, size_t n);
int sw_catalog_signal_add(struct sw_catalog *cat, const char *target, const char *variables,
                          int64_t source_run_id, int64_t now_ms, struct sw_error *err);
/* Signals not consumed yet, oldest first, at most limit. */
int sw_catalog_signals_pending(struct sw_catalog *cat, int64_t limit, struct sw_signal_row **rows,
                               size_t *n, struct sw_error *err);
int sw_catalog_signal_consumed(struct sw_catalog *cat, int64_t id, int64_t now_ms,
                               struct sw_error *err);

/* Incremental targeting: " AND NOT EXISTS (...)" keeping the keys (key_expr, a trusted SQL
 * expression) that activity `activity` of the campaign has not targeted yet. */
void sw_catalog_incremental_exclude(struct sw_buf *sql, struct sw_params *p, int64_t campaign_id,
                                    const char *activity, const char *key_expr);
/* Remember the keys (_key) of work table `table` as targeted. */
int sw_catalog_incremental_remember(struct sw_catalog *cat, int64_t campaign_id,
                                    const char *activity, const char *table, struct sw_error *err);

/* History: finished runs older than their campaign's options.history_days (else
 * default_days), those of deleted campaigns too, at most limit. */
int sw_catalog_runs_expired(struct sw_catalog *cat, int64_t now_ms, int64_t default_days,
                            int64_t limit, int64_t **ids, size_t *n, struct sw_error *err);
/* A run's rows: its tasks and logs, then the run (its work tables and its ledger rows and
 * confirmations, sw_ledger_purge_run, are the caller's). */
int sw_catalog_run_delete(struct sw_catalog *cat, int64_t run_id, struct sw_error *err);

#endif
