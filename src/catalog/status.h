/*
 * status.h - the statuses of campaigns, runs and tasks, one X-macro table each: the enum, the
 * text stored in the catalog and shown by the API, and the statuses it may move to.
 *
 * The text is the boundary form: SQL and JSON carry it, C code compares enums. A status read
 * from the catalog is parsed once (sw_*_status_parse); a status written is the table's text
 * (sw_*_status_text). The transitions say what the code does today, so a new action that
 * needs another edge adds it here first, where it is reviewed with the others.
 *
 * X(NAME, "text", statuses it may move to: a bit mask, SW_CS(NAME) | ... for campaigns, SW_RS
 * for runs, SW_TS for tasks)
 */
#ifndef SW_CATALOG_STATUS_H
#define SW_CATALOG_STATUS_H

#include <stdbool.h>

#define SW_STATUS_BIT(s) (1u << (s))
#define SW_CS(name)      SW_STATUS_BIT(SW_CAMPAIGN_STATUS_##name)
#define SW_RS(name)      SW_STATUS_BIT(SW_RUN_STATUS_##name)
#define SW_TS(name)      SW_STATUS_BIT(SW_TASK_STATUS_##name)

/* A campaign: a draft until started; running while it has a run or ticks to come; paused and
 * resumed by the user; completed when nothing is left (a stop, its last run), failed when its
 * last run failed (a run that was under way when its campaign was paused or stopped still ends
 * it). A completed campaign can be started again, a failed one started or retried. */
#define SW_CAMPAIGN_STATUS_MAP(X)                                                                  \
    X(DRAFT, "draft", SW_CS(RUNNING))                                                              \
    X(RUNNING, "running", SW_CS(PAUSED) | SW_CS(COMPLETED) | SW_CS(FAILED))                        \
    X(PAUSED, "paused", SW_CS(RUNNING) | SW_CS(COMPLETED) | SW_CS(FAILED))                         \
    X(COMPLETED, "completed", SW_CS(RUNNING) | SW_CS(FAILED))                                      \
    X(FAILED, "failed", SW_CS(RUNNING))

/* A run: running (or waiting, which is running with a wake-up time), paused with its campaign,
 * then completed, failed or stopped. A failed run is retried; a finished run is re-opened to
 * resend its failed deliveries (retry-failed). */
#define SW_RUN_STATUS_MAP(X)                                                                       \
    X(RUNNING, "running", SW_RS(PAUSED) | SW_RS(COMPLETED) | SW_RS(FAILED) | SW_RS(STOPPED))       \
    X(PAUSED, "paused", SW_RS(RUNNING) | SW_RS(STOPPED))                                           \
    X(COMPLETED, "completed", SW_RS(RUNNING))                                                      \
    X(FAILED, "failed", SW_RS(RUNNING))                                                            \
    X(STOPPED, "stopped", SW_RS(RUNNING))

/* A task: pending until its inputs are resolved, running while it executes (or waits), then
 * completed, failed or skipped. Retry puts failed and skipped tasks back to pending; resending
 * a channel task's failed deliveries re-opens it as running. */
#define SW_TASK_STATUS_MAP(X)                                                                      \
    X(PENDING, "pending", SW_TS(RUNNING) | SW_TS(COMPLETED) | SW_TS(FAILED) | SW_TS(SKIPPED))      \
    X(RUNNING, "running", SW_TS(COMPLETED) | SW_TS(FAILED) | SW_TS(SKIPPED))                       \
    X(COMPLETED, "completed", SW_TS(RUNNING))                                                      \
    X(FAILED, "failed", SW_TS(PENDING))                                                            \
    X(SKIPPED, "skipped", SW_TS(PENDING))

/* A delivery (a ledger row, catalog/ledger.h): pending until claimed for sending, or skipped at
 * once (a skip reason below); sending while its message is handed over; then sent, failed, or
 * unknown (the connection broke after the whole message was written: it may have arrived). A
 * temporary failure, an unreachable provider or a claim never handed over (a pause) puts a
 * sending row back to pending; a restart makes rows left sending unknown; retry-failed puts
 * failed (and, on request, unknown) rows back to pending. Sent and skipped are final. */
#define SW_DS(name) SW_STATUS_BIT(SW_DELIVERY_##name)
#define SW_DELIVERY_STATE_MAP(X)                                                                   \
    X(PENDING, "pending", SW_DS(SENDING) | SW_DS(SKIPPED))                                         \
    X(SENDING, "sending", SW_DS(SENT) | SW_DS(FAILED) | SW_DS(UNKNOWN) | SW_DS(PENDING))          \
    X(SENT, "sent", 0)                                                                             \
    X(FAILED, "failed", SW_DS(PENDING))                                                            \
    X(UNKNOWN, "unknown", SW_DS(PENDING))                                                          \
    X(SKIPPED, "skipped", 0)

/* Why a delivery was skipped (its `reason`; NULL for every other state). X(NAME, "text") */
#define SW_DELIVERY_REASON_MAP(X)                                                                  \
    X(MISSING_ADDRESS, "missing_address")                                                          \
    X(DUPLICATE_ADDRESS, "duplicate_address")                                                      \
    X(SUPPRESSED, "suppressed")                                                                    \
    X(FREQUENCY_CAP, "frequency_cap")                                                              \
    X(RUN_STOPPED, "run_stopped")

enum sw_campaign_status {
#define SW_STATUS_ENUM(name, text, next) SW_CAMPAIGN_STATUS_##name,
    SW_CAMPAIGN_STATUS_MAP(SW_STATUS_ENUM)
#undef SW_STATUS_ENUM
        SW_CAMPAIGN_NSTATUS
};

enum sw_run_status {
#define SW_STATUS_ENUM(name, text, next) SW_RUN_STATUS_##name,
    SW_RUN_STATUS_MAP(SW_STATUS_ENUM)
#undef SW_STATUS_ENUM
        SW_RUN_NSTATUS
};

enum sw_task_status {
#define SW_STATUS_ENUM(name, text, next) SW_TASK_STATUS_##name,
    SW_TASK_STATUS_MAP(SW_STATUS_ENUM)
#undef SW_STATUS_ENUM
        SW_TASK_NSTATUS
};

enum sw_delivery_state {
#define SW_STATUS_ENUM(name, text, next) SW_DELIVERY_##name,
    SW_DELIVERY_STATE_MAP(SW_STATUS_ENUM)
#undef SW_STATUS_ENUM
        SW_DELIVERY_NSTATE
};

enum sw_delivery_reason {
#define SW_REASON_ENUM(name, text) SW_SKIP_##name,
    SW_DELIVERY_REASON_MAP(SW_REASON_ENUM)
#undef SW_REASON_ENUM
        SW_SKIP_NREASON
};

/* The catalog's text of a status ("running"); "" for a value outside the table. */
const char *sw_campaign_status_text(enum sw_campaign_status s);
const char *sw_run_status_text(enum sw_run_status s);
const char *sw_task_status_text(enum sw_task_status s);
const char *sw_delivery_state_text(enum sw_delivery_state s);
const char *sw_delivery_reason_text(enum sw_delivery_reason r);

/* Text to enum: 0, or -1 (and *out untouched) for text that is not a status. */
int sw_campaign_status_parse(const char *text, enum sw_campaign_status *out);
int sw_run_status_parse(const char *text, enum sw_run_status *out);
int sw_task_status_parse(const char *text, enum sw_task_status *out);
int sw_delivery_state_parse(const char *text, enum sw_delivery_state *out);
int sw_delivery_reason_parse(const char *text, enum sw_delivery_reason *out);

/* Whether the table allows moving from one status to the other. */
bool sw_campaign_status_can(enum sw_campaign_status from, enum sw_campaign_status to);
bool sw_run_status_can(enum sw_run_status from, enum sw_run_status to);
bool sw_task_status_can(enum sw_task_status from, enum sw_task_status to);
bool sw_delivery_state_can(enum sw_delivery_state from, enum sw_delivery_state to);

/* Every status's text in table order, NULL-terminated: the values a status filter accepts. */
extern const char *const sw_campaign_status_texts[];
extern const char *const sw_run_status_texts[];
extern const char *const sw_task_status_texts[];
extern const char *const sw_delivery_state_texts[];
extern const char *const sw_delivery_reason_texts[];

#endif
