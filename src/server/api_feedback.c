/*
 * api_feedback.c - POST /feedback (editor): a bounce or complaint, for providers' webhooks and
 * MTAs that post. Either {"raw": "<the whole report, RFC 3464 or RFC 5965>"} or one item
 * {"type": "bounce" | "complaint", "bounce_type": "hard" | "soft", "recipient", "message_id",
 * "status", "diagnostic"}. Recorded and acted upon like `stepwise feedback`
 * (channels/feedback.h); 200 with one object per recipient.
 */
#include "channels/feedback.h"
#include "core/clock.h"
#include "core/util.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

static json_t *bad(json_t *details, const char *path, const char *msg)
{
    json_array_append_new(details, json_pack("{s:s, s:s}", "path", path, "message", msg));
    return details;
}

void sw_api_feedback(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *body = sw_req_json(a->req, a->resp), *out = NULL, *details = json_array();
    struct sw_feedback_item *items = NULL, one = {SW_FB_OTHER, NULL, NULL, NULL, NULL};
    size_t n = 0;
    const char *raw = NULL;
    if (!body) {
        json_decref(details);
        return;
    }
    static const char *const keys[] = {"raw",     "type",       "bounce_type", "recipient",
                                       "message_id", "status", "diagnostic",  NULL};
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        bool known = false;
        for (int i = 0; keys[i] && !known; i++) {
            known = !strcmp(keys[i], k);
        }
        if (!known) {
            char *p = sw_asprintf("$.%s", k);
            bad(details, p, "unknown field");
            free(p);
        } else if (!json_is_string(v)) {
            char *p = sw_asprintf("$.%s", k);
            bad(details, p, "expected a string");
            free(p);
        }
    }
    raw = json_string_value(json_object_get(body, "raw"));
    const char *type = json_string_value(json_object_get(body, "type"));
    const char *btype = json_string_value(json_object_get(body, "bounce_type"));
    if (!json_array_size(details)) {
        if (raw && type) {
            bad(details, "$.type", "give either raw or type, not both");
        } else if (!raw && !type) {
            bad(details, "$", "expected raw (a whole report) or type (bounce or complaint)");
        } else if (type && strcmp(type, "bounce") && strcmp(type, "complaint")) {
            bad(details, "$.type", "bounce or complaint");
        } else if (type && !strcmp(type, "bounce") &&
                   (!btype || (strcmp(btype, "hard") && strcmp(btype, "soft")))) {
            bad(details, "$.bounce_type", "hard or soft");
        } else if (type && !json_object_get(body, "recipient") &&
                   !json_object_get(body, "message_id")) {
            bad(details, "$.recipient", "a recipient or a message_id is needed");
        }
    }
    if (json_array_size(details)) {
        sw_resp_fail(a->resp, SW_EVALIDATION, "the feedback is not valid", details);
        details = NULL;
        goto out;
    }
    if (raw) {
        if (sw_feedback_parse(raw, strlen(raw), &items, &n, &err) < 0) {
            sw_error_add(&err, "$.raw", "%s", err.message ? err.message : "not a report");
            err.code = SW_EVALIDATION;
            sw_api_error(a, &err);
            goto out;
        }
    } else {
        one.kind = !strcmp(type, "complaint")   ? SW_FB_COMPLAINT
                   : !strcmp(btype, "hard")     ? SW_FB_HARD_BOUNCE
                                                : SW_FB_SOFT_BOUNCE;
        one.recipient = (char *)json_string_value(json_object_get(body, "recipient"));
        one.message_id = (char *)json_string_value(json_object_get(body, "message_id"));
        one.status = (char *)json_string_value(json_object_get(body, "status"));
        one.diagnostic = (char *)json_string_value(json_object_get(body, "diagnostic"));
    }
    if (sw_feedback_record(a->db, raw ? items : &one, raw ? n : 1, "api", raw,
                           a->srv->set->soft_bounce_limit, sw_clock_now_ms(), &out, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    sw_resp_json(a->resp, 200, json_pack("{s:o}", "items", out));
out:
    sw_feedback_items_free(items, n);
    json_decref(details);
    json_decref(body);
    sw_error_release(&err);
}
