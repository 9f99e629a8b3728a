/*
 * migrate_12_documents.c - catalog migration 12: what keeps the list's search, tag and
 * run-range filters under 10 ms at a million campaigns (bench/api, issue 10).
 *  - The campaign document leaves the row the list reads: sw_campaigns keeps the columns the
 *    list filters, sorts and shows; the document (kilobytes, read when one campaign is opened,
 *    started or edited) is in sw_campaign_documents, one row per campaign.
 *  - Counts per tag kept by triggers (as migration 3 does per status): a tag filter knows at
 *    once how common the tag is, and a one-tag total is a lookup.
 *  - An index on each non-simulated run's span (end, else start, minus start): its maximum
 *    bounds the processed_from/processed_to range on both sides (a run that started by `to`
 *    ended by `to` + the longest span), so the range is an index range of the runs in it
 *    rather than of every run since `from`.
 *
 * check-dialect: sqlite-only (the SQLite catalog's DDL: triggers with an upsert, WITHOUT
 * ROWID, DROP COLUMN; the PostgreSQL catalog will have its own)
 */
#include "catalog/migrations.h"

const char sw_migration_12[] =
    "CREATE TABLE sw_campaign_documents ("
    "  campaign_id INTEGER PRIMARY KEY, document TEXT NOT NULL);"
    "INSERT INTO sw_campaign_documents(campaign_id, document)"
    "  SELECT id, document FROM sw_campaigns;"
    "ALTER TABLE sw_campaigns DROP COLUMN document;"
    "CREATE TRIGGER sw_campaign_documents_gone AFTER DELETE ON sw_campaigns BEGIN"
    "  DELETE FROM sw_campaign_documents WHERE campaign_id = old.id;"
    "END;"
    "CREATE TABLE sw_campaign_tag_counts (tag TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO sw_campaign_tag_counts SELECT tag, count(*) FROM sw_campaign_tags GROUP BY tag;"
    "CREATE TRIGGER sw_campaign_tags_ai AFTER INSERT ON sw_campaign_tags BEGIN"
    "  INSERT INTO sw_campaign_tag_counts VALUES (new.tag, 1)"
    "    ON CONFLICT(tag) DO UPDATE SET n = n + 1;"
    "END;"
    "CREATE TRIGGER sw_campaign_tags_ad AFTER DELETE ON sw_campaign_tags BEGIN"
    "  UPDATE sw_campaign_tag_counts SET n = n - 1 WHERE tag = old.tag;"
    "END;"
    "CREATE INDEX sw_runs_span ON sw_runs(coalesce(ended_at, started_at) - started_at)"
    "  WHERE simulation = 0;";
