/*
 * audiences.h - saved audiences (sw_audiences): a name, the dimension its keys belong to and
 * the table holding them ("swa_<id>", named after the row, never after user text).
 */
#ifndef SW_CATALOG_AUDIENCES_H
#define SW_CATALOG_AUDIENCES_H

#include "catalog/catalog.h"

#include <stdint.h>

/* The table holding an audience's keys (malloc'd), or NULL. */
char *sw_catalog_audience_table(struct sw_catalog *cat, const char *name);
/* The dimension an audience holds keys of (malloc'd), or NULL when there is no such audience. */
char *sw_catalog_audience_dimension(struct sw_catalog *cat, const char *name);
/* Create (or find) the audience row; returns its table name (malloc'd). */
int sw_catalog_audience_ensure(struct sw_catalog *cat, const char *name, const char *dimension,
                               char **table, int *created, struct sw_error *err);
int sw_catalog_audience_set_count(struct sw_catalog *cat, const char *name, int64_t count,
                                  int64_t now_ms, struct sw_error *err);

struct sw_audience_row {
    int64_t id;
    char *name, *dimension;
    int64_t count, updated_at;
};
void sw_audience_rows_free(struct sw_audience_row *rows, size_t n);
/* Audiences by (name, id) after (after_name, after_id) (after_name NULL: from the first), at
 * most limit. */
int sw_catalog_audiences(struct sw_catalog *cat, const char *after_name, int64_t after_id,
                         int64_t limit, struct sw_audience_row **rows, size_t *n,
                         struct sw_error *err);

#endif
