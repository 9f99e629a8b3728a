/*
 * migrate_3_list.c - catalog migration 3: what keeps the campaign list (GET /campaigns) fast
 * at a million campaigns.
 *  - One index per sort column. SQLite appends the rowid (the campaign id) to every index
 *    entry, so (column, id) keyset pagination is an index range. Never-run campaigns sort as
 *    time 0 (oldest), through expression indexes on coalesce(..., 0).
 *  - Search (q) through an FTS5 trigram index over name and description, kept in step by
 *    triggers (substring search without scanning the table).
 *  - Tags in a side table, kept in step by triggers, for the tag filter.
 *  - Counts per status kept by triggers, so that the unfiltered or status-filtered total is
 *    a sum of a few rows instead of a count over the table.
 *
 * check-dialect: sqlite-only (the SQLite catalog's DDL: an FTS5 table, triggers, WITHOUT
 * ROWID; a PostgreSQL catalog gets its own DDL, not this history).
 */
#include "catalog/migrations.h"

const char sw_migration_3[] =
    "CREATE INDEX sw_campaigns_updated ON sw_campaigns(updated_at);"
    "CREATE INDEX sw_campaigns_created ON sw_campaigns(created_at);"
    "CREATE INDEX sw_campaigns_name_sort ON sw_campaigns(name);"
    "CREATE INDEX sw_campaigns_last_run ON sw_campaigns(coalesce(last_run_at, 0));"
    "CREATE INDEX sw_campaigns_next_run ON sw_campaigns(coalesce(next_run_at, 0));"
    "CREATE INDEX sw_campaigns_parent ON sw_campaigns(campaign);"
    "CREATE INDEX sw_campaigns_dimension ON sw_campaigns(dimension);"
    "CREATE TABLE sw_campaign_tags ("
    "  tag TEXT NOT NULL, campaign_id INTEGER NOT NULL, PRIMARY KEY (tag, campaign_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX sw_campaign_tags_campaign ON sw_campaign_tags(campaign_id);"
    "CREATE VIRTUAL TABLE sw_campaigns_fts USING fts5(name, description, content='sw_campaigns',"
    "  content_rowid='id', tokenize='trigram');"
    "CREATE TABLE sw_campaign_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO sw_campaigns_fts(rowid, name, description)"
    "  SELECT id, name, coalesce(description, '') FROM sw_campaigns;"
    "INSERT INTO sw_campaign_tags SELECT DISTINCT j.value, c.id FROM sw_campaigns c, json_each(c.tags) j"
    "  WHERE json_valid(c.tags) AND j.type = 'text';"
    "INSERT INTO sw_campaign_counts SELECT status, count(*) FROM sw_campaigns GROUP BY status;"
    "CREATE TRIGGER sw_campaigns_ai AFTER INSERT ON sw_campaigns BEGIN"
    "  INSERT INTO sw_campaigns_fts(rowid, name, description)"
    "    VALUES (new.id, new.name, coalesce(new.description, ''));"
    "  INSERT OR IGNORE INTO sw_campaign_tags SELECT j.value, new.id FROM json_each(new.tags) j"
    "    WHERE json_valid(new.tags) AND j.type = 'text';"
    "  INSERT INTO sw_campaign_counts VALUES (new.status, 1)"
    "    ON CONFLICT(status) DO UPDATE SET n = n + 1;"
    "END;"
    "CREATE TRIGGER sw_campaigns_ad AFTER DELETE ON sw_campaigns BEGIN"
    "  INSERT INTO sw_campaigns_fts(sw_campaigns_fts, rowid, name, description)"
    "    VALUES ('delete', old.id, old.name, coalesce(old.description, ''));"
    "  DELETE FROM sw_campaign_tags WHERE campaign_id = old.id;"
    "  UPDATE sw_campaign_counts SET n = n - 1 WHERE status = old.status;"
    "END;"
    "CREATE TRIGGER sw_campaigns_au_text AFTER UPDATE OF name, description ON sw_campaigns BEGIN"
    "  INSERT INTO sw_campaigns_fts(sw_campaigns_fts, rowid, name, description)"
    "    VALUES ('delete', old.id, old.name, coalesce(old.description, ''));"
    "  INSERT INTO sw_campaigns_fts(rowid, name, description)"
    "    VALUES (new.id, new.name, coalesce(new.description, ''));"
    "END;"
    "CREATE TRIGGER sw_campaigns_au_tags AFTER UPDATE OF tags ON sw_campaigns BEGIN"
    "  DELETE FROM sw_campaign_tags WHERE campaign_id = old.id;"
    "  INSERT OR IGNORE INTO sw_campaign_tags SELECT j.value, new.id FROM json_each(new.tags) j"
    "    WHERE json_valid(new.tags) AND j.type = 'text';"
    "END;"
    "CREATE TRIGGER sw_campaigns_au_status AFTER UPDATE OF status ON sw_campaigns"
    "  WHEN old.status IS NOT new.status BEGIN"
    "  UPDATE sw_campaign_counts SET n = n - 1 WHERE status = old.status;"
    "  INSERT INTO sw_campaign_counts VALUES (new.status, 1)"
    "    ON CONFLICT(status) DO UPDATE SET n = n + 1;"
    "END;";
