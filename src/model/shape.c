/*
 * shape.c - see shape.h.
 */
#include "model/shape.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void sw_shape_init(struct sw_shape *s, const char *dim_name, const struct sw_dimension *dim)
{
    s->dim_name = dim_name ? sw_strdup(dim_name) : NULL;
    s->dim = dim;
    s->cols = NULL;
    s->ncols = 0;
}

void sw_shape_release(struct sw_shape *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->ncols; i++) {
        free(s->cols[i].name);
    }
    free(s->cols);
    free(s->dim_name);
    s->dim_name = NULL;
    s->dim = NULL;
    s->cols = NULL;
    s->ncols = 0;
}

void sw_shape_copy(struct sw_shape *dst, const struct sw_shape *src)
{
    sw_shape_init(dst, src->dim_name, src->dim);
    for (size_t i = 0; i < src->ncols; i++) {
        sw_shape_add(dst, src->cols[i].name, src->cols[i].type);
    }
}

void sw_shape_add(struct sw_shape *s, const char *name, enum sw_type type)
{
    for (size_t i = 0; i < s->ncols; i++) {
        if (strcmp(s->cols[i].name, name) == 0) {
            s->cols[i].type = type; /* a later enrich with the same name replaces it */
            return;
        }
    }
    s->cols = sw_realloc(s->cols, (s->ncols + 1) * sizeof(*s->cols));
    s->cols[s->ncols].name = sw_strdup(name);
    s->cols[s->ncols].type = type;
    s->ncols++;
}

const struct sw_column *sw_shape_col(const struct sw_shape *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++) {
        if (strcmp(s->cols[i].name, name) == 0) {
            return &s->cols[i];
        }
    }
    return NULL;
}

void sw_shape_intersect(struct sw_shape *s, const struct sw_shape *other)
{
    size_t j = 0;
    for (size_t i = 0; i < s->ncols; i++) {
        if (sw_shape_col(other, s->cols[i].name)) {
            s->cols[j++] = s->cols[i];
        } else {
            free(s->cols[i].name);
        }
    }
    s->ncols = j;
}
