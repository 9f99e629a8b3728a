/*
 * feedback.h - recording what came back after the send (catalog table sw_feedback, migration
 * 10), the only code that writes SQL on it: each item of a report (parsed by channels/feedback.h,
 * or a provider's webhook) is matched to its ledger row by the Message-ID Stepwise wrote
 * ("<run.activity.row@stepwise.invalid>") or, failing that, by the recipient's latest message;
 * a hard bounce or a complaint suppresses the address, soft bounces suppress it after
 * `soft_bounce_limit` in a row (catalog/suppressions.h). An item that matches nothing is kept
 * with the report's text, never dropped.
 */
#ifndef SW_CATALOG_FEEDBACK_H
#define SW_CATALOG_FEEDBACK_H

#include "core/error.h"
#include "db/db.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum sw_feedback_kind {
    SW_FB_HARD_BOUNCE, /* Action: failed, Status 5.x.x */
    SW_FB_SOFT_BOUNCE, /* Action: failed with 4.x.x, or delayed */
    SW_FB_COMPLAINT,   /* an ARF report (Feedback-Type abuse, fraud, ...) */
    SW_FB_OTHER        /* delivered, relayed, expanded: recorded, no effect */
};
const char *sw_feedback_kind_name(enum sw_feedback_kind k); /* "hard_bounce", ... */

struct sw_feedback_item {
    enum sw_feedback_kind kind;
    char *recipient;    /* the address the report is about, or NULL */
    char *status;       /* "5.1.1", or NULL */
    char *diagnostic;   /* Diagnostic-Code, or the ARF Feedback-Type, or NULL */
    char *message_id;   /* the original message's Message-ID, or NULL */
};

/* Record and act on items (one transaction): each becomes a row of sw_feedback, with the
 * ledger row it matched (or none) and what was done. `raw` (may be NULL) is kept with
 * unmatched items. *out (may be NULL) receives a JSON array, one object per item:
 * {"id", "kind", "recipient", "status", "diagnostic", "message_id", "delivery_id",
 * "matched_by", "suppressed"}. soft_limit <= 0 means 3. */
int sw_feedback_record(struct sw_db *db, const struct sw_feedback_item *items, size_t n,
                       const char *source, const char *raw, int soft_limit, int64_t now_ms,
                       json_t **out, struct sw_error *err);

#endif
