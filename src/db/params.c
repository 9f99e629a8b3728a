/*
 * params.c - bound-parameter lists (see db.h).
 */
#include "db/db.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void sw_params_release(struct sw_params *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].s);
    }
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

void sw_params_truncate(struct sw_params *p, size_t n)
{
    while (p->n > n) {
        p->n--;
        free(p->v[p->n].s);
        p->v[p->n].s = NULL;
    }
}

static struct sw_value *push(struct sw_params *p)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = sw_realloc(p->v, p->cap * sizeof(*p->v));
    }
    struct sw_value *v = &p->v[p->n++];
    memset(v, 0, sizeof(*v));
    return v;
}

int sw_params_add_int(struct sw_params *p, int64_t i)
{
    struct sw_value *v = push(p);
    v->type = SW_V_INT;
    v->i = i;
    return (int)p->n;
}

int sw_params_add_real(struct sw_params *p, double d)
{
    struct sw_value *v = push(p);
    v->type = SW_V_REAL;
    v->d = d;
    return (int)p->n;
}

int sw_params_add_text(struct sw_params *p, const char *s)
{
    struct sw_value *v = push(p);
    v->type = SW_V_TEXT;
    v->s = sw_strdup(s);
    return (int)p->n;
}

int sw_params_add_null(struct sw_params *p)
{
    struct sw_value *v = push(p);
    v->type = SW_V_NULL;
    return (int)p->n;
}

int sw_params_add_text_or_null(struct sw_params *p, const char *s)
{
    return s ? sw_params_add_text(p, s) : sw_params_add_null(p);
}

int sw_params_add_int_or_null(struct sw_params *p, int64_t v)
{
    return v ? sw_params_add_int(p, v) : sw_params_add_null(p);
}
