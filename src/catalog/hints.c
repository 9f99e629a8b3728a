/*
 * hints.c - see hints.h.
 */
#include "catalog/hints.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>

int sw_catalog_hints_get(struct sw_catalog *cat, char **doc, int64_t *updated_at, char **by,
                         struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    *doc = NULL;
    *updated_at = 0;
    if (by) {
        *by = NULL;
    }
    int rc = sw_db_prepare(cat->db,
                           "SELECT document, updated_at, updated_by FROM sw_schema_hints WHERE "
                           "id = 1",
                           &st, err);
    if (rc < 0) {
        return rc;
    }
    rc = sw_stmt_step(st, err);
    if (rc == SW_STEP_ROW) {
        const char *d = sw_stmt_column_text(st, 0), *b = sw_stmt_column_text(st, 2);
        *doc = d ? sw_strdup(d) : NULL;
        *updated_at = sw_stmt_column_int(st, 1);
        if (by && b) {
            *by = sw_strdup(b);
        }
    }
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int sw_catalog_hints_put(struct sw_catalog *cat, const char *doc, int64_t now_ms, const char *by,
                         struct sw_error *err)
{
    return sw_rows_upsert(cat->db,
                          "INSERT INTO sw_schema_hints (id, document, updated_at, updated_by) "
                          "VALUES (1, ?1, ?2, ?3)",
                          "id",
                          "document = excluded.document, updated_at = excluded.updated_at, "
                          "updated_by = excluded.updated_by",
                          SW_ARGS(SW_TEXT(doc), SW_INT(now_ms), SW_TEXT_OR_NULL(by)), err);
}

int sw_catalog_hints_delete(struct sw_catalog *cat, struct sw_error *err)
{
    return sw_db_exec(cat->db, "DELETE FROM sw_schema_hints", err);
}
