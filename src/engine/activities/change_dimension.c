/*
 * change_dimension.c - move a population to another dimension through a link: profiles to
 * their orders (1-N) or orders to their profiles (N-1). Keys are distinct in the result;
 * enrichment columns do not follow (they described the old records).
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>
#include <string.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"to", "via", NULL};
    const json_t *def = v->act->def;
    sw_vctx_check_keys(v, def, "", keys);
    const char *to = sw_vctx_string(v, def, "to", "", true);
    const char *via = sw_vctx_string(v, def, "via", "", true);
    if (!to || !via) {
        return;
    }
    const struct sw_dimension *target = v->schema ? sw_schema_dim(v->schema, to) : NULL;
    if (v->schema && !target) {
        char *hint = sw_schema_suggest_dim(v->schema, to);
        sw_vctx_error(v, ".to", "unknown dimension \"%s\"%s", to, hint);
        free(hint);
        return;
    }
    if (target && !target->pk) {
        sw_vctx_error(v, ".to", "dimension \"%s\" has no single-column primary key", to);
        return;
    }
    if (v->schema && v->out->dim) {
        const struct sw_link *l = sw_dim_link(v->out->dim, via);
        if (!l) {
            char *shared = sw_dim_link_collision(v->out->dim, via);
            char *hint = shared ? NULL : sw_dim_suggest_link(v->out->dim, via);
            if (shared) {
                sw_vctx_error(v, ".via", "%s", shared);
            } else {
                sw_vctx_error(v, ".via", "dimension \"%s\" has no link \"%s\"%s",
                              v->out->dim_name, via, hint);
            }
            free(shared);
            free(hint);
            return;
        }
        if (strcmp(l->target, to)) {
            sw_vctx_error(v, ".via", "link \"%s\" leads to \"%s\", not \"%s\"", via, l->target, to);
            return;
        }
    }
    sw_shape_release(v->out);
    sw_shape_init(v->out, to, target);
}

static int execute(struct sw_exec *ex)
{
    const char *via = json_string_value(json_object_get(ex->act->def, "via"));
    const struct sw_input *in = sw_act_input(ex);
    const struct sw_link *l = sw_dim_link(in->shape->dim, via);
    const struct sw_dimension *to = ex->act->out_shape.dim;
    struct sw_buf sql = SW_BUF_INIT;
    int64_t n = 0;
    int rc;
    if ((rc = sw_exec_insert_keys(ex, "out", &sql)) < 0) {
        goto out;
    }
    if (!l || !to) {
        rc = sw_exec_fail(ex, "link \"%s\" not found", via);
        goto out;
    }
    sw_buf_puts(&sql, "SELECT DISTINCT l.");
    sw_db_ident(&sql, to->pk);
    sw_buf_puts(&sql, " FROM ");
    sw_exec_from_input(ex, &sql, in, "w", "d");
    sw_buf_puts(&sql, " JOIN ");
    sw_db_ident(&sql, to->name);
    sw_buf_puts(&sql, " l ON l.");
    sw_db_ident(&sql, l->remote_col);
    sw_buf_puts(&sql, " = d.");
    sw_db_ident(&sql, l->local_col);
    sw_buf_puts(&sql, " WHERE l.");
    sw_db_ident(&sql, to->pk);
    sw_buf_puts(&sql, " IS NOT NULL ORDER BY 1"); /* insert in key order: b-tree appends */
    if ((rc = sw_exec_sql(ex, sql.data, NULL, &n)) == 0) {
        sw_exec_set_count(ex, "out", n);
    }
out:
    sw_buf_release(&sql);
    return rc;
}

const struct sw_activity_type sw_act_change_dimension = {
    "change_dimension", SW_ACT_TARGETING, 1, 1, validate, sw_act_ports_out, execute, NULL,
};
