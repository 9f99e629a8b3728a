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

/* Fills one element from the statement's current row (the element is zeroed first). */
typedef void (*sw_rows_read_fn)(struct sw_stmt *st, void *elem);
/* Frees what an element holds (not the element). */
typedef void (*sw_rows_release_fn)(void *elem);

/* Every row of sql (with p, may be NULL) into a new array of elements of `size` bytes, stored
 * at *(T **)rows with their number in *n. On an error the elements read are released
 * (release may be NULL), *rows is NULL and *n 0. */
int sw_rows_all(struct sw_db *db, const char *sql, const struct sw_params *p, size_t size,
                sw_rows_read_fn read, sw_rows_release_fn release, void *rows, size_t *n,
                struct sw_error *err);
/* Release every element of an array made by sw_rows_all (release may be NULL), then the
 * array. */
void sw_rows_free(void *rows, size_t size, size_t n, sw_rows_release_fn release);
/* The first row of sql into out (zeroed first); *found (may be NULL) says whether there was
 * one. */
int sw_rows_one(struct sw_db *db, const char *sql, const struct sw_params *p, size_t size,
                sw_rows_read_fn read, void *out, bool *found, struct sw_error *err);
/* Readers of one-column rows: an integer (int64_t), a text (char *, malloc'd). */
void sw_rows_read_int(struct sw_stmt *st, void *elem);
void sw_rows_read_text(struct sw_stmt *st, void *elem);
void sw_rows_release_text(void *elem);

/* A text column as a malloc'd copy, NULL for SQL NULL. */
char *sw_rows_text(struct sw_stmt *st, int col);
/* An integer column, 0 for SQL NULL (times: 0 = none). */
int64_t sw_rows_int(struct sw_stmt *st, int col);
/* " AND expr IN (?a, ?b)" with each non-empty item of a comma-separated list bound as text;
 * "IN (NULL)" (nothing matches) when it has none. */
void sw_rows_in_csv(struct sw_buf *sql, struct sw_params *p, const char *expr, const char *csv);
/* Run `insert` (one INSERT statement) as an upsert: on a conflict over the columns `conflict`,
 * UPDATE SET `set` (which may name excluded.col). */
int sw_rows_upsert(struct sw_db *db, const char *insert, const char *conflict, const char *set,
                   const struct sw_params *p, struct sw_error *err);
/* Run n statements in order with the same parameters (each uses those it names). */
int sw_rows_exec_each(struct sw_db *db, const char *const *sql, size_t n, const struct sw_params *p,
                      struct sw_error *err);
/* A keyset page by (name, id): `select` ("SELECT cols FROM table") after (after_name,
 * after_id) (after_name NULL: from the first), at most limit rows, as sw_rows_all reads them. */
int sw_rows_by_name(struct sw_db *db, const char *select, const char *after_name, int64_t after_id,
                    int64_t limit, size_t size, sw_rows_read_fn read, sw_rows_release_fn release,
                    void *rows, size_t *n, struct sw_error *err);
/* Run sql with the one integer parameter ?1 = a (and ?2 = b when the SQL names it). */
int sw_rows_exec2(struct sw_db *db, const char *sql, int64_t a, int64_t b, struct sw_error *err);

#endif
