/*
 * deduplicate.c - keep `count` records per group of equal `fields`, choosing which by
 * `method`: random (the run's seed), order_by (a field, ties by ascending key), non_empty
 * (records whose `field` is set first), preferred_values (records whose `field` has the
 * earliest of `values` first). Records whose dedup fields are all NULL are never duplicates
 * of each other: they are all kept. One window-function statement; the `duplicates` port is
 * materialised only when a transition uses it, otherwise it is counted by difference.
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>
#include <string.h>

static const char *const methods[] = {"random", "order_by", "non_empty", "preferred_values", NULL};

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"fields", "keep", NULL};
    static const char *const kkeys[] = {"count", "method", "order_by", "direction", "field",
                                        "values", NULL};
    const json_t *def = v->act->def;
    sw_vctx_check_keys(v, def, "", keys);
    sw_vctx_field_names(v, "fields", "field", "must be a string");
    const json_t *keep = sw_vctx_object(v, def, "keep", "", false);
    if (!keep) {
        return;
    }
    sw_vctx_check_keys(v, keep, ".keep", kkeys);
    sw_vctx_int(v, keep, "count", ".keep", 1, 1000000, 1, NULL);
    const char *m = sw_vctx_string(v, keep, "method", ".keep", false);
    bool known = !m;
    for (size_t k = 0; m && methods[k]; k++) {
        known = known || !strcmp(m, methods[k]);
    }
    if (!known) {
        sw_vctx_error(v, ".keep.method",
                      "unknown method \"%s\" (expected one of random, order_by, non_empty, "
                      "preferred_values)",
                      m);
        return;
    }
    const char *dir = sw_vctx_string(v, keep, "direction", ".keep", false);
    if (dir && strcmp(dir, "asc") && strcmp(dir, "desc")) {
        sw_vctx_error(v, ".keep.direction", "must be \"asc\" or \"desc\"");
    }
    if (m && !strcmp(m, "order_by")) {
        const char *ob = sw_vctx_string(v, keep, "order_by", ".keep", true);
        if (ob) {
            sw_vctx_field(v, v->out, ob, ".keep.order_by");
        }
    }
    if (m && (!strcmp(m, "non_empty") || !strcmp(m, "preferred_values"))) {
        const char *fld = sw_vctx_string(v, keep, "field", ".keep", true);
        if (fld) {
            sw_vctx_field(v, v->out, fld, ".keep.field");
        }
    }
    if (m && !strcmp(m, "preferred_values")) {
        const json_t *vals = sw_vctx_list(v, keep, "values", ".keep", "value");
        size_t i;
        json_t *f;
        json_array_foreach(vals, i, f)
        {
            if (!json_is_string(f) && !json_is_number(f) && !json_is_boolean(f)) {
                char sub[64];
                snprintf(sub, sizeof(sub), ".keep.values[%zu]", i);
                sw_vctx_error(v, sub, "must be a string, number or boolean");
            }
        }
    }
}

static char **ports(const struct sw_activity *a)
{
    (void)a;
    return sw_ports_make("out", "duplicates", NULL);
}

static void bind_json(struct sw_exec *ex, struct sw_buf *sql, struct sw_params *params,
                      const json_t *v)
{
    int n;
    if (json_is_integer(v)) {
        n = sw_params_add_int(params, json_integer_value(v));
    } else if (json_is_real(v)) {
        n = sw_params_add_real(params, json_real_value(v));
    } else if (json_is_boolean(v)) {
        n = sw_params_add_int(params, json_is_true(v));
    } else {
        n = sw_params_add_text(params, json_string_value(v) ? json_string_value(v) : "");
    }
    sw_buf_printf(sql, "?%d", n);
}

static int execute(struct sw_exec *ex)
{
    const json_t *def = ex->act->def;
    const json_t *fields = json_object_get(def, "fields");
    const json_t *keep = json_object_get(def, "keep");
    const char *method = json_string_value(json_object_get(keep, "method"));
    int64_t count = json_integer_value(json_object_get(keep, "count"));
    const struct sw_input *in = sw_act_input(ex);
    const struct sw_shape *shape = &ex->act->out_shape;
    struct sw_filter_ctx fc;
    struct sw_buf sql = SW_BUF_INIT, nulls = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    int64_t n = 0;
    int rc = 0;
    enum sw_type t;
    if (!method) {
        method = json_object_get(keep, "order_by") ? "order_by" : "random";
    }
    if (count < 1) {
        count = 1;
    }
    sw_exec_filter_ctx(ex, in->shape, "d", "w", &fc);
    const char *out = sw_exec_new_table(ex, "out");
    if (!out) {
        rc = SW_EDB;
        goto out;
    }
    sw_exec_insert_select(ex, &sql, out, shape, "w");
    sw_buf_puts(&sql, " FROM (SELECT w.*, row_number() OVER (PARTITION BY ");
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        if (i) {
            sw_buf_puts(&sql, ", ");
            sw_buf_puts(&nulls, " AND ");
        }
        size_t mark = sql.len;
        if ((rc = sw_filter_field(&fc, json_string_value(f), "fields", &sql, &t, ex->err)) < 0) {
            goto out;
        }
        sw_buf_add(&nulls, sql.data + mark, sql.len - mark);
        sw_buf_puts(&nulls, " IS NULL");
    }
    sw_buf_puts(&sql, " ORDER BY ");
    if (!strcmp(method, "order_by")) {
        const char *ob = json_string_value(json_object_get(keep, "order_by"));
        bool desc = sw_streq(json_string_value(json_object_get(keep, "direction")), "desc");
        if ((rc = sw_filter_field(&fc, ob, "keep.order_by", &sql, &t, ex->err)) < 0) {
            goto out;
        }
        sw_buf_puts(&sql, desc ? " DESC" : " ASC");
    } else if (!strcmp(method, "non_empty")) {
        const char *fld = json_string_value(json_object_get(keep, "field"));
        struct sw_buf e = SW_BUF_INIT;
        rc = sw_filter_field(&fc, fld, "keep.field", &e, &t, ex->err);
        /* records whose field is set (not NULL, not an empty string) come first */
        sw_buf_printf(&sql, "CASE WHEN %s IS NULL OR %s = '' THEN 1 ELSE 0 END", e.data, e.data);
        sw_buf_release(&e);
        if (rc < 0) {
            goto out;
        }
    } else if (!strcmp(method, "preferred_values")) {
        const char *fld = json_string_value(json_object_get(keep, "field"));
        const json_t *vals = json_object_get(keep, "values");
        sw_buf_puts(&sql, "CASE ");
        if ((rc = sw_filter_field(&fc, fld, "keep.field", &sql, &t, ex->err)) < 0) {
            goto out;
        }
        json_array_foreach(vals, i, f)
        {
            sw_buf_puts(&sql, " WHEN ");
            bind_json(ex, &sql, &params, f);
            sw_buf_printf(&sql, " THEN %zu", i);
        }
        sw_buf_printf(&sql, " ELSE %zu END", json_array_size(vals));
    } else {
        int sp = sw_params_add_int(&params, (int64_t)ex->seed);
        sw_db_seeded_random(ex->db, &sql, sp, "w._key");
    }
    sw_buf_puts(&sql, ", w._key) AS sw_rn, (");
    sw_buf_add(&sql, nulls.data, nulls.len);
    sw_buf_puts(&sql, ") AS sw_nul FROM ");
    sw_exec_from_input(ex, &sql, in, "w", "d");
    sw_buf_puts(&sql, ") w WHERE w.sw_rn <= ");
    sw_buf_printf(&sql, "?%d", sw_params_add_int(&params, count));
    /* Rows come out of the window in dedup-field order; inserting them in key order appends
     * to the work table's b-tree instead of splitting pages all over it. */
    sw_buf_puts(&sql, " OR w.sw_nul ORDER BY w._key");
    if ((rc = sw_exec_sql(ex, sql.data, &params, &n)) < 0) {
        goto out;
    }
    sw_exec_set_count(ex, "out", n);
    if (sw_exec_port_kept(ex, "duplicates")) {
        int64_t d = 0;
        const char *dup = sw_exec_new_table(ex, "duplicates");
        if (!dup) {
            rc = SW_EDB;
            goto out;
        }
        sw_buf_reset(&sql);
        sw_exec_insert_select(ex, &sql, dup, shape, "w");
        sw_buf_puts(&sql, " FROM ");
        sw_db_ident(&sql, in->table);
        sw_buf_puts(&sql, " w WHERE ");
        sw_exec_key_in(&sql, true, out);
        rc = sw_exec_sql(ex, sql.data, NULL, &d);
        sw_exec_set_count(ex, "duplicates", d);
    } else {
        sw_exec_port_count(ex, "duplicates", in->count - n);
    }
out:
    sw_buf_release(&sql);
    sw_buf_release(&nulls);
    sw_params_release(&params);
    return rc;
}

const struct sw_activity_type sw_act_deduplicate = {
    "deduplicate", SW_ACT_TARGETING, 1, 1, validate, ports, execute, NULL,
};
