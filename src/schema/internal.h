/*
 * internal.h - what schema.c shares with hints.c (not for other modules).
 */
#ifndef SW_SCHEMA_INTERNAL_H
#define SW_SCHEMA_INTERNAL_H

#include "schema/schema.h"

void sw_schema_warn_(struct sw_schema *s, const char *msg);
/* Columns, key, indexes and date formats of d (d->name set), then date inference. */
int sw_schema_load_table_(struct sw_db *db, struct sw_schema *s, struct sw_dimension *d,
                          struct sw_error *err);
void sw_schema_add_link_(struct sw_dimension *d, const char *name, const char *target,
                         const char *local, const char *remote, bool to_many);
/* Recompute which links share a name (and their warnings) after links changed. */
void sw_schema_mark_collisions_(struct sw_schema *s);
void sw_field_release(struct sw_field *f);

#endif
