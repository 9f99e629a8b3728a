/*
 * rows.c - see rows.h.
 */
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

char *sw_rows_text(struct sw_stmt *st, int col)
{
    const char *t = sw_stmt_column_text(st, col);
    return t ? sw_strdup(t) : NULL;
}

int64_t sw_rows_int(struct sw_stmt *st, int col)
{
    return sw_stmt_column_type(st, col) == SW_V_NULL ? 0 : sw_stmt_column_int(st, col);
}

void sw_rows_in_csv(struct sw_buf *sql, struct sw_params *p, const char *expr, const char *csv)
{
    char *copy = sw_strdup(csv);
    int n = 0;
    sw_buf_printf(sql, " AND %s IN (", expr);
    for (char *s = copy, *e; s; s = e) {
        e = strchr(s, ',');
        if (e) {
            *e++ = '\0';
        }
        if (!*s) {
            continue;
        }
        sw_buf_printf(sql, "%s?%d", n++ ? ", " : "", sw_params_add_text(p, s));
    }
    if (!n) {
        sw_buf_puts(sql, "NULL");
    }
    sw_buf_putc(sql, ')');
    free(copy);
}

int sw_rows_exec2(struct sw_db *db, const char *sql, int64_t a, int64_t b, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, a);
    sw_params_add_int(&p, b);
    int rc = sw_db_exec_params(db, sql, &p, NULL, err);
    sw_params_release(&p);
    return rc;
}

int sw_rows_upsert(struct sw_db *db, const char *insert, const char *conflict, const char *set,
                   const struct sw_params *p, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    sw_buf_puts(&sql, insert);
    sw_dialect_upsert(sw_db_dialect(db), &sql, conflict, set);
    int rc = sw_buf_error(&sql);
    if (rc < 0) {
        rc = sw_error_set(err, rc, "out of memory");
    } else {
        rc = sw_db_exec_params(db, sql.data, p, NULL, err);
    }
    sw_buf_release(&sql);
    return rc;
}

static const struct sw_col int_col[] = {{SW_COL_INT, 0}};
static const struct sw_col text_col[] = {{SW_COL_TEXT, 0}};
const struct sw_row_type sw_row_int = SW_ROW_TYPE(int64_t, int_col, NULL);
const struct sw_row_type sw_row_text = SW_ROW_TYPE(char *, text_col, NULL);

void sw_row_read(const struct sw_row_type *t, struct sw_stmt *st, int c0, void *row)
{
    for (size_t i = 0; i < t->ncols; i++) {
        void *f = (char *)row + t->cols[i].offset;
        int col = c0 + (int)i;
        switch (t->cols[i].kind) {
        case SW_COL_INT:
            *(int64_t *)f = sw_rows_int(st, col);
            break;
        case SW_COL_BOOL:
            *(bool *)f = sw_stmt_column_int(st, col) != 0;
            break;
        case SW_COL_TEXT:
            *(char **)f = sw_rows_text(st, col);
            break;
        case SW_COL_OWN:
            break;
        }
    }
    if (t->read) {
        t->read(st, c0, row);
    }
}

void sw_row_release(const struct sw_row_type *t, void *row)
{
    if (!row) {
        return;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        if (t->cols[i].kind == SW_COL_TEXT) {
            free(*(char **)((char *)row + t->cols[i].offset));
        }
    }
    memset(row, 0, t->size);
}

int sw_rows_all(struct sw_db *db, const char *sql, const struct sw_params *p,
                const struct sw_row_type *t, void *rows, size_t *n, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    char *arr = NULL;
    size_t cap = 0;
    *n = 0;
    int rc = sw_db_prepare(db, sql, &st, err);
    if (rc == 0) {
        rc = sw_stmt_bind_params(st, p, err);
    }
    while (rc == 0 && (rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            arr = sw_realloc(arr, cap * t->size);
        }
        void *elem = arr + *n * t->size;
        memset(elem, 0, t->size);
        sw_row_read(t, st, 0, elem);
        (*n)++;
        rc = 0;
    }
    sw_stmt_finalize(st);
    if (rc < 0) {
        sw_rows_free(t, arr, *n);
        arr = NULL;
        *n = 0;
    }
    memcpy(rows, &arr, sizeof(arr)); /* *(T **)rows = arr */
    return rc < 0 ? rc : 0;
}

int sw_rows_one(struct sw_db *db, const char *sql, const struct sw_params *p,
                const struct sw_row_type *t, void *out, bool *found, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    memset(out, 0, t->size);
    if (found) {
        *found = false;
    }
    int rc = sw_db_prepare(db, sql, &st, err);
    if (rc == 0) {
        rc = sw_stmt_bind_params(st, p, err);
    }
    if (rc == 0) {
        rc = sw_stmt_step(st, err);
    }
    if (rc == SW_STEP_ROW) {
        sw_row_read(t, st, 0, out);
        if (found) {
            *found = true;
        }
    }
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

void sw_rows_free(const struct sw_row_type *t, void *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        sw_row_release(t, (char *)rows + i * t->size);
    }
    free(rows);
}

int sw_rows_exec_each(struct sw_db *db, const char *const *sql, size_t n, const struct sw_params *p,
                      struct sw_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = sw_db_exec_params(db, sql[i], p, NULL, err);
    }
    return rc;
}

int sw_rows_by_name(struct sw_db *db, const char *select, const char *after_name, int64_t after_id,
                    int64_t limit, const struct sw_row_type *t, void *rows, size_t *n,
                    struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text_or_null(&p, after_name);
    sw_params_add_int(&p, after_id);
    sw_params_add_int(&p, limit);
    sw_buf_printf(&sql, "%s WHERE ?1 IS NULL OR (name, id) > (?1, ?2) ORDER BY name, id LIMIT ?3",
                  select);
    int rc = sw_rows_all(db, sql.data, &p, t, rows, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}
