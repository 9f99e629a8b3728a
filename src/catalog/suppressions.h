/*
 * suppressions.h - the suppression list (catalog table sw_suppressions, migration 9), the only
 * code that writes SQL on it: addresses that must not be messaged again on a channel, with their
 * cause. The ledger skips them (reason "suppressed", the cause in the row's error) when it is
 * filled and when rows are claimed for sending (catalog/ledger.c). Addresses are compared as the
 * ledger compares them: trimmed, lower case (sw_address_key).
 */
#ifndef SW_SUPPRESSIONS_H
#define SW_SUPPRESSIONS_H

#include "core/error.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Causes: "unsubscribe", "hard_bounce", "complaint", "soft_bounces", "manual", "import";
 * channels: "email", "sms", "push". NULL-terminated, the values the API accepts. */
extern const char *const sw_suppress_reasons[];
extern const char *const sw_suppress_channels[];
bool sw_suppress_reason_valid(const char *reason);
bool sw_suppress_channel_valid(const char *channel);
/* The address as compared: trimmed, lower case (ASCII), as the ledger's address_key
 * (malloc'd). NULL when blank. */
char *sw_address_key(const char *address);

/* A suppression to add. */
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

/* A row as read (strings owned). */
struct sw_suppression_row {
    int64_t id;
    char *channel, *address, *address_key, *reason;
    char *detail;        /* or NULL */
    int64_t delivery_id; /* or 0 */
    int64_t created_at;
    char *created_by;    /* or NULL */
};
void sw_suppression_row_release(struct sw_suppression_row *row);
void sw_suppression_rows_free(struct sw_suppression_row *rows, size_t n);

/* The suppression of address on channel; SW_ENOTFOUND when there is none. */
int sw_suppress_get(struct sw_db *db, const char *channel, const char *address,
                    struct sw_suppression_row *row, struct sw_error *err);

/* One page of the list in (address_key, id) order. */
struct sw_suppression_query {
    const char *prefix;    /* of the address key (lower case), or NULL */
    const char *channel;   /* or NULL */
    const char *reason;    /* or NULL */
    const char *after_key; /* keyset: rows after (after_key, after_id); NULL: from the start */
    int64_t after_id;
    int64_t limit;
};
int sw_suppress_page(struct sw_db *db, const struct sw_suppression_query *q,
                     struct sw_suppression_row **rows, size_t *n, struct sw_error *err);
/* The whole list (of one channel, or all when channel is NULL), by address then channel. */
int sw_suppress_all(struct sw_db *db, const char *channel, struct sw_suppression_row **rows,
                    size_t *n, struct sw_error *err);

#endif
