/*
 * test_filter.c - the filter compiler (src/model/filter.c).
 *
 * The schema is built by hand (profiles, orders, households, with links both ways) so these
 * tests do not depend on schema discovery. Every positive case is run against a real
 * in-memory SQLite database: the compiled condition must select exactly the rows an
 * independent hand-written WHERE clause selects, and that count is also stated, so a case
 * can neither pass vacuously nor agree with a wrong oracle.
 */
#include "testutil.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "db/db.h"
#include "model/filter.h"
#include "model/shape.h"
#include "schema/schema.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- hand-built schema --------------------------------------------------------------- */

static struct sw_field profile_fields[] = {
    {.name = "id", .type = SW_T_INT, .decl = "INTEGER", .pk = true},
    {.name = "email", .type = SW_T_TEXT, .decl = "TEXT"},
    {.name = "country", .type = SW_T_TEXT, .decl = "TEXT"},
    {.name = "email_opt_in", .type = SW_T_BOOL, .decl = "BOOLEAN"},
    {.name = "created_at",
     .type = SW_T_DATE,
     .decl = "DATETIME",
     .date_fmt = SW_DATE_ISO_T,
     .date_z = true},
    {.name = "birth_date", .type = SW_T_DATE, .decl = "DATE", .date_fmt = SW_DATE_ISO_DATE},
    {.name = "household_id", .type = SW_T_INT, .decl = "INTEGER"},
    {.name = "score", .type = SW_T_REAL, .decl = "REAL"},
    {.name = "signup_s", .type = SW_T_DATE, .decl = "TIMESTAMP", .date_fmt = SW_DATE_EPOCH_S},
    {.name = "seen_ms", .type = SW_T_DATE, .decl = "TIMESTAMP", .date_fmt = SW_DATE_EPOCH_MS},
    {.name = "updated_at", .type = SW_T_DATE, .decl = "DATETIME", .date_fmt = SW_DATE_ISO_SPACE},
    {.name = "local_at",
     .type = SW_T_DATE,
     .decl = "DATETIME",
     .date_fmt = SW_DATE_ISO_T,
     .date_z = false},
};
static struct sw_link profile_links[] = {
    {.name = "orders",
     .target = "orders",
     .local_col = "id",
     .remote_col = "profile_id",
     .to_many = true},
    {.name = "households",
     .target = "households",
     .local_col = "household_id",
     .remote_col = "id",
     .to_many = false},
};
static struct sw_field order_fields[] = {
    {.name = "id", .type = SW_T_INT, .decl = "INTEGER", .pk = true},
    {.name = "profile_id", .type = SW_T_INT, .decl = "INTEGER"},
    {.name = "amount", .type = SW_T_REAL, .decl = "REAL"},
    {.name = "created_at", .type = SW_T_DATE, .decl = "DATETIME", .date_fmt = SW_DATE_ISO_SPACE},
    {.name = "status", .type = SW_T_TEXT, .decl = "TEXT"},
};
static struct sw_link order_links[] = {
    {.name = "profiles",
     .target = "profiles",
     .local_col = "profile_id",
     .remote_col = "id",
     .to_many = false},
};
static struct sw_field household_fields[] = {
    {.name = "id", .type = SW_T_INT, .decl = "INTEGER", .pk = true},
    {.name = "city", .type = SW_T_TEXT, .decl = "TEXT"},
};
static struct sw_link household_links[] = {
    {.name = "profiles",
     .target = "profiles",
     .local_col = "id",
     .remote_col = "household_id",
     .to_many = true},
};
static struct sw_dimension dims[] = {
    {.name = "profiles",
     .pk = "id",
     .pk_type = SW_T_INT,
     .fields = profile_fields,
     .nfields = sizeof(profile_fields) / sizeof(profile_fields[0]),
     .links = profile_links,
     .nlinks = 2},
    {.name = "orders",
     .pk = "id",
     .pk_type = SW_T_INT,
     .fields = order_fields,
     .nfields = sizeof(order_fields) / sizeof(order_fields[0]),
     .links = order_links,
     .nlinks = 1},
    {.name = "households",
     .pk = "id",
     .pk_type = SW_T_INT,
     .fields = household_fields,
     .nfields = 2,
     .links = household_links,
     .nlinks = 1},
};
static struct sw_schema schema = {.dims = dims, .ndims = 3, .default_dim = "profiles"};

/* ---- data ------------------------------------------------------------------------------ */

/* "Now" for every test: 2026-03-15T12:00:00Z. */
#define NOW_ISO "2026-03-15T12:00:00Z"

/* Each profile has one instant stored four ways (ISO-T with Z, epoch s, epoch ms, ISO with a
 * space) plus ISO-T without Z, so the same test gives the same count on every column. */
#define P(id, email, country, optin, ts, birth, hh, score)                                         \
    "INSERT INTO profiles VALUES (" #id ", " email ", " country ", " optin ", "                    \
    "CASE WHEN " ts " IS NULL THEN NULL ELSE " ts " || 'Z' END, " birth ", " hh ", " score         \
    ", CAST(strftime('%s', " ts ") AS INTEGER), CAST(strftime('%s', " ts                           \
    ") AS INTEGER) * 1000, replace(" ts ", 'T', ' '), " ts ");\n"

static const char *setup_sql =
    "CREATE TABLE households (id INTEGER PRIMARY KEY, city TEXT);\n"
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT, country TEXT, "
    "  email_opt_in BOOLEAN, created_at DATETIME, birth_date DATE, "
    "  household_id INTEGER REFERENCES households(id), score REAL, signup_s TIMESTAMP, "
    "  seen_ms TIMESTAMP, updated_at DATETIME, local_at DATETIME);\n"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, profile_id INTEGER REFERENCES profiles(id), "
    "  amount REAL, created_at DATETIME, status TEXT);\n"
    "INSERT INTO households VALUES (1, 'Paris'), (2, 'Lyon'), (3, NULL), (4, 'Nice');\n" P(
        1, "'alice@example.com'", "'FR'", "1", "'2026-03-01T10:00:00'", "'1990-05-20'", "1",
        "10.5") P(2, "'bob@example.com'", "'US'", "0", "'2025-12-01T08:00:00'", "'2008-03-15'", "2",
                  "3") P(3, "'carol_x@example.org'", "'FR'", "NULL", "'2026-03-15T06:00:00'",
                         "'2008-03-16'", "NULL", "NULL")
        P(4, "'dave%off@example.com'", "NULL", "1", "'2024-01-01T00:00:00'", "NULL", "1",
          "0") P(5, "'EVE@Example.com'", "'DE'", "0", "NULL", "'1960-01-01'", "3", "-2.5")
            P(6, "'frank@test.io'", "'us'", "1", "'2026-03-14T12:00:00'", "'2000-02-29'", "2",
              "100") "INSERT INTO orders VALUES\n"
                     "  (1, 1, 100.0, '2026-03-10 09:00:00', 'paid'),\n"
                     "  (2, 1, 50.5, '2025-01-01 00:00:00', 'refunded'),\n"
                     "  (3, 2, 20, '2026-02-01 12:00:00', 'paid'),\n"
                     "  (4, 4, 5, '2026-03-15 11:00:00', 'paid'),\n"
                     "  (5, 4, 7, '2023-01-01 00:00:00', 'paid'),\n"
                     "  (6, 4, NULL, '2026-01-01 00:00:00', 'pending'),\n"
                     "  (7, 6, 300, NULL, 'paid'),\n"
                     "  (8, 6, 1, '2026-03-01 00:00:00', '50%_off');\n"
                     /* A saved audience and a work table with enrichment columns (profiles 1-4
                        only). */
                     "CREATE TABLE swa_vip (_key INTEGER PRIMARY KEY);\n"
                     "INSERT INTO swa_vip VALUES (1), (3), (5);\n"
                     "CREATE TABLE wt (_key INTEGER PRIMARY KEY, total REAL, last_order TEXT, nb "
                     "INTEGER, "
                     "  flag INTEGER, country TEXT);\n"
                     "INSERT INTO wt VALUES (1, 150.5, '2026-03-10T09:00:00Z', 2, 1, 'XX'),\n"
                     "  (2, 20, '2026-02-01T12:00:00Z', 1, 0, 'XX'), (3, 0, NULL, 0, NULL, NULL),\n"
                     "  (4, 12, '2026-03-15T11:00:00Z', 3, 1, 'YY');\n";

static struct sw_db *db;
static int64_t now_ms;

static int group_setup(void **state)
{
    (void)state;
    db = tu_db(setup_sql);
    assert_int_equal(sw_clock_parse_iso(NOW_ISO, &now_ms), 0);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sw_db_close(db);
    return 0;
}

/* ---- harness --------------------------------------------------------------------------- */

static const char *audience_cb(void *ud, const char *name)
{
    (void)ud;
    return strcmp(name, "vip") == 0 ? "swa_vip" : NULL;
}

/* A compilation context over a dimension, with or without the work table's extra columns. */
struct env {
    struct sw_shape shape;
    struct sw_filter_ctx ctx;
    json_t *vars;
    const char *from; /* FROM clause of the count queries */
};

static void env_init(struct env *e, const char *dim, bool with_cols)
{
    memset(e, 0, sizeof(*e));
    sw_shape_init(&e->shape, dim, sw_schema_dim(&schema, dim));
    e->vars = json_pack("{s:i, s:s, s:[s,s], s:s, s:s, s:b}", "min_spend", 100, "cty", "FR", "cs",
                        "FR", "DE", "when", "2026-03-01T10:00:00Z", "dur", "2w", "yes", 1);
    e->ctx.dialect = SW_DIALECT_SQLITE;
    e->ctx.schema = &schema;
    e->ctx.shape = &e->shape;
    e->ctx.dim_alias = "d";
    e->ctx.variables = e->vars;
    e->ctx.now_ms = now_ms;
    e->ctx.audience_table = audience_cb;
    if (with_cols) {
        sw_shape_add(&e->shape, "total", SW_T_REAL);
        sw_shape_add(&e->shape, "last_order", SW_T_DATE);
        sw_shape_add(&e->shape, "nb", SW_T_INT);
        sw_shape_add(&e->shape, "flag", SW_T_BOOL);
        sw_shape_add(&e->shape, "country", SW_T_TEXT);
        e->ctx.cols_alias = "w";
        e->from = "profiles d JOIN wt w ON w._key = d.id";
    } else {
        e->from = strcmp(dim, "profiles") == 0 ? "profiles d" : "orders d";
    }
}

static void env_release(struct env *e)
{
    sw_shape_release(&e->shape);
    json_decref(e->vars);
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!j) {
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    }
    return j;
}

/* Compile cond; on success return the SQL (malloc'd) and leave the values in params. */
static char *compile_ok(const struct env *e, const char *cond, struct sw_params *params)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_error err = SW_ERROR_INIT;
    json_t *j = parse(cond);
    int rc = sw_filter_compile(j, "$.f", &e->ctx, &sql, params, &err);
    if (rc != 0) {
        tu_print_error(&err);
        fail_msg("compile %s: %d", cond, rc);
    }
    assert_int_equal(err.ndetails, 0);
    json_decref(j);
    sw_error_release(&err);
    return sw_buf_detach(&sql);
}

static int64_t run_count(const struct env *e, const char *where, const struct sw_params *params)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t n = -1;
    char *q = NULL;
    q = sw_asprintf("SELECT count(*) FROM %s WHERE %s", e->from, where);
    if (sw_db_query_int(db, q, params, &n, &err) < 0) {
        fail_msg("query %s: %s", q, err.message ? err.message : "?");
    }
    free(q);
    sw_error_release(&err);
    return n;
}

/* The compiled condition, the independent WHERE clause and the stated count must agree. */
static void check_env(const struct env *e, const char *cond, const char *where, int64_t want)
{
    struct sw_params params = SW_PARAMS_INIT;
    char *sql = compile_ok(e, cond, &params);
    int64_t got = run_count(e, sql, &params);
    int64_t oracle = run_count(e, where, NULL);
    if (got != want || oracle != want) {
        fail_msg("%s\n  compiled: %s\n  got %lld, oracle (%s) %lld, want %lld", cond, sql,
                 (long long)got, where, (long long)oracle, (long long)want);
    }
    free(sql);
    sw_params_release(&params);
}

static void check(const char *cond, const char *where, int64_t want)
{
    struct env e;
    env_init(&e, "profiles", false);
    check_env(&e, cond, where, want);
    env_release(&e);
}

/* Compile a condition expected to fail; returns the errors for more checks. */
static void compile_err_env(const struct env *e, const char *cond, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    json_t *j = parse(cond);
    sw_buf_puts(&sql, "KEEP");
    sw_params_add_int(&params, 42);
    int rc = sw_filter_compile(j, "$.f", &e->ctx, &sql, &params, err);
    if (rc != SW_EVALIDATION) {
        fail_msg("%s: expected a validation error, got %d (%s)", cond, rc, sql.data);
    }
    assert_int_equal(err->code, SW_EVALIDATION);
    /* A failed compilation leaves the caller's SQL and parameters as they were. */
    assert_string_equal(sql.data, "KEEP");
    assert_int_equal(params.n, 1);
    json_decref(j);
    sw_buf_release(&sql);
    sw_params_release(&params);
}

static void expect_err_env(const struct env *e, const char *cond, const char *path,
                           const char *needle)
{
    struct sw_error err = SW_ERROR_INIT;
    compile_err_env(e, cond, &err);
    if (!tu_has_detail(&err, path, needle)) {
        tu_print_error(&err);
        fail_msg("%s: no detail at %s containing \"%s\"", cond, path, needle ? needle : "");
    }
    sw_error_release(&err);
}

static void expect_err(const char *cond, const char *path, const char *needle)
{
    struct env e;
    env_init(&e, "profiles", false);
    expect_err_env(&e, cond, path, needle);
    env_release(&e);
}

static char *compiled_sql(const char *cond)
{
    struct env e;
    struct sw_params params = SW_PARAMS_INIT;
    env_init(&e, "profiles", false);
    char *sql = compile_ok(&e, cond, &params);
    sw_params_release(&params);
    env_release(&e);
    return sql;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_sql_shape(void **state)
{
    (void)state;
    struct env e;
    struct sw_params params = SW_PARAMS_INIT;
    env_init(&e, "profiles", false);

    char *sql =
        compile_ok(&e, "{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}", &params);
    assert_string_equal(sql, "(d.\"country\" = ?1)");
    assert_int_equal(params.n, 1);
    assert_int_equal(params.v[0].type, SW_V_TEXT);
    assert_string_equal(params.v[0].s, "FR");
    free(sql);
    sw_params_release(&params);

    /* Parameters continue the caller's numbering. */
    sw_params_add_int(&params, 7);
    sql = compile_ok(&e,
                     "{\"link\": \"orders\", \"exists\": {\"field\": \"status\", \"op\": "
                     "\"eq\", \"value\": \"paid\"}}",
                     &params);
    assert_string_equal(sql, "EXISTS (SELECT 1 FROM \"orders\" l1 WHERE l1.\"profile_id\" = "
                             "d.\"id\" AND (l1.\"status\" = ?2))");
    assert_int_equal(params.n, 2);
    free(sql);
    sw_params_release(&params);

    sql = compile_ok(&e, "{\"link\": \"households\", \"exists\": true}", &params);
    assert_string_equal(sql, "EXISTS (SELECT 1 FROM \"households\" l1 WHERE l1.\"id\" = "
                             "d.\"household_id\")");
    assert_int_equal(params.n, 0);
    free(sql);

    sql = compile_ok(&e,
                     "{\"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"amount\", "
                     "\"op\": \"gt\", \"value\": 3}",
                     &params);
    assert_string_equal(sql, "((SELECT COALESCE(sum(l1.\"amount\"), 0) FROM \"orders\" l1 WHERE "
                             "l1.\"profile_id\" = d.\"id\") > ?1)");
    free(sql);
    sw_params_release(&params);

    sql = compile_ok(&e, "{\"in_audience\": \"vip\"}", &params);
    assert_string_equal(sql, "(d.\"id\" IN (SELECT \"_key\" FROM \"swa_vip\"))");
    free(sql);

    sql = compile_ok(&e,
                     "{\"not\": {\"field\": \"email\", \"op\": \"contains\", \"value\": "
                     "\"a%\"}}",
                     &params);
    assert_string_equal(sql, "(NOT COALESCE((d.\"email\" LIKE ?1 ESCAPE '\\'), FALSE))");
    assert_string_equal(params.v[0].s, "%a\\%%");
    free(sql);
    sw_params_release(&params);

    /* Another alias for the dimension row, and PostgreSQL placeholders and ILIKE. */
    e.ctx.dim_alias = "p";
    e.ctx.dialect = SW_DIALECT_POSTGRES;
    sql = compile_ok(&e,
                     "{\"all\": [{\"field\": \"id\", \"op\": \"in\", \"value\": [1, 2]}, "
                     "{\"field\": \"email\", \"op\": \"starts_with\", \"value\": \"x\"}]}",
                     &params);
    /* The compiler writes neutral ?N placeholders; the PostgreSQL driver spells them $N. */
    struct sw_buf pg = SW_BUF_INIT;
    sw_dialect_sql(SW_DIALECT_POSTGRES, &pg, sql);
    assert_string_equal(pg.data, "((p.\"id\" IN ($1, $2)) AND (p.\"email\" ILIKE $3 ESCAPE '\\'))");
    sw_buf_release(&pg);
    free(sql);
    sw_params_release(&params);
    env_release(&e);
}

static void test_compare_text(void **state)
{
    (void)state;
    check("{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}", "country = 'FR'", 2);
    /* ne is a comparison too: NULL countries are not "different from FR". */
    check("{\"field\": \"country\", \"op\": \"ne\", \"value\": \"FR\"}",
          "country IS NOT NULL AND country <> 'FR'", 3);
    check("{\"field\": \"country\", \"op\": \"lt\", \"value\": \"FR\"}", "id = 5", 1);
    check("{\"field\": \"country\", \"op\": \"le\", \"value\": \"FR\"}", "id IN (1, 3, 5)", 3);
    check("{\"field\": \"country\", \"op\": \"gt\", \"value\": \"FR\"}", "id IN (2, 6)", 2);
    check("{\"field\": \"country\", \"op\": \"ge\", \"value\": \"US\"}", "id IN (2, 6)", 2);
    check("{\"field\": \"email\", \"op\": \"eq\", \"value\": \"' OR 1=1 --\"}", "0", 0);
}

static void test_compare_numbers(void **state)
{
    (void)state;
    check("{\"field\": \"score\", \"op\": \"gt\", \"value\": 3}", "score > 3", 2);
    check("{\"field\": \"score\", \"op\": \"ge\", \"value\": 3}", "score >= 3", 3);
    check("{\"field\": \"score\", \"op\": \"gt\", \"value\": 2.9}", "score > 2.9", 3);
    check("{\"field\": \"score\", \"op\": \"lt\", \"value\": 0}", "score < 0", 1);
    check("{\"field\": \"score\", \"op\": \"le\", \"value\": 0}", "score <= 0", 2);
    check("{\"field\": \"score\", \"op\": \"eq\", \"value\": 10.5}", "score = 10.5", 1);
    check("{\"field\": \"score\", \"op\": \"ne\", \"value\": 3}", "score <> 3", 4);
    check("{\"field\": \"household_id\", \"op\": \"eq\", \"value\": 1}", "id IN (1, 4)", 2);
    check("{\"field\": \"household_id\", \"op\": \"lt\", \"value\": 2.5}", "id IN (1, 2, 4, 6)", 4);
    check("{\"field\": \"score\", \"op\": \"between\", \"value\": [0, 10.5]}",
          "score BETWEEN 0 AND 10.5", 3);
    check("{\"field\": \"id\", \"op\": \"between\", \"value\": [5, 2]}", "0", 0);
}

static void test_booleans(void **state)
{
    (void)state;
    check("{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}", "email_opt_in = 1", 3);
    check("{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": false}", "email_opt_in = 0", 2);
    check("{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": 1}", "email_opt_in = 1", 3);
    check("{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": 0}", "email_opt_in = 0", 2);
    check("{\"field\": \"email_opt_in\", \"op\": \"ne\", \"value\": true}", "email_opt_in = 0", 2);
    check("{\"not\": {\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}}",
          "email_opt_in IS NOT 1", 3);
    check("{\"field\": \"email_opt_in\", \"op\": \"in\", \"value\": [true, false]}",
          "email_opt_in IS NOT NULL", 5);
    check("{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": {\"var\": \"yes\"}}",
          "email_opt_in = 1", 3);
    expect_err("{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": \"yes\"}", "$.f.value",
               "expected true or false");
    expect_err("{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": 2}", "$.f.value",
               "expected true or false");
    expect_err("{\"field\": \"email_opt_in\", \"op\": \"lt\", \"value\": true}", "$.f.op",
               "does not apply");
}

static void test_null_semantics(void **state)
{
    (void)state;
    check("{\"field\": \"country\", \"op\": \"is_null\"}", "country IS NULL", 1);
    check("{\"field\": \"country\", \"op\": \"is_null\", \"value\": null}", "country IS NULL", 1);
    check("{\"field\": \"country\", \"op\": \"not_null\"}", "country IS NOT NULL", 5);
    /* The complement of a comparison includes the rows where it was false because of NULL. */
    check("{\"not\": {\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}}",
          "country IS NOT 'FR'", 4);
    check("{\"not\": {\"not\": {\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}}}",
          "country = 'FR'", 2);
    check("{\"not\": {\"field\": \"score\", \"op\": \"gt\", \"value\": 3}}",
          "score IS NULL OR score <= 3", 4);
    check("{\"not\": {\"any\": [{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}, "
          "{\"field\": \"score\", \"op\": \"gt\", \"value\": 50}]}}",
          "id IN (2, 4, 5)", 3);
    check("{\"not\": {\"all\": [{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}, "
          "{\"field\": \"score\", \"op\": \"gt\", \"value\": 5}]}}",
          "id <> 1", 5);
}

static void test_in_between(void **state)
{
    (void)state;
    check("{\"field\": \"country\", \"op\": \"in\", \"value\": [\"FR\", \"DE\"]}",
          "country IN ('FR', 'DE')", 3);
    check("{\"field\": \"country\", \"op\": \"not_in\", \"value\": [\"FR\", \"DE\"]}",
          "country IN ('US', 'us')", 2);
    check("{\"field\": \"country\", \"op\": \"in\", \"value\": []}", "0", 0);
    check("{\"field\": \"country\", \"op\": \"not_in\", \"value\": []}", "country IS NOT NULL", 5);
    check("{\"field\": \"id\", \"op\": \"in\", \"value\": [1, 3, 99]}", "id IN (1, 3)", 2);
    check("{\"field\": \"country\", \"op\": \"between\", \"value\": [\"DE\", \"FR\"]}",
          "id IN (1, 3, 5)", 3);
}

static void test_like_operators(void **state)
{
    (void)state;
    /* LIKE metacharacters in the user's text match themselves only. */
    check("{\"field\": \"email\", \"op\": \"contains\", \"value\": \"%\"}", "id = 4", 1);
    check("{\"field\": \"email\", \"op\": \"contains\", \"value\": \"_\"}", "id = 3", 1);
    check("{\"field\": \"email\", \"op\": \"contains\", \"value\": \"l_x\"}", "id = 3", 1);
    check("{\"field\": \"email\", \"op\": \"contains\", \"value\": \"e%o\"}", "id = 4", 1);
    check("{\"field\": \"email\", \"op\": \"contains\", \"value\": \"\\\\\"}", "0", 0);
    check("{\"field\": \"email\", \"op\": \"contains\", \"value\": \"O'Brien\"}", "0", 0);
    check("{\"field\": \"email\", \"op\": \"contains\", \"value\": \"@example.\"}",
          "id IN (1, 2, 3, 4, 5)", 5);
    /* Case-insensitive for ASCII, like SQLite's LIKE. */
    check("{\"field\": \"email\", \"op\": \"starts_with\", \"value\": \"eve\"}", "id = 5", 1);
    check("{\"field\": \"email\", \"op\": \"starts_with\", \"value\": \"dave%\"}", "id = 4", 1);
    check("{\"field\": \"email\", \"op\": \"starts_with\", \"value\": \"dave_\"}", "0", 0);
    check("{\"field\": \"email\", \"op\": \"ends_with\", \"value\": \"example.com\"}",
          "id IN (1, 2, 4, 5)", 4);
    check("{\"field\": \"email\", \"op\": \"ends_with\", \"value\": \".io\"}", "id = 6", 1);
    check("{\"not\": {\"field\": \"country\", \"op\": \"contains\", \"value\": \"R\"}}",
          "id <> 1 AND id <> 3", 4);
    expect_err("{\"field\": \"score\", \"op\": \"contains\", \"value\": \"1\"}", "$.f.op",
               "operator \"contains\" does not apply to field \"score\" (real)");
    expect_err("{\"field\": \"email\", \"op\": \"contains\", \"value\": 1}", "$.f.value",
               "contains expects a string, got a number");
}

static void test_dates_within_last(void **state)
{
    (void)state;
    static const char *const cols[] = {"created_at", "signup_s", "seen_ms", "updated_at",
                                       "local_at"};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        char cond[256];
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"within_last\", \"value\": \"90d\"}", cols[i]);
        check(cond, "id IN (1, 3, 6)", 3);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"within_last\", \"value\": \"12h\"}", cols[i]);
        check(cond, "id = 3", 1);
        /* Two weeks back is 2026-03-01T12:00, just after profile 1's 10:00. */
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"within_last\", \"value\": \"2w\"}", cols[i]);
        check(cond, "id IN (3, 6)", 2);
        /* The bound itself is inside the window. */
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"within_last\", \"value\": \"1d\"}", cols[i]);
        check(cond, "id IN (3, 6)", 2);
        (void)snprintf(
            cond, sizeof(cond),
            "{\"field\": \"%s\", \"op\": \"within_last\", \"value\": {\"var\": \"dur\"}}", cols[i]);
        check(cond, "id IN (3, 6)", 2);
        (void)snprintf(
            cond, sizeof(cond),
            "{\"not\": {\"field\": \"%s\", \"op\": \"within_last\", \"value\": \"90d\"}}", cols[i]);
        check(cond, "id IN (2, 4, 5)", 3);
    }
    expect_err("{\"field\": \"created_at\", \"op\": \"within_last\", \"value\": \"-5d\"}",
               "$.f.value", "positive duration");
    expect_err("{\"field\": \"created_at\", \"op\": \"within_last\", \"value\": \"soon\"}",
               "$.f.value", "positive duration");
    expect_err("{\"field\": \"created_at\", \"op\": \"within_last\", \"value\": 90}", "$.f.value",
               "positive duration");
    expect_err("{\"field\": \"country\", \"op\": \"within_last\", \"value\": \"90d\"}", "$.f.op",
               "does not apply to field \"country\" (text)");
}

static void test_dates_before_after(void **state)
{
    (void)state;
    static const char *const cols[] = {"created_at", "signup_s", "seen_ms", "updated_at",
                                       "local_at"};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        char cond[256];
        /* Strict on both sides: profile 1 is exactly at the bound. */
        (void)snprintf(
            cond, sizeof(cond),
            "{\"field\": \"%s\", \"op\": \"before\", \"value\": \"2026-03-01T10:00:00Z\"}",
            cols[i]);
        check(cond, "id IN (2, 4)", 2);
        (void)snprintf(
            cond, sizeof(cond),
            "{\"field\": \"%s\", \"op\": \"after\", \"value\": \"2026-03-01T10:00:00Z\"}", cols[i]);
        check(cond, "id IN (3, 6)", 2);
        /* Half a second later: profile 1 is now before it, and still not after it. */
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"before\", \"value\": "
                       "\"2026-03-01T10:00:00.500Z\"}",
                       cols[i]);
        check(cond, "id IN (1, 2, 4)", 3);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"after\", \"value\": "
                       "\"2026-03-01T10:00:00.500Z\"}",
                       cols[i]);
        check(cond, "id IN (3, 6)", 2);
        /* An offset is honoured: 11:00+01:00 is 10:00Z. */
        (void)snprintf(
            cond, sizeof(cond),
            "{\"field\": \"%s\", \"op\": \"after\", \"value\": \"2026-03-01T11:00:00+01:00\"}",
            cols[i]);
        check(cond, "id IN (3, 6)", 2);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"after\", \"value\": \"-1w\"}", cols[i]);
        check(cond, "id IN (3, 6)", 2);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"before\", \"value\": \"-1y\"}", cols[i]);
        check(cond, "id = 4", 1);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"eq\", \"value\": \"2026-03-14T12:00:00Z\"}",
                       cols[i]);
        check(cond, "id = 6", 1);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"ge\", \"value\": \"2026-03-14T12:00:00Z\"}",
                       cols[i]);
        check(cond, "id IN (3, 6)", 2);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"between\", \"value\": [\"2025-12-01\", "
                       "{\"var\": \"when\"}]}",
                       cols[i]);
        check(cond, "id IN (1, 2)", 2);
        (void)snprintf(cond, sizeof(cond),
                       "{\"field\": \"%s\", \"op\": \"in\", \"value\": [\"2024-01-01\", "
                       "\"2026-03-14T12:00:00Z\"]}",
                       cols[i]);
        check(cond, "id IN (4, 6)", 2);
    }
    expect_err("{\"field\": \"created_at\", \"op\": \"before\", \"value\": \"yesterday\"}",
               "$.f.value", "expected an ISO-8601 date or a relative duration");
    expect_err("{\"field\": \"created_at\", \"op\": \"after\", \"value\": \"2026-02-30\"}",
               "$.f.value", "expected an ISO-8601 date");
    expect_err("{\"field\": \"created_at\", \"op\": \"eq\", \"value\": 1700000000}", "$.f.value",
               "expected an ISO-8601 date");
}

static void test_date_only(void **state)
{
    (void)state;
    /* 18 years before noon on 2026-03-15: someone born on 2008-03-15 (at midnight, as a
     * date-only value means) is already 18. */
    check("{\"field\": \"birth_date\", \"op\": \"before\", \"value\": \"-18y\"}",
          "birth_date <= '2008-03-15'", 4);
    check("{\"field\": \"birth_date\", \"op\": \"after\", \"value\": \"-18y\"}",
          "birth_date > '2008-03-15'", 1);
    check("{\"field\": \"birth_date\", \"op\": \"after\", \"value\": \"1995-01-01\"}",
          "birth_date > '1995-01-01'", 3);
    check("{\"field\": \"birth_date\", \"op\": \"eq\", \"value\": \"2000-02-29\"}", "id = 6", 1);
    check("{\"field\": \"birth_date\", \"op\": \"between\", \"value\": [\"1990-01-01\", "
          "\"2000-12-31\"]}",
          "id IN (1, 6)", 2);
    /* A lower bound inside a day excludes that day; an upper one includes it. */
    check("{\"field\": \"birth_date\", \"op\": \"between\", \"value\": [\"1990-05-20T08:00\", "
          "\"2000-02-29T08:00\"]}",
          "id = 6", 1);
    check("{\"field\": \"birth_date\", \"op\": \"lt\", \"value\": \"2008-03-15T00:00:01Z\"}",
          "birth_date <= '2008-03-15'", 4);
    check("{\"field\": \"birth_date\", \"op\": \"le\", \"value\": \"2008-03-15T23:00:00Z\"}",
          "birth_date <= '2008-03-15'", 4);
    check("{\"field\": \"birth_date\", \"op\": \"gt\", \"value\": \"2008-03-15T23:00:00Z\"}",
          "birth_date > '2008-03-15'", 1);
    check("{\"field\": \"birth_date\", \"op\": \"ge\", \"value\": \"2008-03-15T23:00:00Z\"}",
          "birth_date > '2008-03-15'", 1);
    check("{\"field\": \"birth_date\", \"op\": \"ge\", \"value\": \"2008-03-15\"}",
          "birth_date >= '2008-03-15'", 2);

    /* At midnight, "-18y" is midnight too: born that day is not before it. */
    struct env e;
    int64_t midnight;
    assert_int_equal(sw_clock_parse_iso("2026-03-15", &midnight), 0);
    env_init(&e, "profiles", false);
    e.ctx.now_ms = midnight;
    check_env(&e, "{\"field\": \"birth_date\", \"op\": \"before\", \"value\": \"-18y\"}",
              "birth_date < '2008-03-15'", 3);
    env_release(&e);
}

static void test_combinators(void **state)
{
    (void)state;
    check("{\"all\": [{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}, "
          "{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}]}",
          "id = 1", 1);
    check("{\"any\": [{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}, "
          "{\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}]}",
          "id IN (1, 3, 4, 6)", 4);
    check("{\"all\": [{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}]}",
          "country = 'FR'", 2);
    check("{\"any\": [{\"all\": [{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}, "
          "{\"field\": \"score\", \"op\": \"gt\", \"value\": 5}]}, {\"not\": {\"field\": "
          "\"country\", \"op\": \"not_null\"}}]}",
          "id IN (1, 4)", 2);
    /* The empty conjunction is true, the empty disjunction false. */
    check("{\"all\": []}", "1", 6);
    check("{\"any\": []}", "0", 0);
    check("{\"not\": {\"any\": []}}", "1", 6);
    check("{\"all\": [{\"any\": []}, {\"all\": []}]}", "0", 0);
}

static void test_links_exists(void **state)
{
    (void)state;
    check("{\"link\": \"orders\", \"exists\": true}", "id IN (SELECT profile_id FROM orders)", 4);
    check("{\"link\": \"orders\", \"exists\": {}}", "id IN (SELECT profile_id FROM orders)", 4);
    check("{\"not\": {\"link\": \"orders\", \"exists\": true}}", "id IN (3, 5)", 2);
    check("{\"link\": \"orders\", \"exists\": {\"field\": \"amount\", \"op\": \"gt\", "
          "\"value\": 60}}",
          "id IN (SELECT profile_id FROM orders WHERE amount > 60)", 2);
    check("{\"link\": \"orders\", \"exists\": {\"all\": [{\"field\": \"status\", \"op\": \"eq\", "
          "\"value\": \"paid\"}, {\"field\": \"created_at\", \"op\": \"within_last\", "
          "\"value\": \"30d\"}]}}",
          "id IN (SELECT profile_id FROM orders WHERE status = 'paid' AND "
          "created_at >= '2026-02-13 12:00:00')",
          2);
    check("{\"link\": \"orders\", \"exists\": {\"field\": \"status\", \"op\": \"contains\", "
          "\"value\": \"%_\"}}",
          "id = 6", 1);
    /* N-1 */
    check("{\"link\": \"households\", \"exists\": true}", "household_id IS NOT NULL", 5);
    check("{\"link\": \"households\", \"exists\": {\"field\": \"city\", \"op\": \"eq\", "
          "\"value\": \"Paris\"}}",
          "household_id = 1", 2);
    check("{\"link\": \"households\", \"exists\": {\"field\": \"city\", \"op\": \"is_null\"}}",
          "household_id = 3", 1);
    /* Three levels: profiles with a paid order of a profile living in Paris (itself). */
    check("{\"link\": \"orders\", \"exists\": {\"all\": [{\"field\": \"status\", \"op\": \"eq\", "
          "\"value\": \"paid\"}, {\"link\": \"profiles\", \"exists\": {\"link\": \"households\", "
          "\"exists\": {\"field\": \"city\", \"op\": \"eq\", \"value\": \"Paris\"}}}]}}",
          "id IN (1, 4)", 2);
    char *sql = compiled_sql(
        "{\"link\": \"orders\", \"exists\": {\"link\": \"profiles\", \"exists\": {\"link\": "
        "\"households\", \"exists\": {\"field\": \"city\", \"op\": \"eq\", \"value\": "
        "\"Paris\"}}}}");
    assert_non_null(strstr(sql, "FROM \"profiles\" l2 WHERE l2.\"id\" = l1.\"profile_id\""));
    assert_non_null(strstr(sql, "FROM \"households\" l3 WHERE l3.\"id\" = l2.\"household_id\""));
    assert_non_null(strstr(sql, "l3.\"city\" = ?1"));
    free(sql);

    /* From the orders dimension, the N-1 link to profiles and on to households. */
    struct env e;
    env_init(&e, "orders", false);
    check_env(&e,
              "{\"link\": \"profiles\", \"exists\": {\"field\": \"country\", \"op\": \"eq\", "
              "\"value\": \"FR\"}}",
              "profile_id IN (1, 3)", 2);
    check_env(&e,
              "{\"link\": \"profiles\", \"exists\": {\"link\": \"households\", \"exists\": "
              "{\"field\": \"city\", \"op\": \"eq\", \"value\": \"Lyon\"}}}",
              "profile_id IN (2, 6)", 3);
    check_env(&e, "{\"link\": \"profiles\", \"exists\": {\"in_audience\": \"vip\"}}",
              "profile_id IN (1, 3, 5)", 2);
    check_env(&e,
              "{\"all\": [{\"field\": \"created_at\", \"op\": \"before\", \"value\": "
              "\"2026-01-01T00:00:00Z\"}, {\"field\": \"amount\", \"op\": \"ge\", "
              "\"value\": 7}]}",
              "created_at < '2026-01-01 00:00:00' AND amount >= 7", 2);
    env_release(&e);
}

static void test_links_aggregate(void **state)
{
    (void)state;
    check("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"gt\", \"value\": 1}",
          "id IN (1, 4, 6)", 3);
    /* No rows: count is 0. */
    check("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"eq\", \"value\": 0}",
          "id IN (3, 5)", 2);
    check("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"eq\", \"value\": 3}",
          "id = 4", 1);
    /* count of a field counts its non-NULL values. */
    check("{\"link\": \"orders\", \"aggregate\": \"count\", \"field\": \"amount\", \"op\": "
          "\"eq\", \"value\": 2}",
          "id IN (1, 4, 6)", 3);
    check("{\"link\": \"orders\", \"aggregate\": \"count\", \"filter\": {\"field\": \"amount\", "
          "\"op\": \"gt\", \"value\": 10}, \"op\": \"eq\", \"value\": 0}",
          "id IN (3, 4, 5)", 3);
    check("{\"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"amount\", \"op\": \"ge\", "
          "\"value\": 150}",
          "id IN (1, 6)", 2);
    /* No rows: sum is 0 (not NULL). */
    check("{\"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"amount\", \"op\": \"eq\", "
          "\"value\": 0}",
          "id IN (3, 5)", 2);
    check("{\"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"amount\", \"op\": \"lt\", "
          "\"value\": 15}",
          "id IN (3, 4, 5)", 3);
    check("{\"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"amount\", \"filter\": "
          "{\"field\": \"status\", \"op\": \"eq\", \"value\": \"paid\"}, \"op\": \"gt\", "
          "\"value\": 50}",
          "id IN (1, 6)", 2);
    check("{\"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"amount\", \"op\": \"ge\", "
          "\"value\": {\"var\": \"min_spend\"}}",
          "id IN (1, 6)", 2);
    check("{\"link\": \"orders\", \"aggregate\": \"avg\", \"field\": \"amount\", \"op\": \"lt\", "
          "\"value\": 20}",
          "id = 4", 1);
    /* No rows: avg, min and max are NULL, so every comparison is false... */
    check("{\"link\": \"orders\", \"aggregate\": \"avg\", \"field\": \"amount\", \"op\": \"ne\", "
          "\"value\": 6}",
          "id IN (1, 2, 6)", 3);
    check("{\"link\": \"orders\", \"aggregate\": \"avg\", \"field\": \"amount\", \"op\": "
          "\"is_null\"}",
          "id IN (3, 5)", 2);
    check("{\"link\": \"orders\", \"aggregate\": \"max\", \"field\": \"amount\", \"op\": \"lt\", "
          "\"value\": 10}",
          "id = 4", 1);
    check("{\"link\": \"orders\", \"aggregate\": \"min\", \"field\": \"amount\", \"op\": \"ge\", "
          "\"value\": 0}",
          "id IN (1, 2, 4, 6)", 4);
    /* ...and their negation true. */
    check("{\"not\": {\"link\": \"orders\", \"aggregate\": \"max\", \"field\": \"amount\", "
          "\"op\": \"gt\", \"value\": 50}}",
          "id IN (2, 3, 4, 5)", 4);
    check("{\"link\": \"orders\", \"aggregate\": \"min\", \"field\": \"amount\", \"op\": "
          "\"is_null\"}",
          "id IN (3, 5)", 2);
    /* Date aggregates keep the column's storage format for their bound values. */
    check("{\"link\": \"orders\", \"aggregate\": \"min\", \"field\": \"created_at\", \"op\": "
          "\"before\", \"value\": \"2024-01-01\"}",
          "id = 4", 1);
    check("{\"link\": \"orders\", \"aggregate\": \"max\", \"field\": \"created_at\", \"op\": "
          "\"within_last\", \"value\": \"30d\"}",
          "id IN (1, 4, 6)", 3);
    check("{\"link\": \"orders\", \"aggregate\": \"max\", \"field\": \"status\", \"op\": \"eq\", "
          "\"value\": \"refunded\"}",
          "id = 1", 1);
    /* Over an N-1 link, and nested inside an exists. */
    check("{\"link\": \"households\", \"aggregate\": \"count\", \"op\": \"eq\", \"value\": 1}",
          "household_id IS NOT NULL", 5);
    check("{\"link\": \"households\", \"exists\": {\"link\": \"profiles\", \"aggregate\": "
          "\"count\", \"op\": \"ge\", \"value\": 2}}",
          "household_id IN (1, 2)", 4);
    check("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"between\", \"value\": [1, "
          "2]}",
          "id IN (1, 2, 6)", 3);
}

static void test_variables(void **state)
{
    (void)state;
    check("{\"field\": \"country\", \"op\": \"eq\", \"value\": {\"var\": \"cty\"}}",
          "country = 'FR'", 2);
    check("{\"field\": \"country\", \"op\": \"in\", \"value\": {\"var\": \"cs\"}}",
          "country IN ('FR', 'DE')", 3);
    check("{\"field\": \"country\", \"op\": \"in\", \"value\": [\"US\", {\"var\": \"cty\"}]}",
          "country IN ('FR', 'US')", 3);
    check("{\"field\": \"created_at\", \"op\": \"after\", \"value\": {\"var\": \"when\"}}",
          "id IN (3, 6)", 2);
    expect_err("{\"field\": \"country\", \"op\": \"eq\", \"value\": {\"var\": \"nope\"}}",
               "$.f.value", "unknown variable \"nope\"");
    expect_err("{\"field\": \"country\", \"op\": \"in\", \"value\": [\"FR\", {\"var\": "
               "\"nope\"}]}",
               "$.f.value[1]", "unknown variable \"nope\"");
    expect_err("{\"field\": \"country\", \"op\": \"eq\", \"value\": {\"var\": 3}}", "$.f.value",
               "{\"var\": \"name\"}");
    /* A variable's value is type-checked like a literal. */
    expect_err("{\"field\": \"score\", \"op\": \"eq\", \"value\": {\"var\": \"cty\"}}", "$.f.value",
               "expected a number, got a string");

    /* The resolver on its own. */
    struct env e;
    struct sw_error err = SW_ERROR_INIT;
    env_init(&e, "profiles", false);
    json_t *ref = parse("{\"var\": \"min_spend\"}");
    json_t *lit = parse("12");
    json_t *bad = parse("{\"var\": \"zzz\"}");
    const json_t *v = sw_filter_resolve_value(&e.ctx, ref, "$.x", &err);
    assert_non_null(v);
    assert_int_equal(json_integer_value(v), 100);
    assert_ptr_equal(sw_filter_resolve_value(&e.ctx, lit, "$.x", &err), lit);
    assert_int_equal(err.ndetails, 0);
    assert_null(sw_filter_resolve_value(&e.ctx, bad, "$.x", &err));
    assert_true(tu_has_detail(&err, "$.x", "unknown variable \"zzz\""));
    sw_error_release(&err);
    /* No variables declared at all. */
    e.ctx.variables = NULL;
    assert_null(sw_filter_resolve_value(&e.ctx, ref, "$.y", &err));
    assert_true(tu_has_detail(&err, "$.y", "unknown variable \"min_spend\""));
    sw_error_release(&err);
    json_decref(ref);
    json_decref(lit);
    json_decref(bad);
    env_release(&e);
}

static void test_in_audience(void **state)
{
    (void)state;
    check("{\"in_audience\": \"vip\"}", "id IN (1, 3, 5)", 3);
    check("{\"not\": {\"in_audience\": \"vip\"}}", "id IN (2, 4, 6)", 3);
    check("{\"all\": [{\"in_audience\": \"vip\"}, {\"field\": \"country\", \"op\": \"eq\", "
          "\"value\": \"FR\"}]}",
          "id IN (1, 3)", 2);
    expect_err("{\"in_audience\": \"nobody\"}", "$.f.in_audience", "unknown audience \"nobody\"");
    expect_err("{\"in_audience\": 3}", "$.f.in_audience", "expected a non-empty string");
    expect_err("{\"in_audience\": \"vip\", \"x\": 1}", "$.f.x", "unknown key \"x\"");

    /* Without a callback (validation when a campaign is saved), any name is accepted and
     * no SQL is written: audiences are resolved when the run starts. */
    struct env e;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    struct sw_error err = SW_ERROR_INIT;
    json_t *cond = json_loads("{\"in_audience\": \"nobody\"}", 0, NULL);
    env_init(&e, "profiles", false);
    e.ctx.audience_table = NULL;
    assert_int_equal(sw_filter_compile(cond, "$.f", &e.ctx, &sql, &params, &err), 0);
    assert_int_equal(err.ndetails, 0);
    assert_int_equal(params.n, 0);
    json_decref(cond);
    sw_buf_release(&sql);
    sw_params_release(&params);
    sw_error_release(&err);
    env_release(&e);
}

static void test_extra_columns(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "profiles", true);
    check_env(&e, "{\"field\": \"total\", \"op\": \"gt\", \"value\": 15}", "w.total > 15", 2);
    check_env(&e, "{\"field\": \"nb\", \"op\": \"eq\", \"value\": 3}", "d.id = 4", 1);
    check_env(&e, "{\"field\": \"flag\", \"op\": \"eq\", \"value\": true}", "w.flag = 1", 2);
    check_env(&e, "{\"field\": \"flag\", \"op\": \"is_null\"}", "d.id = 3", 1);
    check_env(&e, "{\"field\": \"last_order\", \"op\": \"within_last\", \"value\": \"30d\"}",
              "d.id IN (1, 4)", 2);
    check_env(&e,
              "{\"field\": \"last_order\", \"op\": \"after\", \"value\": "
              "\"2026-03-10T09:00:00Z\"}",
              "d.id = 4", 1);
    check_env(&e, "{\"field\": \"last_order\", \"op\": \"before\", \"value\": \"-2w\"}", "d.id = 2",
              1);
    /* An extra column shadows the dimension's field of the same name. */
    check_env(&e, "{\"field\": \"country\", \"op\": \"eq\", \"value\": \"XX\"}", "w.country = 'XX'",
              2);
    check_env(&e,
              "{\"all\": [{\"field\": \"email\", \"op\": \"ends_with\", \"value\": "
              "\"example.com\"}, {\"field\": \"total\", \"op\": \"lt\", \"value\": 100}]}",
              "d.id IN (2, 4)", 2);
    /* Inside a link only the linked dimension's fields are visible. */
    expect_err_env(&e,
                   "{\"link\": \"orders\", \"exists\": {\"field\": \"total\", \"op\": "
                   "\"gt\", \"value\": 1}}",
                   "$.f.exists.field", "unknown field \"total\" of dimension \"orders\"");
    expect_err_env(&e, "{\"field\": \"total\", \"op\": \"eq\", \"value\": \"lots\"}", "$.f.value",
                   "expected a number");

    struct sw_params params = SW_PARAMS_INIT;
    char *sql = compile_ok(&e, "{\"field\": \"total\", \"op\": \"gt\", \"value\": 15}", &params);
    assert_string_equal(sql, "(w.\"total\" > ?1)");
    free(sql);
    sw_params_release(&params);

    /* Without a work table alias the extra columns are not there. */
    e.ctx.cols_alias = NULL;
    expect_err_env(&e, "{\"field\": \"total\", \"op\": \"gt\", \"value\": 15}", "$.f.field",
                   "unknown field \"total\" of dimension \"profiles\"");
    env_release(&e);
}

static void test_filter_field(void **state)
{
    (void)state;
    struct env e;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_type t = SW_T_UNKNOWN;
    env_init(&e, "profiles", true);

    assert_int_equal(sw_filter_field(&e.ctx, "email", "$.x", &sql, &t, &err), 0);
    assert_string_equal(sql.data, "d.\"email\"");
    assert_int_equal(t, SW_T_TEXT);
    sw_buf_reset(&sql);
    assert_int_equal(sw_filter_field(&e.ctx, "total", "$.x", &sql, &t, &err), 0);
    assert_string_equal(sql.data, "w.\"total\"");
    assert_int_equal(t, SW_T_REAL);
    sw_buf_reset(&sql);
    assert_int_equal(sw_filter_field(&e.ctx, "nope", "$.x.field", &sql, &t, &err), SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.x.field",
                              "unknown field \"nope\" of dimension "
                              "\"profiles\""));
    assert_string_equal(sql.data, "");
    sw_error_release(&err);
    assert_int_equal(sw_filter_field(&e.ctx, "id\" OR 1=1 --", "$.x", &sql, &t, &err),
                     SW_EVALIDATION);
    sw_error_release(&err);

    /* Without a schema any name is accepted and nothing is written. */
    e.ctx.schema = NULL;
    assert_int_equal(sw_filter_field(&e.ctx, "whatever", "$.x", &sql, &t, &err), 0);
    assert_int_equal(t, SW_T_UNKNOWN);
    assert_string_equal(sql.data, "");
    assert_int_equal(err.ndetails, 0);

    sw_buf_release(&sql);
    sw_error_release(&err);
    env_release(&e);
}

/* Run "SELECT count(*) FROM <from> WHERE <expr> <test>" for a link value expression. */
static int64_t count_value(const struct env *e, const char *expr, const char *test,
                           const struct sw_params *params)
{
    char *where = sw_asprintf("%s %s", expr, test);
    int64_t n = run_count(e, where, params);
    free(where);
    return n;
}

static char *link_value_ok(const struct env *e, const char *link, const char *agg,
                           const char *field, const char *filter, struct sw_params *params,
                           enum sw_type *type)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_error err = SW_ERROR_INIT;
    json_t *f = filter ? parse(filter) : NULL;
    int rc = sw_filter_link_value(&e->ctx, link, agg, field, f, "$.c", &sql, params, type, &err);
    if (rc != 0) {
        tu_print_error(&err);
        fail_msg("link value %s %s %s: %d", link, agg ? agg : "-", field ? field : "-", rc);
    }
    json_decref(f);
    sw_error_release(&err);
    return sw_buf_detach(&sql);
}

static void test_link_value(void **state)
{
    (void)state;
    struct env e;
    struct sw_params params = SW_PARAMS_INIT;
    enum sw_type t;
    char *sql;
    env_init(&e, "profiles", false);

    /* An N-1 linked field. */
    sql = link_value_ok(&e, "households", NULL, "city", NULL, &params, &t);
    assert_string_equal(sql, "(SELECT l1.\"city\" FROM \"households\" l1 WHERE l1.\"id\" = "
                             "d.\"household_id\")");
    assert_int_equal(t, SW_T_TEXT);
    assert_int_equal(count_value(&e, sql, "= 'Paris'", &params), 2);
    assert_int_equal(count_value(&e, sql, "IS NULL", &params), 2);
    free(sql);

    /* count with a filter; no rows give 0. */
    sql =
        link_value_ok(&e, "orders", "count", NULL,
                      "{\"field\": \"status\", \"op\": \"eq\", \"value\": \"paid\"}", &params, &t);
    assert_int_equal(t, SW_T_INT);
    assert_int_equal(params.n, 1);
    assert_int_equal(count_value(&e, sql, "= 0", &params), 2);
    assert_int_equal(count_value(&e, sql, "= 2", &params), 1);
    assert_int_equal(count_value(&e, sql, "IS NULL", &params), 0);
    free(sql);
    sw_params_release(&params);

    sql = link_value_ok(&e, "orders", "sum", "amount", NULL, &params, &t);
    assert_int_equal(t, SW_T_REAL);
    assert_int_equal(count_value(&e, sql, "= 0", &params), 2);
    assert_int_equal(count_value(&e, sql, "IS NULL", &params), 0);
    {
        char *q = sw_asprintf("SELECT CAST(sum(%s) * 10 AS INTEGER) FROM profiles d", sql);
        int64_t v = 0;
        assert_int_equal(sw_db_query_int(db, q, &params, &v, NULL), 0);
        assert_int_equal(v, 4835);
        free(q);
    }
    free(sql);

    sql = link_value_ok(&e, "orders", "avg", "amount", NULL, &params, &t);
    assert_int_equal(t, SW_T_REAL);
    assert_int_equal(count_value(&e, sql, "IS NULL", &params), 2);
    assert_int_equal(count_value(&e, sql, "= 6", &params), 1);
    free(sql);
    sql = link_value_ok(&e, "orders", "min", "amount", NULL, &params, &t);
    assert_int_equal(count_value(&e, sql, "IS NULL", &params), 2);
    assert_int_equal(count_value(&e, sql, "= 5", &params), 1);
    free(sql);
    sql = link_value_ok(&e, "orders", "max", "created_at",
                        "{\"field\": \"status\", \"op\": \"ne\", \"value\": \"refunded\"}", &params,
                        &t);
    assert_int_equal(t, SW_T_DATE);
    assert_int_equal(count_value(&e, sql, "IS NULL", &params), 2);
    assert_int_equal(count_value(&e, sql, "= '2026-03-15 11:00:00'", &params), 1);
    free(sql);
    sql = link_value_ok(&e, "orders", "count", "amount", NULL, &params, &t);
    assert_int_equal(count_value(&e, sql, "= 2", &params), 3);
    free(sql);
    sw_params_release(&params);

    /* Parameters continue the caller's numbering. */
    sw_params_add_int(&params, 1);
    sql = link_value_ok(&e, "orders", "sum", "amount",
                        "{\"field\": \"amount\", \"op\": \"gt\", \"value\": 60}", &params, &t);
    assert_non_null(strstr(sql, "?2"));
    assert_int_equal(count_value(&e, sql, "> ?1", &params), 2);
    free(sql);
    sw_params_release(&params);

    /* From orders, the N-1 link to profiles. */
    struct env eo;
    env_init(&eo, "orders", false);
    sql = link_value_ok(&eo, "profiles", NULL, "country", NULL, &params, &t);
    assert_int_equal(count_value(&eo, sql, "= 'FR'", &params), 2);
    free(sql);
    env_release(&eo);

    /* Errors. */
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf b = SW_BUF_INIT;
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "orders", NULL, "amount", NULL, "$.c", &b, &params, &t, &err),
        SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.aggregate", "link \"orders\" leads to many rows"));
    sw_error_release(&err);
    assert_int_equal(sw_filter_link_value(&e.ctx, "orders", "median", "amount", NULL, "$.c", &b,
                                          &params, &t, &err),
                     SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.aggregate", "unknown aggregate \"median\""));
    sw_error_release(&err);
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "nope", "count", NULL, NULL, "$.c", &b, &params, &t, &err),
        SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.link", "unknown link \"nope\" of dimension"));
    sw_error_release(&err);
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "orders", "sum", "nope", NULL, "$.c", &b, &params, &t, &err),
        SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.field",
                              "unknown field \"nope\" of dimension "
                              "\"orders\""));
    sw_error_release(&err);
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "orders", "sum", NULL, NULL, "$.c", &b, &params, &t, &err),
        SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.field", "\"field\" is required for sum"));
    sw_error_release(&err);
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "orders", "avg", "status", NULL, "$.c", &b, &params, &t, &err),
        SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.field", "avg needs a numeric field"));
    sw_error_release(&err);
    json_t *f = parse("{\"all\": [{\"field\": \"status\", \"op\": \"like\", \"value\": 1}, "
                      "{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}]}");
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "orders", "count", NULL, f, "$.c", &b, &params, &t, &err),
        SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.filter.all[0].op", "unknown operator \"like\""));
    assert_true(tu_has_detail(&err, "$.c.filter.all[1].field",
                              "unknown field \"country\" of dimension \"orders\""));
    assert_int_equal(err.ndetails, 2);
    assert_int_equal(t, SW_T_UNKNOWN);
    assert_string_equal(b.data, "");
    assert_int_equal(params.n, 0);
    sw_error_release(&err);
    json_decref(f);

    /* Structural only without a schema. */
    e.ctx.schema = NULL;
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "anything", "sum", "x", NULL, "$.c", &b, &params, &t, &err),
        0);
    assert_string_equal(b.data, "");
    assert_int_equal(params.n, 0);
    assert_int_equal(
        sw_filter_link_value(&e.ctx, "anything", "mean", "x", NULL, "$.c", &b, &params, &t, &err),
        SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.c.aggregate", "unknown aggregate"));
    sw_error_release(&err);

    sw_buf_release(&b);
    sw_params_release(&params);
    env_release(&e);
}

static void test_errors_paths(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct env e;
    env_init(&e, "profiles", false);
    compile_err_env(&e,
                    "{\"all\": [{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}, "
                    "{\"field\": \"country\", \"op\": \"equals\", \"value\": \"x\"}]}",
                    &err);
    assert_int_equal(err.ndetails, 1);
    assert_string_equal(err.details[0].path, "$.f.all[1].op");
    assert_string_equal(err.details[0].message,
                        "unknown operator \"equals\" (expected one of eq, ne, lt, le, gt, ge, "
                        "in, not_in, between, contains, starts_with, ends_with, is_null, "
                        "not_null, within_last, before, after)");
    sw_error_release(&err);
    env_release(&e);

    expect_err("{\"field\": \"nope\", \"op\": \"eq\", \"value\": 1}", "$.f.field",
               "unknown field \"nope\" of dimension \"profiles\"");
    expect_err("{\"field\": \"score\", \"op\": \"eq\", \"value\": \"abc\"}", "$.f.value",
               "field \"score\" is real: expected a number, got a string");
    expect_err("{\"field\": \"id\", \"op\": \"gt\", \"value\": true}", "$.f.value",
               "expected a number, got a boolean");
    expect_err("{\"field\": \"country\", \"op\": \"eq\", \"value\": 3}", "$.f.value",
               "field \"country\" is text: expected a string, got a number");
    expect_err("{\"field\": \"country\", \"op\": \"eq\", \"value\": null}", "$.f.value", "is_null");
    expect_err("{\"field\": \"country\", \"op\": \"eq\", \"value\": [\"FR\"]}", "$.f.value",
               "expected a single value, got an array");
    expect_err("{\"field\": \"country\", \"op\": \"eq\"}", "$.f.value", "\"value\" is required");
    expect_err("{\"field\": \"country\", \"value\": 1}", "$.f.op", "\"op\" is required");
    expect_err("{\"op\": \"eq\", \"value\": 1}", "$.f.field", "\"field\" is required");
    expect_err("{\"field\": 3, \"op\": \"eq\", \"value\": 1}", "$.f.field",
               "expected a non-empty string");
    expect_err("{\"field\": \"country\", \"op\": 3, \"value\": 1}", "$.f.op",
               "expected an operator name");
    expect_err("{\"field\": \"country\", \"op\": \"is_null\", \"value\": 3}", "$.f.value",
               "is_null takes no value");
    expect_err("{\"field\": \"country\", \"op\": \"in\", \"value\": \"FR\"}", "$.f.value",
               "in expects an array");
    expect_err("{\"field\": \"country\", \"op\": \"in\", \"value\": [\"FR\", 3]}", "$.f.value[1]",
               "expected a string");
    expect_err("{\"field\": \"id\", \"op\": \"between\", \"value\": [1]}", "$.f.value",
               "between expects [low, high]");
    expect_err("{\"field\": \"id\", \"op\": \"between\", \"value\": [1, \"x\"]}", "$.f.value[1]",
               "expected a number");
    expect_err("{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\", \"foo\": 1}", "$.f.foo",
               "unknown key \"foo\"");
    expect_err("{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\", \"a b\": 1}",
               "$.f[\"a b\"]", "unknown key \"a b\"");
    expect_err("{\"all\": [], \"any\": []}", "$.f.any", "unknown key \"any\"");
    expect_err("{\"all\": {}}", "$.f.all", "expected an array of conditions");
    expect_err("{\"all\": [1]}", "$.f.all[0]", "expected a condition (an object), got a number");
    expect_err("{\"not\": []}", "$.f.not", "expected a condition");
    expect_err("{}", "$.f", "expected a condition");
    expect_err("{\"foo\": 1}", "$.f", "expected a condition");
    expect_err("[]", "$.f", "expected a condition (an object), got an array");
    /* Links. */
    expect_err("{\"link\": \"nope\", \"exists\": true}", "$.f.link",
               "unknown link \"nope\" of dimension \"profiles\"");
    expect_err("{\"link\": \"orders\"}", "$.f", "needs \"exists\" or \"aggregate\"");
    expect_err("{\"link\": \"orders\", \"exists\": 3}", "$.f.exists",
               "expected a condition on the linked rows");
    expect_err("{\"link\": \"orders\", \"exists\": false}", "$.f.exists",
               "expected a condition on the linked rows");
    expect_err("{\"link\": \"orders\", \"exists\": true, \"op\": \"eq\"}", "$.f.op",
               "unknown key \"op\"");
    expect_err("{\"link\": \"orders\", \"exists\": {\"field\": \"nope\", \"op\": \"eq\", "
               "\"value\": 1}}",
               "$.f.exists.field", "unknown field \"nope\" of dimension \"orders\"");
    expect_err("{\"link\": \"orders\", \"aggregate\": \"median\", \"field\": \"amount\", \"op\": "
               "\"gt\", \"value\": 1}",
               "$.f.aggregate",
               "unknown aggregate \"median\" (expected one of count, sum, avg, min, max)");
    expect_err("{\"link\": \"orders\", \"aggregate\": \"sum\", \"op\": \"gt\", \"value\": 1}",
               "$.f.field", "\"field\" is required for sum");
    expect_err("{\"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"status\", \"op\": "
               "\"gt\", \"value\": 1}",
               "$.f.field", "sum needs a numeric field; field \"status\" is text");
    expect_err("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"gt\", \"value\": "
               "\"many\"}",
               "$.f.value", "count(*) over \"orders\" is integer: expected a number");
    expect_err("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"gt\"}", "$.f.value",
               "\"value\" is required");
    expect_err("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"gt\", \"value\": 1, "
               "\"filter\": {\"field\": \"amount\", \"op\": \"bigger\", \"value\": 1}}",
               "$.f.filter.op", "unknown operator \"bigger\"");
    expect_err("{\"link\": \"orders\", \"aggregate\": \"count\", \"op\": \"contains\", "
               "\"value\": \"1\"}",
               "$.f.op", "does not apply to count(*) over \"orders\" (integer)");
    expect_err("{\"link\": \"orders\", \"exists\": {\"link\": \"households\", \"exists\": "
               "true}}",
               "$.f.exists.link", "unknown link \"households\" of dimension \"orders\"");
    /* Injection attempts through names are just unknown names. */
    expect_err("{\"field\": \"id\\\" OR 1=1 --\", \"op\": \"eq\", \"value\": 1}", "$.f.field",
               "unknown field");
}

static void test_errors_many(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct env e;
    env_init(&e, "profiles", false);
    compile_err_env(&e,
                    "{\"any\": ["
                    "{\"field\": \"nope\", \"op\": \"eq\", \"value\": 1},"
                    "{\"field\": \"country\", \"op\": \"equals\", \"value\": \"x\"},"
                    "{\"field\": \"score\", \"op\": \"gt\", \"value\": \"high\"},"
                    "{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\", \"foo\": 1},"
                    "{\"link\": \"nada\", \"exists\": {\"field\": \"x\", \"op\": \"eq\", "
                    "\"value\": 1}},"
                    "{\"in_audience\": \"nobody\"},"
                    "{\"not\": {\"field\": \"country\", \"op\": \"in\", \"value\": "
                    "{\"var\": \"nope\"}}},"
                    "{\"field\": \"country\", \"op\": \"eq\", \"value\": \"fine\"}"
                    "]}",
                    &err);
    if (err.ndetails != 7) {
        tu_print_error(&err);
    }
    assert_int_equal(err.ndetails, 7);
    assert_true(tu_has_detail(&err, "$.f.any[0].field", "unknown field \"nope\""));
    assert_true(tu_has_detail(&err, "$.f.any[1].op", "unknown operator \"equals\""));
    assert_true(tu_has_detail(&err, "$.f.any[2].value", "expected a number"));
    assert_true(tu_has_detail(&err, "$.f.any[3].foo", "unknown key"));
    /* An unknown link is one problem, not one more per field under it. */
    assert_true(tu_has_detail(&err, "$.f.any[4].link", "unknown link \"nada\""));
    assert_true(tu_has_detail(&err, "$.f.any[5].in_audience", "unknown audience"));
    assert_true(tu_has_detail(&err, "$.f.any[6].not.value", "unknown variable \"nope\""));
    sw_error_release(&err);

    /* err may be NULL: the result still says it failed. */
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    json_t *j = parse("{\"field\": \"nope\", \"op\": \"eq\", \"value\": 1}");
    assert_int_equal(sw_filter_compile(j, "$", &e.ctx, &sql, &params, NULL), SW_EVALIDATION);
    assert_string_equal(sql.data, "");
    assert_int_equal(params.n, 0);
    json_decref(j);

    /* A hostile nesting depth is refused, not recursed into. */
    struct sw_buf deep = SW_BUF_INIT;
    for (int i = 0; i < 200; i++) {
        sw_buf_puts(&deep, "{\"not\": ");
    }
    sw_buf_puts(&deep, "{\"field\": \"id\", \"op\": \"eq\", \"value\": 1}");
    for (int i = 0; i < 200; i++) {
        sw_buf_putc(&deep, '}');
    }
    j = parse(deep.data);
    assert_int_equal(sw_filter_compile(j, "$", &e.ctx, &sql, &params, &err), SW_EVALIDATION);
    assert_int_equal(err.ndetails, 1);
    assert_non_null(strstr(err.details[0].message, "nested too deeply"));
    sw_error_release(&err);
    json_decref(j);
    sw_buf_release(&deep);

    /* An unknown population dimension with a schema. */
    struct sw_shape shape;
    sw_shape_init(&shape, "nowhere", NULL);
    e.ctx.shape = &shape;
    j = parse("{\"field\": \"id\", \"op\": \"eq\", \"value\": 1}");
    assert_int_equal(sw_filter_compile(j, "$.q", &e.ctx, &sql, &params, &err), SW_EVALIDATION);
    assert_true(tu_has_detail(&err, "$.q", "unknown dimension \"nowhere\""));
    sw_error_release(&err);
    /* Found by name when the shape only knows the name. */
    sw_shape_release(&shape);
    sw_shape_init(&shape, "orders", NULL);
    assert_int_equal(sw_filter_compile(j, "$.q", &e.ctx, &sql, &params, &err), 0);
    assert_string_equal(sql.data, "(d.\"id\" = ?1)");
    json_decref(j);
    sw_shape_release(&shape);

    sw_buf_release(&sql);
    sw_params_release(&params);
    env_release(&e);
}

static void test_structural(void **state)
{
    (void)state;
    struct env e;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    struct sw_error err = SW_ERROR_INIT;
    env_init(&e, "profiles", true);
    e.ctx.schema = NULL;
    e.shape.dim = NULL;

    /* Names are not checked, types are not known, and nothing is written. */
    json_t *j = parse("{\"all\": [{\"field\": \"anything\", \"op\": \"contains\", \"value\": "
                      "\"x\"}, {\"field\": \"score\", \"op\": \"eq\", \"value\": \"abc\"}, "
                      "{\"link\": \"whatever\", \"exists\": {\"field\": \"z\", \"op\": "
                      "\"within_last\", \"value\": \"3d\"}}, {\"link\": \"w2\", \"aggregate\": "
                      "\"avg\", \"field\": \"q\", \"filter\": {\"field\": \"r\", \"op\": "
                      "\"is_null\"}, \"op\": \"gt\", \"value\": 2}, {\"in_audience\": \"who\"}, "
                      "{\"not\": {\"field\": \"d\", \"op\": \"before\", \"value\": \"-18y\"}}]}");
    assert_int_equal(sw_filter_compile(j, "$", &e.ctx, &sql, &params, &err), 0);
    assert_int_equal(err.ndetails, 0);
    assert_string_equal(sql.data, "");
    assert_int_equal(params.n, 0);
    json_decref(j);
    /* NULL sql and params are fine there. */
    j = parse("{\"field\": \"anything\", \"op\": \"eq\", \"value\": 1}");
    assert_int_equal(sw_filter_compile(j, "$", &e.ctx, NULL, NULL, &err), 0);
    json_decref(j);

    /* Structure is still checked. */
    expect_err_env(&e, "{\"field\": \"x\", \"op\": \"equals\", \"value\": 1}", "$.f.op",
                   "unknown operator \"equals\"");
    expect_err_env(&e, "{\"field\": \"x\", \"op\": \"within_last\", \"value\": \"-3d\"}",
                   "$.f.value", "positive duration");
    expect_err_env(&e, "{\"field\": \"x\", \"op\": \"before\", \"value\": \"someday\"}",
                   "$.f.value", "expected an ISO-8601 date");
    expect_err_env(&e, "{\"field\": \"x\", \"op\": \"between\", \"value\": 3}", "$.f.value",
                   "between expects");
    expect_err_env(&e, "{\"field\": \"x\", \"op\": \"in\", \"value\": 3}", "$.f.value",
                   "in expects an array");
    expect_err_env(&e, "{\"field\": \"x\", \"op\": \"eq\", \"value\": 1, \"y\": 2}", "$.f.y",
                   "unknown key");
    expect_err_env(&e, "{\"field\": \"x\", \"op\": \"eq\", \"value\": {\"var\": \"nope\"}}",
                   "$.f.value", "unknown variable");
    expect_err_env(&e, "{\"link\": \"x\"}", "$.f", "needs \"exists\" or \"aggregate\"");
    expect_err_env(&e,
                   "{\"link\": \"x\", \"aggregate\": \"median\", \"op\": \"gt\", \"value\": "
                   "1}",
                   "$.f.aggregate", "unknown aggregate");
    expect_err_env(&e, "{\"link\": \"x\", \"aggregate\": \"sum\", \"op\": \"gt\", \"value\": 1}",
                   "$.f.field", "\"field\" is required for sum");
    expect_err_env(&e, "{\"link\": \"x\", \"exists\": {\"field\": \"a\", \"op\": \"nope\"}}",
                   "$.f.exists.op", "unknown operator");
    expect_err_env(&e, "{\"in_audience\": \"\"}", "$.f.in_audience", "non-empty string");
    expect_err_env(&e, "{\"all\": [{}]}", "$.f.all[0]", "expected a condition");

    sw_buf_release(&sql);
    sw_params_release(&params);
    sw_error_release(&err);
    env_release(&e);
}

/* The JSON paths errors name: identifiers with a dot, anything else in brackets, escaped. */
static void test_path_member(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"amount", "$.f.amount"},
        {"_x9", "$.f._x9"},
        {"9lives", "$.f[\"9lives\"]"},
        {"first-name", "$.f[\"first-name\"]"},
        {"", "$.f[\"\"]"},
        {"a\"b\\c", "$.f[\"a\\\"b\\\\c\"]"},
        {"é", "$.f[\"é\"]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = sw_path_member("$.f", cases[i][0]);
        assert_string_equal(p, cases[i][1]);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_member),       cmocka_unit_test(test_sql_shape),
        cmocka_unit_test(test_compare_text),      cmocka_unit_test(test_compare_numbers),
        cmocka_unit_test(test_booleans),          cmocka_unit_test(test_null_semantics),
        cmocka_unit_test(test_in_between),        cmocka_unit_test(test_like_operators),
        cmocka_unit_test(test_dates_within_last), cmocka_unit_test(test_dates_before_after),
        cmocka_unit_test(test_date_only),         cmocka_unit_test(test_combinators),
        cmocka_unit_test(test_links_exists),      cmocka_unit_test(test_links_aggregate),
        cmocka_unit_test(test_variables),         cmocka_unit_test(test_in_audience),
        cmocka_unit_test(test_extra_columns),     cmocka_unit_test(test_filter_field),
        cmocka_unit_test(test_link_value),        cmocka_unit_test(test_errors_paths),
        cmocka_unit_test(test_errors_many),       cmocka_unit_test(test_structural),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
