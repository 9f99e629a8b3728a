/*
 * hints.h - schema hints stored through the API (sw_schema_hints, migration 8): one row at
 * most, in force in place of the file named by the schema_hints setting.
 */
#ifndef SW_CATALOG_HINTS_H
#define SW_CATALOG_HINTS_H

#include "catalog/catalog.h"

#include <stdint.h>

/* *doc is the JSON text (malloc'd) or NULL when none is stored; *by may be NULL. */
int sw_catalog_hints_get(struct sw_catalog *cat, char **doc, int64_t *updated_at, char **by,
                         struct sw_error *err);
int sw_catalog_hints_put(struct sw_catalog *cat, const char *doc, int64_t now_ms, const char *by,
                         struct sw_error *err);
int sw_catalog_hints_delete(struct sw_catalog *cat, struct sw_error *err);

#endif
