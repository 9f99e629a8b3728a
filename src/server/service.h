/*
 * service.h - campaign operations shared by the HTTP API and the scheduler: creating runs,
 * the lifecycle transitions of SPEC §3, and loading a run's campaign for a worker. Each
 * operation is one transaction that checks the campaign's state and changes it, so two
 * requests (or two daemons) cannot both start the same campaign.
 */
#ifndef SW_SERVICE_H
#define SW_SERVICE_H

#include "server/server.h"

#include "model/campaign.h"

#include <jansson.h>

/* Start a run of a campaign now (trigger "manual", "schedule", "signal", "run-now"),
 * with variable overrides (may be NULL). Refused (SW_ECONFLICT) while a run is active. */
int sw_svc_start_run(struct sw_server *srv, struct sw_db *db, int64_t campaign_id,
                     const char *trigger, const json_t *overrides, int64_t *run_id,
                     struct sw_error *err);
/* A simulation run executed to its end in the caller's thread; returns its counts. */
int sw_svc_simulate(struct sw_server *srv, struct sw_db *db, int64_t campaign_id,
                    const json_t *overrides, json_t **result, struct sw_error *err);

/* Lifecycle actions: "start", "run-now", "pause", "resume", "stop", "retry". On success *out
 * holds the campaign as the API shows it. SW_ECONFLICT names the current status. */
int sw_svc_action(struct sw_server *srv, struct sw_db *db, int64_t campaign_id,
                  const char *action, json_t **out, struct sw_error *err);

/* The columns of a campaign as the API shows it, in the order sw_svc_campaign_row reads
 * them (the document follows when with_document). */
#define SW_CAMPAIGN_COLS                                                                           \
    "id, name, description, status, campaign, dimension, tags, created_at, updated_at, "          \
    "last_run_at, next_run_at, last_error_activity"
json_t *sw_svc_campaign_row(struct sw_stmt *st, int first_col, bool with_document);
/* The campaign as the API shows it (with its document when with_document). */
int sw_svc_campaign_json(struct sw_db *db, int64_t id, bool with_document, json_t **out,
                         struct sw_error *err);

/* A new draft campaign row from a validated document; its id, or 0 with err set. */
int64_t sw_svc_campaign_insert(struct sw_db *db, const struct sw_campaign *c, struct sw_error *err);
/* ?1..?6: name, description, campaign, dimension, tags (JSON), document, from a document. */
void sw_svc_campaign_params(struct sw_params *p, const struct sw_campaign *c);

/* Load a campaign document (text) against the server's schema. */
int sw_svc_load(struct sw_server *srv, const char *document, struct sw_campaign **out,
                struct sw_error *err);

/* Drop the work tables of a campaign's runs; cond (a trusted SQL fragment ending in an
 * operator, e.g. "ended_at = ") and value narrow the runs, cond NULL means all of them. */
void sw_svc_drop_campaign_tables(struct sw_db *db, int64_t campaign_id, const char *cond,
                                 int64_t value);
/* Drop the work tables of a run (those its tasks created). */
void sw_svc_drop_run_tables(struct sw_db *db, int64_t run_id);

/* service_delivery.c: POST /runs/{id}/activities/{aid}/confirm and .../retry-failed. */
int sw_svc_confirm(struct sw_server *srv, struct sw_db *db, int64_t run_id, const char *aid,
                   json_t **out, struct sw_error *err);
int sw_svc_retry_failed(struct sw_server *srv, struct sw_db *db, int64_t run_id, const char *aid,
                        bool include_unknown, json_t **out, struct sw_error *err);

#endif
