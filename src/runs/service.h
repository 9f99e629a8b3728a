/*
 * service.h - the run service: campaign operations shared by the HTTP API and the scheduler,
 * below both of them: creating runs, the lifecycle transitions of SPEC §3, confirming and
 * repairing deliveries (delivery.c), and loading a run's campaign for a worker. Each
 * operation is one transaction that checks the campaign's state and changes it, so two
 * requests (or two daemons) cannot both start the same campaign.
 *
 * It knows neither the HTTP server nor the scheduler: what it needs from the daemon that
 * holds it (the schema, the event sink) comes as callbacks in struct sw_svc, and the
 * workers' wake-up condition lives here because the service is what creates and wakes runs.
 */
#ifndef SW_RUNS_SERVICE_H
#define SW_RUNS_SERVICE_H

#include "catalog/campaigns.h"
#include "core/error.h"
#include "db/db.h"
#include "engine/activity.h"
#include "model/campaign.h"
#include "schema/schema.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct sw_svc {
    const struct sw_config *config; /* what activities need */
    /* The data source's schema, as a reference the caller drops with sw_schema_free. */
    struct sw_schema *(*schema)(void *ud);
    /* Discover the schema again on db when the data source's own schema changed since (on an
     * error the current one stays). */
    void (*refresh)(void *ud, struct sw_db *db);
    /* The event sink: a run was created or woken (the live feed reads the catalog again). */
    void (*notify)(void *ud);
    void *ud;
    /* Counters for /metrics. */
    atomic_llong runs_started;
    atomic_llong tasks_executed;
    atomic_llong ticks_skipped;
    /* The workers' wake-up: sw_svc_kick and sw_svc_wake end sw_svc_sleep early. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stopping; /* set once by sw_svc_shutdown */
};

/* Set up the wake-up condition and counters; the caller fills the callbacks. */
void sw_svc_init(struct sw_svc *svc);
void sw_svc_release(struct sw_svc *svc);
/* Wake the workers (sw_svc_kick also tells the event sink: a run was created or resumed). */
void sw_svc_wake(struct sw_svc *svc);
void sw_svc_kick(struct sw_svc *svc);
/* Sleep up to ms, or until woken or shut down. */
void sw_svc_sleep(struct sw_svc *svc, int64_t ms);
/* The daemon is stopping: wake everyone, and sleeps return at once from now on. */
void sw_svc_shutdown(struct sw_svc *svc);
/* Discover the schema again when the data source's changed (a run sees it as it is now). */
void sw_svc_refresh(struct sw_svc *svc, struct sw_db *db);

/* Start a run of a campaign now (trigger "manual", "schedule", "signal", "run-now"),
 * with variable overrides (may be NULL). Refused (SW_ECONFLICT) while a run is active. */
int sw_svc_start_run(struct sw_svc *svc, struct sw_db *db, int64_t campaign_id,
                     const char *trigger, const json_t *overrides, int64_t *run_id,
                     struct sw_error *err);
/* A simulation run executed to its end in the caller's thread; returns its counts. */
int sw_svc_simulate(struct sw_svc *svc, struct sw_db *db, int64_t campaign_id,
                    const json_t *overrides, json_t **result, struct sw_error *err);

/* Lifecycle actions: "start", "run-now", "pause", "resume", "stop", "retry", one row each of
 * a table (service.c): the action, the campaign statuses it applies to, its effect. On
 * success *out holds the campaign as the API shows it. SW_ECONFLICT names the current
 * status. */
struct sw_svc_action_ctx;
struct sw_svc_action_def {
    const char *name; /* as in POST /campaigns/{id}/{name} */
    const char *verb; /* in messages: "cannot run now a campaign that is draft" */
    unsigned allowed; /* the campaign statuses it applies to: SW_CS() bits (catalog/status.h) */
    int (*effect)(struct sw_svc_action_ctx *x, struct sw_error *err);
    void (*after)(struct sw_svc_action_ctx *x); /* once committed, or NULL */
};
/* The action called name, or NULL. */
const struct sw_svc_action_def *sw_svc_action_find(const char *name);
/* Whether the action applies to a campaign in status (its catalog text). */
bool sw_svc_action_allowed(const struct sw_svc_action_def *a, const char *status);
int sw_svc_action(struct sw_svc *svc, struct sw_db *db, int64_t campaign_id,
                  const char *action, json_t **out, struct sw_error *err);

/* The campaign as the API shows it (with its document when with_document). */
int sw_svc_campaign_json(struct sw_db *db, int64_t id, bool with_document, json_t **out,
                         struct sw_error *err);

/* A new draft campaign row from a validated document; its id, or 0 with err set. */
int64_t sw_svc_campaign_insert(struct sw_db *db, const struct sw_campaign *c, struct sw_error *err);
/* The catalog columns of a validated document; *tags and *document are the caller's to free. */
void sw_svc_campaign_fields(const struct sw_campaign *c, struct sw_campaign_fields *f,
                            char **tags, char **document);

/* Load a campaign document (text) against the current schema. */
int sw_svc_load(struct sw_svc *svc, const char *document, struct sw_campaign **out,
                struct sw_error *err);

/* Drop the work tables of a campaign's runs: all of them, or (stopped_at > 0) those of the
 * runs stopped at that time. */
void sw_svc_drop_campaign_tables(struct sw_db *db, int64_t campaign_id, int64_t stopped_at);
/* Drop the work tables of a run (those its tasks created). */
void sw_svc_drop_run_tables(struct sw_db *db, int64_t run_id);

/* delivery.c: POST /runs/{id}/activities/{aid}/confirm and .../retry-failed. */
int sw_svc_confirm(struct sw_svc *svc, struct sw_db *db, int64_t run_id, const char *aid,
                   json_t **out, struct sw_error *err);
int sw_svc_retry_failed(struct sw_svc *svc, struct sw_db *db, int64_t run_id, const char *aid,
                        bool include_unknown, json_t **out, struct sw_error *err);

#endif
