/*
 * migrations.h - the catalog's migrations, each an SQL script in a file of its own
 * (catalog/migrate_<N>_<what>.c), applied in order by catalog.c.
 */
#ifndef SW_CATALOG_MIGRATIONS_H
#define SW_CATALOG_MIGRATIONS_H

/* catalog/migrate_1_core.c: the first tables */
extern const char sw_migration_1[];
/* catalog/migrate_2_daemon.c: runs, auth */
extern const char sw_migration_2[];
/* catalog/migrate_3_list.c: the campaign list */
extern const char sw_migration_3[];
/* catalog/migrate_4_runs.c: runs by processing time */
extern const char sw_migration_4[];
/* catalog/migrate_5_ledger.c: the delivery ledger */
extern const char sw_migration_5[];
/* catalog/migrate_6_delivery.c: fields, confirmations */
extern const char sw_migration_6[];
/* catalog/migrate_7_events.c: events feed, preferences */
extern const char sw_migration_7[];
/* catalog/migrate_8_hints.c: schema hints from the API */
extern const char sw_migration_8[];
/* catalog/migrate_9_suppressions.c: the suppression list */
extern const char sw_migration_9[];
/* catalog/migrate_10_feedback.c: bounces, complaints */
extern const char sw_migration_10[];
/* catalog/migrate_11_secrets.c: link-signing secrets */
extern const char sw_migration_11[];
/* catalog/migrate_12_documents.c: documents apart from the list's rows, tag counts, run spans */
extern const char sw_migration_12[];
/* catalog/migrate_13_tracking.c: open and click events */
extern const char sw_migration_13[];

#endif
