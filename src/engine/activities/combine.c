/*
 * combine.c - union, intersection and exclusion of two or more populations of the same
 * dimension. Outputs carry the enrichment columns common to every input. Union keeps, for
 * a key present in several inputs, the row of the first input (in transition order).
 * complement: for intersection, the keys of any input that are not in every input; for
 * exclusion, the keys of the primary input that the other inputs removed.
 * An input whose branch did not run (skipped, or a port not emitted) is an empty population.
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>
#include <string.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"operation", "primary", "complement", NULL};
    const json_t *def = v->act->def;
    sw_vctx_check_keys(v, def, "", keys);
    const char *op = sw_vctx_string(v, def, "operation", "", true);
    if (op && strcmp(op, "union") && strcmp(op, "intersection") && strcmp(op, "exclusion")) {
        sw_vctx_error(v, ".operation",
                      "unknown operation \"%s\" (expected one of union, intersection, exclusion)",
                      op);
    }
    const char *primary = sw_vctx_string(v, def, "primary", "", op && !strcmp(op, "exclusion"));
    if (primary) {
        bool found = false;
        for (size_t i = 0; i < v->ninputs; i++) {
            found = found || sw_streq(v->input_from[i], primary);
        }
        if (!found) {
            sw_vctx_error(v, ".primary", "\"%s\" is not an input of this activity", primary);
        }
    }
    const char *comp = sw_vctx_string(v, def, "complement", "", false);
    if (comp) {
        if (!sw_valid_id(comp) || !strcmp(comp, "out")) {
            sw_vctx_error(v, ".complement", "must be a port name ([A-Za-z0-9_-]{1,64}, not out)");
        }
        if (op && !strcmp(op, "union")) {
            sw_vctx_error(v, ".complement", "a union has no complement");
        }
    }
    sw_act_check_same_dimension(v);
    /* An exclusion keeps the primary's records, with its columns; union and intersection
     * keep the columns every input has. */
    for (size_t i = 0; i < v->ninputs; i++) {
        if (!v->inputs[i]) {
            continue;
        }
        if (op && !strcmp(op, "exclusion")) {
            if (primary && sw_streq(v->input_from[i], primary)) {
                sw_shape_release(v->out);
                sw_shape_copy(v->out, v->inputs[i]);
            }
        } else {
            sw_shape_intersect(v->out, v->inputs[i]);
        }
    }
}

static char **ports(const struct sw_activity *a)
{
    const char *comp = json_string_value(json_object_get(a->def, "complement"));
    return sw_ports_make("out", comp, NULL);
}

/* "INSERT [OR IGNORE] INTO dst (cols) SELECT w.cols FROM src w" */
static void insert_from(struct sw_exec *ex, struct sw_buf *sql, bool ignore, const char *dst,
                        const char *src)
{
    const struct sw_shape *shape = &ex->act->out_shape;
    if (ignore) {
        sw_db_insert_ignore_head(ex->db, sql);
        sw_db_ident(sql, dst);
        sw_buf_puts(sql, " (");
        sw_exec_insert_cols(sql, shape);
        sw_buf_puts(sql, ") SELECT ");
        sw_exec_select_cols(sql, shape, "w");
    } else {
        sw_exec_insert_select(ex, sql, dst, shape, "w");
    }
    sw_buf_puts(sql, " FROM ");
    sw_db_ident(sql, src);
    sw_buf_puts(sql, " w");
}

static int execute(struct sw_exec *ex)
{
    const json_t *def = ex->act->def;
    const char *op = json_string_value(json_object_get(def, "operation"));
    const char *primary = json_string_value(json_object_get(def, "primary"));
    const char *comp = json_string_value(json_object_get(def, "complement"));
    struct sw_buf sql = SW_BUF_INIT;
    int64_t n = 0, total = 0;
    int rc = 0;
    const char *out = sw_exec_new_table(ex, "out");
    const char *cout = NULL;
    bool materialise = comp && (strcmp(op, "exclusion") || sw_exec_port_kept(ex, comp));
    if (!out || (materialise && !(cout = sw_exec_new_table(ex, comp)))) {
        rc = SW_EDB;
        goto out;
    }
    if (!strcmp(op, "union")) {
        for (size_t i = 0; i < ex->ninputs && rc == 0; i++) {
            if (!ex->inputs[i].table) {
                continue;
            }
            sw_buf_reset(&sql);
            insert_from(ex, &sql, true, out, ex->inputs[i].table);
            sw_db_insert_ignore_tail(ex->db, &sql);
            rc = sw_exec_sql(ex, sql.data, NULL, &n);
            total += n;
        }
        sw_exec_set_count(ex, "out", total);
        goto out;
    }
    /* intersection and exclusion read one input and test the others */
    const struct sw_input *base = NULL;
    for (size_t i = 0; i < ex->ninputs; i++) {
        if (!strcmp(op, "exclusion") ? sw_streq(ex->inputs[i].from, primary) : i == 0) {
            base = &ex->inputs[i];
            break;
        }
    }
    bool intersection = !strcmp(op, "intersection");
    bool any_missing = false;
    for (size_t i = 0; i < ex->ninputs; i++) {
        any_missing = any_missing || !ex->inputs[i].table;
    }
    if (base && base->table && !(intersection && any_missing)) {
        insert_from(ex, &sql, false, out, base->table);
        sw_buf_puts(&sql, " WHERE 1");
        for (size_t i = 0; i < ex->ninputs; i++) {
            if (&ex->inputs[i] == base || !ex->inputs[i].table) {
                continue;
            }
            sw_buf_puts(&sql, " AND ");
            sw_exec_key_in(&sql, !intersection, ex->inputs[i].table);
        }
        rc = sw_exec_sql(ex, sql.data, NULL, &total);
    }
    sw_exec_set_count(ex, "out", total);
    if (rc < 0 || !comp) {
        goto out;
    }
    /* The complement: what the inputs had that the result does not. An exclusion's
     * complement that no transition reads is counted: the primary's count minus the result. */
    int64_t ctotal = 0;
    if (!intersection && !sw_exec_port_kept(ex, comp)) {
        sw_exec_port_count(ex, comp, (base && base->table ? base->count : 0) - total);
        goto out;
    }
    for (size_t i = 0; i < ex->ninputs && rc == 0; i++) {
        const struct sw_input *in = &ex->inputs[i];
        if (!in->table || (!intersection && in != base)) {
            continue;
        }
        sw_buf_reset(&sql);
        insert_from(ex, &sql, true, cout, in->table);
        sw_buf_puts(&sql, " WHERE ");
        sw_exec_key_in(&sql, true, out);
        sw_db_insert_ignore_tail(ex->db, &sql);
        rc = sw_exec_sql(ex, sql.data, NULL, &n);
        ctotal += n;
    }
    sw_exec_set_count(ex, comp, ctotal);
out:
    sw_buf_release(&sql);
    return rc;
}

const struct sw_activity_type sw_act_combine = {
    "combine", SW_ACT_TARGETING, 2, -1, validate, ports, execute, NULL,
};
