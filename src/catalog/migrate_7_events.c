/*
 * migrate_7_events.c - catalog migration 7: what the web UI needs (issue 8, part 4).
 *
 * sw_events is the journal behind GET /api/v1/events (Server-Sent Events, server/events.c):
 * one row per campaign status change, run status change (a run created counts) and task
 * status change, written by triggers in the same transaction as the change it describes, so
 * that no writer (API, scheduler, worker, CLI, another daemon on the same catalog) can
 * change a status without its event and no event exists for a change that rolled back. The
 * daemon's event thread adds "delivery" rows (a channel task's ledger counts, when they
 * change). The id is AUTOINCREMENT: never reused, even after a purge, and, SQLite having one
 * writer at a time, ids become visible in commit order, so "every id > Last-Event-ID" is
 * exactly what a client missed. ts is the wall-clock time of the write (ms); the payload is
 * a JSON object whose times are the daemon's. Simulation runs and their tasks are left out
 * (a simulation answers its own request). Events are purged with history (server/events.c).
 *
 * sw_preferences keeps a small JSON object per user, and one per API token (PUT/GET
 * /api/v1/me/preferences); it goes with its user or token.
 *
 * check-dialect: sqlite-only (the SQLite catalog's DDL: triggers over JSON functions; a
 * PostgreSQL catalog gets its own DDL, not this history).
 */
#include "catalog/migrations.h"

const char sw_migration_7[] =
    "CREATE TABLE sw_events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, type TEXT NOT NULL,"
    "  campaign_id INTEGER, run_id INTEGER, payload TEXT NOT NULL);"
    "CREATE INDEX sw_events_campaign ON sw_events(campaign_id, id);"
    "CREATE INDEX sw_events_run ON sw_events(run_id, id);"
    "CREATE INDEX sw_events_ts ON sw_events(ts);"
    "CREATE TRIGGER sw_events_campaign_status AFTER UPDATE OF status ON sw_campaigns"
    "  WHEN old.status IS NOT new.status BEGIN"
    "  INSERT INTO sw_events(ts, type, campaign_id, run_id, payload) VALUES ("
    "    CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'campaign', new.id, NULL,"
    "    json_object('name', new.name, 'status', new.status, 'previous_status', old.status));"
    "END;"
    "CREATE TRIGGER sw_events_run_insert AFTER INSERT ON sw_runs WHEN new.simulation = 0 BEGIN"
    "  INSERT INTO sw_events(ts, type, campaign_id, run_id, payload) VALUES ("
    "    CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'run', new.campaign_id,"
    "    new.id, json_object('status', new.status, 'previous_status', NULL,"
    "    'trigger', new.trigger, 'started_at', new.started_at, 'ended_at', new.ended_at,"
    "    'error', new.error));"
    "END;"
    "CREATE TRIGGER sw_events_run_status AFTER UPDATE OF status ON sw_runs"
    "  WHEN new.simulation = 0 AND old.status IS NOT new.status BEGIN"
    "  INSERT INTO sw_events(ts, type, campaign_id, run_id, payload) VALUES ("
    "    CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'run', new.campaign_id,"
    "    new.id, json_object('status', new.status, 'previous_status', old.status,"
    "    'trigger', new.trigger, 'started_at', new.started_at, 'ended_at', new.ended_at,"
    "    'error', new.error));"
    "END;"
    "CREATE TRIGGER sw_events_task_status AFTER UPDATE OF status ON sw_tasks"
    "  WHEN old.status IS NOT new.status"
    "  AND (SELECT simulation FROM sw_runs WHERE id = new.run_id) = 0 BEGIN"
    "  INSERT INTO sw_events(ts, type, campaign_id, run_id, payload) VALUES ("
    "    CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'task',"
    "    (SELECT campaign_id FROM sw_runs WHERE id = new.run_id), new.run_id,"
    "    json_object('task_id', new.id, 'activity', new.activity, 'activity_type', new.type,"
    "    'status', new.status, 'previous_status', old.status, 'input_count', new.input_count,"
    "    'counts', CASE WHEN json_valid(new.outputs) THEN (SELECT json_group_object(key,"
    "      json_extract(value, '$.count')) FROM json_each(new.outputs)) END,"
    "    'started_at', new.started_at, 'ended_at', new.ended_at, 'error', new.error));"
    "END;"
    "CREATE TABLE sw_preferences ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER UNIQUE REFERENCES sw_users(id) ON DELETE CASCADE,"
    "  token_id INTEGER UNIQUE REFERENCES sw_tokens(id) ON DELETE CASCADE,"
    "  value TEXT NOT NULL, updated_at INTEGER NOT NULL,"
    "  CHECK ((user_id IS NULL) <> (token_id IS NULL)));"
    "CREATE TRIGGER sw_preferences_user_gone AFTER DELETE ON sw_users BEGIN"
    "  DELETE FROM sw_preferences WHERE user_id = old.id;"
    "END;"
    "CREATE TRIGGER sw_preferences_token_gone AFTER DELETE ON sw_tokens BEGIN"
    "  DELETE FROM sw_preferences WHERE token_id = old.id;"
    "END;";
