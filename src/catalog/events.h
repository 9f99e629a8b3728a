/*
 * events.h - the journal behind the live feed (sw_events, migration 7): rows written by
 * triggers in the transaction of each status change, and "delivery" rows (a channel task's
 * ledger counts) written by the daemon's feed thread (server/events.c).
 */
#ifndef SW_CATALOG_EVENTS_H
#define SW_CATALOG_EVENTS_H

#include "catalog/catalog.h"

#include <stdint.h>

struct sw_event_row {
    int64_t id, ts;
    char *type;
    int64_t campaign_id, run_id; /* 0: none */
    char *payload;               /* JSON object text */
};
void sw_event_rows_free(struct sw_event_row *rows, size_t n);

/* Events after `after` (up to `upto` when > 0), of one campaign and one run when they are not
 * 0, in id order, at most limit. */
struct sw_event_query {
    int64_t after, upto, campaign_id, run_id, limit;
};
int sw_catalog_events(struct sw_catalog *cat, const struct sw_event_query *q,
                      struct sw_event_row **rows, size_t *n, struct sw_error *err);
/* The oldest and newest event ids (0 and 0 when there is none). */
int sw_catalog_events_bounds(struct sw_catalog *cat, int64_t *min_id, int64_t *max_id,
                             struct sw_error *err);
int sw_catalog_event_add(struct sw_catalog *cat, int64_t ts, const char *type,
                         int64_t campaign_id, int64_t run_id, const char *payload,
                         struct sw_error *err);
/* Events older than before_ts go, except the newest (ids are never reused). */
int sw_catalog_events_purge(struct sw_catalog *cat, int64_t before_ts, struct sw_error *err);

/* A channel task (email, sms, push) of a non-simulated run. */
struct sw_channel_task {
    int64_t task_id, run_id, campaign_id;
    char *activity;
};
void sw_channel_tasks_free(struct sw_channel_task *rows, size_t n);
/* Channel tasks running in running or paused runs. */
int sw_catalog_channel_tasks_running(struct sw_catalog *cat, struct sw_channel_task **rows,
                                     size_t *n, struct sw_error *err);
/* Channel tasks that stopped running in task events after `after`. */
int sw_catalog_channel_tasks_stopped(struct sw_catalog *cat, int64_t after,
                                     struct sw_channel_task **rows, size_t *n,
                                     struct sw_error *err);
/* The delivery counts (JSON text, malloc'd) of the task's last "delivery" event, or NULL. */
char *sw_catalog_event_last_delivery(struct sw_catalog *cat, int64_t run_id, int64_t task_id);

#endif
