/*
 * channel.c - the email, sms and push activities. Their options and personalization
 * fields are validated here when the campaign is saved; deliver.c sends them. A simulation
 * skips them all.
 */
#include "core/util.h"
#include "engine/activities/common.h"
#include "model/template.h"

#include <stdlib.h>
#include <string.h>

static void check_template(struct sw_vctx *v, const char *key)
{
    const char *text = sw_vctx_string(v, v->act->def, key, "", false);
    struct sw_template *t = NULL;
    char *msg = NULL;
    char suffix[64];
    snprintf(suffix, sizeof(suffix), ".%s", key);
    if (!text) {
        return;
    }
    if (sw_template_compile(text, &t, &msg) < 0) {
        sw_vctx_error(v, suffix, "%s", msg);
        free(msg);
        return;
    }
    for (size_t i = 0; i < t->nparts; i++) {
        const char *f = t->parts[i].text;
        if (!t->parts[i].is_field || json_object_get(v->campaign->variables, f) ||
            !strcmp(f, "unsubscribe_url")) { /* made by Stepwise for each message */
            continue;
        }
        if (!sw_shape_col(v->out, f) && v->schema && v->out->dim && !sw_dim_field(v->out->dim, f)) {
            sw_vctx_error(v, suffix, "unknown personalization field \"%s\"", f);
        }
    }
    sw_template_free(t);
}

static void check_common(struct sw_vctx *v)
{
    const char *to = sw_vctx_string(v, v->act->def, "to_field", "", true);
    if (to) {
        sw_vctx_field(v, v->out, to, ".to_field");
    }
    const json_t *rate = json_object_get(v->act->def, "rate_per_second");
    if (rate && (!json_is_number(rate) || json_number_value(rate) <= 0)) {
        sw_vctx_error(v, ".rate_per_second", "must be a positive number");
    }
    const json_t *win = sw_vctx_object(v, v->act->def, "send_window", "", false);
    if (win) {
        static const char *const wkeys[] = {"from", "to", NULL};
        sw_vctx_check_keys(v, win, ".send_window", wkeys);
        for (int i = 0; i < 2; i++) {
            const char *k = wkeys[i];
            const char *s = sw_vctx_string(v, win, k, ".send_window", true);
            int h, m;
            char tail;
            if (s && (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 ||
                      m > 59 || strlen(s) != 5)) {
                char sub[64];
                snprintf(sub, sizeof(sub), ".send_window.%s", k);
                sw_vctx_error(v, sub, "must be a time \"HH:MM\"");
            }
        }
    }
    sw_vctx_bool(v, v->act->def, "confirm_before_send", "", false);
    sw_vctx_string(v, v->act->def, "provider", "", false);
}

static void email_validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"to_field", "from", "reply_to", "subject", "html", "text",
                                       "headers", "rate_per_second", "send_window",
                                       "confirm_before_send", "provider", "tracking", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    check_common(v);
    const json_t *tr = sw_vctx_object(v, v->act->def, "tracking", "", false);
    if (tr) {
        static const char *const tkeys[] = {"opens", "clicks", NULL};
        sw_vctx_check_keys(v, tr, ".tracking", tkeys);
        sw_vctx_bool(v, tr, "opens", ".tracking", false);
        sw_vctx_bool(v, tr, "clicks", ".tracking", false);
    }
    sw_vctx_string(v, v->act->def, "from", "", true);
    sw_vctx_string(v, v->act->def, "reply_to", "", false);
    sw_vctx_string(v, v->act->def, "subject", "", true);
    if (!json_object_get(v->act->def, "html") && !json_object_get(v->act->def, "text")) {
        sw_vctx_error(v, "", "needs html, text or both");
    }
    check_template(v, "subject");
    check_template(v, "html");
    check_template(v, "text");
    const json_t *h = sw_vctx_object(v, v->act->def, "headers", "", false);
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)h, k, val)
    {
        if (!json_is_string(val) || strpbrk(k, ":\r\n ") || strpbrk(json_string_value(val), "\r\n")) {
            char sub[128];
            snprintf(sub, sizeof(sub), ".headers.%s", k);
            sw_vctx_error(v, sub, "must be a header name and a one-line string value");
        }
    }
}

static void sms_validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"to_field", "text", "provider", "rate_per_second",
                                       "send_window", "confirm_before_send", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    check_common(v);
    sw_vctx_string(v, v->act->def, "text", "", true);
    check_template(v, "text");
}

static void push_validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"to_field", "title", "body", "data", "provider",
                                       "rate_per_second", "send_window", "confirm_before_send",
                                       NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    check_common(v);
    sw_vctx_string(v, v->act->def, "title", "", true);
    sw_vctx_string(v, v->act->def, "body", "", false);
    sw_vctx_object(v, v->act->def, "data", "", false);
    check_template(v, "title");
    check_template(v, "body");
}

static char **ports(const struct sw_activity *a)
{
    (void)a;
    return sw_ports_make("out", "failed", NULL);
}

const struct sw_activity_type sw_act_email = {
    "email", SW_ACT_CHANNEL, 1, 1, email_validate, ports, sw_deliver_execute, NULL,
};
const struct sw_activity_type sw_act_sms = {
    "sms", SW_ACT_CHANNEL, 1, 1, sms_validate, ports, sw_deliver_execute, NULL,
};
const struct sw_activity_type sw_act_push = {
    "push", SW_ACT_CHANNEL, 1, 1, push_validate, ports, sw_deliver_execute, NULL,
};
