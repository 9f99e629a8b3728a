/*
 * shape.h - the shape of a population flowing along a transition: its targeting dimension
 * and the extra columns added upstream by `enrich`. Work tables hold "_key" (the dimension's
 * primary key) followed by these columns, in order.
 */
#ifndef SW_SHAPE_H
#define SW_SHAPE_H

#include "schema/schema.h"

struct sw_column {
    char *name;
    enum sw_type type;
};

struct sw_shape {
    char *dim_name;                   /* the dimension's name (known even without a schema) */
    const struct sw_dimension *dim;   /* NULL when validating without a data source */
    struct sw_column *cols;
    size_t ncols;
};

#define SW_SHAPE_INIT {NULL, NULL, NULL, 0}

void sw_shape_init(struct sw_shape *s, const char *dim_name, const struct sw_dimension *dim);
void sw_shape_release(struct sw_shape *s);
void sw_shape_copy(struct sw_shape *dst, const struct sw_shape *src); /* dst uninitialised */
void sw_shape_add(struct sw_shape *s, const char *name, enum sw_type type);
const struct sw_column *sw_shape_col(const struct sw_shape *s, const char *name);
/* Keep only the columns present in `other` too (combine of differently enriched inputs). */
void sw_shape_intersect(struct sw_shape *s, const struct sw_shape *other);

#endif
