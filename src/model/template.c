/*
 * template.c - see template.h. A hand-written scanner: the syntax is three token kinds,
 * and a template library (mustache, liquid) would bring rules we do not want, such as
 * sections and partials, and would not report positions the way the validator needs.
 */
#include "model/template.h"
#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void push(struct sw_template *t, bool is_field, bool raw, char *text, char *dflt)
{
    t->parts = sw_realloc(t->parts, (t->nparts + 1) * sizeof(*t->parts));
    t->parts[t->nparts++] = (struct sw_tpl_part){is_field, raw, text, dflt};
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

int sw_template_compile(const char *text, struct sw_template **out, char **errmsg)
{
    struct sw_template *t = sw_calloc(1, sizeof(*t));
    const char *p = text, *lit = text;
    *out = NULL;
    while ((p = strstr(p, "{{")) != NULL) {
        bool raw = p[2] == '{';
        const char *start = p;
        if (p > lit) {
            push(t, false, false, sw_strndup(lit, (size_t)(p - lit)), NULL);
        }
        p = skip_ws(p + (raw ? 3 : 2));
        const char *name = p;
        if (!isalpha((unsigned char)*p) && *p != '_') {
            *errmsg = sw_asprintf("offset %zu: expected a field name after \"{{\"",
                                  (size_t)(start - text));
            goto fail;
        }
        while (isalnum((unsigned char)*p) || *p == '_') {
            p++;
        }
        char *field = sw_strndup(name, (size_t)(p - name));
        char *dflt = NULL;
        p = skip_ws(p);
        if (*p == '|') {
            p = skip_ws(p + 1);
            if (strncmp(p, "default", 7) != 0) {
                *errmsg = sw_asprintf("offset %zu: unknown filter (only \"default\")",
                                      (size_t)(p - text));
                free(field);
                goto fail;
            }
            p = skip_ws(p + 7);
            if (*p == ':') {
                p = skip_ws(p + 1);
            }
            if (*p != '"') {
                *errmsg = sw_asprintf("offset %zu: default needs a quoted string",
                                      (size_t)(p - text));
                free(field);
                goto fail;
            }
            struct sw_buf b = SW_BUF_INIT;
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1]) {
                    p++;
                }
                sw_buf_putc(&b, *p);
            }
            if (*p != '"') {
                *errmsg = sw_asprintf("offset %zu: unterminated string", (size_t)(start - text));
                sw_buf_release(&b);
                free(field);
                goto fail;
            }
            p = skip_ws(p + 1);
            dflt = sw_buf_detach(&b);
        }
        const char *close = raw ? "}}}" : "}}";
        if (strncmp(p, close, strlen(close)) != 0) {
            *errmsg = sw_asprintf("offset %zu: expected \"%s\"", (size_t)(p - text), close);
            free(field);
            free(dflt);
            goto fail;
        }
        p += strlen(close);
        push(t, true, raw, field, dflt);
        lit = p;
    }
    if (*lit) {
        push(t, false, false, sw_strdup(lit), NULL);
    }
    *out = t;
    return 0;
fail:
    sw_template_free(t);
    return -1;
}

void sw_template_free(struct sw_template *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->nparts; i++) {
        free(t->parts[i].text);
        free(t->parts[i].dflt);
    }
    free(t->parts);
    free(t);
}
