/*
 * templates.c - see templates.h.
 */
#include "catalog/templates.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#define TEMPLATE_COLS "id, name, description, created_at, updated_at"

/* TEMPLATE_COLS, then the document (the list leaves it out). */
static const struct sw_col template_cols[] = {
    SW_COL(INT, struct sw_template_row, id),
    SW_COL(TEXT, struct sw_template_row, name),
    SW_COL(TEXT, struct sw_template_row, description),
    SW_COL(INT, struct sw_template_row, created_at),
    SW_COL(INT, struct sw_template_row, updated_at),
    SW_COL(TEXT, struct sw_template_row, document),
};
static const struct sw_row_type template_doc =
    SW_ROW_TYPE(struct sw_template_row, template_cols, NULL);
static const struct sw_row_type template_row = {sizeof(struct sw_template_row), template_cols, 5,
                                                NULL};

void sw_template_row_release(struct sw_template_row *t) { sw_row_release(&template_doc, t); }

void sw_template_rows_free(struct sw_template_row *rows, size_t n)
{
    sw_rows_free(&template_doc, rows, n);
}

int sw_catalog_template_get(struct sw_catalog *cat, int64_t id, struct sw_template_row *out,
                            struct sw_error *err)
{
    return sw_rows_get_id(cat->db,
                          "SELECT " TEMPLATE_COLS ", document FROM sw_templates WHERE id = ?1", id,
                          &template_doc, out, "template with id", err);
}

int sw_catalog_templates(struct sw_catalog *cat, const char *after_name, int64_t after_id,
                         int64_t limit, struct sw_template_row **rows, size_t *n,
                         struct sw_error *err)
{
    return sw_rows_by_name(cat->db, "SELECT " TEMPLATE_COLS " FROM sw_templates", after_name,
                           after_id, limit, &template_row, rows, n, err);
}

int sw_catalog_template_save(struct sw_catalog *cat, int64_t *id, const char *name,
                             const char *description, const char *document, int64_t now_ms,
                             struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, name);
    sw_params_add_text_or_null(&p, description);
    sw_params_add_text(&p, document);
    sw_params_add_int(&p, now_ms);
    sw_params_add_int(&p, *id);
    int rc = *id ? sw_db_exec_params(cat->db,
                                     "UPDATE sw_templates SET name = ?1, description = ?2, "
                                     "document = ?3, updated_at = ?4 WHERE id = ?5",
                                     &p, NULL, err)
                 : sw_db_insert_id(cat->db,
                                   "INSERT INTO sw_templates(name, description, document, "
                                   "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                                   &p, id, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_template_delete(struct sw_catalog *cat, int64_t id, struct sw_error *err)
{
    return sw_rows_exec(cat->db, "DELETE FROM sw_templates WHERE id = ?1", SW_ARGS(SW_INT(id)),
                        NULL, err);
}
