/*
 * db.h - the data-source driver interface. Every difference between SQL dialects lives
 * under src/db/: placeholders, inserted ids, upsert syntax, JSON access, text search, index
 * hints, connection settings, type names, seeded random ordering, date arithmetic. Code
 * outside db/ writes portable SQL through the helpers below; tools/check-dialect.sh (run by
 * `make check`) fails on dialect-specific SQL anywhere else.
 *
 * The driver (sqlite.c; a PostgreSQL one later) runs statements. dialect.c writes SQL text per
 * dialect: its sw_dialect_* functions take the dialect (code without a connection, such as the
 * filter compiler, and the tests of both dialects), the sw_db_* ones a connection's dialect.
 *
 * Placeholders: every statement is written once, with the neutral placeholder ?N, N the
 * 1-based index of the parameter in its struct sw_params (a parameter may appear several
 * times). The driver rewrites it for its dialect when it prepares the statement: SQLite takes
 * ?N as is, PostgreSQL gets $N (sw_dialect_sql). The rewrite skips string literals ('it''s
 * ?1'), quoted identifiers ("?1"), line comments (-- ?1) and block comments; a ? that no digit
 * follows is left alone. Nothing else in a statement may spell a placeholder: no bare ?, no
 * :name, no $N.
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

/* The types of fields and work-table columns (the schema discovers them, db/ names them). */
enum sw_type { SW_T_UNKNOWN, SW_T_INT, SW_T_REAL, SW_T_TEXT, SW_T_BOOL, SW_T_DATE };

/* How a date column stores its values, learned from its declared type and one sample, so
 * that bound comparison values use the same representation and indexes stay usable. */
enum sw_date_fmt {
    SW_DATE_ISO_T,     /* "2026-01-31T10:00:00" (optionally ending in Z) */
    SW_DATE_ISO_SPACE, /* "2026-01-31 10:00:00" */
    SW_DATE_ISO_DATE,  /* "2026-01-31" */
    SW_DATE_EPOCH_S,   /* integer seconds since 1970 */
    SW_DATE_EPOCH_MS,  /* integer milliseconds since 1970 */
    SW_DATE_NATIVE,    /* a real timestamp type (PostgreSQL) */
    SW_DATE_ISO_MIXED  /* ISO-8601 text in more than one shape, or with zone offsets:
                          compared after conversion to UTC (correct, but no index) */
};

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
/* Whether a transaction is open on the connection (the caller's, or one a statement runs in). */
bool sw_db_in_tx(struct sw_db *db);
/* Durable commits (survive a power loss, not only a crash of the process) until turned off:
 * SQLite's synchronous=FULL (fsync of the WAL at each commit) instead of NORMAL; a no-op where
 * commits are always durable. Outside a transaction. */
int sw_db_durable(struct sw_db *db, bool on, struct sw_error *err);
/* Read the data source through a memory map (connections serving requests, which read
 * scattered catalog rows); a no-op where the server owns its I/O. */
int sw_db_map_reads(struct sw_db *db, struct sw_error *err);
bool sw_db_table_exists(struct sw_db *db, const char *name);
/* Run `insert` (one INSERT statement, without a RETURNING clause, into a table whose key is
 * the column id) and set *id to the inserted row's id: "RETURNING id". When the INSERT
 * inserts nothing (an ignored conflict), *id is 0. */
int sw_db_insert_id(struct sw_db *db, const char *insert, const struct sw_params *params,
                    int64_t *id, struct sw_error *err);

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

/* --- SQL text per dialect (dialect.c) --- */

/* Append `sql`, written with neutral ?N placeholders (see the top of this file), as the
 * dialect spells it. */
void sw_dialect_sql(enum sw_dialect d, struct sw_buf *out, const char *sql);
/* Quoted identifier: "name" with embedded quotes doubled. Identifiers come from the
 * discovered schema or from names we generate, never from unvalidated user text. */
void sw_db_ident(struct sw_buf *sql, const char *name);
/* The function that turns ISO-8601 text in any of its shapes (zone offsets included) into
 * UTC text "YYYY-MM-DD HH:MM:SS": "datetime" on SQLite; "" where dates are native. */
const char *sw_dialect_utc_fn(enum sw_dialect d);
/* Whether date columns have a native timestamp type (SW_DATE_NATIVE) rather than text or
 * numbers whose format the schema discovers. */
bool sw_dialect_native_dates(enum sw_dialect d);
/* The case-insensitive LIKE operator: "LIKE" (SQLite's ignores ASCII case), "ILIKE". */
const char *sw_dialect_like_ci(enum sw_dialect d);
/* The index hint after a table's alias that makes the planner scan the table rather than
 * walk one of its indexes ("NOT INDEXED" on SQLite), or NULL when the dialect has none (its
 * planner estimates a range's selectivity itself). */
const char *sw_dialect_no_index(enum sw_dialect d);
/* An integer expression: the current time in milliseconds since 1970 (UTC), for defaults
 * and triggers inside the database (code outside it uses sw_clock_now_ms). */
const char *sw_dialect_now_ms(enum sw_dialect d);
/* Upsert tail after "INSERT INTO t (...) VALUES (...)" or "... SELECT ...":
 * " ON CONFLICT (conflict) DO UPDATE SET set", or " ... DO NOTHING" when set is NULL; conflict
 * NULL means any uniqueness conflict (DO NOTHING only). `set` may use excluded.col for the
 * value that was to be inserted. */
void sw_dialect_upsert(enum sw_dialect d, struct sw_buf *sql, const char *conflict,
                       const char *set);
/* "INSERT OR IGNORE INTO " (SQLite: also ignores NOT NULL and CHECK failures) / "INSERT INTO ",
 * then the tail adds " ON CONFLICT DO NOTHING" on PostgreSQL. */
void sw_dialect_insert_ignore_head(enum sw_dialect d, struct sw_buf *sql);
void sw_dialect_insert_ignore_tail(enum sw_dialect d, struct sw_buf *sql);
void sw_db_insert_ignore_head(const struct sw_db *db, struct sw_buf *sql);
void sw_db_insert_ignore_tail(const struct sw_db *db, struct sw_buf *sql);
/* The member at `path` (a name, or names joined by dots for nested objects; names are
 * [A-Za-z0-9_], never user text) of the JSON object held as text in `expr`, as a value of
 * `type` (SW_V_INT, SW_V_REAL or SW_V_TEXT: an object or array comes as JSON text); NULL when
 * absent. json_extract(expr, '$.a.b') on SQLite; on PostgreSQL jsonb's ->> 'a' (#>> '{a,b}'
 * when nested), cast to the type. */
void sw_dialect_json_get(enum sw_dialect d, struct sw_buf *sql, const char *expr, const char *path,
                         enum sw_vtype type);
void sw_db_json_get(const struct sw_db *db, struct sw_buf *sql, const char *expr, const char *path,
                    enum sw_vtype type);
/* A FROM item over the members of the JSON object held as text in `expr`, one row each, named
 * `alias` with columns key and value (value is JSON: read it with *_json_get); a row whose
 * expr is not valid JSON contributes no member. */
void sw_dialect_json_each(enum sw_dialect d, struct sw_buf *sql, const char *expr,
                          const char *alias);
void sw_db_json_each(const struct sw_db *db, struct sw_buf *sql, const char *expr,
                     const char *alias);
/* The function building a JSON object from name, value pairs: json_object (SQLite),
 * json_build_object (PostgreSQL). */
const char *sw_dialect_json_object_fn(enum sw_dialect d);
const char *sw_db_json_object_fn(const struct sw_db *db);
/* Substring search in the text columns of a table, ignoring case. On SQLite a query of 3
 * characters or more goes through the FTS5 trigram table "<table>_fts" (content table
 * `table`, its rowid the table's id) and a shorter one scans the rows with sw_fold;
 * PostgreSQL uses ILIKE (which a pg_trgm index serves). */
struct sw_text_search {
    const char *table;          /* the searched table; its key is the column id */
    const char *alias;          /* its alias in the query the condition goes into */
    const char *const *columns; /* the text columns searched, NULL-terminated */
};
/* Append to cond a boolean condition "the row `alias` contains q" (q bound in params), and to
 * count (may be NULL) a query counting the matching rows from the index alone when an index
 * answers that (count stays empty otherwise; it uses the same parameters as cond). */
void sw_dialect_text_search(enum sw_dialect d, const struct sw_text_search *ts, const char *q,
                            struct sw_buf *cond, struct sw_buf *count, struct sw_params *params);
/* The same condition, for a connection: on SQLite, when one of q's trigrams is rare (the
 * rowid span of its first rows in the index says it is in about `few` rows or fewer), the
 * rows holding it are the candidates, each checked exactly by the driver's
 * sw_trigram_has(q, columns...) (the trigram tokenizer's own folding, so the rows are those
 * the phrase matches), and the answer is true: the search bounds the rows a query reads to
 * about `few` (count stays empty). Otherwise as sw_dialect_text_search, and false. */
bool sw_db_text_search(struct sw_db *db, const struct sw_text_search *ts, const char *q,
                       int64_t few, struct sw_buf *cond, struct sw_buf *count,
                       struct sw_params *params);
/* A deterministic pseudo-random 63-bit number from (seed, key expression): the ORDER BY
 * of seeded sampling. seed_param is the placeholder index holding the seed. */
void sw_dialect_seeded_random(enum sw_dialect d, struct sw_buf *sql, int seed_param,
                              const char *key_expr);
void sw_db_seeded_random(const struct sw_db *db, struct sw_buf *sql, int seed_param,
                         const char *key_expr);
/* An expression converting a date stored in format `date_fmt` to ISO-8601 UTC text
 * "YYYY-MM-DDTHH:MM:SSZ", the one format of date columns in work tables. */
void sw_dialect_date_iso(enum sw_dialect d, struct sw_buf *sql, const char *expr,
                         enum sw_date_fmt date_fmt);
void sw_db_date_iso(const struct sw_db *db, struct sw_buf *sql, const char *expr,
                    enum sw_date_fmt date_fmt);
/* The join keyword that makes the left side the outer loop for a lookup by primary key
 * ("CROSS JOIN" on SQLite, whose planner otherwise may walk the whole dimension through an
 * unrelated covering index; "JOIN" elsewhere). */
const char *sw_dialect_lookup_join(enum sw_dialect d);
const char *sw_db_lookup_join(const struct sw_db *db);
/* An expression folding the case of a text expression (Unicode-aware where the database
 * is; at least Latin letters on SQLite), for case-insensitive search. */
void sw_dialect_fold(enum sw_dialect d, struct sw_buf *sql, const char *expr);
/* Column type names for work tables. */
const char *sw_dialect_type_name(enum sw_dialect d, enum sw_type t);
const char *sw_db_type_name(const struct sw_db *db, enum sw_type t);

/* --- the data source's own schema (the driver's catalog) --- */

/* Catalog queries for schema discovery. TABLES: one column, table names.
 * COLUMNS (?1 = table): name, declared type, pk position (0 = not in the key).
 * FKEYS (?1 = table): referenced table, local column, referenced column (NULL = its pk).
 * INDEXED (?1 = table): names of columns that lead an index. */
enum sw_introspect {
    SW_INTROSPECT_TABLES,
    SW_INTROSPECT_COLUMNS,
    SW_INTROSPECT_FKEYS,
    SW_INTROSPECT_INDEXED
};
const char *sw_db_introspection_sql(const struct sw_db *db, enum sw_introspect what);
/* A fingerprint of the data source's own schema (its tables, views, columns, keys and indexes,
 * without the tables Stepwise owns: sw_*, wt_*, swa_*): it changes when a customer's schema
 * does, not when a run creates work tables. 0 when unknown. */
int64_t sw_db_schema_version(struct sw_db *db);
/* A cheap number that changes with any schema change, Stepwise's own included (SQLite's
 * schema_version): when it has not moved, the fingerprint above has not either. */
int64_t sw_db_schema_cookie(struct sw_db *db);
/* A cheap estimate of a table's row count (no full count): 0 when unknown. */
int64_t sw_db_estimate_rows(struct sw_db *db, const char *table);

#endif
