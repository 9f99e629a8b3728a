/*
 * registry.c - the one list of activity types, and the registry the model validates documents
 * through (sw_engine_activities). Adding an activity means one file under activities/, its
 * declaration in activities/common.h and one line here.
 */
#include "core/util.h"
#include "engine/activities/common.h"
#include "engine/activity.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct sw_activity_type *const types[] = {
    &sw_act_build_audience, &sw_act_read_audience, &sw_act_combine,  &sw_act_split,
    &sw_act_deduplicate,    &sw_act_enrich,        &sw_act_change_dimension,
    &sw_act_save_audience,  &sw_act_fork,          &sw_act_join,     &sw_act_wait,
    &sw_act_test,           &sw_act_end,           &sw_act_alert,    &sw_act_export,
    &sw_act_email,          &sw_act_sms,           &sw_act_push,
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

const struct sw_activity_type *sw_activity_type_find(const char *name)
{
    for (size_t i = 0; name && i < NTYPES; i++) {
        if (strcmp(types[i]->name, name) == 0) {
            return types[i];
        }
    }
    return NULL;
}

/* The list is written once, by whichever thread asks first (HTTP threads validate
 * documents at the same time): pthread_once, not a check of the buffer. */
static char type_names[512];
static pthread_once_t type_names_once = PTHREAD_ONCE_INIT;

static void fill_type_names(void)
{
    size_t off = 0;
    for (size_t i = 0; i < NTYPES && off < sizeof(type_names); i++) {
        int n = snprintf(type_names + off, sizeof(type_names) - off, "%s%s", i ? ", " : "",
                         types[i]->name);
        off += n > 0 ? (size_t)n : 0;
    }
}

const char *sw_activity_type_names(void)
{
    pthread_once(&type_names_once, fill_type_names);
    return type_names;
}

const struct sw_activity_registry sw_engine_activities = {sw_activity_type_find,
                                                          sw_activity_type_names};

void sw_ports_push(char ***ports, const char *name)
{
    size_t n = 0;
    while (*ports && (*ports)[n]) {
        if (strcmp((*ports)[n], name) == 0) {
            return;
        }
        n++;
    }
    *ports = sw_realloc(*ports, (n + 2) * sizeof(char *));
    (*ports)[n] = sw_strdup(name);
    (*ports)[n + 1] = NULL;
}

void sw_ports_push_each(char ***ports, const json_t *def, const char *key)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(def, key), i, e)
    {
        const char *port = json_string_value(json_object_get(e, "port"));
        if (port) {
            sw_ports_push(ports, port);
        }
    }
}

char **sw_ports_make(const char *first, ...)
{
    char **ports = NULL;
    va_list ap;
    va_start(ap, first);
    for (const char *p = first; p; p = va_arg(ap, const char *)) {
        sw_ports_push(&ports, p);
    }
    va_end(ap);
    if (!ports) {
        ports = sw_calloc(1, sizeof(char *));
    }
    return ports;
}
