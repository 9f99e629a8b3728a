/*
 * api_suppressions.c - the suppression list (channels/suppress.h): GET /suppressions (search
 * by address prefix, filter by channel and reason, paging), POST /suppressions (editor: add;
 * suppressing only ever sends less), DELETE /suppressions/{address} (admin: lift, on every
 * channel or on ?channel=).
 */
#include "channels/suppress.h"
#include "core/clock.h"
#include "core/util.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

static const char *const channel_values[] = {"email", "sms", "push", NULL};
static const char *const reason_values[] = {"unsubscribe", "hard_bounce", "complaint",
                                            "soft_bounces", "manual", "import", NULL};

static json_t *item_json(struct sw_stmt *st)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)sw_stmt_column_int(st, 0),
                          "channel", sw_stmt_column_text(st, 1), "address",
                          sw_stmt_column_text(st, 2), "reason", sw_stmt_column_text(st, 3));
    const char *detail = sw_stmt_column_text(st, 4), *by = sw_stmt_column_text(st, 7);
    json_object_set_new(o, "detail", detail ? json_string(detail) : json_null());
    json_object_set_new(o, "delivery_id", sw_stmt_column_type(st, 5) == SW_V_NULL
                                              ? json_null()
                                              : json_integer(sw_stmt_column_int(st, 5)));
    json_object_set_new(o, "created_at", sw_api_ms(sw_stmt_column_int(st, 6)));
    json_object_set_new(o, "created_by", by ? json_string(by) : json_null());
    return o;
}

void sw_api_suppressions_list(struct sw_api *a)
{
    static const char *const names[] = {"q", "channel", "reason", NULL};
    struct sw_page pg;
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_api_enum_param(a, "channel", channel_values, false) < 0 ||
        sw_api_enum_param(a, "reason", reason_values, false) < 0 ||
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
    const json_t *v = sw_api_page_value(&pg);
    sw_params_add_text_or_null(&p, json_string_value(v));     /* ?1 */
    sw_params_add_int(&p, sw_api_page_id(&pg));               /* ?2 */
    sw_params_add_int(&p, pg.limit + 1);                      /* ?3 */
    sw_params_add_text_or_null(&p, prefix);                   /* ?4 */
    sw_params_add_text_or_null(&p, sw_req_query(a->req, "channel")); /* ?5 */
    sw_params_add_text_or_null(&p, sw_req_query(a->req, "reason"));  /* ?6 */
    /* A prefix is a range of the address index: address_key >= q AND < q || U+10FFFF. */
    if (sw_db_prepare(a->db,
                      "SELECT id, channel, address, reason, detail, delivery_id, created_at, "
                      "created_by, address_key FROM sw_suppressions WHERE (?1 IS NULL OR "
                      "(address_key, id) > (?1, ?2)) AND (?4 IS NULL OR (address_key >= ?4 AND "
                      "address_key < ?4 || char(1114111))) AND (?5 IS NULL OR channel = ?5) AND "
                      "(?6 IS NULL OR reason = ?6) ORDER BY address_key, id LIMIT ?3",
                      &st, &err) < 0 ||
        sw_stmt_bind_params(st, &p, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    sw_api_page_answer(a, &pg, st, 8, item_json);
out:
    free(prefix);
    sw_stmt_finalize(st);
    sw_params_release(&p);
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
        struct sw_stmt *st = NULL;
        if (sw_db_prepare(a->db,
                          "SELECT id, channel, address, reason, detail, delivery_id, created_at, "
                          "created_by FROM sw_suppressions WHERE channel = ?1 AND address_key = "
                          "lower(trim(?2))",
                          &st, &err) == 0) {
            sw_stmt_bind_text(st, 1, s.channel);
            sw_stmt_bind_text(st, 2, s.address);
            if (sw_stmt_step(st, &err) == SW_STEP_ROW) {
                json_t *o = item_json(st);
                json_object_set_new(o, "added", json_boolean(added));
                sw_resp_json(a->resp, added ? 201 : 200, o);
            } else {
                sw_api_error(a, &err);
            }
        } else {
            sw_api_error(a, &err);
        }
        sw_stmt_finalize(st);
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
    if (sw_api_enum_param(a, "channel", channel_values, false) < 0) {
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
