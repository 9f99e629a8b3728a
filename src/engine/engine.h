/*
 * engine.h - runs: a run is a set of tasks over the activity graph, one per activity; a
 * task becomes ready when its inputs are resolved, and executes in one transaction that
 * writes its work tables and marks it completed. All state is in the catalog, so
 * sw_engine_step() works the same for a fresh run and for one resumed after a crash.
 */
#ifndef SW_ENGINE_H
#define SW_ENGINE_H

#include "catalog/catalog.h"
#include "engine/activity.h"
#include "model/campaign.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct sw_engine {
    struct sw_db *db;
    struct sw_catalog *cat;
    const struct sw_schema *schema;
    const struct sw_config *config;
};

/* Progress events for a terminal display. */
struct sw_task_event {
    const char *activity;
    const char *type;
    const char *status;  /* "running", "completed", "failed", "skipped", "waiting" */
    int64_t input_count;
    const json_t *counts; /* {"port": N} when completed */
    int64_t elapsed_ms;
    const char *error;
};

struct sw_run_opts {
    const char *trigger;        /* "cli", "manual", "schedule", "signal" */
    bool dry_run;
    const json_t *variables;    /* declared variables with overrides applied */
    uint64_t seed;              /* 0 = pick one */
    void (*progress)(void *ud, const struct sw_task_event *ev);
    void *ud;
};

enum sw_run_state {
    SW_RUN_ACTIVE,
    SW_RUN_WAITING,
    SW_RUN_COMPLETED,
    SW_RUN_FAILED,
    SW_RUN_PAUSED,
    SW_RUN_STOPPED,
    SW_RUN_HELD /* sw_engine_continue: a channel activity waits for its confirmation */
};

/* Create the run and its pending tasks inside the caller's transaction (the daemon checks
 * the campaign's state and creates the run atomically). */
int sw_engine_create_run(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                         const struct sw_run_opts *opts, int64_t *run_id, struct sw_error *err);
/* Create the run and its pending tasks, in a transaction of its own. */
int sw_engine_start(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                    const struct sw_run_opts *opts, int64_t *run_id, struct sw_error *err);
/* Execute every ready task. Returns the run state; *wake_ms gets the earliest time a
 * waiting task can continue (SW_RUN_WAITING). Finishing the run (status, work-table
 * cleanup, campaign status) happens here when nothing is left. */
int sw_engine_step(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                   int64_t run_id, const struct sw_run_opts *opts, int64_t *wake_ms,
                   struct sw_error *err);
/* Start and step until the run ends, sleeping through waits (the CLI). Returns the final
 * state (SW_RUN_COMPLETED or SW_RUN_FAILED) or a negative error. */
int sw_engine_run(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                  const struct sw_run_opts *opts, int64_t *run_id, struct sw_error *err);

/* Step an existing run until it ends, sleeping through waits: the CLI's run and resume. */
int sw_engine_continue(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                       int64_t run_id, const struct sw_run_opts *opts, struct sw_error *err);

/* {"<activity>": {"<port>": N}} for every executed task of the run. */
json_t *sw_engine_counts(struct sw_engine *eng, int64_t run_id);

#endif
