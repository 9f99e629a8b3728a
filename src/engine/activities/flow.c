/*
 * flow.c - the flow-control activities that move a population without changing it:
 * fork (the same population on several ports), join (wait for inputs), wait (sleep
 * without holding a worker; the wake-up time is in the catalog, so it survives restarts).
 */
#include "core/clock.h"
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>
#include <string.h>

/* ---- fork ---- */

static void fork_validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"ports", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    const json_t *ports = sw_vctx_array(v, v->act->def, "ports", "", false);
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p)
    {
        if (!json_is_string(p) || !sw_valid_id(json_string_value(p))) {
            char sub[64];
            snprintf(sub, sizeof(sub), ".ports[%zu]", i);
            sw_vctx_error(v, sub, "must be a port name ([A-Za-z0-9_-]{1,64})");
        }
    }
}

static char **fork_ports(const struct sw_activity *a)
{
    char **ports = sw_ports_make("out", NULL);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(a->def, "ports"), i, p)
    {
        if (json_is_string(p)) {
            sw_ports_push(&ports, json_string_value(p));
        }
    }
    return ports;
}

static int fork_execute(struct sw_exec *ex)
{
    const struct sw_input *in = sw_act_input(ex);
    for (size_t i = 0; i < ex->act->nports; i++) {
        sw_act_pass_through(ex, in, ex->act->ports[i]);
    }
    return 0;
}

const struct sw_activity_type sw_act_fork = {
    "fork", SW_ACT_FLOW, 1, 1, fork_validate, fork_ports, fork_execute, NULL,
};

/* ---- join ---- */

static void join_validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"mode", "primary", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    const char *mode = sw_vctx_string(v, v->act->def, "mode", "", false);
    if (mode && strcmp(mode, "and") && strcmp(mode, "or")) {
        sw_vctx_error(v, ".mode", "must be \"and\" or \"or\"");
    }
    sw_act_check_same_dimension(v);
    const char *primary = sw_vctx_string(v, v->act->def, "primary", "", false);
    bool found = !primary;
    for (size_t i = 0; i < v->ninputs; i++) {
        if (primary && sw_streq(v->input_from[i], primary)) {
            found = true;
            if (v->inputs[i]) {
                sw_shape_release(v->out);
                sw_shape_copy(v->out, v->inputs[i]);
            }
        }
    }
    if (!found) {
        sw_vctx_error(v, ".primary", "\"%s\" is not an input of this activity", primary);
    }
    if (mode && !strcmp(mode, "or")) {
        for (size_t i = 0; i < v->ninputs; i++) {
            if (v->inputs[i]) {
                sw_shape_intersect(v->out, v->inputs[i]);
            }
        }
    }
}

static int join_execute(struct sw_exec *ex)
{
    const char *primary = json_string_value(json_object_get(ex->act->def, "primary"));
    const struct sw_input *in = sw_act_input(ex);
    for (size_t i = 0; primary && i < ex->ninputs; i++) {
        if (sw_streq(ex->inputs[i].from, primary) && ex->inputs[i].table) {
            in = &ex->inputs[i];
        }
    }
    sw_act_pass_through(ex, in, "out");
    return 0;
}

/* "or" continues at the first input to arrive; "and" (the default) needs every input. */
static enum sw_inputs_rule join_inputs(const struct sw_activity *a, const char **skipped)
{
    const char *mode = json_string_value(json_object_get(a->def, "mode"));
    *skipped = "skipped: join \"and\" needs every input";
    return sw_streq(mode, "or") ? SW_INPUTS_FIRST : SW_INPUTS_EVERY;
}

const struct sw_activity_type sw_act_join = {
    "join", SW_ACT_FLOW, 2, -1, join_validate, sw_act_ports_out, join_execute, join_inputs,
};

/* ---- wait ---- */

static void wait_validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"duration", "until", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    const char *d = sw_vctx_string(v, v->act->def, "duration", "", false);
    const char *u = sw_vctx_string(v, v->act->def, "until", "", false);
    int64_t ms;
    if (!d == !u) {
        sw_vctx_error(v, "", "needs exactly one of duration, until");
    }
    if (d && (sw_parse_duration(d, &ms) < 0 || ms < 0)) {
        sw_vctx_error(v, ".duration", "must be a duration such as \"2d\", \"12h\" or \"PT30M\"");
    }
    if (u && sw_clock_parse_iso(u, &ms) < 0) {
        sw_vctx_error(v, ".until", "must be an ISO-8601 date-time");
    }
}

static int wait_execute(struct sw_exec *ex)
{
    /* A simulation reports counts now; it does not sleep. */
    if (!ex->wake_at_ms && !ex->dry_run) {
        const char *d = json_string_value(json_object_get(ex->act->def, "duration"));
        const char *u = json_string_value(json_object_get(ex->act->def, "until"));
        int64_t ms = 0;
        if (d && sw_parse_duration(d, &ms) == 0) {
            ex->wake_at_ms = sw_clock_now_ms() + ms; /* from when the wait begins */
        } else if (u && sw_clock_parse_iso(u, &ms) == 0) {
            ex->wake_at_ms = ms;
        }
        if (ex->wake_at_ms > sw_clock_now_ms()) {
            ex->waiting = true; /* the engine records the wake-up time and comes back */
            return 0;
        }
    }
    sw_act_pass_through(ex, sw_act_input(ex), "out");
    return 0;
}

const struct sw_activity_type sw_act_wait = {
    "wait", SW_ACT_FLOW, 1, 1, wait_validate, sw_act_ports_out, wait_execute, NULL,
};
