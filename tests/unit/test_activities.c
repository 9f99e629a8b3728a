/*
 * test_activities.c - real campaigns run by the engine (src/engine/) on an in-memory SQLite
 * data source. Every port count of every activity is compared with an independent,
 * hand-written SQL query over the same data (and, where it matters, the exact keys or the
 * values in the work tables); literal numbers are stated too where the data makes them
 * easy to know, so that no check can pass vacuously (0 == 0).
 *
 * Data (fresh for each test): 21 profiles (duplicate and NULL emails, NULL and empty
 * phones, NULL opt-ins, tied scores), 3 households, 40 orders over profiles 1-17 (18-21
 * have none; profile 1 has orders but none paid).
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "db/db.h"
#include "engine/engine.h"
#include "model/campaign.h"
#include "schema/schema.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *data_sql =
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

/* ---- environment ------------------------------------------------------------------------ */

static struct {
    struct sw_db *db;
    struct sw_schema *schema;
    struct sw_catalog *cat;
    struct sw_config cfg;
    struct sw_engine eng;
    char dir[64];
} E;

static int group_setup(void **state)
{
    (void)state;
    int64_t now;
    /* A known "now" (it keeps ticking): after every row's created_at. */
    if (sw_clock_parse_iso("2026-03-15T12:00:00Z", &now) < 0) {
        return -1;
    }
    sw_clock_set(now);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sw_clock_set(0);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    memset(&E, 0, sizeof(E));
    E.db = tu_db(data_sql);
    if (sw_schema_discover(E.db, &E.schema, &err) < 0 || sw_catalog_open(E.db, &E.cat, &err) < 0) {
        tu_print_error(&err);
        return -1;
    }
    snprintf(E.dir, sizeof(E.dir), "%s", "/tmp/sw_test_export_XXXXXX");
    if (!mkdtemp(E.dir)) {
        return -1;
    }
    E.cfg.export_dir = E.dir;
    E.eng.db = E.db;
    E.eng.cat = E.cat;
    E.eng.schema = E.schema;
    E.eng.config = &E.cfg;
    sw_error_release(&err);
    return 0;
}

static void rm_tree(const char *dir)
{
    char *cmd = sw_asprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
    free(cmd);
}

static int teardown(void **state)
{
    (void)state;
    if (E.dir[0]) {
        rm_tree(E.dir);
    }
    sw_catalog_free(E.cat);
    sw_schema_free(E.schema);
    sw_db_close(E.db);
    memset(&E, 0, sizeof(E));
    return 0;
}

/* ---- harness ---------------------------------------------------------------------------- */

struct run {
    int state;
    int64_t run_id;
    int64_t campaign_id;
    json_t *counts;
};

static char *q(const char *doc)
{
    char *s = sw_strdup(doc);
    for (char *p = s; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    return s;
}

static void run_full(const char *doc, bool dry, const json_t *overrides, uint64_t seed,
                     int expect_state, struct run *r)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    char *text = q(doc);
    memset(r, 0, sizeof(*r));
    if (sw_campaign_load(text, strlen(text), E.schema, sw_clock_now_ms(), &c, &err) < 0) {
        tu_print_error(&err);
        fail_msg("invalid test campaign");
    }
    json_t *vars = sw_campaign_variables(c, overrides, &err);
    assert_non_null(vars);
    char *stored = sw_campaign_serialize(c);
    assert_int_equal(sw_catalog_campaign_upsert(E.cat, c->name, stored, c->dimension,
                                                sw_clock_now_ms(), &r->campaign_id, &err),
                     0);
    struct sw_run_opts opts = {
        .trigger = "manual", .dry_run = dry, .variables = vars, .seed = seed ? seed : 42};
    r->state = sw_engine_run(&E.eng, c, r->campaign_id, &opts, &r->run_id, &err);
    bool unexpected = r->state != expect_state;
    if (unexpected) {
        tu_print_error(&err);
        json_t *tasks = sw_catalog_tasks_json(E.cat, r->run_id);
        char *t = json_dumps(tasks, JSON_INDENT(1));
        fprintf(stderr, "tasks: %s\n", t);
        free(t);
        json_decref(tasks);
    }
    r->counts = unexpected ? NULL : sw_engine_counts(&E.eng, r->run_id);
    json_decref(vars);
    free(stored);
    free(text);
    sw_campaign_free(c);
    sw_error_release(&err);
    if (unexpected) {
        fail_msg("run state %d, expected %d (%s)", r->state, expect_state,
                 r->state == SW_RUN_COMPLETED ? "completed" : "failed or error");
    }
}

static void run_ok(const char *doc, struct run *r)
{
    run_full(doc, false, NULL, 0, SW_RUN_COMPLETED, r);
}

static void run_release(struct run *r)
{
    json_decref(r->counts);
    memset(r, 0, sizeof(*r));
}

/* The recorded count of a port, or -1 when the task did not complete / has no such port. */
static int64_t cnt(const struct run *r, const char *act, const char *port)
{
    const json_t *v = json_object_get(json_object_get(r->counts, act), port);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static int64_t sqln(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t sqln(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sw_vasprintf(fmt, ap);
    va_end(ap);
    int64_t v = tu_int(E.db, sql);
    free(sql);
    return v;
}

/* First column of the first row as text (malloc'd; NULL for SQL NULL or no row). */
static char *sqlt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sqlt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sw_vasprintf(fmt, ap);
    va_end(ap);
    struct sw_stmt *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    char *out = NULL;
    if (sw_db_prepare(E.db, sql, &st, &err) < 0) {
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

/* Compare a port count with the expected SQL count (and that with a literal, when >= 0). */
#define CHECK(r, act, port, literal, ...)                                                          \
    do {                                                                                           \
        int64_t exp_ = sqln(__VA_ARGS__);                                                          \
        int64_t got_ = cnt(&(r), act, port);                                                       \
        if (got_ != exp_) {                                                                        \
            fail_msg("%s.%s: count %lld, SQL says %lld", act, port, (long long)got_,              \
                     (long long)exp_);                                                             \
        }                                                                                          \
        if ((literal) >= 0 && exp_ != (literal)) {                                                 \
            fail_msg("%s.%s: SQL says %lld, expected %lld", act, port, (long long)exp_,           \
                     (long long)(literal));                                                        \
        }                                                                                          \
    } while (0)

/* Like CHECK, but reports and returns 1 instead of failing, so that a test can list every
 * wrong port before it fails. */
static int soft_check(const struct run *r, const char *act, const char *port, int64_t literal,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int soft_check(const struct run *r, const char *act, const char *port, int64_t literal,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sw_vasprintf(fmt, ap);
    va_end(ap);
    int64_t exp = tu_int(E.db, sql);
    int64_t got = cnt(r, act, port);
    int bad = 0;
    free(sql);
    if (got != exp) {
        fprintf(stderr, "MISMATCH %s.%s: count %lld, SQL says %lld\n", act, port,
                (long long)got, (long long)exp);
        bad = 1;
    }
    if (literal >= 0 && exp != literal) {
        fprintf(stderr, "ORACLE %s.%s: SQL says %lld, expected %lld\n", act, port,
                (long long)exp, (long long)literal);
        bad = 1;
    }
    return bad;
}

static char *task_status(const struct run *r, const char *act)
{
    return sqlt("SELECT status FROM sw_tasks WHERE run_id = %lld AND activity = '%s'",
                (long long)r->run_id, act);
}

static void assert_status(const struct run *r, const char *act, const char *status)
{
    char *s = task_status(r, act);
    if (!s || strcmp(s, status) != 0) {
        fail_msg("task %s: status %s, expected %s", act, s ? s : "(none)", status);
    }
    free(s);
}

/* The work table of a port (from the task's recorded outputs), malloc'd or NULL. */
static char *port_table(const struct run *r, const char *act, const char *port)
{
    char *o = sqlt("SELECT outputs FROM sw_tasks WHERE run_id = %lld AND activity = '%s'",
                   (long long)r->run_id, act);
    json_t *j = o ? json_loads(o, 0, NULL) : NULL;
    const char *t = json_string_value(json_object_get(json_object_get(j, port), "table"));
    char *out = t ? sw_strdup(t) : NULL;
    json_decref(j);
    free(o);
    return out;
}

/* Sorted keys of a port's table, "1,2,3". */
static char *port_keys(const struct run *r, const char *act, const char *port)
{
    char *t = port_table(r, act, port);
    if (!t) {
        fail_msg("%s.%s has no table", act, port);
    }
    char *k = sqlt("SELECT group_concat(_key, ',') FROM (SELECT _key FROM \"%s\" ORDER BY _key)", t);
    free(t);
    return k ? k : sw_strdup("");
}

static void assert_keys(char *got, const char *expected_sql_or_literal, bool is_sql)
{
    char *exp = is_sql ? sqlt("%s", expected_sql_or_literal) : sw_strdup(expected_sql_or_literal);
    if (!exp) {
        exp = sw_strdup("");
    }
    if (strcmp(got, exp) != 0) {
        fail_msg("keys %s, expected %s", got, exp);
    }
    free(exp);
    free(got);
}

#define N_PROFILES 21

/* ---- build_audience ------------------------------------------------------------------- */

static void test_build_audience(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'ba','activities':["
           "{'id':'all','type':'build_audience'},"
           "{'id':'fr','type':'build_audience','filter':{'all':[{'field':'country','op':'eq',"
           "'value':'FR'},{'field':'email_opt_in','op':'eq','value':true}]}},"
           "{'id':'buyers','type':'build_audience','filter':{'link':'orders','exists':"
           "{'field':'amount','op':'gt','value':50}}},"
           "{'id':'recent','type':'build_audience','filter':{'field':'created_at',"
           "'op':'within_last','value':'30d'}},"
           "{'id':'paid','type':'build_audience','dimension':'orders','filter':{'field':'status',"
           "'op':'eq','value':'paid'}}],'transitions':[]}",
           &r);
    CHECK(r, "all", "out", N_PROFILES, "SELECT count(*) FROM profiles");
    CHECK(r, "fr", "out", 3, "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    CHECK(r, "buyers", "out", -1,
          "SELECT count(*) FROM profiles p WHERE EXISTS (SELECT 1 FROM orders o "
          "WHERE o.profile_id = p.id AND o.amount > 50)");
    assert_true(cnt(&r, "buyers", "out") > 0 && cnt(&r, "buyers", "out") < N_PROFILES);
    CHECK(r, "recent", "out", 6,
          "SELECT count(*) FROM profiles WHERE created_at >= '2026-02-13T12:00:00Z'");
    CHECK(r, "paid", "out", 13, "SELECT count(*) FROM orders WHERE status = 'paid'");
    for (const char *const *a = (const char *const[]){"all", "fr", "buyers", "recent", "paid", NULL};
         *a; a++) {
        assert_status(&r, *a, "completed");
    }
    run_release(&r);
}

static void test_build_incremental_date(void **state)
{
    (void)state;
    const char *doc = "{'name':'inc_date','activities':[{'id':'a','type':'build_audience',"
                      "'filter':{'field':'country','op':'ne','value':'ZZ'},"
                      "'incremental':{'date_field':'created_at'}}],'transitions':[]}";
    struct run r1, r2;
    /* first run: no previous run, everything */
    run_ok(doc, &r1);
    CHECK(r1, "a", "out", 20, "SELECT count(*) FROM profiles WHERE country <> 'ZZ'");
    /* rows created after the first run started, and one just before it */
    char *start = sqlt("SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', started_at / 1000, "
                       "'unixepoch') FROM sw_runs WHERE id = %lld",
                       (long long)r1.run_id);
    assert_non_null(start);
    char *ins = sw_asprintf(
        "INSERT INTO profiles (id, email, country, email_opt_in, created_at, score) VALUES "
        "(101, 'n1@x.org', 'FR', 1, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '+1 hour'), 1),"
        "(102, 'n2@x.org', 'DE', 0, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '+2 days'), 1),"
        "(103, 'n3@x.org', 'ZZ', 0, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '+2 days'), 1),"
        "(104, 'n4@x.org', 'US', 0, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', '%s', '-1 hour'), 1)",
        start, start, start, start);
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_exec(E.db, ins, &err), 0);
    free(ins);
    run_ok(doc, &r2);
    CHECK(r2, "a", "out", 2,
          "SELECT count(*) FROM profiles WHERE country <> 'ZZ' AND created_at > "
          "(SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', started_at / 1000, 'unixepoch') "
          "FROM sw_runs WHERE id = %lld)",
          (long long)r1.run_id);
    free(start);
    run_release(&r1);
    run_release(&r2);
    sw_error_release(&err);
}

static void test_build_incremental_exclude(void **state)
{
    (void)state;
    const char *doc = "{'name':'inc_excl','options':{'keep_interim_results':true},"
                      "'activities':[{'id':'a','type':'build_audience',"
                      "'filter':{'field':'country','op':'eq','value':'FR'},"
                      "'incremental':{'exclude_previous':true}}],'transitions':[]}";
    struct run r1, r2, r3;
    run_ok(doc, &r1);
    CHECK(r1, "a", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r1, "a", "out", 6, "SELECT count(*) FROM sw_incremental WHERE activity = 'a'");
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_exec(E.db,
                                "INSERT INTO profiles (id, country, score) VALUES "
                                "(201, 'FR', 1), (202, 'FR', 2), (203, 'DE', 3);"
                                "UPDATE profiles SET country = 'FR' WHERE id = 1;",
                                &err),
                     0);
    run_ok(doc, &r2);
    /* only FR keys no earlier run of this activity produced */
    CHECK(r2, "a", "out", 3,
          "SELECT count(*) FROM profiles WHERE country = 'FR' AND id NOT IN "
          "(3, 6, 9, 12, 15, 18)");
    assert_keys(port_keys(&r2, "a", "out"), "1,201,202", false);
    run_ok(doc, &r3);
    CHECK(r3, "a", "out", 0, "SELECT 0");
    /* a simulation neither sees nor records anything new */
    run_release(&r3);
    assert_int_equal(sw_db_exec(E.db, "INSERT INTO profiles (id, country) VALUES (204, 'FR')", &err),
                     0);
    run_full(doc, true, NULL, 0, SW_RUN_COMPLETED, &r3);
    assert_int_equal(cnt(&r3, "a", "out"), 1);
    assert_int_equal(sqln("SELECT count(*) FROM sw_incremental"), 9);
    run_release(&r1);
    run_release(&r2);
    run_release(&r3);
    sw_error_release(&err);
}

/* ---- save_audience / read_audience ------------------------------------------------------ */

static void test_audiences(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'save1','activities':[{'id':'a','type':'build_audience','filter':"
           "{'field':'country','op':'eq','value':'FR'}},"
           "{'id':'s','type':'save_audience','audience':'aud','mode':'replace'}],"
           "'transitions':[{'from':'a','to':'s'}]}",
           &r);
    CHECK(r, "a", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "s", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    char *t = sw_catalog_audience_table(E.cat, "aud");
    assert_non_null(t);
    assert_int_equal(strncmp(t, "swa_", 4), 0);
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\"", t), 6);
    assert_int_equal(sqln("SELECT count FROM sw_audiences WHERE name = 'aud'"), 6);
    run_release(&r);

    const char *reader = "{'name':'read','activities':["
                         "{'id':'r','type':'read_audience','audience':'aud'},"
                         "{'id':'rf','type':'read_audience','audience':'aud','filter':"
                         "{'field':'email_opt_in','op':'eq','value':true}}],'transitions':[]}";
    run_ok(reader, &r);
    CHECK(r, "r", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "rf", "out", 3,
          "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    run_release(&r);

    /* replace: the audience now holds DE only */
    run_ok("{'name':'save2','activities':[{'id':'a','type':'build_audience','filter':"
           "{'field':'country','op':'eq','value':'DE'}},"
           "{'id':'s','type':'save_audience','audience':'aud','mode':'replace'}],"
           "'transitions':[{'from':'a','to':'s'}]}",
           &r);
    run_release(&r);
    run_ok(reader, &r);
    CHECK(r, "r", "out", 7, "SELECT count(*) FROM profiles WHERE country = 'DE'");
    CHECK(r, "rf", "out", -1,
          "SELECT count(*) FROM profiles WHERE country = 'DE' AND email_opt_in = 1");
    run_release(&r);

    /* append: DE plus US (and appending again adds no duplicates) */
    const char *app = "{'name':'save3','activities':[{'id':'a','type':'build_audience','filter':"
                      "{'field':'country','op':'in','value':['US','DE']}},"
                      "{'id':'s','type':'save_audience','audience':'aud','mode':'append'}],"
                      "'transitions':[{'from':'a','to':'s'}]}";
    run_ok(app, &r);
    CHECK(r, "s", "out", 14, "SELECT count(*) FROM profiles WHERE country IN ('US', 'DE')");
    run_release(&r);
    run_ok(app, &r);
    run_release(&r);
    run_ok(reader, &r);
    CHECK(r, "r", "out", 14, "SELECT count(*) FROM profiles WHERE country IN ('DE', 'US')");
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\"", t), 14);
    assert_int_equal(sqln("SELECT count FROM sw_audiences WHERE name = 'aud'"), 14);
    run_release(&r);
    free(t);

    /* in_audience in a filter */
    run_ok("{'name':'inaud','activities':[{'id':'a','type':'build_audience','filter':"
           "{'all':[{'in_audience':'aud'},{'field':'email_opt_in','op':'eq','value':false}]}}],"
           "'transitions':[]}",
           &r);
    CHECK(r, "a", "out", -1,
          "SELECT count(*) FROM profiles WHERE country IN ('DE', 'US') AND email_opt_in = 0");
    run_release(&r);
}

/* An audience holds keys of one dimension: reading an audience of orders in a campaign on
 * profiles must not turn order ids into profile ids. */
static void test_read_audience_other_dimension(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'save_orders','activities':[{'id':'o','type':'build_audience',"
           "'dimension':'orders','filter':{'field':'amount','op':'le','value':10}},"
           "{'id':'s','type':'save_audience','audience':'small_orders'}],"
           "'transitions':[{'from':'o','to':'s'}]}",
           &r);
    CHECK(r, "s", "out", 4, "SELECT count(*) FROM orders WHERE amount <= 10");
    run_release(&r);
    /* orders 1-4 are not profiles 1-4 */
    run_full("{'name':'read_orders','activities':[{'id':'r','type':'read_audience',"
             "'audience':'small_orders'}],'transitions':[]}",
             false, NULL, 0, SW_RUN_FAILED, &r);
    assert_status(&r, "r", "failed");
    char *e = sqlt("SELECT error FROM sw_tasks WHERE run_id = %lld AND activity = 'r'",
                   (long long)r.run_id);
    assert_non_null(e);
    assert_non_null(strstr(e, "orders"));
    free(e);
    run_release(&r);
}

/* ---- combine ---------------------------------------------------------------------------- */

#define FR "{'field':'country','op':'eq','value':'FR'}"
#define OPT "{'field':'email_opt_in','op':'eq','value':true}"

static void test_combine(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'comb','activities':["
           "{'id':'fr','type':'build_audience','filter':" FR "},"
           "{'id':'opt','type':'build_audience','filter':" OPT "},"
           "{'id':'u','type':'combine','operation':'union'},"
           "{'id':'i','type':'combine','operation':'intersection','complement':'rest'},"
           "{'id':'x','type':'combine','operation':'exclusion','primary':'fr',"
           "'complement':'removed'},"
           "{'id':'x2','type':'combine','operation':'exclusion','primary':'opt'}],"
           "'transitions':[{'from':'fr','to':'u'},{'from':'opt','to':'u'},"
           "{'from':'fr','to':'i'},{'from':'opt','to':'i'},"
           "{'from':'fr','to':'x'},{'from':'opt','to':'x'},"
           "{'from':'fr','to':'x2'},{'from':'opt','to':'x2'}]}",
           &r);
    CHECK(r, "fr", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "opt", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    CHECK(r, "u", "out", 10,
          "SELECT count(*) FROM profiles WHERE country = 'FR' OR email_opt_in = 1");
    CHECK(r, "i", "out", 3,
          "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    CHECK(r, "i", "rest", 7,
          "SELECT count(*) FROM profiles WHERE (country = 'FR' OR email_opt_in = 1) AND NOT "
          "(country = 'FR' AND coalesce(email_opt_in, 0) = 1)");
    CHECK(r, "x", "out", 3,
          "SELECT count(*) FROM profiles WHERE country = 'FR' AND coalesce(email_opt_in, 0) <> 1");
    CHECK(r, "x", "removed", 3,
          "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
    CHECK(r, "x2", "out", 4,
          "SELECT count(*) FROM profiles WHERE email_opt_in = 1 AND country <> 'FR'");
    run_release(&r);
}

static void test_combine_inactive_input(void **state)
{
    (void)state;
    struct run r;
    /* "t" never takes its "big" branch: that input of every combine is inactive (empty). */
    run_ok("{'name':'comb_in','activities':["
           "{'id':'fr','type':'build_audience','filter':" FR "},"
           "{'id':'opt','type':'build_audience','filter':" OPT "},"
           "{'id':'t','type':'test','conditions':[{'port':'big','count':{'gt':1000000}}]},"
           "{'id':'u','type':'combine','operation':'union'},"
           "{'id':'i','type':'combine','operation':'intersection','complement':'rest'},"
           "{'id':'x','type':'combine','operation':'exclusion','primary':'opt',"
           "'complement':'removed'},"
           "{'id':'y','type':'combine','operation':'exclusion','primary':'t'}],"
           "'transitions':[{'from':'fr','to':'t'},"
           "{'from':'t','port':'big','to':'u'},{'from':'opt','to':'u'},"
           "{'from':'t','port':'big','to':'i'},{'from':'opt','to':'i'},"
           "{'from':'t','port':'big','to':'x'},{'from':'opt','to':'x'},"
           "{'from':'t','port':'big','to':'y'},{'from':'opt','to':'y'}]}",
           &r);
    assert_int_equal(cnt(&r, "t", "big"), 0);
    CHECK(r, "u", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* intersecting with an empty population leaves nothing; the rest is all of opt */
    CHECK(r, "i", "out", 0, "SELECT 0");
    CHECK(r, "i", "rest", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* subtracting an empty population removes nothing */
    CHECK(r, "x", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    CHECK(r, "x", "removed", 0, "SELECT 0");
    /* the primary itself is empty */
    CHECK(r, "y", "out", 0, "SELECT 0");
    run_release(&r);
}

/* ---- split ------------------------------------------------------------------------------ */

static void test_split_first_match_overlap(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'split1','options':{'keep_interim_results':true},'activities':["
           "{'id':'a','type':'build_audience'},"
           "{'id':'s','type':'split','segments':[{'port':'fr','filter':" FR "},"
           "{'port':'opt','filter':" OPT "}],'complement':'rest'},"
           "{'id':'o','type':'split','overlap':true,'segments':[{'port':'fr','filter':" FR "},"
           "{'port':'opt','filter':" OPT "}],'complement':'rest'},"
           "{'id':'w','type':'wait','duration':'0s'}],"
           "'transitions':[{'from':'a','to':'s'},{'from':'a','to':'o'},"
           "{'from':'s','port':'rest','to':'w'}]}",
           &r);
    CHECK(r, "s", "fr", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "s", "opt", 4,
          "SELECT count(*) FROM profiles WHERE country <> 'FR' AND email_opt_in = 1");
    CHECK(r, "s", "rest", 11,
          "SELECT count(*) FROM profiles WHERE country <> 'FR' AND coalesce(email_opt_in, 0) <> 1");
    CHECK(r, "w", "out", 11,
          "SELECT count(*) FROM profiles WHERE country <> 'FR' AND coalesce(email_opt_in, 0) <> 1");
    assert_keys(port_keys(&r, "s", "rest"),
                "SELECT group_concat(id, ',') FROM (SELECT id FROM profiles WHERE country <> 'FR' "
                "AND coalesce(email_opt_in, 0) <> 1 ORDER BY id)",
                true);
    CHECK(r, "o", "fr", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "o", "opt", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* with overlap, the complement is what no segment took */
    CHECK(r, "o", "rest", 11,
          "SELECT count(*) FROM profiles WHERE country <> 'FR' AND coalesce(email_opt_in, 0) <> 1");
    run_release(&r);
}

static void test_split_percent(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'split_pct','activities':["
           "{'id':'a','type':'build_audience'},"
           "{'id':'s','type':'split','segments':[{'port':'p10','percent':10},"
           "{'port':'p33','percent':33}],'complement':'rest'},"
           "{'id':'f','type':'split','segments':[{'port':'half_fr','filter':" FR ",'percent':50},"
           "{'port':'all','percent':100}]},"
           "{'id':'z','type':'split','segments':[{'port':'none','percent':0},"
           "{'port':'tiny','percent':4.9}],'complement':'rest'}],"
           "'transitions':[{'from':'a','to':'s'},{'from':'a','to':'f'},{'from':'a','to':'z'}]}",
           &r);
    /* floor(21 * 10 / 100) = 2; then 33% of the 19 left: floor(6.27) = 6 */
    CHECK(r, "s", "p10", 2, "SELECT (count(*) * 10) / 100 FROM profiles");
    CHECK(r, "s", "p33", 6, "SELECT ((count(*) - 2) * 33) / 100 FROM profiles");
    CHECK(r, "s", "rest", 13, "SELECT count(*) - 2 - 6 FROM profiles");
    /* half of the 6 FR profiles, then all of the 18 others */
    CHECK(r, "f", "half_fr", 3, "SELECT (count(*) * 50) / 100 FROM profiles WHERE country = 'FR'");
    CHECK(r, "f", "all", 18, "SELECT count(*) - 3 FROM profiles");
    /* 0% keeps nothing; floor(21 * 4.9 / 100) = 1; the complement (not connected) counts
     * the rest */
    CHECK(r, "z", "none", 0, "SELECT 0");
    CHECK(r, "z", "tiny", 1, "SELECT CAST(count(*) * 49 / 1000 AS INTEGER) FROM profiles");
    CHECK(r, "z", "rest", 20, "SELECT count(*) - 1 FROM profiles");
    run_release(&r);

    /* the same seed picks the same records; the sample is a subset of the input */
    const char *doc = "{'name':'split_seed','activities':[{'id':'a','type':'build_audience'},"
                      "{'id':'s','type':'split','segments':[{'port':'p','percent':40}]}],"
                      "'options':{'keep_interim_results':true},"
                      "'transitions':[{'from':'a','to':'s'}]}";
    struct run r1, r2;
    run_full(doc, false, NULL, 7, SW_RUN_COMPLETED, &r1);
    run_full(doc, false, NULL, 7, SW_RUN_COMPLETED, &r2);
    CHECK(r1, "s", "p", 8, "SELECT (count(*) * 40) / 100 FROM profiles");
    char *k1 = port_keys(&r1, "s", "p"), *k2 = port_keys(&r2, "s", "p");
    assert_string_equal(k1, k2);
    free(k1);
    free(k2);
    run_release(&r1);
    run_release(&r2);
}

static void test_split_limit_order(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'split_lim','options':{'keep_interim_results':true},'activities':["
           "{'id':'a','type':'build_audience'},"
           "{'id':'s','type':'split','overlap':true,'segments':["
           "{'port':'top','limit':5,'order_by':'score','direction':'desc'},"
           "{'port':'bottom','limit':4,'order_by':'score'},"
           "{'port':'top_fr','filter':" FR ",'limit':2,'order_by':'score','direction':'desc'},"
           "{'port':'rnd','limit':4},"
           "{'port':'top_pct','percent':20,'order_by':'score','direction':'desc'},"
           "{'port':'big','limit':100,'order_by':'score'}]}],"
           "'transitions':[{'from':'a','to':'s'}]}",
           &r);
    /* scores: 10 for 8 and 19, 9 for 5 and 16, 8 for 2 and 13: the fifth place is a tie
     * between 2 and 13, broken by ascending key */
    CHECK(r, "s", "top", 5, "SELECT 5");
    assert_keys(port_keys(&r, "s", "top"),
                "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id FROM profiles "
                "ORDER BY score DESC, id ASC LIMIT 5) ORDER BY id)",
                true);
    assert_keys(port_keys(&r, "s", "top"), "2,5,8,16,19", false);
    /* ascending: 0 (11), 1 (3, 14), then 2 (6 before 17) */
    CHECK(r, "s", "bottom", 4, "SELECT 4");
    assert_keys(port_keys(&r, "s", "bottom"),
                "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id FROM profiles "
                "ORDER BY score ASC, id ASC LIMIT 4) ORDER BY id)",
                true);
    assert_keys(port_keys(&r, "s", "bottom"), "3,6,11,14", false);
    assert_keys(port_keys(&r, "s", "top_fr"),
                "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id FROM profiles "
                "WHERE country = 'FR' ORDER BY score DESC, id ASC LIMIT 2) ORDER BY id)",
                true);
    CHECK(r, "s", "rnd", 4, "SELECT 4");
    /* a percent with order_by takes the top floor(21 * 20 / 100) = 4 */
    CHECK(r, "s", "top_pct", 4, "SELECT (count(*) * 20) / 100 FROM profiles");
    assert_keys(port_keys(&r, "s", "top_pct"), "5,8,16,19", false);
    CHECK(r, "s", "big", N_PROFILES, "SELECT count(*) FROM profiles");
    /* a random sample is a subset of the input */
    char *t = port_table(&r, "s", "rnd");
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\" w JOIN profiles p ON p.id = w._key", t), 4);
    free(t);
    run_release(&r);
}

static void test_split_skip_empty(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'split_skip','activities':["
           "{'id':'a','type':'build_audience'},"
           "{'id':'s','type':'split','skip_empty':true,'segments':["
           "{'port':'none','filter':{'field':'country','op':'eq','value':'XX'}},"
           "{'port':'fr','filter':" FR "}],'complement':'rest'},"
           "{'id':'after_none','type':'save_audience','audience':'never'},"
           "{'id':'after_fr','type':'wait','duration':'0s'},"
           "{'id':'after_rest','type':'wait','duration':'0s'},"
           "{'id':'s2','type':'split','skip_empty':false,'segments':["
           "{'port':'none','filter':{'field':'country','op':'eq','value':'XX'}}]},"
           "{'id':'after_none2','type':'wait','duration':'0s'}],"
           "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'none','to':'after_none'},"
           "{'from':'s','port':'fr','to':'after_fr'},{'from':'s','port':'rest','to':'after_rest'},"
           "{'from':'a','to':'s2'},{'from':'s2','port':'none','to':'after_none2'}]}",
           &r);
    CHECK(r, "s", "none", 0, "SELECT count(*) FROM profiles WHERE country = 'XX'");
    CHECK(r, "s", "fr", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "s", "rest", 15, "SELECT count(*) FROM profiles WHERE country <> 'FR'");
    assert_status(&r, "after_none", "skipped");
    assert_null(sw_catalog_audience_table(E.cat, "never"));
    assert_status(&r, "after_fr", "completed");
    CHECK(r, "after_fr", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    assert_status(&r, "after_rest", "completed");
    /* without skip_empty the empty population flows on */
    assert_status(&r, "after_none2", "completed");
    assert_int_equal(cnt(&r, "after_none2", "out"), 0);
    run_release(&r);
}

/* ---- deduplicate ------------------------------------------------------------------------ */

/* Kept keys per method, as an independent window query over profiles. */
#define KEPT(order)                                                                                \
    "SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT id, row_number() OVER "             \
    "(PARTITION BY email ORDER BY " order ", id) AS rn FROM profiles WHERE email IS NOT NULL) "    \
    "WHERE rn = 1 UNION ALL SELECT id FROM profiles WHERE email IS NULL ORDER BY id)"

static void test_deduplicate(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'dedup','options':{'keep_interim_results':true},'activities':["
           "{'id':'a','type':'build_audience'},"
           "{'id':'rnd','type':'deduplicate','fields':['email']},"
           "{'id':'ob','type':'deduplicate','fields':['email'],'keep':{'method':'order_by',"
           "'order_by':'score','direction':'desc'}},"
           "{'id':'obasc','type':'deduplicate','fields':['email'],'keep':{'method':'order_by',"
           "'order_by':'score'}},"
           "{'id':'ne','type':'deduplicate','fields':['email'],'keep':{'method':'non_empty',"
           "'field':'phone'}},"
           "{'id':'pv','type':'deduplicate','fields':['email'],'keep':{'method':"
           "'preferred_values','field':'country','values':['US','FR']}},"
           "{'id':'two','type':'deduplicate','fields':['email'],'keep':{'count':2,"
           "'method':'random'}},"
           "{'id':'multi','type':'deduplicate','fields':['email','phone']},"
           "{'id':'dups','type':'wait','duration':'0s'}],"
           "'transitions':[{'from':'a','to':'rnd'},{'from':'a','to':'ob'},{'from':'a','to':'obasc'},"
           "{'from':'a','to':'ne'},{'from':'a','to':'pv'},{'from':'a','to':'two'},"
           "{'from':'a','to':'multi'},{'from':'rnd','port':'duplicates','to':'dups'}]}",
           &r);
    const char *kept1 = "SELECT (SELECT count(DISTINCT email) FROM profiles) + "
                        "(SELECT count(*) FROM profiles WHERE email IS NULL)";
    /* 7 distinct emails + 5 NULL emails (never duplicates of each other) */
    CHECK(r, "rnd", "out", 12, "%s", kept1);
    CHECK(r, "rnd", "duplicates", 9, "SELECT count(*) - (%s) FROM profiles", kept1);
    CHECK(r, "dups", "out", 9, "SELECT count(*) - (%s) FROM profiles", kept1);
    /* every email once, every NULL kept */
    char *t = port_table(&r, "rnd", "out");
    assert_int_equal(sqln("SELECT count(*) FROM (SELECT p.email FROM \"%s\" w JOIN profiles p ON "
                          "p.id = w._key WHERE p.email IS NOT NULL GROUP BY p.email HAVING "
                          "count(*) > 1)",
                          t),
                     0);
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\" w JOIN profiles p ON p.id = w._key WHERE "
                          "p.email IS NULL",
                          t),
                     5);
    free(t);
    for (const char *const *a = (const char *const[]){"ob", "obasc", "ne", "pv", NULL}; *a; a++) {
        CHECK(r, *a, "out", 12, "%s", kept1);
        CHECK(r, *a, "duplicates", 9, "SELECT count(*) - (%s) FROM profiles", kept1);
    }
    assert_keys(port_keys(&r, "ob", "out"), KEPT("score DESC"), true);
    assert_keys(port_keys(&r, "obasc", "out"), KEPT("score ASC"), true);
    assert_keys(port_keys(&r, "ne", "out"),
                KEPT("CASE WHEN phone IS NULL OR phone = '' THEN 1 ELSE 0 END"), true);
    assert_keys(port_keys(&r, "pv", "out"),
                KEPT("CASE country WHEN 'US' THEN 0 WHEN 'FR' THEN 1 ELSE 2 END"), true);
    /* count 2: up to two per email */
    CHECK(r, "two", "out", 19,
          "SELECT (SELECT sum(min(c, 2)) FROM (SELECT count(*) AS c FROM profiles WHERE email "
          "IS NOT NULL GROUP BY email)) + (SELECT count(*) FROM profiles WHERE email IS NULL)");
    CHECK(r, "two", "duplicates", 2,
          "SELECT sum(max(c - 2, 0)) FROM (SELECT count(*) AS c FROM profiles WHERE email "
          "IS NOT NULL GROUP BY email)");
    /* two fields: only rows where both are NULL are exempt; (NULL, phone) still groups */
    CHECK(r, "multi", "out", -1,
          "SELECT (SELECT count(*) FROM (SELECT 1 FROM profiles WHERE NOT (email IS NULL AND "
          "phone IS NULL) GROUP BY email, phone)) + (SELECT count(*) FROM profiles WHERE "
          "email IS NULL AND phone IS NULL)");
    assert_true(cnt(&r, "multi", "out") > 12);
    run_release(&r);
}

/* ---- enrich ----------------------------------------------------------------------------- */

static void test_enrich(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'enrich','options':{'keep_interim_results':true},'activities':["
           "{'id':'a','type':'build_audience'},"
           "{'id':'e','type':'enrich','columns':["
           "{'name':'cty','field':'country'},"
           "{'name':'city','link':'households','field':'city'},"
           "{'name':'n_orders','link':'orders','aggregate':'count'},"
           "{'name':'n_paid','link':'orders','aggregate':'count','filter':{'field':'status',"
           "'op':'eq','value':'paid'}},"
           "{'name':'total','link':'orders','aggregate':'sum','field':'amount'},"
           "{'name':'paid_total','link':'orders','aggregate':'sum','field':'amount',"
           "'filter':{'field':'status','op':'eq','value':'paid'}},"
           "{'name':'avg_amt','link':'orders','aggregate':'avg','field':'amount'},"
           "{'name':'min_amt','link':'orders','aggregate':'min','field':'amount'},"
           "{'name':'max_paid','link':'orders','aggregate':'max','field':'amount',"
           "'filter':{'field':'status','op':'eq','value':'paid'}}]},"
           "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'total',"
           "'op':'ge','value':100}}],'complement':'small'},"
           "{'id':'top','type':'split','segments':[{'port':'top','limit':3,'order_by':'total',"
           "'direction':'desc'}]},"
           "{'id':'dd','type':'deduplicate','fields':['cty'],'keep':{'method':'order_by',"
           "'order_by':'total','direction':'desc'}}],"
           "'transitions':[{'from':'a','to':'e'},{'from':'e','to':'s'},{'from':'e','to':'top'},"
           "{'from':'e','to':'dd'}]}",
           &r);
    CHECK(r, "e", "out", N_PROFILES, "SELECT count(*) FROM profiles");
    char *t = port_table(&r, "e", "out");
    assert_non_null(t);
    /* every row agrees with independent correlated subqueries */
    const char *O = "FROM orders o WHERE o.profile_id = p.id";
    int64_t bad = sqln(
        "SELECT count(*) FROM \"%s\" w JOIN profiles p ON p.id = w._key WHERE "
        "w.cty IS NOT p.country "
        "OR w.city IS NOT (SELECT h.city FROM households h WHERE h.id = p.household_id) "
        "OR w.n_orders IS NOT (SELECT count(*) %s) "
        "OR w.n_paid IS NOT (SELECT count(*) %s AND o.status = 'paid') "
        "OR w.total IS NOT (SELECT coalesce(sum(o.amount), 0) %s) "
        "OR w.paid_total IS NOT (SELECT coalesce(sum(o.amount), 0) %s AND o.status = 'paid') "
        "OR (w.avg_amt IS NULL) <> ((SELECT avg(o.amount) %s) IS NULL) "
        "OR abs(w.avg_amt - (SELECT avg(o.amount) %s)) > 1e-9 "
        "OR w.min_amt IS NOT (SELECT min(o.amount) %s) "
        "OR w.max_paid IS NOT (SELECT max(o.amount) %s AND o.status = 'paid')",
        t, O, O, O, O, O, O, O, O);
    assert_int_equal(bad, 0);
    /* no orders at all (18): 0 for count and sum, NULL for avg, min, max */
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\" WHERE _key = 18 AND n_orders = 0 AND "
                          "n_paid = 0 AND total = 0 AND paid_total = 0 AND avg_amt IS NULL AND "
                          "min_amt IS NULL AND max_paid IS NULL AND city = 'Paris' AND cty = 'FR'",
                          t),
                     1);
    /* orders but none paid (1): the filtered aggregates see no rows */
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\" WHERE _key = 1 AND n_orders = 2 AND "
                          "n_paid = 0 AND paid_total = 0 AND max_paid IS NULL AND total > 0 AND "
                          "avg_amt IS NOT NULL",
                          t),
                     1);
    /* no household: the N-1 field is NULL */
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\" WHERE _key = 4 AND city IS NULL", t), 1);
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\" WHERE _key = 1 AND city = 'Lyon'", t), 1);
    /* the enrichment is usable downstream */
    CHECK(r, "s", "big", -1,
          "SELECT count(*) FROM profiles p WHERE (SELECT coalesce(sum(amount), 0) FROM orders o "
          "WHERE o.profile_id = p.id) >= 100");
    assert_true(cnt(&r, "s", "big") > 0);
    CHECK(r, "s", "small", -1, "SELECT %d - %lld", N_PROFILES, (long long)cnt(&r, "s", "big"));
    /* the split carried the columns */
    char *ts = port_table(&r, "s", "big");
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\" WHERE total < 100", ts), 0);
    free(ts);
    /* order_by on an enrichment column, in split and in deduplicate */
    const char *TOTAL = "(SELECT coalesce(sum(amount), 0) FROM orders o WHERE o.profile_id = p.id)";
    char *exp = sw_asprintf("SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT p.id FROM "
                            "profiles p ORDER BY %s DESC, p.id LIMIT 3) ORDER BY id)",
                            TOTAL);
    assert_keys(port_keys(&r, "top", "top"), exp, true);
    free(exp);
    assert_keys(port_keys(&r, "top", "top"), "2,13,16", false);
    exp = sw_asprintf("SELECT group_concat(id, ',') FROM (SELECT id FROM (SELECT p.id, row_number() "
                      "OVER (PARTITION BY p.country ORDER BY %s DESC, p.id) AS rn FROM profiles p) "
                      "WHERE rn = 1 ORDER BY id)",
                      TOTAL);
    assert_keys(port_keys(&r, "dd", "out"), exp, true);
    free(exp);
    CHECK(r, "dd", "out", 4, "SELECT count(DISTINCT country) FROM profiles");
    free(t);
    run_release(&r);
}

/* Date columns added by enrich keep working in downstream filters, whatever the storage of
 * the source column (here ISO text with a space, and epoch seconds). */
static void test_enrich_dates(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    /* two late orders on the same day, on either side of 09:00 */
    assert_int_equal(sw_db_exec(E.db,
                                "INSERT INTO orders VALUES (41, 18, 1, 'paid', "
                                "'2026-03-10 15:00:00', CAST(strftime('%s', '2026-03-10 15:00:00') "
                                "AS INTEGER)), (42, 19, 1, 'paid', '2026-03-10 08:00:00', "
                                "CAST(strftime('%s', '2026-03-10 08:00:00') AS INTEGER))",
                                &err),
                     0);
    struct run r;
    run_ok("{'name':'enrich_dates','activities':["
           "{'id':'a','type':'build_audience'},"
           "{'id':'e','type':'enrich','columns':["
           "{'name':'last_order','link':'orders','aggregate':'max','field':'created_at'},"
           "{'name':'last_paid','link':'orders','aggregate':'max','field':'paid_s'}]},"
           "{'id':'s','type':'split','overlap':true,'segments':["
           "{'port':'iso_after','filter':{'field':'last_order','op':'after',"
           "'value':'2026-03-10T09:00:00Z'}},"
           "{'port':'iso_recent','filter':{'field':'last_order','op':'within_last',"
           "'value':'30d'}},"
           "{'port':'epoch_after','filter':{'field':'last_paid','op':'after',"
           "'value':'2026-03-10T09:00:00Z'}},"
           "{'port':'epoch_recent','filter':{'field':'last_paid','op':'within_last',"
           "'value':'30d'}}]}],"
           "'transitions':[{'from':'a','to':'e'},{'from':'e','to':'s'}]}",
           &r);
    int nbad = 0;
    nbad += soft_check(&r, "e", "out", N_PROFILES, "SELECT count(*) FROM profiles");
    /* the oracle compares real instants (julianday), not strings */
    nbad += soft_check(&r, "s", "iso_after", 1,
          "SELECT count(*) FROM profiles p WHERE (SELECT max(julianday(created_at)) FROM orders o "
          "WHERE o.profile_id = p.id) > julianday('2026-03-10 09:00:00')");
    nbad += soft_check(&r, "s", "iso_recent", 6,
          "SELECT count(*) FROM profiles p WHERE (SELECT max(julianday(created_at)) FROM orders o "
          "WHERE o.profile_id = p.id) >= julianday('2026-03-15 12:00:00', '-30 days')");
    nbad += soft_check(&r, "s", "epoch_after", 1,
          "SELECT count(*) FROM profiles p WHERE (SELECT max(paid_s) FROM orders o "
          "WHERE o.profile_id = p.id) > CAST(strftime('%%s', '2026-03-10 09:00:00') AS INTEGER)");
    nbad += soft_check(&r, "s", "epoch_recent", 6,
          "SELECT count(*) FROM profiles p WHERE (SELECT max(paid_s) FROM orders o "
          "WHERE o.profile_id = p.id) >= CAST(strftime('%%s', '2026-03-15 12:00:00', '-30 days') "
          "AS INTEGER)");
    run_release(&r);
    sw_error_release(&err);
    assert_int_equal(nbad, 0);
}

/* ---- change_dimension ------------------------------------------------------------------- */

static void test_change_dimension(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'chdim','activities':["
           "{'id':'fr','type':'build_audience','filter':" FR "},"
           "{'id':'to_orders','type':'change_dimension','to':'orders','via':'orders'},"
           "{'id':'paid','type':'split','segments':[{'port':'paid','filter':{'field':'status',"
           "'op':'eq','value':'paid'}}]},"
           "{'id':'big','type':'build_audience','dimension':'orders','filter':{'field':'amount',"
           "'op':'gt','value':50}},"
           "{'id':'to_profiles','type':'change_dimension','to':'profiles','via':'profiles'},"
           "{'id':'to_hh','type':'change_dimension','to':'households','via':'households'},"
           "{'id':'hh_back','type':'change_dimension','to':'profiles','via':'profiles'}],"
           "'transitions':[{'from':'fr','to':'to_orders'},{'from':'to_orders','to':'paid'},"
           "{'from':'big','to':'to_profiles'},{'from':'fr','to':'to_hh'},"
           "{'from':'to_hh','to':'hh_back'}]}",
           &r);
    /* 1-N: the orders of FR profiles */
    CHECK(r, "to_orders", "out", -1,
          "SELECT count(DISTINCT o.id) FROM orders o JOIN profiles p ON p.id = o.profile_id "
          "WHERE p.country = 'FR'");
    assert_true(cnt(&r, "to_orders", "out") > 6);
    CHECK(r, "paid", "paid", -1,
          "SELECT count(*) FROM orders o JOIN profiles p ON p.id = o.profile_id "
          "WHERE p.country = 'FR' AND o.status = 'paid'");
    /* N-1: the distinct profiles of big orders */
    CHECK(r, "big", "out", 20, "SELECT count(*) FROM orders WHERE amount > 50");
    CHECK(r, "to_profiles", "out", -1,
          "SELECT count(DISTINCT profile_id) FROM orders WHERE amount > 50");
    assert_true(cnt(&r, "to_profiles", "out") < 20);
    /* profiles without a household lead nowhere */
    CHECK(r, "to_hh", "out", 1,
          "SELECT count(DISTINCT household_id) FROM profiles WHERE country = 'FR'");
    CHECK(r, "hh_back", "out", -1,
          "SELECT count(*) FROM profiles WHERE household_id IN (SELECT household_id FROM "
          "profiles WHERE country = 'FR')");
    run_release(&r);
}

/* ---- fork, join, wait ------------------------------------------------------------------- */

static void test_fork_join_wait(void **state)
{
    (void)state;
    struct run r;
    int64_t t0 = sw_clock_now_ms();
    run_ok("{'name':'fjw','activities':["
           "{'id':'a','type':'build_audience','filter':" FR "},"
           "{'id':'b','type':'build_audience','filter':" OPT "},"
           "{'id':'f','type':'fork','ports':['copy','spare']},"
           "{'id':'w0','type':'wait','duration':'0s'},"
           "{'id':'w1','type':'wait','duration':'PT1S'},"
           "{'id':'wu','type':'wait','until':'2020-01-01T00:00:00Z'},"
           "{'id':'jand','type':'join','mode':'and'},"
           "{'id':'jp','type':'join','mode':'and','primary':'b'},"
           "{'id':'t','type':'test','conditions':[{'port':'never','count':{'lt':0}}]},"
           "{'id':'jor','type':'join','mode':'or'},"
           "{'id':'jand2','type':'join','mode':'and'},"
           "{'id':'after_and2','type':'wait','duration':'0s'}],"
           "'transitions':[{'from':'a','to':'f'},{'from':'f','to':'w0'},"
           "{'from':'f','port':'copy','to':'w1'},{'from':'f','port':'spare','to':'wu'},"
           "{'from':'w0','to':'jand'},"
           "{'from':'w1','to':'jand'},{'from':'a','to':'jp'},{'from':'b','to':'jp'},"
           "{'from':'a','to':'t'},{'from':'t','port':'never','to':'jor'},{'from':'b','to':'jor'},"
           "{'from':'t','port':'never','to':'jand2'},{'from':'b','to':'jand2'},"
           "{'from':'jand2','to':'after_and2'}]}",
           &r);
    assert_true(sw_clock_now_ms() - t0 >= 1000); /* the wait really waited */
    CHECK(r, "f", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "f", "copy", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "f", "spare", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "w0", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "w1", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "wu", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "jand", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    /* and with primary: the primary input's population */
    CHECK(r, "jp", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    /* or continues with the input that arrived; and needs every input */
    CHECK(r, "jor", "out", 7, "SELECT count(*) FROM profiles WHERE email_opt_in = 1");
    assert_status(&r, "jor", "completed");
    assert_status(&r, "jand2", "skipped");
    assert_status(&r, "after_and2", "skipped");
    char *wake = sqlt("SELECT wake_at - started_at FROM sw_tasks WHERE run_id = %lld AND "
                      "activity = 'w1'",
                      (long long)r.run_id);
    assert_non_null(wake);
    assert_true(atoll(wake) >= 1000 - 5 && atoll(wake) <= 1500);
    free(wake);
    run_release(&r);
}

/* ---- test ------------------------------------------------------------------------------- */

static void test_test_activity(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'tst','activities':["
           "{'id':'a','type':'build_audience','filter':" FR "},"
           "{'id':'t','type':'test','conditions':[{'port':'big','count':{'gt':1000}},"
           "{'port':'some','count':{'ge':6}},{'port':'also','count':{'ge':1}}]},"
           "{'id':'on_big','type':'wait','duration':'0s'},"
           "{'id':'on_some','type':'wait','duration':'0s'},"
           "{'id':'on_default','type':'wait','duration':'0s'},"
           "{'id':'n','type':'test','conditions':[{'port':'big','count':{'gt':1000}}]},"
           "{'id':'after_n','type':'wait','duration':'0s'}],"
           "'transitions':[{'from':'a','to':'t'},{'from':'t','port':'big','to':'on_big'},"
           "{'from':'t','port':'some','to':'on_some'},"
           "{'from':'t','port':'default','to':'on_default'},"
           "{'from':'a','to':'n'},{'from':'n','port':'big','to':'after_n'}]}",
           &r);
    /* first match wins: "some" (6 >= 6), not "also" */
    CHECK(r, "t", "some", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    assert_int_equal(cnt(&r, "t", "big"), 0);
    assert_int_equal(cnt(&r, "t", "also"), 0);
    assert_int_equal(cnt(&r, "t", "default"), 0);
    assert_status(&r, "on_big", "skipped");
    assert_status(&r, "on_some", "completed");
    CHECK(r, "on_some", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    assert_status(&r, "on_default", "skipped");
    /* no match and no default transition: the branch ends there, logged */
    assert_status(&r, "n", "completed");
    assert_status(&r, "after_n", "skipped");
    assert_int_equal(sqln("SELECT count(*) FROM sw_logs WHERE run_id = %lld AND activity = 'n' "
                          "AND message LIKE '%%branch ends here%%'",
                          (long long)r.run_id),
                     1);
    run_release(&r);

    /* variables, with an override */
    const char *doc = "{'name':'tstvar','variables':{'tier':'gold','limit':10},'activities':["
                      "{'id':'a','type':'build_audience'},"
                      "{'id':'t','type':'test','conditions':["
                      "{'port':'gold','variable':'tier','op':'eq','value':'gold'},"
                      "{'port':'many','variable':'limit','op':'gt','value':50}]},"
                      "{'id':'g','type':'wait','duration':'0s'},"
                      "{'id':'m','type':'wait','duration':'0s'},"
                      "{'id':'d','type':'wait','duration':'0s'}],"
                      "'transitions':[{'from':'a','to':'t'},{'from':'t','port':'gold','to':'g'},"
                      "{'from':'t','port':'many','to':'m'},{'from':'t','port':'default','to':'d'}]}";
    run_ok(doc, &r);
    CHECK(r, "t", "gold", N_PROFILES, "SELECT count(*) FROM profiles");
    assert_status(&r, "g", "completed");
    assert_status(&r, "m", "skipped");
    assert_status(&r, "d", "skipped");
    run_release(&r);
    json_t *ov = json_pack("{s:s, s:i}", "tier", "silver", "limit", 99);
    run_full(doc, false, ov, 0, SW_RUN_COMPLETED, &r);
    CHECK(r, "t", "many", N_PROFILES, "SELECT count(*) FROM profiles");
    assert_int_equal(cnt(&r, "t", "gold"), 0);
    assert_status(&r, "g", "skipped");
    assert_status(&r, "m", "completed");
    assert_status(&r, "d", "skipped");
    run_release(&r);
    json_decref(ov);
    ov = json_pack("{s:s}", "tier", "bronze");
    run_full(doc, false, ov, 0, SW_RUN_COMPLETED, &r);
    CHECK(r, "t", "default", N_PROFILES, "SELECT count(*) FROM profiles");
    assert_status(&r, "d", "completed");
    CHECK(r, "d", "out", N_PROFILES, "SELECT count(*) FROM profiles");
    run_release(&r);
    json_decref(ov);
}

/* ---- end, alert, export ----------------------------------------------------------------- */

static void test_end_alert(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'endalert','activities':["
           "{'id':'a','type':'build_audience','filter':" FR "},"
           "{'id':'al','type':'alert','title':'Big','message':'many FR'},"
           "{'id':'e','type':'end','signal':{'campaign':'next','variables':{'x':1}}},"
           "{'id':'e2','type':'end'}],"
           "'transitions':[{'from':'a','to':'al'},{'from':'al','to':'e'},{'from':'a','to':'e2'}]}",
           &r);
    CHECK(r, "al", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    assert_status(&r, "e", "completed");
    assert_status(&r, "e2", "completed");
    assert_int_equal(sqln("SELECT count(*) FROM sw_signals"), 1);
    assert_int_equal(sqln("SELECT count(*) FROM sw_signals WHERE target = 'next' AND "
                          "variables = '{\"x\":1}' AND source_run_id = %lld AND consumed_at IS NULL",
                          (long long)r.run_id),
                     1);
    assert_int_equal(sqln("SELECT count(*) FROM sw_logs WHERE run_id = %lld AND activity = 'al' "
                          "AND level = 'warn' AND message LIKE '%%Big%%many FR%%6 records%%'",
                          (long long)r.run_id),
                     1);
    run_release(&r);
}

static char *slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (sw_read_file(path, &data, &len) < 0) {
        return NULL;
    }
    return data;
}

static void test_export(void **state)
{
    (void)state;
    struct run r;
    run_ok("{'name':'export','activities':["
           "{'id':'a','type':'build_audience','filter':{'field':'country','op':'in',"
           "'value':['FR','ZZ']}},"
           "{'id':'x','type':'export','path':'sub/dir/list.csv','columns':['email','first_name',"
           "'country']},"
           "{'id':'e','type':'enrich','columns':[{'name':'n','link':'orders','aggregate':'count'}]},"
           "{'id':'x2','type':'export','path':'keys.csv'}],"
           "'transitions':[{'from':'a','to':'x'},{'from':'a','to':'e'},{'from':'e','to':'x2'}]}",
           &r);
    CHECK(r, "x", "out", 7, "SELECT count(*) FROM profiles WHERE country IN ('FR', 'ZZ')");
    CHECK(r, "x2", "out", 7, "SELECT count(*) FROM profiles WHERE country IN ('FR', 'ZZ')");
    char *path = sw_asprintf("%s/sub/dir/list.csv", E.dir);
    char *got = slurp(path);
    assert_non_null(got);
    /* RFC 4180: a field with a comma or quote is quoted, quotes doubled; NULL is empty */
    char *exp = sqlt("SELECT 'id,email,first_name,country' || char(13, 10) || group_concat(line, '')"
                     " FROM (SELECT id || ',' || coalesce(email, '') || ',' || CASE WHEN "
                     "first_name LIKE '%%,%%' OR first_name LIKE '%%\"%%' THEN '\"' || "
                     "replace(first_name, '\"', '\"\"') || '\"' ELSE first_name END || ',' || "
                     "country || char(13, 10) AS line FROM profiles WHERE country IN ('FR', 'ZZ') "
                     "ORDER BY id)");
    assert_string_equal(got, exp);
    assert_non_null(strstr(got, "21,,\"Doe, \"\"J\"\"\",ZZ\r\n"));
    free(got);
    free(exp);
    free(path);
    /* no columns: the key and the enrichment columns */
    path = sw_asprintf("%s/keys.csv", E.dir);
    got = slurp(path);
    assert_non_null(got);
    exp = sqlt("SELECT 'id,n' || char(13, 10) || group_concat(line, '') FROM (SELECT id || ',' || "
               "(SELECT count(*) FROM orders o WHERE o.profile_id = p.id) || char(13, 10) AS line "
               "FROM profiles p WHERE country IN ('FR', 'ZZ') ORDER BY id)");
    assert_string_equal(got, exp);
    free(got);
    free(exp);
    free(path);
    run_release(&r);

    /* without an export_dir the activity fails */
    E.cfg.export_dir = NULL;
    run_full("{'name':'export2','activities':[{'id':'a','type':'build_audience'},"
             "{'id':'x','type':'export','path':'a.csv'}],'transitions':[{'from':'a','to':'x'}]}",
             false, NULL, 0, SW_RUN_FAILED, &r);
    assert_status(&r, "x", "failed");
    char *e = sqlt("SELECT error FROM sw_tasks WHERE run_id = %lld AND activity = 'x'",
                   (long long)r.run_id);
    assert_non_null(e);
    assert_non_null(strstr(e, "export_dir"));
    free(e);
    run_release(&r);
    E.cfg.export_dir = E.dir;
}

/* ---- channels, dry runs, failures, work tables --------------------------------------------- */

static void test_channel_not_available(void **state)
{
    (void)state;
    struct run r;
    run_full("{'name':'mail','activities':[{'id':'a','type':'build_audience','filter':" FR "},"
             "{'id':'mail','type':'email','to_field':'email','from':'s@x.org','subject':'Hi "
             "{{first_name}}','text':'t'},"
             "{'id':'after','type':'wait','duration':'0s'}],"
             "'transitions':[{'from':'a','to':'mail'},{'from':'mail','to':'after'}]}",
             false, NULL, 0, SW_RUN_FAILED, &r);
    assert_status(&r, "a", "completed");
    assert_status(&r, "mail", "failed");
    assert_status(&r, "after", "skipped");
    char *e = sqlt("SELECT error FROM sw_tasks WHERE run_id = %lld AND activity = 'mail'",
                   (long long)r.run_id);
    assert_non_null(e);
    assert_non_null(strstr(e, "nothing was sent"));
    free(e);
    char *s = sqlt("SELECT status || '/' || last_error_activity FROM sw_campaigns WHERE id = %lld",
                   (long long)r.campaign_id);
    assert_string_equal(s, "failed/mail");
    free(s);
    s = sqlt("SELECT status FROM sw_runs WHERE id = %lld", (long long)r.run_id);
    assert_string_equal(s, "failed");
    free(s);
    run_release(&r);
}

static void test_failing_activity(void **state)
{
    (void)state;
    struct run r;
    run_full("{'name':'fails','activities':[{'id':'ok','type':'build_audience'},"
             "{'id':'missing','type':'read_audience','audience':'no_such_audience'},"
             "{'id':'after','type':'save_audience','audience':'x'}],"
             "'transitions':[{'from':'missing','to':'after'}]}",
             false, NULL, 0, SW_RUN_FAILED, &r);
    assert_status(&r, "missing", "failed");
    assert_status(&r, "after", "skipped");
    char *e = sqlt("SELECT error FROM sw_tasks WHERE run_id = %lld AND activity = 'missing'",
                   (long long)r.run_id);
    assert_non_null(e);
    assert_non_null(strstr(e, "does not exist"));
    free(e);
    char *s = sqlt("SELECT last_error_activity FROM sw_campaigns WHERE id = %lld",
                   (long long)r.campaign_id);
    assert_string_equal(s, "missing");
    free(s);
    s = sqlt("SELECT status FROM sw_campaigns WHERE id = %lld", (long long)r.campaign_id);
    assert_string_equal(s, "failed");
    free(s);
    /* the failed run's work tables are dropped too */
    assert_int_equal(sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'wt\\_%lld\\_%%' "
                          "ESCAPE '\\'",
                          (long long)r.run_id),
                     0);
    run_release(&r);
    /* a later successful run clears the error */
    run_ok("{'name':'fails','activities':[{'id':'ok','type':'build_audience'}],'transitions':[]}",
           &r);
    s = sqlt("SELECT status || '/' || coalesce(last_error_activity, '-') FROM sw_campaigns "
             "WHERE id = %lld",
             (long long)r.campaign_id);
    assert_string_equal(s, "completed/-");
    free(s);
    run_release(&r);
}

static void test_dry_run(void **state)
{
    (void)state;
    struct run r;
    run_full("{'name':'dry','activities':[{'id':'a','type':'build_audience','filter':" FR "},"
             "{'id':'save','type':'save_audience','audience':'dry_aud'},"
             "{'id':'x','type':'export','path':'dry.csv'},"
             "{'id':'w','type':'wait','duration':'1d'},"
             "{'id':'e','type':'end','signal':{'campaign':'other'}},"
             "{'id':'mail','type':'email','to_field':'email','from':'s@x.org','subject':'s',"
             "'text':'t'},"
             "{'id':'after_mail','type':'wait','duration':'0s'}],"
             "'transitions':[{'from':'a','to':'save'},{'from':'save','to':'x'},"
             "{'from':'x','to':'w'},{'from':'w','to':'e'},{'from':'w','to':'mail'},"
             "{'from':'mail','to':'after_mail'}]}",
             true, NULL, 0, SW_RUN_COMPLETED, &r);
    CHECK(r, "save", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    CHECK(r, "x", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    /* a simulation does not sleep */
    CHECK(r, "w", "out", 6, "SELECT count(*) FROM profiles WHERE country = 'FR'");
    assert_status(&r, "mail", "skipped");
    assert_status(&r, "after_mail", "skipped");
    /* nothing saved, exported or signalled */
    assert_null(sw_catalog_audience_table(E.cat, "dry_aud"));
    assert_int_equal(sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'swa\\_%%' "
                          "ESCAPE '\\'"),
                     0);
    char *path = sw_asprintf("%s/dry.csv", E.dir);
    assert_int_equal(access(path, F_OK), -1);
    free(path);
    assert_int_equal(sqln("SELECT count(*) FROM sw_signals"), 0);
    assert_int_equal(sqln("SELECT simulation FROM sw_runs WHERE id = %lld", (long long)r.run_id), 1);
    /* the campaign's own status is untouched by a simulation */
    char *s = sqlt("SELECT status FROM sw_campaigns WHERE id = %lld", (long long)r.campaign_id);
    assert_string_equal(s, "draft");
    free(s);
    run_release(&r);
}

static void test_work_tables(void **state)
{
    (void)state;
    struct run r;
#define doc                                                                                        \
    "{'name':'wt%s','options':{'keep_interim_results':%s},'activities':["                          \
    "{'id':'a','type':'build_audience'},"                                                          \
    "{'id':'s','type':'split','segments':[{'port':'fr','filter':" FR "}],"                         \
    "'complement':'rest'},"                                                                        \
    "{'id':'d','type':'deduplicate','fields':['email']},"                                          \
    "{'id':'w','type':'wait','duration':'0s'}],"                                                   \
    "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'fr','to':'d'},"                      \
    "{'from':'s','port':'rest','to':'w'}]}"
    char *d = sw_asprintf(doc, "1", "false");
    run_ok(d, &r);
    free(d);
    assert_int_equal(sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'wt\\_%%' ESCAPE '\\'"),
                     0);
    run_release(&r);
    d = sw_asprintf(doc, "2", "true");
    run_ok(d, &r);
    free(d);
    /* kept: a.out, s.fr, s.rest, d.out and d.duplicates, which no transition reads but a kept
     * run keeps for its samples (w passes s.rest through) */
    assert_int_equal(sqln("SELECT count(*) FROM sqlite_master WHERE name LIKE 'wt\\_%lld\\_%%' "
                          "ESCAPE '\\'",
                          (long long)r.run_id),
                     5);
    char *t = port_table(&r, "s", "fr");
    assert_int_equal(sqln("SELECT count(*) FROM \"%s\"", t), 6);
    free(t);
    run_release(&r);
#undef doc
}

/* Every relative date of a run is measured from the run's start: a record 1 s inside a
 * 30-day window when the run starts is still inside it after a 2 s wait (the clock ticks). */
static void test_relative_dates_run_start(void **state)
{
    (void)state;
    struct run r;
    char iso[32];
    sw_clock_format_iso(sw_clock_now_ms() - 30LL * 86400000 + 1000, iso, sizeof(iso));
    char *sql = sw_asprintf("INSERT INTO profiles (id, email, country, created_at) "
                            "VALUES (100, 'edge@example.com', 'QQ', '%s')",
                            iso);
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_exec(E.db, sql, &err), 0);
    free(sql);
    run_ok("{'name':'edge','activities':["
           "{'id':'a','type':'build_audience','filter':{'field':'country','op':'eq','value':'QQ'}},"
           "{'id':'w','type':'wait','duration':'2s'},"
           "{'id':'s','type':'split','segments':[{'port':'recent','filter':"
           "{'field':'created_at','op':'within_last','value':'30d'}}],'complement':'old'}],"
           "'transitions':[{'from':'a','to':'w'},{'from':'w','to':'s'}]}",
           &r);
    CHECK(r, "s", "recent", 1, "SELECT count(*) FROM profiles WHERE id = 100");
    assert_int_equal(cnt(&r, "s", "old"), 0);
    run_release(&r);
    sw_error_release(&err);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_build_audience),
        T(test_build_incremental_date),
        T(test_build_incremental_exclude),
        T(test_audiences),
        T(test_read_audience_other_dimension),
        T(test_combine),
        T(test_combine_inactive_input),
        T(test_split_first_match_overlap),
        T(test_split_percent),
        T(test_split_limit_order),
        T(test_split_skip_empty),
        T(test_deduplicate),
        T(test_enrich),
        T(test_enrich_dates),
        T(test_change_dimension),
        T(test_fork_join_wait),
        T(test_test_activity),
        T(test_end_alert),
        T(test_export),
        T(test_channel_not_available),
        T(test_failing_activity),
        T(test_dry_run),
        T(test_work_tables),
        T(test_relative_dates_run_start),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
