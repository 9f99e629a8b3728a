/*
 * api_schema.c - GET/PUT/DELETE /schema/hints (admin): the schema hints in force, and hints
 * an admin stores in the catalog in place of the schema_hints file. A PUT is checked against
 * the data source's schema as it is now (422 with every problem at its JSON path, nothing
 * stored); once stored, the schema is discovered again with it. DELETE goes back to the file.
 */
#include "catalog/hints.h"
#include "core/clock.h"
#include "core/util.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

static void hints_json(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *hints = NULL;
    const char *source = "none";
    char *doc = NULL, *by = NULL;
    int64_t at = 0;
    if (sw_server_hints(a->srv, a->db, &hints, &source, &err) < 0 ||
        sw_catalog_hints_get(&a->cat, &doc, &at, &by, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        const char *file = a->srv->set->schema_hints;
        json_t *o = json_pack("{s:s, s:s?, s:o, s:o, s:s?}", "source", source, "file",
                              file && *file ? file : NULL, "hints",
                              hints ? json_incref(hints) : json_null(), "updated_at",
                              doc ? sw_api_ms(at) : json_null(), "updated_by", doc ? by : NULL);
        sw_resp_json(a->resp, 200, o);
    }
    json_decref(hints);
    free(doc);
    free(by);
    sw_error_release(&err);
}

void sw_api_schema_hints_get(struct sw_api *a)
{
    hints_json(a);
}

void sw_api_schema_hints_put(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_schema *check = NULL;
    json_t *body = sw_req_json(a->req, a->resp);
    char *text = NULL;
    if (!body) {
        goto out;
    }
    if (!json_is_object(body)) {
        sw_resp_fail(a->resp, SW_EINVAL, "schema hints: expected a JSON object", NULL);
        goto out;
    }
    /* Checked against the schema as it is now, before anything is stored. */
    if (sw_server_discover(a->srv, a->db, body, &check, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    const char *by = a->who.user[0] ? a->who.user : a->who.token_name[0] ? a->who.token_name : NULL;
    if (!text || sw_catalog_hints_put(&a->cat, text, sw_clock_now_ms(), by, &err) < 0 ||
        sw_server_rediscover(a->srv, a->db, true, NULL, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    hints_json(a);
out:
    sw_schema_free(check);
    free(text);
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_schema_hints_delete(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    if (sw_catalog_hints_delete(&a->cat, &err) < 0) {
        sw_api_error(a, &err);
    } else if (sw_server_rediscover(a->srv, a->db, true, NULL, &err) < 0) {
        /* The file no longer fits the schema: said, and the schema in use stays. */
        sw_api_error(a, &err);
    } else {
        hints_json(a);
    }
    sw_error_release(&err);
}
