/*
 * api_campaigns.c - /campaigns: the list (filters, sort, keyset cursor), CRUD, duplicate,
 * lifecycle actions, simulate, trigger, schedule preview, run history and logs.
 */
#include "catalog/campaigns.h"
#include "catalog/logs.h"
#include "catalog/templates.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activity.h"
#include "model/campaign.h"
#include "model/schedule.h"
#include "runs/service.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

/* ---- list ---- */

/* The list's page size: default and maximum; offset's maximum (deeper pages take the cursor);
 * the longest search. */
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX     500
#define LIST_OFFSET_MAX    100000
#define LIST_Q_MAX         200

static int bad_param(struct sw_api *a, const char *name, const char *msg)
{
    sw_resp_bad_param(a->resp, name, "%s", msg);
    return -1;
}

static int time_param(struct sw_api *a, const char *name, int64_t *ms)
{
    const char *v = sw_req_query(a->req, name);
    *ms = 0;
    if (v && sw_clock_parse_iso(v, ms) < 0) {
        return bad_param(a, name, "expected an ISO-8601 date or date-time");
    }
    return 0;
}

/* The query parameters of GET /campaigns as a catalog query: 0, or -1 with a 400 set. */
static int list_params(struct sw_api *a, struct sw_page *pg, struct sw_campaign_query *q)
{
    static const char *const names[] = {"q",   "status",         "campaign",     "dimension",
                                        "tag", "processed_from", "processed_to", "sort",
                                        "order", NULL};
    const char *sort = sw_req_query(a->req, "sort");
    const char *order = sw_req_query(a->req, "order");
    const char *offset = sw_req_query(a->req, "offset");
    memset(q, 0, sizeof(*q));
    q->q = sw_req_query(a->req, "q");
    q->status = sw_req_query(a->req, "status");
    q->campaign = sw_req_query(a->req, "campaign");
    q->dimension = sw_req_query(a->req, "dimension");
    q->tag = sw_req_query(a->req, "tag");
    q->sort = SW_CAMPAIGN_SORT_UPDATED_AT;
    if (sort && sw_campaign_sort_parse(sort, &q->sort) < 0) {
        return bad_param(a, "sort", "expected one of name, status, last_run_at, next_run_at, "
                                    "updated_at, created_at");
    }
    q->desc = order ? !strcmp(order, "desc") : sw_campaign_sort_is_time(q->sort);
    if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
        return bad_param(a, "order", "expected asc or desc");
    }
    if (sw_api_page_begin(a, names, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, pg) < 0) {
        return -1;
    }
    q->limit = pg->limit;
    if (pg->after) {
        const json_t *v = sw_api_page_value(pg);
        if (!v) {
            return bad_param(a, "cursor", "not a cursor returned by this list");
        }
        q->after = true;
        q->after_text = json_string_value(v);
        q->after_int = json_integer_value(v);
        q->after_id = sw_api_page_id(pg);
    }
    if (sw_api_enum_param(a, "status", sw_campaign_status_texts, true) < 0) {
        return -1;
    }
    if (offset && (sw_parse_int64(offset, &q->offset) < 0 || q->offset < 0 ||
                   q->offset > LIST_OFFSET_MAX)) {
        return bad_param(a, "offset",
                         "expected an integer between 0 and 100000 (use cursor to go deeper)");
    }
    if (time_param(a, "processed_from", &q->processed_from) < 0 ||
        time_param(a, "processed_to", &q->processed_to) < 0) {
        return -1;
    }
    if (q->q && strlen(q->q) > LIST_Q_MAX) {
        return bad_param(a, "q", "at most 200 characters");
    }
    return 0;
}

/* The cursor value of a row: its sort column (a never-run time is 0). */
static json_t *sort_value(const struct sw_campaign_row *r, enum sw_campaign_sort s)
{
    switch (s) {
    case SW_CAMPAIGN_SORT_NAME:
        return json_string(r->name ? r->name : "");
    case SW_CAMPAIGN_SORT_STATUS:
        return json_string(sw_campaign_status_text(r->status));
    case SW_CAMPAIGN_SORT_CREATED_AT:
        return json_integer(r->created_at);
    case SW_CAMPAIGN_SORT_LAST_RUN_AT:
        return json_integer(r->last_run_at);
    case SW_CAMPAIGN_SORT_NEXT_RUN_AT:
        return json_integer(r->next_run_at);
    case SW_CAMPAIGN_SORT_UPDATED_AT:
        break;
    }
    return json_integer(r->updated_at);
}

void sw_api_campaigns_list(struct sw_api *a)
{
    struct sw_page pg = {0};
    struct sw_campaign_query q;
    struct sw_campaign_page page = {0};
    struct sw_error err = SW_ERROR_INIT;
    if (list_params(a, &pg, &q) < 0) {
        goto out;
    }
    if (sw_catalog_campaign_list(&a->cat, &q, &page, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    json_t *items = json_array(), *next = json_null();
    for (size_t i = 0; i < page.n; i++) {
        json_array_append_new(items, sw_campaign_row_json(&page.rows[i]));
    }
    if (page.more && page.n) {
        const struct sw_campaign_row *last = &page.rows[page.n - 1];
        json_t *v = sort_value(last, q.sort);
        json_decref(next);
        next = sw_api_page_next(&pg, v, last->id);
        json_decref(v);
    }
    sw_resp_json(a->resp, 200, json_pack("{s:o, s:I, s:o}", "items", items, "total",
                                         (json_int_t)page.total, "next_cursor", next));
out:
    sw_campaign_page_release(&page);
    sw_api_page_release(&pg);
    sw_error_release(&err);
}

/* ---- create, read, replace, delete, duplicate ---- */

/* Validate a document against the data source; on failure the response is set. */
static struct sw_campaign *validated(struct sw_api *a, json_t *doc)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    struct sw_schema *schema = sw_server_schema(a->srv, a->db);
    if (sw_campaign_from_json(doc, &sw_engine_activities, schema, sw_clock_now_ms(), &c, &err) <
        0) {
        sw_api_error(a, &err);
    }
    sw_schema_free(schema); /* the campaign holds its own reference */
    sw_error_release(&err);
    return c;
}

static void respond_campaign(struct sw_api *a, int status, int64_t id)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *o = NULL;
    if (sw_svc_campaign_json(a->db, id, true, &o, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, status, o);
    }
    sw_error_release(&err);
}

void sw_api_campaigns_create(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *body = sw_req_json(a->req, a->resp);
    struct sw_campaign *c = body ? validated(a, body) : NULL;
    if (c) {
        int64_t id = sw_svc_campaign_insert(a->db, c, &err);
        if (!id) {
            sw_api_error(a, &err);
        } else {
            respond_campaign(a, 201, id);
        }
    }
    sw_campaign_free(c);
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_campaigns_get(struct sw_api *a)
{
    int64_t id = sw_api_id(a, 0);
    if (id) {
        respond_campaign(a, 200, id);
    }
}

/* The campaign's row (without its document): 0, or -1 with the response set (404). */
static int row_of(struct sw_api *a, int64_t id, bool with_document, struct sw_campaign_row *row)
{
    struct sw_error err = SW_ERROR_INIT;
    int rc = sw_catalog_campaign_get(&a->cat, id, with_document, row, &err);
    if (rc == SW_ENOTFOUND) {
        sw_api_not_found(a, "campaign", id);
    } else if (rc < 0) {
        sw_api_error(a, &err);
    }
    sw_error_release(&err);
    return rc < 0 ? -1 : 0;
}

static void conflict(struct sw_api *a, const char *what, enum sw_campaign_status status)
{
    const char *text = sw_campaign_status_text(status);
    char *m = sw_asprintf("cannot %s a campaign that is %s", what, text);
    json_t *d = json_pack("[{s:s, s:s}]", "path", "status", "message", text);
    sw_resp_fail(a->resp, SW_ECONFLICT, m, d);
    free(m);
}

void sw_api_campaigns_put(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    struct sw_campaign_row row = {0};
    struct sw_campaign_fields f = {0};
    char *tags = NULL, *document = NULL;
    json_t *body = NULL;
    struct sw_campaign *c = NULL;
    bool changed = false;
    if (!id || row_of(a, id, false, &row) < 0) {
        goto out;
    }
    if (row.status == SW_CAMPAIGN_STATUS_RUNNING) {
        conflict(a, "edit", row.status);
        goto out;
    }
    if (!(body = sw_req_json(a->req, a->resp)) || !(c = validated(a, body))) {
        goto out;
    }
    sw_svc_campaign_fields(c, &f, &tags, &document);
    /* A schedule is armed by start/resume: an edit disarms a stale next_run_at. */
    if (sw_catalog_campaign_update(&a->cat, id, &f, sw_clock_now_ms(), &changed, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        respond_campaign(a, 200, id);
    }
out:
    sw_campaign_row_release(&row);
    sw_campaign_free(c);
    json_decref(body);
    free(tags);
    free(document);
    sw_error_release(&err);
}

void sw_api_campaigns_delete(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    struct sw_campaign_row row = {0};
    if (!id || row_of(a, id, false, &row) < 0) {
        goto out;
    }
    if (row.status == SW_CAMPAIGN_STATUS_RUNNING) {
        conflict(a, "delete", row.status);
        goto out;
    }
    /* Work tables of its runs first (kept ones too), then the rows, in one transaction. */
    sw_svc_drop_campaign_tables(a->db, id, 0);
    int rc = sw_db_begin(a->db, &err);
    if (rc == 0) {
        rc = sw_catalog_campaign_delete(&a->cat, id, &err);
    }
    if (rc == 0) {
        rc = sw_db_commit(a->db, &err);
    }
    if (rc < 0) {
        sw_db_rollback(a->db);
        sw_api_error(a, &err);
    } else {
        a->resp->status = 204;
    }
out:
    sw_campaign_row_release(&row);
    sw_error_release(&err);
}

/* "<name> (copy)", then "(copy 2)", ...: the first free one. */
static char *copy_name(struct sw_api *a, const char *name)
{
    for (int n = 1; n < 10000; n++) {
        char *cand = n == 1 ? sw_asprintf("%s (copy)", name) : sw_asprintf("%s (copy %d)", name, n);
        if (!sw_catalog_campaign_name_used(&a->cat, cand)) {
            return cand;
        }
        free(cand);
    }
    return sw_asprintf("%s (copy %lld)", name, (long long)sw_clock_now_ms());
}

/* A stored document with its name replaced. */
static json_t *renamed(const char *document, const char *name)
{
    json_t *doc = json_loads(document, 0, NULL);
    if (doc) {
        json_object_set_new(doc, "name", json_string(name));
        json_object_del(doc, "id");
        json_object_del(doc, "status");
    }
    return doc;
}

void sw_api_campaigns_duplicate(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0), nid = 0;
    struct sw_campaign_row row = {0};
    char *copy = NULL, *text = NULL;
    json_t *doc = NULL;
    if (!id || row_of(a, id, true, &row) < 0) {
        goto out;
    }
    copy = copy_name(a, row.name);
    doc = renamed(row.document, copy);
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    /* The copy is a draft of the same definition: stored as it is, even if the data source
     * changed since (it is validated again when it is started). */
    int rc = sw_catalog_campaign_copy(&a->cat, id, copy, text, sw_clock_now_ms(), &nid, &err);
    if (rc < 0 || !nid) {
        sw_api_error(a, &err);
    } else {
        respond_campaign(a, 201, nid);
    }
out:
    json_decref(doc);
    sw_campaign_row_release(&row);
    free(text);
    free(copy);
    sw_error_release(&err);
}

/* ---- lifecycle ---- */

/* POST /campaigns/{id}/<action>: the lifecycle actions (start, run-now, pause, resume, stop,
 * retry), named by the path's last segment, which the route table matched; the run service
 * holds what each one may do and from which statuses. */
void sw_api_campaigns_action(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    const char *what = strrchr(a->req->path, '/') + 1;
    int64_t id = sw_api_id(a, 0);
    json_t *out = NULL;
    if (!id) {
        return;
    }
    if (sw_svc_action(&a->srv->svc, a->db, id, what, &out, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 200, out);
    }
    sw_error_release(&err);
}

/* {"variables": {...}} from an optional body; NULL with the response set on error. */
static bool body_variables(struct sw_api *a, json_t **body, const json_t **vars)
{
    *body = NULL;
    *vars = NULL;
    if (a->req->body.len == 0) {
        return true;
    }
    if (!(*body = sw_req_json(a->req, a->resp))) {
        return false;
    }
    *vars = json_object_get(*body, "variables");
    if (*vars && !json_is_object(*vars)) {
        json_t *d = json_pack("[{s:s, s:s}]", "path", "$.variables", "message", "must be an object");
        sw_resp_fail(a->resp, SW_EVALIDATION, "variables must be an object", d);
        return false;
    }
    return true;
}

void sw_api_campaigns_simulate(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    json_t *body = NULL, *result = NULL;
    const json_t *vars = NULL;
    if (id && body_variables(a, &body, &vars)) {
        if (sw_svc_simulate(&a->srv->svc, a->db, id, vars, &result, &err) < 0) {
            sw_api_error(a, &err);
        } else {
            sw_resp_json(a->resp, 200, result);
        }
    }
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_campaigns_trigger(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0), run_id = 0;
    json_t *body = NULL;
    const json_t *vars = NULL;
    if (id && body_variables(a, &body, &vars)) {
        if (sw_svc_start_run(&a->srv->svc, a->db, id, "signal", vars, &run_id, &err) < 0) {
            sw_api_error(a, &err);
        } else {
            sw_resp_json(a->resp, 202, json_pack("{s:I, s:s}", "run_id", (json_int_t)run_id,
                                                 "status",
                                                 sw_run_status_text(SW_RUN_STATUS_RUNNING)));
        }
    }
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_campaigns_preview(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    struct sw_campaign_row row = {0};
    json_t *doc = NULL;
    struct sw_schedule *s = NULL;
    if (!id || row_of(a, id, true, &row) < 0) {
        goto out;
    }
    if (!(doc = json_loads(row.document, 0, NULL))) {
        sw_api_not_found(a, "campaign", id);
        goto out;
    }
    const char *tz = json_string_value(json_object_get(doc, "timezone"));
    if (sw_schedule_parse(json_object_get(doc, "schedule"), tz, &s, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    const char *from_s = sw_req_query(a->req, "from");
    int64_t from = sw_clock_now_ms();
    if (from_s && sw_clock_parse_iso(from_s, &from) < 0) {
        bad_param(a, "from", "expected an ISO-8601 date-time");
        goto out;
    }
    sw_resp_json(a->resp, 200,
                 json_pack("{s:s, s:o}", "timezone", tz ? tz : "UTC", "next",
                           sw_schedule_preview(s, from, 10)));
out:
    sw_schedule_free(s);
    json_decref(doc);
    sw_campaign_row_release(&row);
    sw_error_release(&err);
}

/* ---- history ---- */

/* The list's page sizes: default and maximum. */
#define RUNS_LIMIT_DEFAULT 50
#define RUNS_LIMIT_MAX     500
#define LOGS_LIMIT_DEFAULT 200
#define LOGS_LIMIT_MAX     1000

static json_t *run_item(const void *row)
{
    return sw_api_run_json(row);
}

static int64_t run_id(const void *row)
{
    return ((const struct sw_run_row *)row)->id;
}

void sw_api_campaigns_runs(struct sw_api *a)
{
    static const char *const names[] = {"status", NULL};
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    struct sw_campaign_row row = {0};
    struct sw_run_row *runs = NULL;
    size_t n = 0;
    struct sw_page pg = {0};
    if (!id || row_of(a, id, false, &row) < 0 ||
        sw_api_enum_param(a, "status", sw_run_status_texts, true) < 0 ||
        sw_api_page_begin(a, names, RUNS_LIMIT_DEFAULT, RUNS_LIMIT_MAX, &pg) < 0) {
        goto out;
    }
    if (sw_catalog_runs_of_campaign(&a->cat, id, sw_req_query(a->req, "status"),
                                    pg.after ? sw_api_page_id(&pg) : 0, pg.limit + 1, &runs, &n,
                                    &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    struct sw_api_rows r = {runs, sizeof(*runs), n, run_item, run_id, NULL};
    sw_api_page_rows(a, &pg, &r);
out:
    sw_run_rows_free(runs, n);
    sw_campaign_row_release(&row);
    sw_api_page_release(&pg);
    sw_error_release(&err);
}

static int64_t log_id(const void *row)
{
    return ((const struct sw_log_row *)row)->id;
}

static json_t *log_json(const void *row)
{
    const struct sw_log_row *r = row;
    return json_pack("{s:I, s:o, s:s, s:o, s:s?, s:s}", "id", (json_int_t)r->id, "time",
                     sw_api_ms(r->ts), "level", r->level, "run_id",
                     r->run_id ? json_integer(r->run_id) : json_null(), "activity", r->activity,
                     "message", r->message);
}

void sw_api_campaigns_logs(struct sw_api *a)
{
    static const char *const names[] = {"run", "level", "activity", NULL};
    static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    const char *run_s = sw_req_query(a->req, "run");
    struct sw_log_query q = {
        .campaign_id = id,
        .levels = sw_req_query(a->req, "level"),
        .activity = sw_req_query(a->req, "activity"),
    };
    struct sw_log_row *logs = NULL;
    size_t n = 0;
    struct sw_page pg = {0};
    struct sw_campaign_row row = {0};
    if (!id || row_of(a, id, false, &row) < 0) {
        goto out;
    }
    if (run_s && (sw_parse_int64(run_s, &q.run_id) < 0 || q.run_id <= 0)) {
        bad_param(a, "run", "expected a run id");
        goto out;
    }
    if (q.activity && !sw_valid_id(q.activity)) {
        bad_param(a, "activity", "expected an activity id ([A-Za-z0-9_-]{1,64})");
        goto out;
    }
    if (sw_api_enum_param(a, "level", levels, true) < 0 ||
        sw_api_page_begin(a, names, LOGS_LIMIT_DEFAULT, LOGS_LIMIT_MAX, &pg) < 0) {
        goto out;
    }
    q.before_id = pg.after ? sw_api_page_id(&pg) : 0;
    q.limit = pg.limit + 1;
    if (sw_catalog_logs(&a->cat, &q, &logs, &n, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    struct sw_api_rows r = {logs, sizeof(*logs), n, log_json, log_id, NULL};
    sw_api_page_rows(a, &pg, &r);
out:
    sw_log_rows_free(logs, n);
    sw_campaign_row_release(&row);
    sw_api_page_release(&pg);
    sw_error_release(&err);
}

/* ---- templates from campaigns ---- */

void sw_api_campaigns_save_template(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0), tid = 0;
    struct sw_campaign_row row = {0};
    json_t *body = NULL, *doc = NULL;
    char *text = NULL;
    if (!id || row_of(a, id, true, &row) < 0) {
        goto out;
    }
    if (a->req->body.len && !(body = sw_req_json(a->req, a->resp))) {
        goto out;
    }
    const char *tname = json_string_value(json_object_get(body, "name"));
    const char *name = tname ? tname : row.name;
    doc = renamed(row.document, name);
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (sw_catalog_template_save(&a->cat, &tid, name,
                                 json_string_value(json_object_get(doc, "description")), text,
                                 sw_clock_now_ms(), &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 201, json_pack("{s:I, s:s, s:O}", "id", (json_int_t)tid, "name",
                                             name, "document", doc));
    }
out:
    free(text);
    json_decref(doc);
    json_decref(body);
    sw_campaign_row_release(&row);
    sw_error_release(&err);
}
