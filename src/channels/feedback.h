/*
 * feedback.h - what happens after the send: delivery status notifications (RFC 3464, as
 * Postfix and other MTAs write them) and complaint reports (ARF, RFC 5965), parsed with GMime;
 * each recipient of a report becomes one item, matched to its ledger row by the Message-ID
 * Stepwise wrote ("<run.activity.row@stepwise.invalid>") or, failing that, by the recipient's
 * latest message; then recorded and acted upon by the catalog (catalog/feedback.h).
 */
#ifndef SW_FEEDBACK_H
#define SW_FEEDBACK_H

#include "catalog/feedback.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

/* Parse one report (a whole RFC 5322 message). 0 with *items (n >= 1), or SW_EINVAL with what
 * is wrong ("not a multipart/report", "no recipient"...). */
int sw_feedback_parse(const char *data, size_t len, struct sw_feedback_item **items, size_t *n,
                      struct sw_error *err);
void sw_feedback_items_free(struct sw_feedback_item *items, size_t n);

#endif
