/*
 * campaigns.h - the campaign rows: what the list reads (sw_campaigns, with its search, tag and
 * counter tables kept by triggers, migration 3) and the document each row describes, kept
 * apart in sw_campaign_documents (migration 12) so that the list scans small rows.
 *
 * A row carries the columns the API shows; the document is read only when asked for. Writes
 * take a struct sw_campaign_fields, the columns a validated document gives.
 */
#ifndef SW_CATALOG_CAMPAIGNS_H
#define SW_CATALOG_CAMPAIGNS_H

#include "catalog/catalog.h"
#include "catalog/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct sw_campaign_row {
    int64_t id;
    char *name, *description, *campaign, *dimension;
    char *tags; /* JSON array text */
    enum sw_campaign_status status;
    int64_t created_at, updated_at;   /* ms */
    int64_t last_run_at, next_run_at; /* ms, 0 = never / none */
    char *last_error_activity;
    char *document; /* NULL unless read with the document */
};
void sw_campaign_row_release(struct sw_campaign_row *r); /* accepts a zeroed row */
/* The row as the API shows it ("document" when it was read). */
json_t *sw_campaign_row_json(const struct sw_campaign_row *r);

/* The columns a document gives its row. tags: JSON array text. */
struct sw_campaign_fields {
    const char *name, *description, *campaign, *dimension, *tags, *document;
};

/* Campaign row for a document run from the CLI: found by name, else created (draft). The
 * stored document is replaced by `document`. */
int sw_catalog_campaign_upsert(struct sw_catalog *cat, const char *name, const char *document,
                               const char *dimension, int64_t now_ms, int64_t *id,
                               struct sw_error *err);
/* After a run ended with `status`: the campaign's status (failed, or completed unless it has
 * ticks to come), last_run_at and last_error_activity. */
int sw_catalog_campaign_after_run(struct sw_catalog *cat, int64_t campaign_id,
                                  enum sw_run_status status, int64_t last_run_at,
                                  const char *error_activity, struct sw_error *err);
int sw_catalog_campaign_set_status(struct sw_catalog *cat, int64_t id,
                                   enum sw_campaign_status status, struct sw_error *err);
/* Running again (a start, a retry): status running, no last error. */
int sw_catalog_campaign_rerun(struct sw_catalog *cat, int64_t id, struct sw_error *err);

/* The next tick (0 = none: the schedule is disarmed). */
int sw_catalog_campaign_set_next(struct sw_catalog *cat, int64_t id, int64_t next_ms,
                                 struct sw_error *err);
/* The campaign a signal or a user names: by id when target is a number, else by name (the
 * oldest of that name); 0 when there is none. */
int64_t sw_catalog_campaign_find(struct sw_catalog *cat, const char *target);
/* How many campaigns there are (the status counters, migration 3). */
int64_t sw_catalog_campaign_count(struct sw_catalog *cat);

/* One campaign; SW_ENOTFOUND when there is none. */
int sw_catalog_campaign_get(struct sw_catalog *cat, int64_t id, bool with_document,
                            struct sw_campaign_row *out, struct sw_error *err);
/* A new draft; *id its id. */
int sw_catalog_campaign_insert(struct sw_catalog *cat, const struct sw_campaign_fields *f,
                               int64_t now_ms, int64_t *id, struct sw_error *err);
/* Replace an edited campaign's columns and document (an edit disarms a stale next_run_at).
 * Only a campaign that is not running changes: *changed says whether it did. */
int sw_catalog_campaign_update(struct sw_catalog *cat, int64_t id,
                               const struct sw_campaign_fields *f, int64_t now_ms, bool *changed,
                               struct sw_error *err);
/* A draft copy named `name` with `document`, the other columns the original's; *id the copy's
 * (0 when the original is gone). */
int sw_catalog_campaign_copy(struct sw_catalog *cat, int64_t from, const char *name,
                             const char *document, int64_t now_ms, int64_t *id,
                             struct sw_error *err);
/* A campaign that is not running, with its runs, tasks, logs and incremental memory, in the
 * caller's transaction. Work tables are the caller's to drop first. */
int sw_catalog_campaign_delete(struct sw_catalog *cat, int64_t id, struct sw_error *err);
/* Whether a campaign is called `name` (for "<name> (copy N)"). */
bool sw_catalog_campaign_name_used(struct sw_catalog *cat, const char *name);

/* ---- the list (GET /campaigns) ---- */

/* Sort columns, each with an index (migration 3). The names are the API's. */
#define SW_CAMPAIGN_SORT_MAP(X)                                                                    \
    X(UPDATED_AT, "updated_at")                                                                    \
    X(CREATED_AT, "created_at")                                                                    \
    X(NAME, "name")                                                                                \
    X(STATUS, "status")                                                                            \
    X(LAST_RUN_AT, "last_run_at")                                                                  \
    X(NEXT_RUN_AT, "next_run_at")

enum sw_campaign_sort {
#define SW_SORT_ENUM(name, text) SW_CAMPAIGN_SORT_##name,
    SW_CAMPAIGN_SORT_MAP(SW_SORT_ENUM)
#undef SW_SORT_ENUM
};
/* The sort named `name`: 0, or -1 when there is none. */
int sw_campaign_sort_parse(const char *name, enum sw_campaign_sort *out);
/* Whether the column is a time (never-run sorts as 0; times default to newest first). */
bool sw_campaign_sort_is_time(enum sw_campaign_sort s);

/* Filters are ANDed; a comma-separated list matches any of its values (empty items are
 * ignored; a list with none matches nothing). NULL means no filter. */
struct sw_campaign_query {
    const char *q;                        /* substring of the name or description */
    const char *status;                   /* csv */
    const char *campaign;                 /* csv of parent campaign names */
    const char *dimension;                /* csv */
    const char *tag;                      /* csv */
    int64_t processed_from, processed_to; /* a non-simulated run within; 0 = open */
    enum sw_campaign_sort sort;
    bool desc;
    int64_t limit, offset;
    /* Keyset position: rows after (after_value, after_id) in the sort order. The value is the
     * sort column's: text for name and status, else after_int. */
    bool after;
    int64_t after_int;
    const char *after_text;
    int64_t after_id;
};

struct sw_campaign_page {
    struct sw_campaign_row *rows;
    size_t n;
    bool more;     /* a row follows the page */
    int64_t total; /* rows matching the filters */
};
void sw_campaign_page_release(struct sw_campaign_page *pg);

int sw_catalog_campaign_list(struct sw_catalog *cat, const struct sw_campaign_query *q,
                             struct sw_campaign_page *out, struct sw_error *err);

#endif
