/*
 * api_templates.c - /templates: reusable campaign skeletons (a document without runs).
 * Templates are checked for structure when saved (they may be meant for another data
 * source); a campaign made from one is validated against this data source.
 */
#include "core/clock.h"
#include "core/util.h"
#include "engine/activity.h"
#include "model/campaign.h"
#include "runs/service.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

static json_t *template_json(struct sw_stmt *st, bool with_document)
{
    json_t *o = json_pack("{s:I, s:s, s:s?, s:o, s:o}", "id", (json_int_t)sw_stmt_column_int(st, 0),
                          "name", sw_stmt_column_text(st, 1), "description",
                          sw_stmt_column_text(st, 2), "created_at",
                          sw_api_ms(sw_stmt_column_int(st, 4)), "updated_at",
                          sw_api_ms(sw_stmt_column_int(st, 5)));
    if (with_document) {
        const char *d = sw_stmt_column_text(st, 3);
        json_t *doc = d ? json_loads(d, 0, NULL) : NULL;
        json_object_set_new(o, "document", doc ? doc : json_null());
    }
    return o;
}

static json_t *load_template(struct sw_api *a, int64_t id)
{
    struct sw_stmt *st = NULL;
    json_t *t = NULL;
    if (sw_db_prepare(a->db, "SELECT id, name, description, document, created_at, updated_at "
                             "FROM sw_templates WHERE id = ?1",
                      &st, NULL) == 0) {
        sw_stmt_bind_int(st, 1, id);
        if (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
            t = template_json(st, true);
        }
    }
    sw_stmt_finalize(st);
    if (!t) {
        sw_api_not_found(a, "template", id);
    }
    return t;
}

static json_t *template_item(struct sw_stmt *st)
{
    return template_json(st, false);
}

void sw_api_templates_list(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    struct sw_page pg = {0};
    if (sw_api_page_begin(a, NULL, 50, 500, &pg) < 0) {
        goto out;
    }
    /* By name, then id (names need not be unique). */
    sw_params_add_text_or_null(&p, json_string_value(sw_api_page_value(&pg)));
    sw_params_add_int(&p, sw_api_page_id(&pg));
    sw_params_add_int(&p, pg.limit + 1);
    if (sw_db_prepare(a->db, "SELECT id, name, description, document, created_at, updated_at "
                             "FROM sw_templates WHERE ?1 IS NULL OR (name, id) > (?1, ?2) "
                             "ORDER BY name, id LIMIT ?3",
                      &st, &err) < 0 ||
        sw_stmt_bind_params(st, &p, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    sw_api_page_answer(a, &pg, st, 1, template_item);
out:
    sw_stmt_finalize(st);
    sw_params_release(&p);
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
    struct sw_params p = SW_PARAMS_INIT;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    const char *desc = json_string_value(json_object_get(doc, "description"));
    int64_t out = id;
    sw_params_add_text(&p, json_string_value(json_object_get(doc, "name")));
    sw_params_add_text_or_null(&p, desc);
    sw_params_add_text(&p, text);
    sw_params_add_int(&p, sw_clock_now_ms());
    sw_params_add_int(&p, id);
    int rc = id ? sw_db_exec_params(a->db,
                                    "UPDATE sw_templates SET name = ?1, description = ?2, "
                                    "document = ?3, updated_at = ?4 WHERE id = ?5",
                                    &p, NULL, err)
                : sw_db_exec_params(a->db,
                                    "INSERT INTO sw_templates(name, description, document, "
                                    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                                    &p, NULL, err);
    if (rc == 0 && !id) {
        sw_db_query_int(a->db, "SELECT last_insert_rowid()", NULL, &out, err);
    }
    sw_params_release(&p);
    free(text);
    return rc < 0 ? 0 : out;
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
        struct sw_params p = SW_PARAMS_INIT;
        sw_params_add_int(&p, id);
        if (sw_db_exec_params(a->db, "DELETE FROM sw_templates WHERE id = ?1", &p, NULL, &err) < 0) {
            sw_api_error(a, &err);
        } else {
            a->resp->status = 204;
        }
        sw_params_release(&p);
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
