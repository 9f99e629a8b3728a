/*
 * render.h - personalization at send time (SPEC §2.2): a compiled template (model/template.h)
 * filled in for one recipient.
 *
 * Values come from a caller-supplied lookup, which decides the order of the sources
 * (dimension fields, enrichment columns, then campaign variables). Missing values:
 *   - a NULL value (SQL NULL or an unknown field) and an empty string are treated alike,
 *     as Liquid's `default` filter does: the part's default is used if it has one, else
 *     nothing is written. "" is therefore never distinguishable from NULL in the output.
 * HTML escaping (html=true) covers & < > " ' and applies to values and to defaults alike
 * (the whole output of a {{...}} tag is escaped), except in {{{raw}}} parts. Literal text
 * is copied byte for byte; values are copied byte for byte too (UTF-8 passes through,
 * nothing is validated or normalised here).
 */
#ifndef SW_RENDER_H
#define SW_RENDER_H

#include "core/buf.h"
#include "core/error.h"
#include "model/template.h"

#include <jansson.h>
#include <stdbool.h>

/* Look up a field's value as text for one recipient; NULL when the value is SQL NULL or the
 * field is unknown. The returned string need only stay valid until the next call. */
typedef const char *(*sw_render_lookup)(void *ud, const char *field);

/* Render a compiled template for one recipient. Appends to out (sticky buffer errors are
 * left for the caller to check with sw_buf_error). */
void sw_render(const struct sw_template *t, sw_render_lookup lookup, void *ud, bool html,
               struct sw_buf *out);

/* Append s to out with & < > " ' replaced by entities. */
void sw_render_html_escape(struct sw_buf *out, const char *s, size_t n);

/* Compile and render one template string (no HTML escaping when html=false). 0, or
 * SW_EVALIDATION with a detail at `path` (may be NULL) carrying the compiler's message. */
int sw_render_string(const char *text, sw_render_lookup lookup, void *ud, bool html,
                     struct sw_buf *out, const char *path, struct sw_error *err);

/* Render a push `data` value: every string anywhere inside (object member values and array
 * elements, recursively) is compiled as a template and rendered without HTML escaping;
 * keys are not templates; numbers, booleans and null are copied. `path` is the JSON path of
 * `data` used in error details (NULL means "$"), e.g. "$.activities[3].data"; every bad
 * string is reported as a detail ("$.activities[3].data.deep.key", "...items[2]").
 * Returns a new reference, or NULL with err set (SW_EVALIDATION, or SW_ENOMEM). */
json_t *sw_render_json(const json_t *data, sw_render_lookup lookup, void *ud, const char *path,
                       struct sw_error *err);

#endif
