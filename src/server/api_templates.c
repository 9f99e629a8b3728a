/*
 * api_templates.c - /templates: reusable campaign skeletons (a document without runs).
 * Templates are checked for structure when saved (they may be meant for another data
 * source); a campaign made from one is validated against this data source.
 */
#include "catalog/templates.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activity.h"
#include "model/campaign.h"
#include "runs/service.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

/* The list's page size: default and maximum. */
#define TEMPLATES_LIMIT_DEFAULT 50
#define TEMPLATES_LIMIT_MAX     500

static json_t *template_json(const void *row)
{
    const struct sw_template_row *t = row;
    json_t *o = json_pack("{s:I, s:s, s:s?, s:o, s:o}", "id", (json_int_t)t->id, "name", t->name,
                          "description", t->description, "created_at", sw_api_ms(t->created_at),
                          "updated_at", sw_api_ms(t->updated_at));
    if (t->document) {
        json_t *doc = json_loads(t->document, 0, NULL);
        json_object_set_new(o, "document", doc ? doc : json_null());
    }
    return o;
}

static int64_t template_id(const void *row) { return ((const struct sw_template_row *)row)->id; }

static json_t *template_name(const void *row)
{
    return json_string(((const struct sw_template_row *)row)->name);
}

static json_t *load_template(struct sw_api *a, int64_t id)
{
    struct sw_template_row t;
    json_t *o = NULL;
    if (sw_catalog_template_get(&a->cat, id, &t, NULL) == 0) {
        o = template_json(&t);
    }
    sw_template_row_release(&t);
    if (!o) {
        sw_api_not_found(a, "template", id);
    }
    return o;
}

void sw_api_templates_list(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_template_row *rows = NULL;
    size_t n = 0;
    struct sw_page pg = {0};
    if (sw_api_page_begin(a, NULL, TEMPLATES_LIMIT_DEFAULT, TEMPLATES_LIMIT_MAX, &pg) < 0) {
        goto out;
    }
    if (sw_catalog_templates(&a->cat, json_string_value(sw_api_page_value(&pg)),
                             sw_api_page_id(&pg), pg.limit + 1, &rows, &n, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    struct sw_api_rows r = {rows, sizeof(*rows), n, template_json, template_id, template_name};
    sw_api_page_rows(a, &pg, &r);
out:
    sw_template_rows_free(rows, n);
    sw_api_page_release(&pg);
    sw_error_release(&err);
}

/* Body → checked template document; NULL with the response set. */
static json_t *template_body(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    json_t *body = sw_req_json(a->req, a->resp);
    if (!body) {
        return NULL;
    }
    if (sw_campaign_from_json(body, &sw_engine_activities, NULL, sw_clock_now_ms(), &c, &err) < 0) {
        sw_api_error(a, &err);
        json_decref(body);
        body = NULL;
    }
    sw_campaign_free(c);
    sw_error_release(&err);
    return body;
}

static int64_t save(struct sw_api *a, int64_t id, const json_t *doc, struct sw_error *err)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = sw_catalog_template_save(&a->cat, &id, json_string_value(json_object_get(doc, "name")),
                                      json_string_value(json_object_get(doc, "description")), text,
                                      sw_clock_now_ms(), err);
    free(text);
    return rc < 0 ? 0 : id;
}

void sw_api_templates_create(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *doc = template_body(a);
    int64_t id = doc ? save(a, 0, doc, &err) : 0;
    if (doc && !id) {
        sw_api_error(a, &err);
    } else if (id) {
        json_t *t = load_template(a, id);
        if (t) {
            sw_resp_json(a->resp, 201, t);
        }
    }
    json_decref(doc);
    sw_error_release(&err);
}

void sw_api_templates_get(struct sw_api *a)
{
    int64_t id = sw_api_id(a, 0);
    json_t *t = id ? load_template(a, id) : NULL;
    if (t) {
        sw_resp_json(a->resp, 200, t);
    }
}

void sw_api_templates_put(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    json_t *t = id ? load_template(a, id) : NULL;
    json_t *doc = t ? template_body(a) : NULL;
    if (doc) {
        if (!save(a, id, doc, &err)) {
            sw_api_error(a, &err);
        } else {
            json_t *n = load_template(a, id);
            if (n) {
                sw_resp_json(a->resp, 200, n);
            }
        }
    }
    json_decref(doc);
    json_decref(t);
    sw_error_release(&err);
}

void sw_api_templates_delete(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    json_t *t = id ? load_template(a, id) : NULL;
    if (t) {
        if (sw_catalog_template_delete(&a->cat, id, &err) < 0) {
            sw_api_error(a, &err);
        } else {
            a->resp->status = 204;
        }
    }
    json_decref(t);
    sw_error_release(&err);
}

void sw_api_templates_instantiate(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0), cid = 0;
    json_t *t = id ? load_template(a, id) : NULL;
    json_t *body = NULL, *doc = NULL;
    struct sw_campaign *c = NULL;
    if (!t) {
        goto out;
    }
    if (a->req->body.len && !(body = sw_req_json(a->req, a->resp))) {
        goto out;
    }
    doc = json_deep_copy(json_object_get(t, "document"));
    const char *name = json_string_value(json_object_get(body, "name"));
    if (name) {
        json_object_set_new(doc, "name", json_string(name));
    }
    struct sw_schema *schema = sw_server_schema(a->srv, a->db);
    int loaded =
        sw_campaign_from_json(doc, &sw_engine_activities, schema, sw_clock_now_ms(), &c, &err);
    sw_schema_free(schema); /* the campaign holds its own reference */
    if (loaded < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    cid = sw_svc_campaign_insert(a->db, c, &err);
    int rc = cid ? 0 : SW_EDB;
    json_t *out = NULL;
    if (rc < 0 || sw_svc_campaign_json(a->db, cid, true, &out, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 201, out);
    }
out:
    sw_campaign_free(c);
    json_decref(doc);
    json_decref(body);
    json_decref(t);
    sw_error_release(&err);
}
