/*
 * end.c - the end of a branch. With `signal`, it queues a trigger of another campaign in
 * the catalog (sw_signals); the daemon's scheduler starts that campaign with the variables.
 */
#include "catalog/scheduling.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activities/common.h"

#include <stdlib.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"signal", NULL};
    static const char *const skeys[] = {"campaign", "variables", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    const json_t *sig = sw_vctx_object(v, v->act->def, "signal", "", false);
    if (!sig) {
        return;
    }
    sw_vctx_check_keys(v, sig, ".signal", skeys);
    const json_t *c = json_object_get(sig, "campaign");
    if (!json_is_string(c) && !json_is_integer(c)) {
        sw_vctx_error(v, ".signal.campaign", c ? "must be a campaign id or name" : "required");
    }
    sw_vctx_object(v, sig, "variables", ".signal", false);
}

static char **ports(const struct sw_activity *a)
{
    (void)a;
    return sw_ports_make(NULL);
}

static int execute(struct sw_exec *ex)
{
    const json_t *sig = json_object_get(ex->act->def, "signal");
    if (!sig || ex->dry_run) {
        return 0;
    }
    const json_t *c = json_object_get(sig, "campaign");
    char *target = json_is_integer(c) ? sw_asprintf("%lld", (long long)json_integer_value(c))
                                      : sw_strdup(json_string_value(c));
    const json_t *vars = json_object_get(sig, "variables");
    char *vs = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
    int rc = sw_catalog_signal_add(ex->cat, target, vs, ex->run_id, sw_clock_now_ms(), ex->err);
    if (rc == 0) {
        sw_exec_log(ex, "info", "signal queued for campaign %s", target);
    }
    free(vs);
    free(target);
    return rc;
}

const struct sw_activity_type sw_act_end = {
    "end", SW_ACT_FLOW, 1, 1, validate, ports, execute, NULL,
};
