/*
 * enrich.c - add columns to a population: a dimension field, a field through an N-1 link,
 * or an aggregate (count, sum, avg, min, max) over a link with an optional filter. Each
 * column is a correlated scalar subquery compiled by the filter compiler, so the same
 * identifier and binding rules hold. count and sum over no rows give 0; avg, min, max NULL.
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>
#include <string.h>

static const char *const aggregates[] = {"count", "sum", "avg", "min", "max", NULL};

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"columns", NULL};
    static const char *const ckeys[] = {"name", "field", "link", "aggregate", "filter", NULL};
    const json_t *def = v->act->def;
    sw_vctx_check_keys(v, def, "", keys);
    const json_t *cols = sw_vctx_list(v, def, "columns", "", "column");
    struct sw_shape in;
    sw_shape_copy(&in, v->out);
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        char suffix[64], sub[96];
        if (!sw_vctx_element(v, "columns", i, c, ckeys, suffix, sizeof(suffix))) {
            continue;
        }
        const char *name = sw_vctx_string(v, c, "name", suffix, true);
        const char *field = sw_vctx_string(v, c, "field", suffix, false);
        const char *link = sw_vctx_string(v, c, "link", suffix, false);
        const char *agg = sw_vctx_string(v, c, "aggregate", suffix, false);
        const json_t *filter = json_object_get(c, "filter");
        enum sw_type type = SW_T_UNKNOWN;
        snprintf(sub, sizeof(sub), "%s.name", suffix);
        if (name && !sw_valid_column_name(name)) {
            sw_vctx_error(v, sub, "must match [A-Za-z][A-Za-z0-9_]{0,62}");
            name = NULL;
        } else if (name && in.dim && sw_dim_field(in.dim, name)) {
            sw_vctx_error(v, sub, "\"%s\" is already a field of dimension \"%s\"", name,
                          in.dim_name);
            name = NULL;
        }
        for (size_t j = 0; name && j < i; j++) {
            if (sw_streq(name, json_string_value(json_object_get(json_array_get(cols, j), "name")))) {
                sw_vctx_error(v, sub, "column \"%s\" is defined twice", name);
            }
        }
        bool known = !agg;
        for (size_t k = 0; agg && aggregates[k]; k++) {
            known = known || !strcmp(agg, aggregates[k]);
        }
        if (!known) {
            snprintf(sub, sizeof(sub), "%s.aggregate", suffix);
            sw_vctx_error(v, sub, "unknown aggregate \"%s\" (expected one of count, sum, avg, min, max)",
                          agg);
            continue;
        }
        if (!link) {
            if (agg || filter) {
                sw_vctx_error(v, suffix, "an aggregate or filter needs a link");
                continue;
            }
            if (!field) {
                sw_vctx_error(v, suffix, "needs a field, or a link with an aggregate");
                continue;
            }
            snprintf(sub, sizeof(sub), "%s.field", suffix);
            type = sw_vctx_field(v, &in, field, sub);
        } else {
            if (!field && (!agg || strcmp(agg, "count"))) {
                snprintf(sub, sizeof(sub), "%s.field", suffix);
                sw_vctx_error(v, sub, "required");
                continue;
            }
            if (v->schema && in.dim) {
                struct sw_filter_ctx fc = {.dialect = SW_DIALECT_SQLITE, .schema = v->schema,
                                           .shape = &in, .dim_alias = "d", .cols_alias = "w",
                                           .variables = v->campaign->variables,
                                           .now_ms = v->now_ms};
                struct sw_buf sql = SW_BUF_INIT;
                struct sw_params params = SW_PARAMS_INIT;
                char *path = sw_asprintf("%s%s", v->path, suffix);
                sw_filter_link_value(&fc, link, agg, field, filter, path, &sql, &params, &type,
                                     v->err);
                free(path);
                sw_buf_release(&sql);
                sw_params_release(&params);
            } else {
                type = agg && !strcmp(agg, "count") ? SW_T_INT : SW_T_UNKNOWN;
            }
        }
        if (name) {
            sw_shape_add(v->out, name, type == SW_T_UNKNOWN ? SW_T_REAL : type);
        }
    }
    sw_shape_release(&in);
}

/* The 1-N link whose aggregates are computed by one grouped join ("g"): the first link
 * that some aggregate column uses. Aggregates over other links stay correlated subqueries
 * (joining two 1-N links at once would multiply rows). */
static const char *grouped_link(const json_t *cols, const struct sw_dimension *dim)
{
    size_t k;
    json_t *c;
    json_array_foreach(cols, k, c)
    {
        const char *link = json_string_value(json_object_get(c, "link"));
        const struct sw_link *l = link ? sw_dim_link(dim, link) : NULL;
        if (l && l->to_many && json_object_get(c, "aggregate")) {
            return link;
        }
    }
    return NULL;
}

static int execute(struct sw_exec *ex)
{
    const json_t *cols = json_object_get(ex->act->def, "columns");
    const struct sw_input *in = sw_act_input(ex);
    const struct sw_shape *shape = &ex->act->out_shape;
    const char *glink = grouped_link(cols, in->shape->dim);
    struct sw_filter_ctx fc;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    int64_t n = 0;
    int rc = 0;
    sw_exec_filter_ctx(ex, in->shape, "d", "w", &fc);
    const char *out = sw_exec_new_table(ex, "out");
    if (!out) {
        rc = SW_EDB;
        goto out;
    }
    /* The select list first: whether it reads the dimension decides the FROM clause. */
    for (size_t i = 0; i < shape->ncols; i++) {
        const char *name = shape->cols[i].name;
        const json_t *def = NULL;
        char *path = NULL;
        size_t k;
        json_t *c;
        json_array_foreach(cols, k, c)
        {
            if (sw_streq(json_string_value(json_object_get(c, "name")), name)) {
                char suffix[64];
                snprintf(suffix, sizeof(suffix), ".columns[%zu]", k);
                def = c;
                free(path);
                path = sw_act_path(ex, suffix);
            }
        }
        sw_buf_puts(&sql, ", ");
        if (!def) {
            sw_buf_puts(&sql, "w.");
            sw_db_ident(&sql, name);
            continue;
        }
        const char *field = json_string_value(json_object_get(def, "field"));
        const char *link = json_string_value(json_object_get(def, "link"));
        const char *agg = json_string_value(json_object_get(def, "aggregate"));
        const json_t *filter = json_object_get(def, "filter");
        enum sw_type t;
        struct sw_buf e = SW_BUF_INIT;
        const struct sw_field *src = NULL;
        if (link && agg && sw_streq(link, glink)) {
            rc = sw_filter_link_aggregate(&fc, link, "g", agg, field, filter, path, &e, &params,
                                          &t, ex->err);
        } else if (link) {
            rc = sw_filter_link_value(&fc, link, agg, field, filter, path, &e, &params, &t,
                                      ex->err);
        } else {
            rc = sw_filter_field(&fc, field, path, &e, &t, ex->err);
        }
        if (link) {
            const struct sw_link *l = sw_dim_link(in->shape->dim, link);
            src = l ? sw_dim_field(sw_schema_dim(ex->schema, l->target), field) : NULL;
        } else {
            src = sw_shape_col(in->shape, field) ? NULL : sw_dim_field(in->shape->dim, field);
        }
        free(path);
        /* Dates in work tables are always ISO-8601 UTC with "Z", whatever the source's
         * storage, so that later filters compare them correctly. */
        if (rc == 0 && t == SW_T_DATE && src && src->type == SW_T_DATE &&
            !(src->date_fmt == SW_DATE_ISO_T && src->date_z)) {
            sw_db_date_iso(ex->db, &sql, e.data, (int)src->date_fmt);
        } else {
            sw_buf_add(&sql, e.data, e.len);
        }
        sw_buf_release(&e);
        if (rc < 0) {
            if (!ex->err->message) {
                sw_error_set(ex->err, rc, "column \"%s\" cannot be computed", name);
            }
            goto out;
        }
    }
    struct sw_buf join = SW_BUF_INIT;
    if (glink && (rc = sw_filter_link_join(&fc, glink, "g", &join, ex->err)) < 0) {
        sw_buf_release(&join);
        goto out;
    }
    bool need_dim = sw_act_uses_dim(sql.data) || sw_act_uses_dim(join.data);
    struct sw_buf head = SW_BUF_INIT;
    sw_buf_puts(&head, "INSERT INTO ");
    sw_db_ident(&head, out);
    sw_buf_puts(&head, " (");
    sw_exec_insert_cols(&head, shape);
    sw_buf_puts(&head, ") SELECT w._key");
    sw_buf_add(&head, sql.data, sql.len);
    sw_buf_puts(&head, " FROM ");
    if (need_dim) {
        sw_exec_from_input(ex, &head, in, "w", "d");
    } else {
        sw_db_ident(&head, in->table);
        sw_buf_puts(&head, " w");
    }
    if (glink) {
        sw_buf_puts(&head, " LEFT JOIN ");
        sw_buf_add(&head, join.data, join.len);
        /* w._key and d's key are equal: grouping by both keeps every selected column
         * functionally dependent on the group, as strict SQL requires. */
        sw_buf_puts(&head, " GROUP BY w._key");
        if (need_dim) {
            sw_buf_puts(&head, ", d.");
            sw_db_ident(&head, in->shape->dim->pk);
        }
    }
    sw_buf_release(&join);
    sw_buf_release(&sql);
    sql = head;
    if ((rc = sw_exec_sql(ex, sql.data, &params, &n)) == 0) {
        sw_exec_set_count(ex, "out", n);
    }
out:
    sw_buf_release(&sql);
    sw_params_release(&params);
    return rc;
}

const struct sw_activity_type sw_act_enrich = {
    "enrich", SW_ACT_TARGETING, 1, 1, validate, sw_act_ports_out, execute, NULL,
};
