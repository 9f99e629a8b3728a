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

void sw_params_of(struct sw_params *p, const struct sw_arg *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (args[i].kind) {
        case SW_ARG_INT:
            sw_params_add_int(p, args[i].i);
            break;
        case SW_ARG_INT_OR_NULL:
            sw_params_add_int_or_null(p, args[i].i);
            break;
        case SW_ARG_TEXT:
            sw_params_add_text(p, args[i].s);
            break;
        case SW_ARG_TEXT_OR_NULL:
            sw_params_add_text_or_null(p, args[i].s);
            break;
        }
    }
}

/* What each of the short forms below runs once its parameters are bound. */
enum run_kind { RUN_EXEC, RUN_INSERT, RUN_QUERY_INT };

static int run(struct sw_db *db, enum run_kind kind, const char *sql, const struct sw_arg *args,
               size_t n, int64_t *out, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    int rc;
    sw_params_of(&p, args, n);
    switch (kind) {
    case RUN_INSERT:
        rc = sw_db_insert_id(db, sql, &p, out, err);
        break;
    case RUN_QUERY_INT:
        rc = sw_db_query_int(db, sql, &p, out, err);
        break;
    default:
        rc = sw_db_exec_params(db, sql, &p, out, err);
        break;
    }
    sw_params_release(&p);
    return rc;
}

int sw_rows_begin(struct sw_db *db, bool *own, struct sw_error *err)
{
    *own = !sw_db_in_tx(db);
    return *own ? sw_db_begin(db, err) : 0;
}

int sw_rows_end(struct sw_db *db, bool own, int rc, struct sw_error *err)
{
    if (own && rc == 0) {
        rc = sw_db_commit(db, err);
    }
    if (own && rc < 0) {
        sw_db_rollback(db);
    }
    return rc;
}

int sw_rows_exec(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                 int64_t *changes, struct sw_error *err)
{
    return run(db, RUN_EXEC, sql, args, n, changes, err);
}

int sw_rows_insert(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                   int64_t *id, struct sw_error *err)
{
    return run(db, RUN_INSERT, sql, args, n, id, err);
}

int sw_rows_query_int(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                      int64_t *v, struct sw_error *err)
{
    return run(db, RUN_QUERY_INT, sql, args, n, v, err);
}

int sw_rows_upsert(struct sw_db *db, const char *insert, const char *conflict, const char *set,
                   const struct sw_arg *args, size_t n, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    sw_buf_puts(&sql, insert);
    sw_dialect_upsert(sw_db_dialect(db), &sql, conflict, set);
    int rc = sw_buf_error(&sql);
    if (rc < 0) {
        rc = sw_error_set(err, rc, "out of memory");
    } else {
        rc = sw_rows_exec(db, sql.data, args, n, NULL, err);
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

/* fn(st, ud) on each row of sql with p. */
static int each(struct sw_db *db, const char *sql, const struct sw_params *p,
                void (*fn)(struct sw_stmt *st, void *ud), void *ud, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    int rc = sw_db_prepare(db, sql, &st, err);
    if (rc == 0) {
        rc = sw_stmt_bind_params(st, p, err);
    }
    while (rc == 0 && (rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        fn(st, ud);
        rc = 0;
    }
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int sw_rows_each(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                 void (*fn)(struct sw_stmt *st, void *ud), void *ud, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_of(&p, args, n);
    int rc = each(db, sql, &p, fn, ud, err);
    sw_params_release(&p);
    return rc;
}

/* The array sw_rows_all grows, one row at a time. */
struct append {
    const struct sw_row_type *t;
    char *arr;
    size_t n, cap;
};

static void append_row(struct sw_stmt *st, void *ud)
{
    struct append *a = ud;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->arr = sw_realloc(a->arr, a->cap * a->t->size);
    }
    void *elem = a->arr + a->n++ * a->t->size;
    memset(elem, 0, a->t->size);
    sw_row_read(a->t, st, 0, elem);
}

int sw_rows_all(struct sw_db *db, const char *sql, const struct sw_params *p,
                const struct sw_row_type *t, void *rows, size_t *n, struct sw_error *err)
{
    struct append a = {t, NULL, 0, 0};
    int rc = each(db, sql, p, append_row, &a, err);
    if (rc < 0) {
        sw_rows_free(t, a.arr, a.n);
        a.arr = NULL;
        a.n = 0;
    }
    *n = a.n;
    memcpy(rows, &a.arr, sizeof(a.arr)); /* *(T **)rows = arr */
    return rc;
}

void sw_rows_free(const struct sw_row_type *t, void *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        sw_row_release(t, (char *)rows + i * t->size);
    }
    free(rows);
}

int sw_rows_exec_each(struct sw_db *db, const char *const *sql, size_t nsql,
                      const struct sw_arg *args, size_t n, struct sw_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nsql; i++) {
        rc = sw_rows_exec(db, sql[i], args, n, NULL, err);
    }
    return rc;
}

int sw_rows_select(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                   const struct sw_row_type *t, void *rows, size_t *nrows, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_of(&p, args, n);
    int rc = sw_rows_all(db, sql, &p, t, rows, nrows, err);
    sw_params_release(&p);
    return rc;
}

int sw_rows_get_id(struct sw_db *db, const char *sql, int64_t id, const struct sw_row_type *t,
                   void *out, const char *what, struct sw_error *err)
{
    bool found = false;
    int rc = sw_rows_get(db, sql, SW_ARGS(SW_INT(id)), t, out, &found, err);
    if (rc == 0 && !found) {
        rc = sw_error_set(err, SW_ENOTFOUND, "no %s %lld", what, (long long)id);
    }
    return rc;
}

int sw_rows_get(struct sw_db *db, const char *sql, const struct sw_arg *args, size_t n,
                const struct sw_row_type *t, void *out, bool *found, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    memset(out, 0, t->size);
    if (found) {
        *found = false;
    }
    sw_params_of(&p, args, n);
    int rc = sw_db_prepare(db, sql, &st, err);
    if (rc == 0) {
        rc = sw_stmt_bind_params(st, &p, err);
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
    sw_params_release(&p);
    return rc < 0 ? rc : 0;
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
