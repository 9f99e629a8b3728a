/*
 * catalog.c - see catalog.h. Migrations are a list of SQL scripts; sw_meta.version says how
 * many have been applied, and each one is applied in its own transaction.
 */
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/migrations.h"
#include "core/clock.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const migrations[] = {
    /* 1: the tables the engine and the daemon build on. Times are milliseconds (UTC). */
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
    "  created_at INTEGER NOT NULL, consumed_at INTEGER);",
    sw_migration_2,
    sw_migration_3,
    sw_migration_4,
    sw_migration_5,
    sw_migration_6,
    sw_migration_7,
    sw_migration_8,
    sw_migration_9,
    sw_migration_10,
    sw_migration_11,
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

int sw_catalog_campaign_upsert(struct sw_catalog *cat, const char *name, const char *document,
                               const char *dimension, int64_t now_ms, int64_t *id,
                               struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    int rc;
    sw_params_add_text(&p, name);
    rc = sw_db_query_int(cat->db, "SELECT coalesce(min(id), 0) FROM sw_campaigns WHERE name = ?1",
                         &p, id, err);
    if (rc < 0) {
        goto out;
    }
    sw_params_add_text(&p, document);
    sw_params_add_text_or_null(&p, dimension);
    sw_params_add_int(&p, now_ms);
    if (*id) {
        sw_params_add_int(&p, *id);
        rc = sw_db_exec_params(cat->db,
                               "UPDATE sw_campaigns SET document = ?2, dimension = ?3, "
                               "updated_at = ?4 WHERE id = ?5",
                               &p, NULL, err);
    } else {
        rc = sw_db_exec_params(cat->db,
                               "INSERT INTO sw_campaigns(name, document, dimension, created_at, "
                               "updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                               &p, NULL, err);
        if (rc == 0) {
            rc = sw_db_query_int(cat->db, "SELECT last_insert_rowid()", NULL, id, err);
        }
    }
out:
    sw_params_release(&p);
    return rc;
}

int sw_catalog_campaign_after_run(struct sw_catalog *cat, int64_t campaign_id, const char *status,
                                  int64_t last_run_at, const char *error_activity,
                                  struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, status);
    sw_params_add_int(&p, last_run_at);
    sw_params_add_text_or_null(&p, error_activity);
    sw_params_add_int(&p, campaign_id);
    /* A campaign with ticks to come stays running after a successful run. */
    int rc = sw_db_exec_params(cat->db,
                               "UPDATE sw_campaigns SET status = CASE WHEN ?1 = 'failed' THEN "
                               "'failed' WHEN next_run_at IS NOT NULL AND status = 'running' "
                               "THEN 'running' ELSE ?1 END, last_run_at = ?2, "
                               "last_error_activity = ?3 WHERE id = ?4",
                               &p, NULL, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_run_create(struct sw_catalog *cat, int64_t campaign_id, const char *trigger,
                          int simulation, const char *variables_json, uint64_t seed,
                          const char *document, int64_t now_ms, int64_t *run_id,
                          struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, campaign_id);
    sw_params_add_text(&p, trigger);
    sw_params_add_int(&p, simulation);
    sw_params_add_text_or_null(&p, variables_json);
    sw_params_add_int(&p, (int64_t)(seed & 0x7fffffffffffffffULL));
    sw_params_add_int(&p, now_ms);
    sw_params_add_text_or_null(&p, document);
    int rc = sw_db_exec_params(cat->db,
                               "INSERT INTO sw_runs(campaign_id, status, trigger, simulation, "
                               "variables, seed, started_at, document) "
                               "VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7)",
                               &p, NULL, err);
    if (rc == 0) {
        rc = sw_db_query_int(cat->db, "SELECT last_insert_rowid()", NULL, run_id, err);
    }
    sw_params_release(&p);
    return rc;
}

int sw_catalog_run_finish(struct sw_catalog *cat, int64_t run_id, const char *status,
                          const char *error, int64_t now_ms, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, status);
    sw_params_add_text_or_null(&p, error);
    sw_params_add_int(&p, now_ms);
    sw_params_add_int(&p, run_id);
    int rc = sw_db_exec_params(cat->db,
                               "UPDATE sw_runs SET status = ?1, error = ?2, ended_at = ?3 "
                               "WHERE id = ?4",
                               &p, NULL, err);
    sw_params_release(&p);
    return rc;
}

int64_t sw_catalog_prev_run_started(struct sw_catalog *cat, int64_t campaign_id, int64_t run_id)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t v = 0;
    sw_params_add_int(&p, campaign_id);
    sw_params_add_int(&p, run_id);
    sw_db_query_int(cat->db,
                    "SELECT coalesce(max(started_at), 0) FROM sw_runs WHERE campaign_id = ?1 "
                    "AND id < ?2 AND simulation = 0 AND status = 'completed'",
                    &p, &v, NULL);
    sw_params_release(&p);
    return v;
}

int sw_catalog_task_create(struct sw_catalog *cat, int64_t run_id, const char *activity,
                           const char *type, int64_t *task_id, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, run_id);
    sw_params_add_text(&p, activity);
    sw_params_add_text(&p, type);
    int rc = sw_db_exec_params(
        cat->db, "INSERT INTO sw_tasks(run_id, activity, type) VALUES (?1, ?2, ?3)", &p, NULL, err);
    if (rc == 0) {
        rc = sw_db_query_int(cat->db, "SELECT last_insert_rowid()", NULL, task_id, err);
    }
    sw_params_release(&p);
    return rc;
}

int sw_catalog_task_set(struct sw_catalog *cat, int64_t task_id, const char *status,
                        int64_t started_at, int64_t ended_at, int64_t wake_at, int64_t input_count,
                        const char *outputs_json, const char *error, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, status);
    sw_params_add_int_or_null(&p, started_at);
    sw_params_add_int_or_null(&p, ended_at);
    sw_params_add_int_or_null(&p, wake_at);
    if (input_count >= 0) {
        sw_params_add_int(&p, input_count);
    } else {
        sw_params_add_null(&p);
    }
    sw_params_add_text_or_null(&p, outputs_json);
    sw_params_add_text_or_null(&p, error);
    sw_params_add_int(&p, task_id);
    int rc = sw_db_exec_params(cat->db,
                               "UPDATE sw_tasks SET status = ?1, started_at = ?2, ended_at = ?3, "
                               "wake_at = ?4, input_count = ?5, outputs = ?6, error = ?7 "
                               "WHERE id = ?8",
                               &p, NULL, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_log(struct sw_catalog *cat, const char *level, int64_t campaign_id, int64_t run_id,
                   const char *activity, const char *message)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, sw_clock_now_ms());
    sw_params_add_text(&p, level);
    sw_params_add_int_or_null(&p, campaign_id);
    sw_params_add_int_or_null(&p, run_id);
    sw_params_add_text_or_null(&p, activity);
    sw_params_add_text(&p, message);
    int rc = sw_db_exec_params(cat->db,
                               "INSERT INTO sw_logs(ts, level, campaign_id, run_id, activity, "
                               "message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               &p, NULL, NULL);
    sw_params_release(&p);
    return rc;
}

static char *audience_text(struct sw_catalog *cat, const char *sql, const char *name)
{
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    char *v = NULL;
    sw_params_add_text(&p, name);
    if (sw_db_prepare(cat->db, sql, &st, NULL) == 0 && sw_stmt_bind_params(st, &p, NULL) == 0 &&
        sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        const char *t = sw_stmt_column_text(st, 0);
        v = t ? sw_strdup(t) : NULL;
    }
    sw_stmt_finalize(st);
    sw_params_release(&p);
    return v;
}

char *sw_catalog_audience_table(struct sw_catalog *cat, const char *name)
{
    return audience_text(cat, "SELECT table_name FROM sw_audiences WHERE name = ?1", name);
}

char *sw_catalog_audience_dimension(struct sw_catalog *cat, const char *name)
{
    return audience_text(cat, "SELECT dimension FROM sw_audiences WHERE name = ?1", name);
}

int sw_catalog_audience_ensure(struct sw_catalog *cat, const char *name, const char *dimension,
                               char **table, int *created, struct sw_error *err)
{
    int rc = 0;
    *created = 0;
    *table = sw_catalog_audience_table(cat, name);
    if (*table) {
        return 0;
    }
    struct sw_params p = SW_PARAMS_INIT;
    int64_t id = 0;
    sw_params_add_text(&p, name);
    sw_params_add_text(&p, dimension);
    /* The table is named after the row id, never after the user's audience name. */
    rc = sw_db_exec_params(cat->db,
                           "INSERT INTO sw_audiences(name, dimension, table_name) "
                           "VALUES (?1, ?2, 'swa_' || (SELECT coalesce(max(id), 0) + 1 FROM "
                           "sw_audiences))",
                           &p, NULL, err);
    if (rc == 0) {
        rc = sw_db_query_int(cat->db, "SELECT last_insert_rowid()", NULL, &id, err);
    }
    sw_params_release(&p);
    if (rc < 0) {
        return rc;
    }
    *table = sw_catalog_audience_table(cat, name);
    *created = 1;
    return *table ? 0 : sw_error_set(err, SW_EDB, "audience \"%s\" could not be created", name);
}

int sw_catalog_audience_set_count(struct sw_catalog *cat, const char *name, int64_t count,
                                  int64_t now_ms, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, count);
    sw_params_add_int(&p, now_ms);
    sw_params_add_text(&p, name);
    int rc = sw_db_exec_params(
        cat->db, "UPDATE sw_audiences SET count = ?1, updated_at = ?2 WHERE name = ?3", &p, NULL,
        err);
    sw_params_release(&p);
    return rc;
}

/* Channel tasks get "delivery": {targeted, pending, sending, sent, failed, unknown, skipped:
 * {reason: n}} from the ledger (issue 4: counts on the run's tasks). */
static void delivery_counts(struct sw_catalog *cat, int64_t run_id, json_t *tasks)
{
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *type = json_string_value(json_object_get(t, "type"));
        struct sw_ledger_counts counts;
        if (!sw_streq(type, "email") && !sw_streq(type, "sms") && !sw_streq(type, "push")) {
            continue;
        }
        if (sw_ledger_counts(cat->db, run_id, json_string_value(json_object_get(t, "activity")),
                             &counts, NULL) < 0) {
            memset(&counts, 0, sizeof(counts));
        }
        json_object_set_new(t, "delivery", sw_ledger_counts_json(&counts));
    }
}

json_t *sw_catalog_tasks_json(struct sw_catalog *cat, int64_t run_id)
{
    json_t *arr = json_array();
    struct sw_stmt *st = NULL;
    if (sw_db_prepare(cat->db,
                      "SELECT id, activity, type, status, started_at, ended_at, input_count, "
                      "outputs, error FROM sw_tasks WHERE run_id = ?1 ORDER BY id",
                      &st, NULL) < 0) {
        return arr;
    }
    sw_stmt_bind_int(st, 1, run_id);
    while (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        json_t *t = json_object();
        json_object_set_new(t, "id", json_integer(sw_stmt_column_int(st, 0)));
        json_object_set_new(t, "activity", json_string(sw_stmt_column_text(st, 1)));
        json_object_set_new(t, "type", json_string(sw_stmt_column_text(st, 2)));
        json_object_set_new(t, "status", json_string(sw_stmt_column_text(st, 3)));
        json_object_set_new(t, "started_at",
                            sw_stmt_column_type(st, 4) == SW_V_NULL
                                ? json_null()
                                : json_integer(sw_stmt_column_int(st, 4)));
        json_object_set_new(t, "ended_at",
                            sw_stmt_column_type(st, 5) == SW_V_NULL
                                ? json_null()
                                : json_integer(sw_stmt_column_int(st, 5)));
        json_object_set_new(t, "input_count",
                            sw_stmt_column_type(st, 6) == SW_V_NULL
                                ? json_null()
                                : json_integer(sw_stmt_column_int(st, 6)));
        json_t *counts = json_object();
        const char *outputs = sw_stmt_column_text(st, 7);
        json_t *o = outputs ? json_loads(outputs, 0, NULL) : NULL;
        const char *port;
        json_t *v;
        json_object_foreach(o, port, v)
        {
            json_object_set(counts, port, json_object_get(v, "count"));
        }
        json_decref(o);
        json_object_set_new(t, "counts", counts);
        const char *e = sw_stmt_column_text(st, 8);
        json_object_set_new(t, "error", e ? json_string(e) : json_null());
        json_array_append_new(arr, t);
    }
    sw_stmt_finalize(st);
    delivery_counts(cat, run_id, arr);
    return arr;
}

int sw_catalog_hints_get(struct sw_catalog *cat, char **doc, int64_t *updated_at, char **by,
                         struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    *doc = NULL;
    *updated_at = 0;
    if (by) {
        *by = NULL;
    }
    int rc = sw_db_prepare(cat->db,
                           "SELECT document, updated_at, updated_by FROM sw_schema_hints WHERE "
                           "id = 1",
                           &st, err);
    if (rc < 0) {
        return rc;
    }
    rc = sw_stmt_step(st, err);
    if (rc == SW_STEP_ROW) {
        const char *d = sw_stmt_column_text(st, 0), *b = sw_stmt_column_text(st, 2);
        *doc = d ? sw_strdup(d) : NULL;
        *updated_at = sw_stmt_column_int(st, 1);
        if (by && b) {
            *by = sw_strdup(b);
        }
    }
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int sw_catalog_hints_put(struct sw_catalog *cat, const char *doc, int64_t now_ms, const char *by,
                         struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, doc);
    sw_params_add_int(&p, now_ms);
    sw_params_add_text_or_null(&p, by);
    int rc = sw_db_exec_params(cat->db,
                               "INSERT INTO sw_schema_hints (id, document, updated_at, updated_by) "
                               "VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET document "
                               "= excluded.document, updated_at = excluded.updated_at, "
                               "updated_by = excluded.updated_by",
                               &p, NULL, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_hints_delete(struct sw_catalog *cat, struct sw_error *err)
{
    return sw_db_exec(cat->db, "DELETE FROM sw_schema_hints", err);
}
