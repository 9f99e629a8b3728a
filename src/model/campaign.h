/*
 * campaign.h - the campaign document of SPEC §2: parse, validate (all errors at once, each
 * with its JSON path), serialize. Activities keep their JSON definition; each activity type
 * validates its own options through the registry the caller passes (model/activity.h; the
 * engine's is sw_engine_activities, filled by engine/activities/<type>.c).
 */
#ifndef SW_CAMPAIGN_H
#define SW_CAMPAIGN_H

#include "core/error.h"
#include "model/shape.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_activity_type;
struct sw_activity_registry;

struct sw_activity {
    char *id;
    const char *type_name;                /* borrowed from def */
    const struct sw_activity_type *type;  /* NULL when the type is unknown */
    json_t *def;                          /* borrowed from the document */
    size_t index;                         /* position in $.activities */
    struct sw_shape out_shape;            /* population shape of its output ports */
    bool shape_ok;                        /* out_shape computed */
    char **ports;                         /* output ports it can emit */
    size_t nports;
};

struct sw_transition {
    char *from, *port, *to; /* port defaults to "out" */
    size_t from_idx, to_idx; /* indexes into activities; SIZE_MAX when dangling */
    size_t index;            /* position in $.transitions */
};

struct sw_campaign {
    json_t *doc; /* owned */
    const char *name;
    const char *dimension; /* targeting_dimension, or the schema default; may be NULL */
    struct sw_activity *acts;
    size_t nacts;
    struct sw_transition *trans;
    size_t ntrans;
    size_t *order;  /* topological order of activities (valid when acyclic) */
    bool acyclic;
    const json_t *variables; /* object or NULL; borrowed from doc */
    bool keep_interim_results;
    int history_days;
    /* The schema it was validated against, held (a reference) for as long as the campaign
     * lives: its shapes point into it, and a rediscovery may replace the server's meanwhile.
     * NULL when loaded without one. */
    struct sw_schema *schema;
};

/* Parse and validate, each activity through its type in `types`. With schema NULL the checks
 * are structural only. On failure returns SW_EVALIDATION (details with paths) or SW_EINVAL
 * (JSON syntax: line and column) and *out is NULL. */
int sw_campaign_load(const char *text, size_t len, const struct sw_activity_registry *types,
                     const struct sw_schema *schema, int64_t now_ms, struct sw_campaign **out,
                     struct sw_error *err);
/* Same, from a parsed document; takes a new reference to doc. */
int sw_campaign_from_json(json_t *doc, const struct sw_activity_registry *types,
                          const struct sw_schema *schema, int64_t now_ms, struct sw_campaign **out,
                          struct sw_error *err);
void sw_campaign_free(struct sw_campaign *c);

const struct sw_activity *sw_campaign_activity(const struct sw_campaign *c, const char *id);
/* Compact JSON of the document as stored. */
char *sw_campaign_serialize(const struct sw_campaign *c);

/* Inbound transitions of activity idx, in document order (returns count, fills up to max). */
size_t sw_campaign_inputs(const struct sw_campaign *c, size_t idx, const struct sw_transition **out,
                          size_t max);
/* True when some transition leaves activity idx from `port`. */
bool sw_campaign_port_connected(const struct sw_campaign *c, size_t idx, const char *port);

/* Variables with overrides applied: a new object (caller decrefs). overrides may be NULL.
 * An override of an undeclared variable is an error (detail at "--var NAME"). */
json_t *sw_campaign_variables(const struct sw_campaign *c, const json_t *overrides,
                              struct sw_error *err);

#endif
