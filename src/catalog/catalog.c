/*
 * catalog.c - see catalog.h. Migrations are a list of SQL scripts; sw_meta.version says how
 * many have been applied, and each one is applied in its own transaction.
 */
#include "catalog/catalog.h"
#include "catalog/migrations.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const migrations[] = {
    sw_migration_1, sw_migration_2,  sw_migration_3,  sw_migration_4,
    sw_migration_5, sw_migration_6,  sw_migration_7,  sw_migration_8,
    sw_migration_9, sw_migration_10, sw_migration_11, sw_migration_12,
    sw_migration_13,
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int sw_catalog_open(struct sw_db *db, struct sw_catalog **out, struct sw_error *err)
{
    int rc;
    int64_t version = 0;
    *out = NULL;
    rc = sw_db_exec(db, "CREATE TABLE IF NOT EXISTS sw_meta (version INTEGER NOT NULL)", err);
    if (rc < 0) {
        return rc;
    }
    for (;;) {
        if ((rc = sw_db_begin(db, err)) < 0) {
            return rc;
        }
        /* Read inside the write transaction: two processes migrating at once serialise. */
        rc = sw_db_query_int(db, "SELECT coalesce(max(version), 0) FROM sw_meta", NULL, &version,
                             err);
        if (rc < 0) {
            goto fail;
        }
        if (version > (int64_t)NMIGRATIONS) {
            rc = sw_error_set(err, SW_EUNSUPPORTED,
                              "catalog version %lld is newer than this stepwise (%d)",
                              (long long)version, (int)NMIGRATIONS);
            goto fail;
        }
        if (version == (int64_t)NMIGRATIONS) {
            sw_db_rollback(db);
            break;
        }
        if ((rc = sw_db_exec(db, migrations[version], err)) < 0) {
            goto fail;
        }
        struct sw_params p = SW_PARAMS_INIT;
        sw_params_add_int(&p, version + 1);
        rc = sw_db_exec_params(db, "DELETE FROM sw_meta", NULL, NULL, err);
        if (rc == 0) {
            rc = sw_db_exec_params(db, "INSERT INTO sw_meta(version) VALUES (?1)", &p, NULL, err);
        }
        sw_params_release(&p);
        if (rc < 0 || (rc = sw_db_commit(db, err)) < 0) {
            goto fail;
        }
    }
    struct sw_catalog *cat = sw_calloc(1, sizeof(*cat));
    cat->db = db;
    *out = cat;
    return 0;
fail:
    sw_db_rollback(db);
    return rc;
}

void sw_catalog_free(struct sw_catalog *cat) { free(cat); }

/* A NULL status reads as "". */
static void count_read(struct sw_stmt *st, int c0, void *elem)
{
    struct sw_status_count *c = elem;
    (void)st;
    (void)c0;
    if (!c->status) {
        c->status = sw_strdup("");
    }
}

static const struct sw_col count_cols[] = {
    SW_COL(TEXT, struct sw_status_count, status),
    SW_COL(INT, struct sw_status_count, n),
};
static const struct sw_row_type count_row =
    SW_ROW_TYPE(struct sw_status_count, count_cols, count_read);

int sw_catalog_status_counts(struct sw_catalog *cat, enum sw_catalog_counted what,
                             struct sw_status_count **rows, size_t *n, struct sw_error *err)
{
    /* Campaigns from the counters their triggers keep (migration 3), the others by a count. */
    static const char *const sql[] = {
        [SW_COUNT_CAMPAIGNS] = "SELECT status, n FROM sw_campaign_counts ORDER BY status",
        [SW_COUNT_RUNS] = "SELECT status, count(*) FROM sw_runs GROUP BY status",
        [SW_COUNT_TASKS] = "SELECT status, count(*) FROM sw_tasks GROUP BY status",
    };
    return sw_rows_all(cat->db, sql[what], NULL, &count_row, rows, n, err);
}

void sw_status_counts_free(struct sw_status_count *rows, size_t n)
{
    sw_rows_free(&count_row, rows, n);
}
