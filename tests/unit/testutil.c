/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "model/campaign.h"
#include "schema/schema.h"
#include "catalog/campaigns.h"
#include "catalog/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sw_db *tu_db(const char *setup_sql)
{
    struct sw_db *db = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_open(":memory:", &db, &err) < 0) {
        fail_msg("open: %s", err.message ? err.message : "?");
    }
    if (setup_sql && sw_db_exec(db, setup_sql, &err) < 0) {
        fail_msg("setup: %s", err.message ? err.message : "?");
    }
    sw_error_release(&err);
    return db;
}

int64_t tu_int(struct sw_db *db, const char *sql)
{
    int64_t v = 0;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_query_int(db, sql, NULL, &v, &err) < 0) {
        fail_msg("query %s: %s", sql, err.message ? err.message : "?");
    }
    sw_error_release(&err);
    return v;
}

int tu_has_detail(const struct sw_error *err, const char *path, const char *needle)
{
    for (size_t i = 0; i < err->ndetails; i++) {
        const struct sw_error_detail *d = &err->details[i];
        if (d->path && strcmp(d->path, path) == 0 &&
            (!needle || (d->message && strstr(d->message, needle)))) {
            return 1;
        }
    }
    return 0;
}

void tu_print_error(const struct sw_error *err)
{
    fprintf(stderr, "error %d: %s\n", err->code, err->message ? err->message : "");
    for (size_t i = 0; i < err->ndetails; i++) {
        fprintf(stderr, "  %s: %s\n", err->details[i].path ? err->details[i].path : "-",
                err->details[i].message);
    }
}

char *tu_slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (sw_read_file(path, &data, &len) < 0) {
        return NULL;
    }
    return data;
}

void tu_rm_tree(const char *dir)
{
    char *cmd = sw_asprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
    free(cmd);
}

bool tu_db_file(char *path, size_t n, const char *stem)
{
    snprintf(path, n, "/tmp/%sXXXXXX", stem);
    int fd = mkstemp(path);
    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

void tu_db_file_remove(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        char *p = sw_asprintf("%s%s", path, sfx[i]);
        unlink(p);
        free(p);
    }
}

/* ---- the activity fixture ---------------------------------------------------------------- */

const char tu_data_sql[] =
    "CREATE TABLE households (id INTEGER PRIMARY KEY, city TEXT);\n"
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT, first_name TEXT, phone TEXT,"
    "  country TEXT, email_opt_in BOOLEAN, created_at DATETIME, score REAL,"
    "  household_id INTEGER REFERENCES households(id));\n"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, profile_id INTEGER REFERENCES profiles(id),"
    "  amount REAL, status TEXT, created_at DATETIME, paid_s TIMESTAMP);\n"
    "INSERT INTO households VALUES (1, 'Paris'), (2, 'Lyon'), (3, NULL);\n"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)\n"
    "INSERT INTO profiles SELECT i,\n"
    "  CASE WHEN i % 5 = 0 THEN NULL ELSE 'u' || (i % 7) || '@x.org' END,\n"
    "  'N' || i,\n"
    "  CASE WHEN i % 3 = 0 THEN NULL WHEN i % 4 = 0 THEN '' ELSE '+3360000' || printf('%04d', i)"
    "  END,\n"
    "  CASE i % 3 WHEN 0 THEN 'FR' WHEN 1 THEN 'DE' ELSE 'US' END,\n"
    "  CASE WHEN i % 6 = 5 THEN NULL ELSE i % 2 END,\n"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (i * 3) || ' days'),\n"
    "  (i * 37) % 11,\n"
    "  CASE WHEN i % 4 = 0 THEN NULL ELSE 1 + i % 3 END\n"
    "FROM n;\n"
    "INSERT INTO profiles VALUES (21, NULL, 'Doe, \"J\"', NULL, 'ZZ', 0, '2025-06-01T00:00:00Z',"
    "  5.5, NULL);\n"
    "WITH RECURSIVE n(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM n WHERE j < 40)\n"
    "INSERT INTO orders SELECT j, (j * 3) % 17 + 1, j * 2.5,\n"
    "  CASE j % 3 WHEN 0 THEN 'paid' WHEN 1 THEN 'refunded' ELSE 'pending' END,\n"
    "  strftime('%Y-%m-%d %H:%M:%S', '2025-06-01', '+' || (j * 7) || ' days'),\n"
    "  CAST(strftime('%s', '2025-06-01', '+' || (j * 7) || ' days') AS INTEGER) FROM n;\n";

struct tu_env tu_env;

int tu_clock_setup(void **state)
{
    (void)state;
    int64_t now;
    if (sw_clock_parse_iso("2026-03-15T12:00:00Z", &now) < 0) {
        return -1;
    }
    sw_clock_set(now);
    return 0;
}

int tu_clock_teardown(void **state)
{
    (void)state;
    sw_clock_set(0);
    return 0;
}

/* Open the data source (tu_env.path, or a new in-memory one holding the data), discover its
 * schema, open the catalog and wire the engine to them. */
static int env_open(struct sw_error *err)
{
    if (!tu_env.path) {
        tu_env.db = tu_db(tu_data_sql);
    } else if (sw_db_open(tu_env.path, &tu_env.db, err) < 0) {
        return -1;
    }
    if (sw_schema_discover(tu_env.db, &tu_env.schema, err) < 0 ||
        sw_catalog_open(tu_env.db, &tu_env.cat, err) < 0) {
        return -1;
    }
    tu_env.eng.db = tu_env.db;
    tu_env.eng.cat = tu_env.cat;
    tu_env.eng.schema = tu_env.schema;
    tu_env.eng.config = &tu_env.cfg;
    return 0;
}

void tu_env_close(void)
{
    sw_catalog_free(tu_env.cat);
    sw_schema_free(tu_env.schema);
    sw_db_close(tu_env.db);
    tu_env.cat = NULL;
    tu_env.schema = NULL;
    tu_env.db = NULL;
}

static int env_setup(bool on_file)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    int rc = -1;
    memset(&tu_env, 0, sizeof(tu_env));
    snprintf(tu_env.dir, sizeof(tu_env.dir), "%s", "/tmp/sw_test_XXXXXX");
    if (!mkdtemp(tu_env.dir)) {
        return -1;
    }
    tu_env.cfg.export_dir = tu_env.dir;
    if (on_file) {
        /* An empty file is an empty SQLite database (sw_db_open creates nothing); the data
         * is written by a connection of its own, as any data source's is. */
        tu_env.path = sw_asprintf("%s/data.db", tu_env.dir);
        FILE *f = fopen(tu_env.path, "w");
        if (!f || fclose(f) != 0) {
            goto out;
        }
        if (sw_db_open(tu_env.path, &db, &err) < 0 || sw_db_exec(db, tu_data_sql, &err) < 0) {
            goto out;
        }
    }
    rc = env_open(&err);
out:
    if (rc < 0) {
        tu_print_error(&err);
    }
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}

int tu_env_setup(void **state)
{
    (void)state;
    return env_setup(false);
}

int tu_env_setup_file(void **state)
{
    (void)state;
    return env_setup(true);
}

int tu_env_teardown(void **state)
{
    (void)state;
    tu_env_close();
    if (tu_env.dir[0]) {
        tu_rm_tree(tu_env.dir);
    }
    free(tu_env.path);
    memset(&tu_env, 0, sizeof(tu_env));
    return 0;
}

void tu_env_open(void)
{
    struct sw_error err = SW_ERROR_INIT;
    assert_non_null(tu_env.path);
    if (env_open(&err) < 0) {
        tu_print_error(&err);
        fail_msg("open %s", tu_env.path);
    }
    sw_error_release(&err);
}

/* ---- running campaigns ------------------------------------------------------------------- */

char *tu_doc(const char *doc)
{
    char *s = sw_strdup(doc);
    for (char *p = s; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    return s;
}

struct sw_campaign *tu_campaign(const char *doc)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    char *text = tu_doc(doc);
    if (sw_campaign_load(text, strlen(text), &sw_engine_activities, tu_env.schema,
                         sw_clock_now_ms(), &c, &err) < 0) {
        tu_print_error(&err);
        fail_msg("invalid test campaign");
    }
    free(text);
    sw_error_release(&err);
    return c;
}

int64_t tu_campaign_row(const struct sw_campaign *c)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = 0;
    char *stored = sw_campaign_serialize(c);
    if (sw_catalog_campaign_upsert(tu_env.cat, c->name, stored, c->dimension, sw_clock_now_ms(),
                                   &id, &err) < 0) {
        tu_print_error(&err);
        fail_msg("campaign row");
    }
    free(stored);
    sw_error_release(&err);
    return id;
}

void tu_run_campaign(struct sw_campaign *c, bool dry, const json_t *overrides, uint64_t seed,
                     int expect_state, struct tu_run *r)
{
    struct sw_error err = SW_ERROR_INIT;
    memset(r, 0, sizeof(*r));
    json_t *vars = sw_campaign_variables(c, overrides, &err);
    assert_non_null(vars);
    r->campaign_id = tu_campaign_row(c);
    struct sw_run_opts opts = {
        .trigger = "manual", .dry_run = dry, .variables = vars, .seed = seed ? seed : 42};
    r->state = sw_engine_run(&tu_env.eng, c, r->campaign_id, &opts, &r->run_id, &err);
    bool unexpected = r->state != expect_state;
    if (unexpected) {
        tu_print_error(&err);
        json_t *tasks = sw_catalog_tasks_json(tu_env.cat, r->run_id);
        char *t = json_dumps(tasks, JSON_INDENT(1));
        fprintf(stderr, "tasks: %s\n", t);
        free(t);
        json_decref(tasks);
    }
    r->counts = unexpected ? NULL : sw_engine_counts(&tu_env.eng, r->run_id);
    json_decref(vars);
    sw_error_release(&err);
    if (unexpected) {
        fail_msg("run state %d, expected %d (%s)", r->state, expect_state,
                 r->state == SW_RUN_COMPLETED ? "completed" : "failed or error");
    }
}

void tu_run_full(const char *doc, bool dry, const json_t *overrides, uint64_t seed,
                 int expect_state, struct tu_run *r)
{
    struct sw_campaign *c = tu_campaign(doc);
    tu_run_campaign(c, dry, overrides, seed, expect_state, r);
    sw_campaign_free(c);
}

void tu_run_ok(const char *doc, struct tu_run *r)
{
    tu_run_full(doc, false, NULL, 0, SW_RUN_COMPLETED, r);
}

void tu_run_release(struct tu_run *r)
{
    json_decref(r->counts);
    memset(r, 0, sizeof(*r));
}

int64_t tu_count(const struct tu_run *r, const char *act, const char *port)
{
    const json_t *v = json_object_get(json_object_get(r->counts, act), port);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

int64_t tu_sqln(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sw_vasprintf(fmt, ap);
    va_end(ap);
    int64_t v = tu_int(tu_env.db, sql);
    free(sql);
    return v;
}

char *tu_sqlt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sw_vasprintf(fmt, ap);
    va_end(ap);
    struct sw_stmt *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    char *out = NULL;
    if (sw_db_prepare(tu_env.db, sql, &st, &err) < 0) {
        fail_msg("prepare %s: %s", sql, err.message);
    }
    int rc = sw_stmt_step(st, &err);
    if (rc < 0) {
        fail_msg("step %s: %s", sql, err.message);
    }
    if (rc == SW_STEP_ROW && sw_stmt_column_text(st, 0)) {
        out = sw_strdup(sw_stmt_column_text(st, 0));
    }
    sw_stmt_finalize(st);
    sw_error_release(&err);
    free(sql);
    return out;
}

int tu_soft_check(const struct tu_run *r, const char *act, const char *port, int64_t literal,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sw_vasprintf(fmt, ap);
    va_end(ap);
    int64_t exp = tu_int(tu_env.db, sql);
    int64_t got = tu_count(r, act, port);
    int bad = 0;
    free(sql);
    if (got != exp) {
        fprintf(stderr, "MISMATCH %s.%s: count %lld, SQL says %lld\n", act, port, (long long)got,
                (long long)exp);
        bad = 1;
    }
    if (literal >= 0 && exp != literal) {
        fprintf(stderr, "ORACLE %s.%s: SQL says %lld, expected %lld\n", act, port, (long long)exp,
                (long long)literal);
        bad = 1;
    }
    return bad;
}

char *tu_task_status(const struct tu_run *r, const char *act)
{
    return tu_sqlt("SELECT status FROM sw_tasks WHERE run_id = %lld AND activity = '%s'",
                   (long long)r->run_id, act);
}

void tu_assert_status(const struct tu_run *r, const char *act, const char *status)
{
    char *s = tu_task_status(r, act);
    if (!s || strcmp(s, status) != 0) {
        fail_msg("task %s: status %s, expected %s", act, s ? s : "(none)", status);
    }
    free(s);
}

void tu_assert_failed(const struct tu_run *r, const char *act, const char *needle)
{
    tu_assert_status(r, act, "failed");
    char *e = tu_sqlt("SELECT error FROM sw_tasks WHERE run_id = %lld AND activity = '%s'",
                      (long long)r->run_id, act);
    if (!e || !strstr(e, needle)) {
        fail_msg("task %s: error %s, expected one with \"%s\"", act, e ? e : "(none)", needle);
    }
    free(e);
}

char *tu_port_table(const struct tu_run *r, const char *act, const char *port)
{
    char *o = tu_sqlt("SELECT outputs FROM sw_tasks WHERE run_id = %lld AND activity = '%s'",
                      (long long)r->run_id, act);
    json_t *j = o ? json_loads(o, 0, NULL) : NULL;
    const char *t = json_string_value(json_object_get(json_object_get(j, port), "table"));
    char *out = t ? sw_strdup(t) : NULL;
    json_decref(j);
    free(o);
    return out;
}

char *tu_port_keys(const struct tu_run *r, const char *act, const char *port)
{
    char *t = tu_port_table(r, act, port);
    if (!t) {
        fail_msg("%s.%s has no table", act, port);
    }
    char *k =
        tu_sqlt("SELECT group_concat(_key, ',') FROM (SELECT _key FROM \"%s\" ORDER BY _key)", t);
    free(t);
    return k ? k : sw_strdup("");
}

void tu_assert_keys(char *got, const char *expected_sql_or_literal, bool is_sql)
{
    char *exp =
        is_sql ? tu_sqlt("%s", expected_sql_or_literal) : sw_strdup(expected_sql_or_literal);
    if (!exp) {
        exp = sw_strdup("");
    }
    if (strcmp(got, exp) != 0) {
        fail_msg("keys %s, expected %s", got, exp);
    }
    free(exp);
    free(got);
}
