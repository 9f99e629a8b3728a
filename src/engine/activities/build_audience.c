/*
 * build_audience.c - a population from a dimension and a filter: one INSERT ... SELECT
 * inside the data source. `incremental` keeps rows newer than the previous run's start
 * (date_field) or keys no earlier run of this activity produced (exclude_previous, kept in
 * sw_incremental).
 */
#include "catalog/scheduling.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>
#include <string.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"filter", "dimension", "incremental", NULL};
    const json_t *def = v->act->def;
    sw_vctx_check_keys(v, def, "", keys);
    const char *dim = sw_vctx_string(v, def, "dimension", "", false);
    if (dim) {
        const struct sw_dimension *d = v->schema ? sw_schema_dim(v->schema, dim) : NULL;
        if (v->schema && !d) {
            char *hint = sw_schema_suggest_dim(v->schema, dim);
            sw_vctx_error(v, ".dimension", "unknown dimension \"%s\"%s", dim, hint);
            free(hint);
        } else if (d && !d->pk) {
            sw_vctx_error(v, ".dimension", "dimension \"%s\" has no single-column primary key",
                          dim);
        } else {
            sw_shape_release(v->out);
            sw_shape_init(v->out, dim, d);
        }
    }
    const json_t *filter = json_object_get(def, "filter");
    if (filter && !json_is_null(filter)) {
        sw_vctx_filter(v, filter, ".filter", v->out);
    }
    const json_t *inc = sw_vctx_object(v, def, "incremental", "", false);
    if (inc) {
        static const char *const ikeys[] = {"date_field", "exclude_previous", NULL};
        sw_vctx_check_keys(v, inc, ".incremental", ikeys);
        const char *df = sw_vctx_string(v, inc, "date_field", ".incremental", false);
        bool ex = sw_vctx_bool(v, inc, "exclude_previous", ".incremental", false);
        if (!df && !ex) {
            sw_vctx_error(v, ".incremental", "needs date_field or \"exclude_previous\": true");
        }
        if (df) {
            enum sw_type t = sw_vctx_field(v, v->out, df, ".incremental.date_field");
            if (v->schema && t != SW_T_UNKNOWN && t != SW_T_DATE) {
                sw_vctx_error(v, ".incremental.date_field", "field \"%s\" is not a date (%s)", df,
                              sw_type_name(t));
            }
        }
    }
}

static int execute(struct sw_exec *ex)
{
    const json_t *def = ex->act->def;
    const struct sw_shape *shape = &ex->act->out_shape;
    const json_t *inc = json_object_get(def, "incremental");
    const char *date_field = json_string_value(json_object_get(inc, "date_field"));
    bool exclude_prev = json_is_true(json_object_get(inc, "exclude_previous"));
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    char *path = sw_act_path(ex, ".filter");
    json_t *since = NULL;
    int64_t n = 0;
    int rc;
    const char *out = sw_exec_new_table(ex, "out");
    if (!out) {
        rc = SW_EDB;
        goto out;
    }
    sw_buf_puts(&sql, "INSERT INTO ");
    sw_db_ident(&sql, out);
    sw_buf_puts(&sql, " (_key) SELECT d.");
    sw_db_ident(&sql, shape->dim->pk);
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, shape->dim->name);
    sw_buf_puts(&sql, " d WHERE ");
    rc = sw_act_compile_filter_semijoin(ex, json_object_get(def, "filter"), path, shape, &sql,
                                        &params);
    if (rc < 0) {
        goto out;
    }
    if (date_field && ex->prev_run_started_ms) {
        /* Reuse the filter compiler so the bound value matches the column's date format. */
        char iso[32];
        sw_clock_format_iso(ex->prev_run_started_ms, iso, sizeof(iso));
        since = json_pack("{s:s, s:s, s:s}", "field", date_field, "op", "after", "value", iso);
        sw_buf_puts(&sql, " AND ");
        rc = sw_act_compile_filter(ex, since, path, shape, NULL, &sql, &params);
        if (rc < 0) {
            goto out;
        }
    }
    if (exclude_prev) {
        struct sw_buf key = SW_BUF_INIT;
        sw_buf_puts(&key, "d.");
        sw_db_ident(&key, shape->dim->pk);
        sw_catalog_incremental_exclude(&sql, &params, ex->campaign_id, ex->act->id, key.data);
        sw_buf_release(&key);
    }
    if ((rc = sw_exec_sql(ex, sql.data, &params, &n)) < 0) {
        goto out;
    }
    sw_exec_set_count(ex, "out", n);
    if (exclude_prev && !ex->dry_run) {
        rc = sw_catalog_incremental_remember(ex->cat, ex->campaign_id, ex->act->id, out, ex->err);
    }
out:
    json_decref(since);
    free(path);
    sw_buf_release(&sql);
    sw_params_release(&params);
    return rc;
}

const struct sw_activity_type sw_act_build_audience = {
    "build_audience", SW_ACT_SOURCE, 0, 0, validate, sw_act_ports_out, execute, NULL,
};
