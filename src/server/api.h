/*
 * api.h - the HTTP API of SPEC §4: the route table, the per-request context and the
 * handlers (api_<resource>.c). A handler reads the request and fills the response; errors
 * always take the SPEC shape. Everything a request allocates is released with it.
 */
#ifndef SW_API_H
#define SW_API_H

#include "catalog/catalog.h"
#include "catalog/runs.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/server.h"

struct sw_api {
    struct sw_server *srv;
    struct sw_db *db;
    struct sw_catalog cat;
    enum sw_role role;
    struct sw_principal who; /* who the request is from (api_session.c) */
    bool by_cookie;          /* authenticated by the session cookie (CSRF rules apply) */
    struct sw_http_req *req;
    struct sw_http_resp *resp;
};

typedef void (*sw_api_fn)(struct sw_api *a);

struct sw_route {
    const char *method;
    const char *pattern; /* "/api/v1/campaigns/{id}"; {x} matches one path segment */
    enum sw_role role;   /* least role allowed; SW_ROLE_NONE = public */
    sw_api_fn fn;
    const char *summary; /* for the OpenAPI document */
};

extern const struct sw_route sw_routes[];
extern const size_t sw_nroutes;

/* api/openapi.json and api/schemas/campaign.json, embedded at build time (api/embed.cmake);
 * NUL-terminated. */
extern const unsigned char sw_openapi_json[];
extern const size_t sw_openapi_json_len;
extern const unsigned char sw_campaign_schema_json[];
extern const size_t sw_campaign_schema_json_len;

/* The http handler: authenticate, route, run, count. */
void sw_api_dispatch(void *srv, struct sw_http_req *req, struct sw_http_resp *resp);

/* Helpers for handlers. */
int64_t sw_api_id(struct sw_api *a, int param);          /* path parameter as an id; 0 + 404 set */
void sw_api_error(struct sw_api *a, const struct sw_error *err);
void sw_api_not_found(struct sw_api *a, const char *what, int64_t id);
json_t *sw_api_ms(int64_t ms);                            /* ISO-8601 string or null */
/* A query parameter that must be one of values (a NULL-terminated list), or, with csv, a
 * comma-separated list of them: 0 (also when absent), or -1 with a 400 naming it set. */
int sw_api_enum_param(struct sw_api *a, const char *name, const char *const *values, bool csv);

/* Paging, the same for every collection (SPEC §4): `limit` (a default and a maximum), an
 * opaque `cursor` from the previous page's `next_cursor`. A cursor carries the position of
 * the last item (its sort value and id) and a hash of the path and of the parameters that
 * select and order the collection, so that it is refused (400) when reused with others. */
struct sw_page {
    int64_t limit;
    json_t *after;  /* the cursor's position {"v": sort value or null, "id": N}, or NULL */
    char hash[17];  /* hex, of the path and of the named parameters' values */
};
/* names: the collection's filter and sort parameters. 0, or -1 with a 400 set. */
int sw_api_page_begin(struct sw_api *a, const char *const *names, int64_t def, int64_t max,
                      struct sw_page *pg);
/* The cursor's sort value (NULL when it has none) and id (0 without a cursor). */
const json_t *sw_api_page_value(const struct sw_page *pg);
int64_t sw_api_page_id(const struct sw_page *pg);
/* next_cursor for a page that ended on (v, id); v may be NULL. A JSON string. */
json_t *sw_api_page_next(const struct sw_page *pg, const json_t *v, int64_t id);
void sw_api_page_release(struct sw_page *pg);
/* {"items": items, "next_cursor": next or null} (both stolen). */
json_t *sw_api_page_json(json_t *items, json_t *next);
/* One page of a collection from its rows, read with LIMIT pg->limit + 1 (n elements of `size`
 * bytes): item() makes each item shown; when a row follows them, next_cursor is the last shown
 * row's id() and, for a collection ordered by something else first, its value(). 200. */
struct sw_api_rows {
    const void *rows;
    size_t size, n;
    json_t *(*item)(const void *row);
    int64_t (*id)(const void *row);
    json_t *(*value)(const void *row); /* NULL: ordered by id alone */
};
void sw_api_page_rows(struct sw_api *a, const struct sw_page *pg, const struct sw_api_rows *r);
/* A run as the API shows it (api_runs.c). */
json_t *sw_api_run_json(const struct sw_run_row *r);

/* Handlers. */
void sw_api_campaigns_list(struct sw_api *a);
void sw_api_campaigns_create(struct sw_api *a);
void sw_api_campaigns_get(struct sw_api *a);
void sw_api_campaigns_put(struct sw_api *a);
void sw_api_campaigns_delete(struct sw_api *a);
void sw_api_campaigns_duplicate(struct sw_api *a);
void sw_api_campaigns_action(struct sw_api *a); /* start, run-now, pause, resume, stop, retry */
void sw_api_campaigns_simulate(struct sw_api *a);
void sw_api_campaigns_trigger(struct sw_api *a);
void sw_api_campaigns_preview(struct sw_api *a);
void sw_api_campaigns_runs(struct sw_api *a);
void sw_api_campaigns_logs(struct sw_api *a);
void sw_api_campaigns_save_template(struct sw_api *a);
void sw_api_runs_get(struct sw_api *a);
void sw_api_runs_tasks(struct sw_api *a);
void sw_api_runs_sample(struct sw_api *a);
void sw_api_runs_deliveries(struct sw_api *a);
void sw_api_runs_retry_failed(struct sw_api *a);
void sw_api_runs_confirm(struct sw_api *a);
/* api_tracking.c */
void sw_api_runs_report(struct sw_api *a);
void sw_api_tracking_erase(struct sw_api *a);
void sw_api_metrics_tracking(struct sw_api *a, struct sw_buf *b); /* appends to /metrics */
void sw_api_templates_list(struct sw_api *a);
void sw_api_templates_create(struct sw_api *a);
void sw_api_templates_get(struct sw_api *a);
void sw_api_templates_put(struct sw_api *a);
void sw_api_templates_delete(struct sw_api *a);
void sw_api_templates_instantiate(struct sw_api *a);
void sw_api_dimensions(struct sw_api *a);
void sw_api_dimensions_refresh(struct sw_api *a);
void sw_api_schema_hints_get(struct sw_api *a);
void sw_api_schema_hints_put(struct sw_api *a);
void sw_api_schema_hints_delete(struct sw_api *a);
void sw_api_feedback(struct sw_api *a);
void sw_api_suppressions_list(struct sw_api *a);
void sw_api_suppressions_add(struct sw_api *a);
void sw_api_suppressions_delete(struct sw_api *a);
void sw_api_audiences(struct sw_api *a);
void sw_api_healthz(struct sw_api *a);
void sw_api_metrics(struct sw_api *a);
void sw_api_openapi(struct sw_api *a);
void sw_api_campaign_schema(struct sw_api *a);
/* api_session.c: who is calling, the browser rules for cookie sessions, the session and
 * preference endpoints. sw_api_authenticate fills a->who and a->by_cookie and returns the
 * role. sw_api_csrf_refused: for a write authenticated by the cookie, 1 with 403 (not the
 * same origin) or 415 (a body that is not JSON) set, else 0. */
enum sw_role sw_api_authenticate(struct sw_api *a);
int sw_api_csrf_refused(struct sw_api *a);
void sw_api_session_signin(struct sw_api *a);
void sw_api_session_signout(struct sw_api *a);
void sw_api_session_get(struct sw_api *a);
void sw_api_preferences_get(struct sw_api *a);
void sw_api_preferences_put(struct sw_api *a);

#endif
