/*
 * migrate_9_suppressions.c - catalog migration 9: the suppression list. One row per address
 * and channel that must not be messaged again (an unsubscribe, a hard bounce, a complaint,
 * soft bounces in a row, or an address added by hand or imported), with its cause. Every
 * channel activity skips them (ledger reason "suppressed") when it fills its ledger and again
 * when it claims rows for sending, so a suppression added during a send takes effect at once.
 * address_key is the address as compared (trimmed, lower case), like the ledger's.
 */
#include "catalog/migrations.h"

const char sw_migration_9[] =
    "CREATE TABLE sw_suppressions ("
    "  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, address_key TEXT NOT NULL,"
    "  address TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT, delivery_id INTEGER,"
    "  created_at INTEGER NOT NULL, created_by TEXT, UNIQUE (channel, address_key));"
    "CREATE INDEX sw_suppressions_address ON sw_suppressions(address_key, id);";
