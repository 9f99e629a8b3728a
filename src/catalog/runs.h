/*
 * runs.h - runs and their tasks (sw_runs, sw_tasks): a run executes a snapshot of its
 * campaign's document with its variables and seed; a task is one activity of one run, with
 * its state, its wake-up time and its outputs (the work tables it made and their counts).
 *
 * Times are milliseconds, 0 meaning none (stored as NULL).
 */
#ifndef SW_CATALOG_RUNS_H
#define SW_CATALOG_RUNS_H

#include "catalog/catalog.h"
#include "catalog/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct sw_run_row {
    int64_t id, campaign_id;
    enum sw_run_status status;
    char *trigger;
    bool simulation;
    char *variables; /* JSON object text, or NULL */
    int64_t seed;    /* 63 bits */
    int64_t started_at, ended_at, wake_at;
    char *error;
    char *document; /* the run's snapshot (else its campaign's), only when asked */
};
void sw_run_row_release(struct sw_run_row *r); /* accepts a zeroed row */
void sw_run_rows_free(struct sw_run_row *rows, size_t n);

/* A new run, status running. A run executes a snapshot of the document (a later edit of the
 * campaign does not change a run under way, including one resumed after a crash). */
struct sw_run_new {
    int64_t campaign_id;
    const char *trigger;
    bool simulation;
    const char *variables; /* JSON, or NULL */
    uint64_t seed;
    const char *document;
    int64_t now_ms;
};
int sw_catalog_run_create(struct sw_catalog *cat, const struct sw_run_new *r, int64_t *run_id,
                          struct sw_error *err);
/* One run; SW_ENOTFOUND when there is none. */
int sw_catalog_run_get(struct sw_catalog *cat, int64_t id, bool with_document,
                       struct sw_run_row *out, struct sw_error *err);
/* A campaign's runs newest first: ids below before_id (0 = from the newest), statuses in a
 * comma-separated list (NULL = any), at most limit. */
int sw_catalog_runs_of_campaign(struct sw_catalog *cat, int64_t campaign_id, const char *statuses,
                                int64_t before_id, int64_t limit, struct sw_run_row **rows,
                                size_t *n, struct sw_error *err);
int sw_catalog_run_set_status(struct sw_catalog *cat, int64_t run_id, enum sw_run_status status,
                              struct sw_error *err);
int sw_catalog_run_finish(struct sw_catalog *cat, int64_t run_id, enum sw_run_status status,
                          const char *error, int64_t now_ms, struct sw_error *err);
/* Simulations still marked running: at startup, one a crash cut short has nobody left to
 * report to, so it is failed ("interrupted by a restart"). */
int sw_catalog_runs_fail_interrupted_simulations(struct sw_catalog *cat, struct sw_error *err);
/* Running non-simulated runs, the soonest due first (wake_at 0: due now), at most limit: what
 * the daemon's workers claim. */
struct sw_run_wake {
    int64_t id, wake_at;
};
int sw_catalog_runs_running(struct sw_catalog *cat, int64_t limit, struct sw_run_wake **rows,
                            size_t *n, struct sw_error *err);
/* When a waiting run can continue (0: now). */
int sw_catalog_run_set_wake(struct sw_catalog *cat, int64_t run_id, int64_t wake_at,
                            struct sw_error *err);
/* Non-simulated runs of the campaign that are running or paused. */
int64_t sw_catalog_active_runs(struct sw_catalog *cat, int64_t campaign_id);
/* Start time of the latest earlier completed non-simulated run of the campaign (0 if none). */
int64_t sw_catalog_prev_run_started(struct sw_catalog *cat, int64_t campaign_id, int64_t run_id);

struct sw_task_row {
    int64_t id;
    char *activity, *type;
    enum sw_task_status status;
    int64_t started_at, ended_at, wake_at;
    bool counted; /* input_count is known */
    int64_t input_count;
    char *outputs; /* {"port": {"table", "count", "emitted", "owned"}} text, or NULL */
    char *error;
};
void sw_task_rows_free(struct sw_task_row *rows, size_t n);

int sw_catalog_task_create(struct sw_catalog *cat, int64_t run_id, const char *activity,
                           const char *type, int64_t *task_id, struct sw_error *err);
/* A task's whole state, written at once. */
struct sw_task_state {
    enum sw_task_status status;
    int64_t started_at, ended_at, wake_at;
    bool counted;
    int64_t input_count;
    const char *outputs; /* JSON, or NULL */
    const char *error;
};
int sw_catalog_task_set(struct sw_catalog *cat, int64_t task_id, const struct sw_task_state *s,
                        struct sw_error *err);
/* A run's tasks in creation order. */
int sw_catalog_tasks(struct sw_catalog *cat, int64_t run_id, struct sw_task_row **rows, size_t *n,
                     struct sw_error *err);
/* Task rows of a run as a JSON array (SPEC task fields; times in ms), channel tasks with
 * their ledger counts ("delivery"). */
json_t *sw_catalog_tasks_json(struct sw_catalog *cat, int64_t run_id);
/* Set the wake-up time of a run's task (0 = now: it runs at the next step). */
int sw_catalog_task_wake(struct sw_catalog *cat, int64_t run_id, const char *activity,
                         int64_t wake_at, struct sw_error *err);

/* ---- what the lifecycle actions do to a campaign's runs (runs/service.c) ---- */

/* The campaign's non-simulated runs in status `from` move to `to` (pause, resume). */
int sw_catalog_campaign_runs_move(struct sw_catalog *cat, int64_t campaign_id,
                                  enum sw_run_status from, enum sw_run_status to,
                                  struct sw_error *err);
/* Stop: the pending and running tasks of the campaign's running or paused runs are skipped,
 * then those runs are stopped, both ended at now. */
int sw_catalog_campaign_runs_stop(struct sw_catalog *cat, int64_t campaign_id, int64_t now_ms,
                                  struct sw_error *err);
/* The campaign's latest failed non-simulated run, or 0. */
int64_t sw_catalog_last_failed_run(struct sw_catalog *cat, int64_t campaign_id);
/* Retry: the run's failed and skipped tasks go back to pending, the run to running (completed
 * tasks and their work tables are kept). */
int sw_catalog_run_retry(struct sw_catalog *cat, int64_t run_id, struct sw_error *err);
/* The ids of a campaign's runs: all of them, or (stopped_at > 0) those stopped at that time. */
int sw_catalog_run_ids(struct sw_catalog *cat, int64_t campaign_id, int64_t stopped_at,
                       int64_t **ids, size_t *n, struct sw_error *err);
/* The work tables (wt_...) a run's tasks created and own, by name. */
int sw_catalog_run_work_tables(struct sw_catalog *cat, int64_t run_id, char ***tables, size_t *n,
                               struct sw_error *err);

/* ---- a channel task's repair (runs/delivery.c) ---- */

/* A task held by confirm_before_send (wake_at = held) wakes at now, and so does its run;
 * *woke says whether it was held. */
int sw_catalog_task_release(struct sw_catalog *cat, int64_t run_id, const char *activity,
                            int64_t held, int64_t now_ms, bool *woke, struct sw_error *err);
/* The task runs again from now (sending only pending rows): the task and its run are running,
 * and so is the campaign if it had completed or failed. */
int sw_catalog_task_reopen(struct sw_catalog *cat, int64_t run_id, const char *activity,
                           int64_t now_ms, struct sw_error *err);

#endif
