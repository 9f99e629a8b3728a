/*
 * activity.h - an activity type as the model sees it: the table of functions each type
 * implements (validate, ports, execute), the validation context validators work in, and the
 * registry that finds a type by name. Declared here, filled by the engine (engine/registry.c,
 * engine/activities/<type>.c): the model validates a document through the registry it is
 * given (sw_campaign_load), without knowing the engine.
 */
#ifndef SW_MODEL_ACTIVITY_H
#define SW_MODEL_ACTIVITY_H

#include "core/error.h"
#include "model/campaign.h"
#include "model/filter.h"
#include "model/shape.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sw_act_kind {
    SW_ACT_SOURCE,    /* no input: build_audience, read_audience */
    SW_ACT_TARGETING, /* population in, population(s) out */
    SW_ACT_FLOW,      /* fork, join, wait, test, end, alert */
    SW_ACT_CHANNEL    /* email, sms, push: delivery */
};

/* ---- validation ---- */

struct sw_vctx {
    const struct sw_schema *schema;   /* NULL: structure only */
    const struct sw_campaign *campaign;
    const struct sw_activity *act;
    const char *path;                 /* "$.activities[3]" */
    const struct sw_shape *const *inputs; /* input shapes, inbound-transition order; entries
                                             may be NULL when upstream is invalid */
    const char *const *input_from;    /* upstream activity id of each input */
    size_t ninputs;
    struct sw_shape *out;             /* pre-filled with a copy of the first valid input
                                         (or the campaign dimension for sources) */
    int64_t now_ms;
    struct sw_error *err;
};

/* Append a detail at v->path + suffix (suffix like ".segments[0].port"). */
void sw_vctx_error(struct sw_vctx *v, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Unknown keys of obj are errors: keys is a NULL-terminated list of allowed names. The
 * activity-level keys "id", "type", "description", "label", "position" are always allowed
 * when suffix is "". */
void sw_vctx_check_keys(struct sw_vctx *v, const json_t *obj, const char *suffix,
                        const char *const *keys);
/* Typed option getters: NULL/default when absent; an error when present with the wrong
 * type, or absent and required. */
const char *sw_vctx_string(struct sw_vctx *v, const json_t *obj, const char *key,
                           const char *suffix, bool required);
const json_t *sw_vctx_array(struct sw_vctx *v, const json_t *obj, const char *key,
                            const char *suffix, bool required);
const json_t *sw_vctx_object(struct sw_vctx *v, const json_t *obj, const char *key,
                             const char *suffix, bool required);
/* Element i of the activity's array option `key`: its path suffix ".key[i]" into suffix (n
 * bytes), and false (with an error there) when it is not an object; an object's keys are
 * checked against `keys` (sw_vctx_check_keys). */
bool sw_vctx_element(struct sw_vctx *v, const char *key, size_t i, const json_t *e,
                     const char *const *keys, char *suffix, size_t n);
/* A required array that must not be empty: "needs at least one <one>" when it is. */
const json_t *sw_vctx_list(struct sw_vctx *v, const json_t *obj, const char *key,
                           const char *suffix, const char *one);
/* The activity's array option `key` of field names of v->out (one: as sw_vctx_list; NULL: an
 * optional array, maybe empty): each element is checked by sw_vctx_field at ".key[i]", with
 * the error `not_string` where it is not a string. */
const json_t *sw_vctx_field_names(struct sw_vctx *v, const char *key, const char *one,
                                  const char *not_string);
bool sw_vctx_bool(struct sw_vctx *v, const json_t *obj, const char *key, const char *suffix,
                  bool dflt);
/* Integer in [min, max]; *present says whether the key was there. */
int64_t sw_vctx_int(struct sw_vctx *v, const json_t *obj, const char *key, const char *suffix,
                    int64_t min, int64_t max, int64_t dflt, bool *present);
/* Check a filter on a shape (v->out's dimension by default); suffix is its path suffix. */
void sw_vctx_filter(struct sw_vctx *v, const json_t *filter, const char *suffix,
                    const struct sw_shape *shape);
/* Check that field exists in shape (dimension field or extra column); returns its type or
 * SW_T_UNKNOWN (and an error if unknown with a schema). */
enum sw_type sw_vctx_field(struct sw_vctx *v, const struct sw_shape *shape, const char *field,
                           const char *suffix);

/* ---- the table of functions ---- */

struct sw_exec; /* the execution context (engine/activity.h) */

/* When an activity runs with respect to its inputs; the engine applies the rule the activity
 * declares, and knows no activity type by name. An inactive input is an empty population. */
enum sw_inputs_rule {
    SW_INPUTS_RESOLVED, /* once every input is resolved, if at least one is active (default) */
    SW_INPUTS_FIRST,    /* at the first active input, without waiting for the others */
    SW_INPUTS_EVERY,    /* once every input is resolved, if every one is active (else skipped) */
};

struct sw_activity_type {
    const char *name;
    enum sw_act_kind kind;
    int min_inputs, max_inputs; /* max -1 = unbounded */
    /* Check options (append errors), fill v->out with the output shape. */
    void (*validate)(struct sw_vctx *v);
    /* Output ports this activity can emit, into a NULL-terminated malloc'd array of
     * malloc'd names (called after validate; must cope with invalid options). */
    char **(*ports)(const struct sw_activity *a);
    /* Run it: write work tables, register every port with its count. */
    int (*execute)(struct sw_exec *ex);
    /* Its rule for inputs, from its options, and (SW_INPUTS_EVERY) in *skipped the line the
     * task records when it is skipped for an inactive input; NULL: SW_INPUTS_RESOLVED. */
    enum sw_inputs_rule (*inputs)(const struct sw_activity *a, const char **skipped);
};

struct sw_activity_registry {
    /* The type called name, or NULL. */
    const struct sw_activity_type *(*find)(const char *name);
    /* Comma-separated list of known type names, for error messages. */
    const char *(*names)(void);
};

#endif
