/*
 * audiences.c - see audiences.h.
 */
#include "catalog/audiences.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static char *audience_text(struct sw_catalog *cat, const char *sql, const char *name)
{
    char *v = NULL;
    sw_rows_get(cat->db, sql, SW_ARGS(SW_TEXT(name)), &sw_row_text, &v, NULL, NULL);
    return v;
}

char *sw_catalog_audience_table(struct sw_catalog *cat, const char *name)
{
    return audience_text(cat, "SELECT table_name FROM sw_audiences WHERE name = ?1", name);
}

char *sw_catalog_audience_dimension(struct sw_catalog *cat, const char *name)
{
    return audience_text(cat, "SELECT dimension FROM sw_audiences WHERE name = ?1", name);
}

int sw_catalog_audience_ensure(struct sw_catalog *cat, const char *name, const char *dimension,
                               char **table, int *created, struct sw_error *err)
{
    int rc = 0;
    *created = 0;
    *table = sw_catalog_audience_table(cat, name);
    if (*table) {
        return 0;
    }
    struct sw_params p = SW_PARAMS_INIT;
    int64_t id = 0;
    sw_params_add_text(&p, name);
    sw_params_add_text(&p, dimension);
    /* The table is named after the row id, never after the user's audience name. */
    rc = sw_db_insert_id(cat->db,
                         "INSERT INTO sw_audiences(name, dimension, table_name) "
                         "VALUES (?1, ?2, 'swa_' || (SELECT coalesce(max(id), 0) + 1 FROM "
                         "sw_audiences))",
                         &p, &id, err);
    sw_params_release(&p);
    if (rc < 0) {
        return rc;
    }
    *table = sw_catalog_audience_table(cat, name);
    *created = 1;
    return *table ? 0 : sw_error_set(err, SW_EDB, "audience \"%s\" could not be created", name);
}

int sw_catalog_audience_set_count(struct sw_catalog *cat, const char *name, int64_t count,
                                  int64_t now_ms, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "UPDATE sw_audiences SET count = ?1, updated_at = ?2 WHERE name = ?3",
                        SW_ARGS(SW_INT(count), SW_INT(now_ms), SW_TEXT(name)), NULL, err);
}

/* id, name, dimension, count, updated_at */
static const struct sw_col audience_cols[] = {
    SW_COL(INT, struct sw_audience_row, id),         SW_COL(TEXT, struct sw_audience_row, name),
    SW_COL(TEXT, struct sw_audience_row, dimension), SW_COL(INT, struct sw_audience_row, count),
    SW_COL(INT, struct sw_audience_row, updated_at),
};
static const struct sw_row_type audience_row =
    SW_ROW_TYPE(struct sw_audience_row, audience_cols, NULL);

void sw_audience_rows_free(struct sw_audience_row *rows, size_t n)
{
    sw_rows_free(&audience_row, rows, n);
}

int sw_catalog_audiences(struct sw_catalog *cat, const char *after_name, int64_t after_id,
                         int64_t limit, struct sw_audience_row **rows, size_t *n,
                         struct sw_error *err)
{
    return sw_rows_by_name(cat->db,
                           "SELECT id, name, dimension, count, updated_at FROM sw_audiences",
                           after_name, after_id, limit, &audience_row, rows, n, err);
}
