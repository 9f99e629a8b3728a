/*
 * test_db.c - the data-source driver (db/sqlite.c) on a real SQLite file: parameters,
 * prepare/bind/step, transactions and errors; the placeholder rewrite for both dialects; and
 * every SQL helper of db/dialect.c, its SQLite text run against the file and its PostgreSQL
 * text compared as written (no PostgreSQL driver exists yet).
 */
#include "testutil.h"

#include "core/buf.h"
#include "core/error.h"
#include "db/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char path[64];
static struct sw_db *db;

static int setup(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    if (!tu_db_file(path, sizeof(path), "sw_test_db_")) {
        return -1;
    }
    if (sw_db_open(path, &db, &err) < 0) {
        sw_error_release(&err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sw_db_close(db);
    db = NULL;
    tu_db_file_remove(path);
    return 0;
}

static void exec_ok(const char *sql)
{
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_exec(db, sql, &err) < 0) {
        fail_msg("%s: %s", sql, err.message);
    }
    sw_error_release(&err);
}

/* The text of the first column of the first row of sql (with params); "NULL" for NULL. */
static char *query_text(const char *sql, const struct sw_params *params)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_stmt *st = NULL;
    char *out = NULL;
    if (sw_db_prepare(db, sql, &st, &err) < 0 || sw_stmt_bind_params(st, params, &err) < 0 ||
        sw_stmt_step(st, &err) != SW_STEP_ROW) {
        fail_msg("%s: %s", sql, err.message ? err.message : "no row");
    }
    const char *t = sw_stmt_column_text(st, 0);
    out = strdup(t ? t : "NULL");
    sw_stmt_finalize(st);
    sw_error_release(&err);
    return out;
}

static void assert_query_text(const char *sql, const struct sw_params *params, const char *want)
{
    char *got = query_text(sql, params);
    assert_string_equal(got, want);
    free(got);
}

static int64_t query_int(const char *sql, const struct sw_params *params)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t v = -1;
    if (sw_db_query_int(db, sql, params, &v, &err) < 0) {
        fail_msg("%s: %s", sql, err.message);
    }
    sw_error_release(&err);
    return v;
}

/* ---- parameters ------------------------------------------------------------------------- */

static void test_params(void **state)
{
    (void)state;
    struct sw_params p = SW_PARAMS_INIT;
    assert_int_equal(sw_params_add_int(&p, 7), 1);
    assert_int_equal(sw_params_add_real(&p, 2.5), 2);
    assert_int_equal(sw_params_add_text(&p, "x'y"), 3);
    assert_int_equal(sw_params_add_null(&p), 4);
    assert_int_equal(sw_params_add_text_or_null(&p, NULL), 5);
    assert_int_equal(sw_params_add_int_or_null(&p, 0), 6);
    assert_int_equal(sw_params_add_int_or_null(&p, 3), 7);
    for (int i = 0; i < 20; i++) { /* grows past its first allocation */
        sw_params_add_text(&p, "more");
    }
    assert_int_equal(p.v[4].type, SW_V_NULL);
    assert_int_equal(p.v[5].type, SW_V_NULL);
    assert_int_equal(p.v[6].i, 3);
    assert_int_equal(query_int("SELECT ?1 + ?7 + (?4 IS NULL) + (?5 IS NULL) + (?6 IS NULL) + "
                               "length(?3) + CAST(?2 * 2 AS INTEGER)",
                               &p),
                     7 + 3 + 3 + 3 + 5);
    sw_params_truncate(&p, 3);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.v[2].s, "x'y");
    /* Parameters a statement does not use are not bound (no error). */
    assert_int_equal(query_int("SELECT ?1", &p), 7);
    sw_params_release(&p);
    sw_params_release(&p); /* released twice is harmless */
    assert_null(p.v);
}

/* ---- the driver --------------------------------------------------------------------------- */

static void test_open_errors(void **state)
{
    (void)state;
    struct sw_db *other = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_db_open("/nonexistent/dir/x.db", &other, &err), SW_EINVAL);
    assert_null(other);
    assert_non_null(strstr(err.message, "cannot open"));
    sw_error_release(&err);
    assert_int_equal(sw_db_open("", &other, &err), SW_EINVAL);
    sw_error_release(&err);
    assert_int_equal(sw_db_open("postgresql://h/db", &other, &err), SW_EUNSUPPORTED);
    sw_error_release(&err);
    /* "sqlite:PATH" names the same file */
    char url[96];
    snprintf(url, sizeof(url), "sqlite:%s", path);
    assert_int_equal(sw_db_open(url, &other, &err), 0);
    assert_int_equal(sw_db_dialect(other), SW_DIALECT_SQLITE);
    sw_db_close(other);
    sw_db_close(NULL);
}

static void test_statements(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    int64_t changes = -1;
    exec_ok("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL); "
            "INSERT INTO t (name, score) VALUES ('a', 1.5), ('b', NULL)");
    sw_params_add_text(&p, "c");
    sw_params_add_real(&p, 3.25);
    assert_int_equal(sw_db_exec_params(db, "INSERT INTO t (name, score) VALUES (?1, ?2)", &p,
                                       &changes, &err),
                     0);
    assert_int_equal(changes, 1);
    assert_int_equal(sw_db_changes(db), 1);
    sw_params_release(&p);

    assert_int_equal(sw_db_prepare(db, "SELECT id, name, score FROM t WHERE id >= ?1 ORDER BY id",
                                   &st, &err),
                     0);
    assert_int_equal(sw_stmt_column_count(st), 3);
    assert_string_equal(sw_stmt_column_name(st, 1), "name");
    assert_int_equal(sw_stmt_bind_int(st, 1, 2), 0);
    assert_int_equal(sw_stmt_step(st, &err), SW_STEP_ROW);
    assert_int_equal(sw_stmt_column_type(st, 0), SW_V_INT);
    assert_int_equal(sw_stmt_column_int(st, 0), 2);
    assert_string_equal(sw_stmt_column_text(st, 1), "b");
    assert_int_equal(sw_stmt_column_type(st, 2), SW_V_NULL);
    assert_null(sw_stmt_column_text(st, 2));
    assert_int_equal(sw_stmt_step(st, &err), SW_STEP_ROW);
    assert_int_equal(sw_stmt_column_type(st, 2), SW_V_REAL);
    assert_true(sw_stmt_column_real(st, 2) == 3.25);
    assert_int_equal(sw_stmt_step(st, &err), SW_STEP_DONE);
    /* reset clears the bindings: bound again, the statement runs afresh */
    assert_int_equal(sw_stmt_reset(st), 0);
    assert_int_equal(sw_stmt_bind_int(st, 1, 3), 0);
    assert_int_equal(sw_stmt_step(st, &err), SW_STEP_ROW);
    assert_string_equal(sw_stmt_column_text(st, 1), "c");
    assert_int_equal(sw_stmt_column_type(st, 1), SW_V_TEXT);
    sw_stmt_finalize(st);
    sw_stmt_finalize(NULL);

    assert_int_equal(sw_db_prepare(db, "SELECT ?1, ?2", &st, &err), 0);
    assert_int_equal(sw_stmt_bind_text(st, 1, NULL), 0);
    assert_int_equal(sw_stmt_bind_null(st, 2), 0);
    assert_int_equal(sw_stmt_step(st, &err), SW_STEP_ROW);
    assert_int_equal(sw_stmt_column_type(st, 0), SW_V_NULL);
    sw_stmt_finalize(st);

    /* a query without a row gives 0 */
    assert_int_equal(query_int("SELECT id FROM t WHERE id > 99", NULL), 0);
    sw_error_release(&err);
}

static void test_errors(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_stmt *st = NULL;
    int64_t v = 5;
    assert_int_equal(sw_db_exec(db, "SELEKT 1", &err), SW_EDB);
    assert_non_null(strstr(err.message, "syntax error"));
    sw_error_release(&err);
    assert_int_equal(sw_db_prepare(db, "SELECT * FROM missing", &st, &err), SW_EDB);
    assert_null(st);
    assert_non_null(strstr(err.message, "no such table"));
    sw_error_release(&err);
    assert_int_equal(sw_db_query_int(db, "SELECT nope", NULL, &v, &err), SW_EDB);
    assert_int_equal(v, 0);
    sw_error_release(&err);
    exec_ok("CREATE TABLE u (k TEXT PRIMARY KEY)");
    exec_ok("INSERT INTO u VALUES ('a')");
    assert_int_equal(sw_db_exec_params(db, "INSERT INTO u VALUES ('a')", NULL, NULL, &err), SW_EDB);
    assert_non_null(strstr(err.message, "UNIQUE"));
    sw_error_release(&err);
    /* a NULL err is allowed everywhere */
    assert_int_equal(sw_db_exec(db, "SELEKT", NULL), SW_EDB);
}

static void test_transactions(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    exec_ok("CREATE TABLE t (v INTEGER)");
    assert_int_equal(sw_db_begin(db, &err), 0);
    exec_ok("INSERT INTO t VALUES (1)");
    assert_int_equal(sw_db_rollback(db), 0);
    assert_int_equal(query_int("SELECT count(*) FROM t", NULL), 0);
    assert_int_equal(sw_db_begin(db, &err), 0);
    exec_ok("INSERT INTO t VALUES (2)");
    assert_int_equal(sw_db_commit(db, &err), 0);
    assert_int_equal(query_int("SELECT sum(v) FROM t", NULL), 2);
    /* a rollback outside a transaction is quiet; a commit is an error */
    assert_int_equal(sw_db_rollback(db), 0);
    assert_int_equal(sw_db_commit(db, &err), SW_EDB);
    sw_error_release(&err);
    /* durable commits and memory-mapped reads are settings, outside transactions */
    assert_int_equal(sw_db_durable(db, true, &err), 0);
    assert_int_equal(query_int("PRAGMA synchronous", NULL), 2);
    assert_int_equal(sw_db_durable(db, false, &err), 0);
    assert_int_equal(query_int("PRAGMA synchronous", NULL), 1);
    assert_int_equal(sw_db_map_reads(db, &err), 0);
    assert_true(query_int("PRAGMA mmap_size", NULL) > 0);
}

static void test_insert_id(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    int64_t id = -1;
    exec_ok("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE);"
            "INSERT INTO t VALUES (41, 'x')");
    sw_params_add_text(&p, "y");
    assert_int_equal(sw_db_insert_id(db, "INSERT INTO t (name) VALUES (?1)", &p, &id, &err), 0);
    assert_int_equal(id, 42);
    assert_int_equal(query_int("SELECT count(*) FROM t", NULL), 2);
    /* an ignored conflict inserts nothing: id 0 */
    struct sw_buf sql = SW_BUF_INIT;
    sw_dialect_insert_ignore_head(SW_DIALECT_SQLITE, &sql);
    sw_buf_puts(&sql, "t (name) VALUES (?1)");
    sw_dialect_insert_ignore_tail(SW_DIALECT_SQLITE, &sql);
    assert_int_equal(sw_db_insert_id(db, sql.data, &p, &id, &err), 0);
    assert_int_equal(id, 0);
    /* errors come back */
    assert_int_equal(sw_db_insert_id(db, "INSERT INTO t (nope) VALUES (?1)", &p, &id, &err),
                     SW_EDB);
    sw_error_release(&err);
    sw_buf_release(&sql);
    sw_params_release(&p);
}

static void test_schema_queries(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    exec_ok("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));"
            "CREATE INDEX child_parent ON child(parent_id);"
            "INSERT INTO parent VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    assert_true(sw_db_table_exists(db, "parent"));
    assert_false(sw_db_table_exists(db, "nope"));
    assert_int_equal(sw_db_estimate_rows(db, "parent"), 3);
    assert_query_text(sw_db_introspection_sql(db, SW_INTROSPECT_TABLES), NULL, "child");
    sw_params_add_text(&p, "child");
    assert_query_text(sw_db_introspection_sql(db, SW_INTROSPECT_COLUMNS), &p, "id");
    assert_query_text(sw_db_introspection_sql(db, SW_INTROSPECT_FKEYS), &p, "parent");
    assert_query_text(sw_db_introspection_sql(db, SW_INTROSPECT_INDEXED), &p, "parent_id");
    sw_params_release(&p);
    /* the fingerprint ignores Stepwise's own tables; the cookie sees every change */
    int64_t version = sw_db_schema_version(db), cookie = sw_db_schema_cookie(db);
    assert_int_not_equal(version, 0);
    exec_ok("CREATE TABLE sw_mine (x); CREATE TABLE wt_1_a_out (_key)");
    assert_int_equal(sw_db_schema_version(db), version);
    assert_int_not_equal(sw_db_schema_cookie(db), cookie);
    exec_ok("CREATE TABLE theirs (x)");
    assert_int_not_equal(sw_db_schema_version(db), version);
    sw_error_release(&err);
}

/* ---- the placeholder rewrite ------------------------------------------------------------ */

static void assert_rewrite(enum sw_dialect d, const char *sql, const char *want)
{
    struct sw_buf out = SW_BUF_INIT;
    sw_dialect_sql(d, &out, sql);
    assert_string_equal(out.data, want);
    sw_buf_release(&out);
}

static void test_rewrite(void **state)
{
    (void)state;
    const char *sql = "SELECT ?1, ?10, ?2 FROM t WHERE a = '?3' AND \"?4\" = ?1 -- ?5\n"
                      "AND b = 'it''s ?6' /* ?7 */ AND c = ?12";
    /* SQLite takes ?N as it is */
    assert_rewrite(SW_DIALECT_SQLITE, sql, sql);
    assert_rewrite(SW_DIALECT_POSTGRES, sql,
                   "SELECT $1, $10, $2 FROM t WHERE a = '?3' AND \"?4\" = $1 -- ?5\n"
                   "AND b = 'it''s ?6' /* ?7 */ AND c = $12");
    /* a ? without a digit is not a placeholder (PostgreSQL's jsonb ? operator) */
    assert_rewrite(SW_DIALECT_POSTGRES, "SELECT doc ? 'k', ?3", "SELECT doc ? 'k', $3");
    /* unterminated literals and comments end the text without reading past it */
    assert_rewrite(SW_DIALECT_POSTGRES, "SELECT '?1", "SELECT '?1");
    assert_rewrite(SW_DIALECT_POSTGRES, "SELECT \"?1", "SELECT \"?1");
    assert_rewrite(SW_DIALECT_POSTGRES, "SELECT ?1 /* ?2", "SELECT $1 /* ?2");
    assert_rewrite(SW_DIALECT_POSTGRES, "SELECT ?1 -- ?2", "SELECT $1 -- ?2");
    assert_rewrite(SW_DIALECT_POSTGRES, "SELECT 1 - ?1, 2 / ?2", "SELECT 1 - $1, 2 / $2");
    assert_rewrite(SW_DIALECT_POSTGRES, "", "");
    /* The SQLite text runs: ?10 is the tenth parameter, not the first followed by 0. */
    struct sw_params p = SW_PARAMS_INIT;
    for (int i = 1; i <= 10; i++) {
        sw_params_add_int(&p, i * 100);
    }
    struct sw_buf out = SW_BUF_INIT;
    sw_dialect_sql(SW_DIALECT_SQLITE, &out, "SELECT ?10 + ?1 -- ?2\n + length('?3')");
    assert_int_equal(query_int(out.data, &p), 1000 + 100 + 2);
    sw_buf_release(&out);
    sw_params_release(&p);
}

/* ---- the SQL helpers ------------------------------------------------------------------- */

/* Each helper writes into two buffers: `lite` (SQLite) runs, `pg` (PostgreSQL) is compared. */
static void release2(struct sw_buf *a, struct sw_buf *b)
{
    sw_buf_release(a);
    sw_buf_release(b);
}

static void test_upsert(void **state)
{
    (void)state;
    struct sw_params p = SW_PARAMS_INIT;
    exec_ok("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
    struct sw_buf lite = SW_BUF_INIT, pg = SW_BUF_INIT;
    sw_buf_puts(&lite, "INSERT INTO kv (k, v) VALUES (?1, ?2)");
    sw_buf_puts(&pg, "INSERT INTO kv (k, v) VALUES (?1, ?2)");
    sw_dialect_upsert(SW_DIALECT_SQLITE, &lite, "k", "v = kv.v + excluded.v");
    sw_dialect_upsert(SW_DIALECT_POSTGRES, &pg, "k", "v = kv.v + excluded.v");
    assert_string_equal(pg.data, "INSERT INTO kv (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE "
                                 "SET v = kv.v + excluded.v");
    sw_params_add_text(&p, "a");
    sw_params_add_int(&p, 2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sw_db_exec_params(db, lite.data, &p, NULL, NULL), 0);
    }
    assert_int_equal(query_int("SELECT v FROM kv WHERE k = 'a'", NULL), 6);
    /* DO NOTHING, on a named key and on any */
    sw_buf_reset(&lite);
    sw_buf_reset(&pg);
    sw_buf_puts(&lite, "INSERT INTO kv (k, v) VALUES (?1, 100)");
    sw_dialect_upsert(SW_DIALECT_SQLITE, &lite, "k", NULL);
    assert_int_equal(sw_db_exec_params(db, lite.data, &p, NULL, NULL), 0);
    sw_dialect_upsert(SW_DIALECT_POSTGRES, &pg, NULL, NULL);
    assert_string_equal(pg.data, " ON CONFLICT DO NOTHING");
    sw_buf_reset(&lite);
    sw_buf_puts(&lite, "INSERT INTO kv (k, v) VALUES (?1, 100)");
    sw_dialect_upsert(SW_DIALECT_SQLITE, &lite, NULL, NULL);
    assert_int_equal(sw_db_exec_params(db, lite.data, &p, NULL, NULL), 0);
    assert_int_equal(query_int("SELECT v FROM kv WHERE k = 'a'", NULL), 6);
    /* INSERT OR IGNORE, and its PostgreSQL form */
    sw_buf_reset(&lite);
    sw_buf_reset(&pg);
    sw_db_insert_ignore_head(db, &lite);
    sw_buf_puts(&lite, "kv (k, v) VALUES (?1, 100)");
    sw_db_insert_ignore_tail(db, &lite);
    assert_int_equal(sw_db_exec_params(db, lite.data, &p, NULL, NULL), 0);
    assert_int_equal(query_int("SELECT v FROM kv WHERE k = 'a'", NULL), 6);
    sw_dialect_insert_ignore_head(SW_DIALECT_POSTGRES, &pg);
    sw_buf_puts(&pg, "kv (k, v) VALUES (?1, 100)");
    sw_dialect_insert_ignore_tail(SW_DIALECT_POSTGRES, &pg);
    assert_string_equal(pg.data, "INSERT INTO kv (k, v) VALUES (?1, 100) ON CONFLICT DO NOTHING");
    release2(&lite, &pg);
    sw_params_release(&p);
}

static void test_json(void **state)
{
    (void)state;
    exec_ok("CREATE TABLE j (id INTEGER PRIMARY KEY, doc TEXT);"
            "INSERT INTO j VALUES (1, '{\"n\": 3, \"r\": 1.5, \"s\": \"x\", \"o\": {\"n\": 4}}'),"
            " (2, 'not json'), (3, NULL), (4, '{\"n\": 5}')");
    struct sw_buf lite = SW_BUF_INIT, pg = SW_BUF_INIT;
    sw_buf_puts(&lite, "SELECT (");
    sw_buf_puts(&pg, "SELECT ");
    sw_db_json_get(db, &lite, "doc", "n", SW_V_INT);
    sw_buf_puts(&lite, " + ");
    sw_dialect_json_get(SW_DIALECT_SQLITE, &lite, "doc", "r", SW_V_REAL);
    sw_buf_puts(&lite, ") || ");
    sw_dialect_json_get(SW_DIALECT_SQLITE, &lite, "doc", "s", SW_V_TEXT);
    sw_buf_puts(&lite, " FROM j WHERE id = 1");
    assert_query_text(lite.data, NULL, "4.5x");
    sw_dialect_json_get(SW_DIALECT_POSTGRES, &pg, "doc", "n", SW_V_INT);
    sw_buf_puts(&pg, ", ");
    sw_dialect_json_get(SW_DIALECT_POSTGRES, &pg, "doc", "r", SW_V_REAL);
    sw_buf_puts(&pg, ", ");
    sw_dialect_json_get(SW_DIALECT_POSTGRES, &pg, "doc", "s", SW_V_TEXT);
    assert_string_equal(pg.data, "SELECT CAST(CAST(doc AS jsonb) ->> 'n' AS bigint), "
                                 "CAST(CAST(doc AS jsonb) ->> 'r' AS double precision), "
                                 "(CAST(doc AS jsonb) ->> 's')");
    /* a nested member; an object comes as JSON text */
    sw_buf_reset(&lite);
    sw_buf_reset(&pg);
    sw_buf_puts(&lite, "SELECT ");
    sw_dialect_json_get(SW_DIALECT_SQLITE, &lite, "doc", "o.n", SW_V_INT);
    sw_buf_puts(&lite, " + 1 FROM j WHERE id = 1");
    assert_int_equal(query_int(lite.data, NULL), 5);
    sw_buf_reset(&lite);
    sw_buf_puts(&lite, "SELECT ");
    sw_dialect_json_get(SW_DIALECT_SQLITE, &lite, "doc", "o", SW_V_TEXT);
    sw_buf_puts(&lite, " FROM j WHERE id = 1");
    assert_query_text(lite.data, NULL, "{\"n\":4}");
    sw_dialect_json_get(SW_DIALECT_POSTGRES, &pg, "c.document", "options.history_days", SW_V_INT);
    assert_string_equal(pg.data,
                        "CAST(CAST(c.document AS jsonb) #>> '{options,history_days}' AS bigint)");
    /* json_each: members of every valid document; invalid ones and NULL give none */
    sw_buf_reset(&lite);
    sw_buf_reset(&pg);
    sw_buf_puts(&lite, "SELECT count(*) FROM j, ");
    sw_db_json_each(db, &lite, "j.doc", "m");
    assert_int_equal(query_int(lite.data, NULL), 5);
    sw_buf_reset(&lite);
    sw_buf_puts(&lite, "SELECT sum(");
    sw_dialect_json_get(SW_DIALECT_SQLITE, &lite, "m.value", "n", SW_V_INT);
    sw_buf_puts(&lite, ") FROM j, ");
    sw_dialect_json_each(SW_DIALECT_SQLITE, &lite, "j.doc", "m");
    sw_buf_puts(&lite, " WHERE m.key = 'o'");
    assert_int_equal(query_int(lite.data, NULL), 4);
    sw_dialect_json_each(SW_DIALECT_POSTGRES, &pg, "j.doc", "m");
    assert_string_equal(pg.data,
                        "jsonb_each(CASE WHEN j.doc IS JSON OBJECT THEN CAST(j.doc AS jsonb) END) m");
    /* json_object */
    sw_buf_reset(&lite);
    sw_buf_printf(&lite, "SELECT %s('a', 1, 'b', 'x')", sw_db_json_object_fn(db));
    assert_query_text(lite.data, NULL, "{\"a\":1,\"b\":\"x\"}");
    assert_string_equal(sw_dialect_json_object_fn(SW_DIALECT_POSTGRES), "json_build_object");
    release2(&lite, &pg);
}

static void test_text_search(void **state)
{
    (void)state;
    static const char *const cols[] = {"name", "description", NULL};
    const struct sw_text_search ts = {.table = "items", .alias = "c", .columns = cols};
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_buf sql = SW_BUF_INIT;
    exec_ok("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT);"
            "CREATE VIRTUAL TABLE items_fts USING fts5(name, description, content='items',"
            " content_rowid='id', tokenize='trigram');"
            "INSERT INTO items VALUES (1, 'Spring Sale', NULL), (2, 'Winter', 'big \"SALE\" now'),"
            " (3, 'Éclair', 'pastry'), (4, '100% off', NULL);"
            "INSERT INTO items_fts(items_fts) VALUES ('rebuild')");
    /* 3 characters or more: the trigram index, and a count it answers alone */
    struct sw_buf lite = SW_BUF_INIT, pg = SW_BUF_INIT;
    sw_buf_puts(&lite, "SELECT group_concat(id) FROM items c WHERE ");
    struct sw_buf count = SW_BUF_INIT;
    sw_dialect_text_search(SW_DIALECT_SQLITE, &ts, "sale", &lite, &count, &p);
    assert_string_equal(lite.data, "SELECT group_concat(id) FROM items c WHERE c.id IN (SELECT "
                                   "rowid FROM items_fts WHERE items_fts MATCH ?1)");
    assert_query_text(lite.data, &p, "1,2");
    assert_int_equal(query_int(count.data, &p), 2);
    /* the user's quotes stay text */
    sw_params_release(&p);
    sw_buf_reset(&lite);
    sw_buf_reset(&count);
    sw_buf_puts(&lite, "SELECT group_concat(id) FROM items c WHERE ");
    sw_dialect_text_search(SW_DIALECT_SQLITE, &ts, "\"SALE\"", &lite, &count, &p);
    assert_query_text(lite.data, &p, "2");
    /* shorter: a scan folding the case of Latin letters */
    sw_params_release(&p);
    sw_buf_reset(&lite);
    sw_buf_reset(&count);
    sw_buf_puts(&lite, "SELECT group_concat(id) FROM items c WHERE ");
    sw_dialect_text_search(SW_DIALECT_SQLITE, &ts, "éc", &lite, &count, &p);
    assert_query_text(lite.data, &p, "3");
    assert_string_equal(count.data, "");
    /* PostgreSQL: ILIKE over the columns, the user's % and _ taken literally */
    sw_params_release(&p);
    sw_buf_reset(&count);
    sw_dialect_text_search(SW_DIALECT_POSTGRES, &ts, "0%_", &pg, &count, &p);
    assert_string_equal(pg.data, "(c.name ILIKE ?1 ESCAPE '\\' OR c.description ILIKE ?1 "
                                 "ESCAPE '\\')");
    assert_string_equal(p.v[0].s, "%0\\%\\_%");
    assert_string_equal(count.data, "");
    release2(&lite, &pg);
    sw_buf_release(&count);
    sw_buf_release(&sql);
    sw_params_release(&p);
}

/* The ids a search condition selects from items, as text ("" for none). */
static char *search_ids(const struct sw_text_search *ts, const char *q, int64_t few,
                        bool *drives)
{
    struct sw_buf sql = SW_BUF_INIT, count = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_buf_puts(&sql, "SELECT coalesce(group_concat(id), '') FROM "
                      "(SELECT c.id FROM items c WHERE ");
    *drives = sw_db_text_search(db, ts, q, few, &sql, &count, &p);
    sw_buf_puts(&sql, " ORDER BY c.id)");
    char *ids = query_text(sql.data, &p);
    sw_buf_release(&sql);
    sw_buf_release(&count);
    sw_params_release(&p);
    return ids;
}

/* A search driven by its rarest trigram selects exactly the rows the phrase matches: the
 * exact check folds as the trigram tokenizer does, non-ASCII letters included. */
static void test_text_search_candidates(void **state)
{
    (void)state;
    static const char *const cols[] = {"name", "description", NULL};
    const struct sw_text_search ts = {.table = "items", .alias = "c", .columns = cols};
    exec_ok("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT);"
            "CREATE VIRTUAL TABLE items_fts USING fts5(name, description, content='items',"
            " content_rowid='id', tokenize='trigram');"
            "INSERT INTO items VALUES (1, 'Spring Sale', NULL), (2, 'Winter', 'big \"SALE\" now'),"
            " (3, 'Éclair', 'pastry'), (4, '100% off', NULL), (5, 'ÉTÉ SOLDES', 'été'),"
            " (6, 'Ωmega ΣΟΦΙΑ', 'Straße'), (7, 'КНИГИ и книги', NULL), (8, 'sa', 'le'),"
            " (9, 'SALESALE', 'sales sale'), (10, 'İstanbul', 'ǅemal'), (11, 'ab', 'Ab ab')");
    exec_ok("INSERT INTO items_fts(rowid, name, description) "
            "SELECT id, name, coalesce(description, '') FROM items");
    static const char *const queries[] = {
        "sale", "SALE", "\"SALE\"", "éclair", "ÉCLAIR", "été", "ÉTÉ sol", "σοφια", "ΩMEGA",
        "книги", "КНИ", "STRASSE", "straße", "salesa", "e s", "istanbul", "i̇st", "ǆem",
        "ab ab", "nothing", "% o", "ale",
    };
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        bool drives = false, phrase_drives = true;
        char *got = search_ids(&ts, queries[i], 1000, &drives);
        char *want = search_ids(&ts, queries[i], -1, &phrase_drives);
        assert_true(drives);
        assert_false(phrase_drives);
        if (strcmp(got, want)) {
            fail_msg("q=%s: candidates give [%s], the phrase [%s]", queries[i], got, want);
        }
        free(got);
        free(want);
    }
    /* shorter than a trigram: the scan, never the candidates */
    bool drives = true;
    char *ids = search_ids(&ts, "éc", 1000, &drives);
    assert_false(drives);
    assert_string_equal(ids, "3");
    free(ids);
    /* a stray continuation byte: split otherwise by the tokenizer, so the phrase */
    drives = true;
    ids = search_ids(&ts, "sa\x80le", 1000, &drives);
    assert_false(drives);
    free(ids);
}

static void test_scalar_helpers(void **state)
{
    (void)state;
    struct sw_params p = SW_PARAMS_INIT;
    exec_ok("CREATE TABLE t (id INTEGER PRIMARY KEY, d TEXT); CREATE INDEX t_d ON t(d);"
            "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    /* index hint */
    struct sw_buf lite = SW_BUF_INIT, pg = SW_BUF_INIT;
    sw_buf_printf(&lite, "SELECT count(*) FROM t x %s WHERE x.d >= 'a'",
                  sw_dialect_no_index(SW_DIALECT_SQLITE));
    assert_int_equal(query_int(lite.data, NULL), 2);
    assert_null(sw_dialect_no_index(SW_DIALECT_POSTGRES));
    /* case-insensitive LIKE */
    sw_buf_reset(&lite);
    sw_buf_printf(&lite, "SELECT 'ABC' %s 'a%%'", sw_dialect_like_ci(SW_DIALECT_SQLITE));
    assert_int_equal(query_int(lite.data, NULL), 1);
    assert_string_equal(sw_dialect_like_ci(SW_DIALECT_POSTGRES), "ILIKE");
    /* now in milliseconds */
    sw_buf_reset(&lite);
    sw_buf_printf(&lite, "SELECT %s", sw_dialect_now_ms(SW_DIALECT_SQLITE));
    int64_t now = (int64_t)time(NULL) * 1000;
    int64_t got = query_int(lite.data, NULL);
    assert_true(got > now - 5000 && got < now + 5000);
    assert_string_equal(sw_dialect_now_ms(SW_DIALECT_POSTGRES),
                        "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS bigint)");
    /* ISO-8601 text to UTC */
    sw_buf_reset(&lite);
    sw_buf_printf(&lite, "SELECT %s('2026-01-31T10:00:00+02:00')",
                  sw_dialect_utc_fn(SW_DIALECT_SQLITE));
    assert_query_text(lite.data, NULL, "2026-01-31 08:00:00");
    assert_string_equal(sw_dialect_utc_fn(SW_DIALECT_POSTGRES), "");
    assert_false(sw_dialect_native_dates(SW_DIALECT_SQLITE));
    assert_true(sw_dialect_native_dates(SW_DIALECT_POSTGRES));
    /* seeded random: repeatable for a seed, another seed another order */
    sw_buf_reset(&lite);
    sw_buf_puts(&lite, "SELECT ");
    sw_db_seeded_random(db, &lite, 1, "'key'");
    sw_buf_puts(&lite, " = ");
    sw_dialect_seeded_random(SW_DIALECT_SQLITE, &lite, 1, "'key'");
    sw_buf_puts(&lite, " AND ");
    sw_dialect_seeded_random(SW_DIALECT_SQLITE, &lite, 1, "'key'");
    sw_buf_puts(&lite, " <> ");
    sw_dialect_seeded_random(SW_DIALECT_SQLITE, &lite, 2, "'key'");
    sw_params_add_int(&p, 7);
    sw_params_add_int(&p, 8);
    assert_int_equal(query_int(lite.data, &p), 1);
    sw_dialect_seeded_random(SW_DIALECT_POSTGRES, &pg, 1, "w._key");
    assert_string_equal(pg.data, "sw_rand(?1, w._key)");
    /* lookup join */
    sw_buf_reset(&lite);
    sw_buf_printf(&lite, "SELECT count(*) FROM t a %s t b ON b.id = a.id", sw_db_lookup_join(db));
    assert_int_equal(query_int(lite.data, NULL), 2);
    assert_string_equal(sw_dialect_lookup_join(SW_DIALECT_POSTGRES), "JOIN");
    /* case folding */
    sw_buf_reset(&lite);
    sw_buf_reset(&pg);
    sw_buf_puts(&lite, "SELECT ");
    sw_dialect_fold(SW_DIALECT_SQLITE, &lite, "'ÀÉŁ Ab'");
    assert_query_text(lite.data, NULL, "àéł ab");
    sw_dialect_fold(SW_DIALECT_POSTGRES, &pg, "c.name");
    assert_string_equal(pg.data, "lower(c.name)");
    release2(&lite, &pg);
    sw_params_release(&p);
}

static void test_types_and_dates(void **state)
{
    (void)state;
    static const enum sw_type types[] = {SW_T_INT, SW_T_REAL, SW_T_TEXT, SW_T_BOOL, SW_T_DATE};
    struct sw_buf lite = SW_BUF_INIT, pg = SW_BUF_INIT;
    sw_buf_puts(&lite, "CREATE TABLE w (_key INTEGER PRIMARY KEY");
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        sw_buf_printf(&lite, ", c%zu %s", i, sw_db_type_name(db, types[i]));
        sw_buf_printf(&pg, "%s ", sw_dialect_type_name(SW_DIALECT_POSTGRES, types[i]));
    }
    sw_buf_puts(&lite, ")");
    exec_ok(lite.data);
    assert_string_equal(pg.data, "bigint double precision TEXT bigint TEXT ");
    assert_string_equal(sw_dialect_type_name(SW_DIALECT_SQLITE, SW_T_UNKNOWN), "");
    /* every stored date format to ISO-8601 UTC */
    static const struct {
        enum sw_date_fmt fmt;
        const char *value;
    } dates[] = {
        {SW_DATE_EPOCH_S, "1769853600"},
        {SW_DATE_EPOCH_MS, "1769853600000"},
        {SW_DATE_ISO_T, "'2026-01-31T10:00:00'"},
        {SW_DATE_ISO_SPACE, "'2026-01-31 10:00:00'"},
        {SW_DATE_ISO_MIXED, "'2026-01-31T12:00:00+02:00'"},
    };
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        sw_buf_reset(&lite);
        sw_buf_puts(&lite, "SELECT ");
        sw_db_date_iso(db, &lite, dates[i].value, dates[i].fmt);
        assert_query_text(lite.data, NULL, "2026-01-31T10:00:00Z");
    }
    sw_dialect_date_iso(SW_DIALECT_POSTGRES, &pg, "d.at", SW_DATE_EPOCH_MS);
    assert_non_null(strstr(pg.data, "to_char(to_timestamp((d.at) / 1000.0) AT TIME ZONE 'UTC', "
                                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"));
    sw_buf_reset(&pg);
    sw_dialect_date_iso(SW_DIALECT_POSTGRES, &pg, "d.at", SW_DATE_NATIVE);
    assert_string_equal(pg.data, "to_char(CAST(d.at AS timestamptz) AT TIME ZONE 'UTC', "
                                 "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    /* identifiers */
    sw_buf_reset(&pg);
    sw_db_ident(&pg, "we\"ird");
    assert_string_equal(pg.data, "\"we\"\"ird\"");
    release2(&lite, &pg);
}

/* Another connection changing the schema (a run creating and dropping its work tables) while
 * this one writes rows that a trigger copies into an FTS5 table and searches it: FTS5 reads
 * its own tables when SQLite connects it, and that read fails with SQLITE_SCHEMA when the
 * schema this connection knows is older than the file's. Every statement must succeed. */
static atomic_int churn_stop;

static void *churn(void *arg)
{
    struct sw_db *other = NULL;
    struct sw_error err = SW_ERROR_INIT;
    int *fails = arg;
    if (sw_db_open(path, &other, &err) < 0) {
        (*fails)++;
        sw_error_release(&err);
        return NULL;
    }
    for (int i = 0; !atomic_load(&churn_stop); i++) {
        char sql[96];
        snprintf(sql, sizeof(sql), "CREATE TABLE wt_%d (x INTEGER); DROP TABLE IF EXISTS wt_%d",
                 i + 1, i);
        if (sw_db_exec(other, sql, &err) < 0) {
            (*fails)++;
            sw_error_release(&err);
        }
    }
    sw_db_close(other);
    return NULL;
}

static void test_schema_changes_under_fts(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    pthread_t th;
    int churn_fails = 0, n = 0;
    exec_ok("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE VIRTUAL TABLE items_fts USING fts5(name, content='items',"
            " content_rowid='id', tokenize='trigram');"
            "CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN"
            "  INSERT INTO items_fts(rowid, name) VALUES (new.id, new.name); END");
    atomic_store(&churn_stop, 0);
    assert_int_equal(pthread_create(&th, NULL, churn, &churn_fails), 0);
    for (int i = 0; i < 400; i++) {
        struct sw_params p = SW_PARAMS_INIT;
        int64_t id = 0, found = 0;
        char name[40];
        /* a fresh connection each time knows no FTS5 table yet: it must connect it */
        struct sw_db *c = NULL;
        assert_int_equal(sw_db_open(path, &c, &err), 0);
        snprintf(name, sizeof(name), "campaign <%04d>", i);
        sw_params_add_text(&p, name);
        if (i % 2) {
            (void)sw_db_query_int(c, "SELECT count(*) FROM sqlite_master", NULL, &found, &err);
        }
        if (sw_db_insert_id(c, "INSERT INTO items (name) VALUES (?1)", &p, &id, &err) < 0) {
            fail_msg("insert %d: %s", i, err.message);
        }
        /* prepared, then stepped after the schema has changed again: the step re-prepares */
        struct sw_stmt *st = NULL;
        if (sw_db_prepare(c,
                          "SELECT rowid FROM items_fts WHERE items_fts MATCH '\"' || ?1 || "
                          "'\"'",
                          &st, &err) < 0) {
            fail_msg("search %d: %s", i, err.message);
        }
        usleep(200);
        int step;
        found = 0;
        assert_int_equal(sw_stmt_bind_params(st, &p, &err), 0);
        while ((step = sw_stmt_step(st, &err)) == SW_STEP_ROW) {
            found++;
        }
        if (step < 0) {
            fail_msg("search %d: %s", i, err.message);
        }
        sw_stmt_finalize(st);
        n += found == 1;
        sw_params_release(&p);
        sw_db_close(c);
    }
    atomic_store(&churn_stop, 1);
    pthread_join(th, NULL);
    assert_int_equal(churn_fails, 0);
    assert_int_equal(n, 400);
    assert_int_equal(
        query_int("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'campaign'", NULL), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_search_candidates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalar_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types_and_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_changes_under_fts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
