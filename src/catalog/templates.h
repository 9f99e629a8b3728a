/*
 * templates.h - campaign templates (sw_templates): reusable documents without runs, listed by
 * name then id (names need not be unique).
 */
#ifndef SW_CATALOG_TEMPLATES_H
#define SW_CATALOG_TEMPLATES_H

#include "catalog/catalog.h"

#include <stdbool.h>
#include <stdint.h>

struct sw_template_row {
    int64_t id;
    char *name, *description;
    char *document; /* NULL in lists */
    int64_t created_at, updated_at;
};
void sw_template_row_release(struct sw_template_row *t); /* accepts a zeroed row */
void sw_template_rows_free(struct sw_template_row *rows, size_t n);

/* One template with its document; SW_ENOTFOUND when there is none. */
int sw_catalog_template_get(struct sw_catalog *cat, int64_t id, struct sw_template_row *out,
                            struct sw_error *err);
/* Templates by (name, id) after (after_name, after_id) (after_name NULL: from the first), at
 * most limit, without their documents. */
int sw_catalog_templates(struct sw_catalog *cat, const char *after_name, int64_t after_id,
                         int64_t limit, struct sw_template_row **rows, size_t *n,
                         struct sw_error *err);
/* Insert (*id 0: *id becomes the new one's) or replace template *id. */
int sw_catalog_template_save(struct sw_catalog *cat, int64_t *id, const char *name,
                             const char *description, const char *document, int64_t now_ms,
                             struct sw_error *err);
int sw_catalog_template_delete(struct sw_catalog *cat, int64_t id, struct sw_error *err);

#endif
