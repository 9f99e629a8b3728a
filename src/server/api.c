/*
 * api.c - the route table, authentication and dispatch, and the small endpoints: health,
 * metrics, OpenAPI, dimensions, audiences (sessions, preferences: api_session.c; the event
 * feed: events.c).
 */
#include "server/api.h"
#include "catalog/ledger.h"
#include "catalog/audiences.h"
#include "server/ui.h"
#include "server/events.h"
#include "core/clock.h"
#include "core/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define V1 "/api/v1"

const struct sw_route sw_routes[] = {
    {"GET", "/", SW_ROLE_NONE, sw_ui_serve, "Web UI"},
    {"GET", "/healthz", SW_ROLE_NONE, sw_api_healthz, "Liveness"},
    {"GET", V1 "/healthz", SW_ROLE_NONE, sw_api_healthz, "Liveness"},
    {"GET", "/metrics", SW_ROLE_NONE, sw_api_metrics, "Prometheus metrics"},
    {"GET", V1 "/metrics", SW_ROLE_NONE, sw_api_metrics, "Prometheus metrics"},
    {"GET", V1 "/openapi.json", SW_ROLE_NONE, sw_api_openapi, "This document"},
    {"GET", V1 "/schemas/campaign.json", SW_ROLE_NONE, sw_api_campaign_schema, "Campaign JSON Schema"},
    {"POST", V1 "/session", SW_ROLE_NONE, sw_api_session_signin, "Sign in (sets the session cookie)"},
    {"GET", V1 "/session", SW_ROLE_VIEWER, sw_api_session_get, "Who is signed in"},
    {"DELETE", V1 "/session", SW_ROLE_NONE, sw_api_session_signout, "Sign out"},
    {"GET", V1 "/me/preferences", SW_ROLE_VIEWER, sw_api_preferences_get, "Your UI preferences"},
    {"PUT", V1 "/me/preferences", SW_ROLE_VIEWER, sw_api_preferences_put, "Replace your UI preferences"},
    {"GET", V1 "/events", SW_ROLE_VIEWER, sw_api_events, "Live feed (Server-Sent Events)"},
    {"GET", V1 "/campaigns", SW_ROLE_VIEWER, sw_api_campaigns_list, "List campaigns"},
    {"POST", V1 "/campaigns", SW_ROLE_EDITOR, sw_api_campaigns_create, "Create a draft campaign"},
    {"GET", V1 "/campaigns/{id}", SW_ROLE_VIEWER, sw_api_campaigns_get, "Read a campaign"},
    {"PUT", V1 "/campaigns/{id}", SW_ROLE_EDITOR, sw_api_campaigns_put, "Replace a campaign"},
    {"DELETE", V1 "/campaigns/{id}", SW_ROLE_EDITOR, sw_api_campaigns_delete, "Delete a campaign"},
    {"POST", V1 "/campaigns/{id}/duplicate", SW_ROLE_EDITOR, sw_api_campaigns_duplicate, "Duplicate"},
    {"POST", V1 "/campaigns/{id}/start", SW_ROLE_EDITOR, sw_api_campaigns_action, "Start"},
    {"POST", V1 "/campaigns/{id}/run-now", SW_ROLE_EDITOR, sw_api_campaigns_action, "Run now"},
    {"POST", V1 "/campaigns/{id}/pause", SW_ROLE_EDITOR, sw_api_campaigns_action, "Pause"},
    {"POST", V1 "/campaigns/{id}/resume", SW_ROLE_EDITOR, sw_api_campaigns_action, "Resume"},
    {"POST", V1 "/campaigns/{id}/stop", SW_ROLE_EDITOR, sw_api_campaigns_action, "Stop"},
    {"POST", V1 "/campaigns/{id}/retry", SW_ROLE_EDITOR, sw_api_campaigns_action, "Retry"},
    {"POST", V1 "/campaigns/{id}/simulate", SW_ROLE_EDITOR, sw_api_campaigns_simulate, "Simulate"},
    {"POST", V1 "/campaigns/{id}/trigger", SW_ROLE_EDITOR, sw_api_campaigns_trigger, "Trigger with variables"},
    {"GET", V1 "/campaigns/{id}/schedule/preview", SW_ROLE_VIEWER, sw_api_campaigns_preview, "Next 10 execution times"},
    {"GET", V1 "/campaigns/{id}/runs", SW_ROLE_VIEWER, sw_api_campaigns_runs, "Run history"},
    {"GET", V1 "/campaigns/{id}/logs", SW_ROLE_VIEWER, sw_api_campaigns_logs, "Logs"},
    {"POST", V1 "/campaigns/{id}/save-as-template", SW_ROLE_EDITOR, sw_api_campaigns_save_template, "Save as template"},
    {"GET", V1 "/runs/{id}", SW_ROLE_VIEWER, sw_api_runs_get, "Read a run"},
    {"GET", V1 "/runs/{id}/tasks", SW_ROLE_VIEWER, sw_api_runs_tasks, "Tasks of a run"},
    {"GET", V1 "/runs/{id}/transitions/{from}/{port}/sample", SW_ROLE_VIEWER, sw_api_runs_sample, "Sample of a transition"},
    {"GET", V1 "/runs/{id}/deliveries", SW_ROLE_VIEWER, sw_api_runs_deliveries, "Delivery ledger"},
    {"POST", V1 "/runs/{id}/activities/{aid}/retry-failed", SW_ROLE_EDITOR, sw_api_runs_retry_failed, "Resend failed"},
    {"POST", V1 "/runs/{id}/activities/{aid}/confirm", SW_ROLE_EDITOR, sw_api_runs_confirm, "Confirm a send"},
    {"GET", V1 "/runs/{id}/activities/{aid}/report", SW_ROLE_VIEWER, sw_api_runs_report, "Delivery report"},
    {"GET", V1 "/templates", SW_ROLE_VIEWER, sw_api_templates_list, "List templates"},
    {"POST", V1 "/templates", SW_ROLE_EDITOR, sw_api_templates_create, "Create a template"},
    {"GET", V1 "/templates/{id}", SW_ROLE_VIEWER, sw_api_templates_get, "Read a template"},
    {"PUT", V1 "/templates/{id}", SW_ROLE_EDITOR, sw_api_templates_put, "Replace a template"},
    {"DELETE", V1 "/templates/{id}", SW_ROLE_EDITOR, sw_api_templates_delete, "Delete a template"},
    {"POST", V1 "/templates/{id}/instantiate", SW_ROLE_EDITOR, sw_api_templates_instantiate, "New campaign from a template"},
    {"GET", V1 "/dimensions", SW_ROLE_VIEWER, sw_api_dimensions, "Discovered schema"},
    {"POST", V1 "/dimensions/refresh", SW_ROLE_ADMIN, sw_api_dimensions_refresh, "Discover the schema again"},
    {"GET", V1 "/schema/hints", SW_ROLE_ADMIN, sw_api_schema_hints_get, "Schema hints in force"},
    {"PUT", V1 "/schema/hints", SW_ROLE_ADMIN, sw_api_schema_hints_put, "Store schema hints"},
    {"DELETE", V1 "/schema/hints", SW_ROLE_ADMIN, sw_api_schema_hints_delete, "Back to the hints file"},
    {"POST", V1 "/feedback", SW_ROLE_EDITOR, sw_api_feedback, "A bounce or a complaint"},
    {"GET", V1 "/suppressions", SW_ROLE_VIEWER, sw_api_suppressions_list, "The suppression list"},
    {"POST", V1 "/suppressions", SW_ROLE_EDITOR, sw_api_suppressions_add, "Suppress an address"},
    {"DELETE", V1 "/suppressions/{address}", SW_ROLE_ADMIN, sw_api_suppressions_delete, "Lift a suppression"},
    {"DELETE", V1 "/tracking/{address}", SW_ROLE_ADMIN, sw_api_tracking_erase, "Erase a person's tracking events"},
    {"GET", V1 "/audiences", SW_ROLE_VIEWER, sw_api_audiences, "Saved audiences"},
};

const size_t sw_nroutes = sizeof(sw_routes) / sizeof(sw_routes[0]);

/* Match "/a/{x}/b" against "/a/12/b": 1 and the captured segments (pointers into a copy the
 * caller owns), 0 otherwise. */
static int match(const char *pattern, const char *path, char *scratch, size_t n,
                 const char **params, int *nparams)
{
    size_t len = strlen(path);
    if (len + 1 > n) {
        return 0;
    }
    memcpy(scratch, path, len + 1);
    *nparams = 0;
    const char *p = pattern;
    char *s = scratch;
    while (*p && *s) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            char *se = strchr(s, '/');
            if (!pe || (se && se == s) || *nparams >= SW_HTTP_MAX_PARAMS) {
                return 0;
            }
            if (se) {
                *se = '\0';
            }
            if (!*s) {
                return 0;
            }
            params[(*nparams)++] = s;
            p = pe + 1;
            if (!se) {
                return *p == '\0';
            }
            s = se + 1;
            if (*p != '/') {
                return 0;
            }
            p++;
            continue;
        }
        if (*p != *s) {
            return 0;
        }
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

static enum sw_role authenticate(struct sw_api *a)
{
    return sw_api_authenticate(a); /* api_session.c */
}

/* Latency histogram bounds in microseconds (Prometheus buckets). */
static const int64_t bounds_us[] = {500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
                                    250000, 500000, 1000000, 5000000};

void sw_api_dispatch(void *ud, struct sw_http_req *req, struct sw_http_resp *resp)
{
    struct sw_server *srv = ud;
    char scratch[2048];
    const struct sw_route *route = NULL;
    struct sw_buf allow = SW_BUF_INIT; /* the methods of the path, for 405 */
    for (size_t i = 0; i < sw_nroutes && !route; i++) {
        if (match(sw_routes[i].pattern, req->path, scratch, sizeof(scratch), req->params,
                  &req->nparams)) {
            if (!strcmp(sw_routes[i].method, req->method)) {
                route = &sw_routes[i];
            } else if (!strstr(allow.data, sw_routes[i].method)) {
                sw_buf_printf(&allow, "%s%s", allow.len ? ", " : "", sw_routes[i].method);
            }
        }
    }
    if (!route && sw_ui_handles(req->method, req->path)) {
        /* The web UI: its files, and index.html for client-side paths such as /campaigns/12. */
        struct sw_api a = {.srv = srv, .req = req, .resp = resp};
        sw_ui_serve(&a);
    } else if (!route) {
        if (allow.len) {
            char *m = sw_asprintf("%s is not allowed here (allowed: %s)", req->method, allow.data);
            sw_resp_fail(resp, SW_EMETHOD_NOT_ALLOWED, m, NULL);
            sw_resp_header(resp, "Allow", allow.data);
            free(m);
        } else {
            char *m = sw_asprintf("no such route: %s %s", req->method, req->path);
            sw_resp_fail(resp, SW_ENOTFOUND, m, NULL);
            free(m);
        }
    } else {
        struct sw_api a = {.srv = srv, .req = req, .resp = resp};
        a.db = sw_dbpool_get(&srv->pool);
        a.cat.db = a.db;
        a.role = route->role == SW_ROLE_NONE ? SW_ROLE_NONE : authenticate(&a);
        if (route->role != SW_ROLE_NONE && a.role == SW_ROLE_NONE) {
            sw_resp_fail(resp, SW_EUNAUTHORIZED,
                         "authentication required: an API token (Authorization: Bearer) or a "
                         "session",
                         NULL);
            sw_resp_header(resp, "WWW-Authenticate", "Bearer");
        } else if (a.role < route->role) {
            char *m = sw_asprintf("the %s role is required (you have %s)",
                                  sw_role_name(route->role), sw_role_name(a.role));
            sw_resp_fail(resp, SW_EFORBIDDEN, m, NULL);
            free(m);
        } else if (!sw_api_csrf_refused(&a)) { /* cookie writes: same origin, JSON */
            route->fn(&a);
        }
        sw_dbpool_put(&srv->pool, a.db);
    }
    sw_buf_release(&allow);
    int64_t us = sw_clock_monotonic_us() - req->started_us;
    atomic_fetch_add(&srv->metrics.http_requests, 1);
    atomic_fetch_add(&srv->metrics.latency_sum_us, us);
    if (resp->status >= 500) {
        atomic_fetch_add(&srv->metrics.http_errors, 1);
    }
    for (size_t i = 0; i < sizeof(bounds_us) / sizeof(bounds_us[0]); i++) {
        if (us <= bounds_us[i]) {
            atomic_fetch_add(&srv->metrics.latency_buckets[i], 1);
        }
    }
}

int64_t sw_api_id(struct sw_api *a, int param)
{
    int64_t id = 0;
    if (param >= a->req->nparams || sw_parse_int64(a->req->params[param], &id) < 0 || id <= 0) {
        sw_resp_fail(a->resp, SW_ENOTFOUND, "no such id", NULL);
        return 0;
    }
    return id;
}

void sw_api_error(struct sw_api *a, const struct sw_error *err)
{
    sw_resp_from_error(a->resp, err);
}

void sw_api_not_found(struct sw_api *a, const char *what, int64_t id)
{
    char *m = sw_asprintf("no %s with id %lld", what, (long long)id);
    sw_resp_fail(a->resp, SW_ENOTFOUND, m, NULL);
    free(m);
}

json_t *sw_api_ms(int64_t ms)
{
    char iso[32];
    if (!ms) {
        return json_null();
    }
    sw_clock_format_iso(ms, iso, sizeof(iso));
    return json_string(iso);
}

int sw_api_enum_param(struct sw_api *a, const char *name, const char *const *values, bool csv)
{
    const char *v = sw_req_query(a->req, name);
    if (!v) {
        return 0;
    }
    char *copy = sw_strdup(v);
    int rc = 0;
    for (char *s = copy, *e; s && rc == 0; s = e) {
        e = csv ? strchr(s, ',') : NULL;
        if (e) {
            *e++ = '\0';
        }
        bool ok = false;
        for (size_t i = 0; values[i] && !ok; i++) {
            ok = !strcmp(values[i], s);
        }
        if (!ok) {
            struct sw_buf list = SW_BUF_INIT;
            for (size_t i = 0; values[i]; i++) {
                sw_buf_printf(&list, "%s%s", i ? ", " : "", values[i]);
            }
            sw_resp_bad_param(a->resp, name, "unknown value \"%s\" (expected %s%s)", s,
                              csv ? "a comma-separated list of " : "one of ", list.data);
            sw_buf_release(&list);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

/* The hash a cursor carries: the path (with its ids) and the named parameters' values. */
static void page_hash(struct sw_api *a, const char *const *names, char out[17])
{
    crypto_generichash_state h;
    unsigned char md[8];
    crypto_generichash_init(&h, NULL, 0, sizeof(md));
    crypto_generichash_update(&h, (const unsigned char *)a->req->path, strlen(a->req->path) + 1);
    for (size_t i = 0; names && names[i]; i++) {
        const char *v = sw_req_query(a->req, names[i]);
        crypto_generichash_update(&h, (const unsigned char *)names[i], strlen(names[i]) + 1);
        /* absent and empty differ: "\1" cannot come from a decoded query value */
        crypto_generichash_update(&h, (const unsigned char *)(v ? v : "\1"),
                                  strlen(v ? v : "\1") + 1);
    }
    crypto_generichash_final(&h, md, sizeof(md));
    sodium_bin2hex(out, 17, md, sizeof(md));
}

int sw_api_page_begin(struct sw_api *a, const char *const *names, int64_t def, int64_t max,
                      struct sw_page *pg)
{
    const char *limit_s = sw_req_query(a->req, "limit");
    const char *cursor_s = sw_req_query(a->req, "cursor");
    memset(pg, 0, sizeof(*pg));
    pg->limit = def;
    page_hash(a, names, pg->hash);
    if (limit_s && (sw_parse_int64(limit_s, &pg->limit) < 0 || pg->limit < 1 || pg->limit > max)) {
        sw_resp_bad_param(a->resp, "limit", "expected an integer between 1 and %lld",
                          (long long)max);
        return -1;
    }
    if (!cursor_s) {
        return 0;
    }
    size_t n = strlen(cursor_s), len = 0;
    json_t *o = NULL;
    if (n <= 2048) {
        unsigned char *bin = sw_malloc(n + 1);
        if (sodium_base642bin(bin, n, cursor_s, n, NULL, &len, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0) {
            o = json_loadb((const char *)bin, len, 0, NULL);
        }
        free(bin);
    }
    const json_t *v = json_object_get(o, "v");
    if (!json_is_object(o) || !json_is_integer(json_object_get(o, "id")) ||
        !json_is_string(json_object_get(o, "h")) ||
        !(!v || json_is_null(v) || json_is_string(v) || json_is_integer(v))) {
        json_decref(o);
        sw_resp_bad_param(a->resp, "cursor", "not a cursor returned by this collection");
        return -1;
    }
    if (strcmp(json_string_value(json_object_get(o, "h")), pg->hash)) {
        json_decref(o);
        sw_resp_bad_param(a->resp, "cursor",
                          "this cursor belongs to another collection or to other filter or sort "
                          "parameters: repeat the request that returned it, with only cursor "
                          "(and limit) added");
        return -1;
    }
    pg->after = o;
    return 0;
}

const json_t *sw_api_page_value(const struct sw_page *pg)
{
    const json_t *v = json_object_get(pg->after, "v");
    return v && !json_is_null(v) ? v : NULL;
}

int64_t sw_api_page_id(const struct sw_page *pg)
{
    return pg->after ? json_integer_value(json_object_get(pg->after, "id")) : 0;
}


void sw_api_page_rows(struct sw_api *a, const struct sw_page *pg, const struct sw_api_rows *r)
{
    json_t *items = json_array(), *next = NULL;
    size_t shown = r->n > (size_t)pg->limit ? (size_t)pg->limit : r->n;
    for (size_t i = 0; i < shown; i++) {
        json_array_append_new(items, r->item((const char *)r->rows + i * r->size));
    }
    if (r->n > shown && shown) {
        const void *last = (const char *)r->rows + (shown - 1) * r->size;
        json_t *v = r->value ? r->value(last) : NULL;
        next = sw_api_page_next(pg, v, r->id(last));
        json_decref(v);
    }
    sw_resp_json(a->resp, 200, sw_api_page_json(items, next));
}
json_t *sw_api_page_next(const struct sw_page *pg, const json_t *v, int64_t id)
{
    json_t *o = json_pack("{s:s, s:O, s:I}", "h", pg->hash, "v", v ? v : json_null(), "id",
                          (json_int_t)id);
    char *s = json_dumps(o, JSON_COMPACT);
    size_t n = strlen(s);
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *b = sw_malloc(cap);
    sodium_bin2base64(b, cap, (const unsigned char *)s, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *out = json_string(b);
    free(b);
    free(s);
    json_decref(o);
    return out;
}

void sw_api_page_release(struct sw_page *pg)
{
    json_decref(pg->after);
    pg->after = NULL;
}

json_t *sw_api_page_json(json_t *items, json_t *next)
{
    return json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? next : json_null());
}

/* ---- small endpoints ---- */

void sw_api_healthz(struct sw_api *a)
{
    int64_t one = 0;
    bool ok = sw_db_query_int(a->db, "SELECT 1", NULL, &one, NULL) == 0 && one == 1;
    sw_resp_json(a->resp, ok ? 200 : 503,
                 json_pack("{s:s, s:I}", "status", ok ? "ok" : "database unavailable",
                           "uptime_s", (json_int_t)((sw_clock_now_ms() - a->srv->started_ms) / 1000)));
}

/* One line of stepwise_deliveries. */
static void delivery_metric(void *ud, const char *channel, const char *state, const char *reason,
                            int64_t n)
{
    sw_buf_printf(ud, "stepwise_deliveries{channel=\"%s\",state=\"%s\",reason=\"%s\"} %lld\n",
                  channel, state, reason, (long long)n);
}

void sw_api_metrics(struct sw_api *a)
{
    struct sw_buf b = SW_BUF_INIT;
    struct sw_metrics *m = &a->srv->metrics;
    struct sw_svc *svc = &a->srv->svc;
    static const struct {
        enum sw_catalog_counted what;
        const char *head, *metric;
    } by_status[] = {
        {SW_COUNT_RUNS, "# HELP stepwise_runs Runs by status.\n# TYPE stepwise_runs gauge\n",
         "stepwise_runs"},
        {SW_COUNT_TASKS, "# HELP stepwise_tasks Tasks by status.\n# TYPE stepwise_tasks gauge\n",
         "stepwise_tasks"},
        {SW_COUNT_CAMPAIGNS,
         "# HELP stepwise_campaigns Campaigns by status.\n# TYPE stepwise_campaigns gauge\n",
         "stepwise_campaigns"},
    };
    for (size_t k = 0; k < sizeof(by_status) / sizeof(by_status[0]); k++) {
        struct sw_status_count *counts = NULL;
        size_t n = 0;
        sw_buf_puts(&b, by_status[k].head);
        sw_catalog_status_counts(&a->cat, by_status[k].what, &counts, &n, NULL);
        for (size_t i = 0; i < n; i++) {
            sw_buf_printf(&b, "%s{status=\"%s\"} %lld\n", by_status[k].metric, counts[i].status,
                          (long long)counts[i].n);
        }
        sw_status_counts_free(counts, n);
    }
    /* The ledger: messages by channel and state (skipped ones by reason), across runs. */
    sw_buf_puts(&b, "# HELP stepwise_deliveries Ledger rows by channel, state and skip reason.\n"
                    "# TYPE stepwise_deliveries gauge\n");
    sw_ledger_totals(a->db, delivery_metric, &b, NULL);
    sw_api_metrics_tracking(a, &b);
    sw_buf_printf(&b,
                  "# HELP stepwise_runs_started_total Runs started by this process.\n"
                  "# TYPE stepwise_runs_started_total counter\nstepwise_runs_started_total %lld\n"
                  "# HELP stepwise_tasks_executed_total Tasks executed by this process.\n"
                  "# TYPE stepwise_tasks_executed_total counter\nstepwise_tasks_executed_total %lld\n"
                  "# HELP stepwise_schedule_ticks_skipped_total Ticks skipped while a run was active.\n"
                  "# TYPE stepwise_schedule_ticks_skipped_total counter\n"
                  "stepwise_schedule_ticks_skipped_total %lld\n",
                  (long long)atomic_load(&svc->runs_started),
                  (long long)atomic_load(&svc->tasks_executed),
                  (long long)atomic_load(&svc->ticks_skipped));
    sw_buf_puts(&b, "# HELP stepwise_http_request_duration_seconds HTTP request latency.\n"
                    "# TYPE stepwise_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < sizeof(bounds_us) / sizeof(bounds_us[0]); i++) {
        sw_buf_printf(&b, "stepwise_http_request_duration_seconds_bucket{le=\"%g\"} %lld\n",
                      (double)bounds_us[i] / 1e6, (long long)atomic_load(&m->latency_buckets[i]));
    }
    long long total = atomic_load(&m->http_requests);
    sw_buf_printf(&b,
                  "stepwise_http_request_duration_seconds_bucket{le=\"+Inf\"} %lld\n"
                  "stepwise_http_request_duration_seconds_sum %g\n"
                  "stepwise_http_request_duration_seconds_count %lld\n"
                  "# HELP stepwise_http_errors_total HTTP responses with a 5xx status.\n"
                  "# TYPE stepwise_http_errors_total counter\nstepwise_http_errors_total %lld\n",
                  total, (double)atomic_load(&m->latency_sum_us) / 1e6, total,
                  (long long)atomic_load(&m->http_errors));
    sw_resp_text(a->resp, 200, "text/plain; version=0.0.4", b.data);
    sw_buf_release(&b);
}

/* The OpenAPI document is api/openapi.json, written by hand and embedded at build time; a unit
 * test (test_openapi) fails when it and this route table disagree. */
void sw_api_openapi(struct sw_api *a)
{
    sw_resp_text(a->resp, 200, "application/json", (const char *)sw_openapi_json);
}

void sw_api_campaign_schema(struct sw_api *a)
{
    sw_resp_text(a->resp, 200, "application/schema+json", (const char *)sw_campaign_schema_json);
}

void sw_api_dimensions(struct sw_api *a)
{
    struct sw_schema *schema = sw_server_schema(a->srv, a->db);
    sw_resp_json(a->resp, 200, sw_schema_to_json(schema));
    sw_schema_free(schema);
}

/* POST /dimensions/refresh (admin): discover the schema again now, with the schema hints
 * read again; 200 with what GET /dimensions now answers, or 422 with the hints' problems
 * (the schema in use stays). */
void sw_api_dimensions_refresh(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    if (sw_server_rediscover(a->srv, a->db, true, NULL, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_api_dimensions(a);
    }
    sw_error_release(&err);
}

static json_t *audience_json(const void *row)
{
    const struct sw_audience_row *r = row;
    return json_pack("{s:I, s:s, s:s, s:I, s:o}", "id", (json_int_t)r->id, "name", r->name,
                     "dimension", r->dimension, "count", (json_int_t)r->count, "updated_at",
                     sw_api_ms(r->updated_at));
}

static int64_t audience_id(const void *row)
{
    return ((const struct sw_audience_row *)row)->id;
}

static json_t *audience_name(const void *row)
{
    return json_string(((const struct sw_audience_row *)row)->name);
}

void sw_api_audiences(struct sw_api *a)
{
    struct sw_page pg;
    struct sw_audience_row *rows = NULL;
    size_t n = 0;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_api_page_begin(a, NULL, 100, 500, &pg) < 0) {
        goto out;
    }
    if (sw_catalog_audiences(&a->cat, json_string_value(sw_api_page_value(&pg)),
                             sw_api_page_id(&pg), pg.limit + 1, &rows, &n, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    struct sw_api_rows r = {rows, sizeof(*rows), n, audience_json, audience_id, audience_name};
    sw_api_page_rows(a, &pg, &r);
out:
    sw_audience_rows_free(rows, n);
    sw_api_page_release(&pg);
    sw_error_release(&err);
}
