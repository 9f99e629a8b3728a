/*
 * campaign.c - parse and validate the campaign document (SPEC §2). Validation never stops
 * at the first problem: every error is appended with its JSON path. The graph checks
 * (ids, transitions, ports, cycles, roots) are here; each activity type checks its own
 * options through the registry it is given (model/activity.h; the engine's fills it with
 * engine/activities/) and computes its output shape, which
 * flows along the transitions in topological order so that fields added by `enrich` are
 * known downstream.
 */
#include "model/campaign.h"
#include "core/clock.h"
#include "core/util.h"
#include "model/activity.h"
#include "model/schedule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* "$schema" names the document's JSON Schema for editors (api/schemas/campaign.json): allowed,
 * and not part of what the campaign does. */
static const char *const top_keys[] = {"name",      "description", "campaign",   "tags",
                                       "targeting_dimension", "timezone", "schedule", "options",
                                       "variables", "activities",  "transitions", "id",
                                       "status", "$schema", NULL};

static bool key_allowed(const char *key, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        if (strcmp(keys[i], key) == 0) {
            return true;
        }
    }
    return false;
}

static void check_string(struct sw_error *err, const json_t *doc, const char *key, bool required,
                         size_t max)
{
    const json_t *v = json_object_get(doc, key);
    char path[128];
    snprintf(path, sizeof(path), "$.%s", key);
    if (!v || json_is_null(v)) {
        if (required) {
            sw_error_add(err, path, "required");
        }
        return;
    }
    if (!json_is_string(v)) {
        sw_error_add(err, path, "must be a string");
    } else if (required && json_string_length(v) == 0) {
        sw_error_add(err, path, "must not be empty");
    } else if (json_string_length(v) > max) {
        sw_error_add(err, path, "longer than %zu characters", max);
    }
}

static void check_options(struct sw_error *err, const json_t *o, struct sw_campaign *c)
{
    c->history_days = 30;
    if (!o || json_is_null(o)) {
        return;
    }
    if (!json_is_object(o)) {
        sw_error_add(err, "$.options", "must be an object");
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        char path[256];
        snprintf(path, sizeof(path), "$.options.%s", k);
        if (strcmp(k, "keep_interim_results") == 0) {
            if (!json_is_boolean(v)) {
                sw_error_add(err, path, "must be a boolean");
            } else {
                c->keep_interim_results = json_is_true(v);
            }
        } else if (strcmp(k, "history_days") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 ||
                json_integer_value(v) > 36500) {
                sw_error_add(err, path, "must be an integer between 1 and 36500");
            } else {
                c->history_days = (int)json_integer_value(v);
            }
        } else {
            sw_error_add(err, path, "unknown field \"%s\"", k);
        }
    }
}

static void check_top(struct sw_error *err, const json_t *doc, struct sw_campaign *c)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)doc, k, v)
    {
        if (!key_allowed(k, top_keys)) {
            char path[256];
            snprintf(path, sizeof(path), "$.%s", k);
            sw_error_add(err, path, "unknown field \"%s\"", k);
        }
    }
    check_string(err, doc, "name", true, 200);
    check_string(err, doc, "description", false, 4000);
    check_string(err, doc, "campaign", false, 200);
    check_string(err, doc, "targeting_dimension", false, 200);
    check_string(err, doc, "timezone", false, 64);
    const json_t *tags = json_object_get(doc, "tags");
    if (tags && !json_is_null(tags)) {
        size_t i;
        json_t *t;
        if (!json_is_array(tags)) {
            sw_error_add(err, "$.tags", "must be an array of strings");
        }
        json_array_foreach(tags, i, t)
        {
            if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 64) {
                char path[64];
                snprintf(path, sizeof(path), "$.tags[%zu]", i);
                sw_error_add(err, path, "must be a non-empty string of at most 64 characters");
            }
        }
    }
    sw_schedule_validate(doc, err); /* schedule and time zone, with libical */
    check_options(err, json_object_get(doc, "options"), c);
    const json_t *vars = json_object_get(doc, "variables");
    if (vars && !json_is_null(vars)) {
        if (!json_is_object(vars)) {
            sw_error_add(err, "$.variables", "must be an object");
        } else {
            json_object_foreach((json_t *)vars, k, v)
            {
                char path[256];
                snprintf(path, sizeof(path), "$.variables.%s", k);
                if (!sw_valid_column_name(k)) {
                    sw_error_add(err, path, "variable names are letters, digits and _");
                }
                if (json_is_object(v) || json_is_array(v)) {
                    sw_error_add(err, path, "must be a string, number, boolean or null");
                }
            }
            c->variables = vars;
        }
    }
}

/* The document's array `key`, or NULL with the error at "$.key" when it is missing or not an
 * array. */
static const json_t *doc_array(struct sw_error *err, const struct sw_campaign *c, const char *key)
{
    char path[32];
    const json_t *a = json_object_get(c->doc, key);
    (void)snprintf(path, sizeof(path), "$.%s", key);
    if (!a) {
        sw_error_add(err, path, "required");
    } else if (!json_is_array(a)) {
        sw_error_add(err, path, "must be an array");
        a = NULL;
    }
    return a;
}

/* Build the activity list: ids unique and well-formed, types known. */
static void load_activities(struct sw_error *err, struct sw_campaign *c,
                            const struct sw_activity_registry *types)
{
    const json_t *acts = doc_array(err, c, "activities");
    if (!acts) {
        return;
    }
    if (json_array_size(acts) == 0) {
        sw_error_add(err, "$.activities", "needs at least one activity");
    }
    if (json_array_size(acts) > 500) {
        sw_error_add(err, "$.activities", "at most 500 activities");
        return;
    }
    c->acts = sw_calloc(json_array_size(acts), sizeof(*c->acts));
    size_t i;
    json_t *a;
    json_array_foreach(acts, i, a)
    {
        char path[64];
        snprintf(path, sizeof(path), "$.activities[%zu]", i);
        struct sw_activity *act = &c->acts[c->nacts++];
        act->index = i;
        act->def = a;
        if (!json_is_object(a)) {
            sw_error_add(err, path, "must be an object");
            continue;
        }
        const json_t *id = json_object_get(a, "id");
        char sub[96];
        snprintf(sub, sizeof(sub), "%s.id", path);
        if (!json_is_string(id)) {
            sw_error_add(err, sub, id ? "must be a string" : "required");
        } else if (!sw_valid_id(json_string_value(id))) {
            sw_error_add(err, sub, "must match [A-Za-z0-9_-]{1,64}");
        } else {
            for (size_t j = 0; j + 1 < c->nacts; j++) {
                if (sw_streq(c->acts[j].id, json_string_value(id))) {
                    sw_error_add(err, sub, "duplicate activity id \"%s\" (also $.activities[%zu])",
                                 json_string_value(id), j);
                }
            }
            act->id = sw_strdup(json_string_value(id));
        }
        const json_t *type = json_object_get(a, "type");
        snprintf(sub, sizeof(sub), "%s.type", path);
        if (!json_is_string(type)) {
            sw_error_add(err, sub, type ? "must be a string" : "required");
        } else {
            act->type_name = json_string_value(type);
            act->type = types->find(act->type_name);
            if (!act->type) {
                sw_error_add(err, sub, "unknown activity type \"%s\" (expected one of %s)",
                             act->type_name, types->names());
            }
        }
    }
}

static size_t find_act(const struct sw_campaign *c, const char *id)
{
    for (size_t i = 0; i < c->nacts; i++) {
        if (sw_streq(c->acts[i].id, id)) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* A transition's end `key` ("from" or "to", the value v) at path: the index of the activity
 * it names into *idx, or false with the error. */
static bool transition_end(const struct sw_campaign *c, const char *path, const char *key,
                           const json_t *v, size_t *idx, struct sw_error *err)
{
    char sub[96];
    (void)snprintf(sub, sizeof(sub), "%s.%s", path, key);
    if (!json_is_string(v)) {
        sw_error_add(err, sub, v ? "must be a string" : "required");
        return false;
    }
    if ((*idx = find_act(c, json_string_value(v))) == SIZE_MAX) {
        sw_error_add(err, sub, "no activity with id \"%s\"", json_string_value(v));
        return false;
    }
    return true;
}

static void load_transitions(struct sw_error *err, struct sw_campaign *c)
{
    const json_t *trans = doc_array(err, c, "transitions");
    if (!trans) {
        return;
    }
    c->trans = sw_calloc(json_array_size(trans), sizeof(*c->trans));
    size_t i;
    json_t *t;
    json_array_foreach(trans, i, t)
    {
        char path[64], sub[96];
        snprintf(path, sizeof(path), "$.transitions[%zu]", i);
        if (!json_is_object(t)) {
            sw_error_add(err, path, "must be an object");
            continue;
        }
        const char *k;
        json_t *v;
        json_object_foreach(t, k, v)
        {
            if (strcmp(k, "from") && strcmp(k, "to") && strcmp(k, "port") && strcmp(k, "label")) {
                snprintf(sub, sizeof(sub), "%s.%s", path, k);
                sw_error_add(err, sub, "unknown field \"%s\"", k);
            }
        }
        const json_t *from = json_object_get(t, "from"), *to = json_object_get(t, "to");
        const json_t *port = json_object_get(t, "port");
        struct sw_transition tr = {NULL, NULL, NULL, SIZE_MAX, SIZE_MAX, i};
        bool ok = transition_end(c, path, "from", from, &tr.from_idx, err);
        ok = transition_end(c, path, "to", to, &tr.to_idx, err) && ok;
        snprintf(sub, sizeof(sub), "%s.port", path);
        if (port && !json_is_string(port)) {
            sw_error_add(err, sub, "must be a string");
            ok = false;
        }
        if (!ok) {
            continue;
        }
        if (tr.from_idx == tr.to_idx) {
            sw_error_add(err, path, "an activity cannot lead to itself");
            continue;
        }
        for (size_t j = 0; j < c->ntrans; j++) {
            const struct sw_transition *o = &c->trans[j];
            if (o->from_idx == tr.from_idx && o->to_idx == tr.to_idx &&
                sw_streq(o->port, port ? json_string_value(port) : "out")) {
                sw_error_add(err, path, "duplicate transition (also $.transitions[%zu])", o->index);
                ok = false;
            }
        }
        if (!ok) {
            continue;
        }
        tr.from = sw_strdup(json_string_value(from));
        tr.to = sw_strdup(json_string_value(to));
        tr.port = sw_strdup(port ? json_string_value(port) : "out");
        c->trans[c->ntrans++] = tr;
    }
}

/* Kahn's algorithm; the activities left over are on a cycle. */
static void topo_sort(struct sw_error *err, struct sw_campaign *c)
{
    size_t *indeg = sw_calloc(c->nacts, sizeof(size_t));
    size_t n = 0;
    c->order = sw_calloc(c->nacts, sizeof(size_t));
    for (size_t t = 0; t < c->ntrans; t++) {
        indeg[c->trans[t].to_idx]++;
    }
    for (size_t i = 0; i < c->nacts; i++) {
        if (!indeg[i]) {
            c->order[n++] = i;
        }
    }
    for (size_t k = 0; k < n; k++) {
        size_t a = c->order[k];
        for (size_t t = 0; t < c->ntrans; t++) {
            if (c->trans[t].from_idx == a && --indeg[c->trans[t].to_idx] == 0) {
                c->order[n++] = c->trans[t].to_idx;
            }
        }
    }
    c->acyclic = n == c->nacts;
    if (!c->acyclic) {
        struct sw_buf ids = SW_BUF_INIT;
        for (size_t i = 0; i < c->nacts; i++) {
            if (indeg[i]) {
                sw_buf_printf(&ids, "%s\"%s\"", ids.len ? ", " : "",
                              c->acts[i].id ? c->acts[i].id : "?");
            }
        }
        sw_error_add(err, "$.transitions", "the graph has a cycle through %s", ids.data);
        sw_buf_release(&ids);
    }
    free(indeg);
}

size_t sw_campaign_inputs(const struct sw_campaign *c, size_t idx, const struct sw_transition **out,
                          size_t max)
{
    size_t n = 0;
    for (size_t t = 0; t < c->ntrans; t++) {
        if (c->trans[t].to_idx == idx) {
            if (n < max) {
                out[n] = &c->trans[t];
            }
            n++;
        }
    }
    return n;
}

bool sw_campaign_port_connected(const struct sw_campaign *c, size_t idx, const char *port)
{
    for (size_t t = 0; t < c->ntrans; t++) {
        if (c->trans[t].from_idx == idx && sw_streq(c->trans[t].port, port)) {
            return true;
        }
    }
    return false;
}

static bool has_port(const struct sw_activity *a, const char *port)
{
    for (size_t i = 0; i < a->nports; i++) {
        if (strcmp(a->ports[i], port) == 0) {
            return true;
        }
    }
    return false;
}

/* Validate each activity in topological order, giving it its inputs' shapes. */
static void validate_activities(struct sw_error *err, struct sw_campaign *c,
                                const struct sw_schema *schema, int64_t now_ms)
{
    const struct sw_dimension *dim = schema ? sw_schema_dim(schema, c->dimension) : NULL;
    if (schema && c->dimension && !dim) {
        char *hint = sw_schema_suggest_dim(schema, c->dimension);
        sw_error_add(err, json_object_get(c->doc, "targeting_dimension") ? "$.targeting_dimension"
                                                                           : "$",
                     "unknown targeting dimension \"%s\"%s", c->dimension, hint);
        free(hint);
    } else if (schema && dim && !dim->pk) {
        sw_error_add(err, "$.targeting_dimension",
                     "dimension \"%s\" has no single-column primary key", c->dimension);
    } else if (schema && !c->dimension) {
        sw_error_add(err, "$.targeting_dimension", "the data source has no dimension to target");
    }
    size_t nord = c->acyclic ? c->nacts : 0;
    const struct sw_transition **ins = sw_calloc(c->ntrans + 1, sizeof(*ins));
    const struct sw_shape **shapes = sw_calloc(c->ntrans + 1, sizeof(*shapes));
    const char **from = sw_calloc(c->ntrans + 1, sizeof(*from));
    for (size_t k = 0; k < c->nacts; k++) {
        size_t i = k < nord ? c->order[k] : k;
        struct sw_activity *a = &c->acts[i];
        char path[64];
        snprintf(path, sizeof(path), "$.activities[%zu]", a->index);
        size_t nin = sw_campaign_inputs(c, i, ins, c->ntrans + 1);
        if (!a->type) {
            continue;
        }
        if ((int)nin < a->type->min_inputs ||
            (a->type->max_inputs >= 0 && (int)nin > a->type->max_inputs)) {
            if (a->type->kind == SW_ACT_SOURCE) {
                sw_error_add(err, path, "%s is a population source and takes no input",
                             a->type->name);
            } else if (nin == 0) {
                sw_error_add(err, path,
                             "activity \"%s\" has no input: a root must be build_audience or "
                             "read_audience",
                             a->id ? a->id : "?");
            } else if (a->type->max_inputs >= 0 && (int)nin > a->type->max_inputs) {
                sw_error_add(err, path, "%s takes at most %d input(s), has %zu", a->type->name,
                             a->type->max_inputs, nin);
            } else {
                sw_error_add(err, path, "%s needs at least %d inputs, has %zu", a->type->name,
                             a->type->min_inputs, nin);
            }
        }
        size_t nvalid = 0;
        for (size_t j = 0; j < nin; j++) {
            const struct sw_activity *up = &c->acts[ins[j]->from_idx];
            shapes[j] = up->shape_ok && c->acyclic ? &up->out_shape : NULL;
            from[j] = up->id;
            nvalid += shapes[j] != NULL;
        }
        struct sw_vctx v = {
            /* Downstream of an activity of unknown type, the shape is unknown: check structure
             * only rather than cascade "unknown field" errors. An activity with errors still
             * passes on its best-effort shape (the columns it could define). */
            .schema = nvalid == nin ? schema : NULL,
            .campaign = c,
            .act = a,
            .path = path,
            .inputs = shapes,
            .input_from = from,
            .ninputs = nin,
            .out = &a->out_shape,
            .now_ms = now_ms,
            .err = err,
        };
        if (a->type->kind == SW_ACT_SOURCE || nin == 0) {
            sw_shape_init(&a->out_shape, c->dimension, dim);
        } else if (nvalid > 0) {
            for (size_t j = 0; j < nin; j++) {
                if (shapes[j]) {
                    sw_shape_copy(&a->out_shape, shapes[j]);
                    break;
                }
            }
        } else {
            sw_shape_init(&a->out_shape, c->dimension, dim);
        }
        a->type->validate(&v);
        a->shape_ok = true;
        a->ports = a->type->ports(a);
        for (char **p = a->ports; p && *p; p++) {
            a->nports++;
        }
    }
    free(ins);
    free(shapes);
    free(from);
    /* Ports named by transitions must exist on their source activity. */
    for (size_t t = 0; t < c->ntrans; t++) {
        const struct sw_activity *a = &c->acts[c->trans[t].from_idx];
        if (a->type && !has_port(a, c->trans[t].port)) {
            char path[64];
            struct sw_buf names = SW_BUF_INIT;
            for (size_t p = 0; p < a->nports; p++) {
                sw_buf_printf(&names, "%s%s", p ? ", " : "", a->ports[p]);
            }
            snprintf(path, sizeof(path), "$.transitions[%zu].port", c->trans[t].index);
            sw_error_add(err, path, "activity \"%s\" has no port \"%s\" (ports: %s)", a->id,
                         c->trans[t].port, a->nports ? names.data : "none");
            sw_buf_release(&names);
        }
    }
}

int sw_campaign_from_json(json_t *doc, const struct sw_activity_registry *types,
                          const struct sw_schema *schema, int64_t now_ms, struct sw_campaign **out,
                          struct sw_error *err)
{
    struct sw_campaign *c = sw_calloc(1, sizeof(*c));
    struct sw_error local = SW_ERROR_INIT;
    int rc = 0;
    *out = NULL;
    c->doc = json_incref(doc);
    c->schema = sw_schema_ref((struct sw_schema *)schema);
    if (!json_is_object(doc)) {
        sw_error_add(&local, "$", "a campaign document must be a JSON object");
        goto out;
    }
    check_top(&local, doc, c);
    c->name = json_string_value(json_object_get(doc, "name"));
    c->dimension = json_string_value(json_object_get(doc, "targeting_dimension"));
    if (!c->dimension && schema) {
        c->dimension = schema->default_dim;
    }
    if (!c->dimension) {
        c->dimension = "profiles"; /* structure-only validation: a neutral default */
    }
    load_activities(&local, c, types);
    load_transitions(&local, c);
    topo_sort(&local, c);
    validate_activities(&local, c, schema, now_ms);
out:
    if (local.ndetails || local.code) {
        if (err) {
            for (size_t i = 0; i < local.ndetails; i++) {
                sw_error_add(err, local.details[i].path, "%s", local.details[i].message);
            }
            sw_error_set(err, SW_EVALIDATION, "invalid campaign document: %zu error%s",
                         local.ndetails, local.ndetails == 1 ? "" : "s");
        }
        rc = SW_EVALIDATION;
        sw_campaign_free(c);
    } else {
        *out = c;
    }
    sw_error_release(&local);
    return rc;
}

int sw_campaign_load(const char *text, size_t len, const struct sw_activity_registry *types,
                     const struct sw_schema *schema, int64_t now_ms, struct sw_campaign **out,
                     struct sw_error *err)
{
    json_error_t jerr;
    *out = NULL;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        sw_error_add(err, "$", "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return sw_error_set(err, SW_EINVAL, "the campaign document is not valid JSON");
    }
    int rc = sw_campaign_from_json(doc, types, schema, now_ms, out, err);
    json_decref(doc);
    return rc;
}

void sw_campaign_free(struct sw_campaign *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->nacts; i++) {
        free(c->acts[i].id);
        sw_shape_release(&c->acts[i].out_shape);
        for (size_t p = 0; p < c->acts[i].nports; p++) {
            free(c->acts[i].ports[p]);
        }
        free(c->acts[i].ports);
    }
    for (size_t t = 0; t < c->ntrans; t++) {
        free(c->trans[t].from);
        free(c->trans[t].to);
        free(c->trans[t].port);
    }
    free(c->acts);
    free(c->trans);
    free(c->order);
    sw_schema_free(c->schema);
    json_decref(c->doc);
    free(c);
}

const struct sw_activity *sw_campaign_activity(const struct sw_campaign *c, const char *id)
{
    size_t i = find_act(c, id);
    return i == SIZE_MAX ? NULL : &c->acts[i];
}

char *sw_campaign_serialize(const struct sw_campaign *c)
{
    return json_dumps(c->doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* "number", "string", "boolean" or "null": the kind an override must keep. */
static const char *value_kind(const json_t *v)
{
    if (json_is_number(v)) {
        return "number";
    }
    if (json_is_string(v)) {
        return "string";
    }
    if (json_is_boolean(v)) {
        return "boolean";
    }
    return json_is_null(v) ? "null" : "object or array";
}

json_t *sw_campaign_variables(const struct sw_campaign *c, const json_t *overrides,
                              struct sw_error *err)
{
    json_t *vars = c->variables ? json_deep_copy(c->variables) : json_object();
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach((json_t *)overrides, k, v)
    {
        char path[256];
        const json_t *declared = json_object_get(vars, k);
        snprintf(path, sizeof(path), "$.variables.%s", k);
        if (!declared) {
            sw_error_add(err, path, "the campaign declares no variable \"%s\"", k);
            bad = 1;
            continue;
        }
        /* A value of another kind would only fail when a filter uses it, mid-run. A variable
         * declared null takes any scalar. */
        if (!json_is_null(declared) && strcmp(value_kind(declared), value_kind(v)) != 0) {
            sw_error_add(err, path, "expected a %s like the declared value, got a %s",
                         value_kind(declared), value_kind(v));
            bad = 1;
            continue;
        }
        if (json_is_object(v) || json_is_array(v)) {
            sw_error_add(err, path, "must be a string, number, boolean or null");
            bad = 1;
            continue;
        }
        json_object_set(vars, k, v);
    }
    if (bad) {
        sw_error_set(err, SW_EVALIDATION, "invalid variables");
        json_decref(vars);
        return NULL;
    }
    return vars;
}
