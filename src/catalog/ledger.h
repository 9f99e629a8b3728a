/*
 * ledger.h - the delivery ledger (SPEC §2.2 "Delivery"): every recipient of a channel
 * activity becomes a row before anything is sent, so that who was reached, skipped or not
 * reached is always answerable, and nothing is sent twice (a row is sent at most once; the
 * row's id gives the provider a stable message id). This file is the only code that writes SQL
 * on the ledger (sw_deliveries) and the confirmations of held activities (sw_confirmations);
 * states and skip reasons are enum sw_delivery_state / sw_delivery_reason (catalog/status.h).
 *
 * Filling happens in the channel task's transaction, as two set-based statements: one row
 * per recipient of the population (skipped "missing_address" when the address is empty), then
 * "duplicate_address" for all but the first row of each address, then "suppressed" for the
 * addresses on the channel's suppression list (catalog/suppressions.h; the cause in `error`).
 *
 * The frequency cap (docs/ARCHITECTURE.md "The frequency cap"): at most N messages per address
 * and channel within the period, across runs, campaigns and retries. A row counts against the
 * cap when it is `sending` (in flight), `sent`, or `unknown` (it may have been delivered), and
 * its send (sent_at, else its last update) falls within the period; `pending`, `failed` and
 * `skipped` rows never count, so a stopped run's unsent rows release their share. The decision
 * that holds is taken when a row is claimed for sending (sw_ledger_claim), inside the claiming
 * write transaction: claims are serialized by the database's write lock, so two runs that
 * claim the same address at the same moment see each other's `sending` row, and the second is
 * skipped with reason "frequency_cap".
 */
#ifndef SW_LEDGER_H
#define SW_LEDGER_H

#include "catalog/status.h"
#include "core/error.h"
#include "db/db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_frequency_cap {
    int64_t count;     /* 0 = no cap */
    int64_t period_ms;
};

/* "3/7d", "1/24h", "5/2w": count/duration. 0, or SW_EINVAL with a message. */
int sw_frequency_cap_parse(const char *s, struct sw_frequency_cap *cap, struct sw_error *err);

/* The `frequency_cap` setting: one limit for every channel ("1/7d"), one per channel
 * ("email:3/7d,sms:1/7d"), or a default with exceptions ("3/7d,sms:1/7d"). A channel with no
 * limit of its own and no default is not capped. */
struct sw_frequency_caps {
    struct sw_frequency_cap email, sms, push;
};
int sw_frequency_caps_parse(const char *s, struct sw_frequency_caps *caps, struct sw_error *err);
/* The cap of "email", "sms" or "push" (count 0: none). */
struct sw_frequency_cap sw_frequency_caps_for(const struct sw_frequency_caps *caps,
                                              const char *channel);
/* The longest period of any channel (0 when nothing is capped). */
int64_t sw_frequency_caps_period(const struct sw_frequency_caps *caps);

/* A personalization field captured into the ledger row: from the population's work table
 * (an enrichment column) or from the dimension. */
struct sw_ledger_field {
    const char *name;
    bool from_work;
};

struct sw_ledger_spec {
    int64_t run_id;
    const char *activity;
    const char *channel;      /* "email", "sms", "push" */
    const char *table;        /* the population's work table (column _key) */
    const char *dimension;    /* its dimension table */
    const char *pk;           /* the dimension's primary key */
    const char *to_field;     /* the dimension column holding the address */
    int64_t now_ms;
    const struct sw_ledger_field *fields; /* captured as the row's `fields` JSON (text values) */
    size_t nfields;
};

/* An activity's rows by state, and its skipped rows by reason. */
struct sw_ledger_counts {
    int64_t targeted;          /* rows in the ledger for this activity */
    int64_t pending;
    int64_t sending;
    int64_t sent;
    int64_t failed;
    int64_t unknown;
    int64_t missing_address;   /* skipped, by reason */
    int64_t duplicate_address;
    int64_t frequency_cap;
    int64_t suppressed;
    int64_t run_stopped;
    int64_t skipped_other;     /* skipped with no reason the table knows */
};

/* Fill the ledger for one channel task (idempotent: a re-run after a crash adds nothing and
 * changes no row that moved past pending). */
int sw_ledger_fill(struct sw_db *db, const struct sw_ledger_spec *spec,
                   struct sw_ledger_counts *counts, struct sw_error *err);
/* Counts by state/reason of an activity's rows: two queries the (run_id, activity, state, id)
 * index answers (the reasons read the skipped rows only). */
int sw_ledger_counts(struct sw_db *db, int64_t run_id, const char *activity,
                     struct sw_ledger_counts *counts, struct sw_error *err);
/* A channel task's "delivery" object as the API shows it: {targeted, pending, sending, sent,
 * failed, unknown, skipped: {missing_address, duplicate_address, frequency_cap, and any other
 * reason that has rows ("other" for none)}}. */
json_t *sw_ledger_counts_json(const struct sw_ledger_counts *counts);
/* Ledger rows of every run by channel, state and reason ("" when none), for /metrics: fn is
 * called once per group, in that order. */
int sw_ledger_totals(struct sw_db *db,
                     void (*fn)(void *ud, const char *channel, const char *state,
                                const char *reason, int64_t n),
                     void *ud, struct sw_error *err);

/* A row as GET /runs/{id}/deliveries lists it (strings owned by the array). */
struct sw_delivery {
    int64_t id;
    char *activity, *channel, *recipient, *address, *state, *reason, *error;
    int64_t attempts, sent_at, updated_at; /* 0: not sent */
};
/* Rows of a run with id > after_id, in id order, at most limit; state and activity (may be
 * NULL) filter. *rows is malloc'd (sw_deliveries_free). */
int sw_ledger_list(struct sw_db *db, int64_t run_id, const char *state, const char *activity,
                   int64_t after_id, int64_t limit, struct sw_delivery **rows, size_t *n,
                   struct sw_error *err);
void sw_deliveries_free(struct sw_delivery *rows, size_t n);
/* The address of email row id (malloc'd), or NULL when there is no such row. */
char *sw_ledger_email_address(struct sw_db *db, int64_t id);

/* Whether an activity has any ledger row (filled once: a task run again finds them). */
int sw_ledger_filled(struct sw_db *db, int64_t run_id, const char *activity, bool *filled,
                     struct sw_error *err);
/* Rows a crash left `sending` may have reached the provider: they become `unknown` ("interrupted
 * while sending"), never resent on our own. */
int sw_ledger_mark_interrupted(struct sw_db *db, int64_t run_id, const char *activity,
                               int64_t now_ms, struct sw_error *err);
/* When the earliest pending row is due (0: no pending row). */
int sw_ledger_next_due(struct sw_db *db, int64_t run_id, const char *activity, int64_t *at_ms,
                       struct sw_error *err);
/* Run `insert`, an INSERT ... SELECT ... FROM <work table> w written by the engine, restricted
 * to the rows w whose ledger row (recipient = w._key) of (run, activity) is in `state`; *n
 * receives the rows inserted. */
int sw_ledger_insert_in_state(struct sw_db *db, const char *insert, int64_t run_id,
                              const char *activity, enum sw_delivery_state state, int64_t *n,
                              struct sw_error *err);
/* Failed rows (and unknown ones with include_unknown) go back to pending with their attempts
 * reset (retry-failed); *n receives how many. */
int sw_ledger_requeue(struct sw_db *db, int64_t run_id, const char *activity,
                      bool include_unknown, int64_t now_ms, int64_t *n, struct sw_error *err);
/* Whether a run may go on sending: it is running (a paused or stopped run claims nothing more;
 * a run that cannot be read is taken as running, the next claim will tell). */
bool sw_ledger_run_sending(struct sw_db *db, int64_t run_id);
/* Stopping a campaign: the pending rows of its running and paused runs never go (skipped
 * "run_stopped"; a worker still sending finishes the rows it marked sending). */
int sw_ledger_skip_stopped_campaign(struct sw_db *db, int64_t campaign_id, int64_t now_ms,
                                    struct sw_error *err);

/* confirm_before_send: whether a confirmation of (run, activity) is recorded, and recording one
 * (by "api" or "cli"; a second one keeps the first). *confirmed_at (may be NULL) receives the
 * recorded time. */
int sw_ledger_confirmed(struct sw_db *db, int64_t run_id, const char *activity, bool *yes,
                        struct sw_error *err);
int sw_ledger_confirm(struct sw_db *db, int64_t run_id, const char *activity, const char *by,
                      int64_t now_ms, int64_t *confirmed_at, struct sw_error *err);

/* Claiming rows for sending: due `pending` rows of one activity become `sending` (attempts + 1),
 * in id order, skipping those suppressed meanwhile (reason "suppressed") and those over the
 * frequency cap (reason "frequency_cap"). The caller holds
 * a write transaction (sw_db_begin) around sw_ledger_claim and commits it before sending. */
struct sw_ledger_claimer;
struct sw_ledger_row {
    int64_t id;
    char *address;
    int64_t attempts; /* including the one being made */
    char *fields;     /* the captured personalization fields (JSON text) or NULL */
    int64_t deferrals;
};
int sw_ledger_claimer_open(struct sw_db *db, int64_t run_id, const char *activity,
                           const char *channel, struct sw_frequency_cap cap,
                           struct sw_ledger_claimer **out, struct sw_error *err);
/* Up to `want` rows into *rows (malloc'd array of n rows, sw_ledger_rows_free; NULL when none
 * is due). *capped (may be NULL) receives the number of rows skipped by the cap. */
int sw_ledger_claim(struct sw_ledger_claimer *c, size_t want, int64_t now_ms,
                    struct sw_ledger_row **rows, size_t *n, size_t *capped,
                    struct sw_error *err);
void sw_ledger_rows_free(struct sw_ledger_row *rows, size_t n);
void sw_ledger_claimer_close(struct sw_ledger_claimer *c);

/* Outcomes of claimed rows, inside the caller's write transaction (the claimer's statements):
 * a row `sending` becomes `state` (sent: sent_at = now; pending: a retry due at next_ms) with
 * error (NULL when sent); deferred, it goes back to pending without using its attempt (the
 * provider could not be reached; due at next_ms); released, it goes back to pending as it was
 * (claimed but never handed over). */
int sw_ledger_finish(struct sw_ledger_claimer *c, int64_t id, enum sw_delivery_state state,
                     const char *error, int64_t next_ms, int64_t now_ms, struct sw_error *err);
int sw_ledger_defer(struct sw_ledger_claimer *c, int64_t id, const char *error, int64_t next_ms,
                    int64_t now_ms, struct sw_error *err);
int sw_ledger_release(struct sw_ledger_claimer *c, int64_t id, int64_t now_ms,
                      struct sw_error *err);

/* Rows of a run that was stopped never go: those put back to `pending` after the stop (claimed
 * but not handed over, or due for a retry) become skipped "run_stopped", as the stop made the
 * others. Inside the caller's transaction; nothing happens while the run is not stopped. */
int sw_ledger_settle_stopped(struct sw_db *db, int64_t run_id, const char *activity,
                             int64_t now_ms, struct sw_error *err);

/* History purge: the ledger rows of a run, except those that still count against a cap
 * (sent, in flight or unknown at or after keep_from_ms); and rows left from runs that no
 * longer exist (purged runs, deleted campaigns) once they no longer count. */
int sw_ledger_purge_run(struct sw_db *db, int64_t run_id, int64_t keep_from_ms,
                        struct sw_error *err); /* and the run's confirmations */
int sw_ledger_purge_orphans(struct sw_db *db, int64_t keep_from_ms, struct sw_error *err);

#endif
