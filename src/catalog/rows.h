/*
 * rows.h - small helpers the catalog's files share to read rows and build filters. Internal
 * to src/catalog/.
 */
#ifndef SW_CATALOG_ROWS_H
#define SW_CATALOG_ROWS_H

#include "core/buf.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How one column of a typed row goes into its struct; a row type lists its columns in the
 * order of the SELECT's. */
enum sw_col_kind {
    SW_COL_INT,  /* int64_t, 0 for SQL NULL (times: 0 = none) */
    SW_COL_BOOL, /* bool: the integer is not 0 */
    SW_COL_TEXT, /* char *, a malloc'd copy, NULL for SQL NULL; sw_row_release frees it */
    SW_COL_OWN,  /* left to the type's read (a status parsed from its text) */
};
struct sw_col {
    enum sw_col_kind kind;
    size_t offset; /* of the field in the row struct */
};
#define SW_COL(kind, type, field)                                                                  \
    {                                                                                              \
        SW_COL_##kind, offsetof(type, field)                                                       \
    }

/* A typed row: its size, its columns, and what they cannot say (read after them, the row's
 * columns starting at c0; may be NULL). */
struct sw_row_type {
    size_t size;
    const struct sw_col *cols;
    size_t ncols;
    void (*read)(struct sw_stmt *st, int c0, void *row);
};
/* The type of struct `type` read by every column of the array `cols`. */
#define SW_ROW_TYPE(type, cols, read)                                                              \
    {                                                                                              \
        sizeof(type), cols, sizeof(cols) / sizeof((cols)[0]), read                                 \
    }

/* One-column rows: an integer (int64_t), a text (char *, malloc'd). */
extern const struct sw_row_type sw_row_int, sw_row_text;

/* Fill row from the statement's current row, whose columns for it start at c0. */
void sw_row_read(const struct sw_row_type *t, struct sw_stmt *st, int c0, void *row);
/* Free the texts of a row (NULL or zeroed: nothing) and zero it. */
void sw_row_release(const struct sw_row_type *t, void *row);

/* Every row of sql (with p, may be NULL) into a new array of t's rows, stored at
 * *(T **)rows with their number in *n. On an error the rows read are released, *rows is NULL
 * and *n 0. */
int sw_rows_all(struct sw_db *db, const char *sql, const struct sw_params *p,
                const struct sw_row_type *t, void *rows, size_t *n, struct sw_error *err);
/* Release every row of an array made by sw_rows_all, then the array. */
void sw_rows_free(const struct sw_row_type *t, void *rows, size_t n);

/* A text column as a malloc'd copy, NULL for SQL NULL. */
char *sw_rows_text(struct sw_stmt *st, int col);
/* An integer column, 0 for SQL NULL (times: 0 = none). */
int64_t sw_rows_int(struct sw_stmt *st, int col);
/* " AND expr IN (?a, ?b)" with each non-empty item of a comma-separated list bound as text;
 * "IN (NULL)" (nothing matches) when it has none. */
void sw_rows_in_csv(struct sw_buf *sql, struct sw_params *p, const char *expr, const char *csv);
/* A keyset page by (name, id): `select` ("SELECT cols FROM table") after (after_name,
 * after_id) (after_name NULL: from the first), at most limit rows, as sw_rows_all reads them. */
int sw_rows_by_name(struct sw_db *db, const char *select, const char *after_name, int64_t after_id,
                    int64_t limit, const struct sw_row_type *t, void *rows, size_t *n,
                    struct sw_error *err);
/* Several statements that stand or fall together (a row and the rows that go with it): in a
 * write transaction of their own, or in the caller's when one is open. sw_rows_end commits
 * the transaction sw_rows_begin opened when rc is 0, rolls it back otherwise, and returns rc
 * (or the commit's error). */
int sw_rows_begin(struct sw_db *db, bool *own, struct sw_error *err);
int sw_rows_end(struct sw_db *db, bool own, int rc, struct sw_error *err);
/* One parameter of a statement that binds a few values known at the call. */
enum sw_arg_kind { SW_ARG_INT, SW_ARG_INT_OR_NULL, SW_ARG_TEXT, SW_ARG_TEXT_OR_NULL };
struct sw_arg {
    enum sw_arg_kind kind;
    int64_t i;
    const char *s;
};
#define SW_INT(v)                                                                                  \
    {                                                                                              \
        SW_ARG_INT, (v), NULL                                                                      \
    }
#define SW_INT_OR_NULL(v)                                                                          \
    {                                                                                              \
        SW_ARG_INT_OR_NULL, (v), NULL                                                              \
    } /* 0 binds NULL */
#define SW_TEXT(v)                                                                                 \
    {                                                                                              \
        SW_ARG_TEXT, 0, (v)                                                                        \
    }
#define SW_TEXT_OR_NULL(v)                                                                         \
    {                                                                                              \
        SW_ARG_TEXT_OR_NULL, 0, (v)                                                                \
    } /* NULL binds NULL */
/* The parameters ?1, ?2, ... of a call as its two arguments (array, count). */
#define SW_ARGS(...)                                                                               \
    (const struct sw_arg[]){__VA_ARGS__},                                                          \
        sizeof((const struct sw_arg[]){__VA_ARGS__}) / sizeof(struct sw_arg)

/* Add the n args to p, in order. */
void sw_params_of(struct sw_params *p, const struct sw_arg *args, size_t n);
/* Run sql with the n args as ?1, ?2, ...; *changes (may be NULL) as sw_db_exec_params. */
int sw_rows_exec(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                 int64_t *changes, struct sw_error *err);
/* Run the INSERT sql with the n args; *id gets the new row's id (sw_db_insert_id). */
int sw_rows_insert(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                   int64_t *id, struct sw_error *err);
/* The integer sql answers with the n args, as sw_db_query_int. */
int sw_rows_query_int(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                      int64_t *v, struct sw_error *err);
/* Call fn(st, ud) on each row of sql with the n args (st is at that row). */
int sw_rows_each(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                 void (*fn)(struct sw_stmt *st, void *ud), void *ud, struct sw_error *err);
/* sw_rows_all with the n args as the parameters. */
int sw_rows_select(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                   const struct sw_row_type *t, void *rows, size_t *nrows, struct sw_error *err);
/* The first row of sql with the n args into out (zeroed first); *found (may be NULL) says
 * whether there was one. */
int sw_rows_get(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                const struct sw_row_type *t, void *out, bool *found, struct sw_error *err);
/* The row of sql with ?1 = id into out; SW_ENOTFOUND "no <what> <id>" when there is none. */
int sw_rows_get_id(struct sw_db *db, const char *sql, int64_t id, const struct sw_row_type *t,
                   void *out, const char *what, struct sw_error *err);
/* Run `insert` (one INSERT statement) with the n args as an upsert: on a conflict over the
 * columns `conflict`, UPDATE SET `set` (which may name excluded.col). */
int sw_rows_upsert(struct sw_db *db, const char *insert, const char *conflict, const char *set,
                   const struct sw_arg *args, size_t n, struct sw_error *err);
/* Run nsql statements in order with the same n args (each uses those it names). */
int sw_rows_exec_each(struct sw_db *db, const char *const *sql, size_t nsql,
                      const struct sw_arg *args, size_t n, struct sw_error *err);

#endif
