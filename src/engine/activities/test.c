/*
 * test.c - branch on the population's count or on a variable: the first matching
 * condition's port is emitted (the same population); with no match, port "default" is
 * emitted, and when nothing follows "default" the branch ends there (logged).
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const ops[] = {"eq", "ne", "lt", "le", "gt", "ge", NULL};

static bool known_op(const char *op)
{
    for (size_t i = 0; ops[i]; i++) {
        if (!strcmp(ops[i], op)) {
            return true;
        }
    }
    return false;
}

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"conditions", NULL};
    static const char *const ckeys[] = {"port", "count", "variable", "op", "value", "label", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    const json_t *conds = sw_vctx_array(v, v->act->def, "conditions", "", true);
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        char suffix[64], sub[96];
        if (!sw_vctx_element(v, "conditions", i, c, ckeys, suffix, sizeof(suffix))) {
            continue;
        }
        const char *port = sw_vctx_string(v, c, "port", suffix, true);
        snprintf(sub, sizeof(sub), "%s.port", suffix);
        if (port && (!sw_valid_id(port) || !strcmp(port, "default"))) {
            sw_vctx_error(v, sub, "must be a port name other than \"default\"");
        }
        const json_t *count = json_object_get(c, "count");
        const char *var = json_string_value(json_object_get(c, "variable"));
        if (!count == !json_object_get(c, "variable")) {
            sw_vctx_error(v, suffix, "needs exactly one of count, variable");
            continue;
        }
        if (count) {
            snprintf(sub, sizeof(sub), "%s.count", suffix);
            if (!json_is_object(count) || json_object_size(count) != 1) {
                sw_vctx_error(v, sub, "must be one comparison such as {\"gt\": 1000}");
                continue;
            }
            const char *op;
            json_t *val;
            json_object_foreach((json_t *)count, op, val)
            {
                if (!known_op(op)) {
                    sw_vctx_error(v, sub, "unknown operator \"%s\" (expected one of eq, ne, lt, le, gt, ge)",
                                  op);
                } else if (!json_is_number(val)) {
                    sw_vctx_error(v, sub, "the count is compared with a number");
                }
            }
        } else {
            snprintf(sub, sizeof(sub), "%s.variable", suffix);
            if (!var) {
                sw_vctx_error(v, sub, "must be a string");
            } else if (!json_object_get(v->campaign->variables, var)) {
                sw_vctx_error(v, sub, "the campaign declares no variable \"%s\"", var);
            }
            const char *op = sw_vctx_string(v, c, "op", suffix, true);
            if (op && !known_op(op)) {
                snprintf(sub, sizeof(sub), "%s.op", suffix);
                sw_vctx_error(v, sub, "unknown operator \"%s\" (expected one of eq, ne, lt, le, gt, ge)",
                              op);
            }
            if (!json_object_get(c, "value")) {
                snprintf(sub, sizeof(sub), "%s.value", suffix);
                sw_vctx_error(v, sub, "required");
            }
        }
    }
}

static char **ports(const struct sw_activity *a)
{
    char **p = sw_ports_make(NULL);
    sw_ports_push_each(&p, a->def, "conditions");
    sw_ports_push(&p, "default");
    return p;
}

/* -1, 0, 1, or 2 when the two values cannot be ordered. */
static int compare(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_string(a) && json_is_string(b)) {
        int c = strcmp(json_string_value(a), json_string_value(b));
        return c < 0 ? -1 : c > 0;
    }
    if (json_is_boolean(a) && json_is_boolean(b)) {
        return json_is_true(a) - json_is_true(b);
    }
    if (json_is_null(a) && json_is_null(b)) {
        return 0;
    }
    return 2;
}

static bool holds(const char *op, int c)
{
    if (c == 2) {
        return !strcmp(op, "ne");
    }
    if (!strcmp(op, "eq")) {
        return c == 0;
    }
    if (!strcmp(op, "ne")) {
        return c != 0;
    }
    if (!strcmp(op, "lt")) {
        return c < 0;
    }
    if (!strcmp(op, "le")) {
        return c <= 0;
    }
    if (!strcmp(op, "gt")) {
        return c > 0;
    }
    return c >= 0;
}

static int execute(struct sw_exec *ex)
{
    const json_t *conds = json_object_get(ex->act->def, "conditions");
    const struct sw_input *in = sw_act_input(ex);
    const char *match = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const json_t *count = json_object_get(c, "count");
        bool ok;
        if (count) {
            const char *op = NULL;
            json_t *val = NULL, *v;
            const char *k;
            json_object_foreach((json_t *)count, k, v)
            {
                op = k;
                val = v;
            }
            json_t *n = json_integer(in->count);
            ok = op && holds(op, compare(n, val));
            json_decref(n);
        } else {
            const json_t *var = json_object_get(ex->variables,
                                                json_string_value(json_object_get(c, "variable")));
            ok = var && holds(json_string_value(json_object_get(c, "op")),
                              compare(var, json_object_get(c, "value")));
        }
        if (ok) {
            match = json_string_value(json_object_get(c, "port"));
            break;
        }
    }
    for (size_t p = 0; p < ex->act->nports; p++) {
        const char *port = ex->act->ports[p];
        bool chosen = match ? sw_streq(port, match) : !strcmp(port, "default");
        sw_act_pass_through(ex, in, port);
        if (!chosen) {
            sw_exec_set_count(ex, port, 0);
            sw_exec_port_not_emitted(ex, port);
        }
    }
    if (!match && !sw_exec_port_connected(ex, "default")) {
        sw_exec_log(ex, "info", "no condition matched (count %lld): the branch ends here",
                    (long long)in->count);
    } else {
        sw_exec_log(ex, "info", "condition \"%s\" chosen (count %lld)", match ? match : "default",
                    (long long)in->count);
    }
    return 0;
}

const struct sw_activity_type sw_act_test = {
    "test", SW_ACT_FLOW, 1, 1, validate, ports, execute, NULL,
};
