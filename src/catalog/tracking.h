/*
 * tracking.h - the catalog's open and click events (sw_tracking, migration 13) and the
 * delivery report of a channel activity: what the ledger, the feedback (bounces, complaints),
 * the suppression list (unsubscribes) and the tracking events say of one run's activity.
 */
#ifndef SW_CATALOG_TRACKING_H
#define SW_CATALOG_TRACKING_H

#include "core/error.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

/* One request for a tracking link. */
struct sw_track_event {
    int64_t delivery_id;
    char kind;            /* 'o' open, 'c' click */
    int link;             /* 0 for opens */
    char *url;            /* clicks: the destination (owned; NULL for opens) */
    int64_t at_ms;
    const char *machine;  /* NULL: a person; else the rule that called it a machine (static) */
    char ip[48];          /* "" unless the setting track_ip is on */
};

/* Record n events in one transaction: a row per (ledger row, kind, link) made or updated.
 * Events of ledger rows that no longer exist (history purged) are dropped. */
int sw_catalog_tracking_record(struct sw_db *db, const struct sw_track_event *ev, size_t n,
                               struct sw_error *err);

/* Erase the tracking events of every message sent to `address` (compared trimmed and in lower
 * case) on `channel` (NULL: all channels); *erased (may be NULL) gets how many rows went. */
int sw_catalog_tracking_erase(struct sw_db *db, const char *address, const char *channel,
                              int64_t *erased, struct sw_error *err);

struct sw_link_report {
    int link;
    char *url;
    int64_t unique; /* ledger rows with a click by a person */
    int64_t clicks; /* clicks by people */
};

struct sw_delivery_report {
    int64_t targeted, sent, failed, skipped;
    int64_t delivered;      /* sent, less the rows a bounce was reported for */
    int64_t bounced, hard_bounced, soft_bounced, complained, unsubscribed;
    int64_t unique_opens;   /* rows opened by a person (the pixel, or a click: see docs) */
    int64_t machine_opens;  /* rows whose only opens were machines' */
    int64_t unique_clicks;  /* rows with a click by a person */
    int64_t clicks;         /* clicks by people */
    int64_t machine_clicks; /* requests by machines */
    struct sw_link_report *links;
    size_t nlinks;
};

/* Totals across every run, for /metrics. */
struct sw_tracking_totals {
    int64_t open_requests, open_machine;   /* requests for open pixels; of those, machines' */
    int64_t click_requests, click_machine; /* requests for click links; of those, machines' */
    int64_t opened, clicked;               /* ledger rows opened / clicked by a person */
    int64_t hard_bounces, soft_bounces, complaints; /* matched feedback reports */
    int64_t unsubscribes;                  /* suppressions by unsubscribe */
};
int sw_catalog_tracking_totals(struct sw_db *db, struct sw_tracking_totals *t,
                               struct sw_error *err);

/* The report of (run, activity); zeros for an activity without a ledger. */
int sw_catalog_delivery_report(struct sw_db *db, int64_t run_id, const char *activity,
                               struct sw_delivery_report *r, struct sw_error *err);
void sw_delivery_report_release(struct sw_delivery_report *r);

#endif
