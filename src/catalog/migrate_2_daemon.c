/*
 * migrate_2_daemon.c - catalog migration 2: what the daemon adds. Runs record when a waiting
 * run can continue and which worker holds it; API tokens, UI users and their sessions are
 * stored hashed (BLAKE2b for tokens and session ids, Argon2id for passwords).
 */
#include "catalog/migrations.h"

const char sw_migration_2[] =
    "ALTER TABLE sw_runs ADD COLUMN wake_at INTEGER;"
    "ALTER TABLE sw_runs ADD COLUMN retry_of INTEGER;"
    "CREATE INDEX sw_runs_active ON sw_runs(status, wake_at);"
    "ALTER TABLE sw_campaigns ADD COLUMN schedule_anchor INTEGER;"
    "CREATE INDEX sw_campaigns_due ON sw_campaigns(next_run_at) WHERE next_run_at IS NOT NULL;"
    "CREATE INDEX sw_signals_pending ON sw_signals(id) WHERE consumed_at IS NULL;"
    "CREATE TABLE sw_tokens ("
    "  id INTEGER PRIMARY KEY, name TEXT, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL, last_used_at INTEGER);"
    "CREATE TABLE sw_users ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE sw_sessions ("
    "  id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES sw_users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);";
