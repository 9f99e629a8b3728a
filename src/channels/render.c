/*
 * render.c - see render.h. Rendering is a single pass over the compiled parts; the JSON
 * helper walks the value recursively and builds a fresh copy so the activity's definition
 * is never modified.
 */
#include "channels/render.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void sw_render_html_escape(struct sw_buf *out, const char *s, size_t n)
{
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n; i++) {
        const char *ent;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        sw_buf_add(out, s + run, i - run);
        sw_buf_puts(out, ent);
        run = i + 1;
    }
    sw_buf_add(out, s + run, n - run);
}

void sw_render(const struct sw_template *t, sw_render_lookup lookup, void *ud, bool html,
               struct sw_buf *out)
{
    for (size_t i = 0; i < t->nparts; i++) {
        const struct sw_tpl_part *p = &t->parts[i];
        if (!p->is_field) {
            sw_buf_puts(out, p->text);
            continue;
        }
        const char *v = lookup ? lookup(ud, p->text) : NULL;
        /* Liquid's `default`: an empty string counts as missing, like NULL. */
        if (!v || !*v) {
            v = p->dflt ? p->dflt : "";
        }
        if (html && !p->raw) {
            sw_render_html_escape(out, v, strlen(v));
        } else {
            sw_buf_puts(out, v);
        }
    }
}

int sw_render_string(const char *text, sw_render_lookup lookup, void *ud, bool html,
                     struct sw_buf *out, const char *path, struct sw_error *err)
{
    struct sw_template *t = NULL;
    char *msg = NULL;
    if (sw_template_compile(text, &t, &msg) < 0) {
        sw_error_add(err, path, "%s", msg ? msg : "invalid template");
        free(msg);
        return SW_EVALIDATION;
    }
    sw_render(t, lookup, ud, html, out);
    sw_template_free(t);
    return 0;
}

/* Returns a new reference or NULL; errors are details in err (all of them, not the first). */
static json_t *render_value(const json_t *v, sw_render_lookup lookup, void *ud,
                            const char *path, struct sw_error *err, bool *bad)
{
    if (json_is_string(v)) {
        struct sw_buf b = SW_BUF_INIT;
        json_t *r = NULL;
        if (sw_render_string(json_string_value(v), lookup, ud, false, &b, path, err) < 0) {
            *bad = true;
        } else if (sw_buf_error(&b)) {
            sw_error_set(err, SW_ENOMEM, "out of memory rendering %s", path);
            *bad = true;
        } else if (!(r = json_stringn(b.data, b.len))) {
            /* JSON strings must be valid UTF-8; only a value with a broken encoding (or an
             * embedded NUL from a default) gets here. */
            sw_error_add(err, path, "rendered value is not valid UTF-8");
            *bad = true;
        }
        sw_buf_release(&b);
        return r;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            char *sub = sw_path_member(path, k);
            json_t *r = render_value(m, lookup, ud, sub, err, bad);
            free(sub);
            if (r && json_object_set_new(o, k, r) < 0) {
                *bad = true;
            }
        }
        if (*bad) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(v); i++) {
            char *sub = sw_asprintf("%s[%zu]", path, i);
            json_t *r = render_value(json_array_get(v, i), lookup, ud, sub, err, bad);
            free(sub);
            if (r && json_array_append_new(a, r) < 0) {
                *bad = true;
            }
        }
        if (*bad) {
            json_decref(a);
            return NULL;
        }
        return a;
    }
    return json_deep_copy(v);
}

json_t *sw_render_json(const json_t *data, sw_render_lookup lookup, void *ud, const char *path,
                       struct sw_error *err)
{
    bool bad = false;
    if (!data) {
        return json_null();
    }
    json_t *r = render_value(data, lookup, ud, path ? path : "$", err, &bad);
    if (bad) {
        json_decref(r);
        if (err && err->code == 0) {
            sw_error_set(err, SW_ENOMEM, "out of memory");
        }
        return NULL;
    }
    if (!r) {
        sw_error_set(err, SW_ENOMEM, "out of memory");
    }
    return r;
}
