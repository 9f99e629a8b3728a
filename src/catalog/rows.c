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

int sw_rows_all(struct sw_db *db, const char *sql, const struct sw_params *p, size_t size,
                sw_rows_read_fn read, sw_rows_release_fn release, void *rows, size_t *n,
                struct sw_error *err)
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
            arr = sw_realloc(arr, cap * size);
        }
        void *elem = arr + *n * size;
        memset(elem, 0, size);
        read(st, elem);
        (*n)++;
        rc = 0;
    }
    sw_stmt_finalize(st);
    if (rc < 0) {
        sw_rows_free(arr, size, *n, release);
        arr = NULL;
        *n = 0;
    }
    memcpy(rows, &arr, sizeof(arr)); /* *(T **)rows = arr */
    return rc < 0 ? rc : 0;
}

int sw_rows_one(struct sw_db *db, const char *sql, const struct sw_params *p, size_t size,
                sw_rows_read_fn read, void *out, bool *found, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    memset(out, 0, size);
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
        read(st, out);
        if (found) {
            *found = true;
        }
    }
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

void sw_rows_read_int(struct sw_stmt *st, void *elem)
{
    *(int64_t *)elem = sw_stmt_column_int(st, 0);
}

void sw_rows_read_text(struct sw_stmt *st, void *elem) { *(char **)elem = sw_rows_text(st, 0); }

void sw_rows_release_text(void *elem) { free(*(char **)elem); }

void sw_rows_free(void *rows, size_t size, size_t n, sw_rows_release_fn release)
{
    for (size_t i = 0; release && i < n; i++) {
        release((char *)rows + i * size);
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
                    int64_t limit, size_t size, sw_rows_read_fn read, sw_rows_release_fn release,
                    void *rows, size_t *n, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text_or_null(&p, after_name);
    sw_params_add_int(&p, after_id);
    sw_params_add_int(&p, limit);
    sw_buf_printf(&sql, "%s WHERE ?1 IS NULL OR (name, id) > (?1, ?2) ORDER BY name, id LIMIT ?3",
                  select);
    int rc = sw_rows_all(db, sql.data, &p, size, read, release, rows, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}
