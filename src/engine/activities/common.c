/*
 * common.c - see common.h.
 */
#include "engine/activities/common.h"
#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const struct sw_input *sw_act_input(const struct sw_exec *ex)
{
    for (size_t i = 0; i < ex->ninputs; i++) {
        if (ex->inputs[i].table) {
            return &ex->inputs[i];
        }
    }
    return NULL;
}

void sw_act_pass_through(struct sw_exec *ex, const struct sw_input *in, const char *port)
{
    sw_exec_port_alias(ex, port, in ? in->table : NULL, in ? in->count : 0);
}

char **sw_act_ports_out(const struct sw_activity *a)
{
    (void)a;
    return sw_ports_make("out", NULL);
}

void sw_act_check_same_dimension(struct sw_vctx *v)
{
    for (size_t i = 0; i < v->ninputs; i++) {
        if (v->inputs[i] && v->inputs[0] &&
            !sw_streq(v->inputs[i]->dim_name, v->inputs[0]->dim_name)) {
            sw_vctx_error(v, "",
                          "inputs have different dimensions (\"%s\" from \"%s\", \"%s\" from "
                          "\"%s\")",
                          v->inputs[0]->dim_name, v->input_from[0], v->inputs[i]->dim_name,
                          v->input_from[i]);
            return;
        }
    }
}

char *sw_act_path(const struct sw_exec *ex, const char *suffix)
{
    return sw_asprintf("$.activities[%zu]%s", ex->act->index, suffix ? suffix : "");
}

static int compile(struct sw_exec *ex, const json_t *filter, const char *path,
                   const struct sw_shape *shape, const char *cols_alias, bool semijoin,
                   struct sw_buf *sql, struct sw_params *params)
{
    struct sw_filter_ctx fc;
    if (!filter || json_is_null(filter)) {
        sw_buf_puts(sql, "1");
        return 0;
    }
    sw_exec_filter_ctx(ex, shape, "d", cols_alias, &fc);
    fc.semijoin = semijoin;
    sw_buf_putc(sql, '(');
    int rc = sw_filter_compile(filter, path, &fc, sql, params, ex->err);
    sw_buf_putc(sql, ')');
    if (rc < 0) {
        if (!ex->err->message) {
            sw_error_set(ex->err, rc, "the filter of activity \"%s\" cannot be compiled",
                         ex->act->id);
        }
        return rc;
    }
    return 0;
}

int sw_act_compile_filter(struct sw_exec *ex, const json_t *filter, const char *path,
                          const struct sw_shape *shape, const char *cols_alias,
                          struct sw_buf *sql, struct sw_params *params)
{
    return compile(ex, filter, path, shape, cols_alias, false, sql, params);
}

int sw_act_compile_filter_semijoin(struct sw_exec *ex, const json_t *filter, const char *path,
                                   const struct sw_shape *shape, struct sw_buf *sql,
                                   struct sw_params *params)
{
    return compile(ex, filter, path, shape, NULL, true, sql, params);
}

bool sw_act_uses_dim(const char *sql)
{
    /* Values are bound parameters, so d." can only be the dimension alias itself. */
    for (const char *p = strstr(sql, "d.\""); p; p = strstr(p + 1, "d.\"")) {
        if (p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
            return true;
        }
    }
    return false;
}
