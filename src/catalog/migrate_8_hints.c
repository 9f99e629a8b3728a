/*
 * migrate_8_hints.c - catalog migration 8: schema hints stored through the API
 * (PUT /api/v1/schema/hints, admin). One row at most: when present it is the hints in force,
 * in place of the file named by the schema_hints setting (docs/ARCHITECTURE.md "Schema
 * hints"); DELETE goes back to the file.
 */
#include "catalog/migrations.h"

const char sw_migration_8[] =
    "CREATE TABLE sw_schema_hints ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), document TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL, updated_by TEXT);";
