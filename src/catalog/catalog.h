/*
 * catalog.h - Stepwise's own state as rows: campaigns, templates, runs, tasks, logs,
 * audiences and the incremental-targeting memory, with versioned migrations.
 *
 * Where it lives: inside the data source itself, in tables prefixed "sw_" (saved audiences
 * in "swa_<id>", work tables in "wt_<run>_..."). One database means one transaction can
 * create a task's work tables and mark the task completed, so a crash either keeps both or
 * neither; a restart continues from these rows. Schema discovery ignores these tables.
 */
#ifndef SW_CATALOG_H
#define SW_CATALOG_H

#include "core/error.h"
#include "db/db.h"

#include <jansson.h>
#include <stdint.h>

struct sw_catalog {
    struct sw_db *db;
};

int sw_catalog_open(struct sw_db *db, struct sw_catalog **out, struct sw_error *err);
void sw_catalog_free(struct sw_catalog *cat);

/* Campaign row for a document run from the CLI: found by name, else created (draft). The
 * stored definition is replaced by `document`. */
int sw_catalog_campaign_upsert(struct sw_catalog *cat, const char *name, const char *document,
                               const char *dimension, int64_t now_ms, int64_t *id,
                               struct sw_error *err);
/* Set status / last_run_at / last_error_activity after a run. */
int sw_catalog_campaign_after_run(struct sw_catalog *cat, int64_t campaign_id, const char *status,
                                  int64_t last_run_at, const char *error_activity,
                                  struct sw_error *err);

/* A run executes a snapshot of the document (a later edit of the campaign does not change
 * a run that is under way, including one resumed after a crash). */
int sw_catalog_run_create(struct sw_catalog *cat, int64_t campaign_id, const char *trigger,
                          int simulation, const char *variables_json, uint64_t seed,
                          const char *document, int64_t now_ms, int64_t *run_id,
                          struct sw_error *err);
int sw_catalog_run_finish(struct sw_catalog *cat, int64_t run_id, const char *status,
                          const char *error, int64_t now_ms, struct sw_error *err);
/* Start time of the latest earlier non-simulated run of the campaign (0 if none). */
int64_t sw_catalog_prev_run_started(struct sw_catalog *cat, int64_t campaign_id, int64_t run_id);

int sw_catalog_task_create(struct sw_catalog *cat, int64_t run_id, const char *activity,
                           const char *type, int64_t *task_id, struct sw_error *err);
int sw_catalog_task_set(struct sw_catalog *cat, int64_t task_id, const char *status,
                        int64_t started_at, int64_t ended_at, int64_t wake_at,
                        int64_t input_count, const char *outputs_json, const char *error,
                        struct sw_error *err);

int sw_catalog_log(struct sw_catalog *cat, const char *level, int64_t campaign_id, int64_t run_id,
                   const char *activity, const char *message);

/* Saved audiences: the table holding an audience's keys ("swa_<id>"), or NULL. */
char *sw_catalog_audience_table(struct sw_catalog *cat, const char *name);
/* The dimension an audience holds keys of (malloc'd), or NULL when there is no such audience. */
char *sw_catalog_audience_dimension(struct sw_catalog *cat, const char *name);
/* Create (or find) the audience row; returns its table name (malloc'd). */
int sw_catalog_audience_ensure(struct sw_catalog *cat, const char *name, const char *dimension,
                               char **table, int *created, struct sw_error *err);
int sw_catalog_audience_set_count(struct sw_catalog *cat, const char *name, int64_t count,
                                  int64_t now_ms, struct sw_error *err);

/* Task rows of a run as a JSON array (SPEC task fields). */
json_t *sw_catalog_tasks_json(struct sw_catalog *cat, int64_t run_id);

/* Schema hints stored through the API (migration 8). get: *doc is the JSON text (malloc'd)
 * or NULL when none is stored; *by may be NULL. */
int sw_catalog_hints_get(struct sw_catalog *cat, char **doc, int64_t *updated_at, char **by,
                         struct sw_error *err);
int sw_catalog_hints_put(struct sw_catalog *cat, const char *doc, int64_t now_ms, const char *by,
                         struct sw_error *err);
int sw_catalog_hints_delete(struct sw_catalog *cat, struct sw_error *err);

#endif
