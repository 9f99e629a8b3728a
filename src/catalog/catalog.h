/*
 * catalog.h - Stepwise's own state as rows: campaigns, templates, runs, tasks, logs,
 * audiences and the incremental-targeting memory, with versioned migrations.
 *
 * Where it lives: inside the data source itself, in tables prefixed "sw_" (saved audiences
 * in "swa_<id>", work tables in "wt_<run>_..."). One database means one transaction can
 * create a task's work tables and mark the task completed, so a crash either keeps both or
 * neither; a restart continues from these rows. Schema discovery ignores these tables.
 *
 * Every SQL statement on an sw_ table is in src/catalog/, one file per group of tables with
 * its header: campaigns.h, runs.h (runs and tasks), logs.h, audiences.h, hints.h, auth.h,
 * prefs.h, templates.h, events.h, scheduling.h; statuses in status.h. Rows come out as typed
 * structs and go in as them; a status is an enum whose text only SQL and JSON see.
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

/* Open the catalog in db, applying the migrations it lacks (catalog.c). */
int sw_catalog_open(struct sw_db *db, struct sw_catalog **out, struct sw_error *err);
void sw_catalog_free(struct sw_catalog *cat);

/* How many campaigns, runs or tasks are in each status (for /metrics), by status text. */
enum sw_catalog_counted { SW_COUNT_CAMPAIGNS, SW_COUNT_RUNS, SW_COUNT_TASKS };
struct sw_status_count {
    char *status;
    int64_t n;
};
int sw_catalog_status_counts(struct sw_catalog *cat, enum sw_catalog_counted what,
                             struct sw_status_count **rows, size_t *n, struct sw_error *err);
void sw_status_counts_free(struct sw_status_count *rows, size_t n);

#endif
