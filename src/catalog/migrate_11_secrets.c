/*
 * migrate_11_secrets.c - catalog migration 11: the server secrets that sign the public
 * listener's links (channels/token.c). A rotation adds a newer one; older ones keep verifying
 * the links already sent.
 */
#include "catalog/migrations.h"

const char sw_migration_11[] =
    "CREATE TABLE sw_secrets ("
    "  kid INTEGER PRIMARY KEY, secret TEXT NOT NULL, created_at INTEGER NOT NULL);";
