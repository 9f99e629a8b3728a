/*
 * migrate_5_ledger.c - catalog migration 5: the delivery ledger. One row per (run, channel
 * activity, recipient), with the address it goes to and its state: pending → sending →
 * sent | failed | unknown, or skipped with a reason. address_key is the address as compared
 * (trimmed, lower case) for duplicate and frequency-cap rules across campaigns.
 */
#include "catalog/migrations.h"

const char sw_migration_5[] =
    "CREATE TABLE sw_deliveries ("
    "  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, activity TEXT NOT NULL,"
    "  channel TEXT NOT NULL, recipient TEXT NOT NULL, address TEXT, address_key TEXT,"
    "  state TEXT NOT NULL, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER, error TEXT, created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, sent_at INTEGER,"
    "  UNIQUE (run_id, activity, recipient));"
    "CREATE INDEX sw_deliveries_state ON sw_deliveries(run_id, activity, state, id);"
    "CREATE INDEX sw_deliveries_sent ON sw_deliveries(address_key, sent_at) WHERE state = 'sent';";
