/*
 * save_audience.c - save the population as a named audience (table "swa_<id>", keys only),
 * replacing or appending; the population passes through unchanged. In a simulation
 * nothing is saved.
 */
#include "catalog/audiences.h"
#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>
#include <string.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"audience", "mode", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    const char *name = sw_vctx_string(v, v->act->def, "audience", "", true);
    if (name && strlen(name) > 200) {
        sw_vctx_error(v, ".audience", "at most 200 characters");
    }
    const char *mode = sw_vctx_string(v, v->act->def, "mode", "", false);
    if (mode && strcmp(mode, "replace") && strcmp(mode, "append")) {
        sw_vctx_error(v, ".mode", "must be \"replace\" or \"append\"");
    }
}

static int execute(struct sw_exec *ex)
{
    const char *name = json_string_value(json_object_get(ex->act->def, "audience"));
    bool append = sw_streq(json_string_value(json_object_get(ex->act->def, "mode")), "append");
    const struct sw_input *in = sw_act_input(ex);
    const struct sw_shape *shape = in->shape;
    struct sw_buf sql = SW_BUF_INIT;
    char *table = NULL;
    int created = 0, rc = 0;
    int64_t count = 0;
    sw_act_pass_through(ex, in, "out");
    if (ex->dry_run) {
        sw_exec_log(ex, "info", "simulation: audience \"%s\" not saved", name);
        goto out;
    }
    rc = sw_catalog_audience_ensure(ex->cat, name, shape->dim_name, &table, &created, ex->err);
    if (rc < 0) {
        goto out;
    }
    char *dim = sw_catalog_audience_dimension(ex->cat, name);
    bool same = sw_streq(dim, shape->dim_name);
    if (!same) {
        rc = sw_exec_fail(ex, "audience \"%s\" holds %s, not %s", name, dim ? dim : "?",
                          shape->dim_name);
    }
    free(dim);
    if (!same) {
        goto out;
    }
    if (!append) {
        sw_buf_puts(&sql, "DROP TABLE IF EXISTS ");
        sw_db_ident(&sql, table);
        sw_buf_puts(&sql, "; ");
    }
    sw_buf_puts(&sql, "CREATE TABLE IF NOT EXISTS ");
    sw_db_ident(&sql, table);
    sw_buf_printf(&sql, " (_key %s PRIMARY KEY)", sw_db_type_name(ex->db, (int)shape->dim->pk_type));
    if ((rc = sw_db_exec(ex->db, sql.data, ex->err)) < 0) {
        goto out;
    }
    sw_buf_reset(&sql);
    sw_db_insert_ignore_head(ex->db, &sql);
    sw_db_ident(&sql, table);
    sw_buf_puts(&sql, " (_key) SELECT _key FROM ");
    sw_db_ident(&sql, in->table);
    sw_db_insert_ignore_tail(ex->db, &sql);
    if ((rc = sw_exec_sql(ex, sql.data, NULL, NULL)) < 0 || (rc = sw_exec_count(ex, table, &count)) < 0) {
        goto out;
    }
    rc = sw_catalog_audience_set_count(ex->cat, name, count, sw_clock_now_ms(), ex->err);
    sw_exec_log(ex, "info", "audience \"%s\" %s: %lld records", name,
                append ? "appended" : "saved", (long long)count);
out:
    free(table);
    sw_buf_release(&sql);
    return rc;
}

const struct sw_activity_type sw_act_save_audience = {
    "save_audience", SW_ACT_TARGETING, 1, 1, validate, sw_act_ports_out, execute, NULL,
};
