/*
 * db.h - the data-source driver interface. Every difference between SQL dialects lives
 * under src/db/: placeholders, upsert syntax, type names, seeded random ordering, date
 * arithmetic. Code outside db/ writes portable SQL through the helpers below.
 *
 * A data source URL is a file path, "sqlite:PATH", or "postgresql://..." (a later driver).
 */
#ifndef SW_DB_H
#define SW_DB_H

#include "core/buf.h"
#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>

enum sw_dialect { SW_DIALECT_SQLITE, SW_DIALECT_POSTGRES };

/* A bound parameter value. Text is owned by the value (sw_value_release frees it). */
enum sw_vtype { SW_V_NULL, SW_V_INT, SW_V_REAL, SW_V_TEXT };
struct sw_value {
    enum sw_vtype type;
    int64_t i;
    double d;
    char *s;
};

/* An ordered list of parameters for one statement; placeholder n (1-based) is params.v[n-1]. */
struct sw_params {
    struct sw_value *v;
    size_t n, cap;
};
#define SW_PARAMS_INIT {NULL, 0, 0}

void sw_params_release(struct sw_params *p);
void sw_params_truncate(struct sw_params *p, size_t n); /* keep the first n */
/* Each add returns the 1-based index of the new parameter. */
int sw_params_add_int(struct sw_params *p, int64_t v);
int sw_params_add_real(struct sw_params *p, double v);
int sw_params_add_text(struct sw_params *p, const char *s); /* copies s */
int sw_params_add_null(struct sw_params *p);
int sw_params_add_text_or_null(struct sw_params *p, const char *s); /* NULL binds NULL */
int sw_params_add_int_or_null(struct sw_params *p, int64_t v);      /* 0 binds NULL */

struct sw_db;
struct sw_stmt;

enum { SW_STEP_DONE = 0, SW_STEP_ROW = 1 };

int sw_db_open(const char *url, struct sw_db **out, struct sw_error *err);
void sw_db_close(struct sw_db *db); /* accepts NULL */
enum sw_dialect sw_db_dialect(const struct sw_db *db);
const char *sw_db_url(const struct sw_db *db);

/* Run one or more statements without parameters. */
int sw_db_exec(struct sw_db *db, const char *sql, struct sw_error *err);
/* Run one statement with parameters; *changes (may be NULL) gets the rows it changed. */
int sw_db_exec_params(struct sw_db *db, const char *sql, const struct sw_params *params,
                      int64_t *changes, struct sw_error *err);
/* Run a query returning one integer in the first column of the first row (0 if no row). */
int sw_db_query_int(struct sw_db *db, const char *sql, const struct sw_params *params,
                    int64_t *out, struct sw_error *err);

int sw_db_begin(struct sw_db *db, struct sw_error *err);    /* write transaction */
int sw_db_commit(struct sw_db *db, struct sw_error *err);
int sw_db_rollback(struct sw_db *db);                       /* never fails loudly */
/* Durable commits (survive a power loss, not only a crash of the process) until turned off:
 * SQLite's synchronous=FULL (fsync of the WAL at each commit) instead of NORMAL; a no-op where
 * commits are always durable. Outside a transaction. */
int sw_db_durable(struct sw_db *db, bool on, struct sw_error *err);
bool sw_db_table_exists(struct sw_db *db, const char *name);

int sw_db_prepare(struct sw_db *db, const char *sql, struct sw_stmt **out, struct sw_error *err);
int sw_stmt_bind_params(struct sw_stmt *st, const struct sw_params *params, struct sw_error *err);
int sw_stmt_bind_int(struct sw_stmt *st, int idx, int64_t v);
int sw_stmt_bind_real(struct sw_stmt *st, int idx, double v);
int sw_stmt_bind_text(struct sw_stmt *st, int idx, const char *s); /* NULL binds NULL */
int sw_stmt_bind_null(struct sw_stmt *st, int idx);
/* SW_STEP_ROW, SW_STEP_DONE, or a negative SW_E* (detail in err). */
int sw_stmt_step(struct sw_stmt *st, struct sw_error *err);
int sw_stmt_reset(struct sw_stmt *st);
void sw_stmt_finalize(struct sw_stmt *st); /* accepts NULL */
int sw_stmt_column_count(struct sw_stmt *st);
const char *sw_stmt_column_name(struct sw_stmt *st, int col);
enum sw_vtype sw_stmt_column_type(struct sw_stmt *st, int col);
int64_t sw_stmt_column_int(struct sw_stmt *st, int col);
double sw_stmt_column_real(struct sw_stmt *st, int col);
const char *sw_stmt_column_text(struct sw_stmt *st, int col); /* NULL for SQL NULL */
int64_t sw_db_changes(struct sw_db *db);

/* --- dialect helpers: append SQL text for the data source's dialect --- */

/* Quoted identifier: "name" with embedded quotes doubled. Identifiers come from the
 * discovered schema or from names we generate, never from unvalidated user text. */
void sw_db_ident(struct sw_buf *sql, const char *name);
/* The placeholder for 1-based parameter n: "?n" (SQLite) or "$n" (PostgreSQL). */
void sw_db_placeholder(const struct sw_db *db, struct sw_buf *sql, int n);
void sw_dialect_placeholder(enum sw_dialect d, struct sw_buf *sql, int n);
/* The function that turns ISO-8601 text in any of its shapes (zone offsets included) into
 * UTC text "YYYY-MM-DD HH:MM:SS": "datetime" on SQLite; "" where dates are native. */
const char *sw_dialect_utc_fn(enum sw_dialect d);
/* A deterministic pseudo-random 63-bit number from (seed, key expression): the ORDER BY
 * of seeded sampling. seed_param is the placeholder index holding the seed. */
void sw_db_seeded_random(const struct sw_db *db, struct sw_buf *sql, int seed_param,
                         const char *key_expr);
/* "INSERT OR IGNORE INTO" / "INSERT INTO" (then sw_db_insert_ignore_tail adds
 * "ON CONFLICT DO NOTHING" on PostgreSQL). */
void sw_db_insert_ignore_head(const struct sw_db *db, struct sw_buf *sql);
void sw_db_insert_ignore_tail(const struct sw_db *db, struct sw_buf *sql);
/* Catalog queries for schema discovery, per dialect. TABLES: one column, table names.
 * COLUMNS (?1 = table): name, declared type, pk position (0 = not in the key).
 * FKEYS (?1 = table): referenced table, local column, referenced column (NULL = its pk). */
/* INDEXED (?1 = table): names of columns that lead an index. */
enum sw_introspect {
    SW_INTROSPECT_TABLES,
    SW_INTROSPECT_COLUMNS,
    SW_INTROSPECT_FKEYS,
    SW_INTROSPECT_INDEXED
};
const char *sw_db_introspection_sql(const struct sw_db *db, enum sw_introspect what);
/* An expression converting a date stored in format `date_fmt` (enum sw_date_fmt) to ISO-8601
 * UTC text "YYYY-MM-DDTHH:MM:SSZ", the one format of date columns in work tables. */
void sw_db_date_iso(const struct sw_db *db, struct sw_buf *sql, const char *expr, int date_fmt);
/* A fingerprint of the data source's own schema (its tables, views, columns, keys and indexes,
 * without the tables Stepwise owns: sw_*, wt_*, swa_*): it changes when a customer's schema
 * does, not when a run creates work tables. 0 when unknown. */
int64_t sw_db_schema_version(struct sw_db *db);
/* A cheap number that changes with any schema change, Stepwise's own included (SQLite's
 * schema_version): when it has not moved, the fingerprint above has not either. */
int64_t sw_db_schema_cookie(struct sw_db *db);
/* A cheap estimate of a table's row count (no full count): 0 when unknown. */
int64_t sw_db_estimate_rows(struct sw_db *db, const char *table);
/* The join keyword that makes the left side the outer loop for a lookup by primary key
 * ("CROSS JOIN" on SQLite, whose planner otherwise may walk the whole dimension through an
 * unrelated covering index; "JOIN" elsewhere). */
const char *sw_db_lookup_join(const struct sw_db *db);
/* An expression folding the case of a text expression (Unicode-aware where the database
 * is; at least Latin letters on SQLite), for case-insensitive search. */
void sw_db_fold(const struct sw_db *db, struct sw_buf *sql, const char *expr);
/* The function building a JSON object from name, value pairs: json_object (SQLite),
 * json_build_object (PostgreSQL). */
const char *sw_db_json_object_fn(const struct sw_db *db);
/* Column type names for work tables. */
const char *sw_db_type_name(const struct sw_db *db, int sw_type /* enum sw_type, schema.h */);

#endif
