/*
 * template.h - personalization templates (SPEC §2.2): {{field}}, {{field | default: "x"}},
 * and {{{field}}} (not HTML-escaped). Compiled once per activity into literal and field
 * parts; fields are checked against the population's shape when the campaign is saved.
 */
#ifndef SW_TEMPLATE_H
#define SW_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

struct sw_tpl_part {
    bool is_field;
    bool raw;      /* {{{...}}}: never escaped */
    char *text;    /* literal text, or the field name */
    char *dflt;    /* default value, or NULL */
};

struct sw_template {
    struct sw_tpl_part *parts;
    size_t nparts;
};

/* 0, or -1 with *errmsg (malloc'd) naming the offset of the problem. */
int sw_template_compile(const char *text, struct sw_template **out, char **errmsg);
void sw_template_free(struct sw_template *t);

#endif
