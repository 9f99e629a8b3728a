/*
 * migrate_1_core.c - catalog migration 1: the tables the engine and the daemon build on
 * (campaigns, templates, runs, tasks, logs, audiences, the incremental memory, signals). Times
 * are milliseconds (UTC).
 *
 * check-dialect: sqlite-only (the SQLite catalog's DDL: WITHOUT ROWID; a PostgreSQL catalog
 * gets its own DDL, not this history).
 */
#include "catalog/migrations.h"

const char sw_migration_1[] =
    "CREATE TABLE sw_campaigns ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT, campaign TEXT,"
    "  dimension TEXT, tags TEXT NOT NULL DEFAULT '[]', status TEXT NOT NULL DEFAULT 'draft',"
    "  document TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  last_run_at INTEGER, next_run_at INTEGER, last_error_activity TEXT);"
    "CREATE INDEX sw_campaigns_name ON sw_campaigns(name);"
    "CREATE INDEX sw_campaigns_status ON sw_campaigns(status, updated_at);"
    "CREATE TABLE sw_templates ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT, document TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE sw_runs ("
    "  id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL REFERENCES sw_campaigns(id),"
    "  status TEXT NOT NULL, trigger TEXT NOT NULL, simulation INTEGER NOT NULL DEFAULT 0,"
    "  variables TEXT, seed INTEGER NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER,"
    "  error TEXT, document TEXT);"
    "CREATE INDEX sw_runs_campaign ON sw_runs(campaign_id, started_at);"
    "CREATE INDEX sw_runs_status ON sw_runs(status);"
    "CREATE TABLE sw_tasks ("
    "  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES sw_runs(id),"
    "  activity TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',"
    "  started_at INTEGER, ended_at INTEGER, wake_at INTEGER, input_count INTEGER,"
    "  outputs TEXT, error TEXT, UNIQUE(run_id, activity));"
    "CREATE TABLE sw_logs ("
    "  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, level TEXT NOT NULL,"
    "  campaign_id INTEGER, run_id INTEGER, activity TEXT, message TEXT NOT NULL);"
    "CREATE INDEX sw_logs_campaign ON sw_logs(campaign_id, id);"
    "CREATE TABLE sw_audiences ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, dimension TEXT NOT NULL,"
    "  table_name TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 0, updated_at INTEGER);"
    "CREATE TABLE sw_incremental ("
    "  campaign_id INTEGER NOT NULL, activity TEXT NOT NULL, key NOT NULL,"
    "  PRIMARY KEY (campaign_id, activity, key)) WITHOUT ROWID;"
    "CREATE TABLE sw_signals ("
    "  id INTEGER PRIMARY KEY, target TEXT NOT NULL, variables TEXT, source_run_id INTEGER,"
    "  created_at INTEGER NOT NULL, consumed_at INTEGER);";
