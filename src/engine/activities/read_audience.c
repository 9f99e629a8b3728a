/*
 * read_audience.c - a population from an audience saved by save_audience, optionally
 * filtered. The audience is looked up when the run executes (another campaign may save it).
 */
#include "catalog/audiences.h"
#include "catalog/catalog.h"
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"audience", "filter", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    sw_vctx_string(v, v->act->def, "audience", "", true);
    const json_t *filter = json_object_get(v->act->def, "filter");
    if (filter && !json_is_null(filter)) {
        sw_vctx_filter(v, filter, ".filter", v->out);
    }
}

static int execute(struct sw_exec *ex)
{
    const char *name = json_string_value(json_object_get(ex->act->def, "audience"));
    const struct sw_shape *shape = &ex->act->out_shape;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    char *path = sw_act_path(ex, ".filter");
    char *table = sw_catalog_audience_table(ex->cat, name);
    char *dim = NULL;
    int64_t n = 0;
    int rc;
    if (!table) {
        rc = sw_exec_fail(ex, "audience \"%s\" does not exist (save_audience creates it)", name);
        goto out;
    }
    dim = sw_catalog_audience_dimension(ex->cat, name);
    if (!sw_streq(dim, shape->dim_name)) {
        rc = sw_exec_fail(ex, "audience \"%s\" holds %s, not %s", name, dim ? dim : "?",
                          shape->dim_name);
        goto out;
    }
    if ((rc = sw_exec_insert_keys(ex, "out", &sql)) < 0) {
        goto out;
    }
    sw_buf_puts(&sql, "SELECT a._key FROM ");
    sw_db_ident(&sql, table);
    sw_buf_puts(&sql, " a JOIN ");
    sw_db_ident(&sql, shape->dim->name);
    sw_buf_puts(&sql, " d ON d.");
    sw_db_ident(&sql, shape->dim->pk);
    sw_buf_puts(&sql, " = a._key WHERE ");
    rc = sw_act_compile_filter(ex, json_object_get(ex->act->def, "filter"), path, shape, NULL,
                               &sql, &params);
    if (rc == 0 && (rc = sw_exec_sql(ex, sql.data, &params, &n)) == 0) {
        sw_exec_set_count(ex, "out", n);
    }
out:
    free(dim);
    free(table);
    free(path);
    sw_buf_release(&sql);
    sw_params_release(&params);
    return rc;
}

const struct sw_activity_type sw_act_read_audience = {
    "read_audience", SW_ACT_SOURCE, 0, 0, validate, sw_act_ports_out, execute, NULL,
};
