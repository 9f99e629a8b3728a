/*
 * api_suppressions.c - the suppression list (catalog/suppressions.h): GET /suppressions (search
 * by address prefix, filter by channel and reason, paging), POST /suppressions (editor: add;
 * suppressing only ever sends less), DELETE /suppressions/{address} (admin: lift, on every
 * channel or on ?channel=).
 */
#include "catalog/suppressions.h"
#include "core/clock.h"
#include "core/util.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

static json_t *item_json(const struct sw_suppression_row *r)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)r->id, "channel", r->channel,
                          "address", r->address, "reason", r->reason);
    json_object_set_new(o, "detail", r->detail ? json_string(r->detail) : json_null());
    json_object_set_new(o, "delivery_id",
                        r->delivery_id ? json_integer(r->delivery_id) : json_null());
    json_object_set_new(o, "created_at", sw_api_ms(r->created_at));
    json_object_set_new(o, "created_by", r->created_by ? json_string(r->created_by) : json_null());
    return o;
}

void sw_api_suppressions_list(struct sw_api *a)
{
    static const char *const names[] = {"q", "channel", "reason", NULL};
    struct sw_page pg;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_suppression_row *rows = NULL;
    size_t n = 0;
    json_t *items = NULL, *next = NULL;
    if (sw_api_enum_param(a, "channel", sw_suppress_channels, false) < 0 ||
        sw_api_enum_param(a, "reason", sw_suppress_reasons, false) < 0 ||
        sw_api_page_begin(a, names, 100, 1000, &pg) < 0) {
        return;
    }
    const char *q = sw_req_query(a->req, "q");
    char *prefix = NULL;
    if (q && *q) {
        prefix = sw_strdup(q);
        for (char *c = prefix; *c; c++) {
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        }
    }
    struct sw_suppression_query sq = {prefix,
                                      sw_req_query(a->req, "channel"),
                                      sw_req_query(a->req, "reason"),
                                      json_string_value(sw_api_page_value(&pg)),
                                      sw_api_page_id(&pg),
                                      pg.limit + 1};
    if (sw_suppress_page(a->db, &sq, &rows, &n, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i == (size_t)pg.limit) {
            json_t *v = json_string(rows[i - 1].address_key);
            next = sw_api_page_next(&pg, v, rows[i - 1].id);
            json_decref(v);
            break;
        }
        json_array_append_new(items, item_json(&rows[i]));
    }
    sw_resp_json(a->resp, 200, sw_api_page_json(items, next));
out:
    sw_suppression_rows_free(rows, n);
    free(prefix);
    sw_api_page_release(&pg);
    sw_error_release(&err);
}

void sw_api_suppressions_add(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *body = sw_req_json(a->req, a->resp);
    if (!body) {
        return;
    }
    const json_t *addr = json_object_get(body, "address");
    const json_t *ch = json_object_get(body, "channel");
    const json_t *why = json_object_get(body, "reason");
    const json_t *detail = json_object_get(body, "detail");
    json_t *details = json_array();
    const char *k;
    json_t *x;
    json_object_foreach(body, k, x)
    {
        if (strcmp(k, "address") && strcmp(k, "channel") && strcmp(k, "reason") &&
            strcmp(k, "detail")) {
            char *path = sw_asprintf("$.%s", k);
            json_array_append_new(details, json_pack("{s:s, s:s}", "path", path, "message",
                                                     "unknown field"));
            free(path);
        }
    }
    if (!json_is_string(addr) || !*json_string_value(addr)) {
        json_array_append_new(details, json_pack("{s:s, s:s}", "path", "$.address", "message",
                                                 "required: the address to suppress"));
    }
    if (ch && !sw_suppress_channel_valid(json_string_value(ch))) {
        json_array_append_new(details, json_pack("{s:s, s:s}", "path", "$.channel", "message",
                                                 "email, sms or push"));
    }
    if (why && !sw_suppress_reason_valid(json_string_value(why))) {
        json_array_append_new(details, json_pack("{s:s, s:s}", "path", "$.reason", "message",
                                                 "unsubscribe, hard_bounce, complaint, "
                                                 "soft_bounces, manual or import"));
    }
    if (detail && !json_is_string(detail)) {
        json_array_append_new(details, json_pack("{s:s, s:s}", "path", "$.detail", "message",
                                                 "a string"));
    }
    if (json_array_size(details)) {
        sw_resp_fail(a->resp, SW_EVALIDATION, "the suppression is not valid", details);
        json_decref(body);
        return;
    }
    json_decref(details);
    const char *by = a->who.user[0] ? a->who.user : a->who.token_name[0] ? a->who.token_name : NULL;
    struct sw_suppression s = {0,
                               ch ? json_string_value(ch) : "email",
                               json_string_value(addr),
                               why ? json_string_value(why) : "manual",
                               detail ? json_string_value(detail) : NULL,
                               0,
                               sw_clock_now_ms(),
                               by};
    bool added = false;
    if (sw_suppress_add(a->db, &s, &added, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        struct sw_suppression_row row;
        if (sw_suppress_get(a->db, s.channel, s.address, &row, &err) == 0) {
            json_t *o = item_json(&row);
            json_object_set_new(o, "added", json_boolean(added));
            sw_resp_json(a->resp, added ? 201 : 200, o);
        } else {
            sw_api_error(a, &err);
        }
        sw_suppression_row_release(&row);
    }
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_suppressions_delete(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    const char *address = a->req->nparams > 0 ? a->req->params[0] : "";
    const char *channel = sw_req_query(a->req, "channel");
    int64_t removed = 0;
    if (sw_api_enum_param(a, "channel", sw_suppress_channels, false) < 0) {
        return;
    }
    if (sw_suppress_remove(a->db, channel, address, &removed, &err) < 0) {
        sw_api_error(a, &err);
    } else if (!removed) {
        sw_resp_fail(a->resp, SW_ENOTFOUND, "this address is not suppressed", NULL);
    } else {
        a->resp->status = 204;
    }
    sw_error_release(&err);
}
