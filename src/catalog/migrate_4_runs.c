/*
 * migrate_4_runs.c - catalog migration 4: the index behind the campaign list's
 * processed_from / processed_to filter (campaigns with a run in a time range), so that the
 * runs in the range are found by an index range and not by a probe per campaign.
 */
#include "catalog/migrations.h"

const char sw_migration_4[] =
    "CREATE INDEX sw_runs_processed ON sw_runs(coalesce(ended_at, started_at), started_at,"
    "  campaign_id) WHERE simulation = 0;";
