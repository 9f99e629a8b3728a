/*
 * migrate_13_tracking.c - open and click events (issue 13, part 5): one row per ledger row,
 * kind ('o' open, 'c' click) and link (0 for opens, the link's position in the message for
 * clicks), with the destination, first and last time, how many requests in all and how many
 * from people (machines: channels/track.h), and the client address only when the setting
 * track_ip asks for it. Rows go with their ledger row when the history is purged.
 *
 * check-dialect: sqlite-only (the SQLite catalog's DDL history; PostgreSQL will have its own)
 */
#include "catalog/migrations.h"

const char sw_migration_13[] =
    "CREATE TABLE sw_tracking ("
    "  delivery_id INTEGER NOT NULL, kind TEXT NOT NULL, link INTEGER NOT NULL, url TEXT,"
    "  first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, count INTEGER NOT NULL,"
    "  human_count INTEGER NOT NULL, first_human_at INTEGER, machine_reason TEXT, ip TEXT,"
    "  PRIMARY KEY (delivery_id, kind, link)) WITHOUT ROWID;";
