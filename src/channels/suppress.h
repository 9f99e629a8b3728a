/*
 * suppress.h - the suppression list (catalog table sw_suppressions, migration 9): addresses
 * that must not be messaged again on a channel, with their cause. The ledger skips them
 * (reason "suppressed", the cause in the row's error) when it is filled and when rows are
 * claimed for sending (channels/ledger.c).
 */
#ifndef SW_SUPPRESS_H
#define SW_SUPPRESS_H

#include "core/error.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

/* Causes: "unsubscribe", "hard_bounce", "complaint", "soft_bounces", "manual", "import". */
bool sw_suppress_reason_valid(const char *reason);
bool sw_suppress_channel_valid(const char *channel); /* "email", "sms", "push" */

struct sw_suppression {
    int64_t id;
    const char *channel;
    const char *address;
    const char *reason;
    const char *detail;   /* or NULL */
    int64_t delivery_id;  /* the ledger row it came from, or 0 */
    int64_t created_at;
    const char *created_by; /* or NULL */
};

/* Add one (a blank address is SW_EINVAL). An address already suppressed on that channel keeps
 * its first cause; *added says whether a row was added. */
int sw_suppress_add(struct sw_db *db, const struct sw_suppression *s, bool *added,
                    struct sw_error *err);
/* Lift: on one channel, or on every channel when channel is NULL; *removed = rows removed. */
int sw_suppress_remove(struct sw_db *db, const char *channel, const char *address,
                       int64_t *removed, struct sw_error *err);
/* Import a CSV file: one address a line, optionally "address,channel[,reason]"; a first line
 * whose first field is "address" (any case) is a header. channel/reason are the defaults.
 * Every line is checked first: a bad one is SW_EINVAL naming its line, and nothing is added.
 * *added and *already (may be NULL) count what happened. One transaction. */
int sw_suppress_import_csv(struct sw_db *db, const char *path, const char *channel,
                           const char *reason, const char *by, int64_t now_ms, int64_t *added,
                           int64_t *already, struct sw_error *err);

#endif
