/*
 * ledger.h - the delivery ledger (SPEC §2.2 "Delivery"): every recipient of a channel
 * activity becomes a row before anything is sent, so that who was reached, skipped or not
 * reached is always answerable, and nothing is sent twice (a row is sent at most once; the
 * row's id gives the provider a stable message id).
 *
 * Filling happens in the channel task's transaction, as three set-based statements: one row
 * per recipient of the population (skipped "missing_address" when the address is empty), then
 * "duplicate_address" for all but the first row of each address, then "frequency_cap" for
 * addresses that already received the cap's number of messages within its period, counted
 * from the ledger across all campaigns.
 */
#ifndef SW_LEDGER_H
#define SW_LEDGER_H

#include "core/error.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

struct sw_frequency_cap {
    int64_t count;     /* 0 = no cap */
    int64_t period_ms;
};

/* "3/7d", "1/24h", "5/2w": count/duration. 0, or SW_EINVAL with a message. */
int sw_frequency_cap_parse(const char *s, struct sw_frequency_cap *cap, struct sw_error *err);

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
    struct sw_frequency_cap cap;
    int64_t now_ms;
    const struct sw_ledger_field *fields; /* captured as the row's `fields` JSON (text values) */
    size_t nfields;
};

struct sw_ledger_counts {
    int64_t targeted;          /* rows in the ledger for this activity */
    int64_t pending;
    int64_t missing_address;
    int64_t duplicate_address;
    int64_t frequency_cap;
    int64_t sent;
    int64_t failed;
    int64_t unknown;
};

/* Fill the ledger for one channel task (idempotent: a re-run after a crash adds nothing and
 * changes no row that moved past pending). */
int sw_ledger_fill(struct sw_db *db, const struct sw_ledger_spec *spec,
                   struct sw_ledger_counts *counts, struct sw_error *err);
/* Counts by state/reason of an activity's rows. */
int sw_ledger_counts(struct sw_db *db, int64_t run_id, const char *activity,
                     struct sw_ledger_counts *counts, struct sw_error *err);

#endif
