/*
 * migrate_6_delivery.c - catalog migration 6: what a channel activity needs to send on its
 * own. `fields` holds, per ledger row, the values of the personalization fields the
 * activity's templates use (a JSON object of text), captured when the ledger is filled: a
 * message can be rendered, retried or repaired after the run's work tables are gone, and
 * the ledger shows what each recipient was sent. `deferrals` counts the times a row was put
 * back because the provider could not be reached at all (no attempt is used up: an outage
 * must not fail a campaign; the wait doubles up to 5 minutes). sw_confirmations records who released an
 * activity held by confirm_before_send, and when.
 *
 * The frequency-cap index moves from a partial index on sent rows, (address_key, sent_at)
 * WHERE state = 'sent', to a plain index on address_key: the partial one took a random
 * B-tree page for every message marked sent, so each outcome commit wrote about one page per
 * message; the plain one is written once, in the fill's single transaction, and sending
 * touches only the table and the (run, activity, state, id) index, whose pages are sequential.
 */
#include "catalog/migrations.h"

const char sw_migration_6[] =
    "ALTER TABLE sw_deliveries ADD COLUMN fields TEXT;"
    "ALTER TABLE sw_deliveries ADD COLUMN deferrals INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX sw_deliveries_sent;"
    "CREATE INDEX sw_deliveries_address ON sw_deliveries(address_key);"
    "CREATE TABLE sw_confirmations ("
    "  run_id INTEGER NOT NULL, activity TEXT NOT NULL, confirmed_at INTEGER NOT NULL,"
    "  confirmed_by TEXT, PRIMARY KEY (run_id, activity));";
