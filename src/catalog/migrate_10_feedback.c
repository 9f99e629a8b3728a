/*
 * migrate_10_feedback.c - catalog migration 10: what came back after the send (bounces,
 * complaints; channels/feedback.c). One row per recipient of a report, with the ledger row it
 * matched (by Message-ID or by recipient) or none; the raw report is kept when nothing
 * matched, so that no report is ever dropped unseen.
 */
#include "catalog/migrations.h"

const char sw_migration_10[] =
    "CREATE TABLE sw_feedback ("
    "  id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  address TEXT, address_key TEXT, status TEXT, diagnostic TEXT, message_id TEXT,"
    "  delivery_id INTEGER, matched_by TEXT, source TEXT NOT NULL, raw TEXT);"
    "CREATE INDEX sw_feedback_delivery ON sw_feedback(delivery_id, kind);"
    "CREATE INDEX sw_feedback_unmatched ON sw_feedback(id) WHERE delivery_id IS NULL;";
