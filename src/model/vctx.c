/*
 * vctx.c - helpers activity validators use (model/activity.h): typed option getters that
 * report errors at the option's JSON path, unknown-key checks, and filter/field checks on a
 * shape.
 */
#include "core/util.h"
#include "model/activity.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *subpath(const struct sw_vctx *v, const char *suffix, const char *key)
{
    if (key) {
        return sw_asprintf("%s%s.%s", v->path, suffix ? suffix : "", key);
    }
    return sw_asprintf("%s%s", v->path, suffix ? suffix : "");
}

void sw_vctx_error(struct sw_vctx *v, const char *suffix, const char *fmt, ...)
{
    char *path = subpath(v, suffix, NULL);
    va_list ap;
    va_start(ap, fmt);
    sw_error_vadd(v->err, path, fmt, ap);
    va_end(ap);
    free(path);
}

void sw_vctx_check_keys(struct sw_vctx *v, const json_t *obj, const char *suffix,
                        const char *const *keys)
{
    static const char *const common[] = {"id", "type", "description", "label", "position", NULL};
    const char *k;
    json_t *val;
    bool top = !suffix || !*suffix;
    if (!json_is_object(obj)) {
        return;
    }
    json_object_foreach((json_t *)obj, k, val)
    {
        bool ok = false;
        for (size_t i = 0; keys && keys[i] && !ok; i++) {
            ok = strcmp(keys[i], k) == 0;
        }
        for (size_t i = 0; top && common[i] && !ok; i++) {
            ok = strcmp(common[i], k) == 0;
        }
        if (!ok) {
            char *path = subpath(v, suffix, k);
            sw_error_add(v->err, path, "unknown field \"%s\"", k);
            free(path);
        }
    }
}

static const json_t *get(struct sw_vctx *v, const json_t *obj, const char *key,
                         const char *suffix, bool required)
{
    const json_t *x = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!x && required) {
        char *path = subpath(v, suffix, key);
        sw_error_add(v->err, path, "required");
        free(path);
    }
    return x;
}

static void type_error(struct sw_vctx *v, const char *suffix, const char *key, const char *what)
{
    char *path = subpath(v, suffix, key);
    sw_error_add(v->err, path, "must be %s", what);
    free(path);
}

const char *sw_vctx_string(struct sw_vctx *v, const json_t *obj, const char *key,
                           const char *suffix, bool required)
{
    const json_t *x = get(v, obj, key, suffix, required);
    if (!x) {
        return NULL;
    }
    if (!json_is_string(x)) {
        type_error(v, suffix, key, "a string");
        return NULL;
    }
    if (required && json_string_length(x) == 0) {
        type_error(v, suffix, key, "a non-empty string");
        return NULL;
    }
    return json_string_value(x);
}

const json_t *sw_vctx_array(struct sw_vctx *v, const json_t *obj, const char *key,
                            const char *suffix, bool required)
{
    const json_t *x = get(v, obj, key, suffix, required);
    if (x && !json_is_array(x)) {
        type_error(v, suffix, key, "an array");
        return NULL;
    }
    return x;
}

bool sw_vctx_element(struct sw_vctx *v, const char *key, size_t i, const json_t *e,
                     const char *const *keys, char *suffix, size_t n)
{
    (void)snprintf(suffix, n, ".%s[%zu]", key, i);
    if (!json_is_object(e)) {
        sw_vctx_error(v, suffix, "must be an object");
        return false;
    }
    sw_vctx_check_keys(v, e, suffix, keys);
    return true;
}

const json_t *sw_vctx_list(struct sw_vctx *v, const json_t *obj, const char *key,
                           const char *suffix, const char *one)
{
    const json_t *a = sw_vctx_array(v, obj, key, suffix, true);
    if (a && json_array_size(a) == 0) {
        char at[96];
        (void)snprintf(at, sizeof(at), "%s.%s", suffix, key);
        sw_vctx_error(v, at, "needs at least one %s", one);
    }
    return a;
}

const json_t *sw_vctx_field_names(struct sw_vctx *v, const char *key, const char *one,
                                  const char *not_string)
{
    const json_t *def = v->act->def;
    const json_t *names =
        one ? sw_vctx_list(v, def, key, "", one) : sw_vctx_array(v, def, key, "", false);
    size_t i;
    json_t *e;
    json_array_foreach(names, i, e)
    {
        char suffix[64];
        (void)snprintf(suffix, sizeof(suffix), ".%s[%zu]", key, i);
        if (!json_is_string(e)) {
            sw_vctx_error(v, suffix, "%s", not_string);
        } else {
            sw_vctx_field(v, v->out, json_string_value(e), suffix);
        }
    }
    return names;
}

const json_t *sw_vctx_object(struct sw_vctx *v, const json_t *obj, const char *key,
                             const char *suffix, bool required)
{
    const json_t *x = get(v, obj, key, suffix, required);
    if (x && !json_is_object(x)) {
        type_error(v, suffix, key, "an object");
        return NULL;
    }
    return x;
}

bool sw_vctx_bool(struct sw_vctx *v, const json_t *obj, const char *key, const char *suffix,
                  bool dflt)
{
    const json_t *x = get(v, obj, key, suffix, false);
    if (!x) {
        return dflt;
    }
    if (!json_is_boolean(x)) {
        type_error(v, suffix, key, "a boolean");
        return dflt;
    }
    return json_is_true(x);
}

int64_t sw_vctx_int(struct sw_vctx *v, const json_t *obj, const char *key, const char *suffix,
                    int64_t min, int64_t max, int64_t dflt, bool *present)
{
    const json_t *x = get(v, obj, key, suffix, false);
    if (present) {
        *present = x != NULL;
    }
    if (!x) {
        return dflt;
    }
    if (!json_is_integer(x) || json_integer_value(x) < min || json_integer_value(x) > max) {
        char *what = sw_asprintf("an integer between %lld and %lld", (long long)min,
                                 (long long)max);
        type_error(v, suffix, key, what);
        free(what);
        return dflt;
    }
    return json_integer_value(x);
}

void sw_vctx_filter(struct sw_vctx *v, const json_t *filter, const char *suffix,
                    const struct sw_shape *shape)
{
    struct sw_filter_ctx fc = {
        .dialect = SW_DIALECT_SQLITE,
        .schema = v->schema,
        .shape = shape ? shape : v->out,
        .dim_alias = "d",
        .cols_alias = "w",
        .variables = v->campaign->variables,
        .now_ms = v->now_ms,
        .audience_table = NULL,
        .ud = NULL,
    };
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    char *path = subpath(v, suffix, NULL);
    /* Audiences are resolved when the run starts; here any name is structurally fine, so
     * validation compiles without a schema-level audience lookup. */
    if (fc.schema && fc.shape && !fc.shape->dim) {
        fc.schema = NULL;
    }
    sw_filter_compile(filter, path, &fc, &sql, &params, v->err);
    free(path);
    sw_buf_release(&sql);
    sw_params_release(&params);
}

enum sw_type sw_vctx_field(struct sw_vctx *v, const struct sw_shape *shape, const char *field,
                           const char *suffix)
{
    const struct sw_shape *s = shape ? shape : v->out;
    const struct sw_column *col = sw_shape_col(s, field);
    if (col) {
        return col->type;
    }
    if (!v->schema || !s->dim) {
        return SW_T_UNKNOWN;
    }
    const struct sw_field *f = sw_dim_field(s->dim, field);
    if (!f) {
        char *hint = sw_dim_suggest_field(s->dim, field);
        sw_vctx_error(v, suffix, "unknown field \"%s\" of dimension \"%s\"%s", field,
                      s->dim_name, hint);
        free(hint);
        return SW_T_UNKNOWN;
    }
    return f->type;
}
